/* l_qvr.c -- the scenario DSL (see l_qvr.h).
 *
 * Every constructor validates its table where it is called, so an error
 * names the scenario file and line: unknown keys (with a suggestion), wrong
 * types, non-positive durations. Constructors return plain tables tagged
 * with the field __kind ("users", "ramp", "between", ...) that script.c turns
 * into the C plan. */
#include "l_qvr.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "clock.h"
#include "l_http.h"
#include "log.h"
#include "redact.h"
#include "sched.h"
#include "suggest.h"
#include "vu.h"

#define QVR_MAX_STEPS_LUA QVR_MAX_STEPS

struct qvr_embedded {
    const char *name;
    const char *src;
    size_t len;
};
extern const struct qvr_embedded qvr_embedded_lua[];

static const char ENV_KEY[] = "qvr.env";

/* ---- helpers --------------------------------------------------------------
 */

/* Raises "<where>what: unknown key 'k' (did you mean 'x'?)" for the first
 * key of the table at idx not in keys. */
static void check_keys(lua_State *L, int idx, const char *what,
                       const char *const *keys)
{
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            if (lua_type(L, -1) == LUA_TNUMBER)
                luaL_error(L,
                           "%s: unexpected positional value (use "
                           "key = value)",
                           what);
            luaL_error(L, "%s: keys must be names", what);
        }
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (int i = 0; keys[i]; i++)
            if (strcmp(k, keys[i]) == 0)
                ok = 1;
        if (!ok) {
            const char *best = qvr_suggest(k, keys, -1);
            if (best)
                luaL_error(L, "%s: unknown key '%s' (did you mean '%s'?)", what,
                           k, best);
            luaL_error(L, "%s: unknown key '%s'", what, k);
        }
    }
}

/* v as a short decimal ("3", "2.5", "1e+300"), pushed on the stack for a
 * message that is about to be raised (lua_pushfstring has no %g). */
static const char *num_str(lua_State *L, double v)
{
    char b[32];
    snprintf(b, sizeof(b), "%.14g", v);
    return lua_pushstring(L, b);
}

/* A duration value: a number of seconds or a string like "30s". Returns ns
 * (> 0 unless allow_zero). Raises with what, the value's name such as
 * "users: 'duration'", at the start of the message. */
static uint64_t get_duration(lua_State *L, int idx, const char *what,
                             int allow_zero)
{
    uint64_t ns = 0;
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double s = lua_tonumber(L, idx);
        if (!(s >= 0))
            luaL_error(L, "%s must be a positive number of seconds, got %s",
                       what, lua_tostring(L, idx));
        if (s > 1e9)
            luaL_error(L, "%s is too long: %s s", what, lua_tostring(L, idx));
        ns = (uint64_t)(s * 1e9);
    } else if (lua_type(L, idx) == LUA_TSTRING) {
        const char *t = lua_tostring(L, idx);
        if (qvr_duration_parse(t, &ns) < 0)
            luaL_error(L,
                       "%s: '%s' is not a duration (use e.g. \"250ms\", "
                       "\"30s\", \"2m\", \"1h\")",
                       what, t);
    } else {
        luaL_error(L, "%s must be a duration (\"30s\" or seconds), got %s",
                   what, luaL_typename(L, idx));
    }
    if (ns == 0 && !allow_zero)
        luaL_error(L, "%s must be greater than zero", what);
    return ns;
}

/* t[field] as a positive number (or nil when optional). */
static int get_number(lua_State *L, int t, const char *field, const char *what,
                      double *out, int required, int allow_zero)
{
    int ty = lua_getfield(L, t, field);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        if (required)
            luaL_error(L, "%s: '%s' is required", what, field);
        return 0;
    }
    if (ty != LUA_TNUMBER)
        luaL_error(L, "%s: '%s' must be a number, got %s", what, field,
                   luaL_typename(L, -1));
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (v != v)
        luaL_error(L, "%s: '%s' must be a number, got nan", what, field);
    if (v < 0 || (!allow_zero && v == 0))
        luaL_error(L, "%s: '%s' must be %s, got %s", what, field,
                   allow_zero ? "zero or more" : "greater than zero",
                   num_str(L, v));
    if (v > 1e15)
        luaL_error(L, "%s: '%s' is too large, got %s", what, field,
                   num_str(L, v));
    *out = v;
    return 1;
}

static void check_type_any(lua_State *L, int t, const char *field, int type,
                           const char *what)
{
    int ty = lua_getfield(L, t, field);
    if (ty != LUA_TNIL && ty != type)
        luaL_error(L, "%s: '%s' must be a %s, got %s", what, field,
                   lua_typename(L, type), luaL_typename(L, -1));
    lua_pop(L, 1);
}

static void set_kind(lua_State *L, const char *kind)
{
    lua_pushstring(L, kind);
    lua_setfield(L, 1, "__kind");
}

static int has_kind(lua_State *L, int idx, const char *kind)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return 0;
    lua_getfield(L, idx, "__kind");
    int ok = lua_type(L, -1) == LUA_TSTRING &&
             (!kind || strcmp(lua_tostring(L, -1), kind) == 0);
    lua_pop(L, 1);
    return ok;
}

/* ---- load shapes ----------------------------------------------------------
 */

