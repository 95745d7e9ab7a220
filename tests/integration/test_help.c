/* Help, manual pages and completion agree: every command has --help with examples, every option
 * a help names is in amzprof(1) and in the bash completion, the pages format without warnings
 * and have the sections they promise, amorsize(3) covers the public API, and the completion
 * loads in bash and completes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

static char *source_file(const char *rel)
{
	char path[4096], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", AMZ_SOURCE_DIR, rel);
	if (amz_read_file(path, &text, NULL) < 0)
		fail_msg("%s is missing", rel);
	return text;
}

/* amzprof COMMAND --help, or amzprof --help when command is NULL. */
static void help_of(struct test_run *r, const char *command)
{
	char *argv[] = {(char *)test_build_path(0, "amzprof"), (char *)command, "--help", NULL};

	if (!command) {
		argv[1] = "--help";
		argv[2] = NULL;
	}
	test_run(r, argv);
	if (r->status != 0 || r->err[0])
		fail_msg("amzprof %s --help: status %d, %s", command ? command : "", r->status,
			 r->err);
}

/* The commands `amzprof --help` lists, one per line after "Commands:", "--" left out. */
static int commands(char names[][32], int max)
{
	struct test_run r;
	char *p;
	int n = 0;

	help_of(&r, NULL);
	p = strstr(r.out, "Commands:\n");
	assert_non_null(p);
	for (p = strchr(p, '\n') + 1; *p == ' ' && n < max; p = strchr(p, '\n') + 1) {
		char word[32];

		if (sscanf(p, " %31s", word) == 1 && strcmp(word, "--") != 0)
			snprintf(names[n++], sizeof(names[0]), "%s", word);
	}
	test_run_free(&r);
	return n;
}

static void test_every_command_has_help_with_examples(void **state)
{
	char names[16][32], usage[600];
	struct test_run r;
	int n = commands(names, 16), i;

	(void)state;
	assert_true(n >= 7);
	for (i = 0; i < n; i++) {
		help_of(&r, names[i]);
		snprintf(usage, sizeof(usage), "Usage: amzprof %s", names[i]);
		if (strncmp(r.out, usage, strlen(usage)) != 0 || !strstr(r.out, "Example"))
			fail_msg("amzprof %s --help has no usage line or no example:\n%s", names[i],
				 r.out);
		test_run_free(&r);
	}
	help_of(&r, NULL);
	assert_non_null(strstr(r.out, "Examples:\n  sudo amzprof -- "));
	test_run_free(&r);
}

/* The man page writes --option as \-\-option. */
static void man_spelling(const char *opt, char *out, size_t size)
{
	size_t i, k = 0;

	for (i = 0; opt[i] && k + 3 < size; i++) {
		if (opt[i] == '-')
			out[k++] = '\\';
		out[k++] = opt[i];
	}
	out[k] = '\0';
}

/* Every --option in text is in the manual page and in the completion. */
static void check_options(const char *text, const char *man, const char *completion)
{
	const char *p;

	for (p = strstr(text, "--"); p; p = strstr(p + 2, "--")) {
		char opt[48], in_man[112];
		size_t n = 0;

		while (n < sizeof(opt) - 3 && (isalnum((unsigned char)p[2 + n]) || p[2 + n] == '-'))
			n++;
		if (!n)
			continue;
		snprintf(opt, sizeof(opt), "--%.*s", (int)n, p + 2);
		man_spelling(opt, in_man, sizeof(in_man));
		if (!strstr(man, in_man))
			fail_msg("%s is in a --help but not in amzprof(1)", opt);
		if (!strstr(completion, opt))
			fail_msg("%s is in a --help but not in the bash completion", opt);
	}
}

static void test_every_option_in_a_help_is_in_the_manual_and_the_completion(void **state)
{
	char *man = source_file("man/amzprof.1"), *completion = source_file("completions/amzprof");
	char names[16][32];
	struct test_run r;
	int n = commands(names, 16), i;

	(void)state;
	help_of(&r, NULL);
	check_options(r.out, man, completion);
	test_run_free(&r);
	for (i = 0; i < n; i++) {
		help_of(&r, names[i]);
		check_options(r.out, man, completion);
		if (!strstr(man, names[i]) || !strstr(completion, names[i]))
			fail_msg("command %s is not in amzprof(1) or the completion", names[i]);
		test_run_free(&r);
	}
	free(man);
	free(completion);
}

