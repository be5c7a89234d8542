/*
 * bench/story: the worker's whole story, timed, with the real programs:
 * a data-set is published, a worker buys access on chain, waits for the
 * credit, and reads every row back with `sluice query --all`. The figure
 * is the last step, beside the limit of the same objects decrypted and
 * inflated alone on the same cores.
 *
 * A real anvil, the market contract, and a real build/sluiced following
 * them (bench_chain.h: --confirmations C, --poll-ms P). Then, each with
 * the real build/sluice as a user types it:
 *   owner    `sluice key new`, `sluice dataset create --price-metered
 *            per_query=100,per_chunk=2`, `sluice upload ID sensors.csv`
 *            (the --mib MiB CSV of bench_csv_generate) and `sluice
 *            publish ID` (it waits until the gateway has ingested it):
 *            timed, printed, not the figure;
 *   each run, a fresh worker:
 *     `sluice key new`; `sluice dev fund` (anvil's ETH for gas);
 *     `sluice quote ID --all --json` and `--chunks 0 --json` (signed:
 *     the payment a 402 would ask for, for this worker, charging
 *     nothing); `sluice buy ID --worker ADDR --amount <their sum>` from
 *     the worker's own key: sent,
 *     mined, and waited for until the gateway says credited, while the
 *     benchmark mines a block every --block-ms (C - 1 more blocks confirm
 *     it). buy -> credited is the wall time of `sluice buy`;
 *     fixed: `sluice query ID --chunks 0 -o FILE ...`, timed (story_fixed):
 *     what a query costs besides its rows, printed, not the figure;
 *     ours: `sluice query ID --all -o FILE --parallel N --cache DIR`
 *     (DIR in the temporary folder: what the default ~/.cache does): the
 *     paid query, every chunk downloaded from the gateway, hashed,
 *     decrypted with the unwrapped keys, inflated, every row written,
 *     fsynced and renamed. MB/s = the output file's bytes (the CSV, header
 *     included) over the wall time from the start of the process to its
 *     exit; its peak RSS is wait4's ru_maxrss. The file must equal the
 *     source CSV byte for byte, or the benchmark fails;
 *   limit: the same objects, read from the gateway's object store on disk
 *     into memory before the clock, with the chunk keys the worker got
 *     (unwrapped from the answer its receipt keeps): AES-256-GCM open and
 *     inflate, nothing else (bench/read's limit), in --cpus threads, each
 *     pinned to its CPU and taking every --cpus-th object; also on one
 *     thread, printed;
 *   floor: a minimal worker in this process on the same objects and keys
 *     (story_floor_run), durable and not; printed beside ours, and with
 *     fixed added (the floor plus it: a worker process that streamed like
 *     the floor), not the figure.
 * Runs interleave (ours, limit, ours, limit, ...); figures are medians.
 *
 * CPUs: --cpus 2 (the default) pins nothing: the query's threads and the
 * gateway share both CPUs (their CPU seconds are printed per run), and
 * the limit runs two threads, one on each. --cpus 1 pins the gateway and
 * the query to CPU 0, and the limit is one thread on CPU 0. anvil is
 * never pinned (it idles while the query runs).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_chain.h"
#include "bench/bench_http.h"
#include "bench/bench_util.h"
#include "client/http.h"
#include "client/keyfile.h"
#include "client/receipts.h"
#include "lib/hex.h"
#include "lib/keywrap.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "storage/chunkobj.h"
#include "storage/objstore.h"

#include <openssl/sha.h>

#define MAX_RUNS 99
#define MAX_CPUS 2
#define FLOOR_THREADS_MAX 32
#define CLI_TIMEOUT_S 3600.0
#define RSS_GOAL_MIB 64
#define PRICE_FLAG "per_query=100,per_chunk=2"

struct opts {
    uint64_t mib, runs, parallel, cpus, confirmations, poll_ms, block_ms,
        level;
    const char *dir, *sluiced, *sluice, *anvil, *perf, *compare;
};

struct story {
    const struct opts *o;
    char tmp[BENCH_PATH_MAX], csv[BENCH_PATH_MAX];
    char data_dir[BENCH_PATH_MAX], sluiced[BENCH_PATH_MAX];
    char sluice[BENCH_PATH_MAX], gateway[64];
    const char *cli; /* the CLI story_cli runs: sluice, or --compare's */
    char id_text[80];
    uint8_t id[32];
    uint64_t csv_bytes, chunks;
    int cpu; /* where the gateway and the query run: 0 or BENCH_CPU_ANY */
    unsigned seq; /* numbers the CLI's output files */
    struct bench_paid paid;
};

/* ---- running the CLI ------------------------------------------------ */

struct cli_run {
    char out_path[BENCH_PATH_MAX]; /* its stdout */
    char first[256];               /* its first line of stdout */
    double wall;                   /* seconds from fork to reaped */
    struct rusage ru;
};

/* Print the end of the file at path on stderr. */
static void story_tail(const char *path)
{
    char buf[2048];
    FILE *fp = fopen(path, "r");
    long size;
    size_t n;

    if (fp == NULL)
        return;
    if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) > 0 &&
        fseek(fp, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1
                                              : 0,
              SEEK_SET) == 0) {
        n = fread(buf, 1, sizeof buf - 1, fp);
        buf[n] = '\0';
        fprintf(stderr, "%s", buf);
    }
    fclose(fp);
}

/* Run `sluice --gateway URL --key key ARGS...` (args NULL-terminated),
 * after prefix (NULL-terminated, may be NULL: e.g. perf record ...),
 * pinned to s->cpu, its stdout and stderr in files of the temporary
 * folder. With mine set, mine a block every --block-ms while it runs.
 * Returns 0 when it exited 0, with *r set; otherwise -1 with f set (and
 * the end of its stderr on ours). */
