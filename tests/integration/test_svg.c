/* The plots: what report_svg writes is well-formed SVG that an XML parser (libxml2) reads,
 * with titles, axis labels and units, nothing outside the page and no tiny text; amzprof
 * --svg on a real run and `amzprof show NAME --svg` write the same; refusals are one sentence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "report_svg.h"
#include "svgtrace.h"
#include "testutil.h"

#define SVG_NS "http://www.w3.org/2000/svg"

/* Parses the document, failing the test on any XML error; network access is refused. */
static xmlDocPtr parse_svg(const char *text, size_t len)
{
	xmlDocPtr doc = xmlReadMemory(text, (int)len, "plot.svg", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	const xmlError *e = xmlGetLastError();

	if (!doc || (e && e->level >= XML_ERR_ERROR))
		fail_msg("not well-formed XML: %s", e && e->message ? e->message : "?");
	return doc;
}

static xmlDocPtr parse_svg_file(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	xmlDocPtr doc;

	if (amz_read_file(path, &text, &len) < 0)
		fail_msg("%s was not written", path);
	doc = parse_svg(text, len);
	free(text);
	return doc;
}

static xmlXPathObjectPtr query(xmlDocPtr doc, const char *xpath)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r;

	xmlXPathRegisterNs(ctx, BAD_CAST "s", BAD_CAST SVG_NS);
	r = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
	xmlXPathFreeContext(ctx);
	assert_non_null(r);
	return r;
}

static int count(xmlDocPtr doc, const char *xpath)
{
	xmlXPathObjectPtr r = query(doc, xpath);
	int n = r->nodesetval ? r->nodesetval->nodeNr : 0;

	xmlXPathFreeObject(r);
	return n;
}

/* Whether some <text> of the picture holds words (as a substring). */
static int has_text(xmlDocPtr doc, const char *words)
{
	xmlXPathObjectPtr r = query(doc, "//s:text");
	int i, found = 0;

	for (i = 0; r->nodesetval && i < r->nodesetval->nodeNr && !found; i++) {
		xmlChar *text = xmlNodeGetContent(r->nodesetval->nodeTab[i]);

		found = text && strstr((const char *)text, words);
		xmlFree(text);
	}
	xmlXPathFreeObject(r);
	return found;
}

static double attr(xmlNodePtr n, const char *name, double missing)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	double x = missing;
	char *end;

	if (v) {
		x = strtod((const char *)v, &end);
		if (*end)
			fail_msg("attribute %s=\"%s\" is not a number", name, v);
		xmlFree(v);
	}
	return x;
}

static xmlDocPtr plot_of(const struct amz_trace *t, char *const *argv, json_object *advice)
{
	struct report_run r = {.argv = argv, .trace = t};
	struct report_svg in = {.run = &r, .cpus = 2, .cpus_what = "usable CPUs", .advice = advice};
	struct amz_err err = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	xmlDocPtr doc;

	assert_int_equal(report_svg(f, &in, &err), 0);
	fclose(f);
	doc = parse_svg(buf, len);
	free(buf);
	return doc;
}

static xmlDocPtr made_up_plot(void)
{
	static char *argv[] = {"./work", "--jobs", "4", NULL};
	struct amz_trace *t = calloc(1, sizeof(*t));
	json_object *advice = svgtrace_advice();
	xmlDocPtr doc;

	svgtrace_fill(t);
	doc = plot_of(t, argv, advice);
	json_object_put(advice);
	free(t);
	return doc;
}

static void test_plot_is_an_svg_document_with_a_size_and_a_title(void **state)
{
	xmlDocPtr doc = made_up_plot();
	xmlNodePtr root = xmlDocGetRootElement(doc);

	(void)state;
	assert_string_equal((const char *)root->name, "svg");
	assert_non_null(root->ns);
	assert_string_equal((const char *)root->ns->href, SVG_NS);
	assert_true(attr(root, "width", 0) >= 800);
	assert_true(attr(root, "height", 0) >= 600);
	assert_int_equal(count(doc, "/s:svg/s:title[. = './work --jobs 4']"), 1);
	xmlFreeDoc(doc);
}

