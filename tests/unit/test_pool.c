/* amz_map and pools: results identical to a serial loop for every shape of map, and failures
 * (fn errors, workers that crash, are killed or exit) that stop the map cleanly and say where. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "amorsize.h"
#include "items.h"
#include "testutil.h"
#include "util.h"

/* No test here may hang: a map that never returns fails the whole program instead. */
#define TEST_DEADLINE_S 120

static const size_t item_counts[] = {0, 1, 2, 7, 1000, 100003};
static const size_t worker_counts[] = {1, 2, 3, 8};
static const size_t chunk_sizes[] = {1, 3, 64, 0 /* the item count */};

static struct test_items items;

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

static int map_items(size_t n, const struct amz_map_opts *o, struct amz_map_status *st)
{
	return amz_map(test_item_fn, &items, items.in, sizeof(*items.in), items.out,
		       sizeof(*items.out), n, o, st);
}

static void assert_map_matches_serial(size_t n, const struct amz_map_opts *o)
{
	struct amz_map_status st;
	char what[160];

	snprintf(what, sizeof(what), "%s, %s schedule, %zu items, %zu workers, chunks of %zu",
		 o->kind == AMZ_THREADS ? "threads" : "processes",
		 o->schedule == AMZ_SCHEDULE_FIXED ? "fixed" : "factoring", n, o->workers,
		 o->chunksize);
	test_items_reset(&items, n);

	if (map_items(n, o, &st) != 0)
		fail_msg("%s: %s", what, st.msg);
	assert_int_equal(st.code, AMZ_OK);
	assert_int_equal(st.items_done, n);
	assert_int_equal(st.done_prefix, n);
	assert_string_equal(st.msg, "");
	test_items_assert_done(&items, n, what);
}

static void assert_every_shape_matches_serial(enum amz_worker_kind kind, enum amz_schedule sched)
{
	size_t a, b, c;

	for (a = 0; a < ARRAY_SIZE(item_counts); a++) {
		for (b = 0; b < ARRAY_SIZE(worker_counts); b++) {
			for (c = 0; c < ARRAY_SIZE(chunk_sizes); c++) {
				size_t n = item_counts[a];
				struct amz_map_opts o = {
					.workers = worker_counts[b],
					.chunksize = chunk_sizes[c] ? chunk_sizes[c] : n,
					.kind = kind,
					.schedule = sched,
				};

				/* A chunk size of N = 0 is a chunk size of zero, which
				 * test_pool_args refuses as a bad argument. */
				if (o.chunksize == 0)
					continue;
				assert_map_matches_serial(n, &o);
			}
		}
	}
}

static void test_processes_match_serial_loop(void **state)
{
	(void)state;
	assert_every_shape_matches_serial(AMZ_PROCESSES, AMZ_SCHEDULE_FIXED);
}

static void test_threads_match_serial_loop(void **state)
{
	(void)state;
	assert_every_shape_matches_serial(AMZ_THREADS, AMZ_SCHEDULE_FIXED);
}

static void test_processes_with_factoring_match_serial_loop(void **state)
{
	(void)state;
	assert_every_shape_matches_serial(AMZ_PROCESSES, AMZ_SCHEDULE_FACTORING);
}

static void test_threads_with_factoring_match_serial_loop(void **state)
{
	(void)state;
	assert_every_shape_matches_serial(AMZ_THREADS, AMZ_SCHEDULE_FACTORING);
}

static void test_zero_items_is_an_empty_map(void **state)
{
	struct amz_map_opts o = {.workers = 4, .chunksize = 8, .kind = AMZ_PROCESSES};
	struct amz_map_status st;

	(void)state;
	test_items_reset(&items, 0);
	assert_int_equal(amz_map(test_item_fn, &items, NULL, sizeof(*items.in), NULL,
				 sizeof(*items.out), 0, &o, &st),
			 0);
	assert_int_equal(st.code, AMZ_OK);
	assert_int_equal(st.chunks, 0);
	assert_true(test_item_untouched(&items, 0));
}

static void test_chunk_larger_than_items_is_one_chunk(void **state)
{
	struct amz_map_opts o = {.workers = 4, .chunksize = 5000, .kind = AMZ_THREADS};
	struct amz_map_status st;

	(void)state;
	test_items_reset(&items, 1000);
	assert_int_equal(map_items(1000, &o, &st), 0);
	assert_int_equal(st.chunks, 1);
	test_items_assert_done(&items, 1000, "one chunk");
}