static int l_users(lua_State *L)
{
    static const char *const keys[] = {"count", "spawn_rate", "duration", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    check_keys(L, 1, "users", keys);
    double v;
    get_number(L, 1, "count", "users", &v, 1, 0);
    if (v > 10000000)
        luaL_error(L, "users: 'count' must be at most 10000000, got %s",
                   num_str(L, v));
    if (v != (double)(long)v)
        luaL_error(L, "users: 'count' must be a whole number, got %s",
                   num_str(L, v));
    if (get_number(L, 1, "spawn_rate", "users", &v, 0, 0) && v > 1e7)
        luaL_error(L, "users: 'spawn_rate' must be at most 10000000, got %s",
                   num_str(L, v));
    lua_getfield(L, 1, "duration");
    if (lua_isnil(L, -1))
        luaL_error(L, "users: 'duration' is required");
    get_duration(L, -1, "users: 'duration'", 0);
    lua_pop(L, 1);
    set_kind(L, "users");
    lua_settop(L, 1);
    return 1;
}

static int l_ramp(lua_State *L)
{
    static const char *const keys[] = {"users", "over", "hold", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    if (n < 1)
        luaL_error(L, "ramp: needs at least one stage, e.g. "
                      "ramp{ {users=10, over=\"30s\"}, {hold=\"1m\"} }");
    if (n > 64)
        luaL_error(L, "ramp: at most 64 stages");
    int any_users = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
            lua_tointeger(L, -1) > n)
            luaL_error(L, "ramp: takes a list of stages only");
    }
    for (lua_Integer i = 1; i <= n; i++) {
        char what[32];
        snprintf(what, sizeof(what), "ramp stage %lld", (long long)i);
        if (lua_rawgeti(L, 1, i) != LUA_TTABLE)
            luaL_error(L,
                       "%s: expected a table like {users=10, over=\"30s\"} "
                       "or {hold=\"1m\"}",
                       what);
        int st = lua_gettop(L);
        check_keys(L, st, what, keys);
        int has_users = lua_getfield(L, st, "users") != LUA_TNIL;
        int has_over = lua_getfield(L, st, "over") != LUA_TNIL;
        int has_hold = lua_getfield(L, st, "hold") != LUA_TNIL;
        lua_pop(L, 3);
        if (has_hold && (has_users || has_over))
            luaL_error(L,
                       "%s: 'hold' stands alone; use {users=, over=} to "
                       "change the users",
                       what);
        if (!has_hold && !(has_users && has_over))
            luaL_error(L, "%s: needs users= and over=, or hold=", what);
        double u;
        if (has_users) {
            get_number(L, st, "users", what, &u, 1, 1);
            if (u > 10000000)
                luaL_error(L, "%s: 'users' must be at most 10000000", what);
            if (u != (double)(long)u)
                luaL_error(L, "%s: 'users' must be a whole number", what);
            if (u > 0)
                any_users = 1;
        }
        char dwhat[64];
        snprintf(dwhat, sizeof(dwhat), "%s: '%s'", what,
                 has_hold ? "hold" : "over");
        lua_getfield(L, st, has_hold ? "hold" : "over");
        get_duration(L, -1, dwhat, 0);
        lua_pop(L, 2);
    }
    if (!any_users)
        luaL_error(L, "ramp: no stage has any users");
    set_kind(L, "ramp");
    lua_settop(L, 1);
    return 1;
}

/* A whole positive number at t[field], or raise. */
static int whole(lua_State *L, int t, const char *field, const char *what,
                 int required, int dflt)
{
    double v;
    if (!get_number(L, t, field, what, &v, required, 0))
        return dflt;
    if (v > 10000000 || v != (double)(long)v)
        luaL_error(L,
                   "%s: '%s' must be a whole number up to 10000000, got "
                   "%s",
                   what, field, num_str(L, v));
    return (int)v;
}

static void check_arrival(lua_State *L, int t, const char *what)
{
    int ty = lua_getfield(L, t, "arrival");
    if (ty != LUA_TNIL) {
        const char *a = lua_tostring(L, -1);
        if (ty != LUA_TSTRING ||
            (strcmp(a, "constant") != 0 && strcmp(a, "poisson") != 0))
            luaL_error(L,
                       "%s: 'arrival' must be \"constant\" or "
                       "\"poisson\"",
                       what);
    }
    lua_pop(L, 1);
}

static void need_duration(lua_State *L, int t, const char *field,
                          const char *what, int required)
{
    char w[64];
    snprintf(w, sizeof(w), "%s: '%s'", what, field);
    if (lua_getfield(L, t, field) == LUA_TNIL) {
        if (required)
            luaL_error(L, "%s: '%s' is required", what, field);
    } else {
        get_duration(L, -1, w, strcmp(field, "settle") == 0);
    }
    lua_pop(L, 1);
}

/* An arrival rate v (> 0) given as what: within the bounds of --rate
 * (QVR_RPS_MIN..QVR_RPS_MAX), or raise. */
static void check_rps(lua_State *L, const char *what, double v)
{
    if (!(v >= QVR_RPS_MIN && v <= QVR_RPS_MAX))
        luaL_error(L,
                   "%s must be from %s to %s requests per second (as "
                   "--rate), got %s",
                   what, num_str(L, QVR_RPS_MIN), num_str(L, QVR_RPS_MAX),
                   num_str(L, v));
}

