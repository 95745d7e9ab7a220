/* tools/bench/model: for a few representative workloads and hosts, the cost model's choice
 * next to the naive ones (n = CPUs with Python's chunksize = ceil(N / 4n), and n = CPUs with
 * chunks of one item), each predicted by the model and played out by the pool simulation; then
 * how long model_optimize takes on hosts of 2 to 128 CPUs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"
#include "sim.h"

#define MS 1e6
#define US 1e3

/* Simulated runs per point; the table gives their mean and its standard error. */
#define RUNS 20

struct bench_case {
	const char *name;
	struct model_work w;
	int cpus;
	double quota_cpus;
};

struct measured {
	double predicted, simulated, error; /* ns; error is the standard error of simulated */
};

/* The host of these cases: the foundation VM's measured costs, a fork at 250 us and a pipe
 * round trip at 80 us, on cpus whole cores. */
static struct model_host bench_host(const struct bench_case *c)
{
	return (struct model_host){
		.spawn_ns = 250 * US,
		.dispatch_ns = 80 * US,
		.ipc_ns_per_byte = 0.5,
		.logical_cpus = c->cpus,
		.physical_cores = c->cpus,
		.smt_scaling = 1,
		.quota_cpus = c->quota_cpus,
		.quota_period_ns = 100 * MS,
		.mem_left_bytes = -1,
		.max_workers = 2 * c->cpus,
	};
}

static void measure(const struct bench_case *c, const struct model_host *h, int n, double k,
		    enum model_schedule s, struct measured *m)
{
	struct sim_stats st;

	m->predicted = model_makespan(&c->w, h, n, k, s);
	sim_repeat(&c->w, h, n, k, s, RUNS, 1, &st);
	m->simulated = st.mean_ns;
	m->error = st.sd_ns / sqrt(RUNS);
}

/* Serially the items run in the caller: their time alone, under the quota. */
static void measure_serial(const struct bench_case *c, const struct model_host *h,
			   const struct model_result *r, struct measured *m)
{
	struct model_host alone = *h;
	struct sim_stats st;

	alone.spawn_ns = alone.dispatch_ns = alone.ipc_ns_per_byte = 0;
	m->predicted = r->serial_ns;
	sim_repeat(&c->w, &alone, 1, c->w.items, MODEL_FIXED, RUNS, 1, &st);
	m->simulated = st.mean_ns;
	m->error = st.sd_ns / sqrt(RUNS);
}

static void print_point(const char *label, const struct measured *m, const struct measured *best)
{
	printf("    %-34s predicted %10.3f ms  simulated %10.3f ms +- %.3f  (%+.1f%%)  %5.2fx "
	       "the model's choice\n",
	       label, m->predicted / MS, m->simulated / MS, m->error / MS,
	       100 * (m->predicted - m->simulated) / m->simulated, m->simulated / best->simulated);
}

static void describe_choice(char *buf, size_t len, const struct model_result *r)
{
	if (r->serial)
		snprintf(buf, len, "model: serial");
	else
		snprintf(buf, len, "model: n=%d %s k=%.0f", r->best.n,
			 r->best.schedule == MODEL_FACTORING ? "factoring" : "fixed", r->best.k);
}

static int run_case(const struct bench_case *c)
{
	struct model_host h = bench_host(c);
	struct measured chosen, python, single;
	struct model_result r;
	struct amz_err err;
	char label[64];
	int n = c->cpus;

	if (model_optimize(&c->w, &h, &r, &err) < 0) {
		fprintf(stderr, "bench/model: %s: %s\n", c->name, err.msg);
		return -1;
	}
	if (r.serial)
		measure_serial(c, &h, &r, &chosen);
	else
		measure(c, &h, r.best.n, r.best.k, r.best.schedule, &chosen);
	measure(c, &h, n, ceil(c->w.items / (4.0 * n)), MODEL_FIXED, &python);
	measure(c, &h, n, 1, MODEL_FIXED, &single);

	printf("%s: %.0f items of %.3g us (cv %.2g), %d CPUs%s\n", c->name, c->w.items,
	       c->w.item_ns / US, c->w.item_cv, c->cpus, c->quota_cpus > 0 ? " under a quota" : "");
	describe_choice(label, sizeof(label), &r);
	print_point(label, &chosen, &chosen);
	snprintf(label, sizeof(label), "python: n=%d k=ceil(N/4n)=%.0f", n,
		 ceil(c->w.items / (4.0 * n)));
	print_point(label, &python, &chosen);
	snprintf(label, sizeof(label), "n=%d k=1", n);
	print_point(label, &single, &chosen);
	printf("    why: %s\n\n", r.reason);
	model_result_free(&r);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The median of three calls of model_optimize for 10^6 items on cpus CPUs, searching up to
 * twice as many workers. */
static int time_optimize(int cpus)
{
	struct bench_case c = {"timing", {.items = 1e6, .item_ns = 20 * US, .item_cv = 1}, cpus, 0};
	struct model_host h = bench_host(&c);
	struct model_result r;
	struct amz_err err;
	double t[3], start;
	int i;

	for (i = 0; i < 3; i++) {
		start = now_ms();
		if (model_optimize(&c.w, &h, &r, &err) < 0) {
			fprintf(stderr, "bench/model: %s\n", err.msg);
			return -1;
		}
		t[i] = now_ms() - start;
		model_result_free(&r);
	}
	printf("  %3d CPUs, up to %3d workers: %8.1f ms\n", cpus, 2 * cpus,
	       fmax(fmin(t[0], t[1]), fmin(fmax(t[0], t[1]), t[2])));
	return 0;
}

int main(void)
{
	static const struct bench_case cases[] = {
		{"tiny items", {.items = 100000, .item_ns = 2 * US, .item_cv = 0.3}, 2, 0},
		{"uniform 1 ms items", {.items = 2000, .item_ns = 1 * MS, .item_cv = 0.05}, 2, 0},
		{"heavy-tailed items", {.items = 5000, .item_ns = 200 * US, .item_cv = 2}, 2, 0},
		{"few large items", {.items = 24, .item_ns = 50 * MS, .item_cv = 0.5}, 2, 0},
		{"too little work", {.items = 50, .item_ns = 5 * US, .item_cv = 0.5}, 2, 0},
		{"100 kB per item",
		 {.items = 5000, .item_ns = 100 * US, .item_cv = 0.5, .bytes_in = 1e5},
		 2,
		 0},
		{"8 CPUs, varied items", {.items = 20000, .item_ns = 100 * US, .item_cv = 1}, 8, 0},
		{"8 CPUs, quota 1.5", {.items = 20000, .item_ns = 100 * US, .item_cv = 1}, 8, 1.5},
	};
	size_t i;

	printf("Cost model against naive choices; spawn 250 us, dispatch 80 us, IPC 0.5 ns/byte;\n"
	       "each point predicted by the model and simulated %d times (mean +- standard "
	       "error)\n\n",
	       RUNS);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (run_case(&cases[i]) < 0)
			return 1;
	}

	printf("model_optimize, 10^6 items of 20 us, median of 3:\n");
	for (i = 2; i <= 128; i *= 4) {
		if (time_optimize((int)i) < 0)
			return 1;
	}
	return 0;
}
