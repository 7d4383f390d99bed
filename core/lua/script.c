/* script.c -- scenario loading and validation into a plan (see script.h).
 *
 * The DSL constructors (l_qvr.c) already checked keys and types where they
 * were called; here the returned table is checked once more (it may have
 * been changed since) and becomes C values. Every call into Lua is
 * protected, the build included: a syntax, runtime or validation error is
 * returned as one line that starts with the file and line. */
#include "script.h"

#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "http.h"
#include "l_qvr.h"
#include "log.h"
#include "qvr.h"
#include "suggest.h"

/* 1 when msg starts with a position "source:line:". */
static int has_position(const char *msg)
{
    size_t n = strcspn(msg, ":\n");
    if (n == 0 || msg[n] != ':')
        return 0;
    size_t d = strspn(msg + n + 1, "0123456789");
    return d > 0 && msg[n + 1 + d] == ':';
}

/* lua.c's msghandler, plus a position for errors raised without one
 * (error(x, 0), error objects): the innermost Lua function's line. The
 * result is "source:line: message" and a traceback. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "error object is a %s value",
                                  luaL_typename(L, 1));
    }
    if (!has_position(msg)) {
        lua_Debug ar;
        for (int level = 1; lua_getstack(L, level, &ar); level++) {
            if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
                msg = lua_pushfstring(L, "%s:%d: %s", ar.short_src,
                                      ar.currentline, msg);
                break;
            }
        }
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Lua shortens long source names to "...tail" (LUA_IDSIZE). When err
 * starts with such an abbreviation of file, put the whole path back. */
static void restore_path(char *err, unsigned long errlen, const char *file)
{
    if (strncmp(err, "...", 3) != 0 || !has_position(err))
        return;
    size_t tl = strcspn(err + 3, ":"), fl = strlen(file);
    if (tl > fl || strncmp(file + fl - tl, err + 3, tl) != 0)
        return;
    char *rest = strdup(err + 3 + tl);
    if (!rest)
        return;
    snprintf(err, errlen, "%s%s", file, rest);
    free(rest);
}

/* Every message names a file: one without a position gets "file: ". */
static void ensure_file(char *err, unsigned long errlen, const char *file)
{
    if (has_position(err) || strncmp(err, file, strlen(file)) == 0)
        return;
    char *msg = strdup(err);
    if (!msg)
        return;
    snprintf(err, errlen, "%s: %s", file, msg);
    free(msg);
}

/* Copies the first line of the error at the top of L into err, after where
 * (the position of scenario{}) when the message has no position of its
 * own, and logs the whole message (with its traceback) at debug level.
 * A first line ending in ':' (require's "module 'x' not found:") loses the
 * colon. */
