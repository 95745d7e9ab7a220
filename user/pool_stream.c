/* Streams: items pulled from a source of unknown length into a ring of two windows, so that
 * the caller reads the next window while the workers process the current one; each window's
 * results go to the sink, in order, once all its chunks are done. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

/* A window holds at least this many items, so that the caller wakes rarely for small items,
 * and four chunks per worker, so that the queue balances within a window... */
#define STREAM_MIN_ITEMS 4096
/* ...unless the ring would then take more memory than this. */
#define STREAM_MAX_BYTES (64ull << 20)

struct stream_run {
	struct amz_pool *p;
	const struct amz_stream *s;
	char *in; /* the ring as the caller sees it; NULL for 0-byte items */
	char *out;
	char *heap; /* threads: the ring is in the caller's heap */
	uint64_t window;
	uint64_t ring;
	uint64_t end;  /* items read and published */
	uint64_t sunk; /* results handed to the sink */
	bool closed;
	int source_rc;
	bool source_overran;
	int sink_rc;
	uint64_t sink_first, sink_n;
};

/* Bytes of a ring of two windows, or false when that does not fit in 64 bits. */
static bool ring_bytes(uint64_t window, const struct amz_stream *s, uint64_t *bytes)
{
	uint64_t item = (uint64_t)s->in_size + s->out_size;

	return !__builtin_mul_overflow(window, item, bytes) &&
	       !__builtin_mul_overflow(*bytes, 2, bytes) && window <= UINT64_MAX / 2;
}

static int choose_window(struct stream_run *r, size_t workers, size_t k, struct amz_map_status *st)
{
	uint64_t per = 4 * (uint64_t)workers, window = 0, bytes = 0;
	bool fits;

	if (per * k < STREAM_MIN_ITEMS)
		per = (STREAM_MIN_ITEMS + k - 1) / k;
	for (;;) {
		fits = !__builtin_mul_overflow(per, (uint64_t)k, &window) &&
		       ring_bytes(window, r->s, &bytes);
		if (fits ? per <= workers || bytes <= STREAM_MAX_BYTES : per <= 1)
			break;
		per /= 2;
	}
	if (!fits)
		return pool_status_arg(st,
				       "a chunk size of %zu items is too large for a stream's "
				       "buffer",
				       k);
	r->window = window;
	r->ring = 2 * window;
	return 0;
}

static char *at(char *base, uint64_t i, size_t size)
{
	return base ? base + i * size : NULL;
}

static int place_ring(struct stream_run *r, struct pool_job *job, struct amz_map_status *st)
{
	struct amz_pool *p = r->p;
	uint64_t in_bytes = r->ring * r->s->in_size, out_bytes = r->ring * r->s->out_size;
	uint64_t out_at = (in_bytes + 63) / 64 * 64;
	char *base;

	if (in_bytes + out_bytes == 0)
		return 0;
	if (p->kind == AMZ_PROCESSES) {
		if (pool_reserve_data(p, out_at + out_bytes, st) < 0)
			return -1;
		base = p->data;
		job->in_shared = job->out_shared = true;
	} else {
		base = r->heap = malloc(out_at + out_bytes);
		if (!base)
			return pool_status_system(st, ENOMEM,
						  "cannot allocate the stream's buffer");
	}

	if (in_bytes) {
		r->in = base;
		job->in_at = p->kind == AMZ_PROCESSES ? 0 : (uintptr_t)base;
	}
	if (out_bytes) {
		r->out = base + out_at;
		job->out_at = p->kind == AMZ_PROCESSES ? out_at : (uintptr_t)(base + out_at);
	}
	return 0;
}

static void publish_window(struct stream_run *r, uint64_t got, bool last)
{
	struct pool_ctl *c = r->p->ctl;
	unsigned half = (unsigned)((r->end / r->window) % 2);

	/* The half's previous window went to the sink already: nobody counts into it now. */
	if (got) {
		atomic_store(&c->win_len[half], got);
		atomic_store(&c->win_done[half], 0);
	}
	r->end += got;
	atomic_store(&c->end, r->end);
	if (last) {
		atomic_store(&c->closed, 1);
		r->closed = true;
	}
	pool_wake_stream(c, r->p->kind == AMZ_PROCESSES);
}

/* Reads up to a window of items; a short window is the last. */
static void fill_window(struct stream_run *r)
{
	const struct amz_stream *s = r->s;
	char *base = at(r->in, r->end % r->ring, s->in_size);
	uint64_t got = 0;

	while (got < r->window) {
		size_t n = 0, want = (size_t)(r->window - got);
		int rc = s->source(at(base, got, s->in_size), want, &n, s->source_ctx);

		if (rc) {
			r->source_rc = rc;
			break;
		}
		if (n > want) {
			r->source_overran = true;
			break;
		}
		if (n == 0)
			break;
		got += n;
	}
	publish_window(r, got, got < r->window);
}

/* Hands results [sunk, to) to the sink, in pieces that do not wrap around the ring. */
static bool sink_to(struct stream_run *r, uint64_t to)
{
	const struct amz_stream *s = r->s;

	while (r->sunk < to) {
		uint64_t i = r->sunk % r->ring;
		uint64_t n = to - r->sunk < r->ring - i ? to - r->sunk : r->ring - i;
		int rc = s->sink(at(r->in, i, s->in_size), at(r->out, i, s->out_size),
				 (size_t)r->sunk, (size_t)n, s->sink_ctx);

		if (rc) {
			r->sink_rc = rc;
			r->sink_first = r->sunk;
			r->sink_n = n;
			return false;
		}
		r->sunk += n;
	}
	return true;
}

