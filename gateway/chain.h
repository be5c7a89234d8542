/*
 * chain: the gateway's side of the chain: the JSON-RPC client and the
 * follower (contracts-abi/), the sink that applies each of the follower's
 * steps to the ledger (pricing/ledger.h, which keeps the checkpoint too) in
 * one unit of work, watches of one transaction's payments (what
 * GET /v1/payments/<tx> long-polls), and what GET /v1/chain and /metrics
 * show of it. It knows the event loop and the ledger, not the HTTP server:
 * the routes are in h_chain.c.
 *
 * Without an rpc_url the gateway follows no chain: /v1/chain says
 * "disabled" and the payment routes answer 503.
 */
#ifndef SLUICE_GATEWAY_CHAIN_H
#define SLUICE_GATEWAY_CHAIN_H

#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>

#include "contracts-abi/abi.h"
#include "lib/ethaddr.h"
#include "lib/fault.h"
#include "pricing/ledger.h"

/* The longest ?wait=, in seconds (DESIGN.md 3.9). */
#define CHAIN_WAIT_MAX_S 60

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

/* Start following the chain on base, crediting into ledger, when
 * opt->rpc_url is set (else *out = NULL and 0). The node's chain id is asked at once (waiting up to a few
 * seconds): a node on another chain than --chain-id, or than the one this
 * data dir recorded, is refused here, so that sluiced does not start. A
 * node that does not answer is not fatal: the follower keeps trying and
 * checks the chain when it answers. Returns 0; on failure -1 with *out =
 * NULL and f set (FAULT_INVALID for settings, FAULT_CONFLICT for another
 * chain or contract). */
int gw_chain_start(struct gw_chain **out, struct event_base *base,
                   struct ledger *ledger, const struct gw_chain_options *opt,
                   struct fault *f)
    __attribute__((warn_unused_result));

/* The gateway is stopping: every watch gets its answer now, and later ones
 * do not wait. ch may be NULL. */
void gw_chain_stop(struct gw_chain *ch);

/* Free ch (NULL is fine): the RPC client first, then the follower. */
void gw_chain_free(struct gw_chain *ch);

/* Append the chain's lines to a /metrics page. ch may be NULL. */
void gw_chain_metrics(const struct gw_chain *ch, struct evbuffer *out);

/* The document of GET /v1/chain (DESIGN.md 3.9) for a gateway whose
 * account is gateway, reading the checkpoint from l (ch NULL: "disabled").
 * Returns 0 with *out set (the caller owns it); -1 with *out = NULL and f
 * set. */
int gw_chain_doc(struct gw_chain *ch, struct ledger *l,
                 const struct ethaddr *gateway, json_t **out,
                 struct fault *f) __attribute__((warn_unused_result));

/* Return the chain's id as GET /v1/chain shows it: 0 when ch is NULL or
 * the node has not told it yet. */
uint64_t gw_chain_id(const struct gw_chain *ch);

/* What a payment needs of the chain now (the `payment` of a 402, DESIGN.md
 * 3.6): the chain's id, the contract and its ABI, and the follower's poll
 * interval (how soon a new block is seen). Returns 1 with them set when a
 * payment can be made and seen: the follower knows the chain's id and the
 * node answered its last look (syncing, ok, or after a finality
 * violation). Returns 0 with them zeroed when it cannot: no chain (ch
 * NULL), or the node is unreachable (degraded). */
int gw_chain_payable(const struct gw_chain *ch, uint64_t *chain_id,
                     struct ethaddr *contract, struct abi_market *abi,
                     uint64_t *poll_ms);

/* Payment p as GET /v1/payments lists it (DESIGN.md 3.9), with its
 * "tx_hash" too (as an account lists it, 3.11): a new reference, or NULL
 * when memory runs out or ch is NULL. */
json_t *gw_chain_payment_json(const struct gw_chain *ch,
                              const struct ledger_payment *p);

/* Ask the node for the contract's owed(who) (DESIGN.md 3.7: what who may
 * withdraw). done(arg, wei) is called exactly once later, from the loop:
 * wei is the decimal text, or NULL when the node did not answer well.
 * Returns 0; -1 with f set when there is no chain (FAULT_UNAVAILABLE) or
 * the call cannot be sent, and then done is never called. */
int gw_chain_owed(struct gw_chain *ch, const struct ethaddr *who,
                  void (*done)(void *arg, const char *wei), void *arg,
                  struct fault *f) __attribute__((warn_unused_result));

/* A watch of transaction tx's payments: what the ledger recorded, or, for
 * a transaction the follower has not reached, what the node's receipt
 * holds ("seen"). With wait_s > 0 (at most CHAIN_WAIT_MAX_S) it waits for
 * the first change; at most 1024 wait at once (more answer at once). */
struct chain_watch;

/* Make a watch of tx for ch (nothing starts yet). ready(arg) is called
 * once, from the loop, when its answer is there (maybe from within
 * chain_watch_go). Returns 0 with *out set, or -1 with *out = NULL and f
 * set. */
int chain_watch_new(struct chain_watch **out, struct gw_chain *ch,
                    const uint8_t tx[32], int wait_s, void (*ready)(void *),
                    void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Start w: look now, and wait if it is to. */
void chain_watch_go(struct chain_watch *w);

/* End w (after ready, or before it: then the answer so far): return its
 * document (the caller owns it), or NULL when no one knows the
 * transaction, with *unreachable 1 when that is because the node did not
 * answer. w is freed (or left to its pending node call, which frees it). */
json_t *chain_watch_take(struct chain_watch *w, int *unreachable);

#endif
