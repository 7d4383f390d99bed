/* file.c -- reading files and finding data files (see file.h). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qvr.h"

int qvr_file_is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int qvr_file_open_regular(const char *path, FILE **out, char *err,
                          unsigned long errlen)
{
    struct stat st;
    FILE *f = NULL;
    /* O_NONBLOCK: a FIFO without a writer would hang open(); the flag is
     * cleared once the file is known to be regular. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    int e = fd < 0 ? errno : 0;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0)
        f = fdopen(fd, "rb");
    if (!f) {
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "cannot read %s: %s", path,
                 e ? strerror(e) : "not a regular file");
        return e == ENOENT ? QVR_ENOTFOUND : QVR_EIO;
    }
    *out = f;
    return 0;
}

int qvr_file_slurp(const char *dir, const char *name, char **out, size_t *len,
                   char *err, unsigned long errlen)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    *out = NULL;
    FILE *f = NULL;
    int orc = qvr_file_open_regular(path, &f, err, errlen);
    if (orc < 0)
        return orc;
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (qvr_buf_append(&b, chunk, n) < 0) {
            rc = QVR_ENOMEM;
            break;
        }
    if (ferror(f) && rc == 0)
        rc = QVR_EIO;
    fclose(f);
    if (rc == 0 && !b.data && !(b.data = calloc(1, 1)))
        rc = QVR_ENOMEM;
    if (rc < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, qvr_strerror(rc));
        qvr_buf_free(&b);
        return rc;
    }
    *out = b.data;
    *len = b.len;
    return 0;
}

int qvr_file_read_buf(const char *path, struct qvr_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        qvr_buf_append(out, chunk, n);
    int bad = ferror(f);
    fclose(f);
    return bad || out->truncated ? -1 : 0;
}

int qvr_file_data_file(const char *rel, char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = n > 0 ? (exe[n] = 0, strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = 0;
        snprintf(out, len, "%s/../%s", exe, rel);
        if (qvr_file_is_regular(out))
            return 0;
    }
#ifdef QVR_SOURCE_DIR
    snprintf(out, len, "%s/%s", QVR_SOURCE_DIR, rel);
    if (qvr_file_is_regular(out))
        return 0;
#endif
    return -1;
}
