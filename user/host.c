/* Host detection: the CPUs this process may use (online, affinity, cpuset, topology, core types,
 * CFS quota, throttling), the environment overrides, and the usable CPU count. Memory is in
 * host_memory.c, the JSON form in host_json.c, the readable report in host_report.c. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"
#include "host_internal.h"
#include "sysroot.h"

#define ONLINE_PATH "/sys/devices/system/cpu/online"
#define STATUS_PATH "/proc/self/status"
#define CPU_DIR	    "/sys/devices/system/cpu"

/* The CPU sets detection combines; freed when detection ends. */
struct cpu_sets {
	struct cpulist online, affinity, cpuset, allowed;
	bool has_online, has_affinity, has_cpuset, has_allowed;
};

static char *dup_or_mark(struct host_ctx *d, const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	if (!p)
		d->oom = true;
	return p;
}

void host_val_clear(struct host_value *v)
{
	free(v->source);
	free(v->why);
	memset(v, 0, sizeof(*v));
	v->level = -1;
}

void host_val_set(struct host_ctx *d, struct host_value *v, long long n, const char *source,
		  int level)
{
	host_val_clear(v);
	v->state = HOST_SET;
	v->n = n;
	v->x = (double)n;
	v->source = dup_or_mark(d, source);
	v->level = level;
}

void host_val_setx(struct host_ctx *d, struct host_value *v, double x, const char *source,
		   int level)
{
	host_val_clear(v);
	v->state = HOST_SET;
	v->x = x;
	v->source = dup_or_mark(d, source);
	v->level = level;
}

void host_val_why(struct host_ctx *d, struct host_value *v, enum host_state state,
		  const char *source, int level, const char *fmt, ...)
{
	va_list ap;

	host_val_clear(v);
	v->state = state;
	v->source = dup_or_mark(d, source);
	v->level = level;
	va_start(ap, fmt);
	if (vasprintf(&v->why, fmt, ap) < 0) {
		v->why = NULL;
		d->oom = true;
	}
	va_end(ap);
}

int host_val_copy(struct host_value *dst, const struct host_value *src)
{
	host_val_clear(dst);
	*dst = *src;
	dst->source = src->source ? strdup(src->source) : NULL;
	dst->why = src->why ? strdup(src->why) : NULL;
	if ((src->source && !dst->source) || (src->why && !dst->why))
		return -1;
	return 0;
}

void host_note(struct host_ctx *d, const char *what, const char *source, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0 || cgroup_note_add(&d->h->ignored, what, source, "%s", msg) < 0)
		d->oom = true;
	if (r >= 0)
		free(msg);
}

int host_parse_ll(const char *text, long long *out)
{
	char *end;
	long long v;

	while (isspace((unsigned char)*text))
		text++;
	if (!*text)
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

const char *host_quote(const char *text, char *buf, size_t len)
{
	size_t n = strcspn(text, "\n"), max = len > 4 ? len - 4 : 0;

	if (n > max)
		snprintf(buf, len, "%.*s...", (int)max, text);
	else
		snprintf(buf, len, "%.*s", (int)n, text);
	return buf;
}

char *host_join(struct host_ctx *d, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *p = NULL;

	if (asprintf(&p, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name) < 0) {
		d->oom = true;
		return NULL;
	}
	return p;
}

int host_stat_value(const char *text, const char *key, long long *out)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, n) == 0 && p[n] == ' ') {
			char num[32];
			size_t len = strcspn(p + n + 1, "\n");

			if (len >= sizeof(num))
				return -1;
			memcpy(num, p + n + 1, len);
			num[len] = '\0';
			return host_parse_ll(num, out);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

void host_lowest_offer(struct host_ctx *d, struct host_lowest *l, double x, long long n,
		       const char *source, int level)
{
	if (l->have && x >= l->x)
		return;
	free(l->source);
	l->have = true;
	l->x = x;
	l->n = n;
	l->source = dup_or_mark(d, source);
	l->level = level;
}

void host_lowest_bad(struct host_ctx *d, struct host_lowest *l, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		d->oom = true;
		return;
	}
	if (l->bad)
		free(msg);
	else
		l->bad = msg;
}

