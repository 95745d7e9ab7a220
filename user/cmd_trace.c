/* amzprof [OPTIONS] -- COMMAND, or amzprof -p PID [-d SECONDS]: run or follow a workload
 * under the tracer and report what its parallelism cost. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "advice.h"
#include "calibrate.h"
#include "cli.h"
#include "host.h"
#include "launch.h"
#include "profile.h"
#include "report.h"
#include "report_prometheus.h"
#include "report_svg.h"
#include "report_trace.h"
#include "timeline.h"
#include "tracer.h"
#include "workload.h"

/* How often the fallback samples the task tree from /proc. */
#define FALLBACK_SAMPLE_MS 10

struct trace_opts {
	const char *output;
	bool json;
	bool keep_root;
	int verbosity;
	pid_t pid;	 /* -p: follow this running process instead of starting one */
	double duration; /* -d: seconds to follow it; 0 until it ends */
	char **command;
	const char *name;  /* the workload profile's name; default from the command */
	const char *store; /* --store DIR */
	bool no_save;
	struct workload_hints hints;
	const char *trace_file;		/* --trace FILE: the timeline, for Perfetto */
	unsigned long long trace_limit; /* --trace-limit N: events kept at most */
	const char *svg;		/* --svg FILE: the plots */
	const char *prometheus;		/* --prometheus FILE: metrics for node_exporter */
};

/* What amzprof knows of the host before the run: its limits, the profile store, and the
 * calibrated costs (saved, or measured now). Each part may be missing; the run goes on. */
struct run_context {
	struct amz_host host;
	bool host_known;
	struct profile_store store;
	bool store_open;
	struct amz_calibration cal;
	bool calibrated;
	struct timeline *timeline; /* --trace: filled by the tracer during the run */
};

static int parse_number(const char *opt, const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*out) || *out < 0)
		return cli_usage_error("option '%s' needs a non-negative number, not '%s'", opt, s);
	return 0;
}

static int parse_pid(const char *s, pid_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return cli_usage_error("option '-p' needs a process id, not '%s'", s);
	*out = (pid_t)v;
	return 0;
}

static int check_target(int argc, char **argv, struct trace_opts *o)
{
	if (o->pid) {
		if (optind < argc)
			return cli_usage_error("give either '-p PID' or a command after '--', "
					       "not both");
		return 0;
	}
	if (o->duration > 0)
		return cli_usage_error("option '-d' limits how long '-p PID' follows a process; "
				       "a command runs until it ends");
	if (optind >= argc || strcmp(argv[optind - 1], "--") != 0) {
		if (optind < argc)
			return cli_usage_error("put the command to trace after '--', as in "
					       "'amzprof -- %s'",
					       argv[optind]);
		return cli_usage_error("no command to trace after '--'");
	}
	o->command = argv + optind;
	return 0;
}

static int parse_limit(const char *s, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || *out < 1 || *out > TIMELINE_MAX_CAP)
		return cli_usage_error("option '--trace-limit' needs a number of events from 1 to "
				       "%llu, not '%s'",
				       TIMELINE_MAX_CAP, s);
	return 0;
}

static int check_output_opts(const struct trace_opts *o)
{
	if (o->trace_limit && !o->trace_file)
		return cli_usage_error("option '--trace-limit' bounds the timeline of '--trace "
				       "FILE', which is not given");
	return 0;
}

static int check_profile_opts(const struct trace_opts *o)
{
	struct amz_err err = {0};

	if (workload_check_hints(&o->hints, &err) < 0 ||
	    (o->name && profile_check_name(o->name, &err) < 0))
		return cli_usage_error("%s", err.msg);
	return 0;
}

