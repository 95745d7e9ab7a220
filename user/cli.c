/* Error sentences, logging to stderr and the report stream, shared by every command. */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_message(enum amz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "amzprof: %s%s\n", level == AMZ_LOG_WARN ? "warning: " : "", msg);
}

void cli_getopt_reset(void)
{
	opterr = 0;
	/* 0, not 1: glibc then forgets where an earlier parse stopped, which may be inside an
	 * option cluster ("-vx") of an argument vector that no longer exists. */
	optind = 0;
}

/* The option getopt_long just refused, as the user wrote it (a long one without "=VALUE"). An
 * unknown short option is optopt, possibly from inside a cluster that optind has not passed yet;
 * a long one, or a short one lacking its value, is the argument just passed. */
static void refused_option(int c, char **argv, char *buf, size_t len)
{
	const char *arg = argv[optind - 1];
	bool is_long = c == '?' ? optopt == 0 : strncmp(arg, "--", 2) == 0;

	if (is_long)
		snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(buf, len, "-%c", optopt);
}

int cli_option_error(int c, char **argv, const char *command)
{
	char word[128], where[64] = "";

	refused_option(c, argv, word, sizeof(word));
	if (c == ':')
		return cli_usage_error("option '%s' needs a value", word);
	if (command)
		snprintf(where, sizeof(where), " for 'amzprof %s'", command);
	return cli_usage_error("unknown option '%s'%s", word, where);
}

void cli_pause_at(const char *phase)
{
	const char *want = getenv("AMZ_TEST_PAUSE_AT");

	if (want && strcmp(want, phase) == 0)
		raise(SIGSTOP);
}

int cli_interrupted(int sig, const char *what)
{
	cli_error("interrupted by SIG%s %s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", what);
	return 128 + sig;
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
