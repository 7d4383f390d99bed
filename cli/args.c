/* args.c -- shared flag helpers (see args.h). */
#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "log.h"
#include "qvr.h"
#include "render.h"

int qvr_args_is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

int qvr_args_bad(const char *cmd, const char *fmt, const char *a)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, a);
    qvr_error("%s (see qvrrun%s%s --help)", msg, cmd && *cmd ? " " : "",
              cmd ? cmd : "");
    return QVR_EXIT_USAGE;
}

int qvr_args_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int qvr_args_duration(const char *s, uint64_t min_ns, uint64_t *ns)
{
    uint64_t v;
    if (qvr_duration_parse(s, &v) < 0 || v < min_ns || v == 0)
        return -1;
    *ns = v;
    return 0;
}

int qvr_args_env_pair(const char *s)
{
    return s[0] != '=' && strchr(s, '=') != NULL;
}

int qvr_args_pct(const char *s, const char *suffix, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || errno || !(d >= 0) || d > 1000)
        return -1;
    if (*end && strcmp(end, "%") != 0 && (!suffix || strcmp(end, suffix)))
        return -1;
    *out = d;
    return 0;
}

const char *qvr_args_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc || !argv[*i + 1][0])
        return NULL;
    return argv[++*i];
}

int qvr_args_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int qvr_args_render_flag(const char *cmd, int argc, char **argv, int *i,
                         struct qvr_render_opts *o)
{
    const char *a = argv[*i];
    if (strcmp(a, "--no-plots") == 0) {
        o->no_plots = 1;
        return 1;
    }
    if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
        o->quiet = 1;
        return 1;
    }
    if (strcmp(a, "--csv") != 0 && strcmp(a, "--junit") != 0)
        return 0;
    const char *v = qvr_args_value(argc, argv, i);
    if (!v) {
        qvr_error("%s: flag '%s' needs a value", cmd, a);
        return -1;
    }
    if (a[2] == 'c')
        o->csv_prefix = v;
    else
        o->junit_file = v;
    return 1;
}
