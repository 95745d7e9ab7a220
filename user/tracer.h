/* The tracer: loads the BPF object, follows one workload's task tree in the kernel, and reads
 * back what the kernel side aggregated. */
#ifndef AMZ_TRACER_H
#define AMZ_TRACER_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

struct tracer;

/* What the kernel counted for the workload, read once the run is over. */
struct amz_trace {
	const char *attach_mode;	  /* "tp_btf" or "raw_tp" */
	unsigned long long processes;	  /* processes the workload's tasks forked */
	unsigned long long threads;	  /* threads the workload's tasks created */
	unsigned long long process_exits; /* of those processes and the workload, how many ended */
	unsigned long long untracked;	  /* forks not followed: the tracked map was full */
};

/* Opens, loads and attaches the BPF programs: tp_btf where the kernel takes them, raw_tp
 * otherwise. Fails with a sentence saying why BPF is unavailable. */
int tracer_open(struct tracer **out, struct amz_err *err);

/* Follows the thread group tgid and everything it forks from now on. */
int tracer_follow(struct tracer *t, pid_t tgid, struct amz_err *err);

void tracer_read(struct tracer *t, struct amz_trace *trace);

/* Detaches and unloads every program; nothing of ours stays in the kernel. */
void tracer_close(struct tracer *t);

#endif
