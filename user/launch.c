/* Starting the workload without a shell, forwarding signals to it, and reaping it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

static volatile sig_atomic_t forward_pid;
static volatile sig_atomic_t received_signal;

static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void forward_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;

	received_signal = sig;
	/* A signal from the terminal (SI_KERNEL) has reached the workload already. */
	if (forward_pid > 0 && info->si_code != SI_KERNEL)
		kill((pid_t)forward_pid, sig);
}

static void install_forwarding(pid_t pid)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);

	forward_pid = pid;
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

static int search_path(const char *cmd)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	char full[PATH_MAX];
	int found = 0;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = strdup(path);
	if (!copy)
		return 1;

	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/%s", *dir ? dir : ".", cmd);
		found = is_executable_file(full);
	}
	free(copy);
	return found;
}

int launch_check_command(const char *cmd, struct amz_err *err)
{
	struct stat st;

	if (!*cmd) {
		amz_fail(err, ENOENT, "the command is an empty string");
		return LAUNCH_EXIT_NOT_FOUND;
	}

	if (!strchr(cmd, '/')) {
		if (search_path(cmd))
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

static void child_wait_and_exec(int go_fd, int exec_fd, char *const argv[])
{
	char go = 0;
	ssize_t n;
	int code;

	restore_default_signals();

	/* One byte means amzprof follows this process now; EOF means amzprof is gone. */
	do {
		n = read(go_fd, &go, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(LAUNCH_EXIT_FAILED);
	close(go_fd);

	execvp(argv[0], argv);

	code = errno;
	while (write(exec_fd, &code, sizeof(code)) < 0 && errno == EINTR)
		;
	_exit(code == ENOENT ? LAUNCH_EXIT_NOT_FOUND : LAUNCH_EXIT_CANNOT_EXECUTE);
}

int launch_prepare(struct launch *l, char *const argv[], struct amz_err *err)
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
		child_wait_and_exec(go[0], ex[1], argv);
	}

	close(go[0]);
	close(ex[1]);
	l->go_fd = go[1];
	l->exec_fd = ex[0];
	install_forwarding(l->pid);
	return 0;
}

int launch_release(struct launch *l, struct amz_err *err)
{
	int code = 0;
	ssize_t n;

	do {
		n = write(l->go_fd, "g", 1);
	} while (n < 0 && errno == EINTR);
	close(l->go_fd);
	l->go_fd = -1;

	do {
		n = read(l->exec_fd, &code, sizeof(code));
	} while (n < 0 && errno == EINTR);
	close(l->exec_fd);
	l->exec_fd = -1;

	if (n == (ssize_t)sizeof(code))
		return amz_fail(err, code, "cannot execute the command: %s", amz_reason(code));
	return 0;
}

int launch_wait(struct launch *l, struct amz_err *err)
{
	pid_t r;

	do {
		r = waitpid(l->pid, &l->status, 0);
	} while (r < 0 && errno == EINTR);

	forward_pid = 0;
	l->last_signal = received_signal;
	if (r < 0)
		return amz_fail(err, errno, "cannot wait for the workload: %s", amz_reason(errno));
	l->exited = true;
	return 0;
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
