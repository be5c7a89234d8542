#include "gateway/gate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum gate_state {
    GATE_HEAD,    /* reading a head */
    GATE_WAIT,    /* an admitted head waits for body memory */
    GATE_BODY,    /* passing the body_left bytes of a Content-Length body */
    GATE_CHUNK,   /* de-chunking a body into g->body */
    GATE_REFUSED  /* the synthetic head is passed; input is dropped */
};

enum gate_chunk {
    GATE_CH_SIZE,    /* a chunk-size line */
    GATE_CH_DATA,    /* chunk_left bytes of data */
    GATE_CH_END,     /* the line end after a chunk's data */
    GATE_CH_TRAILER  /* trailer lines, up to the empty one */
};

struct gate_reservation {
    uint64_t index;
    uint64_t bytes;
};

struct gate {
    const struct gate_hooks *hooks;
    const struct gate_limits *limits;
    void *owner;
    enum gate_state state;
    enum gate_phase phase;
    struct reqhead_scan scan;
    /* The admitted head not yet passed on (GATE_WAIT, GATE_CHUNK). */
    char *head;
    struct reqhead h;      /* its spans point into head */
    uint64_t want;         /* body memory it needs */
    uint64_t reserved;     /* body memory it holds */
    uint64_t body_limit;
    int upload;
    uint64_t body_left;    /* GATE_BODY */
    struct evbuffer *body; /* GATE_CHUNK: the de-chunked bytes */
    enum gate_chunk ch;
    uint64_t chunk_left;
    size_t trailer_bytes;
    uint64_t passed;       /* heads given to evhttp so far */
    struct gate_reservation res[GATE_MAX_RESERVED];
    size_t nres;
    int refusal_pending;   /* refusal is to be passed at the next call */
    int refused;           /* the synthetic head was passed */
    int body_may_follow;   /* refused while a body may still be coming */
    uint64_t refusal_index;
    struct gate_refusal refusal;
};

static const char gate_refused_head[] =
    "GET " GATE_REFUSED_TARGET " HTTP/1.1\r\nHost: localhost\r\n"
    "Connection: close\r\n\r\n";

struct gate *gate_new(const struct gate_hooks *hooks,
                      const struct gate_limits *limits, void *owner)
{
    struct gate *g = calloc(1, sizeof *g);

    if (g == NULL)
        return NULL;
    g->hooks = hooks;
    g->limits = limits;
    g->owner = owner;
    g->phase = GATE_PHASE_IDLE;
    return g;
}

/* Forget the admitted head and its body, giving back what it reserved. */
static void gate_drop_request(struct gate *g)
{
    free(g->head);
    g->head = NULL;
    if (g->body != NULL) {
        evbuffer_free(g->body);
        g->body = NULL;
    }
    if (g->reserved > 0)
        g->hooks->release(g->owner, g->reserved);
    g->reserved = 0;
    g->want = 0;
}

void gate_free(struct gate *g)
{
    size_t i;

    if (g == NULL)
        return;
    gate_drop_request(g);
    for (i = 0; i < g->nres; i++)
        g->hooks->release(g->owner, g->res[i].bytes);
    free(g);
}

static void gate_set_phase(struct gate *g, enum gate_phase p)
{
    if (g->phase == p)
        return;
    g->phase = p;
    g->hooks->phase(g->owner, p);
}

/* Make r the answer to the next request evhttp gets. */
static void gate_refuse(struct gate *g, const struct gate_refusal *r,
                        int body_may_follow)
{
    g->refusal = *r;
    g->refusal_pending = 1;
    g->body_may_follow = body_may_follow;
}

static void gate_refuse_fault(struct gate *g, int status, enum fault_kind kind,
                              const char *field, const char *detail)
{
    struct gate_refusal r;

    memset(&r, 0, sizeof r);
    r.status = status;
    fault_set(&r.fault, kind, field, "%s", detail);
    if (g->head != NULL) {
        snprintf(r.method, sizeof r.method, "%.*s", (int)g->h.method.len,
                 g->head + g->h.method.off);
        snprintf(r.path, sizeof r.path, "%.*s", (int)g->h.target.len,
                 g->head + g->h.target.off);
    } else {
        snprintf(r.method, sizeof r.method, "-");
        snprintf(r.path, sizeof r.path, "-");
    }
    gate_refuse(g, &r, 1);
}

