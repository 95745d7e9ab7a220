/* Root: how amzprof starts, follows and stops a workload: signals reach it and nothing of ours
 * stays in the kernel, sudo callers get their own identity back, -p PID follows a running
 * tree for -d seconds, and without eBPF the user-space figures are marked as such. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

#define MAX_IDS 64

static pid_t spawn_with_stdio(char *const argv[], int in_fd, int out_fd, int err_fd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (in_fd >= 0)
			dup2(in_fd, STDIN_FILENO);
		if (out_fd >= 0)
			dup2(out_fd, STDOUT_FILENO);
		if (err_fd >= 0)
			dup2(err_fd, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int exit_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* The workload, once it has exec'd and started its two threads, as amzprof's child. */
struct traced {
	pid_t amzprof;
	pid_t workload;
	unsigned int ids[MAX_IDS];
	int nids;
};

static pid_t first_child(pid_t pid)
{
	char path[64], *text = NULL;
	pid_t child;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (amz_read_file(path, &text, NULL) < 0)
		return 0;
	child = (pid_t)atoi(text);
	free(text);
	return child;
}

static int workload_running(void *ctx)
{
	struct traced *t = ctx;
	char path[64], *text = NULL;
	int ready;

	t->workload = first_child(t->amzprof);
	if (t->workload <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)t->workload);
	if (amz_read_file(path, &text, NULL) < 0)
		return 0;
	ready = strstr(text, "Name:\tspawn\n") && strstr(text, "Threads:\t3\n");
	free(text);
	t->nids = test_bpf_prog_ids_of_pid(t->amzprof, t->ids, MAX_IDS);
	return ready && t->nids > 0;
}

static int prog_gone(void *ctx)
{
	return !test_bpf_prog_exists(*(unsigned int *)ctx);
}

static void test_sigint_reaches_workload_and_unloads_every_program(void **state)
{
	char *report = test_temp_path("sigint.json");
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--json",
			"-o",
			report,
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--threads",
			"2",
			"--sleep-ms",
			"600000",
			NULL};
	struct traced t = {0};
	json_object *root;
	int i;

	(void)state;
	test_require_bpf();
	t.amzprof = spawn_with_stdio(argv, -1, -1, -1);
	test_wait_for(workload_running, &t, "the traced workload to start its threads");

	kill(t.amzprof, SIGINT);
	assert_int_equal(exit_status(t.amzprof), 128 + SIGINT);

	/* The workload died of the forwarded signal and amzprof still wrote its report. */
	root = test_load_json(report);
	assert_int_equal(test_json_int(root, "signal"), SIGINT);
	assert_int_equal(test_json_int(root, "tasks.threads"), 2);
	assert_true(kill(t.workload, 0) < 0 && errno == ESRCH);
	/* The kernel frees a program after an RCU grace period, not at the close itself. */
	for (i = 0; i < t.nids; i++)
		test_wait_for(prog_gone, &t.ids[i], "amzprof's BPF programs to be unloaded");
	json_object_put(root);
	unlink(report);
	free(report);
}

static void test_sigterm_is_forwarded_too(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"-o",
			"/dev/null",
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--threads",
			"2",
			"--sleep-ms",
			"600000",
			NULL};
	struct traced t = {0};

	(void)state;
	test_require_bpf();
	t.amzprof = spawn_with_stdio(argv, -1, -1, -1);
	test_wait_for(workload_running, &t, "the traced workload to start its threads");
	kill(t.amzprof, SIGTERM);
	assert_int_equal(exit_status(t.amzprof), 128 + SIGTERM);
}

static void run_id_as_sudo_caller(struct test_run *r, const char *extra)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"-o",
			"/dev/null",
			(char *)extra,
			"--",
			"id",
			NULL};

	if (!extra) {
		argv[3] = "--";
		argv[4] = "id";
		argv[5] = NULL;
	}
	setenv("SUDO_UID", "65534", 1);
	setenv("SUDO_GID", "65534", 1);
	setenv("SUDO_USER", "nobody", 1);
	test_run(r, argv);
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	unsetenv("SUDO_USER");
}

static void test_under_sudo_the_workload_runs_as_the_caller(void **state)
{
	struct test_run r;

	(void)state;
	test_require_bpf();
	run_id_as_sudo_caller(&r, NULL);
	assert_int_equal(r.status, 0);
	/* uid, gid, and nobody's supplementary groups from the group database: root's are gone. */
	assert_non_null(strstr(r.out, "uid=65534("));
	assert_non_null(strstr(r.out, "gid=65534("));
	assert_non_null(strstr(r.out, "groups=65534("));
	assert_null(strstr(r.out, "0(root)"));
	test_run_free(&r);
}

static void test_keep_root_runs_the_workload_as_root(void **state)
{
	struct test_run r;

	(void)state;
	test_require_bpf();
	run_id_as_sudo_caller(&r, "--keep-root");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "uid=0(root)"));
	test_run_free(&r);
}

/* Reads amzprof's stderr until it says it follows the process. */
static void wait_for_line(int fd, const char *needle)
{
	char buf[8192];
	size_t used = 0;
	ssize_t n;

	while (used + 1 < sizeof(buf)) {
		n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			fail_msg("amzprof ended before saying '%s'", needle);
		used += (size_t)n;
		buf[used] = '\0';
		if (strstr(buf, needle))
			return;
	}
	fail_msg("amzprof never said '%s'", needle);
}

