/* The cost model of a parallel map and the search for the best workers and chunk size.
 *
 * The pool it describes: the parent starts n workers one after another; one dispatcher hands
 * out chunks, one at a time, to whichever worker asks first; a worker computes its chunk, then
 * asks again. Its expected makespan blends two views of that pool:
 * - in turns: the schedule of mean times (hand-off i starts at the i-th moment a worker is free,
 *   and no sooner than the dispatcher allows), with the spread each worker's chunks add up to;
 *   a remainder of chunks goes to the workers that happen to finish first (order statistics);
 * - random phases: once item variation has scrambled where each worker is in its cycle, the
 *   busy time shared by the workers, queueing for the dispatcher by mean value analysis, and
 *   the idle time at the end: half a cycle on average, and the slowest of the last chunks
 *   (Kruskal and Weiss's sigma term, with the exact expected maximum of normals).
 * The weight of the first is how much phase survives the drift of the workers before their last
 * round, exp(-2 pi^2 (drift / cycle)^2), the first Fourier mode of a normal drift. Neither may
 * beat the busy time shared perfectly, nor the items' work at the CPUs' full capacity. Workers
 * sharing CPUs (more than the cores, or SMT siblings) run at the capacity they get on average
 * over their own schedule; a CFS quota stretches the run by the stops its CPU time costs.
 *
 * tests/unit/test_model_sim.c checks all of it against a simulation of the same pool. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* Worker counts whose makespans are within this fraction of the best are treated as equal, and
 * the smallest wins: the model cannot tell them apart, and fewer workers use less memory. */
#define MODEL_TIE 0.01

/* How much longer a predicted makespan may be to buy smaller chunks (see
 * prefer_smaller_chunks). */
#define MODEL_ROBUST 0.01

/* For a stream: the chunk is the smallest one whose hand-off costs at most this fraction of the
 * throughput an infinitely large chunk would reach; smaller chunks keep the end of the stream
 * short. */
#define MODEL_STREAM_OVERHEAD 0.01

/* The search over k stops when no interval left can beat the best makespan found by more than
 * this fraction: rounding, not the model, decides below it. */
#define MODEL_PRUNE 1e-12

/* Makespans the search of one schedule and worker count may compute before it stops and
 * reports how far from the optimum its best may still be: a first pass over every worker count
 * for the curve, then full searches for the few that may change the choice. The full one is far
 * more than small item counts need, so that for them the search is exact. */
#define MODEL_CURVE_EVALS   120
#define MODEL_SEARCH_EVALS  3000
#define MODEL_FULL_SEARCHES 6

/* Intervals this small are evaluated whole instead of bounded. */
#define MODEL_LEAF 8

/* Passes that refine the workers' average speed from their own schedule when they share CPUs. */
#define MODEL_SPEED_PASSES 2

/* How fast the phase of a worker's turns is lost: the first Fourier mode of a normal drift d
 * over a cycle c is exp(-2 pi^2 (d / c)^2). */
#define MODEL_COHERENCE_K (2 * M_PI * M_PI)

/* What depends on the worker count only. */
struct env {
	const struct model_work *w;
	const struct model_host *h;
	int n;
	double beta; /* hand-off ns per item for its bytes */
};

/* One fixed chunk size, derived. */
struct chunks {
	double k, m, last; /* items per chunk, chunks, items in the last */
	double busy;	   /* workers that get a chunk: min(n, m) */
	double mu;	   /* mean item time at the speed each of them gets, ns */
	double a, h, c;	   /* compute, hand-off and whole cycle of one chunk, ns */
	double cl;	   /* cycle of the last chunk */
	double s;	   /* standard deviation of one chunk's compute time */
	double s_end;	   /* the same once at most one worker is left per CPU: at the end the
			    * last workers run alone, faster if the CPUs were shared */
	double step;	   /* spacing of the workers' first hand-offs: spawn or hand-off */
	double ne;	   /* workers the dispatcher can keep busy, c / h, at most n */
	double free;	   /* 1 - (dispatcher utilisation)^2: how freely a worker's chunk
			    * deviations add up rather than vanish while it queues */
};

static bool is_whole(double x)
{
	return isfinite(x) && floor(x) == x;
}

static int check_number(struct amz_err *err, const char *name, const char *what, double v,
			bool zero_ok)
{
	if (isfinite(v) && (v > 0 || (zero_ok && v == 0)))
		return 0;
	return amz_fail(err, EINVAL, "the cost model needs %s (%s) to be a %s number, not %g", name,
			what, zero_ok ? "non-negative" : "positive", v);
}

static int check_work(const struct model_work *w, struct amz_err *err)
{
	if (!(w->items >= 0) || !is_whole(w->items) || w->items > 0x1p53)
		return amz_fail(err, EINVAL,
				"the cost model needs items to be a whole number from 0 (a stream) "
				"to 2^53, not %g",
				w->items);
	if (check_number(err, "item_ns", "the mean time of one item", w->item_ns, false) ||
	    check_number(err, "item_cv", "the spread of item times", w->item_cv, true) ||
	    check_number(err, "bytes_in", "bytes sent per item", w->bytes_in, true) ||
	    check_number(err, "bytes_out", "bytes returned per item", w->bytes_out, true) ||
	    check_number(err, "worker_mem_bytes", "memory per worker", w->worker_mem_bytes, true) ||
	    check_number(err, "warmup_ns", "a worker's warm-up", w->warmup_ns, true))
		return -1;
	return 0;
}

static int check_cpus(const struct model_host *h, struct amz_err *err)
{
	if (h->logical_cpus < 1)
		return amz_fail(err, EINVAL,
				"the cost model needs at least one usable CPU, not %d logical CPUs",
				h->logical_cpus);
	if (h->physical_cores < 1 || h->physical_cores > h->logical_cpus)
		return amz_fail(err, EINVAL,
				"the cost model needs 1 to %d physical cores for %d logical CPUs, "
				"not %d",
				h->logical_cpus, h->logical_cpus, h->physical_cores);
	if (h->logical_cpus > h->physical_cores && !(h->smt_scaling >= 0.5 && h->smt_scaling <= 1))
		return amz_fail(
			err, EINVAL,
			"the cost model needs smt_scaling between 0.5 and 1 when CPUs share "
			"cores, not %g",
			h->smt_scaling);
	if (check_number(err, "quota_cpus", "the CPU quota, 0 for none", h->quota_cpus, true))
		return -1;
	if (h->quota_cpus > 0 && check_number(err, "quota_period_ns", "the period of the CPU quota",
					      h->quota_period_ns, false))
		return -1;
	return 0;
}

static int check_host(const struct model_host *h, struct amz_err *err)
{
	if (check_number(err, "spawn_ns", "the time to start one worker", h->spawn_ns, true) ||
	    check_number(err, "start_wait_ns", "a started worker's wait for its first run",
			 h->start_wait_ns, true) ||
	    check_number(err, "dispatch_ns", "the time to hand out one chunk", h->dispatch_ns,
			 true) ||
	    check_number(err, "ipc_ns_per_byte", "the time to move one byte", h->ipc_ns_per_byte,
			 true) ||
	    check_cpus(h, err))
		return -1;
	if (isnan(h->mem_left_bytes) || h->mem_left_bytes == INFINITY)
		return amz_fail(err, EINVAL,
				"the cost model needs mem_left_bytes to be a number of bytes, or "
				"negative when unknown, not %g",
				h->mem_left_bytes);
	if (h->max_workers < 1 || h->max_workers > MODEL_MAX_WORKERS)
		return amz_fail(err, EINVAL,
				"the cost model searches 1 to %d workers, not max_workers = %d",
				MODEL_MAX_WORKERS, h->max_workers);
	return 0;
}

int model_check(const struct model_work *w, const struct model_host *h, struct amz_err *err)
{
	if (check_work(w, err) || check_host(h, err))
		return -1;
	return 0;
}

/* Core-equivalents that r workers computing at once get (r real, an average): a core each up to
 * the physical cores, then each sibling adds what SMT gives, and no more than the logical CPUs.
 */
static double capacity(const struct model_host *h, double r)
{
	double on_cpus = fmin(r, h->logical_cpus), on_cores = fmin(on_cpus, h->physical_cores);

	if (on_cpus == on_cores)
		return on_cores;
	return on_cores + (on_cpus - on_cores) * (2 * h->smt_scaling - 1);
}

