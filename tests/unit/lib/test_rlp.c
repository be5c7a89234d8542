/* Unit tests for lib/rlp.c: the vectors of the Ethereum wiki's RLP page
 * and of ethereum/tests (RLPTests/rlptest.json), checked again with
 * Foundry's `cast to-rlp` (e.g. `cast to-rlp '[[],[[]],[[],[[]]]]'`
 * prints 0xc7c0c1c0c3c0c1c0); then bounds and misuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/hex.h"
#include "lib/rlp.h"

#define LOREM55 "Lorem ipsum dolor sit amet, consectetur adipisicing eli"
#define LOREM56 LOREM55 "t"

/* Finish r and compare the encoding with want (hex, no 0x). */
static void check(struct rlp *r, const char *want)
{
    char hex[4096];
    size_t len = 0;
    struct fault f;

    fault_clear(&f);
    assert_int_equal(rlp_finish(r, &len, &f), 0);
    assert_int_equal(hex_encode(hex, sizeof hex, r->out, len), 0);
    assert_string_equal(hex, want);
}

static void str(struct rlp *r, const char *s)
{
    rlp_bytes(r, (const uint8_t *)s, strlen(s));
}

static void test_strings(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"", "80"},
        {"\x01", "01"},
        {"\x7f", "7f"},
        {"\x80", "8180"},
        {"dog", "83646f67"},
        {LOREM55, "b74c6f72656d20697073756d20646f6c6f722073697420616d65742c20"
                  "636f6e7365637465747572206164697069736963696e6720656c69"},
        {LOREM56, "b8384c6f72656d20697073756d20646f6c6f722073697420616d6574"
                  "2c20636f6e7365637465747572206164697069736963696e6720656c"
                  "6974"},
    };
    uint8_t buf[256], zero = 0;
    struct rlp r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rlp_init(&r, buf, sizeof buf);
        str(&r, cases[i].text);
        check(&r, cases[i].want);
    }
    /* The byte 0x00 is itself (not the integer 0, which is 0x80). */
    rlp_init(&r, buf, sizeof buf);
    rlp_bytes(&r, &zero, 1);
    check(&r, "00");
}

static void test_long_string(void **state)
{
    uint8_t in[1024], buf[1100];
    char want[8];
    struct rlp r;
    struct fault f;
    size_t len;

    (void)state;
    memset(in, 0xab, sizeof in);
    rlp_init(&r, buf, sizeof buf);
    rlp_bytes(&r, in, sizeof in);
    assert_int_equal(rlp_finish(&r, &len, &f), 0);
    /* cast to-rlp 0xabab...(1024 bytes) starts 0xb90400abab. */
    assert_int_equal(len, 3 + sizeof in);
    assert_int_equal(hex_encode(want, sizeof want, buf, 3), 0);
    assert_string_equal(want, "b90400");
    assert_memory_equal(buf + 3, in, sizeof in);
}

static void test_integers(void **state)
{
    static const struct {
        uint64_t v;
        const char *want;
    } cases[] = {
        {0, "80"},           {1, "01"},         {16, "10"},
        {79, "4f"},          {127, "7f"},       {128, "8180"},
        {1000, "8203e8"},    {1024, "820400"},  {100000, "830186a0"},
        {UINT64_MAX, "88ffffffffffffffff"},
    };
    uint8_t buf[64];
    struct rlp r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rlp_init(&r, buf, sizeof buf);
        rlp_uint(&r, cases[i].v);
        check(&r, cases[i].want);
    }
}

