/* test_script.c -- scenario loading and validation into a plan.
 *
 * Scenario files are written into a fresh temporary directory (removed at
 * the end). Valid scenarios are checked field by field in the plan; invalid
 * ones against a table of (text, line, message): every message must be one
 * line that starts with "<path>:<line>:" and names the problem. The Lua
 * runtime (http.*, check, sleep) needs a VU and an event loop and is not
 * exercised here. */
#include "script.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "qvr.h"
#include "t.h"

static char dir[128];

/* Files written, for the clean-up (deepest last so rmdir works in
 * reverse). */
static char *made[256];
static int nmade;

static void remember(const char *path)
{
    for (int i = 0; i < nmade; i++)
        if (strcmp(made[i], path) == 0)
            return;
    if (nmade < (int)QVR_ARRAY_LEN(made))
        made[nmade++] = strdup(path);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    T_CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
    remember(path);
}

static void make_dir(const char *path)
{
    T_CHECK_MSG(mkdir(path, 0700) == 0, "mkdir %s", path);
    remember(path);
}

static void cleanup(void)
{
    for (int i = nmade - 1; i >= 0; i--) {
        if (remove(made[i]) != 0)
            fprintf(stderr, "cannot remove %s\n", made[i]);
        free(made[i]);
    }
    if (dir[0])
        rmdir(dir);
}

static struct qvr_overrides no_overrides(void)
{
    struct qvr_overrides ov;
    memset(&ov, 0, sizeof(ov));
    ov.target = NULL;
    ov.users = -1;
    ov.spawn_rate = -1;
    ov.duration_ns = -1;
    ov.env = NULL;
    ov.nenv = 0;
    return ov;
}

/* Writes text to dir/name and loads it; path receives the file's path. */
static struct qvr_script *load_text(const char *name, const char *text,
                                    const struct qvr_overrides *ov, char *path,
                                    size_t pathlen, char *err, size_t errlen)
{
    snprintf(path, pathlen, "%s/%s", dir, name);
    write_file(path, text);
    err[0] = 0;
    struct qvr_overrides none = no_overrides();
    return qvr_script_load(path, ov ? ov : &none, err, errlen);
}

/* Calls the task function at registry ref and returns its first result
 * as a string (static buffer), or "<error>". */
static const char *call_task(lua_State *L, int ref)
{
    static char out[64];
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    if (lua_type(L, -1) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return "<not a function>";
    }
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        lua_pop(L, 1);
        return "<error>";
    }
    snprintf(out, sizeof(out), "%s",
             lua_isstring(L, -1) ? lua_tostring(L, -1) : "<nil>");
    lua_pop(L, 1);
    return out;
}

/* ---- valid scenarios --------------------------------------------------------
 */

static void test_full(void)
{
    static const char text[] =
        "-- every key of a users{} scenario\n"
        "local q = require \"qvr\"\n"
        "assert(q == require(\"qvr\"))\n"
        "for _, f in ipairs{\"scenario\", \"users\", \"ramp\", \"between\",\n"
        "                   \"constant\", \"pacing\", \"env\", \"check\",\n"
        "                   \"fail\", \"sleep\", \"log\"} do\n"
        "  assert(type(q[f]) == \"function\" and q[f] == _G[f],\n"
        "         \"qvr.\" .. f .. \" is not the global \" .. f)\n"
        "end\n"
        "assert(q.http == http and q.json == json)\n"
        "return q.scenario {\n"
        "  target = \"http://127.0.0.1:8080/\",\n"
        "  warmup = { requests = 3 },\n"
        "  load   = users { count = 6, spawn_rate = 2, duration = \"90s\" },\n"
        "  wait   = between(1, 3),\n"
        "  tasks  = {\n"
        "    zeta  = { weight = 3, run = function() return \"z\" end },\n"
        "    alpha = function() return \"a\" end,\n"
        "    mid   = { weight = 0.5, run = function() return \"m\" end },\n"
        "    off   = { weight = 0, run = function() return \"o\" end },\n"
        "  },\n"
        "  thresholds = {\n"
        "    p99 = \"< 5s\",\n"
        "    error_rate = \"< 5%\",\n"
        "    [\"p99{task=alpha}\"] = \"< 6s\",\n"
        "    p50 = { \"< 1s\", abort = true, after = \"1m\" },\n"
        "  },\n"
        "}\n";
    char path[256], err[512];
    struct qvr_script *s =
        load_text("full.lua", text, NULL, path, sizeof(path), err, sizeof(err));
    T_CHECK_MSG(s != NULL, "full.lua: %s", err);
    if (!s)
        return;
    const struct qvr_plan *p = &s->plan;
    T_EQ_STR(p->file, path);
    T_EQ_STR(p->name, "full"); /* the file's basename without .lua */
    T_EQ_STR(p->target, "http://127.0.0.1:8080");
    T_EQ_INT(p->target_is_mock, 0);
    T_EQ_INT(p->load.kind, QVR_LOAD_USERS);
    T_EQ_INT(p->load.users, 6);
    T_NEAR(p->load.spawn_rate, 2, 0);
    T_EQ_INT(p->load.duration_ns, 90 * QVR_NS_PER_S);
    T_EQ_INT(p->wait.kind, QVR_WAIT_BETWEEN);
    T_NEAR(p->wait.a, 1, 0);
    T_NEAR(p->wait.b, 3, 0);
    T_EQ_INT(p->warmup_requests, 3);

    /* Tasks by name, with weights and cumulative weights. */
    static const char *const names[] = {"alpha", "mid", "off", "zeta"};
    static const char *const results[] = {"a", "m", "o", "z"};
    static const double weights[] = {1, 0.5, 0, 3};
    static const double cumw[] = {1, 1.5, 1.5, 4.5};
    T_EQ_INT(p->ntasks, 4);
    for (int i = 0; i < p->ntasks && i < 4; i++) {
        T_EQ_STR(p->tasks[i].name, names[i]);
        T_NEAR(p->tasks[i].weight, weights[i], 0);
        T_NEAR(p->task_cumw[i], cumw[i], 1e-12);
        T_EQ_INT(p->task_refs[i], p->tasks[i].fn_ref);
        T_EQ_STR(call_task(s->L, p->tasks[i].fn_ref), results[i]);
    }

    /* Thresholds parsed and sorted by expression. */
    T_EQ_INT(p->nthresh, 4);
    static const char *const metrics[] = {"error_rate", "p50", "p99", "p99"};
    for (int i = 0; i < p->nthresh && i < 4; i++) {
        const struct qvr_plan_thresh *t = &p->thresh[i];
        T_EQ_STR(t->t.metric_name, metrics[i]);
        T_CHECK(isnan(t->value));
        T_EQ_INT(t->evaluated, 0);
        if (i > 0)
            T_CHECK(strcmp(p->thresh[i - 1].t.expr, t->t.expr) < 0);
        T_EQ_INT(t->t.abort, i == 1);
        T_EQ_INT(t->t.after_ns, i == 1 ? 60 * QVR_NS_PER_S : 0);
    }
    if (p->nthresh == 4) {
        T_EQ_INT(p->thresh[2].t.ntags, 0);
        T_EQ_INT(p->thresh[3].t.ntags, 1);
        T_EQ_STR(p->thresh[3].t.tags[0].key, "task");
        T_EQ_STR(p->thresh[3].t.tags[0].value, "alpha");
        T_NEAR(p->thresh[3].t.target, 6000, 0);
        T_NEAR(p->thresh[0].t.target, 0.05, 1e-15);
    }

    /* Defaults. */
    T_EQ_INT(p->timeout_ms, 60000);
    T_EQ_INT(p->grace_ns, 10 * QVR_NS_PER_S);
    T_EQ_INT(p->window_ns, QVR_NS_PER_S);
    T_EQ_INT(p->max_body, 64 * 1024 * 1024);
    T_EQ_INT(p->insecure, 0);
    T_EQ_INT(p->mock_argc, 0);
    T_EQ_INT(lua_gettop(s->L), 0);
    qvr_script_free(s);
}

