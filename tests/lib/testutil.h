/* Helpers for amzprof's tests: running commands and capturing what they print, finding the
 * build's programs, and skipping (or, under CI=true, failing) where root or BPF is missing. */
#ifndef AMZ_TESTUTIL_H
#define AMZ_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include <json-c/json.h>

struct test_run {
	int status; /* as a shell reports it: 128+N after signal N */
	char *out;  /* everything written to stdout */
	char *err;  /* everything written to stderr */
};

/* Runs argv (argv[0] a path) to completion, capturing stdout and stderr. */
void test_run(struct test_run *r, char *const argv[]);
void test_run_free(struct test_run *r);

/* Lines in s, counting a last line without a newline. */
int test_count_lines(const char *s);

/* A path inside the build directory, in a static buffer per call slot (0 to 7). */
const char *test_build_path(int slot, const char *rel);

/* A fresh temporary path (not created) the caller frees; removed by test_cleanup_path. */
char *test_temp_path(const char *name);

/* Creates a new empty directory /tmp/TAG-XXXXXX, its path written to dir; 0, or -1. */
int test_temp_dir(char *dir, size_t size, const char *tag);

/* Removes dir and everything below it, links not followed; 0, or -1. */
int test_remove_tree(const char *dir);

/* Parses a JSON file, failing the test when it is missing or not JSON. */
json_object *test_load_json(const char *path);
long long test_json_int(json_object *root, const char *dotted_path);

/* Whether the JSON document has a value at dotted_path. */
int test_json_has(json_object *root, const char *dotted_path);
double test_json_double(json_object *root, const char *dotted_path);

/* Ids of the BPF programs that process pid holds open (program and link fds, from
 * /proc/PID/fdinfo); returns how many, at most max. */
int test_bpf_prog_ids_of_pid(pid_t pid, unsigned int *ids, int max);

/* Whether the kernel still has a BPF program with this id. */
int test_bpf_prog_exists(unsigned int id);

/* Ids of the BPF links process pid holds open; returns how many, at most max. */
int test_bpf_link_ids_of_pid(pid_t pid, unsigned int *ids, int max);
int test_bpf_link_exists(unsigned int id);

/* Adds to ids (n of them, at most max) every program and link id pid holds that is not there
 * yet; returns the new n. Programs and links share the list: their ids are checked with
 * test_bpf_ids_gone, which fails the test unless each is gone within a minute. */
struct test_bpf_ids {
	unsigned int progs[64];
	char names[64][16]; /* each program's name, read when it was added */
	int nprogs;
	unsigned int links[64];
	int nlinks;
};
void test_bpf_ids_add(struct test_bpf_ids *ids, pid_t pid);
void test_bpf_ids_gone(const struct test_bpf_ids *ids);

/* Whether one of the programs is NAME: that the ids are those of amzprof's tracer. */
int test_bpf_ids_have_name(const struct test_bpf_ids *ids, const char *name);

/* Starts argv (argv[0] a path) with stdout and stderr to the given descriptors (-1: inherited)
 * and returns its pid; test_wait_exit waits for it, failing the test after a minute rather than
 * hanging, and returns its status as a shell reports it. */
pid_t test_start(char *const argv[], int out_fd, int err_fd);
int test_wait_exit(pid_t pid);

/* The processes pid has started and not yet lost (its threads' children); returns how many. */
int test_children_of(pid_t pid, pid_t *out, int max);

/* Whether pid is stopped (state T), as SIGSTOP leaves it. */
int test_is_stopped(pid_t pid);

/* Polls cond(ctx) every millisecond until it holds; fails the test, naming what, after a
 * minute, so that a broken program cannot hang the suite. */
void test_wait_for(int (*cond)(void *ctx), void *ctx, const char *what);

/* Skips the test with a printed reason; under CI=true a missing capability fails instead. */
void test_skip_or_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void test_require_root(void);
void test_require_bpf(void);

#endif
