/* amzprof under valgrind's memcheck: host, list, show and a traced run (with and without a
 * calibration first) leak nothing and make no memory error, in amzprof and in the processes it
 * forks. tests/valgrind.supp lists what valgrind cannot judge (bpf(2) arguments as libbpf sizes
 * them). A sanitized build cannot run under valgrind: there these tests are skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define VALGRIND "/usr/bin/valgrind"

static char store[64];

static int setup_group(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"--name",
			"run",
			"-o",
			"/dev/null",
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--procs",
			"1",
			NULL};
	struct test_run r;

	(void)state;
	snprintf(store, sizeof(store), "/tmp/amz-valgrind-%d", (int)getpid());
	mkdir(store, 0700);
	/* A host profile and a workload profile to list and show (calibrated on the way). */
	test_run(&r, argv);
	test_run_free(&r);
	return r.status;
}

static int teardown_group(void **state)
{
	(void)state;
	return test_remove_tree(store);
}

static void require_valgrind(void)
{
#if defined(__SANITIZE_ADDRESS__)
	print_message("skipped: a sanitized build cannot run under valgrind; the plain build's "
		      "make check runs these tests\n");
	skip();
#endif
	if (access(VALGRIND, X_OK) < 0)
		test_skip_or_fail("valgrind is not installed (tools/install-deps.sh installs it)");
}

/* Runs amzprof ARGS... under memcheck and fails on any error or leak, naming it. */
static void run_clean(int expected_status, char *const args[])
{
	char supp[512], *argv[32] = {
				VALGRIND,
				"-q",
				"--leak-check=full",
				"--show-leak-kinds=definite,indirect,possible",
				"--errors-for-leak-kinds=definite,indirect,possible",
				"--error-exitcode=99",
				supp,
				(char *)test_build_path(0, "amzprof"),
			};
	struct test_run r;
	const char *line;
	int i, n = 8;

	snprintf(supp, sizeof(supp), "--suppressions=%s/tests/valgrind.supp", AMZ_SOURCE_DIR);
	for (i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	test_run(&r, argv);
	/* memcheck's findings start with ==PID==, from amzprof or any process it forked. */
	for (line = r.err; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (line[0] == '=' && line[1] == '=')
			fail_msg("valgrind found a problem:\n%s", r.err);
	}
	if (r.status != expected_status)
		fail_msg("status %d, not %d:\n%s", r.status, expected_status, r.err);
	test_run_free(&r);
}

static void test_host_is_clean(void **state)
{
	char *text[] = {"host", NULL};
	char *json[] = {"host", "--json", NULL};

	(void)state;
	require_valgrind();
	run_clean(0, text);
	run_clean(0, json);
}

static void test_list_is_clean(void **state)
{
	char *args[] = {"list", "--store", store, NULL};

	(void)state;
	require_valgrind();
	run_clean(0, args);
}

static void test_show_is_clean(void **state)
{
	char *host[] = {"show", "--store", store, "host", NULL};
	char *run[] = {"show", "--store", store, "run", NULL};
	char *json[] = {"show", "--json", "--store", store, "run", NULL};
	char *missing[] = {"show", "--store", store, "no-such-profile", NULL};

	(void)state;
	require_valgrind();
	run_clean(0, host);
	run_clean(0, run);
	run_clean(0, json);
	run_clean(1, missing);
}

static void test_traced_run_is_clean(void **state)
{
	char *spawn[] = {
		"--store", store,	"--name",    "valgrind-spawn",
		"-o",	   "/dev/null", "--",	     (char *)test_build_path(1, "workloads/spawn"),
		"--procs", "2",		"--threads", "2",
		"--exit",  "3",		NULL};
	char *markers[] = {"--store",
			   store,
			   "--json",
			   "-o",
			   "/dev/null",
			   "--",
			   (char *)test_build_path(2, "workloads/chunks"),
			   "--threads",
			   "2",
			   NULL};

	(void)state;
	require_valgrind();
	test_require_bpf();
	run_clean(3, spawn);
	run_clean(0, markers);
}

static void test_run_that_calibrates_first_is_clean(void **state)
{
	char *fresh;
	char *args[] = {"--store",   NULL, "-o",
			"/dev/null", "--", (char *)test_build_path(1, "workloads/spawn"),
			"--procs",   "1",  NULL};

	(void)state;
	require_valgrind();
	test_require_bpf();
	fresh = args[1] = test_temp_path("valgrind-fresh-store");
	/* Calibration forks probe partners, which valgrind checks when they exit. */
	run_clean(0, args);
	assert_int_equal(test_remove_tree(fresh), 0);
	free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_is_clean),
		cmocka_unit_test(test_list_is_clean),
		cmocka_unit_test(test_show_is_clean),
		cmocka_unit_test(test_traced_run_is_clean),
		cmocka_unit_test(test_run_that_calibrates_first_is_clean),
	};

	return cmocka_run_group_tests_name("valgrind", tests, setup_group, teardown_group);
}
