/* Bad arguments to the map calls: each is refused with AMZ_ERR_ARG and a sentence that names
 * it, before any worker starts or any item is touched. */
#include <string.h>

#include "amorsize.h"
#include "items.h"
#include "testutil.h"

#define N 100

static struct test_items items;

static int setup(void **state)
{
	(void)state;
	test_items_make(&items, N);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_items_free(&items);
	return 0;
}

static struct amz_map_opts good_opts(void)
{
	return (struct amz_map_opts){.workers = 2, .chunksize = 4, .kind = AMZ_THREADS};
}

static void assert_refused(int rc, const struct amz_map_status *st, const char *fragment)
{
	size_t i;

	assert_int_equal(rc, -1);
	assert_int_equal(st->code, AMZ_ERR_ARG);
	assert_non_null(strstr(st->msg, "the map cannot run: "));
	if (!strstr(st->msg, fragment))
		fail_msg("'%s' does not say '%s'", st->msg, fragment);
	for (i = 0; i < N; i++)
		assert_true(test_item_untouched(&items, i));
}

static void assert_map_refused(const struct amz_map_opts *o, const char *fragment)
{
	struct amz_map_status st;
	int rc;

	test_items_reset(&items, N);
	rc = amz_map(test_item_fn, &items, items.in, sizeof(*items.in), items.out,
		     sizeof(*items.out), N, o, &st);
	assert_refused(rc, &st, fragment);
}

static void test_null_function_is_refused(void **state)
{
	struct amz_map_opts o = good_opts();
	struct amz_map_status st;

	(void)state;
	test_items_reset(&items, N);
	assert_refused(amz_map(NULL, NULL, items.in, 12, items.out, 20, N, &o, &st), &st,
		       "the function is NULL");
}

static void test_null_options_are_refused(void **state)
{
	(void)state;
	assert_map_refused(NULL, "the options are NULL");
}

static void test_zero_workers_are_refused(void **state)
{
	struct amz_map_opts o = good_opts();

	(void)state;
	o.workers = 0;
	assert_map_refused(&o, "0 workers were asked for");
}

static void test_too_many_workers_are_refused(void **state)
{
	struct amz_map_opts o = good_opts();

	(void)state;
	o.workers = AMZ_MAX_WORKERS + 1;
	assert_map_refused(&o, "1025 workers were asked for");
}

static void test_zero_chunk_size_is_refused(void **state)
{
	struct amz_map_opts o = good_opts();

	(void)state;
	o.chunksize = 0;
	assert_map_refused(&o, "the chunk size is 0");
}

static void test_unknown_worker_kind_is_refused(void **state)
{
	struct amz_map_opts o = good_opts();

	(void)state;
	o.kind = (enum amz_worker_kind)7;
	assert_map_refused(&o, "the worker kind 7 is neither");
}

static void test_unknown_schedule_is_refused(void **state)
{
	struct amz_map_opts o = good_opts();

	(void)state;
	o.schedule = (enum amz_schedule)9;
	assert_map_refused(&o, "the schedule 9 is neither");
}

static void test_null_input_with_items_is_refused(void **state)
{
	struct amz_map_opts o = good_opts();
	struct amz_map_status st;

	(void)state;
	test_items_reset(&items, N);
	assert_refused(amz_map(test_item_fn, &items, NULL, 12, items.out, 20, N, &o, &st), &st,
		       "in is NULL, but 100 items of 12 bytes");
}

static void test_null_output_with_items_is_refused(void **state)
{
	struct amz_map_opts o = good_opts();
	struct amz_map_status st;

	(void)state;
	test_items_reset(&items, N);
	assert_refused(amz_map(test_item_fn, &items, items.in, 12, NULL, 20, N, &o, &st), &st,
		       "out is NULL, but 100 results of 20 bytes");
}

static void test_sizes_that_overflow_are_refused(void **state)
{
	struct amz_map_opts o = good_opts();
	struct amz_map_status st;

	(void)state;
	test_items_reset(&items, N);
	assert_refused(
		amz_map(test_item_fn, &items, items.in, SIZE_MAX / 2, items.out, 20, N, &o, &st),
		&st, "do not fit in memory");
}

static void test_partly_overlapping_buffers_are_refused(void **state)
{
	struct amz_map_opts o = good_opts();
	struct amz_map_status st;
	char *buf = (char *)items.out;

	(void)state;
	test_items_reset(&items, N);
	assert_refused(amz_map(test_item_fn, &items, buf, 8, buf + 4, 8, N / 2, &o, &st), &st,
		       "in and out overlap");
}

static void test_null_pool_is_refused(void **state)
{
	struct amz_map_opts o = good_opts();
	struct amz_map_status st;

	(void)state;
	test_items_reset(&items, N);
	assert_refused(
		amz_pool_map(NULL, test_item_fn, &items, items.in, 12, items.out, 20, N, &o, &st),
		&st, "the pool is NULL");
}

static void test_options_unlike_the_pool_are_refused(void **state)
{
	struct amz_map_opts o = good_opts();
	struct amz_map_status st;
	struct amz_pool *p = amz_pool_new(&o, &st);

	(void)state;
	assert_non_null(p);
	test_items_reset(&items, N);
	o.workers = 3;
	assert_refused(
		amz_pool_map(p, test_item_fn, &items, items.in, 12, items.out, 20, N, &o, &st), &st,
		"the options ask for 3 worker threads, but the pool has 2");
	amz_pool_free(p);
}

static void test_pool_with_zero_workers_is_refused(void **state)
{
	struct amz_map_opts o = good_opts();
	struct amz_map_status st;

	(void)state;
	o.workers = 0;
	assert_null(amz_pool_new(&o, &st));
	assert_int_equal(st.code, AMZ_ERR_ARG);
	assert_non_null(strstr(st.msg, "0 workers were asked for"));
}

static void test_missing_status_still_returns_the_error(void **state)
{
	struct amz_map_opts o = good_opts();

	(void)state;
	o.chunksize = 0;
	assert_int_equal(amz_map(test_item_fn, &items, items.in, 12, items.out, 20, N, &o, NULL),
			 -1);
	assert_null(amz_pool_new(NULL, NULL));
	amz_pool_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_function_is_refused),
		cmocka_unit_test(test_null_options_are_refused),
		cmocka_unit_test(test_zero_workers_are_refused),
		cmocka_unit_test(test_too_many_workers_are_refused),
		cmocka_unit_test(test_zero_chunk_size_is_refused),
		cmocka_unit_test(test_unknown_worker_kind_is_refused),
		cmocka_unit_test(test_unknown_schedule_is_refused),
		cmocka_unit_test(test_null_input_with_items_is_refused),
		cmocka_unit_test(test_null_output_with_items_is_refused),
		cmocka_unit_test(test_sizes_that_overflow_are_refused),
		cmocka_unit_test(test_partly_overlapping_buffers_are_refused),
		cmocka_unit_test(test_null_pool_is_refused),
		cmocka_unit_test(test_options_unlike_the_pool_are_refused),
		cmocka_unit_test(test_pool_with_zero_workers_is_refused),
		cmocka_unit_test(test_missing_status_still_returns_the_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
