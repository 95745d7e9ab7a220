/* The cost model against a discrete-event simulation of the same pool (tests/lib/sim.c), which
 * shares none of its formulas: first the simulation on cases whose answer is known exactly, then
 * the model's predictions over a spread of hosts and workloads drawn with a fixed seed. */
#include <math.h>
#include <stdio.h>

#include "testutil.h"
#include "model.h"
#include "sim.h"

#define MS 1e6
#define US 1e3

/* Runs per case: enough for the mean's standard error to be a small part of the tolerance. */
#define RUNS 30

static struct model_host bare_host(int cpus)
{
	return (struct model_host){
		.logical_cpus = cpus,
		.physical_cores = cpus,
		.smt_scaling = 1,
		.mem_left_bytes = -1,
		.max_workers = 2 * cpus,
	};
}

static void test_simulator_runs_steady_items_in_whole_rounds(void **state)
{
	struct model_work w = {.items = 100, .item_ns = 1 * MS};
	struct model_host h = bare_host(4);

	(void)state;
	/* 20 chunks of 5 over 4 workers: 5 rounds of 5 ms */
	assert_true(sim_run(&w, &h, 4, 5, MODEL_FIXED, 1) == 25 * MS);
}

static void test_simulator_hands_out_one_chunk_at_a_time(void **state)
{
	struct model_work w = {.items = 10, .item_ns = 1 * US};
	struct model_host h = bare_host(4);

	(void)state;
	h.dispatch_ns = 1 * MS;
	/* the tenth hand-off ends at 10 ms, its item a microsecond later */
	assert_true(fabs(sim_run(&w, &h, 4, 1, MODEL_FIXED, 1) - (10 * MS + 1 * US)) < 1e-3);
}

static void test_simulator_starts_workers_one_after_another(void **state)
{
	struct model_work w = {.items = 4, .item_ns = 10 * MS};
	struct model_host h = bare_host(4);

	(void)state;
	h.spawn_ns = 1 * MS;
	/* the fourth worker is up at 4 ms and takes the last item */
	assert_true(fabs(sim_run(&w, &h, 4, 1, MODEL_FIXED, 1) - 14 * MS) < 1e-3);
}

static void test_simulator_shares_one_cpu_between_two_workers(void **state)
{
	struct model_work w = {.items = 2, .item_ns = 1 * MS};
	struct model_host h = bare_host(1);

	(void)state;
	assert_true(fabs(sim_run(&w, &h, 2, 1, MODEL_FIXED, 1) - 2 * MS) < 1e-3);
}

static void test_simulator_gives_smt_siblings_their_share(void **state)
{
	struct model_work w = {.items = 2, .item_ns = 1 * MS};
	struct model_host h = bare_host(2);

	(void)state;
	h.physical_cores = 1;
	h.smt_scaling = 0.75;
	/* two siblings do 1.5 cores' work: 2 ms of it takes 4/3 ms */
	assert_true(fabs(sim_run(&w, &h, 2, 1, MODEL_FIXED, 1) - 4 * MS / 3) < 1e-3);
}

static void test_simulator_throttles_at_the_quota(void **state)
{
	struct model_work w = {.items = 2, .item_ns = 150 * MS};
	struct model_host h = bare_host(2);

	(void)state;
	h.quota_cpus = 1;
	h.quota_period_ns = 100 * MS;
	/* two workers spend a period's 100 ms in 50 ms; each needs three such bursts */
	assert_true(fabs(sim_run(&w, &h, 2, 1, MODEL_FIXED, 1) - 250 * MS) < 1e-3);
}

static void test_simulator_cuts_factoring_chunks_in_halving_rounds(void **state)
{
	struct model_work w = {.items = 64, .item_ns = 1 * MS};
	struct model_host h = bare_host(2);

	(void)state;
	/* 16,16 then 8,8 then 4,4 then 2,2 then 1,1,1,1: every round even, 32 ms per worker */
	assert_true(sim_run(&w, &h, 2, 1, MODEL_FACTORING, 1) == 32 * MS);
}

static void test_simulator_draws_items_with_the_requested_mean_and_spread(void **state)
{
	struct model_work w = {.items = 4000, .item_ns = 1 * MS, .item_cv = 0.8};
	struct model_host h = bare_host(1);
	struct sim_stats s;
	double mean = w.items * w.item_ns, sd = sqrt(w.items) * w.item_cv * w.item_ns;

	(void)state;
	/* one worker, one chunk: the run is the sum of all item times */
	sim_repeat(&w, &h, 1, w.items, MODEL_FIXED, 200, 7, &s);
	assert_true(fabs(s.mean_ns - mean) < 4 * sd / sqrt(200));
	assert_true(fabs(s.sd_ns / sd - 1) < 0.2);
}

