/* Test helpers: command runner, paths, JSON access, and skipping rules for root and BPF. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "testutil.h"
#include "tracer.h"
#include "util.h"

static char *slurp_fd(int fd)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap);
	ssize_t n;

	assert_non_null(buf);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf + used, cap - used - 1)) > 0) {
		used += (size_t)n;
		if (used + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[used] = '\0';
	return buf;
}

static int temp_fd(void)
{
	char path[] = "/tmp/amz-test-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

void test_run(struct test_run *r, char *const argv[])
{
	int out = temp_fd(), err = temp_fd(), status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	r->status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	r->out = slurp_fd(out);
	r->err = slurp_fd(err);
	close(out);
	close(err);
}

void test_run_free(struct test_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int test_count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++) {
		if (*s == '\n' || s[1] == '\0')
			n++;
	}
	return n;
}

const char *test_build_path(int slot, const char *rel)
{
	static char paths[8][4096];

	assert_true(slot >= 0 && slot < 8);
	snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", AMZ_BUILD_DIR, rel);
	return paths[slot];
}

char *test_temp_path(const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "/tmp/amz-test-%d-%s", (int)getpid(), name) > 0);
	unlink(p);
	return p;
}

json_object *test_load_json(const char *path)
{
	json_object *root = json_object_from_file(path);

	if (!root)
		fail_msg("%s is not valid JSON: %s", path, json_util_get_last_err());
	return root;
}

static json_object *json_at(json_object *root, const char *dotted_path)
{
	char key[256], *dot, *cur = key;
	json_object *o = root;

	snprintf(key, sizeof(key), "%s", dotted_path);
	while (cur) {
		dot = strchr(cur, '.');
		if (dot)
			*dot = '\0';
		if (!json_object_object_get_ex(o, cur, &o))
			return NULL;
		cur = dot ? dot + 1 : NULL;
	}
	return o;
}

/* Whether the key exists, even with the value null (an empty histogram's percentiles). */
int test_json_has(json_object *root, const char *dotted_path)
{
	char key[256], *dot = NULL, *last;
	json_object *parent = root;

	snprintf(key, sizeof(key), "%s", dotted_path);
	dot = strrchr(key, '.');
	last = dot ? dot + 1 : key;
	if (dot) {
		*dot = '\0';
		parent = json_at(root, key);
	}
	return parent && json_object_object_get_ex(parent, last, NULL);
}

long long test_json_int(json_object *root, const char *dotted_path)
{
	json_object *o = json_at(root, dotted_path);

	if (!o)
		fail_msg("JSON has no field %s", dotted_path);
	return json_object_get_int64(o);
}

double test_json_double(json_object *root, const char *dotted_path)
{
	json_object *o = json_at(root, dotted_path);

	if (!o)
		fail_msg("JSON has no field %s", dotted_path);
	return json_object_get_double(o);
}

static int add_id(unsigned int *ids, int n, int max, unsigned int id)
{
	int i;

	for (i = 0; i < n; i++) {
		if (ids[i] == id)
			return n;
	}
	if (n < max)
		ids[n++] = id;
	return n;
}

/* Every value of FIELD ("prog_id", "link_id") in the fdinfo of pid's descriptors. */
static int fdinfo_ids(pid_t pid, const char *field, unsigned int *ids, int max)
{
	char dir[64], path[384], line[256], fmt[32];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(fmt, sizeof(fmt), "%s: %%u", field);
	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", (int)pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned int id;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, fmt, &id) == 1)
				n = add_id(ids, n, max, id);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

int test_bpf_prog_ids_of_pid(pid_t pid, unsigned int *ids, int max)
{
	return fdinfo_ids(pid, "prog_id", ids, max);
}

int test_bpf_link_ids_of_pid(pid_t pid, unsigned int *ids, int max)
{
	return fdinfo_ids(pid, "link_id", ids, max);
}

int test_bpf_link_exists(unsigned int id)
{
	int fd = bpf_link_get_fd_by_id(id);

	if (fd < 0)
		return errno != ENOENT;
	close(fd);
	return 1;
}

static void merge_ids(unsigned int *into, int *n, const unsigned int *ids, int m)
{
	int i;

	for (i = 0; i < m; i++)
		*n = add_id(into, *n, 64, ids[i]);
}

static void prog_name(unsigned int id, char name[16])
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = '\0';
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		snprintf(name, 16, "%s", info.name);
	close(fd);
}

