/* Calibration's orchestrator: the plan of probes for an effort level, the repeat-until-stable
 * loop, the fork-cost fit over parent sizes, and the JSON form of the result. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "calibrate_probes.h"
#include "profile.h"
#include "stats.h"
#include "tracer.h"

/* How hard each effort level tries: the interval of the median to reach, the fewest trials
 * to accept, and a factor on every probe's time budget. The default's 30 trials keep the
 * medians of five runs within about 10% of each other on a 2-CPU VM whose own pipe round trip
 * drifts far more between them (tools/bench/calibrate), in about half a second. */
struct effort_rule {
	const char *name;
	double target_rel;
	size_t min_n;
	double budget_scale;
};

static const struct effort_rule effort_rules[] = {
	[CALIB_QUICK] = {"quick", 0.10, 8, 0.35},
	[CALIB_DEFAULT] = {"default", 0.025, 30, 2.5},
	[CALIB_THOROUGH] = {"thorough", 0.02, 40, 5.0},
};

/* Trials thrown away first: the first fork and the first wakeup pay for cold caches and
 * page faults that a running pool does not. */
#define WARMUP_TRIALS 2

/* Parent sizes for the fork probes, on top of what amzprof itself has resident. */
static const size_t default_sizes_mib[] = {0, 32, 128};
static const size_t thorough_sizes_mib[] = {0, 32, 128, 512, 1024};

/* Which of the tracer's histograms holds the kernel's view of a probe's trials. */
enum kernel_view {
	VIEW_NONE,
	VIEW_SPAWN,  /* the parent's clone call to the child's first run */
	VIEW_EXEC,   /* exec of the spawned binary */
	VIEW_WAKEUP, /* wakeup to run */
};

struct plan_item {
	const char *name;
	enum probe_kind kind;
	struct probe_params params;
	struct calib_figure *fig;
	double budget_ms;
};

struct plan {
	struct plan_item items[32];
	int n;
};

const char *calibrate_effort_name(enum calib_effort e)
{
	return effort_rules[e].name;
}

static void add(struct plan *p, const char *name, enum probe_kind kind,
		const struct probe_params *params, struct calib_figure *fig, double budget_ms)
{
	struct plan_item *it = &p->items[p->n++];

	it->name = name;
	it->kind = kind;
	it->params = *params;
	it->fig = fig;
	it->budget_ms = budget_ms;
}

static const char *small_binary(void)
{
	static const char *const candidates[] = {"/bin/true", "/usr/bin/true"};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(candidates); i++)
		if (access(candidates[i], X_OK) == 0)
			return candidates[i];
	return NULL;
}

static void plan_spawn(struct plan *p, struct amz_calibration *c, enum calib_effort effort)
{
	const size_t *sizes = effort == CALIB_THOROUGH ? thorough_sizes_mib : default_sizes_mib;
	size_t i, n = effort == CALIB_THOROUGH ? ARRAY_SIZE(thorough_sizes_mib)
					       : ARRAY_SIZE(default_sizes_mib);
	struct probe_params unpinned = {.cpu_a = -1, .cpu_b = -1, .core_a = -1, .core_b = -1};

	/* Spawns run unpinned: where the scheduler puts a new task is part of what it costs. */
	c->n_fork_sizes = (int)n;
	for (i = 0; i < n; i++) {
		struct probe_params sized = unpinned;

		sized.rss_bytes = sizes[i] << 20;
		add(p, i ? "fork (large parent)" : "fork", PROBE_FORK, &sized,
		    &c->fork_sizes[i].fig, i ? 70 : 90);
	}
	add(p, "thread", PROBE_THREAD, &unpinned, &c->thread, 40);
	unpinned.binary = small_binary();
	add(p, "posix_spawn", PROBE_POSIX_SPAWN, &unpinned, &c->posix_spawn, 70);
}

