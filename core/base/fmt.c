/* fmt.c -- the latency formats. */
#include "fmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *qvr_fmt_ms(double ms, char *buf, size_t len)
{
    if (isnan(ms))
        snprintf(buf, len, "-");
    else if (ms >= 10000)
        snprintf(buf, len, "%.1fs", ms / 1000);
    else if (ms >= 1000)
        snprintf(buf, len, "%.2fs", ms / 1000);
    else if (ms >= 100)
        snprintf(buf, len, "%.0fms", ms);
    else if (ms >= 10)
        snprintf(buf, len, "%.1fms", ms);
    else
        snprintf(buf, len, "%.2fms", ms);
    return buf;
}

char *qvr_fmt_ms_sig3(double ms, char *buf, size_t len)
{
    char tmp[32];
    if (isnan(ms)) {
        snprintf(buf, len, "N/A");
        return buf;
    }
    if (!(ms > 0)) {
        snprintf(buf, len, "0");
        return buf;
    }
    /* %.2e rounds to 3 significant digits and tells the magnitude. */
    snprintf(tmp, sizeof(tmp), "%.2e", ms);
    int e = atoi(strchr(tmp, 'e') + 1);
    double v = strtod(tmp, NULL);
    if (e >= 2)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.*f", 2 - e, v);
    return buf;
}
