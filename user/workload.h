/* Workload profiles: what a traced run measured, its command, what the user said about its
 * items, whether the run was whole, and the recommendation made from it. */
#ifndef AMZ_WORKLOAD_H
#define AMZ_WORKLOAD_H

#include <stdbool.h>

#include <json-c/json.h>

#include "tracer.h"
#include "util.h"

/* What the user said about the run (--items, --jobs, --chunksize); 0 means not given. */
struct workload_hints {
	double items;
	double jobs;
	double chunksize;
};

struct workload_run {
	char **argv; /* the command, NULL-terminated; owned when loaded */
	int argc;
	pid_t attached_pid; /* -p: the process followed, 0 when amzprof started it */
	struct workload_hints hints;
	struct amz_trace *trace; /* owned when loaded */
	char fingerprint[1024];	 /* of the host the run was on */
	bool complete;		 /* false: amzprof was interrupted, the trace covers part */
	bool owned;		 /* argv and trace belong to this struct */
};

/* The profile document of a run; the caller may add a "recommendation" section. */
json_object *workload_to_json(const char *name, const struct workload_run *w);

/* Reads a workload profile back; damaged or absurd figures are refused by name. On failure
 * nothing is left allocated, and workload_free may still be called. */
int workload_from_json(json_object *doc, struct workload_run *w, struct amz_err *err);

void workload_free(struct workload_run *w);

int workload_check_hints(const struct workload_hints *h, struct amz_err *err);

#endif
