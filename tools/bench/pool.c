/* The pool's dispatch cost, side by side in one run: the floor of a raw futex round trip
 * between two tasks, gcc's OpenMP schedule(dynamic, k), and amz pools of threads and of
 * processes, all over the same items with the same n and k. Prints medians and ratios. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/futex.h>
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "amorsize.h"
#include "../workloads/mix.h"

#define MAX_REPS 101

struct bench_opts {
	size_t items;
	size_t jobs;
	size_t chunksize;
	uint64_t work;
	int reps;
	int round_trips;
};

/* The same function under every scheduler, called through a pointer the compiler cannot see
 * through, so that no scheduler gets an inlined loop body. */
static uint64_t work_iterations;

static int item_fn(const void *in, void *out, void *ctx)
{
	(void)ctx;
	*(uint64_t *)out = workload_mix(*(const uint64_t *)in, work_iterations);
	return 0;
}

/* An empty item touches no memory: were it to write its result, the lines of results would
 * move between the CPUs' caches as the chunks fall to one worker or the other, and that
 * traffic, not the scheduler, would decide the per-chunk figure. */
static int empty_fn(const void *in, void *out, void *ctx)
{
	(void)in;
	(void)out;
	(void)ctx;
	return 0;
}

static amz_fn volatile called_fn = item_fn;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median absolute deviation of v from its median m; v is left reordered. */
static double mad(double *v, int n, double m)
{
	double d[MAX_REPS];
	int i;

	for (i = 0; i < n; i++)
		d[i] = v[i] > m ? v[i] - m : m - v[i];
	return median(d, n);
}

/* ---- The floor: one task wakes another through a futex and waits to be woken back. ---- */

struct pingpong {
	_Atomic uint32_t turn; /* 1: the pong side's turn, 0: the ping side's */
	int rounds;
	int op_flags;
};

static void futex_wait(_Atomic uint32_t *w, uint32_t val, int flags)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT | flags, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w, int flags)
{
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE | flags, 1, NULL, NULL, 0);
}

static void pong(struct pingpong *pp)
{
	int i;

	for (i = 0; i < pp->rounds; i++) {
		while (atomic_load(&pp->turn) != 1)
			futex_wait(&pp->turn, 0, pp->op_flags);
		atomic_store(&pp->turn, 0);
		futex_wake(&pp->turn, pp->op_flags);
	}
}

static void *pong_thread(void *arg)
{
	pong(arg);
	return NULL;
}

static double ping(struct pingpong *pp)
{
	double t0 = now_s();
	int i;

	for (i = 0; i < pp->rounds; i++) {
		atomic_store(&pp->turn, 1);
		futex_wake(&pp->turn, pp->op_flags);
		while (atomic_load(&pp->turn) != 0)
			futex_wait(&pp->turn, 1, pp->op_flags);
	}
	return (now_s() - t0) / pp->rounds;
}

static double futex_round_trip_threads(int rounds)
{
	struct pingpong pp = {.rounds = rounds, .op_flags = FUTEX_PRIVATE_FLAG};
	pthread_t t;
	double rt;

	if (pthread_create(&t, NULL, pong_thread, &pp) != 0)
		return -1;
	rt = ping(&pp);
	pthread_join(t, NULL);
	return rt;
}

