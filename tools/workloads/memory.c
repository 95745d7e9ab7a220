/* Memory-heavy items: each item allocates, writes and reads back tens of MiB, so that every
 * worker holds that much at once and a pool too large for the memory limit shows. */
#include "workload.h"

static double mib = 32;

static const struct workload_param params[] = {
	{"mib", &mib, 1, 65536, "MiB each item allocates and touches"},
	{NULL, NULL, 0, 0, NULL},
};

static int memory_item(const void *in, void *out, void *ctx)
{
	size_t words = (size_t)mib * (1u << 20) / sizeof(uint64_t), i;
	uint64_t seed = *(const uint64_t *)in, sum = 0;
	uint64_t *buf = malloc(words * sizeof(*buf));

	(void)ctx;
	if (!buf)
		return 1;
	for (i = 0; i < words; i++)
		buf[i] = seed + i;
	for (i = 0; i < words; i += 512)
		sum = sum * 31 + buf[i];
	free(buf);
	*(uint64_t *)out = sum;
	return 0;
}

int main(int argc, char **argv)
{
	const struct workload w = {
		.name = "memory",
		.summary = "Memory-heavy items: each allocates and touches --mib MiB.",
		.default_items = 64,
		.params = params,
		.fn = memory_item,
		.in_size = sizeof(uint64_t),
		.out_size = sizeof(uint64_t),
	};

	return workload_main(&w, argc, argv);
}
