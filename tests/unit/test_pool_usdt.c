/* The pool's USDT markers: amz:chunk_begin and amz:chunk_end, each with two arguments (first
 * index, item count), are in the shared library and in every program linked with the static
 * one, and have no semaphore: a single nop each when nothing is attached. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

struct marker {
	char name[32];
	int args;
	uint64_t semaphore;
};

struct markers {
	struct marker m[16];
	int n;
};

static int count_args(const char *spec)
{
	int n = 0;

	for (; *spec; spec++) {
		if (*spec != ' ' && (spec[1] == ' ' || spec[1] == '\0'))
			n++;
	}
	return n;
}

/* A stapsdt note holds three addresses (probe, base, semaphore), then provider, name and
 * argument strings. */
static void read_note(struct markers *out, const char *desc, size_t len)
{
	const char *provider = desc + 24, *name, *args;
	struct marker *m;

	assert_true(len > 24);
	name = provider + strlen(provider) + 1;
	args = name + strlen(name) + 1;
	if (strcmp(provider, "amz") != 0 || out->n == 16)
		return;
	m = &out->m[out->n++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->args = count_args(args);
	memcpy(&m->semaphore, desc + 16, sizeof(m->semaphore));
}

static void read_markers(const char *path, struct markers *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd = open(path, O_RDONLY);
	Elf *e;

	memset(out, 0, sizeof(*out));
	assert_true(fd >= 0);
	assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *data = elf_getdata(scn, NULL);
		size_t off = 0, name_off, desc_off;
		GElf_Shdr sh;
		GElf_Nhdr nh;

		gelf_getshdr(scn, &sh);
		if (strcmp(elf_strptr(e, shstrndx, sh.sh_name), ".note.stapsdt") != 0)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0)
			read_note(out, (const char *)data->d_buf + desc_off, nh.n_descsz);
	}
	elf_end(e);
	close(fd);
}

static void assert_has_chunk_markers(const char *rel)
{
	struct markers ms;
	int i, begin = 0, end = 0;

	read_markers(test_build_path(0, rel), &ms);
	for (i = 0; i < ms.n; i++) {
		assert_int_equal(ms.m[i].args, 2);
		assert_int_equal(ms.m[i].semaphore, 0);
		begin += strcmp(ms.m[i].name, "chunk_begin") == 0;
		end += strcmp(ms.m[i].name, "chunk_end") == 0;
	}
	if (begin < 1 || end < 1)
		fail_msg("%s has %d amz:chunk_begin and %d amz:chunk_end markers", rel, begin, end);
	assert_int_equal(begin, end);
}

static void test_shared_library_has_chunk_markers(void **state)
{
	(void)state;
	assert_has_chunk_markers("libamorsize.so");
}

static void test_program_linked_statically_has_chunk_markers(void **state)
{
	(void)state;
	assert_has_chunk_markers("workloads/tiny");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_library_has_chunk_markers),
		cmocka_unit_test(test_program_linked_statically_has_chunk_markers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
