/* A trace as numbers people read (percentiles, means) and as a JSON document that reloads into
 * the same struct amz_trace, for reports and saved profiles. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tracer.h"

static unsigned long long slot_lo(unsigned int i)
{
	return i == 0 ? 0 : 1ULL << i;
}

static unsigned long long slot_hi(unsigned int i)
{
	return i == 0 ? 2 : 2ULL << i;
}

double trace_hist_percentile(const struct amz_hist *h, double p)
{
	unsigned long long rank, seen = 0, lo, hi;
	unsigned int i;
	double v;

	if (!h->count)
		return NAN;
	if (p >= 1.0)
		return (double)h->max;
	if (p < 0.0)
		p = 0.0;

	rank = (unsigned long long)ceil(p * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < AMZ_HIST_SLOTS; i++) {
		if (seen + h->slot[i] >= rank)
			break;
		seen += h->slot[i];
	}
	if (i == AMZ_HIST_SLOTS)
		return (double)h->max;

	lo = slot_lo(i);
	hi = i == AMZ_HIST_SLOTS - 1 || slot_hi(i) > h->max + 1 ? h->max + 1 : slot_hi(i);
	if (hi <= lo)
		return (double)lo;
	v = (double)lo + (double)(hi - lo) * ((double)(rank - seen) - 0.5) / (double)h->slot[i];
	return v < (double)h->max ? v : (double)h->max;
}

double trace_hist_mean(const struct amz_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : NAN;
}

double trace_parallelism_mean(const struct amz_trace *t)
{
	double weighted = 0, total = 0;
	unsigned int i;

	for (i = 0; i < AMZ_CONC_SLOTS; i++) {
		weighted += (double)i * (double)t->k.conc_ns[i];
		total += (double)t->k.conc_ns[i];
	}
	return total > 0 ? weighted / total : NAN;
}

/* Counters, by the section of the document they live in. */
struct counter_field {
	const char *section; /* NULL: at the top level */
	const char *key;
	size_t off;
};

#define COUNTER(section, key, field)                                                               \
	{                                                                                          \
		section, key, offsetof(struct amz_counters, field)                                 \
	}

static const struct counter_field counter_fields[] = {
	COUNTER("tasks", "processes", processes),
	COUNTER("tasks", "threads", threads),
	COUNTER("tasks", "process_exits", process_exits),
	COUNTER("tasks", "task_exits", task_exits),
	COUNTER("tasks", "execs", execs),
	COUNTER("tasks", "untracked_processes", track_full),
	COUNTER("tasks", "untracked_tasks", tasks_full),
	COUNTER("scheduling", "cpu_ns", cpu_ns),
	COUNTER("scheduling", "runq_wait_ns", runq_ns),
	COUNTER("scheduling", "blocked_ns", blocked_ns),
	COUNTER("scheduling", "wakeups", wakeups),
	COUNTER("scheduling", "switches", switches),
	COUNTER("scheduling", "preemptions", preemptions),
	COUNTER("scheduling", "migrations", migrations),
	COUNTER("chunks", "count", chunks),
	COUNTER("chunks", "items", chunk_items),
	COUNTER("chunks", "unmatched_ends", chunk_unmatched),
	COUNTER("chunks", "first_per_thread", first_chunks),
	COUNTER("chunks", "first_items", first_items),
	COUNTER("chunks", "first_cpu_ns", first_cpu_ns),
	COUNTER("parallelism", "contended_updates", conc_races),
	COUNTER(NULL, "lost_events", lost_events),
	COUNTER(NULL, "events", events),
};

struct hist_field {
	const char *section; /* NULL: at the top level */
	const char *key;
	size_t off;
};

#define HIST(section, key, field)                                                                  \
	{                                                                                          \
		section, key, offsetof(struct amz_stats, field)                                    \
	}

