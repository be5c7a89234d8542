/*
 * colorder: the order of one column's values, as the chunk index records
 * it and as a query's `where` reads it (DESIGN.md 3.6, docs/PROTOCOL.md 7).
 *
 * The rules, in one place, so that the splitter that writes the index and
 * the planner that reads it never disagree:
 * - A value is indexed unless it is empty: an empty CSV field, an empty
 *   JSON string, null, a boolean, an object or an array is not.
 * - An indexed value is a number iff it is a CSV field whose text matches
 *   the JSON number grammar, or a JSON number (numtext.h: `1e3` is 1000,
 *   `-0` is 0; `NaN`, `007`, `+5` are text; a JSON string is text).
 * - A column is `number` when every value indexed for it in the data-set
 *   is a number (and there is one), otherwise `text`.
 * - Numbers compare by exact value; text compares bytewise (UTF-8, so code
 *   point order), a prefix first.
 * - Per chunk and column the index keeps number bounds (min and max by
 *   value of the values that are numbers; none when one of them is longer
 *   than max_index_value) and text bounds (min and max bytewise of every
 *   indexed value, numbers by their text). A text min longer than
 *   max_index_value is cut to it (still a lower bound); a text max is cut
 *   and its last byte below 0xff raised by one (still an upper bound), or
 *   there is no max when no such byte exists.
 * - A condition [column, op, value] holds for a row iff the row's value in
 *   the column is indexed and compares with value under the column's type
 *   as op says. A value that is not indexed satisfies no condition, `!=`
 *   included. A `number` column takes a JSON number, a `text` column a
 *   JSON string.
 * - A chunk may be left out of a query only when its bounds for the
 *   column's type prove that no row of it satisfies the condition; a
 *   missing bound proves nothing.
 *
 * The first half of this header is for the planner and the worker (and
 * tests); the second half, the running bounds of a chunk being built, is
 * the splitter's hot path: inline, with the slow paths in colorder.c.
 */
#ifndef SLUICE_STORAGE_COLORDER_H
#define SLUICE_STORAGE_COLORDER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/fault.h"
#include "storage/numtext.h"

/* What a value is to the index, and the type of a column (NUMBER or TEXT
 * only). */
enum colorder_kind { COLORDER_NONE, COLORDER_NUMBER, COLORDER_TEXT };

/* The JSON type of a JSON Lines value, as far as the index cares. */
enum colorder_json {
    COLORDER_JSON_NUMBER,
    COLORDER_JSON_STRING,
    COLORDER_JSON_OTHER /* null, true, false, an object, an array */
};

/* Return what the CSV field v[0..n) (unquoted, doubled quotes undone) is
 * to the index: NONE when empty, NUMBER when it matches the JSON number
 * grammar, else TEXT. v may be NULL when n is 0. */
enum colorder_kind colorder_classify_field(const uint8_t *v, size_t n);

/* Return what a JSON Lines value of JSON type t is to the index; n is the
 * length of a string's decoded UTF-8 (ignored otherwise): NUMBER for a
 * number, TEXT for a non-empty string, NONE for anything else. */
static inline enum colorder_kind colorder_classify_json(enum colorder_json t,
                                                        size_t n)
{
    switch (t) {
    case COLORDER_JSON_NUMBER:
        return COLORDER_NUMBER;
    case COLORDER_JSON_STRING:
        return n > 0 ? COLORDER_TEXT : COLORDER_NONE;
    case COLORDER_JSON_OTHER:
        return COLORDER_NONE;
    }
    return COLORDER_NONE;
}

/* Return the type of a column whose indexed values so far included a
 * number (seen_number) and a value that is not (seen_text). */
static inline enum colorder_kind colorder_type_of(int seen_number,
                                                  int seen_text)
{
    return seen_number && !seen_text ? COLORDER_NUMBER : COLORDER_TEXT;
}

/* Compare two indexed values a and b of a column of type type: return
 * <0, 0 or >0 as a sorts before, with or after b. NUMBER: by exact value
 * (numtext_compare; both should be numbers: otherwise a total order that
 * puts numbers first, memory-safe). TEXT (or anything else): bytewise, a
 * prefix first. a or b may be NULL when its length is 0. */
