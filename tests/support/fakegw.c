#include "tests/support/fakegw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "lib/ethsig.h"
#include "lib/hex.h"
#include "lib/keywrap.h"
#include "lib/random.h"
#include "lib/reqsig.h"
#include "lib/secret.h"
#include "storage/dskey.h"
#include "tests/support/testutil.h"

#define FAKEGW_DIE(...)                                                     \
    do {                                                                    \
        fprintf(stderr, "fakegw: " __VA_ARGS__);                            \
        fputc('\n', stderr);                                                \
        abort();                                                            \
    } while (0)

static const uint8_t fakegw_gw_secret[32] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    0xcc, 0xdd, 0xee, 0xff, 0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76,
    0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f, 0x01,
};
static const uint8_t fakegw_other_secret[32] = {
    0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b,
    0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
    0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70,
};

static void fakegw_problem(struct httpserve_resp *resp, int status,
                           const char *type, const char *detail)
{
    char text[512];

    snprintf(text, sizeof text,
             "{\"type\":\"urn:sluice:problem:%s\",\"title\":\"%s\","
             "\"status\":%d,\"detail\":\"%s\"}",
             type, type, status, detail);
    httpserve_text(resp, status, "application/problem+json", text);
}

static void fakegw_json(struct httpserve_resp *resp, int status,
                        const char *ctype, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);

    if (text == NULL)
        FAKEGW_DIE("json_dumps");
    httpserve_text(resp, status, ctype, text);
    free(text);
    json_decref(doc);
}

static struct fakegw_ds *fakegw_find(struct fakegw *g, const char *id_text)
{
    size_t i;

    for (i = 0; i < g->nds; i++)
        if (strncmp(g->ds[i].id_text, id_text, 66) == 0)
            return &g->ds[i];
    return NULL;
}

static const char *fakegw_format(enum splitter_format fmt)
{
    return fmt == SPLITTER_CSV ? "csv" : fmt == SPLITTER_JSONL ? "jsonl"
                                                               : "blob";
}

static json_t *fakegw_plan(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kind",
                     "metered", "unit_wei", "1000000000", "per_query", "1",
                     "per_chunk", "2", "per_row", "0", "per_mib", "0",
                     "min_purchase", "0");
}

static void fakegw_view(struct fakegw *g, struct fakegw_ds *d,
                        struct httpserve_resp *resp)
{
    char owner[ETHADDR_TEXT_SIZE];
    json_t *cols = json_array();
    size_t i;

    for (i = 0; i < d->ncols; i++)
        json_array_append_new(cols, json_pack("{s:s, s:s}", "name",
                                              d->cols[i].name, "type",
                                              d->cols[i].is_number
                                                  ? "number"
                                                  : "text"));
    ethaddr_to_text(owner, &g->other_key.addr);
    fakegw_json(resp, 200, NULL,
                json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:s, s:o}",
                          "id", d->id_text, "name", "test", "state",
                          "published", "format", fakegw_format(d->fmt),
                          "columns", cols, "rows", (json_int_t)d->rows,
                          "chunk_count", (json_int_t)d->n, "owner", owner,
                          "price", fakegw_plan()));
    if (g->preview_raw != NULL) {
        /* As the gateway does: the stored text spliced in, not parsed. */
        size_t n = resp->body_len, k = strlen(g->preview_raw);
        uint8_t *b = malloc(n + k + 16);
        if (b == NULL)
            FAKEGW_DIE("oom");
        memcpy(b, resp->body, n - 1);
        memcpy(b + n - 1, ",\"preview\":", 11);
        memcpy(b + n + 10, g->preview_raw, k);
        b[n + 10 + k] = '}';
        free(resp->body);
        resp->body = b;
        resp->body_len = n + 11 + k;
    }
}

