/* Unit tests for lib/ethaddr.c: EIP-55's own examples, addresses of known
 * keys, and the parse rules of DESIGN.md 3.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/hex.h"

/* The four examples of EIP-55 (all-caps, all-lower and two normal). */
static const char *const eip55[] = {
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

static void lower(char *out, const char *in)
{
    size_t i;
    for (i = 0; in[i]; i++)
        out[i] = (in[i] >= 'A' && in[i] <= 'F') ? (char)(in[i] + 32) : in[i];
    out[i] = '\0';
}

static void upper_digits(char *out, const char *in)
{
    size_t i;
    for (i = 0; in[i]; i++)
        out[i] = (i >= 2 && in[i] >= 'a' && in[i] <= 'f') ? (char)(in[i] - 32)
                                                          : in[i];
    out[i] = '\0';
}

static void test_eip55_examples(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        struct ethaddr a, b;
        char text[ETHADDR_TEXT_SIZE];
        char lo[ETHADDR_TEXT_SIZE], up[ETHADDR_TEXT_SIZE];
        struct fault f;

        fault_clear(&f);
        assert_int_equal(ethaddr_parse(&a, eip55[i], strlen(eip55[i]), "a",
                                       &f), 0);
        ethaddr_to_text(text, &a);
        assert_string_equal(text, eip55[i]);
        /* All-lowercase and all-uppercase are accepted as well. */
        lower(lo, eip55[i]);
        assert_int_equal(ethaddr_parse(&b, lo, strlen(lo), "a", &f), 0);
        assert_true(ethaddr_equal(&a, &b));
        upper_digits(up, eip55[i]);
        assert_int_equal(ethaddr_parse(&b, up, strlen(up), "a", &f), 0);
        assert_true(ethaddr_equal(&a, &b));
        ethaddr_to_text(text, &b);
        assert_string_equal(text, eip55[i]);
    }
}

/* Flipping the case of any one letter breaks the checksum (unless the
 * result becomes all-lower or all-upper, which the rule accepts). */
static void test_bad_checksum(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        size_t len = strlen(eip55[i]);
        for (size_t k = 2; k < len; k++) {
            char t[ETHADDR_TEXT_SIZE];
            char lo[ETHADDR_TEXT_SIZE], up[ETHADDR_TEXT_SIZE];
            struct ethaddr a;
            struct fault f;
            int expect;

            memcpy(t, eip55[i], len + 1);
            if (t[k] >= 'a' && t[k] <= 'f')
                t[k] = (char)(t[k] - 32);
            else if (t[k] >= 'A' && t[k] <= 'F')
                t[k] = (char)(t[k] + 32);
            else
                continue;
            lower(lo, t);
            upper_digits(up, t);
            expect = (strcmp(lo, t) == 0 || strcmp(up, t) == 0) ? 0 : -1;
            fault_clear(&f);
            memset(&a, 0xaa, sizeof a);
            assert_int_equal(ethaddr_parse(&a, t, len, "worker", &f), expect);
            if (expect == -1) {
                assert_int_equal(f.kind, FAULT_INVALID);
                assert_string_equal(f.field, "worker");
                assert_non_null(strstr(f.detail, "checksum"));
                assert_true(ethaddr_is_zero(&a));
            }
        }
    }
}

static const struct {
    const char *text;
    const char *detail_has;
} bad_syntax[] = {
    {"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x"},
    {"0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x"},
    {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "hex digits"},
    {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00", "hex digits"},
    {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "offset 41"},
    {"0x 5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "offset 2"},
    {"0x", "hex digits"},
    {"", "0x"},
};

static void test_bad_syntax(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_syntax / sizeof *bad_syntax; i++) {
        struct ethaddr a;
        struct fault f;

        fault_clear(&f);
        memset(&a, 0xaa, sizeof a);
        assert_int_equal(ethaddr_parse(&a, bad_syntax[i].text,
                                       strlen(bad_syntax[i].text), "owner",
                                       &f), -1);
        assert_true(ethaddr_is_zero(&a));
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "owner");
        if (strstr(f.detail, bad_syntax[i].detail_has) == NULL)
            fail_msg("case %zu: detail \"%s\" lacks \"%s\"", i, f.detail,
                     bad_syntax[i].detail_has);
    }
}

/* Addresses of known private keys, from `cast wallet address`. */
static const struct {
    const char *key;
    const char *address;
} known_keys[] = {
    {"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
     "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"}, /* anvil account 0 */
    {"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
     "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}, /* anvil account 1 */
    {"0x0000000000000000000000000000000000000000000000000000000000000001",
     "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"},
    {"0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
     "0x80C0dbf239224071c59dD8970ab9d542E3414aB2"}, /* n - 1 */
};

static void test_from_pubkey(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof known_keys / sizeof *known_keys; i++) {
        uint8_t secret[32];
        struct ethkey k;
        struct ethaddr a;
        char text[ETHADDR_TEXT_SIZE];
        struct fault f;

        fault_clear(&f);
        assert_int_equal(hex_decode_0x(secret, 32, known_keys[i].key, 66,
                                       "k", &f), 0);
        assert_int_equal(ethkey_from_secret(&k, secret, &f), 0);
        assert_int_equal(ethaddr_from_pubkey(&a, &k.pub, &f), 0);
        ethaddr_to_text(text, &a);
        assert_string_equal(text, known_keys[i].address);
        assert_true(ethaddr_equal(&a, &k.addr));
        ethkey_wipe(&k);
    }
}

static void test_equal_and_zero(void **state)
{
    struct ethaddr a, b, z;
    char text[ETHADDR_TEXT_SIZE];

    (void)state;
    memset(&z, 0, sizeof z);
    assert_int_equal(ethaddr_parse(&a, eip55[0], 42, "a", NULL), 0);
    assert_int_equal(ethaddr_parse(&b, eip55[1], 42, "a", NULL), 0);
    assert_true(ethaddr_equal(&a, &a));
    assert_false(ethaddr_equal(&a, &b));
    assert_false(ethaddr_is_zero(&a));
    assert_true(ethaddr_is_zero(&z));
    ethaddr_to_text(text, &z);
    assert_string_equal(text, "0x0000000000000000000000000000000000000000");
    b = z;
    b.bytes[19] = 1;
    assert_false(ethaddr_is_zero(&b));
    b = z;
    b.bytes[0] = 0x80;
    assert_false(ethaddr_is_zero(&b));
    /* An address with no letters at all is its own checksum form. */
    assert_int_equal(ethaddr_parse(&a, text, 42, "a", NULL), 0);
    assert_true(ethaddr_is_zero(&a));
}

static void test_zeroed_pubkey(void **state)
{
    secp256k1_pubkey bad;
    struct ethaddr a;
    struct fault f;

    (void)state;
    /* A zeroed key is not a key: refused (logged), not an abort. */
    memset(&bad, 0, sizeof bad);
    memset(&a, 0xaa, sizeof a);
    fault_clear(&f);
    assert_int_equal(ethaddr_from_pubkey(&a, &bad, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    assert_true(ethaddr_is_zero(&a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eip55_examples),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_bad_syntax),
        cmocka_unit_test(test_from_pubkey),
        cmocka_unit_test(test_equal_and_zero),
        cmocka_unit_test(test_zeroed_pubkey),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
