/* The timeline: records arriving out of order make each task's slices and instants, and the
 * Chrome trace written from them is valid Trace Event JSON, capped when asked. */
#include <stdlib.h>
#include <string.h>

#include "report_trace.h"
#include "testutil.h"
#include "tracecheck.h"

static void put(struct timeline *tl, unsigned int type, unsigned long long ts, unsigned int pid,
		unsigned int tgid, unsigned long long a, unsigned long long b)
{
	struct amz_tl_event e = {
		.ts_ns = ts, .pid = pid, .tgid = tgid, .type = type, .cpu = 1, .a = a, .b = b};

	timeline_add(tl, &e, sizeof(e));
}

static void put_named(struct timeline *tl, unsigned int type, unsigned long long ts,
		      unsigned int pid, unsigned int tgid, unsigned int parent, const char *comm)
{
	struct amz_tl_named n = {
		.e = {.ts_ns = ts, .pid = pid, .tgid = tgid, .type = type, .aux = parent}};

	snprintf(n.comm, sizeof(n.comm), "%s", comm);
	timeline_add(tl, &n, sizeof(n));
}

/* Task 10 existed before the start (1000 ns) and ends at 8000; task 11 is spawned by it at
 * 3000 and still runs at the end (10000). The records of both arrive interleaved, some later
 * than records that happened after them. */
static struct timeline *two_tasks(void)
{
	struct timeline *tl = timeline_new(100);

	timeline_clear(tl, 1000);
	put(tl, AMZ_TL_SWITCH_OUT, 2000, 10, 10, AMZ_TL_OUT_BLOCKED, 0);
	put_named(tl, AMZ_TL_SPAWN, 3000, 11, 10, 10, "worker");
	put(tl, AMZ_TL_SWITCH_IN, 3500, 11, 10, 0, 0);
	put(tl, AMZ_TL_SWITCH_IN, 6000, 10, 10, 0, 0);
	put(tl, AMZ_TL_WAKEUP, 5000, 10, 10, 0, 0);
	put(tl, AMZ_TL_CHUNK_BEGIN, 6500, 10, 10, 0, 4);
	put(tl, AMZ_TL_CHUNK_END, 7000, 10, 10, 0, 4);
	put(tl, AMZ_TL_SWITCH_OUT, 8000, 10, 10, AMZ_TL_OUT_BLOCKED, 0);
	put_named(tl, AMZ_TL_EXIT, 8000, 10, 10, 0, "main");
	tl->end_ns = 10000;
	return tl;
}

static void assert_item(const struct timeline_item *it, enum timeline_what what,
			unsigned long long ts, unsigned long long dur)
{
	assert_string_equal(timeline_what_name(it->what), timeline_what_name(what));
	assert_int_equal(it->ts_ns, ts);
	assert_int_equal(it->dur_ns, dur);
}

static void test_records_out_of_order_make_each_tasks_states(void **state)
{
	struct timeline *tl = two_tasks();
	struct amz_err err = {0};
	struct timeline_view v;
	const struct timeline_item *a, *b;

	(void)state;
	assert_int_equal(timeline_build(tl, &v, &err), 0);
	assert_int_equal(v.n_tracks, 2);
	assert_int_equal(v.span_ns, 9000);

	/* Task 10: running since before the start, asleep, woken, waiting, running, gone. */
	assert_int_equal(v.tracks[0].pid, 10);
	assert_string_equal(v.tracks[0].comm, "main");
	assert_int_equal(v.tracks[0].n, 7);
	a = v.items + v.tracks[0].first;
	assert_item(&a[0], TIMELINE_RUNNING, 0, 1000);
	assert_item(&a[1], TIMELINE_BLOCKED, 1000, 3000);
	assert_item(&a[2], TIMELINE_RUNNABLE, 4000, 1000);
	assert_item(&a[3], TIMELINE_RUNNING, 5000, 2000);
	assert_item(&a[4], TIMELINE_CHUNK_BEGIN, 5500, 0);
	assert_int_equal(a[4].b, 4);
	assert_item(&a[5], TIMELINE_CHUNK_END, 6000, 0);
	assert_item(&a[6], TIMELINE_EXIT, 7000, 0);

	/* Task 11: spawned, waits for its first run, runs to the end. */
	assert_int_equal(v.tracks[1].pid, 11);
	assert_int_equal(v.tracks[1].tgid, 10);
	assert_string_equal(v.tracks[1].comm, "worker");
	assert_int_equal(v.tracks[1].n, 3);
	b = v.items + v.tracks[1].first;
	assert_item(&b[0], TIMELINE_SPAWN, 2000, 0);
	assert_int_equal(b[0].a, 10);
	assert_item(&b[1], TIMELINE_RUNNABLE, 2000, 500);
	assert_item(&b[2], TIMELINE_RUNNING, 2500, 6500);

	timeline_view_free(&v);
	timeline_free(tl);
}

