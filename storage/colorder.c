#include "storage/colorder.h"

#include <stdlib.h>
#include <string.h>

/* The extreme keys: a window from MAX down to MIN holds nothing. */
#define COLORDER_KEY_MAX ((numtext_key)(~(colorder_tkey)0 >> 1))
#define COLORDER_KEY_MIN (-COLORDER_KEY_MAX - 1)

const uint64_t colorder_low[9] = {
    0,
    0xffull,
    0xffffull,
    0xffffffull,
    0xffffffffull,
    0xffffffffffull,
    0xffffffffffffull,
    0xffffffffffffffull,
    0xffffffffffffffffull,
};

static int colorder_oom(struct fault *f)
{
    return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
}

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

/* ---- contexts and columns ---------------------------------------------- */

void colorder_bound_free(struct colorder_bound *b)
{
    if (b == NULL)
        return;
    free(b->min);
    free(b->max);
    memset(b, 0, sizeof *b);
}

int colorder_ctx_init(struct colorder_ctx *ctx, size_t max_index_value,
                      struct fault *f)
{
    memset(ctx, 0, sizeof *ctx);
    if (max_index_value < 16 || max_index_value > SIZE_MAX / 8)
        return fault_set(f, FAULT_INVALID, "max_index_value",
                         "max_index_value must be at least 16");
    ctx->shapes = calloc(256, sizeof *ctx->shapes);
    if (ctx->shapes == NULL)
        return colorder_oom(f);
    ctx->max_index_value = max_index_value;
    ctx->gen = 1;
    return 0;
}

void colorder_ctx_release(struct colorder_ctx *ctx)
{
    if (ctx == NULL)
        return;
    free(ctx->shapes);
    memset(ctx, 0, sizeof *ctx);
}

void colorder_col_init(struct colorder_col *c)
{
    memset(c, 0, sizeof *c); /* windows empty */
}

void colorder_col_release(struct colorder_col *c)
{
    free(c->nmin.b);
    free(c->nmax.b);
    free(c->tmin.b);
    free(c->tmax.b);
}

/* Whether c holds a number: once seen, or in the chunk being built (a
 * number sets its bounds or poisons them). */
static int colorder_seen_num(const struct colorder_col *c)
{
    return c->seen_num || c->nmin.set || c->num_poison;
}

enum colorder_kind colorder_col_type(const struct colorder_col *c)
{
    return colorder_type_of(colorder_seen_num(c), c->seen_text);
}

/* ---- running bounds ---------------------------------------------------- */

/* memcpy, without a call for the short values most bounds are. */
static inline void colorder_copy_short(uint8_t *d, const uint8_t *p, size_t n)
{
    if (n >= 8 && n <= 16) {
        memcpy(d, p, 8);
        memcpy(d + n - 8, p + n - 8, 8);
    } else if (n >= 16 && n <= 32) {
        memcpy(d, p, 16);
        memcpy(d + n - 16, p + n - 16, 16);
    } else if (n > 0) {
        memcpy(d, p, n);
    }
}

/* Copy value p[0..n) into bd, cut to max_index_value. For a number bound,
 * nk (when not NULL) is its key and np (when not NULL) its parts. */
static int colorder_bound_store(const struct colorder_ctx *ctx,
                                struct colorder_run_bound *bd,
                                const uint8_t *p, size_t n, int number,
                                const numtext_key *nk,
                                const struct numtext_parts *np,
                                struct fault *f)
{
    size_t keep = n < ctx->max_index_value ? n : ctx->max_index_value;

