/* qvr.c -- the few helpers every module shares. */
#include "qvr.h"

/* Returns a short static English description of err, one of enum qvr_err.
 * Unknown values give "unknown error". The string is never freed. */
const char *qvr_strerror(int err)
{
    switch (err) {
    case QVR_OK:
        return "success";
    case QVR_ENOMEM:
        return "out of memory";
    case QVR_EINVAL:
        return "invalid argument or malformed input";
    case QVR_EIO:
        return "input/output error";
    case QVR_ERANGE:
        return "value out of range";
    case QVR_ESTATE:
        return "operation not valid in the current state";
    case QVR_ENOTFOUND:
        return "not found";
    default:
        return "unknown error";
    }
}