static const struct hist_field hist_fields[] = {
	HIST(NULL, "spawn_latency_ns", spawn_ns),
	HIST("spawn_latency_ns", "parent_in_clone", clone_ns),
	HIST("spawn_latency_ns", "child_first_run", first_run_ns),
	HIST("spawn_latency_ns", "between_clone_calls", clone_gap_ns),
	HIST(NULL, "exec_latency_ns", exec_ns),
	HIST(NULL, "wakeup_latency_ns", wakeup_ns),
	HIST(NULL, "bursts_ns", burst_ns),
	HIST("chunks", "duration_ns", chunk_ns),
	HIST("chunks", "gap_ns", chunk_gap_ns),
	HIST("chunks", "cpu_ns", chunk_cpu_ns),
	HIST("chunks", "items_per_chunk", chunk_items_h),
};

static void add_u64(json_object *o, const char *key, unsigned long long v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static void add_double(json_object *o, const char *key, double v)
{
	json_object_object_add(o, key, isnan(v) ? NULL : json_object_new_double(v));
}

/* The object at key in o, created when missing. */
static json_object *section(json_object *o, const char *key)
{
	json_object *s;

	if (!key)
		return o;
	if (json_object_object_get_ex(o, key, &s))
		return s;
	s = json_object_new_object();
	json_object_object_add(o, key, s);
	return s;
}

static void hist_to_json(json_object *o, const struct amz_hist *h)
{
	json_object *slots = json_object_new_array();
	unsigned int i;

	add_u64(o, "count", h->count);
	add_u64(o, "sum", h->sum);
	add_u64(o, "max", h->max);
	add_double(o, "mean", trace_hist_mean(h));
	add_double(o, "p50", trace_hist_percentile(h, 0.50));
	add_double(o, "p90", trace_hist_percentile(h, 0.90));
	add_double(o, "p99", trace_hist_percentile(h, 0.99));
	for (i = 0; i < AMZ_HIST_SLOTS; i++) {
		json_object *pair;

		if (!h->slot[i])
			continue;
		pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_int64((int64_t)slot_lo(i)));
		json_object_array_add(pair, json_object_new_int64((int64_t)h->slot[i]));
		json_object_array_add(slots, pair);
	}
	json_object_object_add(o, "log2_slots", slots);
}

static bool chunks_seen(const struct amz_trace *t)
{
	return t->usdt_binaries || t->k.c.chunks || t->k.c.chunk_unmatched;
}

static bool section_wanted(const struct amz_trace *t, const char *name)
{
	return !name || strcmp(name, "chunks") != 0 || chunks_seen(t);
}

static void kernel_to_json(json_object *root, const struct amz_trace *t)
{
	const unsigned long long *c = (const unsigned long long *)&t->k.c;
	json_object *levels = json_object_new_array();
	size_t i, last = 0;

	for (i = 0; i < ARRAY_SIZE(hist_fields); i++) {
		const struct hist_field *f = &hist_fields[i];

		if (section_wanted(t, f->section))
			hist_to_json(section(section(root, f->section), f->key),
				     (const void *)((const char *)&t->k + f->off));
	}
	for (i = 0; i < ARRAY_SIZE(counter_fields); i++) {
		const struct counter_field *f = &counter_fields[i];

		if (section_wanted(t, f->section))
			add_u64(section(root, f->section), f->key, c[f->off / sizeof(*c)]);
	}

	for (i = 0; i < AMZ_CONC_SLOTS; i++) {
		if (t->k.conc_ns[i])
			last = i + 1;
	}
	for (i = 0; i < last; i++)
		json_object_array_add(levels, json_object_new_int64((int64_t)t->k.conc_ns[i]));
	add_double(section(root, "parallelism"), "mean", trace_parallelism_mean(t));
	json_object_object_add(section(root, "parallelism"), "time_at_level_ns", levels);
	if (t->series_n)
		json_object_object_add(section(root, "parallelism"), "over_time",
				       trace_series_to_json(t));
	if (chunks_seen(t))
		add_u64(section(root, "chunks"), "binaries", t->usdt_binaries);
}

