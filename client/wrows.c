#include "client/wrows.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "lib/secret.h"
#include "storage/numtext.h"

/* ---- finding rows ------------------------------------------------------ */

/* May a line of a simple chunk start with c? */
static int wrows_line_start_ok(uint8_t c)
{
    return c != ' ' && c != '\t' && c != '\r' && c != '\n';
}

int wrows_count_simple(enum wrows_format fmt, const uint8_t *buf,
                       size_t len, uint64_t *rows, size_t *eol)
{
    uint64_t lf = 0;
    size_t i = 0;
    int after_lf = 1; /* the byte at i starts a line */
    const uint8_t *first;

    *rows = 0;
    *eol = 0;
    if (len == 0 || fmt == WROWS_BLOB)
        return 0;
#if defined(__SSE2__)
    {
        const __m128i nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
        const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
        const __m128i qt = _mm_set1_epi8('"'), zero = _mm_setzero_si128();
        const unsigned quotes = fmt == WROWS_CSV ? 0xffffu : 0;
        __m128i counts = zero; /* LFs per byte lane, below 256 */
        unsigned in_counts = 0;

        /* A block at a time: where its LFs are, where its bytes that may
         * not start a line are; a line start is the byte after a LF (the
         * carry from the block before for its first byte). LFs are
         * counted in byte lanes (a compare gives -1, subtracted) and
         * summed into lf every 255 blocks, before a lane could wrap. */
        for (; i + 16 <= len; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf +
                                                                       i));
            __m128i is_nl = _mm_cmpeq_epi8(v, nl);
            unsigned m_nl = (unsigned)_mm_movemask_epi8(is_nl);
            unsigned m_bad = (unsigned)_mm_movemask_epi8(_mm_or_si128(
                _mm_or_si128(is_nl, _mm_cmpeq_epi8(v, cr)),
                _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab))));
            unsigned m_q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, qt));
            unsigned starts = ((m_nl << 1) | (unsigned)after_lf) & 0xffffu;

            if ((starts & m_bad) != 0 || (m_q & quotes) != 0)
                return 0;
            counts = _mm_sub_epi8(counts, is_nl);
            after_lf = (int)(m_nl >> 15);
            if (++in_counts == 255) {
                __m128i sums = _mm_sad_epu8(counts, zero);
                lf += (uint64_t)_mm_cvtsi128_si32(sums) +
                      (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
                counts = zero;
                in_counts = 0;
            }
        }
        {
            __m128i sums = _mm_sad_epu8(counts, zero);
            lf += (uint64_t)_mm_cvtsi128_si32(sums) +
                  (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
        }
    }
#endif
    for (; i < len; i++) {
        if (after_lf && !wrows_line_start_ok(buf[i]))
            return 0;
        if (fmt == WROWS_CSV && buf[i] == '"')
            return 0;
        after_lf = buf[i] == '\n';
        lf += (uint64_t)after_lf;
    }
    *rows = lf + (buf[len - 1] != '\n' ? 1 : 0);
    first = memchr(buf, '\n', len);
    if (first != NULL)
        *eol = first > buf && first[-1] == '\r' ? 2 : 1;
    return 1;
}

/* The length of the blank line at buf[p..len), or 0 when none starts
 * there. A blank line ends with its LF (or at the end of the chunk). */
static size_t wrows_blank(enum wrows_format fmt, const uint8_t *buf,
                          size_t len, size_t p)
{
    size_t i = p;

    if (fmt == WROWS_CSV) {
        if (buf[p] == '\n')
            return 1;
        if (buf[p] == '\r' && p + 1 < len && buf[p + 1] == '\n')
            return 2;
        return 0;
    }
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r'))
        i++;
    if (i == len)
        return i - p;
    if (buf[i] == '\n')
        return i + 1 - p;
    return 0;
}

/* Where the CSV record starting at p ends: at its LF, or at len. Returns
 * 0 with *end set, or -1 with f set. */
