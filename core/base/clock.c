/* clock.c -- the monotonic clock, wall-clock stamps and durations.
 *
 * Durations are plain uint64_t nanoseconds everywhere in qvrrun; this file
 * turns the text users write ("1m30s", "250ms", "0.5") into that and back. */
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "qvr.h"

/* CLOCK_MONOTONIC in ns; for every measurement. */
uint64_t qvr_clock_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * QVR_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* CLOCK_REALTIME in ns since the epoch; for stamps in results only. */
uint64_t qvr_clock_wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * QVR_NS_PER_S + (uint64_t)ts.tv_nsec;
}

struct unit {
    const char *name;
    uint64_t ns;
};

/* Longer names first so "ms" is not read as "m" followed by junk. */
static const struct unit units[] = {
    {"ns", 1},
    {"us", QVR_NS_PER_US},
    {"\xc2\xb5s", QVR_NS_PER_US}, /* U+00B5 micro sign */
    {"\xce\xbcs", QVR_NS_PER_US}, /* U+03BC greek small mu */
    {"ms", QVR_NS_PER_MS},
    {"s", QVR_NS_PER_S},
    {"m", 60 * QVR_NS_PER_S},
    {"h", 3600 * QVR_NS_PER_S},
};

/* Matches a unit name at *p; advances *p past it and returns its length in
 * ns, or returns 0 when no unit starts there. */
static uint64_t match_unit(const char **p)
{
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(units); i++) {
        size_t n = strlen(units[i].name);

        if (strncmp(*p, units[i].name, n) == 0) {
            *p += n;
            return units[i].ns;
        }
    }
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Adds b to *acc; returns -1 (leaving *acc alone) when it would wrap. */
static int add_u64(uint64_t *acc, uint64_t b)
{
    if (*acc > UINT64_MAX - b)
        return -1;
    *acc += b;
    return 0;
}

/* The whole text is checked for syntax first, so "99999999999999999999x"
 * is QVR_EINVAL (unknown unit) and not QVR_ERANGE. The integer part is
 * exact; the fraction is scaled in double and rounded to the nearest ns
 * (it is always smaller than one unit, so no precision matters there). */
int qvr_duration_parse(const char *s, uint64_t *out)
{
    const char *p = s;
    uint64_t total = 0;
    int terms = 0, overflow = 0;

    if (s == NULL || out == NULL || *s == '\0')
        return QVR_EINVAL;
    while (*p != '\0') {
        uint64_t ip = 0, frac = 0, unit, v;
        double scale = 1.0;
        int digits = 0;

        while (is_digit(*p)) {
            unsigned d = (unsigned)(*p++ - '0');

            if (ip > (UINT64_MAX - d) / 10)
                overflow = 1;
            else
                ip = ip * 10 + d;
            digits++;
        }
        if (*p == '.') {
            p++;
            while (is_digit(*p)) {
                /* Digits past ~18 are below any resolution we keep. */
                if (frac < UINT64_MAX / 100) {
                    frac = frac * 10 + (uint64_t)(*p - '0');
                    scale *= 10.0;
                }
                p++;
                digits++;
            }
        }
        if (digits == 0)
            return QVR_EINVAL;
        unit = match_unit(&p);
        if (unit == 0) {
            if (terms == 0 && *p == '\0')
                unit = QVR_NS_PER_S; /* a bare number means seconds */
            else
                return QVR_EINVAL;
        }
        terms++;
        if (ip > UINT64_MAX / unit) {
            overflow = 1;
            continue;
        }
        v = ip * unit;
        if (add_u64(&v, (uint64_t)((double)frac * ((double)unit / scale) +
                                   0.5)) < 0 ||
            add_u64(&total, v) < 0)
            overflow = 1;
    }
    if (overflow)
        return QVR_ERANGE;
    *out = total;
    return 0;
}

/* Writes ns in the given unit with three significant digits, or as an
 * integer when it is a whole number of units. */
static void fmt_unit(uint64_t ns, uint64_t unit, const char *name, char *buf,
                     unsigned long len)
{
    double x = (double)ns / (double)unit;

    if (ns % unit == 0)
        snprintf(buf, len, "%llu%s", (unsigned long long)(ns / unit), name);
    else if (x < 9.995)
        snprintf(buf, len, "%.2f%s", x, name);
    else if (x < 99.95)
        snprintf(buf, len, "%.1f%s", x, name);
    else
        snprintf(buf, len, "%.0f%s", x, name);
}

/* Below a minute: the largest unit that keeps the number >= 1, three
 * significant digits ("850ns", "1.50us", "12.5ms", "250ms", "1.50s").
 * Then minutes and seconds ("2m30s"), then hours and minutes ("1h00m"),
 * both truncated, never rounded up into the next minute or hour. */
char *qvr_duration_fmt(uint64_t ns, char *buf, unsigned long len)
{
    const uint64_t min_ns = 60 * QVR_NS_PER_S, hour_ns = 60 * min_ns;

    if (buf == NULL || len == 0)
        return buf;
    /* 999.6us would print as "1000us": such values move up a unit. */
    if (ns < QVR_NS_PER_US)
        snprintf(buf, len, "%lluns", (unsigned long long)ns);
    else if (ns < QVR_NS_PER_MS - QVR_NS_PER_US / 2)
        fmt_unit(ns, QVR_NS_PER_US, "us", buf, len);
    else if (ns < QVR_NS_PER_S - QVR_NS_PER_MS / 2)
        fmt_unit(ns, QVR_NS_PER_MS, "ms", buf, len);
    else if (ns < min_ns)
        fmt_unit(ns, QVR_NS_PER_S, "s", buf, len);
    else if (ns < hour_ns)
        snprintf(buf, len, "%llum%02llus", (unsigned long long)(ns / min_ns),
                 (unsigned long long)(ns % min_ns / QVR_NS_PER_S));
    else
        snprintf(buf, len, "%lluh%02llum", (unsigned long long)(ns / hour_ns),
                 (unsigned long long)(ns % hour_ns / min_ns));
    return buf;
}
