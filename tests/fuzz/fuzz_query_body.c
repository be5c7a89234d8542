/*
 * fuzz_query_body: any bytes as the body of a query (pricing/query.c).
 *
 * Checked on every input:
 * - a refusal leaves the query zeroed, is FAULT_INVALID (FAULT_TOO_LARGE
 *   over QUERY_BODY_MAX, FAULT_INTERNAL only for memory) and names a
 *   field, and its detail is valid UTF-8 within bounds;
 * - a query that is read has exactly one selector, and only that
 *   selector's members set: rows with from <= to, both at most 2^53;
 *   where with 1 to 32 conditions, each a non-empty column, an op, and a
 *   value that is a string or a number whose text matches the JSON number
 *   grammar; chunks with at most 100,000 entries, each at most 2^53;
 *   max_cost at most 2^63 - 1;
 * - the query read agrees with jansson's own reading of the same body
 *   wherever jansson reads it (the literals are paired with the right
 *   members: rows and chunks exactly, where numbers by their double);
 *   where jansson refuses the body for anything but a number out of its
 *   range, so does query_parse;
 * - written back as a canonical body and read again, it is the same
 *   query.
 * Once, before the first input, the limits are tried at and just past
 * each edge (inputs the fuzzer's 4 KiB would never reach): 100,000 chunk
 * indexes and 100,001, a body of 1 MiB and one byte more, 32 conditions
 * and 33, rows.to of 2^53 and 2^53 + 1, max_cost of 2^63 - 1 and 2^63.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/jsonv.h"
#include "pricing/query.h"
#include "storage/numtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
    json_t *j;

    if (strnlen(s, cap) >= cap)
        abort();
    j = json_string(s); /* NULL when not valid UTF-8 */
    if (j == NULL)
        abort();
    json_decref(j);
}

/* A growing text. */
struct fqb_buf {
    char *p;
    size_t len, cap;
};

