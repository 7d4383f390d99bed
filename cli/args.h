/* args.h -- what every command's flags share: the one-line usage error that
 * names the flag, whole numbers, percentages, "needs a value", -h/--help. */
#ifndef QVR_ARGS_H
#define QVR_ARGS_H

/* 1 when a is -h or --help. */
int qvr_args_is_help(const char *a);

/* Prints "qvrrun: <fmt, a> (see qvrrun[ CMD] --help)" as one error line
 * (cmd NULL or "" for the top level) and returns QVR_EXIT_USAGE. */
int qvr_args_bad(const char *cmd, const char *fmt, const char *a);

/* s as a whole number in [lo, hi] into *out. 0 or -1. */
int qvr_args_int(const char *s, long lo, long hi, long *out);

/* "10%", "10" (both percent) or, when suffix is given, "0.5<suffix>"; a
 * number in [0, 1000] into *out. 0 or -1. */
int qvr_args_pct(const char *s, const char *suffix, double *out);

/* The value of flag argv[*i]: argv[*i + 1] when there is one and it is not
 * empty (then *i moves to it), else NULL. */
const char *qvr_args_value(int argc, char **argv, int *i);

/* 1 when path is a directory. */
int qvr_args_is_dir(const char *path);

#endif
