/* Streams: items pulled from a source of unknown length, in uneven batches, reach the sink in
 * order, each exactly once, processed exactly once; failures stop the stream and hand the sink
 * exactly the complete prefix. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "amorsize.h"
#include "items.h"
#include "testutil.h"
#include "util.h"

#define TEST_DEADLINE_S 120
#define NO_FAILURE	SIZE_MAX

static const size_t stream_lengths[] = {0, 1, 7, 4095, 4096, 4097, 100003};
static const size_t worker_counts[] = {1, 3, 8};
static const size_t chunk_sizes[] = {1, 3, 64};

static struct test_items items;

/* The source hands out items 0 to length-1 in batches of uneven size, never saying how many
 * remain; the sink checks that results come in order and match the serial loop's. */
struct stream_check {
	size_t length;
	size_t next_read;
	uint32_t rng;
	size_t source_fails_at; /* the source returns 42 once this many items were read */
	size_t sink_fails_at;	/* the sink returns 9 when given this result */
	size_t next_sunk;
	size_t sink_calls;
	size_t last_first; /* first of the sink's latest call */
	int sink_failed;
	char error[200];
};

static int setup(void **state)
{
	(void)state;
	alarm(TEST_DEADLINE_S);
	test_items_make(&items, 100003);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_items_free(&items);
	alarm(0);
	return 0;
}

static size_t batch_size(struct stream_check *c, size_t max)
{
	size_t n;

	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 17;
	c->rng ^= c->rng << 5;
	n = 1 + c->rng % 37;
	return n < max ? n : max;
}

static int source(void *buf, size_t max, size_t *n_read, void *ctx)
{
	struct stream_check *c = ctx;
	size_t n = batch_size(c, max);

	if (c->next_read >= c->source_fails_at)
		return 42;
	if (n > c->length - c->next_read)
		n = c->length - c->next_read;
	memcpy(buf, &items.in[c->next_read], n * sizeof(*items.in));
	c->next_read += n;
	*n_read = n;
	return 0;
}

static int sink(const void *in, const void *out, size_t first, size_t n, void *ctx)
{
	const struct test_item *it = in;
	const struct test_result *res = out;
	struct stream_check *c = ctx;
	size_t i;

	c->sink_calls++;
	c->last_first = first;
	if (c->sink_failed)
		snprintf(c->error, sizeof(c->error), "the sink was called after it failed");
	if (first != c->next_sunk && !c->error[0])
		snprintf(c->error, sizeof(c->error), "the sink got %zu while expecting %zu", first,
			 c->next_sunk);
	for (i = 0; i < n; i++) {
		if (first + i == c->sink_fails_at) {
			c->sink_failed = 1;
			return 9;
		}
		if (it[i].index != first + i ||
		    memcmp(&res[i], &items.expect[first + i], sizeof(res[i])))
			snprintf(c->error, sizeof(c->error), "result %zu is wrong", first + i);
		c->next_sunk++;
	}
	return 0;
}

static int run_stream(struct stream_check *c, const struct amz_map_opts *o,
		      struct amz_map_status *st)
{
	struct amz_stream s = {
		.source = source,
		.source_ctx = c,
		.in_size = sizeof(struct test_item),
		.sink = sink,
		.sink_ctx = c,
		.out_size = sizeof(struct test_result),
	};

	return amz_map_stream(test_item_fn, &items, &s, o, st);
}

static void start(struct stream_check *c, size_t length)
{
	memset(c, 0, sizeof(*c));
	c->length = length;
	c->rng = 2463534242u;
	c->source_fails_at = NO_FAILURE;
	c->sink_fails_at = NO_FAILURE;
	test_items_reset(&items, length);
}

/* Every item sunk once in order, processed exactly once, nothing after them touched. */
static void assert_all_sunk(const struct stream_check *c, const char *what)
{
	if (c->error[0])
		fail_msg("%s: %s", what, c->error);
	assert_int_equal(c->next_sunk, c->length);
	for (size_t i = 0; i < c->length; i++) {
		if (atomic_load(&items.shared->calls[i]) != 1)
			fail_msg("%s: item %zu was processed %u times", what, i,
				 (unsigned)atomic_load(&items.shared->calls[i]));
	}
}

