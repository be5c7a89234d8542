/* splitter: rows, chunks, prefix, the per-chunk index and the preview. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "storage/numtext.h"
#include "storage/splitter.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* ---- helpers ---------------------------------------------------------- */

/* How input is fed: all at once, in fixed pieces, in random pieces, or
 * borrowed in place (splitter_borrow) and let in a fixed step at a time. */
enum feed_kind { FEED_ALL, FEED_FIXED, FEED_RANDOM, FEED_BORROW };

struct feed {
    enum feed_kind kind;
    size_t size; /* FIXED: piece size; RANDOM: largest piece; BORROW:
                    step */
};

static const struct feed feeds[] = {
    {FEED_ALL, 0},    {FEED_FIXED, 1},    {FEED_FIXED, 2},
    {FEED_FIXED, 3},  {FEED_FIXED, 7},    {FEED_RANDOM, 13},
    {FEED_RANDOM, 300}, {FEED_RANDOM, 70000}, {FEED_BORROW, 1},
    {FEED_BORROW, 5}, {FEED_BORROW, 4096},
};
#define NFEEDS (sizeof feeds / sizeof feeds[0])

struct result {
    int rv;
    struct fault f;
    struct splitter *s;
    struct splitter_chunk **chunks;
    size_t n;
    uint8_t *borrowed; /* FEED_BORROW: the input the chunks point into */
};

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t rnd(size_t n)
{
    return n ? (size_t)(rng() % n) : 0;
}

static void take_chunks(struct result *r)
{
    struct splitter_chunk *c;

    while ((c = splitter_next(r->s)) != NULL) {
        r->chunks = realloc(r->chunks, (r->n + 1) * sizeof *r->chunks);
        assert_non_null(r->chunks);
        r->chunks[r->n++] = c;
    }
}

/* Split in[0..len) with cfg, fed as fd says; take chunks as they come. */
static void split(struct result *r, const struct splitter_config *cfg,
                  const void *in, size_t len, struct feed fd)
{
    const uint8_t *p = in;
    size_t off = 0;

    memset(r, 0, sizeof *r);
    fault_clear(&r->f);
    assert_int_equal(splitter_new(&r->s, cfg, &r->f), 0);
    if (fd.kind == FEED_BORROW) {
        /* A copy with the 16 readable bytes the splitter may read past
         * the end. */
        r->borrowed = calloc(1, len + 16);
        assert_non_null(r->borrowed);
        if (len > 0)
            memcpy(r->borrowed, in, len);
        assert_int_equal(splitter_borrow(r->s, r->borrowed, len, &r->f), 0);
        for (off = 0; off < len; off += fd.size) {
            size_t n = len - off < fd.size ? len - off : fd.size;
            if (splitter_advance(r->s, n, &r->f) < 0) {
                r->rv = -1;
                take_chunks(r);
                return;
            }
            take_chunks(r);
        }
        r->rv = splitter_finish(r->s, &r->f);
        take_chunks(r);
        return;
    }
    while (off < len) {
        size_t n = len - off;
        if (fd.kind == FEED_FIXED && n > fd.size)
            n = fd.size;
        if (fd.kind == FEED_RANDOM)
            n = 1 + rnd(n < fd.size ? n : fd.size);
        if (splitter_feed(r->s, p + off, n, &r->f) < 0) {
            r->rv = -1;
            take_chunks(r);
            return;
        }
        off += n;
        take_chunks(r);
    }
    r->rv = splitter_finish(r->s, &r->f);
    take_chunks(r);
}

static void result_free(struct result *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        splitter_chunk_free(r->chunks[i]);
    free(r->chunks);
    splitter_free(r->s);
    free(r->borrowed);
    memset(r, 0, sizeof *r);
}

/* prefix || chunks == input; chunk numbering and row ranges are
 * contiguous; every row chunk holds >= 1 row. */
static void check_roundtrip(const struct result *r, const void *in,
                            size_t len, enum splitter_format fmt)
{
    size_t plen, off, i;
    const uint8_t *pre = splitter_prefix(r->s, &plen);
    uint64_t row = 0;

    assert_int_equal(r->rv, 0);
    assert_true(plen <= len);
    assert_memory_equal(pre, in, plen);
    off = plen;
    for (i = 0; i < r->n; i++) {
        const struct splitter_chunk *c = r->chunks[i];
        assert_int_equal(c->index, i);
        assert_true(c->len > 0);
        assert_true(off + c->len <= len);
        assert_memory_equal(c->data, (const uint8_t *)in + off, c->len);
        off += c->len;
        if (fmt == SPLITTER_BLOB) {
            assert_int_equal(c->rows, 0);
            assert_int_equal(c->first_row, 0);
            assert_int_equal(c->ncols, 0);
        } else {
            assert_true(c->rows >= 1);
            assert_int_equal(c->first_row, row);
            row += c->rows;
        }
    }
    assert_int_equal(off, len);
    if (fmt != SPLITTER_BLOB)
        assert_int_equal(row, splitter_total_rows(r->s));
}

static void cfg_for(struct splitter_config *cfg, enum splitter_format fmt,
                    size_t chunk_bytes, uint64_t chunk_rows)
{
    splitter_config_default(cfg, fmt);
    cfg->chunk_bytes = chunk_bytes;
    cfg->chunk_rows = chunk_rows;
}

/* ---- crafted inputs: rows, chunks and prefix --------------------------- */

struct shape_case {
    const char *name;
    enum splitter_format fmt;
    const char *in;
    size_t chunk_bytes;
    uint64_t chunk_rows;
    uint64_t rows;
    size_t chunks;
    size_t prefix_len;
    size_t first_chunk_len; /* 0: not checked */
};

#define BOM "\xef\xbb\xbf"

static const struct shape_case shape_cases[] = {
    {"empty csv", SPLITTER_CSV, "", 16, 0, 0, 0, 0, 0},
    {"empty jsonl", SPLITTER_JSONL, "", 16, 0, 0, 0, 0, 0},
    {"header only", SPLITTER_CSV, "a,b\n", 16, 0, 0, 0, 4, 0},
    {"header only, no LF", SPLITTER_CSV, "a,b", 16, 0, 0, 0, 3, 0},
    {"header only, blank lines", SPLITTER_CSV, "\n\r\na,b\r\n\n\n", 16, 0, 0,
     0, 10, 0},
    {"only blank lines csv", SPLITTER_CSV, "\n\n\r\n", 16, 0, 0, 0, 4, 0},
    {"only blank lines jsonl", SPLITTER_JSONL, "\n \t\n\r\n  ", 16, 0, 0, 0,
     8, 0},
    {"one row", SPLITTER_CSV, "a,b\n1,2\n", 1024, 0, 1, 1, 4, 4},
    {"no final newline", SPLITTER_CSV, "a,b\n1,2\n3,4", 1024, 0, 2, 1, 4, 7},
    {"BOM csv", SPLITTER_CSV, BOM "a,b\n1,2\n", 1024, 0, 1, 1, 7, 4},
    {"BOM only", SPLITTER_CSV, BOM, 1024, 0, 0, 0, 3, 0},
    {"BOM jsonl", SPLITTER_JSONL, BOM "{\"a\":1}\n", 1024, 0, 1, 1, 3, 8},
    {"CRLF", SPLITTER_CSV, "a,b\r\n1,2\r\n3,4\r\n", 1024, 0, 2, 1, 5, 10},
    {"mixed line ends", SPLITTER_CSV, "a,b\r\n1,2\n3,4\r\n5,6", 1024, 0, 3, 1,
     5, 0},
    {"quoted newlines", SPLITTER_CSV,
     "a,b\n\"x\ny\",\"p\r\nq\"\n\"\"\"\",2\n", 1024, 0, 2, 1, 4, 0},
    {"quoted comma", SPLITTER_CSV, "a,b\n\"1,2\",3\n", 1024, 0, 1, 1, 4, 0},
    {"stray quote is data", SPLITTER_CSV, "a,b\nx\"y,z\"\n", 1024, 0, 1, 1, 4,
     0},
    {"blank lines everywhere", SPLITTER_CSV,
     "\n\na,b\n\n1,2\n\r\n\n3,4\n\n\n", 1024, 0, 2, 1, 7, 0},
    {"blank lines before first row", SPLITTER_JSONL,
     "\n  \n\t\r\n{\"a\":1}\n", 1024, 0, 1, 1, 7, 0},
    {"jsonl last line without LF", SPLITTER_JSONL, "{\"a\":1}\n{\"a\":2}",
     1024, 0, 2, 1, 0, 0},
    {"jsonl CRLF", SPLITTER_JSONL, "{\"a\":1}\r\n{\"a\":2}\r\n", 1024, 0, 2, 1,
     0, 0},
    /* by bytes: cut at the first row boundary at or past chunk_bytes */
    {"bytes: one row per chunk", SPLITTER_CSV, "a\n1\n2\n3\n", 1, 0, 3, 3, 2,
     2},
    {"bytes: two rows per chunk", SPLITTER_CSV, "a\n1\n2\n3\n4\n5\n", 4, 0, 5,
     3, 2, 4},
    {"bytes: blank lines stay with their row", SPLITTER_CSV,
     "a\n1\n\n\n2\n\n3\n", 2, 0, 3, 3, 2, 4},
    {"bytes: blank lines count toward the size", SPLITTER_CSV,
     "a\n1\n\n\n2\n3\n", 3, 0, 3, 2, 2, 4},
    {"bytes: big target", SPLITTER_CSV, "a\n1\n2\n3\n", 1 << 20, 0, 3, 1, 2,
     6},
    /* by rows */
    {"rows: 2 per chunk", SPLITTER_CSV, "a\n1\n2\n3\n4\n5\n", 1, 2, 5, 3, 2,
     4},
    {"rows: 1 per chunk, blanks", SPLITTER_JSONL,
     "{}\n\n{}\n \n{}", 1, 1, 3, 3, 0, 4},
    {"rows: exact", SPLITTER_CSV, "a\n1\n2\n3\n4\n", 1 << 20, 2, 4, 2, 2, 4},
    /* blobs */
    {"blob empty", SPLITTER_BLOB, "", 4, 0, 0, 0, 0, 0},
    {"blob exact", SPLITTER_BLOB, "abcdefgh", 4, 0, 0, 2, 0, 4},
    {"blob short tail", SPLITTER_BLOB, "abcdefghij", 4, 0, 0, 3, 0, 4},
    {"blob smaller than a chunk", SPLITTER_BLOB, "abc", 4, 0, 0, 1, 0, 3},
    {"blob with BOM keeps it", SPLITTER_BLOB, BOM "ab", 4, 0, 0, 2, 0, 4},
};

