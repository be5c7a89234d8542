/* Unit tests for storage/catgen.c (the catalogue generation) and the
 * statement cache of storage/db.c: every write that a data-set's view is
 * made of moves the generation, on any connection and thread, at the
 * statement and again after its commit; other writes do not. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "storage/catgen.h"
#include "storage/db.h"
#include "pricing/ledger_sqlite.h"
#include "storage/store.h"
#include "tests/support/testutil.h"

struct fixture {
    char *dir;
    struct store *st;
    uint8_t id[CATALOG_ID_LEN];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct store_dataset_spec spec;
    struct fault f;

    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_CSV;
    spec.name = "gen";
    spec.zlib_level = -1;
    fx->dir = testutil_mkdtemp();
    if (store_open(&fx->st, NULL, fx->dir, &f) < 0 ||
        store_create_dataset(fx->st, fx->id, &spec, CATALOG_DRAFT, &f) < 0)
        return -1;
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

/* One write of each kind the view shows; each call writes a new value
 * (SQLite writes nothing for a row rewritten as it was, and then has
 * nothing to commit). */
static int write_seq;

static int write_price(struct store *st, const uint8_t *id, struct fault *f)
{
    return catalog_set_price(st, id, "{\"kind\":\"pass\"}",
                             (double)++write_seq, f);
}

static int write_listed(struct store *st, const uint8_t *id, struct fault *f)
{
    return catalog_set_listed(st, id, ++write_seq % 2, f);
}

static int write_state(struct store *st, const uint8_t *id, struct fault *f)
{
    return catalog_set_state(st, id,
                             ++write_seq % 2 ? CATALOG_FAILED : CATALOG_DRAFT,
                             "because", f);
}

static int write_progress(struct store *st, const uint8_t *id,
                          struct fault *f)
{
    return catalog_set_progress(st, id, (uint64_t)++write_seq, 1000, f);
}

static int write_meta(struct store *st, const uint8_t *id, struct fault *f)
{
    char a[] = "a", b[] = "b", d[16], l[] = "l";
    char *tags[] = {a, b};
    struct catalog_meta m;

    memset(&m, 0, sizeof m);
    snprintf(d, sizeof d, "d%d", ++write_seq);
    m.description = d;
    m.license = l;
    m.tags = tags;
    m.ntags = 2;
    m.listed = 1;
    return catalog_put_meta(st, id, &m, f);
}

static int write_finish(struct store *st, const uint8_t *id, struct fault *f)
{
    static const char *const names[] = {"x", "y"};
    static const enum splitter_coltype types[] = {SPLITTER_COL_NUMBER,
                                                  SPLITTER_COL_TEXT};
    struct catalog_summary s;

    memset(&s, 0, sizeof s);
    s.preview_json = "[]";
    s.ncols = 2;
    s.col_names = names;
    s.col_types = types;
    return catalog_finish(st, id, &s, ++write_seq, f);
}

static int write_clear(struct store *st, const uint8_t *id, struct fault *f)
{
    return catalog_clear_chunks(st, id, f);
}

static void test_each_view_write_moves(void **state)
{
    static const struct {
        const char *what;
        int (*write)(struct store *, const uint8_t *, struct fault *);
        int (*prepare)(struct store *, const uint8_t *, struct fault *);
    } cases[] = {
        {"price", write_price, NULL},
        {"listed", write_listed, NULL},
        {"state", write_state, NULL},
        {"progress", write_progress, NULL},
        {"meta and tags", write_meta, NULL},
        {"finish (columns)", write_finish, NULL},
        {"clear chunks", write_clear, write_finish},
    };
    struct fixture *fx = *state;
    struct fault f;
    uint64_t g;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        g = catgen_current();
        assert_int_equal(cases[i].write(fx->st, fx->id, &f), 0);
        if (catgen_current() == g)
            fail_msg("%s did not move the generation", cases[i].what);
        /* And inside a transaction: at the statement, then at COMMIT. */
        if (cases[i].prepare != NULL)
            assert_int_equal(cases[i].prepare(fx->st, fx->id, &f), 0);
        assert_int_equal(db_begin(fx->st->db, &f), 0);
        g = catgen_current();
        assert_int_equal(cases[i].write(fx->st, fx->id, &f), 0);
        assert_true(catgen_current() > g);
        g = catgen_current();
        assert_int_equal(db_commit(fx->st->db, &f), 0);
        if (catgen_current() == g)
            fail_msg("the commit of %s did not move the generation",
                     cases[i].what);
    }
}

