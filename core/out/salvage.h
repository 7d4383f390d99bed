/* salvage.h -- the results of a run that never wrote its summary (killed
 * with SIGKILL, or the machine went down), rebuilt from the files written
 * window by window as it ran: latency.hlog (one histogram per window, for
 * all requests and per request name) and timeseries_by_name.csv (each
 * name's requests and failures per window). */
#ifndef QVR_SALVAGE_H
#define QVR_SALVAGE_H

/* Writes dir/summary.json marked "partial": true (the totals' and names'
 * requests and failures, the duration; no thresholds, load or scenario
 * name, which only the end of a run writes) and, when absent,
 * dir/timeseries.csv (one row per window of the log, without the users
 * column). `qvrrun report` then recomputes the percentiles from the log
 * and renders the charts as for any run. A last line cut by the kill is
 * dropped from latency.hlog and timeseries_by_name.csv (*cut set to 1).
 * Returns 0, QVR_ENOTFOUND when dir has no latency.hlog, or a negative enum
 * qvr_err with err naming the file (and line). */
int qvr_salvage_dir(const char *dir, int *cut, char *err, unsigned long errlen);

#endif