static void test_every_panel_names_its_axes_and_units(void **state)
{
	static const char *const words[] = {
		"Predicted speedup over workers",
		"speedup over serial",
		"workers",
		"3x",
		"recommended: 4 workers, chunks of 16 items (3.20x)",
		"this run: 2 workers, 1.50x measured",
		"more would wait for the dispatcher",
		"Workload tasks on a CPU over time",
		"time since the start (ms)",
		"tasks on a CPU",
		"2 usable CPUs",
		"mean 1.50 over 200 ms",
		"Spawn latency",
		"Wakeup-to-run latency",
		"On-CPU bursts",
		"Exec latency",
		"Chunk duration",
		"duration (log2 buckets)",
		"count",
		"p50 ",
		"p99 ",
		" µs",
		" ms",
	};
	xmlDocPtr doc = made_up_plot();
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(words); i++) {
		if (!has_text(doc, words[i]))
			fail_msg("the plot has no text \"%s\"", words[i]);
	}
	/* One x label per histogram, one for the time axis. */
	assert_int_equal(count(doc, "//s:text[. = 'duration (log2 buckets)']"), 6);
	xmlFreeDoc(doc);
}

static void test_nothing_is_drawn_outside_the_page(void **state)
{
	xmlDocPtr doc = made_up_plot();
	xmlNodePtr root = xmlDocGetRootElement(doc);
	double w = attr(root, "width", 0), h = attr(root, "height", 0);
	xmlXPathObjectPtr r = query(doc, "//s:rect | //s:line | //s:circle | //s:text");
	int i;

	(void)state;
	assert_true(r->nodesetval && r->nodesetval->nodeNr > 50);
	for (i = 0; i < r->nodesetval->nodeNr; i++) {
		xmlNodePtr n = r->nodesetval->nodeTab[i];
		double x = attr(n, "x", attr(n, "cx", attr(n, "x1", 0)));
		double y = attr(n, "y", attr(n, "cy", attr(n, "y1", 0)));
		double x2 = x + attr(n, "width", 0), y2 = y + attr(n, "height", 0);

		if (!(x >= 0 && y >= 0 && x2 <= w + 0.05 && y2 <= h + 0.05 && isfinite(x) &&
		      isfinite(y)))
			fail_msg("<%s> at (%g, %g)-(%g, %g) is off the %gx%g page", n->name, x, y,
				 x2, y2, w, h);
	}
	xmlXPathFreeObject(r);
	xmlFreeDoc(doc);
}

static void test_text_is_large_enough_to_read(void **state)
{
	xmlDocPtr doc = made_up_plot();
	xmlXPathObjectPtr r = query(doc, "//s:text");
	int i;

	(void)state;
	for (i = 0; i < r->nodesetval->nodeNr; i++)
		assert_true(attr(r->nodesetval->nodeTab[i], "font-size", 0) >= 11);
	xmlXPathFreeObject(r);
	xmlFreeDoc(doc);
}

static void test_markup_and_bytes_in_the_command_stay_well_formed(void **state)
{
	static char *argv[] = {"./a<b>&\"c'", "\xff\xfe bad utf-8 \x01", NULL};
	struct amz_trace *t = calloc(1, sizeof(*t));
	xmlDocPtr doc;

	(void)state;
	svgtrace_fill(t);
	doc = plot_of(t, argv, NULL);
	assert_true(has_text(doc, "./a<b>&\"c'"));
	xmlFreeDoc(doc);
	free(t);
}

static void test_without_advice_there_is_no_speedup_panel(void **state)
{
	static char *argv[] = {"./work", NULL};
	struct amz_trace *t = calloc(1, sizeof(*t));
	xmlDocPtr doc;

	(void)state;
	svgtrace_fill(t);
	doc = plot_of(t, argv, NULL);
	assert_false(has_text(doc, "Predicted speedup"));
	assert_true(has_text(doc, "Spawn latency"));
	xmlFreeDoc(doc);
	free(t);
}

static void test_run_measured_from_user_space_has_nothing_to_plot(void **state)
{
	struct amz_trace *t = calloc(1, sizeof(*t));
	struct report_run r = {.trace = t};
	struct report_svg in = {.run = &r};
	struct amz_err err = {0};

	(void)state;
	strcpy(t->source, "userspace");
	assert_int_equal(report_svg_file("/tmp/amz-never-written.svg", &in, &err), -1);
	assert_non_null(strstr(err.msg, "from user space only"));
	assert_int_not_equal(access("/tmp/amz-never-written.svg", F_OK), 0);
	free(t);
}

/* The real thing: a traced run and its saved profile, drawn by amzprof itself. */
static char store[64];

static int make_store(void **state)
{
	(void)state;
	return test_temp_dir(store, sizeof(store), "amz-svg");
}

