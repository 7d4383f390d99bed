/* page.h -- the dashboard page and report.html: one HTML document with its
 * CSS, its script (web/page.*) and the charting library (Debian's
 * libjs-dygraphs) inlined, all compiled into the binary, so the page needs
 * no network and report.html opens from disk.
 *
 * The same script draws both: with no data it is the live page and reads
 * the run from /events (web.h); with data it draws that (report.html). The
 * data is {"mode": "report", "state": {...}, "windows": [[...], ...],
 * "note": "..."}: the state as the live page gets it, the windows as rows
 * [time_s, p50_ms, p90_ms, p99_ms, rps, failures_per_s, users]. */
#ifndef QVR_PAGE_H
#define QVR_PAGE_H

#include "buf.h"
#include "render.h"

/* Appends the page to out. data_json (a JSON object, or NULL for the live
 * page) is inlined as the page's data, with "</" written "<\/" so that no
 * string in it can end the script element. Returns 0 or the qvr_buf error
 * (QVR_ENOMEM). */
int qvr_page_build(struct qvr_buf *out, const char *data_json);

/* The embedded file name ("page.js", "dygraph.min.js", ...) and its bytes
 * in *len; NULL when there is no such file. */
const char *qvr_page_asset(const char *name, size_t *len);

/* Writes report.html into the loaded result directory rd->dir: the
 * summary, thresholds and verdicts, findings, steps and knee, the
 * distribution, and interactive charts of every window (a run with more
 * windows than QVR_RENDER_MAX_POINTS is drawn from rd's groups, merged
 * histograms, and the page says so). Returns 0 or a negative enum qvr_err
 * with err naming the file. */
int qvr_page_report(const struct qvr_rdir *rd, char *err, unsigned long errlen);

#endif
