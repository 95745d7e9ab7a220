/* Loading the BPF object through its skeleton, choosing tp_btf or raw_tp attachment, following
 * a task tree, and reading the kernel's aggregates and task records back. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "amz.h"
#include "amz.skel.h"
#include "timeline.h"
#include "tracer.h"

#define MAX_USDT_LINKS 8

/* The timeline's ring buffer: room for about 150,000 records between two reads. */
#define TIMELINE_RINGBUF_BYTES (8u << 20)

/* How often the reader wakes to read task records and keep the statistics' windows. */
#define READER_TICK_MS 25

/* The kernel's run-time statistics cost every BPF program run on the machine two clock reads,
 * which in a VM made them the largest part of the tracer's cost. They are kept on for one
 * window of each period, opened at the start and at every reset: a per-event cost is a rate,
 * and a sample of it is enough. */
#define STATS_WINDOW_NS (50 * 1000000ull)
#define STATS_PERIOD_NS (1000 * 1000000ull)

struct tracer {
	struct amz_bpf *skel;
	bool btf_attach;
	bool usdt_loaded;
	bool stats_allowed; /* wanted, and the kernel turned them on when first asked */
	struct bpf_link *usdt[MAX_USDT_LINKS];
	unsigned int nusdt;

	/* Task records from the ring buffer, read by a thread that polls on a timer. */
	struct ring_buffer *rb;
	pthread_t reader;
	bool reader_started;
	int wake_fd;	      /* written to stop the reader at once */
	int epoll_fd;	      /* the ring buffer's readiness and wake_fd */
	pthread_mutex_t lock; /* guards the ring buffer's consumption and the fields below */
	unsigned long long tasks_seen;
	unsigned int ntop;
	struct amz_task_stats top[AMZ_TRACE_TOP_TASKS];
	struct timeline *timeline; /* the caller's; NULL without one */

	/* Tasks on a CPU when the concurrency series started. */
	long long series_level0;

	/* Run-time statistics at the last reset, subtracted at read. */
	unsigned long long base_run_ns, base_run_cnt;

	/* The statistics' windows, under lock: stats_fd is open while they are on. */
	int stats_fd;
	unsigned long long stats_window_start; /* when the current or last window opened */
	unsigned long long stats_on_ns;	       /* on time since the last reset, closed windows */
};

/* The ways to load, best first: tp_btf before raw_tp, sched_switch's prev_state argument
 * (5.18 and on) before the task's state field. */
struct attempt {
	bool btf;
	bool state_from_arg;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	(void)level;
	if (!amz_log_enabled(AMZ_LOG_DEBUG))
		return 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	amz_log(AMZ_LOG_DEBUG, "libbpf: %s", msg);
	return 0;
}

static bool is_btf_program(const struct bpf_program *prog)
{
	return strncmp(bpf_program__section_name(prog), "tp_btf/", 7) == 0;
}

static bool is_usdt_program(const struct bpf_program *prog)
{
	return strcmp(bpf_program__section_name(prog), "usdt") == 0;
}

static void choose_programs(struct amz_bpf *skel, bool btf, bool usdt)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj)
	{
		bool load = is_usdt_program(prog) ? usdt : is_btf_program(prog) == btf;

		bpf_program__set_autoload(prog, load);
	}
}

/* The timeline's programs and ring buffer exist only when the caller wants a timeline. */
static int set_timeline(struct amz_bpf *skel, const struct timeline *tl)
{
	if (!tl)
		return 0;
	skel->rodata->timeline = true;
	skel->rodata->timeline_cap = tl->cap;
	skel->rodata->timeline_wake_bytes = TIMELINE_RINGBUF_BYTES / 2;
	return bpf_map__set_max_entries(skel->maps.timeline_rb, TIMELINE_RINGBUF_BYTES);
}

