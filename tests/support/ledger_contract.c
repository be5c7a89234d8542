#include "tests/support/ledger_contract.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pricing/audit.h"

/* Anvil's first accounts: checksummed addresses. */
#define GATEWAY "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define OWNER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define OTHER "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
#define WORKER2 "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
#define PAYER "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
#define CHAIN 31337
#define PLAN_1000                                                            \
    "{\"kind\":\"metered\",\"unit_wei\":\"1000\",\"per_query\":\"1\","       \
    "\"per_chunk\":\"0\",\"per_row\":\"0\",\"per_mib\":\"0\","               \
    "\"min_purchase\":\"0\"}"
/* A pass: 3 units (of 1000 wei) buy 100 seconds. */
#define PASS_3_100                                                           \
    "{\"kind\":\"pass\",\"unit_wei\":\"1000\",\"price\":\"3\","              \
    "\"duration_s\":100}"
/* 2026-01-01T00:00:00Z, and a day. */
#define DAY0 1767225600
#define DAY 86400

/* One case's world: the harness, a fresh ledger, two published data-sets
 * of OWNER (metered, unit 1000 wei; ds < ds2), one of WORKER2, a pass
 * data-set of OWNER, and a draft. */
struct lc {
    struct ledger_harness *h;
    struct ledger *l;
    uint8_t ds[32];
    uint8_t ds2[32];
    uint8_t ds3[32];
    uint8_t pass[32];
    uint8_t draft[32];
    struct ethaddr worker;
    struct ethaddr worker2;
};

static struct ledger_harness *lc_harness;

static int lc_setup(void **state)
{
    struct lc *x = calloc(1, sizeof *x);
    struct fault f;

    if (x == NULL)
        return -1;
    x->h = lc_harness;
    if (x->h->open(x->h, &x->l) < 0)
        return -1;
    memset(x->ds, 0xd5, 32);
    memset(x->ds2, 0xd6, 32);
    memset(x->ds3, 0xd7, 32);
    memset(x->pass, 0xd9, 32);
    memset(x->draft, 0xdf, 32);
    x->h->add_dataset(x->h, x->ds, OWNER, 1, PLAN_1000);
    x->h->add_dataset(x->h, x->ds2, OWNER, 1, PLAN_1000);
    x->h->add_dataset(x->h, x->ds3, WORKER2, 1, PLAN_1000);
    x->h->add_dataset(x->h, x->pass, OWNER, 1, PASS_3_100);
    x->h->add_dataset(x->h, x->draft, OWNER, 0, NULL);
    if (ethaddr_parse(&x->worker, OTHER, strlen(OTHER), "w", &f) < 0 ||
        ethaddr_parse(&x->worker2, WORKER2, strlen(WORKER2), "w", &f) < 0)
        return -1;
    *state = x;
    return 0;
}

static int lc_teardown(void **state)
{
    struct lc *x = *state;

    x->h->close(x->h, x->l);
    free(x);
    return 0;
}

static void payment(struct ledger_payment *p, const uint8_t ds[32],
                    uint8_t tx_byte, uint64_t block, const char *owner,
                    const char *amount)
{
    struct fault f;

    memset(p, 0, sizeof *p);
    p->chain_id = CHAIN;
    memset(p->tx_hash, tx_byte, 32);
    p->block_number = block;
    memset(p->block_hash, (int)block, 32);
    memcpy(p->dataset_id, ds, 32);
    assert_int_equal(ethaddr_parse(&p->worker, OTHER, strlen(OTHER), "w", &f),
                     0);
    p->payer = p->worker;
    assert_int_equal(ethaddr_parse(&p->owner, owner, strlen(owner), "o", &f),
                     0);
    snprintf(p->amount_wei, sizeof p->amount_wei, "%s", amount);
}

static enum ledger_state state_of(struct lc *x, uint8_t tx_byte,
                                  enum ledger_reason *reason, uint64_t *units)
{
    struct ledger_payment out[2];
    uint8_t tx[32];
    size_t n = 9;
    struct fault f;

    memset(tx, tx_byte, 32);
    assert_int_equal(ledger_payments_of_tx(x->l, CHAIN, tx, out, 2, &n, &f),
                     0);
    if (n == 0)
        return LEDGER_SEEN;
    assert_int_equal(n, 1);
    if (reason)
        *reason = out[0].reason;
    if (units)
        *units = out[0].units;
    return out[0].state;
}

static void observe(struct lc *x, const struct ledger_payment *p,
                    enum ledger_state want)
{
    uint8_t b = p->tx_hash[0];
    struct fault f;

    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_observe(x->l, p, 1, 100, &f), 0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    assert_int_equal(state_of(x, b, NULL, NULL), want);
}

static uint64_t credit(struct lc *x, uint64_t upto)
{
    uint64_t n = 99;
    struct fault f;

    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_credit_upto(x->l, CHAIN, upto, 200, &n, &f), 0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    return n;
}

static uint64_t drop_after(struct lc *x, int64_t block)
{
    uint64_t n = 99;
    struct fault f;

    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_drop_after(x->l, CHAIN, block, 300, &n, &f), 0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    return n;
}

static void balance(struct lc *x, uint64_t want_units, uint64_t want_owed)
{
    uint64_t units = 1, owed = 1;
    struct fault f;

    assert_int_equal(
        ledger_balance(x->l, &x->worker, x->ds, &units, &owed, &f), 0);
    assert_int_equal(units, want_units);
    assert_int_equal(owed, want_owed);
}

static struct ethaddr addr(const char *text)
{
    struct ethaddr a;
    struct fault f;

    assert_int_equal(ethaddr_parse(&a, text, strlen(text), "address", &f), 0);
    return a;
}

/* A query of worker on ds at now, its id 16 times qbyte, touching chunks
 * 0, 3 and 17 (30 rows, 3000 bytes). */
static void rel_init(struct ledger_release *r, const uint8_t ds[32],
                     const struct ethaddr *worker, uint8_t qbyte,
                     uint64_t cost, int pass, int64_t now)
{
    static const uint64_t chunks[] = {0, 3, 17};

    memset(r, 0, sizeof *r);
    memcpy(r->dataset_id, ds, 32);
    r->worker = *worker;
    r->owner = addr(OWNER);
    r->gateway = addr(GATEWAY);
    memset(r->query_id, qbyte, 16);
    r->chunks = chunks;
    r->nchunks = 3;
    r->rows = 30;
    r->plain_bytes = 3000;
    r->cost = cost;
    r->pass = pass;
    r->now = now;
}

/* Release r in a unit of work of its own. Returns FAULT_NONE (committed:
 * r's out fields are set, r->text is the caller's) or the fault's kind
 * (r's out fields are then checked to be zeroed). A refusal for payment
 * or a reused query id changes nothing, so that unit is committed all the
 * same (and what it kept is checked by the caller); after any other
 * failure it is rolled back. */
static enum fault_kind release(struct lc *x, struct ledger_release *r)
{
    static const uint8_t zero[32];
    struct fault f;

    assert_int_equal(ledger_begin(x->l, &f), 0);
    fault_clear(&f);
    if (ledger_release(x->l, r, &f) == 0) {
        assert_int_equal(f.kind, FAULT_NONE);
        assert_int_equal(ledger_commit(x->l, &f), 0);
        assert_non_null(r->text);
        assert_int_equal(strlen(r->text), r->text_len);
        return FAULT_NONE;
    }
    assert_true(f.kind != FAULT_NONE);
    assert_int_equal(r->index, 0);
    assert_memory_equal(r->hash, zero, 32);
    assert_null(r->text);
    assert_int_equal(r->text_len, 0);
    assert_int_equal(r->balance_after, 0);
    assert_int_equal(r->credited_total, 0);
    assert_int_equal(r->spent_total, 0);
    if (f.kind == FAULT_PAYMENT || f.kind == FAULT_CONFLICT) {
        assert_int_equal(ledger_commit(x->l, &f), 0);
    } else {
        ledger_rollback(x->l);
    }
    return f.kind;
}

/* Release r; it must succeed. Frees the text. */
static void release_ok(struct lc *x, struct ledger_release *r)
{
    assert_int_equal(release(x, r), FAULT_NONE);
    assert_int_equal(r->balance_after, r->credited_total - r->spent_total);
    free(r->text);
    r->text = NULL;
}

/* (worker, ds)'s account, checked against the rule of every pair:
 * units - owed_units = credited_total - spent_total. */
static struct ledger_account account(struct lc *x,
                                     const struct ethaddr *worker,
                                     const uint8_t ds[32])
{
    struct ledger_account a;
    struct fault f;

    memset(&a, 0x5a, sizeof a);
    assert_int_equal(ledger_account(x->l, worker, ds, &a, &f), 0);
    assert_memory_equal(a.dataset_id, ds, 32);
    assert_true(a.units <= LEDGER_UNITS_MAX);
    assert_true(a.owed_units <= LEDGER_UNITS_MAX);
    assert_true(a.credited_total <= LEDGER_UNITS_MAX);
    assert_true(a.spent_total <= LEDGER_UNITS_MAX);
    assert_true(a.units + a.spent_total == a.credited_total + a.owed_units);
    if (!a.has_pass)
        assert_int_equal(a.pass_expires, 0);
    return a;
}