/* The chunks (positions in d->chunks) that body selects. */
static size_t fakegw_select(struct fakegw_ds *d, const struct httpserve_req *req,
                            size_t *pos, uint64_t *max_cost, int *has_max)
{
    json_t *doc, *sel, *v;
    size_t n = 0, i, k;
    uint64_t from, to;
    const char *mc;

    *has_max = 0;
    /* A where may hold numbers jansson cannot read (1e400): take every
     * chunk, which a where may always touch. */
    if (req->body_len >= 9 && memcmp(req->body, "{\"where\":", 9) == 0) {
        for (i = 0; i < d->n; i++)
            pos[n++] = i;
        return n;
    }
    doc = json_loadb((const char *)req->body, req->body_len, 0, NULL);
    if (doc == NULL)
        FAKEGW_DIE("the query body does not parse: %.*s",
                   (int)req->body_len, req->body);
    mc = json_string_value(json_object_get(doc, "max_cost"));
    if (mc != NULL) {
        *has_max = 1;
        *max_cost = strtoull(mc, NULL, 10);
    }
    if ((sel = json_object_get(doc, "rows")) != NULL) {
        from = (uint64_t)json_integer_value(json_object_get(sel, "from"));
        to = (uint64_t)json_integer_value(json_object_get(sel, "to"));
        for (i = 0; i < d->n; i++)
            if (d->chunks[i].first_row < to &&
                d->chunks[i].first_row + d->chunks[i].rows > from)
                pos[n++] = i;
    } else if ((sel = json_object_get(doc, "chunks")) != NULL) {
        for (i = 0; i < d->n; i++)
            json_array_foreach(sel, k, v)
                if ((uint64_t)json_integer_value(v) == d->chunks[i].index) {
                    pos[n++] = i;
                    break;
                }
    } else {
        for (i = 0; i < d->n; i++)
            pos[n++] = i;
    }
    json_decref(doc);
    return n;
}

/* The receipt text of DESIGN.md 3.10, written here from the handbook. */
static char *fakegw_receipt_text(struct fakegw *g, const char *dataset,
                                 const char *worker, const char *qid,
                                 const uint64_t *idx, size_t n,
                                 uint64_t cost, uint64_t balance,
                                 uint64_t credited, uint64_t spent)
{
    size_t cap = 1024 + 24 * n, len, i;
    char *t = malloc(cap), gw[ETHADDR_TEXT_SIZE], prev[67];

    if (t == NULL)
        FAKEGW_DIE("oom");
    ethaddr_to_text(gw, &g->gw_key.addr);
    if (hex_encode_0x(prev, sizeof prev, g->prev, 32) < 0)
        FAKEGW_DIE("hex");
    len = (size_t)snprintf(t, cap,
                           "sluice-release-v1\nindex: %llu\nprev: %s\n"
                           "time: %lld\ngateway: %s\ndataset: %s\n"
                           "worker: %s\nquery: %s\nchunks: ",
                           (unsigned long long)g->receipt_index, prev,
                           (long long)time(NULL), gw, dataset, worker, qid);
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(t + len, cap - len, "%s%llu", i ? "," : "",
                                (unsigned long long)idx[i]);
    snprintf(t + len, cap - len,
             "\ncost: %llu\nbalance_after: %llu\ncredited_total: %llu\n"
             "spent_total: %llu",
             (unsigned long long)cost, (unsigned long long)balance,
             (unsigned long long)credited, (unsigned long long)spent);
    return t;
}

static json_t *fakegw_quote(struct fakegw_ds *d, const size_t *pos, size_t n,
                            uint64_t cost)
{
    json_t *list = json_array();
    uint64_t rows = 0, plain = 0;
    char c[32];
    size_t i;

    for (i = 0; i < n; i++) {
        json_array_append_new(list,
                              json_integer((json_int_t)d->chunks[pos[i]].index));
        rows += d->chunks[pos[i]].rows;
        plain += d->chunks[pos[i]].plain_bytes;
    }
    snprintf(c, sizeof c, "%llu", (unsigned long long)cost);
    return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "cost", c,
                     "chunk_count", (json_int_t)n, "rows", (json_int_t)rows,
                     "plain_bytes", (json_int_t)plain, "chunks", list,
                     "price", fakegw_plan());
}

