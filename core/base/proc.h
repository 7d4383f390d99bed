/* proc.h -- child processes: finding an executable, starting it with its
 * standard streams where the caller wants them, and reaping it with a
 * deadline. gnuplot (charts), nvidia-smi (GPU samples) and the monitor's
 * on_alert command all start here. */
#ifndef QVR_PROC_H
#define QVR_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where a child's stdout or stderr goes (or a file descriptor >= 0). */
#define QVR_PROC_NULL (-1) /* /dev/null */
#define QVR_PROC_KEEP (-2) /* the parent's own */

/* The executable for name, into out: name itself when it holds a '/', else
 * the first regular, executable match on $PATH (an empty entry is the
 * current directory; no $PATH: /usr/local/bin:/usr/bin:/bin). 0 or -1. */
int qvr_proc_which(const char *name, char *out, size_t len);

/* gnuplot: $QVR_GNUPLOT when set (a name or a path), else "gnuplot",
 * looked up as qvr_proc_which does. 0 or -1. */
int qvr_proc_find_gnuplot(char *out, size_t len);

/* Starts path with argv and envp; stdin from /dev/null, stdout to out_fd
 * and stderr to err_fd (QVR_PROC_NULL, QVR_PROC_KEEP or a descriptor,
 * which the child gets as its own even when it is close-on-exec). Only
 * async-signal-safe calls run between fork and exec, so other threads may
 * hold locks. Returns the pid, or -1 with errno set. */
pid_t qvr_proc_spawn(const char *path, char *const argv[], char *const envp[],
                     int out_fd, int err_fd);

/* Reaps pid if it has ended, without waiting. Past deadline_ns (a
 * qvr_clock_ns time; 0: none) a child still running is killed (SIGKILL)
 * and reaped, and *timed_out (when not NULL) set to 1. Returns 1 when
 * reaped, with its wait status in *status; 0 while it runs; -1 when pid is
 * no child of ours (errno set). */
int qvr_proc_reap(pid_t pid, uint64_t deadline_ns, int *status, int *timed_out);

/* Waits for pid (retrying on EINTR); past deadline_ns (0: none) kills and
 * reaps it as qvr_proc_reap does. Returns 1 with the status, or -1. */
int qvr_proc_wait(pid_t pid, uint64_t deadline_ns, int *status, int *timed_out);

#endif
