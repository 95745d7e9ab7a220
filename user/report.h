/* The report of a traced run: text for people, JSON for tools. */
#ifndef AMZ_REPORT_H
#define AMZ_REPORT_H

#include <stdio.h>
#include <sys/types.h>

#include "advice.h"
#include "tracer.h"

struct report_run {
	char *const *argv;	       /* the workload's command line; NULL when attached */
	pid_t attached_pid;	       /* -p PID: the process followed, else 0 */
	const struct amz_trace *trace; /* everything measured, run-level fields included */
	const struct advice *advice;   /* the recommendation, or NULL when none could be made */
	const char *no_advice;	       /* why there is none, or NULL */
};

/* The recommendation: workers and chunk size, the gain, the reason, the inputs' sources. */
void report_advice_text(FILE *f, const struct advice *a);

/* The text report: a few lines on what matters most, then the details and histograms. */
void report_run_text(FILE *f, const struct report_run *r);

/* The layout of the traced run's JSON document, in its "schema" key (docs/json.md). */
#define REPORT_RUN_SCHEMA 1

/* trace_to_json's document plus a "schema", a "kind" of "run" and the command line. */
int report_run_json(FILE *f, const struct report_run *r);

#endif
