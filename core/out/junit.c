/* junit.c -- thresholds as a JUnit XML testsuite (see junit.h). */
#include "junit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "qvr.h"

/* Appends s XML-escaped for text and attribute values alike. Control
 * characters other than tab and line breaks are not allowed in XML 1.0;
 * they become '?'. */
static void xml_text(struct qvr_buf *b, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '&':
            qvr_buf_append(b, "&amp;", 5);
            break;
        case '<':
            qvr_buf_append(b, "&lt;", 4);
            break;
        case '>':
            qvr_buf_append(b, "&gt;", 4);
            break;
        case '"':
            qvr_buf_append(b, "&quot;", 6);
            break;
        case '\'':
            qvr_buf_append(b, "&apos;", 6);
            break;
        case '\n':
            qvr_buf_append(b, "&#10;", 5);
            break;
        case '\r':
            qvr_buf_append(b, "&#13;", 5);
            break;
        case '\t':
            qvr_buf_append(b, "&#9;", 4);
            break;
        default:
            if (*c < 0x20 || *c == 0x7f)
                qvr_buf_append(b, "?", 1);
            else
                qvr_buf_append(b, c, 1);
        }
    }
}

static const char *jstr(const cJSON *o, const char *k, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : def;
}

/* A threshold that was not evaluated: "ok": null (summary.json says why
 * in "skipped"). It is neither a pass nor a failure. */
static int is_skipped(const cJSON *t)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(t, "ok")) ||
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "skipped"));
}

static void property(struct qvr_buf *b, const char *name, const char *value)
{
    qvr_buf_printf(b, "    <property name=\"%s\" value=\"", name);
    xml_text(b, value);
    qvr_buf_printf(b, "\"/>\n");
}

int qvr_junit_write(const struct qvr_rdir *rd, const char *path, char *err,
                    unsigned long errlen)
{
    const cJSON *root = rd->summary;
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(root, "thresholds");
    const cJSON *t;
    int tests = 0, failures = 0, skipped = 0;
    cJSON_ArrayForEach(t, th)
    {
        if (!cJSON_IsObject(t))
            continue;
        tests++;
        if (is_skipped(t))
            skipped++;
        else
            failures +=
                !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "ok"));
    }
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "started");
    char stamp[32] = "";
    /* a hostile file may say 1e300: only plausible times are converted */
    if (cJSON_IsNumber(st) && st->valuedouble > 0 &&
        st->valuedouble < 253402300800.0) { /* year 10000 */
        time_t secs = (time_t)st->valuedouble;
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    }
    qvr_buf_printf(&b,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<testsuite name=\"qvrrun thresholds\" tests=\"%d\" "
                   "failures=\"%d\" errors=\"0\" skipped=\"%d\" "
                   "time=\"%.3f\"",
                   tests, failures, skipped, rd->duration_s);
    if (stamp[0])
        qvr_buf_printf(&b, " timestamp=\"%s\"", stamp);
    qvr_buf_printf(&b, ">\n  <properties>\n");
    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(root, "target");
    char num[32];
    property(&b, "scenario", rd->scenario);
    property(&b, "target", jstr(tg, "url", ""));
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(root, "exit_code");
    snprintf(num, sizeof(num), "%d", cJSON_IsNumber(ec) ? ec->valueint : 0);
    property(&b, "exit_code", num);
    property(&b, "result_dir", rd->dir);
    qvr_buf_printf(&b, "  </properties>\n");
    cJSON_ArrayForEach(t, th)
    {
        if (!cJSON_IsObject(t))
            continue;
        const char *expr = jstr(t, "expr", "?");
        const char *measured = jstr(t, "measured", "n/a");
        int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "ok"));
        qvr_buf_printf(&b, "  <testcase classname=\"");
        xml_text(&b, rd->scenario);
        qvr_buf_printf(&b, "\" name=\"");
        xml_text(&b, expr);
        qvr_buf_printf(&b, "\" time=\"0\"");
        if (is_skipped(t)) {
            /* not evaluated (a trend through too few windows) */
            qvr_buf_printf(&b, ">\n    <skipped message=\"not evaluated: ");
            xml_text(&b, jstr(t, "skipped", "no value"));
            qvr_buf_printf(&b, "\"/>\n  </testcase>\n");
            continue;
        }
        if (ok) {
            qvr_buf_printf(&b, ">\n    <system-out>measured ");
            xml_text(&b, measured);
            qvr_buf_printf(&b, "</system-out>\n  </testcase>\n");
            continue;
        }
        /* why there is no value: what it reads never occurred
         * ("no_data"), or another reason */
        const char *why = jstr(t, "no_data", jstr(t, "reason", NULL));
        qvr_buf_printf(&b, ">\n    <failure message=\"measured ");
        xml_text(&b, measured);
        if (why) {
            qvr_buf_printf(&b, ": ");
            xml_text(&b, why);
        }
        qvr_buf_printf(&b, "\" type=\"threshold\">threshold ");
        xml_text(&b, expr);
        qvr_buf_printf(&b, " failed: measured ");
        xml_text(&b, measured);
        if (why) {
            qvr_buf_printf(&b, ": ");
            xml_text(&b, why);
        }
        qvr_buf_printf(&b, "</failure>\n  </testcase>\n");
    }
    qvr_buf_printf(&b, "</testsuite>\n");
    int rc;
    if (b.truncated || !b.data) {
        snprintf(err, errlen, "out of memory writing %s", path);
        rc = QVR_ENOMEM;
    } else {
        rc = qvr_render_write_path(path, b.data, b.len, err, errlen);
    }
    qvr_buf_free(&b);
    return rc;
}
