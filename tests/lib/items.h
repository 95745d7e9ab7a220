/* Items with a known result for the pool's tests: numbered inputs, the results a serial loop
 * gives, per-item call counts that worker processes share with the test, and a way to make
 * the function fail, crash or die on one chosen item. */
#ifndef AMZ_TEST_ITEMS_H
#define AMZ_TEST_ITEMS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Sizes that are not powers of two, so that a stride error shows. */
struct test_item {
	uint32_t index;
	uint32_t seed;
	uint32_t spare;
};

struct test_result {
	uint32_t v[5];
};

enum test_failure {
	TEST_FAIL_NONE,
	TEST_FAIL_ERROR, /* fn returns TEST_FN_ERROR */
	TEST_FAIL_KILL,	 /* the worker sends itself SIGKILL */
	TEST_FAIL_SEGV,	 /* the worker dies of SIGSEGV */
	TEST_FAIL_EXIT,	 /* the worker exits with TEST_EXIT_STATUS */
};

#define TEST_FN_ERROR	 7
#define TEST_EXIT_STATUS 3

/* In MAP_SHARED memory made before any pool, so that forked workers count into it and see
 * failures chosen later. */
struct test_shared {
	_Atomic uint32_t fail_at;
	_Atomic int fail_how;
	_Atomic uint32_t calls[];
};

struct test_items {
	size_t cap;
	size_t n;
	struct test_item *in;
	struct test_result *out; /* cap + 1 results: out[n] is a guard nobody may write */
	struct test_result *expect;
	struct test_shared *shared;
};

/* Items 0 to cap-1, with expected results from a serial loop. */
void test_items_make(struct test_items *t, size_t cap);
void test_items_free(struct test_items *t);

/* Prepares a map over the first n items: results filled with a pattern, a guard after them,
 * call counts at zero, no failure. */
void test_items_reset(struct test_items *t, size_t n);
void test_items_fail(struct test_items *t, uint32_t index, enum test_failure how);

/* The function under test; ctx is the struct test_items. */
int test_item_fn(const void *in, void *out, void *ctx);
void test_result_of(const struct test_item *in, struct test_result *out);

/* Items [0, n) have their serial result and were processed exactly once; the guard is intact.
 * what names the case in a failure message. */
void test_items_assert_done(const struct test_items *t, size_t n, const char *what);

/* Item i has its serial result and was processed exactly once. */
int test_item_done(const struct test_items *t, size_t i);

/* Item i was never started: its result still holds the pattern and fn never saw it. */
int test_item_untouched(const struct test_items *t, size_t i);

#endif
