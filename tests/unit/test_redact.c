/* test_redact.c -- secret header values and URL passwords never pass. */
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "t.h"

int main(void)
{
    struct qvr_redact r;
    qvr_redact_init(&r);
    T_CHECK(qvr_redact_is_secret(&r, "Authorization", 13));
    T_CHECK(qvr_redact_is_secret(&r, "COOKIE", 6));
    T_CHECK(qvr_redact_is_secret(&r, "proxy-authorization", 19));
    T_CHECK(!qvr_redact_is_secret(&r, "x-api-key", 9));
    T_EQ_INT(qvr_redact_add_name(&r, "X-Api-Key"), 0);
    T_CHECK(qvr_redact_is_secret(&r, "x-api-key", 9));

    char *s = qvr_redact_text(&r, "nothing known yet: abcd");
    T_EQ_STR(s, "nothing known yet: abcd");
    free(s);

    const char *auth = "Bearer tok-123456";
    qvr_redact_add_value(&r, auth, strlen(auth));
    qvr_redact_add_value(&r, "k3y", 3); /* too short to be matched safely */
    s = qvr_redact_text(&r, "sent Bearer tok-123456; token tok-123456 again");
    T_EQ_STR(s, "sent <redacted>; token <redacted> again");
    free(s);
    s = qvr_redact_text(&r, "k3y stays");
    T_EQ_STR(s, "k3y stays");
    free(s);

    /* The table is bounded: the oldest values give way. */
    char v[32];
    for (int i = 0; i < QVR_REDACT_MAX_VALUES + 10; i++) {
        snprintf(v, sizeof(v), "value-%04d", i);
        qvr_redact_add_value(&r, v, strlen(v));
    }
    T_EQ_INT(r.nvalues, QVR_REDACT_MAX_VALUES);
    s = qvr_redact_text(&r, "value-0073");
    T_EQ_STR(s, "<redacted>");
    free(s);

    char out[128];
    qvr_redact_url("http://user:pa55@host:80/p?q=1", out, sizeof(out));
    T_EQ_STR(out, "http://user:<redacted>@host:80/p?q=1");
    qvr_redact_url("http://host/a@b", out, sizeof(out));
    T_EQ_STR(out, "http://host/a@b");
    qvr_redact_url("https://user@host/", out, sizeof(out));
    T_EQ_STR(out, "https://user@host/");
    qvr_redact_fini(&r);
    return T_DONE();
}
