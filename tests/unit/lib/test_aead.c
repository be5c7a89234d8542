/* Unit tests for lib/aead.c: the 256-bit-key test cases of McGrew and
 * Viega's GCM paper (13-16), tampering of every part, in-place use, and
 * buffers larger than one EVP piece (checked against a one-shot EVP call). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "lib/aead.h"
#include "lib/hex.h"

#define MV_KEY "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
#define MV_IV "cafebabefacedbaddecaf888"
#define MV_P60                                                               \
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c" \
    "95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define MV_C60                                                               \
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e" \
    "48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"

static const struct {
    const char *name, *key, *iv, *aad, *pt, *ct, *tag;
} vectors[] = {
    {"13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"15", MV_KEY, MV_IV, "", MV_P60 "1aafd255", MV_C60 "898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"16", MV_KEY, MV_IV, "feedfacedeadbeeffeedfacedeadbeefabaddad2", MV_P60,
     MV_C60, "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    assert_int_equal(hex_decode(out, n, hex, strlen(hex), "v", NULL), 0);
    return n;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

static void test_vectors(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof vectors / sizeof *vectors; v++) {
        uint8_t key[32], iv[12], aad[64], pt[64], want[80], out[80], back[64];
        size_t aadlen, ptlen, ctlen;
        struct fault f;

        unhex(key, sizeof key, vectors[v].key);
        unhex(iv, sizeof iv, vectors[v].iv);
        aadlen = unhex(aad, sizeof aad, vectors[v].aad);
        ptlen = unhex(pt, sizeof pt, vectors[v].pt);
        ctlen = unhex(want, sizeof want, vectors[v].ct);
        assert_int_equal(ctlen, ptlen);
        unhex(want + ctlen, 16, vectors[v].tag);
        fault_clear(&f);
        assert_int_equal(aead_seal(out, key, iv, aadlen ? aad : NULL, aadlen,
                                   ptlen ? pt : NULL, ptlen, &f), 0);
        if (memcmp(out, want, ptlen + 16) != 0)
            fail_msg("test case %s differs", vectors[v].name);
        assert_int_equal(aead_open(back, key, iv, aadlen ? aad : NULL, aadlen,
                                   out, ptlen + 16, &f), 0);
        assert_memory_equal(back, pt, ptlen);
    }
}

/* Each change of key, nonce, AAD, ciphertext or tag is refused, leaving
 * zeros and FAULT_CORRUPT. */
static void test_tampering(void **state)
{
    uint8_t key[32], iv[12], aad[20], pt[60], sealed[76], in[76], out[60];
    size_t ptlen, aadlen;
    struct fault f;

    (void)state;
    unhex(key, sizeof key, MV_KEY);
    unhex(iv, sizeof iv, MV_IV);
    aadlen = unhex(aad, sizeof aad, vectors[3].aad);
    ptlen = unhex(pt, sizeof pt, MV_P60);
    assert_int_equal(aead_seal(sealed, key, iv, aad, aadlen, pt, ptlen, NULL),
                     0);

    /* Every bit of ciphertext and tag. */
    for (size_t bit = 0; bit < 8 * sizeof sealed; bit++) {
        memcpy(in, sealed, sizeof in);
        in[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        memset(out, 0xaa, sizeof out);
        fault_clear(&f);
        assert_int_equal(aead_open(out, key, iv, aad, aadlen, in, sizeof in,
                                   &f), -1);
        assert_int_equal(f.kind, FAULT_CORRUPT);
        assert_true(all_zero(out, sizeof out));
    }
    /* Key, nonce, AAD: one bit each, and a missing or extra AAD byte. */
    key[31] ^= 1;
    assert_int_equal(aead_open(out, key, iv, aad, aadlen, sealed,
                               sizeof sealed, &f), -1);
    key[31] ^= 1;
    iv[0] ^= 0x80;
    assert_int_equal(aead_open(out, key, iv, aad, aadlen, sealed,
                               sizeof sealed, &f), -1);
    iv[0] ^= 0x80;
    aad[7] ^= 4;
    assert_int_equal(aead_open(out, key, iv, aad, aadlen, sealed,
                               sizeof sealed, &f), -1);
    aad[7] ^= 4;
    assert_int_equal(aead_open(out, key, iv, aad, aadlen - 1, sealed,
                               sizeof sealed, &f), -1);
    assert_int_equal(aead_open(out, key, iv, NULL, 0, sealed, sizeof sealed,
                               &f), -1);
    /* Truncated: a shorter message with the tag moved is still refused. */
    assert_int_equal(aead_open(out, key, iv, aad, aadlen, sealed,
                               sizeof sealed - 1, &f), -1);
    assert_true(all_zero(out, sizeof out - 1));
    /* And the original still opens. */
    assert_int_equal(aead_open(out, key, iv, aad, aadlen, sealed,
                               sizeof sealed, &f), 0);
    assert_memory_equal(out, pt, ptlen);
}

static void test_short_input(void **state)
{
    uint8_t key[32] = {0}, iv[12] = {0}, buf[16] = {0};
    struct fault f;

    (void)state;
    for (size_t len = 0; len < 16; len++) {
        fault_clear(&f);
        assert_int_equal(aead_open(buf, key, iv, NULL, 0, buf, len, &f), -1);
        assert_int_equal(f.kind, FAULT_CORRUPT);
    }
    /* Exactly a tag: the empty message (test case 13). */
    unhex(buf, sizeof buf, vectors[0].tag);
    assert_int_equal(aead_open(NULL, key, iv, NULL, 0, buf, 16, NULL), 0);
    buf[0] ^= 1;
    assert_int_equal(aead_open(NULL, key, iv, NULL, 0, buf, 16, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
}

static void test_in_place(void **state)
{
    uint8_t key[32], iv[12], buf[64 + 16], pt[64];

    (void)state;
    unhex(key, sizeof key, MV_KEY);
    unhex(iv, sizeof iv, MV_IV);
    unhex(pt, sizeof pt, MV_P60 "1aafd255");
    memcpy(buf, pt, 64);
    assert_int_equal(aead_seal(buf, key, iv, NULL, 0, buf, 64, NULL), 0);
    {
        uint8_t want[80];
        unhex(want, 64, MV_C60 "898015ad");
        unhex(want + 64, 16, vectors[2].tag);
        assert_memory_equal(buf, want, 80);
    }
    assert_int_equal(aead_open(buf, key, iv, NULL, 0, buf, 80, NULL), 0);
    assert_memory_equal(buf, pt, 64);
    /* In place with a bad tag: the plaintext area is zeroed. */
    assert_int_equal(aead_seal(buf, key, iv, NULL, 0, buf, 64, NULL), 0);
    buf[79] ^= 1;
    assert_int_equal(aead_open(buf, key, iv, NULL, 0, buf, 80, NULL), -1);
    assert_true(all_zero(buf, 64));
}

/* One EVP call over the whole buffer, the reference for the pieced one. */
static void evp_one_shot(uint8_t *out, const uint8_t *key, const uint8_t *iv,
                         const uint8_t *aad, size_t aadlen, const uint8_t *pt,
                         size_t ptlen)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;

    assert_non_null(ctx);
    assert_true(ptlen < 0x7fffffff && aadlen < 0x7fffffff);
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv),
                     1);
    assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &outl, aad, (int)aadlen), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, out, &outl, pt, (int)ptlen), 1);
    assert_int_equal(EVP_EncryptFinal_ex(ctx, out + ptlen, &outl), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
                                         out + ptlen), 1);
    EVP_CIPHER_CTX_free(ctx);
}