    if (keep + COLORDER_PAD > bd->cap) {
        size_t cap = bd->cap ? bd->cap : 32;
        uint8_t *b;
        while (cap < keep + COLORDER_PAD)
            cap *= 2;
        b = realloc(bd->b, cap);
        if (b == NULL)
            return colorder_oom(f);
        bd->b = b;
        bd->cap = cap;
    }
    colorder_copy_short(bd->b, p, keep);
    memset(bd->b + keep, 0, 8); /* colorder_key8 reads up to here */
    bd->len = keep;
    bd->set = 1;
    bd->cut = n > keep;
    if (number) {
        bd->has_nk = nk != NULL;
        if (nk != NULL)
            bd->nk = *nk;
        bd->has_np = np != NULL;
        if (np != NULL)
            bd->np = *np;
    }
    return 0;
}

int colorder_col_settle(struct colorder_ctx *ctx, struct colorder_col *c,
                        struct fault *f)
{
    if (c->lm_gen != ctx->gen)
        return 0;
    c->lm_gen = 0;
    return colorder_bound_store(ctx, &c->tmax, c->lm_p, c->lm_len, 0, NULL,
                                NULL, f);
}

/* Compare number p[0..n) (nk its key or NULL, np its parts when *np_ok)
 * with a number bound, by value. */
static int colorder_num_cmp(const uint8_t *p, size_t n, const numtext_key *nk,
                            struct numtext_parts *np, int *np_ok,
                            struct colorder_run_bound *bd)
{
    if (nk != NULL && bd->has_nk)
        return *nk < bd->nk ? -1 : *nk > bd->nk;
    if (!*np_ok)
        *np_ok = numtext_parse_padded(np, (const char *)p, n);
    if (!bd->has_np)
        bd->has_np = (uint8_t)numtext_parse_padded(
            &bd->np, (const char *)bd->b, bd->len);
    return numtext_compare_parts((const char *)p, np, (const char *)bd->b,
                                 &bd->np);
}

/* Open the number window of c over its bounds as they now are. */
static void colorder_num_window(struct colorder_col *c)
{
    if (!c->num_poison && c->nmin.set && c->nmin.has_nk && c->nmax.has_nk) {
        c->nkmin = c->nmin.nk;
        c->nkmax = c->nmax.nk;
    } else {
        c->nkmin = COLORDER_KEY_MAX;
        c->nkmax = COLORDER_KEY_MIN;
    }
}

/* Open both windows of c over its bounds as they now are. */
static void colorder_windows(struct colorder_col *c)
{
    colorder_num_window(c);
    if (c->tmin.set) {
        c->tkmin = colorder_tkey_of(c->tmin.b, c->tmin.len);
        c->tkmax = colorder_tkey_of(c->tmax.b, c->tmax.len);
    } else {
        c->tkmin = 0;
        c->tkmax = 0;
    }
}

/* Fold number p[0..n) into the running number bounds of c, exactly: nk is
 * its key (NULL when it has none), np its parts when np_ok (else parsed
 * here if needed; np may be NULL then). Called when the number's window
 * test failed. (That a number was met shows in c->nmin.set or
 * c->num_poison: see colorder_seen_num.) */
int colorder_slow_num(struct colorder_ctx *ctx, struct colorder_col *c,
                      const uint8_t *p, size_t n, const numtext_key *nk,
                      struct numtext_parts *np, int np_ok, struct fault *f)
{
    struct numtext_parts local;
    int rv = 0;

    if (np == NULL) {
        np = &local;
        np_ok = 0;
    }
    if (c->num_poison) {
        /* nothing: the chunk keeps no number bound for the column */
    } else if (n > ctx->max_index_value) {
        c->num_poison = 1;
    } else if (!c->nmin.set) {
        const struct numtext_parts *npp = np_ok ? np : NULL;
        if (colorder_bound_store(ctx, &c->nmin, p, n, 1, nk, npp, f) < 0 ||
            colorder_bound_store(ctx, &c->nmax, p, n, 1, nk, npp, f) < 0)
            rv = -1;
    } else if (colorder_num_cmp(p, n, nk, np, &np_ok, &c->nmax) > 0) {
        rv = colorder_bound_store(ctx, &c->nmax, p, n, 1, nk,
                                  np_ok ? np : NULL, f);
    } else if (colorder_num_cmp(p, n, nk, np, &np_ok, &c->nmin) < 0) {
        rv = colorder_bound_store(ctx, &c->nmin, p, n, 1, nk,
                                  np_ok ? np : NULL, f);
    }
    colorder_num_window(c);
    return rv;
}

