/* l_http.c -- the `http` and `json` Lua modules and the response object.
 *
 * http.get/post/request check their arguments (misuse raises, an unknown
 * option key too: {jsn = ...} would silently send no body), start the
 * transfer through the running VU and yield; the VU resumes the coroutine
 * with a response table when the transfer completes. A transport failure is
 * data in that table (r.err, r.kind), never a Lua error. */
#include "l_http.h"

#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "l_qvr.h"
#include "qvr.h"
#include "suggest.h"
#include "vu.h"

#define RESPONSE_MT "qvr.response"
#define MAX_HEADERS 64
#define JSON_MAX_DEPTH 200

/* ---- JSON <-> Lua through cJSON ---------------------------------------- */

static int json_null_key; /* address used as the json.null sentinel */
#define JSON_NULL ((void *)&json_null_key)

static cJSON *to_json(lua_State *L, int idx, int depth, size_t *size);

static int is_array(lua_State *L, int idx, lua_Integer *len)
{
    lua_Integer n = 0, max = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
            lua_pop(L, 1);
            return 0;
        }
        lua_Integer k = lua_tointeger(L, -1);
        if (k > max)
            max = k;
        n++;
    }
    *len = n;
    return n > 0 && max == n;
}

/* The cJSON tree of the Lua value at idx. Strings are referenced, not
 * copied (a 27 MB data: URL would otherwise be held twice): the tree lives
 * only while the value at idx does, and nothing in between runs Lua code.
 * *size grows by an estimate of the printed length (exact for strings
 * that need no escaping), so the printer needs no growing buffer. */
static cJSON *to_json(lua_State *L, int idx, int depth, size_t *size)
{
    idx = lua_absindex(L, idx);
    *size += 32; /* a number, a literal, punctuation */
    if (depth > JSON_MAX_DEPTH)
        luaL_error(L, "json: nesting deeper than %d (a cycle?)",
                   JSON_MAX_DEPTH);
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return cJSON_CreateNull();
    case LUA_TBOOLEAN:
        return cJSON_CreateBool(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        return cJSON_CreateNumber(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t n;
        const char *str = lua_tolstring(L, idx, &n);
        *size += n;
        return cJSON_CreateStringReference(str);
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == JSON_NULL)
            return cJSON_CreateNull();
        break;
    case LUA_TTABLE: {
        lua_Integer n;
        luaL_checkstack(L, 4, "json");
        if (is_array(L, idx, &n)) {
            cJSON *a = cJSON_CreateArray();
            for (lua_Integer i = 1; a && i <= n; i++) {
                lua_rawgeti(L, idx, i);
                cJSON_AddItemToArray(a, to_json(L, -1, depth + 1, size));
                lua_pop(L, 1);
            }
            return a;
        }
        cJSON *o = cJSON_CreateObject();
        lua_pushnil(L);
        while (o && lua_next(L, idx)) {
            if (lua_type(L, -2) != LUA_TSTRING &&
                lua_type(L, -2) != LUA_TNUMBER) {
                cJSON_Delete(o);
                luaL_error(L, "json: object keys must be strings");
            }
            lua_pushvalue(L, -2);
            size_t kl;
            const char *k = lua_tolstring(L, -1, &kl); /* a copy: no harm to
                                                          lua_next */
            *size += kl + 4;
            cJSON_AddItemToObject(o, k, to_json(L, -2, depth + 1, size));
            lua_pop(L, 2);
        }
        return o;
    }
    default:
        break;
    }
    luaL_error(L, "json: cannot encode a %s", luaL_typename(L, idx));
    return NULL;
}

void qvr_l_json_encode(lua_State *L, int idx)
{
    size_t size = 64;
    cJSON *j = to_json(L, idx, 0, &size);
    /* one buffer of the estimated size; cJSON grows it only if escapes
     * made the text longer */
    char *s = j && size < INT_MAX ? cJSON_PrintBuffered(j, (int)size, 0) : NULL;
    cJSON_Delete(j);
    if (!s)
        luaL_error(L, "json: out of memory");
    lua_pushstring(L, s);
    cJSON_free(s);
}

