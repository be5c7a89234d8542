/* Unit tests for storage/ingest.c, store.c, reader.c and fsck.c together:
 * a data dir driven in process, from bytes in to bytes out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "lib/hex.h"
#include "storage/db.h"
#include "storage/fsck.h"
#include "storage/ingest.h"
#include "storage/reader.h"
#include "storage/store.h"
#include "tests/support/testutil.h"

struct mem_src {
    const uint8_t *p;
    size_t len, pos, step;
};

static int mem_read(void *arg, uint8_t *buf, size_t cap, size_t *got,
                    struct fault *f)
{
    struct mem_src *m = arg;
    size_t n = m->len - m->pos;

    (void)f;
    if (n > cap)
        n = cap;
    if (m->step && n > m->step)
        n = m->step;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    *got = n;
    return 0;
}

struct mem_sink {
    uint8_t *p;
    size_t len;
};

static int mem_write(void *arg, const uint8_t *buf, size_t len,
                     struct fault *f)
{
    struct mem_sink *s = arg;

    (void)f;
    s->p = realloc(s->p, s->len + len + 1);
    memcpy(s->p + s->len, buf, len);
    s->len += len;
    return 0;
}

struct fixture {
    char *dir;
    char data[4200];
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct fault f;

    fx->dir = testutil_mkdtemp();
    snprintf(fx->data, sizeof fx->data, "%s/data", fx->dir);
    if (store_open(&fx->st, NULL, fx->data, &f) < 0) {
        fprintf(stderr, "store_open: %s\n", f.detail);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    store_close(fx->st);
    testutil_rmtree(fx->dir);
    free(fx);
    return 0;
}

static int ingest_bytes(struct store *st, uint8_t id[32],
                        struct ingest_result *res, enum splitter_format fmt,
                        uint64_t chunk_bytes, uint64_t chunk_rows,
                        unsigned threads, const void *data, size_t len,
                        struct fault *f)
{
    struct store_dataset_spec spec;
    struct ingest_options opt;
    struct mem_src src = {data, len, 0, 7777};

    memset(&spec, 0, sizeof spec);
    spec.format = fmt;
    spec.chunk_bytes = chunk_bytes;
    spec.chunk_rows = chunk_rows;
    spec.zlib_level = -1;
    spec.preview_rows = 3;
    memset(&opt, 0, sizeof opt);
    opt.threads = threads;
    opt.total_bytes = len;
    if (store_create_dataset(st, id, &spec, CATALOG_PUBLISHING, f) < 0)
        return -1;
    return ingest_run(st, res, id, mem_read, &src, &opt, f);
}

static void export_equals(struct store *st, const uint8_t id[32],
                          const void *data, size_t len)
{
    struct mem_sink sink = {NULL, 0};
    struct fault f;

    assert_int_equal(reader_export(st, id, mem_write, &sink, &f), 0);
    assert_int_equal(sink.len, len);
    if (len)
        assert_memory_equal(sink.p, data, len);
    free(sink.p);
}

/* A CSV of n sensor rows with quoted fields, CRLF and blank lines. */
static char *make_csv(size_t rows, size_t *len)
{
    size_t cap = 64 + rows * 96, n = 0, i;
    char *s = malloc(cap);

    n += (size_t)snprintf(s + n, cap - n, "\xef\xbb\xbfts,sensor,temp,note\r\n\r\n");
    for (i = 0; i < rows; i++)
        n += (size_t)snprintf(s + n, cap - n, "%zu,s-%zu,%zu.%zu,%s%s",
                              1700000000 + i, i % 7, 20 + i % 9, i % 10,
                              i % 5 ? "ok" : "\"multi\nline, \"\"quoted\"\"\"",
                              i % 3 ? "\n" : (i % 11 ? "\r\n" : "\n\n"));
    *len = n;
    return s;
}