/* Fold value p[0..n) (a number or not; key its colorder_tkey) into the
 * running text bounds of c, exactly; called when the value's window test
 * failed. The running max is compared first, then the min: the first 16
 * bytes decide unless they equal the bound's. Running text bounds are
 * kept cut to max_index_value (>= 16, so the key of a cut bound is the
 * key of the value): cutting preserves order, so a cut min stays the cut
 * of the true min, and a cut max the cut of the true max (raised only
 * when the chunk's bounds are taken). A lazy max is settled first. */
int colorder_slow_text(struct colorder_ctx *ctx, struct colorder_col *c,
                       const uint8_t *p, size_t n, colorder_tkey key,
                       struct fault *f)
{
    int cmp;

    if (colorder_col_settle(ctx, c, f) < 0)
        return -1;
    if (!c->tmin.set) {
        if (colorder_bound_store(ctx, &c->tmin, p, n, 0, NULL, NULL, f) < 0 ||
            colorder_bound_store(ctx, &c->tmax, p, n, 0, NULL, NULL, f) < 0)
            return -1;
        c->tkmin = c->tkmax = key;
        return 0;
    }
    cmp = key != c->tkmax ? (key < c->tkmax ? -1 : 1)
                          : colorder_text_cmp16(p, n, &c->tmax);
    if (cmp > 0) {
        c->tkmax = key;
        return colorder_bound_store(ctx, &c->tmax, p, n, 0, NULL, NULL, f);
    }
    cmp = key != c->tkmin ? (key < c->tkmin ? -1 : 1)
                          : colorder_text_cmp16(p, n, &c->tmin);
    if (cmp < 0) {
        c->tkmin = key;
        return colorder_bound_store(ctx, &c->tmin, p, n, 0, NULL, NULL, f);
    }
    return 0;
}

/* A value that starts like a number but is no short plain decimal (nor,
 * when long, plainly text): a number by the grammar (numtext_parse), or
 * text. */
int colorder_slow_other(struct colorder_ctx *ctx, struct colorder_col *c,
                        const uint8_t *v, size_t vn, colorder_tkey key,
                        struct fault *f)
{
    struct numtext_parts np;

    if (numtext_parse_padded(&np, (const char *)v, vn)) {
        if (colorder_num_fold(ctx, c, v, vn, NULL, &np, 1, f) < 0)
            return -1;
    } else {
        c->seen_text = 1;
    }
    return colorder_text_fold(ctx, c, v, vn, key, f);
}

/* A value longer than 8 bytes that starts like a number: see
 * colorder_fold. */
int colorder_slow_long(struct colorder_ctx *ctx, struct colorder_col *c,
                       const uint8_t *v, size_t vn, colorder_tkey key,
                       struct fault *f)
{
    unsigned neg = v[0] == '-', nd;
    numtext_key k;

    if (numtext_key_padded(&k, (const char *)v, vn)) {
        if (colorder_num_fold(ctx, c, v, vn, &k, NULL, 0, f) < 0)
            return -1;
        return colorder_text_fold(ctx, c, v, vn, key, f);
    }
    /* A number's first non-digit after the sign is '.', 'e' or 'E': a
     * date, say, is text without numtext_parse. */
    nd = (numtext_word_shape(colorder_le64(v)) | 0x100) >> neg;
    nd = (unsigned)__builtin_ctz(nd) + neg;
    if (nd >= 8 || v[nd] == '.' || v[nd] == 'e' || v[nd] == 'E')
        return colorder_slow_other(ctx, c, v, vn, key, f);
    c->seen_text = 1;
    return colorder_text_fold(ctx, c, v, vn, key, f);
}

