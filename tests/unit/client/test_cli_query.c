/* The sluice binary's worker commands (query, quote, receipts) and `sluice
 * show`'s preview, run as a user runs them, against tests/support/fakegw
 * (a gateway stand-in made of the real parts): exactly the rows asked for
 * in the file or on stdout, the CSV header first; a receipt kept per
 * query and listed (and a damaged one flagged); 402 and max-cost print
 * the quote; a download cut off resumes from the kept answer without a new
 * query; bad input is exit 2 with one line; preview numbers print as
 * their own text. HOME is a fresh folder per case, so the default key,
 * receipts and cache folders are the test's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/hex.h"
#include "tests/support/fakegw.h"
#include "tests/support/testutil.h"

static const uint8_t worker_secret[32] = {
    0x4c, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d, 0x62, 0x31, 0x47,
    0x1b, 0x5d, 0xbb, 0x62, 0x04, 0xfe, 0x51, 0x29, 0x61, 0x70, 0x82,
    0x79, 0x2a, 0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x18,
};

static const char csv_header[] = "id,name,temp,note\r\n";
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

static const char jsonl[] = "{\"k\":0,\"v\":1.5}\n{\"k\":1,\"v\":0.639}\r\n"
                            "\n{\"k\":2,\"v\":\"x\"}";

struct fixture {
    struct fakegw g;
    size_t csv, csv1, jsonl, blob;
    uint8_t blob_data[3000];
    char home[4200], keyfile[4400], sluice[4300];
    char out[4300], err[4300];
    char *so, *se; /* the last run's stdout and stderr */
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    char csv[1024], exe[4096], dir[4300], text[80];

    uint64_t seed = 7;
    ssize_t n;
    size_t i;

    fakegw_start(&fx->g);
    snprintf(csv, sizeof csv, "%s", csv_header);
    for (i = 0; i < CSV_ROWS; i++)
        strcat(csv, csv_rows[i]);
    fx->csv = fakegw_ingest(&fx->g, SPLITTER_CSV, 0, 3, csv, strlen(csv));
    /* The same rows a chunk each, for cuts at many places. */
    fx->csv1 = fakegw_ingest(&fx->g, SPLITTER_CSV, 0, 1, csv, strlen(csv));
    fx->jsonl = fakegw_ingest(&fx->g, SPLITTER_JSONL, 0, 1, jsonl,
                              strlen(jsonl));
    testutil_fill(fx->blob_data, sizeof fx->blob_data, &seed);
    fx->blob = fakegw_ingest(&fx->g, SPLITTER_BLOB, 1000, 0, fx->blob_data,
                             sizeof fx->blob_data);
    snprintf(fx->home, sizeof fx->home, "%s/home", fx->g.dir);
    snprintf(dir, sizeof dir, "%s/.config", fx->home);
    assert_int_equal(mkdir(fx->home, 0700), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(dir, sizeof dir, "%s/.config/sluice", fx->home);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(fx->keyfile, sizeof fx->keyfile, "%s/key", dir);
    assert_int_equal(hex_encode_0x(text, sizeof text, worker_secret, 32), 0);
    strcat(text, "\n");
    assert_int_equal(testutil_write_file(fx->keyfile, text, strlen(text)), 0);
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    snprintf(fx->sluice, sizeof fx->sluice, "%s/../../../sluice",
             dirname(exe));
    snprintf(fx->out, sizeof fx->out, "%s/stdout", fx->g.dir);
    snprintf(fx->err, sizeof fx->err, "%s/stderr", fx->g.dir);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    free(fx->so);
    free(fx->se);
    fakegw_stop(&fx->g);
    free(fx);
    return 0;
}

/* Run sluice with the NULL-terminated args (HOME the case's, the gateway
 * from $SLUICE_GATEWAY); its output in fx->so and fx->se; returns its exit
 * status. */
