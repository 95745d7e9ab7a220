/* Cgroup discovery: mountinfo and /proc/self/cgroup parsing, v1/v2/hybrid per controller, path
 * mapping through the mount root, trimming of paths that do not exist, and the ancestor walk.
 * The trees are the fixtures under tests/fixtures/sysroot, each described in its README. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "testutil.h"

static const char *fixture(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/tests/fixtures/sysroot/%s", AMZ_SOURCE_DIR, name);
	return path;
}

static void discover(struct cgroup_set *s, const char *name)
{
	struct amz_err err = {0};

	assert_int_equal(cgroup_discover(s, fixture(name), &err), 0);
}

static bool notes_contain(const struct cgroup_notes *n, const char *text)
{
	size_t i;

	for (i = 0; i < n->n; i++) {
		if (strstr(n->v[i].reason, text))
			return true;
	}
	return false;
}

/* A scratch sysroot: files written by the test, removed with rm -r at the end. */
static char *scratch_root(void)
{
	char *dir = strdup("/tmp/amz-cgroup-test-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void scratch_write(const char *root, const char *path, const char *text)
{
	char full[4096], cmd[4200];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", full);
	assert_int_equal(system(cmd), 0);
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void scratch_remove(char *root)
{
	assert_int_equal(test_remove_tree(root), 0);
	free(root);
}

static void test_mountinfo_octal_escapes_are_decoded(void **state)
{
	const char *field = "/srv/cg\\040root\\134v2\\011tab";
	char *s = cgroup_unescape(field, strlen(field));

	(void)state;
	assert_string_equal(s, "/srv/cg root\\v2\ttab");
	free(s);
}

static void test_mountinfo_incomplete_escape_is_kept_as_is(void **state)
{
	const char *field = "/a\\04";
	char *s = cgroup_unescape(field, strlen(field));

	(void)state;
	assert_string_equal(s, "/a\\04");
	free(s);
}

static void test_mountinfo_optional_fields_end_at_the_separator(void **state)
{
	const char *text = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 propagate_from:2 - "
			   "cgroup cgroup rw,cpu,cpuacct\n";
	struct cgroup_mount *m;
	size_t n;
	int bad;

	(void)state;
	assert_int_equal(cgroup_parse_mountinfo(text, &m, &n, &bad), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bad, 0);
	assert_string_equal(m[0].root, "/mnt1");
	assert_string_equal(m[0].point, "/mnt2");
	assert_string_equal(m[0].fstype, "cgroup");
	assert_string_equal(m[0].options, "rw,cpu,cpuacct");
	cgroup_mounts_free(m, n);
}

static void test_mountinfo_garbage_lines_are_counted_and_skipped(void **state)
{
	const char *text = "garbage\n"
			   "1 2 3 4 5 6 7\n"
			   "29 24 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
			   "30 24 0:26 / /x rw -\n";
	struct cgroup_mount *m;
	size_t n;
	int bad;

	(void)state;
	assert_int_equal(cgroup_parse_mountinfo(text, &m, &n, &bad), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bad, 3);
	assert_string_equal(m[0].point, "/sys/fs/cgroup");
	cgroup_mounts_free(m, n);
}

static void test_mountinfo_line_longer_than_any_buffer_parses(void **state)
{
	size_t layers = 5000, i;
	char *text = malloc(layers * 40 + 512), *p = text;
	struct cgroup_mount *m;
	size_t n;
	int bad;

	(void)state;
	p += sprintf(p, "1 0 0:1 / / rw - overlay overlay rw,lowerdir=");
	for (i = 0; i < layers; i++)
		p += sprintf(p, "%s/var/lib/docker/overlay2/l/L%07zu", i ? ":" : "", i);
	sprintf(p, "\n2 1 0:2 / /sys/fs/cgroup ro - cgroup2 cgroup rw,nsdelegate\n");
	assert_true(strlen(text) > 100000);

	assert_int_equal(cgroup_parse_mountinfo(text, &m, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 0);
	assert_true(strlen(m[0].options) > 100000);
	assert_string_equal(m[1].fstype, "cgroup2");
	cgroup_mounts_free(m, n);
	free(text);
}

static void test_self_cgroup_path_may_contain_colons(void **state)
{
	struct cgroup_membership *l;
	size_t n;
	int bad;

	(void)state;
	assert_int_equal(cgroup_parse_self("4:memory:/a:b/c\n0::/x:y\n", &l, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 0);
	assert_string_equal(l[0].controllers, "memory");
	assert_string_equal(l[0].path, "/a:b/c");
	assert_int_equal(l[1].id, 0);
	assert_string_equal(l[1].path, "/x:y");
	cgroup_memberships_free(l, n);
}

static void test_self_cgroup_garbage_lines_are_counted(void **state)
{
	struct cgroup_membership *l;
	size_t n;
	int bad;

	(void)state;
	assert_int_equal(cgroup_parse_self("x:memory:/a\n3:cpu\n\n7:cpu:relative\n", &l, &n, &bad),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(bad, 3);
	cgroup_memberships_free(l, n);
}

static void test_every_line_of_self_cgroup_is_read_not_only_the_first(void **state)
{
	struct cgroup_set s;

	(void)state;
	discover(&s, "v1-host");
	assert_int_equal(s.place[CGROUP_MEMORY].version, CGROUP_V1);
	assert_string_equal(s.place[CGROUP_MEMORY].path, "/user.slice");
	assert_string_equal(s.place[CGROUP_CPUSET].path, "/");
	cgroup_free(&s);
}

static void test_v1_comounted_controllers_share_one_mount(void **state)
{
	struct cgroup_set s;

	(void)state;
	discover(&s, "v1-host");
	assert_int_equal(s.version, CGROUP_V1);
	assert_string_equal(s.place[CGROUP_CPU].mount, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(s.place[CGROUP_CPU].dir, "/sys/fs/cgroup/cpu,cpuacct/user.slice");
	assert_int_equal(s.place[CGROUP_CPU].depth, 1);
	cgroup_free(&s);
}

static void test_pure_v2_puts_every_controller_in_the_unified_tree(void **state)
{
	struct cgroup_set s;
	int c;

	(void)state;
	discover(&s, "v2-host");
	assert_int_equal(s.version, CGROUP_V2);
	for (c = 0; c < CGROUP_NR; c++) {
		assert_int_equal(s.place[c].version, CGROUP_V2);
		assert_string_equal(s.place[c].dir,
				    "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope");
		assert_int_equal(s.place[c].depth, 3);
	}
	cgroup_free(&s);
}

static void test_hybrid_takes_each_controller_from_its_v1_hierarchy(void **state)
{
	struct cgroup_set s;

	(void)state;
	discover(&s, "hybrid-this-machine");
	assert_int_equal(s.version, CGROUP_HYBRID);
	assert_int_equal(s.place[CGROUP_MEMORY].version, CGROUP_V1);
	assert_int_equal(s.place[CGROUP_CPU].version, CGROUP_V1);
	assert_string_equal(s.place[CGROUP_CPU].mount, "/sys/fs/cgroup/cpu");
	assert_int_equal(s.place[CGROUP_MEMORY].depth, 2);
	cgroup_free(&s);
}

static void test_path_is_mapped_through_the_mount_root(void **state)
{
	struct cgroup_set s;

	(void)state;
	discover(&s, "docker-v1-quota-1.5");
	assert_string_equal(
		s.place[CGROUP_MEMORY].path,
		"/docker/3f1c2b7a9d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8");
	assert_string_equal(s.place[CGROUP_MEMORY].dir, "/sys/fs/cgroup/memory");
	assert_int_equal(s.place[CGROUP_MEMORY].depth, 0);
	assert_null(s.place[CGROUP_MEMORY].how);
	cgroup_free(&s);
}

static void test_missing_path_is_trimmed_until_a_directory_exists(void **state)
{
	char *root = scratch_root();
	struct amz_err err = {0};
	struct cgroup_set s;

	(void)state;
	scratch_write(root, "/proc/self/cgroup", "0::/old.slice/jobs.slice/job-7.scope\n");
	scratch_write(root, "/proc/self/mountinfo",
		      "29 24 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	scratch_write(root, "/sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
	scratch_write(root, "/sys/fs/cgroup/jobs.slice/job-7.scope/memory.max", "max\n");

	assert_int_equal(cgroup_discover(&s, root, &err), 0);
	assert_string_equal(s.place[CGROUP_MEMORY].dir, "/sys/fs/cgroup/jobs.slice/job-7.scope");
	assert_int_equal(s.place[CGROUP_MEMORY].depth, 2);
	assert_non_null(strstr(s.place[CGROUP_MEMORY].how, "trimmed to"));
	cgroup_free(&s);
	scratch_remove(root);
}

static void test_moved_process_falls_back_to_the_mount_point(void **state)
{
	struct cgroup_set s;

	(void)state;
	discover(&s, "moved-process-missing-path");
	assert_string_equal(s.place[CGROUP_MEMORY].dir, "/sys/fs/cgroup/memory");
	assert_non_null(strstr(s.place[CGROUP_MEMORY].how, "is not below the mount's root"));
	assert_non_null(strstr(s.place[CGROUP_MEMORY].how, "using the mount point"));
	cgroup_free(&s);
}

static void test_dotdot_components_are_never_followed(void **state)
{
	struct cgroup_set s;

	(void)state;
	discover(&s, "dotdot-path");
	assert_string_equal(s.place[CGROUP_MEMORY].dir, "/sys/fs/cgroup");
	assert_int_equal(s.place[CGROUP_MEMORY].depth, 0);
	assert_non_null(strstr(s.place[CGROUP_MEMORY].how, "using the mount point"));
	cgroup_free(&s);
}

static void test_dangling_v2_line_without_cgroup2_is_ignored_with_reason(void **state)
{
	struct cgroup_set s;

	(void)state;
	discover(&s, "v1-dangling-v2-line");
	assert_int_equal(s.version, CGROUP_V1);
	assert_true(notes_contain(&s.ignored, "no cgroup2 filesystem is mounted"));
	cgroup_free(&s);
}

static void test_escaped_mount_point_is_decoded(void **state)
{
	struct cgroup_set s;

	(void)state;
	discover(&s, "escaped-mount-path");
	assert_string_equal(s.place[CGROUP_MEMORY].mount, "/srv/cg root\\v2");
	assert_string_equal(s.place[CGROUP_MEMORY].dir, "/srv/cg root\\v2/batch jobs/job 1");
	assert_null(s.place[CGROUP_MEMORY].how);
	cgroup_free(&s);
}

static void test_level_dirs_walk_up_to_the_mount_point_and_stop(void **state)
{
	const char *expect[] = {
		("/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/"
		 "kubepods-besteffort-pod5d3e8a1f_6b2c_4c7d_9e0f_1a2b3c4d5e6f.slice"),
		"/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice",
		"/sys/fs/cgroup/kubepods.slice",
		"/sys/fs/cgroup",
	};
	struct cgroup_set s;
	char *dir;
	int up;

	(void)state;
	discover(&s, "k8s-v2-pod-parent-limit");
	assert_int_equal(s.place[CGROUP_MEMORY].depth, 4);
	for (up = 1; up <= 4; up++) {
		dir = cgroup_level_dir(&s.place[CGROUP_MEMORY], up);
		assert_non_null(dir);
		assert_string_equal(dir, expect[up - 1]);
		free(dir);
	}
	assert_null(cgroup_level_dir(&s.place[CGROUP_MEMORY], 5));
	cgroup_free(&s);
}

static void test_missing_proc_files_leave_controllers_unavailable_with_reason(void **state)
{
	struct cgroup_set s;

	(void)state;
	discover(&s, "empty-tree");
	assert_int_equal(s.version, CGROUP_NONE);
	assert_int_equal(s.place[CGROUP_MEMORY].version, CGROUP_NONE);
	assert_non_null(strstr(s.place[CGROUP_MEMORY].why, "cannot read /proc/self/cgroup"));
	cgroup_free(&s);
}

static void test_controller_the_v2_root_does_not_offer_is_unavailable(void **state)
{
	char *root = scratch_root();
	struct amz_err err = {0};
	struct cgroup_set s;

	(void)state;
	scratch_write(root, "/proc/self/cgroup", "0::/a\n");
	scratch_write(root, "/proc/self/mountinfo",
		      "29 24 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	scratch_write(root, "/sys/fs/cgroup/cgroup.controllers", "memory pids\n");
	scratch_write(root, "/sys/fs/cgroup/a/memory.max", "max\n");

	assert_int_equal(cgroup_discover(&s, root, &err), 0);
	assert_int_equal(s.place[CGROUP_MEMORY].version, CGROUP_V2);
	assert_int_equal(s.place[CGROUP_CPU].version, CGROUP_NONE);
	assert_non_null(strstr(s.place[CGROUP_CPU].why, "does not offer the cpu controller"));
	cgroup_free(&s);
	scratch_remove(root);
}

static void test_live_discovery_places_memory_where_proc_self_cgroup_says(void **state)
{
	struct amz_err err = {0};
	struct cgroup_set s;
	char *self = NULL, *line;

	(void)state;
	assert_int_equal(cgroup_discover(&s, "", &err), 0);
	assert_int_equal(amz_read_file("/proc/self/cgroup", &self, NULL), 0);
	line = strstr(self, ":memory:");
	if (line)
		line += strlen(":memory:");
	else if (s.place[CGROUP_MEMORY].version == CGROUP_V2 && (line = strstr(self, "0::")))
		line += strlen("0::");
	if (!line) {
		free(self);
		cgroup_free(&s);
		test_skip_or_fail("this process is in no memory cgroup");
	}
	line[strcspn(line, "\n")] = '\0';
	assert_string_equal(s.place[CGROUP_MEMORY].path, line);
	assert_null(s.place[CGROUP_MEMORY].why);
	free(self);
	cgroup_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo_octal_escapes_are_decoded),
		cmocka_unit_test(test_mountinfo_incomplete_escape_is_kept_as_is),
		cmocka_unit_test(test_mountinfo_optional_fields_end_at_the_separator),
		cmocka_unit_test(test_mountinfo_garbage_lines_are_counted_and_skipped),
		cmocka_unit_test(test_mountinfo_line_longer_than_any_buffer_parses),
		cmocka_unit_test(test_self_cgroup_path_may_contain_colons),
		cmocka_unit_test(test_self_cgroup_garbage_lines_are_counted),
		cmocka_unit_test(test_every_line_of_self_cgroup_is_read_not_only_the_first),
		cmocka_unit_test(test_v1_comounted_controllers_share_one_mount),
		cmocka_unit_test(test_pure_v2_puts_every_controller_in_the_unified_tree),
		cmocka_unit_test(test_hybrid_takes_each_controller_from_its_v1_hierarchy),
		cmocka_unit_test(test_path_is_mapped_through_the_mount_root),
		cmocka_unit_test(test_missing_path_is_trimmed_until_a_directory_exists),
		cmocka_unit_test(test_moved_process_falls_back_to_the_mount_point),
		cmocka_unit_test(test_dotdot_components_are_never_followed),
		cmocka_unit_test(test_dangling_v2_line_without_cgroup2_is_ignored_with_reason),
		cmocka_unit_test(test_escaped_mount_point_is_decoded),
		cmocka_unit_test(test_level_dirs_walk_up_to_the_mount_point_and_stop),
		cmocka_unit_test(test_missing_proc_files_leave_controllers_unavailable_with_reason),
		cmocka_unit_test(test_controller_the_v2_root_does_not_offer_is_unavailable),
		cmocka_unit_test(test_live_discovery_places_memory_where_proc_self_cgroup_says),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
