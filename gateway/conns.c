#include "gateway/conns.h"

#include <arpa/inet.h>
#include <event2/bufferevent_ssl.h>
#include <linux/tcp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/log.h"

#define CONNS_BUCKETS 4096
#define CONNS_ADDR_BUCKETS 1024

/* After a burst of this many body bytes, memory freed is handed back. */
#define CONNS_TRIM_AFTER ((uint64_t)16 << 20)

/* One client address and how many connections it holds. IPv4 addresses
 * are kept as IPv4-mapped IPv6, so that both count alike. */
struct conns_addr {
    uint8_t key[16];
    unsigned count;
    struct conns_addr *next;
};

struct conns_entry {
    struct conns *c;
    struct bufferevent *under;  /* the socket's (or TLS); we hold a ref */
    struct bufferevent *filter; /* evhttp's; NULL once evhttp let go */
    struct gate *gate;          /* NULL once evhttp let go */
    struct conns_addr *addr;    /* NULL until the address is known */
    enum gate_phase phase;
    time_t accepted, phase_since, last_byte, linger_since;
    uint64_t received_at_phase; /* TCP_INFO bytes when the phase began */
    uint64_t dispatched;        /* requests handed to the dispatcher */
    uint64_t completed;         /* of which answered whole */
    int lingering;
    int queued;                 /* in the wait list for body memory */
    int write_pending;          /* evhttp's output is not all sent yet */
    struct event *sent_ev;      /* tell evhttp its output is sent */
    struct evbuffer_cb_entry *sent_cb; /* on under's output */
    struct event *admit_ev;     /* the address check, just after accept */
    struct event *kick_ev;      /* run the gate again (conns_kick) */
    struct conns_entry *prev, *next;   /* all entries */
    struct conns_entry *hnext;         /* by filter, while evhttp has it */
    struct conns_entry *wnext;         /* the wait list */
};

struct conns {
    struct event_base *base;
    struct conns_options opt;
    struct gate_limits limits;
    unsigned count;
    struct evconnlistener *listener;
    int paused;
    struct event *sweep;
    struct conns_entry *all;
    struct conns_entry *buckets[CONNS_BUCKETS];
    struct conns_addr *addrs[CONNS_ADDR_BUCKETS];
    struct conns_entry *wait_head, *wait_tail;
    uint64_t body_used, body_peak, body_since_trim;
    /* Counters for /metrics. */
    unsigned long cut_header, cut_idle, cut_body, refused_address,
        refused_wait, reclaimed, lingered, trims;
};

static time_t conns_now(const struct conns *c)
{
    struct timeval tv;

    if (event_base_gettimeofday_cached(c->base, &tv) < 0)
        return time(NULL);
    return tv.tv_sec;
}

static size_t conns_hash(const struct bufferevent *bev)
{
    uintptr_t p = (uintptr_t)bev;

    return (size_t)((p >> 4) ^ (p >> 16)) % CONNS_BUCKETS;
}

static struct conns_entry *conns_find(struct conns *c,
                                      const struct bufferevent *filter)
{
    struct conns_entry *e;

    for (e = c->buckets[conns_hash(filter)]; e != NULL; e = e->hnext)
        if (e->filter == filter)
            return e;
    return NULL;
}

static void conns_unhash(struct conns *c, struct conns_entry *e)
{
    struct conns_entry **pp;

    for (pp = &c->buckets[conns_hash(e->filter)]; *pp != NULL;
         pp = &(*pp)->hnext) {
        if (*pp == e) {
            *pp = e->hnext;
            return;
        }
    }
}

