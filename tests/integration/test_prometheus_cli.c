/* --prometheus FILE on calibrate and on a traced run: the same textfile as amzprof export, valid
 * line by line, with the calibration just made and the last recommendation of every saved
 * workload, each once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "promcheck.h"
#include "testutil.h"

static char dir[64];

/* A store holding one workload profile with a recommendation, as amzprof saves them. */
static void save_recommended_workload(const char *name, double jobs, double chunksize)
{
	struct profile_store s;
	struct amz_err err = {0};
	json_object *doc = profile_new(PROFILE_WORKLOAD, name), *rec = json_object_new_object();

	json_object_object_add(rec, "jobs", json_object_new_double(jobs));
	json_object_object_add(rec, "chunksize",
			       chunksize > 0 ? json_object_new_double(chunksize) : NULL);
	json_object_object_add(rec, "speedup", json_object_new_double(1.8));
	json_object_object_add(rec, "serial", json_object_new_boolean(0));
	json_object_object_add(rec, "reason", json_object_new_string("two CPUs, cheap spawns"));
	json_object_object_add(doc, "recommendation", rec);
	if (profile_store_open(&s, dir, &err) < 0 || profile_save(&s, name, doc, &err) < 0)
		fail_msg("%s", err.msg);
	profile_store_close(&s);
	json_object_put(doc);
}

static int setup(void **state)
{
	(void)state;
	return test_temp_dir(dir, sizeof(dir), "amz-prom");
}

static int teardown(void **state)
{
	(void)state;
	return test_remove_tree(dir);
}

static char *checked_file(const char *path)
{
	char *text = NULL, why[128];
	int line;

	if (amz_read_file(path, &text, NULL) < 0)
		fail_msg("%s was not written", path);
	line = promcheck(text, why, sizeof(why));
	if (line)
		fail_msg("line %d: %s\n%s", line, why, text);
	return text;
}

static void test_calibrate_exports_its_figures_and_the_saved_recommendations(void **state)
{
	char file[128];
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"calibrate",
			"--quick",
			"--store",
			dir,
			"--prometheus",
			file,
			NULL};
	struct test_run r;
	char *text;
	double v;

	(void)state;
	snprintf(file, sizeof(file), "%s/calibrate.prom", dir);
	save_recommended_workload("wl", 4, 16);
	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	test_run_free(&r);

	text = checked_file(file);
	assert_true(
		promcheck_value(text, "amzprof_calibration_spawn_seconds{method=\"fork\"}", &v));
	assert_true(v > 0 && v < 1);
	assert_true(promcheck_value(text, "amzprof_recommended_workers{workload=\"wl\"}", &v));
	assert_true(v == 4);
	assert_true(promcheck_value(text, "amzprof_recommended_chunksize{workload=\"wl\"}", &v));
	assert_true(v == 16);
	free(text);
}

static void test_traced_run_exports_once_per_saved_workload(void **state)
{
	char file[128];
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			dir,
			"-o",
			"/dev/null",
			"--prometheus",
			file,
			"--",
			"/bin/true",
			NULL};
	struct test_run r;
	char *text;
	double v;

	(void)state;
	snprintf(file, sizeof(file), "%s/run.prom", dir);
	save_recommended_workload("wl", 2, 100);
	save_recommended_workload("other", 1, 5000);
	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	test_run_free(&r);

	/* promcheck refuses a series written twice. */
	text = checked_file(file);
	assert_true(promcheck_value(text, "amzprof_recommended_workers{workload=\"wl\"}", &v));
	assert_true(v == 2);
	assert_true(promcheck_value(text, "amzprof_recommended_workers{workload=\"other\"}", &v));
	assert_true(promcheck_value(text, "amzprof_host_cpus_online", &v));
	assert_true(promcheck_value(text, "amzprof_calibration_timestamp_seconds", &v));
	free(text);
}

/* Without the item count a recommendation has no chunk size: the workers are exported, the
 * chunk size is left out as unknown, and nothing is said about it. */
static void test_recommendation_without_a_chunk_size_exports_the_rest(void **state)
{
	char file[128];
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"calibrate",
			"--quick",
			"--store",
			dir,
			"--prometheus",
			file,
			NULL};
	struct test_run r;
	char *text;
	double v;

	(void)state;
	snprintf(file, sizeof(file), "%s/nochunk.prom", dir);
	save_recommended_workload("dur", 3, 0);
	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	test_run_free(&r);

	text = checked_file(file);
	assert_true(promcheck_value(text, "amzprof_recommended_workers{workload=\"dur\"}", &v));
	assert_true(v == 3);
	assert_false(promcheck_value(text, "amzprof_recommended_chunksize{workload=\"dur\"}", &v));
	free(text);
}

static void test_unwritable_metrics_file_fails_the_run_with_one_sentence(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"calibrate",
			"--quick",
			"--no-save",
			"--store",
			dir,
			"--prometheus",
			"/nonexistent/dir/m.prom",
			NULL};
	struct test_run r;

	(void)state;
	test_run(&r, argv);
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "cannot write /nonexistent/dir/m.prom"));
	test_run_free(&r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_calibrate_exports_its_figures_and_the_saved_recommendations),
		T(test_traced_run_exports_once_per_saved_workload),
		T(test_recommendation_without_a_chunk_size_exports_the_rest),
		T(test_unwritable_metrics_file_fails_the_run_with_one_sentence),
	};

	return cmocka_run_group_tests_name("prometheus_cli", tests, NULL, NULL);
}
