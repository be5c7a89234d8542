/*
 * routes: the route table of sluiced (DESIGN.md 3.9), and the handlers it
 * names. Each handler gets a struct gw_ctx (gateway.h) whose signature,
 * when the route asks for one, has already been verified.
 */
#ifndef SLUICE_GATEWAY_ROUTES_H
#define SLUICE_GATEWAY_ROUTES_H

#include <stddef.h>

#include "gateway/gateway.h"
#include "gateway/request.h"
#include "gateway/router.h"

extern const struct router_entry routes_table[];
extern const size_t routes_count;

int h_healthz(struct gw_ctx *c);
int h_metrics(struct gw_ctx *c);
int h_dataset_create(struct gw_ctx *c);
int h_dataset_list(struct gw_ctx *c);
int h_dataset_get(struct gw_ctx *c);
int h_dataset_delete(struct gw_ctx *c);
int h_dataset_price(struct gw_ctx *c);
int h_dataset_publish(struct gw_ctx *c);
int h_part_put(struct gw_ctx *c);
int h_part_list(struct gw_ctx *c);
int h_chunks(struct gw_ctx *c);
int h_object(struct gw_ctx *c);
int h_web(struct gw_ctx *c);
int h_chain(struct gw_ctx *c);
int h_payment(struct gw_ctx *c);
int h_query(struct gw_ctx *c);
int h_quote(struct gw_ctx *c);
int h_audit_head(struct gw_ctx *c);
int h_account(struct gw_ctx *c);
int h_earnings(struct gw_ctx *c);
int h_session_nonce(struct gw_ctx *c);
int h_session_create(struct gw_ctx *c);
int h_session_get(struct gw_ctx *c);
int h_session_delete(struct gw_ctx *c);

#endif
