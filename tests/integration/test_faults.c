/* Root: amzprof when things go wrong. The workload is killed, crashes or leaves processes behind;
 * amzprof itself is interrupted at each phase (calibrating, loading the BPF programs, running,
 * saving) or killed outright; ten amzprof processes save into one store at once; the ring
 * buffer overflows. Afterwards no BPF program or link of that amzprof is loaded, the workload's
 * status is reported, and the store holds only whole profiles.
 *
 * A phase is reached exactly through AMZ_TEST_PAUSE_AT=PHASE, which makes amzprof stop itself
 * there (SIGSTOP); the test then sends the signal and SIGCONT. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "profile.h"
#include "testutil.h"
#include "util.h"
#include "workload.h"

#define MAX_KIDS 64

/* A store calibrated once, so that runs that need no calibration skip it. */
static char calibrated_store[64];

/* A fresh store directory; with a host profile copied from calibrated_store when asked. */
static char *new_store(const char *name, int with_host)
{
	char *dir = test_temp_path(name), cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -m 0700 '%s'%s%s%s%s", dir, dir,
		 with_host ? " && cp -p " : "", with_host ? calibrated_store : "",
		 with_host ? "/host.json.gz " : "", with_host ? dir : "");
	assert_int_equal(system(cmd), 0);
	return dir;
}

static void remove_tree(char *dir)
{
	assert_int_equal(test_remove_tree(dir), 0);
	free(dir);
}

static int setup_group(void **state)
{
	char *argv[] = {NULL, "calibrate", "--quick", "--store", calibrated_store, NULL};
	struct test_run r;

	(void)state;
	if (geteuid() != 0)
		return 0;
	snprintf(calibrated_store, sizeof(calibrated_store), "/tmp/amz-faults-%d", (int)getpid());
	mkdir(calibrated_store, 0700);
	argv[0] = (char *)test_build_path(0, "amzprof");
	test_run(&r, argv);
	test_run_free(&r);
	return r.status;
}

static int teardown_group(void **state)
{
	(void)state;
	return calibrated_store[0] ? test_remove_tree(calibrated_store) : 0;
}

/* Every file in the store: no temporary file left, and every profile whole and readable. */
static void assert_store_whole(const char *dir)
{
	struct profile_entry *list;
	struct profile_store s;
	struct amz_err err = {0};
	char cmd[256];
	size_t n, i;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q '^\\.tmp-'", dir);
	assert_int_not_equal(system(cmd), 0);
	assert_int_equal(profile_store_open(&s, dir, &err), 0);
	assert_int_equal(profile_list(&s, &list, &n, &err), 0);
	for (i = 0; i < n; i++) {
		if (list[i].damaged)
			fail_msg("%s", list[i].problem);
	}
	free(list);
	profile_store_close(&s);
}

/* Loads a profile of the store; NULL when there is none by that name. */
static json_object *load_profile(const char *dir, const char *name)
{
	struct profile_store s;
	struct amz_err err = {0};
	json_object *doc = NULL;

	assert_int_equal(profile_store_open(&s, dir, &err), 0);
	if (profile_load(&s, name, -1, &doc, &err) < 0 && err.code != ENOENT)
		fail_msg("%s", err.msg);
	profile_store_close(&s);
	return doc;
}

static int profile_flag(json_object *doc, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(doc, key, &v));
	return json_object_get_boolean(v);
}