static void test_ramp_mock(void)
{
    static const char text[] =
        "return scenario {\n"
        "  name = \"ramped\",\n"
        "  target = \"mock\",\n"
        "  load = ramp { {users = 10, over = \"30s\"}, {hold = \"1m\"},\n"
        "               {users = 4, over = 2.5}, {users = 0, over = \"1s\"} "
        "},\n"
        "  wait = pacing(2),\n"
        "  tasks = { only = function() return \"x\" end },\n"
        "  timeout = \"250ms\", grace = 0, report = { window = \"5s\" },\n"
        "  max_body = 1024, insecure = true,\n"
        "  mock = { service = \"100ms\" },\n"
        "}\n";
    char path[256], err[512];
    struct qvr_script *s =
        load_text("ramp.lua", text, NULL, path, sizeof(path), err, sizeof(err));
    T_CHECK_MSG(s != NULL, "ramp.lua: %s", err);
    if (!s)
        return;
    const struct qvr_plan *p = &s->plan;
    T_EQ_STR(p->name, "ramped");
    T_EQ_STR(p->target, "mock");
    T_EQ_INT(p->target_is_mock, 1);
    T_EQ_INT(p->load.kind, QVR_LOAD_RAMP);
    static const struct qvr_stage want[] = {{30 * QVR_NS_PER_S, 10},
                                            {60 * QVR_NS_PER_S, 10},
                                            {2500 * QVR_NS_PER_MS, 4},
                                            {QVR_NS_PER_S, 0}};
    T_EQ_INT(p->load.nstages, 4);
    for (int i = 0; i < p->load.nstages && i < 4; i++) {
        T_EQ_INT(p->load.stages[i].dur_ns, want[i].dur_ns);
        T_EQ_INT(p->load.stages[i].users, want[i].users);
    }
    T_EQ_INT(qvr_sched_max_users(&p->load), 10);
    T_EQ_INT(qvr_sched_duration(&p->load), 93500 * QVR_NS_PER_MS);
    T_EQ_INT(p->wait.kind, QVR_WAIT_PACING);
    T_NEAR(p->wait.a, 2, 0);
    T_EQ_INT(p->ntasks, 1);
    T_NEAR(p->task_cumw[0], 1, 0);
    T_EQ_INT(p->timeout_ms, 250);
    T_EQ_INT(p->grace_ns, 0);
    T_EQ_INT(p->window_ns, 5 * QVR_NS_PER_S);
    T_EQ_INT(p->max_body, 1024);
    T_EQ_INT(p->insecure, 1);
    T_EQ_INT(p->nthresh, 0);
    T_EQ_INT(p->warmup_requests, 0);
    T_EQ_INT(p->mock_argc, 2);
    if (p->mock_argc == 2) {
        T_EQ_STR(p->mock_argv[0], "--service");
        T_EQ_STR(p->mock_argv[1], "100ms");
    }
    qvr_script_free(s);
}

/* wait = ... in each of its forms. */
static void test_wait_kinds(void)
{
    static const struct {
        const char *expr;
        enum qvr_wait_kind kind;
        double a, b;
    } cases[] = {
        {NULL, QVR_WAIT_NONE, 0, 0},
        {"2", QVR_WAIT_CONSTANT, 2, 2},
        {"0.25", QVR_WAIT_CONSTANT, 0.25, 0.25},
        {"constant(0.5)", QVR_WAIT_CONSTANT, 0.5, 0.5},
        {"between(0, 0)", QVR_WAIT_BETWEEN, 0, 0},
        {"between(0.5, 7)", QVR_WAIT_BETWEEN, 0.5, 7},
        {"pacing(1.5)", QVR_WAIT_PACING, 1.5, 1.5},
    };
    for (size_t i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        char text[512], path[256], err[512];
        snprintf(text, sizeof(text),
                 "return scenario { target = \"mock\",\n"
                 "  load = users { count = 1, duration = 1 },\n"
                 "  %s%s%s\n"
                 "  tasks = { t = function() end } }\n",
                 cases[i].expr ? "wait = " : "",
                 cases[i].expr ? cases[i].expr : "", cases[i].expr ? "," : "");
        struct qvr_script *s = load_text("wait.lua", text, NULL, path,
                                         sizeof(path), err, sizeof(err));
        T_CHECK_MSG(s != NULL, "wait %s: %s", cases[i].expr, err);
        if (!s)
            continue;
        T_EQ_INT(s->plan.wait.kind, cases[i].kind);
        T_NEAR(s->plan.wait.a, cases[i].a, 0);
        T_NEAR(s->plan.wait.b, cases[i].b, 0);
        T_EQ_INT(s->plan.load.duration_ns, QVR_NS_PER_S);
        qvr_script_free(s);
    }
}

