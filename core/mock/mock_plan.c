/* mock_plan.c -- the mock as a scenario's target (see mock_plan.h). */
#include "mock_plan.h"

#include <stdio.h>
#include <stdlib.h>

#include "mock.h"
#include "qvr.h"

int qvr_mock_plan_start(int argc, char **argv, struct qvr_mock **out, char *err,
                        size_t errlen)
{
    struct qvr_mock_config mc;
    qvr_mock_config_init(&mc);
    *out = NULL;
    char **args = calloc((size_t)argc + 3, sizeof(char *));
    if (!args)
        return QVR_ENOMEM;
    args[0] = (char *)"--listen";
    args[1] = (char *)"127.0.0.1:0";
    for (int i = 0; i < argc; i++)
        args[i + 2] = argv[i];
    char why[256] = "";
    int rc = qvr_mock_parse_args(&mc, argc + 2, args, why, sizeof(why));
    free(args);
    if (rc < 0) {
        snprintf(err, errlen, "mock: %s", why);
        return QVR_EINVAL;
    }
    *out = qvr_mock_start(&mc, why, sizeof(why));
    if (!*out) {
        snprintf(err, errlen, "cannot start the built-in mock: %s", why);
        return QVR_EIO;
    }
    return qvr_mock_port(*out);
}
