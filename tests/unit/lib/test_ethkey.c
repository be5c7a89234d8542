/* Unit tests for lib/ethkey.c: loading, generating, wiping, and public key
 * encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ethkey.h"
#include "lib/hex.h"

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

/* Private keys that are not keys: 0, n, n + 1, 2^256 - 1. */
static const char *const bad_secrets[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};

static void test_refuses_bad_secrets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_secrets / sizeof *bad_secrets; i++) {
        uint8_t secret[32];
        struct ethkey k;
        struct fault f;

        assert_int_equal(hex_decode(secret, 32, bad_secrets[i], 64, "k",
                                    NULL), 0);
        memset(&k, 0xaa, sizeof k);
        fault_clear(&f);
        assert_int_equal(ethkey_from_secret(&k, secret, &f), -1);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_true(all_zero(&k, sizeof k));
    }
}

static void test_known_public_key(void **state)
{
    uint8_t secret[32] = {0};
    struct ethkey k;
    uint8_t c[33];
    uint8_t want[33];
    secp256k1_pubkey back;
    uint8_t c2[33];

    (void)state;
    /* 1 * G: the generator's compressed form. */
    secret[31] = 1;
    assert_int_equal(ethkey_from_secret(&k, secret, NULL), 0);
    assert_int_equal(ethkey_pubkey_serialize(c, &k.pub), 0);
    assert_int_equal(hex_decode(want, 33,
                                "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dc"
                                "e28d959f2815b16f81798", 66, "g", NULL), 0);
    assert_memory_equal(c, want, 33);
    assert_int_equal(ethkey_pubkey_parse(&back, c, 33, NULL), 0);
    assert_int_equal(ethkey_pubkey_serialize(c2, &back), 0);
    assert_memory_equal(c2, want, 33);
    ethkey_wipe(&k);
    assert_true(all_zero(&k, sizeof k));
    ethkey_wipe(NULL);
}

static void test_pubkey_parse(void **state)
{
    uint8_t g65[65];
    uint8_t buf[65];
    secp256k1_pubkey pub;
    uint8_t c[33];
    struct fault f;

    (void)state;
    assert_int_equal(hex_decode(g65, 65,
                                "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dc"
                                "e28d959f2815b16f81798483ada7726a3c4655da4fbfc"
                                "0e1108a8fd17b448a68554199c47d08ffb10d4b8", 130,
                                "g", NULL), 0);
    /* Uncompressed is accepted and serializes compressed. */
    assert_int_equal(ethkey_pubkey_parse(&pub, g65, 65, NULL), 0);
    assert_int_equal(ethkey_pubkey_serialize(c, &pub), 0);
    assert_int_equal(c[0], 0x02);
    assert_memory_equal(c + 1, g65 + 1, 32);

    /* Wrong lengths, wrong tags, points off the curve. */
    fault_clear(&f);
    memset(&pub, 0xaa, sizeof pub);
    assert_int_equal(ethkey_pubkey_parse(&pub, g65, 64, &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_true(all_zero(&pub, sizeof pub));
    assert_int_equal(ethkey_pubkey_parse(&pub, g65, 0, &f), -1);
    assert_int_equal(ethkey_pubkey_parse(&pub, c, 32, &f), -1);
    memcpy(buf, c, 33);
    buf[0] = 0x04;
    assert_int_equal(ethkey_pubkey_parse(&pub, buf, 33, &f), -1);
    buf[0] = 0x05;
    assert_int_equal(ethkey_pubkey_parse(&pub, buf, 33, &f), -1);
    memcpy(buf, g65, 65);
    buf[64] ^= 1; /* y no longer matches x */
    assert_int_equal(ethkey_pubkey_parse(&pub, buf, 65, &f), -1);
    memset(buf, 0, 33);
    buf[0] = 0x02; /* x = 0: not on the curve */
    assert_int_equal(ethkey_pubkey_parse(&pub, buf, 33, &f), -1);
    memset(buf + 1, 0xff, 32); /* x >= p */
    assert_int_equal(ethkey_pubkey_parse(&pub, buf, 33, &f), -1);
    assert_true(all_zero(&pub, sizeof pub));
}

static void test_generate(void **state)
{
    struct ethkey a, b, again;
    uint8_t ca[33], cb[33];

    (void)state;
    assert_int_equal(ethkey_generate(&a, NULL), 0);
    assert_int_equal(ethkey_generate(&b, NULL), 0);
    assert_memory_not_equal(a.secret, b.secret, 32);
    assert_false(ethaddr_equal(&a.addr, &b.addr));
    assert_int_equal(ethkey_from_secret(&again, a.secret, NULL), 0);
    assert_true(ethaddr_equal(&a.addr, &again.addr));
    assert_int_equal(ethkey_pubkey_serialize(ca, &a.pub), 0);
    assert_int_equal(ethkey_pubkey_serialize(cb, &again.pub), 0);
    assert_memory_equal(ca, cb, 33);
    /* Reloading a key from its own secret field works. */
    assert_int_equal(ethkey_from_secret(&again, again.secret, NULL), 0);
    assert_true(ethaddr_equal(&a.addr, &again.addr));
    ethkey_wipe(&a);
    ethkey_wipe(&b);
    ethkey_wipe(&again);
}

static void test_zeroed_pubkey_serialize(void **state)
{
    secp256k1_pubkey bad;
    uint8_t c[33];

    (void)state;
    memset(&bad, 0, sizeof bad);
    memset(c, 0xaa, sizeof c);
    assert_int_equal(ethkey_pubkey_serialize(c, &bad), -1);
    assert_true(all_zero(c, sizeof c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_bad_secrets),
        cmocka_unit_test(test_known_public_key),
        cmocka_unit_test(test_pubkey_parse),
        cmocka_unit_test(test_generate),
        cmocka_unit_test(test_zeroed_pubkey_serialize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
