/*
 * bench/query: durable paid queries per second, beside the cryptography
 * the protocol requires of each, measured alone on the same cores.
 *
 *   ours   POST /v1/datasets/<id>/queries {"chunks":[i]} (i cycling over
 *          the chunks), each signed by one worker with a fresh nonce,
 *          against a real build/sluiced that follows a real anvil: the
 *          worker's balance was bought on chain (purchase() on the market
 *          contract, credited by the gateway's follower). Each query is
 *          planned, priced, debited with its hash-chained audit entry,
 *          answered with the chunk key wrapped to the signer and a receipt
 *          signed by the gateway, and recorded with its nonce, in the
 *          group commit (one fsync of the SQLite WAL per group) before the
 *          answer leaves. Every answer must be 200: any other status, or a
 *          connection the server breaks, fails the benchmark.
 *   limit  what DESIGN.md 3.1, 3.5 and 3.10 make a gateway compute for
 *          each paid query, and nothing else, in --server-cpus threads
 *          (pinned one to a CPU, the CPUs sluiced may use): the SHA-256 of
 *          the body, the recovery of the request's signer (reqsig_verify:
 *          EIP-191 digest, secp256k1 recovery), a 16-byte query id,
 *          keywrap_seal of one chunk key to the recovered key (ephemeral
 *          key, ECDH, HKDF, AES-256-GCM of 40 bytes), the SHA-256 of the
 *          audit entry and the gateway's EIP-191 signature over it (a real
 *          entry's text, made by audit_entry_text).
 *
 * Also printed, each run: p50 and p99 latency, the server's CPU and
 * queries per CPU second, and the group commits made (the gateway's
 * /metrics); with --perf FILE, `perf record --call-graph dwarf` of sluiced
 * during the last run of ours.
 *
 * The load generator (bench_load.h) is one thread pinned to CPU 1, with
 * --conns keep-alive connections each with one query in flight; queries
 * are signed before the clock starts. sluiced may use both CPUs
 * (--server-cpus 2: its event loop and signature threads where the
 * scheduler puts them, sharing CPU 1 with the generator) or is pinned to
 * CPU 0 (--server-cpus 1). anvil runs unpinned; the gateway polls it every
 * second.
 */
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_chain.h"
#include "bench/bench_http.h"
#include "bench/bench_load.h"
#include "bench/bench_util.h"
#include "lib/ethsig.h"
#include "lib/hex.h"
#include "lib/keywrap.h"
#include "lib/log.h"
#include "lib/random.h"
#include "lib/reqsig.h"
#include "pricing/audit.h"

#define MAX_RUNS 99
#define CPU_SERVER 0
#define CPU_LOAD 1
#define WARMUP_SECS 2.0
#define WARMUP_POOL 4000
#define LIMIT_MSGS 64

struct opts {
    uint64_t mib, chunk_kib, runs, level, secs, conns, pool_max, server_cpus;
    const char *dir, *sluiced, *anvil, *perf;
};

/* ---- the queries ---------------------------------------------------- */

struct req_maker {
    const struct ethkey *worker;
    const char *id_text;
    uint16_t port;
    size_t nchunks;
    uint64_t seq; /* nonces: unique in this process */
};

/* Write query number m->seq (chunk seq % nchunks) into out: the request
 * line, headers and body. Returns its length, or 0 with f set. */
static size_t make_query(char *out, size_t cap, struct req_maker *m,
                         struct fault *f)
{
    char target[128], body[64], sig[BENCH_SIGN_HEADERS_MAX], nonce[40];
    uint8_t sha[32];
    int blen, n;
    uint64_t i = m->seq++;

    snprintf(target, sizeof target, "/v1/datasets/%s/queries", m->id_text);
    blen = snprintf(body, sizeof body, "{\"chunks\":[%" PRIu64 "]}",
                    i % m->nchunks);
    snprintf(nonce, sizeof nonce, "bench-query-%014" PRIu64, i);
    if (bench_sha256(sha, body, (size_t)blen, f) < 0 ||
        bench_sign_headers(sig, m->worker, "POST", target, sha,
                           (int64_t)time(NULL), nonce, f) < 0)
        return 0;
    n = snprintf(out, cap, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                 "Content-Type: application/json\r\n%sContent-Length: %d\r\n"
                 "\r\n%s", target, (unsigned)m->port, sig, blen, body);
    if (n < 0 || (size_t)n >= cap) {
        fault_set(f, FAULT_INTERNAL, NULL, "the request is too long");
        return 0;
    }
    return (size_t)n;
}

