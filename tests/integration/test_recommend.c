/* Root: a traced run of a workload with chunk markers yields a recommendation, saved with the
 * run; recommend recomputes it for another input size, and run applies it to a command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char store[64];

static int setup(void **state)
{
	(void)state;
	return test_temp_dir(store, sizeof(store), "amz-recommend");
}

static int teardown(void **state)
{
	(void)state;
	return test_remove_tree(store);
}

/* Traces the tiny workload (chunk markers from the pool) and returns the JSON report. */
static json_object *trace_tiny(void)
{
	char *report = test_temp_path("recommend.json");
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--json",
			"-o",
			report,
			"--store",
			store,
			"--name",
			"tiny",
			"--",
			(char *)test_build_path(1, "workloads/tiny"),
			"--items",
			"20000",
			"--jobs",
			"2",
			"--chunksize",
			"16",
			NULL};
	struct test_run r;
	json_object *root;

	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	root = test_load_json(report);
	unlink(report);
	free(report);
	test_run_free(&r);
	return root;
}

static void test_traced_run_with_markers_is_advised_in_items(void **state)
{
	json_object *root;

	(void)state;
	test_require_bpf();
	root = trace_tiny();
	assert_true(test_json_has(root, "recommendation.jobs"));
	assert_true(test_json_int(root, "recommendation.jobs") >= 1);
	assert_true(test_json_double(root, "recommendation.chunksize") >= 1);
	assert_true(test_json_double(root, "recommendation.chunksize") <= 20000);
	assert_true(test_json_double(root, "recommendation.inputs.items.value") == 20000);
	assert_true(test_json_double(root, "recommendation.current.chunksize") == 16);
	json_object_put(root);
}

static void run_recommend(struct test_run *r, const char *items)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"recommend",
			"tiny",
			"--json",
			"--store",
			store,
			items ? "--items" : NULL,
			(char *)items,
			NULL};

	test_run(r, argv);
}

static void test_recommend_recomputes_for_another_input_size(void **state)
{
	json_object *small, *large;
	struct test_run r;

	(void)state;
	test_require_bpf();
	json_object_put(trace_tiny());
	run_recommend(&r, "100");
	assert_int_equal(r.status, 0);
	small = json_tokener_parse(r.out);
	assert_non_null(small);
	test_run_free(&r);
	run_recommend(&r, "10000000");
	assert_int_equal(r.status, 0);
	large = json_tokener_parse(r.out);
	assert_non_null(large);
	test_run_free(&r);

	assert_true(test_json_double(small, "inputs.items.value") == 100);
	assert_true(test_json_double(small, "chunksize") <= 100);
	assert_true(test_json_double(large, "inputs.items.value") == 10000000);
	/* The per-item cost is the run's in both: only the size differs. */
	assert_true(test_json_double(small, "inputs.item_ns.value") ==
		    test_json_double(large, "inputs.item_ns.value"));
	json_object_put(small);
	json_object_put(large);
}

static void test_run_applies_the_recommendation(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"run",
			"tiny",
			"--store",
			store,
			"--",
			"/bin/sh",
			"-c",
			"echo $AMZ_JOBS $AMZ_CHUNKSIZE $OMP_NUM_THREADS $1 $2",
			"sh",
			"{jobs}",
			"{chunksize}",
			NULL};
	long jobs, chunk, omp, arg_jobs, arg_chunk;
	json_object *rec;
	struct test_run r;

	(void)state;
	test_require_bpf();
	json_object_put(trace_tiny());
	run_recommend(&r, NULL);
	rec = json_tokener_parse(r.out);
	assert_non_null(rec);
	test_run_free(&r);

	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	assert_int_equal(
		sscanf(r.out, "%ld %ld %ld %ld %ld", &jobs, &chunk, &omp, &arg_jobs, &arg_chunk),
		5);
	assert_int_equal(jobs, test_json_int(rec, "jobs"));
	assert_int_equal(chunk, (long)test_json_double(rec, "chunksize"));
	assert_int_equal(omp, jobs);
	assert_int_equal(arg_jobs, jobs);
	assert_int_equal(arg_chunk, chunk);
	json_object_put(rec);
	test_run_free(&r);
}

static void test_run_passes_the_commands_status_through(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"run",
			"tiny",
			"--store",
			store,
			"--",
			"/bin/sh",
			"-c",
			"exit 9",
			NULL};
	struct test_run r;

	(void)state;
	test_require_bpf();
	json_object_put(trace_tiny());
	test_run(&r, argv);
	assert_int_equal(r.status, 9);
	test_run_free(&r);
}

static void test_missing_profile_is_one_sentence(void **state)
{
	char *rec[] = {(char *)test_build_path(0, "amzprof"),
		       "recommend",
		       "absent",
		       "--store",
		       store,
		       NULL};
	char *run[] = {(char *)test_build_path(0, "amzprof"),
		       "run",
		       "absent",
		       "--store",
		       store,
		       "--",
		       "true",
		       NULL};
	struct test_run r;

	(void)state;
	test_run(&r, rec);
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "no profile named 'absent'"));
	test_run_free(&r);
	test_run(&r, run);
	assert_int_equal(r.status, 125);
	assert_int_equal(test_count_lines(r.err), 1);
	test_run_free(&r);
}

static void test_bad_items_is_a_usage_error(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"recommend",
			"tiny",
			"--items",
			"zero",
			NULL};
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
		T(test_traced_run_with_markers_is_advised_in_items),
		T(test_recommend_recomputes_for_another_input_size),
		T(test_run_applies_the_recommendation),
		T(test_run_passes_the_commands_status_through),
		T(test_missing_profile_is_one_sentence),
		T(test_bad_items_is_a_usage_error),
	};

	return cmocka_run_group_tests_name("recommend", tests, NULL, NULL);
}
