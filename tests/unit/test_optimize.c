/* amz_optimize and amz_map_auto: random samples across the input, this host's costs from the
 * saved profile or a calibration in user space, a recommendation with the source of each
 * figure, and the map run with it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "amorsize.h"

static char store[64];

static int setup(void **state)
{
	(void)state;
	return test_temp_dir(store, sizeof(store), "amz-optimize");
}

static int teardown(void **state)
{
	(void)state;
	return test_remove_tree(store);
}

/* Items whose value is the number of microseconds of CPU work they take. */
static int burn(const void *in, void *out, void *ctx)
{
	uint64_t x = *(const uint32_t *)in, iters = x * 600, i;

	(void)ctx;
	for (i = 0; i < iters; i++)
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	*(uint64_t *)out = x;
	return 0;
}

static uint32_t *items_of(size_t n, uint32_t us)
{
	uint32_t *in = malloc(n * sizeof(*in));
	size_t i;

	assert_non_null(in);
	for (i = 0; i < n; i++)
		in[i] = us;
	return in;
}

/* This CPU's time for one item of the given value: the least of a few runs. */
static double cpu_ns_of(uint32_t value)
{
	double least = INFINITY;
	uint64_t out;
	int i;

	for (i = 0; i < 5; i++) {
		struct timespec a, b;
		double ns;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
		burn(&value, &out, NULL);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
		ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
		least = fmin(least, ns);
	}
	return least;
}

static void optimize(uint32_t *in, uint64_t *out, size_t n, enum amz_worker_kind kind,
		     struct amz_recommendation *rec)
{
	struct amz_optimize_opts o = {.kind = kind, .store = store};
	struct amz_map_status st;

	if (amz_optimize(burn, NULL, in, sizeof(*in), out, sizeof(*out), n, &o, rec, &st) < 0)
		fail_msg("%s", st.msg);
}

static void test_heavy_alike_items_use_every_cpu(void **state)
{
	size_t n = 2000;
	uint32_t *in = items_of(n, 200);
	uint64_t *out = calloc(n, sizeof(*out));
	struct amz_recommendation rec;

	(void)state;
	optimize(in, out, n, AMZ_THREADS, &rec);
	assert_false(rec.serial);
	assert_int_equal(rec.workers, (size_t)rec.cpus.value);
	assert_true(rec.speedup > 0.8 * rec.cpus.value);
	assert_true(rec.chunksize >= 1 && rec.chunksize <= n);
	assert_true(rec.item_ns.value > 0.5 * cpu_ns_of(200));
	assert_non_null(strstr(rec.item_ns.source, "sampled"));
	assert_int_equal(rec.curve_len, (size_t)(2 * rec.cpus.value));
	amz_recommendation_free(&rec);
	free(in);
	free(out);
}

static void test_trivial_items_run_serially_with_processes(void **state)
{
	size_t n = 20;
	uint32_t *in = items_of(n, 0);
	uint64_t *out = calloc(n, sizeof(*out));
	struct amz_recommendation rec;

	(void)state;
	optimize(in, out, n, AMZ_PROCESSES, &rec);
	assert_true(rec.serial);
	assert_int_equal(rec.workers, 1);
	assert_non_null(strstr(rec.reason, "serially"));
	amz_recommendation_free(&rec);
	free(in);
	free(out);
}

struct seen {
	size_t n;
	size_t calls[64];
	const uint32_t *base;
};

static int record(const void *in, void *out, void *ctx)
{
	struct seen *s = ctx;

	(void)out;
	if (s->n < 64)
		s->calls[s->n++] = (size_t)((const uint32_t *)in - s->base);
	return 0;
}

static void test_sampled_items_come_from_every_part_of_the_input(void **state)
{
	struct amz_optimize_opts o = {.kind = AMZ_THREADS, .max_samples = 16, .store = store};
	size_t n = 100000, i, quarter[4] = {0};
	uint32_t *in = items_of(n, 0);
	uint64_t *out = calloc(n, sizeof(*out));
	struct seen s = {.base = in};
	struct amz_recommendation rec;
	struct amz_map_status st;

	(void)state;
	assert_int_equal(
		amz_optimize(record, &s, in, sizeof(*in), out, sizeof(*out), n, &o, &rec, &st), 0);
	assert_int_equal(s.n, 16);
	for (i = 0; i < s.n; i++)
		quarter[s.calls[i] * 4 / n]++;
	for (i = 0; i < 4; i++)
		assert_int_equal(quarter[i], 4);
	/* Not the first few: the samples are spread, and differ from the first indices. */
	assert_true(s.calls[1] > 1000);
	amz_recommendation_free(&rec);
	free(in);
	free(out);
}

static void test_work_that_grows_along_the_input_is_seen_whole(void **state)
{
	size_t n = 4000, i;
	uint32_t *in = items_of(n, 20);
	uint64_t *out = calloc(n, sizeof(*out));
	struct amz_recommendation rec;
	double fast = cpu_ns_of(20), slow = cpu_ns_of(380);

	(void)state;
	for (i = n / 2; i < n; i++)
		in[i] = 380;
	optimize(in, out, n, AMZ_THREADS, &rec);
	/* The mean is halfway between the two halves: the fast first half alone would say less
	 * than a tenth of it. */
	assert_true(rec.item_ns.value > 0.6 * (fast + slow) / 2);
	assert_true(rec.item_cv.value > 0.5);
	amz_recommendation_free(&rec);
	free(in);
	free(out);
}

