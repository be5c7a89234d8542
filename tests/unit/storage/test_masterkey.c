/* Unit tests for storage/masterkey.c: creation, modes, sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "storage/masterkey.h"
#include "tests/support/testutil.h"

static int setup(void **state)
{
    *state = testutil_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    testutil_rmtree(*state);
    return 0;
}

static char *path_in(void **state, const char *name)
{
    char *p;

    assert_true(asprintf(&p, "%s/%s", (char *)*state, name) > 0);
    return p;
}

static void test_create_then_load(void **state)
{
    char *p = path_in(state, "master.key");
    uint8_t a[32], b[32], zero[32] = {0};
    struct stat st;
    struct fault f;

    assert_int_equal(masterkey_load_or_create(a, p, &f), 0);
    assert_memory_not_equal(a, zero, 32);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 32);
    assert_int_equal(masterkey_load_or_create(b, p, &f), 0);
    assert_memory_equal(a, b, 32);
    free(p);
}

static void test_refuses_loose_modes(void **state)
{
    static const unsigned modes[] = {0644, 0640, 0604, 0660, 0601, 0610};
    char *p = path_in(state, "master.key");
    uint8_t k[32];
    struct fault f;
    size_t i;

    assert_int_equal(masterkey_load_or_create(k, p, &f), 0);
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_int_equal(chmod(p, modes[i]), 0);
        memset(k, 0x77, 32);
        assert_int_equal(masterkey_load_or_create(k, p, &f), -1);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "master_key");
        assert_non_null(strstr(f.detail, "chmod 600"));
        for (int j = 0; j < 32; j++)
            assert_int_equal(k[j], 0);
    }
    assert_int_equal(chmod(p, 0400), 0); /* read-only to us is fine */
    assert_int_equal(masterkey_load_or_create(k, p, &f), 0);
    free(p);
}

static void test_refuses_wrong_size_and_non_files(void **state)
{
    static const size_t sizes[] = {0, 31, 33, 64};
    char *p = path_in(state, "master.key");
    char *link = path_in(state, "link.key");
    uint8_t k[32], buf[64] = {1};
    struct fault f;
    size_t i;

    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        assert_int_equal(testutil_write_file(p, buf, sizes[i]), 0);
        assert_int_equal(masterkey_load_or_create(k, p, &f), -1);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_non_null(strstr(f.detail, "exactly 32 bytes"));
    }
    assert_int_equal(testutil_write_file(p, buf, 32), 0);
    assert_int_equal(symlink(p, link), 0);
    assert_int_equal(masterkey_load_or_create(k, link, &f), -1);
    unlink(p);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(masterkey_load_or_create(k, p, &f), -1);
    free(p);
    free(link);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_then_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_loose_modes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refuses_wrong_size_and_non_files,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
