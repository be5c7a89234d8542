/*
 * query: reading a query body (query.h). The body's numbers are lifted out
 * first (query_lex), so that a where value keeps the exact text it was
 * written with; the rest is read with jsonv over a copy in which each
 * number is a zero, in the body's order, with a running count that pairs
 * each number jansson gives back with its text.
 */
#include "pricing/query.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonv.h"

/* Where each number literal of the body lies, in the body's order. */
struct query_lits {
    size_t *off;
    size_t *len;
    size_t n, cap;
    size_t next; /* the next one to hand out */
};

static void query_lits_free(struct query_lits *l)
{
    free(l->off);
    free(l->len);
    memset(l, 0, sizeof *l);
}

static int query_lits_push(struct query_lits *l, size_t off, size_t len,
                           struct fault *f)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        size_t *o = realloc(l->off, cap * sizeof *o);

        if (o == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        l->off = o;
        o = realloc(l->len, cap * sizeof *o);
        if (o == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        l->len = o;
        l->cap = cap;
    }
    l->off[l->n] = off;
    l->len[l->n] = len;
    l->n++;
    return 0;
}

static int query_num_byte(uint8_t b)
{
    return (b >= '0' && b <= '9') || b == '-' || b == '+' || b == '.' ||
           b == 'e' || b == 'E';
}

/* Find the number literals of body[0..len) outside strings, check each
 * against the JSON number grammar, and write into copy (len bytes) the
 * body with each one replaced by "0" and spaces. A malformed body that
 * holds no bad number is left for jansson to name. */
static int query_lex(uint8_t *copy, struct query_lits *lits,
                     const uint8_t *body, size_t len, struct fault *f)
{
    size_t i = 0, j;
    int in_string = 0;

    memcpy(copy, body, len);
    while (i < len) {
        uint8_t b = body[i];

        if (in_string) {
            if (b == '\\')
                i++;
            else if (b == '"')
                in_string = 0;
            i++;
            continue;
        }
        if (b == '"') {
            in_string = 1;
            i++;
            continue;
        }
        if (b != '-' && (b < '0' || b > '9')) {
            i++;
            continue;
        }
        for (j = i; j < len && query_num_byte(body[j]); j++)
            ;
        if (colorder_classify_field(body + i, j - i) != COLORDER_NUMBER)
            return fault_set(f, FAULT_INVALID, "body",
                             "the body is not valid JSON: \"%.*s\" at byte "
                             "%zu is not a number",
                             (int)(j - i > 40 ? 40 : j - i), body + i, i);
        if (query_lits_push(lits, i, j - i, f) < 0)
            return -1;
        copy[i] = '0';
        memset(copy + i + 1, ' ', j - i - 1);
        i = j;
    }
    return 0;
}

/* The reading of one body. */
struct query_read {
    const uint8_t *body;
    struct query_lits lits;
    struct query *q;
};

/* Take the text of the next number (j must be one). */
static void query_next_lit(struct query_read *r, const char **text,
                           size_t *len)
{
    size_t k = r->lits.next++;

    /* Every number jansson reads came from one literal, in order. */
    if (k >= r->lits.n) {
        *text = "0";
        *len = 1;
        return;
    }
    *text = (const char *)r->body + r->lits.off[k];
    *len = r->lits.len[k];
}

/* Read the number j (at field) as a JSON integer of 3.2: digits only,
 * at most 2^53. */
static int query_uint(struct query_read *r, uint64_t *out, const json_t *j,
                      const char *field, struct fault *f)
{
    const char *t;
    size_t n, i;
    uint64_t v = 0;

    *out = 0;
    if (!json_is_number(j))
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a JSON integer", field);
    query_next_lit(r, &t, &n);
    for (i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return fault_set(f, FAULT_INVALID, field,
                             "%s must be a non-negative JSON integer, "
                             "written without a fraction or exponent "
                             "(got %.*s)",
                             field, (int)(n > 40 ? 40 : n), t);
        if (v > (JSONV_INT_MAX - (uint64_t)(t[i] - '0')) / 10)
            return fault_set(f, FAULT_INVALID, field,
                             "%s is above 2^53", field);
        v = v * 10 + (uint64_t)(t[i] - '0');
    }
    *out = v;
    return 0;
}

/* Count the numbers inside j that the reading skips (none is skipped
 * unless it is refused first; kept for a member whose value is checked
 * later than its place). */
