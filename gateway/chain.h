/*
 * chain: the gateway's side of the chain: the JSON-RPC client and the
 * follower (contracts-abi/), the sink that applies each of the follower's
 * steps to the ledger (pricing/ledger.h, which keeps the checkpoint too) in
 * one unit of work, and what GET /v1/chain, GET /v1/payments/<tx> and
 * /metrics show of it.
 *
 * Without an rpc_url the gateway follows no chain: /v1/chain says
 * "disabled" and the payment routes answer 503.
 */
#ifndef SLUICE_GATEWAY_CHAIN_H
#define SLUICE_GATEWAY_CHAIN_H

#include <stdint.h>

#include <event2/buffer.h>

#include "gateway/gateway.h"
#include "lib/fault.h"

/* What the follower runs with (from the settings). */
struct gw_chain_options {
    const char *rpc_url;      /* "" or NULL: no chain */
    const char *rpc_ca_file;  /* extra CA for an https node, or NULL */
    const char *contract;     /* 0x + 40 hex */
    uint64_t confirmations;
    uint64_t poll_ms;
    int finalized;
    uint64_t chain_id;        /* 0: the node's */
    uint64_t max_log_range;   /* blocks per eth_getLogs */
};

struct gw_chain;

/* Start following the chain for gw when opt->rpc_url is set (else *out =
 * NULL and 0). The node's chain id is asked at once (waiting up to a few
 * seconds): a node on another chain than --chain-id, or than the one this
 * data dir recorded, is refused here, so that sluiced does not start. A
 * node that does not answer is not fatal: the follower keeps trying and
 * checks the chain when it answers. Returns 0; on failure -1 with *out =
 * NULL and f set (FAULT_INVALID for settings, FAULT_CONFLICT for another
 * chain or contract). */
int gw_chain_start(struct gw_chain **out, struct gateway *gw,
                   const struct gw_chain_options *opt, struct fault *f)
    __attribute__((warn_unused_result));

/* Answer every long-poll now (the gateway is stopping). */
void gw_chain_wake_all(struct gw_chain *ch);

/* Free ch (NULL is fine): the RPC client first, then the follower. */
void gw_chain_free(struct gw_chain *ch);

/* Append the chain's lines to a /metrics page. ch may be NULL. */
void gw_chain_metrics(const struct gw_chain *ch, struct gateway *gw,
                      struct evbuffer *out);

#endif