int colorder_compare(enum colorder_kind type, const uint8_t *a, size_t alen,
                     const uint8_t *b, size_t blen);

/* ---- conditions: the planner's question ------------------------------ */

enum colorder_op {
    COLORDER_EQ, /* = */
    COLORDER_NE, /* != */
    COLORDER_LT, /* < */
    COLORDER_LE, /* <= */
    COLORDER_GT, /* > */
    COLORDER_GE  /* >= */
};

/* Set *out to the op written s[0..len) ("=", "!=", "<", "<=", ">", ">=").
 * Returns 0; -1 for anything else (*out = COLORDER_EQ then). */
int colorder_op_parse(enum colorder_op *out, const char *s, size_t len)
    __attribute__((warn_unused_result));

/* Return the text of op ("=", "!=", ...), or "?" for no op. */
const char *colorder_op_name(enum colorder_op op);

/* One condition [column, op, value], checked once and then asked about
 * many chunks (colorder_cond_keep) or rows (colorder_cond_match). */
struct colorder_cond {
    enum colorder_kind type;  /* the column's: NUMBER or TEXT */
    enum colorder_op op;
    const uint8_t *v;         /* the value (not owned) */
    size_t vn;
    struct numtext_parts np;  /* NUMBER: v's parts */
};

/* Make *out the condition "a column of type type (NUMBER or TEXT) op v".
 * value is the JSON type of v as the query wrote it: NUMBER for a JSON
 * number (v its text as written, which must match the JSON number
 * grammar), TEXT for a JSON string (v its decoded UTF-8, maybe empty; v
 * may be NULL when vn is 0). v must outlive *out. Returns 0; on failure
 * -1 with *out zeroed and f set: FAULT_INVALID naming field (may be NULL)
 * for a value of the wrong JSON type for the column, or a number that is
 * not one; FAULT_INTERNAL for a type or op out of range. */
int colorder_cond_init(struct colorder_cond *out, enum colorder_kind type,
                       enum colorder_op op, enum colorder_kind value,
                       const uint8_t *v, size_t vn, const char *field,
                       struct fault *f) __attribute__((warn_unused_result));

/* Return 1 if a chunk whose bounds for the column are min[0..min_len)
 * and max[0..max_len) may hold a row that satisfies c (keep the chunk),
 * 0 if the bounds prove it holds none (leave it out). Pass the chunk's
 * number bounds for a NUMBER column and its text bounds for a TEXT one,
 * as the index stores them (cut and raised as the header says). min or
 * max NULL: that bound is missing (a number bound that is not a number
 * counts as missing too), which proves nothing. `!=` leaves out only a
 * chunk whose min and max both equal the value. */
int colorder_cond_keep(const struct colorder_cond *c, const uint8_t *min,
                       size_t min_len, const uint8_t *max, size_t max_len);

/* Return 1 if a row whose value in the column is v[0..vn), of kind kind
 * (as colorder_classify_field or colorder_classify_json say), satisfies
 * c, else 0: never for a value that is not indexed (NONE), nor, in a
 * NUMBER column, for one that is not a number. */
int colorder_cond_match(const struct colorder_cond *c, enum colorder_kind kind,
                        const uint8_t *v, size_t vn);

/* ---- the index of a chunk being built -------------------------------- */

/* The bounds of one column within one chunk, as the index stores them.
 * NULL means "no bound". Bytes are NUL-terminated for convenience (len
 * excludes the NUL; text may itself hold NULs). Owned: free with
 * colorder_bound_free. */
struct colorder_bound {
    uint8_t *min;
    size_t min_len;
    uint8_t *max;
    size_t max_len;
};

/* Free the bytes of b and clear it. b may be NULL. */
void colorder_bound_free(struct colorder_bound *b);

/* Every value given to a fold lies in a buffer with at least this many
 * readable bytes after it (loads of 8 or 16 bytes may reach past the
 * value; the bytes there do not change the result). */
#define COLORDER_PAD 16

/* The first 16 bytes of a text, zero-padded, big-endian: integer order is
 * memcmp's order on those bytes (colorder_tkey_of). */