static int temp_file(void)
{
	char path[] = "/tmp/amz-faults-out-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static char *read_back(int fd)
{
	char *buf = calloc(1, 65536);
	ssize_t n;

	assert_non_null(buf);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, 65535);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* One amzprof run, watched while it goes: its BPF ids and its children are noted. */
struct watched {
	pid_t pid;
	struct test_bpf_ids ids;
	pid_t kids[MAX_KIDS];
	int nkids;
	int err_fd;
	int want_grandkids; /* stopped is not enough: the workload must have forked this many */
};

static void note_state(struct watched *w)
{
	pid_t now[MAX_KIDS];
	int i, j, n;

	test_bpf_ids_add(&w->ids, w->pid);
	n = test_children_of(w->pid, now, MAX_KIDS);
	for (i = 0; i < n; i++) {
		for (j = 0; j < w->nkids && w->kids[j] != now[i]; j++)
			;
		if (j == w->nkids && w->nkids < MAX_KIDS)
			w->kids[w->nkids++] = now[i];
	}
}

static void start_watched(struct watched *w, char *const argv[], const char *pause_at)
{
	memset(w, 0, sizeof(*w));
	w->err_fd = temp_file();
	if (pause_at)
		setenv("AMZ_TEST_PAUSE_AT", pause_at, 1);
	w->pid = test_start(argv, -1, w->err_fd);
	unsetenv("AMZ_TEST_PAUSE_AT");
}

static int stopped_and_noted(void *ctx)
{
	struct watched *w = ctx;
	pid_t grandkids[MAX_KIDS];

	note_state(w);
	if (!test_is_stopped(w->pid))
		return 0;
	return !w->want_grandkids ||
	       (w->nkids > 0 &&
		test_children_of(w->kids[0], grandkids, MAX_KIDS) >= w->want_grandkids);
}

/* The ids seen are amzprof's tracer (its scheduler program, tp_btf or raw_tp, is among them),
 * and each is gone: amzprof is not the only user of BPF on this machine, so programs are told
 * apart by the ids its descriptors named, not by name alone. */
static void assert_ours_then_gone(const struct test_bpf_ids *ids)
{
	assert_true(test_bpf_ids_have_name(ids, "switch_btf") ||
		    test_bpf_ids_have_name(ids, "switch_raw"));
	test_bpf_ids_gone(ids);
}

/* Gone, or a zombie: dead, waiting for init to reap it. */
static int process_gone(void *ctx)
{
	pid_t pid = *(pid_t *)ctx;
	char path[64], *text = NULL, *paren;
	int gone;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (amz_read_file(path, &text, NULL) < 0)
		return 1;
	paren = strrchr(text, ')');
	gone = paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
	free(text);
	return gone;
}

static void assert_kids_gone(const struct watched *w)
{
	int i;

	for (i = 0; i < w->nkids; i++)
		test_wait_for(process_gone, (void *)&w->kids[i],
			      "every process amzprof started to end");
}

/* amzprof paused at PHASE gets SIG, then continues; its status, and stderr in *err. */
static int interrupt_at(struct watched *w, char *const argv[], const char *phase, int sig,
			char **err)
{
	int status, want = w->want_grandkids;

	start_watched(w, argv, phase);
	w->want_grandkids = want;
	test_wait_for(stopped_and_noted, w, "amzprof to stop at the phase asked for");
	kill(w->pid, sig);
	kill(w->pid, SIGCONT);
	status = test_wait_exit(w->pid);
	*err = read_back(w->err_fd);
	return status;
}

/* The workload of the phase tests: `touch MARKER` where it must never run, spawn otherwise. */
struct phase_case {
	const char *phase;
	int sig;
	bool with_host; /* a valid host profile exists: no calibration */
};

static void check_interrupted_before_start(const struct phase_case *c)
{
	char *store = new_store("phase-store", c->with_host), *marker = test_temp_path("marker");
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"--",
			"/usr/bin/touch",
			marker,
			NULL};
	char *err, expect[96];
	struct watched w = {0};
	json_object *host;

	test_require_bpf();
	assert_int_equal(interrupt_at(&w, argv, c->phase, c->sig, &err), 128 + c->sig);

	/* One sentence, the workload never ran, nothing of ours is left. */
	snprintf(expect, sizeof(expect),
		 "amzprof: interrupted by SIG%s before the workload started", sigabbrev_np(c->sig));
	if (!strstr(err, expect) || test_count_lines(err) != 1)
		fail_msg("unexpected message: %s", err);
	assert_true(access(marker, F_OK) < 0);
	assert_true(w.ids.nprogs > 0);
	assert_ours_then_gone(&w.ids);
	assert_kids_gone(&w);

	/* An interrupted calibration is not saved; a saved one is whole. */
	assert_store_whole(store);
	host = load_profile(store, "host");
	assert_true(c->with_host ? host != NULL : host == NULL);
	json_object_put(host);
	assert_null(load_profile(store, "touch"));
	free(err);
	free(marker);
	remove_tree(store);
}

static void test_sigint_while_calibrating_runs_nothing_saves_nothing(void **state)
{
	const struct phase_case c = {"calibrating", SIGINT, false};

	(void)state;
	check_interrupted_before_start(&c);
}

static void test_sigterm_while_calibrating_runs_nothing_saves_nothing(void **state)
{
	const struct phase_case c = {"calibrating", SIGTERM, false};

	(void)state;
	check_interrupted_before_start(&c);
}