static int load_and_attach(struct tracer *t, const struct attempt *a, bool usdt)
{
	int r;

	t->skel = amz_bpf__open();
	if (!t->skel)
		return -errno;

	choose_programs(t->skel, a->btf, usdt);
	t->skel->rodata->state_from_arg = a->state_from_arg;
	t->skel->rodata->conc_base_ns = amz_now_ns();
	t->skel->rodata->ringbuf_wake_bytes = bpf_map__max_entries(t->skel->maps.events) / 2;
	r = set_timeline(t->skel, t->timeline);
	if (r) {
		amz_bpf__destroy(t->skel);
		t->skel = NULL;
		return r;
	}

	r = amz_bpf__load(t->skel);
	if (!r)
		r = amz_bpf__attach(t->skel);
	if (r) {
		amz_bpf__destroy(t->skel);
		t->skel = NULL;
		return r;
	}
	t->btf_attach = a->btf;
	return 0;
}

static int load_best(struct tracer *t, const struct tracer_opts *o)
{
	static const struct attempt attempts[] = {
		{true, true},
		{true, false},
		{false, true},
		{false, false},
	};
	int r = -ENOENT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(attempts); i++) {
		if (o->raw_tp && attempts[i].btf)
			continue;
		if (o->state_from_task && attempts[i].state_from_arg)
			continue;
		r = load_and_attach(t, &attempts[i], !o->no_usdt);
		if (!r) {
			amz_log(AMZ_LOG_INFO, "BPF programs attached as %s, prev_state from the %s",
				attempts[i].btf ? "tp_btf" : "raw_tp",
				attempts[i].state_from_arg ? "tracepoint" : "task");
			return 0;
		}
		amz_log(AMZ_LOG_INFO,
			"BPF programs did not load as %s with prev_state from the %s: %s",
			attempts[i].btf ? "tp_btf" : "raw_tp",
			attempts[i].state_from_arg ? "tracepoint" : "task", amz_reason(-r));
	}
	return r;
}

static int explain_failure(struct amz_err *err, int r)
{
	int code = r < 0 ? -r : r;

	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		return amz_fail(err, ENOENT,
				"cannot load the BPF programs: the kernel has no BTF "
				"(/sys/kernel/btf/vmlinux missing)");
	if (code == EPERM || code == EACCES)
		return amz_fail(err, code,
				"cannot load the BPF programs: permission denied "
				"(run as root, or with CAP_BPF and CAP_PERFMON)");
	return amz_fail(err, code, "cannot load the BPF programs: %s", amz_reason(code));
}

static void keep_top(struct amz_task_stats *top, unsigned int *ntop, const struct amz_task_stats *s)
{
	unsigned int i, min = 0;

	if (*ntop < AMZ_TRACE_TOP_TASKS) {
		top[(*ntop)++] = *s;
		return;
	}
	for (i = 1; i < *ntop; i++) {
		if (top[i].cpu_ns < top[min].cpu_ns)
			min = i;
	}
	if (s->cpu_ns > top[min].cpu_ns)
		top[min] = *s;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct amz_event *e = data;

	if (size < sizeof(*e) || e->type != AMZ_EV_EXIT)
		return 0;
	t->tasks_seen++;
	keep_top(t->top, &t->ntop, &e->task);
	return 0;
}

static int handle_timeline(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	timeline_add(t->timeline, data, size);
	return 0;
}

static void stats_on(struct tracer *t)
{
	if (!t->stats_allowed || t->stats_fd >= 0)
		return;
	t->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (t->stats_fd >= 0)
		t->stats_window_start = amz_now_ns();
}

static void stats_off(struct tracer *t)
{
	if (t->stats_fd < 0)
		return;
	close(t->stats_fd);
	t->stats_fd = -1;
	t->stats_on_ns += amz_now_ns() - t->stats_window_start;
}

/* Closes a window that has lasted long enough, opens one when a period has passed. */
static void stats_keep_windows(struct tracer *t)
{
	unsigned long long since = amz_now_ns() - t->stats_window_start;

	if (t->stats_fd >= 0 && since >= STATS_WINDOW_NS)
		stats_off(t);
	else if (t->stats_fd < 0 && since >= STATS_PERIOD_NS)
		stats_on(t);
}

