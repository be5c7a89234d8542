/*
 * server: the evhttp side of the gateway: start and stop, the one
 * dispatcher every request goes through (route, limits, signature, nonce
 * replay, handler, problem on failure, access log), and the reply helpers
 * that record a signed request's answer with its effect.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "gateway/admit.h"
#include "gateway/chain.h"
#include "gateway/identity.h"
#include "gateway/auth.h"
#include "gateway/conns.h"
#include "gateway/gateway.h"
#include "gateway/metrics.h"
#include "gateway/offload.h"
#include "gateway/problem.h"
#include "gateway/publisher.h"
#include "gateway/ratelimit.h"
#include "gateway/reply.h"
#include "gateway/routes.h"
#include "gateway/tls.h"
#include "gateway/viewcache.h"
#include "gateway/webroot.h"
#include "lib/log.h"
#include "pricing/ledger_sqlite.h"

/* Bounds of the cache of rendered data-set views: a view is about 2 KB
 * (up to ~100 KB with 100 preview rows of wide data). */
#define SERVER_VIEWS_MAX 4096
#define SERVER_VIEW_BYTES_MAX ((size_t)32 << 20)

/* Signed requests still being answered, by "address|nonce": a second copy
 * that arrives meanwhile is told to retry (DESIGN.md 3.1). */
struct inflight {
    struct inflight_entry {
        char key[ETHADDR_TEXT_SIZE + 66];
        struct inflight_entry *next;
    } *head;
};

static int inflight_add(struct inflight *in, const char *key)
{
    struct inflight_entry *e;

    for (e = in->head; e != NULL; e = e->next)
        if (strcmp(e->key, key) == 0)
            return -1;
    e = calloc(1, sizeof *e);
    if (e == NULL)
        return -1;
    snprintf(e->key, sizeof e->key, "%s", key);
    e->next = in->head;
    in->head = e;
    return 0;
}

static void inflight_remove(struct inflight *in, const char *key)
{
    struct inflight_entry **p, *e;

    for (p = &in->head; (e = *p) != NULL; p = &e->next) {
        if (strcmp(e->key, key) == 0) {
            *p = e->next;
            free(e);
            return;
        }
    }
}

static const char *server_method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    }
    return "?";
}

