/* Unit tests for lib/ethsig.c: personal_sign signatures made by Foundry's
 * `cast wallet sign` (1.7.1) reproduced byte for byte, recovery, and the
 * strict refusals of DESIGN.md 3.1 (high s, zero or overflowing r and s,
 * bad v). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/ethsig.h"
#include "lib/hex.h"
#include "lib/keccak.h"
#include "lib/random.h"

#define ANVIL0 "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define ANVIL0_ADDR "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define KEY_ONE "0x0000000000000000000000000000000000000000000000000000000000000001"
#define KEY_N_1 "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"
#define FOX5                                                                  \
    "The quick brown fox jumps over the lazy dog. "                           \
    "The quick brown fox jumps over the lazy dog. "                           \
    "The quick brown fox jumps over the lazy dog. "                           \
    "The quick brown fox jumps over the lazy dog. "                           \
    "The quick brown fox jumps over the lazy dog. "

static const uint8_t curve_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
    0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};

/* `cast wallet sign --private-key <key> "<message>"`. */
static const struct {
    const char *key;
    const char *message;
    const char *address;
    const char *signature;
} personal[] = {
    {ANVIL0, "hello", ANVIL0_ADDR,
     "0xf16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c"
     "48ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f94504311c"},
    {ANVIL0, "", ANVIL0_ADDR,
     "0xc1977b761f1dd36c29795783460d241885c8e7f9d962dbe7bba2753fd94e89b444a1"
     "cd9ed855dd09afa3b73f7c2bd097ec9abc2d2775d737505a02d3f0cafa591b"},
    {ANVIL0, "abc", ANVIL0_ADDR,
     "0x39864431fe04d0268abfc2626468a4971c440d45fb6ae6f62e1f791101c4b5914caa"
     "00c0a20f3251901d39b58ab81c46cec05c940926fca6440b6b4705025c731b"},
    {ANVIL0, FOX5, ANVIL0_ADDR, /* 225 bytes: more than one Keccak block */
     "0x09f05dd7a888a6fefaffb6f4d435cc196ffe5765fe2a94b2be14bb3fd7f46fa920b4"
     "b9875c6d75b71455a0ab0e3bcb7854ab827aae4c14337d60e7cc1d5ee8751c"},
    {KEY_ONE, "hello", "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
     "0xe5ddc160e4c8f92de507c7db9b982d4f9b7197bfa421864aeadc586bc96b09ae0ba0"
     "c5b131650ae4994cff1839341d00f3735ef5abc62ac8fe2cf50f65208e2a1b"},
    {KEY_N_1, "hello", "0x80C0dbf239224071c59dD8970ab9d542E3414aB2",
     "0x8648246ef6426fcf581e12142a8ca3ff42ba15e5c01c8e64c184aa2a12883df24cca"
     "e02753833791cdf68e695fbfbc50f1a812f2485e735286d530bfdea9e47e1b"},
};

static void load_key(struct ethkey *k, const char *hex)
{
    uint8_t secret[32];
    assert_int_equal(hex_decode_0x(secret, 32, hex, 66, "k", NULL), 0);
    assert_int_equal(ethkey_from_secret(k, secret, NULL), 0);
}

static void parse_sig(uint8_t sig[ETHSIG_LEN], const char *text)
{
    assert_int_equal(ethsig_parse(sig, text, strlen(text), "sig", NULL), 0);
}

static void test_sign_personal_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof personal / sizeof *personal; i++) {
        struct ethkey k;
        uint8_t sig[ETHSIG_LEN];
        char text[ETHSIG_TEXT_SIZE];
        char addr[ETHADDR_TEXT_SIZE];
        struct fault f;

        fault_clear(&f);
        load_key(&k, personal[i].key);
        ethaddr_to_text(addr, &k.addr);
        assert_string_equal(addr, personal[i].address);
        assert_int_equal(ethsig_sign_personal(sig, &k,
                                              (const uint8_t *)personal[i].message,
                                              strlen(personal[i].message), &f),
                         0);
        ethsig_to_text(text, sig);
        if (strcmp(text, personal[i].signature) != 0)
            fail_msg("vector %zu: got %s", i, text);
        ethkey_wipe(&k);
    }
}