static double futex_round_trip_processes(int rounds)
{
	struct pingpong *pp =
		mmap(NULL, sizeof(*pp), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double rt;
	pid_t pid;

	if (pp == MAP_FAILED)
		return -1;
	pp->rounds = rounds;
	pid = fork();
	if (pid == 0) {
		pong(pp);
		_exit(0);
	}
	rt = pid > 0 ? ping(pp) : -1;
	if (pid > 0)
		waitpid(pid, NULL, 0);
	munmap(pp, sizeof(*pp));
	return rt;
}

/* ---- One map of every kind over the same items. ---- */

struct items {
	uint64_t *in;
	uint64_t *out;
	size_t n;
};

/* Wall time, and CPU time of the whole process: CPU time does not grow while the host's other
 * tasks hold the CPUs, so the difference to the serial loop is what the scheduler itself
 * cost, spinning included. Worker processes' CPU time is not the bench's to see. */
struct span {
	double wall;
	double cpu;
};

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct span span_start(void)
{
	return (struct span){now_s(), cpu_s()};
}

static struct span span_since(struct span t0)
{
	return (struct span){now_s() - t0.wall, cpu_s() - t0.cpu};
}

static struct span time_serial(const struct items *it)
{
	struct span t0 = span_start();
	amz_fn fn = called_fn;
	size_t i;

	for (i = 0; i < it->n; i++)
		fn(&it->in[i], &it->out[i], NULL);
	return span_since(t0);
}

static struct span time_openmp(const struct items *it, const struct bench_opts *o)
{
	struct span t0 = span_start();
	amz_fn fn = called_fn;
	long n = (long)it->n, i;

#pragma omp parallel for schedule(dynamic, o->chunksize) num_threads(o->jobs)
	for (i = 0; i < n; i++)
		fn(&it->in[i], &it->out[i], NULL);
	return span_since(t0);
}

static void check(int rc, const struct amz_map_status *st)
{
	if (rc < 0) {
		fprintf(stderr, "bench: %s\n", st->msg);
		exit(1);
	}
}

static struct span time_pool(struct amz_pool *p, const struct items *it,
			     const struct amz_map_opts *mo)
{
	struct span t0 = span_start();
	struct amz_map_status st;

	check(amz_pool_map(p, called_fn, NULL, it->in, 8, it->out, 8, it->n, mo, &st), &st);
	return span_since(t0);
}

static struct span time_one_shot(const struct items *it, const struct amz_map_opts *mo)
{
	struct span t0 = span_start();
	struct amz_map_status st;

	check(amz_map(called_fn, NULL, it->in, 8, it->out, 8, it->n, mo, &st), &st);
	return span_since(t0);
}

/* Per-map cost: maps of one item per worker, back to back. */
static double per_map_pool(struct amz_pool *p, const struct amz_map_opts *mo, size_t jobs, int maps)
{
	uint64_t in[AMZ_MAX_WORKERS] = {0}, out[AMZ_MAX_WORKERS];
	struct amz_map_opts one = *mo;
	struct amz_map_status st;
	double t0 = now_s();
	int i;

	one.chunksize = 1;
	for (i = 0; i < maps; i++)
		amz_pool_map(p, called_fn, NULL, in, 8, out, 8, jobs, &one, &st);
	return (now_s() - t0) / maps;
}

static double per_map_openmp(size_t jobs, int maps)
{
	uint64_t in[AMZ_MAX_WORKERS] = {0}, out[AMZ_MAX_WORKERS];
	amz_fn fn = called_fn;
	double t0 = now_s();
	long i;
	int m;

	for (m = 0; m < maps; m++) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(jobs)
		for (i = 0; i < (long)jobs; i++)
			fn(&in[i], &out[i], NULL);
	}
	return (now_s() - t0) / maps;
}

/* Lets every team go idle before a timed run: libgomp's idle threads spin for milliseconds
 * after a region, and a spinning team would take CPUs from whatever runs next. */
static void settle(void)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 30 * 1000 * 1000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- The report. ---- */

enum {
	SERIAL,
	OPENMP,
	AMZ_THR,
	AMZ_PROC,
	AMZ_ONESHOT,
	N_KINDS
};

static const char *const kind_names[N_KINDS] = {
	"serial loop",
	"OpenMP dynamic",
	"amz pool, threads",
	"amz pool, processes (wall)",
	"amz_map, threads (starts n-1 threads)",
};

struct pools {
	struct amz_pool *thr, *proc;
	struct amz_map_opts thr_opts, proc_opts;
};

static struct span time_kind(int kind, const struct items *it, const struct bench_opts *o,
			     const struct pools *p)
{
	switch (kind) {
	case SERIAL:
		return time_serial(it);
	case OPENMP:
		return time_openmp(it, o);
	case AMZ_THR:
		return time_pool(p->thr, it, &p->thr_opts);
	case AMZ_PROC:
		return time_pool(p->proc, it, &p->proc_opts);
	default:
		return time_one_shot(it, &p->thr_opts);
	}
}

static void parse(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{"items", required_argument, NULL, 'N'},     {"jobs", required_argument, NULL, 'j'},
		{"chunksize", required_argument, NULL, 'k'}, {"work", required_argument, NULL, 'w'},
		{"reps", required_argument, NULL, 'r'},	     {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct bench_opts){
		.items = 200000, .jobs = 2, .chunksize = 1, .reps = 7, .round_trips = 20000};
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		long v = optarg ? strtol(optarg, NULL, 10) : 0;

		if (v < 0 || (c != 'w' && v < 1) || c == '?') {
			fprintf(stderr, "usage: pool [--items N] [--jobs n] [--chunksize k] "
					"[--work W] [--reps R]\n");
			exit(2);
		}
		if (c == 'N')
			o->items = (size_t)v;
		else if (c == 'j')
			o->jobs = (size_t)v;
		else if (c == 'k')
			o->chunksize = (size_t)v;
		else if (c == 'w')
			o->work = (uint64_t)v;
		else if (c == 'r')
			o->reps = v > MAX_REPS ? MAX_REPS : (int)v;
	}
}

