/* buf.h -- a growable byte buffer with a hard cap. Used for response bodies
 * (capped by max_body) and for building text. Always NUL-terminated after
 * the data so it can be used as a C string when it holds text. */
#ifndef QVR_BUF_H
#define QVR_BUF_H

#include <stddef.h>

struct qvr_buf {
    char *data;    /* owned; NULL until the first append */
    size_t len;    /* bytes used, excluding the trailing NUL */
    size_t cap;    /* bytes allocated */
    size_t max;    /* hard cap on len; 0 = unlimited */
    int truncated; /* set when an append hit max; bytes beyond were dropped */
};

/* Initialises an empty buffer capped at max bytes (0 = no cap). */
void qvr_buf_init(struct qvr_buf *b, size_t max);

/* Appends n bytes. Past the cap, appends what fits, sets truncated and
 * returns QVR_ERANGE; QVR_ENOMEM on allocation failure; 0 otherwise. */
int qvr_buf_append(struct qvr_buf *b, const void *p, size_t n);

/* printf-style append; same returns as qvr_buf_append. */
int qvr_buf_printf(struct qvr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Empties the buffer, keeping its memory and cap (truncated cleared). */
void qvr_buf_reset(struct qvr_buf *b);

/* Releases the memory; the buffer is then empty and can be reused. */
void qvr_buf_free(struct qvr_buf *b);

/* Appends one CSV field, quoted when it holds a comma, quote, line break or
 * edge space (RFC 4180), then "," or, when last, a line break. Returns 0,
 * or the first error of qvr_buf_append (the field may then be partial). */
int qvr_buf_csv_field(struct qvr_buf *b, const char *s, int last);

#endif
