/*
 * ledger: the money side of the database (DESIGN.md 4 and 5), behind one
 * interface that more than one backend implements (libevent's eventop
 * habit): SQLite in the data dir (ledger_sqlite.h) now, PostgreSQL shared
 * by several gateways next. Callers hold an opaque `struct ledger *` and
 * never see which backend runs.
 *
 * What it keeps:
 *   - payments seen on chain, and the balances they credit (and, under a
 *     pass plan, the pass time they buy);
 *   - the memory of signed requests (nonces) with the answers they got;
 *   - the chain follower's checkpoint and chain identity;
 *   - releases: a paid query's debit and its entry in the hash-chained
 *     audit log (pricing/audit.h), one step, and the usage and earnings
 *     they add up to.
 * A request's nonce record and its effect are one unit of work
 * (ledger_begin .. ledger_commit) on any backend; group commit runs
 * several requests in one unit, each in a savepoint of its own.
 *
 * What it reads of the catalogue, and how: a payment is matched against
 * its data-set's state (published), owner and plan (unit_wei), read through
 * storage's catalogue API (catalog_terms), never its tables; a backend
 * shares the catalogue's unit of work (the SQLite one its connection), so
 * that what it reads and what it writes stay consistent.
 *
 * A payment is one Purchased log, unique on (chain id, transaction hash,
 * ordinal of the log among the contract's Purchased logs in that
 * transaction). Its block number, block hash and log index are attributes
 * that a reorg may change. Its life:
 *
 *   observed -> confirming -> credited          (its block became deep)
 *            -> unmatched                       (unknown data-set, or the
 *                                                owner differs: never
 *                                                credited)
 *   confirming/unmatched, block reorged away -> forgotten (the follower
 *                                                sees it again if the
 *                                                transaction comes back)
 *   credited, block reorged away -> reversed    (a finality violation: the
 *                                                units are taken back; what
 *                                                was already spent becomes
 *                                                owed_units)
 *   reversed, seen again -> confirming -> credited, so that a payment is
 *                                                credited once in the end
 *
 * A credit of amount wei adds floor((amount + carry) / unit_wei) units to
 * the (worker, data-set) balance, unit_wei being the data-set's plan's,
 * and keeps the rest as that pair's carry for its next payment
 * (ledger_credit_split, the rule every backend applies). Units owed after
 * a reversal are repaid first. A credit that would take the balance or
 * its total past LEDGER_UNITS_MAX, or its pass past INT64_MAX seconds, is
 * not made: the payment is unmatched, reason "overflow". Under a pass
 * plan, each whole `price` of units in the balance then adds `duration_s`
 * to max(now, expiry) and counts as spent (ledger_pass_extend). For every
 * pair, always:
 *     units - owed_units = credited_total - spent_total.
 *
 * Every operation but the unit-of-work ones works inside the caller's
 * unit of work and never begins or commits one. On failure the caller
 * rolls back: outputs are then cleared or meaningless, as each says.
 */
#ifndef SLUICE_PRICING_LEDGER_H
#define SLUICE_PRICING_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ethaddr.h"
#include "lib/fault.h"

struct ledger;

/* Decimal text of an amount in wei: at most 2^128 - 1 (39 digits). */
#define LEDGER_AMOUNT_SIZE 40

/* The most units a balance, a cost or a plan field holds (DESIGN.md 4). */
#define LEDGER_UNITS_MAX ((uint64_t)INT64_MAX)

enum ledger_state {
    LEDGER_SEEN = 0,   /* not stored: in a receipt the follower has not reached */
    LEDGER_CONFIRMING,
    LEDGER_CREDITED,
    LEDGER_UNMATCHED,
    LEDGER_REVERSED
};

enum ledger_reason {
    LEDGER_REASON_NONE = 0,
    LEDGER_UNKNOWN_DATASET,
    LEDGER_OWNER_MISMATCH,
    LEDGER_REORGED,
    LEDGER_OVERFLOW
};

