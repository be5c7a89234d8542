/*
 * Unit tests for contracts-abi/ethclient.c: each typed call against a
 * real anvil that the case starts itself (a raw transaction made by
 * `cast mktx`, a small contract deployed through eth_sendTransaction),
 * and, against a scripted server (tests/support/httpstub), the answers a
 * real node does not give on demand: JSON-RPC errors with revert data, a
 * wrong id, no result, HTTP errors, a hash that is not ours, a receipt not
 * mined yet, a quantity with a leading zero. Misuse and an unreachable
 * node too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <unistd.h>

#include "contracts-abi/ethclient.h"
#include "lib/hex.h"
#include "lib/keccak.h"
#include "lib/log.h"
#include "tests/support/anvil.h"
#include "tests/support/httpstub.h"

#define ACCOUNT0 "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
#define ACCOUNT1 "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"

/* `cast mktx --private-key <anvil account 0> --chain 31337 --nonce 0
 * --gas-limit 21000 --priority-gas-price 1000000000 --gas-price
 * 3000000000 <account 1> --value 1`: 1 wei from account 0 to account 1. */
static const char raw_tx_hex[] =
    "02f86c827a6980843b9aca0084b2d05e008252089470997970c51812dc3a010c7d01b5"
    "0e0d17dc79c80180c001a0d88980f37a8935c23f1c351cc55f4ed8641bf9d83b653de3"
    "40f6cd516725197ea02c92763070333bf460cf77eb3f613d5177b7a63b37d324c744a9"
    "4a1946edc0db";

/* Init code that deploys runtime code returning one word, 0x2a:
 * PUSH1 10 PUSH1 12 PUSH1 0 CODECOPY PUSH1 10 PUSH1 0 RETURN, then
 * PUSH1 0x2a PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN. */
#define DEPLOY_CODE "0x600a600c600039600a6000f3602a60005260206000f3"
#define RUNTIME_LEN 10

static struct ethclient *open_ok(const char *url)
{
    struct ethclient *c = NULL;
    struct fault f;

    fault_clear(&f);
    if (ethclient_open(&c, url, "--rpc-url", &f) != 0)
        fail_msg("ethclient_open(%s): %s", url, f.detail);
    return c;
}

static void addr(struct ethaddr *a, const char *text)
{
    assert_int_equal(ethaddr_parse(a, text, strlen(text), "a", NULL), 0);
}

/* Wait until hash is mined (anvil mines at once, just after it answers). */
static void wait_receipt(struct ethclient *c, struct ethjson_receipt *rc,
                         const uint8_t hash[32])
{
    struct fault f;
    int found = 0, i;

    for (i = 0; i < 200 && !found; i++) {
        fault_clear(&f);
        if (ethclient_receipt(c, rc, &found, hash, &f) != 0)
            fail_msg("receipt: %s", f.detail);
        if (!found)
            usleep(10000);
    }
    assert_int_equal(found, 1);
}

static void test_anvil_chain(void **state)
{
    struct anvil *a = *state;
    struct ethclient *c = open_ok(a->url);
    struct ethaddr acct0;
    struct fault f;
    uint64_t v = 9, base = 0, tip = 9;
    size_t n = 9;
    char host[64];

    snprintf(host, sizeof host, "%s", a->url + strlen("http://"));
    assert_string_equal(ethclient_host(c), host);
    fault_clear(&f);
    assert_int_equal(ethclient_chain_id(c, &v, &f), 0);
    assert_int_equal(v, 31337);
    addr(&acct0, ACCOUNT0);
    assert_int_equal(ethclient_nonce(c, &v, &acct0, &f), 0);
    assert_int_equal(v, 0);
    assert_int_equal(ethclient_code_size(c, &n, &acct0, &f), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ethclient_fees(c, &base, &tip, &f), 0);
    assert_true(base > 0);
    assert_true(tip < base * 100);
    ethclient_close(c);
}