static void push_json(lua_State *L, const cJSON *j)
{
    luaL_checkstack(L, 3, "json nesting");
    if (cJSON_IsNull(j)) {
        lua_pushlightuserdata(L, JSON_NULL);
    } else if (cJSON_IsBool(j)) {
        lua_pushboolean(L, cJSON_IsTrue(j));
    } else if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == (double)(lua_Integer)d && d > -9.0e15 && d < 9.0e15)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    } else if (cJSON_IsString(j)) {
        lua_pushstring(L, j->valuestring);
    } else if (cJSON_IsArray(j)) {
        lua_createtable(L, cJSON_GetArraySize(j), 0);
        lua_Integer i = 1;
        for (const cJSON *c = j->child; c; c = c->next) {
            push_json(L, c);
            lua_rawseti(L, -2, i++);
        }
    } else if (cJSON_IsObject(j)) {
        lua_createtable(L, 0, 4);
        for (const cJSON *c = j->child; c; c = c->next) {
            push_json(L, c);
            lua_setfield(L, -2, c->string);
        }
    } else {
        lua_pushnil(L);
    }
}

/* Pushes the decoded value, or nil and a message. */
int qvr_l_json_decode(lua_State *L, const char *s, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(s, len);
    if (!j) {
        lua_pushnil(L);
        lua_pushstring(L, "invalid JSON");
        return 2;
    }
    push_json(L, j);
    cJSON_Delete(j);
    return 1;
}

static int l_json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    qvr_l_json_encode(L, 1);
    return 1;
}

static int l_json_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    return qvr_l_json_decode(L, s, len);
}

int qvr_luaopen_json(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"encode", l_json_encode}, {"decode", l_json_decode}, {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushlightuserdata(L, JSON_NULL);
    lua_setfield(L, -2, "null");
    return 1;
}

/* ---- the response object ------------------------------------------------ */

/* A response table holds what scripts read on every request (status, ok,
 * body, time; kind and err on failure) as plain fields. The rest -- name,
 * version, headers, timings and the sequence number that ties a check to its
 * request -- waits in one userdata ("_x") and becomes Lua values only when a
 * script asks: a response costs one table, one body string and one block. */
struct resp_x {
    uint64_t seq;
    double svc_ms, ttfb_ms, conn_ms, tls_ms;
    int version; /* 10, 11, 20, 30; 0: unknown */
    size_t name_len;
    size_t head_len;
    char data[]; /* the name, a NUL, the raw header block */
};

static const struct resp_x *resp_x(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return NULL;
    lua_pushliteral(L, "_x");
    lua_rawget(L, idx);
    const struct resp_x *x = lua_type(L, -1) == LUA_TUSERDATA
                                 ? (const struct resp_x *)lua_touserdata(L, -1)
                                 : NULL;
    lua_pop(L, 1); /* the table keeps the block alive */
    return x;
}

uint64_t qvr_l_http_response_seq(lua_State *L, int idx)
{
    const struct resp_x *x = resp_x(L, idx);
    return x ? x->seq : 0;
}

/* r:json() / r.json(): the body decoded (nil, message when not JSON). */
static int resp_json(lua_State *L)
{
    lua_getfield(L, lua_upvalueindex(1), "body");
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (!s) {
        lua_pushnil(L);
        lua_pushstring(L, "no body");
        return 2;
    }
    return qvr_l_json_decode(L, s, len);
}

static void parse_headers(lua_State *L, const char *p, size_t len)
{
    const char *end = p + len;
    lua_createtable(L, 0, 8);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon && colon > p) {
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (const char *c = p; c < colon; c++)
                luaL_addchar(&b,
                             (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c));
            luaL_pushresult(&b);
            const char *v = colon + 1;
            const char *ve = eol;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            lua_pushlstring(L, v, (size_t)(ve - v));
            lua_rawset(L, -3);
        }
        p = eol + 1;
    }
}