void host_lowest_finish(struct host_ctx *d, struct host_lowest *l, struct host_value *v,
			const char *none_why)
{
	if (l->have) {
		host_val_setx(d, v, l->x, l->source, l->level);
		v->n = l->n;
	} else if (l->bad) {
		host_val_why(d, v, HOST_UNKNOWN, NULL, -1, "%s", l->bad);
	} else {
		host_val_why(d, v, HOST_NO_LIMIT, NULL, -1, "%s", none_why);
	}
	if (l->have && l->bad)
		host_note(d, "a limit on the way up", NULL,
			  "%s; the lowest of the other levels is used", l->bad);
	free(l->source);
	free(l->bad);
	memset(l, 0, sizeof(*l));
}

static void detect_identity(struct host_ctx *d)
{
	static const char *const model_keys[] = {"model name", "Hardware", "cpu model",
						 "cpu",	       "uarch",	   "CPU part"};
	char *text = NULL;
	size_t k;

	if (sysroot_read(d->root, "/proc/sys/kernel/osrelease", &text) == 0) {
		d->h->kernel = dup_or_mark(d, sysroot_trim(text));
		free(text);
	} else {
		d->h->kernel = dup_or_mark(d, "");
	}

	d->h->cpu_model = NULL;
	if (sysroot_read(d->root, "/proc/cpuinfo", &text) == 0) {
		for (k = 0; k < ARRAY_SIZE(model_keys) && !d->h->cpu_model; k++) {
			const char *p = text;
			size_t n = strlen(model_keys[k]);

			for (; p && *p && !d->h->cpu_model;
			     p = strchr(p, '\n'), p = p ? p + 1 : p) {
				const char *q = p + n;

				if (strncmp(p, model_keys[k], n) != 0)
					continue;
				while (*q == ' ' || *q == '\t')
					q++;
				if (*q != ':')
					continue;
				q++;
				while (*q == ' ' || *q == '\t')
					q++;
				d->h->cpu_model = strndup(q, strcspn(q, "\n"));
				if (!d->h->cpu_model)
					d->oom = true;
			}
		}
		free(text);
	}
	if (!d->h->cpu_model)
		d->h->cpu_model = dup_or_mark(d, "");
	amz_log(AMZ_LOG_INFO, "host: kernel %s, CPU \"%s\"", d->h->kernel, d->h->cpu_model);
}

/* Reads a kernel CPU list; 0, or -1 with v unknown. An empty set counts as unreadable: no
 * running process can be confined to no CPU. */
static int read_cpu_list(struct host_ctx *d, const char *dir, const char *name, struct cpulist *out,
			 struct host_value *v, int level)
{
	char *path = dir ? host_join(d, dir, name) : strdup(name), *text = NULL, q[64];
	int r;

	if (!path) {
		d->oom = true;
		return -1;
	}
	r = sysroot_read(d->root, path, &text);
	if (r < 0) {
		host_val_why(d, v, HOST_UNKNOWN, path, level, "cannot read %s: %s", path,
			     amz_reason(-r));
	} else if (cpulist_parse(out, text) < 0) {
		host_val_why(d, v, HOST_UNKNOWN, path, level, "%s holds \"%s\", not a CPU list",
			     path, host_quote(text, q, sizeof(q)));
		r = -1;
	} else if (cpulist_count(out) == 0) {
		host_val_why(d, v, HOST_UNKNOWN, path, level, "%s lists no CPU", path);
		cpulist_free(out);
		r = -1;
	} else {
		host_val_set(d, v, cpulist_count(out), path, level);
	}
	free(text);
	free(path);
	return r < 0 ? -1 : 0;
}

/* The live affinity mask, in a set sized up until the kernel takes it (more than 1024 CPUs). */
static int live_affinity(struct cpulist *out)
{
	size_t n, i;

	for (n = 1024; n <= CPULIST_MAX_CPU; n *= 2) {
		cpu_set_t *set = CPU_ALLOC(n);
		size_t size = CPU_ALLOC_SIZE(n);
		int e;

		if (!set)
			return -ENOMEM;
		if (sched_getaffinity(0, size, set) == 0) {
			for (i = 0; i < size * 8; i++) {
				if (CPU_ISSET_S(i, size, set) && cpulist_set(out, (int)i) < 0) {
					CPU_FREE(set);
					return -ENOMEM;
				}
			}
			CPU_FREE(set);
			return 0;
		}
		e = errno;
		CPU_FREE(set);
		if (e != EINVAL)
			return -e;
	}
	return -EINVAL;
}

