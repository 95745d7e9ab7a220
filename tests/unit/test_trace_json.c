/* Percentiles of log2 histograms stay within their documented bound, and a trace written as
 * JSON reads back into the same struct amz_trace. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tracer.h"

static void hist_put(struct amz_hist *h, unsigned long long v)
{
	unsigned int slot = 0;

	while (slot + 1 < AMZ_HIST_SLOTS && (v >> (slot + 1)))
		slot++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
	h->slot[slot]++;
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return (x > y) - (x < y);
}

static void test_percentile_of_empty_histogram_is_nan(void **state)
{
	struct amz_hist h = {0};

	(void)state;
	assert_true(isnan(trace_hist_percentile(&h, 0.5)));
	assert_true(isnan(trace_hist_mean(&h)));
}

static void test_percentile_one_is_the_exact_maximum(void **state)
{
	struct amz_hist h = {0};

	(void)state;
	hist_put(&h, 1000);
	hist_put(&h, 70000);
	hist_put(&h, 123457);
	assert_true(trace_hist_percentile(&h, 1.0) == 123457.0);
}

static void test_percentile_never_exceeds_the_maximum(void **state)
{
	struct amz_hist h = {0};
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		hist_put(&h, 3);
	assert_true(trace_hist_percentile(&h, 0.99) <= 3.0);
	assert_true(trace_hist_percentile(&h, 0.5) >= 2.0);
}

/* The documented bound: the estimate lies in the true value's slot, so within a factor 2. */
static void test_percentile_within_a_factor_of_two_of_the_exact_one(void **state)
{
	static const double ps[] = {0.01, 0.1, 0.5, 0.9, 0.99};
	unsigned long long v[1000];
	struct amz_hist h = {0};
	size_t i, k;

	(void)state;
	srand(42);
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		v[i] = 1000ULL + (unsigned long long)rand() % 5000000ULL;
		hist_put(&h, v[i]);
	}
	qsort(v, ARRAY_SIZE(v), sizeof(v[0]), cmp_u64);
	for (k = 0; k < ARRAY_SIZE(ps); k++) {
		size_t rank = (size_t)ceil(ps[k] * (double)ARRAY_SIZE(v));
		double exact = (double)v[rank - 1], est = trace_hist_percentile(&h, ps[k]);

		assert_true(est >= exact / 2.0 && est <= exact * 2.0);
	}
}

static void fill_bpf_trace(struct amz_trace *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	strcpy(t->source, "bpf");
	strcpy(t->attach_mode, "raw_tp");
	t->exit_status = 130;
	t->term_signal = 2;
	t->wall_ns = 512345678;
	t->rusage_known = true;
	t->user_ns = 11;
	t->sys_ns = 22;
	t->peak_rss_kib = 33;
	t->throttle_known = true;
	t->nr_periods = 44;
	t->nr_throttled = 5;
	t->throttled_ns = 66;
	t->k.c.processes = 7;
	t->k.c.threads = 5;
	t->k.c.execs = 8;
	t->k.c.lost_events = 3;
	t->k.c.chunks = 9;
	t->k.c.chunk_items = 27;
	t->k.c.cpu_ns = 123456789;
	t->k.c.conc_races = 1;
	for (i = 0; i < 50; i++) {
		hist_put(&t->k.spawn_ns, 250000 + i * 1000);
		hist_put(&t->k.clone_ns, 90000 + i);
		hist_put(&t->k.wakeup_ns, 1000 + i * 7);
		hist_put(&t->k.chunk_items_h, 3);
	}
	hist_put(&t->k.burst_ns, 0);
	hist_put(&t->k.burst_ns, 1ULL << 45);
	t->k.conc_ns[0] = 10;
	t->k.conc_ns[2] = 20;
	t->usdt_binaries = 1;
	t->bpf_run_ns = 1000;
	t->bpf_run_cnt = 4;
	t->tasks_seen = 2;
	t->ntop = 2;
	t->top[0].pid = 100;
	t->top[0].tgid = 100;
	t->top[0].cpu_ns = 500;
	t->top[0].wakeups = 7;
	strcpy(t->top[0].comm, "amz-worker");
	t->top[1].pid = 101;
	t->top[1].tgid = 100;
	t->top[1].is_thread = 1;
	t->top[1].bursts = 9;
	strcpy(t->top[1].comm, "0123456789abcde");
}

