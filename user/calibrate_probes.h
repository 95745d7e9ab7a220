/* The probe workloads of calibration: each has a setup, a trial that yields one sample, and a
 * teardown, so that the orchestrator can repeat trials until the median is stable. */
#ifndef AMZ_CALIBRATE_PROBES_H
#define AMZ_CALIBRATE_PROBES_H

#include <stddef.h>

struct probe_state;

struct probe_sample {
	double value;  /* the figure: ns, or ns per byte, or a throughput ratio */
	double parent; /* spawn probes: the parent's own part, ns; else 0 */
};

struct probe_params {
	int cpu_a, cpu_b;   /* CPUs the probe's two tasks run on; -1 leaves a task unpinned */
	int core_a, core_b; /* SMT probe: two CPUs on separate cores, against siblings a and b */
	size_t rss_bytes;   /* fork probes: memory the parent touches first */
	const char *binary; /* posix_spawn probe: the program to start */
};

enum probe_kind {
	PROBE_FORK,
	PROBE_THREAD,
	PROBE_POSIX_SPAWN,
	PROBE_PIPE,
	PROBE_FUTEX,
	PROBE_UNIX,
	PROBE_IPC_PIPE,
	PROBE_IPC_SHM,
	PROBE_SMT,
	PROBE_POOL_THREADS,   /* amz_map's own hand-off of one chunk, thread workers */
	PROBE_POOL_PROCESSES, /* the same with process workers */
};

/* Returns 0, or -errno with the probe unusable (and nothing left running). */
int probe_setup(enum probe_kind kind, const struct probe_params *p, struct probe_state **out);
int probe_trial(struct probe_state *s, struct probe_sample *out);
void probe_teardown(struct probe_state *s);

#endif