static void test_sigint_while_loading_never_starts_the_workload(void **state)
{
	const struct phase_case c = {"loading", SIGINT, true};

	(void)state;
	check_interrupted_before_start(&c);
}

static void test_sigterm_while_loading_never_starts_the_workload(void **state)
{
	const struct phase_case c = {"loading", SIGTERM, true};

	(void)state;
	check_interrupted_before_start(&c);
}

/* Checks how many processes the report says were left running, and ends them. */
static void kill_left_running(json_object *root, int expected)
{
	json_object *tasks, *pids;
	size_t i;

	assert_int_equal(test_json_int(root, "tasks.left_running"), expected);
	assert_true(json_object_object_get_ex(root, "tasks", &tasks));
	assert_true(json_object_object_get_ex(tasks, "left_running_pids", &pids));
	assert_int_equal(json_object_array_length(pids), expected);
	for (i = 0; i < json_object_array_length(pids); i++)
		assert_int_equal(
			kill((pid_t)json_object_get_int(json_object_array_get_idx(pids, i)),
			     SIGKILL),
			0);
}

/* Running: the signal is passed on, the workload dies of it, the profile is marked incomplete. */
static void check_interrupted_while_running(int sig)
{
	char *store = new_store("phase-store", true), *report = test_temp_path("phase.json");
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"--json",
			"-o",
			report,
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--procs",
			"1",
			"--sleep-ms",
			"600000",
			NULL};
	struct workload_run run;
	struct amz_err e = {0};
	json_object *root, *doc;
	struct watched w = {0};
	char *err;

	test_require_bpf();
	w.want_grandkids = 1;
	assert_int_equal(interrupt_at(&w, argv, "running", sig, &err), 128 + sig);
	root = test_load_json(report);
	assert_int_equal(test_json_int(root, "signal"), sig);
	/* The signal went to the workload alone: the process it forked is left running. */
	kill_left_running(root, 1);
	assert_true(w.ids.nprogs > 0 && w.ids.nlinks > 0);
	assert_ours_then_gone(&w.ids);

	assert_store_whole(store);
	doc = load_profile(store, "spawn");
	assert_non_null(doc);
	assert_false(profile_flag(doc, "complete"));
	assert_int_equal(workload_from_json(doc, &run, &e), 0);
	assert_int_equal(run.trace->term_signal, sig);
	workload_free(&run);
	json_object_put(doc);
	json_object_put(root);
	unlink(report);
	free(report);
	free(err);
	remove_tree(store);
}

static void test_sigint_while_running_is_passed_on_and_marks_the_profile_incomplete(void **state)
{
	(void)state;
	check_interrupted_while_running(SIGINT);
}

static void test_sigterm_while_running_is_passed_on_and_marks_the_profile_incomplete(void **state)
{
	(void)state;
	check_interrupted_while_running(SIGTERM);
}

/* Saving: the run is over and reported; the profile is not put in place. */
static void check_interrupted_while_saving(int sig)
{
	char *store = new_store("phase-store", true), *report = test_temp_path("phase.json");
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"--json",
			"-o",
			report,
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--procs",
			"2",
			"--sleep-ms",
			"300",
			NULL};
	char *err, expect[128];
	json_object *root, *doc;
	struct watched w = {0};

	test_require_bpf();
	assert_int_equal(interrupt_at(&w, argv, "saving", sig, &err), 128 + sig);
	snprintf(expect, sizeof(expect),
		 "amzprof: interrupted by SIG%s after the workload exited with status 0; its "
		 "profile was not saved",
		 sigabbrev_np(sig));
	if (!strstr(err, expect) || test_count_lines(err) != 1)
		fail_msg("unexpected message: %s", err);
	root = test_load_json(report);
	assert_int_equal(test_json_int(root, "exit_status"), 0);
	assert_int_equal(test_json_int(root, "tasks.processes"), 2);
	/* Seen while the workload ran: the tracer is closed before the report. */
	assert_true(w.ids.nprogs > 0);
	assert_ours_then_gone(&w.ids);

	assert_store_whole(store);
	doc = load_profile(store, "spawn");
	assert_null(doc);
	json_object_put(root);
	unlink(report);
	free(report);
	free(err);
	remove_tree(store);
}

static void test_sigint_while_saving_leaves_no_profile_and_no_temporary_file(void **state)
{
	(void)state;
	check_interrupted_while_saving(SIGINT);
}