static void account_is(struct lc *x, const struct ethaddr *worker,
                       const uint8_t ds[32], uint64_t units, uint64_t owed,
                       uint64_t credited, uint64_t spent)
{
    struct ledger_account a = account(x, worker, ds);

    assert_int_equal(a.units, units);
    assert_int_equal(a.owed_units, owed);
    assert_int_equal(a.credited_total, credited);
    assert_int_equal(a.spent_total, spent);
}

static uint64_t audit_index(struct lc *x)
{
    uint64_t index = 99;
    uint8_t hash[32];
    int64_t t;
    struct fault f;

    assert_int_equal(ledger_audit_head(x->l, &index, hash, &t, &f), 0);
    return index;
}

/* Observe p and credit everything up to its block, at now. */
static void pay(struct lc *x, const struct ledger_payment *p, int64_t now)
{
    uint64_t n = 0;
    struct fault f;

    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_observe(x->l, p, 1, now, &f), 0);
    if (ledger_credit_upto(x->l, CHAIN, p->block_number, now, &n, &f) < 0)
        fail_msg("credit: %s", f.detail);
    assert_int_equal(ledger_commit(x->l, &f), 0);
}

/* 2500 wei at 1000 wei a unit: 2 units and 500 carried; 1700 more: 2
 * units (500 + 1700 = 2200) and 200 carried. A payment seen again is not
 * credited again. */
static void test_credit_carries(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    uint64_t units = 0;

    payment(&p, x->ds, 0xa1, 10, OWNER, "2500");
    observe(x, &p, LEDGER_CONFIRMING);
    assert_int_equal(credit(x, 9), 0); /* not deep enough yet */
    balance(x, 0, 0);
    assert_int_equal(credit(x, 10), 1);
    balance(x, 2, 0);
    assert_int_equal(state_of(x, 0xa1, NULL, &units), LEDGER_CREDITED);
    assert_int_equal(units, 2);
    payment(&p, x->ds, 0xa2, 11, OWNER, "1700");
    observe(x, &p, LEDGER_CONFIRMING);
    assert_int_equal(credit(x, 11), 1);
    balance(x, 4, 0);
    assert_int_equal(state_of(x, 0xa2, NULL, &units), LEDGER_CREDITED);
    assert_int_equal(units, 2);
    observe(x, &p, LEDGER_CREDITED);
    assert_int_equal(credit(x, 100), 0);
    balance(x, 4, 0);
}

static void test_unmatched_never_credited(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    enum ledger_reason why = LEDGER_REASON_NONE;
    uint8_t unknown[32];

    payment(&p, x->ds, 0xb1, 5, OTHER, "5000"); /* wrong owner */
    observe(x, &p, LEDGER_UNMATCHED);
    assert_int_equal(state_of(x, 0xb1, &why, NULL), LEDGER_UNMATCHED);
    assert_int_equal(why, LEDGER_OWNER_MISMATCH);
    payment(&p, x->draft, 0xb2, 5, OWNER, "5000"); /* not published */
    observe(x, &p, LEDGER_UNMATCHED);
    assert_int_equal(state_of(x, 0xb2, &why, NULL), LEDGER_UNMATCHED);
    assert_int_equal(why, LEDGER_UNKNOWN_DATASET);
    memset(unknown, 0x77, sizeof unknown);
    payment(&p, unknown, 0xb3, 5, OWNER, "5000");
    observe(x, &p, LEDGER_UNMATCHED);
    assert_int_equal(state_of(x, 0xb3, &why, NULL), LEDGER_UNMATCHED);
    assert_int_equal(why, LEDGER_UNKNOWN_DATASET);
    assert_int_equal(credit(x, 100), 0);
    balance(x, 0, 0);
}

/* A confirming payment reorged away is forgotten; a credited one is
 * reversed, and credited again (once) when it comes back. */
static void test_reorg_forget_reverse_return(void **state)
{
    struct lc *x = *state;
    struct ledger_payment a, b;
    enum ledger_reason why = LEDGER_REASON_NONE;

    payment(&a, x->ds, 0xc1, 20, OWNER, "3400"); /* 3 units, 400 kept */
    payment(&b, x->ds, 0xc2, 22, OWNER, "1000");
    observe(x, &a, LEDGER_CONFIRMING);
    observe(x, &b, LEDGER_CONFIRMING);
    assert_int_equal(credit(x, 20), 1);
    balance(x, 3, 0);
    assert_int_equal(drop_after(x, 19), 1);
    assert_int_equal(state_of(x, 0xc1, &why, NULL), LEDGER_REVERSED);
    assert_int_equal(why, LEDGER_REORGED);
    assert_int_equal(state_of(x, 0xc2, NULL, NULL), LEDGER_SEEN);
    balance(x, 0, 0);
    a.block_number = 25;
    observe(x, &a, LEDGER_CONFIRMING);
    assert_int_equal(credit(x, 30), 1);
    balance(x, 3, 0);
    assert_int_equal(credit(x, 30), 0);
}

/* Credit spent before the reorg becomes owed; the carry borrows. */
static void test_reversal_of_spent_credit_is_owed(void **state)
{
    struct lc *x = *state;
    struct ledger_payment a, b;
    struct ledger_release r;

    payment(&a, x->ds, 0xd1, 40, OWNER, "1600"); /* 1 unit, 600 kept */
    payment(&b, x->ds, 0xd2, 41, OWNER, "1600"); /* 2 units (2200), 200 */
    observe(x, &a, LEDGER_CONFIRMING);
    observe(x, &b, LEDGER_CONFIRMING);
    assert_int_equal(credit(x, 41), 2);
    balance(x, 3, 0);
    rel_init(&r, x->ds, &x->worker, 0x01, 2, 0, DAY0);
    release_ok(x, &r);
    /* b (2 units for 1600 wei + 600 carried) goes first: its 400 wei come
     * back to the carry (600); then a (1 unit for 1600 wei) takes its 600
     * wei from it (0). 3 units are taken from a balance of 1: 2 owed. */
    assert_int_equal(drop_after(x, 39), 2);
    balance(x, 0, 2);
    account_is(x, &x->worker, x->ds, 0, 2, 0, 2);
}

static void test_bad_amount(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    struct fault f;

    payment(&p, x->ds, 0xe1, 5, OWNER, "12x");
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_observe(x->l, &p, 1, 100, &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "amount_wei");
    ledger_rollback(x->l);
    snprintf(p.amount_wei, sizeof p.amount_wei,
             "340282366920938463463374607431768211456"); /* 2^128 */
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_observe(x->l, &p, 1, 100, &f), -1);
    ledger_rollback(x->l);
    assert_int_equal(state_of(x, 0xe1, NULL, NULL), LEDGER_SEEN);
}

/* The payments of one transaction come back by ordinal, at most cap. */
static void test_payments_of_tx(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p[3], out[3];
    size_t n = 0;
    struct fault f;
    int i;

    for (i = 0; i < 3; i++) {
        payment(&p[i], x->ds, 0xf1, 7, OWNER, "1000");
        p[i].ordinal = (uint32_t)(2 - i);
        p[i].log_index = (uint64_t)(10 + i);
    }
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_observe(x->l, p, 3, 100, &f), 0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    assert_int_equal(ledger_payments_of_tx(x->l, CHAIN, p[0].tx_hash, out, 3,
                                           &n, &f),
                     0);
    assert_int_equal(n, 3);
    for (i = 0; i < 3; i++) {
        assert_int_equal(out[i].ordinal, i);
        assert_int_equal(out[i].log_index, 12 - i);
        assert_string_equal(out[i].amount_wei, "1000");
        assert_int_equal(out[i].state, LEDGER_CONFIRMING);
        assert_true(ethaddr_equal(&out[i].worker, &x->worker));
    }
    assert_int_equal(ledger_payments_of_tx(x->l, CHAIN, p[0].tx_hash, out, 2,
                                           &n, &f),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(ledger_payments_of_tx(x->l, CHAIN + 1, p[0].tx_hash, out,
                                           3, &n, &f),
                     0);
    assert_int_equal(n, 0);
}

static void test_chain_checkpoint(void **state)
{
    struct lc *x = *state;
    struct ledger_chain cs;
    struct ledger_block b[3], out[4];
    uint8_t contract[20], other[20];
    size_t n = 0;
    struct fault f;

    memset(contract, 0x11, sizeof contract);
    memset(other, 0x22, sizeof other);
    assert_int_equal(ledger_chain_read(x->l, &cs, &f), 0);
    assert_int_equal(ledger_chain_open(x->l, &cs, CHAIN, contract, 7, &f), 0);
    assert_int_equal(cs.tip, 6);
    assert_int_equal(cs.last_credited_block, -1);
    assert_int_equal(ledger_chain_open(x->l, &cs, 1, contract, 0, &f), -1);
    assert_int_equal(f.kind, FAULT_CONFLICT);
    assert_string_equal(f.field, "chain_id");
    assert_int_equal(ledger_chain_open(x->l, &cs, CHAIN, other, 0, &f), -1);
    assert_string_equal(f.field, "contract");
    memset(b, 0, sizeof b);
    b[0].number = 7;
    b[1].number = 8;
    b[2].number = 9;
    b[1].hash[0] = 8;
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_chain_put_blocks(x->l, b, 3, &f), 0);
    assert_int_equal(ledger_chain_advance(x->l, 9, 8, 1, &f), 0);
    assert_int_equal(ledger_chain_trim(x->l, 8, 8, &f), 0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    assert_int_equal(ledger_chain_blocks(x->l, -1, out, 4, &n, &f), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].number, 8);
    assert_int_equal(out[0].hash[0], 8);
    /* A restart sees the same checkpoint. */
    assert_int_equal(x->h->reopen(x->h, &x->l), 0);
    assert_int_equal(ledger_chain_open(x->l, &cs, CHAIN, contract, 0, &f), 0);
    assert_int_equal(cs.tip, 9);
    assert_int_equal(cs.last_credited_block, 8);
    assert_int_equal(cs.finality_violations, 1);
}

