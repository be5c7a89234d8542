/* Unit tests for lib/hex.c: encoding, strict decoding, and misuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/hex.h"

static void test_encode(void **state)
{
    static const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef,
                                 0xff};
    char out[2 * sizeof in + 3];

    (void)state;
    assert_int_equal(hex_encode(out, sizeof out, in, sizeof in), 0);
    assert_string_equal(out, "00017f80abcdefff");
    assert_int_equal(hex_encode_0x(out, sizeof out, in, sizeof in), 0);
    assert_string_equal(out, "0x00017f80abcdefff");
    /* Empty input. */
    assert_int_equal(hex_encode(out, 1, NULL, 0), 0);
    assert_string_equal(out, "");
    assert_int_equal(hex_encode_0x(out, 3, NULL, 0), 0);
    assert_string_equal(out, "0x");
}

static void test_encode_all_bytes(void **state)
{
    uint8_t in[256];
    char out[2 * 256 + 1];
    uint8_t back[256];

    (void)state;
    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)i;
    assert_int_equal(hex_encode(out, sizeof out, in, sizeof in), 0);
    assert_memory_equal(out, "000102", 6);
    assert_memory_equal(out + 2 * 0xfe, "feff", 5);
    assert_int_equal(hex_decode(back, sizeof back, out, 512, "x", NULL), 0);
    assert_memory_equal(back, in, sizeof in);
}

static void test_encode_too_small(void **state)
{
    static const uint8_t in[] = {1, 2, 3};
    char out[16];

    (void)state;
    memset(out, 'Z', sizeof out);
    assert_int_equal(hex_encode(out, 6, in, 3), -1); /* needs 7 */
    assert_string_equal(out, "");
    memset(out, 'Z', sizeof out);
    assert_int_equal(hex_encode_0x(out, 8, in, 3), -1); /* needs 9 */
    assert_string_equal(out, "");
    /* outcap 0: nothing may be written. */
    memset(out, 'Z', sizeof out);
    assert_int_equal(hex_encode(out, 0, in, 3), -1);
    assert_int_equal(out[0], 'Z');
    assert_int_equal(hex_encode_0x(out, 2, NULL, 0), -1);
    assert_string_equal(out, "");
    assert_int_equal(hex_encode(out, 7, in, 3), 0);
    assert_int_equal(hex_encode_0x(out, 9, in, 3), 0);
    assert_string_equal(out, "0x010203");
}

static void test_decode_either_case(void **state)
{
    uint8_t out[4];
    struct fault f;

    (void)state;
    fault_clear(&f);
    assert_int_equal(hex_decode(out, 4, "DeadBEEF", 8, "x", &f), 0);
    assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
    assert_int_equal(hex_decode_0x(out, 4, "0xdeadbeef", 10, "x", &f), 0);
    assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
    assert_int_equal(hex_decode_0x(out, 4, "0xDEADBEEF", 10, "x", &f), 0);
    assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
    assert_int_equal(f.kind, FAULT_NONE);
}

/* Cases of hex_decode_0x for a 4-byte output. */
struct hex_case {
    const char *in;
    int ok;
    const char *detail_has; /* a piece of the fault detail */
};

static const struct hex_case hex_fixed_cases[] = {
    {"0x01020304", 1, NULL},
    {"01020304", 0, "0x"},            /* missing prefix */
    {"0X01020304", 0, "0x"},          /* uppercase prefix */
    {"0x0x01020304", 0, "hex digits"}, /* prefix twice: wrong length */
    {"0x010203", 0, "hex digits"},    /* too short */
    {"0x0102030405", 0, "hex digits"}, /* too long */
    {"0x0102030", 0, "hex digits"},   /* odd */
    {"0x0102030g", 0, "offset 9"},    /* bad digit, by position */
    {"0xg1020304", 0, "offset 2"},
    {"0x 1020304", 0, "offset 2"},    /* whitespace */
    {"0x01020304 ", 0, "hex digits"}, /* trailing space: length */
    {" 0x01020304", 0, "0x"},
    {"0x", 0, "hex digits"},
    {"", 0, "0x"},
    {"0", 0, "0x"},
    {"x0", 0, "0x"},
    {"0x-1020304", 0, "offset 2"},
};

static void test_decode_0x_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof hex_fixed_cases / sizeof *hex_fixed_cases;
         i++) {
        const struct hex_case *c = &hex_fixed_cases[i];
        uint8_t out[4];
        struct fault f;
        int rv;

        memset(out, 0xaa, sizeof out);
        fault_clear(&f);
        rv = hex_decode_0x(out, sizeof out, c->in, strlen(c->in), "id", &f);
        if (c->ok) {
            assert_int_equal(rv, 0);
            assert_memory_equal(out, "\x01\x02\x03\x04", 4);
        } else {
            if (rv != -1)
                fail_msg("case %zu (%s) was accepted", i, c->in);
            assert_memory_equal(out, "\0\0\0\0", 4); /* cleared */
            assert_int_equal(f.kind, FAULT_INVALID);
            assert_string_equal(f.field, "id");
            if (strstr(f.detail, c->detail_has) == NULL)
                fail_msg("case %zu (%s): detail \"%s\" lacks \"%s\"", i,
                         c->in, f.detail, c->detail_has);
        }
    }
}