static void test_round_trip_csv_threads(void **state)
{
    struct fixture *fx = *state;
    unsigned threads[] = {1, 2, 4};
    size_t len, i;
    char *csv = make_csv(5000, &len);
    struct ingest_result res;
    struct catalog_dataset d;
    uint8_t id[32];
    struct fault f;

    for (i = 0; i < sizeof threads / sizeof threads[0]; i++) {
        assert_int_equal(ingest_bytes(fx->st, id, &res, SPLITTER_CSV, 4096, 0,
                                      threads[i], csv, len, &f),
                         0);
        assert_int_equal(res.rows, 5000);
        assert_true(res.chunk_count > 20);
        assert_int_equal(res.input_bytes, len);
        assert_int_equal(catalog_get_dataset(fx->st, &d, id, &f), 0);
        assert_int_equal(d.state, CATALOG_PUBLISHED);
        assert_int_equal(d.rows, 5000);
        assert_int_equal(d.chunk_count, res.chunk_count);
        assert_memory_equal(d.content_root, res.content_root, 32);
        export_equals(fx->st, id, csv, len);
    }
    free(csv);
}

/* ingest_run_fd: a regular file is mapped and split in place, a pipe is
 * read; both give the data-set back byte for byte, with the same chunks. A
 * file whose size is a whole number of pages is mapped too (the splitter
 * reads a little past its end). */
static int ingest_fd(struct store *st, uint8_t id[32],
                     struct ingest_result *res, enum splitter_format fmt,
                     unsigned threads, int fd, struct fault *f)
{
    struct store_dataset_spec spec;
    struct ingest_options opt;

    memset(&spec, 0, sizeof spec);
    spec.format = fmt;
    spec.chunk_bytes = 4096;
    spec.zlib_level = -1;
    spec.preview_rows = 3;
    memset(&opt, 0, sizeof opt);
    opt.threads = threads;
    if (store_create_dataset(st, id, &spec, CATALOG_PUBLISHING, f) < 0)
        return -1;
    return ingest_run_fd(st, res, id, fd, &opt, f);
}

static void test_run_fd_mapped_and_piped(void **state)
{
    struct fixture *fx = *state;
    char path[4300];
    size_t len, i, k;
    char *csv = make_csv(3000, &len);
    struct ingest_result res, res2;
    uint8_t id[32];
    struct fault f;
    int fd, p[2];
    size_t cut[] = {len, 65536}; /* as made; a whole number of pages */

    assert_true(len > 65536);
    snprintf(path, sizeof path, "%s/in.csv", fx->dir);
    for (k = 0; k < 2; k++) {
        size_t n = cut[k];
        enum splitter_format fmt = k == 0 ? SPLITTER_CSV : SPLITTER_BLOB;
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(csv, 1, n, fp), n);
        assert_int_equal(fclose(fp), 0);
        for (i = 1; i <= 2; i++) {
            fd = open(path, O_RDONLY);
            assert_true(fd >= 0);
            assert_int_equal(ingest_fd(fx->st, id, &res, fmt, (unsigned)i,
                                       fd, &f), 0);
            close(fd);
            assert_int_equal(res.input_bytes, n);
            export_equals(fx->st, id, csv, n);

            /* The same bytes through a pipe. */
            assert_int_equal(pipe(p), 0);
            if (fork() == 0) {
                size_t off = 0;
                close(p[0]);
                while (off < n) {
                    ssize_t w = write(p[1], csv + off, n - off);
                    if (w <= 0)
                        _exit(1);
                    off += (size_t)w;
                }
                _exit(0);
            }
            close(p[1]);
            assert_int_equal(ingest_fd(fx->st, id, &res2, fmt, (unsigned)i,
                                       p[0], &f), 0);
            close(p[0]);
            wait(NULL);
            assert_int_equal(res2.input_bytes, n);
            assert_int_equal(res2.rows, res.rows);
            assert_int_equal(res2.chunk_count, res.chunk_count);
            assert_int_equal(res2.plain_bytes, res.plain_bytes);
            export_equals(fx->st, id, csv, n);
        }
    }
    free(csv);
}

struct rows_check {
    uint64_t next_row, next_index;
    EVP_MD_CTX *root;
};

static int check_chunk(void *arg, const struct catalog_chunk *c,
                       struct fault *f)
{
    struct rows_check *rc = arg;
    uint8_t digest[32];

    assert_int_equal(c->index, rc->next_index++);
    assert_true(c->has_rows);
    assert_int_equal(c->first_row, rc->next_row);
    assert_int_equal(c->rows, 3);
    rc->next_row += c->rows;
    assert_int_equal(hex_decode(digest, 32, c->object_id, 64, "id", f), 0);
    EVP_DigestUpdate(rc->root, digest, 32);
    return 0;
}

