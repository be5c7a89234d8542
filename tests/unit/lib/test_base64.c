/* Unit tests for lib/base64.c: RFC 4648 vectors and strict decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/base64.h"

/* RFC 4648 section 10. */
static const struct {
    const char *plain;
    const char *text;
} rfc4648[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
    {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void test_rfc4648(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rfc4648 / sizeof *rfc4648; i++) {
        const char *plain = rfc4648[i].plain;
        const char *text = rfc4648[i].text;
        char enc[16];
        uint8_t dec[16];
        size_t n = 99;
        struct fault f;

        fault_clear(&f);
        assert_int_equal(base64_encoded_len(strlen(plain)), strlen(text));
        assert_int_equal(base64_encode(enc, sizeof enc,
                                       (const uint8_t *)plain,
                                       strlen(plain)), 0);
        assert_string_equal(enc, text);
        assert_true(base64_decoded_max(strlen(text)) >= strlen(plain));
        assert_int_equal(base64_decode(dec, sizeof dec, &n, text,
                                       strlen(text), "c", &f), 0);
        assert_int_equal(n, strlen(plain));
        assert_memory_equal(dec, plain, n);
    }
}

static void test_all_bytes_round_trip(void **state)
{
    uint8_t in[256];
    uint8_t back[256];
    char text[400];

    (void)state;
    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)(255 - i);
    for (size_t len = 0; len <= sizeof in; len++) {
        size_t n = 0;
        assert_int_equal(base64_encode(text, sizeof text, in, len), 0);
        assert_int_equal(strlen(text), base64_encoded_len(len));
        assert_int_equal(base64_decode(back, len, &n, text, strlen(text),
                                       "c", NULL), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }
    /* The whole alphabet, both ends. */
    {
        static const uint8_t ones[3] = {0xfb, 0xff, 0xbf};
        static const uint8_t zero3[3] = {0, 0, 0};
        assert_int_equal(base64_encode(text, sizeof text, ones, 3), 0);
        assert_string_equal(text, "+/+/");
        assert_int_equal(base64_encode(text, sizeof text, zero3, 3), 0);
        assert_string_equal(text, "AAAA");
    }
}

static void test_encode_too_small(void **state)
{
    char out[8];

    (void)state;
    memset(out, 'Z', sizeof out);
    assert_int_equal(base64_encode(out, 4, (const uint8_t *)"foo", 3), -1);
    assert_string_equal(out, "");
    memset(out, 'Z', sizeof out);
    assert_int_equal(base64_encode(out, 0, (const uint8_t *)"foo", 3), -1);
    assert_int_equal(out[0], 'Z');
    assert_int_equal(base64_encode(out, 5, (const uint8_t *)"foo", 3), 0);
    assert_string_equal(out, "Zm9v");
    assert_int_equal(base64_encode(out, 1, NULL, 0), 0);
    assert_string_equal(out, "");
}

/* Texts that must be refused, with a piece of the detail. */
static const struct {
    const char *text;
    const char *detail_has;
} bad_texts[] = {
    {"Zg", "multiple of 4"},       /* missing padding */
    {"Zm8", "multiple of 4"},
    {"Zg=", "multiple of 4"},
    {"Zm9vY", "multiple of 4"},
    {"Zh==", "canonical"},         /* trailing bits of 'h' not zero */
    {"Zm9=", "canonical"},         /* trailing bits of '9' not zero */
    {"Zm/=", "canonical"},
    {"Zg==Zg==", "padding"},       /* padding in the middle */
    {"Zm9v====", "padding"},
    {"Z===", "padding"},
    {"====", "padding"},
    {"=Zm9", "padding"},
    {"Zm=v", "padding"},
    {"Zm9v\n", "multiple of 4"},   /* whitespace */
    {"Zm9v\nZm9v", "multiple of 4"},
    {"Zm9v Zm9", "offset 4"},
    {" Zm9", "offset 0"},
    {"Zm9\t", "offset 3"},
    {"Zm9vYmFy\r\n", "multiple of 4"},
    {"-_-_", "offset 0"},          /* URL-safe alphabet */
    {"Zm9v-A==", "offset 4"},
    {"Zm9vZ_==", "offset 5"},
    {"Zm9v\x80\x80\x80\x80", "offset 4"},
    {"Zm.v", "offset 2"},
};

static void test_strict_decoding(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_texts / sizeof *bad_texts; i++) {
        uint8_t out[16];
        size_t n = 99;
        struct fault f;

        memset(out, 0xaa, sizeof out);
        fault_clear(&f);
        if (base64_decode(out, sizeof out, &n, bad_texts[i].text,
                          strlen(bad_texts[i].text), "keys.ciphertext",
                          &f) != -1)
            fail_msg("case %zu (%s) was accepted", i, bad_texts[i].text);
        assert_int_equal(n, 0);
        for (size_t k = 0; k < sizeof out; k++)
            assert_int_equal(out[k], 0);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "keys.ciphertext");
        if (strstr(f.detail, bad_texts[i].detail_has) == NULL)
            fail_msg("case %zu (%s): detail \"%s\" lacks \"%s\"", i,
                     bad_texts[i].text, f.detail, bad_texts[i].detail_has);
    }
}