static double server_elapsed_ms(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void server_peer(struct evhttp_request *req, char *out, size_t cap)
{
    struct evhttp_connection *conn =
        req ? evhttp_request_get_connection(req) : NULL;
    char *host = NULL;
    ev_uint16_t port = 0;

    if (conn != NULL)
        evhttp_connection_get_peer(conn, &host, &port);
    snprintf(out, cap, "%s", host ? host : "-");
}

static void server_access_log(struct gw_ctx *c)
{
    char peer[64];

    if (!c->gw->opt->access_log)
        return;
    server_peer(c->req, peer, sizeof peer);
    log_info("access %s %s %s %d %zu %.1fms %s", peer, c->method,
             c->path[0] ? c->path : "-", c->status, c->bytes_out,
             server_elapsed_ms(&c->start),
             c->is_signed ? c->signer_text : "-");
}

/* Write the nonce row of a recorded request inside its transaction (one
 * is opened when the handler did not), then commit. */
static int server_record(struct gw_ctx *c, int status, const char *ctype,
                         const char *location, const uint8_t *body,
                         size_t len)
{
    struct ledger_nonce r;
    struct fault *f = &c->fault;

    memset(&r, 0, sizeof r);
    snprintf(r.address, sizeof r.address, "%s", c->signer_text);
    snprintf(r.nonce, sizeof r.nonce, "%s", c->nonce);
    r.created_at = (int64_t)time(NULL);
    snprintf(r.method, sizeof r.method, "%s", c->method);
    r.target = (char *)(uintptr_t)c->target;
    memcpy(r.body_sha256, c->body_sha256, 32);
    r.status = status;
    snprintf(r.content_type, sizeof r.content_type, "%s", ctype);
    r.location = (char *)(uintptr_t)location;
    r.response = (uint8_t *)(uintptr_t)body;
    r.response_len = len;
    if (c->batched) /* inside its SAVEPOINT; the batch commits */
        return ledger_nonce_insert(c->gw->ledger, &r, f);
    if (!c->in_tx) {
        if (ledger_begin(c->gw->ledger, f) < 0)
            return -1;
        c->in_tx = 1;
    }
    if (ledger_nonce_insert(c->gw->ledger, &r, f) < 0 ||
        ledger_commit(c->gw->ledger, f) < 0) {
        ledger_rollback(c->gw->ledger);
        c->in_tx = 0;
        return -1;
    }
    c->in_tx = 0;
    return 0;
}

static int server_commit_if_open(struct gw_ctx *c)
{
    if (!c->in_tx || c->batched)
        return 0;
    c->in_tx = 0;
    return ledger_commit(c->gw->ledger, &c->fault);
}

static void server_held_clear(struct gw_ctx *c)
{
    free(c->held_location);
    free(c->held_body);
    c->held_location = NULL;
    c->held_body = NULL;
    c->held_len = 0;
    c->held = 0;
}

/* Keep a batched request's answer until its batch has committed. The
 * content type is always static text; location and body are copied (they
 * may live on the handler's stack). Out of memory, the answer becomes a
 * bare 500. */
static void server_hold(struct gw_ctx *c, int status, const char *ctype,
                        const char *location, const uint8_t *body,
                        size_t len)
{
    server_held_clear(c);
    c->held = 1;
    c->held_status = status;
    c->held_ctype = ctype;
    if (location != NULL && (c->held_location = strdup(location)) == NULL)
        goto oom;
    if (len > 0) {
        if ((c->held_body = malloc(len)) == NULL)
            goto oom;
        memcpy(c->held_body, body, len);
        c->held_len = len;
    }
    return;
oom:
    server_held_clear(c);
    c->held = 1;
    c->held_status = 500;
    c->held_ctype = NULL;
}

static void server_send(struct gw_ctx *c, int status, const char *ctype,
                        const char *location, const uint8_t *body, size_t len)
{
    struct evkeyvalq *h;
    struct evbuffer *buf;

    if (c->batched) {
        server_hold(c, status, ctype, location, body, len);
        return;
    }
    c->status = status;
    if (c->req == NULL) /* the client hung up while we worked */
        return;
    h = evhttp_request_get_output_headers(c->req);
    buf = evbuffer_new();
    if (ctype != NULL)
        evhttp_add_header(h, "Content-Type", ctype);
    if (location != NULL)
        evhttp_add_header(h, "Location", location);
    if (evhttp_find_header(h, "Cache-Control") == NULL)
        evhttp_add_header(h, "Cache-Control", "no-store");
    if (buf != NULL && len > 0)
        evbuffer_add(buf, body, len);
    c->bytes_out = reply_send(c->req, status, NULL, buf);
    if (buf != NULL)
        evbuffer_free(buf);
}

int gw_begin(struct gw_ctx *c)
{
    if (c->in_tx)
        return 0;
    if (ledger_begin(c->gw->ledger, &c->fault) < 0)
        return -1;
    c->in_tx = 1;
    return 0;
}

int gw_reply_bytes(struct gw_ctx *c, int status, const char *ctype,
                   const char *location, const uint8_t *body, size_t len)
{
    if (c->record_nonce) {
        if (server_record(c, status, ctype ? ctype : "", location, body,
                          len) < 0)
            return -1;
    } else if (server_commit_if_open(c) < 0) {
        return -1;
    }
    server_send(c, status, ctype, location, body, len);
    return 0;
}

int gw_reply_json(struct gw_ctx *c, int status, json_t *doc,
                  const char *location)
{
    char *text;
    int rv;

    if (doc == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(doc);
    if (text == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    rv = gw_reply_bytes(c, status, "application/json", location,
                            (const uint8_t *)text, strlen(text));
    free(text);
    return rv;
}

int gw_reply_empty(struct gw_ctx *c, int status)
{
    return gw_reply_bytes(c, status, NULL, NULL, NULL, 0);
}

int gw_query_param(struct gw_ctx *c, char *out, size_t cap, const char *name)
{
    struct evkeyvalq q;
    const char *v;
    int rv = 0;

    out[0] = '\0';
    if (c->query == NULL)
        return 0;
    q.tqh_first = NULL;
    q.tqh_last = &q.tqh_first;
    if (evhttp_parse_query_str(c->query, &q) < 0)
        return fault_set(&c->fault, FAULT_INVALID, "query",
                         "the query string is malformed");
    v = evhttp_find_header(&q, name);
    if (v != NULL) {
        if (snprintf(out, cap, "%s", v) >= (int)cap)
            rv = fault_set(&c->fault, FAULT_INVALID, name,
                           "%s is too long", name);
        else
            rv = 1;
    }
    evhttp_clear_headers(&q);
    return rv;
}

/* Send the problem for c->fault, remembering it for a recorded request
 * when it is not a 5xx. */
static void server_fail(struct gw_ctx *c)
{
    char *text;
    int status;

    if (c->batched) {
        /* Undo this request alone; its SAVEPOINT stays open for the
         * problem's nonce row. If even that fails, the batch cannot be
         * trusted: it is rolled back whole. */
        struct fault f;
        if (ledger_savepoint_undo(c->gw->ledger, &f) < 0)
            c->gw->batch_broken = 1;
    } else if (c->in_tx) {
        ledger_rollback(c->gw->ledger);
        c->in_tx = 0;
    }
    text = problem_render(&c->fault, &status);
    if (text == NULL) {
        if (c->batched) {
            server_hold(c, 500, NULL, NULL, NULL, 0);
            return;
        }
        if (c->req != NULL)
            evhttp_send_error(c->req, 500, NULL);
        c->status = 500;
        return;
    }
    if (c->record_nonce && status < 500 &&
        server_record(c, status, "application/problem+json", NULL,
                      (const uint8_t *)text, strlen(text)) < 0) {
        /* Not remembered: answer 5xx so that a retry is not refused. */
        free(text);
        text = problem_render(&c->fault, &status);
        if (text == NULL) {
            if (c->batched) {
                server_hold(c, 500, NULL, NULL, NULL, 0);
                return;
            }
            if (c->req != NULL)
                evhttp_send_error(c->req, 500, NULL);
            c->status = 500;
            return;
        }
    }
    /* 503: the chain is away; say when to try again (DESIGN.md 3.9). */
    if (status == 503 && c->req != NULL)
        evhttp_add_header(evhttp_request_get_output_headers(c->req),
                          "Retry-After", "5");
    server_send(c, status, "application/problem+json", NULL,
                (const uint8_t *)text, strlen(text));
    free(text);
}

/* Answer a repeat of a recorded request with the first answer. */
static void server_replay(struct gw_ctx *c, const struct ledger_nonce *r)
{
    server_send(c, r->status, r->content_type[0] ? r->content_type : NULL,
                r->location, r->response, r->response_len);
}

/* Signed requests that change state are remembered by (address, nonce). */
static int server_nonce_gate(struct gw_ctx *c, char *key, size_t cap,
                             int *handled)
{
    struct ledger_nonce r;
    int found;

    *handled = 0;
    snprintf(key, cap, "%s|%s", c->signer_text, c->nonce);
    if (ledger_nonce_lookup(c->gw->ledger, &r, &found, c->signer_text,
                            c->nonce, &c->fault) < 0)
        return -1;
    if (found) {
        if (strcmp(r.method, c->method) == 0 &&
            strcmp(r.target, c->target) == 0 &&
            memcmp(r.body_sha256, c->body_sha256, 32) == 0) {
            server_replay(c, &r);
        } else {
            fault_set(&c->fault, FAULT_CONFLICT, "X-Sluice-Nonce",
                      "this nonce was already used for another request");
            c->status = problem_send(c->req, &c->fault, 0);
        }
        ledger_nonce_clear(&r);
        *handled = 1;
        return 0;
    }
    if (inflight_add(c->gw->inflight, key) < 0) {
        fault_set(&c->fault, FAULT_CONFLICT, "X-Sluice-Nonce",
                  "the same request is still being answered; retry");
        c->status = problem_send(c->req, &c->fault, 1);
        *handled = 1;
        return 0;
    }
    c->record_nonce = 1;
    return 0;
}

/* SHA-256 of the empty string: most requests have no body. */
static const uint8_t server_sha256_empty[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
    0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
    0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

/* gw->sha256 is fetched once at start: OpenSSL 3 looks the algorithm up
 * again on every EVP_sha256() init otherwise. */
static int server_hash_evbuffer(const struct gateway *gw, struct evbuffer *in,
                                uint8_t out[32])
{
    EVP_MD_CTX *md;
    struct evbuffer_iovec *v = NULL;
    int n, i, rv = -1;

    if (evbuffer_get_length(in) == 0) {
        memcpy(out, server_sha256_empty, 32);
        return 0;
    }
    md = EVP_MD_CTX_new();
    n = evbuffer_peek(in, -1, NULL, NULL, 0);
    if (md == NULL || EVP_DigestInit_ex(md, gw->sha256, NULL) != 1 || n < 0)
        goto done;
    if (n > 0) {
        v = calloc((size_t)n, sizeof *v);
        if (v == NULL || evbuffer_peek(in, -1, NULL, v, n) != n)
            goto done;
        for (i = 0; i < n; i++)
            EVP_DigestUpdate(md, v[i].iov_base, v[i].iov_len);
    }
    if (EVP_DigestFinal_ex(md, out, NULL) == 1)
        rv = 0;
done:
    free(v);
    EVP_MD_CTX_free(md);
    return rv;
}

static int server_body(struct gw_ctx *c)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
    size_t len = evbuffer_get_length(in);
    size_t limit = 0;

    switch (c->match.entry->body) {
    case ROUTER_BODY_NONE: limit = 0; break;
    case ROUTER_BODY_JSON: limit = c->gw->opt->max_json_body; break;
    case ROUTER_BODY_RAW: limit = c->gw->opt->max_part_bytes; break;
    }
    if (len > limit) {
        if (limit == 0)
            return fault_set(&c->fault, FAULT_INVALID, "body",
                             "this route takes no body");
        return fault_set(&c->fault, FAULT_TOO_LARGE, "body",
                         "the body is %zu bytes; this route takes at most "
                         "%zu", len, limit);
    }
    c->body_len = len;
    c->body_buf = in;
    /* Hash the segments where they lie: a raw body (an upload part of up
     * to max_part_bytes) is never copied into one block. */
    if (server_hash_evbuffer(c->gw, in, c->body_sha256) < 0)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "sha256");
    if (c->match.entry->body == ROUTER_BODY_JSON && len > 0) {
        c->body = evbuffer_pullup(in, -1);
        if (c->body == NULL)
            return fault_set(&c->fault, FAULT_INTERNAL, NULL,
                             "out of memory");
    }
    return 0;
}

/* Requests per second per client address (DESIGN: limits on everything). */
static int server_rate_check(struct gw_ctx *c)
{
    struct timespec now;
    char peer[64];
    int wait;

    if (c->gw->ratelimit == NULL)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    server_peer(c->req, peer, sizeof peer);
    wait = ratelimit_take(c->gw->ratelimit, peer,
                          (double)now.tv_sec + (double)now.tv_nsec / 1e9);
    if (wait == 0)
        return 0;
    fault_set(&c->fault, FAULT_RATE_LIMITED, NULL,
              "too many requests from %s; retry in %d s", peer, wait);
    c->status = problem_send(c->req, &c->fault, wait);
    return -1;
}

/* The end of every request, answered or not: count it, log it, forget
 * it. */
static void server_finish(struct gw_ctx *c)
{
    struct gateway *gw = c->gw;

    conns_release(gw->conns, c->reserved);
    metrics_request(gw->metrics,
                    c->refused ? (c->refused_route ? c->refused_route
                                                   : "unmatched")
                    : c->match.entry ? c->match.entry->name : "unmatched",
                    c->status, c->body_len, c->bytes_out,
                    server_elapsed_ms(&c->start));
    server_access_log(c);
    if (c->inflight_key[0] != '\0')
        inflight_remove(gw->inflight, c->inflight_key);
    if (c->done_ev != NULL)
        event_free(c->done_ev);
    if (c->owned_body != NULL)
        evbuffer_free(c->owned_body);
    gw->active_requests--;
    free(c);
}

static void server_on_close(struct evhttp_connection *conn, void *arg)
{
    struct gw_ctx *c = arg;

    (void)conn;
    c->req = NULL; /* evhttp frees it next */
}

static void server_run_work(void *arg)
{
    struct gw_ctx *c = arg;

    c->work(c);
}

static void server_on_done(evutil_socket_t fd, short what, void *arg)
{
    struct gw_ctx *c = arg;
    struct evhttp_connection *conn;

    (void)fd;
    (void)what;
    if (c->req != NULL) {
        conn = evhttp_request_get_connection(c->req);
        if (conn != NULL)
            evhttp_connection_set_closecb(conn, NULL, NULL);
    }
    if (c->finish(c) < 0)
        server_fail(c);
    else if (c->in_tx)
        ledger_rollback(c->gw->ledger);
    server_finish(c);
}

int gw_offload(struct gw_ctx *c, void (*work)(struct gw_ctx *c),
               int (*finish)(struct gw_ctx *c))
{
    struct evhttp_connection *conn = evhttp_request_get_connection(c->req);

    c->owned_body = evbuffer_new();
    c->done_ev = event_new(c->gw->base, -1, 0, server_on_done, c);
    if (c->owned_body == NULL || c->done_ev == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    /* Move the body's chains (no copy) out of the request, which evhttp
     * frees if the client hangs up. */
    if (c->body_buf != NULL &&
        evbuffer_add_buffer(c->owned_body, c->body_buf) < 0)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    c->body = NULL;
    c->body_buf = NULL;
    c->work = work;
    c->finish = finish;
    if (offload_submit(c->gw->offload, server_run_work, c, c->done_ev,
                       &c->fault) < 0)
        return -1;
    if (conn != NULL)
        evhttp_connection_set_closecb(conn, server_on_close, c);
    return GW_PENDING;
}

int gw_defer(struct gw_ctx *c, int (*finish)(struct gw_ctx *c))
{
    struct evhttp_connection *conn = evhttp_request_get_connection(c->req);

    c->done_ev = event_new(c->gw->base, -1, 0, server_on_done, c);
    if (c->done_ev == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    c->finish = finish;
    if (conn != NULL)
        evhttp_connection_set_closecb(conn, server_on_close, c);
    return GW_PENDING;
}

void gw_resume(struct gw_ctx *c)
{
    event_active(c->done_ev, 0, 0);
}

void gw_after_commit(struct gw_ctx *c, void (*fn)(struct gw_ctx *c))
{
    if (c->batched)
        c->after_commit = fn;
    else
        fn(c);
}

/* Queue c for the next group commit. The batch runs once the requests
 * that were ready in this turn of the loop have been read: its event is
 * made active now, behind theirs. */
static void server_batch_add(struct gw_ctx *c)
{
    struct gateway *gw = c->gw;
    struct evhttp_connection *conn = evhttp_request_get_connection(c->req);

    if (conn != NULL)
        evhttp_connection_set_closecb(conn, server_on_close, c);
    c->batch_next = NULL;
    if (gw->batch_tail != NULL)
        gw->batch_tail->batch_next = c;
    else
        gw->batch_head = c;
    gw->batch_tail = c;
    if (gw->batch_len++ == 0)
        event_active(gw->batch_ev, 0, 0);
}

/* Run one queued request inside the batch's transaction. */
static void server_batch_one(struct gw_ctx *c)
{
    struct ledger *l = c->gw->ledger;
    struct fault f;
    int rc;

    /* A backend may end a unit of work by itself on some errors (SQLite on
     * a full disk, an I/O error): then a savepoint would open a unit of
     * its own and its release commit it. The batch is lost; run nothing
     * more. */
    if (!ledger_in_unit(l))
        c->gw->batch_broken = 1;
    if (c->gw->batch_broken || ledger_savepoint(l, &f) < 0) {
        /* Answered with the batch's failure in server_batch_run. */
        c->gw->batch_broken = 1;
        c->batched = 1;
        return;
    }
    c->batched = 1;
    c->in_tx = 1;
    rc = c->match.entry->handler(c);
    if (rc == GW_PENDING) {
        /* Not a batched route after all: it finishes on its own. */
        c->batched = 0;
        c->in_tx = 0;
    } else if (rc != 0 || !c->held) {
        if (rc == 0)
            fault_set(&c->fault, FAULT_INTERNAL, NULL,
                      "the handler did not answer");
        server_fail(c);
    }
    if (ledger_savepoint_release(l, &f) < 0)
        c->gw->batch_broken = 1;
    c->in_tx = 0;
}

/* The group commit: every request queued since the last one, in order,
 * each in its SAVEPOINT, then one COMMIT; the answers go out once it is
 * durable (a failed COMMIT loses every effect and nonce row of the batch:
 * each is then answered 5xx, which a retry may follow). */
static void server_batch_run(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;
    struct gw_ctx *list = gw->batch_head, *c, *next;
    struct evhttp_connection *conn;
    struct fault f;
    size_t n = gw->batch_len;
    int committed = 0;

    (void)fd;
    (void)what;
    gw->batch_head = gw->batch_tail = NULL;
    gw->batch_len = 0;
    gw->batch_broken = 0;
    if (ledger_begin(gw->ledger, &f) == 0) {
        for (c = list; c != NULL; c = c->batch_next)
            server_batch_one(c);
        if (gw->batch_broken) {
            ledger_rollback(gw->ledger);
            fault_set(&f, FAULT_INTERNAL, NULL, "savepoint");
        } else {
            committed = ledger_commit(gw->ledger, &f) == 0;
        }
        metrics_write_batch(gw->metrics, n);
    }
    for (c = list; c != NULL; c = next) {
        next = c->batch_next;
        if (c->done_ev != NULL && !c->batched)
            continue; /* went GW_PENDING: server_on_done finishes it */
        if (c->req != NULL) {
            conn = evhttp_request_get_connection(c->req);
            if (conn != NULL)
                evhttp_connection_set_closecb(conn, NULL, NULL);
        }
        if (!committed) {
            /* Nothing of it was kept (f says why): remember nothing. */
            c->record_nonce = 0;
            c->fault = f;
            server_held_clear(c);
            c->batched = 0;
            c->in_tx = 0;
            server_fail(c);
        } else {
            if (c->after_commit != NULL)
                c->after_commit(c);
            c->batched = 0;
            server_send(c, c->held_status, c->held_ctype, c->held_location,
                        c->held_body, c->held_len);
        }
        server_held_clear(c);
        server_finish(c);
    }
}

/* Run c, its signature (if any) verified: the nonce gate of a signed
 * write, then its handler, alone or in the next group commit. */
static void server_run(struct gw_ctx *c)
{
    char key[ETHADDR_TEXT_SIZE + 66];
    int handled = 0;

    key[0] = '\0';
    if (c->is_signed && strcmp(c->method, "GET") != 0 &&
        strcmp(c->method, "HEAD") != 0) {
        if (server_nonce_gate(c, key, sizeof key, &handled) < 0) {
            key[0] = '\0';
            server_fail(c);
            goto done;
        }
        if (handled) {
            key[0] = '\0';
            goto done;
        }
    }
    snprintf(c->inflight_key, sizeof c->inflight_key, "%s", key);
    /* A raw body is an upload part, written on the offload threads; it
     * commits on its own. */
    if (c->record_nonce && c->match.entry->body != ROUTER_BODY_RAW) {
        server_batch_add(c);
        return; /* server_batch_run answers it */
    }
    switch (c->match.entry->handler(c)) {
    case GW_PENDING:
        return; /* server_on_done finishes it */
    case 0:
        if (c->in_tx) /* replied without committing: a handler bug */
            ledger_rollback(c->gw->ledger);
        break;
    default:
        server_fail(c);
        break;
    }
done:
    snprintf(c->inflight_key, sizeof c->inflight_key, "%s", key);
    server_finish(c);
}

/* How many threads check signatures: opt's, or one per online CPU. */
static unsigned server_verify_threads(const struct gateway_options *opt)
{
    long n;

    if (opt->verify_threads > 0)
        return opt->verify_threads;
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* The signature check of c, on a verifier thread: touches c->check only
 * (server_on_close may meanwhile clear c->req, on the loop's thread). */
static void server_verify_work(void *arg)
{
    struct gw_ctx *c = arg;

    auth_check_run(c->check);
}

static void server_verify_free(struct gw_ctx *c)
{
    if (c->check != NULL) {
        auth_check_clear(c->check);
        free(c->check);
        c->check = NULL;
    }
    if (c->verify_ev != NULL) {
        event_free(c->verify_ev);
        c->verify_ev = NULL;
    }
}

/* Back on the loop's thread once c's signature is checked: go on with the
 * request, unless its client hung up meanwhile (then nothing was done and
 * nothing is sent). */
static void server_on_verified(evutil_socket_t fd, short what, void *arg)
{
    struct gw_ctx *c = arg;
    struct evhttp_connection *conn;
    int rv;

    (void)fd;
    (void)what;
    if (c->req == NULL) {
        server_verify_free(c);
        server_finish(c);
        return;
    }
    conn = evhttp_request_get_connection(c->req);
    if (conn != NULL)
        evhttp_connection_set_closecb(conn, NULL, NULL);
    rv = auth_end(c, c->check);
    server_verify_free(c);
    if (rv < 0) {
        server_fail(c);
        server_finish(c);
        return;
    }
    server_run(c);
}

/* Hand c's signature check to the verifier threads. Returns 0 (the loop
 * goes on; server_on_verified continues c), or -1 with c->fault set. */
static int server_verify_start(struct gw_ctx *c)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(c->req);

    c->check = malloc(sizeof *c->check);
    if (c->check == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    if (auth_begin(c, c->check) < 0) {
        free(c->check);
        c->check = NULL;
        return -1;
    }
    c->verify_ev = event_new(c->gw->base, -1, 0, server_on_verified, c);
    if (c->verify_ev == NULL) {
        server_verify_free(c);
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    }
    if (offload_submit(c->gw->verifiers, server_verify_work, c, c->verify_ev,
                       &c->fault) < 0) {
        server_verify_free(c);
        return -1;
    }
    if (conn != NULL)
        evhttp_connection_set_closecb(conn, server_on_close, c);
    return 0;
}

/* Answer the stand-in of a request the gate refused before reading its
 * body (gate.h), and close: what else the client sent is not read. */
static void server_refused(struct gw_ctx *c, const struct gate_refusal *r)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);

    c->refused = 1;
    c->refused_route = r->route;
    snprintf(c->method_text, sizeof c->method_text, "%s", r->method);
    c->method = c->method_text;
    snprintf(c->path, sizeof c->path, "%s", r->path);
    evhttp_add_header(h, "Connection", "close");
    if (r->allow[0] != '\0')
        evhttp_add_header(h, "Allow", r->allow);
    c->status = problem_send_as(c->req, r->status, &r->fault, r->retry_after);
}

static void server_dispatch(struct evhttp_request *req, void *arg)
{
    struct gateway *gw = arg;
    struct gate_refusal refusal;
    struct gw_ctx *c;
    enum router_result rr;
    const char *q;
    size_t plen;

    c = calloc(1, sizeof *c);
    if (c == NULL) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &c->start);
    c->gw = gw;
    c->req = req;
    c->method = server_method_name(evhttp_request_get_command(req));
    c->target = evhttp_request_get_uri(req);
    gw->active_requests++;
    if (conns_request_begin(gw->conns, req, &refusal, &c->reserved)) {
        server_refused(c, &refusal);
        goto done;
    }
    if (c->target == NULL) {
        /* evhttp calls us with no target for a body over the limit or a
         * request it could not parse. */
        int code = evhttp_request_get_response_code(req);
        c->status = problem_send_status(
            req, code == 413 ? 413 : 400, code == 413 ? "too-large" : "invalid",
            code == 413 ? "Request too large" : "Invalid request",
            code == 413 ? "the body is larger than any route takes"
                        : "the request could not be parsed");
        goto done;
    }
    if (server_rate_check(c) < 0)
        goto done;
    q = strchr(c->target, '?');
    plen = q ? (size_t)(q - c->target) : strlen(c->target);
    if (plen >= sizeof c->path || c->target[0] != '/') {
        fault_set(&c->fault, FAULT_NOT_FOUND, "path", "no such resource");
        server_fail(c);
        goto done;
    }
    memcpy(c->path, c->target, plen);
    c->path[plen] = '\0';
    c->query = q ? q + 1 : NULL;
    rr = router_match(&c->match, routes_table, routes_count, c->method,
                      c->path);
    if (rr == ROUTER_NO_PATH) {
        fault_set(&c->fault, FAULT_NOT_FOUND, "path", "no such resource: %s",
                  c->path);
        server_fail(c);
        goto done;
    }
    if (rr == ROUTER_NO_METHOD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
                          c->match.allow);
        c->status = problem_send_status(req, 405, "method-not-allowed",
                                        "Method not allowed",
                                        "this resource does not take that "
                                        "method");
        goto done;
    }
    if (server_body(c) < 0) {
        server_fail(c);
        goto done;
    }
    if (c->match.entry->auth == ROUTER_SIGNED ||
        (c->match.entry->auth == ROUTER_OPTIONAL && auth_present(c))) {
        if (server_verify_start(c) < 0) {
            server_fail(c);
            goto done;
        }
        return; /* server_on_verified goes on */
    }
    server_run(c);
    return;
done:
    server_finish(c);
}

static void server_on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct gateway *gw = arg;

    (void)what;
    log_info("signal %d: stopping (in flight: %u)", (int)sig,
             gw->active_requests);
    gateway_stop(gw);
}

static void server_on_grace_end(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;

    (void)fd;
    (void)what;
    log_warn("grace period over with %u request(s) in flight; stopping",
             gw->active_requests);
    event_base_loopexit(gw->base, NULL);
}

/* Once a minute: forget nonces older than twice the signature window. */
static void server_on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;
    struct fault f;

    (void)fd;
    (void)what;
    if (ledger_nonce_expire(gw->ledger, (int64_t)time(NULL) - 900, &f) < 0)
        log_warn("nonce expiry failed: %s", f.detail);
}