__extension__ typedef unsigned __int128 colorder_tkey;

/* What the folds share over all columns of one data-set. */
struct colorder_ctx {
    struct numtext_shape *shapes; /* 256, one per shape, made as met */
    size_t max_index_value;       /* longest value kept in a bound */
    uint64_t gen; /* changes when values given to colorder_fold_at may
                     move or change (colorder_ctx_moved) */
};

/* A running bound of one column in the chunk being built. Values longer
 * than max_index_value are stored cut to it (`cut` set). */
struct colorder_run_bound {
    uint8_t *b;
    size_t len, cap;
    uint8_t set, cut;
    uint8_t has_nk, has_np;  /* number bounds: which of nk, np is valid */
    numtext_key nk;          /* number bounds: a short plain decimal */
    struct numtext_parts np; /* number bounds: when there is no key, or
                                once compared with a value that has none */
};

/* Short plain decimals of one shape (the same length, the same '-' and
 * '.' in the same places) sort as their bytes do, ascending when positive
 * and descending when negative: so the text of each is its number's key.
 * A slot remembers, for one shape, the least and greatest such text (lo,
 * hi: big-endian words) met strictly inside the chunk's number bounds.
 * Bounds only widen while a chunk is built, so any value of that shape
 * whose text lies in [lo, hi] lies between two numbers already strictly
 * inside them, and changes nothing: one test of the word, where the key
 * (numtext_key_word) and the window took some twenty instructions. The
 * non-digit bytes are compared too ("37x54" has the shape of "37.54");
 * a leading zero cannot pass, as lo's first digit is not one. Slots are
 * emptied when the chunk's bounds are. */
#define COLORDER_SHAPE_SLOTS 4

struct colorder_shape_slot {
    uint64_t lo, hi;        /* bswapped words, lo <= hi */
    uint64_t ndmask, ndval; /* the shape's non-digit bytes (numtext_shape) */
    unsigned tag;           /* the shape + 1; 0: empty */
};

/* What the index knows of one column: the running bounds of the chunk
 * being built, and which kinds of value the data-set has held. Most
 * values fall strictly inside the bounds: nk* and tk* settle those with
 * two integer comparisons each (the windows); anything else takes the
 * exact path. Fields are the folds' own: read them only through the
 * functions below. */
struct colorder_col {
    struct colorder_shape_slot shape_slot[COLORDER_SHAPE_SLOTS];
    numtext_key nkmin, nkmax; /* keys of the number bounds while both
                                 have one (else an empty window) */
    colorder_tkey tkmin, tkmax; /* colorder_tkey of the text bounds while
                                 they are set (else 0, 0: empty) */
    struct colorder_run_bound nmin, nmax, tmin, tmax;
    uint8_t num_poison; /* a number too long to keep: no num bounds */
    uint8_t seen_num;   /* a number in a chunk already taken */
    uint8_t seen_text;  /* a value that is not a number, anywhere */
    /* colorder_fold_at: a long value already folded into the chunk being
     * built, prev_p[0, prev_len), valid while prev_gen is the context's
     * gen. A value equal to it changes nothing. */
    const uint8_t *prev_p;
    size_t prev_len;
    uint64_t prev_gen;
    /* colorder_fold_at: the text max, kept lazily as the value at
     * lm_p[0, lm_len) in the caller's buffer rather than copied into
     * tmax, valid while lm_gen is the context's gen (0: not lazy; tmax.b
     * is stale while it is). tkmax is its key. See colorder_lazy_max. */
    const uint8_t *lm_p;
    size_t lm_len;
    uint64_t lm_gen;
};

/* Make *ctx ready for values of at most max_index_value bytes in a bound
 * (>= 16). Returns 0; on failure -1 with *ctx zeroed and f set
 * (FAULT_INVALID naming "max_index_value", or FAULT_INTERNAL for
 * memory). Release with colorder_ctx_release. */
int colorder_ctx_init(struct colorder_ctx *ctx, size_t max_index_value,
                      struct fault *f) __attribute__((warn_unused_result));

