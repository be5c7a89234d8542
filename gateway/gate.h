/*
 * gate: what stands between a connection's bytes and evhttp.
 *
 * evhttp (libevent 2.1) reads a request whole before anyone may look at
 * it: a 60 MB body is in memory before the handler can say 401, and it
 * grants "Expect: 100-continue" to anyone. Its header parser is lenient in
 * ways that let one request be read two ways (gateway/reqhead.h). So each
 * connection's bytes pass through a gate (a libevent filter bufferevent,
 * set up by gateway/conns.c) before evhttp sees them:
 *
 *   1. The head is held until it is whole, read strictly (reqhead), and
 *      shown to the server's admission function, which knows the routes:
 *      a route that takes no body, a declared length over the route's
 *      limit, missing or malformed signature headers on a request with a
 *      body, an unknown method: each is refused now, before any body byte
 *      is read or a 100 Continue is sent.
 *   2. An admitted body needs room in the gateway-wide budget of body
 *      memory (conns.h); without it the head waits (the socket is not
 *      read meanwhile) until room frees or the wait ends in a 503.
 *   3. Then the head goes to evhttp (without Expect: the gate sends the
 *      100 Continue itself, once the body is welcome), followed by exactly
 *      the body bytes its framing gives. A chunked body is de-chunked here,
 *      within the route's limit, and handed on with a Content-Length, so
 *      that evhttp never parses chunked framing.
 *
 * A refused request is replaced by a small synthetic head of our own
 * (GATE_REFUSED_TARGET, "Connection: close"); evhttp hands it to the
 * dispatcher in its turn, behind any request still being answered on the
 * connection, and the dispatcher answers it with the refusal
 * (gate_take_refusal) and closes. Nothing after a refusal is passed on.
 * Requests are counted in the order evhttp gets them, which is the order
 * it dispatches them: the count names the request a refusal or a memory
 * reservation belongs to.
 */
#ifndef SLUICE_GATEWAY_GATE_H
#define SLUICE_GATEWAY_GATE_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdint.h>

#include "gateway/reqhead.h"
#include "lib/fault.h"

/* The path of the head that stands in for a refused request. */
#define GATE_REFUSED_TARGET "/.sluice/refused"

/* Chunk-size lines and trailer lines longer than this are refused. */
#define GATE_MAX_CHUNK_LINE 1024

/* Memory reservations a connection may hold for requests not yet
 * dispatched; a deeper pipeline waits. */
#define GATE_MAX_RESERVED 8

struct gate;

/* Why a request was refused before evhttp read it, for the answer. */
struct gate_refusal {
    struct fault fault; /* kind, field and detail */
    int status;         /* 0: the status of fault.kind; else this one */
    int retry_after;    /* > 0: a Retry-After header */
    char allow[64];     /* for a 405 */
    char method[16];    /* what was asked, for the access log */
    char path[128];
    const char *route;  /* the route's name (static), or NULL */
};

/* The admission function's answer for one head. */
struct gate_verdict {
    int refuse;               /* 1: r says why */
    struct gate_refusal r;
    uint64_t body_limit;      /* the most body bytes the route takes */
    int upload;               /* the route takes uploads (long deadline) */
};

/* The phases of a connection that deadlines apply to (conns.c). */
enum gate_phase {
    GATE_PHASE_IDLE,    /* between requests */
    GATE_PHASE_HEAD,    /* a head is arriving */
    GATE_PHASE_WAIT,    /* an admitted head waits for body memory */
    GATE_PHASE_BODY,    /* a body is arriving */
    GATE_PHASE_UPLOAD,  /* an upload body is arriving */
    GATE_PHASE_PASSED,  /* the request is with evhttp (or refused) */
};

/* What a gate needs from its connection and, through it, from the
 * server. Every function gets the owner pointer given to gate_new. */
struct gate_hooks {
    /* Decide about head h (whose bytes are at head; h's spans point
     * there). Fill *v; it arrives zeroed. */
    void (*admit)(void *owner, const struct reqhead *h, const char *head,
                  struct gate_verdict *v);
    /* Reserve bytes of body memory. Return 1 when granted; 0 when not now
     * (the owner then runs the gate again when room frees). */
    int (*reserve)(void *owner, uint64_t bytes);
    /* Give back bytes reserved and not handed to a request. */
    void (*release)(void *owner, uint64_t bytes);
    /* The connection entered phase p. */
    void (*phase)(void *owner, enum gate_phase p);
    /* Write "HTTP/1.1 100 Continue" for request index, if no earlier
     * answer on the connection is still to come. */
    void (*send_continue)(void *owner, uint64_t index);
};

/* Limits of every gate. */
struct gate_limits {
    size_t max_head;          /* request line and fields, as received */
};

/* Make a gate for one connection. hooks and limits must outlive it.
 * Returns the gate, or NULL when out of memory. */
struct gate *gate_new(const struct gate_hooks *hooks,
                      const struct gate_limits *limits, void *owner);

/* Free g: reservations it still holds are released. g may be NULL. */
void gate_free(struct gate *g);

/* The input filter of the connection's filter bufferevent (ctx is the
 * gate): moves what evhttp may see from src to dst. */
enum bufferevent_filter_result gate_filter(struct evbuffer *src,
                                           struct evbuffer *dst,
                                           ev_ssize_t limit,
                                           enum bufferevent_flush_mode mode,
                                           void *ctx);

/* Return 1 if g holds an admitted head that waits for body memory (or
 * for its connection's earlier requests to take theirs): it tries again
 * at its next filter call, which its connection brings about when room
 * frees. */
int gate_waiting(const struct gate *g);

/* End g's wait for body memory with a refusal (the wait was too long): at
 * its next filter call the request is refused with r. */
void gate_refuse_wait(struct gate *g, const struct gate_refusal *r);

/* Refuse the connection's next request with r whatever it holds (for
 * connections over a per-address limit): at its next filter call, the
 * synthetic head is passed on at once and the rest is dropped. */
void gate_refuse_now(struct gate *g, const struct gate_refusal *r);

/* If request index (counted from 0 in the order evhttp got the heads) is
 * the synthetic stand-in of a refusal, copy the refusal into *r and
 * return 1; else 0. */
int gate_take_refusal(struct gate *g, uint64_t index, struct gate_refusal *r);

/* Take the body memory reserved for request index: the caller releases
 * it when the request is done. Returns the bytes (0 when none). */
uint64_t gate_take_reservation(struct gate *g, uint64_t index);

/* Return 1 if g holds input it has not passed on (a head that is not
 * whole, or a body it waits to admit), or was refused while a body may
 * still be coming: closing then should linger. */
int gate_unfinished(const struct gate *g);

#endif