static void env_init(struct env *e, const struct model_work *w, const struct model_host *h, int n)
{
	e->w = w;
	e->h = h;
	e->n = n;
	e->beta = (w->bytes_in + w->bytes_out) * h->ipc_ns_per_byte;
}

/* The speed of each of r workers computing at once, relative to a CPU of its own. */
static double shared_speed(const struct env *e, double r)
{
	return r > 1 ? capacity(e->h, r) / r : 1;
}

/* CPU time the quota charges for the items when r workers compute at once: one logical CPU
 * each while they compute, so SMT siblings and shared CPUs are charged for their slowness. */
static double cpu_time(const struct env *e, double r)
{
	r = fmax(1, r);
	return e->w->items * e->w->item_ns * fmin(r, e->h->logical_cpus) / capacity(e->h, r);
}

/* The wall time of a run that takes t ns unthrottled and uses cpu ns of CPU time, under the
 * quota: spending at its average rate, it runs quota * period / rate per period and then stops
 * until the period ends. The run starts with a full budget; consumption is taken as even,
 * which understates throttling of bursts. */
static double throttle(const struct env *e, double cpu, double t)
{
	double quota = e->h->quota_cpus, rate = t > 0 ? cpu / t : 0, run, stops;

	if (quota <= 0 || rate <= quota)
		return t;
	run = quota * e->h->quota_period_ns / rate;
	stops = ceil(t / run) - 1;
	return t + stops * (e->h->quota_period_ns - run);
}

/* The standard normal quantile, Abramowitz and Stegun 26.2.23: within 4.5e-4. */
static double normal_quantile(double p)
{
	double q = p < 0.5 ? p : 1 - p, t = sqrt(-2 * log(q)), x;

	x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
			(1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
	return p < 0.5 ? -x : x;
}

/* The expected i-th smallest of x standard normal variables (Blom), for real x >= 1. */
static double normal_order(double i, double x)
{
	return normal_quantile((i - 0.375) / (x + 0.25));
}

/* The expected largest of x standard normal variables, within 0.03 of the exact value; the
 * Kruskal-Weiss sqrt(2 ln x) is its limit, and overstates it twofold at x = 2. */
static double expected_max_normal(double x)
{
	return x <= 1 ? 0 : normal_order(x, x);
}

/* The expected larger of two normal quantities of means a and b whose difference has standard
 * deviation theta (Clark, 1961). */
static double expected_max2(double a, double b, double theta)
{
	double alpha;

	if (!(theta > 0))
		return fmax(a, b);
	alpha = (a - b) / theta;
	return a * 0.5 * erfc(-alpha / M_SQRT2) + b * 0.5 * erfc(alpha / M_SQRT2) +
	       theta * exp(-alpha * alpha / 2) / sqrt(2 * M_PI);
}

/* Workers that may finish last together: those whose planned ends lie within the random spread
 * of the last one's, when ends are spacing apart; at most x. */
static double close_finishers(double x, double spread, double spacing)
{
	if (spacing <= 0)
		return x;
	return fmin(x, 1 + spread / spacing);
}

/* Hand-off starts of a pool whose worker j (0..n-1) is first free at first + j * step and then
 * every cycle: the value of rank i (1-based) among all of them. */
struct starts {
	double first, step, cycle;
	int n;
};

static void swap_double(double *a, double *b)
{
	double t = *a;

	*a = *b;
	*b = t;
}

/* Moves the r-th smallest (0-based) of v[0..n-1] to v[r], smaller ones before it, larger after
 * (Hoare's selection): linear on average, where sorting would not be. */
static void select_rank(double *v, int n, int r)
{
	int lo = 0, hi = n - 1, i, j;
	double pivot;

	while (lo < hi) {
		pivot = v[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j)
				swap_double(&v[i++], &v[j--]);
		}
		if (r <= j)
			hi = j;
		else if (r >= i)
			lo = i;
		else
			return;
	}
}

