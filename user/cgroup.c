/* Cgroup discovery: parses /proc/self/cgroup and /proc/self/mountinfo whole, decides v1 or v2 per
 * controller, maps the process's path through the mount's root, and trims paths that do not
 * exist. Cgroup levels above a cgroup namespace's root, or above a bind-mounted hierarchy's root,
 * are not visible from here: their limits are found only where the kernel repeats them below
 * (v1's hierarchical_memory_limit), and are otherwise invisible. */
#include <errno.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "cgroup.h"
#include "sysroot.h"

static const char *const controller_names[CGROUP_NR] = {"cpu", "cpuset", "memory"};

const char *cgroup_controller_name(enum cgroup_controller c)
{
	return controller_names[c];
}

const char *cgroup_version_name(enum cgroup_version v)
{
	switch (v) {
	case CGROUP_V1:
		return "v1";
	case CGROUP_V2:
		return "v2";
	case CGROUP_HYBRID:
		return "hybrid";
	default:
		return "none";
	}
}

int cgroup_note_add(struct cgroup_notes *notes, const char *what, const char *source,
		    const char *fmt, ...)
{
	struct cgroup_note *v = realloc(notes->v, (notes->n + 1) * sizeof(*v));
	struct cgroup_note *n;
	va_list ap;
	int r;

	if (!v)
		return -1;
	notes->v = v;
	n = &v[notes->n];
	memset(n, 0, sizeof(*n));
	va_start(ap, fmt);
	r = vasprintf(&n->reason, fmt, ap);
	va_end(ap);
	n->what = strdup(what);
	n->source = source ? strdup(source) : NULL;
	if (r < 0 || !n->what || (source && !n->source)) {
		if (r >= 0)
			free(n->reason);
		free(n->what);
		free(n->source);
		return -1;
	}
	amz_log(AMZ_LOG_INFO, "ignored %s%s%s: %s", what, source ? " from " : "",
		source ? source : "", n->reason);
	notes->n++;
	return 0;
}

void cgroup_notes_free(struct cgroup_notes *notes)
{
	size_t i;

	for (i = 0; i < notes->n; i++) {
		free(notes->v[i].what);
		free(notes->v[i].source);
		free(notes->v[i].reason);
	}
	free(notes->v);
	notes->v = NULL;
	notes->n = 0;
}

char *cgroup_unescape(const char *f, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (f[i] == '\\' && i + 3 < len && f[i + 1] >= '0' && f[i + 1] <= '3' &&
		    f[i + 2] >= '0' && f[i + 2] <= '7' && f[i + 3] >= '0' && f[i + 3] <= '7') {
			*o++ = (char)((f[i + 1] - '0') * 64 + (f[i + 2] - '0') * 8 +
				      (f[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = f[i];
		}
	}
	*o = '\0';
	return out;
}

struct span {
	const char *p;
	size_t n;
};

static bool next_field(const char **p, const char *end, struct span *f)
{
	while (*p < end && **p == ' ')
		(*p)++;
	if (*p >= end)
		return false;
	f->p = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	f->n = (size_t)(*p - f->p);
	return true;
}

/* 0 parsed, 1 not a mountinfo line, -1 out of memory. */
static int parse_mount_line(const char *p, const char *end, struct cgroup_mount *m)
{
	struct span f[6], sep, fstype, source, opts;
	int i;

	/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS */
	for (i = 0; i < 6; i++) {
		if (!next_field(&p, end, &f[i]))
			return 1;
	}
	do {
		if (!next_field(&p, end, &sep))
			return 1;
	} while (sep.n != 1 || sep.p[0] != '-');
	if (!next_field(&p, end, &fstype) || !next_field(&p, end, &source) ||
	    !next_field(&p, end, &opts))
		return 1;
	if (f[3].p[0] != '/' || f[4].p[0] != '/')
		return 1;

	m->root = cgroup_unescape(f[3].p, f[3].n);
	m->point = cgroup_unescape(f[4].p, f[4].n);
	m->fstype = cgroup_unescape(fstype.p, fstype.n);
	m->options = cgroup_unescape(opts.p, opts.n);
	if (!m->root || !m->point || !m->fstype || !m->options)
		return -1;
	return 0;
}

void cgroup_mounts_free(struct cgroup_mount *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].root);
		free(m[i].point);
		free(m[i].fstype);
		free(m[i].options);
	}
	free(m);
}