struct figures {
	double wall[N_KINDS];	      /* medians, seconds */
	double cpu[N_KINDS];	      /* medians, seconds */
	double chunk_us[N_KINDS];     /* worker time each chunk added */
	double cpu_chunk_us[N_KINDS]; /* CPU time each chunk added */
	double floor_us, floor_proc_us;
	double resolution_us;	  /* per-chunk differences smaller than this are noise */
	double mad_wall[N_KINDS]; /* median absolute deviation of the runs' wall times */
	double spread_us; /* that of OpenMP's and the amz thread pool's, larger, per chunk */
	double map_us[3]; /* one small map: OpenMP, amz threads, amz processes */
};

/* Interleaved, from idle teams, each repetition in a different order and every other one
 * backwards, so that no kind always follows the same one: noise from the rest of the machine,
 * and a spinning team that outlasts the pause before a run, fall on all alike. */
static void measure_maps(const struct items *it, const struct bench_opts *o, const struct pools *p,
			 struct figures *f)
{
	double wall[N_KINDS][MAX_REPS], cpu[N_KINDS][MAX_REPS];
	int r, i;

	for (r = 0; r < o->reps; r++) {
		for (i = 0; i < N_KINDS; i++) {
			int kind = (r / 2 + (r % 2 ? N_KINDS - i : i)) % N_KINDS;
			struct span s;

			settle();
			s = time_kind(kind, it, o, p);
			wall[kind][r] = s.wall;
			cpu[kind][r] = s.cpu;
		}
	}
	for (i = 0; i < N_KINDS; i++) {
		f->wall[i] = median(wall[i], o->reps);
		f->cpu[i] = median(cpu[i], o->reps);
		f->mad_wall[i] = mad(wall[i], o->reps, f->wall[i]);
	}
}

/* Per chunk: the worker time beyond the serial loop's CPU time, over the chunks, where a map
 * holds its n workers for its wall time. CPU time alone would reward a scheduler whose second
 * worker sat waiting for a CPU, or was woken late, and so ran less in parallel: on empty items
 * such a map spends less CPU on contention and takes longer. The CPU figure is kept beside it;
 * a process pool's CPU time is in other processes, and not the bench's to see. */
static void per_chunk(const struct bench_opts *o, struct figures *f)
{
	double chunks = (double)((o->items + o->chunksize - 1) / o->chunksize);
	int k;

	for (k = 0; k < N_KINDS; k++) {
		f->chunk_us[k] = ((double)o->jobs * f->wall[k] - f->cpu[SERIAL]) / chunks * 1e6;
		f->cpu_chunk_us[k] = (f->cpu[k] - f->cpu[SERIAL]) / chunks * 1e6;
	}
	f->resolution_us = 0.02 * f->cpu[SERIAL] / chunks * 1e6;
	f->spread_us = (double)o->jobs *
		       (f->mad_wall[OPENMP] > f->mad_wall[AMZ_THR] ? f->mad_wall[OPENMP]
								   : f->mad_wall[AMZ_THR]) /
		       chunks * 1e6;
}

static void measure_small_maps(const struct bench_opts *o, const struct pools *p, struct figures *f)
{
	settle();
	f->map_us[0] = per_map_openmp(o->jobs, 2000) * 1e6;
	settle();
	f->map_us[1] = per_map_pool(p->thr, &p->thr_opts, o->jobs, 2000) * 1e6;
	settle();
	f->map_us[2] = per_map_pool(p->proc, &p->proc_opts, o->jobs, 2000) * 1e6;
}

struct ratio_text {
	char s[16];
};

/* a / b as "1.23x", or "-" where b is not above zero and the ratio would mean nothing. */
static struct ratio_text ratio(double a, double b)
{
	struct ratio_text t = {"-"};

	if (b > 0)
		snprintf(t.s, sizeof(t.s), "%.2fx", a / b);
	return t;
}

