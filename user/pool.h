/* The parallel map's machinery, shared by the pool*.c files: the schedule of chunks, the
 * control block the caller and its workers share, the worker loop and the caller's waits. */
#ifndef AMZ_POOL_H
#define AMZ_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* FAC2 halves what remains each round, so 64 rounds cover any 64-bit count; two more finish
 * the items left once chunks are at their minimum size. */
#define POOL_MAX_ROUNDS 68

/* Busy-wait iterations (a few microseconds) before sleeping on a futex: enough to catch a map
 * that follows at once, short enough that spinning tasks steal little from working ones when
 * there are as many workers as CPUs. Spins of 50 us cost 200 us per map on a busy 2-CPU host,
 * and between maps they made process pools slower without making thread pools reliably
 * faster. */
#define POOL_SPIN 100

struct pool_round {
	uint64_t first_chunk; /* index of the round's first chunk */
	uint64_t first_item;  /* its first item */
	uint64_t size;	      /* items per chunk in the round */
};

/* The chunks of one map, in order of index. Invariant: the rounds tile [0, n_items) in order;
 * chunk j of a round covers size items from first_item + (j - first_chunk) * size, the last
 * chunk of the map cut at n_items. */
struct pool_sched {
	uint64_t n_items;
	uint64_t n_chunks;
	unsigned n_rounds;
	struct pool_round rounds[POOL_MAX_ROUNDS];
};

struct pool_chunk {
	uint64_t first;
	uint64_t count;
};

void pool_sched_fixed(struct pool_sched *s, uint64_t n_items, uint64_t chunksize);
void pool_sched_factoring(struct pool_sched *s, uint64_t n_items, uint64_t workers,
			  uint64_t min_chunk);

/* Chunk j; false when j is past the last chunk. *round is the caller's cache of where the
 * previous lookup ended (0 at first): a worker's chunk indices only grow. Inline, since a
 * worker calls it once per chunk. */
static inline bool pool_sched_chunk(const struct pool_sched *s, uint64_t j, unsigned *round,
				    struct pool_chunk *c)
{
	const struct pool_round *r;
	unsigned i = *round;

	if (j >= s->n_chunks)
		return false;

	while (i + 1 < s->n_rounds && s->rounds[i + 1].first_chunk <= j)
		i++;
	*round = i;

	r = &s->rounds[i];
	c->first = r->first_item + (j - r->first_chunk) * r->size;
	c->count = s->n_items - c->first < r->size ? s->n_items - c->first : r->size;
	return true;
}

/* The first item of chunk j: how many items chunks 0 to j-1 cover. */
uint64_t pool_sched_items_before(const struct pool_sched *s, uint64_t j);

enum pool_mode {
	POOL_MAP,
	POOL_STREAM,
};

/* One map, as the caller publishes it before bumping ctl->gen. Pool tasks (threads or
 * processes) whose index is below `runners` take part; with threads, the calling thread also
 * runs a map's chunks, so one pool thread sits maps out. Items and results are either
 * at an address in the caller's memory (threads, or processes forked for this very map) or
 * at an offset into the shared data area. */
struct pool_job {
	enum pool_mode mode;
	uint32_t runners;
	amz_fn fn;
	void *ctx;
	uint64_t in_size;
	uint64_t out_size;
	uint64_t in_at;
	uint64_t out_at;
	bool in_shared;
	bool out_shared;
	struct pool_sched sched; /* POOL_MAP */
	uint64_t chunksize;	 /* POOL_STREAM: item i is at ring slot i % (2 * window) */
	uint64_t window;
};

/* One worker's record, written only by that worker during a map and read by the caller once
 * the worker has finished it or died. */
struct pool_slot {
	_Atomic uint64_t busy_first;
	_Atomic uint64_t busy_count; /* 0 outside a chunk */
	_Atomic uint64_t items;	     /* items done in this map */
	_Atomic uint64_t chunks;     /* chunks started in this map */
	_Atomic uint32_t done_gen;   /* the last map this worker finished */
	_Atomic int fail_code;	     /* what fn returned, 0 if it never failed */
	_Atomic int sys_errno;	     /* the worker could not map the data area */
	_Atomic uint64_t fail_item;
	_Atomic uint64_t fail_first;
	_Atomic uint64_t fail_count;
	_Atomic uint64_t skipped_first; /* streams: a chunk taken but not run, or UINT64_MAX */
} __attribute__((aligned(128)));

/* What the caller and its workers share: in MAP_SHARED memory for processes. Fields that
 * change during a map sit on their own cache lines. */
struct pool_ctl {
	_Atomic uint32_t gen; /* bumped to start a map; workers futex-wait on it */
	_Atomic uint32_t gen_sleepers;
	_Atomic uint32_t quit;
	uint64_t data_bytes; /* size of the shared data area, for workers to remap */
	struct pool_job job;

	_Alignas(128) _Atomic uint64_t next_chunk; /* the queue: chunks are taken in index order */

	_Alignas(128) _Atomic uint32_t active; /* workers not yet finished with the map */
	_Atomic uint32_t stop;		       /* no chunk is to be started any more */