static void test_sigterm_while_saving_leaves_no_profile_and_no_temporary_file(void **state)
{
	(void)state;
	check_interrupted_while_saving(SIGTERM);
}

/* A calibration partner (a probe's other process) waiting on a futex, with the descriptors of
 * the tracer's BPF programs it inherited. */
static int has_futex_partner(void *ctx)
{
	struct watched *w = ctx;
	pid_t kids[MAX_KIDS];
	char path[64], *text = NULL;
	int i, n, found = 0;

	note_state(w);
	n = test_children_of(w->pid, kids, MAX_KIDS);
	for (i = 0; i < n && !found; i++) {
		snprintf(path, sizeof(path), "/proc/%d/syscall", (int)kids[i]);
		if (amz_read_file(path, &text, NULL) == 0)
			found = atol(text) == SYS_futex &&
				test_bpf_prog_ids_of_pid(kids[i], (unsigned int[1]){0}, 1) > 0;
		free(text);
		text = NULL;
	}
	return found && w->ids.nprogs > 0;
}

static void test_killed_while_calibrating_leaves_no_bpf_and_no_process(void **state)
{
	char *store = new_store("kill-store", false);
	char *argv[] = {
		(char *)test_build_path(0, "amzprof"),	       "--store",    store,    "--",
		(char *)test_build_path(1, "workloads/spawn"), "--sleep-ms", "600000", NULL};
	struct watched w = {0};

	(void)state;
	test_require_bpf();
	start_watched(&w, argv, NULL);
	test_wait_for(has_futex_partner, &w, "a calibration probe with a partner process");

	/* SIGKILL cannot be caught: what is left must go by itself. */
	kill(w.pid, SIGKILL);
	assert_int_equal(test_wait_exit(w.pid), 128 + SIGKILL);
	assert_ours_then_gone(&w.ids);
	assert_kids_gone(&w);
	assert_store_whole(store);
	close(w.err_fd);
	remove_tree(store);
}

static int has_child_and_bpf(void *ctx)
{
	struct watched *w = ctx;

	note_state(w);
	return w->nkids > 0 && w->ids.nprogs > 0;
}

static void test_sigint_in_the_middle_of_calibration_stops_it_cleanly(void **state)
{
	char *store = new_store("mid-store", false), *marker = test_temp_path("marker");
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"--",
			"/usr/bin/touch",
			marker,
			NULL};
	struct watched w = {0};
	json_object *host;
	char *err;

	(void)state;
	test_require_bpf();
	start_watched(&w, argv, NULL);
	test_wait_for(has_child_and_bpf, &w, "calibration to start its probes");
	kill(w.pid, SIGINT);
	assert_int_equal(test_wait_exit(w.pid), 128 + SIGINT);
	err = read_back(w.err_fd);
	if (!strstr(err, "interrupted by SIGINT before the workload started") ||
	    test_count_lines(err) != 1)
		fail_msg("unexpected message: %s", err);
	assert_true(access(marker, F_OK) < 0);
	assert_ours_then_gone(&w.ids);
	assert_kids_gone(&w);
	assert_store_whole(store);
	host = load_profile(store, "host");
	assert_null(host);
	free(err);
	free(marker);
	remove_tree(store);
}

/* The workload itself ends badly. */
static int workload_sleeping(void *ctx)
{
	struct watched *w = ctx;
	pid_t kids[MAX_KIDS];
	char path[64], *text = NULL;
	int ready = 0;

	note_state(w);
	if (test_children_of(w->pid, kids, MAX_KIDS) < 1)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)kids[0]);
	if (amz_read_file(path, &text, NULL) == 0)
		ready = strstr(text, "Name:\tspawn\n") != NULL &&
			test_children_of(kids[0], kids + 1, MAX_KIDS - 1) == 2;
	free(text);
	return ready && w->ids.nprogs > 0;
}