/* Ascending, by selecting the median and sorting the halves around it. */
static void sort_doubles(double *v, int n)
{
	int i, j;
	double x;

	if (n <= 16) {
		for (i = 1; i < n; i++) {
			x = v[i];
			for (j = i; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	select_rank(v, n, n / 2);
	sort_doubles(v, n / 2);
	sort_doubles(v + n / 2 + 1, n - n / 2 - 1);
}

/* A time near the i-th start, from the count of starts that grows by one per worker cycle. */
static double starts_guess(const struct starts *p, double i)
{
	double sum = 0, t = p->first;
	int j;

	for (j = 1; j <= p->n; j++) {
		sum += p->first + (j - 1) * p->step;
		t = ((i - j / 2.0) * p->cycle + sum) / j;
		if (j == p->n || t < p->first + j * p->step)
			break;
	}
	return fmax(t, p->first);
}

/* Starts up to and including t: before the window (t - cycle, t] and the one each worker has
 * in it, collected into win. */
static double starts_window(const struct starts *p, double t, double *win, int *nwin)
{
	double before = 0, o, x, f;
	int j;

	*nwin = 0;
	for (j = 0; j < p->n; j++) {
		o = p->first + j * p->step;
		if (o > t)
			break;

		/* A start on the window's edge is inside it whatever the rounding, so that moving
		 * the window by a cycle moves every worker's count by exactly one. */
		x = (t - o) / p->cycle;
		f = floor(x + fmax(1e-9, 8 * DBL_EPSILON * x));
		before += f;
		win[(*nwin)++] = o + f * p->cycle;
	}
	return before;
}

static double start_rank(const struct starts *p, double i)
{
	double win[MODEL_MAX_WORKERS], t, before = 0, l;
	int nwin = 0, moves, r;

	/* Workers start within one cycle of each other: their starts take turns. */
	if ((p->n - 1) * p->step <= p->cycle) {
		l = floor((i - 1) / p->n);
		return p->first + (i - 1 - l * p->n) * p->step + l * p->cycle;
	}

	/* Otherwise find the window of one cycle holding rank i, then rank within it. The guess
	 * is within a few cycles; the bound on moves only guards against the unforeseen. */
	t = starts_guess(p, i);
	for (moves = 0; moves < 4 * p->n + 16; moves++) {
		before = starts_window(p, t, win, &nwin);
		if (before + nwin < i)
			t += p->cycle;
		else if (before >= i)
			t -= p->cycle;
		else
			break;
	}
	r = (int)fmin(fmax(i - before, 1), nwin) - 1;
	select_rank(win, nwin, r);
	return win[r];
}

/* When the i-th hand-off starts: when a worker is free for it, and no sooner than the
 * dispatcher, busy h per hand-off since the first worker was ready, can reach it. Once the
 * dispatcher cannot keep all n workers busy it runs back to back from the moment enough workers
 * are up to saturate it. */
static double hand_off_start(const struct env *e, const struct chunks *ch, double i)
{
	double first = e->h->spawn_ns, win[MODEL_MAX_WORKERS], o, before, t;
	struct starts p = {first, ch->step, ch->c, e->n};
	int saturating, nwin;

	t = fmax(start_rank(&p, i), first + (i - 1) * ch->h);
	if (ch->h <= 0 || e->n * ch->h <= ch->c)
		return t;

	saturating = (int)ceil(ch->c / ch->h);
	o = first + (saturating - 1) * ch->step;
	before = starts_window(&p, o, win, &nwin) + nwin;
	return i >= before ? fmax(t, o + (i - before) * ch->h) : t;
}

/* When the busy time work, begun at from, is done if it is shared by the workers as they
 * arrive (first, then every step), no more than cap at once. A share compute of it is computing
 * at full speed, slowed when the workers busy share the CPUs; the rest is waiting. */
static double fluid_end(const struct env *e, double first, double step, double cap, double work,
			double compute, double from)
{
	double t = fmax(first, from), done = 0, rate, next, b;
	int n = e->n, j = step > 0 ? (int)fmin(n, floor((t - first) / step) + 1) : n;

	for (; j <= n; j++) {
		b = fmin(j, cap);
		rate = b / (compute / shared_speed(e, b * compute) + 1 - compute);
		next = j < n && j < cap ? first + j * step : INFINITY;
		if (done + rate * (next - t) >= work)
			return t + (work - done) / rate;
		done += rate * (next - t);
		t = next;
	}
	return t;
}

static void chunks_init(struct chunks *ch, const struct env *e, double k, double speed)
{
	double n = e->n, items = e->w->items;

	ch->k = k;
	ch->m = ceil(items / k);
	ch->last = items - (ch->m - 1) * k;
	ch->busy = fmin(n, ch->m);
	ch->mu = e->w->item_ns / speed;
	ch->a = k * ch->mu;
	ch->h = e->h->dispatch_ns + k * e->beta;
	ch->c = ch->a + ch->h;
	ch->cl = ch->last * (ch->mu + e->beta) + e->h->dispatch_ns;
	ch->s = sqrt(k) * e->w->item_cv * ch->mu;
	ch->s_end = sqrt(k) * e->w->item_cv * e->w->item_ns /
		    shared_speed(e, fmin(ch->busy, e->h->logical_cpus));
	ch->step = fmax(e->h->spawn_ns, ch->h);
	ch->ne = ch->h > 0 ? fmin(n, ch->c / ch->h) : n;
	ch->free = 1 - fmin(1, n * ch->h / ch->c) * fmin(1, n * ch->h / ch->c);
}

/* Adds to *done and *time the capacity and the worker time of b workers computing for dt. */
static void add_busy(const struct env *e, double b, double dt, double *done, double *time)
{
	if (b <= 0 || dt <= 0)
		return;
	*done += capacity(e->h, b) * dt;
	*time += b * dt;
}

/* The speed each worker gets on average over the schedule of ch: until the last hand-off every
 * worker up is busy, then the chunks in flight end one by one; a busy worker computes for a / c
 * of its time and waits for hand-offs otherwise. Capacity over computing time, so that a slow
 * start with few workers up, and the drain at the end, count for what they are. */
static double schedule_speed(const struct env *e, const struct chunks *ch)
{
	struct starts p = {e->h->spawn_ns, ch->step, ch->c, e->n};
	double win[MODEL_MAX_WORKERS], last = hand_off_start(e, ch, ch->m), done = 0, time = 0;
	double t = p.first, next, computing = ch->a / ch->c, end;
	int j, nwin;

	for (j = ch->step > 0 ? 1 : (int)ch->busy; t < last; j++) {
		next = j < ch->busy ? fmin(last, p.first + j * p.step) : last;
		add_busy(e, fmin(j, ch->busy) * computing, next - t, &done, &time);
		t = next;
	}

	/* The chunks in flight end a cycle after their starts, but the latest start is the last
	 * chunk's, which may end sooner: move it down to its place. */
	starts_window(&p, last, win, &nwin);
	sort_doubles(win, nwin);
	for (j = 0; j < nwin; j++)
		win[j] += ch->c;
	end = win[nwin - 1] - ch->c + ch->cl;
	for (j = nwin - 1; j > 0 && win[j - 1] > end; j--)
		win[j] = win[j - 1];
	win[j] = end;
	for (j = 0; j < nwin; j++) {
		add_busy(e, fmin(nwin - j, ch->busy) * computing, win[j] - t, &done, &time);
		t = fmax(t, win[j]);
	}
	return time > 0 ? done / time : shared_speed(e, ch->busy * computing);
}

/* Fixed chunks of k, at the speed the workers get on average over their schedule. */
static void fixed_chunks(struct chunks *ch, const struct env *e, double k)
{
	double busy = fmin(e->n, ceil(e->w->items / k)), a = k * e->w->item_ns;
	int i;

	chunks_init(ch, e, k, shared_speed(e, busy * a / (a + e->h->dispatch_ns + k * e->beta)));
	for (i = 0; i < MODEL_SPEED_PASSES && ch->mu != e->w->item_ns; i++)
		chunks_init(ch, e, k, schedule_speed(e, ch));
}

/* Workers computing at once on average when busy of them cycle through ch. */
static double computing(const struct chunks *ch)
{
	return ch->busy * ch->a / ch->c;
}

/* When the items' work is done if the CPUs ran at the full capacity of busy workers from the
 * moment the first is up. */
static double full_capacity_end(const struct env *e, double busy)
{
	return e->h->spawn_ns + e->w->items * e->w->item_ns / capacity(e->h, busy);
}

/* Expected idle time at the end once phases are random: the others are half a cycle from done
 * on average when the last chunk starts, and the slowest of the last chunks adds its deviation.
 */
static double random_phase_end(double workers, double c, double s)
{
	double close = close_finishers(workers, s, c / workers);

	return (workers - 1) / (2 * workers) * c + s * expected_max_normal(close);
}

/* The cycle of each of w workers computing a mean of a ns per chunk and queueing for one
 * dispatcher busy h per hand-off: approximate mean value analysis with a deterministic
 * dispatcher (a worker arriving during a hand-off waits for half of it). The wait is scaled by
 * the coefficient of variation of compute times, at most 1: steady compute times let the
 * workers fall into a rhythm in which they never queue. */
static double queued_cycle(double h, double a, int w, double cv)
{
	double q = 0, u = 0, r = h, x;
	int j;

	for (j = 1; j <= w && h > 0; j++) {
		r = h + h * (q - u) + u * h / 2;
		x = fmin(j / (r + a), 1 / h);
		q = x * r;
		u = x * h;
	}
	return fmax(a + h + fmin(1, cv) * (r - h), w * h);
}

/* The end while the workers still take their chunks in turns: the schedule of mean times, with
 * the spread of what each worker has done so far. When m is not a multiple of the workers, the
 * last r chunks go to the r workers that happen to finish first, so their ends move earlier by
 * that order statistic, and they run with fewer workers beside them (faster, if the CPUs were
 * shared); the latest of the other workers sets the end otherwise. */
static double in_turn_end(const struct env *e, const struct chunks *ch, double workers)
{
	int nw = (int)fmin(e->n, ch->m);
	double full = floor(ch->m / nw), r = ch->m - full * nw, spread, close, last, others;
	double faster = 0;

	if (e->n * ch->h > ch->c)
		r = 0;
	spread = ch->s_end * sqrt(1 + ((r > 0 ? full : fmax(1, ch->m / workers)) - 1) * ch->free);
	close = close_finishers(workers, spread, fmin(ch->step, ch->c / workers));
	if (r > 0)
		faster = e->w->item_ns / shared_speed(e, r) - ch->mu;

	last = hand_off_start(e, ch, ch->m) + ch->cl + ch->last * faster;
	if (ch->m >= 2 && r != 1)
		last = fmax(last, hand_off_start(e, ch, ch->m - 1) + ch->c + ch->k * faster);
	if (r == 0)
		return last + spread * expected_max_normal(close);

	others = hand_off_start(e, ch, ch->m - r) + ch->c + spread * expected_max_normal(close);
	last += spread * normal_order(r, nw) * (close - 1) / (nw - 1) +
		ch->s_end * expected_max_normal(fmin(r, close));
	return expected_max2(others, last, spread);
}

static double fixed_time(const struct env *e, double k)
{
	struct chunks ch;
	double workers, drift, coherence, shared, sync, rand, cycle;
	int nw;

	fixed_chunks(&ch, e, k);
	workers = fmin(ch.ne, ch.m);
	nw = (int)fmin(e->n, ch.m);

	/* Chunk deviations before a worker's last round shift which worker takes which chunk; once
	 * they reach a sizeable part of a cycle, turns no longer hold. */
	drift = ch.s * sqrt((fmax(1, ch.m / workers) - 1) * ch.free);
	coherence = exp(-MODEL_COHERENCE_K * (drift / ch.c) * (drift / ch.c));

	/* No schedule beats the busy time shared perfectly by the workers as they arrive, nor the
	 * items' work done at the full capacity of the CPUs. */
	shared = fmax(fluid_end(e, e->h->spawn_ns, ch.step, nw, (ch.m - 1) * ch.c + ch.cl, 0, 0),
		      full_capacity_end(e, nw));
	sync = fmax(in_turn_end(e, &ch, workers), shared);

	cycle = queued_cycle(ch.h, ch.a, nw, ch.s / ch.a);
	rand = fmax(fluid_end(e, e->h->spawn_ns, ch.step, nw, (ch.m - 1) * cycle + ch.cl, 0, 0),
		    shared) +
	       random_phase_end(nw, cycle, ch.s_end);

	return throttle(e, cpu_time(e, computing(&ch)),
			fmax(coherence * sync + (1 - coherence) * rand, e->n * e->h->spawn_ns));
}

/* Factoring's rounds one after another: each takes its busy time shared by the workers up by
 * then, or the dispatcher's time for its hand-offs if that is longer. */
struct rounds {
	double m, t, first;
	double last_chunks; /* chunks of the final stage, all of kmin but the very last */
	double last_items;  /* items of the final stage */
};

static void factoring_round(struct rounds *r, const struct env *e, double step, double chunks,
			    double items)
{
	double hand = chunks * e->h->dispatch_ns + items * e->beta;
	double work = items * e->w->item_ns + hand, shared;

	shared = fluid_end(e, e->h->spawn_ns, step, fmin(e->n, chunks), work,
			   items * e->w->item_ns / work, r->t);
	r->t = fmax(shared, r->t + hand);
	r->m += chunks;
}

static void factoring_rounds(struct rounds *r, const struct env *e, double kmin)
{
	double left = e->w->items, size, take, step;

	r->m = r->last_chunks = r->last_items = 0;
	r->t = e->h->spawn_ns;
	r->first = fmax(kmin, ceil(left / (2.0 * e->n)));
	step = fmax(e->h->spawn_ns, e->h->dispatch_ns + r->first * e->beta);
	while (left > 0) {
		size = fmax(kmin, ceil(left / (2.0 * e->n)));
		take = size == kmin ? left : fmin(e->n * size, left);
		r->last_chunks = ceil(take / size);
		r->last_items = take;
		factoring_round(r, e, step, r->last_chunks, take);
		left -= take;
	}
}

/* The end of factoring's final stage while its rounds still finish together: its last round
 * (what is left after whole rounds, the very last chunk holding the remainder) keeps its longest
 * chunk's worker beyond the share of that round the fluid gave every worker; and the spread of
 * what each worker has done. */
static double factoring_in_turn_end(const struct env *e, const struct chunks *end,
				    const struct rounds *r, double workers, double spread)
{
	double n = e->n, last = r->last_chunks - n * floor((r->last_chunks - 1) / n), rest;
	double c_rest, longest, close;

	rest = r->last_items - (r->last_chunks - 1) * end->k;
	c_rest = rest * (end->mu + e->beta) + e->h->dispatch_ns;
	longest = last >= 2 ? end->c : c_rest;
	close = close_finishers(workers, spread, fmin(end->step, end->c / workers));
	return longest - ((last - 1) * end->c + c_rest) / n + spread * expected_max_normal(close);
}

static double factoring_time(const struct env *e, double kmin)
{
	struct chunks end;
	struct rounds r;
	double workers, per_worker, drift, spread, coherence, t, a, items, busy;

	/* The final rounds hand out chunks of kmin, whose workers compute for a / c of their time;
	 * over the whole run, the items' share of the rounds' busy time. */
	a = kmin * e->w->item_ns;
	chunks_init(&end, e, kmin,
		    shared_speed(e, e->n * a / (a + e->h->dispatch_ns + kmin * e->beta)));
	factoring_rounds(&r, e, kmin);
	workers = fmin(end.ne, r.m);
	items = e->w->items * e->w->item_ns;
	busy = fmin(e->n, r.m) * items / (items + r.m * e->h->dispatch_ns + e->w->items * e->beta);

	/* As for fixed chunks: deviations over the items a worker did before its last chunk
	 * decide whether the rounds still end together. */
	per_worker = e->w->items / fmin(e->n, r.m);
	drift = e->w->item_cv * end.mu * sqrt(fmax(0, per_worker - kmin) * end.free);
	spread = sqrt(end.s_end * end.s_end + drift * drift);
	coherence = exp(-MODEL_COHERENCE_K * (drift / end.c) * (drift / end.c));

	t = fmax(r.t, full_capacity_end(e, fmin(e->n, r.m))) +
	    coherence * factoring_in_turn_end(e, &end, &r, workers, spread) +
	    (1 - coherence) * random_phase_end(workers, end.c, end.s_end);
	return throttle(e, cpu_time(e, busy), fmax(t, e->n * e->h->spawn_ns));
}

/* What moves the whole schedule, whatever its chunks, and the pool that then runs them (e0,
 * whose host h0 may hold). A pool that starts all its workers first runs the map as if they
 * cost nothing to start, after n starts; every worker waits for its first run, and warms up on
 * its first chunk, at the same time as the others. */
static double schedule_offset(const struct env *e, struct env *e0, struct model_host *h0)
{
	double offset = e->h->start_wait_ns + e->w->warmup_ns;

	*e0 = *e;
	if (!e->h->start_together)
		return offset;
	*h0 = *e->h;
	h0->spawn_ns = 0;
	e0->h = h0;
	return offset + e->n * e->h->spawn_ns;
}

static double point_time(const struct env *e, double k, enum model_schedule s)
{
	struct model_host h0;
	struct env e0;
	double offset = schedule_offset(e, &e0, &h0);

	return offset + (s == MODEL_FACTORING ? factoring_time(&e0, k) : fixed_time(&e0, k));
}

static bool valid_point(const struct model_work *w, int n, double k, enum model_schedule s)
{
	if (n < 1 || n > MODEL_MAX_WORKERS || !is_whole(k) || k < 1 || k > w->items)
		return false;
	return s == MODEL_FIXED || s == MODEL_FACTORING;
}

double model_makespan(const struct model_work *w, const struct model_host *h, int n, double k,
		      enum model_schedule s)
{
	struct env e;

	if (model_check(w, h, NULL) < 0 || w->items == 0 || !valid_point(w, n, k, s))
		return NAN;
	env_init(&e, w, h, n);
	return point_time(&e, k, s);
}

/* Lower bounds of the makespan over every k of an interval, for the search. Each quantity is
 * taken at the end of the interval where it is smallest: items at full speed (workers never go
 * faster), chunks and cycles at k1, chunk counts at k2. The noise terms, all positive, drop out;
 * the weight between the in-turn and the random-phase ends is bounded from above. */
struct bounds {
	double k1, k2, m1, m2; /* m1 = chunks at k1 (the most), m2 at k2 */
	double c, h, step;     /* cycle, hand-off and first spacing at k1, full speed */
};

static void bounds_init(struct bounds *b, const struct env *e, double k1, double k2)
{
	b->k1 = k1;
	b->k2 = k2;
	b->m1 = ceil(e->w->items / k1);
	b->m2 = ceil(e->w->items / k2);
	b->h = e->h->dispatch_ns + k1 * e->beta;
	b->c = k1 * e->w->item_ns + b->h;
	b->step = fmax(e->h->spawn_ns, b->h);
}

static double start_bound(const struct env *e, const struct bounds *b, double i)
{
	struct starts p = {e->h->spawn_ns, b->step, b->c, e->n};

	i = fmax(1, i);
	return fmax(start_rank(&p, i), e->h->spawn_ns + (i - 1) * b->h);
}

/* The weight of the in-turn end is at most exp(-K x^2) for the least drift per cycle x: drift
 * from items items per worker before its last chunk, with the least freedom from the dispatcher,
 * over the largest cycle per item. */
static double coherence_bound(const struct env *e, const struct bounds *b, double items)
{
	double h2 = e->h->dispatch_ns + b->k2 * e->beta, load, free, x;

	load = fmin(1, e->n * b->h / b->c);
	free = 1 - load * load;
	x = e->w->item_cv * sqrt(fmax(0, items) * free) / (b->k2 + h2 / e->w->item_ns);
	return exp(-MODEL_COHERENCE_K * x * x);
}

/* The largest spread the in-turn end can give the workers' ends: chunk deviations at the speed
 * of the fewest workers sharing a CPU, over every round. */
static double spread_bound(const struct env *e, const struct bounds *b)
{
	double busy = fmin(fmin(e->n, b->m1), e->h->logical_cpus);

	return sqrt(b->k2) * e->w->item_cv * e->w->item_ns / shared_speed(e, busy) *
	       sqrt(fmax(1, b->m1 / e->n));
}

/* The least in-turn end. Without a remainder: the last chunk after the m-th start, or a whole
 * chunk after the start before it. With a remainder r, the larger of a whole chunk after the
 * last start of the full rounds and the extra chunks after their starts, those moved earlier by
 * at most the largest order statistic. */
static double fixed_in_turn_bound(const struct env *e, const struct bounds *b)
{
	double n = e->n, r = b->m2 > n ? fmod(b->m2, n) : 0, last, cl, whole, extra, r0;
	double early = spread_bound(e, b) * expected_max_normal(n);

	last = e->w->items - (b->m2 - 1) * b->k2;
	cl = (b->m1 == b->m2 ? last : 1) * (e->w->item_ns + e->beta) + e->h->dispatch_ns;

	r0 = start_bound(e, b, b->m2) + cl;
	if (b->m2 >= 2)
		r0 = fmax(r0, start_bound(e, b, b->m2 - 1) + b->c);
	if (b->m1 == b->m2 && r == 0)
		return r0;
	if (b->m1 != b->m2)
		r0 = b->m2 >= 2 ? start_bound(e, b, b->m2 - 1) + b->c : e->h->spawn_ns + b->c;
	if (b->m1 <= n)
		return r0;

	whole = start_bound(e, b, n * floor(b->m2 / n)) + b->c;
	extra = start_bound(e, b, b->m2) + cl - early;
	if (b->m1 == b->m2 && r >= 2)
		extra = fmax(extra, start_bound(e, b, b->m2 - 1) + b->c - early);
	return fmin(r0, fmax(whole, extra));
}

/* The busy time of the chunks shared perfectly by the workers as they arrive. */
static double fixed_shared_bound(const struct env *e, const struct bounds *b)
{
	double work = e->w->items * (e->w->item_ns + e->beta) + b->m2 * e->h->dispatch_ns;

	return fmax(fluid_end(e, e->h->spawn_ns, b->step, fmin(e->n, b->m1), work, 0, 0),
		    full_capacity_end(e, fmin(e->n, b->m1)));
}

static double fixed_bound(const struct env *e, double k1, double k2)
{
	struct bounds b;
	double shared, turn, rand, least, weight, t;

	bounds_init(&b, e, k1, k2);
	shared = fixed_shared_bound(e, &b);
	turn = fmax(fixed_in_turn_bound(e, &b), shared);
	least = fmin(e->n, b.m2);
	rand = shared + (least - 1) / (2 * least) * b.c;
	weight = coherence_bound(e, &b, b.k1 * (fmax(1, b.m2 / e->n) - 1));
	t = fmin(rand, weight * turn + (1 - weight) * rand);
	return throttle(e, e->w->items * e->w->item_ns, fmax(t, e->n * e->h->spawn_ns));
}

static double factoring_count(const struct env *e, double kmin)
{
	double left = e->w->items, size, take, m = 0;

	while (left > 0) {
		size = fmax(kmin, ceil(left / (2.0 * e->n)));
		take = size == kmin ? left : fmin(e->n * size, left);
		m += ceil(take / size);
		left -= take;
	}
	return m;
}

/* Factoring's rounds take at least their work shared by the workers, and at least the
 * dispatcher's hand-offs; its end at least the random-phase half chunk, by its weight. */
static double factoring_bound(const struct env *e, double k1, double k2)
{
	struct bounds b;
	double n = e->n, items = e->w->items, m, step, rounds, workers, weight, t;

	/* Rounds one after another, each with its own cap on workers, take no less than all their
	 * work shared by the same workers arriving as early as the smallest first chunk allows. */
	bounds_init(&b, e, k1, k2);
	m = factoring_count(e, k2);
	step = fmax(e->h->spawn_ns, e->h->dispatch_ns + ceil(items / (2 * n)) * e->beta);
	rounds = fmax(e->h->spawn_ns + m * e->h->dispatch_ns + items * e->beta,
		      fluid_end(e, e->h->spawn_ns, step, n,
				items * (e->w->item_ns + e->beta) + m * e->h->dispatch_ns, 0, 0));

	workers = fmin(fmin(n, 1 + k1 * e->w->item_ns / b.h), m);
	weight = coherence_bound(e, &b, items / n - k2);
	t = fmax(rounds, full_capacity_end(e, fmin(n, factoring_count(e, k1)))) +
	    (1 - weight) * (workers - 1) / (2 * workers) * b.c;
	return throttle(e, items * e->w->item_ns, fmax(t, n * e->h->spawn_ns));
}

static double point_bound(const struct env *e, double k1, double k2, enum model_schedule s)
{
	struct model_host h0;
	struct env e0;
	double offset = schedule_offset(e, &e0, &h0);

	return offset +
	       (s == MODEL_FACTORING ? factoring_bound(&e0, k1, k2) : fixed_bound(&e0, k1, k2));
}

/* The intervals of k still to search, the one with the least bound first. */
struct interval {
	double k1, k2, bound;
};

struct search {
	const struct env *e;
	enum model_schedule s;
	struct interval *heap;
	int len, cap;
	double lost; /* the least bound of intervals dropped for want of room */
	int evals;
	double best, best_k;
};

static void search_eval(struct search *x, double k)
{
	double t = point_time(x->e, k, x->s);

	x->evals++;
	if (t < x->best || (t == x->best && k < x->best_k)) {
		x->best = t;
		x->best_k = k;
	}
}

static bool worth_searching(const struct search *x, double bound)
{
	return bound < x->best * (1 - MODEL_PRUNE);
}

static void heap_swap(struct interval *a, struct interval *b)
{
	struct interval t = *a;

	*a = *b;
	*b = t;
}

static void search_push(struct search *x, double k1, double k2)
{
	double bound;
	int i;

	if (k1 > k2)
		return;
	bound = point_bound(x->e, k1, k2, x->s);
	if (!worth_searching(x, bound))
		return;
	if (x->len == x->cap) {
		x->lost = fmin(x->lost, bound);
		return;
	}
	i = x->len++;
	x->heap[i] = (struct interval){k1, k2, bound};
	for (; i > 0 && x->heap[(i - 1) / 2].bound > x->heap[i].bound; i = (i - 1) / 2)
		heap_swap(&x->heap[i], &x->heap[(i - 1) / 2]);
}

static struct interval search_pop(struct search *x)
{
	struct interval top = x->heap[0];
	int i = 0, c;

	x->heap[0] = x->heap[--x->len];
	for (;;) {
		c = 2 * i + 1;
		if (c >= x->len)
			break;
		if (c + 1 < x->len && x->heap[c + 1].bound < x->heap[c].bound)
			c++;
		if (x->heap[i].bound <= x->heap[c].bound)
			break;
		heap_swap(&x->heap[i], &x->heap[c]);
		i = c;
	}
	return top;
}

/* Starting points: every power of two, the Kruskal-Weiss optimum, the sizes that split the
 * items into whole rounds of the workers, where the schedule of mean times is best, and near
 * hint, the best for one worker less, scaled to one more. */
static void search_seed(struct search *x, double kmax, double hint)
{
	const struct env *e = x->e;
	double items = e->w->items, n = e->n, h = e->h->dispatch_ns + e->beta, sd, k;
	int j;

	for (k = 1; k < kmax; k *= 2)
		search_eval(x, k);
	search_eval(x, kmax);

	sd = e->w->item_cv * e->w->item_ns;
	if (sd > 0 && n > 1) {
		k = pow(M_SQRT2 * items * h / (sd * n * sqrt(log(n))), 2.0 / 3);
		if (k >= 1 && k <= kmax)
			search_eval(x, floor(k));
	}
	for (j = 1; j <= 16; j++) {
		k = ceil(items / (j * n));
		if (k <= kmax)
			search_eval(x, k);
	}
	for (j = -2; j <= 2 && hint > 0; j++) {
		k = floor(hint * (n - 1) / n) + j;
		if (k >= 1 && k <= kmax)
			search_eval(x, k);
	}
}

/* The k in 1..kmax with the least makespan: the best found by branch and bound over intervals
 * whose lower bounds could still beat it, exact unless it ran out of evaluations; then *gap is
 * how much shorter the optimum may still be. */
static int search_k(const struct env *e, enum model_schedule s, double kmax, double hint,
		    int budget, double *k, double *time, double *gap)
{
	struct search x = {.e = e, .s = s, .cap = 4096, .lost = INFINITY, .best = INFINITY};
	struct interval iv;
	double least = INFINITY, mid, i;

	x.heap = malloc((size_t)x.cap * sizeof(*x.heap));
	if (!x.heap)
		return -1;

	search_seed(&x, kmax, hint);
	search_push(&x, 1, kmax);
	while (x.len > 0) {
		iv = search_pop(&x);
		if (!worth_searching(&x, iv.bound))
			continue;
		if (x.evals >= budget) {
			least = fmin(least, iv.bound);
			continue;
		}
		if (iv.k2 - iv.k1 < MODEL_LEAF) {
			for (i = iv.k1; i <= iv.k2; i++)
				search_eval(&x, i);
			continue;
		}
		mid = floor((iv.k1 + iv.k2) / 2);
		search_eval(&x, mid);
		search_push(&x, iv.k1, mid - 1);
		search_push(&x, mid + 1, iv.k2);
	}
	free(x.heap);

	least = fmin(least, x.lost);
	*k = x.best_k;
	*time = x.best;
	*gap = least < x.best * (1 - MODEL_PRUNE) ? 1 - least / x.best : 0;
	return 0;
}

/* Factoring's smallest chunk stays below its first, or it is fixed chunks under another name. */
static double factoring_kmax(const struct env *e)
{
	return fmax(1, ceil(e->w->items / (2.0 * e->n)) - 1);
}

static int best_point(const struct env *e, enum model_schedule s, double hint, int budget,
		      struct model_point *p)
{
	double kmax = s == MODEL_FACTORING ? factoring_kmax(e) : e->w->items;

	memset(p, 0, sizeof(*p));
	p->n = e->n;
	p->schedule = s;
	p->feasible = true;
	return search_k(e, s, kmax, hint, budget, &p->k, &p->makespan_ns, &p->gap);
}

static double serial_time(const struct model_work *w, const struct model_host *h)
{
	struct env e;

	double work = w->items * w->item_ns + w->warmup_ns;

	env_init(&e, w, h, 1);
	return throttle(&e, work, work);
}

int model_best_chunk(const struct model_work *w, const struct model_host *h, int n,
		     enum model_schedule s, struct model_point *out, struct amz_err *err)
{
	struct env e;

	if (model_check(w, h, err) < 0)
		return -1;
	if (w->items == 0)
		return amz_fail(err, EINVAL,
				"the cost model cannot size chunks of a stream by makespan; "
				"model_optimize gives a target chunk duration for it");
	if (n < 1 || n > MODEL_MAX_WORKERS)
		return amz_fail(err, EINVAL, "the cost model takes 1 to %d workers, not %d",
				MODEL_MAX_WORKERS, n);

	env_init(&e, w, h, n);
	if (best_point(&e, s, 0, MODEL_SEARCH_EVALS, out) < 0)
		return amz_fail(err, ENOMEM, "cannot search chunk sizes: out of memory");
	out->speedup = serial_time(w, h) / out->makespan_ns;
	return 0;
}

static int memory_workers(const struct model_work *w, const struct model_host *h)
{
	if (w->worker_mem_bytes <= 0 || h->mem_left_bytes < 0)
		return -1;
	return (int)fmin(MODEL_MAX_WORKERS, floor(h->mem_left_bytes / w->worker_mem_bytes));
}

/* The fastest point for n workers: the best fixed k, and factoring's best when items vary.
 * hints holds the best k of each schedule for one worker less, and gets those for n. */
static int best_at(const struct model_work *w, const struct model_host *h, int n, int budget,
		   double hints[2], struct model_point *p)
{
	struct model_point f;
	double could;
	struct env e;

	env_init(&e, w, h, n);
	if (best_point(&e, MODEL_FIXED, hints[0], budget, p) < 0)
		return -1;
	hints[0] = p->k;
	if (w->item_cv == 0 || h->fixed_only)
		return 0;

	if (best_point(&e, MODEL_FACTORING, hints[1], budget, &f) < 0)
		return -1;
	hints[1] = f.k;
	could = fmin(p->makespan_ns * (1 - p->gap), f.makespan_ns * (1 - f.gap));
	if (f.makespan_ns < p->makespan_ns)
		*p = f;
	p->gap = 1 - could / p->makespan_ns;
	return 0;
}

/* Whether a point found by a search cut short could change the choice: its optimum may be the
 * fastest of all, or may fall within MODEL_TIE of the fastest while its best found does not. */
static bool undecided(const struct model_point *p, double least)
{
	double could = p->makespan_ns * (1 - p->gap), tie = least * (1 + MODEL_TIE);

	return p->gap > 0 && (could < least || (could <= tie && p->makespan_ns > tie));
}

static double least_makespan(const struct model_result *r)
{
	double least = INFINITY;
	int i;

	for (i = 0; i < r->curve_len; i++)
		least = fmin(least, r->curve[i].makespan_ns);
	return least;
}

/* The undecided point among the first to whose optimum may be the shortest, or NULL. */
static struct model_point *most_promising(struct model_result *r, int to, const bool *done)
{
	double least = least_makespan(r), could, lowest = INFINITY;
	struct model_point *p = NULL;
	int i;

	for (i = 0; i < to; i++) {
		could = r->curve[i].makespan_ns * (1 - r->curve[i].gap);
		if (!done[i] && undecided(&r->curve[i], least) && could < lowest) {
			lowest = could;
			p = &r->curve[i];
		}
	}
	return p;
}

/* The full search of p's worker count, seeded with its best k so far. */
static int refine(const struct model_work *w, const struct model_host *h, struct model_point *p)
{
	double hints[2];

	hints[0] = hints[1] = p->n > 1 ? p->k * p->n / (p->n - 1) : 0;
	return best_at(w, h, p->n, MODEL_SEARCH_EVALS, hints, p);
}

/* The curve at every worker count with a short search, then full searches where they may change
 * the choice, the most promising first. The points left undecided keep their gap. */
static int search_curve(const struct model_work *w, const struct model_host *h,
			struct model_result *r)
{
	struct model_point *p;
	bool done[MODEL_MAX_WORKERS] = {false};
	double hints[2] = {0, 0}, could;
	int n, full, to = h->logical_cpus < r->curve_len ? h->logical_cpus : r->curve_len;

	for (n = 1; n <= r->curve_len; n++) {
		if (best_at(w, h, n, MODEL_CURVE_EVALS, hints, &r->curve[n - 1]) < 0)
			return -1;
	}
	/* Worker counts beyond the CPUs count only if they may win by the model's uncertainty. */
	for (n = h->logical_cpus; n < r->curve_len; n++) {
		could = r->curve[n].makespan_ns * (1 - r->curve[n].gap);
		if (could < least_makespan(r) * (1 - MODEL_OVERSUBSCRIBED_UNCERTAINTY))
			to = r->curve_len;
	}
	for (full = 0; full < MODEL_FULL_SEARCHES && (p = most_promising(r, to, done)); full++) {
		done[p->n - 1] = true;
		if (refine(w, h, p) < 0)
			return -1;
	}
	return 0;
}

/* The fastest makespan among worker counts from..to - 1 that fit in memory. */
static double fastest(const struct model_result *r, int from, int to)
{
	double least = INFINITY;
	int i;

	for (i = from; i < to && i < r->curve_len; i++) {
		if (r->curve[i].feasible)
			least = fmin(least, r->curve[i].makespan_ns);
	}
	return least;
}

/* Among the worker counts that fit in memory, the smallest within MODEL_TIE of the fastest;
 * NULL when none fits. One worker is a pool only when no more are allowed: it cannot beat
 * running in the caller, and the pool worth comparing with serial is the best of two or more.
 * More workers than logical CPUs are where the model is least sure (they share CPUs in time
 * slices it treats as even); they are chosen only when they win by more than its uncertainty
 * there. */
static struct model_point *choose_pool(struct model_result *r, const struct model_host *h)
{
	int from = r->curve_len >= 2 && r->curve[1].feasible ? 1 : 0, to = h->logical_cpus, i;
	double within = fastest(r, from, to), beyond = fastest(r, to, r->curve_len), least;

	if (from >= to || beyond < within * (1 - MODEL_OVERSUBSCRIBED_UNCERTAINTY))
		to = r->curve_len;
	least = fastest(r, from, to);
	for (i = from; i < to; i++) {
		if (r->curve[i].feasible && r->curve[i].makespan_ns <= least * (1 + MODEL_TIE))
			return &r->curve[i];
	}
	return NULL;
}

/* The costs of p, by removing them one after another from the host. */
static void point_costs(const struct model_work *w, const struct model_host *h,
			const struct model_point *p, struct model_costs *c)
{
	struct model_work cold = *w;
	struct model_host free_host = *h;
	double with_all, no_spawn, no_dispatch, no_sharing;
	struct env e;

	env_init(&e, w, &free_host, p->n);
	with_all = point_time(&e, p->k, p->schedule);
	free_host.spawn_ns = free_host.start_wait_ns = 0;
	cold.warmup_ns = 0;
	e.w = &cold;
	no_spawn = point_time(&e, p->k, p->schedule);
	free_host.dispatch_ns = free_host.ipc_ns_per_byte = 0;
	e.beta = 0;
	no_dispatch = point_time(&e, p->k, p->schedule);
	free_host.logical_cpus = free_host.physical_cores = MODEL_MAX_WORKERS;
	free_host.quota_cpus = 0;
	no_sharing = point_time(&e, p->k, p->schedule);

	c->ideal_ns = w->items * w->item_ns / p->n;
	c->spawn_ns = with_all - no_spawn;
	c->dispatch_ns = no_spawn - no_dispatch;
	c->cpu_ns = no_dispatch - no_sharing;
	c->tail_ns = no_sharing - c->ideal_ns;
}

static const char *format_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.3g us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3g s", ns / 1e9);
	return buf;
}

static const char *format_bytes(char *buf, size_t len, double bytes)
{
	static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%.3g %s", bytes, units[u]);
	return buf;
}

static const char *format_schedule(char *buf, size_t len, const struct model_point *p)
{
	if (p->schedule == MODEL_FACTORING)
		snprintf(buf, len, "factoring chunks that halve down to %.0f item%s", p->k,
			 p->k == 1 ? "" : "s");
	else
		snprintf(buf, len, "chunks of %.0f item%s", p->k, p->k == 1 ? "" : "s");
	return buf;
}

/* The largest of the costs, in the words the reason uses. */
static const char *largest_cost(const struct model_costs *c, double *ns)
{
	static const char *const names[] = {
		"spawn (starting the workers, their wait for a first run, and their warm-up)",
		"dispatch (handing out chunks and moving their bytes)",
		"CPUs (workers sharing or throttled CPUs)",
		"tail (workers idle while the last chunks finish)",
	};
	double v[] = {c->spawn_ns, c->dispatch_ns, c->cpu_ns, c->tail_ns};
	int i, most = 0;

	for (i = 1; i < 4; i++) {
		if (v[i] > v[most])
			most = i;
	}
	*ns = v[most];
	return names[most];
}

static bool memory_binds(const struct model_result *r, const struct model_point *pool)
{
	int i;

	if (r->mem_workers < 0 || pool->n != r->mem_workers)
		return false;
	for (i = pool->n; i < r->curve_len; i++) {
		if (r->curve[i].makespan_ns < pool->makespan_ns * (1 - MODEL_TIE))
			return true;
	}
	return false;
}

/* Core-equivalents the process may use at most: the CPUs, or the quota if it is less. */
static double useful_cpus(const struct model_host *h)
{
	double cpus = capacity(h, h->logical_cpus);

	return h->quota_cpus > 0 ? fmin(cpus, h->quota_cpus) : cpus;
}

static void cpu_limit(char *buf, size_t len, const struct model_host *h)
{
	if (h->quota_cpus > 0 && h->quota_cpus < capacity(h, h->logical_cpus))
		snprintf(buf, len,
			 "more workers would not get more CPU: the quota allows %.3g CPUs",
			 h->quota_cpus);
	else if (h->logical_cpus > h->physical_cores)
		snprintf(buf, len,
			 "more workers would not get more CPU: %d usable CPUs on %d cores, SMT "
			 "siblings adding %.0f%% of a core",
			 h->logical_cpus, h->physical_cores, 100 * (2 * h->smt_scaling - 1));
	else
		snprintf(buf, len, "more workers would not get more CPU: %d usable CPU%s",
			 h->logical_cpus, h->logical_cpus == 1 ? "" : "s");
}

/* Why not more workers: memory, the search bound, the CPUs, or the cost another one adds. */
static void limit_phrase(char *buf, size_t len, const struct model_work *w,
			 const struct model_host *h, const struct model_result *r,
			 const struct model_point *pool)
{
	struct model_costs now, more;
	char a[32], b[32];
	double grow[4];
	int i, most = 0;
	static const char *const names[] = {"spawn", "dispatch", "CPU sharing", "tail"};

	if (memory_binds(r, pool)) {
		snprintf(buf, len, "memory: the %s left fits only %d workers of %s each",
			 format_bytes(a, sizeof(a), h->mem_left_bytes), r->mem_workers,
			 format_bytes(b, sizeof(b), w->worker_mem_bytes));
		return;
	}
	if (pool->n == r->curve_len) {
		snprintf(buf, len,
			 "more workers might help: the search stopped at max_workers = %d",
			 r->curve_len);
		return;
	}
	if (capacity(h, pool->n) >= useful_cpus(h) * (1 - MODEL_TIE)) {
		cpu_limit(buf, len, h);
		return;
	}

	point_costs(w, h, pool, &now);
	point_costs(w, h, &r->curve[pool->n], &more);
	grow[0] = more.spawn_ns - now.spawn_ns;
	grow[1] = more.dispatch_ns - now.dispatch_ns;
	grow[2] = more.cpu_ns - now.cpu_ns;
	grow[3] = more.tail_ns - now.tail_ns;
	for (i = 1; i < 4; i++) {
		if (grow[i] > grow[most])
			most = i;
	}
	snprintf(buf, len, "one more worker would add more %s time than it saves", names[most]);
}

static void explain_pool(struct model_result *r, const struct model_work *w,
			 const struct model_host *h)
{
	char sched[96], t[32], serial[32], cost[32], limit[192];
	const struct model_point *p = &r->pool;
	const char *largest;
	size_t used;
	double ns;

	largest = largest_cost(&r->costs, &ns);
	limit_phrase(limit, sizeof(limit), w, h, r, p);
	snprintf(r->reason, sizeof(r->reason),
		 "run %d workers with %s: predicted %s, %.2fx faster than serial (%s); %s; ", p->n,
		 format_schedule(sched, sizeof(sched), p), format_ns(t, sizeof(t), p->makespan_ns),
		 p->speedup, format_ns(serial, sizeof(serial), r->serial_ns), limit);
	used = strlen(r->reason);
	if (ns > p->makespan_ns * 1e-3)
		snprintf(r->reason + used, sizeof(r->reason) - used,
			 "the largest overhead is %s, %s", largest,
			 format_ns(cost, sizeof(cost), ns));
	else
		snprintf(r->reason + used, sizeof(r->reason) - used,
			 "no overhead reaches 0.1%% of the run");
}

static void explain_serial(struct model_result *r, const struct model_work *w,
			   const struct model_host *h)
{
	char sched[96], t[32], serial[32], cost[32], a[32], b[32], verdict[96];
	const struct model_point *p = &r->pool;
	const char *largest;
	double ns;

	if (r->mem_workers == 0) {
		snprintf(r->reason, sizeof(r->reason),
			 "run serially: memory: one worker needs %s and only %s is left under the "
			 "memory limits",
			 format_bytes(a, sizeof(a), w->worker_mem_bytes),
			 format_bytes(b, sizeof(b), h->mem_left_bytes));
		return;
	}
	largest = largest_cost(&r->costs, &ns);
	if (p->speedup < 1)
		snprintf(verdict, sizeof(verdict), "is predicted slower than serial");
	else
		snprintf(verdict, sizeof(verdict),
			 "is predicted at %.2fx the speed of serial, within the model's %.0f%% "
			 "uncertainty",
			 p->speedup, 100 * MODEL_UNCERTAINTY);
	snprintf(r->reason, sizeof(r->reason),
		 "run serially: the best pool, %d worker%s with %s, %s (%s against %s); its "
		 "largest cost is %s, %s",
		 p->n, p->n == 1 ? "" : "s", format_schedule(sched, sizeof(sched), p), verdict,
		 format_ns(t, sizeof(t), p->makespan_ns),
		 format_ns(serial, sizeof(serial), r->serial_ns), largest,
		 format_ns(cost, sizeof(cost), ns));
}

static void serial_point(struct model_result *r, const struct model_work *w)
{
	r->best = (struct model_point){
		.n = 1,
		.k = w->items,
		.schedule = MODEL_FIXED,
		.makespan_ns = r->serial_ns,
		.speedup = 1,
		.feasible = true,
	};
}

/* The smallest chunk predicted within MODEL_ROBUST of the fastest for the pool's workers, the
 * warm-up and the wait for a first run, which no chunk size changes, left out of the margin.
 * Chunks of one per worker are fastest on paper when items are alike, but a worker slowed by
 * anything the model does not see (an interrupt, another process, a page fault) then holds the
 * whole run; smaller chunks let the others take over its share. The makespan falls as chunks
 * grow up to the optimum, so a bisection below it finds the boundary. */
static void prefer_smaller_chunks(const struct model_work *w, const struct model_host *h,
				  struct model_point *p, double serial_ns)
{
	double fixed = w->warmup_ns + h->start_wait_ns, lo = 1, hi = p->k, mid, t;
	double limit = fixed + (p->makespan_ns - fixed) * (1 + MODEL_ROBUST);
	struct env e;

	if (p->k <= 1 || p->gap > 0)
		return;
	env_init(&e, w, h, p->n);
	if (point_time(&e, 1, p->schedule) <= limit) {
		hi = 1;
	} else {
		while (hi - lo > 1) {
			mid = floor((lo + hi) / 2);
			t = point_time(&e, mid, p->schedule);
			if (t <= limit)
				hi = mid;
			else
				lo = mid;
		}
	}
	t = point_time(&e, hi, p->schedule);
	if (hi < p->k && t <= limit) {
		p->k = hi;
		p->makespan_ns = t;
		p->speedup = serial_ns / t;
	}
}

static int optimize_items(const struct model_work *w, const struct model_host *h,
			  struct model_result *r, struct amz_err *err)
{
	struct model_point *pool;
	int n;

	r->serial_ns = serial_time(w, h);
	if (search_curve(w, h, r) < 0)
		return amz_fail(err, ENOMEM, "cannot search chunk sizes: out of memory");
	for (n = 1; n <= r->curve_len; n++) {
		r->curve[n - 1].speedup = r->serial_ns / r->curve[n - 1].makespan_ns;
		r->curve[n - 1].feasible = r->mem_workers < 0 || n <= r->mem_workers;
	}

	/* The pool to run, unless none fits in memory or it does not clearly beat serial. A full
	 * search of its k can only shorten it, so it stays the choice. */
	pool = choose_pool(r, h);
	if (pool && pool->gap > 0) {
		if (refine(w, h, pool) < 0)
			return amz_fail(err, ENOMEM, "cannot search chunk sizes: out of memory");
		pool->speedup = r->serial_ns / pool->makespan_ns;
	}
	if (pool) {
		r->pool = *pool;
		prefer_smaller_chunks(w, h, &r->pool, r->serial_ns);
		point_costs(w, h, &r->pool, &r->costs);
	}
	r->serial = !pool || pool->speedup < 1 + MODEL_UNCERTAINTY;
	if (r->serial) {
		serial_point(r, w);
		explain_serial(r, w, h);
	} else {
		r->best = r->pool;
		explain_pool(r, w, h);
	}
	r->chunk_ns = r->best.k * w->item_ns;
	return 0;
}

/* Items per ns a pool of n workers keeps up on a stream with chunks of k: its workers' cycle
 * with queueing for the dispatcher, at the speed its computing workers get, within the quota. */
static double stream_throughput(const struct env *e, double k)
{
	double h = e->h->dispatch_ns + k * e->beta, full = k * e->w->item_ns, a = full, computing;
	double cycle, items, cpu_rate;
	int i;

	/* Slower workers compute for a larger share of their cycle: settle the two. */
	for (i = 0; i < 8; i++) {
		computing = e->n * a / (a + h);
		a = full / shared_speed(e, computing);
	}
	cycle = queued_cycle(h, a, e->n, e->w->item_cv / sqrt(k));
	items = fmin(e->n * k / cycle, capacity(e->h, e->n) / e->w->item_ns);

	/* The quota caps the CPU time per ns; workers on SMT siblings or shared CPUs use more. */
	cpu_rate = items * e->w->item_ns * fmin(fmax(1, computing), e->h->logical_cpus) /
		   capacity(e->h, fmax(1, computing));
	if (e->h->quota_cpus > 0 && cpu_rate > e->h->quota_cpus)
		items *= e->h->quota_cpus / cpu_rate;
	return items;
}

/* The smallest k whose throughput is within MODEL_STREAM_OVERHEAD of what the largest chunks
 * reach; larger chunks only lengthen the end of the stream. */
static double stream_chunk(const struct env *e, double *throughput)
{
	double lo = 1, hi = 0x1p40, target = stream_throughput(e, hi) * (1 - MODEL_STREAM_OVERHEAD);
	double mid;

	while (hi - lo > 0.5) {
		mid = floor((lo + hi) / 2);
		if (stream_throughput(e, mid) >= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	*throughput = stream_throughput(e, hi);
	return hi;
}

static void explain_stream(struct model_result *r)
{
	char chunk[32];
	const struct model_point *p = &r->pool;

	format_ns(chunk, sizeof(chunk), r->chunk_ns);
	if (r->serial)
		snprintf(r->reason, sizeof(r->reason),
			 "run serially: on a stream of unknown length the best pool, %d worker%s "
			 "with chunks of about %s, is predicted at %.2fx the serial throughput, "
			 "which is within the model's %.0f%% uncertainty",
			 p->n, p->n == 1 ? "" : "s", chunk, p->speedup, 100 * MODEL_UNCERTAINTY);
	else
		snprintf(r->reason, sizeof(r->reason),
			 "a stream of unknown length: run %d workers with chunks of %.0f items, "
			 "about %s of work each, the smallest that keeps hand-offs within %.0f%% "
			 "of the throughput; predicted %.2fx the serial throughput",
			 p->n, p->k, chunk, 100 * MODEL_STREAM_OVERHEAD, p->speedup);
}

static void optimize_stream(const struct model_work *w, const struct model_host *h,
			    struct model_result *r)
{
	double serial = 1 / (w->item_ns / fmin(1, h->quota_cpus > 0 ? h->quota_cpus : 1));
	double most = 0, throughput;
	struct model_point *p;
	struct env e;
	int n;

	r->stream = true;
	for (n = 1; n <= r->curve_len; n++) {
		p = &r->curve[n - 1];
		env_init(&e, w, h, n);
		p->n = n;
		p->schedule = MODEL_FIXED;
		p->k = stream_chunk(&e, &throughput);
		p->speedup = throughput / serial;
		p->feasible = r->mem_workers < 0 || n <= r->mem_workers;
		if (p->feasible)
			most = fmax(most, p->speedup);
	}
	for (n = 1; n <= r->curve_len; n++) {
		p = &r->curve[n - 1];
		if (p->feasible && p->speedup >= most * (1 - MODEL_TIE)) {
			r->pool = *p;
			break;
		}
	}

	r->serial = most < 1 + MODEL_UNCERTAINTY;
	r->best = r->serial ? (struct model_point){.n = 1,
						   .k = r->pool.k,
						   .speedup = 1,
						   .feasible = true}
			    : r->pool;
	r->chunk_ns = r->best.k * w->item_ns;
	explain_stream(r);
}

int model_optimize(const struct model_work *w, const struct model_host *h, struct model_result *r,
		   struct amz_err *err)
{
	memset(r, 0, sizeof(*r));
	if (model_check(w, h, err) < 0)
		return -1;

	r->curve = calloc((size_t)h->max_workers, sizeof(*r->curve));
	if (!r->curve)
		return amz_fail(err, ENOMEM, "cannot hold the speedup curve: out of memory");
	r->curve_len = h->max_workers;
	r->mem_workers = memory_workers(w, h);

	if (w->items == 0) {
		optimize_stream(w, h, r);
		return 0;
	}
	if (optimize_items(w, h, r, err) < 0) {
		model_result_free(r);
		return -1;
	}
	return 0;
}

void model_result_free(struct model_result *r)
{
	free(r->curve);
	r->curve = NULL;
	r->curve_len = 0;
}