void test_bpf_ids_add(struct test_bpf_ids *ids, pid_t pid)
{
	unsigned int now[64];
	int n, i, before = ids->nprogs;

	n = test_bpf_prog_ids_of_pid(pid, now, 64);
	merge_ids(ids->progs, &ids->nprogs, now, n);
	for (i = before; i < ids->nprogs; i++)
		prog_name(ids->progs[i], ids->names[i]);
	n = test_bpf_link_ids_of_pid(pid, now, 64);
	merge_ids(ids->links, &ids->nlinks, now, n);
}

int test_bpf_ids_have_name(const struct test_bpf_ids *ids, const char *name)
{
	int i;

	for (i = 0; i < ids->nprogs; i++)
		if (strcmp(ids->names[i], name) == 0)
			return 1;
	return 0;
}

static int prog_gone(void *ctx)
{
	return !test_bpf_prog_exists(*(unsigned int *)ctx);
}

static int link_gone(void *ctx)
{
	return !test_bpf_link_exists(*(unsigned int *)ctx);
}

void test_bpf_ids_gone(const struct test_bpf_ids *ids)
{
	int i;

	/* The kernel frees a program after an RCU grace period, not at the last close. */
	for (i = 0; i < ids->nprogs; i++)
		test_wait_for(prog_gone, (void *)&ids->progs[i], "a BPF program of ours to go");
	for (i = 0; i < ids->nlinks; i++)
		test_wait_for(link_gone, (void *)&ids->links[i], "a BPF link of ours to go");
}

pid_t test_start(char *const argv[], int out_fd, int err_fd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (out_fd >= 0)
			dup2(out_fd, STDOUT_FILENO);
		if (err_fd >= 0)
			dup2(err_fd, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

struct exit_wait {
	pid_t pid;
	int status;
};

static int has_exited(void *ctx)
{
	struct exit_wait *w = ctx;

	return waitpid(w->pid, &w->status, WNOHANG) == w->pid;
}

int test_wait_exit(pid_t pid)
{
	struct exit_wait w = {pid, 0};

	test_wait_for(has_exited, &w, "a program to end");
	return WIFSIGNALED(w.status) ? 128 + WTERMSIG(w.status) : WEXITSTATUS(w.status);
}

static void add_children_of_thread(const char *path, pid_t *out, int *n, int max)
{
	char *text = NULL, *p, *end;

	if (amz_read_file(path, &text, NULL) < 0)
		return;
	for (p = text; *n < max; p = end) {
		long child = strtol(p, &end, 10);

		if (end == p)
			break;
		out[(*n)++] = (pid_t)child;
	}
	free(text);
}

int test_children_of(pid_t pid, pid_t *out, int max)
{
	char dir[64], path[400];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/children", dir, de->d_name);
		add_children_of_thread(path, out, &n, max);
	}
	closedir(d);
	return n;
}

int test_is_stopped(pid_t pid)
{
	char path[64], *text = NULL, *paren;
	int stopped;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (amz_read_file(path, &text, NULL) < 0)
		return 0;
	paren = strrchr(text, ')');
	stopped = paren && paren[1] == ' ' && paren[2] == 'T';
	free(text);
	return stopped;
}

int test_bpf_prog_exists(unsigned int id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return errno != ENOENT;
	close(fd);
	return 1;
}

void test_wait_for(int (*cond)(void *ctx), void *ctx, const char *what)
{
	struct timespec ms = {0, 1000000L};
	int i;

	for (i = 0; i < 60000; i++) {
		if (cond(ctx))
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("gave up waiting, after a minute, for %s", what);
}

void test_skip_or_fail(const char *fmt, ...)
{
	const char *ci = getenv("CI");
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (ci && strcmp(ci, "true") == 0)
		fail_msg("%s, and CI=true does not allow skipping this test", msg);
	print_message("skipped: %s\n", msg);
	skip();
}

void test_require_root(void)
{
	if (geteuid() != 0)
		test_skip_or_fail("this test needs root");
}

void test_require_bpf(void)
{
	static int known, available;
	static char why[512];
	struct amz_err err = {0};
	struct tracer *t;

	test_require_root();
	if (!known) {
		known = 1;
		available = tracer_open(&t, &err) == 0;
		if (available)
			tracer_close(t);
		else
			snprintf(why, sizeof(why), "%s", err.msg);
	}
	if (!available)
		test_skip_or_fail("BPF is unavailable: %s", why);
}

int test_temp_dir(char *dir, size_t size, const char *tag)
{
	snprintf(dir, size, "/tmp/%s-XXXXXX", tag);
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *at)
{
	(void)st;
	(void)type;
	(void)at;
	return remove(path);
}

int test_remove_tree(const char *dir)
{
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