static void test_overrides(void)
{
    static const char users_text[] =
        "return scenario { target = \"http://example.invalid\",\n"
        "  load = users { count = 2, spawn_rate = 1, duration = \"1m\" },\n"
        "  tasks = { t = function() end } }\n";
    char path[256], err[512];
    struct qvr_overrides ov = no_overrides();
    ov.target = "http://127.0.0.1:9/api//";
    ov.users = 7;
    ov.spawn_rate = 2.5;
    ov.duration_ns = 5 * (int64_t)QVR_NS_PER_S;
    struct qvr_script *s = load_text("ov.lua", users_text, &ov, path,
                                     sizeof(path), err, sizeof(err));
    T_CHECK_MSG(s != NULL, "ov.lua: %s", err);
    if (s) {
        T_EQ_STR(s->plan.target, "http://127.0.0.1:9/api");
        T_EQ_INT(s->plan.load.users, 7);
        T_NEAR(s->plan.load.spawn_rate, 2.5, 0);
        T_EQ_INT(s->plan.load.duration_ns, 5 * QVR_NS_PER_S);
        qvr_script_free(s);
    }
    /* Only some overrides given: the rest comes from the scenario. */
    ov = no_overrides();
    ov.users = 3;
    s = load_text("ov.lua", users_text, &ov, path, sizeof(path), err,
                  sizeof(err));
    T_CHECK_MSG(s != NULL, "ov.lua: %s", err);
    if (s) {
        T_EQ_STR(s->plan.target, "http://example.invalid");
        T_EQ_INT(s->plan.load.users, 3);
        T_NEAR(s->plan.load.spawn_rate, 1, 0);
        T_EQ_INT(s->plan.load.duration_ns, 60 * QVR_NS_PER_S);
        qvr_script_free(s);
    }
    /* --target supplies a scenario's missing target. */
    ov = no_overrides();
    ov.target = "https://127.0.0.1:8443";
    s = load_text("notarget.lua",
                  "return scenario {\n"
                  "  load = users { count = 1, duration = 1 },\n"
                  "  tasks = { t = function() end } }\n",
                  &ov, path, sizeof(path), err, sizeof(err));
    T_CHECK_MSG(s != NULL, "notarget.lua: %s", err);
    if (s)
        T_EQ_STR(s->plan.target, "https://127.0.0.1:8443");
    qvr_script_free(s);
    /* --users on a ramp is an error naming the scenario's line. */
    ov = no_overrides();
    ov.users = 3;
    s = load_text("ovramp.lua",
                  "-- a ramp\n"
                  "return scenario { target = \"mock\",\n"
                  "  load = ramp { {users = 2, over = 1} },\n"
                  "  tasks = { t = function() end } }\n",
                  &ov, path, sizeof(path), err, sizeof(err));
    T_CHECK(s == NULL);
    qvr_script_free(s);
    char want[300];
    snprintf(want, sizeof(want), "%s:2: ", path);
    T_CHECK_MSG(strncmp(err, want, strlen(want)) == 0, "got \"%s\"", err);
    T_CHECK_MSG(strstr(err, "not to ramp{}") != NULL, "got \"%s\"", err);
}

/* env(): -e pairs first, then the process environment, then the default. */
static void test_env(void)
{
    static const char text[] =
        "local function is(k, want, got)\n"
        "  if got ~= want then\n"
        "    error(k .. ': got ' .. tostring(got) .. ', want ' ..\n"
        "          tostring(want), 2)\n"
        "  end\n"
        "end\n"
        "is('both', 'cli', env('QVR_T_BOTH'))\n"
        "is('both+default', 'cli', env('QVR_T_BOTH', 'dflt'))\n"
        "is('proc', 'from-process', env('QVR_T_PROC'))\n"
        "is('eq', 'a=b', env('QVR_T_EQ'))\n"
        "is('empty', '', env('QVR_T_EMPTY'))\n"
        "is('none', nil, env('QVR_T_NONE'))\n"
        "is('none+default', 'dflt', env('QVR_T_NONE', 'dflt'))\n"
        "is('junk', nil, env('junk-without-equals'))\n"
        "return scenario { name = env('QVR_T_BOTH'),\n"
        "  target = env('QVR_T_TARGET', 'mock'),\n"
        "  load = users { count = tonumber(env('QVR_T_USERS', '4')),\n"
        "                 duration = env('QVR_T_DUR', '2s') },\n"
        "  tasks = { t = function() end } }\n";
    static const char *const pairs[] = {"QVR_T_BOTH=cli", "QVR_T_EQ=a=b",
                                        "QVR_T_EMPTY=", "junk-without-equals",
                                        "QVR_T_DUR=3s"};
    setenv("QVR_T_BOTH", "process", 1);
    setenv("QVR_T_PROC", "from-process", 1);
    setenv("QVR_T_USERS", "9", 1);
    unsetenv("QVR_T_NONE");
    unsetenv("QVR_T_TARGET");
    struct qvr_overrides ov = no_overrides();
    ov.env = pairs;
    ov.nenv = (int)QVR_ARRAY_LEN(pairs);
    char path[256], err[512];
    struct qvr_script *s =
        load_text("env.lua", text, &ov, path, sizeof(path), err, sizeof(err));
    T_CHECK_MSG(s != NULL, "env.lua: %s", err);
    if (s) {
        T_EQ_STR(s->plan.name, "cli");
        T_EQ_STR(s->plan.target, "mock");
        T_EQ_INT(s->plan.load.users, 9);
        T_EQ_INT(s->plan.load.duration_ns, 3 * QVR_NS_PER_S);
        qvr_script_free(s);
    }
    /* Without -e pairs the process environment answers. */
    ov = no_overrides();
    s = load_text("env2.lua",
                  "return scenario { name = env('QVR_T_BOTH'),\n"
                  "  target = 'mock', load = users { count = 1, duration = 1 "
                  "},\n"
                  "  tasks = { t = function() end } }\n",
                  &ov, path, sizeof(path), err, sizeof(err));
    T_CHECK_MSG(s != NULL, "env2.lua: %s", err);
    if (s)
        T_EQ_STR(s->plan.name, "process");
    qvr_script_free(s);
    unsetenv("QVR_T_BOTH");
    unsetenv("QVR_T_PROC");
    unsetenv("QVR_T_USERS");
}

