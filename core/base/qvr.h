/* qvr.h -- things every module of qvrrun shares: the error enum and a few
 * helpers. C functions return 0 or a negative enum qvr_err. */
#ifndef QVR_H
#define QVR_H

#define QVR_VERSION "0.1.0" /* also the User-Agent: qvrrun/QVR_VERSION */

#include <stddef.h>
#include <stdint.h>

enum qvr_err {
    QVR_OK = 0,
    QVR_ENOMEM = -1, /* allocation failed */
    QVR_EINVAL = -2, /* bad argument or malformed input */
    QVR_EIO = -3,    /* read/write/syscall failed */
    QVR_ERANGE = -4, /* value out of the representable range */
    QVR_ESTATE = -5, /* call not valid in the object's current state */
    QVR_ENOTFOUND = -6
};

/* Process exit codes (DESIGN.md section 1). */
enum qvr_exit {
    QVR_EXIT_OK = 0,
    QVR_EXIT_USAGE = 2,      /* bad flag, scenario error */
    QVR_EXIT_RUN = 3,        /* run could not be carried out */
    QVR_EXIT_THRESHOLD = 99, /* a threshold failed */
    QVR_EXIT_INTERRUPT = 130 /* SIGINT/SIGTERM; results written */
};

#define QVR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A short static description of an enum qvr_err. */
const char *qvr_strerror(int err);

#endif
