/* CPU sets as growable bitmaps, parsed from and printed as the kernel's list format. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"

void cpulist_free(struct cpulist *c)
{
	free(c->bits);
	c->bits = NULL;
	c->words = 0;
}

int cpulist_set(struct cpulist *c, int cpu)
{
	size_t w = (size_t)cpu / 64;

	if (cpu < 0 || cpu > CPULIST_MAX_CPU)
		return -1;
	if (w >= c->words) {
		size_t n = w + 1;
		uint64_t *bits = realloc(c->bits, n * sizeof(*bits));

		if (!bits)
			return -1;
		memset(bits + c->words, 0, (n - c->words) * sizeof(*bits));
		c->bits = bits;
		c->words = n;
	}
	c->bits[w] |= 1ull << (cpu % 64);
	return 0;
}

bool cpulist_has(const struct cpulist *c, int cpu)
{
	size_t w = (size_t)cpu / 64;

	return cpu >= 0 && w < c->words && (c->bits[w] >> (cpu % 64)) & 1;
}

int cpulist_count(const struct cpulist *c)
{
	int n = 0;
	size_t i;

	for (i = 0; i < c->words; i++)
		n += __builtin_popcountll(c->bits[i]);
	return n;
}

int cpulist_next(const struct cpulist *c, int from)
{
	size_t w = from < 0 ? 0 : (size_t)from / 64;
	uint64_t bits;

	if (w >= c->words)
		return -1;
	bits = c->bits[w] & (~0ull << (from < 0 ? 0 : from % 64));
	while (!bits) {
		if (++w >= c->words)
			return -1;
		bits = c->bits[w];
	}
	return (int)(w * 64 + (size_t)__builtin_ctzll(bits));
}

void cpulist_and(struct cpulist *a, const struct cpulist *b)
{
	size_t i;

	for (i = 0; i < a->words; i++)
		a->bits[i] &= i < b->words ? b->bits[i] : 0;
}

int cpulist_copy(struct cpulist *dst, const struct cpulist *src)
{
	dst->bits = NULL;
	dst->words = 0;
	if (!src->words)
		return 0;
	dst->bits = malloc(src->words * sizeof(*dst->bits));
	if (!dst->bits)
		return -1;
	memcpy(dst->bits, src->bits, src->words * sizeof(*dst->bits));
	dst->words = src->words;
	return 0;
}

static int parse_number(const char **p, long *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*out = strtol(*p, &end, 10);
	if (errno || *out > CPULIST_MAX_CPU)
		return -1;
	*p = end;
	return 0;
}

static int parse_range(struct cpulist *out, const char **p)
{
	long lo, hi, cpu;

	if (parse_number(p, &lo) < 0)
		return -1;
	hi = lo;
	if (**p == '-') {
		(*p)++;
		if (parse_number(p, &hi) < 0 || hi < lo)
			return -1;
	}
	for (cpu = lo; cpu <= hi; cpu++) {
		if (cpulist_set(out, (int)cpu) < 0)
			return -1;
	}
	return 0;
}

int cpulist_parse(struct cpulist *out, const char *text)
{
	const char *p = text;

	out->bits = NULL;
	out->words = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != '\n') {
		if (parse_range(out, &p) < 0)
			goto bad;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			goto bad;
	}
	while (*p == '\n' || *p == ' ' || *p == '\t')
		p++;
	if (*p)
		goto bad;
	return 0;
bad:
	cpulist_free(out);
	return -1;
}

static int append(char **buf, size_t *len, size_t *cap, int lo, int hi)
{
	char item[32];
	int n = lo == hi ? snprintf(item, sizeof(item), "%s%d", *len ? "," : "", lo)
			 : snprintf(item, sizeof(item), "%s%d-%d", *len ? "," : "", lo, hi);

	if (*len + (size_t)n + 1 > *cap) {
		size_t ncap = (*cap + (size_t)n + 1) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, item, (size_t)n + 1);
	*len += (size_t)n;
	return 0;
}

char *cpulist_format(const struct cpulist *c)
{
	size_t len = 0, cap = 16;
	char *buf = malloc(cap);
	int lo = cpulist_next(c, 0);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	while (lo >= 0) {
		int hi = lo;

		while (cpulist_has(c, hi + 1))
			hi++;
		if (append(&buf, &len, &cap, lo, hi) < 0) {
			free(buf);
			return NULL;
		}
		lo = cpulist_next(c, hi + 1);
	}
	return buf;
}
