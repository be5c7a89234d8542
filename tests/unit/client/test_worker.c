/* Unit tests for the worker library (client/worker.c, wrows.c,
 * wreceipt.c, wfetch.c) against tests/support/fakegw: a gateway stand-in
 * made of the real parts (storage's ingest and keys, lib/keywrap, EIP-191
 * receipts signed by a test gateway key). Rows out equal the source
 * exactly for each selector and format; every tampered part of an answer
 * (objects, receipts, key wraps, chunk lists) is refused with a clear
 * fault; another worker's key cannot unwrap; 402 and 409 come back as
 * refusals; the cache makes a second run fetch nothing; a 64 MiB data-set
 * in 1 MiB chunks is read with memory bounded by a few chunks; and the
 * example program runs. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "client/progress.h"
#include "client/wfetch.h"
#include "client/worker.h"
#include "client/wreceipt.h"
#include "client/wrows.h"
#include "lib/hex.h"
#include "tests/support/fakegw.h"
#include "tests/support/testutil.h"

static const uint8_t worker_secret[32] = {
    0x4c, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d, 0x62, 0x31, 0x47,
    0x1b, 0x5d, 0xbb, 0x62, 0x04, 0xfe, 0x51, 0x29, 0x61, 0x70, 0x82,
    0x79, 0x2a, 0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x18,
};
static const uint8_t worker2_secret[32] = {
    0x07, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d, 0x62, 0x31, 0x47,
    0x1b, 0x5d, 0xbb, 0x62, 0x04, 0xfe, 0x51, 0x29, 0x61, 0x70, 0x82,
    0x79, 0x2a, 0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x07,
};

/* The CSV data-set, row by row: quoted commas, quotes and line breaks,
 * CRLF and LF, blank lines after rows, an empty field, numbers written
 * every which way, a last row without a line end. */
static const char csv_header[] = "id,name,temp,note\n";
static const char *const csv_rows[] = {
    "0,alpha,20.5,plain\r\n",
    "1,\"beta, with comma\",1e3,\"multi\nline\"\n",
    "2,\"quote \"\"q\"\"\",-0,\n\n",
    "3,007,1.50,x\n",
    "4,,19.99,\"a,b\"\r\n\r\n",
    "5,gamma,1e400,y\n",
    "6,delta,-1e400,z\n",
    "7,epsilon,1000.0,last",
};
#define CSV_ROWS 8

static const char *const jsonl_rows[] = {
    "{\"k\":0,\"v\":1.5,\"s\":\"a\"}\n",
    "{\"k\":1,\"v\":null,\"s\":\"b\\u00e9\"}\r\n",
    "  {\"k\":2,\"v\":-0,\"s\":\"\"}\n  \t\n",
    "{\"k\":3,\"v\":1e3,\"s\":true}\n",
    "{\"k\":4,\"v\":[1],\"s\":{\"x\":1}}\n",
    "{\"k\":5,\"v\":0.639,\"s\":\"a\\\"b\"}\n",
    "{\"s\":\"z\",\"k\":6}",
};
#define JSONL_ROWS 7

#define BLOB_LEN 5000

/* AddressSanitizer keeps freed memory in quarantine: peak RSS says
 * nothing about the library then, and its bounds are not checked. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED 0
#else
#define RSS_CHECKED 1
#endif

struct fixture {
    struct fakegw g;
    size_t csv, jsonl, blob;
    uint8_t blob_data[BLOB_LEN];
    struct ethkey key, key2;
    char keyfile[4200];
};

static char *join_rows(const char *const *rows, size_t n, const char *head)
{
    size_t cap = strlen(head) + 1, i;
    char *s;

    for (i = 0; i < n; i++)
        cap += strlen(rows[i]);
    s = malloc(cap);
    assert_non_null(s);
    strcpy(s, head);
    for (i = 0; i < n; i++)
        strcat(s, rows[i]);
    return s;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fault f;
    char *csv, *jsonl, text[80];
    uint64_t seed = 42;

    fakegw_start(&fx->g);
    csv = join_rows(csv_rows, CSV_ROWS, csv_header);
    jsonl = join_rows(jsonl_rows, JSONL_ROWS, "");
    fx->csv = fakegw_ingest(&fx->g, SPLITTER_CSV, 0, 3, csv, strlen(csv));
    fx->jsonl = fakegw_ingest(&fx->g, SPLITTER_JSONL, 0, 2, jsonl,
                              strlen(jsonl));
    testutil_fill(fx->blob_data, BLOB_LEN, &seed);
    fx->blob = fakegw_ingest(&fx->g, SPLITTER_BLOB, 1024, 0, fx->blob_data,
                             BLOB_LEN);
    free(csv);
    free(jsonl);
    assert_int_equal(fx->g.ds[fx->csv].n, 3);   /* rows 0-2, 3-5, 6-7 */
    assert_int_equal(fx->g.ds[fx->jsonl].n, 4); /* 0-1, 2-3, 4-5, 6 */
    assert_int_equal(fx->g.ds[fx->blob].n, 5);
    assert_int_equal(ethkey_from_secret(&fx->key, worker_secret, &f), 0);
    assert_int_equal(ethkey_from_secret(&fx->key2, worker2_secret, &f), 0);
    snprintf(fx->keyfile, sizeof fx->keyfile, "%s/worker.key", fx->g.dir);
    assert_int_equal(hex_encode_0x(text, sizeof text, worker_secret, 32), 0);
    strcat(text, "\n");
    assert_int_equal(testutil_write_file(fx->keyfile, text, strlen(text)), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    fakegw_stop(&fx->g);
    ethkey_wipe(&fx->key);
    ethkey_wipe(&fx->key2);
    free(fx);
    return 0;
}

static struct worker *open_worker(struct fixture *fx,
                                  const struct ethkey *key,
                                  const char *cache)
{
    struct worker_options o;
    struct worker *w = NULL;
    struct fault f;

    memset(&o, 0, sizeof o);
    o.cache_dir = cache;
    o.timeout_ms = 10000;
    if (worker_open(&w, fx->g.url, key, &o, &f) < 0)
        fail_msg("worker_open: %s", f.detail);
    return w;
}

/* Run sel on data-set ds; return the rows' bytes (malloc'd, *len) or
 * NULL with f set when the query or a row failed. */
static char *run(struct worker *w, struct fakegw_ds *ds,
                 const struct worker_select *sel, size_t *len,
                 struct worker_stats *st, struct fault *f)
{
    struct worker_query *q = NULL;
    struct worker_refusal no;
    struct worker_row row;
    char *out = NULL;
    size_t cap = 0;
    int r;

