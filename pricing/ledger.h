/*
 * ledger: payments seen on chain, and the balances they credit
 * (DESIGN.md 4).
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
 * A credit of amount wei adds floor((amount + remainder) / unit_wei) units
 * to the (worker, data-set) balance, unit_wei being the data-set's plan's,
 * and keeps the rest as that pair's remainder for its next payment.
 *
 * Every function here works inside the caller's transaction (the follower
 * advances its checkpoint in the same one), never begins or commits. On
 * failure the caller rolls back: the outputs are then meaningless.
 */
#ifndef SLUICE_PRICING_LEDGER_H
#define SLUICE_PRICING_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/ethaddr.h"
#include "lib/fault.h"

/* Decimal text of an amount in wei: at most 2^128 - 1 (39 digits). */
#define LEDGER_AMOUNT_SIZE 40

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
    LEDGER_REORGED
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

/* Record that the follower processed payment p (its chain_id to
 * amount_wei and ref set; state, reason and units are ignored) in a block
 * now on the canonical chain. A new payment is stored as confirming, or
 * as unmatched when its data-set is not published here or p->owner is not
 * the data-set's owner. An existing one gets p's block number, block hash
 * and log index; a reversed one becomes confirming again; a confirming,
 * credited or unmatched one keeps its state. *state_out (may be NULL) is
 * the state afterwards. Returns 0; on failure -1 with f set: FAULT_INVALID
 * for an amount that is not decimal text below 2^128, else what SQLite
 * gives (db_fail). */
int ledger_observe(sqlite3 *db, const struct ledger_payment *p, int64_t now,
                   enum ledger_state *state_out, struct fault *f)
    __attribute__((warn_unused_result));

/* ledger_observe for p[0..n), in order, with statements prepared once.
 * Returns 0, or -1 with f set at the first failure. */
int ledger_observe_all(sqlite3 *db, const struct ledger_payment *p, size_t n,
                       int64_t now, struct fault *f)
    __attribute__((warn_unused_result));

/* Credit every confirming payment of chain_id whose block is at most
 * max_block, oldest first. *credited (may be NULL) is how many were.
 * Returns 0, or -1 with f set. */
int ledger_credit_upto(sqlite3 *db, uint64_t chain_id, uint64_t max_block,
                       int64_t now, uint64_t *credited, struct fault *f)
    __attribute__((warn_unused_result));

/* The blocks after block (-1: all) left the chain: forget the confirming and
 * unmatched payments of chain_id in them, and reverse the credited ones
 * (state reversed, reason reorged; the balance loses the units and the
 * remainder the credit added, and what the balance no longer holds
 * becomes owed_units). *reversed (may be NULL) is how many were reversed.
 * Returns 0, or -1 with f set. */
int ledger_drop_after(sqlite3 *db, uint64_t chain_id, int64_t block,
                      int64_t now, uint64_t *reversed, struct fault *f)
    __attribute__((warn_unused_result));

/* The payments of transaction tx on chain_id, by ordinal, into out[0..cap).
 * Returns 0 with *n the number found (at most cap); on failure -1 with
 * *n = 0 and f set. */
int ledger_payments_of_tx(sqlite3 *db, uint64_t chain_id,
                          const uint8_t tx[32], struct ledger_payment *out,
                          size_t cap, size_t *n, struct fault *f)
    __attribute__((warn_unused_result));

/* The balance of (worker, dataset_id): units and owed_units, both 0 when
 * the pair has none. Returns 0, or -1 with f set. */
int ledger_balance(sqlite3 *db, const struct ethaddr *worker,
                   const uint8_t dataset_id[32], uint64_t *units,
                   uint64_t *owed_units, struct fault *f)
    __attribute__((warn_unused_result));

#endif
