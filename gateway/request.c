/*
 * request: the life of one request once the dispatcher has it: the
 * answers a handler gives (recorded with the nonce of a signed request in
 * the unit of work of its effect), answers held for a group commit,
 * problems, work on other threads or deferred, and the end of every
 * request (metrics, the access log). See request.h.
 */
#include "gateway/request.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/conns.h"
#include "gateway/metrics.h"
#include "gateway/offload.h"
#include "gateway/problem.h"
#include "gateway/reply.h"
#include "lib/log.h"
#include "pricing/ledger.h"

/* Signed requests still being answered, by "address|nonce": a second copy
 * that arrives meanwhile is told to retry (DESIGN.md 3.1). */
struct inflight {
    struct inflight_entry {
        char key[ETHADDR_TEXT_SIZE + 66];
        struct inflight_entry *next;
    } *head;
};

int request_inflight_new(struct inflight **out)
{
    *out = calloc(1, sizeof **out);
    return *out != NULL ? 0 : -1;
}

void request_inflight_free(struct inflight *in)
{
    struct inflight_entry *e, *next;

    if (in == NULL)
        return;
    for (e = in->head; e != NULL; e = next) {
        next = e->next;
        free(e);
    }
    free(in);
}

int request_inflight_add(struct inflight *in, const char *key)
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

static void request_inflight_remove(struct inflight *in, const char *key)
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

