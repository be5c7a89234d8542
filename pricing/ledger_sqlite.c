/*
 * ledger_sqlite: the SQLite backend of the ledger (ledger.h, ledger_sqlite.h).
 */
#include "pricing/ledger_sqlite.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/log.h"
#include "pricing/audit.h"
#include "pricing/ledger_backend.h"
#include "pricing/plan.h"
#include "storage/catalog.h"
#include "storage/db.h"

typedef unsigned __int128 ledger_u128;

struct ledger_sqlite {
    struct ledger base; /* first: a struct ledger * is one of these */
    struct store *st;
    sqlite3 *db;
};

static sqlite3 *lsq_db(struct ledger *l)
{
    return ((struct ledger_sqlite *)l)->db;
}

/* ---- the ledger's own migrations ---- */

/* Each entry moves the ledger's tables one version on. Never edit one that
 * has shipped: add the next. */
static const char *const lsq_migrations[] = {
    /* 1: what storage's migrations 2 and 3 made before the ledger owned
     * its tables (so IF NOT EXISTS: data dirs of then keep theirs).
     * request_nonces: the memory of signed requests (DESIGN.md 3.1).
     * chain_state holds one row: the chain id recorded at the first start,
     * the contract, and the follower's checkpoint (tip: the last block
     * whose logs are processed). chain_blocks holds the hashes of recent
     * processed blocks, to detect reorgs. A payment is one Purchased log,
     * unique on (chain, transaction, ordinal of the log among the
     * contract's Purchased logs in that transaction); block and log index
     * are attributes that a reorg may change. balances never go negative:
     * credit lost to a reorg after it was spent becomes owed_units. */
    "CREATE TABLE IF NOT EXISTS request_nonces ("
    "  address TEXT NOT NULL,"
    "  nonce TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  method TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  body_sha256 BLOB NOT NULL CHECK (length(body_sha256) = 32),"
    "  status INTEGER NOT NULL CHECK (status BETWEEN 100 AND 499),"
    "  content_type TEXT NOT NULL,"
    "  location TEXT,"
    "  response BLOB NOT NULL,"
    "  PRIMARY KEY (address, nonce)"
    ");"
    "CREATE INDEX IF NOT EXISTS request_nonces_created ON "
    "  request_nonces(created_at);"
    "CREATE TABLE IF NOT EXISTS chain_state ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  chain_id INTEGER NOT NULL CHECK (chain_id > 0),"
    "  contract BLOB NOT NULL CHECK (length(contract) = 20),"
    "  tip INTEGER NOT NULL CHECK (tip >= -1),"
    "  last_credited_block INTEGER NOT NULL DEFAULT -1,"
    "  finality_violations INTEGER NOT NULL DEFAULT 0"
    "    CHECK (finality_violations >= 0)"
    ");"
    "CREATE TABLE IF NOT EXISTS chain_blocks ("
    "  number INTEGER PRIMARY KEY CHECK (number >= 0),"
    "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
    "  parent_hash BLOB NOT NULL CHECK (length(parent_hash) = 32)"
    ");"
    "CREATE TABLE IF NOT EXISTS payments ("
    "  chain_id INTEGER NOT NULL CHECK (chain_id > 0),"
    "  tx_hash BLOB NOT NULL CHECK (length(tx_hash) = 32),"
    "  ordinal INTEGER NOT NULL CHECK (ordinal >= 0),"
    "  log_index INTEGER NOT NULL CHECK (log_index >= 0),"
    "  block_number INTEGER NOT NULL CHECK (block_number >= 0),"
    "  block_hash BLOB NOT NULL CHECK (length(block_hash) = 32),"
    "  dataset_id BLOB NOT NULL CHECK (length(dataset_id) = 32),"
    "  worker BLOB NOT NULL CHECK (length(worker) = 20),"
    "  payer BLOB NOT NULL CHECK (length(payer) = 20),"
    "  owner BLOB NOT NULL CHECK (length(owner) = 20),"
    "  amount_wei TEXT NOT NULL,"
    "  ref BLOB NOT NULL CHECK (length(ref) = 32),"
    "  state TEXT NOT NULL CHECK (state IN ('confirming', 'credited',"
    "    'unmatched', 'reversed')),"
    "  reason TEXT CHECK (reason IS NULL OR reason IN ('unknown_dataset',"
    "    'owner_mismatch', 'reorged')),"
    "  units INTEGER CHECK (units IS NULL OR units >= 0),"
    "  unit_wei TEXT,"
    "  first_seen_at INTEGER NOT NULL,"
    "  credited_at INTEGER,"
    "  PRIMARY KEY (chain_id, tx_hash, ordinal),"
    "  CHECK ((state = 'credited') = (units IS NOT NULL))"
    ");"
    "CREATE INDEX IF NOT EXISTS payments_block ON "
    "  payments(state, block_number);"
    "CREATE INDEX IF NOT EXISTS payments_worker ON "
    "  payments(worker, dataset_id);"
    "CREATE TABLE IF NOT EXISTS balances ("
    "  worker BLOB NOT NULL CHECK (length(worker) = 20),"
    "  dataset_id BLOB NOT NULL CHECK (length(dataset_id) = 32),"
    "  units INTEGER NOT NULL DEFAULT 0 CHECK (units >= 0),"
    "  owed_units INTEGER NOT NULL DEFAULT 0 CHECK (owed_units >= 0),"
    "  remainder_wei TEXT NOT NULL DEFAULT '0',"
    "  PRIMARY KEY (worker, dataset_id)"
    ");"
    "CREATE TABLE IF NOT EXISTS ledger_entries ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  worker BLOB NOT NULL CHECK (length(worker) = 20),"
    "  dataset_id BLOB NOT NULL CHECK (length(dataset_id) = 32),"
    "  kind TEXT NOT NULL CHECK (kind IN ('credit', 'reversal')),"
    "  units INTEGER NOT NULL CHECK (units >= 0),"
    "  chain_id INTEGER NOT NULL,"
    "  tx_hash BLOB NOT NULL CHECK (length(tx_hash) = 32),"
    "  ordinal INTEGER NOT NULL"
    ");",

    /* 2: releases (DESIGN.md 3.6, 3.10, 3.11, 4). A balance keeps its
     * totals (units - owed_units = credited_total - spent_total) and its
     * pass's expiry; payments may be unmatched for "overflow" (a credit
     * past 2^63 - 1 units), and are found by payer too; every release is
     * a row of queries (usage, earnings) and an entry of audit_log, whose
     * text links to the previous entry's hash. A remembered answer keeps
     * its Retry-After (a 402 whose payments are still confirming). */
    "ALTER TABLE request_nonces ADD COLUMN retry_after INTEGER NOT NULL"
    "  DEFAULT 0;"
    "ALTER TABLE balances ADD COLUMN credited_total INTEGER NOT NULL"
    "  DEFAULT 0 CHECK (credited_total >= 0);"
    "ALTER TABLE balances ADD COLUMN spent_total INTEGER NOT NULL"
    "  DEFAULT 0 CHECK (spent_total >= 0);"
    "ALTER TABLE balances ADD COLUMN pass_expires INTEGER;"
    /* A balance that owes units has spent them: its totals keep units -
     * owed_units = credited_total - spent_total from the start. */
    "UPDATE balances SET credited_total = max(units - owed_units, 0),"
    "  spent_total = max(owed_units - units, 0);"
    "CREATE TABLE payments_v2 ("
    "  chain_id INTEGER NOT NULL CHECK (chain_id > 0),"
    "  tx_hash BLOB NOT NULL CHECK (length(tx_hash) = 32),"
    "  ordinal INTEGER NOT NULL CHECK (ordinal >= 0),"
    "  log_index INTEGER NOT NULL CHECK (log_index >= 0),"
    "  block_number INTEGER NOT NULL CHECK (block_number >= 0),"
    "  block_hash BLOB NOT NULL CHECK (length(block_hash) = 32),"
    "  dataset_id BLOB NOT NULL CHECK (length(dataset_id) = 32),"
    "  worker BLOB NOT NULL CHECK (length(worker) = 20),"
    "  payer BLOB NOT NULL CHECK (length(payer) = 20),"
    "  owner BLOB NOT NULL CHECK (length(owner) = 20),"
    "  amount_wei TEXT NOT NULL,"
    "  ref BLOB NOT NULL CHECK (length(ref) = 32),"
    "  state TEXT NOT NULL CHECK (state IN ('confirming', 'credited',"
    "    'unmatched', 'reversed')),"
    "  reason TEXT CHECK (reason IS NULL OR reason IN ('unknown_dataset',"
    "    'owner_mismatch', 'reorged', 'overflow')),"
    "  units INTEGER CHECK (units IS NULL OR units >= 0),"
    "  unit_wei TEXT,"
    "  first_seen_at INTEGER NOT NULL,"
    "  credited_at INTEGER,"
    "  PRIMARY KEY (chain_id, tx_hash, ordinal),"
    "  CHECK ((state = 'credited') = (units IS NOT NULL))"
    ");"
    "INSERT INTO payments_v2 SELECT * FROM payments;"
    "DROP TABLE payments;"
    "ALTER TABLE payments_v2 RENAME TO payments;"
    "CREATE INDEX payments_block ON payments(state, block_number);"
    "CREATE INDEX payments_worker ON payments(worker, dataset_id);"
    "CREATE INDEX payments_payer ON payments(payer);"
    "CREATE INDEX payments_owner ON payments(owner, credited_at);"
    "CREATE TABLE queries ("
    "  query_id BLOB PRIMARY KEY CHECK (length(query_id) = 16),"
    "  at INTEGER NOT NULL,"
    "  worker BLOB NOT NULL CHECK (length(worker) = 20),"
    "  dataset_id BLOB NOT NULL CHECK (length(dataset_id) = 32),"
    "  owner BLOB NOT NULL CHECK (length(owner) = 20),"
    "  chunk_count INTEGER NOT NULL CHECK (chunk_count >= 0),"
    "  rows INTEGER NOT NULL CHECK (rows >= 0),"
    "  plain_bytes INTEGER NOT NULL CHECK (plain_bytes >= 0),"
    "  cost INTEGER NOT NULL CHECK (cost >= 0),"
    "  audit_index INTEGER NOT NULL"
    ");"
    "CREATE INDEX queries_worker ON queries(worker, at);"
    "CREATE INDEX queries_owner ON queries(owner, at);"
    "CREATE TABLE audit_log ("
    "  idx INTEGER PRIMARY KEY CHECK (idx >= 1),"
    "  text TEXT NOT NULL,"
    "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
    "  time INTEGER NOT NULL"
    ");",
};

