/* Memory detection: MemTotal and MemAvailable; every cgroup memory limit from the process's
 * cgroup up to the mount point (v2 memory.max, memory.high, memory.swap.max; v1
 * memory.limit_in_bytes, memory.memsw.limit_in_bytes and the hierarchical limits of memory.stat);
 * usage without reclaimable page cache; the memory left for new workers; RLIMIT_AS and
 * RLIMIT_DATA. A limit at or above physical memory is no limit: that is how v1's "unlimited"
 * (a page-counter maximum that depends on the page size) is recognised. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "host_internal.h"
#include "sysroot.h"

#define MEMINFO_PATH "/proc/meminfo"
#define LIMITS_PATH  "/proc/self/limits"

/* A limit found at a level, kept to subtract that level's usage from it. */
struct bound {
	long long limit;
	int level;
	char *source;
};

struct memory_walk {
	const struct cgroup_place *p;
	struct host_lowest max, high, swap, memsw;
	struct bound *bounds;
	size_t n_bounds;
	long long swap_total; /* -1 unknown */
};

/* "Key:   N kB" from /proc/meminfo, in bytes. */
static int meminfo_value(const char *text, const char *key, long long *out)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, n) == 0 && p[n] == ':') {
			long long v;
			char unit[8] = "";

			if (sscanf(p + n + 1, "%lld %7s", &v, unit) < 1 || v < 0 || v > (1ll << 50))
				return -1;
			if (unit[0] && strcmp(unit, "kB") != 0)
				return -1;
			*out = unit[0] ? v * 1024 : v;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static void read_meminfo(struct host_ctx *d, long long *swap_total)
{
	static const char *const what = MEMINFO_PATH;
	struct amz_host *h = d->h;
	char *text = NULL;
	long long v;
	int r = sysroot_read(d->root, MEMINFO_PATH, &text);

	*swap_total = -1;
	if (r < 0) {
		host_val_why(d, &h->mem_total, HOST_UNKNOWN, what, -1, "cannot read %s: %s", what,
			     amz_reason(-r));
		host_val_why(d, &h->mem_available, HOST_UNKNOWN, what, -1, "cannot read %s: %s",
			     what, amz_reason(-r));
		return;
	}
	if (meminfo_value(text, "MemTotal", &v) == 0 && v > 0)
		host_val_set(d, &h->mem_total, v, MEMINFO_PATH " (MemTotal)", -1);
	else
		host_val_why(d, &h->mem_total, HOST_UNKNOWN, what, -1,
			     "%s has no readable MemTotal line", what);
	if (meminfo_value(text, "MemAvailable", &v) == 0)
		host_val_set(d, &h->mem_available, v, MEMINFO_PATH " (MemAvailable)", -1);
	else
		host_val_why(d, &h->mem_available, HOST_UNKNOWN, what, -1,
			     "%s has no readable MemAvailable line (kernels before 3.14 lack it)",
			     what);
	if (meminfo_value(text, "SwapTotal", &v) == 0)
		*swap_total = v;
	free(text);
}

static void add_bound(struct host_ctx *d, struct memory_walk *w, long long limit, int level,
		      const char *source)
{
	struct bound *b = realloc(w->bounds, (w->n_bounds + 1) * sizeof(*b));

	if (!b) {
		d->oom = true;
		return;
	}
	w->bounds = b;
	b[w->n_bounds].limit = limit;
	b[w->n_bounds].level = level;
	b[w->n_bounds].source = strdup(source);
	if (!b[w->n_bounds].source)
		d->oom = true;
	w->n_bounds++;
}

/* Reads a limit file: 1 a number in *n, 0 "max" or absent-as-none, -1 missing or bad. */
static int read_limit(struct host_ctx *d, struct host_lowest *l, const char *dir, const char *name,
		      long long *n, char **path)
{
	char *text = NULL, q[64];
	int r = cgroup_read(&d->h->cgroup, dir, name, &text);

	*path = host_join(d, dir, name);
	if (r == -ENOENT)
		return -1;
	if (r < 0) {
		host_lowest_bad(d, l, "cannot read %s: %s", *path ? *path : name, amz_reason(-r));
		return -1;
	}
	if (strcmp(sysroot_trim(text), "max") == 0) {
		free(text);
		l->none_seen = true;
		return 0;
	}
	if (host_parse_ll(text, n) < 0 || *n < 0) {
		host_lowest_bad(d, l, "%s holds \"%s\", not a number of bytes or \"max\"",
				*path ? *path : name, host_quote(text, q, sizeof(q)));
		free(text);
		return -1;
	}
	free(text);
	return 1;
}

/* Offers a RAM limit read at a level; at or above physical memory it is no limit. */
static void offer_ram_limit(struct host_ctx *d, struct memory_walk *w, struct host_lowest *l,
			    const char *dir, const char *name, int up)
{
	const struct host_value *total = &d->h->mem_total;
	char *path = NULL;
	long long n;

	if (read_limit(d, l, dir, name, &n, &path) == 1) {
		if (total->state == HOST_SET && n >= total->n) {
			l->none_seen = true;
			host_note(d, name, path,
				  "%lld is at or above physical memory (%lld bytes): no limit", n,
				  total->n);
		} else {
			host_lowest_offer(d, l, (double)n, n, path, up);
			add_bound(d, w, n, up, path);
		}
	}
	free(path);
}

/* Offers a limit that includes swap: no limit when it is at or above memory plus swap. */
static void offer_swap_limit(struct host_ctx *d, struct memory_walk *w, struct host_lowest *l,
			     const char *dir, const char *name, int up, bool with_ram)
{
	const struct host_value *total = &d->h->mem_total;
	char *path = NULL;
	long long n, ceiling = -1;

	if (with_ram && total->state == HOST_SET && w->swap_total >= 0)
		ceiling = total->n + w->swap_total;
	if (read_limit(d, l, dir, name, &n, &path) == 1) {
		if (ceiling >= 0 && n >= ceiling) {
			l->none_seen = true;
			host_note(d, name, path,
				  "%lld is at or above memory plus swap (%lld bytes): no limit", n,
				  ceiling);
		} else {
			host_lowest_offer(d, l, (double)n, n, path, up);
		}
	}
	free(path);
}

/* v1 repeats the lowest limit of every ancestor, visible or not, in memory.stat. */
static void offer_hierarchical(struct host_ctx *d, struct memory_walk *w)
{
	const struct host_value *total = &d->h->mem_total;
	char *text = NULL, *path = host_join(d, w->p->dir, "memory.stat"), source[4200];
	long long n;

	if (!path || cgroup_read(&d->h->cgroup, w->p->dir, "memory.stat", &text) < 0) {
		free(path);
		return;
	}
	if (host_stat_value(text, "hierarchical_memory_limit", &n) == 0) {
		snprintf(source, sizeof(source), "%s (hierarchical_memory_limit)", path);
		if (total->state == HOST_SET && n >= total->n) {
			w->max.none_seen = true;
		} else if (!w->max.have || n < w->max.n) {
			/* The limit sits above the visible levels: only this cgroup's usage can be
			 * subtracted from it, so what is left may be less than computed. */
			host_lowest_offer(d, &w->max, (double)n, n, source, 0);
			add_bound(d, w, n, 0, source);
		}
	}
	if (host_stat_value(text, "hierarchical_memsw_limit", &n) == 0) {
		snprintf(source, sizeof(source), "%s (hierarchical_memsw_limit)", path);
		if (total->state == HOST_SET && w->swap_total >= 0 && n >= total->n + w->swap_total)
			w->memsw.none_seen = true;
		else
			host_lowest_offer(d, &w->memsw, (double)n, n, source, 0);
	}
	free(text);
	free(path);
}

static void walk_levels(struct host_ctx *d, struct memory_walk *w)
{
	char *dir;
	int up;

	for (up = 0; (dir = cgroup_level_dir(w->p, up)) != NULL; up++) {
		if (w->p->version == CGROUP_V2) {
			offer_ram_limit(d, w, &w->max, dir, "memory.max", up);
			offer_ram_limit(d, w, &w->high, dir, "memory.high", up);
			offer_swap_limit(d, w, &w->swap, dir, "memory.swap.max", up, false);
		} else {
			offer_ram_limit(d, w, &w->max, dir, "memory.limit_in_bytes", up);
			offer_swap_limit(d, w, &w->memsw, dir, "memory.memsw.limit_in_bytes", up,
					 true);
		}
		free(dir);
	}
	if (w->p->version == CGROUP_V1)
		offer_hierarchical(d, w);
}

static void finish_limits(struct host_ctx *d, struct memory_walk *w)
{
	struct amz_host *h = d->h;
	bool v2 = w->p->version == CGROUP_V2;
	char why[1024];

	snprintf(why, sizeof(why),
		 "no limit below physical memory in %s or any level above it "
		 "up to %s",
		 w->p->dir, w->p->mount);
	host_lowest_finish(d, &w->max, &h->mem_limit, why);
	if (v2) {
		host_lowest_finish(d, &w->high, &h->mem_high, why);
		snprintf(why, sizeof(why), "no swap limit in %s or any level above it up to %s",
			 w->p->dir, w->p->mount);
		host_lowest_finish(d, &w->swap, &h->swap_max, why);
		host_val_why(d, &h->memsw_limit, HOST_NO_LIMIT, NULL, -1,
			     "a memory+swap limit exists on cgroup v1 only");
	} else {
		snprintf(why, sizeof(why),
			 "no memory+swap limit below memory plus swap in %s or "
			 "any level above it up to %s",
			 w->p->dir, w->p->mount);
		host_lowest_finish(d, &w->memsw, &h->memsw_limit, why);
		host_val_why(d, &h->mem_high, HOST_NO_LIMIT, NULL, -1,
			     "memory.high exists on cgroup v2 only");
		host_val_why(d, &h->swap_max, HOST_NO_LIMIT, NULL, -1,
			     "memory.swap.max exists on cgroup v2 only");
	}
	if (h->mem_limit.state == HOST_SET)
		amz_log(AMZ_LOG_INFO, "host: memory limit %lld bytes from %s (cgroup level %d)",
			h->mem_limit.n, h->mem_limit.source, h->mem_limit.level);
	else
		amz_log(AMZ_LOG_INFO, "host: memory limit %s: %s",
			host_state_name(h->mem_limit.state), h->mem_limit.why);
}

/* Usage of the cgroup at a level minus its inactive file pages, which reclaim frees first. */
static int used_at(struct host_ctx *d, const struct cgroup_place *p, int up, long long *used,
		   char *why, size_t len)
{
	bool v2 = p->version == CGROUP_V2;
	const char *usage_file = v2 ? "memory.current" : "memory.usage_in_bytes";
	const char *inactive_key = v2 ? "inactive_file" : "total_inactive_file";
	char *dir = cgroup_level_dir(p, up), *text = NULL, *stat = NULL;
	long long usage, inactive;
	int r = -1;

	if (!dir)
		return -1;
	if (cgroup_read(&d->h->cgroup, dir, usage_file, &text) < 0 ||
	    host_parse_ll(text, &usage) < 0 || usage < 0)
		snprintf(why, len, "%s/%s is missing or not a number", dir, usage_file);
	else if (cgroup_read(&d->h->cgroup, dir, "memory.stat", &stat) < 0 ||
		 host_stat_value(stat, inactive_key, &inactive) < 0)
		snprintf(why, len, "%s/memory.stat has no %s", dir, inactive_key);
	else {
		*used = usage > inactive ? usage - inactive : 0;
		r = 0;
	}
	free(text);
	free(stat);
	free(dir);
	return r;
}

static void detect_used(struct host_ctx *d, const struct cgroup_place *p)
{
	char why[4200], *path = NULL, source[4200];
	long long used;

	if (used_at(d, p, 0, &used, why, sizeof(why)) < 0) {
		host_val_why(d, &d->h->mem_used, HOST_UNKNOWN, NULL, 0, "%s", why);
		return;
	}
	snprintf(source, sizeof(source), "%s/%s minus inactive_file in memory.stat", p->dir,
		 p->version == CGROUP_V2 ? "memory.current" : "memory.usage_in_bytes");
	host_val_set(d, &d->h->mem_used, used, source, 0);
	free(path);
}

/* The lowest of MemAvailable and, for each limit, the limit minus its cgroup's usage. */
static void detect_left(struct host_ctx *d, struct memory_walk *w)
{
	struct amz_host *h = d->h;
	char why[4200], source[8400];
	size_t i;

	if (h->env_memory.state == HOST_SET) {
		host_val_set(d, &h->mem_left, h->env_memory.n, "AMZ_MEMORY", -1);
		return;
	}
	if (h->mem_available.state == HOST_SET)
		host_val_set(d, &h->mem_left, h->mem_available.n, h->mem_available.source, -1);
	else
		host_val_why(d, &h->mem_left, HOST_UNKNOWN, NULL, -1, "MemAvailable is unknown");

	for (i = 0; i < w->n_bounds; i++) {
		const struct bound *b = &w->bounds[i];
		long long used = 0, left;

		if (used_at(d, w->p, b->level, &used, why, sizeof(why)) < 0) {
			host_note(d, "the usage under a limit", b->source,
				  "%s; the whole limit is counted as left", why);
			used = 0;
		}
		left = b->limit > used ? b->limit - used : 0;
		if (h->mem_left.state == HOST_SET && left >= h->mem_left.n)
			continue;
		snprintf(source, sizeof(source),
			 "%s minus that cgroup's usage without inactive_file", b->source);
		host_val_set(d, &h->mem_left, left, source, b->level);
	}
	if (h->mem_left.state == HOST_SET)
		amz_log(AMZ_LOG_INFO, "host: %lld bytes left for new workers, from %s",
			h->mem_left.n, h->mem_left.source);
}

static void cgroup_memory(struct host_ctx *d, long long swap_total)
{
	struct memory_walk w = {.p = &d->h->cgroup.place[CGROUP_MEMORY], .swap_total = swap_total};
	struct amz_host *h = d->h;
	size_t i;

	if (w.p->version == CGROUP_NONE) {
		struct host_value *all[] = {&h->mem_limit, &h->mem_high, &h->swap_max,
					    &h->memsw_limit, &h->mem_used};

		for (i = 0; i < ARRAY_SIZE(all); i++)
			host_val_why(d, all[i], HOST_UNKNOWN, NULL, -1, "no memory controller: %s",
				     w.p->why);
		detect_left(d, &w);
		return;
	}
	walk_levels(d, &w);
	finish_limits(d, &w);
	detect_used(d, w.p);
	detect_left(d, &w);
	for (i = 0; i < w.n_bounds; i++)
		free(w.bounds[i].source);
	free(w.bounds);
}

/* The soft limit, from getrlimit live or from the captured /proc/self/limits. */
static void detect_rlimit(struct host_ctx *d, struct host_value *v, int resource, const char *label)
{
	char *text = NULL, *line, soft[32];
	struct rlimit rl;
	long long n;
	int r;

	if (!d->root[0]) {
		if (getrlimit(resource, &rl) < 0)
			host_val_why(d, v, HOST_UNKNOWN, "getrlimit", -1, "getrlimit failed: %s",
				     amz_reason(errno));
		else if (rl.rlim_cur == RLIM_INFINITY)
			host_val_why(d, v, HOST_NO_LIMIT, "getrlimit", -1, "unlimited");
		else
			host_val_set(d, v, (long long)rl.rlim_cur, "getrlimit", -1);
		return;
	}
	r = sysroot_read(d->root, LIMITS_PATH, &text);
	if (r < 0) {
		host_val_why(d, v, HOST_UNKNOWN, LIMITS_PATH, -1, "cannot read %s: %s", LIMITS_PATH,
			     amz_reason(-r));
		return;
	}
	line = strstr(text, label);
	if (!line || sscanf(line + strlen(label), "%31s", soft) != 1)
		host_val_why(d, v, HOST_UNKNOWN, LIMITS_PATH, -1, "%s has no \"%s\" line",
			     LIMITS_PATH, label);
	else if (strcmp(soft, "unlimited") == 0)
		host_val_why(d, v, HOST_NO_LIMIT, LIMITS_PATH, -1, "unlimited");
	else if (host_parse_ll(soft, &n) == 0 && n >= 0)
		host_val_set(d, v, n, LIMITS_PATH, -1);
	else
		host_val_why(d, v, HOST_UNKNOWN, LIMITS_PATH, -1, "\"%s\" in %s is not a size",
			     soft, LIMITS_PATH);
	free(text);
}

void host_detect_memory(struct host_ctx *d)
{
	long long swap_total;

	read_meminfo(d, &swap_total);
	cgroup_memory(d, swap_total);
	detect_rlimit(d, &d->h->rlimit_as, RLIMIT_AS, "Max address space");
	detect_rlimit(d, &d->h->rlimit_data, RLIMIT_DATA, "Max data size");
}
