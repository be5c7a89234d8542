#include "storage/splitter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"
#include "storage/jsonrow.h"
#include "storage/numtext.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Input is copied into the working buffer this much at a time, so that a
 * caller's huge buffer never makes ours bigger than one chunk, one row and
 * one slice. */
#define SPLITTER_SLICE ((size_t)256 * 1024)
/* Slack after every buffer we scan, so that short over-reads stay inside
 * the allocation. */
#define SPLITTER_PAD 16
/* When cutting by bytes, input is copied in no further than this past the
 * chunk's target size, so that the bytes that follow the cut (moved to the
 * next chunk's buffer) stay few. */
#define SPLITTER_OVER ((size_t)4096)
/* How far ahead of the row being scanned the input is prefetched. */
#define SPLITTER_AHEAD 1024
/* Recycled chunk buffers kept for later chunks. */
#define SPLITTER_KEEP 4
/* A fresh working buffer is sized for a chunk of at most this much (it
 * grows when needed). */
#define SPLITTER_FRESH_MAX ((size_t)64 << 20)
/* Faults about the uploaded bytes name no request field. */
#define SPLITTER_DATA_FIELD NULL
#define SPLITTER_LIMIT (SIZE_MAX / 8)

/* States of the CSV record scanner (RFC 4180 plus the lenient rules of
 * DESIGN.md 3.4), kept between feeds so that a row split across buffers
 * is scanned once. */
enum splitter_cstate {
    CS_START,  /* at the start of a field */
    CS_UNQ,    /* inside an unquoted field: '"' is data */
    CS_QUOTED, /* inside a quoted field */
    CS_QSEEN,  /* just after a '"' inside a quoted field */
    CS_QCR     /* after a closing quote and a CR: only LF may follow */
};

struct splitter_column {
    char *name;
    size_t name_len;
    uint64_t stamp; /* last JSON row that named it (duplicate check) */
};

struct splitter_field {
    const uint8_t *p;
    size_t n;
};

struct splitter_qnode {
    struct splitter_chunk c; /* first: splitter_chunk_free frees the node */
    struct splitter_qnode *next;
    uint8_t *buf; /* the buffer c.data was handed out as, and its size */
    size_t cap;
    int borrowed; /* c.data points into the caller's input (splitter_borrow) */
};

/* A chunk buffer given back by splitter_recycle; [0, dirty) may hold
 * plaintext. */
struct splitter_spare {
    uint8_t *buf;
    size_t cap, dirty;
};

struct splitter {
    struct splitter_config cfg;
    struct fault err;
    int failed, finished;

    /* Working buffer: buf[base, done) is the chunk being built, buf[done,
     * len) input not yet consumed; scan is where the unit that starts at
     * done was last scanned to. buf[0, dirty) may hold plaintext (wiped
     * before the memory is let go). It is handed out as the chunk's data
     * when the chunk is complete. */
    uint8_t *buf;
    size_t len, cap, base, done, scan, dirty;
    /* buf is the caller's input (splitter_borrow), read-only: chunks are
     * slices of it, nothing is copied, moved or wiped; borrow_len bytes
     * of it exist, of which [0, len) have been let in. */
    int borrowed;
    size_t borrow_len;
    size_t fresh_cap; /* size of a new working buffer: the last chunk's
                         length and the slack after it, or more */
    struct splitter_spare spare[SPLITTER_KEEP];
    size_t nspare;
    enum splitter_cstate cstate;
    int cquoted; /* the record being scanned has a quoted field */
    int bom_pending;
    int started;  /* the first row has been seen */
    int row_open; /* the unit at done is known to be a row */
    int have_header;
    size_t blank_run;

    uint64_t rows_total;
    uint64_t chunk_index;
    uint64_t chunk_first_row;
    uint64_t chunk_nrows;

    uint8_t *prefix;
    size_t prefix_len, prefix_cap;

    struct splitter_column *cols;
    struct colorder_col *run; /* the index of each column */
    struct colorder_ctx ord;  /* what the columns' indexes share; its gen
                                 changes when a chunk is cut or buf
                                 moves */
    size_t ncols, cols_cap;
    uint32_t *htab; /* column index + 1, open addressing; 0 = empty */
    size_t hcap;
    size_t *prev_order; /* JSON: column of member j in the last row */
    size_t prev_n, prev_cap;
    uint64_t stamp;

    struct splitter_field *fields;
    size_t fields_cap;
    uint8_t *scratch;
    size_t scratch_cap;
    struct jsonrow jr;

    uint8_t *preview;
    size_t preview_len, preview_cap;
    size_t preview_count;

    struct splitter_qnode *qhead, *qtail;
};

void splitter_config_default(struct splitter_config *cfg,
                             enum splitter_format format)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->format = format;
    cfg->chunk_bytes = (size_t)1 << 20;
    cfg->chunk_rows = 0;
    cfg->max_row_bytes = (size_t)64 << 20;
    cfg->preview_rows = 10;
    cfg->max_columns = 1024;
    cfg->max_index_value = 256;
}

static int splitter_oom(struct fault *f)
{
    return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
}

/* Make room for need bytes (plus the pad) in *b, growing by doubling. */
static int splitter_reserve(uint8_t **b, size_t *cap, size_t need,
                            struct fault *f)
{
    size_t ncap;
    uint8_t *nb;

    if (need + SPLITTER_PAD <= *cap)
        return 0;
    if (need > SPLITTER_LIMIT)
        return splitter_oom(f);
    ncap = *cap ? *cap : 256;
    while (ncap < need + SPLITTER_PAD)
        ncap *= 2;
    nb = realloc(*b, ncap);
    if (nb == NULL)
        return splitter_oom(f);
    *b = nb;
    *cap = ncap;
    return 0;
}

static int splitter_append(uint8_t **b, size_t *len, size_t *cap,
                           const void *data, size_t n, struct fault *f)
{
    if (n == 0)
        return 0;
    if (splitter_reserve(b, cap, *len + n, f) < 0)
        return -1;
    memcpy(*b + *len, data, n);
    *len += n;
    return 0;
}

/* The size of a fresh working buffer when chunks are n bytes long, in
 * whole pages, so that chunks a row longer or shorter than the last get
 * buffers of the same size (which the allocator reuses well). */
static size_t splitter_buf_size(size_t n)
{
    size_t step = 4096;

    if (n > SPLITTER_FRESH_MAX)
        n = SPLITTER_FRESH_MAX;
    return (n + SPLITTER_OVER + SPLITTER_PAD + step - 1) / step * step;
}

/* Give back the memory of a buffer whose [0, dirty) may hold plaintext. */
static void splitter_buf_release(uint8_t *b, size_t dirty)
{
    secret_free(b, dirty);
}

static int splitter_settle_all(struct splitter *s, struct fault *f);

/* Make the working buffer hold at least need bytes (plus the pad), need
 * counted from its start: drop what precedes base, take a recycled buffer
 * or a fresh one when there is none, grow it when a row does not fit.
 * Growing copies by hand rather than realloc, so that the old memory is
 * wiped before it is freed. Either way the bytes move: the index settles
 * first (colorder_fold_at). */
static int splitter_buf_reserve(struct splitter *s, size_t need,
                                struct fault *f)
{
    size_t ncap;
    uint8_t *nb;

