/* cmd_merge.c -- `qvrrun merge -o OUT DIR...`: flags, then qvr_merge_dirs
 * (core/merge/merge.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmd.h"
#include "log.h"
#include "merge.h"
#include "qvr.h"

static void usage(FILE *out)
{
    fputs("usage: qvrrun merge -o OUT DIR... [--no-plots] [--quiet] "
          "[--csv PREFIX] [--junit FILE]\n"
          "  combines the result directories of the segments of one run "
          "(--segment K/N)\n"
          "  into OUT: histograms added, windows aligned by wall clock, "
          "thresholds\n"
          "  evaluated on the whole; exit 99 when one fails\n",
          out);
}

int qvr_cmd_merge(int argc, char **argv)
{
    struct qvr_render_opts o;
    const char *out = NULL;
    const char **dirs = calloc((size_t)(argc ? argc : 1), sizeof(*dirs));
    int ndirs = 0, rc = QVR_EXIT_USAGE, flags = 1, took;
    memset(&o, 0, sizeof(o));
    if (!dirs) {
        qvr_error("merge: out of memory");
        return QVR_EXIT_RUN;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (flags && strcmp(a, "--") == 0) {
            flags = 0;
        } else if (flags && qvr_args_is_help(a)) {
            usage(stdout);
            rc = QVR_EXIT_OK;
            goto out;
        } else if (flags &&
                   (took = qvr_args_render_flag("merge", argc, argv, &i, &o))) {
            if (took < 0)
                goto out;
        } else if (flags && (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0)) {
            if (!(out = qvr_args_value(argc, argv, &i))) {
                qvr_error("merge: flag '%s' needs a value", a);
                goto out;
            }
        } else if (flags && a[0] == '-' && a[1]) {
            qvr_error("merge: unknown flag '%s' (see qvrrun merge --help)", a);
            goto out;
        } else {
            dirs[ndirs++] = a;
        }
    }
    if (!out) {
        qvr_error("merge: give the output directory: qvrrun merge -o OUT "
                  "DIR...");
        goto out;
    }
    if (!ndirs) {
        qvr_error("merge: give the segments' result directories: qvrrun "
                  "merge -o OUT DIR...");
        goto out;
    }
    char err[1024];
    int n = qvr_merge_dirs(out, dirs, ndirs, &o, stdout, err, sizeof(err));
    if (n < 0) {
        qvr_error("merge: %s", err);
        rc = n == QVR_ESTATE ? QVR_EXIT_USAGE : QVR_EXIT_RUN;
    } else {
        rc = n ? QVR_EXIT_THRESHOLD : QVR_EXIT_OK;
    }
out:
    free(dirs);
    return rc;
}
