/* cmd_compare.c -- `qvrrun compare BASE_DIR NEW_DIR`: flags, then
 * qvr_compare_dirs (core/out/compare.c). */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cmd.h"
#include "compare.h"
#include "log.h"
#include "qvr.h"

static void usage(FILE *out)
{
    fputs("usage: qvrrun compare BASE_DIR NEW_DIR [--tolerance 10%] "
          "[--error-tolerance 1pp]\n"
          "  exit 99 when NEW has lower rps or higher p50/p99 than "
          "BASE by more than the\n"
          "  tolerance, or an error rate higher by more than the "
          "error tolerance\n",
          out);
}

int qvr_cmd_compare(int argc, char **argv)
{
    struct qvr_compare_opts o = {.tolerance = 0.10, .error_pp = 1.0};
    const char *dirs[2] = {NULL, NULL};
    int ndirs = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (qvr_args_is_help(a)) {
            usage(stdout);
            return QVR_EXIT_OK;
        }
        if (strcmp(a, "--tolerance") == 0 ||
            strcmp(a, "--error-tolerance") == 0) {
            int pp = a[2] == 'e';
            double v;
            if (i + 1 >= argc) {
                qvr_error("compare: flag '%s' needs a value", a);
                return QVR_EXIT_USAGE;
            }
            if (qvr_args_pct(argv[++i], pp ? "pp" : NULL, &v) < 0) {
                qvr_error("compare: %s: expected a percentage like %s, got "
                          "'%s'",
                          a, pp ? "1pp" : "10%", argv[i]);
                return QVR_EXIT_USAGE;
            }
            if (pp)
                o.error_pp = v;
            else
                o.tolerance = v / 100.0;
            continue;
        }
        if (a[0] == '-' && a[1]) {
            qvr_error("compare: unknown flag '%s' (see qvrrun compare --help)",
                      a);
            return QVR_EXIT_USAGE;
        }
        if (ndirs == 2) {
            qvr_error("compare: unexpected argument '%s': give BASE_DIR and "
                      "NEW_DIR",
                      a);
            return QVR_EXIT_USAGE;
        }
        dirs[ndirs++] = a;
    }
    if (ndirs < 2) {
        qvr_error("compare: give two result directories (qvrrun compare "
                  "BASE_DIR NEW_DIR)");
        return QVR_EXIT_USAGE;
    }
    for (int i = 0; i < 2; i++)
        if (!qvr_args_is_dir(dirs[i])) {
            qvr_error("compare: no such result directory '%s'", dirs[i]);
            return QVR_EXIT_USAGE;
        }
    char err[512];
    int rc = qvr_compare_dirs(dirs[0], dirs[1], &o, stdout, err, sizeof(err));
    if (rc < 0) {
        qvr_error("compare: %s", err);
        return QVR_EXIT_RUN;
    }
    return rc ? QVR_EXIT_THRESHOLD : QVR_EXIT_OK;
}
