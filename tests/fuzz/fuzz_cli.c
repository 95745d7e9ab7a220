/* Fuzz target: the command line. The input is split at NUL bytes into arguments, and every
 * command's parser gets them after its own name, as `amzprof COMMAND ARGS...` would. Each
 * argument is a separate allocation, so that reading past one is caught. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 32

struct parser {
	const char *name; /* argv[0]: the word main() dispatches on, or amzprof itself */
	int (*parse)(int argc, char **argv);
};

static const struct parser parsers[] = {
	{"amzprof", cmd_trace_parse},	    {"host", cmd_host_parse},
	{"calibrate", cmd_calibrate_parse}, {"list", cmd_profile_parse},
	{"show", cmd_profile_parse},	    {"rm", cmd_profile_parse},
	{"diff", cmd_profile_parse},	    {"export", cmd_export_parse},
	{"recommend", cmd_recommend_parse}, {"run", cmd_run_parse},
};

/* The input's NUL-separated parts, each copied into its own buffer; returns how many. */
static int split_args(const uint8_t *data, size_t size, char **parts)
{
	size_t start = 0, i;
	int n = 0;

	for (i = 0; i <= size && n < MAX_ARGS; i++) {
		if (i < size && data[i] != 0)
			continue;
		if (i == size && start == size && n > 0)
			break;
		parts[n] = malloc(i - start + 1);
		if (!parts[n])
			break;
		memcpy(parts[n], data + start, i - start);
		parts[n][i - start] = '\0';
		n++;
		start = i + 1;
	}
	return n;
}

/* getopt may permute argv, so each parser gets a fresh vector of the same strings. */
static void run_parser(const struct parser *p, char **parts, int n)
{
	char *argv[MAX_ARGS + 2];
	char *name = strdup(p->name);
	int i;

	if (!name)
		return;
	argv[0] = name;
	for (i = 0; i < n; i++)
		argv[i + 1] = parts[i];
	argv[n + 1] = NULL;
	p->parse(n + 1, argv);
	free(name);
}

/* Every parser, twice, each time on fresh copies freed afterwards: state one parse leaves behind
 * (getopt's) that the next one trips over shows up within one input, and so in its replay. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *parts[MAX_ARGS];
	int round, n, i;
	size_t k;

	for (round = 0; round < 2; round++) {
		n = size ? split_args(data, size, parts) : 0;
		for (k = 0; k < sizeof(parsers) / sizeof(parsers[0]); k++)
			run_parser(&parsers[k], parts, n);
		for (i = 0; i < n; i++)
			free(parts[i]);
	}
	return 0;
}