/* Under a sysroot the affinity is the captured process's Cpus_allowed_list. */
static int status_affinity(struct host_ctx *d, struct cpulist *out, struct host_value *v)
{
	static const char key[] = "Cpus_allowed_list:";
	char *text = NULL, *line, q[64];
	int r = sysroot_read(d->root, STATUS_PATH, &text);

	if (r < 0) {
		host_val_why(d, v, HOST_UNKNOWN, STATUS_PATH, -1, "cannot read %s: %s", STATUS_PATH,
			     amz_reason(-r));
		return -1;
	}
	for (line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : line) {
		if (strncmp(line, key, sizeof(key) - 1) == 0)
			break;
	}
	if (!line) {
		host_val_why(d, v, HOST_UNKNOWN, STATUS_PATH, -1, "%s has no %s line", STATUS_PATH,
			     key);
		r = -1;
	} else {
		char *end = strchr(line, '\n');

		if (end)
			*end = '\0';
		r = cpulist_parse(out, line + sizeof(key) - 1);
		if (r < 0 || cpulist_count(out) == 0) {
			host_val_why(d, v, HOST_UNKNOWN, STATUS_PATH, -1,
				     "%s in %s holds \"%s\", not a CPU list", key, STATUS_PATH,
				     host_quote(line + sizeof(key) - 1 +
							strspn(line + sizeof(key) - 1, " \t"),
						q, sizeof(q)));
			cpulist_free(out);
			r = -1;
		} else {
			host_val_set(d, v, cpulist_count(out), STATUS_PATH " (Cpus_allowed_list)",
				     -1);
		}
	}
	free(text);
	return r;
}

static int detect_affinity(struct host_ctx *d, struct cpulist *out)
{
	int r;

	if (d->root[0])
		return status_affinity(d, out, &d->h->affinity);

	r = live_affinity(out);
	if (r < 0) {
		cpulist_free(out);
		host_val_why(d, &d->h->affinity, HOST_UNKNOWN, "sched_getaffinity", -1,
			     "sched_getaffinity failed: %s", amz_reason(-r));
		return -1;
	}
	host_val_set(d, &d->h->affinity, cpulist_count(out), "sched_getaffinity", -1);
	return 0;
}

/* v2: cpuset.cpus.effective of the nearest level that has the controller enabled; v1: the
 * cgroup's own cpuset.effective_cpus, or cpuset.cpus on kernels without it. */
static int detect_cpuset(struct host_ctx *d, struct cpulist *out)
{
	const struct cgroup_place *p = &d->h->cgroup.place[CGROUP_CPUSET];
	struct host_value *v = &d->h->cpuset;
	char *dir;
	int up;

	if (p->version == CGROUP_NONE) {
		host_val_why(d, v, HOST_UNKNOWN, NULL, -1, "no cpuset controller: %s", p->why);
		return -1;
	}
	if (p->version == CGROUP_V1) {
		char *probe = NULL;
		int r = cgroup_read(&d->h->cgroup, p->dir, "cpuset.effective_cpus", &probe);

		free(probe);
		return read_cpu_list(d, p->dir,
				     r == -ENOENT ? "cpuset.cpus" : "cpuset.effective_cpus", out, v,
				     0);
	}
	for (up = 0; (dir = cgroup_level_dir(p, up)) != NULL; up++) {
		char *probe = NULL;
		int r = cgroup_read(&d->h->cgroup, dir, "cpuset.cpus.effective", &probe);

		free(probe);
		if (r != -ENOENT) {
			r = read_cpu_list(d, dir, "cpuset.cpus.effective", out, v, up);
			free(dir);
			return r;
		}
		free(dir);
	}
	host_val_why(d, v, HOST_UNKNOWN, NULL, -1,
		     "no cpuset.cpus.effective in %s or any level above it", p->dir);
	return -1;
}

