/* Replays one fuzz target's corpus as tests: every file under its corpus directory is one test,
 * run under ASan and UBSan, so that a crash found once stays fixed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay_one(void **state)
{
	char *buf;
	size_t len;

	if (amz_read_file(*state, &buf, &len) < 0)
		fail_msg("cannot read %s", (const char *)*state);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
}

static int add_file(struct CMUnitTest **tests, size_t *n, const char *dir, const char *name)
{
	struct CMUnitTest *t = realloc(*tests, (*n + 1) * sizeof(**tests));
	char *path;

	if (!t || asprintf(&path, "%s/%s", dir, name) < 0)
		return -1;
	*tests = t;
	memset(&t[*n], 0, sizeof(t[*n]));
	t[*n].name = strdup(name);
	t[*n].test_func = replay_one;
	t[*n].initial_state = path;
	(*n)++;
	return 0;
}

int main(void)
{
	struct CMUnitTest *tests = NULL;
	struct dirent *e;
	size_t n = 0, i;
	DIR *d = opendir(FUZZ_CORPUS);
	int r;

	if (!d) {
		fprintf(stderr, "cannot open the corpus %s\n", FUZZ_CORPUS);
		return 1;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && add_file(&tests, &n, FUZZ_CORPUS, e->d_name) < 0)
			return 1;
	closedir(d);

	r = _cmocka_run_group_tests("replay " FUZZ_NAME, tests, n, NULL, NULL);
	for (i = 0; i < n; i++) {
		free((char *)tests[i].name);
		free(tests[i].initial_state);
	}
	free(tests);
	return r;
}
