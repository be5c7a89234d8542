/*
 * bench/signed: signed requests per second beside unsigned ones.
 *
 *   ours   GET /v1/datasets/<id> signed (DESIGN.md 3.1) with a fresh nonce
 *          each: the signer recovered on the event loop, then the same
 *          answer as unsigned (a GET records no nonce).
 *   limit  the same GET unsigned, padded with an X-Pad header to the same
 *          request size. A route whose signature is optional is the only
 *          one that takes the same request both ways, so this pair is
 *          what "signed beside unsigned" can mean: the only difference is
 *          the signature.
 *
 * Two more variants are printed (not in RESULT):
 *   PUT /v1/datasets/<id>/price signed by the owner with a fresh nonce
 *          and a metered plan whose per_query changes from request to
 *          request: signature, nonce lookup, plan, the price row and the
 *          nonce row (with the answer) committed with the other requests
 *          of its group commit (one fsync of the SQLite WAL per group),
 *          then the data-set view. A state-changing request cannot be sent
 *          unsigned; its figure is printed beside the same GET's.
 *   the same PUT with no signature headers, padded, which gets 401 from
 *          the dispatcher (the router and a problem answer).
 *
 * Also printed: the CPU time of the signature check alone (reqsig_verify:
 * the EIP-191 digest and the secp256k1 recovery), which bounds what one
 * core can give signed requests, and the group commits the PUTs made
 * (from the gateway's /metrics).
 *
 * The load generator (bench_load.h): one thread, epoll, --conns
 * keep-alive connections each with one request in flight (no pipelining),
 * pinned to CPU 1. sluiced runs on both CPUs (--server-cpus 2, its event
 * loop and its signature-checking threads, where the scheduler puts them)
 * or is pinned to CPU 0 (--server-cpus 1). Signed requests are signed
 * before the clock starts (a pool sized from a 1 s warm-up; a run ends at
 * --secs or when its pool is used up, and the rate is over the time it
 * ran), so the generator's signing costs nothing during the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_http.h"
#include "bench/bench_load.h"
#include "bench/bench_util.h"
#include "lib/log.h"
#include "lib/reqsig.h"

#define MAX_RUNS 99
#define CPU_SERVER 0
#define CPU_LOAD 1
#define WARMUP_SECS 2.0
#define WARMUP_POOL 4000

struct opts {
    uint64_t mib, runs, level, secs, conns, pool_max, server_cpus;
    const char *dir, *sluiced;
};

/* ---- the requests --------------------------------------------------- */

enum kind { K_GET, K_PUT_SIGNED, K_GET_SIGNED, K_PUT_401, K_COUNT };

static const char *const kind_label[K_COUNT] = {
    "limit GET unsigned", "PUT price signed", "ours GET signed",
    "PUT unsigned (401)",
};
static const int kind_status[K_COUNT] = {200, 200, 200, 401};
static const int kind_signed[K_COUNT] = {0, 1, 1, 0};

struct req_maker {
    const struct ethkey *key;
    const char *id_text;
    uint16_t port;
    size_t size;           /* the size every request is padded to */
    uint64_t seq;          /* nonces: unique in this process */
};

/* The plan of request number i: per_query cycles over 100..999, so that
 * every PUT changes the price and every body has the same length. */
static int plan_body(char *out, size_t cap, uint64_t i)
{
    return snprintf(out, cap, "{\"kind\":\"metered\",\"unit_wei\":"
                              "\"1000000000\",\"per_query\":\"%03u\","
                              "\"per_chunk\":\"2\"}",
                    (unsigned)(100 + i % 900));
}

/* Write request kind k (number i) to out, padded with X-Pad to m->size
 * when m->size is not 0. Returns its length, or 0 with f set. */
static size_t make_request(char *out, size_t cap, struct req_maker *m,
                           enum kind k, uint64_t i, struct fault *f)
{
    char target[128], body[160], sig[BENCH_SIGN_HEADERS_MAX], nonce[40];
    char head[1024];
    uint8_t sha[32];
    size_t blen = 0, hlen, pad = 0;
    int is_put = k == K_PUT_SIGNED || k == K_PUT_401;
    int n;