static int sl(struct fixture *fx, const char *const *args)
{
    char *argv[40], home[4300], gw[128];
    char *envp[] = {home, gw, (char *)"PATH=/usr/bin:/bin",
                    (char *)"ASAN_OPTIONS=detect_leaks=1", NULL};
    size_t i, n;
    int status = 0, fd;
    pid_t pid;

    snprintf(home, sizeof home, "HOME=%s", fx->home);
    snprintf(gw, sizeof gw, "SLUICE_GATEWAY=%s", fx->g.url);
    argv[0] = fx->sluice;
    for (i = 0; args[i] != NULL && i < 38; i++)
        argv[i + 1] = (char *)args[i];
    argv[i + 1] = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fd = open(fx->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0)
            _exit(127);
        fd = open(fx->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 2) < 0)
            _exit(127);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    free(fx->so);
    free(fx->se);
    assert_int_equal(testutil_read_file(fx->out, (uint8_t **)&fx->so, &n),
                     0);
    fx->so = realloc(fx->so, n + 1);
    fx->so[n] = '\0';
    assert_int_equal(testutil_read_file(fx->err, (uint8_t **)&fx->se, &n),
                     0);
    fx->se = realloc(fx->se, n + 1);
    fx->se[n] = '\0';
    if (strstr(fx->se, "ERROR: AddressSanitizer") != NULL ||
        strstr(fx->se, "LeakSanitizer") != NULL)
        fail_msg("sanitizer report:\n%s", fx->se);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Expect exit 0; fail with its stderr otherwise. */
static void sl_ok(struct fixture *fx, const char *const *args)
{
    int rc = sl(fx, args);

    if (rc != 0)
        fail_msg("sluice %s %s exited %d: %s", args[0],
                 args[1] != NULL ? args[1] : "", rc, fx->se);
}

/* Expect exit rc, nothing on stdout when want_quiet, and one line on
 * stderr holding want. */
static void sl_bad(struct fixture *fx, int rc, const char *want,
                   const char *const *args)
{
    int got = sl(fx, args);
    char *nl = strchr(fx->se, '\n');

    if (got != rc || nl == NULL || nl[1] != '\0' ||
        strstr(fx->se, want) == NULL)
        fail_msg("sluice %s %s: exit %d (want %d), stderr [%s] (want one "
                 "line with [%s])",
                 args[0], args[1] != NULL ? args[1] : "", got, rc, fx->se,
                 want);
}

static char *rows_text(const int *set, size_t n, const char *head)
{
    static char buf[2048];
    size_t i;

    snprintf(buf, sizeof buf, "%s", head);
    for (i = 0; i < n; i++)
        strcat(buf, csv_rows[set[i]]);
    return buf;
}

