/* A fork- and wakeup-heavy workload for overhead measurements: N times, fork a child and bounce
 * a byte with it M times through two pipes, then reap it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: forkwake --forks N --pingpongs M\n");
	exit(2);
}

static void child(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1) {
		if (write(out, &c, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

static int one_round(long pingpongs)
{
	int down[2], up[2], status;
	pid_t pid;
	char c = 'x';
	long i;

	if (pipe(down) < 0 || pipe(up) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		child(down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	for (i = 0; i < pingpongs; i++) {
		if (write(down[1], &c, 1) != 1 || read(up[0], &c, 1) != 1)
			return -1;
	}
	close(down[1]);
	close(up[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int main(int argc, char **argv)
{
	long forks, pingpongs, i;

	if (argc != 5 || strcmp(argv[1], "--forks") != 0 || strcmp(argv[3], "--pingpongs") != 0)
		usage();
	forks = strtol(argv[2], NULL, 10);
	pingpongs = strtol(argv[4], NULL, 10);
	for (i = 0; i < forks; i++) {
		if (one_round(pingpongs) < 0) {
			perror("forkwake");
			return 1;
		}
	}
	return 0;
}