static int parse_trace_opts(int argc, char **argv, struct trace_opts *o)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{"pid", required_argument, NULL, 'p'},
		{"duration", required_argument, NULL, 'd'},
		{"keep-root", no_argument, NULL, 'k'},
		{"verbose", no_argument, NULL, 'v'},
		{"name", required_argument, NULL, 'n'},
		{"store", required_argument, NULL, 's'},
		{"no-save", no_argument, NULL, 'N'},
		{"items", required_argument, NULL, 'I'},
		{"jobs", required_argument, NULL, 'J'},
		{"chunksize", required_argument, NULL, 'K'},
		{"trace", required_argument, NULL, 'T'},
		{"trace-limit", required_argument, NULL, 'L'},
		{"svg", required_argument, NULL, 'S'},
		{"prometheus", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	int c, r = 0;

	memset(o, 0, sizeof(*o));
	cli_getopt_reset();
	while (!r && (c = getopt_long(argc, argv, "+:o:p:d:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'p':
			r = parse_pid(optarg, &o->pid);
			break;
		case 'd':
			r = parse_number("-d", optarg, &o->duration);
			break;
		case 'k':
			o->keep_root = true;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 's':
			o->store = optarg;
			break;
		case 'N':
			o->no_save = true;
			break;
		case 'I':
			r = parse_number("--items", optarg, &o->hints.items);
			break;
		case 'J':
			r = parse_number("--jobs", optarg, &o->hints.jobs);
			break;
		case 'K':
			r = parse_number("--chunksize", optarg, &o->hints.chunksize);
			break;
		case 'T':
			o->trace_file = optarg;
			break;
		case 'L':
			r = parse_limit(optarg, &o->trace_limit);
			break;
		case 'S':
			o->svg = optarg;
			break;
		case 'P':
			o->prometheus = optarg;
			break;
		default:
			return cli_option_error(c, argv, NULL);
		}
	}
	if (!r)
		r = check_target(argc, argv, o);
	if (!r)
		r = check_output_opts(o);
	return r ? r : check_profile_opts(o);
}

static void add_usage(struct amz_trace *t, const struct launch *l)
{
	const struct rusage *u = &l->usage;

	t->rusage_known = true;
	t->user_ns = (unsigned long long)u->ru_utime.tv_sec * 1000000000ULL +
		     (unsigned long long)u->ru_utime.tv_usec * 1000ULL;
	t->sys_ns = (unsigned long long)u->ru_stime.tv_sec * 1000000000ULL +
		    (unsigned long long)u->ru_stime.tv_usec * 1000ULL;
	t->peak_rss_kib = (unsigned long long)u->ru_maxrss;
}

static void add_throttle(struct amz_trace *t, pid_t pid, bool known_before,
			 const struct tracer_throttle *before)
{
	struct tracer_throttle after;

	if (!known_before || tracer_read_throttle(pid, &after) < 0)
		return;
	t->throttle_known = true;
	t->nr_periods = after.nr_periods - before->nr_periods;
	t->nr_throttled = after.nr_throttled - before->nr_throttled;
	t->throttled_ns = after.throttled_ns - before->throttled_ns;
}

/* The timeline is the kernel's: without eBPF there is none to write. */
static int write_timeline(const struct trace_opts *o, const struct report_run *r,
			  const struct timeline *tl)
{
	struct amz_err err = {0};

	if (strcmp(r->trace->source, "bpf") != 0) {
		cli_error("no timeline written to %s: it needs the kernel's events, and eBPF is "
			  "unavailable",
			  o->trace_file);
		return -1;
	}
	if (report_trace_file(o->trace_file, tl, r, &err) < 0) {
		cli_error("%s", err.msg);
		return -1;
	}
	return 0;
}

/* The plots, with the CPUs the run could use drawn over its concurrency, and the advice's
 * speedup curve when there is advice. */
static int write_plots(const struct trace_opts *o, const struct run_context *c,
		       const struct report_run *r, const struct advice *a)
{
	struct report_svg in = {.run = r, .advice = a ? advice_to_json(a) : NULL};
	struct amz_err err = {0};
	int rc = 0;

	if (c->host_known && c->host.usable.state == HOST_SET) {
		in.cpus = c->host.usable.x;
		in.cpus_what = "usable CPUs";
	}
	if (report_svg_file(o->svg, &in, &err) < 0) {
		cli_error("%s", err.msg);
		rc = -1;
	}
	json_object_put(in.advice);
	return rc;
}

/* The recommendation from the run, the host and its calibration; *why says why there is none. */
static int advise_run(const struct run_context *c, const struct amz_trace *t,
		      const struct workload_hints *h, struct advice *a, char *why, size_t len)
{
	struct amz_err err = {0};

	if (!c->host_known) {
		snprintf(why, len, "the host could not be detected");
		return -1;
	}
	advice_from_host(a, &c->host, c->calibrated ? &c->cal : NULL, t->k.c.processes > 0,
			 (double)t->peak_rss_kib * 1024);
	if (advice_from_trace(a, t, h, &err) < 0 || advice_optimize(a, &err) < 0) {
		snprintf(why, len, "%s", err.msg);
		advice_free(a);
		return -1;
	}
	return 0;
}

/* The report, then each file asked for; -1 when one could not be written. */
static int write_report(const struct trace_opts *o, const struct run_context *c,
			const struct amz_trace *t, const struct advice *a, const char *no_advice)
{
	struct report_run r = {.argv = o->command,
			       .attached_pid = o->pid,
			       .trace = t,
			       .advice = a,
			       .no_advice = no_advice};
	FILE *out = cli_open_output(o->output);
	int rc = 0;

	if (!out)
		return -1;
	if (o->json)
		report_run_json(out, &r);
	else
		report_run_text(out, &r);
	cli_close_output(out);

	if (o->trace_file && write_timeline(o, &r, c->timeline) < 0)
		rc = -1;
	if (o->svg && write_plots(o, c, &r, a) < 0)
		rc = -1;
	return rc;
}

static void say_no_bpf(const char *why)
{
	cli_error("eBPF unavailable (%s); reporting what user space sees: rusage, and task "
		  "counts sampled from /proc every %d ms",
		  why, FALLBACK_SAMPLE_MS);
}

/* The files whose chunk markers are attached: the workload's binary and the pool library it
 * links, when they have markers. With none, the marker programs are not even loaded. */
struct marker_files {
	int n;
	char path[2][PATH_MAX];
};

static void add_if_marked(struct marker_files *m, const char *path)
{
	if (m->n < 2 && tracer_has_markers(path) == 1)
		snprintf(m->path[m->n++], sizeof(m->path[0]), "%s", path);
}

static void find_markers(struct marker_files *m, const char *binary, pid_t running)
{
	char lib[PATH_MAX];

	m->n = 0;
	if (!binary)
		return;
	add_if_marked(m, binary);
	if (running ? tracer_mapped_pool_library(running, lib, sizeof(lib))
		    : tracer_find_pool_library(binary, lib, sizeof(lib)))
		add_if_marked(m, lib);
}

static int open_tracer(struct tracer **t, const struct marker_files *m, struct timeline *tl,
		       struct amz_err *err)
{
	struct tracer_opts opts = {.no_usdt = m->n == 0, .timeline = tl};

	return tracer_open_opts(t, &opts, err);
}

static void attach_markers(struct tracer *t, const struct marker_files *m)
{
	struct amz_err err = {0};
	int i;

	for (i = 0; i < m->n; i++) {
		if (tracer_attach_usdt(t, m->path[i], &err) < 0)
			amz_log(AMZ_LOG_WARN, "%s; its chunks are not reported", err.msg);
	}
}

/* The run under BPF: follow the stopped child, let it exec, wait, read the aggregates. */
static int trace_child(struct tracer *t, struct launch *l, const struct marker_files *m,
		       struct amz_trace *trace, struct amz_err *err)
{
	uint64_t start;
	int r;

	if (tracer_follow(t, l->pid, err) < 0) {
		launch_abort(l);
		l->status = LAUNCH_EXIT_FAILED << 8;
		return -1;
	}
	attach_markers(t, m);

	tracer_reset(t);
	start = amz_now_ns();
	r = launch_release(l, err);
	cli_pause_at("running");
	if (launch_wait(l, r < 0 ? NULL : err) < 0)
		return -1;
	tracer_read(t, trace);
	trace->wall_ns = amz_now_ns() - start;
	return r;
}

/* The run without BPF: sample the tree from /proc while the workload runs. */
static int sample_child(struct launch *l, const char *why, struct amz_trace *trace,
			struct amz_err *err)
{
	struct tracer_sampler *s = NULL;
	uint64_t start;
	int r;

	tracer_sampler_start(&s, l->pid, FALLBACK_SAMPLE_MS, NULL);
	start = amz_now_ns();
	r = launch_release(l, err);
	cli_pause_at("running");
	if (launch_wait(l, r < 0 ? NULL : err) < 0) {
		tracer_sampler_stop(s, trace);
		return -1;
	}
	memset(trace, 0, sizeof(*trace));
	tracer_sampler_stop(s, trace);
	trace->wall_ns = amz_now_ns() - start;
	snprintf(trace->source, sizeof(trace->source), "userspace");
	snprintf(trace->why_no_bpf, sizeof(trace->why_no_bpf), "%s", why);
	return r;
}

/* Host, store and calibration before the run. A run without a valid host profile calibrates
 * first, and says so: its figures feed the recommendation. */
static void prepare_context(const struct trace_opts *o, struct run_context *c)
{
	struct host_opts ho = {0};
	struct tracer_opts to = {.no_usdt = true};
	struct tracer *t = NULL;
	struct amz_err err = {0};
	char why[sizeof(err.msg) + 64];
	bool fresh = false;
	uint64_t start;

	memset(c, 0, sizeof(*c));
	if (o->trace_file)
		c->timeline = timeline_new(o->trace_limit);
	c->host_known = host_detect(&c->host, &ho, &err) == 0;
	if (!c->host_known) {
		amz_log(AMZ_LOG_WARN, "%s", err.msg);
		return;
	}
	/* The store is read even with --no-save: a saved host profile spares a calibration. */
	c->store_open = profile_store_open(&c->store, o->store, &err) == 0;
	if (!o->no_save && !c->store_open)
		amz_log(AMZ_LOG_WARN, "nothing will be saved: %s", err.msg);

	if (c->store_open &&
	    calibrate_load(&c->store, "host", &c->host, &c->cal, NULL, &err) == 0) {
		c->calibrated = true;
		return;
	}
	snprintf(why, sizeof(why), "%s%s", c->store_open ? err.msg : "no profile store is open",
		 c->store_open && o->no_save ? " (and --no-save keeps this one unsaved)" : "");
	if (tracer_open_opts(&t, &to, &err) < 0)
		t = NULL;
	cli_pause_at("calibrating");
	start = amz_now_ns();
	c->calibrated =
		calibrate_obtain(c->store_open && !o->no_save ? &c->store : NULL, "host", &c->host,
				 t, CALIB_DEFAULT, &c->cal, &fresh, NULL, 0, &err) == 0;
	tracer_close(t);
	if (fresh && c->calibrated)
		fprintf(stderr, "amzprof: calibrated this host first (%.2f s), since %s\n",
			(double)(amz_now_ns() - start) / 1e9, why);
	else if (!c->calibrated && !amz_stop_requested())
		amz_log(AMZ_LOG_WARN, "this host could not be calibrated: %s", err.msg);
}

static void release_context(struct run_context *c)
{
	timeline_free(c->timeline);
	if (c->store_open)
		profile_store_close(&c->store);
	if (c->host_known)
		host_free(&c->host);
}

/* The workload profile of the run, whole or marked incomplete when amzprof was interrupted
 * while the workload ran. A signal that arrives after the workload's end stops amzprof before
 * the profile is in place: nothing is saved then. Returns whether the profile is in place. */
static bool save_run(const struct trace_opts *o, struct run_context *c, struct amz_trace *trace,
		     char *const *argv, const struct advice *a, bool complete)
{
	struct workload_run w = {.argv = (char **)argv,
				 .attached_pid = o->pid,
				 .hints = o->hints,
				 .trace = trace,
				 .complete = complete};
	struct amz_err err = {0};
	char name[PROFILE_NAME_MAX + 1];
	json_object *doc;
	bool saved;

	cli_pause_at("saving");
	if (!c->store_open || o->no_save || amz_stop_requested())
		return false;
	if (o->name)
		snprintf(name, sizeof(name), "%s", o->name);
	else
		profile_name_from_command(argv[0], name, sizeof(name));
	if (c->host_known)
		host_fingerprint(&c->host, w.fingerprint, sizeof(w.fingerprint));

	doc = workload_to_json(name, &w);
	if (a)
		json_object_object_add(doc, "recommendation", advice_to_json(a));
	saved = profile_save(&c->store, name, doc, &err) == 0;
	if (!saved && !amz_stop_requested())
		amz_log(AMZ_LOG_WARN, "%s", err.msg);
	else if (saved)
		amz_log(AMZ_LOG_INFO, "saved workload profile '%s' in %s%s", name, c->store.dir,
			complete ? "" : ", marked incomplete");
	json_object_put(doc);
	return saved;
}

/* The workload, forked and held, is not let go once a stop was requested while the BPF programs
 * loaded: it never runs, and the tracer is closed. */
static bool stopped_while_loading(struct launch *l, struct tracer *t)
{
	cli_pause_at("loading");
	if (!amz_stop_requested())
		return false;
	launch_abort(l);
	tracer_close(t);
	return true;
}

/* A signal after the workload's end: its status is in the report and in this sentence. */
static int interrupted_after_run(const struct amz_trace *t, bool saved)
{
	char what[160];

	snprintf(what, sizeof(what), "after the workload %s %d; its profile was %s",
		 t->term_signal ? "was killed by signal" : "exited with status",
		 t->term_signal ? t->term_signal : t->exit_status, saved ? "saved" : "not saved");
	return cli_interrupted(amz_stop_requested(), what);
}

/* The metrics after the run was saved, so that its recommendation is among them; without a
 * store, the calibration made for this run stands alone. */
static int write_metrics(const struct trace_opts *o, struct run_context *c)
{
	struct prom_sources src = {.host = &c->host};
	struct amz_err err = {0};

	if (!c->host_known) {
		cli_error("no metrics written to %s: this host could not be detected",
			  o->prometheus);
		return -1;
	}
	if (c->store_open)
		src.store = &c->store;
	else if (c->calibrated)
		src.fresh = &c->cal;
	src.fresh_when = time(NULL);
	if (report_prometheus_file(o->prometheus, &src, &err) < 0) {
		cli_error("%s", err.msg);
		return -1;
	}
	return 0;
}

static int trace_command(const struct trace_opts *o)
{
	struct tracer_throttle before;
	struct launch_creds creds;
	struct amz_err err = {0};
	struct amz_trace trace;
	struct tracer *t = NULL;
	struct marker_files markers;
	struct run_context ctx;
	struct advice advice;
	struct launch l;
	char binary[PATH_MAX], why[512];
	bool throttle_known, advised, saved;
	int r;

	/* From here a signal only asks amzprof to stop, at the next step. */
	launch_catch_signals();

	/* Check the command first: a typo should not cost a BPF load. */
	r = launch_check_command(o->command[0], &err);
	if (r) {
		cli_error("%s", err.msg);
		return r;
	}
	if (launch_sudo_creds(&creds, o->keep_root, &err) < 0) {
		cli_error("%s", err.msg);
		return LAUNCH_EXIT_FAILED;
	}
	/* Know the host and what it charges before the workload runs. */
	prepare_context(o, &ctx);
	if (amz_stop_requested()) {
		release_context(&ctx);
		return cli_interrupted(amz_stop_requested(), "before the workload started");
	}
	throttle_known = tracer_read_throttle(0, &before) == 0;
	find_markers(&markers,
		     launch_resolve_command(o->command[0], binary, sizeof(binary)) == 0 ? binary
											: NULL,
		     0);

	/* Fork the workload stopped, load the tracer (or fall back), run it to its end. */
	if (launch_prepare_as(&l, o->command, &creds, &err) < 0) {
		cli_error("%s", err.msg);
		release_context(&ctx);
		return LAUNCH_EXIT_FAILED;
	}
	if (open_tracer(&t, &markers, ctx.timeline, &err) < 0)
		t = NULL;
	if (stopped_while_loading(&l, t)) {
		release_context(&ctx);
		return cli_interrupted(amz_stop_requested(), "before the workload started");
	}
	if (!t) {
		say_no_bpf(err.msg);
		r = sample_child(&l, err.msg, &trace, &err);
	} else {
		r = trace_child(t, &l, &markers, &trace, &err);
		tracer_close(t);
	}
	if (r < 0) {
		cli_error("%s", err.msg);
		release_context(&ctx);
		return l.exited ? launch_exit_status(&l) : LAUNCH_EXIT_FAILED;
	}

	/* Report, keep the run, and pass the workload's status through. */
	trace.exit_status = launch_exit_status(&l);
	trace.term_signal = WIFSIGNALED(l.status) ? WTERMSIG(l.status) : 0;
	add_usage(&trace, &l);
	add_throttle(&trace, 0, throttle_known, &before);
	advised = advise_run(&ctx, &trace, &o->hints, &advice, why, sizeof(why)) == 0;
	r = write_report(o, &ctx, &trace, advised ? &advice : NULL, advised ? NULL : why);
	saved = save_run(o, &ctx, &trace, o->command, advised ? &advice : NULL, l.last_signal == 0);
	if (advised)
		advice_free(&advice);
	if (o->prometheus && write_metrics(o, &ctx) < 0)
		r = -1;
	release_context(&ctx);
	if (amz_stop_requested())
		return interrupted_after_run(&trace, saved);
	return r < 0 ? LAUNCH_EXIT_FAILED : trace.exit_status;
}

static int follow_running(const struct trace_opts *o, struct timeline *tl, struct amz_trace *trace,
			  struct amz_err *err)
{
	struct tracer_sampler *s = NULL;
	struct marker_files markers;
	struct tracer *t = NULL;
	char exe[64];
	uint64_t start;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)o->pid);
	find_markers(&markers, exe, o->pid);
	if (open_tracer(&t, &markers, tl, err) < 0) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		say_no_bpf(why);
		if (tracer_sampler_start(&s, o->pid, FALLBACK_SAMPLE_MS, err) < 0)
			return -1;
		start = amz_now_ns();
		launch_watch(o->pid, o->duration);
		memset(trace, 0, sizeof(*trace));
		tracer_sampler_stop(s, trace);
		snprintf(trace->source, sizeof(trace->source), "userspace");
		snprintf(trace->why_no_bpf, sizeof(trace->why_no_bpf), "%s", why);
	} else {
		int descendants = tracer_follow_tree(t, o->pid, err);

		if (descendants < 0) {
			tracer_close(t);
			return -1;
		}
		attach_markers(t, &markers);
		tracer_reset(t);
		start = amz_now_ns();
		amz_log(AMZ_LOG_INFO, "following process %d and %d descendants", (int)o->pid,
			descendants);
		launch_watch(o->pid, o->duration);
		tracer_read(t, trace);
		tracer_close(t);
	}
	trace->wall_ns = amz_now_ns() - start;
	trace->attached = true;
	return 0;
}