static void plan_dispatch(struct plan *p, struct amz_calibration *c, const struct calib_cpus *cpu)
{
	struct probe_params same = {.cpu_a = cpu->a, .cpu_b = cpu->a, .core_a = -1, .core_b = -1};
	struct probe_params cross = same;
	struct probe_params unpinned_pool = {.cpu_a = -1, .cpu_b = -1, .core_a = -1, .core_b = -1};

	cross.cpu_b = cpu->b;
	add(p, "pipe, same CPU", PROBE_PIPE, &same, &c->pipe_same, 30);
	add(p, "pipe, other CPU", PROBE_PIPE, &cross, &c->pipe_cross, 30);
	add(p, "futex, same CPU", PROBE_FUTEX, &same, &c->futex_same, 30);
	add(p, "futex, other CPU", PROBE_FUTEX, &cross, &c->futex_cross, 30);
	add(p, "unix socket, same CPU", PROBE_UNIX, &same, &c->unix_same, 30);
	add(p, "unix socket, other CPU", PROBE_UNIX, &cross, &c->unix_cross, 30);
	add(p, "amz_map, threads", PROBE_POOL_THREADS, &unpinned_pool, &c->pool_threads, 30);
	add(p, "amz_map, processes", PROBE_POOL_PROCESSES, &unpinned_pool, &c->pool_processes, 40);

	/* Streams use two CPUs where there are two: a pool's workers run beside its parent. */
	cross.cpu_b = cpu->b >= 0 ? cpu->b : cpu->a;
	add(p, "pipe bytes", PROBE_IPC_PIPE, &cross, &c->ipc_pipe, 40);
	add(p, "shared memory bytes", PROBE_IPC_SHM, &cross, &c->ipc_shm, 40);
}

static void plan_smt(struct plan *p, struct amz_calibration *c, const struct calib_cpus *cpu)
{
	struct probe_params pair = {.cpu_a = cpu->sibling_a,
				    .cpu_b = cpu->sibling_b,
				    .core_a = cpu->core_a,
				    .core_b = cpu->core_b};

	add(p, "SMT siblings", PROBE_SMT, &pair, &c->smt, 100);
}

/* A figure is marked unmeasurable before its probe runs when the host lacks what it needs. */
static bool unmeasurable(const struct plan_item *it, const struct calib_cpus *cpu)
{
	struct calib_figure *f = it->fig;

	if (it->kind == PROBE_POSIX_SPAWN && !it->params.binary)
		snprintf(f->why_not, sizeof(f->why_not),
			 "neither /bin/true nor /usr/bin/true exists");
	else if (it->kind == PROBE_SMT && cpu->sibling_a < 0)
		snprintf(f->why_not, sizeof(f->why_not), "no two SMT siblings are allowed CPUs");
	else if (it->kind == PROBE_SMT && cpu->core_a < 0)
		snprintf(f->why_not, sizeof(f->why_not),
			 "no two separate physical cores are allowed CPUs to compare with");
	else if (it->params.cpu_b < 0 && it->params.cpu_a >= 0 &&
		 (it->kind == PROBE_PIPE || it->kind == PROBE_FUTEX || it->kind == PROBE_UNIX))
		snprintf(f->why_not, sizeof(f->why_not), "only one CPU is allowed");
	else
		return false;
	f->measured = false;
	return true;
}

static long resident_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

static void fill_figure(struct calib_figure *f, const struct stats_summary *v,
			const struct stats_summary *parent, double target_rel, size_t min_n)
{
	f->measured = v->n > 0;
	f->median = v->median;
	f->mad = v->mad;
	f->ci95_rel = v->ci95_rel;
	f->n = v->n;
	f->stable = stats_stable(v, target_rel, min_n);
	f->parent = parent->n ? parent->median : 0;
}

struct trial_sets {
	struct stats_samples value, parent;
};

static int run_trials(struct probe_state *ps, struct trial_sets *t, const struct effort_rule *rule,
		      uint64_t deadline)
{
	struct stats_summary sum;
	struct probe_sample s;
	size_t done = 0;
	int r;

	for (;;) {
		if (amz_stop_requested())
			return -EINTR;
		r = probe_trial(ps, &s);
		if (r < 0)
			return r;
		if (++done > WARMUP_TRIALS) {
			stats_add(&t->value, s.value);
			if (s.parent > 0)
				stats_add(&t->parent, s.parent);
		}
		if (t->value.n && t->value.n % 8 == 0) {
			stats_summarize(&t->value, &sum);
			if (stats_stable(&sum, rule->target_rel, rule->min_n))
				return 0;
		}
		if (amz_now_ns() >= deadline && t->value.n >= 3)
			return 0;
	}
}

