/* In-process HTTP tests of metered queries and quotes (DESIGN.md 3.5,
 * 3.6, 3.10, 3.11) against a real gateway on port 0 with a real SQLite
 * data dir: a CSV data-set published through the API, credits made
 * through the ledger as the chain follower makes them, and each selector
 * asked for, paid, unwrapped with the worker's key, decrypted and compared
 * with the rows that were uploaded. The chain itself is not followed here
 * (test_query_story.sh runs the whole story against anvil): so a query
 * the balance does not cover is 503, never a 402 without a chain. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "gateway/datasets_view.h"
#include "gateway/gateway.h"
#include "lib/base64.h"
#include "lib/ethsig.h"
#include "lib/hex.h"
#include "lib/keywrap.h"
#include "pricing/audit.h"
#include "pricing/ledger.h"
#include "storage/chunkobj.h"
#include "tests/support/gwtest.h"

#define ROWS 3000
#define ROWS_PER_CHUNK 500
#define CHAIN_ID 31337

/* The plan: 10 per query, 100 per chunk, 1 per row, 1000 per MiB. */
#define PLAN                                                                 \
    "{\"kind\":\"metered\",\"unit_wei\":\"1000\",\"per_query\":\"10\","    \
    "\"per_chunk\":\"100\",\"per_row\":\"1\",\"per_mib\":\"1000\"}"

struct fixture {
    struct gwtest t;
    struct ethkey owner, worker, other;
    char id[67];
    uint8_t id_bytes[32];
    char *csv;          /* the upload: header, then ROWS rows */
    size_t csv_len;
    uint8_t next_tx;
    uint64_t block;     /* the last block a credit used */
    char pass_id[67];   /* a second data-set, sold as a pass */
    uint8_t pass_id_bytes[32];
};

static json_t *body_json(const struct gwtest_resp *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, 0, &e);

    if (j == NULL)
        fail_msg("not JSON (%d): %.*s", r->status, (int)r->body_len, r->body);
    return j;
}

static void want(const struct gwtest_resp *r, int status, const char *field,
                 const char *what)
{
    json_t *j;

    if (r->status != status)
        fail_msg("%s: status %d, want %d: %.*s", what, r->status, status,
                 (int)r->body_len, r->body);
    if (field == NULL)
        return;
    j = body_json(r);
    if (!json_is_string(json_object_get(j, "field")) ||
        strcmp(json_string_value(json_object_get(j, "field")), field) != 0)
        fail_msg("%s: field %s, want %s: %.*s", what,
                 json_string_value(json_object_get(j, "field")), field,
                 (int)r->body_len, r->body);
    json_decref(j);
}

static char *make_csv(size_t *len)
{
    size_t cap = 64 + (size_t)ROWS * 48, n = 0;
    char *s = malloc(cap);
    int i;

    assert_non_null(s);
    n += (size_t)snprintf(s + n, cap - n, "id,name,score\n");
    for (i = 0; i < ROWS; i++)
        n += (size_t)snprintf(s + n, cap - n, "%d,\"row %d, quoted\",%d.%d\n",
                              i, i, (i * 37) % 1000, i % 10);
    *len = n;
    return s;
}

/* Create a data-set with body create, upload the CSV as its one part,
 * publish it, and wait until it is published: its id into id and bytes. */
