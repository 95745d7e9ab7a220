/* amzprof calibrate: prints its figures, saves them as the host profile, and stays quiet on a
 * pipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

static char store[64];

static int setup(void **state)
{
	(void)state;
	return test_temp_dir(store, sizeof(store), "amz-calib-store");
}

static int teardown(void **state)
{
	(void)state;
	return test_remove_tree(store);
}

static void test_json_output_is_saved_as_the_host_profile(void **state)
{
	char *calibrate[] = {(char *)test_build_path(0, "amzprof"),
			     "calibrate",
			     "--quick",
			     "--json",
			     "--store",
			     store,
			     NULL};
	char *show[] = {(char *)test_build_path(0, "amzprof"),
			"show",
			"host",
			"--json",
			"--store",
			store,
			NULL};
	json_object *printed, *saved, *cal;
	char path[128];
	struct test_run r, s;
	struct stat st;

	(void)state;
	test_run(&r, calibrate);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	printed = json_tokener_parse(r.out);
	assert_non_null(printed);
	assert_true(test_json_int(printed, "spawn_ns.fork.median") > 0);

	test_run(&s, show);
	assert_int_equal(s.status, 0);
	saved = json_tokener_parse(s.out);
	assert_non_null(saved);
	assert_true(json_object_object_get_ex(saved, "calibration", &cal));
	/* The printed document is the saved figures under its own schema number and kind. */
	assert_int_equal(test_json_int(printed, "schema"), 1);
	json_object_object_del(printed, "schema");
	json_object_object_del(printed, "kind");
	assert_true(json_object_equal(printed, cal));

	snprintf(path, sizeof(path), "%s/host.json.gz", store);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	json_object_put(printed);
	json_object_put(saved);
	test_run_free(&r);
	test_run_free(&s);
}

static void test_text_output_names_every_probe(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"), "calibrate", "--quick", "--no-save",
			NULL};
	struct test_run r;

	(void)state;
	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "fork"));
	assert_non_null(strstr(r.out, "pthread_create"));
	assert_non_null(strstr(r.out, "posix_spawn"));
	assert_non_null(strstr(r.out, "futex"));
	assert_non_null(strstr(r.out, "unix socket"));
	assert_non_null(strstr(r.out, "shared memory"));
	assert_non_null(strstr(r.out, "SMT"));
	test_run_free(&r);
}

static void test_root_calibration_adds_the_kernels_view(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"calibrate",
			"--quick",
			"--json",
			"--no-save",
			NULL};
	json_object *j, *source;
	struct test_run r;

	(void)state;
	test_require_bpf();
	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	j = json_tokener_parse(r.out);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "source", &source));
	assert_string_equal(json_object_get_string(source), "bpf");
	assert_true(test_json_int(j, "spawn_ns.fork.kernel.events") >= 3);
	assert_true(test_json_int(j, "spawn_ns.fork.kernel.p50_ns") > 0);
	assert_true(test_json_int(j, "spawn_ns.posix_spawn.kernel.events") >= 3);
	assert_true(test_json_int(j, "dispatch_ns.pipe.same_cpu.kernel.events") >= 3);
	json_object_put(j);
	test_run_free(&r);
}

static void test_unknown_option_is_a_usage_error(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"), "calibrate", "--fast", NULL};
	struct test_run r;

	(void)state;
	test_run(&r, argv);
	assert_int_equal(r.status, 2);
	assert_int_equal(test_count_lines(r.err), 1);
	test_run_free(&r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_json_output_is_saved_as_the_host_profile),
		T(test_text_output_names_every_probe),
		T(test_root_calibration_adds_the_kernels_view),
		T(test_unknown_option_is_a_usage_error),
	};

	return cmocka_run_group_tests_name("calibrate_cli", tests, NULL, NULL);
}