static void assert_every_stream_complete(enum amz_worker_kind kind)
{
	size_t a, b, c;

	for (a = 0; a < ARRAY_SIZE(stream_lengths); a++) {
		for (b = 0; b < ARRAY_SIZE(worker_counts); b++) {
			for (c = 0; c < ARRAY_SIZE(chunk_sizes); c++) {
				struct amz_map_opts o = {.workers = worker_counts[b],
							 .chunksize = chunk_sizes[c],
							 .kind = kind};
				struct amz_map_status st;
				struct stream_check check;
				char what[120];

				snprintf(what, sizeof(what),
					 "%zu items, %zu workers, chunks of %zu", stream_lengths[a],
					 o.workers, o.chunksize);
				start(&check, stream_lengths[a]);
				if (run_stream(&check, &o, &st) != 0)
					fail_msg("%s: %s", what, st.msg);
				assert_int_equal(st.items_done, stream_lengths[a]);
				assert_all_sunk(&check, what);
			}
		}
	}
}

static void test_stream_of_threads_loses_and_repeats_nothing(void **state)
{
	(void)state;
	assert_every_stream_complete(AMZ_THREADS);
}

static void test_stream_of_processes_loses_and_repeats_nothing(void **state)
{
	(void)state;
	assert_every_stream_complete(AMZ_PROCESSES);
}

/* Stopped at a failed chunk: the sink has exactly the items before it. */
static void assert_sunk_prefix(const struct stream_check *c, const struct amz_map_status *st)
{
	if (c->error[0])
		fail_msg("%s", c->error);
	assert_int_equal(st->items_done, c->next_sunk);
	assert_int_equal(st->done_prefix, c->next_sunk);
}