static enum kernel_view view_of(enum probe_kind kind)
{
	switch (kind) {
	case PROBE_FORK:
	case PROBE_THREAD:
		return VIEW_SPAWN;
	case PROBE_POSIX_SPAWN:
		return VIEW_EXEC;
	case PROBE_PIPE:
	case PROBE_FUTEX:
	case PROBE_UNIX:
		return VIEW_WAKEUP;
	default:
		return VIEW_NONE;
	}
}

/* The kernel's histogram of the same trials; its resolution is one log2 slot. */
static void read_kernel_view(struct tracer *t, enum probe_kind kind, struct calib_figure *f)
{
	struct amz_trace *trace = calloc(1, sizeof(*trace));
	const struct amz_hist *h = NULL;

	if (!trace)
		return;
	tracer_read(t, trace);
	switch (view_of(kind)) {
	case VIEW_SPAWN:
		h = &trace->k.spawn_ns;
		break;
	case VIEW_EXEC:
		h = &trace->k.exec_ns;
		break;
	case VIEW_WAKEUP:
		h = &trace->k.wakeup_ns;
		break;
	case VIEW_NONE:
		break;
	}
	if (h && h->count) {
		f->kernel_p50_ns = trace_hist_percentile(h, 0.5);
		f->kernel_p90_ns = trace_hist_percentile(h, 0.9);
		f->kernel_events = h->count;
	}
	free(trace);
}

static void run_item(const struct plan_item *it, const struct effort_rule *rule, struct tracer *t)
{
	struct trial_sets trials = {0};
	struct stats_summary v, parent;
	struct probe_state *ps;
	uint64_t deadline;
	int r;

	r = probe_setup(it->kind, &it->params, &ps);
	if (r < 0) {
		snprintf(it->fig->why_not, sizeof(it->fig->why_not), "the probe cannot start: %s",
			 amz_reason(-r));
		return;
	}

	deadline = amz_now_ns() + (uint64_t)(it->budget_ms * rule->budget_scale * 1e6);
	if (t)
		tracer_reset(t);
	r = run_trials(ps, &trials, rule, deadline);
	probe_teardown(ps);
	if (r < 0) {
		snprintf(it->fig->why_not, sizeof(it->fig->why_not), "a trial failed: %s",
			 amz_reason(-r));
		it->fig->measured = false;
	} else {
		stats_summarize(&trials.value, &v);
		stats_summarize(&trials.parent, &parent);
		fill_figure(it->fig, &v, &parent, rule->target_rel, rule->min_n);
		if (t)
			read_kernel_view(t, it->kind, it->fig);
	}
	stats_free(&trials.value);
	stats_free(&trials.parent);
}

static void fit_fork_sizes(struct amz_calibration *c)
{
	double x[CALIB_MAX_FORK_SIZES], y[CALIB_MAX_FORK_SIZES], a, b;
	int i, n = 0;

	for (i = 0; i < c->n_fork_sizes; i++) {
		if (!c->fork_sizes[i].fig.measured)
			continue;
		x[n] = c->fork_sizes[i].rss_bytes / (1 << 20);
		y[n] = c->fork_sizes[i].fig.median;
		n++;
	}
	if (n < 2)
		return;
	stats_fit_line(x, y, (size_t)n, &a, &b);
	c->fork_ns_per_mib = b > 0 ? b : 0;
}

void calibrate_cpus_for(const struct amz_host *h, struct calib_cpus *cpus)
{
	int pair[2];

	memset(cpus, -1, sizeof(*cpus));
	if (host_core_pair(h, pair) == 0) {
		cpus->core_a = cpus->a = pair[0];
		cpus->core_b = cpus->b = pair[1];
	} else if (h->n_cpus > 0) {
		cpus->a = h->cpus[0].cpu;
		cpus->b = h->n_cpus > 1 ? h->cpus[1].cpu : -1;
	}
	if (host_smt_pair(h, pair) == 0) {
		cpus->sibling_a = pair[0];
		cpus->sibling_b = pair[1];
	}
}

