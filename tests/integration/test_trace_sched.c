/* Root: what amzprof measures of a workload's scheduling, on workloads with a known shape:
 * wakeups and bursts of a worker, USDT chunks, and nothing of an unrelated process. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* Runs amzprof --json on a workload of the build; returns the report. */
static json_object *trace_workload(struct test_run *r, const char *workload, char *const args[])
{
	char *report = test_temp_path("sched.json");
	char *argv[24] = {
		(char *)test_build_path(0, "amzprof"), "--json", "-o", report, "--",
		(char *)test_build_path(1, workload),
	};
	json_object *root;
	int i;

	for (i = 0; args[i] && i < 16; i++)
		argv[6 + i] = args[i];
	argv[6 + i] = NULL;

	test_run(r, argv);
	root = test_load_json(report);
	unlink(report);
	free(report);
	return root;
}

static json_object *task_named(json_object *root, const char *comm)
{
	json_object *records, *top, *task, *name;
	size_t i;

	assert_true(json_object_object_get_ex(root, "task_records", &records));
	assert_true(json_object_object_get_ex(records, "top_by_cpu", &top));
	for (i = 0; i < json_object_array_length(top); i++) {
		task = json_object_array_get_idx(top, i);
		if (json_object_object_get_ex(task, "comm", &name) &&
		    strcmp(json_object_get_string(name), comm) == 0)
			return task;
	}
	fail_msg("no task record for %s", comm);
	return NULL;
}

static void test_worker_woken_w_times_shows_w_wakeups_and_bursts(void **state)
{
	char *args[] = {"--wakes", "40", NULL};
	struct test_run r;
	json_object *root, *worker;
	long long wakeups, bursts;

	(void)state;
	test_require_bpf();
	root = trace_workload(&r, "workloads/pingpong", args);
	assert_int_equal(r.status, 0);

	worker = task_named(root, "amz-worker");
	wakeups = test_json_int(worker, "wakeups");
	bursts = test_json_int(worker, "bursts");
	/* 40 bytes and the end of the pipe; nothing else wakes the worker. */
	assert_true(wakeups >= 40 && wakeups <= 42);
	assert_true(bursts >= 40 && bursts <= 43);
	assert_true(test_json_int(root, "wakeup_latency_ns.count") >= 40);
	assert_true(test_json_int(root, "bursts_ns.count") >= 40);
	json_object_put(root);
	test_run_free(&r);
}

static void test_usdt_chunks_and_items_counted_exactly(void **state)
{
	char *args[] = {"--chunks", "25", "--items", "7", "--threads", "3", NULL};
	struct test_run r;
	json_object *root;

	(void)state;
	test_require_bpf();
	root = trace_workload(&r, "workloads/chunks", args);
	assert_int_equal(r.status, 0);
	assert_int_equal(test_json_int(root, "chunks.count"), 75);
	assert_int_equal(test_json_int(root, "chunks.items"), 75 * 7);
	assert_int_equal(test_json_int(root, "chunks.unmatched_ends"), 0);
	assert_int_equal(test_json_int(root, "chunks.duration_ns.count"), 75);
	assert_int_equal(test_json_int(root, "chunks.items_per_chunk.max"), 7);
	/* Each thread has one gap fewer than chunks, and one first chunk. */
	assert_int_equal(test_json_int(root, "chunks.gap_ns.count"), 72);
	assert_int_equal(test_json_int(root, "chunks.first_per_thread"), 3);
	assert_int_equal(test_json_int(root, "chunks.first_items"), 3 * 7);
	assert_true(test_json_int(root, "chunks.first_cpu_ns") > 0);
	assert_true(test_json_int(root, "chunks.first_cpu_ns") <
		    test_json_int(root, "chunks.cpu_ns.sum"));
	json_object_put(root);
	test_run_free(&r);
}

static void test_no_chunks_section_without_markers(void **state)
{
	char *args[] = {"--procs", "1", NULL};
	struct test_run r;
	json_object *root;

	(void)state;
	test_require_bpf();
	root = trace_workload(&r, "workloads/spawn", args);
	assert_false(test_json_has(root, "chunks"));
	json_object_put(root);
	test_run_free(&r);
}

static void test_json_has_the_documented_keys(void **state)
{
	static const char *const keys[] = {
		"exit_status",
		"tasks.processes",
		"tasks.threads",
		"spawn_latency_ns.count",
		"spawn_latency_ns.p50",
		"spawn_latency_ns.p99",
		"wakeup_latency_ns.count",
		"wakeup_latency_ns.p50",
		"wakeup_latency_ns.p99",
		"bursts_ns.count",
		"bursts_ns.p50",
		"parallelism.mean",
		"lost_events",
		"chunks.count",
		"chunks.items",
		"tracer_cost.ns_per_event",
	};
	char *args[] = {"--chunks", "3", "--threads", "2", NULL};
	struct test_run r;
	json_object *root;
	size_t i;

	(void)state;
	test_require_bpf();
	root = trace_workload(&r, "workloads/chunks", args);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!test_json_has(root, keys[i]))
			fail_msg("the report has no %s", keys[i]);
	}
	assert_string_equal(json_object_get_string(json_object_object_get(root, "source")), "bpf");
	assert_int_equal(test_json_int(root, "lost_events"), 0);
	assert_true(test_json_double(root, "parallelism.mean") > 0);
	json_object_put(root);
	test_run_free(&r);
}

