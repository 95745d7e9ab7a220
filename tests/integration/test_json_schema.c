/* docs/json.md is the JSON reference: every --json document (host, calibrate, a traced run,
 * recommend, show) has an integer "schema", and every key its tables call required is in the
 * real output of that command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

static char store[64];

static int make_store(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"calibrate",
			"--quick",
			"--store",
			store,
			NULL};
	struct test_run r;

	(void)state;
	if (test_temp_dir(store, sizeof(store), "amz-schema") < 0)
		return -1;
	test_run(&r, argv);
	test_run_free(&r);
	return r.status;
}

static int remove_store(void **state)
{
	(void)state;
	return test_remove_tree(store);
}

/* The required keys of the table under the heading that starts with heading. */
static int required_keys(const char *heading, char keys[][96], int max)
{
	char *doc = NULL, *p, *end;
	int n = 0;

	if (amz_read_file(AMZ_SOURCE_DIR "/docs/json.md", &doc, NULL) < 0)
		fail_msg("docs/json.md is missing");
	p = strstr(doc, heading);
	if (!p)
		fail_msg("docs/json.md has no section %s", heading);
	end = strstr(p + 1, "\n## ");
	for (p = strstr(p, "\n| `"); p && (!end || p < end) && n < max;
	     p = strstr(p + 1, "\n| `")) {
		char key[96], req[16];

		if (sscanf(p, "\n| `%95[^`]` | %*[^|] | %15[^ |]", key, req) != 2)
			continue;
		if (strcmp(req, "yes") != 0)
			continue;
		key[strcspn(key, "[")] = '\0';
		snprintf(keys[n++], sizeof(keys[0]), "%s", key);
	}
	free(doc);
	return n;
}

/* Whether the key at dotted is there, even when its value is null (unknown). */
static int has_key(json_object *o, const char *dotted)
{
	char part[96];
	const char *p = dotted;

	while (*p) {
		size_t n = strcspn(p, ".");
		json_object *next = NULL;

		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, part, &next))
			return 0;
		o = next;
		p += n;
		if (*p == '.')
			p++;
	}
	return 1;
}

static void check_against_docs(json_object *doc, const char *heading, int at_least)
{
	char keys[128][96];
	int n = required_keys(heading, keys, 128), i;

	assert_true(n >= at_least);
	for (i = 0; i < n; i++) {
		if (!has_key(doc, keys[i]))
			fail_msg("%s: docs/json.md requires \"%s\", which the output lacks",
				 heading, keys[i]);
	}
	assert_true(json_object_is_type(json_object_object_get(doc, "schema"), json_type_int));
	assert_int_equal(test_json_int(doc, "schema"), 1);
}

static json_object *stdout_json(char *const argv[])
{
	struct test_run r;
	json_object *doc;

	test_run(&r, argv);
	if (r.status != 0)
		fail_msg("%s %s failed: %s", argv[0], argv[1], r.err);
	doc = json_tokener_parse(r.out);
	if (!doc)
		fail_msg("%s %s printed no JSON", argv[0], argv[1]);
	test_run_free(&r);
	return doc;
}

static void test_host_document_has_every_documented_key(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"), "host", "--json", NULL};
	json_object *doc = stdout_json(argv);

	(void)state;
	check_against_docs(doc, "## `amzprof host --json`", 30);
	json_object_put(doc);
}

static void test_calibration_document_has_every_documented_key(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"calibrate",
			"--quick",
			"--no-save",
			"--json",
			NULL};
	json_object *doc = stdout_json(argv);

	(void)state;
	check_against_docs(doc, "## `amzprof calibrate --json`", 15);
	assert_string_equal(json_object_get_string(json_object_object_get(doc, "kind")),
			    "calibration");
	json_object_put(doc);
}

static void test_run_document_has_every_documented_key(void **state)
{
	char *report = test_temp_path("schema-run.json");
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"--name",
			"run",
			"--json",
			"-o",
			report,
			"--",
			(char *)test_build_path(1, "workloads/chunks"),
			"--chunks",
			"4",
			NULL};
	struct test_run r;
	json_object *doc;

	(void)state;
	test_require_bpf();
	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	test_run_free(&r);
	doc = test_load_json(report);
	check_against_docs(doc, "## `amzprof --json -- COMMAND`", 35);
	assert_string_equal(json_object_get_string(json_object_object_get(doc, "kind")), "run");
	assert_true(test_json_has(doc, "chunks.count"));
	json_object_put(doc);
	unlink(report);
	free(report);
}

static void test_recommendation_document_has_every_documented_key(void **state)
{
	char *report = test_temp_path("schema-rec.json");
	char *run[] = {(char *)test_build_path(0, "amzprof"),
		       "--store",
		       store,
		       "--name",
		       "het",
		       "-o",
		       report,
		       "--",
		       (char *)test_build_path(1, "workloads/hetero"),
		       "--items",
		       "2000",
		       "--jobs",
		       "2",
		       "--chunksize",
		       "50",
		       NULL};
	char *recommend[] = {(char *)test_build_path(0, "amzprof"),
			     "recommend",
			     "het",
			     "--store",
			     store,
			     "--json",
			     NULL};
	struct test_run r;
	json_object *doc;

	(void)state;
	test_require_bpf();
	test_run(&r, run);
	assert_int_equal(r.status, 0);
	test_run_free(&r);
	doc = stdout_json(recommend);
	check_against_docs(doc, "## `amzprof recommend NAME --json`", 12);
	json_object_put(doc);
	unlink(report);
	free(report);
}

static void test_saved_profiles_have_every_documented_key(void **state)
{
	char *host[] = {(char *)test_build_path(0, "amzprof"),
			"show",
			"host",
			"--store",
			store,
			"--json",
			NULL};
	json_object *doc = stdout_json(host);

	(void)state;
	check_against_docs(doc, "## `amzprof show NAME --json`", 7);
	assert_true(test_json_has(doc, "host.cpu.usable"));
	assert_true(test_json_has(doc, "calibration.spawn_ns.fork"));
	json_object_put(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_document_has_every_documented_key),
		cmocka_unit_test(test_calibration_document_has_every_documented_key),
		cmocka_unit_test(test_run_document_has_every_documented_key),
		cmocka_unit_test(test_recommendation_document_has_every_documented_key),
		cmocka_unit_test(test_saved_profiles_have_every_documented_key),
	};

	return cmocka_run_group_tests_name("json_schema", tests, make_store, remove_store);
}
