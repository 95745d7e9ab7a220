/* Starting the workload without a shell, forwarding signals to it, and reaping it. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch.h"

/* The released workload, while amzprof waits for it; 0 before its release and after its end. */
static volatile sig_atomic_t forward_pid;

static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;

	amz_request_stop(sig);
	/* A signal from the terminal (SI_KERNEL) has reached the workload already. */
	if (forward_pid > 0 && info->si_code != SI_KERNEL)
		kill((pid_t)forward_pid, sig);
}

void launch_catch_signals(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaction(forwarded_signals[i], &sa, NULL);
}

static void restore_default_signals(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		signal(forwarded_signals[i], SIG_DFL);
}

static int is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The first executable file named cmd in PATH, as execvp finds it, written to full. */
static int search_path(const char *cmd, char *full, size_t size)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int found = 0;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = strdup(path);
	if (!copy)
		return 0;

	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, size, "%s/%s", *dir ? dir : ".", cmd);
		found = is_executable_file(full);
	}
	free(copy);
	return found;
}

int launch_resolve_command(const char *cmd, char *path, size_t size)
{
	if (strchr(cmd, '/')) {
		snprintf(path, size, "%s", cmd);
		return is_executable_file(path) ? 0 : -1;
	}
	return search_path(cmd, path, size) ? 0 : -1;
}

static int parse_id(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xfffffffeUL)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int launch_sudo_creds(struct launch_creds *c, bool keep_root, struct amz_err *err)
{
	const char *suid = getenv("SUDO_UID"), *sgid = getenv("SUDO_GID");
	const char *user = getenv("SUDO_USER");
	unsigned int uid, gid;
	struct passwd *pw;

	memset(c, 0, sizeof(*c));
	if (keep_root || geteuid() != 0 || !suid)
		return 0;
	if (parse_id(suid, &uid) < 0 || parse_id(sgid, &gid) < 0)
		return amz_fail(err, EINVAL,
				"cannot run the workload as the sudo caller: SUDO_UID and SUDO_GID "
				"must be numbers (they are '%s' and '%s')",
				suid, sgid ? sgid : "");

	c->drop = true;
	c->uid = (uid_t)uid;
	c->gid = (gid_t)gid;
	c->ngroups = (int)ARRAY_SIZE(c->groups);
	pw = user ? NULL : getpwuid(c->uid);
	if (!user && pw)
		user = pw->pw_name;
	/* A user unknown here keeps only the group sudo named. */
	if (!user || getgrouplist(user, c->gid, c->groups, &c->ngroups) < 0) {
		c->groups[0] = c->gid;
		c->ngroups = 1;
	}
	amz_log(AMZ_LOG_INFO, "the workload runs as uid %u, gid %u, with %d groups (sudo caller)",
		uid, gid, c->ngroups);
	return 0;
}

int launch_check_command(const char *cmd, struct amz_err *err)
{
	struct stat st;

	if (!*cmd) {
		amz_fail(err, ENOENT, "the command is an empty string");
		return LAUNCH_EXIT_NOT_FOUND;
	}

	if (!strchr(cmd, '/')) {
		char full[PATH_MAX];

		if (search_path(cmd, full, sizeof(full)))
			return 0;
		amz_fail(err, ENOENT, "cannot run '%s': no such command in PATH", cmd);
		return LAUNCH_EXIT_NOT_FOUND;
	}

	if (stat(cmd, &st) < 0) {
		amz_fail(err, errno, "cannot run '%s': %s", cmd, amz_reason(errno));
		return errno == ENOENT ? LAUNCH_EXIT_NOT_FOUND : LAUNCH_EXIT_CANNOT_EXECUTE;
	}
	if (S_ISDIR(st.st_mode) || access(cmd, X_OK) < 0) {
		amz_fail(err, EACCES, "cannot run '%s': %s", cmd,
			 S_ISDIR(st.st_mode) ? "it is a directory" : "it is not executable");
		return LAUNCH_EXIT_CANNOT_EXECUTE;
	}
	return 0;
}

/* What a child that could not exec tells amzprof through exec_fd. */
struct child_report {
	int stage; /* STAGE_CREDS or STAGE_EXEC */
	int code;  /* errno */
};

#define STAGE_CREDS 1
#define STAGE_EXEC  2

static void child_report(int exec_fd, int stage, int code)
{
	struct child_report r = {stage, code};

	while (write(exec_fd, &r, sizeof(r)) < 0 && errno == EINTR)
		;
}

int launch_become(const struct launch_creds *c)
{
	if (setgroups((size_t)c->ngroups, c->groups) < 0 || setgid(c->gid) < 0 ||
	    setuid(c->uid) < 0)
		return -1;
	return 0;
}