/* Writes the trace of tl to memory and parses it back. */
static json_object *written(const struct timeline *tl, struct tracecheck_counts *c)
{
	char *argv[] = {"./work", "--items", "\"10\"", NULL}, *buf = NULL, why[256];
	struct amz_trace trace = {0};
	struct report_run r = {.argv = argv, .trace = &trace};
	struct amz_err err = {0};
	struct timeline_view v;
	size_t len = 0;
	json_object *doc;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(timeline_build(tl, &v, &err), 0);
	assert_int_equal(report_trace(f, tl, &v, &r), 0);
	fclose(f);
	doc = json_tokener_parse(buf);
	if (!doc)
		fail_msg("not JSON:\n%s", buf);
	if (tracecheck(doc, c, why, sizeof(why)) < 0)
		fail_msg("%s\n%s", why, buf);
	timeline_view_free(&v);
	free(buf);
	return doc;
}

static void test_written_trace_is_valid_trace_event_json(void **state)
{
	struct timeline *tl = two_tasks();
	struct tracecheck_counts c;
	json_object *doc = written(tl, &c);

	(void)state;
	assert_int_equal(c.thread_names, 2);
	assert_int_equal(c.slices, 6);
	assert_int_equal(tracecheck_count(&c, "running"), 3);
	assert_true(tracecheck_dur_us(&c, "running") == 9.5);
	assert_int_equal(tracecheck_count(&c, "blocked"), 1);
	assert_int_equal(tracecheck_count(&c, "runnable"), 2);
	assert_int_equal(tracecheck_count(&c, "spawn"), 1);
	assert_int_equal(tracecheck_count(&c, "exit"), 1);
	assert_int_equal(tracecheck_count(&c, "chunk begin"), 1);
	assert_int_equal(tracecheck_count(&c, "chunk end"), 1);
	assert_int_equal(test_json_int(doc, "otherData.capped"), 0);
	assert_int_equal(test_json_int(doc, "otherData.schema"), REPORT_TRACE_SCHEMA);
	json_object_put(doc);
	timeline_free(tl);
}

static void test_cap_keeps_the_first_records_and_ends_the_timeline_there(void **state)
{
	struct timeline *tl = timeline_new(3);
	struct tracecheck_counts c;
	json_object *doc;
	int i;

	(void)state;
	timeline_clear(tl, 0);
	for (i = 0; i < 10; i++)
		put(tl, i % 2 ? AMZ_TL_SWITCH_OUT : AMZ_TL_SWITCH_IN, 100 * (i + 1), 5, 5,
		    AMZ_TL_OUT_RUNNABLE, 0);
	tl->end_ns = 5000;
	assert_int_equal(tl->n, 3);
	assert_int_equal(tl->capped, 7);
	assert_true(timeline_capped(tl));

	doc = written(tl, &c);
	assert_int_equal(test_json_int(doc, "otherData.capped"), 7);
	assert_int_equal(test_json_int(doc, "otherData.span_ns"), 300);
	assert_int_equal(tracecheck_count(&c, "timeline cap reached: later events not recorded"),
			 1);
	/* running [100, 200), runnable [200, 300), running [300, end of what is known) */
	assert_int_equal(tracecheck_count(&c, "running"), 1);
	assert_int_equal(tracecheck_count(&c, "runnable"), 1);
	json_object_put(doc);
	timeline_free(tl);
}

static void test_names_with_quotes_and_backslashes_stay_valid_json(void **state)
{
	struct timeline *tl = timeline_new(10);
	struct tracecheck_counts c;
	json_object *doc;

	(void)state;
	timeline_clear(tl, 0);
	put_named(tl, AMZ_TL_SPAWN, 10, 7, 7, 1, "a\"b\\c\n");
	tl->end_ns = 100;
	doc = written(tl, &c);
	assert_int_equal(c.thread_names, 1);
	json_object_put(doc);
	timeline_free(tl);
}

static void test_records_after_the_read_are_not_part_of_the_run(void **state)
{
	struct timeline *tl = timeline_new(10);

	(void)state;
	timeline_clear(tl, 1000);
	put(tl, AMZ_TL_SWITCH_IN, 500, 5, 5, 0, 0);
	put(tl, AMZ_TL_SWITCH_IN, 1500, 5, 5, 0, 0);
	tl->end_ns = 2000;
	put(tl, AMZ_TL_SWITCH_OUT, 2500, 5, 5, 0, 0);
	assert_int_equal(tl->n, 1);
	timeline_free(tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_out_of_order_make_each_tasks_states),
		cmocka_unit_test(test_written_trace_is_valid_trace_event_json),
		cmocka_unit_test(test_cap_keeps_the_first_records_and_ends_the_timeline_there),
		cmocka_unit_test(test_names_with_quotes_and_backslashes_stay_valid_json),
		cmocka_unit_test(test_records_after_the_read_are_not_part_of_the_run),
	};

	return cmocka_run_group_tests_name("report_trace", tests, NULL, NULL);
}
