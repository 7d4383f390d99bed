/* cmd_report.c -- `qvrrun report RESULT_DIR`: flags, then qvr_render with
 * the percentiles recomputed (core/out/render.c). */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cmd.h"
#include "log.h"
#include "qvr.h"
#include "render.h"

static void usage(FILE *out)
{
    fputs("usage: qvrrun report RESULT_DIR [--csv PREFIX] [--junit FILE] "
          "[--no-plots] [--quiet]\n"
          "  recomputes summary.json's percentiles from latency.hlog and "
          "re-renders the\n"
          "  charts (and, when asked, Locust CSV files and a JUnit report) "
          "from RESULT_DIR\n",
          out);
}

int qvr_cmd_report(int argc, char **argv)
{
    struct qvr_render_opts o;
    const char *dir = NULL;
    memset(&o, 0, sizeof(o));
    o.recompute = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (qvr_args_is_help(a)) {
            usage(stdout);
            return QVR_EXIT_OK;
        }
        int took = qvr_args_render_flag("report", argc, argv, &i, &o);
        if (took < 0)
            return QVR_EXIT_USAGE;
        if (took) {
            continue;
        } else if (a[0] == '-' && a[1]) {
            qvr_error("report: unknown flag '%s' (see qvrrun report --help)",
                      a);
            return QVR_EXIT_USAGE;
        } else if (dir) {
            qvr_error("report: unexpected argument '%s': give one result "
                      "directory",
                      a);
            return QVR_EXIT_USAGE;
        } else {
            dir = a;
        }
    }
    if (!dir) {
        qvr_error("report: give a result directory (qvrrun report "
                  "RESULT_DIR)");
        return QVR_EXIT_USAGE;
    }
    if (!qvr_args_is_dir(dir)) {
        qvr_error("report: no such result directory '%s'", dir);
        return QVR_EXIT_USAGE;
    }
    return qvr_render_report_dir(dir, &o);
}