static void test_chunk_rows_and_content_root(void **state)
{
    struct fixture *fx = *state;
    const char jsonl[] = "{\"a\":1}\n{\"a\":2}\r\n{\"a\":3}\n\n{\"a\":4}\n"
                         "{\"a\":5}\n{\"a\":6}";
    struct rows_check rc = {0, 0, EVP_MD_CTX_new()};
    struct catalog_dataset d;
    struct ingest_result res;
    uint8_t id[32], root[32];
    struct fault f;

    assert_int_equal(ingest_bytes(fx->st, id, &res, SPLITTER_JSONL, 0, 3, 0,
                                  jsonl, sizeof jsonl - 1, &f),
                     0);
    assert_int_equal(res.chunk_count, 2);
    EVP_DigestInit_ex(rc.root, EVP_sha256(), NULL);
    assert_int_equal(catalog_each_chunk(fx->st, id, check_chunk, &rc, &f),
                     0);
    EVP_DigestFinal_ex(rc.root, root, NULL);
    EVP_MD_CTX_free(rc.root);
    assert_int_equal(catalog_get_dataset(fx->st, &d, id, &f), 0);
    assert_memory_equal(d.content_root, root, 32);
    export_equals(fx->st, id, jsonl, sizeof jsonl - 1);
}

static void test_blob_and_empty(void **state)
{
    struct fixture *fx = *state;
    static const size_t sizes[] = {0, 1, 999, 1000, 1001, 123457};
    uint64_t rng = 7;
    struct ingest_result res;
    uint8_t id[32];
    struct fault f;
    size_t i;

    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *blob = malloc(sizes[i] + 1);
        testutil_fill(blob, sizes[i], &rng);
        assert_int_equal(ingest_bytes(fx->st, id, &res, SPLITTER_BLOB, 1000, 0,
                                      2, blob, sizes[i], &f),
                         0);
        assert_int_equal(res.chunk_count, (sizes[i] + 999) / 1000);
        assert_int_equal(res.rows, 0);
        export_equals(fx->st, id, blob, sizes[i]);
        free(blob);
    }
    /* A CSV with only a header: no chunk, and still exports. */
    assert_int_equal(ingest_bytes(fx->st, id, &res, SPLITTER_CSV, 0, 0, 1,
                                  "a,b\r\n", 5, &f),
                     0);
    assert_int_equal(res.chunk_count, 0);
    export_equals(fx->st, id, "a,b\r\n", 5);
}

