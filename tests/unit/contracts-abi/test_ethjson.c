/* Unit tests for contracts-abi/ethjson.c: every refusal names its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "contracts-abi/ethjson.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

#define H32A "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H32B "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define H32C "0xCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
#define ADDR "0x5fbdb2315678afecb367f032d93f642f64180aa3"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

    if (j == NULL)
        fail_msg("bad test JSON %s: %s", text, e.text);
    return j;
}

static void check_fault(const struct fault *f, enum fault_kind kind,
                        const char *field, const char *what)
{
    if (f->kind != kind)
        fail_msg("%s: kind %s, want %s (%s)", what, fault_kind_name(f->kind),
                 fault_kind_name(kind), f->detail);
    if (field != NULL && strcmp(f->field, field) != 0)
        fail_msg("%s: field \"%s\", want \"%s\" (%s)", what, f->field, field,
                 f->detail);
    if (field != NULL && strstr(f->detail, field) == NULL)
        fail_msg("%s: detail \"%s\" does not name %s", what, f->detail,
                 field);
}

static void test_quantity(void **state)
{
    static const struct {
        const char *json;
        uint64_t want;
    } good[] = {
        {"\"0x0\"", 0},
        {"\"0x1\"", 1},
        {"\"0x7a69\"", 31337},
        {"\"0xABCdef\"", 0xabcdef},
        {"\"0xAA36A7\"", 11155111}, /* Sepolia's chain id, upper case */
        {"\"0xffffffffffffffff\"", UINT64_MAX},
    };
    static const char *const bad[] = {
        "\"0x\"", "\"0x00\"", "\"0x01\"", "\"1\"", "\"0X1\"", "\"x1\"",
        "\"0xg\"", "\"0x1 \"", "\"0x-1\"", "\"0x10000000000000000\"",
        "\"0x1ffffffffffffffff\"", "\"\"", "1", "null", "true", "[]",
        "{}", "\"0x\\u00001\"", "\"-0x1\"", "\"0x7a69 \"", "\" 0x1\"",
    };
    struct fault f;
    uint64_t v;
    json_t *j;
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(good); i++) {
        j = parse(good[i].json);
        fault_clear(&f);
        if (ethjson_quantity(&v, j, "result", &f) != 0)
            fail_msg("refused %s: %s", good[i].json, f.detail);
        assert_int_equal(v, good[i].want);
        json_decref(j);
    }
    for (i = 0; i < COUNT(bad); i++) {
        j = parse(bad[i]);
        fault_clear(&f);
        v = 5;
        if (ethjson_quantity(&v, j, "result.number", &f) == 0)
            fail_msg("accepted %s", bad[i]);
        assert_int_equal(v, 0);
        check_fault(&f, FAULT_CORRUPT, "result.number", bad[i]);
        json_decref(j);
    }
    assert_int_equal(ethjson_quantity(&v, NULL, "result", &f), -1);
    check_fault(&f, FAULT_CORRUPT, "result", "absent");
    assert_int_equal(ethjson_quantity(NULL, NULL, "result", &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
}

static void test_data(void **state)
{
    static const char *const bad20[] = {
        "\"0x5fbdb2315678afecb367f032d93f642f64180aa\"",   /* odd */
        "\"0x5fbdb2315678afecb367f032d93f642f64180a\"",    /* 19 bytes */
        "\"0x5fbdb2315678afecb367f032d93f642f64180aa3aa\"", /* 21 */
        "\"5fbdb2315678afecb367f032d93f642f64180aa3\"",    /* no 0x */
        "\"0X5fbdb2315678afecb367f032d93f642f64180aa3\"",
        "\"0x5fbdb2315678afecb367f032d93f642f64180zz3\"",
        "\"0x\"", "7", "null",
    };
    uint8_t out[32], var[4];
    size_t len = 9, i;
    struct fault f;
    json_t *j;

    (void)state;
    j = parse("\"" ADDR "\"");
    assert_int_equal(ethjson_data_fixed(out, 20, j, "result.address", &f), 0);
    assert_int_equal(out[0], 0x5f);
    assert_int_equal(out[19], 0xa3);
    json_decref(j);
    j = parse("\"" H32C "\"");
    assert_int_equal(ethjson_data_fixed(out, 32, j, "result.hash", &f), 0);
    assert_int_equal(out[31], 0xcc);
    json_decref(j);
    for (i = 0; i < COUNT(bad20); i++) {
        j = parse(bad20[i]);
        memset(out, 0x55, sizeof out);
        fault_clear(&f);
        if (ethjson_data_fixed(out, 20, j, "result.address", &f) == 0)
            fail_msg("accepted %s", bad20[i]);
        assert_int_equal(out[0], 0);
        check_fault(&f, FAULT_CORRUPT, "result.address", bad20[i]);
        json_decref(j);
    }
    j = parse("\"0x\"");
    assert_int_equal(ethjson_data_var(var, sizeof var, &len, j, "d", &f), 0);
    assert_int_equal(len, 0);
    json_decref(j);
    j = parse("\"0x01020304\"");
    assert_int_equal(ethjson_data_var(var, sizeof var, &len, j, "d", &f), 0);
    assert_int_equal(len, 4);
    assert_int_equal(var[3], 4);
    json_decref(j);
    j = parse("\"0x0102030405\"");
    assert_int_equal(ethjson_data_var(var, sizeof var, &len, j, "d", &f), -1);
    assert_int_equal(len, 0);
    check_fault(&f, FAULT_CORRUPT, "d", "too long");
    json_decref(j);
    j = parse("\"0x010\"");
    assert_int_equal(ethjson_data_var(var, sizeof var, &len, j, "d", &f), -1);
    check_fault(&f, FAULT_CORRUPT, "d", "odd");
    json_decref(j);
}

static const char block_json[] =
    "{\"number\":\"0x1b4\",\"hash\":\"" H32A "\",\"parentHash\":\"" H32B
    "\",\"timestamp\":\"0x6553f100\",\"miner\":\"" ADDR "\","
    "\"transactions\":[]}";

static void test_block(void **state)
{
    static const struct {
        const char *key, *value, *field; /* value NULL: remove the key */
    } bad[] = {
        {"number", NULL, "result.number"},
        {"number", "\"0x01b4\"", "result.number"},
        {"number", "436", "result.number"},
        {"hash", "\"0xaa\"", "result.hash"},
        {"hash", NULL, "result.hash"},
        {"parentHash", "null", "result.parentHash"},
        {"timestamp", "\"0x\"", "result.timestamp"},
    };
    struct ethjson_block b;
    struct fault f;
    json_t *j;
    size_t i;

    (void)state;
    j = parse(block_json);
    fault_clear(&f);
    assert_int_equal(ethjson_block(&b, j, "result", &f), 0);
    assert_int_equal(b.number, 436);
    assert_int_equal(b.timestamp, 0x6553f100);
    assert_int_equal(b.hash[0], 0xaa);
    assert_int_equal(b.parent_hash[31], 0xbb);
    json_decref(j);
    for (i = 0; i < COUNT(bad); i++) {
        j = parse(block_json);
        if (bad[i].value == NULL)
            json_object_del(j, bad[i].key);
        else
            json_object_set_new(j, bad[i].key, parse(bad[i].value));
        memset(&b, 0x55, sizeof b);
        fault_clear(&f);
        if (ethjson_block(&b, j, "result", &f) == 0)
            fail_msg("accepted %s = %s", bad[i].key, bad[i].value);
        assert_int_equal(b.number, 0);
        assert_int_equal(b.hash[0], 0);
        check_fault(&f, FAULT_CORRUPT, bad[i].field, bad[i].key);
        json_decref(j);
    }
    j = parse("null");
    assert_int_equal(ethjson_block(&b, j, "result", &f), -1);
    check_fault(&f, FAULT_NOT_FOUND, "result", "null block");
    json_decref(j);
    j = parse("[]");
    assert_int_equal(ethjson_block(&b, j, "result", &f), -1);
    check_fault(&f, FAULT_CORRUPT, "result", "array block");
    json_decref(j);
}

#define LOG_JSON(topics, data, extra)                                        \
    "{\"address\":\"" ADDR "\",\"topics\":" topics ",\"data\":\"" data       \
    "\",\"blockNumber\":\"0x5\",\"blockHash\":\"" H32A                      \
    "\",\"transactionHash\":\"" H32B "\",\"transactionIndex\":\"0x0\","     \
    "\"logIndex\":\"0x2\"" extra "}"

static void test_log(void **state)
{
    static const struct {
        const char *json, *field;
    } bad[] = {
        {LOG_JSON("[\"" H32A "\",\"0x12\"]", "0x", ""),
         "result[3].topics[1]"},
        {LOG_JSON("[\"" H32A "\",\"" H32A "\",\"" H32A "\",\"" H32A
                  "\",\"" H32A "\"]",
                  "0x", ""),
         "result[3].topics"},
        {LOG_JSON("\"" H32A "\"", "0x", ""), "result[3].topics"},
        {LOG_JSON("[]", "0x1", ""), "result[3].data"},
        {LOG_JSON("[]", "12", ""), "result[3].data"},
        {LOG_JSON("[]", "0x", ",\"removed\":\"no\""), "result[3].removed"},
        {LOG_JSON("[]", "0x", ",\"removed\":null"), "result[3].removed"},
        {"{\"address\":\"" ADDR "\",\"topics\":[],\"data\":\"0x\","
         "\"blockNumber\":null,\"blockHash\":null,\"transactionHash\":null,"
         "\"transactionIndex\":null,\"logIndex\":null}",
         "result[3].blockNumber"},
        {"{\"topics\":[],\"data\":\"0x\"}", "result[3].address"},
        {"[1]", "result[3]"},
    };
    struct ethjson_log lg;
    struct fault f;
    json_t *j;
    size_t i;

    (void)state;
    j = parse(LOG_JSON("[\"" H32A "\",\"" H32C "\"]", "0x00ff", ""));
    fault_clear(&f);
    if (ethjson_log(&lg, j, "result[0]", &f) != 0)
        fail_msg("log: %s", f.detail);
    assert_int_equal(lg.topic_count, 2);
    assert_int_equal(lg.topics[1][0], 0xcc);
    assert_int_equal(lg.data_len, 2);
    assert_int_equal(lg.data[1], 0xff);
    assert_int_equal(lg.block_number, 5);
    assert_int_equal(lg.log_index, 2);
    assert_int_equal(lg.removed, 0);
    ethjson_log_clear(&lg);
    assert_null(lg.data);
    json_decref(j);
    j = parse(LOG_JSON("[]", "0x", ",\"removed\":true"));
    assert_int_equal(ethjson_log(&lg, j, "result[0]", &f), 0);
    assert_int_equal(lg.removed, 1);
    assert_int_equal(lg.topic_count, 0);
    assert_int_equal(lg.data_len, 0);
    ethjson_log_clear(&lg);
    json_decref(j);
    for (i = 0; i < COUNT(bad); i++) {
        j = parse(bad[i].json);
        fault_clear(&f);
        if (ethjson_log(&lg, j, "result[3]", &f) == 0)
            fail_msg("accepted %s", bad[i].json);
        assert_null(lg.data);
        assert_int_equal(lg.topic_count, 0);
        check_fault(&f, FAULT_CORRUPT, bad[i].field, bad[i].json);
        json_decref(j);
    }
}

static void test_logs(void **state)
{
    struct ethjson_log *logs = (struct ethjson_log *)&logs;
    size_t n = 7;
    struct fault f;
    json_t *j;

    (void)state;
    j = parse("[" LOG_JSON("[]", "0x01", "") "," LOG_JSON("[]", "0x0203",
                                                          "") "]");
    assert_int_equal(ethjson_logs(&logs, &n, j, "result", &f), 0);
    assert_int_equal(n, 2);
    assert_int_equal(logs[1].data_len, 2);
    ethjson_logs_free(logs, n);
    json_decref(j);
    j = parse("[" LOG_JSON("[]", "0x01", "") "," LOG_JSON("[]", "0x020",
                                                          "") "]");
    assert_int_equal(ethjson_logs(&logs, &n, j, "result", &f), -1);
    assert_null(logs);
    assert_int_equal(n, 0);
    check_fault(&f, FAULT_CORRUPT, "result[1].data", "second log");
    json_decref(j);
    j = parse("{}");
    assert_int_equal(ethjson_logs(&logs, &n, j, "result", &f), -1);
    check_fault(&f, FAULT_CORRUPT, "result", "object");
    json_decref(j);
    j = parse("[]");
    assert_int_equal(ethjson_logs(&logs, &n, j, "result", &f), 0);
    assert_null(logs);
    assert_int_equal(n, 0);
    json_decref(j);
}

#define RECEIPT_JSON(status, logs)                                           \
    "{\"status\":\"" status "\",\"transactionHash\":\"" H32B                 \
    "\",\"blockNumber\":\"0x5\",\"blockHash\":\"" H32A "\",\"logs\":" logs   \
    ",\"gasUsed\":\"0x5208\"}"

static void test_receipt(void **state)
{
    static const struct {
        const char *json, *field;
    } bad[] = {
        {RECEIPT_JSON("0x2", "[]"), "result.status"},
        {RECEIPT_JSON("0x", "[]"), "result.status"},
        {"{\"root\":\"" H32A "\",\"transactionHash\":\"" H32B "\"}",
         "result.status"},
        {RECEIPT_JSON("0x1", "null"), "result.logs"},
        {RECEIPT_JSON("0x1", "[" LOG_JSON("[\"0x1\"]", "0x", "") "]"),
         "result.logs[0].topics[0]"},
        /* A log of another block or transaction, or removed. */
        {RECEIPT_JSON("0x1", "[" LOG_JSON("[]", "0x", "") ","
                      "{\"address\":\"" ADDR "\",\"topics\":[],\"data\":"
                      "\"0x\",\"blockNumber\":\"0x6\",\"blockHash\":\"" H32A
                      "\",\"transactionHash\":\"" H32B "\","
                      "\"transactionIndex\":\"0x0\",\"logIndex\":\"0x3\"}]"),
         "result.logs[1]"},
        {RECEIPT_JSON("0x1", "[" LOG_JSON("[]", "0x", ",\"removed\":true")
                      "]"),
         "result.logs[0]"},
    };
    struct ethjson_receipt r;
    struct fault f;
    json_t *j;
    size_t i;

    (void)state;
    j = parse(RECEIPT_JSON("0x1", "[" LOG_JSON("[\"" H32C "\"]", "0xab", "")
                                  "]"));
    fault_clear(&f);
    if (ethjson_receipt(&r, j, "result", &f) != 0)
        fail_msg("receipt: %s", f.detail);
    assert_int_equal(r.status, 1);
    assert_int_equal(r.block_number, 5);
    assert_int_equal(r.log_count, 1);
    assert_int_equal(r.logs[0].data[0], 0xab);
    ethjson_receipt_clear(&r);
    assert_null(r.logs);
    json_decref(j);
    j = parse(RECEIPT_JSON("0x0", "[]"));
    assert_int_equal(ethjson_receipt(&r, j, "result", &f), 0);
    assert_int_equal(r.status, 0);
    ethjson_receipt_clear(&r);
    json_decref(j);
    for (i = 0; i < COUNT(bad); i++) {
        j = parse(bad[i].json);
        fault_clear(&f);
        if (ethjson_receipt(&r, j, "result", &f) == 0)
            fail_msg("accepted %s", bad[i].json);
        assert_null(r.logs);
        assert_int_equal(r.log_count, 0);
        check_fault(&f, FAULT_CORRUPT, bad[i].field, bad[i].json);
        json_decref(j);
    }
    j = parse("null");
    assert_int_equal(ethjson_receipt(&r, j, "result", &f), -1);
    check_fault(&f, FAULT_NOT_FOUND, "result", "null receipt");
    json_decref(j);
    ethjson_receipt_clear(NULL);
    ethjson_log_clear(NULL);
    ethjson_logs_free(NULL, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantity), cmocka_unit_test(test_data),
        cmocka_unit_test(test_block),    cmocka_unit_test(test_log),
        cmocka_unit_test(test_logs),     cmocka_unit_test(test_receipt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