    if (s->buf != NULL && need + SPLITTER_PAD <= s->cap)
        return 0;
    if (s->buf != NULL && s->base > 0) {
        /* Drop the bytes before base, which chunks (or the prefix) took
         * copies of. */
        size_t drop = s->base;
        if (splitter_settle_all(s, f) < 0)
            return -1;
        memmove(s->buf, s->buf + drop, s->len - drop);
        s->len -= drop;
        s->done -= drop;
        s->scan -= drop;
        s->base = 0;
        colorder_ctx_moved(&s->ord);
        need -= drop;
        if (need + SPLITTER_PAD <= s->cap)
            return 0;
    }
    if (need > SPLITTER_LIMIT)
        return splitter_oom(f);
    if (s->buf == NULL && s->nspare > 0) {
        struct splitter_spare *sp = &s->spare[--s->nspare];
        s->buf = sp->buf;
        s->cap = sp->cap;
        s->dirty = sp->dirty;
        sp->buf = NULL;
        if (need + SPLITTER_PAD <= s->cap)
            return 0;
    }
    ncap = s->buf != NULL ? s->cap : s->fresh_cap;
    while (ncap < need + SPLITTER_PAD)
        ncap = ncap < SPLITTER_LIMIT / 2 ? ncap * 2 : need + SPLITTER_PAD;
    if (s->buf != NULL && splitter_settle_all(s, f) < 0)
        return -1;
    nb = malloc(ncap);
    if (nb == NULL)
        return splitter_oom(f);
    if (s->buf != NULL) {
        if (s->len > 0)
            memcpy(nb, s->buf, s->len);
        splitter_buf_release(s->buf, s->dirty);
        colorder_ctx_moved(&s->ord);
    }
    s->buf = nb;
    s->cap = ncap;
    s->dirty = s->len;
    return 0;
}

int splitter_new(struct splitter **out, const struct splitter_config *cfg,
                 struct fault *f)
{
    struct splitter *s = NULL;

    *out = NULL;
    if (cfg == NULL)
        return fault_set(f, FAULT_INVALID, "config", "no configuration");
    switch (cfg->format) {
    case SPLITTER_CSV:
    case SPLITTER_JSONL:
    case SPLITTER_BLOB:
        break;
    default:
        return fault_set(f, FAULT_INVALID, "format", "unknown format");
    }
    if (cfg->chunk_bytes == 0 || cfg->chunk_bytes > SPLITTER_LIMIT)
        return fault_set(f, FAULT_INVALID, "chunk_bytes",
                         "chunk_bytes must be between 1 and %zu",
                         (size_t)SPLITTER_LIMIT);
    if (cfg->format == SPLITTER_BLOB && cfg->chunk_rows != 0)
        return fault_set(f, FAULT_INVALID, "chunk_rows",
                         "a blob is cut by bytes, not rows");
    if (cfg->max_row_bytes == 0 || cfg->max_row_bytes > SPLITTER_LIMIT)
        return fault_set(f, FAULT_INVALID, "max_row_bytes",
                         "max_row_bytes must be between 1 and %zu",
                         (size_t)SPLITTER_LIMIT);
    if (cfg->max_columns == 0 || cfg->max_columns > (size_t)1 << 24)
        return fault_set(f, FAULT_INVALID, "max_columns",
                         "max_columns must be between 1 and %zu",
                         (size_t)1 << 24);
    if (cfg->max_index_value < 16 || cfg->max_index_value > SPLITTER_LIMIT)
        return fault_set(f, FAULT_INVALID, "max_index_value",
                         "max_index_value must be at least 16");
    if (cfg->preview_rows > SPLITTER_LIMIT)
        return fault_set(f, FAULT_INVALID, "preview_rows",
                         "preview_rows is out of range");
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return splitter_oom(f);
    if (colorder_ctx_init(&s->ord, cfg->max_index_value, f) < 0) {
        free(s);
        return -1;
    }
    s->cfg = *cfg;
    s->fresh_cap = splitter_buf_size(cfg->chunk_bytes);
    s->bom_pending = cfg->format != SPLITTER_BLOB;
    jsonrow_init(&s->jr);
    *out = s;
    return 0;
}

static void splitter_chunk_free_cols(struct splitter_chunk *c)
{
    size_t i;

    for (i = 0; i < c->ncols; i++) {
        colorder_bound_free(&c->cols[i].num);
        colorder_bound_free(&c->cols[i].text);
    }
    free(c->cols);
    c->cols = NULL;
    c->ncols = 0;
}

void splitter_chunk_free(struct splitter_chunk *c)
{
    if (c == NULL)
        return;
    splitter_chunk_free_cols(c);
    /* A chunk's buffer holds plaintext only in [0, len): the splitter
     * wiped what followed when it handed the chunk out. Borrowed bytes
     * are the caller's. */
    if (!((struct splitter_qnode *)(void *)c)->borrowed)
        splitter_buf_release(c->data, c->len);
    free(c); /* the queue node that holds c as its first member */
}

void splitter_recycle(struct splitter *s, struct splitter_chunk *c)
{
    struct splitter_qnode *n = (struct splitter_qnode *)(void *)c;

    if (c == NULL)
        return;
    splitter_chunk_free_cols(c);
    if (n->borrowed) {
        c->data = NULL;
    } else if (c->data != NULL) {
        /* Keep the buffer unless enough are kept, or it grew much larger
         * than the chunks now being cut (a long row) and would pin that
         * memory. */
        if (c->data == n->buf && s->nspare < SPLITTER_KEEP &&
            n->cap / 2 <= s->fresh_cap) {
            struct splitter_spare *sp = &s->spare[s->nspare++];
            sp->buf = n->buf;
            sp->cap = n->cap;
            sp->dirty = c->len;
        } else {
            splitter_buf_release(c->data, c->len);
        }
        c->data = NULL;
    }
    free(n);
}

void splitter_free(struct splitter *s)
{
    size_t i;

    if (s == NULL)
        return;
    while (s->qhead != NULL) {
        struct splitter_qnode *n = s->qhead;
        s->qhead = n->next;
        splitter_chunk_free(&n->c);
    }
    for (i = 0; i < s->ncols; i++) {
        free(s->cols[i].name);
        colorder_col_release(&s->run[i]);
    }
    free(s->cols);
    free(s->run);
    colorder_ctx_release(&s->ord);
    free(s->htab);
    free(s->prev_order);
    free(s->fields);
    splitter_buf_release(s->scratch, s->scratch_cap);
    jsonrow_release(&s->jr);
    free(s->preview);
    free(s->prefix);
    if (!s->borrowed)
        splitter_buf_release(s->buf, s->dirty);
    for (i = 0; i < s->nspare; i++)
        splitter_buf_release(s->spare[i].buf, s->spare[i].dirty);
    free(s);
}

/* ---- columns ---------------------------------------------------------- */

static uint64_t splitter_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Return the index of the column named p[0..n), or -1. */
static long splitter_column_find(const struct splitter *s, const uint8_t *p,
                                 size_t n)
{
    size_t mask, i;

    if (s->hcap == 0)
        return -1;
    mask = s->hcap - 1;
    for (i = (size_t)splitter_hash(p, n) & mask;; i = (i + 1) & mask) {
        uint32_t e = s->htab[i];
        const struct splitter_column *c;
        if (e == 0)
            return -1;
        c = &s->cols[e - 1];
        if (c->name_len == n && memcmp(c->name, p, n) == 0)
            return (long)(e - 1);
    }
}

static void splitter_hash_put(struct splitter *s, size_t idx)
{
    const struct splitter_column *c = &s->cols[idx];
    size_t mask = s->hcap - 1, i;

    for (i = (size_t)splitter_hash((const uint8_t *)c->name, c->name_len) &
             mask;
         s->htab[i] != 0; i = (i + 1) & mask)
        ;
    s->htab[i] = (uint32_t)(idx + 1);
}

