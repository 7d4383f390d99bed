/* junit.h -- the gate as a JUnit XML report (`--junit FILE`), so CI
 * systems list every threshold as a test: a testsuite "qvrrun thresholds"
 * with one testcase per threshold (classname = the scenario name, name =
 * the expression) and a <failure message="measured 812ms"> for each one that
 * failed. */
#ifndef QVR_JUNIT_H
#define QVR_JUNIT_H

#include "render.h"

/* Writes the report for rd's summary.json thresholds to path (relative to
 * the current directory, or absolute) atomically. Everything taken from the
 * summary is XML-escaped; characters XML 1.0 cannot carry become '?'.
 * Returns 0, or QVR_EIO / QVR_ENOMEM / QVR_EINVAL with err naming the
 * file. */
int qvr_junit_write(const struct qvr_rdir *rd, const char *path, char *err,
                    unsigned long errlen);

#endif
