/* What a worker (thread or process) does: wait for a map, take chunks from the shared queue
 * in index order and apply the function to their items, then tell the caller it is done. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "amorsize_usdt.h"
#include "pool.h"

#define relaxed memory_order_relaxed
#define acquire memory_order_acquire

static uint32_t wait_for_map(struct pool_worker *w, uint32_t last)
{
	struct pool_ctl *c = w->ctl;
	uint32_t gen;
	int i;

	for (i = 0; i < POOL_SPIN; i++) {
		gen = atomic_load_explicit(&c->gen, acquire);
		if (gen != last)
			return gen;
		pool_cpu_relax();
	}

	/* Announce the sleep before re-checking, so that the caller either sees a sleeper and
	 * wakes it, or this check sees its new generation. */
	for (;;) {
		atomic_fetch_add(&c->gen_sleepers, 1);
		if (atomic_load(&c->gen) == last)
			pool_futex_wait(&c->gen, last, w->process);
		atomic_fetch_sub(&c->gen_sleepers, 1);
		gen = atomic_load_explicit(&c->gen, acquire);
		if (gen != last)
			return gen;
	}
}

void pool_notify_caller(struct pool_worker *w)
{
	struct pool_ctl *c = w->ctl;
	uint64_t one = 1;

	if (!atomic_load(&c->caller_waiting))
		return;

	atomic_fetch_add(&c->notify_seq, 1);
	if (w->process) {
		/* An eventfd rather than a futex, so that the caller can wait for it and for
		 * workers that die in one poll. */
		while (write(w->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	} else {
		pool_futex_wake(&c->notify_seq, false);
	}
}

void pool_wake_stream(struct pool_ctl *c, bool shared)
{
	atomic_fetch_add(&c->end_seq, 1);
	if (atomic_load(&c->end_sleepers))
		pool_futex_wake(&c->end_seq, shared);
}

void pool_stop(struct pool_ctl *c, bool shared)
{
	atomic_store(&c->stop, 1);
	pool_wake_stream(c, shared);
}

/* Processes see the data area through their own mapping, redone when the caller grew it. */
static int map_data(struct pool_worker *w)
{
	uint64_t bytes = w->ctl->data_bytes;
	void *m;

	if (!w->process || bytes == w->data_bytes)
		return 0;

	if (w->data)
		munmap(w->data, w->data_bytes);
	w->data = NULL;
	w->data_bytes = 0;
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, w->memfd, 0);
	if (m == MAP_FAILED)
		return -errno;
	w->data = m;
	w->data_bytes = bytes;
	return 0;
}

static char *resolve(const struct pool_worker *w, uint64_t at, bool shared)
{
	return shared ? w->data + at : (char *)(uintptr_t)at;
}

static const char *step(const char *p, uint64_t size)
{
	return size ? p + size : p;
}

static __attribute__((noinline, cold)) void record_failure(struct pool_worker *w, uint64_t first,
							   uint64_t count, uint64_t item, int rc)
{
	struct pool_slot *s = w->slot;

	atomic_store_explicit(&s->fail_item, item, relaxed);
	atomic_store_explicit(&s->fail_first, first, relaxed);
	atomic_store_explicit(&s->fail_count, count, relaxed);
	atomic_store_explicit(&s->fail_code, rc, relaxed);
	pool_stop(w->ctl, w->process);
}

/* Adds to a counter of the worker's own slot: it is the only writer, so no locked
 * instruction is needed, only a store the caller can read whole. */
static void add(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, relaxed) + n, relaxed);
}

/* What a worker did in a map, for its slot. A process can die between two chunks, so its slot
 * says after every chunk what it has done and which chunk it is in; a thread ends only with
 * the whole process, so it keeps its tally here and writes it once, when it leaves the map. */
struct tally {
	uint64_t chunks, items;
};

static void tally_write(struct pool_worker *w, const struct tally *t)
{
	if (w->process)
		return;
	add(&w->slot->chunks, t->chunks);
	add(&w->slot->items, t->items);
}

static void chunk_begins(struct pool_worker *w, struct tally *t, uint64_t first, uint64_t n)
{
	struct pool_slot *s = w->slot;

	if (!w->process) {
		t->chunks++;
		return;
	}
	atomic_store_explicit(&s->busy_first, first, relaxed);
	atomic_store_explicit(&s->busy_count, n, relaxed);
	add(&s->chunks, 1);
}

/* Counted before the chunk is cleared: a process killed in between is reported as dying in a
 * chunk it had finished, which errs on the side of losing results, not inventing them. */
static void chunk_ends(struct pool_worker *w, struct tally *t, uint64_t n)
{
	struct pool_slot *s = w->slot;

	if (!w->process) {
		t->items += n;
		return;
	}
	add(&s->items, n);
	atomic_store_explicit(&s->busy_count, 0, relaxed);
}

/* Runs chunk first..first+n-1, whose items and results sit at index `at` of the job's arrays
 * (the chunk's own index in a map, its ring slot in a stream). 0, or -1 when fn failed.
 * Inlined into the loops that take chunks, and written so that little stays live across the
 * calls of fn: every store before the next take from the queue, spilled registers included,
 * delays that locked add, and with one-item chunks they cost as much as the queue itself. fn
 * and the sizes are read from the job at each item, which costs loads, not stores. */
