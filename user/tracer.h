/* The tracer: loads the BPF object, follows one workload's task tree in the kernel, and reads
 * back what the kernel side aggregated; and, without eBPF, what user space can still see. */
#ifndef AMZ_TRACER_H
#define AMZ_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "amz.h"
#include "util.h"

struct tracer;
struct timeline;

/* Per-task records kept in a trace: the tasks with the most CPU time. */
#define AMZ_TRACE_TOP_TASKS 32

/* Processes of the followed tree still alive at the read whose pids a trace keeps. */
#define AMZ_TRACE_LEFT_PIDS 16

/* Points of the concurrency-over-time series kept in a trace. */
#define AMZ_TRACE_SERIES_POINTS 512

/* One traced run, or one probe between two tracer_reset calls. Plain data: it can be copied,
 * compared, and written and read back exactly with trace_to_json and trace_from_json.
 *
 * source says where the figures come from: "bpf" (the kernel's aggregates in k, the task
 * records, the BPF cost) or "userspace" (the eBPF-less fallback: k is all zero and only
 * sampled, rusage and throttling are filled). Fields the caller fills, since the tracer cannot
 * know them, are marked "caller". */
struct amz_trace {
	char source[12];	    /* "bpf" or "userspace" */
	char attach_mode[8];	    /* "tp_btf" or "raw_tp"; "" in the fallback */
	char why_no_bpf[512];	    /* the fallback's reason, one sentence; "" under BPF */
	int exit_status;	    /* caller: as a shell reports it, 128+N after signal N */
	int term_signal;	    /* caller: the signal that killed the workload, or 0 */
	bool attached;		    /* caller: -p PID mode: the workload was not started by us */
	unsigned long long wall_ns; /* caller: from release (or attach) to the end */

	/* caller: from wait4's rusage of the workload (not available when attached) */
	bool rusage_known;
	unsigned long long user_ns;
	unsigned long long sys_ns;
	unsigned long long peak_rss_kib; /* the largest single process's peak, not a sum */

	/* caller: CFS throttling of amzprof's cgroup (the workload's) during the run */
	bool throttle_known;
	unsigned long long nr_periods;
	unsigned long long nr_throttled;
	unsigned long long throttled_ns;

	/* the kernel's aggregates, every CPU's copy added up; conc_ns includes the time from
	 * the last change to the read */
	struct amz_stats k;
	unsigned int usdt_binaries;	 /* binaries whose amz markers are attached */
	unsigned long long bpf_run_ns;	 /* the kernel's run time of our programs */
	unsigned long long bpf_run_cnt;	 /* and their number of runs */
	unsigned long long bpf_stats_ns; /* the time the kernel counted them, in windows */
	unsigned long long tasks_seen;	 /* task records received or read */
	unsigned int ntop;		 /* valid entries in top, by CPU time, largest first */
	struct amz_task_stats top[AMZ_TRACE_TOP_TASKS];

	/* Followed processes still alive at the read: read after a launched workload's end, what
	 * it left running (orphans, daemons), which nothing follows any more. The smallest pids
	 * are kept. Processes the tracer could not track (untracked_processes) are not known. */
	unsigned int left_running;
	unsigned int left_pids[AMZ_TRACE_LEFT_PIDS];

	/* The workload's tasks on a CPU over the traced time: point i holds the CPU time they had
	 * in [i * series_bucket_ns, (i + 1) * series_bucket_ns) from the start, the last point
	 * ending at series_span_ns; that time over the point's length is its mean concurrency.
	 * series_n is 0 in the fallback and past the coarsest span the kernel keeps (73 min). */
	unsigned int series_n;
	unsigned long long series_bucket_ns;
	unsigned long long series_span_ns;
	unsigned long long series_task_ns[AMZ_TRACE_SERIES_POINTS];

	/* the fallback's sampled task counts (sampled_every_ms > 0 when used) */
	unsigned int sampled_every_ms;
	unsigned long long sampled_processes;
	unsigned long long sampled_threads;
};

struct tracer_opts {
	bool raw_tp;	      /* load raw_tp even where tp_btf works */
	bool state_from_task; /* read sched_switch's prev_state from the task, as before 5.18 */
	bool no_run_stats;    /* leave the kernel's BPF run-time statistics off */
	bool no_usdt;	      /* load no chunk-marker programs: no binary has markers */
	/* Record every scheduling event of the followed tasks into it (amzprof --trace), up to
	 * its cap; NULL leaves the timeline programs out, at no cost. */
	struct timeline *timeline;
};

/* Opens, loads and attaches the BPF programs: tp_btf where the kernel takes them, raw_tp
 * otherwise. Fails with a sentence saying why BPF is unavailable. opts may be NULL. */
