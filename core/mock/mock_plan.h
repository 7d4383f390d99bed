/* mock_plan.h -- the built-in mock as a scenario's target (target =
 * "mock"): started on a free loopback port with the scenario's mock = {...}
 * flags. */
#ifndef QVR_MOCK_PLAN_H
#define QVR_MOCK_PLAN_H

#include <stddef.h>

struct qvr_mock;

/* Starts the mock on 127.0.0.1 (any free port) with the mock's command-line
 * flags argv (argc of them, borrowed; plan->mock_argv). Writes the mock to
 * *out (stop it with qvr_mock_stop) and returns its port, or a negative
 * qvr_err with err saying why: QVR_EINVAL for a bad flag ("mock: ..."),
 * QVR_EIO when it cannot start, QVR_ENOMEM. */
int qvr_mock_plan_start(int argc, char **argv, struct qvr_mock **out, char *err,
                        size_t errlen);

#endif