/* The default package.path of a fresh state (LUA_PATH and all). */
static void default_path(char *out, size_t len)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    snprintf(out, len, "%s", lua_tostring(L, -1));
    lua_close(L);
}

/* require: the qvr module, a module beside the scenario, errors in one. */
static void test_modules(void)
{
    char sub[256], path[300], helper[300], bad[300], err[1024];
    snprintf(sub, sizeof(sub), "%s/mods", dir);
    make_dir(sub);
    snprintf(helper, sizeof(helper), "%s/helper_mod.lua", sub);
    write_file(helper, "local M = {}\n"
                       "M.users = 5\n"
                       "function M.task() return 'from helper' end\n"
                       "return M\n");
    snprintf(bad, sizeof(bad), "%s/bad_mod.lua", sub);
    write_file(bad, "local M = {}\n"
                    "local t = nil\n"
                    "M.x = t.field\n"
                    "return M\n");
    char dflt[2048], expect[2400];
    default_path(dflt, sizeof(dflt));
    snprintf(expect, sizeof(expect), "%s/?.lua;%s", sub, dflt);

    static const char text[] =
        "local h = require 'helper_mod'\n"
        "assert(package.path == env('EXPECT_PATH'),\n"
        "       'package.path is ' .. package.path)\n"
        "assert(require('qvr').scenario_dir == env('EXPECT_DIR'),\n"
        "       'scenario_dir is ' .. tostring(require('qvr').scenario_dir))\n"
        "return scenario { target = 'mock',\n"
        "  load = users { count = h.users, duration = 1 },\n"
        "  tasks = { t = h.task } }\n";
    char e1[2500], e2[300];
    snprintf(e1, sizeof(e1), "EXPECT_PATH=%s", expect);
    snprintf(e2, sizeof(e2), "EXPECT_DIR=%s", sub);
    const char *pairs[] = {e1, e2};
    struct qvr_overrides ov = no_overrides();
    ov.env = pairs;
    ov.nenv = 2;
    snprintf(path, sizeof(path), "%s/uses_helper.lua", sub);
    write_file(path, text);
    struct qvr_script *s = qvr_script_load(path, &ov, err, sizeof(err));
    T_CHECK_MSG(s != NULL, "uses_helper.lua: %s", err);
    if (s) {
        T_EQ_INT(s->plan.load.users, 5);
        T_EQ_STR(call_task(s->L, s->plan.tasks[0].fn_ref), "from helper");
        qvr_script_free(s);
    }

    /* The same scenario loaded by a relative path from its directory. */
    char cwd[1024];
    T_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    T_CHECK(chdir(sub) == 0);
    snprintf(e2, sizeof(e2), "EXPECT_DIR=.");
    snprintf(e1, sizeof(e1), "EXPECT_PATH=./?.lua;%s", dflt);
    s = qvr_script_load("uses_helper.lua", &ov, err, sizeof(err));
    T_CHECK_MSG(s != NULL, "relative uses_helper.lua: %s", err);
    if (s) {
        T_EQ_STR(s->plan.name, "uses_helper");
        T_EQ_STR(s->plan.file, "uses_helper.lua");
    }
    qvr_script_free(s);
    T_CHECK(chdir(cwd) == 0);

    /* An error inside a required module names the module's file and line. */
    snprintf(path, sizeof(path), "%s/uses_bad.lua", sub);
    write_file(path, "-- requires a broken module\n"
                     "local b = require 'bad_mod'\n"
                     "return b\n");
    ov = no_overrides();
    s = qvr_script_load(path, &ov, err, sizeof(err));
    T_CHECK(s == NULL);
    qvr_script_free(s);
    char want[400];
    snprintf(want, sizeof(want), "%s:3: attempt to index a nil value", bad);
    T_CHECK_MSG(strncmp(err, want, strlen(want)) == 0, "got \"%s\"", err);
    T_CHECK_MSG(strchr(err, '\n') == NULL, "two lines: \"%s\"", err);

    /* Embedded modules: qvr.rerank is there without any file. */
    s = load_text("rerank.lua",
                  "local rerank = require 'qvr.rerank'\n"
                  "assert(type(rerank) == 'table')\n"
                  "return scenario { target = 'mock',\n"
                  "  load = users { count = 1, duration = 1 },\n"
                  "  tasks = { t = function() end } }\n",
                  NULL, path, sizeof(path), err, sizeof(err));
    T_CHECK_MSG(s != NULL, "rerank.lua: %s", err);
    qvr_script_free(s);
}

/* ---- invalid scenarios ------------------------------------------------------
 */

#define OK_LOAD "  load = users { count = 1, duration = \"1s\" },\n"
#define OK_TASKS "  tasks = { a = function() end },\n"
/* Two lines before each scenario, so that line 1 is never right by
 * accident. */
#define HEAD "-- scenario under test\nlocal _unused = 1\n"

struct bad_case {
    const char *text;
    int line;          /* expected line in "<path>:<line>:"; 0 = no line */
    const char *want;  /* exact substring of the message */
    const char * not ; /* must not appear (NULL: no such check) */
};