#define LSQ_VERSIONS ((int)(sizeof lsq_migrations / sizeof lsq_migrations[0]))

static int lsq_version(sqlite3 *db, int *version, struct fault *f)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *version = 0;
    if (db_prepare(db, &st, "SELECT version FROM ledger_schema WHERE id = 1",
                   f) < 0)
        return -1;
    rc = db_step(db, st, "read the ledger's schema version", f);
    if (rc == 1)
        *version = sqlite3_column_int(st, 0);
    db_release(st);
    return rc < 0 ? -1 : 0;
}

/* Bring the ledger's tables to the latest version, one migration per
 * transaction. */
static int lsq_migrate(sqlite3 *db, struct fault *f)
{
    sqlite3_stmt *st = NULL;
    int version, rc;

    if (db_exec(db,
                "CREATE TABLE IF NOT EXISTS ledger_schema ("
                "  id INTEGER PRIMARY KEY CHECK (id = 1),"
                "  version INTEGER NOT NULL CHECK (version >= 0))",
                f) < 0 ||
        lsq_version(db, &version, f) < 0)
        return -1;
    if (version > LSQ_VERSIONS)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the ledger has schema version %d but this sluiced "
                         "knows only up to %d: use a newer sluiced",
                         version, LSQ_VERSIONS);
    while (version < LSQ_VERSIONS) {
        if (db_begin(db, f) < 0)
            return -1;
        rc = sqlite3_exec(db, lsq_migrations[version], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            db_fail(db, rc, "migrate the ledger", f);
            db_rollback(db);
            return -1;
        }
        version++;
        if (db_prepare(db, &st,
                       "INSERT INTO ledger_schema (id, version) VALUES (1, "
                       "?1) ON CONFLICT (id) DO UPDATE SET version = ?1",
                       f) < 0) {
            db_rollback(db);
            return -1;
        }
        sqlite3_bind_int(st, 1, version);
        rc = db_step(db, st, "record the ledger's schema version", f);
        db_release(st);
        if (rc < 0 || db_commit(db, f) < 0) {
            db_rollback(db);
            return -1;
        }
        log_info("ledger migrated to schema version %d", version);
    }
    return 0;
}

/* ---- units of work ---- */

static int lsq_begin(struct ledger *l, struct fault *f)
{
    return db_begin(lsq_db(l), f);
}

static int lsq_commit(struct ledger *l, struct fault *f)
{
    return db_commit(lsq_db(l), f);
}

static void lsq_rollback(struct ledger *l)
{
    db_rollback(lsq_db(l));
}

static int lsq_savepoint(struct ledger *l, struct fault *f)
{
    return db_exec(lsq_db(l), "SAVEPOINT sluice_request", f);
}

static int lsq_savepoint_release(struct ledger *l, struct fault *f)
{
    return db_exec(lsq_db(l), "RELEASE sluice_request", f);
}

static int lsq_savepoint_undo(struct ledger *l, struct fault *f)
{
    return db_exec(lsq_db(l), "ROLLBACK TO sluice_request", f);
}

/* SQLite rolls a whole transaction back on some errors (a full disk, an
 * I/O error): the connection is then in autocommit again. */
static int lsq_in_unit(struct ledger *l)
{
    return !sqlite3_get_autocommit(lsq_db(l));
}

static int lsq_ping(struct ledger *l, struct fault *f)
{
    return db_exec(lsq_db(l), "SELECT 1", f);
}

static void lsq_close(struct ledger *l)
{
    free(l);
}

/* ---- nonces ---- */

static char *lsq_dup_column(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);

    return t != NULL ? strdup((const char *)t) : NULL;
}