static json_object *task_to_json(const struct amz_task_stats *s)
{
	json_object *o = json_object_new_object();

	add_u64(o, "pid", s->pid);
	add_u64(o, "tgid", s->tgid);
	add_u64(o, "ppid", s->ppid);
	json_object_object_add(o, "thread", json_object_new_boolean(s->is_thread));
	json_object_object_add(
		o, "comm",
		json_object_new_string_len(s->comm, (int)strnlen(s->comm, sizeof(s->comm))));
	add_u64(o, "cpu_ns", s->cpu_ns);
	add_u64(o, "runq_wait_ns", s->runq_ns);
	add_u64(o, "blocked_ns", s->blocked_ns);
	add_u64(o, "wakeups", s->wakeups);
	add_u64(o, "migrations", s->migrations);
	add_u64(o, "bursts", s->bursts);
	add_u64(o, "preemptions", s->preemptions);
	add_u64(o, "chunks", s->chunks);
	return o;
}

static void left_running_to_json(json_object *tasks, const struct amz_trace *t)
{
	json_object *pids = json_object_new_array();
	unsigned int i;

	add_u64(tasks, "left_running", t->left_running);
	for (i = 0; i < t->left_running && i < AMZ_TRACE_LEFT_PIDS; i++)
		json_object_array_add(pids, json_object_new_int64(t->left_pids[i]));
	json_object_object_add(tasks, "left_running_pids", pids);
}

static void bpf_side_to_json(json_object *root, const struct amz_trace *t)
{
	json_object *cost = section(root, "tracer_cost");
	json_object *records = section(root, "task_records");
	json_object *top = json_object_new_array();
	unsigned int i;

	json_object_object_add(root, "attach", json_object_new_string(t->attach_mode));
	kernel_to_json(root, t);

	add_u64(cost, "bpf_run_ns", t->bpf_run_ns);
	add_u64(cost, "bpf_runs", t->bpf_run_cnt);
	add_u64(cost, "stats_on_ns", t->bpf_stats_ns);
	add_double(cost, "ns_per_event",
		   t->bpf_run_cnt ? (double)t->bpf_run_ns / (double)t->bpf_run_cnt : NAN);

	add_u64(records, "seen", t->tasks_seen);
	for (i = 0; i < t->ntop && i < AMZ_TRACE_TOP_TASKS; i++)
		json_object_array_add(top, task_to_json(&t->top[i]));
	json_object_object_add(records, "top_by_cpu", top);
	left_running_to_json(section(root, "tasks"), t);
}

static void fallback_to_json(json_object *root, const struct amz_trace *t)
{
	json_object *tasks = section(root, "tasks");

	json_object_object_add(root, "why_no_bpf", json_object_new_string(t->why_no_bpf));
	add_u64(tasks, "processes", t->sampled_processes);
	add_u64(tasks, "threads", t->sampled_threads);
	json_object_object_add(tasks, "source", json_object_new_string("userspace"));
	add_u64(tasks, "sampled_every_ms", t->sampled_every_ms);
}

static void run_to_json(json_object *root, const struct amz_trace *t)
{
	json_object_object_add(root, "exit_status", json_object_new_int(t->exit_status));
	json_object_object_add(root, "signal", json_object_new_int(t->term_signal));
	json_object_object_add(root, "attached", json_object_new_boolean(t->attached));
	add_u64(root, "wall_ns", t->wall_ns);
	add_double(root, "wall_s", (double)t->wall_ns / 1e9);

	if (t->rusage_known) {
		json_object *r = section(root, "rusage");

		add_u64(r, "user_ns", t->user_ns);
		add_u64(r, "sys_ns", t->sys_ns);
		add_u64(r, "peak_rss_kib", t->peak_rss_kib);
		json_object_object_add(r, "source", json_object_new_string("userspace"));
	}
	if (t->throttle_known) {
		json_object *r = section(root, "throttling");

		add_u64(r, "nr_periods", t->nr_periods);
		add_u64(r, "nr_throttled", t->nr_throttled);
		add_u64(r, "throttled_ns", t->throttled_ns);
		json_object_object_add(r, "source", json_object_new_string("userspace"));
	}
}