static void test_simulator_repeats_itself_for_a_seed(void **state)
{
	struct model_work w = {.items = 500, .item_ns = 1 * MS, .item_cv = 1};
	struct model_host h = bare_host(4);

	(void)state;
	assert_true(sim_run(&w, &h, 4, 7, MODEL_FIXED, 42) ==
		    sim_run(&w, &h, 4, 7, MODEL_FIXED, 42));
	assert_true(sim_run(&w, &h, 4, 7, MODEL_FIXED, 42) !=
		    sim_run(&w, &h, 4, 7, MODEL_FIXED, 43));
}

/* A fixed sequence of cases over the space the model is meant for: 20 to 30000 items of 0.5 us
 * to 2 ms, spread 0 to 2.5, IPC bytes or none, spawn up to 2 ms, dispatch up to 0.5 ms, 1 to 16
 * CPUs with or without SMT siblings and quotas, workers up to twice the CPUs, both schedules and
 * chunk sizes across their range. */
struct draw {
	uint64_t state;
};

static double uniform(struct draw *d)
{
	d->state = d->state * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(d->state >> 11) * 0x1.0p-53;
}

static double log_uniform(struct draw *d, double lo, double hi)
{
	return exp(log(lo) + uniform(d) * (log(hi) - log(lo)));
}

struct sim_case {
	struct model_work w;
	struct model_host h;
	int n;
	double k;
	enum model_schedule s;
};

static void draw_host(struct draw *d, struct model_host *h)
{
	static const int cpus[] = {1, 2, 4, 8, 16};

	h->spawn_ns = uniform(d) < 0.2 ? 0 : log_uniform(d, 20 * US, 2 * MS);
	h->dispatch_ns = uniform(d) < 0.1 ? 0 : log_uniform(d, 2 * US, 500 * US);
	h->ipc_ns_per_byte = log_uniform(d, 0.05, 2);
	h->logical_cpus = cpus[(int)(uniform(d) * 5)];
	h->physical_cores = h->logical_cpus;
	if (uniform(d) < 0.4 && h->logical_cpus > 1)
		h->physical_cores = h->logical_cpus / 2;
	h->smt_scaling = 0.5 + 0.5 * uniform(d);
	if (uniform(d) < 0.25) {
		h->quota_cpus = 0.3 + uniform(d) * h->logical_cpus;
		h->quota_period_ns = 100 * MS;
	}
	h->mem_left_bytes = -1;
	h->max_workers = 2 * h->logical_cpus;
}

static void draw_case(struct draw *d, struct sim_case *c)
{
	double kmax;

	*c = (struct sim_case){0};
	c->w.items = floor(log_uniform(d, 20, 30000));
	c->w.item_ns = log_uniform(d, 0.5 * US, 2 * MS);
	c->w.item_cv = uniform(d) < 0.15 ? 0 : log_uniform(d, 0.05, 2.5);
	if (uniform(d) < 0.3) {
		c->w.bytes_in = log_uniform(d, 10, 1e5);
		c->w.bytes_out = log_uniform(d, 10, 1e4);
	}
	draw_host(d, &c->h);
	c->n = 1 + (int)(uniform(d) * 2 * c->h.logical_cpus);
	c->s = uniform(d) < 0.3 && c->w.item_cv > 0 ? MODEL_FACTORING : MODEL_FIXED;
	kmax = c->s == MODEL_FACTORING ? fmax(1, ceil(c->w.items / (2.0 * c->n)) - 1) : c->w.items;
	c->k = fmin(kmax, fmax(1, floor(log_uniform(d, 1, kmax + 0.999))));
}

/* Whether the model's makespan is within tolerance of the simulated mean, beyond three
 * standard errors of that mean; prints the case when not. */
static bool agrees(const struct sim_case *c, double tolerance, int index, double *error)
{
	struct sim_stats s;
	double model = model_makespan(&c->w, &c->h, c->n, c->k, c->s), slack;

	sim_repeat(&c->w, &c->h, c->n, c->k, c->s, RUNS, 1000 + (uint64_t)index, &s);
	*error = (model - s.mean_ns) / s.mean_ns;
	slack = 3 * s.sd_ns / sqrt(RUNS) / s.mean_ns;
	if (fabs(*error) <= tolerance + slack)
		return true;
	print_message("case %d: %g items of %g ns (cv %g), n %d, k %g, %s, spawn %g, dispatch %g, "
		      "%d CPUs on %d cores, quota %g: model %g ns, simulated %g ns (%+.1f%%)\n",
		      index, c->w.items, c->w.item_ns, c->w.item_cv, c->n, c->k,
		      c->s == MODEL_FACTORING ? "factoring" : "fixed", c->h.spawn_ns,
		      c->h.dispatch_ns, c->h.logical_cpus, c->h.physical_cores, c->h.quota_cpus,
		      model, s.mean_ns, 100 * *error);
	return false;
}

