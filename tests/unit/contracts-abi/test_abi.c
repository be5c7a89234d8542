/*
 * Unit tests for contracts-abi/abi.c: the surface check of the ABI JSON,
 * selectors and topic, purchase and withdraw calldata, and the strict
 * decoding of Purchased logs.
 *
 * Expected bytes come from an independent encoder, Foundry's cast 1.7.1
 * (node_modules/.bin/cast); each constant names the command that printed
 * it. Real logs come from tests/data/purchased_logs.json, written by
 * tests/vectors/gen_purchased_logs.py from a real anvil with the values it
 * paid. Run from the repository root (tests/run.sh does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "contracts-abi/abi.h"
#include "lib/hex.h"
#include "tests/support/testutil.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define LOGS_FILE "tests/data/purchased_logs.json"

/* cast sig "purchase(bytes32,address,address,bytes32)" */
#define CAST_PURCHASE_SELECTOR "0x2fde4f2e"
/* cast sig "withdraw()" */
#define CAST_WITHDRAW_SELECTOR "0x3ccfd60b"
/* cast sig-event "Purchased(bytes32 indexed,address indexed,address indexed,address,uint256,bytes32)" */
#define CAST_PURCHASED_TOPIC \
    "0xc6615735e922c76e9dbf1963a4c06a1d016e7dbf80ffc80438b9b47419faeef7"
/* cast sig-event "Withdrawn(address indexed,uint256)" */
#define CAST_WITHDRAWN_TOPIC \
    "0x7084f5476618d8e60b11ef0d7d3f06914655adb8793e28ff7f018d4c76d505d5"

/* Decode "0x..." of exactly n bytes, failing the test otherwise. */
static void unhex(uint8_t *out, size_t n, const char *text)
{
    struct fault f;

    fault_clear(&f);
    if (hex_decode_0x(out, n, text, strlen(text), "constant", &f) != 0)
        fail_msg("bad constant %s: %s", text, f.detail);
}

static void address(struct ethaddr *out, const char *text)
{
    struct fault f;

    fault_clear(&f);
    if (ethaddr_parse(out, text, strlen(text), "address", &f) != 0)
        fail_msg("bad address %s: %s", text, f.detail);
}

static struct abi_market load_embedded(void)
{
    struct abi_market m;
    struct fault f;
    size_t len = 0;
    const char *json = abi_market_json(&len);

    fault_clear(&f);
    if (abi_market_load(&m, json, len, &f) != 0)
        fail_msg("the embedded ABI is refused: %s", f.detail);
    return m;
}

/* ---- the ABI ------------------------------------------------------------ */

static void test_embedded_is_the_file(void **state)
{
    uint8_t *file = NULL;
    size_t file_len = 0, len = 0;
    const char *json = abi_market_json(&len);

    (void)state;
    assert_int_equal(testutil_read_file("contracts-abi/Market.abi.json",
                                        &file, &file_len), 0);
    assert_int_equal(len, file_len);
    assert_memory_equal(json, file, len);
    assert_int_equal(json[len], '\0');
    free(file);
}

static void test_selectors_and_topic(void **state)
{
    struct abi_market m = load_embedded();
    uint8_t want[32];

    (void)state;
    unhex(want, 4, CAST_PURCHASE_SELECTOR);
    assert_memory_equal(m.purchase_selector, want, 4);
    unhex(want, 4, CAST_WITHDRAW_SELECTOR);
    assert_memory_equal(m.withdraw_selector, want, 4);
    unhex(want, 32, CAST_PURCHASED_TOPIC);
    assert_memory_equal(m.purchased_topic, want, 32);
}

/* A change to the embedded ABI that abi_market_load must refuse. */
struct surface_case {
    const char *what;
    void (*mutate)(json_t *abi);
    const char *detail_has;
};