json_object *trace_to_json(const struct amz_trace *t)
{
	json_object *root = json_object_new_object();

	json_object_object_add(root, "source", json_object_new_string(t->source));
	run_to_json(root, t);
	if (strcmp(t->source, "bpf") == 0)
		bpf_side_to_json(root, t);
	else
		fallback_to_json(root, t);
	return root;
}

/* Reading back: a missing key leaves the field zero, a wrong type fails. */
static json_object *find(json_object *o, const char *section_key, const char *key)
{
	json_object *s = o, *v;

	if (section_key && !json_object_object_get_ex(o, section_key, &s))
		return NULL;
	if (!json_object_object_get_ex(s, key, &v))
		return NULL;
	return v;
}

static int get_u64(json_object *v, unsigned long long *out, const char *key, struct amz_err *err)
{
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return amz_fail(err, EINVAL, "the trace's %s is not an integer", key);
	*out = (unsigned long long)json_object_get_int64(v);
	return 0;
}

static int hist_from_json(json_object *o, struct amz_hist *h, const char *key, struct amz_err *err)
{
	json_object *slots;
	size_t i, n;

	if (!o)
		return 0;
	if (get_u64(find(o, NULL, "count"), &h->count, key, err) < 0 ||
	    get_u64(find(o, NULL, "sum"), &h->sum, key, err) < 0 ||
	    get_u64(find(o, NULL, "max"), &h->max, key, err) < 0)
		return -1;
	slots = find(o, NULL, "log2_slots");
	if (!slots)
		return 0;
	if (!json_object_is_type(slots, json_type_array))
		return amz_fail(err, EINVAL, "the trace's %s.log2_slots is not an array", key);

	n = json_object_array_length(slots);
	for (i = 0; i < n; i++) {
		json_object *pair = json_object_array_get_idx(slots, i);
		unsigned long long lo;
		unsigned int s;

		if (!json_object_is_type(pair, json_type_array) ||
		    json_object_array_length(pair) != 2)
			return amz_fail(err, EINVAL, "the trace's %s.log2_slots holds a bad pair",
					key);
		lo = (unsigned long long)json_object_get_int64(json_object_array_get_idx(pair, 0));
		for (s = 0; s < AMZ_HIST_SLOTS && slot_lo(s) != lo; s++)
			;
		if (s == AMZ_HIST_SLOTS)
			return amz_fail(err, EINVAL,
					"the trace's %s.log2_slots names no slot starting at %llu",
					key, lo);
		h->slot[s] = (unsigned long long)json_object_get_int64(
			json_object_array_get_idx(pair, 1));
	}
	return 0;
}

static void get_string(json_object *o, const char *key, char *dst, size_t size)
{
	json_object *v = find(o, NULL, key);

	if (v && json_object_is_type(v, json_type_string))
		snprintf(dst, size, "%s", json_object_get_string(v));
}