/* Add the column named p[0..n) (not yet known) as the last one. */
static int splitter_column_add(struct splitter *s, const uint8_t *p,
                               size_t n, const char *where,
                               struct fault *f)
{
    size_t idx = s->ncols, i;

    if (s->ncols >= s->cfg.max_columns)
        return fault_set(f, FAULT_TOO_LARGE, SPLITTER_DATA_FIELD,
                         "%s: more than %zu columns", where,
                         s->cfg.max_columns);
    if (memchr(p, 0, n) != NULL)
        return fault_set(f, FAULT_INVALID, SPLITTER_DATA_FIELD,
                         "%s: a column name holds U+0000", where);
    if (!jsonrow_utf8_valid(p, n))
        return fault_set(f, FAULT_INVALID, SPLITTER_DATA_FIELD,
                         "%s: a column name is not valid UTF-8", where);
    if (s->ncols == s->cols_cap) {
        size_t cap = s->cols_cap ? s->cols_cap * 2 : 16;
        struct splitter_column *c = realloc(s->cols, cap * sizeof *c);
        struct colorder_col *r;
        if (c == NULL)
            return splitter_oom(f);
        s->cols = c;
        r = realloc(s->run, cap * sizeof *r);
        if (r == NULL)
            return splitter_oom(f);
        s->run = r;
        s->cols_cap = cap;
    }
    if ((s->ncols + 1) * 2 > s->hcap) {
        size_t hcap = s->hcap ? s->hcap * 2 : 64;
        uint32_t *h = calloc(hcap, sizeof *h);
        if (h == NULL)
            return splitter_oom(f);
        free(s->htab);
        s->htab = h;
        s->hcap = hcap;
        for (i = 0; i < s->ncols; i++)
            splitter_hash_put(s, i);
    }
    memset(&s->cols[idx], 0, sizeof s->cols[idx]);
    colorder_col_init(&s->run[idx]);
    s->cols[idx].name = calloc(1, n + SPLITTER_PAD); /* padded for
                                                      colorder_key8 */
    if (s->cols[idx].name == NULL)
        return splitter_oom(f);
    if (n > 0)
        memcpy(s->cols[idx].name, p, n);
    s->cols[idx].name[n] = '\0';
    s->cols[idx].name_len = n;
    s->ncols++;
    splitter_hash_put(s, idx);
    return 0;
}

/* ---- the index -------------------------------------------------------- */

/* Settle the lazy text max of every column (colorder_col_settle), before
 * the working buffer's bytes move. */
static int splitter_settle_all(struct splitter *s, struct fault *f)
{
    size_t i;

    for (i = 0; i < s->ncols; i++)
        if (colorder_col_settle(&s->ord, &s->run[i], f) < 0)
            return -1;
    return 0;
}

/* Build the chunk's index from the running bounds, and reset them. */
static int splitter_colstats(struct splitter *s, struct splitter_chunk *c,
                             struct fault *f)
{
    size_t i;

    if (s->ncols == 0)
        return 0;
    c->cols = calloc(s->ncols, sizeof *c->cols);
    if (c->cols == NULL)
        return splitter_oom(f);
    c->ncols = s->ncols;
    for (i = 0; i < s->ncols; i++)
        if (colorder_col_take(&s->ord, &s->run[i], &c->cols[i].num,
                              &c->cols[i].text, f) < 0)
            return -1;
    return 0;
}

/* ---- chunks ----------------------------------------------------------- */

/* Hand out buf[base, done) as the next chunk. Cutting by bytes, input is
 * copied in only up to a little past the chunk's size, so few bytes follow
 * the chunk: the working buffer itself is handed out, with the plaintext
 * past the chunk wiped. */
static int splitter_emit(struct splitter *s, struct fault *f)
{
    struct splitter_qnode *n;
    size_t tail = s->len - s->done;
    size_t clen = s->done - s->base;
    uint8_t *old = s->buf;
    size_t old_cap = s->cap, old_dirty = s->dirty;

    n = calloc(1, sizeof *n);
    if (n == NULL)
        return splitter_oom(f);
    n->c.index = s->chunk_index;
    if (s->cfg.format != SPLITTER_BLOB) {
        n->c.first_row = s->chunk_first_row;
        n->c.rows = s->chunk_nrows;
    }
    if (splitter_colstats(s, &n->c, f) < 0) {
        splitter_chunk_free(&n->c);
        return -1;
    }
    colorder_ctx_moved(&s->ord);
    if (s->borrowed) {
        /* A slice of the caller's input: nothing to copy. */
        n->c.data = s->buf + s->base;
        n->c.len = clen;
        n->borrowed = 1;
        s->base = s->done;
    } else if (s->base > 0 || tail > clen ||
               s->cap > 2 * clen + SPLITTER_OVER) {
        /* Small chunks, with much input after them or in a buffer much
         * larger than they are: copy each out, and leave the input where
         * it is (splitter_buf_reserve drops the copied bytes when it needs
         * the room). */
        n->c.data = malloc(clen ? clen : 1);
        if (n->c.data == NULL) {
            splitter_chunk_free(&n->c);
            return splitter_oom(f);
        }
        memcpy(n->c.data, s->buf + s->base, clen);
        n->c.len = clen;
        s->base = s->done;
    } else {
        /* The working buffer itself becomes the chunk's data; the few
         * bytes after it move to a recycled (or fresh) buffer. Chunks of
         * about this length follow: size fresh buffers and judge recycled
         * ones by it. */
        s->fresh_cap = splitter_buf_size(clen > s->cfg.chunk_bytes
                                             ? clen
                                             : s->cfg.chunk_bytes);
        s->buf = NULL;
        s->len = 0;
        if (splitter_buf_reserve(s, tail, f) < 0) {
            splitter_buf_release(s->buf, s->dirty); /* a recycled one */
            s->buf = old;
            s->cap = old_cap;
            s->dirty = old_dirty;
            s->len = s->done + tail;
            splitter_chunk_free(&n->c);
            return -1;
        }
        if (tail > 0)
            memcpy(s->buf, old + s->done, tail);
        if (tail > s->dirty)
            s->dirty = tail;
        if (old_dirty > clen)
            secret_wipe(old + clen, old_dirty - clen);
        n->c.data = old;
        n->c.len = clen;
        n->buf = old;
        n->cap = old_cap;
        s->scan -= s->done;
        s->len = tail;
        s->done = 0;
        s->base = 0;
    }
    if (s->qtail != NULL)
        s->qtail->next = n;
    else
        s->qhead = n;
    s->qtail = n;
    s->chunk_index++;
    s->chunk_first_row = s->rows_total;
    s->chunk_nrows = 0;
    return 0;
}

/* Bytes [done, done + n) that are not a row: blank lines, a BOM, the
 * header. Before the first row they form the prefix; after it they go with
 * the chunk of the preceding row. */
static int splitter_skip(struct splitter *s, size_t n, struct fault *f)
{
    if (!s->started) {
        if (splitter_append(&s->prefix, &s->prefix_len, &s->prefix_cap,
                            s->buf + s->done, n, f) < 0)
            return -1;
        s->done += n;
        s->base = s->done;
    } else {
        s->done += n;
    }
    s->scan = s->done;
    return 0;
}

static int splitter_blank(struct splitter *s, size_t n, struct fault *f)
{
    s->blank_run += n;
    if (s->blank_run > s->cfg.max_row_bytes)
        return fault_set(f, FAULT_TOO_LARGE, SPLITTER_DATA_FIELD,
                         "row %llu: more than max_row_bytes (%zu) of blank "
                         "lines",
                         (unsigned long long)s->rows_total,
                         s->cfg.max_row_bytes);
    return splitter_skip(s, n, f);
}

