/* test_buf.c -- the capped growable buffer. */
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "qvr.h"
#include "t.h"

static void test_append_grow(void)
{
    struct qvr_buf b;
    char chunk[7];
    size_t i, k;
    int ok = 1;

    qvr_buf_init(&b, 0);
    T_CHECK(b.data == NULL && b.len == 0 && b.cap == 0 && !b.truncated);
    T_EQ_INT(qvr_buf_append(&b, "", 0), 0);
    T_CHECK(b.data == NULL); /* nothing appended, nothing allocated */
    T_EQ_INT(qvr_buf_append(&b, "hello", 5), 0);
    T_EQ_INT(b.len, 5);
    T_EQ_STR(b.data, "hello");
    T_CHECK(b.cap >= 6);

    /* 10003 bytes in chunks of 7: content and terminator survive every
     * reallocation. */
    qvr_buf_reset(&b);
    for (i = 0; i < 1429; i++) {
        for (k = 0; k < sizeof(chunk); k++)
            chunk[k] = (char)('a' + (i * 7 + k) % 26);
        T_EQ_INT(qvr_buf_append(&b, chunk, sizeof(chunk)), 0);
    }
    T_EQ_INT(b.len, 10003);
    T_CHECK(b.cap >= b.len + 1);
    for (i = 0; i < b.len; i++)
        ok &= b.data[i] == (char)('a' + i % 26);
    T_CHECK(ok);
    T_EQ_INT(b.data[b.len], '\0');
    T_EQ_INT(strlen(b.data), 10003);
    qvr_buf_free(&b);
    T_CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    qvr_buf_free(&b); /* twice is fine */
    qvr_buf_free(NULL);
}

static void test_cap(void)
{
    struct qvr_buf b;

    qvr_buf_init(&b, 10);
    T_EQ_INT(qvr_buf_append(&b, "0123456", 7), 0);
    T_EQ_INT(qvr_buf_append(&b, "789abc", 6), QVR_ERANGE);
    T_EQ_INT(b.len, 10);
    T_EQ_STR(b.data, "0123456789");
    T_CHECK(b.truncated);
    T_CHECK(b.cap <= 11); /* memory bounded by the cap */
    T_EQ_INT(qvr_buf_append(&b, "x", 1), QVR_ERANGE);
    T_EQ_INT(b.len, 10);
    T_EQ_INT(qvr_buf_append(&b, "", 0), 0); /* nothing lost */
    T_EQ_INT(qvr_buf_printf(&b, "%d", 5), QVR_ERANGE);
    T_EQ_STR(b.data, "0123456789");

    /* Reset keeps the memory and cap, clears truncated. */
    {
        char *mem = b.data;

        qvr_buf_reset(&b);
        T_CHECK(b.data == mem);
        T_EQ_INT(b.len, 0);
        T_EQ_STR(b.data, "");
        T_CHECK(!b.truncated);
        T_EQ_INT(b.max, 10);
    }
    /* Exactly the cap is not a truncation. */
    T_EQ_INT(qvr_buf_append(&b, "abcdefghij", 10), 0);
    T_CHECK(!b.truncated);
    T_EQ_STR(b.data, "abcdefghij");
    qvr_buf_free(&b);
    T_EQ_INT(b.max, 10);
    T_EQ_INT(qvr_buf_append(&b, "0123456789ABC", 13), QVR_ERANGE);
    T_EQ_STR(b.data, "0123456789");
    qvr_buf_free(&b);
}

static void test_printf(void)
{
    struct qvr_buf b;
    char big[1000];

    qvr_buf_init(&b, 0);
    T_EQ_INT(qvr_buf_printf(&b, "%d-%s", 42, "x"), 0);
    T_EQ_INT(qvr_buf_printf(&b, "|%05.1f", 3.14159), 0);
    T_EQ_STR(b.data, "42-x|003.1");
    T_EQ_INT(b.len, 10);
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    T_EQ_INT(qvr_buf_printf(&b, "%s!", big), 0);
    T_EQ_INT(b.len, 10 + 999 + 1);
    T_EQ_INT(b.data[10], 'z');
    T_EQ_INT(b.data[1008], 'z');
    T_EQ_STR(b.data + 1009, "!");
    T_EQ_INT(qvr_buf_printf(&b, "%s", ""), 0);
    T_EQ_INT(b.len, 1010);
    qvr_buf_free(&b);

    /* printf cut at the cap keeps the prefix that fits. */
    qvr_buf_init(&b, 8);
    T_EQ_INT(qvr_buf_printf(&b, "ab"), 0);
    T_EQ_INT(qvr_buf_printf(&b, "%s=%d", "count", 12345), QVR_ERANGE);
    T_EQ_STR(b.data, "abcount=");
    T_EQ_INT(b.len, 8);
    T_CHECK(b.truncated);
    qvr_buf_free(&b);
}

static void test_binary(void)
{
    struct qvr_buf b;
    const char bytes[] = {'a', '\0', 'b', '\0'};

    qvr_buf_init(&b, 0);
    T_EQ_INT(qvr_buf_append(&b, bytes, sizeof(bytes)), 0);
    T_EQ_INT(b.len, 4);
    T_CHECK(memcmp(b.data, bytes, 4) == 0);
    T_EQ_INT(b.data[4], '\0');
    qvr_buf_free(&b);
}

/* CSV fields: quoted only when they must be (RFC 4180), and a field that
 * did not fit says so, from its first failed append on. */
static void test_csv_field(void)
{
    struct qvr_buf b;
    qvr_buf_init(&b, 0);
    T_EQ_INT(qvr_buf_csv_field(&b, "plain", 0), 0);
    T_EQ_INT(qvr_buf_csv_field(&b, "a,\"b\"", 0), 0);
    T_EQ_INT(qvr_buf_csv_field(&b, " edge", 1), 0);
    T_EQ_STR(b.data, "plain,\"a,\"\"b\"\"\",\" edge\"\n");
    qvr_buf_free(&b);
    qvr_buf_init(&b, 8);
    T_EQ_INT(qvr_buf_csv_field(&b, "abc", 0), 0);
    T_EQ_INT(qvr_buf_csv_field(&b, "x,y", 1), QVR_ERANGE); /* 6 of 9 fit */
    T_EQ_INT(b.truncated, 1);
    T_EQ_INT(qvr_buf_csv_field(&b, "", 1), QVR_ERANGE); /* nothing fits */
    qvr_buf_free(&b);
}

int main(void)
{
    test_csv_field();
    test_append_grow();
    test_cap();
    test_printf();
    test_binary();
    return T_DONE();
}
