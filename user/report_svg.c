/* Laying out the plots of a run: a heading, the concurrency over time across the page, then
 * the latency histograms two by two. Every axis says its unit, and every panel its sample size
 * and percentiles, so that a picture read alone is not misread. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "report_svg.h"
#include "svg.h"
#include "workload.h"

#define PAGE_W	      1000.0
#define HEADER_H      78.0
#define CURVE_PANEL_H 420.0
#define CURVE_POINTS  1024
#define CONC_PANEL_H  350.0
#define HIST_PANEL_W  500.0
#define HIST_PANEL_H  320.0
#define MAX_HISTS     6

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

/* The speedup curve as the recommendation document gives it: the best speedup for each worker
 * count, the run's own point and the choice. */
struct curve {
	int n;
	double jobs[CURVE_POINTS], speedup[CURVE_POINTS];
	bool feasible[CURVE_POINTS];
	double best_jobs, best_speedup, best_k;
	bool serial, absolute;
	const char *schedule, *reason;
	double current_jobs, measured;
};

static double number_at(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return 0;
	return json_object_get_double(v);
}

static const char *string_at(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static bool bool_at(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void read_points(json_object *points, struct curve *c)
{
	size_t i, n = json_object_array_length(points);

	for (i = 0; i < n && c->n < CURVE_POINTS; i++) {
		json_object *p = json_object_array_get_idx(points, i), *v = NULL;

		c->jobs[c->n] = number_at(p, "jobs");
		c->speedup[c->n] = number_at(p, "speedup");
		c->feasible[c->n] =
			!json_object_object_get_ex(p, "feasible", &v) || json_object_get_boolean(v);
		if (c->jobs[c->n] >= 1 && c->speedup[c->n] >= 0 && isfinite(c->speedup[c->n]))
			c->n++;
	}
}

/* 0, or -1 when the document has no curve to draw. */
static int read_curve(json_object *advice, struct curve *c)
{
	json_object *points = NULL, *current = NULL;

	memset(c, 0, sizeof(*c));
	if (!advice || !json_object_object_get_ex(advice, "curve", &points) ||
	    !json_object_is_type(points, json_type_array))
		return -1;
	read_points(points, c);
	if (!c->n)
		return -1;
	c->best_jobs = number_at(advice, "jobs");
	c->best_speedup = number_at(advice, "speedup");
	c->best_k = number_at(advice, "chunksize");
	c->serial = bool_at(advice, "serial");
	c->absolute = bool_at(advice, "absolute");
	c->schedule = string_at(advice, "schedule");
	c->reason = string_at(advice, "reason");
	json_object_object_get_ex(advice, "current", &current);
	c->current_jobs = number_at(current, "jobs");
	c->measured = number_at(current, "measured_speedup");
	return 0;
}

/* Up to max_lines lines of at most width characters, broken at spaces; the last one ends in
 * "..." when the text goes on. */
static void wrapped(struct svg *s, double x, double y, const char *text, size_t width,
		    int max_lines)
{
	char line[256];
	int lines;

	for (lines = 0; *text && lines < max_lines; lines++) {
		size_t n = strlen(text), cut = n < width ? n : width;
		bool last = lines == max_lines - 1 && n > width;

		if (n > width) {
			while (cut > width / 2 && text[cut] != ' ')
				cut--;
		}
		snprintf(line, sizeof(line), "%.*s%s", (int)(cut < 240 ? cut : 240), text,
			 last ? " ..." : "");
		svg_text(s, x, y + 17 * lines, 13, SVG_START, SVG_INK, 400, 0, "%s", line);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

static void curve_line(struct svg_plot *p, const struct curve *c)
{
	double x[CURVE_POINTS], y[CURVE_POINTS];
	int i;

	for (i = 0; i < c->n; i++) {
		x[i] = svg_px(p, c->jobs[i]);
		y[i] = svg_py(p, c->speedup[i]);
	}
	svg_path(p->s, x, y, (size_t)c->n, SVG_BLUE, 2.5, NULL);

	/* Points that do not fit in memory are hollow. */
	for (i = 0; c->n <= 64 && i < c->n; i++)
		svg_circle(p->s, x[i], y[i], 3.5, c->feasible[i] ? SVG_BLUE : "#ffffff",
			   c->feasible[i] ? NULL : SVG_BLUE);
}

/* Perfect scaling, as far as the plot goes: what the curve is to be read against. */
static void ideal_line(struct svg_plot *p)
{
	double top = fmin(p->x1, p->y1);

	svg_line(p->s, svg_px(p, 1), svg_py(p, 1), svg_px(p, top), svg_py(p, top), "#999999", 1.5,
		 "4 4");
}

static void worker_ticks(struct svg_plot *p)
{
	double step = svg_nice_step(1, p->x1, 8), v;
	char buf[16];

	step = step < 1 ? 1 : step;
	svg_plot_xtick(p, 1, "1");
	for (v = step; v <= p->x1 + 1e-9; v += step) {
		if (v <= 1)
			continue;
		snprintf(buf, sizeof(buf), "%g", v);
		svg_plot_xtick(p, v, buf);
	}
}

static void fmt_speedup(char *buf, size_t len, double v)
{
	snprintf(buf, len, v == floor(v) ? "%.0fx" : "%.1fx", v);
}

static void recommendation_label(char *buf, size_t len, const struct curve *c)
{
	if (c->serial)
		snprintf(buf, len, "recommended: run serially");
	else if (c->absolute && strcmp(c->schedule, "factoring") == 0)
		snprintf(buf, len, "recommended: %g workers, factoring down to %g item%s (%.2fx)",
			 c->best_jobs, c->best_k, c->best_k == 1 ? "" : "s", c->best_speedup);
	else if (c->absolute)
		snprintf(buf, len, "recommended: %g workers, chunks of %g item%s (%.2fx)",
			 c->best_jobs, c->best_k, c->best_k == 1 ? "" : "s", c->best_speedup);
	else
		snprintf(buf, len, "recommended: %g workers (%.2fx)", c->best_jobs,
			 c->best_speedup);
}

/* The run as it was, measured, and the choice, each named in the legend row. */
static void marked_points(struct svg_plot *p, const struct curve *c, double lx)
{
	char buf[160];

	if (c->current_jobs >= 1 && c->measured > 0 && c->current_jobs <= p->x1) {
		svg_circle(p->s, svg_px(p, c->current_jobs), svg_py(p, c->measured), 7, SVG_ORANGE,
			   NULL);
		snprintf(buf, sizeof(buf), "this run: %g workers, %.2fx measured", c->current_jobs,
			 c->measured);
		svg_legend(p->s, lx, p->y - 30, SVG_ORANGE, true, NULL, buf);
	}
	if (c->best_jobs >= 1 && c->best_jobs <= p->x1) {
		double x = svg_px(p, c->best_jobs), y = svg_py(p, c->best_speedup);
		bool left = x > p->x + p->w * 0.6;

		svg_circle(p->s, x, y, 9, NULL, SVG_GREEN);
		svg_circle(p->s, x, y, 4, SVG_GREEN, NULL);
		recommendation_label(buf, sizeof(buf), c);
		svg_rect(p->s, left ? x - 14 - 7.6 * (double)strlen(buf) : x + 12, y - 30,
			 7.6 * (double)strlen(buf) + 4, 20, "#ffffff", NULL);
		svg_text(p->s, left ? x - 12 : x + 14, y - 15, 13, left ? SVG_END : SVG_START,
			 SVG_GREEN, 700, 0, "%s", buf);
	}
}

static void curve_panel(struct svg *s, const struct curve *c, double top)
{
	struct svg_plot p = {.s = s, .x = 90, .y = top + 56, .w = PAGE_W - 130, .h = 220};
	double peak = fmax(c->best_speedup, c->measured), step, lx;
	int i;

	for (i = 0; i < c->n; i++)
		peak = fmax(peak, c->speedup[i]);
	p.x0 = 1;
	p.x1 = fmax(c->jobs[c->n - 1], fmax(c->current_jobs, 2));
	step = svg_nice_step(0, peak > 1 ? peak : 1, 4);
	p.y1 = ceil(fmax(peak * 1.25, 1.25) / step) * step;

	svg_plot_frame(&p, "Predicted speedup over workers",
		       "the best chunk size for each worker count, from the cost model", "workers",
		       "speedup over serial", step, fmt_speedup);
	worker_ticks(&p);
	ideal_line(&p);
	svg_line(s, p.x, svg_py(&p, 1), p.x + p.w, svg_py(&p, 1), SVG_MUTED, 1, "2 3");
	curve_line(&p, c);

	lx = p.x + p.w - 500;
	lx = svg_legend(s, lx, p.y - 30, SVG_BLUE, false, NULL, "predicted");
	lx = svg_legend(s, lx, p.y - 30, "#999999", false, "4 4", "ideal");
	marked_points(&p, c, lx);
	wrapped(s, p.x, p.y + p.h + 62, c->reason, 125, 3);
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
	struct curve *curve;
	size_t n, i;
	double height, top;
	bool has_curve;
	struct svg s;
	char title[200];

	if (check_plottable(t, err) < 0)
		return -1;
	curve = malloc(sizeof(*curve));
	if (!curve)
		return amz_fail(err, ENOMEM, "cannot draw the plots: out of memory");

	n = pick_hists(t, hists);
	has_curve = read_curve(in->advice, curve) == 0;
	height = HEADER_H + (has_curve ? CURVE_PANEL_H : 0) + (t->series_n ? CONC_PANEL_H : 0) +
		 HIST_PANEL_H * (double)((n + 1) / 2);
	command_text(title, sizeof(title), in->run);
	svg_begin(&s, f, PAGE_W, height, title);
	header(&s, in);

	top = HEADER_H;
	if (has_curve) {
		curve_panel(&s, curve, top);
		top += CURVE_PANEL_H;
	}
	if (t->series_n) {
		concurrency_panel(&s, in, top);
		top += CONC_PANEL_H;
	}
	for (i = 0; i < n; i++)
		hist_panel(&s, &hists[i], (double)(i % 2) * HIST_PANEL_W,
			   top + (double)(i / 2) * HIST_PANEL_H);
	free(curve);
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
	json_object_object_get_ex(doc, "recommendation", &in.advice);
	rc = report_svg_file(path, &in, err);
	workload_free(&w);
	return rc;
}
