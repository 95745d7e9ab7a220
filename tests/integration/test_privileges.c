/* Root: what amzprof gives away and what it accepts. Under sudo the workload runs as the caller,
 * with the caller's groups; profiles and reports are the caller's, private, and in the caller's
 * state directory; a link or another user's file in the store is refused in one sentence; the
 * command's words reach it as they are, never through a shell.
 *
 * The sudo caller is a user that exists for these tests only: each run happens in a mount
 * namespace of its own where copies of /etc/passwd and /etc/group, with that user and two
 * groups it belongs to, are bind-mounted over the real ones. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

#define CALLER_UID 4321
#define CALLER	   "amzcaller"

static char base[64];	   /* everything these tests create */
static char home[96];	   /* the caller's home, the caller's */
static char passwd[96];	   /* the passwd file of the namespace */
static char group[96];	   /* the group file of the namespace */
static char root_only[96]; /* a directory the caller may not write to */

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A copy of the system's file with LINES appended. */
static void extend_file(const char *from, const char *to, const char *lines)
{
	char *text, *all;

	assert_int_equal(amz_read_file(from, &text, NULL), 0);
	assert_true(asprintf(&all, "%s%s", text, lines) > 0);
	write_file(to, all);
	free(text);
	free(all);
}

static int setup_group(void **state)
{
	char line[256];

	(void)state;
	if (geteuid() != 0)
		return 0;
	snprintf(base, sizeof(base), "/tmp/amz-priv-%d", (int)getpid());
	snprintf(home, sizeof(home), "%s/home", base);
	snprintf(passwd, sizeof(passwd), "%s/passwd", base);
	snprintf(group, sizeof(group), "%s/group", base);
	snprintf(root_only, sizeof(root_only), "%s/root-only", base);
	if (mkdir(base, 0755) < 0 || mkdir(home, 0700) < 0 || mkdir(root_only, 0700) < 0 ||
	    chown(home, CALLER_UID, CALLER_UID) < 0)
		return -1;
	snprintf(line, sizeof(line), CALLER ":x:%d:%d:amzprof test caller:%s:/bin/sh\n", CALLER_UID,
		 CALLER_UID, home);
	extend_file("/etc/passwd", passwd, line);
	snprintf(line, sizeof(line),
		 CALLER ":x:%d:\namztesta:x:4242:" CALLER "\namztestb:x:4243:nobody," CALLER "\n",
		 CALLER_UID);
	extend_file("/etc/group", group, line);
	return 0;
}

static int teardown_group(void **state)
{
	(void)state;
	return base[0] ? test_remove_tree(base) : 0;
}

static int temp_fd(void)
{
	char path[] = "/tmp/amz-priv-out-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static char *read_all(int fd)
{
	char *text = calloc(1, 65536);
	ssize_t n;

	assert_non_null(text);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, text, 65535);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	return text;
}

/* In the child: the test's passwd and group files over the system's, seen by this process and
 * its descendants only. */
static void enter_fake_user_database(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(passwd, "/etc/passwd", NULL, MS_BIND, NULL) < 0 ||
	    mount(group, "/etc/group", NULL, MS_BIND, NULL) < 0) {
		fprintf(stderr, "cannot set up the test's user database: %s\n", strerror(errno));
		_exit(120);
	}
}

/* amzprof ARGS... as root under sudo by the test caller, whose home is HOME; root's own HOME
 * and XDG_STATE_HOME are set too, to show that they are not used. */
