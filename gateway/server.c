/*
 * server: the evhttp side of the gateway (server.h): start and stop, and
 * the one dispatcher every request goes through: the gate's refusals,
 * route, limits, signature (verify.h), the nonce gate, then the handler,
 * alone or in a group commit (batch.h).
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
#include "gateway/batch.h"
#include "gateway/conns.h"
#include "gateway/request.h"
#include "gateway/server.h"
#include "gateway/metrics.h"
#include "gateway/offload.h"
#include "gateway/problem.h"
#include "gateway/publisher.h"
#include "gateway/ratelimit.h"
#include "gateway/reply.h"
#include "gateway/routes.h"
#include "gateway/session.h"
#include "gateway/tls.h"
#include "gateway/viewcache.h"
#include "gateway/verify.h"
#include "gateway/webroot.h"
#include "lib/log.h"
#include "pricing/ledger_sqlite.h"

/* Bounds of the cache of rendered data-set views: a view is about 2 KB
 * (up to ~100 KB with 100 preview rows of wide data). */
#define SERVER_VIEWS_MAX 4096
#define SERVER_VIEW_BYTES_MAX ((size_t)32 << 20)

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

/* Answer a repeat of a recorded request with the first answer. */
static void server_replay(struct gw_ctx *c, const struct ledger_nonce *r)
{
    c->retry_after = r->retry_after;
    request_send(c, r->status, r->content_type[0] ? r->content_type : NULL,
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
            fault_set(&c->fault, FAULT_NONCE_REUSED, "X-Sluice-Nonce",
                      "this nonce was already used for another request");
            c->status = problem_send(c->req, &c->fault, 0);
        }
        ledger_nonce_clear(&r);
        *handled = 1;
        return 0;
    }
    if (request_inflight_add(c->gw->inflight, key) < 0) {
        fault_set(&c->fault, FAULT_IN_FLIGHT, "X-Sluice-Nonce",
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
    request_peer(c->req, peer, sizeof peer);
    wait = ratelimit_take(c->gw->ratelimit, peer,
                          (double)now.tv_sec + (double)now.tv_nsec / 1e9);
    if (wait == 0)
        return 0;
    fault_set(&c->fault, FAULT_RATE_LIMITED, NULL,
              "too many requests from %s; retry in %d s", peer, wait);
    c->status = problem_send(c->req, &c->fault, wait);
    return -1;
}

/* Run c, its signature (if any) verified: the nonce gate of a signed
 * write, then its handler, alone or in the next group commit. */
static void server_run(struct gw_ctx *c)
{
    char key[ETHADDR_TEXT_SIZE + 66];
    int handled = 0;

    key[0] = '\0';
    if (c->is_signed && !(c->match.entry->flags & ROUTER_READ_ONLY) &&
        strcmp(c->method, "GET") != 0 && strcmp(c->method, "HEAD") != 0) {
        if (server_nonce_gate(c, key, sizeof key, &handled) < 0) {
            key[0] = '\0';
            request_fail(c);
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
    if (c->record_nonce && c->match.entry->body != ROUTER_BODY_RAW &&
        !(c->match.entry->flags & ROUTER_PREPARE)) {
        batch_add(c);
        return; /* batch_run answers it */
    }
    switch (c->match.entry->handler(c)) {
    case GW_PENDING:
        return; /* request_on_done finishes it */
    case 0:
        if (c->in_tx) /* replied without committing: a handler bug */
            ledger_rollback(c->gw->ledger);
        break;
    default:
        request_fail(c);
        break;
    }
done:
    snprintf(c->inflight_key, sizeof c->inflight_key, "%s", key);
    request_finish(c);
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
        request_fail(c);
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
        request_fail(c);
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
        request_fail(c);
        goto done;
    }
    if (c->match.entry->auth == ROUTER_SIGNED ||
        (c->match.entry->auth == ROUTER_OPTIONAL && auth_present(c))) {
        if (verify_start(c, server_run) < 0) {
            request_fail(c);
            goto done;
        }
        return; /* verify_on_verified goes on */
    }
    server_run(c);
    return;
done:
    request_finish(c);
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

/* Once a minute: forget nonces older than twice the signature window, and
 * sign-in nonces and browser sessions that expired. */
static void server_on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;
    struct fault f;

    (void)fd;
    (void)what;
    session_expire(gw->sessions, (int64_t)time(NULL));
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
    gw_chain_stop(gw->chain);
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

/* The gateway's account and key, derived once: the key signs receipts and
 * the audit head (DESIGN.md 3.10) and is wiped in gateway_free. */
static int server_identity(struct gateway *gw, struct fault *f)
{
    if (identity_key(&gw->key, gw->store) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "the gateway's key cannot be derived");
    gw->identity = gw->key.addr;
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
    if (request_inflight_new(&gw->inflight) < 0)
        gw->inflight = NULL;
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
        gw->batch_ev = event_new(gw->base, -1, 0, batch_run, gw);
    if (gw->inflight == NULL || gw->base == NULL || gw->batch_ev == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot start the event loop");
        goto fail;
    }
    if (store_open(&gw->store, NULL, opt->data_dir, f) < 0 ||
        ledger_sqlite_open(&gw->ledger, gw->store, f) < 0 ||
        server_identity(gw, f) < 0)
        goto fail;
    if (offload_start(&gw->offload, 2, f) < 0 ||
        offload_start(&gw->verifiers, verify_threads(opt), f) < 0 ||
        webroot_load(&gw->web, opt->web_dir, f) < 0 ||
        metrics_new(&gw->metrics, f) < 0 ||
        viewcache_new(&gw->views, SERVER_VIEWS_MAX, SERVER_VIEW_BYTES_MAX,
                      f) < 0 ||
        session_store_new(&gw->sessions,
                          opt->max_sessions ? opt->max_sessions
                                            : SESSION_MAX_DEFAULT,
                          opt->max_session_nonces ? opt->max_session_nonces
                                                  : SESSION_NONCES_MAX_DEFAULT,
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
    if (gw_chain_start(&gw->chain, gw->base, gw->ledger, &chain_opt, f) < 0)
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
    session_store_free(gw->sessions);
    webroot_free(gw->web);
    ledger_close(gw->ledger);
    store_close(gw->store);
    ethkey_wipe(&gw->key);
    if (gw->base != NULL)
        event_base_free(gw->base);
    request_inflight_free(gw->inflight);
    free(gw);
}