int calibrate_run(struct amz_calibration *c, const struct calib_opts *o, struct amz_err *err)
{
	const struct effort_rule *rule = &effort_rules[o->effort];
	uint64_t start = amz_now_ns();
	struct plan p = {.n = 0};
	long base_rss = resident_bytes();
	int i;

	memset(c, 0, sizeof(*c));
	snprintf(c->source, sizeof(c->source), "userspace");
	snprintf(c->effort, sizeof(c->effort), "%s", rule->name);
	c->cpu_a = o->cpus.a;
	c->cpu_b = o->cpus.b;
	if (o->cpus.a < 0)
		return amz_fail(err, EINVAL,
				"cannot calibrate: no CPU is allowed to run the probes");

	/* Plan every probe, then run them one after another. */
	plan_spawn(&p, c, o->effort);
	plan_dispatch(&p, c, &o->cpus);
	plan_smt(&p, c, &o->cpus);

	/* The kernel's view: the tracer follows this process, whose probes fork the tasks. */
	if (o->tracer && tracer_follow(o->tracer, getpid(), err) == 0)
		snprintf(c->source, sizeof(c->source), "bpf");
	for (i = 0; i < p.n && !amz_stop_requested(); i++) {
		if (o->progress)
			o->progress(p.items[i].name, i, p.n, o->progress_ctx);
		if (!unmeasurable(&p.items[i], &o->cpus))
			run_item(&p.items[i], rule, c->source[0] == 'b' ? o->tracer : NULL);
	}
	if (amz_stop_requested())
		return amz_fail(err, EINTR, "calibration was interrupted");

	/* The small-parent fork is the headline fork figure; sizes feed the fit. */
	for (i = 0; i < c->n_fork_sizes; i++)
		c->fork_sizes[i].rss_bytes =
			(double)base_rss + (double)(o->effort == CALIB_THOROUGH
							    ? thorough_sizes_mib[i]
							    : default_sizes_mib[i]) *
						   (1 << 20);
	c->fork = c->fork_sizes[0].fig;
	fit_fork_sizes(c);
	c->wall_s = (double)(amz_now_ns() - start) / 1e9;
	return 0;
}

double calibrate_fork_ns(const struct amz_calibration *c, double rss_bytes)
{
	double extra = rss_bytes - c->fork_sizes[0].rss_bytes;

	if (!c->fork.measured)
		return 0;
	return c->fork.median + (extra > 0 ? extra / (1 << 20) * c->fork_ns_per_mib : 0);
}

/* JSON */

static json_object *figure_json(const struct calib_figure *f)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "measured", json_object_new_boolean(f->measured));
	if (!f->measured) {
		json_object_object_add(o, "why_not", json_object_new_string(f->why_not));
		return o;
	}
	json_object_object_add(o, "median", json_object_new_double(f->median));
	json_object_object_add(o, "mad", json_object_new_double(f->mad));
	json_object_object_add(o, "ci95_rel", json_object_new_double(f->ci95_rel));
	json_object_object_add(o, "n", json_object_new_int64((int64_t)f->n));
	json_object_object_add(o, "stable", json_object_new_boolean(f->stable));
	if (f->parent > 0)
		json_object_object_add(o, "parent_median", json_object_new_double(f->parent));
	if (f->kernel_events) {
		json_object *k = json_object_new_object();

		json_object_object_add(k, "p50_ns", json_object_new_double(f->kernel_p50_ns));
		json_object_object_add(k, "p90_ns", json_object_new_double(f->kernel_p90_ns));
		json_object_object_add(k, "events",
				       json_object_new_int64((int64_t)f->kernel_events));
		json_object_object_add(o, "kernel", k);
	}
	return o;
}

/* A dispatch mechanism: the headline is the other-CPU figure, where a pool's workers run. */
static json_object *dispatch_json(const struct calib_figure *same, const struct calib_figure *cross)
{
	json_object *o = figure_json(cross->measured ? cross : same);

	json_object_object_add(o, "cpu",
			       json_object_new_string(cross->measured ? "other" : "same"));
	json_object_object_add(o, "same_cpu", figure_json(same));
	json_object_object_add(o, "other_cpu", figure_json(cross));
	return o;
}