static void detect_allowed(struct host_ctx *d, struct cpu_sets *s)
{
	const struct cpulist *parts[] = {&s->online, &s->affinity, &s->cpuset};
	const bool has[] = {s->has_online, s->has_affinity, s->has_cpuset};
	const char *names[] = {"online", "affinity", "cpuset"};
	char source[128] = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		if (!has[i])
			continue;
		if (!s->has_allowed) {
			if (cpulist_copy(&s->allowed, parts[i]) < 0) {
				d->oom = true;
				return;
			}
			s->has_allowed = true;
		} else {
			cpulist_and(&s->allowed, parts[i]);
		}
		snprintf(source + strlen(source), sizeof(source) - strlen(source), "%s%s",
			 source[0] ? " & " : "", names[i]);
	}

	if (!s->has_allowed) {
		host_val_why(d, &d->h->allowed, HOST_UNKNOWN, NULL, -1,
			     "neither the online CPUs, the affinity nor the cpuset could be read");
		d->h->allowed_list = dup_or_mark(d, "");
		return;
	}
	if (cpulist_count(&s->allowed) == 0) {
		host_val_why(d, &d->h->allowed, HOST_UNKNOWN, source, -1,
			     "the %s have no CPU in common", source);
		s->has_allowed = false;
		d->h->allowed_list = dup_or_mark(d, "");
		return;
	}
	host_val_set(d, &d->h->allowed, cpulist_count(&s->allowed), source, -1);
	d->h->allowed_list = cpulist_format(&s->allowed);
	if (!d->h->allowed_list)
		d->oom = true;
	amz_log(AMZ_LOG_INFO, "host: allowed CPUs %s (%s)", d->h->allowed_list, source);
}

static void detect_cpus(struct host_ctx *d, struct cpu_sets *s)
{
	s->has_online = read_cpu_list(d, NULL, ONLINE_PATH, &s->online, &d->h->online, -1) == 0;
	d->h->online_list = s->has_online ? cpulist_format(&s->online) : strdup("");
	if (!d->h->online_list)
		d->oom = true;
	s->has_affinity = detect_affinity(d, &s->affinity) == 0;
	s->has_cpuset = detect_cpuset(d, &s->cpuset) == 0;
	detect_allowed(d, s);
}

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

/* Reads each CPU's core and numbers the cores densely in CPU order. */
static void read_topology(struct host_ctx *d, const struct cpulist *cpus, struct topology *t)
{
	int cpu, next = 0;

	for (cpu = cpulist_next(cpus, 0); cpu >= 0; cpu = cpulist_next(cpus, cpu + 1)) {
		const char *how = NULL;
		long long pkg;
		int other;

		t->key[cpu] = core_key(d, cpu, &how);
		if (t->key[cpu] < 0) {
			if (t->missing < 0)
				t->missing = cpu;
			continue;
		}
		if (!t->how)
			t->how = how;
		if (read_topology_number(d, cpu, "physical_package_id", &pkg) == 0 && pkg >= 0 &&
		    pkg < (1 << 20))
			t->package[cpu] = (int)pkg;
		for (other = 0; other < cpu; other++) {
			if (t->key[other] == t->key[cpu] && t->core[other] >= 0) {
				t->core[cpu] = t->core[other];
				break;
			}
		}
		if (t->core[cpu] < 0)
			t->core[cpu] = next++;
	}
}

/* Distinct cores among the CPUs of the set (of one type when type >= 0). */
static int count_cores(const struct topology *t, const struct cpulist *cpus, int type)
{
	int cpu, n = 0, other;

	for (cpu = cpulist_next(cpus, 0); cpu >= 0; cpu = cpulist_next(cpus, cpu + 1)) {
		bool seen = false;

		if (cpu >= t->size || t->core[cpu] < 0 || (type >= 0 && t->type[cpu] != type))
			continue;
		for (other = cpulist_next(cpus, 0); other >= 0 && other < cpu;
		     other = cpulist_next(cpus, other + 1)) {
			if (t->core[other] == t->core[cpu]) {
				seen = true;
				break;
			}
		}
		n += !seen;
	}
	return n;
}