static int pool_fill(struct bench_pool *p, struct req_maker *m, size_t count,
                     struct fault *f)
{
    char req[2048];
    size_t i, len;

    bench_pool_free(p);
    for (i = 0; i < count; i++) {
        if ((i & 1023) == 0 && bench_interrupted())
            return fault_set(f, FAULT_IO, NULL, "interrupted");
        len = make_query(req, sizeof req, m, f);
        if (len == 0 || bench_pool_add(p, req, len, f) < 0)
            return -1;
    }
    return 0;
}

/* ---- one query, checked to the end ---------------------------------- */

/* Send one paid query outside the clock and check its answer as a worker
 * would: 200, the key of the chunk asked for unwraps with the worker's
 * key, and the receipt is signed by GET /v1/chain's gateway over its
 * text. */
static int check_one(struct req_maker *m, const uint8_t dataset_id[32],
                     struct fault *f)
{
    char target[128], body[64], sig[BENCH_SIGN_HEADERS_MAX], nonce[40];
    struct bench_http_reply r, chain;
    struct keywrap_entry *e = NULL;
    struct keywrap w;
    struct ethaddr signer, gateway;
    uint8_t sha[32], qid[16], rsig[ETHSIG_LEN];
    json_t *doc = NULL, *cdoc = NULL, *rc, *gw;
    const char *qid_text, *text, *sig_text, *gw_text;
    size_t n = 0;
    uint64_t idx = m->seq % m->nchunks;
    int blen, rv = -1;

    memset(&w, 0, sizeof w);
    memset(&r, 0, sizeof r);
    memset(&chain, 0, sizeof chain);
    snprintf(target, sizeof target, "/v1/datasets/%s/queries", m->id_text);
    blen = snprintf(body, sizeof body, "{\"chunks\":[%" PRIu64 "]}", idx);
    snprintf(nonce, sizeof nonce, "bench-check-%014" PRIu64, m->seq++);
    if (bench_sha256(sha, body, (size_t)blen, f) < 0 ||
        bench_sign_headers(sig, m->worker, "POST", target, sha,
                           (int64_t)time(NULL), nonce, f) < 0 ||
        bench_http_do(&r, m->port, "POST", target, sig, body, (size_t)blen,
                      -1, 0, 30, f) < 0 ||
        bench_http_do(&chain, m->port, "GET", "/v1/chain", NULL, NULL, 0, -1,
                      0, 30, f) < 0)
        goto done;
    if (r.status != 200) {
        fault_set(f, FAULT_INTERNAL, NULL, "a paid query was answered %d: "
                  "%.300s", r.status, r.body);
        goto done;
    }
    doc = json_loadb(r.body, r.body_len, 0, NULL);
    cdoc = json_loadb(chain.body, chain.body_len, 0, NULL);
    qid_text = json_string_value(json_object_get(doc, "query_id"));
    rc = json_object_get(doc, "receipt");
    text = json_string_value(json_object_get(rc, "text"));
    sig_text = json_string_value(json_object_get(rc, "signature"));
    gw = json_object_get(cdoc, "gateway");
    gw_text = json_string_value(gw);
    if (qid_text == NULL || text == NULL || sig_text == NULL ||
        gw_text == NULL ||
        hex_decode_0x(qid, sizeof qid, qid_text, strlen(qid_text), "query_id",
                      f) < 0 ||
        keywrap_from_json(&w, json_object_get(doc, "keys"), f) < 0 ||
        keywrap_open(&e, &n, &w, m->worker->secret, dataset_id, qid, f) < 0 ||
        ethsig_parse(rsig, sig_text, strlen(sig_text), "receipt.signature",
                     f) < 0 ||
        ethsig_recover_personal(NULL, &signer, rsig, (const uint8_t *)text,
                                strlen(text), f) < 0 ||
        ethaddr_parse(&gateway, gw_text, strlen(gw_text), "gateway", f) < 0) {
        if (f->detail[0] == '\0')
            fault_set(f, FAULT_INTERNAL, NULL, "the answer to a paid query "
                      "lacks query_id, receipt or keys: %.300s", r.body);
        goto done;
    }
    if (n != 1 || e[0].index != idx || !ethaddr_equal(&signer, &gateway)) {
        fault_set(f, FAULT_INTERNAL, NULL, "the answer to a paid query does "
                  "not check: %zu keys (index %" PRIu64 ", asked %" PRIu64
                  "), receipt signer %s the gateway", n,
                  n ? e[0].index : 0, idx,
                  ethaddr_equal(&signer, &gateway) ? "is" : "is not");
        goto done;
    }
    rv = 0;
done:
    keywrap_entries_free(e, n);
    keywrap_clear(&w);
    json_decref(doc);
    json_decref(cdoc);
    bench_http_reply_clear(&r);
    bench_http_reply_clear(&chain);
    return rv;
}

