/* The profile store: round trips, damaged and foreign files, atomic and locked writes, and
 * refusals (links, other owners, read-only and full disks). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "testutil.h"
#include "profile.h"

struct fixture {
	char dir[64];
	struct profile_store store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct amz_err err = {0};

	assert_int_equal(test_temp_dir(f->dir, sizeof(f->dir), "amz-store"), 0);
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	if (profile_store_open(&f->store, f->dir, &err) < 0)
		fail_msg("%s", err.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	profile_store_close(&f->store);
	umount2(f->dir, MNT_DETACH);
	assert_int_equal(test_remove_tree(f->dir), 0);
	free(f);
	return 0;
}

static json_object *sample_doc(const char *name, int seed)
{
	json_object *doc = profile_new(PROFILE_WORKLOAD, name);
	json_object *trace = json_object_new_object();
	json_object *arr = json_object_new_array();
	int i;

	for (i = 0; i < 40; i++)
		json_object_array_add(arr, json_object_new_int64((int64_t)i * 1000003 + seed));
	json_object_object_add(trace, "bursts_ns", arr);
	json_object_object_add(trace, "mean", json_object_new_double(0.1 + seed));
	json_object_object_add(trace, "tiny", json_object_new_double(1.5e-9));
	json_object_object_add(trace, "huge", json_object_new_int64(INT64_MAX));
	json_object_object_add(trace, "text", json_object_new_string("quote \" slash / tab \t é"));
	json_object_object_add(trace, "none", NULL);
	json_object_object_add(trace, "flag", json_object_new_boolean(1));
	json_object_object_add(doc, "trace", trace);
	return doc;
}

static void file_path(struct fixture *f, const char *name, char *buf, size_t len)
{
	profile_path(&f->store, name, buf, len);
}

static void write_raw(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void write_gz(const char *path, const char *text)
{
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	gzputs(gz, text);
	gzclose(gz);
}

static char *read_raw(const char *path, size_t *len)
{
	char *buf;

	assert_int_equal(amz_read_file(path, &buf, len), 0);
	return buf;
}

/* Loads NAME expecting a refusal that names the file and contains FRAGMENT, and checks that the
 * file is still there, byte for byte. */
static void assert_refused_and_kept(struct fixture *f, const char *name, const char *fragment)
{
	struct amz_err err = {0};
	json_object *doc;
	char path[4096], *before, *after;
	size_t n1, n2;

	file_path(f, name, path, sizeof(path));
	before = read_raw(path, &n1);
	assert_int_equal(profile_load(&f->store, name, -1, &doc, &err), -1);
	assert_null(doc);
	if (!strstr(err.msg, path) || !strstr(err.msg, fragment))
		fail_msg("unexpected message: %s", err.msg);
	after = read_raw(path, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);
}

static void test_save_then_load_round_trips_every_field(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *doc = sample_doc("run", 3), *back;

	assert_int_equal(profile_save(&f->store, "run", doc, &err), 0);
	assert_int_equal(profile_load(&f->store, "run", PROFILE_WORKLOAD, &back, &err), 0);
	assert_true(json_object_equal(doc, back));
	json_object_put(doc);
	json_object_put(back);
}

static void test_saved_file_is_gzip_json_readable_by_zcat(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *doc = sample_doc("zc", 1);
	char path[4096], cmd[4200];

	assert_int_equal(profile_save(&f->store, "zc", doc, &err), 0);
	file_path(f, "zc", path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "zcat '%s' | grep -q '\"schema\":1'", path);
	assert_int_equal(system(cmd), 0);
	json_object_put(doc);
}