static void test_big_integers(void **state)
{
    /* rlptest.json mediumint4: 83729609699884896815286331701780722. */
    static const uint8_t m4[] = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
                                 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0,
                                 0xf2};
    uint8_t be[33], buf[64];
    struct rlp r;

    (void)state;
    rlp_init(&r, buf, sizeof buf);
    rlp_uint_be(&r, m4, sizeof m4);
    check(&r, "8f102030405060708090a0b0c0d0e0f2");
    /* Leading zeros go: the same number in 32 bytes. */
    memset(be, 0, sizeof be);
    memcpy(be + 32 - sizeof m4, m4, sizeof m4);
    rlp_init(&r, buf, sizeof buf);
    rlp_uint_be(&r, be, 32);
    check(&r, "8f102030405060708090a0b0c0d0e0f2");
    /* rlptest.json bigint: 2^256, 33 bytes. */
    memset(be, 0, sizeof be);
    be[0] = 1;
    rlp_init(&r, buf, sizeof buf);
    rlp_uint_be(&r, be, 33);
    check(&r, "a1010000000000000000000000000000000000000000000000000000000000"
              "000000");
    /* 32 zero bytes are 0; so is the empty string. */
    memset(be, 0, sizeof be);
    rlp_init(&r, buf, sizeof buf);
    rlp_uint_be(&r, be, 32);
    rlp_uint_be(&r, NULL, 0);
    rlp_uint_be(&r, (const uint8_t *)"\x00\x7f", 2);
    check(&r, "80807f");
}

static void test_lists(void **state)
{
    uint8_t buf[512];
    struct rlp r;
    int i;

    (void)state;
    rlp_init(&r, buf, sizeof buf);
    rlp_list_begin(&r);
    rlp_list_end(&r);
    check(&r, "c0");

    rlp_init(&r, buf, sizeof buf);
    rlp_list_begin(&r);
    str(&r, "cat");
    str(&r, "dog");
    rlp_list_end(&r);
    check(&r, "c88363617483646f67");

    /* multilist: ["zw", [4], 1] */
    rlp_init(&r, buf, sizeof buf);
    rlp_list_begin(&r);
    str(&r, "zw");
    rlp_list_begin(&r);
    rlp_uint(&r, 4);
    rlp_list_end(&r);
    rlp_uint(&r, 1);
    rlp_list_end(&r);
    check(&r, "c6827a77c10401");

    /* The set-theoretic representation of three: [[], [[]], [[], [[]]]]. */
    rlp_init(&r, buf, sizeof buf);
    rlp_list_begin(&r);
    rlp_list_begin(&r);
    rlp_list_end(&r);
    rlp_list_begin(&r);
    rlp_list_begin(&r);
    rlp_list_end(&r);
    rlp_list_end(&r);
    rlp_list_begin(&r);
    rlp_list_begin(&r);
    rlp_list_end(&r);
    rlp_list_begin(&r);
    rlp_list_begin(&r);
    rlp_list_end(&r);
    rlp_list_end(&r);
    rlp_list_end(&r);
    rlp_list_end(&r);
    check(&r, "c7c0c1c0c3c0c1c0");

    /* shortListMax1: 55 bytes of payload, the longest short list. */
    rlp_init(&r, buf, sizeof buf);
    rlp_list_begin(&r);
    for (i = 0; i < 11; i++)
        str(&r, i % 3 == 0 ? "asdf" : i % 3 == 1 ? "qwer" : "zxcv");
    rlp_list_end(&r);
    check(&r, "f784617364668471776572847a78637684617364668471776572847a7863"
              "7684617364668471776572847a78637684617364668471776572");

    /* longList1: four ["asdf", "qwer", "zxcv"], 64 bytes of payload. */
    rlp_init(&r, buf, sizeof buf);
    rlp_list_begin(&r);
    for (i = 0; i < 4; i++) {
        rlp_list_begin(&r);
        str(&r, "asdf");
        str(&r, "qwer");
        str(&r, "zxcv");
        rlp_list_end(&r);
    }
    rlp_list_end(&r);
    check(&r, "f840cf84617364668471776572847a786376cf846173646684717765728"
              "47a786376cf84617364668471776572847a786376cf846173646684717765"
              "72847a786376");

    /* dictTest1 */
    rlp_init(&r, buf, sizeof buf);
    rlp_list_begin(&r);
    for (i = 1; i <= 4; i++) {
        char k[5] = "key0", v[5] = "val0";
        k[3] = v[3] = (char)('0' + i);
        rlp_list_begin(&r);
        str(&r, k);
        str(&r, v);
        rlp_list_end(&r);
    }
    rlp_list_end(&r);
    check(&r, "ecca846b6579318476616c31ca846b6579328476616c32ca846b657933847"
              "6616c33ca846b6579348476616c34");
}