/* ---- the limit ------------------------------------------------------ */

/* What every thread of the limit works from: signed query messages of
 * the worker, and an audit entry's text. */
struct limit_input {
    const uint8_t *dataset_id;
    char *msg[LIMIT_MSGS];
    size_t msg_len[LIMIT_MSGS];
    char sig[LIMIT_MSGS][ETHSIG_TEXT_SIZE];
    char body[LIMIT_MSGS][32];
    char *entry;
    size_t entry_len;
    const struct ethkey *gateway;
};

struct limit_thread {
    pthread_t th;
    const struct limit_input *in;
    int cpu;
    double secs;
    uint64_t done;
    double cpu_s;
    int failed;
    char why[256];
};

static void limit_input_clear(struct limit_input *in)
{
    size_t i;

    for (i = 0; i < LIMIT_MSGS; i++)
        free(in->msg[i]);
    free(in->entry);
    memset(in, 0, sizeof *in);
}

/* The per-query inputs: LIMIT_MSGS signed query messages, as the gateway
 * rebuilds them from a request, and one audit entry with the values a
 * query of this run has (its text is what a receipt signs). */
static int limit_input_make(struct limit_input *in, const struct ethkey *worker,
                            const struct ethkey *gateway,
                            const uint8_t dataset_id[32], const char *id_text,
                            struct fault *f)
{
    char target[128], tstext[24], nonce[40];
    uint8_t sha[32], hash[32];
    uint64_t chunks[1] = {37};
    struct audit_entry e;
    size_t i;

    memset(in, 0, sizeof *in);
    in->dataset_id = dataset_id;
    in->gateway = gateway;
    snprintf(target, sizeof target, "/v1/datasets/%s/queries", id_text);
    snprintf(tstext, sizeof tstext, "%lld", (long long)time(NULL));
    for (i = 0; i < LIMIT_MSGS; i++) {
        snprintf(in->body[i], sizeof in->body[i], "{\"chunks\":[%zu]}", i);
        snprintf(nonce, sizeof nonce, "bench-limit-%014zu", i);
        if (bench_sha256(sha, in->body[i], strlen(in->body[i]), f) < 0 ||
            reqsig_message_hashed(&in->msg[i], &in->msg_len[i], "POST",
                                  target, strlen(target), sha, tstext, nonce,
                                  f) < 0 ||
            reqsig_sign(in->sig[i], worker, in->msg[i], in->msg_len[i], f) <
                0)
            return -1;
    }
    memset(&e, 0, sizeof e);
    e.index = 123456;
    memset(e.prev, 0xab, sizeof e.prev);
    e.time = (int64_t)time(NULL);
    e.gateway = gateway->addr;
    memcpy(e.dataset_id, dataset_id, 32);
    e.worker = worker->addr;
    memset(e.query_id, 0x5a, sizeof e.query_id);
    e.chunks = chunks;
    e.nchunks = 1;
    e.cost = 102;
    e.balance_after = 99999987654;
    e.credited_total = 100000000000;
    e.spent_total = 12346;
    return audit_entry_text(&in->entry, &in->entry_len, hash, &e, f);
}