static int lsq_nonce_lookup(struct ledger *l, struct ledger_nonce *out,
                            int *found, const char *address,
                            const char *nonce, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *stmt = NULL;
    const void *blob;
    int rv = -1, rc, n;

    memset(out, 0, sizeof *out);
    *found = 0;
    if (db_prepare(db, &stmt,
                   "SELECT created_at, method, target, body_sha256, status, "
                   "content_type, location, response, retry_after "
                   "FROM request_nonces WHERE address = ?1 AND nonce = ?2",
                   f) < 0)
        goto done;
    sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, nonce, -1, SQLITE_STATIC);
    rc = db_step(db, stmt, "nonce lookup", f);
    if (rc <= 0) {
        rv = rc;
        goto done;
    }
    snprintf(out->address, sizeof out->address, "%s", address);
    snprintf(out->nonce, sizeof out->nonce, "%s", nonce);
    out->created_at = sqlite3_column_int64(stmt, 0);
    snprintf(out->method, sizeof out->method, "%s",
             (const char *)sqlite3_column_text(stmt, 1));
    out->target = lsq_dup_column(stmt, 2);
    blob = sqlite3_column_blob(stmt, 3);
    if (blob != NULL && sqlite3_column_bytes(stmt, 3) == 32)
        memcpy(out->body_sha256, blob, 32);
    out->status = sqlite3_column_int(stmt, 4);
    snprintf(out->content_type, sizeof out->content_type, "%s",
             (const char *)sqlite3_column_text(stmt, 5));
    out->location = lsq_dup_column(stmt, 6);
    n = sqlite3_column_bytes(stmt, 7);
    out->response = malloc(n > 0 ? (size_t)n : 1);
    if (out->target == NULL || out->response == NULL) {
        ledger_nonce_clear(out);
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (n > 0)
        memcpy(out->response, sqlite3_column_blob(stmt, 7), (size_t)n);
    out->response_len = (size_t)n;
    out->retry_after = sqlite3_column_int(stmt, 8);
    *found = 1;
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

static int lsq_nonce_insert(struct ledger *l, const struct ledger_nonce *r,
                            struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (db_prepare(db, &stmt,
                   "INSERT INTO request_nonces (address, nonce, created_at, "
                   "method, target, body_sha256, status, content_type, "
                   "location, response, retry_after) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                   f) < 0)
        return -1;
    sqlite3_bind_text(stmt, 1, r->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, r->nonce, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, r->created_at);
    sqlite3_bind_text(stmt, 4, r->method, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, r->target ? r->target : "", -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 6, r->body_sha256, 32, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 7, r->status);
    sqlite3_bind_text(stmt, 8, r->content_type, -1, SQLITE_STATIC);
    if (r->location != NULL)
        sqlite3_bind_text(stmt, 9, r->location, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 10, r->response ? (const void *)r->response : "",
                      (int)r->response_len, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 11, r->retry_after);
    rc = db_step(db, stmt, "nonce insert", f);
    db_release(stmt);
    return rc < 0 ? -1 : 0;
}

static long lsq_nonce_expire(struct ledger *l, int64_t cutoff,
                             struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (db_prepare(db, &stmt,
                   "DELETE FROM request_nonces WHERE created_at < ?1", f) < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, cutoff);
    rc = db_step(db, stmt, "nonce expire", f);
    db_release(stmt);
    return rc < 0 ? -1 : (long)sqlite3_changes(db);
}

/*
 * ---- payments ----
 *
 * The statements of one call, prepared on first use and reused for every
 * payment it handles (a catch-up step credits thousands at once), given
 * back when the call ends. Also the terms of the last data-set read, since
 * a step's payments mostly share one.
 */
enum lsq_sql {
    SQL_BALANCE_GET,
    SQL_BALANCE_PUT,
    SQL_ENTRY,
    SQL_MARK_CREDITED,
    SQL_MARK_REVERSED,
    SQL_MARK_OVERFLOW,
    SQL_OBSERVE_UPDATE,
    SQL_OBSERVE_INSERT,
    SQL_COUNT
};

static const char *const lsq_sql_text[SQL_COUNT] = {
    [SQL_BALANCE_GET] = "SELECT units, owed_units, remainder_wei, "
                        "credited_total, spent_total, pass_expires FROM "
                        "balances WHERE worker = ?1 AND dataset_id = ?2",
    [SQL_BALANCE_PUT] = "INSERT INTO balances (worker, dataset_id, units, "
                        "owed_units, remainder_wei, credited_total, "
                        "spent_total, pass_expires) VALUES (?1, ?2, ?3, ?4, "
                        "?5, ?6, ?7, ?8) ON CONFLICT (worker, dataset_id) DO "
                        "UPDATE SET units = ?3, owed_units = ?4, "
                        "remainder_wei = ?5, credited_total = ?6, "
                        "spent_total = ?7, pass_expires = ?8",
    [SQL_ENTRY] = "INSERT INTO ledger_entries (at, worker, dataset_id, kind, "
                  "units, chain_id, tx_hash, ordinal) VALUES (?1, ?2, ?3, "
                  "?4, ?5, ?6, ?7, ?8)",
    [SQL_MARK_CREDITED] = "UPDATE payments SET state = 'credited', units = "
                          "?4, unit_wei = ?5, credited_at = ?6 WHERE "
                          "chain_id = ?1 AND tx_hash = ?2 AND ordinal = ?3",
    [SQL_MARK_REVERSED] = "UPDATE payments SET state = 'reversed', reason = "
                          "'reorged', units = NULL WHERE chain_id = ?1 AND "
                          "tx_hash = ?2 AND ordinal = ?3",
    [SQL_MARK_OVERFLOW] = "UPDATE payments SET state = 'unmatched', reason = "
                          "'overflow' WHERE chain_id = ?1 AND tx_hash = ?2 "
                          "AND ordinal = ?3",
    /* A payment seen again keeps its state, but a reversed one that is
     * back on the chain is owed its credit again. */
    [SQL_OBSERVE_UPDATE] =
        "UPDATE payments SET log_index = ?4, block_number = ?5, "
        "block_hash = ?6, state = CASE state WHEN 'reversed' THEN "
        "'confirming' ELSE state END, reason = CASE state WHEN 'reversed' "
        "THEN NULL ELSE reason END WHERE chain_id = ?1 AND tx_hash = ?2 AND "
        "ordinal = ?3 RETURNING state",
    [SQL_OBSERVE_INSERT] =
        "INSERT INTO payments (chain_id, tx_hash, ordinal, log_index, "
        "block_number, block_hash, dataset_id, worker, payer, owner, "
        "amount_wei, ref, state, reason, first_seen_at) VALUES (?1, ?2, ?3, "
        "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
};

struct lsq_ctx {
    struct ledger *l;
    struct store *store;
    sqlite3 *db;
    sqlite3_stmt *st[SQL_COUNT];
    /* The terms of the last data-set read. */
    int has_terms;
    uint8_t terms_ds[32];
    int terms_found, terms_published, has_unit;
    struct ethaddr terms_owner;
    char unit_text[LEDGER_AMOUNT_SIZE];
    int pass;                  /* the plan is a pass: price, duration_s */
    uint64_t pass_price, pass_duration;
};

static void lsq_ctx_init(struct lsq_ctx *x, struct ledger *l)
{
    memset(x, 0, sizeof *x);
    x->l = l;
    x->store = ((struct ledger_sqlite *)l)->st;
    x->db = lsq_db(l);
}

static void lsq_ctx_end(struct lsq_ctx *x)
{
    unsigned i;

    for (i = 0; i < SQL_COUNT; i++)
        db_release(x->st[i]);
}

/* Statement q of x, reset and unbound, ready to bind. */
static sqlite3_stmt *lsq_sql(struct lsq_ctx *x, enum lsq_sql q,
                             struct fault *f)
{
    if (x->st[q] == NULL) {
        if (db_prepare(x->db, &x->st[q], lsq_sql_text[q], f) < 0)
            return NULL;
    } else {
        sqlite3_reset(x->st[q]);
        sqlite3_clear_bindings(x->st[q]);
    }
    return x->st[q];
}

/* What the ledger reads of data-set id, through the catalogue's API: found,
 * published with a plan, its owner and its plan's unit. */
static int lsq_terms(struct lsq_ctx *x, const uint8_t id[32],
                     struct fault *f)
{
    struct catalog_terms t;
    struct fault ignored;
    struct plan plan;
    json_t *j = NULL;
    int found, rv = -1;

    if (x->has_terms && memcmp(x->terms_ds, id, 32) == 0)
        return 0;
    x->has_terms = 0;
    if (catalog_get_terms(x->store, &t, &found, id, f) < 0)
        return -1;
    x->terms_found = found;
    x->terms_published = found && t.published;
    x->has_unit = 0;
    x->pass = 0;
    memset(&x->terms_owner, 0, sizeof x->terms_owner);
    if (found && t.owner[0] != '\0' &&
        ethaddr_parse(&x->terms_owner, t.owner, strlen(t.owner), "owner",
                      &ignored) < 0)
        memset(&x->terms_owner, 0, sizeof x->terms_owner);
    if (t.price != NULL) {
        j = json_loads(t.price, 0, NULL);
        if (j == NULL || plan_from_json(&plan, j, "price", f) < 0) {
            fault_set(f, FAULT_CORRUPT, NULL, "a data-set's stored plan is bad");
            goto done;
        }
        snprintf(x->unit_text, sizeof x->unit_text, "%s", plan.unit_wei);
        x->has_unit = 1;
        x->pass = plan.kind == PLAN_PASS;
        x->pass_price = plan.price;
        x->pass_duration = plan.duration_s;
    }
    memcpy(x->terms_ds, id, 32);
    x->has_terms = 1;
    rv = 0;
done:
    json_decref(j);
    catalog_terms_clear(&t);
    return rv;
}

/* Tell the ledger's listener what a payment became. */
static void lsq_tell(struct lsq_ctx *x, enum ledger_state state,
                     enum ledger_reason reason, uint64_t chain_id,
                     const uint8_t tx[32], int64_t ordinal,
                     const uint8_t dataset_id[32], const uint8_t worker[20],
                     const char *amount, uint64_t units)
{
    struct ledger_event e;

    if (x->l->listener == NULL)
        return;
    memset(&e, 0, sizeof e);
    e.state = state;
    e.reason = reason;
    e.chain_id = chain_id;
    memcpy(e.tx_hash, tx, 32);
    e.ordinal = (uint32_t)ordinal;
    memcpy(e.dataset_id, dataset_id, 32);
    memcpy(e.worker.bytes, worker, ETHADDR_LEN);
    snprintf(e.amount_wei, sizeof e.amount_wei, "%s", amount);
    e.units = units;
    ledger_notify(x->l, &e);
}

static int lsq_observe_one(struct lsq_ctx *x, const struct ledger_payment *p,
                           int64_t now, struct fault *f)
{
    sqlite3_stmt *st;
    enum ledger_reason reason;
    enum ledger_state state = LEDGER_CONFIRMING;
    ledger_u128 amount;
    int rc;

    if (ledger_amount_parse(&amount, p->amount_wei) < 0)
        return fault_set(f, FAULT_INVALID, "amount_wei",
                         "the amount is not decimal wei below 2^128");
    if ((st = lsq_sql(x, SQL_OBSERVE_UPDATE, f)) == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)p->chain_id);
    sqlite3_bind_blob(st, 2, p->tx_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->ordinal);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)p->log_index);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)p->block_number);
    sqlite3_bind_blob(st, 6, p->block_hash, 32, SQLITE_STATIC);
    rc = db_step(x->db, st, "update a payment", f);
    if (rc == 1 &&
        ledger_state_parse(&state, (const char *)sqlite3_column_text(st, 0)) <
            0)
        rc = fault_set(f, FAULT_CORRUPT, NULL, "a payment has a bad state");
    sqlite3_reset(st);
    if (rc != 0)
        return rc < 0 ? -1 : 0; /* seen before: updated */
    if (lsq_terms(x, p->dataset_id, f) < 0)
        return -1;
    reason = !x->terms_published ? LEDGER_UNKNOWN_DATASET
             : !ethaddr_equal(&x->terms_owner, &p->owner)
                 ? LEDGER_OWNER_MISMATCH
                 : LEDGER_REASON_NONE;
    state = reason == LEDGER_REASON_NONE ? LEDGER_CONFIRMING
                                         : LEDGER_UNMATCHED;
    if ((st = lsq_sql(x, SQL_OBSERVE_INSERT, f)) == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)p->chain_id);
    sqlite3_bind_blob(st, 2, p->tx_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->ordinal);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)p->log_index);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)p->block_number);
    sqlite3_bind_blob(st, 6, p->block_hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, p->dataset_id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, p->worker.bytes, ETHADDR_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, p->payer.bytes, ETHADDR_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 10, p->owner.bytes, ETHADDR_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, p->amount_wei, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 12, p->ref, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, ledger_state_name(state), -1, SQLITE_STATIC);
    if (reason == LEDGER_REASON_NONE)
        sqlite3_bind_null(st, 14);
    else
        sqlite3_bind_text(st, 14, ledger_reason_name(reason), -1,
                          SQLITE_STATIC);
    sqlite3_bind_int64(st, 15, now);
    rc = db_step(x->db, st, "record a payment", f);
    sqlite3_reset(st);
    if (rc < 0)
        return -1;
    lsq_tell(x, state, reason, p->chain_id, p->tx_hash, p->ordinal,
             p->dataset_id, p->worker.bytes, p->amount_wei, 0);
    return 0;
}

