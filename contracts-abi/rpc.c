#include "contracts-abi/rpc.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

#define RPC_HOST_MAX 256
#define RPC_HEADERS_MAX (64 * 1024)

enum rpc_call_state {
    RPC_QUEUED,     /* in the client's queue, not sent */
    RPC_SENT,       /* a request on a connection */
    RPC_ABANDONING, /* being taken off its connection; libevent's
                       callbacks for it are ignored */
    RPC_FINISHED    /* outcome known, delivery pending */
};

struct rpc_slot;

struct rpc_call {
    struct rpc_client *c;
    struct rpc_call *prev, *next; /* the client's held calls, oldest first */
    enum rpc_call_state state;
    struct rpc_slot *slot;        /* while RPC_SENT */
    struct evhttp_request *req;   /* while RPC_SENT */
    struct event *ev;             /* the deadline, then the delivery */
    char *body;
    size_t body_len;
    size_t n;
    int batch;
    uint64_t *ids;
    struct rpcwire_reply *replies;
    json_t *doc;                  /* the parsed answer the results borrow */
    int have_http_error;
    enum evhttp_request_error http_error;
    rpc_done_fn done;
    void *arg;
};

/* One kept-alive connection. A connection that failed or that the peer
 * closed is stale: it is freed and made anew before its next request
 * (libevent_openssl cannot reconnect a used SSL object, and a fresh one
 * costs nothing for plain HTTP). */
struct rpc_slot {
    struct rpc_client *c;
    struct evhttp_connection *evcon;
    struct rpc_call *call;
    int stale;
};

struct rpc_client {
    struct event_base *base;
    struct evdns_base *dns;  /* NULL when the host is an address */
    SSL_CTX *ssl_ctx;        /* NULL for http:// */
    struct rpc_options opt;
    char host[RPC_HOST_MAX]; /* no brackets */
    uint16_t port;
    int host_is_ip;
    char host_header[RPC_HOST_MAX + 8];
    char endpoint[RPC_HOST_MAX + 24];
    char target[RPC_URL_MAX];
    struct rpc_slot slots[RPC_CONNS_MAX];
    struct rpc_call *head, *tail;
    struct event *kick;      /* runs the queue, outside libevent's http */
    uint64_t next_id;
    int closing;
    struct rpc_stats stats;
};

static void rpc_kick_cb(evutil_socket_t fd, short what, void *arg);

void rpc_options_default(struct rpc_options *o)
{
    o->ca_file = NULL;
    o->url_name = "rpc_url";
    o->timeout_ms = 10000;
    o->max_body = (size_t)16 << 20;
    o->max_in_flight = 256;
    o->max_conns = 2;
}

const char *rpc_client_endpoint(const struct rpc_client *c)
{
    return c->endpoint;
}

void rpc_client_stats(const struct rpc_client *c, struct rpc_stats *out)
{
    *out = c->stats;
}

/* The OpenSSL reason at the top of the error queue, then the queue
 * cleared: for the log only. */
static void rpc_ssl_reason(char *out, size_t cap)
{
    unsigned long e = ERR_get_error();

    if (e == 0)
        snprintf(out, cap, "unknown error");
    else
        ERR_error_string_n(e, out, cap);
    ERR_clear_error();
}