static int most_threads(const struct topology *t, const struct cpulist *cpus)
{
	int cpu, other, most = 0;

	for (cpu = cpulist_next(cpus, 0); cpu >= 0; cpu = cpulist_next(cpus, cpu + 1)) {
		int n = 0;

		for (other = cpulist_next(cpus, 0); other >= 0;
		     other = cpulist_next(cpus, other + 1))
			n += t->core[other] == t->core[cpu];
		if (n > most)
			most = n;
	}
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
	v[d->h->n_types].name = dup_or_mark(d, name);
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

static void detect_topology(struct host_ctx *d, struct cpu_sets *s)
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
	read_topology(d, all, &t);

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

/* Reads one cgroup file at a level: 0 with text, 1 when it does not exist there, -1 when it
 * cannot be read (the reason goes to l). */
static int read_level_file(struct host_ctx *d, struct host_lowest *l, const char *dir,
			   const char *name, char **text)
{
	char *path = host_join(d, dir, name);
	int r = path ? cgroup_read(&d->h->cgroup, dir, name, text) : -ENOMEM;

	if (r == -ENOENT)
		r = 1;
	else if (r < 0)
		host_lowest_bad(d, l, "cannot read %s: %s", path ? path : name, amz_reason(-r));
	free(path);
	return r < 0 ? -1 : r;
}

/* cpu.max: "max PERIOD" or "QUOTA PERIOD", in microseconds. */
static void offer_v2_quota(struct host_ctx *d, struct host_lowest *l, const char *dir, int up)
{
	char *text = NULL, *path, quota[32], q[64];
	long long n, period;
	int fields;

	if (read_level_file(d, l, dir, "cpu.max", &text) != 0)
		return;
	path = host_join(d, dir, "cpu.max");
	fields = sscanf(text, "%31s %lld", quota, &period);
	if (fields == 2 && strcmp(quota, "max") == 0 && period > 0) {
		l->none_seen = true;
	} else if (fields == 2 && host_parse_ll(quota, &n) == 0 && n > 0 && period > 0) {
		host_lowest_offer(d, l, (double)n / (double)period, n, path, up);
	} else {
		host_lowest_bad(d, l, "%s holds \"%s\", not \"QUOTA PERIOD\" or \"max PERIOD\"",
				path ? path : "cpu.max", host_quote(text, q, sizeof(q)));
	}
	free(path);
	free(text);
}

/* cpu.cfs_quota_us (-1: none) over cpu.cfs_period_us. */
static void offer_v1_quota(struct host_ctx *d, struct host_lowest *l, const char *dir, int up)
{
	char *qtext = NULL, *ptext = NULL, *path = host_join(d, dir, "cpu.cfs_quota_us"), q[64];
	long long quota, period;

	if (read_level_file(d, l, dir, "cpu.cfs_quota_us", &qtext) != 0 ||
	    read_level_file(d, l, dir, "cpu.cfs_period_us", &ptext) != 0)
		goto out;
	if (host_parse_ll(qtext, &quota) < 0 || host_parse_ll(ptext, &period) < 0 || period <= 0 ||
	    (quota <= 0 && quota != -1)) {
		host_lowest_bad(d, l,
				"%s and cpu.cfs_period_us hold \"%s\" and \"%s\", not a quota",
				path ? path : "cpu.cfs_quota_us", host_quote(qtext, q, 32),
				host_quote(ptext, q + 32, 32));
	} else if (quota == -1) {
		l->none_seen = true;
	} else {
		host_lowest_offer(d, l, (double)quota / (double)period, quota, path, up);
	}
out:
	free(path);
	free(qtext);
	free(ptext);
}

/* The lowest quota over the process's cgroup and every ancestor up to the mount point. */
static void detect_quota(struct host_ctx *d)
{
	const struct cgroup_place *p = &d->h->cgroup.place[CGROUP_CPU];
	struct host_lowest l = {0};
	char *dir, none[512];
	int up;

	if (p->version == CGROUP_NONE) {
		host_val_why(d, &d->h->quota, HOST_UNKNOWN, NULL, -1, "no cpu controller: %s",
			     p->why);
		return;
	}
	for (up = 0; (dir = cgroup_level_dir(p, up)) != NULL; up++) {
		if (p->version == CGROUP_V2)
			offer_v2_quota(d, &l, dir, up);
		else
			offer_v1_quota(d, &l, dir, up);
		free(dir);
	}
	snprintf(none, sizeof(none), "%s in %s and every level above it up to %s",
		 l.none_seen ? "no quota set" : "no quota file", p->dir, p->mount);
	host_lowest_finish(d, &l, &d->h->quota, none);
	if (d->h->quota.state == HOST_SET)
		amz_log(AMZ_LOG_INFO, "host: CPU quota %.3g CPUs from %s (cgroup level %d)",
			d->h->quota.x, d->h->quota.source, d->h->quota.level);
}

/* Throttling counts of the level whose quota binds, or of the process's own cgroup. */
static void detect_throttling(struct host_ctx *d)
{
	const struct cgroup_place *p = &d->h->cgroup.place[CGROUP_CPU];
	int up = d->h->quota.state == HOST_SET ? d->h->quota.level : 0;
	char *dir = cgroup_level_dir(p, up), *path = NULL, *text = NULL;
	long long periods, throttled, t;
	int r;

	if (!dir) {
		host_val_why(d, &d->h->periods, HOST_UNKNOWN, NULL, -1, "no cpu controller");
		host_val_why(d, &d->h->throttled, HOST_UNKNOWN, NULL, -1, "no cpu controller");
		host_val_why(d, &d->h->throttled_us, HOST_UNKNOWN, NULL, -1, "no cpu controller");
		return;
	}
	path = host_join(d, dir, "cpu.stat");
	r = cgroup_read(&d->h->cgroup, dir, "cpu.stat", &text);
	if (r == 0 && host_stat_value(text, "nr_periods", &periods) == 0 &&
	    host_stat_value(text, "nr_throttled", &throttled) == 0) {
		host_val_set(d, &d->h->periods, periods, path, up);
		host_val_set(d, &d->h->throttled, throttled, path, up);
		if (host_stat_value(text, "throttled_usec", &t) == 0)
			host_val_set(d, &d->h->throttled_us, t, path, up);
		else if (host_stat_value(text, "throttled_time", &t) == 0)
			host_val_set(d, &d->h->throttled_us, t / 1000, path, up);
		else
			host_val_why(d, &d->h->throttled_us, HOST_UNKNOWN, path, up,
				     "%s has neither throttled_usec nor throttled_time", path);
	} else {
		const char *why = r < 0 ? amz_reason(-r) : "it has no nr_periods and nr_throttled";

		host_val_why(d, &d->h->periods, HOST_UNKNOWN, path, up, "%s: %s", path, why);
		host_val_why(d, &d->h->throttled, HOST_UNKNOWN, path, up, "%s: %s", path, why);
		host_val_why(d, &d->h->throttled_us, HOST_UNKNOWN, path, up, "%s: %s", path, why);
	}
	free(text);
	free(path);
	free(dir);
}

/* A weight divides CPU time only under contention: never a count, but worth saying. */
static void note_weight(struct host_ctx *d)
{
	const struct cgroup_place *p = &d->h->cgroup.place[CGROUP_CPU];
	bool v2 = p->version == CGROUP_V2;
	const char *name = v2 ? "cpu.weight" : "cpu.shares";
	char *text = NULL, *path;
	long long w;

	if (p->version == CGROUP_NONE || cgroup_read(&d->h->cgroup, p->dir, name, &text) < 0)
		return;
	if (host_parse_ll(text, &w) == 0 && w != (v2 ? 100 : 1024)) {
		path = host_join(d, p->dir, name);
		host_note(d, name, path,
			  "%s %lld is a relative weight under contention, not a number of CPUs",
			  name, w);
		free(path);
	}
	free(text);
}

/* "3", "1.5": a positive number of CPUs. */
static void detect_env_cpus(struct host_ctx *d, const char *s)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (errno || end == s || *end || !isfinite(x) || x <= 0 || x > CPULIST_MAX_CPU) {
		host_val_why(d, &d->h->env_cpus, HOST_UNKNOWN, "AMZ_CPUS", -1,
			     "AMZ_CPUS=\"%s\" is not a positive number of CPUs", s);
		host_note(d, "AMZ_CPUS", "AMZ_CPUS", "\"%s\" is not a positive number of CPUs", s);
		return;
	}
	host_val_setx(d, &d->h->env_cpus, x, "AMZ_CPUS", -1);
	amz_log(AMZ_LOG_INFO, "host: AMZ_CPUS=%s overrides the usable CPU count", s);
}

