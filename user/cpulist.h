/* Sets of CPU numbers of any size, as the kernel writes them in lists ("0-3,8,10-11"). */
#ifndef AMZ_CPULIST_H
#define AMZ_CPULIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The highest CPU number a list may name: eight times the most CPUs Linux can be built for
 * (8192, x86-64 with MAXSMP), low enough that a garbage list neither allocates much nor makes
 * every per-CPU loop of host detection crawl. */
#define CPULIST_MAX_CPU 65535

struct cpulist {
	uint64_t *bits;
	size_t words;
};

/* Parses a kernel CPU list; an empty string is the empty set. Returns 0, or -1 on anything
 * that is not a list (out is then empty). */
int cpulist_parse(struct cpulist *out, const char *text);

void cpulist_free(struct cpulist *c);
int cpulist_set(struct cpulist *c, int cpu);
bool cpulist_has(const struct cpulist *c, int cpu);
int cpulist_count(const struct cpulist *c);

/* The lowest CPU at or after `from`, or -1. */
int cpulist_next(const struct cpulist *c, int from);

/* Keeps in a only the CPUs also in b. */
void cpulist_and(struct cpulist *a, const struct cpulist *b);
int cpulist_copy(struct cpulist *dst, const struct cpulist *src);

/* The set as the kernel would write it, in a string the caller frees. */
char *cpulist_format(const struct cpulist *c);

#endif
