/* The cost model: answers known without it, its search against trying every chunk size, the
 * direction of its answers when costs grow, and its refusals of inputs it cannot use. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "model.h"

#define MS  1e6
#define US  1e3
#define GIB 1073741824.0

/* A host of cpus whole cores with a fork and a pipe round trip as this VM measures them. */
static struct model_host host(int cpus)
{
	return (struct model_host){
		.spawn_ns = 250 * US,
		.dispatch_ns = 80 * US,
		.ipc_ns_per_byte = 0.5,
		.logical_cpus = cpus,
		.physical_cores = cpus,
		.smt_scaling = 1,
		.mem_left_bytes = -1,
		.max_workers = 2 * cpus,
	};
}

static struct model_work work(double items, double item_ns, double cv)
{
	return (struct model_work){.items = items, .item_ns = item_ns, .item_cv = cv};
}

static void optimize(const struct model_work *w, const struct model_host *h, struct model_result *r)
{
	struct amz_err err = {0};

	if (model_optimize(w, h, r, &err) < 0)
		fail_msg("model_optimize failed: %s", err.msg);
}

static void assert_contains(const char *text, const char *fragment)
{
	if (!strstr(text, fragment))
		fail_msg("\"%s\" does not mention \"%s\"", text, fragment);
}

static void test_no_overhead_uses_every_usable_cpu(void **state)
{
	struct model_work w = work(1000, 1 * MS, 0);
	struct model_host h = host(4);
	struct model_result r;

	(void)state;
	h.spawn_ns = h.dispatch_ns = h.ipc_ns_per_byte = 0;
	optimize(&w, &h, &r);
	assert_false(r.serial);
	assert_int_equal(r.best.n, 4);
	assert_true(fabs(r.best.speedup - 4) < 1e-9);
	assert_contains(r.reason, "4 usable CPUs");
	model_result_free(&r);
}

/* Warm-up moves every point and the serial time by itself: the same choice, a smaller speedup,
 * and the largest cost named spawn when it dominates. */
static void test_warmup_moves_the_whole_schedule(void **state)
{
	struct model_work w = work(48, 0.5 * MS, 0), warm = w;
	struct model_host h = host(2);
	struct model_result cold_r, warm_r;
	int k;

	(void)state;
	warm.warmup_ns = 12 * MS;
	for (k = 1; k <= 48; k *= 2)
		assert_true(fabs(model_makespan(&warm, &h, 2, k, MODEL_FIXED) -
				 model_makespan(&w, &h, 2, k, MODEL_FIXED) - 12 * MS) < 1e-3);
	optimize(&w, &h, &cold_r);
	optimize(&warm, &h, &warm_r);
	assert_true(fabs(warm_r.serial_ns - cold_r.serial_ns - 12 * MS) < 1e-3);
	assert_int_equal(warm_r.best.n, cold_r.best.n);
	assert_true(warm_r.best.k == cold_r.best.k);
	/* 24 ms of work on 2 CPUs: 1.9 times without warm-up, under 1.5 times with it. */
	assert_true(cold_r.best.speedup > 1.8);
	assert_true(warm_r.best.speedup < 1.5);
	assert_true(warm_r.costs.spawn_ns >= 12 * MS);
	assert_contains(warm_r.reason, "warm-up");
	model_result_free(&cold_r);
	model_result_free(&warm_r);
}

/* A pool that starts every worker before the first chunk: the map, as if starts were free,
 * after n of them; never sooner than workers that take chunks as they start. */
static void test_workers_started_together_begin_after_all_starts(void **state)
{
	struct model_work w = work(200, 1 * MS, 0);
	struct model_host staggered = host(2), together = host(2), free_starts = host(2);
	int n, k;

	(void)state;
	staggered.max_workers = together.max_workers = free_starts.max_workers = 64;
	staggered.logical_cpus = together.logical_cpus = free_starts.logical_cpus = 64;
	staggered.physical_cores = together.physical_cores = free_starts.physical_cores = 64;
	together.start_together = true;
	free_starts.spawn_ns = 0;
	for (n = 1; n <= 64; n *= 4)
		for (k = 1; k <= 64; k *= 8) {
			double t = model_makespan(&w, &together, n, k, MODEL_FIXED);

			assert_true(fabs(t - n * together.spawn_ns -
					 model_makespan(&w, &free_starts, n, k, MODEL_FIXED)) <
				    1e-3);
			assert_true(t >= model_makespan(&w, &staggered, n, k, MODEL_FIXED) - 1e-3);
		}
}

