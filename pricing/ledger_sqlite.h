/*
 * ledger_sqlite: the ledger's SQLite backend (ledger.h), in the data dir's
 * database, on the connection of a store: the ledger shares that
 * connection's transactions with the catalogue, so that a request's nonce
 * record, its ledger change and its catalogue change commit together.
 *
 * The ledger owns its tables (request_nonces, chain_state, chain_blocks,
 * payments, balances, ledger_entries) and migrates them itself, with a
 * version of its own in the table ledger_schema. (Data dirs made before
 * the ledger had its own migrations got these tables from storage's
 * migrations 2 and 3; the ledger's first migration creates them only if
 * they are missing, so those data dirs keep theirs as they are.)
 */
#ifndef SLUICE_PRICING_LEDGER_SQLITE_H
#define SLUICE_PRICING_LEDGER_SQLITE_H

#include "pricing/ledger.h"
#include "lib/fault.h"
#include "storage/store.h"

/* Open the ledger on st's connection (st must outlive it, and be used on
 * one thread at a time, as the ledger is), migrating its tables. Returns 0
 * with *out set; on failure -1 with *out = NULL and f set (FAULT_CORRUPT
 * for a ledger schema newer than this build knows). */
int ledger_sqlite_open(struct ledger **out, struct store *st,
                       struct fault *f) __attribute__((warn_unused_result));

#endif
