/* Calibration: what this host charges to start a worker, hand it a chunk and move its bytes,
 * measured with built-in probe workloads, each repeated until its median is stable or its time
 * budget is spent. */
#ifndef AMZ_CALIBRATE_H
#define AMZ_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "host.h"
#include "profile.h"
#include "util.h"

struct tracer;

enum calib_effort {
	CALIB_QUICK,	/* about a third of a second; wider intervals */
	CALIB_DEFAULT,	/* under a second on a small VM */
	CALIB_THOROUGH, /* several seconds; more parent sizes, tighter intervals */
};

/* One measured figure. A figure that could not be measured says why and has no value. */
struct calib_figure {
	bool measured;
	double median;	 /* ns, or ns per byte, or a ratio for SMT scaling */
	double mad;	 /* median absolute deviation, same unit */
	double ci95_rel; /* half-width of the 95% interval of the median, relative */
	size_t n;	 /* trials */
	bool stable;	 /* the interval met the target before the budget ran out */
	double parent;	 /* spawn probes: median of the parent's own (serial) part, ns */
	/* The kernel's view of the same trials, from the tracer's log2 histograms (their
	 * resolution is a factor of two); zero when the tracer was not used. */
	double kernel_p50_ns;
	double kernel_p90_ns;
	unsigned long long kernel_events;
	char why_not[160]; /* when !measured */
};

/* Fork cost at one parent size: page-table copying makes it grow with resident memory. */
struct calib_fork_size {
	double rss_bytes; /* memory the parent had touched, 4 KiB pages */
	struct calib_figure fig;
};

#define CALIB_MAX_FORK_SIZES 5

struct amz_calibration {
	char source[16];  /* "bpf" when the tracer gave the kernel's view, else "userspace" */
	char effort[16];  /* "quick", "default", "thorough" */
	double wall_s;	  /* how long calibration took */
	int cpu_a, cpu_b; /* the CPUs the dispatch probes ran on; cpu_b -1 without a second */

	struct calib_figure fork;	 /* fork + child's first run, small parent */
	struct calib_figure thread;	 /* pthread_create + thread's first run */
	struct calib_figure posix_spawn; /* posix_spawn of a small binary to its reaped exit */
	struct calib_fork_size fork_sizes[CALIB_MAX_FORK_SIZES];
	int n_fork_sizes;
	double fork_ns_per_mib; /* fitted growth of fork cost with the parent's memory */

	/* Handing a sleeping worker one chunk: one way of a round trip, same and other CPU. */
	struct calib_figure pipe_same, pipe_cross;
	struct calib_figure futex_same, futex_cross;
	struct calib_figure unix_same, unix_cross;

	/* libamorsize's own pool: what one chunk hand-off costs when chunks are empty. */
	struct calib_figure pool_threads, pool_processes;

	struct calib_figure ipc_pipe; /* ns per byte streamed through a pipe */
	struct calib_figure ipc_shm;  /* ns per byte copied into and out of shared memory */

	struct calib_figure smt; /* throughput of two siblings over two separate cores */
};

/* Which CPUs the probes may pin to, chosen by the caller from host detection. */
struct calib_cpus {
	int a, b;		  /* two allowed CPUs, b = -1 when only one is allowed */
	int sibling_a, sibling_b; /* two SMT siblings, -1 when the host has none allowed */
	int core_a, core_b;	  /* two CPUs on separate physical cores, -1 when none */
};

typedef void (*calib_progress_fn)(const char *probe, int index, int total, void *ctx);

struct calib_opts {
	enum calib_effort effort;
	struct calib_cpus cpus;
	struct tracer *tracer; /* NULL: user-space figures only */
	calib_progress_fn progress;
	void *progress_ctx;
};

/* Fails, between two trials, when a stop is requested (amz_stop_requested). */
int calibrate_run(struct amz_calibration *c, const struct calib_opts *o, struct amz_err *err);

/* The CPUs the probes pin to, from the host's topology: two allowed CPUs, on separate cores
 * where there are such, and an SMT pair to set against a separate-core pair. */
void calibrate_cpus_for(const struct amz_host *h, struct calib_cpus *cpus);

const char *calibrate_effort_name(enum calib_effort e);

/* The fork cost the model should charge for a parent with rss_bytes resident. */
double calibrate_fork_ns(const struct amz_calibration *c, double rss_bytes);

json_object *calibrate_to_json(const struct amz_calibration *c);

/* Reads a saved calibration back, refusing missing, negative, non-finite or absurd figures
 * with a sentence naming the field. */
int calibrate_from_json(struct amz_calibration *c, json_object *o, struct amz_err *err);

/* Builds the host profile document: the host as detected, its fingerprint, the calibration. */
json_object *calibrate_host_profile(const char *name, const struct amz_host *h,
				    const struct amz_calibration *c);

/* The calibration of the host profile NAME, used only when it was made on this host as it is
 * now (same fingerprint: kernel, CPU, topology, limits). Returns 0, or -1 with a sentence: no
 * such profile, damaged, another schema, or made on another host or under other limits. */
int calibrate_load(struct profile_store *s, const char *name, const struct amz_host *now,
		   struct amz_calibration *c, time_t *made, struct amz_err *err);

/* The calibration to use now: the host profile NAME when it is valid for this host, else a
 * fresh calibration at EFFORT (with the kernel's view when T is given), saved under NAME (S may
 * be NULL: nothing is loaded or saved). On a fresh one, *why (when not NULL) says why the saved
 * one was not used. Fails only when calibration fails; a
 * profile that cannot be saved is logged and the fresh figures are still returned. */
int calibrate_obtain(struct profile_store *s, const char *name, const struct amz_host *h,
		     struct tracer *t, enum calib_effort effort, struct amz_calibration *c,
		     bool *fresh, char *why, size_t why_len, struct amz_err *err);

#endif
