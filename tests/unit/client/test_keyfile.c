/* Unit tests for client/keyfile.c: the text format, the file checks that
 * keep a key private (mode, owner, type), creation that never overwrites,
 * and the default path. */
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

#include "client/keyfile.h"
#include "lib/ethaddr.h"
#include "tests/support/testutil.h"

/* Private key 1: its address is well known. */
#define KEY_ONE "0x0000000000000000000000000000000000000000000000000000000000000001"
#define ADDR_ONE "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"

static void test_parse(void **state)
{
    static const struct {
        const char *text;
        int ok;
    } cases[] = {
        {KEY_ONE "\n", 1},
        {KEY_ONE, 1},
        {KEY_ONE "\r\n", 1},
        {"0X0000000000000000000000000000000000000000000000000000000000000001\n", 1},
        {"0x4C0883A69102937D6231471B5DBB6204FE5129617082792AE468D01A3F362318\n", 1},
        {KEY_ONE "\n\n", 0},
        {KEY_ONE " \n", 0},
        {" " KEY_ONE "\n", 0},
        {"0000000000000000000000000000000000000000000000000000000000000001\n", 0},
        {"0x000000000000000000000000000000000000000000000000000000000000001\n", 0},
        {"0x00000000000000000000000000000000000000000000000000000000000000001\n", 0},
        {"0x000000000000000000000000000000000000000000000000000000000000000g\n", 0},
        {"0x0000000000000000000000000000000000000000000000000000000000000000\n", 0},
        /* n, the curve order: not a key. */
        {"0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141\n", 0},
        {"", 0},
        {"\n", 0},
    };
    struct ethkey k;
    struct fault f;
    char addr[ETHADDR_TEXT_SIZE];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_clear(&f);
        memset(&k, 0x5a, sizeof k);
        int rv = keyfile_parse(&k, cases[i].text, strlen(cases[i].text),
                               "K", &f);
        if (cases[i].ok) {
            if (rv != 0)
                fail_msg("case %zu: %s", i, f.detail);
        } else {
            if (rv != -1)
                fail_msg("case %zu parsed", i);
            assert_int_equal(f.kind, FAULT_INVALID);
            assert_string_equal(f.field, "key");
            /* The detail names the file, never the text. */
            assert_non_null(strstr(f.detail, "K"));
            assert_null(strstr(f.detail, "0000000000000000"));
            uint8_t zero[sizeof k.secret] = {0};
            assert_memory_equal(k.secret, zero, sizeof zero);
        }
    }
    assert_int_equal(keyfile_parse(&k, KEY_ONE "\n", strlen(KEY_ONE) + 1,
                                   "K", &f),
                     0);
    ethaddr_to_text(addr, &k.addr);
    assert_string_equal(addr, ADDR_ONE);
    ethkey_wipe(&k);
}

static char *join(const char *dir, const char *name)
{
    char *p;

    if (asprintf(&p, "%s/%s", dir, name) < 0)
        abort();
    return p;
}

