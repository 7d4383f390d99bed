/* test_suggest.c -- the one edit distance and "did you mean". */
#include <string.h>

#include "suggest.h"
#include "t.h"

static void test_distance(void)
{
    static const struct {
        const char *a, *b;
        int d;
    } cases[] = {
        {"", "", 0},
        {"users", "users", 0},
        {"", "abc", 3},
        {"abc", "", 3},
        {"kitten", "sitting", 3},
        {"useres", "users", 1},  /* one extra letter */
        {"usrs", "users", 1},    /* one missing */
        {"tragte", "target", 2}, /* two neighbours swapped twice */
        {"taregt", "target", 1}, /* one swap costs 1, not 2 */
        {"P99", "p99", 0},       /* ASCII case is ignored */
        {"Duration", "duration", 0},
        {"ca", "abc", 3}, /* OSA, not Damerau: no edit after a swap */
        {"p95", "p99", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        T_CHECK_MSG(qvr_suggest_distance(cases[i].a, cases[i].b) == cases[i].d,
                    "%s ~ %s: %d, want %d", cases[i].a, cases[i].b,
                    qvr_suggest_distance(cases[i].a, cases[i].b), cases[i].d);
}

static void test_long_words(void)
{
    /* Only the first QVR_SUGGEST_LEN bytes count: two words that differ
     * after them are the same word, and a long word is not refused. */
    char a[200], b[200];
    memset(a, 'x', sizeof(a) - 1);
    a[sizeof(a) - 1] = 0;
    memcpy(b, a, sizeof(b));
    b[100] = 'y';
    T_EQ_INT(qvr_suggest_distance(a, b), 0);
    b[QVR_SUGGEST_LEN - 1] = 'y';
    T_EQ_INT(qvr_suggest_distance(a, b), 1);
    T_EQ_INT(qvr_suggest_distance(a, "x"), QVR_SUGGEST_LEN - 1);
}

static void test_nearest(void)
{
    static const char *const keys[] = {"users", "duration", "ramp", "target",
                                       NULL};
    const char *best = "unset";
    T_EQ_INT(qvr_suggest_nearest("durtaion", keys, -1, &best), 1);
    T_EQ_STR(best, "duration");
    /* n counts: the NULL is never reached, "target" is left out */
    T_EQ_INT(qvr_suggest_nearest("targte", keys, 3, &best), 5);
    T_EQ_STR(best, "ramp");
    /* ties go to the first candidate */
    static const char *const tie[] = {"ab", "ba", NULL};
    T_EQ_INT(qvr_suggest_nearest("aa", tie, -1, &best), 1);
    T_EQ_STR(best, "ab");
    /* no candidate */
    static const char *const none[] = {NULL};
    T_EQ_INT(qvr_suggest_nearest("x", none, -1, &best), -1);
    T_CHECK(best == NULL);
}

static void test_suggest(void)
{
    static const char *const m[] = {"p99", "max", "rps", "error_rate",
                                    "checks"};
    T_EQ_STR(qvr_suggest("erorr_rate", m, 5), "error_rate");
    T_EQ_STR(qvr_suggest("RPS", m, 5), "rps");
    T_EQ_STR(qvr_suggest("chekcs", m, 5), "checks");
    /* three edits away: no suggestion */
    T_CHECK(qvr_suggest("latency", m, 5) == NULL);
    /* not nearer than the word is long: "x" must not suggest "max" */
    T_CHECK(qvr_suggest("x", m, 5) == NULL);
    T_EQ_STR(qvr_suggest("mx", m, 5), "max");
    T_EQ_STR(qvr_suggest("mxa", m, 5), "max");
}

int main(void)
{
    test_distance();
    test_long_words();
    test_nearest();
    test_suggest();
    return T_DONE();
}
