/* Keeping the kernel's timeline records, and turning each task's records into the slices of
 * its states and the instants of its events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

struct timeline *timeline_new(unsigned long long cap)
{
	struct timeline *tl = calloc(1, sizeof(*tl));

	if (!tl)
		return NULL;
	tl->cap = cap ? cap : TIMELINE_DEFAULT_CAP;
	return tl;
}

void timeline_free(struct timeline *tl)
{
	if (!tl)
		return;
	free(tl->ev);
	free(tl->names);
	free(tl);
}

void timeline_clear(struct timeline *tl, unsigned long long start_ns)
{
	tl->n = 0;
	tl->n_names = 0;
	tl->start_ns = start_ns;
	tl->end_ns = 0;
	tl->capped = 0;
	tl->lost = 0;
	tl->no_memory = false;
}

static bool grow(void **buf, size_t *alloc, size_t need, size_t elem)
{
	size_t n = *alloc ? *alloc : 4096;
	void *p;

	if (need <= *alloc)
		return true;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n * elem);
	if (!p)
		return false;
	*buf = p;
	*alloc = n;
	return true;
}

static void add_name(struct timeline *tl, unsigned int pid, unsigned int tgid, const char *comm)
{
	struct timeline_name *nm;

	if (!grow((void **)&tl->names, &tl->alloc_names, tl->n_names + 1, sizeof(*tl->names))) {
		tl->no_memory = true;
		return;
	}
	nm = &tl->names[tl->n_names++];
	nm->pid = pid;
	nm->tgid = tgid;
	memcpy(nm->comm, comm, sizeof(nm->comm));
	nm->comm[sizeof(nm->comm) - 1] = '\0';
}

void timeline_add(struct timeline *tl, const void *rec, size_t size)
{
	const struct amz_tl_event *e = rec;

	/* What comes after the tracer's read is not part of the run. */
	if (size < sizeof(*e) || e->ts_ns < tl->start_ns || (tl->end_ns && e->ts_ns > tl->end_ns))
		return;
	if (tl->n >= tl->cap) {
		tl->capped++;
		return;
	}
	if (!grow((void **)&tl->ev, &tl->alloc, tl->n + 1, sizeof(*tl->ev))) {
		tl->no_memory = true;
		tl->lost++;
		return;
	}
	tl->ev[tl->n++] = *e;
	if (size >= sizeof(struct amz_tl_named))
		add_name(tl, e->pid, e->tgid, ((const struct amz_tl_named *)rec)->comm);
}

void timeline_name_task(struct timeline *tl, unsigned int pid, unsigned int tgid,
			const char comm[16])
{
	add_name(tl, pid, tgid, comm);
}

bool timeline_capped(const struct timeline *tl)
{
	return tl->capped > 0;
}

const char *timeline_what_name(enum timeline_what w)
{
	static const char *const names[] = {
		[TIMELINE_RUNNING] = "running",
		[TIMELINE_RUNNABLE] = "runnable",
		[TIMELINE_BLOCKED] = "blocked",
		[TIMELINE_SPAWN] = "spawn",
		[TIMELINE_EXEC] = "exec",
		[TIMELINE_EXIT] = "exit",
		[TIMELINE_CHUNK_BEGIN] = "chunk begin",
		[TIMELINE_CHUNK_END] = "chunk end",
	};

	return (size_t)w < ARRAY_SIZE(names) && names[w] ? names[w] : "?";
}

bool timeline_is_slice(enum timeline_what w)
{
	return w <= TIMELINE_BLOCKED;
}

/* Records sorted by task, then time, then arrival: a task's own records in the order they
 * happened, even when they came from several CPUs. */
struct sorted {
	struct amz_tl_event e;
	size_t seq;
};

