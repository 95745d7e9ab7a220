/* Robust statistics over repeated measurements: median, MAD, the confidence of the median, and
 * mean and coefficient of variation for item times. */
#ifndef AMZ_STATS_H
#define AMZ_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* A growing set of samples (nanoseconds, or any unit). */
struct stats_samples {
	double *v;
	size_t n;
	size_t cap;
};

struct stats_summary {
	double median;
	double mad;	 /* median absolute deviation, unscaled */
	double ci95_rel; /* half-width of the 95% interval of the median, relative to it */
	double mean;
	double cv; /* standard deviation over mean */
	double min, max;
	size_t n;
};

int stats_add(struct stats_samples *s, double v);
void stats_clear(struct stats_samples *s);
void stats_free(struct stats_samples *s);

/* Summarises the samples; a summary of nothing is all zeros. The interval of the median uses
 * the MAD scaled to a standard deviation (1.4826) and the median's asymptotic efficiency
 * (1.2533), which holds for near-normal spreads and is conservative for heavy tails. */
void stats_summarize(const struct stats_samples *s, struct stats_summary *out);

/* Whether the median is known to within target_rel at 95%, with at least min_n samples. */
bool stats_stable(const struct stats_summary *s, double target_rel, size_t min_n);

/* The q-quantile (0..1) of a sorted array, interpolated linearly. */
double stats_quantile_sorted(const double *sorted, size_t n, double q);

/* Least-squares line y = a + b*x. */
void stats_fit_line(const double *x, const double *y, size_t n, double *a, double *b);

#endif
