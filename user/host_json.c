/* The host as JSON (the `amzprof host --json` document, also stored in host profiles), its
 * exact inverse, and the fingerprint that tells whether a saved profile still fits the host. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"

/* Every value: where it sits in the document ("group.key") and whether it is a fraction. */
static const struct field {
	const char *group;
	const char *key;
	size_t offset;
	bool fraction;
} fields[] = {
	{"cpu", "online", offsetof(struct amz_host, online), false},
	{"cpu", "affinity", offsetof(struct amz_host, affinity), false},
	{"cpu", "cpuset", offsetof(struct amz_host, cpuset), false},
	{"cpu", "allowed", offsetof(struct amz_host, allowed), false},
	{"cpu", "physical_cores", offsetof(struct amz_host, physical_cores), false},
	{"cpu", "online_cores", offsetof(struct amz_host, online_cores), false},
	{"cpu", "smt_threads_per_core", offsetof(struct amz_host, smt), false},
	{"cpu", "quota", offsetof(struct amz_host, quota), true},
	{"cpu", "usable", offsetof(struct amz_host, usable), true},
	{"cpu", "periods", offsetof(struct amz_host, periods), false},
	{"cpu", "throttled_periods", offsetof(struct amz_host, throttled), false},
	{"cpu", "throttled_us", offsetof(struct amz_host, throttled_us), false},
	{"memory", "total", offsetof(struct amz_host, mem_total), false},
	{"memory", "available", offsetof(struct amz_host, mem_available), false},
	{"memory", "limit", offsetof(struct amz_host, mem_limit), false},
	{"memory", "high", offsetof(struct amz_host, mem_high), false},
	{"memory", "swap_max", offsetof(struct amz_host, swap_max), false},
	{"memory", "memsw_limit", offsetof(struct amz_host, memsw_limit), false},
	{"memory", "used", offsetof(struct amz_host, mem_used), false},
	{"memory", "left", offsetof(struct amz_host, mem_left), false},
	{"memory", "rlimit_as", offsetof(struct amz_host, rlimit_as), false},
	{"memory", "rlimit_data", offsetof(struct amz_host, rlimit_data), false},
	{"override", "cpus", offsetof(struct amz_host, env_cpus), true},
	{"override", "memory", offsetof(struct amz_host, env_memory), false},
};

static struct host_value *field_of(struct amz_host *h, const struct field *f)
{
	return (struct host_value *)((char *)h + f->offset);
}

static json_object *string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *value_json(const struct host_value *v, bool fraction)
{
	if (v->state != HOST_SET)
		return NULL;
	return fraction ? json_object_new_double(v->x) : json_object_new_int64(v->n);
}

static json_object *source_json(const struct host_value *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "state", json_object_new_string(host_state_name(v->state)));
	json_object_object_add(o, "source", string_or_null(v->source));
	json_object_object_add(o, "level", v->level >= 0 ? json_object_new_int(v->level) : NULL);
	json_object_object_add(o, "reason", string_or_null(v->why));
	return o;
}

static json_object *group(json_object *root, const char *name)
{
	json_object *g;

	if (json_object_object_get_ex(root, name, &g))
		return g;
	g = json_object_new_object();
	json_object_object_add(root, name, g);
	return g;
}

static json_object *topology_json(const struct amz_host *h)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < h->n_cpus; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "cpu", json_object_new_int(h->cpus[i].cpu));
		json_object_object_add(c, "core", json_object_new_int(h->cpus[i].core));
		json_object_object_add(c, "package", json_object_new_int(h->cpus[i].package));
		json_object_object_add(c, "type", json_object_new_int(h->cpus[i].type));
		json_object_array_add(a, c);
	}
	return a;
}

static json_object *types_json(const struct amz_host *h)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < h->n_types; i++) {
		json_object *t = json_object_new_object();

		json_object_object_add(t, "name", json_object_new_string(h->types[i].name));
		json_object_object_add(t, "cpus", json_object_new_int(h->types[i].cpus));
		json_object_object_add(t, "cores", json_object_new_int(h->types[i].cores));
		json_object_array_add(a, t);
	}
	return a;
}

