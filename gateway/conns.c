#include "gateway/conns.h"

#include <openssl/ssl.h>
#include <event2/bufferevent_ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/log.h"

#define CONNS_BUCKETS 4096

struct conns_entry {
    struct bufferevent *bev;
    time_t reading_since; /* 0 while a request is being answered */
    int over_cap;
    struct conns_entry *next;
};

struct conns {
    struct event_base *base;
    SSL_CTX *ssl_ctx;
    unsigned max;
    int deadline_s;
    unsigned count;
    unsigned long refused, cut;
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

static void conns_on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct conns *c = arg;
    struct conns_entry **pp, *e;
    bufferevent_data_cb rd;
    time_t now = time(NULL);
    size_t i;

    (void)fd;
    (void)what;
    for (i = 0; i < CONNS_BUCKETS; i++) {
        pp = &c->buckets[i];
        while ((e = *pp) != NULL) {
            bufferevent_getcb(e->bev, &rd, NULL, NULL, NULL);
            if (rd == NULL) {
                /* evhttp freed the connection: drop our reference, which
                 * closes the socket. */
                *pp = e->next;
                bufferevent_decref(e->bev);
                free(e);
                c->count--;
                continue;
            }
            if (e->over_cap ||
                (e->reading_since != 0 &&
                 now - e->reading_since > c->deadline_s)) {
                if (!e->over_cap) {
                    c->cut++;
                    log_info("connection cut: no whole request within %d s",
                             c->deadline_s);
                }
                conns_shutdown(e->bev);
                e->over_cap = 0;
                e->reading_since = 0;
            }
            pp = &e->next;
        }
    }
}

int conns_new(struct conns **out, struct event_base *base, unsigned max,
              int read_deadline_s, void *ssl_ctx, struct fault *f)
{
    struct conns *c = calloc(1, sizeof *c);
    struct timeval one = {1, 0};

    *out = NULL;
    if (c == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    c->base = base;
    c->ssl_ctx = ssl_ctx;
    c->max = max ? max : 1;
    c->deadline_s = read_deadline_s > 0 ? read_deadline_s : 60;
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

/* Right after evhttp has set up an over-cap connection: hang it up. */
static void conns_on_over_cap(evutil_socket_t fd, short what, void *arg)
{
    struct conns *c = arg;

    (void)fd;
    (void)what;
    conns_on_sweep(-1, 0, c);
}

struct bufferevent *conns_bevcb(struct event_base *base, void *arg)
{
    struct conns *c = arg;
    struct bufferevent *bev;
    struct conns_entry *e;
    struct timeval now = {0, 0};
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
    if (c->count >= c->max) {
        e->over_cap = 1;
        c->refused++;
        event_base_once(base, -1, EV_TIMEOUT, conns_on_over_cap, c, &now);
    }
    e->next = c->buckets[conns_hash(bev)];
    c->buckets[conns_hash(bev)] = e;
    c->count++;
    return bev;
}

static void conns_on_complete(struct evhttp_request *req, void *arg)
{
    struct conns_entry *e = arg;

    (void)req;
    e->reading_since = time(NULL); /* waiting for the next request */
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
