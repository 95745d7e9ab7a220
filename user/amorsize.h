/* libamorsize: how many workers and what chunk size a parallel map should use on this host,
 * from measured overheads, and the parallel map itself. */
#ifndef AMORSIZE_H
#define AMORSIZE_H

#include <stddef.h>

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

/* ---- The parallel map ----------------------------------------------------------------------
 *
 * amz_map applies fn to n_items items with `workers` workers, in chunks handed out dynamically,
 * in order of index, from a queue the workers share: each chunk is one atomic increment, with no
 * system call, and idle workers sleep on a futex. Results land in place: out[i] is what a serial
 * loop `for (i = 0; i < n_items; i++) fn(&in[i], &out[i], ctx)` would have left there, whatever
 * the workers, the chunk size and the schedule. Each chunk is marked by the USDT probes
 * amz:chunk_begin and amz:chunk_end (first index, item count), free when nothing is attached.
 *
 * Workers are processes or threads. Processes are forked once per amz_map call (or once per
 * pool); fn runs in the child and writes its results to memory shared with the caller, which
 * copies them into out before returning. So, with processes:
 *   - fn sees the caller's memory as it was when the workers were forked (by amz_map, at the
 *     call; by amz_pool_new, at that call: a pool copies each map's items to shared memory, but
 *     anything else fn or ctx points to must not change after amz_pool_new);
 *   - what fn writes anywhere but its result is lost when the worker ends, and so is stdio
 *     output it did not flush (workers end with _exit);
 *   - in a program with other threads a worker has only the forking thread, as after any
 *     fork: fn must not need a lock another thread may have held at that moment;
 *   - a worker that crashes, is killed or exits ends the map with AMZ_ERR_WORKER, not the
 *     caller's process;
 *   - the workers end with the thread that forked them (they hold PR_SET_PDEATHSIG).
 * Threads share everything with the caller; fn must then be safe to call concurrently. The
 * calling thread is one of a map's n workers, beside n - 1 threads (a pool keeps n threads, one
 * of which sits maps out); in a stream it reads the source and feeds the sink while n threads
 * process the items.
 *
 * amz_map starts no more workers than there are chunks. The map functions return 0 on success
 * and -1 on failure, and fill the status, when one is given, in both cases; amz_pool_new
 * returns NULL on failure. Nothing is printed. */

/* Applies the function to one item: reads *in (in_size bytes), writes *out (out_size bytes).
 * Returns 0, or a non-zero code of its own that stops the map (AMZ_ERR_FN). */
typedef int (*amz_fn)(const void *in, void *out, void *ctx);

enum amz_worker_kind {
	AMZ_PROCESSES = 0, /* forked processes, results through shared memory */
	AMZ_THREADS = 1,   /* POSIX threads of the calling process */
};

enum amz_schedule {
	/* Chunks of exactly `chunksize` items (the last one shorter). */
	AMZ_SCHEDULE_FIXED = 0,
	/* Factoring (FAC2): rounds of `workers` equal chunks, each round covering half of the
	 * items that remain, so chunks shrink as the map ends and a slow item late in the map
	 * leaves the others less to wait for; `chunksize` is then the smallest chunk. */
	AMZ_SCHEDULE_FACTORING = 1,
};

/* How to run a map. */
struct amz_map_opts {
	size_t workers;		   /* 1 to AMZ_MAX_WORKERS */
	size_t chunksize;	   /* at least 1; larger than the item count means one chunk */
	enum amz_worker_kind kind; /* for a pool: must be the pool's */
	enum amz_schedule schedule;
};

#define AMZ_MAX_WORKERS 1024

