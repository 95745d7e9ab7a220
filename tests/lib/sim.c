/* The pool simulation: a dispatcher, n workers sharing CPUs, a CFS quota, random item times.
 * Nothing here comes from user/model.c: it plays the pool out event by event instead. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct rng {
	uint64_t s[4];
	bool have_spare;
	double spare;
};

struct heap {
	double *key; /* the virtual time at which each computing worker's chunk is done */
	int len;
};

struct pool {
	const struct model_work *w;
	const struct model_host *h;
	int n;
	double beta; /* hand-off ns per item for its bytes */
	double ln_mu, ln_sigma;
	struct rng rng;

	double *chunks; /* chunk sizes in hand-out order */
	long nchunks, next_chunk;

	int waiting; /* workers queued for a chunk; they are alike, so only their number counts */

	bool handing;
	double hand_end, hand_items;

	struct heap busy;
	double vtime; /* work every computing worker has done since the start, in CPU ns */

	double budget, next_period;
	bool throttled;
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
	r->have_spare = false;
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in (0, 1), never 0, so that its logarithm is finite. */
static double rng_uniform(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

static double rng_normal(struct rng *r)
{
	double u, v;

	if (r->have_spare) {
		r->have_spare = false;
		return r->spare;
	}
	u = sqrt(-2 * log(rng_uniform(r)));
	v = 2 * M_PI * rng_uniform(r);
	r->spare = u * sin(v);
	r->have_spare = true;
	return u * cos(v);
}

static double item_time(struct pool *p)
{
	if (p->ln_sigma == 0)
		return p->w->item_ns;
	return exp(p->ln_mu + p->ln_sigma * rng_normal(&p->rng));
}

static double chunk_work(struct pool *p, double items)
{
	double sum = 0;
	long i;

	for (i = 0; i < (long)items; i++)
		sum += item_time(p);
	return sum;
}

static void push_chunk(struct pool *p, double size)
{
	p->chunks[p->nchunks++] = size;
}

static int make_chunks(struct pool *p, double k, enum model_schedule s)
{
	double left = p->w->items, size;
	long cap = (long)ceil(left / k) + 1;
	int i;

	if (s == MODEL_FACTORING)
		cap += 64L * p->n;
	p->chunks = malloc((size_t)cap * sizeof(*p->chunks));
	if (!p->chunks)
		return -1;

	while (left > 0) {
		if (s == MODEL_FIXED) {
			size = fmin(k, left);
			push_chunk(p, size);
			left -= size;
			continue;
		}
		size = fmax(k, ceil(left / (2.0 * p->n)));
		for (i = 0; i < p->n && left > 0; i++) {
			push_chunk(p, fmin(size, left));
			left -= fmin(size, left);
		}
	}
	return 0;
}

static void heap_push(struct heap *hp, double key)
{
	int i = hp->len++;

	while (i > 0 && hp->key[(i - 1) / 2] > key) {
		hp->key[i] = hp->key[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	hp->key[i] = key;
}

static void heap_pop(struct heap *hp)
{
	double last = hp->key[--hp->len];
	int i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= hp->len)
			break;
		if (c + 1 < hp->len && hp->key[c + 1] < hp->key[c])
			c++;
		if (hp->key[c] >= last)
			break;
		hp->key[i] = hp->key[c];
		i = c;
	}
	if (hp->len > 0)
		hp->key[i] = last;
}

/* Core-equivalents r computing workers get from the CPUs. */
static double capacity(const struct model_host *h, int r)
{
	int on_cpus = r < h->logical_cpus ? r : h->logical_cpus;
	int on_cores = on_cpus < h->physical_cores ? on_cpus : h->physical_cores;

	return on_cores + (on_cpus - on_cores) * (2 * h->smt_scaling - 1);
}

static double cpus_used(const struct pool *p)
{
	return p->busy.len < p->h->logical_cpus ? p->busy.len : p->h->logical_cpus;
}

static double progress_rate(const struct pool *p)
{
	if (p->busy.len == 0 || p->throttled)
		return 0;
	return capacity(p->h, p->busy.len) / p->busy.len;
}

static bool quota_on(const struct pool *p)
{
	return p->h->quota_cpus > 0;
}

static void start_hand_off(struct pool *p, double now)
{
	if (p->handing || p->waiting == 0 || p->next_chunk == p->nchunks)
		return;
	p->waiting--;
	p->hand_items = p->chunks[p->next_chunk++];
	p->hand_end = now + p->h->dispatch_ns + p->hand_items * p->beta;
	p->handing = true;
}

static bool finished(const struct pool *p)
{
	return p->next_chunk == p->nchunks && !p->handing && p->busy.len == 0;
}

enum event {
	EV_NONE,
	EV_DONE,
	EV_PERIOD,
	EV_SPENT,
	EV_HANDED,
	EV_SPAWNED
};

/* The earliest next event, preferring earlier entries of enum event on ties. */
static enum event next_event(const struct pool *p, int spawned, double now, double *when)
{
	double rate = progress_rate(p), t;
	enum event ev = EV_NONE;

	*when = INFINITY;
	if (rate > 0) {
		*when = now + fmax(0, p->busy.key[0] - p->vtime) / rate;
		ev = EV_DONE;
	}
	if (quota_on(p) && p->next_period < *when) {
		*when = p->next_period;
		ev = EV_PERIOD;
	}
	if (quota_on(p) && !p->throttled && p->busy.len > 0) {
		t = now + fmax(0, p->budget) / cpus_used(p);
		if (t < *when) {
			*when = t;
			ev = EV_SPENT;
		}
	}
	if (p->handing && p->hand_end < *when) {
		*when = p->hand_end;
		ev = EV_HANDED;
	}
	if (spawned < p->n && (spawned + 1) * p->h->spawn_ns < *when) {
		*when = (spawned + 1) * p->h->spawn_ns;
		ev = EV_SPAWNED;
	}
	return ev;
}

static void advance(struct pool *p, double dt)
{
	double rate = progress_rate(p);

	if (rate > 0)
		p->vtime += rate * dt;
	if (quota_on(p) && !p->throttled)
		p->budget -= cpus_used(p) * dt;
}

static double play(struct pool *p)
{
	double now = 0, when, last_end = 0;
	int spawned = 0;
	enum event ev;

	for (;;) {
		start_hand_off(p, now);
		if (finished(p))
			break;
		ev = next_event(p, spawned, now, &when);
		if (ev == EV_NONE)
			break;

		advance(p, when - now);
		now = when;
		switch (ev) {
		case EV_DONE:
			p->vtime = fmax(p->vtime, p->busy.key[0]);
			heap_pop(&p->busy);
			last_end = now;
			p->waiting++;
			break;
		case EV_PERIOD:
			p->budget = p->h->quota_cpus * p->h->quota_period_ns;
			p->throttled = false;
			p->next_period += p->h->quota_period_ns;
			break;
		case EV_SPENT:
			p->throttled = true;
			break;
		case EV_HANDED:
			p->handing = false;
			heap_push(&p->busy, p->vtime + chunk_work(p, p->hand_items));
			break;
		case EV_SPAWNED:
			spawned++;
			p->waiting++;
			break;
		case EV_NONE:
			break;
		}
	}
	return fmax(last_end, p->n * p->h->spawn_ns);
}

double sim_run(const struct model_work *w, const struct model_host *h, int n, double k,
	       enum model_schedule s, uint64_t seed)
{
	struct pool p = {.w = w, .h = h, .n = n};
	double v = log(1 + w->item_cv * w->item_cv), result = NAN;

	p.beta = (w->bytes_in + w->bytes_out) * h->ipc_ns_per_byte;
	p.ln_sigma = sqrt(v);
	p.ln_mu = log(w->item_ns) - v / 2;
	rng_seed(&p.rng, seed);
	p.budget = h->quota_cpus * h->quota_period_ns;
	p.next_period = h->quota_period_ns;

	p.busy.key = calloc((size_t)n, sizeof(*p.busy.key));
	if (p.busy.key && make_chunks(&p, k, s) == 0)
		result = play(&p);

	free(p.chunks);
	free(p.busy.key);
	return result;
}

void sim_repeat(const struct model_work *w, const struct model_host *h, int n, double k,
		enum model_schedule s, int runs, uint64_t seed, struct sim_stats *out)
{
	double sum = 0, sq = 0, t;
	int i;

	for (i = 0; i < runs; i++) {
		t = sim_run(w, h, n, k, s, seed + (uint64_t)i * 0x9e3779b97f4a7c15ull);
		sum += t;
		sq += t * t;
	}
	out->runs = runs;
	out->mean_ns = sum / runs;
	out->sd_ns = runs > 1 ? sqrt(fmax(0, (sq - sum * sum / runs) / (runs - 1))) : 0;
}