/* Return 1 if a value whose first 16 bytes are v's is text whatever
 * follows them, as colorder_slow_long decides it (a first byte that
 * cannot start a number, or a first non-digit after the sign, within 8
 * bytes, that no number has there: a date's '-'), else 0 (undecided). */
static int colorder_text_prefix(const uint8_t *v)
{
    unsigned c0 = v[0], neg, nd;

    if (c0 - '-' > '9' - '-')
        return 1;
    neg = c0 == '-';
    nd = (numtext_word_shape(colorder_le64(v)) | 0x100) >> neg;
    nd = (unsigned)__builtin_ctz(nd) + neg;
    return nd < 8 && v[nd] != '.' && v[nd] != 'e' && v[nd] != 'E';
}

/* After v[0..vn) (longer than 16 bytes, staying in place) was folded:
 * when it is now the stored text max, uncut, and text by its first
 * bytes, keep the max lazily from here on (colorder_lazy_max). */
void colorder_slow_lazy_start(struct colorder_ctx *ctx, struct colorder_col *c,
                              const uint8_t *v, size_t vn)
{
    const struct colorder_run_bound *bd = &c->tmax;

    if (!bd->set || bd->cut || bd->len != vn ||
        memcmp(bd->b, v, vn) != 0 || !colorder_text_prefix(v))
        return;
    c->lm_p = v;
    c->lm_len = vn;
    c->lm_gen = ctx->gen;
}

static int colorder_copy_bytes(uint8_t **out, size_t *out_len,
                               const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(n + 1);

    if (b == NULL)
        return -1;
    if (n > 0)
        memcpy(b, p, n);
    b[n] = '\0';
    *out = b;
    *out_len = n;
    return 0;
}

/* The stored max of a text bound: the running max, or when it was cut,
 * the cut with its last byte that can be raised raised: every value that
 * starts with the cut text sorts below it. */
static int colorder_take_text(const struct colorder_col *c,
                              struct colorder_bound *text)
{
    const struct colorder_run_bound *mx = &c->tmax;
    size_t k = mx->len;

    if (colorder_copy_bytes(&text->min, &text->min_len, c->tmin.b,
                            c->tmin.len) < 0)
        return -1;
    if (!mx->cut)
        return colorder_copy_bytes(&text->max, &text->max_len, mx->b, k);
    while (k > 0 && mx->b[k - 1] == 0xff)
        k--;
    if (k == 0)
        return 0; /* no upper bound */
    if (colorder_copy_bytes(&text->max, &text->max_len, mx->b, k) < 0)
        return -1;
    text->max[k - 1]++;
    return 0;
}

int colorder_col_take(struct colorder_ctx *ctx, struct colorder_col *c,
                      struct colorder_bound *num, struct colorder_bound *text,
                      struct fault *f)
{
    size_t k;

    memset(num, 0, sizeof *num);
    memset(text, 0, sizeof *text);
    if (colorder_col_settle(ctx, c, f) < 0)
        return -1;
    if (c->nmin.set && !c->num_poison &&
        (colorder_copy_bytes(&num->min, &num->min_len, c->nmin.b,
                             c->nmin.len) < 0 ||
         colorder_copy_bytes(&num->max, &num->max_len, c->nmax.b,
                             c->nmax.len) < 0))
        goto oom;
    if (c->tmin.set && colorder_take_text(c, text) < 0)
        goto oom;
    if (c->nmin.set || c->num_poison)
        c->seen_num = 1;
    c->nmin.set = c->nmax.set = c->tmin.set = c->tmax.set = 0;
    c->num_poison = 0;
    c->prev_gen = 0; /* a value equal to the last one is news again */
    for (k = 0; k < COLORDER_SHAPE_SLOTS; k++)
        c->shape_slot[k].tag = 0;
    colorder_windows(c);
    return 0;
oom:
    colorder_bound_free(num);
    colorder_bound_free(text);
    return colorder_oom(f);
}