    *len = 0;
    fault_clear(f);
    r = worker_query(w, &q, &no, ds->id_text, sel, f);
    if (r != WORKER_RELEASED) {
        if (r > 0) {
            worker_refusal_clear(&no);
            fault_set(f, FAULT_PAYMENT, NULL, "refused %d", r);
        }
        return NULL;
    }
    out = malloc(1);
    while ((r = worker_next(q, &row, f)) == 1) {
        if (*len + row.len + 1 > cap) {
            cap = (*len + row.len + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + *len, row.data, row.len);
        *len += row.len;
    }
    if (st != NULL)
        worker_query_stats(q, st);
    worker_query_free(q);
    if (r < 0) {
        free(out);
        return NULL;
    }
    out[*len] = '\0';
    return out;
}

/* The rows of rows[] whose numbers are in set[0..n). */
static char *expect_rows(const char *const *rows, const int *set, size_t n)
{
    size_t cap = 1, i;
    char *s;

    for (i = 0; i < n; i++)
        cap += strlen(rows[set[i]]);
    s = calloc(1, cap);
    for (i = 0; i < n; i++)
        strcat(s, rows[set[i]]);
    return s;
}

static void check_rows(struct worker *w, struct fakegw_ds *ds,
                       const struct worker_select *sel,
                       const char *const *rows, const int *set, size_t n,
                       const char *what)
{
    struct fault f;
    size_t len;
    char *got = run(w, ds, sel, &len, NULL, &f);
    char *want = expect_rows(rows, set, n);

    if (got == NULL)
        fail_msg("%s: %s", what, f.detail);
    if (len != strlen(want) || memcmp(got, want, len) != 0)
        fail_msg("%s: got [%s], want [%s]", what, got, want);
    free(got);
    free(want);
}

/* ---- rows, where, chunks, all -------------------------------------- */

static void test_csv_rows(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    struct worker *w = open_worker(fx, &fx->key, NULL);
    static const struct {
        uint64_t from, to;
        int set[8];
        size_t n;
    } cases[] = {
        {2, 6, {2, 3, 4, 5}, 4},
        {1, 7, {1, 2, 3, 4, 5, 6}, 6},
        {4, 5, {4}, 1},
        {0, 8, {0, 1, 2, 3, 4, 5, 6, 7}, 8},
        {7, 100, {7}, 1},
        {0, 1, {0}, 1},
        {3, 3, {0}, 0},
        {100, 200, {0}, 0},
    };
    struct worker_select sel = {.kind = WORKER_ROWS};
    char what[64];
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sel.from = cases[i].from;
        sel.to = cases[i].to;
        snprintf(what, sizeof what, "rows %llu:%llu",
                 (unsigned long long)sel.from, (unsigned long long)sel.to);
        check_rows(w, ds, &sel, csv_rows, cases[i].set, cases[i].n, what);
    }
    worker_close(w);
}

struct where_case {
    const char *conds[3];
    int set[8];
    size_t n;
};

static void check_where(struct fixture *fx, struct fakegw_ds *ds,
                        const char *const *rows,
                        const struct where_case *cases, size_t ncases)
{
    struct worker *w = open_worker(fx, &fx->key, NULL);
    struct worker_cond conds[3];
    char buf[3][256], what[160];
    struct worker_select sel = {.kind = WORKER_WHERE, .conds = conds};
    struct fault f;
    size_t i, k;

    for (i = 0; i < ncases; i++) {
        what[0] = '\0';
        for (k = 0; k < 3 && cases[i].conds[k] != NULL; k++) {
            if (worker_cond_parse(&conds[k], buf[k], sizeof buf[k],
                                  cases[i].conds[k], "--where", &f) < 0)
                fail_msg("%s: %s", cases[i].conds[k], f.detail);
            strcat(what, cases[i].conds[k]);
            strcat(what, " ");
        }
        sel.nconds = k;
        check_rows(w, ds, &sel, rows, cases[i].set, cases[i].n, what);
    }
    worker_close(w);
}

static void test_csv_where(void **state)
{
    struct fixture *fx = *state;
    static const struct where_case cases[] = {
        {{"temp>=1000"}, {1, 5, 7}, 3},
        {{"temp=1000"}, {1, 7}, 2},
        {{"temp=1e3"}, {1, 7}, 2},
        {{"temp<0"}, {6}, 1},
        {{"temp=0"}, {2}, 1},
        {{"temp!=0"}, {0, 1, 3, 4, 5, 6, 7}, 7},
        {{"temp>1e399"}, {5}, 1},
        {{"temp<=1.5"}, {2, 3, 6}, 3},
        {{"name=\"007\""}, {3}, 1},
        {{"name>=delta"}, {2, 5, 6, 7}, 4},
        {{"name!=alpha"}, {1, 2, 3, 5, 6, 7}, 6},
        {{"name=beta, with comma"}, {1}, 1},
        {{"temp>0", "note>=x"}, {3, 5}, 2},
        {{"id<2"}, {0, 1}, 2},
        {{"note=multi\nline"}, {1}, 1},
        {{"note=a,b"}, {4}, 1},
        {{"note<a"}, {0}, 0},
        {{"id>=0", "temp>=0", "name>a"}, {0, 1, 2, 5, 7}, 5},
    };

    check_where(fx, &fx->g.ds[fx->csv], csv_rows, cases,
                sizeof cases / sizeof cases[0]);
}

static void test_jsonl_where(void **state)
{
    struct fixture *fx = *state;
    static const struct where_case cases[] = {
        {{"v>=1"}, {0, 3}, 2},
        {{"v=0"}, {2}, 1},
        {{"v<1"}, {2, 5}, 2},
        {{"v=0.639"}, {5}, 1},
        {{"s=\"a\""}, {0}, 1},
        {{"s>=b"}, {1, 6}, 2},
        {{"s!=a"}, {1, 5, 6}, 3},
        {{"s=b\xc3\xa9"}, {1}, 1},
        {{"s=a\"b"}, {5}, 1},
        {{"k>=5"}, {5, 6}, 2},
        {{"v<1", "k>2"}, {5}, 1},
    };

    check_where(fx, &fx->g.ds[fx->jsonl], jsonl_rows, cases,
                sizeof cases / sizeof cases[0]);
}

static void test_jsonl_rows_all(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->jsonl];
    struct worker *w = open_worker(fx, &fx->key, NULL);
    struct worker_select sel = {.kind = WORKER_ROWS, .from = 1, .to = 6};
    static const int r16[] = {1, 2, 3, 4, 5};
    static const int all[] = {0, 1, 2, 3, 4, 5, 6};

    check_rows(w, ds, &sel, jsonl_rows, r16, 5, "jsonl rows 1:6");
    sel.kind = WORKER_ALL;
    check_rows(w, ds, &sel, jsonl_rows, all, 7, "jsonl all");
    worker_close(w);
}

static void test_csv_chunks_all(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    struct worker *w = open_worker(fx, &fx->key, NULL);
    static const int all[] = {0, 1, 2, 3, 4, 5, 6, 7};
    uint64_t list[] = {2, 0, 2};
    struct worker_select sel = {.kind = WORKER_CHUNKS, .chunks = list,
                                .nchunks = 3};
    int set[CSV_ROWS];
    size_t n = 0, i, k;
    char *header = NULL;
    size_t hlen;
    struct worker_query *q;
    struct worker_refusal no;
    struct fault f;

    for (i = 0; i < ds->n; i++)
        if (ds->chunks[i].index == 0 || ds->chunks[i].index == 2)
            for (k = 0; k < ds->chunks[i].rows; k++)
                set[n++] = (int)(ds->chunks[i].first_row + k);
    check_rows(w, ds, &sel, csv_rows, set, n, "chunks 2,0,2");
    sel.nchunks = 0;
    check_rows(w, ds, &sel, csv_rows, set, 0, "chunks []");
    sel.kind = WORKER_ALL;
    check_rows(w, ds, &sel, csv_rows, all, CSV_ROWS, "all");
    /* The header comes from the view, with the line end asked for. */
    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &sel, &f),
                     WORKER_RELEASED);
    assert_int_equal(worker_header(q, &header, &hlen, "\r\n", &f), 0);
    assert_string_equal(header, "id,name,temp,note\r\n");
    assert_string_equal(worker_query_release(q)->format, "csv");
    assert_int_equal(worker_query_release(q)->nchunks, ds->n);
    assert_int_equal(worker_query_release(q)->rows, CSV_ROWS);
    free(header);
    worker_query_free(q);
    worker_close(w);
}