/* A row starts at done: cut the chunk before it when the chunk is full.
 * Positions move; the caller re-reads them. */
static int splitter_row_begin(struct splitter *s, struct fault *f)
{
    if (!s->started) {
        s->started = 1;
        if (s->base > 0 && !s->borrowed) {
            memmove(s->buf, s->buf + s->base, s->len - s->base);
            s->len -= s->base;
            s->done -= s->base;
            s->scan -= s->base;
            s->base = 0;
        }
        s->chunk_first_row = s->rows_total;
        return 0;
    }
    if (s->chunk_nrows == 0)
        return 0;
    if (s->cfg.chunk_rows > 0 ? s->chunk_nrows >= s->cfg.chunk_rows
                              : s->done - s->base >= s->cfg.chunk_bytes)
        return splitter_emit(s, f);
    return 0;
}

static void splitter_row_end(struct splitter *s, size_t unit)
{
    s->row_open = 0;
    s->done += unit;
    s->scan = s->done;
    s->rows_total++;
    s->chunk_nrows++;
    s->blank_run = 0;
}

/* ---- preview ---------------------------------------------------------- */

static int splitter_preview_put(struct splitter *s, const void *p, size_t n,
                                struct fault *f)
{
    return splitter_append(&s->preview, &s->preview_len, &s->preview_cap, p,
                           n, f);
}

/* Append p[0..n) as a JSON string; bytes that are not UTF-8 become
 * U+FFFD, so that the preview is always valid JSON. */
static int splitter_preview_string(struct splitter *s, const uint8_t *p,
                                   size_t n, struct fault *f)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, seg = 0;

    if (splitter_preview_put(s, "\"", 1, f) < 0)
        return -1;
    while (i < n) {
        uint8_t c = p[i];
        char esc[8];
        size_t elen = 0, k = 1;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            k = jsonrow_utf8_seq(p + i, n - i);
            if (k > 0) {
                i += k;
                continue;
            }
            memcpy(esc, "\xef\xbf\xbd", 3);
            elen = 3;
            k = 1;
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            elen = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2);
            elen = 2;
        } else if (c == '\r') {
            memcpy(esc, "\\r", 2);
            elen = 2;
        } else if (c == '\t') {
            memcpy(esc, "\\t", 2);
            elen = 2;
        } else {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if (splitter_preview_put(s, p + seg, i - seg, f) < 0 ||
            splitter_preview_put(s, esc, elen, f) < 0)
            return -1;
        i += k;
        seg = i;
    }
    if (splitter_preview_put(s, p + seg, i - seg, f) < 0)
        return -1;
    return splitter_preview_put(s, "\"", 1, f);
}

static int splitter_preview_csv(struct splitter *s, size_t nfields,
                                struct fault *f)
{
    size_t i;

    if (s->preview_count > 0 && splitter_preview_put(s, ",", 1, f) < 0)
        return -1;
    if (splitter_preview_put(s, "[", 1, f) < 0)
        return -1;
    for (i = 0; i < nfields; i++) {
        if (i > 0 && splitter_preview_put(s, ",", 1, f) < 0)
            return -1;
        if (splitter_preview_string(s, s->fields[i].p, s->fields[i].n, f) < 0)
            return -1;
    }
    s->preview_count++;
    return splitter_preview_put(s, "]", 1, f);
}

char *splitter_preview_json(const struct splitter *s)
{
    char *out = malloc(s->preview_len + 3);

    if (out == NULL)
        return NULL;
    out[0] = '[';
    if (s->preview_len > 0)
        memcpy(out + 1, s->preview, s->preview_len);
    out[s->preview_len + 1] = ']';
    out[s->preview_len + 2] = '\0';
    return out;
}

/* ---- CSV -------------------------------------------------------------- */

/* Find the end of the CSV record that starts at done. Returns 1 with *end
 * at its LF (or at len when the input ends there), 0 when more input is
 * needed, -1 on malformed input. */
static int splitter_csv_end(struct splitter *s, int eof, size_t *end,
                            struct fault *f)
{
    const uint8_t *b = s->buf;
    size_t p = s->scan, n = s->len;
    enum splitter_cstate st = s->cstate;

    if (p == s->done && st == CS_START) {
        /* The common case: a whole line with no quote in it. */
        const uint8_t *nl = memchr(b + p, '\n', n - p);
        size_t lim = nl ? (size_t)(nl - b) : n;
        if (memchr(b + p, '"', lim - p) == NULL) {
            if (nl != NULL || eof) {
                *end = lim;
                return 1;
            }
            s->scan = n;
            s->cstate = b[n - 1] == ',' ? CS_START : CS_UNQ;
            return 0;
        }
    }
    while (p < n) {
        uint8_t c = b[p];
        switch (st) {
        case CS_START:
            if (c == '"') {
                st = CS_QUOTED;
                s->cquoted = 1;
                p++;
                break;
            }
            st = CS_UNQ;
            break;
        case CS_UNQ:
            while (p < n && b[p] != ',' && b[p] != '\n')
                p++;
            if (p < n) {
                if (b[p] == '\n') {
                    *end = p;
                    return 1;
                }
                st = CS_START;
                p++;
            }
            break;
        case CS_QUOTED: {
            const uint8_t *q = memchr(b + p, '"', n - p);
            if (q == NULL) {
                p = n;
            } else {
                p = (size_t)(q - b) + 1;
                st = CS_QSEEN;
            }
            break;
        }
        case CS_QSEEN:
            if (c == '"') {
                st = CS_QUOTED;
            } else if (c == ',') {
                st = CS_START;
            } else if (c == '\n') {
                *end = p;
                return 1;
            } else if (c == '\r') {
                st = CS_QCR;
            } else {
                goto after_quote;
            }
            p++;
            break;
        case CS_QCR:
            if (c == '\n') {
                *end = p;
                return 1;
            }
            goto after_quote;
        }
    }
    if (eof) {
        if (st == CS_QUOTED && !s->have_header)
            return fault_set(f, FAULT_INVALID, SPLITTER_DATA_FIELD,
                             "header: a quoted field is not closed");
        if (st == CS_QUOTED)
            return fault_set(f, FAULT_INVALID, SPLITTER_DATA_FIELD,
                             "row %llu: a quoted field is not closed",
                             (unsigned long long)s->rows_total);
        if (st == CS_QCR)
            goto after_quote;
        *end = n;
        return 1;
    }
    s->scan = p;
    s->cstate = st;
    return 0;
after_quote:
    if (!s->have_header)
        return fault_set(f, FAULT_INVALID, SPLITTER_DATA_FIELD,
                         "header: a character other than a separator or a "
                         "line end follows a closing quote");
    return fault_set(f, FAULT_INVALID, SPLITTER_DATA_FIELD,
                     "row %llu: a character other than a separator or a "
                     "line end follows a closing quote",
                     (unsigned long long)s->rows_total);
}

/* Split a record with no quoted field: fields are separated by commas.
 * Returns the field count, or max + 1 when there are more than max. */
/* The first ',' in [p, e), or e. Like colorder_key8, it may read up to 7
 * bytes past e, which the working buffer's pad keeps inside the
 * allocation. */
