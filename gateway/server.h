/*
 * server: sluiced's HTTP server: start and stop, the one dispatcher every
 * request goes through (the gate's refusals, route, limits, signature,
 * nonce replay, handler, problem on failure), its once-a-minute upkeep, and
 * a graceful stop that lets requests under way finish.
 */
#ifndef SLUICE_GATEWAY_SERVER_H
#define SLUICE_GATEWAY_SERVER_H

#include "gateway/gateway.h"
#include "lib/fault.h"

/* Start the server: open the data dir, bind, start the publish workers.
 * Returns 0 with *out set; on failure -1 with *out = NULL and f set. */
int gateway_start(struct gateway **out, const struct gateway_options *opt,
                  struct fault *f) __attribute__((warn_unused_result));

/* Run the event loop until a SIGTERM/SIGINT (or gateway_stop) has drained
 * in-flight requests or the grace period ended. Returns 0, or -1. */
int gateway_run(struct gateway *gw);

/* Begin a graceful stop: refuse new connections, let in-flight requests
 * finish within the grace period. Safe from the loop's thread. */
void gateway_stop(struct gateway *gw);

/* Free gw (after gateway_run returned): workers joined, database closed. */
void gateway_free(struct gateway *gw);

#endif
