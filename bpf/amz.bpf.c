// SPDX-License-Identifier: GPL-2.0
/* The kernel side of amzprof: follows one workload's task tree on the scheduler's
 * tracepoints and aggregates what it costs to spawn and run its tasks. Every program exists
 * as tp_btf and as raw_tp with one shared body; user space loads one set. */
#include <stdbool.h>
#include <linux/types.h>
#include <asm-generic/errno-base.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "core_types.h"
#include "amz.h"

/* usdt.bpf.h reads the instruction pointer from the user-space layout of pt_regs. */
#include <asm/ptrace.h>
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING 0
#define TASK_DEAD    0x80

/* System call numbers of the calls that create a task or replace its image. A 32-bit
 * program's compat calls have other numbers and are not timed. */
#if defined(__TARGET_ARCH_x86)
#define NR_CLONE    56
#define NR_FORK	    57
#define NR_VFORK    58
#define NR_EXECVE   59
#define NR_EXECVEAT 322
#define NR_CLONE3   435
#elif defined(__TARGET_ARCH_arm64)
#define NR_CLONE    220
#define NR_FORK	    -1
#define NR_VFORK    -1
#define NR_EXECVE   221
#define NR_EXECVEAT 281
#define NR_CLONE3   435
#else
#define NR_CLONE    -1
#define NR_FORK	    -1
#define NR_VFORK    -1
#define NR_EXECVE   -1
#define NR_EXECVEAT -1
#define NR_CLONE3   -1
#endif

/* Set by user space before load. */
const volatile bool state_from_arg = true; /* sched_switch passes prev_state (5.18 and on) */
const volatile __u64 conc_base_ns = 0;	   /* origin of the concurrency word's clock */
const volatile __u64 ringbuf_wake_bytes = 1 << 20;
/* The timeline (amzprof --trace): off unless asked for, so that a normal run pays nothing for
 * it; then at most timeline_cap records, the rest counted in tl_capped. */
const volatile bool timeline = false;
const volatile __u64 timeline_cap = 0;
const volatile __u64 timeline_wake_bytes = 1 << 20;

/* Thread-group ids of the workload: seeded by user space with the launched child, extended
 * here at every fork of a tracked task, pruned when a whole group has exited. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AMZ_MAX_TRACKED);
	__type(key, __u32);
	__type(value, __u8);
} tracked SEC(".maps");

/* Every followed task (thread) by pid; an entry goes when the task has switched out dead. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AMZ_MAX_TASKS);
	__type(key, __u32);
	__type(value, struct amz_task_state);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct amz_stats);
} stats SEC(".maps");

/* Whether the task on each CPU is a followed one, as the concurrency count last saw it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cpu_busy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 << 10);
} events SEC(".maps");

/* User space sizes it for a timeline, and leaves it at one page otherwise. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} timeline_rb SEC(".maps");

/* Tracked tasks on a CPU and the time of the last change; see AMZ_CONC_COUNT_BITS. */
__u64 conc_word = 0;

/* The concurrency over time (see AMZ_SERIES_LEVELS), from series_origin on, a time on the
 * concurrency word's clock that user space sets when it resets the aggregates. */
__s64 series_delta[AMZ_SERIES_LEVELS][AMZ_SERIES_BUCKETS] = {};
__s64 series_area[AMZ_SERIES_LEVELS][AMZ_SERIES_BUCKETS] = {};
__u64 series_origin = 0;

/* Timeline records reserved (a record past timeline_cap is not), refused past the cap, and
 * lost because the ring buffer was full. */
__u64 tl_sent = 0;
__u64 tl_capped = 0;
__u64 tl_lost = 0;

/* A bit per pid, set while the task map holds it: the scheduler and system-call hooks run for
 * every task on the machine, and this test costs far less than a hash lookup. */
__u32 task_bits[AMZ_PID_SPACE / 32] = {};

static __always_inline struct amz_stats *my_stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

/* Pids never reach AMZ_PID_SPACE; the mask is what lets the verifier see the bound. */
static __always_inline bool maybe_followed(__u32 pid)
{
	__u32 word = (pid / 32) & (AMZ_PID_SPACE / 32 - 1);

	return task_bits[word] & (1U << (pid % 32));
}

static __always_inline void mark_followed(__u32 pid, bool on)
{
	__u32 word = (pid / 32) & (AMZ_PID_SPACE / 32 - 1);

	if (on)
		__sync_fetch_and_or(&task_bits[word], 1U << (pid % 32));
	else
		__sync_fetch_and_and(&task_bits[word], ~(1U << (pid % 32)));
}

