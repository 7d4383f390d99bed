/* test_proc.c -- finding executables, starting children with their streams
 * redirected, and reaping them with a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"
#include "t.h"

extern char **environ;

static char root[256];

static void put(const char *name, const char *text, mode_t mode)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, name);
    FILE *f = fopen(p, "w");
    T_CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
}

static void test_which(void)
{
    char want[512], got[512], path[1200];
    mkdir(strcat(strcpy(want, root), "/a"), 0755);
    mkdir(strcat(strcpy(want, root), "/b"), 0755);
    mkdir(strcat(strcpy(want, root), "/c"), 0755);
    mkdir(strcat(strcpy(want, root), "/c/tool"), 0755); /* a directory */
    put("a/tool", "#!/bin/sh\n", 0644);                 /* not executable */
    put("b/tool", "#!/bin/sh\nexit 0\n", 0755);
    snprintf(path, sizeof(path), "%s/c:%s/a:%s/b", root, root, root);
    setenv("PATH", path, 1);
    T_EQ_INT(qvr_proc_which("tool", got, sizeof(got)), 0);
    snprintf(want, sizeof(want), "%s/b/tool", root);
    T_EQ_STR(got, want);
    T_EQ_INT(qvr_proc_which("no-such-tool", got, sizeof(got)), -1);
    /* a name with a slash is itself, when executable */
    T_EQ_INT(qvr_proc_which(want, got, sizeof(got)), 0);
    T_EQ_STR(got, want);
    snprintf(want, sizeof(want), "%s/a/tool", root);
    T_EQ_INT(qvr_proc_which(want, got, sizeof(got)), -1);
    /* an empty PATH entry is the current directory */
    char cwd[512];
    T_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    snprintf(want, sizeof(want), "%s/b", root);
    T_EQ_INT(chdir(want), 0);
    setenv("PATH", ":/nonexistent", 1);
    T_EQ_INT(qvr_proc_which("tool", got, sizeof(got)), 0);
    T_EQ_STR(got, "./tool");
    T_EQ_INT(chdir(cwd), 0);
    /* gnuplot: $QVR_GNUPLOT wins over PATH */
    snprintf(want, sizeof(want), "%s/b/tool", root);
    setenv("QVR_GNUPLOT", want, 1);
    T_EQ_INT(qvr_proc_find_gnuplot(got, sizeof(got)), 0);
    T_EQ_STR(got, want);
    setenv("QVR_GNUPLOT", "tool", 1);
    snprintf(path, sizeof(path), "%s/b", root);
    setenv("PATH", path, 1);
    T_EQ_INT(qvr_proc_find_gnuplot(got, sizeof(got)), 0);
    T_EQ_STR(got, want);
    unsetenv("QVR_GNUPLOT");
    setenv("PATH", "/usr/bin:/bin", 1);
}

/* Runs sh -c script with stdout to out_fd and stderr to err_fd; returns
 * what came through the pipe (one of them) and the exit status. */
static int run_sh(const char *script, int pipe_out, char *got, size_t len)
{
    int p[2];
    T_EQ_INT(pipe2(p, O_CLOEXEC), 0);
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)script, NULL};
    pid_t pid = qvr_proc_spawn("/bin/sh", argv, environ,
                               pipe_out ? p[1] : QVR_PROC_NULL,
                               pipe_out ? QVR_PROC_NULL : p[1]);
    close(p[1]);
    T_CHECK(pid > 0);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(p[0], got + n, len - 1 - n)) > 0)
        n += (size_t)r;
    got[n] = 0;
    close(p[0]);
    int st = -1;
    T_EQ_INT(qvr_proc_wait(pid, 0, &st, NULL), 1);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_spawn(void)
{
    char got[256];
    /* stdout to the pipe, stderr to /dev/null, stdin empty */
    T_EQ_INT(run_sh("read x; echo out:$x:; echo err >&2; exit 3", 1, got,
                    sizeof(got)),
             3);
    T_EQ_STR(got, "out::\n");
    /* stderr to the pipe, stdout to /dev/null */
    T_EQ_INT(run_sh("echo out; echo err >&2", 0, got, sizeof(got)), 0);
    T_EQ_STR(got, "err\n");
    /* exec failure: 127 from the child */
    char *argv[] = {(char *)"x", NULL};
    pid_t pid = qvr_proc_spawn("/nonexistent/x", argv, environ, QVR_PROC_NULL,
                               QVR_PROC_NULL);
    int st = 0;
    T_EQ_INT(qvr_proc_wait(pid, 0, &st, NULL), 1);
    T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127);
}

static void test_reap(void)
{
    char *argv[] = {(char *)"sh", (char *)"-c", (char *)"exec sleep 10", NULL};
    pid_t pid =
        qvr_proc_spawn("/bin/sh", argv, environ, QVR_PROC_NULL, QVR_PROC_NULL);
    int st = 0, late = 0;
    uint64_t t0 = qvr_clock_ns();
    /* running, deadline ahead: not reaped */
    T_EQ_INT(qvr_proc_reap(pid, t0 + 60 * QVR_NS_PER_S, &st, &late), 0);
    T_EQ_INT(late, 0);
    /* past the deadline: killed and reaped at once */
    T_EQ_INT(qvr_proc_reap(pid, t0, &st, &late), 1);
    T_EQ_INT(late, 1);
    T_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    T_CHECK(qvr_clock_ns() - t0 < 5 * QVR_NS_PER_S);
    /* no such child */
    T_EQ_INT(qvr_proc_reap(pid, 0, &st, NULL), -1);
    /* qvr_proc_wait with a deadline 200 ms away kills after ~200 ms */
    pid =
        qvr_proc_spawn("/bin/sh", argv, environ, QVR_PROC_NULL, QVR_PROC_NULL);
    late = 0;
    t0 = qvr_clock_ns();
    T_EQ_INT(qvr_proc_wait(pid, t0 + 200 * QVR_NS_PER_MS, &st, &late), 1);
    uint64_t took = qvr_clock_ns() - t0;
    T_EQ_INT(late, 1);
    T_CHECK_MSG(took >= 200 * QVR_NS_PER_MS && took < 5 * QVR_NS_PER_S,
                "took %.3f s", (double)took / 1e9);
    /* a child that ends in time is not marked late */
    char *quick[] = {(char *)"sh", (char *)"-c", (char *)"exit 4", NULL};
    pid =
        qvr_proc_spawn("/bin/sh", quick, environ, QVR_PROC_NULL, QVR_PROC_NULL);
    late = 0;
    T_EQ_INT(qvr_proc_wait(pid, qvr_clock_ns() + 10 * QVR_NS_PER_S, &st, &late),
             1);
    T_EQ_INT(late, 0);
    T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 4);
}

int main(void)
{
    snprintf(root, sizeof(root), "/tmp/qvr-test-proc-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_which();
    test_spawn();
    test_reap();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", root);
    return T_DONE();
}
