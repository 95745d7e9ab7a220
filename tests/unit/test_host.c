/* Host detection against captured and modelled trees (tests/fixtures/sysroot/CASE, each with
 * its README and expected.json), the JSON round trip, the fingerprint, the overrides and the
 * CPU list parser; and two checks of the live system against independent sources. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cpulist.h"
#include "host.h"
#include "testutil.h"

static const char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/tests/fixtures/sysroot/%s", AMZ_SOURCE_DIR, name);
	return path;
}

static void detect(struct amz_host *h, const char *name)
{
	struct host_opts o = {.sysroot = fixture(name), .no_env = true};
	struct amz_err err = {0};

	if (host_detect(h, &o, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
}

/* The value at a dotted path; "sources.GROUP.KEY.FIELD" reads the sources entry GROUP.KEY. */
static json_object *at(json_object *doc, const char *dotted, bool *found)
{
	char path[256], *save = NULL, *part;
	json_object *o = doc;

	snprintf(path, sizeof(path), "%s", dotted);
	*found = false;
	if (strncmp(path, "sources.", 8) == 0) {
		char *group = path + 8, *key = strchr(group, '.'), *field;

		if (!key || !(field = strchr(key + 1, '.')))
			return NULL;
		*field++ = '\0';
		if (!json_object_object_get_ex(doc, "sources", &o) ||
		    !json_object_object_get_ex(o, group, &o))
			return NULL;
		*found = json_object_object_get_ex(o, field, &o);
		return o;
	}
	for (part = strtok_r(path, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
		if (!json_object_object_get_ex(o, part, &o))
			return NULL;
	}
	*found = true;
	return o;
}

static bool ignored_contains(json_object *doc, const char *text)
{
	json_object *list, *e, *f;
	size_t i;

	json_object_object_get_ex(doc, "ignored", &list);
	for (i = 0; i < json_object_array_length(list); i++) {
		e = json_object_array_get_idx(list, i);
		if (json_object_object_get_ex(e, "reason", &f) &&
		    strstr(json_object_get_string(f), text))
			return true;
	}
	return false;
}

static void check_key(const char *name, const struct amz_host *h, json_object *doc, const char *key,
		      json_object *want)
{
	const char *want_s = json_object_to_json_string(want);
	size_t klen = strlen(key);
	json_object *got;
	bool found;

	if (strcmp(key, "rounded.ceil") == 0 || strcmp(key, "rounded.floor") == 0) {
		int r = host_usable_cpus_rounded(h, key[8] == 'c' ? HOST_ROUND_CEIL
								  : HOST_ROUND_FLOOR);

		if (r != json_object_get_int(want))
			fail_msg("%s: %s is %d, expected %s", name, key, r, want_s);
		return;
	}
	if (strcmp(key, "ignored.contains") == 0) {
		if (!ignored_contains(doc, json_object_get_string(want)))
			fail_msg("%s: nothing ignored mentions \"%s\"", name, want_s);
		return;
	}
	if (strcmp(key, "ignored.count_at_least") == 0) {
		json_object_object_get_ex(doc, "ignored", &got);
		if ((int)json_object_array_length(got) < json_object_get_int(want))
			fail_msg("%s: fewer ignored values than %s", name, want_s);
		return;
	}
	if (klen > 9 && strcmp(key + klen - 9, "_contains") == 0) {
		char path[256];

		snprintf(path, sizeof(path), "%.*s", (int)(klen - 9), key);
		got = at(doc, path, &found);
		if (!found || !got ||
		    !strstr(json_object_get_string(got), json_object_get_string(want)))
			fail_msg("%s: %s is %s, which does not contain %s", name, path,
				 got ? json_object_to_json_string(got) : "missing", want_s);
		return;
	}

	got = at(doc, key, &found);
	if (!found)
		fail_msg("%s: the document has no %s", name, key);
	if (!json_object_equal(got, want) &&
	    !(got && want && json_object_is_type(want, json_type_double) &&
	      fabs(json_object_get_double(got) - json_object_get_double(want)) < 1e-9))
		fail_msg("%s: %s is %s, expected %s", name, key,
			 got ? json_object_to_json_string(got) : "null", want_s);
}

/* Detects the fixture and checks every key of its expected.json. */
static void check_fixture(const char *name)
{
	char path[4200];
	struct amz_host h;
	json_object *doc, *expected;

	detect(&h, name);
	doc = host_to_json(&h);
	snprintf(path, sizeof(path), "%s/expected.json", fixture(name));
	expected = test_load_json(path);
	json_object_object_foreach(expected, key, want)
	{
		check_key(name, &h, doc, key, want);
	}
	json_object_put(expected);
	json_object_put(doc);
	host_free(&h);
}

static void test_pure_v2_host_has_no_limits(void **state)
{
	(void)state;
	check_fixture("v2-host");
}

static void test_v1_host_reads_comounted_cpu_and_cpuset_cpus(void **state)
{
	(void)state;
	check_fixture("v1-host");
}

static void test_this_machines_hybrid_capture_replays(void **state)
{
	(void)state;
	check_fixture("hybrid-this-machine");
}

static void test_docker_v1_quota_of_one_and_a_half_cpus(void **state)
{
	struct amz_host h;

	(void)state;
	check_fixture("docker-v1-quota-1.5");
	detect(&h, "docker-v1-quota-1.5");
	assert_true(fabs(host_usable_cpus(&h) - 1.5) < 1e-9);
	assert_int_equal(host_usable_cpus_rounded(&h, HOST_ROUND_CEIL), 2);
	assert_int_equal(host_usable_cpus_rounded(&h, HOST_ROUND_FLOOR), 1);
	host_free(&h);
}

static void test_docker_v2_private_namespace_quota_of_half_a_cpu(void **state)
{
	struct amz_host h;

	(void)state;
	check_fixture("docker-v2-quota-0.5");
	detect(&h, "docker-v2-quota-0.5");
	assert_true(fabs(host_usable_cpus(&h) - 0.5) < 1e-9);
	assert_int_equal(host_usable_cpus_rounded(&h, HOST_ROUND_FLOOR), 1);
	host_free(&h);
}

static void test_docker_v2_host_namespace_finds_the_container_scope(void **state)
{
	(void)state;
	check_fixture("docker-v2-host-ns");
}

static void test_v1_limit_above_the_container_comes_from_hierarchical_limit(void **state)
{
	(void)state;
	check_fixture("k8s-v1-pod-parent-limit");
}

static void test_v2_limit_on_ancestor_wins(void **state)
{
	(void)state;
	check_fixture("k8s-v2-pod-parent-limit");
}

static void test_ancestor_tighter_than_leaf_wins(void **state)
{
	(void)state;
	check_fixture("v2-ancestor-tighter");
}

static void test_leaf_tighter_than_ancestor_wins(void **state)
{
	(void)state;
	check_fixture("v2-ancestor-looser");
}

static void test_memory_left_subtracts_usage_without_inactive_file(void **state)
{
	struct amz_host h;

	(void)state;
	detect(&h, "v2-ancestor-looser");
	/* memory.high 900 MiB, usage 700 MiB of which 100 MiB inactive file: 300 MiB left. */
	assert_int_equal(host_memory_left(&h), 943718400LL - (734003200LL - 104857600LL));
	host_free(&h);
}

static void test_cpuset_narrower_than_affinity_wins(void **state)
{
	(void)state;
	check_fixture("cpuset-narrower-than-affinity");
}

static void test_moved_process_uses_the_mount_point_and_says_so(void **state)
{
	(void)state;
	check_fixture("moved-process-missing-path");
}

static void test_dotdot_path_uses_the_mount_point_and_says_so(void **state)
{
	(void)state;
	check_fixture("dotdot-path");
}

static void test_dangling_v2_line_is_ignored_with_reason(void **state)
{
	(void)state;
	check_fixture("v1-dangling-v2-line");
}

static void test_escaped_mount_paths_are_decoded(void **state)
{
	(void)state;
	check_fixture("escaped-mount-path");
}

static void test_line_longer_than_any_buffer_parses(void **state)
{
	(void)state;
	check_fixture("long-lines");
}

static void test_v1_sentinel_of_64k_pages_is_no_limit(void **state)
{
	(void)state;
	check_fixture("v1-arm64-64k-pages");
}

static void test_offline_cpus_are_not_usable_and_siblings_share_a_core(void **state)
{
	struct amz_host h;
	int pair[2];

	(void)state;
	check_fixture("smt-offline-cpus");
	detect(&h, "smt-offline-cpus");
	assert_int_equal(host_smt_pair(&h, pair), 0);
	assert_int_equal(pair[0], 0);
	assert_int_equal(pair[1], 4);
	assert_int_equal(host_core_pair(&h, pair), 0);
	assert_int_not_equal(host_cpu_find(&h, pair[0])->core, host_cpu_find(&h, pair[1])->core);
	assert_null(host_cpu_find(&h, 6));
	host_free(&h);
}

static void test_no_smt_pair_when_allowed_cpus_are_on_separate_cores(void **state)
{
	struct amz_host h;
	int pair[2];

	(void)state;
	detect(&h, "cpuset-narrower-than-affinity");
	assert_int_equal(host_smt_pair(&h, pair), -1);
	assert_int_equal(host_core_pair(&h, pair), 0);
	assert_int_equal(pair[0], 2);
	assert_int_equal(pair[1], 3);
	host_free(&h);
}

static void test_intel_hybrid_core_types_are_counted(void **state)
{
	(void)state;
	check_fixture("intel-hybrid-alderlake");
}

static void test_arm_capacities_make_core_types(void **state)
{
	(void)state;
	check_fixture("arm-big-little");
}

static void test_garbage_files_are_unknown_with_reasons(void **state)
{
	(void)state;
	check_fixture("garbage-files");
}

static void test_empty_tree_is_unknown_everywhere(void **state)
{
	(void)state;
	check_fixture("empty-tree");
}

static void test_no_cgroup_mounted_is_version_none(void **state)
{
	(void)state;
	check_fixture("no-cgroup-mounted");
}

/* Calls fn with each fixture's name; fails when there are fewer than 15. */
static void for_each_fixture(void (*fn)(const char *name))
{
	char root[4096];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(root, sizeof(root), "%s/tests/fixtures/sysroot", AMZ_SOURCE_DIR);
	d = opendir(root);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fn(e->d_name);
		n++;
	}
	closedir(d);
	assert_true(n >= 15);
}