struct ledger_payment {
    uint64_t chain_id;
    uint8_t tx_hash[32];
    uint32_t ordinal;
    uint64_t log_index;
    uint64_t block_number;
    uint8_t block_hash[32];
    uint8_t dataset_id[32];
    struct ethaddr worker;
    struct ethaddr payer;
    struct ethaddr owner;
    char amount_wei[LEDGER_AMOUNT_SIZE];
    uint8_t ref[32];
    enum ledger_state state;
    enum ledger_reason reason;
    int has_units;  /* units is set (state credited) */
    uint64_t units;
};

/* The JSON names: "seen", "confirming", ...; "unknown_dataset", ...; NULL
 * for LEDGER_REASON_NONE or a value out of range. */
const char *ledger_state_name(enum ledger_state s);
const char *ledger_reason_name(enum ledger_reason r);

/* Parse a state name back; returns 0, or -1 for an unknown one. */
int ledger_state_parse(enum ledger_state *out, const char *name);

/* Parse a reason name back; NULL and unknown names are
 * LEDGER_REASON_NONE. */
enum ledger_reason ledger_reason_parse(const char *name);

/* ---- the rules, shared by every backend ---- */

/* Split a credit of amount wei, with the pair's carry (wei, below one
 * unit) and unit wei per unit, into *add units and the *carry_after left,
 * given that the balance holds units already. amount, carry and unit are
 * decimal text below 2^128, unit above 0 and carry below it. Returns 0;
 * 1 when units + the credit would pass LEDGER_UNITS_MAX (then *add = 0 and
 * carry_after is carry: the credit is not to be made); -1 with f set
 * (FAULT_CORRUPT) for text that is not such an amount. */
int ledger_credit_split(uint64_t *add, char carry_after[LEDGER_AMOUNT_SIZE],
                        const char *amount, const char *carry,
                        const char *unit, uint64_t units, struct fault *f)
    __attribute__((warn_unused_result));

/* Undo a credit that added `added` units of `unit` from amount: given the
 * pair's balance (units, owed) and carry now, put what they become in
 * *units_after, *owed_after and carry_after (a unit may be borrowed from
 * or carried into the balance; what the balance no longer holds becomes
 * owed). Returns 0, or -1 with f set (FAULT_CORRUPT) for bad text. */
int ledger_reverse_split(uint64_t *units_after, uint64_t *owed_after,
                         char carry_after[LEDGER_AMOUNT_SIZE],
                         const char *amount, const char *unit,
                         uint64_t added, uint64_t units, uint64_t owed,
                         const char *carry, struct fault *f)
    __attribute__((warn_unused_result));

/* Turn whole prices of units into pass time: with units in the balance, a
 * pass of `price` units per `duration_s`, and the expiry so far (0: none),
 * put in *used the units that buy time (a multiple of price, at most
 * units) and in *expires_after max(now, expires) + (used / price) *
 * duration_s (unchanged when used is 0). Returns 0; -1 with f set
 * (FAULT_CORRUPT) for a price or duration of 0, or an expiry past
 * INT64_MAX (then nothing is used). */
int ledger_pass_extend(uint64_t *used, int64_t *expires_after,
                       uint64_t units, uint64_t price, uint64_t duration_s,
                       int64_t expires, int64_t now, struct fault *f)
    __attribute__((warn_unused_result));

/* ---- units of work ---- */

/* Begin a unit of work. Returns 0, or -1 with f set. */
int ledger_begin(struct ledger *l, struct fault *f)
    __attribute__((warn_unused_result));

/* Make the unit of work durable (synchronous: it is on disk, or committed
 * by the server, when this returns 0). Returns 0; -1 with f set, and then
 * nothing of it was kept. */
int ledger_commit(struct ledger *l, struct fault *f)
    __attribute__((warn_unused_result));

/* Undo the unit of work. Never fails from the caller's point of view. */
void ledger_rollback(struct ledger *l);

