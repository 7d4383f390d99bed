/* test_fmt.c -- the latency formats of tables, progress lines and CSVs. */
#include <math.h>

#include "fmt.h"
#include "t.h"

static void test_ms(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0, "0.00ms"},        {0.004, "0.00ms"}, {8.123, "8.12ms"},
        {9.996, "10.00ms"},   {10, "10.0ms"},    {81.26, "81.3ms"},
        {99.96, "100.0ms"},   {100, "100ms"},    {812.3, "812ms"},
        {999.4, "999ms"},     {1000, "1.00s"},   {8123, "8.12s"},
        {9999, "10.00s"},     {10000, "10.0s"},  {81234, "81.2s"},
        {3723000, "3723.0s"}, {NAN, "-"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char b[16];
        T_EQ_STR(qvr_fmt_ms(cases[i].v, b, sizeof(b)), cases[i].want);
    }
    /* a short buffer is cut, never overrun */
    char small[4] = "zzz";
    qvr_fmt_ms(812.3, small, sizeof(small));
    T_EQ_STR(small, "812");
}

static void test_sig3(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {{0, "0"},           {-1, "0"},        {0.148, "0.148"},
                 {70.021, "70.0"},   {1234.5, "1230"}, {0.0391, "0.0391"},
                 {9.996, "10.0"},    {999.6, "1000"},  {5.403, "5.40"},
                 {4567.891, "4570"}, {100, "100"},     {NAN, "N/A"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char b[32];
        T_EQ_STR(qvr_fmt_ms_sig3(cases[i].v, b, sizeof(b)), cases[i].want);
    }
}

int main(void)
{
    test_ms();
    test_sig3();
    return T_DONE();
}