static void child_wait_and_exec(int go_fd, int exec_fd, char *const argv[],
				const struct launch_creds *creds)
{
	char go = 0;
	ssize_t n;
	int code;

	restore_default_signals();

	if (creds && creds->drop && launch_become(creds) < 0) {
		child_report(exec_fd, STAGE_CREDS, errno);
		_exit(LAUNCH_EXIT_FAILED);
	}

	/* One byte means amzprof follows this process now; EOF means amzprof is gone. */
	do {
		n = read(go_fd, &go, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(LAUNCH_EXIT_FAILED);
	close(go_fd);

	execvp(argv[0], argv);

	code = errno;
	child_report(exec_fd, STAGE_EXEC, code);
	_exit(code == ENOENT ? LAUNCH_EXIT_NOT_FOUND : LAUNCH_EXIT_CANNOT_EXECUTE);
}

int launch_prepare(struct launch *l, char *const argv[], struct amz_err *err)
{
	return launch_prepare_as(l, argv, NULL, err);
}

int launch_prepare_as(struct launch *l, char *const argv[], const struct launch_creds *creds,
		      struct amz_err *err)
{
	int go[2], ex[2];

	memset(l, 0, sizeof(*l));
	l->go_fd = l->exec_fd = -1;

	if (pipe2(go, O_CLOEXEC) < 0)
		return amz_fail(err, errno, "cannot create a pipe: %s", amz_reason(errno));
	if (pipe2(ex, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return amz_fail(err, errno, "cannot create a pipe: %s", amz_reason(errno));
	}

	l->pid = fork();
	if (l->pid < 0) {
		int e = errno;

		close(go[0]);
		close(go[1]);
		close(ex[0]);
		close(ex[1]);
		return amz_fail(err, e, "cannot fork the workload: %s", amz_reason(e));
	}

	if (l->pid == 0) {
		close(go[1]);
		close(ex[0]);
		child_wait_and_exec(go[0], ex[1], argv, creds);
	}

	close(go[0]);
	close(ex[1]);
	l->go_fd = go[1];
	l->exec_fd = ex[0];
	launch_catch_signals();
	return 0;
}

/* A child that died before its release (a terminal's signal reaches it too) has closed its end
 * of the pipe: the write then fails with EPIPE instead of raising a SIGPIPE that would kill
 * amzprof. */
static ssize_t write_without_sigpipe(int fd, const void *buf, size_t len)
{
	struct timespec now = {0, 0};
	sigset_t pipe_only, old;
	ssize_t n;
	int e;

	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
	do {
		n = write(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	e = errno;
	if (n < 0 && e == EPIPE)
		sigtimedwait(&pipe_only, NULL, &now);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return n;
}

int launch_release(struct launch *l, struct amz_err *err)
{
	struct child_report r = {0, 0};
	ssize_t n;

	forward_pid = l->pid;
	n = write_without_sigpipe(l->go_fd, "g", 1);
	close(l->go_fd);
	l->go_fd = -1;
	if (n < 0) {
		close(l->exec_fd);
		l->exec_fd = -1;
		return amz_fail(err, ESRCH, "the workload ended before it could start");
	}

	do {
		n = read(l->exec_fd, &r, sizeof(r));
	} while (n < 0 && errno == EINTR);
	close(l->exec_fd);
	l->exec_fd = -1;

	if (n != (ssize_t)sizeof(r))
		return 0;
	if (r.stage == STAGE_CREDS)
		return amz_fail(err, r.code,
				"cannot run the workload as the sudo caller (use --keep-root to "
				"run it as root): %s",
				amz_reason(r.code));
	return amz_fail(err, r.code, "cannot execute the command: %s", amz_reason(r.code));
}

int launch_wait(struct launch *l, struct amz_err *err)
{
	pid_t r;

	do {
		r = wait4(l->pid, &l->status, 0, &l->usage);
	} while (r < 0 && errno == EINTR);

	forward_pid = 0;
	l->last_signal = amz_stop_requested();
	amz_stop_clear();
	if (r < 0)
		return amz_fail(err, errno, "cannot wait for the workload: %s", amz_reason(errno));
	l->exited = true;
	return 0;
}

static double seconds_left(uint64_t deadline)
{
	uint64_t now = amz_now_ns();

	return now >= deadline ? 0 : (double)(deadline - now) / 1e9;
}

enum launch_watch_end launch_watch(pid_t pid, double seconds)
{
	uint64_t deadline = seconds > 0 ? amz_now_ns() + (uint64_t)(seconds * 1e9) : UINT64_MAX;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	enum launch_watch_end end = LAUNCH_WATCH_TIMEOUT;

	launch_catch_signals();
	/* Waiting in slices keeps a limit of days from overflowing poll's milliseconds, and
	 * lets a kernel without pidfd_open fall back to probing the pid. */
	while (!amz_stop_requested()) {
		double left = seconds_left(deadline);
		int slice = left < 0.1 ? (int)(left * 1000) + 1 : 100;
		struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

		if (left <= 0)
			break;
		if (pidfd >= 0 ? poll(&pfd, 1, slice) > 0 : kill(pid, 0) < 0 && errno == ESRCH) {
			end = LAUNCH_WATCH_EXITED;
			break;
		}
		if (pidfd < 0) {
			struct timespec ts = {0, (long)slice * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
	if (amz_stop_requested())
		end = LAUNCH_WATCH_SIGNALED;
	amz_stop_clear();
	if (pidfd >= 0)
		close(pidfd);
	return end;
}

void launch_abort(struct launch *l)
{
	if (l->pid <= 0 || l->exited)
		return;

	kill(l->pid, SIGKILL);
	if (l->go_fd >= 0)
		close(l->go_fd);
	if (l->exec_fd >= 0)
		close(l->exec_fd);
	l->go_fd = l->exec_fd = -1;
	while (waitpid(l->pid, &l->status, 0) < 0 && errno == EINTR)
		;
	forward_pid = 0;
	l->exited = true;
}

int launch_exit_status(const struct launch *l)
{
	if (WIFSIGNALED(l->status))
		return 128 + WTERMSIG(l->status);
	return WEXITSTATUS(l->status);
}