/* One paid query's cryptography. */
static int limit_once(const struct limit_input *in, uint64_t i,
                      struct fault *f)
{
    size_t k = (size_t)(i % LIMIT_MSGS);
    struct keywrap_entry entry;
    struct keywrap w;
    secp256k1_pubkey pub;
    struct ethaddr addr;
    uint8_t sha[32], qid[16], sig[ETHSIG_LEN];
    int rv;

    memset(&entry, 0, sizeof entry);
    memset(&w, 0, sizeof w);
    entry.index = k;
    memset(entry.ck, (int)k, sizeof entry.ck);
    rv = bench_sha256(sha, in->body[k], strlen(in->body[k]), f) < 0 ||
                 reqsig_verify(&pub, &addr, in->sig[k], strlen(in->sig[k]),
                               in->msg[k], in->msg_len[k], f) < 0 ||
                 random_bytes(qid, sizeof qid, f) < 0 ||
                 keywrap_seal(&w, NULL, &pub, in->dataset_id, qid, &entry, 1,
                              NULL, NULL, f) < 0 ||
                 bench_sha256(sha, in->entry, in->entry_len, f) < 0 ||
                 ethsig_sign_personal(sig, in->gateway,
                                      (const uint8_t *)in->entry,
                                      in->entry_len, f) < 0
             ? -1
             : 0;
    keywrap_clear(&w);
    return rv;
}

static double thread_cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *limit_main(void *arg)
{
    struct limit_thread *t = arg;
    struct fault f;
    double end, c0;

    fault_clear(&f);
    if (bench_cpu_pin(t->cpu, &f) < 0) {
        t->failed = 1;
        snprintf(t->why, sizeof t->why, "%s", f.detail);
        return NULL;
    }
    c0 = thread_cpu_now();
    end = bench_now() + t->secs;
    while (bench_now() < end && !bench_interrupted()) {
        uint64_t j;
        for (j = 0; j < 16; j++) {
            if (limit_once(t->in, t->done, &f) < 0) {
                t->failed = 1;
                snprintf(t->why, sizeof t->why, "%s", f.detail);
                return NULL;
            }
            t->done++;
        }
    }
    t->cpu_s = thread_cpu_now() - c0;
    return NULL;
}

/* Run the limit in nthreads threads on CPUs 0..nthreads-1 for secs.
 * Sets *qps (queries per second, all threads) and *us (CPU microseconds
 * of one query). */
