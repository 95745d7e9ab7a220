/* The readable `amzprof host` report: every value with where it came from, the cgroup of each
 * controller, and every value that was read but not used, with the reason. */
#include <stdio.h>
#include <string.h>

#include "host.h"

static const char *level_words(int level, char *buf, size_t len)
{
	if (level < 0)
		buf[0] = '\0';
	else if (level == 0)
		snprintf(buf, len, ", cgroup level 0 (the process's own)");
	else
		snprintf(buf, len, ", cgroup level %d (%d up)", level, level);
	return buf;
}

static void print_bytes(char *buf, size_t len, long long n)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double x = (double)n;
	int u = -1;

	while (x >= 1024 && u < 5) {
		x /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lld bytes", n);
	else
		snprintf(buf, len, "%.1f %s", x, units[u]);
}

enum kind {
	COUNT,
	FRACTION,
	BYTES
};

static void print_value(FILE *f, const char *label, const struct host_value *v, enum kind k)
{
	char val[64], lvl[64];

	if (v->state == HOST_SET && k == BYTES)
		print_bytes(val, sizeof(val), v->n);
	else if (v->state == HOST_SET && k == FRACTION)
		snprintf(val, sizeof(val), "%.3g", v->x);
	else if (v->state == HOST_SET)
		snprintf(val, sizeof(val), "%lld", v->n);
	else
		snprintf(val, sizeof(val), "%s", v->state == HOST_NO_LIMIT ? "none" : "unknown");

	fprintf(f, "  %-24s %-12s", label, val);
	if (v->state == HOST_SET)
		fprintf(f, " from %s%s\n", v->source ? v->source : "?",
			level_words(v->level, lvl, sizeof(lvl)));
	else
		fprintf(f, " %s\n", v->why ? v->why : "");
}

static void print_cgroups(FILE *f, const struct amz_host *h)
{
	int c;

	fprintf(f, "Cgroups: %s\n", cgroup_version_name(h->cgroup.version));
	for (c = 0; c < CGROUP_NR; c++) {
		const struct cgroup_place *p = &h->cgroup.place[c];
		const char *name = cgroup_controller_name((enum cgroup_controller)c);

		if (p->version == CGROUP_NONE) {
			fprintf(f, "  %-8s none: %s\n", name, p->why ? p->why : "");
			continue;
		}
		fprintf(f, "  %-8s %s at %s, %d level(s) below the mount point %s\n", name,
			cgroup_version_name(p->version), p->dir, p->depth, p->mount);
		if (p->how)
			fprintf(f, "           %s\n", p->how);
	}
}

static void print_cpus(FILE *f, const struct amz_host *h)
{
	int i;

	fprintf(f, "\nCPUs\n");
	print_value(f, "usable", &h->usable, FRACTION);
	print_value(f, "online", &h->online, COUNT);
	print_value(f, "affinity", &h->affinity, COUNT);
	print_value(f, "cpuset", &h->cpuset, COUNT);
	print_value(f, "allowed", &h->allowed, COUNT);
	if (h->allowed_list[0])
		fprintf(f, "  %-24s %s\n", "allowed list", h->allowed_list);
	print_value(f, "physical cores", &h->physical_cores, COUNT);
	print_value(f, "online physical cores", &h->online_cores, COUNT);
	print_value(f, "threads per core", &h->smt, COUNT);
	for (i = 0; i < h->n_types; i++)
		fprintf(f, "  %-24s %d CPU(s) on %d core(s)\n", h->types[i].name, h->types[i].cpus,
			h->types[i].cores);
	print_value(f, "quota (CPUs)", &h->quota, FRACTION);
	print_value(f, "periods", &h->periods, COUNT);
	print_value(f, "throttled periods", &h->throttled, COUNT);
	print_value(f, "throttled (us)", &h->throttled_us, COUNT);
}

static void print_memory(FILE *f, const struct amz_host *h)
{
	fprintf(f, "\nMemory\n");
	print_value(f, "left for new workers", &h->mem_left, BYTES);
	print_value(f, "total", &h->mem_total, BYTES);
	print_value(f, "available", &h->mem_available, BYTES);
	print_value(f, "limit", &h->mem_limit, BYTES);
	print_value(f, "high", &h->mem_high, BYTES);
	print_value(f, "swap max", &h->swap_max, BYTES);
	print_value(f, "memory+swap limit", &h->memsw_limit, BYTES);
	print_value(f, "used (no inactive file)", &h->mem_used, BYTES);
	print_value(f, "RLIMIT_AS (per process)", &h->rlimit_as, BYTES);
	print_value(f, "RLIMIT_DATA", &h->rlimit_data, BYTES);
}

void host_print(FILE *f, const struct amz_host *h)
{
	size_t i;

	fprintf(f, "Host: kernel %s, CPU %s%s%s\n", h->kernel[0] ? h->kernel : "unknown",
		h->cpu_model[0] ? h->cpu_model : "unknown", h->sysroot[0] ? ", read under " : "",
		h->sysroot);
	print_cgroups(f, h);
	print_cpus(f, h);
	print_memory(f, h);

	fprintf(f, "\nOverrides\n");
	print_value(f, "AMZ_CPUS", &h->env_cpus, FRACTION);
	print_value(f, "AMZ_MEMORY", &h->env_memory, BYTES);

	if (h->ignored.n)
		fprintf(f, "\nIgnored\n");
	for (i = 0; i < h->ignored.n; i++) {
		const struct cgroup_note *n = &h->ignored.v[i];

		size_t sl = n->source ? strlen(n->source) : 0, wl = strlen(n->what);

		/* "memory.max in /a/b/memory.max" says the name twice: the path alone will do. */
		if (sl >= wl && strcmp(n->source + sl - wl, n->what) == 0)
			fprintf(f, "  - %s: %s\n", n->source, n->reason);
		else
			fprintf(f, "  - %s%s%s: %s\n", n->what, n->source ? " in " : "",
				n->source ? n->source : "", n->reason);
	}
}