static void test_workload_killed_by_sigkill_is_reported_and_saved(void **state)
{
	char *store = new_store("sigkill-store", true), *report = test_temp_path("sigkill.json");
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"--json",
			"-o",
			report,
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--procs",
			"2",
			"--sleep-ms",
			"600000",
			NULL};
	pid_t workload, grandkids[2];
	json_object *root, *doc;
	struct watched w = {0};

	(void)state;
	test_require_bpf();
	start_watched(&w, argv, NULL);
	test_wait_for(workload_sleeping, &w, "the workload and its two processes to run");
	workload = w.kids[0];
	assert_int_equal(test_children_of(workload, grandkids, 2), 2);
	kill(workload, SIGKILL);

	/* amzprof passes the status through; the two sleeping processes were left running. */
	assert_int_equal(test_wait_exit(w.pid), 128 + SIGKILL);
	root = test_load_json(report);
	assert_int_equal(test_json_int(root, "signal"), SIGKILL);
	kill_left_running(root, 2);
	assert_ours_then_gone(&w.ids);
	/* The pids reported were those two processes: killing them ended them. */
	test_wait_for(process_gone, &grandkids[0], "the first process left running to end");
	test_wait_for(process_gone, &grandkids[1], "the second process left running to end");

	doc = load_profile(store, "spawn");
	assert_non_null(doc);
	assert_true(profile_flag(doc, "complete"));
	assert_store_whole(store);
	json_object_put(doc);
	json_object_put(root);
	close(w.err_fd);
	unlink(report);
	free(report);
	remove_tree(store);
}

static void test_workload_crashing_with_sigsegv_is_reported_and_saved(void **state)
{
	char *store = new_store("segv-store", true), *report = test_temp_path("segv.json");
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"--json",
			"-o",
			report,
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--procs",
			"1",
			"--crash",
			NULL};
	json_object *root, *doc;
	struct test_run r;

	(void)state;
	test_require_bpf();
	/* A sanitized workload would report the fault and exit; this one must die of it. */
	setenv("ASAN_OPTIONS", "handle_segv=0", 1);
	test_run(&r, argv);
	unsetenv("ASAN_OPTIONS");
	assert_int_equal(r.status, 128 + SIGSEGV);
	root = test_load_json(report);
	assert_int_equal(test_json_int(root, "signal"), SIGSEGV);
	assert_int_equal(test_json_int(root, "exit_status"), 128 + SIGSEGV);
	assert_int_equal(test_json_int(root, "tasks.processes"), 1);
	doc = load_profile(store, "spawn");
	assert_non_null(doc);
	assert_true(profile_flag(doc, "complete"));
	assert_store_whole(store);
	json_object_put(doc);
	json_object_put(root);
	test_run_free(&r);
	unlink(report);
	free(report);
	remove_tree(store);
}

static void test_orphans_do_not_hold_amzprof_and_are_reported(void **state)
{
	char *store = new_store("orphan-store", true);
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"--store",
			store,
			"--",
			(char *)test_build_path(1, "workloads/spawn"),
			"--orphans",
			"2",
			"--orphan-ms",
			"600000",
			NULL};
	int out = temp_file(), err_fd = temp_file();
	char *pids, *err, expect[96];
	long a, b;
	struct test_bpf_ids ids = {0};
	pid_t amzprof;

	(void)state;
	test_require_bpf();
	amzprof = test_start(argv, out, err_fd);

	/* The orphans sleep for ten minutes; amzprof ends long before (or the wait fails). */
	assert_int_equal(test_wait_exit(amzprof), 0);
	pids = read_back(out);
	err = read_back(err_fd);
	assert_int_equal(sscanf(pids, "%ld %ld", &a, &b), 2);
	snprintf(expect, sizeof(expect),
		 "left running: 2 processes the workload started outlived it, followed no "
		 "further (pid %ld, %ld)",
		 a < b ? a : b, a < b ? b : a);
	if (!strstr(err, expect))
		fail_msg("the report does not say '%s':\n%s", expect, err);

	/* They still run, and hold nothing of ours: none of them has a BPF descriptor. */
	assert_int_equal(kill((pid_t)a, 0), 0);
	assert_int_equal(kill((pid_t)b, 0), 0);
	test_bpf_ids_add(&ids, (pid_t)a);
	test_bpf_ids_add(&ids, (pid_t)b);
	assert_int_equal(ids.nprogs + ids.nlinks, 0);
	kill((pid_t)a, SIGKILL);
	kill((pid_t)b, SIGKILL);
	free(pids);
	free(err);
	remove_tree(store);
}