static void assert_fn_error_sinks_the_done_prefix(enum amz_worker_kind kind)
{
	struct amz_map_opts o = {.workers = 3, .chunksize = 10, .kind = kind};
	struct amz_map_status st;
	struct stream_check c;

	start(&c, 100003);
	test_items_fail(&items, 10005, TEST_FAIL_ERROR);
	assert_int_equal(run_stream(&c, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_FN);
	assert_int_equal(st.item, 10005);
	assert_int_equal(st.chunk_first, 10000);
	assert_sunk_prefix(&c, &st);
	assert_int_equal(c.next_sunk, 10000);
}

static void test_stream_fn_error_sinks_the_done_prefix(void **state)
{
	(void)state;
	assert_fn_error_sinks_the_done_prefix(AMZ_THREADS);
	assert_fn_error_sinks_the_done_prefix(AMZ_PROCESSES);
}

static void test_stream_killed_worker_is_reported(void **state)
{
	struct amz_map_opts o = {.workers = 2, .chunksize = 10, .kind = AMZ_PROCESSES};
	struct amz_map_status st;
	struct stream_check c;

	(void)state;
	start(&c, 100003);
	test_items_fail(&items, 10005, TEST_FAIL_KILL);
	assert_int_equal(run_stream(&c, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_WORKER);
	assert_int_equal(st.signal, SIGKILL);
	assert_non_null(strstr(st.msg, "while running the chunk of items 10000 to 10009"));
	assert_sunk_prefix(&c, &st);
	assert_true(c.next_sunk <= 10000);
}

static void test_stream_source_error_keeps_every_item_read(void **state)
{
	struct amz_map_opts o = {.workers = 3, .chunksize = 7, .kind = AMZ_THREADS};
	struct amz_map_status st;
	struct stream_check c;

	(void)state;
	start(&c, 100003);
	c.source_fails_at = 5000;
	assert_int_equal(run_stream(&c, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_SOURCE);
	assert_int_equal(st.fn_error, 42);
	assert_true(c.next_read >= 5000);
	c.length = c.next_read;
	assert_all_sunk(&c, "source error");
	assert_int_equal(st.items_done, c.next_read);
}

static void test_stream_sink_error_stops_the_stream(void **state)
{
	struct amz_map_opts o = {.workers = 2, .chunksize = 5, .kind = AMZ_PROCESSES};
	struct amz_map_status st;
	struct stream_check c;

	(void)state;
	start(&c, 100003);
	c.sink_fails_at = 20000;
	assert_int_equal(run_stream(&c, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_SINK);
	assert_int_equal(st.fn_error, 9);
	assert_non_null(strstr(st.msg, "the sink returned 9 for results"));
	if (c.error[0])
		fail_msg("%s", c.error);
	/* The failed call's results do not count as done. */
	assert_true(c.last_first <= 20000);
	assert_int_equal(st.items_done, c.last_first);
	assert_true(c.next_read < 100003);
}

static int overrunning_source(void *buf, size_t max, size_t *n_read, void *ctx)
{
	(void)buf;
	(void)ctx;
	*n_read = max + 1;
	return 0;
}

static void test_source_that_overruns_is_an_error(void **state)
{
	struct amz_map_opts o = {.workers = 2, .chunksize = 5, .kind = AMZ_THREADS};
	struct amz_stream s = {
		.source = overrunning_source, .in_size = 12, .sink = sink, .out_size = 20};
	struct amz_map_status st;
	struct stream_check c;

	(void)state;
	start(&c, 0);
	s.sink_ctx = &c;
	assert_int_equal(amz_map_stream(test_item_fn, &items, &s, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_SOURCE);
	assert_non_null(strstr(st.msg, "more items than it was asked for"));
	assert_int_equal(c.sink_calls, 0);
}

static void test_stream_refuses_factoring(void **state)
{
	struct amz_map_opts o = {.workers = 2,
				 .chunksize = 5,
				 .kind = AMZ_THREADS,
				 .schedule = AMZ_SCHEDULE_FACTORING};
	struct amz_map_status st;
	struct stream_check c;

	(void)state;
	start(&c, 10);
	assert_int_equal(run_stream(&c, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_ARG);
	assert_non_null(strstr(st.msg, "factoring needs to know how many items remain"));
	assert_int_equal(c.next_read, 0);
}

static void test_stream_without_source_or_sink_is_refused(void **state)
{
	struct amz_map_opts o = {.workers = 2, .chunksize = 5, .kind = AMZ_THREADS};
	struct amz_stream s = {.source = source, .in_size = 12, .out_size = 20};
	struct amz_map_status st;

	(void)state;
	assert_int_equal(amz_map_stream(test_item_fn, NULL, &s, &o, &st), -1);
	assert_non_null(strstr(st.msg, "the stream has no sink"));
	s.sink = sink;
	s.source = NULL;
	assert_int_equal(amz_map_stream(test_item_fn, NULL, &s, &o, &st), -1);
	assert_non_null(strstr(st.msg, "the stream has no source"));
	assert_int_equal(amz_map_stream(test_item_fn, NULL, NULL, &o, &st), -1);
	assert_non_null(strstr(st.msg, "the stream is NULL"));
	assert_int_equal(amz_map_stream(NULL, NULL, &s, &o, &st), -1);
	assert_non_null(strstr(st.msg, "the function is NULL"));
	assert_int_equal(st.code, AMZ_ERR_ARG);
}

static void assert_pool_alternates_streams_and_maps(enum amz_worker_kind kind)
{
	struct amz_map_opts o = {.workers = 3, .chunksize = 4, .kind = kind};
	struct amz_stream s = {.source = source, .in_size = 12, .sink = sink, .out_size = 20};
	struct amz_map_status st;
	struct stream_check c;
	struct amz_pool *p = amz_pool_new(&o, &st);
	int round;

	assert_non_null(p);
	for (round = 0; round < 3; round++) {
		start(&c, 9000 + (size_t)round * 5000);
		s.source_ctx = s.sink_ctx = &c;
		assert_int_equal(amz_pool_map_stream(p, test_item_fn, &items, &s, &o, &st), 0);
		assert_all_sunk(&c, "pool stream");

		test_items_reset(&items, 20000);
		assert_int_equal(amz_pool_map(p, test_item_fn, &items, items.in, 12, items.out, 20,
					      20000, &o, &st),
				 0);
		test_items_assert_done(&items, 20000, "pool map after a stream");
	}
	amz_pool_free(p);
}

static void test_pool_alternates_streams_and_maps(void **state)
{
	(void)state;
	assert_pool_alternates_streams_and_maps(AMZ_THREADS);
	assert_pool_alternates_streams_and_maps(AMZ_PROCESSES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_of_threads_loses_and_repeats_nothing),
		cmocka_unit_test(test_stream_of_processes_loses_and_repeats_nothing),
		cmocka_unit_test(test_stream_fn_error_sinks_the_done_prefix),
		cmocka_unit_test(test_stream_killed_worker_is_reported),
		cmocka_unit_test(test_stream_source_error_keeps_every_item_read),
		cmocka_unit_test(test_stream_sink_error_stops_the_stream),
		cmocka_unit_test(test_source_that_overruns_is_an_error),
		cmocka_unit_test(test_stream_refuses_factoring),
		cmocka_unit_test(test_stream_without_source_or_sink_is_refused),
		cmocka_unit_test(test_pool_alternates_streams_and_maps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