static json_object *spawn_json(const struct amz_calibration *c)
{
	json_object *o = json_object_new_object(), *sizes = json_object_new_array();
	int i;

	json_object_object_add(o, "fork", figure_json(&c->fork));
	json_object_object_add(o, "thread", figure_json(&c->thread));
	json_object_object_add(o, "posix_spawn", figure_json(&c->posix_spawn));
	for (i = 0; i < c->n_fork_sizes; i++) {
		json_object *s = figure_json(&c->fork_sizes[i].fig);

		json_object_object_add(s, "rss_bytes",
				       json_object_new_double(c->fork_sizes[i].rss_bytes));
		json_object_array_add(sizes, s);
	}
	json_object_object_add(o, "fork_by_rss", sizes);
	json_object_object_add(o, "fork_ns_per_mib", json_object_new_double(c->fork_ns_per_mib));
	return o;
}

json_object *calibrate_to_json(const struct amz_calibration *c)
{
	json_object *o = json_object_new_object(), *d = json_object_new_object();
	json_object *ipc = json_object_new_object(), *cpus = json_object_new_array();

	json_object_object_add(o, "source", json_object_new_string(c->source));
	json_object_object_add(o, "effort", json_object_new_string(c->effort));
	json_object_object_add(o, "wall_s", json_object_new_double(c->wall_s));
	json_object_array_add(cpus, json_object_new_int(c->cpu_a));
	json_object_array_add(cpus, json_object_new_int(c->cpu_b));
	json_object_object_add(o, "cpus", cpus);
	json_object_object_add(o, "spawn_ns", spawn_json(c));

	json_object_object_add(d, "pipe", dispatch_json(&c->pipe_same, &c->pipe_cross));
	json_object_object_add(d, "futex", dispatch_json(&c->futex_same, &c->futex_cross));
	json_object_object_add(d, "unix_socket", dispatch_json(&c->unix_same, &c->unix_cross));
	json_object_object_add(d, "amz_map_threads", figure_json(&c->pool_threads));
	json_object_object_add(d, "amz_map_processes", figure_json(&c->pool_processes));
	json_object_object_add(o, "dispatch_ns", d);

	json_object_object_add(ipc, "pipe", figure_json(&c->ipc_pipe));
	json_object_object_add(ipc, "shm", figure_json(&c->ipc_shm));
	json_object_object_add(o, "ipc_ns_per_byte", ipc);
	json_object_object_add(o, "smt_scaling", figure_json(&c->smt));
	return o;
}

static json_object *child(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o)
		json_object_object_get_ex(o, key, &v);
	return v;
}

/* Plausible bounds: no figure of a working host is negative or above these. */
#define MAX_NS		1e12
#define MAX_NS_PER_BYTE 1e6

/* Prefixes err's sentence with the field's place; the sentence is copied first, since it is
 * both the source and the destination. */
static int in_field(struct amz_err *err, const char *name)
{
	char msg[sizeof(err->msg)];

	snprintf(msg, sizeof(msg), "%s", err->msg);
	return amz_fail(err, err->code, "%s: %s", name, msg);
}

static int kernel_from_json(struct calib_figure *f, json_object *k, const char *name,
			    struct amz_err *err)
{
	double events;

	if (!k)
		return 0;
	if (profile_get_number(k, "p50_ns", 0, MAX_NS, &f->kernel_p50_ns, err) < 0 ||
	    profile_get_number(k, "p90_ns", 0, MAX_NS, &f->kernel_p90_ns, err) < 0 ||
	    profile_get_number(k, "events", 1, 1e15, &events, err) < 0)
		return in_field(err, name);
	f->kernel_events = (unsigned long long)events;
	return 0;
}

static int figure_from_json(struct calib_figure *f, json_object *o, const char *name, double max,
			    struct amz_err *err)
{
	json_object *m = child(o, "measured"), *v;
	double n = 0;

