/* Calibration: real probes give every figure the host allows, say why the others are missing,
 * and survive a round trip through JSON; damaged figures are refused by name. */
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "calibrate.h"

static struct amz_calibration quick;

static void two_cpus(struct calib_cpus *c)
{
	cpu_set_t set;
	int i;

	memset(c, -1, sizeof(*c));
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &set))
			continue;
		if (c->a < 0)
			c->a = i;
		else if (c->b < 0)
			c->b = i;
	}
}

static int calibrate_once(void **state)
{
	struct calib_opts o = {.effort = CALIB_QUICK};
	struct amz_err err = {0};

	(void)state;
	two_cpus(&o.cpus);
	if (calibrate_run(&quick, &o, &err) < 0)
		fail_msg("%s", err.msg);
	return 0;
}

static void assert_measured(const struct calib_figure *f, const char *name)
{
	if (!f->measured)
		fail_msg("%s was not measured: %s", name, f->why_not);
	assert_true(f->median > 0);
	assert_true(f->n >= 3);
	assert_true(f->mad >= 0);
	assert_true(isfinite(f->ci95_rel));
}

static void test_quick_calibration_measures_spawn_costs(void **state)
{
	(void)state;
	assert_measured(&quick.fork, "fork");
	assert_measured(&quick.thread, "thread");
	assert_measured(&quick.posix_spawn, "posix_spawn");
	assert_true(quick.fork.parent > 0 && quick.fork.parent <= quick.fork.median * 1.5);
}

static void test_fork_is_measured_at_three_parent_sizes(void **state)
{
	int i;

	(void)state;
	assert_true(quick.n_fork_sizes >= 3);
	for (i = 0; i < quick.n_fork_sizes; i++)
		assert_measured(&quick.fork_sizes[i].fig, "fork at a parent size");
	for (i = 1; i < quick.n_fork_sizes; i++)
		assert_true(quick.fork_sizes[i].rss_bytes > quick.fork_sizes[i - 1].rss_bytes);
}

static void test_fork_from_a_large_parent_costs_more(void **state)
{
	const struct calib_fork_size *small = &quick.fork_sizes[0];
	const struct calib_fork_size *large = &quick.fork_sizes[quick.n_fork_sizes - 1];

	(void)state;
	/* Copying the page tables of 128 MiB more is thousands of entries: never free. */
	assert_true(large->fig.median > small->fig.median);
	assert_true(quick.fork_ns_per_mib > 0);
	assert_true(calibrate_fork_ns(&quick, large->rss_bytes) > quick.fork.median);
}

static void test_dispatch_is_measured_on_one_and_two_cpus(void **state)
{
	(void)state;
	assert_measured(&quick.pipe_same, "pipe, same CPU");
	assert_measured(&quick.futex_same, "futex, same CPU");
	assert_measured(&quick.unix_same, "unix socket, same CPU");
	if (quick.cpu_b < 0)
		return;
	assert_measured(&quick.pipe_cross, "pipe, other CPU");
	assert_measured(&quick.futex_cross, "futex, other CPU");
	assert_measured(&quick.unix_cross, "unix socket, other CPU");
}

static void test_pool_hand_off_is_measured_for_both_kinds(void **state)
{
	(void)state;
	assert_measured(&quick.pool_threads, "amz_map, threads");
	assert_measured(&quick.pool_processes, "amz_map, processes");
	/* A hand-off through the pool's shared counter is far below a wakeup through a pipe. */
	assert_true(quick.pool_threads.median < quick.pipe_same.median);
}

static void test_bytes_cost_is_per_byte(void **state)
{
	(void)state;
	assert_measured(&quick.ipc_pipe, "pipe bytes");
	assert_measured(&quick.ipc_shm, "shared memory bytes");
	/* Anything near a microsecond per byte would be a per-message cost, not a per-byte one. */
	assert_true(quick.ipc_pipe.median < 1000);
	assert_true(quick.ipc_shm.median < 1000);
}

static void test_smt_without_sibling_cpus_says_why(void **state)
{
	(void)state;
	assert_false(quick.smt.measured);
	assert_non_null(strstr(quick.smt.why_not, "SMT siblings"));
}

