/* test_fs.c -- output paths by kind, safe folder names, the result
 * directory's lock. Everything in a temp folder of its own (a FIFO, links,
 * files); no /dev node is opened. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "qvr.h"
#include "t.h"

static char dir[256];

static const char *at(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}

static void put(const char *name, const char *text)
{
    FILE *f = fopen(at(name), "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int has(const char *name, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(at(name), "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return strcmp(buf, text) == 0;
}

static void test_safe_name(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"rerank", "rerank"},
        {"api/v1", "api_v1"},
        {"../../etc", "______etc"},
        {"a..b", "a__b"},
        {"v1.2", "v1.2"},
        {".hidden", "_hidden"},
        {"tab\there\nnl\r\"q'", "tab_here_nl__q_"},
        {"na\xc3\xafve \xe5\x90\x8d", "na\xc3\xafve_\xe5\x90\x8d"},
        {"bad\xff\xc3", "bad__"},
        {"", "run"},
        {"///", "___"},
    };
    char out[128];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        qvr_fs_safe_name(cases[i].in, out, sizeof(out));
        T_EQ_STR(out, cases[i].want);
    }
    /* capped at 100 bytes, never inside a UTF-8 character */
    char longname[400] = "";
    for (int i = 0; i < 60; i++)
        strcat(longname, "\xc3\xa9"); /* 2 bytes each */
    qvr_fs_safe_name(longname, out, sizeof(out));
    T_EQ_INT(strlen(out), 100);
    qvr_fs_safe_name("abcdefgh", out, 4);
    T_EQ_STR(out, "abc");
    qvr_fs_safe_name("x\xe5\x90\x8d", out, 4); /* the character does not fit */
    T_EQ_STR(out, "x");
}

static void test_std_fd(void)
{
    T_EQ_INT(qvr_fs_std_fd("/dev/stdout"), 1);
    T_EQ_INT(qvr_fs_std_fd("/dev/stderr"), 2);
    T_EQ_INT(qvr_fs_std_fd("/dev/fd/7"), 7);
    T_EQ_INT(qvr_fs_std_fd("/proc/self/fd/12"), 12);
    T_EQ_INT(qvr_fs_std_fd("/dev/fd/x"), -1);
    T_EQ_INT(qvr_fs_std_fd("/dev/fd/3x"), -1);
    T_EQ_INT(qvr_fs_std_fd("/dev/full"), -1);
    T_EQ_INT(qvr_fs_std_fd("out.xml"), -1);
}

