/* redact.c -- see redact.h. */
#include "redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "qvr.h"

static const char MARK[] = "<redacted>";

void qvr_redact_init(struct qvr_redact *r)
{
    memset(r, 0, sizeof(*r));
    qvr_redact_add_name(r, "authorization");
    qvr_redact_add_name(r, "cookie");
    qvr_redact_add_name(r, "proxy-authorization");
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

int qvr_redact_is_secret(const struct qvr_redact *r, const char *name,
                         size_t len)
{
    for (int i = 0; i < r->nnames; i++)
        if (strlen(r->names[i]) == len &&
            strncasecmp(r->names[i], name, len) == 0)
            return 1;
    return 0;
}

static void add_one(struct qvr_redact *r, const char *v, size_t len)
{
    if (len < 4)
        return;
    for (int i = 0; i < r->nvalues; i++)
        if (strlen(r->values[i]) == len && memcmp(r->values[i], v, len) == 0)
            return;
    char *copy = strndup(v, len);
    if (!copy)
        return;
    if (r->nvalues == QVR_REDACT_MAX_VALUES) {
        free(r->values[0]);
        memmove(r->values, r->values + 1,
                sizeof(r->values[0]) * (QVR_REDACT_MAX_VALUES - 1));
        r->nvalues--;
    }
    r->values[r->nvalues++] = copy;
}

void qvr_redact_add_value(struct qvr_redact *r, const char *v, size_t len)
{
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    add_one(r, v, len);
    const char *sp = memchr(v, ' ', len);
    if (sp) /* "Bearer <token>": the token alone too */
        add_one(r, sp + 1, len - (size_t)(sp + 1 - v));
}

char *qvr_redact_text(const struct qvr_redact *r, const char *text)
{
    if (!r || r->nvalues == 0)
        return strdup(text);
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    const char *p = text;
    while (*p) {
        size_t best = 0;
        for (int i = 0; i < r->nvalues; i++) {
            size_t n = strlen(r->values[i]);
            if (n > best && strncmp(p, r->values[i], n) == 0)
                best = n;
        }
        if (best) {
            qvr_buf_append(&b, MARK, sizeof(MARK) - 1);
            p += best;
        } else {
            qvr_buf_append(&b, p, 1);
            p++;
        }
    }
    qvr_buf_append(&b, "", 0);
    if (!b.data)
        return strdup("");
    return b.data;
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
