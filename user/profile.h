/* Saved profiles: versioned, gzip-compressed JSON documents (readable with `zcat | jq`) in a
 * private store directory, written atomically under a lock and never through a symbolic link.
 *
 * The store belongs to the invoking user, the sudo caller under sudo: its files are created and
 * read with that user's filesystem identity, 0600 in a 0700 directory. A damaged or foreign file
 * is reported with its name and left in place; a failed save leaves the previous file intact. */
#ifndef AMZ_PROFILE_H
#define AMZ_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <json-c/json.h>

#include "util.h"

/* The layout of the envelope and of every section this amzprof writes. A file with another
 * schema number is reported and not used. */
#define PROFILE_SCHEMA 1

/* Bounds on a profile file, compressed and decompressed: anything larger is not ours. */
#define PROFILE_MAX_FILE_BYTES (16u << 20)
#define PROFILE_MAX_JSON_BYTES (64u << 20)

#define PROFILE_NAME_MAX 64

enum profile_kind {
	PROFILE_HOST,	  /* calibration plus what host detection found */
	PROFILE_WORKLOAD, /* what a traced run measured, its command, its time */
};

/* An open store. Every file operation goes through dir_fd, so the directory cannot be swapped
 * for a link after it was checked. */
struct profile_store {
	char *dir;	/* absolute path, for messages */
	int dir_fd;	/* the store directory, opened without following a link */
	uid_t uid;	/* the invoking user: SUDO_UID under sudo, else the effective uid */
	gid_t gid;	/* that user's group */
	bool as_caller; /* root under sudo: file operations use the caller's fsuid and fsgid */
};

struct profile_entry {
	char name[PROFILE_NAME_MAX + 1];
	enum profile_kind kind;
	time_t created;
	bool damaged; /* could not be read; problem says why */
	char problem[512];
};

/* Opens the store: DIR when given, else $AMZ_STORE, else $XDG_STATE_HOME/amzprof of the
 * invoking user (~/.local/state/amzprof). Creates it 0700 when missing; refuses a link or a
 * directory owned by someone else. */
int profile_store_open(struct profile_store *s, const char *dir, struct amz_err *err);
void profile_store_close(struct profile_store *s);

/* A new document of this kind with the envelope filled in: schema, kind, name, created time
 * and the amzprof version. The caller adds its sections and saves it. */
json_object *profile_new(enum profile_kind kind, const char *name);

/* Writes DOC as NAME atomically: a temporary file, fsync, rename over the old file, fsync of
 * the directory, all under the store's lock. On any failure the previous file is intact; a stop
 * requested (amz_stop_requested) before the rename is such a failure. */
int profile_save(struct profile_store *s, const char *name, json_object *doc, struct amz_err *err);

/* Reads NAME and checks its envelope (schema, kind); *doc is the caller's to put. A profile of
 * another kind than WANT (when WANT >= 0) is an error. */
int profile_load(struct profile_store *s, const char *name, int want, json_object **doc,
		 struct amz_err *err);

/* Decodes a profile file's bytes (gzip, JSON, envelope) without touching the store; the
 * sentence in err says why bytes are refused. */
int profile_decode(const void *raw, size_t len, int want, json_object **doc, struct amz_err *err);

/* Every profile in the store, damaged ones included with the reason; sorted by name. */
int profile_list(struct profile_store *s, struct profile_entry **out, size_t *n,
		 struct amz_err *err);

int profile_remove(struct profile_store *s, const char *name, struct amz_err *err);

/* A name is 1 to PROFILE_NAME_MAX of [A-Za-z0-9._-], not starting with '.' or '-'. */
int profile_check_name(const char *name, struct amz_err *err);

/* A valid name for a workload profile, from the command's program name ("make", "xargs"). */
void profile_name_from_command(const char *argv0, char *buf, size_t len);

/* The path of NAME in the store, for messages. */
void profile_path(const struct profile_store *s, const char *name, char *buf, size_t len);

const char *profile_kind_name(enum profile_kind kind);

/* Reads the number at KEY of OBJ into *out, refusing a missing value, a non-number, NaN, an
 * infinity, or a value outside [min, max]; the sentence names KEY. */
int profile_get_number(json_object *obj, const char *key, double min, double max, double *out,
		       struct amz_err *err);

#endif
