/* Robust statistics: known medians, MADs, quantiles, line fits and the stability rule. */
#include <math.h>

#include "testutil.h"
#include "stats.h"

static void fill(struct stats_samples *s, const double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(stats_add(s, v[i]), 0);
}

static void test_median_and_mad_of_odd_set(void **state)
{
	const double v[] = {9, 1, 2, 2, 4, 6, 3};
	struct stats_samples s = {0};
	struct stats_summary sum;

	(void)state;
	fill(&s, v, 7);
	stats_summarize(&s, &sum);
	assert_true(sum.median == 3);
	assert_true(sum.mad == 1);
	assert_true(sum.min == 1 && sum.max == 9);
	assert_int_equal(sum.n, 7);
	stats_free(&s);
}

static void test_median_of_even_set_interpolates(void **state)
{
	const double v[] = {4, 1, 3, 2};
	struct stats_samples s = {0};
	struct stats_summary sum;

	(void)state;
	fill(&s, v, 4);
	stats_summarize(&s, &sum);
	assert_true(sum.median == 2.5);
	stats_free(&s);
}

static void test_one_outlier_moves_median_little(void **state)
{
	const double v[] = {100, 101, 99, 100, 102, 98, 100, 100000};
	struct stats_samples s = {0};
	struct stats_summary sum;

	(void)state;
	fill(&s, v, 8);
	stats_summarize(&s, &sum);
	assert_true(sum.median == 100);
	assert_true(sum.mad <= 1.5);
	assert_true(sum.mean > 10000);
	stats_free(&s);
}

static void test_mean_and_cv(void **state)
{
	const double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
	struct stats_samples s = {0};
	struct stats_summary sum;

	(void)state;
	fill(&s, v, 8);
	stats_summarize(&s, &sum);
	assert_true(sum.mean == 5);
	assert_true(fabs(sum.cv - sqrt(32.0 / 7.0) / 5.0) < 1e-12);
	stats_free(&s);
}

static void test_constant_samples_are_stable_at_once(void **state)
{
	struct stats_samples s = {0};
	struct stats_summary sum;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		stats_add(&s, 250);
	stats_summarize(&s, &sum);
	assert_true(sum.ci95_rel == 0);
	assert_true(stats_stable(&sum, 0.01, 10));
	assert_false(stats_stable(&sum, 0.01, 11));
	stats_free(&s);
}

static void test_interval_narrows_with_more_samples(void **state)
{
	struct stats_samples s = {0};
	struct stats_summary few, many;
	int i;

	(void)state;
	for (i = 0; i < 16; i++)
		stats_add(&s, 100 + (i % 4) * 10);
	stats_summarize(&s, &few);
	for (i = 0; i < 16 * 15; i++)
		stats_add(&s, 100 + (i % 4) * 10);
	stats_summarize(&s, &many);
	assert_true(many.ci95_rel < few.ci95_rel / 3);
	stats_free(&s);
}

static void test_empty_summary_is_zero(void **state)
{
	struct stats_samples s = {0};
	struct stats_summary sum;

	(void)state;
	stats_summarize(&s, &sum);
	assert_int_equal(sum.n, 0);
	assert_true(sum.median == 0);
	assert_false(stats_stable(&sum, 1, 1));
}

static void test_line_fit_recovers_slope_and_intercept(void **state)
{
	const double x[] = {0, 64, 256, 1024}, y[] = {200, 328, 712, 2248};
	double a, b;

	(void)state;
	stats_fit_line(x, y, 4, &a, &b);
	assert_true(fabs(a - 200) < 1e-9);
	assert_true(fabs(b - 2) < 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_and_mad_of_odd_set),
		cmocka_unit_test(test_median_of_even_set_interpolates),
		cmocka_unit_test(test_one_outlier_moves_median_little),
		cmocka_unit_test(test_mean_and_cv),
		cmocka_unit_test(test_constant_samples_are_stable_at_once),
		cmocka_unit_test(test_interval_narrows_with_more_samples),
		cmocka_unit_test(test_empty_summary_is_zero),
		cmocka_unit_test(test_line_fit_recovers_slope_and_intercept),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
