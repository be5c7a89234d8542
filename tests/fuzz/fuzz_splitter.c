/*
 * fuzz_splitter: any bytes through the splitter.
 *
 * The first input byte picks the format, the chunk size (by bytes or by
 * rows) and how the rest is fed (all at once, a byte at a time, sizes
 * drawn from the input, a fixed odd size; or borrowed in place with
 * splitter_borrow and let in by such steps). Checked on every input:
 * - prefix || chunks is the input (on failure: a prefix of it);
 * - chunks are numbered from 0 and hold >= 1 row each, with contiguous
 *   row ranges (blobs: rows 0);
 * - the index is sane: num bounds are numbers with min <= max, text
 *   min <= text max;
 * - numtext_compare is antisymmetric and transitive on the number-like
 *   tokens of the input and the bounds, and numtext_parse_padded agrees
 *   with numtext_parse;
 * - the keys of short plain decimals (numtext_key_padded, and
 *   numtext_key_word through shapes) exist exactly for them, agree, and
 *   order as numtext_compare does;
 * - the planner's answer on each chunk's bounds (colorder_cond_keep),
 *   asked about the bounds themselves, keeps = <= >= at them, leaves out
 *   < below the min and > above the max, and != only when min = max.
 * Chunks are given back in turn with splitter_chunk_free, with
 * splitter_recycle, and with splitter_recycle after the caller freed the
 * data, so that chunks are built in recycled buffers too (borrowed
 * chunks: only the first two).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/colorder.h"
#include "storage/numtext.h"
#include "storage/splitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NUMS 24

struct nums {
    char *v[MAX_NUMS];
    size_t len[MAX_NUMS];
    size_t n;
};

static void nums_add(struct nums *ns, const uint8_t *p, size_t n)
{
    if (ns->n >= MAX_NUMS || n > 400 || !numtext_is_number((const char *)p, n))
        return;
    ns->v[ns->n] = malloc(n + 1);
    if (ns->v[ns->n] == NULL)
        abort();
    memcpy(ns->v[ns->n], p, n);
    ns->v[ns->n][n] = '\0';
    ns->len[ns->n] = n;
    ns->n++;
}

static int sgn(int v)
{
    return v < 0 ? -1 : v > 0;
}

static int cmp(const struct nums *ns, size_t i, size_t j)
{
    return sgn(numtext_compare(ns->v[i], ns->len[i], ns->v[j], ns->len[j]));
}

/* numtext_key_padded on v[0..n) (from a padded copy), and for n <= 8
 * numtext_key_word, which must agree with it. */
static int key_of(numtext_key *k, const char *v, size_t n)
{
    static struct numtext_shape shapes[256];
    char pad[400 + 16];
    int r;

    memset(pad, '5', sizeof pad);
    memcpy(pad, v, n);
    r = numtext_key_padded(k, pad, n);
    if (n >= 1 && n <= 8) {
        uint64_t w = 0;
        numtext_key kw;
        size_t i;
        unsigned shape;
        for (i = 0; i < n; i++)
            w |= (uint64_t)(unsigned char)v[i] << (8 * i);
        shape = numtext_word_shape(w);
        if (shapes[shape].state == NUMTEXT_SHAPE_UNKNOWN)
            numtext_shape_init(&shapes[shape], shape);
        if (numtext_key_word(&kw, &shapes[shape], w, n) != r ||
            (r && kw != *k))
            abort();
    }
    return r;
}

static void check_numbers(const struct nums *ns)
{
    size_t i, j, k;

    for (i = 0; i < ns->n; i++) {
        struct numtext_parts a, b;
        numtext_key ki;
        char pad[400 + 16];
        memset(pad, '9', sizeof pad);
        memcpy(pad, ns->v[i], ns->len[i]);
        if (numtext_parse(&a, ns->v[i], ns->len[i]) !=
                numtext_parse_padded(&b, pad, ns->len[i]) ||
            a.fast != b.fast || a.hi != b.hi || a.lo != b.lo ||
            a.int_len != b.int_len || a.frac_len != b.frac_len ||
            a.exp_len != b.exp_len || a.neg != b.neg)
            abort();
        if (cmp(ns, i, i) != 0)
            abort();
        /* A key exactly for short plain decimals. */
        if (key_of(&ki, ns->v[i], ns->len[i]) !=
            (a.exp_len == 0 && a.int_len <= 8 && a.frac_len <= 8 &&
             ns->len[i] - a.neg <= 16))
            abort();
        for (j = 0; j < ns->n; j++) {
            numtext_key kj;
            if (key_of(&ki, ns->v[i], ns->len[i]) &&
                key_of(&kj, ns->v[j], ns->len[j]) &&
                (ki < kj ? -1 : ki > kj) != cmp(ns, i, j))
                abort();
        }
        for (j = 0; j < ns->n; j++) {
            int ij = cmp(ns, i, j);
            if (ij != -cmp(ns, j, i))
                abort();
            for (k = 0; k < ns->n && k < 12; k++) {
                int jk = cmp(ns, j, k);
                /* i <= j <= k implies i <= k; i == j == k implies i == k */
                if (ij <= 0 && jk <= 0 && cmp(ns, i, k) > 0)
                    abort();
                if (ij == 0 && jk == 0 && cmp(ns, i, k) != 0)
                    abort();
            }
        }
    }
}

