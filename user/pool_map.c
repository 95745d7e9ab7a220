/* The public map calls: amz_map, and a pool's amz_pool_new, amz_pool_map and amz_pool_free.
 * They check every argument, put the items where the workers can reach them, run the map and
 * bring the results back into place. */
#include <stdlib.h>
#include <string.h>

#include "pool.h"

struct map_args {
	amz_fn fn;
	void *ctx;
	const char *in;
	size_t in_size;
	char *out;
	size_t out_size;
	size_t n;
};

static const char *kind_name(enum amz_worker_kind kind, size_t n)
{
	if (kind == AMZ_THREADS)
		return n == 1 ? "thread" : "threads";
	return n == 1 ? "process" : "processes";
}

int pool_check_opts(const struct amz_map_opts *o, bool for_map, struct amz_map_status *st)
{
	if (!o)
		return pool_status_arg(st, "the options are NULL");
	if (o->workers == 0)
		return pool_status_arg(st, "0 workers were asked for, and a map needs at least 1");
	if (o->workers > AMZ_MAX_WORKERS)
		return pool_status_arg(st,
				       "%zu workers were asked for, more than the %d a pool can "
				       "have",
				       o->workers, AMZ_MAX_WORKERS);
	if (o->kind != AMZ_PROCESSES && o->kind != AMZ_THREADS)
		return pool_status_arg(st,
				       "the worker kind %d is neither AMZ_PROCESSES nor "
				       "AMZ_THREADS",
				       (int)o->kind);
	if (!for_map)
		return 0;

	if (o->chunksize == 0)
		return pool_status_arg(st, "the chunk size is 0, and a chunk must hold at least "
					   "1 item");
	if (o->schedule != AMZ_SCHEDULE_FIXED && o->schedule != AMZ_SCHEDULE_FACTORING)
		return pool_status_arg(st,
				       "the schedule %d is neither AMZ_SCHEDULE_FIXED nor "
				       "AMZ_SCHEDULE_FACTORING",
				       (int)o->schedule);
	return 0;
}

int pool_check_pool(const struct amz_pool *p, const struct amz_map_opts *o,
		    struct amz_map_status *st)
{
	if (!p)
		return pool_status_arg(st, "the pool is NULL");
	if (pool_check_opts(o, true, st) < 0)
		return -1;
	if (o->workers != p->workers || o->kind != p->kind)
		return pool_status_arg(st,
				       "the options ask for %zu worker %s, but the pool has %zu "
				       "worker %s",
				       o->workers, kind_name(o->kind, 2), p->workers,
				       kind_name(p->kind, 2));
	return 0;
}

static bool overlap(const void *a, size_t a_len, const void *b, size_t b_len)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return a_len && b_len && x < y + b_len && y < x + a_len;
}

static int check_items(const struct map_args *a, struct amz_map_status *st)
{
	size_t in_bytes, out_bytes;

	if (!a->fn)
		return pool_status_arg(st, "the function is NULL");
	if (__builtin_mul_overflow(a->n, a->in_size, &in_bytes) ||
	    __builtin_mul_overflow(a->n, a->out_size, &out_bytes))
		return pool_status_arg(st,
				       "%zu items of %zu bytes, with results of %zu bytes, do "
				       "not fit in memory",
				       a->n, a->in_size, a->out_size);
	if (in_bytes && !a->in)
		return pool_status_arg(st,
				       "in is NULL, but %zu items of %zu bytes are to be read "
				       "from it",
				       a->n, a->in_size);
	if (out_bytes && !a->out)
		return pool_status_arg(st,
				       "out is NULL, but %zu results of %zu bytes are to be "
				       "written to it",
				       a->n, a->out_size);
	if (overlap(a->in, in_bytes, a->out, out_bytes) &&
	    !(a->in == a->out && a->in_size == a->out_size))
		return pool_status_arg(st, "in and out overlap without being the same buffer of "
					   "items of the same size, so results would depend on the "
					   "order items run in");
	return 0;
}

static void build_sched(struct pool_sched *s, size_t n, const struct amz_map_opts *o)
{
	if (o->schedule == AMZ_SCHEDULE_FACTORING)
		pool_sched_factoring(s, n, o->workers, o->chunksize);
	else
		pool_sched_fixed(s, n, o->chunksize);
}

/* Processes read items from shared memory unless they were forked for this map, in which
 * case their copy of the caller's memory has them already; results always go through shared
 * memory. Threads use the caller's buffers. */
static bool copies_items(const struct amz_pool *p, const struct map_args *a)
{
	return p->kind == AMZ_PROCESSES && !p->one_shot && a->n && a->in_size;
}

static bool shares_results(const struct amz_pool *p, const struct map_args *a)
{
	return p->kind == AMZ_PROCESSES && a->n && a->out_size;
}

static uint64_t results_at(const struct amz_pool *p, const struct map_args *a)
{
	return copies_items(p, a) ? (a->n * a->in_size + 63) / 64 * 64 : 0;
}

