/* Heterogeneous items: the cost of each item is drawn from a log-normal distribution with a
 * chosen mean and coefficient of variation, from a seed, so that a run is reproducible; large
 * chunks then leave one worker finishing alone. */
#include <math.h>

#include "workload.h"

static double mean_work = 30000;
static double cv = 1.0;
static double seed = 1;

static const struct workload_param params[] = {
	{"mean-work", &mean_work, 1, 1e12, "mean xorshift iterations per item; 30000 is ~50 us"},
	{"cv", &cv, 0, 10, "coefficient of variation of the cost, 0.5 to 3 in the suite"},
	{"seed", &seed, 0, 4294967295.0, "seed of the costs: the same seed, the same items"},
	{NULL, NULL, 0, 0, NULL},
};

static uint64_t rng_state;

static double uniform(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

/* A log-normal with mean m and coefficient of variation c has sigma^2 = ln(1 + c^2) and
 * mu = ln(m) - sigma^2 / 2; the normal deviate comes from Box-Muller. */
static void draw_costs(void *in, size_t n)
{
	double sigma = sqrt(log(1 + cv * cv)), mu = log(mean_work) - sigma * sigma / 2;
	uint64_t *cost = in;
	size_t i;

	rng_state = 0x9e3779b97f4a7c15ull ^ (uint64_t)seed;
	for (i = 0; i < n; i++) {
		double z = sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());

		cost[i] = (uint64_t)llround(exp(mu + sigma * z));
	}
}

static int hetero_item(const void *in, void *out, void *ctx)
{
	uint64_t cost = *(const uint64_t *)in;

	(void)ctx;
	*(uint64_t *)out = workload_mix(cost, cost);
	return 0;
}

int main(int argc, char **argv)
{
	const struct workload w = {
		.name = "hetero",
		.summary = "Heterogeneous items: log-normal cost with --mean-work and --cv, from "
			   "--seed.",
		.default_items = 20000,
		.params = params,
		.fn = hetero_item,
		.in_size = sizeof(uint64_t),
		.out_size = sizeof(uint64_t),
		.fill = draw_costs,
	};

	return workload_main(&w, argc, argv);
}