static void test_blob(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->blob];
    struct worker *w = open_worker(fx, &fx->key, NULL);
    struct worker_select sel = {.kind = WORKER_ALL};
    uint64_t list[] = {3, 1};
    struct fault f;
    size_t len;
    char *got;

    got = run(w, ds, &sel, &len, NULL, &f);
    assert_non_null(got);
    assert_int_equal(len, BLOB_LEN);
    assert_memory_equal(got, fx->blob_data, BLOB_LEN);
    free(got);
    sel.kind = WORKER_CHUNKS;
    sel.chunks = list;
    sel.nchunks = 2;
    got = run(w, ds, &sel, &len, NULL, &f);
    assert_non_null(got);
    assert_int_equal(len, 2048);
    assert_memory_equal(got, fx->blob_data + 1024, 1024);
    assert_memory_equal(got + 1024, fx->blob_data + 3072, 1024);
    free(got);
    /* A blob has no rows: refused before anything is asked or paid. */
    sel.kind = WORKER_ROWS;
    sel.from = 0;
    sel.to = 10;
    fx->g.queries = 0;
    assert_null(run(w, ds, &sel, &len, NULL, &f));
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_non_null(strstr(f.detail, "blob"));
    assert_int_equal(fx->g.queries, 0);
    worker_close(w);
}

/* ---- selectors as text and JSON --------------------------------------- */

static void test_cond_parse_and_body(void **state)
{
    static const struct {
        const char *text, *column, *value;
        enum worker_op op;
        int number;
    } ok[] = {
        {"temp>=20.5", "temp", "20.5", WORKER_GE, 1},
        {"temp=1e3", "temp", "1e3", WORKER_EQ, 1},
        {"temp!=-0", "temp", "-0", WORKER_NE, 1},
        {"t<5", "t", "5", WORKER_LT, 1},
        {"t<=5", "t", "5", WORKER_LE, 1},
        {"t>5", "t", "5", WORKER_GT, 1},
        {"name=007", "name", "007", WORKER_EQ, 0},
        {"name=\"007\"", "name", "007", WORKER_EQ, 0},
        {"name=\"12\"", "name", "12", WORKER_EQ, 0},
        {"name=+5", "name", "+5", WORKER_EQ, 0},
        {"name=NaN", "name", "NaN", WORKER_EQ, 0},
        {"name=", "name", "", WORKER_EQ, 0},
        {"name=a=b", "name", "a=b", WORKER_EQ, 0},
        {"name=\"say \"\"hi\"\"\"", "name", "say \"hi\"", WORKER_EQ, 0},
        {"\"a>b\">=1", "a>b", "1", WORKER_GE, 1},
        {"\"q\"\"\"<x", "q\"", "x", WORKER_LT, 0},
    };
    static const char *const bad[] = {
        "=5", "temp", "\"temp=5", "temp~5", "name=\"a\"b", "\">=5",
    };
    struct worker_cond c, conds[2];
    char buf[256], buf2[256];
    struct worker_select sel;
    struct fault f;
    char *body;
    size_t i, len;

    (void)state;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (worker_cond_parse(&c, buf, sizeof buf, ok[i].text, "--where",
                              &f) < 0)
            fail_msg("%s: %s", ok[i].text, f.detail);
        assert_string_equal(c.column, ok[i].column);
        assert_string_equal(c.value, ok[i].value);
        assert_int_equal(c.op, ok[i].op);
        assert_int_equal(c.number, ok[i].number);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (worker_cond_parse(&c, buf, sizeof buf, bad[i], "--where", &f) ==
            0)
            fail_msg("%s was taken: column %s value %s", bad[i], c.column,
                     c.value);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "--where");
    }
    assert_int_equal(worker_cond_parse(&c, buf, 4, "temp>=20.5", "--where",
                                       &f), -1);
    /* Bodies: numbers as their exact text, text as JSON strings. */
    assert_int_equal(worker_cond_parse(&conds[0], buf, sizeof buf,
                                       "temp>=1e400", "--where", &f), 0);
    assert_int_equal(worker_cond_parse(&conds[1], buf2, sizeof buf2,
                                       "na\"me=\"007\"", "--where", &f), 0);
    memset(&sel, 0, sizeof sel);
    sel.kind = WORKER_WHERE;
    sel.conds = conds;
    sel.nconds = 2;
    sel.max_cost = "100";
    assert_int_equal(worker_body(&body, &len, &sel, &f), 0);
    assert_string_equal(body, "{\"where\":[[\"temp\",\">=\",1e400],"
                              "[\"na\\\"me\",\"=\",\"007\"]],"
                              "\"max_cost\":\"100\"}");
    free(body);
    sel.kind = WORKER_ROWS;
    sel.from = 5;
    sel.to = 9;
    sel.max_cost = NULL;
    assert_int_equal(worker_body(&body, &len, &sel, &f), 0);
    assert_string_equal(body, "{\"rows\":{\"from\":5,\"to\":9}}");
    free(body);
    sel.from = 10;
    assert_int_equal(worker_body(&body, &len, &sel, &f), -1);
    assert_string_equal(f.field, "rows");
    sel.kind = WORKER_ALL;
    sel.max_cost = "01";
    assert_int_equal(worker_body(&body, &len, &sel, &f), -1);
    assert_string_equal(f.field, "max_cost");
    sel.max_cost = NULL;
    assert_int_equal(worker_body(&body, &len, &sel, &f), 0);
    assert_string_equal(body, "{\"all\":true}");
    free(body);
    sel.kind = WORKER_WHERE;
    sel.nconds = 0;
    assert_int_equal(worker_body(&body, &len, &sel, &f), -1);
    sel.kind = WORKER_CHUNKS;
    sel.nchunks = 0;
    assert_int_equal(worker_body(&body, &len, &sel, &f), 0);
    assert_string_equal(body, "{\"chunks\":[]}");
    free(body);
}

/* Local checks against the view: nothing is asked of the gateway's
 * queries route, nothing paid. */
static void test_local_refusals(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    struct worker *w = open_worker(fx, &fx->key, NULL);
    static const struct {
        const char *cond, *want;
    } cases[] = {
        {"nope=1", "has no column 'nope'"},
        {"temp=abc", "holds numbers"},
        {"name=5", "holds text"},
    };
    struct worker_select sel = {.kind = WORKER_WHERE, .nconds = 1};
    struct worker_cond c;
    uint64_t big[] = {999};
    char buf[128];
    struct fault f;
    size_t i, len;

    fx->g.queries = 0;
    sel.conds = &c;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(worker_cond_parse(&c, buf, sizeof buf, cases[i].cond,
                                           "--where", &f), 0);
        assert_null(run(w, ds, &sel, &len, NULL, &f));
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "where[0]");
        if (strstr(f.detail, cases[i].want) == NULL)
            fail_msg("%s: %s", cases[i].cond, f.detail);
    }
    sel.kind = WORKER_CHUNKS;
    sel.chunks = big;
    sel.nchunks = 1;
    assert_null(run(w, ds, &sel, &len, NULL, &f));
    assert_string_equal(f.field, "chunks[0]");
    assert_int_equal(fx->g.queries, 0);
    worker_close(w);
}

