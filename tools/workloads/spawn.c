/* A workload with a known shape: forks exactly K processes and starts exactly T threads, then
 * exits with a chosen status or signal; with --wait-stdin it first waits for a byte on stdin.
 * amzprof's tests count its tasks against K and T. For the fault tests it can also crash for
 * real (--crash), leave processes running behind it (--orphans N, pids printed on stdout), and
 * stop its parent while it forks (--stop-parent: amzprof's tracer then reads nothing). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct spawn_opts {
	long procs;
	long threads;
	long exit_code;
	long signal;
	long sleep_ms;
	int wait_stdin;
	long orphans;
	long orphan_ms;
	int crash;
	int stop_parent;
};

static void usage(void)
{
	fprintf(stderr, "usage: spawn [--procs K] [--threads T] [--sleep-ms MS] "
			"[--exit CODE] [--signal N] [--wait-stdin] [--crash] [--orphans N] "
			"[--orphan-ms MS] [--stop-parent]\n");
	exit(2);
}

static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0)
		usage();
	return v;
}

static void parse(int argc, char **argv, struct spawn_opts *o)
{
	static const struct option longopts[] = {
		{"procs", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'},
		{"exit", required_argument, NULL, 'e'},
		{"signal", required_argument, NULL, 's'},
		{"sleep-ms", required_argument, NULL, 'm'},
		{"wait-stdin", no_argument, NULL, 'w'},
		{"crash", no_argument, NULL, 'c'},
		{"orphans", required_argument, NULL, 'o'},
		{"orphan-ms", required_argument, NULL, 'O'},
		{"stop-parent", no_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->procs = number(optarg);
			break;
		case 't':
			o->threads = number(optarg);
			break;
		case 'e':
			o->exit_code = number(optarg);
			break;
		case 's':
			o->signal = number(optarg);
			break;
		case 'm':
			o->sleep_ms = number(optarg);
			break;
		case 'w':
			o->wait_stdin = 1;
			break;
		case 'c':
			o->crash = 1;
			break;
		case 'o':
			o->orphans = number(optarg);
			break;
		case 'O':
			o->orphan_ms = number(optarg);
			break;
		case 'S':
			o->stop_parent = 1;
			break;
		default:
			usage();
		}
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void *thread_main(void *arg)
{
	sleep_ms(*(long *)arg);
	return NULL;
}

static void fork_children(long n, long ms)
{
	long i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("spawn: fork");
			exit(1);
		}
		if (pid == 0) {
			sleep_ms(ms);
			_exit(0);
		}
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
}

static void start_threads(long n, long ms)
{
	pthread_t *tids = calloc((size_t)n + 1, sizeof(*tids));
	long i;

	if (!tids)
		exit(1);
	for (i = 0; i < n; i++) {
		if (pthread_create(&tids[i], NULL, thread_main, &ms) != 0) {
			fprintf(stderr, "spawn: cannot create a thread\n");
			exit(1);
		}
	}
	for (i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tids);
}

/* Processes that outlive this one: each sleeps, then exits; their pids go to stdout. */
static void leave_orphans(long n, long ms)
{
	long i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("spawn: fork");
			exit(1);
		}
		if (pid == 0) {
			sleep_ms(ms);
			_exit(0);
		}
		printf("%d\n", (int)pid);
	}
	fflush(stdout);
}

/* A real fault, a store to a page that allows no access, without a core file. (Not a null
 * pointer: UBSan would catch that first in a sanitized build.) */
static void crash(void)
{
	struct rlimit none = {0, 0};
	volatile int *nowhere = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	setrlimit(RLIMIT_CORE, &none);
	if (nowhere != MAP_FAILED)
		*nowhere = 1;
}

int main(int argc, char **argv)
{
	struct spawn_opts o;

	parse(argc, argv, &o);
	/* Lets a test attach to this process before it starts spawning. */
	if (o.wait_stdin) {
		char c;

		while (read(STDIN_FILENO, &c, 1) < 0 && errno == EINTR)
			;
	}
	if (o.stop_parent)
		kill(getppid(), SIGSTOP);
	fork_children(o.procs, o.sleep_ms);
	if (o.stop_parent)
		kill(getppid(), SIGCONT);
	start_threads(o.threads, o.sleep_ms);
	leave_orphans(o.orphans, o.orphan_ms);
	if (o.crash)
		crash();

	if (o.signal) {
		signal((int)o.signal, SIG_DFL);
		raise((int)o.signal);
	}
	return (int)o.exit_code;
}
