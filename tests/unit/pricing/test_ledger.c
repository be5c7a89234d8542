/* The ledger's contract suite (tests/support/ledger_contract.c) against
 * its SQLite backend (pricing/ledger_sqlite.c), on a real store in a fresh
 * data dir per case, and what is SQLite's own: its migrations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "pricing/ledger_sqlite.h"
#include "storage/catalog.h"
#include "storage/db.h"
#include "storage/store.h"
#include "tests/support/ledger_contract.h"
#include "tests/support/testutil.h"

struct sq {
    char *dir;
    struct store *st;
};

static int sq_open(struct ledger_harness *h, struct ledger **out)
{
    struct sq *s = h->ctx;
    struct fault f;

    s->dir = testutil_mkdtemp();
    if (store_open(&s->st, NULL, s->dir, &f) < 0 ||
        ledger_sqlite_open(out, s->st, &f) < 0) {
        fprintf(stderr, "open: %s\n", f.detail);
        return -1;
    }
    return 0;
}

static void sq_close(struct ledger_harness *h, struct ledger *l)
{
    struct sq *s = h->ctx;

    ledger_close(l);
    store_close(s->st);
    s->st = NULL;
    testutil_rmtree(s->dir);
    s->dir = NULL;
}

static int sq_reopen(struct ledger_harness *h, struct ledger **l)
{
    struct sq *s = h->ctx;
    struct fault f;

    ledger_close(*l);
    *l = NULL;
    store_close(s->st);
    if (store_open(&s->st, NULL, s->dir, &f) < 0 ||
        ledger_sqlite_open(l, s->st, &f) < 0) {
        fprintf(stderr, "reopen: %s\n", f.detail);
        return -1;
    }
    return 0;
}

static void sq_add_dataset(struct ledger_harness *h, const uint8_t id[32],
                           const char *owner, int published,
                           const char *price)
{
    struct sq *s = h->ctx;
    struct store_dataset_spec spec;
    uint8_t got[32];
    struct fault f;
    char sql[256], hex[65];
    int i;

    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_CSV;
    spec.name = "t";
    spec.owner = owner;
    spec.zlib_level = -1;
    assert_int_equal(store_create_dataset(s->st, got, &spec,
                                          published ? CATALOG_PUBLISHED
                                                    : CATALOG_DRAFT,
                                          &f),
                     0);
    /* The store picks random ids; the suite wants its own. */
    for (i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    snprintf(sql, sizeof sql, "UPDATE datasets SET id = x'%s' WHERE id = x'",
             hex);
    for (i = 0; i < 32; i++)
        snprintf(sql + strlen(sql), 3, "%02x", got[i]);
    strcat(sql, "'");
    assert_int_equal(db_exec(s->st->db, sql, &f), 0);
    if (price != NULL)
        assert_int_equal(catalog_set_price(s->st, id, price, 1.0, &f), 0);
}

static void sq_set_price(struct ledger_harness *h, const uint8_t id[32],
                         const char *price)
{
    struct sq *s = h->ctx;
    struct fault f;

    assert_int_equal(catalog_set_price(s->st, id, price, 1.0, &f), 0);
}

/* The audit log refuses writes as a full disk would: a TEMP trigger (on
 * this connection only, gone when it closes) aborts every insert. */
static void sq_fail_audit(struct ledger_harness *h, struct ledger *l,
                          int fail)
{
    struct sq *s = h->ctx;
    struct fault f;

    (void)l;
    assert_int_equal(
        db_exec(s->st->db,
                fail ? "CREATE TEMP TRIGGER sluice_test_audit_fails BEFORE "
                       "INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'the "
                       "audit log refuses writes'); END"
                     : "DROP TRIGGER temp.sluice_test_audit_fails",
                &f),
        0);
}

/* The ledger migrates its own tables, once, and a data dir made when the
 * tables were storage's keeps them: a second open changes nothing. */