static bool window_complete(struct amz_pool *p, uint64_t half)
{
	struct pool_ctl *c = p->ctl;

	return atomic_load(&c->win_done[half]) == atomic_load(&c->win_len[half]) ||
	       atomic_load(&c->stop);
}

/* Waits for the oldest window not yet sunk and sinks it; false when the map stopped. */
static bool sink_next_window(struct stream_run *r)
{
	uint64_t len = r->end - r->sunk < r->window ? r->end - r->sunk : r->window;

	pool_wait(r->p, window_complete, (r->sunk / r->window) % 2);
	if (atomic_load(&r->p->ctl->stop))
		return false;
	return sink_to(r, r->sunk + len);
}

static void report_sink_failure(const struct stream_run *r, struct amz_map_status *st)
{
	st->code = AMZ_ERR_SINK;
	st->fn_error = r->sink_rc;
	st->item = st->chunk_first = st->chunk_count = 0;
	snprintf(st->msg, sizeof(st->msg),
		 "the sink returned %d for results %zu to %zu; the map stopped after %zu "
		 "results went to the sink",
		 r->sink_rc, (size_t)r->sink_first, (size_t)(r->sink_first + r->sink_n - 1),
		 (size_t)r->sunk);
}

static void report_source_failure(const struct stream_run *r, struct amz_map_status *st)
{
	size_t n;

	st->code = AMZ_ERR_SOURCE;
	st->fn_error = r->source_rc;
	if (r->source_overran)
		n = (size_t)snprintf(st->msg, sizeof(st->msg),
				     "the source reported more items than it was asked for");
	else
		n = (size_t)snprintf(st->msg, sizeof(st->msg), "the source returned %d",
				     r->source_rc);
	snprintf(st->msg + n, sizeof(st->msg) - n,
		 " after %zu items; each of them was processed and went to the sink",
		 (size_t)r->end);
}

/* After the workers finished: hands the complete prefix left over from a failure to the sink,
 * and settles which failure the status names. */
static int settle(struct stream_run *r, struct amz_map_status *st)
{
	struct pool_ctl *c = r->p->ctl;
	uint64_t taken = atomic_load(&c->next_chunk), k = c->job.chunksize;
	uint64_t handed = taken > r->end / k ? r->end : taken * k;
	int rc = pool_status_gather(r->p, handed, r->end, true, st);

	if (!r->sink_rc)
		sink_to(r, st->done_prefix);
	st->items_done = st->done_prefix = (size_t)r->sunk;

	if (r->p->n_ended)
		return -1;
	if (r->sink_rc) {
		report_sink_failure(r, st);
		return -1;
	}
	if (rc == 0 && (r->source_rc || r->source_overran)) {
		report_source_failure(r, st);
		return -1;
	}
	return rc;
}

static int run_stream(struct amz_pool *p, amz_fn fn, void *ctx, const struct amz_stream *s,
		      const struct amz_map_opts *o, struct amz_map_status *st)
{
	struct amz_map_status local;
	struct stream_run r = {.p = p, .s = s};
	struct pool_job job = {
		.mode = POOL_STREAM,
		.fn = fn,
		.ctx = ctx,
		.in_size = s->in_size,
		.out_size = s->out_size,
		.chunksize = o->chunksize,
	};
	int rc;

	if (!st)
		st = &local;
	if (choose_window(&r, p->workers, o->chunksize, st) < 0 || place_ring(&r, &job, st) < 0)
		return -1;
	job.window = r.window;
	job.runners = (uint32_t)p->tasks;

	pool_publish(p, &job);
	fill_window(&r);
	if (!r.closed)
		fill_window(&r);
	while (r.sunk < r.end && sink_next_window(&r)) {
		if (!r.closed)
			fill_window(&r);
	}

	if (r.sink_rc)
		pool_stop(p->ctl, p->kind == AMZ_PROCESSES);
	if (!r.closed)
		publish_window(&r, 0, true);
	pool_wait(p, pool_all_finished, 0);

	rc = settle(&r, st);
	free(r.heap);
	return rc;
}

static int check_stream(amz_fn fn, const struct amz_stream *s, const struct amz_map_opts *o,
			struct amz_map_status *st)
{
	if (!fn)
		return pool_status_arg(st, "the function is NULL");
	if (!s)
		return pool_status_arg(st, "the stream is NULL");
	if (!s->source)
		return pool_status_arg(st, "the stream has no source");
	if (!s->sink)
		return pool_status_arg(st, "the stream has no sink");
	if (o->schedule == AMZ_SCHEDULE_FACTORING)
		return pool_status_arg(st, "factoring needs to know how many items remain, which a "
					   "stream does not; use AMZ_SCHEDULE_FIXED");
	return 0;
}

int amz_map_stream(amz_fn fn, void *ctx, const struct amz_stream *s, const struct amz_map_opts *o,
		   struct amz_map_status *st)
{
	struct amz_pool *p;
	int rc;

	if (pool_check_opts(o, true, st) < 0 || check_stream(fn, s, o, st) < 0)
		return -1;

	p = pool_create(o, o->workers, true, 0, st);
	if (!p)
		return -1;
	rc = run_stream(p, fn, ctx, s, o, st);
	pool_destroy(p);
	return rc;
}

int amz_pool_map_stream(struct amz_pool *p, amz_fn fn, void *ctx, const struct amz_stream *s,
			const struct amz_map_opts *o, struct amz_map_status *st)
{
	if (pool_check_pool(p, o, st) < 0 || check_stream(fn, s, o, st) < 0)
		return -1;
	if (p->broken)
		return pool_status_broken(st, p);
	return run_stream(p, fn, ctx, s, o, st);
}
