/* Unit tests for storage/objstore.c: content addressing, durability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "storage/objstore.h"
#include "tests/support/testutil.h"

struct fixture {
    char *dir;
    struct objstore *s;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    char root[4096];
    struct fault f;

    fx->dir = testutil_mkdtemp();
    snprintf(root, sizeof root, "%s/objects", fx->dir);
    if (objstore_open(&fx->s, root, &f) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    objstore_close(fx->s);
    testutil_rmtree(fx->dir);
    free(fx);
    return 0;
}

static void test_put_get_known_hash(void **state)
{
    struct fixture *fx = *state;
    char id[OBJSTORE_ID_SIZE], path[4200];
    uint8_t *back;
    size_t len;
    struct fault f;

    assert_int_equal(objstore_put(fx->s, id, (const uint8_t *)"abc", 3, &f), 0);
    assert_string_equal(id, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb"
                            "410ff61f20015ad");
    assert_int_equal(objstore_path(fx->s, path, sizeof path, id), 0);
    assert_non_null(strstr(path, "/ba/ba7816bf"));
    assert_int_equal(objstore_get(fx->s, &back, &len, id, 100, &f), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(back, "abc", 3);
    free(back);
    /* Same bytes again: kept, same id. */
    assert_int_equal(objstore_put(fx->s, id, (const uint8_t *)"abc", 3, &f), 0);
    assert_int_equal(testutil_count_files(fx->dir), 1);
}

static void test_get_detects_damage(void **state)
{
    struct fixture *fx = *state;
    char id[OBJSTORE_ID_SIZE], path[4200];
    uint8_t *back = (uint8_t *)1;
    size_t len = 1;
    struct fault f;

    assert_int_equal(objstore_put(fx->s, id, (const uint8_t *)"hello", 5, &f),
                     0);
    assert_int_equal(objstore_path(fx->s, path, sizeof path, id), 0);
    assert_int_equal(testutil_write_file(path, "hellO", 5), 0);
    assert_int_equal(objstore_get(fx->s, &back, &len, id, 100, &f), -1);
    assert_null(back);
    assert_int_equal(len, 0);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    assert_int_equal(testutil_write_file(path, "hello!!", 7), 0);
    assert_int_equal(objstore_get(fx->s, &back, &len, id, 6, &f), -1);
    assert_int_equal(f.kind, FAULT_CORRUPT); /* over the size bound */
    assert_int_equal(objstore_remove(fx->s, id, &f), 0);
    assert_int_equal(objstore_get(fx->s, &back, &len, id, 100, &f), -1);
    assert_int_equal(f.kind, FAULT_NOT_FOUND);
    assert_int_equal(objstore_remove(fx->s, id, &f), 0); /* idempotent */
}

static void test_bad_ids_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "../../etc/passwd",
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015add",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/",
    };
    struct fixture *fx = *state;
    uint8_t *back;
    size_t len, i;
    struct fault f;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(objstore_id_valid(bad[i]));
        assert_int_equal(objstore_get(fx->s, &back, &len, bad[i], 100, &f), -1);
        assert_int_equal(f.kind, FAULT_INVALID);
    }
}

static int count_each(void *arg, const char *id, struct fault *f)
{
    (void)id;
    (void)f;
    (*(int *)arg)++;
    return 0;
}

static void test_sweep_and_each(void **state)
{
    struct fixture *fx = *state;
    char id[OBJSTORE_ID_SIZE], tmp[4200];
    struct fault f;
    int n = 0;

    assert_int_equal(objstore_put(fx->s, id, (const uint8_t *)"a", 1, &f), 0);
    assert_int_equal(objstore_put(fx->s, id, (const uint8_t *)"b", 1, &f), 0);
    snprintf(tmp, sizeof tmp, "%s/objects/tmp/%s.abcdef", fx->dir, id);
    assert_int_equal(testutil_write_file(tmp, "half", 4), 0);
    /* A stray file in a fan-out folder is not an object. */
    snprintf(tmp, sizeof tmp, "%s/objects/%.2s/junk", fx->dir, id);
    assert_int_equal(testutil_write_file(tmp, "x", 1), 0);
    assert_int_equal(objstore_sweep_tmp(fx->s, &f), 1);
    assert_int_equal(objstore_sweep_tmp(fx->s, &f), 0);
    assert_int_equal(objstore_each(fx->s, count_each, &n, &f), 0);
    assert_int_equal(n, 2);
}

/* A staged object has no name until its batch is flushed; a batch freed
 * before its flush leaves nothing behind. */
static void test_batch_stage_flush(void **state)
{
    struct fixture *fx = *state;
    struct objstore_batch *b = NULL;
    char id1[OBJSTORE_ID_SIZE], id2[OBJSTORE_ID_SIZE], id3[OBJSTORE_ID_SIZE];
    uint8_t *back;
    size_t len;
    struct fault f;

    assert_int_equal(objstore_batch_new(&b, fx->s, &f), 0);
    assert_int_equal(objstore_stage(b, id1, (const uint8_t *)"one", 3, &f), 0);
    assert_int_equal(objstore_stage(b, id2, (const uint8_t *)"two", 3, &f), 0);
    assert_string_not_equal(id1, id2);
    assert_int_equal(objstore_get(fx->s, &back, &len, id1, 100, &f), -1);
    assert_int_equal(f.kind, FAULT_NOT_FOUND);
    assert_int_equal(testutil_count_files(fx->dir), 2); /* in tmp */
    assert_int_equal(objstore_flush(b, &f), 0);
    assert_int_equal(objstore_get(fx->s, &back, &len, id2, 100, &f), 0);
    assert_memory_equal(back, "two", 3);
    free(back);
    /* Flushing an empty batch is a no-op; an existing object staged
     * again is renamed over itself: same name, same bytes. */
    assert_int_equal(objstore_flush(b, &f), 0);
    assert_int_equal(objstore_stage(b, id3, (const uint8_t *)"one", 3, &f), 0);
    assert_string_equal(id1, id3);
    assert_int_equal(testutil_count_files(fx->dir), 3);
    assert_int_equal(objstore_flush(b, &f), 0);
    assert_int_equal(testutil_count_files(fx->dir), 2);
    assert_int_equal(objstore_get(fx->s, &back, &len, id1, 100, &f), 0);
    assert_memory_equal(back, "one", 3);
    free(back);
    /* Staged and never flushed: freeing the batch removes it. */
    assert_int_equal(objstore_stage(b, id3, (const uint8_t *)"three", 5, &f),
                     0);
    assert_int_equal(testutil_count_files(fx->dir), 3);
    objstore_batch_free(b);
    assert_int_equal(testutil_count_files(fx->dir), 2);
    assert_int_equal(objstore_get(fx->s, &back, &len, id3, 100, &f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_known_hash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_get_detects_damage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_ids_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_and_each, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_stage_flush, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
