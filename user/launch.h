/* Starting the workload: fork a child that waits until the tracer follows it, then exec the
 * command without a shell; forward signals to it; pass its exit status through. */
#ifndef AMZ_LAUNCH_H
#define AMZ_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

/* Exit statuses of amzprof when it runs a workload, as env(1) and timeout(1) use them. */
#define LAUNCH_EXIT_FAILED	   125 /* amzprof itself failed before the workload ran */
#define LAUNCH_EXIT_CANNOT_EXECUTE 126 /* the command was found but could not be executed */
#define LAUNCH_EXIT_NOT_FOUND	   127 /* the command was not found */

struct launch {
	pid_t pid;	 /* the workload's process, 0 before launch_prepare */
	int go_fd;	 /* write end: one byte lets the child exec */
	int exec_fd;	 /* read end: carries errno from a failed exec, EOF on success */
	int status;	 /* wait status once launch_wait returned */
	bool exited;	 /* status is valid */
	int last_signal; /* last signal amzprof received while waiting, 0 if none */
};

/* Whether CMD names a program that exec can run: 0, or an exit status (126, 127) with err set. */
int launch_check_command(const char *cmd, struct amz_err *err);

/* Forks the child, which blocks before exec until launch_release. */
int launch_prepare(struct launch *l, char *const argv[], struct amz_err *err);

/* Lets the child exec and waits until the exec has happened or failed. */
int launch_release(struct launch *l, struct amz_err *err);

/* Waits for the child to end, forwarding SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to amzprof
 * by another process (a terminal's signal already reaches the whole foreground group). */
int launch_wait(struct launch *l, struct amz_err *err);

/* Kills a child that never got released, and reaps it. */
void launch_abort(struct launch *l);

/* The status a shell would report: the exit code, or 128+N after death by signal N. */
int launch_exit_status(const struct launch *l);

#endif