static int lsq_observe(struct ledger *l, const struct ledger_payment *p,
                       size_t n, int64_t now, struct fault *f)
{
    struct lsq_ctx x;
    size_t i;
    int rv = 0;

    lsq_ctx_init(&x, l);
    for (i = 0; i < n && rv == 0; i++)
        rv = lsq_observe_one(&x, &p[i], now, f);
    lsq_ctx_end(&x);
    return rv;
}

/* A pair's balance row as the backend keeps it. */
struct lsq_balance {
    uint64_t units, owed, credited, spent;
    char carry[LEDGER_AMOUNT_SIZE];
    int has_pass;
    int64_t pass_expires;
};

/* The balance row of a pair: zeros when it has none yet. */
static int lsq_balance_get(struct lsq_ctx *x, const uint8_t worker[20],
                           const uint8_t dataset_id[32],
                           struct lsq_balance *b, struct fault *f)
{
    sqlite3_stmt *st;
    const char *text;
    int rc, rv = -1;

    memset(b, 0, sizeof *b);
    snprintf(b->carry, sizeof b->carry, "0");
    if ((st = lsq_sql(x, SQL_BALANCE_GET, f)) == NULL)
        return -1;
    sqlite3_bind_blob(st, 1, worker, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, dataset_id, 32, SQLITE_STATIC);
    rc = db_step(x->db, st, "read a balance", f);
    if (rc < 0)
        goto done;
    if (rc == 1) {
        b->units = (uint64_t)sqlite3_column_int64(st, 0);
        b->owed = (uint64_t)sqlite3_column_int64(st, 1);
        text = (const char *)sqlite3_column_text(st, 2);
        if (text == NULL || strlen(text) >= LEDGER_AMOUNT_SIZE) {
            fault_set(f, FAULT_CORRUPT, NULL, "a balance's carry is bad");
            goto done;
        }
        snprintf(b->carry, sizeof b->carry, "%s", text);
        b->credited = (uint64_t)sqlite3_column_int64(st, 3);
        b->spent = (uint64_t)sqlite3_column_int64(st, 4);
        b->has_pass = sqlite3_column_type(st, 5) != SQLITE_NULL;
        b->pass_expires = b->has_pass ? sqlite3_column_int64(st, 5) : 0;
    }
    rv = 0;
done:
    sqlite3_reset(st);
    return rv;
}

static int lsq_balance_put(struct lsq_ctx *x, const uint8_t worker[20],
                           const uint8_t dataset_id[32],
                           const struct lsq_balance *b, struct fault *f)
{
    sqlite3_stmt *st;

    if ((st = lsq_sql(x, SQL_BALANCE_PUT, f)) == NULL)
        return -1;
    sqlite3_bind_blob(st, 1, worker, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, dataset_id, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)b->units);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)b->owed);
    sqlite3_bind_text(st, 5, b->carry, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)b->credited);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)b->spent);
    if (b->has_pass)
        sqlite3_bind_int64(st, 8, b->pass_expires);
    else
        sqlite3_bind_null(st, 8);
    return db_step(x->db, st, "write a balance", f) < 0 ? -1 : 0;
}

static int lsq_entry(struct lsq_ctx *x, const uint8_t worker[20],
                     const uint8_t dataset_id[32], const char *kind,
                     uint64_t units, uint64_t chain_id, const uint8_t tx[32],
                     int64_t ordinal, int64_t now, struct fault *f)
{
    sqlite3_stmt *st;

    if ((st = lsq_sql(x, SQL_ENTRY, f)) == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_blob(st, 2, worker, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, dataset_id, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)units);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(st, 7, tx, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, ordinal);
    return db_step(x->db, st, "write a ledger entry", f) < 0 ? -1 : 0;
}

/* One payment picked for crediting or reversal. */
struct lsq_pick {
    uint8_t tx[32];
    int64_t ordinal;
    uint8_t worker[20];
    uint8_t dataset_id[32];
    char amount[LEDGER_AMOUNT_SIZE];
    uint64_t units;                  /* reversal: what the credit added */
    char unit[LEDGER_AMOUNT_SIZE];   /* reversal: the unit it used */
};

/* Read up to cap payments that sql picks for chain_id and block. */
static int lsq_pick(sqlite3 *db, const char *sql, uint64_t chain_id,
                    int64_t block, struct lsq_pick *out, size_t cap,
                    size_t *n, struct fault *f)
{
    sqlite3_stmt *st = NULL;
    struct lsq_pick *p;
    int rc, rv = -1;

    *n = 0;
    if (db_prepare(db, &st, sql, f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_int64(st, 2, block);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)cap);
    while ((rc = db_step(db, st, "find payments", f)) == 1) {
        p = &out[*n];
        if (sqlite3_column_bytes(st, 0) != 32 ||
            sqlite3_column_bytes(st, 2) != 20 ||
            sqlite3_column_bytes(st, 3) != 32 ||
            sqlite3_column_bytes(st, 4) >= LEDGER_AMOUNT_SIZE ||
            sqlite3_column_bytes(st, 6) >= LEDGER_AMOUNT_SIZE) {
            fault_set(f, FAULT_CORRUPT, NULL, "a stored payment is bad");
            goto done;
        }
        memcpy(p->tx, sqlite3_column_blob(st, 0), 32);
        p->ordinal = sqlite3_column_int64(st, 1);
        memcpy(p->worker, sqlite3_column_blob(st, 2), 20);
        memcpy(p->dataset_id, sqlite3_column_blob(st, 3), 32);
        snprintf(p->amount, sizeof p->amount, "%s",
                 (const char *)sqlite3_column_text(st, 4));
        p->units = (uint64_t)sqlite3_column_int64(st, 5);
        snprintf(p->unit, sizeof p->unit, "%s",
                 sqlite3_column_type(st, 6) == SQLITE_NULL
                     ? ""
                     : (const char *)sqlite3_column_text(st, 6));
        (*n)++;
    }
    if (rc < 0)
        goto done;
    rv = 0;
done:
    db_release(st);
    return rv;
}

static int lsq_mark(struct lsq_ctx *x, enum lsq_sql q, uint64_t chain_id,
                    const struct lsq_pick *p, struct fault *f)
{
    sqlite3_stmt *st;

    if ((st = lsq_sql(x, q, f)) == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(st, 2, p->tx, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->ordinal);
    return db_step(x->db, st, "mark a payment", f) < 0 ? -1 : 0;
}

/* Credit one payment: its amount into the (units, carry) of its pair,
 * owed units repaid first; under a pass, whole prices into time. */
static int lsq_credit_one(struct lsq_ctx *x, uint64_t chain_id,
                          const struct lsq_pick *p, int64_t now,
                          struct fault *f)
{
    sqlite3_stmt *st;
    struct lsq_balance b;
    char carry_after[LEDGER_AMOUNT_SIZE];
    uint64_t add, pay, used;
    int64_t expires;
    int rc;

    if (lsq_terms(x, p->dataset_id, f) < 0)
        return -1;
    if (!x->has_unit)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a matched payment's data-set has no plan");
    if (lsq_balance_get(x, p->worker, p->dataset_id, &b, f) < 0)
        return -1;
    rc = ledger_credit_split(&add, carry_after, p->amount, b.carry,
                             x->unit_text, b.units, f);
    if (rc < 0)
        return -1;
    if (rc == 1 || add > LEDGER_UNITS_MAX - b.credited) {
        /* DESIGN.md 4: a credit past 2^63 - 1 units is not made. */
        log_warn("ledger: a payment would take a balance past %llu units: "
                 "unmatched (overflow)", (unsigned long long)LEDGER_UNITS_MAX);
        if (lsq_mark(x, SQL_MARK_OVERFLOW, chain_id, p, f) < 0)
            return -1;
        lsq_tell(x, LEDGER_UNMATCHED, LEDGER_OVERFLOW, chain_id, p->tx,
                 p->ordinal, p->dataset_id, p->worker, p->amount, 0);
        return 0;
    }
    snprintf(b.carry, sizeof b.carry, "%s", carry_after);
    pay = add < b.owed ? add : b.owed;
    b.owed -= pay;
    b.units += add - pay;
    b.credited += add;
    if (x->pass) {
        if (x->pass_price == 0 || x->pass_duration == 0)
            return fault_set(f, FAULT_CORRUPT, NULL,
                             "a pass plan without a price or a duration");
        /* A pass that would run past the end of time (2^63 - 1 seconds)
         * is an overflow as a balance past 2^63 - 1 units is: the payment
         * is not credited. Failing the step instead would fail every
         * retry of it, and the follower would never move again (one
         * payment of 3e10 wei does it, under a plan of 1 wei a unit and a
         * unit for ten years). */
        if (ledger_pass_extend(&used, &expires, b.units, x->pass_price,
                               x->pass_duration,
                               b.has_pass ? b.pass_expires : 0, now,
                               NULL) < 0) {
            log_warn("ledger: a payment would run a pass past the end of "
                     "time: unmatched (overflow)");
            return lsq_mark(x, SQL_MARK_OVERFLOW, chain_id, p, f);
        }
        if (used > 0) {
            b.units -= used;
            b.spent += used;
            b.has_pass = 1;
            b.pass_expires = expires;
        }
    }
    if (lsq_balance_put(x, p->worker, p->dataset_id, &b, f) < 0 ||
        lsq_entry(x, p->worker, p->dataset_id, "credit", add, chain_id,
                  p->tx, p->ordinal, now, f) < 0)
        return -1;
    if ((st = lsq_sql(x, SQL_MARK_CREDITED, f)) == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(st, 2, p->tx, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->ordinal);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)add);
    sqlite3_bind_text(st, 5, x->unit_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, now);
    if (db_step(x->db, st, "mark a payment credited", f) < 0)
        return -1;
    lsq_tell(x, LEDGER_CREDITED, LEDGER_REASON_NONE, chain_id, p->tx,
             p->ordinal, p->dataset_id, p->worker, p->amount, add);
    return 0;
}