/* Bytes, with an optional binary suffix: "512M", "2GiB", "1073741824". */
static int parse_bytes(const char *s, long long *out)
{
	static const char units[] = "KMGT";
	const char *u;
	double x, scale = 1;
	char *end;

	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || !isfinite(x) || x <= 0)
		return -1;
	if (*end && (u = strchr(units, toupper((unsigned char)*end))) != NULL) {
		scale = (double)(1ull << (10 * (u - units + 1)));
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	} else if (*end == 'B') {
		end++;
	}
	if (*end || x * scale >= 9.2e18)
		return -1;
	*out = (long long)(x * scale);
	return *out > 0 ? 0 : -1;
}

static void detect_env_memory(struct host_ctx *d, const char *s)
{
	long long n;

	if (parse_bytes(s, &n) < 0) {
		host_val_why(d, &d->h->env_memory, HOST_UNKNOWN, "AMZ_MEMORY", -1,
			     "AMZ_MEMORY=\"%s\" is not a size in bytes (such as 512M or 2G)", s);
		host_note(d, "AMZ_MEMORY", "AMZ_MEMORY",
			  "\"%s\" is not a size in bytes (such as 512M or 2G)", s);
		return;
	}
	host_val_set(d, &d->h->env_memory, n, "AMZ_MEMORY", -1);
	amz_log(AMZ_LOG_INFO, "host: AMZ_MEMORY=%s overrides the memory left", s);
}