static void publish_as(struct fixture *fx, const char *create, char id[67],
                       uint8_t bytes[32])
{
    struct gwtest_resp r;
    struct gwtest_sig s;
    char target[160];
    json_t *j;
    int tries;

    s = (struct gwtest_sig){0};
    gwtest_signed(&fx->t, &fx->owner, "POST", "/v1/datasets", create, &s, &r);
    want(&r, 201, NULL, "create");
    j = body_json(&r);
    snprintf(id, 67, "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    gwtest_resp_clear(&r);
    assert_int_equal(hex_decode_0x(bytes, 32, id, 66, "id", NULL), 0);
    snprintf(target, sizeof target, "/v1/datasets/%s/parts/1", id);
    s = (struct gwtest_sig){0};
    gwtest_signed(&fx->t, &fx->owner, "PUT", target, fx->csv, &s, &r);
    want(&r, 200, NULL, "part");
    gwtest_resp_clear(&r);
    snprintf(target, sizeof target, "/v1/datasets/%s/publish", id);
    s = (struct gwtest_sig){0};
    gwtest_signed(&fx->t, &fx->owner, "POST", target, "", &s, &r);
    want(&r, 202, NULL, "publish");
    gwtest_resp_clear(&r);
    snprintf(target, sizeof target, "/v1/datasets/%s", id);
    for (tries = 0; tries < 600; tries++) {
        s = (struct gwtest_sig){0};
        gwtest_signed(&fx->t, &fx->owner, "GET", target, NULL, &s, &r);
        j = body_json(&r);
        if (json_object_get(j, "state") == NULL ||
            strcmp(json_string_value(json_object_get(j, "state")), "failed") ==
                0)
            fail_msg("publish: %.*s", (int)r.body_len, r.body);
        if (strcmp(json_string_value(json_object_get(j, "state")),
                   "published") == 0) {
            assert_int_equal(
                json_integer_value(json_object_get(j, "chunk_count")),
                ROWS / ROWS_PER_CHUNK);
            json_decref(j);
            gwtest_resp_clear(&r);
            return;
        }
        json_decref(j);
        gwtest_resp_clear(&r);
        usleep(20000);
    }
    fail_msg("the data-set was not published");
}

static void publish(struct fixture *fx)
{
    publish_as(fx,
               "{\"name\":\"q\",\"format\":\"csv\",\"chunking\":{\"rows\":"
               "500},\"price\":" PLAN "}",
               fx->id, fx->id_bytes);
    /* A pass: 100 units buy 1 s. */
    publish_as(fx,
               "{\"name\":\"p\",\"format\":\"csv\",\"chunking\":{\"rows\":"
               "500},\"price\":{\"kind\":\"pass\",\"unit_wei\":\"1000\","
               "\"price\":\"100\",\"duration_s\":1}}",
               fx->pass_id, fx->pass_id_bytes);
}

/* A payment of amount wei for worker, credited as the follower would:
 * seen in block b, deep enough at once. */
struct credit {
    const struct fixture *fx;
    const struct ethkey *worker;
    const char *amount;
    uint64_t block;
    uint8_t tx;
    int rc;
    const uint8_t *id;
};

static void credit_on_loop(struct gateway *gw, void *arg)
{
    struct credit *cr = arg;
    struct ledger_payment p;
    struct ledger_step st;
    struct ledger_chain cs;
    uint8_t contract[20] = {0xc0};
    uint64_t reversed;
    struct fault f;

    memset(&p, 0, sizeof p);
    memset(&st, 0, sizeof st);
    p.chain_id = CHAIN_ID;
    p.tx_hash[0] = cr->tx;
    p.block_number = cr->block;
    p.block_hash[0] = (uint8_t)cr->block;
    memcpy(p.dataset_id, cr->id, 32);
    p.worker = cr->worker->addr;
    p.payer = cr->worker->addr;
    p.owner = cr->fx->owner.addr;
    snprintf(p.amount_wei, sizeof p.amount_wei, "%s", cr->amount);
    st.chain_id = CHAIN_ID;
    st.payments = &p;
    st.npayments = 1;
    st.tip = (int64_t)cr->block;
    st.keep_from = 0;
    st.credit = 1;
    st.credit_upto = cr->block;
    cr->rc = -1;
    if (ledger_begin(gw->ledger, &f) < 0)
        return;
    if (ledger_chain_open(gw->ledger, &cs, CHAIN_ID, contract, 0, &f) < 0 ||
        ledger_apply_step(gw->ledger, &st, (int64_t)time(NULL), &reversed,
                          &f) < 0 ||
        ledger_commit(gw->ledger, &f) < 0) {
        fprintf(stderr, "credit: %s\n", f.detail);
        ledger_rollback(gw->ledger);
        return;
    }
    cr->rc = 0;
}

/* Credit worker amount wei on data-set id (fx->id_bytes when NULL), in
 * the next block. Returns that block. */
static uint64_t credit_to(struct fixture *fx, const struct ethkey *worker,
                          const char *amount, const uint8_t *id)
{
    struct credit cr = {fx, worker, amount, fx->block + 1, fx->next_tx, 0,
                        id != NULL ? id : fx->id_bytes};

    fx->next_tx++;
    fx->block++;
    gwtest_on_loop(&fx->t, credit_on_loop, &cr);
    assert_int_equal(cr.rc, 0);
    return cr.block;
}

static void credit(struct fixture *fx, const struct ethkey *worker,
                   const char *amount)
{
    (void)credit_to(fx, worker, amount, NULL);
}

/* The blocks after `to` left the chain (a reorg): the follower's step. */
struct rollback {
    int64_t to;
    uint64_t reversed;
    int rc;
};

static void rollback_on_loop(struct gateway *gw, void *arg)
{
    struct rollback *rb = arg;
    struct ledger_step st;
    struct fault f;

    memset(&st, 0, sizeof st);
    st.chain_id = CHAIN_ID;
    st.has_rollback = 1;
    st.rollback_to = rb->to;
    st.tip = rb->to;
    rb->rc = -1;
    if (ledger_begin(gw->ledger, &f) < 0)
        return;
    if (ledger_apply_step(gw->ledger, &st, (int64_t)time(NULL), &rb->reversed,
                          &f) < 0 ||
        ledger_commit(gw->ledger, &f) < 0) {
        fprintf(stderr, "rollback: %s\n", f.detail);
        ledger_rollback(gw->ledger);
        return;
    }
    rb->rc = 0;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);

    assert_non_null(fx);
    gwtest_start(&fx->t, NULL);
    gwtest_key(&fx->owner, 1);
    gwtest_key(&fx->worker, 2);
    gwtest_key(&fx->other, 3);
    fx->next_tx = 1;
    fx->csv = make_csv(&fx->csv_len);
    publish(fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    gwtest_stop(&fx->t);
    ethkey_wipe(&fx->owner);
    ethkey_wipe(&fx->worker);
    ethkey_wipe(&fx->other);
    free(fx->csv);
    free(fx);
    return 0;
}

static void query_on(struct fixture *fx, const struct ethkey *k,
                     const char *id, const char *body, struct gwtest_sig *s,
                     struct gwtest_resp *r)
{
    char target[160];

    snprintf(target, sizeof target, "/v1/datasets/%s/queries", id);
    gwtest_signed(&fx->t, k, "POST", target, body, s, r);
}

static void query(struct fixture *fx, const struct ethkey *k, const char *body,
                  struct gwtest_sig *s, struct gwtest_resp *r)
{
    query_on(fx, k, fx->id, body, s, r);
}

/* The account of k on data-set id, from GET /v1/accounts. */
static json_t *account_of(struct fixture *fx, const struct ethkey *k,
                          const char *id)
{
    struct gwtest_resp r;
    struct gwtest_sig s = {0};
    char addr[ETHADDR_TEXT_SIZE], target[120];
    json_t *a, *b, *out = NULL;
    size_t i;

    ethaddr_to_text(addr, &k->addr);
    snprintf(target, sizeof target, "/v1/accounts/%s", addr);
    gwtest_signed(&fx->t, k, "GET", target, NULL, &s, &r);
    want(&r, 200, NULL, "account");
    a = body_json(&r);
    json_array_foreach(json_object_get(a, "balances"), i, b)
        if (strcmp(json_string_value(json_object_get(b, "dataset_id")), id) ==
            0)
            out = json_incref(b);
    json_decref(a);
    gwtest_resp_clear(&r);
    assert_non_null(out);
    return out;
}

static void quote(struct fixture *fx, const struct ethkey *k,
                  const char *body, struct gwtest_resp *r)
{
    struct gwtest_sig s = {0};
    char target[160];

    snprintf(target, sizeof target, "/v1/datasets/%s/quote", fx->id);
    if (k != NULL)
        gwtest_signed(&fx->t, k, "POST", target, body, &s, r);
    else
        gwtest_send(&fx->t, "POST", target, body, NULL, r);
}

static uint64_t units_of(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));

    if (s == NULL)
        fail_msg("%s is not a decimal string", key);
    return strtoull(s, NULL, 10);
}

