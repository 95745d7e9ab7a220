/* Advice: the cost model fed from measurements. Turns what host detection, calibration, a
 * traced run or a sampled function measured into the model's inputs, each with where it came
 * from, runs the optimiser, and states the answer in the units the user works in. */
#ifndef AMZ_ADVICE_H
#define AMZ_ADVICE_H

#include <stdbool.h>

#include <json-c/json.h>

#include "calibrate.h"
#include "host.h"
#include "model.h"
#include "tracer.h"
#include "util.h"
#include "workload.h"

/* The version of the advice document (recommend --json, and the "recommendation" section of a
 * workload profile). */
#define ADVICE_SCHEMA 1

/* One model input: its value and where it came from, in words ("chunk markers: 525 items in 75
 * chunks", "calibration: fork from a 40 MiB parent", "--items"). */
struct advice_input {
	const char *name;
	double value;
	char source[160];
};

enum advice_input_id {
	IN_ITEMS,
	IN_ITEM_NS,
	IN_ITEM_CV,
	IN_WARMUP,
	IN_BYTES,
	IN_WORKER_MEM,
	IN_SPAWN,
	IN_DISPATCH,
	IN_IPC,
	IN_CPUS,
	IN_CORES,
	IN_SMT,
	IN_QUOTA,
	IN_MEMORY,
	IN_COUNT,
};

/* How a traced workload hands out work, as far as the trace shows. */
enum advice_shape {
	SHAPE_MARKERS,		 /* USDT chunk markers: chunks and items exactly */
	SHAPE_PROCESS_PER_CHUNK, /* a new process (exec) for every chunk: xargs -n, make -j */
	SHAPE_WORKERS,		 /* long-lived workers running a burst per chunk */
	SHAPE_SERIAL,		 /* no worker was started */
	SHAPE_LIBRARY,		 /* libamorsize sampled the function itself */
};

struct advice {
	struct model_work work;
	struct model_host host;
	struct advice_input in[IN_COUNT];
	enum advice_shape shape;
	bool absolute;		  /* items known: n and k are counts; else a chunk duration */
	double current_jobs;	  /* the run's workers, 0 unknown */
	double current_k;	  /* the run's items per chunk, 0 unknown */
	double current_chunk_ns;  /* the run's time per chunk, 0 unknown */
	double parallelism;	  /* the run's CPU time over its wall time, 0 unknown */
	double wall_ns;		  /* the run's wall time, 0 unknown */
	double measured_speedup;  /* the model's serial time over the run's wall time, 0 unknown */
	double contention;	  /* the run's time runnable but not running over its CPU time */
	double predicted_current; /* the model's speedup for the run's own n and k, 0 unknown */
	double scale_k;		  /* recommended over current chunk size, 0 unknown */
	double process_trip_ns;	  /* calibration: a small binary spawned to its reaped exit */
	struct model_result result;
	bool optimized;
};

/* Host side of the inputs: CPUs, cores, SMT, quota and memory from detection; spawn,
 * dispatch and IPC costs from calibration for workers of the given kind. */
void advice_from_host(struct advice *a, const struct amz_host *h, const struct amz_calibration *c,
		      bool processes, double parent_rss_bytes);

/* The work side from a traced run and the user's hints; refines spawn and dispatch with what
 * the run itself measured. Fails when the run shows no work to divide. */
int advice_from_trace(struct advice *a, const struct amz_trace *t, const struct workload_hints *h,
		      struct amz_err *err);

/* What sampling a function found, per item. */
struct advice_sample {
	size_t n;	   /* items sampled */
	double item_ns;	   /* mean CPU time */
	double item_cv;	   /* spread of the CPU times */
	double wall_ns;	   /* mean wall time */
	double bytes_in;   /* the item's size */
	double bytes_out;  /* the result's size */
	double worker_mem; /* growth of the peak RSS while sampling */
};

/* The work side from a sampled function over `items` items, with the pool's own hand-off and
 * shared-memory costs from calibration. */
void advice_from_sample(struct advice *a, const struct advice_sample *s, double items,
			const struct amz_calibration *c, bool processes);

/* Runs the optimiser and derives the current configuration's prediction and the scale. */
int advice_optimize(struct advice *a, struct amz_err *err);

void advice_free(struct advice *a);

const char *advice_shape_name(enum advice_shape s);

/* The advice document: at least {"jobs", "chunksize", "speedup", "serial", "reason"}. */
json_object *advice_to_json(const struct advice *a);

#endif
