/* l_data.c -- the `data` module: data.lines(path) and data.jsonl(path) load
 * a file once per process and hand every caller (every user) the same
 * read-only table. A missing or malformed file is an error at load time,
 * naming the file (and line). Relative paths are looked for in the working
 * directory, then beside the scenario. */
#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l_http.h"
#include "l_qvr.h"

static const char CACHE_KEY[] = "qvr.data.cache";

static int readonly(lua_State *L)
{
    return luaL_error(L, "data tables are shared by all users and "
                         "read-only");
}

/* Opens path, or scenario_dir/path for a relative one. */
static FILE *open_data(lua_State *L, const char *path, const char *fn)
{
    FILE *f = fopen(path, "r");
    int err = errno;
    if (!f && path[0] != '/') {
        int top = lua_gettop(L);
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
        if (lua_getfield(L, -1, "qvr") == LUA_TTABLE &&
            lua_getfield(L, -1, "scenario_dir") == LUA_TSTRING) {
            char full[4096];
            snprintf(full, sizeof(full), "%s/%s", lua_tostring(L, -1), path);
            f = fopen(full, "r");
        }
        lua_settop(L, top);
    }
    if (!f)
        luaL_error(L, "%s: cannot open '%s': %s", fn, path, strerror(err));
    return f;
}

/* Pushes the cached table for kind:path, or returns 0 with nothing pushed. */
static int cached(lua_State *L, const char *kind, const char *path)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, CACHE_KEY); /* cache */
    lua_pushfstring(L, "%s:%s", kind, path);           /* cache key */
    if (lua_rawget(L, -2) != LUA_TNIL) {               /* cache t */
        lua_remove(L, -2);
        return 1;
    }
    lua_pop(L, 2);
    return 0;
}

static int proxy_len(lua_State *L)
{
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

static int proxy_pairs(lua_State *L)
{
    lua_getglobal(L, "next");
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    lua_remove(L, -2);
    lua_pushnil(L);
    return 3;
}

/* Replaces the table on top with a read-only proxy of it (reads, #, ipairs
 * and pairs see the data; any assignment raises), stores the proxy under
 * kind:path and leaves it on the stack. */
static void remember(lua_State *L, const char *kind, const char *path)
{
    lua_newtable(L);          /* t proxy */
    lua_createtable(L, 0, 4); /* t proxy mt */
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, proxy_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, proxy_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "read-only");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);                           /* t proxy */
    lua_remove(L, -2);                                 /* proxy */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, CACHE_KEY); /* t cache */
    lua_pushfstring(L, "%s:%s", kind, path);           /* t cache key */
    lua_pushvalue(L, -3);                              /* t cache key t */
    lua_rawset(L, -3);                                 /* t cache */
    lua_pop(L, 1);
}

/* Reads every line of f (without its end of line) into the table on top;
 * with json, decodes each non-empty line. */
static void load(lua_State *L, FILE *f, const char *path, int json)
{
    luaL_Buffer b;
    char chunk[4096];
    lua_Integer n = 0;
    int lineno = 0;
    int more = 1;
    while (more) {
        luaL_buffinit(L, &b);
        size_t len = 0;
        more = 0;
        while (fgets(chunk, sizeof(chunk), f)) {
            size_t k = strlen(chunk);
            int eol = k && chunk[k - 1] == '\n';
            if (eol)
                k--;
            if (k && chunk[k - 1] == '\r')
                k--;
            luaL_addlstring(&b, chunk, k);
            len += k;
            if (eol) {
                more = 1;
                break;
            }
        }
        luaL_pushresult(&b); /* t line */
        lineno++;
        if (len == 0) {
            lua_pop(L, 1);
            continue;
        }
        if (json) {
            size_t sl;
            const char *s = lua_tolstring(L, -1, &sl);
            if (qvr_l_json_decode(L, s, sl) != 1) {
                fclose(f);
                luaL_error(L, "data.jsonl: %s:%d: not JSON", path, lineno);
            }
            lua_remove(L, -2); /* t value */
        }
        lua_rawseti(L, -2, ++n);
    }
    fclose(f);
}

static int read_file(lua_State *L, const char *kind, int json)
{
    const char *path = luaL_checkstring(L, 1);
    if (cached(L, kind, path))
        return 1;
    char fn[32];
    snprintf(fn, sizeof(fn), "data.%s", kind);
    FILE *f = open_data(L, path, fn);
    lua_newtable(L);
    load(L, f, path, json);
    remember(L, kind, path);
    return 1;
}

static int l_lines(lua_State *L)
{
    return read_file(L, "lines", 0);
}

static int l_jsonl(lua_State *L)
{
    return read_file(L, "jsonl", 1);
}

int qvr_luaopen_data(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"lines", l_lines}, {"jsonl", l_jsonl}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
