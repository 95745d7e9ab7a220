/* Types shared by the BPF programs and user space: the counters, histograms and events the
 * kernel side aggregates for one traced workload. */
#ifndef AMZ_BPF_SHARED_H
#define AMZ_BPF_SHARED_H

/* Upper bound on thread-group ids tracked at once; a workload with more live processes than
 * this stops being followed at its newest forks, and each refusal is counted. */
#define AMZ_MAX_TRACKED 8192

/* Upper bound on live tasks (threads) followed at once, with the same counted refusal. */
#define AMZ_MAX_TASKS 8192

/* Pids are below 2^22 (the kernel's PID_MAX_LIMIT): one bit each says "followed". */
#define AMZ_PID_SPACE (1 << 22)

/* Log2 histograms: slot 0 holds values 0 and 1, slot i (i >= 1) holds [2^i, 2^(i+1)); the last
 * slot also takes everything above, from 2^39 ns (about 9 minutes) on. */
#define AMZ_HIST_SLOTS 40

/* Concurrency levels 0 .. AMZ_CONC_SLOTS - 2 have their own slot; the last one takes more. */
#define AMZ_CONC_SLOTS 65

struct amz_hist {
	unsigned long long count;
	unsigned long long sum; /* exact sum of the values, for the mean */
	unsigned long long max;
	unsigned long long slot[AMZ_HIST_SLOTS];
};

/* Totals over the whole workload since the last reset. Every field only grows during a run. */
struct amz_counters {
	unsigned long long processes;	    /* new thread groups forked by tracked tasks */
	unsigned long long threads;	    /* new threads in tracked thread groups */
	unsigned long long process_exits;   /* tracked thread groups whose last thread exited */
	unsigned long long task_exits;	    /* tracked tasks (threads included) that ended */
	unsigned long long execs;	    /* successful execs by tracked tasks */
	unsigned long long track_full;	    /* forks not followed: the tracked map was full */
	unsigned long long tasks_full;	    /* tasks not followed: the task map was full */
	unsigned long long lost_events;	    /* rare events the ring buffer had no room for */
	unsigned long long events;	    /* rare events sent through the ring buffer */
	unsigned long long wakeups;	    /* sched_wakeup of a tracked task */
	unsigned long long switches;	    /* a tracked task left a CPU */
	unsigned long long preemptions;	    /* ... while still runnable */
	unsigned long long migrations;	    /* a tracked task ran on another CPU than last time */
	unsigned long long cpu_ns;	    /* time tracked tasks spent on a CPU */
	unsigned long long runq_ns;	    /* time runnable, waiting for a CPU */
	unsigned long long blocked_ns;	    /* time asleep until woken */
	unsigned long long chunks;	    /* amz:chunk_end markers matched with their begin */
	unsigned long long chunk_items;	    /* items in those chunks */
	unsigned long long chunk_unmatched; /* amz:chunk_end seen without a chunk_begin */
	unsigned long long first_chunks;    /* chunks that were their thread's first */
	unsigned long long first_items;	    /* items in those chunks */
	unsigned long long first_cpu_ns;    /* time on a CPU in those chunks */
	unsigned long long conc_races;	    /* concurrency updates abandoned after contention */
};

/* Everything the programs aggregate, one copy per CPU; user space adds the copies up. */
struct amz_stats {
	struct amz_counters c;
	struct amz_hist spawn_ns; /* parent's clone entry (or the fork) to the child's 1st run */
	struct amz_hist clone_ns; /* parent's time inside clone, clone3, fork or vfork */
	struct amz_hist first_run_ns;  /* child's wait from the fork to its first run */
	struct amz_hist clone_gap_ns;  /* a thread's clone entry to its next clone entry */
	struct amz_hist exec_ns;       /* execve or execveat entry to the new image */
	struct amz_hist wakeup_ns;     /* wakeup to running */
	struct amz_hist burst_ns;      /* CPU time between two sleeps */
	struct amz_hist chunk_ns;      /* amz:chunk_begin to amz:chunk_end, same thread */
	struct amz_hist chunk_gap_ns;  /* a thread's chunk_end to its next chunk_begin */
	struct amz_hist chunk_cpu_ns;  /* time on a CPU between chunk_begin and chunk_end */
	struct amz_hist chunk_items_h; /* items per chunk (not nanoseconds) */
	unsigned long long conc_ns[AMZ_CONC_SLOTS]; /* time with exactly N tracked tasks on CPU */
};

/* What one task did while followed; sent when it ends, read from the task map otherwise. */
struct amz_task_stats {
	unsigned int pid;
	unsigned int tgid;
	unsigned int ppid; /* the forking task's thread-group id, 0 when seeded by user space */
	unsigned int is_thread;
	unsigned long long cpu_ns;
	unsigned long long runq_ns;
	unsigned long long blocked_ns;
	unsigned long long wakeups;
	unsigned long long migrations;
	unsigned long long bursts;
	unsigned long long preemptions;
	unsigned long long chunks;
	char comm[16];
};