static int fail_always(const void *in, void *out, void *ctx)
{
	(void)in;
	(void)out;
	(void)ctx;
	return 7;
}

static void test_function_error_on_a_sample_is_reported(void **state)
{
	struct amz_optimize_opts o = {.kind = AMZ_THREADS, .store = store};
	uint32_t *in = items_of(10, 1);
	uint64_t out[10];
	struct amz_recommendation rec;
	struct amz_map_status st;

	(void)state;
	assert_int_equal(amz_optimize(fail_always, NULL, in, sizeof(*in), out, sizeof(*out), 10, &o,
				      &rec, &st),
			 -1);
	assert_int_equal(st.code, AMZ_ERR_FN);
	assert_int_equal(st.fn_error, 7);
	assert_non_null(strstr(st.msg, "sampled item"));
	free(in);
}

static void test_zero_items_is_serial(void **state)
{
	struct amz_optimize_opts o = {.kind = AMZ_PROCESSES, .store = store};
	struct amz_recommendation rec;
	struct amz_map_status st;

	(void)state;
	assert_int_equal(amz_optimize(burn, NULL, NULL, 4, NULL, 8, 0, &o, &rec, &st), 0);
	assert_true(rec.serial);
	amz_recommendation_free(&rec);
}

static void test_bad_arguments_are_refused(void **state)
{
	struct amz_optimize_opts o = {.kind = AMZ_THREADS, .store = store};
	struct amz_optimize_opts bad = {.kind = (enum amz_worker_kind)9, .store = store};
	struct amz_recommendation rec;
	struct amz_map_status st;
	uint32_t in = 1;
	uint64_t out;

	(void)state;
	assert_int_equal(amz_optimize(NULL, NULL, &in, 4, &out, 8, 1, &o, &rec, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_ARG);
	assert_int_equal(amz_optimize(burn, NULL, NULL, 4, &out, 8, 1, &o, &rec, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_ARG);
	assert_int_equal(amz_optimize(burn, NULL, &in, 4, &out, 8, 1, &bad, &rec, &st), -1);
	assert_int_equal(st.code, AMZ_ERR_ARG);
	assert_int_equal(amz_optimize(burn, NULL, &in, 4, &out, 8, 1, NULL, &rec, &st), -1);
}

static void test_without_a_host_profile_costs_are_calibrated_and_said(void **state)
{
	size_t n = 100;
	uint32_t *in = items_of(n, 5);
	uint64_t *out = calloc(n, sizeof(*out));
	struct amz_recommendation rec;

	(void)state;
	optimize(in, out, n, AMZ_PROCESSES, &rec);
	assert_non_null(strstr(rec.costs, "calibrated now in user space"));
	assert_non_null(strstr(rec.spawn_ns.source, "calibration"));
	amz_recommendation_free(&rec);
	free(in);
	free(out);
}

static void test_saved_host_profile_is_used(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"),
			"calibrate",
			"--quick",
			"--store",
			"/tmp/amz-optimize-saved",
			NULL};
	struct amz_optimize_opts o = {.kind = AMZ_THREADS, .store = "/tmp/amz-optimize-saved"};
	uint32_t *in = items_of(50, 5);
	uint64_t out[50];
	struct amz_recommendation rec;
	struct amz_map_status st;
	struct test_run r;

	(void)state;
	assert_int_equal(system("rm -rf /tmp/amz-optimize-saved"), 0);
	test_run(&r, argv);
	assert_int_equal(r.status, 0);
	test_run_free(&r);
	assert_int_equal(amz_optimize(burn, NULL, in, 4, out, 8, 50, &o, &rec, &st), 0);
	assert_non_null(strstr(rec.costs, "saved host profile"));
	amz_recommendation_free(&rec);
	assert_int_equal(system("rm -rf /tmp/amz-optimize-saved"), 0);
	free(in);
}

static void test_map_auto_gives_the_serial_loops_results(void **state)
{
	struct amz_optimize_opts o = {.kind = AMZ_PROCESSES, .store = store};
	size_t n = 3000, i;
	uint32_t *in = items_of(n, 0);
	uint64_t *out = calloc(n, sizeof(*out)), expect;
	struct amz_recommendation rec;
	struct amz_map_status st;

	(void)state;
	for (i = 0; i < n; i++)
		in[i] = (uint32_t)(i % 50);
	assert_int_equal(
		amz_map_auto(burn, NULL, in, sizeof(*in), out, sizeof(*out), n, &o, &rec, &st), 0);
	for (i = 0; i < n; i++) {
		burn(&in[i], &expect, NULL);
		assert_true(out[i] == expect);
	}
	assert_true(rec.workers >= 1);
	amz_recommendation_free(&rec);
	free(in);
	free(out);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_without_a_host_profile_costs_are_calibrated_and_said),
		T(test_heavy_alike_items_use_every_cpu),
		T(test_trivial_items_run_serially_with_processes),
		T(test_sampled_items_come_from_every_part_of_the_input),
		T(test_work_that_grows_along_the_input_is_seen_whole),
		T(test_function_error_on_a_sample_is_reported),
		T(test_zero_items_is_serial),
		T(test_bad_arguments_are_refused),
		T(test_saved_host_profile_is_used),
		T(test_map_auto_gives_the_serial_loops_results),
	};

	return cmocka_run_group_tests_name("optimize", tests, NULL, NULL);
}