static json_t *fakegw_payment(struct fakegw *g, struct fakegw_ds *d,
                              const char *worker, uint64_t units)
{
    char owner[ETHADDR_TEXT_SIZE], value[48];

    ethaddr_to_text(owner, &g->other_key.addr);
    snprintf(value, sizeof value, "%llu000000000", (unsigned long long)units);
    return json_pack("{s:I, s:s, s:s, s:[s, s, s, s], s:s, s:s}", "chain_id",
                     (json_int_t)31337, "contract",
                     "0x5FbDB2315678afecb367f032d93F642f64180aa3",
                     "function", "purchase(bytes32,address,address,bytes32)",
                     "args", d->id_text, owner, worker,
                     "0x0000000000000000000000000000000000000000000000000000"
                     "000000000000",
                     "data", "0xdeadbeef", "value_wei", value);
}

/* Recover the signer of a signed request; 0, or -1 when unsigned. */
static int fakegw_signer(const struct httpserve_req *req, secp256k1_pubkey *pub,
                         struct ethaddr *addr)
{
    char ts[32], nonce[80], sig[160];
    char *msg = NULL;
    size_t len = 0;
    struct fault f;
    int rv;

    if (httpserve_header(req, REQSIG_HEADER_TIMESTAMP, ts, sizeof ts) ==
            NULL ||
        httpserve_header(req, REQSIG_HEADER_NONCE, nonce, sizeof nonce) ==
            NULL ||
        httpserve_header(req, REQSIG_HEADER_SIGNATURE, sig, sizeof sig) ==
            NULL)
        return -1;
    if (reqsig_message(&msg, &len, req->method, req->target,
                       strlen(req->target), req->body, req->body_len, ts,
                       nonce, &f) < 0)
        FAKEGW_DIE("reqsig_message: %s", f.detail);
    rv = reqsig_verify(pub, addr, sig, strlen(sig), msg, len, &f);
    free(msg);
    if (rv < 0)
        FAKEGW_DIE("a bad request signature: %s", f.detail);
    return 0;
}

static void fakegw_query(struct fakegw *g, struct fakegw_ds *d,
                         const struct httpserve_req *req,
                         struct httpserve_resp *resp)
{
    size_t *pos = calloc(d->n + 1, sizeof *pos), n, i, nk;
    uint64_t *idx = calloc(d->n + 1, sizeof *idx), cost, max_cost = 0;
    struct keywrap_entry *e = calloc(d->n + 1, sizeof *e);
    char worker[ETHADDR_TEXT_SIZE], qid[35], hash[67], sigt[ETHSIG_TEXT_SIZE];
    char *text = NULL, url[256], cost_t[32], bal_t[32];
    uint8_t q[16], sig[ETHSIG_LEN], digest[32];
    secp256k1_pubkey pub, other_pub;
    struct ethaddr addr;
    struct keywrap wrap;
    struct fault f;
    json_t *chunks, *keys, *ans, *doc;
    int has_max;

