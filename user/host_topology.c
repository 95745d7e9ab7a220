/* CPU topology from sysfs: the physical core of each CPU (core_cpus_list, else
 * thread_siblings_list, else core_id within physical_package_id), cores counted when any of
 * their threads is allowed, SMT threads per core, and core types on hybrid parts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"
#include "host_internal.h"
#include "sysroot.h"

#define CPU_DIR "/sys/devices/system/cpu"

/* Per CPU: which physical core it is on, as a key equal for siblings. */
struct topology {
	long long *key;	 /* per CPU number; -1 unknown */
	int *package;	 /* per CPU number */
	int *core;	 /* dense core index per CPU number; -1 unknown */
	int *type;	 /* per CPU number; -1 none */
	int size;	 /* entries in each array */
	const char *how; /* the sysfs file the first CPU's core came from */
	int missing;	 /* the first CPU without topology, or -1 */
};

static int read_topology_number(struct host_ctx *d, int cpu, const char *name, long long *out)
{
	char path[128], *text = NULL;
	int r;

	snprintf(path, sizeof(path), CPU_DIR "/cpu%d/topology/%s", cpu, name);
	r = sysroot_read(d->root, path, &text);
	if (r == 0)
		r = host_parse_ll(text, out);
	free(text);
	return r;
}

/* The lowest CPU of a sibling list file, or -1. */
static long long read_sibling_key(struct host_ctx *d, int cpu, const char *name)
{
	char path[128], *text = NULL;
	struct cpulist l;
	long long key = -1;

	snprintf(path, sizeof(path), CPU_DIR "/cpu%d/topology/%s", cpu, name);
	if (sysroot_read(d->root, path, &text) == 0 && cpulist_parse(&l, text) == 0) {
		key = cpulist_next(&l, 0);
		cpulist_free(&l);
	}
	free(text);
	return key;
}

/* core_cpus_list, else thread_siblings_list, else core_id within physical_package_id. */
static long long core_key(struct host_ctx *d, int cpu, const char **how)
{
	long long key, core, pkg;

	key = read_sibling_key(d, cpu, "core_cpus_list");
	if (key >= 0) {
		*how = CPU_DIR "/cpu*/topology/core_cpus_list";
		return key;
	}
	key = read_sibling_key(d, cpu, "thread_siblings_list");
	if (key >= 0) {
		*how = CPU_DIR "/cpu*/topology/thread_siblings_list";
		return key;
	}
	if (read_topology_number(d, cpu, "core_id", &core) == 0 &&
	    read_topology_number(d, cpu, "physical_package_id", &pkg) == 0 && core >= 0 &&
	    pkg >= 0 && core < (1 << 20) && pkg < (1 << 20)) {
		*how = CPU_DIR "/cpu*/topology/core_id and physical_package_id";
		return (1ll << 40) + (pkg << 20) + core;
	}
	return -1;
}

static int topology_alloc(struct topology *t, int size)
{
	int i;

	t->size = size;
	t->key = malloc((size_t)size * sizeof(*t->key));
	t->package = malloc((size_t)size * sizeof(*t->package));
	t->core = malloc((size_t)size * sizeof(*t->core));
	t->type = malloc((size_t)size * sizeof(*t->type));
	t->missing = -1;
	if (!t->key || !t->package || !t->core || !t->type)
		return -1;
	for (i = 0; i < size; i++) {
		t->key[i] = -1;
		t->package[i] = t->core[i] = t->type[i] = -1;
	}
	return 0;
}

static void topology_free(struct topology *t)
{
	free(t->key);
	free(t->package);
	free(t->core);
	free(t->type);
}

/* CPU numbers by their core's key, then by number. */
static int by_key(const void *a, const void *b, void *topology)
{
	const struct topology *t = topology;
	int x = *(const int *)a, y = *(const int *)b;
	long long kx = t->key[x], ky = t->key[y];

	return kx != ky ? (kx > ky) - (kx < ky) : (x > y) - (x < y);
}

/* Numbers the cores densely in CPU order: the lowest CPU of each key opens a core, which the
 * others of that key share. Sorting keeps this n log n for the largest lists a kernel allows. */
static int number_cores(const struct cpulist *cpus, struct topology *t)
{
	int n = cpulist_count(cpus), i = 0, cpu, next = 0;
	int *order = malloc((size_t)(n ? n : 1) * sizeof(*order)), *first;

	first = malloc((size_t)t->size * sizeof(*first));
	if (!order || !first) {
		free(order);
		free(first);
		return -1;
	}
	for (cpu = cpulist_next(cpus, 0); cpu >= 0; cpu = cpulist_next(cpus, cpu + 1))
		order[i++] = cpu;
	qsort_r(order, (size_t)n, sizeof(*order), by_key, t);
	for (i = 0; i < n; i++)
		first[order[i]] = i > 0 && t->key[order[i - 1]] == t->key[order[i]]
					  ? first[order[i - 1]]
					  : order[i];
	for (cpu = cpulist_next(cpus, 0); cpu >= 0; cpu = cpulist_next(cpus, cpu + 1))
		t->core[cpu] = first[cpu] == cpu ? next++ : t->core[first[cpu]];
	free(order);
	free(first);
	return 0;
}

