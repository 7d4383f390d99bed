/* fs.h -- files and directories: mkdir -p, the atomic write every result
 * file goes through, reading a result file whole (regular files only), and
 * finding the data files that ship beside the binary (plots/, examples/). */
#ifndef QVR_FS_H
#define QVR_FS_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

/* 1 when path is a regular file (following links), else 0. */
int qvr_fs_is_file(const char *path);

/* mkdir -p: creates path and its missing parents (0755). Returns 0 or
 * QVR_EIO with errno set. */
int qvr_fs_mkdir_p(const char *path);

/* Writes data to dir/name atomically (temp file in dir, fsync, rename).
 * Returns 0 or QVR_EIO with err naming the file. */
int qvr_fs_write(const char *dir, const char *name, const char *data,
                 size_t len, char *err, unsigned long errlen);

/* Opens path for reading, only when it is a regular file: a device or FIFO
 * (a log pointed at /dev/full, say) would be read forever, and the open
 * itself does not block. Returns 0 with *out open, or QVR_ENOTFOUND /
 * QVR_EIO with a message naming path in err. */
int qvr_fs_open_regular(const char *path, FILE **out, char *err,
                        unsigned long errlen);

/* Reads dir/name (a regular file) whole into a NUL-terminated *out, its
 * length in *len; the caller frees *out. Returns 0, or QVR_ENOTFOUND,
 * QVR_EIO or QVR_ENOMEM with err naming the file. */
int qvr_fs_slurp(const char *dir, const char *name, char **out, size_t *len,
                 char *err, unsigned long errlen);

/* Appends the file at path to out (within out's cap). 0, or -1 when it
 * cannot be read or does not fit (errno set when it could not be read). */
int qvr_fs_read_buf(const char *path, struct qvr_buf *out);

/* A data file of the source tree (rel, e.g. "plots/latency.gp"), into out:
 * beside the executable (<its directory>/../rel, read from /proc/self/exe)
 * when it is there, else in the source tree qvrrun was built from. 0 when
 * the file exists, else -1. */
int qvr_fs_data_file(const char *rel, char *out, size_t len);

#endif
