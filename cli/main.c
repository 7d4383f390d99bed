/* main.c -- the qvrrun command line: subcommand dispatch and the options of
 * `qvrrun [run] SCENARIO.lua`. Every bad flag is one line naming it, exit 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef QVR_MIMALLOC
#include <mimalloc.h>
#endif
#include <sys/resource.h>
#include <time.h>

#include "args.h"
#include "clock.h"
#include "cmd.h"
#include "http.h"
#include "log.h"
#include "qvr.h"
#include "run.h"
#include "sched.h"
#include "web.h"

static void usage(FILE *out)
{
    fputs("usage: qvrrun SCENARIO.lua [options]      run a scenario\n"
          "       qvrrun run SCENARIO.lua [options]  the same\n"
          "       qvrrun mock [--listen ADDR] [...]  built-in simulated "
          "reranker and LLM server\n"
          "       qvrrun monitor SCENARIO.lua|URL    probe forever (or "
          "--duration): rolling P50/P90/P99\n"
          "       qvrrun report RESULT_DIR           re-render charts, CSV, "
          "summary\n"
          "       qvrrun compare BASE_DIR NEW_DIR    regression diff (exit 99 "
          "when worse)\n"
          "       qvrrun merge -o OUT DIR...         combine --segment "
          "results\n"
          "       qvrrun call URL|SCENARIO.lua       send one request, show "
          "status, timings, answer\n"
          "       qvrrun help COMMAND                a command's flags (same "
          "as COMMAND --help)\n"
          "\n"
          "options (override the scenario):\n"
          "  --target URL       target base URL, or \"mock\"\n"
          "  --users N          users of a users{} load\n"
          "  --spawn-rate R     users started per second\n"
          "  --duration D       run length, e.g. 30s, 5m, 1h\n"
          "  --rate RPS         arrival rate of a rate{} load\n"
          "  --out DIR          result directory "
          "(default results/<name>-<UTC stamp>)\n"
          "  --force            replace another run's results in --out DIR\n"
          "  -e KEY=VALUE       value for env(KEY) in the scenario\n"
          "  --threshold EXPR   e.g. 'p99 < 2s' (repeatable; replaces the "
          "scenario's\n"
          "                     threshold of the same metric, else adds "
          "one)\n"
          "  --csv PREFIX       Locust-compatible PREFIX_stats.csv and "
          "friends\n"
          "  --segment K/N      run the K-th of N equal parts of the load\n"
          "  --start-at TIME    start at Unix seconds or an RFC 3339 time\n"
          "  --junit FILE       the thresholds as a JUnit XML report\n"
          "  --metrics-listen A serve Prometheus metrics on A (e.g. "
          "127.0.0.1:9464)\n"
          "  --web [ADDR]       live dashboard (default 127.0.0.1:8089; 0: any "
          "free port)\n"
          "  --web-token T      required by the dashboard (and for a "
          "non-loopback ADDR);\n"
          "                     also QVR_WEB_TOKEN\n"
          "  --threads N        worker threads (default: cores, 1 under 100 "
          "users)\n"
          "  --quiet            no progress lines\n"
          "  --no-plots         do not render charts\n"
          "  -h, --help         this text;  --version  the version\n"
          "\n"
          "exit codes: 0 thresholds held, 99 a threshold failed, 2 usage or "
          "scenario error,\n"
          "            3 the run could not be carried out, 130 interrupted "
          "(results written)\n",
          out);
}

static int bad(const char *fmt, const char *a)
{
    return qvr_args_bad(NULL, fmt, a);
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    return qvr_args_int(s, lo, hi, out);
}

/* --start-at: Unix seconds ("1764000000.5") or RFC 3339
 * ("2026-11-24T16:40:00Z", "...+01:00"). Returns 0 or -1. */