    if (pos == NULL || idx == NULL || e == NULL)
        FAKEGW_DIE("oom");
    if (fakegw_signer(req, &pub, &addr) < 0) {
        fakegw_problem(resp, 401, "unauthorized", "unsigned query");
        goto done;
    }
    g->queries++;
    ethaddr_to_text(worker, &addr);
    snprintf(g->last_worker, sizeof g->last_worker, "%s", worker);
    n = fakegw_select(d, req, pos, &max_cost, &has_max);
    cost = 1 + g->per_chunk * n;
    if (has_max && max_cost < cost) {
        doc = json_pack("{s:s, s:s, s:i, s:s, s:o}", "type",
                        "urn:sluice:problem:max-cost", "title", "Conflict",
                        "status", 409, "detail", "max_cost is below the cost",
                        "quote", fakegw_quote(d, pos, n, cost));
        fakegw_json(resp, 409, "application/problem+json", doc);
        goto done;
    }
    if (g->pay > 0) {
        g->pay--;
        doc = json_pack("{s:s, s:s, s:i, s:s, s:o, s:s, s:o}", "type",
                        "urn:sluice:problem:payment-required", "title",
                        "Payment Required", "status", 402, "detail",
                        "the balance does not cover the cost", "quote",
                        fakegw_quote(d, pos, n, cost), "balance", "0",
                        "payment", fakegw_payment(g, d, worker, cost));
        fakegw_json(resp, 402, "application/problem+json", doc);
        if (g->retry_after > 0)
            snprintf(resp->headers, sizeof resp->headers,
                     "Retry-After: %u\r\n", g->retry_after);
        goto done;
    }
    if (random_bytes(q, sizeof q, &f) < 0 ||
        hex_encode_0x(qid, sizeof qid, q, 16) < 0)
        FAKEGW_DIE("query id");
    if (g->tamper == FAKEGW_CHUNKS_SHORT && n > 0)
        n--;
    chunks = json_array();
    for (i = 0; i < n; i++) {
        const struct catalog_chunk *c = &d->chunks[pos[i]];
        const struct catalog_chunk *oc = c;
        if (g->tamper == FAKEGW_OBJECT_SWAP && i == g->tamper_chunk &&
            pos[i] + 1 < d->n)
            oc = &d->chunks[pos[i] + 1];
        if ((long)i == g->abs_url_chunk)
            snprintf(url, sizeof url, "http://127.0.0.1:%u/objs/%s",
                     (unsigned)httpserve_port(g->other), oc->object_id);
        else
            snprintf(url, sizeof url, "/v1/objects/%s", oc->object_id);
        json_array_append_new(
            chunks,
            json_pack("{s:I, s:s, s:s, s:o, s:o, s:I, s:I}", "index",
                      (json_int_t)c->index, "object_id", oc->object_id, "url",
                      url, "first_row",
                      c->has_rows ? json_integer((json_int_t)c->first_row)
                                  : json_null(),
                      "rows",
                      c->has_rows ? json_integer((json_int_t)c->rows)
                                  : json_null(),
                      "plain_bytes", (json_int_t)oc->plain_bytes,
                      "stored_bytes", (json_int_t)oc->stored_bytes));
        idx[i] = c->index;
        e[i].index = c->index;
        if (dskey_chunk_key(e[i].ck, d->dk, d->id, c->index, &f) < 0)
            FAKEGW_DIE("dskey: %s", f.detail);
    }
    if (g->tamper == FAKEGW_CHUNKS_ORDER && n >= 2) {
        json_t *a = json_incref(json_array_get(chunks, 0));
        json_array_remove(chunks, 0);
        json_array_insert_new(chunks, 1, a);
    }
    nk = n;
    if (g->tamper == FAKEGW_WRAP_SHORT && nk > 0)
        nk--;
    other_pub = g->other_key.pub;
    if (g->tamper == FAKEGW_WRAP_OTHER_QUERY)
        q[0] ^= 1;
    if (keywrap_seal(&wrap, NULL,
                     g->tamper == FAKEGW_WRAP_OTHER_KEY ? &other_pub : &pub,
                     d->id, q, e, nk, NULL, NULL, &f) < 0)
        FAKEGW_DIE("keywrap_seal: %s", f.detail);
    if (g->tamper == FAKEGW_WRAP_OTHER_QUERY)
        q[0] ^= 1;
    if (g->tamper == FAKEGW_WRAP_BYTE)
        wrap.ciphertext[0] ^= 0x40;
    if (keywrap_to_json(&keys, &wrap, &f) < 0)
        FAKEGW_DIE("keywrap_to_json");
    keywrap_clear(&wrap);
    /* The ledger: a large credit, this query's cost spent. */
    g->receipt_index++;
    g->credited = 1000000;
    g->spent += cost;
    text = fakegw_receipt_text(
        g, d->id_text,
        g->tamper == FAKEGW_RECEIPT_WORKER
            ? "0x0000000000000000000000000000000000000001"
            : worker,
        qid, idx,
        g->tamper == FAKEGW_RECEIPT_CHUNKS && n > 0 ? n - 1 : n,
        cost + (g->tamper == FAKEGW_RECEIPT_COST), g->credited - g->spent,
        g->credited + (g->tamper == FAKEGW_RECEIPT_TOTALS), g->spent);
    if (ethsig_sign_personal(sig,
                             g->tamper == FAKEGW_RECEIPT_SIGNER
                                 ? &g->other_key
                                 : &g->gw_key,
                             (const uint8_t *)text, strlen(text), &f) < 0 ||
        hex_encode_0x(sigt, sizeof sigt, sig, sizeof sig) < 0)
        FAKEGW_DIE("sign");
    SHA256((const uint8_t *)text, strlen(text) +
                                      (g->tamper == FAKEGW_RECEIPT_HASH),
           digest);
    if (hex_encode_0x(hash, sizeof hash, digest, 32) < 0)
        FAKEGW_DIE("hex");
    SHA256((const uint8_t *)text, strlen(text), g->prev);
    snprintf(cost_t, sizeof cost_t, "%llu", (unsigned long long)cost);
    snprintf(bal_t, sizeof bal_t, "%llu",
             (unsigned long long)(g->credited - g->spent));
    {
        json_t *cols = json_array();
        for (i = 0; i < d->ncols; i++)
            json_array_append_new(
                cols, json_pack("{s:s, s:s}", "name", d->cols[i].name,
                                "type",
                                d->cols[i].is_number ? "number" : "text"));
        ans = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:{s:s, s:s, s:s}}",
                        "query_id", qid, "cost", cost_t, "balance_after",
                        bal_t, "columns", cols, "chunks", chunks, "keys",
                        keys, "receipt", "text", text, "hash", hash,
                        "signature", sigt);
    }
    if (ans == NULL)
        FAKEGW_DIE("json_pack answer");
    json_decref(g->last_answer);
    g->last_answer = json_deep_copy(ans);
    fakegw_json(resp, 200, NULL, ans);
