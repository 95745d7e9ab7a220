/* Error sentences, logging through the caller's callback, whole-file reads, the clock. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static amz_log_fn log_fn;
static void *log_ctx;
static enum amz_log_level log_max = AMZ_LOG_WARN;

void amz_set_logger(amz_log_fn fn, enum amz_log_level max_level, void *ctx)
{
	log_fn = fn;
	log_max = max_level;
	log_ctx = ctx;
}

int amz_log_enabled(enum amz_log_level level)
{
	return log_fn && level <= log_max;
}

void amz_log(enum amz_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!amz_log_enabled(level))
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(level, msg, log_ctx);
}

int amz_fail(struct amz_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

const char *amz_reason(int code)
{
	static __thread char buf[128];
	size_t i;

	snprintf(buf, sizeof(buf), "%s", strerror(code));
	for (i = 0; buf[i]; i++) {
		if (i == 0 || buf[i - 1] == ' ')
			buf[i] = (char)tolower((unsigned char)buf[i]);
	}
	return buf;
}

static int grow(char **buf, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 4096;
	char *n = realloc(*buf, ncap);

	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = ncap;
	return 0;
}

int amz_read_file(const char *path, char **out, size_t *len)
{
	char *buf = NULL;
	size_t cap = 0, used = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	for (;;) {
		ssize_t n;

		if (used + 1 >= cap && (err = grow(&buf, &cap)) < 0)
			break;
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);

	if (err) {
		free(buf);
		return err;
	}
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return 0;
}

static volatile sig_atomic_t stop_signal;

void amz_request_stop(int sig)
{
	stop_signal = sig;
}

int amz_stop_requested(void)
{
	return stop_signal;
}

void amz_stop_clear(void)
{
	stop_signal = 0;
}

uint64_t amz_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_temp_beside(const char *path, char *temp, size_t len)
{
	int fd;

	snprintf(temp, len, "%s.tmp-XXXXXX", path);
	fd = mkstemp(temp);
	if (fd >= 0)
		fchmod(fd, 0644);
	return fd;
}

/* The filesystem identity of the invoking user, taken for file operations under sudo and given
 * back after them; fsuid and fsgid are per thread and change nothing else. */
struct fs_switch {
	int uid;
	int gid;
	bool switched;
};

static void become_caller(struct fs_switch *s)
{
	uid_t uid;
	gid_t gid;

	s->switched = amz_invoking_user(&uid, &gid);
	if (!s->switched)
		return;
	s->gid = setfsgid(gid);
	s->uid = setfsuid(uid);
}

static void stop_being_caller(const struct fs_switch *s)
{
	int e = errno;

	if (s->switched) {
		setfsuid((uid_t)s->uid);
		setfsgid((gid_t)s->gid);
	}
	errno = e;
}

static int write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx,
			struct amz_err *err)
{
	char temp[4096];
	int fd = open_temp_beside(path, temp, sizeof(temp)), e = 0;
	FILE *f;

	if (fd < 0)
		return amz_fail(err, errno, "cannot write %s: %s", path, amz_reason(errno));
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
	} else {
		if (write(f, ctx) < 0 || fflush(f) != 0 || ferror(f))
			e = errno ? errno : EIO;
		if (!e && fsync(fileno(f)) < 0)
			e = errno;
		if (fclose(f) != 0 && !e)
			e = errno;
	}
	if (!e && rename(temp, path) < 0)
		e = errno;
	if (e) {
		unlink(temp);
		return amz_fail(err, e, "cannot write %s: %s; the previous file, if any, is intact",
				path, amz_reason(e));
	}
	return 0;
}

int amz_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx,
		     struct amz_err *err)
{
	struct fs_switch s;
	int r;

	become_caller(&s);
	r = write_atomic(path, write, ctx, err);
	stop_being_caller(&s);
	return r;
}

bool amz_invoking_user(uid_t *uid, gid_t *gid)
{
	const char *sudo_uid = getenv("SUDO_UID"), *sudo_gid = getenv("SUDO_GID");
	char *end;
	long u, g;

	*uid = geteuid();
	*gid = getegid();
	if (*uid != 0 || !sudo_uid)
		return false;
	u = strtol(sudo_uid, &end, 10);
	if (*end || u <= 0)
		return false;
	g = sudo_gid ? strtol(sudo_gid, &end, 10) : u;
	if (sudo_gid && (*end || g < 0))
		g = u;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return true;
}

FILE *amz_fopen_as_caller(const char *path, const char *mode)
{
	struct fs_switch s;
	FILE *f;

	become_caller(&s);
	f = fopen(path, mode);
	stop_being_caller(&s);
	return f;
}