static void test_recover_personal_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof personal / sizeof *personal; i++) {
        uint8_t sig[ETHSIG_LEN];
        secp256k1_pubkey pub;
        struct ethaddr a, b;
        char addr[ETHADDR_TEXT_SIZE];
        struct fault f;

        fault_clear(&f);
        parse_sig(sig, personal[i].signature);
        assert_int_equal(ethsig_recover_personal(&pub, &a, sig,
                                                 (const uint8_t *)personal[i].message,
                                                 strlen(personal[i].message),
                                                 &f), 0);
        ethaddr_to_text(addr, &a);
        assert_string_equal(addr, personal[i].address);
        assert_int_equal(ethaddr_from_pubkey(&b, &pub, NULL), 0);
        assert_true(ethaddr_equal(&a, &b));
        /* Only the address wanted. */
        assert_int_equal(ethsig_recover_personal(NULL, &b, sig,
                                                 (const uint8_t *)personal[i].message,
                                                 strlen(personal[i].message),
                                                 &f), 0);
        assert_true(ethaddr_equal(&a, &b));
    }
}

/* The EIP-191 hash itself: keccak256("\x19Ethereum Signed Message:\n5hello"). */
static void test_personal_hash(void **state)
{
    static const char prefixed[] = "\x19" "Ethereum Signed Message:\n" "5hello";
    uint8_t a[32], b[32];

    (void)state;
    ethsig_personal_hash(a, (const uint8_t *)"hello", 5);
    keccak256(b, (const uint8_t *)prefixed, sizeof prefixed - 1);
    assert_memory_equal(a, b, 32);
    /* The length is decimal with no padding: 225 bytes -> "225". */
    {
        static const char p225[] = "\x19" "Ethereum Signed Message:\n" "225" FOX5;
        ethsig_personal_hash(a, (const uint8_t *)FOX5, 225);
        keccak256(b, (const uint8_t *)p225, sizeof p225 - 1);
        assert_memory_equal(a, b, 32);
    }
    ethsig_personal_hash(a, NULL, 0);
}

/* `cast wallet sign --no-hash --private-key <anvil0> <keccak256("abc")>`. */
static void test_sign_hash_vector(void **state)
{
    uint8_t hash[32];
    uint8_t sig[ETHSIG_LEN];
    char text[ETHSIG_TEXT_SIZE];
    struct ethkey k;
    struct ethaddr a;
    char addr[ETHADDR_TEXT_SIZE];

    (void)state;
    load_key(&k, ANVIL0);
    keccak256(hash, (const uint8_t *)"abc", 3);
    assert_int_equal(ethsig_sign_hash(sig, &k, hash, NULL), 0);
    ethsig_to_text(text, sig);
    assert_string_equal(text,
                        "0x5a2641cf507781b764362193efa1f85828ab177d2f87e4f66a"
                        "04106c7d6fa5c17a0feb0d2a05d944de58ded60738d60c8c2dc21"
                        "e6feaf10a99a492687232148f1c");
    assert_int_equal(ethsig_recover_hash(NULL, &a, sig, hash, NULL), 0);
    ethaddr_to_text(addr, &a);
    assert_string_equal(addr, ANVIL0_ADDR);
    ethkey_wipe(&k);
}

