/* Unit tests for lib/hkdf.c: RFC 5869's SHA-256 cases and a few more
 * computed independently (Python's hmac module). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/hex.h"
#include "lib/hkdf.h"

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    assert_int_equal(hex_decode(out, n, hex, strlen(hex), "v", NULL), 0);
    return n;
}

static void fill_range(uint8_t *p, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(first + i);
}

static void test_rfc5869_case1(void **state)
{
    uint8_t ikm[22], salt[13], info[10], okm[42], want[42];
    struct fault f;

    (void)state;
    memset(ikm, 0x0b, sizeof ikm);
    fill_range(salt, sizeof salt, 0x00);
    fill_range(info, sizeof info, 0xf0);
    unhex(want, sizeof want,
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
          "34007208d5b887185865");
    fault_clear(&f);
    assert_int_equal(hkdf_sha256(okm, sizeof okm, ikm, sizeof ikm, salt,
                                 sizeof salt, info, sizeof info, &f), 0);
    assert_memory_equal(okm, want, sizeof okm);
    /* A shorter output is a prefix of the longer one. */
    assert_int_equal(hkdf_sha256(okm, 32, ikm, sizeof ikm, salt, sizeof salt,
                                 info, sizeof info, &f), 0);
    assert_memory_equal(okm, want, 32);
}

static void test_rfc5869_case2(void **state)
{
    uint8_t ikm[80], salt[80], info[80], okm[82], want[82];

    (void)state;
    fill_range(ikm, sizeof ikm, 0x00);
    fill_range(salt, sizeof salt, 0x60);
    fill_range(info, sizeof info, 0xb0);
    unhex(want, sizeof want,
          "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
          "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
          "cc30c58179ec3e87c14c01d5c1f3434f1d87");
    assert_int_equal(hkdf_sha256(okm, sizeof okm, ikm, sizeof ikm, salt,
                                 sizeof salt, info, sizeof info, NULL), 0);
    assert_memory_equal(okm, want, sizeof okm);
}

static void test_rfc5869_case3(void **state)
{
    uint8_t ikm[22], okm[42], want[42], zeros[32];

    (void)state;
    memset(ikm, 0x0b, sizeof ikm);
    memset(zeros, 0, sizeof zeros);
    unhex(want, sizeof want,
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
          "9d201395faa4b61a96c8");
    /* Empty salt and info, given as NULL... */
    assert_int_equal(hkdf_sha256(okm, sizeof okm, ikm, sizeof ikm, NULL, 0,
                                 NULL, 0, NULL), 0);
    assert_memory_equal(okm, want, sizeof okm);
    /* ...or as zero-length buffers; and 32 zero bytes is the same salt. */
    assert_int_equal(hkdf_sha256(okm, sizeof okm, ikm, sizeof ikm, zeros, 0,
                                 zeros, 0, NULL), 0);
    assert_memory_equal(okm, want, sizeof okm);
    assert_int_equal(hkdf_sha256(okm, sizeof okm, ikm, sizeof ikm, zeros, 32,
                                 NULL, 0, NULL), 0);
    assert_memory_equal(okm, want, sizeof okm);
}

/* Computed with Python's hmac (RFC 5869 written out by hand). */
static void test_more_vectors(void **state)
{
    uint8_t okm[HKDF_SHA256_MAX_OUT];
    uint8_t want[32];
    uint8_t key[32];
    uint8_t *info;

    (void)state;
    /* Empty input key material. */
    unhex(want, sizeof want,
          "7aac7b8120501c2c8e1ee50e6cde135361e99ceb9d8d406ac528b9e9175614c0");
    assert_int_equal(hkdf_sha256(okm, 32, NULL, 0, (const uint8_t *)"salt", 4,
                                 (const uint8_t *)"info", 4, NULL), 0);
    assert_memory_equal(okm, want, 32);
    /* The longest output: its last block. */
    memset(key, 'k', sizeof key);
    unhex(want, sizeof want,
          "d1bf8f99bfa76f317717dc4fc90ace9059621badf557f60e37e2b2ebbde773b7");
    assert_int_equal(hkdf_sha256(okm, HKDF_SHA256_MAX_OUT, key, sizeof key,
                                 (const uint8_t *)"s", 1,
                                 (const uint8_t *)"i", 1, NULL), 0);
    assert_memory_equal(okm + HKDF_SHA256_MAX_OUT - 32, want, 32);
    /* A long info (1500 bytes). */
    info = malloc(1500);
    assert_non_null(info);
    memset(info, 'i', 1500);
    unhex(want, sizeof want,
          "293f545daca738d8ed6384aece4b95659c98c695c149c1345bff81afc7e19250");
    assert_int_equal(hkdf_sha256(okm, 32, key, sizeof key,
                                 (const uint8_t *)"s", 1, info, 1500, NULL),
                     0);
    assert_memory_equal(okm, want, 32);
    free(info);
}

static void test_bad_lengths(void **state)
{
    uint8_t okm[HKDF_SHA256_MAX_OUT + 1];
    struct fault f;

    (void)state;
    memset(okm, 0xaa, sizeof okm);
    fault_clear(&f);
    assert_int_equal(hkdf_sha256(okm, 0, (const uint8_t *)"k", 1, NULL, 0,
                                 NULL, 0, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    assert_int_equal(okm[0], 0xaa); /* zero bytes: nothing touched */
    fault_clear(&f);
    assert_int_equal(hkdf_sha256(okm, sizeof okm, (const uint8_t *)"k", 1,
                                 NULL, 0, NULL, 0, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    for (size_t i = 0; i < sizeof okm; i++)
        assert_int_equal(okm[i], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5869_case1),
        cmocka_unit_test(test_rfc5869_case2),
        cmocka_unit_test(test_rfc5869_case3),
        cmocka_unit_test(test_more_vectors),
        cmocka_unit_test(test_bad_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
