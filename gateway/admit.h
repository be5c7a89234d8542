/*
 * admit: what the gateway decides about a request from its head alone,
 * before any of its body is read (gate.h calls it for every head).
 *
 * A request that declares a body (Content-Length above 0, or chunked) is
 * refused now when its route takes no body, when its declared length is
 * over the route's limit (413), when the route wants a signature and the
 * signature headers are missing or malformed (auth_check_headers: 401),
 * or when no route has that path (404) or method (405). Whatever the body,
 * a method evhttp cannot dispatch is refused (405 with Allow, or 501 for
 * an unknown one), and so is a target that is not a path (400). Everything
 * else goes on to evhttp and the dispatcher, which check it whole.
 */
#ifndef SLUICE_GATEWAY_ADMIT_H
#define SLUICE_GATEWAY_ADMIT_H

#include "gateway/gate.h"
#include "gateway/reqhead.h"

/* The admission function of the gate (conns_options.admit): gw is the
 * struct gateway. Fills *v (zeroed by the caller). */
void admit_head(void *gw, const struct reqhead *h, const char *head,
                struct gate_verdict *v);

#endif
