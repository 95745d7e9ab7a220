/* The concurrency over time: rebuilding each bucket's task time from the level changes the
 * kernel summed into it, and merging buckets into the points a trace keeps. */
#include <errno.h>
#include <string.h>

#include "tracer.h"

int trace_series_level(unsigned long long span_ns)
{
	int i;

	for (i = 0; i < AMZ_SERIES_LEVELS; i++) {
		unsigned int shift = AMZ_SERIES_SHIFT0 + (unsigned int)i * AMZ_SERIES_STEP;

		if ((span_ns >> shift) < AMZ_SERIES_BUCKETS)
			return i;
	}
	return -1;
}

/* The task time of bucket b, covering len of its width: the level at its start held for len,
 * plus each change inside it held from its time to the end of len. A change the kernel made
 * after span_ns was read (the run's last instant) would count negatively: clamped. */
static unsigned long long bucket_task_ns(long long level, long long delta, long long area,
					 unsigned long long width, unsigned long long len)
{
	long long v = level * (long long)len + area - delta * (long long)(width - len);

	return v > 0 ? (unsigned long long)v : 0;
}

void trace_series_from_buckets(struct amz_trace *t, const long long *delta, const long long *area,
			       unsigned int shift, long long level0, unsigned long long span_ns)
{
	unsigned long long width = 1ULL << shift;
	unsigned long long n = (span_ns + width - 1) >> shift, group, b;
	long long level = level0 > 0 ? level0 : 0;

	t->series_n = 0;
	t->series_span_ns = span_ns;
	memset(t->series_task_ns, 0, sizeof(t->series_task_ns));
	if (!n || n > AMZ_SERIES_BUCKETS)
		return;

	/* Adjacent buckets merge by adding their integrals, so the points stay exact. */
	group = (n + AMZ_TRACE_SERIES_POINTS - 1) / AMZ_TRACE_SERIES_POINTS;
	t->series_bucket_ns = width * group;
	for (b = 0; b < n; b++) {
		unsigned long long start = b << shift;
		unsigned long long len = span_ns - start < width ? span_ns - start : width;

		t->series_task_ns[b / group] +=
			bucket_task_ns(level, delta[b], area[b], width, len);
		level += delta[b];
		if (level < 0)
			level = 0;
	}
	t->series_n = (unsigned int)((n + group - 1) / group);
}

unsigned long long trace_series_len(const struct amz_trace *t, unsigned int i)
{
	unsigned long long start = (unsigned long long)i * t->series_bucket_ns;

	if (i >= t->series_n || start >= t->series_span_ns)
		return 0;
	return t->series_span_ns - start < t->series_bucket_ns ? t->series_span_ns - start
							       : t->series_bucket_ns;
}

double trace_series_mean(const struct amz_trace *t, unsigned int i)
{
	unsigned long long len = trace_series_len(t, i);

	return len ? (double)t->series_task_ns[i] / (double)len : 0;
}

json_object *trace_series_to_json(const struct amz_trace *t)
{
	json_object *o = json_object_new_object(), *points = json_object_new_array();
	unsigned int i;

	json_object_object_add(o, "bucket_ns", json_object_new_int64((int64_t)t->series_bucket_ns));
	json_object_object_add(o, "span_ns", json_object_new_int64((int64_t)t->series_span_ns));
	for (i = 0; i < t->series_n; i++)
		json_object_array_add(points, json_object_new_int64((int64_t)t->series_task_ns[i]));
	json_object_object_add(o, "task_ns", points);
	return o;
}

static int series_u64(json_object *o, const char *key, unsigned long long *out, struct amz_err *err)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return amz_fail(
			err, EINVAL,
			"the trace's parallelism.over_time.%s is not a non-negative integer", key);
	*out = (unsigned long long)json_object_get_int64(v);
	return 0;
}

int trace_series_from_json(json_object *o, struct amz_trace *t, struct amz_err *err)
{
	json_object *points = NULL;
	size_t i, n;

	if (!o)
		return 0;
	if (series_u64(o, "bucket_ns", &t->series_bucket_ns, err) < 0 ||
	    series_u64(o, "span_ns", &t->series_span_ns, err) < 0)
		return -1;
	if (!json_object_object_get_ex(o, "task_ns", &points) ||
	    !json_object_is_type(points, json_type_array))
		return amz_fail(err, EINVAL,
				"the trace's parallelism.over_time has no task_ns list");
	n = json_object_array_length(points);

	/* The points must tile the span exactly: one per bucket, the last one partial. */
	if (n > AMZ_TRACE_SERIES_POINTS || (n && !t->series_bucket_ns) ||
	    (n && (t->series_span_ns + t->series_bucket_ns - 1) / t->series_bucket_ns != n))
		return amz_fail(err, EINVAL,
				"the trace's parallelism.over_time has %zu points, which do not "
				"cover its span in buckets of its width",
				n);
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(points, i);

		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
			return amz_fail(err, EINVAL,
					"the trace's parallelism.over_time.task_ns holds a value "
					"that is not a non-negative integer");
		t->series_task_ns[i] = (unsigned long long)json_object_get_int64(v);
	}
	t->series_n = (unsigned int)n;
	return 0;
}
