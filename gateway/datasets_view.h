/*
 * datasets_view: how data-sets look over HTTP (DESIGN.md 3.9), and the
 * access rule every data-set route shares: a data-set that is not
 * published exists only for its owner (anyone else gets 404), and a route
 * that changes one is for its owner alone (403 once it is published).
 */
#ifndef SLUICE_GATEWAY_DATASETS_VIEW_H
#define SLUICE_GATEWAY_DATASETS_VIEW_H

#include <jansson.h>

#include "gateway/request.h"
#include "storage/catalog.h"

/* Parse id_text ("0x" + 64 hex) and load the data-set into *d, applying
 * the access rule: when owner_only, the signer must be its owner. Returns
 * 0, or -1 with c->fault set (400 naming "id", 404, 403). */
int datasets_view_load(struct gw_ctx *c, struct catalog_dataset *d,
                       const char *id_text, int owner_only)
    __attribute__((warn_unused_result));

/* Return 1 if c is signed by d's owner, else 0. */
int datasets_view_is_owner(const struct gw_ctx *c,
                           const struct catalog_dataset *d);

/* The prices a view shows: the last ones, so that an owner who changes
 * the price all day grows neither every reader's view nor the cost of
 * each change's answer (the view; bench/signed's PUT went from 6,200 to
 * 2,800 a second with 20 of them, each a plan read and rendered). */
#define DATASETS_VIEW_PRICES 5

/* Return the JSON text of data-set d as GET shows it (malloc'd; the
 * preview is spliced in as stored, so numbers keep their exact text), or
 * NULL with c->fault set. */
char *datasets_view_render(struct gw_ctx *c, const struct catalog_dataset *d,
                           int with_preview);

/* Return a chunk's manifest entry as a new JSON object, or NULL. */
json_t *datasets_view_chunk(const struct catalog_chunk *ch);

/* The columns of published data-set d as JSON, [{"name", "type"}] (type
 * "number" or "text"), a new reference; NULL with c->fault set. */
json_t *datasets_view_columns(struct gw_ctx *c,
                              const struct catalog_dataset *d);

/* Reply 200 with data-set id_text's view as GET shows it to c (the
 * access rule of datasets_view_load applies), from the cache of rendered
 * views when it holds a valid one; a published data-set's view, the same
 * for every reader, is kept there. Returns 0, or -1 with c->fault set. */
int datasets_view_serve(struct gw_ctx *c, const char *id_text)
    __attribute__((warn_unused_result));

/* Reply status with the data-set d (and Location when location is not
 * NULL), recording the answer as gw_reply_json does. */
int datasets_view_reply(struct gw_ctx *c, int status,
                        const struct catalog_dataset *d, const char *location)
    __attribute__((warn_unused_result));

#endif
