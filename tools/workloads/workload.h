/* What every workload of the suite shares: its command line, the map it times, an optional
 * check against a serial loop, and its last line, the same in every workload:
 *   workload=NAME items=N jobs=n chunksize=k kind=K schedule=S checksum=C seconds=S items_per_s=R
 * where the checksum (FNV-1a of the results) is the same for every kind, schedule and size of
 * map over the same items. Defaults for --jobs, --chunksize and --schedule come from AMZ_JOBS,
 * AMZ_CHUNKSIZE and AMZ_SCHEDULE, as `amzprof run` sets them. */
#ifndef AMZ_WORKLOAD_H
#define AMZ_WORKLOAD_H

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "amorsize.h"
#include "mix.h"

#define WORKLOAD_MAX_OPTS 24

/* An option of one workload only, read as a number in [min, max]. */
struct workload_param {
	const char *name;
	double *value;
	double min;
	double max;
	const char *help;
};

struct workload {
	const char *name;
	const char *summary;
	size_t default_items;
	const struct workload_param *params; /* ends with a NULL name */
	amz_fn fn;
	size_t in_size;
	size_t out_size;
	/* Fills the n inputs; NULL numbers them 0 to n-1 as uint64_t. */
	void (*fill)(void *in, size_t n);
};

struct workload_args {
	size_t items;
	struct amz_map_opts map;
	bool verify;
};

static void workload_usage(const struct workload *w, FILE *f)
{
	const struct workload_param *p;

	fprintf(f,
		"usage: %s [--items N] [--jobs n] [--chunksize k] [--threads|--processes]\n"
		"       [--schedule fixed|factoring] [--verify]",
		w->name);
	for (p = w->params; p && p->name; p++)
		fprintf(f, " [--%s X]", p->name);
	fprintf(f, "\n%s\n", w->summary);
	for (p = w->params; p && p->name; p++)
		fprintf(f, "  --%-10s %s (default %g)\n", p->name, p->help, *p->value);
	fprintf(f, "Prints one line: workload= items= jobs= chunksize= kind= schedule= checksum= "
		   "seconds= items_per_s=\n");
}

static void workload_fail_usage(const struct workload *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void workload_fail_usage(const struct workload *w, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", w->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n", w->name);
	exit(2);
}

static size_t workload_count(const struct workload *w, const char *opt, const char *s, size_t min)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min)
		workload_fail_usage(w, "%s '%s' is not a whole number of at least %zu", opt, s,
				    min);
	return (size_t)v;
}

static void workload_set_param(const struct workload *w, const struct workload_param *p,
			       const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= p->min && v <= p->max))
		workload_fail_usage(w, "--%s '%s' is not a number from %g to %g", p->name, s,
				    p->min, p->max);
	*p->value = v;
}

static void workload_schedule(const struct workload *w, struct workload_args *a, const char *s)
{
	if (strcmp(s, "fixed") == 0)
		a->map.schedule = AMZ_SCHEDULE_FIXED;
	else if (strcmp(s, "factoring") == 0)
		a->map.schedule = AMZ_SCHEDULE_FACTORING;
	else
		workload_fail_usage(w, "unknown schedule '%s', not fixed or factoring", s);
}

static void workload_defaults(const struct workload *w, struct workload_args *a)
{
	const char *jobs = getenv("AMZ_JOBS"), *chunk = getenv("AMZ_CHUNKSIZE");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(a, 0, sizeof(*a));
	a->items = w->default_items;
	a->map.workers =
		jobs ? workload_count(w, "AMZ_JOBS", jobs, 1) : (size_t)(cpus > 0 ? cpus : 1);
	a->map.chunksize = chunk ? workload_count(w, "AMZ_CHUNKSIZE", chunk, 1) : 1;
	a->map.kind = AMZ_PROCESSES;
	a->map.schedule = AMZ_SCHEDULE_FIXED;
	if (getenv("AMZ_SCHEDULE"))
		workload_schedule(w, a, getenv("AMZ_SCHEDULE"));
}