static inline const uint8_t *splitter_comma(const uint8_t *p,
                                            const uint8_t *e)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull;
    const uint64_t high = 0x8080808080808080ull;

    while (p < e) {
        uint64_t x, t;
        memcpy(&x, p, 8);
        x ^= ones * ',';
        t = (x - ones) & ~x & high;
        if (e - p < 8) /* ignore the bytes past e (borrows only go up) */
            t &= ~(uint64_t)0 >> (64 - 8 * (size_t)(e - p));
        if (t != 0) {
            return p + (__builtin_ctzll(t) >> 3);
        }
        p += 8;
    }
    return e;
#else
    while (p < e && *p != ',')
        p++;
    return p;
#endif
}

static size_t splitter_csv_plain(struct splitter *s, const uint8_t *p,
                                 size_t n, size_t max)
{
    const uint8_t *e = p + n;
    size_t i = 0;

    for (;;) {
        const uint8_t *q = splitter_comma(p, e);
        if (i == max)
            return max + 1;
        s->fields[i].p = p;
        s->fields[i].n = (size_t)(q - p);
        i++;
        if (q == e)
            return i;
        p = q + 1;
    }
}

/* Split a record that has quoted fields (already validated by
 * splitter_csv_end). Doubled quotes are undone into the scratch buffer,
 * which the caller sized to the record. */
static size_t splitter_csv_quoted(struct splitter *s, const uint8_t *p,
                                  size_t n, size_t max)
{
    const uint8_t *e = p + n;
    uint8_t *w = s->scratch;
    size_t i = 0;

    for (;;) {
        const uint8_t *vp, *q;
        size_t vn;
        if (p < e && *p == '"') {
            const uint8_t *start = p + 1, *seg = start;
            uint8_t *wstart = NULL;
            q = start;
            for (;;) {
                const uint8_t *r = memchr(q, '"', (size_t)(e - q));
                if (r == NULL) /* cannot happen after validation */
                    r = e;
                if (r + 1 < e && r[1] == '"') {
                    if (wstart == NULL)
                        wstart = w;
                    memcpy(w, seg, (size_t)(r + 1 - seg));
                    w += r + 1 - seg;
                    seg = q = r + 2;
                    continue;
                }
                if (wstart == NULL) {
                    vp = start;
                    vn = (size_t)(r - start);
                } else {
                    memcpy(w, seg, (size_t)(r - seg));
                    w += r - seg;
                    vp = wstart;
                    vn = (size_t)(w - wstart);
                }
                p = r < e ? r + 1 : e;
                break;
            }
        } else {
            q = memchr(p, ',', (size_t)(e - p));
            if (q == NULL)
                q = e;
            vp = p;
            vn = (size_t)(q - p);
            p = q;
        }
        if (i == max)
            return max + 1;
        s->fields[i].p = vp;
        s->fields[i].n = vn;
        i++;
        if (p >= e)
            return i;
        p++; /* the comma */
    }
}

static size_t splitter_csv_split(struct splitter *s, const uint8_t *p,
                                 size_t n, int quoted, size_t max,
                                 struct fault *f)
{
    /* A record of n bytes has at most n + 1 fields; the fast path needs
     * room for ncols. */
    size_t need = (n < max ? n + 1 : max + 1);

    if (need < s->ncols + 1)
        need = s->ncols + 1;
    if (s->fields_cap < need) {
        struct splitter_field *fl = realloc(s->fields, need * sizeof *fl);
        if (fl == NULL) {
            splitter_oom(f);
            return 0;
        }
        s->fields = fl;
        s->fields_cap = need;
    }
    if (!quoted)
        return splitter_csv_plain(s, p, n, max);
    if (splitter_reserve(&s->scratch, &s->scratch_cap, n, f) < 0)
        return 0;
    return splitter_csv_quoted(s, p, n, max);
}

#if defined(__SSE2__)
/* Bit i of *mc set when p[i] is a ',', of *mqn when it is a '"' or a LF,
 * for i < 64: four 16-byte loads, two masks (a quote and a LF both end
 * the plain part of a record; the byte tells which). */
static inline void splitter_scan64(const uint8_t *p, uint64_t *mc,
                                   uint64_t *mqn)
{
    const __m128i vc = _mm_set1_epi8(',');
    const __m128i vq = _mm_set1_epi8('"');
    const __m128i vn = _mm_set1_epi8('\n');
    uint64_t c = 0, qn = 0;
    int k;

    for (k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        c |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vc))
             << (16 * k);
        qn |= (uint64_t)(unsigned)_mm_movemask_epi8(
                  _mm_or_si128(_mm_cmpeq_epi8(x, vq), _mm_cmpeq_epi8(x, vn)))
              << (16 * k);
    }
    *mc = c;
    *mqn = qn;
}

/* Cut fields at the commas of mc (bit j: a ',' at base[off + j]) into
 * s->fields from *i on, the current field starting at *start. Returns 1
 * when there are more than max fields (then *i == max and *stop is the
 * offset of the comma that makes one too many), else 0. */
static inline int splitter_csv_commas(struct splitter *s, const uint8_t *base,
                                      size_t off, uint64_t mc, size_t *i,
                                      size_t *start, size_t max, size_t *stop)
{
    size_t k = *i, st = *start;

    while (mc != 0) {
        size_t pos = off + (size_t)__builtin_ctzll(mc);
        if (k == max) {
            *i = k;
            *start = st;
            *stop = pos;
            return 1;
        }
        s->fields[k].p = base + st;
        s->fields[k].n = pos - st;
        k++;
        st = pos + 1;
        mc &= mc - 1;
    }
    *i = k;
    *start = st;
    return 0;
}

/* The common case in one pass: a record with no quote whose LF is already
 * in the buffer. 64 bytes at a time while that many are in, then 16, find
 * the commas, any quote and the LF; fill s->fields. Returns 1 with *end at
 * the LF and *nf the field count (ncols + 1 when there are more), or 0
 * when the record has a quote or no LF yet: the caller then takes the
 * general path. Loads may reach 15 bytes past len, inside the working
 * buffer's pad. */
static int splitter_csv_fast(struct splitter *s, size_t *end, size_t *nf)
{
    const uint8_t *base = s->buf + s->done;
    size_t avail = s->len - s->done, off = 0, start = 0, i = 0, stop;
    size_t max = s->ncols;
    const __m128i vc = _mm_set1_epi8(',');
    const __m128i vq = _mm_set1_epi8('"');
    const __m128i vn = _mm_set1_epi8('\n');

    /* Rows come in order: ask now for the line a few rows on, so that
     * the input (read where the page cache holds it, or just copied in)
     * is in the cache by the time its rows are scanned (about 10 % of
     * the splitter's time on the bench's CSV). */
    if (avail > SPLITTER_AHEAD)
        __builtin_prefetch(base + SPLITTER_AHEAD);
    /* One wide step covers most rows whole (the bench's average 59
     * bytes): one walk over the row's commas, where 16-byte steps met a
     * varying count of them in each. */
    while (avail - off >= 64) {
        uint64_t mc, mqn;
        splitter_scan64(base + off, &mc, &mqn);
        if (mqn != 0) {
            size_t pos = off + (size_t)__builtin_ctzll(mqn);
            size_t flen;
            if (base[pos] == '"')
                return 0;
            mc &= (mqn & (0 - mqn)) - 1; /* the commas before the LF */
            if (splitter_csv_commas(s, base, off, mc, &i, &start, max,
                                    &stop)) {
                *nf = max + 1;
                *end = s->done + stop;
                return 1;
            }
            if (i == max) {
                *nf = max + 1;
                *end = s->done + pos;
                return 1;
            }
            flen = pos - start;
            if (flen > 0 && base[pos - 1] == '\r')
                flen--;
            s->fields[i].p = base + start;
            s->fields[i].n = flen;
            *nf = i + 1;
            *end = s->done + pos;
            return 1;
        }
        if (splitter_csv_commas(s, base, off, mc, &i, &start, max, &stop)) {
            *nf = max + 1;
            *end = s->done + stop;
            return 1;
        }
        off += 64;
    }
    while (off < avail) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(base + off));
        unsigned mc = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vc));
        unsigned mq = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vq));
        unsigned mn = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vn));
        unsigned valid = avail - off >= 16 ? 0xffffu
                                           : (1u << (avail - off)) - 1;
        mn &= valid;
        if (mn != 0) {
            unsigned before = (mn & (0u - mn)) - 1; /* bytes before the LF */
            mq &= before;
            mc &= before;
        } else {
            mq &= valid;
            mc &= valid;
        }
        if (mq != 0)
            return 0;
        if (splitter_csv_commas(s, base, off, mc, &i, &start, max, &stop)) {
            *nf = max + 1;
            *end = s->done + stop;
            return 1;
        }
        if (mn != 0) {
            size_t pos = off + (size_t)__builtin_ctz(mn);
            size_t flen = pos - start;
            if (i == max) {
                *nf = max + 1;
                *end = s->done + pos;
                return 1;
            }
            if (flen > 0 && base[pos - 1] == '\r')
                flen--;
            s->fields[i].p = base + start;
            s->fields[i].n = flen;
            *nf = i + 1;
            *end = s->done + pos;
            return 1;
        }
        off += 16;
    }
    return 0;
}
#endif

