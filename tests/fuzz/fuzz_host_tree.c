/* Fuzz target: host detection on a whole tree. The input is split at NUL bytes into the files
 * of a sysroot (mountinfo, /proc/self/cgroup, cgroup v1 and v2 limit files, meminfo, status,
 * the online list), written under a private temporary directory; detection then runs on it,
 * and its result goes through JSON and back and through the text report. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void fuzz_target_cleanup(void);

/* The files each NUL-separated part of the input becomes, in order. */
static const char *const files[] = {
	"proc/self/mountinfo",
	"proc/self/cgroup",
	"sys/fs/cgroup/cpu.max",
	"sys/fs/cgroup/memory.max",
	"sys/fs/cgroup/memory.high",
	"sys/fs/cgroup/memory.current",
	"sys/fs/cgroup/memory.stat",
	"sys/fs/cgroup/cpuset.cpus.effective",
	"sys/fs/cgroup/cpu.stat",
	"proc/meminfo",
	"proc/self/status",
	"sys/devices/system/cpu/online",
	"sys/fs/cgroup/cpu/cpu.cfs_quota_us",
	"sys/fs/cgroup/cpu/cpu.cfs_period_us",
	"sys/fs/cgroup/memory/memory.limit_in_bytes",
	"sys/fs/cgroup/memory/memory.stat",
	"sys/fs/cgroup/memory/memory.usage_in_bytes",
	"sys/fs/cgroup/cpuset/cpuset.effective_cpus",
};

static const char *const dirs[] = {
	"proc",
	"proc/self",
	"sys",
	"sys/fs",
	"sys/fs/cgroup",
	"sys/fs/cgroup/cpu",
	"sys/fs/cgroup/memory",
	"sys/fs/cgroup/cpuset",
	"sys/devices",
	"sys/devices/system",
	"sys/devices/system/cpu",
};

static char root[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The tree lives as long as the process: it goes when the fuzzer exits, or when the replay's
 * child calls this. */
void fuzz_target_cleanup(void)
{
	if (root[0])
		nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = 0;
}

static void make_tree(void)
{
	char path[256];
	size_t i;

	snprintf(root, sizeof(root), "/tmp/amz-fuzz-host-XXXXXX");
	if (!mkdtemp(root))
		abort();
	atexit(fuzz_target_cleanup);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		mkdir(path, 0700);
	}
}

static void write_part(const char *name, const uint8_t *p, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "w");
	if (!f)
		return;
	fwrite(p, 1, len, f);
	fclose(f);
}

static void write_tree(const uint8_t *data, size_t size)
{
	size_t i, start = 0, part = 0;
	char path[256];

	for (i = 0; i <= size && part < sizeof(files) / sizeof(files[0]); i++) {
		if (i < size && data[i] != 0)
			continue;
		write_part(files[part++], data + start, i - start);
		start = i + 1;
	}
	for (; part < sizeof(files) / sizeof(files[0]); part++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[part]);
		unlink(path);
	}
}

static void exercise(void)
{
	struct host_opts o = {.sysroot = root, .no_env = true};
	struct amz_host h, back;
	struct amz_err err = {0};
	char fp[1024];
	json_object *j;
	FILE *sink;

	if (host_detect(&h, &o, &err) < 0)
		return;
	host_usable_cpus_rounded(&h, HOST_ROUND_FLOOR);
	host_memory_left(&h);
	host_fingerprint(&h, fp, sizeof(fp));
	j = host_to_json(&h);
	if (host_from_json(&back, j, &err) == 0)
		host_free(&back);
	json_object_put(j);
	sink = fopen("/dev/null", "w");
	if (sink) {
		host_print(sink, &h);
		fclose(sink);
	}
	host_free(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root[0])
		make_tree();
	write_tree(data, size);
	exercise();
	return 0;
}