static unsigned long long stats_on_so_far(const struct tracer *t)
{
	return t->stats_on_ns + (t->stats_fd >= 0 ? amz_now_ns() - t->stats_window_start : 0);
}

/* The programs wake the reader only when the buffer is half full, so it also reads on a
 * timer; it stops as soon as wake_fd is written. */
static void *reader_main(void *arg)
{
	struct tracer *t = arg;
	struct epoll_event ev;

	for (;;) {
		int n = epoll_wait(t->epoll_fd, &ev, 1, READER_TICK_MS);

		if (n > 0 && ev.data.fd == t->wake_fd)
			break;
		pthread_mutex_lock(&t->lock);
		ring_buffer__consume(t->rb);
		stats_keep_windows(t);
		pthread_mutex_unlock(&t->lock);
	}
	return NULL;
}

/* Signals are for the thread that waits for the workload and forwards them. The reader is born
 * with every signal blocked: blocking them once it runs would leave a moment in which a signal
 * meant to stop amzprof is handled in the reader, out of step with the thread that checks. */
static int start_thread_without_signals(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static int watch_fd(int epoll_fd, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static int start_reader(struct tracer *t, struct amz_err *err)
{
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_event, t, NULL);
	if (!t->rb)
		return amz_fail(err, errno, "cannot read the tracer's ring buffer: %s",
				amz_reason(errno));
	if (t->timeline &&
	    ring_buffer__add(t->rb, bpf_map__fd(t->skel->maps.timeline_rb), handle_timeline, t) < 0)
		return amz_fail(err, errno, "cannot read the timeline's ring buffer: %s",
				amz_reason(errno));
	t->wake_fd = eventfd(0, EFD_CLOEXEC);
	t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (t->wake_fd < 0 || t->epoll_fd < 0 || watch_fd(t->epoll_fd, t->wake_fd) < 0 ||
	    watch_fd(t->epoll_fd, ring_buffer__epoll_fd(t->rb)) < 0)
		return amz_fail(err, errno, "cannot poll the tracer's ring buffer: %s",
				amz_reason(errno));
	if (start_thread_without_signals(&t->reader, reader_main, t) != 0)
		return amz_fail(err, EAGAIN, "cannot start the tracer's reader thread");
	t->reader_started = true;
	return 0;
}

static void enable_run_stats(struct tracer *t, const struct tracer_opts *o)
{
	pthread_mutex_lock(&t->lock);
	t->stats_allowed = !o->no_run_stats;
	stats_on(t);
	if (t->stats_allowed && t->stats_fd < 0) {
		amz_log(AMZ_LOG_INFO, "BPF run-time statistics unavailable: %s", amz_reason(errno));
		t->stats_allowed = false;
	}
	pthread_mutex_unlock(&t->lock);
}

int tracer_open_opts(struct tracer **out, const struct tracer_opts *opts, struct amz_err *err)
{
	static const struct tracer_opts defaults;
	const struct tracer_opts *o = opts ? opts : &defaults;
	struct tracer *t;
	int r;

	libbpf_set_print(libbpf_print);

	t = calloc(1, sizeof(*t));
	if (!t)
		return amz_fail(err, ENOMEM, "cannot allocate the tracer: out of memory");
	t->stats_fd = t->wake_fd = t->epoll_fd = -1;
	t->timeline = o->timeline;
	pthread_mutex_init(&t->lock, NULL);

	/* Load and attach, then start reading task records and measuring our own cost. */
	r = load_best(t, o);
	if (r) {
		pthread_mutex_destroy(&t->lock);
		free(t);
		return explain_failure(err, r);
	}
	t->usdt_loaded = !o->no_usdt;
	if (start_reader(t, err) < 0) {
		tracer_close(t);
		return -1;
	}
	enable_run_stats(t, o);

	*out = t;
	return 0;
}

int tracer_open(struct tracer **out, struct amz_err *err)
{
	return tracer_open_opts(out, NULL, err);
}

static int read_comm(pid_t tgid, pid_t tid, char comm[16])
{
	char path[64], *text = NULL;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)tgid, (int)tid);
	if (amz_read_file(path, &text, &n) < 0)
		return -1;
	if (n && text[n - 1] == '\n')
		text[n - 1] = '\0';
	snprintf(comm, 16, "%s", text);
	free(text);
	return 0;
}