static void test_rollback_moves(void **state)
{
    struct fixture *fx = *state;
    struct fault f;
    uint64_t g;

    assert_int_equal(db_begin(fx->st->db, &f), 0);
    assert_int_equal(write_price(fx->st, fx->id, &f), 0);
    g = catgen_current();
    db_rollback(fx->st->db);
    assert_true(catgen_current() > g);
}

static void test_other_writes_do_not_move(void **state)
{
    struct fixture *fx = *state;
    struct ledger_nonce r;
    struct ledger *l = NULL;
    char target[] = "/x";
    struct fault f;
    uint64_t g;

    assert_int_equal(ledger_sqlite_open(&l, fx->st, &f), 0);
    memset(&r, 0, sizeof r);
    strcpy(r.address, "0x0000000000000000000000000000000000000001");
    strcpy(r.nonce, "nonce-nonce-nonce-1");
    strcpy(r.method, "PUT");
    r.target = target;
    r.status = 200;
    g = catgen_current();
    assert_int_equal(ledger_begin(l, &f), 0);
    assert_int_equal(ledger_nonce_insert(l, &r, &f), 0);
    assert_int_equal(ledger_commit(l, &f), 0);
    assert_int_equal(catalog_meta_set(fx->st, "k", "v", &f), 0);
    assert_true(catgen_current() == g);
    ledger_close(l);
}

/* A write committed by another connection on another thread (as a
 * publish worker does) moves the generation after its commit. */
struct writer {
    struct store *st;
    const uint8_t *id;
    uint64_t after_write, after_commit;
    int rv;
};

static void *writer_run(void *arg)
{
    struct writer *w = arg;
    struct fault f;

    w->rv = -1;
    if (db_begin(w->st->db, &f) < 0 ||
        write_progress(w->st, w->id, &f) < 0)
        return NULL;
    w->after_write = catgen_current();
    if (db_commit(w->st->db, &f) < 0)
        return NULL;
    w->after_commit = catgen_current();
    w->rv = 0;
    return NULL;
}

static void test_other_thread_moves(void **state)
{
    struct fixture *fx = *state;
    struct writer w;
    pthread_t th;
    struct fault f;
    uint64_t g = catgen_current();

    memset(&w, 0, sizeof w);
    assert_int_equal(store_clone(&w.st, fx->st, &f), 0);
    w.id = fx->id;
    assert_int_equal(pthread_create(&th, NULL, writer_run, &w), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(w.rv, 0);
    assert_true(w.after_write > g);
    assert_true(w.after_commit > w.after_write);
    assert_true(catgen_current() >= w.after_commit);
    store_close(w.st);
}

/* The statement cache hands the same statement back once released, a
 * second one while the first is in use, and a reset one (no bindings, no
 * read left open). */
static void test_statement_cache(void **state)
{
    struct fixture *fx = *state;
    sqlite3_stmt *a = NULL, *b = NULL, *c = NULL;
    struct fault f;

    assert_int_equal(db_prepare(fx->st->db, &a, "SELECT ?1 + 1", &f), 0);
    sqlite3_bind_int(a, 1, 41);
    assert_int_equal(sqlite3_step(a), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(a, 0), 42);
    assert_int_equal(db_prepare(fx->st->db, &b, "SELECT ?1 + 1", &f), 0);
    assert_ptr_not_equal(a, b);
    db_release(a);
    assert_int_equal(db_prepare(fx->st->db, &c, "SELECT ?1 + 1", &f), 0);
    assert_ptr_equal(c, a);
    assert_int_equal(sqlite3_step(c), SQLITE_ROW);
    assert_int_equal(sqlite3_column_type(c, 0), SQLITE_NULL);
    db_release(c);
    db_release(b);
    db_release(NULL);
    assert_int_equal(db_prepare(fx->st->db, &a, "SELEC nothing", &f), -1);
    assert_null(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_each_view_write_moves, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rollback_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_writes_do_not_move, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_thread_moves, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_statement_cache, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