/* Workers that wait side by side for their first run: the schedule moves by one wait, however
 * many workers, and the serial time not at all. */
static void test_start_wait_is_paid_once(void **state)
{
	struct model_work w = work(400, 1 * MS, 0.5);
	struct model_host h = host(2), waiting = h;
	struct model_result r, wr;
	enum model_schedule s;
	int n, k;

	(void)state;
	waiting.start_wait_ns = 3 * MS;
	for (s = MODEL_FIXED; s <= MODEL_FACTORING; s++)
		for (n = 1; n <= 8; n *= 2)
			for (k = 1; k <= 64; k *= 4)
				assert_true(fabs(model_makespan(&w, &waiting, n, k, s) -
						 model_makespan(&w, &h, n, k, s) - 3 * MS) < 1e-3);
	optimize(&w, &h, &r);
	optimize(&w, &waiting, &wr);
	assert_true(wr.serial_ns == r.serial_ns);
	assert_true(wr.costs.spawn_ns >= 3 * MS);
	model_result_free(&r);
	model_result_free(&wr);
}

static void test_overhead_larger_than_the_work_runs_serially(void **state)
{
	struct model_work w = work(100, 1 * US, 0.3);
	struct model_host h = host(4);
	struct model_result r;

	(void)state;
	optimize(&w, &h, &r);
	assert_true(r.serial);
	assert_int_equal(r.best.n, 1);
	assert_true(r.best.k == 100);
	assert_true(r.pool.speedup < 1);
	assert_contains(r.reason, "run serially");
	assert_contains(r.reason, "spawn");
	model_result_free(&r);
}

static void test_quota_of_one_and_a_half_cpus_gives_two_workers(void **state)
{
	struct model_work w = work(100000, 100 * US, 0.2);
	struct model_host h = host(8);
	struct model_result r;

	(void)state;
	h.quota_cpus = 1.5;
	h.quota_period_ns = 100 * MS;
	optimize(&w, &h, &r);
	assert_int_equal(r.best.n, 2);
	/* the run starts with a full period's budget, so a few seconds' run gets slightly more */
	assert_true(r.best.speedup > 1.45 && r.best.speedup < 1.51);
	assert_contains(r.reason, "quota");
	model_result_free(&r);
}

static void test_memory_for_three_workers_caps_the_pool_at_three(void **state)
{
	struct model_work w = work(100000, 100 * US, 0.2);
	struct model_host h = host(8);
	struct model_result r;

	(void)state;
	w.worker_mem_bytes = 1 * GIB;
	h.mem_left_bytes = 3.5 * GIB;
	optimize(&w, &h, &r);
	assert_int_equal(r.mem_workers, 3);
	assert_int_equal(r.best.n, 3);
	assert_true(r.curve[2].feasible);
	assert_false(r.curve[3].feasible);
	assert_contains(r.reason, "memory");
	model_result_free(&r);
}

static void test_no_memory_for_one_worker_runs_serially(void **state)
{
	struct model_work w = work(100000, 100 * US, 0.2);
	struct model_host h = host(8);
	struct model_result r;

	(void)state;
	w.worker_mem_bytes = 1 * GIB;
	h.mem_left_bytes = 0.5 * GIB;
	optimize(&w, &h, &r);
	assert_true(r.serial);
	assert_int_equal(r.best.n, 1);
	assert_contains(r.reason, "memory");
	model_result_free(&r);
}

static void test_varied_items_get_smaller_chunks_than_uniform_ones(void **state)
{
	struct model_work uniform = work(20000, 20 * US, 0), varied = work(20000, 20 * US, 1.5);
	struct model_host h = host(4);
	struct model_result ru, rv;

	(void)state;
	optimize(&uniform, &h, &ru);
	optimize(&varied, &h, &rv);
	assert_int_equal(ru.best.n, rv.best.n);
	assert_true(rv.best.k < ru.best.k / 10);
	model_result_free(&ru);
	model_result_free(&rv);
}