static void run_as_sudo_caller(struct test_run *r, char *const args[])
{
	char *argv[24] = {(char *)test_build_path(0, "amzprof")}, uid[16];
	int out = temp_fd(), err = temp_fd(), i, status;
	pid_t pid;

	for (i = 0; args[i] && i < 22; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	snprintf(uid, sizeof(uid), "%d", CALLER_UID);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		enter_fake_user_database();
		setenv("SUDO_UID", uid, 1);
		setenv("SUDO_GID", uid, 1);
		setenv("SUDO_USER", CALLER, 1);
		setenv("HOME", "/root", 1);
		setenv("XDG_STATE_HOME", "/root/.local/state", 1);
		unsetenv("AMZ_STORE");
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	r->status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	r->out = read_all(out);
	r->err = read_all(err);
}

/* The caller's, with MODE (any mode when MODE is 0: it then follows the umask). */
static void assert_owned(const char *path, mode_t mode)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("%s is missing: %s", path, strerror(errno));
	if (st.st_uid != CALLER_UID || st.st_gid != CALLER_UID ||
	    (mode && (st.st_mode & 07777) != mode))
		fail_msg("%s is uid %u gid %u mode %04o, not the caller's with mode %04o", path,
			 (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
			 (unsigned)mode);
}

static void test_workload_runs_with_the_callers_uid_gid_and_groups(void **state)
{
	char *args[] = {"-o", "/dev/null", "--", "/usr/bin/id", NULL};
	struct test_run r;

	(void)state;
	test_require_bpf();
	run_as_sudo_caller(&r, args);
	assert_int_equal(r.status, 0);
	/* Exactly the caller's groups from the group database: none of root's, none missing. */
	if (strcmp(r.out, "uid=4321(amzcaller) gid=4321(amzcaller) "
			  "groups=4321(amzcaller),4242(amztesta),4243(amztestb)\n") != 0)
		fail_msg("the workload ran as: %s", r.out);
	test_run_free(&r);
}

static void test_profile_under_sudo_is_the_callers_0600_in_a_0700_state_directory(void **state)
{
	char *args[] = {"--name", "mine", "-o", "/dev/null", "--", "/bin/true", NULL};
	char path[256];
	struct test_run r;

	(void)state;
	test_require_bpf();
	run_as_sudo_caller(&r, args);
	assert_int_equal(r.status, 0);

	/* Every directory amzprof made on the way is the caller's and private. */
	snprintf(path, sizeof(path), "%s/.local", home);
	assert_owned(path, 0700);
	snprintf(path, sizeof(path), "%s/.local/state", home);
	assert_owned(path, 0700);
	snprintf(path, sizeof(path), "%s/.local/state/amzprof", home);
	assert_owned(path, 0700);
	snprintf(path, sizeof(path), "%s/.local/state/amzprof/mine.json.gz", home);
	assert_owned(path, 0600);
	snprintf(path, sizeof(path), "%s/.local/state/amzprof/host.json.gz", home);
	assert_owned(path, 0600);
	assert_true(access("/root/.local/state/amzprof/mine.json.gz", F_OK) < 0);
	test_run_free(&r);
}

static void test_report_file_under_sudo_belongs_to_the_caller(void **state)
{
	char report[160];
	char *args[] = {"-o", report, "--", "/bin/true", NULL};
	struct test_run r;

	(void)state;
	test_require_bpf();
	snprintf(report, sizeof(report), "%s/report.txt", home);
	run_as_sudo_caller(&r, args);
	assert_int_equal(r.status, 0);
	assert_owned(report, 0);
	test_run_free(&r);
}

static void test_report_file_under_sudo_goes_only_where_the_caller_may_write(void **state)
{
	char report[160];
	char *args[] = {"-o", report, "--", "/bin/true", NULL};
	struct test_run r;

	(void)state;
	test_require_bpf();
	snprintf(report, sizeof(report), "%s/report.txt", root_only);
	run_as_sudo_caller(&r, args);
	assert_int_equal(r.status, 125);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "cannot write the report to"));
	assert_non_null(strstr(r.err, "permission denied"));
	assert_true(access(report, F_OK) < 0);
	test_run_free(&r);
}

