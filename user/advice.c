/* The cost model fed from measurements: inputs with their sources, the shape of a traced
 * workload, the optimiser's answer restated for the run the user made. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "advice.h"

/* Without --items, the work is divided into this many parts per current chunk for the model,
 * so that a recommended chunk may be smaller than the current one; the answer is then a chunk
 * duration and a factor, never a count of these parts. */
#define PARTS_PER_CHUNK 64

static const char *const input_names[IN_COUNT] = {
	[IN_ITEMS] = "items",	       [IN_ITEM_NS] = "item_ns",
	[IN_ITEM_CV] = "item_cv",      [IN_WARMUP] = "warmup_ns",
	[IN_BYTES] = "bytes_per_item", [IN_WORKER_MEM] = "worker_mem_bytes",
	[IN_SPAWN] = "spawn_ns",       [IN_DISPATCH] = "dispatch_ns",
	[IN_IPC] = "ipc_ns_per_byte",  [IN_CPUS] = "cpus",
	[IN_CORES] = "physical_cores", [IN_SMT] = "smt_scaling",
	[IN_QUOTA] = "quota_cpus",     [IN_MEMORY] = "memory_left_bytes",
};

static void set_input(struct advice *a, enum advice_input_id id, double v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_input(struct advice *a, enum advice_input_id id, double v, const char *fmt, ...)
{
	va_list ap;

	a->in[id].name = input_names[id];
	a->in[id].value = v;
	va_start(ap, fmt);
	vsnprintf(a->in[id].source, sizeof(a->in[id].source), fmt, ap);
	va_end(ap);
}

const char *advice_shape_name(enum advice_shape s)
{
	static const char *const names[] = {
		[SHAPE_MARKERS] = "chunk markers",
		[SHAPE_PROCESS_PER_CHUNK] = "a process per chunk",
		[SHAPE_WORKERS] = "long-lived workers",
		[SHAPE_SERIAL] = "serial",
		[SHAPE_LIBRARY] = "sampled function",
	};

	return names[s];
}

/* Host side */

static void host_cpus(struct advice *a, const struct amz_host *h)
{
	struct model_host *m = &a->host;

	m->logical_cpus = h->allowed.state == HOST_SET ? (int)h->allowed.n : 1;
	m->physical_cores =
		h->physical_cores.state == HOST_SET ? (int)h->physical_cores.n : m->logical_cpus;
	if (m->physical_cores > m->logical_cpus)
		m->physical_cores = m->logical_cpus;
	set_input(a, IN_CPUS, m->logical_cpus, "%s",
		  h->allowed.state == HOST_SET ? h->allowed.source : "unknown: taken as 1");
	set_input(a, IN_CORES, m->physical_cores, "%s",
		  h->physical_cores.state == HOST_SET ? h->physical_cores.source
						      : "unknown: taken as one per CPU");

	/* An AMZ_CPUS override is a CPU budget: a quota of that many CPUs. */
	if (h->env_cpus.state == HOST_SET) {
		m->logical_cpus = (int)fmin(m->logical_cpus, ceil(h->env_cpus.x));
		m->physical_cores = (int)fmin(m->physical_cores, m->logical_cpus);
		m->quota_cpus = h->env_cpus.x < m->logical_cpus ? h->env_cpus.x : 0;
		m->quota_period_ns = 100e6;
		set_input(a, IN_QUOTA, m->quota_cpus,
			  "AMZ_CPUS (as a quota, in CFS's default "
			  "100 ms periods)");
	} else if (h->quota.state == HOST_SET && h->quota.x > 0) {
		m->quota_cpus = h->quota.x;
		m->quota_period_ns = (double)h->quota.n / h->quota.x * 1000;
		set_input(a, IN_QUOTA, m->quota_cpus, "%s", h->quota.source);
	} else {
		set_input(a, IN_QUOTA, 0, "no quota");
	}
	m->max_workers = (int)fmin(MODEL_MAX_WORKERS, 2 * m->logical_cpus);
}

static void host_smt(struct advice *a, const struct amz_calibration *c)
{
	struct model_host *m = &a->host;

	if (m->logical_cpus <= m->physical_cores) {
		m->smt_scaling = 1;
		set_input(a, IN_SMT, 1, "no SMT siblings among the allowed CPUs");
	} else if (c && c->smt.measured) {
		m->smt_scaling = fmin(1, fmax(0.5, c->smt.median));
		set_input(a, IN_SMT, m->smt_scaling, "calibration: two siblings against two cores");
	} else {
		/* Not measured: the cautious case, where a sibling adds nothing. */
		m->smt_scaling = 0.5;
		set_input(a, IN_SMT, 0.5, "not measured: assumed to add nothing");
	}
}

static void host_memory(struct advice *a, const struct amz_host *h)
{
	long long left = host_memory_left(h);

	a->host.mem_left_bytes = left >= 0 ? (double)left : -1;
	set_input(a, IN_MEMORY, a->host.mem_left_bytes, "%s",
		  h->mem_left.state == HOST_SET ? h->mem_left.source : "unknown");
}

/* What starting a worker and handing it a chunk cost, from calibration. A sleeping worker is
 * woken through a pipe or a futex on another CPU in most pools; the figures are similar. */
static void host_costs(struct advice *a, const struct amz_calibration *c, bool processes,
		       double parent_rss)
{
	struct model_host *m = &a->host;

	if (!c) {
		set_input(a, IN_SPAWN, 0, "unknown: no calibration");
		set_input(a, IN_DISPATCH, 0, "unknown: no calibration");
		set_input(a, IN_IPC, 0, "unknown: no calibration");
		return;
	}
	if (processes && c->fork.measured) {
		m->spawn_ns = calibrate_fork_ns(c, parent_rss);
		set_input(a, IN_SPAWN, m->spawn_ns, "calibration: fork from a %.0f MiB parent",
			  parent_rss / (1 << 20));
	} else if (c->thread.measured) {
		m->spawn_ns = c->thread.median;
		set_input(a, IN_SPAWN, m->spawn_ns, "calibration: pthread_create");
	}
	if (c->pipe_cross.measured || c->pipe_same.measured) {
		const struct calib_figure *f =
			c->pipe_cross.measured ? &c->pipe_cross : &c->pipe_same;

		m->dispatch_ns = f->median;
		set_input(a, IN_DISPATCH, m->dispatch_ns,
			  "calibration: a pipe to a sleeping "
			  "worker on %s CPU",
			  f == &c->pipe_cross ? "another" : "the same");
	}
	if (c->posix_spawn.measured)
		a->process_trip_ns = c->posix_spawn.median;
	if (c->ipc_pipe.measured) {
		m->ipc_ns_per_byte = c->ipc_pipe.median;
		set_input(a, IN_IPC, m->ipc_ns_per_byte, "calibration: bytes through a pipe");
	}
}

void advice_from_host(struct advice *a, const struct amz_host *h, const struct amz_calibration *c,
		      bool processes, double parent_rss_bytes)
{
	memset(a, 0, sizeof(*a));
	host_cpus(a, h);
	host_smt(a, c);
	host_memory(a, h);
	host_costs(a, c, processes, parent_rss_bytes);
}

/* Histogram arithmetic. Slot i holds [2^i, 2^(i+1)); the tracer keeps the exact sum. */

static double slot_mid(int i)
{
	return i == 0 ? 1 : 1.5 * ldexp(1, i);
}

/* Spread between slots, with the slot midpoints scaled so that they add up to the exact sum:
 * variation within one slot (a factor of two) is not seen, so this understates a narrow
 * spread and never invents one. */
static double hist_cv(const struct amz_hist *h)
{
	double mids = 0, sq = 0, mean, scale;
	int i;

	if (h->count < 2 || !h->sum)
		return 0;
	for (i = 0; i < AMZ_HIST_SLOTS; i++)
		mids += (double)h->slot[i] * slot_mid(i);
	scale = (double)h->sum / mids;
	mean = (double)h->sum / (double)h->count;
	for (i = 0; i < AMZ_HIST_SLOTS; i++) {
		double d = slot_mid(i) * scale - mean;

		sq += (double)h->slot[i] * d * d;
	}
	return sqrt(sq / (double)(h->count - 1)) / mean;
}

/* The burst length that half of the CPU time is spent in bursts shorter than: a worker's
 * chunks dominate the CPU time, the short runs of dispatchers and shells do not. */
static double cpu_weighted_median(const struct amz_hist *h)
{
	double total = 0, acc = 0;
	int i;

	for (i = 0; i < AMZ_HIST_SLOTS; i++)
		total += (double)h->slot[i] * slot_mid(i);
	for (i = 0; i < AMZ_HIST_SLOTS && total > 0; i++) {
		acc += (double)h->slot[i] * slot_mid(i);
		if (acc >= total / 2)
			return slot_mid(i);
	}
	return 0;
}

static unsigned long long busiest_cpu_ns(const struct amz_trace *t)
{
	unsigned long long most = 0;
	unsigned int i;

	for (i = 0; i < t->ntop; i++)
		if (t->top[i].cpu_ns > most)
			most = t->top[i].cpu_ns;
	return most;
}

/* A worker is a task that ran chunks, or else one that did at least a quarter of the busiest
 * one's CPU work (a dispatcher or a shell does far less). */
static bool is_worker(const struct amz_task_stats *task, unsigned long long most, bool markers)
{
	if (markers)
		return task->chunks > 0;
	return most > 0 && task->cpu_ns * 4 >= most;
}

/* The run's workers. Only the busiest tasks are kept by the tracer, so this counts up to
 * AMZ_TRACE_TOP_TASKS. */
static double workers_seen(const struct amz_trace *t, bool markers)
{
	unsigned long long most = busiest_cpu_ns(t);
	unsigned int i;
	double n = 0;

	for (i = 0; i < t->ntop; i++)
		n += is_worker(&t->top[i], most, markers);
	return n;
}

/* With --jobs n the workers are the n busiest tasks (the records are kept largest first):
 * a parent whose start-up is long is no worker for it. */
static bool is_hinted_worker(const struct amz_trace *t, unsigned int i, double jobs)
{
	if (jobs > 0)
		return i < jobs;
	return is_worker(&t->top[i], busiest_cpu_ns(t), false);
}

/* The CPU time of the workers, and that of the threads beside them that are not workers: a
 * pool's task and result handlers, whose work grows with the number of chunks. A process's
 * first thread that is not a worker is counted in neither: its start-up is no chunk's. */
static void split_cpu(const struct amz_trace *t, double jobs, double *workers, double *helpers)
{
	unsigned int i;

	*workers = *helpers = 0;
	for (i = 0; i < t->ntop; i++) {
		const struct amz_task_stats *task = &t->top[i];

		if (is_hinted_worker(t, i, jobs))
			*workers += (double)task->cpu_ns;
		else if (task->is_thread)
			*helpers += (double)task->cpu_ns;
	}
}

/* The workers' bursts; without task records, every task's. */
static double worker_bursts(const struct amz_trace *t, double jobs)
{
	unsigned int i;
	double n = 0;

	if (!t->ntop)
		return (double)t->k.burst_ns.count;
	for (i = 0; i < t->ntop; i++)
		if (is_hinted_worker(t, i, jobs))
			n += (double)t->top[i].bursts;
	return n;
}

/* Work side, per shape: the time and count of the run's chunks. */

struct chunks_seen {
	double count;	       /* chunks, 0 unknown */
	double items;	       /* items in them, 0 unknown */
	double ns;	       /* mean CPU time of one chunk */
	double cv;	       /* spread of chunk times */
	double on_cpu;	       /* fraction of a chunk's wall time it spends on a CPU, 1 unknown */
	double wall_ns;	       /* mean wall time of one chunk, 0 unknown */
	const char *cv_unseen; /* why the spread is not known, or NULL */
	char how[160];
	double warmup_ns; /* a thread's first chunk beyond its later ones, 0 none */
	char warmup_how[160];
};

/* A chunk's time on a CPU over its wall time once the run's waits for a CPU (not the chunk's
 * own doing) are taken out; chunks that sleep (I/O, locks) are below one. */
static double on_cpu_fraction(const struct amz_trace *t)
{
	double cpu = (double)t->k.chunk_cpu_ns.sum, wall = (double)t->k.chunk_ns.sum;
	double waited = fmin((double)t->k.c.runq_ns, fmax(0, wall - cpu));

	if (cpu <= 0 || wall <= 0)
		return 1;
	return fmin(1, cpu / (wall - waited));
}

/* A chunk's CPU time, not its wall time: a worker waiting for a CPU taken by others is not
 * doing the chunk's work, and the model charges sharing CPUs separately. */
/* The spread of the chunk times without each thread's first chunk, taken out of the histogram
 * from its top slots down: where warm-up stands out of the noise, the first chunks are the
 * longest. Below 1e-9 the spread is rounding, and is none. */
static double later_chunks_cv(const struct amz_trace *t)
{
	const struct amz_counters *c = &t->k.c;
	struct amz_hist later = t->k.chunk_cpu_ns;
	unsigned long long left = c->first_chunks;
	double cv;
	int i;

	if (later.count < left || later.sum < c->first_cpu_ns)
		return hist_cv(&later);
	for (i = AMZ_HIST_SLOTS - 1; i >= 0 && left; i--) {
		unsigned long long take = later.slot[i] < left ? later.slot[i] : left;

		later.slot[i] -= take;
		left -= take;
	}
	later.count -= c->first_chunks;
	later.sum -= c->first_cpu_ns;
	cv = hist_cv(&later);
	return cv < 1e-9 ? 0 : cv;
}

/* A thread's first chunk over its later ones, per thread, counted where it stands out of the
 * spread of item times by three standard errors (a spread that the first chunks themselves
 * widen: this errs towards seeing none). The chunk time is then that of the later chunks. */
static void first_chunk_excess(const struct amz_trace *t, struct chunks_seen *s)
{
	const struct amz_counters *c = &t->k.c;
	double later_items = (double)c->chunk_items - (double)c->first_items;
	double later_cpu = (double)t->k.chunk_cpu_ns.sum - (double)c->first_cpu_ns;
	double per_item, excess, item_cv, noise;

	if (!c->first_chunks) {
		snprintf(s->warmup_how, sizeof(s->warmup_how),
			 "not recorded: the trace was saved before first chunks were counted");
		return;
	}
	snprintf(s->warmup_how, sizeof(s->warmup_how), "not seen: no thread ran two chunks");
	if (!c->first_items || later_items <= 0 || later_cpu <= 0)
		return;
	per_item = later_cpu / later_items;
	excess = ((double)c->first_cpu_ns - (double)c->first_items * per_item) /
		 (double)c->first_chunks;
	item_cv = s->cv * sqrt(s->items / s->count);
	noise = 3 * per_item * item_cv * sqrt((double)c->first_items) / (double)c->first_chunks;
	if (excess <= noise) {
		snprintf(s->warmup_how, sizeof(s->warmup_how),
			 "none seen: a thread's first chunk took no longer than its later ones, "
			 "within the spread of item times");
		return;
	}
	s->warmup_ns = excess;
	s->ns = per_item * s->items / s->count;
	s->cv = later_chunks_cv(t);
	snprintf(s->warmup_how, sizeof(s->warmup_how),
		 "chunk markers: a thread's first chunk over its later ones (mean of %llu threads)",
		 c->first_chunks);
}

static void from_markers(const struct amz_trace *t, struct chunks_seen *s)
{
	const struct amz_hist *cpu = &t->k.chunk_cpu_ns;
	bool wall = cpu->sum == 0;

	/* Traces saved before chunk CPU time was kept have only the wall time. */
	if (wall)
		cpu = &t->k.chunk_ns;
	s->count = (double)t->k.c.chunks;
	s->items = (double)t->k.c.chunk_items;
	s->ns = (double)cpu->sum / s->count;
	s->cv = hist_cv(cpu);
	s->on_cpu = wall ? 1 : on_cpu_fraction(t);
	s->wall_ns = (double)t->k.chunk_ns.sum / s->count;
	snprintf(s->how, sizeof(s->how), "chunk markers: %.0f items in %.0f chunks, %s time",
		 s->items, s->count, wall ? "wall (no CPU time was recorded)" : "CPU");
	if (wall)
		snprintf(s->warmup_how, sizeof(s->warmup_how),
			 "not seen: no CPU time of chunks was recorded");
	else
		first_chunk_excess(t, s);
	if (s->warmup_ns > 0)
		strncat(s->how, ", after each thread's first", sizeof(s->how) - strlen(s->how) - 1);
}

/* The chunks' processes among the task records: those of the name with the most CPU time in
 * all, since xargs -n and make -j run one command over and over, and a script's seq, sort or
 * awk do far less. Their count, their CPU time and its spread, and the other records' CPU. */
struct chunk_group {
	char name[16];
	double n, cpu_ns, cv, others_ns;
	bool whole; /* every task of the run has a record: none was left out */
};

static double process_cpu_named(const struct amz_trace *t, const char *name)
{
	double sum = 0;
	unsigned int i;

	for (i = 0; i < t->ntop; i++)
		if (!t->top[i].is_thread && !strncmp(t->top[i].comm, name, sizeof(t->top[i].comm)))
			sum += (double)t->top[i].cpu_ns;
	return sum;
}

static int busiest_process(const struct amz_trace *t)
{
	double most = -1;
	int best = -1;
	unsigned int i;

	for (i = 0; i < t->ntop; i++) {
		double cpu = process_cpu_named(t, t->top[i].comm);

		if (!t->top[i].is_thread && cpu > most) {
			most = cpu;
			best = (int)i;
		}
	}
	return best;
}

static void chunk_group(const struct amz_trace *t, struct chunk_group *g)
{
	int busiest = busiest_process(t);
	double sq = 0, mean;
	unsigned int i;

	memset(g, 0, sizeof(*g));
	g->whole = t->ntop < AMZ_TRACE_TOP_TASKS;
	if (busiest < 0)
		return;
	memcpy(g->name, t->top[busiest].comm, sizeof(g->name));
	g->name[sizeof(g->name) - 1] = 0;
	for (i = 0; i < t->ntop; i++) {
		double cpu = (double)t->top[i].cpu_ns;

		if (t->top[i].is_thread || strncmp(t->top[i].comm, g->name, sizeof(g->name))) {
			g->others_ns += cpu;
			continue;
		}
		g->n++;
		g->cpu_ns += cpu;
		sq += cpu * cpu;
	}
	mean = g->cpu_ns / g->n;
	if (g->n >= 2 && mean > 0)
		g->cv = sqrt(fmax(0, sq / g->n - mean * mean)) / mean;
}

/* A process per chunk. With every task's record, the chunks are the processes named like the
 * busiest, and each one's CPU time is a chunk's. With --items and --chunksize their count is
 * known whatever the records: the run's CPU time outside the other records' is spread over it.
 * Else every exec'd process is taken for a chunk, which counts a script's own commands. */
static void from_processes(const struct amz_trace *t, const struct workload_hints *h,
			   struct chunks_seen *s)
{
	bool hinted = h->items > 0 && h->chunksize > 0;
	struct chunk_group g;

	chunk_group(t, &g);
	s->on_cpu = 1;
	if (g.n >= 2 && (g.whole || hinted)) {
		s->count = hinted ? ceil(h->items / h->chunksize) : g.n;
		s->ns = g.whole ? g.cpu_ns / g.n
				: fmax(g.cpu_ns, (double)t->k.c.cpu_ns - g.others_ns) / s->count;
		s->cv = g.cv;
		if (g.n < 3)
			s->cv_unseen = "not seen: fewer than three chunk processes; taken as alike";
		snprintf(s->how, sizeof(s->how),
			 "this run: %.0f '%s' processes, each one chunk, %s", g.n, g.name,
			 g.whole ? "their mean CPU time"
				 : "the CPU time of all but the others seen");
		return;
	}
	s->count = (double)t->k.c.execs;
	s->ns = (double)t->k.c.cpu_ns / s->count;
	s->cv = hist_cv(&t->k.burst_ns);
	snprintf(s->how, sizeof(s->how),
		 "this run: %.0f processes, each taken for one chunk, CPU time over their number",
		 s->count);
}

/* Whether the chunk group's processes were mostly forked by a process of their own name: a
 * pool forks its workers from the program they run (Python's multiprocessing, even when a
 * pyenv shim exec'd a dozen helpers first), where xargs, make or a shell start each chunk's
 * command anew. */
static bool forked_by_their_kind(const struct amz_trace *t, const struct chunk_group *g)
{
	unsigned int i, j, own = 0;

	for (i = 0; i < t->ntop; i++) {
		const struct amz_task_stats *task = &t->top[i];

		if (task->is_thread || strncmp(task->comm, g->name, sizeof(task->comm)))
			continue;
		for (j = 0; j < t->ntop; j++)
			if (!t->top[j].is_thread && t->top[j].tgid == task->ppid &&
			    !strncmp(t->top[j].comm, g->name, sizeof(t->top[j].comm)))
				own++;
	}
	return g->n >= 2 && own * 2 >= g->n;
}

static enum advice_shape shape_of(const struct amz_trace *t)
{
	const struct amz_counters *c = &t->k.c;
	struct chunk_group g;

	if (c->chunks > 0)
		return SHAPE_MARKERS;
	chunk_group(t, &g);
	if (c->execs >= 2 && c->processes >= c->execs && !forked_by_their_kind(t, &g))
		return SHAPE_PROCESS_PER_CHUNK;
	if (c->processes + c->threads > 0)
		return SHAPE_WORKERS;
	return SHAPE_SERIAL;
}

/* With --items and --chunksize the run's chunks are counted without markers, and a chunk's
 * CPU time is the workers' over that count (the whole run's without task records). Bursts
 * show the spread of chunk times only where the workers slept between most chunks: one that
 * finds its next chunk waiting runs on, and its burst spans many chunks. */
static void from_worker_cpu(const struct amz_trace *t, const struct workload_hints *h,
			    struct chunks_seen *s)
{
	double workers, helpers;

	split_cpu(t, h->jobs, &workers, &helpers);
	if (workers <= 0)
		workers = (double)t->k.c.cpu_ns;
	s->on_cpu = 1;
	s->count = ceil(h->items / h->chunksize);
	s->ns = workers / s->count;
	s->cv = hist_cv(&t->k.burst_ns);
	if (worker_bursts(t, h->jobs) * 2 < s->count) {
		s->cv = 0;
		s->cv_unseen = "not seen: the workers ran several chunks in each burst, without "
			       "sleeping between them; taken as alike";
	}
	snprintf(s->how, sizeof(s->how),
		 "this run: the workers' CPU time over the %.0f chunks that --items and "
		 "--chunksize make",
		 s->count);
}

static void from_bursts(const struct amz_trace *t, struct chunks_seen *s)
{
	s->on_cpu = 1;
	s->ns = cpu_weighted_median(&t->k.burst_ns);
	s->count = s->ns > 0 ? (double)t->k.c.cpu_ns / s->ns : 0;
	s->cv = hist_cv(&t->k.burst_ns);
	snprintf(s->how, sizeof(s->how),
		 "this run: on-CPU bursts between sleeps, CPU-weighted "
		 "median (a log2 histogram: within a factor of two)");
}

/* A pool whose helper threads hand out chunks and collect results (Python's Pool.map has
 * two) pays their CPU time per chunk; where that is more than calibration's hand-off, it is
 * the run's hand-off. */
static void helpers_dispatch(struct advice *a, const struct amz_trace *t, double jobs,
			     double chunks)
{
	double workers, helpers;

	split_cpu(t, jobs, &workers, &helpers);
	if (helpers / chunks <= a->host.dispatch_ns)
		return;
	a->host.dispatch_ns = helpers / chunks;
	set_input(a, IN_DISPATCH, a->host.dispatch_ns,
		  "this run: CPU time of the helper threads beside the workers over %.0f chunks",
		  chunks);
}

/* A process per chunk also pays its loading, its exit and its reaping, which the run's spawn
 * and exec latencies leave out: calibration's whole round trip of a small binary is the least
 * a chunk's process costs. */
static void process_trip(struct advice *a)
{
	if (a->process_trip_ns <= a->host.dispatch_ns)
		return;
	a->host.dispatch_ns = a->process_trip_ns;
	set_input(a, IN_DISPATCH, a->host.dispatch_ns,
		  "calibration: posix_spawn of a small binary to its reaped exit, more than this "
		  "run's spawn and exec");
}

/* The typical gap between a thread's clone calls: their mean, unless the longest is over four
 * times the median, when a few long gaps are the parent doing something else between two
 * spawns and the median (within its power of two) is taken. */
static double typical_gap(const struct amz_hist *gap)
{
	double median = trace_hist_percentile(gap, 0.5);

	return (double)gap->max > 4 * median ? median : trace_hist_mean(gap);
}

/* The run's spawns. A parent that starts workers one after another pays, per worker, the gap
 * between its clone calls (the call and its own work between them); with a single spawn,
 * only its time inside the call is seen. The child's wait for its first run is paid side by
 * side, once. Where the clone calls were not seen, the whole latency is taken per worker.
 * The gaps of every thread of the run go into one histogram: a script that runs commands
 * before the pool (a pyenv shim's bash runs dozens) adds its own gaps, and the median of a
 * mixture can charge the pool's workers the script's pace. */
static void run_spawns(struct advice *a, const struct amz_trace *t)
{
	const struct amz_hist *spawn = &t->k.spawn_ns, *clone = &t->k.clone_ns;
	const struct amz_hist *wait = &t->k.first_run_ns, *gap = &t->k.clone_gap_ns;

	if (clone->count == 0 || wait->count == 0) {
		a->host.spawn_ns = trace_hist_mean(spawn);
		set_input(a, IN_SPAWN, a->host.spawn_ns,
			  "this run: %llu spawns, clone call to the child's first run (mean)",
			  spawn->count);
		return;
	}
	a->host.start_wait_ns = trace_hist_mean(wait);
	if (gap->count == 0) {
		a->host.spawn_ns = trace_hist_mean(clone);
		set_input(a, IN_SPAWN, a->host.spawn_ns,
			  "this run: %llu clone call, the parent's time inside; the child's wait "
			  "for its first run, %.1f us, is paid once",
			  clone->count, a->host.start_wait_ns / 1e3);
		return;
	}
	a->host.spawn_ns = fmax(typical_gap(gap), trace_hist_mean(clone));
	set_input(a, IN_SPAWN, a->host.spawn_ns,
		  "this run: %llu clone calls, a thread's gap from one to the next; the child's "
		  "wait for its first run, %.1f us (mean), is paid once",
		  clone->count, a->host.start_wait_ns / 1e3);
}

/* The run's own spawn and hand-off costs, where it measured them, replace calibration's. */
static void refine_costs(struct advice *a, const struct amz_trace *t, enum advice_shape shape,
			 double chunks)
{
	const struct amz_hist *spawn = &t->k.spawn_ns, *gap = &t->k.chunk_gap_ns;

	if (spawn->count >= 1 && shape != SHAPE_PROCESS_PER_CHUNK)
		run_spawns(a, t);
	if (shape == SHAPE_MARKERS && gap->count >= 1) {
		a->host.dispatch_ns = trace_hist_percentile(gap, 0.5);
		set_input(a, IN_DISPATCH, a->host.dispatch_ns,
			  "chunk markers: a worker's gap between chunks (median of %llu)",
			  gap->count);
	}
	if (shape == SHAPE_WORKERS && chunks > 0)
		helpers_dispatch(a, t, a->current_jobs, chunks);
	if (shape == SHAPE_PROCESS_PER_CHUNK && spawn->count >= 1) {
		/* Every chunk pays a fork, an exec and an exit: charged as its hand-off. An exec
		 * whose call was not seen (the run was attached to) has no latency to add. */
		a->host.spawn_ns = 0;
		a->host.dispatch_ns = (double)spawn->sum / (double)spawn->count +
				      (t->k.exec_ns.count ? trace_hist_mean(&t->k.exec_ns) : 0);
		set_input(a, IN_SPAWN, 0, "none: no long-lived workers");
		set_input(a, IN_DISPATCH, a->host.dispatch_ns,
			  "this run: spawn and exec of each chunk's process (means)");
		process_trip(a);
	}
}

static void current_configuration(struct advice *a, const struct amz_trace *t,
				  const struct workload_hints *h, const struct chunks_seen *s)
{
	a->current_jobs = h->jobs > 0 ? h->jobs : workers_seen(t, a->shape == SHAPE_MARKERS);
	a->current_chunk_ns = s->ns;
	if (h->chunksize > 0)
		a->current_k = h->chunksize;
	else if (s->items > 0 && s->count > 0)
		a->current_k = s->items / s->count;
}

/* Work that sleeps needs a CPU only part of the time. The model takes items as using a CPU
 * throughout, so it is given their wall time and a host whose CPUs, cores and quota are
 * counted in units of that part: f of a CPU per worker. Sharing a CPU then costs what it
 * costs the part that computes, which is exact for a fluid share of the CPUs. Returns whether
 * the host was recounted. */
static bool count_cpus_in_parts(struct advice *a, double on_cpu)
{
	struct model_host *m = &a->host;
	double f = fmax(on_cpu, 1.0 / MODEL_MAX_WORKERS);
	char cpus_from[sizeof(a->in[IN_CPUS].source)];

	if (on_cpu >= 0.9)
		return false;
	snprintf(cpus_from, sizeof(cpus_from), "%s", a->in[IN_CPUS].source);
	m->logical_cpus = (int)fmin(MODEL_MAX_WORKERS / 2, floor(m->logical_cpus / f));
	m->physical_cores = (int)fmin(m->logical_cpus, floor(m->physical_cores / f));
	m->quota_cpus = m->quota_cpus > 0 ? m->quota_cpus / f : 0;
	m->max_workers = (int)fmin(MODEL_MAX_WORKERS, 2 * m->logical_cpus);
	set_input(a, IN_CPUS, m->logical_cpus,
		  "%s; the work is on a CPU %.0f%% of its time, so each worker needs that part of "
		  "a CPU: counted in such parts",
		  cpus_from, on_cpu * 100);
	return true;
}

/* The source of a chunk time that was CPU time and is now wall time. */
static void say_wall_time(struct chunks_seen *s)
{
	char *cpu = strstr(s->how, "CPU time");
	char rest[sizeof(s->how)];

	if (!cpu)
		return;
	snprintf(rest, sizeof(rest), "%s", cpu + strlen("CPU time"));
	snprintf(cpu, sizeof(s->how) - (size_t)(cpu - s->how), "wall time%s", rest);
	if (strstr(s->how, ", after each thread's first"))
		*strstr(s->how, ", after each thread's first") = '\0';
}

static void chunks_in_parts(struct advice *a, struct chunks_seen *s)
{
	if (s->wall_ns <= 0 || !count_cpus_in_parts(a, s->on_cpu))
		return;
	s->ns = s->wall_ns;
	say_wall_time(s);
	if (s->warmup_ns > 0) {
		s->warmup_ns = 0;
		snprintf(s->warmup_how, sizeof(s->warmup_how),
			 "not counted: the chunks sleep, and their wall time is taken whole");
	}
}

/* Items known: the model works in items. */
static void work_in_items(struct advice *a, const struct chunks_seen *s, double items,
			  const char *items_how)
{
	double k = a->current_k;

	a->absolute = true;
	a->work.items = round(items);
	a->work.item_ns = s->ns / k;
	a->work.item_cv = fmin(10, s->cv * sqrt(k));
	set_input(a, IN_ITEMS, a->work.items, "%s", items_how);
	set_input(a, IN_ITEM_NS, a->work.item_ns, "%s, over %.0f items per chunk", s->how, k);
	if (s->cv_unseen)
		set_input(a, IN_ITEM_CV, 0, "%s", s->cv_unseen);
	else if (s->cv > 0)
		set_input(a, IN_ITEM_CV, a->work.item_cv,
			  "spread of chunk times times the square root of items per chunk");
	else
		set_input(a, IN_ITEM_CV, 0,
			  "not seen: the chunk times fall within a factor of two of each other, "
			  "which chunks of %.0f items may hide; taken as alike (trace with smaller "
			  "chunks to see it)",
			  k);
}

/* Items unknown: parts of the current chunk stand for items, and the answer is a duration. */
static void work_in_parts(struct advice *a, const struct chunks_seen *s)
{
	a->absolute = false;
	a->work.items = 0;
	a->work.item_ns = s->ns / PARTS_PER_CHUNK;
	a->work.item_cv = fmin(10, s->cv * sqrt(PARTS_PER_CHUNK));
	set_input(a, IN_ITEMS, 0, "unknown (no --items): the answer is a chunk duration");
	set_input(a, IN_ITEM_NS, s->ns, "%s (time per chunk)", s->how);
	set_input(a, IN_ITEM_CV, s->cv, "spread of chunk times");
}

static int serial_work(struct advice *a, const struct amz_trace *t, const struct workload_hints *h,
		       struct amz_err *err)
{
	if (h->items <= 0)
		return amz_fail(
			err, EINVAL,
			"the run started no worker and --items was not given, so there is "
			"nothing to divide; say how many items it processed with --items N");
	a->current_jobs = 1;
	a->current_k = h->items;
	a->host.fixed_only = true;
	a->work.items = round(h->items);
	a->work.item_ns = (double)t->k.c.cpu_ns / h->items;
	a->absolute = true;
	set_input(a, IN_ITEMS, a->work.items, "--items");
	set_input(a, IN_ITEM_NS, a->work.item_ns, "this run: CPU time over --items");
	set_input(a, IN_ITEM_CV, 0, "unknown for a serial run: taken as uniform");
	return 0;
}

int advice_from_trace(struct advice *a, const struct amz_trace *t, const struct workload_hints *h,
		      struct amz_err *err)
{
	struct chunks_seen s = {0};

	if (strcmp(t->source, "bpf") != 0)
		return amz_fail(err, ENOTSUP,
				"without eBPF the run's chunks are unknown; no recommendation");
	a->shape = shape_of(t);
	set_input(a, IN_BYTES, 0, "unknown for a traced program: not charged");
	set_input(a, IN_WORKER_MEM, (double)t->peak_rss_kib * 1024,
		  "this run: the largest process's peak RSS (shared pages counted in full)");
	a->work.worker_mem_bytes = a->shape == SHAPE_WORKERS && t->k.c.processes > 0
					   ? (double)t->peak_rss_kib * 1024
					   : 0;
	a->wall_ns = (double)t->wall_ns;
	a->parallelism = t->wall_ns ? (double)t->k.c.cpu_ns / (double)t->wall_ns : 0;
	a->contention = t->k.c.cpu_ns ? (double)t->k.c.runq_ns / (double)t->k.c.cpu_ns : 0;
	if (a->shape == SHAPE_SERIAL)
		return serial_work(a, t, h, err);

	if (a->shape == SHAPE_MARKERS)
		from_markers(t, &s);
	else if (a->shape == SHAPE_PROCESS_PER_CHUNK)
		from_processes(t, h, &s);
	else if (h->items > 0 && h->chunksize > 0)
		from_worker_cpu(t, h, &s);
	else
		from_bursts(t, &s);
	if (s.ns <= 0)
		return amz_fail(err, EINVAL, "the run shows no chunk of work to measure");

	/* Only libamorsize's pool, whose chunks the markers show, can shrink its chunks; it
	 * also starts all its workers before the first chunk. How another pool starts its
	 * workers is not seen: each is taken to work from its start. */
	a->host.fixed_only = a->shape != SHAPE_MARKERS;
	a->host.start_together = a->shape == SHAPE_MARKERS;
	current_configuration(a, t, h, &s);
	refine_costs(a, t, a->shape,
		     a->shape == SHAPE_WORKERS && h->items > 0 && h->chunksize > 0 ? s.count : 0);
	chunks_in_parts(a, &s);
	if (a->current_k > 0 && (h->items > 0 || s.items > 0))
		work_in_items(a, &s, h->items > 0 ? h->items : s.items,
			      h->items > 0 ? "--items" : "chunk markers");
	else
		work_in_parts(a, &s);
	a->work.warmup_ns = s.warmup_ns;
	set_input(a, IN_WARMUP, s.warmup_ns, "%s",
		  a->shape == SHAPE_MARKERS ? s.warmup_how
					    : "unknown without chunk markers: taken as none");
	return 0;
}

void advice_from_sample(struct advice *a, const struct advice_sample *s, double items,
			const struct amz_calibration *c, bool processes)
{
	const struct calib_figure *pool = processes ? &c->pool_processes : &c->pool_threads;
	double on_cpu = s->wall_ns > 0 ? fmin(1, s->item_ns / s->wall_ns) : 1;

	a->shape = SHAPE_LIBRARY;
	a->absolute = true;
	a->host.start_together = true;
	a->work.items = items;
	a->work.item_ns = s->item_ns;
	a->work.item_cv = s->item_cv;
	a->work.bytes_in = s->bytes_in;
	a->work.bytes_out = s->bytes_out;
	a->work.worker_mem_bytes = processes ? s->worker_mem : 0;
	if (count_cpus_in_parts(a, on_cpu))
		a->work.item_ns = s->wall_ns;
	set_input(a, IN_ITEMS, items, "the caller");
	set_input(a, IN_ITEM_NS, a->work.item_ns, "sampled: %zu items chosen at random, %s time",
		  s->n, on_cpu < 0.9 ? "wall" : "CPU");
	set_input(a, IN_ITEM_CV, s->item_cv, "sampled: spread of those items' times");
	set_input(a, IN_BYTES, s->bytes_in + s->bytes_out, "the item and result sizes");
	set_input(a, IN_WORKER_MEM, a->work.worker_mem_bytes,
		  processes ? "sampled: growth of this process's peak RSS"
			    : "threads share this process's memory");
	if (pool->measured) {
		a->host.dispatch_ns = pool->median;
		set_input(a, IN_DISPATCH, pool->median, "calibration: amz_map's hand-off, %s",
			  processes ? "processes" : "threads");
	}
	if (processes && c->ipc_shm.measured) {
		a->host.ipc_ns_per_byte = c->ipc_shm.median;
		set_input(a, IN_IPC, c->ipc_shm.median, "calibration: shared memory, in and out");
	} else if (!processes) {
		a->host.ipc_ns_per_byte = 0;
		set_input(a, IN_IPC, 0, "threads share memory: nothing to move");
	}
}

/* The optimiser and what it means for the run the user made. */

static void compare_with_current(struct advice *a)
{
	const struct model_result *r = &a->result;
	double span;

	if (a->absolute && a->current_jobs >= 1 && a->current_k >= 1 &&
	    a->current_k <= a->work.items) {
		span = model_makespan(&a->work, &a->host,
				      (int)fmin(a->current_jobs, MODEL_MAX_WORKERS),
				      round(a->current_k), MODEL_FIXED);
		if (span > 0)
			a->predicted_current = r->serial_ns / span;
	}
	if (a->absolute && a->current_k >= 1)
		a->scale_k = r->best.k / a->current_k;
	else if (!a->absolute && a->current_chunk_ns > 0)
		a->scale_k = r->chunk_ns / a->current_chunk_ns;
	if (a->absolute && a->wall_ns > 0)
		a->measured_speedup = r->serial_ns / a->wall_ns;
}

int advice_optimize(struct advice *a, struct amz_err *err)
{
	if (model_optimize(&a->work, &a->host, &a->result, err) < 0)
		return -1;
	a->optimized = true;
	compare_with_current(a);
	return 0;
}

void advice_free(struct advice *a)
{
	if (a->optimized)
		model_result_free(&a->result);
	a->optimized = false;
}

/* JSON */

static json_object *number_or_null(double v, bool known)
{
	return known ? json_object_new_double(v) : NULL;
}

static json_object *inputs_json(const struct advice *a)
{
	json_object *o = json_object_new_object();
	int i;

	for (i = 0; i < IN_COUNT; i++) {
		json_object *in;

		if (!a->in[i].name)
			continue;
		in = json_object_new_object();
		json_object_object_add(in, "value", json_object_new_double(a->in[i].value));
		json_object_object_add(in, "source", json_object_new_string(a->in[i].source));
		json_object_object_add(o, a->in[i].name, in);
	}
	return o;
}

static json_object *curve_json(const struct advice *a)
{
	json_object *arr = json_object_new_array();
	int i;

	for (i = 0; i < a->result.curve_len; i++) {
		const struct model_point *p = &a->result.curve[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "jobs", json_object_new_int(p->n));
		json_object_object_add(o, "chunksize",
				       number_or_null(p->k, a->absolute && p->feasible));
		json_object_object_add(o, "speedup", json_object_new_double(p->speedup));
		json_object_object_add(o, "feasible", json_object_new_boolean(p->feasible));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *current_json(const struct advice *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "jobs", number_or_null(a->current_jobs, a->current_jobs > 0));
	json_object_object_add(o, "chunksize", number_or_null(a->current_k, a->current_k > 0));
	json_object_object_add(o, "chunk_ns",
			       number_or_null(a->current_chunk_ns, a->current_chunk_ns > 0));
	json_object_object_add(o, "predicted_speedup",
			       number_or_null(a->predicted_current, a->predicted_current > 0));
	json_object_object_add(o, "measured_speedup",
			       number_or_null(a->measured_speedup, a->measured_speedup > 0));
	json_object_object_add(o, "parallelism",
			       number_or_null(a->parallelism, a->parallelism > 0));
	json_object_object_add(o, "runnable_over_cpu",
			       number_or_null(a->contention, a->contention > 0));
	return o;
}

json_object *advice_to_json(const struct advice *a)
{
	const struct model_result *r = &a->result;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "schema", json_object_new_int(ADVICE_SCHEMA));
	json_object_object_add(o, "jobs", json_object_new_int(r->best.n));
	json_object_object_add(o, "chunksize", number_or_null(r->best.k, a->absolute));
	json_object_object_add(
		o, "schedule",
		json_object_new_string(r->best.schedule == MODEL_FIXED ? "fixed" : "factoring"));
	json_object_object_add(o, "speedup", json_object_new_double(r->best.speedup));
	json_object_object_add(o, "serial", json_object_new_boolean(r->serial));
	json_object_object_add(o, "reason", json_object_new_string(r->reason));
	json_object_object_add(o, "absolute", json_object_new_boolean(a->absolute));
	json_object_object_add(o, "target_chunk_ns", json_object_new_double(r->chunk_ns));
	json_object_object_add(o, "scale_chunksize_by", number_or_null(a->scale_k, a->scale_k > 0));
	json_object_object_add(o, "shape", json_object_new_string(advice_shape_name(a->shape)));
	json_object_object_add(o, "current", current_json(a));
	json_object_object_add(o, "inputs", inputs_json(a));
	json_object_object_add(o, "curve", curve_json(a));
	return o;
}