static void test_widely_varied_items_with_costly_dispatch_prefer_factoring(void **state)
{
	struct model_work w = work(20000, 20 * US, 1.5);
	struct model_host h = host(4);
	struct model_result r;

	(void)state;
	optimize(&w, &h, &r);
	assert_int_equal(r.best.schedule, MODEL_FACTORING);
	assert_contains(r.reason, "factoring");
	model_result_free(&r);
}

/* Alike items on paper want one chunk per worker; the advice takes smaller chunks when they
 * cost under a percent, so that a worker slowed by something unseen does not hold the run. */
static void test_alike_items_with_cheap_hand_offs_get_several_chunks_per_worker(void **state)
{
	struct model_work w = work(10000, 100e3, 0);
	struct model_host h = host(4);
	struct model_point exact;
	struct model_result r;
	struct amz_err err = {0};

	(void)state;
	h.dispatch_ns = 1e3;
	optimize(&w, &h, &r);
	assert_int_equal(model_best_chunk(&w, &h, r.best.n, r.best.schedule, &exact, &err), 0);
	assert_true(r.best.k < w.items / r.best.n / 4);
	assert_true(r.best.makespan_ns <= exact.makespan_ns * 1.01);
	model_result_free(&r);
}

static double brute_force(const struct model_work *w, const struct model_host *h, int n,
			  enum model_schedule s)
{
	double kmax = s == MODEL_FACTORING ? fmax(1, ceil(w->items / (2.0 * n)) - 1) : w->items;
	double best = INFINITY, k;

	for (k = 1; k <= kmax; k++)
		best = fmin(best, model_makespan(w, h, n, k, s));
	return best;
}

/* Every worker count up to twice the CPUs and both schedules, against trying every k. */
static int check_every_point(const struct model_work *w, const struct model_host *h)
{
	struct model_point p;
	struct amz_err err;
	double truth;
	int n, s, cases = 0;

	for (n = 1; n <= h->max_workers; n++)
		for (s = MODEL_FIXED; s <= MODEL_FACTORING; s++) {
			assert_int_equal(model_best_chunk(w, h, n, s, &p, &err), 0);
			truth = brute_force(w, h, n, s);
			assert_true(p.gap == 0);
			assert_true(fabs(p.makespan_ns - truth) <= 1e-9 * truth);
			assert_true(p.makespan_ns == model_makespan(w, h, n, p.k, s));
			cases++;
		}
	return cases;
}

/* A host of cpus logical CPUs on half as many cores, with overheads chosen by the bits of
 * variant: slow spawn, slow dispatch, a quota. */
static struct model_host variant_host(int cpus, int variant)
{
	struct model_host h = host(cpus);

	h.spawn_ns = variant & 1 ? 250 * US : 0;
	h.dispatch_ns = variant & 2 ? 80 * US : 2 * US;
	h.quota_cpus = variant & 4 ? 0.7 * cpus : 0;
	h.quota_period_ns = 100 * MS;
	h.physical_cores = cpus > 1 ? cpus / 2 : 1;
	h.smt_scaling = 0.6;
	return h;
}

/* Items, spread, overheads, CPUs with SMT siblings, with and without a quota: every
 * combination, on item counts small enough to try every k. */
static void test_best_chunk_equals_trying_every_chunk_size(void **state)
{
	static const double items[] = {1, 7, 60, 500, 2000}, cvs[] = {0, 0.4, 2};
	int a, b, variant, cpus, cases = 0;

	(void)state;
	for (a = 0; a < 5; a++)
		for (b = 0; b < 3; b++)
			for (variant = 0; variant < 8; variant++)
				for (cpus = 1; cpus <= 4; cpus *= 2) {
					struct model_work w = work(items[a], 40 * US, cvs[b]);
					struct model_host h = variant_host(cpus, variant);

					w.bytes_in = 100;
					cases += check_every_point(&w, &h);
				}
	assert_true(cases > 2000);
}

