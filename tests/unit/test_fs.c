/* test_fs.c -- mkdir -p, the atomic write, reading regular files only, and
 * the data files beside the binary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "qvr.h"
#include "t.h"

static char root[256];

static void test_mkdir_write_slurp(void)
{
    char dir[512], err[512];
    snprintf(dir, sizeof(dir), "%s/a/b/c", root);
    T_EQ_INT(qvr_fs_mkdir_p(dir), 0);
    T_EQ_INT(qvr_fs_mkdir_p(dir), 0); /* already there */
    T_EQ_INT(qvr_fs_is_file(dir), 0);

    const char text[] = "line one\nline two\n";
    T_EQ_INT(qvr_fs_write(dir, "x.txt", text, strlen(text), err, sizeof(err)),
             0);
    char *got = NULL;
    size_t len = 0;
    T_EQ_INT(qvr_fs_slurp(dir, "x.txt", &got, &len, err, sizeof(err)), 0);
    T_EQ_INT(len, strlen(text));
    T_EQ_STR(got ? got : "(null)", text);
    free(got);
    /* rewritten whole, no temp file left behind */
    T_EQ_INT(qvr_fs_write(dir, "x.txt", "z", 1, err, sizeof(err)), 0);
    T_EQ_INT(qvr_fs_slurp(dir, "x.txt", &got, &len, err, sizeof(err)), 0);
    T_EQ_STR(got ? got : "(null)", "z");
    free(got);
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s/.x.txt.%ld.tmp", dir, (long)getpid());
    T_CHECK(access(tmp, F_OK) != 0);

    /* an empty file reads as "" */
    T_EQ_INT(qvr_fs_write(dir, "empty", "", 0, err, sizeof(err)), 0);
    got = NULL;
    T_EQ_INT(qvr_fs_slurp(dir, "empty", &got, &len, err, sizeof(err)), 0);
    T_CHECK(got != NULL && len == 0 && got[0] == 0);
    free(got);

    /* missing: ENOTFOUND, naming the file */
    T_EQ_INT(qvr_fs_slurp(dir, "nope", &got, &len, err, sizeof(err)),
             QVR_ENOTFOUND);
    T_CHECK(strstr(err, "/a/b/c/nope") != NULL);
    T_CHECK(got == NULL);

    /* a write into a missing directory: EIO, naming the file */
    snprintf(tmp, sizeof(tmp), "%s/missing", root);
    T_EQ_INT(qvr_fs_write(tmp, "y", "1", 1, err, sizeof(err)), QVR_EIO);
    T_CHECK(strstr(err, "missing/y") != NULL);

    /* mkdir -p through a file fails */
    snprintf(tmp, sizeof(tmp), "%s/x.txt/sub", dir);
    T_EQ_INT(qvr_fs_mkdir_p(tmp), QVR_EIO);
}

static void test_regular_only(void)
{
    /* A FIFO with no writer would block a plain open and read forever. */
    char fifo[512], err[512];
    snprintf(fifo, sizeof(fifo), "%s/fifo", root);
    T_EQ_INT(mkfifo(fifo, 0600), 0);
    char *got = NULL;
    size_t len = 0;
    T_EQ_INT(qvr_fs_slurp(root, "fifo", &got, &len, err, sizeof(err)), QVR_EIO);
    T_CHECK(strstr(err, "not a regular file") != NULL);
    FILE *f = NULL;
    T_EQ_INT(qvr_fs_open_regular(root, &f, err, sizeof(err)), QVR_EIO);
    T_CHECK(f == NULL);
    T_EQ_INT(qvr_fs_is_file(fifo), 0);
}

static void test_read_buf(void)
{
    char err[256], path[512];
    T_EQ_INT(qvr_fs_write(root, "ten", "0123456789", 10, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/ten", root);
    T_EQ_INT(qvr_fs_is_file(path), 1);
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    T_EQ_INT(qvr_fs_read_buf(path, &b), 0);
    T_EQ_INT(qvr_fs_read_buf(path, &b), 0); /* appends */
    T_EQ_INT(b.len, 20);
    qvr_buf_free(&b);
    qvr_buf_init(&b, 5); /* does not fit the cap */
    T_EQ_INT(qvr_fs_read_buf(path, &b), -1);
    qvr_buf_free(&b);
    snprintf(path, sizeof(path), "%s/none", root);
    qvr_buf_init(&b, 0);
    T_EQ_INT(qvr_fs_read_buf(path, &b), -1);
    qvr_buf_free(&b);
}

static void test_data_file(void)
{
    /* The test binary sits in the build directory: build/../plots. */
    char out[4200];
    T_EQ_INT(qvr_fs_data_file("plots/latency.gp", out, sizeof(out)), 0);
    T_CHECK(qvr_fs_is_file(out));
    T_CHECK(strstr(out, "plots/latency.gp") != NULL);
    T_EQ_INT(qvr_fs_data_file("plots/no-such-template.gp", out, sizeof(out)),
             -1);
}

int main(void)
{
    snprintf(root, sizeof(root), "/tmp/qvr-test-fs-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_mkdir_write_slurp();
    test_regular_only();
    test_read_buf();
    test_data_file();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", root);
    return T_DONE();
}
