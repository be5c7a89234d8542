/*
 * batch: group commit. The signed requests that change state and are
 * ready in one turn of the event loop run one after the other in one unit
 * of work, each inside a savepoint of its own (a failure undoes that
 * request alone), and share one commit, so one fsync; their answers are
 * held and sent once it is durable (DESIGN.md 4: "queries that arrive
 * together share one commit").
 */
#ifndef SLUICE_GATEWAY_BATCH_H
#define SLUICE_GATEWAY_BATCH_H

#include <event2/event.h>

#include "gateway/gateway.h"

/* Queue c (signed, its nonce gate passed) for the next group commit. The
 * batch runs once the requests ready in this turn of the loop have been
 * read: its event (gw->batch_ev, whose callback is batch_run) is made
 * active now, behind theirs. batch_run answers and finishes c. */
void batch_add(struct gw_ctx *c);

/* Queue c for the next group commit, where then(c) runs as its handler
 * (inside its savepoint, answering as a handler does): how a
 * ROUTER_PREPARE route, having done part of its work first (off the loop:
 * gw_offload_cpu), joins the batch. The finish function or handler that
 * calls it returns what it returns: GW_PENDING. */
int gw_batch(struct gw_ctx *c, int (*then)(struct gw_ctx *c));

/* The group commit (arg is the struct gateway): every request queued
 * since the last one, in order, each in its savepoint, then one commit;
 * the answers go out once it is durable (a failed commit keeps nothing of
 * the batch: each request is then answered 5xx, which a retry may
 * follow). */
void batch_run(evutil_socket_t fd, short what, void *arg);

#endif