static int resp_index(lua_State *L)
{
    const char *k = lua_tostring(L, 2);
    if (!k)
        return 0;
    if (strcmp(k, "json") == 0) {
        lua_pushvalue(L, 1);
        lua_pushcclosure(L, resp_json, 1);
        return 1;
    }
    const struct resp_x *x = resp_x(L, 1);
    if (!x)
        return 0;
    if (strcmp(k, "name") == 0) {
        lua_pushlstring(L, x->data, x->name_len);
        return 1;
    }
    if (strcmp(k, "version") == 0) {
        if (!x->version)
            return 0;
        lua_pushstring(L, x->version == 20   ? "2"
                          : x->version == 30 ? "3"
                          : x->version == 10 ? "1.0"
                                             : "1.1");
        return 1;
    }
    if (strcmp(k, "headers") == 0) {
        parse_headers(L, x->data + x->name_len + 1, x->head_len);
        lua_pushvalue(L, -1);
        lua_setfield(L, 1, "headers"); /* cache */
        return 1;
    }
    if (strcmp(k, "timings") == 0) {
        lua_createtable(L, 0, 5);
        lua_getfield(L, 1, "time");
        lua_setfield(L, -2, "response");
        lua_pushnumber(L, x->conn_ms);
        lua_setfield(L, -2, "connect");
        lua_pushnumber(L, x->tls_ms);
        lua_setfield(L, -2, "tls");
        lua_pushnumber(L, x->ttfb_ms);
        lua_setfield(L, -2, "ttfb");
        lua_pushnumber(L, x->svc_ms);
        lua_setfield(L, -2, "service");
        lua_pushvalue(L, -1);
        lua_setfield(L, 1, "timings");
        return 1;
    }
    return 0;
}

/* A token stream's figures as plain fields of the response table: ttft,
 * ttft_service, tpot (ms; nil when not measured), tokens, input_tokens,
 * events, tokens_source and, when the request asked for it, text. */
static void push_stream(lua_State *co, const struct qvr_http_result *r,
                        const struct qvr_sample *s)
{
    const struct qvr_sse_stats *st = r->stream;
    if (s->ttft_us) {
        lua_pushnumber(co, (double)s->ttft_us / 1000.0);
        lua_setfield(co, -2, "ttft");
        lua_pushnumber(co, (double)s->ttft_svc_us / 1000.0);
        lua_setfield(co, -2, "ttft_service");
    }
    if (s->tpot_us) {
        lua_pushnumber(co, (double)s->tpot_us / 1000.0);
        lua_setfield(co, -2, "tpot");
    }
    lua_pushinteger(co, (lua_Integer)s->out_tokens);
    lua_setfield(co, -2, "tokens");
    lua_pushinteger(co, (lua_Integer)s->in_tokens);
    lua_setfield(co, -2, "input_tokens");
    lua_pushinteger(co, (lua_Integer)st->events);
    lua_setfield(co, -2, "events");
    lua_pushstring(co, s->usage ? "usage" : "events");
    lua_setfield(co, -2, "tokens_source");
    if (st->finished || st->done) {
        lua_pushboolean(co, 1);
        lua_setfield(co, -2, "complete");
    }
    struct qvr_vu *vu = qvr_vu_current(co);
    if (vu && vu->want_text) {
        lua_pushlstring(co, vu->text.data, vu->text.len);
        lua_setfield(co, -2, "text");
    }
}

