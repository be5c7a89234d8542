/* numtext: the JSON number grammar and exact comparison by value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/numtext.h"

struct grammar_case {
    const char *text;
    int is_number;
};

static const struct grammar_case grammar_cases[] = {
    {"0", 1},
    {"-0", 1},
    {"1", 1},
    {"-1", 1},
    {"123456789012345678901234567890", 1},
    {"1.5", 1},
    {"0.10", 1},
    {"-0.0", 1},
    {"1e3", 1},
    {"1E3", 1},
    {"1e+3", 1},
    {"1e-3", 1},
    {"1.25e-07", 1},
    {"0e0", 1},
    {"1e99999999999999999999", 1},
    {"-9.999e-99999999999999999999", 1},
    {"", 0},
    {"-", 0},
    {"+5", 0},
    {"007", 0},
    {"00", 0},
    {"-01", 0},
    {"1.", 0},
    {".5", 0},
    {"1.e3", 0},
    {"1e", 0},
    {"1e+", 0},
    {"1e-", 0},
    {"1ee3", 0},
    {"1.2.3", 0},
    {"NaN", 0},
    {"nan", 0},
    {"Infinity", 0},
    {"-Infinity", 0},
    {" 1", 0},
    {"1 ", 0},
    {"0x10", 0},
    {"1_000", 0},
    {"--1", 0},
    {"1e3.5", 0},
    {"\xef\xbc\x91", 0}, /* fullwidth digit one */
    {"true", 0},
};

static void test_grammar(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof grammar_cases / sizeof grammar_cases[0]; i++) {
        const struct grammar_case *c = &grammar_cases[i];
        int got = numtext_is_number(c->text, strlen(c->text));
        if (got != c->is_number)
            fail_msg("numtext_is_number(\"%s\") = %d, want %d", c->text, got,
                     c->is_number);
    }
    /* Embedded NUL and a NULL pointer with length 0. */
    assert_int_equal(numtext_is_number("1\0", 2), 0);
    assert_int_equal(numtext_is_number(NULL, 0), 0);
}

static void test_parse_clears_on_failure(void **state)
{
    struct numtext_parts p;

    (void)state;
    memset(&p, 0xa5, sizeof p);
    assert_int_equal(numtext_parse(&p, "1.", 2), 0);
    assert_int_equal(p.int_len, 0);
    assert_int_equal(p.fast, 0);
    assert_int_equal(p.hi, 0);
    assert_int_equal(numtext_parse(&p, "-12.50", 6), 1);
    assert_int_equal(p.neg, 1);
    assert_int_equal(p.int_len, 2);
    assert_int_equal(p.frac_len, 2);
    assert_int_equal(p.fast, 1);
    assert_int_equal(p.hi, 12);
}

struct cmp_case {
    const char *a;
    const char *b;
    int want; /* -1, 0, 1 */
};

static const struct cmp_case cmp_cases[] = {
    {"0", "0", 0},
    {"-0", "0", 0},
    {"-0.0e5", "0e-7", 0},
    {"0.10", "1e-1", 0},
    {"0.1", "0.10000", 0},
    {"1e3", "1000", 0},
    {"1000", "1e3", 0},
    {"1.5e1", "15", 0},
    {"150e-1", "15", 0},
    {"1", "2", -1},
    {"2", "10", -1},
    {"-2", "-10", 1},
    {"-1", "1", -1},
    {"-1", "0", -1},
    {"0", "-1e-400", 1},
    {"1e400", "9e399", 1},
    {"9e399", "1e400", -1},
    {"-1e400", "-9e399", -1},
    {"1e-400", "0", 1},
    {"1e-400", "1e-401", 1},
    {"123456789012345678901234567890", "123456789012345678901234567891", -1},
    {"123456789012345678901234567891", "123456789012345678901234567890", 1},
    {"-123456789012345678901234567890", "-123456789012345678901234567891", 1},
    {"99999999999999999999", "100000000000000000000", -1},
    {"18446744073709551615", "18446744073709551616", -1},
    {"9999999999999999999", "9999999999999999999.0000000000000000001", -1},
    {"0.1234567890123456789", "0.12345678901234567891", -1},
    {"1.0000000000000000000000000000000000001", "1", 1},
    {"21.53", "21.5", 1},
    {"21.53", "21.530", 0},
    {"1013.2", "999.99", 1},
    {"0.0042", "0.00042", 1},
    {"1e99999999999999999999", "1e99999999999999999998", 1},
    {"1e99999999999999999999", "9e99999999999999999998", 1},
    {"1e99999999999999999999", "10e99999999999999999998", 0},
    {"1e-99999999999999999999", "1e-99999999999999999998", -1},
    {"1e-99999999999999999999", "0", 1},
    {"-1e99999999999999999999", "1", -1},
    {"1e99999999999999999999", "1e99999999999999999999", 0},
    /* Exponents over 30 digits: the digit-by-digit path. */
    {"1e1000000000000000000000000000000000001",
     "1e1000000000000000000000000000000000000", 1},
    {"1e1000000000000000000000000000000000000",
     "100e999999999999999999999999999999999998", 0},
    {"1e1000000000000000000000000000000000000",
     "1000e999999999999999999999999999999999998", -1},
    {"0.001e1000000000000000000000000000000000000",
     "1e999999999999999999999999999999999997", 0},
    {"1e-1000000000000000000000000000000000000",
     "1e-999999999999999999999999999999999999", -1},
    {"5e1000000000000000000000000000000000000", "5e3", 1},
    {"5e-1000000000000000000000000000000000000", "5e-3", -1},
    {"5e0000000000000000000000000000000000000000003", "5000", 0},
    {"-5e1000000000000000000000000000000000000", "-5e3", -1},
    {"1e+0", "1", 0},
    {"1e-0", "1", 0},
    {"10e-1", "1", 0},
    {"0.000001e6", "1", 0},
    {"1E2", "100", 0},
};

