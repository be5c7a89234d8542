/* Unit tests for storage/parts.c: the recorded list of a publish, the
 * check of a stream against it, pending writes, dropping a replaced
 * part's file, and the clean-up at start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/hex.h"
#include "storage/db.h"
#include "storage/parts.h"
#include "storage/store.h"
#include "tests/support/testutil.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))

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

static void sha256(uint8_t out[32], const void *p, size_t n)
{
    unsigned int len = 0;

    assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL), 1);
}

static void new_dataset(struct fixture *fx, uint8_t id[CATALOG_ID_LEN],
                        enum catalog_state state)
{
    struct store_dataset_spec spec;
    struct fault f;

    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_BLOB;
    spec.name = "t";
    spec.owner = "0x0000000000000000000000000000000000000001";
    spec.zlib_level = -1;
    if (store_create_dataset(fx->st, id, &spec, state, &f) < 0)
        fail_msg("create: %s", f.detail);
}

/* Write part n of id with text, record it, and return its entry. */
static struct parts_entry put_part(struct fixture *fx,
                                   const uint8_t id[CATALOG_ID_LEN],
                                   uint64_t n, const char *text)
{
    struct parts_entry e;
    struct fault f;

    memset(&e, 0, sizeof e);
    e.n = n;
    e.bytes = strlen(text);
    if (parts_write_file(fx->st, e.sha256, id, (const uint8_t *)text,
                         strlen(text), &f) < 0 ||
        parts_record(fx->st, id, &e, &f) < 0)
        fail_msg("put part %llu: %s", (unsigned long long)n, f.detail);
    return e;
}

static void folder_of(struct fixture *fx, char *out, size_t cap,
                      const uint8_t id[CATALOG_ID_LEN])
{
    char hex[2 * CATALOG_ID_LEN + 1];

    assert_int_equal(hex_encode(hex, sizeof hex, id, CATALOG_ID_LEN), 0);
    snprintf(out, cap, "%s/uploads/%s", fx->data, hex);
}

static int file_exists(struct fixture *fx, const uint8_t id[CATALOG_ID_LEN],
                       const uint8_t sha[32])
{
    char folder[4400], path[4600], hex[65];
    struct stat sb;

    folder_of(fx, folder, sizeof folder, id);
    assert_int_equal(hex_encode(hex, sizeof hex, sha, 32), 0);
    snprintf(path, sizeof path, "%s/%s", folder, hex);
    return stat(path, &sb) == 0;
}

static long files_in(struct fixture *fx, const uint8_t id[CATALOG_ID_LEN])
{
    char folder[4400];
    struct stat sb;

    folder_of(fx, folder, sizeof folder, id);
    if (stat(folder, &sb) != 0)
        return -1; /* no folder */
    return testutil_count_files(folder);
}

/* --- parts_stream: content split at the recorded sizes --- */

struct stream_case {
    const char *parts[5];  /* the recorded parts' bytes; NULL ends */
    const char *content;   /* what is fed */
    int ok;
    uint64_t bad;          /* the part named when not ok */
    const char *why_has;
};

static const struct stream_case stream_cases[] = {
    {{"abc", "def", NULL}, "abcdef", 1, 0, NULL},
    {{"", "abc", "", "", "d"}, "abcd", 1, 0, NULL},
    {{"", NULL}, "", 1, 0, NULL},
    {{NULL}, "", 1, 0, NULL},
    {{NULL}, "x", 0, 0, "past the last part"},
    {{"abc", "def", NULL}, "abcdeg", 0, 2, "do not hash"},
    {{"abc", "def", NULL}, "abXdef", 0, 1, "do not hash"},
    {{"abc", "def", NULL}, "abcde", 0, 2, "ends inside it"},
    {{"abc", "def", NULL}, "abcdefg", 0, 2, "past the last part"},
    {{"abc", "", NULL}, "abc", 1, 0, NULL},
    {{"abc", "", "x", NULL}, "abc", 0, 3, "ends inside it"},
    /* Sizes moved between parts, the total the same. */
    {{"ab", "cdef", NULL}, "abcdef", 1, 0, NULL},
    {{"abc", "def", "ghi", NULL}, "abcdefghi", 1, 0, NULL},
};

