#include "pricing/ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pricing/plan.h"
#include "storage/db.h"

/*
 * Amounts: a payment is below 2^128 wei (the ABI decoder refuses more), a
 * unit is at most 10^30 wei (< 2^100) and a remainder is below a unit, so
 * unsigned 128-bit arithmetic holds every intermediate here as long as
 * amount and remainder are divided separately (their sum could carry).
 */
typedef unsigned __int128 ledger_u128;

#define LEDGER_UNITS_MAX ((uint64_t)INT64_MAX) /* what SQLite stores */

static const char *const ledger_states[] = {"seen", "confirming", "credited",
                                            "unmatched", "reversed"};
static const char *const ledger_reasons[] = {NULL, "unknown_dataset",
                                             "owner_mismatch", "reorged"};

const char *ledger_state_name(enum ledger_state s)
{
    return (unsigned)s < 5 ? ledger_states[s] : NULL;
}

const char *ledger_reason_name(enum ledger_reason r)
{
    return (unsigned)r < 4 ? ledger_reasons[r] : NULL;
}

static int ledger_state_parse(enum ledger_state *out, const char *t)
{
    unsigned i;

    for (i = 1; i < 5; i++)
        if (t != NULL && strcmp(t, ledger_states[i]) == 0) {
            *out = (enum ledger_state)i;
            return 0;
        }
    return -1;
}

static enum ledger_reason ledger_reason_parse(const char *t)
{
    unsigned i;

    for (i = 1; i < 4; i++)
        if (t != NULL && strcmp(t, ledger_reasons[i]) == 0)
            return (enum ledger_reason)i;
    return LEDGER_REASON_NONE;
}