/* While stopping: exit once no request is under way, whether dispatched
 * or still arriving (an upload part half sent is let finish). */
static void server_on_drain_check(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;

    (void)fd;
    (void)what;
    if (gw->active_requests == 0 && conns_busy(gw->conns) == 0)
        event_base_loopexit(gw->base, NULL);
}

void gateway_stop(struct gateway *gw)
{
    struct timeval grace = {gw->opt->shutdown_grace_s, 0};
    struct timeval tick = {0, 50000};

    if (gw->stopping)
        return;
    gw->stopping = 1;
    if (gw->bound != NULL) {
        conns_set_listener(gw->conns, NULL);
        evhttp_del_accept_socket(gw->http, gw->bound);
        gw->bound = NULL;
    }
    publisher_stop(gw->publisher);
    gw_chain_wake_all(gw->chain);
    gw->shutdown_timer = evtimer_new(gw->base, server_on_grace_end, gw);
    gw->drain_timer = event_new(gw->base, -1, EV_PERSIST,
                                server_on_drain_check, gw);
    if (gw->shutdown_timer == NULL || gw->drain_timer == NULL) {
        event_base_loopexit(gw->base, NULL);
        return;
    }
    evtimer_add(gw->shutdown_timer, &grace);
    event_add(gw->drain_timer, &tick);
    server_on_drain_check(-1, 0, gw);
}

