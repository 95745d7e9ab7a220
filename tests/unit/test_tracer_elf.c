/* Finding chunk markers before a workload runs: in its binary, and in the libamorsize.so a
 * process has mapped. */
#include <dlfcn.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tracer.h"

static void test_binary_with_markers_is_recognised(void **state)
{
	(void)state;
	assert_int_equal(tracer_has_markers(test_build_path(0, "workloads/chunks")), 1);
}

static void test_binary_without_markers_is_not(void **state)
{
	(void)state;
	assert_int_equal(tracer_has_markers(test_build_path(0, "workloads/spawn")), 0);
	assert_int_equal(tracer_has_markers("/nonexistent/amz"), 0);
	assert_int_equal(tracer_has_markers("/etc/passwd"), 0);
}

static void test_statically_linked_pool_needs_no_library(void **state)
{
	char path[PATH_MAX];

	(void)state;
	assert_int_equal(tracer_find_pool_library(test_build_path(0, "workloads/chunks"), path,
						  sizeof(path)),
			 0);
}

static void test_mapped_pool_library_is_found(void **state)
{
	char path[PATH_MAX];
	void *lib;

	(void)state;
	assert_int_equal(tracer_mapped_pool_library(getpid(), path, sizeof(path)), 0);
	lib = dlopen(test_build_path(0, "libamorsize.so.0"), RTLD_NOW | RTLD_LOCAL);
	assert_non_null(lib);
	assert_int_equal(tracer_mapped_pool_library(getpid(), path, sizeof(path)), 1);
	assert_non_null(strstr(path, "libamorsize.so.0"));
	dlclose(lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_with_markers_is_recognised),
		cmocka_unit_test(test_binary_without_markers_is_not),
		cmocka_unit_test(test_statically_linked_pool_needs_no_library),
		cmocka_unit_test(test_mapped_pool_library_is_found),
	};

	return cmocka_run_group_tests_name("tracer_elf", tests, NULL, NULL);
}