/* rate{rps=, duration=, max_users=, arrival=}: the open model. */
static int l_rate(lua_State *L)
{
    static const char *const keys[] = {"rps", "duration", "max_users",
                                       "arrival", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    check_keys(L, 1, "rate", keys);
    double v;
    get_number(L, 1, "rps", "rate", &v, 1, 0);
    check_rps(L, "rate: 'rps'", v);
    need_duration(L, 1, "duration", "rate", 1);
    whole(L, 1, "max_users", "rate", 0, 0);
    check_arrival(L, 1, "rate");
    set_kind(L, "rate");
    lua_settop(L, 1);
    return 1;
}

/* A list of positive numbers at t[field]; returns its length. */
static int number_list(lua_State *L, int t, const char *field, const char *what,
                       int integers)
{
    lua_getfield(L, t, field);
    if (lua_type(L, -1) != LUA_TTABLE)
        luaL_error(L, "%s: '%s' must be a list such as {1, 2, 4, 8}", what,
                   field);
    lua_Integer n = luaL_len(L, -1);
    if (n < 1 || n > QVR_MAX_STEPS_LUA)
        luaL_error(L, "%s: '%s' needs 1 to %d values", what, field,
                   QVR_MAX_STEPS_LUA);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        double x = lua_tonumber(L, -1);
        if (lua_type(L, -1) != LUA_TNUMBER || !(x > 0) || x > 1e15 ||
            (integers && (x > 10000000 || x != (double)(long)x)))
            luaL_error(L, "%s: '%s'[%d] must be a %s greater than zero", what,
                       field, (int)i, integers ? "whole number" : "number");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return (int)n;
}

/* steps{users={...} | rps={...} | vary={name={...}}, hold=, settle=, ...} */
static int l_steps(lua_State *L)
{
    static const char *const keys[] = {"users",     "rps",     "vary",
                                       "hold",      "settle",  "spawn_rate",
                                       "max_users", "arrival", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    check_keys(L, 1, "steps", keys);
    int tu = lua_getfield(L, 1, "users");
    int tr = lua_getfield(L, 1, "rps");
    int tv = lua_getfield(L, 1, "vary");
    lua_pop(L, 3);
    int kinds = (tu == LUA_TTABLE) + (tr != LUA_TNIL) + (tv != LUA_TNIL);
    if (kinds != 1)
        luaL_error(L, "steps: give exactly one of users = {...}, rps = "
                      "{...} or vary = { name = {...} }");
    if (tu == LUA_TTABLE)
        number_list(L, 1, "users", "steps", 1);
    if (tr != LUA_TNIL) {
        int n = number_list(L, 1, "rps", "steps", 0);
        lua_getfield(L, 1, "rps");
        for (int i = 1; i <= n; i++) {
            char what[32];
            snprintf(what, sizeof(what), "steps: 'rps'[%d]", i);
            lua_rawgeti(L, -1, i);
            check_rps(L, what, lua_tonumber(L, -1));
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (tv != LUA_TNIL) {
        if (tv != LUA_TTABLE)
            luaL_error(L, "steps: 'vary' must be { name = {values} }");
        lua_getfield(L, 1, "vary");
        int vt = lua_gettop(L), n = 0;
        lua_pushnil(L);
        while (lua_next(L, vt)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "steps: 'vary' must be { name = {values} }");
            n++;
        }
        if (n != 1)
            luaL_error(L, "steps: 'vary' takes exactly one variable");
        lua_pushnil(L);
        lua_next(L, vt);
        lua_pop(L, 1);
        const char *name = lua_tostring(L, -1);
        if (strlen(name) > 30)
            luaL_error(L, "steps: vary name too long");
        number_list(L, vt, name, "steps: vary", 0);
        lua_pop(L, 2);
        if (tu != LUA_TNIL && tu != LUA_TNUMBER)
            luaL_error(L, "steps: with vary, 'users' is one number");
        if (tu == LUA_TNUMBER)
            whole(L, 1, "users", "steps", 0, 1);
    }
    need_duration(L, 1, "hold", "steps", 1);
    need_duration(L, 1, "settle", "steps", 0);
    whole(L, 1, "max_users", "steps", 0, 0);
    double v;
    get_number(L, 1, "spawn_rate", "steps", &v, 0, 0);
    check_arrival(L, 1, "steps");
    set_kind(L, "steps");
    lua_settop(L, 1);
    return 1;
}

/* sweep{max_rps=, rates=, hold=, settle=, slo=, max_users=, arrival=} */
static int l_sweep(lua_State *L)
{
    static const char *const keys[] = {"max_rps", "rates", "hold",
                                       "settle",  "slo",   "max_users",
                                       "arrival", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    check_keys(L, 1, "sweep", keys);
    double v;
    if (get_number(L, 1, "max_rps", "sweep", &v, 0, 0))
        check_rps(L, "sweep: 'max_rps'", v);
    int rates = whole(L, 1, "rates", "sweep", 0, 8);
    if (rates > QVR_MAX_STEPS_LUA - 2)
        luaL_error(L, "sweep: at most %d rates", QVR_MAX_STEPS_LUA - 2);
    need_duration(L, 1, "hold", "sweep", 0);
    need_duration(L, 1, "settle", "sweep", 0);
    whole(L, 1, "max_users", "sweep", 0, 0);
    check_type_any(L, 1, "slo", LUA_TSTRING, "sweep");
    check_arrival(L, 1, "sweep");
    set_kind(L, "sweep");
    lua_settop(L, 1);
    return 1;
}

/* every{interval = "30s", window = 1000}: monitor probes. */
static int l_every(lua_State *L)
{
    static const char *const keys[] = {"interval", "window", "duration", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    check_keys(L, 1, "every", keys);
    need_duration(L, 1, "interval", "every", 1);
    need_duration(L, 1, "duration", "every", 0);
    whole(L, 1, "window", "every", 0, 1000);
    set_kind(L, "every");
    lua_settop(L, 1);
    return 1;
}

/* ---- wait functions -------------------------------------------------------
 */

static double check_seconds(lua_State *L, int arg, const char *fn)
{
    double s = luaL_checknumber(L, arg);
    if (s < 0 || s != s || s > 86400)
        luaL_error(L, "%s: seconds must be between 0 and 86400, got %s", fn,
                   num_str(L, s));
    return s;
}

static int make_wait(lua_State *L, const char *kind, double a, double b)
{
    lua_createtable(L, 0, 3);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "__kind");
    lua_pushnumber(L, a);
    lua_setfield(L, -2, "a");
    lua_pushnumber(L, b);
    lua_setfield(L, -2, "b");
    return 1;
}

static int l_between(lua_State *L)
{
    double a = check_seconds(L, 1, "between");
    double b = check_seconds(L, 2, "between");
    if (b < a)
        luaL_error(L, "between: the minimum %s is above the maximum %s",
                   num_str(L, a), num_str(L, b));
    return make_wait(L, "between", a, b);
}

static int l_constant(lua_State *L)
{
    double a = check_seconds(L, 1, "constant");
    return make_wait(L, "constant", a, a);
}

static int l_pacing(lua_State *L)
{
    double a = check_seconds(L, 1, "pacing");
    if (a == 0)
        luaL_error(L, "pacing: the period must be greater than zero");
    return make_wait(L, "pacing", a, a);
}

/* ---- scenario{} ------------------------------------------------------------
 */

static const char *const scenario_keys[] = {
    "name",     "target",     "warmup",  "load",  "wait",
    "tasks",    "thresholds", "timeout", "grace", "max_body",
    "insecure", "mock",       "report",  "slo",   "stop_on",
    "collect",  "on_alert",   "redact",  NULL};

static void check_type(lua_State *L, int t, const char *field, int type,
                       const char *what)
{
    int ty = lua_getfield(L, t, field);
    if (ty != LUA_TNIL && ty != type)
        luaL_error(L, "%s: '%s' must be a %s, got %s", what, field,
                   lua_typename(L, type), luaL_typename(L, -1));
    lua_pop(L, 1);
}

static void check_tasks(lua_State *L)
{
    static const char *const keys[] = {"weight", "run", NULL};
    int ty = lua_getfield(L, 1, "tasks");
    if (ty == LUA_TNIL)
        luaL_error(L, "scenario: 'tasks' is required: a table of name = "
                      "{ weight = 1, run = function() ... end }");
    if (ty != LUA_TTABLE)
        luaL_error(L,
                   "scenario: 'tasks' must be a table of tasks, got %s "
                   "(tasks = { name = { weight = 1, run = function() ... "
                   "end } })",
                   luaL_typename(L, -1));
    int tt = lua_gettop(L);
    int n = 0;
    double wsum = 0;
    lua_pushnil(L);
    while (lua_next(L, tt)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "scenario: tasks must be named (tasks = { name = "
                          "{ run = function() ... end } })");
        const char *name = lua_tostring(L, -2);
        char what[96];
        snprintf(what, sizeof(what), "task '%.60s'", name);
        if (lua_type(L, -1) == LUA_TFUNCTION) {
            wsum += 1;
        } else if (lua_type(L, -1) == LUA_TTABLE) {
            int t = lua_gettop(L);
            check_keys(L, t, what, keys);
            if (lua_getfield(L, t, "run") != LUA_TFUNCTION)
                luaL_error(L, "%s: 'run' must be a function", what);
            lua_pop(L, 1);
            double w = 1;
            get_number(L, t, "weight", what, &w, 0, 1);
            wsum += w;
        } else {
            luaL_error(L, "%s: expected a function or { weight =, run = }",
                       what);
        }
        n++;
        lua_pop(L, 1);
    }
    if (n == 0)
        luaL_error(L, "scenario: 'tasks' is empty");
    if (wsum <= 0)
        luaL_error(L, "scenario: every task has weight 0; nothing would run");
    lua_pop(L, 1);
}

/* "got ..." in messages: users{...} or between(...) for the DSL's own
 * values, else the type name. May push a string (the caller raises). */
static const char *describe(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (!has_kind(L, idx, NULL))
        return luaL_typename(L, idx);
    lua_getfield(L, idx, "__kind");
    const char *k = lua_tostring(L, -1);
    int wait = strcmp(k, "between") == 0 || strcmp(k, "constant") == 0 ||
               strcmp(k, "pacing") == 0;
    return lua_pushfstring(L, wait ? "%s(...)" : "%s{...}", k);
}

/* Checks the scenario table at index 1; leaves the stack as it found it. */
static void validate_scenario(lua_State *L)
{
    check_keys(L, 1, "scenario", scenario_keys);
    check_type(L, 1, "name", LUA_TSTRING, "scenario");
    check_type(L, 1, "target", LUA_TSTRING, "scenario");
    check_type(L, 1, "warmup", LUA_TTABLE, "scenario");
    check_type(L, 1, "thresholds", LUA_TTABLE, "scenario");
    check_type(L, 1, "insecure", LUA_TBOOLEAN, "scenario");
    check_type(L, 1, "mock", LUA_TTABLE, "scenario");
    check_type(L, 1, "report", LUA_TTABLE, "scenario");
    check_type(L, 1, "slo", LUA_TSTRING, "scenario");
    check_type(L, 1, "on_alert", LUA_TSTRING, "scenario");
    if (lua_getfield(L, 1, "redact") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TTABLE)
            luaL_error(L, "scenario: 'redact' must be a list of header names");
        lua_Integer n = luaL_len(L, -1);
        if (n > 13)
            luaL_error(L, "scenario: 'redact' takes at most 13 names");
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
                luaL_error(L, "redact[%d] must be a header name", (int)i);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "collect") != LUA_TNIL) {
        static const char *const ck[] = {"host", "gpu", "prometheus", "headers",
                                         NULL};
        int c = lua_gettop(L);
        if (lua_type(L, c) != LUA_TTABLE)
            luaL_error(L, "scenario: 'collect' must be a table");
        check_keys(L, c, "collect", ck);
        check_type(L, c, "host", LUA_TBOOLEAN, "collect");
        check_type(L, c, "gpu", LUA_TSTRING, "collect");
        check_type(L, c, "prometheus", LUA_TSTRING, "collect");
        if (lua_getfield(L, c, "headers") != LUA_TNIL) {
            if (lua_type(L, -1) != LUA_TTABLE)
                luaL_error(L, "collect: 'headers' must be a list of header "
                              "names");
            lua_Integer n = luaL_len(L, -1);
            for (lua_Integer i = 1; i <= n; i++) {
                if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
                    luaL_error(L,
                               "collect: headers[%d] must be a header "
                               "name",
                               (int)i);
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "stop_on") != LUA_TNIL &&
        (lua_type(L, -1) != LUA_TSTRING ||
         strcmp(lua_tostring(L, -1), "saturation") != 0))
        luaL_error(L, "scenario: 'stop_on' can only be \"saturation\"");
    lua_pop(L, 1);
    lua_getfield(L, 1, "load");
    if (lua_isnil(L, -1))
        luaL_error(L, "scenario: 'load' is required, e.g. load = users{ "
                      "count = 1, duration = \"30s\" }");
    if (!has_kind(L, -1, NULL) || has_kind(L, -1, "between") ||
        has_kind(L, -1, "constant") || has_kind(L, -1, "pacing"))
        luaL_error(L,
                   "scenario: 'load' must be a load shape: users{...}, "
                   "ramp{...}, rate{...}, steps{...} or sweep{...}, got "
                   "%s",
                   describe(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, 1, "wait");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TNUMBER &&
        !has_kind(L, -1, "between") && !has_kind(L, -1, "constant") &&
        !has_kind(L, -1, "pacing"))
        luaL_error(L,
                   "scenario: 'wait' must be between(a, b), constant(s), "
                   "pacing(s) or a number of seconds, got %s",
                   describe(L, -1));
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "warmup") == LUA_TTABLE) {
        static const char *const wk[] = {"requests", "duration", NULL};
        int w = lua_gettop(L);
        check_keys(L, w, "warmup", wk);
        double r = 0;
        int has_dur = lua_getfield(L, w, "duration") != LUA_TNIL;
        if (has_dur)
            get_duration(L, -1, "warmup: 'duration'", 0);
        lua_pop(L, 1);
        if (!get_number(L, w, "requests", "warmup", &r, 0, 1) && !has_dur)
            luaL_error(L, "warmup: give 'requests' (a count) or 'duration' "
                          "(e.g. \"30s\")");
        if (r > 1e6 || r != (double)(long)r)
            luaL_error(L, "warmup: 'requests' must be a whole number up to "
                          "1000000");
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "report") == LUA_TTABLE) {
        static const char *const rk[] = {"window", NULL};
        int w = lua_gettop(L);
        check_keys(L, w, "report", rk);
        if (lua_getfield(L, w, "window") != LUA_TNIL)
            get_duration(L, -1, "report: 'window'", 0);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    static const char *const durs[] = {"timeout", "grace", NULL};
    for (int i = 0; durs[i]; i++) {
        if (lua_getfield(L, 1, durs[i]) != LUA_TNIL) {
            char what[32];
            snprintf(what, sizeof(what), "scenario: '%s'", durs[i]);
            get_duration(L, -1, what, strcmp(durs[i], "grace") == 0);
        }
        lua_pop(L, 1);
    }
    double mb;
    get_number(L, 1, "max_body", "scenario", &mb, 0, 0);
    check_tasks(L);
    /* Thresholds are parsed in C (thresh.c) by script.c; here only their
     * shape, so that the error still points at this line. */
    if (lua_getfield(L, 1, "thresholds") == LUA_TTABLE) {
        int t = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, t)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                luaL_error(L, "thresholds: keys must be metric expressions "
                              "such as p99 or \"p99{task=x}\"");
            if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TTABLE)
                luaL_error(L,
                           "thresholds: '%s' must be a condition string "
                           "such as \"< 5s\"",
                           lua_tostring(L, -2));
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