static void query_skip(struct query_read *r, const json_t *j)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_number(j)) {
        r->lits.next++;
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v)
            query_skip(r, v);
    } else if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, v)
            query_skip(r, v);
    }
}

static int query_rows(struct query_read *r, const json_t *j, struct fault *f)
{
    static const char *const keys[] = {"from", "to", NULL};
    const char *key;
    json_t *v;
    int has_from = 0, has_to = 0;

    if (!json_is_object(j))
        return fault_set(f, FAULT_INVALID, "rows",
                         "rows must be an object {\"from\": A, \"to\": B}");
    if (jsonv_check_keys(j, keys, "rows", f) < 0)
        return -1;
    /* In the body's order, so that the numbers pair with their texts. */
    json_object_foreach((json_t *)j, key, v) {
        if (strcmp(key, "from") == 0) {
            if (query_uint(r, &r->q->from, v, "rows.from", f) < 0)
                return -1;
            has_from = 1;
        } else {
            if (query_uint(r, &r->q->to, v, "rows.to", f) < 0)
                return -1;
            has_to = 1;
        }
    }
    if (!has_from)
        return fault_set(f, FAULT_INVALID, "rows.from",
                         "rows.from is required");
    if (!has_to)
        return fault_set(f, FAULT_INVALID, "rows.to", "rows.to is required");
    if (r->q->from > r->q->to)
        return fault_set(f, FAULT_INVALID, "rows.to",
                         "rows.to (%" PRIu64 ") is below rows.from (%" PRIu64
                         "): the range is half-open, from <= to",
                         r->q->to, r->q->from);
    return 0;
}

static int query_cond(struct query_read *r, struct query_cond *c,
                      const json_t *j, size_t k, struct fault *f)
{
    char field[FAULT_FIELD_MAX];
    const json_t *col, *op, *val;
    const char *t;
    size_t n;

    snprintf(field, sizeof field, "where[%zu]", k);
    if (!json_is_array(j) || json_array_size(j) != 3)
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be an array [column, op, value]", field);
    col = json_array_get(j, 0);
    op = json_array_get(j, 1);
    val = json_array_get(j, 2);
    snprintf(field, sizeof field, "where[%zu][0]", k);
    if (!json_is_string(col) || json_string_length(col) == 0)
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a column's name (a non-empty string)",
                         field);
    snprintf(field, sizeof field, "where[%zu][1]", k);
    if (!json_is_string(op) ||
        colorder_op_parse(&c->op, json_string_value(op),
                          json_string_length(op)) < 0)
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be one of \"=\", \"!=\", \"<\", \"<=\", "
                         "\">\", \">=\"", field);
    snprintf(field, sizeof field, "where[%zu][2]", k);
    if (json_is_number(val)) {
        query_next_lit(r, &t, &n);
        c->value = COLORDER_NUMBER;
    } else if (json_is_string(val)) {
        t = json_string_value(val);
        n = json_string_length(val);
        c->value = COLORDER_TEXT;
    } else {
        query_skip(r, val);
        return fault_set(f, FAULT_INVALID, field,
                         "%s must be a JSON number or string", field);
    }
    c->column = strndup(json_string_value(col), json_string_length(col));
    c->v = malloc(n + 1);
    if (c->column == NULL || c->v == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    memcpy(c->v, t, n);
    c->v[n] = '\0';
    c->vn = n;
    return 0;
}

