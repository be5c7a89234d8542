/*
 * principal: who is asking for an account's private view (DESIGN.md
 * 3.11), decided in this one place for every such route: the signer of
 * the request, or the address of a live browser session (the
 * sluice_session cookie, session.h). When signature headers are present
 * they decide and a cookie is ignored.
 *
 * A cookie is sent by the browser with every request to the gateway,
 * whoever made the page that caused it, so it authorises reading only:
 * it counts for GET and HEAD, and ending its own session (h_session.c) is
 * the one change it may make. Every route that changes state requires a
 * signature (router.h), which no cookie replaces.
 */
#ifndef SLUICE_GATEWAY_PRINCIPAL_H
#define SLUICE_GATEWAY_PRINCIPAL_H

#include <stdint.h>

#include "gateway/gateway.h"
#include "gateway/session.h"
#include "lib/ethaddr.h"

/* Check that c speaks for the account address_text (a path segment:
 * EIP-55, or all one case). Returns 0 with *out that address; on failure
 * -1 with *out zeroed and c->fault set: FAULT_INVALID naming "address"
 * for one that does not parse, FAULT_UNAUTHORIZED when c carries neither
 * a signature nor a live session cookie (a GET or HEAD), FAULT_FORBIDDEN
 * when the one it carries is another address's. */
int principal_require(struct gw_ctx *c, const char *address_text,
                      struct ethaddr *out) __attribute__((warn_unused_result));

/* Find the live session that c's Cookie headers name (the first live one
 * when several sluice_session cookies are sent). Returns 1 with *who,
 * *expires and token (the cookie's value, which the caller wipes) set; 0
 * with them zeroed when there is none. *sent is set to 1 when c carries a
 * sluice_session cookie at all, live or not. */
int principal_session(struct gw_ctx *c, struct ethaddr *who, int64_t *expires,
                      char token[SESSION_TOKEN_TEXT_SIZE], int *sent);

#endif
