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

static double time_serial(const struct items *it)
{
	amz_fn fn = called_fn;
	double t0 = now_s();
	size_t i;

	for (i = 0; i < it->n; i++)
		fn(&it->in[i], &it->out[i], NULL);
	return now_s() - t0;
}

static double time_openmp(const struct items *it, const struct bench_opts *o)
{
	amz_fn fn = called_fn;
	long n = (long)it->n, i;
	double t0 = now_s();

#pragma omp parallel for schedule(dynamic, o->chunksize) num_threads(o->jobs)
	for (i = 0; i < n; i++)
		fn(&it->in[i], &it->out[i], NULL);
	return now_s() - t0;
}

static double time_pool(struct amz_pool *p, const struct items *it, const struct amz_map_opts *mo)
{
	struct amz_map_status st;
	double t0 = now_s();

	if (amz_pool_map(p, called_fn, NULL, it->in, 8, it->out, 8, it->n, mo, &st) < 0) {
		fprintf(stderr, "bench: %s\n", st.msg);
		exit(1);
	}
	return now_s() - t0;
}

static double time_one_shot(const struct items *it, const struct amz_map_opts *mo)
{
	struct amz_map_status st;
	double t0 = now_s();

	if (amz_map(called_fn, NULL, it->in, 8, it->out, 8, it->n, mo, &st) < 0) {
		fprintf(stderr, "bench: %s\n", st.msg);
		exit(1);
	}
	return now_s() - t0;
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
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};

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
	"amz pool, processes",
	"amz_map, threads (starts its threads)",
};

static double time_kind(int kind, const struct items *it, const struct bench_opts *o,
			struct amz_pool *pool_thr, const struct amz_map_opts *thr,
			struct amz_pool *pool_proc, const struct amz_map_opts *proc)
{
	switch (kind) {
	case SERIAL:
		return time_serial(it);
	case OPENMP:
		return time_openmp(it, o);
	case AMZ_THR:
		return time_pool(pool_thr, it, thr);
	case AMZ_PROC:
		return time_pool(pool_proc, it, proc);
	default:
		return time_one_shot(it, thr);
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

static void print_row(int kind, double total, double serial, const struct bench_opts *o,
		      double floor_us, double omp_chunk_us)
{
	double chunks = (double)((o->items + o->chunksize - 1) / o->chunksize);
	double chunk_us = ((double)o->jobs * total - serial) / chunks * 1e6;

	if (kind == SERIAL) {
		printf("  %-38s %9.3f ms\n", kind_names[kind], total * 1e3);
		return;
	}
	printf("  %-38s %9.3f ms %10.3f us %9.2fx", kind_names[kind], total * 1e3, chunk_us,
	       chunk_us / floor_us);
	if (kind != OPENMP)
		printf(" %9.2fx", chunk_us / omp_chunk_us);
	printf("\n");
}

int main(int argc, char **argv)
{
	double t[N_KINDS][MAX_REPS], med[N_KINDS], rt_thr, rt_proc, chunk_us[N_KINDS];
	double map_amz_thr, map_amz_proc, map_omp;
	struct amz_map_opts thr, proc;
	struct amz_pool *pool_thr, *pool_proc;
	struct amz_map_status st;
	struct bench_opts o;
	struct items it;
	double chunks;
	int r, k;

	parse(argc, argv, &o);
	work_iterations = o.work;
	it.n = o.items;
	it.in = calloc(o.items, 8);
	it.out = calloc(o.items, 8);
	if (!it.in || !it.out)
		return 1;
	for (size_t i = 0; i < o.items; i++)
		it.in[i] = i;

	thr = (struct amz_map_opts){
		.workers = o.jobs, .chunksize = o.chunksize, .kind = AMZ_THREADS};
	proc = thr;
	proc.kind = AMZ_PROCESSES;
	pool_thr = amz_pool_new(&thr, &st);
	pool_proc = pool_thr ? amz_pool_new(&proc, &st) : NULL;
	if (!pool_proc) {
		fprintf(stderr, "bench: %s\n", st.msg);
		return 1;
	}

	/* Warm up: OpenMP starts its team at the first region, the pools are started. */
	time_openmp(&it, &o);
	time_pool(pool_thr, &it, &thr);
	time_pool(pool_proc, &it, &proc);

	rt_thr = futex_round_trip_threads(o.round_trips);
	rt_proc = futex_round_trip_processes(o.round_trips);

	/* Interleaved, each repetition in a different order, so that noise from the rest of the
	 * machine falls on all alike. */
	for (r = 0; r < o.reps; r++) {
		for (int i = 0; i < N_KINDS; i++) {
			int kind = (r + i) % N_KINDS;

			settle();
			t[kind][r] = time_kind(kind, &it, &o, pool_thr, &thr, pool_proc, &proc);
		}
	}
	for (k = 0; k < N_KINDS; k++)
		med[k] = median(t[k], o.reps);

	settle();
	map_omp = per_map_openmp(o.jobs, 2000);
	settle();
	map_amz_thr = per_map_pool(pool_thr, &thr, o.jobs, 2000);
	settle();
	map_amz_proc = per_map_pool(pool_proc, &proc, o.jobs, 2000);

	chunks = (double)((o.items + o.chunksize - 1) / o.chunksize);
	for (k = 0; k < N_KINDS; k++)
		chunk_us[k] = ((double)o.jobs * med[k] - med[SERIAL]) / chunks * 1e6;

	printf("pool bench: %zu items of %llu xorshift iterations, %zu workers, chunks of %zu, "
	       "median of %d runs\n",
	       o.items, (unsigned long long)o.work, o.jobs, o.chunksize, o.reps);
	printf("  futex round trip between two threads:   %8.3f us (the floor)\n", rt_thr * 1e6);
	printf("  futex round trip between two processes: %8.3f us\n", rt_proc * 1e6);
	printf("  %-38s %12s %13s %10s %10s\n", "", "total", "per chunk", "/ floor", "/ OpenMP");
	for (k = 0; k < N_KINDS; k++)
		print_row(k, med[k], med[SERIAL], &o, rt_thr * 1e6, chunk_us[OPENMP]);
	printf("  per chunk = (workers x total - serial) / chunks: the work each chunk adds\n");
	printf("  one map of %zu items (start, hand out, finish): OpenMP %.2f us, amz threads "
	       "%.2f us, amz processes %.2f us\n",
	       o.jobs, map_omp * 1e6, map_amz_thr * 1e6, map_amz_proc * 1e6);

	printf("result jobs=%zu chunksize=%zu work=%llu floor_us=%.3f omp_chunk_us=%.3f "
	       "amz_threads_chunk_us=%.3f amz_processes_chunk_us=%.3f ratio_floor=%.2f "
	       "ratio_omp=%.2f total_ratio_omp=%.2f\n",
	       o.jobs, o.chunksize, (unsigned long long)o.work, rt_thr * 1e6, chunk_us[OPENMP],
	       chunk_us[AMZ_THR], chunk_us[AMZ_PROC], chunk_us[AMZ_THR] / (rt_thr * 1e6),
	       chunk_us[AMZ_THR] / chunk_us[OPENMP], med[AMZ_THR] / med[OPENMP]);

	amz_pool_free(pool_thr);
	amz_pool_free(pool_proc);
	free(it.in);
	free(it.out);
	return 0;
}