/* Take one credit back: its units leave the balance (what it no longer
 * holds becomes owed) and the credited total. */
static int lsq_reverse_one(struct lsq_ctx *x, uint64_t chain_id,
                           const struct lsq_pick *p, int64_t now,
                           struct fault *f)
{
    struct lsq_balance b;
    char carry_after[LEDGER_AMOUNT_SIZE];
    uint64_t units_after, owed_after, take;

    if (lsq_balance_get(x, p->worker, p->dataset_id, &b, f) < 0 ||
        ledger_reverse_split(&units_after, &owed_after, carry_after,
                             p->amount, p->unit, p->units, b.units, b.owed,
                             b.carry, f) < 0)
        return -1;
    take = (b.units - units_after) + (owed_after - b.owed);
    b.units = units_after;
    b.owed = owed_after;
    b.credited = take < b.credited ? b.credited - take : 0;
    snprintf(b.carry, sizeof b.carry, "%s", carry_after);
    if (lsq_balance_put(x, p->worker, p->dataset_id, &b, f) < 0 ||
        lsq_entry(x, p->worker, p->dataset_id, "reversal", p->units,
                  chain_id, p->tx, p->ordinal, now, f) < 0)
        return -1;
    if (lsq_mark(x, SQL_MARK_REVERSED, chain_id, p, f) < 0)
        return -1;
    lsq_tell(x, LEDGER_REVERSED, LEDGER_REORGED, chain_id, p->tx, p->ordinal,
             p->dataset_id, p->worker, p->amount, p->units);
    return 0;
}

/* Payments are picked in batches of this many. */
#define LSQ_PICK 256

typedef int (*lsq_apply_fn)(struct lsq_ctx *x, uint64_t chain_id,
                            const struct lsq_pick *p, int64_t now,
                            struct fault *f);

/* Apply fn to every payment that sql picks (in its order, LSQ_PICK at a
 * time, until a batch comes back short: fn must take each one out of what
 * sql picks). *count is how many. Returns 0, or -1 with f set. */
