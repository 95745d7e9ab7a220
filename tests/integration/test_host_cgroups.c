/* Root: real v1 cgroups (a memory limit, a CFS quota, a cpuset) created below the ones this
 * process is in, a child moved into them, and what `amzprof host --json` reports from there.
 * The teardown kills the child and removes the cgroups even when an assertion failed. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cpulist.h"
#include "testutil.h"

#define MAX_DIRS 8

struct fix {
	char *dirs[MAX_DIRS]; /* created, in creation order; removed in reverse */
	int n_dirs;
	pid_t child;
	char *out; /* the child's stdout */
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->child = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	int i, tries;

	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
	}
	/* A cgroup whose last task just exited can stay busy for a moment. */
	for (i = f->n_dirs - 1; i >= 0; i--) {
		for (tries = 0; rmdir(f->dirs[i]) < 0 && errno == EBUSY && tries < 100; tries++)
			usleep(10000);
		free(f->dirs[i]);
	}
	if (f->out) {
		unlink(f->out);
		free(f->out);
	}
	free(f);
	return 0;
}

/* This process's own cgroup directory for a controller, which must be on a v1 hierarchy. */
static char *own_v1_dir(enum cgroup_controller c)
{
	struct amz_err err = {0};
	struct cgroup_set s;
	char *dir;

	assert_int_equal(cgroup_discover(&s, "", &err), 0);
	if (s.place[c].version != CGROUP_V1) {
		cgroup_free(&s);
		test_skip_or_fail("the %s controller is not on a cgroup v1 hierarchy here",
				  cgroup_controller_name(c));
	}
	dir = strdup(s.place[c].dir);
	cgroup_free(&s);
	return dir;
}

static void write_file(const char *dir, const char *name, const char *value)
{
	char path[4096];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	n = write(fd, value, strlen(value));
	if (n != (ssize_t)strlen(value))
		fail_msg("cannot write \"%s\" to %s: %s", value, path, strerror(errno));
	close(fd);
}

static void read_first_line(const char *dir, const char *name, char *buf, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "re");
	assert_non_null(fp);
	assert_non_null(fgets(buf, (int)len, fp));
	buf[strcspn(buf, "\n")] = '\0';
	fclose(fp);
}

/* Creates PARENT/NAME and records it for the teardown; returns its path. */
static const char *make_cgroup(struct fix *f, const char *parent, const char *name)
{
	char *dir = NULL;

	assert_true(f->n_dirs < MAX_DIRS);
	assert_true(asprintf(&dir, "%s/%s", parent, name) > 0);
	if (mkdir(dir, 0755) < 0)
		fail_msg("cannot create the cgroup %s: %s", dir, strerror(errno));
	f->dirs[f->n_dirs++] = dir;
	return dir;
}

static const char *test_name(const char *what)
{
	static char name[64];

	snprintf(name, sizeof(name), "amz-host-test-%d-%s", (int)getpid(), what);
	return name;
}

/* Forks a child that waits, moves it into each cgroup, lets it exec `amzprof host --json`,
 * and returns the parsed document. */