/* A task that existed before it was followed: no spawn to time, state learnt at its next
 * switch. */
static void seed_task(struct tracer *t, pid_t tgid, pid_t tid)
{
	struct amz_task_state s;
	__u32 key = (__u32)tid;

	memset(&s, 0, sizeof(s));
	s.s.pid = (unsigned int)tid;
	s.s.tgid = (unsigned int)tgid;
	s.s.is_thread = tid != tgid;
	read_comm(tgid, tid, s.s.comm);
	if (bpf_map__update_elem(t->skel->maps.tasks, &key, sizeof(key), &s, sizeof(s),
				 BPF_NOEXIST) < 0 ||
	    key >= AMZ_PID_SPACE)
		return;
	__atomic_fetch_or(&t->skel->bss->task_bits[key / 32], 1U << (key % 32), __ATOMIC_SEQ_CST);
}

/* Calls fn for every thread of tgid; returns how many, or -1 when tgid is gone. */
static int for_each_thread(pid_t tgid, void (*fn)(void *ctx, pid_t tgid, pid_t tid), void *ctx)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)tgid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0)
			continue;
		fn(ctx, tgid, tid);
		n++;
	}
	closedir(d);
	return n;
}

static void seed_one(void *ctx, pid_t tgid, pid_t tid)
{
	seed_task(ctx, tgid, tid);
}

int tracer_follow(struct tracer *t, pid_t tgid, struct amz_err *err)
{
	__u32 key = (__u32)tgid;
	__u8 one = 1;

	/* The group first, so that its forks are followed while its threads are seeded. */
	if (bpf_map__update_elem(t->skel->maps.tracked, &key, sizeof(key), &one, sizeof(one),
				 BPF_ANY) < 0)
		return amz_fail(err, errno, "cannot follow process %d: %s", (int)tgid,
				amz_reason(errno));
	if (for_each_thread(tgid, seed_one, t) < 0)
		return amz_fail(err, ESRCH, "cannot follow process %d: it does not exist",
				(int)tgid);
	return 0;
}

struct tree_walk {
	struct tracer *t;
	int depth;
	int followed;
};

static void follow_children(struct tree_walk *w, pid_t pid);

static void follow_children_of_thread(void *ctx, pid_t tgid, pid_t tid)
{
	struct tree_walk *w = ctx;
	char path[96], *text = NULL, *p, *end;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)tgid, (int)tid);
	if (amz_read_file(path, &text, NULL) < 0)
		return;
	for (p = text;; p = end) {
		long child = strtol(p, &end, 10);

		if (end == p)
			break;
		follow_children(w, (pid_t)child);
	}
	free(text);
}

static void follow_children(struct tree_walk *w, pid_t pid)
{
	/* A deeper tree than this is not a process tree but a chain; it stops being walked. */
	if (w->depth > 64 || tracer_follow(w->t, pid, NULL) < 0)
		return;
	w->followed++;
	w->depth++;
	for_each_thread(pid, follow_children_of_thread, w);
	w->depth--;
}

int tracer_follow_tree(struct tracer *t, pid_t pid, struct amz_err *err)
{
	struct tree_walk w = {.t = t};

	if (tracer_follow(t, pid, err) < 0)
		return -1;
	w.depth = 1;
	for_each_thread(pid, follow_children_of_thread, &w);
	return w.followed;
}

