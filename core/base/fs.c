/* fs.c -- output paths by kind, safe folder names, the result directory's
 * lock (see fs.h). */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qvr.h"

int qvr_fs_std_fd(const char *path)
{
    if (strcmp(path, "/dev/stdout") == 0)
        return 1;
    if (strcmp(path, "/dev/stderr") == 0)
        return 2;
    const char *n = NULL;
    if (strncmp(path, "/dev/fd/", 8) == 0)
        n = path + 8;
    else if (strncmp(path, "/proc/self/fd/", 14) == 0)
        n = path + 14;
    if (!n || *n < '0' || *n > '9')
        return -1;
    char *end;
    long fd = strtol(n, &end, 10);
    return *end || fd > INT_MAX ? -1 : (int)fd;
}

/* The folder part of path into dir ("." for a bare name). */
static void folder_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* A folder of the kernel's (/dev itself, /proc, /sys): never a place to
 * create or replace a file, even as root. */
static int system_folder(const char *dir)
{
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return 0;
    if (strcmp(real, "/dev") == 0)
        return 1;
    for (int i = 0; i < 2; i++) {
        const char *top = i ? "/sys" : "/proc";
        size_t n = strlen(top);
        if (strncmp(real, top, n) == 0 && (!real[n] || real[n] == '/'))
            return 1;
    }
    return 0;
}

static int fd_writable(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 &&
           ((fl & O_ACCMODE) == O_WRONLY || (fl & O_ACCMODE) == O_RDWR);
}

int qvr_fs_check(const char *path, char *why, size_t whylen)
{
    char dir[PATH_MAX];
    struct stat st, dst;
    why[0] = 0;
    if (!*path || path[strlen(path) - 1] == '/') {
        snprintf(why, whylen, "not a file name");
        return QVR_EINVAL;
    }
    int fd = qvr_fs_std_fd(path);
    if (fd >= 0) {
        if (fd_writable(fd))
            return 0;
        snprintf(why, whylen, "descriptor %d is not open for writing", fd);
        return QVR_EINVAL;
    }
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
        snprintf(why, whylen, "a symbolic link to a missing file");
        return QVR_EINVAL;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(why, whylen, "a directory");
            return QVR_EINVAL;
        }
        if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
            if (access(path, W_OK) == 0)
                return 0;
            snprintf(why, whylen, "%s", strerror(errno));
            return QVR_EINVAL;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(why, whylen,
                     "not a regular file, FIFO or character device");
            return QVR_EINVAL;
        }
        char real[PATH_MAX];
        if (realpath(path, real))
            folder_of(real, dir, sizeof(dir));
        else
            folder_of(path, dir, sizeof(dir));
    } else if (errno == ENOENT) {
        folder_of(path, dir, sizeof(dir));
    } else {
        snprintf(why, whylen, "%s", strerror(errno));
        return QVR_EINVAL;
    }
    /* A regular file or a new one: written in its folder, then renamed. */
    if (stat(dir, &dst) < 0 || !S_ISDIR(dst.st_mode)) {
        snprintf(why, whylen, "no such folder '%.400s'", dir);
        return QVR_EINVAL;
    }
    if (system_folder(dir)) {
        snprintf(why, whylen,
                 "'%.400s' is a system folder: give a path elsewhere", dir);
        return QVR_EINVAL;
    }
    if (access(dir, W_OK | X_OK) < 0) {
        snprintf(why, whylen, "folder '%.400s': %s", dir, strerror(errno));
        return QVR_EINVAL;
    }
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

/* A regular file (or a new name): a temporary file in its folder, synced,
 * renamed over it. */
static int write_replace(const char *path, const char *data, size_t len)
{
    char dir[PATH_MAX], tmp[PATH_MAX + 64];
    folder_of(path, dir, sizeof(dir));
    if (system_folder(dir)) {
        errno = EPERM;
        return -1;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, base, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int keep = 0;
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        keep = errno;
        close(fd);
    } else if (close(fd) < 0 || rename(tmp, path) < 0) {
        keep = errno;
    }
    if (!keep)
        return 0;
    unlink(tmp);
    errno = keep;
    return -1;
}

/* A FIFO or a character device: written in place. Opened without
 * blocking, so a FIFO nobody reads fails at once (ENXIO). */
static int write_through(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    int rc = write_all(fd, data, len);
    int keep = errno;
    if (close(fd) < 0 && rc == 0) {
        keep = errno;
        rc = -1;
    }
    errno = keep;
    return rc;
}

