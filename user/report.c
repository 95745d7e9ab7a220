/* Formatting a traced run as text (headline first, then details with log2 histograms) and as
 * JSON. */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "report.h"

#define BAR_WIDTH 30

static void print_command(FILE *f, char *const *argv)
{
	size_t i;

	for (i = 0; argv[i]; i++)
		fprintf(f, "%s%s", i ? " " : "", argv[i]);
}

static void print_end(FILE *f, const struct amz_trace *t)
{
	if (t->term_signal)
		fprintf(f, "was killed by signal %d (SIG%s)", t->term_signal,
			sigabbrev_np(t->term_signal) ? sigabbrev_np(t->term_signal) : "?");
	else
		fprintf(f, "exited with status %d", t->exit_status);
}

/* A duration in the unit that keeps three significant digits readable. */
static const char *fmt_ns(char *buf, size_t size, double ns)
{
	if (isnan(ns))
		snprintf(buf, size, "-");
	else if (ns < 1e3)
		snprintf(buf, size, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, size, "%.1f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, size, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, size, "%.2f s", ns / 1e9);
	return buf;
}

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0;
}

static void print_header(FILE *f, const struct report_run *r)
{
	const struct amz_trace *t = r->trace;

	fputs("amzprof: ", f);
	if (r->attached_pid) {
		fprintf(f, "process %d and its descendants, followed for %.3f s\n",
			(int)r->attached_pid, (double)t->wall_ns / 1e9);
		return;
	}
	print_command(f, r->argv);
	fputc(' ', f);
	print_end(f, t);
	fprintf(f, " after %.3f s\n", (double)t->wall_ns / 1e9);
}

static double time_at_least(const struct amz_trace *t, unsigned int level, double *total)
{
	double above = 0;
	unsigned int i;

	*total = 0;
	for (i = 0; i < AMZ_CONC_SLOTS; i++) {
		*total += (double)t->k.conc_ns[i];
		if (i >= level)
			above += (double)t->k.conc_ns[i];
	}
	return above;
}

static void print_parallelism_headline(FILE *f, const struct amz_trace *t)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double mean = trace_parallelism_mean(t), total, two;

	two = time_at_least(t, 2, &total);
	if (isnan(mean)) {
		fputs("  parallelism: no task of the workload ran while traced\n", f);
		return;
	}
	fprintf(f,
		"  parallelism: %.2f tasks on a CPU on average (of %ld CPUs online); two or more "
		"at once %.0f%% of the time\n",
		mean, cpus, pct(two, total));
}

/* The overheads people act on, compared in task time: which one dominated. */
static void print_overhead_headline(FILE *f, const struct amz_trace *t)
{
	double spawn = (double)(t->k.clone_ns.sum + t->k.exec_ns.sum);
	double runq = (double)t->k.c.runq_ns;
	double gaps = (double)t->k.chunk_gap_ns.sum;
	double cpu = (double)t->k.c.cpu_ns;
	char a[32], b[32];

	if (spawn <= 0 && runq <= 0 && gaps <= 0) {
		fputs("  overhead: none measured (no spawn, no wait for a CPU)\n", f);
		return;
	}
	if (spawn >= runq && spawn >= gaps)
		fprintf(f,
			"  overhead: spawning dominated: %s inside fork/clone/exec (%llu spawns, "
			"%s each at p50), %.0f%% of the workload's CPU time\n",
			fmt_ns(a, sizeof(a), spawn), t->k.c.processes + t->k.c.threads,
			fmt_ns(b, sizeof(b), trace_hist_percentile(&t->k.spawn_ns, 0.5)),
			pct(spawn, cpu));
	else if (runq >= gaps)
		fprintf(f,
			"  overhead: waiting for a CPU dominated: %s runnable but not running "
			"(%.0f%% of the CPU time), wakeup to run %s at p50\n",
			fmt_ns(a, sizeof(a), runq), pct(runq, cpu),
			fmt_ns(b, sizeof(b), trace_hist_percentile(&t->k.wakeup_ns, 0.5)));
	else
		fprintf(f,
			"  overhead: gaps between chunks dominated: %s in total, %s at p50 per "
			"gap\n",
			fmt_ns(a, sizeof(a), gaps),
			fmt_ns(b, sizeof(b), trace_hist_percentile(&t->k.chunk_gap_ns, 0.5)));
}