static void test_shapes(void **state)
{
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof shape_cases / sizeof shape_cases[0]; i++) {
        const struct shape_case *c = &shape_cases[i];
        for (k = 0; k < NFEEDS; k++) {
            struct splitter_config cfg;
            struct result r;
            size_t plen;
            cfg_for(&cfg, c->fmt, c->chunk_bytes, c->chunk_rows);
            split(&r, &cfg, c->in, strlen(c->in), feeds[k]);
            if (r.rv != 0)
                fail_msg("%s: %s", c->name, r.f.detail);
            check_roundtrip(&r, c->in, strlen(c->in), c->fmt);
            splitter_prefix(r.s, &plen);
            if (splitter_total_rows(r.s) != c->rows || r.n != c->chunks ||
                plen != c->prefix_len ||
                (c->first_chunk_len && r.chunks[0]->len != c->first_chunk_len))
                fail_msg("%s (feed %zu): rows %llu chunks %zu prefix %zu "
                         "first %zu",
                         c->name, k,
                         (unsigned long long)splitter_total_rows(r.s), r.n,
                         plen, r.n ? r.chunks[0]->len : 0);
            result_free(&r);
        }
    }
}

/* ---- malformed input ---------------------------------------------------- */

struct bad_case {
    const char *name;
    enum splitter_format fmt;
    const char *in;
    size_t len; /* 0: strlen */
    enum fault_kind kind;
    const char *detail; /* a substring of the detail */
};

static const struct bad_case bad_cases[] = {
    {"ragged: fewer", SPLITTER_CSV, "a,b\n1,2\n3\n", 0, FAULT_INVALID,
     "row 1: fewer fields"},
    {"ragged: more", SPLITTER_CSV, "a,b\n1,2,3\n", 0, FAULT_INVALID,
     "row 0: more fields"},
    {"ragged: last row", SPLITTER_CSV, "a,b\n1,2\n3,4\n5", 0, FAULT_INVALID,
     "row 2:"},
    {"unterminated quote", SPLITTER_CSV, "a,b\n1,\"2\n", 0, FAULT_INVALID,
     "row 0: a quoted field is not closed"},
    {"unterminated quote in header", SPLITTER_CSV, "a,\"b\n", 0,
     FAULT_INVALID, "header: a quoted field is not closed"},
    {"text after closing quote", SPLITTER_CSV, "a,b\n1,2\n\"x\"y,2\n", 0,
     FAULT_INVALID, "row 1: a character other than"},
    {"space after closing quote", SPLITTER_CSV, "a,b\n\"x\" ,2\n", 0,
     FAULT_INVALID, "row 0:"},
    {"CR then text after closing quote", SPLITTER_CSV, "a,b\n1,\"x\"\rz\n", 0,
     FAULT_INVALID, "row 0:"},
    {"CR at end after closing quote", SPLITTER_CSV, "a,b\n1,\"x\"\r", 0,
     FAULT_INVALID, "row 0:"},
    {"duplicate header name", SPLITTER_CSV, "a,b,a\n", 0, FAULT_INVALID,
     "header: column 3"},
    {"header not UTF-8", SPLITTER_CSV, "a,\xff\n", 0, FAULT_INVALID,
     "header"},
    {"jsonl array", SPLITTER_JSONL, "{\"a\":1}\n[1,2]\n", 0, FAULT_INVALID,
     "row 1: not a JSON object"},
    {"jsonl number", SPLITTER_JSONL, "3\n", 0, FAULT_INVALID,
     "row 0: not a JSON object"},
    {"jsonl string", SPLITTER_JSONL, "\"x\"\n", 0, FAULT_INVALID,
     "not a JSON object"},
    {"jsonl two objects", SPLITTER_JSONL, "{} {}\n", 0, FAULT_INVALID,
     "text after the object"},
    {"jsonl duplicate key", SPLITTER_JSONL, "{\"a\":1,\"b\":2,\"a\":3}\n", 0,
     FAULT_INVALID, "row 0: duplicate key"},
    {"jsonl duplicate key by escape", SPLITTER_JSONL,
     "{\"a\":1}\n{\"a\":1,\"\\u0061\":2}\n", 0, FAULT_INVALID,
     "row 1: duplicate key"},
    {"jsonl bad UTF-8", SPLITTER_JSONL, "{\"a\":\"\xc3\x28\"}\n", 0,
     FAULT_INVALID, "invalid UTF-8"},
    {"jsonl overlong UTF-8", SPLITTER_JSONL, "{\"a\":\"\xc0\xaf\"}\n", 0,
     FAULT_INVALID, "invalid UTF-8"},
    {"jsonl UTF-8 surrogate", SPLITTER_JSONL, "{\"a\":\"\xed\xa0\x80\"}\n", 0,
     FAULT_INVALID, "invalid UTF-8"},
    {"jsonl above U+10FFFF", SPLITTER_JSONL, "{\"a\":\"\xf4\x90\x80\x80\"}\n",
     0, FAULT_INVALID, "invalid UTF-8"},
    {"jsonl bad UTF-8 in key", SPLITTER_JSONL, "{\"\xff\":1}\n", 0,
     FAULT_INVALID, "invalid UTF-8"},
    {"jsonl bad UTF-8 nested", SPLITTER_JSONL, "{\"a\":[\"\xe2\x82\"]}\n", 0,
     FAULT_INVALID, "invalid UTF-8"},
    {"jsonl lone high surrogate", SPLITTER_JSONL, "{\"a\":\"\\ud800\"}\n", 0,
     FAULT_INVALID, "lone high surrogate"},
    {"jsonl high surrogate then text", SPLITTER_JSONL,
     "{\"a\":\"\\ud800\\u0041\"}\n", 0, FAULT_INVALID, "surrogate"},
    {"jsonl lone low surrogate", SPLITTER_JSONL, "{\"a\":\"\\udc00\"}\n", 0,
     FAULT_INVALID, "lone low surrogate"},
    {"jsonl trailing comma", SPLITTER_JSONL, "{\"a\":1,}\n", 0, FAULT_INVALID,
     "expected a key"},
    {"jsonl nested trailing comma", SPLITTER_JSONL, "{\"a\":[1,]}\n", 0,
     FAULT_INVALID, "expected a value"},
    {"jsonl leading zero", SPLITTER_JSONL, "{\"a\":01}\n", 0, FAULT_INVALID,
     "invalid number"},
    {"jsonl NaN", SPLITTER_JSONL, "{\"a\":NaN}\n", 0, FAULT_INVALID,
     "expected a value"},
    {"jsonl plus sign", SPLITTER_JSONL, "{\"a\":+1}\n", 0, FAULT_INVALID,
     "expected a value"},
    {"jsonl single quotes", SPLITTER_JSONL, "{'a':1}\n", 0, FAULT_INVALID,
     "expected a key"},
    {"jsonl control char", SPLITTER_JSONL, "{\"a\":\"x\ty\"}\n", 0,
     FAULT_INVALID, "control character"},
    {"jsonl bad escape", SPLITTER_JSONL, "{\"a\":\"\\x\"}\n", 0, FAULT_INVALID,
     "bad escape"},
    {"jsonl bad \\u", SPLITTER_JSONL, "{\"a\":\"\\u12G4\"}\n", 0,
     FAULT_INVALID, "bad \\u escape"},
    {"jsonl unterminated", SPLITTER_JSONL, "{\"a\":\"x}\n", 0, FAULT_INVALID,
     "unterminated string"},
    {"jsonl unclosed object", SPLITTER_JSONL, "{\"a\":1\n", 0, FAULT_INVALID,
     "row 0"},
    {"jsonl unclosed nested", SPLITTER_JSONL, "{\"a\":{\"b\":[1}}\n", 0,
     FAULT_INVALID, "row 0"},
    {"jsonl missing colon", SPLITTER_JSONL, "{\"a\" 1}\n", 0, FAULT_INVALID,
     "expected ':'"},
    {"jsonl bare word", SPLITTER_JSONL, "{\"a\":tru}\n", 0, FAULT_INVALID,
     "expected a value"},
    {"jsonl key with NUL", SPLITTER_JSONL, "{\"a\\u0000\":1}\n", 0,
     FAULT_INVALID, "U+0000"},
    {"jsonl NUL byte", SPLITTER_JSONL, "{\"a\":1}\0\n", 9, FAULT_INVALID,
     "text after the object"},
    {"jsonl object split by a newline", SPLITTER_JSONL, "{\"a\":\n1}\n", 0,
     FAULT_INVALID, "row 0"},
};

static void test_bad_input(void **state)
{
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        for (k = 0; k < NFEEDS; k++) {
            struct splitter_config cfg;
            struct result r;
            cfg_for(&cfg, c->fmt, 1 << 20, 0);
            split(&r, &cfg, c->in, len, feeds[k]);
            if (r.rv != -1 || r.f.kind != c->kind ||
                strstr(r.f.detail, c->detail) == NULL)
                fail_msg("%s (feed %zu): rv %d kind %d detail \"%s\"", c->name,
                         k, r.rv, r.f.kind, r.f.detail);
            /* A failed splitter refuses more input, with the same fault. */
            {
                struct fault f2;
                fault_clear(&f2);
                assert_int_equal(splitter_feed(r.s, (const uint8_t *)"x", 1,
                                               &f2),
                                 -1);
                assert_int_equal(f2.kind, c->kind);
                fault_clear(&f2);
                assert_int_equal(splitter_finish(r.s, &f2), -1);
                assert_int_equal(f2.kind, c->kind);
            }
            result_free(&r);
        }
    }
}

