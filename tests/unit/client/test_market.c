/* The calldata the CLI sends (client/market.c for owed, contracts-abi/abi.c
 * for purchase and withdraw, as cli_buy and cli_withdraw use them) is byte
 * for byte what Foundry's `cast calldata` makes for the same call
 * (commands beside each expected value). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/market.h"
#include "contracts-abi/abi.h"
#include "lib/hex.h"

static void load_market(struct abi_market *m)
{
    size_t len = 0;
    const char *json = abi_market_json(&len);
    struct fault f;

    assert_int_equal(abi_market_load(m, json, len, &f), 0);
}

static void parse_addr(struct ethaddr *a, const char *text)
{
    struct fault f;

    assert_int_equal(ethaddr_parse(a, text, strlen(text), "a", &f), 0);
}

static void test_purchase(void **state)
{
    /* cast calldata 'purchase(bytes32,address,address,bytes32)'
     *   0x1111...11 (32 bytes) 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
     *   0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 0x00...ab (32 bytes) */
    static const char want[] =
        "0x2fde4f2e111111111111111111111111111111111111111111111111111111"
        "111111111100000000000000000000000070997970c51812dc3a010c7d01b50e"
        "0d17dc79c80000000000000000000000003c44cdddb6a900fa2b585dd299e03d"
        "12fa4293bc00000000000000000000000000000000000000000000000000000000"
        "000000ab";
    uint8_t id[32], ref[32], out[ABI_PURCHASE_CALLDATA_LEN];
    char hex[2 * ABI_PURCHASE_CALLDATA_LEN + 3];
    struct ethaddr owner, worker;
    struct abi_market m;

    (void)state;
    load_market(&m);
    memset(id, 0x11, sizeof id);
    memset(ref, 0, sizeof ref);
    ref[31] = 0xab;
    parse_addr(&owner, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    parse_addr(&worker, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    abi_encode_purchase(out, &m, id, &owner, &worker, ref);
    assert_int_equal(hex_encode_0x(hex, sizeof hex, out, sizeof out), 0);
    assert_string_equal(hex, want);
}

static void test_withdraw_and_owed(void **state)
{
    uint8_t w[ABI_WITHDRAW_CALLDATA_LEN], o[MARKET_OWED_LEN];
    char hex[2 * MARKET_OWED_LEN + 3];
    struct ethaddr a;
    struct abi_market m;

    (void)state;
    load_market(&m);
    abi_encode_withdraw(w, &m); /* cast sig 'withdraw()' */
    assert_int_equal(hex_encode_0x(hex, sizeof hex, w, sizeof w), 0);
    assert_string_equal(hex, "0x3ccfd60b");
    /* cast calldata 'owed(address)'
     *   0x70997970C51812dc3A010C7d01b50e0d17dc79C8 */
    parse_addr(&a, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    market_owed_calldata(o, &a);
    assert_int_equal(hex_encode_0x(hex, sizeof hex, o, sizeof o), 0);
    assert_string_equal(hex, "0xdf18e04700000000000000000000000070997970c5"
                             "1812dc3a010c7d01b50e0d17dc79c8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purchase),
        cmocka_unit_test(test_withdraw_and_owed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
