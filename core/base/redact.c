/* redact.c -- see redact.h. */
#include "redact.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "qvr.h"

static const char MARK[] = "<redacted>";

void qvr_redact_init(struct qvr_redact *r)
{
    memset(r, 0, sizeof(*r));
    qvr_redact_add_name(r, "authorization");
    qvr_redact_add_name(r, "cookie");
    qvr_redact_add_name(r, "proxy-authorization");
}

void qvr_redact_setup(struct qvr_redact *r, int nnames, char *const *names,
                      const char *target, char *shown, size_t len)
{
    qvr_redact_init(r);
    for (int i = 0; i < nnames; i++)
        qvr_redact_add_name(r, names[i]);
    if (shown && len)
        qvr_redact_url(target ? target : "", shown, len);
}

void qvr_redact_fini(struct qvr_redact *r)
{
    for (int i = 0; i < r->nnames; i++)
        free(r->names[i]);
    for (int i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    memset(r, 0, sizeof(*r));
}

int qvr_redact_add_name(struct qvr_redact *r, const char *name)
{
    if (qvr_redact_is_secret(r, name, strlen(name)))
        return 0;
    if (r->nnames >= QVR_REDACT_MAX_NAMES)
        return QVR_ERANGE;
    char *n = strdup(name);
    if (!n)
        return QVR_ENOMEM;
    for (char *c = n; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    r->names[r->nnames++] = n;
    return 0;
}

/* 1 when name (len bytes, any case) ends with suffix. */
static int ends_with(const char *name, size_t len, const char *suffix)
{
    size_t sl = strlen(suffix);
    return len >= sl && strncasecmp(name + len - sl, suffix, sl) == 0;
}

/* Names that carry a credential by convention, whatever the scenario's
 * redact = {...} says: api-key (Azure), x-api-key, apikey, anything ending
 * in -token, -key, _token or _key, authorization, cookie. */
static int secret_by_name(const char *name, size_t len)
{
    static const char *const exact[] = {"authorization", "proxy-authorization",
                                        "cookie",        "apikey",
                                        "x-apikey",      NULL};
    static const char *const suffix[] = {"-key", "_key", "-token", "_token",
                                         NULL};
    for (int i = 0; exact[i]; i++)
        if (strlen(exact[i]) == len && strncasecmp(exact[i], name, len) == 0)
            return 1;
    for (int i = 0; suffix[i]; i++)
        if (ends_with(name, len, suffix[i]))
            return 1;
    return 0;
}

int qvr_redact_is_secret(const struct qvr_redact *r, const char *name,
                         size_t len)
{
    if (secret_by_name(name, len))
        return 1;
    for (int i = 0; i < r->nnames; i++)
        if (strlen(r->names[i]) == len &&
            strncasecmp(r->names[i], name, len) == 0)
            return 1;
    return 0;
}

/* ---- the process-wide table ---------------------------------------------
 *
 * Every value learned anywhere (any user, any worker thread, env() while
 * the scenario loads) lands here, under g_mu. Values [0, g_npinned) are
 * pinned (env()) and never give way; the others are replaced oldest first.
 * g_gen counts changes: a run's mirror copies the table when its gen is
 * behind, so that the per-request paths (checks, header values already
 * known) take no lock. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_values[QVR_REDACT_MAX_VALUES];
static int g_nvalues, g_npinned;
static atomic_uint g_gen;

static char *log_filter(const char *line)
{
    return qvr_redact_text(NULL, line);
}

static int known(char *const *values, int n, const char *v, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(values[i]) == len && memcmp(values[i], v, len) == 0)
            return 1;
    return 0;
}

/* Adds one value to the table (g_mu held). */
static void global_add_locked(const char *v, size_t len, int pin);

/* The value as a JSON string's contents (RFC 8259: \" \\ and \u00xx for
 * control characters), with '/' also written \/ when slash is 1 (as PHP
 * and some others do), into a new string; NULL when it is the value itself
 * or out of memory. */
static char *json_form(const char *v, size_t len, int slash)
{
    struct qvr_buf b;
    int changed = 0, rc = 0;
    qvr_buf_init(&b, 0);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == '\\' || (slash && c == '/')) {
            rc |= qvr_buf_printf(&b, "\\%c", c);
            changed = 1;
        } else if (c < 0x20) {
            rc |= qvr_buf_printf(&b, "\\u%04x", c);
            changed = 1;
        } else {
            rc |= qvr_buf_append(&b, &v[i], 1);
        }
    }
    if (!changed || rc < 0 || !b.data) {
        qvr_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* Adds v and the forms a server that echoes it inside JSON writes it in:
 * a token with a quote, backslash or slash comes back escaped (g_mu
 * held). */
static void global_add_forms_locked(const char *v, size_t len, int pin)
{
    global_add_locked(v, len, pin);
    for (int slash = 0; slash < 2; slash++) {
        char *e = json_form(v, len, slash);
        if (e) {
            global_add_locked(e, strlen(e), pin);
            free(e);
        }
    }
}

static void global_add_locked(const char *v, size_t len, int pin)
{
    if (len < 4 || known(g_values, g_nvalues, v, len))
        return;
    char *copy = strndup(v, len);
    if (!copy)
        return;
    pin = pin && g_npinned < QVR_REDACT_MAX_PINNED;
    if (g_nvalues == QVR_REDACT_MAX_VALUES) {
        /* the oldest unpinned value gives way (there is one: pinned
         * values are at most half the table) */
        free(g_values[g_npinned]);
        memmove(g_values + g_npinned, g_values + g_npinned + 1,
                sizeof(g_values[0]) *
                    (size_t)(QVR_REDACT_MAX_VALUES - 1 - g_npinned));
        g_nvalues--;
    }
    if (pin) {
        memmove(g_values + g_npinned + 1, g_values + g_npinned,
                sizeof(g_values[0]) * (size_t)(g_nvalues - g_npinned));
        g_values[g_npinned++] = copy;
    } else {
        g_values[g_nvalues] = copy;
    }
    g_nvalues++;
    if (atomic_fetch_add(&g_gen, 1) == 0)
        qvr_log_set_filter(log_filter); /* the first secret: stderr too */
}

/* Copies the table into r when r is behind. */
static void sync_mirror(struct qvr_redact *r)
{
    if (r->gen == atomic_load(&g_gen))
        return;
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    r->nvalues = 0;
    for (int i = 0; i < g_nvalues; i++) {
        char *c = strdup(g_values[i]);
        if (c)
            r->values[r->nvalues++] = c;
    }
    r->gen = atomic_load(&g_gen);
    pthread_mutex_unlock(&g_mu);
}

/* Learns v and, for "Bearer <token>", the token alone. */
static void add_value(struct qvr_redact *r, const char *v, size_t len, int pin)
{
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    const char *sp = memchr(v, ' ', len);
    size_t tlen = sp ? len - (size_t)(sp + 1 - v) : 0;
    /* Known to the mirror (every request after the first): no lock. */
    if (r && r->gen == atomic_load(&g_gen) &&
        (len < 4 || known(r->values, r->nvalues, v, len)) &&
        (!sp || tlen < 4 || known(r->values, r->nvalues, sp + 1, tlen)))
        return;
    pthread_mutex_lock(&g_mu);
    global_add_forms_locked(v, len, pin);
    if (sp)
        global_add_forms_locked(sp + 1, tlen, pin);
    pthread_mutex_unlock(&g_mu);
    if (r)
        sync_mirror(r);
}

void qvr_redact_add_value(struct qvr_redact *r, const char *v, size_t len)
{
    add_value(r, v, len, 0);
}

void qvr_redact_learn(const char *v, size_t len)
{
    add_value(NULL, v, len, 1);
}

int qvr_redact_env_key_is_secret(const char *key)
{
    static const char *const words[] = {
        "TOKEN",  "SECRET", "PASSWORD",   "PASSWD",  "API_KEY",
        "APIKEY", "AUTH",   "CREDENTIAL", "PRIVATE", NULL};
    char up[256];
    size_t n = strlen(key);
    if (n >= sizeof(up))
        n = sizeof(up) - 1;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        up[i] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    up[n] = 0;
    for (int i = 0; words[i]; i++)
        if (strstr(up, words[i]))
            return 1;
    return 0;
}

/* Length of the longest value matching at p, 0 if none. */
static size_t match_at(char *const *values, int n, const char *p)
{
    size_t best = 0;
    for (int i = 0; i < n; i++) {
        if (values[i][0] != *p)
            continue;
        size_t len = strlen(values[i]);
        if (len > best && strncmp(p, values[i], len) == 0)
            best = len;
    }
    return best;
}

/* The redacted copy of text, or NULL (nothing to replace, *oom 0; or out
 * of memory, *oom 1). */
static char *redact_values(char *const *values, int n, const char *text,
                           int *oom)
{
    *oom = 0;
    const char *p = text;
    size_t m = 0;
    while (*p && !(m = match_at(values, n, p)))
        p++;
    if (!m)
        return NULL;
    struct qvr_buf b;
    int rc = 0;
    qvr_buf_init(&b, 0);
    rc |= qvr_buf_append(&b, text, (size_t)(p - text));
    while (*p) {
        m = match_at(values, n, p);
        if (m) {
            rc |= qvr_buf_append(&b, MARK, sizeof(MARK) - 1);
            p += m;
        } else {
            rc |= qvr_buf_append(&b, p, 1);
            p++;
        }
    }
    if (rc < 0 || !b.data) {
        qvr_buf_free(&b);
        *oom = 1;
        return NULL;
    }
    return b.data;
}

const char *qvr_redact_str(struct qvr_redact *r, const char *text,
                           char **tofree)
{
    char *out;
    int oom;
    *tofree = NULL;
    if (r) {
        sync_mirror(r);
        if (r->nvalues == 0)
            return text;
        out = redact_values(r->values, r->nvalues, text, &oom);
    } else {
        if (atomic_load(&g_gen) == 0)
            return text;
        pthread_mutex_lock(&g_mu);
        out = redact_values(g_values, g_nvalues, text, &oom);
        pthread_mutex_unlock(&g_mu);
    }
    if (oom)
        return MARK;
    *tofree = out;
    return out ? out : text;
}

char *qvr_redact_text(struct qvr_redact *r, const char *text)
{
    char *tofree;
    const char *s = qvr_redact_str(r, text, &tofree);
    return tofree ? tofree : strdup(s);
}

void qvr_redact_url(const char *url, char *out, size_t len)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *end = host + strcspn(host, "/?#");
    const char *at = NULL;
    for (const char *c = host; c < end; c++)
        if (*c == '@')
            at = c;
    const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
    if (!colon) {
        snprintf(out, len, "%s", url);
        return;
    }
    snprintf(out, len, "%.*s:%s%s", (int)(colon - url), url, MARK, at);
}
