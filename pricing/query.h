/*
 * query: the body of a query or a quote (DESIGN.md 3.6), read strictly.
 *
 * One JSON object with exactly one selector and an optional "max_cost":
 *
 *   {"rows": {"from": A, "to": B}}      half-open, 0 <= A <= B
 *   {"where": [[column, op, value], ...]}   1 to 32 conditions, ANDed
 *   {"chunks": [i, ...]}                at most 100,000 entries
 *   {"all": true}
 *
 * A where value is a JSON number or string. A number is kept as the text
 * the body wrote (numbers compare by exact decimal value, and 1e400 or a
 * thirty-digit integer would not survive a double), so the body's numbers
 * are read here, not by jansson: each literal is checked against the JSON
 * number grammar and handed to jansson as a zero of the same width, which
 * keeps its line and column in jansson's messages.
 *
 * Every refusal is FAULT_INVALID (FAULT_TOO_LARGE for a body over
 * QUERY_BODY_MAX) naming the field: "body", "rows.from", "where[2][1]",
 * "chunks[7]", "all", "max_cost", or the unknown member. What depends on
 * the data-set (an unknown column, a value of the wrong type, a chunk
 * index past the end, a selector a blob does not take) is the planner's
 * (pricing/planner.h).
 */
#ifndef SLUICE_PRICING_QUERY_H
#define SLUICE_PRICING_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"
#include "storage/colorder.h"

#define QUERY_BODY_MAX (1u << 20)
#define QUERY_WHERE_MAX 32
#define QUERY_CHUNKS_MAX 100000

enum query_kind { QUERY_ROWS = 1, QUERY_WHERE, QUERY_CHUNKS, QUERY_ALL };

struct query_cond {
    char *column;             /* UTF-8, owned */
    enum colorder_op op;
    enum colorder_kind value; /* NUMBER (a JSON number) or TEXT (a string) */
    char *v;                  /* the number's text, or the string; owned */
    size_t vn;
};

struct query {
    enum query_kind kind;
    uint64_t from, to;        /* QUERY_ROWS, as given (to not clamped) */
    struct query_cond *conds; /* QUERY_WHERE */
    size_t nconds;
    uint64_t *chunks;         /* QUERY_CHUNKS, in the body's order */
    size_t nchunks;
    int has_max_cost;
    uint64_t max_cost;        /* units, at most 2^63 - 1 */
};

/* Read the query body[0..len) into *out. Returns 0 with *out filled (free
 * with query_clear); on failure -1 with *out zeroed and f set as above
 * (FAULT_INTERNAL when memory runs out). */
int query_parse(struct query *out, const uint8_t *body, size_t len,
                struct fault *f) __attribute__((warn_unused_result));

/* Free what q owns and zero it. q may be NULL. */
void query_clear(struct query *q);

#endif