/* Fold the n fields of a CSV row (s->fields) into the running bounds of
 * the chunk; in_buf when they lie in the working buffer (not undone into
 * the scratch buffer), where they stay until the chunk is cut or the
 * buffer moves (colorder_fold_at). Returns 0, or -1 with f set
 * (memory). */
static inline __attribute__((always_inline)) int
splitter_csv_index(struct splitter *s, size_t n, int in_buf, struct fault *f)
{
    const struct splitter_field *fl = s->fields;
    struct colorder_col *r = s->run;
    size_t i;

    for (i = 0; i < n; i++, fl++, r++) {
        if ((in_buf ? colorder_fold_at(&s->ord, r, fl->p, fl->n, f)
                    : colorder_fold(&s->ord, r, fl->p, fl->n, f)) < 0)
            return -1;
    }
    return 0;
}

static int splitter_csv_header(struct splitter *s, size_t content,
                               int quoted, size_t unit, struct fault *f)
{
    size_t n, i;

    n = splitter_csv_split(s, s->buf + s->done, content, quoted,
                           s->cfg.max_columns, f);
    if (n == 0)
        return -1;
    if (n > s->cfg.max_columns)
        return fault_set(f, FAULT_TOO_LARGE, SPLITTER_DATA_FIELD,
                         "header: more than %zu columns",
                         s->cfg.max_columns);
    for (i = 0; i < n; i++) {
        if (splitter_column_find(s, s->fields[i].p, s->fields[i].n) >= 0)
            return fault_set(f, FAULT_INVALID, SPLITTER_DATA_FIELD,
                             "header: column %zu repeats the name of an "
                             "earlier column",
                             i + 1);
        if (splitter_column_add(s, s->fields[i].p, s->fields[i].n, "header",
                                f) < 0)
            return -1;
    }
    s->have_header = 1;
    s->blank_run = 0;
    return splitter_skip(s, unit, f);
}

/* Consume one unit (a blank line or a record) at done. Returns 1 when one
 * was consumed, 0 when more input is needed, -1 on failure. */
static int splitter_csv_unit(struct splitter *s, int eof, struct fault *f)
{
    const uint8_t *b = s->buf + s->done;
    size_t avail = s->len - s->done, end = 0, unit, content, n;
    int quoted, in_buf = 1; /* the fields lie in the working buffer */

    if (s->scan == s->done && s->cstate == CS_START) {
        if (b[0] == '\n')
            return splitter_blank(s, 1, f) < 0 ? -1 : 1;
        if (b[0] == '\r') {
            if (avail < 2 && !eof)
                return 0;
            if (avail >= 2 && b[1] == '\n')
                return splitter_blank(s, 2, f) < 0 ? -1 : 1;
        }
    }
    /* Not a blank line: a record. A row cuts the chunk before it now, so
     * that a full chunk is handed out before the row is complete. */
    if (s->have_header && !s->row_open) {
        if (splitter_row_begin(s, f) < 0)
            return -1;
        s->row_open = 1;
    }
#if defined(__SSE2__)
    if (s->row_open && s->scan == s->done && s->cstate == CS_START &&
        splitter_csv_fast(s, &end, &n)) {
        unit = end - s->done + 1;
        goto fields_ready;
    }
#endif
    switch (splitter_csv_end(s, eof, &end, f)) {
    case -1:
        return -1;
    case 0:
        return 0;
    default:
        break;
    }
    quoted = s->cquoted;
    s->cquoted = 0;
    s->cstate = CS_START;
    unit = end - s->done + (end < s->len ? 1 : 0);
    content = end - s->done;
    if (end < s->len && content > 0 && s->buf[end - 1] == '\r')
        content--;
    if (!s->have_header) {
        if (unit > s->cfg.max_row_bytes)
            return fault_set(f, FAULT_TOO_LARGE, SPLITTER_DATA_FIELD,
                             "header: longer than max_row_bytes (%zu)",
                             s->cfg.max_row_bytes);
        return splitter_csv_header(s, content, quoted, unit, f) < 0 ? -1 : 1;
    }
    n = splitter_csv_split(s, s->buf + s->done, content, quoted, s->ncols, f);
    if (n == 0)
        return -1;
    in_buf = !quoted;
#if defined(__SSE2__)
fields_ready:
#endif
    if (unit > s->cfg.max_row_bytes)
        return fault_set(f, FAULT_TOO_LARGE, SPLITTER_DATA_FIELD,
                         "row %llu: longer than max_row_bytes (%zu)",
                         (unsigned long long)s->rows_total,
                         s->cfg.max_row_bytes);
    if (n != s->ncols)
        return fault_set(f, FAULT_INVALID, SPLITTER_DATA_FIELD,
                         "row %llu: %s fields than the header's %zu",
                         (unsigned long long)s->rows_total,
                         n > s->ncols ? "more" : "fewer", s->ncols);
    if (splitter_csv_index(s, n, in_buf, f) < 0)
        return -1;
    if (s->rows_total < s->cfg.preview_rows &&
        splitter_preview_csv(s, n, f) < 0)
        return -1;
    splitter_row_end(s, unit);
    return 1;
}

#if defined(__SSE2__)
/* The rows of the common case, one after another without going back to
 * splitter_process and the general checks of splitter_csv_unit for each:
 * after the preview rows, a row at done with no quote whose LF is in,
 * more than 64 bytes from the end of the input let in so far, with the
 * header's field count and no longer than max_row_bytes. Stops, leaving
 * the rest to splitter_csv_unit (which meets the same row again, its
 * chunk already cut), at anything else: a blank line, a quote, a fault.
 * Returns 0, or -1 with f set. */