static int l_scenario(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    validate_scenario(L);
    /* Remember where the scenario was declared, for later errors. */
    luaL_where(L, 1);
    lua_setfield(L, 1, "__where");
    luaL_setmetatable(L, QVR_SCENARIO_MT);
    return 1;
}

int qvr_l_scenario_check(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_getfield(L, 1, "__where"); /* t where */
    lua_pushnil(L);
    lua_setfield(L, 1, "__where"); /* not a key the user may write */
    validate_scenario(L);
    lua_setfield(L, 1, "__where"); /* t */
    return 1;
}

/* ---- runtime functions ----------------------------------------------------
 */

/* env(key [, default]): -e KEY=VALUE, else the environment, else default.
 * When the key looks secret (TOKEN, SECRET, PASSWORD, ...), the value is
 * learned for redaction at once, before any request could send it; plain
 * numbers (MAX_TOKENS=1024) are not, or every 1024 written would go. */
static int l_env(lua_State *L)
{
    const char *key = luaL_checkstring(L, 1);
    lua_settop(L, 2);                            /* key default */
    lua_getfield(L, LUA_REGISTRYINDEX, ENV_KEY); /* key default pairs */
    if (lua_getfield(L, 3, key) == LUA_TNIL) {
        lua_pop(L, 1);
        const char *v = getenv(key);
        if (v)
            lua_pushstring(L, v);
        else
            lua_pushvalue(L, 2); /* the default, or nil */
    }
    if (lua_type(L, -1) == LUA_TSTRING && qvr_redact_env_key_is_secret(key)) {
        size_t len;
        const char *v = lua_tolstring(L, -1, &len);
        if (lua_stringtonumber(L, v))
            lua_pop(L, 1); /* the number it pushed; the string stays */
        else
            qvr_redact_learn(v, len);
    }
    return 1;
}