static int sgn(int v)
{
    return v < 0 ? -1 : v > 0;
}

static void test_compare_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cmp_cases / sizeof cmp_cases[0]; i++) {
        const struct cmp_case *c = &cmp_cases[i];
        int ab = sgn(numtext_compare(c->a, strlen(c->a), c->b, strlen(c->b)));
        int ba = sgn(numtext_compare(c->b, strlen(c->b), c->a, strlen(c->a)));
        if (ab != c->want || ba != -c->want)
            fail_msg("compare(%s, %s) = %d / %d, want %d", c->a, c->b, ab, ba,
                     c->want);
    }
}

/* Numbers in ascending order; adjacent entries may be equal (marked). */
static const char *const ladder[] = {
    "-1e400", "-123456789012345678901234567891",
    "-123456789012345678901234567890", "-1e3", "-999.5", "-1", "-0.5",
    "-1e-400", "0", "1e-400", "0.00042", "0.0042", "0.1", "0.5", "1",
    "1.0000000000000000000001", "2", "21.5", "21.53", "999.99", "1013.2",
    "1e4", "18446744073709551615", "18446744073709551616",
    "123456789012345678901234567890", "9e399", "1e400",
};

static void test_compare_ladder(void **state)
{
    size_t n = sizeof ladder / sizeof ladder[0], i, j;

    (void)state;
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            int want = i < j ? -1 : i > j;
            int got = sgn(numtext_compare(ladder[i], strlen(ladder[i]),
                                          ladder[j], strlen(ladder[j])));
            if (got != want)
                fail_msg("compare(%s, %s) = %d, want %d", ladder[i], ladder[j],
                         got, want);
        }
}

/* Random numbers written in several equivalent ways must compare equal,
 * and their order must match the order of the integers they scale. */
static void write_scaled(char *out, size_t cap, long long v, int shift,
                         int style)
{
    /* value = v * 10^-shift */
    char digits[64];
    int neg = v < 0;
    unsigned long long u = neg ? (unsigned long long)(-v) : (unsigned long long)v;
    size_t nd;

    snprintf(digits, sizeof digits, "%llu", u);
    nd = strlen(digits);
    if (style == 0) {
        /* plain integer digits with exponent */
        snprintf(out, cap, "%s%se%d", neg ? "-" : "", digits, -shift);
    } else if (style == 1) {
        /* decimal point form */
        if ((int)nd > shift && shift > 0)
            snprintf(out, cap, "%s%.*s.%s", neg ? "-" : "",
                     (int)(nd - (size_t)shift), digits,
                     digits + nd - (size_t)shift);
        else if (shift > 0)
            snprintf(out, cap, "%s0.%0*d%s", neg ? "-" : "",
                     shift - (int)nd, 0, digits);
        else
            snprintf(out, cap, "%s%s%0*d", neg ? "-" : "", digits, -shift, 0);
        if (shift > 0 && (int)nd <= shift && shift - (int)nd == 0)
            snprintf(out, cap, "%s0.%s", neg ? "-" : "", digits);
        if (shift == 0)
            snprintf(out, cap, "%s%s", neg ? "-" : "", digits);
    } else {
        /* scientific with trailing zeros */
        snprintf(out, cap, "%s%c.%s000E%+d", neg ? "-" : "", digits[0],
                 nd > 1 ? digits + 1 : "0", (int)nd - 1 - shift);
    }
}