/* Free what ctx holds and zero it. ctx may be NULL. */
void colorder_ctx_release(struct colorder_ctx *ctx);

/* Make *c a column with no value yet. */
void colorder_col_init(struct colorder_col *c);

/* Free what c holds (it is left unusable until colorder_col_init). */
void colorder_col_release(struct colorder_col *c);

/* Return the type of column c over every value folded so far: NUMBER when
 * each indexed value was a number (and at least one was), else TEXT. */
enum colorder_kind colorder_col_type(const struct colorder_col *c);

/* Hand out the bounds of the chunk being built: set *num to its number
 * bounds (none when it held no number, or one longer than
 * max_index_value) and *text to its text bounds (min cut, max cut and
 * raised, as the header says), each copied; then start the next chunk
 * with no bounds. Returns 0; on failure -1 with *num and *text cleared
 * and f set (FAULT_INTERNAL: memory). */
int colorder_col_take(struct colorder_ctx *ctx, struct colorder_col *c,
                      struct colorder_bound *num, struct colorder_bound *text,
                      struct fault *f) __attribute__((warn_unused_result));

/* Make the text max of c, if colorder_fold_at keeps it lazily as a value
 * in the caller's buffer, an ordinary stored bound again. Call it for
 * every column before the values given to colorder_fold_at move or
 * change, then colorder_ctx_moved. Returns 0, or -1 with f set
 * (FAULT_INTERNAL: memory). */
int colorder_col_settle(struct colorder_ctx *ctx, struct colorder_col *c,
                        struct fault *f) __attribute__((warn_unused_result));

/* Note that the values given to colorder_fold_at so far may move or
 * change from now on, or belong to a chunk already taken: they are no
 * longer looked at (every column settled first: colorder_col_settle). */
static inline void colorder_ctx_moved(struct colorder_ctx *ctx)
{
    ctx->gen++;
}

/* ---- the folds: inline fast paths ------------------------------------ */

/* The slow paths of the folds below, out of line; call them only from
 * there. Each returns 0, or -1 with f set (FAULT_INTERNAL: memory). */
int colorder_slow_num(struct colorder_ctx *ctx, struct colorder_col *c,
                      const uint8_t *p, size_t n, const numtext_key *nk,
                      struct numtext_parts *np, int np_ok, struct fault *f)
    __attribute__((noinline, warn_unused_result));
int colorder_slow_text(struct colorder_ctx *ctx, struct colorder_col *c,
                       const uint8_t *p, size_t n, colorder_tkey key,
                       struct fault *f)
    __attribute__((noinline, warn_unused_result));
int colorder_slow_other(struct colorder_ctx *ctx, struct colorder_col *c,
                        const uint8_t *v, size_t vn, colorder_tkey key,
                        struct fault *f)
    __attribute__((noinline, warn_unused_result));
int colorder_slow_long(struct colorder_ctx *ctx, struct colorder_col *c,
                       const uint8_t *v, size_t vn, colorder_tkey key,
                       struct fault *f)
    __attribute__((noinline, warn_unused_result));
void colorder_slow_lazy_start(struct colorder_ctx *ctx, struct colorder_col *c,
                              const uint8_t *v, size_t vn);

/* colorder_low[k]: the k low bytes of a word (k <= 8). */
extern const uint64_t colorder_low[9];

/* The first 8 bytes of p[0..n), zero-padded, as a number whose order is
 * memcmp's order on those bytes. p has COLORDER_PAD readable bytes after
 * p[n) (every value folded does, and so does every stored bound), so one
 * 8-byte load stays inside the allocation; bytes past n are masked off. */