/* Pass the synthetic head of the pending refusal, and drop the rest. */
static void gate_pass_refusal(struct gate *g, struct evbuffer *src,
                              struct evbuffer *dst)
{
    gate_drop_request(g);
    evbuffer_add(dst, gate_refused_head, sizeof gate_refused_head - 1);
    g->refusal_pending = 0;
    g->refused = 1;
    g->refusal_index = g->passed++;
    g->state = GATE_REFUSED;
    evbuffer_drain(src, evbuffer_get_length(src));
    gate_set_phase(g, GATE_PHASE_PASSED);
}

/* Pass the admitted head in g->head to dst without Expect (the gate
 * answers it) or Transfer-Encoding (a de-chunked body is passed with a
 * Content-Length, content_length >= 0). */
static int gate_pass_head(struct gate *g, struct evbuffer *dst,
                          int64_t content_length)
{
    const struct reqhead *h = &g->h;
    struct reqhead_span drop[2];
    size_t ndrop = 0, p = h->skip, fin, i;
    int rv = 0;

    fin = h->len >= 2 && g->head[h->len - 2] == '\r' ? 2 : 1;
    if (h->count[REQHEAD_EXPECT] > 0)
        drop[ndrop++] = h->field_line[REQHEAD_EXPECT];
    if (h->count[REQHEAD_TRANSFER_ENCODING] > 0)
        drop[ndrop++] = h->field_line[REQHEAD_TRANSFER_ENCODING];
    if (ndrop == 2 && drop[0].off > drop[1].off) {
        struct reqhead_span t = drop[0];
        drop[0] = drop[1];
        drop[1] = t;
    }
    for (i = 0; i < ndrop; i++) {
        rv |= evbuffer_add(dst, g->head + p, drop[i].off - p);
        p = drop[i].off + drop[i].len;
    }
    rv |= evbuffer_add(dst, g->head + p, h->len - fin - p);
    if (content_length >= 0)
        rv |= evbuffer_add_printf(dst, "Content-Length: %" PRId64 "\r\n",
                                  content_length) < 0 ? -1 : 0;
    rv |= evbuffer_add(dst, "\r\n", 2);
    return rv;
}

/* Remember that request index holds bytes of body memory. */
static void gate_hand_over(struct gate *g, uint64_t index, uint64_t bytes)
{
    if (bytes == 0)
        return;
    g->res[g->nres].index = index;
    g->res[g->nres].bytes = bytes;
    g->nres++;
    g->reserved = 0;
}

/* Read one line of at most cap - 1 bytes and its LF from src into line
 * (NUL-terminated, without CR LF or LF). Returns 1 with *n set; 0 when
 * its end has not arrived; -1 when it is too long or holds a bare CR. */
static int gate_line(struct evbuffer *src, char *line, size_t cap, size_t *n)
{
    size_t have = evbuffer_get_length(src);
    struct evbuffer_ptr end, pos;

    if (evbuffer_ptr_set(src, &end, have < cap ? have : cap,
                         EVBUFFER_PTR_SET) < 0)
        return -1;
    pos = evbuffer_search_range(src, "\n", 1, NULL, &end);
    if (pos.pos < 0)
        return have >= cap ? -1 : 0;
    if (evbuffer_remove(src, line, (size_t)pos.pos + 1) != pos.pos + 1)
        return -1;
    *n = (size_t)pos.pos;
    if (*n > 0 && line[*n - 1] == '\r')
        (*n)--;
    line[*n] = '\0';
    return memchr(line, '\r', *n) == NULL ? 1 : -1;
}

