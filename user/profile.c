/* The profile store: directory resolution and ownership, gzip-compressed JSON, atomic and
 * locked writes, and checked reads. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "profile.h"

#define SUFFIX	    ".json.gz"
#define LOCK_FILE   ".lock"
#define TEMP_PREFIX ".tmp-"

/* The filesystem identity the store's operations run with, restored by store_leave. */
struct fs_identity {
	int uid;
	int gid;
	bool switched;
};

static void store_enter(const struct profile_store *s, struct fs_identity *saved)
{
	saved->uid = saved->gid = 0;
	saved->switched = s->as_caller;
	if (!s->as_caller)
		return;
	saved->gid = setfsgid(s->gid);
	saved->uid = setfsuid(s->uid);
}

static void store_leave(const struct fs_identity *saved)
{
	if (!saved->switched)
		return;
	setfsuid((uid_t)saved->uid);
	setfsgid((gid_t)saved->gid);
}

const char *profile_kind_name(enum profile_kind kind)
{
	return kind == PROFILE_HOST ? "host" : "workload";
}

static int kind_from_name(const char *s)
{
	if (strcmp(s, "host") == 0)
		return PROFILE_HOST;
	if (strcmp(s, "workload") == 0)
		return PROFILE_WORKLOAD;
	return -1;
}

int profile_check_name(const char *name, struct amz_err *err)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > PROFILE_NAME_MAX)
		return amz_fail(err, EINVAL, "profile name '%s' must have 1 to %d characters", name,
				PROFILE_NAME_MAX);
	if (name[0] == '.' || name[0] == '-')
		return amz_fail(err, EINVAL, "profile name '%s' must not start with '%c'", name,
				name[0]);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    c != '.' && c != '_' && c != '-')
			return amz_fail(err, EINVAL,
					"profile name '%s' may hold only letters, digits, '.', '_' "
					"and '-'",
					name);
	}
	return 0;
}

void profile_name_from_command(const char *argv0, char *buf, size_t len)
{
	const char *base = strrchr(argv0, '/');
	size_t i, o = 0;

	base = base ? base + 1 : argv0;
	for (i = 0; base[i] && o + 1 < len && o < PROFILE_NAME_MAX; i++) {
		char c = base[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		if (o == 0 && (c == '.' || c == '-'))
			continue;
		buf[o++] = ok ? c : '_';
	}
	if (o == 0 && len > 8)
		o = (size_t)snprintf(buf, len, "workload");
	buf[o] = '\0';
}

void profile_path(const struct profile_store *s, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s", s->dir, name, SUFFIX);
}

static void find_caller(struct profile_store *s)
{
	s->as_caller = amz_invoking_user(&s->uid, &s->gid);
}

static char *default_dir(const struct profile_store *s)
{
	const char *state = s->as_caller ? NULL : getenv("XDG_STATE_HOME");
	const char *home = s->as_caller ? NULL : getenv("HOME");
	struct passwd *pw;
	char *dir = NULL;

	/* The XDG base directory rules ignore a relative XDG_STATE_HOME. */
	if (state && state[0] == '/') {
		if (asprintf(&dir, "%s/amzprof", state) < 0)
			return NULL;
		return dir;
	}
	if (!home || home[0] != '/') {
		pw = getpwuid(s->uid);
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return NULL;
	if (asprintf(&dir, "%s/.local/state/amzprof", home) < 0)
		return NULL;
	return dir;
}

static char *choose_dir(const struct profile_store *s, const char *dir)
{
	const char *env = getenv("AMZ_STORE");

	if (dir && *dir)
		return strdup(dir);
	if (env && *env)
		return strdup(env);
	return default_dir(s);
}

/* mkdir -p for the parents of the store, each new one 0700 as XDG asks. */
static int make_parents(char *path)
{
	char *p;

	for (p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			int e = errno;

			*p = '/';
			return -e;
		}
		*p = '/';
	}
	return 0;
}

static int open_store_dir(struct profile_store *s, struct amz_err *err)
{
	if (make_parents(s->dir) < 0 || (mkdir(s->dir, 0700) < 0 && errno != EEXIST))
		return amz_fail(err, errno, "cannot create the profile store %s: %s", s->dir,
				amz_reason(errno));

	s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dir_fd >= 0)
		return 0;
	if (errno == ELOOP || errno == ENOTDIR)
		return amz_fail(err, errno,
				"refusing the profile store %s: it is a symbolic link or not a "
				"directory",
				s->dir);
	return amz_fail(err, errno, "cannot open the profile store %s: %s", s->dir,
			amz_reason(errno));
}

