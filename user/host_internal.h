/* What the host_*.c files share while detecting: the context, and setters that record a value
 * with its source. A setter that runs out of memory marks the context; host_detect then fails. */
#ifndef AMZ_HOST_INTERNAL_H
#define AMZ_HOST_INTERNAL_H

#include "cpulist.h"
#include "host.h"

struct host_ctx {
	struct amz_host *h;
	const char *root; /* the sysroot, "" for the live system */
	bool oom;
};

/* A copy of s; NULL (and the context marked) when out of memory. */
char *host_strdup(struct host_ctx *d, const char *s);

void host_val_clear(struct host_value *v);
void host_val_set(struct host_ctx *d, struct host_value *v, long long n, const char *source,
		  int level);
void host_val_setx(struct host_ctx *d, struct host_value *v, double x, const char *source,
		   int level);
void host_val_why(struct host_ctx *d, struct host_value *v, enum host_state state,
		  const char *source, int level, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
int host_val_copy(struct host_value *dst, const struct host_value *src);

void host_note(struct host_ctx *d, const char *what, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A whole decimal integer, optionally signed, with nothing but white space after it. */
int host_parse_ll(const char *text, long long *out);

/* The first line of text, at most 60 characters, for quoting garbage in a sentence. */
const char *host_quote(const char *text, char *buf, size_t len);

/* A path joined from dir and name, freed by the caller; NULL marks the context. */
char *host_join(struct host_ctx *d, const char *dir, const char *name);

/* The lowest of values offered level by level, and what got in the way. */
struct host_lowest {
	bool have;
	double x;
	long long n;
	char *source;
	int level;
	bool none_seen; /* a file said there is no limit at its level */
	char *bad;	/* the first file that could not be read or made no sense, as a sentence */
};

void host_lowest_offer(struct host_ctx *d, struct host_lowest *l, double x, long long n,
		       const char *source, int level);
void host_lowest_bad(struct host_ctx *d, struct host_lowest *l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Moves the result into v: the lowest offer; else unknown when a file was bad; else no limit,
 * with none_why as the reason. */
void host_lowest_finish(struct host_ctx *d, struct host_lowest *l, struct host_value *v,
			const char *none_why);

/* The value of "KEY VALUE" on a line of a flat-keyed file (cpu.stat, memory.stat). */
int host_stat_value(const char *text, const char *key, long long *out);

/* The CPU sets detection combines; freed when detection ends. */
struct cpu_sets {
	struct cpulist online, affinity, cpuset, allowed;
	bool has_online, has_affinity, has_cpuset, has_allowed;
};

/* Cores, SMT and core types of the allowed CPUs; fills h->cpus. */
void host_detect_topology(struct host_ctx *d, struct cpu_sets *s);

void host_detect_memory(struct host_ctx *d);

#endif