int tracer_attach_usdt(struct tracer *t, const char *path, struct amz_err *err)
{
	struct bpf_link *begin, *end;

	if (access(path, R_OK) < 0)
		return amz_fail(err, errno, "cannot attach the chunk markers of %s: %s", path,
				amz_reason(errno));
	if (!t->usdt_loaded)
		return amz_fail(err, ENOENT,
				"cannot attach the chunk markers of %s: the tracer was opened "
				"without them",
				path);
	if (t->nusdt + 2 > MAX_USDT_LINKS)
		return amz_fail(err, ENOSPC,
				"cannot attach the chunk markers of %s: more than %d "
				"binaries",
				path, MAX_USDT_LINKS / 2);

	begin = bpf_program__attach_usdt(t->skel->progs.chunk_begin, -1, path, "amz", "chunk_begin",
					 NULL);
	if (!begin) {
		if (errno == ENOENT)
			return 0;
		return amz_fail(err, errno, "cannot attach the chunk markers of %s: %s", path,
				amz_reason(errno));
	}
	end = bpf_program__attach_usdt(t->skel->progs.chunk_end, -1, path, "amz", "chunk_end",
				       NULL);
	if (!end) {
		int e = errno;

		bpf_link__destroy(begin);
		return amz_fail(err, e, "cannot attach the chunk end marker of %s: %s", path,
				amz_reason(e));
	}
	t->usdt[t->nusdt++] = begin;
	t->usdt[t->nusdt++] = end;
	amz_log(AMZ_LOG_INFO, "chunk markers attached in %s", path);
	return 1;
}

static void run_stats(struct tracer *t, unsigned long long *ns, unsigned long long *cnt)
{
	struct bpf_program *prog;

	*ns = *cnt = 0;
	bpf_object__for_each_program(prog, t->skel->obj)
	{
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
			continue;
		*ns += info.run_time_ns;
		*cnt += info.run_cnt;
	}
}

static unsigned long long conc_now(const struct tracer *t)
{
	unsigned long long now = amz_now_ns(), base = t->skel->rodata->conc_base_ns;

	return now > base ? now - base : 0;
}

/* Changes racing this reset may land in the series' first buckets either side of it; they are
 * a few scheduler events in a run of many. */
static void reset_series(struct tracer *t)
{
	struct amz_bpf__bss *bss = t->skel->bss;

	memset(bss->series_delta, 0, sizeof(bss->series_delta));
	memset(bss->series_area, 0, sizeof(bss->series_area));
	__atomic_store_n(&bss->series_origin, conc_now(t), __ATOMIC_SEQ_CST);
}

static void reset_timeline(struct tracer *t)
{
	struct amz_bpf__bss *bss = t->skel->bss;

	if (!t->timeline)
		return;
	timeline_clear(t->timeline, amz_now_ns());
	__atomic_store_n(&bss->tl_capped, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&bss->tl_lost, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&bss->tl_sent, 0, __ATOMIC_SEQ_CST);
}