static int check_store_dir(struct profile_store *s, struct amz_err *err)
{
	struct stat st;

	if (fstat(s->dir_fd, &st) < 0)
		return amz_fail(err, errno, "cannot examine the profile store %s: %s", s->dir,
				amz_reason(errno));
	if (st.st_uid != s->uid)
		return amz_fail(
			err, EPERM,
			"refusing the profile store %s: it belongs to uid %u, not to uid %u",
			s->dir, (unsigned)st.st_uid, (unsigned)s->uid);
	if ((st.st_mode & 077) && fchmod(s->dir_fd, 0700) == 0)
		amz_log(AMZ_LOG_INFO, "made the profile store %s private (mode 0700)", s->dir);
	return 0;
}

int profile_store_open(struct profile_store *s, const char *dir, struct amz_err *err)
{
	struct fs_identity saved;
	int r;

	memset(s, 0, sizeof(*s));
	s->dir_fd = -1;
	find_caller(s);

	s->dir = choose_dir(s, dir);
	if (!s->dir)
		return amz_fail(err, ENOENT,
				"cannot find a directory for profiles: set AMZ_STORE or "
				"XDG_STATE_HOME, or pass --store DIR");

	store_enter(s, &saved);
	r = open_store_dir(s, err);
	if (!r)
		r = check_store_dir(s, err);
	store_leave(&saved);

	if (r)
		profile_store_close(s);
	return r;
}

void profile_store_close(struct profile_store *s)
{
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	free(s->dir);
	s->dir = NULL;
	s->dir_fd = -1;
}

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_object *profile_new(enum profile_kind kind, const char *name)
{
	json_object *doc = json_object_new_object();
	time_t now = time(NULL);
	char when[32];

	iso_time(now, when, sizeof(when));
	json_object_object_add(doc, "schema", json_object_new_int(PROFILE_SCHEMA));
	json_object_object_add(doc, "kind", json_object_new_string(profile_kind_name(kind)));
	json_object_object_add(doc, "name", json_object_new_string(name));
	json_object_object_add(doc, "created", json_object_new_string(when));
	json_object_object_add(doc, "created_unix", json_object_new_int64((int64_t)now));
	json_object_object_add(doc, "amzprof_version", json_object_new_string(AMZ_VERSION));
	return doc;
}

/* gzip: a whole document is compressed in memory, so that the file write is one step. */
static int gzip_buffer(const char *in, size_t in_len, unsigned char **out, size_t *out_len)
{
	z_stream z;
	uLong cap;
	int r;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, (uLong)in_len) + 32;
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -ENOMEM;
	}

	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)in_len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	r = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(*out);
		return -EIO;
	}
	return 0;
}

/* Returns 0, or a sentence-ready reason in *why. */
static int gunzip_buffer(const unsigned char *in, size_t in_len, char **out, const char **why)
{
	size_t cap = in_len * 4 + 4096, used = 0;
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		*why = "out of memory";
		return -1;
	}
	*out = NULL;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)in_len;

	do {
		char *n;

		if (cap > PROFILE_MAX_JSON_BYTES + 1)
			cap = PROFILE_MAX_JSON_BYTES + 1;
		n = realloc(*out, cap + 1);
		if (!n) {
			r = Z_MEM_ERROR;
			break;
		}
		*out = n;
		z.next_out = (Bytef *)*out + used;
		z.avail_out = (uInt)(cap - used);
		r = inflate(&z, Z_NO_FLUSH);
		used = z.total_out;
		if (r == Z_OK && used >= PROFILE_MAX_JSON_BYTES)
			r = Z_BUF_ERROR + 100;
		cap *= 2;
	} while (r == Z_OK);
	inflateEnd(&z);

	if (r == Z_STREAM_END && z.avail_in == 0) {
		(*out)[used] = '\0';
		return 0;
	}

	if (r == Z_STREAM_END)
		*why = "it has data after the end of the gzip stream";
	else if (r == Z_BUF_ERROR)
		*why = "the gzip data is truncated";
	else if (r == Z_BUF_ERROR + 100)
		*why = "it decompresses to more than any profile holds";
	else if (r == Z_MEM_ERROR)
		*why = "out of memory";
	else
		*why = "it is not gzip-compressed data, or the data is corrupt";
	free(*out);
	*out = NULL;
	return -1;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int lock_store(const struct profile_store *s, struct amz_err *err)
{
	/* Read-only is enough for flock, and lets a read-only store fail later, at the write. */
	int fd = openat(s->dir_fd, LOCK_FILE, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return amz_fail(err, errno, "cannot lock the profile store %s: %s", s->dir,
				amz_reason(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;

			close(fd);
			return amz_fail(err, e, "cannot lock the profile store %s: %s", s->dir,
					amz_reason(e));
		}
	}
	return fd;
}

/* A directory stream of the store from its start: a dup'd descriptor shares the offset of
 * dir_fd, which an earlier listing left at the end. */
static DIR *open_listing(const struct profile_store *s)
{
	int fd = dup(s->dir_fd);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return NULL;
	}
	rewinddir(d);
	return d;
}