static int splitter_csv_rows(struct splitter *s, struct fault *f)
{
    if (!s->started || !s->have_header || s->cstate != CS_START ||
        s->rows_total < s->cfg.preview_rows)
        return 0;
    while (s->scan == s->done && s->len - s->done > 64) {
        const uint8_t *b = s->buf + s->done;
        size_t end, n, unit;
        if (b[0] == '\n' || b[0] == '\r')
            return 0;
        if (!s->row_open) {
            if (splitter_row_begin(s, f) < 0)
                return -1;
            s->row_open = 1;
        }
        if (!splitter_csv_fast(s, &end, &n))
            return 0;
        unit = end - s->done + 1;
        if (unit > s->cfg.max_row_bytes || n != s->ncols)
            return 0;
        if (splitter_csv_index(s, n, 1, f) < 0)
            return -1;
        splitter_row_end(s, unit);
    }
    return 0;
}
#endif

/* ---- JSON Lines ------------------------------------------------------- */

static int splitter_jsonl_row(struct splitter *s, size_t content,
                              struct fault *f)
{
    const struct jsonrow *jr = &s->jr;
    size_t j;

    if (jsonrow_parse(&s->jr, s->buf + s->done, content, s->rows_total, f) <
        0)
        return -1;
    if (jr->count > s->prev_cap) {
        size_t *po = realloc(s->prev_order, jr->count * sizeof *po);
        if (po == NULL)
            return splitter_oom(f);
        s->prev_order = po;
        s->prev_cap = jr->count;
    }
    s->stamp++;
    for (j = 0; j < jr->count; j++) {
        const struct jsonrow_member *m = &jr->members[j];
        size_t col;
        int rc = 0;
        const struct splitter_column *guess =
            j < s->prev_n ? &s->cols[s->prev_order[j]] : NULL;
        if (guess != NULL && guess->name_len == m->key_len &&
            (m->key_len <= 8
                 ? colorder_key8((const uint8_t *)guess->name,
                                 m->key_len) ==
                       colorder_key8(m->key, m->key_len)
                 : memcmp(guess->name, m->key, m->key_len) == 0)) {
            col = s->prev_order[j];
        } else {
            long found = splitter_column_find(s, m->key, m->key_len);
            if (found < 0) {
                char where[40];
                snprintf(where, sizeof where, "row %llu",
                         (unsigned long long)s->rows_total);
                if (splitter_column_add(s, m->key, m->key_len, where, f) < 0)
                    return -1;
                found = (long)(s->ncols - 1);
            }
            col = (size_t)found;
        }
        if (s->cols[col].stamp == s->stamp)
            return fault_set(f, FAULT_INVALID, SPLITTER_DATA_FIELD,
                             "row %llu: duplicate key (member %zu)",
                             (unsigned long long)s->rows_total, j + 1);
        s->cols[col].stamp = s->stamp;
        s->prev_order[j] = col;
        /* Numbers, and strings that hold no escape, lie in the row in
         * the working buffer (where they stay until the chunk is cut or
         * the buffer moves: colorder_fold_json_at); other strings are
         * decoded into jsonrow's scratch buffer. Both are padded for the
         * folds. */
        switch (m->kind) {
        case JSONROW_STRING:
            if (m->value_len > 16 &&
                (uintptr_t)m->value - (uintptr_t)(s->buf + s->done) <
                    content)
                rc = colorder_fold_json_at(&s->ord, &s->run[col],
                                           COLORDER_JSON_STRING, m->value,
                                           m->value_len, NULL, f);
            else
                rc = colorder_fold_json(&s->ord, &s->run[col],
                                        COLORDER_JSON_STRING, m->value,
                                        m->value_len, NULL, f);
            break;
        case JSONROW_NUMBER:
            rc = colorder_fold_json(&s->ord, &s->run[col],
                                    COLORDER_JSON_NUMBER, m->value,
                                    m->value_len, &m->num, f);
            break;
        case JSONROW_TRUE:
        case JSONROW_FALSE:
        case JSONROW_NULL:
        case JSONROW_OBJECT:
        case JSONROW_ARRAY:
            rc = colorder_fold_json(&s->ord, &s->run[col],
                                    COLORDER_JSON_OTHER, m->value,
                                    m->value_len, NULL, f);
            break;
        }
        if (rc < 0)
            return -1;
    }
    s->prev_n = jr->count;
    if (s->rows_total < s->cfg.preview_rows) {
        if ((s->preview_count > 0 && splitter_preview_put(s, ",", 1, f) < 0) ||
            splitter_preview_put(s, s->buf + s->done + jr->obj_off,
                                 jr->obj_len, f) < 0)
            return -1;
        s->preview_count++;
    }
    return 0;
}

static int splitter_jsonl_unit(struct splitter *s, int eof, struct fault *f)
{
    const uint8_t *nl = memchr(s->buf + s->scan, '\n', s->len - s->scan);
    size_t lim = nl != NULL ? (size_t)(nl - s->buf) : s->len;
    size_t rel, unit;

    if (!s->row_open) {
        /* Everything in [done, scan) is whitespace: look on from scan. */
        size_t i = s->scan;
        while (i < lim && (s->buf[i] == ' ' || s->buf[i] == '\t' ||
                           s->buf[i] == '\r'))
            i++;
        if (i == lim) {
            if (nl != NULL)
                return splitter_blank(s, lim + 1 - s->done, f) < 0 ? -1 : 1;
            if (eof)
                return splitter_blank(s, lim - s->done, f) < 0 ? -1 : 1;
            s->scan = s->len;
            return 0;
        }
        rel = lim - s->done;
        if (splitter_row_begin(s, f) < 0)
            return -1;
        s->row_open = 1;
        lim = s->done + rel; /* done may have moved */
    }
    if (nl == NULL && !eof) {
        s->scan = s->len;
        return 0;
    }
    unit = lim - s->done + (nl != NULL ? 1 : 0);
    if (unit > s->cfg.max_row_bytes)
        return fault_set(f, FAULT_TOO_LARGE, SPLITTER_DATA_FIELD,
                         "row %llu: longer than max_row_bytes (%zu)",
                         (unsigned long long)s->rows_total,
                         s->cfg.max_row_bytes);
    if (splitter_jsonl_row(s, lim - s->done, f) < 0)
        return -1;
    splitter_row_end(s, unit);
    return 1;
}

/* ---- feeding ---------------------------------------------------------- */

static int splitter_process(struct splitter *s, int eof, struct fault *f)
{
    for (;;) {
        size_t avail = s->len - s->done;
        int r;
        if (s->bom_pending) {
            static const uint8_t bom[3] = {0xef, 0xbb, 0xbf};
            size_t k = avail < 3 ? avail : 3;
            if (k == 0) {
                if (!eof)
                    return 0;
                s->bom_pending = 0;
            } else if (memcmp(s->buf + s->done, bom, k) != 0) {
                s->bom_pending = 0;
            } else if (k == 3) {
                s->bom_pending = 0;
                if (splitter_skip(s, 3, f) < 0)
                    return -1;
                continue;
            } else if (!eof) {
                return 0;
            } else {
                s->bom_pending = 0;
            }
        }
        if (avail == 0)
            return 0;
#if defined(__SSE2__)
        if (s->cfg.format == SPLITTER_CSV) {
            if (splitter_csv_rows(s, f) < 0)
                return -1;
            if (s->len == s->done)
                return 0;
        }
#endif
        if (s->cfg.format == SPLITTER_CSV)
            r = splitter_csv_unit(s, eof, f);
        else
            r = splitter_jsonl_unit(s, eof, f);
        if (r < 0)
            return -1;
        if (r == 0) {
            if (s->len - s->done > s->cfg.max_row_bytes) {
                if (s->cfg.format == SPLITTER_CSV && !s->have_header)
                    return fault_set(f, FAULT_TOO_LARGE, SPLITTER_DATA_FIELD,
                                     "header: longer than max_row_bytes "
                                     "(%zu)",
                                     s->cfg.max_row_bytes);
                return fault_set(f, FAULT_TOO_LARGE, SPLITTER_DATA_FIELD,
                                 "row %llu: longer than max_row_bytes (%zu)",
                                 (unsigned long long)s->rows_total,
                                 s->cfg.max_row_bytes);
            }
            return 0;
        }
    }
}

