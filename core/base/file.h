/* file.h -- reading a file whole (a result file: regular files only) and
 * finding the data files that ship beside the binary (plots/, examples/).
 * Writing result files (atomically) and mkdir -p stay with their writer,
 * results/report.c (qvr_report_write_file, qvr_report_mkdir_p). */
#ifndef QVR_FILE_H
#define QVR_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

/* 1 when path is a regular file (following links), else 0. */
int qvr_file_is_regular(const char *path);

/* Opens path for reading, only when it is a regular file: a device or FIFO
 * (a log pointed at /dev/full, say) would be read forever, and the open
 * itself does not block. Returns 0 with *out open, or QVR_ENOTFOUND /
 * QVR_EIO with a message naming path in err. */
int qvr_file_open_regular(const char *path, FILE **out, char *err,
                          unsigned long errlen);

/* Reads dir/name (a regular file) whole into a NUL-terminated *out, its
 * length in *len; the caller frees *out. Returns 0, or QVR_ENOTFOUND,
 * QVR_EIO or QVR_ENOMEM with err naming the file. */
int qvr_file_slurp(const char *dir, const char *name, char **out, size_t *len,
                   char *err, unsigned long errlen);

/* Appends the file at path to out (within out's cap). 0, or -1 when it
 * cannot be read or does not fit (errno set when it could not be read). */
int qvr_file_read_buf(const char *path, struct qvr_buf *out);

/* A data file of the source tree (rel, e.g. "plots/latency.gp"), into out:
 * beside the executable (<its directory>/../rel, read from /proc/self/exe)
 * when it is there, else in the source tree qvrrun was built from. 0 when
 * the file exists, else -1. */
int qvr_file_data_file(const char *rel, char *out, size_t len);

#endif