static int wrows_csv_end(const uint8_t *buf, size_t len, size_t p,
                         size_t *end, struct fault *f)
{
    enum { START, UNQ, QUOTED, QSEEN, QCR } st = START;
    const uint8_t *nl = memchr(buf + p, '\n', len - p);
    size_t lim = nl != NULL ? (size_t)(nl - buf) : len;

    /* The common case: a line with no quote in it. */
    if (memchr(buf + p, '"', lim - p) == NULL) {
        *end = lim;
        return 0;
    }
    while (p < len) {
        uint8_t c = buf[p];

        switch (st) {
        case START:
            if (c == '"') {
                st = QUOTED;
                p++;
            } else {
                st = UNQ;
            }
            break;
        case UNQ:
            while (p < len && buf[p] != ',' && buf[p] != '\n')
                p++;
            if (p < len) {
                if (buf[p] == '\n') {
                    *end = p;
                    return 0;
                }
                st = START;
                p++;
            }
            break;
        case QUOTED: {
            const uint8_t *q = memchr(buf + p, '"', len - p);
            if (q == NULL) {
                p = len;
            } else {
                p = (size_t)(q - buf) + 1;
                st = QSEEN;
            }
            break;
        }
        case QSEEN:
            if (c == '"') {
                st = QUOTED;
            } else if (c == ',') {
                st = START;
            } else if (c == '\n') {
                *end = p;
                return 0;
            } else if (c == '\r') {
                st = QCR;
            } else {
                goto after_quote;
            }
            p++;
            break;
        case QCR:
            if (c == '\n') {
                *end = p;
                return 0;
            }
            goto after_quote;
        }
    }
    if (st == QUOTED)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a quoted field is never closed");
    if (st == QCR)
        goto after_quote;
    *end = len;
    return 0;
after_quote:
    return fault_set(f, FAULT_CORRUPT, NULL,
                     "a closing quote is followed by something other than "
                     "a separator or a line end");
}

int wrows_next(struct wrows_row *out, enum wrows_format fmt,
               const uint8_t *buf, size_t len, size_t pos, struct fault *f)
{
    size_t end = len, b, next;
    const uint8_t *nl;

    memset(out, 0, sizeof *out);
    while (pos < len && (b = wrows_blank(fmt, buf, len, pos)) > 0)
        pos += b;
    out->off = pos;
    if (pos >= len)
        return 0;
    if (fmt == WROWS_CSV) {
        if (wrows_csv_end(buf, len, pos, &end, f) < 0) {
            memset(out, 0, sizeof *out);
            return -1;
        }
    } else {
        nl = memchr(buf + pos, '\n', len - pos);
        end = nl != NULL ? (size_t)(nl - buf) : len;
    }
    out->content = end - pos;
    if (end < len) {
        out->eol = 1;
        if (out->content > 0 && buf[end - 1] == '\r') {
            out->content--;
            out->eol = 2;
        }
        next = end + 1;
    } else {
        next = len;
    }
    while (next < len && (b = wrows_blank(fmt, buf, len, next)) > 0)
        next += b;
    out->len = next - pos;
    return 1;
}

/* ---- comparing --------------------------------------------------------- */

int wrows_is_number(const char *s, size_t len)
{
    return numtext_is_number(s, len);
}

int wrows_compare_numbers(const char *a, size_t alen, const char *b,
                          size_t blen)
{
    return numtext_compare(a, alen, b, blen);
}