void tracer_reset(struct tracer *t)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t size = (size_t)(ncpus > 0 ? ncpus : 1) * sizeof(struct amz_stats);
	void *zeros = calloc(1, size);
	__u64 *word = &t->skel->bss->conc_word;
	__u64 old, next;
	__u32 zero = 0;

	/* The per-CPU aggregates. */
	if (zeros) {
		bpf_map__update_elem(t->skel->maps.stats, &zero, sizeof(zero), zeros, size,
				     BPF_ANY);
		free(zeros);
	}

	/* The concurrency clock and its series restart now; the tasks on a CPU stay counted. */
	reset_series(t);
	old = __atomic_load_n(word, __ATOMIC_RELAXED);
	do {
		next = (conc_now(t) << AMZ_CONC_COUNT_BITS) | (old & AMZ_CONC_COUNT_MASK);
	} while (!__atomic_compare_exchange_n(word, &old, next, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	t->series_level0 = (long long)(next & AMZ_CONC_COUNT_MASK);

	/* Task records, the timeline and our own cost, measured from a window opened now. */
	pthread_mutex_lock(&t->lock);
	ring_buffer__consume(t->rb);
	t->tasks_seen = 0;
	t->ntop = 0;
	reset_timeline(t);
	stats_off(t);
	t->stats_on_ns = 0;
	stats_on(t);
	run_stats(t, &t->base_run_ns, &t->base_run_cnt);
	pthread_mutex_unlock(&t->lock);
}

static void hist_merge(struct amz_hist *dst, const struct amz_hist *src)
{
	size_t i;

	dst->count += src->count;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
	for (i = 0; i < AMZ_HIST_SLOTS; i++)
		dst->slot[i] += src->slot[i];
}

static void stats_merge(struct amz_stats *dst, const struct amz_stats *src)
{
	const unsigned long long *s = (const unsigned long long *)&src->c;
	unsigned long long *d = (unsigned long long *)&dst->c;
	size_t i;

	for (i = 0; i < sizeof(dst->c) / sizeof(*d); i++)
		d[i] += s[i];
	hist_merge(&dst->spawn_ns, &src->spawn_ns);
	hist_merge(&dst->clone_ns, &src->clone_ns);
	hist_merge(&dst->first_run_ns, &src->first_run_ns);
	hist_merge(&dst->clone_gap_ns, &src->clone_gap_ns);
	hist_merge(&dst->exec_ns, &src->exec_ns);
	hist_merge(&dst->wakeup_ns, &src->wakeup_ns);
	hist_merge(&dst->burst_ns, &src->burst_ns);
	hist_merge(&dst->chunk_ns, &src->chunk_ns);
	hist_merge(&dst->chunk_gap_ns, &src->chunk_gap_ns);
	hist_merge(&dst->chunk_cpu_ns, &src->chunk_cpu_ns);
	hist_merge(&dst->chunk_items_h, &src->chunk_items_h);
	for (i = 0; i < AMZ_CONC_SLOTS; i++)
		dst->conc_ns[i] += src->conc_ns[i];
}

static void read_stats(struct tracer *t, struct amz_stats *sum)
{
	int i, ncpus = libbpf_num_possible_cpus();
	struct amz_stats *percpu;
	__u32 zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (ncpus <= 0)
		return;
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	if (!percpu)
		return;
	if (bpf_map__lookup_elem(t->skel->maps.stats, &zero, sizeof(zero), percpu,
				 (size_t)ncpus * sizeof(*percpu), 0) == 0) {
		for (i = 0; i < ncpus; i++)
			stats_merge(sum, &percpu[i]);
	}
	free(percpu);
}

/* The time since the last change is still at the current level. */
static void close_conc_interval(struct tracer *t, struct amz_stats *k)
{
	__u64 word = __atomic_load_n(&t->skel->bss->conc_word, __ATOMIC_RELAXED);
	unsigned long long count = word & AMZ_CONC_COUNT_MASK;
	unsigned long long since = word >> AMZ_CONC_COUNT_BITS, now = conc_now(t);

	if (now > since)
		k->conc_ns[count < AMZ_CONC_SLOTS - 1 ? count : AMZ_CONC_SLOTS - 1] += now - since;
}

/* The series at the finest resolution that spans the traced time. */
static void read_series(struct tracer *t, struct amz_trace *trace)
{
	struct amz_bpf__bss *bss = t->skel->bss;
	unsigned long long now = conc_now(t);
	unsigned long long origin = __atomic_load_n(&bss->series_origin, __ATOMIC_SEQ_CST);
	int level = trace_series_level(now - origin);

	if (level < 0 || now <= origin)
		return;
	trace_series_from_buckets(trace, (const long long *)bss->series_delta[level],
				  (const long long *)bss->series_area[level],
				  AMZ_SERIES_SHIFT0 + (unsigned int)level * AMZ_SERIES_STEP,
				  t->series_level0, now - origin);
}

/* The kernel's counts of records refused past the cap or lost, and the end of the timeline. */
static void finish_timeline(struct tracer *t)
{
	struct amz_bpf__bss *bss = t->skel->bss;
	struct timeline *tl = t->timeline;

	if (!tl)
		return;
	tl->end_ns = amz_now_ns();
	tl->capped += __atomic_load_n(&bss->tl_capped, __ATOMIC_SEQ_CST);
	tl->lost += __atomic_load_n(&bss->tl_lost, __ATOMIC_SEQ_CST);
}

/* Tasks still alive have no exit record yet: their entries in the task map stand in. */
static void add_live_tasks(struct tracer *t, struct amz_trace *trace)
{
	int fd = bpf_map__fd(t->skel->maps.tasks);
	__u32 key, next, *prev = NULL;
	struct amz_task_state s;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &s) < 0)
			continue;
		trace->tasks_seen++;
		keep_top(trace->top, &trace->ntop, &s.s);
		if (t->timeline)
			timeline_name_task(t->timeline, s.s.pid, s.s.tgid, s.s.comm);
	}
}