static __always_inline struct amz_task_state *task_of(__u32 pid)
{
	if (!pid || !maybe_followed(pid))
		return NULL;
	return bpf_map_lookup_elem(&tasks, &pid);
}

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 slot = 0;

	/* A branch-free binary search for the highest set bit. */
	if (v >> 32) {
		v >>= 32;
		slot += 32;
	}
	if (v >> 16) {
		v >>= 16;
		slot += 16;
	}
	if (v >> 8) {
		v >>= 8;
		slot += 8;
	}
	if (v >> 4) {
		v >>= 4;
		slot += 4;
	}
	if (v >> 2) {
		v >>= 2;
		slot += 2;
	}
	if (v >> 1)
		slot += 1;
	return slot < AMZ_HIST_SLOTS ? slot : AMZ_HIST_SLOTS - 1;
}

/* The histogram and concurrency updates are global functions, which the verifier checks once
 * rather than at every call site: that keeps the load time of sched_switch low.
 *
 * For programs that run with preemption disabled: the per-CPU copy is theirs alone. */
__noinline int hist_add(struct amz_hist *h, __u64 v)
{
	if (!h)
		return 0;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
	h->slot[log2_slot(v)]++;
	return 0;
}

/* For programs that may be preempted (system calls, USDT) and so share the per-CPU copy with
 * another task's program; a maximum lost to such a race is the only inexactness left. */
__noinline int hist_add_atomic(struct amz_hist *h, __u64 v)
{
	if (!h)
		return 0;
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum, v);
	if (v > h->max)
		h->max = v;
	__sync_fetch_and_add(&h->slot[log2_slot(v)], 1);
	return 0;
}

__noinline int emit(__u32 type, __u64 now, __u64 value, const struct amz_task_stats *task,
		    struct amz_stats *st)
{
	struct amz_event *e;
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (!task || !st)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&st->c.lost_events, 1);
		return 0;
	}
	e->type = type;
	e->pad = 0;
	e->ts_ns = now;
	e->value = value;
	__builtin_memcpy(&e->task, task, sizeof(e->task));

	/* The reader polls on a timer; it is woken early only when the buffer fills up. */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > ringbuf_wake_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	__sync_fetch_and_add(&st->c.events, 1);
	return 0;
}

