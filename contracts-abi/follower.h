/*
 * follower: follows the market contract's Purchased logs on an Ethereum
 * JSON-RPC node, reorg-safe, without blocking the event loop
 * (DESIGN.md 3.9, 4, 5).
 *
 * Each round asks the node for its head (and the block at our tip, to see
 * whether the chain under us changed), then fetches the logs of the next
 * bounded range of blocks together with the headers of the blocks that
 * are still shallow, checks everything (parent links, block hashes of
 * logs, the contract's address, the event's topic, `removed`, strict ABI
 * decoding), and hands the outcome to its sink as one step that the sink
 * applies atomically: forget what a reorg removed, record the new blocks
 * and payments, move the tip, credit what became deep enough. Nothing is
 * skipped: a range whose answers do not hold together is asked again
 * later, never passed over.
 *
 * A reorg shows as the node's block at our tip (or the parent of the next
 * block) having another hash than the one we stored. The follower then
 * walks back over the hashes it keeps (confirmations + FOLLOWER_MARGIN
 * blocks) to the newest block both agree on, and the step rolls back to
 * it. Payments that were credited above it are reversed by the sink: a
 * finality violation, counted and shown.
 *
 * The sink owns persistence (the follower knows no SQL): it loads the
 * checkpoint at start and applies steps. The follower's own memory is a
 * cache of the sink's blocks, refreshed at every start.
 */
#ifndef SLUICE_CONTRACTS_ABI_FOLLOWER_H
#define SLUICE_CONTRACTS_ABI_FOLLOWER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "contracts-abi/abi.h"
#include "contracts-abi/ethjson.h"
#include "contracts-abi/rpc.h"
#include "lib/fault.h"

/* Blocks kept beyond the confirmations, to find the common ancestor of a
 * reorg that is a little deeper than what we wait for. */
#define FOLLOWER_MARGIN 32
/* The most blocks a step may hold (headers kept). */
#define FOLLOWER_STEP_BLOCKS 96
/* The most payments one range may hold; a range with more is split. */
#define FOLLOWER_STEP_PAYMENTS ETHJSON_LOGS_MAX

enum follower_state {
    FOLLOWER_SYNCING = 1,      /* catching up: more than a range behind */
    FOLLOWER_OK,               /* at the head */
    FOLLOWER_DEGRADED,         /* the node is down, slow, or inconsistent */
    FOLLOWER_FINALITY_VIOLATED /* a credited payment was reorged away */
};

struct follower_block {
    uint64_t number;
    uint8_t hash[32];
    uint8_t parent_hash[32];
};

/* A Purchased log, checked and decoded. */
struct follower_payment {
    uint8_t tx_hash[32];
    uint32_t ordinal;  /* among the contract's Purchased logs of the tx */
    uint64_t log_index;
    uint64_t block_number;
    uint8_t block_hash[32];
    struct abi_purchased p;
};

/* One atomic change. Applied in this order: if rollback, everything above
 * rollback_to leaves (blocks, unconfirmed payments; credited ones are
 * reversed); then blocks and payments are recorded; then the tip becomes
 * tip; then every payment in a block <= credit_upto (when has_credit) is
 * credited. */
struct follower_step {
    int rollback;
    int64_t rollback_to;
    const struct follower_block *blocks; /* ascending */
    size_t nblocks;
    const struct follower_payment *payments; /* by block, log index */
    size_t npayments;
    int64_t tip;
    int has_credit;
    uint64_t credit_upto;
    int64_t keep_from; /* blocks below this may be forgotten */
};

struct follower_sink {
    void *arg;
    /* The chain id the node reported: return 0 to go on, -1 (f set) to
     * refuse this chain: the follower then stops for good. */
    int (*chain_id)(void *arg, uint64_t chain_id, struct fault *f);
    /* Load the checkpoint: *tip, and the kept blocks (ascending, at most
     * cap) into blocks[0..*n). Return 0, or -1 with f set. */
    int (*load)(void *arg, int64_t *tip, struct follower_block *blocks,
                size_t cap, size_t *n, struct fault *f);
    /* Apply step atomically. Return 0 with *reversed the number of
     * credited payments the rollback reversed, or -1 with f set (nothing
     * applied: the follower asks again later). */
    int (*apply)(void *arg, const struct follower_step *step,
                 uint64_t *reversed, struct fault *f);
    /* Told after each applied step and each change of state (may be
     * NULL): wakes long-polls. */
    void (*changed)(void *arg);
};

struct follower_config {
    uint8_t contract[20];
    uint32_t confirmations;   /* >= 1 */
    int finalized;            /* credit at the node's finalized block */
    uint32_t poll_ms;         /* >= 1 */
    uint32_t max_range;       /* blocks per eth_getLogs, >= 1 */
};

/* What the follower knows, for GET /v1/chain and /metrics. */
struct follower_status {
    enum follower_state state;
    uint64_t chain_id;        /* 0 until the node told it */
    int has_head;
    uint64_t head;            /* the node's head, last seen */
    int64_t tip;              /* the last processed block, -1 for none */
    int64_t last_credit_upto; /* -1 for none */
    uint64_t rounds;
    uint64_t steps;
    uint64_t reorgs;
    uint64_t reversed;        /* credited payments reversed */
    uint64_t failures;        /* rounds that failed */
    uint64_t payments;        /* Purchased logs processed */
    uint64_t bad_logs;        /* logs refused by the checks */
    char last_error[FAULT_DETAIL_MAX];
};

struct follower;

/* Make a follower on base that asks rpc (which must outlive it) and tells
 * sink. Nothing happens before follower_start. Returns 0 with *out set;
 * on failure -1 with *out = NULL and f set (FAULT_INVALID for a config
 * out of range, FAULT_INTERNAL when memory runs out). */
int follower_new(struct follower **out, struct event_base *base,
                 struct rpc_client *rpc, const struct abi_market *abi,
                 const struct follower_config *cfg,
                 const struct follower_sink *sink, struct fault *f)
    __attribute__((warn_unused_result));

/* Start following: the first round runs from the loop at once. */
void follower_start(struct follower *fl);

/* Free fl. Free its rpc client first: that tells fl's call in flight it
 * was cancelled, which fl must still be alive to hear. fl may be NULL. */
void follower_free(struct follower *fl);

/* Copy the status into out. */
void follower_status(const struct follower *fl, struct follower_status *out);

/* The JSON name of a state: "syncing", "ok", "degraded",
 * "finality_violated". */
const char *follower_state_name(enum follower_state s);

#endif
