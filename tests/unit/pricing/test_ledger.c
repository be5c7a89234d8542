/* Unit tests for pricing/ledger.c and storage/chainstore.c on a real
 * SQLite store: matching, crediting with the remainder carried, reorgs
 * that forget and reverse, exactly-once across a payment's return. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pricing/ledger.h"
#include "storage/catalog.h"
#include "storage/chainstore.h"
#include "storage/db.h"
#include "storage/store.h"
#include "tests/support/testutil.h"

#define OWNER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define OTHER "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
#define CHAIN 31337

struct fixture {
    char *dir;
    struct store *st;
    uint8_t ds[32];      /* published, plan unit_wei 1000 */
    uint8_t draft[32];   /* not published */
};

static void make_dataset(struct fixture *fx, uint8_t id[32], int publish,
                         const char *price)
{
    struct store_dataset_spec spec;
    struct fault f;

    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_CSV;
    spec.name = "t";
    spec.owner = OWNER;
    spec.zlib_level = -1;
    assert_int_equal(store_create_dataset(fx->st, id, &spec,
                                          publish ? CATALOG_PUBLISHED
                                                  : CATALOG_DRAFT,
                                          &f),
                     0);
    if (price != NULL)
        assert_int_equal(catalog_set_price(fx->st->db, id, price, 1.0, &f), 0);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fault f;

    fx->dir = testutil_mkdtemp();
    if (store_open(&fx->st, NULL, fx->dir, &f) < 0)
        return -1;
    make_dataset(fx, fx->ds, 1,
                 "{\"kind\":\"metered\",\"unit_wei\":\"1000\","
                 "\"per_query\":\"1\",\"per_chunk\":\"0\",\"per_row\":\"0\","
                 "\"per_mib\":\"0\",\"min_purchase\":\"0\"}");
    make_dataset(fx, fx->draft, 0, NULL);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    store_close(fx->st);
    testutil_rmtree(fx->dir);
    free(fx);
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

static void observe(struct fixture *fx, const struct ledger_payment *p,
                    enum ledger_state want)
{
    enum ledger_state got;
    struct fault f;

    assert_int_equal(db_begin(fx->st->db, &f), 0);
    assert_int_equal(ledger_observe(fx->st->db, p, 100, &got, &f), 0);
    assert_int_equal(db_commit(fx->st->db, &f), 0);
    assert_int_equal(got, want);
}

static uint64_t credit(struct fixture *fx, uint64_t upto)
{
    uint64_t n = 99;
    struct fault f;

    assert_int_equal(db_begin(fx->st->db, &f), 0);
    assert_int_equal(ledger_credit_upto(fx->st->db, CHAIN, upto, 200, &n, &f),
                     0);
    assert_int_equal(db_commit(fx->st->db, &f), 0);
    return n;
}

static uint64_t drop_after(struct fixture *fx, uint64_t block)
{
    uint64_t n = 99;
    struct fault f;

    assert_int_equal(db_begin(fx->st->db, &f), 0);
    assert_int_equal(ledger_drop_after(fx->st->db, CHAIN, block, 300, &n, &f),
                     0);
    assert_int_equal(db_commit(fx->st->db, &f), 0);
    return n;
}

static void balance(struct fixture *fx, uint64_t want_units,
                    uint64_t want_owed)
{
    struct ethaddr w;
    uint64_t units = 1, owed = 1;
    struct fault f;

    assert_int_equal(ethaddr_parse(&w, OTHER, strlen(OTHER), "w", &f), 0);
    assert_int_equal(ledger_balance(fx->st->db, &w, fx->ds, &units, &owed, &f),
                     0);
    assert_int_equal(units, want_units);
    assert_int_equal(owed, want_owed);
}

static enum ledger_state state_of(struct fixture *fx, uint8_t tx_byte,
                                  enum ledger_reason *reason, uint64_t *units)
{
    struct ledger_payment out[2];
    uint8_t tx[32];
    size_t n = 9;
    struct fault f;

    memset(tx, tx_byte, 32);
    assert_int_equal(ledger_payments_of_tx(fx->st->db, CHAIN, tx, out, 2, &n,
                                           &f),
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

/* 2500 wei at 1000 wei a unit: 2 units and 500 carried; 1700 more: 2
 * units (500 + 1700 = 2200) and 200 carried. */
static void test_credit_carries_remainder(void **state)
{
    struct fixture *fx = *state;
    struct ledger_payment p;
    uint64_t units = 0;

    payment(&p, fx->ds, 0xa1, 10, OWNER, "2500");
    observe(fx, &p, LEDGER_CONFIRMING);
    assert_int_equal(credit(fx, 9), 0); /* not deep enough yet */
    balance(fx, 0, 0);
    assert_int_equal(credit(fx, 10), 1);
    balance(fx, 2, 0);
    assert_int_equal(state_of(fx, 0xa1, NULL, &units), LEDGER_CREDITED);
    assert_int_equal(units, 2);
    payment(&p, fx->ds, 0xa2, 11, OWNER, "1700");
    observe(fx, &p, LEDGER_CONFIRMING);
    assert_int_equal(credit(fx, 11), 1);
    balance(fx, 4, 0);
    assert_int_equal(state_of(fx, 0xa2, NULL, &units), LEDGER_CREDITED);
    assert_int_equal(units, 2);
    /* Seen again (same key): no second credit. */
    observe(fx, &p, LEDGER_CREDITED);
    assert_int_equal(credit(fx, 100), 0);
    balance(fx, 4, 0);
}

static void test_unmatched_never_credited(void **state)
{
    struct fixture *fx = *state;
    struct ledger_payment p;
    enum ledger_reason why = LEDGER_REASON_NONE;
    uint8_t unknown[32];

    payment(&p, fx->ds, 0xb1, 5, OTHER, "5000"); /* wrong owner */
    observe(fx, &p, LEDGER_UNMATCHED);
    assert_int_equal(state_of(fx, 0xb1, &why, NULL), LEDGER_UNMATCHED);
    assert_int_equal(why, LEDGER_OWNER_MISMATCH);
    payment(&p, fx->draft, 0xb2, 5, OWNER, "5000"); /* not published */
    observe(fx, &p, LEDGER_UNMATCHED);
    assert_int_equal(state_of(fx, 0xb2, &why, NULL), LEDGER_UNMATCHED);
    assert_int_equal(why, LEDGER_UNKNOWN_DATASET);
    memset(unknown, 0x77, sizeof unknown);
    payment(&p, unknown, 0xb3, 5, OWNER, "5000");
    observe(fx, &p, LEDGER_UNMATCHED);
    assert_int_equal(credit(fx, 100), 0);
    balance(fx, 0, 0);
}

/* A confirming payment reorged away is forgotten; a credited one is
 * reversed, and credited again (once) when it comes back. */
static void test_reorg_forget_reverse_return(void **state)
{
    struct fixture *fx = *state;
    struct ledger_payment a, b;
    enum ledger_reason why = LEDGER_REASON_NONE;

    payment(&a, fx->ds, 0xc1, 20, OWNER, "3400"); /* 3 units, 400 kept */
    payment(&b, fx->ds, 0xc2, 22, OWNER, "1000");
    observe(fx, &a, LEDGER_CONFIRMING);
    observe(fx, &b, LEDGER_CONFIRMING);
    assert_int_equal(credit(fx, 20), 1);
    balance(fx, 3, 0);
    /* Blocks after 19 leave the chain: a was credited, b confirming. */
    assert_int_equal(drop_after(fx, 19), 1);
    assert_int_equal(state_of(fx, 0xc1, &why, NULL), LEDGER_REVERSED);
    assert_int_equal(why, LEDGER_REORGED);
    assert_int_equal(state_of(fx, 0xc2, NULL, NULL), LEDGER_SEEN);
    balance(fx, 0, 0);
    /* a comes back in another block: confirming, then credited once. */
    a.block_number = 25;
    observe(fx, &a, LEDGER_CONFIRMING);
    assert_int_equal(credit(fx, 30), 1);
    balance(fx, 3, 0);
    assert_int_equal(credit(fx, 30), 0);
}

/* Credit spent before the reorg becomes owed. The remainder borrows. */
static void test_reversal_of_spent_credit_is_owed(void **state)
{
    struct fixture *fx = *state;
    struct ledger_payment a, b;
    struct fault f;

    payment(&a, fx->ds, 0xd1, 40, OWNER, "1600"); /* 1 unit, 600 kept */
    payment(&b, fx->ds, 0xd2, 41, OWNER, "1600"); /* 2 units (2200), 200 */
    observe(fx, &a, LEDGER_CONFIRMING);
    observe(fx, &b, LEDGER_CONFIRMING);
    assert_int_equal(credit(fx, 41), 2);
    balance(fx, 3, 0);
    /* Spend 2 units (what the pricing issue will do through its debit). */
    assert_int_equal(db_exec(fx->st->db,
                             "UPDATE balances SET units = units - 2", &f),
                     0);
    /* Both leave. b (2 units for 1600 wei + 600 carried) goes first: its
     * 400 wei come back to the remainder (600); then a (1 unit for 1600
     * wei) takes its 600 wei from it (0). 3 units are taken from a
     * balance of 1: 2 are owed. */
    assert_int_equal(drop_after(fx, 39), 2);
    balance(fx, 0, 2);
}

static void test_chainstore_binds_chain(void **state)
{
    struct fixture *fx = *state;
    struct chainstore_state cs;
    struct chainstore_block b[3], out[4];
    uint8_t contract[20], other[20];
    size_t n = 0;
    struct fault f;

    memset(contract, 0x11, sizeof contract);
    memset(other, 0x22, sizeof other);
    assert_int_equal(chainstore_read(fx->st->db, &cs, &f), 0);
    assert_int_equal(chainstore_open(fx->st->db, &cs, CHAIN, contract, 7, &f),
                     0);
    assert_int_equal(cs.tip, 6);
    assert_int_equal(chainstore_open(fx->st->db, &cs, 1, contract, 0, &f), -1);
    assert_int_equal(f.kind, FAULT_CONFLICT);
    assert_string_equal(f.field, "chain_id");
    assert_int_equal(chainstore_open(fx->st->db, &cs, CHAIN, other, 0, &f),
                     -1);
    assert_string_equal(f.field, "contract");
    memset(b, 0, sizeof b);
    b[0].number = 7;
    b[1].number = 8;
    b[2].number = 9;
    b[1].hash[0] = 8;
    assert_int_equal(chainstore_put_blocks(fx->st->db, b, 3, &f), 0);
    assert_int_equal(chainstore_advance(fx->st->db, 9, 8, 1, &f), 0);
    assert_int_equal(chainstore_trim(fx->st->db, 8, 8, &f), 0);
    assert_int_equal(chainstore_blocks(fx->st->db, -1, out, 4, &n, &f), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].number, 8);
    assert_int_equal(out[0].hash[0], 8);
    assert_int_equal(chainstore_open(fx->st->db, &cs, CHAIN, contract, 0, &f),
                     0);
    assert_int_equal(cs.tip, 9);
    assert_int_equal(cs.last_credited_block, 8);
    assert_int_equal(cs.finality_violations, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_credit_carries_remainder, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unmatched_never_credited, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reorg_forget_reverse_return,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reversal_of_spent_credit_is_owed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_chainstore_binds_chain, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