/* The rows of the upload from..to (half-open), as the file has them. */
static void source_rows(const struct fixture *fx, uint64_t from, uint64_t to,
                        const char **start, size_t *len)
{
    const char *p = (const char *)memchr(fx->csv, '\n', fx->csv_len) + 1, *q;
    uint64_t i;

    for (i = 0; i < from; i++)
        p = strchr(p, '\n') + 1;
    q = p;
    for (; i < to; i++)
        q = strchr(q, '\n') + 1;
    *start = p;
    *len = (size_t)(q - p);
}

/* Check a 200 answer whole: the receipt against the gateway's key and the
 * answer's fields, the keys with the worker's key, and each chunk's
 * object, decrypted, against the upload. */
static void check_answer(struct fixture *fx, const struct ethkey *k,
                         const json_t *a, const char *audit_prev_or_null)
{
    const json_t *chunks = json_object_get(a, "chunks");
    const json_t *receipt = json_object_get(a, "receipt");
    struct keywrap_entry *e = NULL;
    struct keywrap w;
    struct ethaddr signer;
    secp256k1_pubkey pub;
    uint8_t qid[16], sig[ETHSIG_LEN], hash[32];
    const char *text = json_string_value(json_object_get(receipt, "text"));
    char line[160];
    size_t n = 0, i;
    struct fault f;

    (void)audit_prev_or_null;
    assert_non_null(text);
    assert_int_equal(hex_decode_0x(qid, 16,
                                   json_string_value(
                                       json_object_get(a, "query_id")),
                                   34, "query_id", &f),
                     0);
    /* The receipt: signed by the gateway, over the text given. */
    assert_int_equal(
        ethsig_parse(sig, json_string_value(json_object_get(receipt,
                                                            "signature")),
                     132, "signature", &f),
        0);
    assert_int_equal(ethsig_recover_personal(&pub, &signer, sig,
                                             (const uint8_t *)text,
                                             strlen(text), &f),
                     0);
    assert_true(ethaddr_equal(&signer, &fx->t.gw->identity));
    assert_int_equal(hex_decode_0x(hash, 32,
                                   json_string_value(
                                       json_object_get(receipt, "hash")),
                                   66, "hash", &f),
                     0);
    {
        uint8_t h2[32];
        SHA256((const unsigned char *)text, strlen(text), h2);
        assert_memory_equal(h2, hash, 32);
    }
    snprintf(line, sizeof line, "\nquery: %s\n",
             json_string_value(json_object_get(a, "query_id")));
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "\ncost: %s\n",
             json_string_value(json_object_get(a, "cost")));
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "\nbalance_after: %s\n",
             json_string_value(json_object_get(a, "balance_after")));
    assert_non_null(strstr(text, line));
    /* The keys open with the worker's key, one per chunk, ascending. */
    assert_int_equal(keywrap_from_json(&w, json_object_get(a, "keys"), &f),
                     0);
    assert_int_equal(keywrap_open(&e, &n, &w, k->secret, fx->id_bytes, qid,
                                  &f),
                     0);
    assert_int_equal(n, json_array_size(chunks));
    /* Another key cannot open them. */
    {
        struct keywrap_entry *e2 = NULL;
        size_t n2 = 0;
        assert_int_equal(keywrap_open(&e2, &n2, &w, fx->other.secret,
                                      fx->id_bytes, qid, &f),
                         -1);
    }
    for (i = 0; i < n; i++) {
        const json_t *c = json_array_get(chunks, i);
        struct gwtest_resp r;
        uint8_t *plain = NULL;
        size_t plain_len = 0, src_len;
        const char *src;
        uint64_t first = (uint64_t)json_integer_value(
                     json_object_get(c, "first_row")),
                 rows = (uint64_t)json_integer_value(
                     json_object_get(c, "rows"));

        assert_int_equal(e[i].index,
                         json_integer_value(json_object_get(c, "index")));
        gwtest_send(&fx->t, "GET",
                    json_string_value(json_object_get(c, "url")), NULL, NULL,
                    &r);
        want(&r, 200, NULL, "object");
        assert_int_equal(chunkobj_open(&plain, &plain_len, e[i].ck,
                                       fx->id_bytes, e[i].index,
                                       (const uint8_t *)r.body, r.body_len,
                                       &f),
                         0);
        source_rows(fx, first, first + rows, &src, &src_len);
        assert_int_equal(plain_len, src_len);
        assert_memory_equal(plain, src, src_len);
        free(plain);
        gwtest_resp_clear(&r);
    }
    keywrap_entries_free(e, n);
    keywrap_clear(&w);
}