int wrows_compare_text(const uint8_t *a, size_t alen, const uint8_t *b,
                       size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int wrows_op_holds(enum wrows_op op, int c)
{
    switch (op) {
    case WROWS_EQ: return c == 0;
    case WROWS_NE: return c != 0;
    case WROWS_LT: return c < 0;
    case WROWS_LE: return c <= 0;
    case WROWS_GT: return c > 0;
    case WROWS_GE: return c >= 0;
    }
    return 0;
}

/* Does value v[0..n), a number (is_num) or text, satisfy c? */
static int wrows_value_holds(const struct wrows_cond *c, const uint8_t *v,
                             size_t n, int is_num)
{
    if (c->number) {
        if (!is_num)
            return 0;
        return wrows_op_holds(c->op,
                              wrows_compare_numbers((const char *)v, n,
                                                    c->value, c->value_len));
    }
    return wrows_op_holds(c->op,
                          wrows_compare_text(v, n,
                                             (const uint8_t *)c->value,
                                             c->value_len));
}

/* ---- the filter -------------------------------------------------------- */

int wrows_filter_init(struct wrows_filter *w, enum wrows_format fmt,
                      const struct wrows_cond *conds, size_t n,
                      struct fault *f)
{
    size_t i;

    memset(w, 0, sizeof *w);
    w->fmt = fmt;
    w->conds = conds;
    w->n = n;
    jsonrow_init(&w->jr);
    if (fmt != WROWS_CSV)
        return 0;
    for (i = 0; i < n; i++)
        if (conds[i].col + 1 > w->ncols)
            w->ncols = conds[i].col + 1;
    if (w->ncols > 0) {
        w->field = calloc(w->ncols, sizeof *w->field);
        w->field_len = calloc(w->ncols, sizeof *w->field_len);
        if (w->field == NULL || w->field_len == NULL) {
            wrows_filter_free(w);
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        }
    }
    return 0;
}

void wrows_filter_free(struct wrows_filter *w)
{
    free(w->field);
    free(w->field_len);
    secret_free(w->scratch, w->scratch_cap);
    /* Decoded strings of the last row may sit in the scanner's scratch. */
    secret_wipe(w->jr.scratch, w->jr.scratch_cap);
    jsonrow_release(&w->jr);
    memset(w, 0, sizeof *w);
}

/* Split the CSV record p[0..n) into its first w->ncols fields (fewer when
 * it has fewer: those missing are absent), quoted ones decoded into the
 * scratch. Returns how many fields were found, or -1 with f set. */
static long wrows_csv_fields(struct wrows_filter *w, const uint8_t *p,
                             size_t n, struct fault *f)
{
    const uint8_t *e = p + n;
    uint8_t *out;
    size_t i = 0;

    if (w->scratch_cap < n) {
        uint8_t *s = malloc(n);
        if (s == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        secret_free(w->scratch, w->scratch_cap);
        w->scratch = s;
        w->scratch_cap = n;
    }
    out = w->scratch;
    while (i < w->ncols) {
        if (p < e && *p == '"') {
            const uint8_t *q = p + 1;
            uint8_t *start = out;
            for (;;) {
                const uint8_t *r = memchr(q, '"', (size_t)(e - q));
                if (r == NULL)
                    return fault_set(f, FAULT_CORRUPT, NULL,
                                     "a quoted field is never closed");
                memcpy(out, q, (size_t)(r - q));
                out += r - q;
                if (r + 1 < e && r[1] == '"') {
                    *out++ = '"';
                    q = r + 2;
                    continue;
                }
                p = r + 1;
                break;
            }
            w->field[i] = start;
            w->field_len[i] = (size_t)(out - start);
            if (p < e && *p != ',')
                return fault_set(f, FAULT_CORRUPT, NULL,
                                 "a closing quote is followed by something "
                                 "other than a separator");
        } else {
            const uint8_t *q = memchr(p, ',', (size_t)(e - p));
            if (q == NULL)
                q = e;
            w->field[i] = p;
            w->field_len[i] = (size_t)(q - p);
            p = q;
        }
        i++;
        if (p >= e)
            break;
        p++; /* the comma */
    }
    return (long)i;
}

static int wrows_match_csv(struct wrows_filter *w, const uint8_t *content,
                           size_t len, struct fault *f)
{
    long nf = wrows_csv_fields(w, content, len, f);
    size_t i;

    if (nf < 0)
        return -1;
    for (i = 0; i < w->n; i++) {
        const struct wrows_cond *c = &w->conds[i];
        const uint8_t *v;
        size_t vn;

        if (c->col >= (size_t)nf)
            return 0;
        v = w->field[c->col];
        vn = w->field_len[c->col];
        if (vn == 0 ||
            !wrows_value_holds(c, v, vn,
                               wrows_is_number((const char *)v, vn)))
            return 0;
    }
    return 1;
}

static int wrows_match_jsonl(struct wrows_filter *w, const uint8_t *content,
                             size_t len, struct fault *f)
{
    const struct jsonrow_member *m;
    size_t i, k;

    if (jsonrow_parse(&w->jr, content, len, 0, f) < 0) {
        if (f->kind != FAULT_INTERNAL)
            f->kind = FAULT_CORRUPT;
        return -1;
    }
    for (i = 0; i < w->n; i++) {
        const struct wrows_cond *c = &w->conds[i];
        int held = 0;

        for (k = 0; k < w->jr.count; k++) {
            m = &w->jr.members[k];
            if (m->key_len != c->name_len ||
                memcmp(m->key, c->name, c->name_len) != 0)
                continue;
            if (m->kind == JSONROW_NUMBER)
                held = wrows_value_holds(c, m->value, m->value_len, 1);
            else if (m->kind == JSONROW_STRING && m->value_len > 0)
                held = wrows_value_holds(c, m->value, m->value_len, 0);
            break;
        }
        if (!held)
            return 0;
    }
    return 1;
}

int wrows_match(struct wrows_filter *w, const uint8_t *content, size_t len,
                struct fault *f)
{
    switch (w->fmt) {
    case WROWS_CSV:
        return wrows_match_csv(w, content, len, f);
    case WROWS_JSONL:
        return wrows_match_jsonl(w, content, len, f);
    case WROWS_BLOB:
        break;
    }
    return fault_set(f, FAULT_INTERNAL, NULL, "a blob has no rows to test");
}
