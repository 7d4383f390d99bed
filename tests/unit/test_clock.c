/* test_clock.c -- duration parsing and formatting, the clock itself, and
 * qvr_strerror. */
#include <stdint.h>
#include <time.h>

#include "clock.h"
#include "qvr.h"
#include "t.h"

#define S QVR_NS_PER_S
#define MS QVR_NS_PER_MS
#define US QVR_NS_PER_US

static void test_parse_valid(void)
{
    static const struct {
        const char *in;
        uint64_t ns;
    } cases[] = {
        {"250ms", 250 * MS},
        {"30s", 30 * S},
        {"2m", 120 * S},
        {"1h", 3600 * S},
        {"1m30s", 90 * S},
        {"1.5s", 1500 * MS},
        {"2", 2 * S},
        {"0.5", 500 * MS},
        {"100us", 100 * US},
        {"10ns", 10},
        {"0", 0},
        {"0s", 0},
        {"1.5ms", 1500 * US},
        {"0.001s", 1 * MS},
        {"2.25h", 8100 * S},
        {".5s", 500 * MS},
        {"5.", 5 * S},
        {"1h2m3s4ms5us6ns", 3723 * S + 4 * MS + 5 * US + 6},
        {"30s1m", 90 * S},
        {"5\xc2\xb5s", 5 * US},
        {"7\xce\xbcs", 7 * US},
        {"0.000000001s", 1},
        {"0.0000000004s", 0},
        {"1.0000000005s", S + 1}, /* rounded to the nearest ns */
        {"18446744073709551615ns", UINT64_MAX},
        {"5124095h", 5124095ULL * 3600 * S},
    };
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        uint64_t ns = 12345;
        int r = qvr_duration_parse(cases[i].in, &ns);

        T_CHECK_MSG(r == 0, "\"%s\": %d", cases[i].in, r);
        T_CHECK_MSG(ns == cases[i].ns, "\"%s\": %llu != %llu", cases[i].in,
                    (unsigned long long)ns, (unsigned long long)cases[i].ns);
    }
}

static void test_parse_invalid(void)
{
    static const struct {
        const char *in;
        int err;
    } cases[] = {
        {"", QVR_EINVAL},
        {"-1s", QVR_EINVAL},
        {"5x", QVR_EINVAL},
        {"s", QVR_EINVAL},
        {"1s junk", QVR_EINVAL},
        {"1.2.3s", QVR_EINVAL},
        {"1m30", QVR_EINVAL},
        {" 1s", QVR_EINVAL},
        {"1s ", QVR_EINVAL},
        {"1 s", QVR_EINVAL},
        {"+1s", QVR_EINVAL},
        {".", QVR_EINVAL},
        {".s", QVR_EINVAL},
        {"1e3s", QVR_EINVAL},
        {"ms", QVR_EINVAL},
        {"1S", QVR_EINVAL},
        {"1sec", QVR_EINVAL},
        {"1d", QVR_EINVAL},
        {"99999999999999999999x", QVR_EINVAL},
        {"18446744073709551616ns", QVR_ERANGE},
        {"99999999999999999999", QVR_ERANGE},
        {"5124096h", QVR_ERANGE},
        {"18446744073709551615ns1ns", QVR_ERANGE},
        {"18446744073709551615.9ns", QVR_ERANGE},
    };
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        uint64_t ns = 777;
        int r = qvr_duration_parse(cases[i].in, &ns);

        T_CHECK_MSG(r == cases[i].err, "\"%s\": %d != %d", cases[i].in, r,
                    cases[i].err);
        T_CHECK_MSG(ns == 777, "\"%s\" wrote %llu on error", cases[i].in,
                    (unsigned long long)ns);
    }
    T_EQ_INT(qvr_duration_parse(NULL, NULL), QVR_EINVAL);
}

static void test_fmt(void)
{
    static const struct {
        uint64_t ns;
        const char *out;
    } cases[] = {
        {0, "0ns"},
        {850, "850ns"},
        {1500, "1.50us"},
        {100 * US, "100us"},
        {999400, "999us"},
        {999999, "1.00ms"},
        {12500 * US, "12.5ms"},
        {123456789, "123ms"},
        {250 * MS, "250ms"},
        {1500 * MS, "1.50s"},
        {30 * S, "30s"},
        {150 * S, "2m30s"},
        {3599 * S + 999 * MS, "59m59s"},
        {3600 * S, "1h00m"},
        {3725 * S, "1h02m"},
        {UINT64_MAX, "5124095h34m"},
    };
    char buf[32], small[4];
    size_t i;

    for (i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        T_CHECK(qvr_duration_fmt(cases[i].ns, buf, sizeof(buf)) == buf);
        T_EQ_STR(buf, cases[i].out);
    }
    /* Too small a buffer: cut and still terminated. */
    qvr_duration_fmt(250 * MS, small, sizeof(small));
    T_EQ_STR(small, "250");
    /* Output that drops nothing parses back to the same value. */
    for (i = 0; i < QVR_ARRAY_LEN(cases); i++) {
        uint64_t back = 1;

        if (strchr(cases[i].out, '.') != NULL || cases[i].ns == UINT64_MAX ||
            cases[i].ns % S != 0 ||
            (cases[i].ns >= 3600 * S && cases[i].ns % (60 * S) != 0))
            continue;
        T_EQ_INT(qvr_duration_parse(cases[i].out, &back), 0);
        T_EQ_INT(back, cases[i].ns);
    }
}

static void test_clock(void)
{
    struct timespec nap = {0, 20 * 1000 * 1000};
    uint64_t a, b, c, w;

    a = qvr_clock_ns();
    b = qvr_clock_ns();
    T_CHECK(b >= a);
    nanosleep(&nap, NULL);
    c = qvr_clock_ns();
    T_CHECK_MSG(c - a >= 20 * MS && c - a < 2 * S, "slept %llu ns",
                (unsigned long long)(c - a));
    w = qvr_clock_wall_ns();
    /* After 2020-01-01 and before 2100-01-01. */
    T_CHECK(w > 1577836800ULL * S && w < 4102444800ULL * S);
}

static void test_strerror(void)
{
    static const int errs[] = {QVR_OK,     QVR_ENOMEM, QVR_EINVAL,   QVR_EIO,
                               QVR_ERANGE, QVR_ESTATE, QVR_ENOTFOUND};
    size_t i, j;

    for (i = 0; i < QVR_ARRAY_LEN(errs); i++) {
        T_CHECK(qvr_strerror(errs[i])[0] != '\0');
        T_CHECK(strcmp(qvr_strerror(errs[i]), "unknown error") != 0);
        for (j = 0; j < i; j++)
            T_CHECK(strcmp(qvr_strerror(errs[i]), qvr_strerror(errs[j])) != 0);
    }
    T_EQ_STR(qvr_strerror(-999), "unknown error");
    T_EQ_STR(qvr_strerror(QVR_EINVAL), "invalid argument or malformed input");
}

int main(void)
{
    test_parse_valid();
    test_parse_invalid();
    test_fmt();
    test_clock();
    test_strerror();
    return T_DONE();
}
