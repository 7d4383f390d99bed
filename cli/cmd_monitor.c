/* cmd_monitor.c -- `qvrrun monitor SCENARIO.lua|URL|mock`: the flags, then
 * qvr_monitor_main (core/monitor/monitor.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "clock.h"
#include "cmd.h"
#include "log.h"
#include "monitor.h"
#include "qvr.h"
#include "web.h"

static int usage_error(const char *fmt, const char *a)
{
    char msg[600];
    snprintf(msg, sizeof(msg), fmt, a);
    qvr_error("monitor: %s (see docs/monitor.md)", msg);
    return QVR_EXIT_USAGE;
}

static void usage(FILE *out)
{
    fputs("usage: qvrrun monitor SCENARIO.lua|URL|mock [options]\n"
          "  --interval D          a probe every D (default 30s)\n"
          "  --window N            rolling window in probes (default 1000)\n"
          "  --duration D          stop after D (default: never)\n"
          "  --out DIR             default results/monitor-<name>/\n"
          "  --threshold EXPR      e.g. 'p99<5s' or 'error_rate<5%' "
          "(repeatable)\n"
          "  --on-alert CMD        run on alert changes (/bin/sh -c)\n"
          "  --metrics-listen ADDR Prometheus exposition, e.g. "
          "127.0.0.1:9464\n"
          "  --web [ADDR]          live dashboard (default 127.0.0.1:8089)\n"
          "  --web-token T         required by the dashboard (or "
          "QVR_WEB_TOKEN)\n"
          "  --target URL  -e K=V  scenario overrides\n"
          "  --timeout D           URL probe timeout (default 60s)\n"
          "  --image PATH          URL probe image\n"
          "  --name NAME           name of the monitor (URL mode)\n"
          "  --quiet  --no-plots\n"
          "exit codes: 0; 99 a threshold failed during --duration; 2 usage; "
          "3 cannot run; 130 interrupted\n",
          out);
}

static int parse_args(struct qvr_monitor_opts *o, int argc, char **argv)
{
    o->duration_ns = -1;
    o->env = calloc((size_t)argc + 1, sizeof(char *));
    o->thresh = calloc((size_t)argc + 1, sizeof(char *));
    if (!o->env || !o->thresh)
        return QVR_EXIT_RUN;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (qvr_args_is_help(a)) {
            usage(stdout);
            return -1;
        }
        if (a[0] != '-') {
            if (o->what)
                return usage_error("unexpected argument '%s': give one "
                                   "scenario or URL",
                                   a);
            o->what = a;
            continue;
        }
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = 1;
            continue;
        }
        if (strcmp(a, "--no-plots") == 0) {
            o->no_plots = 1;
            continue;
        }
        if (strcmp(a, "--web") == 0 || strncmp(a, "--web=", 6) == 0) {
            o->web = a[5] ? a + 6 : QVR_WEB_DEFAULT_ADDR;
            if (!a[5] && qvr_web_addr_like(v)) {
                o->web = v;
                i++;
            }
            continue;
        }
        static const char *const known[] = {
            "--interval",  "--window",    "--duration", "--out",
            "--target",    "-e",          "--env",      "--metrics-listen",
            "--threshold", "--on-alert",  "--timeout",  "--image",
            "--name",      "--web-token", NULL};
        int k;
        for (k = 0; known[k] && strcmp(a, known[k]) != 0; k++)
            ;
        if (!known[k])
            return usage_error("unknown flag '%s'", a);
        if (!v)
            return usage_error("flag '%s' needs a value", a);
        i++;
        uint64_t ns;
        if (strcmp(a, "--interval") == 0 || strcmp(a, "--duration") == 0 ||
            strcmp(a, "--timeout") == 0) {
            if (qvr_args_duration(v, 1, &ns) < 0) {
                char msg[128];
                snprintf(msg, sizeof(msg),
                         "%s: bad duration '%%s' (e.g. "
                         "30s, 5m, 1h)",
                         a);
                return usage_error(msg, v);
            }
            if (a[2] == 'i')
                o->interval_ns = ns;
            else if (a[2] == 'd')
                o->duration_ns = (int64_t)ns;
            else
                o->timeout_ns = ns;
        } else if (strcmp(a, "--window") == 0) {
            char *end;
            long n = strtol(v, &end, 10);
            if (end == v || *end || n < 1 || n > 10000000)
                return usage_error("--window: expected a whole number of "
                                   "probes >= 1, got '%s'",
                                   v);
            o->window = (int)n;
        } else if (strcmp(a, "--out") == 0) {
            o->out_dir = v;
        } else if (strcmp(a, "--target") == 0) {
            o->target = v;
        } else if (strcmp(a, "-e") == 0 || strcmp(a, "--env") == 0) {
            if (!qvr_args_env_pair(v))
                return usage_error("-e: expected KEY=VALUE, got '%s'", v);
            o->env[o->nenv++] = v;
        } else if (strcmp(a, "--metrics-listen") == 0) {
            o->metrics_listen = v;
        } else if (strcmp(a, "--threshold") == 0) {
            o->thresh[o->nthresh++] = v;
        } else if (strcmp(a, "--on-alert") == 0) {
            o->on_alert = v;
        } else if (strcmp(a, "--image") == 0) {
            o->image = v;
        } else if (strcmp(a, "--name") == 0) {
            o->name = v;
        } else if (strcmp(a, "--web-token") == 0) {
            o->web_token = v;
        }
    }
    if (o->web_token && !o->web)
        return usage_error("%s", "--web-token needs --web");
    if (!o->web_token && getenv("QVR_WEB_TOKEN") && *getenv("QVR_WEB_TOKEN"))
        o->web_token = getenv("QVR_WEB_TOKEN");
    if (!o->what)
        return usage_error("%s", "give a scenario file or a URL to probe");
    return 0;
}

int qvr_cmd_monitor(int argc, char **argv)
{
    struct qvr_monitor_opts o;
    memset(&o, 0, sizeof(o));
    int code = parse_args(&o, argc, argv);
    if (code == 0)
        code = qvr_monitor_main(&o);
    else if (code < 0)
        code = QVR_EXIT_OK; /* --help */
    free(o.env);
    free(o.thresh);
    return code;
}