static void test_deep_nesting(void **state)
{
    char *in;
    size_t depth;

    (void)state;
    /* The row's object is depth 1: 63 more levels are accepted, 64 not. */
    for (depth = 62; depth <= 65; depth++) {
        struct splitter_config cfg;
        struct result r;
        size_t i, n = 0;
        in = malloc(6 * depth + 64);
        assert_non_null(in);
        n += (size_t)sprintf(in + n, "{\"a\":");
        for (i = 0; i < depth; i++) {
            if (i % 2) {
                in[n++] = '[';
            } else {
                in[n++] = '{';
                n += (size_t)sprintf(in + n, "\"k\":");
            }
        }
        in[n++] = '1';
        for (i = depth; i-- > 0;)
            in[n++] = i % 2 ? ']' : '}';
        in[n++] = '}';
        in[n++] = '\n';
        cfg_for(&cfg, SPLITTER_JSONL, 1 << 20, 0);
        split(&r, &cfg, in, n, feeds[0]);
        if (depth + 1 <= 64) {
            if (r.rv != 0)
                fail_msg("depth %zu: %s", depth + 1, r.f.detail);
            check_roundtrip(&r, in, n, SPLITTER_JSONL);
        } else {
            assert_int_equal(r.rv, -1);
            assert_int_equal(r.f.kind, FAULT_INVALID);
            assert_non_null(strstr(r.f.detail, "nested too deep"));
        }
        result_free(&r);
        free(in);
    }
    /* Very deep input is refused without recursion. */
    {
        struct splitter_config cfg;
        struct result r;
        size_t n = 1000000, i;
        in = malloc(n + 16);
        assert_non_null(in);
        memcpy(in, "{\"a\":", 5);
        for (i = 5; i < n; i++)
            in[i] = '[';
        cfg_for(&cfg, SPLITTER_JSONL, 1 << 20, 0);
        split(&r, &cfg, in, n, feeds[0]);
        assert_int_equal(r.rv, -1);
        assert_int_equal(r.f.kind, FAULT_INVALID);
        result_free(&r);
        free(in);
    }
}

static void test_too_large(void **state)
{
    struct splitter_config cfg;
    struct result r;
    char *in;
    size_t n = 100000, i, k;

    (void)state;
    in = malloc(n + 64);
    assert_non_null(in);
    /* One giant row over max_row_bytes, with and without a line end. */
    for (k = 0; k < 4; k++) {
        size_t m = 0;
        enum splitter_format fmt = k < 2 ? SPLITTER_CSV : SPLITTER_JSONL;
        if (fmt == SPLITTER_CSV) {
            m += (size_t)sprintf(in, "a\n1\n");
            for (i = 0; i < n; i++)
                in[m++] = 'x';
        } else {
            m += (size_t)sprintf(in, "{\"a\":1}\n{\"a\":\"");
            for (i = 0; i < n; i++)
                in[m++] = 'x';
            in[m++] = '"';
            in[m++] = '}';
        }
        if (k % 2)
            in[m++] = '\n';
        cfg_for(&cfg, fmt, 16, 0);
        cfg.max_row_bytes = 4096;
        split(&r, &cfg, in, m, feeds[k % 2 ? 5 : 0]);
        assert_int_equal(r.rv, -1);
        assert_int_equal(r.f.kind, FAULT_TOO_LARGE);
        if (strstr(r.f.detail, "row 1") == NULL)
            fail_msg("detail: %s", r.f.detail);
        /* The row before it was handed out already, or still waits for the
         * next row to start; nothing past it was. */
        result_free(&r);
    }
    /* The header too. */
    memset(in, 'h', n);
    cfg_for(&cfg, SPLITTER_CSV, 16, 0);
    cfg.max_row_bytes = 4096;
    split(&r, &cfg, in, n, feeds[6]);
    assert_int_equal(r.rv, -1);
    assert_int_equal(r.f.kind, FAULT_TOO_LARGE);
    assert_non_null(strstr(r.f.detail, "header"));
    result_free(&r);
    /* A run of blank lines longer than max_row_bytes. */
    memset(in, '\n', n);
    memcpy(in, "a\n1\n", 4);
    split(&r, &cfg, in, n, feeds[7]);
    assert_int_equal(r.rv, -1);
    assert_int_equal(r.f.kind, FAULT_TOO_LARGE);
    result_free(&r);
    /* A row of exactly max_row_bytes (line end included) is fine. */
    memset(in, 'x', 4096);
    memcpy(in, "a\n", 2);
    in[2 + 4095] = '\n';
    split(&r, &cfg, in, 2 + 4096, feeds[3]);
    assert_int_equal(r.rv, 0);
    check_roundtrip(&r, in, 2 + 4096, SPLITTER_CSV);
    result_free(&r);
    /* Too many columns. */
    cfg_for(&cfg, SPLITTER_CSV, 16, 0);
    cfg.max_columns = 3;
    split(&r, &cfg, "a,b,c,d\n", 8, feeds[0]);
    assert_int_equal(r.rv, -1);
    assert_int_equal(r.f.kind, FAULT_TOO_LARGE);
    result_free(&r);
    split(&r, &cfg, "a,b,c\n1,2,3\n", 12, feeds[0]);
    assert_int_equal(r.rv, 0);
    result_free(&r);
    cfg.format = SPLITTER_JSONL;
    split(&r, &cfg, "{\"a\":1}\n{\"b\":1,\"c\":2}\n{\"d\":1}\n", 31, feeds[0]);
    assert_int_equal(r.rv, -1);
    assert_int_equal(r.f.kind, FAULT_TOO_LARGE);
    assert_non_null(strstr(r.f.detail, "row 2"));
    result_free(&r);
    free(in);
}

static void test_config(void **state)
{
    struct splitter_config cfg;
    struct splitter *s = (struct splitter *)&cfg;
    struct fault f;

    (void)state;
    splitter_config_default(&cfg, SPLITTER_CSV);
    assert_int_equal(cfg.chunk_bytes, 1 << 20);
    assert_int_equal(cfg.max_row_bytes, 64 << 20);
    assert_int_equal(cfg.preview_rows, 10);
    assert_int_equal(cfg.max_columns, 1024);
    assert_int_equal(cfg.max_index_value, 256);
    assert_int_equal(cfg.chunk_rows, 0);

    cfg.chunk_bytes = 0;
    assert_int_equal(splitter_new(&s, &cfg, &f), -1);
    assert_null(s);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "chunk_bytes");

    splitter_config_default(&cfg, SPLITTER_CSV);
    cfg.max_index_value = 15;
    assert_int_equal(splitter_new(&s, &cfg, &f), -1);
    assert_string_equal(f.field, "max_index_value");

    splitter_config_default(&cfg, SPLITTER_CSV);
    cfg.max_row_bytes = 0;
    assert_int_equal(splitter_new(&s, &cfg, &f), -1);
    assert_string_equal(f.field, "max_row_bytes");

    splitter_config_default(&cfg, SPLITTER_CSV);
    cfg.max_columns = 0;
    assert_int_equal(splitter_new(&s, &cfg, &f), -1);
    assert_string_equal(f.field, "max_columns");

    splitter_config_default(&cfg, SPLITTER_BLOB);
    cfg.chunk_rows = 5;
    assert_int_equal(splitter_new(&s, &cfg, &f), -1);
    assert_string_equal(f.field, "chunk_rows");

    splitter_config_default(&cfg, SPLITTER_CSV);
    cfg.format = (enum splitter_format)7;
    assert_int_equal(splitter_new(&s, &cfg, &f), -1);
    assert_string_equal(f.field, "format");

    splitter_free(NULL);
    splitter_chunk_free(NULL);

    /* finish twice is fine; feeding after finish is refused */
    splitter_config_default(&cfg, SPLITTER_CSV);
    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_finish(s, &f), 0);
    assert_int_equal(splitter_finish(s, &f), 0);
    assert_int_equal(splitter_feed(s, (const uint8_t *)"a", 1, &f), -1);
    splitter_free(s);
}

/* ---- chunks are handed out as soon as they are complete ----------------- */

static void test_streaming(void **state)
{
    struct splitter_config cfg;
    struct splitter *s;
    struct splitter_chunk *c;
    struct fault f;
    size_t i;
    char row[64];

    (void)state;
    cfg_for(&cfg, SPLITTER_CSV, 100, 0);
    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_feed(s, (const uint8_t *)"k,v\n", 4, &f), 0);
    /* 10-byte rows: the 10th completes 100 bytes, but the chunk is cut only
     * when the 11th row starts (blank lines could still follow). */
    for (i = 0; i < 10; i++) {
        snprintf(row, sizeof row, "%04zu,abcd\n", i);
        assert_int_equal(splitter_feed(s, (const uint8_t *)row, 10, &f), 0);
        assert_null(splitter_next(s));
    }
    assert_int_equal(splitter_feed(s, (const uint8_t *)"\n\r\n", 3, &f), 0);
    assert_null(splitter_next(s));
    assert_int_equal(splitter_feed(s, (const uint8_t *)"0", 1, &f), 0);
    c = splitter_next(s);
    assert_non_null(c);
    assert_int_equal(c->rows, 10);
    assert_int_equal(c->len, 103);
    assert_int_equal(c->first_row, 0);
    assert_null(splitter_next(s));
    splitter_chunk_free(c);
    assert_int_equal(splitter_feed(s, (const uint8_t *)"010,x", 5, &f), 0);
    assert_null(splitter_next(s));
    assert_int_equal(splitter_finish(s, &f), 0);
    c = splitter_next(s);
    assert_non_null(c);
    assert_int_equal(c->rows, 1);
    assert_int_equal(c->first_row, 10);
    assert_int_equal(c->index, 1);
    assert_memory_equal(c->data, "0010,x", 6);
    splitter_chunk_free(c);
    assert_null(splitter_next(s));
    splitter_free(s);

    /* Blobs: a full slice is out at once. */
    cfg_for(&cfg, SPLITTER_BLOB, 4, 0);
    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_feed(s, (const uint8_t *)"abcdef", 6, &f), 0);
    c = splitter_next(s);
    assert_non_null(c);
    assert_int_equal(c->len, 4);
    assert_memory_equal(c->data, "abcd", 4);
    splitter_chunk_free(c);
    assert_null(splitter_next(s));
    /* Chunks left in the splitter are freed with it. */
    assert_int_equal(splitter_feed(s, (const uint8_t *)"ghijkl", 6, &f), 0);
    splitter_free(s);
}

/* Memory stays bounded: a big input fed at once never grows the working
 * buffer past one chunk, one row and a slice (checked by taking chunks
 * only at the end: they are all queued, but each is its own allocation). */