/* The cost of chunks [a, b) of this data-set under PLAN. */
static uint64_t plan_cost_of(const json_t *quote_doc)
{
    uint64_t chunks = (uint64_t)json_integer_value(
                 json_object_get(quote_doc, "chunk_count")),
             rows = (uint64_t)json_integer_value(
                 json_object_get(quote_doc, "rows")),
             bytes = (uint64_t)json_integer_value(
                 json_object_get(quote_doc, "plain_bytes"));

    return 10 + 100 * chunks + rows + 1000 * ((bytes + (1 << 20) - 1) >> 20);
}

static void test_quote_selectors(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *body;
        int chunks[8];   /* -1 ends */
    } cases[] = {
        {"{\"all\":true}", {0, 1, 2, 3, 4, 5, -1}},
        {"{\"rows\":{\"from\":0,\"to\":1}}", {0, -1}},
        {"{\"rows\":{\"from\":499,\"to\":501}}", {0, 1, -1}},
        {"{\"rows\":{\"from\":500,\"to\":500}}", {-1}},
        {"{\"rows\":{\"from\":2999,\"to\":100000}}", {5, -1}},
        {"{\"rows\":{\"from\":3000,\"to\":4000}}", {-1}},
        {"{\"chunks\":[3,1,3]}", {1, 3, -1}},
        {"{\"chunks\":[]}", {-1}},
        {"{\"where\":[[\"id\",\">=\",2500]]}", {5, -1}},
        {"{\"where\":[[\"id\",\"<\",1e3],[\"id\",\">\",499]]}", {1, -1}},
        {"{\"where\":[[\"id\",\"<\",1e3],[\"id\",\">=\",499]]}", {0, 1, -1}},
        {"{\"where\":[[\"id\",\"=\",1000.0]]}", {2, -1}},
        {"{\"where\":[[\"id\",\"!=\",5]]}", {0, 1, 2, 3, 4, 5, -1}},
        {"{\"where\":[[\"id\",\">\",123456789012345678901234567890]]}",
         {-1}},
        /* Text, bytewise: "row 499, quoted" > "row 2999" > "row 2499..." */
        {"{\"where\":[[\"name\",\">=\",\"row 2999\"]]}", {0, 1, 5, -1}},
        {"{\"where\":[[\"id\",\"<\",0]]}", {-1}},
    };
    struct gwtest_resp r;
    size_t i, k;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j, *got;

        quote(fx, NULL, cases[i].body, &r);
        want(&r, 200, NULL, cases[i].body);
        j = body_json(&r);
        got = json_object_get(j, "chunks");
        for (k = 0; cases[i].chunks[k] >= 0; k++)
            if (json_integer_value(json_array_get(got, k)) !=
                cases[i].chunks[k])
                fail_msg("%s: chunks %.*s", cases[i].body, (int)r.body_len,
                         r.body);
        if (json_array_size(got) != k)
            fail_msg("%s: chunks %.*s", cases[i].body, (int)r.body_len,
                     r.body);
        assert_int_equal(json_integer_value(json_object_get(j, "chunk_count")),
                         k);
        assert_int_equal(units_of(j, "cost"), plan_cost_of(j));
        assert_int_equal(json_integer_value(json_object_get(j, "rows")),
                         k * ROWS_PER_CHUNK);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "price"),
                                              "kind")),
            "metered");
        assert_null(json_object_get(j, "balance"));
        json_decref(j);
        gwtest_resp_clear(&r);
    }
}

