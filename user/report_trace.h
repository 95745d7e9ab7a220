/* The timeline of a traced run as a Chrome Trace Event file (JSON), which Perfetto's UI and
 * chrome://tracing open: one track per task, with slices for running, runnable and blocked and
 * instants for spawn, exec, exit and chunk markers. */
#ifndef AMZ_REPORT_TRACE_H
#define AMZ_REPORT_TRACE_H

#include <stdio.h>

#include "report.h"
#include "timeline.h"

/* The layout of the file's otherData, which says what the file holds and what was left out. */
#define REPORT_TRACE_SCHEMA 1

/* Writes the view of tl as one JSON document. */
int report_trace(FILE *f, const struct timeline *tl, const struct timeline_view *v,
		 const struct report_run *r);

/* Builds the view and writes it to path, as the invoking user; logs a warning sentence when
 * the cap was reached or records were lost, and the file's size and write time with -v. */
int report_trace_file(const char *path, const struct timeline *tl, const struct report_run *r,
		      struct amz_err *err);

#endif
