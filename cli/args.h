/* args.h -- what every command's flags share: the one-line usage error that
 * names the flag, whole numbers, percentages, "needs a value", -h/--help. */
#ifndef QVR_ARGS_H
#define QVR_ARGS_H

#include <stdint.h>

/* 1 when a is -h or --help. */
int qvr_args_is_help(const char *a);

/* Prints "qvrrun: <fmt, a> (see qvrrun[ CMD] --help)" as one error line
 * (cmd NULL or "" for the top level) and returns QVR_EXIT_USAGE. */
int qvr_args_bad(const char *cmd, const char *fmt, const char *a);

/* s as a whole number in [lo, hi] into *out. 0 or -1. */
int qvr_args_int(const char *s, long lo, long hi, long *out);

/* s as a duration ("30s", "5m", "1h30m", "250ms") of at least min_ns into
 * *ns. 0 or -1. */
int qvr_args_duration(const char *s, uint64_t min_ns, uint64_t *ns);

/* 1 when s is KEY=VALUE with a non-empty KEY (-e, --env), else 0. */
int qvr_args_env_pair(const char *s);

/* "10%", "10" (both percent) or, when suffix is given, "0.5<suffix>"; a
 * number in [0, 1000] into *out. 0 or -1. */
int qvr_args_pct(const char *s, const char *suffix, double *out);

/* The value of flag argv[*i]: argv[*i + 1] when there is one and it is not
 * empty (then *i moves to it), else NULL. */
const char *qvr_args_value(int argc, char **argv, int *i);

struct qvr_render_opts;

/* The output flags of the commands that render a result directory
 * (report, merge): --quiet/-q, --no-plots, --csv PREFIX, --junit FILE.
 * When argv[*i] is one of them, sets it in o (moving *i past a value) and
 * returns 1; returns 0 for another argument, and for a flag without its
 * value prints "CMD: flag '--csv' needs a value" and returns -1. */
int qvr_args_render_flag(const char *cmd, int argc, char **argv, int *i,
                         struct qvr_render_opts *o);

/* 1 when path is a directory. */
int qvr_args_is_dir(const char *path);

#endif