static json_object *cgroup_json(const struct cgroup_set *s)
{
	json_object *o = json_object_new_object(), *ctl = json_object_new_object();
	int c;

	json_object_object_add(o, "version",
			       json_object_new_string(cgroup_version_name(s->version)));
	for (c = 0; c < CGROUP_NR; c++) {
		const struct cgroup_place *p = &s->place[c];
		json_object *e = json_object_new_object();

		json_object_object_add(e, "version",
				       json_object_new_string(cgroup_version_name(p->version)));
		json_object_object_add(e, "mount", string_or_null(p->mount));
		json_object_object_add(e, "path", string_or_null(p->path));
		json_object_object_add(e, "dir", string_or_null(p->dir));
		json_object_object_add(e, "depth", json_object_new_int(p->depth));
		json_object_object_add(e, "how", string_or_null(p->how));
		json_object_object_add(e, "why", string_or_null(p->why));
		json_object_object_add(ctl, cgroup_controller_name((enum cgroup_controller)c), e);
	}
	json_object_object_add(o, "controllers", ctl);
	return o;
}

static json_object *ignored_json(const struct cgroup_notes *n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n->n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "what", json_object_new_string(n->v[i].what));
		json_object_object_add(e, "source", string_or_null(n->v[i].source));
		json_object_object_add(e, "reason", json_object_new_string(n->v[i].reason));
		json_object_array_add(a, e);
	}
	return a;
}

json_object *host_to_json(const struct amz_host *h)
{
	json_object *root = json_object_new_object(), *sources = json_object_new_object(), *cpu;
	char fp[1024], name[64];
	size_t i;

	json_object_object_add(root, "schema", json_object_new_int(HOST_SCHEMA));
	json_object_object_add(root, "sysroot", json_object_new_string(h->sysroot));
	json_object_object_add(root, "kernel", json_object_new_string(h->kernel));
	json_object_object_add(root, "cpu_model", json_object_new_string(h->cpu_model));
	host_fingerprint(h, fp, sizeof(fp));
	json_object_object_add(root, "fingerprint", json_object_new_string(fp));

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct host_value *v = field_of((struct amz_host *)h, &fields[i]);

		json_object_object_add(group(root, fields[i].group), fields[i].key,
				       value_json(v, fields[i].fraction));
		snprintf(name, sizeof(name), "%s.%s", fields[i].group, fields[i].key);
		json_object_object_add(sources, name, source_json(v));
	}
	cpu = group(root, "cpu");
	json_object_object_add(cpu, "online_list", json_object_new_string(h->online_list));
	json_object_object_add(cpu, "allowed_list", json_object_new_string(h->allowed_list));
	json_object_object_add(cpu, "topology", topology_json(h));
	json_object_object_add(cpu, "core_types", types_json(h));

	json_object_object_add(root, "cgroup", cgroup_json(&h->cgroup));
	json_object_object_add(root, "sources", sources);
	json_object_object_add(root, "ignored", ignored_json(&h->ignored));
	return root;
}

/* Reading back: the first problem ends the load with one sentence. */
struct reader {
	struct amz_err *err;
	bool failed;
};

static json_object *need(struct reader *r, json_object *o, const char *key, json_type type,
			 bool nullable)
{
	json_object *v = NULL;

	if (r->failed)
		return NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		r->failed = true;
		amz_fail(r->err, EINVAL, "the host document has no \"%s\" field", key);
		return NULL;
	}
	if (v == NULL && nullable)
		return NULL;
	if (!json_object_is_type(v, type) &&
	    !(type == json_type_double && json_object_is_type(v, json_type_int))) {
		r->failed = true;
		amz_fail(r->err, EINVAL, "the host document's \"%s\" field is not a %s", key,
			 json_type_to_name(type));
		return NULL;
	}
	return v;
}

static char *need_string(struct reader *r, json_object *o, const char *key, bool nullable)
{
	json_object *v = need(r, o, key, json_type_string, nullable);
	char *s;

	if (!v)
		return NULL;
	s = strdup(json_object_get_string(v));
	if (!s) {
		r->failed = true;
		amz_fail(r->err, ENOMEM, "cannot load the host document: out of memory");
	}
	return s;
}

static int need_int(struct reader *r, json_object *o, const char *key)
{
	json_object *v = need(r, o, key, json_type_int, false);

	return v ? json_object_get_int(v) : 0;
}

