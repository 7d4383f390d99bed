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
    T_CHECK(!qvr_redact_is_secret(&r, "x-request-id", 12));
    T_EQ_INT(qvr_redact_add_name(&r, "X-Request-Id"), 0);
    T_CHECK(qvr_redact_is_secret(&r, "x-request-id", 12));
    /* names that carry credentials by convention, without redact = {} */
    static const char *const conv[] = {"api-key",
                                       "X-API-Key",
                                       "x-apikey",
                                       "ApiKey",
                                       "X-Auth-Token",
                                       "x_token",
                                       "Ocp-Apim-Subscription-Key",
                                       "RERANK_KEY",
                                       "cookie",
                                       "AUTHORIZATION",
                                       NULL};
    for (int i = 0; conv[i]; i++)
        T_CHECK_MSG(qvr_redact_is_secret(&r, conv[i], strlen(conv[i])), "%s",
                    conv[i]);
    static const char *const plain[] = {
        "content-type", "keyboard", "x-token-count", "tokens", "key",
        "accept",       NULL};
    for (int i = 0; plain[i]; i++)
        T_CHECK_MSG(!qvr_redact_is_secret(&r, plain[i], strlen(plain[i])), "%s",
                    plain[i]);
    /* the length is the name's: a prefix of a secret name is not one */
    T_CHECK(!qvr_redact_is_secret(&r, "x-api-key", 5));

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

    /* One process-wide table: what one run (or thread) learns, another
     * run's mirror and the NULL (output) path know too. */
    struct qvr_redact other;
    qvr_redact_init(&other);
    qvr_redact_add_value(&other, "Basic b3RoZXI6c2VjcmV0", 22);
    s = qvr_redact_text(&r, "from the other run: b3RoZXI6c2VjcmV0");
    T_EQ_STR(s, "from the other run: <redacted>");
    free(s);
    s = qvr_redact_text(NULL, "at output: b3RoZXI6c2VjcmV0.");
    T_EQ_STR(s, "at output: <redacted>.");
    free(s);

    /* Nothing to replace: the text itself, no copy (check labels). */
    char *tofree;
    const char *label = "status 200";
    T_CHECK(qvr_redact_str(&r, label, &tofree) == label);
    T_CHECK(tofree == NULL);
    T_EQ_STR(qvr_redact_str(NULL, "ok b3RoZXI6c2VjcmV0", &tofree),
             "ok <redacted>");
    T_CHECK(tofree != NULL);
    free(tofree);

    /* env() keys that look secret; values learned from them stay while
     * newer header values come and go. */
    T_CHECK(qvr_redact_env_key_is_secret("API_TOKEN"));
    T_CHECK(qvr_redact_env_key_is_secret("db_password"));
    T_CHECK(qvr_redact_env_key_is_secret("X-Api-Key"));
    T_CHECK(qvr_redact_env_key_is_secret("OPENAI_APIKEY"));
    T_CHECK(qvr_redact_env_key_is_secret("Authorization"));
    T_CHECK(qvr_redact_env_key_is_secret("GCP_CREDENTIALS"));
    T_CHECK(qvr_redact_env_key_is_secret("SSH_PRIVATE"));
    T_CHECK(qvr_redact_env_key_is_secret("MY_SECRET"));
    T_CHECK(qvr_redact_env_key_is_secret("PASSWD"));
    T_CHECK(!qvr_redact_env_key_is_secret("QVR_TARGET"));
    T_CHECK(!qvr_redact_env_key_is_secret("USERS"));
    T_CHECK(!qvr_redact_env_key_is_secret("KEYBOARD"));
    qvr_redact_learn("env-secret-1", 12);
    for (int i = 0; i < 3 * QVR_REDACT_MAX_VALUES; i++) {
        snprintf(v, sizeof(v), "later-%04d", i);
        qvr_redact_add_value(&r, v, strlen(v));
    }
    s = qvr_redact_text(&other, "env-secret-1 later-0000 later-0191");
    T_EQ_STR(s, "<redacted> later-0000 <redacted>");
    free(s);
    qvr_redact_fini(&other);

    /* A value with a quote, backslash or slash, echoed inside JSON: its
     * escaped forms (with and without \/) are secret too. */
    const char *tok = "tok\"en\\with/special-SECRET42";
    qvr_redact_add_value(&r, tok, strlen(tok));
    s = qvr_redact_text(&r,
                        "{\"echo\":\"tok\\\"en\\\\with/special-SECRET42\"}");
    T_EQ_STR(s, "{\"echo\":\"<redacted>\"}");
    free(s);
    s = qvr_redact_text(NULL, "php: tok\\\"en\\\\with\\/special-SECRET42 raw: "
                              "tok\"en\\with/special-SECRET42");
    T_EQ_STR(s, "php: <redacted> raw: <redacted>");
    free(s);
    const char *ctl = "Bearer ab\tcd-efgh";
    qvr_redact_add_value(&r, ctl, strlen(ctl));
    s = qvr_redact_text(&r, "\"ab\\u0009cd-efgh\"");
    T_EQ_STR(s, "\"<redacted>\"");
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