static void conns_unqueue(struct conns *c, struct conns_entry *e)
{
    struct conns_entry **pp, *prev = NULL;

    if (!e->queued)
        return;
    for (pp = &c->wait_head; *pp != NULL; prev = *pp, pp = &(*pp)->wnext) {
        if (*pp == e) {
            *pp = e->wnext;
            if (c->wait_tail == e)
                c->wait_tail = prev;
            break;
        }
    }
    e->wnext = NULL;
    e->queued = 0;
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

/* ---- client addresses ---- */

static size_t conns_addr_hash(const uint8_t key[16])
{
    uint32_t h = 2166136261u;
    int i;

    for (i = 0; i < 16; i++)
        h = (h ^ key[i]) * 16777619u;
    return h % CONNS_ADDR_BUCKETS;
}

/* The key of fd's peer. Returns 0, or -1 when it has none. */
static int conns_peer_key(evutil_socket_t fd, uint8_t key[16])
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    memset(key, 0, 16);
    if (ss.ss_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
        return 0;
    }
    if (ss.ss_family == AF_INET6) {
        memcpy(key, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

static struct conns_addr *conns_addr_take(struct conns *c,
                                          const uint8_t key[16])
{
    size_t b = conns_addr_hash(key);
    struct conns_addr *a;

    for (a = c->addrs[b]; a != NULL; a = a->next)
        if (memcmp(a->key, key, 16) == 0)
            break;
    if (a == NULL) {
        a = calloc(1, sizeof *a);
        if (a == NULL)
            return NULL;
        memcpy(a->key, key, 16);
        a->next = c->addrs[b];
        c->addrs[b] = a;
    }
    a->count++;
    return a;
}

static void conns_addr_drop(struct conns *c, struct conns_addr *a)
{
    struct conns_addr **pp;

    if (a == NULL || --a->count > 0)
        return;
    for (pp = &c->addrs[conns_addr_hash(a->key)]; *pp != NULL;
         pp = &(*pp)->next) {
        if (*pp == a) {
            *pp = a->next;
            free(a);
            return;
        }
    }
}

/* ---- closing ---- */

/* Close e's socket and forget e (evhttp has let go of it already). */
static void conns_close(struct conns_entry *e)
{
    struct conns *c = e->c;

    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        c->all = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    conns_unqueue(c, e);
    conns_addr_drop(c, e->addr);
    if (e->admit_ev != NULL)
        event_free(e->admit_ev);
    if (e->kick_ev != NULL)
        event_free(e->kick_ev);
    if (e->sent_ev != NULL)
        event_free(e->sent_ev);
    if (e->sent_cb != NULL)
        evbuffer_remove_cb_entry(bufferevent_get_output(e->under), e->sent_cb);
    bufferevent_setcb(e->under, NULL, NULL, NULL, NULL);
    bufferevent_decref(e->under);
    free(e);
    c->count--;
    if (c->paused && c->count < c->opt.max && c->listener != NULL) {
        evconnlistener_enable(c->listener);
        c->paused = 0;
    }
}

/* Cut e short: the socket is shut both ways, and evhttp frees the
 * connection as it does for any peer that hangs up. */
static void conns_cut(struct conns_entry *e, const char *why)
{
    evutil_socket_t fd = bufferevent_getfd(e->under);

    log_info("connection cut: %s", why);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
}

static void conns_linger_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    evbuffer_drain(bufferevent_get_input(bev),
                   evbuffer_get_length(bufferevent_get_input(bev)));
}

/* Everything queued is sent: stop sending, so that the client sees the
 * end of our answer, and read until it stops too. */
static void conns_linger_write(struct bufferevent *bev, void *arg)
{
    struct conns_entry *e = arg;
    evutil_socket_t fd = bufferevent_getfd(bev);

    if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
        return;
    if (e->c->opt.ssl_ctx != NULL) {
        conns_close(e); /* TLS: the answer is out; nothing to read for */
        return;
    }
    if (fd >= 0)
        shutdown(fd, SHUT_WR);
}

static void conns_linger_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what; /* EOF, an error or the write timeout: done */
    conns_close(arg);
}

/* The filter's context is freed: evhttp has let the connection go (the
 * gate's free happens in libevent's finalizer, after the filter gave up
 * its hold on the socket's bufferevent, which is now ours alone). */
static void conns_on_filter_free(void *arg)
{
    struct conns_entry *e = arg;
    struct conns *c = e->c;
    int unfinished;

    if (c == NULL) { /* orphaned by conns_free: nothing to linger for */
        gate_free(e->gate);
        if (e->sent_cb != NULL)
            evbuffer_remove_cb_entry(bufferevent_get_output(e->under),
                                     e->sent_cb);
        bufferevent_setcb(e->under, NULL, NULL, NULL, NULL);
        bufferevent_decref(e->under);
        free(e);
        return;
    }
    unfinished = gate_unfinished(e->gate) ||
                 evbuffer_get_length(bufferevent_get_input(e->under)) > 0;
    gate_free(e->gate);
    e->gate = NULL;
    conns_unhash(c, e);
    conns_unqueue(c, e);
    e->filter = NULL;
    if (e->kick_ev != NULL)
        event_del(e->kick_ev);
    if (e->sent_ev != NULL)
        event_del(e->sent_ev);
    if (!unfinished &&
        evbuffer_get_length(bufferevent_get_output(e->under)) == 0) {
        conns_close(e);
        return;
    }
    /* Send what is queued, then linger (conns_linger_*). */
    c->lingered++;
    e->lingering = 1;
    e->linger_since = conns_now(c);
    bufferevent_setcb(e->under, conns_linger_read, conns_linger_write,
                      conns_linger_event, e);
    bufferevent_setwatermark(e->under, EV_READ, 0, 0);
    bufferevent_enable(e->under, EV_READ | EV_WRITE);
    conns_linger_write(e->under, e);
}

/* ---- the gate's hooks ---- */

/* Does evhttp still hold e's filter? Once it frees it, libevent frees it
 * later (conns_on_filter_free), but bufferevent_free clears its callbacks
 * at once: a filter without any is not to be touched (a flush would take
 * and drop a reference, and free it a second time). */
static struct bufferevent *conns_held(const struct conns_entry *e)
{
    bufferevent_data_cb rd, wr;
    bufferevent_event_cb ev;

    if (e->filter == NULL)
        return NULL;
    bufferevent_getcb(e->filter, &rd, &wr, &ev, NULL);
    return rd == NULL && wr == NULL && ev == NULL ? NULL : e->filter;
}

/* Run e's gate again, later in this turn of the loop. */
static void conns_kick(struct conns_entry *e)
{
    if (e->kick_ev != NULL && e->filter != NULL)
        event_active(e->kick_ev, 0, 0);
}

static void conns_on_kick(evutil_socket_t fd, short what, void *arg)
{
    struct conns_entry *e = arg;
    struct bufferevent *filter = conns_held(e);

    (void)fd;
    (void)what;
    if (filter == NULL)
        return;
    /* An answer evhttp queued: libevent 2.1's filter moves output only as
     * it is added while writing is on, and evhttp turns writing on after
     * it adds the answer. Move it now (conns_filter_out). */
    if ((bufferevent_get_enabled(filter) & EV_WRITE) &&
        evbuffer_get_length(bufferevent_get_output(filter)) > 0)
        bufferevent_flush(filter, EV_WRITE, BEV_NORMAL);
    /* Input only while evhttp reads: it is then waiting for a head, and
     * calling its read callback is safe (while it writes an answer it has
     * reading off, and kicks again when done). */
    if (conns_held(e) == NULL || !(bufferevent_get_enabled(filter) & EV_READ))
        return;
    bufferevent_flush(filter, EV_READ, BEV_NORMAL);
    if (conns_held(e) != NULL &&
        evbuffer_get_length(bufferevent_get_input(filter)) > 0)
        bufferevent_trigger(filter, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
}

/* evhttp added to its output: move it once writing is on. */
static void conns_on_output(struct evbuffer *buf,
                            const struct evbuffer_cb_info *info, void *arg)
{
    (void)buf;
    if (info->n_added > 0)
        conns_kick(arg);
}

static int conns_reserve(void *owner, uint64_t bytes)
{
    struct conns_entry *e = owner;
    struct conns *c = e->c;

    if (bytes <= c->opt.body_memory - c->body_used) {
        c->body_used += bytes;
        c->body_since_trim += bytes;
        if (c->body_used > c->body_peak)
            c->body_peak = c->body_used;
        conns_unqueue(c, e);
        return 1;
    }
    if (!e->queued) {
        e->queued = 1;
        e->wnext = NULL;
        if (c->wait_tail != NULL)
            c->wait_tail->wnext = e;
        else
            c->wait_head = e;
        c->wait_tail = e;
    }
    return 0;
}

void conns_release(struct conns *c, uint64_t bytes)
{
    struct conns_entry *e;

    /* (the gate of an orphan releases into no conns) */
    if (c == NULL || bytes == 0)
        return;
    c->body_used -= bytes < c->body_used ? bytes : c->body_used;
    /* Each waiting gate tries again, in the order they came; one that
     * still does not fit keeps its place. */
    for (e = c->wait_head; e != NULL; e = e->wnext)
        conns_kick(e);
}

static void conns_hook_release(void *owner, uint64_t bytes)
{
    struct conns_entry *e = owner;

    conns_release(e->c, bytes); /* e->c is NULL for an orphan */
}

static void conns_hook_phase(void *owner, enum gate_phase p)
{
    struct conns_entry *e = owner;
    time_t now = conns_now(e->c);

    e->phase = p;
    /* The first head of a connection is due header_timeout after the
     * accept, not after its first byte. */
    if (!(p == GATE_PHASE_HEAD && e->dispatched == 0))
        e->phase_since = now;
    if (p == GATE_PHASE_BODY || p == GATE_PHASE_UPLOAD)
        e->received_at_phase = conns_received(e->under);
}

static void conns_hook_continue(void *owner, uint64_t index)
{
    struct conns_entry *e = owner;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    /* Only when no earlier answer is still to come on this connection, so
     * that it cannot be sent ahead of one. */
    if (index == e->completed && e->dispatched == e->completed)
        bufferevent_write(e->under, cont, sizeof cont - 1);
}

static void conns_hook_admit(void *owner, const struct reqhead *h,
                             const char *head, struct gate_verdict *v)
{
    struct conns_entry *e = owner;

    e->c->opt.admit(e->c->opt.server, h, head, v);
}

/* The output filter: what evhttp writes moves on to the socket's buffer
 * whole (a file segment stays one, for sendfile), but evhttp is not told
 * that it is written (the filter reports "need more", so libevent does
 * not call evhttp's write callback) until the socket's buffer is empty
 * (conns_on_sent). Else evhttp would take an answer for sent while it is
 * still queued: it would read the next request from a client that does
 * not read, and, closing, shut the socket's sending side under the
 * queued bytes. */
static enum bufferevent_filter_result
conns_filter_out(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
                 enum bufferevent_flush_mode mode, void *ctx)
{
    struct conns_entry *e = ctx;

    (void)limit;
    (void)mode;
    if (evbuffer_get_length(src) > 0 && evbuffer_add_buffer(dst, src) == 0)
        e->write_pending = 1;
    return BEV_NEED_MORE;
}

/* The socket's buffer shrank: once it is empty, what evhttp wrote is with
 * the kernel, and evhttp may hear so (later in this turn of the loop: we
 * are inside the socket's write). */
static void conns_on_sent(struct evbuffer *buf,
                          const struct evbuffer_cb_info *info, void *arg)
{
    struct conns_entry *e = arg;

    if (info->n_deleted > 0 && evbuffer_get_length(buf) == 0 &&
        e->write_pending && e->filter != NULL) {
        e->write_pending = 0;
        event_active(e->sent_ev, 0, 0);
    }
}

static void conns_on_sent_ev(evutil_socket_t fd, short what, void *arg)
{
    struct conns_entry *e = arg;

    (void)fd;
    (void)what;
    if (conns_held(e) != NULL &&
        evbuffer_get_length(bufferevent_get_output(e->filter)) == 0)
        bufferevent_trigger(e->filter, EV_WRITE, 0);
}

/* The input filter: note the time, then the gate decides. */
static enum bufferevent_filter_result
conns_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
             enum bufferevent_flush_mode mode, void *ctx)
{
    struct conns_entry *e = ctx;

    if (evbuffer_get_length(src) > 0)
        e->last_byte = conns_now(e->c);
    return gate_filter(src, dst, limit, mode, e->gate);
}

/* Static, so that a gate freed after its conns (an orphan, see
 * conns_free) never reads freed memory through its hooks. */
static const struct gate_hooks conns_gate_hooks = {
    .admit = conns_hook_admit,
    .reserve = conns_reserve,
    .release = conns_hook_release,
    .phase = conns_hook_phase,
    .send_continue = conns_hook_continue,
};

/* ---- accepting ---- */

static void conns_refusal(struct gate_refusal *r, enum fault_kind kind,
                          int retry_after, const char *detail)
{
    memset(r, 0, sizeof *r);
    fault_set(&r->fault, kind, NULL, "%s", detail);
    r->retry_after = retry_after;
    snprintf(r->method, sizeof r->method, "-");
    snprintf(r->path, sizeof r->path, "-");
}

/* Just after the accept (evhttp has given the bufferevent its socket):
 * count the connection against its address. */
static void conns_on_admit(evutil_socket_t fd, short what, void *arg)
{
    struct conns_entry *e = arg;
    struct conns *c = e->c;
    struct gate_refusal r;
    char detail[96];
    uint8_t key[16];
    int one = 1;

    (void)fd;
    (void)what;
    if (e->gate == NULL || e->addr != NULL)
        return;
    /* Answers go out as soon as they are written: with Nagle's algorithm
     * the last small segment of an answer waited for the ACK of the one
     * before, which the client delays by up to 40 ms (an object fetched
     * at a time took ~28 ms on loopback; bench/story). */
    (void)setsockopt(bufferevent_getfd(e->under), IPPROTO_TCP, TCP_NODELAY,
                     &one, sizeof one);
    if (conns_peer_key(bufferevent_getfd(e->under), key) < 0)
        return;
    e->addr = conns_addr_take(c, key);
    if (e->addr == NULL || e->addr->count <= c->opt.max_per_address)
        return;
    c->refused_address++;
    snprintf(detail, sizeof detail,
             "too many connections from this address (at most %u)",
             c->opt.max_per_address);
    conns_refusal(&r, FAULT_RATE_LIMITED, 1, detail);
    gate_refuse_now(e->gate, &r);
    conns_kick(e);
}

/* At the cap: close the kept-alive connection that has been idle longest
 * (at least a second), so that a new client is served rather than queued.
 * Returns 1 if one was closed. */
static int conns_reclaim(struct conns *c)
{
    struct conns_entry *e, *best = NULL;
    time_t now = conns_now(c);

    for (e = c->all; e != NULL; e = e->next) {
        if (e->filter == NULL || e->lingering ||
            e->phase != GATE_PHASE_IDLE || e->dispatched == 0 ||
            e->dispatched != e->completed || now - e->phase_since < 1)
            continue;
        if (best == NULL || e->phase_since < best->phase_since)
            best = e;
    }
    if (best == NULL)
        return 0;
    c->reclaimed++;
    conns_cut(best, "idle, closed to make room at the connection cap");
    return 1;
}

struct bufferevent *conns_bevcb(struct event_base *base, void *arg)
{
    struct conns *c = arg;
    struct conns_entry *e;
    struct bufferevent *under, *filter;
    struct timeval wt = {c->opt.read_timeout_s, 0};
    SSL *ssl;

    if (c->opt.ssl_ctx != NULL) {
        ssl = SSL_new(c->opt.ssl_ctx);
        if (ssl == NULL)
            return NULL;
        under = bufferevent_openssl_socket_new(base, -1, ssl,
                                               BUFFEREVENT_SSL_ACCEPTING,
                                               BEV_OPT_CLOSE_ON_FREE);
    } else {
        under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    }
    if (under == NULL)
        return NULL;
    e = calloc(1, sizeof *e);
    if (e != NULL) {
        e->c = c;
        e->gate = gate_new(&conns_gate_hooks, &c->limits, e);
        e->admit_ev = event_new(base, -1, 0, conns_on_admit, e);
        e->kick_ev = event_new(base, -1, 0, conns_on_kick, e);
        e->sent_ev = event_new(base, -1, 0, conns_on_sent_ev, e);
    }
    filter = e != NULL && e->gate != NULL && e->admit_ev != NULL &&
                     e->kick_ev != NULL && e->sent_ev != NULL
                 ? bufferevent_filter_new(under, conns_filter,
                                          conns_filter_out,
                                          BEV_OPT_CLOSE_ON_FREE,
                                          conns_on_filter_free, e)
                 : NULL;
    if (filter == NULL) {
        if (e != NULL) {
            gate_free(e->gate);
            if (e->admit_ev != NULL)
                event_free(e->admit_ev);
            if (e->kick_ev != NULL)
                event_free(e->kick_ev);
            if (e->sent_ev != NULL)
                event_free(e->sent_ev);
            free(e);
        }
        bufferevent_free(under);
        return NULL;
    }
    /* Ours: it outlives evhttp's hold for the lingering close. */
    bufferevent_incref(under);
    e->under = under;
    e->sent_cb = evbuffer_add_cb(bufferevent_get_output(under), conns_on_sent,
                                 e);
    if (e->sent_cb == NULL ||
        evbuffer_add_cb(bufferevent_get_output(filter), conns_on_output,
                        e) == NULL) {
        /* An orphan (see conns_free): freeing the filter frees e. */
        event_free(e->admit_ev);
        event_free(e->kick_ev);
        event_free(e->sent_ev);
        e->c = NULL;
        bufferevent_free(filter);
        return NULL;
    }
    /* Read no further ahead than a whole head and a little: what the gate
     * holds back stays in the kernel, not here. */
    bufferevent_setwatermark(under, EV_READ, 0, c->opt.max_head + 16384);
    /* A client that does not read our answer is cut (evhttp's own
     * timeouts are off: conns keeps the read deadlines). */
    bufferevent_set_timeouts(under, NULL, &wt);
    e->filter = filter;
    e->accepted = e->phase_since = e->last_byte = conns_now(c);
    e->phase = GATE_PHASE_IDLE;
    e->next = c->all;
    if (c->all != NULL)
        c->all->prev = e;
    c->all = e;
    e->hnext = c->buckets[conns_hash(filter)];
    c->buckets[conns_hash(filter)] = e;
    c->count++;
    event_active(e->admit_ev, 0, 0);
    if (c->count >= c->opt.max && !conns_reclaim(c) && c->listener != NULL &&
        !c->paused) {
        /* Full: the next ones wait in the kernel's accept queue. */
        evconnlistener_disable(c->listener);
        c->paused = 1;
    }
    return filter;
}

/* ---- requests ---- */

static void conns_on_complete(struct evhttp_request *req, void *arg)
{
    struct conns_entry *e = arg;

    (void)req;
    e->completed++;
    conns_hook_phase(e, GATE_PHASE_IDLE);
    /* Bytes of a next request may wait under the gate while evhttp had
     * reading off: let them through once it reads again. */
    conns_kick(e);
}

int conns_request_begin(struct conns *c, struct evhttp_request *req,
                        struct gate_refusal *r, uint64_t *reserved)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct conns_entry *e;
    uint64_t index;
    int refused;

    *reserved = 0;
    if (c == NULL || conn == NULL)
        return 0;
    e = conns_find(c, evhttp_connection_get_bufferevent(conn));
    if (e == NULL || e->gate == NULL)
        return 0;
    index = e->dispatched++;
    refused = gate_take_refusal(e->gate, index, r);
    *reserved = gate_take_reservation(e->gate, index);
    evhttp_request_set_on_complete_cb(req, conns_on_complete, e);
    if (gate_waiting(e->gate))
        conns_kick(e);
    return refused;
}

