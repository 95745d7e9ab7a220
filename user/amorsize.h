/* libamorsize: how many workers and what chunk size a parallel map should use on this host,
 * from measured overheads, and the parallel map itself. */
#ifndef AMORSIZE_H
#define AMORSIZE_H

#ifdef __cplusplus
extern "C" {
#endif

#define AMZ_VERSION "0.1.0"

/* Every function of the public API is exported from libamorsize.so; nothing else is. */
#define AMZ_API __attribute__((visibility("default")))

enum amz_log_level {
	AMZ_LOG_WARN = 0,  /* something was ignored or fell back; shown by default */
	AMZ_LOG_INFO = 1,  /* what was detected and decided; amzprof -v */
	AMZ_LOG_DEBUG = 2, /* libbpf's own output and fine detail; amzprof -vv */
};

/* The library prints nothing itself: every message goes to this callback, if one is set. */
typedef void (*amz_log_fn)(enum amz_log_level level, const char *msg, void *ctx);

AMZ_API void amz_set_logger(amz_log_fn fn, enum amz_log_level max_level, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