/* ---- refusals of a tampered answer ---------------------------------- */

static void test_tampered(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    static const struct {
        enum fakegw_tamper t;
        const char *want;
    } cases[] = {
        {FAKEGW_OBJECT_BYTE, "does not hash to its object_id"},
        {FAKEGW_OBJECT_SWAP, "does not open with its key"},
        {FAKEGW_OBJECT_SHORT, "bytes, not the"},
        {FAKEGW_RECEIPT_COST, "does not match the answer: it says 'cost:"},
        {FAKEGW_RECEIPT_CHUNKS, "it says 'chunks:"},
        {FAKEGW_RECEIPT_WORKER, "it says 'worker: 0x0000"},
        {FAKEGW_RECEIPT_HASH, "hash is not the SHA-256"},
        {FAKEGW_RECEIPT_SIGNER, "not by the gateway's key"},
        {FAKEGW_RECEIPT_TOTALS, "is not credited_total"},
        {FAKEGW_WRAP_OTHER_KEY, "do not open with this worker's key"},
        {FAKEGW_WRAP_OTHER_QUERY, "do not open with this worker's key"},
        {FAKEGW_WRAP_BYTE, "do not open with this worker's key"},
        {FAKEGW_WRAP_SHORT, "wraps"},
        {FAKEGW_CHUNKS_SHORT, "lists"},
        {FAKEGW_CHUNKS_ORDER, "not in ascending order"},
    };
    struct worker *w = open_worker(fx, &fx->key, NULL);
    struct worker_select sel = {.kind = WORKER_ALL};
    struct fault f;
    size_t i, len;
    char *got;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx->g.tamper = cases[i].t;
        fx->g.tamper_chunk = 1;
        got = run(w, ds, &sel, &len, NULL, &f);
        if (got != NULL)
            fail_msg("tamper %d: taken: %s", (int)cases[i].t, got);
        if (f.kind != FAULT_CORRUPT || strstr(f.detail, cases[i].want) == NULL)
            fail_msg("tamper %d: kind %d: %s", (int)cases[i].t, (int)f.kind,
                     f.detail);
    }
    fx->g.tamper = FAKEGW_HONEST;
    /* GET /v1/chain without the gateway's address: no receipt can be
     * checked, so nothing is asked. */
    worker_close(w);
    w = open_worker(fx, &fx->key, NULL);
    fx->g.no_gateway_in_chain = 1;
    fx->g.queries = 0;
    assert_null(run(w, ds, &sel, &len, NULL, &f));
    assert_non_null(strstr(f.detail, "names no \"gateway\""));
    assert_int_equal(fx->g.queries, 0);
    fx->g.no_gateway_in_chain = 0;
    worker_close(w);
}

/* Another worker can neither be served keys meant for one worker nor
 * read a saved answer of it. */
static void test_other_worker(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    struct worker *w = open_worker(fx, &fx->key, NULL);
    struct worker *w2 = open_worker(fx, &fx->key2, NULL);
    struct worker_select sel = {.kind = WORKER_ALL};
    static const int all[] = {0, 1, 2, 3, 4, 5, 6, 7};
    struct worker_query *q = NULL;
    struct worker_refusal no;
    struct worker_row row;
    json_t *saved;
    struct fault f;

    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &sel, &f),
                     WORKER_RELEASED);
    saved = json_deep_copy(worker_query_release(q)->answer);
    worker_query_free(q);
    /* The answer names worker 1 in its receipt and wraps to its key. */
    assert_int_equal(worker_query_load(w2, &q, ds->id_text, &sel, saved, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    /* The owner of the answer reads it again, without a new query. */
    fx->g.queries = 0;
    assert_int_equal(worker_query_load(w, &q, ds->id_text, &sel, saved, &f),
                     0);
    assert_int_equal(worker_next(q, &row, &f), 1);
    assert_int_equal(row.number, 0);
    assert_memory_equal(row.data, csv_rows[0], strlen(csv_rows[0]));
    worker_query_free(q);
    assert_int_equal(fx->g.queries, 0);
    json_decref(saved);
    /* Worker 2's own query works, and is served to it. */
    check_rows(w2, ds, &sel, csv_rows, all, CSV_ROWS, "worker 2 all");
    worker_close(w);
    worker_close(w2);
}

static uint64_t answer_u64(const json_t *answer, size_t k, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(
        json_array_get(json_object_get(answer, "chunks"), k), key));
}

/* A saved answer taken up after its first skip chunks yields exactly the
 * rows of the rest and fetches only their objects; worker_query_chunks_done
 * grows only at the first row of a chunk, with every row before it from
 * the chunks it counts. */
static void test_load_from(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    struct worker *w = open_worker(fx, &fx->key, NULL);
    struct worker_select all = {.kind = WORKER_ALL, .to = CSV_ROWS};
    struct worker_select some = {.kind = WORKER_ROWS, .from = 4, .to = 8};
    const struct worker_select *sels[] = {&all, &some};
    struct worker_query *q = NULL;
    struct worker_refusal no;
    struct worker_row row;
    struct fault f;
    uint64_t skip, done, prev, want, lo;
    size_t n, k;
    json_t *saved;
    int r;

    for (k = 0; k < 2; k++) {
        assert_int_equal(worker_query(w, &q, &no, ds->id_text, sels[k], &f),
                         WORKER_RELEASED);
        saved = json_deep_copy(worker_query_release(q)->answer);
        n = worker_query_release(q)->nchunks;
        assert_true(n >= 2);
        worker_query_free(q);
        for (skip = 0; skip <= n; skip++) {
            fx->g.object_gets = 0;
            assert_int_equal(worker_query_load_from(w, &q, ds->id_text,
                                                    sels[k], saved, skip,
                                                    &f),
                             0);
            assert_int_equal(worker_query_chunks_done(q), skip);
            prev = skip;
            /* The rows asked for, from the first chunk not skipped. */
            want = skip < n ? answer_u64(saved, skip, "first_row")
                            : sels[k]->to;
            if (want < sels[k]->from)
                want = sels[k]->from;
            while ((r = worker_next(q, &row, &f)) == 1) {
                done = worker_query_chunks_done(q);
                assert_true(done >= prev && done < n);
                if (done > prev) {
                    /* The first row asked for of chunk `done`. */
                    lo = answer_u64(saved, done, "first_row");
                    assert_int_equal(row.chunk,
                                     answer_u64(saved, done, "index"));
                    assert_int_equal(row.number,
                                     lo > sels[k]->from ? lo
                                                        : sels[k]->from);
                }
                assert_int_equal(row.number, want);
                assert_memory_equal(row.data, csv_rows[row.number],
                                    strlen(csv_rows[row.number]));
                prev = done;
                want++;
            }
            assert_int_equal(r, 0);
            assert_int_equal(want, sels[k]->to);
            assert_int_equal(worker_query_chunks_done(q), n);
            assert_int_equal(fx->g.object_gets, n - skip);
            worker_query_free(q);
        }
        assert_int_equal(worker_query_load_from(w, &q, ds->id_text, sels[k],
                                                saved, n + 1, &f),
                         -1);
        assert_null(q);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "skip");
        json_decref(saved);
    }
    worker_close(w);
}

/* ---- whole chunks handed over as they open -------------------------- */