/* The curve's points come from a short search where they cannot change the choice; each holds
 * the best it found, and the optimum lies within its stated gap below it. */
static void test_curve_points_lie_within_their_gap_of_the_best_chunk(void **state)
{
	struct model_work w = work(3000, 30 * US, 0.8);
	struct model_host h = host(4);
	struct model_point fixed, factoring;
	struct model_result r;
	struct amz_err err;
	double best;
	int n;

	(void)state;
	optimize(&w, &h, &r);
	assert_int_equal(r.curve_len, 8);
	for (n = 1; n <= r.curve_len; n++) {
		assert_int_equal(model_best_chunk(&w, &h, n, MODEL_FIXED, &fixed, &err), 0);
		assert_int_equal(model_best_chunk(&w, &h, n, MODEL_FACTORING, &factoring, &err), 0);
		best = fmin(fixed.makespan_ns, factoring.makespan_ns);
		assert_int_equal(r.curve[n - 1].n, n);
		assert_true(r.curve[n - 1].makespan_ns >= best);
		assert_true(r.curve[n - 1].makespan_ns * (1 - r.curve[n - 1].gap) <=
			    best * (1 + 1e-12));
	}
	assert_true(r.best.makespan_ns ==
		    model_makespan(&w, &h, r.best.n, r.best.k, r.best.schedule));
	assert_true(r.best.gap == 0);
	model_result_free(&r);
}

/* Chunks of the best fixed k for n workers as the dispatch cost grows threefold at a time,
 * each count no more than the one before. */
static void check_chunks_fall_with_dispatch(const struct model_work *w, int n)
{
	struct model_host h = host(8);
	struct model_point p;
	struct amz_err err;
	double dispatch, chunks, before = INFINITY;

	for (dispatch = 1 * US; dispatch <= 10 * MS; dispatch *= 3) {
		h.dispatch_ns = dispatch;
		assert_int_equal(model_best_chunk(w, &h, n, MODEL_FIXED, &p, &err), 0);
		chunks = ceil(w->items / p.k);
		assert_true(chunks <= before);
		before = chunks;
	}
}

/* Where items vary widely the Kruskal-Weiss trade holds: costlier hand-offs buy fewer, larger
 * chunks. (With steady items and few rounds it does not, in the pool itself: the simulator shows
 * 20000 items of 1 us on 4 workers finishing sooner in 8 chunks than in 5 once a hand-off costs
 * 99 us.) The size of the last chunk may still be rebalanced, so the count is what is checked. */
static void test_more_dispatch_cost_never_gives_more_chunks(void **state)
{
	static const double items[] = {1e4, 1e5, 1e6};
	int a, n;

	(void)state;
	for (a = 0; a < 3; a++)
		for (n = 2; n <= 8; n *= 2) {
			struct model_work w = work(items[a], 20 * US, 1.5);

			check_chunks_fall_with_dispatch(&w, n);
		}
}

/* The advised worker count as spawning grows twofold at a time, each no more than before. */
static void check_workers_fall_with_spawn(const struct model_work *w, int cpus)
{
	struct model_host h = host(cpus);
	struct model_result r;
	double spawn;
	int before = MODEL_MAX_WORKERS;

	for (spawn = 1 * US; spawn <= 1e9; spawn *= 2) {
		h.spawn_ns = spawn;
		optimize(w, &h, &r);
		assert_true(r.best.n <= before);
		before = r.best.n;
		model_result_free(&r);
	}
}

static void test_more_spawn_cost_never_gives_more_workers(void **state)
{
	static const double items[] = {100, 3000, 1e5}, cvs[] = {0, 1};
	int a, b, cpus;

	(void)state;
	for (a = 0; a < 3; a++)
		for (b = 0; b < 2; b++)
			for (cpus = 2; cpus <= 8; cpus *= 2) {
				struct model_work w = work(items[a], 50 * US, cvs[b]);

				check_workers_fall_with_spawn(&w, cpus);
			}
}