static json_object *run_host_in(struct fix *f, const char *const cgroups[], int n)
{
	int go[2], status, out, i;
	char pid[32], byte = 1;
	json_object *doc;

	f->out = test_temp_path("host.json");
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	f->child = fork();
	assert_true(f->child >= 0);
	if (f->child == 0) {
		char *argv[] = {(char *)test_build_path(0, "amzprof"), "host", "--json", NULL};

		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(125);
		out = open(f->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (out < 0 || dup2(out, STDOUT_FILENO) < 0)
			_exit(125);
		execv(argv[0], argv);
		_exit(127);
	}
	close(go[0]);

	snprintf(pid, sizeof(pid), "%d", (int)f->child);
	for (i = 0; i < n; i++)
		write_file(cgroups[i], "cgroup.procs", pid);
	assert_int_equal(write(go[1], &byte, 1), 1);
	close(go[1]);

	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	f->child = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	doc = test_load_json(f->out);
	return doc;
}

static json_object *field(json_object *doc, const char *group, const char *key)
{
	json_object *g = NULL, *v = NULL;

	if (!json_object_object_get_ex(doc, group, &g) || !json_object_object_get_ex(g, key, &v))
		fail_msg("the document has no %s.%s", group, key);
	return v;
}

static json_object *source_of(json_object *doc, const char *name, const char *key)
{
	json_object *s, *e, *v;

	assert_true(json_object_object_get_ex(doc, "sources", &s));
	assert_true(json_object_object_get_ex(s, name, &e));
	assert_true(json_object_object_get_ex(e, key, &v));
	return v;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

static void test_real_v1_memory_limit_is_reported(void **state)
{
	struct fix *f = *state;
	const char *cg;
	char *own, want[256];
	json_object *doc;

	test_require_root();
	own = own_v1_dir(CGROUP_MEMORY);
	cg = make_cgroup(f, own, test_name("mem"));
	free(own);
	write_file(cg, "memory.limit_in_bytes", "268435456");

	doc = run_host_in(f, (const char *const[]){cg}, 1);
	assert_int_equal(json_object_get_int64(field(doc, "memory", "limit")), 268435456);
	assert_true(json_object_get_int64(field(doc, "memory", "left")) <= 268435456);
	assert_int_equal(json_object_get_int(source_of(doc, "memory.limit", "level")), 0);
	snprintf(want, sizeof(want), "%s/memory.limit_in_bytes", test_name("mem"));
	assert_true(
		ends_with(json_object_get_string(source_of(doc, "memory.limit", "source")), want));
	json_object_put(doc);
}

static void test_real_v1_memory_limit_on_the_parent_wins(void **state)
{
	struct fix *f = *state;
	const char *parent, *child;
	char *own;
	json_object *doc;

	test_require_root();
	own = own_v1_dir(CGROUP_MEMORY);
	parent = make_cgroup(f, own, test_name("parent"));
	free(own);
	child = make_cgroup(f, parent, "leaf");
	write_file(parent, "memory.limit_in_bytes", "268435456");
	write_file(child, "memory.limit_in_bytes", "536870912");

	doc = run_host_in(f, (const char *const[]){child}, 1);
	assert_int_equal(json_object_get_int64(field(doc, "memory", "limit")), 268435456);
	assert_int_equal(json_object_get_int(source_of(doc, "memory.limit", "level")), 1);
	json_object_put(doc);
}

static void check_quota(struct fix *f, const char *quota, double cpus)
{
	const char *cg;
	char *own;
	double usable, online;
	json_object *doc;

	own = own_v1_dir(CGROUP_CPU);
	cg = make_cgroup(f, own, test_name("cpu"));
	free(own);
	write_file(cg, "cpu.cfs_period_us", "100000");
	write_file(cg, "cpu.cfs_quota_us", quota);

	doc = run_host_in(f, (const char *const[]){cg}, 1);
	assert_true(fabs(json_object_get_double(field(doc, "cpu", "quota")) - cpus) < 1e-9);
	online = (double)json_object_get_int(field(doc, "cpu", "allowed"));
	usable = json_object_get_double(field(doc, "cpu", "usable"));
	assert_true(fabs(usable - (cpus < online ? cpus : online)) < 1e-9);
	assert_true(ends_with(json_object_get_string(source_of(doc, "cpu.quota", "source")),
			      "/cpu.cfs_quota_us"));
	assert_true(json_object_get_int64(field(doc, "cpu", "periods")) >= 0);
	json_object_put(doc);
}

static void test_real_v1_quota_of_half_a_cpu_is_reported(void **state)
{
	test_require_root();
	check_quota(*state, "50000", 0.5);
}

static void test_real_v1_quota_of_one_and_a_half_cpus_is_reported(void **state)
{
	test_require_root();
	check_quota(*state, "150000", 1.5);
}

static void test_real_v1_cpuset_narrows_the_usable_cpus(void **state)
{
	struct fix *f = *state;
	const char *cg;
	char *own, cpus[256], mems[256], last[16];
	struct cpulist l;
	json_object *doc;
	int cpu = 0, next;

	test_require_root();
	own = own_v1_dir(CGROUP_CPUSET);
	read_first_line(own, "cpuset.effective_cpus", cpus, sizeof(cpus));
	read_first_line(own, "cpuset.effective_mems", mems, sizeof(mems));
	cg = make_cgroup(f, own, test_name("cpuset"));
	free(own);

	/* The highest CPU of ours: the child may use that one alone. */
	assert_int_equal(cpulist_parse(&l, cpus), 0);
	for (next = cpulist_next(&l, 0); next >= 0; next = cpulist_next(&l, next + 1))
		cpu = next;
	cpulist_free(&l);
	snprintf(last, sizeof(last), "%d", cpu);
	write_file(cg, "cpuset.cpus", last);
	write_file(cg, "cpuset.mems", mems);

	doc = run_host_in(f, (const char *const[]){cg}, 1);
	assert_int_equal(json_object_get_int(field(doc, "cpu", "cpuset")), 1);
	assert_int_equal(json_object_get_int(field(doc, "cpu", "allowed")), 1);
	assert_string_equal(json_object_get_string(field(doc, "cpu", "allowed_list")), last);
	assert_true(json_object_get_double(field(doc, "cpu", "usable")) == 1.0);
	assert_true(ends_with(json_object_get_string(source_of(doc, "cpu.cpuset", "source")),
			      "/cpuset.effective_cpus"));
	json_object_put(doc);
}

static void test_real_v1_limits_combine_in_one_report(void **state)
{
	struct fix *f = *state;
	const char *mem, *cpu;
	char *own;
	json_object *doc;

	test_require_root();
	own = own_v1_dir(CGROUP_MEMORY);
	mem = make_cgroup(f, own, test_name("both-mem"));
	free(own);
	own = own_v1_dir(CGROUP_CPU);
	cpu = make_cgroup(f, own, test_name("both-cpu"));
	free(own);
	write_file(mem, "memory.limit_in_bytes", "402653184");
	write_file(cpu, "cpu.cfs_period_us", "200000");
	write_file(cpu, "cpu.cfs_quota_us", "50000");

	doc = run_host_in(f, (const char *const[]){mem, cpu}, 2);
	assert_int_equal(json_object_get_int64(field(doc, "memory", "limit")), 402653184);
	assert_true(fabs(json_object_get_double(field(doc, "cpu", "usable")) - 0.25) < 1e-9);
	json_object_put(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_real_v1_memory_limit_is_reported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_real_v1_memory_limit_on_the_parent_wins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_real_v1_quota_of_half_a_cpu_is_reported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_real_v1_quota_of_one_and_a_half_cpus_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_v1_cpuset_narrows_the_usable_cpus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_real_v1_limits_combine_in_one_report, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("host_cgroups", tests, NULL, NULL);
}
