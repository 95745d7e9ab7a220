/* Small helpers every module uses: error sentences, logging through the caller's callback,
 * and reading files whole. */
#ifndef AMZ_UTIL_H
#define AMZ_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "amorsize.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* One sentence for the user, set by the module that failed: what failed, on what, and why.
 * code is a positive errno value, or 0 when none applies. */
struct amz_err {
	int code;
	char msg[512];
};

/* Sets err (when not NULL) and returns -1, so that a failure is one statement. */
int amz_fail(struct amz_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The reason an errno value gives, in lower case words ("no such file or directory"). */
const char *amz_reason(int code);

void amz_log(enum amz_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int amz_log_enabled(enum amz_log_level level);

/* Reads a whole file into a NUL-terminated buffer the caller frees. Returns 0, or -errno. */
int amz_read_file(const char *path, char **out, size_t *len);

uint64_t amz_now_ns(void);

/* A request to stop, made by a signal handler (async-signal-safe) with the signal's number and
 * polled by long steps of the library (calibration between trials, a save before its rename),
 * which then give up cleanly with "interrupted". Nothing in the library makes the request:
 * the program that catches the signals does. amz_stop_requested returns the signal, or 0;
 * amz_stop_clear forgets it once it has been acted on. */
void amz_request_stop(int sig);
int amz_stop_requested(void);
void amz_stop_clear(void);

/* The user amzprof works for: the sudo caller (SUDO_UID, SUDO_GID) when root runs under sudo,
 * else the effective user. Returns true under sudo. */
bool amz_invoking_user(uid_t *uid, gid_t *gid);

/* Opens PATH for writing with the invoking user's filesystem identity, so that a file written
 * under sudo belongs to the caller and goes only where the caller may write. */
FILE *amz_fopen_as_caller(const char *path, const char *mode);

/* Writes a file atomically: WRITE fills a temporary file beside PATH, which is then synced and
 * renamed over PATH, so that a reader sees the old file or the new one, never a part. As
 * amz_fopen_as_caller does, it creates and renames with the invoking user's identity. */
int amz_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx,
		     struct amz_err *err);

#endif