static void test_speedup_never_exceeds_the_usable_cpus(void **state)
{
	struct model_work w = work(50000, 200 * US, 0.5);
	struct model_host h = host(8);
	struct model_result r;
	int i;

	(void)state;
	h.physical_cores = 4;
	h.smt_scaling = 0.7;
	optimize(&w, &h, &r);
	for (i = 0; i < r.curve_len; i++)
		assert_true(r.curve[i].speedup <= 4 + 4 * (2 * 0.7 - 1) + 1e-9);
	model_result_free(&r);
}

static void test_smt_scaling_is_not_needed_without_siblings(void **state)
{
	struct model_work w = work(10000, 100 * US, 0.5);
	struct model_host h = host(4);
	struct model_result r;

	(void)state;
	h.smt_scaling = NAN;
	optimize(&w, &h, &r);
	assert_int_equal(r.best.n, 4);
	assert_true(isfinite(r.best.makespan_ns));
	model_result_free(&r);
}

static void test_makespan_grows_with_the_items(void **state)
{
	struct model_host h = host(4);
	double items, before = 0, t;

	(void)state;
	for (items = 64; items <= 65536; items *= 2) {
		struct model_work w = work(items, 10 * US, 0.5);

		t = model_makespan(&w, &h, 4, 16, MODEL_FIXED);
		assert_true(t > before);
		before = t;
	}
}

/* 100 kB per item through one dispatcher at 0.5 ns a byte: 50 us of every 100 us item is
 * serial, which chunking cannot amortise. */
static void test_reason_names_dispatch_when_it_limits_the_workers(void **state)
{
	struct model_work w = work(10000, 100 * US, 0.5);
	struct model_host h = host(4);
	struct model_result r;

	(void)state;
	w.bytes_in = 100000;
	w.bytes_out = 100;
	optimize(&w, &h, &r);
	assert_false(r.serial);
	assert_true(r.best.n < 4);
	assert_contains(r.reason, "one more worker would add more dispatch");
	assert_contains(r.reason, "largest overhead is dispatch");
	model_result_free(&r);
}

static void test_stream_gets_a_target_chunk_duration(void **state)
{
	struct model_work w = work(0, 100 * US, 0.3);
	struct model_host h = host(4);
	struct model_result r;

	(void)state;
	optimize(&w, &h, &r);
	assert_true(r.stream);
	assert_false(r.serial);
	assert_int_equal(r.best.n, 4);
	assert_true(r.best.k >= 1);
	assert_true(r.chunk_ns == r.best.k * w.item_ns);
	/* a hand-off of 80 us within 1% of the throughput needs chunks of about 8 ms */
	assert_true(r.chunk_ns >= 7.9 * MS && r.chunk_ns <= 8.1 * MS);
	assert_contains(r.reason, "stream");
	model_result_free(&r);
}

static void assert_refused(const struct model_work *w, const struct model_host *h,
			   const char *fragment)
{
	struct model_result r;
	struct amz_err err = {0};

	assert_int_equal(model_optimize(w, h, &r, &err), -1);
	assert_int_equal(err.code, EINVAL);
	assert_contains(err.msg, fragment);
	assert_null(strchr(err.msg, '\n'));
}

static void test_nan_item_time_is_refused_naming_the_field(void **state)
{
	struct model_work w = work(100, NAN, 0);
	struct model_host h = host(2);

	(void)state;
	assert_refused(&w, &h, "item_ns");
}

static void test_negative_spawn_cost_is_refused(void **state)
{
	struct model_work w = work(100, 1 * MS, 0);
	struct model_host h = host(2);

	(void)state;
	h.spawn_ns = -1;
	assert_refused(&w, &h, "spawn_ns");
}

static void test_negative_start_wait_is_refused(void **state)
{
	struct model_work w = work(100, 1 * MS, 0);
	struct model_host h = host(2);

	(void)state;
	h.start_wait_ns = NAN;
	assert_refused(&w, &h, "start_wait_ns");
}

static void test_zero_cpus_are_refused(void **state)
{
	struct model_work w = work(100, 1 * MS, 0);
	struct model_host h = host(2);

	(void)state;
	h.logical_cpus = 0;
	assert_refused(&w, &h, "at least one usable CPU");
}

