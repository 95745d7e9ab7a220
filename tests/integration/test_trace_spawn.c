/* Root: amzprof counts a workload's processes and threads exactly, in the kernel, and passes
 * the workload's exit status through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* Runs amzprof --json on the spawn workload with the given arguments; returns the report. */
static json_object *trace_spawn(struct test_run *r, char *const spawn_args[])
{
	char *report = test_temp_path("report.json");
	char *argv[24] = {
		(char *)test_build_path(0, "amzprof"),	       "--json", "-o", report, "--",
		(char *)test_build_path(1, "workloads/spawn"),
	};
	json_object *root;
	int i;

	for (i = 0; spawn_args[i] && i < 16; i++)
		argv[6 + i] = spawn_args[i];
	argv[6 + i] = NULL;

	test_run(r, argv);
	root = test_load_json(report);
	unlink(report);
	free(report);
	return root;
}

static void assert_counts(long procs, long threads)
{
	char p[32], t[32];
	char *args[] = {"--procs", p, "--threads", t, NULL};
	struct test_run r;
	json_object *root;

	snprintf(p, sizeof(p), "%ld", procs);
	snprintf(t, sizeof(t), "%ld", threads);
	root = trace_spawn(&r, args);

	assert_int_equal(r.status, 0);
	assert_int_equal(test_json_int(root, "tasks.processes"), procs);
	assert_int_equal(test_json_int(root, "tasks.threads"), threads);
	assert_int_equal(test_json_int(root, "exit_status"), 0);
	json_object_put(root);
	test_run_free(&r);
}

static void test_counts_exact_processes_and_threads(void **state)
{
	(void)state;
	test_require_bpf();
	assert_counts(7, 5);
}

static void test_counts_zero_when_nothing_spawned(void **state)
{
	(void)state;
	test_require_bpf();
	assert_counts(0, 0);
}

static void test_counts_many_processes(void **state)
{
	(void)state;
	test_require_bpf();
	assert_counts(200, 64);
}

static void test_exit_code_passes_through(void **state)
{
	char *args[] = {"--procs", "2", "--exit", "42", NULL};
	struct test_run r;
	json_object *root;

	(void)state;
	test_require_bpf();
	root = trace_spawn(&r, args);
	assert_int_equal(r.status, 42);
	assert_int_equal(test_json_int(root, "exit_status"), 42);
	json_object_put(root);
	test_run_free(&r);
}

static void test_death_by_signal_exits_128_plus_n(void **state)
{
	char *args[] = {"--threads", "1", "--signal", "9", NULL};
	char *segv[] = {"--signal", "11", NULL};
	struct test_run r;
	json_object *root;

	(void)state;
	test_require_bpf();
	root = trace_spawn(&r, args);
	assert_int_equal(r.status, 128 + 9);
	assert_int_equal(test_json_int(root, "signal"), 9);
	json_object_put(root);
	test_run_free(&r);

	root = trace_spawn(&r, segv);
	assert_int_equal(r.status, 128 + 11);
	json_object_put(root);
	test_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_exact_processes_and_threads),
		cmocka_unit_test(test_counts_zero_when_nothing_spawned),
		cmocka_unit_test(test_counts_many_processes),
		cmocka_unit_test(test_exit_code_passes_through),
		cmocka_unit_test(test_death_by_signal_exits_128_plus_n),
	};

	return cmocka_run_group_tests_name("trace_spawn", tests, NULL, NULL);
}
