/*
 * Unit tests for lib/u256.c: decimal text, big-endian words, comparison
 * and exact arithmetic at the edges (0, 2^64, 2^128, 2^256 - 1, carries
 * across every limb). Expected values were computed with Python's
 * integers (python3: str(a + b), a // b, a % b, '%064x' % a), which are
 * exact at any size; NULL means Python's result is outside [0, 2^256).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/hex.h"
#include "lib/u256.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TEXT "115792089237316195423570985008687907853269984665640564039457584007913129639935"

static struct u256 num(const char *text)
{
    struct u256 v;
    struct fault f;

    fault_clear(&f);
    if (u256_parse_decimal(&v, text, strlen(text), "n", &f) != 0)
        fail_msg("cannot parse %s: %s", text, f.detail);
    return v;
}

static void assert_decimal(const struct u256 *v, const char *want)
{
    char text[U256_DECIMAL_SIZE];
    size_t n = u256_to_decimal(text, v);

    assert_string_equal(text, want);
    assert_int_equal(n, strlen(want));
}

/* Decimal text and its 32-byte big-endian word. */
struct word_case {
    const char *decimal;
    const char *be32;
};

static const struct word_case word_cases[] = {
    {"0",
     "0000000000000000000000000000000000000000000000000000000000000000"},
    {"1",
     "0000000000000000000000000000000000000000000000000000000000000001"},
    {"18446744073709551615",
     "000000000000000000000000000000000000000000000000ffffffffffffffff"},
    {"18446744073709551616",
     "0000000000000000000000000000000000000000000000010000000000000000"},
    {"340282366920938463463374607431768211455",
     "00000000000000000000000000000000ffffffffffffffffffffffffffffffff"},
    {"340282366920938463463374607431768211456",
     "0000000000000000000000000000000100000000000000000000000000000000"},
    {"6277101735386680763835789423207666416102355444464034525241",
     "0000000000000001000000000000000000000000000000000000000000003039"},
    {MAX_TEXT,
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"100000000000000000000000000000000000000000000000000000000000000000000000000000",
     "dd15fe86affad91249ef0eb713f39ebeaa987b6e6fd2a0000000000000000000"},
    {"100720434724302814903610305981132438410696627821163241311682081825237595695701",
     "deadbeefcafebabe0123456789abcdeffedcba9876543210aa55aa55aa55aa55"},
};

static void test_decimal_and_words(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(word_cases); i++) {
        const struct word_case *c = &word_cases[i];
        uint8_t want[32], got[32];
        struct u256 v = num(c->decimal), back;

        assert_int_equal(hex_decode(want, 32, c->be32, 64, "be32", NULL), 0);
        u256_to_be32(got, &v);
        assert_memory_equal(got, want, 32);
        u256_from_be32(&back, want);
        assert_int_equal(u256_cmp(&back, &v), 0);
        assert_decimal(&back, c->decimal);
    }
}

static void test_u64(void **state)
{
    struct u256 v;
    uint64_t x = 7;

    (void)state;
    u256_from_u64(&v, UINT64_MAX);
    assert_decimal(&v, "18446744073709551615");
    assert_int_equal(u256_to_u64(&x, &v), 0);
    assert_true(x == UINT64_MAX);
    v = num("18446744073709551616"); /* 2^64 does not fit */
    x = 7;
    assert_int_equal(u256_to_u64(&x, &v), -1);
    assert_true(x == 0);
    v = num("0");
    assert_int_equal(u256_to_u64(&x, &v), 0);
    assert_true(x == 0);
    assert_true(u256_is_zero(&v));
}

static void test_bits_and_cmp(void **state)
{
    struct u256 a, b;

    (void)state;
    a = num("0");
    assert_int_equal(u256_bits(&a), 0);
    a = num("1");
    assert_int_equal(u256_bits(&a), 1);
    a = num("18446744073709551615");
    assert_int_equal(u256_bits(&a), 64);
    a = num("18446744073709551616");
    assert_int_equal(u256_bits(&a), 65);
    a = num("340282366920938463463374607431768211455"); /* 2^128 - 1 */
    assert_int_equal(u256_bits(&a), 128);
    b = num("340282366920938463463374607431768211456"); /* 2^128 */
    assert_int_equal(u256_bits(&b), 129);
    assert_int_equal(u256_cmp(&a, &b), -1);
    assert_int_equal(u256_cmp(&b, &a), 1);
    assert_int_equal(u256_cmp(&a, &a), 0);
    a = num(MAX_TEXT);
    assert_int_equal(u256_bits(&a), 256);
    /* Only the lowest limb differs; then only the highest. */
    a = num("6277101735386680763835789423207666416102355444464034512896");
    b = num("6277101735386680763835789423207666416102355444464034512897");
    assert_int_equal(u256_cmp(&a, &b), -1);
    b = num("18446744073709551615");
    assert_int_equal(u256_cmp(&a, &b), 1);
}

struct bin_case {
    const char *a, *b;
    const char *want; /* NULL: overflow or underflow */
};

