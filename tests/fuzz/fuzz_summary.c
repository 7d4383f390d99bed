/* fuzz_summary.c -- libFuzzer target for the readers of a result
 * directory: qvr_rdir_load (summary.json with cJSON, timeseries.csv,
 * latency.hlog, steps.csv; core/out/render.c), the writers that run on what it
 * loaded (recomputed summary.json, Locust CSV, JUnit), and
 * qvr_compare_dirs (core/out/compare.c). These read files a user hands to
 * `qvrrun report`, `compare` and `merge`, possibly truncated or edited.
 *
 * Input: sections, each starting with a line "@@ NAME", holding the file
 * NAME of the result directory: summary.json, timeseries.csv,
 * latency.hlog, steps.csv (other names are ignored; a missing section is
 * a missing file). A section "@@ recompute" makes the render rebuild the
 * percentiles from latency.hlog, as `qvrrun report` does. The files are
 * written to a private temporary directory, emptied before every input.
 *
 * Checked beyond memory safety (aborting when it does not hold): a result
 * is 0 or a negative enum qvr_err with a non-empty reason; a loaded
 * directory has the totals series first, windows and steps counted
 * consistently, and consistent histograms; comparing a directory with
 * itself finds no regression. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "hist.h"
#include "qvr.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FS_MAX_INPUT (512u * 1024u)

static char fs_dir[256];
static FILE *fs_null;

static void fs_check(int ok, const char *what, const char *err)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_summary: %s (%s)\n", what, err ? err : "");
    abort();
}

/* Unlinks every file of the private directory. */
static void fs_empty_dir(void)
{
    char path[512];
    struct dirent *e;
    DIR *d = opendir(fs_dir);

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", fs_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static void fs_cleanup(void)
{
    fs_empty_dir();
    rmdir(fs_dir);
    if (fs_null != NULL)
        fclose(fs_null);
}

static int fs_setup(void)
{
    const char *tmp = getenv("TMPDIR");

    if (fs_dir[0] != '\0')
        return 0;
    snprintf(fs_dir, sizeof(fs_dir), "%s/qvr-fuzz-summary.XXXXXX",
             tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
    if (mkdtemp(fs_dir) == NULL) {
        fs_dir[0] = '\0';
        return -1;
    }
    fs_null = fopen("/dev/null", "w");
    atexit(fs_cleanup);
    return fs_null != NULL ? 0 : -1;
}

static int fs_write(const char *name, const char *p, size_t n)
{
    char path[512];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", fs_dir, name);
    f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Writes the section named name[0..nlen) as its file when it is one of
 * the result files; returns 1 for "recompute", else 0. */
static int fs_section(const char *name, size_t nlen, const char *body,
                      size_t blen)
{
    static const char *const names[] = {"summary.json", "timeseries.csv",
                                        "latency.hlog", "steps.csv"};
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(names); i++)
        if (nlen == strlen(names[i]) && memcmp(name, names[i], nlen) == 0)
            fs_write(names[i], body, blen);
    return nlen == 9 && memcmp(name, "recompute", 9) == 0;
}

/* Writes each "@@ NAME" section of the input as its file (text before the
 * first section is ignored). Returns 1 when a "@@ recompute" section is
 * present. */
static int fs_sections(const char *in, size_t n)
{
    const char *name = NULL, *body = NULL;
    size_t pos = 0, nlen = 0;
    int recompute = 0;

    for (;;) {
        const char *line = in + pos;
        const char *nl = pos < n ? memchr(line, '\n', n - pos) : NULL;
        size_t llen = nl != NULL ? (size_t)(nl - line) : n - pos;

        if (pos == n || (llen >= 3 && memcmp(line, "@@ ", 3) == 0)) {
            if (name != NULL)
                recompute |=
                    fs_section(name, nlen, body, (size_t)(line - body));
            if (pos == n)
                break;
            name = line + 3;
            nlen = llen - 3;
            body = nl != NULL ? nl + 1 : in + n;
        }
        pos = nl != NULL ? (size_t)(nl - in) + 1 : n;
    }
    return recompute;
}

static void fs_check_loaded(const struct qvr_rdir *rd)
{
    uint64_t sum, value, count;
    int i, idx;

    fs_check(rd->summary != NULL, "loaded without a summary", NULL);
    fs_check(rd->nseries >= 1 && rd->series != NULL, "no totals series", NULL);
    fs_check(rd->series[0].name == NULL, "series 0 is not the totals", NULL);
    fs_check(rd->nwin >= 0 && (rd->nwin == 0 || rd->win != NULL),
             "windows miscounted", NULL);
    fs_check(rd->nsteps >= 0 && (rd->nsteps == 0 || rd->steps != NULL),
             "steps miscounted", NULL);
    fs_check(memchr(rd->steps_x, '\0', sizeof(rd->steps_x)) != NULL,
             "steps_x not terminated", NULL);
    for (i = 0; i < rd->nseries; i++) {
        const struct qvr_hist *h = rd->series[i].h;

        fs_check(i == 0 || rd->series[i].name != NULL, "series without name",
                 NULL);
        if (h == NULL)
            continue;
        sum = 0;
        idx = -1;
        while (qvr_hist_next(h, &idx, &value, &count))
            sum += count;
        fs_check(sum == h->total, "series counts do not add up", NULL);
        (void)qvr_rseries_pct_ms(&rd->series[i], 50);
        (void)qvr_rseries_pct_ms(&rd->series[i], 100);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qvr_compare_opts co = {0.10, 1.0};
    struct qvr_render_opts ro;
    struct qvr_rdir rd;
    char err[512], csv[300], junit[300];
    int recompute, rc;

    if (size > FS_MAX_INPUT || fs_setup() < 0)
        return 0;
    fs_empty_dir();
    recompute = fs_sections((const char *)data, size);

    err[0] = '\0';
    rc = qvr_rdir_load(&rd, fs_dir, recompute, err, sizeof(err));
    fs_check(rc <= 0, "positive result", err);
    if (rc == 0)
        fs_check_loaded(&rd);
    else
        fs_check(err[0] != '\0', "failure without a reason", NULL);
    qvr_rdir_free(&rd);

    rc = qvr_compare_dirs(fs_dir, fs_dir, &co, fs_null, err, sizeof(err));
    fs_check(rc <= 0, "a directory is worse than itself", err);

    memset(&ro, 0, sizeof(ro));
    snprintf(csv, sizeof(csv), "%s/out", fs_dir);
    snprintf(junit, sizeof(junit), "%s/junit.xml", fs_dir);
    ro.csv_prefix = csv;
    ro.junit_file = junit;
    ro.no_plots = 1;
    ro.quiet = 1;
    ro.recompute = recompute;
    err[0] = '\0';
    rc = qvr_render(fs_dir, &ro, err, sizeof(err));
    fs_check(rc <= 0, "positive render result", err);
    fs_check(rc == 0 || err[0] != '\0', "render failed without a reason", NULL);
    return 0;
}