void qvr_l_http_push_response(lua_State *co, const struct qvr_http_result *r,
                              const struct qvr_sample *s, const char *name,
                              uint64_t seq)
{
    int failed = s->fail != QVR_FAIL_NONE || r->fail != QVR_FAIL_NONE;
    lua_createtable(co, 0, failed ? 7 : 5);
    lua_pushinteger(co, r->status);
    lua_setfield(co, -2, "status");
    lua_pushboolean(co, s->fail == QVR_FAIL_NONE);
    lua_setfield(co, -2, "ok");
    lua_pushlstring(co, r->body, r->body_len);
    lua_setfield(co, -2, "body");
    lua_pushnumber(co, (double)s->response_us / 1000.0);
    lua_setfield(co, -2, "time");
    if (s->fail != QVR_FAIL_NONE) {
        lua_pushstring(co, qvr_fail_kind_name(s->fail));
        lua_setfield(co, -2, "kind");
    }
    if (r->fail != QVR_FAIL_NONE) {
        lua_pushstring(co, r->error ? r->error : "transport error");
        lua_setfield(co, -2, "err");
    } else if (r->stream && r->stream->error[0] &&
               s->fail == QVR_FAIL_STREAM_ERROR) {
        lua_pushstring(co, r->stream->error);
        lua_setfield(co, -2, "err");
    }
    if (r->stream)
        push_stream(co, r, s);
    size_t nl = name ? strlen(name) : 0;
    size_t hl = r->headers ? r->headers_len : 0;
    struct resp_x *x = lua_newuserdatauv(co, sizeof(*x) + nl + 1 + hl, 0);
    x->seq = seq;
    x->svc_ms = (double)s->service_us / 1000.0;
    x->ttfb_ms = (double)s->ttfb_us / 1000.0;
    x->conn_ms = (double)s->connect_us / 1000.0;
    x->tls_ms = (double)s->tls_us / 1000.0;
    x->version = (int)r->http_version;
    x->name_len = nl;
    x->head_len = hl;
    if (nl)
        memcpy(x->data, name, nl);
    x->data[nl] = 0;
    if (hl)
        memcpy(x->data + nl + 1, r->headers, hl);
    lua_setfield(co, -2, "_x");
    luaL_setmetatable(co, RESPONSE_MT);
}

/* ---- http.get / post / request ------------------------------------------ */

static int is_absolute(const char *u)
{
    return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

/* The request name when none is given: the URL's path without the query. */
static void default_name(const char *url, char *out, size_t outlen)
{
    const char *p = url;
    if (is_absolute(url)) {
        p = strchr(url + 8, '/');
        if (!p)
            p = "/";
    }
    size_t n = strcspn(p, "?#");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

/* Raises an error when a request name holds a control character (a line
 * break would split a row of latency.hlog or of a CSV file): names are
 * labels, printed in tables and written into every result file. The
 * message shows the name with the character escaped. */
static void check_name(lua_State *L, const char *fn, const char *name,
                       int given)
{
    const char *c = name;
    while (*c && (unsigned char)*c >= 0x20 && *c != 0x7f)
        c++;
    if (!*c)
        return;
    char shown[4 * 128 + 1];
    size_t o = 0;
    for (const char *p = name; *p && o + 5 < sizeof(shown); p++) {
        unsigned char b = (unsigned char)*p;
        if (b == '\n')
            o += (size_t)snprintf(shown + o, sizeof(shown) - o, "\\n");
        else if (b == '\r')
            o += (size_t)snprintf(shown + o, sizeof(shown) - o, "\\r");
        else if (b == '\t')
            o += (size_t)snprintf(shown + o, sizeof(shown) - o, "\\t");
        else if (b < 0x20 || b == 0x7f)
            o += (size_t)snprintf(shown + o, sizeof(shown) - o, "\\x%02x", b);
        else
            shown[o++] = (char)b;
    }
    shown[o] = 0;
    luaL_error(L,
               "%s: request name \"%s\" holds a control character: names go "
               "into result files and tables, give printable text%s",
               fn, shown, given ? "" : " (the name comes from the URL's path)");
}

static uint64_t opt_duration(lua_State *L, int idx, const char *what)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double s = lua_tonumber(L, idx);
        if (!(s > 0))
            luaL_error(L, "%s must be positive", what);
        return (uint64_t)(s * 1e9);
    }
    uint64_t ns;
    const char *t = lua_tostring(L, idx);
    if (!t || qvr_duration_parse(t, &ns) < 0 || ns == 0)
        luaL_error(L, "%s: bad duration '%s' (use e.g. \"30s\" or 2.5)", what,
                   t ? t : luaL_typename(L, idx));
    return ns;
}

