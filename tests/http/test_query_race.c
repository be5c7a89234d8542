/* In-process race test of metered queries (DESIGN.md 3.1, 3.6, 3.10, 4):
 * one worker credited with exactly CREDIT units, and 64 threads, each on
 * a connection of its own, firing signed queries at one data-set at once,
 * far more than the credit pays for. No chain is followed, so a query the
 * balance does not cover is 503 (a 402 would need the chain).
 *
 * After each round, the ledger is read straight from the SQLite file (a
 * read-only connection of our own) and through the ledger's audit log on
 * the gateway's loop thread, and must show (TigerBeetle's auditor habit):
 * - the debits (queries rows' cost) sum to the spent total, never past
 *   the credit; the balance is credit - spent, and every audit entry's
 *   balance_after = credited_total - spent_total >= 0, its spent_total
 *   the previous entry's plus its cost;
 * - every nonce that got a 200 has exactly one queries row and one audit
 *   entry with its query_id, its cost and balance_after, its receipt the
 *   entry's text and hash, and a remembered answer byte for byte the one
 *   the client got; every 200 of one nonce is the same body;
 * - a nonce that never got a 200 left no queries row and no remembered
 *   answer, and cost more than the balance left at the end (which only
 *   went down): a refusal was never wrong;
 * - the audit chain verifies (audit_check_next over ledger_audit_each).
 * Three rounds: all at once behind a barrier; staggered; and with retries
 * of the same nonce mixed in (at once from two threads, again after the
 * answer, and with another body, which is 409 and charges nothing), with
 * four threads checking signatures so that requests reach the loop out of
 * the order they came in. */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "gateway/gateway.h"
#include "lib/hex.h"
#include "lib/random.h"
#include "lib/reqsig.h"
#include "pricing/audit.h"
#include "pricing/ledger.h"
#include "tests/support/gwtest.h"

#define NTHREADS 64
#define PER_THREAD 5
#define ROWS 400
#define CHUNK_ROWS 10
#define NCHUNKS (ROWS / CHUNK_ROWS)
#define CREDIT 1500
#define CHAIN_ID 31337

/* 3 a query and 7 a chunk: a query of k chunks costs 3 + 7k. */
#define PLAN                                                                 \
    "{\"kind\":\"metered\",\"unit_wei\":\"1000\",\"per_query\":\"3\","     \
    "\"per_chunk\":\"7\",\"per_row\":\"0\",\"per_mib\":\"0\"}"

enum race_mode {
    RACE_PLAIN,   /* sent once (retried only while in flight) */
    RACE_AGAIN,   /* sent, then sent again with the same nonce */
    RACE_TWIN,    /* sent at once by two threads with the same nonce */
    RACE_OTHER    /* sent, then the same nonce with another body: 409 */
};

/* One query a thread will send. */
struct race_query {
    char nonce[40];
    char body[160];
    uint64_t cost;       /* 3 + 7 x distinct chunks */
    enum race_mode mode;
};

/* One answer a thread got. */
struct race_answer {
    const struct race_query *q;
    int other_body;      /* sent with another body than q's */
    int status;
    char *body;
    size_t len;
};

struct race_thread {
    struct fixture *fx;
    struct race_query qs[PER_THREAD];
    struct race_answer *as;
    size_t nas, cap;
    int sock;
    unsigned stagger_ms; /* 0: back to back */
    uint64_t seed;
    char err[256];       /* a harness failure, reported by the main thread */
};

struct fixture {
    struct gwtest t;
    struct ethkey owner, worker;
    char id[67];
    uint8_t id_bytes[32];
    char worker_text[ETHADDR_TEXT_SIZE];
    char target[160];
    pthread_barrier_t go;
    struct race_thread th[NTHREADS];
};

/* ---- the client: one connection per thread, no cmocka in threads ----- */