static void test_big_feed(void **state)
{
    struct splitter_config cfg;
    struct result r;
    size_t n = 8 << 20, m = 0;
    char *in = malloc(n + 64);

    (void)state;
    assert_non_null(in);
    m += (size_t)sprintf(in, "t,id,v\n");
    while (m < n)
        m += (size_t)sprintf(in + m, "2024-01-01T00:00:%02zuZ,sensor-%04zu,%zu.%zu\n",
                             m % 60, m % 9999, m % 1000, m % 7);
    cfg_for(&cfg, SPLITTER_CSV, 1 << 20, 0);
    split(&r, &cfg, in, m, feeds[0]);
    check_roundtrip(&r, in, m, SPLITTER_CSV);
    assert_true(r.n >= 8);
    {
        size_t i;
        for (i = 0; i + 1 < r.n; i++)
            assert_true(r.chunks[i]->len >= (1 << 20) &&
                        r.chunks[i]->len < (1 << 20) + 64);
    }
    result_free(&r);
    free(in);
}

/* ---- the index ---------------------------------------------------------- */

static const struct splitter_colstat *col(const struct result *r,
                                          size_t chunk, size_t c)
{
    assert_true(chunk < r->n);
    assert_true(c < r->chunks[chunk]->ncols);
    return &r->chunks[chunk]->cols[c];
}

static void assert_bound(const uint8_t *b, size_t len, const char *want)
{
    if (want == NULL) {
        assert_null(b);
        return;
    }
    if (b == NULL)
        fail_msg("no bound, want \"%s\"", want);
    if (len != strlen(want) || memcmp(b, want, len) != 0)
        fail_msg("bound \"%.*s\", want \"%s\"", (int)len, (const char *)b,
                 want);
    assert_int_equal(b[len], '\0');
}

static void test_index_csv(void **state)
{
    struct splitter_config cfg;
    struct result r;
    static const char in[] =
        "t,name,v,mixed,empty\n"
        "2,beta,21.53,10,\n"
        "1e1,alpha,-0.5,x,\"\"\n"
        "-0,\"gam\"\"ma\",1013.2,9,\n"
        "0.5,,1e400,,\n"
        /* chunk 2 */
        "3,\"a,b\",\"7\",-1,\n";

    (void)state;
    cfg_for(&cfg, SPLITTER_CSV, 1, 4);
    split(&r, &cfg, in, strlen(in), feeds[0]);
    check_roundtrip(&r, in, strlen(in), SPLITTER_CSV);
    assert_int_equal(r.n, 2);
    assert_int_equal(splitter_column_count(r.s), 5);
    assert_string_equal(splitter_column_name(r.s, 0), "t");
    assert_string_equal(splitter_column_name(r.s, 4), "empty");
    assert_null(splitter_column_name(r.s, 5));

    /* t: numbers by value: -0 < 0.5 < 2 < 1e1; text bytewise */
    assert_bound(col(&r, 0, 0)->num.min, col(&r, 0, 0)->num.min_len, "-0");
    assert_bound(col(&r, 0, 0)->num.max, col(&r, 0, 0)->num.max_len, "1e1");
    assert_bound(col(&r, 0, 0)->text.min, col(&r, 0, 0)->text.min_len, "-0");
    assert_bound(col(&r, 0, 0)->text.max, col(&r, 0, 0)->text.max_len, "2");
    /* name: text only; quoted, unescaped; empty field not indexed */
    assert_null(col(&r, 0, 1)->num.min);
    assert_null(col(&r, 0, 1)->num.max);
    assert_bound(col(&r, 0, 1)->text.min, col(&r, 0, 1)->text.min_len,
                 "alpha");
    assert_bound(col(&r, 0, 1)->text.max, col(&r, 0, 1)->text.max_len,
                 "gam\"ma");
    assert_bound(col(&r, 1, 1)->text.min, col(&r, 1, 1)->text.min_len, "a,b");
    /* v: 1e400 is the max by value; a quoted number is a number */
    assert_bound(col(&r, 0, 2)->num.min, col(&r, 0, 2)->num.min_len, "-0.5");
    assert_bound(col(&r, 0, 2)->num.max, col(&r, 0, 2)->num.max_len, "1e400");
    assert_bound(col(&r, 1, 2)->num.min, col(&r, 1, 2)->num.min_len, "7");
    /* mixed: numbers and text */
    assert_bound(col(&r, 0, 3)->num.min, col(&r, 0, 3)->num.min_len, "9");
    assert_bound(col(&r, 0, 3)->num.max, col(&r, 0, 3)->num.max_len, "10");
    assert_bound(col(&r, 0, 3)->text.min, col(&r, 0, 3)->text.min_len, "10");
    assert_bound(col(&r, 0, 3)->text.max, col(&r, 0, 3)->text.max_len, "x");
    /* empty: nothing indexed */
    assert_null(col(&r, 0, 4)->num.min);
    assert_null(col(&r, 0, 4)->text.min);
    assert_null(col(&r, 0, 4)->text.max);

    assert_int_equal(splitter_column_type(r.s, 0), SPLITTER_COL_NUMBER);
    assert_int_equal(splitter_column_type(r.s, 1), SPLITTER_COL_TEXT);
    assert_int_equal(splitter_column_type(r.s, 2), SPLITTER_COL_NUMBER);
    assert_int_equal(splitter_column_type(r.s, 3), SPLITTER_COL_TEXT);
    assert_int_equal(splitter_column_type(r.s, 4), SPLITTER_COL_TEXT);
    result_free(&r);
}

/* Numbers of one shape inside the bounds take the splitter's same-shape
 * slots: a text of that shape with another non-digit or a leading zero
 * is still text, a negative shape sorts the other way, and the slots
 * start empty in each chunk. */
static void test_index_same_shape(void **state)
{
    struct splitter_config cfg;
    struct result r;
    static const char in[] =
        "pos,neg,odd,lead\n"
        "15.39,-1.00,15.39,15.39\n"
        "99.99,-7.77,99.99,99.99\n"
        "37.54,-3.21,37.54,37.54\n"
        "50.00,-5.55,50.00,50.00\n"
        "10.00,-0.01,37x54,07.54\n"
        /* chunk 2: bounds start again */
        "60.00,-5.00,60.00,60.00\n"
        "61.00,-6.00,61.00,61.00\n"
        "60.50,-5.50,60.50,60.50\n"
        "62.00,-4.00,62.00,62.00\n"
        "60.70,-4.50,60.70,60.70\n";

    (void)state;
    cfg_for(&cfg, SPLITTER_CSV, 1, 5);
    split(&r, &cfg, in, strlen(in), feeds[0]);
    check_roundtrip(&r, in, strlen(in), SPLITTER_CSV);
    assert_int_equal(r.n, 2);
    assert_bound(col(&r, 0, 0)->num.min, col(&r, 0, 0)->num.min_len, "10.00");
    assert_bound(col(&r, 0, 0)->num.max, col(&r, 0, 0)->num.max_len, "99.99");
    assert_bound(col(&r, 0, 1)->num.min, col(&r, 0, 1)->num.min_len, "-7.77");
    assert_bound(col(&r, 0, 1)->num.max, col(&r, 0, 1)->num.max_len, "-0.01");
    assert_bound(col(&r, 0, 2)->num.min, col(&r, 0, 2)->num.min_len, "15.39");
    assert_bound(col(&r, 0, 2)->num.max, col(&r, 0, 2)->num.max_len, "99.99");
    assert_bound(col(&r, 0, 2)->text.min, col(&r, 0, 2)->text.min_len, "15.39");
    assert_bound(col(&r, 0, 2)->text.max, col(&r, 0, 2)->text.max_len, "99.99");
    assert_bound(col(&r, 1, 2)->num.min, col(&r, 1, 2)->num.min_len, "60.00");
    assert_bound(col(&r, 1, 2)->num.max, col(&r, 1, 2)->num.max_len, "62.00");
    assert_bound(col(&r, 0, 3)->num.min, col(&r, 0, 3)->num.min_len, "15.39");
    assert_bound(col(&r, 0, 3)->text.min, col(&r, 0, 3)->text.min_len, "07.54");
    assert_bound(col(&r, 1, 0)->num.min, col(&r, 1, 0)->num.min_len, "60.00");
    assert_bound(col(&r, 1, 0)->num.max, col(&r, 1, 0)->num.max_len, "62.00");
    assert_bound(col(&r, 1, 1)->num.min, col(&r, 1, 1)->num.min_len, "-6.00");
    assert_bound(col(&r, 1, 1)->num.max, col(&r, 1, 1)->num.max_len, "-4.00");
    assert_int_equal(splitter_column_type(r.s, 0), SPLITTER_COL_NUMBER);
    assert_int_equal(splitter_column_type(r.s, 1), SPLITTER_COL_NUMBER);
    /* 37x54 lies between 37.54 and 50.00 by its bytes: text all the same */
    assert_int_equal(splitter_column_type(r.s, 2), SPLITTER_COL_TEXT);
    assert_int_equal(splitter_column_type(r.s, 3), SPLITTER_COL_TEXT);
    result_free(&r);
}