/* Under the lock no save is in progress, so any temporary file left is from a writer that
 * died; removing it keeps a crashed save from leaving litter. */
static void remove_stale_temps(const struct profile_store *s)
{
	DIR *d = open_listing(s);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0)
			unlinkat(s->dir_fd, e->d_name, 0);
	closedir(d);
}

/* An existing file under the name must be a regular file of the caller's, never a link. */
static int check_target(const struct profile_store *s, const char *file, const char *path,
			struct amz_err *err)
{
	struct stat st;

	if (fstatat(s->dir_fd, file, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : amz_fail(err, errno, "cannot examine %s: %s", path,
						  amz_reason(errno));
	if (S_ISLNK(st.st_mode))
		return amz_fail(err, ELOOP, "refusing %s: it is a symbolic link", path);
	if (!S_ISREG(st.st_mode))
		return amz_fail(err, EINVAL, "refusing %s: it is not a regular file", path);
	if (st.st_uid != s->uid)
		return amz_fail(err, EPERM, "refusing %s: it belongs to uid %u, not to uid %u",
				path, (unsigned)st.st_uid, (unsigned)s->uid);
	return 0;
}

static int open_temp(const struct profile_store *s, char *name, size_t len)
{
	int tries, fd = -1;

	for (tries = 0; tries < 100 && fd < 0; tries++) {
		snprintf(name, len, TEMP_PREFIX "%d-%08lx", (int)getpid(),
			 (unsigned long)random() ^ (unsigned long)amz_now_ns());
		fd = openat(s->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	return fd < 0 ? -EEXIST : fd;
}

static int write_temp(const struct profile_store *s, const unsigned char *gz, size_t len,
		      char *temp, size_t temp_len)
{
	int fd = open_temp(s, temp, temp_len), r;

	if (fd < 0)
		return fd;
	r = write_all(fd, gz, len);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r)
		unlinkat(s->dir_fd, temp, 0);
	return r;
}

static int replace_file(const struct profile_store *s, const char *file, const unsigned char *gz,
			size_t len)
{
	char temp[64];
	int r = write_temp(s, gz, len, temp, sizeof(temp));

	if (r)
		return r;
	/* The last moment to give up: after the rename the new file is whole and in place. */
	if (amz_stop_requested()) {
		unlinkat(s->dir_fd, temp, 0);
		return -EINTR;
	}
	if (renameat(s->dir_fd, temp, s->dir_fd, file) < 0) {
		r = -errno;
		unlinkat(s->dir_fd, temp, 0);
		return r;
	}
	if (fsync(s->dir_fd) < 0)
		return -errno;
	return 0;
}

static int save_locked(struct profile_store *s, const char *name, json_object *doc,
		       struct amz_err *err)
{
	char file[PROFILE_NAME_MAX + 16], path[4096];
	const char *text;
	unsigned char *gz;
	size_t gz_len;
	int r;

	snprintf(file, sizeof(file), "%s%s", name, SUFFIX);
	profile_path(s, name, path, sizeof(path));
	if (check_target(s, file, path, err) < 0)
		return -1;

	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	if (gzip_buffer(text, strlen(text), &gz, &gz_len) < 0)
		return amz_fail(err, ENOMEM, "cannot compress profile '%s': out of memory", name);

	r = replace_file(s, file, gz, gz_len);
	free(gz);
	if (r == -EINTR)
		return amz_fail(
			err, EINTR,
			"profile '%s' was not saved: the save was interrupted; the previous "
			"file, if any, is intact",
			name);
	if (r)
		return amz_fail(err, -r,
				"cannot save profile '%s' in %s: %s; the previous file, "
				"if any, is intact",
				name, s->dir, amz_reason(-r));
	return 0;
}

int profile_save(struct profile_store *s, const char *name, json_object *doc, struct amz_err *err)
{
	struct fs_identity saved;
	int lock, r;

	if (profile_check_name(name, err) < 0)
		return -1;

	store_enter(s, &saved);
	lock = lock_store(s, err);
	if (lock < 0) {
		store_leave(&saved);
		return -1;
	}
	remove_stale_temps(s);
	r = save_locked(s, name, doc, err);
	close(lock);
	store_leave(&saved);
	return r;
}

static int read_fd(int fd, unsigned char **out, size_t *len)
{
	size_t cap = 65536, used = 0;
	unsigned char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (used == cap) {
			unsigned char *nb;

			if (cap >= PROFILE_MAX_FILE_BYTES) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*out = buf;
	*len = used;
	return 0;
}

static int open_profile(const struct profile_store *s, const char *name, const char *path,
			struct amz_err *err)
{
	char file[PROFILE_NAME_MAX + 16];
	struct stat st;
	int fd;

	snprintf(file, sizeof(file), "%s%s", name, SUFFIX);
	fd = openat(s->dir_fd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return amz_fail(err, ENOENT, "no profile named '%s' in %s", name, s->dir);
	if (fd < 0 && errno == ELOOP)
		return amz_fail(err, ELOOP, "refusing %s: it is a symbolic link", path);
	if (fd < 0)
		return amz_fail(err, errno, "cannot read %s: %s", path, amz_reason(errno));

	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return amz_fail(err, e, "cannot examine %s: %s", path, amz_reason(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return amz_fail(err, EINVAL, "refusing %s: it is not a regular file", path);
	}
	if (st.st_uid != s->uid) {
		close(fd);
		return amz_fail(err, EPERM, "refusing %s: it belongs to uid %u, not to uid %u",
				path, (unsigned)st.st_uid, (unsigned)s->uid);
	}
	return fd;
}

static json_object *parse_json(const char *text, const char **why)
{
	json_tokener *tok = json_tokener_new();
	json_object *doc;
	size_t len = strlen(text);

	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (!doc || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		*why = doc ? "it has data after the JSON document" : "it is not valid JSON";
		json_object_put(doc);
		doc = NULL;
	}
	json_tokener_free(tok);
	return doc;
}

static int check_envelope(json_object *doc, int want, const char **why, char *buf, size_t len)
{
	json_object *v;
	int kind;

	if (!json_object_is_type(doc, json_type_object)) {
		*why = "it is JSON but not a profile";
		return -1;
	}
	if (!json_object_object_get_ex(doc, "schema", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		*why = "it has no schema number, so it is not an amzprof profile";
		return -1;
	}
	if (json_object_get_int(v) != PROFILE_SCHEMA) {
		snprintf(buf, len,
			 "it was written with profile schema %d; this amzprof reads schema %d",
			 json_object_get_int(v), PROFILE_SCHEMA);
		*why = buf;
		return -1;
	}
	if (!json_object_object_get_ex(doc, "kind", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    (kind = kind_from_name(json_object_get_string(v))) < 0) {
		*why = "it has no valid kind (host or workload)";
		return -1;
	}
	if (want >= 0 && kind != want) {
		snprintf(buf, len, "it is a %s profile, not a %s profile", profile_kind_name(kind),
			 profile_kind_name(want));
		*why = buf;
		return -1;
	}
	return 0;
}

static int decode(const unsigned char *raw, size_t len, int want, json_object **doc,
		  const char **why, char *buf, size_t buflen)
{
	char *text;

	if (gunzip_buffer(raw, len, &text, why) < 0)
		return -1;
	*doc = parse_json(text, why);
	free(text);
	if (!*doc)
		return -1;
	if (check_envelope(*doc, want, why, buf, buflen) < 0) {
		json_object_put(*doc);
		*doc = NULL;
		return -1;
	}
	return 0;
}

int profile_decode(const void *raw, size_t len, int want, json_object **doc, struct amz_err *err)
{
	const char *why = NULL;
	char buf[160];

	*doc = NULL;
	if (decode(raw, len, want, doc, &why, buf, sizeof(buf)) < 0)
		return amz_fail(err, EINVAL, "%s", why);
	return 0;
}

static int load_from_fd(int fd, const char *path, int want, json_object **doc, struct amz_err *err)
{
	unsigned char *raw = NULL;
	const char *why = NULL;
	char buf[160];
	size_t len = 0;
	int r;

	r = read_fd(fd, &raw, &len);
	if (r == -EFBIG)
		return amz_fail(err, EFBIG,
				"%s is damaged: it is larger than any profile; it was "
				"left in place",
				path);
	if (r < 0)
		return amz_fail(err, -r, "cannot read %s: %s", path, amz_reason(-r));

	r = decode(raw, len, want, doc, &why, buf, sizeof(buf));
	free(raw);
	if (r < 0)
		return amz_fail(err, EINVAL, "%s cannot be used: %s; it was left in place", path,
				why);
	return 0;
}

int profile_load(struct profile_store *s, const char *name, int want, json_object **doc,
		 struct amz_err *err)
{
	struct fs_identity saved;
	char path[4096];
	int fd, r;

	*doc = NULL;
	if (profile_check_name(name, err) < 0)
		return -1;
	profile_path(s, name, path, sizeof(path));

	store_enter(s, &saved);
	fd = open_profile(s, name, path, err);
	store_leave(&saved);
	if (fd < 0)
		return -1;

	r = load_from_fd(fd, path, want, doc, err);
	close(fd);
	return r;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static void describe_entry(struct profile_store *s, struct profile_entry *e)
{
	struct amz_err err = {0};
	json_object *doc, *v;

	if (profile_load(s, e->name, -1, &doc, &err) < 0) {
		e->damaged = true;
		snprintf(e->problem, sizeof(e->problem), "%s", err.msg);
		return;
	}
	if (json_object_object_get_ex(doc, "kind", &v))
		e->kind = (enum profile_kind)kind_from_name(json_object_get_string(v));
	if (json_object_object_get_ex(doc, "created_unix", &v))
		e->created = (time_t)json_object_get_int64(v);
	json_object_put(doc);
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct profile_entry *)a)->name,
		      ((const struct profile_entry *)b)->name);
}

static int collect_names(struct profile_store *s, struct profile_entry **out, size_t *n)
{
	struct profile_entry *list = NULL;
	size_t len = 0, cap = 0;
	DIR *d = open_listing(s);
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t nlen;

		if (e->d_name[0] == '.' || !has_suffix(e->d_name, SUFFIX))
			continue;
		nlen = strlen(e->d_name) - strlen(SUFFIX);
		if (nlen > PROFILE_NAME_MAX)
			continue;
		if (len == cap) {
			struct profile_entry *nl;

			cap = cap ? cap * 2 : 16;
			nl = realloc(list, cap * sizeof(*list));
			if (!nl) {
				free(list);
				closedir(d);
				return -ENOMEM;
			}
			list = nl;
		}
		memset(&list[len], 0, sizeof(list[len]));
		memcpy(list[len].name, e->d_name, nlen);
		len++;
	}
	closedir(d);
	*out = list;
	*n = len;
	return 0;
}

int profile_list(struct profile_store *s, struct profile_entry **out, size_t *n,
		 struct amz_err *err)
{
	struct fs_identity saved;
	size_t i;
	int r;

	*out = NULL;
	*n = 0;
	store_enter(s, &saved);
	r = collect_names(s, out, n);
	store_leave(&saved);
	if (r < 0)
		return amz_fail(err, -r, "cannot list the profile store %s: %s", s->dir,
				amz_reason(-r));

	for (i = 0; i < *n; i++)
		describe_entry(s, &(*out)[i]);
	if (*n)
		qsort(*out, *n, sizeof(**out), compare_entries);
	return 0;
}

int profile_remove(struct profile_store *s, const char *name, struct amz_err *err)
{
	char file[PROFILE_NAME_MAX + 16], path[4096];
	struct fs_identity saved;
	struct stat st;
	int lock, r = 0;

	if (profile_check_name(name, err) < 0)
		return -1;
	snprintf(file, sizeof(file), "%s%s", name, SUFFIX);
	profile_path(s, name, path, sizeof(path));

	store_enter(s, &saved);
	lock = lock_store(s, err);
	if (lock < 0) {
		store_leave(&saved);
		return -1;
	}
	if (fstatat(s->dir_fd, file, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		r = amz_fail(err, ENOENT, "no profile named '%s' in %s", name, s->dir);
	else if (unlinkat(s->dir_fd, file, 0) < 0)
		r = amz_fail(err, errno, "cannot remove %s: %s", path, amz_reason(errno));
	else
		fsync(s->dir_fd);
	close(lock);
	store_leave(&saved);
	return r;
}

int profile_get_number(json_object *obj, const char *key, double min, double max, double *out,
		       struct amz_err *err)
{
	json_object *v;
	double d;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		return amz_fail(err, EINVAL, "%s is missing", key);
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return amz_fail(err, EINVAL, "%s is not a number", key);

	d = json_object_get_double(v);
	if (isnan(d) || isinf(d))
		return amz_fail(err, EINVAL, "%s is not a finite number", key);
	if (d < min || d > max)
		return amz_fail(err, ERANGE, "%s is %g, outside the plausible range %g to %g", key,
				d, min, max);
	*out = d;
	return 0;
}