/* Of the four texts "Zg==" .. "Zv==" only the one with zero low bits is
 * the encoding of "f"; likewise for one pad. */
static void test_canonical_bits(void **state)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    (void)state;
    for (int d = 0; d < 64; d++) {
        char two[5] = {'Z', alphabet[d], '=', '=', 0};
        char one[5] = {'Z', 'm', alphabet[d], '=', 0};
        uint8_t out[3];
        size_t n;
        assert_int_equal(base64_decode(out, 3, &n, two, 4, "c", NULL),
                         (d & 0x0f) == 0 ? 0 : -1);
        assert_int_equal(base64_decode(out, 3, &n, one, 4, "c", NULL),
                         (d & 0x03) == 0 ? 0 : -1);
    }
}

static void test_outcap(void **state)
{
    uint8_t out[6];
    size_t n = 99;
    struct fault f;

    (void)state;
    fault_clear(&f);
    /* "foobar" needs 6; "foob" needs 4 though its text is 8 long. */
    assert_int_equal(base64_decode(out, 5, &n, "Zm9vYmFy", 8, "c", &f), -1);
    assert_int_equal(n, 0);
    assert_non_null(strstr(f.detail, "more than"));
    assert_int_equal(base64_decode(out, 4, &n, "Zm9vYg==", 8, "c", &f), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "foob", 4);
    assert_int_equal(base64_decode(out, 3, &n, "Zm9vYg==", 8, "c", &f), -1);
    assert_int_equal(base64_decode(NULL, 0, &n, "", 0, "c", &f), 0);
    assert_int_equal(n, 0);
}

static void test_large(void **state)
{
    size_t len = 3 * 1000 * 1000 + 1;
    uint8_t *in = malloc(len);
    uint8_t *back = malloc(len);
    char *text = malloc(base64_encoded_len(len) + 1);
    size_t n = 0;

    (void)state;
    assert_non_null(in);
    assert_non_null(back);
    assert_non_null(text);
    for (size_t i = 0; i < len; i++)
        in[i] = (uint8_t)(i * 131 + (i >> 9));
    assert_int_equal(base64_encode(text, base64_encoded_len(len) + 1, in,
                                   len), 0);
    assert_int_equal(base64_decode(back, len, &n, text,
                                   base64_encoded_len(len), "c", NULL), 0);
    assert_int_equal(n, len);
    assert_memory_equal(back, in, len);
    free(in);
    free(back);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648),
        cmocka_unit_test(test_all_bytes_round_trip),
        cmocka_unit_test(test_encode_too_small),
        cmocka_unit_test(test_strict_decoding),
        cmocka_unit_test(test_canonical_bits),
        cmocka_unit_test(test_outcap),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
