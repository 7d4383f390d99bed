/* l_http.h -- the `http` Lua module (http.get/post/request), the response
 * object, and JSON conversion (cJSON) for `json=` bodies and `r:json()`. */
#ifndef QVR_L_HTTP_H
#define QVR_L_HTTP_H

#include <lua.h>
#include <stdint.h>

#include "http.h"
#include "metrics.h"

/* luaopen-style: pushes the http module table. */
int qvr_luaopen_http(lua_State *L);

/* luaopen-style: pushes the json module table {encode, decode, null}. */
int qvr_luaopen_json(lua_State *L);

/* Pushes a response table onto co for result r, whose recorded outcome is
 * s, with sequence number seq (used by check()). */
void qvr_l_http_push_response(lua_State *co, const struct qvr_http_result *r,
                              const struct qvr_sample *s, const char *name,
                              uint64_t seq);

/* The sequence number of the response table at idx; 0 when it is none. */
uint64_t qvr_l_http_response_seq(lua_State *L, int idx);

/* Decodes JSON text and pushes the value (1 result), or nil and a message
 * (2 results) when it is not JSON. Never raises for bad input. */
int qvr_l_json_decode(lua_State *L, const char *s, size_t len);

/* Encodes the Lua value at idx as compact JSON and pushes it as a string.
 * Raises a Lua error for values JSON cannot hold (functions, cycles). */
void qvr_l_json_encode(lua_State *L, int idx);

#endif
