/* log.c -- levelled logging to stderr.
 *
 * Each call formats the whole line ("qvrrun: warning: ...\n") first and
 * writes it with one fputs, so lines from different threads never mix. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -1 until the first use reads QVR_LOG_LEVEL. */
static atomic_int log_level = -1;

static _Atomic(qvr_log_filter_fn) log_filter;

void qvr_log_set_filter(qvr_log_filter_fn filter)
{
    atomic_store(&log_filter, filter);
}

/* The level named by QVR_LOG_LEVEL, or -1 when it is unset or unknown. */
static int env_level(void)
{
    static const char *const names[] = {"debug", "info", "warn", "error",
                                        "quiet"};
    const char *v = getenv("QVR_LOG_LEVEL");
    int i;

    if (v == NULL)
        return -1;
    for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
        if (strcmp(v, names[i]) == 0)
            return i;
    }
    if (strcmp(v, "warning") == 0)
        return QVR_LOG_WARN;
    return -1;
}

/* Sets the threshold. QVR_LOG_LEVEL in the environment, when set to one of
 * debug/info/warn/error/quiet, wins over level, so a user can always get
 * (or silence) the log of any invocation. Call before threads start. */
void qvr_log_set_level(enum qvr_log_level level)
{
    int e = env_level();

    atomic_store(&log_level, e >= 0 ? e : (int)level);
}

/* The current threshold: QVR_LOG_LEVEL if set, else QVR_LOG_INFO, until
 * qvr_log_set_level is called. */
enum qvr_log_level qvr_log_get_level(void)
{
    int l = atomic_load_explicit(&log_level, memory_order_relaxed);

    if (l < 0) {
        int e = env_level();

        l = e >= 0 ? e : QVR_LOG_INFO;
        atomic_store(&log_level, l);
    }
    return (enum qvr_log_level)l;
}

/* Formats and writes one line when level is at or above the threshold.
 * A trailing newline in fmt is not doubled. QVR_LOG_QUIET as a message
 * level is never printed. Lines that do not fit the stack buffer go
 * through one heap allocation; if that fails the line is cut short. The
 * whole line then passes the filter (secrets), if one is set. */
void qvr_log(enum qvr_log_level level, const char *fmt, ...)
{
    char stack[1024], *line = stack, *heap = NULL;
    const char *tag = "";
    size_t cap = sizeof(stack), pre, n;
    va_list ap;
    int r;

    if (level >= QVR_LOG_QUIET || level < qvr_log_get_level())
        return;
    if (level == QVR_LOG_WARN)
        tag = "warning: ";
    else if (level == QVR_LOG_ERROR)
        tag = "error: ";
    pre = (size_t)snprintf(stack, cap, "qvrrun: %s", tag);

    va_start(ap, fmt);
    r = vsnprintf(stack + pre, cap - pre, fmt, ap);
    va_end(ap);
    if (r < 0)
        return;
    if ((size_t)r + pre + 2 > cap) {
        heap = malloc(pre + (size_t)r + 2);
        if (heap != NULL) {
            memcpy(heap, stack, pre);
            va_start(ap, fmt);
            vsnprintf(heap + pre, (size_t)r + 1, fmt, ap);
            va_end(ap);
            line = heap;
            cap = pre + (size_t)r + 2;
        } else {
            r = (int)(cap - pre - 2);
        }
    }
    n = pre + (size_t)r;
    if (n == pre || line[n - 1] != '\n')
        line[n++] = '\n';
    line[n] = '\0';
    qvr_log_filter_fn filter = atomic_load(&log_filter);
    if (filter != NULL) {
        char *clean = filter(line);
        fputs(clean != NULL ? clean
                            : "qvrrun: (line withheld: out of memory)\n",
              stderr);
        free(clean);
    } else {
        fputs(line, stderr);
    }
    free(heap);
}