static void test_every_fixture_matches_its_expected_answer(void **state)
{
	(void)state;
	for_each_fixture(check_fixture);
}

static void check_readme(const char *name)
{
	char path[4200], *text = NULL;

	snprintf(path, sizeof(path), "%s/README", fixture(name));
	if (amz_read_file(path, &text, NULL) < 0)
		fail_msg("%s has no README saying what system it models", name);
	assert_true(strlen(text) > 40);
	assert_int_equal(test_count_lines(text), 1);
	free(text);
}

static void test_every_fixture_says_what_system_it_models(void **state)
{
	(void)state;
	for_each_fixture(check_readme);
}

static void check_round_trip(const char *name)
{
	struct amz_host h, back;
	struct amz_err err = {0};
	json_object *doc, *again;

	detect(&h, name);
	doc = host_to_json(&h);
	if (host_from_json(&back, doc, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
	again = host_to_json(&back);
	assert_string_equal(json_object_to_json_string(doc), json_object_to_json_string(again));
	assert_true(host_usable_cpus(&h) == host_usable_cpus(&back));
	assert_int_equal(host_memory_left(&h), host_memory_left(&back));
	json_object_put(doc);
	json_object_put(again);
	host_free(&h);
	host_free(&back);
}

static void test_json_round_trip_is_exact(void **state)
{
	(void)state;
	for_each_fixture(check_round_trip);
}

static void test_from_json_refuses_another_schema(void **state)
{
	struct amz_err err = {0};
	struct amz_host h, back;
	json_object *doc;

	(void)state;
	detect(&h, "v2-host");
	doc = host_to_json(&h);
	json_object_object_add(doc, "schema", json_object_new_int(HOST_SCHEMA + 1));
	assert_int_equal(host_from_json(&back, doc, &err), -1);
	assert_non_null(strstr(err.msg, "schema"));
	json_object_put(doc);
	host_free(&h);
}

static void test_from_json_refuses_a_missing_field(void **state)
{
	struct amz_err err = {0};
	struct amz_host h, back;
	json_object *doc, *mem;

	(void)state;
	detect(&h, "v2-host");
	doc = host_to_json(&h);
	json_object_object_get_ex(doc, "memory", &mem);
	json_object_object_del(mem, "limit");
	assert_int_equal(host_from_json(&back, doc, &err), -1);
	assert_non_null(strstr(err.msg, "\"limit\""));
	json_object_put(doc);
	host_free(&h);
}

static void test_fingerprint_is_equal_on_the_same_host_and_limits(void **state)
{
	struct amz_host a, b;
	char fa[1024], fb[1024];

	(void)state;
	detect(&a, "k8s-v2-pod-parent-limit");
	detect(&b, "k8s-v2-pod-parent-limit");
	host_fingerprint(&a, fa, sizeof(fa));
	host_fingerprint(&b, fb, sizeof(fb));
	assert_string_equal(fa, fb);
	assert_non_null(strstr(fa, "limit=3758096384"));
	host_free(&a);
	host_free(&b);
}

static void test_fingerprint_differs_when_a_limit_differs(void **state)
{
	struct amz_host a, b;
	char fa[1024], fb[1024];

	(void)state;
	detect(&a, "v2-ancestor-tighter");
	detect(&b, "v2-ancestor-looser");
	host_fingerprint(&a, fa, sizeof(fa));
	host_fingerprint(&b, fb, sizeof(fb));
	assert_string_not_equal(fa, fb);
	host_free(&a);
	host_free(&b);
}

static void detect_with_env(struct amz_host *h, const char *name, const char *cpus, const char *mem)
{
	struct host_opts o = {.sysroot = fixture(name)};
	struct amz_err err = {0};

	setenv("AMZ_CPUS", cpus, 1);
	setenv("AMZ_MEMORY", mem, 1);
	assert_int_equal(host_detect(h, &o, &err), 0);
	unsetenv("AMZ_CPUS");
	unsetenv("AMZ_MEMORY");
}

static void test_env_overrides_win_and_are_reported(void **state)
{
	struct amz_host h;

	(void)state;
	detect_with_env(&h, "docker-v2-quota-0.5", "3", "512M");
	assert_true(host_usable_cpus(&h) == 3.0);
	assert_string_equal(h.usable.source, "AMZ_CPUS");
	assert_int_equal(host_memory_left(&h), 512LL << 20);
	assert_string_equal(h.mem_left.source, "AMZ_MEMORY");
	/* What detection found stays in the report beside the override. */
	assert_true(fabs(h.quota.x - 0.5) < 1e-9);
	host_free(&h);
}

static void test_garbage_env_override_is_ignored_with_reason(void **state)
{
	struct amz_host h;

	(void)state;
	detect_with_env(&h, "docker-v2-quota-0.5", "lots", "-2G");
	assert_true(fabs(host_usable_cpus(&h) - 0.5) < 1e-9);
	assert_int_equal(h.env_cpus.state, HOST_UNKNOWN);
	assert_non_null(strstr(h.env_cpus.why, "not a positive number"));
	assert_non_null(strstr(h.env_memory.why, "not a size"));
	assert_int_equal(host_memory_left(&h), 268435456LL - 41943040LL);
	host_free(&h);
}

static void test_no_env_ignores_the_overrides(void **state)
{
	struct amz_host h;

	(void)state;
	setenv("AMZ_CPUS", "7", 1);
	detect(&h, "docker-v2-quota-0.5");
	unsetenv("AMZ_CPUS");
	assert_true(fabs(host_usable_cpus(&h) - 0.5) < 1e-9);
	assert_non_null(strstr(h.env_cpus.why, "ignored"));
	host_free(&h);
}

static void test_missing_sysroot_fails_with_a_sentence(void **state)
{
	struct host_opts o = {.sysroot = "/nonexistent/amz-sysroot"};
	struct amz_err err = {0};
	struct amz_host h;

	(void)state;
	assert_int_equal(host_detect(&h, &o, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/amz-sysroot"));
	assert_non_null(strstr(err.msg, "not a directory"));
}

static void test_cpu_list_beyond_1024_cpus_parses(void **state)
{
	struct cpulist l;
	char *s;

	(void)state;
	assert_int_equal(cpulist_parse(&l, "0-1023,1030,2000-2047\n"), 0);
	assert_int_equal(cpulist_count(&l), 1024 + 1 + 48);
	assert_true(cpulist_has(&l, 2047));
	assert_false(cpulist_has(&l, 1024));
	s = cpulist_format(&l);
	assert_string_equal(s, "0-1023,1030,2000-2047");
	free(s);
	cpulist_free(&l);
}

static void test_cpu_list_garbage_is_refused(void **state)
{
	const char *bad[] = {"0-x", "3-1", "1,,2", "-1", "99999999999", "0 1", "0-870912"};
	struct cpulist l;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (cpulist_parse(&l, bad[i]) == 0)
			fail_msg("\"%s\" was taken for a CPU list", bad[i]);
		assert_null(l.bits);
	}
	assert_int_equal(cpulist_parse(&l, "\n"), 0);
	assert_int_equal(cpulist_count(&l), 0);
}

static void test_live_affinity_agrees_with_proc_self_status(void **state)
{
	struct host_opts o = {.no_env = true};
	struct amz_err err = {0};
	struct amz_host h;
	struct cpulist l;
	char *status = NULL, *line;

	(void)state;
	assert_int_equal(host_detect(&h, &o, &err), 0);
	assert_int_equal(amz_read_file("/proc/self/status", &status, NULL), 0);
	line = strstr(status, "Cpus_allowed_list:");
	assert_non_null(line);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(cpulist_parse(&l, line + strlen("Cpus_allowed_list:")), 0);
	assert_string_equal(h.affinity.source, "sched_getaffinity");
	assert_int_equal(h.affinity.n, cpulist_count(&l));
	assert_true(host_usable_cpus(&h) >= 1);
	cpulist_free(&l);
	free(status);
	host_free(&h);
}

static void test_live_rlimits_come_from_getrlimit(void **state)
{
	struct host_opts o = {.no_env = true};
	struct amz_err err = {0};
	struct amz_host h;
	struct rlimit rl;

	(void)state;
	assert_int_equal(host_detect(&h, &o, &err), 0);
	assert_int_equal(getrlimit(RLIMIT_DATA, &rl), 0);
	if (rl.rlim_cur == RLIM_INFINITY)
		assert_int_equal(h.rlimit_data.state, HOST_NO_LIMIT);
	else
		assert_int_equal(h.rlimit_data.n, (long long)rl.rlim_cur);
	assert_string_equal(h.rlimit_data.source, "getrlimit");
	host_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pure_v2_host_has_no_limits),
		cmocka_unit_test(test_v1_host_reads_comounted_cpu_and_cpuset_cpus),
		cmocka_unit_test(test_this_machines_hybrid_capture_replays),
		cmocka_unit_test(test_docker_v1_quota_of_one_and_a_half_cpus),
		cmocka_unit_test(test_docker_v2_private_namespace_quota_of_half_a_cpu),
		cmocka_unit_test(test_docker_v2_host_namespace_finds_the_container_scope),
		cmocka_unit_test(test_v1_limit_above_the_container_comes_from_hierarchical_limit),
		cmocka_unit_test(test_v2_limit_on_ancestor_wins),
		cmocka_unit_test(test_ancestor_tighter_than_leaf_wins),
		cmocka_unit_test(test_leaf_tighter_than_ancestor_wins),
		cmocka_unit_test(test_memory_left_subtracts_usage_without_inactive_file),
		cmocka_unit_test(test_cpuset_narrower_than_affinity_wins),
		cmocka_unit_test(test_moved_process_uses_the_mount_point_and_says_so),
		cmocka_unit_test(test_dotdot_path_uses_the_mount_point_and_says_so),
		cmocka_unit_test(test_dangling_v2_line_is_ignored_with_reason),
		cmocka_unit_test(test_escaped_mount_paths_are_decoded),
		cmocka_unit_test(test_line_longer_than_any_buffer_parses),
		cmocka_unit_test(test_v1_sentinel_of_64k_pages_is_no_limit),
		cmocka_unit_test(test_offline_cpus_are_not_usable_and_siblings_share_a_core),
		cmocka_unit_test(test_no_smt_pair_when_allowed_cpus_are_on_separate_cores),
		cmocka_unit_test(test_intel_hybrid_core_types_are_counted),
		cmocka_unit_test(test_arm_capacities_make_core_types),
		cmocka_unit_test(test_garbage_files_are_unknown_with_reasons),
		cmocka_unit_test(test_empty_tree_is_unknown_everywhere),
		cmocka_unit_test(test_no_cgroup_mounted_is_version_none),
		cmocka_unit_test(test_every_fixture_matches_its_expected_answer),
		cmocka_unit_test(test_every_fixture_says_what_system_it_models),
		cmocka_unit_test(test_json_round_trip_is_exact),
		cmocka_unit_test(test_from_json_refuses_another_schema),
		cmocka_unit_test(test_from_json_refuses_a_missing_field),
		cmocka_unit_test(test_fingerprint_is_equal_on_the_same_host_and_limits),
		cmocka_unit_test(test_fingerprint_differs_when_a_limit_differs),
		cmocka_unit_test(test_env_overrides_win_and_are_reported),
		cmocka_unit_test(test_garbage_env_override_is_ignored_with_reason),
		cmocka_unit_test(test_no_env_ignores_the_overrides),
		cmocka_unit_test(test_missing_sysroot_fails_with_a_sentence),
		cmocka_unit_test(test_cpu_list_beyond_1024_cpus_parses),
		cmocka_unit_test(test_cpu_list_garbage_is_refused),
		cmocka_unit_test(test_live_affinity_agrees_with_proc_self_status),
		cmocka_unit_test(test_live_rlimits_come_from_getrlimit),
	};

	return cmocka_run_group_tests_name("host", tests, NULL, NULL);
}
