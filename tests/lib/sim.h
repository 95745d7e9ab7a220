/* A discrete-event simulation of the pool the cost model describes, with random item times, to
 * check the model's formulas against something that shares none of them. */
#ifndef AMZ_SIM_H
#define AMZ_SIM_H

#include <stdint.h>

#include "model.h"

/* What the simulated pool does, event by event:
 * - the parent starts worker j (1..n) at j * spawn_ns; a started worker queues for work;
 * - one dispatcher serves the queue in order: a hand-off of c items holds it for
 *   dispatch_ns + c * (bytes_in + bytes_out) * ipc_ns_per_byte, then the worker computes;
 * - item times are drawn log-normal with mean item_ns and coefficient item_cv (constant when 0);
 * - computing workers share the CPUs: r of them progress together at capacity(r) / r, where
 *   capacity counts physical cores as 1 and SMT siblings as 2 * smt_scaling - 1;
 * - under a quota, the computing workers may use quota_cpus * period of CPU time per period,
 *   counted as min(r, logical_cpus) CPUs; once it is spent they stop until the next period, the
 *   run starting at the beginning of a period; hand-offs continue;
 * - the run ends when the last chunk ends, and not before the parent started every worker.
 * Spawn and dispatch take exactly their mean time, and the dispatcher uses no CPU. */
double sim_run(const struct model_work *w, const struct model_host *h, int n, double k,
	       enum model_schedule s, uint64_t seed);

struct sim_stats {
	double mean_ns;
	double sd_ns; /* of one run */
	int runs;
};

/* Runs the simulation runs times with seeds derived from seed. */
void sim_repeat(const struct model_work *w, const struct model_host *h, int n, double k,
		enum model_schedule s, int runs, uint64_t seed, struct sim_stats *out);

#endif