static void test_index_jsonl(void **state)
{
    struct splitter_config cfg;
    struct result r;
    static const char in[] =
        "{\"a\": 5, \"s\": \"b\\u00e9\", \"n\": null, \"o\": {\"x\": 1}}\n"
        "{\"s\": \"\\ud83d\\ude00\", \"a\": 123456789012345678901234567890}\r\n"
        "  {\"a\": -1e-3 , \"s\": \"A\", \"b\": true, \"arr\": [1, \"z\"]}  \n"
        "{\"late\": \"x\", \"a\": \"text\"}\n";

    (void)state;
    cfg_for(&cfg, SPLITTER_JSONL, 1, 3);
    split(&r, &cfg, in, strlen(in), feeds[0]);
    check_roundtrip(&r, in, strlen(in), SPLITTER_JSONL);
    assert_int_equal(r.n, 2);
    /* columns in order of first appearance */
    assert_int_equal(splitter_column_count(r.s), 7);
    assert_string_equal(splitter_column_name(r.s, 0), "a");
    assert_string_equal(splitter_column_name(r.s, 1), "s");
    assert_string_equal(splitter_column_name(r.s, 2), "n");
    assert_string_equal(splitter_column_name(r.s, 3), "o");
    assert_string_equal(splitter_column_name(r.s, 4), "b");
    assert_string_equal(splitter_column_name(r.s, 5), "arr");
    assert_string_equal(splitter_column_name(r.s, 6), "late");
    /* the first chunk was cut knowing 6 columns */
    assert_int_equal(r.chunks[0]->ncols, 6);
    assert_int_equal(r.chunks[1]->ncols, 7);

    assert_bound(col(&r, 0, 0)->num.min, col(&r, 0, 0)->num.min_len, "-1e-3");
    assert_bound(col(&r, 0, 0)->num.max, col(&r, 0, 0)->num.max_len,
                 "123456789012345678901234567890");
    assert_bound(col(&r, 0, 0)->text.min, col(&r, 0, 0)->text.min_len, "-1e-3");
    assert_bound(col(&r, 0, 0)->text.max, col(&r, 0, 0)->text.max_len, "5");
    /* strings decoded to UTF-8 */
    assert_bound(col(&r, 0, 1)->text.min, col(&r, 0, 1)->text.min_len, "A");
    assert_bound(col(&r, 0, 1)->text.max, col(&r, 0, 1)->text.max_len,
                 "\xf0\x9f\x98\x80");
    assert_null(col(&r, 0, 1)->num.min);
    /* null, objects, booleans, arrays: not indexed */
    assert_null(col(&r, 0, 2)->text.min);
    assert_null(col(&r, 0, 3)->text.min);
    assert_null(col(&r, 0, 4)->text.min);
    assert_null(col(&r, 0, 5)->text.min);
    /* chunk 1: a is text there */
    assert_null(col(&r, 1, 0)->num.min);
    assert_bound(col(&r, 1, 0)->text.min, col(&r, 1, 0)->text.min_len, "text");
    assert_bound(col(&r, 1, 6)->text.max, col(&r, 1, 6)->text.max_len, "x");

    assert_int_equal(splitter_column_type(r.s, 0), SPLITTER_COL_TEXT);
    assert_int_equal(splitter_column_type(r.s, 1), SPLITTER_COL_TEXT);
    assert_int_equal(splitter_column_type(r.s, 2), SPLITTER_COL_TEXT);
    assert_int_equal(splitter_column_type(r.s, 3), SPLITTER_COL_TEXT);
    result_free(&r);

    /* A number-only column is `number`. */
    cfg_for(&cfg, SPLITTER_JSONL, 1 << 20, 0);
    split(&r, &cfg, "{\"a\":1,\"b\":null}\n{\"a\":2.5}\n", 27, feeds[0]);
    assert_int_equal(r.rv, 0);
    assert_int_equal(splitter_column_type(r.s, 0), SPLITTER_COL_NUMBER);
    assert_int_equal(splitter_column_type(r.s, 1), SPLITTER_COL_TEXT);
    result_free(&r);
}

static void test_index_truncation(void **state)
{
    struct splitter_config cfg;
    struct result r;
    char in[1024];
    size_t n = 0;
    const struct splitter_colstat *cs;

    (void)state;
    /* max_index_value = 16 */
    n += (size_t)sprintf(in + n, "s,num\n");
    n += (size_t)sprintf(in + n, "abcdefghijklmnopqrstuvwxyz,1\n");
    n += (size_t)sprintf(in + n, "abcdefghijklmnopZZZ,12345678901234567890\n");
    n += (size_t)sprintf(in + n, "abcdefghijklmnop,2\n");
    n += (size_t)sprintf(in + n, "b,3\n");
    /* chunk 1: a max that is all 0xff after the cut point */
    n += (size_t)sprintf(in + n, "abcdefghijklmno\xff\xff\xff,1\n");
    n += (size_t)sprintf(in + n, "a,5\n");
    n += (size_t)sprintf(in + n, "aa,6\n");
    n += (size_t)sprintf(in + n, "ab,7\n");
    /* chunk 2: a max whose cut is all 0xff: no bound */
    n += (size_t)sprintf(in + n, "%s,1\n",
                         "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                         "\xff\xff\xff\xff\xff");
    n += (size_t)sprintf(in + n, "%s,2\n",
                         "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                         "\xff\xff\xff\xff");
    n += (size_t)sprintf(in + n, "x,3\n");
    n += (size_t)sprintf(in + n, "y,4\n");
    cfg_for(&cfg, SPLITTER_CSV, 1, 0);
    cfg.chunk_rows = 4;
    cfg.max_index_value = 16;
    split(&r, &cfg, in, n, feeds[0]);
    check_roundtrip(&r, in, n, SPLITTER_CSV);
    assert_int_equal(r.n, 3);
    cs = col(&r, 0, 0);
    /* min: the true min "abcdefghijklmnop" (16 bytes) fits exactly */
    assert_bound(cs->text.min, cs->text.min_len, "abcdefghijklmnop");
    assert_bound(cs->text.max, cs->text.max_len, "b");
    /* num: a 20-digit number is longer than 16: no number bound */
    cs = col(&r, 0, 1);
    assert_null(cs->num.min);
    assert_null(cs->num.max);
    /* text bounds of the number column still exist */
    assert_bound(cs->text.min, cs->text.min_len, "1");
    assert_bound(cs->text.max, cs->text.max_len, "3");
    /* chunk 1: max cut to 16 = "abcdefghijklmno\xff", raised at 'o' */
    cs = col(&r, 1, 0);
    assert_bound(cs->text.max, cs->text.max_len, "abcdefghijklmnp");
    assert_bound(cs->text.min, cs->text.min_len, "a");
    cs = col(&r, 1, 1);
    assert_bound(cs->num.min, cs->num.min_len, "1");
    assert_bound(cs->num.max, cs->num.max_len, "7");
    /* chunk 2: a max of 17 0xff bytes cannot be raised: no bound */
    cs = col(&r, 2, 0);
    assert_null(cs->text.max);
    assert_bound(cs->text.min, cs->text.min_len, "x");
    result_free(&r);

    /* Bounds are bounds: cut min <= every value <= raised max, and a cut
     * max chosen among long values with a common prefix. */
    n = 0;
    n += (size_t)sprintf(in + n, "s\n");
    n += (size_t)sprintf(in + n, "abcdefghijklmnopB\n");
    n += (size_t)sprintf(in + n, "abcdefghijklmnopC\n");
    n += (size_t)sprintf(in + n, "abcdefghijklmnopA\n");
    n += (size_t)sprintf(in + n, "abcdefghijklmnopD\n");
    cfg_for(&cfg, SPLITTER_CSV, 1 << 20, 0);
    cfg.max_index_value = 16;
    split(&r, &cfg, in, n, feeds[0]);
    assert_int_equal(r.rv, 0);
    cs = col(&r, 0, 0);
    assert_bound(cs->text.min, cs->text.min_len, "abcdefghijklmnop");
    assert_bound(cs->text.max, cs->text.max_len, "abcdefghijklmnoq");
    result_free(&r);
}

/* ---- the preview ---------------------------------------------------------- */

static void test_preview(void **state)
{
    struct splitter_config cfg;
    struct result r;
    char *p;
    static const char csv[] =
        "a,b\n1,\"x\"\"y\"\n\"l1\nl2\",\xff\t\x01\\\n3,4\n5,6\n";
    static const char jsonl[] =
        "{\"a\": 1e400, \"b\": [1, {\"c\": \"\\u00e9\"}]}\r\n\n{}\n{\"z\":0}\n";

    (void)state;
    cfg_for(&cfg, SPLITTER_CSV, 1 << 20, 0);
    cfg.preview_rows = 3;
    split(&r, &cfg, csv, strlen(csv), feeds[1]);
    assert_int_equal(r.rv, 0);
    p = splitter_preview_json(r.s);
    assert_non_null(p);
    assert_string_equal(p, "[[\"1\",\"x\\\"y\"],[\"l1\\nl2\",\"\xef\xbf\xbd\\t"
                           "\\u0001\\\\\"],[\"3\",\"4\"]]");
    free(p);
    result_free(&r);

    cfg_for(&cfg, SPLITTER_JSONL, 1 << 20, 0);
    cfg.preview_rows = 2;
    split(&r, &cfg, jsonl, strlen(jsonl), feeds[2]);
    assert_int_equal(r.rv, 0);
    p = splitter_preview_json(r.s);
    assert_non_null(p);
    assert_string_equal(p, "[{\"a\": 1e400, \"b\": [1, {\"c\": \"\\u00e9\"}]},{}]");
    free(p);
    result_free(&r);

    cfg_for(&cfg, SPLITTER_BLOB, 4, 0);
    split(&r, &cfg, "abcdef", 6, feeds[0]);
    p = splitter_preview_json(r.s);
    assert_string_equal(p, "[]");
    free(p);
    result_free(&r);

    cfg_for(&cfg, SPLITTER_CSV, 4, 0);
    cfg.preview_rows = 0;
    split(&r, &cfg, csv, strlen(csv), feeds[0]);
    p = splitter_preview_json(r.s);
    assert_string_equal(p, "[]");
    free(p);
    result_free(&r);
}

/* ---- random inputs against a reference model ---------------------------- */

/* A value as the reference sees it (decoded), kept for the index check. */
struct gval {
    char *text; /* NULL: not indexed */
    size_t len;
    int number;
};

struct gen {
    char *buf;
    size_t len, cap;
    size_t ncols;
    size_t nrows;
    struct gval *vals; /* nrows * ncols */
    size_t vals_cap;
};

static void gput(struct gen *g, const void *p, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        g->cap = (g->len + n + 1) * 2;
        g->buf = realloc(g->buf, g->cap);
        assert_non_null(g->buf);
    }
    memcpy(g->buf + g->len, p, n);
    g->len += n;
}

static void gputs(struct gen *g, const char *s)
{
    gput(g, s, strlen(s));
}

static struct gval *gslot(struct gen *g, size_t row, size_t c)
{
    size_t need = (row + 1) * g->ncols;
    if (need > g->vals_cap) {
        size_t old = g->vals_cap;
        g->vals_cap = need * 2;
        g->vals = realloc(g->vals, g->vals_cap * sizeof *g->vals);
        assert_non_null(g->vals);
        memset(g->vals + old, 0, (g->vals_cap - old) * sizeof *g->vals);
    }
    return &g->vals[row * g->ncols + c];
}

static void gen_free(struct gen *g)
{
    size_t i;
    for (i = 0; i < g->vals_cap; i++)
        free(g->vals[i].text);
    free(g->vals);
    free(g->buf);
    memset(g, 0, sizeof *g);
}

static const char *const num_pool[] = {
    "0", "-0", "1", "-1", "2", "10", "1e3", "1000", "0.10", "1e-1", "21.53",
    "1013.2", "0.0042", "-47.1", "1e400", "9e399", "-1e400",
    "123456789012345678901234567890", "123456789012345678901234567891",
    "1E+2", "3.14159265358979323846264338327950288", "1e99999999999999999999",
    "5e-99999999999999999999", "7", "99", "100",
    /* short plain decimals of many shapes, equal ones written apart */
    "-0.00", "0.0", "0.5", "0.50", "-0.5", "-12.34", "-12.340", "12.34",
    "3.638", "99999999", "12345678.5", "-1.5", "1.0", "-99.9", "100.25",
    "0.000000001", "-12345678.12345678", "1234567.1234567",
    /* several of one shape, for the splitter's same-shape slots */
    "37.54", "38.01", "15.39", "99.99", "10.00", "-3.21", "-1.00", "-7.77",
    "-0.01", "5.07", "9.99",
};

static const char *const text_pool[] = {
    "ok", "warn", "a", "b", "A", "zzz", "with,comma", "with \"quote\"",
    "line\nbreak", "cr\r\nlf", "\xc3\xa9t\xc3\xa9", "\xe2\x82\xac", "NaN",
    "007", "+5", "1.", " 1", "x\"y", "sensor-0042", "2024-01-01T00:00:00Z",
    "abcdefghijklmnopqrstuvwxyz0123456789", "tab\there", "-", "1e",
    "12-34", "2024-01-01", ".5", "/a", "-x", "0.5.5", "1.5e", "00.5",
    "2024-01-01T00:00:00.000001Z", "2024-01-01T00:00:00.000002Z",
    /* the shapes of numbers above, with another non-digit or a leading
     * zero: text */
    "37x54", "37-54", "07.54", "00.00", "-03.2", "5:07", "-1-00",
};

/* Pick a value: a number, a text or empty; fill *v with its decoded form. */
static const char *pick(struct gval *v, int allow_empty)
{
    size_t k = rnd(10);
    const char *t;

    free(v->text);
    memset(v, 0, sizeof *v);
    if (k == 0 && allow_empty)
        return "";
    if (k < 5)
        t = num_pool[rnd(sizeof num_pool / sizeof num_pool[0])];
    else
        t = text_pool[rnd(sizeof text_pool / sizeof text_pool[0])];
    v->len = strlen(t);
    v->text = malloc(v->len + 1);
    assert_non_null(v->text);
    memcpy(v->text, t, v->len + 1);
    v->number = numtext_is_number(t, v->len);
    return t;
}

/* Pick the next value of a rising column (timestamps, mostly): the clock
 * t moves on by 0 to 2 steps a row (0: the same value again) and now and
 * then goes back; the text is a 20-byte timestamp, a 27-byte one (past
 * one word after the first 16 bytes), a 20-digit number, a text of 17 to
 * 21 bytes, or now and then a value from the pools. These are the rows for which the splitter keeps
 * a column's text max lazily (colorder_lazy_max). */
static const char *pick_rising(struct gval *v, uint64_t *t, unsigned style)
{
    static char buf[64];
    unsigned long long x;

    if (rnd(12) == 0)
        return pick(v, 0);
    *t += rnd(3);
    if (rnd(15) == 0)
        *t -= *t < 40 ? *t : rnd(40);
    x = (unsigned long long)*t;
    free(v->text);
    memset(v, 0, sizeof *v);
    switch (rnd(10) == 0 ? rnd(4) : style % 4) {
    case 0:
        snprintf(buf, sizeof buf, "2024-01-01T%02llu:%02llu:%02lluZ",
                 x / 3600 % 24, x / 60 % 60, x % 60);
        break;
    case 1:
        snprintf(buf, sizeof buf, "2024-01-01T00:%02llu:%02llu.%06lluZ",
                 x / 1000000 % 60, x / 10000 % 60, x % 1000000);
        break;
    case 2:
        snprintf(buf, sizeof buf, "1234567890123456%04llu", x % 10000);
        break;
    default:
        /* lengths vary, and one value may be a prefix of the next */
        snprintf(buf, sizeof buf, "sensor-reading-x%llu", x % 100000 / 7);
        break;
    }
    v->len = strlen(buf);
    v->text = malloc(v->len + 1);
    assert_non_null(v->text);
    memcpy(v->text, buf, v->len + 1);
    v->number = numtext_is_number(buf, v->len);
    return buf;
}

static void gen_blanks(struct gen *g, int jsonl)
{
    while (rnd(4) == 0) {
        if (jsonl && rnd(2))
            gputs(g, rnd(2) ? " \t " : "\t");
        gputs(g, rnd(2) ? "\n" : "\r\n");
    }
}

static void gen_csv(struct gen *g)
{
    size_t r, c, rising;
    uint64_t t_clock = rnd(100000);
    unsigned style = (unsigned)rnd(4);

    memset(g, 0, sizeof *g);
    g->ncols = 1 + rnd(5);
    g->nrows = rnd(60);
    rising = rnd(2) ? rnd(g->ncols) : SIZE_MAX;
    if (rnd(4) == 0)
        gputs(g, BOM);
    gen_blanks(g, 0);
    for (c = 0; c < g->ncols; c++) {
        char name[32];
        snprintf(name, sizeof name, "%sc%zu", c ? "," : "", c);
        gputs(g, name);
    }
    gputs(g, rnd(2) ? "\n" : "\r\n");
    for (r = 0; r < g->nrows; r++) {
        gen_blanks(g, 0);
        for (c = 0; c < g->ncols; c++) {
            struct gval *v = gslot(g, r, c);
            const char *t = c == rising ? pick_rising(v, &t_clock, style)
                                        : pick(v, g->ncols > 1);
            int must = strpbrk(t, ",\"\r\n") != NULL;
            if (c)
                gputs(g, ",");
            if (t[0] == '\0' && g->ncols == 1)
                must = 1;
            if (t[0] != '"' && strpbrk(t, ",\r\n") == NULL && rnd(2))
                must = 0; /* a stray quote inside is data */
            if (must || rnd(5) == 0) {
                const char *q;
                gputs(g, "\"");
                for (q = t; *q; q++) {
                    if (*q == '"')
                        gputs(g, "\"");
                    gput(g, q, 1);
                }
                gputs(g, "\"");
            } else {
                gputs(g, t);
            }
        }
        if (r + 1 < g->nrows || rnd(3))
            gputs(g, rnd(2) ? "\n" : "\r\n");
    }
    if (g->nrows == 0 || g->buf[g->len - 1] == '\n')
        gen_blanks(g, 0);
}

static void gput_json_string(struct gen *g, const char *t)
{
    const unsigned char *q;
    char esc[16];

    gputs(g, "\"");
    for (q = (const unsigned char *)t; *q; q++) {
        if (*q == '"' || *q == '\\') {
            gputs(g, *q == '"' ? "\\\"" : "\\\\");
        } else if (*q < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *q);
            gputs(g, esc);
        } else if (*q < 0x80 && rnd(8) == 0) {
            snprintf(esc, sizeof esc, "\\u%04X", *q);
            gputs(g, esc);
        } else if (*q == 0xe2 && q[1] == 0x82 && q[2] == 0xac && rnd(2)) {
            gputs(g, "\\u20ac");
            q += 2;
        } else {
            gput(g, q, 1);
        }
    }
    gputs(g, "\"");
}