static void keep_smallest(unsigned int *pids, unsigned int *n, unsigned int pid)
{
	unsigned int i, max = 0;

	if (*n < AMZ_TRACE_LEFT_PIDS) {
		pids[(*n)++] = pid;
		return;
	}
	for (i = 1; i < *n; i++) {
		if (pids[i] > pids[max])
			max = i;
	}
	if (pid < pids[max])
		pids[max] = pid;
}

static int by_pid(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/* A thread group leaves the tracked map when its last thread exits, so every key is a live
 * process; the check against /proc only guards against a pid the tracer never saw end. */
static void add_left_running(struct tracer *t, struct amz_trace *trace)
{
	int fd = bpf_map__fd(t->skel->maps.tracked);
	__u32 key, next, *prev = NULL;
	unsigned int n = 0;
	char path[32];

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		snprintf(path, sizeof(path), "/proc/%u", key);
		if (access(path, F_OK) < 0)
			continue;
		trace->left_running++;
		keep_smallest(trace->left_pids, &n, key);
	}
	qsort(trace->left_pids, n, sizeof(trace->left_pids[0]), by_pid);
}

static int by_cpu_desc(const void *a, const void *b)
{
	const struct amz_task_stats *x = a, *y = b;

	return (x->cpu_ns < y->cpu_ns) - (x->cpu_ns > y->cpu_ns);
}

void tracer_read(struct tracer *t, struct amz_trace *trace)
{
	unsigned long long ns, cnt;

	memset(trace, 0, sizeof(*trace));
	snprintf(trace->source, sizeof(trace->source), "bpf");
	snprintf(trace->attach_mode, sizeof(trace->attach_mode), "%s",
		 t->btf_attach ? "tp_btf" : "raw_tp");

	/* Task records first, so that none ends between them and the aggregates. */
	pthread_mutex_lock(&t->lock);
	ring_buffer__consume(t->rb);
	trace->tasks_seen = t->tasks_seen;
	trace->ntop = t->ntop;
	memcpy(trace->top, t->top, sizeof(trace->top));
	finish_timeline(t);
	add_live_tasks(t, trace);
	pthread_mutex_unlock(&t->lock);
	qsort(trace->top, trace->ntop, sizeof(trace->top[0]), by_cpu_desc);
	add_left_running(t, trace);

	read_stats(t, &trace->k);
	close_conc_interval(t, &trace->k);
	read_series(t, trace);
	trace->usdt_binaries = t->nusdt / 2;

	pthread_mutex_lock(&t->lock);
	run_stats(t, &ns, &cnt);
	if (t->stats_allowed) {
		trace->bpf_run_ns = ns - t->base_run_ns;
		trace->bpf_run_cnt = cnt - t->base_run_cnt;
		trace->bpf_stats_ns = stats_on_so_far(t);
	}
	pthread_mutex_unlock(&t->lock);
}

void tracer_close(struct tracer *t)
{
	unsigned int i;

	if (!t)
		return;
	if (t->reader_started) {
		uint64_t one = 1;

		while (write(t->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		pthread_join(t->reader, NULL);
	}
	ring_buffer__free(t->rb);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	if (t->epoll_fd >= 0)
		close(t->epoll_fd);
	for (i = 0; i < t->nusdt; i++)
		bpf_link__destroy(t->usdt[i]);
	stats_off(t);
	amz_bpf__destroy(t->skel);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
