/* The cost model: how long a parallel map of N items takes with n workers and chunks of k items
 * on this host, and the n and k that make it shortest. Pure arithmetic: no I/O, no clock, no
 * global state; the same inputs always give the same answer. */
#ifndef AMZ_MODEL_H
#define AMZ_MODEL_H

#include <stdbool.h>

#include "util.h"

/* The largest worker count the model accepts; it bounds the optimiser's work. */
#define MODEL_MAX_WORKERS 1024

/* How far the model's makespan may be from the truth for inputs it describes, as a fraction.
 * tests/unit/test_model_sim.c holds 300 predictions with up to as many workers as CPUs within it
 * of a discrete-event simulation of the same pool (mean error 0.8%); of 900 more drawn alike, 2
 * miss it, by up to 20%: runs of a few items per worker, and a quota far below the CPUs. A pool
 * must be predicted faster than serial by more than this to be advised; errors in the measured
 * inputs come on top of it. */
#define MODEL_UNCERTAINTY 0.10

/* The same for more workers than logical CPUs, which share CPUs in time slices the model takes
 * as even: a larger count is advised only when it wins by more than this. */
#define MODEL_OVERSUBSCRIBED_UNCERTAINTY 0.30

/* What the items are like. Times are in nanoseconds of one CPU running the item alone.
 * An item's time is taken as the same however many workers run at once: items that compete for
 * memory bandwidth, a shared cache or a lock in the kernel run slower side by side, and the
 * model then predicts more speedup than comes. */
struct model_work {
	double items;		 /* N, a whole number; 0 for a stream of unknown length */
	double item_ns;		 /* mean time of one item, serially on one CPU (> 0) */
	double item_cv;		 /* coefficient of variation of that time: sd / mean (>= 0) */
	double bytes_in;	 /* bytes per item the dispatcher sends to a worker */
	double bytes_out;	 /* bytes per item a worker sends back */
	double worker_mem_bytes; /* memory each worker adds to the total; 0 when unknown */
	double warmup_ns;	 /* what a worker's first chunk costs beyond its later ones (page
				  * faults, lazy loading, cold caches): paid once by every worker,
				  * at once, and once by a serial run; 0 when none or unknown */
};

/* What this host charges and offers, from calibration and host detection. */
struct model_host {
	double spawn_ns;	/* time the parent takes to start one worker; the parent starts
				 * them one after another, so worker j is ready at j * spawn_ns
				 * (see start_together) */
	double start_wait_ns;	/* a started worker's wait for its first run: the workers wait
				 * side by side, so the schedule pays it once, not per worker */
	double dispatch_ns;	/* time one chunk hand-off holds the dispatcher, payload aside:
				 * the worker's request, the wakeup, the queue or pipe round trip */
	double ipc_ns_per_byte; /* time per byte moved between the dispatcher and a worker, in
				 * either direction, added to that chunk's hand-off (0: shared
				 * memory) */
	int logical_cpus;	/* CPUs the process may run on, after affinity and cpuset (>= 1) */
	int physical_cores;	/* distinct cores among those CPUs (1..logical_cpus) */
	double smt_scaling;	/* throughput of two siblings of one core relative to two cores,
				 * 0.5 (no gain) to 1; needed when logical_cpus > physical_cores */
	double quota_cpus;	/* CFS bandwidth quota in CPUs (quota / period); 0 when none */
	double quota_period_ns; /* that quota's period (cpu.max, cpu.cfs_period_us) */
	double mem_left_bytes;	/* memory new workers may use under every limit; < 0 unknown */
	int max_workers;	/* the largest n searched, 1..MODEL_MAX_WORKERS */
	bool fixed_only;	/* the pool cuts chunks of k items only (xargs -n, Pool.map):
				 * factoring is not weighed */
	bool start_together;	/* the pool starts every worker before it hands out the first
				 * chunk (libamorsize's): all are ready at n * spawn_ns, not
				 * worker j at j * spawn_ns */
};