	memset(f, 0, sizeof(*f));
	if (!o || !json_object_is_type(o, json_type_object) || !m)
		return amz_fail(err, EINVAL, "%s is missing", name);
	f->measured = json_object_get_boolean(m);
	if (!f->measured) {
		v = child(o, "why_not");
		snprintf(f->why_not, sizeof(f->why_not), "%s", v ? json_object_get_string(v) : "");
		return 0;
	}
	if (profile_get_number(o, "median", 0, max, &f->median, err) < 0 ||
	    profile_get_number(o, "mad", 0, max, &f->mad, err) < 0 ||
	    profile_get_number(o, "ci95_rel", 0, 1e6, &f->ci95_rel, err) < 0 ||
	    profile_get_number(o, "n", 1, 1e12, &n, err) < 0)
		return in_field(err, name);
	f->n = (size_t)n;
	f->stable = (v = child(o, "stable")) && json_object_get_boolean(v);
	if (child(o, "parent_median") &&
	    profile_get_number(o, "parent_median", 0, max, &f->parent, err) < 0)
		return in_field(err, name);
	return kernel_from_json(f, child(o, "kernel"), name, err);
}

static int spawn_from_json(struct amz_calibration *c, json_object *s, struct amz_err *err)
{
	json_object *sizes = child(s, "fork_by_rss");
	size_t i, n;

	if (figure_from_json(&c->fork, child(s, "fork"), "spawn_ns.fork", MAX_NS, err) < 0 ||
	    figure_from_json(&c->thread, child(s, "thread"), "spawn_ns.thread", MAX_NS, err) < 0 ||
	    figure_from_json(&c->posix_spawn, child(s, "posix_spawn"), "spawn_ns.posix_spawn",
			     MAX_NS, err) < 0)
		return -1;
	if (profile_get_number(s, "fork_ns_per_mib", 0, MAX_NS, &c->fork_ns_per_mib, err) < 0)
		return in_field(err, "spawn_ns");
	if (!sizes || !json_object_is_type(sizes, json_type_array))
		return amz_fail(err, EINVAL, "spawn_ns.fork_by_rss is missing");

	n = json_object_array_length(sizes);
	if (n > CALIB_MAX_FORK_SIZES)
		return amz_fail(err, EINVAL, "spawn_ns.fork_by_rss has %zu sizes, more than %d", n,
				CALIB_MAX_FORK_SIZES);
	c->n_fork_sizes = (int)n;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(sizes, i);

		if (figure_from_json(&c->fork_sizes[i].fig, e, "spawn_ns.fork_by_rss", MAX_NS,
				     err) < 0)
			return -1;
		if (profile_get_number(e, "rss_bytes", 0, 1e15, &c->fork_sizes[i].rss_bytes, err) <
		    0)
			return in_field(err, "spawn_ns.fork_by_rss");
	}
	return 0;
}