/* The followed process's name, as the command of its profile. */
static void process_name(pid_t pid, char *buf, size_t len)
{
	char path[64], *comm = NULL;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (amz_read_file(path, &comm, NULL) == 0) {
		comm[strcspn(comm, "\n")] = '\0';
		snprintf(buf, len, "%s", comm);
	} else {
		snprintf(buf, len, "pid%d", (int)pid);
	}
	free(comm);
}

static int trace_attached(const struct trace_opts *o)
{
	struct tracer_throttle before;
	struct amz_err err = {0};
	struct amz_trace trace;
	struct run_context ctx;
	struct advice advice;
	char name[64], *argv[] = {name, NULL}, why[512];
	bool throttle_known, advised, saved;
	int r;

	launch_catch_signals();
	process_name(o->pid, name, sizeof(name));
	prepare_context(o, &ctx);
	if (amz_stop_requested()) {
		release_context(&ctx);
		return cli_interrupted(amz_stop_requested(), "before following the process");
	}
	throttle_known = tracer_read_throttle(0, &before) == 0;
	if (follow_running(o, ctx.timeline, &trace, &err) < 0) {
		cli_error("%s", err.msg);
		release_context(&ctx);
		return CLI_EXIT_FAILED;
	}
	add_throttle(&trace, o->pid, throttle_known, &before);
	advised = advise_run(&ctx, &trace, &o->hints, &advice, why, sizeof(why)) == 0;
	r = write_report(o, &ctx, &trace, advised ? &advice : NULL, advised ? NULL : why);
	saved = save_run(o, &ctx, &trace, argv, advised ? &advice : NULL, true);
	if (advised)
		advice_free(&advice);
	if (o->prometheus && write_metrics(o, &ctx) < 0)
		r = -1;
	release_context(&ctx);
	if (amz_stop_requested())
		return cli_interrupted(
			amz_stop_requested(),
			saved ? "after following the process; its profile was saved"
			      : "after following the process; its profile was not saved");
	return r < 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

int cmd_trace_parse(int argc, char **argv)
{
	struct trace_opts o;

	return parse_trace_opts(argc, argv, &o);
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts o;
	int r;

	r = parse_trace_opts(argc, argv, &o);
	if (r)
		return r;
	cli_set_verbosity(o.verbosity);

	return o.pid ? trace_attached(&o) : trace_command(&o);
}
