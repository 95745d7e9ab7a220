/* A checker of Chrome's Trace Event format (the JSON object form) for the tests, written from
 * the format's description, independently of the code that writes it. */
#ifndef AMZ_TRACECHECK_H
#define AMZ_TRACECHECK_H

#include <stddef.h>

#include <json-c/json.h>

#define TRACECHECK_MAX_NAMES 32

/* What a valid trace holds, counted by event name. */
struct tracecheck_counts {
	size_t events;	 /* everything in traceEvents */
	size_t slices;	 /* complete events, ph "X" */
	size_t instants; /* ph "i" */
	size_t tracks;	 /* distinct (pid, tid) with slices or instants */
	size_t thread_names;
	size_t n_names;
	struct {
		char name[64];
		size_t count;
		double dur_us; /* summed, slices only */
	} by_name[TRACECHECK_MAX_NAMES];
};

/* Returns 0 when DOC is a trace whose every complete slice has a name, pid, tid, ts and a
 * non-negative dur; every instant a name, pid, tid, ts and a scope s of "g", "p" or "t";
 * every metadata event a pid and args.name; and whose ts never goes back on a track.
 * Otherwise -1 with the first problem in why. */
int tracecheck(json_object *doc, struct tracecheck_counts *c, char *why, size_t why_len);

/* The count and summed duration of events named NAME (0 when none). */
size_t tracecheck_count(const struct tracecheck_counts *c, const char *name);
double tracecheck_dur_us(const struct tracecheck_counts *c, const char *name);

#endif
