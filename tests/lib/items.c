/* Items with known results, shared call counts and failure injection for the pool's tests. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "items.h"

#define PATTERN 0x5a

static size_t shared_bytes(size_t cap)
{
	return sizeof(struct test_shared) + cap * sizeof(_Atomic uint32_t);
}

void test_result_of(const struct test_item *in, struct test_result *out)
{
	uint32_t x = in->index * 0x9e3779b9u + in->seed;
	int j;

	for (j = 0; j < 5; j++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out->v[j] = x + (uint32_t)j;
	}
}

void test_items_make(struct test_items *t, size_t cap)
{
	size_t i;
	void *m;

	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->in = calloc(cap + 1, sizeof(*t->in));
	t->out = calloc(cap + 1, sizeof(*t->out));
	t->expect = calloc(cap + 1, sizeof(*t->expect));
	m = mmap(NULL, shared_bytes(cap), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		 0);
	assert_true(t->in && t->out && t->expect && m != MAP_FAILED);
	t->shared = m;

	for (i = 0; i < cap; i++) {
		t->in[i].index = (uint32_t)i;
		t->in[i].seed = (uint32_t)(i * 7919u + 13u);
		test_result_of(&t->in[i], &t->expect[i]);
	}
	test_items_reset(t, cap);
}

void test_items_free(struct test_items *t)
{
	free(t->in);
	free(t->out);
	free(t->expect);
	munmap(t->shared, shared_bytes(t->cap));
	memset(t, 0, sizeof(*t));
}

void test_items_reset(struct test_items *t, size_t n)
{
	size_t i;

	assert_true(n <= t->cap);
	t->n = n;
	memset(t->out, PATTERN, (t->cap + 1) * sizeof(*t->out));
	for (i = 0; i < t->cap; i++)
		atomic_store(&t->shared->calls[i], 0);
	test_items_fail(t, UINT32_MAX, TEST_FAIL_NONE);
}

void test_items_fail(struct test_items *t, uint32_t index, enum test_failure how)
{
	atomic_store(&t->shared->fail_at, index);
	atomic_store(&t->shared->fail_how, (int)how);
}

static int misbehave(enum test_failure how)
{
	switch (how) {
	case TEST_FAIL_ERROR:
		return TEST_FN_ERROR;
	case TEST_FAIL_KILL:
		kill(getpid(), SIGKILL);
		break;
	case TEST_FAIL_SEGV:
		/* The default action, not a sanitizer's handler that would exit instead. */
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
		break;
	case TEST_FAIL_EXIT:
		_exit(TEST_EXIT_STATUS);
	case TEST_FAIL_NONE:
		break;
	}
	return 0;
}

int test_item_fn(const void *in, void *out, void *ctx)
{
	const struct test_item *it = in;
	struct test_items *t = ctx;
	int rc;

	atomic_fetch_add(&t->shared->calls[it->index], 1);
	if (it->index == atomic_load(&t->shared->fail_at)) {
		rc = misbehave((enum test_failure)atomic_load(&t->shared->fail_how));
		if (rc)
			return rc;
	}
	test_result_of(it, out);
	return 0;
}

int test_item_done(const struct test_items *t, size_t i)
{
	return memcmp(&t->out[i], &t->expect[i], sizeof(t->out[i])) == 0 &&
	       atomic_load(&t->shared->calls[i]) == 1;
}

static int holds_pattern(const struct test_result *r)
{
	struct test_result pattern;

	memset(&pattern, PATTERN, sizeof(pattern));
	return memcmp(r, &pattern, sizeof(pattern)) == 0;
}

int test_item_untouched(const struct test_items *t, size_t i)
{
	return holds_pattern(&t->out[i]) && atomic_load(&t->shared->calls[i]) == 0;
}

void test_items_assert_done(const struct test_items *t, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!test_item_done(t, i))
			fail_msg("%s: item %zu has %s (called %u times)", what, i,
				 memcmp(&t->out[i], &t->expect[i], sizeof(t->out[i]))
					 ? "a result unlike the serial loop's"
					 : "the right result",
				 (unsigned)atomic_load(&t->shared->calls[i]));
	}
	if (!holds_pattern(&t->out[n]))
		fail_msg("%s: the result after the last item was overwritten", what);
}
