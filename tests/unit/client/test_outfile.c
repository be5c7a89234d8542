/* Unit tests for client/outfile.c: the file `sluice query -o` writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
    struct outfile_mark at;
    struct fault f;
    uint8_t *buf, *back;
    size_t off = 0, k = 0, n, len, i;

    snprintf(path, sizeof path, "%s/rows-%u.csv", dir, salt);
    snprintf(part, sizeof part, "%s.part", path);
    buf = malloc(total + 1);
    assert_non_null(buf);
    for (i = 0; i < total; i++)
        buf[i] = pattern(i, salt);
    assert_int_equal(outfile_open(&o, path, NULL, &at, &f), 0);
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
    struct outfile_mark at;
    struct fault f;
    uint8_t junk[4096], *back;
    size_t len, i;

    (void)state;
    write_and_check(dir, (size_t)3 << 20, mib, 1, 9);
    snprintf(path, sizeof path, "%s/rows-9.csv", dir);
    snprintf(part, sizeof part, "%s.part", path);
    memset(junk, 'j', sizeof junk);
    assert_int_equal(outfile_open(&o, path, NULL, &at, &f), 0);
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
    struct outfile_mark at;
    struct fault f;

    (void)state;
    /* A folder that is not there. */
    snprintf(path, sizeof path, "%s/no/such/rows.csv", dir);
    assert_int_equal(outfile_open(&o, path, NULL, &at, &f), -1);
    assert_null(o);
    assert_int_equal(f.kind, FAULT_IO);
    assert_string_equal(f.field, "-o");
    /* A path too long for FILE.part. */
    lng = malloc(5000);
    assert_non_null(lng);
    memset(lng, 'a', 4999);
    lng[4999] = '\0';
    assert_int_equal(outfile_open(&o, lng, NULL, &at, &f), -1);
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
        assert_int_equal(outfile_open(&o, path, NULL, &at, &f), 0);
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
    struct outfile_mark at;
    struct fault f;

    (void)state;
    assert_int_equal(outfile_open(&o, "-", NULL, &at, &f), 0);
    assert_string_equal(outfile_name(o), "stdout");
    assert_int_equal(outfile_write(o, "", 0, &f), 0);
    assert_int_equal(outfile_commit(o, &f), 0);
    assert_int_equal(outfile_open(&o, NULL, NULL, &at, &f), 0);
    outfile_abort(o);
}

/* ---- continuing a cut-off output ---------------------------------------- */

#define HEAD "a,b\n"

/* The whole output of the continuation tests: HEAD, then nchunks chunks
 * of chunk_size(k) bytes each. */
static size_t chunk_size(size_t k)
{
    return 1000 + (k * 7919) % 300000;
}

static size_t chunk_off(size_t k)
{
    size_t off = sizeof HEAD - 1, i;

    for (i = 0; i < k; i++)
        off += chunk_size(i);
    return off;
}

/* Write chunks [from, to) (HEAD first when from is 0), marking after
 * each; chunk k's row count is k + 1. */
static void write_chunks(struct outfile *o, size_t from, size_t to,
                         unsigned salt)
{
    struct outfile_mark m;
    struct fault f;
    uint8_t *buf;
    size_t k, i, n;

    memset(&m, 0, sizeof m);
    if (from == 0)
        assert_int_equal(outfile_write(o, HEAD, sizeof HEAD - 1, &f), 0);
    for (k = 0; k < from; k++) {
        m.rows += k + 1;
        m.row_bytes += chunk_size(k);
    }
    for (k = from; k < to; k++) {
        n = chunk_size(k);
        buf = malloc(n);
        assert_non_null(buf);
        for (i = 0; i < n; i++)
            buf[i] = pattern(chunk_off(k) + i, salt);
        assert_int_equal(outfile_write(o, buf, n, &f), 0);
        free(buf);
        m.chunks = k + 1;
        m.rows += k + 1;
        m.row_bytes += n;
        outfile_mark(o, &m);
    }
}

/* The file at path is HEAD and chunks [0, n) exactly. */
static void check_chunks(const char *path, size_t n, unsigned salt)
{
    uint8_t *back;
    size_t len, i;

    assert_int_equal(testutil_read_file(path, &back, &len), 0);
    assert_int_equal(len, chunk_off(n));
    assert_memory_equal(back, HEAD, sizeof HEAD - 1);
    for (i = sizeof HEAD - 1; i < len; i++)
        if (back[i] != pattern(i, salt))
            fail_msg("byte %zu of %s is wrong", i, path);
    free(back);
}

