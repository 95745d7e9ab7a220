/* Starting the workload: fork a child that waits until the tracer follows it, then exec the
 * command without a shell; forward signals to it; pass its exit status through. */
#ifndef AMZ_LAUNCH_H
#define AMZ_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "util.h"

/* Exit statuses of amzprof when it runs a workload, as env(1) and timeout(1) use them. */
#define LAUNCH_EXIT_FAILED	   125 /* amzprof itself failed before the workload ran */
#define LAUNCH_EXIT_CANNOT_EXECUTE 126 /* the command was found but could not be executed */
#define LAUNCH_EXIT_NOT_FOUND	   127 /* the command was not found */

/* Who the workload runs as. Under sudo it is the calling user, with that user's supplementary
 * groups, so that files it writes are theirs; amzprof keeps root only to load BPF. */
struct launch_creds {
	bool drop; /* false: the workload runs as amzprof does */
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[256]; /* a user in more groups keeps only the first 256 */
};

struct launch {
	pid_t pid;	     /* the workload's process, 0 before launch_prepare */
	int go_fd;	     /* write end: one byte lets the child exec */
	int exec_fd;	     /* read end: carries a failure report from the child, EOF on exec */
	int status;	     /* wait status once launch_wait returned */
	bool exited;	     /* status and usage are valid */
	struct rusage usage; /* the workload's and its reaped descendants' */
	int last_signal;     /* last signal amzprof received before the end, 0 if none */
};

/* How launch_watch ended. */
enum launch_watch_end {
	LAUNCH_WATCH_EXITED,   /* the watched process ended */
	LAUNCH_WATCH_TIMEOUT,  /* the duration passed */
	LAUNCH_WATCH_SIGNALED, /* amzprof received SIGINT, SIGTERM, SIGHUP or SIGQUIT */
};

/* From now on SIGINT, SIGTERM, SIGHUP and SIGQUIT only request a stop (amz_stop_requested) and,
 * while a released workload runs, are passed on to it. A command calls this before its first
 * step, so that a signal during calibration or BPF loading ends it between steps, cleanly;
 * launch_prepare does it too. */
void launch_catch_signals(void);

/* Whether CMD names a program that exec can run: 0, or an exit status (126, 127) with err set. */
int launch_check_command(const char *cmd, struct amz_err *err);

/* The full path exec would run for cmd (PATH searched when it has no slash). 0, or -1. */
int launch_resolve_command(const char *cmd, char *path, size_t size);

/* Under sudo (root, SUDO_UID set) and unless keep_root: the calling user's uid, gid (SUDO_GID)
 * and supplementary groups (those of SUDO_USER). Otherwise c->drop is false. */
int launch_sudo_creds(struct launch_creds *c, bool keep_root, struct amz_err *err);

/* Takes on c's groups, gid and uid, for good; 0, or -1 with errno set. */
int launch_become(const struct launch_creds *c);

/* Forks the child, which blocks before exec until launch_release; with creds (may be NULL)
 * it first becomes that user. */
int launch_prepare(struct launch *l, char *const argv[], struct amz_err *err);
int launch_prepare_as(struct launch *l, char *const argv[], const struct launch_creds *creds,
		      struct amz_err *err);

/* Lets the child exec and waits until the exec has happened or failed; from then on caught
 * signals are passed on to it. Fails when the child died before (killed by a terminal's
 * signal, say), without the SIGPIPE that would kill amzprof. */
int launch_release(struct launch *l, struct amz_err *err);

/* Waits for the child to end, forwarding SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to amzprof
 * by another process (a terminal's signal already reaches the whole foreground group). The last
 * signal received until then is l->last_signal, and the stop request is cleared. */
int launch_wait(struct launch *l, struct amz_err *err);

/* Waits, for a process amzprof did not start, until it ends, seconds pass (0: no limit) or
 * amzprof receives SIGINT, SIGTERM, SIGHUP or SIGQUIT, none of which is passed on to it; the
 * stop request that ended it is cleared. */
enum launch_watch_end launch_watch(pid_t pid, double seconds);

/* Kills a child that never got released, and reaps it. */
void launch_abort(struct launch *l);

/* The status a shell would report: the exit code, or 128+N after death by signal N. */
int launch_exit_status(const struct launch *l);

#endif
