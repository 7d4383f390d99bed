/* clock.h -- the monotonic clock and duration parsing. */
#ifndef QVR_CLOCK_H
#define QVR_CLOCK_H

#include <stdint.h>

#define QVR_NS_PER_US 1000ULL
#define QVR_NS_PER_MS 1000000ULL
#define QVR_NS_PER_S 1000000000ULL

/* Nanoseconds from CLOCK_MONOTONIC. Never libevent's cached time. */
uint64_t qvr_clock_ns(void);

/* Nanoseconds since the Unix epoch from CLOCK_REALTIME (for wall-clock
 * stamps in results only; never for measuring). */
uint64_t qvr_clock_wall_ns(void);

/* Parses a duration: a sequence of <number><unit> with unit one of
 * ns us ms s m h ("250ms", "30s", "2m", "1h", "1m30s", "1.5s"); a bare
 * number means seconds ("2", "0.5"). Writes nanoseconds to *out.
 * Returns 0, or QVR_EINVAL for malformed text (empty, negative, unknown
 * unit, trailing junk) and QVR_ERANGE when it overflows 64 bits. */
int qvr_duration_parse(const char *s, uint64_t *out);

/* Formats ns as a short human duration ("250ms", "1.50s", "2m30s",
 * "1h00m") into buf (at least 16 bytes). Returns buf. */
char *qvr_duration_fmt(uint64_t ns, char *buf, unsigned long len);

#endif
