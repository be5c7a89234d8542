/* Unit tests for client/ethrpc.c: the strict readers of quantities and
 * data, and, against a scripted server, the answers a real node does not
 * give on demand (JSON-RPC errors, a wrong id, a missing result, HTTP
 * errors, a hash that is not ours). What a real node answers is tested
 * with anvil in tests/integration/test_cli_buy.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/ethrpc.h"
#include "tests/support/httpstub.h"

#define OK_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
                "Connection: close\r\n\r\n"

static void test_quantity(void **state)
{
    static const struct {
        const char *text;
        int ok;
        uint64_t want;
    } cases[] = {
        {"0x0", 1, 0},
        {"0x1", 1, 1},
        {"0x7a69", 1, 31337},
        {"0xAA36A7", 1, 11155111},
        {"0xffffffffffffffff", 1, UINT64_MAX},
        {"0x", 0, 0},
        {"0x00", 0, 0},
        {"0x01", 0, 0},
        {"0x10000000000000000", 0, 0},
        {"7a69", 0, 0},
        {"0X7a69", 0, 0},
        {"0x7g", 0, 0},
        {"0x7a69 ", 0, 0},
        {"-0x1", 0, 0},
    };
    struct fault f;
    uint64_t v;
    json_t *j;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        j = json_string(cases[i].text);
        v = 99;
        fault_clear(&f);
        assert_int_equal(ethrpc_parse_quantity(&v, j, "q", &f),
                         cases[i].ok ? 0 : -1);
        assert_true(v == cases[i].want);
        if (!cases[i].ok)
            assert_int_equal(f.kind, FAULT_CORRUPT);
        json_decref(j);
    }
    j = json_integer(5); /* a JSON number is not a quantity */
    assert_int_equal(ethrpc_parse_quantity(&v, j, "q", &f), -1);
    json_decref(j);
    assert_int_equal(ethrpc_parse_quantity(&v, NULL, "q", &f), -1);
}

static void test_data(void **state)
{
    uint8_t out[4];
    struct fault f;
    json_t *j;

    (void)state;
    j = json_string("0xDEADbeef");
    assert_int_equal(ethrpc_parse_data(out, 4, j, "d", &f), 0);
    assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
    json_decref(j);
    j = json_string("0xdeadbe");
    assert_int_equal(ethrpc_parse_data(out, 4, j, "d", &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_memory_equal(out, "\0\0\0\0", 4);
    json_decref(j);
    j = json_string("deadbeef");
    assert_int_equal(ethrpc_parse_data(out, 4, j, "d", &f), -1);
    json_decref(j);
}

static void rpc_for(struct ethrpc *r, uint16_t port, const char *prefix)
{
    char url[128];
    struct fault f;

    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port,
             prefix);
    assert_int_equal(ethrpc_init(r, url, "--rpc-url", &f), 0);
    r->http.conn.timeout_ms = 5000;
}

static void test_answers(void **state)
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
        {"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\nno", 1, 0},
        /* 6: not JSON */
        {OK_HEAD "<html>", 1, 0},
        /* 7: eth_sendRawTransaction names another hash */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x11111111111111"
                 "11111111111111111111111111111111111111111111111111\"}", 1,
         0},
        /* 8: a receipt not mined yet */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":null}", 1, 0},
        /* 9: a quantity with a leading zero */
        {OK_HEAD "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":\"0x07a69\"}", 1,
         0},
    };
    struct ethrpc_receipt rc;
    struct httpstub s;
    struct ethrpc r;
    struct fault f;
    uint8_t hash[32];
    uint64_t v;
    int found;

    (void)state;
    memset(hash, 0x22, sizeof hash);
    httpstub_start(&s, steps, sizeof steps / sizeof steps[0]);
    rpc_for(&r, s.port, "/v3/key");
    assert_int_equal(ethrpc_chain_id(&r, &v, &f), 0);
    assert_true(v == 31337);

    assert_int_equal(ethrpc_chain_id(&r, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_CONFLICT);
    assert_non_null(strstr(f.detail, "refused eth_chainId: execution "
                                     "reverted custom error (code 3); "
                                     "data 0x7c946ed7"));
    assert_int_equal(ethrpc_chain_id(&r, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_non_null(strstr(f.detail, "with the id we sent"));
    assert_int_equal(ethrpc_chain_id(&r, &v, &f), -1);
    assert_non_null(strstr(f.detail, "neither result nor error"));
    assert_int_equal(ethrpc_chain_id(&r, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_UNAVAILABLE);
    assert_non_null(strstr(f.detail, "answered HTTP 502"));
    assert_int_equal(ethrpc_chain_id(&r, &v, &f), -1);
    assert_non_null(strstr(f.detail, "not a JSON object"));
    assert_int_equal(ethrpc_send_raw(&r, (const uint8_t *)"\x02\xc0", 2,
                                     hash, &f), -1);
    assert_non_null(strstr(f.detail, "another hash"));
    found = 9;
    assert_int_equal(ethrpc_receipt(&r, &rc, &found, hash, &f), 0);
    assert_int_equal(found, 0);
    assert_int_equal(ethrpc_block_number(&r, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_true(v == 0);
    ethrpc_close(&r);
    httpstub_wait(&s);
    assert_int_equal(s.nreqs, sizeof steps / sizeof steps[0]);
    assert_string_equal(s.reqs[0].method, "POST");
    assert_string_equal(s.reqs[0].target, "/v3/key");
    assert_memory_equal(s.reqs[0].body,
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
                        "\"eth_chainId\",\"params\":[]}",
                        s.reqs[0].body_len);
    httpstub_free(&s);
}

static void test_unreachable(void **state)
{
    struct ethrpc r;
    struct fault f;
    uint64_t v;

    (void)state;
    assert_int_equal(ethrpc_init(&r, "http://127.0.0.1:1", "--rpc-url", &f),
                     0);
    assert_int_equal(ethrpc_chain_id(&r, &v, &f), -1);
    assert_int_equal(f.kind, FAULT_UNAVAILABLE);
    assert_non_null(strstr(f.detail, "cannot connect to the Ethereum node at "
                                     "127.0.0.1:1"));
    assert_int_equal(ethrpc_init(&r, "https://x", "--rpc-url", &f), -1);
    assert_string_equal(f.field, "--rpc-url");
    assert_non_null(strstr(f.detail, "https:// Ethereum nodes"));
    assert_null(strstr(f.detail, "gateway"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantity),
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
