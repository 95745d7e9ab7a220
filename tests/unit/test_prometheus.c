/* Prometheus export: what it writes passes an independent check of the exposition format,
 * carries the host's limits in base units, escapes label values and leaves unknowns out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "promcheck.h"
#include "report_prometheus.h"

static void detect_fixture(struct amz_host *h, const char *name)
{
	struct host_opts o = {.no_env = true};
	struct amz_err err = {0};
	char root[512];

	snprintf(root, sizeof(root), "%s/tests/fixtures/sysroot/%s", AMZ_SOURCE_DIR, name);
	o.sysroot = root;
	if (host_detect(h, &o, &err) < 0)
		fail_msg("%s", err.msg);
}

static char *export_text(const struct prom_export *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(report_prometheus(f, e), 0);
	fclose(f);
	return buf;
}

static void assert_valid(const char *text)
{
	char why[128];
	int line = promcheck(text, why, sizeof(why));

	if (line)
		fail_msg("line %d: %s\n%s", line, why, text);
}

static void assert_invalid(const char *text, const char *fragment)
{
	char why[128] = "";

	assert_true(promcheck(text, why, sizeof(why)) > 0);
	if (!strstr(why, fragment))
		fail_msg("expected '%s', got '%s'", fragment, why);
}

static void test_checker_rejects_malformed_files(void **state)
{
	(void)state;
	assert_invalid("x 1\n", "without a TYPE");
	assert_invalid("# TYPE x gauge\nx 1\nx 2\n", "same series twice");
	assert_invalid("# TYPE x gauge\nx{a=\"\\q\"} 1\n", "bad escape");
	assert_invalid("# TYPE x gauge\nx 1", "newline");
	assert_invalid("# TYPE x gauge\nx 1\n# HELP x late\n", "after the family's samples");
	assert_invalid("# TYPE x gauge\nx one\n", "bad value");
	assert_invalid("# TYPE x widget\n", "unknown TYPE");
	assert_invalid("# TYPE 9x gauge\n", "bad metric name");
	assert_valid("# HELP x h\n# TYPE x gauge\nx{a=\"\\\"q\\\\\\n\"} 1.5e-09\nx{a=\"b\"} NaN\n");
}

static void test_host_limits_are_exported_in_base_units(void **state)
{
	struct amz_host h;
	struct prom_export e = {.host = &h};
	char *text;
	double v;

	(void)state;
	detect_fixture(&h, "docker-v1-quota-1.5");
	text = export_text(&e);
	assert_valid(text);
	assert_true(promcheck_value(text, "amzprof_host_cpu_quota", &v));
	assert_true(v == 1.5);
	assert_true(promcheck_value(text, "amzprof_host_cpus_usable", &v));
	assert_true(v == h.usable.x);
	assert_true(promcheck_value(text, "amzprof_host_memory_total_bytes", &v));
	assert_true(v == (double)h.mem_total.n);
	free(text);
	host_free(&h);
}

static void test_absent_limits_are_left_out(void **state)
{
	struct amz_host h;
	struct prom_export e = {.host = &h};
	char *text;
	double v;

	(void)state;
	detect_fixture(&h, "v2-host");
	text = export_text(&e);
	assert_valid(text);
	assert_false(promcheck_value(text, "amzprof_host_cpu_quota", &v));
	assert_null(strstr(text, "amzprof_calibration"));
	free(text);
	host_free(&h);
}

static void test_label_values_are_escaped(void **state)
{
	struct amz_host h;
	struct prom_export e = {.host = &h};
	char *text;

	(void)state;
	detect_fixture(&h, "v2-host");
	free(h.cpu_model);
	h.cpu_model = strdup("a \"quoted\" \\ model\nwith a newline");
	text = export_text(&e);
	assert_valid(text);
	assert_non_null(strstr(text, "cpu_model=\"a \\\"quoted\\\" \\\\ model\\nwith a newline\""));
	free(text);
	host_free(&h);
}

static void test_unmeasured_calibration_figures_are_left_out(void **state)
{
	struct amz_host h;
	struct amz_calibration c = {0};
	struct prom_export e = {.host = &h, .calibration = &c, .calibrated = 1700000000};
	char *text;
	double v;

	(void)state;
	detect_fixture(&h, "v2-host");
	c.fork.measured = true;
	c.fork.median = 250000;
	c.pipe_cross.measured = true;
	c.pipe_cross.median = 40000;
	text = export_text(&e);
	assert_valid(text);
	assert_true(
		promcheck_value(text, "amzprof_calibration_spawn_seconds{method=\"fork\"}", &v));
	assert_true(v == 250e-6);
	assert_false(
		promcheck_value(text, "amzprof_calibration_spawn_seconds{method=\"thread\"}", &v));
	assert_true(promcheck_value(
		text, "amzprof_calibration_dispatch_seconds{mechanism=\"pipe\"}", &v));
	assert_null(strstr(text, "amzprof_calibration_ipc"));
	free(text);
	host_free(&h);
}

static void test_recommendations_are_labelled_by_workload(void **state)
{
	struct amz_host h;
	const struct prom_workload w[] = {{"make", 2, 1, 1.8, false, 1700000000},
					  {"gz", 1, 1, 1.0, true, 1700000001}};
	struct prom_export e = {.host = &h, .workloads = w, .n_workloads = 2};
	char *text;
	double v;

	(void)state;
	detect_fixture(&h, "v2-host");
	text = export_text(&e);
	assert_valid(text);
	assert_true(promcheck_value(text, "amzprof_recommended_workers{workload=\"make\"}", &v));
	assert_true(v == 2);
	assert_true(promcheck_value(text, "amzprof_predicted_speedup{workload=\"gz\"}", &v));
	assert_true(v == 1.0);
	free(text);
	host_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_rejects_malformed_files),
		cmocka_unit_test(test_host_limits_are_exported_in_base_units),
		cmocka_unit_test(test_absent_limits_are_left_out),
		cmocka_unit_test(test_label_values_are_escaped),
		cmocka_unit_test(test_unmeasured_calibration_figures_are_left_out),
		cmocka_unit_test(test_recommendations_are_labelled_by_workload),
	};

	return cmocka_run_group_tests_name("prometheus", tests, NULL, NULL);
}
