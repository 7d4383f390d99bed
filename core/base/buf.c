/* buf.c -- a growable byte buffer with a hard cap.
 *
 * The memory grows by doubling but never past max + 1 (the NUL), so a
 * capped buffer costs at most its cap however much is thrown at it. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qvr.h"

/* Sets b up empty with a cap of max bytes (0 = none); allocates nothing. */
void qvr_buf_init(struct qvr_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->truncated = 0;
}

/* Makes room for len + extra bytes plus the NUL. extra never takes len
 * past max (the callers clip it). Returns 0 or QVR_ENOMEM. */
static int grow(struct qvr_buf *b, size_t extra)
{
    size_t need, ncap;
    char *p;

    if (extra > SIZE_MAX - 1 - b->len)
        return QVR_ENOMEM;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    ncap = b->cap < 64 ? 64 : b->cap;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (b->max != 0 && ncap > b->max + 1)
        ncap = b->max + 1 > need ? b->max + 1 : need;
    p = realloc(b->data, ncap);
    if (p == NULL)
        return QVR_ENOMEM;
    b->data = p;
    b->cap = ncap;
    return 0;
}

/* Bytes that may still be added before the cap. */
static size_t room(const struct qvr_buf *b)
{
    if (b->max == 0)
        return SIZE_MAX;
    return b->len < b->max ? b->max - b->len : 0;
}

/* Copies n bytes from p (borrowed) into b. Past the cap the bytes that fit
 * are kept, b->truncated is set and QVR_ERANGE returned. QVR_ENOMEM leaves
 * b as it was. Appending 0 bytes never allocates. */
int qvr_buf_append(struct qvr_buf *b, const void *p, size_t n)
{
    size_t take = n, r = room(b);
    int err;

    if (take > r)
        take = r;
    if (take > 0) {
        err = grow(b, take);
        if (err < 0)
            return err;
        memcpy(b->data + b->len, p, take);
        b->len += take;
        b->data[b->len] = '\0';
    }
    if (take < n) {
        b->truncated = 1;
        return QVR_ERANGE;
    }
    return 0;
}

/* Formats with vsnprintf straight into the buffer's tail; output past the
 * cap is cut like qvr_buf_append's. QVR_EINVAL for a formatting error. */
int qvr_buf_printf(struct qvr_buf *b, const char *fmt, ...)
{
    va_list ap;
    size_t take, r = room(b);
    int n, err;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return QVR_EINVAL;
    take = (size_t)n < r ? (size_t)n : r;
    if (take > 0) {
        err = grow(b, take);
        if (err < 0)
            return err;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, take + 1, fmt, ap);
        va_end(ap);
        b->len += take;
    }
    if (take < (size_t)n) {
        b->truncated = 1;
        return QVR_ERANGE;
    }
    return 0;
}

/* Empties b, keeping its memory and cap; clears truncated. */
void qvr_buf_reset(struct qvr_buf *b)
{
    b->len = 0;
    b->truncated = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

/* Frees the memory; b keeps its cap and is ready for reuse. */
void qvr_buf_free(struct qvr_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->truncated = 0;
}

/* One CSV field, quoted when it holds a comma, quote, line break or edge
 * space (RFC 4180). */
/* qvr_buf_append keeping its first error in *rc. */
static void append_rc(struct qvr_buf *b, const char *p, size_t n, int *rc)
{
    int e = qvr_buf_append(b, p, n);
    if (e < 0 && !*rc)
        *rc = e;
}

int qvr_buf_csv_field(struct qvr_buf *b, const char *s, int last)
{
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL ||
                (n && (s[0] == ' ' || s[n - 1] == ' '));
    int rc = 0;
    if (quote) {
        append_rc(b, "\"", 1, &rc);
        for (const char *c = s; *c; c++) {
            if (*c == '"')
                append_rc(b, "\"", 1, &rc);
            append_rc(b, c, 1, &rc);
        }
        append_rc(b, "\"", 1, &rc);
    } else {
        append_rc(b, s, n, &rc);
    }
    append_rc(b, last ? "\n" : ",", 1, &rc);
    return rc;
}