static int race_connect(struct race_thread *rt)
{
    struct sockaddr_in sa;
    struct timeval tv = {20, 0};
    int one = 1;

    rt->sock = socket(AF_INET, SOCK_STREAM, 0);
    if (rt->sock < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(rt->fx->t.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(rt->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(rt->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(rt->sock, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(rt->sock);
        rt->sock = -1;
        return -1;
    }
    return 0;
}

/* Read one answer from rt's connection: its status, whether the server
 * will close, and its body (malloc'd). Returns 0, or -1 when the
 * connection ended first. */
static int race_read(struct race_thread *rt, int *status, int *closing,
                     char **body, size_t *len)
{
    char *buf = NULL, *end, *cl;
    size_t have = 0, cap = 0, head_len = 0, want = 0;
    ssize_t n;

    *body = NULL;
    *len = 0;
    for (;;) {
        if (have + 4096 + 1 > cap) {
            cap = (have + 4096 + 1) * 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                return -1;
        }
        buf[have] = '\0';
        end = head_len == 0 ? strstr(buf, "\r\n\r\n") : NULL;
        if (end != NULL) {
            head_len = (size_t)(end - buf) + 4;
            cl = strcasestr(buf, "\r\nContent-Length:");
            want = cl != NULL && cl < end ? strtoull(cl + 17, NULL, 10) : 0;
            if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
                break;
            *closing = strcasestr(buf, "\r\nConnection: close") != NULL &&
                       strcasestr(buf, "\r\nConnection: close") < end;
        }
        if (head_len > 0 && have - head_len >= want) {
            *body = malloc(want + 1);
            if (*body == NULL)
                break;
            memcpy(*body, buf + head_len, want);
            (*body)[want] = '\0';
            *len = want;
            free(buf);
            return 0;
        }
        n = recv(rt->sock, buf + have, cap - have - 1, 0);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    free(buf);
    return -1;
}

/* Send body signed by the worker with nonce on rt's connection (made
 * again when the last one ended) and read the answer. Returns 0, or -1
 * with rt->err set. */
static int race_send(struct race_thread *rt, const char *nonce,
                     const char *body, int *status, char **resp,
                     size_t *resp_len)
{
    char ts[24], sig[ETHSIG_TEXT_SIZE], head[1024];
    char *msg = NULL;
    size_t mlen = 0, blen = strlen(body);
    struct fault f;
    int n, closing = 0, tries;

    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    if (reqsig_message(&msg, &mlen, "POST", rt->fx->target,
                       strlen(rt->fx->target), (const uint8_t *)body, blen,
                       ts, nonce, &f) < 0 ||
        reqsig_sign(sig, &rt->fx->worker, msg, mlen, &f) < 0) {
        free(msg);
        snprintf(rt->err, sizeof rt->err, "sign: %.200s", f.detail);
        return -1;
    }
    free(msg);
    n = snprintf(head, sizeof head,
                 "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Type: application/json\r\n"
                 "X-Sluice-Timestamp: %s\r\nX-Sluice-Nonce: %s\r\n"
                 "X-Sluice-Signature: %s\r\nContent-Length: %zu\r\n\r\n",
                 rt->fx->target, ts, nonce, sig, blen);
    /* A connection the server closed is made again, and the request sent
     * again: the nonce makes that safe. */
    for (tries = 0; tries < 3; tries++) {
        if (rt->sock < 0 && race_connect(rt) < 0)
            continue;
        if (send(rt->sock, head, (size_t)n, MSG_NOSIGNAL) == n &&
            send(rt->sock, body, blen, MSG_NOSIGNAL) == (ssize_t)blen &&
            race_read(rt, status, &closing, resp, resp_len) == 0) {
            if (closing) {
                close(rt->sock);
                rt->sock = -1;
            }
            return 0;
        }
        close(rt->sock);
        rt->sock = -1;
    }
    snprintf(rt->err, sizeof rt->err, "no answer to nonce %s", nonce);
    return -1;
}

static int race_is_in_flight(int status, const char *body)
{
    return status == 409 && strstr(body, "urn:sluice:problem:in-flight");
}

/* Send until the answer is not "still in flight", and keep each answer. */
static int race_ask(struct race_thread *rt, const struct race_query *q,
                    const char *body)
{
    struct race_answer *a;
    int status, spins;
    char *resp;
    size_t len;

    for (spins = 0; spins < 500; spins++) {
        if (race_send(rt, q->nonce, body, &status, &resp, &len) < 0)
            return -1;
        if (!race_is_in_flight(status, resp))
            break;
        free(resp);
        usleep(2000);
    }
    if (spins == 500) {
        snprintf(rt->err, sizeof rt->err, "%s stayed in flight", q->nonce);
        return -1;
    }
    if (rt->nas == rt->cap) {
        rt->cap = rt->cap ? rt->cap * 2 : 16;
        rt->as = realloc(rt->as, rt->cap * sizeof *rt->as);
        if (rt->as == NULL)
            return -1;
    }
    a = &rt->as[rt->nas++];
    a->q = q;
    a->other_body = body != q->body;
    a->status = status;
    a->body = resp;
    a->len = len;
    return 0;
}

static void *race_thread_main(void *arg)
{
    struct race_thread *rt = arg;
    size_t i;

    if (race_connect(rt) < 0)
        snprintf(rt->err, sizeof rt->err, "connect");
    pthread_barrier_wait(&rt->fx->go);
    for (i = 0; i < PER_THREAD && rt->err[0] == '\0'; i++) {
        const struct race_query *q = &rt->qs[i];

        if (rt->stagger_ms > 0) {
            rt->seed = rt->seed * 6364136223846793005ull + 1442695040888963407ull;
            usleep((useconds_t)((rt->seed >> 33) % (rt->stagger_ms * 1000)));
        }
        if (race_ask(rt, q, q->body) < 0)
            break;
        if (q->mode == RACE_AGAIN && race_ask(rt, q, q->body) < 0)
            break;
        if (q->mode == RACE_OTHER &&
            rt->as[rt->nas - 1].status == 200 &&
            race_ask(rt, q, "{\"all\":true,\"max_cost\":\"1\"}") < 0)
            break;
    }
    if (rt->sock >= 0)
        close(rt->sock);
    rt->sock = -1;
    return NULL;
}

/* ---- the data-set and the credit --------------------------------------- */

static json_t *body_json(const char *body, size_t len)
{
    json_error_t e;
    json_t *j = json_loadb(body, len, 0, &e);

    if (j == NULL)
        fail_msg("not JSON: %.*s", (int)len, body);
    return j;
}

static void want_status(const struct gwtest_resp *r, int status,
                        const char *what)
{
    if (r->status != status)
        fail_msg("%s: status %d, want %d: %.*s", what, r->status, status,
                 (int)r->body_len, r->body);
}

static void publish(struct fixture *fx)
{
    struct gwtest_resp r;
    char target[160], *csv;
    size_t cap = 64 + (size_t)ROWS * 32, n = 0;
    json_t *j;
    int i, tries;

    gwtest_signed(&fx->t, &fx->owner, "POST", "/v1/datasets",
                  "{\"name\":\"race\",\"format\":\"csv\",\"chunking\":{\"rows\":"
                  "10},\"price\":" PLAN "}",
                  NULL, &r);
    want_status(&r, 201, "create");
    j = body_json(r.body, r.body_len);
    snprintf(fx->id, sizeof fx->id, "%s",
             json_string_value(json_object_get(j, "id")));
    json_decref(j);
    gwtest_resp_clear(&r);
    assert_int_equal(hex_decode_0x(fx->id_bytes, 32, fx->id, 66, "id", NULL),
                     0);
    csv = malloc(cap);
    assert_non_null(csv);
    n += (size_t)snprintf(csv + n, cap - n, "id,v\n");
    for (i = 0; i < ROWS; i++)
        n += (size_t)snprintf(csv + n, cap - n, "%d,%d\n", i, i * 7 % 100);
    snprintf(target, sizeof target, "/v1/datasets/%s/parts/1", fx->id);
    gwtest_signed(&fx->t, &fx->owner, "PUT", target, csv, NULL, &r);
    free(csv);
    want_status(&r, 200, "part");
    gwtest_resp_clear(&r);
    snprintf(target, sizeof target, "/v1/datasets/%s/publish", fx->id);
    gwtest_signed(&fx->t, &fx->owner, "POST", target, "", NULL, &r);
    want_status(&r, 202, "publish");
    gwtest_resp_clear(&r);
    snprintf(target, sizeof target, "/v1/datasets/%s", fx->id);
    for (tries = 0; tries < 600; tries++) {
        const char *state;

        gwtest_signed(&fx->t, &fx->owner, "GET", target, NULL, NULL, &r);
        j = body_json(r.body, r.body_len);
        state = json_string_value(json_object_get(j, "state"));
        if (state == NULL || strcmp(state, "failed") == 0)
            fail_msg("publish: %.*s", (int)r.body_len, r.body);
        if (strcmp(state, "published") == 0) {
            assert_int_equal(
                json_integer_value(json_object_get(j, "chunk_count")),
                NCHUNKS);
            json_decref(j);
            gwtest_resp_clear(&r);
            return;
        }
        json_decref(j);
        gwtest_resp_clear(&r);
        usleep(20000);
    }
    fail_msg("the data-set was not published");
}

/* CREDIT units for the worker, credited as the follower would. */
struct credit {
    const struct fixture *fx;
    int rc;
};

static void credit_on_loop(struct gateway *gw, void *arg)
{
    struct credit *cr = arg;
    struct ledger_payment p;
    struct ledger_step st;
    struct ledger_chain cs;
    uint8_t contract[20] = {0xc0};
    uint64_t reversed;
    struct fault f;

    memset(&p, 0, sizeof p);
    memset(&st, 0, sizeof st);
    p.chain_id = CHAIN_ID;
    p.tx_hash[0] = 0x77;
    p.block_number = 1;
    p.block_hash[0] = 1;
    memcpy(p.dataset_id, cr->fx->id_bytes, 32);
    p.worker = cr->fx->worker.addr;
    p.payer = cr->fx->worker.addr;
    p.owner = cr->fx->owner.addr;
    snprintf(p.amount_wei, sizeof p.amount_wei, "%d", CREDIT * 1000);
    st.chain_id = CHAIN_ID;
    st.payments = &p;
    st.npayments = 1;
    st.tip = 1;
    st.credit = 1;
    st.credit_upto = 1;
    cr->rc = -1;
    if (ledger_begin(gw->ledger, &f) < 0)
        return;
    if (ledger_chain_open(gw->ledger, &cs, CHAIN_ID, contract, 0, &f) < 0 ||
        ledger_apply_step(gw->ledger, &st, (int64_t)time(NULL), &reversed,
                          &f) < 0 ||
        ledger_commit(gw->ledger, &f) < 0) {
        fprintf(stderr, "credit: %s\n", f.detail);
        ledger_rollback(gw->ledger);
        return;
    }
    cr->rc = 0;
}

/* Four threads check signatures, so that requests reach the loop (and
 * the nonce gate and the group commit) in an order of their own. */
static void four_verifiers(struct gateway_options *o)
{
    o->verify_threads = 4;
}

static int setup_with(void **state, void (*adjust)(struct gateway_options *))
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct credit cr;

    assert_non_null(fx);
    gwtest_start(&fx->t, adjust);
    gwtest_key(&fx->owner, 1);
    gwtest_key(&fx->worker, 2);
    ethaddr_to_text(fx->worker_text, &fx->worker.addr);
    publish(fx);
    snprintf(fx->target, sizeof fx->target, "/v1/datasets/%s/queries",
             fx->id);
    cr.fx = fx;
    gwtest_on_loop(&fx->t, credit_on_loop, &cr);
    assert_int_equal(cr.rc, 0);
    *state = fx;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL);
}

static int setup_verifiers(void **state)
{
    return setup_with(state, four_verifiers);
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    size_t i, k;

    gwtest_stop(&fx->t);
    ethkey_wipe(&fx->owner);
    ethkey_wipe(&fx->worker);
    for (i = 0; i < NTHREADS; i++) {
        for (k = 0; k < fx->th[i].nas; k++)
            free(fx->th[i].as[k].body);
        free(fx->th[i].as);
    }
    free(fx);
    return 0;
}

/* ---- the queries -------------------------------------------------------- */

static uint64_t race_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Make each thread's queries: chunks queries of 0 to 5 chunks (some
 * repeated), in the modes asked for. Twins are thread 2j and 2j + 1. */
static void race_plan(struct fixture *fx, uint64_t seed, int modes,
                      unsigned stagger_ms)
{
    uint64_t s = seed;
    size_t i, k, j;

    for (i = 0; i < NTHREADS; i++) {
        struct race_thread *rt = &fx->th[i];

        memset(rt, 0, sizeof *rt);
        rt->fx = fx;
        rt->sock = -1;
        rt->stagger_ms = stagger_ms;
        rt->seed = seed + i;
        for (k = 0; k < PER_THREAD; k++) {
            struct race_query *q = &rt->qs[k];
            uint8_t raw[16], seen[NCHUNKS] = {0};
            size_t nk = race_rand(&s) % 6, n = 0, distinct = 0;
            struct fault f;

            if (modes && (i & 1) && fx->th[i - 1].qs[k].mode == RACE_TWIN) {
                *q = fx->th[i - 1].qs[k];
                continue;
            }
            if (random_bytes(raw, sizeof raw, &f) < 0 ||
                hex_encode(q->nonce, sizeof q->nonce, raw, sizeof raw) < 0)
                fail_msg("nonce");
            n += (size_t)snprintf(q->body + n, sizeof q->body - n,
                                  "{\"chunks\":[");
            for (j = 0; j < nk; j++) {
                unsigned c = (unsigned)(race_rand(&s) % NCHUNKS);
                n += (size_t)snprintf(q->body + n, sizeof q->body - n,
                                      "%s%u", j ? "," : "", c);
                distinct += !seen[c];
                seen[c] = 1;
            }
            snprintf(q->body + n, sizeof q->body - n, "]}");
            q->cost = 3 + 7 * distinct;
            q->mode = modes ? (enum race_mode)(race_rand(&s) % 4)
                            : RACE_PLAIN;
        }
    }
}

static void race_run(struct fixture *fx)
{
    pthread_t tid[NTHREADS];
    size_t i;

    assert_int_equal(pthread_barrier_init(&fx->go, NULL, NTHREADS), 0);
    for (i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&tid[i], NULL, race_thread_main,
                                        &fx->th[i]),
                         0);
    for (i = 0; i < NTHREADS; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&fx->go);
    for (i = 0; i < NTHREADS; i++)
        if (fx->th[i].err[0] != '\0')
            fail_msg("thread %zu: %s", i, fx->th[i].err);
}

/* ---- the audit ---------------------------------------------------------- */

/* The audit chain, walked through the ledger on the loop thread. */
struct race_chain {
    struct audit_check check;
    int rc;
    char err[256];
};

static int race_chain_entry(void *arg, uint64_t index, const char *text,
                            size_t len, const uint8_t hash[32],
                            struct fault *f)
{
    struct race_chain *rc = arg;

    return audit_check_next(&rc->check, index, text, len, hash, f);
}

static void race_chain_on_loop(struct gateway *gw, void *arg)
{
    struct race_chain *rc = arg;
    struct fault f;

    audit_check_start(&rc->check);
    rc->rc = ledger_audit_each(gw->ledger, 1, race_chain_entry, rc, &f);
    if (rc->rc < 0)
        snprintf(rc->err, sizeof rc->err, "%.200s", f.detail);
}

/* One value of an entry's text: the line "name: value". */
static uint64_t entry_u64(const char *text, const char *name)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof pat, "\n%s: ", name);
    p = strstr(text, pat);
    if (p == NULL)
        fail_msg("no %s in %s", name, text);
    return strtoull(p + strlen(pat), NULL, 10);
}