static void print_usage_line(FILE *f, const struct amz_trace *t)
{
	char a[32], b[32], c[32];

	if (!t->rusage_known)
		return;
	fprintf(f, "  CPU time %s (user %s, system %s), peak RSS %.1f MiB (largest process)\n",
		fmt_ns(a, sizeof(a), (double)(t->user_ns + t->sys_ns)),
		fmt_ns(b, sizeof(b), (double)t->user_ns), fmt_ns(c, sizeof(c), (double)t->sys_ns),
		(double)t->peak_rss_kib / 1024.0);
}

static void print_throttle_line(FILE *f, const struct amz_trace *t)
{
	char a[32];

	if (!t->throttle_known)
		fputs("  CFS throttling: unknown (no cpu.stat with throttling counters)\n", f);
	else if (!t->nr_throttled)
		fprintf(f, "  CFS throttling: none (%llu quota periods)\n", t->nr_periods);
	else
		fprintf(f, "  CFS throttling: %llu of %llu periods throttled, %s in total\n",
			t->nr_throttled, t->nr_periods,
			fmt_ns(a, sizeof(a), (double)t->throttled_ns));
}

static void print_hist_summary(FILE *f, const char *title, const struct amz_hist *h, bool ns)
{
	char a[32], b[32], c[32], d[32];

	if (!h->count) {
		fprintf(f, "  %s: none\n", title);
		return;
	}
	if (!ns) {
		fprintf(f, "  %s: n=%llu  p50=%.0f  p90=%.0f  p99=%.0f  max=%llu\n", title,
			h->count, trace_hist_percentile(h, 0.5), trace_hist_percentile(h, 0.9),
			trace_hist_percentile(h, 0.99), h->max);
		return;
	}
	fprintf(f, "  %s: n=%llu  p50=%s  p90=%s  p99=%s  max=%s\n", title, h->count,
		fmt_ns(a, sizeof(a), trace_hist_percentile(h, 0.5)),
		fmt_ns(b, sizeof(b), trace_hist_percentile(h, 0.9)),
		fmt_ns(c, sizeof(c), trace_hist_percentile(h, 0.99)),
		fmt_ns(d, sizeof(d), (double)h->max));
}

static void print_bar(FILE *f, unsigned long long v, unsigned long long peak)
{
	int i, n = peak ? (int)((v * BAR_WIDTH + peak - 1) / peak) : 0;

	fputc('|', f);
	for (i = 0; i < BAR_WIDTH; i++)
		fputc(i < n ? '*' : ' ', f);
	fputc('|', f);
}