static inline __attribute__((always_inline)) int run_chunk(struct pool_worker *w,
							   const struct pool_job *job,
							   struct tally *t, uint64_t first,
							   uint64_t at, uint64_t n)
{
	const char *in = resolve(w, job->in_at, job->in_shared);
	char *out = resolve(w, job->out_at, job->out_shared);
	uint64_t i;
	int rc = 0;

	in = in ? in + at * job->in_size : NULL;
	out = out ? out + at * job->out_size : NULL;
	chunk_begins(w, t, first, n);
	AMZ_CHUNK_BEGIN(first, n);
	for (i = 0; i < n; i++) {
		rc = job->fn(in, out, job->ctx);
		if (rc)
			break;
		in = step(in, job->in_size);
		out = (char *)step(out, job->out_size);
	}
	AMZ_CHUNK_END(first, n);

	if (rc) {
		record_failure(w, first, n, first + i, rc);
		atomic_store_explicit(&w->slot->busy_count, 0, relaxed);
		return -1;
	}
	chunk_ends(w, t, n);
	return 0;
}

static void run_map(struct pool_worker *w, const struct pool_job *job)
{
	struct pool_ctl *c = w->ctl;
	struct tally t = {0};
	struct pool_chunk ch;
	unsigned round = 0;

	while (!atomic_load_explicit(&c->stop, relaxed)) {
		uint64_t j = atomic_fetch_add_explicit(&c->next_chunk, 1, relaxed);

		if (!pool_sched_chunk(&job->sched, j, &round, &ch))
			break;
		if (run_chunk(w, job, &t, ch.first, ch.first, ch.count) < 0)
			break;
	}
	tally_write(w, &t);
}

/* Whether items from first on are published; waits for the caller while they are not. Sets
 * the chunk's count; false when the stream ended before first or the map stopped. */
static bool wait_for_items(struct pool_worker *w, const struct pool_job *job, uint64_t first,
			   uint64_t *count)
{
	struct pool_ctl *c = w->ctl;
	int spins = 0;

	for (;;) {
		uint32_t seq = atomic_load(&c->end_seq);
		uint64_t end = atomic_load_explicit(&c->end, acquire);

		if (first < end) {
			*count = end - first < job->chunksize ? end - first : job->chunksize;
			return true;
		}
		if (atomic_load_explicit(&c->closed, acquire)) {
			if (first < atomic_load_explicit(&c->end, acquire))
				continue;
			return false;
		}
		if (atomic_load(&c->stop))
			return false;

		if (spins++ < POOL_SPIN) {
			pool_cpu_relax();
			continue;
		}
		atomic_fetch_add(&c->end_sleepers, 1);
		if (atomic_load(&c->end_seq) == seq)
			pool_futex_wait(&c->end_seq, seq, w->process);
		atomic_fetch_sub(&c->end_sleepers, 1);
	}
}

/* Counts the chunk towards its window; the chunk that completes a window tells the caller,
 * which hands the window to the sink. */
static void window_done(struct pool_worker *w, const struct pool_job *job,
			const struct pool_chunk *ch)
{
	struct pool_ctl *c = w->ctl;
	unsigned half = (unsigned)((ch->first / job->window) % 2);
	uint64_t done = atomic_fetch_add(&c->win_done[half], ch->count) + ch->count;

	if (done == atomic_load(&c->win_len[half]))
		pool_notify_caller(w);
}

static void run_stream(struct pool_worker *w, const struct pool_job *job)
{
	struct pool_ctl *c = w->ctl;
	uint64_t ring = 2 * job->window;
	struct tally t = {0};
	struct pool_chunk ch;

	while (!atomic_load_explicit(&c->stop, relaxed)) {
		uint64_t j = atomic_fetch_add_explicit(&c->next_chunk, 1, relaxed);
		uint64_t at;

		if (__builtin_mul_overflow(j, job->chunksize, &ch.first))
			break;
		if (!wait_for_items(w, job, ch.first, &ch.count)) {
			/* Taken but not run: the caller's count of what was done stops here. */
			atomic_store_explicit(&w->slot->skipped_first, ch.first, relaxed);
			break;
		}

		/* A window is a whole number of chunks, so a chunk never wraps around the ring. */
		at = ch.first % ring;
		if (run_chunk(w, job, &t, ch.first, at, ch.count) < 0)
			break;
		window_done(w, job, &ch);
	}
	tally_write(w, &t);
}

/* The last worker to finish tells the caller; so does every worker once the map was stopped,
 * because a worker that died will never count itself out. */
static void finish_map(struct pool_worker *w, uint32_t gen)
{
	struct pool_ctl *c = w->ctl;

	atomic_store(&w->slot->done_gen, gen);
	if (atomic_fetch_sub(&c->active, 1) == 1 || atomic_load(&c->stop))
		pool_notify_caller(w);
}

void pool_worker_take_part(struct pool_worker *w)
{
	run_map(w, &w->ctl->job);
}

void pool_worker_main(struct pool_worker *w)
{
	struct pool_ctl *c = w->ctl;
	uint32_t gen = 0; /* every worker starts before the first map is published */
	int err;

	for (;;) {
		gen = wait_for_map(w, gen);
		if (atomic_load(&c->quit))
			return;
		if (w->id >= c->job.runners) {
			atomic_store(&w->slot->done_gen, gen);
			continue;
		}

		err = map_data(w);
		if (err) {
			atomic_store(&w->slot->sys_errno, -err);
			pool_stop(c, w->process);
		} else if (c->job.mode == POOL_MAP) {
			run_map(w, &c->job);
		} else {
			run_stream(w, &c->job);
		}
		finish_map(w, gen);
	}
}