/* What worker_query_chunks handed over: each chunk's bytes at its off. */
struct handed {
    pthread_mutex_t mu;
    char *buf;            /* the whole output, at offs */
    size_t cap, len;
    unsigned calls[64];   /* by position */
    unsigned inside;      /* calls running now */
    uint64_t rows;
    int fail_pos;         /* this position's call fails; -1: none */
    unsigned spin_us;     /* each call waits this long */
};

static int hand_one(void *arg, const struct worker_chunk_out *c,
                    struct fault *f)
{
    struct handed *h = arg;
    int rv = 0;

    pthread_mutex_lock(&h->mu);
    h->inside++;
    pthread_mutex_unlock(&h->mu);
    if (h->spin_us > 0)
        usleep(h->spin_us * (unsigned)(1 + c->pos % 3));
    pthread_mutex_lock(&h->mu);
    assert_true(c->pos < 64);
    h->calls[c->pos]++;
    if ((int)c->pos == h->fail_pos) {
        fault_set(f, FAULT_IO, "-o", "the disk is full at %llu",
                  (unsigned long long)c->pos);
        rv = -1;
    } else {
        assert_true(c->off + c->len <= h->cap);
        memcpy(h->buf + c->off, c->data, c->len);
        if (c->off + c->len > h->len)
            h->len = (size_t)(c->off + c->len);
        h->rows += c->rows;
    }
    h->inside--;
    pthread_mutex_unlock(&h->mu);
    return rv;
}

static void handed_init(struct handed *h, size_t cap)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    h->buf = calloc(1, cap + 1);
    h->cap = cap;
    h->fail_pos = -1;
}

static void handed_free(struct handed *h)
{
    pthread_mutex_destroy(&h->mu);
    free(h->buf);
}

/* Every chunk of all or chunks, handed over once, at its place: the
 * output is what worker_next gives, for CSV, JSON Lines and a blob, from
 * the start or after a first chunk read with worker_next_run. */
static void test_query_chunks(void **state)
{
    struct fixture *fx = *state;
    struct worker *w = open_worker(fx, &fx->key, NULL);
    struct worker_select all = {.kind = WORKER_ALL};
    static const uint64_t some[] = {0, 2};
    struct worker_select chunks = {.kind = WORKER_CHUNKS, .chunks = some,
                                   .nchunks = 2};
    size_t sets[] = {fx->csv, fx->jsonl, fx->blob};
    const struct worker_select *sels[] = {&all, &chunks};
    struct worker_query *q = NULL;
    struct worker_refusal no;
    struct worker_row run_;
    struct worker_stats st;
    struct handed h;
    struct fault f;
    uint64_t rows, first;
    size_t i, k, len, pos;
    char *want;
    int first_read;

    for (i = 0; i < 3; i++)
        for (k = 0; k < 2; k++)
            for (first_read = 0; first_read < 2; first_read++) {
                struct fakegw_ds *ds = &fx->g.ds[sets[i]];
                want = run(w, ds, sels[k], &len, NULL, &f);
                assert_non_null(want);
                assert_int_equal(worker_query(w, &q, &no, ds->id_text,
                                              sels[k], &f),
                                 WORKER_RELEASED);
                handed_init(&h, len);
                first = 0;
                if (first_read) {
                    /* The first chunk in order, the rest handed over. */
                    assert_int_equal(worker_next_run(q, &run_, &rows, &f),
                                     1);
                    first = run_.len;
                    memcpy(h.buf, run_.data, run_.len);
                }
                h.spin_us = 300;
                if (worker_query_chunks(q, hand_one, &h, &f) != 0)
                    fail_msg("set %zu sel %zu: %s", i, k, f.detail);
                assert_int_equal(h.inside, 0);
                /* Places count from the first chunk handed over. */
                if (first_read && h.len > 0) {
                    memmove(h.buf + first, h.buf, h.len);
                    memcpy(h.buf, want, first);
                }
                assert_int_equal(first + h.len, len);
                assert_memory_equal(h.buf, want, len);
                for (pos = first_read ? 1 : 0;
                     pos < worker_query_release(q)->nchunks; pos++)
                    assert_int_equal(h.calls[pos], 1);
                if (first_read)
                    assert_int_equal(h.calls[0], 0);
                assert_int_equal(worker_query_chunks_done(q),
                                 worker_query_release(q)->nchunks);
                assert_int_equal(worker_next(q, &run_, &f), 0);
                worker_query_stats(q, &st);
                assert_int_equal(st.bytes_out, len);
                assert_int_equal(st.chunks,
                                 worker_query_release(q)->nchunks);
                worker_query_free(q);
                handed_free(&h);
                free(want);
            }
    worker_close(w);
}

/* Refused: a query of rows, a chunk read in part. A damaged object or a
 * failing call stops them with that fault, and no call outlives the
 * function. */
static void test_query_chunks_faults(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    struct worker *w = open_worker(fx, &fx->key, NULL);
    struct worker_select all = {.kind = WORKER_ALL};
    struct worker_select rows = {.kind = WORKER_ROWS, .from = 0, .to = 8};
    struct worker_query *q = NULL;
    struct worker_refusal no;
    struct worker_row row;
    struct handed h;
    struct fault f;

    handed_init(&h, 4096);
    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &rows, &f),
                     WORKER_RELEASED);
    assert_int_equal(worker_query_chunks(q, hand_one, &h, &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "select");
    worker_query_free(q);
    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &all, &f),
                     WORKER_RELEASED);
    assert_int_equal(worker_next(q, &row, &f), 1); /* one row of three */
    assert_int_equal(worker_query_chunks(q, hand_one, &h, &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_non_null(strstr(f.detail, "read in part"));
    worker_query_free(q);
    /* Chunk 1's object damaged. */
    fx->g.tamper = FAKEGW_OBJECT_BYTE;
    fx->g.tamper_chunk = 1;
    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &all, &f),
                     WORKER_RELEASED);
    assert_int_equal(worker_query_chunks(q, hand_one, &h, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_non_null(strstr(f.detail, "does not hash"));
    assert_int_equal(h.calls[1], 0);
    assert_int_equal(h.inside, 0);
    /* The query cannot go on. */
    assert_int_equal(worker_next(q, &row, &f), -1);
    worker_query_free(q);
    fx->g.tamper = FAKEGW_HONEST;
    /* The call for position 1 fails: that is the fault; calls that ran
     * at the same time are over when the function returns. */
    memset(h.calls, 0, sizeof h.calls);
    h.fail_pos = 1;
    h.spin_us = 2000;
    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &all, &f),
                     WORKER_RELEASED);
    assert_int_equal(worker_query_chunks(q, hand_one, &h, &f), -1);
    assert_int_equal(f.kind, FAULT_IO);
    assert_non_null(strstr(f.detail, "the disk is full at 1"));
    assert_int_equal(h.inside, 0);
    assert_int_equal(h.calls[1], 1);
    worker_query_free(q);
    handed_free(&h);
    worker_close(w);
}

/* ---- payment and quotes ----------------------------------------------- */