static void test_more_cores_than_cpus_are_refused(void **state)
{
	struct model_work w = work(100, 1 * MS, 0);
	struct model_host h = host(2);

	(void)state;
	h.physical_cores = 3;
	assert_refused(&w, &h, "physical cores");
}

static void test_fractional_items_are_refused(void **state)
{
	struct model_work w = work(10.5, 1 * MS, 0);
	struct model_host h = host(2);

	(void)state;
	assert_refused(&w, &h, "whole number");
}

static void test_quota_without_period_is_refused(void **state)
{
	struct model_work w = work(100, 1 * MS, 0);
	struct model_host h = host(2);

	(void)state;
	h.quota_cpus = 1;
	assert_refused(&w, &h, "quota_period_ns");
}

static void test_worker_bound_out_of_range_is_refused(void **state)
{
	struct model_work w = work(100, 1 * MS, 0);
	struct model_host h = host(2);

	(void)state;
	h.max_workers = MODEL_MAX_WORKERS + 1;
	assert_refused(&w, &h, "max_workers");
}

static void test_makespan_of_a_point_out_of_range_is_nan(void **state)
{
	struct model_work w = work(100, 1 * MS, 0), stream = work(0, 1 * MS, 0);
	struct model_host h = host(2);

	(void)state;
	assert_true(isnan(model_makespan(&w, &h, 0, 10, MODEL_FIXED)));
	assert_true(isnan(model_makespan(&w, &h, 2, 0, MODEL_FIXED)));
	assert_true(isnan(model_makespan(&w, &h, 2, 101, MODEL_FIXED)));
	assert_true(isnan(model_makespan(&w, &h, 2, 2.5, MODEL_FIXED)));
	assert_true(isnan(model_makespan(&stream, &h, 2, 10, MODEL_FIXED)));
	assert_false(isnan(model_makespan(&w, &h, 2, 10, MODEL_FIXED)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_overhead_uses_every_usable_cpu),
		cmocka_unit_test(test_overhead_larger_than_the_work_runs_serially),
		cmocka_unit_test(test_warmup_moves_the_whole_schedule),
		cmocka_unit_test(test_workers_started_together_begin_after_all_starts),
		cmocka_unit_test(test_start_wait_is_paid_once),
		cmocka_unit_test(test_quota_of_one_and_a_half_cpus_gives_two_workers),
		cmocka_unit_test(test_memory_for_three_workers_caps_the_pool_at_three),
		cmocka_unit_test(test_no_memory_for_one_worker_runs_serially),
		cmocka_unit_test(test_varied_items_get_smaller_chunks_than_uniform_ones),
		cmocka_unit_test(test_widely_varied_items_with_costly_dispatch_prefer_factoring),
		cmocka_unit_test(
			test_alike_items_with_cheap_hand_offs_get_several_chunks_per_worker),
		cmocka_unit_test(test_best_chunk_equals_trying_every_chunk_size),
		cmocka_unit_test(test_curve_points_lie_within_their_gap_of_the_best_chunk),
		cmocka_unit_test(test_more_dispatch_cost_never_gives_more_chunks),
		cmocka_unit_test(test_more_spawn_cost_never_gives_more_workers),
		cmocka_unit_test(test_speedup_never_exceeds_the_usable_cpus),
		cmocka_unit_test(test_smt_scaling_is_not_needed_without_siblings),
		cmocka_unit_test(test_makespan_grows_with_the_items),
		cmocka_unit_test(test_reason_names_dispatch_when_it_limits_the_workers),
		cmocka_unit_test(test_stream_gets_a_target_chunk_duration),
		cmocka_unit_test(test_nan_item_time_is_refused_naming_the_field),
		cmocka_unit_test(test_negative_spawn_cost_is_refused),
		cmocka_unit_test(test_negative_start_wait_is_refused),
		cmocka_unit_test(test_zero_cpus_are_refused),
		cmocka_unit_test(test_more_cores_than_cpus_are_refused),
		cmocka_unit_test(test_fractional_items_are_refused),
		cmocka_unit_test(test_quota_without_period_is_refused),
		cmocka_unit_test(test_worker_bound_out_of_range_is_refused),
		cmocka_unit_test(test_makespan_of_a_point_out_of_range_is_nan),
	};

	return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
