/* One chunk of the process-per-chunk workload: xargs-chunks.sh starts it once per chunk with
 * the chunk's items as arguments; it prints "ITEM RESULT" for each, as tiny computes them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mix.h"

static uint64_t number(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "chunk: '%s' is not a whole number\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	uint64_t work = 600;
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "--work") == 0) {
		work = number(argv[2]);
		i = 3;
	}

	/* One write for the whole chunk, so that chunks running at once never split a line. */
	if (setvbuf(stdout, NULL, _IOFBF, (size_t)(argc + 1) * 48) != 0)
		return 1;
	for (; i < argc; i++) {
		uint64_t item = number(argv[i]);

		printf("%" PRIu64 " %" PRIu64 "\n", item, workload_mix(item, work));
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