int tracer_open(struct tracer **out, struct amz_err *err);
int tracer_open_opts(struct tracer **out, const struct tracer_opts *opts, struct amz_err *err);

/* Follows the thread group tgid (all its threads) and everything it forks from now on. */
int tracer_follow(struct tracer *t, pid_t tgid, struct amz_err *err);

/* The same for a running process and all its descendants, found through /proc; a task that
 * forks and ends while the tree is walked can be missed. Returns the number of descendant
 * processes followed, or -1. */
int tracer_follow_tree(struct tracer *t, pid_t pid, struct amz_err *err);

/* Attaches the amz:chunk_begin and amz:chunk_end markers of one binary or shared library.
 * Returns 1 when attached, 0 when the file has no such markers, -1 with err set. */
int tracer_attach_usdt(struct tracer *t, const char *path, struct amz_err *err);

/* Whether an ELF file has amz:chunk_* markers (a .note.stapsdt note of provider amz). */
int tracer_has_markers(const char *path);

/* The libamorsize.so a binary links (DT_NEEDED), found as the dynamic loader would in the
 * common cases; or the one a running process has mapped. 1 with its path in out, or 0. */
int tracer_find_pool_library(const char *binary, char *out, size_t size);
int tracer_mapped_pool_library(pid_t pid, char *out, size_t size);

/* Zeroes every aggregate, the task records and the BPF run-time baseline, so that the next
 * read covers only what happens from now on. Tasks still followed stay followed. */
void tracer_reset(struct tracer *t);

/* Fills trace (the caller's fields zeroed) with everything aggregated since open or reset. */
void tracer_read(struct tracer *t, struct amz_trace *trace);

/* Detaches and unloads every program; nothing of ours stays in the kernel. */
void tracer_close(struct tracer *t);

/* The value at quantile p (0 to 1) of a log2 histogram. The rank r = ceil(p * count) is found
 * in its slot [lo, hi), hi capped at the exact maximum plus one, and the k-th of the slot's n
 * values is placed at lo + (k - 1/2) / n of the width; p = 1 gives the maximum exactly. Since the
 * true value lies in the same slot, the result is off by less than the slot's width: less than the
 * true value itself, so within a factor of two (and exact in slot 0, values 0 and 1). NaN if empty.
 */
double trace_hist_percentile(const struct amz_hist *h, double p);
double trace_hist_mean(const struct amz_hist *h);

/* Mean number of workload tasks on a CPU at once, over the traced time; NaN if none. */
double trace_parallelism_mean(const struct amz_trace *t);

/* The kernel's concurrency buckets of one resolution (AMZ_SERIES_BUCKETS each of delta and
 * area, bucket width 2^shift ns; see AMZ_SERIES_LEVELS), turned into the trace's series over
 * span_ns, starting at level0 tasks on a CPU: each bucket's exact task-time integral, merged
 * into at most AMZ_TRACE_SERIES_POINTS points. */
void trace_series_from_buckets(struct amz_trace *t, const long long *delta, const long long *area,
			       unsigned int shift, long long level0, unsigned long long span_ns);

/* The finest resolution of the kernel's series whose buckets span span_ns; -1 if none. */
int trace_series_level(unsigned long long span_ns);

/* The series as the "over_time" object of the trace's parallelism section, and back; a series
 * whose points do not tile its span is refused with a sentence. */
json_object *trace_series_to_json(const struct amz_trace *t);
int trace_series_from_json(json_object *o, struct amz_trace *t, struct amz_err *err);

/* Length and mean concurrency of point i of the series. */
unsigned long long trace_series_len(const struct amz_trace *t, unsigned int i);
double trace_series_mean(const struct amz_trace *t, unsigned int i);

/* The whole trace as one JSON object (the document of `amzprof --json`), and back. Histograms
 * keep their slots, so that a reloaded trace equals the original. trace_from_json fails with
 * a sentence on a document that is not a trace; unknown keys are ignored. */
json_object *trace_to_json(const struct amz_trace *t);
int trace_from_json(json_object *o, struct amz_trace *t, struct amz_err *err);

/* The eBPF-less fallback: samples the task tree under root from /proc every interval_ms, so
 * that tasks living shorter than that can be missed. */
struct tracer_sampler;
int tracer_sampler_start(struct tracer_sampler **out, pid_t root, unsigned int interval_ms,
			 struct amz_err *err);
void tracer_sampler_stop(struct tracer_sampler *s, struct amz_trace *trace);

/* CFS throttling counters of the cgroup of pid (0: this process), cgroup v2 or v1 cpu.
 * Returns 0, or -1 when no cpu.stat with throttling counters is readable. */
struct tracer_throttle {
	unsigned long long nr_periods;
	unsigned long long nr_throttled;
	unsigned long long throttled_ns;
};
int tracer_read_throttle(pid_t pid, struct tracer_throttle *out);

#endif