static int task_from_json(json_object *o, struct amz_task_stats *s, struct amz_err *err)
{
	unsigned long long pid = 0, tgid = 0, ppid = 0;
	json_object *v;

	if (!json_object_is_type(o, json_type_object))
		return amz_fail(err, EINVAL, "the trace's task record is not an object");
	if (get_u64(find(o, NULL, "pid"), &pid, "pid", err) < 0 ||
	    get_u64(find(o, NULL, "tgid"), &tgid, "tgid", err) < 0 ||
	    get_u64(find(o, NULL, "ppid"), &ppid, "ppid", err) < 0 ||
	    get_u64(find(o, NULL, "cpu_ns"), &s->cpu_ns, "cpu_ns", err) < 0 ||
	    get_u64(find(o, NULL, "runq_wait_ns"), &s->runq_ns, "runq_wait_ns", err) < 0 ||
	    get_u64(find(o, NULL, "blocked_ns"), &s->blocked_ns, "blocked_ns", err) < 0 ||
	    get_u64(find(o, NULL, "wakeups"), &s->wakeups, "wakeups", err) < 0 ||
	    get_u64(find(o, NULL, "migrations"), &s->migrations, "migrations", err) < 0 ||
	    get_u64(find(o, NULL, "bursts"), &s->bursts, "bursts", err) < 0 ||
	    get_u64(find(o, NULL, "preemptions"), &s->preemptions, "preemptions", err) < 0 ||
	    get_u64(find(o, NULL, "chunks"), &s->chunks, "chunks", err) < 0)
		return -1;
	s->pid = (unsigned int)pid;
	s->tgid = (unsigned int)tgid;
	s->ppid = (unsigned int)ppid;
	v = find(o, NULL, "thread");
	s->is_thread = v ? json_object_get_boolean(v) : 0;
	v = find(o, NULL, "comm");
	if (v && json_object_is_type(v, json_type_string))
		strncpy(s->comm, json_object_get_string(v), sizeof(s->comm));
	return 0;
}

static int kernel_from_json(json_object *root, struct amz_trace *t, struct amz_err *err)
{
	unsigned long long *c = (unsigned long long *)&t->k.c;
	json_object *levels, *top;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(hist_fields); i++) {
		const struct hist_field *f = &hist_fields[i];
		json_object *h = f->section ? find(find(root, NULL, f->section), NULL, f->key)
					    : find(root, NULL, f->key);

		if (f->section && !find(root, NULL, f->section))
			h = NULL;
		if (hist_from_json(h, (void *)((char *)&t->k + f->off), f->key, err) < 0)
			return -1;
	}
	for (i = 0; i < ARRAY_SIZE(counter_fields); i++) {
		const struct counter_field *f = &counter_fields[i];

		if (get_u64(find(root, f->section, f->key), &c[f->off / sizeof(*c)], f->key, err) <
		    0)
			return -1;
	}

	levels = find(root, "parallelism", "time_at_level_ns");
	n = levels && json_object_is_type(levels, json_type_array)
		    ? json_object_array_length(levels)
		    : 0;
	for (i = 0; i < n && i < AMZ_CONC_SLOTS; i++)
		t->k.conc_ns[i] = (unsigned long long)json_object_get_int64(
			json_object_array_get_idx(levels, i));

	if (trace_series_from_json(find(root, "parallelism", "over_time"), t, err) < 0)
		return -1;

	top = find(root, "task_records", "top_by_cpu");
	n = top && json_object_is_type(top, json_type_array) ? json_object_array_length(top) : 0;
	for (i = 0; i < n && i < AMZ_TRACE_TOP_TASKS; i++) {
		if (task_from_json(json_object_array_get_idx(top, i), &t->top[i], err) < 0)
			return -1;
	}
	t->ntop = (unsigned int)i;
	return 0;
}

static int left_running_from_json(json_object *root, struct amz_trace *t, struct amz_err *err)
{
	unsigned long long n = 0;
	json_object *pids = find(root, "tasks", "left_running_pids");
	size_t i, len;

	if (get_u64(find(root, "tasks", "left_running"), &n, "tasks.left_running", err) < 0)
		return -1;
	t->left_running = (unsigned int)(n < UINT32_MAX ? n : UINT32_MAX);
	if (!pids)
		return 0;
	if (!json_object_is_type(pids, json_type_array))
		return amz_fail(err, EINVAL, "the trace's tasks.left_running_pids is not an array");
	len = json_object_array_length(pids);
	for (i = 0; i < len && i < AMZ_TRACE_LEFT_PIDS && i < t->left_running; i++)
		t->left_pids[i] =
			(unsigned int)json_object_get_int64(json_object_array_get_idx(pids, i));
	return 0;
}