static void nonce_record(struct ledger_nonce *r, const char *nonce,
                         int64_t at)
{
    static char target[] = "/v1/datasets";
    static char loc[] = "/v1/datasets/0x01";
    static uint8_t body[] = {'{', '}', 0, 0xff};

    memset(r, 0, sizeof *r);
    snprintf(r->address, sizeof r->address, "%s", OTHER);
    snprintf(r->nonce, sizeof r->nonce, "%s", nonce);
    r->created_at = at;
    snprintf(r->method, sizeof r->method, "POST");
    r->target = target;
    memset(r->body_sha256, 0xab, 32);
    r->status = 201;
    snprintf(r->content_type, sizeof r->content_type, "application/json");
    r->location = loc;
    r->response = body;
    r->response_len = sizeof body;
}

/* A request's answer is kept whole, once per (address, nonce), and
 * forgotten after the cutoff. */
static void test_nonces(void **state)
{
    struct lc *x = *state;
    struct ledger_nonce r, got;
    int found = 7;
    struct fault f;

    nonce_record(&r, "nonce-aaaaaaaaaaaa1", 1000);
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_nonce_insert(x->l, &r, &f), 0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    assert_int_equal(ledger_nonce_lookup(x->l, &got, &found, OTHER,
                                         "nonce-aaaaaaaaaaaa1", &f),
                     0);
    assert_int_equal(found, 1);
    assert_string_equal(got.method, "POST");
    assert_string_equal(got.target, "/v1/datasets");
    assert_memory_equal(got.body_sha256, r.body_sha256, 32);
    assert_int_equal(got.status, 201);
    assert_string_equal(got.content_type, "application/json");
    assert_string_equal(got.location, "/v1/datasets/0x01");
    assert_int_equal(got.response_len, 4);
    assert_memory_equal(got.response, r.response, 4);
    assert_int_equal(got.created_at, 1000);
    ledger_nonce_clear(&got);
    /* Nonces compare case-sensitively; another address is another pair. */
    assert_int_equal(ledger_nonce_lookup(x->l, &got, &found, OTHER,
                                         "NONCE-aaaaaaaaaaaa1", &f),
                     0);
    assert_int_equal(found, 0);
    assert_int_equal(ledger_nonce_lookup(x->l, &got, &found, OWNER,
                                         "nonce-aaaaaaaaaaaa1", &f),
                     0);
    assert_int_equal(found, 0);
    /* Twice: a conflict (the caller answers 409). */
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_nonce_insert(x->l, &r, &f), -1);
    assert_int_equal(f.kind, FAULT_CONFLICT);
    ledger_rollback(x->l);
    /* No location, an empty answer. */
    nonce_record(&r, "nonce-aaaaaaaaaaaa2", 2000);
    r.location = NULL;
    r.response_len = 0;
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_nonce_insert(x->l, &r, &f), 0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    assert_int_equal(ledger_nonce_lookup(x->l, &got, &found, OTHER,
                                         "nonce-aaaaaaaaaaaa2", &f),
                     0);
    assert_int_equal(found, 1);
    assert_null(got.location);
    assert_int_equal(got.response_len, 0);
    ledger_nonce_clear(&got);
    assert_int_equal(ledger_nonce_expire(x->l, 1500, &f), 1);
    assert_int_equal(ledger_nonce_lookup(x->l, &got, &found, OTHER,
                                         "nonce-aaaaaaaaaaaa1", &f),
                     0);
    assert_int_equal(found, 0);
    assert_int_equal(ledger_nonce_expire(x->l, 1500, &f), 0);
}

/* A unit of work commits whole or not at all; savepoints undo one
 * request's share of it; what is committed survives a restart. */
static void test_units_of_work(void **state)
{
    struct lc *x = *state;
    struct ledger_nonce r, got;
    int found;
    struct fault f;

    assert_int_equal(ledger_in_unit(x->l), 0);
    nonce_record(&r, "nonce-rolled-back-1", 10);
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_in_unit(x->l), 1);
    assert_int_equal(ledger_nonce_insert(x->l, &r, &f), 0);
    ledger_rollback(x->l);
    assert_int_equal(ledger_in_unit(x->l), 0);
    assert_int_equal(ledger_nonce_lookup(x->l, &got, &found, OTHER,
                                         "nonce-rolled-back-1", &f),
                     0);
    assert_int_equal(found, 0);
    /* Group commit: A kept, B undone, C kept; one commit. */
    assert_int_equal(ledger_begin(x->l, &f), 0);
    nonce_record(&r, "nonce-request-aaa-A", 10);
    assert_int_equal(ledger_savepoint(x->l, &f), 0);
    assert_int_equal(ledger_nonce_insert(x->l, &r, &f), 0);
    assert_int_equal(ledger_savepoint_release(x->l, &f), 0);
    nonce_record(&r, "nonce-request-aaa-B", 10);
    assert_int_equal(ledger_savepoint(x->l, &f), 0);
    assert_int_equal(ledger_nonce_insert(x->l, &r, &f), 0);
    assert_int_equal(ledger_savepoint_undo(x->l, &f), 0);
    assert_int_equal(ledger_savepoint_release(x->l, &f), 0);
    nonce_record(&r, "nonce-request-aaa-C", 10);
    assert_int_equal(ledger_savepoint(x->l, &f), 0);
    assert_int_equal(ledger_nonce_insert(x->l, &r, &f), 0);
    assert_int_equal(ledger_savepoint_release(x->l, &f), 0);
    assert_int_equal(ledger_in_unit(x->l), 1);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    assert_int_equal(x->h->reopen(x->h, &x->l), 0);
    assert_int_equal(ledger_ping(x->l, &f), 0);
    assert_int_equal(ledger_nonce_lookup(x->l, &got, &found, OTHER,
                                         "nonce-request-aaa-A", &f),
                     0);
    assert_int_equal(found, 1);
    ledger_nonce_clear(&got);
    assert_int_equal(ledger_nonce_lookup(x->l, &got, &found, OTHER,
                                         "nonce-request-aaa-B", &f),
                     0);
    assert_int_equal(found, 0);
    assert_int_equal(ledger_nonce_lookup(x->l, &got, &found, OTHER,
                                         "nonce-request-aaa-C", &f),
                     0);
    assert_int_equal(found, 1);
    ledger_nonce_clear(&got);
}

static void step_at(struct lc *x, struct ledger_step *s, int64_t now,
                    uint64_t *reversed)
{
    struct fault f;

    assert_int_equal(ledger_begin(x->l, &f), 0);
    if (ledger_apply_step(x->l, s, now, reversed, &f) < 0)
        fail_msg("step: %s", f.detail);
    assert_int_equal(ledger_commit(x->l, &f), 0);
}

static void step(struct lc *x, struct ledger_step *s, uint64_t *reversed)
{
    step_at(x, s, 500, reversed);
}

/* The follower's step: payments, credit, checkpoint together; and the
 * last credited block never moves back below credited payments (the bug
 * the chain property test once found), except to a rollback point. */
