/* The pool's life (its control block, its worker threads or processes, the shared data area
 * of a process pool) and the caller's side of a map: publishing it, and waiting for it while
 * watching for workers that die. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool.h"

static bool is_processes(const struct amz_pool *p)
{
	return p->kind == AMZ_PROCESSES;
}

static int alloc_ctl(struct amz_pool *p, struct amz_map_status *st)
{
	int flags = MAP_ANONYMOUS | (is_processes(p) ? MAP_SHARED : MAP_PRIVATE);
	void *m;

	p->n_slots = p->tasks + (is_processes(p) ? 0 : 1);
	p->ctl_bytes = sizeof(struct pool_ctl) + p->n_slots * sizeof(struct pool_slot);
	m = mmap(NULL, p->ctl_bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (m == MAP_FAILED)
		return pool_status_system(st, errno, "cannot map the pool's control block");
	p->ctl = m;
	return 0;
}

static void init_view(struct amz_pool *p, struct pool_worker *w, size_t id)
{
	memset(w, 0, sizeof(*w));
	w->ctl = p->ctl;
	w->slot = &p->ctl->slots[id];
	w->id = (uint32_t)id;
	w->process = is_processes(p);
	w->efd = p->efd;
	w->memfd = p->memfd;
	w->data = p->data;
	w->data_bytes = p->data_bytes;
}

static void *thread_main(void *arg)
{
	pool_worker_main(arg);
	return NULL;
}

static int start_threads(struct amz_pool *p, struct amz_map_status *st)
{
	sigset_t all, old;
	int err = 0;

	init_view(p, &p->caller, p->tasks);
	p->threads = calloc(p->tasks + 1, sizeof(*p->threads));
	p->views = calloc(p->tasks + 1, sizeof(*p->views));
	if (!p->threads || !p->views)
		return pool_status_system(st, ENOMEM, "cannot allocate the pool's threads");

	/* Workers block every signal, so that signals sent to the process reach its own
	 * threads, as they did before the pool existed. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; p->started < p->tasks; p->started++) {
		init_view(p, &p->views[p->started], p->started);
		err = pthread_create(&p->threads[p->started], NULL, thread_main,
				     &p->views[p->started]);
		if (err)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	if (err)
		return pool_status_system(st, err, "cannot start the pool's threads");
	return 0;
}

static void worker_process(struct amz_pool *p, size_t id, pid_t parent)
{
	struct pool_worker w;

	/* A worker whose caller is gone would wait for maps forever. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);

	/* The worker's copy of the caller's pool record is of no use to it past its own view. */
	init_view(p, &w, id);
	free(p->pids);
	free(p->watch_fds);
	free(p);

	pool_worker_main(&w);
	_exit(0);
}

/* The caller learns that a worker ended from a pidfd, or where the kernel or a sandbox has
 * none (before Linux 5.3, under valgrind), from a pipe whose only write end the worker holds:
 * it hangs up when the worker ends. */
bool pool_watch_by_pipes;

static bool have_pidfds(void)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int watch_by_pidfd(struct amz_pool *p, size_t id, pid_t pid, struct amz_map_status *st)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0) {
		int err = errno;

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return pool_status_system(st, err, "cannot watch the pool's worker processes");
	}
	p->watch_fds[id] = fd;
	return 0;
}

static int fork_worker(struct amz_pool *p, size_t id, struct amz_map_status *st)
{
	int hangup[2] = {-1, -1};
	pid_t parent = getpid(), pid;

	if (p->watch_pipes && pipe2(hangup, O_CLOEXEC) < 0)
		return pool_status_system(st, errno, "cannot watch the pool's worker processes");

	pid = fork();
	if (pid < 0) {
		int err = errno;

		if (p->watch_pipes) {
			close(hangup[0]);
			close(hangup[1]);
		}
		return pool_status_system(st, err, "cannot fork the pool's worker processes");
	}
	if (pid == 0) {
		if (p->watch_pipes)
			close(hangup[0]);
		worker_process(p, id, parent);
	}

	if (!p->watch_pipes && watch_by_pidfd(p, id, pid, st) < 0)
		return -1;
	if (p->watch_pipes) {
		close(hangup[1]);
		p->watch_fds[id] = hangup[0];
	}
	p->pids[id] = pid;
	p->started++;
	return 0;
}

