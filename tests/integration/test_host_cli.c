/* amzprof host from the command line: the report, the JSON document, -v, and its refusals,
 * each a single sentence and a documented status. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

static void run_host(struct test_run *r, char *const args[])
{
	char *argv[16] = {(char *)test_build_path(0, "amzprof"), "host"};
	int i;

	for (i = 0; args[i] && i < 13; i++)
		argv[i + 2] = args[i];
	argv[i + 2] = NULL;
	test_run(r, argv);
}

static char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/tests/fixtures/sysroot/%s", AMZ_SOURCE_DIR, name);
	return path;
}

static void test_json_has_the_documented_keys(void **state)
{
	char *args[] = {"--json", "--sysroot", fixture("docker-v2-quota-0.5"), NULL};
	json_object *doc, *cpu, *mem, *cg, *v;
	struct test_run r;

	(void)state;
	run_host(&r, args);
	assert_int_equal(r.status, 0);
	doc = json_tokener_parse(r.out);
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "schema", &v));
	assert_true(json_object_object_get_ex(doc, "cpu", &cpu));
	assert_true(json_object_object_get_ex(doc, "memory", &mem));
	assert_true(json_object_object_get_ex(doc, "cgroup", &cg));
	assert_true(json_object_object_get_ex(cpu, "online", &v));
	assert_true(json_object_object_get_ex(cpu, "physical_cores", &v));
	assert_true(json_object_object_get_ex(cpu, "affinity", &v));
	assert_true(json_object_object_get_ex(cpu, "quota", &v));
	assert_true(json_object_get_double(v) == 0.5);
	assert_true(json_object_object_get_ex(cpu, "usable", &v));
	assert_true(json_object_object_get_ex(mem, "total", &v));
	assert_true(json_object_object_get_ex(mem, "available", &v));
	assert_true(json_object_object_get_ex(mem, "limit", &v));
	assert_int_equal(json_object_get_int64(v), 268435456);
	assert_true(json_object_object_get_ex(cg, "version", &v));
	assert_string_equal(json_object_get_string(v), "v2");
	assert_true(json_object_object_get_ex(doc, "sources", &v));
	json_object_put(doc);
	test_run_free(&r);
}

static void test_report_names_each_source_and_what_was_ignored(void **state)
{
	char *args[] = {"--sysroot", fixture("k8s-v1-pod-parent-limit"), NULL};
	struct test_run r;

	(void)state;
	run_host(&r, args);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "from /sys/fs/cgroup/memory/memory.stat "
				      "(hierarchical_memory_limit)"));
	assert_non_null(strstr(r.out, "Ignored"));
	assert_non_null(strstr(r.out, "cpu.shares 2 is a relative weight"));
	assert_string_equal(r.err, "");
	test_run_free(&r);
}

static void test_verbose_says_what_was_detected(void **state)
{
	char *args[] = {"-v", "--sysroot", fixture("v2-ancestor-tighter"), NULL};
	struct test_run r;

	(void)state;
	run_host(&r, args);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "amzprof: cgroup: memory controller on v2"));
	assert_non_null(strstr(r.err, "memory limit 2147483648 bytes"));
	test_run_free(&r);
}

static void test_live_report_succeeds(void **state)
{
	char *args[] = {NULL};
	struct test_run r;

	(void)state;
	run_host(&r, args);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usable"));
	test_run_free(&r);
}

static void test_missing_sysroot_fails_with_one_sentence(void **state)
{
	char *args[] = {"--sysroot", "/nonexistent/amz-tree", NULL};
	struct test_run r;

	(void)state;
	run_host(&r, args);
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(
		strstr(r.err, "amzprof: cannot read the system tree /nonexistent/amz-tree"));
	test_run_free(&r);
}

static void test_unknown_option_is_a_usage_error(void **state)
{
	char *args[] = {"--frobnicate", NULL};
	struct test_run r;

	(void)state;
	run_host(&r, args);
	assert_int_equal(r.status, 2);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "unknown option '--frobnicate'"));
	test_run_free(&r);
}

static void test_sysroot_without_a_value_is_a_usage_error(void **state)
{
	char *args[] = {"--sysroot", NULL};
	struct test_run r;

	(void)state;
	run_host(&r, args);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "option '--sysroot' needs a value"));
	test_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_has_the_documented_keys),
		cmocka_unit_test(test_report_names_each_source_and_what_was_ignored),
		cmocka_unit_test(test_verbose_says_what_was_detected),
		cmocka_unit_test(test_live_report_succeeds),
		cmocka_unit_test(test_missing_sysroot_fails_with_one_sentence),
		cmocka_unit_test(test_unknown_option_is_a_usage_error),
		cmocka_unit_test(test_sysroot_without_a_value_is_a_usage_error),
	};

	return cmocka_run_group_tests_name("host_cli", tests, NULL, NULL);
}