static int bpf_side_from_json(json_object *root, struct amz_trace *t, struct amz_err *err)
{
	unsigned long long binaries = 0;

	get_string(root, "attach", t->attach_mode, sizeof(t->attach_mode));
	if (kernel_from_json(root, t, err) < 0 ||
	    get_u64(find(root, "chunks", "binaries"), &binaries, "chunks.binaries", err) < 0 ||
	    get_u64(find(root, "tracer_cost", "bpf_run_ns"), &t->bpf_run_ns, "bpf_run_ns", err) <
		    0 ||
	    get_u64(find(root, "tracer_cost", "bpf_runs"), &t->bpf_run_cnt, "bpf_runs", err) < 0 ||
	    get_u64(find(root, "tracer_cost", "stats_on_ns"), &t->bpf_stats_ns, "stats_on_ns",
		    err) < 0 ||
	    get_u64(find(root, "task_records", "seen"), &t->tasks_seen, "task_records.seen", err) <
		    0 ||
	    left_running_from_json(root, t, err) < 0)
		return -1;
	t->usdt_binaries = (unsigned int)binaries;
	return 0;
}

static int fallback_from_json(json_object *root, struct amz_trace *t, struct amz_err *err)
{
	unsigned long long every = 0;

	get_string(root, "why_no_bpf", t->why_no_bpf, sizeof(t->why_no_bpf));
	if (get_u64(find(root, "tasks", "processes"), &t->sampled_processes, "tasks.processes",
		    err) < 0 ||
	    get_u64(find(root, "tasks", "threads"), &t->sampled_threads, "tasks.threads", err) <
		    0 ||
	    get_u64(find(root, "tasks", "sampled_every_ms"), &every, "sampled_every_ms", err) < 0)
		return -1;
	t->sampled_every_ms = (unsigned int)every;
	return 0;
}

static int run_from_json(json_object *root, struct amz_trace *t, struct amz_err *err)
{
	json_object *v;

	v = find(root, NULL, "exit_status");
	t->exit_status = v ? json_object_get_int(v) : 0;
	v = find(root, NULL, "signal");
	t->term_signal = v ? json_object_get_int(v) : 0;
	v = find(root, NULL, "attached");
	t->attached = v ? json_object_get_boolean(v) : false;
	t->rusage_known = find(root, NULL, "rusage") != NULL;
	t->throttle_known = find(root, NULL, "throttling") != NULL;

	if (get_u64(find(root, NULL, "wall_ns"), &t->wall_ns, "wall_ns", err) < 0 ||
	    get_u64(find(root, "rusage", "user_ns"), &t->user_ns, "rusage.user_ns", err) < 0 ||
	    get_u64(find(root, "rusage", "sys_ns"), &t->sys_ns, "rusage.sys_ns", err) < 0 ||
	    get_u64(find(root, "rusage", "peak_rss_kib"), &t->peak_rss_kib, "peak_rss_kib", err) <
		    0 ||
	    get_u64(find(root, "throttling", "nr_periods"), &t->nr_periods, "nr_periods", err) <
		    0 ||
	    get_u64(find(root, "throttling", "nr_throttled"), &t->nr_throttled, "nr_throttled",
		    err) < 0 ||
	    get_u64(find(root, "throttling", "throttled_ns"), &t->throttled_ns, "throttled_ns",
		    err) < 0)
		return -1;
	return 0;
}

int trace_from_json(json_object *root, struct amz_trace *t, struct amz_err *err)
{
	memset(t, 0, sizeof(*t));
	if (!root || !json_object_is_type(root, json_type_object))
		return amz_fail(err, EINVAL, "the trace is not a JSON object");
	get_string(root, "source", t->source, sizeof(t->source));
	if (strcmp(t->source, "bpf") != 0 && strcmp(t->source, "userspace") != 0)
		return amz_fail(err, EINVAL,
				"the document is not a trace: its source is neither \"bpf\" nor "
				"\"userspace\"");

	if (run_from_json(root, t, err) < 0)
		return -1;
	if (strcmp(t->source, "userspace") == 0)
		return fallback_from_json(root, t, err);

	return bpf_side_from_json(root, t, err);
}
