/* verdict_json.h -- a threshold's verdict as summary.json writes it (the
 * run's writer and merge's). */
#ifndef QVR_VERDICT_JSON_H
#define QVR_VERDICT_JSON_H

#include "thresh.h"

struct cJSON;

/* summary.json's entry for a threshold: {expr, value_ms (latency) or value,
 * measured, ok}; a skipped one has "ok": null and "skipped": why, one that
 * failed for want of data "no_data": why (see qvr_gate_no_data), one with
 * no value for another reason "reason": why. The caller owns the object
 * (cJSON_Delete, or add it to a tree). NULL when out of memory. */
struct cJSON *qvr_verdict_json_new(const struct qvr_plan_thresh *pt);

#endif
