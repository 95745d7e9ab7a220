/* Which cgroups this process is in and where their files are: /proc/self/cgroup and
 * /proc/self/mountinfo read whole, v1, v2 or hybrid decided per controller, the process's path
 * mapped through each mount's root, and the levels above it walked up to the mount point. */
#ifndef AMZ_CGROUP_H
#define AMZ_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum cgroup_version {
	CGROUP_NONE = 0,
	CGROUP_V1,
	CGROUP_V2,
	CGROUP_HYBRID, /* for the whole system only: v1 hierarchies and cgroup2 both in use */
};

/* The controllers whose limits decide what a process may use. */
enum cgroup_controller {
	CGROUP_CPU = 0,
	CGROUP_CPUSET,
	CGROUP_MEMORY,
	CGROUP_NR,
};

/* Something read and not used, and why: shown to the user as it is. */
struct cgroup_note {
	char *what;   /* the value or line, in words */
	char *source; /* the file it came from */
	char *reason;
};

struct cgroup_notes {
	struct cgroup_note *v;
	size_t n;
};

/* One line of mountinfo, the fields unescaped (\040 is a space, \134 a backslash). */
struct cgroup_mount {
	char *root;    /* the mount's root inside its filesystem (field 4) */
	char *point;   /* where it is mounted (field 5) */
	char *fstype;  /* the first field after the "-" separator */
	char *options; /* the super options: a v1 hierarchy's controllers are among them */
};

/* One line of /proc/self/cgroup: "ID:CONTROLLERS:PATH"; the path may itself hold colons. */
struct cgroup_membership {
	int id;		   /* 0 for cgroup2 */
	char *controllers; /* comma-separated, "" for cgroup2 */
	char *path;
};

/* Where one controller's files are for this process. Paths are as on the analysed host; the
 * sysroot is added only when reading. Invariant: dir is mount followed by `depth` components. */
struct cgroup_place {
	enum cgroup_version version; /* CGROUP_V1 or CGROUP_V2; CGROUP_NONE: not available */
	char *mount;		     /* the hierarchy's mount point */
	char *path;		     /* the process's path, from /proc/self/cgroup */
	char *dir;		     /* the process's cgroup directory */
	int depth;		     /* directories between dir and the mount point */
	char *how; /* how dir was found when the path did not map directly, else NULL */
	char *why; /* when version is CGROUP_NONE: the reason */
};

struct cgroup_set {
	char *sysroot; /* "" for the live system */
	enum cgroup_version version;
	struct cgroup_place place[CGROUP_NR];
	struct cgroup_notes ignored;
};

/* Finds this process's cgroups, under SYSROOT ("" or NULL: the live system, where statfs also
 * confirms each mount's filesystem). Files that are missing or garbage leave controllers
 * unavailable with the reason; only running out of memory fails. */
int cgroup_discover(struct cgroup_set *s, const char *sysroot, struct amz_err *err);
void cgroup_free(struct cgroup_set *s);

/* The directory UP levels above the process's cgroup (0: its own), which the caller frees;
 * NULL above the mount point, where the hierarchy is not visible. */
char *cgroup_level_dir(const struct cgroup_place *p, int up);

/* Reads NAME in the cgroup directory DIR, under the set's sysroot. 0, or -errno. */
int cgroup_read(const struct cgroup_set *s, const char *dir, const char *name, char **out);

const char *cgroup_version_name(enum cgroup_version v);
const char *cgroup_controller_name(enum cgroup_controller c);

/* Parsers, exposed for the tests. Lines that do not parse are skipped and counted in *bad. */
int cgroup_parse_mountinfo(const char *text, struct cgroup_mount **out, size_t *n, int *bad);
int cgroup_parse_self(const char *text, struct cgroup_membership **out, size_t *n, int *bad);
void cgroup_mounts_free(struct cgroup_mount *m, size_t n);
void cgroup_memberships_free(struct cgroup_membership *m, size_t n);

/* Decodes mountinfo's octal escapes into a new string; NULL when out of memory. */
char *cgroup_unescape(const char *field, size_t len);

/* Adds a note; returns -1 when out of memory. */
int cgroup_note_add(struct cgroup_notes *notes, const char *what, const char *source,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void cgroup_notes_free(struct cgroup_notes *notes);

#endif