static void detect_env(struct host_ctx *d, bool no_env)
{
	const char *cpus = no_env ? NULL : getenv("AMZ_CPUS");
	const char *mem = no_env ? NULL : getenv("AMZ_MEMORY");
	const char *why = no_env ? "the environment is ignored" : "not set";

	if (cpus && *cpus)
		detect_env_cpus(d, cpus);
	else
		host_val_why(d, &d->h->env_cpus, HOST_UNKNOWN, NULL, -1, "%s", why);
	if (mem && *mem)
		detect_env_memory(d, mem);
	else
		host_val_why(d, &d->h->env_memory, HOST_UNKNOWN, NULL, -1, "%s", why);
}

static void detect_usable(struct host_ctx *d)
{
	struct amz_host *h = d->h;
	const struct host_value *base = h->allowed.state == HOST_SET  ? &h->allowed
					: h->online.state == HOST_SET ? &h->online
								      : NULL;

	if (h->env_cpus.state == HOST_SET) {
		host_val_setx(d, &h->usable, h->env_cpus.x, "AMZ_CPUS", -1);
	} else if (h->quota.state == HOST_SET && (!base || h->quota.x < (double)base->n)) {
		host_val_setx(d, &h->usable, h->quota.x, h->quota.source, h->quota.level);
	} else if (base) {
		host_val_setx(d, &h->usable, (double)base->n, base->source, base->level);
	} else {
		host_val_why(d, &h->usable, HOST_UNKNOWN, NULL, -1,
			     "no CPU count could be read, so 1 CPU is assumed");
		return;
	}
	amz_log(AMZ_LOG_INFO, "host: %.3g usable CPU(s), from %s", h->usable.x, h->usable.source);
}

static void host_init(struct amz_host *h)
{
	struct host_value *all[] = {
		&h->online,	    &h->affinity,      &h->cpuset,    &h->allowed,
		&h->physical_cores, &h->online_cores,  &h->smt,	      &h->quota,
		&h->usable,	    &h->periods,       &h->throttled, &h->throttled_us,
		&h->mem_total,	    &h->mem_available, &h->mem_limit, &h->mem_high,
		&h->swap_max,	    &h->memsw_limit,   &h->mem_used,  &h->mem_left,
		&h->rlimit_as,	    &h->rlimit_data,   &h->env_cpus,  &h->env_memory,
	};
	size_t i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < ARRAY_SIZE(all); i++)
		all[i]->level = -1;
}