/* What a map call ended with: status.code. */
enum amz_status_code {
	AMZ_OK = 0,
	/* A bad argument: a null function, buffer, pool or option struct, zero workers or more
	 * than AMZ_MAX_WORKERS, a chunk size of zero, an unknown kind or schedule, sizes whose
	 * product overflows, in and out overlapping other than exactly (same buffer, same item
	 * size), options that do not match the pool, or factoring asked of a stream. Nothing ran.
	 */
	AMZ_ERR_ARG = 1,
	/* fn returned fn_error for item `item` in chunk [chunk_first, chunk_first + chunk_count).
	 * Chunks already running were finished; no worker took another once it saw the failure.
	 * The pool stays usable. */
	AMZ_ERR_FN = 2,
	/* A worker process ended during the map (or, in a pool, since the last one): killed by
	 * `signal`, or exited with `exit_status` (signal 0). When it was running a chunk,
	 * chunk_count is non-zero and names it; that chunk's results are lost. The others take no
	 * chunk once the caller has seen the death (a poll on pidfds, so at once), finish the
	 * ones they run, and stop. The pool is broken: its next maps fail with AMZ_ERR_BROKEN. */
	AMZ_ERR_WORKER = 3,
	/* The stream's source returned fn_error. Every item read before was processed and handed
	 * to the sink. */
	AMZ_ERR_SOURCE = 4,
	/* The stream's sink returned fn_error; the results of that call do not count as done,
	 * and no further results were handed to it. */
	AMZ_ERR_SINK = 5,
	/* The system refused a resource (memory, a mapping, a process, a thread): sys_errno. */
	AMZ_ERR_SYSTEM = 6,
	/* The pool lost a worker in an earlier map and runs no more maps; free it. */
	AMZ_ERR_BROKEN = 7,
};

/* What happened in a map call. On failure, every item below done_prefix has its result in out
 * (for a stream: was handed to the sink); so does every other item counted in items_done, but
 * which ones is not listed. Results of items in a failed chunk are unspecified; items never
 * started leave out untouched. */
struct amz_map_status {
	enum amz_status_code code;
	size_t items_done;  /* items whose results are in out (or were handed to the sink) */
	size_t done_prefix; /* items [0, done_prefix) are all done */
	size_t chunks;	    /* chunks started */
	size_t chunk_first; /* AMZ_ERR_FN, AMZ_ERR_WORKER: the failed chunk (the lowest one) */
	size_t chunk_count; /*   0 when a worker ended outside any chunk */
	size_t item;	    /* AMZ_ERR_FN: the item fn failed on */
	int fn_error;	 /* AMZ_ERR_FN, AMZ_ERR_SOURCE, AMZ_ERR_SINK: what the callback returned */
	int signal;	 /* AMZ_ERR_WORKER: the signal that killed the worker, 0 if it exited */
	int exit_status; /* AMZ_ERR_WORKER: its exit status when it exited */
	int sys_errno;	 /* AMZ_ERR_SYSTEM: the errno value */
	char msg[256];	 /* one sentence: what failed, on what, and why; "" on success */
};

/* Runs fn over n_items items: in holds n_items items of in_size bytes, out receives n_items
 * results of out_size bytes. in may be NULL when in_size or n_items is 0, out when out_size or
 * n_items is 0; in == out with in_size == out_size maps in place. Zero items is an empty map
 * (no worker starts). The workers start at the call and end before it returns. */
AMZ_API int amz_map(amz_fn fn, void *ctx, const void *in, size_t in_size, void *out,
		    size_t out_size, size_t n_items, const struct amz_map_opts *o,
		    struct amz_map_status *st);

/* ---- Streams: items of unknown number ----
 *
 * The source fills `items` with up to max_items items and sets *n_read; it may return fewer
 * than asked, and reports the end with *n_read == 0. It returns 0, or a non-zero code that ends
 * the stream (AMZ_ERR_SOURCE). The sink receives the results in order of index, each call the
 * next n results (and their items), first being the index of the first; the pointers are valid
 * during the call only. It returns 0, or a non-zero code (AMZ_ERR_SINK). Both run on the calling
 * thread, the source while the workers process earlier items. Every item is processed exactly
 * once and handed to the sink exactly once. Streams use the fixed schedule: factoring needs to
 * know how many items remain. */
typedef int (*amz_source_fn)(void *items, size_t max_items, size_t *n_read, void *ctx);
typedef int (*amz_sink_fn)(const void *items, const void *results, size_t first, size_t n,
			   void *ctx);

struct amz_stream {
	amz_source_fn source;
	void *source_ctx;
	size_t in_size; /* bytes per item */
	amz_sink_fn sink;
	void *sink_ctx;
	size_t out_size; /* bytes per result */
};

AMZ_API int amz_map_stream(amz_fn fn, void *ctx, const struct amz_stream *s,
			   const struct amz_map_opts *o, struct amz_map_status *st);