static void test_payment_and_quote(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    struct worker *w = open_worker(fx, &fx->key, NULL);
    struct worker *anon = open_worker(fx, NULL, NULL);
    struct worker_select sel = {.kind = WORKER_ALL};
    struct worker_query *q = NULL;
    struct worker_refusal no;
    char want[80];
    json_t *quote;
    struct fault f;

    fx->g.pay = 1;
    fx->g.retry_after = 3;
    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &sel, &f),
                     WORKER_PAYMENT_REQUIRED);
    assert_null(q);
    assert_int_equal(no.status, 402);
    assert_int_equal(no.retry_after, 3);
    assert_string_equal(no.balance, "0");
    snprintf(want, sizeof want, "%llu",
             (unsigned long long)(1 + 2 * ds->n));
    assert_string_equal(json_string_value(json_object_get(no.quote, "cost")),
                        want);
    assert_string_equal(
        json_string_value(json_object_get(no.payment, "function")),
        "purchase(bytes32,address,address,bytes32)");
    worker_refusal_clear(&no);
    /* Paid: the next call (a fresh nonce) is answered. */
    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &sel, &f),
                     WORKER_RELEASED);
    worker_query_free(q);
    /* max_cost below the cost: 409 with the quote; nothing charged. */
    sel.max_cost = "2";
    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &sel, &f),
                     WORKER_OVER_MAX_COST);
    assert_int_equal(no.status, 409);
    assert_null(no.payment);
    assert_non_null(no.quote);
    worker_refusal_clear(&no);
    sel.max_cost = NULL;
    /* Quotes: without a key unsigned, with one signed (balance, payment). */
    fx->g.unsigned_quotes = 0;
    assert_int_equal(worker_quote(anon, &quote, ds->id_text, &sel, 0, &f), 0);
    assert_string_equal(json_string_value(json_object_get(quote, "cost")),
                        want);
    assert_null(json_object_get(quote, "payment"));
    json_decref(quote);
    assert_int_equal(fx->g.unsigned_quotes, 1);
    assert_int_equal(worker_quote(w, &quote, ds->id_text, &sel, 1, &f), 0);
    assert_non_null(json_object_get(quote, "payment"));
    json_decref(quote);
    /* No key, no query. */
    assert_int_equal(worker_query(anon, &q, &no, ds->id_text, &sel, &f), -1);
    worker_close(w);
    worker_close(anon);
}

/* ---- the cache, other servers, parallel downloads ----------------------- */

static void test_cache_and_other_server(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    struct worker_select sel = {.kind = WORKER_ALL};
    static const int all[] = {0, 1, 2, 3, 4, 5, 6, 7};
    char cache[4300], path[4400];
    struct worker_stats st;
    struct worker *w;
    struct fault f;
    size_t len;
    char *got;

    snprintf(cache, sizeof cache, "%s/cache", fx->g.dir);
    w = open_worker(fx, &fx->key, cache);
    fx->g.object_gets = fx->g.other_gets = 0;
    fx->g.abs_url_chunk = 1;
    check_rows(w, ds, &sel, csv_rows, all, CSV_ROWS, "all, cached");
    assert_int_equal(fx->g.object_gets + fx->g.other_gets, ds->n);
    assert_int_equal(fx->g.other_gets, 1);
    assert_true(httpserve_max_open(fx->g.srv) >= 2);
    /* Again: every object from the cache, nothing fetched. */
    fx->g.object_gets = fx->g.other_gets = 0;
    got = run(w, ds, &sel, &len, &st, &f);
    assert_non_null(got);
    free(got);
    assert_int_equal(fx->g.object_gets + fx->g.other_gets, 0);
    assert_int_equal(st.objects_cached, ds->n);
    assert_int_equal(st.fetched_bytes, 0);
    /* A damaged cache file is fetched afresh. */
    assert_int_equal(wfetch_cache_path(path, sizeof path, cache,
                                       ds->chunks[0].object_id), 0);
    assert_int_equal(testutil_write_file(path, "junk", 4), 0);
    check_rows(w, ds, &sel, csv_rows, all, CSV_ROWS, "all, one refetched");
    assert_int_equal(fx->g.object_gets + fx->g.other_gets, 1);
    fx->g.abs_url_chunk = -1;
    worker_close(w);
}

/* ---- rows inside chunks ------------------------------------------------ */

static void test_wrows(void **state)
{
    static const struct {
        enum wrows_format fmt;
        const char *chunk;
        const char *rows[4]; /* each row's bytes */
        size_t content[4];
    } cases[] = {
        {WROWS_CSV, "a,b\nc,d", {"a,b\n", "c,d"}, {3, 3}},
        {WROWS_CSV, "a,b\r\n\r\n\nc,\"d\r\ne\"\r\n",
         {"a,b\r\n\r\n\n", "c,\"d\r\ne\"\r\n"}, {3, 8}},
        {WROWS_CSV, "\"x\"\"y\",1\n", {"\"x\"\"y\",1\n"}, {8}},
        {WROWS_CSV, "a\"b,c\n", {"a\"b,c\n"}, {5}},
        {WROWS_CSV, "x\r\ry\n", {"x\r\ry\n"}, {4}},
        {WROWS_JSONL, "{}\n \t\r\n{}", {"{}\n \t\r\n", "{}"}, {2, 2}},
        {WROWS_JSONL, " {\"a\":1}\r\n", {" {\"a\":1}\r\n"}, {8}},
    };
    static const char *const bad[] = {"\"abc\n", "\"a\"b\n", "\"a\"\rb"};
    struct wrows_row r;
    struct fault f;
    size_t i, k, pos;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t *b = (const uint8_t *)cases[i].chunk;
        size_t len = strlen(cases[i].chunk);
        pos = 0;
        for (k = 0; cases[i].rows[k] != NULL; k++) {
            assert_int_equal(wrows_next(&r, cases[i].fmt, b, len, pos, &f),
                             1);
            assert_int_equal(r.off, pos);
            assert_int_equal(r.len, strlen(cases[i].rows[k]));
            assert_memory_equal(b + r.off, cases[i].rows[k], r.len);
            assert_int_equal(r.content, cases[i].content[k]);
            pos = r.off + r.len;
        }
        assert_int_equal(pos, len);
        if (pos < len)
            assert_int_equal(wrows_next(&r, cases[i].fmt, b, len, pos, &f),
                             0);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(wrows_next(&r, WROWS_CSV, (const uint8_t *)bad[i],
                                    strlen(bad[i]), 0, &f),
                         -1);
        assert_int_equal(f.kind, FAULT_CORRUPT);
    }
    /* Numbers by exact value, text bytewise. */
    assert_true(wrows_compare_numbers("1e3", 3, "1000.0", 6) == 0);
    assert_true(wrows_compare_numbers("-0", 2, "0", 1) == 0);
    assert_true(wrows_compare_numbers("1e400", 5, "9e399", 5) > 0);
    assert_true(wrows_compare_numbers("-1e400", 6, "-9e399", 6) < 0);
    assert_true(wrows_compare_numbers("0.1", 3, "0.10000000000000001", 19) <
                0);
    assert_false(wrows_is_number("007", 3));
    assert_false(wrows_is_number("+5", 2));
    assert_false(wrows_is_number("NaN", 3));
    assert_true(wrows_is_number("-0.5e-7", 7));
    assert_true(wrows_compare_text((const uint8_t *)"ab", 2,
                                   (const uint8_t *)"abc", 3) < 0);
    assert_true(wrows_compare_text((const uint8_t *)"\xc3\xa9", 2,
                                   (const uint8_t *)"z", 1) > 0);
}

/* ---- the example program, and memory ------------------------------------ */

/* The folder of the build this binary belongs to ("build" or
 * "build/asan"): three levels above build/tests/unit/client/. */
