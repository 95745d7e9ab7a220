/* Root: the tracer as a library, the way calibration uses it: one tracer, several probe
 * workloads one after another, reset between them; and its raw_tp and pre-5.18 paths. */
#include <math.h>
#include <string.h>

#include "launch.h"
#include "testutil.h"
#include "tracer.h"
#include "util.h"

/* Runs one probe workload under t and reads what it did. */
static void probe(struct tracer *t, char *const argv[], struct amz_trace *out)
{
	struct amz_err err = {0};
	struct launch l;

	assert_int_equal(launch_prepare(&l, argv, &err), 0);
	assert_int_equal(tracer_follow(t, l.pid, &err), 0);
	tracer_reset(t);
	assert_int_equal(launch_release(&l, &err), 0);
	assert_int_equal(launch_wait(&l, &err), 0);
	assert_int_equal(launch_exit_status(&l), 0);
	tracer_read(t, out);
}

static struct tracer *open_tracer(const struct tracer_opts *o)
{
	struct amz_err err = {0};
	struct tracer *t = NULL;

	if (tracer_open_opts(&t, o, &err) < 0)
		fail_msg("%s", err.msg);
	return t;
}

static void test_reset_between_probes_counts_each_alone(void **state)
{
	char *first[] = {(char *)test_build_path(1, "workloads/spawn"), "--procs", "6", NULL};
	char *second[] = {(char *)test_build_path(1, "workloads/spawn"),
			  "--procs",
			  "2",
			  "--threads",
			  "3",
			  NULL};
	struct amz_trace a, b;
	struct tracer *t;

	(void)state;
	test_require_bpf();
	t = open_tracer(NULL);
	probe(t, first, &a);
	probe(t, second, &b);
	tracer_close(t);

	assert_int_equal(a.k.c.processes, 6);
	assert_int_equal(a.k.spawn_ns.count, 6);
	assert_int_equal(b.k.c.processes, 2);
	assert_int_equal(b.k.c.threads, 3);
	assert_int_equal(b.k.spawn_ns.count, 5);
	assert_int_equal(b.k.clone_ns.count, 5);
	assert_true(b.tasks_seen >= 6 && b.tasks_seen <= 7);
	assert_true(trace_hist_percentile(&b.k.spawn_ns, 0.5) > 0);
}

static void test_raw_tp_counts_the_same(void **state)
{
	struct tracer_opts o = {.raw_tp = true};
	char *argv[] = {(char *)test_build_path(1, "workloads/spawn"),
			"--procs",
			"7",
			"--threads",
			"5",
			NULL};
	struct amz_trace tr;
	struct tracer *t;

	(void)state;
	test_require_bpf();
	t = open_tracer(&o);
	probe(t, argv, &tr);
	tracer_close(t);
	assert_string_equal(tr.attach_mode, "raw_tp");
	assert_int_equal(tr.k.c.processes, 7);
	assert_int_equal(tr.k.c.threads, 5);
	assert_int_equal(tr.k.spawn_ns.count, 12);
}

static const struct amz_task_stats *find_comm(const struct amz_trace *tr, const char *comm)
{
	unsigned int i;

	for (i = 0; i < tr->ntop; i++) {
		if (strcmp(tr->top[i].comm, comm) == 0)
			return &tr->top[i];
	}
	fail_msg("no task record for %s", comm);
	return NULL;
}

/* Kernels before 5.18 pass no prev_state: the task's own state field must give the same. */
static void test_state_from_task_sees_every_sleep(void **state)
{
	char *argv[] = {(char *)test_build_path(1, "workloads/pingpong"), "--wakes", "30", NULL};
	const struct tracer_opts modes[] = {{.state_from_task = true},
					    {.raw_tp = true, .state_from_task = true}};
	const struct amz_task_stats *w;
	struct amz_trace tr;
	struct tracer *t;
	size_t i;

	(void)state;
	test_require_bpf();
	for (i = 0; i < 2; i++) {
		t = open_tracer(&modes[i]);
		probe(t, argv, &tr);
		tracer_close(t);
		w = find_comm(&tr, "amz-worker");
		assert_true(w->wakeups >= 30 && w->wakeups <= 32);
		assert_true(w->bursts >= 30 && w->bursts <= 33);
	}
}