static void test_step_credited_never_back(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_block blk;
    struct ledger_chain cs;
    struct ledger_step s;
    uint8_t contract[20];
    uint64_t reversed = 9;
    struct fault f;

    memset(contract, 0x11, sizeof contract);
    assert_int_equal(ledger_chain_open(x->l, &cs, CHAIN, contract, 0, &f), 0);
    payment(&p, x->ds, 0x91, 10, OWNER, "5000");
    memset(&blk, 0, sizeof blk);
    blk.number = 12;
    memset(&s, 0, sizeof s);
    s.chain_id = CHAIN;
    s.payments = &p;
    s.npayments = 1;
    s.blocks = &blk;
    s.nblocks = 1;
    s.tip = 12;
    s.keep_from = 0;
    s.credit = 1;
    s.credit_upto = 10;
    step(x, &s, &reversed);
    assert_int_equal(reversed, 0);
    balance(x, 5, 0);
    assert_int_equal(ledger_chain_read(x->l, &cs, &f), 1);
    assert_int_equal(cs.tip, 12);
    assert_int_equal(cs.last_credited_block, 10);
    /* The node went back to a lower head without dropping block 10: the
     * next step credits up to 8 only; the checkpoint stays at 10. */
    memset(&s, 0, sizeof s);
    s.chain_id = CHAIN;
    s.tip = 11;
    s.credit = 1;
    s.credit_upto = 8;
    step(x, &s, &reversed);
    assert_int_equal(ledger_chain_read(x->l, &cs, &f), 1);
    assert_int_equal(cs.last_credited_block, 10);
    assert_int_equal(cs.tip, 11);
    /* A rollback below block 10 reverses the credit and lowers it. */
    memset(&s, 0, sizeof s);
    s.chain_id = CHAIN;
    s.has_rollback = 1;
    s.rollback_to = 5;
    s.tip = 5;
    step(x, &s, &reversed);
    assert_int_equal(reversed, 1);
    balance(x, 0, 0);
    assert_int_equal(ledger_chain_read(x->l, &cs, &f), 1);
    assert_int_equal(cs.last_credited_block, 5);
    assert_int_equal(cs.finality_violations, 1);
    assert_int_equal(state_of(x, 0x91, NULL, NULL), LEDGER_REVERSED);
}

/* A step that fails midway leaves nothing once the unit is rolled back. */
static void test_step_whole_or_nothing(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p[2];
    struct ledger_chain cs;
    struct ledger_step s;
    uint8_t contract[20];
    uint64_t reversed = 0;
    struct fault f;

    memset(contract, 0x11, sizeof contract);
    assert_int_equal(ledger_chain_open(x->l, &cs, CHAIN, contract, 0, &f), 0);
    payment(&p[0], x->ds, 0x81, 3, OWNER, "5000");
    payment(&p[1], x->ds, 0x82, 3, OWNER, "not a number");
    memset(&s, 0, sizeof s);
    s.chain_id = CHAIN;
    s.payments = p;
    s.npayments = 2;
    s.tip = 4;
    s.credit = 1;
    s.credit_upto = 3;
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_apply_step(x->l, &s, 500, &reversed, &f), -1);
    ledger_rollback(x->l);
    assert_int_equal(state_of(x, 0x81, NULL, NULL), LEDGER_SEEN);
    assert_int_equal(ledger_chain_read(x->l, &cs, &f), 1);
    assert_int_equal(cs.tip, -1);
    balance(x, 0, 0);
}

/* ---- releases (DESIGN.md 3.6, 3.10, 4) ---- */

/* A release takes exactly its cost; balance_after is credited_total -
 * spent_total; a release the balance does not cover, or with a query id
 * used before, changes nothing; a query of cost 0 needs no units. */
static void test_release_debits(void **state)
{
    static const uint8_t zero[32];
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_release r;
    struct ledger_account a;

    payment(&p, x->ds, 0x11, 10, OWNER, "10500"); /* 10 units, 500 kept */
    pay(x, &p, DAY0);
    rel_init(&r, x->ds, &x->worker, 0x01, 3, 0, DAY0 + 1);
    assert_int_equal(release(x, &r), FAULT_NONE);
    assert_int_equal(r.index, 1);
    assert_int_equal(r.balance_after, 7);
    assert_int_equal(r.credited_total, 10);
    assert_int_equal(r.spent_total, 3);
    assert_memory_not_equal(r.hash, zero, 32);
    free(r.text);
    a = account(x, &x->worker, x->ds);
    assert_int_equal(a.units, 7);
    assert_int_equal(a.owed_units, 0);
    assert_int_equal(a.credited_total, 10);
    assert_int_equal(a.spent_total, 3);
    assert_int_equal(a.has_pass, 0);
    balance(x, 7, 0);
    /* Short by one: refused, and nothing moves, the log neither. */
    rel_init(&r, x->ds, &x->worker, 0x02, 8, 0, DAY0 + 2);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    account_is(x, &x->worker, x->ds, 7, 0, 10, 3);
    assert_int_equal(audit_index(x), 1);
    /* The whole balance, then a query of cost 0 from nothing. */
    rel_init(&r, x->ds, &x->worker, 0x03, 7, 0, DAY0 + 3);
    release_ok(x, &r);
    assert_int_equal(r.index, 2);
    assert_int_equal(r.balance_after, 0);
    assert_int_equal(r.spent_total, 10);
    rel_init(&r, x->ds, &x->worker, 0x04, 0, 0, DAY0 + 4);
    release_ok(x, &r);
    assert_int_equal(r.index, 3);
    assert_int_equal(r.balance_after, 0);
    assert_int_equal(r.credited_total, 10);
    assert_int_equal(r.spent_total, 10);
    rel_init(&r, x->ds, &x->worker, 0x05, 1, 0, DAY0 + 5);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    /* A query id used before: a conflict, with units to cover it; nothing
     * moves. */
    payment(&p, x->ds, 0x12, 11, OWNER, "5000"); /* 5500: 5 units */
    pay(x, &p, DAY0 + 6);
    rel_init(&r, x->ds, &x->worker, 0x01, 1, 0, DAY0 + 7);
    assert_int_equal(release(x, &r), FAULT_CONFLICT);
    account_is(x, &x->worker, x->ds, 5, 0, 15, 10);
    assert_int_equal(audit_index(x), 3);
    /* The id of a refused query is free for the next. */
    rel_init(&r, x->ds, &x->worker, 0x02, 5, 0, DAY0 + 8);
    release_ok(x, &r);
    assert_int_equal(r.index, 4);
    account_is(x, &x->worker, x->ds, 0, 0, 15, 15);
}

static int count_account(void *arg, const struct ledger_account *a,
                         struct fault *f)
{
    (void)a;
    (void)f;
    (*(int *)arg)++;
    return 0;
}

/* A pair that was never credited: a query of cost 0 is released (and
 * opens the account), one that costs, or needs a pass, is refused
 * without leaving an account behind. */