/* Every option request() reads; anything else in the table is a typo
 * that would otherwise send a request the script did not mean. */
static const char *const OPTIONS[] = {
    "json",      "body",    "headers",
    "name",      "timeout", "stream",
    "keep_body", "text",    "first_token_timeout",
    NULL};
#define OPTIONS_TEXT                                                           \
    "json, body, headers, name, timeout, stream, keep_body, text, "            \
    "first_token_timeout"

/* Raises "http.post: unknown option 'jsn' (did you mean 'json'? ...)" for
 * the first key of the options table at idx that request() does not read. */
static void check_options(lua_State *L, int idx, const char *fn)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L,
                       "%s: options are name = value pairs (" OPTIONS_TEXT
                       "), got a %s key",
                       fn, luaL_typename(L, -1));
        const char *k = lua_tostring(L, -1);
        int i = 0;
        while (OPTIONS[i] && strcmp(k, OPTIONS[i]) != 0)
            i++;
        if (OPTIONS[i])
            continue;
        const char *best = qvr_suggest(k, OPTIONS, -1);
        if (best)
            luaL_error(L,
                       "%s: unknown option '%s' (did you mean '%s'? options "
                       "are " OPTIONS_TEXT ")",
                       fn, k, best);
        luaL_error(L, "%s: unknown option '%s' (options are " OPTIONS_TEXT ")",
                   fn, k);
    }
}

/* A header name is an RFC 9110 token: letters, digits and
 * !#$%&'*+-.^_`|~, at least one. */
static int header_name_ok(const char *k, size_t kl)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (kl == 0)
        return 0;
    for (size_t i = 0; i < kl; i++) {
        unsigned char c = (unsigned char)k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || (c && strchr(extra, c))))
            return 0;
    }
    return 1;
}

/* Raises "http.get: header 'X-A': ..." for a name that is not a token or
 * a value holding CR, LF, NUL or another control character (TAB aside):
 * sent as given, such a value would add headers or a second request (a
 * token copied from a hostile answer, a value read from data). */
static void check_header(lua_State *L, const char *fn, const char *k, size_t kl,
                         const char *v, size_t vl)
{
    if (!header_name_ok(k, kl)) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (size_t i = 0; i < kl && i < 64; i++) {
            unsigned char c = (unsigned char)k[i];
            if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
                char e[8];
                snprintf(e, sizeof(e), "\\x%02x", c);
                luaL_addstring(&b, e);
            } else {
                luaL_addchar(&b, (char)c);
            }
        }
        luaL_pushresult(&b);
        luaL_error(L,
                   "%s: header name '%s' is not a valid token (letters, "
                   "digits and !#$%%&'*+-.^_`|~ only)",
                   fn, lua_tostring(L, -1));
    }
    for (size_t i = 0; i < vl; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '\r' || c == '\n')
            luaL_error(L,
                       "%s: header '%s': the value holds a line break (CR "
                       "or LF), which would inject headers",
                       fn, k);
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            char hex[8]; /* lua_pushfstring has no %02x */
            snprintf(hex, sizeof(hex), "0x%02x", c);
            luaL_error(L,
                       "%s: header '%s': the value holds control character "
                       "%s",
                       fn, k, hex);
        }
    }
}