static void test_create_and_load(void **state)
{
    char *dir = testutil_mkdtemp();
    char *path = join(dir, "a/b/key");
    char *parent = join(dir, "a/b");
    struct ethkey k1, k2;
    struct fault f;
    struct stat st;
    uint8_t *text;
    size_t len, i;

    (void)state;
    assert_int_equal(keyfile_create(&k1, path, &f), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(parent, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(testutil_read_file(path, &text, &len), 0);
    assert_int_equal(len, 67);
    assert_memory_equal(text, "0x", 2);
    assert_int_equal(text[66], '\n');
    for (i = 2; i < 66; i++)
        assert_non_null(strchr("0123456789abcdef", text[i]));
    free(text);
    assert_int_equal(keyfile_load(&k2, path, &f), 0);
    assert_memory_equal(k1.secret, k2.secret, sizeof k1.secret);
    assert_true(ethaddr_equal(&k1.addr, &k2.addr));
    ethkey_wipe(&k2);
    /* Never overwritten: the old key stays. */
    fault_clear(&f);
    assert_int_equal(keyfile_create(&k2, path, &f), -1);
    assert_int_equal(f.kind, FAULT_CONFLICT);
    assert_non_null(strstr(f.detail, "already exists"));
    assert_int_equal(keyfile_load(&k2, path, &f), 0);
    assert_memory_equal(k1.secret, k2.secret, sizeof k1.secret);
    ethkey_wipe(&k1);
    ethkey_wipe(&k2);
    free(parent);
    free(path);
    testutil_rmtree(dir);
}

static void test_create_fails_cleanly(void **state)
{
    char *dir = testutil_mkdtemp();
    char *file = join(dir, "file");
    char *path = join(dir, "file/key"); /* a file where a folder must be */
    struct ethkey k;
    struct fault f;

    (void)state;
    assert_int_equal(testutil_write_file(file, "x", 1), 0);
    fault_clear(&f);
    assert_int_equal(keyfile_create(&k, path, &f), -1);
    assert_int_equal(f.kind, FAULT_IO);
    assert_int_equal(access(path, F_OK), -1);
    free(file);
    free(path);
    testutil_rmtree(dir);
}

static void test_load_checks(void **state)
{
    static const struct {
        unsigned mode;
        int ok;
    } modes[] = {
        {0600, 1}, {0400, 1}, {0700, 1}, {0640, 0},
        {0604, 0}, {0644, 0}, {0660, 0}, {0620, 0},
    };
    char *dir = testutil_mkdtemp();
    char *path = join(dir, "key");
    char *missing = join(dir, "none");
    struct ethkey k;
    struct fault f;
    size_t i;

    (void)state;
    assert_int_equal(testutil_write_file(path, KEY_ONE "\n",
                                         strlen(KEY_ONE) + 1),
                     0);
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_int_equal(chmod(path, modes[i].mode), 0);
        fault_clear(&f);
        if (modes[i].ok) {
            if (keyfile_load(&k, path, &f) != 0)
                fail_msg("mode %o: %s", modes[i].mode, f.detail);
            ethkey_wipe(&k);
        } else {
            assert_int_equal(keyfile_load(&k, path, &f), -1);
            assert_int_equal(f.kind, FAULT_INVALID);
            assert_non_null(strstr(f.detail, "chmod 600"));
        }
    }
    /* Missing: NOT_FOUND, with how to make one. */
    fault_clear(&f);
    assert_int_equal(keyfile_load(&k, missing, &f), -1);
    assert_int_equal(f.kind, FAULT_NOT_FOUND);
    assert_non_null(strstr(f.detail, "sluice key new"));
    /* A folder is not a key file. */
    assert_int_equal(chmod(dir, 0700), 0);
    fault_clear(&f);
    assert_int_equal(keyfile_load(&k, dir, &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    /* Too long a file. */
    {
        char big[300];
        memset(big, 'a', sizeof big);
        assert_int_equal(testutil_write_file(path, big, sizeof big), 0);
        assert_int_equal(chmod(path, 0600), 0);
        fault_clear(&f);
        assert_int_equal(keyfile_load(&k, path, &f), -1);
        assert_int_equal(f.kind, FAULT_INVALID);
    }
    free(path);
    free(missing);
    testutil_rmtree(dir);
}

static void test_default_path(void **state)
{
    char out[KEYFILE_PATH_MAX], small[8];
    struct fault f;

    (void)state;
    setenv("SLUICE_KEY", "/some/where/key", 1);
    assert_int_equal(keyfile_default_path(out, sizeof out, &f), 0);
    assert_string_equal(out, "/some/where/key");
    setenv("SLUICE_KEY", "", 1); /* empty counts as unset */
    setenv("HOME", "/home/owner", 1);
    assert_int_equal(keyfile_default_path(out, sizeof out, &f), 0);
    assert_string_equal(out, "/home/owner/.config/sluice/key");
    unsetenv("SLUICE_KEY");
    assert_int_equal(keyfile_default_path(out, sizeof out, &f), 0);
    assert_string_equal(out, "/home/owner/.config/sluice/key");
    fault_clear(&f);
    assert_int_equal(keyfile_default_path(small, sizeof small, &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(small, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_create_and_load),
        cmocka_unit_test(test_create_fails_cleanly),
        cmocka_unit_test(test_load_checks),
        cmocka_unit_test(test_default_path),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