static int place_items(struct amz_pool *p, const struct map_args *a, struct pool_job *job,
		       struct amz_map_status *st)
{
	uint64_t out_at = results_at(p, a);

	job->in_at = (uintptr_t)a->in;
	job->out_at = (uintptr_t)a->out;
	if (!copies_items(p, a) && !shares_results(p, a))
		return 0;

	if (pool_reserve_data(p, out_at + a->n * a->out_size, st) < 0)
		return -1;
	if (copies_items(p, a)) {
		memcpy(p->data, a->in, a->n * a->in_size);
		job->in_at = 0;
		job->in_shared = true;
	}
	if (shares_results(p, a)) {
		job->out_at = out_at;
		job->out_shared = true;
	}
	return 0;
}

/* Copies the results of every chunk handed out, except those that failed, into out. */
static void bring_back(struct amz_pool *p, const struct map_args *a, const struct pool_job *job,
		       uint64_t handed)
{
	struct pool_chunk *failed = calloc(p->n_slots, sizeof(*failed));
	const char *res = p->data + job->out_at;
	size_t n_failed = failed ? pool_failed_chunks(p, failed) : 0, i;
	uint64_t from = 0, sz = a->out_size;

	for (i = 0; i <= n_failed; i++) {
		uint64_t to = i < n_failed && failed[i].first < handed ? failed[i].first : handed;

		if (to > from)
			memcpy(a->out + from * sz, res + from * sz, (to - from) * sz);
		if (i < n_failed && failed[i].first + failed[i].count > from)
			from = failed[i].first + failed[i].count;
	}
	free(failed);
}

static int run_map(struct amz_pool *p, const struct map_args *a, const struct amz_map_opts *o,
		   struct amz_map_status *st)
{
	struct pool_job job = {
		.mode = POOL_MAP,
		.fn = a->fn,
		.ctx = a->ctx,
		.in_size = a->in_size,
		.out_size = a->out_size,
	};
	uint64_t taken, handed;

	build_sched(&job.sched, a->n, o);
	if (place_items(p, a, &job, st) < 0)
		return -1;

	/* With threads the caller is one of the n workers, as in OpenMP: it starts at once and
	 * seldom needs waking at the end. */
	job.runners = (uint32_t)(p->kind == AMZ_THREADS ? p->workers - 1 : p->tasks);
	pool_publish(p, &job);
	if (p->kind == AMZ_THREADS)
		pool_worker_take_part(&p->caller);
	pool_wait(p, pool_all_finished, 0);

	taken = atomic_load(&p->ctl->next_chunk);
	handed = pool_sched_items_before(&job.sched, taken);
	if (job.out_shared)
		bring_back(p, a, &job, handed);
	return pool_status_gather(p, handed, a->n, false, st);
}

int amz_map(amz_fn fn, void *ctx, const void *in, size_t in_size, void *out, size_t out_size,
	    size_t n_items, const struct amz_map_opts *o, struct amz_map_status *st)
{
	struct map_args a = {fn, ctx, in, in_size, out, out_size, n_items};
	struct amz_map_opts started;
	struct pool_sched sched;
	struct amz_pool *p;
	int rc;

	if (pool_check_opts(o, true, st) < 0 || check_items(&a, st) < 0)
		return -1;
	if (n_items == 0) {
		pool_status_ok(st);
		return 0;
	}

	/* A worker with no chunk to take would only cost its start. */
	build_sched(&sched, n_items, o);
	started = *o;
	if (started.workers > sched.n_chunks)
		started.workers = (size_t)sched.n_chunks;

	p = pool_create(&started, started.workers - (o->kind == AMZ_THREADS), true,
			o->kind == AMZ_PROCESSES ? n_items * out_size : 0, st);
	if (!p)
		return -1;
	rc = run_map(p, &a, o, st);
	pool_destroy(p);
	return rc;
}

struct amz_pool *amz_pool_new(const struct amz_map_opts *o, struct amz_map_status *st)
{
	struct amz_pool *p;

	if (pool_check_opts(o, false, st) < 0)
		return NULL;
	p = pool_create(o, o->workers, false, 0, st);
	if (p)
		pool_status_ok(st);
	return p;
}

int amz_pool_map(struct amz_pool *p, amz_fn fn, void *ctx, const void *in, size_t in_size,
		 void *out, size_t out_size, size_t n_items, const struct amz_map_opts *o,
		 struct amz_map_status *st)
{
	struct map_args a = {fn, ctx, in, in_size, out, out_size, n_items};

	if (pool_check_pool(p, o, st) < 0 || check_items(&a, st) < 0)
		return -1;
	if (p->broken)
		return pool_status_broken(st, p);
	if (n_items == 0) {
		pool_status_ok(st);
		return 0;
	}
	return run_map(p, &a, o, st);
}

void amz_pool_free(struct amz_pool *p)
{
	pool_destroy(p);
}