static void test_migrations(void **state)
{
    struct sq s = {0};
    struct ledger_harness h = {"m", &s, sq_open, sq_close, sq_reopen, NULL,
                               NULL, NULL};
    struct ledger *l = NULL;
    sqlite3_stmt *st = NULL;
    struct fault f;
    int version = -1;

    (void)state;
    assert_int_equal(sq_open(&h, &l), 0);
    assert_int_equal(db_prepare(s.st->db, &st,
                                "SELECT version FROM ledger_schema", &f),
                     0);
    assert_int_equal(db_step(s.st->db, st, "v", &f), 1);
    version = sqlite3_column_int(st, 0);
    db_release(st);
    assert_true(version >= 1);
    assert_int_equal(sq_reopen(&h, &l), 0);
    /* A newer ledger than this build knows is refused. */
    assert_int_equal(db_exec(s.st->db,
                             "UPDATE ledger_schema SET version = 999", &f),
                     0);
    ledger_close(l);
    l = NULL;
    assert_int_equal(ledger_sqlite_open(&l, s.st, &f), -1);
    assert_null(l);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_int_equal(db_prepare(s.st->db, &st,
                                "UPDATE ledger_schema SET version = ?1", &f),
                     0);
    sqlite3_bind_int(st, 1, version);
    assert_int_equal(db_step(s.st->db, st, "restore", &f), 0);
    db_release(st);
    assert_int_equal(ledger_sqlite_open(&l, s.st, &f), 0);
    sq_close(&h, l);
}

/* A data dir of schema version 1 (balances without totals) moves to 2
 * keeping the rule of every pair, units - owed_units = credited_total -
 * spent_total, for a balance that owes units too. */
static void test_migration_2_totals(void **state)
{
    static const char *const to_v1[] = {
        "DROP TABLE queries",
        "DROP TABLE audit_log",
        "ALTER TABLE balances DROP COLUMN credited_total",
        "ALTER TABLE balances DROP COLUMN spent_total",
        "ALTER TABLE balances DROP COLUMN pass_expires",
        "ALTER TABLE request_nonces DROP COLUMN retry_after",
        "UPDATE ledger_schema SET version = 1",
        "INSERT INTO balances (worker, dataset_id, units, owed_units) "
        "VALUES (x'0000000000000000000000000000000000000001', "
        "x'd5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5', "
        "0, 2), (x'0000000000000000000000000000000000000001', "
        "x'd6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6', "
        "5, 0)",
    };
    struct sq s = {0};
    struct ledger_harness h = {"m", &s, sq_open, sq_close, sq_reopen, NULL,
                               NULL, NULL};
    struct ledger *l = NULL;
    struct ledger_account a;
    struct ethaddr w;
    uint8_t ds[32];
    struct fault f;
    size_t i;

    (void)state;
    memset(ds, 0xd5, sizeof ds);
    memset(&w, 0, sizeof w);
    w.bytes[19] = 1;
    assert_int_equal(sq_open(&h, &l), 0);
    /* Back to what version 1 left (db_exec runs one statement). */
    for (i = 0; i < sizeof to_v1 / sizeof to_v1[0]; i++)
        assert_int_equal(db_exec(s.st->db, to_v1[i], &f), 0);
    assert_int_equal(sq_reopen(&h, &l), 0);
    assert_int_equal(ledger_account(l, &w, ds, &a, &f), 0);
    assert_int_equal(a.units, 0);
    assert_int_equal(a.owed_units, 2);
    assert_int_equal(a.credited_total, 0);
    assert_int_equal(a.spent_total, 2);
    assert_int_equal(a.has_pass, 0);
    memset(ds, 0xd6, sizeof ds);
    assert_int_equal(ledger_account(l, &w, ds, &a, &f), 0);
    assert_int_equal(a.units, 5);
    assert_int_equal(a.credited_total, 5);
    assert_int_equal(a.spent_total, 0);
    sq_close(&h, l);
}

int main(void)
{
    struct sq s = {0};
    struct ledger_harness h = {"ledger contract on SQLite", &s, sq_open,
                               sq_close, sq_reopen, sq_add_dataset,
                               sq_set_price, sq_fail_audit};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations),
        cmocka_unit_test(test_migration_2_totals),
    };
    int failed = ledger_contract_run(&h);

    return failed + cmocka_run_group_tests(tests, NULL, NULL);
}