static enum host_state state_named(struct reader *r, const char *s)
{
	if (s && strcmp(s, "set") == 0)
		return HOST_SET;
	if (s && strcmp(s, "no limit") == 0)
		return HOST_NO_LIMIT;
	if (s && strcmp(s, "unknown") == 0)
		return HOST_UNKNOWN;
	if (!r->failed) {
		r->failed = true;
		amz_fail(r->err, EINVAL, "the host document has a value of unknown state \"%s\"",
			 s ? s : "");
	}
	return HOST_UNKNOWN;
}

static void load_value(struct reader *r, json_object *root, json_object *sources,
		       const struct field *f, struct host_value *v)
{
	json_object *g = need(r, root, f->group, json_type_object, false), *src, *val, *level;
	char name[64], *state;

	snprintf(name, sizeof(name), "%s.%s", f->group, f->key);
	src = need(r, sources, name, json_type_object, false);
	if (!g || !src)
		return;
	state = need_string(r, src, "state", false);
	v->state = state_named(r, state);
	free(state);
	v->source = need_string(r, src, "source", true);
	v->why = need_string(r, src, "reason", true);
	level = need(r, src, "level", json_type_int, true);
	v->level = level ? json_object_get_int(level) : -1;

	val = need(r, g, f->key, f->fraction ? json_type_double : json_type_int, true);
	if (v->state == HOST_SET && !val && !r->failed) {
		r->failed = true;
		amz_fail(r->err, EINVAL, "the host document's \"%s\" is set but has no value",
			 name);
	}
	if (val && f->fraction) {
		v->x = json_object_get_double(val);
	} else if (val) {
		v->n = json_object_get_int64(val);
		v->x = (double)v->n;
	}
}

static void load_topology(struct reader *r, json_object *cpu, struct amz_host *h)
{
	json_object *a = need(r, cpu, "topology", json_type_array, false);
	size_t i, n = a ? json_object_array_length(a) : 0;

	h->cpus = calloc(n + 1, sizeof(*h->cpus));
	if (!h->cpus) {
		r->failed = true;
		amz_fail(r->err, ENOMEM, "cannot load the host document: out of memory");
		return;
	}
	for (i = 0; i < n && !r->failed; i++) {
		json_object *c = json_object_array_get_idx(a, i);

		h->cpus[i].cpu = need_int(r, c, "cpu");
		h->cpus[i].core = need_int(r, c, "core");
		h->cpus[i].package = need_int(r, c, "package");
		h->cpus[i].type = need_int(r, c, "type");
		h->n_cpus++;
	}
}

static void load_types(struct reader *r, json_object *cpu, struct amz_host *h)
{
	json_object *a = need(r, cpu, "core_types", json_type_array, false);
	size_t i, n = a ? json_object_array_length(a) : 0;

	h->types = calloc(n + 1, sizeof(*h->types));
	if (!h->types) {
		r->failed = true;
		amz_fail(r->err, ENOMEM, "cannot load the host document: out of memory");
		return;
	}
	for (i = 0; i < n && !r->failed; i++) {
		json_object *t = json_object_array_get_idx(a, i);

		h->types[i].name = need_string(r, t, "name", false);
		h->types[i].cpus = need_int(r, t, "cpus");
		h->types[i].cores = need_int(r, t, "cores");
		h->n_types++;
	}
}

static enum cgroup_version version_named(struct reader *r, json_object *o)
{
	char *s = need_string(r, o, "version", false);
	enum cgroup_version v;

	for (v = CGROUP_NONE; v <= CGROUP_HYBRID; v++) {
		if (s && strcmp(s, cgroup_version_name(v)) == 0)
			break;
	}
	if (v > CGROUP_HYBRID && !r->failed) {
		r->failed = true;
		amz_fail(r->err, EINVAL, "the host document has an unknown cgroup version \"%s\"",
			 s ? s : "");
		v = CGROUP_NONE;
	}
	free(s);
	return v;
}