static const struct bad_case bad[] = {
    /* Lua syntax and runtime errors. */
    {HEAD "local x = = 1\n", 3, "unexpected symbol near '='", NULL},
    {HEAD "return scenario {\n" OK_LOAD "  tasks = { a = function() end\n"
          "}\n",
     7, "'}' expected (to close '{' at line 3) near <eof>", NULL},
    {HEAD "local t = nil\nlocal y = t.field\n", 4,
     "attempt to index a nil value (local 't')", NULL},
    {HEAD "local function f()\n  error('deep problem')\nend\nf()\n", 4,
     "deep problem", NULL},
    {HEAD "error({ code = 1 })\n", 3, "error object is a table value", NULL},
    {HEAD "error('bare message', 0)\n", 3, "bare message", NULL},
    {HEAD "local m = require 'no_such_module_x'\n", 3,
     "module 'no_such_module_x' not found", NULL},

    /* Unknown keys, with a suggestion when one is close. */
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  taks = { a = function() end },\n}\n",
     3, "scenario: unknown key 'taks' (did you mean 'tasks'?)", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  colour = \"blue\",\n}\n",
     3, "scenario: unknown key 'colour'", "did you mean"},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = users { count = 1, duratoin = \"1s\" },\n" OK_TASKS "}\n",
     5, "users: unknown key 'duratoin' (did you mean 'duration'?)", NULL},
    {HEAD
     "return scenario {\n  target = \"mock\",\n"
     "  load = ramp { {users = 1, over = \"1s\"}, {hodl = \"1s\"} },\n" OK_TASKS
     "}\n",
     5, "ramp stage 2: unknown key 'hodl' (did you mean 'hold'?)", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  tasks = { a = { weigth = 2, run = function() end } },\n}\n",
     3, "task 'a': unknown key 'weigth' (did you mean 'weight'?)", NULL},
    {HEAD "return scenario { users { count = 1, duration = 1 } }\n", 3,
     "scenario: unexpected positional value", NULL},

    /* Wrong types. */
    {HEAD
     "return scenario {\n  name = 5,\n  target = \"mock\",\n" OK_LOAD OK_TASKS
     "}\n",
     3, "scenario: 'name' must be a string, got number", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  tasks = \"x\",\n}\n",
     3, "scenario: 'tasks' must be a table of tasks, got string", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n  load = 5,\n" OK_TASKS
          "}\n",
     3, "scenario: 'load' must be a load shape", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n  load = 5,\n" OK_TASKS
          "}\n",
     3, "got number", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = between(1, 2),\n" OK_TASKS "}\n",
     3, "'load' must be a load shape", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = between(1, 2),\n" OK_TASKS "}\n",
     3, "got between(...)", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  wait = \"x\",\n" OK_TASKS "}\n",
     3,
     "scenario: 'wait' must be between(a, b), constant(s), pacing(s) or "
     "a number of seconds, got string",
     NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  wait = users { count = 1, duration = 1 },\n" OK_TASKS "}\n",
     3, "'wait' must be between(a, b)", NULL},
    {HEAD "return scenario {\n  target = 42,\n" OK_LOAD OK_TASKS "}\n", 3,
     "scenario: 'target' must be a string, got number", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = \"p99 < 5s\",\n}\n",
     3, "scenario: 'thresholds' must be a table, got string", NULL},

    /* Missing or empty parts. */
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_TASKS "}\n", 3,
     "scenario: 'load' is required", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD "}\n", 3,
     "scenario: 'tasks' is required", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  tasks = {},\n}\n",
     3, "scenario: 'tasks' is empty", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  tasks = { a = { weight = 1 } },\n}\n",
     3, "task 'a': 'run' must be a function", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  tasks = { a = 5 },\n}\n",
     3, "task 'a': expected a function or { weight =, run = }", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  tasks = { a = { weight = 0, run = function() end },\n"
          "            b = { weight = 0, run = function() end } },\n}\n",
     3, "scenario: every task has weight 0; nothing would run", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  tasks = { a = { weight = -1, run = function() end } },\n}\n",
     3, "task 'a': 'weight' must be zero or more, got -1", NULL},
    {HEAD "return scenario {\n" OK_LOAD OK_TASKS "}\n", 3,
     "scenario: no target", NULL},
    {HEAD "return scenario {\n  target = \"ftp://x\",\n" OK_LOAD OK_TASKS "}\n",
     3, "target 'ftp://x' must be an http:// or https:// URL", NULL},

    /* Durations, counts and rates. */
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = users { count = 1, duration = \"0s\" },\n" OK_TASKS "}\n",
     5, "users: 'duration' must be greater than zero", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = users { count = 1, duration = -1 },\n" OK_TASKS "}\n",
     5, "users: 'duration' must be a positive number of seconds, got -1", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = users { count = 1, duration = \"5x\" },\n" OK_TASKS "}\n",
     5,
     "users: 'duration': '5x' is not a duration (use e.g. \"250ms\", "
     "\"30s\", \"2m\", \"1h\")",
     NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = users { count = 1 },\n" OK_TASKS "}\n",
     5, "users: 'duration' is required", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = users { count = 0, duration = 1 },\n" OK_TASKS "}\n",
     5, "users: 'count' must be greater than zero, got 0", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = users { count = 2.5, duration = 1 },\n" OK_TASKS "}\n",
     5, "users: 'count' must be a whole number, got 2.5", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = users { count = 1e300, duration = 1 },\n" OK_TASKS "}\n",
     5, "users: 'count' is too large, got 1e+300", NULL},
    {HEAD
     "return scenario {\n  target = \"mock\",\n"
     "  load = users { count = 1, spawn_rate = 0, duration = 1 },\n" OK_TASKS
     "}\n",
     5, "users: 'spawn_rate' must be greater than zero, got 0", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = ramp { {hold = \"1s\"} },\n" OK_TASKS "}\n",
     5, "ramp: no stage has any users", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = ramp { {users = -2, over = \"1s\"} },\n" OK_TASKS "}\n",
     5, "ramp stage 1: 'users' must be zero or more, got -2", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n"
          "  load = ramp { {users = 2, over = \"0ms\"} },\n" OK_TASKS "}\n",
     5, "ramp stage 1: 'over' must be greater than zero", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  wait = between(3, 1),\n" OK_TASKS "}\n",
     6, "between: the minimum 3 is above the maximum 1", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  wait = between(-1, 1),\n" OK_TASKS "}\n",
     6, "between: seconds must be between 0 and 86400, got -1", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD
          "  wait = pacing(0),\n" OK_TASKS "}\n",
     6, "pacing: the period must be greater than zero", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  timeout = \"0s\",\n}\n",
     3, "scenario: 'timeout' must be greater than zero", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  warmup = { requests = -1 },\n}\n",
     3, "warmup: 'requests' must be zero or more, got -1", NULL},

    /* Thresholds. */
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = {\n    p99 = \"< 5 parsecs\",\n  },\n}\n",
     3, "thresholds: 'p99': ", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = {\n    p99 = \"< 5parsecs\",\n  },\n}\n",
     3, "thresholds: 'p99': ", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = {\n    p98x = \"< 5s\",\n  },\n}\n",
     3, "thresholds: 'p98x': ", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = {\n    p99 = \"<5s\",\n"
          "    [\"p99{}\"] = \"<6s\",\n  },\n}\n",
     3, "thresholds: 'p99{}' repeats 'p99'", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = {\n    p99 = { abort = true },\n  },\n}\n",
     3, "thresholds: 'p99': the table needs the condition first", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = {\n    p99 = { \"<5s\", abrot = true },\n  },\n}\n",
     3, "thresholds: 'p99': unknown option 'abrot' (did you mean 'abort'?)",
     NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = {\n    p99 = { \"<5s\", after = \"soon\" },\n"
          "  },\n}\n",
     3, "thresholds: 'p99': bad 'after' duration 'soon'", NULL},
    {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = {\n    p99 = 5,\n  },\n}\n",
     3, "thresholds: 'p99' must be a condition string such as \"< 5s\"", NULL},

    /* What the file returns. */
    {HEAD "local s = scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS "}\n",
     7,
     "the scenario file must end with 'return scenario{ ... }' (it "
     "returned nothing)",
     NULL},
    {HEAD "return {\n  target = \"mock\",\n" OK_LOAD OK_TASKS "}\n", 7,
     "the scenario file must end with 'return scenario{ ... }' (it "
     "returned a plain table)",
     NULL},
    {HEAD "return 'hello'\n", 3,
     "the scenario file must end with 'return scenario{ ... }' (it "
     "returned a string)",
     NULL},
    {"", 1,
     "the scenario file must end with 'return scenario{ ... }' (it "
     "returned nothing)",
     NULL},

    /* A scenario changed after scenario{} validated it is checked again,
     * and a scenario table cannot be forged. */
    {HEAD "local s = scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "}\ns.load = {}\nreturn s\n",
     3, "scenario: 'load' must be a load shape", NULL},
    {HEAD "local s = scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "}\ns.tasks = nil\nreturn s\n",
     3, "scenario: 'tasks' is required", NULL},
    {HEAD "local s = scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "  thresholds = { p99 = \"< 5 s\" },\n}\ns.__where = nil\nreturn s\n",
     0, "thresholds: 'p99': ", NULL},
    {HEAD "local s = scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
          "}\nreturn setmetatable({}, getmetatable(s))\n",
     8, "bad argument #2 to 'setmetatable'", NULL},
};

/* The message must start with "<path>:<line>: " (or "<path>: " when line
 * is 0), be one line, and contain want. */
static void check_message(const char *path, const char *err, int line,
                          const char *want, const char * not, const char *what)
{
    char prefix[600];
    if (getenv("QVR_TEST_VERBOSE"))
        printf("%s: %s\n", what, err);
    if (line > 0)
        snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
    else
        snprintf(prefix, sizeof(prefix), "%s: ", path);
    T_CHECK_MSG(strncmp(err, prefix, strlen(prefix)) == 0,
                "%s: message \"%s\" does not start with \"%s\"", what, err,
                prefix);
    T_CHECK_MSG(strstr(err, want) != NULL, "%s: message \"%s\" lacks \"%s\"",
                what, err, want);
    T_CHECK_MSG(!not || !strstr(err, not ), "%s: message \"%s\" has \"%s\"",
                what, err, not );
    T_CHECK_MSG(strchr(err, '\n') == NULL, "%s: two lines: \"%s\"", what, err);
    size_t n = strlen(err);
    T_CHECK_MSG(n > 0 && err[n - 1] != ':' && err[n - 1] != ' ',
                "%s: message ends badly: \"%s\"", what, err);
}

static void test_invalid(void)
{
    for (size_t i = 0; i < QVR_ARRAY_LEN(bad); i++) {
        char name[32], path[256], err[1024], what[48];
        snprintf(name, sizeof(name), "bad%02u.lua", (unsigned)i);
        snprintf(what, sizeof(what), "bad case %u", (unsigned)i);
        struct qvr_script *s = load_text(name, bad[i].text, NULL, path,
                                         sizeof(path), err, sizeof(err));
        T_CHECK_MSG(s == NULL, "%s loaded", what);
        qvr_script_free(s);
        if (s)
            continue;
        check_message(path, err, bad[i].line, bad[i].want, bad[i].not, what);
    }

    /* A missing file. */
    char path[256], err[1024];
    snprintf(path, sizeof(path), "%s/does_not_exist.lua", dir);
    struct qvr_overrides ov = no_overrides();
    struct qvr_script *s = qvr_script_load(path, &ov, err, sizeof(err));
    T_CHECK(s == NULL);
    qvr_script_free(s);
    check_message(path, err, 0, "cannot open", NULL, "missing file");
    T_CHECK_MSG(strstr(err, "No such file or directory") != NULL, "got %s",
                err);

    /* A directory is not a scenario. */
    s = qvr_script_load(dir, &ov, err, sizeof(err));
    T_CHECK(s == NULL);
    qvr_script_free(s);
    T_CHECK_MSG(strncmp(err, dir, strlen(dir)) == 0, "got %s", err);

    /* A small err buffer is filled, truncated and terminated. */
    char small[12];
    memset(small, 'x', sizeof(small));
    s = qvr_script_load(path, &ov, small, sizeof(small));
    T_CHECK(s == NULL);
    T_CHECK(memchr(small, 0, sizeof(small)) != NULL);
    T_EQ_INT(strlen(small), sizeof(small) - 1);
}

/* A path longer than Lua's source-name limit (60) still appears whole at
 * the start of every message, not as "...tail". */
static void test_long_path(void)
{
    char sub[400];
    snprintf(sub, sizeof(sub),
             "%s/a_directory_name_long_enough_to_pass_lua_idsize_limit", dir);
    make_dir(sub);
    static const struct {
        const char *text;
        int line;
        const char *want;
    } cases[] = {
        {HEAD "local x = = 1\n", 3, "unexpected symbol"},
        {HEAD "local t = nil\nlocal y = t.f\n", 4, "attempt to index"},
        {HEAD "return scenario {\n  taks = 1,\n}\n", 3, "unknown key 'taks'"},
        {HEAD "return scenario {\n  target = \"mock\",\n" OK_LOAD OK_TASKS
              "  thresholds = {\n    p99 = \"< 5 s\",\n  },\n}\n",
         3, "thresholds: 'p99': "},
        {HEAD "return 1\n", 3, "it returned a number"},
    };
    for (size_t i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        char path[600], err[1024], what[32];
        snprintf(path, sizeof(path), "%s/long%u.lua", sub, (unsigned)i);
        snprintf(what, sizeof(what), "long path %u", (unsigned)i);
        write_file(path, cases[i].text);
        struct qvr_overrides ov = no_overrides();
        struct qvr_script *s = qvr_script_load(path, &ov, err, sizeof(err));
        T_CHECK(s == NULL);
        qvr_script_free(s);
        check_message(path, err, cases[i].line, cases[i].want, NULL, what);
    }
}

/* ---- issue 16: rate bounds, what a scenario may call ----------------------
 */

/* Rates past --rate's bounds (0.001 to 1e7 rps) in rate{}, steps{} and
 * sweep{}: an error naming the file, line and field, not a run that hangs
 * in a C loop (1e12) or overflows its gap (1e-300); the bounds themselves
 * load. */
static void test_rate_bounds(void)
{
    static const struct {
        const char *load;
        const char *want; /* NULL: loads */
    } cases[] = {
        {"rate { rps = 1e12, duration = \"1s\", max_users = 10 }",
         "rate: 'rps' must be from 0.001 to 10000000 requests per second "
         "(as --rate), got 1000000000000"},
        {"rate { rps = 1e-300, duration = \"1s\", arrival = \"poisson\" }",
         "rate: 'rps' must be from 0.001 to 10000000 requests per second "
         "(as --rate), got 1e-300"},
        {"rate { rps = 1/0, duration = \"1s\" }", "rate: 'rps' is too large"},
        {"rate { rps = 0/0, duration = \"1s\" }",
         "rate: 'rps' must be a number, got nan"},
        {"steps { rps = { 10, 1e12 }, hold = \"1s\" }",
         "steps: 'rps'[2] must be from 0.001 to 10000000"},
        {"steps { rps = { 0.0001 }, hold = \"1s\" }",
         "steps: 'rps'[1] must be from 0.001 to 10000000"},
        {"sweep { max_rps = 1e12, rates = 2, hold = \"1s\" }",
         "sweep: 'max_rps' must be from 0.001 to 10000000"},
        {"rate { rps = 1e7, duration = \"1s\" }", NULL},
        {"rate { rps = 0.001, duration = \"1s\" }", NULL},
        {"steps { rps = { 0.001, 1e7 }, hold = \"1s\" }", NULL},
        {"sweep { max_rps = 1e7, rates = 2, hold = \"1s\" }", NULL},
    };
    for (size_t i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        char text[512], name[32], path[256], err[1024], what[32];
        snprintf(text, sizeof(text),
                 HEAD "return scenario {\n  target = \"mock\",\n  load = "
                      "%s,\n" OK_TASKS "}\n",
                 cases[i].load);
        snprintf(name, sizeof(name), "rates%02u.lua", (unsigned)i);
        snprintf(what, sizeof(what), "rate case %u", (unsigned)i);
        struct qvr_script *s =
            load_text(name, text, NULL, path, sizeof(path), err, sizeof(err));
        if (!cases[i].want) {
            T_CHECK_MSG(s != NULL, "%s: %s", what, err);
        } else {
            T_CHECK_MSG(s == NULL, "%s loaded", what);
            if (!s)
                check_message(path, err, 5, cases[i].want, NULL, what);
        }
        qvr_script_free(s);
    }
    /* Changed after rate{} checked it: checked again on the plan, at the
     * scenario's line. */
    char path[256], err[1024];
    struct qvr_script *s = load_text(
        "rates_changed.lua",
        HEAD "local s = scenario {\n  target = \"mock\",\n  load = rate { "
             "rps = 10, duration = \"1s\" },\n" OK_TASKS "}\n"
             "s.load.rps = 1e12\nreturn s\n",
        NULL, path, sizeof(path), err, sizeof(err));
    T_CHECK_MSG(s == NULL, "a rate changed to 1e12 loaded");
    qvr_script_free(s);
    if (!s)
        check_message(path, err, 3,
                      "rate: 'rps' must be from 0.001 to 10000000 requests "
                      "per second (as --rate), got 1000000000000",
                      NULL, "rate changed");
}

/* The Lua library a scenario keeps (reading files, the environment, the
 * clock, coroutines) and what raises instead (os.exit, processes, changing
 * files or the locale, standard input, debug hooks). Each task returns
 * what its call gave: "ok ..." or the error message. An os.exit that still
 * ended the process would end this test with exit 3, a failure. */
static void test_scenario_libs(void)
{
    char data[300], victim[300], fifo[300];
    snprintf(fifo, sizeof(fifo), "%s/libs_fifo", dir);
    T_CHECK_MSG(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
    remember(fifo);
    snprintf(data, sizeof(data), "%s/libs_data.txt", dir);
    snprintf(victim, sizeof(victim), "%s/libs_victim.txt", dir);
    write_file(data, "first line\nsecond line\n");
    write_file(victim, "keep me\n");
    static const struct {
        const char *body; /* a task's body: returns a string */
        const char *want; /* substring of what it returns */
    } cases[] = {
        {"local ok, e = pcall(os.exit, 3) return ok and 'ran' or e",
         "os.exit is not available in a scenario: it would end qvrrun "
         "without results"},
        {"local ok, e = pcall(os.execute, 'true') return ok and 'ran' or e",
         "os.execute is not available in a scenario"},
        {"local ok, e = pcall(io.popen, 'true') return ok and 'ran' or e",
         "io.popen is not available in a scenario"},
        {"local ok, e = pcall(os.remove, VICTIM) return ok and 'ran' or e",
         "os.remove is not available in a scenario: a scenario reads files"},
        {"local ok, e = pcall(os.rename, VICTIM, VICTIM .. '.x') "
         "return ok and 'ran' or e",
         "os.rename is not available"},
        {"local ok, e = pcall(os.setlocale, 'C') return ok and 'ran' or e",
         "os.setlocale is not available"},
        {"local ok, e = pcall(io.read) return ok and 'ran' or e",
         "io.read is not available"},
        {"local ok, e = pcall(io.lines) return ok and 'ran' or e",
         "io.lines needs a file name"},
        {"local ok, e = pcall(io.output, VICTIM) return ok and 'ran' or e",
         "io.output is not available"},
        {"local ok, e = pcall(io.open, VICTIM, 'w') return ok and 'ran' or e",
         "io.open: a scenario may only read files (mode \"r\" or \"rb\"), "
         "got \"w\""},
        {"local ok, e = pcall(io.open, VICTIM, 'a+') return ok and 'ran' or e",
         "got \"a+\""},
        {"local ok, e = pcall(debug.sethook) return ok and 'ran' or e",
         "debug.sethook is not available"},
        {"return tostring(io.stdin)", "nil"},
        /* a FIFO would block in C (nobody writes to this one) */
        {"local ok, e = pcall(io.open, FIFO) return ok and 'ran' or e",
         "io.open: '"},
        {"local ok, e = pcall(io.open, FIFO) return ok and 'ran' or e",
         "is a FIFO: reading it could block the run"},
        {"local ok, e = pcall(io.lines, FIFO) return ok and 'ran' or e",
         "is a FIFO"},
        /* kept */
        {"local f = assert(io.open(DATA)) local l = f:read('l') f:close() "
         "return 'ok ' .. l",
         "ok first line"},
        {"local f = assert(io.open(DATA, 'rb')) local n = #f:read('a') "
         "f:close() return 'ok ' .. n",
         "ok 23"},
        {"local n = 0 for l in io.lines(DATA) do n = n + 1 end "
         "return 'ok ' .. n",
         "ok 2"},
        {"return 'ok ' .. type(os.getenv('PATH')) .. type(os.time()) .. "
         "type(os.clock()) .. type(os.date('%Y'))",
         "ok stringnumbernumberstring"},
        /* coroutines still work through the watchdog's wrappers */
        {"local g = coroutine.wrap(function(a) local b = coroutine.yield(a + "
         "1) return b * 2 end) return 'ok ' .. g(1) .. ' ' .. g(5)",
         "ok 2 10"},
        {"local co = coroutine.create(function() error('boom') end) "
         "local ok, e = coroutine.resume(co) return 'ok ' .. tostring(ok) .. "
         "' ' .. e",
         "ok false"},
        {"local ok, e = pcall(coroutine.wrap(function() error('wrapped') "
         "end)) return 'ok ' .. tostring(ok) .. ' ' .. e",
         ": wrapped"},
    };
    for (size_t i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        char name[32], path[256], err[1024], with_paths[1800];
        snprintf(with_paths, sizeof(with_paths),
                 "DATA = [[%s]]\nVICTIM = [[%s]]\nFIFO = [[%s]]\nreturn "
                 "scenario {\n  "
                 "target = \"mock\",\n" OK_LOAD
                 "  tasks = { a = function() %s end },\n}\n",
                 data, victim, fifo, cases[i].body);
        snprintf(name, sizeof(name), "libs%02u.lua", (unsigned)i);
        struct qvr_script *s = load_text(name, with_paths, NULL, path,
                                         sizeof(path), err, sizeof(err));
        T_CHECK_MSG(s != NULL, "libs case %u: %s", (unsigned)i, err);
        if (!s)
            continue;
        char got[512] = "<error>";
        lua_State *L = s->L;
        lua_rawgeti(L, LUA_REGISTRYINDEX, s->plan.task_refs[0]);
        if (lua_pcall(L, 0, 1, 0) == LUA_OK || lua_isstring(L, -1))
            snprintf(got, sizeof(got), "%s",
                     lua_isstring(L, -1) ? lua_tostring(L, -1) : "<nil>");
        lua_pop(L, 1);
        T_CHECK_MSG(strstr(got, cases[i].want) != NULL,
                    "libs case %u: got \"%s\", want \"%s\"", (unsigned)i, got,
                    cases[i].want);
        qvr_script_free(s);
    }
    /* nothing was changed or removed */
    FILE *f = fopen(victim, "r");
    char line[32] = "";
    T_CHECK_MSG(f && fgets(line, sizeof(line), f), "%s is gone", victim);
    if (f)
        fclose(f);
    T_EQ_STR(line, "keep me\n");
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 64)
        tmp = "/tmp";
    snprintf(dir, sizeof(dir), "%s/qvr_test_script.XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    unsetenv("QVR_LUA_PATH");
    test_full();
    test_ramp_mock();
    test_wait_kinds();
    test_overrides();
    test_env();
    test_modules();
    test_invalid();
    test_long_path();
    test_rate_bounds();
    test_scenario_libs();
    cleanup();
    return T_DONE();
}
