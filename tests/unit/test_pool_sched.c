/* The chunk schedules: fixed chunks and factoring both tile the items in order, factoring
 * hands out rounds of one chunk per worker covering half of what remains, never below the
 * minimum chunk. */
#include "pool.h"
#include "testutil.h"

static const uint64_t counts[] = {1, 2, 7, 100, 1000, 100003, 1ull << 40};
static const uint64_t workers[] = {1, 2, 3, 8, 64};
static const uint64_t sizes[] = {1, 3, 64, 5000};

/* Chunks 0, 1, ... cover [0, n) exactly, each starting where the previous ended. */
static void assert_tiles(const struct pool_sched *s, uint64_t n)
{
	struct pool_chunk c;
	unsigned round = 0;
	uint64_t j, next = 0;

	assert_int_equal(s->n_items, n);
	for (j = 0; pool_sched_chunk(s, j, &round, &c); j++) {
		assert_int_equal(c.first, next);
		assert_true(c.count > 0);
		assert_int_equal(pool_sched_items_before(s, j), c.first);
		next += c.count;
	}
	assert_int_equal(j, s->n_chunks);
	assert_int_equal(next, n);
	assert_int_equal(pool_sched_items_before(s, j), n);
}

static void test_fixed_chunks_tile_the_items_in_order(void **state)
{
	struct pool_sched s;
	size_t a, c;

	(void)state;
	for (a = 0; a < 6; a++) {
		for (c = 0; c < ARRAY_SIZE(sizes); c++) {
			pool_sched_fixed(&s, counts[a], sizes[c]);
			assert_tiles(&s, counts[a]);
			assert_int_equal(s.n_chunks, (counts[a] + sizes[c] - 1) / sizes[c]);
		}
	}
}

static void test_factoring_chunks_tile_the_items_in_order(void **state)
{
	struct pool_sched s;
	size_t a, b, c;

	(void)state;
	for (a = 0; a < 6; a++) {
		for (b = 0; b < ARRAY_SIZE(workers); b++) {
			for (c = 0; c < ARRAY_SIZE(sizes); c++) {
				pool_sched_factoring(&s, counts[a], workers[b], sizes[c]);
				assert_tiles(&s, counts[a]);
			}
		}
	}
}

static void test_factoring_rounds_cover_half_of_what_remains(void **state)
{
	struct pool_sched s;
	uint64_t left = 1000;
	unsigned r;

	(void)state;
	pool_sched_factoring(&s, 1000, 4, 1);
	/* 1000 items, 4 workers: 4 chunks of 125 leave 500, 4 of 63 leave 248, 4 of 31... */
	assert_int_equal(s.rounds[0].size, 125);
	assert_int_equal(s.rounds[1].size, 63);
	assert_int_equal(s.rounds[2].size, 31);
	for (r = 0; r + 1 < s.n_rounds; r++) {
		uint64_t size = (left + 7) / 8;

		assert_int_equal(s.rounds[r].size, size);
		assert_int_equal(s.rounds[r + 1].first_chunk - s.rounds[r].first_chunk, 4);
		left -= 4 * size;
	}
}

static void test_factoring_never_goes_below_the_minimum_chunk(void **state)
{
	struct pool_sched s;
	struct pool_chunk c;
	unsigned round = 0;
	uint64_t j;

	(void)state;
	pool_sched_factoring(&s, 100003, 8, 64);
	for (j = 0; pool_sched_chunk(&s, j, &round, &c); j++) {
		if (c.first + c.count < 100003)
			assert_true(c.count >= 64);
	}
	assert_int_equal(s.rounds[s.n_rounds - 1].size, 64);
}

static void test_factoring_of_huge_counts_fits_its_rounds(void **state)
{
	struct pool_sched s;

	(void)state;
	pool_sched_factoring(&s, UINT64_MAX / 2, 1, 1);
	assert_true(s.n_rounds <= POOL_MAX_ROUNDS);
	assert_int_equal(s.rounds[0].size, UINT64_MAX / 4 + 1);
	pool_sched_factoring(&s, counts[6], 3, 1);
	assert_true(s.n_rounds <= POOL_MAX_ROUNDS);
}

static void test_no_chunk_past_the_last(void **state)
{
	struct pool_sched s;
	struct pool_chunk c;
	unsigned round = 0;

	(void)state;
	pool_sched_fixed(&s, 10, 3);
	assert_true(pool_sched_chunk(&s, 3, &round, &c));
	assert_int_equal(c.first, 9);
	assert_int_equal(c.count, 1);
	assert_false(pool_sched_chunk(&s, 4, &round, &c));
	assert_false(pool_sched_chunk(&s, 1000, &round, &c));

	pool_sched_fixed(&s, 0, 3);
	round = 0;
	assert_false(pool_sched_chunk(&s, 0, &round, &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_chunks_tile_the_items_in_order),
		cmocka_unit_test(test_factoring_chunks_tile_the_items_in_order),
		cmocka_unit_test(test_factoring_rounds_cover_half_of_what_remains),
		cmocka_unit_test(test_factoring_never_goes_below_the_minimum_chunk),
		cmocka_unit_test(test_factoring_of_huge_counts_fits_its_rounds),
		cmocka_unit_test(test_no_chunk_past_the_last),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