static struct qvr_vu *task_vu(lua_State *L, const char *fn)
{
    struct qvr_vu *vu = qvr_vu_current(L);
    if (!vu || vu->co != L)
        luaL_error(L, "%s: only inside a task's own code", fn);
    return vu;
}

static uint64_t response_seq(lua_State *L, int idx)
{
    return qvr_l_http_response_seq(L, idx);
}

static int run_check(lua_State *L, struct qvr_vu *vu, uint64_t seq,
                     const char *label, int fn_idx)
{
    int ok;
    if (lua_type(L, fn_idx) == LUA_TFUNCTION) {
        lua_pushvalue(L, fn_idx);
        lua_pushvalue(L, 1);
        lua_call(L, 1, 1); /* inside lua_resume: an error ends the iteration */
        ok = lua_toboolean(L, -1);
        lua_pop(L, 1);
    } else if (lua_type(L, fn_idx) == LUA_TBOOLEAN) {
        ok = lua_toboolean(L, fn_idx);
    } else {
        return luaL_error(L, "check '%s': expected a function or a boolean",
                          label);
    }
    /* Redacted before it becomes a key: the same check quoting a secret
     * counts under one "<redacted>" label, and the table never shows it. */
    char *tofree;
    qvr_vu_check(vu, seq, qvr_redact_str(vu->ctx->redact, label, &tofree), ok,
                 QVR_FAIL_CHECK);
    free(tofree);
    return ok;
}

