/* Probe workloads: spawning (fork at a parent size, a thread, posix_spawn), handing a sleeping
 * partner one message (pipe, futex, Unix socket), streaming bytes (pipe, shared memory), and
 * two busy threads on SMT siblings against separate cores. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "amorsize.h"
#include "calibrate_probes.h"
#include "util.h"

extern char **environ;

#define STREAM_BYTES (1u << 20)
#define STREAM_PIECE (64u << 10)
#define SMT_SPIN_NS  10000000ull

/* Empty one-item chunks per pool trial: enough that the pool's wakeup at the start of a map is
 * a small part of the trial. */
#define POOL_CHUNKS 20000

/* Words shared between the parent and its partner process. */
struct shared_page {
	_Atomic uint64_t stamp;	  /* the child's first-run time */
	_Atomic uint32_t request; /* futex: 1 = go, 2 = exit */
	_Atomic uint32_t reply;	  /* futex: 1 = done */
};

struct probe_state {
	enum probe_kind kind;
	struct probe_params p;
	struct shared_page *shm;
	pid_t partner;
	int to_partner, from_partner; /* pipe or socket ends */
	void *ballast;		      /* fork probes: the parent's touched memory */
	unsigned char *stream;	      /* IPC probes: the bytes to move */
	unsigned char *shm_buf;	      /* shared-memory IPC: the shared buffer */
	struct amz_pool *pool;	      /* pool probes: workers started once, reused */
	cpu_set_t saved_affinity;
	bool pinned;
};

static int pin_to(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, (uint32_t *)addr, op, val, NULL, NULL, 0);
}

static void futex_wait_while(_Atomic uint32_t *addr, uint32_t val)
{
	while (atomic_load(addr) == val)
		futex(addr, FUTEX_WAIT, val);
}