static int count_rows_sql(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int n;

    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Bad input far into the file: the data-set fails with the reason, and
 * nothing it wrote is left behind. */
static void test_failure_leaves_nothing(void **state)
{
    struct fixture *fx = *state;
    size_t len;
    char *csv = make_csv(3000, &len);
    struct catalog_dataset d;
    struct ingest_result res;
    char objects[4300];
    uint8_t id[32];
    struct fault f;

    csv = realloc(csv, len + 32);
    memcpy(csv + len, "1,2,\"unterminated\n", 18);
    len += 18;
    snprintf(objects, sizeof objects, "%s/objects", fx->data);
    assert_int_equal(ingest_bytes(fx->st, id, &res, SPLITTER_CSV, 1024, 0, 2,
                                  csv, len, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_int_equal(res.chunk_count, 0);
    assert_int_equal(catalog_get_dataset(fx->st, &d, id, &f), 0);
    assert_int_equal(d.state, CATALOG_FAILED);
    assert_true(strlen(d.reason) > 0);
    assert_int_equal(count_rows_sql(fx->st->db, "SELECT count(*) FROM chunks"),
                     0);
    assert_int_equal(
        count_rows_sql(fx->st->db, "SELECT count(*) FROM chunk_index"), 0);
    assert_int_equal(testutil_count_files(objects), 0);
    free(csv);
}

static void test_crash_repair_on_open(void **state)
{
    struct fixture *fx = *state;
    struct store_dataset_spec spec;
    struct store_recovery rec;
    struct catalog_dataset d;
    struct ingest_result res;
    char id_obj[OBJSTORE_ID_SIZE], tmp[4400], objects[4300];
    uint8_t kept[32], cut[32];
    struct fault f;

    /* One published data-set that must survive untouched. */
    assert_int_equal(ingest_bytes(fx->st, kept, &res, SPLITTER_CSV, 64, 0, 1,
                                  "x\n1\n2\n3\n4\n5\n6\n", 15, &f),
                     0);
    /* A data-set cut off mid-ingest: an object written, no row for it, and
     * a temporary file. */
    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_BLOB;
    spec.zlib_level = -1;
    assert_int_equal(store_create_dataset(fx->st, cut, &spec,
                                          CATALOG_PUBLISHING, &f),
                     0);
    assert_int_equal(objstore_put(fx->st->objects, id_obj,
                                  (const uint8_t *)"orphan", 6, &f),
                     0);
    snprintf(tmp, sizeof tmp, "%s/objects/tmp/%s.Xyz123", fx->data, id_obj);
    assert_int_equal(testutil_write_file(tmp, "par", 3), 0);
    store_close(fx->st);
    fx->st = NULL;

    assert_int_equal(store_open(&fx->st, &rec, fx->data, &f), 0);
    assert_int_equal(rec.interrupted, 1);
    assert_int_equal(rec.tmp_removed, 1);
    assert_int_equal(rec.orphans, 1);
    assert_int_equal(catalog_get_dataset(fx->st, &d, cut, &f), 0);
    assert_int_equal(d.state, CATALOG_FAILED);
    assert_string_equal(d.reason, "interrupted");
    export_equals(fx->st, kept, "x\n1\n2\n3\n4\n5\n6\n", 15);
    snprintf(objects, sizeof objects, "%s/objects", fx->data);
    assert_int_equal(testutil_count_files(objects), (long)res.chunk_count);
    /* A second open finds nothing more to do. */
    store_close(fx->st);
    assert_int_equal(store_open(&fx->st, &rec, fx->data, &f), 0);
    assert_int_equal(rec.interrupted + rec.orphans + (unsigned long)rec.tmp_removed,
                     0);
}

static void test_lock_excludes_second_process(void **state)
{
    struct fixture *fx = *state;
    struct store *other = (struct store *)1;
    struct fault f;

    assert_int_equal(store_open(&other, NULL, fx->data, &f), -1);
    assert_null(other);
    assert_int_equal(f.kind, FAULT_CONFLICT);
    assert_non_null(strstr(f.detail, "in use"));
}

static void test_tamper_detected_by_reader_and_fsck(void **state)
{
    struct fixture *fx = *state;
    struct ingest_result res;
    struct catalog_chunk c;
    struct fsck_report rep;
    char path[4400];
    uint8_t *obj, *plain;
    size_t len, plen;
    uint8_t id[32];
    struct fault f;

    static const char csv[] = "k,v\n1,a\n2,b\n3,c\n4,d\n5,e\n6,f\n7,g\n"
                              "8,h\n9,i\n10,j\n11,k\n12,l\n";

    assert_int_equal(ingest_bytes(fx->st, id, &res, SPLITTER_CSV, 16, 0, 1,
                                  csv, sizeof csv - 1, &f),
                     0);
    assert_int_equal(fsck_run(fx->st, &rep, NULL, NULL, &f), 0);
    assert_false(fsck_damaged(&rep));
    assert_int_equal(catalog_get_chunk(fx->st, &c, id, 0, &f), 0);
    assert_int_equal(objstore_path(fx->st->objects, path, sizeof path,
                                   c.object_id),
                     0);
    assert_int_equal(testutil_read_file(path, &obj, &len), 0);
    obj[len / 2] ^= 0x10;
    assert_int_equal(testutil_write_file(path, obj, len), 0);
    assert_int_equal(reader_chunk(fx->st, &plain, &plen, id, 0, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_int_equal(reader_chunk(fx->st, &plain, &plen, id, 1, &f), 0);
    free(plain);
    assert_int_equal(fsck_run(fx->st, &rep, NULL, NULL, &f), 0);
    assert_int_equal(rep.damaged, 1);
    assert_true(fsck_damaged(&rep));
    free(obj);
}

static void test_newer_schema_refused(void **state)
{
    struct fixture *fx = *state;
    char path[4400];
    sqlite3 *db;
    struct fault f;

    store_close(fx->st);
    fx->st = NULL;
    snprintf(path, sizeof path, "%s/sluice.db", fx->data);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL,
                                  NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(&fx->st, NULL, fx->data, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_non_null(strstr(f.detail, "newer sluiced"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_csv_threads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_fd_mapped_and_piped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_chunk_rows_and_content_root,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_crash_repair_on_open, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lock_excludes_second_process,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_detected_by_reader_and_fsck,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