static void test_prometheus_textfile_under_sudo_is_the_callers(void **state)
{
	char mine[160], theirs[160];
	char *to_mine[] = {"export", "--prometheus", mine, NULL};
	char *to_theirs[] = {"export", "--prometheus", theirs, NULL};
	struct test_run r;

	(void)state;
	test_require_root();
	snprintf(mine, sizeof(mine), "%s/amzprof.prom", home);
	snprintf(theirs, sizeof(theirs), "%s/amzprof.prom", root_only);

	/* Written beside the target and renamed, both as the caller. */
	run_as_sudo_caller(&r, to_mine);
	assert_int_equal(r.status, 0);
	assert_owned(mine, 0644);
	test_run_free(&r);

	run_as_sudo_caller(&r, to_theirs);
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "permission denied"));
	assert_true(access(theirs, F_OK) < 0);
	test_run_free(&r);
}

/* A store of root's (no sudo here) with one valid profile, "good". */
static char *store_with_a_profile(void)
{
	char *dir = test_temp_path("priv-store"), good[160];
	char *args[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			dir,
			"--name",
			"good",
			"-o",
			"/dev/null",
			"--",
			"/bin/true",
			NULL};
	struct test_run r;

	test_run(&r, args);
	assert_int_equal(r.status, 0);
	test_run_free(&r);
	snprintf(good, sizeof(good), "%s/good.json.gz", dir);
	assert_int_equal(access(good, R_OK), 0);
	return dir;
}

static void remove_store(char *dir)
{
	assert_int_equal(test_remove_tree(dir), 0);
	free(dir);
}

static void amzprof_in(struct test_run *r, const char *dir, const char *a, const char *b)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			(char *)a,
			"--store",
			(char *)dir,
			(char *)b,
			NULL};

	test_run(r, argv);
}

static void save_as(struct test_run *r, const char *dir, const char *name)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			(char *)dir,
			"--name",
			(char *)name,
			"-o",
			"/dev/null",
			"--",
			"/bin/true",
			NULL};

	test_run(r, argv);
}

static void test_symbolic_link_in_the_store_is_refused_in_one_sentence(void **state)
{
	char *dir, *target = test_temp_path("precious"), link[160], expect[256], *after;
	struct test_run r;
	struct stat st;

	(void)state;
	test_require_root();
	dir = store_with_a_profile();
	write_file(target, "precious");
	snprintf(link, sizeof(link), "%s/link.json.gz", dir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(expect, sizeof(expect), "refusing %s: it is a symbolic link", link);

	/* Read: one sentence, status 1. */
	amzprof_in(&r, dir, "show", "link");
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, expect));
	test_run_free(&r);

	/* Write: the run goes on, the save is refused, the target is untouched. */
	save_as(&r, dir, "link");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, expect));
	test_run_free(&r);
	assert_int_equal(amz_read_file(target, &after, NULL), 0);
	assert_string_equal(after, "precious");
	free(after);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));

	/* Listed as what it is, beside the good one. */
	amzprof_in(&r, dir, "list", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, expect));
	assert_non_null(strstr(r.out, "good "));
	test_run_free(&r);
	unlink(target);
	free(target);
	remove_store(dir);
}

static void test_file_of_another_user_in_the_store_is_refused_in_one_sentence(void **state)
{
	char *dir, theirs[160], expect[256], *before, *after;
	struct test_run r;
	size_t n1, n2;

	(void)state;
	test_require_root();
	dir = store_with_a_profile();
	snprintf(theirs, sizeof(theirs), "%s/good.json.gz", dir);
	assert_int_equal(chown(theirs, 65534, 65534), 0);
	assert_int_equal(amz_read_file(theirs, &before, &n1), 0);
	snprintf(expect, sizeof(expect), "refusing %s: it belongs to uid 65534, not to uid 0",
		 theirs);

	amzprof_in(&r, dir, "show", "good");
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, expect));
	test_run_free(&r);

	save_as(&r, dir, "good");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, expect));
	test_run_free(&r);
	assert_int_equal(amz_read_file(theirs, &after, &n2), 0);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);
	remove_store(dir);
}