static void assert_formats_cleanly(const char *page)
{
	char cmd[4096];
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	struct test_run r;

	snprintf(cmd, sizeof(cmd),
		 "man --warnings -E UTF-8 -l '%s/%s' >/dev/null && groff -man -ww -z '%s/%s'",
		 AMZ_SOURCE_DIR, page, AMZ_SOURCE_DIR, page);
	test_run(&r, argv);
	if (r.status != 0 || r.err[0])
		fail_msg("%s: %s", page, r.err);
	test_run_free(&r);
}

static void test_manual_pages_format_without_warnings(void **state)
{
	(void)state;
	assert_formats_cleanly("man/amzprof.1");
	assert_formats_cleanly("man/amorsize.3");
}

static void test_amzprof_page_has_the_promised_sections(void **state)
{
	static const char *const sections[] = {
		".SH NAME",	".SH SYNOPSIS",	   ".SH DESCRIPTION", ".SH COMMANDS",
		".SH OPTIONS",	".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES",
		".SH OVERHEAD", ".SH EXAMPLES",
	};
	char *man = source_file("man/amzprof.1");
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		if (!strstr(man, sections[i]))
			fail_msg("amzprof(1) has no %s", sections[i]);
	}
	/* The overhead is a measured figure, and every exit status is there. */
	assert_non_null(strstr(man, " ns of BPF run time per event"));
	assert_non_null(strstr(man, ".B 125"));
	assert_non_null(strstr(man, ".B 126"));
	assert_non_null(strstr(man, ".B 127"));
	free(man);
}

static void test_amorsize_page_covers_every_public_function(void **state)
{
	char *header = source_file("user/amorsize.h"), *man = source_file("man/amorsize.3");
	const char *p;
	int n = 0;

	(void)state;
	for (p = strstr(header, "\nAMZ_API "); p; p = strstr(p + 1, "\nAMZ_API ")) {
		const char *q = strstr(p, "amz_");
		char name[64];

		if (!q || sscanf(q, "%63[a-z_]", name) != 1)
			continue;
		n++;
		if (!strstr(man, name))
			fail_msg("%s is in amorsize.h but not in amorsize(3)", name);
	}
	assert_true(n >= 7);
	free(header);
	free(man);
}

static void complete(struct test_run *r, const char *store, const char *words, int cword)
{
	char cmd[4096];
	char *argv[] = {"/bin/bash", "--norc", "-c", cmd, NULL};

	snprintf(cmd, sizeof(cmd),
		 ". '%s/completions/amzprof' && complete -p amzprof >/dev/null && "
		 "AMZ_STORE='%s' && COMP_WORDS=(%s) && COMP_CWORD=%d && _amzprof && "
		 "echo \"${COMPREPLY[*]}\"",
		 AMZ_SOURCE_DIR, store, words, cword);
	test_run(r, argv);
	if (r->status != 0 || r->err[0])
		fail_msg("the completion failed: %s", r->err);
}

static void test_completion_loads_in_bash_and_completes(void **state)
{
	char *store = test_temp_path("completion-store"), path[4096];
	struct test_run r;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir(store, 0700), 0);
	snprintf(path, sizeof(path), "%s/make.json.gz", store);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);

	complete(&r, store, "amzprof sh", 1);
	assert_string_equal(r.out, "show\n");
	test_run_free(&r);
	complete(&r, store, "amzprof calibrate --tho", 2);
	assert_string_equal(r.out, "--thorough\n");
	test_run_free(&r);
	complete(&r, store, "amzprof --trace-l", 1);
	assert_string_equal(r.out, "--trace-limit\n");
	test_run_free(&r);
	complete(&r, store, "amzprof show ma", 2);
	assert_string_equal(r.out, "make\n");
	test_run_free(&r);

	unlink(path);
	rmdir(store);
	free(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command_has_help_with_examples),
		cmocka_unit_test(test_every_option_in_a_help_is_in_the_manual_and_the_completion),
		cmocka_unit_test(test_manual_pages_format_without_warnings),
		cmocka_unit_test(test_amzprof_page_has_the_promised_sections),
		cmocka_unit_test(test_amorsize_page_covers_every_public_function),
		cmocka_unit_test(test_completion_loads_in_bash_and_completes),
	};

	return cmocka_run_group_tests_name("help", tests, NULL, NULL);
}