static void gws(struct gen *g)
{
    if (rnd(4) == 0)
        gputs(g, rnd(2) ? " " : " \t ");
}

static void gen_jsonl(struct gen *g)
{
    size_t r, c;

    memset(g, 0, sizeof *g);
    g->ncols = 1 + rnd(5);
    g->nrows = rnd(60);
    gen_blanks(g, 1);
    for (r = 0; r < g->nrows; r++) {
        size_t order[8], i, n = 0;
        (void)gslot(g, r, g->ncols - 1); /* every row has its slots */
        gen_blanks(g, 1);
        for (c = 0; c < g->ncols; c++)
            if (rnd(5))
                order[n++] = c;
        for (i = n; i > 1; i--) {
            size_t j = rnd(i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        gws(g);
        gputs(g, "{");
        for (i = 0; i < n; i++) {
            struct gval *v = gslot(g, r, order[i]);
            char key[32];
            size_t kind = rnd(10);
            if (i)
                gputs(g, ",");
            gws(g);
            snprintf(key, sizeof key, "k%zu", order[i]);
            gput_json_string(g, key);
            gws(g);
            gputs(g, ":");
            gws(g);
            if (kind < 4) {
                const char *t = pick(v, 0);
                while (!v->number)
                    t = pick(v, 0);
                gputs(g, t);
            } else if (kind < 8) {
                const char *t = pick(v, 1);
                v->number = 0;
                /* an empty JSON string is not indexed, like an empty CSV
                 * field: pick() left v empty for it */
                gput_json_string(g, t);
            } else {
                static const char *const other[] = {
                    "null", "true", "false", "[]", "{}",
                    "[1, \"a\", {\"x\": [null]}]", "{\"k0\": 1, \"k0\": 2}",
                };
                free(v->text);
                memset(v, 0, sizeof *v);
                gputs(g, other[rnd(sizeof other / sizeof other[0])]);
            }
            gws(g);
        }
        gputs(g, "}");
        gws(g);
        if (r + 1 < g->nrows || rnd(3))
            gputs(g, rnd(2) ? "\n" : "\r\n");
    }
    if (g->nrows == 0 || g->buf[g->len - 1] == '\n')
        gen_blanks(g, 1);
}

/* The bound the splitter should report, from the exact min/max text. */
static void expect_text_bound(const struct gval *v, int is_max, size_t lim,
                              const uint8_t *got, size_t got_len)
{
    uint8_t want[512];
    size_t n;

    if (v == NULL) {
        assert_null(got);
        return;
    }
    n = v->len < lim ? v->len : lim;
    memcpy(want, v->text, n);
    if (is_max && v->len > lim) {
        while (n > 0 && want[n - 1] == 0xff)
            n--;
        if (n == 0) {
            assert_null(got);
            return;
        }
        want[n - 1]++;
    }
    assert_non_null(got);
    if (got_len != n || memcmp(got, want, n) != 0)
        fail_msg("text %s: got \"%.*s\", want \"%.*s\"", is_max ? "max" : "min",
                 (int)got_len, (const char *)got, (int)n, (const char *)want);
}

static int bytes_cmp(const struct gval *a, const struct gval *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->text, b->text, n) : 0;
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* Check each chunk's index against the values of its rows. */
static void check_index(const struct result *r, const struct gen *g,
                        size_t lim, int jsonl)
{
    size_t ci, c, ncols = splitter_column_count(r->s);
    size_t *map = calloc(g->ncols + 1, sizeof *map); /* gen col -> splitter */
    int *seen_num = calloc(g->ncols + 1, sizeof *seen_num);
    int *seen_text = calloc(g->ncols + 1, sizeof *seen_text);

    assert_non_null(map);
    for (c = 0; c < g->ncols; c++) {
        char key[32];
        size_t k;
        map[c] = SIZE_MAX;
        snprintf(key, sizeof key, jsonl ? "k%zu" : "c%zu", c);
        for (k = 0; k < ncols; k++)
            if (strcmp(splitter_column_name(r->s, k), key) == 0)
                map[c] = k;
    }
    for (ci = 0; ci < r->n; ci++) {
        const struct splitter_chunk *ch = r->chunks[ci];
        for (c = 0; c < g->ncols; c++) {
            const struct gval *nmin = NULL, *nmax = NULL, *tmin = NULL,
                              *tmax = NULL;
            int poison = 0;
            uint64_t row;
            const struct splitter_colstat *cs;
            for (row = ch->first_row; row < ch->first_row + ch->rows; row++) {
                const struct gval *v = &g->vals[row * g->ncols + c];
                if (v->text == NULL || (!jsonl && v->len == 0))
                    continue;
                if (v->number) {
                    seen_num[c] = 1;
                    if (v->len > lim)
                        poison = 1;
                    if (!nmin || numtext_compare(v->text, v->len, nmin->text,
                                                 nmin->len) < 0)
                        nmin = v;
                    if (!nmax || numtext_compare(v->text, v->len, nmax->text,
                                                 nmax->len) > 0)
                        nmax = v;
                } else {
                    seen_text[c] = 1;
                }
                if (!tmin || bytes_cmp(v, tmin) < 0)
                    tmin = v;
                if (!tmax || bytes_cmp(v, tmax) > 0)
                    tmax = v;
            }
            if (map[c] == SIZE_MAX || map[c] >= ch->ncols) {
                assert_null(tmin);
                continue;
            }
            cs = &ch->cols[map[c]];
            if (poison)
                nmin = nmax = NULL;
            if (nmin == NULL) {
                assert_null(cs->num.min);
                assert_null(cs->num.max);
            } else {
                assert_bound(cs->num.min, cs->num.min_len, nmin->text);
                assert_bound(cs->num.max, cs->num.max_len, nmax->text);
            }
            expect_text_bound(tmin, 0, lim, cs->text.min, cs->text.min_len);
            expect_text_bound(tmax, 1, lim, cs->text.max, cs->text.max_len);
        }
    }
    for (c = 0; c < g->ncols; c++) {
        enum splitter_coltype want = seen_num[c] && !seen_text[c]
                                         ? SPLITTER_COL_NUMBER
                                         : SPLITTER_COL_TEXT;
        if (map[c] != SIZE_MAX)
            assert_int_equal(splitter_column_type(r->s, map[c]), want);
    }
    free(map);
    free(seen_num);
    free(seen_text);
}

static void random_round(int jsonl, size_t round)
{
    struct gen g;
    struct splitter_config cfg;
    struct result r;
    size_t lim = rnd(3) == 0 ? 16 : 256;
    struct feed fd = feeds[round % NFEEDS];

    if (jsonl)
        gen_jsonl(&g);
    else
        gen_csv(&g);
    cfg_for(&cfg, jsonl ? SPLITTER_JSONL : SPLITTER_CSV, 1 + rnd(400),
            rnd(3) == 0 ? 1 + rnd(7) : 0);
    cfg.max_index_value = lim;
    split(&r, &cfg, g.buf, g.len, fd);
    if (r.rv != 0)
        fail_msg("round %zu: %s\n%.*s", round, r.f.detail, (int)g.len, g.buf);
    check_roundtrip(&r, g.buf, g.len, cfg.format);
    assert_int_equal(splitter_total_rows(r.s), g.nrows);
    if (cfg.chunk_rows > 0) {
        size_t i;
        for (i = 0; i + 1 < r.n; i++)
            assert_int_equal(r.chunks[i]->rows, cfg.chunk_rows);
    } else {
        size_t i;
        for (i = 0; i + 1 < r.n; i++)
            assert_true(r.chunks[i]->len >= cfg.chunk_bytes);
    }
    if (!jsonl)
        assert_int_equal(splitter_column_count(r.s), g.ncols);
    check_index(&r, &g, lim, jsonl);
    result_free(&r);
    gen_free(&g);
}

static void test_random_csv(void **state)
{
    size_t round;

    (void)state;
    for (round = 0; round < 3000; round++)
        random_round(0, round);
}

static void test_random_jsonl(void **state)
{
    size_t round;

    (void)state;
    for (round = 0; round < 3000; round++)
        random_round(1, round);
}

/* Random bytes: whatever the verdict, it is the same for every way of
 * feeding, and on success prefix || chunks == input. */
static void test_random_bytes(void **state)
{
    static const char alphabet[] = "ab,\"\n\r\n {}[]:1-e.\\u\xc3\xa9\xff";
    size_t round;

    (void)state;
    for (round = 0; round < 3000; round++) {
        char in[200];
        size_t n = rnd(sizeof in), i, k;
        enum splitter_format fmt = (enum splitter_format)(round % 3);
        int verdict = 2;
        for (i = 0; i < n; i++)
            in[i] = alphabet[rnd(sizeof alphabet - 1)];
        if (fmt == SPLITTER_JSONL && n > 2) {
            /* mostly objects */
            for (i = 0; i < n; i++)
                if (in[i] == '\n' && i + 1 < n)
                    in[i + 1] = '{';
        }
        for (k = 0; k < NFEEDS; k++) {
            struct splitter_config cfg;
            struct result r;
            cfg_for(&cfg, fmt, 1 + round % 17, 0);
            split(&r, &cfg, in, n, feeds[k]);
            if (verdict == 2)
                verdict = r.rv;
            assert_int_equal(r.rv, verdict);
            if (r.rv == 0)
                check_roundtrip(&r, in, n, fmt);
            result_free(&r);
        }
    }
}

/* ---- recycling chunk buffers ------------------------------------------- */

/* A chunk's bytes and index, kept after the chunk itself is recycled. */
struct snap {
    struct splitter_chunk c;
    uint8_t *data;
};

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *b;

    if (p == NULL)
        return NULL;
    b = malloc(n + 1);
    assert_non_null(b);
    memcpy(b, p, n);
    b[n] = 0;
    return b;
}

static void snap_take(struct snap *sn, const struct splitter_chunk *c)
{
    size_t i;

    sn->c = *c;
    sn->data = dup_bytes(c->data, c->len);
    sn->c.cols = calloc(c->ncols + 1, sizeof *sn->c.cols);
    assert_non_null(sn->c.cols);
    for (i = 0; i < c->ncols; i++) {
        const struct splitter_colstat *a = &c->cols[i];
        struct splitter_colstat *b = &sn->c.cols[i];
        *b = *a;
        b->num.min = dup_bytes(a->num.min, a->num.min_len);
        b->num.max = dup_bytes(a->num.max, a->num.max_len);
        b->text.min = dup_bytes(a->text.min, a->text.min_len);
        b->text.max = dup_bytes(a->text.max, a->text.max_len);
    }
}

static void snap_free(struct snap *sn)
{
    size_t i;

    for (i = 0; i < sn->c.ncols; i++) {
        free(sn->c.cols[i].num.min);
        free(sn->c.cols[i].num.max);
        free(sn->c.cols[i].text.min);
        free(sn->c.cols[i].text.max);
    }
    free(sn->c.cols);
    free(sn->data);
}

static void assert_same_bound(const uint8_t *a, size_t al, const uint8_t *b,
                              size_t bl)
{
    assert_true((a == NULL) == (b == NULL));
    if (a != NULL) {
        assert_int_equal(al, bl);
        assert_memory_equal(a, b, al);
    }
}

static void assert_same_chunk(const struct snap *sn,
                              const struct splitter_chunk *c)
{
    size_t i;

    assert_int_equal(sn->c.index, c->index);
    assert_int_equal(sn->c.first_row, c->first_row);
    assert_int_equal(sn->c.rows, c->rows);
    assert_int_equal(sn->c.len, c->len);
    assert_memory_equal(sn->data, c->data, c->len);
    assert_int_equal(sn->c.ncols, c->ncols);
    for (i = 0; i < c->ncols; i++) {
        const struct splitter_colstat *a = &sn->c.cols[i], *b = &c->cols[i];
        assert_same_bound(a->num.min, a->num.min_len, b->num.min,
                          b->num.min_len);
        assert_same_bound(a->num.max, a->num.max_len, b->num.max,
                          b->num.max_len);
        assert_same_bound(a->text.min, a->text.min_len, b->text.min,
                          b->text.min_len);
        assert_same_bound(a->text.max, a->text.max_len, b->text.max,
                          b->text.max_len);
    }
}

/* What to do with each chunk taken while splitting. */
enum give_back {
    GIVE_RECYCLE,      /* splitter_recycle at once */
    GIVE_RECYCLE_NULL, /* the caller frees the data, then recycles */
    GIVE_HOLD,         /* hold every chunk, recycle them all at the end */
    GIVE_MIXED         /* any of these, chunk by chunk */
};

/* Split in[0..len) as split() does, but give chunks back as gb says,
 * keeping snapshots of them in *out (*nout of them). */
static void split_recycling(struct snap **out, size_t *nout,
                            const struct splitter_config *cfg,
                            const void *in, size_t len, struct feed fd,
                            enum give_back gb)
{
    const uint8_t *p = in;
    struct splitter *s;
    struct splitter_chunk *c, **held = NULL;
    struct fault f;
    size_t off = 0, nheld = 0, i;
    int done = 0;

    *out = NULL;
    *nout = 0;
    fault_clear(&f);
    assert_int_equal(splitter_new(&s, cfg, &f), 0);
    while (!done) {
        if (off < len) {
            size_t n = len - off;
            if (fd.kind == FEED_FIXED && n > fd.size)
                n = fd.size;
            if (fd.kind == FEED_RANDOM)
                n = 1 + rnd(n < fd.size ? n : fd.size);
            assert_int_equal(splitter_feed(s, p + off, n, &f), 0);
            off += n;
        } else {
            assert_int_equal(splitter_finish(s, &f), 0);
            done = 1;
        }
        while ((c = splitter_next(s)) != NULL) {
            enum give_back how = gb == GIVE_MIXED ? (enum give_back)rnd(3) : gb;
            *out = realloc(*out, (*nout + 1) * sizeof **out);
            assert_non_null(*out);
            snap_take(&(*out)[(*nout)++], c);
            switch (how) {
            case GIVE_RECYCLE:
                splitter_recycle(s, c);
                break;
            case GIVE_RECYCLE_NULL:
                free(c->data);
                c->data = NULL;
                splitter_recycle(s, c);
                break;
            case GIVE_HOLD:
            case GIVE_MIXED:
                held = realloc(held, (nheld + 1) * sizeof *held);
                assert_non_null(held);
                held[nheld++] = c;
                break;
            }
        }
    }
    for (i = 0; i < nheld; i++)
        splitter_recycle(s, held[i]);
    splitter_recycle(s, NULL);
    free(held);
    splitter_free(s);
}

/* Chunks built in recycled buffers are the chunks built in fresh ones:
 * the same bytes, rows and index, whatever was in the buffer before. */
static void test_recycle_roundtrip(void **state)
{
    size_t round;

    (void)state;
    for (round = 0; round < 600; round++) {
        struct gen g;
        struct splitter_config cfg;
        struct result r;
        struct snap *sn;
        size_t nsn, i;
        int jsonl = (int)(round % 3 == 1), blob = round % 3 == 2;
        enum give_back gb = (enum give_back)(round % 4);
        struct feed fd = feeds[round % NFEEDS];

        if (jsonl)
            gen_jsonl(&g);
        else
            gen_csv(&g);
        cfg_for(&cfg,
                blob    ? SPLITTER_BLOB
                : jsonl ? SPLITTER_JSONL
                        : SPLITTER_CSV,
                1 + rnd(300), !blob && rnd(3) == 0 ? 1 + rnd(5) : 0);
        cfg.max_index_value = rnd(2) ? 16 : 256;
        split(&r, &cfg, g.buf, g.len, fd);
        assert_int_equal(r.rv, 0);
        split_recycling(&sn, &nsn, &cfg, g.buf, g.len, fd, gb);
        assert_int_equal(nsn, r.n);
        for (i = 0; i < nsn; i++) {
            assert_same_chunk(&sn[i], r.chunks[i]);
            snap_free(&sn[i]);
        }
        free(sn);
        result_free(&r);
        gen_free(&g);
    }
}

/* Recycling a chunk whose data the caller freed (set to NULL), or NULL
 * itself, is safe, and later chunks are whole; so is recycling chunks
 * after the input ended and freeing the splitter with chunks still out. */
static void test_recycle_null_data(void **state)
{
    struct splitter_config cfg;
    struct splitter *s;
    struct splitter_chunk *c, *out[4];
    struct fault f;
    char in[4096];
    size_t n = 0, off = 0, plen, nout = 0, i;
    const uint8_t *pre;

    (void)state;
    n += (size_t)sprintf(in, "t,v\n");
    while (n < sizeof in - 64)
        n += (size_t)sprintf(in + n, "2024-01-01T00:00:%02zuZ,%zu.%zu\n",
                             n % 60, n % 1000, n % 7);
    cfg_for(&cfg, SPLITTER_CSV, 200, 0);
    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    splitter_recycle(s, NULL);
    assert_int_equal(splitter_feed(s, (const uint8_t *)in, n, &f), 0);
    assert_int_equal(splitter_finish(s, &f), 0);
    pre = splitter_prefix(s, &plen);
    assert_memory_equal(pre, in, plen);
    off = plen;
    while ((c = splitter_next(s)) != NULL) {
        assert_memory_equal(c->data, in + off, c->len);
        off += c->len;
        if (nout < 4 && c->index % 5 == 0) {
            out[nout++] = c; /* still out when the splitter is freed */
            continue;
        }
        free(c->data);
        c->data = NULL;
        splitter_recycle(s, c);
    }
    assert_int_equal(off, n);
    splitter_free(s);
    for (i = 0; i < nout; i++)
        splitter_chunk_free(out[i]);
}

#if defined(__GLIBC__) && !defined(UNDER_ASAN)
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}
#endif