static void test_ten_amzprof_saving_at_once_leave_only_whole_profiles(void **state)
{
	char *store = new_store("shared-store", false);
	char names[10][16];
	pid_t pids[10];
	json_object *doc;
	int i;

	(void)state;
	test_require_bpf();
	/* Every one calibrates (the store has no host profile) and saves "host"; half of them
	 * save "shared", the others a name of their own. */
	for (i = 0; i < 10; i++) {
		char *argv[] = {(char *)test_build_path(0, "amzprof"),
				"--store",
				store,
				"--name",
				names[i],
				"-o",
				"/dev/null",
				"--",
				(char *)test_build_path(1, "workloads/spawn"),
				"--procs",
				"2",
				NULL};

		if (i % 2)
			snprintf(names[i], sizeof(names[i]), "own-%d", i);
		else
			snprintf(names[i], sizeof(names[i]), "shared");
		pids[i] = test_start(argv, -1, -1);
	}
	for (i = 0; i < 10; i++)
		assert_int_equal(test_wait_exit(pids[i]), 0);

	assert_store_whole(store);
	for (i = 0; i < 10; i++) {
		doc = load_profile(store, names[i]);
		assert_non_null(doc);
		assert_true(profile_flag(doc, "complete"));
		json_object_put(doc);
	}
	doc = load_profile(store, "host");
	assert_non_null(doc);
	json_object_put(doc);
	remove_tree(store);
}

static void test_ring_buffer_overflow_is_counted_reported_and_the_run_completes(void **state)
{
	char *store = new_store("flood-store", true), *report = test_temp_path("flood.json");
	char *json_argv[] = {(char *)test_build_path(0, "amzprof"),
			     "--store",
			     store,
			     "--json",
			     "-o",
			     report,
			     "--",
			     (char *)test_build_path(1, "workloads/spawn"),
			     "--stop-parent",
			     "--procs",
			     "3000",
			     NULL};
	char *text_argv[] = {(char *)test_build_path(0, "amzprof"),
			     "--store",
			     store,
			     "--",
			     (char *)test_build_path(1, "workloads/spawn"),
			     "--stop-parent",
			     "--procs",
			     "3000",
			     NULL};
	struct test_run r;
	json_object *root;

	(void)state;
	test_require_bpf();
	/* The workload stops amzprof while it forks: 6000 records (a spawn and an exit each) for
	 * a ring buffer of 4096 that nobody reads meanwhile. */
	test_run(&r, json_argv);
	assert_int_equal(r.status, 0);
	root = test_load_json(report);
	assert_true(test_json_int(root, "lost_events") > 0);
	/* The kernel's counters do not go through the ring buffer: they are exact. */
	assert_int_equal(test_json_int(root, "tasks.processes"), 3000);
	assert_int_equal(test_json_int(root, "spawn_latency_ns.count"), 3000);
	json_object_put(root);
	test_run_free(&r);

	test_run(&r, text_argv);
	assert_int_equal(r.status, 0);
	if (!strstr(r.err, "task records were lost (the ring buffer was full)"))
		fail_msg("the report does not say records were lost:\n%s", r.err);
	test_run_free(&r);
	unlink(report);
	free(report);
	remove_tree(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigint_while_calibrating_runs_nothing_saves_nothing),
		cmocka_unit_test(test_sigterm_while_calibrating_runs_nothing_saves_nothing),
		cmocka_unit_test(test_sigint_while_loading_never_starts_the_workload),
		cmocka_unit_test(test_sigterm_while_loading_never_starts_the_workload),
		cmocka_unit_test(
			test_sigint_while_running_is_passed_on_and_marks_the_profile_incomplete),
		cmocka_unit_test(
			test_sigterm_while_running_is_passed_on_and_marks_the_profile_incomplete),
		cmocka_unit_test(test_sigint_while_saving_leaves_no_profile_and_no_temporary_file),
		cmocka_unit_test(test_sigterm_while_saving_leaves_no_profile_and_no_temporary_file),
		cmocka_unit_test(test_killed_while_calibrating_leaves_no_bpf_and_no_process),
		cmocka_unit_test(test_sigint_in_the_middle_of_calibration_stops_it_cleanly),
		cmocka_unit_test(test_workload_killed_by_sigkill_is_reported_and_saved),
		cmocka_unit_test(test_workload_crashing_with_sigsegv_is_reported_and_saved),
		cmocka_unit_test(test_orphans_do_not_hold_amzprof_and_are_reported),
		cmocka_unit_test(test_ten_amzprof_saving_at_once_leave_only_whole_profiles),
		cmocka_unit_test(
			test_ring_buffer_overflow_is_counted_reported_and_the_run_completes),
	};

	return cmocka_run_group_tests_name("faults", tests, setup_group, teardown_group);
}
