/* Prometheus textfile export: host limits, calibration figures and the last recommendation of
 * each workload, for node_exporter's textfile collector, in base units (seconds, bytes). */
#ifndef AMZ_REPORT_PROMETHEUS_H
#define AMZ_REPORT_PROMETHEUS_H

#include <stdio.h>
#include <time.h>

#include "calibrate.h"
#include "host.h"
#include "profile.h"

/* The last recommendation saved for one workload. */
struct prom_workload {
	const char *name;
	double jobs;
	double chunksize; /* NaN when the recommendation gives a chunk duration instead */
	double speedup;
	bool serial;
	time_t when;
};

struct prom_export {
	const struct amz_host *host;		   /* detected now */
	const struct amz_calibration *calibration; /* NULL when no valid host profile exists */
	time_t calibrated;
	const struct prom_workload *workloads;
	size_t n_workloads;
};

int report_prometheus(FILE *f, const struct prom_export *e);

/* Where an export's figures come from. */
struct prom_sources {
	const struct amz_host *host; /* detected now */
	struct profile_store *store; /* NULL: no calibration or workloads from a store */
	const char *host_profile;    /* the host profile in the store, "host" by default */
	const struct amz_calibration
		*fresh; /* a calibration made now, used instead of the store's */
	time_t fresh_when;
};

/* Writes path atomically (beside it, then renamed, as node_exporter's textfile collector
 * expects) with the host, its calibration (the fresh one, or the store's while it is valid on
 * this host) and the last recommendation of every workload profile in the store that has one. */
int report_prometheus_file(const char *path, const struct prom_sources *src, struct amz_err *err);

#endif