/* stream = "sse" | "ndjson" | false (default: SSE when the answer says
 * text/event-stream), keep_body, text, first_token_timeout. */
static void stream_options(lua_State *L, int opts, const char *method,
                           struct qvr_vu *vu, struct qvr_http_request *req)
{
    int t = lua_getfield(L, opts, "stream");
    if (t == LUA_TBOOLEAN) {
        req->stream = lua_toboolean(L, -1) ? QVR_SSE_EVENTS : -1;
    } else if (t == LUA_TSTRING) {
        const char *m = lua_tostring(L, -1);
        if (strcmp(m, "sse") == 0)
            req->stream = QVR_SSE_EVENTS;
        else if (strcmp(m, "ndjson") == 0)
            req->stream = QVR_SSE_NDJSON;
        else
            luaL_error(L,
                       "http.%s: stream must be \"sse\", \"ndjson\" or "
                       "false, not '%s'",
                       method, m);
    } else if (t != LUA_TNIL) {
        luaL_error(L, "http.%s: stream must be \"sse\", \"ndjson\" or false",
                   method);
    }
    lua_pop(L, 1);
    lua_getfield(L, opts, "keep_body");
    req->keep_body = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, opts, "text");
    if (lua_toboolean(L, -1))
        req->text = &vu->text;
    lua_pop(L, 1);
    if (lua_getfield(L, opts, "first_token_timeout") != LUA_TNIL)
        req->first_token_timeout_ms =
            (long)(opt_duration(L, -1, "first_token_timeout") / QVR_NS_PER_MS);
    lua_pop(L, 1);
}