static int rpc_parse_url(struct rpc_client *c, const char *url,
                         const char *name, struct fault *f)
{
    struct evhttp_uri *u = NULL;
    const char *scheme, *host, *path, *query;
    unsigned char addr[16];
    size_t hlen;
    int port, https, rv = -1;

    if (name == NULL)
        name = "rpc_url";
    if (strlen(url) >= RPC_URL_MAX)
        return fault_set(f, FAULT_INVALID, name,
                         "%s is longer than %d bytes", name,
                         RPC_URL_MAX - 1);
    u = evhttp_uri_parse_with_flags(url, 0);
    if (u == NULL) {
        fault_set(f, FAULT_INVALID, name, "%s is not a URL", name);
        goto done;
    }
    scheme = evhttp_uri_get_scheme(u);
    host = evhttp_uri_get_host(u);
    if (scheme == NULL ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        fault_set(f, FAULT_INVALID, name,
                  "%s must start with http:// or https://", name);
        goto done;
    }
    https = strcmp(scheme, "https") == 0;
    if (host == NULL || host[0] == '\0') {
        fault_set(f, FAULT_INVALID, name, "%s has no host", name);
        goto done;
    }
    if (evhttp_uri_get_userinfo(u) != NULL ||
        evhttp_uri_get_fragment(u) != NULL) {
        fault_set(f, FAULT_INVALID, name,
                  "%s may not hold user info or a fragment", name);
        goto done;
    }
    hlen = strlen(host);
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
        host++;
        hlen -= 2;
    }
    if (hlen >= sizeof c->host) {
        fault_set(f, FAULT_INVALID, name, "%s's host is too long", name);
        goto done;
    }
    memcpy(c->host, host, hlen);
    c->host[hlen] = '\0';
    c->host_is_ip = inet_pton(AF_INET, c->host, addr) == 1 ||
                    inet_pton(AF_INET6, c->host, addr) == 1;
    port = evhttp_uri_get_port(u);
    if (port == 0 || port > 65535) {
        fault_set(f, FAULT_INVALID, name, "%s's port is out of range",
                  name);
        goto done;
    }
    c->port = (uint16_t)(port < 0 ? (https ? 443 : 80) : port);
    path = evhttp_uri_get_path(u);
    query = evhttp_uri_get_query(u);
    if (path == NULL || path[0] == '\0')
        path = "/";
    if ((size_t)snprintf(c->target, sizeof c->target, "%s%s%s", path,
                         query ? "?" : "", query ? query : "") >=
        sizeof c->target) {
        fault_set(f, FAULT_INVALID, name, "%s's path is too long", name);
        goto done;
    }
    if (strchr(c->host, ':') != NULL)
        snprintf(c->host_header, sizeof c->host_header, "[%s]", c->host);
    else
        snprintf(c->host_header, sizeof c->host_header, "%s", c->host);
    snprintf(c->endpoint, sizeof c->endpoint, "%s://%s:%u", scheme,
             c->host_header, (unsigned)c->port);
    if (port >= 0) {
        size_t l = strlen(c->host_header);
        snprintf(c->host_header + l, sizeof c->host_header - l, ":%d", port);
    }
    rv = https;
done:
    if (u != NULL) /* evhttp_uri_free(NULL) is not a no-op */
        evhttp_uri_free(u);
    return rv;
}

static int rpc_tls_init(struct rpc_client *c, const char *ca_file,
                        struct fault *f)
{
    char why[256];

    c->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (c->ssl_ctx == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "cannot make a TLS context");
    SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(c->ssl_ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1) {
        /* No system store is not fatal when a CA file is given. */
        rpc_ssl_reason(why, sizeof why);
        log_warn("no system CA store: %s", why);
    }
    if (ca_file != NULL &&
        SSL_CTX_load_verify_locations(c->ssl_ctx, ca_file, NULL) != 1) {
        rpc_ssl_reason(why, sizeof why);
        log_error("ca_file %s: %s", ca_file, why);
        return fault_set(f, FAULT_INVALID, "ca_file",
                         "ca_file cannot be read as PEM certificates");
    }
    return 0;
}

static void rpc_slot_close(struct rpc_slot *s)
{
    if (s->evcon != NULL) {
        evhttp_connection_set_closecb(s->evcon, NULL, NULL);
        evhttp_connection_free(s->evcon);
    }
    s->evcon = NULL;
    s->stale = 0;
}

/* libevent closed the connection (the peer did, or a failure reset it). */
static void rpc_slot_closed(struct evhttp_connection *evcon, void *arg)
{
    struct rpc_slot *s = arg;

    (void)evcon;
    s->stale = 1;
}