/* The gateway's account, derived once (its key is wiped at once). */
static int server_identity(struct gateway *gw, struct fault *f)
{
    struct ethkey k;

    if (identity_key(&k, gw->store) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "the gateway's key cannot be derived");
    gw->identity = k.addr;
    ethkey_wipe(&k);
    return 0;
}

int gateway_start(struct gateway **out, const struct gateway_options *opt,
                  struct fault *f)
{
    struct gateway *gw;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    struct gw_chain_options chain_opt;
    struct conns_options conns_opt;
    struct timeval tv;
    evutil_socket_t fd;

    *out = NULL;
    memset(&chain_opt, 0, sizeof chain_opt);
    gw = calloc(1, sizeof *gw);
    if (gw == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    gw->opt = opt;
    gw->started_at = (int64_t)time(NULL);
    gw->inflight = calloc(1, sizeof *gw->inflight);
    /* Offload threads activate events of this base. */
    if (evthread_use_pthreads() < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "libevent has no thread support");
        goto fail;
    }
    gw->base = event_base_new();
    gw->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (gw->sha256 == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "no SHA-256 in OpenSSL");
        goto fail;
    }
    if (gw->base != NULL)
        gw->batch_ev = event_new(gw->base, -1, 0, server_batch_run, gw);
    if (gw->inflight == NULL || gw->base == NULL || gw->batch_ev == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot start the event loop");
        goto fail;
    }
    if (store_open(&gw->store, NULL, opt->data_dir, f) < 0 ||
        ledger_sqlite_open(&gw->ledger, gw->store, f) < 0 ||
        server_identity(gw, f) < 0)
        goto fail;
    if (offload_start(&gw->offload, 2, f) < 0 ||
        offload_start(&gw->verifiers, server_verify_threads(opt), f) < 0 ||
        webroot_load(&gw->web, opt->web_dir, f) < 0 ||
        metrics_new(&gw->metrics, f) < 0 ||
        viewcache_new(&gw->views, SERVER_VIEWS_MAX, SERVER_VIEW_BYTES_MAX,
                      f) < 0 ||
        publisher_start(&gw->publisher, gw->store, opt->publish_threads,
                        opt->ingest_threads, f) < 0)
        goto fail;
    chain_opt.rpc_url = opt->rpc_url;
    chain_opt.rpc_ca_file = opt->rpc_ca_file;
    chain_opt.contract = opt->contract;
    chain_opt.confirmations = opt->confirmations;
    chain_opt.poll_ms = opt->poll_ms;
    chain_opt.finalized = opt->finalized;
    chain_opt.chain_id = opt->chain_id;
    chain_opt.max_log_range = opt->max_log_range;
    if (gw_chain_start(&gw->chain, gw, &chain_opt, f) < 0)
        goto fail;
    gw->http = evhttp_new(gw->base);
    if (gw->http == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot start HTTP");
        goto fail;
    }
    evhttp_set_allowed_methods(gw->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                                             EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                             EVHTTP_REQ_DELETE |
                                             EVHTTP_REQ_OPTIONS |
                                             EVHTTP_REQ_PATCH);
    /* The gate (conns.h) reads every head first, strictly, counting the
     * bytes as received; evhttp's own count is lower (it leaves out the
     * line ends), and the gate may add a Content-Length line. */
    evhttp_set_max_headers_size(gw->http,
                                (ev_ssize_t)opt->max_header_bytes + 64);
    /* The gate holds each body to its route's limit before evhttp reads
     * it; this is a backstop only. */
    evhttp_set_max_body_size(gw->http,
                             (ev_ssize_t)(opt->max_part_bytes > opt->max_json_body
                                              ? opt->max_part_bytes
                                              : opt->max_json_body));
    /* No evhttp timeouts: conns keeps the read deadlines by phase, and the
     * socket's write timeout. */
    evhttp_set_gencb(gw->http, server_dispatch, gw);
    if (opt->tls_cert != NULL &&
        tls_new(&gw->tls_ctx, opt->tls_cert, opt->tls_key,
                opt->tls_key_password, f) < 0)
        goto fail;
    memset(&conns_opt, 0, sizeof conns_opt);
    conns_opt.max = opt->max_connections;
    conns_opt.max_per_address = opt->max_connections_per_address;
    conns_opt.header_timeout_s = opt->header_timeout_s;
    conns_opt.idle_timeout_s = opt->idle_timeout_s;
    conns_opt.read_timeout_s = opt->read_timeout_s;
    conns_opt.request_deadline_s = opt->request_deadline_s;
    conns_opt.upload_deadline_s = opt->upload_deadline_s;
    conns_opt.body_memory = opt->max_body_memory;
    conns_opt.max_head = opt->max_header_bytes;
    conns_opt.ssl_ctx = gw->tls_ctx;
    conns_opt.admit = admit_head;
    conns_opt.server = gw;
    if (conns_new(&gw->conns, gw->base, &conns_opt, f) < 0 ||
        ratelimit_new(&gw->ratelimit, opt->rate_limit, opt->rate_burst,
                      f) < 0)
        goto fail;
    evhttp_set_bevcb(gw->http, conns_bevcb, gw->conns);
    gw->bound = evhttp_bind_socket_with_handle(gw->http, opt->listen_host,
                                               opt->listen_port);
    if (gw->bound == NULL) {
        fault_set(f, FAULT_IO, "listen", "cannot listen on %s:%u: %s",
                  opt->listen_host, (unsigned)opt->listen_port,
                  strerror(errno));
        goto fail;
    }
    conns_set_listener(gw->conns,
                       evhttp_bound_socket_get_listener(gw->bound));
    fd = evhttp_bound_socket_get_fd(gw->bound);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            gw->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            gw->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    gw->sig_term = evsignal_new(gw->base, SIGTERM, server_on_signal, gw);
    gw->sig_int = evsignal_new(gw->base, SIGINT, server_on_signal, gw);
    gw->tick = event_new(gw->base, -1, EV_PERSIST, server_on_tick, gw);
    if (gw->sig_term == NULL || gw->sig_int == NULL || gw->tick == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot set up signals");
        goto fail;
    }
    evsignal_add(gw->sig_term, NULL);
    evsignal_add(gw->sig_int, NULL);
    tv.tv_sec = 60;
    event_add(gw->tick, &tv);
    *out = gw;
    return 0;
