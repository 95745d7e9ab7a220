/* The plots of a traced run, as one SVG picture: the predicted speedup over workers with the
 * run's measured point and the recommendation, the workload's tasks on a CPU over time, and
 * the latency histograms (spawn, wakeup to run, on-CPU bursts, exec and chunks when seen). */
#ifndef AMZ_REPORT_SVG_H
#define AMZ_REPORT_SVG_H

#include <stdio.h>

#include <json-c/json.h>

#include "report.h"

struct report_svg {
	const struct report_run *run; /* the command and everything measured */
	double cpus;		      /* CPUs the run could use, drawn as a line; 0 when unknown */
	const char *cpus_what;	      /* what cpus counts: "CPUs online", "usable CPUs" */
	json_object *advice;	      /* the recommendation document (advice_to_json), or NULL:
				       * its curve, the run's measured point and the choice */
};

/* Writes the picture; a trace without the kernel's figures (the eBPF-less fallback) has
 * nothing to plot and is refused with a sentence. */
int report_svg(FILE *f, const struct report_svg *in, struct amz_err *err);

/* The same into path, written as the invoking user. */
int report_svg_file(const char *path, const struct report_svg *in, struct amz_err *err);

/* The plots of the run saved in the workload profile doc, named name, into path. A host
 * profile, or a run without the kernel's figures, is refused with a sentence. */
int report_svg_profile_file(const char *path, const char *name, json_object *doc,
			    struct amz_err *err);

#endif
