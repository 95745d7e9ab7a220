/* The timeline of a traced run (amzprof --trace): the kernel's scheduling records of every
 * followed task, kept up to a cap, and the slices (running, runnable, blocked) and instants
 * (spawn, exec, exit, chunk begin and end) of each task that they make. */
#ifndef AMZ_TIMELINE_H
#define AMZ_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "amz.h"
#include "util.h"

/* Records kept when the caller names no cap: about 40 MB of memory at most. */
#define TIMELINE_DEFAULT_CAP 1000000ULL
#define TIMELINE_MAX_CAP     50000000ULL

struct timeline_name {
	unsigned int pid;
	unsigned int tgid;
	char comm[16];
};

/* Records as the kernel sent them, in arrival order, which is not time order across CPUs.
 * Only the tracer adds to it; start_ns, end_ns and the counts are set at its reset and read. */
struct timeline {
	unsigned long long cap; /* records kept at most */
	struct amz_tl_event *ev;
	size_t n, alloc;
	struct timeline_name *names; /* every name record, the last one of a task wins */
	size_t n_names, alloc_names;
	unsigned long long start_ns; /* CLOCK_MONOTONIC: the tracer's reset */
	unsigned long long end_ns;   /* the tracer's read */
	unsigned long long capped;   /* records left out past the cap */
	unsigned long long lost;     /* records the kernel's ring buffer had no room for */
	bool no_memory;		     /* records dropped since memory ran out; counted in lost */
};

struct timeline *timeline_new(unsigned long long cap);
void timeline_free(struct timeline *tl);

/* Forgets every record; what comes next is from start_ns on. */
void timeline_clear(struct timeline *tl, unsigned long long start_ns);

/* One record of size bytes from the kernel (struct amz_tl_event or struct amz_tl_named). */
void timeline_add(struct timeline *tl, const void *rec, size_t size);

/* A task's name, for tasks that sent none (they existed before tracing). */
void timeline_name_task(struct timeline *tl, unsigned int pid, unsigned int tgid,
			const char comm[16]);

/* Whether the cap was reached: the timeline then ends at its last record. */
bool timeline_capped(const struct timeline *tl);

enum timeline_what {
	TIMELINE_RUNNING,     /* slice: on a CPU */
	TIMELINE_RUNNABLE,    /* slice: runnable, waiting for a CPU */
	TIMELINE_BLOCKED,     /* slice: asleep until woken */
	TIMELINE_SPAWN,	      /* instant: the task was created (a = the forking task's tgid) */
	TIMELINE_EXEC,	      /* instant: a new program (a = exec latency in ns, 0 unknown) */
	TIMELINE_EXIT,	      /* instant: the task ended */
	TIMELINE_CHUNK_BEGIN, /* instant: amz:chunk_begin (a = first item, b = count) */
	TIMELINE_CHUNK_END,   /* instant: amz:chunk_end */
};

/* One slice or instant, times in ns from the timeline's start. */
struct timeline_item {
	unsigned long long ts_ns;
	unsigned long long dur_ns; /* slices only */
	unsigned long long a, b;
	unsigned short what; /* enum timeline_what */
	unsigned short cpu;  /* running slices */
};

/* One task: its items, ordered by time (ties keep the order they happened in). */
struct timeline_track {
	unsigned int pid;
	unsigned int tgid;
	char comm[16];
	size_t first, n; /* items[first .. first + n) of the view */
};

struct timeline_view {
	struct timeline_item *items;
	size_t n_items;
	struct timeline_track *tracks; /* by tgid, then pid */
	size_t n_tracks;
	unsigned long long span_ns; /* the time covered: to the read, or to the last record */
};

/* The slices and instants of every task. A state entered before the start (a task that
 * existed already) counts from the start; one still open at the end is closed there. */
int timeline_build(const struct timeline *tl, struct timeline_view *v, struct amz_err *err);
void timeline_view_free(struct timeline_view *v);

const char *timeline_what_name(enum timeline_what w);
bool timeline_is_slice(enum timeline_what w);

#endif
