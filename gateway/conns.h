/*
 * conns: the gateway's live connections, and the limits evhttp (libevent
 * 2.1) does not have.
 *
 * evhttp asks us for each accepted connection's bufferevent (conns_bevcb).
 * We make the socket's (plain, or TLS when a context is given) and put a
 * filter bufferevent in front of it whose input filter is the
 * connection's gate (gate.h): evhttp reads only what the gate lets
 * through. We keep a reference to the socket's bufferevent, so that it
 * outlives evhttp's connection for a lingering close.
 *
 * The limits, each a setting (docs/CONFIG.md):
 *   - connections at once (max_connections): at the cap we first close the
 *     longest idle kept-alive connection, else stop accepting until one
 *     closes (the next ones wait in the kernel's queue);
 *   - connections per client address (max_connections_per_address): one
 *     more is answered 429 with Retry-After and closed, before it is read;
 *   - deadlines, by what the connection is doing (gate_phase), checked by a
 *     sweep once a second: a new connection must deliver its first head
 *     within header_timeout, and so must a head once it has started; a
 *     kept-alive connection may wait idle_timeout for its next request; a
 *     head or a body may be silent read_timeout at most, and a body must
 *     be whole within
 *     request_deadline, or, for an upload moving at CONNS_MIN_UPLOAD_RATE
 *     or faster, upload_deadline; no deadline runs while a request is
 *     being answered (its response has write timeouts of its own);
 *   - memory of request bodies in flight across all connections
 *     (max_body_memory): an admitted body reserves its length first; a
 *     head that finds no room waits unread, and after read_timeout is
 *     answered 503 with Retry-After. The reservation goes with the request
 *     to the dispatcher, which gives it back when the request is done;
 *     once all are back after a burst, freed memory is returned to the
 *     system (malloc_trim).
 * When evhttp lets a connection go while its client may still be sending
 * (a refused body, input not read), the socket first sends what is
 * queued, shuts down its sending side, and reads and drops what still
 * comes for up to CONNS_LINGER_S seconds, as nginx's lingering close
 * does, so that the client reads our answer instead of a reset.
 */
#ifndef SLUICE_GATEWAY_CONNS_H
#define SLUICE_GATEWAY_CONNS_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <stdint.h>

#include "gateway/gate.h"
#include "lib/fault.h"

struct conns;

/* The least average rate, in bytes per second, at which an upload may
 * keep reading past request_deadline. */
#define CONNS_MIN_UPLOAD_RATE (32 * 1024)

/* How long a closing connection reads and drops what its client still
 * sends. */
#define CONNS_LINGER_S 3

struct conns_options {
    unsigned max;               /* connections at once */
    unsigned max_per_address;   /* from one client address */
    int header_timeout_s;
    int idle_timeout_s;
    int read_timeout_s;         /* silence while reading or writing */
    int request_deadline_s;
    int upload_deadline_s;
    uint64_t body_memory;       /* bytes of bodies in flight */
    size_t max_head;            /* request line and fields */
    void *ssl_ctx;              /* SSL_CTX *, or NULL for plain HTTP */
    /* The server's admission of a head (gate_hooks.admit). */
    void (*admit)(void *server, const struct reqhead *h, const char *head,
                  struct gate_verdict *v);
    void *server;
};

/* Watch connections on base with the limits of opt (copied). Returns 0
 * with *out set, or -1 with *out = NULL and f set. */
int conns_new(struct conns **out, struct event_base *base,
              const struct conns_options *opt, struct fault *f)
    __attribute__((warn_unused_result));

/* Give c the listener to pause at the cap (may be NULL). */
void conns_set_listener(struct conns *c, struct evconnlistener *listener);

/* Close every connection and free c. Call after evhttp_free. c may be
 * NULL. */
void conns_free(struct conns *c);

/* The evhttp_set_bevcb callback (arg is the struct conns). */
struct bufferevent *conns_bevcb(struct event_base *base, void *arg);

/* Tell c that req has been read whole and is being dispatched. Returns 1
 * when req is the stand-in of a request the gate refused (then *r says
 * why, and the caller answers it and closes), else 0. *reserved gets the
 * body memory that req holds: give it back with conns_release once req
 * is done. */
int conns_request_begin(struct conns *c, struct evhttp_request *req,
                        struct gate_refusal *r, uint64_t *reserved);

/* Give back bytes of body memory (conns_request_begin's *reserved). */
void conns_release(struct conns *c, uint64_t bytes);

/* Return the number of connections with a request under way: being
 * answered, or partly received. A graceful stop waits for these. */
unsigned conns_busy(const struct conns *c);

/* Return the number of live connections. */
unsigned conns_count(const struct conns *c);

/* Append the connection metrics (Prometheus text) to out. */
void conns_metrics(const struct conns *c, struct evbuffer *out);

#endif