    sig[0] = '\0';
    if (is_put) {
        snprintf(target, sizeof target, "/v1/datasets/%s/price",
                 m->id_text);
        blen = (size_t)plan_body(body, sizeof body, i);
    } else {
        snprintf(target, sizeof target, "/v1/datasets/%s", m->id_text);
        body[0] = '\0';
    }
    if (kind_signed[k]) {
        snprintf(nonce, sizeof nonce, "bench-%c-%014llu", "gpsu"[k],
                 (unsigned long long)++m->seq);
        if (bench_sha256(sha, body, blen, f) < 0 ||
            bench_sign_headers(sig, m->key, is_put ? "PUT" : "GET", target,
                               sha, (int64_t)time(NULL), nonce, f) < 0)
            return 0;
    }
    n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                 "%s%s", is_put ? "PUT" : "GET", target, (unsigned)m->port,
                 is_put ? "Content-Type: application/json\r\n" : "", sig);
    if (is_put)
        n += snprintf(head + n, sizeof head - (size_t)n,
                      "Content-Length: %zu\r\n", blen);
    hlen = (size_t)n + 2 + blen; /* the blank line and the body */
    if (m->size > 0) {
        /* "X-Pad: " + pad bytes + "\r\n" */
        if (m->size < hlen + 9) {
            fault_set(f, FAULT_INTERNAL, NULL, "cannot pad a %zu-byte "
                      "request to %zu", hlen, m->size);
            return 0;
        }
        pad = m->size - hlen - 9;
    }
    if (hlen + (m->size ? pad + 9 : 0) > cap) {
        fault_set(f, FAULT_INTERNAL, NULL, "the request is too long");
        return 0;
    }
    memcpy(out, head, (size_t)n);
    if (m->size > 0) {
        memcpy(out + n, "X-Pad: ", 7);
        memset(out + n + 7, 'x', pad);
        memcpy(out + n + 7 + pad, "\r\n", 2);
        n += (int)(pad + 9);
    }
    memcpy(out + n, "\r\n", 2);
    memcpy(out + n + 2, body, blen);
    return (size_t)n + 2 + blen;
}

/* Fill p with count requests of kind k (count 1 for an unsigned kind: it
 * is sent again and again). */
static int pool_fill(struct bench_pool *p, struct req_maker *m, enum kind k,
                     size_t count, struct fault *f)
{
    char req[2048];
    size_t i, len;

    bench_pool_free(p);
    if (!kind_signed[k])
        count = 1;
    for (i = 0; i < count; i++) {
        if ((i & 1023) == 0 && bench_interrupted())
            return fault_set(f, FAULT_IO, NULL, "interrupted");
        len = make_request(req, sizeof req, m, k, m->seq, f);
        if (len == 0 || bench_pool_add(p, req, len, f) < 0)
            return -1;
    }
    return 0;
}

/* ---- runs ----------------------------------------------------------- */

struct series {
    double rps[MAX_RUNS];
    double per_cpu[MAX_RUNS]; /* answers per CPU second of the server */
    double warm_rps;       /* from the warm-up: sizes the pools */
    double resp_bytes;
};