void cgroup_memberships_free(struct cgroup_membership *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].controllers);
		free(m[i].path);
	}
	free(m);
}

/* Calls fn for each line of text (without its newline); stops at fn's first negative return. */
static int for_each_line(const char *text, int (*fn)(const char *p, const char *end, void *ctx),
			 void *ctx)
{
	const char *p = text;

	while (*p) {
		const char *end = strchr(p, '\n');
		int r;

		if (!end)
			end = p + strlen(p);
		if (end > p) {
			r = fn(p, end, ctx);
			if (r < 0)
				return r;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

struct mount_list {
	struct cgroup_mount *v;
	size_t n;
	int bad;
};

static int add_mount_line(const char *p, const char *end, void *ctx)
{
	struct mount_list *l = ctx;
	struct cgroup_mount m = {0}, *v;
	int r = parse_mount_line(p, end, &m);

	if (r != 0) {
		free(m.root);
		free(m.point);
		free(m.fstype);
		free(m.options);
		if (r > 0)
			l->bad++;
		return r < 0 ? -1 : 0;
	}
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v) {
		free(m.root);
		free(m.point);
		free(m.fstype);
		free(m.options);
		return -1;
	}
	l->v = v;
	l->v[l->n++] = m;
	return 0;
}

int cgroup_parse_mountinfo(const char *text, struct cgroup_mount **out, size_t *n, int *bad)
{
	struct mount_list l = {0};

	if (for_each_line(text, add_mount_line, &l) < 0) {
		cgroup_mounts_free(l.v, l.n);
		return -1;
	}
	*out = l.v;
	*n = l.n;
	*bad = l.bad;
	return 0;
}

struct membership_list {
	struct cgroup_membership *v;
	size_t n;
	int bad;
};

static int add_membership_line(const char *p, const char *end, void *ctx)
{
	struct membership_list *l = ctx;
	const char *c1 = memchr(p, ':', (size_t)(end - p)), *c2;
	struct cgroup_membership m = {0}, *v;
	char *idend;
	long id;

	c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
	if (!c1 || !c2 || c1 == p || c2 + 1 >= end || c2[1] != '/') {
		l->bad++;
		return 0;
	}
	id = strtol(p, &idend, 10);
	if (idend != c1 || id < 0 || id > 1000000) {
		l->bad++;
		return 0;
	}

	m.id = (int)id;
	m.controllers = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
	m.path = strndup(c2 + 1, (size_t)(end - c2 - 1));
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!m.controllers || !m.path || !v) {
		free(m.controllers);
		free(m.path);
		if (v)
			l->v = v;
		return -1;
	}
	l->v = v;
	l->v[l->n++] = m;
	return 0;
}

int cgroup_parse_self(const char *text, struct cgroup_membership **out, size_t *n, int *bad)
{
	struct membership_list l = {0};

	if (for_each_line(text, add_membership_line, &l) < 0) {
		cgroup_memberships_free(l.v, l.n);
		return -1;
	}
	*out = l.v;
	*n = l.n;
	*bad = l.bad;
	return 0;
}

/* Whether the comma-separated list has the item, exactly. */
static bool list_has(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && strncmp(p, item, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

/* Whether the space-separated words have the word (cgroup.controllers). */
static bool words_have(const char *words, const char *word)
{
	size_t n = strlen(word);
	const char *p = words;

	while (*p) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
		while (*p && *p != ' ' && *p != '\n')
			p++;
	}
	return false;
}

/* Whether the path is root or below it, component-wise. */
static bool path_below(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return true;
	return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static bool has_dotdot(const char *rel)
{
	const char *p = rel;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == rel || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return true;
		p += 2;
	}
	return false;
}

static int count_components(const char *rel)
{
	int n = 0;
	const char *p;

	for (p = rel; *p; p++) {
		if (*p != '/' && (p == rel || p[-1] == '/'))
			n++;
	}
	return n;
}

static char *join(const char *mount, const char *rel)
{
	size_t m = strlen(mount);
	char *p = NULL;

	while (*rel == '/')
		rel++;
	if (!*rel)
		return strdup(mount);
	if (asprintf(&p, "%s%s%s", mount, m && mount[m - 1] == '/' ? "" : "/", rel) < 0)
		return NULL;
	return p;
}

/* The mount of a hierarchy that best shows the path: the deepest root above the path. */
static const struct cgroup_mount *pick_mount(const struct cgroup_mount *m, size_t n, bool v2,
					     const char *controller, const char *path)
{
	const struct cgroup_mount *best = NULL, *any = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(m[i].fstype, v2 ? "cgroup2" : "cgroup") != 0)
			continue;
		if (!v2 && !list_has(m[i].options, controller))
			continue;
		if (!any)
			any = &m[i];
		if (path_below(path, m[i].root) &&
		    (!best || strlen(m[i].root) > strlen(best->root)))
			best = &m[i];
	}
	return best ? best : any;
}