static void test_compare_random(void **state)
{
    int round;

    (void)state;
    srand(12345);
    for (round = 0; round < 20000; round++) {
        long long a = (long long)(rand() % 2000001) - 1000000;
        long long b = (long long)(rand() % 2000001) - 1000000;
        int sa = rand() % 8, sb = rand() % 8;
        char ta[128], tb[128];
        /* compare a*10^-sa with b*10^-sb: scale both to 10^-7 */
        long long pa = a, pb = b;
        int k, want, got;
        for (k = sa; k < 7; k++)
            pa *= 10;
        for (k = sb; k < 7; k++)
            pb *= 10;
        want = pa < pb ? -1 : pa > pb;
        write_scaled(ta, sizeof ta, a, sa, rand() % 3);
        write_scaled(tb, sizeof tb, b, sb, rand() % 3);
        if (!numtext_is_number(ta, strlen(ta)) ||
            !numtext_is_number(tb, strlen(tb)))
            fail_msg("not numbers: %s %s", ta, tb);
        got = sgn(numtext_compare(ta, strlen(ta), tb, strlen(tb)));
        if (got != want)
            fail_msg("compare(%s, %s) = %d, want %d", ta, tb, got, want);
    }
}

static void assert_same_parts(const char *t, size_t n)
{
    struct numtext_parts a, b;
    char buf[64 + 16];
    int ra, rb;

    memset(buf, 'x', sizeof buf);
    memcpy(buf, t, n);
    ra = numtext_parse(&a, t, n);
    rb = numtext_parse_padded(&b, buf, n);
    if (ra != rb || a.int_off != b.int_off || a.int_len != b.int_len ||
        a.frac_off != b.frac_off || a.frac_len != b.frac_len ||
        a.exp_off != b.exp_off || a.exp_len != b.exp_len || a.neg != b.neg ||
        a.exp_neg != b.exp_neg || a.fast != b.fast || a.hi != b.hi ||
        a.lo != b.lo)
        fail_msg("parse and parse_padded differ on \"%.*s\"", (int)n, t);
}

/* The padded parser is a faster path to the same answer. */
static void test_parse_padded(void **state)
{
    static const char alphabet[] = "0123456789-.eE+x";
    size_t i, round;

    (void)state;
    for (i = 0; i < sizeof grammar_cases / sizeof grammar_cases[0]; i++)
        assert_same_parts(grammar_cases[i].text, strlen(grammar_cases[i].text));
    for (i = 0; i < sizeof cmp_cases / sizeof cmp_cases[0]; i++) {
        assert_same_parts(cmp_cases[i].a, strlen(cmp_cases[i].a));
        assert_same_parts(cmp_cases[i].b, strlen(cmp_cases[i].b));
    }
    assert_same_parts("12345678.12345678", 17);
    assert_same_parts("1234567.12345678", 16);
    assert_same_parts("-1234567.1234567", 16);
    assert_same_parts("99999999.99999999", 17);
    assert_same_parts("123456789.5", 11);
    assert_same_parts("1.123456789", 11);
    srand(777);
    for (round = 0; round < 200000; round++) {
        char t[64];
        size_t n = (size_t)(rand() % 20), k;
        for (k = 0; k < n; k++) {
            /* mostly digits, so that many strings are numbers */
            int r = rand() % 24;
            t[k] = r < 10 ? (char)('0' + r) : alphabet[rand() % 16];
        }
        assert_same_parts(t, n);
    }
}

static void test_compare_not_numbers(void **state)
{
    (void)state;
    /* Unspecified order, but antisymmetric and memory-safe. */
    assert_int_equal(sgn(numtext_compare("abc", 3, "abd", 3)),
                     -sgn(numtext_compare("abd", 3, "abc", 3)));
    assert_int_equal(sgn(numtext_compare("1", 1, "x", 1)),
                     -sgn(numtext_compare("x", 1, "1", 1)));
    assert_int_equal(numtext_compare(NULL, 0, NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammar),
        cmocka_unit_test(test_parse_clears_on_failure),
        cmocka_unit_test(test_compare_table),
        cmocka_unit_test(test_compare_ladder),
        cmocka_unit_test(test_compare_random),
        cmocka_unit_test(test_parse_padded),
        cmocka_unit_test(test_compare_not_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
