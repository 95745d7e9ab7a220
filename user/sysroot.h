/* Reading the files host detection needs through a root prefix, so that a tree captured on
 * another machine (amzprof host --sysroot DIR) replays exactly as the live system would. */
#ifndef AMZ_SYSROOT_H
#define AMZ_SYSROOT_H

#include <stdbool.h>

/* The path of PATH under ROOT ("" or NULL: the live system), which the caller frees; NULL when
 * out of memory. PATH is absolute, as on the analysed host. */
char *sysroot_path(const char *root, const char *path);

/* Reads PATH under ROOT whole (any length) into a NUL-terminated buffer the caller frees.
 * Returns 0, or -errno (-EISDIR for a directory, -EINVAL for a file with a NUL byte). */
int sysroot_read(const char *root, const char *path, char **out);

/* Reads DIR/NAME under ROOT, as sysroot_read. */
int sysroot_read_in(const char *root, const char *dir, const char *name, char **out);

/* Whether PATH under ROOT is a directory. */
bool sysroot_is_dir(const char *root, const char *path);

/* Removes trailing white space in place and returns s. */
char *sysroot_trim(char *s);

#endif
