/* The recommendation in words: workers and chunk size (or chunk duration), the predicted gain,
 * the run's own configuration beside it, the reason, and where each input came from. */
#include <math.h>
#include <string.h>

#include "report.h"
#include "report_profile.h"

static void print_duration(FILE *f, double ns)
{
	report_value(f, "x_ns", ns);
}

static void print_choice(FILE *f, const struct advice *a)
{
	const struct model_result *r = &a->result;

	if (r->serial) {
		fputs("Recommendation: run it serially", f);
		if (r->pool.n > 1)
			fprintf(f, " (the best pool, %d workers, would gain only %.2fx)", r->pool.n,
				r->pool.speedup);
		fputc('\n', f);
		return;
	}
	fprintf(f, "Recommendation: %d worker%s, ", r->best.n, r->best.n == 1 ? "" : "s");
	if (a->absolute) {
		fprintf(f, "chunks of %.0f item%s", r->best.k, r->best.k == 1 ? "" : "s");
	} else {
		fputs("chunks of about ", f);
		print_duration(f, r->chunk_ns);
		fputs(" each", f);
	}
	if (r->best.schedule == MODEL_FACTORING)
		fputs(", shrinking by factoring", f);
	fprintf(f, ": %.2fx faster than serial (predicted)\n", r->best.speedup);
}

static void print_current(FILE *f, const struct advice *a)
{
	if (a->current_jobs <= 0)
		return;
	fprintf(f, "  this run: %.0f worker%s", a->current_jobs, a->current_jobs == 1 ? "" : "s");
	if (a->absolute && a->current_k > 0)
		fprintf(f, ", chunks of %.0f item%s", a->current_k, a->current_k == 1 ? "" : "s");
	if (a->current_chunk_ns > 0) {
		fputs(", ", f);
		print_duration(f, a->current_chunk_ns);
		fputs(" per chunk", f);
	}
	if (a->predicted_current > 0)
		fprintf(f, "; predicted %.2fx", a->predicted_current);
	if (a->measured_speedup > 0)
		fprintf(f, ", measured %.2fx", a->measured_speedup);
	fputc('\n', f);
	if (a->contention > 0.25)
		fprintf(f,
			"  note: the run waited for a CPU %.0f%% as long as it ran; the prediction "
			"takes the usable CPUs as free, so other load on this host explains a "
			"measured speedup below it\n",
			a->contention * 100);
	if (a->scale_k > 0 && !a->result.serial && fabs(a->scale_k - 1) > 0.05)
		fprintf(f, "  scale the chunk size by %.3g\n", a->scale_k);
}

static void print_inputs(FILE *f, const struct advice *a)
{
	static const enum advice_input_id shown[] = {IN_ITEMS, IN_ITEM_NS,  IN_ITEM_CV,
						     IN_SPAWN, IN_DISPATCH, IN_CPUS,
						     IN_QUOTA, IN_MEMORY};
	size_t i;

	fputs("  from:\n", f);
	for (i = 0; i < ARRAY_SIZE(shown); i++) {
		const struct advice_input *in = &a->in[shown[i]];
		char key[64];

		if (!in->name)
			continue;
		snprintf(key, sizeof(key), "%s", in->name);
		fprintf(f, "    %-18s ", in->name);
		if (strcmp(in->name, "item_ns") == 0 && !a->absolute)
			snprintf(key, sizeof(key), "chunk_ns");
		report_value(f, key, in->value);
		fprintf(f, "  (%s)\n", in->source);
	}
}

void report_advice_text(FILE *f, const struct advice *a)
{
	print_choice(f, a);
	print_current(f, a);
	fprintf(f, "  why: %s\n", a->result.reason);
	print_inputs(f, a);
}