/* Decimal text (0|[1-9][0-9]*) below 2^128. Returns 0, or -1. */
static int ledger_u128_parse(ledger_u128 *out, const char *t)
{
    ledger_u128 v = 0, lim = ~(ledger_u128)0 / 10;
    size_t i, n = t != NULL ? strlen(t) : 0;

    *out = 0;
    if (n == 0 || (n > 1 && t[0] == '0'))
        return -1;
    for (i = 0; i < n; i++) {
        unsigned d = (unsigned)(t[i] - '0');
        if (d > 9 || v > lim || (v == lim && d > 5))
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static void ledger_u128_format(char out[LEDGER_AMOUNT_SIZE], ledger_u128 v)
{
    char tmp[LEDGER_AMOUNT_SIZE];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + (unsigned)(v % 10));
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/*
 * The statements of one public call, prepared on first use and reused for
 * every payment it handles (a catch-up step credits thousands at once),
 * finalized when the call ends. Also the unit of the last data-set whose
 * plan was read, since a step's payments mostly share one.
 */
enum ledger_sql {
    SQL_UNIT,
    SQL_BALANCE_GET,
    SQL_BALANCE_PUT,
    SQL_ENTRY,
    SQL_MARK_CREDITED,
    SQL_MARK_REVERSED,
    SQL_OBSERVE_UPDATE,
    SQL_OBSERVE_MATCH,
    SQL_OBSERVE_INSERT,
    SQL_COUNT
};

static const char *const ledger_sql_text[SQL_COUNT] = {
    [SQL_UNIT] = "SELECT price FROM datasets WHERE id = ?1",
    [SQL_BALANCE_GET] = "SELECT units, owed_units, remainder_wei FROM "
                        "balances WHERE worker = ?1 AND dataset_id = ?2",
    [SQL_BALANCE_PUT] = "INSERT INTO balances (worker, dataset_id, units, "
                        "owed_units, remainder_wei) VALUES (?1, ?2, ?3, ?4, "
                        "?5) ON CONFLICT (worker, dataset_id) DO UPDATE SET "
                        "units = ?3, owed_units = ?4, remainder_wei = ?5",
    [SQL_ENTRY] = "INSERT INTO ledger_entries (at, worker, dataset_id, kind, "
                  "units, chain_id, tx_hash, ordinal) VALUES (?1, ?2, ?3, "
                  "?4, ?5, ?6, ?7, ?8)",
    [SQL_MARK_CREDITED] = "UPDATE payments SET state = 'credited', units = "
                          "?4, unit_wei = ?5, credited_at = ?6 WHERE "
                          "chain_id = ?1 AND tx_hash = ?2 AND ordinal = ?3",
    [SQL_MARK_REVERSED] = "UPDATE payments SET state = 'reversed', reason = "
                          "'reorged', units = NULL, unit_wei = NULL, "
                          "credited_at = NULL WHERE chain_id = ?1 AND "
                          "tx_hash = ?2 AND ordinal = ?3",
    /* Already known: a reorg may have moved it; a reversed payment that is
     * back on the chain is owed its credit again. */
    [SQL_OBSERVE_UPDATE] =
        "UPDATE payments SET log_index = ?4, block_number = ?5, "
        "block_hash = ?6, state = CASE state WHEN 'reversed' THEN "
        "'confirming' ELSE state END, reason = CASE state WHEN 'reversed' "
        "THEN NULL ELSE reason END WHERE chain_id = ?1 AND tx_hash = ?2 AND "
        "ordinal = ?3 RETURNING state",
    [SQL_OBSERVE_MATCH] = "SELECT owner FROM datasets WHERE id = ?1 AND "
                          "state = 'published' AND price IS NOT NULL",
    [SQL_OBSERVE_INSERT] =
        "INSERT INTO payments (chain_id, tx_hash, ordinal, log_index, "
        "block_number, block_hash, dataset_id, worker, payer, owner, "
        "amount_wei, ref, state, reason, first_seen_at) VALUES (?1, ?2, ?3, "
        "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
};

struct ledger_ctx {
    sqlite3 *db;
    sqlite3_stmt *st[SQL_COUNT];
    int has_unit;
    uint8_t unit_ds[32];
    ledger_u128 unit;
    char unit_text[LEDGER_AMOUNT_SIZE];
};

static void ledger_ctx_init(struct ledger_ctx *x, sqlite3 *db)
{
    memset(x, 0, sizeof *x);
    x->db = db;
}

static void ledger_ctx_end(struct ledger_ctx *x)
{
    unsigned i;

    for (i = 0; i < SQL_COUNT; i++)
        db_release(x->st[i]);
}

/* Statement q of x, reset and unbound, ready to bind. */
static sqlite3_stmt *ledger_sql(struct ledger_ctx *x, enum ledger_sql q,
                                struct fault *f)
{
    if (x->st[q] == NULL) {
        if (db_prepare(x->db, &x->st[q], ledger_sql_text[q], f) < 0)
            return NULL;
    } else {
        sqlite3_reset(x->st[q]);
        sqlite3_clear_bindings(x->st[q]);
    }
    return x->st[q];
}

/* Whether the payment matches a data-set published here. Returns 0 with
 * *reason set (NONE when it matches), or -1. */
static int ledger_match(struct ledger_ctx *x, const struct ledger_payment *p,
                        enum ledger_reason *reason, struct fault *f)
{
    sqlite3_stmt *st;
    struct ethaddr owner;
    struct fault ignored;
    const char *text;
    int rc;

    *reason = LEDGER_UNKNOWN_DATASET;
    if ((st = ledger_sql(x, SQL_OBSERVE_MATCH, f)) == NULL)
        return -1;
    sqlite3_bind_blob(st, 1, p->dataset_id, 32, SQLITE_STATIC);
    rc = db_step(x->db, st, "find the data-set of a payment", f);
    if (rc == 1) {
        text = (const char *)sqlite3_column_text(st, 0);
        *reason = LEDGER_OWNER_MISMATCH;
        if (text != NULL &&
            ethaddr_parse(&owner, text, strlen(text), "owner", &ignored) ==
                0 &&
            ethaddr_equal(&owner, &p->owner))
            *reason = LEDGER_REASON_NONE;
    }
    sqlite3_reset(st);
    return rc < 0 ? -1 : 0;
}

static int ledger_observe_one(struct ledger_ctx *x,
                              const struct ledger_payment *p, int64_t now,
                              enum ledger_state *state_out, struct fault *f)
{
    sqlite3_stmt *st;
    enum ledger_reason reason;
    enum ledger_state state = LEDGER_CONFIRMING;
    ledger_u128 amount;
    int rc;

    *state_out = LEDGER_SEEN;
    if (ledger_u128_parse(&amount, p->amount_wei) < 0)
        return fault_set(f, FAULT_INVALID, "amount_wei",
                         "the amount is not decimal wei below 2^128");
    if ((st = ledger_sql(x, SQL_OBSERVE_UPDATE, f)) == NULL)
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
    if (rc < 0)
        return -1;
    if (rc == 1) {
        *state_out = state;
        return 0;
    }
    if (ledger_match(x, p, &reason, f) < 0)
        return -1;
    state = reason == LEDGER_REASON_NONE ? LEDGER_CONFIRMING
                                         : LEDGER_UNMATCHED;
    if ((st = ledger_sql(x, SQL_OBSERVE_INSERT, f)) == NULL)
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
    *state_out = state;
    return 0;
}

int ledger_observe(sqlite3 *db, const struct ledger_payment *p, int64_t now,
                   enum ledger_state *state_out, struct fault *f)
{
    struct ledger_ctx x;
    enum ledger_state st;
    int rv;

    ledger_ctx_init(&x, db);
    rv = ledger_observe_one(&x, p, now, &st, f);
    ledger_ctx_end(&x);
    if (state_out != NULL)
        *state_out = rv == 0 ? st : LEDGER_SEEN;
    return rv;
}

int ledger_observe_all(sqlite3 *db, const struct ledger_payment *p, size_t n,
                       int64_t now, struct fault *f)
{
    struct ledger_ctx x;
    enum ledger_state st;
    size_t i;
    int rv = 0;

    ledger_ctx_init(&x, db);
    for (i = 0; i < n && rv == 0; i++)
        rv = ledger_observe_one(&x, &p[i], now, &st, f);
    ledger_ctx_end(&x);
    return rv;
}

/* The unit (wei per ledger unit) of a data-set's plan. */
static int ledger_unit_wei(struct ledger_ctx *x, const uint8_t dataset_id[32],
                           ledger_u128 *unit, char text[LEDGER_AMOUNT_SIZE],
                           struct fault *f)
{
    sqlite3_stmt *st;
    json_t *j = NULL;
    struct plan plan;
    const char *price;
    int rc, rv = -1;

    if (x->has_unit && memcmp(x->unit_ds, dataset_id, 32) == 0) {
        *unit = x->unit;
        memcpy(text, x->unit_text, LEDGER_AMOUNT_SIZE);
        return 0;
    }
    if ((st = ledger_sql(x, SQL_UNIT, f)) == NULL)
        return -1;
    sqlite3_bind_blob(st, 1, dataset_id, 32, SQLITE_STATIC);
    rc = db_step(x->db, st, "read a data-set's plan", f);
    if (rc < 0)
        goto done;
    price = rc == 1 ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (price == NULL) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "a matched payment's data-set has no plan");
        goto done;
    }
    j = json_loads(price, 0, NULL);
    if (j == NULL || plan_from_json(&plan, j, "price", f) < 0 ||
        ledger_u128_parse(unit, plan.unit_wei) < 0 || *unit == 0) {
        fault_set(f, FAULT_CORRUPT, NULL, "a data-set's stored plan is bad");
        goto done;
    }
    snprintf(text, LEDGER_AMOUNT_SIZE, "%s", plan.unit_wei);
    x->has_unit = 1;
    memcpy(x->unit_ds, dataset_id, 32);
    x->unit = *unit;
    memcpy(x->unit_text, text, LEDGER_AMOUNT_SIZE);
    rv = 0;
done:
    json_decref(j);
    if (st != NULL)
        sqlite3_reset(st);
    return rv;
}

