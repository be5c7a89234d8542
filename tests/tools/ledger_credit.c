/*
 * ledger_credit: credit a payment straight into a stopped gateway's ledger,
 * as its chain follower would (one ledger_step: the payment seen in a
 * block and deep enough at once), for live-binary tests that run sluiced
 * without a chain (tests/integration/test_query_crash.py).
 *
 *   ledger_credit DATA_DIR DATASET_ID WORKER AMOUNT_WEI TX_TAG
 *
 * DATASET_ID is 0x + 64 hex digits (a published data-set of DATA_DIR; its
 * owner is read from the catalogue), WORKER an address, AMOUNT_WEI decimal
 * wei, TX_TAG a number from 1 to 255 that makes the payment's transaction
 * hash and block (each tag credits once: a payment is unique). Prints the
 * units the worker then holds; exits 1 with a message on any failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/ethaddr.h"
#include "lib/hex.h"
#include "pricing/ledger.h"
#include "pricing/ledger_sqlite.h"
#include "storage/catalog.h"
#include "storage/store.h"

#define LEDGER_CREDIT_CHAIN_ID 31337

int main(int argc, char **argv)
{
    struct store *st = NULL;
    struct ledger *l = NULL;
    struct catalog_dataset d;
    struct ledger_payment p;
    struct ledger_step step;
    struct ledger_chain cs;
    uint8_t contract[20] = {0xc0};
    uint64_t reversed, units = 0, owed = 0;
    unsigned long tag;
    struct fault f;
    int rv = 1, in_unit = 0;

    if (argc != 6) {
        fprintf(stderr, "usage: ledger_credit DATA_DIR DATASET_ID WORKER "
                        "AMOUNT_WEI TX_TAG\n");
        return 2;
    }
    fault_clear(&f);
    memset(&p, 0, sizeof p);
    memset(&step, 0, sizeof step);
    tag = strtoul(argv[5], NULL, 10);
    if (tag < 1 || tag > 255) {
        fprintf(stderr, "ledger_credit: TX_TAG must be 1 to 255\n");
        return 2;
    }
    if (hex_decode_0x(p.dataset_id, 32, argv[2], strlen(argv[2]),
                      "dataset_id", &f) < 0 ||
        ethaddr_parse(&p.worker, argv[3], strlen(argv[3]), "worker", &f) < 0)
        goto done;
    if (snprintf(p.amount_wei, sizeof p.amount_wei, "%s", argv[4]) >=
        (int)sizeof p.amount_wei) {
        fault_set(&f, FAULT_INVALID, "amount", "the amount is too long");
        goto done;
    }
    if (store_open_existing(&st, NULL, argv[1], &f) < 0 ||
        ledger_sqlite_open(&l, st, &f) < 0 ||
        catalog_get_dataset(st, &d, p.dataset_id, &f) < 0 ||
        ethaddr_parse(&p.owner, d.owner, strlen(d.owner), "owner", &f) < 0)
        goto done;
    p.chain_id = LEDGER_CREDIT_CHAIN_ID;
    p.tx_hash[0] = 0x5c;
    p.tx_hash[31] = (uint8_t)tag;
    p.block_number = tag;
    p.block_hash[0] = (uint8_t)tag;
    p.payer = p.worker;
    step.chain_id = LEDGER_CREDIT_CHAIN_ID;
    step.payments = &p;
    step.npayments = 1;
    step.tip = (int64_t)tag;
    step.credit = 1;
    step.credit_upto = tag;
    if (ledger_begin(l, &f) < 0)
        goto done;
    in_unit = 1;
    if (ledger_chain_open(l, &cs, LEDGER_CREDIT_CHAIN_ID, contract, 0, &f) <
            0 ||
        ledger_apply_step(l, &step, (int64_t)time(NULL), &reversed, &f) < 0 ||
        ledger_commit(l, &f) < 0)
        goto done;
    in_unit = 0;
    if (ledger_balance(l, &p.worker, p.dataset_id, &units, &owed, &f) < 0)
        goto done;
    printf("%" PRIu64 "\n", units);
    rv = 0;
done:
    if (in_unit)
        ledger_rollback(l);
    if (rv != 0)
        fprintf(stderr, "ledger_credit: %s\n", f.detail);
    ledger_close(l);
    store_close(st);
    return rv;
}
