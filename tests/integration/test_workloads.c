/* The workload suite: each program runs its map, agrees with a serial loop (--verify), and
 * ends with the suite's line; heterogeneous costs come back the same from the same seed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

struct suite_line {
	char workload[32];
	size_t items, jobs, chunksize;
	char kind[16];
	char schedule[16];
	char checksum[32];
	double seconds, items_per_s;
};

/* The last line of out, parsed; fails the test when it does not have the suite's form. */
static void parse_last_line(const char *out, struct suite_line *l)
{
	const char *last = out, *p;
	int n;

	for (p = out; *p; p++) {
		if (*p == '\n' && p[1])
			last = p + 1;
	}
	n = sscanf(last,
		   "workload=%31s items=%zu jobs=%zu chunksize=%zu kind=%15s schedule=%15s "
		   "checksum=%31s seconds=%lf items_per_s=%lf",
		   l->workload, &l->items, &l->jobs, &l->chunksize, l->kind, l->schedule,
		   l->checksum, &l->seconds, &l->items_per_s);
	if (n != 9)
		fail_msg("not the suite's line: %s", last);
	assert_true(l->seconds >= 0 && l->items_per_s >= 0);
}

static void run_workload(struct test_run *r, const char *name, const char *const extra[])
{
	char *argv[24] = {(char *)test_build_path(0, name)};
	int i;

	for (i = 0; extra[i] && i < 22; i++)
		argv[i + 1] = (char *)extra[i];
	argv[i + 1] = NULL;
	test_run(r, argv);
}

static void assert_runs_and_verifies(const char *name, const char *param, const char *value)
{
	static const char *const shapes[][5] = {
		{"--processes", "--schedule", "fixed", "--chunksize", "4"},
		{"--threads", "--schedule", "factoring", "--chunksize", "2"},
	};
	char first[32] = "";
	size_t s;

	for (s = 0; s < 2; s++) {
		const char *args[] = {"--items",    "60",	  "--jobs",	"3",
				      "--verify",   param,	  value,	shapes[s][0],
				      shapes[s][1], shapes[s][2], shapes[s][3], shapes[s][4],
				      NULL};
		struct suite_line l;
		struct test_run r;

		run_workload(&r, name, args);
		if (r.status != 0)
			fail_msg("%s exited with %d: %s", name, r.status, r.err);
		parse_last_line(r.out, &l);
		assert_int_equal(l.items, 60);
		assert_int_equal(l.jobs, 3);
		assert_string_equal(l.workload, strrchr(name, '/') + 1);
		if (first[0])
			assert_string_equal(l.checksum, first);
		snprintf(first, sizeof(first), "%s", l.checksum);
		test_run_free(&r);
	}
}

static void test_tiny_workload_matches_serial(void **state)
{
	(void)state;
	assert_runs_and_verifies("workloads/tiny", "--work", "100");
}

static void test_heavy_workload_matches_serial(void **state)
{
	(void)state;
	assert_runs_and_verifies("workloads/heavy", "--work", "20000");
}

static void test_heterogeneous_workload_matches_serial(void **state)
{
	(void)state;
	assert_runs_and_verifies("workloads/hetero", "--cv", "3");
}

static void test_memory_workload_matches_serial(void **state)
{
	(void)state;
	assert_runs_and_verifies("workloads/memory", "--mib", "2");
}

static void test_io_workload_matches_serial(void **state)
{
	(void)state;
	assert_runs_and_verifies("workloads/io", "--sleep-us", "200");
}

static void hetero_checksum(const char *seed, const char *cv, char *out, size_t len)
{
	const char *args[] = {"--items", "500", "--mean-work", "200", "--seed", seed,
			      "--cv",	 cv,	"--threads",   NULL};
	struct suite_line l;
	struct test_run r;

	run_workload(&r, "workloads/hetero", args);
	assert_int_equal(r.status, 0);
	parse_last_line(r.out, &l);
	snprintf(out, len, "%s", l.checksum);
	test_run_free(&r);
}

static void test_heterogeneous_costs_come_from_the_seed(void **state)
{
	char a[32], b[32], c[32], d[32];

	(void)state;
	hetero_checksum("7", "0.5", a, sizeof(a));
	hetero_checksum("7", "0.5", b, sizeof(b));
	hetero_checksum("8", "0.5", c, sizeof(c));
	hetero_checksum("7", "3", d, sizeof(d));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
}

static void test_xargs_workload_runs_chunks_as_processes(void **state)
{
	char script[4096];
	char *argv[] = {script,	       "--items", "257",      "--jobs", "3",
			"--chunksize", "10",	  "--verify", NULL};
	struct suite_line l;
	struct test_run r;

	(void)state;
	snprintf(script, sizeof(script), "%s/tools/workloads/xargs-chunks.sh", AMZ_SOURCE_DIR);
	setenv("AMZ_CHUNK_PROGRAM", test_build_path(1, "workloads/chunk"), 1);
	test_run(&r, argv);
	if (r.status != 0)
		fail_msg("xargs-chunks.sh exited with %d: %s", r.status, r.err);
	parse_last_line(r.out, &l);
	assert_string_equal(l.workload, "xargs");
	assert_int_equal(l.items, 257);
	assert_int_equal(l.chunksize, 10);
	assert_string_equal(l.kind, "processes");
	test_run_free(&r);
}

static void test_bad_option_is_one_sentence_and_status_2(void **state)
{
	const char *args[] = {"--jobs", "0", NULL};
	struct test_run r;

	(void)state;
	run_workload(&r, "workloads/tiny", args);
	assert_int_equal(r.status, 2);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "tiny: --jobs '0' is not a whole number of at least 1"));
	assert_string_equal(r.out, "");
	test_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiny_workload_matches_serial),
		cmocka_unit_test(test_heavy_workload_matches_serial),
		cmocka_unit_test(test_heterogeneous_workload_matches_serial),
		cmocka_unit_test(test_memory_workload_matches_serial),
		cmocka_unit_test(test_io_workload_matches_serial),
		cmocka_unit_test(test_heterogeneous_costs_come_from_the_seed),
		cmocka_unit_test(test_xargs_workload_runs_chunks_as_processes),
		cmocka_unit_test(test_bad_option_is_one_sentence_and_status_2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
