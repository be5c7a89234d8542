/*
 * planner: the chunks a query touches (planner.h).
 */
#include "pricing/planner.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Below this many indexes a chunks query reads each chunk by its key;
 * above, one pass over the data-set's chunks is cheaper. */
#define PLANNER_POINT_READS 64

/* The chunks gathered so far, and which of the data-set's to take. */
struct planner_acc {
    struct planner_result *r;
    size_t cap;
    const uint8_t *keep;      /* per chunk index: 1 keep; NULL: all */
    uint64_t keep_len;
    const uint64_t *want;     /* ascending indexes to take; NULL: keep's */
    size_t want_n, want_at;
};

static int planner_push(struct planner_acc *a, const struct catalog_chunk *c,
                        struct fault *f)
{
    struct planner_result *r = a->r;

    if (r->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        struct catalog_chunk *v = realloc(r->chunks, cap * sizeof *v);

        if (v == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        r->chunks = v;
        a->cap = cap;
    }
    r->chunks[r->n++] = *c;
    /* Neither sum can pass what the data-set itself holds, which a
     * uint64 counted when it was stored; checked all the same. */
    if (__builtin_add_overflow(r->usage.rows, c->rows, &r->usage.rows) ||
        __builtin_add_overflow(r->usage.plain_bytes, c->plain_bytes,
                               &r->usage.plain_bytes))
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the chunk records sum past 2^64");
    r->usage.chunks = r->n;
    return 0;
}

static int planner_take(void *arg, const struct catalog_chunk *c,
                        struct fault *f)
{
    struct planner_acc *a = arg;

    if (a->want != NULL) {
        while (a->want_at < a->want_n && a->want[a->want_at] < c->index)
            a->want_at++;
        if (a->want_at == a->want_n || a->want[a->want_at] != c->index)
            return 0;
    } else if (a->keep != NULL &&
               (c->index >= a->keep_len || !a->keep[c->index])) {
        return 0;
    }
    return planner_push(a, c, f);
}

static int planner_cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

    return (a > b) - (a < b);
}

