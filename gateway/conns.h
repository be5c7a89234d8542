/*
 * conns: the gateway's live connections, for the limits evhttp (libevent
 * 2.1) does not have: a cap on connections, and a deadline for reading a
 * whole request, so that a client that sends one byte a second does not
 * hold a slot forever (the per-read timeout alone would never fire).
 *
 * evhttp asks us for each accepted connection's bufferevent (conns_bevcb);
 * we make it (plain, or TLS when a context is given), keep a reference to
 * it and watch it. At the cap we stop accepting (the listener is disabled)
 * so that further connections wait in the kernel's queue, and accept again
 * once one closes. Once a second we sweep: a bufferevent that evhttp has
 * let go of (its callbacks cleared) is released; one that has been reading
 * a request for too long has its socket shut down, and evhttp then frees
 * the connection as it does for any peer that hangs up.
 *
 * Too long: we cannot see which route a request is for until it has been
 * read, and an upload part may rightly take minutes. So a request gets
 * the short deadline, and the long one only while the kernel's count of
 * bytes received (TCP_INFO) shows it moving at a real upload's pace: a
 * client that trickles a byte a second is cut at the short deadline.
 */
#ifndef SLUICE_GATEWAY_CONNS_H
#define SLUICE_GATEWAY_CONNS_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "lib/fault.h"

struct conns;

/* The least average rate, in bytes per second, at which a request may
 * keep reading past the short deadline. */
#define CONNS_MIN_UPLOAD_RATE (32 * 1024)

/* Watch connections on base: at most max at once; short_deadline_s
 * seconds to read a request, or long_deadline_s while it arrives at
 * CONNS_MIN_UPLOAD_RATE or faster. ssl_ctx (an SSL_CTX *) makes every
 * connection TLS; NULL means plain HTTP. Returns 0 with *out set, or -1
 * with f set. */
int conns_new(struct conns **out, struct event_base *base, unsigned max,
              int short_deadline_s, int long_deadline_s, void *ssl_ctx,
              struct fault *f)
    __attribute__((warn_unused_result));

/* Give c the listener to pause at the cap (may be NULL). */
void conns_set_listener(struct conns *c, struct evconnlistener *listener);

/* Release every connection's reference and free c. Call after evhttp_free.
 * c may be NULL. */
void conns_free(struct conns *c);

/* The evhttp_set_bevcb callback (arg is the struct conns). */
struct bufferevent *conns_bevcb(struct event_base *base, void *arg);

/* Tell c that req has been read whole and is being answered: its
 * connection's deadline stops until the answer is sent. */
void conns_request_read(struct conns *c, struct evhttp_request *req);

/* Return the number of connections with a request under way: being
 * answered, or partly received (bytes arrived since the last answer). A
 * graceful stop waits for these. */
unsigned conns_busy(const struct conns *c);

/* Return the number of live connections. */
unsigned conns_count(const struct conns *c);

#endif
