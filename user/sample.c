/* The library's own path to a recommendation: sample the user's function on items chosen at
 * random across the input, take this host's costs from the saved host profile (or calibrate
 * in user space), and hand both to the cost model. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "advice.h"
#include "amorsize.h"
#include "calibrate.h"
#include "host.h"
#include "profile.h"
#include "stats.h"

#define DEFAULT_SAMPLES 32
#define DEFAULT_SECONDS 0.2

/* One calibration per process and store: a quick one in user space costs a third of a second,
 * too much to pay again on every call. */
static pthread_mutex_t costs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct amz_calibration costs;
static char costs_source[256];
static char costs_store[4096];
static bool costs_known;

static void set_status(struct amz_map_status *st, enum amz_status_code code, int sys_errno,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_status(struct amz_map_status *st, enum amz_status_code code, int sys_errno,
		       const char *fmt, ...)
{
	va_list ap;

	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	st->code = code;
	st->sys_errno = sys_errno;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
}

static uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double peak_rss_bytes(void)
{
	struct rusage u;

	return getrusage(RUSAGE_SELF, &u) == 0 ? (double)u.ru_maxrss * 1024 : 0;
}

static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Item j of m: one drawn at random from the j-th of m equal strata of the input. */
static size_t stratum_item(size_t n_items, size_t m, size_t j, uint64_t *rng)
{
	double lo = (double)j * (double)n_items / (double)m;
	double hi = (double)(j + 1) * (double)n_items / (double)m;
	double u = (double)(next_random(rng) >> 11) / 9007199254740992.0;
	size_t i = (size_t)(lo + u * (hi - lo));

	return i < n_items ? i : n_items - 1;
}

struct sampling {
	struct stats_samples cpu, wall;
	double rss_before;
};

static int sample_one(amz_fn fn, void *ctx, const void *in, size_t in_size, void *out,
		      size_t out_size, size_t i, struct sampling *s, struct amz_map_status *st)
{
	uint64_t w0 = amz_now_ns(), c0 = cpu_now_ns();
	int r = fn(in ? (const char *)in + i * in_size : NULL,
		   out ? (char *)out + i * out_size : NULL, ctx);

	if (r) {
		set_status(st, AMZ_ERR_FN, 0, "the function returned %d for sampled item %zu", r,
			   i);
		if (st) {
			st->fn_error = r;
			st->item = i;
		}
		return -1;
	}
	stats_add(&s->cpu, (double)(cpu_now_ns() - c0));
	stats_add(&s->wall, (double)(amz_now_ns() - w0));
	return 0;
}

static int sample_items(amz_fn fn, void *ctx, const void *in, size_t in_size, void *out,
			size_t out_size, size_t n_items, const struct amz_optimize_opts *o,
			struct advice_sample *as, struct amz_map_status *st)
{
	size_t m = o->max_samples ? o->max_samples : DEFAULT_SAMPLES, j;
	double seconds = o->max_seconds > 0 ? o->max_seconds : DEFAULT_SECONDS;
	uint64_t rng = 0x9e3779b97f4a7c15ull ^ o->seed, deadline;
	struct sampling s = {.rss_before = peak_rss_bytes()};
	struct stats_summary cpu, wall;
	int r = 0;

	if (m > n_items)
		m = n_items;
	deadline = amz_now_ns() + (uint64_t)(seconds * 1e9);
	for (j = 0; j < m && r == 0; j++) {
		r = sample_one(fn, ctx, in, in_size, out, out_size,
			       stratum_item(n_items, m, j, &rng), &s, st);
		if (amz_now_ns() > deadline && s.cpu.n >= 3)
			break;
	}
	if (r == 0) {
		stats_summarize(&s.cpu, &cpu);
		stats_summarize(&s.wall, &wall);
		*as = (struct advice_sample){.n = cpu.n,
					     .item_ns = fmax(cpu.mean, 1),
					     .item_cv = cpu.cv,
					     .wall_ns = fmax(wall.mean, 1),
					     .bytes_in = (double)in_size,
					     .bytes_out = (double)out_size,
					     .worker_mem =
						     fmax(0, peak_rss_bytes() - s.rss_before)};
	}
	stats_free(&s.cpu);
	stats_free(&s.wall);
	return r;
}

/* This host's costs: the saved host profile when it is valid here, else a quick calibration
 * in user space, kept for the rest of the process. */
static const struct amz_calibration *host_costs(const struct amz_host *h, const char *store,
						char *source, size_t len)
{
	struct profile_store s;
	struct amz_err err = {0};
	struct calib_opts o = {.effort = CALIB_QUICK};
	char why[512] = "no profile store could be opened";

	pthread_mutex_lock(&costs_lock);
	if (costs_known && strcmp(costs_store, store ? store : "") != 0)
		costs_known = false;
	snprintf(costs_store, sizeof(costs_store), "%s", store ? store : "");
	if (!costs_known && profile_store_open(&s, store, &err) == 0) {
		costs_known = calibrate_load(&s, "host", h, &costs, NULL, &err) == 0;
		snprintf(costs_source, sizeof(costs_source), "the saved host profile in %s", s.dir);
		snprintf(why, sizeof(why), "%s", err.msg);
		profile_store_close(&s);
	}
	if (!costs_known) {
		calibrate_cpus_for(h, &o.cpus);
		costs_known = calibrate_run(&costs, &o, &err) == 0;
		snprintf(costs_source, sizeof(costs_source),
			 "calibrated now in user space, quickly, since %.150s; 'amzprof calibrate' "
			 "keeps a host profile",
			 why);
		if (costs_known)
			amz_log(AMZ_LOG_WARN, "%s", costs_source);
	}
	snprintf(source, len, "%s", costs_source);
	pthread_mutex_unlock(&costs_lock);
	return costs_known ? &costs : NULL;
}

static void figure(struct amz_figure *f, const struct advice_input *in)
{
	f->value = in->value;
	snprintf(f->source, sizeof(f->source), "%s", in->source);
}

static int fill_recommendation(const struct advice *a, struct amz_recommendation *rec)
{
	const struct model_result *r = &a->result;
	int i;

	rec->serial = r->serial;
	rec->workers = r->serial ? 1 : (size_t)r->best.n;
	rec->chunksize = (size_t)fmax(1, r->best.k);
	rec->schedule =
		r->best.schedule == MODEL_FACTORING ? AMZ_SCHEDULE_FACTORING : AMZ_SCHEDULE_FIXED;
	rec->speedup = r->best.speedup;
	snprintf(rec->reason, sizeof(rec->reason), "%s", r->reason);
	figure(&rec->item_ns, &a->in[IN_ITEM_NS]);
	figure(&rec->item_cv, &a->in[IN_ITEM_CV]);
	figure(&rec->spawn_ns, &a->in[IN_SPAWN]);
	figure(&rec->dispatch_ns, &a->in[IN_DISPATCH]);
	figure(&rec->cpus, &a->in[IN_CPUS]);
	figure(&rec->memory_left, &a->in[IN_MEMORY]);
	rec->curve = calloc((size_t)r->curve_len, sizeof(*rec->curve));
	if (!rec->curve)
		return -1;
	for (i = 0; i < r->curve_len; i++)
		rec->curve[i] = r->curve[i].speedup;
	rec->curve_len = (size_t)r->curve_len;
	return 0;
}

static void serial_for_nothing(struct amz_recommendation *rec)
{
	rec->serial = 1;
	rec->workers = 1;
	rec->chunksize = 1;
	snprintf(rec->reason, sizeof(rec->reason), "run serially: there are no items");
}

static int check_args(amz_fn fn, const void *in, size_t in_size, const void *out, size_t out_size,
		      size_t n_items, const struct amz_optimize_opts *o,
		      struct amz_recommendation *rec, struct amz_map_status *st)
{
	if (!fn || !o || !rec) {
		set_status(st, AMZ_ERR_ARG, 0,
			   "amz_optimize needs a function, options and a "
			   "recommendation to fill");
		return -1;
	}
	if (o->kind != AMZ_PROCESSES && o->kind != AMZ_THREADS) {
		set_status(st, AMZ_ERR_ARG, 0, "unknown worker kind %d", (int)o->kind);
		return -1;
	}
	if (n_items && ((in_size && !in) || (out_size && !out))) {
		set_status(st, AMZ_ERR_ARG, 0,
			   "items to sample need their input and output "
			   "buffers");
		return -1;
	}
	return 0;
}

static int advise_sampled(const struct amz_host *h, const struct amz_calibration *c,
			  const struct advice_sample *as, size_t n_items,
			  const struct amz_optimize_opts *o, struct amz_recommendation *rec,
			  struct amz_map_status *st)
{
	bool processes = o->kind == AMZ_PROCESSES;
	struct amz_err err = {0};
	struct advice a;
	int r;

	advice_from_host(&a, h, c, processes, peak_rss_bytes());
	advice_from_sample(&a, as, (double)n_items, c, processes);
	if (advice_optimize(&a, &err) < 0) {
		set_status(st, AMZ_ERR_SYSTEM, err.code, "%s", err.msg);
		return -1;
	}
	r = fill_recommendation(&a, rec);
	advice_free(&a);
	if (r < 0)
		set_status(st, AMZ_ERR_SYSTEM, ENOMEM,
			   "cannot hold the speedup curve: out of "
			   "memory");
	return r;
}

AMZ_API int amz_optimize(amz_fn fn, void *ctx, const void *in, size_t in_size, void *out,
			 size_t out_size, size_t n_items, const struct amz_optimize_opts *o,
			 struct amz_recommendation *rec, struct amz_map_status *st)
{
	const struct amz_calibration *c;
	struct host_opts ho = {0};
	struct advice_sample as;
	struct amz_err err = {0};
	struct amz_host h;
	int r;

	if (check_args(fn, in, in_size, out, out_size, n_items, o, rec, st) < 0)
		return -1;
	memset(rec, 0, sizeof(*rec));
	set_status(st, AMZ_OK, 0, "%s", "");
	if (!n_items) {
		serial_for_nothing(rec);
		return 0;
	}

	/* The items first: a failing function is the caller's news before anything else. */
	if (sample_items(fn, ctx, in, in_size, out, out_size, n_items, o, &as, st) < 0)
		return -1;
	if (host_detect(&h, &ho, &err) < 0) {
		set_status(st, AMZ_ERR_SYSTEM, err.code, "%s", err.msg);
		return -1;
	}
	c = host_costs(&h, o->store, rec->costs, sizeof(rec->costs));
	if (!c) {
		set_status(st, AMZ_ERR_SYSTEM, 0, "this host's costs are unknown: %s", rec->costs);
		host_free(&h);
		return -1;
	}
	r = advise_sampled(&h, c, &as, n_items, o, rec, st);
	host_free(&h);
	return r;
}

AMZ_API void amz_recommendation_free(struct amz_recommendation *rec)
{
	if (!rec)
		return;
	free(rec->curve);
	rec->curve = NULL;
	rec->curve_len = 0;
}

AMZ_API int amz_map_auto(amz_fn fn, void *ctx, const void *in, size_t in_size, void *out,
			 size_t out_size, size_t n_items, const struct amz_optimize_opts *o,
			 struct amz_recommendation *rec, struct amz_map_status *st)
{
	struct amz_recommendation local;
	struct amz_recommendation *use = rec ? rec : &local;
	struct amz_map_opts m = {0};
	int r;

	if (amz_optimize(fn, ctx, in, in_size, out, out_size, n_items, o, use, st) < 0)
		return -1;
	m.workers = use->workers;
	m.chunksize = use->serial ? (n_items ? n_items : 1) : use->chunksize;
	m.kind = use->serial ? AMZ_THREADS : o->kind;
	m.schedule = use->serial ? AMZ_SCHEDULE_FIXED : use->schedule;
	r = amz_map(fn, ctx, in, in_size, out, out_size, n_items, &m, st);
	if (!rec)
		amz_recommendation_free(&local);
	return r;
}
