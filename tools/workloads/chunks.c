/* A workload with amz chunk markers: T threads each run C chunks of I items, marking every
 * chunk with AMZ_CHUNK_BEGIN and AMZ_CHUNK_END, so a trace must see C*T chunks and C*T*I
 * items exactly. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amorsize_usdt.h"

struct chunk_opts {
	long chunks;
	long items;
	long threads;
	long item_us;
};

static struct chunk_opts opts = {10, 4, 1, 20};

static void usage(void)
{
	fprintf(stderr, "usage: chunks [--chunks C] [--items I] [--threads T] [--item-us US]\n");
	exit(2);
}

static void spin_us(long us)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000000L + (now.tv_nsec - start.tv_nsec) / 1000 <
		 us);
}

static void *run_chunks(void *arg)
{
	long t = (long)arg, c, first;

	for (c = 0; c < opts.chunks; c++) {
		first = (t * opts.chunks + c) * opts.items;
		AMZ_CHUNK_BEGIN(first, opts.items);
		spin_us(opts.items * opts.item_us);
		AMZ_CHUNK_END(first, opts.items);
	}
	return NULL;
}

static long value(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 0)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	pthread_t tids[64];
	long i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--chunks") == 0)
			opts.chunks = value(argv[i + 1]);
		else if (strcmp(argv[i], "--items") == 0)
			opts.items = value(argv[i + 1]);
		else if (strcmp(argv[i], "--threads") == 0)
			opts.threads = value(argv[i + 1]);
		else if (strcmp(argv[i], "--item-us") == 0)
			opts.item_us = value(argv[i + 1]);
		else
			usage();
	}
	if (i != argc || opts.threads < 1 || opts.threads > 64)
		usage();

	for (i = 0; i < opts.threads; i++)
		pthread_create(&tids[i], NULL, run_chunks, (void *)i);
	for (i = 0; i < opts.threads; i++)
		pthread_join(tids[i], NULL);
	return 0;
}