static void test_release_without_credit(void **state)
{
    struct lc *x = *state;
    struct ledger_release r;
    struct fault f;
    int n = 0;

    rel_init(&r, x->ds, &x->worker, 0x01, 1, 0, DAY0);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    rel_init(&r, x->pass, &x->worker, 0x02, 0, 1, DAY0);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    assert_int_equal(ledger_each_account(x->l, &x->worker, count_account, &n,
                                         &f),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(audit_index(x), 0);
    rel_init(&r, x->ds, &x->worker, 0x03, 0, 0, DAY0);
    release_ok(x, &r);
    assert_int_equal(r.index, 1);
    assert_int_equal(ledger_each_account(x->l, &x->worker, count_account, &n,
                                         &f),
                     0);
    assert_int_equal(n, 1);
    account_is(x, &x->worker, x->ds, 0, 0, 0, 0);
}

/* Only the worker named in a credited payment spends it, whoever paid. */
static void test_only_the_worker_spends(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_release r;

    payment(&p, x->ds, 0x21, 10, OWNER, "9000");
    p.payer = x->worker2; /* worker2 paid for worker */
    pay(x, &p, DAY0);
    rel_init(&r, x->ds, &x->worker2, 0x01, 1, 0, DAY0);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    account_is(x, &x->worker2, x->ds, 0, 0, 0, 0);
    /* Nor on another data-set of the same owner. */
    rel_init(&r, x->ds2, &x->worker, 0x02, 1, 0, DAY0);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    rel_init(&r, x->ds, &x->worker, 0x03, 9, 0, DAY0);
    release_ok(x, &r);
    account_is(x, &x->worker, x->ds, 0, 0, 9, 9);
}

static void chain_start(struct lc *x)
{
    struct ledger_chain cs;
    uint8_t contract[20];
    struct fault f;

    memset(contract, 0x11, sizeof contract);
    assert_int_equal(ledger_chain_open(x->l, &cs, CHAIN, contract, 0, &f), 0);
}

/* One follower step: payments p[0..n) seen, the tip at tip, credit up to
 * upto, after a rollback to rollback_to when it is >= 0. */
static uint64_t follow(struct lc *x, const struct ledger_payment *p, size_t n,
                       int64_t rollback_to, int64_t tip, uint64_t upto,
                       int64_t now)
{
    struct ledger_step s;
    uint64_t reversed = 99;

    memset(&s, 0, sizeof s);
    s.chain_id = CHAIN;
    s.has_rollback = rollback_to >= 0;
    s.rollback_to = rollback_to;
    s.payments = p;
    s.npayments = n;
    s.tip = tip;
    s.credit = 1;
    s.credit_upto = upto;
    step_at(x, &s, now, &reversed);
    return reversed;
}

/* A reorg takes back credit that was spent: it becomes owed, no key is
 * released while anything is owed (not even for a query of cost 0), and
 * later credits repay it first. */
static void test_owed_blocks_releases(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p[2];
    struct ledger_release r;

    chain_start(x);
    payment(&p[0], x->ds, 0x31, 10, OWNER, "1600"); /* 1 unit, 600 kept */
    payment(&p[1], x->ds, 0x32, 11, OWNER, "1600"); /* 2 units, 200 kept */
    p[1].log_index = 1;
    assert_int_equal(follow(x, p, 2, -1, 12, 11, DAY0), 0);
    account_is(x, &x->worker, x->ds, 3, 0, 3, 0);
    rel_init(&r, x->ds, &x->worker, 0x01, 2, 0, DAY0 + 1);
    release_ok(x, &r);
    /* Blocks 10 and 11 leave the chain: 3 units go, 2 of them spent. */
    assert_int_equal(follow(x, NULL, 0, 9, 9, 9, DAY0 + 2), 2);
    account_is(x, &x->worker, x->ds, 0, 2, 0, 2);
    rel_init(&r, x->ds, &x->worker, 0x02, 0, 0, DAY0 + 3);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    account_is(x, &x->worker, x->ds, 0, 2, 0, 2);
    /* 1 unit repays half of what is owed; still nothing released. */
    payment(&p[0], x->ds, 0x33, 10, OWNER, "1000");
    assert_int_equal(follow(x, p, 1, -1, 10, 10, DAY0 + 4), 0);
    account_is(x, &x->worker, x->ds, 0, 1, 1, 2);
    rel_init(&r, x->ds, &x->worker, 0x03, 0, 0, DAY0 + 5);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    /* 5 more: 1 repays the rest, 4 are spendable. */
    payment(&p[0], x->ds, 0x34, 11, OWNER, "5000");
    assert_int_equal(follow(x, p, 1, -1, 11, 11, DAY0 + 6), 0);
    account_is(x, &x->worker, x->ds, 4, 0, 6, 2);
    rel_init(&r, x->ds, &x->worker, 0x04, 4, 0, DAY0 + 7);
    release_ok(x, &r);
    assert_int_equal(r.balance_after, 0);
    assert_int_equal(r.credited_total, 6);
    assert_int_equal(r.spent_total, 6);
    /* A pass runs, yet nothing is released while units are owed. */
    payment(&p[0], x->pass, 0x35, 12, OWNER, "6000"); /* 2 passes */
    assert_int_equal(follow(x, p, 1, -1, 12, 12, DAY0 + 8), 0);
    account_is(x, &x->worker, x->pass, 0, 0, 6, 6);
    assert_int_equal(follow(x, NULL, 0, 11, 11, 11, DAY0 + 9), 1);
    account_is(x, &x->worker, x->pass, 0, 6, 0, 6);
    assert_int_equal(account(x, &x->worker, x->pass).pass_expires,
                     DAY0 + 8 + 200);
    rel_init(&r, x->pass, &x->worker, 0x05, 0, 1, DAY0 + 10);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
}

/* Under a pass, credit turns whole prices into time at the credit step:
 * max(now, expiry) + k * duration; what is left stays in the balance; a
 * release needs now < expiry, costs 0 and counts the time bought as
 * spent. */
static void test_pass(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_release r;
    struct ledger_account a;

    payment(&p, x->pass, 0x41, 10, OWNER, "7000"); /* 7 units: 2 passes */
    pay(x, &p, DAY0);
    a = account(x, &x->worker, x->pass);
    assert_int_equal(a.has_pass, 1);
    assert_int_equal(a.pass_expires, DAY0 + 200);
    account_is(x, &x->worker, x->pass, 1, 0, 7, 6);
    rel_init(&r, x->pass, &x->worker, 0x01, 0, 1, DAY0 + 199);
    release_ok(x, &r);
    assert_int_equal(r.balance_after, 1);
    assert_int_equal(r.credited_total, 7);
    assert_int_equal(r.spent_total, 6);
    rel_init(&r, x->pass, &x->worker, 0x02, 0, 1, DAY0 + 200);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    /* After the expiry: from now. 2 units + the 1 left: one pass. */
    payment(&p, x->pass, 0x42, 11, OWNER, "2000");
    pay(x, &p, DAY0 + 1000);
    a = account(x, &x->worker, x->pass);
    assert_int_equal(a.pass_expires, DAY0 + 1100);
    account_is(x, &x->worker, x->pass, 0, 0, 9, 9);
    /* Before it: from the expiry. 3500 wei: 3 units, 500 kept. */
    payment(&p, x->pass, 0x43, 12, OWNER, "3500");
    pay(x, &p, DAY0 + 1050);
    assert_int_equal(account(x, &x->worker, x->pass).pass_expires,
                     DAY0 + 1200);
    account_is(x, &x->worker, x->pass, 0, 0, 12, 12);
    /* Less than a price: the units wait for the next credit. */
    payment(&p, x->pass, 0x44, 13, OWNER, "1600"); /* 2100: 2 units */
    pay(x, &p, DAY0 + 1060);
    assert_int_equal(account(x, &x->worker, x->pass).pass_expires,
                     DAY0 + 1200);
    account_is(x, &x->worker, x->pass, 2, 0, 14, 12);
    rel_init(&r, x->pass, &x->worker, 0x03, 0, 1, DAY0 + 1199);
    release_ok(x, &r);
    assert_int_equal(r.balance_after, 2);
    assert_int_equal(r.spent_total, 12);
    /* Another worker has no pass on it. */
    rel_init(&r, x->pass, &x->worker2, 0x04, 0, 1, DAY0 + 1100);
    assert_int_equal(release(x, &r), FAULT_PAYMENT);
    assert_int_equal(account(x, &x->worker2, x->pass).has_pass, 0);
}

/* A price change applies to later queries and credits: units and
 * expiries already there stay. */
static void test_price_change(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_release r;
    struct ledger_account a;

    payment(&p, x->ds, 0x51, 10, OWNER, "10000");
    pay(x, &p, DAY0);
    x->h->set_price(x->h, x->ds, PASS_3_100);
    account_is(x, &x->worker, x->ds, 10, 0, 10, 0);
    assert_int_equal(account(x, &x->worker, x->ds).has_pass, 0);
    /* The next credit turns the balance's whole prices into time. */
    payment(&p, x->ds, 0x52, 11, OWNER, "1000");
    pay(x, &p, DAY0 + 10);
    a = account(x, &x->worker, x->ds);
    assert_int_equal(a.pass_expires, DAY0 + 10 + 300);
    account_is(x, &x->worker, x->ds, 2, 0, 11, 9);
    /* Back to metered: the pass's expiry stays, units are spent again. */
    x->h->set_price(x->h, x->ds, PLAN_1000);
    payment(&p, x->ds, 0x53, 12, OWNER, "1000");
    pay(x, &p, DAY0 + 20);
    a = account(x, &x->worker, x->ds);
    assert_int_equal(a.has_pass, 1);
    assert_int_equal(a.pass_expires, DAY0 + 310);
    account_is(x, &x->worker, x->ds, 3, 0, 12, 9);
    rel_init(&r, x->ds, &x->worker, 0x01, 3, 0, DAY0 + 30);
    release_ok(x, &r);
    account_is(x, &x->worker, x->ds, 0, 0, 12, 12);
}

/* A credit that would take the balance or its total past 2^63 - 1 units
 * is not made: the payment is unmatched, reason overflow. */
static void test_overflow(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_release r;
    enum ledger_reason why = LEDGER_REASON_NONE;
    uint64_t units = 0;

    payment(&p, x->ds, 0x61, 10, OWNER, "9223372036854775807000");
    pay(x, &p, DAY0);
    assert_int_equal(state_of(x, 0x61, NULL, &units), LEDGER_CREDITED);
    assert_int_equal(units, LEDGER_UNITS_MAX);
    account_is(x, &x->worker, x->ds, LEDGER_UNITS_MAX, 0, LEDGER_UNITS_MAX,
               0);
    payment(&p, x->ds, 0x62, 11, OWNER, "1000");
    pay(x, &p, DAY0);
    assert_int_equal(state_of(x, 0x62, &why, NULL), LEDGER_UNMATCHED);
    assert_int_equal(why, LEDGER_OVERFLOW);
    account_is(x, &x->worker, x->ds, LEDGER_UNITS_MAX, 0, LEDGER_UNITS_MAX,
               0);
    /* Room in the balance, none in its total. */
    rel_init(&r, x->ds, &x->worker, 0x01, 5, 0, DAY0);
    release_ok(x, &r);
    payment(&p, x->ds, 0x63, 12, OWNER, "1000");
    pay(x, &p, DAY0);
    assert_int_equal(state_of(x, 0x63, &why, NULL), LEDGER_UNMATCHED);
    assert_int_equal(why, LEDGER_OVERFLOW);
    account_is(x, &x->worker, x->ds, LEDGER_UNITS_MAX - 5, 0,
               LEDGER_UNITS_MAX, 5);
    /* The overflow is that pair's alone: another is credited as usual. */
    payment(&p, x->ds2, 0x64, 13, OWNER, "1000");
    pay(x, &p, DAY0);
    account_is(x, &x->worker, x->ds2, 1, 0, 1, 0);
}

/* A pass that a credit would run past the end of time (unix seconds past
 * 2^63 - 1) is an overflow too: the payment is unmatched and the
 * follower's step goes on, instead of failing on it for ever. */
static void test_pass_overflow(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    enum ledger_reason why = LEDGER_REASON_NONE;
    uint8_t longest[32];

    memset(longest, 0xda, sizeof longest);
    /* 1 unit (1 wei) buys ten years. */
    x->h->add_dataset(x->h, longest, OWNER, 1,
                      "{\"kind\":\"pass\",\"unit_wei\":\"1\",\"price\":\"1\","
                      "\"duration_s\":315360000}");
    payment(&p, longest, 0x71, 10, OWNER, "30000000000"); /* 3e10 passes */
    pay(x, &p, DAY0);
    assert_int_equal(state_of(x, 0x71, &why, NULL), LEDGER_UNMATCHED);
    assert_int_equal(why, LEDGER_OVERFLOW);
    account_is(x, &x->worker, longest, 0, 0, 0, 0);
    payment(&p, longest, 0x72, 11, OWNER, "2");
    pay(x, &p, DAY0);
    assert_int_equal(state_of(x, 0x72, NULL, NULL), LEDGER_CREDITED);
    assert_int_equal(account(x, &x->worker, longest).pass_expires,
                     DAY0 + 2 * 315360000LL);
    account_is(x, &x->worker, longest, 0, 0, 2, 2);
}

/* The units that payments still confirming will add, by worker and
 * data-set: floor(amount / unit) each, carries not counted. */
static void test_pending_units(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p[6];
    uint64_t units = 99;
    struct fault f;

    payment(&p[0], x->ds, 0x81, 10, OWNER, "1500");
    payment(&p[1], x->ds, 0x82, 11, OWNER, "1500");
    payment(&p[2], x->ds2, 0x83, 11, OWNER, "4999");
    payment(&p[3], x->ds, 0x84, 12, OWNER, "9000");
    p[3].worker = x->worker2;
    payment(&p[4], x->ds, 0x85, 12, OTHER, "7000"); /* unmatched */
    payment(&p[5], x->ds, 0x86, 20, OWNER, "2000");
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_observe(x->l, p, 6, DAY0, &f), 0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    assert_int_equal(ledger_pending_units(x->l, &x->worker, x->ds, "1000",
                                          &units, &f),
                     0);
    assert_int_equal(units, 1 + 1 + 2);
    assert_int_equal(ledger_pending_units(x->l, &x->worker, x->ds2, "1000",
                                          &units, &f),
                     0);
    assert_int_equal(units, 4);
    assert_int_equal(ledger_pending_units(x->l, &x->worker2, x->ds, "1000",
                                          &units, &f),
                     0);
    assert_int_equal(units, 9);
    assert_int_equal(ledger_pending_units(x->l, &x->worker2, x->ds2, "1000",
                                          &units, &f),
                     0);
    assert_int_equal(units, 0);
    /* Credited ones are in the balance instead. */
    assert_int_equal(credit(x, 11), 3);
    assert_int_equal(ledger_pending_units(x->l, &x->worker, x->ds, "1000",
                                          &units, &f),
                     0);
    assert_int_equal(units, 2);
    balance(x, 3, 0);
    units = 99;
    assert_int_equal(ledger_pending_units(x->l, &x->worker, x->ds, "0",
                                          &units, &f),
                     -1);
    assert_int_equal(units, 0);
}

/* ---- the audit log (DESIGN.md 3.10) ---- */

struct entries {
    size_t n;
    uint64_t index[16];
    char *text[16];
    uint8_t hash[16][32];
};

static int collect_entry(void *arg, uint64_t index, const char *text,
                         size_t len, const uint8_t hash[32], struct fault *f)
{
    struct entries *e = arg;

    (void)f;
    assert_true(e->n < 16);
    assert_int_equal(strlen(text), len);
    e->index[e->n] = index;
    e->text[e->n] = strdup(text);
    memcpy(e->hash[e->n], hash, 32);
    e->n++;
    return 0;
}

static void entries_clear(struct entries *e)
{
    size_t i;

    for (i = 0; i < e->n; i++)
        free(e->text[i]);
    memset(e, 0, sizeof *e);
}

/* Entries link to the previous one's hash, are numbered from 1, say
 * exactly what audit_entry_text says of the release, come back in order
 * and pass the chain check; the head is the last one. */
static void test_audit_chain(void **state)
{
    static const uint64_t some[] = {2, 5};
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_release r[5];
    struct audit_entry e;
    struct audit_check c;
    struct entries got;
    uint8_t hash[32], zero[32], want_hash[32];
    char *want;
    size_t want_len, i;
    uint64_t index = 9;
    int64_t t = 9;
    struct fault f;

    memset(zero, 0, sizeof zero);
    assert_int_equal(ledger_audit_head(x->l, &index, hash, &t, &f), 0);
    assert_int_equal(index, 0);
    assert_memory_equal(hash, zero, 32);
    assert_int_equal(t, 0);
    payment(&p, x->ds, 0x91, 10, OWNER, "20000");
    pay(x, &p, DAY0);
    payment(&p, x->ds2, 0x92, 11, OWNER, "5000");
    p.worker = x->worker2;
    pay(x, &p, DAY0);
    rel_init(&r[0], x->ds, &x->worker, 0x01, 3, 0, DAY0 + 10);
    rel_init(&r[1], x->ds2, &x->worker2, 0x02, 4, 0, DAY0 + 20);
    rel_init(&r[2], x->ds, &x->worker, 0x03, 0, 0, DAY0 + 30);
    r[2].chunks = NULL; /* an empty query */
    r[2].nchunks = 0;
    r[2].rows = 0;
    r[2].plain_bytes = 0;
    rel_init(&r[3], x->ds, &x->worker, 0x04, 17, 0, DAY0 + 40);
    r[3].chunks = some;
    r[3].nchunks = 2;
    rel_init(&r[4], x->ds2, &x->worker2, 0x05, 1, 0, DAY0 + 30);
    for (i = 0; i < 5; i++)
        assert_int_equal(release(x, &r[i]), FAULT_NONE);
    memset(&got, 0, sizeof got);
    assert_int_equal(ledger_audit_each(x->l, 1, collect_entry, &got, &f), 0);
    assert_int_equal(got.n, 5);
    audit_check_start(&c);
    for (i = 0; i < 5; i++) {
        assert_int_equal(got.index[i], i + 1);
        assert_int_equal(r[i].index, i + 1);
        memset(&e, 0, sizeof e);
        e.index = i + 1;
        memcpy(e.prev, i == 0 ? zero : got.hash[i - 1], 32);
        e.time = r[i].now;
        e.gateway = r[i].gateway;
        memcpy(e.dataset_id, r[i].dataset_id, 32);
        e.worker = r[i].worker;
        memcpy(e.query_id, r[i].query_id, 16);
        e.chunks = r[i].chunks;
        e.nchunks = r[i].nchunks;
        e.cost = r[i].cost;
        e.balance_after = r[i].balance_after;
        e.credited_total = r[i].credited_total;
        e.spent_total = r[i].spent_total;
        assert_int_equal(audit_entry_text(&want, &want_len, want_hash, &e,
                                          &f),
                         0);
        assert_string_equal(got.text[i], want);
        assert_string_equal(r[i].text, want);
        assert_int_equal(r[i].text_len, want_len);
        assert_memory_equal(got.hash[i], want_hash, 32);
        assert_memory_equal(r[i].hash, want_hash, 32);
        free(want);
        if (audit_check_next(&c, got.index[i], got.text[i],
                             strlen(got.text[i]), got.hash[i], &f) < 0)
            fail_msg("audit check: %s", f.detail);
    }
    assert_int_equal(c.count, 5);
    assert_non_null(strstr(got.text[2], "\nchunks: \ncost: 0\n"));
    assert_non_null(strstr(got.text[3], "\nchunks: 2,5\ncost: 17\n"));
    /* Balances in the entries: credited - spent, per pair. */
    assert_int_equal(r[0].balance_after, 17);
    assert_int_equal(r[3].balance_after, 0);
    assert_int_equal(r[3].spent_total, 20);
    assert_int_equal(r[4].balance_after, 0);
    assert_int_equal(r[4].credited_total, 5);
    assert_int_equal(ledger_audit_head(x->l, &index, hash, &t, &f), 0);
    assert_int_equal(index, 5);
    assert_memory_equal(hash, got.hash[4], 32);
    assert_int_equal(t, DAY0 + 30);
    entries_clear(&got);
    /* From an index on. */
    assert_int_equal(ledger_audit_each(x->l, 4, collect_entry, &got, &f), 0);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.index[0], 4);
    assert_memory_equal(got.hash[1], r[4].hash, 32);
    entries_clear(&got);
    for (i = 0; i < 5; i++)
        free(r[i].text);
    /* What a refused release leaves: the head as it was. */
    rel_init(&r[0], x->ds, &x->worker, 0x06, 1, 0, DAY0 + 50);
    assert_int_equal(release(x, &r[0]), FAULT_PAYMENT);
    assert_int_equal(ledger_audit_head(x->l, &index, hash, &t, &f), 0);
    assert_int_equal(index, 5);
}

