/* Error sentences, logging to stderr and the report stream, shared by every command. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

static void print_message(enum amz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "amzprof: %s%s\n", level == AMZ_LOG_WARN ? "warning: " : "", msg);
}

void cli_set_verbosity(int verbosity)
{
	enum amz_log_level max = AMZ_LOG_WARN;

	if (verbosity >= 2)
		max = AMZ_LOG_DEBUG;
	else if (verbosity == 1)
		max = AMZ_LOG_INFO;
	amz_set_logger(print_message, max, NULL);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("amzprof: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("amzprof: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see 'amzprof --help')\n", stderr);
	return CLI_EXIT_USAGE;
}

FILE *cli_open_output(const char *path)
{
	FILE *f;

	if (!path || !*path)
		return stderr;
	f = amz_fopen_as_caller(path, "we");
	if (!f)
		cli_error("cannot write the report to %s: %s", path, amz_reason(errno));
	return f;
}

void cli_close_output(FILE *f)
{
	if (f && f != stderr)
		fclose(f);
}