int qvr_fs_write(const char *path, const char *data, size_t len, char *err,
                 size_t errlen)
{
    struct stat st;
    const char *why = NULL;
    char real[PATH_MAX];
    int fd = qvr_fs_std_fd(path);
    if (fd >= 0) {
        if (fd == 1)
            fflush(stdout);
        else if (fd == 2)
            fflush(stderr);
        if (write_all(fd, data, len) == 0)
            return 0;
        goto fail;
    }
    if (lstat(path, &st) < 0) {
        if (errno != ENOENT)
            goto fail;
        if (write_replace(path, data, len) == 0)
            return 0;
        goto fail;
    }
    if (S_ISLNK(st.st_mode)) {
        if (stat(path, &st) < 0) {
            why = "a symbolic link to a missing file";
            goto fail;
        }
        if (S_ISREG(st.st_mode)) {
            /* the file the link names is replaced; the link stays */
            if (!realpath(path, real))
                goto fail;
            if (write_replace(real, data, len) == 0)
                return 0;
            goto fail;
        }
    }
    if (S_ISREG(st.st_mode)) {
        if (write_replace(path, data, len) == 0)
            return 0;
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        if (write_through(path, data, len) == 0)
            return 0;
        if (errno == ENXIO && S_ISFIFO(st.st_mode))
            why = "a FIFO that no process reads";
    } else if (S_ISDIR(st.st_mode)) {
        why = "a directory";
    } else {
        why = "not a regular file, FIFO or character device";
    }
fail:
    snprintf(err, errlen, "cannot write %s: %s", path,
             why ? why : strerror(errno));
    return QVR_EIO;
}

int qvr_fs_same(const char *a, const char *b)
{
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb)
        return 0;
    char da[PATH_MAX], db[PATH_MAX], ra[PATH_MAX], rb[PATH_MAX];
    folder_of(a, da, sizeof(da));
    folder_of(b, db, sizeof(db));
    const char *ba = strrchr(a, '/'), *bb = strrchr(b, '/');
    ba = ba ? ba + 1 : a;
    bb = bb ? bb + 1 : b;
    if (strcmp(ba, bb) != 0 || !realpath(da, ra) || !realpath(db, rb))
        return 0;
    return strcmp(ra, rb) == 0;
}

/* Bytes of the UTF-8 sequence that starts with c (1 for ASCII and for a
 * byte that cannot start one). */
static size_t utf8_len(unsigned char c)
{
    if (c >= 0xf0 && c < 0xf8)
        return 4;
    if (c >= 0xe0)
        return c < 0xf0 ? 3 : 1;
    if (c >= 0xc2)
        return 2;
    return 1;
}

void qvr_fs_safe_name(const char *name, char *out, size_t len)
{
    static const char bad[] = "/\\\"'`$*?<>|:;&!#%{}[]() ";
    size_t o = 0, cap = len < 101 ? len : 101;
    if (!cap)
        return;
    for (size_t i = 0; name[i] && o + 1 < cap;) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x80) {
            size_t n = utf8_len(c), k = 1;
            while (k < n && ((unsigned char)name[i + k] & 0xc0) == 0x80)
                k++;
            if (n == 1 || k < n) { /* not UTF-8: one '_' per byte */
                out[o++] = '_';
                i++;
                continue;
            }
            if (o + n >= cap)
                break;
            memcpy(out + o, name + i, n);
            o += n;
            i += n;
            continue;
        }
        int dot = c == '.' && (o == 0 || name[i + 1] == '.' ||
                               (i > 0 && name[i - 1] == '.'));
        out[o++] =
            c < 0x20 || c == 0x7f || strchr(bad, c) || dot ? '_' : (char)c;
        i++;
    }
    out[o] = 0;
    if (!o)
        snprintf(out, cap, "run");
}

int qvr_fs_lock_dir(const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/.qvrrun.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot lock '%s': %s", dir, strerror(errno));
        return QVR_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        close(fd);
        if (e == EWOULDBLOCK) {
            snprintf(err, errlen, "'%s' is in use by another qvrrun (pid %s)",
                     dir, *pid ? pid : "?");
            return QVR_ESTATE;
        }
        snprintf(err, errlen, "cannot lock '%s': %s", dir, strerror(e));
        return QVR_EIO;
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0) {
        /* the pid is a courtesy for the message above; the lock holds */
    }
    return fd;
}
