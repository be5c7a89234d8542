/* Unit tests of the ledger's rules that every backend shares
 * (pricing/ledger.c): the credit split with its carry and the cap on a
 * balance, its reversal (borrow and carry of a unit, owed units), and a
 * seeded run of credits then reversals in reverse order that must give
 * every balance back exactly; a pass's time bought with whole prices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pricing/ledger.h"

static void test_split_table(void **state)
{
    static const struct {
        const char *amount, *carry, *unit;
        uint64_t units, add;
        const char *after;
    } cases[] = {
        {"2500", "0", "1000", 0, 2, "500"},
        {"1700", "500", "1000", 2, 2, "200"},
        {"999", "0", "1000", 0, 0, "999"},
        {"1", "999", "1000", 0, 1, "0"},
        {"0", "0", "1", 5, 0, "0"},
        /* Up to the cap exactly. */
        {"5000", "0", "1000", 9223372036854775802ULL, 5, "0"},
        {"9223372036854775807999", "0", "1000", 0, 9223372036854775807ULL,
         "999"},
        /* Amount and carry divided apart: no overflow near 2^128. */
        {"340282366920938463463374607431768211455",
         "999999999999999999999999999999",
         "1000000000000000000000000000000", 0, 340282367,
         "920938463463374607431768211454"},
    };
    static const struct {
        const char *amount, *carry, *unit;
        uint64_t units;
    } over[] = {
        /* 2^128 - 1 wei at 1 wei a unit; one past the cap; a full one. */
        {"340282366920938463463374607431768211455", "0", "1", 0},
        {"9223372036854775808000", "0", "1000", 0},
        {"5000", "0", "1000", 9223372036854775803ULL},
        {"1000", "0", "1000", 9223372036854775807ULL},
        {"999", "1", "1000", 9223372036854775807ULL},
    };
    char after[LEDGER_AMOUNT_SIZE];
    uint64_t add;
    struct fault f;
    size_t i;

    (void)state;
    /* Past the cap: not made (DESIGN.md 4: unmatched, "overflow"). */
    for (i = 0; i < sizeof over / sizeof over[0]; i++) {
        add = 7;
        assert_int_equal(ledger_credit_split(&add, after, over[i].amount,
                                             over[i].carry, over[i].unit,
                                             over[i].units, &f),
                         1);
        assert_int_equal(add, 0);
        assert_string_equal(after, over[i].carry);
    }
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (ledger_credit_split(&add, after, cases[i].amount, cases[i].carry,
                                cases[i].unit, cases[i].units, &f) < 0)
            fail_msg("case %zu: %s", i, f.detail);
        if (add != cases[i].add || strcmp(after, cases[i].after) != 0)
            fail_msg("case %zu: %llu, %s", i, (unsigned long long)add, after);
    }
    /* Bad text, a zero unit, a carry not below the unit. */
    assert_int_equal(ledger_credit_split(&add, after, "12x", "0", "1", 0, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_int_equal(ledger_credit_split(&add, after, "1", "0", "0", 0, &f),
                     -1);
    assert_int_equal(ledger_credit_split(&add, after, "1", "5", "5", 0, &f),
                     -1);
    assert_int_equal(ledger_credit_split(&add, after, "01", "0", "5", 0, &f),
                     -1);
    assert_int_equal(add, 0);
    assert_string_equal(after, "0");
}

/* Credit, then reverse: the pair is back where it was, whatever the carry
 * did; spent units become owed. */
static void test_reverse_restores(void **state)
{
    uint64_t seed = 0x5eed, units, owed, add, u2, o2;
    char carry[LEDGER_AMOUNT_SIZE], after[LEDGER_AMOUNT_SIZE];
    char back[LEDGER_AMOUNT_SIZE], amount[LEDGER_AMOUNT_SIZE];
    char unit[LEDGER_AMOUNT_SIZE];
    struct fault f;
    int i;

    (void)state;
    for (i = 0; i < 20000; i++) {
        uint64_t u, a, c, spent;

        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        u = (seed >> 33) % 5000 + 1;
        a = (seed >> 13) % 100000;
        c = (seed >> 7) % u;
        units = (seed >> 40) % 50;
        snprintf(unit, sizeof unit, "%llu", (unsigned long long)u);
        snprintf(amount, sizeof amount, "%llu", (unsigned long long)a);
        snprintf(carry, sizeof carry, "%llu", (unsigned long long)c);
        assert_int_equal(ledger_credit_split(&add, after, amount, carry, unit,
                                             units, &f),
                         0);
        assert_int_equal(add, (a + c) / u);
        assert_int_equal(strtoull(after, NULL, 10), (a + c) % u);
        /* Some of it is spent before the reversal. */
        spent = (seed >> 50) % (units + add + 1);
        assert_int_equal(ledger_reverse_split(&u2, &o2, back, amount, unit,
                                              add, units + add - spent, 0,
                                              after, &f),
                         0);
        assert_string_equal(back, carry);
        if (spent <= units) {
            assert_int_equal(u2, units - spent);
            assert_int_equal(o2, 0);
        } else {
            assert_int_equal(u2, 0);
            assert_int_equal(o2, spent - units);
        }
    }
    owed = 0;
    (void)owed;
}

/* Whole prices of units turn into time from max(now, expiry); the rest
 * is not used; a pass past the end of time is refused whole. */
static void test_pass_extend(void **state)
{
    static const struct {
        uint64_t units, price, duration;
        int64_t expires, now;
        uint64_t used;
        int64_t after;
    } cases[] = {
        {7, 3, 100, 0, 500, 6, 700},          /* the first pass */
        {2, 3, 100, 0, 500, 0, 0},            /* less than a price */
        {2, 3, 100, 650, 500, 0, 650},
        {3, 3, 100, 700, 1000, 3, 1100},      /* expired: from now */
        {3, 3, 100, 1200, 1000, 3, 1300},     /* running: from its end */
        {3, 3, 100, 1000, 1000, 3, 1100},
        {0, 1, 1, 5, 10, 0, 5},
        {LEDGER_UNITS_MAX, LEDGER_UNITS_MAX, 1, 0, 0, LEDGER_UNITS_MAX, 1},
        {1, 1, 10, INT64_MAX - 10, 0, 1, INT64_MAX},
        {29, 10, 315360000, 0, 1767225600, 20, 1767225600LL + 630720000LL},
    };
    static const struct {
        uint64_t units, price, duration;
        int64_t expires, now;
    } bad[] = {
        {5, 0, 100, 0, 0},                    /* no price */
        {5, 1, 0, 0, 0},                      /* no duration */
        {1, 1, 11, INT64_MAX - 10, 0},        /* one second too far */
        {1, 1, 11, 0, INT64_MAX - 10},
        {30000000000ULL, 1, 315360000, 0, 1767225600},
        {LEDGER_UNITS_MAX, 1, 2, 0, 0},       /* n * duration wraps */
    };
    uint64_t used;
    int64_t after;
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (ledger_pass_extend(&used, &after, cases[i].units, cases[i].price,
                               cases[i].duration, cases[i].expires,
                               cases[i].now, &f) < 0)
            fail_msg("case %zu: %s", i, f.detail);
        if (used != cases[i].used || after != cases[i].after)
            fail_msg("case %zu: used %llu, expires %lld", i,
                     (unsigned long long)used, (long long)after);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        used = 7;
        after = 7;
        fault_clear(&f);
        assert_int_equal(ledger_pass_extend(&used, &after, bad[i].units,
                                            bad[i].price, bad[i].duration,
                                            bad[i].expires, bad[i].now, &f),
                         -1);
        assert_int_equal(f.kind, FAULT_CORRUPT);
        assert_int_equal(used, 0);
        assert_int_equal(after, bad[i].expires);
    }
}

static void test_names(void **state)
{
    enum ledger_state s;
    int i;

    (void)state;
    for (i = LEDGER_CONFIRMING; i <= LEDGER_REVERSED; i++) {
        assert_int_equal(
            ledger_state_parse(&s, ledger_state_name((enum ledger_state)i)),
            0);
        assert_int_equal(s, i);
    }
    assert_int_equal(ledger_state_parse(&s, "seen"), -1);
    assert_int_equal(ledger_state_parse(&s, NULL), -1);
    assert_null(ledger_state_name((enum ledger_state)9));
    assert_int_equal(ledger_reason_parse("reorged"), LEDGER_REORGED);
    assert_int_equal(ledger_reason_parse("nope"), LEDGER_REASON_NONE);
    assert_null(ledger_reason_name(LEDGER_REASON_NONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_table),
        cmocka_unit_test(test_reverse_restores),
        cmocka_unit_test(test_pass_extend),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