static int splitter_failed(struct splitter *s, struct fault *f)
{
    s->failed = 1;
    if (f != NULL && f != &s->err)
        *f = s->err;
    return -1;
}

int splitter_room(struct splitter *s, uint8_t **dst, size_t *cap,
                  struct fault *f)
{
    size_t take = SPLITTER_SLICE, fill;

    *dst = NULL;
    *cap = 0;
    if (s->failed)
        return splitter_failed(s, f);
    if (s->finished) {
        fault_set(&s->err, FAULT_INTERNAL, NULL,
                  "splitter fed after it finished");
        return splitter_failed(s, f);
    }
    if (s->borrowed) {
        fault_set(&s->err, FAULT_INTERNAL, NULL,
                  "splitter fed after it borrowed its input");
        return splitter_failed(s, f);
    }
    fill = s->len - s->base;
    if (s->cfg.format == SPLITTER_BLOB) {
        /* The chunk being built is buf[base, len): never more than one
         * chunk's bytes in it. */
        take = s->cfg.chunk_bytes - fill;
    } else {
        /* Cutting by bytes, no further than a little past the chunk's
         * size, so that few bytes follow the cut (they move to the next
         * chunk's buffer). */
        if (s->cfg.chunk_rows == 0 && s->started &&
            fill < s->cfg.chunk_bytes &&
            take > s->cfg.chunk_bytes - fill + SPLITTER_OVER)
            take = s->cfg.chunk_bytes - fill + SPLITTER_OVER;
        if (!s->started && s->base > 0) {
            /* Drop what already went to the prefix. */
            memmove(s->buf, s->buf + s->base, s->len - s->base);
            s->len -= s->base;
            s->done -= s->base;
            s->scan -= s->base;
            s->base = 0;
        }
    }
    if (splitter_buf_reserve(s, s->len + take, &s->err) < 0)
        return splitter_failed(s, f);
    /* Whatever the caller writes there is plaintext until wiped. */
    if (s->len + take > s->dirty)
        s->dirty = s->len + take;
    *dst = s->buf + s->len;
    *cap = take;
    return 0;
}

int splitter_commit(struct splitter *s, size_t len, struct fault *f)
{
    if (s->failed)
        return splitter_failed(s, f);
    if (len == 0)
        return 0;
    if (s->buf == NULL || s->len + len + SPLITTER_PAD > s->cap) {
        fault_set(&s->err, FAULT_INTERNAL, NULL,
                  "splitter_commit past the room it gave");
        return splitter_failed(s, f);
    }
    s->len += len;
    if (s->len > s->dirty)
        s->dirty = s->len;
    if (s->cfg.format == SPLITTER_BLOB) {
        if (s->len - s->base == s->cfg.chunk_bytes) {
            s->done = s->len;
            if (splitter_emit(s, &s->err) < 0)
                return splitter_failed(s, f);
        }
        return 0;
    }
    if (splitter_process(s, 0, &s->err) < 0)
        return splitter_failed(s, f);
    return 0;
}

int splitter_feed(struct splitter *s, const uint8_t *data, size_t len,
                  struct fault *f)
{
    uint8_t *dst;
    size_t cap, take;

    if (s->failed)
        return splitter_failed(s, f);
    if (s->finished) {
        fault_set(&s->err, FAULT_INTERNAL, NULL,
                  "splitter fed after it finished");
        return splitter_failed(s, f);
    }
    if (len > 0 && data == NULL) {
        fault_set(&s->err, FAULT_INTERNAL, NULL, "no data");
        return splitter_failed(s, f);
    }
    /* The same path as a caller that reads straight into the room. */
    while (len > 0) {
        if (splitter_room(s, &dst, &cap, f) < 0)
            return -1;
        take = len < cap ? len : cap;
        memcpy(dst, data, take);
        if (splitter_commit(s, take, f) < 0)
            return -1;
        data += take;
        len -= take;
    }
    return 0;
}

int splitter_borrow(struct splitter *s, const uint8_t *data, size_t len,
                    struct fault *f)
{
    if (s->failed)
        return splitter_failed(s, f);
    if (s->finished || s->borrowed || s->buf != NULL || s->len > 0 ||
        (len > 0 && data == NULL) || len > SPLITTER_LIMIT) {
        fault_set(&s->err, FAULT_INTERNAL, NULL,
                  "splitter_borrow after other input, or without data");
        return splitter_failed(s, f);
    }
    s->borrowed = 1;
    s->buf = (uint8_t *)(uintptr_t)data; /* only ever read */
    s->borrow_len = len;
    s->cap = len + SPLITTER_PAD;
    return 0;
}

int splitter_advance(struct splitter *s, size_t n, struct fault *f)
{
    if (s->failed)
        return splitter_failed(s, f);
    if (!s->borrowed || s->finished || n > s->borrow_len - s->len) {
        fault_set(&s->err, FAULT_INTERNAL, NULL,
                  "splitter_advance past the borrowed input");
        return splitter_failed(s, f);
    }
    s->len += n;
    if (s->cfg.format == SPLITTER_BLOB) {
        while (s->len - s->base >= s->cfg.chunk_bytes) {
            s->done = s->base + s->cfg.chunk_bytes;
            if (splitter_emit(s, &s->err) < 0)
                return splitter_failed(s, f);
        }
        return 0;
    }
    if (splitter_process(s, 0, &s->err) < 0)
        return splitter_failed(s, f);
    return 0;
}

int splitter_finish(struct splitter *s, struct fault *f)
{
    if (s->failed)
        return splitter_failed(s, f);
    if (s->finished)
        return 0;
    if (s->cfg.format != SPLITTER_BLOB &&
        splitter_process(s, 1, &s->err) < 0)
        return splitter_failed(s, f);
    if (s->cfg.format == SPLITTER_BLOB ? s->len > s->base
                                       : s->chunk_nrows > 0) {
        s->done = s->len;
        if (splitter_emit(s, &s->err) < 0)
            return splitter_failed(s, f);
    }
    s->finished = 1;
    return 0;
}

struct splitter_chunk *splitter_next(struct splitter *s)
{
    struct splitter_qnode *n = s->qhead;

    if (n == NULL)
        return NULL;
    s->qhead = n->next;
    if (s->qhead == NULL)
        s->qtail = NULL;
    n->next = NULL;
    return &n->c;
}

const uint8_t *splitter_prefix(const struct splitter *s, size_t *len)
{
    *len = s->prefix_len;
    return s->prefix != NULL ? s->prefix : (const uint8_t *)"";
}

uint64_t splitter_total_rows(const struct splitter *s)
{
    return s->rows_total;
}

size_t splitter_column_count(const struct splitter *s)
{
    return s->ncols;
}

const char *splitter_column_name(const struct splitter *s, size_t i)
{
    if (i >= s->ncols)
        return NULL;
    return s->cols[i].name;
}

enum splitter_coltype splitter_column_type(const struct splitter *s, size_t i)
{
    if (i < s->ncols && colorder_col_type(&s->run[i]) == COLORDER_NUMBER)
        return SPLITTER_COL_NUMBER;
    return SPLITTER_COL_TEXT;
}