/* Checks count cases with at most (beyond = false) or more (true) workers than CPUs. */
static void check_cases(int count, bool beyond, double tolerance)
{
	struct draw d = {.state = beyond ? 2 : 1};
	struct sim_case c;
	double error, sum = 0;
	int done = 0, failed = 0;

	while (done < count) {
		draw_case(&d, &c);
		if ((c.n > c.h.logical_cpus) != beyond || c.w.items / c.k * c.n > 3e5)
			continue;
		if (!agrees(&c, tolerance, done, &error))
			failed++;
		sum += fabs(error);
		done++;
	}
	print_message("%d cases, mean error %.1f%%, %d outside %.0f%%\n", count, 100 * sum / count,
		      failed, 100 * tolerance);
	assert_int_equal(failed, 0);
}

static void test_model_matches_simulation_up_to_the_cpus(void **state)
{
	(void)state;
	check_cases(300, false, MODEL_UNCERTAINTY);
}

static void test_model_matches_simulation_beyond_the_cpus(void **state)
{
	(void)state;
	check_cases(200, true, MODEL_OVERSUBSCRIBED_UNCERTAINTY);
}

/* The model's choice for c and the two naive ones on two workers: n = CPUs with Python's
 * chunksize = ceil(N / 4n), and with chunks of one item; the number that disagree. */
static int check_chosen_and_naive(struct sim_case *c, int *index)
{
	struct model_result r;
	struct amz_err err;
	double error;
	int failed = 0;

	assert_int_equal(model_optimize(&c->w, &c->h, &r, &err), 0);
	c->n = r.pool.n;
	c->k = r.pool.k;
	c->s = r.pool.schedule;
	model_result_free(&r);
	failed += !agrees(c, MODEL_UNCERTAINTY, (*index)++, &error);

	c->n = c->h.logical_cpus;
	c->k = ceil(c->w.items / (4 * c->n));
	c->s = MODEL_FIXED;
	failed += !agrees(c, MODEL_UNCERTAINTY, (*index)++, &error);

	c->k = 1;
	failed += !agrees(c, MODEL_UNCERTAINTY, (*index)++, &error);
	return failed;
}

static void test_model_matches_simulation_at_chosen_and_naive_points(void **state)
{
	static const double items[] = {200, 5000, 30000}, item_ns[] = {5 * US, 200 * US},
			    cvs[] = {0.1, 1.5};
	struct sim_case c;
	int a, b, v, index = 0, failed = 0;

	(void)state;
	for (a = 0; a < 3; a++)
		for (b = 0; b < 2; b++)
			for (v = 0; v < 2; v++) {
				c = (struct sim_case){
					.w = {.items = items[a],
					      .item_ns = item_ns[b],
					      .item_cv = cvs[v]},
					.h = bare_host(2),
				};
				c.h.spawn_ns = 250 * US;
				c.h.dispatch_ns = 80 * US;
				failed += check_chosen_and_naive(&c, &index);
			}
	assert_int_equal(failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simulator_runs_steady_items_in_whole_rounds),
		cmocka_unit_test(test_simulator_hands_out_one_chunk_at_a_time),
		cmocka_unit_test(test_simulator_starts_workers_one_after_another),
		cmocka_unit_test(test_simulator_shares_one_cpu_between_two_workers),
		cmocka_unit_test(test_simulator_gives_smt_siblings_their_share),
		cmocka_unit_test(test_simulator_throttles_at_the_quota),
		cmocka_unit_test(test_simulator_cuts_factoring_chunks_in_halving_rounds),
		cmocka_unit_test(test_simulator_draws_items_with_the_requested_mean_and_spread),
		cmocka_unit_test(test_simulator_repeats_itself_for_a_seed),
		cmocka_unit_test(test_model_matches_simulation_up_to_the_cpus),
		cmocka_unit_test(test_model_matches_simulation_beyond_the_cpus),
		cmocka_unit_test(test_model_matches_simulation_at_chosen_and_naive_points),
	};

	return cmocka_run_group_tests_name("model_sim", tests, NULL, NULL);
}
