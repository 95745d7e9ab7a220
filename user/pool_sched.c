/* The order and sizes of a map's chunks: fixed chunks, or factoring (FAC2, Hummel, Schonberg
 * and Flynn 1992), both as rounds of equal chunks so that a worker finds chunk j by arithmetic
 * once it knows the round. */
#include <string.h>

#include "pool.h"

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static void add_round(struct pool_sched *s, uint64_t size, uint64_t chunks)
{
	struct pool_round *r = &s->rounds[s->n_rounds++];

	r->first_chunk = s->n_chunks;
	r->first_item = s->n_rounds > 1 ? r[-1].first_item +
						  (r->first_chunk - r[-1].first_chunk) * r[-1].size
					: 0;
	r->size = size;
	s->n_chunks += chunks;
}

void pool_sched_fixed(struct pool_sched *s, uint64_t n_items, uint64_t chunksize)
{
	memset(s, 0, offsetof(struct pool_sched, rounds));
	s->n_items = n_items;
	if (n_items)
		add_round(s, chunksize, div_up(n_items, chunksize));
}

/* Each round hands out `workers` chunks that together cover half of what remains, so that the
 * last chunks, which decide how long the slowest worker runs, are small. */
void pool_sched_factoring(struct pool_sched *s, uint64_t n_items, uint64_t workers,
			  uint64_t min_chunk)
{
	uint64_t left = n_items;

	memset(s, 0, offsetof(struct pool_sched, rounds));
	s->n_items = n_items;
	while (left) {
		uint64_t size = div_up(left, 2 * workers), chunks;

		if (size < min_chunk)
			size = min_chunk;
		chunks = div_up(left, size) < workers ? div_up(left, size) : workers;
		if (s->n_rounds == POOL_MAX_ROUNDS - 1)
			chunks = div_up(left, size);
		add_round(s, size, chunks);
		left -= chunks * size < left ? chunks * size : left;
	}
}

uint64_t pool_sched_items_before(const struct pool_sched *s, uint64_t j)
{
	struct pool_chunk c;
	unsigned round = 0;

	if (!pool_sched_chunk(s, j, &round, &c))
		return s->n_items;
	return c.first;
}