static void report(const struct bench_opts *o, const struct figures *f)
{
	int k;

	printf("pool bench: %zu items of %llu xorshift iterations, %zu workers, chunks of %zu, "
	       "median of %d runs\n",
	       o->items, (unsigned long long)o->work, o->jobs, o->chunksize, o->reps);
	printf("  futex round trip between two threads:   %8.3f us (the floor)\n", f->floor_us);
	printf("  futex round trip between two processes: %8.3f us\n", f->floor_proc_us);
	printf("  %-38s %9s %9s %11s %8s %9s %11s %9s\n", "", "wall ms", "CPU ms", "per chunk",
	       "/ floor", "/ OpenMP", "CPU/chunk", "/ OpenMP");
	for (k = 0; k < N_KINDS; k++) {
		printf("  %-38s %9.3f %9.3f", kind_names[k], f->wall[k] * 1e3, f->cpu[k] * 1e3);
		if (k != SERIAL)
			printf(" %8.3f us %7.2fx %9s", f->chunk_us[k],
			       f->chunk_us[k] / (k == AMZ_PROC ? f->floor_proc_us : f->floor_us),
			       k == OPENMP ? "" : ratio(f->chunk_us[k], f->chunk_us[OPENMP]).s);
		if (k != SERIAL && k != AMZ_PROC)
			printf(" %8.3f us %9s", f->cpu_chunk_us[k],
			       k == OPENMP ? ""
					   : ratio(f->cpu_chunk_us[k], f->cpu_chunk_us[OPENMP]).s);
		printf("\n");
	}
	printf("  per chunk: workers x wall time beyond the serial loop's CPU time, over the "
	       "chunks; "
	       "CPU/chunk: CPU time beyond it\n");
	printf("  one map of %zu items, back to back: OpenMP %.2f us, amz threads %.2f us, amz "
	       "processes %.2f us\n",
	       o->jobs, f->map_us[0], f->map_us[1], f->map_us[2]);
	printf("  per-chunk figures below %.4f us (2%% of the serial loop's CPU time per chunk) "
	       "are within noise\n",
	       f->resolution_us);
	printf("  the runs' wall times spread by %.4f us per chunk (median absolute deviation of "
	       "OpenMP's or the amz thread pool's, the larger)\n",
	       f->spread_us);
	printf("result jobs=%zu chunksize=%zu work=%llu floor_us=%.3f omp_chunk_us=%.4f "
	       "amz_threads_chunk_us=%.4f amz_processes_chunk_us=%.4f omp_cpu_chunk_us=%.4f "
	       "amz_threads_cpu_chunk_us=%.4f spread_us=%.4f resolution_us=%.4f "
	       "wall_ratio_omp=%.2f cpu_ratio_omp=%.2f omp_map_us=%.2f amz_map_us=%.2f\n",
	       o->jobs, o->chunksize, (unsigned long long)o->work, f->floor_us, f->chunk_us[OPENMP],
	       f->chunk_us[AMZ_THR], f->chunk_us[AMZ_PROC], f->cpu_chunk_us[OPENMP],
	       f->cpu_chunk_us[AMZ_THR], f->spread_us, f->resolution_us,
	       f->wall[AMZ_THR] / f->wall[OPENMP], f->cpu[AMZ_THR] / f->cpu[OPENMP], f->map_us[0],
	       f->map_us[1]);
}

static int make_items(struct items *it, size_t n)
{
	size_t i;

	it->n = n;
	it->in = calloc(n ? n : 1, 8);
	it->out = calloc(n ? n : 1, 8);
	if (!it->in || !it->out)
		return -1;
	for (i = 0; i < n; i++)
		it->in[i] = i;
	return 0;
}

static int make_pools(struct pools *p, const struct bench_opts *o)
{
	struct amz_map_status st;

	p->thr_opts = (struct amz_map_opts){
		.workers = o->jobs, .chunksize = o->chunksize, .kind = AMZ_THREADS};
	p->proc_opts = p->thr_opts;
	p->proc_opts.kind = AMZ_PROCESSES;
	p->thr = amz_pool_new(&p->thr_opts, &st);
	p->proc = p->thr ? amz_pool_new(&p->proc_opts, &st) : NULL;
	if (!p->proc) {
		fprintf(stderr, "bench: %s\n", st.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct figures f = {0};
	struct bench_opts o;
	struct items it;
	struct pools p;

	parse(argc, argv, &o);
	work_iterations = o.work;
	called_fn = o.work ? item_fn : empty_fn;
	if (make_items(&it, o.items) < 0 || make_pools(&p, &o) < 0)
		return 1;

	/* Warm up: OpenMP starts its team at its first region. */
	time_openmp(&it, &o);
	time_pool(p.thr, &it, &p.thr_opts);
	time_pool(p.proc, &it, &p.proc_opts);

	f.floor_us = futex_round_trip_threads(o.round_trips) * 1e6;
	f.floor_proc_us = futex_round_trip_processes(o.round_trips) * 1e6;
	measure_maps(&it, &o, &p, &f);
	per_chunk(&o, &f);
	measure_small_maps(&o, &p, &f);
	report(&o, &f);

	amz_pool_free(p.thr);
	amz_pool_free(p.proc);
	free(it.in);
	free(it.out);
	return 0;
}
