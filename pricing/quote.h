/*
 * quote: a query planned and priced (DESIGN.md 3.6 and 4). The one
 * function that prices a query: the answer of POST .../quote, the `quote`
 * of a 402 and of a max-cost 409, and the cost a query is charged all
 * come from quote_make, so they never disagree.
 *
 * As JSON: {"cost": "<units>", "chunk_count", "rows", "plain_bytes",
 * "chunks": [i, ...], "price": <plan>}, the counts over the chunks touched
 * (rows 0 for a blob).
 */
#ifndef SLUICE_PRICING_QUOTE_H
#define SLUICE_PRICING_QUOTE_H

#include <jansson.h>

#include "lib/fault.h"
#include "pricing/plan.h"
#include "pricing/planner.h"
#include "pricing/query.h"
#include "storage/catalog.h"

struct quote {
    struct plan plan;             /* the plan it was priced under */
    struct planner_result touched;
    uint64_t cost;                /* units; 0 under a pass plan */
};

/* Plan q over published data-set d in st and price it under plan.
 * Returns 0 with *out filled (free with quote_clear); on failure -1 with
 * *out zeroed and f set: the planner's refusals (planner.h), FAULT_INVALID
 * naming "cost" when the cost would pass 2^63 - 1 units, or the store's
 * fault. */
int quote_make(struct quote *out, struct store *st,
               const struct catalog_dataset *d, const struct plan *plan,
               const struct query *q, struct fault *f)
    __attribute__((warn_unused_result));

/* The JSON of q, a new reference; NULL when memory runs out. */
json_t *quote_to_json(const struct quote *q)
    __attribute__((warn_unused_result));

/* Free what q holds and zero it. q may be NULL. */
void quote_clear(struct quote *q);

#endif
