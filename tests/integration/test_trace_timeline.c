/* Root: amzprof --trace FILE writes a Chrome trace of real workloads that Trace Event readers
 * accept, with one track per task, the three states and the task events, agreeing with the
 * kernel's counts of the same run; the cap is kept and said; the concurrency series adds up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tracecheck.h"

/* A store calibrated once, so that runs do not calibrate first and say so. */
static char store[64];

static int calibrated_store(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"calibrate",
			"--quick",
			"--store",
			store,
			NULL};
	struct test_run r;

	(void)state;
	if (test_temp_dir(store, sizeof(store), "amz-timeline") < 0)
		return -1;
	test_run(&r, argv);
	test_run_free(&r);
	return 0;
}

static int remove_store(void **state)
{
	(void)state;
	return test_remove_tree(store);
}

struct traced {
	struct test_run r;
	json_object *report; /* the --json report of the run */
	json_object *trace;  /* the --trace file, NULL when none was written */
	struct tracecheck_counts c;
};

/* Runs amzprof --json --trace on a workload; extra holds options put before '--'. */
static void trace_run(struct traced *t, char *const extra[], const char *workload,
		      char *const args[])
{
	char *report = test_temp_path("timeline-report.json");
	char *file = test_temp_path("timeline-trace.json");
	char *argv[32] = {(char *)test_build_path(0, "amzprof"),
			  "--store",
			  store,
			  "--json",
			  "-o",
			  report,
			  "--trace",
			  file};
	char why[256];
	int n = 8, i;

	for (i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n++] = "--";
	argv[n++] = (char *)test_build_path(1, workload);
	for (i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	test_run(&t->r, argv);
	t->report = test_load_json(report);
	t->trace = json_object_from_file(file);
	if (t->trace && tracecheck(t->trace, &t->c, why, sizeof(why)) < 0)
		fail_msg("%s is not a valid trace: %s", file, why);
	unlink(report);
	unlink(file);
	free(report);
	free(file);
}

static void traced_free(struct traced *t)
{
	json_object_put(t->report);
	json_object_put(t->trace);
	test_run_free(&t->r);
}

static void test_trace_of_a_forking_workload_is_valid_trace_event_json(void **state)
{
	char *args[] = {"--forks", "30", "--pingpongs", "4", NULL};
	struct traced t;

	(void)state;
	test_require_bpf();
	trace_run(&t, NULL, "workloads/forkwake", args);
	assert_int_equal(t.r.status, 0);
	assert_non_null(t.trace);
	assert_true(t.c.slices > 0);
	assert_int_equal(test_json_int(t.trace, "otherData.capped"), 0);
	traced_free(&t);
}

static void test_every_spawned_task_has_its_track_spawn_and_exit(void **state)
{
	char *args[] = {"--forks", "30", "--pingpongs", "2", NULL};
	long long spawned;
	struct traced t;

	(void)state;
	test_require_bpf();
	trace_run(&t, NULL, "workloads/forkwake", args);
	spawned = test_json_int(t.report, "tasks.processes") +
		  test_json_int(t.report, "tasks.threads");
	assert_int_equal(spawned, 30);
	assert_int_equal(tracecheck_count(&t.c, "spawn"), spawned);
	assert_int_equal(tracecheck_count(&t.c, "exit"),
			 test_json_int(t.report, "tasks.task_exits"));
	/* The workload's own process, then one per fork. */
	assert_int_equal(t.c.thread_names, spawned + 1);
	assert_int_equal(tracecheck_count(&t.c, "exec"), 1);
	traced_free(&t);
}

static void test_running_runnable_and_blocked_slices_all_appear(void **state)
{
	char *args[] = {"--forks", "20", "--pingpongs", "8", NULL};
	struct traced t;

	(void)state;
	test_require_bpf();
	trace_run(&t, NULL, "workloads/forkwake", args);
	assert_true(tracecheck_count(&t.c, "running") > 20);
	assert_true(tracecheck_count(&t.c, "runnable") > 20);
	/* Each pipe round trip puts one side to sleep. */
	assert_true(tracecheck_count(&t.c, "blocked") >= 20 * 8);
	traced_free(&t);
}

/* The slices come from the same switches as the kernel's CPU time: they must add up to it. */
static void test_running_slices_add_up_to_the_kernels_cpu_time(void **state)
{
	char *args[] = {"--forks", "20", "--pingpongs", "4", NULL};
	double cpu_us, running_us;
	struct traced t;

	(void)state;
	test_require_bpf();
	trace_run(&t, NULL, "workloads/forkwake", args);
	cpu_us = (double)test_json_int(t.report, "scheduling.cpu_ns") / 1e3;
	running_us = tracecheck_dur_us(&t.c, "running");
	if (running_us < cpu_us * 0.98 || running_us > cpu_us * 1.02)
		fail_msg("running slices %.1f us, kernel CPU time %.1f us", running_us, cpu_us);
	traced_free(&t);
}

static void test_chunk_markers_appear_as_instants(void **state)
{
	char *args[] = {"--chunks", "25", "--items", "7", "--threads", "3", NULL};
	struct traced t;

	(void)state;
	test_require_bpf();
	trace_run(&t, NULL, "workloads/chunks", args);
	assert_int_equal(test_json_int(t.report, "chunks.count"), 75);
	assert_int_equal(tracecheck_count(&t.c, "chunk begin"), 75);
	assert_int_equal(tracecheck_count(&t.c, "chunk end"), 75);
	traced_free(&t);
}

static void test_cap_is_kept_and_said_in_one_sentence(void **state)
{
	char *extra[] = {"--trace-limit", "40", NULL};
	char *args[] = {"--forks", "30", "--pingpongs", "4", NULL};
	struct traced t;

	(void)state;
	test_require_bpf();
	trace_run(&t, extra, "workloads/forkwake", args);
	assert_int_equal(t.r.status, 0);
	assert_int_equal(test_json_int(t.trace, "otherData.events"), 40);
	assert_true(test_json_int(t.trace, "otherData.capped") > 0);
	assert_true(t.c.slices + t.c.instants <= 40 + 1 + t.c.thread_names);
	assert_non_null(strstr(t.r.err, "reached its cap of 40 events"));
	assert_int_equal(test_count_lines(t.r.err), 1);
	traced_free(&t);
}

static void test_trace_limit_without_trace_is_a_usage_error(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--trace-limit",
			"10",
			"--",
			"/bin/true",
			NULL};
	struct test_run r;

	(void)state;
	test_run(&r, argv);
	assert_int_equal(r.status, 2);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "--trace-limit"));
	test_run_free(&r);
}