	_Alignas(128) _Atomic uint32_t caller_waiting;
	_Atomic uint32_t notify_seq; /* threads: the caller futex-waits on it */

	/* Streams: items [0, end) are published; closed once end is final. */
	_Alignas(128) _Atomic uint64_t end;
	_Atomic uint32_t closed;
	_Atomic uint32_t end_seq; /* bumped at each publication; waiting workers sleep on it */
	_Atomic uint32_t end_sleepers;
	_Alignas(128) _Atomic uint64_t win_done[2];
	_Atomic uint64_t win_len[2];

	struct pool_slot slots[];
};

/* A worker's own view: the control block, its slot, and for processes its mapping of the
 * data area. */
struct pool_worker {
	struct pool_ctl *ctl;
	struct pool_slot *slot;
	uint32_t id;
	bool process;
	int efd;
	int memfd;
	char *data;
	uint64_t data_bytes;
};

/* How a worker that ended is reported: set by the caller when it reaps the worker. */
struct pool_death {
	size_t worker;
	pid_t pid;
	int signal;
	int exit_status;
	bool reaped;		 /* false when someone else collected its status */
	struct pool_chunk chunk; /* count 0 when it ended outside a chunk */
};

struct amz_pool {
	enum amz_worker_kind kind;
	size_t workers; /* n, as asked for */
	size_t tasks;	/* threads or processes the pool starts: n, or n - 1 for a thread map */
	size_t n_slots; /* tasks, and with threads one more for the calling thread */
	bool one_shot;	/* started for one map: the workers see the caller's memory as of now */
	bool broken;	/* a worker ended: no more maps */
	uint32_t gen;
	struct pool_ctl *ctl;
	size_t ctl_bytes;

	pthread_t *threads;
	struct pool_worker *views;
	struct pool_worker caller; /* threads: the calling thread's view, slot `tasks` */
	size_t started;		   /* threads or processes started so far */

	pid_t *pids;
	int *watch_fds;	  /* readable once the worker ended; -1 once it was reaped */
	bool watch_pipes; /* watch_fds are pipes, not pidfds */
	int efd;
	int memfd;
	char *data;
	uint64_t data_bytes;
	size_t n_ended;
	struct pool_death death; /* the first worker that ended */
};

/* pool.c: the pool's life, and the caller's side of a map. */

/* Watch worker processes through pipes even where pidfds exist, as on kernels before 5.3:
 * set by tests, so that the fallback is exercised on every kernel. */
extern bool pool_watch_by_pipes;

struct amz_pool *pool_create(const struct amz_map_opts *o, size_t tasks, bool one_shot,
			     uint64_t data_bytes, struct amz_map_status *st);
void pool_destroy(struct amz_pool *p);
int pool_reserve_data(struct amz_pool *p, uint64_t bytes, struct amz_map_status *st);
void pool_publish(struct amz_pool *p, const struct pool_job *job);

typedef bool (*pool_cond)(struct amz_pool *p, uint64_t arg);

/* Waits until cond holds, sleeping between the workers' notifications; with processes, reaps
 * any worker that ended, which stops the map. */
void pool_wait(struct amz_pool *p, pool_cond cond, uint64_t arg);

/* Whether every worker still alive has finished the current map. */
bool pool_all_finished(struct amz_pool *p, uint64_t unused);

/* Stops the map: no chunk starts any more, and workers waiting for stream items wake up. */
void pool_stop(struct pool_ctl *c, bool shared);

/* pool_map.c: argument checks the map calls share. */
int pool_check_opts(const struct amz_map_opts *o, bool for_map, struct amz_map_status *st);
int pool_check_pool(const struct amz_pool *p, const struct amz_map_opts *o,
		    struct amz_map_status *st);

/* pool_worker.c */
void pool_worker_main(struct pool_worker *w);

/* The calling thread runs chunks of the current map alongside a thread pool's workers. */
void pool_worker_take_part(struct pool_worker *w);
void pool_notify_caller(struct pool_worker *w);
void pool_wake_stream(struct pool_ctl *c, bool shared);

/* pool_sync.c: futexes and spinning. */
void pool_futex_wait(_Atomic uint32_t *word, uint32_t val, bool shared);
void pool_futex_wake(_Atomic uint32_t *word, bool shared);
void pool_cpu_relax(void);

/* pool_status.c: filling struct amz_map_status. */
void pool_status_ok(struct amz_map_status *st);
int pool_status_arg(struct amz_map_status *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pool_status_system(struct amz_map_status *st, int code, const char *what);
int pool_status_broken(struct amz_map_status *st, const struct amz_pool *p);

/* Fills st from the workers' slots once every worker has finished the map: handed_end is how
 * far the queue handed items out, total the map's item count; for a stream, items count as
 * done once they went to the sink, which is the done prefix. Returns 0 or -1. */
int pool_status_gather(struct amz_pool *p, uint64_t handed_end, uint64_t total, bool stream,
		       struct amz_map_status *st);

/* The chunks that failed in this map (fn failed in them, or a worker died in them), in order,
 * into out (room for one per slot); returns how many. */
size_t pool_failed_chunks(const struct amz_pool *p, struct pool_chunk *out);

#endif