static int parse_time(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end != s && !*end && v > 0) {
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    double frac = 0;
    if (*p == '.') {
        frac = strtod(p, &end);
        p = end;
    }
    long off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    *out = (double)timegm(&tm) - (double)off + frac;
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    struct qvr_run_opts o;
    memset(&o, 0, sizeof(o));
    o.ov.users = -1;
    o.ov.spawn_rate = -1;
    o.ov.duration_ns = -1;
    o.ov.rps = -1;
    const char **env = calloc((size_t)argc + 1, sizeof(char *));
    if (!env)
        return QVR_EXIT_RUN;
    o.ov.env = env;
    const char **thresh = calloc((size_t)argc + 1, sizeof(char *));
    if (!thresh) {
        free(env);
        return QVR_EXIT_RUN;
    }
    o.ov.thresh = thresh;
    int rc = QVR_EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o.scenario) {
                rc = bad("unexpected argument '%s': give one scenario file", a);
                goto out;
            }
            o.scenario = a;
            continue;
        }
        if (qvr_args_is_help(a)) {
            usage(stdout);
            rc = QVR_EXIT_OK;
            goto out;
        }
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o.quiet = 1;
            continue;
        }
        if (strcmp(a, "--no-plots") == 0) {
            o.no_plots = 1;
            continue;
        }
        if (strcmp(a, "--force") == 0) {
            o.force = 1;
            continue;
        }
        if (strcmp(a, "--web") == 0 || strncmp(a, "--web=", 6) == 0) {
            o.web = a[5] ? a + 6 : QVR_WEB_DEFAULT_ADDR;
            if (!a[5] && qvr_web_addr_like(v)) {
                o.web = v;
                i++;
            }
            continue;
        }
        if (!v) {
            static const char *const known[] = {"--target",
                                                "--users",
                                                "--spawn-rate",
                                                "--duration",
                                                "--out",
                                                "--rate",
                                                "--csv",
                                                "--junit",
                                                "--segment",
                                                "--start-at",
                                                "--metrics-listen",
                                                "-e",
                                                "--threads",
                                                "--web-token",
                                                "--threshold",
                                                NULL};
            for (int k = 0; known[k]; k++)
                if (strcmp(a, known[k]) == 0) {
                    rc = bad("flag '%s' needs a value", a);
                    goto out;
                }
            rc = bad("unknown flag '%s'", a);
            goto out;
        }
        if (strcmp(a, "--target") == 0) {
            o.ov.target = v;
        } else if (strcmp(a, "--users") == 0) {
            long n;
            if (parse_int(v, 1, 10000000, &n) < 0) {
                rc = bad("--users: expected a whole number >= 1, got '%s'", v);
                goto out;
            }
            o.ov.users = (int)n;
        } else if (strcmp(a, "--spawn-rate") == 0) {
            char *end;
            double d = strtod(v, &end);
            if (end == v || *end || !(d > 0) || d > 1e7) {
                rc = bad("--spawn-rate: expected a number > 0, got '%s'", v);
                goto out;
            }
            o.ov.spawn_rate = d;
        } else if (strcmp(a, "--duration") == 0) {
            uint64_t ns;
            if (qvr_duration_parse(v, &ns) < 0 || ns == 0) {
                rc = bad("--duration: bad duration '%s' (use e.g. 30s, 5m, "
                         "1h)",
                         v);
                goto out;
            }
            o.ov.duration_ns = (int64_t)ns;
        } else if (strcmp(a, "--rate") == 0) {
            char *end;
            double d = strtod(v, &end);
            if (end == v || *end || !(d > 0)) {
                rc = bad("--rate: expected requests per second > 0, got '%s'",
                         v);
                goto out;
            }
            if (!(d >= QVR_RPS_MIN && d <= QVR_RPS_MAX)) {
                rc = bad("--rate: expected requests per second from 0.001 "
                         "to 10000000, got '%s'",
                         v);
                goto out;
            }
            o.ov.rps = d;
        } else if (strcmp(a, "--segment") == 0) {
            int k, n, used = 0;
            if (sscanf(v, "%d/%d%n", &k, &n, &used) != 2 || v[used] || n < 1 ||
                k < 1 || k > n || n > 100000) {
                rc = bad("--segment: expected K/N with 1 <= K <= N, got '%s'",
                         v);
                goto out;
            }
            o.ov.seg_index = k;
            o.ov.seg_count = n;
        } else if (strcmp(a, "--start-at") == 0) {
            if (parse_time(v, &o.start_at) < 0) {
                rc = bad("--start-at: expected Unix seconds or an RFC 3339 "
                         "time such as 2026-11-24T16:40:00Z, got '%s'",
                         v);
                goto out;
            }
        } else if (strcmp(a, "--metrics-listen") == 0) {
            o.metrics_listen = v;
        } else if (strcmp(a, "--web-token") == 0) {
            o.web_token = v;
        } else if (strcmp(a, "--csv") == 0) {
            o.csv_prefix = v;
        } else if (strcmp(a, "--junit") == 0) {
            o.junit_file = v;
        } else if (strcmp(a, "--out") == 0) {
            o.out_dir = v;
        } else if (strcmp(a, "-e") == 0 || strcmp(a, "--env") == 0) {
            if (!strchr(v, '=') || v[0] == '=') {
                rc = bad("-e: expected KEY=VALUE, got '%s'", v);
                goto out;
            }
            env[o.ov.nenv++] = v;
        } else if (strcmp(a, "--threshold") == 0) {
            thresh[o.ov.nthresh++] = v;
        } else if (strcmp(a, "--threads") == 0) {
            long n;
            if (parse_int(v, 1, 1024, &n) < 0) {
                rc =
                    bad("--threads: expected a whole number >= 1, got '%s'", v);
                goto out;
            }
            o.threads = (int)n;
        } else {
            takes = 0;
            rc = bad("unknown flag '%s'", a);
            goto out;
        }
        i += takes;
    }
    if (!o.scenario) {
        rc = bad("%s", "no scenario file given: qvrrun SCENARIO.lua");
        goto out;
    }
    if (o.web_token && !o.web) {
        rc = bad("%s", "--web-token needs --web");
        goto out;
    }
    if (!o.web_token && getenv("QVR_WEB_TOKEN") && *getenv("QVR_WEB_TOKEN"))
        o.web_token = getenv("QVR_WEB_TOKEN");
    rc = qvr_run_main(&o);
