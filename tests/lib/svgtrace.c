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

json_object *svgtrace_advice(void)
{
	static const double speedup[] = {1.0, 1.9, 2.7, 3.2, 3.1, 2.9, 2.6, 2.2};
	json_object *a = json_object_new_object(), *curve = json_object_new_array();
	json_object *current = json_object_new_object();
	unsigned int i;

	for (i = 0; i < 8; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "jobs", json_object_new_int((int)i + 1));
		json_object_object_add(p, "chunksize", json_object_new_double(16));
		json_object_object_add(p, "speedup", json_object_new_double(speedup[i]));
		json_object_object_add(p, "feasible", json_object_new_boolean(i < 7));
		json_object_array_add(curve, p);
	}
	json_object_object_add(a, "schema", json_object_new_int(1));
	json_object_object_add(a, "jobs", json_object_new_int(4));
	json_object_object_add(a, "chunksize", json_object_new_double(16));
	json_object_object_add(a, "schedule", json_object_new_string("fixed"));
	json_object_object_add(a, "speedup", json_object_new_double(3.2));
	json_object_object_add(a, "serial", json_object_new_boolean(0));
	json_object_object_add(a, "absolute", json_object_new_boolean(1));
	json_object_object_add(a, "reason",
			       json_object_new_string("run 4 workers with chunks of 16 items: "
						      "more would wait for the dispatcher"));
	json_object_object_add(current, "jobs", json_object_new_double(2));
	json_object_object_add(current, "measured_speedup", json_object_new_double(1.5));
	json_object_object_add(a, "current", current);
	json_object_object_add(a, "curve", curve);
	return a;
}