static void test_stream_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(stream_cases); i++) {
        const struct stream_case *c = &stream_cases[i];
        struct parts_entry e[5];
        struct parts_stream *s = NULL;
        struct fault f;
        size_t n = 0, len = strlen(c->content), step;
        char why[96];
        uint64_t bad = 99;
        int rc;

        memset(e, 0, sizeof e);
        for (n = 0; n < 5 && c->parts[n] != NULL; n++) {
            e[n].n = n + 1;
            e[n].bytes = strlen(c->parts[n]);
            sha256(e[n].sha256, c->parts[n], e[n].bytes);
        }
        /* Fed whole, byte by byte, and in pieces of 2: the same verdict. */
        for (step = 0; step <= 2; step++) {
            assert_int_equal(parts_stream_open(&s, e, n, &f), 0);
            if (step == 0) {
                parts_stream_feed(s, (const uint8_t *)c->content, len);
            } else {
                for (size_t o = 0; o < len; o += step)
                    parts_stream_feed(s, (const uint8_t *)c->content + o,
                                      o + step <= len ? step : len - o);
            }
            rc = parts_stream_end(s, &bad, why, sizeof why);
            parts_stream_free(s);
            if (c->ok && rc != 0)
                fail_msg("stream case %zu (step %zu): refused part %llu: %s",
                         i, step, (unsigned long long)bad, why);
            if (!c->ok) {
                if (rc != 1)
                    fail_msg("stream case %zu (step %zu) passed", i, step);
                if (bad != c->bad || strstr(why, c->why_has) == NULL)
                    fail_msg("stream case %zu (step %zu): part %llu (%s), "
                             "want %llu (%s)", i, step,
                             (unsigned long long)bad, why,
                             (unsigned long long)c->bad, c->why_has);
            }
        }
    }
    parts_stream_free(NULL);
}

/* --- the recorded list --- */

static void test_record_published(void **state)
{
    struct fixture *fx = *state;
    uint8_t id[CATALOG_ID_LEN];
    struct parts_entry *out = NULL, one, e[3];
    size_t n = 9;
    struct fault f;
    int found = 9;

    new_dataset(fx, id, CATALOG_DRAFT);
    assert_int_equal(parts_list_published(fx->st, &out, &n, id, &f), 0);
    assert_int_equal(n, 0);
    free(out);
    e[0] = put_part(fx, id, 1, "one");
    e[1] = put_part(fx, id, 2, "two");
    e[2] = put_part(fx, id, 3, "three");
    assert_int_equal(parts_get(fx->st, &one, &found, id, 2, &f), 0);
    assert_int_equal(found, 1);
    assert_int_equal(one.bytes, 3);
    assert_memory_equal(one.sha256, e[1].sha256, 32);
    assert_int_equal(parts_get(fx->st, &one, &found, id, 4, &f), 0);
    assert_int_equal(found, 0);
    assert_int_equal(one.bytes, 0);
    assert_int_equal(parts_record_published(fx->st, id, e, 3, &f), 0);
    /* The rows change later; the recorded list does not. */
    put_part(fx, id, 2, "changed");
    assert_int_equal(parts_list_published(fx->st, &out, &n, id, &f), 0);
    assert_int_equal(n, 3);
    assert_int_equal(out[1].bytes, 3);
    assert_memory_equal(out[1].sha256, e[1].sha256, 32);
    free(out);
    /* A new publish replaces the whole list. */
    assert_int_equal(parts_record_published(fx->st, id, e, 1, &f), 0);
    assert_int_equal(parts_list_published(fx->st, &out, &n, id, &f), 0);
    assert_int_equal(n, 1);
    free(out);
}

/* --- pending writes and dropping files --- */