static void test_anvil_estimate(void **state)
{
    struct anvil *a = *state;
    struct ethclient *c = open_ok(a->url);
    struct ethaddr from, to, poor;
    struct ethclient_msg m;
    uint8_t one_wei[32] = {0}, one_eth[32] = {0};
    struct fault f;
    uint64_t gas = 9;

    addr(&from, ACCOUNT0);
    addr(&to, ACCOUNT1);
    addr(&poor, "0x000000000000000000000000000000000000dead");
    one_wei[31] = 1;
    one_eth[24] = 0x0d; /* 10^18 = 0x0de0b6b3a7640000 */
    one_eth[25] = 0xe0;
    one_eth[26] = 0xb6;
    one_eth[27] = 0xb3;
    one_eth[28] = 0xa7;
    one_eth[29] = 0x64;
    m = (struct ethclient_msg){&from, &to, one_wei, NULL, 0};
    fault_clear(&f);
    if (ethclient_estimate_gas(c, &gas, &m, &f) != 0)
        fail_msg("estimate: %s", f.detail);
    assert_int_equal(gas, 21000);
    /* An account without the ETH: the node refuses, in its own words
     * (anvil prices a plain transfer without looking: some data makes it
     * run the call). */
    m = (struct ethclient_msg){&poor, &to, one_eth, (const uint8_t *)"\x01",
                               1};
    assert_int_equal(ethclient_estimate_gas(c, &gas, &m, &f), -1);
    assert_int_equal(gas, 0);
    assert_int_equal(f.kind, FAULT_CONFLICT);
    assert_non_null(strstr(f.detail, "the Ethereum node refused "
                                     "eth_estimateGas: "));
    assert_non_null(strstr(f.detail, "nsufficient"));
    ethclient_close(c);
}

/* A contract deployed with eth_sendTransaction (ethclient_call): its code
 * size, a read-only call of it, the receipt of its deployment. */