static const struct bin_case add_cases[] = {
    {"18446744073709551615", "1", "18446744073709551616"},
    {"6277101735386680763835789423207666416102355444464034512895", "1",
     "6277101735386680763835789423207666416102355444464034512896"},
    {"115792089237316195423570985008687907853269984665640564039457584007913129639934",
     "1", MAX_TEXT},
    {MAX_TEXT, "1", NULL},
    {MAX_TEXT, MAX_TEXT, NULL},
    {"123456789012345678901234567890", "987654321098765432109876543210",
     "1111111110111111111011111111100"},
    {"0", "0", "0"},
};

static const struct bin_case sub_cases[] = {
    {"18446744073709551616", "1", "18446744073709551615"},
    {"6277101735386680763835789423207666416102355444464034512896", "1",
     "6277101735386680763835789423207666416102355444464034512895"},
    {"0", "1", NULL},
    {MAX_TEXT, MAX_TEXT, "0"},
    {"5", "6", NULL},
    {"10000000000000000000000000000000000000000",
     "1000000000000000000000000000000000000007",
     "8999999999999999999999999999999999999993"},
    {"18446744073709551616", "18446744073709551617", NULL}, /* borrow out */
};

static void run_bin(const struct bin_case *cases, size_t n, int is_add)
{
    for (size_t i = 0; i < n; i++) {
        const struct bin_case *c = &cases[i];
        struct u256 a = num(c->a), b = num(c->b), r;
        int rv;

        rv = is_add ? u256_add(&r, &a, &b) : u256_sub(&r, &a, &b);
        if (c->want == NULL) {
            if (rv != -1)
                fail_msg("%s case %zu was accepted", is_add ? "add" : "sub",
                         i);
            assert_true(u256_is_zero(&r));
        } else {
            assert_int_equal(rv, 0);
            assert_decimal(&r, c->want);
            /* In place, output aliasing the first input. */
            rv = is_add ? u256_add(&a, &a, &b) : u256_sub(&a, &a, &b);
            assert_int_equal(rv, 0);
            assert_decimal(&a, c->want);
        }
    }
}

static void test_add(void **state)
{
    (void)state;
    run_bin(add_cases, COUNT(add_cases), 1);
}

static void test_sub(void **state)
{
    (void)state;
    run_bin(sub_cases, COUNT(sub_cases), 0);
}

struct mul_case {
    const char *a;
    uint64_t m;
    const char *want;
};

static const struct mul_case mul_cases[] = {
    {MAX_TEXT, 1u, MAX_TEXT},
    {MAX_TEXT, 2u, NULL},
    {"6277101735386680763835789423207666416102355444464034512896",
     18446744073709551615u,
     "115792089237316195417293883273301227089434195242432897623355228563449095127040"},
    {"100000000000000000000000000000000000000000000000000",
     1000000000000000000u,
     "100000000000000000000000000000000000000000000000000000000000000000000"},
    {"340282366920938463463374607431768211457", 18446744073709551615u,
     "6277101735386680763495507056286727952657427581105975853055"},
    {"12345", 0u, "0"},
    {"18446744073709551615", 18446744073709551615u,
     "340282366920938463426481119284349108225"},
};

static void test_mul(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(mul_cases); i++) {
        const struct mul_case *c = &mul_cases[i];
        struct u256 a = num(c->a), r;
        int rv = u256_mul_u64(&r, &a, c->m);

        if (c->want == NULL) {
            assert_int_equal(rv, -1);
            assert_true(u256_is_zero(&r));
        } else {
            assert_int_equal(rv, 0);
            assert_decimal(&r, c->want);
        }
    }
    /* 2^192 * 2^64 = 2^256: the carry out of the top limb. Python:
     * 2**192 * 2**64 >= 2**256. */
    {
        struct u256 a = num("6277101735386680763835789423207666416102355444464034512896"), r;
        struct u256 b;

        assert_int_equal(u256_mul_u64(&r, &a, UINT64_MAX), 0);
        assert_int_equal(u256_add(&b, &r, &a), -1);
    }
}

struct div_case {
    const char *a, *b, *quot, *rem;
};

static const struct div_case div_cases[] = {
    {"1000000000000000000000000000000", "1000000000",
     "1000000000000000000000", "0"},
    /* divisors with the top bit set: the shift in the long division
     * carries out of 256 bits */
    {MAX_TEXT,
     "57896044618658097711785492504343953926634992332820282019728792003956564819968",
     "1",
     "57896044618658097711785492504343953926634992332820282019728792003956564819967"},
    {MAX_TEXT,
     "57896044618658097711785492504343953926634992332820282019728792003956564819969",
     "1",
     "57896044618658097711785492504343953926634992332820282019728792003956564819966"},
    {MAX_TEXT, MAX_TEXT, "1", "0"},
    {"115792089237316195423570985008687907853269984665640564039457584007913129639934",
     MAX_TEXT, "0",
     "115792089237316195423570985008687907853269984665640564039457584007913129639934"},
    {"5", "7", "0", "5"},
    {"1606938044258990275541962092341162602522202993782792835301475", "3",
     "535646014752996758513987364113720867507400997927597611767158", "1"},
    {"100720434724302814903610305981132438410696627821163241311682081825237595695701",
     "387165715202420043663511446871040909041",
     "260148124612851166742634625831544615825",
     "18179148949209001490326173880481521876"},
    {"3000000000000000017", "1000000000", "3000000000", "17"},
    {MAX_TEXT, "1", MAX_TEXT, "0"},
    {"0", "5", "0", "0"},
};

