/* The made-up run the plot tests draw. */
#include <string.h>

#include "svgtrace.h"

static void hist_put(struct amz_hist *h, unsigned long long v, unsigned long long times)
{
	unsigned int slot = 0;

	while (slot + 1 < AMZ_HIST_SLOTS && (v >> (slot + 1)))
		slot++;
	h->count += times;
	h->sum += v * times;
	if (v > h->max)
		h->max = v;
	h->slot[slot] += times;
}

void svgtrace_fill(struct amz_trace *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	strcpy(t->source, "bpf");
	strcpy(t->attach_mode, "tp_btf");
	t->wall_ns = 200000000ULL;
	t->k.c.processes = 40;
	t->k.c.threads = 4;

	t->series_bucket_ns = 500000;
	t->series_span_ns = 200000000ULL;
	t->series_n = 400;
	for (i = 0; i < t->series_n; i++)
		t->series_task_ns[i] = t->series_bucket_ns * (i * 4 / t->series_n) * 3 / 4;
	t->k.conc_ns[1] = 100000000ULL;
	t->k.conc_ns[2] = 100000000ULL;

	for (i = 0; i < 12; i++) {
		hist_put(&t->k.spawn_ns, 60000ULL << (i % 5), 10 + i);
		hist_put(&t->k.wakeup_ns, 900ULL << (i % 7), 100 + 7 * i);
		hist_put(&t->k.burst_ns, 3000ULL << i, 50 + i);
		hist_put(&t->k.chunk_ns, 200000ULL << (i % 3), 30);
		hist_put(&t->k.chunk_gap_ns, 700ULL << (i % 4), 29);
	}
	hist_put(&t->k.exec_ns, 300000, 1);
}