static int remove_store(void **state)
{
	(void)state;
	return test_remove_tree(store);
}

static void test_traced_run_and_its_profile_are_plotted(void **state)
{
	char svg[128], shown[128], report[128];
	char *run[] = {(char *)test_build_path(0, "amzprof"),
		       "--store",
		       store,
		       "--name",
		       "fw",
		       "--json",
		       "-o",
		       report,
		       "--svg",
		       svg,
		       "--",
		       (char *)test_build_path(1, "workloads/hetero"),
		       "--items",
		       "2000",
		       "--jobs",
		       "2",
		       "--chunksize",
		       "50",
		       NULL};
	char *show[] = {(char *)test_build_path(0, "amzprof"),
			"show",
			"fw",
			"--store",
			store,
			"--svg",
			shown,
			NULL};
	char n_spawns[64];
	struct test_run r;
	json_object *rep;
	xmlDocPtr doc;

	(void)state;
	test_require_bpf();
	snprintf(svg, sizeof(svg), "%s/run.svg", store);
	snprintf(shown, sizeof(shown), "%s/shown.svg", store);
	snprintf(report, sizeof(report), "%s/run.json", store);
	test_run(&r, run);
	assert_int_equal(r.status, 0);
	test_run_free(&r);

	rep = test_load_json(report);
	snprintf(n_spawns, sizeof(n_spawns), "n=%lld,",
		 test_json_int(rep, "spawn_latency_ns.count"));
	json_object_put(rep);
	doc = parse_svg_file(svg);
	assert_true(has_text(doc, "Spawn latency"));
	assert_true(has_text(doc, n_spawns));
	assert_true(has_text(doc, "usable CPUs"));
	assert_true(has_text(doc, "Predicted speedup over workers"));
	assert_true(has_text(doc, "recommended: "));
	assert_true(has_text(doc, "this run: 2 workers"));
	xmlFreeDoc(doc);

	test_run(&r, show);
	assert_int_equal(r.status, 0);
	test_run_free(&r);
	doc = parse_svg_file(shown);
	assert_true(has_text(doc, n_spawns));
	assert_true(has_text(doc, "Workload tasks on a CPU over time"));
	assert_true(has_text(doc, "Predicted speedup over workers"));
	xmlFreeDoc(doc);
}

static void test_host_profile_has_no_plots_and_says_why(void **state)
{
	char *calibrate[] = {(char *)test_build_path(0, "amzprof"),
			     "calibrate",
			     "--quick",
			     "--store",
			     store,
			     NULL};
	char *show[] = {(char *)test_build_path(0, "amzprof"),
			"show",
			"host",
			"--store",
			store,
			"--svg",
			"/tmp/amz-host.svg",
			NULL};
	struct test_run r;

	(void)state;
	test_run(&r, calibrate);
	assert_int_equal(r.status, 0);
	test_run_free(&r);
	test_run(&r, show);
	assert_int_equal(r.status, 1);
	assert_int_equal(test_count_lines(r.err), 1);
	assert_non_null(strstr(r.err, "'host' is not a workload profile"));
	test_run_free(&r);
}

static void test_svg_on_a_command_without_plots_is_a_usage_error(void **state)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"), "list", "--svg", "/tmp/x.svg", NULL};
	struct test_run r;

	(void)state;
	test_run(&r, argv);
	assert_int_equal(r.status, 2);
	assert_int_equal(test_count_lines(r.err), 1);
	test_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plot_is_an_svg_document_with_a_size_and_a_title),
		cmocka_unit_test(test_every_panel_names_its_axes_and_units),
		cmocka_unit_test(test_nothing_is_drawn_outside_the_page),
		cmocka_unit_test(test_text_is_large_enough_to_read),
		cmocka_unit_test(test_markup_and_bytes_in_the_command_stay_well_formed),
		cmocka_unit_test(test_without_advice_there_is_no_speedup_panel),
		cmocka_unit_test(test_run_measured_from_user_space_has_nothing_to_plot),
		cmocka_unit_test(test_traced_run_and_its_profile_are_plotted),
		cmocka_unit_test(test_host_profile_has_no_plots_and_says_why),
		cmocka_unit_test(test_svg_on_a_command_without_plots_is_a_usage_error),
	};
	int r;

	xmlInitParser();
	r = cmocka_run_group_tests_name("svg", tests, make_store, remove_store);
	xmlCleanupParser();
	return r;
}
