/* test_base64.c -- qvr_base64_*: RFC 4648's test vectors, every byte
 * value, lengths and the prefix of qvr_base64_new. */
#include <stdint.h>
#include <stdlib.h>

#include "base64.h"
#include "t.h"

static void test_vectors(void)
{
    static const struct {
        const char *in, *out;
    } v[] = {{"", ""},
             {"f", "Zg=="},
             {"fo", "Zm8="},
             {"foo", "Zm9v"},
             {"foob", "Zm9vYg=="},
             {"fooba", "Zm9vYmE="},
             {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char out[32];
        size_t n = strlen(v[i].in);
        T_EQ_INT(qvr_base64_len(n), strlen(v[i].out));
        size_t w = qvr_base64_encode(out, v[i].in, n);
        out[w] = 0;
        T_EQ_STR(out, v[i].out);
        char *s = qvr_base64_new(NULL, v[i].in, n);
        T_CHECK(s && strcmp(s, v[i].out) == 0);
        free(s);
    }
}

/* Every byte value at each of the three positions of a group maps to the
 * characters a bit-by-bit reference gives. */
static void test_all_bytes(void)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char in[768];
    for (int i = 0; i < 768; i++)
        in[i] = (unsigned char)(i * 7 + i / 256);
    char out[1024 + 1];
    T_EQ_INT(qvr_base64_encode(out, in, sizeof(in)), 1024);
    int bad = 0;
    for (int g = 0; g < 256; g++) {
        uint32_t v = (uint32_t)in[3 * g] << 16 | (uint32_t)in[3 * g + 1] << 8 |
                     in[3 * g + 2];
        for (int c = 0; c < 4; c++)
            bad += out[4 * g + c] != a[(v >> (18 - 6 * c)) & 63];
    }
    T_EQ_INT(bad, 0);
    /* no byte written past the encoding */
    memset(out, '#', sizeof(out));
    T_EQ_INT(qvr_base64_encode(out, "\xff\xfe", 2), 4);
    T_CHECK(memcmp(out, "//4=#", 5) == 0);
    T_EQ_INT(qvr_base64_encode(out, "\xff", 1), 4);
    T_CHECK(memcmp(out, "/w==#", 5) == 0);
}

static void test_new_and_len(void)
{
    char *s = qvr_base64_new("data:image/png;base64,", "\x89PNG", 4);
    T_CHECK(s != NULL);
    if (s)
        T_EQ_STR(s, "data:image/png;base64,iVBORw==");
    free(s);
    s = qvr_base64_new("p:", "", 0);
    T_CHECK(s && strcmp(s, "p:") == 0);
    free(s);
    T_EQ_INT(qvr_base64_len(3000000), 4000000);
    T_EQ_INT(qvr_base64_len(20 * 1024 * 1024 + 2), 27962032);
    T_EQ_INT(qvr_base64_len(SIZE_MAX), 0); /* would not fit */
    T_CHECK(qvr_base64_new(NULL, "", SIZE_MAX) == NULL);
}

int main(void)
{
    test_vectors();
    test_all_bytes();
    test_new_and_len();
    return T_DONE();
}
