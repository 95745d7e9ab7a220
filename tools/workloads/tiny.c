/* Tiny uniform items: about a microsecond of arithmetic each, where dispatch and start-up
 * overheads decide whether a parallel map pays. */
#include "workload.h"

static double work = 600;

static const struct workload_param params[] = {
	{"work", &work, 0, 1e9, "xorshift iterations per item; 600 is about 1 us"},
	{NULL, NULL, 0, 0, NULL},
};

static int tiny_item(const void *in, void *out, void *ctx)
{
	(void)ctx;
	*(uint64_t *)out = workload_mix(*(const uint64_t *)in, (uint64_t)work);
	return 0;
}

int main(int argc, char **argv)
{
	const struct workload w = {
		.name = "tiny",
		.summary = "Tiny uniform items: about 1 us of arithmetic each.",
		.default_items = 1000000,
		.params = params,
		.fn = tiny_item,
		.in_size = sizeof(uint64_t),
		.out_size = sizeof(uint64_t),
	};

	return workload_main(&w, argc, argv);
}
