/* amzprof list, show, diff and rm on a real store: what they print, and their refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "profile.h"

static char store_dir[64];

static int setup(void **state)
{
	(void)state;
	return test_temp_dir(store_dir, sizeof(store_dir), "amz-cli-store");
}

static int teardown(void **state)
{
	(void)state;
	return test_remove_tree(store_dir);
}

static json_object *save_host(const char *name, double fork_ns)
{
	struct profile_store s;
	struct amz_err err = {0};
	json_object *doc = profile_new(PROFILE_HOST, name);
	json_object *cal = json_object_new_object(), *fork = json_object_new_object();

	json_object_object_add(fork, "median", json_object_new_double(fork_ns));
	json_object_object_add(cal, "spawn_ns", fork);
	json_object_object_add(doc, "calibration", cal);
	assert_int_equal(profile_store_open(&s, store_dir, &err), 0);
	assert_int_equal(profile_save(&s, name, doc, &err), 0);
	profile_store_close(&s);
	return doc;
}

static void amzprof(struct test_run *r, const char *cmd, const char *a, const char *b)
{
	char *argv[8] = {(char *)test_build_path(0, "amzprof"), (char *)cmd, "--store", store_dir};
	int i = 4;

	if (a)
		argv[i++] = (char *)a;
	if (b)
		argv[i++] = (char *)b;
	argv[i] = NULL;
	test_run(r, argv);
}

static void test_list_names_every_profile_with_its_kind(void **state)
{
	struct test_run r;

	(void)state;
	json_object_put(save_host("alpha", 250000));
	json_object_put(save_host("beta", 120000));
	amzprof(&r, "list", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "alpha"));
	assert_non_null(strstr(r.out, "beta"));
	assert_non_null(strstr(r.out, "host"));
	test_run_free(&r);
}

static void test_show_json_prints_the_saved_document(void **state)
{
	json_object *doc = save_host("alpha", 250000), *printed;
	struct test_run r;

	(void)state;
	amzprof(&r, "show", "alpha", "--json");
	assert_int_equal(r.status, 0);
	printed = json_tokener_parse(r.out);
	assert_non_null(printed);
	assert_true(json_object_equal(doc, printed));
	json_object_put(printed);
	json_object_put(doc);
	test_run_free(&r);
}

static void test_show_text_gives_values_in_their_units(void **state)
{
	struct test_run r;

	(void)state;
	json_object_put(save_host("alpha", 250000));
	amzprof(&r, "show", "alpha", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "250.0 us"));
	test_run_free(&r);
}

static void test_diff_prints_the_ratio(void **state)
{
	struct test_run r;

	(void)state;
	json_object_put(save_host("alpha", 250000));
	json_object_put(save_host("beta", 125000));
	amzprof(&r, "diff", "alpha", "beta");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "calibration.spawn_ns.median"));
	assert_non_null(strstr(r.out, "0.5"));
	test_run_free(&r);
}

static void test_show_of_damaged_profile_fails_with_one_sentence(void **state)
{
	char path[256];
	struct test_run r;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/broken.json.gz", store_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not gzip", f);
	fclose(f);

	amzprof(&r, "show", "broken", NULL);
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, path));
	assert_int_equal(access(path, F_OK), 0);
	test_run_free(&r);
}

static void test_rm_removes_and_then_reports_missing(void **state)
{
	struct test_run r;

	(void)state;
	json_object_put(save_host("gone", 1));
	amzprof(&r, "rm", "gone", NULL);
	assert_int_equal(r.status, 0);
	test_run_free(&r);
	amzprof(&r, "show", "gone", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no profile named 'gone'"));
	test_run_free(&r);
}

static void test_missing_operand_is_a_usage_error(void **state)
{
	struct test_run r;

	(void)state;
	amzprof(&r, "diff", "only-one", NULL);
	assert_int_equal(r.status, 2);
	assert_int_equal(test_count_lines(r.err), 1);
	test_run_free(&r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_list_names_every_profile_with_its_kind),
		T(test_show_json_prints_the_saved_document),
		T(test_show_text_gives_values_in_their_units),
		T(test_diff_prints_the_ratio),
		T(test_show_of_damaged_profile_fails_with_one_sentence),
		T(test_rm_removes_and_then_reports_missing),
		T(test_missing_operand_is_a_usage_error),
	};

	return cmocka_run_group_tests_name("profile_cli", tests, NULL, NULL);
}
