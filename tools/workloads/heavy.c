/* Heavy uniform items: about a millisecond of arithmetic each, where overheads hardly matter
 * and the speedup should follow the usable CPUs. */
#include "workload.h"

static double work = 600000;

static const struct workload_param params[] = {
	{"work", &work, 0, 1e12, "xorshift iterations per item; 600000 is about 1 ms"},
	{NULL, NULL, 0, 0, NULL},
};

static int heavy_item(const void *in, void *out, void *ctx)
{
	(void)ctx;
	*(uint64_t *)out = workload_mix(*(const uint64_t *)in, (uint64_t)work);
	return 0;
}

int main(int argc, char **argv)
{
	const struct workload w = {
		.name = "heavy",
		.summary = "Heavy uniform items: about 1 ms of arithmetic each.",
		.default_items = 1000,
		.params = params,
		.fn = heavy_item,
		.in_size = sizeof(uint64_t),
		.out_size = sizeof(uint64_t),
	};

	return workload_main(&w, argc, argv);
}