static void test_store_that_is_a_symbolic_link_is_refused_in_one_sentence(void **state)
{
	char *dir, link[160], expect[256];
	struct test_run r;

	(void)state;
	test_require_root();
	dir = store_with_a_profile();
	snprintf(link, sizeof(link), "%s-link", dir);
	assert_int_equal(symlink(dir, link), 0);
	snprintf(expect, sizeof(expect),
		 "refusing the profile store %s: it is a symbolic link or not a directory", link);
	amzprof_in(&r, link, "show", "good");
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, expect));
	test_run_free(&r);
	unlink(link);
	remove_store(dir);
}

static void test_arguments_reach_the_workload_verbatim_without_a_shell(void **state)
{
	char *marker = test_temp_path("shell-ran"), sub[192], tick[192], semi[192];
	char *words[] = {"two words", sub,     tick, semi, "\"double\"", "'single'", "*", "",
			 "a\nb",      "$HOME", "|",  "&&", "\\",	 "> out",    NULL};
	char *argv[32] = {(char *)test_build_path(0, "amzprof"),
			  "-o",
			  "/dev/null",
			  "--",
			  "/usr/bin/printf",
			  "[%s]\n"};
	char expect[1024] = "";
	struct test_run r;
	int i;

	(void)state;
	test_require_root();
	snprintf(sub, sizeof(sub), "$(touch %s)", marker);
	snprintf(tick, sizeof(tick), "`touch %s`", marker);
	snprintf(semi, sizeof(semi), "; touch %s", marker);
	for (i = 0; words[i]; i++) {
		argv[6 + i] = words[i];
		snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect), "[%s]\n",
			 words[i]);
	}
	argv[6 + i] = NULL;

	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, expect);
	assert_true(access(marker, F_OK) < 0);
	assert_true(access("out", F_OK) < 0);
	test_run_free(&r);
	free(marker);
}

static void test_command_with_shell_syntax_is_a_name_not_a_script(void **state)
{
	char *marker = test_temp_path("shell-ran"), cmd[192];
	char *argv[] = {(char *)test_build_path(0, "amzprof"), "--", cmd, NULL};
	struct test_run r;

	(void)state;
	test_require_root();
	snprintf(cmd, sizeof(cmd), "touch %s; true", marker);
	test_run(&r, argv);
	assert_int_equal(r.status, 127);
	assert_int_equal(test_count_lines(r.err), 1);
	/* It holds a slash, so it is a path, and no file has that name. */
	assert_non_null(strstr(r.err, "cannot run 'touch "));
	assert_non_null(strstr(r.err, "no such file or directory"));
	assert_true(access(marker, F_OK) < 0);
	test_run_free(&r);
	free(marker);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workload_runs_with_the_callers_uid_gid_and_groups),
		cmocka_unit_test(
			test_profile_under_sudo_is_the_callers_0600_in_a_0700_state_directory),
		cmocka_unit_test(test_report_file_under_sudo_belongs_to_the_caller),
		cmocka_unit_test(test_report_file_under_sudo_goes_only_where_the_caller_may_write),
		cmocka_unit_test(test_prometheus_textfile_under_sudo_is_the_callers),
		cmocka_unit_test(test_symbolic_link_in_the_store_is_refused_in_one_sentence),
		cmocka_unit_test(test_file_of_another_user_in_the_store_is_refused_in_one_sentence),
		cmocka_unit_test(test_store_that_is_a_symbolic_link_is_refused_in_one_sentence),
		cmocka_unit_test(test_arguments_reach_the_workload_verbatim_without_a_shell),
		cmocka_unit_test(test_command_with_shell_syntax_is_a_name_not_a_script),
	};

	return cmocka_run_group_tests_name("privileges", tests, setup_group, teardown_group);
}