static void test_files_are_0600_in_a_0700_directory(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *doc = sample_doc("modes", 1);
	char path[4096];
	struct stat st;

	assert_int_equal(profile_save(&f->store, "modes", doc, &err), 0);
	file_path(f, "modes", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	json_object_put(doc);
}

static void test_missing_store_is_created_private(void **state)
{
	struct fixture *f = *state;
	struct profile_store s;
	struct amz_err err = {0};
	char dir[128];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/a/b/amzprof", f->dir);
	assert_int_equal(profile_store_open(&s, dir, &err), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	profile_store_close(&s);
}

static void test_truncated_gzip_is_reported_and_left_in_place(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *doc = sample_doc("cut", 1);
	char path[4096], *raw;
	size_t len;

	assert_int_equal(profile_save(&f->store, "cut", doc, &err), 0);
	file_path(f, "cut", path, sizeof(path));
	raw = read_raw(path, &len);
	write_raw(path, raw, len / 2);
	assert_refused_and_kept(f, "cut", "truncated");
	free(raw);
	json_object_put(doc);
}

static void test_garbage_is_reported_and_left_in_place(void **state)
{
	struct fixture *f = *state;
	char path[4096];

	file_path(f, "junk", path, sizeof(path));
	write_raw(path, "this is not a profile at all\n", 29);
	assert_refused_and_kept(f, "junk", "not gzip");
}

static void test_gzip_of_non_json_is_reported(void **state)
{
	struct fixture *f = *state;
	char path[4096];

	file_path(f, "text", path, sizeof(path));
	write_gz(path, "{\"schema\": 1, \"kind\": ");
	assert_refused_and_kept(f, "text", "not valid JSON");
}

static void test_wrong_schema_version_is_reported(void **state)
{
	struct fixture *f = *state;
	char path[4096];

	file_path(f, "future", path, sizeof(path));
	write_gz(path, "{\"schema\": 99, \"kind\": \"host\"}");
	assert_refused_and_kept(f, "future", "schema 99");
}

static void test_foreign_json_is_reported(void **state)
{
	struct fixture *f = *state;
	char path[4096];

	file_path(f, "foreign", path, sizeof(path));
	write_gz(path, "[1, 2, 3]");
	assert_refused_and_kept(f, "foreign", "not a profile");
}

static void test_profile_of_another_kind_is_refused(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *doc = sample_doc("w", 1), *back;

	assert_int_equal(profile_save(&f->store, "w", doc, &err), 0);
	assert_int_equal(profile_load(&f->store, "w", PROFILE_HOST, &back, &err), -1);
	assert_non_null(strstr(err.msg, "a workload profile, not a host profile"));
	json_object_put(doc);
}

static void test_absurd_values_are_refused_by_name(void **state)
{
	json_object *o = json_tokener_parse("{\"neg\": -5, \"big\": 1e300, \"s\": \"x\", "
					    "\"nan\": NaN, \"ok\": 2.5}");
	struct amz_err err = {0};
	double v;

	(void)state;
	assert_non_null(o);
	assert_int_equal(profile_get_number(o, "neg", 0, 1e12, &v, &err), -1);
	assert_non_null(strstr(err.msg, "neg is -5"));
	assert_int_equal(profile_get_number(o, "big", 0, 1e12, &v, &err), -1);
	assert_non_null(strstr(err.msg, "big"));
	assert_int_equal(profile_get_number(o, "nan", 0, 1e12, &v, &err), -1);
	assert_non_null(strstr(err.msg, "not a finite number"));
	assert_int_equal(profile_get_number(o, "s", 0, 1e12, &v, &err), -1);
	assert_int_equal(profile_get_number(o, "gone", 0, 1e12, &v, &err), -1);
	assert_non_null(strstr(err.msg, "gone is missing"));
	assert_int_equal(profile_get_number(o, "ok", 0, 1e12, &v, &err), 0);
	assert_true(v == 2.5);
	json_object_put(o);
}

static void save_many(struct fixture *f, int writer, int rounds)
{
	struct amz_err err = {0};
	int i;

	for (i = 0; i < rounds; i++) {
		json_object *doc = sample_doc("shared", writer * 1000 + i);

		if (profile_save(&f->store, "shared", doc, &err) < 0)
			_exit(1);
		json_object_put(doc);
	}
	_exit(0);
}

static int count_temp_files(const char *dir)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c '^\\.tmp-'", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void test_concurrent_writers_leave_one_whole_file(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *back, *trace, *mean;
	int i, status, writers = 10;

	for (i = 0; i < writers; i++)
		if (fork() == 0)
			save_many(f, i, 20);
	for (i = 0; i < writers; i++) {
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	assert_int_equal(profile_load(&f->store, "shared", PROFILE_WORKLOAD, &back, &err), 0);
	assert_true(json_object_object_get_ex(back, "trace", &trace));
	assert_true(json_object_object_get_ex(trace, "mean", &mean));
	assert_true(json_object_get_double(mean) >= 0.1);
	assert_int_equal(count_temp_files(f->dir), 0);
	json_object_put(back);
}

static void test_stale_temporary_file_is_removed_by_next_save(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *doc = sample_doc("s", 1);
	char path[128];

	snprintf(path, sizeof(path), "%s/.tmp-12345-deadbeef", f->dir);
	write_raw(path, "half", 4);
	assert_int_equal(profile_save(&f->store, "s", doc, &err), 0);
	assert_int_equal(count_temp_files(f->dir), 0);
	json_object_put(doc);
}

static void test_symbolic_link_in_place_of_profile_is_refused(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *doc = sample_doc("link", 1), *back;
	char path[4096], target[128];
	struct stat st;

	snprintf(target, sizeof(target), "%s/target", f->dir);
	write_raw(target, "precious", 8);
	file_path(f, "link", path, sizeof(path));
	assert_int_equal(symlink(target, path), 0);

	assert_int_equal(profile_save(&f->store, "link", doc, &err), -1);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(profile_load(&f->store, "link", -1, &back, &err), -1);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 8);
	json_object_put(doc);
}

static void test_store_that_is_a_symbolic_link_is_refused(void **state)
{
	struct fixture *f = *state;
	struct profile_store s;
	struct amz_err err = {0};
	char link[128];

	snprintf(link, sizeof(link), "%s/store-link", f->dir);
	assert_int_equal(symlink(f->dir, link), 0);
	assert_int_equal(profile_store_open(&s, link, &err), -1);
	assert_non_null(strstr(err.msg, "symbolic link"));
}

static void test_file_owned_by_another_user_is_refused(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *doc = sample_doc("theirs", 1), *back;
	char path[4096];

	test_require_root();
	assert_int_equal(profile_save(&f->store, "theirs", doc, &err), 0);
	file_path(f, "theirs", path, sizeof(path));
	assert_int_equal(chown(path, 65534, 65534), 0);

	assert_int_equal(profile_load(&f->store, "theirs", -1, &back, &err), -1);
	assert_non_null(strstr(err.msg, "belongs to uid 65534"));
	assert_int_equal(profile_save(&f->store, "theirs", doc, &err), -1);
	assert_non_null(strstr(err.msg, "belongs to uid 65534"));
	json_object_put(doc);
}

static void mount_tmpfs(struct fixture *f, const char *opts)
{
	struct amz_err err = {0};

	profile_store_close(&f->store);
	if (mount("tmpfs", f->dir, "tmpfs", 0, opts) < 0)
		test_skip_or_fail("cannot mount a tmpfs: %s", strerror(errno));
	assert_int_equal(chmod(f->dir, 0700), 0);
	if (profile_store_open(&f->store, f->dir, &err) < 0)
		fail_msg("%s", err.msg);
}

static void assert_still_loads_with_mean(struct fixture *f, const char *name, double mean)
{
	struct amz_err err = {0};
	json_object *back, *trace, *m;

	assert_int_equal(profile_load(&f->store, name, -1, &back, &err), 0);
	assert_true(json_object_object_get_ex(back, "trace", &trace));
	assert_true(json_object_object_get_ex(trace, "mean", &m));
	assert_true(json_object_get_double(m) == mean);
	json_object_put(back);
}

static void test_read_only_store_keeps_previous_profile(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *first = sample_doc("ro", 1), *second = sample_doc("ro", 2);

	test_require_root();
	mount_tmpfs(f, "size=1m");
	assert_int_equal(profile_save(&f->store, "ro", first, &err), 0);
	assert_int_equal(mount("tmpfs", f->dir, "tmpfs", MS_REMOUNT | MS_RDONLY, NULL), 0);

	assert_int_equal(profile_save(&f->store, "ro", second, &err), -1);
	assert_non_null(strstr(err.msg, "read-only file system"));
	assert_non_null(strstr(err.msg, "intact"));
	assert_still_loads_with_mean(f, "ro", 1.1);
	json_object_put(first);
	json_object_put(second);
}

static void fill_disk(const char *dir)
{
	char path[128], block[4096];
	int fd;

	memset(block, 'x', sizeof(block));
	snprintf(path, sizeof(path), "%s/filler", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	close(fd);
}

static void test_full_disk_keeps_previous_profile(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *first = sample_doc("full", 1), *second = sample_doc("full", 2);
	json_object *big = json_object_new_array();
	int i;

	test_require_root();
	mount_tmpfs(f, "size=64k");
	assert_int_equal(profile_save(&f->store, "full", first, &err), 0);
	fill_disk(f->dir);

	/* Random numbers do not compress: the new file cannot fit in what is left. */
	srandom(7);
	for (i = 0; i < 4000; i++)
		json_object_array_add(big, json_object_new_int64(random()));
	json_object_object_add(second, "noise", big);
	assert_int_equal(profile_save(&f->store, "full", second, &err), -1);
	assert_non_null(strstr(err.msg, "no space left on device"));
	assert_still_loads_with_mean(f, "full", 1.1);
	assert_int_equal(count_temp_files(f->dir), 0);
	json_object_put(first);
	json_object_put(second);
}

static void test_store_under_sudo_belongs_to_the_caller(void **state)
{
	struct fixture *f = *state;
	struct profile_store s;
	struct amz_err err = {0};
	json_object *doc = sample_doc("mine", 1);
	char dir[128], path[4096];
	struct stat st;

	test_require_root();
	assert_int_equal(chown(f->dir, 65534, 65534), 0);
	snprintf(dir, sizeof(dir), "%s/state/amzprof", f->dir);
	setenv("SUDO_UID", "65534", 1);
	setenv("SUDO_GID", "65534", 1);
	assert_int_equal(profile_store_open(&s, dir, &err), 0);
	assert_int_equal(profile_save(&s, "mine", doc, &err), 0);
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");

	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_mode & 07777, 0700);
	profile_path(&s, "mine", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode & 07777, 0600);
	profile_store_close(&s);
	json_object_put(doc);
}

static void test_store_of_another_user_is_refused(void **state)
{
	struct fixture *f = *state;
	struct profile_store s;
	struct amz_err err = {0};

	test_require_root();
	assert_int_equal(chown(f->dir, 65534, 65534), 0);
	assert_int_equal(profile_store_open(&s, f->dir, &err), -1);
	assert_non_null(strstr(err.msg, "belongs to uid 65534"));
}

static void test_bad_names_are_refused(void **state)
{
	struct amz_err err = {0};

	(void)state;
	assert_int_equal(profile_check_name("", &err), -1);
	assert_int_equal(profile_check_name("../etc/passwd", &err), -1);
	assert_int_equal(profile_check_name("a/b", &err), -1);
	assert_int_equal(profile_check_name(".hidden", &err), -1);
	assert_int_equal(profile_check_name("-rf", &err), -1);
	assert_int_equal(profile_check_name("host", &err), 0);
	assert_int_equal(profile_check_name("make-j8_v2.1", &err), 0);
}

static void test_name_from_command_is_valid(void **state)
{
	struct amz_err err = {0};
	char name[PROFILE_NAME_MAX + 1];

	(void)state;
	profile_name_from_command("/usr/bin/python3.11", name, sizeof(name));
	assert_string_equal(name, "python3.11");
	profile_name_from_command("./my prog!", name, sizeof(name));
	assert_string_equal(name, "my_prog_");
	profile_name_from_command("/", name, sizeof(name));
	assert_string_equal(name, "workload");
	assert_int_equal(profile_check_name(name, &err), 0);
}

static void test_list_shows_good_and_damaged_profiles(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *doc = sample_doc("good", 1);
	struct profile_entry *list;
	char path[4096];
	size_t n;

	assert_int_equal(profile_save(&f->store, "good", doc, &err), 0);
	file_path(f, "bad", path, sizeof(path));
	write_raw(path, "garbage", 7);

	assert_int_equal(profile_list(&f->store, &list, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "bad");
	assert_true(list[0].damaged);
	assert_non_null(strstr(list[0].problem, "not gzip"));
	assert_string_equal(list[1].name, "good");
	assert_false(list[1].damaged);
	assert_int_equal(list[1].kind, PROFILE_WORKLOAD);
	free(list);
	json_object_put(doc);
}

static void test_remove_deletes_only_that_profile(void **state)
{
	struct fixture *f = *state;
	struct amz_err err = {0};
	json_object *a = sample_doc("a", 1), *b = sample_doc("b", 2), *back;

	assert_int_equal(profile_save(&f->store, "a", a, &err), 0);
	assert_int_equal(profile_save(&f->store, "b", b, &err), 0);
	assert_int_equal(profile_remove(&f->store, "a", &err), 0);
	assert_int_equal(profile_load(&f->store, "a", -1, &back, &err), -1);
	assert_non_null(strstr(err.msg, "no profile named 'a'"));
	assert_int_equal(profile_load(&f->store, "b", -1, &back, &err), 0);
	json_object_put(back);
	assert_int_equal(profile_remove(&f->store, "a", &err), -1);
	json_object_put(a);
	json_object_put(b);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_save_then_load_round_trips_every_field),
		T(test_saved_file_is_gzip_json_readable_by_zcat),
		T(test_files_are_0600_in_a_0700_directory),
		T(test_missing_store_is_created_private),
		T(test_truncated_gzip_is_reported_and_left_in_place),
		T(test_garbage_is_reported_and_left_in_place),
		T(test_gzip_of_non_json_is_reported),
		T(test_wrong_schema_version_is_reported),
		T(test_foreign_json_is_reported),
		T(test_profile_of_another_kind_is_refused),
		T(test_absurd_values_are_refused_by_name),
		T(test_concurrent_writers_leave_one_whole_file),
		T(test_stale_temporary_file_is_removed_by_next_save),
		T(test_symbolic_link_in_place_of_profile_is_refused),
		T(test_store_that_is_a_symbolic_link_is_refused),
		T(test_file_owned_by_another_user_is_refused),
		T(test_read_only_store_keeps_previous_profile),
		T(test_full_disk_keeps_previous_profile),
		T(test_store_under_sudo_belongs_to_the_caller),
		T(test_store_of_another_user_is_refused),
		T(test_bad_names_are_refused),
		T(test_name_from_command_is_valid),
		T(test_list_shows_good_and_damaged_profiles),
		T(test_remove_deletes_only_that_profile),
	};

	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
