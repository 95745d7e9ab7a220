/* Pools reused across maps: workers started once run maps of any size in turn, see items
 * given after they started, survive an fn error, and a pool that lost a worker says so. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "amorsize.h"
#include "items.h"
#include "pool.h"
#include "testutil.h"
#include "util.h"

#define TEST_DEADLINE_S 120

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

static int pool_map_items(struct amz_pool *p, size_t n, const struct amz_map_opts *o,
			  struct amz_map_status *st)
{
	return amz_pool_map(p, test_item_fn, &items, items.in, sizeof(*items.in), items.out,
			    sizeof(*items.out), n, o, st);
}

/* New inputs, and their serial results, written after the pool started. */
static void reseed(uint32_t salt)
{
	size_t i;

	for (i = 0; i < items.cap; i++) {
		items.in[i].seed = (uint32_t)i * 31u + salt;
		test_result_of(&items.in[i], &items.expect[i]);
	}
}

static void assert_pool_runs_maps_in_turn(enum amz_worker_kind kind)
{
	static const size_t sizes[] = {1000, 7, 100003, 0, 50000, 1};
	struct amz_map_opts o = {.workers = 3, .chunksize = 16, .kind = kind};
	struct amz_map_status st;
	struct amz_pool *p = amz_pool_new(&o, &st);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		reseed((uint32_t)i + 1);
		test_items_reset(&items, sizes[i]);
		o.schedule = i % 2 ? AMZ_SCHEDULE_FACTORING : AMZ_SCHEDULE_FIXED;
		if (pool_map_items(p, sizes[i], &o, &st) != 0)
			fail_msg("map %zu of %zu items: %s", i, sizes[i], st.msg);
		test_items_assert_done(&items, sizes[i], "pool map");
	}
	amz_pool_free(p);
	reseed(0);
}

static void test_pool_of_threads_runs_maps_in_turn(void **state)
{
	(void)state;
	assert_pool_runs_maps_in_turn(AMZ_THREADS);
}

static void test_pool_of_processes_runs_maps_in_turn(void **state)
{
	(void)state;
	assert_pool_runs_maps_in_turn(AMZ_PROCESSES);
}

static void assert_pool_survives_fn_error(enum amz_worker_kind kind)
{
	struct amz_map_opts o = {.workers = 2, .chunksize = 8, .kind = kind};
	struct amz_map_status st;
	struct amz_pool *p = amz_pool_new(&o, &st);

	assert_non_null(p);
	test_items_reset(&items, 1000);
	test_items_fail(&items, 100, TEST_FAIL_ERROR);
	assert_int_equal(pool_map_items(p, 1000, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_FN);

	test_items_reset(&items, 1000);
	assert_int_equal(pool_map_items(p, 1000, &o, &st), 0);
	test_items_assert_done(&items, 1000, "after an fn error");
	amz_pool_free(p);
}

static void test_pool_of_threads_survives_fn_error(void **state)
{
	(void)state;
	assert_pool_survives_fn_error(AMZ_THREADS);
}

static void test_pool_of_processes_survives_fn_error(void **state)
{
	(void)state;
	assert_pool_survives_fn_error(AMZ_PROCESSES);
}

static void test_pool_that_lost_a_worker_runs_no_more_maps(void **state)
{
	struct amz_map_opts o = {.workers = 3, .chunksize = 8, .kind = AMZ_PROCESSES};
	struct amz_map_status st;
	struct amz_pool *p = amz_pool_new(&o, &st);

	(void)state;
	assert_non_null(p);
	test_items_reset(&items, 1000);
	test_items_fail(&items, 100, TEST_FAIL_KILL);
	assert_int_equal(pool_map_items(p, 1000, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_WORKER);
	assert_int_equal(st.signal, SIGKILL);

	test_items_reset(&items, 1000);
	assert_int_equal(pool_map_items(p, 1000, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_BROKEN);
	assert_non_null(strstr(st.msg, "runs no more maps"));
	assert_true(test_item_untouched(&items, 0));
	amz_pool_free(p);
}

static int record_pid(const void *in, void *out, void *ctx)
{
	(void)in;
	(void)ctx;
	*(pid_t *)out = getpid();
	return 0;
}

static void test_worker_killed_between_maps_is_reported(void **state)
{
	struct amz_map_opts o = {.workers = 2, .chunksize = 1, .kind = AMZ_PROCESSES};
	struct amz_map_status st;
	struct amz_pool *p = amz_pool_new(&o, &st);
	siginfo_t info;
	pid_t pid = 0;

	(void)state;
	assert_non_null(p);
	assert_int_equal(amz_pool_map(p, record_pid, NULL, NULL, 0, &pid, sizeof(pid), 1, &o, &st),
			 0);
	assert_true(pid > 0 && pid != getpid());
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* Dead before the next map starts, but left for the pool to reap. */
	assert_int_equal(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);

	test_items_reset(&items, 1000);
	assert_int_equal(pool_map_items(p, 1000, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_WORKER);
	assert_int_equal(st.signal, SIGKILL);
	assert_int_equal(st.chunk_count, 0);
	assert_non_null(strstr(st.msg, "between chunks"));
	amz_pool_free(p);
}

static void test_worker_death_is_seen_without_pidfds(void **state)
{
	struct amz_map_opts o = {.workers = 3, .chunksize = 8, .kind = AMZ_PROCESSES};
	struct amz_map_status st;
	struct amz_pool *p;

	(void)state;
	pool_watch_by_pipes = true;
	p = amz_pool_new(&o, &st);
	assert_non_null(p);
	test_items_reset(&items, 1000);
	assert_int_equal(pool_map_items(p, 1000, &o, &st), 0);
	test_items_assert_done(&items, 1000, "watched through pipes");

	test_items_reset(&items, 1000);
	test_items_fail(&items, 100, TEST_FAIL_KILL);
	assert_int_equal(pool_map_items(p, 1000, &o, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_WORKER);
	assert_int_equal(st.signal, SIGKILL);
	assert_non_null(strstr(st.msg, "while running the chunk of items 96 to 103"));
	amz_pool_free(p);
	pool_watch_by_pipes = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_of_threads_runs_maps_in_turn),
		cmocka_unit_test(test_pool_of_processes_runs_maps_in_turn),
		cmocka_unit_test(test_pool_of_threads_survives_fn_error),
		cmocka_unit_test(test_pool_of_processes_survives_fn_error),
		cmocka_unit_test(test_pool_that_lost_a_worker_runs_no_more_maps),
		cmocka_unit_test(test_worker_killed_between_maps_is_reported),
		cmocka_unit_test(test_worker_death_is_seen_without_pidfds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