static void test_write_kinds(void)
{
    char err[512];
    struct stat st;
    /* a new file and a regular file: replaced whole */
    T_EQ_INT(qvr_fs_write(at("new.xml"), "one", 3, err, sizeof(err)), 0);
    T_CHECK(has("new.xml", "one"));
    T_EQ_INT(qvr_fs_write(at("new.xml"), "two", 3, err, sizeof(err)), 0);
    T_CHECK(has("new.xml", "two"));
    /* a symlink: the file it names is written, the link stays */
    put("real.xml", "orig");
    T_EQ_INT(symlink("real.xml", at("link.xml")), 0);
    T_EQ_INT(qvr_fs_write(at("link.xml"), "via", 3, err, sizeof(err)), 0);
    T_CHECK(lstat(at("link.xml"), &st) == 0 && S_ISLNK(st.st_mode));
    T_CHECK(has("real.xml", "via"));
    /* a link to nothing: refused, nothing created */
    T_EQ_INT(symlink("gone.xml", at("dangling.xml")), 0);
    T_EQ_INT(qvr_fs_write(at("dangling.xml"), "x", 1, err, sizeof(err)),
             QVR_EIO);
    T_CHECK(strstr(err, "a symbolic link to a missing file") != NULL);
    T_CHECK(lstat(at("gone.xml"), &st) < 0);
    /* a folder: refused */
    T_EQ_INT(mkdir(at("sub"), 0755), 0);
    T_EQ_INT(qvr_fs_write(at("sub"), "x", 1, err, sizeof(err)), QVR_EIO);
    T_CHECK(strstr(err, "a directory") != NULL);
    /* a FIFO nobody reads: an error at once, the FIFO stays */
    T_EQ_INT(mkfifo(at("f.xml"), 0644), 0);
    T_EQ_INT(qvr_fs_write(at("f.xml"), "x", 1, err, sizeof(err)), QVR_EIO);
    T_CHECK(strstr(err, "a FIFO that no process reads") != NULL);
    /* a FIFO with a reader: written through, the FIFO stays */
    pid_t pid = fork();
    if (pid == 0) {
        char buf[64];
        int fd = open(at("f.xml"), O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
        _exit(n == 7 && memcmp(buf, "through", 7) == 0 ? 0 : 1);
    }
    int rc = -1;
    for (int i = 0; i < 200 && rc != 0; i++) {
        rc = qvr_fs_write(at("f.xml"), "through", 7, err, sizeof(err));
        if (rc != 0)
            usleep(10000); /* until the reader has opened it */
    }
    T_EQ_INT(rc, 0);
    int status = -1;
    waitpid(pid, &status, 0);
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    T_CHECK(lstat(at("f.xml"), &st) == 0 && S_ISFIFO(st.st_mode));
    /* no temporary file left anywhere */
    T_CHECK(lstat(at(".new.xml.tmp"), &st) < 0);
}

static void test_check_and_same(void)
{
    char why[512];
    T_EQ_INT(qvr_fs_check(at("fresh.xml"), why, sizeof(why)), 0);
    T_EQ_INT(qvr_fs_check(at("real.xml"), why, sizeof(why)), 0);
    T_EQ_INT(qvr_fs_check(at("link.xml"), why, sizeof(why)), 0);
    T_EQ_INT(qvr_fs_check(at("f.xml"), why, sizeof(why)), 0);
    T_EQ_INT(qvr_fs_check(at("nodir/x.xml"), why, sizeof(why)), QVR_EINVAL);
    T_CHECK(strstr(why, "no such folder") != NULL);
    T_EQ_INT(qvr_fs_check(at("real.xml/x"), why, sizeof(why)), QVR_EINVAL);
    T_EQ_INT(qvr_fs_check(at("sub"), why, sizeof(why)), QVR_EINVAL);
    T_EQ_INT(qvr_fs_check(at("sub/"), why, sizeof(why)), QVR_EINVAL);
    T_EQ_INT(qvr_fs_check(at("dangling.xml"), why, sizeof(why)), QVR_EINVAL);
    T_EQ_INT(qvr_fs_check("/dev/fd/999", why, sizeof(why)), QVR_EINVAL);
    /* checked only, never created: new files in kernel folders */
    T_EQ_INT(qvr_fs_check("/dev/qvr-never_stats.csv", why, sizeof(why)),
             QVR_EINVAL);
    T_CHECK(strstr(why, "'/dev' is a system folder") != NULL);
    T_EQ_INT(qvr_fs_check("/proc/qvr-never.xml", why, sizeof(why)), QVR_EINVAL);

    T_EQ_INT(qvr_fs_same(at("link.xml"), at("real.xml")), 1);
    T_EQ_INT(qvr_fs_same(at("sub/../real.xml"), at("real.xml")), 1);
    T_EQ_INT(qvr_fs_same(at("sub/../later.json"), at("later.json")), 1);
    T_EQ_INT(qvr_fs_same(at("later.json"), at("other.json")), 0);
    T_EQ_INT(qvr_fs_same(at("real.xml"), at("new.xml")), 0);
    T_EQ_INT(qvr_fs_same(at("real.xml"), at("missing.xml")), 0);
}

static void test_lock(void)
{
    char err[512];
    int fd = qvr_fs_lock_dir(dir, err, sizeof(err));
    T_CHECK(fd >= 0);
    /* another process is refused while the lock is held */
    pid_t pid = fork();
    if (pid == 0) {
        char e[512];
        int k = qvr_fs_lock_dir(dir, e, sizeof(e));
        _exit(k == QVR_ESTATE && strstr(e, "is in use by another qvrrun") ? 0
                                                                          : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);
    fd = qvr_fs_lock_dir(dir, err, sizeof(err)); /* free again */
    T_CHECK(fd >= 0);
    close(fd);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "%s/qvr-fs.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_safe_name();
    test_std_fd();
    test_write_kinds();
    test_check_and_same();
    test_lock();
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return T_DONE();
}
