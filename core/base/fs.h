/* fs.h -- the files a user names on the command line (--junit, --csv,
 * --out) and the result directory itself.
 *
 * A path is never trusted to be a regular file. Only a regular file (or a
 * name that does not exist yet) is written through a temporary file and a
 * rename, so a reader never sees half of it. A FIFO or a character device
 * is written through, in place; /dev/stdout, /dev/stderr, /dev/fd/N and
 * /proc/self/fd/N are the process's own descriptors, written directly. A
 * symbolic link is followed (the file it names is written, the link
 * stays); a link to nothing is refused. Anything else (a directory, a
 * socket, a block device) is refused, and so is a file to create or
 * replace in /dev itself, /proc or /sys. */
#ifndef QVR_FS_H
#define QVR_FS_H

#include <stddef.h>

/* The descriptor a path names when it is one of the process's own:
 * "/dev/stdout" 1, "/dev/stderr" 2, "/dev/fd/N" and "/proc/self/fd/N" N;
 * -1 for any other path. */
int qvr_fs_std_fd(const char *path);

/* Before a run: whether path can be written as described above (its
 * folder exists and is writable; an existing path is of a kind written
 * through or replaced; a descriptor is open for writing). Returns 0, or
 * QVR_EINVAL with a reason ("no such folder 'x'", "a directory", ...) in
 * why, without the path. Never opens a FIFO. */
int qvr_fs_check(const char *path, char *why, size_t whylen);

/* Writes len bytes of data to path, by its kind (see above). A FIFO
 * nobody reads is an error, not a wait. Returns 0, or QVR_EIO with
 * "cannot write PATH: reason" in err; no temporary file is left. */
int qvr_fs_write(const char *path, const char *data, size_t len, char *err,
                 size_t errlen);

/* 1 when a and b name the same file: the same inode when both exist,
 * else the same name in the same (resolved) folder; 0 otherwise. */
int qvr_fs_same(const char *a, const char *b);

/* A scenario name made safe as one folder name: '/', '\\', control
 * characters, quotes, spaces and the characters shells and Windows treat
 * specially become '_', as does every '.' of a ".." and a leading '.';
 * non-ASCII UTF-8 is kept whole (never cut inside a character) up to len-1
 * bytes (at most 100). An empty result is "run". */
void qvr_fs_safe_name(const char *name, char *out, size_t len);

/* Takes the lock of result directory dir: an exclusive flock on
 * dir/.qvrrun.lock, holding this process's pid. Returns the lock's
 * descriptor (the lock lasts until it is closed, or the process ends), or
 * QVR_ESTATE when another process holds it (err names that pid), or
 * QVR_EIO with err set. */
int qvr_fs_lock_dir(const char *dir, char *err, size_t errlen);

#endif