/* A followed task's state in the task map. Only the task's own programs and its wakers write
 * it; user space seeds it for tasks that existed before tracing and reads it at the end. */
struct amz_task_state {
	struct amz_task_stats s;
	unsigned long long created_ns;	   /* fork time; 0 once the first run was counted */
	unsigned long long spawn_start_ns; /* the parent's clone entry, or the fork time */
	unsigned long long oncpu_ns;	   /* on a CPU since; 0 when off or unknown */
	unsigned long long runnable_ns;	   /* runnable, waiting for a CPU since */
	unsigned long long woken_ns;	   /* woken at, until it runs */
	unsigned long long slept_ns;	   /* asleep since */
	unsigned long long burst_ns;	   /* CPU time since it last slept */
	unsigned long long syscall_ns;	   /* entry of a clone or exec call in progress */
	unsigned long long last_clone_ns;  /* entry of the task's last successful clone call */
	unsigned long long chunk_begin_ns;
	unsigned long long chunk_begin_cpu; /* the task's CPU time at chunk_begin */
	unsigned long long chunk_end_ns;
	unsigned int syscall_nr;
	unsigned int last_cpu; /* CPU of the last run, plus one; 0 before the first */
};

enum amz_event_type {
	AMZ_EV_SPAWN = 1, /* value: 0; task: the new task */
	AMZ_EV_EXEC = 2,  /* value: exec latency in ns, 0 if the entry was not seen */
	AMZ_EV_EXIT = 3,  /* task: its final statistics */
};

struct amz_event {
	unsigned int type;
	unsigned int pad;
	unsigned long long ts_ns;
	unsigned long long value;
	struct amz_task_stats task;
};

/* The concurrency over time, kept at AMZ_SERIES_LEVELS resolutions at once so that user space
 * can take the finest one that spans the run: level i has AMZ_SERIES_BUCKETS buckets of
 * 2^(AMZ_SERIES_SHIFT0 + i * AMZ_SERIES_STEP) ns (0.52 ms, 8.4 ms, 134 ms, 2.1 s: spans of
 * 1.1 s, 17 s, 4.6 min and 73 min). A bucket holds the sum of the level changes inside it
 * (delta) and the sum of each change times the time from it to the bucket's end (area), from
 * which user space rebuilds the exact task-time integral of every bucket with a prefix sum.
 * A run longer than the coarsest span has no series past it. */
#define AMZ_SERIES_LEVELS  4
#define AMZ_SERIES_BUCKETS 2048
#define AMZ_SERIES_SHIFT0  19
#define AMZ_SERIES_STEP	   4

/* The timeline (amzprof --trace): one record per scheduling event of a followed task, sent
 * through a ring buffer of its own only when user space asked for it before load. */
enum amz_tl_type {
	AMZ_TL_SWITCH_IN = 1,	/* the task got a CPU (cpu) */
	AMZ_TL_SWITCH_OUT = 2,	/* it left the CPU: a = AMZ_TL_OUT_* */
	AMZ_TL_WAKEUP = 3,	/* a blocked task became runnable */
	AMZ_TL_SPAWN = 4,	/* a new task; aux = the forking task's pid */
	AMZ_TL_EXEC = 5,	/* a new program image */
	AMZ_TL_EXIT = 6,	/* the task's last switch out */
	AMZ_TL_CHUNK_BEGIN = 7, /* amz:chunk_begin: a = first item, b = item count */
	AMZ_TL_CHUNK_END = 8,	/* amz:chunk_end: the same */
};

enum amz_tl_out {
	AMZ_TL_OUT_RUNNABLE = 0, /* preempted or yielded: still wants a CPU */
	AMZ_TL_OUT_BLOCKED = 1,	 /* went to sleep until woken */
};

struct amz_tl_event {
	unsigned long long ts_ns; /* CLOCK_MONOTONIC */
	unsigned int pid;
	unsigned int tgid;
	unsigned short type; /* enum amz_tl_type */
	unsigned short cpu;
	unsigned int aux;
	unsigned long long a;
	unsigned long long b;
};

/* SPAWN, EXEC and EXIT carry the task's name as well. */
struct amz_tl_named {
	struct amz_tl_event e;
	char comm[16];
};

/* The concurrency word: the number of tracked tasks on a CPU in the low bits, and the time of
 * the last change (ns since conc_base_ns) above them, updated together by compare-and-swap. */
#define AMZ_CONC_COUNT_BITS 10
#define AMZ_CONC_COUNT_MASK ((1ULL << AMZ_CONC_COUNT_BITS) - 1)

#endif