/* The common options, then the workload's own, numbered from 1000. */
static void workload_options(const struct workload *w, struct option *opts)
{
	static const struct option common[] = {
		{"items", required_argument, NULL, 'N'},
		{"jobs", required_argument, NULL, 'j'},
		{"chunksize", required_argument, NULL, 'k'},
		{"threads", no_argument, NULL, 't'},
		{"processes", no_argument, NULL, 'p'},
		{"schedule", required_argument, NULL, 's'},
		{"verify", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
	};
	size_t n = 0, i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		opts[n++] = common[i];
	for (i = 0; w->params && w->params[i].name && n + 1 < WORKLOAD_MAX_OPTS; i++)
		opts[n++] =
			(struct option){w->params[i].name, required_argument, NULL, 1000 + (int)i};
	opts[n] = (struct option){NULL, 0, NULL, 0};
}

static void workload_option(const struct workload *w, struct workload_args *a, int c,
			    const char *arg, const char *word)
{
	switch (c) {
	case 'N':
		a->items = workload_count(w, "--items", arg, 0);
		break;
	case 'j':
		a->map.workers = workload_count(w, "--jobs", arg, 1);
		break;
	case 'k':
		a->map.chunksize = workload_count(w, "--chunksize", arg, 1);
		break;
	case 't':
	case 'p':
		a->map.kind = c == 't' ? AMZ_THREADS : AMZ_PROCESSES;
		break;
	case 's':
		workload_schedule(w, a, arg);
		break;
	case 'v':
		a->verify = true;
		break;
	case 'h':
		workload_usage(w, stdout);
		exit(0);
	case ':':
		workload_fail_usage(w, "%s needs a value", word);
	default:
		if (c < 1000)
			workload_fail_usage(w, "unknown option '%s'", word);
		workload_set_param(w, &w->params[c - 1000], arg);
	}
}

static void workload_parse(const struct workload *w, int argc, char **argv, struct workload_args *a)
{
	struct option opts[WORKLOAD_MAX_OPTS];
	int c;

	workload_options(w, opts);
	workload_defaults(w, a);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1)
		workload_option(w, a, c, optarg, argv[optind - 1]);
	if (optind < argc)
		workload_fail_usage(w, "unexpected argument '%s'", argv[optind]);
}

static double workload_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void workload_number(void *in, size_t n)
{
	uint64_t *v = in;
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = i;
}

/* Runs fn serially into a second buffer and compares: the map must change nothing. */
static int workload_verify(const struct workload *w, const struct workload_args *a, const char *in,
			   const char *out)
{
	char *serial = calloc(a->items ? a->items : 1, w->out_size);
	size_t i;

	if (!serial) {
		fprintf(stderr, "%s: cannot allocate the serial results\n", w->name);
		return 1;
	}
	for (i = 0; i < a->items; i++)
		w->fn(in + i * w->in_size, serial + i * w->out_size, NULL);
	for (i = 0; i < a->items; i++) {
		if (memcmp(out + i * w->out_size, serial + i * w->out_size, w->out_size)) {
			fprintf(stderr,
				"%s: the result of item %zu differs from the serial loop's\n",
				w->name, i);
			free(serial);
			return 1;
		}
	}
	free(serial);
	return 0;
}

static uint64_t workload_checksum(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int workload_main(const struct workload *w, int argc, char **argv)
{
	struct workload_args a;
	struct amz_map_status st;
	char *in, *out;
	double t0, dt;
	int rc;

	workload_parse(w, argc, argv, &a);
	in = calloc(a.items ? a.items : 1, w->in_size);
	out = calloc(a.items ? a.items : 1, w->out_size);
	if (!in || !out) {
		fprintf(stderr, "%s: cannot allocate %zu items\n", w->name, a.items);
		return 1;
	}
	(w->fill ? w->fill : workload_number)(in, a.items);

	t0 = workload_seconds();
	rc = amz_map(w->fn, NULL, in, w->in_size, out, w->out_size, a.items, &a.map, &st);
	dt = workload_seconds() - t0;
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", w->name, st.msg);
		return 1;
	}
	if (a.verify && workload_verify(w, &a, in, out))
		return 1;

	printf("workload=%s items=%zu jobs=%zu chunksize=%zu kind=%s schedule=%s checksum=%016llx "
	       "seconds=%.6f items_per_s=%.1f\n",
	       w->name, a.items, a.map.workers, a.map.chunksize,
	       a.map.kind == AMZ_THREADS ? "threads" : "processes",
	       a.map.schedule == AMZ_SCHEDULE_FIXED ? "fixed" : "factoring",
	       (unsigned long long)workload_checksum((unsigned char *)out, a.items * w->out_size),
	       dt, dt > 0 ? (double)a.items / dt : 0.0);
	free(in);
	free(out);
	return 0;
}

#endif