static long count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    long n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void test_query_rows_to_file(void **state)
{
    struct fixture *fx = *state;
    const char *id = fx->g.ds[fx->csv].id_text;
    char path[4400], part[4500], dir[4400], cache[4400];
    static const int r26[] = {2, 3, 4, 5};
    uint8_t *got;
    size_t len;
    struct stat st;

    snprintf(path, sizeof path, "%s/out.csv", fx->g.dir);
    snprintf(part, sizeof part, "%s.part", path);
    {
        const char *a[] = {"query", id, "--rows", "2:6", "-o", path, NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    /* The header's line end is the first row's (CRLF here? row 2 ends in
     * LF, so LF). */
    assert_int_equal(len, strlen(rows_text(r26, 4, "id,name,temp,note\n")));
    assert_memory_equal(got, rows_text(r26, 4, "id,name,temp,note\n"), len);
    free(got);
    assert_int_equal(access(part, F_OK), -1);
    assert_non_null(strstr(fx->se, "decrypted 2 chunks (6 rows"));
    assert_non_null(strstr(fx->se, "wrote 4 rows"));
    assert_non_null(strstr(fx->se, path));
    assert_non_null(strstr(fx->se, "receipt #1 kept in"));
    assert_string_equal(fx->so, "");
    /* One receipt, 0600; the cache holds nothing once the rows are out. */
    snprintf(dir, sizeof dir, "%s/.config/sluice/receipts", fx->home);
    assert_int_equal(count_files(dir), 1);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(cache, sizeof cache, "%s/.cache/sluice/objects", fx->home);
    assert_int_equal(count_files(cache), 0);
    /* --keep-cache keeps them; the next run reads them from there. */
    {
        const char *a[] = {"query", id, "--all", "-o", path, "--keep-cache",
                           NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(count_files(cache), (long)fx->g.ds[fx->csv].n);
    fx->g.object_gets = 0;
    {
        const char *a[] = {"query", id, "--all", "-o", path, NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(fx->g.object_gets, 0);
    assert_non_null(strstr(fx->se, "3 objects came from the cache"));
    assert_int_equal(count_files(cache), 0);
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    {
        static const int all[] = {0, 1, 2, 3, 4, 5, 6, 7};
        const char *want = rows_text(all, 8, csv_header);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(got, want, len);
    }
    free(got);
}

static void test_query_stdout_formats(void **state)
{
    struct fixture *fx = *state;
    static const int w[] = {5};

    {
        const char *a[] = {"query", fx->g.ds[fx->csv].id_text, "--where",
                           "temp>=1000", "--where", "note>=y", NULL};
        sl_ok(fx, a);
    }
    assert_string_equal(fx->so, rows_text(w, 1, "id,name,temp,note\n"));
    assert_non_null(strstr(fx->se, "wrote 1 rows"));
    assert_non_null(strstr(fx->se, "to stdout"));
    {
        const char *a[] = {"query", fx->g.ds[fx->jsonl].id_text, "--all",
                           "--no-cache", NULL};
        sl_ok(fx, a);
    }
    assert_string_equal(fx->so, jsonl);
    {
        const char *a[] = {"query", fx->g.ds[fx->jsonl].id_text, "--where",
                           "k=1", NULL};
        sl_ok(fx, a);
    }
    assert_string_equal(fx->so, "{\"k\":1,\"v\":0.639}\r\n\n");
    {
        const char *a[] = {"--gateway", fx->g.url, "query",
                           fx->g.ds[fx->blob].id_text, "--chunks", "0-2",
                           NULL};
        sl_ok(fx, a);
    }
    assert_memory_equal(fx->so, fx->blob_data, sizeof fx->blob_data);
    /* No row at all: the header alone. */
    {
        const char *a[] = {"query", fx->g.ds[fx->csv].id_text, "--rows",
                           "100:", NULL};
        sl_ok(fx, a);
    }
    assert_string_equal(fx->so, "id,name,temp,note\n");
}

static void test_payment_and_max_cost(void **state)
{
    struct fixture *fx = *state;
    const char *id = fx->g.ds[fx->csv].id_text;

    fx->g.pay = 1;
    {
        const char *a[] = {"query", id, "--all", NULL};
        sl_bad(fx, 1, "payment required", a);
    }
    assert_non_null(strstr(fx->so, "cost       7 units (0.000000007 ETH)"));
    assert_non_null(strstr(fx->so, "balance    0 units"));
    assert_non_null(strstr(fx->so, "payment    0.000000007 ETH"));
    assert_non_null(strstr(fx->so, "purchase(bytes32,address,address,"
                                   "bytes32)(0x"));
    /* Payments on their way cover it: asked again after Retry-After. */
    fx->g.pay = 1;
    fx->g.retry_after = 1;
    {
        const char *a[] = {"query", id, "--rows", "0:1", NULL};
        sl_ok(fx, a);
    }
    assert_non_null(strstr(fx->se, "asking again in 1 s"));
    assert_string_equal(fx->so, "id,name,temp,note\r\n0,alpha,20.5,plain\r\n");
    fx->g.retry_after = 0;
    {
        const char *a[] = {"query", id, "--all", "--max-cost", "2", NULL};
        sl_bad(fx, 1, "costs 7 units, above --max-cost 2", a);
    }
    assert_non_null(strstr(fx->so, "cost       7 units"));
}

static void test_quote(void **state)
{
    struct fixture *fx = *state;
    const char *id = fx->g.ds[fx->csv].id_text;

    {
        const char *a[] = {"quote", id, "--chunks", "0,2", NULL};
        sl_ok(fx, a);
    }
    assert_non_null(strstr(fx->so, "cost       5 units"));
    assert_non_null(strstr(fx->so, "covers     2 chunks, 5 rows"));
    assert_non_null(strstr(fx->so, "payment    "));
    /* Without a key: unsigned. */
    unlink(fx->keyfile);
    fx->g.unsigned_quotes = 0;
    {
        const char *a[] = {"quote", id, "--all", "--json", NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(fx->g.unsigned_quotes, 1);
    assert_non_null(strstr(fx->so, "\"cost\": \"7\""));
    assert_null(strstr(fx->so, "payment"));
}

static void test_receipts(void **state)
{
    struct fixture *fx = *state;
    const char *csv = fx->g.ds[fx->csv].id_text;
    const char *jl = fx->g.ds[fx->jsonl].id_text;
    char dir[4400], path[4800], *p;
    struct dirent *e;
    uint8_t *text;
    size_t len;
    DIR *d;

    {
        const char *a[] = {"receipts", NULL};
        sl_ok(fx, a);
    }
    assert_string_equal(fx->so, "");
    assert_non_null(strstr(fx->se, "no receipts"));
    {
        const char *a[] = {"query", csv, "--all", NULL};
        sl_ok(fx, a);
    }
    {
        const char *a[] = {"query", jl, "--all", NULL};
        sl_ok(fx, a);
    }
    {
        const char *a[] = {"query", csv, "--chunks", "1", NULL};
        sl_ok(fx, a);
    }
    {
        const char *a[] = {"receipts", NULL};
        sl_ok(fx, a);
    }
    assert_non_null(strstr(fx->se, "3 receipts, 3 checked ok"));
    assert_non_null(strstr(fx->so, jl));
    {
        const char *a[] = {"receipts", csv, NULL};
        sl_ok(fx, a);
    }
    assert_non_null(strstr(fx->se, "2 receipts, 2 checked ok"));
    assert_null(strstr(fx->so, jl));
    /* A receipt changed on disk (its cost) no longer checks. */
    snprintf(dir, sizeof dir, "%s/.config/sluice/receipts", fx->home);
    d = opendir(dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL && e->d_name[0] == '.')
        ;
    assert_non_null(e);
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    closedir(d);
    assert_int_equal(testutil_read_file(path, &text, &len), 0);
    text = realloc(text, len + 1);
    text[len] = '\0';
    p = strstr((char *)text, "\\ncost: ");
    assert_non_null(p);
    p[8] = p[8] == '9' ? '8' : '9';
    assert_int_equal(testutil_write_file(path, text, len), 0);
    free(text);
    {
        const char *a[] = {"receipts", NULL};
        sl_ok(fx, a);
    }
    assert_non_null(strstr(fx->se, "3 receipts, 2 checked ok"));
    assert_non_null(strstr(fx->so, "BAD: the receipt's hash"));
}

/* Run a query that fails at the object of chunk `bad` (its bytes
 * tampered with) and return its query id (from the --resume hint). */
static void cut_query(struct fixture *fx, const char *const *args,
                      unsigned bad, char qid[40])
{
    char *p;

    fx->g.tamper = FAKEGW_OBJECT_BYTE;
    fx->g.tamper_chunk = bad;
    assert_int_equal(sl(fx, args), 1);
    fx->g.tamper = FAKEGW_HONEST;
    assert_non_null(strstr(fx->se, "does not hash to its object_id"));
    p = strstr(fx->se, "--resume ");
    assert_non_null(p);
    snprintf(qid, 40, "%.34s", p + 9);
}

static void cache_path(struct fixture *fx, char *out, size_t cap,
                       const char *qid, const char *ext)
{
    snprintf(out, cap, "%s/.cache/sluice/objects%s%s%s", fx->home,
             qid != NULL ? "/" : "", qid != NULL ? qid : "",
             ext != NULL ? ext : "");
}

/* Rows to a file: the cut run leaves FILE.part and its mark, and nothing
 * else; the resume fetches only the chunks after the last one written
 * and continues the file. */
static void test_resume(void **state)
{
    struct fixture *fx = *state;
    const char *id = fx->g.ds[fx->csv1].id_text;
    static const int all[] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const int some[] = {1, 2, 3, 4, 5, 6};
    char path[4400], part[4500], qid[40], cache[4400], mark[4500];
    unsigned queries;
    uint8_t *got;
    size_t len;

    snprintf(path, sizeof path, "%s/all.csv", fx->g.dir);
    snprintf(part, sizeof part, "%s.part", path);
    {
        const char *a[] = {"query", id, "--all", "-o", path, "--parallel",
                           "1", NULL};
        cut_query(fx, a, 2, qid);
    }
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(part, F_OK), 0);
    cache_path(fx, cache, sizeof cache, NULL, NULL);
    cache_path(fx, mark, sizeof mark, qid, ".mark");
    assert_int_equal(count_files(cache), 1);
    assert_int_equal(access(mark, F_OK), 0);
    queries = fx->g.queries;
    fx->g.object_gets = 0;
    {
        /* From another folder, the file named in full: the same file. */
        const char *a[] = {"query", id, "--resume", qid, "-o", path, NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(fx->g.queries, queries);
    assert_int_equal(fx->g.object_gets, 6); /* chunks 2 to 7 */
    assert_non_null(strstr(fx->se, "after the 2 chunks already"));
    assert_non_null(strstr(fx->se, "wrote 8 rows"));
    assert_int_equal(count_files(cache), 0);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    assert_int_equal(len, strlen(rows_text(all, 8, csv_header)));
    assert_memory_equal(got, rows_text(all, 8, csv_header), len);
    free(got);

    /* A range cut twice, resumed twice: the rows asked for, once each.
     * Its answer holds chunks 1 to 6: chunk 3 is its third. */
    snprintf(path, sizeof path, "%s/some.csv", fx->g.dir);
    {
        const char *a[] = {"query", id, "--rows", "1:7", "-o", path,
                           "--parallel", "1", NULL};
        cut_query(fx, a, 3, qid);
    }
    {
        const char *a[] = {"query", id, "--resume", qid, "-o", path,
                           "--parallel", "1", NULL};
        fx->g.object_gets = 0;
        fx->g.tamper = FAKEGW_OBJECT_BYTE;
        fx->g.tamper_chunk = 5;
        assert_int_equal(sl(fx, a), 1);
        fx->g.tamper = FAKEGW_HONEST;
        assert_non_null(strstr(fx->se, "after the 2 chunks already"));
        fx->g.object_gets = 0;
        sl_ok(fx, a);
        assert_int_equal(fx->g.object_gets, 2); /* chunks 5 and 6 */
        assert_non_null(strstr(fx->se, "after the 4 chunks already"));
    }
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    /* The header ends as the first row written does. */
    assert_int_equal(len, strlen(rows_text(some, 6, "id,name,temp,note\n")));
    assert_memory_equal(got, rows_text(some, 6, "id,name,temp,note\n"),
                        len);
    free(got);
    assert_int_equal(count_files(cache), 0);

    /* Resumed into another file: the kept rows are not that file's, so
     * it starts over and comes out whole. */
    snprintf(path, sizeof path, "%s/first.csv", fx->g.dir);
    {
        const char *a[] = {"query", id, "--all", "-o", path, "--parallel",
                           "1", NULL};
        cut_query(fx, a, 4, qid);
    }
    snprintf(path, sizeof path, "%s/second.csv", fx->g.dir);
    fx->g.object_gets = 0;
    {
        const char *a[] = {"query", id, "--resume", qid, "-o", path, NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(fx->g.object_gets, 8);
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    assert_memory_equal(got, rows_text(all, 8, csv_header), len);
    free(got);

    /* A query id of another data-set, or none kept. */
    {
        const char *a[] = {"query", fx->g.ds[fx->jsonl].id_text, "--resume",
                           qid, NULL};
        sl_bad(fx, 2, "was on data-set", a);
    }
    {
        const char *a[] = {"query", id, "--resume",
                           "0x00000000000000000000000000000000", NULL};
        sl_bad(fx, 1, "no receipt of query", a);
    }
}

/* Whole chunks (all, chunks) to a file are written at their places by
 * the download threads: every format, in any order, and a cut with
 * several downloads at once resumed from the last chunk before which all
 * were written. */
static void test_whole_chunks_to_file(void **state)
{
    struct fixture *fx = *state;
    static const int some[] = {0, 1, 2, 6, 7};
    static const int all[] = {0, 1, 2, 3, 4, 5, 6, 7};
    char path[4400], qid[40];
    uint8_t *got;
    size_t len;
    unsigned k;
    const char *p;

    snprintf(path, sizeof path, "%s/whole.out", fx->g.dir);
    {
        const char *a[] = {"query", fx->g.ds[fx->csv].id_text, "--chunks",
                           "0,2", "-o", path, NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    assert_int_equal(len, strlen(rows_text(some, 5, csv_header)));
    assert_memory_equal(got, rows_text(some, 5, csv_header), len);
    free(got);
    assert_non_null(strstr(fx->se, "wrote 5 rows"));
    {
        const char *a[] = {"query", fx->g.ds[fx->jsonl].id_text, "--all",
                           "-o", path, NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    assert_int_equal(len, strlen(jsonl));
    assert_memory_equal(got, jsonl, len);
    free(got);
    {
        const char *a[] = {"query", fx->g.ds[fx->blob].id_text, "--all",
                           "-o", path, "--parallel", "3", NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    assert_int_equal(len, sizeof fx->blob_data);
    assert_memory_equal(got, fx->blob_data, len);
    free(got);
    {
        const char *a[] = {"query", fx->g.ds[fx->csv1].id_text, "--all",
                           "-o", path, "--parallel", "4", NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    assert_int_equal(len, strlen(rows_text(all, 8, csv_header)));
    assert_memory_equal(got, rows_text(all, 8, csv_header), len);
    free(got);
    /* Cut at chunk 5 with four downloads at once: chunks after it may
     * be in the file too, but the resume starts after the last chunk
     * before which every one was written. */
    {
        const char *a[] = {"query", fx->g.ds[fx->csv1].id_text, "--all",
                           "-o", path, "--parallel", "4", NULL};
        cut_query(fx, a, 5, qid);
    }
    fx->g.object_gets = 0;
    {
        const char *a[] = {"query", fx->g.ds[fx->csv1].id_text, "--resume",
                           qid, "-o", path, NULL};
        sl_ok(fx, a);
    }
    p = strstr(fx->se, "after the ");
    k = p != NULL ? (unsigned)strtoul(p + 10, NULL, 10) : 0;
    assert_true(k <= 5);
    assert_int_equal(fx->g.object_gets, 8 - k);
    assert_int_equal(testutil_read_file(path, &got, &len), 0);
    assert_int_equal(len, strlen(rows_text(all, 8, csv_header)));
    assert_memory_equal(got, rows_text(all, 8, csv_header), len);
    free(got);
}

/* Rows to stdout cannot be continued: what was verified waits in one
 * file, the query's pack, checked by hash when the resume reads it. */
static void test_resume_stdout(void **state)
{
    struct fixture *fx = *state;
    const char *id = fx->g.ds[fx->csv].id_text;
    static const int all[] = {0, 1, 2, 3, 4, 5, 6, 7};
    char qid[40], cache[4400], pack[4500];
    unsigned queries;

    {
        const char *a[] = {"query", id, "--all", "--parallel", "1", NULL};
        cut_query(fx, a, 2, qid);
    }
    cache_path(fx, cache, sizeof cache, NULL, NULL);
    cache_path(fx, pack, sizeof pack, qid, ".pack");
    assert_int_equal(count_files(cache), 1);
    assert_int_equal(access(pack, F_OK), 0);
    /* Damage chunk 0's bytes in it: the resume must see that by the hash
     * and fetch chunk 0 again. */
    {
        FILE *fp = fopen(pack, "r+b");
        int c;
        assert_non_null(fp);
        assert_int_equal(fseek(fp, 40, SEEK_SET), 0);
        c = fgetc(fp);
        assert_true(c != EOF);
        assert_int_equal(fseek(fp, 40, SEEK_SET), 0);
        assert_int_equal(fputc(c ^ 0x20, fp), c ^ 0x20);
        assert_int_equal(fclose(fp), 0);
    }
    queries = fx->g.queries;
    fx->g.object_gets = 0;
    {
        const char *a[] = {"query", id, "--resume", qid, NULL};
        sl_ok(fx, a);
    }
    assert_int_equal(fx->g.queries, queries);
    /* The one that failed, and the one damaged in the pack; chunk 1
     * comes from the pack. */
    assert_int_equal(fx->g.object_gets, 2);
    assert_int_equal(count_files(cache), 0); /* dropped once out */
    assert_non_null(strstr(fx->se, "resuming query"));
    assert_string_equal(fx->so, rows_text(all, 8, csv_header));
}

static void test_refusals(void **state)
{
    struct fixture *fx = *state;
    const char *id = fx->g.ds[fx->csv].id_text;
    static const struct {
        const char *args[8];
        int rc;
        const char *want;
    } cases[] = {
        {{"query", NULL}, 2, "DATASET is required"},
        {{"query", "ID", NULL}, 2, "give a selector"},
        {{"query", "ID", "--rows", "5:2", NULL}, 2, "start is past the end"},
        {{"query", "ID", "--rows", "x", NULL}, 2, "--rows takes FROM:TO"},
        {{"query", "ID", "--rows", "1:2", "--all", NULL}, 2,
         "give one selector: --rows and --all"},
        {{"query", "ID", "--where", "temp", NULL}, 2, "has no operator"},
        {{"query", "ID", "--chunks", "1,,2", NULL}, 2, "--chunks takes"},
        {{"query", "ID", "--all", "--max-cost", "01", NULL}, 2,
         "--max-cost"},
        {{"query", "ID", "--all", "--pay", "abc", NULL}, 2, "--pay"},
        {{"query", "ID", "--where", "nope=1", NULL}, 2,
         "the data-set has no column 'nope'"},
        {{"query", "ID", "--where", "temp=hot", NULL}, 2, "holds numbers"},
        {{"query", "ID", "--chunks", "7", NULL}, 2, "chunk 7 does not exist"},
        {{"quote", "ID", NULL}, 2, "give a selector"},
        {{"receipts", "0x12", NULL}, 2, "is not a data-set id"},
    };
    const char *a[8];
    size_t i, k;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (k = 0; k < 8; k++)
            a[k] = cases[i].args[k] != NULL &&
                           strcmp(cases[i].args[k], "ID") == 0
                       ? id
                       : cases[i].args[k];
        sl_bad(fx, cases[i].rc, cases[i].want, a);
        if (cases[i].rc == 2)
            assert_string_equal(fx->so, "");
    }
    assert_int_equal(fx->g.queries, 0);
    /* A receipt that does not match the answer. */
    fx->g.tamper = FAKEGW_RECEIPT_COST;
    {
        const char *b[] = {"query", id, "--all", NULL};
        sl_bad(fx, 1, "the receipt does not match the answer", b);
    }
    fx->g.tamper = FAKEGW_HONEST;
}

/* sluice show prints JSON Lines preview numbers as their own text. */
static void test_show_preview_numbers(void **state)
{
    struct fixture *fx = *state;
    static const char *const rows[] = {
        "{\"a\":0.639,\"b\":1.50,\"c\":-0,\"d\":1e3}",
        "{\"big\":12345678901234567890123,\"tiny\":5e-324,\"x\":1e400}",
        "{\"s\":\"caf\\u00e9\",\"n\":[0.1,0.2],\"o\":{\"p\":100000000000000000000}}",
    };
    char preview[512];

    snprintf(preview, sizeof preview, "[%s,%s,%s]", rows[0], rows[1],
             rows[2]);
    fx->g.preview_raw = preview;
    {
        const char *a[] = {"show", fx->g.ds[fx->jsonl].id_text, NULL};
        sl_ok(fx, a);
    }
    for (size_t i = 0; i < 3; i++) {
        char want[300];
        snprintf(want, sizeof want, "\n  %s\n", rows[i]);
        if (strstr(fx->so, want) == NULL)
            fail_msg("show does not print [%s]:\n%s", rows[i], fx->so);
    }
    assert_null(strstr(fx->so, "0.63900000000000001"));
    /* Numbers jansson can hold print the same way. */
    snprintf(preview, sizeof preview, "[%s]", rows[0]);
    {
        const char *a[] = {"show", fx->g.ds[fx->jsonl].id_text, NULL};
        sl_ok(fx, a);
    }
    assert_non_null(strstr(fx->so, "preview (1 rows):\n  {\"a\":0.639,"));
    /* The worker reads such a view too. */
    snprintf(preview, sizeof preview, "[%s]", rows[1]);
    {
        const char *a[] = {"query", fx->g.ds[fx->jsonl].id_text, "--rows",
                           "0:1", NULL};
        sl_ok(fx, a);
    }
    assert_string_equal(fx->so, "{\"k\":0,\"v\":1.5}\n");
    fx->g.preview_raw = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_query_rows_to_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_stdout_formats, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_payment_and_max_cost, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_quote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whole_chunks_to_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_stdout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_preview_numbers, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