/* ---- Pools: workers started once, reused across maps ----
 *
 * amz_pool_new starts o->workers workers of o->kind (o->chunksize and o->schedule are not used
 * and may be 0). amz_pool_map and amz_pool_map_stream behave as amz_map and amz_map_stream with
 * the pool's workers; their o->workers and o->kind must be the pool's. One map runs at a time
 * per pool: calls on one pool must not overlap. amz_pool_free ends the workers (NULL is
 * allowed). */
struct amz_pool;

AMZ_API struct amz_pool *amz_pool_new(const struct amz_map_opts *o, struct amz_map_status *st);
AMZ_API int amz_pool_map(struct amz_pool *p, amz_fn fn, void *ctx, const void *in, size_t in_size,
			 void *out, size_t out_size, size_t n_items, const struct amz_map_opts *o,
			 struct amz_map_status *st);
AMZ_API int amz_pool_map_stream(struct amz_pool *p, amz_fn fn, void *ctx,
				const struct amz_stream *s, const struct amz_map_opts *o,
				struct amz_map_status *st);
AMZ_API void amz_pool_free(struct amz_pool *p);

/* Recommendations. amz_optimize samples fn on items chosen at random across the whole input
 * (one from each of max_samples equal strata, so work that is fast first and slow later is
 * seen), reads the saved host profile for this host's spawn and hand-off costs (or, when there
 * is none valid, calibrates in user space for about a third of a second and says so in
 * `costs`), and returns the workers and chunk size that minimise the predicted run time, with
 * where each figure came from. The sampled items' results are written to out; fn is run on them
 * again by a later map, so it must be free of side effects that matter when repeated. */

/* One input of a recommendation and where it came from, in words. */
struct amz_figure {
	double value;
	char source[160];
};

struct amz_recommendation {
	size_t workers;	  /* 1 when serial */
	size_t chunksize; /* items per chunk (the smallest, for factoring) */
	enum amz_schedule schedule;
	double speedup;		       /* predicted, over running serially */
	int serial;		       /* non-zero: a pool does not win; run serially */
	char reason[512];	       /* the choice in plain words, naming what limits it */
	char costs[256];	       /* where the host's costs came from */
	struct amz_figure item_ns;     /* mean time of one item on one CPU */
	struct amz_figure item_cv;     /* its spread: standard deviation over mean */
	struct amz_figure spawn_ns;    /* starting one worker */
	struct amz_figure dispatch_ns; /* handing a worker one chunk */
	struct amz_figure cpus;	       /* CPUs this process may use */
	struct amz_figure memory_left; /* bytes new workers may use, -1 unknown */
	double *curve;		       /* curve[i]: predicted speedup with i + 1 workers */
	size_t curve_len;
};

struct amz_optimize_opts {
	enum amz_worker_kind kind; /* the workers the map will use */
	size_t max_samples;	   /* items sampled at most; 0: 32 */
	double max_seconds;	   /* time spent sampling at most; 0: 0.2 s */
	unsigned int seed;	   /* which item of each stratum is sampled */
	const char *store;	   /* the profile store; NULL: $AMZ_STORE or the XDG default */
};

/* Fills rec; 0, or -1 with st->code and st->msg set (AMZ_ERR_FN when fn failed on a sampled
 * item, AMZ_ERR_ARG for bad arguments, AMZ_ERR_SYSTEM when nothing could be measured). Free
 * rec with amz_recommendation_free. With zero items, rec says to run serially. */
AMZ_API int amz_optimize(amz_fn fn, void *ctx, const void *in, size_t in_size, void *out,
			 size_t out_size, size_t n_items, const struct amz_optimize_opts *o,
			 struct amz_recommendation *rec, struct amz_map_status *st);

AMZ_API void amz_recommendation_free(struct amz_recommendation *rec);

/* amz_optimize, then amz_map with what it recommends (serially when it says so). rec may be
 * NULL; when given, it receives the recommendation, to be freed by the caller. */
AMZ_API int amz_map_auto(amz_fn fn, void *ctx, const void *in, size_t in_size, void *out,
			 size_t out_size, size_t n_items, const struct amz_optimize_opts *o,
			 struct amz_recommendation *rec, struct amz_map_status *st);

#ifdef __cplusplus
}
#endif

#endif
