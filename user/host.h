/* What this process may really use on this host: CPUs (online, affinity, cpuset, quota, physical
 * cores, SMT, core types) and memory (MemAvailable, every cgroup limit up the tree, rlimits), each
 * value with where it came from, and every value read but not used with the reason. */
#ifndef AMZ_HOST_H
#define AMZ_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "cgroup.h"
#include "util.h"

/* The version of the document host_to_json writes; host_from_json reads only this one. */
#define HOST_SCHEMA 1

enum host_state {
	HOST_UNKNOWN = 0, /* could not be determined; why says so */
	HOST_NO_LIMIT,	  /* read, and no limit applies; why says how that was judged */
	HOST_SET,	  /* the figure is in n, or in x for a fraction of CPUs */
};

/* A value and its provenance. source is a file as on the analysed host (the sysroot is not part
 * of it), or "sched_getaffinity", "getrlimit", "AMZ_CPUS", "AMZ_MEMORY", or a few words saying
 * how it was combined from other values. level is the cgroup level the file belongs to: 0 the
 * process's own cgroup, 1 its parent, and so on; -1 when the source is not a cgroup file. */
struct host_value {
	enum host_state state;
	long long n;
	double x;
	char *source;
	int level;
	char *why;
};

/* An allowed CPU and where it sits. */
struct host_cpu {
	int cpu;     /* its number */
	int core;    /* its physical core: a dense index over the online cores; -1 unknown */
	int package; /* physical_package_id; -1 unknown */
	int type;    /* index in amz_host.types; -1 when the CPUs are all of one type */
};

/* A kind of core on a CPU that has several (Intel's hybrid parts, Arm's big.LITTLE). */
struct host_core_type {
	char *name; /* as sysfs names it: "cpu_core", "cpu_atom", "capacity 1024" */
	int cpus;   /* allowed CPUs of this type */
	int cores;  /* physical cores of this type with at least one allowed CPU */
};

struct amz_host {
	char *sysroot; /* "" for the live system */
	char *kernel;  /* kernel release */
	char *cpu_model;

	/* CPUs. allowed = online ∩ affinity ∩ cpuset, each where known. */
	struct host_value online;
	struct host_value affinity;
	struct host_value cpuset;
	struct host_value allowed;
	struct host_value physical_cores; /* physical cores with at least one allowed CPU */
	struct host_value online_cores;	  /* physical cores with at least one online CPU */
	struct host_value smt;		  /* the most hardware threads on one online core */
	struct host_value quota;	  /* x: CFS quota in CPUs, the lowest over every level */
	struct host_value usable;	  /* x: lower of allowed and quota; AMZ_CPUS wins */
	struct host_value periods;	  /* cpu.stat: enforcement periods elapsed */
	struct host_value throttled;	  /* cpu.stat: periods in which the cgroup was throttled */
	struct host_value throttled_us;	  /* cpu.stat: time spent throttled */
	char *online_list;		  /* kernel list format, "" when unknown */
	char *allowed_list;
	struct host_cpu *cpus; /* the allowed CPUs, in increasing order */
	int n_cpus;
	struct host_core_type *types; /* empty unless sysfs shows more than one core type */
	int n_types;

	/* Memory, in bytes. Limits are the lowest over the process's cgroup and every ancestor. */
	struct host_value mem_total;
	struct host_value mem_available;
	struct host_value mem_limit;   /* v2 memory.max; v1 memory.limit_in_bytes and
					* hierarchical_memory_limit */
	struct host_value mem_high;    /* v2 memory.high: reclaim and throttling above it */
	struct host_value swap_max;    /* v2 memory.swap.max */
	struct host_value memsw_limit; /* v1 memory+swap: memsw.limit_in_bytes, hierarchical */
	struct host_value mem_used;    /* the process's cgroup: usage minus inactive_file */
	struct host_value mem_left;    /* what new workers may still use; AMZ_MEMORY wins */
	struct host_value rlimit_as;   /* per process, so a bound on each worker, not on all */
	struct host_value rlimit_data;

	/* Overrides from the environment, as read. */
	struct host_value env_cpus;
	struct host_value env_memory;

	struct cgroup_set cgroup;    /* where each controller's files are */
	struct cgroup_notes ignored; /* values read and not used, with the reason */
};

struct host_opts {
	const char *sysroot; /* "" or NULL: the live system */
	bool no_env;	     /* ignore AMZ_CPUS/AMZ_MEMORY */
};

enum host_rounding {
	HOST_ROUND_CEIL,
	HOST_ROUND_FLOOR,
};

/* Detects everything. Unreadable, missing or garbage files leave values unknown with the reason;
 * it fails only when the sysroot is not a directory or memory runs out. */
int host_detect(struct amz_host *h, const struct host_opts *o, struct amz_err *err);
void host_free(struct amz_host *h);

/* CPUs usable as a fraction: the lower of the allowed CPU count and the quota; AMZ_CPUS wins.
 * 1 when nothing could be read, which h->usable then says. */
double host_usable_cpus(const struct amz_host *h);

/* host_usable_cpus rounded by the policy; at least 1. */
int host_usable_cpus_rounded(const struct amz_host *h, enum host_rounding r);

/* Bytes new workers may still use under every limit: the lowest of MemAvailable and each limit
 * minus its cgroup's usage without inactive_file; AMZ_MEMORY wins. -1 when unknown. */
long long host_memory_left(const struct amz_host *h);

/* The allowed CPU with that number, or NULL. */
const struct host_cpu *host_cpu_find(const struct amz_host *h, int cpu);

/* Two allowed CPUs on one physical core (SMT siblings). 0, or -1 when there are none. */
int host_smt_pair(const struct amz_host *h, int out[2]);

/* Two allowed CPUs on separate physical cores. 0, or -1 when there are none. */
int host_core_pair(const struct amz_host *h, int out[2]);

/* The `amzprof host --json` document; also stored inside saved host profiles. */
json_object *host_to_json(const struct amz_host *h);

/* Loads what host_to_json wrote, exactly. Fails with a sentence on another schema or a missing
 * or mistyped field. */
int host_from_json(struct amz_host *h, json_object *o, struct amz_err *err);

/* A stable string of what makes recommendations for this host valid: kernel release, CPU model,
 * online and physical topology, allowed CPUs, quota, physical memory and the memory limit.
 * Usage, MemAvailable and the environment overrides are left out: they change from run to run. */
void host_fingerprint(const struct amz_host *h, char *buf, size_t len);

/* The readable report: every value with its source, then what was ignored and why. */
void host_print(FILE *f, const struct amz_host *h);

const char *host_state_name(enum host_state s);

#endif