done:
    for (i = 0; i < d->n; i++)
        secret_wipe(e[i].ck, 32);
    free(e);
    free(pos);
    free(idx);
    free(text);
}

static void fakegw_quote_route(struct fakegw *g, struct fakegw_ds *d,
                               const struct httpserve_req *req,
                               struct httpserve_resp *resp)
{
    size_t *pos = calloc(d->n + 1, sizeof *pos), n;
    char worker[ETHADDR_TEXT_SIZE];
    secp256k1_pubkey pub;
    struct ethaddr addr;
    uint64_t max_cost;
    json_t *q;
    int has_max;

    g->quotes++;
    n = fakegw_select(d, req, pos, &max_cost, &has_max);
    q = fakegw_quote(d, pos, n, 1 + g->per_chunk * n);
    if (fakegw_signer(req, &pub, &addr) == 0) {
        ethaddr_to_text(worker, &addr);
        json_object_set_new(q, "balance", json_string("0"));
        json_object_set_new(q, "payment",
                            fakegw_payment(g, d, worker,
                                           1 + g->per_chunk * n));
    } else {
        g->unsigned_quotes++;
    }
    fakegw_json(resp, 200, NULL, q);
    free(pos);
}

static void fakegw_object(struct fakegw *g, const char *id,
                          struct httpserve_resp *resp)
{
    uint8_t *obj = NULL;
    size_t len = 0, i;
    struct fault f;