static void test_attach_to_running_process_counts_its_spawns(void **state)
{
	char *report = test_temp_path("attach.json");
	char pidarg[32];
	char *wargv[] = {(char *)test_build_path(1, "workloads/spawn"),
			 "--wait-stdin",
			 "--procs",
			 "4",
			 "--threads",
			 "3",
			 NULL};
	char *aargv[] = {(char *)test_build_path(0, "amzprof"),
			 "-v",
			 "--json",
			 "-o",
			 report,
			 "-p",
			 pidarg,
			 "-d",
			 "120",
			 NULL};
	int go[2], err[2];
	pid_t workload, amzprof;
	json_object *root;

	(void)state;
	test_require_bpf();
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	workload = spawn_with_stdio(wargv, go[0], -1, -1);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)workload);
	amzprof = spawn_with_stdio(aargv, -1, -1, err[1]);
	close(err[1]);

	wait_for_line(err[0], "following process");
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(exit_status(workload), 0);
	assert_int_equal(exit_status(amzprof), 0);
	close(err[0]);
	close(go[0]);
	close(go[1]);

	root = test_load_json(report);
	assert_true(json_object_get_boolean(json_object_object_get(root, "attached")));
	assert_int_equal(test_json_int(root, "pid"), workload);
	assert_int_equal(test_json_int(root, "tasks.processes"), 4);
	assert_int_equal(test_json_int(root, "tasks.threads"), 3);
	json_object_put(root);
	unlink(report);
	free(report);
}

static void test_attach_stops_after_the_duration(void **state)
{
	char *report = test_temp_path("duration.json");
	char *sargv[] = {"/bin/sleep", "600", NULL};
	char pidarg[32];
	char *aargv[] = {(char *)test_build_path(0, "amzprof"),
			 "--json",
			 "-o",
			 report,
			 "-p",
			 pidarg,
			 "-d",
			 "0.2",
			 NULL};
	struct test_run r;
	json_object *root;
	pid_t sleeper;

	(void)state;
	test_require_bpf();
	sleeper = spawn_with_stdio(sargv, -1, -1, -1);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)sleeper);
	test_run(&r, aargv);

	/* amzprof ended by itself while the process it followed still runs. */
	assert_int_equal(r.status, 0);
	assert_int_equal(kill(sleeper, 0), 0);
	kill(sleeper, SIGKILL);
	exit_status(sleeper);

	root = test_load_json(report);
	assert_true(test_json_int(root, "wall_ns") >= 200000000LL);
	assert_int_equal(test_json_int(root, "tasks.processes"), 0);
	json_object_put(root);
	test_run_free(&r);
	unlink(report);
	free(report);
}

static void test_attach_to_missing_process_fails_in_one_sentence(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"), "-p", "2147483646", "-d", "1", NULL};
	struct test_run r;

	(void)state;
	test_require_bpf();
	test_run(&r, argv);
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "cannot follow process 2147483646"));
	test_run_free(&r);
}

static void test_without_bpf_user_space_figures_are_marked(void **state)
{
	char *report = test_temp_path("fallback.json");
	char *argv[] = {"/usr/bin/setpriv",
			"--reuid=65534",
			"--regid=65534",
			"--clear-groups",
			(char *)test_build_path(0, "amzprof"),
			"--json",
			"-o",
			report,
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--procs",
			"3",
			"--threads",
			"2",
			"--sleep-ms",
			"500",
			"--exit",
			"7",
			NULL};
	struct test_run r;
	json_object *root;
	long long procs;

	(void)state;
	test_require_root();
	if (access(argv[0], X_OK) < 0)
		test_skip_or_fail("setpriv is not installed");
	test_run(&r, argv);

	/* One line says why, the status passes through, and every figure says where it is from. */
	assert_int_equal(r.status, 7);
	assert_non_null(strstr(r.err, "eBPF unavailable"));
	assert_null(strstr(strstr(r.err, "eBPF unavailable") + 1, "eBPF unavailable"));
	root = test_load_json(report);
	assert_string_equal(json_object_get_string(json_object_object_get(root, "source")),
			    "userspace");
	assert_int_equal(test_json_int(root, "exit_status"), 7);
	assert_true(test_json_has(root, "why_no_bpf"));
	assert_true(test_json_has(root, "tasks.sampled_every_ms"));
	assert_true(test_json_has(root, "rusage.user_ns"));
	assert_false(test_json_has(root, "spawn_latency_ns"));
	/* Sampled: tasks alive for half a second are seen, and never more than there were. */
	procs = test_json_int(root, "tasks.processes");
	assert_true(procs >= 1 && procs <= 3);
	assert_true(test_json_int(root, "tasks.threads") <= 2);
	json_object_put(root);
	test_run_free(&r);
	unlink(report);
	free(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigint_reaches_workload_and_unloads_every_program),
		cmocka_unit_test(test_sigterm_is_forwarded_too),
		cmocka_unit_test(test_under_sudo_the_workload_runs_as_the_caller),
		cmocka_unit_test(test_keep_root_runs_the_workload_as_root),
		cmocka_unit_test(test_attach_to_running_process_counts_its_spawns),
		cmocka_unit_test(test_attach_stops_after_the_duration),
		cmocka_unit_test(test_attach_to_missing_process_fails_in_one_sentence),
		cmocka_unit_test(test_without_bpf_user_space_figures_are_marked),
	};

	return cmocka_run_group_tests_name("launch", tests, NULL, NULL);
}