/* ---- the sweep ---- */

static const char *conns_overdue(struct conns *c, struct conns_entry *e,
                                 time_t now)
{
    time_t in = now - e->phase_since;
    uint64_t got;

    if (e->dispatched != e->completed)
        return NULL; /* being answered */
    switch (e->phase) {
    case GATE_PHASE_IDLE:
        if (e->dispatched == 0) {
            if (in > c->opt.header_timeout_s) {
                c->cut_header++;
                return "no request within header_timeout";
            }
        } else if (in > c->opt.idle_timeout_s) {
            c->cut_idle++;
            return "idle for idle_timeout";
        }
        return NULL;
    case GATE_PHASE_HEAD:
        if (in > c->opt.header_timeout_s) {
            c->cut_header++;
            return "its header section is not whole within header_timeout";
        }
        if (now - e->last_byte > c->opt.read_timeout_s) {
            c->cut_header++;
            return "its header section fell silent for read_timeout";
        }
        return NULL;
    case GATE_PHASE_WAIT:
        if (in >= c->opt.read_timeout_s && e->gate != NULL) {
            struct gate_refusal r;
            c->refused_wait++;
            conns_refusal(&r, FAULT_UNAVAILABLE, 1,
                          "the gateway is receiving too many request bodies "
                          "at once; retry");
            gate_refuse_wait(e->gate, &r);
            conns_kick(e);
        }
        return NULL;
    case GATE_PHASE_BODY:
    case GATE_PHASE_UPLOAD:
        if (now - e->last_byte > c->opt.read_timeout_s) {
            c->cut_body++;
            return "its body fell silent for read_timeout";
        }
        if (in <= c->opt.request_deadline_s)
            return NULL;
        if (e->phase == GATE_PHASE_BODY || in > c->opt.upload_deadline_s) {
            c->cut_body++;
            return "its body is not whole within its deadline";
        }
        got = conns_received(e->under) - e->received_at_phase;
        if (got < (uint64_t)in * CONNS_MIN_UPLOAD_RATE) {
            c->cut_body++;
            return "its upload is slower than the least rate";
        }
        return NULL;
    case GATE_PHASE_PASSED:
        return NULL;
    }
    return NULL;
}