static int limit_run(const struct limit_input *in, int nthreads, double secs,
                     double *qps, double *us, struct fault *f)
{
    struct limit_thread t[2];
    double t0, wall, cpu = 0;
    uint64_t done = 0;
    int i, started = 0, rv = -1;

    *qps = *us = 0;
    memset(t, 0, sizeof t);
    t0 = bench_now();
    for (i = 0; i < nthreads; i++) {
        t[i].in = in;
        t[i].cpu = i;
        t[i].secs = secs;
        if (pthread_create(&t[i].th, NULL, limit_main, &t[i]) != 0) {
            fault_set(f, FAULT_INTERNAL, NULL, "pthread_create failed");
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++)
        pthread_join(t[i].th, NULL);
    wall = bench_now() - t0;
    if (started < nthreads)
        return -1;
    for (i = 0; i < nthreads; i++) {
        if (t[i].failed)
            return fault_set(f, FAULT_INTERNAL, NULL, "limit: %s", t[i].why);
        done += t[i].done;
        cpu += t[i].cpu_s;
    }
    if (bench_interrupted())
        return fault_set(f, FAULT_IO, NULL, "interrupted");
    *qps = wall > 0 ? (double)done / wall : 0;
    *us = done > 0 ? cpu * 1e6 / (double)done : 0;
    rv = 0;
    return rv;
}

/* ---- runs ----------------------------------------------------------- */

struct series {
    double ours[MAX_RUNS], limit[MAX_RUNS], limit_us[MAX_RUNS];
    double per_cpu[MAX_RUNS], p50[MAX_RUNS], p99[MAX_RUNS];
    double per_commit[MAX_RUNS];
    double warm_rps;
    uint64_t answered, commits;
};

static int counters(uint16_t port, double *batches, double *batched,
                    struct fault *f)
{
    return bench_metric(batches, port, "sluice_write_batches_total", f) < 0 ||
                   bench_metric(batched, port,
                                "sluice_write_batch_requests_total", f) < 0
               ? -1
               : 0;
}

/* Start perf record on pid for secs seconds, writing to path: 499 samples
 * a second with DWARF call chains (sluiced is built without frame
 * pointers, so -g alone stops at the first frame of ours). */
static int perf_start(pid_t *perf, pid_t pid, const char *path, double secs,
                      const char *tmp, struct fault *f)
{
    char pid_text[24], secs_text[24], log[BENCH_PATH_MAX];
    const char *argv[] = {"perf", "record", "-F", "499", "--call-graph",
                          "dwarf", "-o", path, "-p", pid_text, "--",
                          "sleep", secs_text, NULL};

    snprintf(pid_text, sizeof pid_text, "%d", (int)pid);
    snprintf(secs_text, sizeof secs_text, "%.0f", secs);
    if (bench_pathf(log, sizeof log, f, "%s/perf.log", tmp) < 0)
        return -1;
    return bench_proc_spawn(perf, argv, BENCH_CPU_ANY, log, log, f);
}

static int run_ours(struct series *s, size_t run, struct req_maker *m,
                    struct bench_pool *p, pid_t server, const struct opts *o,
                    const char *tmp, int warmup, int perf, struct fault *f)
{
    struct bench_load *l = NULL;
    double secs = warmup ? WARMUP_SECS : (double)o->secs;
    double t0, signing, elapsed, rps, c0, c1, b0, n0, b1, n1;
    size_t count = WARMUP_POOL;
    pid_t perf_pid = 0;
    int rv = -1;

    if (!warmup) {
        double want = s->warm_rps * secs * 2.0 + 2000;
        count = want > (double)o->pool_max ? (size_t)o->pool_max
                                           : (size_t)want;
    }
    t0 = bench_now();
    if (pool_fill(p, m, count, f) < 0)
        return -1;
    signing = bench_now() - t0;
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    l->pool = p;
    l->expect = 200;
    if (counters(m->port, &b0, &n0, f) < 0)
        goto done;
    if (perf && perf_start(&perf_pid, server, o->perf, secs, tmp, f) < 0)
        goto done;
    c0 = bench_proc_cpu(server);
    if (bench_load_run(l, m->port, (unsigned)o->conns, secs, f) < 0)
        goto done;
    c1 = bench_proc_cpu(server);
    if (counters(m->port, &b1, &n1, f) < 0)
        goto done;
    elapsed = l->ended - l->started;
    rps = elapsed > 0 ? (double)l->done / elapsed : 0;
    if (l->unexpected > 0 || l->errors > 0) {
        fault_set(f, FAULT_IO, NULL, "%llu of %llu paid queries were not "
                  "answered 200 and %llu connections broke (first: %d %s)",
                  (unsigned long long)l->unexpected,
                  (unsigned long long)l->done,
                  (unsigned long long)l->errors, l->last_status,
                  l->last_body);
        goto done;
    }
    if (rps > s->warm_rps)
        s->warm_rps = rps;
    if (!warmup) {
        s->ours[run] = rps;
        s->per_cpu[run] = c0 >= 0 && c1 > c0 ? (double)l->done / (c1 - c0)
                                              : 0;
        s->p50[run] = bench_load_percentile(l, 50);
        s->p99[run] = bench_load_percentile(l, 99);
        s->per_commit[run] = b1 > b0 ? (n1 - n0) / (b1 - b0) : 0;
        s->answered += l->done;
        s->commits += (uint64_t)(b1 - b0);
        printf("  run %zu ours  %7.0f queries/s  p50 %6.2f ms  p99 %6.2f ms"
               "  server cpu %3.0f%% (%.0f queries/cpu-s)  %.0f commits, "
               "%.1f queries each  (%zu signed ahead in %.1f s%s)\n",
               run + 1, rps, s->p50[run], s->p99[run],
               elapsed > 0 && c0 >= 0 && c1 >= 0
                   ? 100 * (c1 - c0) / elapsed
                   : -1.0,
               s->per_cpu[run], b1 - b0, s->per_commit[run], p->n, signing,
               l->exhausted ? ", pool used up" : "");
        fflush(stdout);
    }
    rv = 0;
done:
    if (perf_pid != 0 && bench_proc_wait(perf_pid, secs + 30, NULL, NULL,
                                         f) != 0)
        bench_proc_stop(perf_pid, 5);
    free(l);
    return rv;
}

static int run_limit(struct series *s, size_t run,
                     const struct limit_input *in, const struct opts *o,
                     struct fault *f)
{
    double secs = o->secs < 5 ? (double)o->secs : 5.0;

    if (limit_run(in, (int)o->server_cpus, secs, &s->limit[run],
                  &s->limit_us[run], f) < 0)
        return -1;
    printf("  run %zu limit %7.0f queries/s  (%d thread%s, %.1f us of CPU "
           "per query)\n",
           run + 1, s->limit[run], (int)o->server_cpus,
           o->server_cpus > 1 ? "s" : "", s->limit_us[run]);
    fflush(stdout);
    return 0;
}

/* ---- setup ---------------------------------------------------------- */

static const char about[] =
    "bench/query: durable paid queries per second ({\"chunks\":[i]}, signed, "
    "credited by a real purchase on anvil) beside the per-query "
    "cryptography alone on the same cores";

static const char plan_json[] =
    "{\"kind\":\"metered\",\"unit_wei\":\"1000000000\",\"per_query\":"
    "\"100\",\"per_chunk\":\"2\"}";

/* 100 ETH: 10^11 units of 1 gwei, about 10^9 queries of 102 units. */
#define PURCHASE_WEI "100000000000000000000"

int main(int argc, char **argv)
{
    struct opts o = {4, 64, 3, 1, 10, 64, 300000, 2,
                     NULL, NULL, NULL, NULL};
    const struct bench_flag flags[] = {
        {"mib", BENCH_FLAG_UINT, &o.mib, 1, 1024,
         "size of the data-set's CSV in MiB"},
        {"chunk-kib", BENCH_FLAG_UINT, &o.chunk_kib, 16, 65536,
         "chunk size in KiB (queries cycle over the chunks)"},
        {"runs", BENCH_FLAG_UINT, &o.runs, 1, MAX_RUNS,
         "runs; figures are their medians"},
        {"level", BENCH_FLAG_UINT, &o.level, 0, 9, "zlib level"},
        {"secs", BENCH_FLAG_UINT, &o.secs, 1, 250,
         "seconds of each run of ours (signatures stay valid 300 s); the "
         "limit runs min(secs, 5)"},
        {"conns", BENCH_FLAG_UINT, &o.conns, 1, 1000, "connections"},
        {"pool-max", BENCH_FLAG_UINT, &o.pool_max, 1000, 5000000,
         "most queries signed ahead of one run"},
        {"server-cpus", BENCH_FLAG_UINT, &o.server_cpus, 1, 2,
         "CPUs sluiced may use, and threads of the limit: 2 both (sharing "
         "CPU 1 with the load generator), 1 CPU 0 alone"},
        {"dir", BENCH_FLAG_STR, &o.dir, 0, 0,
         "folder for the temporary files (default $TMPDIR or /tmp)"},
        {"sluiced", BENCH_FLAG_STR, &o.sluiced, 0, 0,
         "the gateway (default build/sluiced of this checkout)"},
        {"anvil", BENCH_FLAG_STR, &o.anvil, 0, 0,
         "anvil (default $SLUICE_ANVIL, else node_modules/.bin/anvil)"},
        {"perf", BENCH_FLAG_STR, &o.perf, 0, 0,
         "record `perf record --call-graph dwarf` of sluiced into this file "
         "during the last run of ours"},
    };
    char tmp[BENCH_PATH_MAX] = "", file[BENCH_PATH_MAX];
    char data_dir[BENCH_PATH_MAX], exe[BENCH_PATH_MAX];
    char owner_text[ETHADDR_TEXT_SIZE], worker_text[ETHADDR_TEXT_SIZE];
    struct bench_paid paid;
    struct bench_dataset ds;
    struct limit_input lin;
    struct series s;
    struct req_maker m;
    struct bench_pool pool;
    struct ethkey owner, worker, gwkey;
    uint64_t written = 0, size = 0, block = 0;
    uint8_t tx[32];
    double ours, limit, t0;
    struct fault f;
    size_t r;
    int rc;
    int rv = 1;

    fault_clear(&f);
    memset(&paid, 0, sizeof paid);
    memset(&ds, 0, sizeof ds);
    memset(&lin, 0, sizeof lin);
    memset(&s, 0, sizeof s);
    memset(&m, 0, sizeof m);
    memset(&pool, 0, sizeof pool);
    memset(&owner, 0, sizeof owner);
    memset(&worker, 0, sizeof worker);
    memset(&gwkey, 0, sizeof gwkey);
    rc = bench_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv,
                           about, &f);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "bench/query: %s\n", f.detail);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(LOG_WARN);
    bench_signals_install();
    if (bench_cpu_count() < 2) {
        fault_set(&f, FAULT_INVALID, NULL, "this benchmark pins the server "
                  "and the load to CPUs 0 and 1; this machine has one");
        goto done;
    }
    if (bench_sluiced_find(exe, sizeof exe, o.sluiced, argv[0], &f) < 0 ||
        bench_tmpdir_make(tmp, sizeof tmp, o.dir, &f) < 0)
        goto done;
    printf("bench/query: %llu MiB CSV data-set in %llu KiB chunks, %llu "
           "connections, %llu s runs, %llu runs, in %s\n",
           (unsigned long long)o.mib, (unsigned long long)o.chunk_kib,
           (unsigned long long)o.conns, (unsigned long long)o.secs,
           (unsigned long long)o.runs, tmp);
    if (o.server_cpus == 1)
        printf("CPUs: sluiced pinned to CPU %d, the load generator (one "
               "thread) to CPU %d; the limit: one thread on CPU %d\n",
               CPU_SERVER, CPU_LOAD, CPU_SERVER);
    else
        printf("CPUs: sluiced on both (where the scheduler puts its "
               "threads), the load generator (one thread) pinned to CPU %d; "
               "the limit: one thread pinned to each CPU\n", CPU_LOAD);
    bench_print_load("start");
    bench_warn_busy();
    snprintf(file, sizeof file, "%s/sensors.csv", tmp);
    snprintf(data_dir, sizeof data_dir, "%s/data", tmp);
    if (ethkey_generate(&owner, &f) < 0 || ethkey_generate(&worker, &f) < 0 ||
        ethkey_generate(&gwkey, &f) < 0)
        goto done;
    ethaddr_to_text(owner_text, &owner.addr);
    ethaddr_to_text(worker_text, &worker.addr);
    if (bench_csv_generate(file, o.mib * BENCH_MIB, &written, &f) < 0 ||
        bench_file_warm(file, &size, &f) < 0 ||
        bench_dataset_publish(&ds, data_dir, file, SPLITTER_CSV,
                              o.chunk_kib * 1024, (int)o.level, owner_text,
                              plan_json, &f) < 0)
        goto done;

    /* The chain: anvil, the market, and the gateway following it (one
     * confirmation, a poll a second). */
    if (bench_paid_start(&paid, exe, o.anvil, argv[0], data_dir, tmp,
                         o.server_cpus == 1 ? CPU_SERVER : BENCH_CPU_ANY, 1,
                         1000, NULL, &f) < 0)
        goto done;
    /* The worker's balance: a real purchase, credited by the follower. */
    t0 = bench_now();
    if (bench_chain_purchase(&paid.chain, tx, &block, ds.id, &owner.addr,
                             &worker.addr, PURCHASE_WEI, &f) < 0 ||
        bench_chain_wait_credited(&paid.chain, paid.gw.port, tx, 0, 60, &f) <
            0)
        goto done;
    printf("data-set %s: %llu rows in %zu chunks; plan %s\n", ds.id_text,
           (unsigned long long)ds.rows, ds.nobjects, plan_json);
    printf("worker %s: 100 ETH bought in block %llu (market %s), credited "
           "after %.2f s\n", worker_text, (unsigned long long)block,
           paid.chain.market_text, bench_now() - t0);
    printf("disk: 4 KiB write + fdatasync takes %.0f us (median of 101)\n",
           bench_fsync_probe(tmp));
    fflush(stdout);
    if (bench_cpu_pin(CPU_LOAD, &f) < 0)
        goto done;
    m.worker = &worker;
    m.id_text = ds.id_text;
    m.port = paid.gw.port;
    m.nchunks = ds.nobjects;
    if (check_one(&m, ds.id, &f) < 0)
        goto done;
    printf("one paid query checked: its key unwraps with the worker's key, "
           "its receipt is signed by the gateway\n");
    /* The limit signs receipts with a key of its own: the same work. */
    if (limit_input_make(&lin, &worker, &gwkey, ds.id, ds.id_text, &f) < 0)
        goto done;
    printf("limit inputs: %zu-byte signed messages, a %zu-byte audit "
           "entry\n", lin.msg_len[0], lin.entry_len);
    fflush(stdout);

    if (run_ours(&s, 0, &m, &pool, paid.gw.pid, &o, tmp, 1, 0, &f) < 0)
        goto done;
    for (r = 0; r < o.runs; r++) {
        int perf = o.perf != NULL && r + 1 == o.runs;
        if (r % 2 == 0) {
            if (run_limit(&s, r, &lin, &o, &f) < 0 ||
                run_ours(&s, r, &m, &pool, paid.gw.pid, &o, tmp, 0, perf, &f) < 0)
                goto done;
        } else {
            if (run_ours(&s, r, &m, &pool, paid.gw.pid, &o, tmp, 0, perf, &f) <
                    0 ||
                run_limit(&s, r, &lin, &o, &f) < 0)
                goto done;
        }
    }
    bench_pool_free(&pool);
    ours = bench_median(s.ours, o.runs);
    limit = bench_median(s.limit, o.runs);
    printf("ours  %8.0f queries/s (median)  p50 %.2f ms  p99 %.2f ms  %.0f "
           "queries per CPU second of the server\n", ours,
           bench_median(s.p50, o.runs), bench_median(s.p99, o.runs),
           bench_median(s.per_cpu, o.runs));
    printf("limit %8.0f queries/s (median)  %.1f us of CPU per query "
           "(recovery, key wrap, receipt signature, hashes)\n", limit,
           bench_median(s.limit_us, o.runs));
    printf("group commit: %llu paid queries in %llu commits (%.1f per "
           "commit; runs' median %.1f)\n", (unsigned long long)s.answered,
           (unsigned long long)s.commits,
           s.commits ? (double)s.answered / (double)s.commits : 0.0,
           bench_median(s.per_commit, o.runs));
    bench_print_load("end");
    printf("disk: 4 KiB write + fdatasync takes %.0f us (median of 101)\n",
           bench_fsync_probe(tmp));
    printf("goals: ours >= 0.7 of the limit (%.2f); ours >= 3000 "
           "queries/s (%.0f)\n", limit > 0 ? ours / limit : 0.0, ours);
    if (bench_paid_stop(&paid) < 0) {
        fault_set(&f, FAULT_INTERNAL, NULL, "sluiced did not stop cleanly");
        goto done;
    }
    bench_result("query", ours, limit, "queries/s");
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "bench/query: %s\n",
                bench_interrupted() ? "interrupted" : f.detail);
    bench_pool_free(&pool);
    limit_input_clear(&lin);
    bench_paid_stop(&paid);
    bench_proc_stop_all();
    bench_dataset_clear(&ds);
    ethkey_wipe(&owner);
    ethkey_wipe(&worker);
    ethkey_wipe(&gwkey);
    bench_tree_remove(tmp);
    return rv;
}
