/* fuzz_duration.c -- libFuzzer target for qvr_duration_parse
 * (core/base/clock.c).
 *
 * The input is the duration text. Beyond "no crash, no out-of-bounds read",
 * the target checks what the parser promises, and aborts when it does not
 * hold (libFuzzer and the regression test report the abort):
 *   - a result is either 0 with a value, QVR_EINVAL or QVR_ERANGE;
 *   - parsing is deterministic;
 *   - appending "0ns" to a valid text keeps its value, appending "1ns"
 *     adds exactly one nanosecond (or overflows to QVR_ERANGE);
 *   - qvr_duration_fmt of the value reads back within 2% (its three
 *     significant digits, minutes and hours truncated).
 *
 * Built by tests/fuzz/run.sh with clang -fsanitize=fuzzer, and compiled
 * into tests/unit/test_fuzz_regress.c (without libFuzzer) to replay the
 * corpus and the past crashers in ctest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "qvr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FD_MAX_TEXT 256

static void fd_check(int ok, const char *what, const char *text)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_duration: %s for \"%s\"\n", what, text);
    abort();
}

/* Appends suffix to text into buf (a valid text of at most FD_MAX_TEXT
 * bytes, so it fits) and parses it. */
static int fd_parse_with(const char *text, const char *suffix, uint64_t *v)
{
    char buf[FD_MAX_TEXT + 8];

    snprintf(buf, sizeof(buf), "%s%s", text, suffix);
    return qvr_duration_parse(buf, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, fmt[64];
    uint64_t v = 0, again = 0, w = 0;
    int rc, rc2;
    double back_ok;

    if (size > FD_MAX_TEXT)
        return 0;
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    rc = qvr_duration_parse(text, &v);
    fd_check(rc == 0 || rc == QVR_EINVAL || rc == QVR_ERANGE,
             "unexpected return code", text);
    rc2 = qvr_duration_parse(text, &again);
    fd_check(rc2 == rc && (rc != 0 || again == v), "not deterministic", text);
    if (rc != 0 || strlen(text) != size)
        goto out;

    /* A bare number means seconds only as the whole text: "5" + "0ns" is
     * "50ns". Extend only texts that end in a unit letter. */
    if (size > 0 && (text[size - 1] < '0' || text[size - 1] > '9') &&
        text[size - 1] != '.') {
        rc2 = fd_parse_with(text, "0ns", &w);
        fd_check(rc2 == 0 && w == v, "\"0ns\" appended changed the value",
                 text);
        rc2 = fd_parse_with(text, "1ns", &w);
        fd_check((rc2 == 0 && w == v + 1) ||
                     (rc2 == QVR_ERANGE && v == UINT64_MAX),
                 "\"1ns\" appended is not one ns more", text);
    }

    qvr_duration_fmt(v, fmt, sizeof(fmt));
    fd_check(memchr(fmt, '\0', sizeof(fmt)) != NULL, "fmt not terminated",
             text);
    rc2 = qvr_duration_parse(fmt, &w);
    fd_check(rc2 == 0, "fmt output does not parse", text);
    back_ok = (double)v * 0.02 + 1.0;
    fd_check((double)(w > v ? w - v : v - w) <= back_ok,
             "fmt output does not read back within 2%", text);
out:
    free(text);
    return 0;
}
