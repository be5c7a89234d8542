/*
 * identity: the gateway's own Ethereum account, shown as "gateway" in
 * GET /v1/chain and used to sign what the gateway vouches for (receipts).
 *
 * Its key is derived from the data dir's master key (HKDF-SHA256, info
 * "sluice/gateway-key/v1"), so it is stable for a data dir, needs no key
 * file of its own, and goes wherever the master key goes.
 */
#ifndef SLUICE_GATEWAY_IDENTITY_H
#define SLUICE_GATEWAY_IDENTITY_H

#include "lib/ethkey.h"
#include "storage/store.h"

/* Derive the gateway's key from st's master key into out. Returns 0; on
 * failure -1 with *out wiped (a derivation that falls outside the curve
 * order, once in 2^128, takes the next counter value instead). The caller
 * wipes out with ethkey_wipe. */
int identity_key(struct ethkey *out, const struct store *st)
    __attribute__((warn_unused_result));

#endif