static void build_dir(char *out, size_t cap)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    assert_true(n > 0);
    exe[n] = '\0';
    snprintf(out, cap, "%s/../../..", dirname(exe));
}

/* Run argv with stdout to out_path; return its exit status and its peak
 * RSS in KiB. */
static int spawn(char *const argv[], const char *out_path, long *maxrss_kb)
{
    struct rusage ru;
    int status = 0, fd;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    if (maxrss_kb != NULL)
        *maxrss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_example_program(void **state)
{
    struct fixture *fx = *state;
    struct fakegw_ds *ds = &fx->g.ds[fx->csv];
    char build[4200], exe[4300], out[4300], *want;
    static const int r26[] = {2, 3, 4, 5};
    uint8_t *got;
    size_t len;

    build_dir(build, sizeof build);
    snprintf(exe, sizeof exe, "%s/example_worker", build);
    snprintf(out, sizeof out, "%s/example.out", fx->g.dir);
    {
        char *argv[] = {exe, fx->g.url, fx->keyfile, ds->id_text, (char *)"rows",
                        (char *)"2", (char *)"6", NULL};
        assert_int_equal(spawn(argv, out, NULL), 0);
    }
    assert_int_equal(testutil_read_file(out, &got, &len), 0);
    want = expect_rows(csv_rows, r26, 4);
    assert_int_equal(len, strlen(csv_header) + strlen(want));
    assert_memory_equal(got, csv_header, strlen(csv_header));
    assert_memory_equal(got + strlen(csv_header), want, strlen(want));
    free(got);
    free(want);
    {
        char *argv[] = {exe, fx->g.url, fx->keyfile, ds->id_text, (char *)"where",
                        (char *)"temp>=1000", NULL};
        static const int w[] = {1, 5, 7};
        assert_int_equal(spawn(argv, out, NULL), 0);
        assert_int_equal(testutil_read_file(out, &got, &len), 0);
        want = expect_rows(csv_rows, w, 3);
        assert_int_equal(len, strlen(csv_header) + strlen(want));
        assert_memory_equal(got + strlen(csv_header), want, strlen(want));
        free(got);
        free(want);
    }
    /* 402: the quote and the payment on stdout, exit 3. */
    fx->g.pay = 1;
    {
        char *argv[] = {exe, fx->g.url, fx->keyfile, ds->id_text, (char *)"all",
                        NULL};
        assert_int_equal(spawn(argv, out, NULL), 3);
    }
    assert_int_equal(testutil_read_file(out, &got, &len), 0);
    assert_non_null(strstr((char *)got, "\"value_wei\""));
    free(got);
}

/* A generated sensor CSV, streamed into ingest and hashed as it goes. */
struct gen {
    uint64_t row, rows;
    char line[128];
    size_t line_len, line_pos;
    int header_done;
    EVP_MD_CTX *rows_hash; /* of every row's bytes, header excluded */
};

static int gen_read(void *arg, uint8_t *buf, size_t cap, size_t *got,
                    struct fault *f)
{
    struct gen *g = arg;
    size_t n = 0, k;

    (void)f;
    while (n < cap) {
        if (g->line_pos == g->line_len) {
            if (!g->header_done) {
                g->line_len = (size_t)snprintf(g->line, sizeof g->line,
                                               "ts,sensor,temp,status\n");
                g->header_done = 1;
            } else if (g->row < g->rows) {
                g->line_len = (size_t)snprintf(
                    g->line, sizeof g->line,
                    "%llu,sensor-%04llu,%llu.%02llu,%s\n",
                    (unsigned long long)(1700000000 + g->row),
                    (unsigned long long)(g->row % 97),
                    (unsigned long long)(15 + g->row % 20),
                    (unsigned long long)(g->row % 100),
                    g->row % 13 ? "ok" : "\"warn, check\"");
                EVP_DigestUpdate(g->rows_hash, g->line, g->line_len);
                g->row++;
            } else {
                break;
            }
            g->line_pos = 0;
        }
        k = g->line_len - g->line_pos;
        if (k > cap - n)
            k = cap - n;
        memcpy(buf + n, g->line + g->line_pos, k);
        g->line_pos += k;
        n += k;
    }
    *got = n;
    return 0;
}

/* Read "VmHWM:" or "VmRSS:" of /proc/self/status in KiB. */
static long proc_kb(const char *what)
{
    char line[256];
    long v = -1;
    FILE *fp = fopen("/proc/self/status", "r");

    assert_non_null(fp);
    while (fgets(line, sizeof line, fp) != NULL)
        if (strncmp(line, what, strlen(what)) == 0)
            v = strtol(line + strlen(what), NULL, 10);
    fclose(fp);
    return v;
}

static void test_memory_bounded(void **state)
{
    struct fixture *fx = *state;
    struct gen *g = calloc(1, sizeof *g);
    struct worker_select sel = {.kind = WORKER_ALL};
    struct worker_query *q = NULL;
    struct worker_refusal no;
    struct worker_row run_;
    struct worker_stats st;
    struct fakegw_ds *ds;
    uint8_t want[32], got[32];
    char build[4200], exe[4300], out[4300];
    uint64_t rows, total = 0, bytes = 0;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    struct worker *w;
    struct fault f;
    long base, peak, child_kb = 0;
    size_t slot;
    struct stat sb;
    int r, fd, reset = 0;

    /* ~64 MiB of rows in 1 MiB chunks. */
    g->rows = 2030000;
    g->rows_hash = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestInit_ex(g->rows_hash, EVP_sha256(), NULL), 1);
    slot = fakegw_ingest_fn(&fx->g, SPLITTER_CSV, (uint64_t)1 << 20, 0,
                            gen_read, g);
    assert_int_equal(EVP_DigestFinal_ex(g->rows_hash, want, NULL), 1);
    EVP_MD_CTX_free(g->rows_hash);
    ds = &fx->g.ds[slot];
    assert_true(ds->n >= 60);
    w = open_worker(fx, &fx->key, NULL);
    /* Peak RSS from here on (Linux: writing 5 to clear_refs resets it). */
    fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd >= 0) {
        reset = write(fd, "5", 1) == 1;
        close(fd);
    }
    base = proc_kb("VmRSS:");
    assert_int_equal(worker_query(w, &q, &no, ds->id_text, &sel, &f),
                     WORKER_RELEASED);
    assert_int_equal(EVP_DigestInit_ex(h, EVP_sha256(), NULL), 1);
    while ((r = worker_next_run(q, &run_, &rows, &f)) == 1) {
        EVP_DigestUpdate(h, run_.data, run_.len);
        total += rows;
        bytes += run_.len;
    }
    if (r < 0)
        fail_msg("%s", f.detail);
    assert_int_equal(EVP_DigestFinal_ex(h, got, NULL), 1);
    EVP_MD_CTX_free(h);
    assert_int_equal(total, g->rows);
    assert_memory_equal(got, want, 32);
    worker_query_stats(q, &st);
    assert_int_equal(st.rows_out, g->rows);
    assert_int_equal(st.chunks, ds->n);
    worker_query_free(q);
    peak = proc_kb("VmHWM:");
    fprintf(stderr,
            "memory: %llu bytes in %zu chunks read with RSS %ld KiB at the "
            "start and a peak of %ld KiB (+%ld KiB; the server's threads "
            "included)\n",
            (unsigned long long)bytes, ds->n, base, peak, peak - base);
    if (reset && RSS_CHECKED)
        assert_true(peak - base < 32 * 1024);
    /* The example program, a process of its own: its whole peak. */
    build_dir(build, sizeof build);
    snprintf(exe, sizeof exe, "%s/example_worker", build);
    snprintf(out, sizeof out, "%s/big.out", fx->g.dir);
    {
        char *argv[] = {exe, fx->g.url, fx->keyfile, ds->id_text, (char *)"all",
                        NULL};
        assert_int_equal(spawn(argv, out, &child_kb), 0);
    }
    assert_int_equal(stat(out, &sb), 0);
    assert_int_equal((uint64_t)sb.st_size,
                     bytes + strlen("ts,sensor,temp,status\n"));
    unlink(out);
    fprintf(stderr, "memory: example_worker all: peak RSS %ld KiB for %llu "
                    "bytes of rows\n",
            child_kb, (unsigned long long)bytes);
    if (RSS_CHECKED)
        assert_true(child_kb < 40 * 1024);
    /* sluice query --all, the CLI a user runs, with its progress, the
     * file written and renamed, the receipt kept. */
    snprintf(exe, sizeof exe, "%s/sluice", build);
    {
        char *argv[] = {exe, (char *)"--gateway", fx->g.url,
                        (char *)"--key", fx->keyfile, (char *)"query",
                        ds->id_text, (char *)"--all", (char *)"--no-cache",
                        (char *)"-o", out, NULL};
        char err[4400];
        int64_t t0 = progress_now_ms(), ms;
        snprintf(err, sizeof err, "%s/sluice.err", fx->g.dir);
        assert_int_equal(spawn(argv, err, &child_kb), 0);
        ms = progress_now_ms() - t0;
        assert_int_equal(stat(out, &sb), 0);
        assert_int_equal((uint64_t)sb.st_size,
                         bytes + strlen("ts,sensor,temp,status\n"));
        fprintf(stderr, "memory: sluice query --all: peak RSS %ld KiB, "
                        "%lld ms for %llu bytes of rows\n",
                child_kb, (long long)ms, (unsigned long long)bytes);
    }
    unlink(out);
    if (RSS_CHECKED)
        assert_true(child_kb < 40 * 1024);
    worker_close(w);
    free(g);
}