fail:
    gateway_free(gw);
    return -1;
}

int gateway_run(struct gateway *gw)
{
    return event_base_dispatch(gw->base) < 0 ? -1 : 0;
}

void gateway_free(struct gateway *gw)
{
    struct inflight_entry *e, *next;

    if (gw == NULL)
        return;
    publisher_free(gw->publisher);
    offload_free(gw->offload);
    offload_free(gw->verifiers);
    gw_chain_free(gw->chain);
    if (gw->http != NULL)
        evhttp_free(gw->http);
    conns_free(gw->conns); /* after evhttp: it releases what evhttp let go */
    tls_free(gw->tls_ctx);
    ratelimit_free(gw->ratelimit);
    if (gw->sig_term != NULL)
        event_free(gw->sig_term);
    if (gw->sig_int != NULL)
        event_free(gw->sig_int);
    if (gw->tick != NULL)
        event_free(gw->tick);
    if (gw->batch_ev != NULL)
        event_free(gw->batch_ev);
    EVP_MD_free(gw->sha256);
    if (gw->shutdown_timer != NULL)
        event_free(gw->shutdown_timer);
    if (gw->drain_timer != NULL)
        event_free(gw->drain_timer);
    metrics_free(gw->metrics);
    viewcache_free(gw->views);
    webroot_free(gw->web);
    ledger_close(gw->ledger);
    store_close(gw->store);
    if (gw->base != NULL)
        event_base_free(gw->base);
    if (gw->inflight != NULL) {
        for (e = gw->inflight->head; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
        free(gw->inflight);
    }
    free(gw);
}
