/*
 * planner: which chunks of a data-set a query touches (DESIGN.md 3.6),
 * over the chunk records and the per-chunk min/max index that ingest
 * keeps (storage/catalog.h, storage/colorder.h).
 *
 * - rows {from, to}: the chunks holding a row in [from, min(to, rows));
 *   from = to, or from past the end, touches none.
 * - where: the chunks that every condition's bounds may hold a row for
 *   (colorder_cond_keep); a chunk without bounds for a column is kept.
 *   A column is found by its exact name; its type is the one ingest gave
 *   it (a column with no indexed value is text).
 * - chunks: the indexes given, duplicates dropped; each below
 *   chunk_count.
 * - all: every chunk.
 * Blob data-sets take only chunks and all. The answer is in ascending
 * index, with the sums a price needs (a chunk is paid whole).
 *
 * Refusals are FAULT_INVALID naming the field: "rows" or "where" on a
 * blob, "where[k][0]" for an unknown column, "where[k][2]" for a value of
 * the wrong type for the column, "chunks[k]" for the first index at or
 * past chunk_count.
 */
#ifndef SLUICE_PRICING_PLANNER_H
#define SLUICE_PRICING_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"
#include "pricing/plan.h"
#include "pricing/query.h"
#include "storage/catalog.h"

struct planner_result {
    struct catalog_chunk *chunks; /* ascending index; NULL when none */
    size_t n;
    struct plan_usage usage;      /* n, and the sums of rows and bytes */
};

/* Plan q over data-set d (published: its format, rows and chunk_count are
 * read) in st, inside the caller's read or unit of work. Returns 0 with
 * *out filled (free with planner_result_clear); on failure -1 with *out
 * zeroed and f set as above, or the store's fault. */
int planner_run(struct planner_result *out, struct store *st,
                const struct catalog_dataset *d, const struct query *q,
                struct fault *f) __attribute__((warn_unused_result));

/* Free what r holds and zero it. r may be NULL. */
void planner_result_clear(struct planner_result *r);

#endif