static int dispatch_from_json(struct calib_figure *same, struct calib_figure *cross, json_object *o,
			      const char *name, struct amz_err *err)
{
	char path[64];

	snprintf(path, sizeof(path), "dispatch_ns.%s.same_cpu", name);
	if (figure_from_json(same, child(o, "same_cpu"), path, MAX_NS, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "dispatch_ns.%s.other_cpu", name);
	return figure_from_json(cross, child(o, "other_cpu"), path, MAX_NS, err);
}

static void copy_string(char *dst, size_t len, json_object *v)
{
	snprintf(dst, len, "%s",
		 v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
}

int calibrate_from_json(struct amz_calibration *c, json_object *o, struct amz_err *err)
{
	json_object *d = child(o, "dispatch_ns"), *ipc = child(o, "ipc_ns_per_byte");
	json_object *cpus = child(o, "cpus");

	memset(c, 0, sizeof(*c));
	if (!o || !json_object_is_type(o, json_type_object))
		return amz_fail(err, EINVAL, "the calibration is missing");
	copy_string(c->source, sizeof(c->source), child(o, "source"));
	copy_string(c->effort, sizeof(c->effort), child(o, "effort"));
	if (strcmp(c->source, "bpf") != 0 && strcmp(c->source, "userspace") != 0)
		return amz_fail(err, EINVAL, "calibration source '%s' is neither bpf nor userspace",
				c->source);
	if (profile_get_number(o, "wall_s", 0, 1e6, &c->wall_s, err) < 0)
		return -1;
	c->cpu_a = cpus ? json_object_get_int(json_object_array_get_idx(cpus, 0)) : -1;
	c->cpu_b = cpus ? json_object_get_int(json_object_array_get_idx(cpus, 1)) : -1;

	if (spawn_from_json(c, child(o, "spawn_ns"), err) < 0 ||
	    dispatch_from_json(&c->pipe_same, &c->pipe_cross, child(d, "pipe"), "pipe", err) < 0 ||
	    dispatch_from_json(&c->futex_same, &c->futex_cross, child(d, "futex"), "futex", err) <
		    0 ||
	    dispatch_from_json(&c->unix_same, &c->unix_cross, child(d, "unix_socket"),
			       "unix_socket", err) < 0 ||
	    figure_from_json(&c->pool_threads, child(d, "amz_map_threads"),
			     "dispatch_ns.amz_map_threads", MAX_NS, err) < 0 ||
	    figure_from_json(&c->pool_processes, child(d, "amz_map_processes"),
			     "dispatch_ns.amz_map_processes", MAX_NS, err) < 0 ||
	    figure_from_json(&c->ipc_pipe, child(ipc, "pipe"), "ipc_ns_per_byte.pipe",
			     MAX_NS_PER_BYTE, err) < 0 ||
	    figure_from_json(&c->ipc_shm, child(ipc, "shm"), "ipc_ns_per_byte.shm", MAX_NS_PER_BYTE,
			     err) < 0 ||
	    figure_from_json(&c->smt, child(o, "smt_scaling"), "smt_scaling", 2, err) < 0)
		return -1;
	return 0;
}

json_object *calibrate_host_profile(const char *name, const struct amz_host *h,
				    const struct amz_calibration *c)
{
	json_object *doc = profile_new(PROFILE_HOST, name);
	char fingerprint[1024];

	host_fingerprint(h, fingerprint, sizeof(fingerprint));
	json_object_object_add(doc, "fingerprint", json_object_new_string(fingerprint));
	json_object_object_add(doc, "host", host_to_json(h));
	json_object_object_add(doc, "calibration", calibrate_to_json(c));
	return doc;
}

static int check_fingerprint(json_object *doc, const struct amz_host *now, const char *path,
			     struct amz_err *err)
{
	json_object *v = child(doc, "fingerprint");
	char current[1024];

	host_fingerprint(now, current, sizeof(current));
	if (!v || !json_object_is_type(v, json_type_string))
		return amz_fail(err, EINVAL, "%s has no host fingerprint; it was not used", path);
	if (strcmp(json_object_get_string(v), current) != 0)
		return amz_fail(
			err, ESTALE,
			"%s was made on another host or under other limits (%s, now %s); it "
			"was not used",
			path, json_object_get_string(v), current);
	return 0;
}

int calibrate_load(struct profile_store *s, const char *name, const struct amz_host *now,
		   struct amz_calibration *c, time_t *made, struct amz_err *err)
{
	json_object *doc;
	char path[4096];
	int r;

	if (profile_load(s, name, PROFILE_HOST, &doc, err) < 0)
		return -1;
	profile_path(s, name, path, sizeof(path));

	r = check_fingerprint(doc, now, path, err);
	if (!r && calibrate_from_json(c, child(doc, "calibration"), err) < 0)
		r = in_field(err, path);
	if (!r && made)
		*made = child(doc, "created_unix")
				? json_object_get_int64(child(doc, "created_unix"))
				: 0;
	json_object_put(doc);
	return r;
}

int calibrate_obtain(struct profile_store *s, const char *name, const struct amz_host *h,
		     struct tracer *t, enum calib_effort effort, struct amz_calibration *c,
		     bool *fresh, char *why, size_t why_len, struct amz_err *err)
{
	struct calib_opts o = {.effort = effort, .tracer = t};
	struct amz_err save_err = {0};
	json_object *doc;

	*fresh = false;
	if (s && calibrate_load(s, name, h, c, NULL, err) == 0)
		return 0;

	/* No usable profile: measure now and keep the result for the next run. */
	*fresh = true;
	if (why)
		snprintf(why, why_len, "%s", s ? err->msg : "no profile store is open");
	calibrate_cpus_for(h, &o.cpus);
	if (calibrate_run(c, &o, err) < 0)
		return -1;
	if (!s)
		return 0;
	doc = calibrate_host_profile(name, h, c);
	if (profile_save(s, name, doc, &save_err) < 0)
		amz_log(AMZ_LOG_WARN, "the fresh calibration was not saved: %s", save_err.msg);
	json_object_put(doc);
	return 0;
}
