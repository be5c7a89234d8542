/*
 * ledger_contract: the contract test suite of the ledger interface
 * (pricing/ledger.h): every rule of the ledger, run through the interface
 * only, so that every backend runs the very same cases (SQLite now in
 * tests/unit/pricing/test_ledger.c, PostgreSQL next). A backend's test
 * gives a harness: how to open a fresh, empty ledger, how to add a
 * data-set to the catalogue it reads and change its price, and (if its
 * store can be made to) how to make the audit log refuse a write, for the
 * fail-closed case.
 */
#ifndef SLUICE_TESTS_LEDGER_CONTRACT_H
#define SLUICE_TESTS_LEDGER_CONTRACT_H

#include <stdint.h>

#include "pricing/ledger.h"

struct ledger_harness {
    const char *name;
    void *ctx;
    /* Open a fresh, empty ledger (and its catalogue); 0 or -1. */
    int (*open)(struct ledger_harness *h, struct ledger **out);
    /* Close it and forget everything it held. */
    void (*close)(struct ledger_harness *h, struct ledger *l);
    /* Close and open the same store again (what a restart sees). */
    int (*reopen)(struct ledger_harness *h, struct ledger **l);
    /* Add a data-set owned by owner (EIP-55), published or a draft, with
     * price (a plan's JSON, or NULL for none). */
    void (*add_dataset)(struct ledger_harness *h, const uint8_t id[32],
                        const char *owner, int published, const char *price);
    /* Replace data-set id's price with price (a plan's JSON), as an
     * owner's price change does. */
    void (*set_price)(struct ledger_harness *h, const uint8_t id[32],
                      const char *price);
    /* From now on make every write of an audit entry fail inside the
     * store (fail = 1: as a full disk would, at the last write of a
     * release), or work again (fail = 0). NULL when the backend's store
     * cannot be made to: the fail-closed case is then skipped. */
    void (*fail_audit)(struct ledger_harness *h, struct ledger *l, int fail);
};

/* Run every case of the suite against h. Returns what cmocka's group run
 * returns (the number of failures). */
int ledger_contract_run(struct ledger_harness *h);

#endif
