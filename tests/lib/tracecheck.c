/* Chrome's Trace Event format, checked event by event against its description. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracecheck.h"

struct track {
	long long pid, tid;
	double last_ts;
};

struct checker {
	struct tracecheck_counts *c;
	struct track *tracks;
	size_t n_tracks, alloc;
	char *why;
	size_t why_len;
};

static int problem(struct checker *k, size_t i, const char *what)
{
	snprintf(k->why, k->why_len, "event %zu: %s", i, what);
	return -1;
}

static bool number(json_object *o, const char *key, double *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return false;
	*out = json_object_get_double(v);
	return true;
}

static const char *string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct track *track_of(struct checker *k, long long pid, long long tid)
{
	size_t i;

	for (i = 0; i < k->n_tracks; i++) {
		if (k->tracks[i].pid == pid && k->tracks[i].tid == tid)
			return &k->tracks[i];
	}
	if (k->n_tracks == k->alloc) {
		k->alloc = k->alloc ? 2 * k->alloc : 64;
		k->tracks = realloc(k->tracks, k->alloc * sizeof(*k->tracks));
	}
	k->tracks[k->n_tracks] = (struct track){pid, tid, -1e300};
	k->c->tracks++;
	return &k->tracks[k->n_tracks++];
}

static void count_name(struct tracecheck_counts *c, const char *name, double dur)
{
	size_t i;

	for (i = 0; i < c->n_names; i++) {
		if (strcmp(c->by_name[i].name, name) == 0)
			break;
	}
	if (i == c->n_names) {
		if (c->n_names == TRACECHECK_MAX_NAMES)
			return;
		snprintf(c->by_name[i].name, sizeof(c->by_name[i].name), "%s", name);
		c->n_names++;
	}
	c->by_name[i].count++;
	c->by_name[i].dur_us += dur;
}

static int check_metadata(struct checker *k, size_t i, json_object *e)
{
	json_object *args;
	double pid;

	if (!number(e, "pid", &pid))
		return problem(k, i, "metadata without a pid");
	if (!json_object_object_get_ex(e, "args", &args) || !string(args, "name"))
		return problem(k, i, "metadata without args.name");
	if (strcmp(string(e, "name"), "thread_name") == 0)
		k->c->thread_names++;
	return 0;
}

/* A slice or an instant: on its track, no earlier than the one before. */
static int check_timed(struct checker *k, size_t i, json_object *e, bool slice)
{
	double pid, tid, ts, dur = 0;
	const char *s = string(e, "s");
	struct track *t;

	if (!number(e, "pid", &pid) || !number(e, "tid", &tid) || !number(e, "ts", &ts))
		return problem(k, i, "a slice or instant needs pid, tid and ts");
	if (slice && (!number(e, "dur", &dur) || dur < 0))
		return problem(k, i, "a complete slice needs a non-negative dur");
	if (!slice && (!s || (strcmp(s, "g") && strcmp(s, "p") && strcmp(s, "t"))))
		return problem(k, i, "an instant needs a scope s of g, p or t");

	t = track_of(k, (long long)pid, (long long)tid);
	if (ts < t->last_ts)
		return problem(k, i, "ts goes back on its track");
	t->last_ts = ts;
	if (slice)
		k->c->slices++;
	else
		k->c->instants++;
	count_name(k->c, string(e, "name"), dur);
	return 0;
}

static int check_event(struct checker *k, size_t i, json_object *e)
{
	const char *ph, *name;

	if (!json_object_is_type(e, json_type_object))
		return problem(k, i, "not an object");
	ph = string(e, "ph");
	name = string(e, "name");
	if (!ph || !name)
		return problem(k, i, "no ph or no name");
	if (strcmp(ph, "M") == 0)
		return check_metadata(k, i, e);
	if (strcmp(ph, "X") == 0 || strcmp(ph, "i") == 0)
		return check_timed(k, i, e, ph[0] == 'X');
	return problem(k, i, "a phase this checker does not expect");
}

int tracecheck(json_object *doc, struct tracecheck_counts *c, char *why, size_t why_len)
{
	struct checker k = {.c = c, .why = why, .why_len = why_len};
	json_object *events;
	size_t i, n;
	int r = 0;

	memset(c, 0, sizeof(*c));
	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "traceEvents", &events) ||
	    !json_object_is_type(events, json_type_array)) {
		snprintf(why, why_len, "no traceEvents array in a JSON object");
		return -1;
	}
	n = json_object_array_length(events);
	for (i = 0; i < n && r == 0; i++)
		r = check_event(&k, i, json_object_array_get_idx(events, i));
	c->events = n;
	free(k.tracks);
	return r;
}

static int entry(const struct tracecheck_counts *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_names; i++) {
		if (strcmp(c->by_name[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

size_t tracecheck_count(const struct tracecheck_counts *c, const char *name)
{
	int i = entry(c, name);

	return i < 0 ? 0 : c->by_name[i].count;
}

double tracecheck_dur_us(const struct tracecheck_counts *c, const char *name)
{
	int i = entry(c, name);

	return i < 0 ? 0 : c->by_name[i].dur_us;
}