static int rpc_slot_open(struct rpc_client *c, struct rpc_slot *s,
                         struct fault *f)
{
    struct bufferevent *bev = NULL;
    struct timeval tv;
    SSL *ssl;
    char why[256];

    rpc_slot_close(s);
    if (c->ssl_ctx != NULL) {
        ssl = SSL_new(c->ssl_ctx);
        if (ssl == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "cannot make a TLS session");
        if (!c->host_is_ip && SSL_set_tlsext_host_name(ssl, c->host) != 1)
            goto tls_fail;
        if (c->host_is_ip) {
            if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
                                              c->host) != 1)
                goto tls_fail;
        } else {
            SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            if (SSL_set1_host(ssl, c->host) != 1)
                goto tls_fail;
        }
        bev = bufferevent_openssl_socket_new(
            c->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
            BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
        if (bev == NULL) {
            SSL_free(ssl);
            return fault_set(f, FAULT_INTERNAL, NULL,
                             "cannot make a TLS connection");
        }
        /* Many servers end without close_notify; HTTP framing tells us
         * whether the answer was whole. */
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    }
    s->evcon = evhttp_connection_base_bufferevent_new(c->base, c->dns, bev,
                                                      c->host, c->port);
    if (s->evcon == NULL) {
        if (bev != NULL)
            bufferevent_free(bev);
        return fault_set(f, FAULT_INTERNAL, NULL, "cannot make a connection");
    }
    tv.tv_sec = c->opt.timeout_ms / 1000;
    tv.tv_usec = (c->opt.timeout_ms % 1000) * 1000;
    evhttp_connection_set_timeout_tv(s->evcon, &tv);
    evhttp_connection_set_max_body_size(s->evcon, (ev_ssize_t)c->opt.max_body);
    evhttp_connection_set_max_headers_size(s->evcon, RPC_HEADERS_MAX);
    evhttp_connection_set_retries(s->evcon, 0);
    evhttp_connection_set_closecb(s->evcon, rpc_slot_closed, s);
    s->stale = 0;
    c->stats.connects++;
    return 0;
tls_fail:
    rpc_ssl_reason(why, sizeof why);
    log_error("%s: TLS setup: %s", c->endpoint, why);
    SSL_free(ssl);
    return fault_set(f, FAULT_INTERNAL, NULL, "cannot set up TLS for %s",
                     c->endpoint);
}

int rpc_client_new(struct rpc_client **out, struct event_base *base,
                   const char *url, const struct rpc_options *opt,
                   struct fault *f)
{
    struct rpc_client *c = NULL;
    struct rpc_options o;
    int https, i, rv = -1;

    if (out != NULL)
        *out = NULL;
    if (out == NULL || base == NULL || url == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "rpc_client_new: bad arguments");
    if (opt != NULL)
        o = *opt;
    else
        rpc_options_default(&o);
    if (o.timeout_ms == 0 || o.timeout_ms > 600000 || o.max_body == 0 ||
        o.max_body > ((size_t)1 << 30) || o.max_in_flight == 0 ||
        o.max_in_flight > 65536 || o.max_conns == 0 ||
        o.max_conns > RPC_CONNS_MAX)
        return fault_set(f, FAULT_INVALID, "rpc_options",
                         "rpc options out of range (timeout 1 to 600000 ms, "
                         "body 1 byte to 1 GiB, 1 to 65536 calls, 1 to %d "
                         "connections)",
                         RPC_CONNS_MAX);
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    c->base = base;
    c->opt = o;
    c->opt.ca_file = NULL; /* not kept: read once here */
    c->opt.url_name = NULL;
    c->next_id = 1;
    for (i = 0; i < RPC_CONNS_MAX; i++)
        c->slots[i].c = c;
    https = rpc_parse_url(c, url, o.url_name, f);
    if (https < 0)
        goto done;
    if (https && rpc_tls_init(c, o.ca_file, f) != 0)
        goto done;
    if (!c->host_is_ip) {
        c->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                          EVDNS_BASE_DISABLE_WHEN_INACTIVE);
        if (c->dns == NULL) {
            fault_set(f, FAULT_INTERNAL, NULL,
                      "cannot start the DNS resolver for %s", c->endpoint);
            goto done;
        }
    }
    c->kick = event_new(base, -1, 0, rpc_kick_cb, c);
    if (c->kick == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    *out = c;
    c = NULL;
    rv = 0;
done:
    if (c != NULL) {
        if (c->dns != NULL)
            evdns_base_free(c->dns, 0);
        SSL_CTX_free(c->ssl_ctx);
        free(c);
    }
    return rv;
}

static void rpc_unlink(struct rpc_client *c, struct rpc_call *call)
{
    if (call->prev != NULL)
        call->prev->next = call->next;
    else
        c->head = call->next;
    if (call->next != NULL)
        call->next->prev = call->prev;
    else
        c->tail = call->prev;
    call->prev = call->next = NULL;
    c->stats.in_flight--;
}

static void rpc_call_free(struct rpc_call *call)
{
    if (call == NULL)
        return;
    if (call->ev != NULL)
        event_free(call->ev);
    json_decref(call->doc);
    free(call->body);
    free(call->ids);
    free(call->replies);
    free(call);
}

/* Give every reply of call the same failure, log it once. */
static void rpc_fail(struct rpc_call *call, enum rpcwire_status status,
                     int http_status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void rpc_fail(struct rpc_call *call, enum rpcwire_status status,
                     int http_status, const char *fmt, ...)
{
    char detail[FAULT_DETAIL_MAX];
    va_list ap;
    size_t i;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    json_decref(call->doc);
    call->doc = NULL;
    for (i = 0; i < call->n; i++) {
        rpcwire_reply_fail(&call->replies[i], status, NULL, "%s", detail);
        call->replies[i].http_status = http_status;
    }
    if (status != RPCWIRE_CANCELLED)
        log_warn("%s: %s (%s)", call->c->endpoint, detail,
                 rpcwire_status_name(status));
}

/* Tell the caller and forget the call. The client's counters and queue
 * are settled first: the callback may free the client. */
static void rpc_deliver(struct rpc_call *call)
{
    struct rpc_client *c = call->c;
    size_t i;

    rpc_unlink(c, call);
    if (call->replies[0].status == RPCWIRE_TIMEOUT)
        c->stats.timeouts++;
    for (i = 0; i < call->n; i++) {
        if (call->replies[i].status == RPCWIRE_OK)
            c->stats.results++;
        else if (call->replies[i].status == RPCWIRE_ERROR_OBJECT)
            c->stats.error_objects++;
        else
            c->stats.failures++;
    }
    if (!c->closing)
        event_active(c->kick, EV_TIMEOUT, 0);
    call->done(call->arg, call->replies, call->n);
    rpc_call_free(call);
}

/* The outcome is known: deliver it from the call's own event, so that the
 * caller never runs inside libevent's http code. */
static void rpc_finish(struct rpc_call *call)
{
    call->state = RPC_FINISHED;
    event_del(call->ev);
    event_active(call->ev, EV_TIMEOUT, 0);
}

static const char *rpc_http_error_text(enum evhttp_request_error e)
{
    switch (e) {
    case EVREQ_HTTP_TIMEOUT: return "timed out";
    case EVREQ_HTTP_EOF: return "closed the connection before a whole answer";
    case EVREQ_HTTP_INVALID_HEADER: return "sent an invalid HTTP header";
    case EVREQ_HTTP_BUFFER_ERROR: return "failed on the socket";
    case EVREQ_HTTP_REQUEST_CANCEL: return "was cancelled";
    case EVREQ_HTTP_DATA_TOO_LONG: return "sent a body or header over the bound";
    }
    return "failed";
}

/* The request failed below HTTP: say which way, the TLS verdict first. */
static void rpc_transport_failed(struct rpc_client *c, struct rpc_slot *s,
                                 struct rpc_call *call)
{
    struct bufferevent *bev;
    unsigned long e;
    long verdict;
    SSL *ssl;
    char why[256];

    if (c->ssl_ctx != NULL && s->evcon != NULL &&
        (bev = evhttp_connection_get_bufferevent(s->evcon)) != NULL &&
        (ssl = bufferevent_openssl_get_ssl(bev)) != NULL) {
        verdict = SSL_get_verify_result(ssl);
        if (verdict != X509_V_OK) {
            rpc_fail(call, RPCWIRE_TLS, 0,
                     "the certificate of %s is not accepted: %s",
                     c->endpoint, X509_verify_cert_error_string(verdict));
            return;
        }
        e = bufferevent_get_openssl_error(bev);
        if (e != 0) {
            ERR_error_string_n(e, why, sizeof why);
            rpc_fail(call, RPCWIRE_TLS, 0, "TLS with %s failed: %s",
                     c->endpoint, why);
            return;
        }
    }
    /* libevent tells the error callback of every failure but one: a
     * connection that could not be made (refused, unreachable, a name
     * that does not resolve, the connect timing out). */
    if (!call->have_http_error) {
        rpc_fail(call, RPCWIRE_CONNECT, 0, "cannot connect to %s",
                 c->endpoint);
        return;
    }
    switch (call->http_error) {
    case EVREQ_HTTP_TIMEOUT:
        rpc_fail(call, RPCWIRE_TIMEOUT, 0, "%s did not answer within %u ms",
                 c->endpoint, (unsigned)c->opt.timeout_ms);
        return;
    case EVREQ_HTTP_DATA_TOO_LONG:
        rpc_fail(call, RPCWIRE_TOO_LARGE, 0,
                 "%s sent an answer over %zu bytes", c->endpoint,
                 c->opt.max_body);
        return;
    case EVREQ_HTTP_EOF:
    case EVREQ_HTTP_INVALID_HEADER:
    case EVREQ_HTTP_BUFFER_ERROR:
    case EVREQ_HTTP_REQUEST_CANCEL:
        break;
    }
    rpc_fail(call, RPCWIRE_TRANSPORT, 0, "%s %s", c->endpoint,
             rpc_http_error_text(call->http_error));
}

static void rpc_req_error(enum evhttp_request_error e, void *arg)
{
    struct rpc_call *call = arg;

    if (call->state != RPC_SENT)
        return;
    call->have_http_error = 1;
    call->http_error = e;
}

static void rpc_req_done(struct evhttp_request *req, void *arg)
{
    struct rpc_call *call = arg;
    struct rpc_slot *s = call->slot;
    struct rpc_client *c = call->c;
    struct evbuffer *in;
    const uint8_t *body;
    size_t len, i;
    int code;

    if (call->state != RPC_SENT)
        return; /* abandoned: the deadline or rpc_client_free has it */
    s->call = NULL;
    call->slot = NULL;
    call->req = NULL;
    code = req != NULL ? evhttp_request_get_response_code(req) : 0;
    if (code == 0) {
        s->stale = 1;
        rpc_transport_failed(c, s, call);
        rpc_finish(call);
        return;
    }
    in = evhttp_request_get_input_buffer(req);
    len = evbuffer_get_length(in);
    c->stats.bytes_received += len;
    if (code != 200) {
        rpc_fail(call, RPCWIRE_HTTP_STATUS, code,
                 "%s answered HTTP %d, not 200", c->endpoint, code);
        rpc_finish(call);
        return;
    }
    body = len > 0 ? evbuffer_pullup(in, -1) : NULL;
    if (len > 0 && body == NULL) {
        rpc_fail(call, RPCWIRE_TRANSPORT, code,
                 "out of memory reading the answer of %s", c->endpoint);
        rpc_finish(call);
        return;
    }
    if (rpcwire_parse(&call->doc, call->replies, call->ids, call->n,
                      call->batch, body, len) != 0)
        log_warn("%s: %s (%s, field %s)", c->endpoint,
                 call->replies[0].fault.detail,
                 rpcwire_status_name(call->replies[0].status),
                 call->replies[0].fault.field);
    for (i = 0; i < call->n; i++)
        call->replies[i].http_status = code;
    rpc_finish(call);
}

/* Pick a connection for the next request: an idle live one first (keep
 * the connections we have), else an idle slot to open anew. */
static struct rpc_slot *rpc_pick_slot(struct rpc_client *c)
{
    uint32_t i;

    for (i = 0; i < c->opt.max_conns; i++)
        if (c->slots[i].call == NULL && c->slots[i].evcon != NULL &&
            !c->slots[i].stale)
            return &c->slots[i];
    for (i = 0; i < c->opt.max_conns; i++)
        if (c->slots[i].call == NULL)
            return &c->slots[i];
    return NULL;
}

static int rpc_send(struct rpc_client *c, struct rpc_slot *s,
                    struct rpc_call *call, struct fault *f)
{
    struct evhttp_request *req;
    struct evkeyvalq *h;

    if ((s->evcon == NULL || s->stale) && rpc_slot_open(c, s, f) != 0)
        return -1;
    req = evhttp_request_new(rpc_req_done, call);
    if (req == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    evhttp_request_set_error_cb(req, rpc_req_error);
    h = evhttp_request_get_output_headers(req);
    if (evhttp_add_header(h, "Host", c->host_header) != 0 ||
        evhttp_add_header(h, "Content-Type", "application/json") != 0 ||
        evhttp_add_header(h, "Accept", "application/json") != 0 ||
        evbuffer_add(evhttp_request_get_output_buffer(req), call->body,
                     call->body_len) != 0) {
        evhttp_request_free(req);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    call->state = RPC_SENT;
    call->slot = s;
    call->req = req;
    s->call = call;
    c->stats.bytes_sent += call->body_len;
    /* libevent may fail the request at once (a refused connect), calling
     * rpc_req_done before this returns: that is an outcome like any. */
    if (evhttp_make_request(s->evcon, req, EVHTTP_REQ_POST, c->target) != 0 &&
        call->state == RPC_SENT) {
        /* Not queued on the connection; libevent may already have freed
         * the request, so it is left alone. */
        s->call = NULL;
        s->stale = 1;
        call->slot = NULL;
        call->req = NULL;
        call->state = RPC_QUEUED;
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "cannot send a request to %s", c->endpoint);
    }
    return 0;
}

static void rpc_kick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rpc_client *c = arg;
    struct rpc_call *call, *next;
    struct rpc_slot *s;
    struct fault f;

    (void)fd;
    (void)what;
    for (call = c->head; call != NULL; call = next) {
        next = call->next;
        if (call->state != RPC_QUEUED)
            continue;
        s = rpc_pick_slot(c);
        if (s == NULL)
            return;
        fault_clear(&f);
        if (rpc_send(c, s, call, &f) != 0) {
            rpc_fail(call, RPCWIRE_TRANSPORT, 0, "%s", f.detail);
            rpc_finish(call);
        }
    }
}

/* A call's event: its delivery when it is finished, else its deadline. */
static void rpc_call_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rpc_call *call = arg;
    struct rpc_client *c = call->c;
    struct evhttp_request *req;

    (void)fd;
    (void)what;
    if (call->state == RPC_FINISHED) {
        rpc_deliver(call);
        return;
    }
    if (call->state == RPC_SENT) {
        /* Take it off its connection; libevent resets the connection and
         * calls rpc_req_error and rpc_req_done, which see ABANDONING. */
        req = call->req;
        call->state = RPC_ABANDONING;
        call->slot->call = NULL;
        call->slot->stale = 1;
        call->slot = NULL;
        call->req = NULL;
        evhttp_cancel_request(req);
    }
    rpc_fail(call, RPCWIRE_TIMEOUT, 0, "%s gave no whole answer within %u ms",
             c->endpoint, (unsigned)c->opt.timeout_ms);
    call->state = RPC_FINISHED;
    rpc_deliver(call);
}

static int rpc_submit(struct rpc_client *c,
                      const struct rpcwire_request *requests, size_t n,
                      int batch, rpc_done_fn done, void *arg,
                      struct fault *f)
{
    struct rpc_call *call = NULL;
    struct timeval tv;
    size_t i;
    int rv = -1;

    if (c == NULL || requests == NULL || done == NULL || n == 0 ||
        n > RPCWIRE_BATCH_MAX)
        return fault_set(f, FAULT_INTERNAL, NULL, "rpc call: bad arguments");
    if (c->closing)
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "the client of %s is shutting down", c->endpoint);
    if (c->stats.in_flight >= c->opt.max_in_flight)
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "already %u calls in flight to %s",
                         (unsigned)c->stats.in_flight, c->endpoint);
    call = calloc(1, sizeof *call);
    if (call == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    call->c = c;
    call->n = n;
    call->batch = batch;
    call->done = done;
    call->arg = arg;
    call->ids = calloc(n, sizeof *call->ids);
    call->replies = calloc(n, sizeof *call->replies);
    call->ev = event_new(c->base, -1, 0, rpc_call_cb, call);
    if (call->ids == NULL || call->replies == NULL || call->ev == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++)
        call->ids[i] = c->next_id++;
    if (rpcwire_request_body(&call->body, &call->body_len, requests,
                             call->ids, n, batch, f) != 0)
        goto done;
    tv.tv_sec = c->opt.timeout_ms / 1000;
    tv.tv_usec = (c->opt.timeout_ms % 1000) * 1000;
    if (evtimer_add(call->ev, &tv) != 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot arm the call's deadline");
        goto done;
    }
    call->state = RPC_QUEUED;
    call->prev = c->tail;
    if (c->tail != NULL)
        c->tail->next = call;
    else
        c->head = call;
    c->tail = call;
    c->stats.in_flight++;
    c->stats.calls++;
    c->stats.requests += n;
    event_active(c->kick, EV_TIMEOUT, 0);
    call = NULL;
    rv = 0;
done:
    rpc_call_free(call);
    return rv;
}

int rpc_call(struct rpc_client *c, const char *method, json_t *params,
             rpc_done_fn done, void *arg, struct fault *f)
{
    struct rpcwire_request r;

    r.method = method;
    r.params = params;
    return rpc_submit(c, &r, 1, 0, done, arg, f);
}

int rpc_batch(struct rpc_client *c, const struct rpcwire_request *requests,
              size_t n, rpc_done_fn done, void *arg, struct fault *f)
{
    return rpc_submit(c, requests, n, 1, done, arg, f);
}

void rpc_client_free(struct rpc_client *c)
{
    struct rpc_call *call;
    int i;

    if (c == NULL)
        return;
    c->closing = 1;
    /* Requests still on a connection are freed with it, without a word
     * from libevent; each is told below instead. */
    for (i = 0; i < RPC_CONNS_MAX; i++) {
        if (c->slots[i].call != NULL) {
            c->slots[i].call->state = RPC_ABANDONING;
            c->slots[i].call->req = NULL;
            c->slots[i].call->slot = NULL;
            c->slots[i].call = NULL;
        }
        rpc_slot_close(&c->slots[i]);
    }
    if (c->kick != NULL)
        event_free(c->kick);
    c->kick = NULL;
    while ((call = c->head) != NULL) {
        rpc_fail(call, RPCWIRE_CANCELLED, 0,
                 "the client of %s was closed before the answer came",
                 c->endpoint);
        call->state = RPC_FINISHED;
        rpc_deliver(call);
    }
    if (c->dns != NULL)
        evdns_base_free(c->dns, 0);
    SSL_CTX_free(c->ssl_ctx);
    free(c);
}
