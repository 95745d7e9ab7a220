/* Prometheus textfile export: host limits, calibration figures and the last recommendation of
 * each workload, for node_exporter's textfile collector, in base units (seconds, bytes). */
#ifndef AMZ_REPORT_PROMETHEUS_H
#define AMZ_REPORT_PROMETHEUS_H

#include <stdio.h>
#include <time.h>

#include "calibrate.h"
#include "host.h"

/* The last recommendation saved for one workload. */
struct prom_workload {
	const char *name;
	double jobs;
	double chunksize;
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

#endif