/* The entry of abi with this type and name (the first one). */
static json_t *entry(json_t *abi, const char *type, const char *name)
{
    for (size_t i = 0; i < json_array_size(abi); i++) {
        json_t *e = json_array_get(abi, i);
        const char *t = json_string_value(json_object_get(e, "type"));
        const char *n = json_string_value(json_object_get(e, "name"));

        if (t != NULL && n != NULL && strcmp(t, type) == 0 &&
            strcmp(n, name) == 0)
            return e;
    }
    fail_msg("no %s %s in the ABI", type, name);
    return NULL;
}

static json_t *input(json_t *abi, const char *type, const char *name,
                     size_t i)
{
    return json_array_get(json_object_get(entry(abi, type, name), "inputs"),
                          i);
}

static void set_str(json_t *obj, const char *key, const char *value)
{
    assert_int_equal(json_object_set_new(obj, key, json_string(value)), 0);
}

static void m_rename_arg(json_t *abi)
{
    set_str(input(abi, "function", "purchase", 1), "name", "buyer");
}
static void m_retype_arg(json_t *abi)
{
    set_str(input(abi, "function", "purchase", 2), "type", "uint160");
}
static void m_not_payable(json_t *abi)
{
    set_str(entry(abi, "function", "purchase"), "stateMutability",
            "nonpayable");
}
static void m_extra_arg(json_t *abi)
{
    json_t *in = json_object_get(entry(abi, "function", "purchase"),
                                 "inputs");
    assert_int_equal(json_array_append_new(in, json_deep_copy(
                                                   json_array_get(in, 0))),
                     0);
}
static void m_swap_args(json_t *abi)
{
    /* owner and worker swapped: same types, the order of names differs */
    json_t *in = json_object_get(entry(abi, "function", "purchase"),
                                 "inputs");
    json_t *a = json_deep_copy(json_array_get(in, 1));
    json_t *b = json_deep_copy(json_array_get(in, 2));
    assert_int_equal(json_array_set_new(in, 1, b), 0);
    assert_int_equal(json_array_set_new(in, 2, a), 0);
}
static void m_tuple_arg(json_t *abi)
{
    assert_int_equal(json_object_set_new(input(abi, "function", "purchase",
                                               0),
                                         "components", json_array()),
                     0);
}
static void m_owner_indexed(json_t *abi)
{
    assert_int_equal(json_object_set_new(input(abi, "event", "Purchased", 3),
                                         "indexed", json_true()),
                     0);
}
static void m_dataset_not_indexed(json_t *abi)
{
    assert_int_equal(json_object_set_new(input(abi, "event", "Purchased", 0),
                                         "indexed", json_false()),
                     0);
}
static void m_indexed_missing(json_t *abi)
{
    assert_int_equal(json_object_del(input(abi, "event", "Purchased", 1),
                                     "indexed"),
                     0);
}
static void m_event_order(json_t *abi)
{
    /* amount before owner */
    json_t *in = json_object_get(entry(abi, "event", "Purchased"), "inputs");
    json_t *a = json_deep_copy(json_array_get(in, 3));
    json_t *b = json_deep_copy(json_array_get(in, 4));
    assert_int_equal(json_array_set_new(in, 3, b), 0);
    assert_int_equal(json_array_set_new(in, 4, a), 0);
}
static void m_amount_uint128(json_t *abi)
{
    set_str(input(abi, "event", "Purchased", 4), "type", "uint128");
}
static void m_anonymous(json_t *abi)
{
    assert_int_equal(json_object_set_new(entry(abi, "event", "Purchased"),
                                         "anonymous", json_true()),
                     0);
}
static void m_event_renamed(json_t *abi)
{
    set_str(entry(abi, "event", "Purchased"), "name", "Purchase");
}
static void m_no_withdraw(json_t *abi)
{
    set_str(entry(abi, "function", "withdraw"), "name", "withdrawAll");
}
static void m_withdraw_payable(json_t *abi)
{
    set_str(entry(abi, "function", "withdraw"), "stateMutability",
            "payable");
}
static void m_purchase_returns(json_t *abi)
{
    json_t *out = json_object_get(entry(abi, "function", "purchase"),
                                  "outputs");
    json_t *p = json_pack("{s:s, s:s}", "name", "", "type", "bool");
    assert_non_null(p);
    assert_int_equal(json_array_append_new(out, p), 0);
}
static void m_overload(json_t *abi)
{
    json_t *copy = json_deep_copy(entry(abi, "function", "purchase"));
    json_t *in = json_object_get(copy, "inputs");
    assert_int_equal(json_array_remove(in, 3), 0);
    assert_int_equal(json_array_append_new(abi, copy), 0);
}
static void m_event_as_function(json_t *abi)
{
    set_str(entry(abi, "event", "Purchased"), "type", "function");
}
static void m_entry_not_object(json_t *abi)
{
    assert_int_equal(json_array_append_new(abi, json_integer(7)), 0);
}