static void fqb_put(struct fqb_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void fqb_puts(struct fqb_buf *b, const char *s)
{
    fqb_put(b, s, strlen(s));
}

static void fqb_u64(struct fqb_buf *b, uint64_t v)
{
    char t[24];

    snprintf(t, sizeof t, "%llu", (unsigned long long)v);
    fqb_puts(b, t);
}

static void fqb_string(struct fqb_buf *b, const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    char *t;

    if (j == NULL)
        abort(); /* what the parser gave back must be valid UTF-8 */
    t = json_dumps(j, JSON_ENCODE_ANY);
    if (t == NULL)
        abort();
    fqb_puts(b, t);
    free(t);
    json_decref(j);
}

/* q written back as a canonical body. */
static char *fqb_body(const struct query *q, size_t *len)
{
    struct fqb_buf b = {NULL, 0, 0};
    size_t i;

    fqb_puts(&b, "{");
    switch (q->kind) {
    case QUERY_ROWS:
        fqb_puts(&b, "\"rows\":{\"from\":");
        fqb_u64(&b, q->from);
        fqb_puts(&b, ",\"to\":");
        fqb_u64(&b, q->to);
        fqb_puts(&b, "}");
        break;
    case QUERY_WHERE:
        fqb_puts(&b, "\"where\":[");
        for (i = 0; i < q->nconds; i++) {
            const struct query_cond *c = &q->conds[i];
            fqb_puts(&b, i ? ",[" : "[");
            fqb_string(&b, c->column, strlen(c->column));
            fqb_puts(&b, ",");
            fqb_string(&b, colorder_op_name(c->op),
                       strlen(colorder_op_name(c->op)));
            fqb_puts(&b, ",");
            if (c->value == COLORDER_NUMBER)
                fqb_put(&b, c->v, c->vn);
            else
                fqb_string(&b, c->v, c->vn);
            fqb_puts(&b, "]");
        }
        fqb_puts(&b, "]");
        break;
    case QUERY_CHUNKS:
        fqb_puts(&b, "\"chunks\":[");
        for (i = 0; i < q->nchunks; i++) {
            if (i)
                fqb_puts(&b, ",");
            fqb_u64(&b, q->chunks[i]);
        }
        fqb_puts(&b, "]");
        break;
    case QUERY_ALL:
        fqb_puts(&b, "\"all\":true");
        break;
    }
    if (q->has_max_cost) {
        fqb_puts(&b, ",\"max_cost\":\"");
        fqb_u64(&b, q->max_cost);
        fqb_puts(&b, "\"");
    }
    fqb_puts(&b, "}");
    *len = b.len;
    return b.p;
}

static int same_query(const struct query *a, const struct query *b)
{
    size_t i;

    if (a->kind != b->kind || a->from != b->from || a->to != b->to ||
        a->nconds != b->nconds || a->nchunks != b->nchunks ||
        a->has_max_cost != b->has_max_cost || a->max_cost != b->max_cost)
        return 0;
    for (i = 0; i < a->nconds; i++) {
        const struct query_cond *x = &a->conds[i], *y = &b->conds[i];
        if (strcmp(x->column, y->column) != 0 || x->op != y->op ||
            x->value != y->value || x->vn != y->vn ||
            memcmp(x->v, y->v, x->vn) != 0)
            return 0;
    }
    for (i = 0; i < a->nchunks; i++)
        if (a->chunks[i] != b->chunks[i])
            return 0;
    return 1;
}

static void check_shape(const struct query *q)
{
    size_t i;

    if (q->has_max_cost ? q->max_cost > (uint64_t)INT64_MAX
                        : q->max_cost != 0)
        abort();
    if (q->kind != QUERY_ROWS && (q->from != 0 || q->to != 0))
        abort();
    if (q->kind != QUERY_WHERE && (q->conds != NULL || q->nconds != 0))
        abort();
    if (q->kind != QUERY_CHUNKS && (q->chunks != NULL || q->nchunks != 0))
        abort();
    switch (q->kind) {
    case QUERY_ROWS:
        if (q->from > q->to || q->to > JSONV_INT_MAX)
            abort();
        break;
    case QUERY_WHERE:
        if (q->nconds < 1 || q->nconds > QUERY_WHERE_MAX || q->conds == NULL)
            abort();
        for (i = 0; i < q->nconds; i++) {
            const struct query_cond *c = &q->conds[i];
            if (c->column == NULL || c->column[0] == '\0' || c->v == NULL ||
                c->v[c->vn] != '\0')
                abort();
            if (strcmp(colorder_op_name(c->op), "?") == 0)
                abort();
            if (c->value == COLORDER_NUMBER) {
                if (!numtext_is_number(c->v, c->vn) ||
                    colorder_classify_field((const uint8_t *)c->v, c->vn) !=
                        COLORDER_NUMBER ||
                    strlen(c->v) != c->vn)
                    abort();
            } else if (c->value != COLORDER_TEXT) {
                abort();
            }
        }
        break;
    case QUERY_CHUNKS:
        if (q->nchunks > QUERY_CHUNKS_MAX ||
            (q->nchunks > 0) != (q->chunks != NULL))
            abort();
        for (i = 0; i < q->nchunks; i++)
            if (q->chunks[i] > JSONV_INT_MAX)
                abort();
        break;
    case QUERY_ALL:
        break;
    default:
        abort();
    }
}

/* The query against jansson's reading of the same body (doc, an object
 * that holds q's selector). */
static void check_against(const struct query *q, const json_t *doc)
{
    const json_t *v, *c;
    size_t i, nsel = 0;

    nsel += json_object_get(doc, "rows") != NULL;
    nsel += json_object_get(doc, "where") != NULL;
    nsel += json_object_get(doc, "chunks") != NULL;
    nsel += json_object_get(doc, "all") != NULL;
    if (nsel != 1 ||
        (json_object_get(doc, "max_cost") != NULL) != q->has_max_cost ||
        json_object_size(doc) != 1u + (unsigned)q->has_max_cost)
        abort();
    switch (q->kind) {
    case QUERY_ROWS:
        v = json_object_get(doc, "rows");
        if (!json_is_integer(json_object_get(v, "from")) ||
            !json_is_integer(json_object_get(v, "to")) ||
            (uint64_t)json_integer_value(json_object_get(v, "from")) !=
                q->from ||
            (uint64_t)json_integer_value(json_object_get(v, "to")) != q->to)
            abort();
        break;
    case QUERY_WHERE:
        v = json_object_get(doc, "where");
        if (json_array_size(v) != q->nconds)
            abort();
        for (i = 0; i < q->nconds; i++) {
            const struct query_cond *qc = &q->conds[i];
            c = json_array_get(v, i);
            if (strcmp(json_string_value(json_array_get(c, 0)), qc->column) !=
                    0 ||
                strcmp(json_string_value(json_array_get(c, 1)),
                       colorder_op_name(qc->op)) != 0)
                abort();
            c = json_array_get(c, 2);
            if (qc->value == COLORDER_TEXT) {
                if (!json_is_string(c) || json_string_length(c) != qc->vn ||
                    memcmp(json_string_value(c), qc->v, qc->vn) != 0)
                    abort();
            } else {
                double want;
                if (!json_is_number(c))
                    abort();
                /* jansson keeps an integer that fits as one; the text's
                 * double is what jansson would give for a real. */
                want = strtod(qc->v, NULL);
                if (json_is_integer(c)) {
                    if ((double)json_integer_value(c) != want &&
                        !(isinf(want) || fabs(want) > 9e15))
                        abort();
                } else if (json_real_value(c) != want) {
                    abort();
                }
            }
        }
        break;
    case QUERY_CHUNKS:
        v = json_object_get(doc, "chunks");
        if (json_array_size(v) != q->nchunks)
            abort();
        for (i = 0; i < q->nchunks; i++) {
            c = json_array_get(v, i);
            if (!json_is_integer(c) ||
                (uint64_t)json_integer_value(c) != q->chunks[i])
                abort();
        }
        break;
    case QUERY_ALL:
        if (!json_is_true(json_object_get(doc, "all")))
            abort();
        break;
    }
}

/* Parse body[0..len) (len 0: the string) and check that it is read, or
 * refused naming field. */
static void edge(const char *body, size_t len, const char *field)
{
    struct query q;
    struct fault f;
    int rv = query_parse(&q, (const uint8_t *)body, len ? len : strlen(body),
                         &f);

    if (field == NULL) {
        if (rv != 0)
            abort();
        check_shape(&q);
        query_clear(&q);
    } else if (rv == 0 || strcmp(f.field, field) != 0) {
        abort();
    }
}

static void check_edges(void)
{
    struct fqb_buf b = {NULL, 0, 0};
    size_t i;

    for (i = QUERY_CHUNKS_MAX; i <= QUERY_CHUNKS_MAX + 1; i++) {
        size_t k;
        b.len = 0;
        fqb_puts(&b, "{\"chunks\":[");
        for (k = 0; k < i; k++)
            fqb_puts(&b, k ? ",7" : "7");
        fqb_puts(&b, "]}");
        edge(b.p, b.len, i > QUERY_CHUNKS_MAX ? "chunks" : NULL);
    }
    for (i = QUERY_BODY_MAX; i <= QUERY_BODY_MAX + 1; i++) {
        b.len = 0;
        fqb_puts(&b, "{\"all\":true}");
        while (b.len < i)
            fqb_puts(&b, " ");
        edge(b.p, b.len, i > QUERY_BODY_MAX ? "body" : NULL);
    }
    for (i = QUERY_WHERE_MAX; i <= QUERY_WHERE_MAX + 1; i++) {
        size_t k;
        b.len = 0;
        fqb_puts(&b, "{\"where\":[");
        for (k = 0; k < i; k++)
            fqb_puts(&b, k ? ",[\"a\",\"<\",-1.5e-3]" : "[\"a\",\"<\",1]");
        fqb_puts(&b, "]}");
        edge(b.p, b.len, i > QUERY_WHERE_MAX ? "where" : NULL);
    }
    edge("{\"rows\":{\"from\":0,\"to\":9007199254740992}}", 0, NULL);
    edge("{\"rows\":{\"from\":0,\"to\":9007199254740993}}", 0, "rows.to");
    edge("{\"all\":true,\"max_cost\":\"9223372036854775807\"}", 0, NULL);
    edge("{\"all\":true,\"max_cost\":\"9223372036854775808\"}", 0,
         "max_cost");
    free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct query zero;
    static int edges_done;
    struct query q, q2;
    struct fault f;
    json_error_t err;
    json_t *doc;
    char *back;
    size_t back_len;
    int rv;

    if (!edges_done) {
        check_edges();
        edges_done = 1;
    }
    memset(&q, 0xa5, sizeof q);
    fault_clear(&f);
    rv = query_parse(&q, data, size, &f);
    /* jansson's own reading of the body, for comparison. */
    doc = size > 0 && memchr(data, '\0', size) == NULL
              ? json_loadb((const char *)data, size,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err)
              : NULL;
    if (rv != 0) {
        if (memcmp(&q, &zero, sizeof q) != 0)
            abort();
        if (f.kind != FAULT_INVALID && f.kind != FAULT_TOO_LARGE &&
            f.kind != FAULT_INTERNAL)
            abort();
        if (f.kind == FAULT_TOO_LARGE && size <= QUERY_BODY_MAX)
            abort();
        if (f.kind != FAULT_INTERNAL && f.field[0] == '\0')
            abort();
        if (f.detail[0] == '\0')
            abort();
        check_text(f.field, sizeof f.field);
        check_text(f.detail, sizeof f.detail);
        json_decref(doc);
        return 0;
    }
    check_shape(&q);
    if (doc == NULL) {
        /* Only a number jansson cannot hold may make it refuse a body
         * that query_parse reads. */
        if (json_error_code(&err) != json_error_numeric_overflow)
            abort();
    } else {
        if (!json_is_object(doc))
            abort();
        check_against(&q, doc);
        json_decref(doc);
    }
    back = fqb_body(&q, &back_len);
    memset(&q2, 0xa5, sizeof q2);
    if (query_parse(&q2, (const uint8_t *)back, back_len, &f) != 0 ||
        !same_query(&q, &q2))
        abort();
    query_clear(&q2);
    free(back);
    query_clear(&q);
    if (memcmp(&q, &zero, sizeof q) != 0)
        abort();
    return 0;
}