static void test_divmod(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(div_cases); i++) {
        const struct div_case *c = &div_cases[i];
        struct u256 a = num(c->a), b = num(c->b), q, r, check;

        if (u256_divmod(&q, &r, &a, &b) != 0)
            fail_msg("divmod case %zu failed", i);
        assert_decimal(&q, c->quot);
        assert_decimal(&r, c->rem);
        /* Either output alone. */
        assert_int_equal(u256_divmod(&check, NULL, &a, &b), 0);
        assert_int_equal(u256_cmp(&check, &q), 0);
        assert_int_equal(u256_divmod(NULL, &check, &a, &b), 0);
        assert_int_equal(u256_cmp(&check, &r), 0);
        /* In place: the quotient over the dividend. */
        check = a;
        assert_int_equal(u256_divmod(&check, NULL, &check, &b), 0);
        assert_int_equal(u256_cmp(&check, &q), 0);
    }
}

static void test_divide_by_zero(void **state)
{
    struct u256 a = num("12345"), z = num("0"), q = num("9"), r = num("9");

    (void)state;
    assert_int_equal(u256_divmod(&q, &r, &a, &z), -1);
    assert_true(u256_is_zero(&q));
    assert_true(u256_is_zero(&r));
}

/* Text that u256_parse_decimal must refuse, and a piece of the detail. */
struct bad_case {
    const char *text;
    size_t len; /* 0: strlen */
    const char *detail_has;
};

static const struct bad_case bad_cases[] = {
    {"", 0, "empty"},
    {"-1", 0, "digits"},
    {"+1", 0, "digits"},
    {"01", 0, "leading zero"},
    {"00", 0, "leading zero"},
    {"1.0", 0, "digits"},
    {"1e3", 0, "digits"},
    {" 1", 0, "digits"},
    {"1 ", 0, "digits"},
    {"0x10", 0, "digits"},
    {"1\0002", 3, "digits"}, /* a NUL inside the length */
    /* 2^256, one more than the largest */
    {"115792089237316195423570985008687907853269984665640564039457584007913129639936",
     0, "too large"},
    /* 79 digits */
    {"1000000000000000000000000000000000000000000000000000000000000000000000000000000",
     0, "too large"},
    /* 78 nines, above 2^256 - 1 */
    {"999999999999999999999999999999999999999999999999999999999999999999999999999999",
     0, "too large"},
};

static void test_parse_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t len = c->len != 0 ? c->len : strlen(c->text);
        struct u256 v = num("77");
        struct fault f;

        fault_clear(&f);
        if (u256_parse_decimal(&v, c->text, len, "amount_wei", &f) != -1)
            fail_msg("case %zu (%s) was accepted", i, c->text);
        assert_true(u256_is_zero(&v));
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "amount_wei");
        if (strstr(f.detail, c->detail_has) == NULL)
            fail_msg("case %zu (%s): detail \"%s\" lacks \"%s\"", i, c->text,
                     f.detail, c->detail_has);
    }
    /* A NULL field is named in the detail as "the amount"; NULL text with
     * length 0 is the empty string. */
    {
        struct u256 v;
        struct fault f;

        fault_clear(&f);
        assert_int_equal(u256_parse_decimal(&v, NULL, 0, NULL, &f), -1);
        assert_string_equal(f.field, "");
        assert_non_null(strstr(f.detail, "the amount"));
    }
}

/* Every length of all-nines text up to 77 digits (all below 2^256) reads
 * and prints back: the 19-digit pieces meet at every offset. */
static void test_every_length(void **state)
{
    char text[U256_DECIMAL_SIZE], out[U256_DECIMAL_SIZE];

    (void)state;
    for (size_t n = 1; n <= 77; n++) {
        struct u256 v, one, next;

        memset(text, '9', n);
        text[n] = '\0';
        v = num(text);
        u256_to_decimal(out, &v);
        assert_string_equal(out, text);
        /* 10^n - 1 + 1 = 10^n: "1" and n zeros. */
        u256_from_u64(&one, 1);
        assert_int_equal(u256_add(&next, &v, &one), 0);
        u256_to_decimal(out, &next);
        assert_int_equal(out[0], '1');
        assert_int_equal(strspn(out + 1, "0"), n);
        assert_int_equal(strlen(out), n + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_and_words),
        cmocka_unit_test(test_u64),
        cmocka_unit_test(test_bits_and_cmp),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_sub),
        cmocka_unit_test(test_mul),
        cmocka_unit_test(test_divmod),
        cmocka_unit_test(test_divide_by_zero),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_every_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
