/* test_fuzz_regress.c -- replays every fuzz corpus and every past crasher
 * through the fuzz targets, built without libFuzzer, as a ctest.
 *
 * The targets of tests/fuzz/ are compiled into this program, each with its
 * LLVMFuzzerTestOneInput renamed, so the regression needs no clang: gcc
 * and the core library are enough. Each input runs in a child process (a
 * crash, an abort from a target's own checks, a sanitizer report or a hang
 * past 10 s fails that input and names the file, and the others still
 * run). The directories are found from the source tree: ctest runs unit
 * tests in it; QVR_SRC_DIR or argv[1] may name it instead.
 *
 * What fails: an input of tests/fuzz/corpus/<target>/ or
 * tests/fuzz/crashers/<target>/ that does not run clean, and a corpus with
 * fewer than QVR_FUZZ_MIN_CORPUS files (a deleted corpus would make the
 * test vacuous). A crasher stays in crashers/ after its fix, so the bug
 * cannot come back. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "t.h"

#define LLVMFuzzerTestOneInput fuzz_duration_one
#include "../fuzz/fuzz_duration.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_thresh_one
#include "../fuzz/fuzz_thresh.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_hist_decode_one
#include "../fuzz/fuzz_hist_decode.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_mock_request_one
#include "../fuzz/fuzz_mock_request.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_summary_one
#include "../fuzz/fuzz_summary.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_sse_one
#include "../fuzz/fuzz_sse.c"
#undef LLVMFuzzerTestOneInput

#define QVR_FUZZ_MIN_CORPUS 8
#define QVR_FUZZ_INPUT_SECONDS 10
#define QVR_FUZZ_MAX_FILES 4096

struct target {
    const char *name;
    int (*one)(const uint8_t *data, size_t size);
};

static const struct target targets[] = {
    {"fuzz_duration", fuzz_duration_one},
    {"fuzz_thresh", fuzz_thresh_one},
    {"fuzz_hist_decode", fuzz_hist_decode_one},
    {"fuzz_mock_request", fuzz_mock_request_one},
    {"fuzz_summary", fuzz_summary_one},
    {"fuzz_sse", fuzz_sse_one},
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads path whole; the caller frees *out. Returns 0 or -1. */
static int read_all(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL, *n;
    size_t cap = 0, got;

    *out = NULL;
    *len = 0;
    if (f == NULL)
        return -1;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 4096;
            n = realloc(buf, cap);
            if (n == NULL)
                goto fail;
            buf = n;
        }
        got = fread(buf + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        goto fail;
    fclose(f);
    *out = buf;
    return 0;
fail:
    fclose(f);
    free(buf);
    return -1;
}

/* Runs one input through t in a child. Returns 0 when it ran clean, else
 * -1 after printing why. */
static int run_one(const struct target *t, const char *path)
{
    uint8_t *data;
    size_t len;
    pid_t pid;
    int st;

    if (read_all(path, &data, &len) < 0) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        free(data);
        fprintf(stderr, "%s: fork failed\n", path);
        return -1;
    }
    if (pid == 0) {
        alarm(QVR_FUZZ_INPUT_SECONDS);
        t->one(data, len);
        free(data);
        exit(0); /* atexit cleanups (and LeakSanitizer) run */
    }
    free(data);
    if (waitpid(pid, &st, 0) < 0) {
        fprintf(stderr, "%s: waitpid failed\n", path);
        return -1;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFSIGNALED(st))
        fprintf(stderr, "%s: %s on this input (%s)\n", t->name,
                WTERMSIG(st) == SIGALRM ? "hang" : "crash",
                strsignal(WTERMSIG(st)));
    else
        fprintf(stderr, "%s: exit status %d on this input\n", t->name,
                WEXITSTATUS(st));
    fprintf(stderr, "  input: %s\n", path);
    return -1;
}

/* Runs every regular file of dir (README*.md aside) through t, sorted by
 * name. Returns the number of files, or -1 when dir cannot be opened;
 * *bad counts the files that failed. */
static int run_dir(const struct target *t, const char *dir, int *bad)
{
    char *names[QVR_FUZZ_MAX_FILES], path[4096];
    struct dirent *e;
    struct stat st;
    DIR *d = opendir(dir);
    int n = 0, i;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL && n < QVR_FUZZ_MAX_FILES) {
        size_t l = strlen(e->d_name);

        if (e->d_name[0] == '.' || (l > 3 && !strcmp(e->d_name + l - 3, ".md")))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        names[n] = strdup(e->d_name);
        if (names[n] != NULL)
            n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (run_one(t, path) < 0)
            (*bad)++;
        free(names[i]);
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *src = argc > 1 ? argv[1] : getenv("QVR_SRC_DIR");
    char dir[4096];
    size_t i;

    if (src == NULL || *src == '\0')
        src = ".";
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus", src);
    if (access(dir, R_OK) != 0) {
        fprintf(stderr,
                "test_fuzz_regress: no %s (run from the source "
                "tree, or pass it as argv[1])\n",
                dir);
        return 1;
    }
    for (i = 0; i < QVR_ARRAY_LEN(targets); i++) {
        const struct target *t = &targets[i];
        int bad = 0, n, c;

        snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src, t->name);
        n = run_dir(t, dir, &bad);
        T_CHECK_MSG(n >= QVR_FUZZ_MIN_CORPUS, "%s: %d corpus files in %s",
                    t->name, n, dir);
        snprintf(dir, sizeof(dir), "%s/tests/fuzz/crashers/%s", src, t->name);
        c = run_dir(t, dir, &bad);
        T_CHECK_MSG(bad == 0, "%s: %d of %d inputs failed", t->name, bad,
                    n + (c > 0 ? c : 0));
        printf("%s: %d corpus files, %d past crashers, %d failed\n", t->name, n,
               c > 0 ? c : 0, bad);
    }
    return T_DONE();
}