static int bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
                     size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* The planner's answer (colorder_cond_keep) on bounds b of a column of
 * type type, asked about the bounds themselves: a value at a bound may
 * match (= and the inclusive ops keep the chunk), no value lies beyond it
 * (the strict ops leave it out), and != leaves it out only when min and
 * max are one value. */
static int keep_at(enum colorder_kind type, enum colorder_op op,
                   const struct colorder_bound *b, const uint8_t *v,
                   size_t vn)
{
    struct colorder_cond cond;

    if (colorder_cond_init(&cond, type, op, type, v, vn, NULL, NULL) != 0)
        abort();
    return colorder_cond_keep(&cond, b->min, b->min_len, b->max, b->max_len);
}

static void check_keep(enum colorder_kind type, const struct colorder_bound *b)
{
    int one;

    if (b->min != NULL) {
        if (!keep_at(type, COLORDER_EQ, b, b->min, b->min_len) ||
            !keep_at(type, COLORDER_LE, b, b->min, b->min_len) ||
            keep_at(type, COLORDER_LT, b, b->min, b->min_len))
            abort();
    }
    if (b->max != NULL) {
        if (!keep_at(type, COLORDER_EQ, b, b->max, b->max_len) ||
            !keep_at(type, COLORDER_GE, b, b->max, b->max_len) ||
            keep_at(type, COLORDER_GT, b, b->max, b->max_len))
            abort();
    }
    if (b->min != NULL && b->max != NULL) {
        one = colorder_compare(type, b->min, b->min_len, b->max,
                               b->max_len) == 0;
        if (keep_at(type, COLORDER_NE, b, b->min, b->min_len) == one)
            abort();
    }
}

static void check_chunk(const struct splitter_chunk *c, uint64_t index,
                        uint64_t *row, enum splitter_format fmt,
                        struct nums *ns)
{
    size_t i;