static int story_cli(struct story *s, struct cli_run *r,
                     const char *const *prefix, const char *key,
                     const char *const *args, int mine, struct fault *f)
{
    const char *argv[64];
    char err_path[BENCH_PATH_MAX];
    double t0, next_mine;
    size_t n = 0, i;
    pid_t pid = 0;
    int st = 0, rc;
    FILE *fp;

    memset(r, 0, sizeof *r);
    s->seq++;
    if (bench_pathf(r->out_path, sizeof r->out_path, f, "%s/cli-%u.out",
                    s->tmp, s->seq) < 0 ||
        bench_pathf(err_path, sizeof err_path, f, "%s/cli-%u.err", s->tmp,
                    s->seq) < 0)
        return -1;
    for (i = 0; prefix != NULL && prefix[i] != NULL; i++)
        argv[n++] = prefix[i];
    argv[n++] = s->cli;
    argv[n++] = "--gateway";
    argv[n++] = s->gateway;
    argv[n++] = "--key";
    argv[n++] = key;
    for (i = 0; args[i] != NULL && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    t0 = bench_now();
    next_mine = t0 + (double)s->o->block_ms / 1000.0;
    if (bench_proc_spawn(&pid, argv, s->cpu, r->out_path, err_path, f) < 0)
        return -1;
    for (;;) {
        rc = bench_proc_wait_ru(pid, mine ? 0.02 : CLI_TIMEOUT_S, &st,
                                &r->ru, f);
        if (rc < 0)
            goto fail;
        if (rc == 0)
            break;
        if (bench_interrupted()) {
            fault_set(f, FAULT_IO, NULL, "interrupted");
            goto fail;
        }
        if (!mine || bench_now() - t0 > CLI_TIMEOUT_S) {
            fault_set(f, FAULT_IO, NULL, "sluice %s ran for more than %.0f "
                      "s", args[0], CLI_TIMEOUT_S);
            goto fail;
        }
        if (bench_now() >= next_mine) {
            if (bench_chain_mine(&s->paid.chain, 1, f) < 0)
                goto fail;
            next_mine += (double)s->o->block_ms / 1000.0;
        }
    }
    r->wall = bench_now() - t0;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench/story: the end of sluice %s's output:\n",
                args[0]);
        story_tail(err_path);
        story_tail(r->out_path);
        return fault_set(f, FAULT_INTERNAL, NULL, "sluice %s failed (exit "
                         "status 0x%x)", args[0], (unsigned)st);
    }
    fp = fopen(r->out_path, "r");
    if (fp != NULL) {
        if (fgets(r->first, sizeof r->first, fp) != NULL)
            r->first[strcspn(r->first, "\r\n")] = '\0';
        fclose(fp);
    }
    return 0;
fail:
    bench_proc_stop(pid, 5);
    return -1;
}