/* Reads each CPU's core. One CPU without topology leaves every core unknown, so reading stops
 * there: a list of a million CPUs without topology files would otherwise take minutes. */
static int read_topology(struct host_ctx *d, const struct cpulist *cpus, struct topology *t)
{
	int cpu;

	for (cpu = cpulist_next(cpus, 0); cpu >= 0; cpu = cpulist_next(cpus, cpu + 1)) {
		const char *how = NULL;
		long long pkg;

		t->key[cpu] = core_key(d, cpu, &how);
		if (t->key[cpu] < 0) {
			t->missing = cpu;
			return 0;
		}
		if (!t->how)
			t->how = how;
		if (read_topology_number(d, cpu, "physical_package_id", &pkg) == 0 && pkg >= 0 &&
		    pkg < (1 << 20))
			t->package[cpu] = (int)pkg;
	}
	return number_cores(cpus, t);
}

/* Cores are numbered densely below t->size, so a count per core in one pass answers both
 * how many distinct cores a set touches and the most threads one of them has. */
static int *threads_per_core(const struct topology *t, const struct cpulist *cpus, int type)
{
	int *threads = calloc((size_t)t->size + 1, sizeof(*threads));
	int cpu;

	if (!threads)
		return NULL;
	for (cpu = cpulist_next(cpus, 0); cpu >= 0; cpu = cpulist_next(cpus, cpu + 1)) {
		if (cpu >= t->size || t->core[cpu] < 0 || (type >= 0 && t->type[cpu] != type))
			continue;
		threads[t->core[cpu]]++;
	}
	return threads;
}

/* Distinct cores among the CPUs of the set (of one type when type >= 0). */
static int count_cores(const struct topology *t, const struct cpulist *cpus, int type)
{
	int *threads = threads_per_core(t, cpus, type), core, n = 0;

	for (core = 0; threads && core < t->size; core++)
		n += threads[core] > 0;
	free(threads);
	return n;
}

static int most_threads(const struct topology *t, const struct cpulist *cpus)
{
	int *threads = threads_per_core(t, cpus, -1), core, most = 0;

	for (core = 0; threads && core < t->size; core++)
		if (threads[core] > most)
			most = threads[core];
	free(threads);
	return most;
}

static int add_type(struct host_ctx *d, const char *name)
{
	struct host_core_type *v;

	v = realloc(d->h->types, (size_t)(d->h->n_types + 1) * sizeof(*v));
	if (!v) {
		d->oom = true;
		return -1;
	}
	d->h->types = v;
	v[d->h->n_types].name = host_strdup(d, name);
	v[d->h->n_types].cpus = v[d->h->n_types].cores = 0;
	return d->h->n_types++;
}

/* Intel's hybrid parts list their kinds of core as PMUs in sysfs. */
static bool intel_core_types(struct host_ctx *d, struct topology *t)
{
	static const char *const names[] = {"cpu_core", "cpu_atom"};
	struct cpulist lists[2];
	bool ok = true;
	size_t i;
	int cpu;

	for (i = 0; i < 2; i++) {
		char path[64], *text = NULL;

		snprintf(path, sizeof(path), "/sys/devices/%s/cpus", names[i]);
		lists[i].bits = NULL;
		lists[i].words = 0;
		ok = ok && sysroot_read(d->root, path, &text) == 0 &&
		     cpulist_parse(&lists[i], text) == 0;
		free(text);
	}
	if (ok) {
		for (i = 0; i < 2; i++) {
			int type = add_type(d, names[i]);

			for (cpu = 0; type >= 0 && cpu < t->size; cpu++) {
				if (cpulist_has(&lists[i], cpu))
					t->type[cpu] = type;
			}
		}
	}
	cpulist_free(&lists[0]);
	cpulist_free(&lists[1]);
	return ok;
}

/* Arm's big.LITTLE parts give each CPU a capacity; several values mean several kinds. */
static void capacity_core_types(struct host_ctx *d, const struct cpulist *online,
				struct topology *t)
{
	long long *cap = calloc((size_t)t->size, sizeof(*cap)), best;
	int cpu, distinct = 0;