static void take_error(lua_State *L, const char *where, char *err,
                       unsigned long errlen)
{
    const char *m = lua_tostring(L, -1);
    if (!m)
        m = "unknown error";
    size_t n = strcspn(m, "\n");
    while (n > 0 && (m[n - 1] == ':' || m[n - 1] == ' '))
        n--;
    snprintf(err, errlen, "%s%.*s", has_position(m) ? "" : where, (int)n, m);
    qvr_debug("%s", m);
    lua_pop(L, 1);
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int fail_at(lua_State *L, int sc, char *err, unsigned long errlen,
                   const char *fmt, ...) QVR_PRINTF(5, 6);

/* Writes "<where of scenario{}> msg" to err; returns QVR_EINVAL. */
static int fail_at(lua_State *L, int sc, char *err, unsigned long errlen,
                   const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lua_getfield(L, sc, "__where");
    snprintf(err, errlen, "%s%s",
             lua_isstring(L, -1) ? lua_tostring(L, -1) : "", msg);
    lua_pop(L, 1);
    return QVR_EINVAL;
}

static uint64_t field_duration(lua_State *L, int t, const char *f,
                               uint64_t dflt)
{
    uint64_t ns = dflt;
    int ty = lua_getfield(L, t, f);
    if (ty == LUA_TNUMBER) {
        /* as the constructors allow (0 to 1e9 s), never an overflowing
         * cast: the table may have been changed after they checked it */
        double sec = lua_tonumber(L, -1);
        ns = !(sec > 0)  ? 0
             : sec > 1e9 ? (uint64_t)1e18
                         : (uint64_t)(sec * 1e9);
    } else if (ty == LUA_TSTRING)
        qvr_duration_parse(lua_tostring(L, -1), &ns); /* validated */
    lua_pop(L, 1);
    return ns;
}

static double field_number(lua_State *L, int t, const char *f, double dflt)
{
    double v = dflt;
    if (lua_getfield(L, t, f) == LUA_TNUMBER)
        v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* The rates of an open load within --rate's bounds, checked again on the
 * plan: the load table may have been changed after its constructor
 * checked it (a rate of 1e12 starts work in a C loop no signal stops). */
static int check_rates(lua_State *L, int sc, const struct qvr_load *l,
                       char *err, unsigned long errlen)
{
    char what[32] = "";
    double v = 1;
    if (l->kind == QVR_LOAD_RATE) {
        snprintf(what, sizeof(what), "rate: 'rps'");
        v = l->rps;
    } else if (l->kind == QVR_LOAD_SWEEP && l->max_rps != 0) {
        snprintf(what, sizeof(what), "sweep: 'max_rps'");
        v = l->max_rps;
    } else if (l->kind == QVR_LOAD_STEPS && l->open && !l->vary[0]) {
        for (int i = 0; i < l->nsteps; i++) {
            double x = l->steps[i].rps;
            if (!(x >= QVR_RPS_MIN && x <= QVR_RPS_MAX)) {
                snprintf(what, sizeof(what), "steps: 'rps'[%d]", i + 1);
                v = x;
                break;
            }
        }
    }
    if (!what[0] || (v >= QVR_RPS_MIN && v <= QVR_RPS_MAX))
        return 0;
    return fail_at(L, sc, err, errlen,
                   "%s must be from 0.001 to 10000000 requests per second "
                   "(as --rate), got %.14g",
                   what, v);
}

static int build_load(lua_State *L, int sc, struct qvr_plan *p,
                      const struct qvr_overrides *ov, char *err,
                      unsigned long errlen)
{
    lua_getfield(L, sc, "load");
    int t = lua_gettop(L);
    lua_getfield(L, t, "__kind");
    const char *kind = lua_tostring(L, -1);
    struct qvr_load *l = &p->load;
    int rc = 0;
    if (strcmp(kind, "users") == 0) {
        l->kind = QVR_LOAD_USERS;
        l->users = (int)field_number(L, t, "count", 1);
        l->spawn_rate = field_number(L, t, "spawn_rate", 0);
        l->duration_ns = field_duration(L, t, "duration", 0);
        if (ov->users > 0)
            l->users = ov->users;
        if (ov->spawn_rate > 0)
            l->spawn_rate = ov->spawn_rate;
        if (ov->duration_ns > 0)
            l->duration_ns = (uint64_t)ov->duration_ns;
    } else if (strcmp(kind, "ramp") == 0) {
        l->kind = QVR_LOAD_RAMP;
        if (ov->users > 0 || ov->spawn_rate > 0 || ov->duration_ns > 0) {
            rc = fail_at(L, sc, err, errlen,
                         "--users, --spawn-rate and --duration apply to "
                         "users{} loads, not to ramp{}");
            goto out;
        }
        lua_Integer n = luaL_len(L, t);
        int level = 0;
        if (n > QVR_MAX_STAGES) { /* changed after ramp{} checked it */
            rc = fail_at(L, sc, err, errlen, "ramp: at most %d stages",
                         QVR_MAX_STAGES);
            goto out;
        }
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, t, i);
            struct qvr_stage *s = &l->stages[l->nstages++];
            if (lua_getfield(L, -1, "hold") != LUA_TNIL) {
                lua_pop(L, 1);
                s->dur_ns = field_duration(L, lua_gettop(L), "hold", 0);
                s->users = level;
            } else {
                lua_pop(L, 1);
                s->dur_ns = field_duration(L, lua_gettop(L), "over", 0);
                s->users = (int)field_number(L, lua_gettop(L), "users", 0);
                level = s->users;
            }
            lua_pop(L, 1);
        }
        if (qvr_sched_max_users(l) == 0) {
            rc = fail_at(L, sc, err, errlen, "ramp: no stage has any users");
            goto out;
        }
    } else {
        /* rate{}, steps{}, sweep{}: validated by their constructors */
        l->max_users = (int)field_number(L, t, "max_users", 0);
        lua_getfield(L, t, "arrival");
        l->arrival =
            lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "poisson") == 0
                ? QVR_ARRIVAL_POISSON
                : QVR_ARRIVAL_CONSTANT;
        lua_pop(L, 1);
        if ((ov->users > 0 || ov->spawn_rate > 0) ||
            (ov->duration_ns > 0 && strcmp(kind, "rate") != 0 &&
             strcmp(kind, "every") != 0) ||
            (ov->rps > 0 && strcmp(kind, "rate") != 0)) {
            rc = fail_at(L, sc, err, errlen,
                         "--users/--spawn-rate apply to users{}, "
                         "--rate/--duration to rate{}: not to %s{}",
                         kind);
            goto out;
        }
    }
    if (strcmp(kind, "rate") == 0) {
        l->kind = QVR_LOAD_RATE;
        l->rps = ov->rps > 0 ? ov->rps : field_number(L, t, "rps", 1);
        l->duration_ns = ov->duration_ns > 0
                             ? (uint64_t)ov->duration_ns
                             : field_duration(L, t, "duration", 0);
        if (!l->max_users)
            l->max_users = 1000;
    } else if (strcmp(kind, "steps") == 0) {
        l->kind = QVR_LOAD_STEPS;
        l->hold_ns = field_duration(L, t, "hold", 0);
        l->settle_ns = field_duration(L, t, "settle", 0);
        const char *list = "users";
        int ty = lua_getfield(L, t, "rps");
        lua_pop(L, 1);
        if (ty != LUA_TNIL) {
            l->open = 1;
            list = "rps";
            if (!l->max_users)
                l->max_users = 1000;
        }
        /* users come and go one at a time at the start of each step */
        l->spawn_rate = field_number(L, t, "spawn_rate", 0);
        if (l->open && l->spawn_rate > 0) {
            rc = fail_at(L, sc, err, errlen,
                         "steps: spawn_rate applies to steps of users; "
                         "steps of rps start arrivals, not users");
            goto out;
        }
        if (lua_getfield(L, t, "vary") == LUA_TTABLE) {
            lua_pushnil(L);
            lua_next(L, -2); /* vary name values */
            snprintf(l->vary, sizeof(l->vary), "%s", lua_tostring(L, -2));
            lua_pop(L, 2);
            l->users = (int)field_number(L, t, "users", 1);
            lua_getfield(L, -1, l->vary);
            lua_replace(L, -2);
        } else {
            lua_pop(L, 1);
            lua_getfield(L, t, list);
        }
        lua_Integer nsteps = luaL_len(L, -1);
        if (nsteps > QVR_MAX_STEPS) { /* changed after steps{} checked it */
            rc = fail_at(L, sc, err, errlen, "steps: at most %d steps",
                         QVR_MAX_STEPS);
            goto out;
        }
        l->nsteps = (int)nsteps;
        for (int i = 0; i < l->nsteps; i++) {
            lua_rawgeti(L, -1, i + 1);
            double v = lua_tonumber(L, -1);
            lua_pop(L, 1);
            if (l->vary[0])
                l->steps[i].vary = v;
            else if (l->open)
                l->steps[i].rps = v;
            else
                l->steps[i].users = (int)v;
        }
        lua_pop(L, 1);
    } else if (strcmp(kind, "every") == 0) {
        l->kind = QVR_LOAD_EVERY;
        l->interval_ns = field_duration(L, t, "interval", 30 * QVR_NS_PER_S);
        l->window = (int)field_number(L, t, "window", 1000);
        l->duration_ns = ov->duration_ns > 0
                             ? (uint64_t)ov->duration_ns
                             : field_duration(L, t, "duration", 0);
        l->max_users = 1;
    } else if (strcmp(kind, "sweep") == 0) {
        l->kind = QVR_LOAD_SWEEP;
        l->max_rps = field_number(L, t, "max_rps", 0);
        l->rates = (int)field_number(L, t, "rates", 8);
        l->hold_ns = field_duration(L, t, "hold", 60 * QVR_NS_PER_S);
        l->settle_ns = field_duration(L, t, "settle", 0);
        if (!l->max_users)
            l->max_users = 64;
    }
    rc = check_rates(L, sc, l, err, errlen);
