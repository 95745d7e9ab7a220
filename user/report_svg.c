/* Laying out the plots of a run: a heading, the concurrency over time across the page, then
 * the latency histograms two by two. Every axis says its unit, and every panel its sample size
 * and percentiles, so that a picture read alone is not misread. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "profile.h"
#include "report_svg.h"
#include "svg.h"
#include "workload.h"

#define PAGE_W	     1000.0
#define HEADER_H     78.0
#define CONC_PANEL_H 350.0
#define HIST_PANEL_W 500.0
#define HIST_PANEL_H 320.0
#define MAX_HISTS    6

/* A duration in the unit that keeps it short: "250 ns", "4.1 µs", "262 µs", "1.0 ms". */
static void fmt_dur(char *buf, size_t len, double ns)
{
	static const char *const units[] = {"ns", "µs", "ms", "s"};
	size_t u = 0;

	while (u + 1 < ARRAY_SIZE(units) && fabs(ns) >= 1000) {
		ns /= 1000;
		u++;
	}
	snprintf(buf, len, fabs(ns) < 10 && u ? "%.1f %s" : "%.0f %s", ns, units[u]);
}

static void fmt_count(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

static void fmt_tasks(char *buf, size_t len, double v)
{
	snprintf(buf, len, v == floor(v) ? "%.0f" : "%.1f", v);
}

static void command_text(char *buf, size_t len, const struct report_run *r)
{
	size_t used = 0, i;

	buf[0] = '\0';
	if (!r->argv) {
		snprintf(buf, len, "process %d and its descendants", (int)r->attached_pid);
		return;
	}
	for (i = 0; r->argv[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", r->argv[i]);
	if (used >= len && len > 4)
		strcpy(buf + len - 4, "...");
}

static void header(struct svg *s, const struct report_svg *in)
{
	const struct amz_trace *t = in->run->trace;
	char cmd[160], end[64], wall[32];

	command_text(cmd, sizeof(cmd), in->run);
	fmt_dur(wall, sizeof(wall), (double)t->wall_ns);
	if (in->run->attached_pid)
		snprintf(end, sizeof(end), "followed for %s", wall);
	else if (t->term_signal)
		snprintf(end, sizeof(end), "killed by SIG%s after %s",
			 sigabbrev_np(t->term_signal) ? sigabbrev_np(t->term_signal) : "?", wall);
	else
		snprintf(end, sizeof(end), "exit status %d after %s", t->exit_status, wall);

	svg_text(s, 24, 34, 20, SVG_START, SVG_INK, 700, 0, "amzprof: %s", cmd);
	svg_text(s, 24, 58, 13, SVG_START, SVG_MUTED, 400, 0,
		 "%s; %llu processes and %llu threads spawned; measured in the kernel (%s)", end,
		 t->k.c.processes, t->k.c.threads, t->attach_mode);
}

/* The time axis's unit: the largest in which the run lasts at least two. */
static double time_unit(double span_ns, const char **name)
{
	if (span_ns >= 2e9) {
		*name = "s";
		return 1e9;
	}
	if (span_ns >= 2e6) {
		*name = "ms";
		return 1e6;
	}
	*name = "µs";
	return 1e3;
}

static double series_peak(const struct amz_trace *t)
{
	double peak = 0;
	unsigned int i;

	for (i = 0; i < t->series_n; i++) {
		double m = trace_series_mean(t, i);

		if (m > peak)
			peak = m;
	}
	return peak;
}

/* The series as a filled step line: each point holds its mean over its bucket. */
static void concurrency_area(struct svg_plot *p, const struct amz_trace *t, double unit)
{
	size_t n = 2 * (size_t)t->series_n + 2, k = 0;
	double x[2 * AMZ_TRACE_SERIES_POINTS + 2], y[2 * AMZ_TRACE_SERIES_POINTS + 2];
	unsigned int i;

	x[k] = svg_px(p, 0);
	y[k++] = svg_py(p, 0);
	for (i = 0; i < t->series_n; i++) {
		double from = (double)i * (double)t->series_bucket_ns / unit;
		double to = from + (double)trace_series_len(t, i) / unit;
		double m = trace_series_mean(t, i);

		x[k] = svg_px(p, from);
		y[k++] = svg_py(p, m);
		x[k] = svg_px(p, to);
		y[k++] = svg_py(p, m);
	}
	x[k] = x[k - 1];
	y[k++] = svg_py(p, 0);
	svg_path(p->s, x, y, n, SVG_BLUE, 1.2, SVG_LIGHT_BLUE);
}

static void time_ticks(struct svg_plot *p)
{
	double step = svg_nice_step(p->x0, p->x1, 8), v;
	char buf[32];

	for (v = 0; v <= p->x1 + step * 1e-9; v += step) {
		snprintf(buf, sizeof(buf), "%g", v);
		svg_plot_xtick(p, v, buf);
	}
}

static void hline(struct svg_plot *p, double v, const char *color, const char *dash)
{
	svg_line(p->s, p->x, svg_py(p, v), p->x + p->w, svg_py(p, v), color, 2, dash);
}

static void concurrency_panel(struct svg *s, const struct report_svg *in, double top)
{
	const struct amz_trace *t = in->run->trace;
	struct svg_plot p = {.s = s, .x = 90, .y = top + 56, .w = PAGE_W - 130, .h = 210};
	double mean = trace_parallelism_mean(t), span = (double)t->series_span_ns, unit, step;
	const char *unit_name;
	char sub[200], xl[64], bucket[32], total[32], legend[64];
	double lx;

	unit = time_unit(span, &unit_name);
	p.x1 = span / unit;
	p.y1 = fmax(series_peak(t), in->cpus);
	step = svg_nice_step(0, p.y1 > 1 ? p.y1 : 1, 4);
	step = step < 1 ? 1 : step;
	p.y1 = ceil((p.y1 > 0 ? p.y1 * 1.08 : 1) / step) * step;

	fmt_dur(bucket, sizeof(bucket), (double)t->series_bucket_ns);
	fmt_dur(total, sizeof(total), span);
	snprintf(sub, sizeof(sub), "mean %.2f over %s; each step is the mean over %s", mean, total,
		 bucket);
	snprintf(xl, sizeof(xl), "time since the start (%s)", unit_name);
	svg_plot_frame(&p, "Workload tasks on a CPU over time", sub, xl, "tasks on a CPU", step,
		       fmt_tasks);
	concurrency_area(&p, t, unit);
	time_ticks(&p);

	/* What the area is to be read against, the CPUs there were and its mean, named in a
	 * legend above the plot's right end, where no data can hide it. */
	lx = p.x + p.w - 330;
	lx = svg_legend(s, lx, p.y - 30, SVG_BLUE, false, NULL, "tasks on a CPU");
	if (!isnan(mean)) {
		hline(&p, mean, SVG_ORANGE, "3 3");
		lx = svg_legend(s, lx, p.y - 30, SVG_ORANGE, false, "3 3", "mean");
	}
	if (in->cpus > 0) {
		hline(&p, in->cpus, SVG_RED, "8 5");
		snprintf(legend, sizeof(legend), "%g %s", in->cpus,
			 in->cpus_what ? in->cpus_what : "CPUs");
		svg_legend(s, lx, p.y - 30, SVG_RED, false, "8 5", legend);
	}
}

/* The log2 histograms worth a panel: always the three every run has, the others when seen. */
struct hist_panel {
	const char *title;
	const char *what;
	const struct amz_hist *h;
};

static size_t pick_hists(const struct amz_trace *t, struct hist_panel *out)
{
	const struct hist_panel all[] = {
		{"Spawn latency", "clone entry to the child's first run", &t->k.spawn_ns},
		{"Wakeup-to-run latency", "woken to running on a CPU", &t->k.wakeup_ns},
		{"On-CPU bursts", "CPU time between two sleeps", &t->k.burst_ns},
		{"Exec latency", "execve entry to the new image", &t->k.exec_ns},
		{"Chunk duration", "amz:chunk_begin to amz:chunk_end", &t->k.chunk_ns},
		{"Gap between a thread's chunks", "chunk end to its next begin",
		 &t->k.chunk_gap_ns},
	};
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(all) && n < MAX_HISTS; i++) {
		if (i < 3 || all[i].h->count)
			out[n++] = all[i];
	}
	return n;
}

/* A value's place on the log2 axis, where slot i spans [i, i + 1). */
static double log2_pos(double v)
{
	return v < 1 ? v : log2(v);
}

static void percentile_marker(struct svg_plot *p, const struct amz_hist *h, double q,
			      const char *name, const char *color, int row)
{
	double v = trace_hist_percentile(h, q), x, w;
	char text[32], buf[48];
	bool left;

	if (isnan(v))
		return;
	x = svg_px(p, log2_pos(v));
	if (x < p->x || x > p->x + p->w)
		return;
	svg_line(p->s, x, p->y, x, p->y + p->h, color, 2, "6 3");

	/* The label on a white card, since it may fall over a bar. */
	fmt_dur(text, sizeof(text), v);
	snprintf(buf, sizeof(buf), "%s %s", name, text);
	w = 7.4 * (double)strlen(buf) + 6;
	left = x > p->x + p->w * 0.7;
	svg_rect(p->s, left ? x - 3 - w : x + 3, p->y + 3 + 16 * row, w, 15, "#ffffff", NULL);
	svg_text(p->s, left ? x - 6 : x + 6, p->y + 15 + 16 * row, 12, left ? SVG_END : SVG_START,
		 color, 700, 0, "%s", buf);
}

static void slot_range(const struct amz_hist *h, int *first, int *last, unsigned long long *peak)
{
	int i;

	*first = *last = -1;
	*peak = 0;
	for (i = 0; i < AMZ_HIST_SLOTS; i++) {
		if (!h->slot[i])
			continue;
		if (*first < 0)
			*first = i;
		*last = i;
		if (h->slot[i] > *peak)
			*peak = h->slot[i];
	}
}

/* At least MIN_SLOTS buckets wide, so that one or two bars do not fill the whole panel. */
#define MIN_SLOTS 8

static void widen(int *first, int *last)
{
	while (*last - *first + 1 < MIN_SLOTS) {
		if (*first > 0)
			(*first)--;
		if (*last - *first + 1 < MIN_SLOTS && *last < AMZ_HIST_SLOTS - 1)
			(*last)++;
	}
}

static void slot_ticks(struct svg_plot *p, int first, int last)
{
	int i, every = (last - first + 2 + 6) / 7;
	char buf[32];

	for (i = first; i <= last + 1; i += every) {
		fmt_dur(buf, sizeof(buf), i ? (double)(1ULL << i) : 0);
		svg_plot_xtick(p, i, buf);
	}
}

static void bars(struct svg_plot *p, const struct amz_hist *h, int first, int last)
{
	int i;

	for (i = first; i <= last; i++) {
		double x0 = svg_px(p, i) + 1, x1 = svg_px(p, i + 1) - 1;
		double y = svg_py(p, (double)h->slot[i]);

		if (!h->slot[i])
			continue;
		svg_rect(p->s, x0, y, x1 - x0, p->y + p->h - y, SVG_BLUE, NULL);

		/* Counts over wide bars: a bar of 3 beside one of 3000 is otherwise invisible. */
		if (x1 - x0 >= 28) {
			char buf[16];

			fmt_count(buf, sizeof(buf), (double)h->slot[i]);
			svg_text(p->s, (x0 + x1) / 2, y - 4, 11, SVG_MIDDLE, SVG_MUTED, 400, 0,
				 "%s", buf);
		}
	}
}

static void hist_panel(struct svg *s, const struct hist_panel *hp, double left, double top)
{
	struct svg_plot p = {
		.s = s, .x = left + 80, .y = top + 56, .w = HIST_PANEL_W - 110, .h = 180};
	char sub[160], a[32], b[32];
	unsigned long long peak;
	int first, last;
	double step;

	slot_range(hp->h, &first, &last, &peak);
	if (first < 0) {
		svg_text(s, p.x, p.y - 12, 16, SVG_START, SVG_INK, 700, 0, "%s", hp->title);
		svg_text(s, p.x, p.y + 20, 13, SVG_START, SVG_MUTED, 400, 0,
			 "none measured in this run (%s)", hp->what);
		return;
	}
	widen(&first, &last);
	p.x0 = first;
	p.x1 = last + 1;
	step = svg_nice_step(0, (double)peak, 4);
	step = step < 1 ? 1 : step;
	p.y1 = ceil((double)peak * 1.5 / step) * step;

	fmt_dur(a, sizeof(a), trace_hist_percentile(hp->h, 0.5));
	fmt_dur(b, sizeof(b), trace_hist_percentile(hp->h, 0.99));
	snprintf(sub, sizeof(sub), "%s; n=%llu, p50 %s, p99 %s", hp->what, hp->h->count, a, b);
	svg_plot_frame(&p, hp->title, sub, "duration (log2 buckets)", "count", step, fmt_count);

	bars(&p, hp->h, first, last);
	slot_ticks(&p, first, last);
	percentile_marker(&p, hp->h, 0.5, "p50", SVG_GREEN, 0);
	percentile_marker(&p, hp->h, 0.99, "p99", SVG_RED, 1);
}

static int check_plottable(const struct amz_trace *t, struct amz_err *err)
{
	if (strcmp(t->source, "bpf") != 0)
		return amz_fail(err, EINVAL,
				"there is nothing to plot: the run was measured from user space "
				"only, and the plots need the kernel's figures");
	return 0;
}

int report_svg(FILE *f, const struct report_svg *in, struct amz_err *err)
{
	const struct amz_trace *t = in->run->trace;
	struct hist_panel hists[MAX_HISTS];
	size_t n, i;
	double height, top;
	struct svg s;
	char title[200];

	if (check_plottable(t, err) < 0)
		return -1;

	n = pick_hists(t, hists);
	height = HEADER_H + (t->series_n ? CONC_PANEL_H : 0) + HIST_PANEL_H * (double)((n + 1) / 2);
	command_text(title, sizeof(title), in->run);
	svg_begin(&s, f, PAGE_W, height, title);
	header(&s, in);

	top = HEADER_H;
	if (t->series_n) {
		concurrency_panel(&s, in, top);
		top += CONC_PANEL_H;
	}
	for (i = 0; i < n; i++)
		hist_panel(&s, &hists[i], (double)(i % 2) * HIST_PANEL_W,
			   top + (double)(i / 2) * HIST_PANEL_H);
	if (svg_end(&s) < 0)
		return amz_fail(err, EIO, "cannot write the plots: output error");
	return 0;
}

int report_svg_file(const char *path, const struct report_svg *in, struct amz_err *err)
{
	FILE *f;
	int r, e = 0;

	if (strcmp(in->run->trace->source, "bpf") != 0)
		return amz_fail(
			err, EINVAL,
			"no plots written to %s: the run was measured from user space only, "
			"and the plots need the kernel's figures",
			path);
	f = amz_fopen_as_caller(path, "we");
	if (!f)
		return amz_fail(err, errno, "cannot write the plots to %s: %s", path,
				amz_reason(errno));
	r = report_svg(f, in, err);
	if (fclose(f) != 0)
		e = errno;
	if (r == 0 && e)
		return amz_fail(err, e, "cannot write the plots to %s: %s", path, amz_reason(e));
	return r;
}

int report_svg_profile_file(const char *path, const char *name, json_object *doc,
			    struct amz_err *err)
{
	struct amz_err why = {0};
	struct workload_run w;
	struct report_run r;
	struct report_svg in = {.run = &r};
	json_object *kind = NULL;
	int rc;

	if (!json_object_object_get_ex(doc, "kind", &kind) ||
	    strcmp(json_object_get_string(kind), profile_kind_name(PROFILE_WORKLOAD)) != 0)
		return amz_fail(err, EINVAL,
				"no plots written to %s: '%s' is not a workload profile, and the "
				"plots show a traced run",
				path, name);
	if (workload_from_json(doc, &w, &why) < 0) {
		workload_free(&w);
		return amz_fail(err, EINVAL,
				"no plots written to %s: the run in '%s' is damaged: %s", path,
				name, why.msg);
	}
	r = (struct report_run){.argv = w.argv, .attached_pid = w.attached_pid, .trace = w.trace};
	rc = report_svg_file(path, &in, err);
	workload_free(&w);
	return rc;
}
