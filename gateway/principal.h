/*
 * principal: who is asking for an account's private view (DESIGN.md
 * 3.11), decided in this one place for every such route: the signer of
 * the request, and, once the web page signs in (EIP-4361), the address of
 * a session cookie. When signature headers are present they decide and a
 * cookie is ignored.
 */
#ifndef SLUICE_GATEWAY_PRINCIPAL_H
#define SLUICE_GATEWAY_PRINCIPAL_H

#include "gateway/gateway.h"
#include "lib/ethaddr.h"

/* Check that c speaks for the account address_text (a path segment:
 * EIP-55, or all one case). Returns 0 with *out that address; on failure
 * -1 with *out zeroed and c->fault set: FAULT_INVALID naming "address"
 * for one that does not parse, FAULT_UNAUTHORIZED when c carries no
 * credentials, FAULT_FORBIDDEN when they are another address's. */
int principal_require(struct gw_ctx *c, const char *address_text,
                      struct ethaddr *out) __attribute__((warn_unused_result));

#endif