/* The balance row of a pair: zeros when it has none yet. */
static int ledger_balance_get(struct ledger_ctx *x, const uint8_t worker[20],
                              const uint8_t dataset_id[32], uint64_t *units,
                              uint64_t *owed, ledger_u128 *rem,
                              struct fault *f)
{
    sqlite3_stmt *st;
    int rc, rv = -1;

    *units = *owed = 0;
    *rem = 0;
    if ((st = ledger_sql(x, SQL_BALANCE_GET, f)) == NULL)
        return -1;
    sqlite3_bind_blob(st, 1, worker, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, dataset_id, 32, SQLITE_STATIC);
    rc = db_step(x->db, st, "read a balance", f);
    if (rc < 0)
        goto done;
    if (rc == 1) {
        *units = (uint64_t)sqlite3_column_int64(st, 0);
        *owed = (uint64_t)sqlite3_column_int64(st, 1);
        if (ledger_u128_parse(rem, (const char *)sqlite3_column_text(st, 2)) <
            0) {
            fault_set(f, FAULT_CORRUPT, NULL, "a balance's remainder is bad");
            goto done;
        }
    }
    rv = 0;
done:
    sqlite3_reset(st);
    return rv;
}

static int ledger_balance_put(struct ledger_ctx *x, const uint8_t worker[20],
                              const uint8_t dataset_id[32], uint64_t units,
                              uint64_t owed, ledger_u128 rem, struct fault *f)
{
    sqlite3_stmt *st;
    char text[LEDGER_AMOUNT_SIZE];

    ledger_u128_format(text, rem);
    if ((st = ledger_sql(x, SQL_BALANCE_PUT, f)) == NULL)
        return -1;
    sqlite3_bind_blob(st, 1, worker, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, dataset_id, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)units);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)owed);
    sqlite3_bind_text(st, 5, text, -1, SQLITE_TRANSIENT);
    return db_step(x->db, st, "write a balance", f) < 0 ? -1 : 0;
}

