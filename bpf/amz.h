/* Types shared by the BPF programs and user space: the counters and events the kernel side
 * aggregates for one traced workload. */
#ifndef AMZ_BPF_SHARED_H
#define AMZ_BPF_SHARED_H

/* Upper bound on thread-group ids tracked at once; a workload with more live processes than
 * this stops being followed at its newest forks, and each refusal is counted. */
#define AMZ_MAX_TRACKED 65536

/* Totals over the whole workload. Every field only grows during a run. */
struct amz_counters {
	unsigned long long processes;	  /* new thread groups forked by tracked tasks */
	unsigned long long threads;	  /* new threads in tracked thread groups */
	unsigned long long process_exits; /* tracked thread groups whose last thread exited */
	unsigned long long track_full;	  /* forks not followed because the tracked map was full */
};

#endif