static int by_task_time(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	if (x->e.tgid != y->e.tgid)
		return x->e.tgid < y->e.tgid ? -1 : 1;
	if (x->e.pid != y->e.pid)
		return x->e.pid < y->e.pid ? -1 : 1;
	if (x->e.ts_ns != y->e.ts_ns)
		return x->e.ts_ns < y->e.ts_ns ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The state of the task being walked: what it is doing since when. */
enum task_state {
	ST_UNKNOWN,
	ST_RUNNING,
	ST_RUNNABLE,
	ST_BLOCKED,
	ST_GONE
};

struct walk {
	struct timeline_view *v;
	const struct timeline_name *names; /* sorted by pid, the last one of each pid wins */
	size_t n_names;
	unsigned long long start, horizon; /* absolute ns */
	enum task_state state;
	unsigned long long since;
	unsigned short cpu;
	size_t seq_base; /* items of the current track begin here */
};

static unsigned long long rel(const struct walk *w, unsigned long long ts)
{
	if (ts > w->horizon)
		ts = w->horizon;
	return ts > w->start ? ts - w->start : 0;
}

static void add_item(struct walk *w, enum timeline_what what, unsigned long long from,
		     unsigned long long to, unsigned long long a, unsigned long long b)
{
	struct timeline_item *it = &w->v->items[w->v->n_items++];

	it->ts_ns = rel(w, from);
	it->dur_ns = timeline_is_slice(what) ? rel(w, to) - it->ts_ns : 0;
	it->what = (unsigned short)what;
	it->cpu = what == TIMELINE_RUNNING ? w->cpu : 0;
	it->a = a;
	it->b = b;
}

/* The slice of the state the task leaves at ts; a state from before the start counts from the
 * start, and an empty slice is not a slice. */
static void close_state(struct walk *w, unsigned long long ts, enum task_state assumed)
{
	static const enum timeline_what slice[] = {
		[ST_RUNNING] = TIMELINE_RUNNING,
		[ST_RUNNABLE] = TIMELINE_RUNNABLE,
		[ST_BLOCKED] = TIMELINE_BLOCKED,
	};
	enum task_state s = w->state == ST_UNKNOWN ? assumed : w->state;
	unsigned long long since = w->state == ST_UNKNOWN ? w->start : w->since;

	if (s == ST_UNKNOWN || s == ST_GONE || rel(w, ts) <= rel(w, since))
		return;
	add_item(w, slice[s], since, ts, 0, 0);
}

static void enter(struct walk *w, enum task_state s, unsigned long long ts)
{
	w->state = s;
	w->since = ts;
}

static void instant(struct walk *w, enum timeline_what what, const struct amz_tl_event *e,
		    unsigned long long a, unsigned long long b)
{
	add_item(w, what, e->ts_ns, e->ts_ns, a, b);
}

static void step(struct walk *w, const struct amz_tl_event *e)
{
	if (w->state == ST_GONE || e->ts_ns > w->horizon)
		return;
	switch (e->type) {
	case AMZ_TL_SPAWN:
		instant(w, TIMELINE_SPAWN, e, e->aux, 0);
		enter(w, ST_RUNNABLE, e->ts_ns);
		break;
	case AMZ_TL_SWITCH_IN:
		close_state(w, e->ts_ns, ST_UNKNOWN);
		w->cpu = e->cpu;
		enter(w, ST_RUNNING, e->ts_ns);
		break;
	case AMZ_TL_SWITCH_OUT:
		if (w->state == ST_UNKNOWN)
			w->cpu = e->cpu;
		close_state(w, e->ts_ns, ST_RUNNING);
		enter(w, e->a == AMZ_TL_OUT_RUNNABLE ? ST_RUNNABLE : ST_BLOCKED, e->ts_ns);
		break;
	case AMZ_TL_WAKEUP:
		if (w->state != ST_BLOCKED && w->state != ST_UNKNOWN)
			break;
		close_state(w, e->ts_ns, ST_BLOCKED);
		enter(w, ST_RUNNABLE, e->ts_ns);
		break;
	case AMZ_TL_EXEC:
		instant(w, TIMELINE_EXEC, e, e->a, 0);
		break;
	case AMZ_TL_EXIT:
		close_state(w, e->ts_ns, ST_UNKNOWN);
		instant(w, TIMELINE_EXIT, e, 0, 0);
		enter(w, ST_GONE, e->ts_ns);
		break;
	case AMZ_TL_CHUNK_BEGIN:
		instant(w, TIMELINE_CHUNK_BEGIN, e, e->a, e->b);
		break;
	case AMZ_TL_CHUNK_END:
		instant(w, TIMELINE_CHUNK_END, e, e->a, e->b);
		break;
	}
}

static int by_item_time(const void *a, const void *b)
{
	const struct timeline_item *x = a, *y = b;

	return (x->ts_ns > y->ts_ns) - (x->ts_ns < y->ts_ns);
}

/* Items are made when a slice ends, so a track's items are sorted by start afterwards; an
 * insertion sort keeps ties in order and is quick on items that are nearly sorted already. */
static void sort_track(struct timeline_item *it, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct timeline_item x = it[i];

		for (j = i; j > 0 && by_item_time(&it[j - 1], &x) > 0; j--)
			it[j] = it[j - 1];
		it[j] = x;
	}
}

