/* Unit tests for client/ether.c: exact ETH <-> wei conversions (checked
 * with `cast to-wei` and `cast to-unit ... ether`), and every refusal of
 * `sluice buy --amount`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/ether.h"

#define MAX_WEI                                                             \
    "115792089237316195423570985008687907853269984665640564039457584007913" \
    "129639935"

static void test_parse(void **state)
{
    static const struct {
        const char *text, *wei, *eth;
    } cases[] = {
        {"1", "1000000000000000000", "1"},
        {"1.5", "1500000000000000000", "1.5"},
        {"0.05", "50000000000000000", "0.05"},
        {"0.000000000000000001", "1", "0.000000000000000001"},
        {"1.000000000000000001", "1000000000000000001",
         "1.000000000000000001"},
        {"12.340", "12340000000000000000", "12.34"},
        {"007", "7000000000000000000", "7"},
        {"123456789", "123456789000000000000000000", "123456789"},
        /* cast to-unit 2^256-1 ether */
        {"115792089237316195423570985008687907853269984665640564039457."
         "584007913129639935",
         MAX_WEI,
         "115792089237316195423570985008687907853269984665640564039457."
         "584007913129639935"},
    };
    uint8_t wei[32];
    char text[ETHER_WEI_TEXT_SIZE];
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_clear(&f);
        assert_int_equal(ether_parse(wei, cases[i].text, "--amount", &f), 0);
        assert_int_equal(ether_wei_text(text, sizeof text, wei), 0);
        assert_string_equal(text, cases[i].wei);
        assert_int_equal(ether_eth_text(text, sizeof text, wei), 0);
        assert_string_equal(text, cases[i].eth);
    }
}

static void test_refused(void **state)
{
    static const struct {
        const char *text, *says;
    } cases[] = {
        {"0.0000000000000000001", "19 decimals"},
        {"1.1234567890123456789", "19 decimals"},
        {"0", "above zero"},
        {"0.000", "above zero"},
        {"-1", "without a sign"},
        {"+1", "without a sign"},
        {"", "needs an amount"},
        {"1.", "such as 1 or 0.05"},
        {".5", "such as 1 or 0.05"},
        {"1e18", "such as 1 or 0.05"},
        {"1,5", "such as 1 or 0.05"},
        {" 1", "such as 1 or 0.05"},
        {"1 ", "such as 1 or 0.05"},
        {"0x10", "such as 1 or 0.05"},
        {"1.2.3", "such as 1 or 0.05"},
        {"115792089237316195423570985008687907853269984665640564039457."
         "584007913129639936", "too large"},
        {"999999999999999999999999999999999999999999999999999999999999999",
         "too large"},
    };
    uint8_t wei[32], zero[32];
    struct fault f;
    size_t i;

    (void)state;
    memset(zero, 0, sizeof zero);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(wei, 0xee, sizeof wei);
        fault_clear(&f);
        assert_int_equal(ether_parse(wei, cases[i].text, "--amount", &f), -1);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "--amount");
        if (strstr(f.detail, cases[i].says) == NULL)
            fail_msg("'%s': '%s' does not say '%s'", cases[i].text, f.detail,
                     cases[i].says);
        assert_memory_equal(wei, zero, 32);
    }
}

static void test_text(void **state)
{
    uint8_t wei[32];
    char small[4];

    (void)state;
    ether_from_u64(wei, 0);
    assert_true(ether_is_zero(wei));
    assert_int_equal(ether_wei_text(small, sizeof small, wei), 0);
    assert_string_equal(small, "0");
    assert_int_equal(ether_eth_text(small, sizeof small, wei), 0);
    assert_string_equal(small, "0");
    ether_from_u64(wei, UINT64_MAX);
    assert_false(ether_is_zero(wei));
    memset(small, 'x', sizeof small);
    assert_int_equal(ether_wei_text(small, sizeof small, wei), -1);
    assert_string_equal(small, "");
    ether_from_u64(wei, 1500);
    assert_int_equal(ether_wei_text(small, sizeof small, wei), -1);
    assert_int_equal(ether_eth_text(small, 0, wei), -1);
    assert_int_equal(ether_eth_text(small, sizeof small, wei), -1);
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