static int query_where(struct query_read *r, const json_t *j, struct fault *f)
{
    json_t *v;
    size_t i, n;

    if (!json_is_array(j))
        return fault_set(f, FAULT_INVALID, "where",
                         "where must be an array of [column, op, value]");
    n = json_array_size(j);
    if (n < 1 || n > QUERY_WHERE_MAX)
        return fault_set(f, FAULT_INVALID, "where",
                         "where must hold 1 to %d conditions (it holds %zu)",
                         QUERY_WHERE_MAX, n);
    r->q->conds = calloc(n, sizeof *r->q->conds);
    if (r->q->conds == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    r->q->nconds = n;
    json_array_foreach(j, i, v) {
        if (query_cond(r, &r->q->conds[i], v, i, f) < 0)
            return -1;
    }
    return 0;
}

static int query_chunks(struct query_read *r, const json_t *j,
                        struct fault *f)
{
    char field[FAULT_FIELD_MAX];
    json_t *v;
    size_t i, n;

    if (!json_is_array(j))
        return fault_set(f, FAULT_INVALID, "chunks",
                         "chunks must be an array of chunk indexes");
    n = json_array_size(j);
    if (n > QUERY_CHUNKS_MAX)
        return fault_set(f, FAULT_INVALID, "chunks",
                         "chunks holds %zu entries; at most %d", n,
                         QUERY_CHUNKS_MAX);
    if (n > 0) {
        r->q->chunks = malloc(n * sizeof *r->q->chunks);
        if (r->q->chunks == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    r->q->nchunks = n;
    json_array_foreach(j, i, v) {
        snprintf(field, sizeof field, "chunks[%zu]", i);
        if (query_uint(r, &r->q->chunks[i], v, field, f) < 0)
            return -1;
    }
    return 0;
}

static int query_max_cost(struct query_read *r, const json_t *body,
                          struct fault *f)
{
    const char *text;

    if (jsonv_get_decimal(&text, body, "max_cost", 0, "", f) < 0)
        return -1;
    if (text == NULL)
        return 0;
    if (jsonv_decimal_to_u64(&r->q->max_cost, text, "max_cost", f) != 0 ||
        r->q->max_cost > (uint64_t)INT64_MAX) {
        r->q->max_cost = 0;
        return fault_set(f, FAULT_INVALID, "max_cost",
                         "max_cost is above 2^63 - 1 units");
    }
    r->q->has_max_cost = 1;
    return 0;
}

static int query_read_body(struct query_read *r, const json_t *body,
                           struct fault *f)
{
    static const char *const keys[] = {"rows", "where", "chunks", "all",
                                       "max_cost", NULL};
    const char *key, *first = NULL;
    json_t *v;
    int all, present;

    if (jsonv_check_keys(body, keys, "", f) < 0)
        return -1;
    json_object_foreach((json_t *)body, key, v) {
        if (strcmp(key, "max_cost") == 0) {
            if (query_max_cost(r, body, f) < 0)
                return -1;
            continue;
        }
        if (first != NULL)
            return fault_set(f, FAULT_INVALID, key,
                             "a query holds exactly one selector; it has "
                             "both %s and %s", first, key);
        first = key;
        if (strcmp(key, "rows") == 0) {
            r->q->kind = QUERY_ROWS;
            if (query_rows(r, v, f) < 0)
                return -1;
        } else if (strcmp(key, "where") == 0) {
            r->q->kind = QUERY_WHERE;
            if (query_where(r, v, f) < 0)
                return -1;
        } else if (strcmp(key, "chunks") == 0) {
            r->q->kind = QUERY_CHUNKS;
            if (query_chunks(r, v, f) < 0)
                return -1;
        } else {
            r->q->kind = QUERY_ALL;
            if (jsonv_get_bool(&all, &present, body, "all", 1, "", f) < 0)
                return -1;
            if (!all)
                return fault_set(f, FAULT_INVALID, "all",
                                 "all must be true");
        }
    }
    if (first == NULL)
        return fault_set(f, FAULT_INVALID, "body",
                         "a query needs one selector: rows, where, chunks "
                         "or all");
    return 0;
}

void query_clear(struct query *q)
{
    size_t i;

    if (q == NULL)
        return;
    for (i = 0; i < q->nconds; i++) {
        free(q->conds[i].column);
        free(q->conds[i].v);
    }
    free(q->conds);
    free(q->chunks);
    memset(q, 0, sizeof *q);
}

int query_parse(struct query *out, const uint8_t *body, size_t len,
                struct fault *f)
{
    struct query_read r;
    uint8_t *copy = NULL;
    json_t *doc = NULL;
    int rv = -1;

    memset(out, 0, sizeof *out);
    memset(&r, 0, sizeof r);
    r.body = body;
    r.q = out;
    if (len > QUERY_BODY_MAX) {
        fault_set(f, FAULT_TOO_LARGE, "body",
                  "a query body is at most %u bytes (this one is %zu)",
                  QUERY_BODY_MAX, len);
        goto done;
    }
    if (len == 0) {
        fault_set(f, FAULT_INVALID, "body",
                  "a query needs a JSON body with one selector");
        goto done;
    }
    copy = malloc(len);
    if (copy == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (query_lex(copy, &r.lits, body, len, f) < 0 ||
        jsonv_parse_object(&doc, copy, len, f) < 0 ||
        query_read_body(&r, doc, f) < 0)
        goto done;
    rv = 0;
done:
    if (rv < 0)
        query_clear(out);
    json_decref(doc);
    free(copy);
    query_lits_free(&r.lits);
    return rv;
}
