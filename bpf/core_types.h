/* The few kernel types the BPF programs read, declared for CO-RE relocation against the
 * running kernel's BTF, so that no multi-megabyte vmlinux.h is needed to build. */
#ifndef AMZ_CORE_TYPES_H
#define AMZ_CORE_TYPES_H

typedef struct {
	int counter;
} atomic_t;

struct signal_struct {
	atomic_t live;
} __attribute__((preserve_access_index));

struct task_struct {
	int pid;
	int tgid;
	unsigned int flags;
	unsigned int __state;
	char comm[16];
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct signal_struct *signal;
} __attribute__((preserve_access_index));

/* Kernels before 5.14 named the task state field "state". */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

/* The register holding the system call number at sys_exit; the "___amz" flavour keeps this
 * declaration apart from any pt_regs a system header might bring, and CO-RE matches it to the
 * kernel's struct pt_regs by name. */
#if defined(__TARGET_ARCH_x86)
struct pt_regs___amz {
	unsigned long orig_ax;
} __attribute__((preserve_access_index));
#define AMZ_SYSCALL_NR_FIELD orig_ax
#elif defined(__TARGET_ARCH_arm64)
struct pt_regs___amz {
	int syscallno;
} __attribute__((preserve_access_index));
#define AMZ_SYSCALL_NR_FIELD syscallno
#endif

#endif