static void check_mark(const struct outfile_mark *at, size_t chunks)
{
    size_t k;
    uint64_t rows = 0, bytes = 0;

    for (k = 0; k < chunks; k++) {
        rows += k + 1;
        bytes += chunk_size(k);
    }
    assert_int_equal(at->chunks, chunks);
    /* No chunk: a fresh start, not even the header. */
    assert_int_equal(at->bytes, chunks > 0 ? chunk_off(chunks) : 0);
    assert_int_equal(at->rows, rows);
    assert_int_equal(at->row_bytes, bytes);
}

static off_t file_size(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* Suspended after a chunk and a half, the output continues from the end
 * of the whole chunk: the half is cut away, the counters come back, and
 * the finished file is exactly the whole output. */
/* Open path (continued from mark's file), expect to continue after chunk
 * from, write chunks from..n of salt, commit, and check the whole file. */
static void finish_from(const char *path, const char *mark, size_t from,
                        size_t n, unsigned salt)
{
    struct outfile *o;
    struct outfile_mark at;
    struct fault f;

    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    check_mark(&at, from);
    write_chunks(o, from, n, salt);
    assert_int_equal(outfile_commit(o, &f), 0);
    check_chunks(path, n, salt);
}

static void test_suspend_and_continue(void **state)
{
    char *dir = testutil_mkdtemp();
    char path[4200], part[4300], mark[4300];
    struct outfile *o;
    struct outfile_mark at;
    struct fault f;
    uint8_t half[5000];

    (void)state;
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    snprintf(part, sizeof part, "%s.part", path);
    snprintf(mark, sizeof mark, "%s/q.mark", dir);
    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    check_mark(&at, 0);
    write_chunks(o, 0, 5, 21);
    memset(half, 'h', sizeof half);
    assert_int_equal(outfile_write(o, half, sizeof half, &f), 0);
    assert_int_equal(outfile_suspend(o), 1);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(mark, F_OK), 0);
    assert_int_equal(file_size(part), (off_t)(chunk_off(5) + sizeof half));
    /* Twice: a continuation cut again continues again. */
    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    check_mark(&at, 5);
    assert_int_equal(file_size(part), (off_t)chunk_off(5));
    write_chunks(o, 5, 9, 21);
    assert_int_equal(outfile_suspend(o), 1);
    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    check_mark(&at, 9);
    write_chunks(o, 9, 40, 21);
    assert_int_equal(outfile_commit(o, &f), 0);
    check_chunks(path, 40, 21);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(access(mark, F_OK), -1);
    /* A new start (no mark file) writes the file afresh. */
    finish_from(path, mark, 0, 3, 22);
    testutil_rmtree(dir);
}

/* Nothing to continue: no mark yet, no mark file, or standard output.
 * Suspend then removes what abort removes. */
static void test_suspend_nothing(void **state)
{
    char *dir = testutil_mkdtemp();
    char path[4200], part[4300], mark[4300];
    struct outfile *o;
    struct outfile_mark at;
    struct fault f;

    (void)state;
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    snprintf(part, sizeof part, "%s.part", path);
    snprintf(mark, sizeof mark, "%s/q.mark", dir);
    assert_int_equal(outfile_suspend(NULL), 0);
    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    assert_int_equal(outfile_write(o, HEAD, sizeof HEAD - 1, &f), 0);
    assert_int_equal(outfile_suspend(o), 0);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(access(mark, F_OK), -1);
    assert_int_equal(outfile_open(&o, path, NULL, &at, &f), 0);
    write_chunks(o, 0, 2, 23);
    assert_int_equal(outfile_suspend(o), 0);
    assert_int_equal(access(part, F_OK), -1);
    /* Marked, then aborted: both files go. */
    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    write_chunks(o, 0, 2, 23);
    assert_int_equal(outfile_suspend(o), 1);
    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    check_mark(&at, 2);
    outfile_abort(o);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(access(mark, F_OK), -1);
    assert_int_equal(outfile_open(&o, "-", mark, &at, &f), 0);
    outfile_mark(o, &at);
    assert_int_equal(outfile_suspend(o), 0);
    testutil_rmtree(dir);
}