static void test_anvil_contract(void **state)
{
    struct anvil *a = *state;
    struct ethclient *c = open_ok(a->url);
    struct ethjson_receipt rc;
    struct ethclient_msg m;
    struct ethaddr acct0, contract;
    json_t *params, *res = NULL, *raw = NULL;
    uint8_t hash[32], out[64], small[16];
    const char *text;
    struct fault f;
    size_t n = 0;
    uint64_t v;

    addr(&acct0, ACCOUNT0);
    params = json_pack("[{ssss}]", "from", ACCOUNT0, "data", DEPLOY_CODE);
    fault_clear(&f);
    if (ethclient_call(c, &res, "eth_sendTransaction", params, &f) != 0)
        fail_msg("deploy: %s", f.detail);
    json_decref(params);
    text = json_string_value(res);
    assert_non_null(text);
    assert_int_equal(hex_decode_0x(hash, 32, text, strlen(text), "h", NULL),
                     0);
    wait_receipt(c, &rc, hash);
    assert_int_equal(rc.status, 1);
    assert_int_equal(rc.block_number, 1);
    assert_memory_equal(rc.tx_hash, hash, 32);
    ethjson_receipt_clear(&rc);
    /* Its address, from the receipt as the node gives it. */
    params = json_pack("[O]", res);
    assert_int_equal(ethclient_call(c, &raw, "eth_getTransactionReceipt",
                                    params, &f), 0);
    json_decref(params);
    text = json_string_value(json_object_get(raw, "contractAddress"));
    assert_non_null(text);
    addr(&contract, text);
    assert_int_equal(ethclient_code_size(c, &n, &contract, &f), 0);
    assert_int_equal(n, RUNTIME_LEN);
    assert_int_equal(ethclient_nonce(c, &v, &acct0, &f), 0);
    assert_int_equal(v, 1);

    m = (struct ethclient_msg){NULL, &contract, NULL, NULL, 0};
    memset(out, 0x55, sizeof out);
    assert_int_equal(ethclient_call_view(c, out, sizeof out, &n, &m, &f), 0);
    assert_int_equal(n, 32);
    assert_int_equal(out[31], 0x2a);
    assert_int_equal(out[0], 0);
    /* More bytes than asked for: refused, nothing kept. */
    memset(small, 0x55, sizeof small);
    assert_int_equal(ethclient_call_view(c, small, sizeof small, &n, &m, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_int_equal(n, 0);
    assert_int_equal(small[0], 0);
    assert_non_null(strstr(f.detail, "eth_call"));
    json_decref(res);
    json_decref(raw);
    ethclient_close(c);
}

/* A raw transaction signed elsewhere: sent, its hash checked, mined;
 * sent again, refused by the node. */
static void test_anvil_send_raw(void **state)
{
    struct anvil *a = *state;
    struct ethclient *c = open_ok(a->url);
    struct ethjson_receipt rc;
    struct ethaddr acct0;
    uint8_t raw[sizeof raw_tx_hex / 2], hash[32], other[32];
    struct fault f;
    uint64_t v;
    int found = 9;

    assert_int_equal(hex_decode(raw, sizeof raw, raw_tx_hex,
                                strlen(raw_tx_hex), "raw", NULL), 0);
    keccak256(hash, raw, sizeof raw);
    /* Not sent yet: no receipt, and no failure either. */
    fault_clear(&f);
    assert_int_equal(ethclient_receipt(c, &rc, &found, hash, &f), 0);
    assert_int_equal(found, 0);
    if (ethclient_send_raw(c, raw, sizeof raw, hash, &f) != 0)
        fail_msg("send: %s", f.detail);
    wait_receipt(c, &rc, hash);
    assert_int_equal(rc.status, 1);
    assert_int_equal(rc.block_number, 1);
    assert_int_equal(rc.log_count, 0);
    ethjson_receipt_clear(&rc);
    addr(&acct0, ACCOUNT0);
    assert_int_equal(ethclient_nonce(c, &v, &acct0, &f), 0);
    assert_int_equal(v, 1);
    /* The same bytes again: a nonce already used. */
    assert_int_equal(ethclient_send_raw(c, raw, sizeof raw, hash, &f), -1);
    assert_int_equal(f.kind, FAULT_CONFLICT);
    assert_non_null(strstr(f.detail, "refused eth_sendRawTransaction"));
    /* A receipt asked for by another hash is not there. */
    memset(other, 0x11, sizeof other);
    assert_int_equal(ethclient_receipt(c, &rc, &found, other, &f), 0);
    assert_int_equal(found, 0);
    ethclient_close(c);
}

#define OK_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
                "Connection: close\r\n\r\n"
#define HASH22 "0x2222222222222222222222222222222222222222222222222222222222222222"
#define HASH11 "0x1111111111111111111111111111111111111111111111111111111111111111"

static void test_scripted_answers(void **state)
{
    static const struct httpstub_step steps[] = {
        /* 1: eth_chainId, well */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x7a69\"}", 1,
         0},
        /* 2: a JSON-RPC error with revert data */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":3,"
                 "\"message\":\"execution reverted\\ncustom error\","
                 "\"data\":\"0x7c946ed7\"}}", 1, 0},
        /* 3: another id */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x1\"}", 1, 0},
        /* 4: no result */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":4}", 1, 0},
        /* 5: HTTP 502 */
        {"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 2\r\n"
         "Connection: close\r\n\r\nno", 1, 0},
        /* 6: not JSON */
        {OK_HEAD "<html>", 1, 0},
        /* 7: eth_sendRawTransaction names another hash */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"" HASH11 "\"}",
         1, 0},
        /* 8: a receipt not mined yet */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":null}", 1, 0},
        /* 9: a quantity with a leading zero */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":\"0x07a69\"}", 1,
         0},
        /* 10: the receipt of another transaction */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":{\"status\":"
                 "\"0x1\",\"transactionHash\":\"" HASH11 "\",\"blockNumber\":"
                 "\"0x5\",\"blockHash\":\"" HASH11 "\",\"logs\":[]}}", 1, 0},
        /* 11: a receipt, well */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":{\"status\":"
                 "\"0x0\",\"transactionHash\":\"" HASH22 "\",\"blockNumber\":"
                 "\"0x5\",\"blockHash\":\"" HASH11 "\",\"logs\":[]}}", 1, 0},
        /* 12: fee history without base fees */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":12,\"result\":{}}", 1, 0},
    };
    struct ethjson_receipt rc;
    struct ethclient *c;
    struct httpstub s;
    struct fault f;
    uint8_t hash[32];
    uint64_t v, base = 9, tip = 9;
    char url[128];
    int found;

    (void)state;
    memset(hash, 0x22, sizeof hash);
    httpstub_start(&s, steps, sizeof steps / sizeof steps[0]);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v3/key", (unsigned)s.port);
    c = open_ok(url);
    fault_clear(&f);
    assert_int_equal(ethclient_chain_id(c, &v, &f), 0);
    assert_true(v == 31337);

    assert_int_equal(ethclient_chain_id(c, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_CONFLICT);
    assert_non_null(strstr(f.detail, "the Ethereum node refused "
                                     "eth_chainId: execution reverted?custom "
                                     "error (code 3); data 0x7c946ed7"));
    assert_int_equal(ethclient_chain_id(c, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_non_null(strstr(f.detail, "answer to eth_chainId"));
    assert_non_null(strstr(f.detail, "the id we sent"));
    assert_int_equal(ethclient_chain_id(c, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_non_null(strstr(f.detail, "no error either"));
    assert_int_equal(ethclient_chain_id(c, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_UNAVAILABLE);
    assert_non_null(strstr(f.detail, "answered HTTP 502 to eth_chainId"));
    assert_null(strstr(f.detail, "/v3/key")); /* the path may be a key */
    assert_int_equal(ethclient_chain_id(c, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_non_null(strstr(f.detail, "not JSON"));
    assert_int_equal(ethclient_send_raw(c, (const uint8_t *)"\x02\xc0", 2,
                                        hash, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_non_null(strstr(f.detail, "another hash"));
    found = 9;
    assert_int_equal(ethclient_receipt(c, &rc, &found, hash, &f), 0);
    assert_int_equal(found, 0);
    v = 9;
    assert_int_equal(ethclient_chain_id(c, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_string_equal(f.field, "eth_chainId");
    assert_non_null(strstr(f.detail, "the Ethereum node's answer to "
                                     "eth_chainId is wrong"));
    assert_true(v == 0);
    found = 9;
    assert_int_equal(ethclient_receipt(c, &rc, &found, hash, &f), -1);
    assert_int_equal(found, 0);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_non_null(strstr(f.detail, "receipt of another transaction"));
    assert_int_equal(ethclient_receipt(c, &rc, &found, hash, &f), 0);
    assert_int_equal(found, 1);
    assert_int_equal(rc.status, 0);
    assert_int_equal(rc.block_number, 5);
    ethjson_receipt_clear(&rc);
    assert_int_equal(ethclient_fees(c, &base, &tip, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_true(base == 0 && tip == 0);
    ethclient_close(c);
    httpstub_wait(&s);
    assert_int_equal(s.nreqs, sizeof steps / sizeof steps[0]);
    assert_string_equal(s.reqs[0].method, "POST");
    assert_string_equal(s.reqs[0].target, "/v3/key");
    assert_int_equal(s.reqs[0].body_len,
                     strlen("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                            "\"eth_chainId\",\"params\":[]}"));
    assert_memory_equal(s.reqs[0].body,
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                        "\"eth_chainId\",\"params\":[]}",
                        s.reqs[0].body_len);
    httpstub_free(&s);
}

static void test_unreachable_and_misuse(void **state)
{
    struct ethclient *c = NULL;
    sigset_t before, after;
    struct fault f;
    uint64_t v = 9;
    json_t *res = (json_t *)&v;

    (void)state;
    c = open_ok("http://127.0.0.1:1");
    assert_string_equal(ethclient_host(c), "127.0.0.1:1");
    sigemptyset(&before);
    sigemptyset(&after);
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    fault_clear(&f);
    assert_int_equal(ethclient_chain_id(c, &v, &f), -1);
    assert_true(v == 0);
    assert_int_equal(f.kind, FAULT_UNAVAILABLE);
    assert_non_null(strstr(f.detail, "cannot connect to the Ethereum node at "
                                     "127.0.0.1:1"));
    /* The call leaves the signal mask as it found it. */
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    assert_int_equal(sigismember(&before, SIGPIPE),
                     sigismember(&after, SIGPIPE));
    /* Misuse: a method that cannot be sent. */
    assert_int_equal(ethclient_call(c, &res, "", NULL, &f), -1);
    assert_null(res);
    assert_int_equal(f.kind, FAULT_INVALID);
    ethclient_close(c);
    ethclient_close(NULL);

    c = (struct ethclient *)&v;
    assert_int_equal(ethclient_open(&c, "ftp://127.0.0.1/", "--rpc-url", &f),
                     -1);
    assert_null(c);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "--rpc-url");
    assert_non_null(strstr(f.detail, "--rpc-url must start with http://"));
    assert_int_equal(ethclient_open(&c, "127.0.0.1:8545", "--rpc-url", &f),
                     -1);
    assert_string_equal(f.field, "--rpc-url");
    assert_int_equal(ethclient_open(&c, NULL, "--rpc-url", &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    /* https:// is spoken (rpc.c): opening connects nothing yet. */
    c = open_ok("https://127.0.0.1:1/key");
    assert_string_equal(ethclient_host(c), "127.0.0.1:1");
    ethclient_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_anvil_chain, anvil_setup,
                                        anvil_teardown),
        cmocka_unit_test_setup_teardown(test_anvil_estimate, anvil_setup,
                                        anvil_teardown),
        cmocka_unit_test_setup_teardown(test_anvil_contract, anvil_setup,
                                        anvil_teardown),
        cmocka_unit_test_setup_teardown(test_anvil_send_raw, anvil_setup,
                                        anvil_teardown),
        cmocka_unit_test(test_scripted_answers),
        cmocka_unit_test(test_unreachable_and_misuse),
    };

    log_set_level(getenv("SLUICE_TEST_LOG") ? LOG_DEBUG : LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
