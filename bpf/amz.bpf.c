// SPDX-License-Identifier: GPL-2.0
/* The kernel side of amzprof: follows one workload's task tree on the scheduler's
 * tracepoints and aggregates what it costs to spawn and run its tasks. */
#include <stdbool.h>
#include <linux/types.h>
#include <asm-generic/errno-base.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "core_types.h"
#include "amz.h"

char LICENSE[] SEC("license") = "GPL";

/* Thread-group ids of the workload: seeded by user space with the launched child, extended
 * here at every fork of a tracked task, pruned when a whole group has exited. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AMZ_MAX_TRACKED);
	__type(key, __u32);
	__type(value, __u8);
} tracked SEC(".maps");

struct amz_counters counters = {};

static __always_inline bool is_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&tracked, &tgid) != NULL;
}

static __always_inline void follow_process(__u32 tgid)
{
	__u8 one = 1;

	if (bpf_map_update_elem(&tracked, &tgid, &one, BPF_NOEXIST) == -E2BIG)
		__sync_fetch_and_add(&counters.track_full, 1);
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	__u32 child_tgid = BPF_CORE_READ(child, tgid);

	if (!is_tracked(parent_tgid))
		return 0;

	if (child_tgid == parent_tgid) {
		__sync_fetch_and_add(&counters.threads, 1);
		return 0;
	}

	__sync_fetch_and_add(&counters.processes, 1);
	follow_process(child_tgid);
	return 0;
}

static __always_inline int on_exit(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (!is_tracked(tgid))
		return 0;

	/* The group is gone once its last thread exits; forgetting it then keeps a reused pid
	 * of an unrelated process from being followed. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;

	__sync_fetch_and_add(&counters.process_exits, 1);
	bpf_map_delete_elem(&tracked, &tgid);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *task)
{
	return on_exit(task);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct *task)
{
	return on_exit(task);
}
