/* Replays one fuzz target's corpus as tests: every file under its corpus directory is one test,
 * run under ASan, UBSan and LeakSanitizer, so that a crash or leak found once stays fixed. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sanitizer/lsan_interface.h>

#include "testutil.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A target that keeps files between inputs removes them here: the child ends with _exit, which
 * runs no atexit handler. */
void fuzz_target_cleanup(void) __attribute__((weak));

/* In a child of its own, so that a crash or a leak fails this input's test alone. */
static int replay_in_child(const char *path)
{
	char *buf;
	size_t len;
	int null = open("/dev/null", O_WRONLY);

	/* What a target prints (help, reports) is not TAP: standard output goes nowhere. */
	if (null >= 0)
		dup2(null, STDOUT_FILENO);
	if (amz_read_file(path, &buf, &len) < 0)
		return 2;
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	if (fuzz_target_cleanup)
		fuzz_target_cleanup();
	return __lsan_do_recoverable_leak_check() ? 3 : 0;
}

static void replay_one(void **state)
{
	const char *path = *state;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(replay_in_child(path));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("%s: killed by signal %d", path, WTERMSIG(status));
	if (WEXITSTATUS(status) == 2)
		fail_msg("cannot read %s", path);
	if (WEXITSTATUS(status) == 3)
		fail_msg("%s leaks memory (LeakSanitizer's report is above)", path);
	if (WEXITSTATUS(status) != 0)
		fail_msg("%s: the target failed with status %d (the sanitizer's report is above)",
			 path, WEXITSTATUS(status));
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
