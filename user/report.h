/* The report of a traced run: text for people, JSON for tools. */
#ifndef AMZ_REPORT_H
#define AMZ_REPORT_H

#include <stdio.h>

#include "tracer.h"

struct report_run {
	char *const *argv;	       /* the workload's command line */
	int exit_status;	       /* as a shell reports it: 128+N after signal N */
	int term_signal;	       /* the signal that killed the workload, or 0 */
	double wall_s;		       /* from release to the workload's end */
	const struct amz_trace *trace; /* what the kernel counted */
};

void report_run_text(FILE *f, const struct report_run *r);
int report_run_json(FILE *f, const struct report_run *r);

#endif
