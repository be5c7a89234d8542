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

/* A short plain decimal by the definition in numtext.h, decided with
 * numtext_parse: no exponent, 1 to 8 integer and 0 to 8 fraction digits,
 * at most 16 bytes after the sign. */
static int is_short_plain(const char *t, size_t n)
{
    struct numtext_parts p;

    return numtext_parse(&p, t, n) && p.exp_len == 0 && p.int_len <= 8 &&
           p.frac_len <= 8 && n - p.neg <= 16;
}

/* numtext_key_padded on t[0..n), from a buffer with the required slack
 * (filled with junk that must not matter). */
static int key_of(numtext_key *k, const char *t, size_t n)
{
    char buf[64 + 16];

    memset(buf, '7', sizeof buf);
    memcpy(buf, t, n);
    return numtext_key_padded(k, buf, n);
}

/* numtext_key_word on t[0..n), n <= 8, through a shape table. */
static int key_of_word(numtext_key *k, struct numtext_shape *shapes,
                       const char *t, size_t n)
{
    uint64_t w = 0;
    size_t i;
    unsigned shape;

    for (i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)t[i] << (8 * i);
    shape = numtext_word_shape(w);
    if (shapes[shape].state == NUMTEXT_SHAPE_UNKNOWN)
        numtext_shape_init(&shapes[shape], shape);
    return numtext_key_word(k, &shapes[shape], w, n);
}

static int key_cmp(numtext_key a, numtext_key b)
{
    return a < b ? -1 : a > b;
}

/* The key of every short plain decimal, and of nothing else, and its order
 * is numtext_compare's. */
static void test_key_padded(void **state)
{
    static const char alphabet[] = "0123456789-.eE+x";
    size_t i, j, round;

    (void)state;
    for (i = 0; i < sizeof grammar_cases / sizeof grammar_cases[0]; i++) {
        const char *t = grammar_cases[i].text;
        numtext_key k;
        if (key_of(&k, t, strlen(t)) != is_short_plain(t, strlen(t)))
            fail_msg("key_padded(\"%s\") disagrees", t);
    }
    for (i = 0; i < sizeof ladder / sizeof ladder[0]; i++)
        for (j = 0; j < sizeof ladder / sizeof ladder[0]; j++) {
            numtext_key ki, kj;
            if (!key_of(&ki, ladder[i], strlen(ladder[i])) ||
                !key_of(&kj, ladder[j], strlen(ladder[j])))
                continue;
            if (key_cmp(ki, kj) != (i < j ? -1 : i > j))
                fail_msg("keys of %s and %s out of order", ladder[i],
                         ladder[j]);
        }
    for (i = 0; i < sizeof cmp_cases / sizeof cmp_cases[0]; i++) {
        const struct cmp_case *c = &cmp_cases[i];
        numtext_key ka, kb;
        if (key_of(&ka, c->a, strlen(c->a)) &&
            key_of(&kb, c->b, strlen(c->b)) && key_cmp(ka, kb) != c->want)
            fail_msg("keys of %s and %s: want %d", c->a, c->b, c->want);
    }
    srand(4242);
    for (round = 0; round < 200000; round++) {
        char t[2][24];
        size_t n[2], k, m;
        numtext_key key[2];
        int ok[2];
        for (m = 0; m < 2; m++) {
            n[m] = (size_t)(rand() % 20);
            for (k = 0; k < n[m]; k++) {
                int r = rand() % 28;
                t[m][k] = r < 14 ? (char)('0' + r % 10) : alphabet[rand() % 16];
            }
            ok[m] = key_of(&key[m], t[m], n[m]);
            if (ok[m] != is_short_plain(t[m], n[m]))
                fail_msg("key_padded(\"%.*s\") = %d", (int)n[m], t[m],
                         ok[m]);
        }
        if (ok[0] && ok[1] &&
            key_cmp(key[0], key[1]) !=
                sgn(numtext_compare(t[0], n[0], t[1], n[1])))
            fail_msg("keys of \"%.*s\" and \"%.*s\" out of order",
                     (int)n[0], t[0], (int)n[1], t[1]);
    }
}

/* Keys through shapes are the same keys, for every text of up to 8 bytes
 * over a small alphabet (all of them up to 6 bytes), whatever shape
 * entries were made first. */
static void test_key_word(void **state)
{
    static const char alphabet[] = "0159-.e\0";
    static struct numtext_shape shapes[256];
    const size_t na = sizeof alphabet - 1;
    size_t n, i, round, keyed = 0;

    (void)state;
    memset(shapes, 0, sizeof shapes);
    for (n = 1; n <= 6; n++) {
        size_t total = 1, idx;
        for (i = 0; i < n; i++)
            total *= na;
        for (idx = 0; idx < total; idx++) {
            char t[8];
            size_t x = idx;
            numtext_key kw, kp;
            int rw, rp;
            for (i = 0; i < n; i++) {
                t[i] = alphabet[x % na];
                x /= na;
            }
            rw = key_of_word(&kw, shapes, t, n);
            rp = key_of(&kp, t, n);
            if (rw != rp || (rw && kw != kp))
                fail_msg("key_word and key_padded differ on \"%.*s\"",
                         (int)n, t);
            keyed += (size_t)rw;
        }
    }
    if (keyed < 1000)
        fail_msg("only %zu texts keyed", keyed);
    srand(99);
    for (round = 0; round < 300000; round++) {
        char t[8];
        numtext_key kw, kp;
        int rw, rp;
        n = 1 + (size_t)(rand() % 8);
        for (i = 0; i < n; i++) {
            int r = rand() % 16;
            t[i] = r < 10 ? (char)('0' + r) : "-.eE+\xff"[r - 10];
        }
        rw = key_of_word(&kw, shapes, t, n);
        rp = key_of(&kp, t, n);
        if (rw != rp || (rw && kw != kp))
            fail_msg("key_word and key_padded differ on \"%.*s\"", (int)n,
                     t);
    }
    for (i = 0; i < 256; i++) {
        struct numtext_shape sh;
        numtext_shape_init(&sh, (unsigned)i);
        assert_true(sh.state == NUMTEXT_SHAPE_NONE ||
                    sh.state == NUMTEXT_SHAPE_OK);
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
        cmocka_unit_test(test_key_padded),
        cmocka_unit_test(test_key_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