static int run_kind(struct series *s, size_t run, enum kind k,
                    struct req_maker *m, struct bench_pool *p, pid_t server,
                    const struct opts *o, int warmup, struct fault *f)
{
    struct bench_load *l = NULL;
    double secs = warmup ? WARMUP_SECS : (double)o->secs;
    double t0, c0, c1, signing = 0, elapsed, rps;
    size_t count = WARMUP_POOL;
    int rv = -1;

    if (!warmup && kind_signed[k]) {
        double want = s->warm_rps * secs * 2.0 + 2000;
        count = want > (double)o->pool_max ? (size_t)o->pool_max
                                           : (size_t)want;
    }
    t0 = bench_now();
    if (pool_fill(p, m, k, count, f) < 0)
        return -1;
    signing = bench_now() - t0;
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    l->pool = p;
    l->reuse = !kind_signed[k];
    l->expect = kind_status[k];
    c0 = bench_proc_cpu(server);
    if (bench_load_run(l, m->port, (unsigned)o->conns, secs, f) < 0)
        goto done;
    c1 = bench_proc_cpu(server);
    elapsed = l->ended - l->started;
    rps = elapsed > 0 ? (double)l->done / elapsed : 0;
    if (l->unexpected > 0 || l->errors > 0) {
        fault_set(f, FAULT_IO, NULL, "%s: %llu of %llu answers were not %d "
                  "and %llu connections broke (first: %d %s)",
                  kind_label[k], (unsigned long long)l->unexpected,
                  (unsigned long long)l->done, kind_status[k],
                  (unsigned long long)l->errors, l->last_status,
                  l->last_body);
        goto done;
    }
    /* The pools of later runs follow the fastest rate seen so far. */
    if (rps > s->warm_rps)
        s->warm_rps = rps;
    if (!warmup) {
        s->rps[run] = rps;
        s->per_cpu[run] = c0 >= 0 && c1 > c0 ? (double)l->done / (c1 - c0)
                                              : 0;
        s->resp_bytes = l->done ? (double)l->bytes / (double)l->done : 0;
        printf("  run %zu %-22s %8.0f req/s  %5zu B/request  %5.0f "
               "B/answer  p50 %6.2f ms  p99 %6.2f ms  server cpu %3.0f%% "
               "(%.0f req/cpu-s)",
               run + 1, kind_label[k], rps, p->len[0], s->resp_bytes,
               bench_load_percentile(l, 50), bench_load_percentile(l, 99),
               c0 >= 0 && c1 >= 0 && elapsed > 0
                   ? 100 * (c1 - c0) / elapsed
                   : -1.0,
               s->per_cpu[run]);
        if (kind_signed[k])
            printf("  (%zu pre-signed in %.1f s%s)", p->n, signing,
                   l->exhausted ? ", pool used up" : "");
        printf("\n");
        fflush(stdout);
    }
    rv = 0;
done:
    free(l);
    return rv;
}

static const char about[] =
    "bench/signed: signed GET /v1/datasets/<id> beside the same GET "
    "unsigned (and a signed PUT .../price, and a PUT answered 401), same "
    "request size, from a C load generator";

/* CPU seconds of one signature check as the gateway makes it
 * (reqsig_verify over a GET's message), on this thread; -1 on failure. */
static double verify_probe(const struct ethkey *key, const char *id_text)
{
    char target[128], tstext[24], sig[ETHSIG_TEXT_SIZE];
    uint8_t sha[32];
    struct ethaddr addr;
    secp256k1_pubkey pub;
    struct fault f;
    char *msg = NULL;
    size_t len = 0;
    double c0, c1 = -1;
    int i, n = 2000;

    snprintf(target, sizeof target, "/v1/datasets/%s", id_text);
    snprintf(tstext, sizeof tstext, "%lld", (long long)time(NULL));
    if (bench_sha256(sha, "", 0, &f) < 0 ||
        reqsig_message_hashed(&msg, &len, "GET", target, strlen(target), sha,
                              tstext, "bench-verify-probe-0001", &f) < 0 ||
        reqsig_sign(sig, key, msg, len, &f) < 0)
        goto done;
    c0 = bench_cpu_now();
    for (i = 0; i < n; i++)
        if (reqsig_verify(&pub, &addr, sig, strlen(sig), msg, len, &f) < 0)
            goto done;
    c1 = (bench_cpu_now() - c0) / n;
done:
    free(msg);
    return c1;
}

/* Print the group commits the gateway made so far (its /metrics). */
static void print_batches(uint16_t port)
{
    double b = 0, n = 0;
    struct fault f;

    if (bench_metric(&b, port, "sluice_write_batches_total", &f) == 0 &&
        bench_metric(&n, port, "sluice_write_batch_requests_total", &f) ==
            0 &&
        b > 0)
        printf("group commit: %.0f signed writes in %.0f commits (%.1f per "
               "commit, warm-ups included)\n", n, b, n / b);
}