/* One timeline record about task s; SPAWN, EXEC and EXIT carry its name too. */
__noinline int tl_emit(__u32 type, __u64 now, const struct amz_task_stats *s, __u64 a, __u64 b)
{
	bool named = type == AMZ_TL_SPAWN || type == AMZ_TL_EXEC || type == AMZ_TL_EXIT;
	__u64 flags = BPF_RB_NO_WAKEUP;
	struct amz_tl_event *e;

	if (!s)
		return 0;
	if (__sync_fetch_and_add(&tl_sent, 1) >= timeline_cap) {
		__sync_fetch_and_add(&tl_capped, 1);
		return 0;
	}
	if (named)
		e = bpf_ringbuf_reserve(&timeline_rb, sizeof(struct amz_tl_named), 0);
	else
		e = bpf_ringbuf_reserve(&timeline_rb, sizeof(struct amz_tl_event), 0);
	if (!e) {
		__sync_fetch_and_add(&tl_lost, 1);
		return 0;
	}
	e->ts_ns = now;
	e->pid = s->pid;
	e->tgid = s->tgid;
	e->type = (unsigned short)type;
	e->cpu = (unsigned short)bpf_get_smp_processor_id();
	e->aux = s->ppid;
	e->a = a;
	e->b = b;
	if (named)
		__builtin_memcpy(((struct amz_tl_named *)e)->comm, s->comm, sizeof(s->comm));

	if (bpf_ringbuf_query(&timeline_rb, BPF_RB_AVAIL_DATA) > timeline_wake_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	return 0;
}

static __always_inline bool is_tracked(__u32 tgid)
{
	return bpf_map_lookup_elem(&tracked, &tgid) != NULL;
}

static __always_inline void follow_process(__u32 tgid, struct amz_stats *st)
{
	__u8 one = 1;

	if (bpf_map_update_elem(&tracked, &tgid, &one, BPF_NOEXIST) == -E2BIG)
		__sync_fetch_and_add(&st->c.track_full, 1);
}

static __always_inline bool is_clone_nr(long nr)
{
	return nr == NR_CLONE || nr == NR_CLONE3 || nr == NR_FORK || nr == NR_VFORK;
}

static __always_inline bool is_exec_nr(long nr)
{
	return nr == NR_EXECVE || nr == NR_EXECVEAT;
}

/* Credits a change of the concurrency level by delta at time at to every resolution of the
 * series; changes from other CPUs land in the same buckets, hence the atomic adds. */
__noinline int series_add(__u64 at, __s64 delta)
{
	__u64 origin = *(volatile __u64 *)&series_origin;
	__u64 pos = at > origin ? at - origin : 0;
	__u32 i;

	for (i = 0; i < AMZ_SERIES_LEVELS; i++) {
		__u32 shift = AMZ_SERIES_SHIFT0 + i * AMZ_SERIES_STEP;
		__u64 b = pos >> shift;

		if (b >= AMZ_SERIES_BUCKETS)
			continue;
		__sync_fetch_and_add(&series_delta[i][b], delta);
		__sync_fetch_and_add(&series_area[i][b], delta * (__s64)(((b + 1) << shift) - pos));
	}
	return 0;
}

/* The concurrency level changes by delta at now: the interval since the last change is
 * credited to the old level. Concurrent changes from other CPUs retry a few times. */
__noinline int conc_change(int delta, __u64 now, struct amz_stats *st)
{
	__u64 rel = now > conc_base_ns ? now - conc_base_ns : 0;
	int i;

	for (i = 0; i < 8; i++) {
		__u64 old = *(volatile __u64 *)&conc_word;
		__u64 count = old & AMZ_CONC_COUNT_MASK;
		__u64 since = old >> AMZ_CONC_COUNT_BITS;
		__u64 at = rel > since ? rel : since;
		__u64 next = count;

		if (delta > 0 && count < AMZ_CONC_COUNT_MASK)
			next = count + 1;
		else if (delta < 0 && count > 0)
			next = count - 1;

		if (__sync_val_compare_and_swap(&conc_word, old,
						(at << AMZ_CONC_COUNT_BITS) | next) == old) {
			if (st)
				st->conc_ns[count < AMZ_CONC_SLOTS - 1 ? count
								       : AMZ_CONC_SLOTS - 1] +=
					at - since;
			if (next != count)
				series_add(at, (__s64)next - (__s64)count);
			return 0;
		}
	}
	if (st)
		st->c.conc_races++;
	return 0;
}

static __always_inline void end_burst(struct amz_task_state *t, struct amz_stats *st)
{
	if (!t->burst_ns)
		return;
	hist_add(&st->burst_ns, t->burst_ns);
	t->s.bursts++;
	t->burst_ns = 0;
}

__noinline int switch_out(struct amz_task_state *t, struct amz_stats *st, __u64 now, int runnable)
{
	if (!t || !st)
		return 0;
	if (t->oncpu_ns) {
		__u64 d = now - t->oncpu_ns;

		t->s.cpu_ns += d;
		st->c.cpu_ns += d;
		t->burst_ns += d;
		t->oncpu_ns = 0;
	}
	st->c.switches++;
	if (timeline)
		tl_emit(AMZ_TL_SWITCH_OUT, now, &t->s,
			runnable ? AMZ_TL_OUT_RUNNABLE : AMZ_TL_OUT_BLOCKED, 0);

	if (runnable) {
		t->s.preemptions++;
		st->c.preemptions++;
		t->runnable_ns = now;
		return 0;
	}
	end_burst(t, st);
	t->slept_ns = now;
	return 0;
}

__noinline int switch_in(struct amz_task_state *t, struct amz_stats *st, __u64 now)
{
	__u32 cpu = bpf_get_smp_processor_id() + 1;

	if (!t || !st)
		return 0;
	if (t->last_cpu && t->last_cpu != cpu) {
		t->s.migrations++;
		st->c.migrations++;
	}
	t->last_cpu = cpu;
	t->oncpu_ns = now;
	if (timeline)
		tl_emit(AMZ_TL_SWITCH_IN, now, &t->s, 0, 0);

	if (t->created_ns) {
		hist_add(&st->first_run_ns, now - t->created_ns);
		hist_add(&st->spawn_ns, now - t->spawn_start_ns);
		t->created_ns = 0;
	}
	if (t->runnable_ns) {
		__u64 d = now - t->runnable_ns;

		t->s.runq_ns += d;
		st->c.runq_ns += d;
		t->runnable_ns = 0;
	}
	if (t->woken_ns) {
		hist_add(&st->wakeup_ns, now - t->woken_ns);
		t->woken_ns = 0;
	}
	return 0;
}

/* The task's last switch: its final burst, its record to user space, its entry gone. */
static __always_inline void task_ended(struct amz_task_state *t, struct amz_stats *st, __u64 now,
				       __u32 pid, struct task_struct *task)
{
	switch_out(t, st, now, false);
	bpf_core_read(t->s.comm, sizeof(t->s.comm), &task->comm);
	emit(AMZ_EV_EXIT, now, 0, &t->s, st);
	if (timeline)
		tl_emit(AMZ_TL_EXIT, now, &t->s, 0, 0);
	st->c.task_exits++;
	bpf_map_delete_elem(&tasks, &pid);
	mark_followed(pid, false);
}

static __always_inline void on_switch(__u32 prev_pid, __u32 next_pid, bool runnable, bool dead,
				      struct task_struct *prev)
{
	struct amz_task_state *p = task_of(prev_pid), *n = task_of(next_pid);
	struct amz_stats *st;
	__u32 zero = 0, *busy;
	__u64 now;

	busy = bpf_map_lookup_elem(&cpu_busy, &zero);
	if (!busy)
		return;
	/* Tested one by one: the verifier refuses the OR of two map pointers that the compiler
	 * would make of "neither". */
	barrier_var(p);
	if (!p) {
		barrier_var(n);
		if (!n && !*busy)
			return;
	}
	st = my_stats();
	if (!st)
		return;
	now = bpf_ktime_get_ns();

	if (n)
		switch_in(n, st, now);
	if ((n != NULL) != (*busy != 0)) {
		conc_change(n ? 1 : -1, now, st);
		*busy = n != NULL;
	}
	if (p && dead)
		task_ended(p, st, now, prev_pid, prev);
	else if (p)
		switch_out(p, st, now, runnable);
}

static __always_inline bool prev_runnable(bool preempt, unsigned int state)
{
	return preempt || state == TASK_RUNNING;
}

/* Before 5.18 sched_switch has no prev_state argument: the task's own state field says it. */
static __always_inline unsigned int task_state_field(struct task_struct *task)
{
	struct task_struct___pre514 *old = (void *)task;

	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	return (unsigned int)BPF_CORE_READ(old, state);
}

static __always_inline void on_wakeup(__u32 pid, bool new_task)
{
	struct amz_task_state *t = task_of(pid);
	struct amz_stats *st;
	__u64 now;

	if (!t)
		return;
	st = my_stats();
	if (!st)
		return;
	now = bpf_ktime_get_ns();

	if (new_task) {
		t->runnable_ns = now;
		return;
	}
	t->s.wakeups++;
	st->c.wakeups++;
	/* A task woken before it got off the CPU did not sleep: no latency to measure. */
	if (t->slept_ns) {
		__u64 d = now - t->slept_ns;

		t->s.blocked_ns += d;
		st->c.blocked_ns += d;
		t->slept_ns = 0;
		t->woken_ns = now;
		t->runnable_ns = now;
		if (timeline)
			tl_emit(AMZ_TL_WAKEUP, now, &t->s, 0, 0);
	}
}

static __always_inline void new_task(struct amz_stats *st, __u64 now, __u32 parent_pid,
				     __u32 parent_tgid, __u32 pid, __u32 tgid,
				     struct task_struct *child)
{
	struct amz_task_state *parent = task_of(parent_pid);
	struct amz_task_state t = {};

	t.s.pid = pid;
	t.s.tgid = tgid;
	t.s.ppid = parent_tgid;
	t.s.is_thread = pid != tgid;
	t.created_ns = now;
	t.spawn_start_ns = now;
	if (parent && parent->syscall_ns && is_clone_nr(parent->syscall_nr))
		t.spawn_start_ns = parent->syscall_ns;
	bpf_core_read(t.s.comm, sizeof(t.s.comm), &child->comm);

	if (bpf_map_update_elem(&tasks, &pid, &t, BPF_NOEXIST) == -E2BIG) {
		__sync_fetch_and_add(&st->c.tasks_full, 1);
		return;
	}
	mark_followed(pid, true);
	emit(AMZ_EV_SPAWN, now, 0, &t.s, st);
	if (timeline)
		tl_emit(AMZ_TL_SPAWN, now, &t.s, 0, 0);
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid, child_tgid;
	struct amz_stats *st;

	/* Every fork on the machine comes here: a followed task has its bit set. */
	if (!maybe_followed(BPF_CORE_READ(parent, pid)))
		return 0;
	parent_tgid = BPF_CORE_READ(parent, tgid);
	child_tgid = BPF_CORE_READ(child, tgid);
	if (!is_tracked(parent_tgid))
		return 0;
	st = my_stats();
	if (!st)
		return 0;

	if (child_tgid == parent_tgid) {
		st->c.threads++;
	} else {
		st->c.processes++;
		follow_process(child_tgid, st);
	}
	new_task(st, bpf_ktime_get_ns(), BPF_CORE_READ(parent, pid), parent_tgid,
		 BPF_CORE_READ(child, pid), child_tgid, child);
	return 0;
}

static __always_inline int on_exit(struct task_struct *task)
{
	__u32 tgid;
	struct amz_stats *st;

	if (!maybe_followed(BPF_CORE_READ(task, pid)))
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	if (!is_tracked(tgid))
		return 0;

	/* The group is gone once its last thread exits; forgetting it then keeps a reused pid
	 * of an unrelated process from being followed. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;

	st = my_stats();
	if (st)
		st->c.process_exits++;
	bpf_map_delete_elem(&tracked, &tgid);
	return 0;
}

/* A thread other than the leader that execs takes the leader's pid; its entry stays under the
 * old pid, and the task is no longer followed after that exec. */
static __always_inline int on_exec(struct task_struct *task, __u32 old_pid)
{
	struct amz_task_state *t = task_of(old_pid);
	struct amz_stats *st;
	__u64 now, lat = 0;

	if (!t)
		return 0;
	st = my_stats();
	if (!st)
		return 0;
	now = bpf_ktime_get_ns();

	st->c.execs++;
	if (t->syscall_ns && is_exec_nr(t->syscall_nr)) {
		lat = now - t->syscall_ns;
		hist_add(&st->exec_ns, lat);
	}
	t->syscall_ns = 0;
	bpf_core_read(t->s.comm, sizeof(t->s.comm), &task->comm);
	emit(AMZ_EV_EXEC, now, lat, &t->s, st);
	if (timeline)
		tl_emit(AMZ_TL_EXEC, now, &t->s, lat, 0);
	return 0;
}

/* The system-call hooks run for every call on the machine: the number is checked first. */
static __always_inline void on_sys_enter(long nr)
{
	struct amz_task_state *t;

	if (!is_clone_nr(nr) && !is_exec_nr(nr))
		return;
	t = task_of((__u32)bpf_get_current_pid_tgid());
	if (!t)
		return;
	t->syscall_ns = bpf_ktime_get_ns();
	t->syscall_nr = (__u32)nr;
}

static __always_inline void on_sys_exit(long nr, long ret)
{
	struct amz_task_state *t;
	struct amz_stats *st;

	if (!is_clone_nr(nr) && !is_exec_nr(nr))
		return;
	t = task_of((__u32)bpf_get_current_pid_tgid());
	if (!t || !t->syscall_ns)
		return;
	/* A successful exec was timed at sched_process_exec; the child of a fork has no entry
	 * time and returns 0. A parent that starts workers one after another pays the gap
	 * between its clone calls for each, its own work between them included. */
	if (is_clone_nr(nr) && ret > 0) {
		st = my_stats();
		if (st) {
			hist_add_atomic(&st->clone_ns, bpf_ktime_get_ns() - t->syscall_ns);
			if (t->last_clone_ns)
				hist_add_atomic(&st->clone_gap_ns,
						t->syscall_ns - t->last_clone_ns);
		}
		t->last_clone_ns = t->syscall_ns;
	}
	t->syscall_ns = 0;
}

/* Only a followed task's calls are worth reading the call number of; tp_btf reads it
 * directly, raw_tp through a probe read. */
#ifdef AMZ_SYSCALL_NR_FIELD
#define SYSCALL_NR_BTF(regs) ((long)((struct pt_regs___amz *)(regs))->AMZ_SYSCALL_NR_FIELD)
#define SYSCALL_NR_RAW(regs)                                                                       \
	((long)BPF_CORE_READ((struct pt_regs___amz *)(regs), AMZ_SYSCALL_NR_FIELD))
#else
#define SYSCALL_NR_BTF(regs) (-1L)
#define SYSCALL_NR_RAW(regs) (-1L)
#endif

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

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf, struct task_struct *task, int old_pid)
{
	return on_exec(task, (__u32)old_pid);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(exec_raw, struct task_struct *task, int old_pid)
{
	return on_exec(task, (__u32)old_pid);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(wakeup_btf, struct task_struct *task)
{
	on_wakeup(task->pid, false);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(wakeup_raw, struct task_struct *task)
{
	on_wakeup(BPF_CORE_READ(task, pid), false);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(wakeup_new_btf, struct task_struct *task)
{
	on_wakeup(task->pid, true);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(wakeup_new_raw, struct task_struct *task)
{
	on_wakeup(BPF_CORE_READ(task, pid), true);
	return 0;
}

/* sched_switch's prev_state is read from the fourth argument where the kernel has it; where
 * it does not, user space sets state_from_arg false and the verifier drops that branch. */
SEC("tp_btf/sched_switch")
int BPF_PROG(switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	unsigned int state = state_from_arg ? (unsigned int)ctx[3] : task_state_field(prev);

	on_switch(prev->pid, next->pid, prev_runnable(preempt, state), state & TASK_DEAD, prev);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	unsigned int state = state_from_arg ? (unsigned int)ctx[3] : task_state_field(prev);

	on_switch(BPF_CORE_READ(prev, pid), BPF_CORE_READ(next, pid), prev_runnable(preempt, state),
		  state & TASK_DEAD, prev);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	on_sys_enter(id);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	on_sys_enter(id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	if (maybe_followed((__u32)bpf_get_current_pid_tgid()))
		on_sys_exit(SYSCALL_NR_BTF(regs), ret);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	if (maybe_followed((__u32)bpf_get_current_pid_tgid()))
		on_sys_exit(SYSCALL_NR_RAW(regs), ret);
	return 0;
}

/* The task's CPU time up to now, the current run on a CPU included. */
static __always_inline __u64 cpu_so_far(const struct amz_task_state *t, __u64 now)
{
	return t->s.cpu_ns + (t->oncpu_ns ? now - t->oncpu_ns : 0);
}

static __always_inline void on_chunk_begin(__u64 first, __u64 count)
{
	struct amz_task_state *t = task_of((__u32)bpf_get_current_pid_tgid());
	struct amz_stats *st;
	__u64 now;

	if (!t)
		return;
	st = my_stats();
	if (!st)
		return;
	now = bpf_ktime_get_ns();
	if (t->chunk_end_ns)
		hist_add_atomic(&st->chunk_gap_ns, now - t->chunk_end_ns);
	t->chunk_begin_ns = now;
	t->chunk_begin_cpu = cpu_so_far(t, now);
	if (timeline)
		tl_emit(AMZ_TL_CHUNK_BEGIN, now, &t->s, first, count);
}

static __always_inline void on_chunk_end(__u64 first, __u64 count)
{
	struct amz_task_state *t = task_of((__u32)bpf_get_current_pid_tgid());
	struct amz_stats *st;
	__u64 now, cpu;

	if (!t)
		return;
	st = my_stats();
	if (!st)
		return;
	if (!t->chunk_begin_ns) {
		__sync_fetch_and_add(&st->c.chunk_unmatched, 1);
		return;
	}
	now = bpf_ktime_get_ns();
	cpu = cpu_so_far(t, now) - t->chunk_begin_cpu;
	hist_add_atomic(&st->chunk_ns, now - t->chunk_begin_ns);
	hist_add_atomic(&st->chunk_cpu_ns, cpu);
	hist_add_atomic(&st->chunk_items_h, count);
	__sync_fetch_and_add(&st->c.chunks, 1);
	__sync_fetch_and_add(&st->c.chunk_items, count);
	/* A thread's first chunk pays what its later ones find done: page faults, lazy loading,
	 * cold caches. */
	if (!t->s.chunks) {
		__sync_fetch_and_add(&st->c.first_chunks, 1);
		__sync_fetch_and_add(&st->c.first_items, count);
		__sync_fetch_and_add(&st->c.first_cpu_ns, cpu);
	}
	t->s.chunks++;
	t->chunk_begin_ns = 0;
	t->chunk_end_ns = now;
	if (timeline)
		tl_emit(AMZ_TL_CHUNK_END, now, &t->s, first, count);
}

SEC("usdt")
int BPF_USDT(chunk_begin, __u64 first, __u64 count)
{
	on_chunk_begin(first, count);
	return 0;
}

SEC("usdt")
int BPF_USDT(chunk_end, __u64 first, __u64 count)
{
	on_chunk_end(first, count);
	return 0;
}