/* check(r, "label", fn | bool) or check(r, { label = fn, ... }) */
static int l_check(lua_State *L)
{
    struct qvr_vu *vu = task_vu(L, "check");
    uint64_t seq = response_seq(L, 1);
    int all = 1;
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            const char *label = lua_tostring(L, -2);
            if (!label || lua_type(L, -2) != LUA_TSTRING)
                return luaL_error(L, "check: labels must be strings");
            all &= run_check(L, vu, seq, label, lua_gettop(L));
            lua_pop(L, 1);
        }
    } else {
        const char *label = luaL_checkstring(L, 2);
        luaL_checkany(L, 3);
        all = run_check(L, vu, seq, label, 3);
    }
    lua_pushboolean(L, all);
    return 1;
}

/* fail([msg [, kind]]): kind is the failure kind the pending request gets,
 * "check" (the default) or "invalid_json" (an answer that is not JSON). */
static int l_fail(lua_State *L)
{
    struct qvr_vu *vu = task_vu(L, "fail");
    const char *msg = luaL_optstring(L, 1, "fail()");
    enum qvr_fail_kind kind = QVR_FAIL_CHECK;
    if (!lua_isnoneornil(L, 2)) {
        if (lua_type(L, 2) != LUA_TSTRING)
            return luaL_error(L,
                              "fail: the failure kind must be a string, "
                              "not a %s",
                              luaL_typename(L, 2));
        const char *k = lua_tostring(L, 2);
        if (strcmp(k, "invalid_json") == 0)
            kind = QVR_FAIL_INVALID_JSON;
        else if (strcmp(k, "check") != 0)
            return luaL_error(L,
                              "fail: unknown failure kind '%s' (expected "
                              "\"check\" or \"invalid_json\")",
                              k);
    }
    char *tofree; /* the message is a check label: redacted as one */
    qvr_vu_check(vu, vu->pending ? vu->pending_seq : 0,
                 qvr_redact_str(vu->ctx->redact, msg, &tofree), 0, kind);
    free(tofree);
    return 0;
}

static int l_sleep(lua_State *L)
{
    struct qvr_vu *vu = task_vu(L, "sleep");
    uint64_t ns = get_duration(L, 1, "sleep", 1);
    qvr_vu_sleep(vu, ns);
    return lua_yield(L, 0);
}

/* now(): seconds from CLOCK_MONOTONIC, for tasks that act on elapsed time
 * (os.time() only counts whole wall-clock seconds). */
static int l_now(lua_State *L)
{
    lua_pushnumber(L, (double)qvr_clock_ns() / 1e9);
    return 1;
}

static int l_log(lua_State *L)
{
    luaL_Buffer b;
    int n = lua_gettop(L);
    struct qvr_vu *vu = qvr_vu_current(L);
    if (!vu && lua_getfield(L, LUA_REGISTRYINDEX, QVR_QUIET_TOP_KEY) &&
        lua_toboolean(L, -1))
        return 0; /* printed once, by the main thread's load */
    lua_settop(L, n);
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_addvalue(&b);
        (void)s;
    }
    luaL_pushresult(&b);
    char *clean =
        qvr_redact_text(vu ? vu->ctx->redact : NULL, lua_tostring(L, -1));
    if (vu)
        qvr_info("[vu %d] %s", vu->id, clean ? clean : "");
    else
        qvr_info("[scenario] %s", clean ? clean : "");
    free(clean);
    return 0;
}

/* ---- media files ----------------------------------------------------------
 */

/* qvr.base64(s [, prefix]) -> prefix .. the standard base64 of s, built in
 * one buffer of the exact size (a data: URL without a copy of the whole). */
static int l_base64(lua_State *L)
{
    size_t n, pl = 0;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *prefix = luaL_optlstring(L, 2, "", &pl);
    size_t el = qvr_base64_len(n);
    if ((n && !el) || el > (size_t)-1 - pl)
        return luaL_error(L, "qvr.base64: input too large");
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, pl + el);
    memcpy(out, prefix, pl);
    qvr_base64_encode(out + pl, s, n);
    luaL_pushresultsize(&b, pl + el);
    return 1;
}

/* "2000 bytes" under 1 MiB, else "21.0 MiB". */
static void human_size(uint64_t n, char *buf, size_t len)
{
    if (n < (1 << 20))
        snprintf(buf, len, "%llu bytes", (unsigned long long)n);
    else
        snprintf(buf, len, "%.1f MiB", (double)n / (1 << 20));
}

/* Pushes nil, a message and a short reason ("missing", "folder",
 * "special", "too_large", "io"); returns 3. */
static int readfile_fail(lua_State *L, const char *why, const char *fmt, ...)
{
    va_list ap;
    lua_pushnil(L);
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_pushstring(L, why);
    return 3;
}