static void test_refusals(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *body;
        int status;
        const char *field;
    } cases[] = {
        {"", 400, "body"},
        {"[]", 400, "body"},
        {"{}", 400, "body"},
        {"{\"all\":false}", 400, "all"},
        {"{\"all\":1}", 400, "all"},
        {"{\"all\":true,\"chunks\":[1]}", 400, "chunks"},
        {"{\"all\":true,\"x\":1}", 400, "x"},
        {"{\"rows\":{\"from\":5,\"to\":4}}", 400, "rows.to"},
        {"{\"rows\":{\"from\":-1,\"to\":4}}", 400, "rows.from"},
        {"{\"rows\":{\"from\":1.0,\"to\":4}}", 400, "rows.from"},
        {"{\"rows\":{\"from\":1,\"to\":1e3}}", 400, "rows.to"},
        {"{\"rows\":{\"from\":1}}", 400, "rows.to"},
        {"{\"rows\":{\"from\":1,\"to\":2,\"step\":1}}", 400, "rows.step"},
        {"{\"rows\":{\"from\":0,\"to\":9007199254740993}}", 400, "rows.to"},
        {"{\"rows\":[0,1]}", 400, "rows"},
        {"{\"chunks\":[6]}", 400, "chunks[0]"},
        {"{\"chunks\":[0,1,99]}", 400, "chunks[2]"},
        {"{\"chunks\":[\"1\"]}", 400, "chunks[0]"},
        {"{\"chunks\":1}", 400, "chunks"},
        {"{\"where\":[]}", 400, "where"},
        {"{\"where\":[[\"nope\",\"=\",1]]}", 400, "where[0][0]"},
        {"{\"where\":[[\"id\",\"=\",1],[\"id\",\"~\",1]]}", 400, "where[1][1]"},
        {"{\"where\":[[\"id\",\"=\",\"1\"]]}", 400, "where[0][2]"},
        {"{\"where\":[[\"name\",\"=\",1]]}", 400, "where[0][2]"},
        {"{\"where\":[[\"id\",\"=\",null]]}", 400, "where[0][2]"},
        {"{\"where\":[[\"id\",\"=\"]]}", 400, "where[0]"},
        {"{\"where\":[[\"id\",\"=\",01]]}", 400, "body"},
        {"{\"where\":[[\"id\",\"=\",+1]]}", 400, "body"},
        {"{\"all\":true,\"max_cost\":5}", 400, "max_cost"},
        {"{\"all\":true,\"max_cost\":\"9223372036854775808\"}", 400,
         "max_cost"},
        {"{\"all\":true,\"all\":true}", 400, "all"},
        {"{\"all\":true", 400, "body"},
    };
    struct gwtest_resp r;
    struct gwtest_sig s;
    char body[2048], target[160];
    size_t i;
    int k;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        quote(fx, NULL, cases[i].body, &r);
        want(&r, cases[i].status, cases[i].field, cases[i].body);
        gwtest_resp_clear(&r);
        /* The query refuses it the same way, before any charge. */
        s = (struct gwtest_sig){0};
        query(fx, &fx->worker, cases[i].body, &s, &r);
        want(&r, cases[i].status, cases[i].field, cases[i].body);
        gwtest_resp_clear(&r);
    }
    /* 33 conditions. */
    k = snprintf(body, sizeof body, "{\"where\":[");
    for (i = 0; i < 33; i++)
        k += snprintf(body + k, sizeof body - (size_t)k, "%s[\"id\",\">\",%zu]",
                      i ? "," : "", i);
    snprintf(body + k, sizeof body - (size_t)k, "]}");
    quote(fx, NULL, body, &r);
    want(&r, 400, "where", "33 conditions");
    gwtest_resp_clear(&r);
    /* Unknown data-set, and a bad id. */
    gwtest_send(&fx->t, "POST",
                "/v1/datasets/0x00000000000000000000000000000000000000000000"
                "00000000000000000000/quote",
                "{\"all\":true}", NULL, &r);
    want(&r, 404, "id", "unknown data-set");
    gwtest_resp_clear(&r);
    gwtest_send(&fx->t, "POST", "/v1/datasets/0x12/quote", "{\"all\":true}",
                NULL, &r);
    want(&r, 400, "id", "bad id");
    gwtest_resp_clear(&r);
    /* A quote with some but not all signature headers is 401. */
    snprintf(target, sizeof target, "/v1/datasets/%s/quote", fx->id);
    gwtest_send(&fx->t, "POST", target, "{\"all\":true}",
                "X-Sluice-Nonce: abcdefghijklmnopq\r\n", &r);
    want(&r, 401, NULL, "nonce alone");
    gwtest_resp_clear(&r);
    /* A query must be signed. */
    snprintf(target, sizeof target, "/v1/datasets/%s/queries", fx->id);
    gwtest_send(&fx->t, "POST", target, "{\"all\":true}", NULL, &r);
    want(&r, 401, NULL, "unsigned query");
    gwtest_resp_clear(&r);
}

