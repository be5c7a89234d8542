/* Unit tests for lib/keccak.c against published and independent vectors
 * (Foundry's `cast keccak` for the patterned messages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/hex.h"
#include "lib/keccak.h"

static void digest_hex(char out[65], const uint8_t d[32])
{
    assert_int_equal(hex_encode(out, 65, d, 32), 0);
}

static void check_text(const char *msg, const char *want)
{
    uint8_t d[32];
    char hex[65];

    keccak256(d, (const uint8_t *)msg, strlen(msg));
    digest_hex(hex, d);
    assert_string_equal(hex, want);
}

static void test_published(void **state)
{
    (void)state;
    check_text("",
               "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    check_text("abc",
               "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    /* The ERC-20 Transfer event topic. */
    check_text("Transfer(address,address,uint256)",
               "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    /* Not SHA3-256, whose "" digest is a7ffc6f8bf1ed766... */
}

/* The message of n bytes whose byte i is (i * 7 + 1) mod 256, hashed with
 * `cast keccak 0x<hex>` (Foundry 1.7.1). */
static void pattern(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + 1);
}

static const struct {
    size_t len;
    const char *digest;
} pattern_vectors[] = {
    {0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
    {1, "5fe7f977e71dba2ea1a68e21057beebb9be2ac30c6410aa38d4f3fbe41dcffd2"},
    {135, "34bd7bed52ea092f88bc887256e7f06500ee814afa9a5566e22030af2ef1c5c0"},
    {136, "2b31811a93dfc4bdc41b6aa7790e784b987c25a2c8a0e101cfa694552dc8ae39"},
    {137, "a6103b089a404974c2b460048bfddd45108748fbdd9bad451f54d1fe95f8f284"},
    {200, "821d65a5a6cb642f6103930f83c3b73f893a998eacaf603e7ae93cbd636182cb"},
    {271, "3915ac0d86093104c62ea954228b28802e32a97eaaf854cccaaf526dd14f919e"},
    {272, "415fd325cae3a2f957fea2770d710027317ced7e7266a59905102c14fdb9959a"},
    {273, "5091b58a169d72e691cd40c2796dfe52ec91c538f682485c5424971ed02cd906"},
    {1000, "5f6640d51e97fd85a8fab8981a24c2fcdd022cab5e529f6879475f1f048b6254"},
    {1000000,
     "dfeb39e031c726c3ecab72d23da4e0a59fb00bed60a7e9b7c34096aa918d858b"},
};

static void test_pattern_one_shot(void **state)
{
    uint8_t *msg = malloc(1000000);

    (void)state;
    assert_non_null(msg);
    pattern(msg, 1000000);
    for (size_t i = 0; i < sizeof pattern_vectors / sizeof *pattern_vectors;
         i++) {
        uint8_t d[32];
        char hex[65];
        keccak256(d, msg, pattern_vectors[i].len);
        digest_hex(hex, d);
        if (strcmp(hex, pattern_vectors[i].digest) != 0)
            fail_msg("length %zu: got %s", pattern_vectors[i].len, hex);
    }
    free(msg);
}

/* Feeding the same bytes in any split gives the same digest: every first
 * piece length against every length up to a few blocks. */
static void test_pattern_split(void **state)
{
    uint8_t msg[1000];

    (void)state;
    pattern(msg, sizeof msg);
    for (size_t v = 0; v < sizeof pattern_vectors / sizeof *pattern_vectors;
         v++) {
        size_t len = pattern_vectors[v].len;
        uint8_t want[32];
        if (len > sizeof msg)
            continue;
        assert_int_equal(hex_decode(want, 32, pattern_vectors[v].digest, 64,
                                    "d", NULL), 0);
        for (size_t cut = 0; cut <= len; cut++) {
            struct keccak256_ctx ctx;
            uint8_t d[32];
            keccak256_init(&ctx);
            keccak256_update(&ctx, msg, cut);
            keccak256_update(&ctx, msg + cut, len - cut);
            keccak256_final(&ctx, d);
            if (memcmp(d, want, 32) != 0)
                fail_msg("length %zu split at %zu differs", len, cut);
        }
    }
}

/* Byte at a time, and in uneven pieces, across many blocks. */
static void test_pattern_pieces(void **state)
{
    uint8_t msg[1000];
    uint8_t want[32];
    static const size_t steps[] = {1, 3, 17, 135, 136, 137, 500};

    (void)state;
    pattern(msg, sizeof msg);
    assert_int_equal(hex_decode(want, 32, pattern_vectors[9].digest, 64, "d",
                                NULL), 0);
    assert_int_equal(pattern_vectors[9].len, 1000);
    for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
        struct keccak256_ctx ctx;
        uint8_t d[32];
        keccak256_init(&ctx);
        for (size_t off = 0; off < sizeof msg; off += steps[s]) {
            size_t n = sizeof msg - off < steps[s] ? sizeof msg - off
                                                   : steps[s];
            keccak256_update(&ctx, msg + off, n);
            keccak256_update(&ctx, NULL, 0); /* empty updates are no-ops */
        }
        keccak256_final(&ctx, d);
        assert_memory_equal(d, want, 32);
    }
}

static void test_final_wipes(void **state)
{
    struct keccak256_ctx ctx;
    uint8_t zero[sizeof ctx];
    uint8_t d[32];

    (void)state;
    memset(zero, 0, sizeof zero);
    keccak256_init(&ctx);
    keccak256_update(&ctx, (const uint8_t *)"secret", 6);
    keccak256_final(&ctx, d);
    assert_memory_equal(&ctx, zero, sizeof ctx);
    /* A wiped context is a fresh one: it hashes "" correctly. */
    keccak256_final(&ctx, d);
    assert_memory_equal(d,
                        "\xc5\xd2\x46\x01\x86\xf7\x23\x3c\x92\x7e\x7d\xb2"
                        "\xdc\xc7\x03\xc0\xe5\x00\xb6\x53\xca\x82\x27\x3b"
                        "\x7b\xfa\xd8\x04\x5d\x85\xa4\x70", 32);
}

/* The output may alias the input (hashing a digest in place). */
static void test_in_place(void **state)
{
    uint8_t buf[32];

    (void)state;
    memcpy(buf, "abc", 3);
    keccak256(buf, buf, 3);
    assert_memory_equal(buf,
                        "\x4e\x03\x65\x7a\xea\x45\xa9\x4f\xc7\xd4\x7b\xa8"
                        "\x26\xc8\xd6\x67\xc0\xd1\xe6\xe3\x3a\x64\xa0\x36"
                        "\xec\x44\xf5\x8f\xa1\x2d\x6c\x45", 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published),
        cmocka_unit_test(test_pattern_one_shot),
        cmocka_unit_test(test_pattern_split),
        cmocka_unit_test(test_pattern_pieces),
        cmocka_unit_test(test_final_wipes),
        cmocka_unit_test(test_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
