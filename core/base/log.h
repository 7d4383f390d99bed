/* log.h -- levelled logging to stderr. One line per call, prefixed with
 * "qvrrun: " and, for warnings and errors, the level. Thread-safe (a single
 * fputs of a preformatted line). */
#ifndef QVR_LOG_H
#define QVR_LOG_H

enum qvr_log_level {
    QVR_LOG_DEBUG = 0,
    QVR_LOG_INFO = 1,
    QVR_LOG_WARN = 2,
    QVR_LOG_ERROR = 3,
    QVR_LOG_QUIET = 4
};

/* Messages below this level are dropped. Default QVR_LOG_INFO; set once at
 * start-up before threads exist. QVR_LOG_LEVEL (debug, info, warn, error or
 * quiet) in the environment wins over both the default and set_level, so
 * QVR_LOG_LEVEL=debug gets the debug lines out of any invocation. */
void qvr_log_set_level(enum qvr_log_level level);
enum qvr_log_level qvr_log_get_level(void);

#if defined(__GNUC__)
#define QVR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define QVR_PRINTF(a, b)
#endif

void qvr_log(enum qvr_log_level level, const char *fmt, ...) QVR_PRINTF(2, 3);

/* A filter every line passes through before it is written: returns a
 * malloc'ed replacement (NULL: out of memory, the line is not written as
 * it was). redact.c installs one once a secret is known, so that no line
 * on stderr carries it. NULL removes it. Thread-safe. */
typedef char *(*qvr_log_filter_fn)(const char *line);
void qvr_log_set_filter(qvr_log_filter_fn filter);

#define qvr_debug(...) qvr_log(QVR_LOG_DEBUG, __VA_ARGS__)
#define qvr_info(...) qvr_log(QVR_LOG_INFO, __VA_ARGS__)
#define qvr_warn(...) qvr_log(QVR_LOG_WARN, __VA_ARGS__)
#define qvr_error(...) qvr_log(QVR_LOG_ERROR, __VA_ARGS__)

#endif