static inline uint64_t colorder_key8(const uint8_t *p, size_t n)
{
    uint64_t k;

    if (n == 0)
        return 0;
    memcpy(&k, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    k = __builtin_bswap64(k);
#endif
    if (n < 8)
        k &= ~(uint64_t)0 << (64 - 8 * n);
    return k;
}

/* The 8 bytes at p as a little-endian word (byte i in bits 8i to 8i+7),
 * whatever the host's byte order: the form numtext_key_word reads. */
static inline uint64_t colorder_le64(const uint8_t *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* The first 16 bytes of p[0..n), as colorder_key8 does the first 8. */
static inline colorder_tkey colorder_tkey_of(const uint8_t *p, size_t n)
{
    colorder_tkey k = (colorder_tkey)colorder_key8(p, n) << 64;

    if (n > 8)
        k |= colorder_key8(p + 8, n - 8);
    return k;
}

/* Compare value p[0..n) with a stored text bound, bytewise, shorter prefix
 * first, knowing that their first 16 bytes (colorder_tkeys) are equal: 8
 * bytes at a time (a byte past the end reads as zero, which orders a
 * prefix first as the lengths do). */
static inline int colorder_text_cmp16(const uint8_t *p, size_t n,
                                      const struct colorder_run_bound *bd)
{
    size_t off;

    for (off = 16; off < n && off < bd->len; off += 8) {
        uint64_t ka = colorder_key8(p + off, n - off);
        uint64_t kb = colorder_key8(bd->b + off, bd->len - off);
        if (ka != kb)
            return ka < kb ? -1 : 1;
    }
    return n < bd->len ? -1 : n > bd->len;
}

/* Return 1 if a[0..n) equals b[0..n), n > 8 (both buffers padded). */
static inline int colorder_same(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint64_t x, y;
    size_t off;

    for (off = 0; off + 8 < n; off += 8) {
        memcpy(&x, a + off, 8);
        memcpy(&y, b + off, 8);
        if (x != y)
            return 0;
    }
    memcpy(&x, a + n - 8, 8);
    memcpy(&y, b + n - 8, 8);
    return x == y;
}

/* The text bounds: settled by the window when the value's first 16 bytes
 * (key) lie strictly between those of the bounds. */
static inline __attribute__((always_inline)) int
colorder_text_fold(struct colorder_ctx *ctx, struct colorder_col *c,
                   const uint8_t *p, size_t n, colorder_tkey key,
                   struct fault *f)
{
    if (key < c->tkmax && key > c->tkmin)
        return 0;
    return colorder_slow_text(ctx, c, p, n, key, f);
}

/* A number with key k (NULL: none) and parts np (when np_ok): the number
 * bounds, settled by the window when k lies strictly inside it. */
static inline __attribute__((always_inline)) int
colorder_num_fold(struct colorder_ctx *ctx, struct colorder_col *c,
                  const uint8_t *p, size_t n, const numtext_key *k,
                  struct numtext_parts *np, int np_ok, struct fault *f)
{
    if (k != NULL && *k < c->nkmax && *k > c->nkmin)
        return 0;
    return colorder_slow_num(ctx, c, p, n, k, np, np_ok, f);
}

/* The slot of c that shape (0 to 255) uses. */
static inline struct colorder_shape_slot *
colorder_shape_slot_of(struct colorder_col *c, unsigned shape)
{
    return &c->shape_slot[(shape ^ shape >> 2 ^ shape >> 5) &
                          (COLORDER_SHAPE_SLOTS - 1)];
}

/* Note that the plain decimal of shape sh (slot ss), whose word is b
 * (bswapped), lies strictly inside the chunk's number bounds. */
static inline void colorder_shape_note(struct colorder_shape_slot *ss,
                                       unsigned shape,
                                       const struct numtext_shape *sh,
                                       uint64_t b)
{
    if (ss->tag != shape + 1) {
        ss->tag = shape + 1;
        ss->ndmask = sh->ndmask;
        ss->ndval = sh->ndval;
        ss->lo = ss->hi = b;
    } else if (b < ss->lo) {
        ss->lo = b;
    } else if (b > ss->hi) {
        ss->hi = b;
    }
}

/* Fold the CSV field v[0..vn) (COLORDER_PAD readable bytes after it) into
 * column c, as colorder_classify_field says: an empty field is not
 * indexed; a number (by the JSON number grammar) goes to the number
 * bounds, anything else marks the column as holding text; both go to the
 * text bounds. A value of at most 8 bytes is loaded once into a
 * word: the word is its text key and, through its shape, gives its number
 * key. Most values then fall inside both windows: four integer
 * comparisons. Returns 0, or -1 with f set (FAULT_INTERNAL: memory). */
static inline __attribute__((always_inline)) int
colorder_fold(struct colorder_ctx *ctx, struct colorder_col *c,
              const uint8_t *v, size_t vn, struct fault *f)
{
    colorder_tkey key;
    numtext_key k;
    uint64_t w, b;
    unsigned c0;
    /* '-', '.', '/' or a digit: one comparison (the next steps tell
     * '.' and '/' apart). */
    int may_be_number;

    if (vn == 0)
        return 0;
    c0 = v[0];
    may_be_number = c0 - '-' <= '9' - '-';
    /* The words are little-endian: bswap puts the first byte on top. */
    w = colorder_le64(v);
    if (vn > 8) {
        uint64_t w2 = colorder_le64(v + 8);
        if (vn < 16)
            w2 &= colorder_low[vn - 8];
        key = ((colorder_tkey)__builtin_bswap64(w) << 64) |
              __builtin_bswap64(w2);
        if (may_be_number)
            return colorder_slow_long(ctx, c, v, vn, key, f);
        c->seen_text = 1;
        goto text;
    }
    w &= colorder_low[vn];
    b = __builtin_bswap64(w);
    key = (colorder_tkey)b << 64;
    if (may_be_number) {
        unsigned shape = numtext_word_shape(w);
        struct colorder_shape_slot *ss = colorder_shape_slot_of(c, shape);
        struct numtext_shape *sh;
        if (ss->tag == shape + 1 && (w & ss->ndmask) == ss->ndval &&
            b - ss->lo <= ss->hi - ss->lo)
            goto text; /* between two numbers inside the bounds */
        sh = &ctx->shapes[shape];
        if (!numtext_key_word(&k, sh, w, vn)) {
            if (sh->state != NUMTEXT_SHAPE_UNKNOWN)
                return colorder_slow_other(ctx, c, v, vn, key, f);
            numtext_shape_init(sh, shape);
            if (!numtext_key_word(&k, sh, w, vn))
                return colorder_slow_other(ctx, c, v, vn, key, f);
        }
        if (k < c->nkmax && k > c->nkmin)
            colorder_shape_note(ss, shape, sh, b);
        else if (colorder_slow_num(ctx, c, v, vn, &k, NULL, 0, f) < 0)
            return -1;
    } else {
        c->seen_text = 1;
    }
text:
    if (key < c->tkmax && key > c->tkmin)
        return 0;
    return colorder_slow_text(ctx, c, v, vn, key, f);
}

/* A rising column of long values (timestamps) makes a new text max on
 * about every other row, and repeats the last value on the others: each
 * new max was a copy, and which of the two a row is was a branch that
 * missed half the time. So, once the column's text max is a value in the
 * caller's buffer that is text by its first bytes (colorder_fold_at), the
 * max is kept as where that value lies, and a value with the same first
 * 16 bytes (that is text too, and not below the min) that is not below
 * the max becomes it, equal or not, without a copy or a branch on which.
 * Returns 1 when v was so folded (nothing else of the index changes:
 * seen_text is already set), 0 when it must take the general path. */
static inline __attribute__((always_inline)) int
colorder_lazy_max(struct colorder_ctx *ctx, struct colorder_col *c,
                  const uint8_t *v, size_t vn)
{
    const uint8_t *m = c->lm_p;
    size_t mn = c->lm_len;
    colorder_tkey key;
    int ge;

    if (vn > ctx->max_index_value)
        return 0;
    key = ((colorder_tkey)__builtin_bswap64(colorder_le64(v)) << 64) |
          __builtin_bswap64(colorder_le64(v + 8));
    if (key != c->tkmax)
        return 0;
    if (vn <= 24 && mn <= 24) {
        uint64_t tv = colorder_key8(v + 16, vn - 16);
        uint64_t tm = colorder_key8(m + 16, mn - 16);
        ge = (tv > tm) | ((tv == tm) & (vn >= mn));
    } else {
        struct colorder_run_bound bd;
        memset(&bd, 0, sizeof bd);
        bd.b = (uint8_t *)(uintptr_t)m;
        bd.len = mn;
        ge = colorder_text_cmp16(v, vn, &bd) >= 0;
    }
    if (!ge)
        return 0;
    c->lm_p = v;
    c->lm_len = vn;
    return 1;
}

/* colorder_fold for a CSV field v[0..vn) that stays where it is,
 * unchanged, until colorder_ctx_moved (and every column is settled before
 * that: colorder_col_settle). Long values then skip copies: one equal to
 * the last long value folded changes nothing, and a rising column keeps
 * its text max in place (colorder_lazy_max). Returns 0, or -1 with f set
 * (FAULT_INTERNAL: memory). */
static inline __attribute__((always_inline)) int
colorder_fold_at(struct colorder_ctx *ctx, struct colorder_col *c,
                 const uint8_t *v, size_t vn, struct fault *f)
{
    if (vn > 16) {
        if (c->lm_gen == ctx->gen && colorder_lazy_max(ctx, c, v, vn))
            return 0;
        /* Values too long for the windows to settle when their first 16
         * bytes equal a bound's (timestamps, say) repeat from row to
         * row: skip one equal to the last. */
        if (c->prev_gen == ctx->gen && c->prev_len == vn &&
            colorder_same(v, c->prev_p, vn))
            return 0;
        c->prev_gen = ctx->gen;
        c->prev_p = v;
        c->prev_len = vn;
    }
    if (colorder_fold(ctx, c, v, vn, f) < 0)
        return -1;
    if (vn > 16 && c->lm_gen != ctx->gen)
        colorder_slow_lazy_start(ctx, c, v, vn);
    return 0;
}

/* Fold a JSON Lines value v[0..vn) of JSON type t into column c (as
 * colorder_classify_json says: a number, a non-empty string's decoded
 * UTF-8, or nothing). A number comes with np, its parts (from
 * numtext_parse); v has COLORDER_PAD readable bytes after it. Returns 0,
 * or -1 with f set (FAULT_INTERNAL: memory). */
static inline __attribute__((always_inline)) int
colorder_fold_json(struct colorder_ctx *ctx, struct colorder_col *c,
                   enum colorder_json t, const uint8_t *v, size_t vn,
                   const struct numtext_parts *np, struct fault *f)
{
    switch (colorder_classify_json(t, vn)) {
    case COLORDER_NONE:
        return 0;
    case COLORDER_TEXT: {
        colorder_tkey key = colorder_tkey_of(v, vn);
        c->seen_text = 1;
        return colorder_text_fold(ctx, c, v, vn, key, f);
    }
    case COLORDER_NUMBER: {
        numtext_key nk;
        struct numtext_parts p = *np;
        int ok = numtext_key_padded(&nk, (const char *)v, vn);
        if (colorder_num_fold(ctx, c, v, vn, ok ? &nk : NULL, &p, 1, f) < 0)
            return -1;
        return colorder_text_fold(ctx, c, v, vn, colorder_tkey_of(v, vn), f);
    }
    }
    return 0;
}

/* colorder_fold_json for a value that stays where it is, unchanged, until
 * colorder_ctx_moved, as for colorder_fold_at (a JSON string that held no
 * escape lies in the row): a rising column of long strings keeps its text
 * max in place (colorder_lazy_max) rather than copying each new max.
 * Returns 0, or -1 with f set (FAULT_INTERNAL: memory). */
static inline __attribute__((always_inline)) int
colorder_fold_json_at(struct colorder_ctx *ctx, struct colorder_col *c,
                      enum colorder_json t, const uint8_t *v, size_t vn,
                      const struct numtext_parts *np, struct fault *f)
{
    /* Only strings: a number's text never has the first bytes of a lazy
     * max (colorder_slow_lazy_start), but it must reach the number
     * bounds. */
    int lazy = t == COLORDER_JSON_STRING && vn > 16;

    if (lazy && c->lm_gen == ctx->gen && colorder_lazy_max(ctx, c, v, vn))
        return 0;
    if (colorder_fold_json(ctx, c, t, v, vn, np, f) < 0)
        return -1;
    if (lazy && c->lm_gen != ctx->gen)
        colorder_slow_lazy_start(ctx, c, v, vn);
    return 0;
}

#endif
