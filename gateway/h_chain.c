/*
 * GET /v1/chain: the chain the gateway follows (DESIGN.md 3.9).
 * GET /v1/payments/{tx_hash}[?wait=S]: a transaction's payments, long-polled
 *     through a chain watch (chain.h) until the first change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/chain.h"
#include "gateway/routes.h"
#include "lib/hex.h"

static int h_chain_wait(struct gw_ctx *c, int *wait_s)
{
    char text[16];
    unsigned long v;
    char *end;
    int rc;

    *wait_s = 0;
    rc = gw_query_param(c, text, sizeof text, "wait");
    if (rc <= 0)
        return rc;
    v = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' ||
        (text[0] == '0' && text[1] != '\0') || v > CHAIN_WAIT_MAX_S)
        return fault_set(&c->fault, FAULT_INVALID, "wait",
                         "wait must be a whole number of seconds from 0 to "
                         "%d", CHAIN_WAIT_MAX_S);
    *wait_s = (int)v;
    return 0;
}

static void h_payment_ready(void *arg)
{
    gw_resume(arg);
}

static int h_payment_finish(struct gw_ctx *c)
{
    struct chain_watch *w = c->work_state;
    int unreachable = 0;
    json_t *doc;
    char tx[67];

    if (hex_encode_0x(tx, sizeof tx, c->work_tx, 32) < 0)
        tx[0] = '\0';
    c->work_state = NULL;
    doc = chain_watch_take(w, &unreachable);
    if (doc != NULL)
        return gw_reply_json(c, 200, doc, NULL);
    if (unreachable)
        return fault_set(&c->fault, FAULT_UNAVAILABLE, NULL,
                         "the gateway's chain node does not answer; retry "
                         "later");
    return fault_set(&c->fault, FAULT_NOT_FOUND, "tx_hash",
                     "neither the gateway nor its node knows a payment in "
                     "transaction %s", tx);
}

int h_payment(struct gw_ctx *c)
{
    const char *t = c->match.params[0];
    struct chain_watch *w;
    int wait_s, rc;

    if (c->gw->chain == NULL)
        return fault_set(&c->fault, FAULT_UNAVAILABLE, NULL,
                         "this gateway follows no chain (no rpc_url)");
    if (hex_decode_0x(c->work_tx, 32, t, strlen(t), "tx_hash", &c->fault) <
            0 ||
        h_chain_wait(c, &wait_s) < 0 ||
        chain_watch_new(&w, c->gw->chain, c->work_tx,
                        c->gw->stopping ? 0 : wait_s, h_payment_ready, c,
                        &c->fault) < 0)
        return -1;
    rc = gw_defer(c, h_payment_finish);
    if (rc != GW_PENDING) {
        int unreachable;
        json_decref(chain_watch_take(w, &unreachable));
        return rc;
    }
    c->work_state = w;
    chain_watch_go(w);
    return GW_PENDING;
}

int h_chain(struct gw_ctx *c)
{
    json_t *doc;

    /* The gateway's account (identity.h) signs receipts: a worker checks
     * them against this. */
    if (gw_chain_doc(c->gw->chain, c->gw->ledger, &c->gw->identity, &doc,
                     &c->fault) < 0)
        return -1;
    return gw_reply_json(c, 200, doc, NULL);
}
