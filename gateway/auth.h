/*
 * auth: request signatures (DESIGN.md 3.1) at the door.
 *
 * auth_verify checks the three X-Sluice headers of a request against its
 * method, exact request-target and body hash, recovers the signer, and
 * checks the optional X-Sluice-Address. Every failure is FAULT_UNAUTHORIZED
 * naming the header at fault, except a Content-Encoding other than
 * identity (FAULT_INVALID: the body hash would be ambiguous).
 */
#ifndef SLUICE_GATEWAY_AUTH_H
#define SLUICE_GATEWAY_AUTH_H

#include "gateway/gateway.h"

/* Return 1 if the request carries any X-Sluice-Signature header, else 0. */
int auth_present(struct gw_ctx *c);

/* Verify c's signature. Returns 0 with c->is_signed, c->signer,
 * c->signer_text, c->signer_pub and c->nonce set; -1 with c->fault set. */
int auth_verify(struct gw_ctx *c) __attribute__((warn_unused_result));

#endif