static void test_decode_bare(void **state)
{
    uint8_t out[2];
    struct fault f;

    (void)state;
    fault_clear(&f);
    assert_int_equal(hex_decode(out, 2, "0aF0", 4, "object_id", &f), 0);
    assert_memory_equal(out, "\x0a\xf0", 2);
    assert_int_equal(hex_decode(out, 2, "0x0a", 4, "object_id", &f), -1);
    assert_string_equal(f.field, "object_id");
    assert_non_null(strstr(f.detail, "offset 1"));
    assert_memory_equal(out, "\0\0", 2);
    assert_int_equal(hex_decode(out, 2, "0a0", 3, "object_id", &f), -1);
    assert_int_equal(hex_decode(out, 2, "0a0f0", 5, "object_id", &f), -1);
    /* A NUL inside the given length is a bad character, not an end. */
    assert_int_equal(hex_decode(out, 2, "0a\0f", 4, "object_id", &f), -1);
    assert_non_null(strstr(f.detail, "offset 2"));
    /* Every byte that is not a digit is refused. */
    for (int c = 0; c < 256; c++) {
        char in[2] = {'0', (char)c};
        int digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                    (c >= 'A' && c <= 'F');
        uint8_t one;
        assert_int_equal(hex_decode(&one, 1, in, 2, "x", NULL),
                         digit ? 0 : -1);
    }
    /* Zero-length output: only the empty text. */
    assert_int_equal(hex_decode(out, 0, "", 0, "x", &f), 0);
    assert_int_equal(hex_decode(out, 0, "00", 2, "x", &f), -1);
}

static void test_decode_var(void **state)
{
    uint8_t out[4];
    size_t n = 99;
    struct fault f;

    (void)state;
    fault_clear(&f);
    assert_int_equal(hex_decode_0x_var(out, 4, &n, "0x", 2, "b", &f), 0);
    assert_int_equal(n, 0);
    assert_int_equal(hex_decode_0x_var(out, 4, &n, "0xAbCd", 6, "b", &f), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "\xab\xcd", 2);
    assert_int_equal(hex_decode_0x_var(out, 4, &n, "0x01020304", 10, "b", &f),
                     0);
    assert_int_equal(n, 4);

    n = 99;
    memset(out, 0xaa, sizeof out);
    assert_int_equal(
        hex_decode_0x_var(out, 4, &n, "0x0102030405", 12, "b", &f), -1);
    assert_int_equal(n, 0);
    assert_memory_equal(out, "\0\0\0\0", 4);
    assert_non_null(strstr(f.detail, "more than"));

    n = 99;
    assert_int_equal(hex_decode_0x_var(out, 4, &n, "0x123", 5, "b", &f), -1);
    assert_int_equal(n, 0);
    assert_non_null(strstr(f.detail, "odd"));
    assert_int_equal(hex_decode_0x_var(out, 4, &n, "12", 2, "b", &f), -1);
    assert_non_null(strstr(f.detail, "0x"));
    assert_int_equal(hex_decode_0x_var(out, 4, &n, "", 0, "b", &f), -1);
    assert_int_equal(hex_decode_0x_var(out, 4, &n, "0", 1, "b", &f), -1);
    assert_int_equal(hex_decode_0x_var(out, 4, &n, "0x12zz", 6, "b", &f),
                     -1);
    assert_non_null(strstr(f.detail, "offset 4"));
    assert_string_equal(f.field, "b");
    assert_int_equal(f.kind, FAULT_INVALID);
    /* outcap 0 takes only "0x". */
    assert_int_equal(hex_decode_0x_var(NULL, 0, &n, "0x", 2, "b", &f), 0);
    assert_int_equal(hex_decode_0x_var(out, 0, &n, "0x00", 4, "b", &f), -1);
}

static void test_round_trip_lengths(void **state)
{
    uint8_t in[300];
    uint8_t back[300];
    char text[2 * 300 + 3];

    (void)state;
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof in; len += 7) {
        size_t n = 0;
        assert_int_equal(hex_encode_0x(text, sizeof text, in, len), 0);
        assert_int_equal(strlen(text), 2 * len + 2);
        assert_int_equal(hex_decode_0x(back, len, text, 2 * len + 2, "x",
                                       NULL), 0);
        assert_memory_equal(back, in, len);
        assert_int_equal(hex_decode_0x_var(back, sizeof back, &n, text,
                                           2 * len + 2, "x", NULL), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_encode_all_bytes),
        cmocka_unit_test(test_encode_too_small),
        cmocka_unit_test(test_decode_either_case),
        cmocka_unit_test(test_decode_0x_table),
        cmocka_unit_test(test_decode_bare),
        cmocka_unit_test(test_decode_var),
        cmocka_unit_test(test_round_trip_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