static int start_processes(struct amz_pool *p, uint64_t data_bytes, struct amz_map_status *st)
{
	size_t i;

	p->pids = calloc(p->tasks, sizeof(*p->pids));
	p->watch_fds = malloc(p->tasks * sizeof(*p->watch_fds));
	if (!p->pids || !p->watch_fds)
		return pool_status_system(st, ENOMEM, "cannot allocate the pool's processes");
	for (i = 0; i < p->tasks; i++)
		p->watch_fds[i] = -1;

	p->watch_pipes = pool_watch_by_pipes || !have_pidfds();
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0)
		return pool_status_system(st, errno, "cannot make the pool's eventfd");
	p->memfd = memfd_create("amz-pool", MFD_CLOEXEC);
	if (p->memfd < 0)
		return pool_status_system(st, errno, "cannot make the pool's shared memory");
	if (pool_reserve_data(p, data_bytes, st) < 0)
		return -1;

	for (i = 0; i < p->tasks; i++) {
		if (fork_worker(p, i, st) < 0)
			return -1;
	}
	return 0;
}

struct amz_pool *pool_create(const struct amz_map_opts *o, size_t tasks, bool one_shot,
			     uint64_t data_bytes, struct amz_map_status *st)
{
	struct amz_pool *p = calloc(1, sizeof(*p));
	int rc;

	if (!p) {
		pool_status_system(st, ENOMEM, "cannot allocate the pool");
		return NULL;
	}
	p->kind = o->kind;
	p->workers = o->workers;
	p->tasks = tasks;
	p->one_shot = one_shot;
	p->efd = p->memfd = -1;

	rc = alloc_ctl(p, st);
	if (rc == 0)
		rc = is_processes(p) ? start_processes(p, data_bytes, st) : start_threads(p, st);
	if (rc < 0) {
		pool_destroy(p);
		return NULL;
	}
	amz_log(AMZ_LOG_DEBUG, "pool: started %zu worker %s", p->tasks,
		is_processes(p) ? "processes" : "threads");
	return p;
}

static void end_workers(struct amz_pool *p)
{
	size_t i;

	atomic_store(&p->ctl->quit, 1);
	atomic_fetch_add(&p->ctl->gen, 1);
	pool_futex_wake(&p->ctl->gen, is_processes(p));

	for (i = 0; i < p->started; i++) {
		if (!is_processes(p)) {
			pthread_join(p->threads[i], NULL);
			continue;
		}
		if (p->watch_fds[i] < 0)
			continue;
		while (waitpid(p->pids[i], NULL, 0) < 0 && errno == EINTR)
			;
		close(p->watch_fds[i]);
	}
}

void pool_destroy(struct amz_pool *p)
{
	if (!p)
		return;

	if (p->ctl)
		end_workers(p);
	if (p->efd >= 0)
		close(p->efd);
	if (p->memfd >= 0)
		close(p->memfd);
	if (p->data)
		munmap(p->data, p->data_bytes);
	if (p->ctl)
		munmap(p->ctl, p->ctl_bytes);
	free(p->threads);
	free(p->views);
	free(p->pids);
	free(p->watch_fds);
	free(p);
}

/* The area only grows; workers remap it when they see the new size at the next map. */
int pool_reserve_data(struct amz_pool *p, uint64_t bytes, struct amz_map_status *st)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	void *m;

	if (bytes <= p->data_bytes)
		return 0;
	if (bytes < 2 * p->data_bytes)
		bytes = 2 * p->data_bytes;
	bytes = (bytes + page - 1) / page * page;

	if (ftruncate(p->memfd, (off_t)bytes) < 0)
		return pool_status_system(st, errno, "cannot size the pool's shared memory");
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, p->memfd, 0);
	if (m == MAP_FAILED)
		return pool_status_system(st, errno, "cannot map the pool's shared memory");

	if (p->data)
		munmap(p->data, p->data_bytes);
	p->data = m;
	p->data_bytes = bytes;
	p->ctl->data_bytes = bytes;
	return 0;
}

static void reset_slot(struct pool_slot *s)
{
	atomic_store_explicit(&s->busy_count, 0, memory_order_relaxed);
	atomic_store_explicit(&s->items, 0, memory_order_relaxed);
	atomic_store_explicit(&s->chunks, 0, memory_order_relaxed);
	atomic_store_explicit(&s->fail_code, 0, memory_order_relaxed);
	atomic_store_explicit(&s->sys_errno, 0, memory_order_relaxed);
	atomic_store_explicit(&s->skipped_first, UINT64_MAX, memory_order_relaxed);
}