static void test_factoring_hands_out_fewer_chunks_than_fixed(void **state)
{
	struct amz_map_opts o = {.workers = 4, .chunksize = 1, .kind = AMZ_THREADS};
	struct amz_map_status fixed, factoring;

	(void)state;
	test_items_reset(&items, 1000);
	assert_int_equal(map_items(1000, &o, &fixed), 0);
	o.schedule = AMZ_SCHEDULE_FACTORING;
	test_items_reset(&items, 1000);
	assert_int_equal(map_items(1000, &o, &factoring), 0);

	assert_int_equal(fixed.chunks, 1000);
	assert_true(factoring.chunks < 100);
	test_items_assert_done(&items, 1000, "factoring");
}

static int square_plus_one(const void *in, void *out, void *ctx)
{
	uint32_t x = *(const uint32_t *)in;

	(void)ctx;
	*(uint32_t *)out = x * x + 1;
	return 0;
}

static void assert_in_place_map_matches_serial(enum amz_worker_kind kind)
{
	struct amz_map_opts o = {.workers = 3, .chunksize = 5, .kind = kind};
	struct amz_map_status st;
	uint32_t buf[1001], i;

	for (i = 0; i < 1001; i++)
		buf[i] = i;
	assert_int_equal(amz_map(square_plus_one, NULL, buf, 4, buf, 4, 1000, &o, &st), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf[i], i * i + 1);
	assert_int_equal(buf[1000], 1000);
}

static void test_in_place_map_with_processes_matches_serial(void **state)
{
	(void)state;
	assert_in_place_map_matches_serial(AMZ_PROCESSES);
}

static void test_in_place_map_with_threads_matches_serial(void **state)
{
	(void)state;
	assert_in_place_map_matches_serial(AMZ_THREADS);
}

/* The map stopped at the failed chunk: everything before it is done, and with one worker
 * nothing after it was started. */
static void assert_stopped_at(const struct amz_map_status *st, size_t n, size_t item)
{
	size_t i;

	assert_true(st->chunk_count > 0);
	assert_true(st->chunk_first <= item && item < st->chunk_first + st->chunk_count);
	assert_int_equal(st->done_prefix, st->chunk_first);
	assert_true(st->items_done <= n - st->chunk_count);
	for (i = 0; i < st->done_prefix; i++)
		assert_true(test_item_done(&items, i));
}

static void assert_fn_error_stops_cleanly(enum amz_worker_kind kind, size_t workers)
{
	struct amz_map_opts o = {.workers = workers, .chunksize = 10, .kind = kind};
	struct amz_map_status st;
	size_t i;

	test_items_reset(&items, 100003);
	test_items_fail(&items, 500, TEST_FAIL_ERROR);
	assert_int_equal(map_items(100003, &o, &st), -1);

	assert_int_equal(st.code, AMZ_ERR_FN);
	assert_int_equal(st.fn_error, TEST_FN_ERROR);
	assert_int_equal(st.item, 500);
	assert_non_null(strstr(st.msg, "returned 7 for item 500"));
	assert_stopped_at(&st, 100003, 500);
	if (workers == 1) {
		assert_int_equal(st.items_done, 500);
		for (i = 510; i < 100003; i++)
			assert_true(test_item_untouched(&items, i));
	}
}

static void test_fn_error_stops_threads_cleanly(void **state)
{
	(void)state;
	assert_fn_error_stops_cleanly(AMZ_THREADS, 1);
	assert_fn_error_stops_cleanly(AMZ_THREADS, 4);
}

static void test_fn_error_stops_processes_cleanly(void **state)
{
	(void)state;
	assert_fn_error_stops_cleanly(AMZ_PROCESSES, 1);
	assert_fn_error_stops_cleanly(AMZ_PROCESSES, 4);
}

static struct amz_map_status assert_worker_death_reported(enum test_failure how, size_t workers)
{
	struct amz_map_opts o = {.workers = workers, .chunksize = 16, .kind = AMZ_PROCESSES};
	struct amz_map_status st;

	test_items_reset(&items, 100003);
	test_items_fail(&items, 500, how);
	assert_int_equal(map_items(100003, &o, &st), -1);

	assert_int_equal(st.code, AMZ_ERR_WORKER);
	assert_non_null(strstr(st.msg, "while running the chunk of items 496 to 511"));
	assert_stopped_at(&st, 100003, 500);
	return st;
}

static void test_killed_worker_names_chunk_and_signal(void **state)
{
	struct amz_map_status st;

	(void)state;
	st = assert_worker_death_reported(TEST_FAIL_KILL, 1);
	assert_int_equal(st.signal, SIGKILL);
	assert_non_null(strstr(st.msg, "killed by signal 9 (SIGKILL)"));

	st = assert_worker_death_reported(TEST_FAIL_KILL, 4);
	assert_int_equal(st.signal, SIGKILL);
}