static void conns_on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct conns *c = arg;
    struct conns_entry *e, *next;
    time_t now = time(NULL);
    const char *why;

    (void)fd;
    (void)what;
    for (e = c->all; e != NULL; e = next) {
        next = e->next;
        if (e->lingering) {
            if (now - e->linger_since > CONNS_LINGER_S)
                conns_close(e);
            continue;
        }
        why = conns_overdue(c, e, now);
        if (why != NULL)
            conns_cut(e, why);
    }
    /* After a burst of bodies, give freed memory back to the system:
     * glibc keeps what small allocations freed otherwise. */
    if (c->body_used == 0 && c->body_since_trim >= CONNS_TRIM_AFTER) {
        malloc_trim(0);
        c->body_since_trim = 0;
        c->trims++;
    }
    if (c->paused && c->count < c->opt.max && c->listener != NULL) {
        evconnlistener_enable(c->listener);
        c->paused = 0;
    } else if (c->paused) {
        /* Clients wait in the kernel's queue: make room for one. */
        conns_reclaim(c);
    }
}

/* ---- the rest ---- */

void conns_set_listener(struct conns *c, struct evconnlistener *listener)
{
    c->listener = listener;
}

int conns_new(struct conns **out, struct event_base *base,
              const struct conns_options *opt, struct fault *f)
{
    struct conns *c = calloc(1, sizeof *c);
    struct timeval one = {1, 0};

    *out = NULL;
    if (c == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    c->base = base;
    c->opt = *opt;
    if (c->opt.max == 0)
        c->opt.max = 1;
    if (c->opt.max_per_address == 0)
        c->opt.max_per_address = c->opt.max;
    if (c->opt.read_timeout_s < 1)
        c->opt.read_timeout_s = 1;
    if (c->opt.upload_deadline_s < c->opt.request_deadline_s)
        c->opt.upload_deadline_s = c->opt.request_deadline_s;
    c->limits.max_head = opt->max_head;
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
    struct conns_addr *a, *an;
    size_t i;

    if (c == NULL)
        return;
    if (c->sweep != NULL)
        event_free(c->sweep);
    for (e = c->all; e != NULL; e = next) {
        next = e->next;
        if (e->filter == NULL) {
            conns_close(e); /* lingering: ours alone */
            continue;
        }
        /* evhttp_free let it go, but libevent frees the filter later (in
         * event_base_free's finalizers): leave the entry to
         * conns_on_filter_free, cut from c. */
        if (e->admit_ev != NULL)
            event_free(e->admit_ev);
        if (e->kick_ev != NULL)
            event_free(e->kick_ev);
        if (e->sent_ev != NULL)
            event_free(e->sent_ev);
        e->admit_ev = e->kick_ev = e->sent_ev = NULL;
        e->c = NULL;
    }
    for (i = 0; i < CONNS_ADDR_BUCKETS; i++) {
        for (a = c->addrs[i]; a != NULL; a = an) {
            an = a->next;
            free(a);
        }
    }
    free(c);
}

unsigned conns_count(const struct conns *c)
{
    return c ? c->count : 0;
}

unsigned conns_busy(const struct conns *c)
{
    const struct conns_entry *e;
    unsigned n = 0;

    if (c == NULL)
        return 0;
    for (e = c->all; e != NULL; e = e->next) {
        if (e->filter == NULL)
            continue;
        if (e->dispatched != e->completed || e->phase != GATE_PHASE_IDLE)
            n++;
    }
    return n;
}

void conns_metrics(const struct conns *c, struct evbuffer *out)
{
    if (c == NULL)
        return;
    evbuffer_add_printf(
        out,
        "# HELP sluice_connections Connections open (lingering included).\n"
        "# TYPE sluice_connections gauge\n"
        "sluice_connections %u\n"
        "# HELP sluice_connections_closed_total Connections closed by a "
        "limit, by reason.\n"
        "# TYPE sluice_connections_closed_total counter\n"
        "sluice_connections_closed_total{reason=\"header_timeout\"} %lu\n"
        "sluice_connections_closed_total{reason=\"idle_timeout\"} %lu\n"
        "sluice_connections_closed_total{reason=\"body_deadline\"} %lu\n"
        "sluice_connections_closed_total{reason=\"per_address\"} %lu\n"
        "sluice_connections_closed_total{reason=\"reclaimed_idle\"} %lu\n"
        "# HELP sluice_connections_lingered_total Connections closed with a "
        "lingering close.\n"
        "# TYPE sluice_connections_lingered_total counter\n"
        "sluice_connections_lingered_total %lu\n"
        "# HELP sluice_body_memory_bytes Request body memory reserved now "
        "and at most since start.\n"
        "# TYPE sluice_body_memory_bytes gauge\n"
        "sluice_body_memory_bytes{kind=\"used\"} %llu\n"
        "sluice_body_memory_bytes{kind=\"peak\"} %llu\n"
        "sluice_body_memory_bytes{kind=\"limit\"} %llu\n"
        "# HELP sluice_body_memory_refused_total Requests answered 503 after "
        "waiting for body memory.\n"
        "# TYPE sluice_body_memory_refused_total counter\n"
        "sluice_body_memory_refused_total %lu\n"
        "# HELP sluice_memory_trims_total Times freed memory was handed "
        "back to the system.\n"
        "# TYPE sluice_memory_trims_total counter\n"
        "sluice_memory_trims_total %lu\n",
        c->count, c->cut_header, c->cut_idle, c->cut_body, c->refused_address,
        c->reclaimed, c->lingered, (unsigned long long)c->body_used,
        (unsigned long long)c->body_peak,
        (unsigned long long)c->opt.body_memory, c->refused_wait, c->trims);
}