out:
    lua_pop(L, 2);
    return rc;
}

static void build_wait(lua_State *L, int sc, struct qvr_plan *p)
{
    int ty = lua_getfield(L, sc, "wait");
    p->wait.kind = QVR_WAIT_NONE;
    if (ty == LUA_TNUMBER) {
        p->wait.kind = QVR_WAIT_CONSTANT;
        p->wait.a = p->wait.b = lua_tonumber(L, -1);
    } else if (ty == LUA_TTABLE) {
        lua_getfield(L, -1, "__kind");
        const char *k = lua_tostring(L, -1);
        p->wait.kind = strcmp(k, "between") == 0    ? QVR_WAIT_BETWEEN
                       : strcmp(k, "constant") == 0 ? QVR_WAIT_CONSTANT
                                                    : QVR_WAIT_PACING;
        lua_pop(L, 1);
        p->wait.a = field_number(L, -1, "a", 0);
        p->wait.b = field_number(L, -1, "b", 0);
    }
    lua_pop(L, 1);
}

static int cmp_task(const void *a, const void *b)
{
    return strcmp(((const struct qvr_task *)a)->name,
                  ((const struct qvr_task *)b)->name);
}

/* Tasks in name order (pairs() order is not stable across runs). */
static int build_tasks(lua_State *L, int sc, struct qvr_plan *p)
{
    lua_getfield(L, sc, "tasks");
    int t = lua_gettop(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        n++;
        lua_pop(L, 1);
    }
    p->tasks = calloc((size_t)n, sizeof(*p->tasks));
    p->task_cumw = calloc((size_t)n, sizeof(*p->task_cumw));
    p->task_refs = calloc((size_t)n, sizeof(*p->task_refs));
    if (!p->tasks || !p->task_cumw || !p->task_refs)
        return QVR_ENOMEM;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        struct qvr_task *k = &p->tasks[p->ntasks++];
        k->name = xstrdup(lua_tostring(L, -2));
        k->weight = 1;
        if (lua_type(L, -1) == LUA_TTABLE) {
            k->weight = field_number(L, -1, "weight", 1);
            lua_getfield(L, -1, "run");
            lua_replace(L, -2);
        }
        k->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_pop(L, 1);
    qsort(p->tasks, (size_t)p->ntasks, sizeof(*p->tasks), cmp_task);
    double c = 0;
    for (int i = 0; i < p->ntasks; i++) {
        c += p->tasks[i].weight;
        p->task_cumw[i] = c;
        p->task_refs[i] = p->tasks[i].fn_ref;
    }
    return 0;
}

