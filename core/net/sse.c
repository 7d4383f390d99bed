/* sse.c -- streamed answers: SSE / NDJSON framing and tokens (see sse.h).
 *
 * Bytes go into the line buffer up to a line end; a complete line is a
 * field of the SSE event being built (a blank line dispatches it) or, in
 * NDJSON, an event of its own. Each event's JSON is read once with cJSON. */
#include "sse.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

void qvr_sse_init(struct qvr_sse *s)
{
    memset(s, 0, sizeof(*s));
    s->cap = QVR_SSE_CAP;
    s->mode = QVR_SSE_EVENTS;
}

void qvr_sse_begin(struct qvr_sse *s, enum qvr_sse_mode mode,
                   qvr_sse_gap_cb on_gap, void *ud, struct qvr_buf *text)
{
    if (!s->cap)
        s->cap = QVR_SSE_CAP;
    s->mode = mode;
    /* one byte of slack: a line of exactly cap bytes is kept */
    s->line.max = s->cap + 1;
    s->data.max = s->cap + 1;
    qvr_buf_reset(&s->line);
    qvr_buf_reset(&s->data);
    s->skipping = s->after_cr = s->has_data = s->broken = 0;
    s->event[0] = s->id[0] = 0;
    memset(&s->st, 0, sizeof(s->st));
    s->on_gap = on_gap;
    s->ud = ud;
    s->text = text;
}

void qvr_sse_free(struct qvr_sse *s)
{
    if (!s)
        return;
    qvr_buf_free(&s->line);
    qvr_buf_free(&s->data);
}

int qvr_sse_complete(const struct qvr_sse *s)
{
    return s->st.done || s->st.finished;
}

uint64_t qvr_sse_out_tokens(const struct qvr_sse *s)
{
    return s->st.has_usage ? s->st.out_tokens : s->st.outputs;
}

static void note_error(struct qvr_sse *s, const cJSON *err)
{
    s->st.errors++;
    if (s->st.error[0])
        return;
    const char *msg = NULL;
    if (cJSON_IsString(err))
        msg = err->valuestring;
    else if (cJSON_IsObject(err)) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
        if (cJSON_IsString(m))
            msg = m->valuestring;
    }
    snprintf(s->st.error, sizeof(s->st.error), "%s",
             msg && *msg ? msg : "error event in the stream");
}

/* One piece of output text arrived at t. */
static void output(struct qvr_sse *s, const char *txt, uint64_t t)
{
    if (s->text)
        qvr_buf_append(s->text, txt, strlen(txt)); /* capped by its max */
    s->st.outputs++;
    if (!s->st.t_first_ns) {
        s->st.t_first_ns = t ? t : 1;
    } else if (s->on_gap) {
        s->on_gap(s->ud, t > s->st.t_last_ns ? t - s->st.t_last_ns : 0);
    }
    s->st.t_last_ns = t ? t : 1;
}

static int nonempty_string(const cJSON *j)
{
    return cJSON_IsString(j) && j->valuestring && j->valuestring[0];
}

static uint64_t count_of(const cJSON *j)
{
    return cJSON_IsNumber(j) && j->valuedouble > 0 ? (uint64_t)j->valuedouble
                                                   : 0;
}

/* Reads one event's JSON: OpenAI (choices, usage, error) or Ollama
 * (message, response, done, eval counts). Text of every choice in one
 * event counts as one output event (its tokens arrived together). */
static void tokens(struct qvr_sse *s, const cJSON *j, uint64_t t)
{
    if (!cJSON_IsObject(j))
        return;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (err && !cJSON_IsNull(err))
        note_error(s, err);
    const char *txt = NULL;
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(j, "choices");
    const cJSON *c;
    if (!cJSON_IsArray(choices))
        choices = NULL;
    cJSON_ArrayForEach(c, choices)
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(c, "delta");
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(d, "content");
        if (!nonempty_string(x))
            x = cJSON_GetObjectItemCaseSensitive(d, "reasoning_content");
        if (!nonempty_string(x))
            x = cJSON_GetObjectItemCaseSensitive(c, "text");
        if (nonempty_string(x) && !txt)
            txt = x->valuestring;
        const cJSON *fr = cJSON_GetObjectItemCaseSensitive(c, "finish_reason");
        if (cJSON_IsString(fr))
            s->st.finished = 1;
    }
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "usage");
    if (cJSON_IsObject(u)) {
        s->st.has_usage = 1;
        s->st.in_tokens =
            count_of(cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens"));
        s->st.out_tokens =
            count_of(cJSON_GetObjectItemCaseSensitive(u, "completion_tokens"));
    }
    /* Ollama: /api/chat's message.content, /api/generate's response */
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (!txt && nonempty_string(mc))
        txt = mc->valuestring;
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(j, "response");
    if (!txt && nonempty_string(resp))
        txt = resp->valuestring;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "done"))) {
        s->st.done = 1;
        const cJSON *ec = cJSON_GetObjectItemCaseSensitive(j, "eval_count");
        if (cJSON_IsNumber(ec)) {
            s->st.has_usage = 1;
            s->st.out_tokens = count_of(ec);
            s->st.in_tokens = count_of(
                cJSON_GetObjectItemCaseSensitive(j, "prompt_eval_count"));
        }
    }
    if (txt)
        output(s, txt, t);
}

