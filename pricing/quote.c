/*
 * quote: plan, price, and the JSON of both (quote.h).
 */
#include "pricing/quote.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int quote_make(struct quote *out, struct store *st,
               const struct catalog_dataset *d, const struct plan *plan,
               const struct query *q, struct fault *f)
{
    memset(out, 0, sizeof *out);
    out->plan = *plan;
    if (planner_run(&out->touched, st, d, q, f) < 0 ||
        plan_cost(&out->cost, plan, &out->touched.usage, f) < 0) {
        quote_clear(out);
        return -1;
    }
    return 0;
}

json_t *quote_to_json(const struct quote *q)
{
    json_t *doc = json_object(), *chunks = json_array(), *price;
    char cost[24];
    size_t i;

    price = plan_to_json(&q->plan);
    snprintf(cost, sizeof cost, "%" PRIu64, q->cost);
    if (doc == NULL || chunks == NULL || price == NULL ||
        json_object_set_new(doc, "cost", json_string(cost)) < 0 ||
        json_object_set_new(doc, "chunk_count",
                            json_integer((json_int_t)q->touched.n)) < 0 ||
        json_object_set_new(doc, "rows",
                            json_integer((json_int_t)q->touched.usage.rows))
            < 0 ||
        json_object_set_new(
            doc, "plain_bytes",
            json_integer((json_int_t)q->touched.usage.plain_bytes)) < 0)
        goto fail;
    for (i = 0; i < q->touched.n; i++)
        if (json_array_append_new(
                chunks, json_integer((json_int_t)q->touched.chunks[i].index))
            < 0)
            goto fail;
    if (json_object_set_new(doc, "chunks", chunks) < 0) {
        chunks = NULL;
        goto fail;
    }
    chunks = NULL;
    if (json_object_set_new(doc, "price", price) < 0) {
        price = NULL;
        goto fail;
    }
    return doc;
fail:
    json_decref(doc);
    json_decref(chunks);
    json_decref(price);
    return NULL;
}

void quote_clear(struct quote *q)
{
    if (q == NULL)
        return;
    planner_result_clear(&q->touched);
    memset(q, 0, sizeof *q);
}