/* A chunk-size line: 1 to 15 hex digits, then nothing or a chunk
 * extension (ignored, as RFC 9112 7.1.1 allows). */
static int gate_chunk_size(const char *line, size_t n, uint64_t *size)
{
    uint64_t v = 0;
    size_t i = 0;
    int d;

    for (; i < n && i < 16; i++) {
        char c = line[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            break;
        v = v * 16 + (uint64_t)d;
    }
    if (i == 0 || i > 15)
        return -1;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i < n && line[i] != ';')
        return -1;
    for (; i < n; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            return -1;
    *size = v;
    return 0;
}

/* Go on de-chunking from src. Returns 1 when the body is whole, 0 when
 * more is needed, -1 after a refusal was made pending. */
static int gate_dechunk(struct gate *g, struct evbuffer *src)
{
    char line[GATE_MAX_CHUNK_LINE + 1];
    char detail[FAULT_DETAIL_MAX];
    size_t n, have;
    uint64_t size, take;
    int r;

    for (;;) {
        switch (g->ch) {
        case GATE_CH_SIZE:
            r = gate_line(src, line, sizeof line, &n);
            if (r == 0)
                return 0;
            if (r < 0 || gate_chunk_size(line, n, &size) < 0) {
                gate_refuse_fault(g, 0, FAULT_INVALID, "body",
                                  "the chunked body has a malformed "
                                  "chunk-size line");
                return -1;
            }
            if (size > g->body_limit - evbuffer_get_length(g->body)) {
                snprintf(detail, sizeof detail,
                         "the chunked body is over the %" PRIu64
                         " bytes this route takes", g->body_limit);
                gate_refuse_fault(g, 0, FAULT_TOO_LARGE, "body", detail);
                return -1;
            }
            g->chunk_left = size;
            g->ch = size == 0 ? GATE_CH_TRAILER : GATE_CH_DATA;
            break;
        case GATE_CH_DATA:
            have = evbuffer_get_length(src);
            if (have == 0)
                return 0;
            take = g->chunk_left < have ? g->chunk_left : have;
            if (evbuffer_remove_buffer(src, g->body, (size_t)take) !=
                (int)take) {
                gate_refuse_fault(g, 0, FAULT_INTERNAL, NULL, "out of memory");
                return -1;
            }
            g->chunk_left -= take;
            if (g->chunk_left == 0)
                g->ch = GATE_CH_END;
            break;
        case GATE_CH_END:
            r = gate_line(src, line, 3, &n);
            if (r == 0)
                return 0;
            if (r < 0 || n != 0) {
                gate_refuse_fault(g, 0, FAULT_INVALID, "body",
                                  "a chunk's data is not followed by a "
                                  "line end");
                return -1;
            }
            g->ch = GATE_CH_SIZE;
            break;
        case GATE_CH_TRAILER:
            r = gate_line(src, line, sizeof line, &n);
            if (r == 0)
                return 0;
            g->trailer_bytes += n + 2;
            if (r < 0 || g->trailer_bytes > g->limits->max_head) {
                gate_refuse_fault(g, 0, FAULT_INVALID, "body",
                                  "the chunked body's trailer is malformed "
                                  "or too long");
                return -1;
            }
            if (n == 0)
                return 1;
            break;
        }
    }
}

/* A whole head of len bytes is at the front of src (buf points at it):
 * read it and decide. Returns 1 when it was passed on to dst at once (no
 * body), 0 when it became the admitted head (g->head, state GATE_WAIT),
 * -1 after a refusal was made pending. Its bytes leave src either way. */
static int gate_head(struct gate *g, struct evbuffer *src,
                     struct evbuffer *dst, const char *buf, size_t len)
{
    struct reqhead_error e;
    struct gate_verdict v;
    struct reqhead h;
    uint64_t body;

    if (reqhead_parse(&h, &e, buf, len) < 0) {
        gate_refuse_fault(g, e.status, e.status == 417 ? FAULT_CONFLICT
                                                       : FAULT_INVALID,
                          e.field, e.detail);
        evbuffer_drain(src, len);
        return -1;
    }
    memset(&v, 0, sizeof v);
    g->hooks->admit(g->owner, &h, buf, &v);
    if (v.refuse) {
        snprintf(v.r.method, sizeof v.r.method, "%.*s", (int)h.method.len,
                 buf + h.method.off);
        snprintf(v.r.path, sizeof v.r.path, "%.*s", (int)h.target.len,
                 buf + h.target.off);
        gate_refuse(g, &v.r, h.chunked || h.content_length > 0);
        evbuffer_drain(src, len);
        return -1;
    }
    body = h.chunked ? v.body_limit
                     : h.content_length > 0 ? (uint64_t)h.content_length : 0;
    if (body == 0 && h.count[REQHEAD_EXPECT] == 0) {
        /* The common case: nothing to rewrite, nothing to wait for, so
         * the bytes move on as they came (no copy). */
        evbuffer_drain(src, h.skip);
        if (evbuffer_remove_buffer(src, dst, len - h.skip) !=
            (int)(len - h.skip))
            return -1; /* cannot happen: the bytes are there */
        g->passed++;
        gate_set_phase(g, GATE_PHASE_PASSED);
        return 1;
    }
    g->head = malloc(len);
    if (g->head == NULL) {
        gate_refuse_fault(g, 0, FAULT_INTERNAL, NULL, "out of memory");
        evbuffer_drain(src, len);
        return -1;
    }
    memcpy(g->head, buf, len);
    g->h = h;
    g->want = body;
    g->body_limit = v.body_limit;
    g->upload = v.upload;
    g->state = GATE_WAIT;
    evbuffer_drain(src, len);
    return 0;
}

/* The admitted head got its body memory: pass it on, or start
 * de-chunking. Returns 1 if anything went to dst. */
static int gate_admitted(struct gate *g, struct evbuffer *src,
                         struct evbuffer *dst)
{
    int moved = 0;

    g->reserved = g->want;
    if (g->h.expect_continue && evbuffer_get_length(src) == 0)
        g->hooks->send_continue(g->owner, g->passed);
    gate_set_phase(g, g->upload ? GATE_PHASE_UPLOAD : GATE_PHASE_BODY);
    if (g->h.chunked) {
        g->body = evbuffer_new();
        if (g->body == NULL) {
            gate_refuse_fault(g, 0, FAULT_INTERNAL, NULL, "out of memory");
            return 0;
        }
        g->ch = GATE_CH_SIZE;
        g->trailer_bytes = 0;
        g->state = GATE_CHUNK;
        return 0;
    }
    if (gate_pass_head(g, dst, -1) < 0) {
        gate_refuse_fault(g, 0, FAULT_INTERNAL, NULL, "out of memory");
        return 0;
    }
    moved = 1;
    gate_hand_over(g, g->passed++, g->want);
    g->body_left = (uint64_t)(g->h.content_length > 0 ? g->h.content_length
                                                      : 0);
    free(g->head);
    g->head = NULL;
    g->state = g->body_left > 0 ? GATE_BODY : GATE_HEAD;
    if (g->state == GATE_HEAD)
        gate_set_phase(g, GATE_PHASE_PASSED);
    return moved;
}

enum bufferevent_filter_result gate_filter(struct evbuffer *src,
                                           struct evbuffer *dst,
                                           ev_ssize_t limit,
                                           enum bufferevent_flush_mode mode,
                                           void *ctx)
{
    struct gate *g = ctx;
    size_t have, look, end, n;
    const char *buf;
    int moved = 0, r;

    (void)limit;
    (void)mode;
    for (;;) {
        if (g->refusal_pending && g->state != GATE_BODY) {
            gate_pass_refusal(g, src, dst);
            moved = 1;
        }
        switch (g->state) {
        case GATE_REFUSED:
            evbuffer_drain(src, evbuffer_get_length(src));
            goto done;
        case GATE_HEAD:
            have = evbuffer_get_length(src);
            if (have == 0)
                goto done;
            gate_set_phase(g, GATE_PHASE_HEAD);
            look = have < g->limits->max_head ? have : g->limits->max_head;
            buf = (const char *)evbuffer_pullup(src, (ev_ssize_t)look);
            if (buf == NULL) {
                gate_refuse_fault(g, 0, FAULT_INTERNAL, NULL, "out of memory");
                continue;
            }
            end = reqhead_find_end(&g->scan, buf, look);
            if (end == 0) {
                if (look < g->limits->max_head)
                    goto done;
                {
                    char detail[FAULT_DETAIL_MAX];
                    snprintf(detail, sizeof detail,
                             "the request line and header fields are over "
                             "%zu bytes", g->limits->max_head);
                    gate_refuse_fault(g, 0, FAULT_INVALID, "headers", detail);
                }
                continue;
            }
            memset(&g->scan, 0, sizeof g->scan);
            if (gate_head(g, src, dst, buf, end) == 1)
                moved = 1;
            continue;
        case GATE_WAIT:
            if (g->nres == GATE_MAX_RESERVED ||
                !g->hooks->reserve(g->owner, g->want)) {
                gate_set_phase(g, GATE_PHASE_WAIT);
                goto done;
            }
            moved |= gate_admitted(g, src, dst);
            continue;
        case GATE_BODY:
            have = evbuffer_get_length(src);
            n = g->body_left < have ? (size_t)g->body_left : have;
            if (n > 0) {
                evbuffer_remove_buffer(src, dst, n);
                g->body_left -= n;
                moved = 1;
            }
            if (g->body_left > 0)
                goto done;
            g->state = GATE_HEAD;
            gate_set_phase(g, GATE_PHASE_PASSED);
            continue;
        case GATE_CHUNK:
            r = gate_dechunk(g, src);
            if (r < 0)
                continue;
            if (r == 0)
                goto done;
            n = evbuffer_get_length(g->body);
            if (g->reserved > n) {
                g->hooks->release(g->owner, g->reserved - n);
                g->reserved = n;
            }
            if (gate_pass_head(g, dst, (int64_t)n) < 0 ||
                evbuffer_add_buffer(dst, g->body) < 0) {
                gate_refuse_fault(g, 0, FAULT_INTERNAL, NULL, "out of memory");
                continue;
            }
            moved = 1;
            gate_hand_over(g, g->passed++, n);
            evbuffer_free(g->body);
            g->body = NULL;
            free(g->head);
            g->head = NULL;
            g->state = GATE_HEAD;
            gate_set_phase(g, GATE_PHASE_PASSED);
            continue;
        }
    }
done:
    return moved ? BEV_OK : BEV_NEED_MORE;
}

int gate_waiting(const struct gate *g)
{
    return g->state == GATE_WAIT;
}

void gate_refuse_wait(struct gate *g, const struct gate_refusal *r)
{
    if (g->state == GATE_WAIT)
        gate_refuse(g, r, 1);
}

void gate_refuse_now(struct gate *g, const struct gate_refusal *r)
{
    gate_refuse(g, r, 1);
}

int gate_take_refusal(struct gate *g, uint64_t index, struct gate_refusal *r)
{
    if (!g->refused || g->refusal_index != index)
        return 0;
    *r = g->refusal;
    return 1;
}

uint64_t gate_take_reservation(struct gate *g, uint64_t index)
{
    uint64_t bytes;
    size_t i;

    for (i = 0; i < g->nres; i++) {
        if (g->res[i].index != index)
            continue;
        bytes = g->res[i].bytes;
        g->res[i] = g->res[--g->nres];
        return bytes;
    }
    return 0;
}

int gate_unfinished(const struct gate *g)
{
    switch (g->state) {
    case GATE_HEAD:
        return 0;
    case GATE_WAIT:
    case GATE_BODY:
    case GATE_CHUNK:
        return 1;
    case GATE_REFUSED:
        return g->body_may_follow;
    }
    return 1;
}