    if (objstore_get(g->st->objects, &obj, &len, id, (size_t)1 << 31, &f) <
        0) {
        fakegw_problem(resp, 404, "not-found", "no such object");
        return;
    }
    for (i = 0; i < g->nds; i++) {
        const struct fakegw_ds *d = &g->ds[i];
        if (g->tamper_chunk < d->n &&
            strcmp(d->chunks[g->tamper_chunk].object_id, id) == 0) {
            if (g->tamper == FAKEGW_OBJECT_BYTE)
                obj[len / 2] ^= 0x01;
            if (g->tamper == FAKEGW_OBJECT_SHORT)
                len--;
        }
    }
    resp->status = 200;
    resp->content_type = "application/octet-stream";
    resp->body = obj;
    resp->body_len = len;
}

static void fakegw_handle(void *arg, const struct httpserve_req *req,
                          struct httpserve_resp *resp)
{
    struct fakegw *g = arg;
    struct fakegw_ds *d;
    char gw[ETHADDR_TEXT_SIZE];
    const char *t = req->target;

    if (strcmp(req->method, "GET") == 0 && strcmp(t, "/v1/chain") == 0) {
        g->chains++;
        ethaddr_to_text(gw, &g->gw_key.addr);
        fakegw_json(resp, 200, NULL,
                    g->no_gateway_in_chain
                        ? json_pack("{s:i, s:s, s:s}", "chain_id", 31337,
                                    "contract",
                                    "0x5FbDB2315678afecb367f032d93F642f64180"
                                    "aa3", "state", "ok")
                        : json_pack("{s:i, s:s, s:s, s:s}", "chain_id",
                                    31337, "contract",
                                    "0x5FbDB2315678afecb367f032d93F642f64180"
                                    "aa3", "gateway", gw, "state", "ok"));
        return;
    }
    if (strcmp(req->method, "GET") == 0 &&
        strncmp(t, "/v1/objects/", 12) == 0) {
        g->object_gets++;
        fakegw_object(g, t + 12, resp);
        return;
    }
    if (strncmp(t, "/v1/datasets/", 13) == 0 && strlen(t) >= 13 + 66 &&
        (d = fakegw_find(g, t + 13)) != NULL) {
        const char *rest = t + 13 + 66;
        if (strcmp(req->method, "GET") == 0 && rest[0] == '\0') {
            g->views++;
            fakegw_view(g, d, resp);
            return;
        }
        if (strcmp(req->method, "POST") == 0 &&
            strcmp(rest, "/queries") == 0) {
            fakegw_query(g, d, req, resp);
            return;
        }
        if (strcmp(req->method, "POST") == 0 && strcmp(rest, "/quote") == 0) {
            fakegw_quote_route(g, d, req, resp);
            return;
        }
    }
    fakegw_problem(resp, 404, "not-found", "no such route");
}

static void fakegw_handle_other(void *arg, const struct httpserve_req *req,
                                struct httpserve_resp *resp)
{
    struct fakegw *g = arg;

    if (strcmp(req->method, "GET") == 0 &&
        strncmp(req->target, "/objs/", 6) == 0) {
        g->other_gets++;
        fakegw_object(g, req->target + 6, resp);
        return;
    }
    fakegw_problem(resp, 404, "not-found", "no such route");
}

void fakegw_start(struct fakegw *g)
{
    char data[4200];
    struct fault f;

    memset(g, 0, sizeof *g);
    g->dir = testutil_mkdtemp();
    snprintf(data, sizeof data, "%s/data", g->dir);
    if (store_open(&g->st, NULL, data, &f) < 0)
        FAKEGW_DIE("store_open: %s", f.detail);
    if (ethkey_from_secret(&g->gw_key, fakegw_gw_secret, &f) < 0 ||
        ethkey_from_secret(&g->other_key, fakegw_other_secret, &f) < 0)
        FAKEGW_DIE("keys");
    g->abs_url_chunk = -1;
    g->per_chunk = 2;
    g->srv = httpserve_start(fakegw_handle, g);
    g->other = httpserve_start(fakegw_handle_other, g);
    snprintf(g->url, sizeof g->url, "http://127.0.0.1:%u",
             (unsigned)httpserve_port(g->srv));
}