/* qvr.readfile(path [, max_bytes]) -> the file's bytes, or nil, a message
 * and a reason. Only a regular file is read (a folder, a device such as
 * /dev/zero, a FIFO or a socket is refused without reading it; a FIFO is
 * opened non-blocking so that a missing writer cannot hang the load), and
 * only up to max_bytes (default QVR_MEDIA_MAX): a bigger file is refused
 * before it is read. */
static int l_readfile(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer max = luaL_optinteger(L, 2, QVR_MEDIA_MAX);
    luaL_argcheck(L, max >= 0, 2, "must be >= 0");
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return readfile_fail(L, errno == ENOENT ? "missing" : "io", "%s",
                             strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return readfile_fail(L, "io", "%s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return readfile_fail(L, "folder", "is a folder, not a file");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return readfile_fail(L, "special",
                             "is not a regular file (a device, FIFO or "
                             "socket); it is not read");
    }
    if ((uint64_t)st.st_size > (uint64_t)max) {
        close(fd);
        char a[32], b[32];
        human_size((uint64_t)st.st_size, a, sizeof(a));
        human_size((uint64_t)max, b, sizeof(b));
        return readfile_fail(L, "too_large", "file of %s, limit %s", a, b);
    }
    /* What fstat announced, read into one buffer of that size; then the
     * rest of a file that grew meanwhile (or of a /proc file, sized 0),
     * up to the limit. */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t want = (size_t)st.st_size, total = 0;
    if (want) {
        char *p = luaL_prepbuffsize(&b, want);
        while (total < want) {
            ssize_t r = read(fd, p + total, want - total);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            total += (size_t)r;
        }
        luaL_addsize(&b, total);
    }
    for (;;) {
        char tmp[16384];
        ssize_t r = read(fd, tmp, sizeof(tmp));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return readfile_fail(L, "io", "%s", strerror(e));
        }
        if (r == 0)
            break;
        if ((uint64_t)total + (uint64_t)r > (uint64_t)max) {
            close(fd);
            return readfile_fail(L, "too_large",
                                 "grew past the limit of %I bytes while "
                                 "read",
                                 max);
        }
        luaL_addlstring(&b, tmp, (size_t)r);
        total += (size_t)r;
    }
    close(fd);
    luaL_pushresult(&b);
    return 1;
}

/* ---- modules --------------------------------------------------------------
 */

static const luaL_Reg dsl[] = {{"scenario", l_scenario},
                               {"users", l_users},
                               {"ramp", l_ramp},
                               {"between", l_between},
                               {"constant", l_constant},
                               {"pacing", l_pacing},
                               {"env", l_env},
                               {"check", l_check},
                               {"fail", l_fail},
                               {"sleep", l_sleep},
                               {"now", l_now},
                               {"log", l_log},
                               {"rate", l_rate},
                               {"steps", l_steps},
                               {"sweep", l_sweep},
                               {"every", l_every},
                               {NULL, NULL}};

static int open_qvr(lua_State *L)
{
    luaL_newlib(L, dsl);
    luaL_requiref(L, "qvr.http", qvr_luaopen_http, 0);
    lua_setfield(L, -2, "http");
    luaL_requiref(L, "qvr.json", qvr_luaopen_json, 0);
    lua_setfield(L, -2, "json");
    luaL_requiref(L, "qvr.data", qvr_luaopen_data, 0);
    lua_setfield(L, -2, "data");
    return 1;
}

/* package.searchers entry: modules compiled into the binary. */
static int search_embedded(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    for (const struct qvr_embedded *e = qvr_embedded_lua; e->name; e++) {
        if (strcmp(e->name, name) != 0)
            continue;
        char chunk[160];
        int len = snprintf(chunk, sizeof(chunk), "@lua/%s", name);
        for (int i = 5; i < len; i++)
            if (chunk[i] == '.')
                chunk[i] = '/';
        snprintf(chunk + len, sizeof(chunk) - (size_t)len, ".lua");
        if (luaL_loadbuffer(L, e->src, e->len, chunk) != LUA_OK)
            return lua_error(L);
        lua_pushstring(L, chunk + 1);
        return 2;
    }
    lua_pushfstring(L, "no embedded module '%s'", name);
    return 1;
}

/* ---- what a scenario may call --------------------------------------------
 * Lua's libraries stay, except what would end, hang or outlive the run
 * (README.md, "What a scenario may call"): a scenario reads files and the
 * environment; it does not end the process, start processes, change files or
 * the locale, read standard input, or set debug hooks (the watchdog's). */

/* A library function a scenario may not call: raises (a task error)
 * naming it (upvalue 1) and why (upvalue 2). */
static int l_unavailable(lua_State *L)
{
    return luaL_error(L, "%s is not available in a scenario: %s",
                      lua_tostring(L, lua_upvalueindex(1)),
                      lua_tostring(L, lua_upvalueindex(2)));
}

/* Raises when path is a FIFO, a socket or a terminal: reading one blocks
 * in C, where no hook stops it (the run would outlive its duration and a
 * signal). Any other failure is left to Lua's own open to report. */
static void refuse_blocking(lua_State *L, const char *fn, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    const char *what = S_ISFIFO(st.st_mode)   ? "a FIFO"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : NULL;
    if (!what && S_ISCHR(st.st_mode)) {
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd >= 0) {
            if (isatty(fd))
                what = "a terminal";
            close(fd);
        }
    }
    if (what)
        luaL_error(L,
                   "%s: '%s' is %s: reading it could block the run past its "
                   "duration and signals",
                   fn, path, what);
}