static int ledger_entry(struct ledger_ctx *x, const uint8_t worker[20],
                        const uint8_t dataset_id[32], const char *kind,
                        uint64_t units, uint64_t chain_id,
                        const uint8_t tx[32], int64_t ordinal, int64_t now,
                        struct fault *f)
{
    sqlite3_stmt *st;

    if ((st = ledger_sql(x, SQL_ENTRY, f)) == NULL)
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
struct ledger_pick {
    uint8_t tx[32];
    int64_t ordinal;
    uint8_t worker[20];
    uint8_t dataset_id[32];
    char amount[LEDGER_AMOUNT_SIZE];
    uint64_t units;                  /* reversal: what the credit added */
    char unit[LEDGER_AMOUNT_SIZE];   /* reversal: the unit it used */
};

/* Read up to cap payments of chain_id in state `state` with a block
 * beyond/up to `block` (see sql) into out. */
static int ledger_pick(sqlite3 *db, const char *sql, uint64_t chain_id,
                       int64_t block, struct ledger_pick *out, size_t cap,
                       size_t *n, struct fault *f)
{
    sqlite3_stmt *st = NULL;
    struct ledger_pick *p;
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

/* Credit one payment: amount into (units, remainder) of its pair. */
static int ledger_credit_one(struct ledger_ctx *x, uint64_t chain_id,
                             const struct ledger_pick *p, int64_t now,
                             struct fault *f)
{
    sqlite3_stmt *st;
    char unit_text[LEDGER_AMOUNT_SIZE];
    ledger_u128 amount, unit, rem, q, r, room;
    uint64_t units, owed, add;

    if (ledger_u128_parse(&amount, p->amount) < 0)
        return fault_set(f, FAULT_CORRUPT, NULL, "a payment's amount is bad");
    if (ledger_unit_wei(x, p->dataset_id, &unit, unit_text, f) < 0 ||
        ledger_balance_get(x, p->worker, p->dataset_id, &units, &owed, &rem,
                           f) < 0)
        return -1;
    /* Divided apart: amount + remainder could carry past 2^128. */
    q = amount / unit + rem / unit;
    r = amount % unit + rem % unit;
    q += r / unit;
    r %= unit;
    /* A balance holds at most 2^63 - 1 units; what does not fit stays in
     * the remainder, in wei, so that nothing paid is lost. */
    room = LEDGER_UNITS_MAX - units;
    if (q > room) {
        r += (q - room) * unit;
        q = room;
    }
    add = (uint64_t)q;
    if (ledger_balance_put(x, p->worker, p->dataset_id, units + add, owed, r,
                           f) < 0 ||
        ledger_entry(x, p->worker, p->dataset_id, "credit", add, chain_id,
                     p->tx, p->ordinal, now, f) < 0)
        return -1;
    if ((st = ledger_sql(x, SQL_MARK_CREDITED, f)) == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(st, 2, p->tx, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->ordinal);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)add);
    sqlite3_bind_text(st, 5, unit_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, now);
    return db_step(x->db, st, "mark a payment credited", f) < 0 ? -1 : 0;
}

/* Payments are picked in batches of this many. */
#define LEDGER_PICK 256

typedef int (*ledger_apply_fn)(struct ledger_ctx *x, uint64_t chain_id,
                               const struct ledger_pick *p, int64_t now,
                               struct fault *f);

/* Apply fn to every payment that sql picks (in its order, LEDGER_PICK at a
 * time, until a batch comes back short: fn must take each one out of what
 * sql picks). *count is how many. Returns 0, or -1 with f set. */
static int ledger_each(sqlite3 *db, const char *sql, uint64_t chain_id,
                       int64_t block, ledger_apply_fn fn, int64_t now,
                       uint64_t *count, struct fault *f)
{
    struct ledger_ctx x;
    struct ledger_pick *v;
    uint64_t total = 0;
    size_t n, i;
    int rv = -1;

    if (count != NULL)
        *count = 0;
    v = calloc(LEDGER_PICK, sizeof *v);
    if (v == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    ledger_ctx_init(&x, db);
    do {
        if (ledger_pick(db, sql, chain_id, block, v, LEDGER_PICK, &n, f) < 0)
            goto done;
        for (i = 0; i < n; i++)
            if (fn(&x, chain_id, &v[i], now, f) < 0)
                goto done;
        total += n;
    } while (n == LEDGER_PICK);
    if (count != NULL)
        *count = total;
    rv = 0;
done:
    ledger_ctx_end(&x);
    free(v);
    return rv;
}

int ledger_credit_upto(sqlite3 *db, uint64_t chain_id, uint64_t max_block,
                       int64_t now, uint64_t *credited, struct fault *f)
{
    if (max_block > (uint64_t)INT64_MAX)
        max_block = (uint64_t)INT64_MAX;
    /* Oldest first: each credit changes the balance (and remainder) the
     * next one of its pair starts from. */
    return ledger_each(db,
                       "SELECT tx_hash, ordinal, worker, dataset_id, "
                       "amount_wei, 0, NULL FROM payments WHERE state = "
                       "'confirming' AND chain_id = ?1 AND block_number <= "
                       "?2 ORDER BY block_number, log_index LIMIT ?3",
                       chain_id, (int64_t)max_block, ledger_credit_one, now,
                       credited, f);
}

/* Take back one credit: the units it added, and the part of the amount
 * that went to the remainder (which may borrow or carry one unit). */
static int ledger_reverse_one(struct ledger_ctx *x, uint64_t chain_id,
                              const struct ledger_pick *p, int64_t now,
                              struct fault *f)
{
    sqlite3_stmt *st;
    ledger_u128 amount, unit, rem, part;
    uint64_t units, owed, take = p->units;

    if (ledger_u128_parse(&amount, p->amount) < 0 ||
        ledger_u128_parse(&unit, p->unit) < 0 || unit == 0)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a credited payment's amount or unit is bad");
    if (ledger_balance_get(x, p->worker, p->dataset_id, &units, &owed, &rem,
                           f) < 0)
        return -1;
    /* The credit turned (remainder r, amount) into p->units units and a
     * new remainder: amount = units * unit + (new r - r). Undo the
     * remainder's share, borrowing or carrying a unit as needed. */
    part = (ledger_u128)p->units * unit;
    if (amount >= part) {
        ledger_u128 d = amount - part; /* < unit: taken from the remainder */
        if (rem >= d) {
            rem -= d;
        } else {
            rem = rem + unit - d;
            take++;
        }
    } else {
        ledger_u128 d = part - amount; /* < unit: given back to it */
        rem += d;
        if (rem >= unit) {
            rem -= unit;
            take--;
        }
    }
    if (units >= take) {
        units -= take;
    } else {
        owed += take - units;
        units = 0;
    }
    if (ledger_balance_put(x, p->worker, p->dataset_id, units, owed, rem, f) <
            0 ||
        ledger_entry(x, p->worker, p->dataset_id, "reversal", p->units,
                     chain_id, p->tx, p->ordinal, now, f) < 0)
        return -1;
    if ((st = ledger_sql(x, SQL_MARK_REVERSED, f)) == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(st, 2, p->tx, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->ordinal);
    return db_step(x->db, st, "mark a payment reversed", f) < 0 ? -1 : 0;
}

int ledger_drop_after(sqlite3 *db, uint64_t chain_id, int64_t block,
                      int64_t now, uint64_t *reversed, struct fault *f)
{
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
    return ledger_each(db,
                       "SELECT tx_hash, ordinal, worker, dataset_id, "
                       "amount_wei, units, unit_wei FROM payments WHERE "
                       "state = 'credited' AND chain_id = ?1 AND "
                       "block_number > ?2 ORDER BY block_number DESC, "
                       "log_index DESC LIMIT ?3",
                       chain_id, block, ledger_reverse_one, now, reversed, f);
}

int ledger_payments_of_tx(sqlite3 *db, uint64_t chain_id,
                          const uint8_t tx[32], struct ledger_payment *out,
                          size_t cap, size_t *n, struct fault *f)
{
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
        memset(p, 0, sizeof *p);
        if (sqlite3_column_bytes(st, 3) != 32 ||
            sqlite3_column_bytes(st, 4) != 32 ||
            sqlite3_column_bytes(st, 5) != 20 ||
            sqlite3_column_bytes(st, 6) != 20 ||
            sqlite3_column_bytes(st, 7) != 20 ||
            sqlite3_column_bytes(st, 8) >= LEDGER_AMOUNT_SIZE ||
            sqlite3_column_bytes(st, 9) != 32 ||
            ledger_state_parse(&p->state,
                               (const char *)sqlite3_column_text(st, 10)) <
                0) {
            fault_set(f, FAULT_CORRUPT, NULL, "a stored payment is bad");
            goto done;
        }
        p->chain_id = chain_id;
        memcpy(p->tx_hash, tx, 32);
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
        p->reason =
            ledger_reason_parse((const char *)sqlite3_column_text(st, 11));
        p->has_units = sqlite3_column_type(st, 12) != SQLITE_NULL;
        p->units = p->has_units ? (uint64_t)sqlite3_column_int64(st, 12) : 0;
        (*n)++;
    }
    rv = 0;
done:
    db_release(st);
    if (rv < 0)
        *n = 0;
    return rv;
}

int ledger_balance(sqlite3 *db, const struct ethaddr *worker,
                   const uint8_t dataset_id[32], uint64_t *units,
                   uint64_t *owed_units, struct fault *f)
{
    struct ledger_ctx x;
    ledger_u128 rem;
    int rv;

    ledger_ctx_init(&x, db);
    rv = ledger_balance_get(&x, worker->bytes, dataset_id, units, owed_units,
                            &rem, f);
    ledger_ctx_end(&x);
    return rv;
}