static const struct surface_case surface_cases[] = {
    {"purchase argument renamed", m_rename_arg, "named \"buyer\""},
    {"purchase argument retyped", m_retype_arg, "type \"uint160\""},
    {"purchase not payable", m_not_payable, "must be payable"},
    {"purchase with a fifth argument", m_extra_arg, "exactly 4 arguments"},
    {"purchase owner and worker swapped", m_swap_args, "expected \"owner\""},
    {"purchase with a tuple", m_tuple_arg, "type"},
    {"Purchased owner indexed", m_owner_indexed, "must not be indexed"},
    {"Purchased datasetId not indexed", m_dataset_not_indexed,
     "must be indexed"},
    {"Purchased worker without an indexed flag", m_indexed_missing,
     "must be indexed"},
    {"Purchased owner and amount swapped", m_event_order, "argument 4"},
    {"Purchased amount uint128", m_amount_uint128, "\"uint128\""},
    {"Purchased anonymous", m_anonymous, "anonymous"},
    {"Purchased renamed", m_event_renamed, "no event Purchased"},
    {"withdraw renamed", m_no_withdraw, "no function withdraw"},
    {"withdraw payable", m_withdraw_payable, "must be nonpayable"},
    {"purchase returns a value", m_purchase_returns, "return nothing"},
    {"purchase overloaded", m_overload, "more than one function purchase"},
    {"Purchased as a function", m_event_as_function, "no event Purchased"},
    {"an entry that is not an object", m_entry_not_object, "entry 15"},
};

static void expect_refused(const char *what, const char *text, size_t len,
                           const char *detail_has)
{
    struct abi_market m;
    struct fault f;

    memset(&m, 0xaa, sizeof m);
    fault_clear(&f);
    if (abi_market_load(&m, text, len, &f) != -1)
        fail_msg("%s: accepted", what);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "abi");
    if (strstr(f.detail, detail_has) == NULL)
        fail_msg("%s: detail \"%s\" lacks \"%s\"", what, f.detail,
                 detail_has);
    for (size_t i = 0; i < sizeof m; i++)
        assert_int_equal(((const uint8_t *)&m)[i], 0);
}

static void test_surface_refusals(void **state)
{
    size_t len = 0;
    const char *json = abi_market_json(&len);

    (void)state;
    for (size_t i = 0; i < COUNT(surface_cases); i++) {
        const struct surface_case *c = &surface_cases[i];
        json_error_t err;
        json_t *abi = json_loadb(json, len, 0, &err);
        char *text;

        assert_non_null(abi);
        c->mutate(abi);
        text = json_dumps(abi, JSON_PRESERVE_ORDER);
        assert_non_null(text);
        expect_refused(c->what, text, strlen(text), c->detail_has);
        free(text);
        json_decref(abi);
    }
    /* The unchanged ABI, dumped the same way, is accepted: the refusals
     * above come from the mutations, not from the round trip. */
    {
        json_error_t err;
        json_t *abi = json_loadb(json, len, 0, &err);
        char *text = json_dumps(abi, JSON_PRESERVE_ORDER);
        struct abi_market m, want = load_embedded();
        struct fault f;

        fault_clear(&f);
        assert_int_equal(abi_market_load(&m, text, strlen(text), &f), 0);
        assert_memory_equal(&m, &want, sizeof m);
        free(text);
        json_decref(abi);
    }
}