/* Open, release (keep), or roll back to and keep open, the savepoint of
 * one request inside a unit of work (group commit: one savepoint at a
 * time). Return 0, or -1 with f set. */
int ledger_savepoint(struct ledger *l, struct fault *f)
    __attribute__((warn_unused_result));
int ledger_savepoint_release(struct ledger *l, struct fault *f)
    __attribute__((warn_unused_result));
int ledger_savepoint_undo(struct ledger *l, struct fault *f)
    __attribute__((warn_unused_result));

/* Return 1 while a unit of work is open, 0 when none is (a backend may
 * end one by itself after some errors, a full disk for one: then what it
 * held is lost, and a savepoint must not open a unit of its own). */
int ledger_in_unit(struct ledger *l);

/* Check that the store answers (for /healthz). Returns 0, or -1 with f
 * set. */
int ledger_ping(struct ledger *l, struct fault *f)
    __attribute__((warn_unused_result));

/* Close l. l may be NULL. */
void ledger_close(struct ledger *l);

/* ---- nonces: the memory of signed requests (DESIGN.md 3.1) ---- */

#define LEDGER_ADDRESS_SIZE 43
#define LEDGER_NONCE_SIZE 65

/* Each (address, nonce) that a verified signed request used is kept with
 * what was asked (method, target, body hash) and the answer it got
 * (status, body, and the headers Content-Type, Location and Retry-After),
 * so that a retry gets the same answer and no second effect. */
struct ledger_nonce {
    char address[LEDGER_ADDRESS_SIZE]; /* EIP-55 */
    char nonce[LEDGER_NONCE_SIZE];
    int64_t created_at;
    char method[8];
    char *target;       /* owned */
    uint8_t body_sha256[32];
    int status;
    char content_type[64];
    char *location;     /* owned; NULL when none */
    uint8_t *response;  /* owned */
    size_t response_len;
    int retry_after;    /* its Retry-After in seconds; 0: none */
};

/* Free what r owns and zero it. r may be NULL. */
void ledger_nonce_clear(struct ledger_nonce *r);

/* Look up (address, nonce). Returns 0 with *found set and, when found,
 * *out filled (free with ledger_nonce_clear); -1 with f set (*found = 0,
 * *out zeroed). */
int ledger_nonce_lookup(struct ledger *l, struct ledger_nonce *out,
                        int *found, const char *address, const char *nonce,
                        struct fault *f) __attribute__((warn_unused_result));

/* Record r (target, location and response are copied). Returns 0, or -1
 * with f set (FAULT_CONFLICT when the pair is there already). */
int ledger_nonce_insert(struct ledger *l, const struct ledger_nonce *r,
                        struct fault *f) __attribute__((warn_unused_result));

/* Forget the records created before cutoff (unix seconds). Returns the
 * number forgotten, or -1 with f set. */
long ledger_nonce_expire(struct ledger *l, int64_t cutoff, struct fault *f);

/* ---- payments and balances ---- */

/* Record that the follower processed payments p[0..n) (chain_id to
 * amount_wei and ref set; state, reason and units ignored) in blocks now
 * on the canonical chain, in order. A new payment is stored as
 * confirming, or as unmatched when its data-set is not published here or
 * its owner is not the data-set's. An existing one gets its block number,
 * block hash and log index; a reversed one becomes confirming again; a
 * confirming, credited or unmatched one keeps its state. Returns 0, or -1
 * with f set at the first failure (FAULT_INVALID for an amount that is not
 * decimal text below 2^128). */
int ledger_observe(struct ledger *l, const struct ledger_payment *p,
                   size_t n, int64_t now, struct fault *f)
    __attribute__((warn_unused_result));

/* Credit every confirming payment of chain_id whose block is at most
 * max_block, oldest first. *credited (may be NULL) is how many were.
 * Returns 0, or -1 with f set. */
int ledger_credit_upto(struct ledger *l, uint64_t chain_id,
                       uint64_t max_block, int64_t now, uint64_t *credited,
                       struct fault *f) __attribute__((warn_unused_result));