static int cmp_thresh(const void *a, const void *b)
{
    return strcmp(((const struct qvr_plan_thresh *)a)->t.expr,
                  ((const struct qvr_plan_thresh *)b)->t.expr);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The value of thresholds[key] at the top of the stack: a condition string
 * or { "cond", abort = bool, after = duration }. Writes the condition and
 * options; returns 0 or QVR_EINVAL with err written. */
static int thresh_value(lua_State *L, int sc, const char *key,
                        const char **cond, int *abort, uint64_t *after,
                        char *err, unsigned long errlen)
{
    static const char *const opts[] = {"abort", "after", NULL};
    int v = lua_gettop(L);
    *cond = NULL;
    *abort = 0;
    *after = 0;
    if (lua_type(L, v) != LUA_TTABLE) {
        *cond = lua_tostring(L, v);
        return 0;
    }
    lua_pushnil(L);
    while (lua_next(L, v)) {
        lua_pop(L, 1);
        if (lua_isinteger(L, -1) && lua_tointeger(L, -1) == 1)
            continue;
        const char *k =
            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int ok = 0;
        for (int i = 0; k && opts[i]; i++)
            ok |= strcmp(k, opts[i]) == 0;
        if (ok)
            continue;
        const char *best;
        if (!k)
            return fail_at(L, sc, err, errlen,
                           "thresholds: '%s': one condition per threshold, "
                           "then abort = or after =",
                           key);
        if ((best = qvr_suggest(k, opts, -1)) != NULL)
            return fail_at(L, sc, err, errlen,
                           "thresholds: '%s': unknown option '%s' (did you "
                           "mean '%s'?)",
                           key, k, best);
        return fail_at(L, sc, err, errlen,
                       "thresholds: '%s': unknown option '%s' (expected "
                       "abort or after)",
                       key, k);
    }
    if (lua_rawgeti(L, v, 1) == LUA_TSTRING)
        *cond = lua_tostring(L, -1); /* anchored by the table */
    lua_pop(L, 1);
    if (!*cond)
        return fail_at(L, sc, err, errlen,
                       "thresholds: '%s': the table needs the condition "
                       "first, e.g. { \"< 5s\", abort = true }",
                       key);
    lua_getfield(L, v, "abort");
    *abort = lua_toboolean(L, -1);
    lua_pop(L, 1);
    int ty = lua_getfield(L, v, "after");
    int bad = 0;
    if (ty == LUA_TNUMBER) {
        double a = lua_tonumber(L, -1);
        bad = !(a >= 0 && a < 1e9);
        if (!bad)
            *after = (uint64_t)(a * 1e9);
    } else if (ty == LUA_TSTRING) {
        bad = qvr_duration_parse(lua_tostring(L, -1), after) < 0;
    } else if (ty != LUA_TNIL) {
        bad = 1;
    }
    if (bad) {
        const char *a = luaL_tolstring(L, -1, NULL);
        return fail_at(L, sc, err, errlen,
                       "thresholds: '%s': bad 'after' duration '%s' (use "
                       "e.g. \"1m\")",
                       key, a);
    }
    lua_pop(L, 1);
    return 0;
}

/* Thresholds are read in key order, so that which of two duplicates is
 * named in the error does not depend on Lua's hash order. */
static int build_thresholds(lua_State *L, int sc, struct qvr_plan *p, char *err,
                            unsigned long errlen)
{
    if (lua_getfield(L, sc, "thresholds") != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    int t = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        n++;
        lua_pop(L, 1);
    }
    p->thresh = calloc(n ? n : 1, sizeof(*p->thresh));
    if (!p->thresh)
        return QVR_ENOMEM;
    /* The keys, anchored by the table; the array is a userdata so that a
     * Lua error cannot leak it. */
    const char **keys = lua_newuserdatauv(L, (n ? n : 1) * sizeof(*keys), 0);
    size_t nk = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || nk == n)
            return fail_at(L, sc, err, errlen,
                           "thresholds: keys must be metric expressions "
                           "such as p99 or \"p99{task=x}\"");
        keys[nk++] = lua_tostring(L, -1);
    }
    qsort(keys, nk, sizeof(*keys), cmp_str);
    for (size_t k = 0; k < nk; k++) {
        const char *key = keys[k];
        const char *cond;
        int abort, rc;
        uint64_t after;
        lua_getfield(L, t, key);
        rc = thresh_value(L, sc, key, &cond, &abort, &after, err, errlen);
        if (rc < 0)
            return rc;
        if (!cond)
            return fail_at(L, sc, err, errlen,
                           "thresholds: '%s' must be a condition string "
                           "such as \"< 5s\"",
                           key);
        struct qvr_plan_thresh *pt = &p->thresh[p->nthresh];
        char why[256];
        if (qvr_thresh_parse(key, cond, &pt->t, why, sizeof(why)) < 0)
            return fail_at(L, sc, err, errlen, "thresholds: '%s': %s", key,
                           why);
        pt->t.abort = abort;
        pt->t.after_ns = after;
        pt->value = NAN;
        for (int i = 0; i < p->nthresh; i++)
            if (qvr_thresh_same_key(&p->thresh[i].t, &pt->t))
                return fail_at(L, sc, err, errlen,
                               "thresholds: '%s' repeats '%s' (same metric, "
                               "tags and window); give each once",
                               key, keys[i]);
        p->nthresh++;
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    qsort(p->thresh, (size_t)p->nthresh, sizeof(*p->thresh), cmp_thresh);
    return 0;
}

