/* Unit tests for client/outfile.c: the file `sluice query -o` writes. */
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

#include "client/outfile.h"
#include "tests/support/testutil.h"

static uint8_t pattern(size_t i, unsigned salt)
{
    return (uint8_t)((i * 31 + salt + (i >> 13)) % 251);
}

/* Write total bytes in pieces of the given sizes (cycled) and commit:
 * the file is exactly them, and no .part is left. Sizes cross
 * OUTFILE_SYNC_BYTES many times, so the syncer runs while rows come. */
static void write_and_check(const char *dir, size_t total,
                            const size_t *pieces, size_t npieces,
                            unsigned salt)
{
    char path[4200], part[4300];
    struct outfile *o;
    struct fault f;
    uint8_t *buf, *back;
    size_t off = 0, k = 0, n, len, i;

    snprintf(path, sizeof path, "%s/rows-%u.csv", dir, salt);
    snprintf(part, sizeof part, "%s.part", path);
    buf = malloc(total + 1);
    assert_non_null(buf);
    for (i = 0; i < total; i++)
        buf[i] = pattern(i, salt);
    assert_int_equal(outfile_open(&o, path, &f), 0);
    assert_string_equal(outfile_name(o), path);
    assert_int_equal(access(part, F_OK), 0);
    while (off < total) {
        n = pieces[k++ % npieces];
        if (n > total - off)
            n = total - off;
        assert_int_equal(outfile_write(o, buf + off, n, &f), 0);
        off += n;
    }
    assert_int_equal(outfile_commit(o, &f), 0);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(testutil_read_file(path, &back, &len), 0);
    assert_int_equal(len, total);
    if (total > 0)
        assert_memory_equal(back, buf, total);
    free(back);
    free(buf);
}

static void test_commit_sizes(void **state)
{
    static const size_t one[] = {1};
    static const size_t mib[] = {1u << 20};
    static const size_t mixed[] = {7, (3u << 20) + 5, 4096, 1, 600000,
                                   (17u << 20) + 3};
    char *dir = testutil_mkdtemp();

    (void)state;
    write_and_check(dir, 0, one, 1, 1);
    write_and_check(dir, 100, one, 1, 2);
    write_and_check(dir, (size_t)40 << 20, mib, 1, 3);
    write_and_check(dir, ((size_t)50 << 20) + 11, mixed, 6, 4);
    /* One write larger than the sync step, then small ones. */
    write_and_check(dir, ((size_t)20 << 20) + 2, mixed + 5, 1, 5);
    testutil_rmtree(dir);
}

/* Abort leaves the last complete file as it was and no .part. */
static void test_abort_keeps_old(void **state)
{
    static const size_t mib[] = {1u << 20};
    char *dir = testutil_mkdtemp();
    char path[4200], part[4300];
    struct outfile *o;
    struct fault f;
    uint8_t junk[4096], *back;
    size_t len, i;

    (void)state;
    write_and_check(dir, (size_t)3 << 20, mib, 1, 9);
    snprintf(path, sizeof path, "%s/rows-9.csv", dir);
    snprintf(part, sizeof part, "%s.part", path);
    memset(junk, 'j', sizeof junk);
    assert_int_equal(outfile_open(&o, path, &f), 0);
    /* Past a sync step, so the syncer has run on the .part. */
    for (i = 0; i < (OUTFILE_SYNC_BYTES / sizeof junk) * 2 + 3; i++)
        assert_int_equal(outfile_write(o, junk, sizeof junk, &f), 0);
    outfile_abort(o);
    outfile_abort(NULL);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(testutil_read_file(path, &back, &len), 0);
    assert_int_equal(len, (size_t)3 << 20);
    for (i = 0; i < len; i++)
        if (back[i] != pattern(i, 9))
            fail_msg("byte %zu of the old file changed", i);
    free(back);
    testutil_rmtree(dir);
}

static void test_refusals(void **state)
{
    char *dir = testutil_mkdtemp();
    char path[4200], *lng;
    struct outfile *o = (struct outfile *)1;
    struct fault f;

    (void)state;
    /* A folder that is not there. */
    snprintf(path, sizeof path, "%s/no/such/rows.csv", dir);
    assert_int_equal(outfile_open(&o, path, &f), -1);
    assert_null(o);
    assert_int_equal(f.kind, FAULT_IO);
    assert_string_equal(f.field, "-o");
    /* A path too long for FILE.part. */
    lng = malloc(5000);
    assert_non_null(lng);
    memset(lng, 'a', 4999);
    lng[4999] = '\0';
    assert_int_equal(outfile_open(&o, lng, &f), -1);
    assert_null(o);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "-o");
    free(lng);
    /* The rename fails (the target is a non-empty folder): .part goes,
     * the folder stays. */
    snprintf(path, sizeof path, "%s/taken", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    {
        char inner[4300], part[4300];
        snprintf(inner, sizeof inner, "%s/x", path);
        FILE *fp = fopen(inner, "w");
        assert_non_null(fp);
        fclose(fp);
        snprintf(part, sizeof part, "%s.part", path);
        assert_int_equal(outfile_open(&o, path, &f), 0);
        assert_int_equal(outfile_write(o, "abc", 3, &f), 0);
        assert_int_equal(outfile_commit(o, &f), -1);
        assert_int_equal(f.kind, FAULT_IO);
        assert_string_equal(f.field, "-o");
        assert_int_equal(access(part, F_OK), -1);
        assert_int_equal(access(inner, F_OK), 0);
    }
    testutil_rmtree(dir);
}

/* "-" and NULL are standard output: no file, commit flushes. */
static void test_stdout(void **state)
{
    struct outfile *o;
    struct fault f;

    (void)state;
    assert_int_equal(outfile_open(&o, "-", &f), 0);
    assert_string_equal(outfile_name(o), "stdout");
    assert_int_equal(outfile_write(o, "", 0, &f), 0);
    assert_int_equal(outfile_commit(o, &f), 0);
    assert_int_equal(outfile_open(&o, NULL, &f), 0);
    outfile_abort(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_sizes),
        cmocka_unit_test(test_abort_keeps_old),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_stdout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
