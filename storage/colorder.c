#include "storage/colorder.h"

#include <stdlib.h>
#include <string.h>

/* ---- values ------------------------------------------------------------ */

enum colorder_kind colorder_classify_field(const uint8_t *v, size_t n)
{
    if (n == 0)
        return COLORDER_NONE;
    return numtext_is_number((const char *)v, n) ? COLORDER_NUMBER
                                                 : COLORDER_TEXT;
}

static int colorder_bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
                              size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, n) : 0;

    if (c != 0)
        return c < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

int colorder_compare(enum colorder_kind type, const uint8_t *a, size_t alen,
                     const uint8_t *b, size_t blen)
{
    if (type == COLORDER_NUMBER)
        return numtext_compare((const char *)a, alen, (const char *)b, blen);
    return colorder_bytes_cmp(a, alen, b, blen);
}

/* ---- conditions ------------------------------------------------------- */

static const char *const colorder_op_names[] = {
    [COLORDER_EQ] = "=",  [COLORDER_NE] = "!=", [COLORDER_LT] = "<",
    [COLORDER_LE] = "<=", [COLORDER_GT] = ">",  [COLORDER_GE] = ">=",
};
#define COLORDER_NOPS (sizeof colorder_op_names / sizeof colorder_op_names[0])

int colorder_op_parse(enum colorder_op *out, const char *s, size_t len)
{
    size_t i;

    *out = COLORDER_EQ;
    if (s == NULL)
        return -1;
    for (i = 0; i < COLORDER_NOPS; i++) {
        if (strlen(colorder_op_names[i]) == len &&
            memcmp(colorder_op_names[i], s, len) == 0) {
            *out = (enum colorder_op)i;
            return 0;
        }
    }
    return -1;
}

const char *colorder_op_name(enum colorder_op op)
{
    if ((size_t)op >= COLORDER_NOPS)
        return "?";
    return colorder_op_names[op];
}

int colorder_cond_init(struct colorder_cond *out, enum colorder_kind type,
                       enum colorder_op op, enum colorder_kind value,
                       const uint8_t *v, size_t vn, const char *field,
                       struct fault *f)
{
    memset(out, 0, sizeof *out);
    if ((type != COLORDER_NUMBER && type != COLORDER_TEXT) ||
        (size_t)op >= COLORDER_NOPS || (v == NULL && vn > 0))
        return fault_set(f, FAULT_INTERNAL, field,
                         "a condition with no column type, op or value");
    if (type == COLORDER_NUMBER && value != COLORDER_NUMBER)
        return fault_set(f, FAULT_INVALID, field,
                         "the column is a number column: compare it with a "
                         "JSON number");
    if (type == COLORDER_TEXT && value != COLORDER_TEXT)
        return fault_set(f, FAULT_INVALID, field,
                         "the column is a text column: compare it with a "
                         "JSON string");
    if (type == COLORDER_NUMBER &&
        !numtext_parse(&out->np, (const char *)v, vn))
        return fault_set(f, FAULT_INVALID, field, "not a JSON number");
    out->type = type;
    out->op = op;
    out->v = v;
    out->vn = vn;
    return 0;
}

/* Compare stored bound b[0..n) with c's value under c's type into *cmp.
 * Returns 1, or 0 when there is no usable bound (NULL, or a number bound
 * that is not a number). */
static int colorder_bound_vs(const struct colorder_cond *c, const uint8_t *b,
                             size_t n, int *cmp)
{
    struct numtext_parts p;

    if (b == NULL)
        return 0;
    if (c->type == COLORDER_NUMBER) {
        if (!numtext_parse(&p, (const char *)b, n))
            return 0;
        *cmp = numtext_compare_parts((const char *)b, &p,
                                     (const char *)c->v, &c->np);
    } else {
        *cmp = colorder_bytes_cmp(b, n, c->v, c->vn);
    }
    return 1;
}

/* Every indexed value x of the chunk has lo <= x <= hi (a missing bound:
 * no limit on that side). Some x can satisfy "x op v" unless the bounds
 * exclude it; for `!=` only when every x equals v, which min == max == v
 * shows: a cut min is below its value and a raised max above its own, so
 * stored bounds that are equal were both exact. */
int colorder_cond_keep(const struct colorder_cond *c, const uint8_t *min,
                       size_t min_len, const uint8_t *max, size_t max_len)
{
    int clo = 0, chi = 0;
    int lo = colorder_bound_vs(c, min, min_len, &clo);
    int hi = colorder_bound_vs(c, max, max_len, &chi);

    switch (c->op) {
    case COLORDER_EQ:
        return (!lo || clo <= 0) && (!hi || chi >= 0);
    case COLORDER_NE:
        return !(lo && hi && clo == 0 && chi == 0);
    case COLORDER_LT:
        return !lo || clo < 0;
    case COLORDER_LE:
        return !lo || clo <= 0;
    case COLORDER_GT:
        return !hi || chi > 0;
    case COLORDER_GE:
        return !hi || chi >= 0;
    }
    return 1;
}

int colorder_cond_match(const struct colorder_cond *c, enum colorder_kind kind,
                        const uint8_t *v, size_t vn)
{
    int cmp;

    if (kind == COLORDER_NONE)
        return 0;
    if (c->type == COLORDER_NUMBER) {
        struct numtext_parts p;
        if (kind != COLORDER_NUMBER || !numtext_parse(&p, (const char *)v, vn))
            return 0;
        cmp = numtext_compare_parts((const char *)v, &p, (const char *)c->v,
                                    &c->np);
    } else {
        cmp = colorder_bytes_cmp(v, vn, c->v, c->vn);
    }
    switch (c->op) {
    case COLORDER_EQ:
        return cmp == 0;
    case COLORDER_NE:
        return cmp != 0;
    case COLORDER_LT:
        return cmp < 0;
    case COLORDER_LE:
        return cmp <= 0;
    case COLORDER_GT:
        return cmp > 0;
    case COLORDER_GE:
        return cmp >= 0;
    }
    return 0;
}