static int full_write(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int full_read(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Partners: each runs in a child process until its channel closes or it is told to exit. */

static void echo_partner(int in, int out)
{
	char c;

	while (full_read(in, &c, 1) == 0)
		if (full_write(out, &c, 1) < 0)
			break;
	_exit(0);
}

static void futex_partner(struct shared_page *shm)
{
	for (;;) {
		futex_wait_while(&shm->request, 0);
		if (atomic_load(&shm->request) == 2)
			_exit(0);
		atomic_store(&shm->request, 0);
		atomic_store(&shm->reply, 1);
		futex(&shm->reply, FUTEX_WAKE, 1);
	}
}

static void drain_partner(int in, int out)
{
	unsigned char *buf = malloc(STREAM_PIECE);
	size_t got = 0;
	char ack = 1;

	if (!buf)
		_exit(1);
	for (;;) {
		ssize_t n = read(in, buf, STREAM_PIECE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= STREAM_BYTES) {
			got -= STREAM_BYTES;
			if (full_write(out, &ack, 1) < 0)
				break;
		}
	}
	_exit(0);
}

static void shm_partner(struct shared_page *shm, const unsigned char *shared)
{
	unsigned char *dst = malloc(STREAM_BYTES);

	if (!dst)
		_exit(1);
	for (;;) {
		futex_wait_while(&shm->request, 0);
		if (atomic_load(&shm->request) == 2)
			_exit(0);
		memcpy(dst, shared, STREAM_BYTES);
		atomic_store(&shm->request, 0);
		atomic_store(&shm->reply, 1);
		futex(&shm->reply, FUTEX_WAKE, 1);
	}
}

static int make_channel(struct probe_state *s, int there[2])
{
	int a[2], b[2];

	if (s->kind == PROBE_UNIX) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0)
			return -errno;
		s->to_partner = s->from_partner = a[0];
		there[0] = there[1] = a[1];
		return 0;
	}
	if (pipe2(a, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(b, O_CLOEXEC) < 0) {
		int e = errno;

		close(a[0]);
		close(a[1]);
		return -e;
	}
	s->to_partner = a[1];
	s->from_partner = b[0];
	there[0] = a[0];
	there[1] = b[1];
	return 0;
}

static void close_channel_ends(int there[2])
{
	close(there[0]);
	if (there[1] != there[0])
		close(there[1]);
}

static void run_partner(struct probe_state *s, int there[2])
{
	/* The parent's ends must close here too, or the partner never sees end of file. */
	if (s->to_partner >= 0)
		close(s->to_partner);
	if (s->from_partner >= 0 && s->from_partner != s->to_partner)
		close(s->from_partner);
	if (pin_to(s->p.cpu_b) < 0)
		_exit(1);
	switch (s->kind) {
	case PROBE_FUTEX:
		futex_partner(s->shm);
		break;
	case PROBE_IPC_SHM:
		shm_partner(s->shm, s->shm_buf);
		break;
	case PROBE_IPC_PIPE:
		drain_partner(there[0], there[1]);
		break;
	default:
		echo_partner(there[0], there[1]);
	}
	_exit(0);
}

static int start_partner(struct probe_state *s)
{
	int there[2] = {-1, -1}, r = 0;
	bool channel = s->kind != PROBE_FUTEX && s->kind != PROBE_IPC_SHM;

	if (channel && (r = make_channel(s, there)) < 0)
		return r;

	s->partner = fork();
	if (s->partner < 0) {
		r = -errno;
		if (channel)
			close_channel_ends(there);
		return r;
	}
	if (s->partner == 0)
		run_partner(s, there);
	if (channel)
		close_channel_ends(there);
	return 0;
}

static void stop_partner(struct probe_state *s)
{
	if (s->partner <= 0)
		return;
	if (s->shm) {
		atomic_store(&s->shm->request, 2);
		futex(&s->shm->request, FUTEX_WAKE, 1);
	}
	if (s->to_partner >= 0)
		close(s->to_partner);
	if (s->from_partner >= 0 && s->from_partner != s->to_partner)
		close(s->from_partner);
	s->to_partner = s->from_partner = -1;
	reap(s->partner);
	s->partner = 0;
}

/* Memory the parent touches before forking, in 4 KiB pages: the common case for a heap, and
 * the one whose page tables fork must copy entry by entry. */
static int touch_ballast(struct probe_state *s)
{
	size_t i;

	if (!s->p.rss_bytes)
		return 0;
	s->ballast = mmap(NULL, s->p.rss_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (s->ballast == MAP_FAILED) {
		s->ballast = NULL;
		return -errno;
	}
	madvise(s->ballast, s->p.rss_bytes, MADV_NOHUGEPAGE);
	for (i = 0; i < s->p.rss_bytes; i += 4096)
		((volatile char *)s->ballast)[i] = (char)i;
	return 0;
}

static int alloc_shared(struct probe_state *s)
{
	s->shm = mmap(NULL, sizeof(*s->shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		      0);
	if (s->shm == MAP_FAILED) {
		s->shm = NULL;
		return -errno;
	}
	if (s->kind != PROBE_IPC_SHM && s->kind != PROBE_IPC_PIPE)
		return 0;

	s->stream = malloc(STREAM_BYTES);
	if (!s->stream)
		return -ENOMEM;
	memset(s->stream, 0x5a, STREAM_BYTES);
	if (s->kind == PROBE_IPC_PIPE)
		return 0;
	s->shm_buf =
		mmap(NULL, STREAM_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->shm_buf == MAP_FAILED) {
		s->shm_buf = NULL;
		return -errno;
	}
	memset(s->shm_buf, 0, STREAM_BYTES);
	return 0;
}

static bool needs_partner(enum probe_kind k)
{
	return k == PROBE_PIPE || k == PROBE_FUTEX || k == PROBE_UNIX || k == PROBE_IPC_PIPE ||
	       k == PROBE_IPC_SHM;
}

static int empty_item(const void *in, void *out, void *ctx)
{
	(void)in;
	(void)out;
	(void)ctx;
	return 0;
}

static int start_pool(struct probe_state *s)
{
	struct amz_map_opts o = {.workers = 2, .chunksize = 1};
	struct amz_map_status st;

	o.kind = s->kind == PROBE_POOL_THREADS ? AMZ_THREADS : AMZ_PROCESSES;
	s->pool = amz_pool_new(&o, &st);
	return s->pool ? 0 : -(st.sys_errno ? st.sys_errno : EINVAL);
}

int probe_setup(enum probe_kind kind, const struct probe_params *p, struct probe_state **out)
{
	struct probe_state *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->kind = kind;
	s->p = *p;
	s->to_partner = s->from_partner = -1;
	*out = s;

	if (sched_getaffinity(0, sizeof(s->saved_affinity), &s->saved_affinity) == 0 &&
	    kind != PROBE_SMT)
		s->pinned = pin_to(p->cpu_a) == 0 && p->cpu_a >= 0;

	r = alloc_shared(s);
	if (!r)
		r = touch_ballast(s);
	if (!r && needs_partner(kind))
		r = start_partner(s);
	if (!r && (kind == PROBE_POOL_THREADS || kind == PROBE_POOL_PROCESSES))
		r = start_pool(s);
	if (r) {
		probe_teardown(s);
		*out = NULL;
	}
	return r;
}

void probe_teardown(struct probe_state *s)
{
	if (!s)
		return;
	stop_partner(s);
	if (s->pool)
		amz_pool_free(s->pool);
	if (s->pinned)
		sched_setaffinity(0, sizeof(s->saved_affinity), &s->saved_affinity);
	if (s->ballast)
		munmap(s->ballast, s->p.rss_bytes);
	if (s->shm_buf)
		munmap(s->shm_buf, STREAM_BYTES);
	if (s->shm)
		munmap(s->shm, sizeof(*s->shm));
	free(s->stream);
	free(s);
}

static int trial_fork(struct probe_state *s, struct probe_sample *out)
{
	uint64_t t0, t1;
	pid_t pid;

	atomic_store(&s->shm->stamp, 0);
	t0 = amz_now_ns();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		atomic_store(&s->shm->stamp, amz_now_ns());
		_exit(0);
	}
	t1 = amz_now_ns();
	reap(pid);

	out->value = (double)(atomic_load(&s->shm->stamp) - t0);
	out->parent = (double)(t1 - t0);
	return 0;
}

static void *thread_first_run(void *arg)
{
	atomic_store((_Atomic uint64_t *)arg, amz_now_ns());
	return NULL;
}

static int trial_thread(struct probe_state *s, struct probe_sample *out)
{
	pthread_t tid;
	uint64_t t0, t1;
	int r;

	atomic_store(&s->shm->stamp, 0);
	t0 = amz_now_ns();
	r = pthread_create(&tid, NULL, thread_first_run, (void *)&s->shm->stamp);
	if (r)
		return -r;
	t1 = amz_now_ns();
	pthread_join(tid, NULL);

	out->value = (double)(atomic_load(&s->shm->stamp) - t0);
	out->parent = (double)(t1 - t0);
	return 0;
}

static int trial_posix_spawn(struct probe_state *s, struct probe_sample *out)
{
	char *argv[] = {(char *)s->p.binary, NULL};
	uint64_t t0, t1;
	pid_t pid;
	int r;

	t0 = amz_now_ns();
	r = posix_spawn(&pid, s->p.binary, NULL, NULL, argv, environ);
	if (r)
		return -r;
	t1 = amz_now_ns();
	reap(pid);

	out->value = (double)(amz_now_ns() - t0);
	out->parent = (double)(t1 - t0);
	return 0;
}

static int trial_echo(struct probe_state *s, struct probe_sample *out)
{
	char c = 1;
	uint64_t t0 = amz_now_ns();

	if (full_write(s->to_partner, &c, 1) < 0 || full_read(s->from_partner, &c, 1) < 0)
		return -EPIPE;
	out->value = (double)(amz_now_ns() - t0) / 2;
	return 0;
}

static int trial_futex(struct probe_state *s, struct probe_sample *out)
{
	uint64_t t0 = amz_now_ns();

	atomic_store(&s->shm->reply, 0);
	atomic_store(&s->shm->request, 1);
	futex(&s->shm->request, FUTEX_WAKE, 1);
	futex_wait_while(&s->shm->reply, 0);
	out->value = (double)(amz_now_ns() - t0) / 2;
	return 0;
}

static int trial_ipc_pipe(struct probe_state *s, struct probe_sample *out)
{
	uint64_t t0 = amz_now_ns();
	size_t off;
	char ack;

	for (off = 0; off < STREAM_BYTES; off += STREAM_PIECE)
		if (full_write(s->to_partner, s->stream + off, STREAM_PIECE) < 0)
			return -EPIPE;
	if (full_read(s->from_partner, &ack, 1) < 0)
		return -EPIPE;
	out->value = (double)(amz_now_ns() - t0) / STREAM_BYTES;
	return 0;
}

static int trial_ipc_shm(struct probe_state *s, struct probe_sample *out)
{
	uint64_t t0 = amz_now_ns();

	memcpy(s->shm_buf, s->stream, STREAM_BYTES);
	atomic_store(&s->shm->reply, 0);
	atomic_store(&s->shm->request, 1);
	futex(&s->shm->request, FUTEX_WAKE, 1);
	futex_wait_while(&s->shm->reply, 0);
	out->value = (double)(amz_now_ns() - t0) / STREAM_BYTES;
	return 0;
}

struct spinner {
	int cpu;
	uint64_t ops;
	_Atomic int *go;
};

/* A fixed integer and memory mix; its throughput on two CPUs at once is what SMT shares. */
static void *spin(void *arg)
{
	struct spinner *sp = arg;
	volatile uint64_t acc = 1;
	uint64_t end, ops = 0;
	unsigned i;

	if (pin_to(sp->cpu) < 0)
		return NULL;
	while (!atomic_load(sp->go))
		;
	end = amz_now_ns() + SMT_SPIN_NS;
	while (amz_now_ns() < end) {
		for (i = 0; i < 1000; i++)
			acc = acc * 6364136223846793005ull + 1442695040888963407ull;
		ops += 1000;
	}
	sp->ops = ops;
	return NULL;
}

static int spin_pair(int a, int b, double *ops)
{
	_Atomic int go = 0;
	struct spinner s[2] = {{a, 0, &go}, {b, 0, &go}};
	pthread_t t[2];
	int i, r;

	for (i = 0; i < 2; i++) {
		r = pthread_create(&t[i], NULL, spin, &s[i]);
		if (r) {
			atomic_store(&go, 1);
			if (i)
				pthread_join(t[0], NULL);
			return -r;
		}
	}
	atomic_store(&go, 1);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	*ops = (double)(s[0].ops + s[1].ops);
	return *ops > 0 ? 0 : -EINVAL;
}

static int trial_smt(struct probe_state *s, struct probe_sample *out)
{
	double siblings, separate;
	int r;

	r = spin_pair(s->p.cpu_a, s->p.cpu_b, &siblings);
	if (!r)
		r = spin_pair(s->p.core_a, s->p.core_b, &separate);
	if (r)
		return r;
	out->value = siblings / separate;
	return 0;
}

/* The pool hands out one-item chunks of nothing as fast as it can: the time per chunk is what
 * one hand-off holds the queue, which is what the model charges per chunk. */
static int trial_pool(struct probe_state *s, struct probe_sample *out)
{
	struct amz_map_opts o = {.workers = 2, .chunksize = 1};
	struct amz_map_status st;
	uint64_t t0;

	o.kind = s->kind == PROBE_POOL_THREADS ? AMZ_THREADS : AMZ_PROCESSES;
	t0 = amz_now_ns();
	if (amz_pool_map(s->pool, empty_item, NULL, NULL, 0, NULL, 0, POOL_CHUNKS, &o, &st) < 0)
		return -(st.sys_errno ? st.sys_errno : EIO);
	out->value = (double)(amz_now_ns() - t0) / POOL_CHUNKS;
	return 0;
}

int probe_trial(struct probe_state *s, struct probe_sample *out)
{
	memset(out, 0, sizeof(*out));
	switch (s->kind) {
	case PROBE_FORK:
		return trial_fork(s, out);
	case PROBE_THREAD:
		return trial_thread(s, out);
	case PROBE_POSIX_SPAWN:
		return trial_posix_spawn(s, out);
	case PROBE_PIPE:
	case PROBE_UNIX:
		return trial_echo(s, out);
	case PROBE_FUTEX:
		return trial_futex(s, out);
	case PROBE_IPC_PIPE:
		return trial_ipc_pipe(s, out);
	case PROBE_IPC_SHM:
		return trial_ipc_shm(s, out);
	case PROBE_SMT:
		return trial_smt(s, out);
	case PROBE_POOL_THREADS:
	case PROBE_POOL_PROCESSES:
		return trial_pool(s, out);
	}
	return -EINVAL;
}