static void test_long_list(void **state)
{
    uint8_t in[300], buf[400];
    struct rlp r;
    struct fault f;
    size_t len;

    (void)state;
    memset(in, 0x11, sizeof in);
    rlp_init(&r, buf, sizeof buf);
    rlp_list_begin(&r);
    rlp_bytes(&r, in, sizeof in); /* b9012c + 300 bytes = 303 */
    rlp_list_end(&r);
    assert_int_equal(rlp_finish(&r, &len, &f), 0);
    assert_int_equal(len, 3 + 3 + 300);
    assert_memory_equal(buf, "\xf9\x01\x2f\xb9\x01\x2c", 6);
    assert_memory_equal(buf + 6, in, sizeof in);
}

/* Every size below the encoding's fails, cleanly; the exact size works. */
static void test_bounds(void **state)
{
    uint8_t buf[64], guard[8];
    struct rlp r;
    struct fault f;
    size_t cap, len;

    (void)state;
    for (cap = 0; cap <= 9; cap++) {
        memset(buf, 0xee, sizeof buf);
        rlp_init(&r, buf, cap);
        rlp_list_begin(&r);
        str(&r, "cat");
        str(&r, "dog");
        rlp_list_end(&r);
        len = 99;
        fault_clear(&f);
        if (cap < 9) {
            assert_int_equal(rlp_finish(&r, &len, &f), -1);
            assert_int_equal(f.kind, FAULT_TOO_LARGE);
            assert_int_equal(len, 0);
            memset(guard, 0, sizeof guard);
            assert_memory_equal(buf, guard, cap); /* cleared */
            assert_int_equal(buf[cap], 0xee);     /* nothing past cap */
        } else {
            assert_int_equal(rlp_finish(&r, &len, &f), 0);
            assert_int_equal(len, 9);
        }
    }
    /* Failure is sticky: a small item after a big one that failed does
     * not slip in. */
    rlp_init(&r, buf, 4);
    str(&r, "horse");
    rlp_uint(&r, 1);
    assert_int_equal(rlp_finish(&r, &len, &f), -1);
}

static void test_misuse(void **state)
{
    uint8_t buf[64];
    struct rlp r;
    struct fault f;
    size_t len;
    int i;

    (void)state;
    rlp_init(&r, buf, sizeof buf);
    rlp_list_begin(&r);
    fault_clear(&f);
    assert_int_equal(rlp_finish(&r, &len, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);

    rlp_init(&r, buf, sizeof buf);
    rlp_list_end(&r);
    assert_int_equal(rlp_finish(&r, &len, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);

    rlp_init(&r, buf, sizeof buf);
    for (i = 0; i <= RLP_DEPTH_MAX; i++)
        rlp_list_begin(&r);
    for (i = 0; i <= RLP_DEPTH_MAX; i++)
        rlp_list_end(&r);
    assert_int_equal(rlp_finish(&r, &len, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);

    /* RLP_DEPTH_MAX levels are fine. */
    rlp_init(&r, buf, sizeof buf);
    for (i = 0; i < RLP_DEPTH_MAX; i++)
        rlp_list_begin(&r);
    for (i = 0; i < RLP_DEPTH_MAX; i++)
        rlp_list_end(&r);
    assert_int_equal(rlp_finish(&r, &len, &f), 0);
    assert_int_equal(len, RLP_DEPTH_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_long_string),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_big_integers),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_long_list),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
