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

/* Makes getopt_long start afresh, silent about errors: the optstring starts with ':' (after
 * '+' if any), and cli_option_error words them. */
void cli_getopt_reset(void);

/* The usage error for what getopt_long just returned, ':' (a missing value) or '?' (an unknown
 * option), naming the option alone even inside a cluster such as "-vx"; an unknown option is
 * said to be unknown to COMMAND ("host") unless that is NULL. Returns CLI_EXIT_USAGE. */
int cli_option_error(int c, char **argv, const char *command);

/* For the fault tests: with AMZ_TEST_PAUSE_AT=PHASE in the environment, amzprof stops itself
 * (SIGSTOP, as Ctrl-Z would) on reaching PHASE ("calibrating", "loading", "running", "saving"),
 * so that a test can send it a signal at exactly that point and let it continue. */
void cli_pause_at(const char *phase);

/* Prints "amzprof: interrupted by SIGNAME WHAT" and returns 128+SIG, the status a shell gives
 * a program that SIG ended. */
int cli_interrupted(int sig, const char *what);

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

/* Each command's parsing of its options and operands alone, without running it (for the
 * command line's fuzz target): 0 when the command would run, an exit status after a usage
 * error, or -1 after printing help. cmd_profile_parse serves list, show, rm and diff, told apart
 * by argv[0]. */
int cmd_trace_parse(int argc, char **argv);
int cmd_host_parse(int argc, char **argv);
int cmd_calibrate_parse(int argc, char **argv);
int cmd_profile_parse(int argc, char **argv);
int cmd_export_parse(int argc, char **argv);
int cmd_recommend_parse(int argc, char **argv);
int cmd_run_parse(int argc, char **argv);

#endif