static int set_how(struct cgroup_place *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int set_how(struct cgroup_place *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	free(p->how);
	p->how = NULL;
	va_start(ap, fmt);
	r = vasprintf(&p->how, fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->how = NULL;
		return -1;
	}
	return 0;
}

/* Finds the directory: the path below the mount's root; when that does not exist (a moved
 * process, a "../" path from a cgroup namespace, a path from outside a bind mount), leading
 * components are dropped until a directory exists, and failing that the mount point is used. */
static int place_dir(const struct cgroup_set *s, struct cgroup_place *p,
		     const struct cgroup_mount *m)
{
	bool below = path_below(p->path, m->root);
	const char *start =
		below && strcmp(m->root, "/") != 0 ? p->path + strlen(m->root) : p->path;
	const char *rel = start;

	for (;;) {
		bool top = !*rel || strcmp(rel, "/") == 0;

		if (!has_dotdot(rel)) {
			char *dir = join(m->point, rel);

			if (!dir)
				return -1;
			if (top || sysroot_is_dir(s->sysroot, dir)) {
				p->dir = dir;
				p->depth = count_components(rel);
				break;
			}
			free(dir);
		}
		rel = strchr(rel + 1, '/');
		if (!rel)
			rel = "";
	}

	if (rel != start &&
	    set_how(p, "the path %s %s %s; %s %s", p->path,
		    below ? "does not exist under" : "is not below the mount's root",
		    below ? m->point : m->root, p->depth ? "trimmed to" : "using the mount point",
		    p->dir) < 0)
		return -1;
	if (rel == start && !below &&
	    set_how(p, "the path %s is not below the mount's root %s; read from the mount point",
		    p->path, m->root) < 0)
		return -1;
	if (!sysroot_is_dir(s->sysroot, p->dir) && !p->how &&
	    set_how(p, "no directory %s exists", p->dir) < 0)
		return -1;
	return 0;
}

/* On the live system, statfs must agree that the mount point holds that kind of hierarchy. */
static const char *confirm_fs(const struct cgroup_set *s, const struct cgroup_mount *m, bool v2,
			      char *why, size_t len)
{
	struct statfs st;

	if (s->sysroot[0])
		return NULL;
	if (statfs(m->point, &st) < 0) {
		snprintf(why, len, "statfs on %s failed: %s", m->point, amz_reason(errno));
		return why;
	}
	if ((unsigned long)st.f_type != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC)) {
		snprintf(why, len,
			 "%s is listed in mountinfo as %s but statfs finds another "
			 "filesystem there (magic 0x%lx)",
			 m->point, m->fstype, (unsigned long)st.f_type);
		return why;
	}
	return NULL;
}

static const struct cgroup_membership *find_membership(const struct cgroup_membership *v, size_t n,
						       const char *controller)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (controller ? list_has(v[i].controllers, controller)
			       : v[i].id == 0 && !v[i].controllers[0])
			return &v[i];
	}
	return NULL;
}