/* wrows_count_simple agrees with wrows_next wherever it answers: on
 * chunks built at random from the bytes that matter (line ends, quotes,
 * blanks) in every mix and length around the 16-byte blocks, and on the
 * edges by name. Where it says simple, walking the chunk row by row finds
 * as many rows, from byte 0 to the end, with the same first line end. */
static void test_wrows_count_simple(void **state)
{
    static const struct {
        enum wrows_format fmt;
        const char *chunk;
        int simple;
        uint64_t rows;
        size_t eol;
    } named[] = {
        {WROWS_CSV, "a\n", 1, 1, 1},       {WROWS_CSV, "a", 1, 1, 0},
        {WROWS_CSV, "a\r\nb", 1, 2, 2},    {WROWS_CSV, "\na", 0, 0, 0},
        {WROWS_CSV, "a\n\nb", 0, 0, 0},    {WROWS_CSV, "a\n b\n", 0, 0, 0},
        {WROWS_CSV, "a\"b\n", 0, 0, 0},    {WROWS_JSONL, "{\"a\":1}\n", 1, 1, 1},
        {WROWS_JSONL, "{}\n\t\n", 0, 0, 0}, {WROWS_CSV, "", 0, 0, 0},
        {WROWS_BLOB, "abc", 0, 0, 0},
        {WROWS_CSV, "0123456789abcde\n0123456789abcde\n\n", 0, 0, 0},
        {WROWS_CSV, "0123456789abcdef\r\n0123456789abcdef\r\n", 1, 2, 2},
    };
    static const char alphabet[] = "abc,1\n\n\r \t\"";
    uint8_t buf[300];
    uint64_t x = 0x9e3779b97f4a7c15ull, rows, walked;
    size_t i, k, len, eol, pos, first_eol;
    unsigned simple = 0, trials = 0;
    struct wrows_row r;
    struct fault f;
    int fmt_i;

    (void)state;
    for (i = 0; i < sizeof named / sizeof named[0]; i++) {
        int got = wrows_count_simple(named[i].fmt,
                                     (const uint8_t *)named[i].chunk,
                                     strlen(named[i].chunk), &rows, &eol);
        assert_int_equal(got, named[i].simple);
        if (got) {
            assert_int_equal(rows, named[i].rows);
            assert_int_equal(eol, named[i].eol);
        }
    }
    for (trials = 0; trials < 40000; trials++) {
        enum wrows_format fmt;
        /* Mostly letters, so that many chunks are simple. */
        unsigned rare = 1 + trials % 7;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        len = (size_t)(x % sizeof buf);
        fmt_i = (int)(x >> 40) & 1;
        fmt = fmt_i ? WROWS_JSONL : WROWS_CSV;
        for (k = 0; k < len; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[k] = (uint8_t)((x >> 8) % 64 < 64 - rare * 3
                                   ? alphabet[(x >> 20) % 3]
                                   : alphabet[(x >> 24) % (sizeof alphabet -
                                                          1)]);
        }
        if (!wrows_count_simple(fmt, buf, len, &rows, &eol))
            continue;
        simple++;
        pos = 0;
        walked = 0;
        first_eol = 99;
        while (pos < len) {
            int rc = wrows_next(&r, fmt, buf, len, pos, &f);
            assert_int_equal(rc, 1);
            assert_int_equal(r.off, pos);
            if (first_eol == 99)
                first_eol = r.eol;
            pos = r.off + r.len;
            walked++;
        }
        assert_int_equal(walked, rows);
        assert_int_equal(first_eol, eol);
    }
    assert_true(simple > 1000 && simple < trials);
    /* Long chunks, where the counts are folded every 255 blocks: lines of
     * every length from 1 to 40 bytes, LF or CRLF. */
    {
        size_t cap = 200000, n = 0, lines = 0;
        uint8_t *big = malloc(cap);
        assert_non_null(big);
        while (n + 42 < cap) {
            size_t w = 1 + lines % 40;
            memset(big + n, 'a' + (int)(lines % 26), w);
            n += w;
            if (lines % 3 == 0)
                big[n++] = '\r';
            big[n++] = '\n';
            lines++;
        }
        assert_int_equal(wrows_count_simple(WROWS_CSV, big, n, &rows, &eol),
                         1);
        assert_int_equal(rows, lines);
        assert_int_equal(eol, 2);
        /* Without the last line end: one more byte, the same rows. */
        big[n] = 'z';
        assert_int_equal(wrows_count_simple(WROWS_JSONL, big, n + 1, &rows,
                                            &eol),
                         1);
        assert_int_equal(rows, lines + 1);
        /* One blank line far in is seen. */
        big[150000] = '\n';
        big[150001] = '\n';
        assert_int_equal(wrows_count_simple(WROWS_CSV, big, n, &rows, &eol),
                         0);
        free(big);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cond_parse_and_body),
        cmocka_unit_test(test_wrows),
        cmocka_unit_test(test_wrows_count_simple),
        cmocka_unit_test_setup_teardown(test_csv_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_where, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_where, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_rows_all, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_csv_chunks_all, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_blob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_refusals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_from, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_chunks_faults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_worker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payment_and_quote, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cache_and_other_server, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_example_program, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_memory_bounded, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