int host_detect(struct amz_host *h, const struct host_opts *o, struct amz_err *err)
{
	const char *root = o && o->sysroot ? o->sysroot : "";
	struct host_ctx d = {.h = h};
	struct cpu_sets s = {0};

	host_init(h);
	if (root[0] && !sysroot_is_dir("", root))
		return amz_fail(err, ENOTDIR,
				"cannot read the system tree %s: it is not a directory", root);
	h->sysroot = strdup(root);
	if (!h->sysroot)
		return amz_fail(err, ENOMEM, "cannot detect the host: out of memory");
	d.root = h->sysroot;

	/* Where each controller's cgroup files are; what discovery ignored is ours to report. */
	if (cgroup_discover(&h->cgroup, root, err) < 0) {
		host_free(h);
		return -1;
	}
	h->ignored = h->cgroup.ignored;
	memset(&h->cgroup.ignored, 0, sizeof(h->cgroup.ignored));

	/* CPUs, then memory, then what the environment overrides. */
	detect_identity(&d);
	detect_env(&d, o && o->no_env);
	detect_cpus(&d, &s);
	detect_topology(&d, &s);
	detect_quota(&d);
	detect_throttling(&d);
	note_weight(&d);
	host_detect_memory(&d);
	detect_usable(&d);

	cpulist_free(&s.online);
	cpulist_free(&s.affinity);
	cpulist_free(&s.cpuset);
	cpulist_free(&s.allowed);
	if (d.oom) {
		host_free(h);
		return amz_fail(err, ENOMEM, "cannot detect the host: out of memory");
	}
	return 0;
}

void host_free(struct amz_host *h)
{
	struct host_value *all[] = {
		&h->online,	    &h->affinity,      &h->cpuset,    &h->allowed,
		&h->physical_cores, &h->online_cores,  &h->smt,	      &h->quota,
		&h->usable,	    &h->periods,       &h->throttled, &h->throttled_us,
		&h->mem_total,	    &h->mem_available, &h->mem_limit, &h->mem_high,
		&h->swap_max,	    &h->memsw_limit,   &h->mem_used,  &h->mem_left,
		&h->rlimit_as,	    &h->rlimit_data,   &h->env_cpus,  &h->env_memory,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		host_val_clear(all[i]);
	for (i = 0; i < (size_t)h->n_types; i++)
		free(h->types[i].name);
	free(h->types);
	free(h->cpus);
	free(h->online_list);
	free(h->allowed_list);
	free(h->kernel);
	free(h->cpu_model);
	free(h->sysroot);
	cgroup_free(&h->cgroup);
	cgroup_notes_free(&h->ignored);
	memset(h, 0, sizeof(*h));
}

double host_usable_cpus(const struct amz_host *h)
{
	return h->usable.state == HOST_SET && h->usable.x > 0 ? h->usable.x : 1.0;
}

int host_usable_cpus_rounded(const struct amz_host *h, enum host_rounding r)
{
	/* A quota of 150000/100000 is 1.5 exactly, but others carry a rounding error. */
	double x = host_usable_cpus(h), n = r == HOST_ROUND_CEIL ? ceil(x - 1e-9) : floor(x + 1e-9);

	return n < 1 ? 1 : n > CPULIST_MAX_CPU ? CPULIST_MAX_CPU : (int)n;
}

long long host_memory_left(const struct amz_host *h)
{
	return h->mem_left.state == HOST_SET ? h->mem_left.n : -1;
}

const struct host_cpu *host_cpu_find(const struct amz_host *h, int cpu)
{
	int i;

	for (i = 0; i < h->n_cpus; i++) {
		if (h->cpus[i].cpu == cpu)
			return &h->cpus[i];
	}
	return NULL;
}

int host_smt_pair(const struct amz_host *h, int out[2])
{
	int i, j;

	for (i = 0; i < h->n_cpus; i++) {
		for (j = i + 1; j < h->n_cpus && h->cpus[i].core >= 0; j++) {
			if (h->cpus[j].core == h->cpus[i].core) {
				out[0] = h->cpus[i].cpu;
				out[1] = h->cpus[j].cpu;
				return 0;
			}
		}
	}
	return -1;
}

int host_core_pair(const struct amz_host *h, int out[2])
{
	int i, j;

	for (i = 0; i < h->n_cpus; i++) {
		for (j = i + 1; j < h->n_cpus && h->cpus[i].core >= 0; j++) {
			if (h->cpus[j].core >= 0 && h->cpus[j].core != h->cpus[i].core) {
				out[0] = h->cpus[i].cpu;
				out[1] = h->cpus[j].cpu;
				return 0;
			}
		}
	}
	return -1;
}

const char *host_state_name(enum host_state s)
{
	return s == HOST_SET ? "set" : s == HOST_NO_LIMIT ? "no limit" : "unknown";
}
