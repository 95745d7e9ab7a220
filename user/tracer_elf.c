/* Where a workload's amz chunk markers are: in its own binary, or in the libamorsize.so it
 * links (the pool), found before it runs so that no chunk is missed. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracer.h"

#define STAPSDT_NOTE_TYPE 3
#define POOL_LIBRARY	  "libamorsize.so"

static Elf *open_elf(const char *path, int *fd)
{
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	e = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(*fd);
		return NULL;
	}
	return e;
}

/* A stapsdt note's description: three addresses (probe, base, semaphore), then the
 * provider's name. */
static bool note_is_amz(Elf *e, Elf_Data *d, const GElf_Nhdr *nh, size_t name_off, size_t desc_off)
{
	size_t addr = gelf_getclass(e) == ELFCLASS32 ? 4 : 8;
	const char *desc = (const char *)d->d_buf + desc_off;

	if (nh->n_type != STAPSDT_NOTE_TYPE || nh->n_namesz != sizeof("stapsdt") ||
	    memcmp((const char *)d->d_buf + name_off, "stapsdt", sizeof("stapsdt")) != 0 ||
	    nh->n_descsz < 3 * addr + sizeof("amz"))
		return false;
	return memcmp(desc + 3 * addr, "amz", sizeof("amz")) == 0;
}

static bool section_has_amz(Elf *e, Elf_Scn *scn)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	while (d && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (note_is_amz(e, d, &nh, name_off, desc_off))
			return true;
		off = next;
	}
	return false;
}

int tracer_has_markers(const char *path)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;
	int fd;
	Elf *e = open_elf(path, &fd);

	if (!e)
		return 0;
	if (elf_getshdrstrndx(e, &shstrndx) == 0) {
		while (!found && (scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
				continue;
			name = elf_strptr(e, shstrndx, sh.sh_name);
			found = name && strcmp(name, ".note.stapsdt") == 0 &&
				section_has_amz(e, scn);
		}
	}
	elf_end(e);
	close(fd);
	return found;
}

/* Tries dir/name, with $ORIGIN in dir replaced by the binary's directory. */
static int try_dir(const char *dir, size_t len, const char *origin, const char *name, char *out,
		   size_t size)
{
	char d[PATH_MAX];

	if (len >= 7 && strncmp(dir, "$ORIGIN", 7) == 0)
		snprintf(d, sizeof(d), "%s%.*s", origin, (int)(len - 7), dir + 7);
	else
		snprintf(d, sizeof(d), "%.*s", (int)len, dir);
	snprintf(out, size, "%s/%s", *d ? d : ".", name);
	return access(out, R_OK) == 0;
}

static int search_dirs(const char *list, const char *origin, const char *name, char *out,
		       size_t size)
{
	const char *p = list, *end;

	while (p && *p) {
		end = strchr(p, ':');
		if (try_dir(p, end ? (size_t)(end - p) : strlen(p), origin, name, out, size))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* The pool library named in the binary's DT_NEEDED, and its RUNPATH or RPATH. */
static int needed_pool(Elf *e, char *name, size_t nsize, char *runpath, size_t rsize)
{
	Elf_Scn *scn = NULL;
	int found = 0;

	*runpath = '\0';
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (i = 0; sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(d, (int)i, &dyn))
				break;
			s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			if (!s)
				continue;
			if (dyn.d_tag == DT_NEEDED && strncmp(s, POOL_LIBRARY, 14) == 0) {
				snprintf(name, nsize, "%s", s);
				found = 1;
			} else if (dyn.d_tag == DT_RUNPATH ||
				   (dyn.d_tag == DT_RPATH && !*runpath)) {
				snprintf(runpath, rsize, "%s", s);
			}
		}
	}
	return found;
}

/* The search follows ld.so's order for the common cases: RUNPATH or RPATH, LD_LIBRARY_PATH,
 * then the usual system directories. Directories listed only in /etc/ld.so.conf, a library
 * loaded with dlopen or LD_PRELOAD, and binaries the workload execs later are not looked at:
 * their chunks are then not seen. */
int tracer_find_pool_library(const char *binary, char *out, size_t size)
{
	static const char system_dirs[] = "/usr/local/lib:/usr/lib/x86_64-linux-gnu:"
					  "/lib/x86_64-linux-gnu:/usr/lib/aarch64-linux-gnu:"
					  "/lib/aarch64-linux-gnu:/usr/lib64:/lib64:/usr/lib:/lib";
	char name[256], runpath[PATH_MAX], origin[PATH_MAX], *slash;
	int fd, found = 0;
	Elf *e = open_elf(binary, &fd);

	if (!e)
		return 0;
	snprintf(origin, sizeof(origin), "%s", binary);
	slash = strrchr(origin, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(origin, sizeof(origin), ".");

	if (needed_pool(e, name, sizeof(name), runpath, sizeof(runpath)))
		found = search_dirs(runpath, origin, name, out, size) ||
			search_dirs(getenv("LD_LIBRARY_PATH"), origin, name, out, size) ||
			search_dirs(system_dirs, origin, name, out, size);
	elf_end(e);
	close(fd);
	return found;
}

/* A running process: the pool library is whatever file of that name it has mapped. */
int tracer_mapped_pool_library(pid_t pid, char *out, size_t size)
{
	char path[64], *text = NULL, *line, *save = NULL;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (amz_read_file(path, &text, NULL) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *file = strchr(line, '/');
		char *base = file ? strrchr(file, '/') + 1 : NULL;

		if (base && strncmp(base, POOL_LIBRARY, 14) == 0) {
			snprintf(out, size, "%s", file);
			found = 1;
		}
	}
	free(text);
	return found;
}