static int planner_chunks(struct planner_acc *a, struct store *st,
                          const struct catalog_dataset *d,
                          const struct query *q, struct fault *f)
{
    struct catalog_chunk c;
    uint64_t *want = NULL;
    size_t i, n = 0;
    int rv = -1;

    for (i = 0; i < q->nchunks; i++) {
        if (q->chunks[i] >= d->chunk_count) {
            char field[FAULT_FIELD_MAX];

            snprintf(field, sizeof field, "chunks[%zu]", i);
            return fault_set(f, FAULT_INVALID, field,
                             "%s is %" PRIu64 "; the data-set has %" PRIu64
                             " chunks (0 to %" PRIu64 ")",
                             field, q->chunks[i], d->chunk_count,
                             d->chunk_count - (d->chunk_count > 0));
        }
    }
    if (q->nchunks == 0)
        return 0;
    want = malloc(q->nchunks * sizeof *want);
    if (want == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    memcpy(want, q->chunks, q->nchunks * sizeof *want);
    qsort(want, q->nchunks, sizeof *want, planner_cmp_u64);
    for (i = 0; i < q->nchunks; i++)
        if (n == 0 || want[n - 1] != want[i])
            want[n++] = want[i];
    if (n <= PLANNER_POINT_READS) {
        for (i = 0; i < n; i++) {
            if (catalog_get_chunk(st, &c, d->id, want[i], f) < 0 ||
                planner_push(a, &c, f) < 0)
                goto done;
        }
    } else {
        a->want = want;
        a->want_n = n;
        if (catalog_each_chunk(st, d->id, planner_take, a, f) < 0)
            goto done;
    }
    rv = 0;
done:
    a->want = NULL;
    free(want);
    return rv;
}

/* One condition asked of every chunk with bounds for its column. */
struct planner_cond {
    const struct colorder_cond *cond;
    uint8_t *keep;
    uint64_t keep_len;
};

static int planner_bound(void *arg, uint64_t index,
                         const struct catalog_bound *b, struct fault *f)
{
    struct planner_cond *pc = arg;
    int keep;

    (void)f;
    if (index >= pc->keep_len || !pc->keep[index])
        return 0;
    if (pc->cond->type == COLORDER_NUMBER)
        keep = colorder_cond_keep(pc->cond, b->num_min, b->num_min_len,
                                  b->num_max, b->num_max_len);
    else
        keep = colorder_cond_keep(pc->cond, b->text_min, b->text_min_len,
                                  b->text_max, b->text_max_len);
    pc->keep[index] = (uint8_t)keep;
    return 0;
}

static int planner_where(struct planner_acc *a, struct store *st,
                         const struct catalog_dataset *d,
                         const struct query *q, struct fault *f)
{
    struct catalog_column *cols = NULL;
    struct colorder_cond conds[QUERY_WHERE_MAX];
    size_t posv[QUERY_WHERE_MAX];
    struct planner_cond pc;
    char field[FAULT_FIELD_MAX];
    uint8_t *keep = NULL;
    size_t ncols = 0, k, pos;
    int rv = -1;

    if (q->nconds > QUERY_WHERE_MAX)
        return fault_set(f, FAULT_INVALID, "where", "too many conditions");
    if (catalog_get_columns(st, &cols, &ncols, d->id, f) < 0)
        return -1;
    /* Every condition is checked against the columns before any chunk is
     * read: a bad one is the same 400 on any data-set size. */
    for (k = 0; k < q->nconds; k++) {
        for (pos = 0; pos < ncols; pos++)
            if (strcmp(cols[pos].name, q->conds[k].column) == 0)
                break;
        if (pos == ncols) {
            snprintf(field, sizeof field, "where[%zu][0]", k);
            fault_set(f, FAULT_INVALID, field,
                      "%s: the data-set has no column named \"%.64s\"",
                      field, q->conds[k].column);
            goto done;
        }
        posv[k] = pos;
        snprintf(field, sizeof field, "where[%zu][2]", k);
        if (colorder_cond_init(&conds[k],
                               cols[pos].is_number ? COLORDER_NUMBER
                                                   : COLORDER_TEXT,
                               q->conds[k].op, q->conds[k].value,
                               (const uint8_t *)q->conds[k].v,
                               q->conds[k].vn, field, f) < 0)
            goto done;
    }
    if (d->chunk_count == 0) {
        rv = 0;
        goto done;
    }
    if (d->chunk_count > SIZE_MAX) {
        fault_set(f, FAULT_CORRUPT, NULL, "too many chunks");
        goto done;
    }
    /* One byte per chunk: what the conditions so far leave in. */
    keep = malloc((size_t)d->chunk_count);
    if (keep == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    memset(keep, 1, (size_t)d->chunk_count);
    for (k = 0; k < q->nconds; k++) {
        pc.cond = &conds[k];
        pc.keep = keep;
        pc.keep_len = d->chunk_count;
        if (catalog_each_bound(st, d->id, posv[k], planner_bound, &pc, f) < 0)
            goto done;
    }
    a->keep = keep;
    a->keep_len = d->chunk_count;
    if (catalog_each_chunk(st, d->id, planner_take, a, f) < 0)
        goto done;
    rv = 0;
done:
    a->keep = NULL;
    free(keep);
    catalog_columns_free(cols, ncols);
    return rv;
}

void planner_result_clear(struct planner_result *r)
{
    if (r == NULL)
        return;
    free(r->chunks);
    memset(r, 0, sizeof *r);
}

int planner_run(struct planner_result *out, struct store *st,
                const struct catalog_dataset *d, const struct query *q,
                struct fault *f)
{
    struct planner_acc a;
    int rv = -1;

    memset(out, 0, sizeof *out);
    memset(&a, 0, sizeof a);
    a.r = out;
    if (d->format == SPLITTER_BLOB &&
        (q->kind == QUERY_ROWS || q->kind == QUERY_WHERE)) {
        const char *sel = q->kind == QUERY_ROWS ? "rows" : "where";

        fault_set(f, FAULT_INVALID, sel,
                  "%s does not apply to a blob data-set: ask for chunks or "
                  "all", sel);
        goto done;
    }
    switch (q->kind) {
    case QUERY_ROWS:
        rv = catalog_each_chunk_in_rows(st, d->id, q->from,
                                        q->to < d->rows ? q->to : d->rows,
                                        planner_take, &a, f);
        break;
    case QUERY_WHERE:
        rv = planner_where(&a, st, d, q, f);
        break;
    case QUERY_CHUNKS:
        rv = planner_chunks(&a, st, d, q, f);
        break;
    case QUERY_ALL:
        rv = catalog_each_chunk(st, d->id, planner_take, &a, f);
        break;
    default:
        fault_set(f, FAULT_INTERNAL, NULL, "no selector");
        break;
    }
done:
    if (rv < 0)
        planner_result_clear(out);
    return rv;
}