static int fakegw_collect(void *arg, const struct catalog_chunk *c,
                          struct fault *f)
{
    struct fakegw_ds *d = arg;
    struct catalog_chunk *p = realloc(d->chunks, (d->n + 1) * sizeof *p);

    (void)f;
    if (p == NULL)
        FAKEGW_DIE("oom");
    d->chunks = p;
    d->chunks[d->n++] = *c;
    return 0;
}

size_t fakegw_ingest_fn(struct fakegw *g, enum splitter_format fmt,
                        uint64_t chunk_bytes, uint64_t chunk_rows,
                        ingest_read_fn read, void *arg)
{
    struct store_dataset_spec spec;
    struct ingest_options opt;
    struct catalog_dataset cd;
    struct fakegw_ds *d;
    struct fault f;

    if (g->nds == FAKEGW_DATASETS_MAX)
        FAKEGW_DIE("too many data-sets");
    d = &g->ds[g->nds];
    memset(d, 0, sizeof *d);
    memset(&spec, 0, sizeof spec);
    spec.format = fmt;
    spec.chunk_bytes = chunk_bytes;
    spec.chunk_rows = chunk_rows;
    spec.zlib_level = -1;
    spec.preview_rows = 3;
    memset(&opt, 0, sizeof opt);
    opt.threads = 2;
    if (store_create_dataset(g->st, d->id, &spec, CATALOG_PUBLISHING, &f) <
            0 ||
        ingest_run(g->st, NULL, d->id, read, arg, &opt, &f) < 0 ||
        catalog_get_dataset(g->st, &cd, d->id, &f) < 0 ||
        store_dataset_key(g->st, d->dk, &cd, &f) < 0 ||
        catalog_each_chunk(g->st, d->id, fakegw_collect, d, &f) < 0 ||
        catalog_get_columns(g->st, &d->cols, &d->ncols, d->id, &f) < 0)
        FAKEGW_DIE("ingest: %s", f.detail);
    d->fmt = fmt;
    d->rows = cd.rows;
    if (hex_encode_0x(d->id_text, sizeof d->id_text, d->id, 32) < 0)
        FAKEGW_DIE("hex");
    return g->nds++;
}

struct fakegw_mem {
    const uint8_t *p;
    size_t len, pos;
};

static int fakegw_mem_read(void *arg, uint8_t *buf, size_t cap, size_t *got,
                           struct fault *f)
{
    struct fakegw_mem *m = arg;
    size_t n = m->len - m->pos;

    (void)f;
    if (n > cap)
        n = cap;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    *got = n;
    return 0;
}

size_t fakegw_ingest(struct fakegw *g, enum splitter_format fmt,
                     uint64_t chunk_bytes, uint64_t chunk_rows,
                     const void *data, size_t len)
{
    struct fakegw_mem m = {data, len, 0};

    return fakegw_ingest_fn(g, fmt, chunk_bytes, chunk_rows, fakegw_mem_read,
                            &m);
}

void fakegw_stop(struct fakegw *g)
{
    size_t i;

    httpserve_stop(g->srv);
    httpserve_stop(g->other);
    for (i = 0; i < g->nds; i++) {
        free(g->ds[i].chunks);
        catalog_columns_free(g->ds[i].cols, g->ds[i].ncols);
        secret_wipe(g->ds[i].dk, 32);
    }
    json_decref(g->last_answer);
    store_close(g->st);
    testutil_rmtree(g->dir);
    ethkey_wipe(&g->gw_key);
    ethkey_wipe(&g->other_key);
    memset(g, 0, sizeof *g);
}
