/* l_qvr.h -- the scenario DSL as Lua functions: scenario{}, the load shapes,
 * wait functions, env(), check(), fail(), sleep(), log(), and the module
 * loader for `require "qvr"`, "qvr.http", "qvr.json" and the embedded
 * modules of lua/qvr/. */
#ifndef QVR_L_QVR_H
#define QVR_L_QVR_H

#include <lua.h>

/* Installs the DSL as globals and the qvr modules in package.preload /
 * package.searchers. env pairs ("KEY=VALUE", nenv of them) take precedence
 * over the process environment in env(). */
void qvr_l_qvr_install(lua_State *L, const char *const *env, int nenv);

/* luaopen-style: the `data` module {lines, jsonl} (l_data.c). */
int qvr_luaopen_data(lua_State *L);

/* Default size limit of qvr.readfile, hence of a media file of
 * rerank.payload{} (max_media): 20 MiB. */
#define QVR_MEDIA_MAX (20 * 1024 * 1024)

/* Registry field: when true, log() outside a task prints nothing. */
#define QVR_QUIET_TOP_KEY "qvr.quiet_top"

/* Metatable name of a validated scenario table. */
#define QVR_SCENARIO_MT "qvr.scenario"

/* lua_CFunction: checks the scenario table at index 1 again as scenario{}
 * did (the table may have been changed since) and returns it. Raises the
 * same messages, without a position when called from C. */
int qvr_l_scenario_check(lua_State *L);

#endif
