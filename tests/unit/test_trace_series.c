/* The concurrency over time: the kernel's per-bucket sums of level changes rebuild each
 * bucket's exact task time, merged points stay exact, and the series survives JSON. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tracer.h"

/* What the BPF program adds for a change of delta at pos (ns from the origin), at one level. */
static void kernel_add(long long *delta, long long *area, unsigned int shift,
		       unsigned long long pos, long long d)
{
	unsigned long long b = pos >> shift;

	if (b >= AMZ_SERIES_BUCKETS)
		return;
	delta[b] += d;
	area[b] += d * (long long)(((b + 1) << shift) - pos);
}

struct change {
	unsigned long long at;
	long long delta;
};

/* The task time in [from, to) by walking the changes: the definition, not the formula. */
static unsigned long long exact_task_ns(const struct change *c, size_t n, long long level0,
					unsigned long long from, unsigned long long to)
{
	unsigned long long sum = 0, t = 0;
	long long level = level0;
	size_t i;

	for (i = 0; i <= n; i++) {
		unsigned long long next = i < n ? c[i].at : to;
		unsigned long long lo = t > from ? t : from, hi = next < to ? next : to;

		if (hi > lo)
			sum += (unsigned long long)level * (hi - lo);
		if (i < n) {
			level += c[i].delta;
			t = c[i].at;
		}
	}
	return sum;
}

static struct change *random_changes(size_t n, unsigned long long span, long long level0)
{
	struct change *c = calloc(n, sizeof(*c));
	long long level = level0;
	size_t i;

	for (i = 0; i < n; i++) {
		c[i].at = span * (i + 1) / (n + 2) + (unsigned long long)(rand() % 1000);
		c[i].delta = level == 0 || (level < 8 && rand() % 2) ? 1 : -1;
		level += c[i].delta;
	}
	return c;
}

static void check_series_is_exact(unsigned int level, unsigned long long span, size_t nchanges)
{
	unsigned int shift = AMZ_SERIES_SHIFT0 + level * AMZ_SERIES_STEP;
	long long *delta = calloc(AMZ_SERIES_BUCKETS, sizeof(*delta));
	long long *area = calloc(AMZ_SERIES_BUCKETS, sizeof(*area));
	struct change *c = random_changes(nchanges, span, 2);
	struct amz_trace *t = calloc(1, sizeof(*t));
	unsigned long long total = 0;
	unsigned int i;

	for (i = 0; i < nchanges; i++)
		kernel_add(delta, area, shift, c[i].at, c[i].delta);
	trace_series_from_buckets(t, delta, area, shift, 2, span);

	assert_true(t->series_n > 0 && t->series_n <= AMZ_TRACE_SERIES_POINTS);
	for (i = 0; i < t->series_n; i++) {
		unsigned long long from = (unsigned long long)i * t->series_bucket_ns;

		assert_int_equal(
			t->series_task_ns[i],
			exact_task_ns(c, nchanges, 2, from, from + trace_series_len(t, i)));
		total += trace_series_len(t, i);
	}
	assert_int_equal(total, span);
	free(delta);
	free(area);
	free(c);
	free(t);
}

static void test_each_bucket_holds_its_exact_task_time(void **state)
{
	(void)state;
	srand(7);
	check_series_is_exact(0, 300000000ULL, 5000);
}

static void test_buckets_merged_into_points_stay_exact(void **state)
{
	(void)state;
	srand(8);
	/* 2000 buckets of the finest level, merged four by four into 500 points. */
	check_series_is_exact(0, 2000ULL << AMZ_SERIES_SHIFT0, 3000);
}

static void test_a_level_held_across_many_buckets_fills_them_all(void **state)
{
	unsigned int shift = AMZ_SERIES_SHIFT0;
	long long delta[AMZ_SERIES_BUCKETS] = {0}, area[AMZ_SERIES_BUCKETS] = {0};
	struct amz_trace *t = calloc(1, sizeof(*t));
	unsigned long long w = 1ULL << shift;

	(void)state;
	/* Three tasks from the middle of bucket 1 to the middle of bucket 5. */
	kernel_add(delta, area, shift, w + w / 2, 3);
	kernel_add(delta, area, shift, 5 * w + w / 2, -3);
	trace_series_from_buckets(t, delta, area, shift, 0, 8 * w);

	assert_int_equal(t->series_n, 8);
	assert_int_equal(t->series_task_ns[0], 0);
	assert_int_equal(t->series_task_ns[1], 3 * (w / 2));
	assert_int_equal(t->series_task_ns[3], 3 * w);
	assert_int_equal(t->series_task_ns[5], 3 * (w / 2));
	assert_true(trace_series_mean(t, 3) == 3.0);
	assert_int_equal(t->series_task_ns[7], 0);
	free(t);
}

static void test_finest_level_that_spans_the_run_is_chosen(void **state)
{
	(void)state;
	assert_int_equal(trace_series_level(1000000ULL), 0);
	assert_int_equal(trace_series_level(5000000000ULL), 1);
	assert_int_equal(trace_series_level(60ULL * 1000000000ULL), 2);
	assert_int_equal(trace_series_level(3600ULL * 1000000000ULL), 3);
	assert_int_equal(trace_series_level(5ULL * 3600 * 1000000000ULL), -1);
}

static void test_series_reads_back_from_json_equal(void **state)
{
	struct amz_trace *t = calloc(1, sizeof(*t)), *back = calloc(1, sizeof(*back));
	struct amz_err err = {0};
	json_object *doc, *again;
	unsigned int i;

	(void)state;
	strcpy(t->source, "bpf");
	t->series_n = 3;
	t->series_bucket_ns = 1000;
	t->series_span_ns = 2500;
	for (i = 0; i < 3; i++)
		t->series_task_ns[i] = 700 * (i + 1);
	doc = trace_to_json(t);
	again = json_tokener_parse(json_object_to_json_string(doc));
	assert_int_equal(trace_from_json(again, back, &err), 0);
	assert_memory_equal(back, t, sizeof(*t));
	json_object_put(doc);
	json_object_put(again);
	free(t);
	free(back);
}

static void test_series_whose_points_do_not_tile_the_span_is_refused(void **state)
{
	const char *doc = "{\"source\":\"bpf\",\"parallelism\":{\"over_time\":"
			  "{\"bucket_ns\":1000,\"span_ns\":9000,\"task_ns\":[1,2]}}}";
	struct amz_trace *t = calloc(1, sizeof(*t));
	struct amz_err err = {0};
	json_object *o = json_tokener_parse(doc);

	(void)state;
	assert_int_equal(trace_from_json(o, t, &err), -1);
	assert_non_null(strstr(err.msg, "over_time"));
	json_object_put(o);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_bucket_holds_its_exact_task_time),
		cmocka_unit_test(test_buckets_merged_into_points_stay_exact),
		cmocka_unit_test(test_a_level_held_across_many_buckets_fills_them_all),
		cmocka_unit_test(test_finest_level_that_spans_the_run_is_chosen),
		cmocka_unit_test(test_series_reads_back_from_json_equal),
		cmocka_unit_test(test_series_whose_points_do_not_tile_the_span_is_refused),
	};

	return cmocka_run_group_tests_name("trace_series", tests, NULL, NULL);
}