static void print_hist(FILE *f, const char *title, const struct amz_hist *h, bool ns)
{
	unsigned long long peak = 0;
	int i, first = -1, last = -1;
	char lo[32], hi[32];

	print_hist_summary(f, title, h, ns);
	for (i = 0; i < AMZ_HIST_SLOTS; i++) {
		if (!h->slot[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->slot[i] > peak)
			peak = h->slot[i];
	}
	for (i = first; i >= 0 && i <= last; i++) {
		unsigned long long l = i ? 1ULL << i : 0, u = (2ULL << i) - 1;

		if (ns)
			fprintf(f, "    %10s .. %-10s %8llu ", fmt_ns(lo, sizeof(lo), (double)l),
				fmt_ns(hi, sizeof(hi), (double)u), h->slot[i]);
		else
			fprintf(f, "    %10llu .. %-10llu %8llu ", l, u, h->slot[i]);
		print_bar(f, h->slot[i], peak);
		fputc('\n', f);
	}
}

static void print_tasks(FILE *f, const struct amz_trace *t)
{
	const struct amz_counters *c = &t->k.c;

	fprintf(f,
		"  tasks: spawned %llu process%s and %llu thread%s, %llu exec%s; %llu processes "
		"ended (counted in the kernel, %s)\n",
		c->processes, c->processes == 1 ? "" : "es", c->threads, c->threads == 1 ? "" : "s",
		c->execs, c->execs == 1 ? "" : "s", c->process_exits, t->attach_mode);
	if (c->track_full || c->tasks_full)
		fprintf(f,
			"  %llu processes and %llu tasks were not followed: more than the tracer "
			"can track at once\n",
			c->track_full, c->tasks_full);
}

static void print_scheduling(FILE *f, const struct amz_trace *t)
{
	const struct amz_counters *c = &t->k.c;
	char a[32], b[32], d[32];

	fprintf(f,
		"  scheduling: on CPU %s, runnable but waiting for a CPU %s, blocked %s; %llu "
		"wakeups, %llu preemptions, %llu migrations\n",
		fmt_ns(a, sizeof(a), (double)c->cpu_ns), fmt_ns(b, sizeof(b), (double)c->runq_ns),
		fmt_ns(d, sizeof(d), (double)c->blocked_ns), c->wakeups, c->preemptions,
		c->migrations);
}

static void print_concurrency(FILE *f, const struct amz_trace *t)
{
	double total;
	unsigned int i, last = 0;
	char a[32];

	time_at_least(t, 0, &total);
	for (i = 0; i < AMZ_CONC_SLOTS; i++) {
		if (t->k.conc_ns[i])
			last = i;
	}
	fprintf(f, "  time at each concurrency level (workload tasks on a CPU at once):\n");
	for (i = 0; i <= last && total > 0; i++) {
		fprintf(f, "    %2u%s %10s %5.1f%% ", i, i == AMZ_CONC_SLOTS - 1 ? "+" : " ",
			fmt_ns(a, sizeof(a), (double)t->k.conc_ns[i]),
			pct((double)t->k.conc_ns[i], total));
		print_bar(f, t->k.conc_ns[i], (unsigned long long)total);
		fputc('\n', f);
	}
}

static void print_chunks(FILE *f, const struct amz_trace *t)
{
	const struct amz_counters *c = &t->k.c;

	if (!t->usdt_binaries && !c->chunks) {
		fputs("  chunks: no amz:chunk markers in the workload's binary\n", f);
		return;
	}
	fprintf(f, "  chunks (amz markers): %llu chunks, %llu items", c->chunks, c->chunk_items);
	if (c->chunk_unmatched)
		fprintf(f, ", %llu ends without a begin", c->chunk_unmatched);
	fputc('\n', f);
	print_hist(f, "items per chunk", &t->k.chunk_items_h, false);
	print_hist(f, "chunk duration", &t->k.chunk_ns, true);
	print_hist(f, "gap between a thread's chunks", &t->k.chunk_gap_ns, true);
}

static void print_top_tasks(FILE *f, const struct amz_trace *t)
{
	unsigned int i, n = t->ntop < 10 ? t->ntop : 10;
	char a[32], b[32], c[32];

	if (!n)
		return;
	fprintf(f, "  busiest tasks (of %llu seen):\n", t->tasks_seen);
	fprintf(f, "    %8s %-16s %10s %10s %10s %8s %8s %6s\n", "pid", "comm", "on CPU", "runq",
		"blocked", "wakeups", "bursts", "migr");
	for (i = 0; i < n; i++) {
		const struct amz_task_stats *s = &t->top[i];

		fprintf(f, "    %8u %-16.16s %10s %10s %10s %8llu %8llu %6llu\n", s->pid, s->comm,
			fmt_ns(a, sizeof(a), (double)s->cpu_ns),
			fmt_ns(b, sizeof(b), (double)s->runq_ns),
			fmt_ns(c, sizeof(c), (double)s->blocked_ns), s->wakeups, s->bursts,
			s->migrations);
	}
}

/* How much of the run the statistics were counted in: they are kept on in windows. */
static const char *stats_share(const struct amz_trace *t, char *buf, size_t size)
{
	char on[32];

	if (!t->bpf_stats_ns || !t->wall_ns || t->bpf_stats_ns >= t->wall_ns)
		return "all";
	fmt_ns(on, sizeof(on), (double)t->bpf_stats_ns);
	snprintf(buf, size, "%s (%.0f%%)", on,
		 100.0 * (double)t->bpf_stats_ns / (double)t->wall_ns);
	return buf;
}

static void print_cost(FILE *f, const struct amz_trace *t)
{
	char share[64];

	fprintf(f, "  events: %llu task records sent, %llu lost (ring buffer full)\n",
		t->k.c.events, t->k.c.lost_events);
	if (t->bpf_run_cnt)
		fprintf(f,
			"  tracer cost: %.0f ns per event (kernel BPF statistics, kept on for %s "
			"of "
			"the run: %llu runs, %.2f ms)\n",
			(double)t->bpf_run_ns / (double)t->bpf_run_cnt,
			stats_share(t, share, sizeof(share)), t->bpf_run_cnt,
			(double)t->bpf_run_ns / 1e6);
	else
		fputs("  tracer cost: unknown (the kernel's BPF run-time statistics are off)\n", f);
}

static void print_advice(FILE *f, const struct report_run *r)
{
	if (r->advice)
		report_advice_text(f, r->advice);
	else if (r->no_advice)
		fprintf(f, "No recommendation: %s\n", r->no_advice);
}

static void report_bpf_text(FILE *f, const struct report_run *r)
{
	const struct amz_trace *t = r->trace;

	print_parallelism_headline(f, t);
	print_overhead_headline(f, t);
	print_advice(f, r);
	fputc('\n', f);

	print_usage_line(f, t);
	print_tasks(f, t);
	print_hist(f, "spawn latency (clone entry to the child's first run)", &t->k.spawn_ns, true);
	print_hist_summary(f, "  parent inside clone/fork", &t->k.clone_ns, true);
	print_hist_summary(f, "  child from fork to first run", &t->k.first_run_ns, true);
	print_hist_summary(f, "  parent from one clone call to the next", &t->k.clone_gap_ns, true);
	print_hist(f, "exec latency", &t->k.exec_ns, true);
	print_hist(f, "wakeup-to-run latency", &t->k.wakeup_ns, true);
	print_hist(f, "on-CPU bursts (run between two sleeps)", &t->k.burst_ns, true);
	print_scheduling(f, t);
	print_concurrency(f, t);
	print_chunks(f, t);
	print_throttle_line(f, t);
	print_top_tasks(f, t);
	print_cost(f, t);
}

static void report_fallback_text(FILE *f, const struct amz_trace *t)
{
	fprintf(f, "  from user space only (no eBPF: %s)\n", t->why_no_bpf);
	print_usage_line(f, t);
	fprintf(f,
		"  tasks seen: %llu processes and %llu threads (sampled from /proc every %u ms: "
		"shorter-lived tasks may be missed)\n",
		t->sampled_processes, t->sampled_threads, t->sampled_every_ms);
	print_throttle_line(f, t);
}

/* What a launched workload left behind, and what the tracer could not keep: said first. */
static void print_gaps(FILE *f, const struct report_run *r)
{
	const struct amz_trace *t = r->trace;
	unsigned int i,
		n = t->left_running < AMZ_TRACE_LEFT_PIDS ? t->left_running : AMZ_TRACE_LEFT_PIDS;

	if (t->left_running && !r->attached_pid) {
		fprintf(f,
			"  left running: %u process%s the workload started outlived it, followed "
			"no further (pid",
			t->left_running, t->left_running == 1 ? "" : "es");
		for (i = 0; i < n; i++)
			fprintf(f, "%s %u", i ? "," : "", t->left_pids[i]);
		fprintf(f, "%s)\n", t->left_running > n ? ", ..." : "");
	}
	if (t->k.c.lost_events)
		fprintf(f,
			"  warning: %llu task records were lost (the ring buffer was full): the "
			"busiest tasks are incomplete; counters and histograms are whole\n",
			t->k.c.lost_events);
}

void report_run_text(FILE *f, const struct report_run *r)
{
	print_header(f, r);
	if (strcmp(r->trace->source, "bpf") == 0) {
		print_gaps(f, r);
		report_bpf_text(f, r);
	} else {
		report_fallback_text(f, r->trace);
	}
}

int report_run_json(FILE *f, const struct report_run *r)
{
	json_object *root = json_object_new_object(), *trace = trace_to_json(r->trace);
	size_t i;
	int ok;

	/* The version first, where a reader looks. */
	json_object_object_add(root, "schema", json_object_new_int(REPORT_RUN_SCHEMA));
	json_object_object_add(root, "kind", json_object_new_string("run"));
	json_object_object_foreach(trace, key, value)
		json_object_object_add(root, key, json_object_get(value));
	json_object_put(trace);

	if (r->argv) {
		json_object *cmd = json_object_new_array();

		for (i = 0; r->argv[i]; i++)
			json_object_array_add(cmd, json_object_new_string(r->argv[i]));
		json_object_object_add(root, "command", cmd);
	}
	if (r->attached_pid)
		json_object_object_add(root, "pid", json_object_new_int(r->attached_pid));
	if (r->advice)
		json_object_object_add(root, "recommendation", advice_to_json(r->advice));
	else if (r->no_advice)
		json_object_object_add(root, "no_recommendation",
				       json_object_new_string(r->no_advice));

	ok = fprintf(f, "%s\n",
		     json_object_to_json_string_ext(
			     root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)) >= 0;
	json_object_put(root);
	return ok ? 0 : -1;
}
