/* amzprof export --prometheus: a valid textfile with the host and its calibration, written
 * atomically; refusals as single sentences. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "promcheck.h"
#include "util.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return test_temp_dir(dir, sizeof(dir), "amz-export");
}

static int teardown(void **state)
{
	(void)state;
	return test_remove_tree(dir);
}

static void amzprof(struct test_run *r, char *a, char *b, char *c, char *d)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"), a, b, c, d, "--store", dir, NULL};

	test_run(r, argv);
}

static void test_export_after_calibration_is_valid_and_complete(void **state)
{
	char file[128], *text, why[128];
	struct test_run r;
	struct stat st;
	double v;

	(void)state;
	snprintf(file, sizeof(file), "%s/amzprof.prom", dir);
	amzprof(&r, "calibrate", "--quick", "--name", "host");
	assert_int_equal(r.status, 0);
	test_run_free(&r);

	amzprof(&r, "export", "--prometheus", file, "-v");
	assert_int_equal(r.status, 0);
	test_run_free(&r);
	assert_int_equal(amz_read_file(file, &text, NULL), 0);
	if (promcheck(text, why, sizeof(why)))
		fail_msg("%s\n%s", why, text);
	assert_true(
		promcheck_value(text, "amzprof_calibration_spawn_seconds{method=\"fork\"}", &v));
	assert_true(v > 0 && v < 1);
	assert_true(promcheck_value(text, "amzprof_host_cpus_usable", &v));
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	free(text);
}

static void test_export_without_prometheus_file_is_a_usage_error(void **state)
{
	struct test_run r;

	(void)state;
	amzprof(&r, "export", "-v", "-v", "-v");
	assert_int_equal(r.status, 2);
	assert_int_equal(test_count_lines(r.err), 1);
	test_run_free(&r);
}

static void test_unwritable_target_fails_with_one_sentence(void **state)
{
	struct test_run r;

	(void)state;
	amzprof(&r, "export", "--prometheus", "/nonexistent/dir/amz.prom", "-v");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "cannot write /nonexistent/dir/amz.prom"));
	test_run_free(&r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_export_after_calibration_is_valid_and_complete),
		T(test_export_without_prometheus_file_is_a_usage_error),
		T(test_unwritable_target_fails_with_one_sentence),
	};

	return cmocka_run_group_tests_name("export_cli", tests, NULL, NULL);
}