out:
    free(env);
    free(thresh);
    return rc;
}

/* Every user holds a connection: lift the soft descriptor limit to the
 * hard one (a load of 10,000 users needs more than the usual 1,024). */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    raise_nofile();
    if (argc < 2) {
        usage(stderr);
        return QVR_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        (strcmp(cmd, "help") == 0 && argc == 2)) {
        usage(stdout);
        return 0;
    }
    char *help[] = {argv[0], NULL, (char *)"--help", NULL};
    if (strcmp(cmd, "help") == 0) {
        /* qvrrun help CMD: CMD --help */
        static const char *const cmds[] = {"run",    "monitor", "mock",
                                           "report", "compare", "merge",
                                           "call",   NULL};
        int k = 0;
        while (cmds[k] && strcmp(argv[2], cmds[k]) != 0)
            k++;
        if (argc > 3 || !cmds[k])
            return qvr_args_bad(NULL,
                                "help: no command '%s' (commands: run, "
                                "monitor, mock, report, compare, merge, call)",
                                argv[2]);
        help[1] = argv[2];
        argc = 3;
        argv = help;
        cmd = argv[1];
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("qvrrun %s\n", QVR_VERSION);
#ifdef QVR_MIMALLOC
        int mv = mi_version();
        printf("malloc: mimalloc %d.%d.%d\n", mv / 100, mv / 10 % 10, mv % 10);
#else
        printf("malloc: glibc\n");
#endif
        return 0;
    }
    if (strcmp(cmd, "mock") == 0)
        return qvr_cmd_mock(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0)
        return qvr_cmd_report(argc - 2, argv + 2);
    if (strcmp(cmd, "compare") == 0)
        return qvr_cmd_compare(argc - 2, argv + 2);
    if (strcmp(cmd, "merge") == 0)
        return qvr_cmd_merge(argc - 2, argv + 2);
    if (qvr_http_global_init() < 0) {
        qvr_error("cannot initialise libcurl");
        return QVR_EXIT_RUN;
    }
    int rc;
    if (strcmp(cmd, "monitor") == 0)
        rc = qvr_cmd_monitor(argc - 2, argv + 2);
    else if (strcmp(cmd, "call") == 0)
        rc = qvr_cmd_call(argc - 2, argv + 2);
    else if (strcmp(cmd, "run") == 0)
        rc = cmd_run(argc - 2, argv + 2);
    else
        rc = cmd_run(argc - 1, argv + 1);
    qvr_http_global_cleanup();
    return rc;
}
