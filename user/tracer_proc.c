/* What user space sees of a workload without eBPF: its task tree sampled from /proc, and the
 * CFS throttling counters of its cgroup. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>

#include "tracer.h"

/* A set of ids, open addressing; 0 marks an empty cell (no task has id 0). */
struct id_set {
	unsigned int *cell;
	size_t cap, used;
};

static int set_add(struct id_set *s, unsigned int id);

static int set_grow(struct id_set *s)
{
	struct id_set bigger = {.cap = s->cap ? s->cap * 2 : 256};
	size_t i;

	bigger.cell = calloc(bigger.cap, sizeof(*bigger.cell));
	if (!bigger.cell)
		return -1;
	for (i = 0; i < s->cap; i++) {
		if (s->cell[i])
			set_add(&bigger, s->cell[i]);
	}
	free(s->cell);
	*s = bigger;
	return 0;
}

static int set_add(struct id_set *s, unsigned int id)
{
	size_t i;

	if ((s->used + 1) * 2 > s->cap && set_grow(s) < 0)
		return -1;
	for (i = (id * 2654435761u) % s->cap; s->cell[i]; i = (i + 1) % s->cap) {
		if (s->cell[i] == id)
			return 0;
	}
	s->cell[i] = id;
	s->used++;
	return 0;
}

struct tracer_sampler {
	pid_t root;
	unsigned int interval_ms;
	pthread_t thread;
	volatile bool stop;
	struct id_set processes; /* thread-group ids seen below the root */
	struct id_set threads;	 /* non-leader thread ids seen, the root's included */
};

static void sample_process(struct tracer_sampler *s, pid_t tgid, int depth);

static void sample_children(struct tracer_sampler *s, pid_t tgid, pid_t tid, int depth)
{
	char path[96], *text = NULL, *p, *end;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)tgid, (int)tid);
	if (amz_read_file(path, &text, NULL) < 0)
		return;
	for (p = text;; p = end) {
		long child = strtol(p, &end, 10);

		if (end == p)
			break;
		set_add(&s->processes, (unsigned int)child);
		sample_process(s, (pid_t)child, depth + 1);
	}
	free(text);
}

static void sample_process(struct tracer_sampler *s, pid_t tgid, int depth)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	if (depth > 64)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)tgid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0)
			continue;
		if (tid != tgid)
			set_add(&s->threads, (unsigned int)tid);
		sample_children(s, tgid, tid, depth);
	}
	closedir(d);
}

static void *sampler_main(void *arg)
{
	struct tracer_sampler *s = arg;
	struct timespec ts = {.tv_sec = s->interval_ms / 1000,
			      .tv_nsec = (long)(s->interval_ms % 1000) * 1000000L};
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!s->stop) {
		sample_process(s, s->root, 0);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int tracer_sampler_start(struct tracer_sampler **out, pid_t root, unsigned int interval_ms,
			 struct amz_err *err)
{
	struct tracer_sampler *s = calloc(1, sizeof(*s));

	if (!s)
		return amz_fail(err, ENOMEM, "cannot sample the workload's tasks: out of memory");
	s->root = root;
	s->interval_ms = interval_ms ? interval_ms : 1;
	if (pthread_create(&s->thread, NULL, sampler_main, s) != 0) {
		free(s);
		return amz_fail(err, EAGAIN, "cannot start the thread that samples the workload");
	}
	*out = s;
	return 0;
}

void tracer_sampler_stop(struct tracer_sampler *s, struct amz_trace *trace)
{
	if (!s)
		return;
	s->stop = true;
	pthread_join(s->thread, NULL);
	trace->sampled_every_ms = s->interval_ms;
	trace->sampled_processes = s->processes.used;
	trace->sampled_threads = s->threads.used;
	free(s->processes.cell);
	free(s->threads.cell);
	free(s);
}

static int parse_cpu_stat(const char *path, struct tracer_throttle *out)
{
	char *text = NULL, *line, *save = NULL;
	bool found = false;

	if (amz_read_file(path, &text, NULL) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v;
		char key[64];

		if (sscanf(line, "%63s %llu", key, &v) != 2)
			continue;
		if (strcmp(key, "nr_periods") == 0) {
			out->nr_periods = v;
		} else if (strcmp(key, "nr_throttled") == 0) {
			out->nr_throttled = v;
			found = true;
		} else if (strcmp(key, "throttled_time") == 0) {
			out->throttled_ns = v;
		} else if (strcmp(key, "throttled_usec") == 0) {
			out->throttled_ns = v * 1000;
		}
	}
	free(text);
	return found ? 0 : -1;
}

static bool lists_controller(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = list; (p = strstr(p, name)); p += n) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* Only the process's own cgroup is read: a quota set on an ancestor throttles at that
 * ancestor, whose counters are not added here. */
int tracer_read_throttle(pid_t pid, struct tracer_throttle *out)
{
	char *text = NULL, *line, *save = NULL, path[4096];
	int r = -1;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	if (amz_read_file(path, &text, NULL) < 0)
		return -1;
	for (line = strtok_r(text, "\n", &save); line && r < 0;
	     line = strtok_r(NULL, "\n", &save)) {
		char *controllers = strchr(line, ':'), *cg;

		if (!controllers || !(cg = strchr(controllers + 1, ':')))
			continue;
		*cg++ = '\0';
		controllers++;
		if (!*controllers) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s/cpu.stat", cg);
			r = parse_cpu_stat(path, out);
			if (r < 0) {
				snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.stat", cg);
				r = parse_cpu_stat(path, out);
			}
		} else if (lists_controller(controllers, "cpu")) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/cpu.stat", controllers,
				 cg);
			r = parse_cpu_stat(path, out);
		}
	}
	free(text);
	return r;
}
