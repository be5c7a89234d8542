/*
 * verify: request signatures checked on threads of their own, so that the
 * secp256k1 recovery (some 37 us of CPU, three times a cached GET) uses
 * every core while the event loop goes on. auth_begin runs on the loop,
 * auth_check_run on a verifier thread, auth_end back on the loop
 * (auth.h).
 */
#ifndef SLUICE_GATEWAY_VERIFY_H
#define SLUICE_GATEWAY_VERIFY_H

#include "gateway/gateway.h"

/* How many verifier threads to run: opt's verify_threads, or one per
 * online CPU (at most 64). */
unsigned verify_threads(const struct gateway_options *opt);

/* Hand c's signature check to gw->verifiers; once checked, back on the
 * loop, then(c) runs (c->is_signed and the signer set), or c is answered
 * with the problem and finished; if its client hung up meanwhile, nothing
 * more is done. Returns 0 (the loop goes on), or -1 with c->fault set and
 * nothing started. */
int verify_start(struct gw_ctx *c, void (*then)(struct gw_ctx *c))
    __attribute__((warn_unused_result));

#endif
