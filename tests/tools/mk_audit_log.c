/*
 * mk_audit_log: make a data dir whose audit log holds N real entries, for
 * tests/integration/test_audit_cli.sh, through the calls the gateway
 * itself makes (no HTTP, no chain): a published data-set, one payment
 * credited by a follower step (ledger_apply_step), then N releases
 * (ledger_release), each in its own unit of work. Release i takes chunks
 * i and i+1, except the second, which takes none (an empty answer is a
 * release too); each costs 1 + 2 per chunk. The entries name the data
 * dir's own gateway address (gateway/identity.h).
 *
 *     mk_audit_log DIR N
 *
 * Prints each entry as "index 0x<hash>" on stdout; exit 0, or 1 with a
 * message on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/identity.h"
#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/hex.h"
#include "pricing/ledger.h"
#include "pricing/ledger_sqlite.h"
#include "storage/catalog.h"
#include "storage/store.h"

#define MK_OWNER "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define MK_WORKER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define MK_CHAIN 31337
#define MK_PLAN                                                             \
    "{\"kind\":\"metered\",\"unit_wei\":\"1000\",\"per_query\":\"1\","      \
    "\"per_chunk\":\"2\",\"per_row\":\"0\",\"per_mib\":\"0\","              \
    "\"min_purchase\":\"0\"}"
/* 10^6 wei at 1000 wei a unit: 1000 units, enough for any N here. */
#define MK_AMOUNT "1000000"
#define MK_MAX_ENTRIES 1000

static int mk_credit(struct ledger *l, const uint8_t ds[32],
                     struct fault *f)
{
    struct ledger_payment p;
    struct ledger_chain cs;
    struct ledger_step s;
    uint8_t contract[20];
    uint64_t reversed = 0;

    memset(contract, 0x11, sizeof contract);
    memset(&p, 0, sizeof p);
    p.chain_id = MK_CHAIN;
    memset(p.tx_hash, 0x77, 32);
    p.block_number = 10;
    memset(p.block_hash, 10, 32);
    memcpy(p.dataset_id, ds, 32);
    if (ethaddr_parse(&p.worker, MK_WORKER, strlen(MK_WORKER), "worker", f) <
            0 ||
        ethaddr_parse(&p.owner, MK_OWNER, strlen(MK_OWNER), "owner", f) < 0)
        return -1;
    p.payer = p.worker;
    snprintf(p.amount_wei, sizeof p.amount_wei, "%s", MK_AMOUNT);
    memset(&s, 0, sizeof s);
    s.chain_id = MK_CHAIN;
    s.payments = &p;
    s.npayments = 1;
    s.tip = 12;
    s.credit = 1;
    s.credit_upto = 10;
    if (ledger_begin(l, f) < 0)
        return -1;
    if (ledger_chain_open(l, &cs, MK_CHAIN, contract, 0, f) < 0 ||
        ledger_apply_step(l, &s, 1700000000, &reversed, f) < 0) {
        ledger_rollback(l);
        return -1;
    }
    return ledger_commit(l, f);
}

static int mk_release(struct ledger *l, const uint8_t ds[32],
                      const struct ethaddr *gateway, uint64_t i,
                      struct fault *f)
{
    struct ledger_release r;
    uint64_t chunks[2] = {i, i + 1};
    char hash[67];
    int rv = -1;

    memset(&r, 0, sizeof r);
    memcpy(r.dataset_id, ds, 32);
    if (ethaddr_parse(&r.worker, MK_WORKER, strlen(MK_WORKER), "worker", f) <
            0 ||
        ethaddr_parse(&r.owner, MK_OWNER, strlen(MK_OWNER), "owner", f) < 0)
        return -1;
    r.gateway = *gateway;
    memset(r.query_id, (int)(i & 0xff), 16);
    r.query_id[0] = (uint8_t)(i >> 8);
    r.chunks = chunks;
    r.nchunks = i == 2 ? 0 : 2;
    r.rows = 10 * r.nchunks;
    r.plain_bytes = 1000 * r.nchunks;
    r.cost = 1 + 2 * r.nchunks;
    r.now = 1700000000 + (int64_t)i * 60;
    if (ledger_begin(l, f) < 0)
        return -1;
    if (ledger_release(l, &r, f) < 0) {
        ledger_rollback(l);
        return -1;
    }
    if (ledger_commit(l, f) < 0)
        goto done;
    if (hex_encode_0x(hash, sizeof hash, r.hash, 32) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "hex");
        goto done;
    }
    printf("%" PRIu64 " %s\n", r.index, hash);
    rv = 0;
done:
    free(r.text);
    return rv;
}

int main(int argc, char **argv)
{
    struct store_dataset_spec spec;
    struct store *st = NULL;
    struct ledger *l = NULL;
    struct ethkey gw;
    uint8_t ds[CATALOG_ID_LEN];
    struct fault f;
    char *end;
    unsigned long n, i;
    int rv = 1;

    fault_clear(&f);
    memset(&gw, 0, sizeof gw);
    if (argc != 3) {
        fprintf(stderr, "usage: mk_audit_log DIR N\n");
        return 2;
    }
    n = strtoul(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || n > MK_MAX_ENTRIES) {
        fprintf(stderr, "mk_audit_log: N must be 0 to %d\n", MK_MAX_ENTRIES);
        return 2;
    }
    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_CSV;
    spec.name = "audit";
    spec.owner = MK_OWNER;
    spec.zlib_level = -1;
    if (store_open(&st, NULL, argv[1], &f) < 0 ||
        ledger_sqlite_open(&l, st, &f) < 0 ||
        store_create_dataset(st, ds, &spec, CATALOG_PUBLISHED, &f) < 0 ||
        catalog_set_price(st, ds, MK_PLAN, 1.0, &f) < 0 ||
        mk_credit(l, ds, &f) < 0)
        goto done;
    if (identity_key(&gw, st) < 0) {
        fault_set(&f, FAULT_INTERNAL, NULL, "cannot derive the gateway key");
        goto done;
    }
    for (i = 1; i <= n; i++)
        if (mk_release(l, ds, &gw.addr, i, &f) < 0)
            goto done;
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "mk_audit_log: %s\n", f.detail[0] ? f.detail
                                                         : "failed");
    ethkey_wipe(&gw);
    ledger_close(l);
    store_close(st);
    return rv;
}