static int stop_at_two(void *arg, uint64_t index, const char *text,
                       size_t len, const uint8_t hash[32], struct fault *f)
{
    (void)text;
    (void)len;
    (void)hash;
    *(uint64_t *)arg = index;
    return index == 2 ? fault_set(f, FAULT_INTERNAL, NULL, "enough") : 0;
}

/* A callback that stops the walk makes it fail with the callback's
 * fault. */
static void test_audit_each_stops(void **state)
{
    struct lc *x = *state;
    struct ledger_release r;
    uint64_t last = 0;
    struct fault f;
    uint8_t q;

    for (q = 1; q <= 3; q++) {
        rel_init(&r, x->ds, &x->worker, q, 0, 0, DAY0);
        release_ok(x, &r);
    }
    fault_clear(&f);
    assert_int_equal(ledger_audit_each(x->l, 1, stop_at_two, &last, &f), -1);
    assert_int_equal(last, 2);
    assert_int_equal(f.kind, FAULT_INTERNAL);
}

/* A release undone with its request's savepoint leaves no debit and no
 * entry; the next release takes the index it would have had. */
static void test_release_in_savepoint(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_release r;
    struct fault f;

    payment(&p, x->ds, 0xa1, 10, OWNER, "10000");
    pay(x, &p, DAY0);
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_savepoint(x->l, &f), 0);
    rel_init(&r, x->ds, &x->worker, 0x01, 2, 0, DAY0);
    assert_int_equal(ledger_release(x->l, &r, &f), 0);
    free(r.text);
    assert_int_equal(ledger_savepoint_release(x->l, &f), 0);
    assert_int_equal(ledger_savepoint(x->l, &f), 0);
    rel_init(&r, x->ds, &x->worker, 0x02, 3, 0, DAY0);
    assert_int_equal(ledger_release(x->l, &r, &f), 0);
    assert_int_equal(r.index, 2);
    free(r.text);
    assert_int_equal(ledger_savepoint_undo(x->l, &f), 0);
    assert_int_equal(ledger_savepoint_release(x->l, &f), 0);
    assert_int_equal(ledger_savepoint(x->l, &f), 0);
    rel_init(&r, x->ds, &x->worker, 0x02, 4, 0, DAY0);
    assert_int_equal(ledger_release(x->l, &r, &f), 0);
    assert_int_equal(r.index, 2);
    assert_int_equal(r.balance_after, 4);
    free(r.text);
    assert_int_equal(ledger_savepoint_release(x->l, &f), 0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    account_is(x, &x->worker, x->ds, 4, 0, 10, 6);
    assert_int_equal(audit_index(x), 2);
    /* A unit never committed (the process stopped) leaves nothing. */
    assert_int_equal(ledger_begin(x->l, &f), 0);
    rel_init(&r, x->ds, &x->worker, 0x03, 1, 0, DAY0);
    assert_int_equal(ledger_release(x->l, &r, &f), 0);
    free(r.text);
    assert_int_equal(x->h->reopen(x->h, &x->l), 0);
    account_is(x, &x->worker, x->ds, 4, 0, 10, 6);
    assert_int_equal(audit_index(x), 2);
}