static void load_cgroup(struct reader *r, json_object *root, struct amz_host *h)
{
	json_object *o = need(r, root, "cgroup", json_type_object, false), *ctl;
	int c;

	if (!o)
		return;
	h->cgroup.sysroot = strdup(h->sysroot ? h->sysroot : "");
	h->cgroup.version = version_named(r, o);
	ctl = need(r, o, "controllers", json_type_object, false);
	for (c = 0; c < CGROUP_NR && ctl && !r->failed; c++) {
		struct cgroup_place *p = &h->cgroup.place[c];
		json_object *e = need(r, ctl, cgroup_controller_name((enum cgroup_controller)c),
				      json_type_object, false);

		if (!e)
			return;
		p->version = version_named(r, e);
		p->mount = need_string(r, e, "mount", true);
		p->path = need_string(r, e, "path", true);
		p->dir = need_string(r, e, "dir", true);
		p->depth = need_int(r, e, "depth");
		p->how = need_string(r, e, "how", true);
		p->why = need_string(r, e, "why", true);
	}
}

static void load_ignored(struct reader *r, json_object *root, struct amz_host *h)
{
	json_object *a = need(r, root, "ignored", json_type_array, false);
	size_t i, n = a ? json_object_array_length(a) : 0;

	for (i = 0; i < n && !r->failed; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		char *what = need_string(r, e, "what", false);
		char *source = need_string(r, e, "source", true);
		char *reason = need_string(r, e, "reason", false);

		if (!r->failed &&
		    cgroup_note_add(&h->ignored, what, source, "%s", reason ? reason : "") < 0) {
			r->failed = true;
			amz_fail(r->err, ENOMEM, "cannot load the host document: out of memory");
		}
		free(what);
		free(source);
		free(reason);
	}
}

int host_from_json(struct amz_host *h, json_object *o, struct amz_err *err)
{
	struct reader r = {.err = err};
	json_object *sources, *cpu;
	size_t i;

	memset(h, 0, sizeof(*h));
	if (!json_object_is_type(o, json_type_object))
		return amz_fail(err, EINVAL, "the host document is not a JSON object");
	if (need_int(&r, o, "schema") != HOST_SCHEMA && !r.failed) {
		host_free(h);
		return amz_fail(err, EINVAL,
				"the host document has schema %d; this amzprof reads "
				"schema %d only",
				need_int(&r, o, "schema"), HOST_SCHEMA);
	}

	h->sysroot = need_string(&r, o, "sysroot", false);
	h->kernel = need_string(&r, o, "kernel", false);
	h->cpu_model = need_string(&r, o, "cpu_model", false);
	sources = need(&r, o, "sources", json_type_object, false);
	for (i = 0; i < ARRAY_SIZE(fields) && !r.failed; i++)
		load_value(&r, o, sources, &fields[i], field_of(h, &fields[i]));
	cpu = need(&r, o, "cpu", json_type_object, false);
	h->online_list = need_string(&r, cpu, "online_list", false);
	h->allowed_list = need_string(&r, cpu, "allowed_list", false);
	load_topology(&r, cpu, h);
	load_types(&r, cpu, h);
	load_cgroup(&r, o, h);
	load_ignored(&r, o, h);

	if (r.failed) {
		host_free(h);
		return -1;
	}
	return 0;
}

static const char *fp_int(const struct host_value *v, char *buf, size_t len)
{
	if (v->state == HOST_SET)
		snprintf(buf, len, "%lld", v->n);
	else
		snprintf(buf, len, "%s", v->state == HOST_NO_LIMIT ? "none" : "?");
	return buf;
}

void host_fingerprint(const struct amz_host *h, char *buf, size_t len)
{
	char cores[24], smt[24], mem[24], limit[24], quota[32];

	if (h->quota.state == HOST_SET)
		snprintf(quota, sizeof(quota), "%.6g", h->quota.x);
	else
		snprintf(quota, sizeof(quota), "%s",
			 h->quota.state == HOST_NO_LIMIT ? "none" : "?");
	snprintf(buf, len,
		 "kernel=%s;cpu=%s;online=%s;cores=%s;smt=%s;allowed=%s;quota=%s;memory=%s;"
		 "limit=%s",
		 h->kernel ? h->kernel : "", h->cpu_model ? h->cpu_model : "",
		 h->online_list ? h->online_list : "",
		 fp_int(&h->online_cores, cores, sizeof(cores)), fp_int(&h->smt, smt, sizeof(smt)),
		 h->allowed_list ? h->allowed_list : "", quota,
		 fp_int(&h->mem_total, mem, sizeof(mem)),
		 fp_int(&h->mem_limit, limit, sizeof(limit)));
}
