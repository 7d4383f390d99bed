/* redact.h -- secrets never leave in results, logs or errors.
 *
 * Secret values are learned (1) when a request sends a header named
 * Authorization, Cookie, Proxy-Authorization, api-key, apikey, x-apikey,
 * or ending in -key, _key, -token or _token (any case), or any name in the
 * scenario's `redact = {...}`, and (2) when the scenario reads env(KEY) with a
 * KEY that looks secret (qvr_redact_env_key_is_secret: TOKEN, SECRET, PASSWORD,
 * ...), which happens at load time, before any request. Every value learned by
 * any user or worker thread goes to one process-wide table; each run (and
 * `qvrrun monitor`, set up the same way by qvr_redact_setup) keeps a
 * lock-free mirror of it (struct qvr_redact) for the hot paths.
 *
 * Any text qvrrun writes that came from user code or the target (log()
 * lines, task errors, check labels, fail() messages, failure messages) goes
 * through qvr_redact_text, which replaces each known value with
 * "<redacted>"; once a value is known, every line written to stderr through
 * log.c is filtered the same way, and summary.json's checks and errors are
 * redacted again when written, so a secret learned late is still caught
 * there. URLs lose the password of their user-info. */
#ifndef QVR_REDACT_H
#define QVR_REDACT_H

#include <stddef.h>

#define QVR_REDACT_MAX_NAMES 16
#define QVR_REDACT_MAX_VALUES 64
/* Values learned from env() stay for the whole process (never give way to
 * newer ones), up to this many. */
#define QVR_REDACT_MAX_PINNED 32

struct qvr_redact {
    int nnames;
    char *names[QVR_REDACT_MAX_NAMES]; /* lower-case header names, owned */
    int nvalues;
    char *values[QVR_REDACT_MAX_VALUES]; /* mirror of the process-wide
                                            values, owned */
    unsigned gen; /* the process-wide table's generation mirrored */
};

/* Starts with the three standard names. */
void qvr_redact_init(struct qvr_redact *r);

/* What a run (each worker) and a monitor set up before their first
 * request: qvr_redact_init plus the scenario's extra header names (its
 * `redact = {...}`, nnames of them, names may be NULL when 0), and in
 * shown (len bytes) target with the password of its URL redacted (as
 * qvr_redact_url), the target to print. target may be NULL (shown is then
 * ""). */
void qvr_redact_setup(struct qvr_redact *r, int nnames, char *const *names,
                      const char *target, char *shown, size_t len);

/* Frees everything; the struct can be initialised again. */
void qvr_redact_fini(struct qvr_redact *r);

/* Adds a header name (case-insensitive) whose values are secret. */
int qvr_redact_add_name(struct qvr_redact *r, const char *name);

/* 1 if the header name (len bytes) is a secret one: one of r's names or
 * a name that carries a credential by convention (see the top). */
int qvr_redact_is_secret(const struct qvr_redact *r, const char *name,
                         size_t len);

/* Remembers a secret value process-wide (ignored when shorter than 4
 * bytes or already known; when the table is full the oldest value that is
 * not pinned gives way). For "Bearer xyz" and "Basic xyz" the token alone
 * is remembered too, and for a value with a quote, backslash, slash or
 * control character its JSON-escaped forms (\" \\ \u00xx, with and
 * without \/), as a target that echoes it inside JSON writes it. r (the
 * caller's mirror) may be NULL. Thread-safe for distinct r. */
void qvr_redact_add_value(struct qvr_redact *r, const char *v, size_t len);

/* As qvr_redact_add_value with no mirror, the value pinned: for values
 * known before any request (env() of a secret-looking key). */
void qvr_redact_learn(const char *v, size_t len);

/* 1 if an environment key names a secret: it contains, ignoring case and
 * reading '-' as '_', TOKEN, SECRET, PASSWORD, PASSWD, API_KEY, APIKEY,
 * AUTH, CREDENTIAL or PRIVATE. */
int qvr_redact_env_key_is_secret(const char *key);

/* A copy of text with every known value replaced by "<redacted>": those of
 * r's mirror (refreshed first), or with r NULL those of the process-wide
 * table. The caller frees it with free(). NULL on allocation failure. */
char *qvr_redact_text(struct qvr_redact *r, const char *text);

/* text itself when it holds no known value (no allocation: for check
 * labels on every request), else a redacted copy, also stored in *tofree
 * for the caller to free (*tofree is NULL otherwise). r may be NULL as
 * for qvr_redact_text. Never NULL: "<redacted>" when out of memory. */
const char *qvr_redact_str(struct qvr_redact *r, const char *text,
                           char **tofree);

/* Writes url to out with the password of any user-info replaced:
 * "http://u:secret@h/" -> "http://u:<redacted>@h/". */
void qvr_redact_url(const char *url, char *out, size_t len);

#endif
