/*
 * chainstore: the chain follower's checkpoint in SQLite: which chain and
 * contract this data dir follows (DESIGN.md 5: the first chain id is
 * recorded, a later start against another is refused), the tip (the last
 * block whose logs are processed), the last block whose payments are
 * credited, the count of finality violations, and the hashes of recent
 * processed blocks.
 *
 * The writers work inside the caller's transaction (the follower advances
 * the checkpoint in the same transaction as the credits), never begin or
 * commit.
 */
#ifndef SLUICE_STORAGE_CHAINSTORE_H
#define SLUICE_STORAGE_CHAINSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "lib/fault.h"

struct chainstore_block {
    uint64_t number;
    uint8_t hash[32];
    uint8_t parent_hash[32];
};

struct chainstore_state {
    uint64_t chain_id;
    uint8_t contract[20];
    int64_t tip;                 /* -1: nothing processed yet */
    int64_t last_credited_block; /* -1: none */
    uint64_t finality_violations;
};

/* Bind the data dir to chain_id and contract on first use (tip = start -
 * 1, so the follower begins at block start); afterwards check that they
 * match. Returns 0 with *out the stored state; on failure -1 with *out
 * zeroed and f set: FAULT_CONFLICT naming "chain_id" or "contract" when
 * the data dir follows another chain or contract, else what SQLite gives. */
int chainstore_open(sqlite3 *db, struct chainstore_state *out,
                    uint64_t chain_id, const uint8_t contract[20],
                    uint64_t start, struct fault *f)
    __attribute__((warn_unused_result));

/* Read the stored state. Returns 1 with *out set, 0 when the data dir has
 * never followed a chain (*out zeroed), -1 with f set on failure. */
int chainstore_read(sqlite3 *db, struct chainstore_state *out,
                    struct fault *f) __attribute__((warn_unused_result));

/* The stored blocks with number > after, ascending, into out[0..cap).
 * Returns 0 with *n set; on failure -1 with *n = 0 and f set. */
int chainstore_blocks(sqlite3 *db, int64_t after,
                      struct chainstore_block *out, size_t cap, size_t *n,
                      struct fault *f) __attribute__((warn_unused_result));

/* Store blocks (replacing any at the same numbers). Returns 0, or -1. */
int chainstore_put_blocks(sqlite3 *db, const struct chainstore_block *b,
                          size_t n, struct fault *f)
    __attribute__((warn_unused_result));

/* Forget the stored blocks above number (they left the chain) and below
 * keep_from (old enough not to matter). Returns 0, or -1. */
int chainstore_trim(sqlite3 *db, int64_t above, int64_t keep_from,
                    struct fault *f) __attribute__((warn_unused_result));

/* Set tip and last credited block; add violations to the count. Returns
 * 0, or -1. */
int chainstore_advance(sqlite3 *db, int64_t tip, int64_t last_credited,
                       uint64_t violations, struct fault *f)
    __attribute__((warn_unused_result));

#endif