static void test_one_allowed_cpu_leaves_cross_cpu_unmeasured(void **state)
{
	struct calib_opts o = {.effort = CALIB_QUICK};
	struct amz_calibration c;
	struct amz_err err = {0};

	(void)state;
	two_cpus(&o.cpus);
	o.cpus.b = -1;
	assert_int_equal(calibrate_run(&c, &o, &err), 0);
	assert_false(c.pipe_cross.measured);
	assert_non_null(strstr(c.pipe_cross.why_not, "only one CPU"));
	assert_measured(&c.pipe_same, "pipe, same CPU");
	assert_measured(&c.ipc_pipe, "pipe bytes on one CPU");
}

static void test_no_allowed_cpu_is_an_error(void **state)
{
	struct calib_opts o = {.effort = CALIB_QUICK};
	struct amz_calibration c;
	struct amz_err err = {0};

	(void)state;
	memset(&o.cpus, -1, sizeof(o.cpus));
	assert_int_equal(calibrate_run(&c, &o, &err), -1);
	assert_non_null(strstr(err.msg, "no CPU"));
}

static void test_json_round_trip_is_exact(void **state)
{
	json_object *a = calibrate_to_json(&quick), *b;
	struct amz_calibration back;
	struct amz_err err = {0};

	(void)state;
	if (calibrate_from_json(&back, a, &err) < 0)
		fail_msg("%s", err.msg);
	b = calibrate_to_json(&back);
	assert_true(json_object_equal(a, b));
	json_object_put(a);
	json_object_put(b);
}

static void test_json_has_the_documented_keys(void **state)
{
	json_object *j = calibrate_to_json(&quick), *v;

	(void)state;
	assert_true(json_object_object_get_ex(j, "source", &v));
	assert_string_equal(json_object_get_string(v), "userspace");
	assert_true(test_json_int(j, "spawn_ns.fork.median") > 0);
	assert_true(test_json_int(j, "spawn_ns.thread.median") > 0);
	assert_true(test_json_int(j, "spawn_ns.posix_spawn.median") > 0);
	assert_true(test_json_int(j, "dispatch_ns.pipe.median") > 0);
	assert_true(test_json_int(j, "dispatch_ns.futex.median") > 0);
	assert_true(json_object_object_get_ex(j, "ipc_ns_per_byte", &v));
	assert_true(json_object_object_get_ex(v, "pipe", &v));
	json_object_put(j);
}

/* Replaces one number in a saved calibration and expects the load to name it. */
static void assert_refused(const char *obj_path, const char *key, json_object *value,
			   const char *fragment)
{
	json_object *j = calibrate_to_json(&quick), *o = j;
	struct amz_calibration back;
	struct amz_err err = {0};
	char path[128], *part, *save = NULL;

	snprintf(path, sizeof(path), "%s", obj_path);
	for (part = strtok_r(path, ".", &save); part; part = strtok_r(NULL, ".", &save))
		assert_true(json_object_object_get_ex(o, part, &o));
	json_object_object_add(o, key, value);

	assert_int_equal(calibrate_from_json(&back, j, &err), -1);
	if (!strstr(err.msg, fragment))
		fail_msg("expected '%s' in: %s", fragment, err.msg);
	json_object_put(j);
}

static void test_absurd_figures_are_refused_by_name(void **state)
{
	(void)state;
	assert_refused("spawn_ns.fork", "median", json_object_new_double(-1),
		       "spawn_ns.fork: median is -1");
	assert_refused("spawn_ns.thread", "median", json_object_new_double(1e300),
		       "spawn_ns.thread: median");
	assert_refused("dispatch_ns.pipe.same_cpu", "median", json_object_new_double(NAN),
		       "not a finite number");
	assert_refused("ipc_ns_per_byte.shm", "mad", json_object_new_string("fast"),
		       "ipc_ns_per_byte.shm: mad is not a number");
	assert_refused("spawn_ns", "fork", NULL, "spawn_ns.fork is missing");
}

