/* `make install` into a staging directory: pkg-config then finds amorsize, a program that calls
 * amz_map builds with its flags and runs against the installed library, and the manual pages
 * and the bash completion are in place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char program[] =
	"#include <stdio.h>\n"
	"#include <amorsize.h>\n"
	"static int twice(const void *in, void *out, void *ctx)\n"
	"{\n"
	"	(void)ctx;\n"
	"	*(int *)out = 2 * *(const int *)in;\n"
	"	return 0;\n"
	"}\n"
	"int main(void)\n"
	"{\n"
	"	int in[100], out[100], i;\n"
	"	struct amz_map_opts o = {.workers = 2, .chunksize = 7, .kind = AMZ_PROCESSES};\n"
	"	struct amz_map_status st;\n"
	"	for (i = 0; i < 100; i++)\n"
	"		in[i] = i;\n"
	"	if (amz_map(twice, NULL, in, sizeof(int), out, sizeof(int), 100, &o, &st) < 0)\n"
	"		return 1;\n"
	"	printf(\"%d %zu\\n\", out[99], st.items_done);\n"
	"	return 0;\n"
	"}\n";

/* A sanitized build's library needs the sanitizer runtimes in the program too. */
#ifdef __SANITIZE_ADDRESS__
#define PROGRAM_FLAGS "-fsanitize=address,undefined"
#else
#define PROGRAM_FLAGS ""
#endif

static void shell(struct test_run *r, const char *cmd)
{
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};

	test_run(r, argv);
}

static void assert_shell_ok(struct test_run *r, const char *cmd)
{
	shell(r, cmd);
	if (r->status != 0)
		fail_msg("'%s' exited with %d: %s", cmd, r->status, r->err);
}

static void test_installed_library_builds_a_program_through_pkg_config(void **state)
{
	char *dest = test_temp_path("destdir"), cmd[8192];
	struct test_run r;
	FILE *f;

	(void)state;
	/* The make that runs the tests must not hand its jobserver to this one. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	snprintf(cmd, sizeof(cmd), "make -s -C '%s' install BUILD='%s' DESTDIR='%s' PREFIX=/usr",
		 AMZ_SOURCE_DIR, AMZ_BUILD_DIR, dest);
	assert_shell_ok(&r, cmd);
	test_run_free(&r);

	snprintf(cmd, sizeof(cmd), "%s/usr/lib/pkgconfig", dest);
	setenv("PKG_CONFIG_PATH", cmd, 1);
	setenv("PKG_CONFIG_SYSROOT_DIR", dest, 1);
	assert_shell_ok(&r, "pkg-config --cflags --libs amorsize");
	assert_non_null(strstr(r.out, "-lamorsize"));
	assert_non_null(strstr(r.out, "/usr/include"));
	test_run_free(&r);

	snprintf(cmd, sizeof(cmd), "%s/prog.c", dest);
	f = fopen(cmd, "w");
	assert_non_null(f);
	fputs(program, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cc %s -o '%s/prog' '%s/prog.c' $(pkg-config --cflags --libs amorsize) && "
		 "LD_LIBRARY_PATH='%s/usr/lib' '%s/prog'",
		 PROGRAM_FLAGS, dest, dest, dest, dest);
	assert_shell_ok(&r, cmd);
	assert_string_equal(r.out, "198 100\n");
	test_run_free(&r);

	/* The manual pages and the completion come along. */
	snprintf(cmd, sizeof(cmd),
		 "man --warnings -l '%s/usr/share/man/man1/amzprof.1' >/dev/null && "
		 "man --warnings -l '%s/usr/share/man/man3/amz_map.3' | grep -q amz_pool_new && "
		 "bash -c \". '%s/usr/share/bash-completion/completions/amzprof' && "
		 "complete -p amzprof\"",
		 dest, dest, dest);
	assert_shell_ok(&r, cmd);
	assert_string_equal(r.err, "");
	test_run_free(&r);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dest);
	assert_shell_ok(&r, cmd);
	test_run_free(&r);
	unsetenv("PKG_CONFIG_SYSROOT_DIR");
	unsetenv("PKG_CONFIG_PATH");
	free(dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_installed_library_builds_a_program_through_pkg_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
