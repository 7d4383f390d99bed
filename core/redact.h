/* redact.h -- secrets never leave in results, logs or errors.
 *
 * The values of Authorization, Cookie, Proxy-Authorization and every header
 * named in the scenario's `redact = {...}` are remembered when a request
 * sends them; any text qvrrun writes that came from user code or the target
 * (log() lines, task errors, failure messages) goes through
 * qvr_redact_text, which replaces each remembered value with "<redacted>".
 * URLs lose the password of their user-info. */
#ifndef QVR_REDACT_H
#define QVR_REDACT_H

#include <stddef.h>

#define QVR_REDACT_MAX_NAMES 16
#define QVR_REDACT_MAX_VALUES 64

struct qvr_redact {
    int nnames;
    char *names[QVR_REDACT_MAX_NAMES]; /* lower-case header names, owned */
    int nvalues;
    char *values[QVR_REDACT_MAX_VALUES]; /* secret values seen, owned */
};

/* Starts with the three standard names. */
void qvr_redact_init(struct qvr_redact *r);

/* Frees everything; the struct can be initialised again. */
void qvr_redact_fini(struct qvr_redact *r);

/* Adds a header name (case-insensitive) whose values are secret. */
int qvr_redact_add_name(struct qvr_redact *r, const char *name);

/* 1 if the header name (len bytes) is a secret one. */
int qvr_redact_is_secret(const struct qvr_redact *r, const char *name,
                         size_t len);

/* Remembers a secret value (ignored when shorter than 4 bytes, already
 * known, or the table is full; then the oldest value is replaced). For
 * "Bearer xyz" and "Basic xyz" the token alone is remembered too. */
void qvr_redact_add_value(struct qvr_redact *r, const char *v, size_t len);

/* A copy of text with every remembered value replaced by "<redacted>".
 * The caller frees it with free(). NULL on allocation failure. */
char *qvr_redact_text(const struct qvr_redact *r, const char *text);

/* Writes url to out with the password of any user-info replaced:
 * "http://u:secret@h/" -> "http://u:<redacted>@h/". */
void qvr_redact_url(const char *url, char *out, size_t len);

#endif