static void test_pay_and_query(void **state)
{
    struct fixture *fx = *state;
    struct gwtest_resp r, r2;
    struct gwtest_sig s;
    char nonce[130], target[200];
    uint64_t balance, cost, spent = 0;
    json_t *a, *q;

    /* No credit, no chain: the answer would need the chain. */
    s = (struct gwtest_sig){0};
    query(fx, &fx->worker, "{\"chunks\":[0]}", &s, &r);
    want(&r, 503, NULL, "no credit, no chain");
    assert_non_null(gwtest_header(&r, "Retry-After", target, sizeof target));
    gwtest_resp_clear(&r);
    /* 10,000,999 wei at 1000 wei a unit: 10,000 units (999 carried). */
    credit(fx, &fx->worker, "10000999");
    balance = 10000;
    /* A signed quote shows the balance. */
    quote(fx, &fx->worker, "{\"chunks\":[0]}", &r);
    want(&r, 200, NULL, "signed quote");
    q = body_json(&r);
    assert_int_equal(units_of(q, "balance"), balance);
    assert_true(json_is_null(json_object_get(q, "payment")));
    cost = units_of(q, "cost");
    json_decref(q);
    gwtest_resp_clear(&r);
    /* max_cost below the cost: 409, with the quote, nothing charged. */
    s = (struct gwtest_sig){0};
    query(fx, &fx->worker, "{\"chunks\":[0],\"max_cost\":\"1\"}", &s, &r);
    want(&r, 409, "max_cost", "max_cost");
    a = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(a, "type")),
                        "urn:sluice:problem:max-cost");
    assert_int_equal(units_of(json_object_get(a, "quote"), "cost"), cost);
    json_decref(a);
    gwtest_resp_clear(&r);
    /* The query: 200, keys, receipt, rows that match the upload. */
    s = (struct gwtest_sig){0};
    query(fx, &fx->worker, "{\"chunks\":[0]}", &s, &r);
    want(&r, 200, NULL, "paid query");
    snprintf(nonce, sizeof nonce, "%s", s.used_nonce);
    a = body_json(&r);
    assert_int_equal(units_of(a, "cost"), cost);
    spent += cost;
    assert_int_equal(units_of(a, "balance_after"), balance - spent);
    check_answer(fx, &fx->worker, a, NULL);
    json_decref(a);
    /* A retry: the same answer, byte for byte, and no second charge. */
    s = (struct gwtest_sig){.nonce = nonce};
    query(fx, &fx->worker, "{\"chunks\":[0]}", &s, &r2);
    want(&r2, 200, NULL, "retry");
    assert_int_equal(r.body_len, r2.body_len);
    assert_memory_equal(r.body, r2.body, r.body_len);
    gwtest_resp_clear(&r2);
    gwtest_resp_clear(&r);
    /* An empty query: 200, no chunk, the per-query fee. */
    s = (struct gwtest_sig){0};
    query(fx, &fx->worker, "{\"chunks\":[]}", &s, &r);
    want(&r, 200, NULL, "empty query");
    a = body_json(&r);
    assert_int_equal(units_of(a, "cost"), 10);
    spent += 10;
    assert_int_equal(json_array_size(json_object_get(a, "chunks")), 0);
    assert_non_null(strstr(json_string_value(json_object_get(
                               json_object_get(a, "receipt"), "text")),
                           "\nchunks: \n"));
    check_answer(fx, &fx->worker, a, NULL);
    json_decref(a);
    gwtest_resp_clear(&r);
    /* Each selector, paid and checked. */
    {
        static const char *const bodies[] = {
            "{\"rows\":{\"from\":499,\"to\":501}}",
            "{\"where\":[[\"id\",\">=\",2900]]}",
            "{\"chunks\":[2,2,1]}",
        };
        size_t i;

        for (i = 0; i < 3; i++) {
            s = (struct gwtest_sig){0};
            query(fx, &fx->worker, bodies[i], &s, &r);
            want(&r, 200, NULL, bodies[i]);
            a = body_json(&r);
            spent += units_of(a, "cost");
            assert_int_equal(units_of(a, "balance_after"), balance - spent);
            check_answer(fx, &fx->worker, a, NULL);
            json_decref(a);
            gwtest_resp_clear(&r);
        }
    }
    /* The balance does not cover all six chunks: 503 here (a 402 needs
     * the chain), and nothing charged. */
    s = (struct gwtest_sig){0};
    query(fx, &fx->worker, "{\"all\":true}", &s, &r);
    want(&r, 503, NULL, "short, no chain");
    gwtest_resp_clear(&r);
    /* Another worker cannot spend this worker's balance. */
    s = (struct gwtest_sig){0};
    query(fx, &fx->other, "{\"chunks\":[]}", &s, &r);
    want(&r, 503, NULL, "another worker");
    gwtest_resp_clear(&r);
    /* The account: the balance, the payment, the usage. */
    {
        char addr[ETHADDR_TEXT_SIZE];
        json_t *bal;

        ethaddr_to_text(addr, &fx->worker.addr);
        snprintf(target, sizeof target, "/v1/accounts/%s", addr);
        s = (struct gwtest_sig){0};
        gwtest_signed(&fx->t, &fx->worker, "GET", target, NULL, &s, &r);
        want(&r, 200, NULL, "account");
        a = body_json(&r);
        bal = json_array_get(json_object_get(a, "balances"), 0);
        assert_int_equal(units_of(bal, "units"), balance - spent);
        assert_int_equal(units_of(bal, "credited_total"), balance);
        assert_int_equal(units_of(bal, "spent_total"), spent);
        assert_int_equal(units_of(bal, "owed_units"), 0);
        assert_true(json_is_null(json_object_get(bal, "pass_expires")));
        assert_int_equal(
            json_integer_value(json_object_get(
                json_array_get(json_object_get(a, "usage"), 0), "queries")),
            5);
        json_decref(a);
        gwtest_resp_clear(&r);
        s = (struct gwtest_sig){0};
        gwtest_signed(&fx->t, &fx->other, "GET", target, NULL, &s, &r);
        want(&r, 403, "address", "another's account");
        gwtest_resp_clear(&r);
        gwtest_send(&fx->t, "GET", target, NULL, NULL, &r);
        want(&r, 401, NULL, "account unsigned");
        gwtest_resp_clear(&r);
    }
    /* The audit head: the last receipt's entry, signed. */
    gwtest_send(&fx->t, "GET", "/v1/audit/head", NULL, NULL, &r);
    want(&r, 200, NULL, "audit head");
    a = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(a, "index")), 5);
    {
        char text[AUDIT_HEAD_TEXT_MAX];
        uint8_t hash[32], sig[ETHSIG_LEN];
        struct ethaddr signer;
        secp256k1_pubkey pub;
        struct fault f;
        size_t len;

        assert_int_equal(hex_decode_0x(hash, 32,
                                       json_string_value(
                                           json_object_get(a, "hash")),
                                       66, "hash", &f),
                         0);
        len = audit_head_text(text, sizeof text, 5, hash,
                              json_integer_value(json_object_get(a, "time")));
        assert_int_equal(
            ethsig_parse(sig,
                         json_string_value(json_object_get(a, "signature")),
                         132, "signature", &f),
            0);
        assert_int_equal(ethsig_recover_personal(&pub, &signer, sig,
                                                 (const uint8_t *)text, len,
                                                 &f),
                         0);
        assert_true(ethaddr_equal(&signer, &fx->t.gw->identity));
    }
    json_decref(a);
    gwtest_resp_clear(&r);
}

/* A pass: credited units turn into time at the credit step; queries
 * while it runs cost 0 and are still released, logged and receipted; once
 * it has run out, no key. */