/* 200 MiB + 5 bytes of plaintext and 70 MiB + 3 of AAD: both cross the
 * 64 MiB pieces that aead feeds EVP. */
static void test_large(void **state)
{
    size_t ptlen = ((size_t)200 << 20) + 5;
    size_t aadlen = ((size_t)70 << 20) + 3;
    uint8_t *pt = malloc(ptlen);
    uint8_t *aad = malloc(aadlen);
    uint8_t *ours = malloc(ptlen + 16);
    uint8_t *ref = malloc(ptlen + 16);
    uint8_t key[32], iv[12];

    (void)state;
    assert_non_null(pt);
    assert_non_null(aad);
    assert_non_null(ours);
    assert_non_null(ref);
    for (size_t i = 0; i < ptlen; i++)
        pt[i] = (uint8_t)(i ^ (i >> 11));
    for (size_t i = 0; i < aadlen; i++)
        aad[i] = (uint8_t)(i * 3 + (i >> 17));
    memset(key, 0x42, sizeof key);
    memset(iv, 0x24, sizeof iv);
    assert_int_equal(aead_seal(ours, key, iv, aad, aadlen, pt, ptlen, NULL),
                     0);
    evp_one_shot(ref, key, iv, aad, aadlen, pt, ptlen);
    assert_true(memcmp(ours, ref, ptlen + 16) == 0);
    /* Open in place. */
    assert_int_equal(aead_open(ours, key, iv, aad, aadlen, ours, ptlen + 16,
                               NULL), 0);
    assert_true(memcmp(ours, pt, ptlen) == 0);
    /* A flipped byte deep inside is caught, and all of out is zeroed. */
    ref[(size_t)150 << 20] ^= 1;
    assert_int_equal(aead_open(ours, key, iv, aad, aadlen, ref, ptlen + 16,
                               NULL), -1);
    for (size_t i = 0; i < ptlen; i += 4093)
        assert_int_equal(ours[i], 0);
    free(pt);
    free(aad);
    free(ours);
    free(ref);
}

/* More than INT_MAX bytes, in place: only with SLUICE_BIG_TESTS=1 (it
 * needs 2 GiB of memory and a few seconds). */
static void test_over_int_max(void **state)
{
    size_t len = ((size_t)1 << 31) + 100;
    uint8_t *buf;
    uint8_t key[32] = {1}, iv[12] = {2};

    (void)state;
    if (getenv("SLUICE_BIG_TESTS") == NULL)
        skip();
    buf = malloc(len + 16);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i += 4096)
        buf[i] = (uint8_t)(i >> 12);
    assert_int_equal(aead_seal(buf, key, iv, NULL, 0, buf, len, NULL), 0);
    assert_int_equal(aead_open(buf, key, iv, NULL, 0, buf, len + 16, NULL), 0);
    for (size_t i = 0; i < len; i += 4096)
        assert_int_equal(buf[i], (uint8_t)(i >> 12));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_short_input),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_over_int_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