static void test_text_refusals(void **state)
{
    static const char dup[] =
        "[{\"type\": \"function\", \"type\": \"event\"}]";
    struct abi_market m;
    struct fault f;

    (void)state;
    expect_refused("empty", "", 0, "not JSON");
    expect_refused("truncated", "[{", 2, "not JSON");
    expect_refused("an object", "{}", 2, "JSON array");
    expect_refused("a duplicate key", dup, sizeof dup - 1, "not JSON");
    expect_refused("an empty array", "[]", 2, "no function purchase");
    expect_refused("too long", "[]", (size_t)ABI_JSON_MAX + 1, "more than");
    fault_clear(&f);
    assert_int_equal(abi_market_load(&m, NULL, 0, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
}

/* ---- calldata ----------------------------------------------------------- */

struct calldata_case {
    const char *dataset_id, *owner, *worker, *ref;
    const char *want; /* cast calldata "purchase(bytes32,address,address,bytes32)" <args> */
};

static const struct calldata_case calldata_cases[] = {
    /* cast calldata "purchase(bytes32,address,address,bytes32)"
     *   0xd878c64baade6508c8e36459395733e3abb0f887ad1dd303c58bba888badab70
     *   0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
     *   0x70997970C51812dc3A010C7d01b50e0d17dc79C8
     *   0x1111111111111111111111111111111111111111111111111111111111111111 */
    {"0xd878c64baade6508c8e36459395733e3abb0f887ad1dd303c58bba888badab70",
     "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
     "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
     "0x1111111111111111111111111111111111111111111111111111111111111111",
     "0x2fde4f2ed878c64baade6508c8e36459395733e3abb0f887ad1dd303c58bba888bad"
     "ab70000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb922660000"
     "0000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8111111111111"
     "1111111111111111111111111111111111111111111111111111"},
    /* cast calldata "purchase(bytes32,address,address,bytes32)"
     *   0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
     *   0xa0Ee7A142d267C1f36714E4a8F75612F20a79720
     *   0x0000000000000000000000000000000000000001
     *   0x0000000000000000000000000000000000000000000000000000000000000000 */
    {"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
     "0x0000000000000000000000000000000000000001",
     "0x0000000000000000000000000000000000000000000000000000000000000000",
     "0x2fde4f2effffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "ffff000000000000000000000000a0ee7a142d267c1f36714e4a8f75612f20a797200000"
     "0000000000000000000000000000000000000000000000000000000000010000000000"
     "000000000000000000000000000000000000000000000000000000"},
};

static void test_purchase_calldata(void **state)
{
    struct abi_market m = load_embedded();

    (void)state;
    for (size_t i = 0; i < COUNT(calldata_cases); i++) {
        const struct calldata_case *c = &calldata_cases[i];
        uint8_t ds[32], ref[32], want[ABI_PURCHASE_CALLDATA_LEN];
        uint8_t got[ABI_PURCHASE_CALLDATA_LEN];
        struct ethaddr owner, worker;

        unhex(ds, 32, c->dataset_id);
        unhex(ref, 32, c->ref);
        address(&owner, c->owner);
        address(&worker, c->worker);
        unhex(want, sizeof want, c->want);
        memset(got, 0xaa, sizeof got);
        abi_encode_purchase(got, &m, ds, &owner, &worker, ref);
        assert_memory_equal(got, want, sizeof want);
    }
}

static void test_withdraw_calldata(void **state)
{
    struct abi_market m = load_embedded();
    uint8_t got[ABI_WITHDRAW_CALLDATA_LEN], want[4];

    (void)state;
    /* cast calldata "withdraw()" -> 0x3ccfd60b */
    unhex(want, 4, "0x3ccfd60b");
    abi_encode_withdraw(got, &m);
    assert_memory_equal(got, want, 4);
}

/* ---- decoding: real logs ------------------------------------------------ */

static void expect_bytes(const uint8_t *got, size_t n, const char *want_hex)
{
    uint8_t want[32];

    unhex(want, n, want_hex);
    assert_memory_equal(got, want, n);
}

static void expect_address(const struct ethaddr *got, const char *want)
{
    struct ethaddr a;

    address(&a, want);
    assert_true(ethaddr_equal(got, &a));
}

/* Read the topics and data of a log of the file into the caller's arrays. */
static void read_log(const json_t *log, uint8_t (*topics)[32], size_t cap,
                     size_t *n_topics, uint8_t *data, size_t data_cap,
                     size_t *data_len)
{
    const json_t *t = json_object_get(log, "topics");
    const char *d = json_string_value(json_object_get(log, "data"));
    struct fault f;

    assert_true(json_is_array(t) && json_array_size(t) <= cap);
    assert_non_null(d);
    *n_topics = json_array_size(t);
    for (size_t i = 0; i < *n_topics; i++)
        unhex(topics[i], 32, json_string_value(json_array_get(t, i)));
    fault_clear(&f);
    assert_int_equal(hex_decode_0x_var(data, data_cap, data_len, d,
                                       strlen(d), "data", &f), 0);
}

static json_t *load_logs(void)
{
    json_error_t err;
    json_t *doc = json_load_file(LOGS_FILE, JSON_REJECT_DUPLICATES, &err);

    if (doc == NULL)
        fail_msg("cannot read %s (run from the repository root): %s",
                 LOGS_FILE, err.text);
    return doc;
}

static void test_real_logs(void **state)
{
    struct abi_market m = load_embedded();
    json_t *doc = load_logs();
    const json_t *logs = json_object_get(doc, "logs");
    int saw_large = 0;

    (void)state;
    assert_true(json_array_size(logs) >= 5);
    for (size_t i = 0; i < json_array_size(logs); i++) {
        const json_t *log = json_array_get(logs, i);
        const json_t *x = json_object_get(log, "expect");
        uint8_t topics[8][32], data[256];
        size_t n_topics = 0, data_len = 0;
        struct abi_purchased p;
        struct u256 amount;
        struct fault f;
        const char *amount_text =
            json_string_value(json_object_get(x, "amount"));

        read_log(log, topics, 8, &n_topics, data, sizeof data, &data_len);
        fault_clear(&f);
        if (abi_decode_purchased(&p, &m, (const uint8_t(*)[32])topics,
                                 n_topics, data, data_len, &f) != 0)
            fail_msg("log %zu refused: %s: %s", i, f.field, f.detail);
        expect_bytes(p.dataset_id, 32,
                     json_string_value(json_object_get(x, "dataset_id")));
        expect_address(&p.worker,
                       json_string_value(json_object_get(x, "worker")));
        expect_address(&p.payer,
                       json_string_value(json_object_get(x, "payer")));
        expect_address(&p.owner,
                       json_string_value(json_object_get(x, "owner")));
        expect_bytes(p.ref, 32, json_string_value(json_object_get(x, "ref")));
        assert_non_null(amount_text);
        assert_int_equal(u256_parse_decimal(&amount, amount_text,
                                            strlen(amount_text), "amount",
                                            &f), 0);
        assert_int_equal(u256_cmp(&p.amount, &amount), 0);
        saw_large |= u256_bits(&amount) > 64;
    }
    assert_true(saw_large); /* the file holds amounts past 64 bits */
    json_decref(doc);
}

/* ---- decoding: refusals ------------------------------------------------- */

/* The data words of the first test vector:
 * cast abi-encode "f(address,uint256,bytes32)"
 *   0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
 *   340282366920938463463374607431768211455
 *   0x00000000000000000000000000000000000000000000000000000000000000ff */
static const char base_data[] =
    "0x0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc0000"
    "0000000000000000000000000000ffffffffffffffffffffffffffffffff000000000000"
    "00000000000000000000000000000000000000000000000000ff";
/* cast abi-encode "f(address,uint256,bytes32)" (same, with amount 2^128)
 *   0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
 *   340282366920938463463374607431768211456
 *   0x00000000000000000000000000000000000000000000000000000000000000ff */
static const char amount_2_128_data[] =
    "0x0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc0000"
    "0000000000000000000000000001000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000ff";
/* cast abi-encode "f(address)" 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 */
static const char worker_topic[] =
    "0x00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8";

struct decode_input {
    uint8_t topics[6][32];
    size_t n_topics;
    uint8_t data[128];
    size_t data_len;
};

static void base_input(struct decode_input *in)
{
    struct fault f;

    memset(in, 0, sizeof *in);
    unhex(in->topics[0], 32, CAST_PURCHASED_TOPIC);
    memset(in->topics[1], 0x5a, 32);
    unhex(in->topics[2], 32, worker_topic);
    unhex(in->topics[3], 32, worker_topic);
    in->topics[3][31] ^= 1; /* another payer */
    in->n_topics = 4;
    fault_clear(&f);
    assert_int_equal(hex_decode_0x_var(in->data, sizeof in->data,
                                       &in->data_len, base_data,
                                       strlen(base_data), "data", &f), 0);
}

static int decode(struct abi_purchased *p, const struct abi_market *m,
                  const struct decode_input *in, struct fault *f)
{
    fault_clear(f);
    memset(p, 0xaa, sizeof *p);
    return abi_decode_purchased(p, m, (const uint8_t(*)[32])in->topics,
                                in->n_topics, in->data, in->data_len, f);
}

static void test_decode_base(void **state)
{
    struct abi_market m = load_embedded();
    struct decode_input in;
    struct abi_purchased p;
    struct fault f;
    char text[U256_DECIMAL_SIZE];

    (void)state;
    base_input(&in);
    assert_int_equal(decode(&p, &m, &in, &f), 0);
    u256_to_decimal(text, &p.amount);
    /* 2^128 - 1, the largest amount accepted */
    assert_string_equal(text, "340282366920938463463374607431768211455");
    expect_address(&p.worker, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    expect_address(&p.owner, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    assert_int_equal(p.payer.bytes[19], 0xc9);
    assert_int_equal(p.ref[31], 0xff);
    assert_int_equal(p.dataset_id[0], 0x5a);
}

enum mutation {
    MUT_THREE_TOPICS,
    MUT_FIVE_TOPICS,
    MUT_NO_TOPICS,
    MUT_OTHER_EVENT,
    MUT_TOPIC0_BIT,
    MUT_WORKER_PAD,
    MUT_PAYER_PAD,
    MUT_DATA_SHORT,
    MUT_DATA_LONG,
    MUT_DATA_EMPTY,
    MUT_OWNER_PAD,
    MUT_AMOUNT_2_128,
    MUT_AMOUNT_MAX,
};

struct refusal_case {
    enum mutation mut;
    const char *field;
    const char *detail_has;
};

static const struct refusal_case refusal_cases[] = {
    {MUT_THREE_TOPICS, "topics", "exactly 4 topics"},
    {MUT_FIVE_TOPICS, "topics", "exactly 4 topics"},
    {MUT_NO_TOPICS, "topics", "exactly 4 topics"},
    {MUT_OTHER_EVENT, "topics[0]", "another event"},
    {MUT_TOPIC0_BIT, "topics[0]", "another event"},
    {MUT_WORKER_PAD, "topics[2]", "padding"},
    {MUT_PAYER_PAD, "topics[3]", "padding"},
    {MUT_DATA_SHORT, "data", "exactly 96 bytes"},
    {MUT_DATA_LONG, "data", "exactly 96 bytes"},
    {MUT_DATA_EMPTY, "data", "exactly 96 bytes"},
    {MUT_OWNER_PAD, "data.owner", "padding"},
    {MUT_AMOUNT_2_128, "data.amount", "2^128"},
    {MUT_AMOUNT_MAX, "data.amount", "2^128"},
};

static void apply(struct decode_input *in, enum mutation mut)
{
    struct fault f;

    switch (mut) {
    case MUT_THREE_TOPICS:
        in->n_topics = 3;
        break;
    case MUT_FIVE_TOPICS:
        in->n_topics = 5;
        break;
    case MUT_NO_TOPICS:
        in->n_topics = 0;
        break;
    case MUT_OTHER_EVENT:
        unhex(in->topics[0], 32, CAST_WITHDRAWN_TOPIC);
        break;
    case MUT_TOPIC0_BIT:
        in->topics[0][31] ^= 0x80;
        break;
    case MUT_WORKER_PAD:
        in->topics[2][11] = 1; /* the last byte of padding */
        break;
    case MUT_PAYER_PAD:
        in->topics[3][0] = 0x80; /* the first */
        break;
    case MUT_DATA_SHORT:
        in->data_len = 95;
        break;
    case MUT_DATA_LONG:
        in->data_len = 97;
        break;
    case MUT_DATA_EMPTY:
        in->data_len = 0;
        break;
    case MUT_OWNER_PAD:
        in->data[5] = 0x01;
        break;
    case MUT_AMOUNT_2_128:
        fault_clear(&f);
        assert_int_equal(hex_decode_0x_var(in->data, sizeof in->data,
                                           &in->data_len, amount_2_128_data,
                                           strlen(amount_2_128_data), "data",
                                           &f), 0);
        break;
    case MUT_AMOUNT_MAX:
        memset(in->data + 32, 0xff, 32);
        break;
    }
}

static void test_decode_refusals(void **state)
{
    struct abi_market m = load_embedded();

    (void)state;
    for (size_t i = 0; i < COUNT(refusal_cases); i++) {
        const struct refusal_case *c = &refusal_cases[i];
        struct decode_input in;
        struct abi_purchased p;
        struct fault f;

        base_input(&in);
        apply(&in, c->mut);
        if (decode(&p, &m, &in, &f) != -1)
            fail_msg("refusal case %zu was accepted", i);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, c->field);
        if (strstr(f.detail, c->detail_has) == NULL)
            fail_msg("case %zu: detail \"%s\" lacks \"%s\"", i, f.detail,
                     c->detail_has);
        for (size_t k = 0; k < sizeof p; k++)
            assert_int_equal(((const uint8_t *)&p)[k], 0);
    }
}

/* A real log from the file, edited one strict check at a time: each
 * edit alone turns an accepted log into a refused one. */
static void test_real_log_edits(void **state)
{
    struct abi_market m = load_embedded();
    json_t *doc = load_logs();
    const json_t *log = json_array_get(json_object_get(doc, "logs"), 0);
    struct decode_input in;
    struct abi_purchased p;
    struct fault f;

    (void)state;
    memset(&in, 0, sizeof in);
    read_log(log, in.topics, 6, &in.n_topics, in.data, sizeof in.data,
             &in.data_len);
    assert_int_equal(decode(&p, &m, &in, &f), 0);
    for (size_t i = 0; i < COUNT(refusal_cases); i++) {
        struct decode_input e = in;

        apply(&e, refusal_cases[i].mut);
        assert_int_equal(decode(&p, &m, &e, &f), -1);
        assert_string_equal(f.field, refusal_cases[i].field);
    }
    json_decref(doc);
}

static void test_decode_misuse(void **state)
{
    struct abi_market m = load_embedded();
    struct decode_input in;
    struct abi_purchased p;
    struct fault f;

    (void)state;
    base_input(&in);
    fault_clear(&f);
    assert_int_equal(abi_decode_purchased(&p, NULL,
                                          (const uint8_t(*)[32])in.topics, 4,
                                          in.data, 96, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    fault_clear(&f);
    assert_int_equal(abi_decode_purchased(&p, &m, NULL, 4, in.data, 96, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    fault_clear(&f);
    assert_int_equal(abi_decode_purchased(&p, &m,
                                          (const uint8_t(*)[32])in.topics, 4,
                                          NULL, 96, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_is_the_file),
        cmocka_unit_test(test_selectors_and_topic),
        cmocka_unit_test(test_surface_refusals),
        cmocka_unit_test(test_text_refusals),
        cmocka_unit_test(test_purchase_calldata),
        cmocka_unit_test(test_withdraw_calldata),
        cmocka_unit_test(test_real_logs),
        cmocka_unit_test(test_decode_base),
        cmocka_unit_test(test_decode_refusals),
        cmocka_unit_test(test_real_log_edits),
        cmocka_unit_test(test_decode_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