static void detect_fixture(struct amz_host *h, const char *name)
{
	struct host_opts o = {.no_env = true};
	struct amz_err err = {0};
	char root[512];

	snprintf(root, sizeof(root), "%s/tests/fixtures/sysroot/%s", AMZ_SOURCE_DIR, name);
	o.sysroot = root;
	if (host_detect(h, &o, &err) < 0)
		fail_msg("%s", err.msg);
}

static void save_profile_for(struct profile_store *s, const char *fixture)
{
	struct amz_host h;
	struct amz_err err = {0};
	json_object *doc;

	detect_fixture(&h, fixture);
	doc = calibrate_host_profile("host", &h, &quick);
	assert_int_equal(profile_save(s, "host", doc, &err), 0);
	json_object_put(doc);
	host_free(&h);
}

static void open_temp_store(struct profile_store *s, char *dir, size_t len)
{
	struct amz_err err = {0};

	assert_int_equal(test_temp_dir(dir, len, "amz-calib-load"), 0);
	assert_int_equal(profile_store_open(s, dir, &err), 0);
}

static void remove_store(struct profile_store *s, const char *dir)
{
	profile_store_close(s);
	assert_int_equal(test_remove_tree(dir), 0);
}

static void test_profile_of_this_host_is_used(void **state)
{
	struct profile_store s;
	struct amz_calibration back;
	struct amz_host now;
	struct amz_err err = {0};
	char dir[64];

	(void)state;
	open_temp_store(&s, dir, sizeof(dir));
	save_profile_for(&s, "v2-host");
	detect_fixture(&now, "v2-host");
	if (calibrate_load(&s, "host", &now, &back, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(back.fork.median == quick.fork.median);
	host_free(&now);
	remove_store(&s, dir);
}

static void test_profile_of_another_host_is_not_used(void **state)
{
	struct profile_store s;
	struct amz_calibration back;
	struct amz_host now;
	struct amz_err err = {0};
	char dir[64];

	(void)state;
	open_temp_store(&s, dir, sizeof(dir));
	save_profile_for(&s, "v2-host");
	detect_fixture(&now, "docker-v1-quota-1.5");
	assert_int_equal(calibrate_load(&s, "host", &now, &back, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "another host or under other limits"));
	assert_non_null(strstr(err.msg, "host.json.gz"));
	host_free(&now);
	remove_store(&s, dir);
}

static void test_missing_host_profile_is_reported(void **state)
{
	struct profile_store s;
	struct amz_calibration back;
	struct amz_host now;
	struct amz_err err = {0};
	char dir[64];

	(void)state;
	open_temp_store(&s, dir, sizeof(dir));
	detect_fixture(&now, "v2-host");
	assert_int_equal(calibrate_load(&s, "host", &now, &back, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "no profile named 'host'"));
	host_free(&now);
	remove_store(&s, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quick_calibration_measures_spawn_costs),
		cmocka_unit_test(test_fork_is_measured_at_three_parent_sizes),
		cmocka_unit_test(test_fork_from_a_large_parent_costs_more),
		cmocka_unit_test(test_dispatch_is_measured_on_one_and_two_cpus),
		cmocka_unit_test(test_pool_hand_off_is_measured_for_both_kinds),
		cmocka_unit_test(test_bytes_cost_is_per_byte),
		cmocka_unit_test(test_smt_without_sibling_cpus_says_why),
		cmocka_unit_test(test_one_allowed_cpu_leaves_cross_cpu_unmeasured),
		cmocka_unit_test(test_no_allowed_cpu_is_an_error),
		cmocka_unit_test(test_json_round_trip_is_exact),
		cmocka_unit_test(test_json_has_the_documented_keys),
		cmocka_unit_test(test_absurd_figures_are_refused_by_name),
		cmocka_unit_test(test_profile_of_this_host_is_used),
		cmocka_unit_test(test_profile_of_another_host_is_not_used),
		cmocka_unit_test(test_missing_host_profile_is_reported),
	};

	return cmocka_run_group_tests_name("calibrate", tests, calibrate_once, NULL);
}