static void test_bad_trace_limit_is_a_usage_error(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--trace",
			"/tmp/x.json",
			"--trace-limit",
			"-5",
			"--",
			"/bin/true",
			NULL};
	struct test_run r;

	(void)state;
	test_run(&r, argv);
	assert_int_equal(r.status, 2);
	assert_int_equal(test_count_lines(r.err), 1);
	test_run_free(&r);
}

static void test_unwritable_trace_file_fails_with_one_sentence(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"-o",
			"/dev/null",
			"--trace",
			"/nonexistent/dir/t.json",
			"--",
			"/bin/true",
			NULL};
	struct test_run r;

	(void)state;
	test_require_bpf();
	test_run(&r, argv);
	assert_int_equal(r.status, 125);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "cannot write the timeline to /nonexistent/dir/t.json"));
	test_run_free(&r);
}

/* The series and the histogram of concurrency levels are two views of the same changes. */
static void test_concurrency_series_adds_up_to_the_level_histogram(void **state)
{
	char *args[] = {"--forks", "60", "--pingpongs", "4", NULL};
	json_object *levels, *points, *over;
	double weighted = 0, series = 0;
	struct traced t;
	size_t i;

	(void)state;
	test_require_bpf();
	trace_run(&t, NULL, "workloads/forkwake", args);
	assert_true(json_object_object_get_ex(json_object_object_get(t.report, "parallelism"),
					      "time_at_level_ns", &levels));
	assert_true(json_object_object_get_ex(json_object_object_get(t.report, "parallelism"),
					      "over_time", &over));
	assert_true(json_object_object_get_ex(over, "task_ns", &points));
	for (i = 0; i < json_object_array_length(levels); i++)
		weighted += (double)i *
			    (double)json_object_get_int64(json_object_array_get_idx(levels, i));
	for (i = 0; i < json_object_array_length(points); i++)
		series += (double)json_object_get_int64(json_object_array_get_idx(points, i));
	assert_true(json_object_array_length(points) > 1);
	if (series < weighted * 0.99 || series > weighted * 1.01)
		fail_msg("series %.0f ns, level histogram %.0f ns", series, weighted);
	traced_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_of_a_forking_workload_is_valid_trace_event_json),
		cmocka_unit_test(test_every_spawned_task_has_its_track_spawn_and_exit),
		cmocka_unit_test(test_running_runnable_and_blocked_slices_all_appear),
		cmocka_unit_test(test_running_slices_add_up_to_the_kernels_cpu_time),
		cmocka_unit_test(test_chunk_markers_appear_as_instants),
		cmocka_unit_test(test_cap_is_kept_and_said_in_one_sentence),
		cmocka_unit_test(test_trace_limit_without_trace_is_a_usage_error),
		cmocka_unit_test(test_bad_trace_limit_is_a_usage_error),
		cmocka_unit_test(test_unwritable_trace_file_fails_with_one_sentence),
		cmocka_unit_test(test_concurrency_series_adds_up_to_the_level_histogram),
	};

	return cmocka_run_group_tests_name("trace_timeline", tests, calibrated_store, remove_store);
}