int main(int argc, char **argv)
{
    struct opts o = {1, 3, 1, 10, 64, 300000, 2, NULL, NULL};
    const struct bench_flag flags[] = {
        {"mib", BENCH_FLAG_UINT, &o.mib, 1, 1024,
         "size of the data-set's CSV in MiB"},
        {"runs", BENCH_FLAG_UINT, &o.runs, 1, MAX_RUNS,
         "runs; figures are their medians"},
        {"level", BENCH_FLAG_UINT, &o.level, 0, 9, "zlib level"},
        {"secs", BENCH_FLAG_UINT, &o.secs, 1, 250,
         "seconds of each run (signatures stay valid 300 s)"},
        {"conns", BENCH_FLAG_UINT, &o.conns, 1, 1000, "connections"},
        {"pool-max", BENCH_FLAG_UINT, &o.pool_max, 1000, 5000000,
         "most requests signed ahead of one run"},
        {"server-cpus", BENCH_FLAG_UINT, &o.server_cpus, 1, 2,
         "CPUs sluiced may use: 2 both (sharing CPU 1 with the load "
         "generator), 1 CPU 0 alone"},
        {"dir", BENCH_FLAG_STR, &o.dir, 0, 0,
         "folder for the temporary files (default $TMPDIR or /tmp)"},
        {"sluiced", BENCH_FLAG_STR, &o.sluiced, 0, 0,
         "the gateway (default build/sluiced of this checkout)"},
    };
    char tmp[BENCH_PATH_MAX] = "", file[BENCH_PATH_MAX];
    char data_dir[BENCH_PATH_MAX], exe[BENCH_PATH_MAX];
    char owner_text[ETHADDR_TEXT_SIZE], probe[2048];
    struct bench_sluiced gw;
    struct bench_dataset ds;
    struct series s[K_COUNT];
    struct req_maker m;
    struct bench_pool pool;
    struct ethkey owner;
    double med[K_COUNT], cpu_us[K_COUNT], verify_s;
    uint64_t written = 0, size = 0;
    struct fault f;
    size_t r, len;
    int k, rc;
    int rv = 1;

    fault_clear(&f);
    memset(&gw, 0, sizeof gw);
    memset(&ds, 0, sizeof ds);
    memset(&owner, 0, sizeof owner);
    memset(&pool, 0, sizeof pool);
    memset(s, 0, sizeof s);
    memset(&m, 0, sizeof m);
    rc = bench_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv,
                           about, &f);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "bench/signed: %s\n", f.detail);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(LOG_WARN);
    bench_signals_install();
    if (bench_cpu_count() < 2) {
        fault_set(&f, FAULT_INVALID, NULL, "this benchmark pins the server "
                                           "and the load to CPUs 0 and 1; "
                                           "this machine has one");
        goto done;
    }
    if (bench_sluiced_find(exe, sizeof exe, o.sluiced, argv[0], &f) < 0 ||
        bench_tmpdir_make(tmp, sizeof tmp, o.dir, &f) < 0)
        goto done;
    printf("bench/signed: %llu MiB CSV data-set, %llu connections, %llu s "
           "runs, %llu runs, in %s\n", (unsigned long long)o.mib,
           (unsigned long long)o.conns, (unsigned long long)o.secs,
           (unsigned long long)o.runs, tmp);
    if (o.server_cpus == 1)
        printf("CPUs: sluiced pinned to CPU %d, the load generator (one "
               "thread) to CPU %d; signing happens before each run\n",
               CPU_SERVER, CPU_LOAD);
    else
        printf("CPUs: sluiced on both (its event loop and its signature "
               "threads, where the scheduler puts them), the load generator "
               "(one thread) pinned to CPU %d; signing happens before each "
               "run\n", CPU_LOAD);
    bench_print_load("start");
    bench_warn_busy();
    snprintf(file, sizeof file, "%s/sensors.csv", tmp);
    snprintf(data_dir, sizeof data_dir, "%s/data", tmp);
    if (ethkey_generate(&owner, &f) < 0)
        goto done;
    ethaddr_to_text(owner_text, &owner.addr);
    if (bench_csv_generate(file, o.mib * BENCH_MIB, &written, &f) < 0 ||
        bench_file_warm(file, &size, &f) < 0 ||
        bench_dataset_publish(&ds, data_dir, file, SPLITTER_CSV, 0,
                              (int)o.level, owner_text,
                              "{\"kind\":\"metered\",\"unit_wei\":"
                              "\"1000000000\",\"per_query\":\"100\","
                              "\"per_chunk\":\"2\"}",
                              &f) < 0)
        goto done;
    if (bench_sluiced_start(&gw, exe, data_dir, tmp,
                            o.server_cpus == 1 ? CPU_SERVER : BENCH_CPU_ANY,
                            NULL, &f) < 0)
        goto done;
    if (bench_cpu_pin(CPU_LOAD, &f) < 0)
        goto done;
    m.key = &owner;
    m.id_text = ds.id_text;
    m.port = gw.port;
    /* Every request is as long as the signed PUT with the longest
     * headers, plus room for the shortest pad line. */
    m.size = 0;
    len = make_request(probe, sizeof probe, &m, K_PUT_SIGNED, 0, &f);
    if (len == 0)
        goto done;
    m.size = len + 16;
    printf("data-set %s: %llu rows; every request is %zu bytes\n",
           ds.id_text, (unsigned long long)ds.rows, m.size);
    printf("disk: 4 KiB write + fdatasync takes %.0f us (median of 101)\n",
           bench_fsync_probe(tmp));
    fflush(stdout);

    for (k = 0; k < K_COUNT; k++)
        if (run_kind(&s[k], 0, (enum kind)k, &m, &pool, gw.pid, &o, 1, &f) <
            0)
            goto done;
    for (r = 0; r < o.runs; r++) {
        for (k = 0; k < K_COUNT; k++) {
            int kind = (r % 2 == 0) ? k : K_COUNT - 1 - k;
            if (run_kind(&s[kind], r, (enum kind)kind, &m, &pool, gw.pid, &o,
                         0, &f) < 0)
                goto done;
        }
    }
    bench_pool_free(&pool);
    for (k = 0; k < K_COUNT; k++) {
        med[k] = bench_median(s[k].rps, o.runs);
        printf("%-22s %8.0f req/s (median)  %.2f of the limit  %.0f per "
               "CPU second of the server\n", kind_label[k], med[k],
               med[K_GET] > 0 ? med[k] / med[K_GET] : 0.0,
               bench_median(s[k].per_cpu, o.runs));
    }
    bench_print_load("end");
    printf("disk: 4 KiB write + fdatasync takes %.0f us (median of 101)\n",
           bench_fsync_probe(tmp));
    print_batches(gw.port);
    for (k = 0; k < K_COUNT; k++)
        cpu_us[k] = bench_median(s[k].per_cpu, o.runs);
    if (cpu_us[K_GET] > 0 && cpu_us[K_GET_SIGNED] > 0 &&
        cpu_us[K_PUT_SIGNED] > 0) {
        for (k = 0; k < K_COUNT; k++)
            cpu_us[k] = 1e6 / cpu_us[k];
        printf("server CPU per request: GET %.0f us; the signature adds %.0f "
               "us; the nonce, the plan and the write (PUT) add %.0f us\n",
               cpu_us[K_GET], cpu_us[K_GET_SIGNED] - cpu_us[K_GET],
               cpu_us[K_PUT_SIGNED] - cpu_us[K_GET_SIGNED]);
    }
    verify_s = verify_probe(&owner, ds.id_text);
    if (verify_s > 0 && cpu_us[K_GET] > 0)
        printf("the signature check alone (reqsig_verify: EIP-191 digest, "
               "secp256k1 recovery) takes %.1f us of CPU: on one core a "
               "signed GET can reach at most %.2f of the unsigned one\n",
               verify_s * 1e6,
               cpu_us[K_GET] / (cpu_us[K_GET] + verify_s * 1e6));
    printf("goal: ours >= 0.6 of the limit\n");
    if (bench_sluiced_stop(&gw) < 0) {
        fault_set(&f, FAULT_INTERNAL, NULL, "sluiced did not stop cleanly");
        goto done;
    }
    bench_result("signed", med[K_GET_SIGNED], med[K_GET], "req/s");
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "bench/signed: %s\n",
                bench_interrupted() ? "interrupted" : f.detail);
    bench_pool_free(&pool);
    bench_sluiced_stop(&gw);
    bench_proc_stop_all();
    bench_dataset_clear(&ds);
    ethkey_wipe(&owner);
    bench_tree_remove(tmp);
    return rv;
}