static void test_spawn_latency_counted_once_per_task(void **state)
{
	char *args[] = {"--procs", "6", "--threads", "4", NULL};
	struct test_run r;
	json_object *root;

	(void)state;
	test_require_bpf();
	root = trace_workload(&r, "workloads/spawn", args);
	assert_int_equal(test_json_int(root, "spawn_latency_ns.count"), 10);
	assert_int_equal(test_json_int(root, "spawn_latency_ns.child_first_run.count"), 10);
	assert_int_equal(test_json_int(root, "spawn_latency_ns.parent_in_clone.count"), 10);
	/* One thread made the ten clone calls: nine gaps between them. */
	assert_int_equal(test_json_int(root, "spawn_latency_ns.between_clone_calls.count"), 9);
	/* The workload's own exec, and no other. */
	assert_int_equal(test_json_int(root, "exec_latency_ns.count"), 1);
	assert_int_equal(test_json_int(root, "tasks.execs"), 1);
	json_object_put(root);
	test_run_free(&r);
}

static pid_t start_unrelated_forker(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl(test_build_path(2, "workloads/forkwake"), "forkwake", "--forks", "100000000",
		      "--pingpongs", "1", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static long long record_field(json_object *task, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(task, key, &v));
	return json_object_get_int64(v);
}

/* One record was seeded (ppid 0): the workload; every other task is a thread of it or a
 * process it forked. None is the unrelated process or one of its children. */
static void assert_records_form_one_tree(json_object *root, pid_t unrelated)
{
	json_object *records, *top, *task;
	long long root_tgid = 0;
	size_t i, n, seeded = 0;

	assert_true(json_object_object_get_ex(root, "task_records", &records));
	assert_true(json_object_object_get_ex(records, "top_by_cpu", &top));
	n = json_object_array_length(top);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++) {
		task = json_object_array_get_idx(top, i);
		if (record_field(task, "ppid") == 0) {
			seeded++;
			root_tgid = record_field(task, "tgid");
		}
	}
	assert_int_equal(seeded, 1);
	for (i = 0; i < n; i++) {
		task = json_object_array_get_idx(top, i);
		assert_true(record_field(task, "tgid") == root_tgid ||
			    record_field(task, "ppid") == root_tgid);
		assert_true(record_field(task, "tgid") != unrelated &&
			    record_field(task, "ppid") != unrelated);
		assert_string_not_equal(
			json_object_get_string(json_object_object_get(task, "comm")), "forkwake");
	}
}

static void test_unrelated_forker_is_not_counted(void **state)
{
	char *args[] = {"--procs", "5", "--threads", "2", "--sleep-ms", "100", NULL};
	struct test_run r;
	json_object *root;
	pid_t forker;
	int status;

	(void)state;
	test_require_bpf();
	forker = start_unrelated_forker();
	root = trace_workload(&r, "workloads/spawn", args);

	/* It was forking the whole time: it never ends by itself. */
	assert_int_equal(waitpid(forker, &status, WNOHANG), 0);
	kill(forker, SIGKILL);
	waitpid(forker, &status, 0);

	assert_int_equal(test_json_int(root, "tasks.processes"), 5);
	assert_int_equal(test_json_int(root, "tasks.threads"), 2);
	assert_int_equal(test_json_int(root, "spawn_latency_ns.count"), 7);
	assert_int_equal(test_json_int(root, "tasks.execs"), 1);
	/* The task records, read from the kernel's maps, are the workload's 8 tasks, its own
	 * tree: none of the forker, which was busier than all of them. */
	assert_int_equal(test_json_int(root, "task_records.seen"), 8);
	assert_records_form_one_tree(root, forker);
	json_object_put(root);
	test_run_free(&r);
}

/* The kernel's run-time statistics are kept on in windows (from the start, then 50 ms of every
 * second): a run of 1.3 s is counted in part, and its per-event cost still comes out. */
static void test_bpf_statistics_are_kept_on_in_windows(void **state)
{
	char *args[] = {"--items", "130", "--jobs", "1", "--sleep-us", "10000", NULL};
	struct test_run r;
	json_object *root;
	long long on, wall;

	(void)state;
	test_require_bpf();
	root = trace_workload(&r, "workloads/io", args);
	assert_int_equal(r.status, 0);

	on = test_json_int(root, "tracer_cost.stats_on_ns");
	wall = test_json_int(root, "wall_ns");
	assert_true(wall > 1200000000LL);
	assert_true(on >= 50000000LL);
	assert_true(on < wall / 2);
	assert_true(test_json_int(root, "tracer_cost.bpf_runs") > 0);
	assert_true(test_json_double(root, "tracer_cost.ns_per_event") > 0);
	json_object_put(root);
	test_run_free(&r);
}

static void test_text_report_opens_with_parallelism_and_overhead(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--procs",
			"3",
			NULL};
	struct test_run r;
	char *second, *third;

	(void)state;
	test_require_bpf();
	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	second = strchr(r.err, '\n');
	assert_non_null(second);
	third = strchr(second + 1, '\n');
	assert_non_null(third);
	assert_true(strncmp(second + 1, "  parallelism: ", 15) == 0);
	assert_true(strncmp(third + 1, "  overhead: ", 12) == 0);
	assert_non_null(strstr(r.err, "tracer cost: "));
	assert_non_null(strstr(r.err, "|*"));
	assert_string_equal(r.out, "");
	test_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker_woken_w_times_shows_w_wakeups_and_bursts),
		cmocka_unit_test(test_usdt_chunks_and_items_counted_exactly),
		cmocka_unit_test(test_no_chunks_section_without_markers),
		cmocka_unit_test(test_json_has_the_documented_keys),
		cmocka_unit_test(test_spawn_latency_counted_once_per_task),
		cmocka_unit_test(test_unrelated_forker_is_not_counted),
		cmocka_unit_test(test_bpf_statistics_are_kept_on_in_windows),
		cmocka_unit_test(test_text_report_opens_with_parallelism_and_overhead),
	};

	return cmocka_run_group_tests_name("trace_sched", tests, NULL, NULL);
}
