/* verdict_json.c -- a threshold's verdict as JSON (see verdict_json.h). */
#include "verdict_json.h"

#include <cjson/cJSON.h>
#include <math.h>

cJSON *qvr_verdict_json_new(const struct qvr_plan_thresh *pt)
{
    cJSON *o = cJSON_CreateObject();
    char buf[64];
    const char *unit = pt->t.kind == QVR_TK_LATENCY ? "value_ms" : "value";
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "expr", pt->t.expr);
    if (isnan(pt->value))
        cJSON_AddNullToObject(o, unit);
    else
        cJSON_AddNumberToObject(o, unit, pt->value);
    cJSON_AddStringToObject(
        o, "measured",
        qvr_thresh_fmt_value(&pt->t, pt->value, buf, sizeof(buf)));
    if (pt->skipped) {
        cJSON_AddNullToObject(o, "ok");
        cJSON_AddStringToObject(o, "skipped", pt->why);
    } else {
        cJSON_AddBoolToObject(o, "ok", pt->ok);
        if (isnan(pt->value) && pt->why[0])
            cJSON_AddStringToObject(o, pt->no_data ? "no_data" : "reason",
                                    pt->why);
    }
    return o;
}