    if (c->index != index || c->len == 0 || c->data == NULL)
        abort();
    if (fmt == SPLITTER_BLOB) {
        if (c->rows != 0 || c->first_row != 0 || c->ncols != 0)
            abort();
        return;
    }
    if (c->rows < 1 || c->first_row != *row)
        abort();
    *row += c->rows;
    for (i = 0; i < c->ncols; i++) {
        const struct splitter_colstat *cs = &c->cols[i];
        if ((cs->num.min == NULL) != (cs->num.max == NULL))
            abort();
        if (cs->num.min != NULL) {
            if (!numtext_is_number((const char *)cs->num.min,
                                   cs->num.min_len) ||
                !numtext_is_number((const char *)cs->num.max,
                                   cs->num.max_len) ||
                numtext_compare((const char *)cs->num.min, cs->num.min_len,
                                (const char *)cs->num.max,
                                cs->num.max_len) > 0)
                abort();
            nums_add(ns, cs->num.min, cs->num.min_len);
            nums_add(ns, cs->num.max, cs->num.max_len);
        }
        if (cs->text.min != NULL && cs->text.max != NULL &&
            bytes_cmp(cs->text.min, cs->text.min_len, cs->text.max,
                      cs->text.max_len) > 0)
            abort();
        if (cs->num.min != NULL && cs->text.min == NULL)
            abort();
        check_keep(COLORDER_NUMBER, &cs->num);
        check_keep(COLORDER_TEXT, &cs->text);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t chunk_sizes[8] = {1, 2, 7, 16, 64, 300, 4096, 1 << 20};
    struct splitter_config cfg;
    struct splitter *s = NULL;
    struct splitter_chunk *c;
    struct fault f;
    struct nums ns;
    const uint8_t *in;
    uint8_t *borrowed = NULL;
    size_t len, off = 0, checked = 0, plen, i, feed_kind, fixed = 7;
    uint64_t index = 0, row = 0;
    uint32_t seed;
    unsigned ctl;
    int rv = 0;
    char *preview;

    if (size == 0)
        return 0;
    ctl = data[0];
    in = data + 1;
    len = size - 1;
    memset(&ns, 0, sizeof ns);

    splitter_config_default(&cfg, (enum splitter_format)(ctl % 3));
    cfg.chunk_bytes = chunk_sizes[(ctl / 3) % 8];
    if (cfg.format != SPLITTER_BLOB && (ctl / 96) % 2 == 1)
        cfg.chunk_rows = 1 + (ctl / 3) % 3;
    feed_kind = (ctl / 24) % 4;
    cfg.max_row_bytes = 1 + (ctl % 7 == 0 ? 64 : 1 << 16);
    cfg.max_columns = 64;
    cfg.max_index_value = ctl % 2 ? 16 : 256;
    cfg.preview_rows = 3;
    if (splitter_new(&s, &cfg, &f) != 0)
        abort();

    seed = 2166136261u;
    for (i = 0; i < len && i < 64; i++)
        seed = (seed ^ in[i]) * 16777619u;
    /* Borrowed half the time (by the input's hash, so that the corpus
     * keeps its meaning): in a copy with exactly the 16 bytes after it
     * that the splitter may read, so that ASan sees any read further. */
    if (seed % 2 == 1) {
        borrowed = malloc(len + 16);
        if (borrowed == NULL)
            abort();
        if (len > 0)
            memcpy(borrowed, in, len);
        memset(borrowed + len, 0x5a, 16);
        if (splitter_borrow(s, borrowed, len, &f) != 0)
            abort();
    }

    while (off < len && rv == 0) {
        size_t n = len - off;
        switch (feed_kind) {
        case 0:
            break;
        case 1:
            n = 1;
            break;
        case 2:
            seed = seed * 1103515245u + 12345u;
            n = 1 + (seed >> 16) % 97;
            break;
        default:
            n = fixed;
            break;
        }
        if (n > len - off)
            n = len - off;
        rv = borrowed != NULL ? splitter_advance(s, n, &f)
                              : splitter_feed(s, in + off, n, &f);
        off += n;
        while ((c = splitter_next(s)) != NULL) {
            /* prefix is complete before the first chunk comes out */
            if (index == 0) {
                const uint8_t *pre = splitter_prefix(s, &plen);
                if (plen > len || memcmp(pre, in, plen) != 0)
                    abort();
                checked = plen;
            }
            if (checked + c->len > len ||
                memcmp(c->data, in + checked, c->len) != 0)
                abort();
            checked += c->len;
            check_chunk(c, index++, &row, cfg.format, &ns);
            seed = seed * 1103515245u + 12345u;
            switch ((seed >> 16) % (borrowed != NULL ? 2 : 3)) {
            case 0:
                splitter_chunk_free(c);
                break;
            case 1:
                splitter_recycle(s, c);
                break;
            default:
                free(c->data);
                c->data = NULL;
                splitter_recycle(s, c);
                break;
            }
        }
    }
    if (rv == 0)
        rv = splitter_finish(s, &f);
    if (rv != 0 && (f.kind == FAULT_NONE || f.detail[0] == '\0'))
        abort();
    while ((c = splitter_next(s)) != NULL) {
        if (index == 0) {
            const uint8_t *pre = splitter_prefix(s, &plen);
            if (plen > len || memcmp(pre, in, plen) != 0)
                abort();
            checked = plen;
        }
        if (checked + c->len > len ||
            memcmp(c->data, in + checked, c->len) != 0)
            abort();
        checked += c->len;
        check_chunk(c, index++, &row, cfg.format, &ns);
        splitter_recycle(s, c);
    }
    if (rv == 0) {
        const uint8_t *pre = splitter_prefix(s, &plen);
        if (index == 0) {
            if (plen != len || (plen > 0 && memcmp(pre, in, plen) != 0))
                abort();
        } else if (checked != len) {
            abort();
        }
        if (cfg.format != SPLITTER_BLOB && row != splitter_total_rows(s))
            abort();
        for (i = 0; i < splitter_column_count(s); i++)
            if (splitter_column_name(s, i) == NULL)
                abort();
    }
    preview = splitter_preview_json(s);
    if (preview == NULL || preview[0] != '[')
        abort();
    free(preview);

    /* Number-like tokens of the input. */
    for (i = 0; i < len && ns.n < MAX_NUMS;) {
        size_t j = i;
        while (j < len && ((in[j] >= '0' && in[j] <= '9') || in[j] == '-' ||
                           in[j] == '+' || in[j] == '.' || in[j] == 'e' ||
                           in[j] == 'E'))
            j++;
        if (j > i) {
            numtext_key k;
            if (j - i <= 400 && key_of(&k, (const char *)in + i, j - i) &&
                !numtext_is_number((const char *)in + i, j - i))
                abort();
            nums_add(&ns, in + i, j - i);
        }
        i = j + 1;
    }
    check_numbers(&ns);
    for (i = 0; i < ns.n; i++)
        free(ns.v[i]);
    splitter_free(s);
    free(borrowed);
    return 0;
}