/* The blocks after block (-1: all) left the chain: forget the confirming
 * and unmatched payments of chain_id in them, and reverse the credited ones
 * newest first (state reversed, reason reorged, ledger_reverse_split).
 * *reversed (may be NULL) is how many were reversed. Returns 0, or -1
 * with f set. */
int ledger_drop_after(struct ledger *l, uint64_t chain_id, int64_t block,
                      int64_t now, uint64_t *reversed, struct fault *f)
    __attribute__((warn_unused_result));

/* The payments of transaction tx on chain_id, by ordinal, into
 * out[0..cap). Returns 0 with *n the number found (at most cap); on
 * failure -1 with *n = 0 and f set. */
int ledger_payments_of_tx(struct ledger *l, uint64_t chain_id,
                          const uint8_t tx[32], struct ledger_payment *out,
                          size_t cap, size_t *n, struct fault *f)
    __attribute__((warn_unused_result));

/* The balance of (worker, dataset_id): units and owed_units, both 0 when
 * the pair has none. Returns 0; -1 with both 0 and f set. */
int ledger_balance(struct ledger *l, const struct ethaddr *worker,
                   const uint8_t dataset_id[32], uint64_t *units,
                   uint64_t *owed_units, struct fault *f)
    __attribute__((warn_unused_result));

/* ---- the chain follower's checkpoint ---- */

struct ledger_block {
    uint64_t number;
    uint8_t hash[32];
    uint8_t parent_hash[32];
};

struct ledger_chain {
    uint64_t chain_id;
    uint8_t contract[20];
    int64_t tip;                 /* -1: nothing processed yet */
    int64_t last_credited_block; /* -1: none */
    uint64_t finality_violations;
};

/* Bind the store to chain_id and contract on first use (tip = start - 1,
 * so the follower begins at block start); afterwards check that they
 * match (DESIGN.md 5: a later start against another chain is refused).
 * Returns 0 with *out the stored state; on failure -1 with *out zeroed and
 * f set: FAULT_CONFLICT naming "chain_id" or "contract" when the store
 * follows another chain or contract. */
int ledger_chain_open(struct ledger *l, struct ledger_chain *out,
                      uint64_t chain_id, const uint8_t contract[20],
                      uint64_t start, struct fault *f)
    __attribute__((warn_unused_result));

/* Read the stored state. Returns 1 with *out set, 0 when the store has
 * never followed a chain (*out zeroed), -1 with f set. */
int ledger_chain_read(struct ledger *l, struct ledger_chain *out,
                      struct fault *f) __attribute__((warn_unused_result));

/* The stored blocks with number > after, ascending, into out[0..cap).
 * Returns 0 with *n set; on failure -1 with *n = 0 and f set. */
int ledger_chain_blocks(struct ledger *l, int64_t after,
                        struct ledger_block *out, size_t cap, size_t *n,
                        struct fault *f) __attribute__((warn_unused_result));

/* Store blocks b[0..n) (replacing any at the same numbers). Returns 0,
 * or -1 with f set. */
int ledger_chain_put_blocks(struct ledger *l, const struct ledger_block *b,
                            size_t n, struct fault *f)
    __attribute__((warn_unused_result));

/* Forget the stored blocks above number `above` (they left the chain) and
 * below keep_from (old enough not to matter). Returns 0, or -1. */
int ledger_chain_trim(struct ledger *l, int64_t above, int64_t keep_from,
                      struct fault *f) __attribute__((warn_unused_result));

/* Set tip and last credited block; add violations to the count. Returns
 * 0, or -1 with f set. */
int ledger_chain_advance(struct ledger *l, int64_t tip,
                         int64_t last_credited, uint64_t violations,
                         struct fault *f) __attribute__((warn_unused_result));

/* ---- what a worker holds, and releases ---- */

