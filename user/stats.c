/* Median, MAD and confidence of repeated measurements; mean and spread; a line fit. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

int stats_add(struct stats_samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

void stats_clear(struct stats_samples *s)
{
	s->n = 0;
}

void stats_free(struct stats_samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double stats_quantile_sorted(const double *sorted, size_t n, double q)
{
	double pos, frac;
	size_t i;

	if (!n)
		return 0;
	pos = q * (double)(n - 1);
	i = (size_t)pos;
	frac = pos - (double)i;
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

static void moments(const double *v, size_t n, double *mean, double *cv)
{
	double sum = 0, sq = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += v[i];
	*mean = sum / (double)n;
	for (i = 0; i < n; i++)
		sq += (v[i] - *mean) * (v[i] - *mean);
	*cv = n > 1 && *mean != 0 ? sqrt(sq / (double)(n - 1)) / fabs(*mean) : 0;
}

void stats_summarize(const struct stats_samples *s, struct stats_summary *out)
{
	double *sorted, *dev;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!s->n)
		return;
	sorted = malloc(s->n * sizeof(*sorted));
	dev = malloc(s->n * sizeof(*dev));
	if (!sorted || !dev) {
		free(sorted);
		free(dev);
		return;
	}

	memcpy(sorted, s->v, s->n * sizeof(*sorted));
	qsort(sorted, s->n, sizeof(*sorted), compare_doubles);
	out->n = s->n;
	out->median = stats_quantile_sorted(sorted, s->n, 0.5);
	out->min = sorted[0];
	out->max = sorted[s->n - 1];

	for (i = 0; i < s->n; i++)
		dev[i] = fabs(sorted[i] - out->median);
	qsort(dev, s->n, sizeof(*dev), compare_doubles);
	out->mad = stats_quantile_sorted(dev, s->n, 0.5);

	if (out->median != 0)
		out->ci95_rel =
			1.96 * 1.2533 * 1.4826 * out->mad / sqrt((double)s->n) / fabs(out->median);
	moments(s->v, s->n, &out->mean, &out->cv);
	free(sorted);
	free(dev);
}

bool stats_stable(const struct stats_summary *s, double target_rel, size_t min_n)
{
	return s->n >= min_n && s->ci95_rel <= target_rel;
}

void stats_fit_line(const double *x, const double *y, size_t n, double *a, double *b)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, d;
	size_t i;

	for (i = 0; i < n; i++) {
		sx += x[i];
		sy += y[i];
		sxx += x[i] * x[i];
		sxy += x[i] * y[i];
	}
	d = (double)n * sxx - sx * sx;
	*b = d != 0 ? ((double)n * sxy - sx * sy) / d : 0;
	*a = n ? (sy - *b * sx) / (double)n : 0;
}