/* io.open(path [, mode]): Lua's (upvalue 1), for reading only. */
static int l_io_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    const char *mode = luaL_optstring(L, 2, "r");
    if (strcmp(mode, "r") != 0 && strcmp(mode, "rb") != 0)
        return luaL_error(L,
                          "io.open: a scenario may only read files (mode "
                          "\"r\" or \"rb\"), got \"%s\" for '%s'",
                          mode, path);
    refuse_blocking(L, "io.open", path);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* io.lines(path, ...): Lua's (upvalue 1), with a file name only. */
static int l_io_lines(lua_State *L)
{
    if (lua_isnoneornil(L, 1))
        return luaL_error(L, "io.lines needs a file name in a scenario "
                             "(standard input is not read: it would block "
                             "the run)");
    refuse_blocking(L, "io.lines", luaL_checkstring(L, 1));
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static void unavailable(lua_State *L, const char *lib, const char *fn,
                        const char *why)
{
    if (lua_getglobal(L, lib) != LUA_TTABLE) { /* lib */
        lua_pop(L, 1);
        return;
    }
    lua_pushfstring(L, "%s.%s", lib, fn);
    lua_pushstring(L, why);
    lua_pushcclosure(L, l_unavailable, 2);
    lua_setfield(L, -2, fn);
    lua_pop(L, 1);
}

static void wrap_lib(lua_State *L, const char *lib, const char *fn,
                     lua_CFunction f)
{
    if (lua_getglobal(L, lib) != LUA_TTABLE) { /* lib */
        lua_pop(L, 1);
        return;
    }
    lua_getfield(L, -1, fn); /* lib orig */
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, fn);
    lua_pop(L, 1);
}

static void restrict_libs(lua_State *L)
{
    static const char *const why_exit =
        "it would end qvrrun without results (an error ends the iteration "
        "only; a threshold with abort = true stops the run)";
    static const char *const why_proc =
        "a process it starts can block the run past its duration and "
        "signals";
    static const char *const why_file =
        "a scenario reads files, it does not change them";
    static const char *const why_stdin =
        "standard input is not read (it would block the run)";
    unavailable(L, "os", "exit", why_exit);
    unavailable(L, "os", "execute", why_proc);
    unavailable(L, "io", "popen", why_proc);
    unavailable(L, "os", "remove", why_file);
    unavailable(L, "os", "rename", why_file);
    unavailable(L, "os", "tmpname", why_file);
    unavailable(L, "io", "tmpfile", why_file);
    unavailable(L, "io", "output", why_file);
    unavailable(L, "os", "setlocale",
                "the locale is the process's: numbers in the result files "
                "would change");
    unavailable(L, "io", "read", why_stdin);
    unavailable(L, "io", "input", why_stdin);
    unavailable(L, "debug", "debug", why_stdin);
    unavailable(L, "debug", "sethook",
                "the watchdog that stops endless loops uses the hook");
    wrap_lib(L, "io", "open", l_io_open);
    wrap_lib(L, "io", "lines", l_io_lines);
    if (lua_getglobal(L, "io") == LUA_TTABLE) { /* io */
        lua_pushnil(L);
        lua_setfield(L, -2, "stdin");
    }
    lua_pop(L, 1);
    qvr_vu_install(L);
}

void qvr_l_qvr_install(lua_State *L, const char *const *env, int nenv)
{
    restrict_libs(L);
    lua_createtable(L, 0, nenv);
    for (int i = 0; i < nenv; i++) {
        const char *eq = strchr(env[i], '=');
        if (!eq)
            continue;
        lua_pushlstring(L, env[i], (size_t)(eq - env[i]));
        lua_pushstring(L, eq + 1);
        lua_rawset(L, -3);
    }
    lua_setfield(L, LUA_REGISTRYINDEX, ENV_KEY);
    luaL_newmetatable(L, QVR_SCENARIO_MT);
    lua_pushliteral(L, "scenario");
    lua_setfield(L, -2, "__name");
    lua_pushliteral(L, "scenario"); /* getmetatable() gives this string */
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);

    luaL_requiref(L, "qvr", open_qvr, 0); /* qvr */
    /* The DSL and http/json as globals too. */
    lua_pushglobaltable(L); /* qvr G */
    lua_pushnil(L);
    while (lua_next(L, -3)) { /* qvr G k v */
        lua_pushvalue(L, -2); /* qvr G k v k */
        lua_insert(L, -2);    /* qvr G k k v */
        lua_rawset(L, -4);    /* qvr G k */
    }
    lua_pop(L, 1); /* qvr */
    /* Module functions that are no globals: qvr.base64, qvr.readfile. */
    lua_pushcfunction(L, l_base64);
    lua_setfield(L, -2, "base64");
    lua_pushcfunction(L, l_readfile);
    lua_setfield(L, -2, "readfile");
    lua_pushinteger(L, QVR_MEDIA_MAX);
    lua_setfield(L, -2, "media_max");
    lua_pop(L, 1);

    /* Embedded modules are searched before package.path, unless
     * QVR_LUA_PATH points at a source tree (development): then after. */
    const char *dev = getenv("QVR_LUA_PATH");
    int at_end = dev && *dev;
    lua_getglobal(L, "package");      /* package */
    lua_getfield(L, -1, "searchers"); /* package searchers */
    lua_Integer n = luaL_len(L, -1);
    if (!at_end) {
        for (lua_Integer i = n; i >= 2; i--) {
            lua_rawgeti(L, -1, i);
            lua_rawseti(L, -2, i + 1);
        }
    }
    lua_pushcfunction(L, search_embedded);
    lua_rawseti(L, -2, at_end ? n + 1 : 2);
    lua_pop(L, 1); /* package */
    if (at_end) {
        lua_getfield(L, -1, "path");
        lua_pushfstring(L, "%s/?.lua;%s", dev, lua_tostring(L, -1));
        lua_setfield(L, -3, "path");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}
