/* What a map call reports: struct amz_map_status, filled from the workers' slots once they
 * are done, with one sentence saying what failed, on what, and why. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define relaxed memory_order_relaxed

static void clear(struct amz_map_status *st, enum amz_status_code code)
{
	memset(st, 0, sizeof(*st));
	st->code = code;
}

void pool_status_ok(struct amz_map_status *st)
{
	if (st)
		clear(st, AMZ_OK);
}

int pool_status_arg(struct amz_map_status *st, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!st)
		return -1;
	clear(st, AMZ_ERR_ARG);
	n = snprintf(st->msg, sizeof(st->msg), "the map cannot run: ");
	va_start(ap, fmt);
	vsnprintf(st->msg + n, sizeof(st->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int pool_status_system(struct amz_map_status *st, int code, const char *what)
{
	if (!st)
		return -1;
	clear(st, AMZ_ERR_SYSTEM);
	st->sys_errno = code;
	snprintf(st->msg, sizeof(st->msg), "%s: %s", what, amz_reason(code));
	return -1;
}

int pool_status_broken(struct amz_map_status *st, const struct amz_pool *p)
{
	if (!st)
		return -1;
	clear(st, AMZ_ERR_BROKEN);
	snprintf(st->msg, sizeof(st->msg),
		 "the pool lost worker %zu (pid %d) in an earlier map and runs no more maps; "
		 "free it and make a new one",
		 p->death.worker, (int)p->death.pid);
	return -1;
}

static bool ended(const struct amz_pool *p, size_t i)
{
	return p->kind == AMZ_PROCESSES && i < p->tasks && p->watch_fds[i] < 0;
}

/* The chunk worker i failed in this map, if any: fn failed in it, or the worker died in it. */
static bool slot_failure(const struct amz_pool *p, size_t i, struct pool_chunk *c)
{
	const struct pool_slot *s = &p->ctl->slots[i];

	if (atomic_load_explicit(&s->fail_code, relaxed)) {
		c->first = atomic_load_explicit(&s->fail_first, relaxed);
		c->count = atomic_load_explicit(&s->fail_count, relaxed);
		return true;
	}
	c->count = ended(p, i) ? atomic_load_explicit(&s->busy_count, relaxed) : 0;
	c->first = c->count ? atomic_load_explicit(&s->busy_first, relaxed) : 0;
	return c->count != 0;
}

static int by_first(const void *a, const void *b)
{
	const struct pool_chunk *x = a, *y = b;

	return (x->first > y->first) - (x->first < y->first);
}

size_t pool_failed_chunks(const struct amz_pool *p, struct pool_chunk *out)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_slots; i++) {
		if (slot_failure(p, i, &out[n]))
			n++;
	}
	qsort(out, n, sizeof(*out), by_first);
	return n;
}

/* The slot of the worker whose fn failed on the lowest item, or NULL. */
static const struct pool_slot *first_fn_failure(const struct amz_pool *p)
{
	const struct pool_slot *best = NULL;
	size_t i;

	for (i = 0; i < p->n_slots; i++) {
		const struct pool_slot *s = &p->ctl->slots[i];

		if (!atomic_load_explicit(&s->fail_code, relaxed))
			continue;
		if (!best || atomic_load_explicit(&s->fail_item, relaxed) <
				     atomic_load_explicit(&best->fail_item, relaxed))
			best = s;
	}
	return best;
}

static int first_sys_errno(const struct amz_pool *p)
{
	size_t i;

	for (i = 0; i < p->n_slots; i++) {
		int e = atomic_load_explicit(&p->ctl->slots[i].sys_errno, relaxed);

		if (e)
			return e;
	}
	return 0;
}