static void test_crashed_worker_names_its_signal(void **state)
{
	struct amz_map_status st;
	struct amz_map_opts o = {.workers = 2, .chunksize = 16, .kind = AMZ_PROCESSES};

	(void)state;
	test_items_reset(&items, 1000);
	test_items_fail(&items, 500, TEST_FAIL_SEGV);
	assert_int_equal(map_items(1000, &o, &st), -1);

	assert_int_equal(st.code, AMZ_ERR_WORKER);
	assert_int_equal(st.signal, SIGSEGV);
	assert_non_null(strstr(st.msg, "killed by signal 11 (SIGSEGV)"));
	assert_stopped_at(&st, 1000, 500);
}

static void test_exiting_worker_names_its_status(void **state)
{
	struct amz_map_status st;

	(void)state;
	st = assert_worker_death_reported(TEST_FAIL_EXIT, 3);
	assert_int_equal(st.signal, 0);
	assert_int_equal(st.exit_status, TEST_EXIT_STATUS);
	assert_non_null(strstr(st.msg, "exited with status 3"));
}

static int record_task(const void *in, void *out, void *ctx)
{
	(void)in;
	(void)ctx;
	*(pid_t *)out = gettid();
	return 0;
}

static size_t distinct_tasks(const pid_t *ids, size_t n)
{
	pid_t seen[64];
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < k && seen[j] != ids[i]; j++)
			;
		if (j == k && k < 64)
			seen[k++] = ids[i];
	}
	return k;
}

static void test_single_thread_map_runs_on_the_calling_thread(void **state)
{
	struct amz_map_opts o = {.workers = 1, .chunksize = 3, .kind = AMZ_THREADS};
	struct amz_map_status st;
	pid_t ids[1000];
	size_t i;

	(void)state;
	assert_int_equal(amz_map(record_task, NULL, NULL, 0, ids, sizeof(*ids), 1000, &o, &st), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(ids[i], gettid());
}

static void assert_at_most_n_tasks(enum amz_worker_kind kind)
{
	struct amz_map_opts o = {.workers = 3, .chunksize = 1, .kind = kind};
	struct amz_map_status st;
	static pid_t ids[20000];
	struct amz_pool *p;

	assert_int_equal(amz_map(record_task, NULL, NULL, 0, ids, sizeof(*ids), 20000, &o, &st), 0);
	assert_true(distinct_tasks(ids, 20000) <= 3);

	p = amz_pool_new(&o, &st);
	assert_non_null(p);
	assert_int_equal(
		amz_pool_map(p, record_task, NULL, NULL, 0, ids, sizeof(*ids), 20000, &o, &st), 0);
	assert_true(distinct_tasks(ids, 20000) <= 3);
	amz_pool_free(p);
}

static void test_thread_map_runs_on_at_most_n_threads(void **state)
{
	(void)state;
	assert_at_most_n_tasks(AMZ_THREADS);
}

static void test_process_map_runs_in_at_most_n_processes(void **state)
{
	(void)state;
	assert_at_most_n_tasks(AMZ_PROCESSES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_processes_match_serial_loop),
		cmocka_unit_test(test_threads_match_serial_loop),
		cmocka_unit_test(test_processes_with_factoring_match_serial_loop),
		cmocka_unit_test(test_threads_with_factoring_match_serial_loop),
		cmocka_unit_test(test_zero_items_is_an_empty_map),
		cmocka_unit_test(test_chunk_larger_than_items_is_one_chunk),
		cmocka_unit_test(test_factoring_hands_out_fewer_chunks_than_fixed),
		cmocka_unit_test(test_in_place_map_with_processes_matches_serial),
		cmocka_unit_test(test_in_place_map_with_threads_matches_serial),
		cmocka_unit_test(test_fn_error_stops_threads_cleanly),
		cmocka_unit_test(test_fn_error_stops_processes_cleanly),
		cmocka_unit_test(test_killed_worker_names_chunk_and_signal),
		cmocka_unit_test(test_crashed_worker_names_its_signal),
		cmocka_unit_test(test_exiting_worker_names_its_status),
		cmocka_unit_test(test_single_thread_map_runs_on_the_calling_thread),
		cmocka_unit_test(test_thread_map_runs_on_at_most_n_threads),
		cmocka_unit_test(test_process_map_runs_in_at_most_n_processes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