static const char *entry_text(const char *text, const char *name, char *out,
                              size_t cap)
{
    char pat[64];
    const char *p, *e;

    snprintf(pat, sizeof pat, "\n%s: ", name);
    p = strstr(text, pat);
    if (p == NULL)
        fail_msg("no %s in %s", name, text);
    p += strlen(pat);
    e = strchr(p, '\n');
    snprintf(out, cap, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
    return out;
}

/* What the ledger file holds for one query_id. */
struct race_row {
    char qid[35];
    uint64_t cost, audit_index;
    int seen;           /* answered 200 to a client */
};

struct race_entry {
    uint64_t idx;
    char *text;
    uint8_t hash[32];
    char qid[35];
    int used;
};

static void race_check(struct fixture *fx, size_t *answered_out)
{
    char path[4200], qid[35], buf[160];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct race_row *rows = NULL;
    struct race_entry *ents = NULL;
    size_t nrows = 0, nents = 0, i, k, j, answered = 0;
    uint64_t spent = 0, units = 0, credited = 0, owed = 0, prev_spent = 0;
    struct race_chain chain;
    int rc;

    /* The rows, the entries and the balance, from the file. */
    snprintf(path, sizeof path, "%s/sluice.db", fx->t.opt.data_dir);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT query_id, cost, audit_index, worker, "
                           "dataset_id FROM queries ORDER BY audit_index",
                           -1, &st, NULL),
        SQLITE_OK);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rows = realloc(rows, (nrows + 1) * sizeof *rows);
        assert_non_null(rows);
        assert_int_equal(sqlite3_column_bytes(st, 0), 16);
        assert_int_equal(hex_encode_0x(rows[nrows].qid, sizeof rows[nrows].qid,
                                       sqlite3_column_blob(st, 0), 16),
                         0);
        rows[nrows].cost = (uint64_t)sqlite3_column_int64(st, 1);
        rows[nrows].audit_index = (uint64_t)sqlite3_column_int64(st, 2);
        rows[nrows].seen = 0;
        assert_memory_equal(sqlite3_column_blob(st, 3), fx->worker.addr.bytes,
                            20);
        assert_memory_equal(sqlite3_column_blob(st, 4), fx->id_bytes, 32);
        spent += rows[nrows].cost;
        nrows++;
    }
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT idx, text, hash FROM audit_log ORDER "
                               "BY idx", -1, &st, NULL),
        SQLITE_OK);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ents = realloc(ents, (nents + 1) * sizeof *ents);
        assert_non_null(ents);
        ents[nents].idx = (uint64_t)sqlite3_column_int64(st, 0);
        ents[nents].text = strdup((const char *)sqlite3_column_text(st, 1));
        assert_int_equal(sqlite3_column_bytes(st, 2), 32);
        memcpy(ents[nents].hash, sqlite3_column_blob(st, 2), 32);
        entry_text(ents[nents].text, "query", ents[nents].qid,
                   sizeof ents[nents].qid);
        ents[nents].used = 0;
        nents++;
    }
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT units, credited_total, spent_total, "
                               "owed_units FROM balances WHERE worker = ?1 "
                               "AND dataset_id = ?2", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_blob(st, 1, fx->worker.addr.bytes, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, fx->id_bytes, 32, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    units = (uint64_t)sqlite3_column_int64(st, 0);
    credited = (uint64_t)sqlite3_column_int64(st, 1);
    assert_int_equal((uint64_t)sqlite3_column_int64(st, 2), spent);
    owed = (uint64_t)sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);

    /* The money: never past the credit, the balance what is left. */
    assert_int_equal(credited, CREDIT);
    assert_int_equal(owed, 0);
    assert_true(spent <= CREDIT);
    assert_int_equal(units, CREDIT - spent);
    assert_true(nrows > 0);

    /* One entry per row and one row per entry, linked by index; each
     * entry's amounts follow from the one before. */
    assert_int_equal(nents, nrows);
    for (i = 0; i < nents; i++) {
        uint64_t cost = entry_u64(ents[i].text, "cost");
        uint64_t after = entry_u64(ents[i].text, "balance_after");
        uint64_t ct = entry_u64(ents[i].text, "credited_total");
        uint64_t sp = entry_u64(ents[i].text, "spent_total");

        assert_int_equal(ents[i].idx, i + 1);
        assert_int_equal(rows[i].audit_index, ents[i].idx);
        assert_string_equal(rows[i].qid, ents[i].qid);
        assert_int_equal(rows[i].cost, cost);
        assert_int_equal(ct, CREDIT);
        assert_int_equal(sp, prev_spent + cost);
        assert_true(sp <= ct);
        assert_int_equal(after, ct - sp);
        assert_string_equal(entry_text(ents[i].text, "worker", buf,
                                       sizeof buf),
                            fx->worker_text);
        prev_spent = sp;
    }

    /* Every answer a client got. */
    for (i = 0; i < NTHREADS; i++) {
        struct race_thread *rt = &fx->th[i];

        for (k = 0; k < rt->nas; k++) {
            struct race_answer *a = &rt->as[k];
            const struct race_query *q = a->q;
            int found = 0;

            if (a->other_body) {
                /* The same nonce with another body: refused, charged
                 * nothing (the rows are one per 200 nonce, below). */
                if (a->status != 409 ||
                    strstr(a->body, "urn:sluice:problem:nonce-reused") ==
                        NULL)
                    fail_msg("another body on %s: %d %s", q->nonce,
                             a->status, a->body);
                continue;
            }
            if (a->status == 503) {
                /* Refused for want of balance: its cost is more than the
                 * balance ever was after. */
                assert_true(q->cost > units);
                continue;
            }
            if (a->status != 200)
                fail_msg("%s: %d %s", q->nonce, a->status, a->body);
            {
                json_t *doc = body_json(a->body, a->len);
                const json_t *rcpt = json_object_get(doc, "receipt");
                const char *text = json_string_value(
                    json_object_get(rcpt, "text"));
                char hash[67];

                snprintf(qid, sizeof qid, "%s",
                         json_string_value(json_object_get(doc, "query_id")));
                for (j = 0; j < nrows; j++) {
                    if (strcmp(rows[j].qid, qid) != 0)
                        continue;
                    found++;
                    rows[j].seen = 1;
                    assert_int_equal(rows[j].cost, q->cost);
                    assert_string_equal(ents[j].text, text);
                    assert_int_equal(hex_encode_0x(hash, sizeof hash,
                                                   ents[j].hash, 32),
                                     0);
                    assert_string_equal(
                        json_string_value(json_object_get(rcpt, "hash")),
                        hash);
                    assert_int_equal(
                        strtoull(json_string_value(
                                     json_object_get(doc, "balance_after")),
                                 NULL, 10),
                        entry_u64(ents[j].text, "balance_after"));
                }
                assert_int_equal(found, 1);
                json_decref(doc);
            }
        }
    }

    /* Per nonce: every 200 the same body; a 200 nonce remembered with
     * that body, a refused one not remembered at all. */
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT status, response FROM request_nonces "
                               "WHERE address = ?1 AND nonce = ?2",
                           -1, &st, NULL),
        SQLITE_OK);
    for (i = 0; i < NTHREADS; i++) {
        for (k = 0; k < PER_THREAD; k++) {
            const struct race_query *q = &fx->th[i].qs[k];
            const struct race_answer *ok = NULL;
            size_t t, m;
            int any503 = 0;

            if ((i & 1) && strcmp(fx->th[i - 1].qs[k].nonce, q->nonce) == 0)
                continue; /* a twin: its answers are seen with the first */
            for (t = 0; t < NTHREADS; t++) {
                for (m = 0; m < fx->th[t].nas; m++) {
                    const struct race_answer *a = &fx->th[t].as[m];
                    if (strcmp(a->q->nonce, q->nonce) != 0 || a->other_body)
                        continue;
                    if (a->status == 503)
                        any503 = 1;
                    if (a->status != 200)
                        continue;
                    if (ok == NULL) {
                        ok = a;
                        answered++;
                    } else if (ok->len != a->len ||
                               memcmp(ok->body, a->body, a->len) != 0) {
                        fail_msg("two answers to %s differ", q->nonce);
                    }
                }
            }
            /* A refusal is not recorded; the balance only went down
             * since, so a 200 after a 503 is wrong. */
            if (ok != NULL && any503)
                fail_msg("%s got both 503 and 200", q->nonce);
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, fx->worker_text, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, q->nonce, -1, SQLITE_STATIC);
            rc = sqlite3_step(st);
            if (ok == NULL) {
                if (rc != SQLITE_DONE)
                    fail_msg("refused %s was remembered", q->nonce);
                continue;
            }
            assert_int_equal(rc, SQLITE_ROW);
            assert_int_equal(sqlite3_column_int(st, 0), 200);
            assert_int_equal((size_t)sqlite3_column_bytes(st, 1), ok->len);
            assert_memory_equal(sqlite3_column_blob(st, 1), ok->body,
                                ok->len);
        }
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    /* No row that no client was answered with: answers are sent only
     * after their commit, and every request got one. */
    assert_int_equal(answered, nrows);
    for (j = 0; j < nrows; j++)
        if (!rows[j].seen)
            fail_msg("row %s was answered to nobody", rows[j].qid);

    /* The chain, through the ledger on the loop thread. */
    memset(&chain, 0, sizeof chain);
    gwtest_on_loop(&fx->t, race_chain_on_loop, &chain);
    if (chain.rc != 0)
        fail_msg("audit chain: %s", chain.err);
    assert_int_equal(chain.check.count, nents);
    assert_memory_equal(chain.check.last, ents[nents - 1].hash, 32);

    for (i = 0; i < nents; i++)
        free(ents[i].text);
    free(ents);
    free(rows);
    *answered_out = answered;
}

