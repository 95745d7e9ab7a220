/* A workload that wakes one worker process exactly W times through a pipe: before each byte it
 * waits until the worker sleeps in read(), so every byte is a wakeup and every reply ends a
 * burst. The worker is named "amz-worker" so that a trace can find it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: pingpong --wakes W\n");
	exit(2);
}

static void worker(int in, int out)
{
	char c;

	prctl(PR_SET_NAME, "amz-worker");
	while (read(in, &c, 1) == 1) {
		if (write(out, &c, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

/* The state letter in /proc/PID/stat, after the parenthesised command name. */
static char state_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void wait_until_asleep(pid_t pid)
{
	while (state_of(pid) != 'S')
		sched_yield();
}

int main(int argc, char **argv)
{
	int to_worker[2], from_worker[2], status;
	long wakes, i;
	pid_t pid;
	char c = 'x';

	if (argc != 3 || strcmp(argv[1], "--wakes") != 0)
		usage();
	wakes = strtol(argv[2], NULL, 10);
	if (wakes < 0 || pipe(to_worker) < 0 || pipe(from_worker) < 0)
		usage();

	pid = fork();
	if (pid < 0) {
		perror("pingpong: fork");
		return 1;
	}
	if (pid == 0) {
		close(to_worker[1]);
		close(from_worker[0]);
		worker(to_worker[0], from_worker[1]);
	}
	close(to_worker[0]);
	close(from_worker[1]);

	for (i = 0; i < wakes; i++) {
		wait_until_asleep(pid);
		if (write(to_worker[1], &c, 1) != 1 || read(from_worker[0], &c, 1) != 1) {
			fprintf(stderr, "pingpong: the worker stopped answering\n");
			return 1;
		}
	}
	close(to_worker[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