/* The last name a task was given: the names, sorted by pid and stable, are searched for the
 * last entry of pid. */
static const char *name_of(const struct walk *w, unsigned int pid)
{
	size_t lo = 0, hi = w->n_names;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->names[mid].pid <= pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && w->names[lo - 1].pid == pid ? w->names[lo - 1].comm : "";
}

struct sorted_name {
	struct timeline_name n;
	size_t seq;
};

static int by_pid_seq(const void *a, const void *b)
{
	const struct sorted_name *x = a, *y = b;

	if (x->n.pid != y->n.pid)
		return x->n.pid < y->n.pid ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static struct timeline_name *sorted_names(const struct timeline *tl)
{
	struct sorted_name *s = calloc(tl->n_names + 1, sizeof(*s));
	struct timeline_name *out = calloc(tl->n_names + 1, sizeof(*out));
	size_t i;

	if (!s || !out) {
		free(s);
		free(out);
		return NULL;
	}
	for (i = 0; i < tl->n_names; i++) {
		s[i].n = tl->names[i];
		s[i].seq = i;
	}
	qsort(s, tl->n_names, sizeof(*s), by_pid_seq);
	for (i = 0; i < tl->n_names; i++)
		out[i] = s[i].n;
	free(s);
	return out;
}

static void begin_track(struct walk *w, const struct amz_tl_event *e)
{
	struct timeline_track *t = &w->v->tracks[w->v->n_tracks++];

	t->pid = e->pid;
	t->tgid = e->tgid;
	snprintf(t->comm, sizeof(t->comm), "%s", name_of(w, e->pid));
	t->first = w->v->n_items;
	w->state = ST_UNKNOWN;
	w->since = w->start;
	w->cpu = 0;
}

static void end_track(struct walk *w)
{
	struct timeline_track *t = &w->v->tracks[w->v->n_tracks - 1];

	close_state(w, w->horizon, ST_UNKNOWN);
	t->n = w->v->n_items - t->first;
	sort_track(w->v->items + t->first, t->n);
}

/* The time the timeline covers: to the read, or, past the cap, to its last record, since
 * nothing is known after it. */
static unsigned long long horizon_of(const struct timeline *tl)
{
	unsigned long long last = tl->start_ns;
	size_t i;

	if (!timeline_capped(tl) && tl->end_ns >= tl->start_ns)
		return tl->end_ns;
	for (i = 0; i < tl->n; i++) {
		if (tl->ev[i].ts_ns > last)
			last = tl->ev[i].ts_ns;
	}
	return last;
}

static struct sorted *sorted_records(const struct timeline *tl)
{
	struct sorted *s = calloc(tl->n ? tl->n : 1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < tl->n; i++) {
		s[i].e = tl->ev[i];
		s[i].seq = i;
	}
	qsort(s, tl->n, sizeof(*s), by_task_time);
	return s;
}

int timeline_build(const struct timeline *tl, struct timeline_view *v, struct amz_err *err)
{
	struct walk w = {.v = v, .start = tl->start_ns, .horizon = horizon_of(tl)};
	struct timeline_name *names;
	struct sorted *s;
	size_t i;

	memset(v, 0, sizeof(v[0]));
	v->span_ns = w.horizon - w.start;

	/* A record makes at most one slice and one instant; each task closes one more slice. */
	s = sorted_records(tl);
	names = sorted_names(tl);
	v->items = calloc(3 * tl->n + 1, sizeof(*v->items));
	v->tracks = calloc(tl->n + 1, sizeof(*v->tracks));
	if (!s || !names || !v->items || !v->tracks) {
		free(s);
		free(names);
		timeline_view_free(v);
		return amz_fail(err, ENOMEM,
				"cannot build the timeline of %zu events: out of memory", tl->n);
	}

	w.names = names;
	w.n_names = tl->n_names;
	for (i = 0; i < tl->n; i++) {
		bool new_task =
			i == 0 || s[i].e.pid != s[i - 1].e.pid || s[i].e.tgid != s[i - 1].e.tgid;

		if (new_task && i > 0)
			end_track(&w);
		if (new_task)
			begin_track(&w, &s[i].e);
		step(&w, &s[i].e);
	}
	if (tl->n)
		end_track(&w);
	free(s);
	free(names);
	return 0;
}

void timeline_view_free(struct timeline_view *v)
{
	free(v->items);
	free(v->tracks);
	memset(v, 0, sizeof(*v));
}