/* What (worker, data-set) holds. */
struct ledger_account {
    uint8_t dataset_id[32];
    uint64_t units;          /* spendable */
    uint64_t owed_units;     /* taken back by a reversal, not yet repaid */
    int has_pass;            /* a pass was ever bought */
    int64_t pass_expires;    /* unix seconds, when has_pass */
    uint64_t credited_total; /* every unit credited, net of reversals */
    uint64_t spent_total;    /* queries, and units turned into pass time */
};

/* Read (worker, dataset_id)'s account into *out (zeros, dataset_id set,
 * when it has none). Returns 0; -1 with *out zeroed and f set. */
int ledger_account(struct ledger *l, const struct ethaddr *worker,
                   const uint8_t dataset_id[32], struct ledger_account *out,
                   struct fault *f) __attribute__((warn_unused_result));

/* Call fn for each account of worker, by data-set id; fn returns 0 to go
 * on, -1 (f set) to stop. Returns 0, or -1 with f set. */
int ledger_each_account(struct ledger *l, const struct ethaddr *worker,
                        int (*fn)(void *arg, const struct ledger_account *a,
                                  struct fault *f),
                        void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* The units that worker's payments still confirming for dataset_id will
 * credit (floor(amount / unit_wei) each, unit_wei decimal text), into
 * *units (capped at LEDGER_UNITS_MAX). Returns 0; -1 with *units = 0 and
 * f set. */
int ledger_pending_units(struct ledger *l, const struct ethaddr *worker,
                         const uint8_t dataset_id[32], const char *unit_wei,
                         uint64_t *units, struct fault *f)
    __attribute__((warn_unused_result));

/* A release: a paid query's debit and its audit entry (DESIGN.md 3.10). */
struct ledger_release {
    /* In. */
    uint8_t dataset_id[32];
    struct ethaddr worker;
    struct ethaddr owner;     /* the data-set's, for its earnings */
    struct ethaddr gateway;   /* the account that signs receipts */
    uint8_t query_id[16];
    const uint64_t *chunks;   /* ascending */
    size_t nchunks;
    uint64_t rows;            /* of the chunks, for usage */
    uint64_t plain_bytes;
    uint64_t cost;            /* units; 0 under a running pass */
    int pass;                 /* needs a running pass instead of units */
    int64_t now;
    /* Out, on success. */
    uint64_t index;           /* of the audit entry */
    uint8_t hash[32];
    char *text;               /* the entry's text (malloc'd; the caller
                                 frees it) */
    size_t text_len;
    uint64_t balance_after;
    uint64_t credited_total;
    uint64_t spent_total;
};

/* Release r inside the caller's unit of work: take r->cost from the
 * account (it must owe nothing and hold the cost; under a pass, the pass
 * must run: now < expiry), record the query for usage and earnings, and
 * append the audit entry that links to the last one. Returns 0 with r's
 * out fields set; -1 with them zeroed and f set: FAULT_PAYMENT when the
 * account does not cover it, FAULT_CONFLICT for a query_id used before
 * (both: nothing changed, no account opened), FAULT_IO when the audit
 * entry cannot be written (whatever refused it), else the store's failure
 * (a busy store may be FAULT_CONFLICT too). After any failure but
 * FAULT_PAYMENT the caller rolls the unit (or savepoint) back: then no
 * debit and no entry (fail closed). */
int ledger_release(struct ledger *l, struct ledger_release *r,
                   struct fault *f) __attribute__((warn_unused_result));

/* The last audit entry: *index (0 when the log is empty), its hash (zeros)
 * and its time (0). Returns 0; -1 with f set. */
int ledger_audit_head(struct ledger *l, uint64_t *index, uint8_t hash[32],
                      int64_t *time, struct fault *f)
    __attribute__((warn_unused_result));

/* Call fn for each audit entry from index `from` on, in the order stored
 * (by index): its stored index, text and hash. fn returns 0 to go on, -1
 * (f set) to stop. Returns 0, or -1 with f set. */
int ledger_audit_each(struct ledger *l, uint64_t from,
                      int (*fn)(void *arg, uint64_t index, const char *text,
                                size_t len, const uint8_t hash[32],
                                struct fault *f),
                      void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Usage of one worker, one UTC day and data-set. */
struct ledger_usage {
    char day[11];             /* YYYY-MM-DD */
    uint8_t dataset_id[32];
    uint64_t queries;
    uint64_t chunks;
    uint64_t cost;
};

/* Call fn for each (day, data-set) of worker's queries, by day then
 * data-set. Same contract as ledger_each_account. */
int ledger_each_usage(struct ledger *l, const struct ethaddr *worker,
                      int (*fn)(void *arg, const struct ledger_usage *u,
                                struct fault *f),
                      void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* What an owner earned, one UTC day and data-set: payments credited that
 * day (their count, wei and units) and queries answered that day (their
 * count and the units they spent). */
struct ledger_earning {
    char day[11];
    uint8_t dataset_id[32];
    uint64_t payments;
    char amount_wei[LEDGER_AMOUNT_SIZE];
    uint64_t units;
    uint64_t queries;
    uint64_t units_spent;
};

/* Call fn for each (day, data-set) of owner's earnings on chain_id, by
 * day then data-set. Same contract as ledger_each_account. */
int ledger_each_earning(struct ledger *l, uint64_t chain_id,
                        const struct ethaddr *owner,
                        int (*fn)(void *arg, const struct ledger_earning *e,
                                  struct fault *f),
                        void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Call fn for each payment of chain_id where address is the worker or the
 * payer, oldest first (by block, then log index). Same contract. */
int ledger_each_payment_of(struct ledger *l, uint64_t chain_id,
                           const struct ethaddr *address,
                           int (*fn)(void *arg, const struct ledger_payment *p,
                                     struct fault *f),
                           void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* ---- what happened to payments, for the operator's log ---- */

/* A payment that a call of this interface stored or changed: stored as
 * confirming (first seen in a block) or unmatched (with its reason),
 * credited (with the units it added; unmatched with reason overflow when
 * the credit was not made), or reversed. */
struct ledger_event {
    enum ledger_state state;
    enum ledger_reason reason;
    uint64_t chain_id;
    uint8_t tx_hash[32];
    uint32_t ordinal;
    uint8_t dataset_id[32];
    struct ethaddr worker;
    char amount_wei[LEDGER_AMOUNT_SIZE];
    uint64_t units;          /* credited: added; reversed: taken back */
};

/* Call fn(arg, e) for every such change, as it is made inside a unit of
 * work: what fn learns is true only once that unit commits (keep it until
 * ledger_commit returns 0, forget it on a rollback). fn NULL: none. */
void ledger_set_listener(struct ledger *l,
                         void (*fn)(void *arg, const struct ledger_event *e),
                         void *arg);

/* ---- one step of the follower, applied whole ---- */

/* What the follower learnt in one step (contracts-abi's follower_step,
 * handed over by the gateway): blocks after rollback_to left the chain
 * (rollback_to < 0: none did), these payments were seen in blocks now on
 * the chain, these blocks' hashes are to be kept, the tip moved, and
 * payments up to credit_upto are deep enough (credit is 0: none). */
struct ledger_step {
    uint64_t chain_id;
    int has_rollback;
    int64_t rollback_to;
    const struct ledger_payment *payments;
    size_t npayments;
    const struct ledger_block *blocks;
    size_t nblocks;
    int64_t tip;
    int64_t keep_from;
    int credit;
    uint64_t credit_upto;
};

/* Apply step s inside the caller's unit of work: forget and reverse what
 * left the chain, record the payments and blocks, trim old blocks, credit
 * what is deep enough, and advance the checkpoint; the last credited block
 * never moves back below credited payments, except to a rollback point.
 * *reversed is how many credits were reversed (a finality violation when
 * above 0). Returns 0, or -1 with f set (roll the unit back). */
int ledger_apply_step(struct ledger *l, const struct ledger_step *s,
                      int64_t now, uint64_t *reversed, struct fault *f)
    __attribute__((warn_unused_result));

#endif