static int request(lua_State *L, const char *fn, const char *method,
                   int url_idx)
{
    struct qvr_vu *vu = qvr_vu_current(L);
    if (!vu || vu->co != L)
        return luaL_error(L,
                          "http.%s: only a task's own code may send "
                          "requests (not the scenario's top level, nor a "
                          "coroutine it creates)",
                          method);
    const char *url = luaL_checkstring(L, url_idx);
    int opts = url_idx + 1;
    if (!lua_isnoneornil(L, opts))
        luaL_checktype(L, opts, LUA_TTABLE);
    else
        opts = 0;

    struct qvr_http_request req;
    memset(&req, 0, sizeof(req));
    req.method = method;

    struct qvr_buf *ub = &vu->url;
    qvr_buf_reset(ub);
    if (is_absolute(url)) {
        qvr_buf_append(ub, url, strlen(url));
    } else {
        const char *t = vu->ctx->target;
        if (!t || !*t)
            return luaL_error(L,
                              "relative URL '%s' but the scenario has no "
                              "target",
                              url);
        qvr_buf_append(ub, t, strlen(t));
        if (url[0] != '/')
            qvr_buf_append(ub, "/", 1);
        if (qvr_buf_append(ub, url, strlen(url)) < 0)
            return luaL_error(L, "URL too long");
    }
    req.url = ub->data;

    char name[128];
    int body_idx = 0, has_ctype = 0, json = 0;
    const char *lines[MAX_HEADERS + 2];
    size_t offs[MAX_HEADERS + 2];
    int nh = 0;
    struct qvr_buf *hb = &vu->hdrs;
    qvr_buf_reset(hb);
    default_name(url, name, sizeof(name));
    int named = 0;
    if (opts) {
        check_options(L, opts, fn);
        if (lua_getfield(L, opts, "name") != LUA_TNIL) {
            const char *n = luaL_checkstring(L, -1);
            snprintf(name, sizeof(name), "%s", n);
            named = 1;
        }
        lua_pop(L, 1);
    }
    check_name(L, fn, name, named);
    if (opts) {
        if (lua_getfield(L, opts, "timeout") != LUA_TNIL)
            req.timeout_ms =
                (long)(opt_duration(L, -1, "timeout") / QVR_NS_PER_MS);
        lua_pop(L, 1);
        stream_options(L, opts, method, vu, &req);
        int tj = lua_getfield(L, opts, "json");
        int tb = lua_getfield(L, opts, "body");
        if (tj != LUA_TNIL && tb != LUA_TNIL)
            return luaL_error(L, "http.%s: give json= or body=, not both",
                              method);
        if (tj != LUA_TNIL) {
            lua_pop(L, 1);
            qvr_l_json_encode(L, -1); /* ... json str */
            lua_replace(L, -2);       /* ... str */
            json = 1;
        } else if (tb != LUA_TNIL) {
            if (lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L,
                                  "http.%s: body must be a string (use "
                                  "json= for tables)",
                                  method);
            lua_remove(L, -2);
        } else {
            lua_pop(L, 2);
            lua_pushnil(L);
        }
        /* stack: ... body|nil */
        if (!lua_isnil(L, -1)) {
            body_idx = lua_gettop(L);
            req.body = lua_tolstring(L, body_idx, &req.body_len);
        }
        if (lua_getfield(L, opts, "headers") != LUA_TNIL) {
            luaL_checktype(L, -1, LUA_TTABLE);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (nh >= MAX_HEADERS)
                    return luaL_error(L, "more than %d headers", MAX_HEADERS);
                /* type first: lua_tostring on a number key would turn
                 * it into a string and confuse lua_next */
                if (lua_type(L, -2) != LUA_TSTRING || !lua_tostring(L, -1))
                    return luaL_error(L, "headers: names and values must be "
                                         "strings");
                const char *k = lua_tostring(L, -2);
                const char *v = lua_tostring(L, -1);
                check_header(L, fn, k, lua_rawlen(L, -2), v, lua_rawlen(L, -1));
                if (strcasecmp(k, "content-type") == 0)
                    has_ctype = 1;
                if (vu->ctx->redact &&
                    qvr_redact_is_secret(vu->ctx->redact, k, strlen(k)))
                    qvr_redact_add_value(vu->ctx->redact, v, strlen(v));
                size_t kl = lua_rawlen(L, -2), vl = lua_rawlen(L, -1);
                offs[nh++] = hb->len;
                qvr_buf_append(hb, k, kl);
                qvr_buf_append(hb, ": ", 2);
                qvr_buf_append(hb, v, vl + 1); /* with its NUL */
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
    if (json && !has_ctype) {
        offs[nh++] = hb->len;
        static const char ct[] = "Content-Type: application/json";
        qvr_buf_append(hb, ct, sizeof(ct)); /* with its NUL */
    }
    if (hb->truncated)
        return luaL_error(L, "headers too large");
    for (int i = 0; i < nh; i++)
        lines[i] = hb->data + offs[i];
    req.headers = lines;
    req.nheaders = nh;

    int rc = qvr_vu_http(vu, &req, name, body_idx);
    if (rc < 0)
        return luaL_error(L, "http.%s: cannot start the request (%s)", method,
                          qvr_strerror(rc));
    return lua_yield(L, 0);
}

static int l_get(lua_State *L)
{
    return request(L, "http.get", "GET", 1);
}

static int l_post(lua_State *L)
{
    return request(L, "http.post", "POST", 1);
}

static int l_request(lua_State *L)
{
    const char *m = luaL_checkstring(L, 1);
    static const char *const methods[] = {"GET",   "POST", "PUT",     "DELETE",
                                          "PATCH", "HEAD", "OPTIONS", NULL};
    for (int i = 0; methods[i]; i++)
        if (strcasecmp(m, methods[i]) == 0)
            return request(L, "http.request", methods[i], 2);
    return luaL_argerror(L, 1, "unknown HTTP method");
}

int qvr_luaopen_http(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"get", l_get}, {"post", l_post}, {"request", l_request}, {NULL, NULL}};
    if (luaL_newmetatable(L, RESPONSE_MT)) {
        lua_pushcfunction(L, resp_index);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    return 1;
}