static int lsq_each(struct ledger *l, const char *sql, uint64_t chain_id,
                    int64_t block, lsq_apply_fn fn, int64_t now,
                    uint64_t *count, struct fault *f)
{
    struct lsq_ctx x;
    struct lsq_pick *v;
    uint64_t total = 0;
    size_t n, i;
    int rv = -1;

    if (count != NULL)
        *count = 0;
    v = calloc(LSQ_PICK, sizeof *v);
    if (v == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    lsq_ctx_init(&x, l);
    do {
        if (lsq_pick(x.db, sql, chain_id, block, v, LSQ_PICK, &n, f) < 0)
            goto done;
        for (i = 0; i < n; i++)
            if (fn(&x, chain_id, &v[i], now, f) < 0)
                goto done;
        total += n;
    } while (n == LSQ_PICK);
    if (count != NULL)
        *count = total;
    rv = 0;
done:
    lsq_ctx_end(&x);
    free(v);
    return rv;
}

static int lsq_credit_upto(struct ledger *l, uint64_t chain_id,
                           uint64_t max_block, int64_t now,
                           uint64_t *credited, struct fault *f)
{
    if (max_block > (uint64_t)INT64_MAX)
        max_block = (uint64_t)INT64_MAX;
    /* Oldest first: each credit changes the balance (and carry) the next
     * one of its pair starts from. */
    return lsq_each(l,
                    "SELECT tx_hash, ordinal, worker, dataset_id, "
                    "amount_wei, 0, NULL FROM payments WHERE state = "
                    "'confirming' AND chain_id = ?1 AND block_number <= "
                    "?2 ORDER BY block_number, log_index LIMIT ?3",
                    chain_id, (int64_t)max_block, lsq_credit_one, now,
                    credited, f);
}

static int lsq_drop_after(struct ledger *l, uint64_t chain_id,
                          int64_t block, int64_t now, uint64_t *reversed,
                          struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    int rc;

    if (reversed != NULL)
        *reversed = 0;
    if (block < -1)
        block = -1;
    if (db_prepare(db, &st,
                   "DELETE FROM payments WHERE chain_id = ?1 AND "
                   "block_number > ?2 AND state IN ('confirming', "
                   "'unmatched')",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_int64(st, 2, block);
    rc = db_step(db, st, "forget reorged payments", f);
    db_release(st);
    if (rc < 0)
        return -1;
    /* Newest first, undoing the credits in the reverse of their order. */
    return lsq_each(l,
                    "SELECT tx_hash, ordinal, worker, dataset_id, "
                    "amount_wei, units, unit_wei FROM payments WHERE "
                    "state = 'credited' AND chain_id = ?1 AND "
                    "block_number > ?2 ORDER BY block_number DESC, "
                    "log_index DESC LIMIT ?3",
                    chain_id, block, lsq_reverse_one, now, reversed, f);
}

/* One payment's columns (ordinal, log_index, block_number, block_hash,
 * dataset_id, worker, payer, owner, amount_wei, ref, state, reason, units)
 * into *p (chain id and transaction hash are the caller's). Returns 0, or
 * -1 with f set (FAULT_CORRUPT). */
static int lsq_payment_row(sqlite3_stmt *st, struct ledger_payment *p,
                           struct fault *f)
{
    memset(p, 0, sizeof *p);
    if (sqlite3_column_bytes(st, 3) != 32 ||
        sqlite3_column_bytes(st, 4) != 32 ||
        sqlite3_column_bytes(st, 5) != 20 ||
        sqlite3_column_bytes(st, 6) != 20 ||
        sqlite3_column_bytes(st, 7) != 20 ||
        sqlite3_column_bytes(st, 8) >= LEDGER_AMOUNT_SIZE ||
        sqlite3_column_bytes(st, 9) != 32 ||
        ledger_state_parse(&p->state,
                           (const char *)sqlite3_column_text(st, 10)) < 0)
        return fault_set(f, FAULT_CORRUPT, NULL, "a stored payment is bad");
    p->ordinal = (uint32_t)sqlite3_column_int64(st, 0);
    p->log_index = (uint64_t)sqlite3_column_int64(st, 1);
    p->block_number = (uint64_t)sqlite3_column_int64(st, 2);
    memcpy(p->block_hash, sqlite3_column_blob(st, 3), 32);
    memcpy(p->dataset_id, sqlite3_column_blob(st, 4), 32);
    memcpy(p->worker.bytes, sqlite3_column_blob(st, 5), 20);
    memcpy(p->payer.bytes, sqlite3_column_blob(st, 6), 20);
    memcpy(p->owner.bytes, sqlite3_column_blob(st, 7), 20);
    snprintf(p->amount_wei, sizeof p->amount_wei, "%s",
             sqlite3_column_text(st, 8));
    memcpy(p->ref, sqlite3_column_blob(st, 9), 32);
    p->reason = ledger_reason_parse((const char *)sqlite3_column_text(st, 11));
    p->has_units = sqlite3_column_type(st, 12) != SQLITE_NULL;
    p->units = p->has_units ? (uint64_t)sqlite3_column_int64(st, 12) : 0;
    return 0;
}

static int lsq_payments_of_tx(struct ledger *l, uint64_t chain_id,
                              const uint8_t tx[32], struct ledger_payment *out,
                              size_t cap, size_t *n, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    struct ledger_payment *p;
    int rc, rv = -1;

    *n = 0;
    if (db_prepare(db, &st,
                   "SELECT ordinal, log_index, block_number, block_hash, "
                   "dataset_id, worker, payer, owner, amount_wei, ref, "
                   "state, reason, units FROM payments WHERE chain_id = ?1 "
                   "AND tx_hash = ?2 ORDER BY ordinal",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(st, 2, tx, 32, SQLITE_STATIC);
    while (*n < cap) {
        rc = db_step(db, st, "read a transaction's payments", f);
        if (rc < 0)
            goto done;
        if (rc == 0)
            break;
        p = &out[*n];
        if (lsq_payment_row(st, p, f) < 0)
            goto done;
        p->chain_id = chain_id;
        memcpy(p->tx_hash, tx, 32);
        (*n)++;
    }
    rv = 0;
done:
    db_release(st);
    if (rv < 0)
        *n = 0;
    return rv;
}

static int lsq_balance(struct ledger *l, const struct ethaddr *worker,
                       const uint8_t dataset_id[32], uint64_t *units,
                       uint64_t *owed_units, struct fault *f)
{
    struct lsq_ctx x;
    struct lsq_balance b;
    int rv;

    lsq_ctx_init(&x, l);
    rv = lsq_balance_get(&x, worker->bytes, dataset_id, &b, f);
    lsq_ctx_end(&x);
    *units = rv < 0 ? 0 : b.units;
    *owed_units = rv < 0 ? 0 : b.owed;
    return rv;
}

/* ---- the chain checkpoint ---- */

static int lsq_chain_read(struct ledger *l, struct ledger_chain *out,
                          struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if (db_prepare(db, &st,
                   "SELECT chain_id, contract, tip, last_credited_block, "
                   "finality_violations FROM chain_state WHERE id = 1",
                   f) < 0)
        return -1;
    rc = db_step(db, st, "read the chain checkpoint", f);
    if (rc == 1) {
        if (sqlite3_column_bytes(st, 1) != 20) {
            rc = fault_set(f, FAULT_CORRUPT, NULL,
                           "the chain checkpoint is damaged");
        } else {
            out->chain_id = (uint64_t)sqlite3_column_int64(st, 0);
            memcpy(out->contract, sqlite3_column_blob(st, 1), 20);
            out->tip = sqlite3_column_int64(st, 2);
            out->last_credited_block = sqlite3_column_int64(st, 3);
            out->finality_violations =
                (uint64_t)sqlite3_column_int64(st, 4);
        }
    }
    db_release(st);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}

static int lsq_chain_open(struct ledger *l, struct ledger_chain *out,
                          uint64_t chain_id, const uint8_t contract[20],
                          uint64_t start, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    int rc;

    rc = lsq_chain_read(l, out, f);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        if (out->chain_id != chain_id) {
            fault_set(f, FAULT_CONFLICT, "chain_id",
                      "this data dir follows chain %llu, not %llu",
                      (unsigned long long)out->chain_id,
                      (unsigned long long)chain_id);
            memset(out, 0, sizeof *out);
            return -1;
        }
        if (memcmp(out->contract, contract, 20) != 0) {
            memset(out, 0, sizeof *out);
            return fault_set(f, FAULT_CONFLICT, "contract",
                             "this data dir follows another market "
                             "contract");
        }
        return 0;
    }
    if (chain_id == 0 || chain_id > (uint64_t)INT64_MAX ||
        start > (uint64_t)INT64_MAX)
        return fault_set(f, FAULT_INVALID, "chain_id", "bad chain id");
    if (db_prepare(db, &st,
                   "INSERT INTO chain_state (id, chain_id, contract, tip) "
                   "VALUES (1, ?1, ?2, ?3)",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(st, 2, contract, 20, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)start - 1);
    rc = db_step(db, st, "record the chain", f);
    db_release(st);
    if (rc < 0)
        return -1;
    return lsq_chain_read(l, out, f) == 1 ? 0 : -1;
}

static int lsq_chain_blocks(struct ledger *l, int64_t after,
                            struct ledger_block *out, size_t cap, size_t *n,
                            struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    int rc;

    *n = 0;
    if (db_prepare(db, &st,
                   "SELECT number, hash, parent_hash FROM chain_blocks WHERE "
                   "number > ?1 ORDER BY number LIMIT ?2",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cap);
    while ((rc = db_step(db, st, "read block hashes", f)) == 1) {
        if (sqlite3_column_bytes(st, 1) != 32 ||
            sqlite3_column_bytes(st, 2) != 32) {
            rc = fault_set(f, FAULT_CORRUPT, NULL, "a stored block is bad");
            break;
        }
        out[*n].number = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(out[*n].hash, sqlite3_column_blob(st, 1), 32);
        memcpy(out[*n].parent_hash, sqlite3_column_blob(st, 2), 32);
        (*n)++;
    }
    db_release(st);
    if (rc < 0) {
        *n = 0;
        return -1;
    }
    return 0;
}

static int lsq_chain_put_blocks(struct ledger *l, const struct ledger_block *b,
                                size_t n, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    size_t i;
    int rv = -1;

    if (db_prepare(db, &st,
                   "INSERT OR REPLACE INTO chain_blocks (number, hash, "
                   "parent_hash) VALUES (?1, ?2, ?3)",
                   f) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)b[i].number);
        sqlite3_bind_blob(st, 2, b[i].hash, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, b[i].parent_hash, 32, SQLITE_STATIC);
        if (db_step(db, st, "store a block hash", f) < 0)
            goto done;
    }
    rv = 0;
done:
    db_release(st);
    return rv;
}

static int lsq_chain_trim(struct ledger *l, int64_t above, int64_t keep_from,
                          struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    int rc;

    if (db_prepare(db, &st,
                   "DELETE FROM chain_blocks WHERE number > ?1 OR "
                   "number < ?2",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, above);
    sqlite3_bind_int64(st, 2, keep_from);
    rc = db_step(db, st, "trim block hashes", f);
    db_release(st);
    return rc < 0 ? -1 : 0;
}

static int lsq_chain_advance(struct ledger *l, int64_t tip,
                             int64_t last_credited, uint64_t violations,
                             struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    int rc;

    if (db_prepare(db, &st,
                   "UPDATE chain_state SET tip = ?1, last_credited_block = "
                   "max(-1, ?2), finality_violations = finality_violations "
                   "+ ?3 WHERE id = 1",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, tip);
    sqlite3_bind_int64(st, 2, last_credited);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)violations);
    rc = db_step(db, st, "advance the chain checkpoint", f);
    db_release(st);
    return rc < 0 ? -1 : 0;
}

/* ---- accounts and releases ---- */

static int lsq_account_row(sqlite3_stmt *st, int col,
                           struct ledger_account *a)
{
    a->units = (uint64_t)sqlite3_column_int64(st, col);
    a->owed_units = (uint64_t)sqlite3_column_int64(st, col + 1);
    a->has_pass = sqlite3_column_type(st, col + 2) != SQLITE_NULL;
    a->pass_expires = a->has_pass ? sqlite3_column_int64(st, col + 2) : 0;
    a->credited_total = (uint64_t)sqlite3_column_int64(st, col + 3);
    a->spent_total = (uint64_t)sqlite3_column_int64(st, col + 4);
    return 0;
}

static int lsq_account(struct ledger *l, const struct ethaddr *worker,
                       const uint8_t dataset_id[32],
                       struct ledger_account *out, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    memcpy(out->dataset_id, dataset_id, 32);
    if (db_prepare(db, &st,
                   "SELECT units, owed_units, pass_expires, credited_total, "
                   "spent_total FROM balances WHERE worker = ?1 AND "
                   "dataset_id = ?2",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(st, 1, worker->bytes, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, dataset_id, 32, SQLITE_STATIC);
    rc = db_step(db, st, "read an account", f);
    if (rc == 1)
        lsq_account_row(st, 0, out);
    db_release(st);
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

static int lsq_each_account(struct ledger *l, const struct ethaddr *worker,
                            int (*fn)(void *arg,
                                      const struct ledger_account *a,
                                      struct fault *f),
                            void *arg, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    struct ledger_account a;
    int rc;

    if (db_prepare(db, &st,
                   "SELECT dataset_id, units, owed_units, pass_expires, "
                   "credited_total, spent_total FROM balances WHERE worker "
                   "= ?1 ORDER BY dataset_id",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(st, 1, worker->bytes, 20, SQLITE_STATIC);
    while ((rc = db_step(db, st, "list accounts", f)) == 1) {
        memset(&a, 0, sizeof a);
        if (sqlite3_column_bytes(st, 0) != 32) {
            rc = fault_set(f, FAULT_CORRUPT, NULL, "a balance is bad");
            break;
        }
        memcpy(a.dataset_id, sqlite3_column_blob(st, 0), 32);
        lsq_account_row(st, 1, &a);
        if (fn(arg, &a, f) < 0) {
            rc = -1;
            break;
        }
    }
    db_release(st);
    return rc < 0 ? -1 : 0;
}

static int lsq_pending_units(struct ledger *l, const struct ethaddr *worker,
                             const uint8_t dataset_id[32],
                             const char *unit_wei, uint64_t *units,
                             struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    ledger_u128 unit, amount, sum = 0;
    int rc;

    *units = 0;
    if (ledger_amount_parse(&unit, unit_wei) < 0 || unit == 0)
        return fault_set(f, FAULT_CORRUPT, NULL, "a plan's unit is bad");
    if (db_prepare(db, &st,
                   "SELECT amount_wei FROM payments WHERE worker = ?1 AND "
                   "dataset_id = ?2 AND state = 'confirming'",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(st, 1, worker->bytes, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, dataset_id, 32, SQLITE_STATIC);
    while ((rc = db_step(db, st, "sum confirming payments", f)) == 1) {
        if (ledger_amount_parse(&amount,
                                (const char *)sqlite3_column_text(st, 0)) <
            0) {
            rc = fault_set(f, FAULT_CORRUPT, NULL, "a payment is bad");
            break;
        }
        sum += amount / unit;
        if (sum > LEDGER_UNITS_MAX)
            sum = LEDGER_UNITS_MAX;
    }
    db_release(st);
    if (rc < 0)
        return -1;
    *units = (uint64_t)sum;
    return 0;
}

static int lsq_audit_head(struct ledger *l, uint64_t *index, uint8_t hash[32],
                          int64_t *time, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    int rc;

    *index = 0;
    memset(hash, 0, 32);
    *time = 0;
    if (db_prepare(db, &st,
                   "SELECT idx, hash, time FROM audit_log ORDER BY idx DESC "
                   "LIMIT 1",
                   f) < 0)
        return -1;
    rc = db_step(db, st, "read the audit head", f);
    if (rc == 1) {
        if (sqlite3_column_bytes(st, 1) != 32) {
            rc = fault_set(f, FAULT_CORRUPT, NULL,
                           "the last audit entry is damaged");
        } else {
            *index = (uint64_t)sqlite3_column_int64(st, 0);
            memcpy(hash, sqlite3_column_blob(st, 1), 32);
            *time = sqlite3_column_int64(st, 2);
        }
    }
    db_release(st);
    return rc < 0 ? -1 : 0;
}

static int lsq_release(struct ledger *l, struct ledger_release *r,
                       struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    struct audit_entry e;
    int64_t last_time;
    int rc, rv = -1;

    r->index = 0;
    memset(r->hash, 0, 32);
    r->text = NULL;
    r->text_len = 0;
    r->balance_after = r->credited_total = r->spent_total = 0;
    if (r->cost > LEDGER_UNITS_MAX || (r->pass && r->cost != 0))
        return fault_set(f, FAULT_INTERNAL, NULL, "a release's cost is bad");
    /* A query id used before is refused before anything moves (the
     * queries row, written last, would refuse it too, but only after the
     * debit and the entry: a caller that kept its unit would have paid
     * for nothing). */
    if (db_prepare(db, &st, "SELECT 1 FROM queries WHERE query_id = ?1",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(st, 1, r->query_id, 16, SQLITE_STATIC);
    rc = db_step(db, st, "look up a query id", f);
    db_release(st);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return fault_set(f, FAULT_CONFLICT, NULL,
                         "this query id was released before");
    /* The debit, checked and taken in one statement: it owes nothing and
     * holds the cost (or its pass runs). A pair that never had a credit
     * gets a row of zeros, which covers only a metered query of cost 0:
     * so only such a query opens one, and a refused release leaves no
     * account behind. */
    if (r->cost == 0 && !r->pass) {
        if (db_prepare(db, &st,
                       "INSERT INTO balances (worker, dataset_id) VALUES "
                       "(?1, ?2) ON CONFLICT (worker, dataset_id) DO "
                       "NOTHING",
                       f) < 0)
            return -1;
        sqlite3_bind_blob(st, 1, r->worker.bytes, 20, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, r->dataset_id, 32, SQLITE_STATIC);
        rc = db_step(db, st, "open an account", f);
        db_release(st);
        if (rc < 0)
            return -1;
    }
    if (db_prepare(db, &st,
                   "UPDATE balances SET units = units - ?3, spent_total = "
                   "spent_total + ?3 WHERE worker = ?1 AND dataset_id = ?2 "
                   "AND owed_units = 0 AND units >= ?3 AND (?4 = 0 OR "
                   "(pass_expires IS NOT NULL AND pass_expires > ?5)) "
                   "RETURNING units, credited_total, spent_total",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(st, 1, r->worker.bytes, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, r->dataset_id, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)r->cost);
    sqlite3_bind_int(st, 4, r->pass);
    sqlite3_bind_int64(st, 5, r->now);
    rc = db_step(db, st, "debit a query", f);
    if (rc == 1) {
        r->balance_after = (uint64_t)sqlite3_column_int64(st, 0);
        r->credited_total = (uint64_t)sqlite3_column_int64(st, 1);
        r->spent_total = (uint64_t)sqlite3_column_int64(st, 2);
    }
    db_release(st);
    if (rc < 0)
        goto fail;
    if (rc == 0) {
        fault_set(f, FAULT_PAYMENT, NULL,
                  r->pass ? "no pass runs for this data-set"
                          : "the balance does not cover the query");
        goto fail;
    }
    /* The entry, linked to the last one. */
    memset(&e, 0, sizeof e);
    if (lsq_audit_head(l, &e.index, e.prev, &last_time, f) < 0)
        goto fail;
    e.index++;
    e.time = r->now;
    e.gateway = r->gateway;
    memcpy(e.dataset_id, r->dataset_id, 32);
    e.worker = r->worker;
    memcpy(e.query_id, r->query_id, 16);
    e.chunks = r->chunks;
    e.nchunks = r->nchunks;
    e.cost = r->cost;
    e.balance_after = r->balance_after;
    e.credited_total = r->credited_total;
    e.spent_total = r->spent_total;
    if (audit_entry_text(&r->text, &r->text_len, r->hash, &e, f) < 0)
        goto fail;
    if (db_prepare(db, &st,
                   "INSERT INTO audit_log (idx, text, hash, time) VALUES "
                   "(?1, ?2, ?3, ?4)",
                   f) < 0)
        goto fail;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)e.index);
    sqlite3_bind_text(st, 2, r->text, (int)r->text_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, r->hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, e.time);
    rc = db_step(db, st, "append an audit entry", f);
    db_release(st);
    if (rc < 0) {
        /* Whatever refused it (a full disk, a constraint, a trigger), the
         * log could not be written: a storage failure, never a conflict
         * to remember as the request's answer (DESIGN.md 3.10: no debit,
         * no key; a retry may succeed). */
        char why[FAULT_DETAIL_MAX];

        snprintf(why, sizeof why, "%s", f->detail);
        fault_set(f, FAULT_IO, NULL, "the audit log cannot be written: %s",
                  why);
        goto fail;
    }
    if (db_prepare(db, &st,
                   "INSERT INTO queries (query_id, at, worker, dataset_id, "
                   "owner, chunk_count, rows, plain_bytes, cost, "
                   "audit_index) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                   "?9, ?10)",
                   f) < 0)
        goto fail;
    sqlite3_bind_blob(st, 1, r->query_id, 16, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->now);
    sqlite3_bind_blob(st, 3, r->worker.bytes, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, r->dataset_id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, r->owner.bytes, 20, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)r->nchunks);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->rows);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->plain_bytes);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->cost);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)e.index);
    rc = db_step(db, st, "record a query", f);
    db_release(st);
    if (rc < 0)
        goto fail;
    r->index = e.index;
    rv = 0;
    return rv;
fail:
    free(r->text);
    r->text = NULL;
    r->text_len = 0;
    r->index = 0;
    memset(r->hash, 0, 32);
    r->balance_after = r->credited_total = r->spent_total = 0;
    return -1;
}

static int lsq_audit_each(struct ledger *l, uint64_t from,
                          int (*fn)(void *arg, uint64_t index,
                                    const char *text, size_t len,
                                    const uint8_t hash[32], struct fault *f),
                          void *arg, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    uint8_t bad[32];
    int rc;

    memset(bad, 0, sizeof bad);
    if (db_prepare(db, &st,
                   "SELECT idx, text, hash FROM audit_log WHERE idx >= ?1 "
                   "ORDER BY idx",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
    while ((rc = db_step(db, st, "read the audit log", f)) == 1) {
        const char *text = (const char *)sqlite3_column_text(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        /* A damaged hash is the verifier's to name: give it zeros. */
        const uint8_t *hash = sqlite3_column_bytes(st, 2) == 32
                                  ? sqlite3_column_blob(st, 2)
                                  : bad;
        if (fn(arg, (uint64_t)sqlite3_column_int64(st, 0),
               text != NULL ? text : "", text != NULL ? len : 0, hash,
               f) < 0) {
            rc = -1;
            break;
        }
    }
    db_release(st);
    return rc < 0 ? -1 : 0;
}

static int lsq_each_usage(struct ledger *l, const struct ethaddr *worker,
                          int (*fn)(void *arg, const struct ledger_usage *u,
                                    struct fault *f),
                          void *arg, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    struct ledger_usage u;
    int rc;

    if (db_prepare(db, &st,
                   "SELECT strftime('%Y-%m-%d', at, 'unixepoch') AS day, "
                   "dataset_id, count(*), sum(chunk_count), sum(cost) FROM "
                   "queries WHERE worker = ?1 GROUP BY day, dataset_id "
                   "ORDER BY day, dataset_id",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(st, 1, worker->bytes, 20, SQLITE_STATIC);
    while ((rc = db_step(db, st, "sum usage", f)) == 1) {
        memset(&u, 0, sizeof u);
        if (sqlite3_column_bytes(st, 1) != 32) {
            rc = fault_set(f, FAULT_CORRUPT, NULL, "a query record is bad");
            break;
        }
        snprintf(u.day, sizeof u.day, "%s",
                 (const char *)sqlite3_column_text(st, 0));
        memcpy(u.dataset_id, sqlite3_column_blob(st, 1), 32);
        u.queries = (uint64_t)sqlite3_column_int64(st, 2);
        u.chunks = (uint64_t)sqlite3_column_int64(st, 3);
        u.cost = (uint64_t)sqlite3_column_int64(st, 4);
        if (fn(arg, &u, f) < 0) {
            rc = -1;
            break;
        }
    }
    db_release(st);
    return rc < 0 ? -1 : 0;
}

/* Earnings: payments credited and queries answered, each by (day,
 * data-set) in order, merged. */
static int lsq_each_earning(struct ledger *l, uint64_t chain_id,
                            const struct ethaddr *owner,
                            int (*fn)(void *arg,
                                      const struct ledger_earning *e,
                                      struct fault *f),
                            void *arg, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *pay = NULL, *qry = NULL;
    struct ledger_earning e;
    ledger_u128 sum = 0, amount;
    int rp, rq, rv = -1, cmp;

    if (db_prepare(db, &pay,
                   "SELECT strftime('%Y-%m-%d', credited_at, 'unixepoch') AS "
                   "day, dataset_id, count(*), sum(units), "
                   "group_concat(amount_wei) FROM payments WHERE chain_id = "
                   "?1 AND owner = ?2 AND state = 'credited' GROUP BY day, "
                   "dataset_id ORDER BY day, dataset_id",
                   f) < 0 ||
        db_prepare(db, &qry,
                   "SELECT strftime('%Y-%m-%d', at, 'unixepoch') AS day, "
                   "dataset_id, count(*), sum(cost) FROM queries WHERE owner "
                   "= ?1 GROUP BY day, dataset_id ORDER BY day, dataset_id",
                   f) < 0)
        goto done;
    sqlite3_bind_int64(pay, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(pay, 2, owner->bytes, 20, SQLITE_STATIC);
    sqlite3_bind_blob(qry, 1, owner->bytes, 20, SQLITE_STATIC);
    rp = db_step(db, pay, "sum earnings", f);
    rq = rp < 0 ? -1 : db_step(db, qry, "sum earnings", f);
    while (rp == 1 || rq == 1) {
        memset(&e, 0, sizeof e);
        if (rp == 1 && rq == 1) {
            cmp = strcmp((const char *)sqlite3_column_text(pay, 0),
                         (const char *)sqlite3_column_text(qry, 0));
            if (cmp == 0)
                cmp = memcmp(sqlite3_column_blob(pay, 1),
                             sqlite3_column_blob(qry, 1), 32);
        } else {
            cmp = rp == 1 ? -1 : 1;
        }
        snprintf(e.amount_wei, sizeof e.amount_wei, "0");
        if (cmp <= 0) {
            const char *list = (const char *)sqlite3_column_text(pay, 4);
            char one[LEDGER_AMOUNT_SIZE];
            size_t k;

            snprintf(e.day, sizeof e.day, "%s",
                     (const char *)sqlite3_column_text(pay, 0));
            memcpy(e.dataset_id, sqlite3_column_blob(pay, 1), 32);
            e.payments = (uint64_t)sqlite3_column_int64(pay, 2);
            e.units = (uint64_t)sqlite3_column_int64(pay, 3);
            /* The wei of the day, summed exactly (SQLite's sum would
             * round past 2^63). */
            sum = 0;
            while (list != NULL && *list != '\0') {
                k = strcspn(list, ",");
                if (k >= sizeof one) {
                    fault_set(f, FAULT_CORRUPT, NULL, "a payment is bad");
                    goto done;
                }
                memcpy(one, list, k);
                one[k] = '\0';
                if (ledger_amount_parse(&amount, one) < 0 ||
                    sum + amount < sum) {
                    fault_set(f, FAULT_CORRUPT, NULL, "a payment is bad");
                    goto done;
                }
                sum += amount;
                list += k + (list[k] == ',');
            }
            ledger_amount_format(e.amount_wei, sum);
        }
        if (cmp >= 0) {
            snprintf(e.day, sizeof e.day, "%s",
                     (const char *)sqlite3_column_text(qry, 0));
            memcpy(e.dataset_id, sqlite3_column_blob(qry, 1), 32);
            e.queries = (uint64_t)sqlite3_column_int64(qry, 2);
            e.units_spent = (uint64_t)sqlite3_column_int64(qry, 3);
        }
        if (fn(arg, &e, f) < 0)
            goto done;
        if (cmp <= 0)
            rp = db_step(db, pay, "sum earnings", f);
        if (cmp >= 0)
            rq = db_step(db, qry, "sum earnings", f);
        if (rp < 0 || rq < 0)
            goto done;
    }
    rv = rp < 0 || rq < 0 ? -1 : 0;
done:
    db_release(pay);
    db_release(qry);
    return rv;
}

static int lsq_each_payment_of(struct ledger *l, uint64_t chain_id,
                               const struct ethaddr *address,
                               int (*fn)(void *arg,
                                         const struct ledger_payment *p,
                                         struct fault *f),
                               void *arg, struct fault *f)
{
    sqlite3 *db = lsq_db(l);
    sqlite3_stmt *st = NULL;
    struct ledger_payment p;
    int rc;

    if (db_prepare(db, &st,
                   "SELECT ordinal, log_index, block_number, block_hash, "
                   "dataset_id, worker, payer, owner, amount_wei, ref, "
                   "state, reason, units, tx_hash FROM payments WHERE "
                   "chain_id = ?1 AND (worker = ?2 OR payer = ?2) ORDER BY "
                   "block_number, log_index",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(st, 2, address->bytes, 20, SQLITE_STATIC);
    while ((rc = db_step(db, st, "list payments", f)) == 1) {
        if (lsq_payment_row(st, &p, f) < 0 ||
            sqlite3_column_bytes(st, 13) != 32) {
            rc = fault_set(f, FAULT_CORRUPT, NULL, "a stored payment is bad");
            break;
        }
        p.chain_id = chain_id;
        memcpy(p.tx_hash, sqlite3_column_blob(st, 13), 32);
        if (fn(arg, &p, f) < 0) {
            rc = -1;
            break;
        }
    }
    db_release(st);
    return rc < 0 ? -1 : 0;
}

static const struct ledger_ops lsq_ops = {
    .name = "sqlite",
    .close = lsq_close,
    .begin = lsq_begin,
    .commit = lsq_commit,
    .rollback = lsq_rollback,
    .savepoint = lsq_savepoint,
    .savepoint_release = lsq_savepoint_release,
    .savepoint_undo = lsq_savepoint_undo,
    .in_unit = lsq_in_unit,
    .ping = lsq_ping,
    .nonce_lookup = lsq_nonce_lookup,
    .nonce_insert = lsq_nonce_insert,
    .nonce_expire = lsq_nonce_expire,
    .observe = lsq_observe,
    .credit_upto = lsq_credit_upto,
    .drop_after = lsq_drop_after,
    .payments_of_tx = lsq_payments_of_tx,
    .balance = lsq_balance,
    .chain_open = lsq_chain_open,
    .chain_read = lsq_chain_read,
    .chain_blocks = lsq_chain_blocks,
    .chain_put_blocks = lsq_chain_put_blocks,
    .chain_trim = lsq_chain_trim,
    .chain_advance = lsq_chain_advance,
    .account = lsq_account,
    .each_account = lsq_each_account,
    .pending_units = lsq_pending_units,
    .release = lsq_release,
    .audit_head = lsq_audit_head,
    .audit_each = lsq_audit_each,
    .each_usage = lsq_each_usage,
    .each_earning = lsq_each_earning,
    .each_payment_of = lsq_each_payment_of,
};

int ledger_sqlite_open(struct ledger **out, struct store *st, struct fault *f)
{
    struct ledger_sqlite *l;

    *out = NULL;
    if (lsq_migrate(st->db, f) < 0)
        return -1;
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    l->base.ops = &lsq_ops;
    l->st = st;
    l->db = st->db;
    *out = &l->base;
    return 0;
}