/* Giving back many chunks at once keeps only a few buffers: the rest are
 * freed (the heap shrinks by about their size). */
/* Borrowed input: chunks point into it (recycling leaves it alone), and
 * every other way of feeding is refused once it is borrowed, as is a
 * borrow after input or an advance past its end. */
static void test_borrow_misuse(void **state)
{
    static const char in[] = "a,b\n1,2\n3,4\n";
    uint8_t buf[sizeof in + 16];
    struct splitter_config cfg;
    struct splitter *s = NULL;
    struct splitter_chunk *c;
    struct fault f;
    uint8_t *room;
    size_t cap, n = sizeof in - 1;

    (void)state;
    memset(buf, 0, sizeof buf);
    memcpy(buf, in, n);
    splitter_config_default(&cfg, SPLITTER_CSV);
    cfg.chunk_rows = 1;

    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_borrow(s, buf, n, &f), 0);
    assert_int_equal(splitter_advance(s, n, &f), 0);
    c = splitter_next(s);
    assert_non_null(c);
    assert_ptr_equal(c->data, buf + 4); /* after the header */
    assert_int_equal(c->len, 4);
    splitter_recycle(s, c); /* must not free buf */
    assert_int_equal(splitter_finish(s, &f), 0);
    c = splitter_next(s);
    assert_non_null(c);
    assert_ptr_equal(c->data, buf + 8);
    splitter_chunk_free(c); /* nor this */
    assert_null(splitter_next(s));
    assert_int_equal(buf[8], '3');
    splitter_free(s);

    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_borrow(s, buf, n, &f), 0);
    assert_int_equal(splitter_advance(s, n + 1, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    splitter_free(s);

    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_borrow(s, buf, n, &f), 0);
    assert_int_equal(splitter_feed(s, buf, 1, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    splitter_free(s);

    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_borrow(s, buf, n, &f), 0);
    assert_int_equal(splitter_room(s, &room, &cap, &f), -1);
    assert_null(room);
    assert_int_equal(cap, 0);
    splitter_free(s);

    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_feed(s, buf, 2, &f), 0);
    assert_int_equal(splitter_borrow(s, buf, n, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    splitter_free(s);

    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_advance(s, 1, &f), -1); /* nothing borrowed */
    splitter_free(s);
}

/* Room and commit: a commit larger than the room is refused. */
static void test_room_commit(void **state)
{
    struct splitter_config cfg;
    struct splitter *s = NULL;
    struct splitter_chunk *c;
    struct fault f;
    uint8_t *room;
    size_t cap;

    (void)state;
    splitter_config_default(&cfg, SPLITTER_CSV);
    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_room(s, &room, &cap, &f), 0);
    assert_true(cap >= 8);
    memcpy(room, "k,v\n1,2\n", 8);
    assert_int_equal(splitter_commit(s, 8, &f), 0);
    assert_int_equal(splitter_commit(s, 0, &f), 0);
    assert_int_equal(splitter_finish(s, &f), 0);
    c = splitter_next(s);
    assert_non_null(c);
    assert_int_equal(c->len, 4);
    assert_memory_equal(c->data, "1,2\n", 4);
    splitter_chunk_free(c);
    splitter_free(s);

    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_room(s, &room, &cap, &f), 0);
    assert_int_equal(splitter_commit(s, (size_t)1 << 40, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    splitter_free(s);
}

static void test_recycle_bounded(void **state)
{
    enum { NCHUNKS = 40, CHUNK = 64 << 10 };
    struct splitter_config cfg;
    struct splitter *s;
    struct splitter_chunk *held[NCHUNKS + 2], *c;
    struct fault f;
    size_t n = 0, nheld = 0, i, total = (size_t)NCHUNKS * CHUNK + 4096;
    char *in = malloc(total + 64);
#if defined(__GLIBC__) && !defined(UNDER_ASAN)
    size_t before, after;
#endif

    (void)state;
    assert_non_null(in);
    n += (size_t)sprintf(in, "t,v\n");
    while (n < total)
        n += (size_t)sprintf(in + n, "2024-01-01T00:00:%02zuZ,%zu.%zu\n",
                             n % 60, n % 1000, n % 7);
    cfg_for(&cfg, SPLITTER_CSV, CHUNK, 0);
    assert_int_equal(splitter_new(&s, &cfg, &f), 0);
    assert_int_equal(splitter_feed(s, (const uint8_t *)in, n, &f), 0);
    while ((c = splitter_next(s)) != NULL) {
        assert_true(nheld < NCHUNKS + 2);
        held[nheld++] = c;
    }
    assert_true(nheld >= NCHUNKS - 1);
#if defined(__GLIBC__) && !defined(UNDER_ASAN)
    before = heap_in_use();
#endif
    for (i = 0; i < nheld; i++)
        splitter_recycle(s, held[i]);
#if defined(__GLIBC__) && !defined(UNDER_ASAN)
    after = heap_in_use();
    /* At most a few buffers of about CHUNK bytes stay. */
    if (before - after < (nheld - 6) * (size_t)CHUNK)
        fail_msg("recycling %zu chunks freed only %zu bytes", nheld,
                 before - after);
#endif
    /* The kept buffers serve the chunks that follow. */
    assert_int_equal(splitter_finish(s, &f), 0);
    while ((c = splitter_next(s)) != NULL)
        splitter_recycle(s, c);
    splitter_free(s);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_big_feed),
        cmocka_unit_test(test_index_csv),
        cmocka_unit_test(test_index_same_shape),
        cmocka_unit_test(test_index_jsonl),
        cmocka_unit_test(test_index_truncation),
        cmocka_unit_test(test_preview),
        cmocka_unit_test(test_random_csv),
        cmocka_unit_test(test_random_jsonl),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_recycle_roundtrip),
        cmocka_unit_test(test_recycle_null_data),
        cmocka_unit_test(test_recycle_bounded),
        cmocka_unit_test(test_borrow_misuse),
        cmocka_unit_test(test_room_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