struct usages {
    size_t n;
    struct ledger_usage u[8];
};

static int collect_usage(void *arg, const struct ledger_usage *u,
                         struct fault *f)
{
    struct usages *v = arg;

    (void)f;
    assert_true(v->n < 8);
    v->u[v->n++] = *u;
    return 0;
}

struct earnings {
    size_t n;
    struct ledger_earning e[8];
};

static int collect_earning(void *arg, const struct ledger_earning *e,
                           struct fault *f)
{
    struct earnings *v = arg;

    (void)f;
    assert_true(v->n < 8);
    v->e[v->n++] = *e;
    return 0;
}

struct payments {
    size_t n;
    struct ledger_payment p[8];
};

static int collect_payment(void *arg, const struct ledger_payment *p,
                           struct fault *f)
{
    struct payments *v = arg;

    (void)f;
    assert_true(v->n < 8);
    v->p[v->n++] = *p;
    return 0;
}

static void usage_is(const struct ledger_usage *u, const char *day,
                     const uint8_t ds[32], uint64_t queries, uint64_t chunks,
                     uint64_t cost)
{
    assert_string_equal(u->day, day);
    assert_memory_equal(u->dataset_id, ds, 32);
    assert_int_equal(u->queries, queries);
    assert_int_equal(u->chunks, chunks);
    assert_int_equal(u->cost, cost);
}

static void earning_is(const struct ledger_earning *e, const char *day,
                       const uint8_t ds[32], uint64_t payments,
                       const char *wei, uint64_t units, uint64_t queries,
                       uint64_t spent)
{
    assert_string_equal(e->day, day);
    assert_memory_equal(e->dataset_id, ds, 32);
    assert_int_equal(e->payments, payments);
    assert_string_equal(e->amount_wei, wei);
    assert_int_equal(e->units, units);
    assert_int_equal(e->queries, queries);
    assert_int_equal(e->units_spent, spent);
}

/* Usage by UTC day and data-set; earnings by day and data-set (payments
 * credited that day, queries answered that day); a worker's or payer's
 * payments oldest first. */
static void test_usage_earnings_payments(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p[5];
    struct ledger_release r;
    struct usages u;
    struct earnings e;
    struct payments v;
    struct ethaddr owner = addr(OWNER), payer = addr(PAYER);
    struct fault f;

    payment(&p[0], x->ds, 0xb1, 10, OWNER, "10000");
    p[0].log_index = 5;
    payment(&p[1], x->ds2, 0xb2, 10, OWNER, "3000");
    p[1].log_index = 2;
    payment(&p[2], x->ds3, 0xb3, 11, WORKER2, "4000");
    p[2].worker = x->worker2;
    p[2].payer = payer;
    payment(&p[3], x->ds, 0xb4, 12, OWNER, "2500");
    payment(&p[4], x->ds, 0xb5, 12, OTHER, "100"); /* unmatched */
    p[4].log_index = 1;
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_observe(x->l, p, 5, DAY0, &f), 0);
    assert_int_equal(ledger_credit_upto(x->l, CHAIN, 11, DAY0 + 100, NULL,
                                        &f),
                     0);
    assert_int_equal(ledger_credit_upto(x->l, CHAIN, 12, DAY0 + DAY + 5,
                                        NULL, &f),
                     0);
    assert_int_equal(ledger_commit(x->l, &f), 0);
    rel_init(&r, x->ds, &x->worker, 0x01, 2, 0, DAY0 + 200);
    release_ok(x, &r);
    rel_init(&r, x->ds, &x->worker, 0x02, 1, 0, DAY - 1 + DAY0);
    r.nchunks = 1;
    release_ok(x, &r);
    rel_init(&r, x->ds2, &x->worker, 0x03, 3, 0, DAY0 + 300);
    release_ok(x, &r);
    rel_init(&r, x->ds, &x->worker, 0x04, 4, 0, DAY0 + DAY);
    release_ok(x, &r);
    rel_init(&r, x->ds2, &x->worker, 0x05, 0, 0, DAY0 + 3 * DAY - 1);
    r.nchunks = 0;
    release_ok(x, &r);
    rel_init(&r, x->ds3, &x->worker2, 0x06, 4, 0, DAY0 + 400);
    r.owner = x->worker2;
    release_ok(x, &r);
    /* Usage of worker. */
    memset(&u, 0, sizeof u);
    assert_int_equal(ledger_each_usage(x->l, &x->worker, collect_usage, &u,
                                       &f),
                     0);
    assert_int_equal(u.n, 4);
    usage_is(&u.u[0], "2026-01-01", x->ds, 2, 4, 3);
    usage_is(&u.u[1], "2026-01-01", x->ds2, 1, 3, 3);
    usage_is(&u.u[2], "2026-01-02", x->ds, 1, 3, 4);
    usage_is(&u.u[3], "2026-01-03", x->ds2, 1, 0, 0);
    /* Earnings of OWNER (not WORKER2's data-set). */
    memset(&e, 0, sizeof e);
    assert_int_equal(ledger_each_earning(x->l, CHAIN, &owner, collect_earning,
                                         &e, &f),
                     0);
    assert_int_equal(e.n, 4);
    earning_is(&e.e[0], "2026-01-01", x->ds, 1, "10000", 10, 2, 3);
    earning_is(&e.e[1], "2026-01-01", x->ds2, 1, "3000", 3, 1, 3);
    earning_is(&e.e[2], "2026-01-02", x->ds, 1, "2500", 2, 1, 4);
    earning_is(&e.e[3], "2026-01-03", x->ds2, 0, "0", 0, 1, 0);
    memset(&e, 0, sizeof e);
    assert_int_equal(ledger_each_earning(x->l, CHAIN, &x->worker2,
                                         collect_earning, &e, &f),
                     0);
    assert_int_equal(e.n, 1);
    earning_is(&e.e[0], "2026-01-01", x->ds3, 1, "4000", 4, 1, 4);
    /* Payments of worker, oldest first (block, then log index), the
     * unmatched one too; of the payer; none on another chain. */
    memset(&v, 0, sizeof v);
    assert_int_equal(ledger_each_payment_of(x->l, CHAIN, &x->worker,
                                            collect_payment, &v, &f),
                     0);
    assert_int_equal(v.n, 4);
    assert_int_equal(v.p[0].tx_hash[0], 0xb2);
    assert_int_equal(v.p[1].tx_hash[0], 0xb1);
    assert_int_equal(v.p[2].tx_hash[0], 0xb4);
    assert_int_equal(v.p[3].tx_hash[0], 0xb5);
    assert_int_equal(v.p[1].state, LEDGER_CREDITED);
    assert_int_equal(v.p[1].has_units, 1);
    assert_int_equal(v.p[1].units, 10);
    assert_int_equal(v.p[1].chain_id, CHAIN);
    assert_string_equal(v.p[1].amount_wei, "10000");
    assert_int_equal(v.p[3].state, LEDGER_UNMATCHED);
    assert_int_equal(v.p[3].reason, LEDGER_OWNER_MISMATCH);
    assert_int_equal(v.p[3].has_units, 0);
    memset(&v, 0, sizeof v);
    assert_int_equal(ledger_each_payment_of(x->l, CHAIN, &payer,
                                            collect_payment, &v, &f),
                     0);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.p[0].tx_hash[0], 0xb3);
    assert_true(ethaddr_equal(&v.p[0].worker, &x->worker2));
    assert_true(ethaddr_equal(&v.p[0].payer, &payer));
    memset(&v, 0, sizeof v);
    assert_int_equal(ledger_each_payment_of(x->l, CHAIN, &x->worker2,
                                            collect_payment, &v, &f),
                     0);
    assert_int_equal(v.n, 1);
    memset(&v, 0, sizeof v);
    assert_int_equal(ledger_each_payment_of(x->l, CHAIN + 1, &x->worker,
                                            collect_payment, &v, &f),
                     0);
    assert_int_equal(v.n, 0);
    /* A reversed payment is no longer earned. */
    assert_int_equal(drop_after(x, 11), 1);
    memset(&e, 0, sizeof e);
    assert_int_equal(ledger_each_earning(x->l, CHAIN, &owner, collect_earning,
                                         &e, &f),
                     0);
    assert_int_equal(e.n, 4);
    earning_is(&e.e[2], "2026-01-02", x->ds, 0, "0", 0, 1, 4);
}