static void count_done(const struct amz_pool *p, uint64_t handed_end, struct amz_map_status *st)
{
	struct pool_chunk *failed = calloc(p->n_slots, sizeof(*failed));
	size_t i;

	st->done_prefix = handed_end;
	for (i = 0; i < p->n_slots; i++) {
		const struct pool_slot *s = &p->ctl->slots[i];
		uint64_t skipped = atomic_load_explicit(&s->skipped_first, relaxed);

		st->items_done += atomic_load_explicit(&s->items, relaxed);
		st->chunks += atomic_load_explicit(&s->chunks, relaxed);
		if (skipped < st->done_prefix)
			st->done_prefix = skipped;
	}
	if (failed && pool_failed_chunks(p, failed) && failed[0].first < handed_end)
		st->done_prefix = failed[0].first;
	free(failed);
}

static int describe_death(const struct pool_death *d, char *buf, size_t len)
{
	const char *name = d->signal ? sigabbrev_np(d->signal) : NULL;

	if (!d->reaped)
		return snprintf(buf, len,
				"worker %zu (pid %d) ended (its exit status was collected "
				"elsewhere, by a SIGCHLD handler or SIG_IGN)",
				d->worker, (int)d->pid);
	if (d->signal)
		return snprintf(buf, len, "worker %zu (pid %d) was killed by signal %d (SIG%s)",
				d->worker, (int)d->pid, d->signal, name ? name : "?");
	return snprintf(buf, len, "worker %zu (pid %d) exited with status %d", d->worker,
			(int)d->pid, d->exit_status);
}

static void fill_death(const struct amz_pool *p, struct amz_map_status *st)
{
	const struct pool_death *d = &p->death;
	int n;

	st->code = AMZ_ERR_WORKER;
	st->signal = d->signal;
	st->exit_status = d->exit_status;
	st->chunk_first = d->chunk.first;
	st->chunk_count = d->chunk.count;

	n = describe_death(d, st->msg, sizeof(st->msg));
	if (d->chunk.count)
		snprintf(st->msg + n, sizeof(st->msg) - (size_t)n,
			 " while running the chunk of items %zu to %zu", (size_t)d->chunk.first,
			 (size_t)(d->chunk.first + d->chunk.count - 1));
	else
		snprintf(st->msg + n, sizeof(st->msg) - (size_t)n, " between chunks");
}

static void fill_fn_failure(const struct pool_slot *s, struct amz_map_status *st)
{
	st->code = AMZ_ERR_FN;
	st->fn_error = atomic_load_explicit(&s->fail_code, relaxed);
	st->item = atomic_load_explicit(&s->fail_item, relaxed);
	st->chunk_first = atomic_load_explicit(&s->fail_first, relaxed);
	st->chunk_count = atomic_load_explicit(&s->fail_count, relaxed);
	snprintf(st->msg, sizeof(st->msg),
		 "the function returned %d for item %zu, in the chunk of items %zu to %zu",
		 st->fn_error, st->item, st->chunk_first, st->chunk_first + st->chunk_count - 1);
}

static void append_progress(struct amz_map_status *st, uint64_t total, bool stream)
{
	size_t n = strlen(st->msg);

	if (stream)
		snprintf(st->msg + n, sizeof(st->msg) - n,
			 "; the map stopped after %zu results went to the sink", st->items_done);
	else
		snprintf(st->msg + n, sizeof(st->msg) - n,
			 "; the map stopped with %zu of %zu items done", st->items_done,
			 (size_t)total);
}

int pool_status_gather(struct amz_pool *p, uint64_t handed_end, uint64_t total, bool stream,
		       struct amz_map_status *st)
{
	struct amz_map_status local;
	const struct pool_slot *fn_failed = first_fn_failure(p);
	int sys = first_sys_errno(p);

	if (!st)
		st = &local;

	clear(st, AMZ_OK);
	if (p->n_ended)
		fill_death(p, st);
	else if (sys)
		pool_status_system(st, sys, "a worker process cannot map the pool's shared memory");
	else if (fn_failed)
		fill_fn_failure(fn_failed, st);

	count_done(p, handed_end, st);
	if (stream)
		st->items_done = st->done_prefix;
	if (st->code == AMZ_OK)
		return 0;
	append_progress(st, total, stream);
	return -1;
}
