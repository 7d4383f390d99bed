/* t.h -- the tiny test harness of qvrrun's unit tests. Each test file is one
 * program (one ctest); T_CHECK records a failure with file:line and goes on;
 * T_DONE() prints "N passed, N failed" and returns the exit status. */
#ifndef QVR_T_H
#define QVR_T_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define T_CHECK(cond)                                                          \
    do {                                                                       \
        if (cond) {                                                            \
            t_pass++;                                                          \
        } else {                                                               \
            t_fail++;                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
        }                                                                      \
    } while (0)

#define T_CHECK_MSG(cond, ...)                                                 \
    do {                                                                       \
        if (cond) {                                                            \
            t_pass++;                                                          \
        } else {                                                               \
            t_fail++;                                                          \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,  \
                    #cond);                                                    \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

#define T_EQ_INT(a, b)                                                         \
    T_CHECK_MSG((long long)(a) == (long long)(b), "%lld != %lld",              \
                (long long)(a), (long long)(b))
#define T_EQ_STR(a, b)                                                         \
    T_CHECK_MSG(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))
#define T_NEAR(a, b, tol)                                                      \
    T_CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%g not within %g of %g", \
                (double)(a), (double)(tol), (double)(b))

#define T_DONE()                                                               \
    (printf("%d passed, %d failed\n", t_pass, t_fail), t_fail ? 1 : 0)

#endif