/* MODEL_FIXED: chunks of k items, the last one holding what is left (Python's Pool.map
 * chunksize, xargs -n, OpenMP dynamic,k). MODEL_FACTORING: rounds of n equal chunks of
 * max(k, ceil(R / 2n)) items where R items remain, so chunks halve each round down to k (FAC2
 * of Hummel, Schonberg and Flynn); k is then the smallest chunk. */
enum model_schedule {
	MODEL_FIXED,
	MODEL_FACTORING,
};

struct model_point {
	int n;			      /* workers */
	double k;		      /* items per chunk (the smallest, for factoring) */
	enum model_schedule schedule; /* how chunks are cut */
	double makespan_ns;	      /* predicted wall time of the whole map; 0 for a stream */
	double speedup;		      /* serial time / makespan (for a stream: throughput ratio) */
	double gap;		      /* how much shorter the makespan of the best k for this n may
				       * be, as a fraction: 0 when the search was exhaustive */
	bool feasible;		      /* n workers fit in the memory left */
};

/* Where the time of a point goes, in ns. ideal is the work split perfectly over n full CPUs;
 * each other figure is how much shorter the run would be without that cost, removed in the
 * order spawn, dispatch, cpu, so that the five add up to the makespan. */
struct model_costs {
	double ideal_ns;    /* items * item_ns / n */
	double spawn_ns;    /* starting the workers, their wait for a first run, their warm-up */
	double dispatch_ns; /* hand-offs, IPC bytes, waiting for the dispatcher */
	double cpu_ns;	    /* fewer CPUs than workers, SMT siblings, quota throttling */
	double tail_ns;	    /* the end of the run: chunks that do not divide evenly, items
			     * that vary, workers idle while the last chunks finish */
};

struct model_result {
	struct model_point best;   /* what to run; when serial, n = 1 and k = items */
	struct model_point pool;   /* the fastest pool found, also when serial is advised */
	struct model_costs costs;  /* of pool */
	struct model_point *curve; /* curve[i]: the fastest point with i + 1 workers */
	int curve_len;		   /* = max_workers */
	double serial_ns;	   /* items * item_ns, with quota throttling */
	double chunk_ns;	   /* items * item_ns of one chunk of best.k; for a stream this
				    * target duration is the answer, whatever the item count */
	bool serial;		   /* parallelism does not win by more than MODEL_UNCERTAINTY */
	bool stream;		   /* items == 0: steady throughput, no makespan */
	int mem_workers;	   /* workers that fit in the memory left; -1 when unbounded */
	char reason[512];	   /* the choice in plain words, naming what limits it */
};

/* Whether the inputs describe something the model can compute: 0, or -1 with one sentence in
 * err naming the field and what is wrong with it. */
int model_check(const struct model_work *w, const struct model_host *h, struct amz_err *err);

/* The predicted wall time in ns of the map with n workers (1..MODEL_MAX_WORKERS) and chunk
 * size k (a whole number, 1..items), from the parent starting the first worker to the last
 * chunk's end. NaN when model_check fails, for a stream, or when n or k is out of range. */
double model_makespan(const struct model_work *w, const struct model_host *h, int n, double k,
		      enum model_schedule s);

/* The k with the smallest makespan for n workers under schedule s, searched over every k
 * (factoring: up to one less than its first chunks, ceil(items / 2n)). Equal to trying them
 * all, up to rounding of 1e-12, unless out->gap says how far the search stopped short. */
int model_best_chunk(const struct model_work *w, const struct model_host *h, int n,
		     enum model_schedule s, struct model_point *out, struct amz_err *err);

/* Searches n from 1 to max_workers and k over its whole range, weighs factoring against the
 * best fixed k when items vary, and explains the choice. Free r with model_result_free. */
int model_optimize(const struct model_work *w, const struct model_host *h, struct model_result *r,
		   struct amz_err *err);

void model_result_free(struct model_result *r);

#endif
