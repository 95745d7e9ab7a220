/* Whole-file reads through a root prefix: the live system when the prefix is empty. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sysroot.h"
#include "util.h"

char *sysroot_path(const char *root, const char *path)
{
	char *p = NULL;

	if (asprintf(&p, "%s%s", root ? root : "", path) < 0)
		return NULL;
	return p;
}

int sysroot_read(const char *root, const char *path, char **out)
{
	char *full = sysroot_path(root, path);
	struct stat st;
	size_t len = 0;
	int r;

	if (!full)
		return -ENOMEM;

	/* read() on a directory fails late and differently per filesystem; say it plainly. */
	if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
		free(full);
		return -EISDIR;
	}
	r = amz_read_file(full, out, &len);
	free(full);
	if (r < 0)
		return r;

	/* Text files only: a NUL inside means the file is not what its name says. */
	if (strlen(*out) != len) {
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

int sysroot_read_in(const char *root, const char *dir, const char *name, char **out)
{
	char *path = NULL;
	int r;

	if (asprintf(&path, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name) <
	    0)
		return -ENOMEM;
	r = sysroot_read(root, path, out);
	free(path);
	return r;
}

bool sysroot_is_dir(const char *root, const char *path)
{
	char *full = sysroot_path(root, path);
	struct stat st;
	bool dir;

	if (!full)
		return false;
	dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
	free(full);
	return dir;
}

char *sysroot_trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}