/* --threshold EXPR: each replaces the scenario's threshold of the same key
 * (metric, tags, window), options and all, or is added to them; two flags of
 * one key are refused. */
static int add_flag_thresholds(struct qvr_plan *p,
                               const struct qvr_overrides *ov, char *err,
                               unsigned long errlen)
{
    if (ov->nthresh <= 0)
        return 0;
    int cap = p->nthresh + ov->nthresh, rc = 0;
    struct qvr_plan_thresh *th = realloc(p->thresh, (size_t)cap * sizeof(*th));
    if (!th)
        return QVR_ENOMEM;
    p->thresh = th;
    const char **flag = calloc((size_t)cap, sizeof(*flag)); /* by index */
    if (!flag)
        return QVR_ENOMEM;
    for (int i = 0; i < ov->nthresh; i++) {
        struct qvr_plan_thresh pt;
        char why[256];
        memset(&pt, 0, sizeof(pt));
        if (qvr_thresh_parse_expr(ov->thresh[i], &pt.t, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "--threshold '%s': %s", ov->thresh[i], why);
            rc = QVR_EINVAL;
            break;
        }
        pt.value = NAN;
        int k = 0;
        while (k < p->nthresh && !qvr_thresh_same_key(&th[k].t, &pt.t))
            k++;
        if (flag[k]) {
            snprintf(err, errlen,
                     "--threshold '%s' repeats --threshold '%s' (same "
                     "metric, tags and window); give each once",
                     ov->thresh[i], flag[k]);
            rc = QVR_EINVAL;
            break;
        }
        if (k == p->nthresh)
            p->nthresh++;
        th[k] = pt;
        flag[k] = ov->thresh[i];
    }
    free(flag);
    if (rc == 0)
        qsort(p->thresh, (size_t)p->nthresh, sizeof(*p->thresh), cmp_thresh);
    return rc;
}

