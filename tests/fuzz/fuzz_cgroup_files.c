/* Fuzz target: /proc/self/mountinfo and /proc/self/cgroup parsing, and kernel CPU lists; the
 * input is one text, given to each parser whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cpulist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgroup_membership *members;
	struct cgroup_mount *mounts;
	struct cpulist cpus;
	size_t n;
	char *text = malloc(size + 1), *f;
	int bad;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	if (cgroup_parse_mountinfo(text, &mounts, &n, &bad) == 0)
		cgroup_mounts_free(mounts, n);
	if (cgroup_parse_self(text, &members, &n, &bad) == 0)
		cgroup_memberships_free(members, n);
	if (cpulist_parse(&cpus, text) == 0) {
		f = cpulist_format(&cpus);
		free(f);
	}
	cpulist_free(&cpus);
	free(text);
	return 0;
}