	if (!cap) {
		d->oom = true;
		return;
	}
	for (cpu = cpulist_next(online, 0); cpu >= 0; cpu = cpulist_next(online, cpu + 1)) {
		char path[96], *text = NULL;

		snprintf(path, sizeof(path), CPU_DIR "/cpu%d/cpu_capacity", cpu);
		if (sysroot_read(d->root, path, &text) < 0 || host_parse_ll(text, &cap[cpu]) < 0 ||
		    cap[cpu] <= 0) {
			free(text);
			free(cap);
			return;
		}
		free(text);
	}
	/* Types in decreasing capacity, the biggest cores first. */
	for (;;) {
		char name[48];
		int type;

		best = 0;
		for (cpu = 0; cpu < t->size; cpu++) {
			if (cap[cpu] > best && t->type[cpu] < 0 && cpulist_has(online, cpu))
				best = cap[cpu];
		}
		if (!best)
			break;
		distinct++;
		snprintf(name, sizeof(name), "capacity %lld", best);
		type = add_type(d, name);
		for (cpu = 0; type >= 0 && cpu < t->size; cpu++) {
			if (cap[cpu] == best && cpulist_has(online, cpu))
				t->type[cpu] = type;
		}
	}
	free(cap);
	if (distinct < 2) {
		for (cpu = 0; cpu < t->size; cpu++)
			t->type[cpu] = -1;
		while (d->h->n_types > 0)
			free(d->h->types[--d->h->n_types].name);
	}
}

static void count_types(struct host_ctx *d, const struct cpulist *allowed, struct topology *t)
{
	int i, cpu;

	for (i = 0; i < d->h->n_types; i++) {
		struct host_core_type *ty = &d->h->types[i];

		ty->cpus = 0;
		for (cpu = cpulist_next(allowed, 0); cpu >= 0; cpu = cpulist_next(allowed, cpu + 1))
			ty->cpus += cpu < t->size && t->type[cpu] == i;
		ty->cores = count_cores(t, allowed, i);
		amz_log(AMZ_LOG_INFO, "host: %d allowed CPU(s) on %d core(s) of type %s", ty->cpus,
			ty->cores, ty->name);
	}
}

static void list_allowed_cpus(struct host_ctx *d, const struct cpulist *allowed,
			      const struct topology *t)
{
	int cpu, n = 0;

	d->h->cpus = calloc((size_t)cpulist_count(allowed) + 1, sizeof(*d->h->cpus));
	if (!d->h->cpus) {
		d->oom = true;
		return;
	}
	for (cpu = cpulist_next(allowed, 0); cpu >= 0; cpu = cpulist_next(allowed, cpu + 1)) {
		struct host_cpu *c = &d->h->cpus[n++];

		c->cpu = cpu;
		c->core = cpu < t->size ? t->core[cpu] : -1;
		c->package = cpu < t->size ? t->package[cpu] : -1;
		c->type = cpu < t->size ? t->type[cpu] : -1;
	}
	d->h->n_cpus = n;
}

void host_detect_topology(struct host_ctx *d, struct cpu_sets *s)
{
	const struct cpulist *all = s->has_online ? &s->online : &s->allowed;
	struct topology t = {0};

	if (!s->has_allowed) {
		host_val_why(d, &d->h->physical_cores, HOST_UNKNOWN, NULL, -1,
			     "the allowed CPUs are unknown");
		host_val_why(d, &d->h->online_cores, HOST_UNKNOWN, NULL, -1,
			     "the allowed CPUs are unknown");
		host_val_why(d, &d->h->smt, HOST_UNKNOWN, NULL, -1, "the allowed CPUs are unknown");
		return;
	}
	if (topology_alloc(&t, cpulist_next(all, 0) < 0 ? 1 : (int)(all->words * 64)) < 0) {
		d->oom = true;
		topology_free(&t);
		return;
	}
	if (read_topology(d, all, &t) < 0) {
		d->oom = true;
		topology_free(&t);
		return;
	}

	if (t.missing >= 0) {
		const char *why = "cpu%d has no topology in sysfs (core_cpus_list, "
				  "thread_siblings_list or core_id)";

		host_val_why(d, &d->h->physical_cores, HOST_UNKNOWN, NULL, -1, why, t.missing);
		host_val_why(d, &d->h->online_cores, HOST_UNKNOWN, NULL, -1, why, t.missing);
		host_val_why(d, &d->h->smt, HOST_UNKNOWN, NULL, -1, why, t.missing);
		for (int cpu = 0; cpu < t.size; cpu++)
			t.core[cpu] = -1;
	} else {
		host_val_set(d, &d->h->physical_cores, count_cores(&t, &s->allowed, -1), t.how, -1);
		host_val_set(d, &d->h->online_cores, count_cores(&t, all, -1), t.how, -1);
		host_val_set(d, &d->h->smt, most_threads(&t, all), t.how, -1);
		amz_log(AMZ_LOG_INFO,
			"host: %lld physical core(s) allowed of %lld, %lld thread(s) "
			"per core",
			d->h->physical_cores.n, d->h->online_cores.n, d->h->smt.n);
	}

	if (!intel_core_types(d, &t))
		capacity_core_types(d, all, &t);
	if (t.missing < 0)
		count_types(d, &s->allowed, &t);
	list_allowed_cpus(d, &s->allowed, &t);
	topology_free(&t);
}
