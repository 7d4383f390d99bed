/* window_row.h -- one closed results window as plain numbers: what the run
 * writes to timeseries.csv, what thresholds over windows and trends read,
 * and what the collector lines its samples up with. No functions. */
#ifndef QVR_WINDOW_ROW_H
#define QVR_WINDOW_ROW_H

#include <stdint.h>

/* One closed results window (all requests of the run). */
struct qvr_window_row {
    double t_s;    /* window end, seconds since the start */
    double wall_s; /* window end, Unix seconds */
    double len_s;  /* window length (the last one may be shorter) */
    int users;     /* users running at the end of the window */
    uint64_t requests, failures;
    double rps;
    double p50_ms, p90_ms, p99_ms, max_ms;
    /* token streams completed in the window (0: none; then the token
     * cells of timeseries.csv are empty) */
    uint64_t streams, out_tokens;
    double ttft_p50_ms, ttft_p99_ms, itl_p50_ms, itl_p99_ms;
    double tpot_p50_ms, tpot_p99_ms;
    int tok_no_tps; /* output tokens unknown (a merge): no tokens/s */
};

#endif