/* One event's data (NUL-terminated at data[len]). */
static void event(struct qvr_sse *s, const char *data, size_t len, uint64_t t)
{
    s->st.events++;
    if (s->mode == QVR_SSE_EVENTS && len == 6 &&
        memcmp(data, "[DONE]", 6) == 0) {
        s->st.done = 1;
        return;
    }
    int is_error = strcmp(s->event, "error") == 0;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    while (j && end < data + len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (j && end != data + len) { /* a value, then more: not one event */
        cJSON_Delete(j);
        j = NULL;
    }
    if (!j) {
        if (is_error) {
            s->st.errors++;
            if (!s->st.error[0])
                snprintf(s->st.error, sizeof(s->st.error), "%.*s",
                         (int)(len < 150 ? len : 150), data);
        } else {
            s->st.malformed++;
        }
        return;
    }
    if (is_error && !cJSON_GetObjectItemCaseSensitive(j, "error"))
        note_error(s, j);
    tokens(s, j, t);
    cJSON_Delete(j);
}

static void reset_event(struct qvr_sse *s)
{
    qvr_buf_reset(&s->data);
    s->has_data = 0;
    s->broken = 0;
    s->event[0] = 0;
}

static void dispatch(struct qvr_sse *s, uint64_t t)
{
    if (s->broken)
        s->st.malformed++;
    else if (s->has_data) {
        size_t n = s->data.len;
        if (n && s->data.data[n - 1] == '\n')
            n--; /* the last data line's own line feed */
        if (s->data.data)
            s->data.data[n] = 0;
        event(s, s->data.data ? s->data.data : "", n, t);
    }
    reset_event(s);
}

/* One SSE line (without its end). */
static void sse_line(struct qvr_sse *s, const char *p, size_t n, uint64_t t)
{
    if (n == 0) {
        dispatch(s, t);
        return;
    }
    if (p[0] == ':')
        return; /* a comment (keep-alive) */
    const char *colon = memchr(p, ':', n);
    size_t fl = colon ? (size_t)(colon - p) : n;
    const char *v = colon ? colon + 1 : p + n;
    size_t vl = (size_t)(p + n - v);
    if (vl && *v == ' ') {
        v++;
        vl--;
    }
    if (fl == 4 && memcmp(p, "data", 4) == 0) {
        s->has_data = 1;
        if (s->broken)
            return;
        if (s->data.len + vl + 1 > s->cap ||
            qvr_buf_append(&s->data, v, vl) < 0 ||
            qvr_buf_append(&s->data, "\n", 1) < 0)
            s->broken = 1;
    } else if (fl == 5 && memcmp(p, "event", 5) == 0) {
        size_t k = vl < sizeof(s->event) - 1 ? vl : sizeof(s->event) - 1;
        memcpy(s->event, v, k);
        s->event[k] = 0;
    } else if (fl == 2 && memcmp(p, "id", 2) == 0) {
        size_t k = vl < sizeof(s->id) - 1 ? vl : sizeof(s->id) - 1;
        memcpy(s->id, v, k);
        s->id[k] = 0;
    }
    /* retry and unknown fields are ignored, as the standard says */
}

static void ndjson_line(struct qvr_sse *s, const char *p, size_t n, uint64_t t)
{
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n)
        event(s, p, n, t);
}

static void end_line(struct qvr_sse *s, uint64_t t)
{
    if (s->skipping) {
        s->skipping = 0;
        qvr_buf_reset(&s->line);
        if (s->mode == QVR_SSE_EVENTS)
            s->broken = 1; /* its event is dropped when it ends */
        else
            s->st.malformed++;
        return;
    }
    const char *p = s->line.data ? s->line.data : "";
    size_t n = s->line.len;
    if (s->mode == QVR_SSE_EVENTS)
        sse_line(s, p, n, t);
    else
        ndjson_line(s, p, n, t);
    qvr_buf_reset(&s->line);
}

void qvr_sse_feed(struct qvr_sse *s, const char *p, size_t n, uint64_t t_ns)
{
    s->st.bytes += n;
    size_t i = 0;
    while (i < n) {
        char c = p[i];
        if (s->after_cr) {
            s->after_cr = 0;
            if (c == '\n') {
                i++;
                continue; /* CRLF: the CR ended the line */
            }
        }
        if (c == '\r' || c == '\n') {
            end_line(s, t_ns);
            s->after_cr = c == '\r';
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && p[j] != '\r' && p[j] != '\n')
            j++;
        if (!s->skipping) {
            if (s->line.len + (j - i) > s->cap ||
                qvr_buf_append(&s->line, p + i, j - i) < 0) {
                s->skipping = 1;
                qvr_buf_reset(&s->line);
            }
        }
        i = j;
    }
}

void qvr_sse_finish(struct qvr_sse *s, uint64_t t_ns)
{
    if (s->mode == QVR_SSE_NDJSON && (s->line.len || s->skipping))
        end_line(s, t_ns);
    qvr_buf_reset(&s->line);
    s->skipping = 0;
    reset_event(s);
}