static void assert_round_trip(const struct amz_trace *t)
{
	struct amz_err err = {0};
	struct amz_trace back;
	json_object *doc = trace_to_json(t);
	json_object *reparsed = json_tokener_parse(json_object_to_json_string(doc));

	assert_non_null(reparsed);
	assert_int_equal(trace_from_json(reparsed, &back, &err), 0);
	assert_memory_equal(&back, t, sizeof(*t));
	json_object_put(doc);
	json_object_put(reparsed);
}

static void test_bpf_trace_reads_back_equal(void **state)
{
	struct amz_trace t;

	(void)state;
	fill_bpf_trace(&t);
	assert_round_trip(&t);
}

static void test_fallback_trace_reads_back_equal(void **state)
{
	struct amz_trace t;

	(void)state;
	memset(&t, 0, sizeof(t));
	strcpy(t.source, "userspace");
	strcpy(t.why_no_bpf, "cannot load the BPF programs: permission denied");
	t.exit_status = 3;
	t.rusage_known = true;
	t.user_ns = 5;
	t.sampled_every_ms = 10;
	t.sampled_processes = 4;
	t.sampled_threads = 2;
	assert_round_trip(&t);
}

static void test_fallback_marks_its_figures_and_omits_kernel_ones(void **state)
{
	struct amz_trace t;
	json_object *doc;

	(void)state;
	memset(&t, 0, sizeof(t));
	strcpy(t.source, "userspace");
	t.rusage_known = true;
	doc = trace_to_json(&t);
	assert_string_equal(json_object_get_string(json_object_object_get(doc, "source")),
			    "userspace");
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_object_get(doc, "tasks"), "source")),
			    "userspace");
	assert_false(test_json_has(doc, "spawn_latency_ns"));
	assert_false(test_json_has(doc, "wakeup_latency_ns"));
	assert_false(test_json_has(doc, "parallelism"));
	json_object_put(doc);
}

static void test_document_without_a_source_is_refused(void **state)
{
	json_object *doc = json_tokener_parse("{\"exit_status\": 0}");
	struct amz_err err = {0};
	struct amz_trace t;

	(void)state;
	assert_int_equal(trace_from_json(doc, &t, &err), -1);
	assert_non_null(strstr(err.msg, "not a trace"));
	json_object_put(doc);
}

static void test_histogram_slot_that_does_not_exist_is_refused(void **state)
{
	json_object *doc = json_tokener_parse(
		"{\"source\": \"bpf\", \"bursts_ns\": {\"count\": 1, \"log2_slots\": [[3, 1]]}}");
	struct amz_err err = {0};
	struct amz_trace t;

	(void)state;
	assert_int_equal(trace_from_json(doc, &t, &err), -1);
	assert_non_null(strstr(err.msg, "bursts_ns"));
	json_object_put(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile_of_empty_histogram_is_nan),
		cmocka_unit_test(test_percentile_one_is_the_exact_maximum),
		cmocka_unit_test(test_percentile_never_exceeds_the_maximum),
		cmocka_unit_test(test_percentile_within_a_factor_of_two_of_the_exact_one),
		cmocka_unit_test(test_bpf_trace_reads_back_equal),
		cmocka_unit_test(test_fallback_trace_reads_back_equal),
		cmocka_unit_test(test_fallback_marks_its_figures_and_omits_kernel_ones),
		cmocka_unit_test(test_document_without_a_source_is_refused),
		cmocka_unit_test(test_histogram_slot_that_does_not_exist_is_refused),
	};

	return cmocka_run_group_tests_name("trace_json", tests, NULL, NULL);
}
