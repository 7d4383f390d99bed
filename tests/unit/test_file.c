/* test_file.c -- reading regular files only (whole, or into a buffer),
 * and the data files beside the binary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "qvr.h"
#include "t.h"

static char root[256];

/* Writes text to dir/name (test set-up). */
static int put(const char *dir, const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void test_slurp(void)
{
    char dir[512], err[512];
    snprintf(dir, sizeof(dir), "%s/a", root);
    T_EQ_INT(mkdir(dir, 0755), 0);
    T_EQ_INT(qvr_file_is_regular(dir), 0);

    const char text[] = "line one\nline two\n";
    T_EQ_INT(put(dir, "x.txt", text), 0);
    char *got = NULL;
    size_t len = 0;
    T_EQ_INT(qvr_file_slurp(dir, "x.txt", &got, &len, err, sizeof(err)), 0);
    T_EQ_INT(len, strlen(text));
    T_EQ_STR(got ? got : "(null)", text);
    free(got);

    /* an empty file reads as "" */
    T_EQ_INT(put(dir, "empty", ""), 0);
    got = NULL;
    T_EQ_INT(qvr_file_slurp(dir, "empty", &got, &len, err, sizeof(err)), 0);
    T_CHECK(got != NULL && len == 0 && got[0] == 0);
    free(got);

    /* missing: ENOTFOUND, naming the file */
    T_EQ_INT(qvr_file_slurp(dir, "nope", &got, &len, err, sizeof(err)),
             QVR_ENOTFOUND);
    T_CHECK(strstr(err, "/a/nope") != NULL);
    T_CHECK(got == NULL);
}

static void test_regular_only(void)
{
    /* A FIFO with no writer would block a plain open and read forever. */
    char fifo[512], err[512];
    snprintf(fifo, sizeof(fifo), "%s/fifo", root);
    T_EQ_INT(mkfifo(fifo, 0600), 0);
    char *got = NULL;
    size_t len = 0;
    T_EQ_INT(qvr_file_slurp(root, "fifo", &got, &len, err, sizeof(err)),
             QVR_EIO);
    T_CHECK(strstr(err, "not a regular file") != NULL);
    FILE *f = NULL;
    T_EQ_INT(qvr_file_open_regular(root, &f, err, sizeof(err)), QVR_EIO);
    T_CHECK(f == NULL);
    T_EQ_INT(qvr_file_is_regular(fifo), 0);
}

static void test_read_buf(void)
{
    char path[512];
    T_EQ_INT(put(root, "ten", "0123456789"), 0);
    snprintf(path, sizeof(path), "%s/ten", root);
    T_EQ_INT(qvr_file_is_regular(path), 1);
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    T_EQ_INT(qvr_file_read_buf(path, &b), 0);
    T_EQ_INT(qvr_file_read_buf(path, &b), 0); /* appends */
    T_EQ_INT(b.len, 20);
    qvr_buf_free(&b);
    qvr_buf_init(&b, 5); /* does not fit the cap */
    T_EQ_INT(qvr_file_read_buf(path, &b), -1);
    qvr_buf_free(&b);
    snprintf(path, sizeof(path), "%s/none", root);
    qvr_buf_init(&b, 0);
    T_EQ_INT(qvr_file_read_buf(path, &b), -1);
    qvr_buf_free(&b);
}

static void test_data_file(void)
{
    /* The test binary sits in the build directory: build/../plots. */
    char out[4200];
    T_EQ_INT(qvr_file_data_file("plots/latency.gp", out, sizeof(out)), 0);
    T_CHECK(qvr_file_is_regular(out));
    T_CHECK(strstr(out, "plots/latency.gp") != NULL);
    T_EQ_INT(qvr_file_data_file("plots/no-such-template.gp", out, sizeof(out)),
             -1);
}

int main(void)
{
    snprintf(root, sizeof(root), "/tmp/qvr-test-fs-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_slurp();
    test_regular_only();
    test_read_buf();
    test_data_file();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", root);
    return T_DONE();
}