static void test_pass(void **state)
{
    struct fixture *fx = *state;
    struct gwtest_resp r;
    struct gwtest_sig s;
    struct ethkey k;
    json_t *a;
    const char *text;

    gwtest_key(&k, 4);
    /* 250,000 wei = 250 units: two prices buy 2 s, 50 stay. */
    credit_to(fx, &k, "250000", fx->pass_id_bytes);
    a = account_of(fx, &k, fx->pass_id);
    assert_int_equal(units_of(a, "units"), 50);
    assert_int_equal(units_of(a, "spent_total"), 200);
    assert_int_equal(units_of(a, "credited_total"), 250);
    assert_true(json_integer_value(json_object_get(a, "pass_expires")) >=
                (json_int_t)time(NULL) + 1);
    json_decref(a);
    s = (struct gwtest_sig){0};
    query_on(fx, &k, fx->pass_id, "{\"all\":true}", &s, &r);
    want(&r, 200, NULL, "query under a pass");
    a = body_json(&r);
    assert_int_equal(units_of(a, "cost"), 0);
    assert_int_equal(units_of(a, "balance_after"), 50);
    assert_int_equal(json_array_size(json_object_get(a, "chunks")), 6);
    text = json_string_value(
        json_object_get(json_object_get(a, "receipt"), "text"));
    assert_non_null(strstr(text, "\ncost: 0\nbalance_after: 50\n"
                                 "credited_total: 250\nspent_total: 200"));
    json_decref(a);
    gwtest_resp_clear(&r);
    /* The quote of a pass plan costs 0 and shows the plan. */
    {
        char target[160];
        snprintf(target, sizeof target, "/v1/datasets/%s/quote", fx->pass_id);
        gwtest_send(&fx->t, "POST", target, "{\"chunks\":[1]}", NULL, &r);
        want(&r, 200, NULL, "pass quote");
        a = body_json(&r);
        assert_int_equal(units_of(a, "cost"), 0);
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(a, "price"), "kind")),
                            "pass");
        json_decref(a);
        gwtest_resp_clear(&r);
    }
    /* Once the pass has run out: no key (503 here, a 402 with a chain). */
    sleep(3);
    s = (struct gwtest_sig){0};
    query_on(fx, &k, fx->pass_id, "{\"chunks\":[]}", &s, &r);
    want(&r, 503, NULL, "expired pass");
    gwtest_resp_clear(&r);
    /* Another credit of one price renews it from now. */
    credit_to(fx, &k, "100000", fx->pass_id_bytes);
    s = (struct gwtest_sig){0};
    query_on(fx, &k, fx->pass_id, "{\"chunks\":[]}", &s, &r);
    want(&r, 200, NULL, "renewed pass");
    gwtest_resp_clear(&r);
    a = account_of(fx, &k, fx->pass_id);
    /* 150 units left: one more price bought 1 s more. */
    assert_int_equal(units_of(a, "units"), 50);
    assert_int_equal(units_of(a, "spent_total"), 300);
    json_decref(a);
    ethkey_wipe(&k);
}

/* A reorg takes a credit back after part of it was spent: what the
 * balance no longer holds is owed, no key is released while it is, and
 * the next credit repays it first. */
static void test_owed_after_reversal(void **state)
{
    struct fixture *fx = *state;
    struct gwtest_resp r;
    struct gwtest_sig s;
    struct rollback rb = {0, 0, 0};
    struct ethkey k;
    uint64_t block;
    json_t *a;

    gwtest_key(&k, 5);
    block = credit_to(fx, &k, "3000000", NULL); /* 3000 units */
    s = (struct gwtest_sig){0};
    query(fx, &k, "{\"chunks\":[0]}", &s, &r); /* 1610 */
    want(&r, 200, NULL, "spend before the reorg");
    gwtest_resp_clear(&r);
    rb.to = (int64_t)block - 1;
    gwtest_on_loop(&fx->t, rollback_on_loop, &rb);
    assert_int_equal(rb.rc, 0);
    assert_int_equal(rb.reversed, 1);
    a = account_of(fx, &k, fx->id);
    assert_int_equal(units_of(a, "units"), 0);
    assert_int_equal(units_of(a, "owed_units"), 1610);
    assert_int_equal(units_of(a, "credited_total"), 0);
    assert_int_equal(units_of(a, "spent_total"), 1610);
    json_decref(a);
    fx->block = (uint64_t)rb.to;
    /* Not even a query of no chunk while units are owed. */
    s = (struct gwtest_sig){0};
    query(fx, &k, "{\"chunks\":[]}", &s, &r);
    want(&r, 503, NULL, "owed units");
    gwtest_resp_clear(&r);
    /* 2000 units: 1610 repay the debt, 390 stay. */
    credit_to(fx, &k, "2000000", NULL);
    a = account_of(fx, &k, fx->id);
    assert_int_equal(units_of(a, "units"), 390);
    assert_int_equal(units_of(a, "owed_units"), 0);
    assert_int_equal(units_of(a, "credited_total"), 2000);
    json_decref(a);
    s = (struct gwtest_sig){0};
    query(fx, &k, "{\"chunks\":[]}", &s, &r);
    want(&r, 200, NULL, "debt repaid");
    a = body_json(&r);
    assert_int_equal(units_of(a, "balance_after"), 380);
    json_decref(a);
    gwtest_resp_clear(&r);
    ethkey_wipe(&k);
}

/* A price change applies to queries priced after it; max_cost protects a
 * worker who priced under the old plan; the history shows both. */