static void test_drop_file(void **state)
{
    struct fixture *fx = *state;
    uint8_t id[CATALOG_ID_LEN], other[CATALOG_ID_LEN], x[32];
    struct parts_entry a, b, c;
    struct fault f;

    new_dataset(fx, id, CATALOG_UPLOADING);
    new_dataset(fx, other, CATALOG_UPLOADING);
    a = put_part(fx, id, 1, "shared");
    b = put_part(fx, id, 2, "shared");
    c = put_part(fx, id, 3, "own");
    put_part(fx, other, 1, "own");
    assert_int_equal(files_in(fx, id), 2);
    /* Named by a row: kept. */
    assert_int_equal(parts_drop_file(fx->st, id, a.sha256, &f), 0);
    assert_true(file_exists(fx, id, a.sha256));
    /* Part 1 replaced: part 2 still names the shared file. */
    put_part(fx, id, 1, "new");
    assert_int_equal(parts_drop_file(fx->st, id, a.sha256, &f), 0);
    assert_true(file_exists(fx, id, b.sha256));
    /* Part 2 replaced too: the shared file goes. */
    put_part(fx, id, 2, "newer");
    assert_int_equal(parts_drop_file(fx->st, id, b.sha256, &f), 0);
    assert_false(file_exists(fx, id, b.sha256));
    /* A pending write of the same bytes keeps a file no row names. */
    sha256(x, "pending", 7);
    assert_int_equal(parts_pending_add(fx->st, id, x, &f), 0);
    assert_int_equal(parts_pending_add(fx->st, id, x, &f), 0);
    assert_true(parts_dataset_busy(fx->st, id));
    assert_false(parts_dataset_busy(fx->st, other));
    assert_int_equal(parts_write_file(fx->st, x, id,
                                      (const uint8_t *)"pending", 7, &f), 0);
    assert_int_equal(parts_drop_file(fx->st, id, x, &f), 0);
    assert_true(file_exists(fx, id, x));
    parts_pending_remove(fx->st, id, x);
    assert_int_equal(parts_drop_file(fx->st, id, x, &f), 0);
    assert_true(file_exists(fx, id, x)); /* still one write pending */
    parts_pending_remove(fx->st, id, x);
    assert_false(parts_dataset_busy(fx->st, id));
    assert_int_equal(parts_drop_file(fx->st, id, x, &f), 0);
    assert_false(file_exists(fx, id, x));
    /* Dropping a file that is not there is no error; another data-set's
     * file of the same bytes is its own. */
    assert_int_equal(parts_drop_file(fx->st, id, x, &f), 0);
    assert_true(file_exists(fx, other, c.sha256));
    /* Once published, rows do not keep files: the last one takes the
     * folder with it. */
    assert_int_equal(catalog_set_state(fx->st, id, CATALOG_PUBLISHED,
                                       NULL, &f), 0);
    put_part(fx, id, 3, "own"); /* the file is there again */
    {
        struct parts_entry *e = NULL;
        size_t n = 0;
        assert_int_equal(parts_list(fx->st, &e, &n, id, &f), 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(parts_drop_file(fx->st, id, e[i].sha256, &f), 0);
        free(e);
    }
    assert_int_equal(files_in(fx, id), -1);
    assert_int_equal(files_in(fx, other), 1);
}

/* --- parts_recover: what the start removes --- */

static void put_raw(struct fixture *fx, const char *rel, const char *text)
{
    char path[4600], dir[4600], *slash;

    snprintf(path, sizeof path, "%s/uploads/%s", fx->data, rel);
    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    *slash = '\0';
    mkdir(dir, 0700);
    assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
}

static void test_recover(void **state)
{
    struct fixture *fx = *state;
    uint8_t draft[CATALOG_ID_LEN], pub[CATALOG_ID_LEN], failed[CATALOG_ID_LEN];
    char hex[2 * CATALOG_ID_LEN + 1], rel[300], up[4400];
    struct parts_entry a, b, c;
    struct parts_recovery rec;
    struct fault f;

    assert_int_equal(parts_recover(fx->st, &rec, &f), 0); /* no uploads/ */
    assert_int_equal(rec.files + rec.folders, 0);
    new_dataset(fx, draft, CATALOG_UPLOADING);
    new_dataset(fx, pub, CATALOG_UPLOADING);
    new_dataset(fx, failed, CATALOG_FAILED);
    a = put_part(fx, draft, 1, "a");
    b = put_part(fx, draft, 2, "a");
    put_part(fx, pub, 1, "p");
    c = put_part(fx, failed, 1, "f");
    assert_int_equal(catalog_set_state(fx->st, pub, CATALOG_PUBLISHED,
                                       NULL, &f), 0);
    assert_int_equal(hex_encode(hex, sizeof hex, draft, sizeof draft), 0);
    /* A cut-off write, a replaced part, junk; in the draft's folder. */
    snprintf(rel, sizeof rel, "%s/%064d.Ab12Cd", hex, 0);
    put_raw(fx, rel, "partial");
    snprintf(rel, sizeof rel, "%s/%064d", hex, 7);
    put_raw(fx, rel, "replaced");
    snprintf(rel, sizeof rel, "%s/junk", hex);
    put_raw(fx, rel, "junk");
    /* A folder of a data-set that is gone, uppercase hex, a stray file. */
    snprintf(rel, sizeof rel, "%064d/x", 5);
    put_raw(fx, rel, "gone");
    put_raw(fx, "stray", "stray");
    assert_int_equal(parts_recover(fx->st, &rec, &f), 0);
    assert_int_equal(rec.files, 3 + 1 + 1 + 1); /* draft 3, pub 1, gone 1,
                                                   stray 1 */
    assert_int_equal(rec.folders, 2);           /* pub, gone */
    assert_int_equal(files_in(fx, draft), 1);   /* a and b share a file */
    assert_true(file_exists(fx, draft, a.sha256));
    assert_true(file_exists(fx, draft, b.sha256));
    assert_int_equal(files_in(fx, pub), -1);
    assert_true(file_exists(fx, failed, c.sha256));
    snprintf(up, sizeof up, "%s/uploads", fx->data);
    /* What is left: the two folders of data-sets being made. */
    {
        DIR *d = opendir(up);
        struct dirent *de;
        int n = 0;
        assert_non_null(d);
        while ((de = readdir(d)) != NULL)
            if (de->d_name[0] != '.')
                n++;
        closedir(d);
        assert_int_equal(n, 2);
    }
    /* Again: nothing more to do. */
    assert_int_equal(parts_recover(fx->st, &rec, &f), 0);
    assert_int_equal(rec.files + rec.folders, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_table),
        cmocka_unit_test_setup_teardown(test_record_published, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_drop_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