/* out = n - in, big-endian. */
static void n_minus(uint8_t out[32], const uint8_t in[32])
{
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = curve_n[i] - in[i] - borrow;
        borrow = d < 0;
        out[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

static void expect_refused(const uint8_t sig[ETHSIG_LEN], const char *msg,
                           const char *detail_has)
{
    secp256k1_pubkey pub;
    struct ethaddr a;
    struct fault f;
    uint8_t zero[sizeof pub];

    memset(zero, 0, sizeof zero);
    memset(&pub, 0xaa, sizeof pub);
    memset(&a, 0xaa, sizeof a);
    fault_clear(&f);
    assert_int_equal(ethsig_recover_personal(&pub, &a, sig,
                                             (const uint8_t *)msg,
                                             strlen(msg), &f), -1);
    assert_int_equal(f.kind, FAULT_UNAUTHORIZED);
    assert_string_equal(f.field, "X-Sluice-Signature");
    if (detail_has != NULL && strstr(f.detail, detail_has) == NULL)
        fail_msg("detail \"%s\" lacks \"%s\"", f.detail, detail_has);
    assert_memory_equal(&pub, zero, sizeof pub);
    assert_true(ethaddr_is_zero(&a));
}

static void test_high_s_refused(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof personal / sizeof *personal; i++) {
        uint8_t sig[ETHSIG_LEN];
        uint8_t twin[ETHSIG_LEN];

        parse_sig(sig, personal[i].signature);
        /* (r, n - s) with the other recovery id is the same signature to
         * plain ECDSA; we refuse it. */
        memcpy(twin, sig, ETHSIG_LEN);
        n_minus(twin + 32, sig + 32);
        twin[64] = sig[64] == 27 ? 28 : 27;
        expect_refused(twin, personal[i].message, "high s");
        twin[64] = sig[64]; /* either v */
        expect_refused(twin, personal[i].message, "high s");
    }
}

static void test_v_values(void **state)
{
    uint8_t sig[ETHSIG_LEN];
    struct ethaddr a;
    char addr[ETHADDR_TEXT_SIZE];

    (void)state;
    parse_sig(sig, personal[0].signature);
    assert_int_equal(sig[64], 28);
    /* 28 and 1 mean recovery id 1. */
    for (int v = 0; v < 256; v++) {
        struct fault f;
        int rv;

        sig[64] = (uint8_t)v;
        fault_clear(&f);
        rv = ethsig_recover_personal(NULL, &a, sig, (const uint8_t *)"hello",
                                     5, &f);
        if (v == 1 || v == 28) {
            assert_int_equal(rv, 0);
            ethaddr_to_text(addr, &a);
            assert_string_equal(addr, ANVIL0_ADDR);
        } else if (v == 0 || v == 27) {
            /* The other recovery id: a valid signature of someone else,
             * or nobody. Never the signer. */
            if (rv == 0) {
                ethaddr_to_text(addr, &a);
                assert_string_not_equal(addr, ANVIL0_ADDR);
            }
        } else {
            assert_int_equal(rv, -1);
            assert_int_equal(f.kind, FAULT_UNAUTHORIZED);
            assert_non_null(strstr(f.detail, "v"));
        }
    }
    /* And 0 / 27 for a signature whose recovery id is 0. */
    parse_sig(sig, personal[1].signature);
    assert_int_equal(sig[64], 27);
    sig[64] = 0;
    assert_int_equal(ethsig_recover_personal(NULL, &a, sig,
                                             (const uint8_t *)"", 0, NULL), 0);
    ethaddr_to_text(addr, &a);
    assert_string_equal(addr, ANVIL0_ADDR);
}

static void test_r_s_range(void **state)
{
    uint8_t good[ETHSIG_LEN];
    uint8_t sig[ETHSIG_LEN];
    uint8_t half_n[32];

    (void)state;
    parse_sig(good, personal[0].signature);
    assert_int_equal(hex_decode(half_n, 32,
                                "7fffffffffffffffffffffffffffffff5d576e7357a4"
                                "501ddfe92f46681b20a0", 64, "n/2", NULL), 0);

    memcpy(sig, good, ETHSIG_LEN);
    memset(sig, 0, 32); /* r = 0 */
    expect_refused(sig, "hello", "r is zero");
    memcpy(sig, good, ETHSIG_LEN);
    memset(sig + 32, 0, 32); /* s = 0 */
    expect_refused(sig, "hello", "s is zero");
    memcpy(sig, good, ETHSIG_LEN);
    memcpy(sig, curve_n, 32); /* r = n */
    expect_refused(sig, "hello", "r is zero or not below");
    memcpy(sig, good, ETHSIG_LEN);
    memset(sig, 0xff, 32); /* r = 2^256 - 1 */
    expect_refused(sig, "hello", "r is zero or not below");
    memcpy(sig, good, ETHSIG_LEN);
    memcpy(sig + 32, curve_n, 32); /* s = n */
    expect_refused(sig, "hello", "s is zero or not below");
    memcpy(sig, good, ETHSIG_LEN);
    memset(sig + 32, 0xff, 32);
    expect_refused(sig, "hello", "s is zero or not below");
    /* s = n/2 + 1 is high; s = n/2 is not (it may recover someone). */
    memcpy(sig, good, ETHSIG_LEN);
    memcpy(sig + 32, half_n, 32);
    sig[63]++;
    expect_refused(sig, "hello", "high s");
    memcpy(sig + 32, half_n, 32);
    {
        struct fault f;
        fault_clear(&f);
        if (ethsig_recover_personal(NULL, NULL, sig, (const uint8_t *)"hello",
                                    5, &f) != 0)
            assert_null(strstr(f.detail, "high s"));
    }
    /* r = 1, s = 1: in range but (almost surely) no point: refused. */
    memset(sig, 0, ETHSIG_LEN);
    sig[31] = 1;
    sig[63] = 1;
    sig[64] = 27;
    {
        struct fault f;
        struct ethaddr a;
        fault_clear(&f);
        if (ethsig_recover_personal(NULL, &a, sig, (const uint8_t *)"hello",
                                    5, &f) == 0) {
            char addr[ETHADDR_TEXT_SIZE];
            ethaddr_to_text(addr, &a);
            assert_string_not_equal(addr, ANVIL0_ADDR);
        }
    }
}

static void test_tampered(void **state)
{
    uint8_t sig[ETHSIG_LEN];
    struct ethaddr a;
    char addr[ETHADDR_TEXT_SIZE];

    (void)state;
    parse_sig(sig, personal[0].signature);
    /* Another message recovers another key (or none), never the signer. */
    if (ethsig_recover_personal(NULL, &a, sig, (const uint8_t *)"hellp", 5,
                                NULL) == 0) {
        ethaddr_to_text(addr, &a);
        assert_string_not_equal(addr, ANVIL0_ADDR);
    }
    /* A flipped bit of r likewise. */
    sig[5] ^= 0x10;
    if (ethsig_recover_personal(NULL, &a, sig, (const uint8_t *)"hello", 5,
                                NULL) == 0) {
        ethaddr_to_text(addr, &a);
        assert_string_not_equal(addr, ANVIL0_ADDR);
    }
}

/* Random keys and hashes: always low s, v 27 or 28, recovers the key. */
static void test_random_round_trips(void **state)
{
    uint8_t half_n[32];

    (void)state;
    assert_int_equal(hex_decode(half_n, 32,
                                "7fffffffffffffffffffffffffffffff5d576e7357a4"
                                "501ddfe92f46681b20a0", 64, "n/2", NULL), 0);
    for (int round = 0; round < 64; round++) {
        struct ethkey k;
        uint8_t hash[32];
        uint8_t sig[ETHSIG_LEN], sig2[ETHSIG_LEN];
        secp256k1_pubkey pub;
        struct ethaddr a;
        uint8_t c1[33], c2[33];

        assert_int_equal(ethkey_generate(&k, NULL), 0);
        assert_int_equal(random_bytes(hash, sizeof hash, NULL), 0);
        assert_int_equal(ethsig_sign_hash(sig, &k, hash, NULL), 0);
        assert_true(memcmp(sig + 32, half_n, 32) <= 0);
        assert_true(sig[64] == 27 || sig[64] == 28);
        /* Deterministic. */
        assert_int_equal(ethsig_sign_hash(sig2, &k, hash, NULL), 0);
        assert_memory_equal(sig, sig2, ETHSIG_LEN);
        assert_int_equal(ethsig_recover_hash(&pub, &a, sig, hash, NULL), 0);
        assert_true(ethaddr_equal(&a, &k.addr));
        assert_int_equal(ethkey_pubkey_serialize(c1, &pub), 0);
        assert_int_equal(ethkey_pubkey_serialize(c2, &k.pub), 0);
        assert_memory_equal(c1, c2, 33);
        ethkey_wipe(&k);
    }
}

static void test_sign_bad_key(void **state)
{
    struct ethkey k;
    uint8_t sig[ETHSIG_LEN];
    uint8_t zero[ETHSIG_LEN];
    struct fault f;

    (void)state;
    memset(zero, 0, sizeof zero);
    load_key(&k, ANVIL0);
    memset(k.secret, 0, sizeof k.secret); /* not a key */
    memset(sig, 0xaa, sizeof sig);
    fault_clear(&f);
    assert_int_equal(ethsig_sign_personal(sig, &k, (const uint8_t *)"x", 1,
                                          &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_memory_equal(sig, zero, ETHSIG_LEN);
    memcpy(k.secret, curve_n, 32);
    assert_int_equal(ethsig_sign_personal(sig, &k, (const uint8_t *)"x", 1,
                                          &f), -1);
    assert_memory_equal(sig, zero, ETHSIG_LEN);
}

static const struct {
    const char *text;
    const char *detail_has;
} bad_texts[] = {
    {"f16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c48"
     "ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f94504311c", "0x"},
    {"0xf16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c"
     "48ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f94504311", "130"},
    {"0xf16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c"
     "48ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f94504311c00", "130"},
    {"0xf16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c"
     "48ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f9450431 c",
     "offset 130"},
    {"", "0x"},
    {"0x", "130"},
};

static void test_parse(void **state)
{
    uint8_t sig[ETHSIG_LEN], up[ETHSIG_LEN];
    char text[ETHSIG_TEXT_SIZE];
    char upper[ETHSIG_TEXT_SIZE];

    (void)state;
    parse_sig(sig, personal[0].signature);
    ethsig_to_text(text, sig);
    assert_string_equal(text, personal[0].signature);
    /* Either digit case in; lowercase out. */
    memcpy(upper, personal[0].signature, ETHSIG_TEXT_SIZE);
    for (size_t i = 2; upper[i]; i++)
        if (upper[i] >= 'a' && upper[i] <= 'f')
            upper[i] = (char)(upper[i] - 32);
    parse_sig(up, upper);
    assert_memory_equal(sig, up, ETHSIG_LEN);
    ethsig_to_text(text, up);
    assert_string_equal(text, personal[0].signature);

    for (size_t i = 0; i < sizeof bad_texts / sizeof *bad_texts; i++) {
        struct fault f;
        fault_clear(&f);
        memset(sig, 0xaa, sizeof sig);
        assert_int_equal(ethsig_parse(sig, bad_texts[i].text,
                                      strlen(bad_texts[i].text), "sig", &f),
                         -1);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "sig");
        if (strstr(f.detail, bad_texts[i].detail_has) == NULL)
            fail_msg("case %zu: detail \"%s\" lacks \"%s\"", i, f.detail,
                     bad_texts[i].detail_has);
        for (int k = 0; k < ETHSIG_LEN; k++)
            assert_int_equal(sig[k], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_personal_vectors),
        cmocka_unit_test(test_recover_personal_vectors),
        cmocka_unit_test(test_personal_hash),
        cmocka_unit_test(test_sign_hash_vector),
        cmocka_unit_test(test_high_s_refused),
        cmocka_unit_test(test_v_values),
        cmocka_unit_test(test_r_s_range),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_random_round_trips),
        cmocka_unit_test(test_sign_bad_key),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