/* mock = { service = "100ms", slots = 1 } -> "--service" "100ms" ... */
static int build_mock_args(lua_State *L, int sc, struct qvr_plan *p)
{
    if (lua_getfield(L, sc, "mock") != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    int t = lua_gettop(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        n++;
        lua_pop(L, 1);
    }
    p->mock_argv = calloc((size_t)(2 * n + 1), sizeof(char *));
    if (!p->mock_argv)
        return QVR_ENOMEM;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        char flag[80];
        snprintf(flag, sizeof(flag), "--%s",
                 lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
        for (char *c = flag + 2; *c; c++)
            if (*c == '_')
                *c = '-';
        p->mock_argv[p->mock_argc++] = xstrdup(flag);
        if (lua_type(L, -1) != LUA_TBOOLEAN)
            p->mock_argv[p->mock_argc++] = xstrdup(luaL_tolstring(L, -1, NULL));
        lua_settop(L, t + 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* slo = "p99 < 5s" or "p95 < 2s, error_rate < 1%": a latency percentile
 * and/or an error-rate bound. */
static int parse_slo(const char *text, struct qvr_slo *slo, char *why,
                     size_t len)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", text);
    char *save = NULL;
    for (char *part = strtok_r(buf, ",", &save); part;
         part = strtok_r(NULL, ",", &save)) {
        size_t k = strcspn(part, "<>=");
        if (!part[k]) {
            snprintf(why, len, "slo: '%s' has no operator", part);
            return QVR_EINVAL;
        }
        char key[64];
        snprintf(key, sizeof(key), "%.*s", (int)k, part);
        struct qvr_thresh t;
        char e[200];
        if (qvr_thresh_parse(key, part + k, &t, e, sizeof(e)) < 0) {
            snprintf(why, len, "slo: %s", e);
            return QVR_EINVAL;
        }
        if (t.ntags || t.window_ns ||
            (t.op != QVR_OP_LT && t.op != QVR_OP_LE)) {
            snprintf(why, len,
                     "slo: '%s': use an upper bound with no tags "
                     "or window",
                     part);
            return QVR_EINVAL;
        }
        if (t.metric == QVR_TM_PCTL && t.src == QVR_TS_TTFT) {
            slo->ttft_pct = t.pct;
            slo->ttft_ms = t.target;
        } else if (t.metric == QVR_TM_PCTL && t.src == QVR_TS_TPOT) {
            slo->tpot_pct = t.pct;
            slo->tpot_ms = t.target;
        } else if (t.metric == QVR_TM_PCTL && t.src == QVR_TS_LATENCY) {
            slo->pct = t.pct;
            slo->p99_ms = t.target;
        } else if (t.metric == QVR_TM_ERROR_RATE) {
            slo->error_rate = t.target;
        } else {
            snprintf(why, len,
                     "slo: '%s': only a latency, ttft. or tpot. "
                     "percentile and error_rate can be an slo",
                     part);
            return QVR_EINVAL;
        }
    }
    return 0;
}

static char *default_name(const char *file)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    size_t n = strlen(b);
    if (n > 4 && strcmp(b + n - 4, ".lua") == 0)
        n -= 4;
    return strndup(b, n);
}

static int build_plan(lua_State *L, int sc, struct qvr_plan *p,
                      const struct qvr_overrides *ov, char *err,
                      unsigned long errlen)
{
    int rc;
    lua_getfield(L, sc, "name");
    p->name = lua_isstring(L, -1) ? xstrdup(lua_tostring(L, -1))
                                  : default_name(p->file);
    lua_pop(L, 1);

    lua_getfield(L, sc, "target");
    const char *target = ov->target ? ov->target : lua_tostring(L, -1);
    if (!target || !*target) {
        lua_pop(L, 1);
        return fail_at(L, sc, err, errlen,
                       "scenario: no target; set target = \"http://...\" "
                       "(or \"mock\") or pass --target URL");
    }
    p->target = xstrdup(target);
    lua_pop(L, 1);
    size_t tl = strlen(p->target);
    while (tl > 0 && p->target[tl - 1] == '/')
        p->target[--tl] = 0;
    p->target_is_mock = strcmp(p->target, "mock") == 0;
    if (!p->target_is_mock && strncmp(p->target, "http://", 7) != 0 &&
        strncmp(p->target, "https://", 8) != 0)
        return fail_at(L, sc, err, errlen,
                       "scenario: target '%s' must be an http:// or https:// "
                       "URL, or \"mock\"",
                       p->target);
    char bad_url[160];
    if (!p->target_is_mock &&
        qvr_http_url_check(p->target, bad_url, sizeof(bad_url)) < 0) {
        if (ov->target) {
            snprintf(err, errlen, "--target '%s': %s", p->target, bad_url);
            return QVR_EINVAL;
        }
        return fail_at(L, sc, err, errlen, "scenario: target '%s': %s",
                       p->target, bad_url);
    }

    if ((rc = build_load(L, sc, p, ov, err, errlen)) < 0)
        return rc;
    build_wait(L, sc, p);
    if ((rc = build_tasks(L, sc, p)) < 0)
        return rc;
    if ((rc = build_thresholds(L, sc, p, err, errlen)) < 0)
        return rc;
    if ((rc = add_flag_thresholds(p, ov, err, errlen)) < 0)
        return rc;
    if ((rc = build_mock_args(L, sc, p)) < 0)
        return rc;
    if (lua_getfield(L, sc, "warmup") == LUA_TTABLE) {
        p->warmup_requests = (int)field_number(L, -1, "requests", 0);
        p->warmup_ns = field_duration(L, lua_gettop(L), "duration", 0);
    }
    lua_pop(L, 1);
    p->timeout_ms = (long)(field_duration(L, sc, "timeout", 60 * QVR_NS_PER_S) /
                           QVR_NS_PER_MS);
    if (p->timeout_ms < 1)
        p->timeout_ms = 1;
    p->grace_ns = field_duration(L, sc, "grace", 10 * QVR_NS_PER_S);
    p->window_ns = QVR_NS_PER_S;
    p->load_full = p->load;
    if (ov->seg_count > 1) {
        if (p->load.kind == QVR_LOAD_SWEEP || p->load.kind == QVR_LOAD_EVERY)
            return fail_at(L, sc, err, errlen,
                           "--segment: a %s{} load cannot be split",
                           p->load.kind == QVR_LOAD_SWEEP ? "sweep" : "every");
        qvr_sched_split(&p->load, ov->seg_index, ov->seg_count);
        /* each part warms its own connections: its share, at least one */
        if (p->warmup_requests > 0) {
            int w = p->warmup_requests / ov->seg_count +
                    (ov->seg_index <= p->warmup_requests % ov->seg_count);
            p->warmup_requests = w > 0 ? w : 1;
        }
    }
    p->seg_index = ov->seg_count ? ov->seg_index : 0;
    p->seg_count = ov->seg_count;
    p->slo.p99_ms = 5000;
    p->slo.pct = 99;
    p->slo.error_rate = 0.05;
    {
        lua_getfield(L, sc, "slo");
        if (lua_isnil(L, -1) && p->load.kind == QVR_LOAD_SWEEP) {
            lua_pop(L, 1);
            lua_getfield(L, sc, "load");
            lua_getfield(L, -1, "slo");
            lua_replace(L, -2);
        }
        const char *slo = lua_tostring(L, -1);
        char why[256];
        int bad = slo && parse_slo(slo, &p->slo, why, sizeof(why)) < 0;
        lua_pop(L, 1);
        if (bad)
            return fail_at(L, sc, err, errlen, "%s", why);
        lua_getfield(L, sc, "stop_on");
        p->load.stop_on_saturation = lua_isstring(L, -1);
        lua_pop(L, 1);
    }
    if (lua_getfield(L, sc, "redact") == LUA_TTABLE) {
        int n = (int)luaL_len(L, -1);
        p->redact = calloc((size_t)n + 1, sizeof(char *));
        if (!p->redact)
            return QVR_ENOMEM;
        for (int i = 0; i < n; i++) {
            lua_rawgeti(L, -1, i + 1);
            p->redact[p->nredact++] = xstrdup(lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    lua_getfield(L, sc, "on_alert");
    p->on_alert = lua_isstring(L, -1) ? xstrdup(lua_tostring(L, -1)) : NULL;
    lua_pop(L, 1);
    if (lua_getfield(L, sc, "collect") == LUA_TTABLE) {
        int c = lua_gettop(L);
        lua_getfield(L, c, "host");
        p->collect_host = lua_toboolean(L, -1);
        lua_getfield(L, c, "gpu");
        p->collect_gpu =
            lua_isstring(L, -1) ? xstrdup(lua_tostring(L, -1)) : NULL;
        lua_getfield(L, c, "prometheus");
        p->collect_prom =
            lua_isstring(L, -1) ? xstrdup(lua_tostring(L, -1)) : NULL;
        lua_pop(L, 3);
        if (lua_getfield(L, c, "headers") == LUA_TTABLE) {
            int n = (int)luaL_len(L, -1);
            p->collect_headers = calloc((size_t)n + 1, sizeof(char *));
            if (!p->collect_headers)
                return QVR_ENOMEM;
            for (int i = 0; i < n; i++) {
                lua_rawgeti(L, -1, i + 1);
                p->collect_headers[p->ncollect_headers++] =
                    xstrdup(lua_tostring(L, -1));
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, sc, "report") == LUA_TTABLE)
        p->window_ns = field_duration(L, -1, "window", QVR_NS_PER_S);
    lua_pop(L, 1);
    p->max_body = (size_t)field_number(L, sc, "max_body", 64.0 * 1024 * 1024);
    lua_getfield(L, sc, "insecure");
    p->insecure = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return 0;
}

struct build_call {
    struct qvr_plan *p;
    const struct qvr_overrides *ov;
    char *err;
    unsigned long errlen;
    int rc;
};

/* lua_CFunction run under lua_pcall with the scenario table and a struct
 * build_call: checks the table again and builds the plan. Everything the
 * plan allocates hangs off it at once, so qvr_script_free releases it
 * whether the build returns, fails or raises. */
static int build_protected(lua_State *L)
{
    struct build_call *c = lua_touserdata(L, 2);
    lua_settop(L, 1);
    lua_pushcfunction(L, qvr_l_scenario_check);
    lua_pushvalue(L, 1);
    lua_call(L, 1, 0);
    c->rc = build_plan(L, 1, c->p, c->ov, c->err, c->errlen);
    return 0;
}

/* The last line holding code in the function on top of the stack (the
 * end of a main chunk); 0 when unknown. Leaves the stack as it was. */
static int last_line(lua_State *L)
{
    lua_Debug ar;
    int last = 0;
    lua_pushvalue(L, -1);
    lua_getinfo(L, ">L", &ar); /* ... activelines */
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pop(L, 1);
            if (lua_isinteger(L, -1) && lua_tointeger(L, -1) > last)
                last = (int)lua_tointeger(L, -1);
        }
    }
    lua_pop(L, 1);
    return last;
}

/* What a scenario file returned at idx, for the error message. */
static const char *returned(lua_State *L, int idx)
{
    switch (lua_gettop(L) < idx ? LUA_TNONE : lua_type(L, idx)) {
    case LUA_TNONE:
        return "nothing";
    case LUA_TNIL:
        return "nil";
    case LUA_TTABLE:
        return "a plain table";
    default:
        return lua_pushfstring(L, "a %s", luaL_typename(L, idx));
    }
}

struct qvr_script *qvr_script_load(const char *file,
                                   const struct qvr_overrides *ov, char *err,
                                   unsigned long errlen)
{
    struct qvr_overrides none = {
        .users = -1, .spawn_rate = -1, .duration_ns = -1};
    char where[512] = "";
    if (errlen > 0)
        err[0] = 0;
    if (!ov)
        ov = &none;
    struct qvr_script *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", file);
        return NULL;
    }
    /* Lua's own "cannot open" names the file after the verb; say it
     * first, like every other message. */
    FILE *f = fopen(file, "r");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot open: %s", file,
                 f ? "is a directory, not a scenario file" : strerror(errno));
        if (f)
            fclose(f);
        goto fail;
    }
    fclose(f);
    s->plan.file = xstrdup(file);
    lua_State *L = s->L = luaL_newstate();
    if (!L || !s->plan.file) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* No VU runs on the main thread: its extra space (where a coroutine
     * finds its VU, and which new threads copy) must say so. Lua leaves it
     * uninitialised. */
    *(void **)lua_getextraspace(L) = NULL;
    luaL_openlibs(L);
    /* Generational GC: every request leaves a short-lived response table;
     * collecting the young ones often keeps the heap near the live data
     * (thousands of users) instead of letting it double between cycles. */
    lua_gc(L, LUA_GCGEN, 0, 0);
    qvr_l_qvr_install(L, ov->env, ov->nenv);
    if (ov->quiet_top) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, QVR_QUIET_TOP_KEY);
    }

    /* require() finds modules beside the scenario first. */
    const char *slash = strrchr(file, '/');
    lua_getglobal(L, "package"); /* package */
    if (slash)
        lua_pushlstring(L, file, (size_t)(slash - file));
    else
        lua_pushliteral(L, "."); /* package dir */
    lua_getfield(L, -2, "path"); /* package dir path */
    lua_pushfstring(L, "%s/?.lua;%s", lua_tostring(L, -2),
                    lua_tostring(L, -1)); /* package dir path newpath */
    lua_setfield(L, -4, "path");
    lua_settop(L, 0);
    /* qvr.scenario_dir: where relative data and media paths are also
     * looked for (after the working directory). */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "qvr");
    if (slash)
        lua_pushlstring(L, file, (size_t)(slash - file));
    else
        lua_pushliteral(L, ".");
    lua_setfield(L, -2, "scenario_dir");
    lua_settop(L, 0);

    lua_pushcfunction(L, msghandler); /* msgh */
    if (luaL_loadfilex(L, file, "t") != LUA_OK) {
        take_error(L, "", err, errlen);
        goto fail;
    }
    int last = last_line(L); /* msgh chunk */
    if (lua_pcall(L, 0, LUA_MULTRET, 1) != LUA_OK) {
        take_error(L, "", err, errlen);
        goto fail;
    }
    int sc = 2; /* msgh results... */
    int is_scenario = 0;
    if (lua_gettop(L) >= sc && lua_type(L, sc) == LUA_TTABLE &&
        lua_getmetatable(L, sc)) {
        luaL_getmetatable(L, QVR_SCENARIO_MT);
        is_scenario = lua_rawequal(L, -1, -2);
    }
    if (!is_scenario) {
        snprintf(err, errlen,
                 "%s:%d: the scenario file must end with 'return scenario{ "
                 "... }' (it returned %s)",
                 file, last > 0 ? last : 1, returned(L, sc));
        goto fail;
    }
    lua_settop(L, sc);
    lua_getfield(L, sc, "__where");
    if (lua_type(L, -1) == LUA_TSTRING)
        snprintf(where, sizeof(where), "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    /* Checked again and built under lua_pcall: the table may have been
     * changed after scenario{} returned it, and no Lua error may escape. */
    struct build_call c = {&s->plan, ov, err, errlen, 0};
    lua_pushcfunction(L, build_protected);
    lua_pushvalue(L, sc);
    lua_pushlightuserdata(L, &c);
    if (lua_pcall(L, 2, 0, 1) != LUA_OK) {
        take_error(L, where, err, errlen);
        goto fail;
    }
    if (c.rc < 0) {
        if (!err[0])
            snprintf(err, errlen, "%sout of memory", where);
        goto fail;
    }
    lua_settop(L, 0);
    return s;
fail:
    restore_path(err, errlen, file);
    ensure_file(err, errlen, file);
    qvr_script_free(s);
    return NULL;
}

void qvr_script_free(struct qvr_script *s)
{
    if (!s)
        return;
    struct qvr_plan *p = &s->plan;
    for (int i = 0; i < p->ntasks; i++)
        free(p->tasks[i].name);
    free(p->tasks);
    free(p->task_cumw);
    free(p->task_refs);
    free(p->thresh);
    for (int i = 0; i < p->mock_argc; i++)
        free(p->mock_argv[i]);
    free(p->mock_argv);
    free(p->file);
    free(p->name);
    free(p->target);
    free(p->collect_gpu);
    free(p->collect_prom);
    for (int i = 0; i < p->ncollect_headers; i++)
        free(p->collect_headers[i]);
    free(p->collect_headers);
    free(p->on_alert);
    for (int i = 0; i < p->nredact; i++)
        free(p->redact[i]);
    free(p->redact);
    if (s->L)
        lua_close(s->L);
    free(s);
}
