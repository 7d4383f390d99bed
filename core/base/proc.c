/* proc.c -- child processes (see proc.h). */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

static int is_exe(const char *path)
{
    struct stat st;
    return access(path, X_OK) == 0 && stat(path, &st) == 0 &&
           S_ISREG(st.st_mode);
}

int qvr_proc_which(const char *name, char *out, size_t len)
{
    if (strchr(name, '/')) {
        snprintf(out, len, "%s", name);
        return is_exe(out) ? 0 : -1;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t l = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, len, "%.*s/%s", (int)(l ? l : 1), l ? path : ".", name);
        if (is_exe(out))
            return 0;
        path += l + (colon ? 1 : 0);
    }
    return -1;
}

int qvr_proc_find_gnuplot(char *out, size_t len)
{
    const char *name = getenv("QVR_GNUPLOT");
    return qvr_proc_which(name && *name ? name : "gnuplot", out, len);
}

/* In the child: fd (or /dev/null, or nothing) becomes target. */
static void child_stream(int fd, int null, int target)
{
    if (fd == QVR_PROC_NULL) {
        if (null >= 0)
            dup2(null, target);
    } else if (fd >= 0) {
        dup2(fd, target);
    }
}

pid_t qvr_proc_spawn(const char *path, char *const argv[], char *const envp[],
                     int out_fd, int err_fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* async-signal-safe calls only, until exec */
        int null = open("/dev/null", O_RDWR);
        if (null >= 0)
            dup2(null, 0);
        child_stream(out_fd, null, 1);
        child_stream(err_fd, null, 2);
        execve(path, argv, envp);
        _exit(127);
    }
    return pid;
}

int qvr_proc_reap(pid_t pid, uint64_t deadline_ns, int *status, int *timed_out)
{
    pid_t r;
    while ((r = waitpid(pid, status, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return -1;
    if (r > 0)
        return 1;
    if (!deadline_ns || qvr_clock_ns() < deadline_ns)
        return 0;
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (timed_out)
        *timed_out = 1;
    return 1;
}

int qvr_proc_wait(pid_t pid, uint64_t deadline_ns, int *status, int *timed_out)
{
    if (!deadline_ns) {
        while (waitpid(pid, status, 0) < 0)
            if (errno != EINTR)
                return -1;
        return 1;
    }
    for (;;) {
        int r = qvr_proc_reap(pid, deadline_ns, status, timed_out);
        if (r != 0)
            return r;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
