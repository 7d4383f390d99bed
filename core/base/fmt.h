/* fmt.h -- how a latency is printed: one family for every table, progress
 * line and CSV cell, so the same figure reads the same everywhere. */
#ifndef QVR_FMT_H
#define QVR_FMT_H

#include <stddef.h>

/* A latency for people, with the unit: "8.12ms", "81.2ms", "812ms",
 * "8.12s", "81.2s" (three significant figures up to 10 s, then tenths of a
 * second); "-" for NaN (no data). Writes at most len bytes to buf and
 * returns buf; 16 bytes hold any value under 10^9 s. */
char *qvr_fmt_ms(double ms, char *buf, size_t len);

/* A latency in milliseconds for a CSV cell or a chart label, without the
 * unit: three significant figures ("0.0812", "8.12", "812", "8120"), "0"
 * for zero or less, "N/A" for NaN (Locust's spelling). Returns buf. */
char *qvr_fmt_ms_sig3(double ms, char *buf, size_t len);

#endif