static double request_elapsed_ms(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

void request_peer(struct evhttp_request *req, char *out, size_t cap)
{
    struct evhttp_connection *conn =
        req ? evhttp_request_get_connection(req) : NULL;
    char *host = NULL;
    ev_uint16_t port = 0;

    if (conn != NULL)
        evhttp_connection_get_peer(conn, &host, &port);
    snprintf(out, cap, "%s", host ? host : "-");
}

static void request_access_log(struct gw_ctx *c)
{
    char peer[64];

    if (!c->gw->opt->access_log)
        return;
    request_peer(c->req, peer, sizeof peer);
    log_info("access %s %s %s %d %zu %.1fms %s", peer, c->method,
             c->path[0] ? c->path : "-", c->status, c->bytes_out,
             request_elapsed_ms(&c->start),
             c->is_signed ? c->signer_text : "-");
}

/* Write the nonce row of a recorded request inside its transaction (one
 * is opened when the handler did not), then commit. */
static int request_record(struct gw_ctx *c, int status, const char *ctype,
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
    r.retry_after = c->retry_after;
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

static int request_commit_if_open(struct gw_ctx *c)
{
    if (!c->in_tx || c->batched)
        return 0;
    c->in_tx = 0;
    return ledger_commit(c->gw->ledger, &c->fault);
}

void request_held_clear(struct gw_ctx *c)
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
static void request_hold(struct gw_ctx *c, int status, const char *ctype,
                        const char *location, const uint8_t *body,
                        size_t len)
{
    request_held_clear(c);
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
    request_held_clear(c);
    c->held = 1;
    c->held_status = 500;
    c->held_ctype = NULL;
}

void request_send(struct gw_ctx *c, int status, const char *ctype,
                        const char *location, const uint8_t *body, size_t len)
{
    struct evkeyvalq *h;
    struct evbuffer *buf;

    if (c->batched) {
        request_hold(c, status, ctype, location, body, len);
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
    if (c->retry_after > 0) {
        char retry[16];

        snprintf(retry, sizeof retry, "%d", c->retry_after);
        evhttp_remove_header(h, "Retry-After");
        evhttp_add_header(h, "Retry-After", retry);
    }
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
        if (request_record(c, status, ctype ? ctype : "", location, body,
                          len) < 0)
            return -1;
    } else if (request_commit_if_open(c) < 0) {
        return -1;
    }
    request_send(c, status, ctype, location, body, len);
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
void request_fail(struct gw_ctx *c)
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
    text = problem_render_with(&c->fault, c->problem_extra, &status);
    /* 503: the chain is away; say when to try again (DESIGN.md 3.9). */
    if (status == 503 && c->retry_after == 0)
        c->retry_after = 5;
    if (text == NULL) {
        if (c->batched) {
            request_hold(c, 500, NULL, NULL, NULL, 0);
            return;
        }
        if (c->req != NULL)
            evhttp_send_error(c->req, 500, NULL);
        c->status = 500;
        return;
    }
    if (c->record_nonce && status < 500 &&
        request_record(c, status, "application/problem+json", NULL,
                      (const uint8_t *)text, strlen(text)) < 0) {
        /* Not remembered: answer 5xx so that a retry is not refused. */
        free(text);
        text = problem_render(&c->fault, &status);
        if (text == NULL) {
            if (c->batched) {
                request_hold(c, 500, NULL, NULL, NULL, 0);
                return;
            }
            if (c->req != NULL)
                evhttp_send_error(c->req, 500, NULL);
            c->status = 500;
            return;
        }
    }
    request_send(c, status, "application/problem+json", NULL,
                (const uint8_t *)text, strlen(text));
    free(text);
}

/* The end of every request, answered or not: count it, log it, forget
 * it. */
void request_finish(struct gw_ctx *c)
{
    struct gateway *gw = c->gw;

    conns_release(gw->conns, c->reserved);
    metrics_request(gw->metrics,
                    c->refused ? (c->refused_route ? c->refused_route
                                                   : "unmatched")
                    : c->match.entry ? c->match.entry->name : "unmatched",
                    c->status, c->body_len, c->bytes_out,
                    request_elapsed_ms(&c->start));
    request_access_log(c);
    if (c->inflight_key[0] != '\0')
        request_inflight_remove(gw->inflight, c->inflight_key);
    if (c->done_ev != NULL)
        event_free(c->done_ev);
    if (c->owned_body != NULL)
        evbuffer_free(c->owned_body);
    json_decref(c->problem_extra);
    if (c->work_free != NULL && c->work_state != NULL)
        c->work_free(c->work_state);
    gw->active_requests--;
    free(c);
}

void request_on_close(struct evhttp_connection *conn, void *arg)
{
    struct gw_ctx *c = arg;

    (void)conn;
    c->req = NULL; /* evhttp frees it next */
}

static void request_run_work(void *arg)
{
    struct gw_ctx *c = arg;

    c->work(c);
}

static void request_on_done(evutil_socket_t fd, short what, void *arg)
{
    struct gw_ctx *c = arg;
    struct evhttp_connection *conn;
    int rc;

    (void)fd;
    (void)what;
    if (c->req != NULL) {
        conn = evhttp_request_get_connection(c->req);
        if (conn != NULL)
            evhttp_connection_set_closecb(conn, NULL, NULL);
    }
    rc = c->finish(c);
    if (rc == GW_PENDING)
        return; /* queued for a group commit (gw_batch): batch_run ends it */
    if (rc < 0)
        request_fail(c);
    else if (c->in_tx)
        ledger_rollback(c->gw->ledger);
    request_finish(c);
}

static int request_offload(struct gw_ctx *c, struct offload *pool,
                           void (*work)(struct gw_ctx *c),
                           int (*finish)(struct gw_ctx *c))
{
    struct evhttp_connection *conn = evhttp_request_get_connection(c->req);

    c->owned_body = evbuffer_new();
    c->done_ev = event_new(c->gw->base, -1, 0, request_on_done, c);
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
    if (offload_submit(pool, request_run_work, c, c->done_ev, &c->fault) < 0)
        return -1;
    if (conn != NULL)
        evhttp_connection_set_closecb(conn, request_on_close, c);
    return GW_PENDING;
}

int gw_offload(struct gw_ctx *c, void (*work)(struct gw_ctx *c),
               int (*finish)(struct gw_ctx *c))
{
    return request_offload(c, c->gw->offload, work, finish);
}

int gw_offload_cpu(struct gw_ctx *c, void (*work)(struct gw_ctx *c),
                   int (*finish)(struct gw_ctx *c))
{
    if (c->gw->verifiers == NULL) { /* no threads: on the loop, at once */
        work(c);
        return finish(c);
    }
    return request_offload(c, c->gw->verifiers, work, finish);
}

int gw_defer(struct gw_ctx *c, int (*finish)(struct gw_ctx *c))
{
    struct evhttp_connection *conn = evhttp_request_get_connection(c->req);

    c->done_ev = event_new(c->gw->base, -1, 0, request_on_done, c);
    if (c->done_ev == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    c->finish = finish;
    if (conn != NULL)
        evhttp_connection_set_closecb(conn, request_on_close, c);
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