static int collect_accounts(void *arg, const struct ledger_account *a,
                            struct fault *f)
{
    struct ledger_account *v = arg;
    size_t i;

    (void)f;
    for (i = 0; i < 4 && v[i].credited_total != 0; i++)
        ;
    assert_true(i < 4);
    v[i] = *a;
    return 0;
}

/* Everything above survives a restart: accounts, passes, the log and its
 * head, usage. */
static void test_reopen_keeps_everything(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_release r;
    struct ledger_account before[4], after[4];
    struct usages u;
    uint8_t head[32], head2[32];
    uint64_t index, index2;
    int64_t t, t2;
    struct fault f;
    size_t i;

    payment(&p, x->ds, 0xc1, 10, OWNER, "10000");
    pay(x, &p, DAY0);
    payment(&p, x->pass, 0xc2, 11, OWNER, "4000");
    pay(x, &p, DAY0);
    rel_init(&r, x->ds, &x->worker, 0x01, 6, 0, DAY0 + 5);
    release_ok(x, &r);
    rel_init(&r, x->pass, &x->worker, 0x02, 0, 1, DAY0 + 6);
    release_ok(x, &r);
    memset(before, 0, sizeof before);
    assert_int_equal(ledger_each_account(x->l, &x->worker, collect_accounts,
                                         before, &f),
                     0);
    assert_int_equal(ledger_audit_head(x->l, &index, head, &t, &f), 0);
    assert_int_equal(x->h->reopen(x->h, &x->l), 0);
    memset(after, 0, sizeof after);
    assert_int_equal(ledger_each_account(x->l, &x->worker, collect_accounts,
                                         after, &f),
                     0);
    for (i = 0; i < 4; i++) {
        assert_memory_equal(before[i].dataset_id, after[i].dataset_id, 32);
        assert_int_equal(before[i].units, after[i].units);
        assert_int_equal(before[i].owed_units, after[i].owed_units);
        assert_int_equal(before[i].has_pass, after[i].has_pass);
        assert_int_equal(before[i].pass_expires, after[i].pass_expires);
        assert_int_equal(before[i].credited_total, after[i].credited_total);
        assert_int_equal(before[i].spent_total, after[i].spent_total);
    }
    assert_int_equal(after[0].units, 4);
    assert_int_equal(after[1].pass_expires, DAY0 + 100);
    assert_int_equal(after[1].units, 1);
    assert_int_equal(ledger_audit_head(x->l, &index2, head2, &t2, &f), 0);
    assert_int_equal(index2, 2);
    assert_int_equal(index, index2);
    assert_memory_equal(head, head2, 32);
    assert_int_equal(t, t2);
    memset(&u, 0, sizeof u);
    assert_int_equal(ledger_each_usage(x->l, &x->worker, collect_usage, &u,
                                       &f),
                     0);
    assert_int_equal(u.n, 2);
    /* The chain goes on from there. */
    rel_init(&r, x->ds, &x->worker, 0x03, 4, 0, DAY0 + 7);
    assert_int_equal(release(x, &r), FAULT_NONE);
    assert_int_equal(r.index, 3);
    assert_non_null(strstr(r.text, "\nbalance_after: 0\n"));
    free(r.text);
}

/* Fail-closed: when the audit entry cannot be written, the release fails
 * and the unit, rolled back, leaves no debit, no query and no entry. */
static void test_audit_write_fails(void **state)
{
    struct lc *x = *state;
    struct ledger_payment p;
    struct ledger_release r;
    struct usages u;
    struct fault f;

    if (x->h->fail_audit == NULL)
        skip();
    payment(&p, x->ds, 0xe1, 10, OWNER, "10000");
    pay(x, &p, DAY0);
    x->h->fail_audit(x->h, x->l, 1);
    rel_init(&r, x->ds, &x->worker, 0x01, 3, 0, DAY0);
    assert_int_equal(ledger_begin(x->l, &f), 0);
    assert_int_equal(ledger_release(x->l, &r, &f), -1);
    assert_null(r.text);
    assert_int_equal(r.index, 0);
    ledger_rollback(x->l);
    account_is(x, &x->worker, x->ds, 10, 0, 10, 0);
    assert_int_equal(audit_index(x), 0);
    memset(&u, 0, sizeof u);
    assert_int_equal(ledger_each_usage(x->l, &x->worker, collect_usage, &u,
                                       &f),
                     0);
    assert_int_equal(u.n, 0);
    x->h->fail_audit(x->h, x->l, 0);
    /* The same query, once the store works again. */
    release_ok(x, &r);
    assert_int_equal(r.index, 1);
    account_is(x, &x->worker, x->ds, 7, 0, 10, 3);
}

int ledger_contract_run(struct ledger_harness *h)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_credit_carries, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_unmatched_never_credited,
                                        lc_setup, lc_teardown),
        cmocka_unit_test_setup_teardown(test_reorg_forget_reverse_return,
                                        lc_setup, lc_teardown),
        cmocka_unit_test_setup_teardown(test_reversal_of_spent_credit_is_owed,
                                        lc_setup, lc_teardown),
        cmocka_unit_test_setup_teardown(test_bad_amount, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_payments_of_tx, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_chain_checkpoint, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_nonces, lc_setup, lc_teardown),
        cmocka_unit_test_setup_teardown(test_units_of_work, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_step_credited_never_back,
                                        lc_setup, lc_teardown),
        cmocka_unit_test_setup_teardown(test_step_whole_or_nothing, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_release_debits, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_release_without_credit, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_only_the_worker_spends, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_owed_blocks_releases, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_pass, lc_setup, lc_teardown),
        cmocka_unit_test_setup_teardown(test_price_change, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_overflow, lc_setup, lc_teardown),
        cmocka_unit_test_setup_teardown(test_pass_overflow, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_pending_units, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_audit_each_stops, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_release_in_savepoint, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_usage_earnings_payments, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_everything, lc_setup,
                                        lc_teardown),
        cmocka_unit_test_setup_teardown(test_audit_write_fails, lc_setup,
                                        lc_teardown),
    };

    lc_harness = h;
    return _cmocka_run_group_tests(h->name, tests,
                                   sizeof tests / sizeof tests[0], NULL,
                                   NULL);
}