/* Leave path.part suspended after n chunks, with its mark. */
static void suspended(const char *path, const char *mark, size_t n,
                      unsigned salt)
{
    struct outfile *o;
    struct outfile_mark at;
    struct fault f;

    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    write_chunks(o, 0, n, salt);
    assert_int_equal(outfile_suspend(o), 1);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* A mark that is not for this file, points past its end, or cannot be
 * read is not followed: the output starts afresh and comes out whole. */
static void test_marks_not_followed(void **state)
{
    char *dir = testutil_mkdtemp();
    char path[4200], other[4200], part[4300], mark[4300];
    struct outfile *o;
    struct outfile_mark at;
    struct fault f;
    static const char *const junk[] = {
        "", "{", "[]", "{\"part\": 5}",
        "{\"part\": \"/x\", \"bytes\": 1, \"chunks\": 1, \"rows\": 1, "
        "\"row_bytes\": 1}",
    };
    size_t i;

    (void)state;
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    snprintf(other, sizeof other, "%s/other.csv", dir);
    snprintf(part, sizeof part, "%s.part", path);
    snprintf(mark, sizeof mark, "%s/q.mark", dir);
    /* Another file's mark. */
    suspended(path, mark, 4, 31);
    assert_int_equal(outfile_open(&o, other, mark, &at, &f), 0);
    check_mark(&at, 0);
    write_chunks(o, 0, 6, 32);
    assert_int_equal(outfile_commit(o, &f), 0);
    check_chunks(other, 6, 32);
    assert_int_equal(access(mark, F_OK), -1);
    /* The file cut shorter than its mark. */
    suspended(path, mark, 4, 33);
    assert_int_equal(truncate(part, (off_t)chunk_off(4) - 1), 0);
    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    check_mark(&at, 0);
    assert_int_equal(file_size(part), 0);
    write_chunks(o, 0, 6, 34);
    assert_int_equal(outfile_commit(o, &f), 0);
    check_chunks(path, 6, 34);
    /* Marks that do not parse, or lack a field. */
    for (i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        suspended(path, mark, 3, 35);
        write_text(mark, junk[i]);
        finish_from(path, mark, 0, 2, (unsigned)(36 + i));
    }
    testutil_rmtree(dir);
}

/* The mark names FILE.part from the root: a run started in the file's
 * folder with a relative -o is continued by one that names it in full. */
static void test_relative_path(void **state)
{
    char *dir = testutil_mkdtemp();
    char path[4200], mark[4300], cwd[4200];

    (void)state;
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    snprintf(mark, sizeof mark, "%s/q.mark", dir);
    assert_int_equal(chdir(dir), 0);
    suspended("rows.csv", mark, 3, 41);
    assert_int_equal(chdir(cwd), 0);
    finish_from(path, mark, 3, 7, 41);
    testutil_rmtree(dir);
}

/* Killed while writing (no suspend): the syncer's last mark, made after
 * an fdatasync, is a point the file holds, and the output continues from
 * it. A child writes past several sync steps and waits to be killed. */
static void test_killed_continues(void **state)
{
    char *dir = testutil_mkdtemp();
    char path[4200], part[4300], mark[4300];
    struct outfile *o;
    struct outfile_mark at;
    struct fault f;
    size_t n = 0;
    pid_t pid;
    int status;
    int fds[2];
    char c;

    (void)state;
    snprintf(path, sizeof path, "%s/rows.csv", dir);
    snprintf(part, sizeof part, "%s.part", path);
    snprintf(mark, sizeof mark, "%s/q.mark", dir);
    /* Chunks enough for three sync steps. */
    while (chunk_off(n) < 3 * OUTFILE_SYNC_BYTES + 1000)
        n++;
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (outfile_open(&o, path, mark, &at, &f) < 0)
            _exit(2);
        write_chunks(o, 0, n, 51);
        /* Wait for the syncer's mark to appear, then be killed. */
        while (access(mark, F_OK) < 0)
            usleep(1000);
        if (write(fds[1], "m", 1) != 1)
            _exit(3);
        for (;;)
            pause();
    }
    close(fds[1]);
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(outfile_open(&o, path, mark, &at, &f), 0);
    assert_true(at.chunks >= 1 && at.chunks < n);
    check_mark(&at, (size_t)at.chunks);
    write_chunks(o, (size_t)at.chunks, n, 51);
    assert_int_equal(outfile_commit(o, &f), 0);
    check_chunks(path, n, 51);
    testutil_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_sizes),
        cmocka_unit_test(test_abort_keeps_old),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_stdout),
        cmocka_unit_test(test_suspend_and_continue),
        cmocka_unit_test(test_suspend_nothing),
        cmocka_unit_test(test_marks_not_followed),
        cmocka_unit_test(test_relative_path),
        cmocka_unit_test(test_killed_continues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