static double story_ru_cpu(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
           (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

/* ---- the owner ------------------------------------------------------ */

/* Publish the CSV as the owner would, and say how long it took. */
static int story_publish(struct story *s, struct fault *f)
{
    char key[BENCH_PATH_MAX];
    struct cli_run r;
    struct bench_http_reply rep;
    char target[128];
    json_t *doc;
    double up, pub;

    if (bench_pathf(key, sizeof key, f, "%s/owner/key", s->tmp) < 0 ||
        story_cli(s, &r, NULL, key, (const char *[]){"key", "new", NULL}, 0,
                  f) < 0 ||
        story_cli(s, &r, NULL, key,
                  (const char *[]){"dataset", "create", "--name", "sensors",
                                   "--format", "csv", "--price-metered",
                                   PRICE_FLAG, NULL},
                  0, f) < 0)
        return -1;
    snprintf(s->id_text, sizeof s->id_text, "%.66s", r.first);
    if (hex_decode_0x(s->id, sizeof s->id, s->id_text, strlen(s->id_text),
                      "id", f) < 0)
        return -1;
    if (story_cli(s, &r, NULL, key,
                  (const char *[]){"upload", s->id_text, s->csv, NULL}, 0,
                  f) < 0)
        return -1;
    up = r.wall;
    if (story_cli(s, &r, NULL, key,
                  (const char *[]){"publish", s->id_text, NULL}, 0, f) < 0)
        return -1;
    pub = r.wall;
    snprintf(target, sizeof target, "/v1/datasets/%s", s->id_text);
    if (bench_http_do(&rep, s->paid.gw.port, "GET", target, NULL, NULL, 0,
                      -1, 0, 30, f) < 0)
        return -1;
    doc = json_loadb(rep.body, rep.body_len, 0, NULL);
    s->chunks = (uint64_t)json_integer_value(
        json_object_get(doc, "chunk_count"));
    json_decref(doc);
    bench_http_reply_clear(&rep);
    if (s->chunks == 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "the published data-set "
                         "has no chunk_count");
    printf("owner: sluice upload %.2f s + sluice publish %.2f s = %.1f MB/s "
           "of CSV; %s, %" PRIu64 " chunks\n", up, pub,
           bench_mbps(s->csv_bytes, up + pub), s->id_text, s->chunks);
    fflush(stdout);
    return 0;
}

/* ---- a worker ------------------------------------------------------- */

struct worker_run {
    char key[BENCH_PATH_MAX];
    char out[BENCH_PATH_MAX];
    double buy_s;        /* sluice buy: sent, mined, confirmed, credited */
    double wall;         /* sluice query */
    double cpu, gw_cpu;  /* the query's CPU seconds, the gateway's */
    long rss_kib;
    uint64_t bytes;      /* the output file's */
};

/* "0.000000612" from a decimal number of wei (ETH has 18 decimals). */
static int story_wei_eth(char *out, size_t cap, const char *wei,
                         struct fault *f)
{
    static const char zeros[] = "000000000000000000";
    size_t n = wei != NULL ? strlen(wei) : 0;

    if (n == 0 || n > 40 || strspn(wei, "0123456789") != n)
        return fault_set(f, FAULT_INTERNAL, NULL, "the quote's value_wei is "
                         "'%.60s'", wei != NULL ? wei : "(none)");
    if (n > 18)
        snprintf(out, cap, "%.*s.%s", (int)(n - 18), wei, wei + n - 18);
    else
        snprintf(out, cap, "0.%.*s%s", (int)(18 - n), zeros, wei);
    return 0;
}

/* Add the decimal number of wei `add` to the one in sum[0..cap). */
static int story_wei_sum(char *sum, size_t cap, const char *add,
                         struct fault *f)
{
    size_t n = add != NULL ? strlen(add) : 0;
    unsigned long long a, b;

    if (n == 0 || n > 19 || strspn(add, "0123456789") != n)
        return fault_set(f, FAULT_INTERNAL, NULL, "the quote's value_wei is "
                         "'%.60s'", add != NULL ? add : "(none)");
    a = strtoull(sum, NULL, 10);
    b = strtoull(add, NULL, 10);
    if (a > ULLONG_MAX - b)
        return fault_set(f, FAULT_INTERNAL, NULL, "value_wei overflows");
    snprintf(sum, cap, "%llu", a + b);
    return 0;
}

/* A fresh worker buys what `sluice quote` says its two queries need:
 * --all, and the one chunk of story_fixed. */
static int story_buy(struct story *s, struct worker_run *w, unsigned run,
                     struct fault *f)
{
    char addr[ETHADDR_TEXT_SIZE], eth[64], sum[48] = "0";
    const char *value;
    struct cli_run r;
    json_t *doc = NULL;
    json_error_t je;
    int rv = -1;

    if (bench_pathf(w->key, sizeof w->key, f, "%s/worker-%u/key", s->tmp,
                    run) < 0 ||
        story_cli(s, &r, NULL, w->key, (const char *[]){"key", "new", NULL},
                  0, f) < 0)
        return -1;
    snprintf(addr, sizeof addr, "%.42s", r.first);
    if (story_cli(s, &r, NULL, w->key,
                  (const char *[]){"dev", "fund", addr, "--amount", "1",
                                   "--rpc-url", s->paid.node.url, NULL},
                  0, f) < 0 ||
        story_cli(s, &r, NULL, w->key,
                  (const char *[]){"quote", s->id_text, "--all", "--json",
                                   NULL},
                  0, f) < 0)
        return -1;
    doc = json_load_file(r.out_path, 0, &je);
    value = json_string_value(json_object_get(
        json_object_get(doc, "payment"), "value_wei"));
    if (story_wei_sum(sum, sizeof sum, value, f) < 0)
        goto done;
    json_decref(doc);
    /* and the one-chunk query that measures what a query costs besides
     * its rows (story_fixed) */
    if (story_cli(s, &r, NULL, w->key,
                  (const char *[]){"quote", s->id_text, "--chunks", "0",
                                   "--json", NULL},
                  0, f) < 0)
        return -1;
    doc = json_load_file(r.out_path, 0, &je);
    value = json_string_value(json_object_get(
        json_object_get(doc, "payment"), "value_wei"));
    if (story_wei_sum(sum, sizeof sum, value, f) < 0 ||
        story_wei_eth(eth, sizeof eth, sum, f) < 0)
        goto done;
    if (story_cli(s, &r, NULL, w->key,
                  (const char *[]){"buy", s->id_text, "--worker", addr,
                                   "--amount", eth, "--rpc-url",
                                   s->paid.node.url, NULL},
                  1, f) < 0)
        goto done;
    w->buy_s = r.wall;
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

/* The query, timed, and its output checked against the source. */
static int story_query(struct story *s, struct worker_run *w, unsigned run,
                       const char *const *prefix, struct fault *f)
{
    char cache[BENCH_PATH_MAX], par[24];
    struct cli_run r;
    struct stat st;
    double g0, g1;
    uint64_t size = 0;

    snprintf(par, sizeof par, "%" PRIu64, s->o->parallel);
    if (bench_pathf(w->out, sizeof w->out, f, "%s/rows-%u.csv", s->tmp,
                    run) < 0 ||
        bench_pathf(cache, sizeof cache, f, "%s/cache", s->tmp) < 0)
        return -1;
    g0 = bench_proc_cpu(s->paid.gw.pid);
    if (story_cli(s, &r, prefix, w->key,
                  (const char *[]){"query", s->id_text, "--all", "-o",
                                   w->out, "--parallel", par, "--cache",
                                   cache, NULL},
                  0, f) < 0)
        return -1;
    g1 = bench_proc_cpu(s->paid.gw.pid);
    w->wall = r.wall;
    w->cpu = story_ru_cpu(&r.ru);
    w->gw_cpu = g0 >= 0 && g1 >= 0 ? g1 - g0 : 0;
    w->rss_kib = r.ru.ru_maxrss;
    if (stat(w->out, &st) < 0)
        return fault_set(f, FAULT_IO, NULL, "sluice query wrote no %s",
                         w->out);
    w->bytes = (uint64_t)st.st_size;
    if (bench_file_compare(s->csv, w->out, &size, f) != 0)
        return -1;
    return 0;
}

/* What a query costs besides its rows: the wall time of the same worker's
 * query of chunk 0 alone (1 MiB) to a file, into *secs. A process starts,
 * reads the chain and the data-set's view, sends a paid query, checks the
 * answer, starts its downloads, fetches and opens one object, makes the
 * file durable and exits: every step of the --all query but the
 * streaming, each of them cheaper here (one key to wrap and unwrap, not
 * 256). Its rows are checked: the first bytes of the source. */
static int story_fixed(struct story *s, struct worker_run *w, unsigned run,
                       double *secs, struct fault *f)
{
    char out[BENCH_PATH_MAX], cache[BENCH_PATH_MAX], par[24];
    uint8_t a[65536], b[65536];
    struct cli_run r;
    size_t na, nb;
    FILE *fa = NULL, *fb = NULL;
    uint64_t size = 0;
    int rv = -1;

    snprintf(par, sizeof par, "%" PRIu64, s->o->parallel);
    if (bench_pathf(out, sizeof out, f, "%s/chunk0-%u.csv", s->tmp, run) <
            0 ||
        bench_pathf(cache, sizeof cache, f, "%s/cache", s->tmp) < 0 ||
        story_cli(s, &r, NULL, w->key,
                  (const char *[]){"query", s->id_text, "--chunks", "0",
                                   "-o", out, "--parallel", par, "--cache",
                                   cache, NULL},
                  0, f) < 0)
        return -1;
    *secs = r.wall;
    fa = fopen(out, "rb");
    fb = fopen(s->csv, "rb");
    if (fa == NULL || fb == NULL) {
        fault_set(f, FAULT_IO, NULL, "the one-chunk query's file or the "
                  "source cannot be read");
        goto done;
    }
    while ((na = fread(a, 1, sizeof a, fa)) > 0) {
        nb = fread(b, 1, na, fb);
        if (nb != na || memcmp(a, b, na) != 0) {
            fault_set(f, FAULT_CORRUPT, NULL, "the one-chunk query's rows "
                      "differ from the source after %" PRIu64 " bytes",
                      size);
            goto done;
        }
        size += na;
    }
    if (size == 0) {
        fault_set(f, FAULT_CORRUPT, NULL, "the one-chunk query wrote no "
                  "rows");
        goto done;
    }
    rv = 0;
done:
    if (fa != NULL)
        fclose(fa);
    if (fb != NULL)
        fclose(fb);
    unlink(out);
    return rv;
}

/* The same purchase and query with --compare's CLI, its MB/s in *mbps. */
static int story_compare(struct story *s, unsigned run, double *mbps,
                         struct fault *f)
{
    struct worker_run w;
    int rv;

    memset(&w, 0, sizeof w);
    if (story_buy(s, &w, run + MAX_RUNS, f) < 0)
        return -1;
    s->cli = s->o->compare;
    rv = story_query(s, &w, run + MAX_RUNS, NULL, f);
    s->cli = s->sluice;
    if (rv < 0)
        return -1;
    unlink(w.out);
    *mbps = bench_mbps(w.bytes, w.wall);
    printf("  run %u compare %s  %7.1f MB/s  %6.2f s  cpu %5.2f s\n",
           run + 1, s->o->compare, *mbps, w.wall, w.cpu);
    return 0;
}

/* ---- the limit ------------------------------------------------------ */

struct limit_set {
    struct bench_object *v;
    size_t n;
    size_t max_plain, max_len;
    char (*ids)[65];      /* v[i]'s object id */
    uint64_t *plain_off;  /* where v[i]'s plaintext starts in the rows */
    uint64_t plain_total;
};

static void story_limit_free(struct limit_set *ls)
{
    bench_objects_free(ls->v, ls->n);
    free(ls->ids);
    free(ls->plain_off);
    memset(ls, 0, sizeof *ls);
}

/* Keep the receipt whose answer has the most chunks: the --all query's,
 * not story_fixed's. */
static int story_largest_receipt(void *arg, const char *name,
                                 const json_t *record, struct fault *f)
{
    json_t **out = arg;
    size_t have, n;

    (void)name;
    (void)f;
    if (record == NULL)
        return 0;
    n = json_array_size(json_object_get(json_object_get(record, "answer"),
                                        "chunks"));
    have = *out == NULL ? 0
                        : json_array_size(json_object_get(
                              json_object_get(*out, "answer"), "chunks"));
    if (*out == NULL || n > have) {
        json_decref(*out);
        *out = json_incref((json_t *)record);
    }
    return 0;
}

/* Load every object of the worker's query from the gateway's object store,
 * with the chunk key the worker's answer wraps for it. */
static int story_limit_load(struct story *s, struct limit_set *ls,
                            const char *key_path, struct fault *f)
{
    char dir[RECEIPTS_PATH_MAX], root[BENCH_PATH_MAX];
    struct keywrap_entry *e = NULL;
    struct objstore *os = NULL;
    struct keywrap wrap;
    struct ethkey key;
    json_t *rec = NULL, *answer, *chunks, *c;
    const char *qid_text;
    uint8_t qid[16];
    size_t ne = 0, i;
    int rv = -1;

    memset(&wrap, 0, sizeof wrap);
    memset(&key, 0, sizeof key);
    memset(ls, 0, sizeof *ls);
    if (keyfile_load(&key, key_path, f) < 0 ||
        receipts_dir(dir, sizeof dir, key_path, f) < 0 ||
        receipts_each(dir, story_largest_receipt, &rec, f) < 0)
        goto done;
    answer = json_object_get(rec, "answer");
    chunks = json_object_get(answer, "chunks");
    qid_text = json_string_value(json_object_get(answer, "query_id"));
    if (qid_text == NULL || !json_is_array(chunks)) {
        fault_set(f, FAULT_INTERNAL, NULL, "no receipt with an answer in %s",
                  dir);
        goto done;
    }
    if (hex_decode_0x(qid, sizeof qid, qid_text, strlen(qid_text),
                      "query_id", f) < 0 ||
        keywrap_from_json(&wrap, json_object_get(answer, "keys"), f) < 0 ||
        keywrap_open(&e, &ne, &wrap, key.secret, s->id, qid, f) < 0 ||
        bench_pathf(root, sizeof root, f, "%s/objects", s->data_dir) < 0 ||
        objstore_open(&os, root, f) < 0)
        goto done;
    if (ne != json_array_size(chunks)) {
        fault_set(f, FAULT_INTERNAL, NULL, "%zu keys for %zu chunks", ne,
                  json_array_size(chunks));
        goto done;
    }
    ls->v = calloc(ne > 0 ? ne : 1, sizeof *ls->v);
    ls->ids = calloc(ne > 0 ? ne : 1, sizeof *ls->ids);
    ls->plain_off = calloc(ne > 0 ? ne : 1, sizeof *ls->plain_off);
    if (ls->v == NULL || ls->ids == NULL || ls->plain_off == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    json_array_foreach(chunks, i, c) {
        struct bench_object *o = &ls->v[i];
        const char *id = json_string_value(json_object_get(c, "object_id"));
        json_int_t index = json_integer_value(json_object_get(c, "index"));
        json_int_t stored =
            json_integer_value(json_object_get(c, "stored_bytes"));
        json_int_t plain =
            json_integer_value(json_object_get(c, "plain_bytes"));

        if (id == NULL || strlen(id) != 64 || stored <= 0 || plain < 0 ||
            e[i].index != (uint64_t)index) {
            fault_set(f, FAULT_INTERNAL, NULL, "chunk %zu of the answer does "
                      "not match its key", i);
            goto done;
        }
        if (objstore_get(os, &o->data, &o->len, id, (size_t)stored, f) < 0)
            goto done;
        ls->n = i + 1;
        o->index = (uint64_t)index;
        memcpy(o->ck, e[i].ck, sizeof o->ck);
        memcpy(ls->ids[i], id, 65);
        ls->plain_off[i] = ls->plain_total;
        ls->plain_total += (uint64_t)plain;
        if ((size_t)plain > ls->max_plain)
            ls->max_plain = (size_t)plain;
        if (o->len > ls->max_len)
            ls->max_len = o->len;
    }
    rv = 0;
done:
    keywrap_entries_free(e, ne);
    keywrap_clear(&wrap);
    ethkey_wipe(&key);
    objstore_close(os);
    json_decref(rec);
    return rv;
}

struct limit_thread {
    const struct limit_set *ls;
    const uint8_t *id;
    size_t first, step;
    int cpu;
    uint64_t bytes;
    int rc;
    struct fault f;
};

static void *story_limit_main(void *arg)
{
    struct limit_thread *t = arg;
    uint8_t *payload = malloc(t->ls->max_len + 1);
    uint8_t *plain = malloc(t->ls->max_plain + 1);

    t->rc = -1;
    if (payload == NULL || plain == NULL)
        fault_set(&t->f, FAULT_INTERNAL, NULL, "out of memory");
    else if (bench_cpu_pin(t->cpu, &t->f) == 0)
        t->rc = bench_objects_open(t->ls->v, t->ls->n, t->first, t->step,
                                   t->id, payload, plain, &t->bytes, &t->f);
    if (payload != NULL)
        secret_free(payload, t->ls->max_len + 1);
    if (plain != NULL)
        secret_free(plain, t->ls->max_plain + 1);
    return NULL;
}

/* Open and inflate every object in nthreads threads, thread i pinned to
 * CPU i; MB/s of plaintext over the wall time, CPU seconds in *cpu. */
static int story_limit_run(const struct limit_set *ls, const uint8_t id[32],
                           unsigned nthreads, double *mbps, double *cpu,
                           struct fault *f)
{
    struct limit_thread t[MAX_CPUS];
    pthread_t tid[MAX_CPUS];
    uint64_t bytes = 0;
    double t0, c0, secs;
    unsigned i, started = 0;
    int rv = 0;

    t0 = bench_now();
    c0 = bench_cpu_now();
    for (i = 0; i < nthreads; i++) {
        memset(&t[i], 0, sizeof t[i]);
        t[i].ls = ls;
        t[i].id = id;
        t[i].first = i;
        t[i].step = nthreads;
        t[i].cpu = (int)i;
        if (pthread_create(&tid[i], NULL, story_limit_main, &t[i]) != 0) {
            rv = fault_set(f, FAULT_INTERNAL, NULL, "pthread_create failed");
            break;
        }
        /* named, so that a profile of the whole machine tells them apart */
        (void)pthread_setname_np(tid[i], "story-limit");
        started++;
    }
    for (i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        if (t[i].rc < 0 && rv == 0) {
            *f = t[i].f;
            rv = -1;
        }
        bytes += t[i].bytes;
    }
    secs = bench_now() - t0;
    *cpu = bench_cpu_now() - c0;
    *mbps = bench_mbps(bytes, secs);
    return rv;
}

/* ---- a minimal worker ------------------------------------------------ */

/* The floor: what any worker must do for these rows after its query is
 * answered, and nothing more: GET each object from the gateway, check its
 * SHA-256, open and inflate it, write the plaintext at its place in one
 * file, and make the file durable. No receipt, no row checks, no cache, no
 * process start; its threads unpinned like ours, sharing the CPUs with
 * sluiced. Durable two ways, each printed: the file made durable while it
 * is written (fdatasync every FLOOR_SYNC_BYTES from the main thread, then
 * fsync: what sluice query does, client/outfile.h), and not at all (the
 * dirty pages left to the kernel after the clock stops: no worker that
 * keeps its promise of a whole file can do better). */
#define FLOOR_SYNC_BYTES ((uint64_t)16 << 20)

struct floor_run {
    const struct limit_set *ls;
    const uint8_t *id;
    struct http_url url;
    int fd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;
    uint64_t written;
    unsigned running;
    int rc;
    struct fault f;
};

static int story_floor_one(struct floor_run *fr, struct http_client *c,
                           struct chunkobj_opener *op, uint8_t **buf,
                           size_t *cap, size_t k, struct fault *f)
{
    const struct bench_object *o = &fr->ls->v[k];
    struct http_response r;
    char target[128], hex[65];
    uint8_t digest[32];
    size_t len = 0, off = 0;
    ssize_t n;
    int rv = -1;

    snprintf(target, sizeof target, "/v1/objects/%s", fr->ls->ids[k]);
    c->max_body = o->len;
    if (http_client_request(c, &r, "GET", target, NULL, 0, NULL, 0, NULL,
                            NULL, f) < 0)
        return -1;
    if (r.status != 200 || r.body_len != o->len) {
        fault_set(f, FAULT_CORRUPT, NULL, "GET %s: HTTP %d, %zu bytes",
                  target, r.status, r.body_len);
        goto done;
    }
    SHA256(r.body, r.body_len, digest);
    if (hex_encode(hex, sizeof hex, digest, sizeof digest) < 0 ||
        strcmp(hex, fr->ls->ids[k]) != 0) {
        fault_set(f, FAULT_CORRUPT, NULL, "object %zu: a wrong hash", k);
        goto done;
    }
    if (chunkobj_opener_open(op, buf, cap, &len, o->ck, fr->id, o->index,
                             r.body, r.body_len, f) < 0)
        goto done;
    while (off < len) {
        n = pwrite(fr->fd, *buf + off, len - off,
                   (off_t)(fr->ls->plain_off[k] + off));
        if (n <= 0) {
            fault_set(f, FAULT_IO, NULL, "pwrite: %s", strerror(errno));
            goto done;
        }
        off += (size_t)n;
    }
    pthread_mutex_lock(&fr->mu);
    fr->written += len;
    pthread_cond_signal(&fr->cv);
    pthread_mutex_unlock(&fr->mu);
    rv = 0;
done:
    http_client_keep_body(c, &r);
    return rv;
}

static void *story_floor_main(void *arg)
{
    struct floor_run *fr = arg;
    struct chunkobj_opener *op = NULL;
    struct http_client c;
    struct fault f;
    uint8_t *buf = NULL;
    size_t cap = 0, k;

    fault_clear(&f);
    http_client_init(&c, &fr->url);
    if (chunkobj_opener_new(&op, &f) < 0)
        goto fail;
    for (;;) {
        pthread_mutex_lock(&fr->mu);
        k = fr->rc < 0 ? fr->ls->n : fr->next++;
        pthread_mutex_unlock(&fr->mu);
        if (k >= fr->ls->n)
            break;
        if (story_floor_one(fr, &c, op, &buf, &cap, k, &f) < 0)
            goto fail;
    }
    goto done;
fail:
    pthread_mutex_lock(&fr->mu);
    if (fr->rc == 0) {
        fr->rc = -1;
        fr->f = f;
    }
    pthread_mutex_unlock(&fr->mu);
done:
    secret_free(buf, cap);
    chunkobj_opener_free(op);
    http_client_free(&c);
    pthread_mutex_lock(&fr->mu);
    fr->running--;
    pthread_cond_signal(&fr->cv);
    pthread_mutex_unlock(&fr->mu);
    return NULL;
}

/* Run the minimal worker with nthreads threads into a file in the
 * temporary folder, durable (made so as it grows, then fsync) or not;
 * MB/s of plaintext over the wall time, from the first GET to the fsync's
 * return or the last write; our CPU and the gateway's in *cpu, *gw_cpu. */
static int story_floor_run(struct story *s, const struct limit_set *ls,
                           unsigned nthreads, int durable, double *mbps,
                           double *cpu, double *gw_cpu, struct fault *f)
{
    pthread_t tid[FLOOR_THREADS_MAX];
    struct floor_run fr;
    char path[BENCH_PATH_MAX];
    double t0, c0, g0, g1;
    unsigned i, started = 0;
    int rv = -1;

    memset(&fr, 0, sizeof fr);
    fr.ls = ls;
    fr.id = s->id;
    fr.fd = -1;
    if (nthreads > FLOOR_THREADS_MAX)
        nthreads = FLOOR_THREADS_MAX;
    if (http_url_parse(&fr.url, s->gateway, NULL, f) < 0 ||
        bench_pathf(path, sizeof path, f, "%s/floor.csv", s->tmp) < 0)
        return -1;
    pthread_mutex_init(&fr.mu, NULL);
    pthread_cond_init(&fr.cv, NULL);
    t0 = bench_now();
    c0 = bench_cpu_now();
    g0 = bench_proc_cpu(s->paid.gw.pid);
    fr.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fr.fd < 0) {
        fault_set(f, FAULT_IO, NULL, "cannot write %s: %s", path,
                  strerror(errno));
        goto done;
    }
    fr.running = nthreads;
    for (i = 0; i < nthreads; i++) {
        if (pthread_create(&tid[i], NULL, story_floor_main, &fr) != 0)
            break;
        (void)pthread_setname_np(tid[i], "story-floor");
        started++;
    }
    pthread_mutex_lock(&fr.mu);
    fr.running -= nthreads - started;
    {
        uint64_t synced = 0, now;
        while (fr.running > 0) {
            pthread_cond_wait(&fr.cv, &fr.mu);
            now = fr.written;
            if (!durable || now - synced < FLOOR_SYNC_BYTES)
                continue;
            pthread_mutex_unlock(&fr.mu);
            (void)sync_file_range(fr.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
            (void)fdatasync(fr.fd);
            synced = now;
            pthread_mutex_lock(&fr.mu);
        }
    }
    pthread_mutex_unlock(&fr.mu);
    for (i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    if (started == 0 || fr.rc < 0) {
        if (started == 0)
            fault_set(f, FAULT_INTERNAL, NULL, "pthread_create failed");
        else
            *f = fr.f;
        goto done;
    }
    if (durable && fsync(fr.fd) < 0) {
        fault_set(f, FAULT_IO, NULL, "fsync: %s", strerror(errno));
        goto done;
    }
    *mbps = bench_mbps(ls->plain_total, bench_now() - t0);
    *cpu = bench_cpu_now() - c0;
    g1 = bench_proc_cpu(s->paid.gw.pid);
    *gw_cpu = g0 >= 0 && g1 >= 0 ? g1 - g0 : 0;
    rv = 0;
done:
    if (fr.fd >= 0)
        close(fr.fd);
    unlink(path);
    pthread_cond_destroy(&fr.cv);
    pthread_mutex_destroy(&fr.mu);
    return rv;
}

/* ---- main ----------------------------------------------------------- */

static const char about[] =
    "bench/story: a data-set published, a worker's purchase on anvil, the "
    "credit, and `sluice query --all -o FILE` against build/sluiced, beside "
    "AES-256-GCM open + inflate of the same objects on the same cores";

int main(int argc, char **argv)
{
    struct opts o = {256, 3, 4, MAX_CPUS, 2, 1000, 1000, 1,
                     NULL, NULL, NULL, NULL, NULL, NULL};
    const struct bench_flag flags[] = {
        {"mib", BENCH_FLAG_UINT, &o.mib, 1, 65536,
         "size of the data-set's CSV in MiB"},
        {"runs", BENCH_FLAG_UINT, &o.runs, 1, MAX_RUNS,
         "runs (each a fresh worker); figures are their medians"},
        {"parallel", BENCH_FLAG_UINT, &o.parallel, 1, 32,
         "sluice query --parallel"},
        {"cpus", BENCH_FLAG_UINT, &o.cpus, 1, MAX_CPUS,
         "CPUs: 2 pins nothing and the limit runs 2 threads; 1 pins the "
         "gateway and the query to CPU 0, the limit 1 thread"},
        {"confirmations", BENCH_FLAG_UINT, &o.confirmations, 1, 100,
         "the gateway's --confirmations"},
        {"poll-ms", BENCH_FLAG_UINT, &o.poll_ms, 10, 60000,
         "the gateway's --poll-ms"},
        {"block-ms", BENCH_FLAG_UINT, &o.block_ms, 10, 60000,
         "a block mined every so often while sluice buy waits"},
        {"level", BENCH_FLAG_UINT, &o.level, 0, 9,
         "the gateway's --zlib-level"},
        {"dir", BENCH_FLAG_STR, &o.dir, 0, 0,
         "folder for the temporary files (default $TMPDIR or /tmp)"},
        {"sluiced", BENCH_FLAG_STR, &o.sluiced, 0, 0,
         "the gateway (default $SLUICED, else build/sluiced)"},
        {"sluice", BENCH_FLAG_STR, &o.sluice, 0, 0,
         "the CLI (default $SLUICE, else build/sluice)"},
        {"anvil", BENCH_FLAG_STR, &o.anvil, 0, 0,
         "anvil (default $SLUICE_ANVIL, else node_modules/.bin/anvil)"},
        {"perf", BENCH_FLAG_STR, &o.perf, 0, 0,
         "after the runs, one more query under `perf record -g` into this "
         "file (not in the figures)"},
        {"compare", BENCH_FLAG_STR, &o.compare, 0, 0,
         "another CLI to run the same query with in each run, before ours "
         "in every other run, for an A/B of a change on a machine whose "
         "speed drifts (printed beside ours, not in the RESULT)"},
    };
    struct story s;
    struct worker_run w;
    struct limit_set ls;
    double ours[MAX_RUNS], lim[MAX_RUNS], lim1[MAX_RUNS], buy[MAX_RUNS],
        flo[MAX_RUNS], flo0[MAX_RUNS], cmp[MAX_RUNS], cmp_ratio[MAX_RUNS],
        of_floor[MAX_RUNS], fixed[MAX_RUNS], ideal[MAX_RUNS];
    double wall[MAX_RUNS], cpu[MAX_RUNS], gcpu[MAX_RUNS], rss[MAX_RUNS];
    double rss_max = 0, med_ours, med_lim;
    char level[8];
    const char *gw_extra[] = {"--zlib-level", level, NULL};
    uint64_t written = 0;
    struct fault f;
    unsigned r;
    int rc;
    int rv = 1;

    fault_clear(&f);
    memset(&s, 0, sizeof s);
    memset(&ls, 0, sizeof ls);
    s.o = &o;
    s.cli = s.sluice;
    rc = bench_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv,
                           about, &f);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "bench/story: %s\n", f.detail);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(LOG_WARN);
    bench_signals_install();
    if (o.cpus > (uint64_t)bench_cpu_count())
        o.cpus = (uint64_t)bench_cpu_count();
    s.cpu = o.cpus == 1 ? 0 : BENCH_CPU_ANY;
    snprintf(level, sizeof level, "%" PRIu64, o.level);
    if (bench_sluiced_find(s.sluiced, sizeof s.sluiced, o.sluiced, argv[0],
                           &f) < 0 ||
        bench_exe_find(s.sluice, sizeof s.sluice, o.sluice, "SLUICE",
                       argv[0], "build/sluice", "sluice", &f) < 0 ||
        bench_tmpdir_make(s.tmp, sizeof s.tmp, o.dir, &f) < 0 ||
        bench_pathf(s.csv, sizeof s.csv, &f, "%s/sensors.csv", s.tmp) < 0 ||
        bench_pathf(s.data_dir, sizeof s.data_dir, &f, "%s/data", s.tmp) < 0)
        goto done;
    printf("bench/story: %" PRIu64 " MiB CSV, %" PRIu64 " runs, sluice "
           "query --parallel %" PRIu64 ", confirmations %" PRIu64 ", poll "
           "%" PRIu64 " ms, in %s\n", o.mib, o.runs, o.parallel,
           o.confirmations, o.poll_ms, s.tmp);
    if (o.cpus == 1)
        printf("CPUs: sluiced and sluice query pinned to CPU 0; the limit "
               "one thread on CPU 0; anvil unpinned\n");
    else
        printf("CPUs: nothing pinned (sluiced and sluice query share the "
               "%" PRIu64 " CPUs); the limit %" PRIu64 " threads, one "
               "pinned to each\n", o.cpus, o.cpus);
    bench_print_load("start");
    bench_warn_busy();
    fflush(stdout);
    if (bench_csv_generate(s.csv, o.mib * BENCH_MIB, &written, &f) < 0 ||
        bench_file_warm(s.csv, &s.csv_bytes, &f) < 0 ||
        bench_paid_start(&s.paid, s.sluiced, o.anvil, argv[0], s.data_dir,
                         s.tmp, s.cpu, o.confirmations, o.poll_ms, gw_extra,
                         &f) < 0)
        goto done;
    snprintf(s.gateway, sizeof s.gateway, "http://127.0.0.1:%u",
             (unsigned)s.paid.gw.port);
    if (story_publish(&s, &f) < 0)
        goto done;

    for (r = 0; r < o.runs; r++) {
        double c1, g1;

        if (o.compare != NULL && r % 2 == 0 &&
            story_compare(&s, r, &cmp[r], &f) < 0)
            goto done;
        memset(&w, 0, sizeof w);
        if (story_buy(&s, &w, r, &f) < 0 ||
            story_fixed(&s, &w, r, &fixed[r], &f) < 0 ||
            story_query(&s, &w, r, NULL, &f) < 0)
            goto done;
        unlink(w.out);
        ours[r] = bench_mbps(w.bytes, w.wall);
        wall[r] = w.wall;
        cpu[r] = w.cpu;
        gcpu[r] = w.gw_cpu;
        rss[r] = (double)w.rss_kib / 1024.0;
        buy[r] = w.buy_s;
        if (rss[r] > rss_max)
            rss_max = rss[r];
        printf("  run %u ours  sluice query --all  %7.1f MB/s  %6.2f s  "
               "cpu: query %5.2f s + sluiced %5.2f s (%3.0f%% of %" PRIu64
               " CPUs)  peak RSS %5.1f MiB  rows equal the source (%" PRIu64
               " bytes)  buy -> credited %.2f s\n", r + 1, ours[r], w.wall,
               w.cpu, w.gw_cpu,
               100 * (w.cpu + w.gw_cpu) / w.wall / (double)o.cpus, o.cpus,
               rss[r], w.bytes, w.buy_s);
        fflush(stdout);
        if (o.compare != NULL && r % 2 == 1 &&
            story_compare(&s, r, &cmp[r], &f) < 0)
            goto done;
        cmp_ratio[r] = o.compare != NULL && cmp[r] > 0 ? ours[r] / cmp[r] : 0;
        /* Loaded for each limit run and freed after it: a child forked
         * while this process holds the objects (a third of the CSV) has
         * them in its RSS until it execs, and wait4's ru_maxrss of the
         * next run's sluice query would report them as its own. */
        if (story_limit_load(&s, &ls, w.key, &f) < 0)
            goto done;
        if (story_limit_run(&ls, s.id, (unsigned)o.cpus, &lim[r], &c1, &f) <
            0)
            goto done;
        printf("  run %u limit %" PRIu64 " thread%s %7.1f MB/s  cpu %5.2f s",
               r + 1, o.cpus, o.cpus > 1 ? "s" : " ", lim[r], c1);
        if (o.cpus > 1) {
            if (story_limit_run(&ls, s.id, 1, &lim1[r], &c1, &f) < 0)
                goto done;
            printf("  |  1 thread %7.1f MB/s", lim1[r]);
        }
        printf("\n");
        fflush(stdout);
        if (story_floor_run(&s, &ls, (unsigned)o.parallel, 1, &flo[r], &c1,
                            &g1, &f) < 0)
            goto done;
        of_floor[r] = flo[r] > 0 ? ours[r] / flo[r] : 0;
        printf("  run %u floor a minimal worker, durable  %7.1f MB/s  cpu "
               "%5.2f s + sluiced %5.2f s  (%.2f of the limit; ours %.2f "
               "of it)\n", r + 1, flo[r], c1, g1,
               lim[r] > 0 ? flo[r] / lim[r] : 0, of_floor[r]);
        /* A worker process that streamed like the floor: the floor's time
         * for the rows plus what a query costs besides them. */
        ideal[r] = flo[r] > 0 ? bench_mbps(w.bytes, (double)w.bytes / 1e6 /
                                                        flo[r] + fixed[r])
                              : 0;
        printf("  run %u fixed a one-chunk query %5.1f ms; the floor plus "
               "it %7.1f MB/s  (%.2f of the limit)\n", r + 1,
               fixed[r] * 1e3, ideal[r], lim[r] > 0 ? ideal[r] / lim[r] : 0);
        if (story_floor_run(&s, &ls, (unsigned)o.parallel, 0, &flo0[r],
                            &c1, &g1, &f) < 0)
            goto done;
        printf("  run %u floor the same, not durable  %7.1f MB/s  cpu %5.2f "
               "s + sluiced %5.2f s  (%.2f of the limit)\n", r + 1,
               flo0[r], c1, g1, lim[r] > 0 ? flo0[r] / lim[r] : 0);
        fflush(stdout);
        story_limit_free(&ls);
        malloc_trim(0); /* and given back, not kept by malloc */
    }
    if (o.perf != NULL) {
        const char *prefix[] = {"perf", "record", "-g", "-o", o.perf, "--",
                                NULL};

        memset(&w, 0, sizeof w);
        if (story_buy(&s, &w, r, &f) < 0 ||
            story_query(&s, &w, r, prefix, &f) < 0)
            goto done;
        unlink(w.out);
        printf("  perf: sluice query under perf record -g: %.1f MB/s, "
               "%.2f s; profile in %s\n", bench_mbps(w.bytes, w.wall),
               w.wall, o.perf);
    }
    bench_print_load("end");
    med_ours = bench_median(ours, o.runs);
    med_lim = bench_median(lim, o.runs);
    printf("sluice query --all: %.1f MB/s (median), wall %.2f s, cpu %.2f s "
           "+ sluiced %.2f s\n", med_ours, bench_median(wall, o.runs),
           bench_median(cpu, o.runs), bench_median(gcpu, o.runs));
    printf("limit AES-GCM+inflate: %.1f MB/s on %" PRIu64 " thread%s "
           "(median)", med_lim, o.cpus, o.cpus > 1 ? "s" : "");
    if (o.cpus > 1)
        printf(", %.1f MB/s on 1", bench_median(lim1, o.runs));
    printf("\n");
    printf("floor, a minimal worker (fetch, hash, open, write; in-process, "
           "%" PRIu64 " threads, unpinned): durable %.1f MB/s (median), "
           "%.2f of the limit; not durable %.1f MB/s, %.2f\n", o.parallel,
           bench_median(flo, o.runs),
           med_lim > 0 ? bench_median(flo, o.runs) / med_lim : 0,
           bench_median(flo0, o.runs),
           med_lim > 0 ? bench_median(flo0, o.runs) / med_lim : 0);
    printf("fixed: a one-chunk query %.1f ms (median); the durable floor "
           "plus it %.1f MB/s (median), %.2f of the limit: a worker process "
           "that streamed like the floor\n",
           bench_median(fixed, o.runs) * 1e3, bench_median(ideal, o.runs),
           med_lim > 0 ? bench_median(ideal, o.runs) / med_lim : 0);
    /* Ours beside the floor of the same run: a figure that the machine's
     * speed moves far less than ours beside the limit (the limit, all
     * CPU, slows with it more than a worker that also waits on the disk
     * and the gateway). */
    printf("ours / the durable floor, run by run: %.3f (median)\n",
           bench_median(of_floor, o.runs));
    if (o.compare != NULL)
        printf("compare %s: %.1f MB/s (median); ours / it, run by run: "
               "%.3f (median)\n", o.compare, bench_median(cmp, o.runs),
               bench_median(cmp_ratio, o.runs));
    printf("buy -> credited (sluice buy, confirmations %" PRIu64 ", a block "
           "every %" PRIu64 " ms, poll %" PRIu64 " ms): %.2f s (median)\n",
           o.confirmations, o.block_ms, o.poll_ms,
           bench_median(buy, o.runs));
    printf("sluice query --all peak RSS on %" PRIu64 " MiB: %.1f MiB "
           "(median), %.1f MiB (max); goal < %d MiB: %s\n", o.mib,
           bench_median(rss, o.runs), rss_max, RSS_GOAL_MIB,
           rss_max < RSS_GOAL_MIB ? "met" : "missed");
    printf("goal: ours >= 0.7 of the limit: %s\n",
           med_lim > 0 && med_ours >= 0.7 * med_lim ? "met" : "missed");
    if (bench_paid_stop(&s.paid) < 0) {
        fault_set(&f, FAULT_INTERNAL, NULL, "sluiced did not stop cleanly");
        goto done;
    }
    bench_result("story", med_ours, med_lim, "MB/s");
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "bench/story: %s\n",
                bench_interrupted() ? "interrupted" : f.detail);
    bench_paid_stop(&s.paid);
    bench_proc_stop_all();
    story_limit_free(&ls);
    bench_tree_remove(s.tmp);
    return rv;
}