/* A counter of GET /metrics. */
static unsigned long long race_metric(struct fixture *fx, const char *name)
{
    struct gwtest_resp r;
    char pat[128];
    const char *p;
    unsigned long long v;

    gwtest_send(&fx->t, "GET", "/metrics", NULL, NULL, &r);
    want_status(&r, 200, "metrics");
    snprintf(pat, sizeof pat, "\n%s ", name);
    p = strstr(r.body, pat);
    if (p == NULL)
        fail_msg("no %s in /metrics", name);
    v = strtoull(p + strlen(pat), NULL, 10);
    gwtest_resp_clear(&r);
    return v;
}

/* Print what a round did; the group commit must have run queries
 * together (more requests than commits), or the round raced nothing. */
static void race_report(struct fixture *fx, const char *name,
                        size_t answered)
{
    size_t i, k, n = 0, s200 = 0, s503 = 0, s409 = 0;
    unsigned long long batches = race_metric(fx, "sluice_write_batches_total");
    unsigned long long batched =
        race_metric(fx, "sluice_write_batch_requests_total");

    for (i = 0; i < NTHREADS; i++)
        for (k = 0; k < fx->th[i].nas; k++) {
            n++;
            s200 += fx->th[i].as[k].status == 200;
            s503 += fx->th[i].as[k].status == 503;
            s409 += fx->th[i].as[k].status == 409;
        }
    printf("%s: %zu answers (%zu 200, %zu 503, %zu 409), %zu queries "
           "paid; %llu requests in %llu group commits\n", name, n, s200,
           s503, s409, answered, batched, batches);
    assert_true(batched > batches);
}

static void test_race_at_once(void **state)
{
    struct fixture *fx = *state;
    size_t answered;

    race_plan(fx, 0x1234567ull, 0, 0);
    race_run(fx);
    race_check(fx, &answered);
    race_report(fx, "at once", answered);
}

static void test_race_staggered(void **state)
{
    struct fixture *fx = *state;
    size_t answered;

    race_plan(fx, 0xabcdefull, 0, 40);
    race_run(fx);
    race_check(fx, &answered);
    race_report(fx, "staggered", answered);
}

static void test_race_retries(void **state)
{
    struct fixture *fx = *state;
    size_t answered;

    race_plan(fx, 0x5eed5eedull, 1, 5);
    race_run(fx);
    race_check(fx, &answered);
    race_report(fx, "retries", answered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_race_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_race_staggered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_race_retries, setup_verifiers,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