static void test_price_change(void **state)
{
    struct fixture *fx = *state;
    struct gwtest_resp r;
    struct gwtest_sig s;
    struct ethkey k;
    char target[160], body[64], first[16];
    uint64_t old_cost;
    json_t *a;

    gwtest_key(&k, 6);
    credit(fx, &k, "100000000");
    quote(fx, NULL, "{\"chunks\":[0]}", &r);
    a = body_json(&r);
    old_cost = units_of(a, "cost");
    json_decref(a);
    gwtest_resp_clear(&r);
    snprintf(target, sizeof target, "/v1/datasets/%s/price", fx->id);
    s = (struct gwtest_sig){0};
    gwtest_signed(&fx->t, &fx->owner, "PUT", target,
                  "{\"kind\":\"metered\",\"unit_wei\":\"1000\","
                  "\"per_query\":\"20\",\"per_chunk\":\"100\","
                  "\"per_row\":\"1\",\"per_mib\":\"1000\"}",
                  &s, &r);
    want(&r, 200, NULL, "new price");
    a = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(a, "price_history")), 2);
    json_decref(a);
    gwtest_resp_clear(&r);
    snprintf(body, sizeof body, "{\"chunks\":[0],\"max_cost\":\"%llu\"}",
             (unsigned long long)old_cost);
    s = (struct gwtest_sig){0};
    query(fx, &k, body, &s, &r);
    want(&r, 409, "max_cost", "priced under the old plan");
    gwtest_resp_clear(&r);
    s = (struct gwtest_sig){0};
    query(fx, &k, "{\"chunks\":[0]}", &s, &r);
    want(&r, 200, NULL, "priced under the new plan");
    a = body_json(&r);
    assert_int_equal(units_of(a, "cost"), old_cost + 10);
    json_decref(a);
    gwtest_resp_clear(&r);
    /* Back to the first plan for the other tests, after 24 more changes:
     * the view shows the last DATASETS_VIEW_PRICES, the current one
     * last. */
    {
        int i;
        for (i = 0; i < 24; i++) {
            char plan[200];
            snprintf(plan, sizeof plan,
                     "{\"kind\":\"metered\",\"unit_wei\":\"1000\","
                     "\"per_query\":\"%d\"}", 30 + i);
            s = (struct gwtest_sig){0};
            gwtest_signed(&fx->t, &fx->owner, "PUT", target, plan, &s, &r);
            want(&r, 200, NULL, "a price change");
            gwtest_resp_clear(&r);
        }
    }
    /* The oldest shown: 24 changes (30 to 53), then PLAN. */
    snprintf(first, sizeof first, "%d", 30 + 24 - (DATASETS_VIEW_PRICES - 1));
    s = (struct gwtest_sig){0};
    gwtest_signed(&fx->t, &fx->owner, "PUT", target, PLAN, &s, &r);
    want(&r, 200, NULL, "old price again");
    a = body_json(&r);
    assert_int_equal(json_array_size(json_object_get(a, "price_history")),
                     DATASETS_VIEW_PRICES);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(a, "price_history"),
                                           DATASETS_VIEW_PRICES - 1),
                            "price"),
            "per_query")),
        "10");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(a, "price_history"),
                                           0),
                            "price"),
            "per_query")),
        first);
    json_decref(a);
    gwtest_resp_clear(&r);
    ethkey_wipe(&k);
}

static void audit_trigger_on_loop(struct gateway *gw, void *arg)
{
    const char *sql = arg;
    char *err = NULL;

    if (sqlite3_exec(gw->store->db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
}

/* If the audit entry cannot be written, nothing is debited and no key
 * leaves (fail closed); a retry after the fault is repaired is served. */
static void test_audit_fail_closed(void **state)
{
    struct fixture *fx = *state;
    struct gwtest_resp r;
    struct gwtest_sig s;
    struct ethkey k;
    char nonce[130];
    json_t *a;

    gwtest_key(&k, 7);
    credit(fx, &k, "100000000");
    {
        static char create[] =
            "CREATE TEMP TRIGGER audit_fails BEFORE INSERT ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END";
        gwtest_on_loop(&fx->t, audit_trigger_on_loop, create);
    }
    s = (struct gwtest_sig){0};
    query(fx, &k, "{\"chunks\":[1]}", &s, &r);
    if (r.status < 500)
        fail_msg("a query whose audit entry fails: %d %.*s", r.status,
                 (int)r.body_len, r.body);
    assert_null(strstr(r.body, "keys"));
    snprintf(nonce, sizeof nonce, "%s", s.used_nonce);
    gwtest_resp_clear(&r);
    a = account_of(fx, &k, fx->id);
    assert_int_equal(units_of(a, "units"), 100000);
    assert_int_equal(units_of(a, "spent_total"), 0);
    json_decref(a);
    {
        static char drop[] = "DROP TRIGGER temp.audit_fails";
        gwtest_on_loop(&fx->t, audit_trigger_on_loop, drop);
    }
    /* Not remembered (a 5xx): the same request again is served. */
    s = (struct gwtest_sig){.nonce = nonce};
    query(fx, &k, "{\"chunks\":[1]}", &s, &r);
    want(&r, 200, NULL, "after the repair");
    gwtest_resp_clear(&r);
    a = account_of(fx, &k, fx->id);
    assert_int_equal(units_of(a, "units"), 100000 - 1610);
    json_decref(a);
    ethkey_wipe(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_selectors),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_pay_and_query),
        cmocka_unit_test(test_pass),
        cmocka_unit_test(test_owed_after_reversal),
        cmocka_unit_test(test_price_change),
        cmocka_unit_test(test_audit_fail_closed),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
