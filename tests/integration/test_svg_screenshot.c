/* The screenshot test: tools/svg-screenshot.sh renders amzprof's plots with headless Chromium
 * (Debian's package) to PNGs of the pictures' size, without errors. Chromium is not a build
 * dependency: without it the test is skipped, with the reason, even under CI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_svg.h"
#include "svgtrace.h"
#include "testutil.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	return test_temp_dir(dir, sizeof(dir), "amz-shot");
}

static int remove_dir(void **state)
{
	(void)state;
	return test_remove_tree(dir);
}

static int have_chromium(void)
{
	return system("command -v chromium >/dev/null 2>&1 || "
		      "command -v chromium-browser >/dev/null 2>&1") == 0;
}

static void require_chromium(void)
{
	if (have_chromium())
		return;
	print_message("skipped: chromium is not installed (tools/svg-screenshot.sh installs "
		      "Debian's package when run as root)\n");
	skip();
}

static void write_made_up_plot(const char *path)
{
	static char *argv[] = {"./work", "--items", "100000", NULL};
	struct amz_trace *t = calloc(1, sizeof(*t));
	struct report_run r = {.argv = argv, .trace = t};
	struct report_svg in = {.run = &r, .cpus = 2, .cpus_what = "usable CPUs"};
	struct amz_err err = {0};

	svgtrace_fill(t);
	in.advice = svgtrace_advice();
	assert_int_equal(report_svg_file(path, &in, &err), 0);
	json_object_put(in.advice);
	free(t);
}

static void screenshot(const char *svg, const char *png)
{
	char *argv[] = {"/usr/bin/env",
			"NO_INSTALL=1",
			AMZ_SOURCE_DIR "/tools/svg-screenshot.sh",
			"-o",
			dir,
			(char *)svg,
			NULL};
	struct test_run r;

	test_run(&r, argv);
	if (r.status != 0)
		fail_msg("svg-screenshot failed (%d): %s", r.status, r.err);
	assert_non_null(strstr(r.out, png));
	assert_int_equal(access(png, R_OK), 0);
	test_run_free(&r);
}

static void test_made_up_plot_renders_in_chromium(void **state)
{
	char svg[128], png[128];

	(void)state;
	require_chromium();
	snprintf(svg, sizeof(svg), "%s/made-up.svg", dir);
	snprintf(png, sizeof(png), "%s/made-up.png", dir);
	write_made_up_plot(svg);
	screenshot(svg, png);
}

static void test_plot_of_a_real_run_renders_in_chromium(void **state)
{
	char svg[128], png[128];
	char *run[] = {(char *)test_build_path(0, "amzprof"),
		       "--no-save",
		       "-o",
		       "/dev/null",
		       "--svg",
		       svg,
		       "--",
		       (char *)test_build_path(1, "workloads/hetero"),
		       "--items",
		       "2000",
		       "--jobs",
		       "2",
		       NULL};
	struct test_run r;

	(void)state;
	require_chromium();
	test_require_bpf();
	snprintf(svg, sizeof(svg), "%s/chunks.svg", dir);
	snprintf(png, sizeof(png), "%s/chunks.png", dir);
	test_run(&r, run);
	assert_int_equal(r.status, 0);
	test_run_free(&r);
	screenshot(svg, png);
}

static void test_broken_svg_is_reported_by_the_script(void **state)
{
	char svg[128];
	FILE *f;
	char *argv[] = {"/usr/bin/env",
			"NO_INSTALL=1",
			AMZ_SOURCE_DIR "/tools/svg-screenshot.sh",
			"-o",
			dir,
			svg,
			NULL};
	struct test_run r;

	(void)state;
	require_chromium();
	snprintf(svg, sizeof(svg), "%s/broken.svg", dir);
	f = fopen(svg, "w");
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect></svg>\n",
	      f);
	fclose(f);
	test_run(&r, argv);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "cannot parse it as XML"));
	test_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_made_up_plot_renders_in_chromium),
		cmocka_unit_test(test_plot_of_a_real_run_renders_in_chromium),
		cmocka_unit_test(test_broken_svg_is_reported_by_the_script),
	};

	return cmocka_run_group_tests_name("svg_screenshot", tests, make_dir, remove_dir);
}
