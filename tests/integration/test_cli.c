/* The command line's refusals: each a single sentence on stderr and a documented status. */
#include <string.h>

#include "testutil.h"

static void run_amzprof(struct test_run *r, char *const args[])
{
	char *argv[16] = {(char *)test_build_path(0, "amzprof")};
	int i;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	test_run(r, argv);
}

static void assert_one_sentence(const struct test_run *r, const char *fragment)
{
	assert_int_equal(test_count_lines(r->err), 1);
	assert_non_null(strstr(r->err, "amzprof: "));
	assert_non_null(strstr(r->err, fragment));
	assert_null(strstr(r->err, "rror -"));
}

static void test_no_command_is_a_usage_error(void **state)
{
	char *args[] = {NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 2);
	assert_one_sentence(&r, "no command given");
	test_run_free(&r);
}

static void test_unknown_flag_is_a_usage_error(void **state)
{
	char *args[] = {"--frobnicate", "--", "true", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 2);
	assert_one_sentence(&r, "unknown option '--frobnicate'");
	test_run_free(&r);
}

static void test_unknown_short_option_in_a_cluster_is_named_alone(void **state)
{
	char *args[] = {"show", "--json", "-vx", "name", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 2);
	assert_one_sentence(&r, "unknown option '-x' for 'amzprof show'");
	test_run_free(&r);
}

static void test_unknown_short_option_is_not_called_a_missing_value(void **state)
{
	char *args[] = {"calibrate", "-x", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 2);
	assert_one_sentence(&r, "unknown option '-x' for 'amzprof calibrate'");
	test_run_free(&r);
}

static void test_missing_value_names_the_long_option_without_its_value(void **state)
{
	char *args[] = {"list", "--sto", NULL};
	char *args_eq[] = {"export", "--bogus=3", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 2);
	assert_one_sentence(&r, "option '--sto' needs a value");
	test_run_free(&r);
	run_amzprof(&r, args_eq);
	assert_int_equal(r.status, 2);
	assert_one_sentence(&r, "unknown option '--bogus' for 'amzprof export'");
	test_run_free(&r);
}

static void test_unknown_subcommand_is_a_usage_error(void **state)
{
	char *args[] = {"frobnicate", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 2);
	assert_one_sentence(&r, "unknown command 'frobnicate'");
	test_run_free(&r);
}

static void test_nothing_after_double_dash_is_a_usage_error(void **state)
{
	char *args[] = {"--", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 2);
	assert_one_sentence(&r, "no command to trace");
	test_run_free(&r);
}

static void test_missing_command_exits_127(void **state)
{
	char *args[] = {"--", "amz-no-such-command-anywhere", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 127);
	assert_one_sentence(&r, "cannot run 'amz-no-such-command-anywhere'");
	test_run_free(&r);
}

static void test_missing_path_exits_127(void **state)
{
	char *args[] = {"--", "/nonexistent/amz/bin", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 127);
	assert_one_sentence(&r, "no such file or directory");
	test_run_free(&r);
}

static void test_directory_as_command_exits_126(void **state)
{
	char *args[] = {"--", "/tmp", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, args);
	assert_int_equal(r.status, 126);
	assert_one_sentence(&r, "it is a directory");
	test_run_free(&r);
}

static void test_help_and_version_succeed(void **state)
{
	char *help[] = {"--help", NULL};
	char *version[] = {"--version", NULL};
	struct test_run r;

	(void)state;
	run_amzprof(&r, help);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: amzprof"));
	test_run_free(&r);

	run_amzprof(&r, version);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "amzprof "));
	test_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_command_is_a_usage_error),
		cmocka_unit_test(test_unknown_flag_is_a_usage_error),
		cmocka_unit_test(test_unknown_short_option_in_a_cluster_is_named_alone),
		cmocka_unit_test(test_unknown_short_option_is_not_called_a_missing_value),
		cmocka_unit_test(test_missing_value_names_the_long_option_without_its_value),
		cmocka_unit_test(test_unknown_subcommand_is_a_usage_error),
		cmocka_unit_test(test_nothing_after_double_dash_is_a_usage_error),
		cmocka_unit_test(test_missing_command_exits_127),
		cmocka_unit_test(test_missing_path_exits_127),
		cmocka_unit_test(test_directory_as_command_exits_126),
		cmocka_unit_test(test_help_and_version_succeed),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
