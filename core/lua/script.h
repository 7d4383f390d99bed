/* script.h -- one Lua state per worker: the scenario file loaded, validated
 * and turned into a plan (what to send, how the load goes, what must hold).
 */
#ifndef QVR_SCRIPT_H
#define QVR_SCRIPT_H

#include <lua.h>
#include <stdint.h>

#include "plan.h"
#include "sched.h"
#include "steps.h"
#include "thresh.h"
#include "vu.h"

struct qvr_script {
    lua_State *L;
    struct qvr_plan plan;
};

/* Creates a Lua state, runs the scenario file and validates what it returns
 * into s->plan, applying the overrides. On error returns NULL and writes a
 * one-line message (file:line: ...) to err; the exit code for it is
 * QVR_EXIT_USAGE. The caller frees with qvr_script_free. */
struct qvr_script *qvr_script_load(const char *file,
                                   const struct qvr_overrides *ov, char *err,
                                   unsigned long errlen);

void qvr_script_free(struct qvr_script *s);

#endif
