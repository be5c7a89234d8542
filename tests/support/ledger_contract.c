#include "tests/support/ledger_contract.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define OWNER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define OTHER "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
#define CHAIN 31337
#define PLAN_1000                                                            \
    "{\"kind\":\"metered\",\"unit_wei\":\"1000\",\"per_query\":\"1\","       \
    "\"per_chunk\":\"0\",\"per_row\":\"0\",\"per_mib\":\"0\","               \
    "\"min_purchase\":\"0\"}"

/* One case's world: the harness, a fresh ledger, a published data-set
 * (unit 1000 wei) and a draft. */
struct lc {
    struct ledger_harness *h;
    struct ledger *l;
    uint8_t ds[32];
    uint8_t draft[32];
    struct ethaddr worker;
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
    memset(x->draft, 0xdf, 32);
    x->h->add_dataset(x->h, x->ds, OWNER, 1, PLAN_1000);
    x->h->add_dataset(x->h, x->draft, OWNER, 0, NULL);
    if (ethaddr_parse(&x->worker, OTHER, strlen(OTHER), "w", &f) < 0)
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

    payment(&a, x->ds, 0xd1, 40, OWNER, "1600"); /* 1 unit, 600 kept */
    payment(&b, x->ds, 0xd2, 41, OWNER, "1600"); /* 2 units (2200), 200 */
    observe(x, &a, LEDGER_CONFIRMING);
    observe(x, &b, LEDGER_CONFIRMING);
    assert_int_equal(credit(x, 41), 2);
    balance(x, 3, 0);
    x->h->spend(x->h, x->l, &x->worker, x->ds, 2);
    /* b (2 units for 1600 wei + 600 carried) goes first: its 400 wei come
     * back to the carry (600); then a (1 unit for 1600 wei) takes its 600
     * wei from it (0). 3 units are taken from a balance of 1: 2 owed. */
    assert_int_equal(drop_after(x, 39), 2);
    balance(x, 0, 2);
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

static void step(struct lc *x, struct ledger_step *s, uint64_t *reversed)
{
    struct fault f;

    assert_int_equal(ledger_begin(x->l, &f), 0);
    if (ledger_apply_step(x->l, s, 500, reversed, &f) < 0)
        fail_msg("step: %s", f.detail);
    assert_int_equal(ledger_commit(x->l, &f), 0);
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
    };

    lc_harness = h;
    return _cmocka_run_group_tests(h->name, tests,
                                   sizeof tests / sizeof tests[0], NULL,
                                   NULL);
}
