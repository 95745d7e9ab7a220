/* Writing a timeline in Chrome's Trace Event format. The events are printed one by one rather
 * than built as a json-c tree: a run of a million events would otherwise hold gigabytes. Only
 * names and the command line, which may hold any byte, go through json-c for escaping. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "report_trace.h"

/* A time in ns as the format's microseconds, with the nanoseconds kept as decimals. */
static void put_us(FILE *f, const char *key, unsigned long long ns)
{
	fprintf(f, ",\"%s\":%llu.%03llu", key, ns / 1000, ns % 1000);
}

static void put_string(FILE *f, const char *s)
{
	json_object *o = json_object_new_string(s);

	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE), f);
	json_object_put(o);
}

static void command_line(char *buf, size_t size, const struct report_run *r)
{
	size_t used = 0, i;

	buf[0] = '\0';
	if (!r->argv) {
		snprintf(buf, size, "process %d and its descendants", (int)r->attached_pid);
		return;
	}
	for (i = 0; r->argv[i] && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "", r->argv[i]);
}

static void other_data(FILE *f, const struct timeline *tl, const struct timeline_view *v,
		       const struct report_run *r)
{
	char cmd[2048];

	command_line(cmd, sizeof(cmd), r);
	fprintf(f, "{\"otherData\":{\"schema\":%d,\"tool\":\"amzprof\",\"version\":\"%s\",",
		REPORT_TRACE_SCHEMA, AMZ_VERSION);
	fputs("\"command\":", f);
	put_string(f, cmd);
	fprintf(f,
		",\"events\":%zu,\"tasks\":%zu,\"span_ns\":%llu,\"cap\":%llu,\"capped\":%llu,"
		"\"lost\":%llu},\n",
		tl->n, v->n_tracks, v->span_ns, tl->cap, tl->capped, tl->lost);
	fputs("\"displayTimeUnit\":\"ns\",\n\"traceEvents\":[\n", f);
}

static void track_name(FILE *f, const char *what, unsigned int pid, unsigned int tid,
		       const char *name)
{
	fprintf(f, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":", what,
		pid, tid);
	put_string(f, name);
	fputs("}},\n", f);
}

/* A process is named after its leader's track, or its first thread's. */
static void names(FILE *f, const struct timeline_view *v)
{
	char buf[48];
	size_t i;

	for (i = 0; i < v->n_tracks; i++) {
		const struct timeline_track *t = &v->tracks[i];
		bool first_of_process = i == 0 || v->tracks[i - 1].tgid != t->tgid;

		if (first_of_process)
			track_name(f, "process_name", t->tgid, t->tgid, t->comm);
		snprintf(buf, sizeof(buf), "%s %u", t->comm[0] ? t->comm : "task", t->pid);
		track_name(f, "thread_name", t->tgid, t->pid, buf);
	}
}

static void item_args(FILE *f, const struct timeline_item *it)
{
	switch (it->what) {
	case TIMELINE_RUNNING:
		fprintf(f, ",\"args\":{\"cpu\":%u}", it->cpu);
		break;
	case TIMELINE_SPAWN:
		fprintf(f, ",\"args\":{\"parent\":%llu}", it->a);
		break;
	case TIMELINE_EXEC:
		if (it->a)
			fprintf(f, ",\"args\":{\"latency_ns\":%llu}", it->a);
		break;
	case TIMELINE_CHUNK_BEGIN:
	case TIMELINE_CHUNK_END:
		fprintf(f, ",\"args\":{\"first\":%llu,\"items\":%llu}", it->a, it->b);
		break;
	}
}

static void item(FILE *f, const struct timeline_track *t, const struct timeline_item *it)
{
	bool slice = timeline_is_slice(it->what);

	fprintf(f, "{\"ph\":\"%s\",\"cat\":\"%s\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u",
		slice ? "X" : "i", slice ? "sched" : "task", timeline_what_name(it->what), t->tgid,
		t->pid);
	if (!slice)
		fputs(",\"s\":\"t\"", f);
	put_us(f, "ts", it->ts_ns);
	if (slice)
		put_us(f, "dur", it->dur_ns);
	item_args(f, it);
	fputs("},\n", f);
}

/* The last event closes the list, so that no comma trails it: a global instant at the end,
 * which says whether the timeline was cut short. */
static void closing(FILE *f, const struct timeline *tl, const struct timeline_view *v)
{
	fprintf(f,
		"{\"ph\":\"i\",\"s\":\"g\",\"cat\":\"amzprof\",\"name\":\"%s\",\"pid\":0,"
		"\"tid\":0",
		timeline_capped(tl) ? "timeline cap reached: later events not recorded"
				    : "end of trace");
	put_us(f, "ts", v->span_ns);
	fputs("}\n]}\n", f);
}

int report_trace(FILE *f, const struct timeline *tl, const struct timeline_view *v,
		 const struct report_run *r)
{
	size_t i, k;

	other_data(f, tl, v, r);
	names(f, v);
	for (i = 0; i < v->n_tracks; i++) {
		const struct timeline_track *t = &v->tracks[i];

		for (k = 0; k < t->n; k++)
			item(f, t, &v->items[t->first + k]);
	}
	closing(f, tl, v);
	return ferror(f) ? -1 : 0;
}

static void say_what_is_missing(const char *path, const struct timeline *tl,
				const struct timeline_view *v)
{
	if (timeline_capped(tl))
		amz_log(AMZ_LOG_WARN,
			"the timeline in %s stops at %.3f s: it reached its cap of %llu events "
			"(--trace-limit), and %llu later events were left out",
			path, (double)v->span_ns / 1e9, tl->cap, tl->capped);
	if (tl->lost)
		amz_log(AMZ_LOG_WARN,
			"%llu timeline events were lost (the ring buffer was full%s), so some "
			"slices in %s last longer than the states they show",
			tl->lost, tl->no_memory ? " or memory ran out" : "", path);
}

int report_trace_file(const char *path, const struct timeline *tl, const struct report_run *r,
		      struct amz_err *err)
{
	struct timeline_view v;
	uint64_t start = amz_now_ns();
	FILE *f;
	long size;
	int rc, e = 0;

	if (timeline_build(tl, &v, err) < 0)
		return -1;
	f = amz_fopen_as_caller(path, "we");
	if (!f) {
		rc = amz_fail(err, errno, "cannot write the timeline to %s: %s", path,
			      amz_reason(errno));
		timeline_view_free(&v);
		return rc;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	if (report_trace(f, tl, &v, r) < 0)
		e = errno ? errno : EIO;
	size = ftell(f);
	if (fclose(f) != 0 && !e)
		e = errno;
	rc = e ? amz_fail(err, e, "cannot write the timeline to %s: %s", path, amz_reason(e)) : 0;
	if (rc == 0) {
		say_what_is_missing(path, tl, &v);
		amz_log(AMZ_LOG_INFO,
			"timeline: %zu events of %zu tasks written to %s (%ld bytes) in %.1f ms",
			tl->n, v.n_tracks, path, size, (double)(amz_now_ns() - start) / 1e6);
	}
	timeline_view_free(&v);
	return rc;
}
