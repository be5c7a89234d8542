/*
 * fuzz_planner: any bytes as a query body, planned and priced over real
 * data-sets (pricing/planner.c, pricing/quote.c).
 *
 * Once, at the first input: a data dir in $TMPDIR (removed at exit) with
 * three published data-sets made by the real ingest: a CSV and a JSON
 * Lines file of the same generated rows (numbers of every shape, text,
 * empty values, values past the index's 256 bytes, a column that holds
 * both, one that holds nothing, one that JSON Lines learns late), chunked
 * finely, and a blob. Their rows stay in memory, each value with what it
 * is to the index, and their chunk records are read back.
 *
 * Then each input that query_parse reads is planned over each data-set
 * and priced under three plans, and checked:
 * - the chunks are in strictly ascending index, each below chunk_count,
 *   each exactly its stored record, and the usage sums theirs;
 * - rows, chunks and all touch exactly the chunks they should; where
 *   touches at least every chunk that holds a row matching every
 *   condition (colorder_cond_match, row by row: the planner is sound);
 * - refusals are the ones the query earns, naming the field DESIGN.md 3.6
 *   says (a selector a blob does not take, the first chunk index past the
 *   end, the first condition with an unknown column or a value of the
 *   wrong type), with the result zeroed;
 * - quote_make touches what planner_run does and costs what DESIGN.md 4's
 *   formula gives, computed here in 128 bits: a cost past 2^63 - 1 is
 *   refused naming "cost"; a pass costs 0.
 */
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/log.h"
#include "pricing/planner.h"
#include "pricing/query.h"
#include "pricing/quote.h"
#include "storage/colorder.h"
#include "storage/ingest.h"
#include "storage/reader.h"
#include "storage/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FP_ROWS 600
#define FP_MAX_COLS 12

__extension__ typedef unsigned __int128 fp_u128;

/* One value of one row, as the index sees it. */
struct fp_val {
    enum colorder_kind kind; /* NONE: not indexed */
    char *v;                 /* its bytes (a JSON string decoded) */
    size_t vn;
};

struct fp_set {
    const char *label;
    enum splitter_format format;
    struct catalog_dataset d;
    size_t ncols;
    char *names[FP_MAX_COLS];
    enum colorder_kind types[FP_MAX_COLS];   /* worked out here */
    struct fp_val (*rows)[FP_MAX_COLS];      /* FP_ROWS (NULL: a blob) */
    struct catalog_chunk *chunks;            /* by index */
    uint64_t *row_chunk;                     /* per row, its chunk */
    size_t row_off[FP_ROWS + 1];             /* where each row starts in
                                                the bytes ingested */
};

static struct {
    int ready;
    char *dir;
    struct store *st;
    struct fp_set sets[3];
    struct plan plans[3];
} fp;

static void fp_die(const char *what, const struct fault *f)
{
    fprintf(stderr, "fuzz_planner: %s: %s\n", what, f ? f->detail : "");
    abort();
}

/* ---- a deterministic generator ---------------------------------------- */

static uint64_t fp_state = 0x9e3779b97f4a7c15ull;

static uint64_t fp_rand(void)
{
    fp_state ^= fp_state << 13;
    fp_state ^= fp_state >> 7;
    fp_state ^= fp_state << 17;
    return fp_state;
}

static unsigned fp_pick(unsigned n)
{
    return (unsigned)(fp_rand() % n);
}

/* ---- text being built ---------------------------------------------------- */

struct fp_buf {
    char *p;
    size_t len, cap;
};

