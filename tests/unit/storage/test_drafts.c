/* Unit tests for storage/drafts.c: which data-sets expire and when, what
 * goes with them, the bound on one call, and what an owner holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/hex.h"
#include "storage/db.h"
#include "storage/drafts.h"
#include "storage/parts.h"
#include "storage/store.h"
#include "tests/support/testutil.h"

#define OWNER_A "0x00000000000000000000000000000000000000Aa"
#define OWNER_B "0x00000000000000000000000000000000000000Bb"

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

static void make(struct fixture *fx, uint8_t id[CATALOG_ID_LEN],
                 const char *owner, enum catalog_state state)
{
    struct store_dataset_spec spec;
    struct fault f;

    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_BLOB;
    spec.name = "t";
    spec.owner = owner;
    spec.zlib_level = -1;
    if (store_create_dataset(fx->st, id, &spec, state, &f) < 0)
        fail_msg("create: %s", f.detail);
}

static void part(struct fixture *fx, const uint8_t id[CATALOG_ID_LEN],
                 uint64_t n, const char *text, int64_t at)
{
    struct parts_entry e;
    struct fault f;

    memset(&e, 0, sizeof e);
    e.n = n;
    e.bytes = strlen(text);
    e.received_at = at;
    if (parts_write_file(fx->st, e.sha256, id, (const uint8_t *)text,
                         strlen(text), &f) < 0 ||
        parts_record(fx->st, id, &e, &f) < 0)
        fail_msg("part: %s", f.detail);
}

/* Set the times that make a data-set's activity. */
static void times(struct fixture *fx, const uint8_t id[CATALOG_ID_LEN],
                  int64_t created, int64_t touched)
{
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_prepare_v2(fx->st->db,
                                        "UPDATE datasets SET created_at = ?2, "
                                        "touched_at = ?3 WHERE id = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, created);
    if (touched > 0)
        sqlite3_bind_int64(st, 3, touched);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

static int exists(struct fixture *fx, const uint8_t id[CATALOG_ID_LEN])
{
    struct catalog_dataset d;
    struct fault f;

    return catalog_get_dataset(fx->st, &d, id, &f) == 0;
}

static int has_folder(struct fixture *fx, const uint8_t id[CATALOG_ID_LEN])
{
    char hex[2 * CATALOG_ID_LEN + 1], path[4500];
    struct stat sb;

    assert_int_equal(hex_encode(hex, sizeof hex, id, CATALOG_ID_LEN), 0);
    snprintf(path, sizeof path, "%s/uploads/%s", fx->data, hex);
    return stat(path, &sb) == 0;
}

/* The last activity decides, whichever of the three it is, and only the
 * states that can expire do. */
static void test_expire_which(void **state)
{
    struct fixture *fx = *state;
    uint8_t old_draft[32], old_upl[32], old_failed[32], publishing[32],
        published[32], new_part[32], new_touch[32], fresh[32], edge[32];
    const int64_t now = 1000000, ttl = 100;
    unsigned long n = 99;
    struct fault f;
    int more = 9;

    make(fx, old_draft, OWNER_A, CATALOG_DRAFT);
    times(fx, old_draft, now - 500, 0);
    make(fx, old_upl, OWNER_A, CATALOG_UPLOADING);
    times(fx, old_upl, now - 500, now - 400);
    part(fx, old_upl, 1, "one", now - 300);
    part(fx, old_upl, 2, "two", now - 101);
    make(fx, old_failed, OWNER_B, CATALOG_FAILED);
    times(fx, old_failed, now - 500, now - 200);
    part(fx, old_failed, 1, "f", now - 400);
    make(fx, publishing, OWNER_A, CATALOG_PUBLISHING);
    times(fx, publishing, now - 500, now - 500);
    make(fx, published, OWNER_A, CATALOG_PUBLISHED);
    times(fx, published, now - 500, now - 500);
    make(fx, new_part, OWNER_A, CATALOG_UPLOADING);
    times(fx, new_part, now - 500, now - 500);
    part(fx, new_part, 1, "recent", now - 10);
    make(fx, new_touch, OWNER_B, CATALOG_FAILED);
    times(fx, new_touch, now - 500, now - 5);
    make(fx, fresh, OWNER_B, CATALOG_DRAFT);
    times(fx, fresh, now - 1, 0);
    make(fx, edge, OWNER_B, CATALOG_DRAFT);
    times(fx, edge, now - ttl, 0); /* exactly ttl old: not yet */

    assert_int_equal(drafts_expire(fx->st, &n, &more, now, (uint64_t)ttl, &f),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(more, 0);
    assert_false(exists(fx, old_draft));
    assert_false(exists(fx, old_upl));
    assert_false(exists(fx, old_failed));
    assert_false(has_folder(fx, old_upl));
    assert_false(has_folder(fx, old_failed));
    assert_true(exists(fx, publishing));
    assert_true(exists(fx, published));
    assert_true(exists(fx, new_part));
    assert_true(has_folder(fx, new_part));
    assert_true(exists(fx, new_touch));
    assert_true(exists(fx, fresh));
    assert_true(exists(fx, edge));
    /* Their parts went with them (foreign keys). */
    {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(fx->st->db,
                                            "SELECT count(*) FROM "
                                            "dataset_parts",
                                            -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 1); /* new_part's */
        sqlite3_finalize(st);
    }
    /* A second later the edge one is due; nothing else changes. */
    assert_int_equal(drafts_expire(fx->st, &n, NULL, now + 1, (uint64_t)ttl,
                                   &f), 0);
    assert_int_equal(n, 1);
    assert_false(exists(fx, edge));
    /* A ttl longer than all time: nothing. */
    assert_int_equal(drafts_expire(fx->st, &n, NULL, now, UINT64_MAX, &f), 0);
    assert_int_equal(n, 0);
}

/* A write in flight keeps its data-set; an open transaction makes the
 * call do nothing; a call deletes at most a batch. */
static void test_expire_guards(void **state)
{
    struct fixture *fx = *state;
    uint8_t busy[32], ids[DRAFTS_EXPIRE_BATCH + 6][32], sha[32];
    const int64_t now = 2000000;
    unsigned long n;
    struct fault f;
    int more;
    size_t i;

    make(fx, busy, OWNER_A, CATALOG_UPLOADING);
    times(fx, busy, now - 1000, 0);
    memset(sha, 7, sizeof sha);
    assert_int_equal(parts_pending_add(fx->st, busy, sha, &f), 0);
    assert_int_equal(db_begin(fx->st->db, &f), 0);
    assert_int_equal(drafts_expire(fx->st, &n, &more, now, 10, &f), 0);
    assert_int_equal(n, 0);
    db_rollback(fx->st->db);
    assert_int_equal(drafts_expire(fx->st, &n, &more, now, 10, &f), 0);
    assert_int_equal(n, 0);
    assert_true(exists(fx, busy));
    parts_pending_remove(fx->st, busy, sha);
    for (i = 0; i < DRAFTS_EXPIRE_BATCH + 6; i++) {
        make(fx, ids[i], i % 2 ? OWNER_A : OWNER_B, CATALOG_DRAFT);
        times(fx, ids[i], now - 500 - (int64_t)i, 0);
    }
    assert_int_equal(drafts_expire(fx->st, &n, &more, now, 10, &f), 0);
    assert_int_equal(n, DRAFTS_EXPIRE_BATCH);
    assert_int_equal(more, 1);
    /* Oldest first: the last made (oldest activity) are gone. */
    assert_false(exists(fx, ids[DRAFTS_EXPIRE_BATCH + 5]));
    assert_int_equal(drafts_expire(fx->st, &n, &more, now, 10, &f), 0);
    assert_int_equal(n, 7); /* 6 left, and busy */
    assert_int_equal(more, 0);
    assert_false(exists(fx, busy));
}

static void test_usage(void **state)
{
    struct fixture *fx = *state;
    uint8_t a1[32], a2[32], a3[32], a4[32], b1[32];
    struct drafts_usage u;
    struct fault f;

    assert_int_equal(drafts_usage(fx->st, &u, OWNER_A, NULL, 0, &f), 0);
    assert_int_equal(u.drafts, 0);
    assert_int_equal(u.bytes, 0);
    assert_int_equal(u.oldest_activity, 0);
    make(fx, a1, OWNER_A, CATALOG_UPLOADING);
    times(fx, a1, 500, 0);
    part(fx, a1, 1, "12345", 700);
    part(fx, a1, 2, "123", 800);
    make(fx, a2, OWNER_A, CATALOG_FAILED);
    times(fx, a2, 400, 600);
    part(fx, a2, 1, "1234567", 450);
    make(fx, a3, OWNER_A, CATALOG_PUBLISHED);
    part(fx, a3, 1, "published bytes do not count", 1);
    make(fx, a4, OWNER_A, CATALOG_PUBLISHING);
    times(fx, a4, 100, 100); /* cannot expire: not the oldest activity */
    part(fx, a4, 1, "12", 100);
    make(fx, b1, OWNER_B, CATALOG_DRAFT);
    part(fx, b1, 1, "b's", 1);
    assert_int_equal(drafts_usage(fx->st, &u, OWNER_A, NULL, 0, &f), 0);
    assert_int_equal(u.drafts, 3);
    assert_int_equal(u.bytes, 5 + 3 + 7 + 2);
    assert_int_equal(u.oldest_activity, 600);
    /* The part a write would replace is left out. */
    assert_int_equal(drafts_usage(fx->st, &u, OWNER_A, a1, 1, &f), 0);
    assert_int_equal(u.bytes, 3 + 7 + 2);
    assert_int_equal(drafts_usage(fx->st, &u, OWNER_A, a1, 9, &f), 0);
    assert_int_equal(u.bytes, 5 + 3 + 7 + 2);
    assert_int_equal(drafts_usage(fx->st, &u, OWNER_B, NULL, 0, &f), 0);
    assert_int_equal(u.drafts, 1);
    assert_int_equal(u.bytes, 3);
    /* Addresses compare as stored (EIP-55 text). */
    assert_int_equal(drafts_usage(fx->st, &u, "0xnobody", NULL, 0, &f), 0);
    assert_int_equal(u.drafts, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_expire_which, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expire_guards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
