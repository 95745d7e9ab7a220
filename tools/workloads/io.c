/* I/O-like items: each sleeps, as a worker waiting on a disk or a network would, so that more
 * workers than CPUs pay. */
#include "workload.h"

static double sleep_us = 1000;

static const struct workload_param params[] = {
	{"sleep-us", &sleep_us, 0, 60e6, "microseconds each item sleeps"},
	{NULL, NULL, 0, 0, NULL},
};

static int io_item(const void *in, void *out, void *ctx)
{
	uint64_t ns = (uint64_t)(sleep_us * 1000);
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
			      .tv_nsec = (long)(ns % 1000000000u)};

	(void)ctx;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	*(uint64_t *)out = *(const uint64_t *)in * 2 + 1;
	return 0;
}

int main(int argc, char **argv)
{
	const struct workload w = {
		.name = "io",
		.summary = "I/O-like items: each sleeps --sleep-us microseconds.",
		.default_items = 2000,
		.params = params,
		.fn = io_item,
		.in_size = sizeof(uint64_t),
		.out_size = sizeof(uint64_t),
	};

	return workload_main(&w, argc, argv);
}