static int set_why(struct cgroup_place *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int set_why(struct cgroup_place *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	free(p->why);
	p->why = NULL;
	va_start(ap, fmt);
	r = vasprintf(&p->why, fmt, ap);
	va_end(ap);
	if (r < 0) {
		p->why = NULL;
		return -1;
	}
	return 0;
}

struct tables {
	struct cgroup_mount *mounts;
	size_t n_mounts;
	struct cgroup_membership *lines;
	size_t n_lines;
};

static void clear_place(struct cgroup_place *p)
{
	free(p->mount);
	free(p->path);
	free(p->dir);
	free(p->how);
	p->mount = p->path = p->dir = p->how = NULL;
	p->depth = 0;
	p->version = CGROUP_NONE;
}

static int place_at(struct cgroup_set *s, struct cgroup_place *p, const struct cgroup_mount *m,
		    const char *path, enum cgroup_version v)
{
	p->version = v;
	p->mount = strdup(m->point);
	p->path = strdup(path);
	if (!p->mount || !p->path)
		return -1;
	return place_dir(s, p, m);
}

/* The v2 hierarchy offers a controller when cgroup.controllers at its mount point lists it.
 * The process's own cgroup may not have it enabled while an ancestor still limits it, so the
 * mount point decides; when that file cannot be read, the controller's own files decide. */
static int check_v2_controller(struct cgroup_set *s, struct cgroup_place *p, const char *name)
{
	char *list = NULL;
	int r = cgroup_read(s, p->mount, "cgroup.controllers", &list);

	if (r < 0) {
		amz_log(AMZ_LOG_INFO,
			"cgroup: cannot read cgroup.controllers in %s (%s); looking "
			"for the %s files themselves",
			p->mount, amz_reason(-r), name);
		return 0;
	}
	if (!words_have(list, name)) {
		r = set_why(p,
			    "the cgroup2 hierarchy at %s does not offer the %s controller "
			    "(cgroup.controllers: \"%s\")",
			    p->mount, name, sysroot_trim(list));
		free(list);
		clear_place(p);
		return r;
	}
	free(list);
	return 0;
}

static int place_controller(struct cgroup_set *s, const struct tables *t, enum cgroup_controller c)
{
	const char *name = controller_names[c];
	struct cgroup_place *p = &s->place[c];
	const struct cgroup_membership *line = find_membership(t->lines, t->n_lines, name);
	const struct cgroup_membership *v2line = find_membership(t->lines, t->n_lines, NULL);
	const struct cgroup_mount *m;
	char why[512];

	if (line) {
		m = pick_mount(t->mounts, t->n_mounts, false, name, line->path);
		if (!m)
			return set_why(p,
				       "/proc/self/cgroup puts the process in a v1 %s hierarchy "
				       "that is not mounted",
				       name);
		if (confirm_fs(s, m, false, why, sizeof(why)))
			return set_why(p, "%s", why);
		return place_at(s, p, m, line->path, CGROUP_V1);
	}

	m = v2line ? pick_mount(t->mounts, t->n_mounts, true, NULL, v2line->path) : NULL;
	if (!m)
		return set_why(p, "no mounted cgroup hierarchy has the %s controller", name);
	if (confirm_fs(s, m, true, why, sizeof(why)))
		return set_why(p, "%s", why);
	if (place_at(s, p, m, v2line->path, CGROUP_V2) < 0)
		return -1;
	return check_v2_controller(s, p, name);
}

static bool v1_hierarchy_mounted(const struct tables *t, const struct cgroup_membership *line)
{
	char *first = strndup(line->controllers, strcspn(line->controllers, ","));
	bool found;

	if (!first)
		return false;
	found = pick_mount(t->mounts, t->n_mounts, false, first, line->path) != NULL;
	free(first);
	return found;
}

static int decide_version(struct cgroup_set *s, const struct tables *t)
{
	bool v1 = false, v2 = false;
	size_t i;

	for (i = 0; i < t->n_lines; i++) {
		const struct cgroup_membership *l = &t->lines[i];

		if (l->controllers[0]) {
			v1 = v1 || v1_hierarchy_mounted(t, l);
			continue;
		}
		if (l->id == 0 && pick_mount(t->mounts, t->n_mounts, true, NULL, l->path)) {
			v2 = true;
			continue;
		}
		if (cgroup_note_add(
			    &s->ignored, "the cgroup2 membership line", "/proc/self/cgroup",
			    "no cgroup2 filesystem is mounted, so the path %s leads nowhere",
			    l->path) < 0)
			return -1;
	}
	s->version = v1 && v2 ? CGROUP_HYBRID : v1 ? CGROUP_V1 : v2 ? CGROUP_V2 : CGROUP_NONE;
	return 0;
}

static int unavailable(struct cgroup_set *s, const char *fmt, const char *file, int code)
{
	int c;

	for (c = 0; c < CGROUP_NR; c++) {
		if (set_why(&s->place[c], fmt, file, amz_reason(code)) < 0)
			return -1;
	}
	return 0;
}

static int read_tables(struct cgroup_set *s, struct tables *t)
{
	char *self = NULL, *mountinfo = NULL;
	int r, bad_self = 0, bad_mounts = 0;

	r = sysroot_read(s->sysroot, "/proc/self/cgroup", &self);
	if (r < 0)
		return unavailable(s, "cannot read %s: %s", "/proc/self/cgroup", -r) < 0 ? -1 : 1;
	r = sysroot_read(s->sysroot, "/proc/self/mountinfo", &mountinfo);
	if (r < 0) {
		free(self);
		return unavailable(s, "cannot read %s: %s", "/proc/self/mountinfo", -r) < 0 ? -1
											    : 1;
	}

	r = cgroup_parse_self(self, &t->lines, &t->n_lines, &bad_self);
	if (r == 0)
		r = cgroup_parse_mountinfo(mountinfo, &t->mounts, &t->n_mounts, &bad_mounts);
	free(self);
	free(mountinfo);
	if (r < 0)
		return -1;

	if (bad_self &&
	    cgroup_note_add(&s->ignored, "lines of /proc/self/cgroup", "/proc/self/cgroup",
			    "%d line(s) are not of the form ID:CONTROLLERS:/PATH", bad_self) < 0)
		return -1;
	if (bad_mounts &&
	    cgroup_note_add(
		    &s->ignored, "lines of mountinfo", "/proc/self/mountinfo",
		    "%d line(s) are not mountinfo lines (no \"-\" separator or too few fields)",
		    bad_mounts) < 0)
		return -1;
	return 0;
}

static void log_place(const struct cgroup_place *p, const char *name)
{
	if (p->version == CGROUP_NONE) {
		amz_log(AMZ_LOG_INFO, "cgroup: no %s controller: %s", name, p->why);
		return;
	}
	amz_log(AMZ_LOG_INFO,
		"cgroup: %s controller on %s, mounted at %s; process path %s, "
		"directory %s%s%s",
		name, cgroup_version_name(p->version), p->mount, p->path, p->dir,
		p->how ? "; " : "", p->how ? p->how : "");
}

int cgroup_discover(struct cgroup_set *s, const char *sysroot, struct amz_err *err)
{
	struct tables t = {0};
	int r, c;

	memset(s, 0, sizeof(*s));
	s->sysroot = strdup(sysroot ? sysroot : "");
	if (!s->sysroot)
		return amz_fail(err, ENOMEM, "cannot look for cgroups: out of memory");

	/* Both files whole: every line of /proc/self/cgroup, every mount. */
	r = read_tables(s, &t);
	if (r > 0)
		return 0;

	/* Each controller on its own: hybrid systems split them between v1 and v2. */
	for (c = 0; r == 0 && c < CGROUP_NR; c++) {
		r = place_controller(s, &t, (enum cgroup_controller)c);
		if (r == 0)
			log_place(&s->place[c], controller_names[c]);
	}
	if (r == 0)
		r = decide_version(s, &t);

	cgroup_mounts_free(t.mounts, t.n_mounts);
	cgroup_memberships_free(t.lines, t.n_lines);
	if (r < 0) {
		cgroup_free(s);
		return amz_fail(err, ENOMEM, "cannot look for cgroups: out of memory");
	}
	amz_log(AMZ_LOG_INFO, "cgroup: version %s", cgroup_version_name(s->version));
	return 0;
}

void cgroup_free(struct cgroup_set *s)
{
	int c;

	for (c = 0; c < CGROUP_NR; c++) {
		clear_place(&s->place[c]);
		free(s->place[c].why);
		s->place[c].why = NULL;
	}
	cgroup_notes_free(&s->ignored);
	free(s->sysroot);
	s->sysroot = NULL;
}

char *cgroup_level_dir(const struct cgroup_place *p, int up)
{
	char *dir;
	int i;

	if (p->version == CGROUP_NONE || up < 0 || up > p->depth)
		return NULL;
	if (up == p->depth)
		return strdup(p->mount);
	dir = strdup(p->dir);
	for (i = 0; dir && i < up; i++) {
		char *slash = strrchr(dir, '/');

		if (slash)
			*slash = '\0';
	}
	return dir;
}

int cgroup_read(const struct cgroup_set *s, const char *dir, const char *name, char **out)
{
	return sysroot_read_in(s->sysroot, dir, name, out);
}