/* The time-weighted concurrency histogram integrates to the CPU time the tasks used: both come
 * from the same switches, whatever the load of the machine. */
static void test_concurrency_integrates_to_cpu_time(void **state)
{
	char *argv[] = {(char *)test_build_path(1, "workloads/chunks"),
			"--chunks",
			"20",
			"--items",
			"20",
			"--threads",
			"2",
			NULL};
	double integral = 0, cpu;
	struct amz_trace tr;
	struct tracer *t;
	unsigned int i;

	(void)state;
	test_require_bpf();
	t = open_tracer(NULL);
	probe(t, argv, &tr);
	tracer_close(t);

	for (i = 0; i < AMZ_CONC_SLOTS; i++)
		integral += (double)i * (double)tr.k.conc_ns[i];
	cpu = (double)tr.k.c.cpu_ns;
	assert_true(cpu > 0);
	assert_true(fabs(integral - cpu) <= 0.01 * cpu);
	assert_int_equal(tr.k.c.conc_races, 0);
}

static void test_single_task_is_never_counted_twice(void **state)
{
	char *argv[] = {(char *)test_build_path(1, "workloads/spawn"), NULL};
	unsigned long long before, after, total = 0;
	struct amz_trace tr;
	struct tracer *t;
	unsigned int i;

	(void)state;
	test_require_bpf();
	t = open_tracer(NULL);
	before = amz_now_ns();
	probe(t, argv, &tr);
	after = amz_now_ns();
	tracer_close(t);

	assert_true(tr.k.conc_ns[1] > 0);
	for (i = 2; i < AMZ_CONC_SLOTS; i++)
		assert_int_equal(tr.k.conc_ns[i], 0);
	for (i = 0; i < AMZ_CONC_SLOTS; i++)
		total += tr.k.conc_ns[i];
	assert_true(total <= after - before);
	assert_true(trace_parallelism_mean(&tr) <= 1.0);
}

static void test_trace_of_a_real_run_reads_back_equal(void **state)
{
	char *argv[] = {(char *)test_build_path(1, "workloads/chunks"),
			"--chunks",
			"5",
			"--threads",
			"2",
			NULL};
	struct amz_err err = {0};
	struct amz_trace tr, back;
	struct tracer *t;
	json_object *doc;

	(void)state;
	test_require_bpf();
	t = open_tracer(NULL);
	assert_int_equal(tracer_attach_usdt(t, argv[0], &err), 1);
	probe(t, argv, &tr);
	tracer_close(t);
	assert_int_equal(tr.k.c.chunks, 10);

	doc = trace_to_json(&tr);
	assert_int_equal(trace_from_json(doc, &back, &err), 0);
	assert_memory_equal(&back, &tr, sizeof(tr));
	json_object_put(doc);
}

static void test_markers_absent_from_a_binary_are_not_an_error(void **state)
{
	struct amz_err err = {0};
	struct tracer *t;

	(void)state;
	test_require_bpf();
	t = open_tracer(NULL);
	assert_int_equal(tracer_attach_usdt(t, test_build_path(1, "workloads/spawn"), &err), 0);
	assert_int_equal(tracer_attach_usdt(t, "/nonexistent/amz", &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/amz"));
	tracer_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_between_probes_counts_each_alone),
		cmocka_unit_test(test_raw_tp_counts_the_same),
		cmocka_unit_test(test_state_from_task_sees_every_sleep),
		cmocka_unit_test(test_concurrency_integrates_to_cpu_time),
		cmocka_unit_test(test_single_task_is_never_counted_twice),
		cmocka_unit_test(test_trace_of_a_real_run_reads_back_equal),
		cmocka_unit_test(test_markers_absent_from_a_binary_are_not_an_error),
	};

	return cmocka_run_group_tests_name("tracer_api", tests, NULL, NULL);
}
