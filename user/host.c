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

static void detect_identity(struct host_ctx *d)
{
	static const char *const model_keys[] = {"model name", "Hardware", "cpu model",
						 "cpu",	       "uarch",	   "CPU part"};
	char *text = NULL;
	size_t k;

	if (sysroot_read(d->root, "/proc/sys/kernel/osrelease", &text) == 0) {
		d->h->kernel = host_strdup(d, sysroot_trim(text));
		free(text);
	} else {
		d->h->kernel = host_strdup(d, "");
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
		d->h->cpu_model = host_strdup(d, "");
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
		d->h->allowed_list = host_strdup(d, "");
		return;
	}
	if (cpulist_count(&s->allowed) == 0) {
		host_val_why(d, &d->h->allowed, HOST_UNKNOWN, source, -1,
			     "the %s have no CPU in common", source);
		s->has_allowed = false;
		d->h->allowed_list = host_strdup(d, "");
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
	else
		amz_log(AMZ_LOG_INFO, "host: CPU quota %s: %s", host_state_name(d->h->quota.state),
			d->h->quota.why);
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
	host_detect_topology(&d, &s);
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