static void fp_put(struct fp_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            fp_die("out of memory", NULL);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void fp_puts(struct fp_buf *b, const char *s)
{
    fp_put(b, s, strlen(s));
}

/* ---- the rows ------------------------------------------------------------ */

static const char *const fp_numbers[] = {
    "0", "-0", "1", "-1", "7", "42", "-42", "100", "1e2", "1E2", "1e+2",
    "10e1", "0.5", "-0.5", "2.50", "3.25", "12.5E-1", "1e-3", "-1e-3",
    "999", "1000", "1000.0", "123456789012345678901234", "-9e99",
    "1e400", "9e399", "0.000000000000000000001", "18446744073709551616",
    "9007199254740993", "5", "5.0", "50e-1",
};
#define FP_NNUMBERS (sizeof fp_numbers / sizeof fp_numbers[0])

static const char *const fp_words[] = {
    "a", "b", "abc", "ab", "B", "z", "row 1", "row, with comma",
    "quote \"x\"", "\xc3\xa9t\xc3\xa9", "\xf0\x9f\x98\x80", "12a", "-",
    "1.", "+5", "007", "NaN", " 1", "0x10", "", "\xf4\x8f\xbf\xbf",
};
#define FP_NWORDS (sizeof fp_words / sizeof fp_words[0])

static void fp_set_val(struct fp_val *out, enum colorder_kind kind,
                       const char *v, size_t vn)
{
    out->kind = vn == 0 ? COLORDER_NONE : kind;
    out->v = malloc(vn + 1);
    if (out->v == NULL)
        fp_die("out of memory", NULL);
    memcpy(out->v, v, vn);
    out->v[vn] = '\0';
    out->vn = vn;
}

/* A value of 240 to 320 bytes: a long shared prefix, then a tail. */
static void fp_long_text(struct fp_buf *b, const char *unit, size_t unit_len)
{
    size_t n = 240 + fp_pick(80), i;
    char tail[16];

    b->len = 0;
    for (i = 0; i + unit_len <= n - 4; i += unit_len)
        fp_put(b, unit, unit_len);
    snprintf(tail, sizeof tail, "%03u", fp_pick(1000));
    fp_puts(b, tail);
}

/* The rows: what each value is, whatever the format that carries it.
 * jsonl says whether the format can carry a JSON type (a string that
 * looks like a number is then text, and null or true is not indexed). */
static void fp_make_rows(struct fp_set *s, int jsonl)
{
    static const char *const names[] = {"id", "score", "name", "mixed",
                                        "big", "long", "hi", "empty",
                                        "late"};
    struct fp_buf b = {NULL, 0, 0};
    size_t r, c;
    char t[64];

    s->ncols = jsonl ? 9 : 8;
    for (c = 0; c < s->ncols; c++)
        s->names[c] = strdup(names[c]);
    s->rows = calloc(FP_ROWS, sizeof *s->rows);
    if (s->rows == NULL)
        fp_die("out of memory", NULL);
    fp_state = 0x9e3779b97f4a7c15ull; /* the same rows for both formats */
    for (r = 0; r < FP_ROWS; r++) {
        struct fp_val *v = s->rows[r];
        const char *w;
        unsigned k;

        snprintf(t, sizeof t, "%zu", r);
        fp_set_val(&v[0], COLORDER_NUMBER, t, strlen(t));
        /* score: numbers of every shape, some missing. */
        k = fp_pick(12);
        w = k == 0 ? "" : fp_numbers[fp_pick(FP_NNUMBERS)];
        fp_set_val(&v[1], COLORDER_NUMBER, w, strlen(w));
        /* name: text, some empty. */
        w = fp_words[fp_pick(FP_NWORDS)];
        if (fp_pick(3) == 0) {
            snprintf(t, sizeof t, "n%03u%s", fp_pick(1000), w);
            w = t;
        }
        fp_set_val(&v[2], COLORDER_TEXT, w, strlen(w));
        /* mixed: numbers and words. In JSON Lines a number may come as
         * a string, which is text. */
        k = fp_pick(10);
        if (k < 5) {
            w = fp_numbers[fp_pick(FP_NNUMBERS)];
            fp_set_val(&v[3], jsonl && k == 0 ? COLORDER_TEXT
                                              : COLORDER_NUMBER,
                       w, strlen(w));
        } else {
            w = k == 9 ? "" : fp_words[fp_pick(FP_NWORDS)];
            fp_set_val(&v[3], COLORDER_TEXT, w, strlen(w));
        }
        /* big: numbers, some longer than the index keeps. */
        if (fp_pick(8) == 0) {
            size_t i, n = 250 + fp_pick(20);
            b.len = 0;
            if (fp_pick(2))
                fp_puts(&b, "-");
            fp_puts(&b, "1");
            for (i = 1; i < n; i++) {
                t[0] = (char)('0' + fp_pick(10));
                fp_put(&b, t, 1);
            }
            if (fp_pick(2))
                fp_puts(&b, "e-240");
            fp_set_val(&v[4], COLORDER_NUMBER, b.p, b.len);
        } else {
            snprintf(t, sizeof t, "%d.%u", (int)fp_pick(2000) - 1000,
                     fp_pick(100));
            fp_set_val(&v[4], COLORDER_NUMBER, t, strlen(t));
        }
        /* long: text past the index's 256 bytes, sharing a prefix. */
        if (fp_pick(4) == 0) {
            w = fp_words[fp_pick(FP_NWORDS)];
            fp_set_val(&v[5], COLORDER_TEXT, w, strlen(w));
        } else {
            fp_long_text(&b, fp_pick(2) ? "L" : "M", 1);
            fp_set_val(&v[5], COLORDER_TEXT, b.p, b.len);
        }
        /* hi: the highest code point, long: a cut max raised. */
        if (fp_pick(3) == 0) {
            fp_long_text(&b, "\xf4\x8f\xbf\xbf", 4);
            fp_set_val(&v[6], COLORDER_TEXT, b.p, b.len);
        } else {
            w = fp_words[fp_pick(FP_NWORDS)];
            fp_set_val(&v[6], COLORDER_TEXT, w, strlen(w));
        }
        /* empty: nothing, ever. */
        fp_set_val(&v[7], COLORDER_NONE, "", 0);
        /* late: only in JSON Lines, from row 400 on. */
        if (jsonl) {
            if (r >= 400) {
                snprintf(t, sizeof t, "%zu", r * 7 % 50);
                fp_set_val(&v[8], COLORDER_NUMBER, t, strlen(t));
            } else {
                fp_set_val(&v[8], COLORDER_NONE, "", 0);
            }
        }
    }
    free(b.p);
    /* The column types, by colorder.h's rule. */
    for (c = 0; c < s->ncols; c++) {
        int seen_num = 0, seen_text = 0;
        for (r = 0; r < FP_ROWS; r++) {
            seen_num |= s->rows[r][c].kind == COLORDER_NUMBER;
            seen_text |= s->rows[r][c].kind == COLORDER_TEXT;
        }
        s->types[c] = colorder_type_of(seen_num, seen_text);
    }
}

static void fp_csv_field(struct fp_buf *b, const struct fp_val *v)
{
    size_t i;

    if (memchr(v->v, ',', v->vn) == NULL && memchr(v->v, '"', v->vn) == NULL) {
        fp_put(b, v->v, v->vn);
        return;
    }
    fp_puts(b, "\"");
    for (i = 0; i < v->vn; i++) {
        if (v->v[i] == '"')
            fp_puts(b, "\"");
        fp_put(b, v->v + i, 1);
    }
    fp_puts(b, "\"");
}

static char *fp_csv(struct fp_set *s, size_t *len)
{
    struct fp_buf b = {NULL, 0, 0};
    size_t r, c;

    for (c = 0; c < s->ncols; c++) {
        fp_puts(&b, c ? "," : "");
        fp_puts(&b, s->names[c]);
    }
    fp_puts(&b, "\n");
    for (r = 0; r < FP_ROWS; r++) {
        s->row_off[r] = b.len;
        for (c = 0; c < s->ncols; c++) {
            if (c)
                fp_puts(&b, ",");
            fp_csv_field(&b, &s->rows[r][c]);
        }
        fp_puts(&b, r % 7 == 3 ? "\r\n" : "\n");
    }
    s->row_off[FP_ROWS] = b.len;
    *len = b.len;
    return b.p;
}

static char *fp_jsonl(struct fp_set *s, size_t *len)
{
    static const char *const not_indexed[] = {"null", "true", "false",
                                              "{\"a\":1}", "[1,\"x\"]",
                                              "\"\""};
    struct fp_buf b = {NULL, 0, 0};
    size_t r, c;

    for (r = 0; r < FP_ROWS; r++) {
        int first = 1;
        s->row_off[r] = b.len;
        fp_puts(&b, "{");
        for (c = 0; c < s->ncols; c++) {
            const struct fp_val *v = &s->rows[r][c];
            if (c == 8 && r < 400)
                continue; /* "late" is not there yet */
            if (c == 7 && r % 5 == 0)
                continue; /* "empty" is sometimes absent */
            fp_puts(&b, first ? "\"" : ",\"");
            first = 0;
            fp_puts(&b, s->names[c]);
            fp_puts(&b, "\":");
            if (v->kind == COLORDER_NUMBER) {
                fp_put(&b, v->v, v->vn);
            } else if (v->kind == COLORDER_NONE) {
                fp_puts(&b, not_indexed[(r + c) % 6]);
            } else {
                json_t *j = json_stringn(v->v, v->vn);
                char *t = j ? json_dumps(j, JSON_ENCODE_ANY |
                                                (r % 2 ? JSON_ENSURE_ASCII
                                                       : 0))
                            : NULL;
                if (t == NULL)
                    fp_die("json_dumps", NULL);
                fp_puts(&b, t);
                free(t);
                json_decref(j);
            }
        }
        fp_puts(&b, "}\n");
    }
    s->row_off[FP_ROWS] = b.len;
    *len = b.len;
    return b.p;
}

/* ---- the store ---------------------------------------------------------- */

struct fp_src {
    const uint8_t *p;
    size_t len, pos;
};

static int fp_read(void *arg, uint8_t *buf, size_t cap, size_t *got,
                   struct fault *f)
{
    struct fp_src *m = arg;
    size_t n = m->len - m->pos;

    (void)f;
    if (n > cap)
        n = cap;
    if (n > 4093)
        n = 4093;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    *got = n;
    return 0;
}

static int fp_take_chunk(void *arg, const struct catalog_chunk *c,
                         struct fault *f)
{
    struct fp_set *s = arg;

    (void)f;
    if (c->index >= s->d.chunk_count)
        fp_die("a chunk past chunk_count", NULL);
    s->chunks[c->index] = *c;
    return 0;
}

static void fp_ingest(struct fp_set *s, const char *bytes, size_t len,
                      uint64_t chunk_bytes, uint64_t chunk_rows)
{
    struct store_dataset_spec spec;
    struct ingest_options opt;
    struct fp_src src = {(const uint8_t *)bytes, len, 0};
    uint8_t id[CATALOG_ID_LEN];
    struct catalog_column *cols = NULL;
    size_t ncols = 0, i;
    uint64_t r, next = 0;
    struct fault f;

    memset(&spec, 0, sizeof spec);
    spec.format = s->format;
    spec.name = s->label;
    spec.chunk_bytes = chunk_bytes;
    spec.chunk_rows = chunk_rows;
    spec.zlib_level = -1;
    spec.preview_rows = 2;
    memset(&opt, 0, sizeof opt);
    opt.threads = 1;
    opt.total_bytes = len;
    if (store_create_dataset(fp.st, id, &spec, CATALOG_PUBLISHING, &f) < 0 ||
        ingest_run(fp.st, NULL, id, fp_read, &src, &opt, &f) < 0 ||
        catalog_get_dataset(fp.st, &s->d, id, &f) < 0)
        fp_die(s->label, &f);
    if (s->d.state != CATALOG_PUBLISHED || s->d.chunk_count < 2)
        fp_die("not published", NULL);
    s->chunks = calloc((size_t)s->d.chunk_count, sizeof *s->chunks);
    if (s->chunks == NULL ||
        catalog_each_chunk(fp.st, s->d.id, fp_take_chunk, s, &f) < 0)
        fp_die("chunks", &f);
    for (i = 0; i < s->d.chunk_count; i++)
        if (s->chunks[i].index != i || s->chunks[i].object_id[0] == '\0')
            fp_die("a chunk is missing", NULL);
    if (s->rows == NULL)
        return;
    if (s->d.rows != FP_ROWS)
        fp_die("the rows are not all there", NULL);
    /* Each row's chunk, and the chunks tile the rows: each holds, once
     * decrypted, exactly the bytes of its rows as they were written. */
    s->row_chunk = calloc(FP_ROWS, sizeof *s->row_chunk);
    for (i = 0; i < s->d.chunk_count; i++) {
        const struct catalog_chunk *c = &s->chunks[i];
        uint8_t *plain = NULL;
        size_t plain_len = 0, from, upto;
        if (!c->has_rows || c->first_row != next || c->rows == 0 ||
            c->first_row + c->rows > FP_ROWS)
            fp_die("the chunks do not tile the rows", NULL);
        if (reader_chunk(fp.st, &plain, &plain_len, id, i, &f) < 0)
            fp_die("reader_chunk", &f);
        from = s->row_off[c->first_row];
        upto = s->row_off[c->first_row + c->rows];
        if (plain_len != upto - from || plain_len != c->plain_bytes ||
            memcmp(plain, bytes + from, plain_len) != 0)
            fp_die("a chunk does not hold its rows", NULL);
        free(plain);
        for (r = c->first_row; r < c->first_row + c->rows; r++)
            s->row_chunk[r] = i;
        next += c->rows;
    }
    if (next != FP_ROWS)
        fp_die("the chunks do not tile the rows", NULL);
    /* The types the index gave agree with the ones worked out here. */
    if (catalog_get_columns(fp.st, &cols, &ncols, s->d.id, &f) < 0)
        fp_die("columns", &f);
    if (ncols != s->ncols)
        fp_die("the column count differs", NULL);
    for (i = 0; i < ncols; i++)
        if (strcmp(cols[i].name, s->names[i]) != 0 ||
            (cols[i].is_number != 0) != (s->types[i] == COLORDER_NUMBER))
            fp_die("a column's name or type differs", NULL);
    catalog_columns_free(cols, ncols);
}

static int fp_rm(const char *path, const struct stat *sb, int type,
                 struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void fp_cleanup(void)
{
    store_close(fp.st);
    fp.st = NULL;
    if (fp.dir != NULL)
        nftw(fp.dir, fp_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void fp_setup(void)
{
    static const char *const plans[] = {
        "{\"kind\":\"metered\",\"unit_wei\":\"1000\",\"per_query\":\"7\","
        "\"per_chunk\":\"3\",\"per_row\":\"2\",\"per_mib\":\"5\"}",
        "{\"kind\":\"metered\",\"unit_wei\":\"1\",\"per_query\":"
        "\"9223372036854775000\",\"per_chunk\":\"1\",\"per_row\":"
        "\"4611686018427387904\",\"per_mib\":\"9223372036854775807\"}",
        "{\"kind\":\"pass\",\"unit_wei\":\"1\",\"price\":\"10\","
        "\"duration_s\":60}",
    };
    const char *tmp = getenv("TMPDIR");
    char path[4096], data[4200];
    struct fault f;
    uint8_t blob[6000];
    char *bytes;
    size_t len, i;

    snprintf(path, sizeof path, "%s/fuzz_planner.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(path) == NULL)
        fp_die("mkdtemp", NULL);
    fp.dir = strdup(path);
    atexit(fp_cleanup);
    log_set_level(LOG_WARN);
    snprintf(data, sizeof data, "%s/data", path);
    if (store_open(&fp.st, NULL, data, &f) < 0)
        fp_die("store_open", &f);
    for (i = 0; i < 3; i++)
        if (plan_from_text(&fp.plans[i], plans[i], strlen(plans[i]), &f) < 0)
            fp_die("plan", &f);

    fp.sets[0].label = "csv";
    fp.sets[0].format = SPLITTER_CSV;
    fp_make_rows(&fp.sets[0], 0);
    bytes = fp_csv(&fp.sets[0], &len);
    fp_ingest(&fp.sets[0], bytes, len, 0, 4); /* 150 chunks */
    free(bytes);

    fp.sets[1].label = "jsonl";
    fp.sets[1].format = SPLITTER_JSONL;
    fp_make_rows(&fp.sets[1], 1);
    bytes = fp_jsonl(&fp.sets[1], &len);
    fp_ingest(&fp.sets[1], bytes, len, 3000, 0); /* chunks of 1 to 12 rows */
    free(bytes);

    fp.sets[2].label = "blob";
    fp.sets[2].format = SPLITTER_BLOB;
    for (i = 0; i < sizeof blob; i++)
        blob[i] = (uint8_t)fp_rand();
    fp_ingest(&fp.sets[2], (const char *)blob, sizeof blob, 250, 0);
    fp.ready = 1;
}

/* ---- the checks ----------------------------------------------------------- */

/* What the planner should answer for q over s: -1 and the field it
 * should name, or 0 and in want[] (chunk_count bytes) the chunks it must
 * touch (must = 1) or may (where: a chunk the index cannot rule out). */
static int fp_expect(const struct fp_set *s, const struct query *q,
                     uint8_t *must, int *exact, char *field, size_t cap)
{
    const uint64_t n = s->d.chunk_count;
    struct colorder_cond conds[QUERY_WHERE_MAX];
    size_t k, c, i;
    uint64_t r, to;
    struct fault f;

    memset(must, 0, (size_t)n);
    *exact = 1;
    field[0] = '\0';
    if (s->format == SPLITTER_BLOB &&
        (q->kind == QUERY_ROWS || q->kind == QUERY_WHERE)) {
        snprintf(field, cap, "%s", q->kind == QUERY_ROWS ? "rows" : "where");
        return -1;
    }
    switch (q->kind) {
    case QUERY_ROWS:
        to = q->to < s->d.rows ? q->to : s->d.rows;
        for (i = 0; i < n; i++)
            must[i] = q->from < to && s->chunks[i].first_row < to &&
                      s->chunks[i].first_row + s->chunks[i].rows > q->from;
        return 0;
    case QUERY_CHUNKS:
        for (i = 0; i < q->nchunks; i++) {
            if (q->chunks[i] >= n) {
                snprintf(field, cap, "chunks[%zu]", i);
                return -1;
            }
            must[q->chunks[i]] = 1;
        }
        return 0;
    case QUERY_ALL:
        memset(must, 1, (size_t)n);
        return 0;
    case QUERY_WHERE:
        *exact = 0;
        for (k = 0; k < q->nconds; k++) {
            for (c = 0; c < s->ncols; c++)
                if (strcmp(s->names[c], q->conds[k].column) == 0)
                    break;
            if (c == s->ncols) {
                snprintf(field, cap, "where[%zu][0]", k);
                return -1;
            }
            if (q->conds[k].value != s->types[c]) {
                snprintf(field, cap, "where[%zu][2]", k);
                return -1;
            }
            if (colorder_cond_init(&conds[k], s->types[c], q->conds[k].op,
                                   q->conds[k].value,
                                   (const uint8_t *)q->conds[k].v,
                                   q->conds[k].vn, NULL, &f) < 0)
                abort(); /* query_parse let through a value it should not */
        }
        /* Soundness, row by row. */
        for (r = 0; r < FP_ROWS; r++) {
            for (k = 0; k < q->nconds; k++) {
                const struct fp_val *v;
                for (c = 0; c < s->ncols; c++)
                    if (strcmp(s->names[c], q->conds[k].column) == 0)
                        break;
                v = &s->rows[r][c];
                if (!colorder_cond_match(&conds[k], v->kind,
                                         (const uint8_t *)v->v, v->vn))
                    break;
            }
            if (k == q->nconds)
                must[s->row_chunk[r]] = 1;
        }
        return 0;
    }
    abort();
}

static int fp_same_chunk(const struct catalog_chunk *a,
                         const struct catalog_chunk *b)
{
    return a->index == b->index && strcmp(a->object_id, b->object_id) == 0 &&
           a->has_rows == b->has_rows && a->first_row == b->first_row &&
           a->rows == b->rows && a->plain_bytes == b->plain_bytes &&
           a->stored_bytes == b->stored_bytes;
}

static int fp_same_plan(const struct plan *a, const struct plan *b)
{
    return a->kind == b->kind && strcmp(a->unit_wei, b->unit_wei) == 0 &&
           a->unit_wei_u64 == b->unit_wei_u64 &&
           a->per_query == b->per_query && a->per_chunk == b->per_chunk &&
           a->per_row == b->per_row && a->per_mib == b->per_mib &&
           a->min_purchase == b->min_purchase && a->price == b->price &&
           a->duration_s == b->duration_s;
}

static void fp_check_result(const struct fp_set *s,
                            const struct planner_result *res,
                            const uint8_t *must, int exact)
{
    uint64_t rows = 0, bytes = 0;
    size_t i, j = 0;

    if (res->usage.chunks != res->n || (res->n > 0) != (res->chunks != NULL))
        abort();
    for (i = 0; i < res->n; i++) {
        const struct catalog_chunk *c = &res->chunks[i], *want;
        if (c->index >= s->d.chunk_count)
            abort();
        if (i > 0 && c->index <= res->chunks[i - 1].index)
            abort();
        want = &s->chunks[c->index];
        if (!fp_same_chunk(c, want))
            abort();
        rows += c->rows;
        bytes += c->plain_bytes;
    }
    if (rows != res->usage.rows || bytes != res->usage.plain_bytes)
        abort();
    /* Every chunk that must be there is; with an exact selector, no
     * other. */
    for (i = 0; i < s->d.chunk_count; i++) {
        int there = j < res->n && res->chunks[j].index == i;
        if (must[i] && !there)
            abort();
        if (exact && there && !must[i])
            abort();
        j += there;
    }
}

/* The cost by DESIGN.md 4, in 128 bits: 0 when it passes 2^63 - 1. */
static int fp_cost(uint64_t *cost, const struct plan *p,
                   const struct plan_usage *u)
{
    fp_u128 c;

    *cost = 0;
    if (p->kind == PLAN_PASS)
        return 0;
    c = (fp_u128)p->per_query + (fp_u128)p->per_chunk * u->chunks +
        (fp_u128)p->per_row * u->rows +
        (fp_u128)p->per_mib * ((u->plain_bytes + ((1u << 20) - 1)) >> 20);
    if (c > (fp_u128)INT64_MAX)
        return -1;
    *cost = (uint64_t)c;
    return 0;
}

static void fp_check_set(const struct fp_set *s, const struct query *q)
{
    static const struct planner_result zero_res;
    static const struct quote zero_quote;
    struct planner_result res;
    struct quote qt;
    struct fault f;
    uint8_t *must;
    char field[FAULT_FIELD_MAX];
    uint64_t cost;
    size_t i, k;
    int exact, want, rv;

    must = malloc((size_t)s->d.chunk_count);
    if (must == NULL)
        abort();
    want = fp_expect(s, q, must, &exact, field, sizeof field);
    memset(&res, 0xa5, sizeof res);
    fault_clear(&f);
    rv = planner_run(&res, fp.st, &s->d, q, &f);
    if (rv != want)
        abort();
    if (rv < 0) {
        if (memcmp(&res, &zero_res, sizeof res) != 0 ||
            f.kind != FAULT_INVALID || strcmp(f.field, field) != 0)
            abort();
        free(must);
        return;
    }
    fp_check_result(s, &res, must, exact);
    for (i = 0; i < 3; i++) {
        const struct plan *p = &fp.plans[i];
        int over = fp_cost(&cost, p, &res.usage) < 0;

        memset(&qt, 0xa5, sizeof qt);
        fault_clear(&f);
        if (quote_make(&qt, fp.st, &s->d, p, q, &f) < 0) {
            if (!over || f.kind != FAULT_INVALID ||
                strcmp(f.field, "cost") != 0 ||
                memcmp(&qt, &zero_quote, sizeof qt) != 0)
                abort();
            continue;
        }
        if (over || qt.cost != cost || qt.touched.n != res.n ||
            !fp_same_plan(&qt.plan, p) ||
            qt.touched.usage.chunks != res.usage.chunks ||
            qt.touched.usage.rows != res.usage.rows ||
            qt.touched.usage.plain_bytes != res.usage.plain_bytes)
            abort();
        for (k = 0; k < res.n; k++)
            if (!fp_same_chunk(&qt.touched.chunks[k], &res.chunks[k]))
                abort();
        quote_clear(&qt);
    }
    planner_result_clear(&res);
    free(must);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct query q;
    struct fault f;
    size_t i;

    if (!fp.ready)
        fp_setup();
    if (query_parse(&q, data, size, &f) < 0)
        return 0;
    for (i = 0; i < 3; i++)
        fp_check_set(&fp.sets[i], &q);
    query_clear(&q);
    return 0;
}