/* Every worker is idle here: the previous map returned only once all had finished it. */
void pool_publish(struct amz_pool *p, const struct pool_job *job)
{
	struct pool_ctl *c = p->ctl;
	size_t i;

	c->job = *job;
	for (i = 0; i < p->n_slots; i++)
		reset_slot(&c->slots[i]);
	atomic_store_explicit(&c->next_chunk, 0, memory_order_relaxed);
	atomic_store_explicit(&c->stop, 0, memory_order_relaxed);
	atomic_store_explicit(&c->active, job->runners, memory_order_relaxed);
	atomic_store_explicit(&c->end, 0, memory_order_relaxed);
	atomic_store_explicit(&c->closed, 0, memory_order_relaxed);
	for (i = 0; i < 2; i++) {
		atomic_store_explicit(&c->win_done[i], 0, memory_order_relaxed);
		atomic_store_explicit(&c->win_len[i], 0, memory_order_relaxed);
	}

	p->gen++;
	atomic_store(&c->gen, p->gen);
	if (atomic_load(&c->gen_sleepers))
		pool_futex_wake(&c->gen, is_processes(p));
}

static void record_death(struct amz_pool *p, size_t i, int status, bool reaped)
{
	struct pool_slot *s = &p->ctl->slots[i];
	struct pool_death *d = &p->death;

	if (p->n_ended++ > 0)
		return;
	d->worker = i;
	d->pid = p->pids[i];
	d->reaped = reaped;
	d->signal = reaped && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	d->exit_status = reaped && WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	d->chunk.count = atomic_load_explicit(&s->busy_count, memory_order_relaxed);
	d->chunk.first =
		d->chunk.count ? atomic_load_explicit(&s->busy_first, memory_order_relaxed) : 0;
}

/* A worker process ended: that breaks the pool and stops the map. */
static void reap(struct amz_pool *p, size_t i)
{
	int status = 0;
	pid_t r;

	/* A pipe also hangs up when a live worker closes its descriptors: such a worker is taken
	 * for dead, and killed, so that waiting for it cannot hang. */
	r = p->watch_pipes ? waitpid(p->pids[i], &status, WNOHANG) : 0;
	if (r == 0 && p->watch_pipes)
		kill(p->pids[i], SIGKILL);
	while (r == 0 || (r < 0 && errno == EINTR))
		r = waitpid(p->pids[i], &status, 0);

	record_death(p, i, status, r == p->pids[i]);
	close(p->watch_fds[i]);
	p->watch_fds[i] = -1;
	p->broken = true;
	pool_stop(p->ctl, true);
	amz_log(AMZ_LOG_INFO, "pool: worker %zu (pid %d) ended during a map", i, (int)p->pids[i]);
}

static void drain(int efd)
{
	uint64_t v;

	while (read(efd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

/* Sleeps until a worker notifies the caller or a worker process ends. */
static void poll_workers(struct amz_pool *p)
{
	struct pollfd fds[1 + AMZ_MAX_WORKERS];
	size_t who[1 + AMZ_MAX_WORKERS];
	nfds_t n = 1, k;
	size_t i;

	fds[0] = (struct pollfd){.fd = p->efd, .events = POLLIN};
	for (i = 0; i < p->started; i++) {
		if (p->watch_fds[i] < 0)
			continue;
		who[n] = i;
		fds[n++] = (struct pollfd){.fd = p->watch_fds[i], .events = POLLIN};
	}

	if (poll(fds, n, -1) < 0)
		return;

	if (fds[0].revents & POLLIN)
		drain(p->efd);
	for (k = 1; k < n; k++) {
		if (fds[k].revents)
			reap(p, who[k]);
	}
}

void pool_wait(struct amz_pool *p, pool_cond cond, uint64_t arg)
{
	struct pool_ctl *c = p->ctl;
	int i;

	for (i = 0; i < POOL_SPIN; i++) {
		if (cond(p, arg))
			return;
		pool_cpu_relax();
	}

	/* Announce the sleep before re-checking: a worker that completes the condition after
	 * the check sees the announcement and wakes the caller. */
	for (;;) {
		uint32_t seq = atomic_load(&c->notify_seq);

		atomic_store(&c->caller_waiting, 1);
		if (cond(p, arg))
			break;
		if (is_processes(p))
			poll_workers(p);
		else
			pool_futex_wait(&c->notify_seq, seq, false);
	}
	atomic_store(&c->caller_waiting, 0);
}

bool pool_all_finished(struct amz_pool *p, uint64_t unused)
{
	struct pool_ctl *c = p->ctl;
	size_t i;

	(void)unused;
	if (atomic_load(&c->active) == 0)
		return true;
	if (!p->n_ended)
		return false;

	/* A dead worker never counts itself out: look at the living ones. */
	for (i = 0; i < c->job.runners; i++) {
		if (p->watch_fds[i] >= 0 && atomic_load(&c->slots[i].done_gen) != p->gen)
			return false;
	}
	return true;
}
