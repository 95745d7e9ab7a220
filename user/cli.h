/* What every amzprof command shares: exit statuses, error sentences on stderr, -v logging. */
#ifndef AMZ_CLI_H
#define AMZ_CLI_H

#include "util.h"

/* Exit statuses of commands that do not run a workload. A command that runs one exits with
 * the workload's status, or with 125, 126 or 127 (see launch.h). */
#define CLI_EXIT_OK	0
#define CLI_EXIT_FAILED 1
#define CLI_EXIT_USAGE	2

/* Prints "amzprof: MSG" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "amzprof: MSG (see 'amzprof --help')" to stderr and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Routes the library's messages to stderr: warnings always, -v and -vv for more. */
void cli_set_verbosity(int verbosity);

/* The report stream: stderr, or FILE opened for writing. NULL with a sentence printed. */
FILE *cli_open_output(const char *path);
void cli_close_output(FILE *f);

int cmd_trace(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_host(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_recommend(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif
