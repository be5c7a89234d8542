#include "gateway/conns.h"

#include <openssl/ssl.h>
#include <event2/bufferevent_ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <time.h>

#include "lib/log.h"

#define CONNS_BUCKETS 4096

struct conns_entry {
    struct bufferevent *bev;
    time_t reading_since; /* 0 while a request is being answered */
    uint64_t received_at_start; /* TCP_INFO bytes when reading began */
    struct conns_entry *next;
};

struct conns {
    struct event_base *base;
    SSL_CTX *ssl_ctx;
    unsigned max;
    int short_s, long_s;
    unsigned count;
    unsigned long cut;
    struct evconnlistener *listener;
    int paused;
    struct event *sweep;
    struct conns_entry *buckets[CONNS_BUCKETS];
};

static size_t conns_hash(const struct bufferevent *bev)
{
    uintptr_t p = (uintptr_t)bev;

    return (size_t)((p >> 4) ^ (p >> 16)) % CONNS_BUCKETS;
}

static struct conns_entry *conns_find(struct conns *c,
                                      const struct bufferevent *bev)
{
    struct conns_entry *e;

    for (e = c->buckets[conns_hash(bev)]; e != NULL; e = e->next)
        if (e->bev == bev)
            return e;
    return NULL;
}

static void conns_shutdown(struct bufferevent *bev)
{
    evutil_socket_t fd = bufferevent_getfd(bev);

    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
}

/* Bytes the kernel has received on bev's socket, or 0 when unknown. */
static uint64_t conns_received(struct bufferevent *bev)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    evutil_socket_t fd = bufferevent_getfd(bev);

    memset(&ti, 0, sizeof ti);
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) +
                  sizeof ti.tcpi_bytes_received)
        return 0;
    return ti.tcpi_bytes_received;
}

/* Has e been reading its request for longer than it may? */
static int conns_overdue(const struct conns *c, const struct conns_entry *e,
                         time_t now)
{
    time_t took = now - e->reading_since;
    uint64_t got;

    if (e->reading_since == 0 || took <= c->short_s)
        return 0;
    if (took > c->long_s)
        return 1;
    got = conns_received(e->bev) - e->received_at_start;
    return got < (uint64_t)took * CONNS_MIN_UPLOAD_RATE;
}

/* Has evhttp let go of bev? bufferevent_free clears all three callbacks;
 * a live connection always has at least one (evhttp clears only the read
 * callback while it writes an answer). */
static int conns_released(struct bufferevent *bev)
{
    bufferevent_data_cb rd, wr;
    bufferevent_event_cb ev;

    bufferevent_getcb(bev, &rd, &wr, &ev, NULL);
    return rd == NULL && wr == NULL && ev == NULL;
}

static void conns_on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct conns *c = arg;
    struct conns_entry **pp, *e;
    time_t now = time(NULL);
    size_t i;

    (void)fd;
    (void)what;
    for (i = 0; i < CONNS_BUCKETS; i++) {
        pp = &c->buckets[i];
        while ((e = *pp) != NULL) {
            if (conns_released(e->bev)) {
                /* evhttp freed the connection: drop our reference, which
                 * closes the socket. */
                *pp = e->next;
                bufferevent_decref(e->bev);
                free(e);
                c->count--;
                continue;
            }
            if (conns_overdue(c, e, now)) {
                c->cut++;
                log_info("connection cut: its request is not read in time "
                         "(%ld s)", (long)(now - e->reading_since));
                conns_shutdown(e->bev);
                e->reading_since = 0;
            }
            pp = &e->next;
        }
    }
    if (c->paused && c->count < c->max && c->listener != NULL) {
        evconnlistener_enable(c->listener);
        c->paused = 0;
    }
}

void conns_set_listener(struct conns *c, struct evconnlistener *listener)
{
    c->listener = listener;
}

int conns_new(struct conns **out, struct event_base *base, unsigned max,
              int short_deadline_s, int long_deadline_s, void *ssl_ctx,
              struct fault *f)
{
    struct conns *c = calloc(1, sizeof *c);
    struct timeval one = {1, 0};

    *out = NULL;
    if (c == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    c->base = base;
    c->ssl_ctx = ssl_ctx;
    c->max = max ? max : 1;
    c->short_s = short_deadline_s > 0 ? short_deadline_s : 60;
    c->long_s = long_deadline_s > c->short_s ? long_deadline_s : c->short_s;
    c->sweep = event_new(base, -1, EV_PERSIST, conns_on_sweep, c);
    if (c->sweep == NULL || event_add(c->sweep, &one) < 0) {
        conns_free(c);
        return fault_set(f, FAULT_INTERNAL, NULL, "cannot start a timer");
    }
    *out = c;
    return 0;
}

void conns_free(struct conns *c)
{
    struct conns_entry *e, *next;
    size_t i;

    if (c == NULL)
        return;
    if (c->sweep != NULL)
        event_free(c->sweep);
    for (i = 0; i < CONNS_BUCKETS; i++) {
        for (e = c->buckets[i]; e != NULL; e = next) {
            next = e->next;
            bufferevent_decref(e->bev);
            free(e);
        }
    }
    free(c);
}

struct bufferevent *conns_bevcb(struct event_base *base, void *arg)
{
    struct conns *c = arg;
    struct bufferevent *bev;
    struct conns_entry *e;
    SSL *ssl;

    if (c->ssl_ctx != NULL) {
        ssl = SSL_new(c->ssl_ctx);
        if (ssl == NULL)
            return NULL;
        bev = bufferevent_openssl_socket_new(base, -1, ssl,
                                             BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE);
    } else {
        bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    }
    if (bev == NULL)
        return NULL;
    e = calloc(1, sizeof *e);
    if (e == NULL)
        return bev; /* unwatched, but served */
    bufferevent_incref(bev);
    e->bev = bev;
    e->reading_since = time(NULL);
    e->next = c->buckets[conns_hash(bev)];
    c->buckets[conns_hash(bev)] = e;
    c->count++;
    if (c->count >= c->max && c->listener != NULL && !c->paused) {
        /* Full: the next ones wait in the kernel's accept queue. */
        evconnlistener_disable(c->listener);
        c->paused = 1;
    }
    return bev;
}

static void conns_on_complete(struct evhttp_request *req, void *arg)
{
    struct conns_entry *e = arg;

    (void)req;
    e->reading_since = time(NULL); /* waiting for the next request */
    e->received_at_start = conns_received(e->bev);
}

void conns_request_read(struct conns *c, struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct conns_entry *e;

    if (c == NULL || conn == NULL)
        return;
    e = conns_find(c, evhttp_connection_get_bufferevent(conn));
    if (e == NULL)
        return;
    e->reading_since = 0;
    evhttp_request_set_on_complete_cb(req, conns_on_complete, e);
}

unsigned conns_count(const struct conns *c)
{
    return c ? c->count : 0;
}

unsigned conns_busy(const struct conns *c)
{
    const struct conns_entry *e;
    unsigned n = 0;
    size_t i;

    if (c == NULL)
        return 0;
    for (i = 0; i < CONNS_BUCKETS; i++) {
        for (e = c->buckets[i]; e != NULL; e = e->next) {
            if (conns_released(e->bev))
                continue;
            if (e->reading_since == 0 ||
                conns_received(e->bev) > e->received_at_start)
                n++;
        }
    }
    return n;
}
