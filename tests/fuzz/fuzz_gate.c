/*
 * fuzz_gate: any bytes as what a client sends on one connection, through
 * the gate (gateway/gate.c) and the strict head reader (reqhead), in reads
 * whose sizes the input's first bytes choose.
 *
 * Checked on every input:
 * - what the gate passes on is a sequence of whole requests that reqhead
 *   reads again without a refusal, each with no Transfer-Encoding and no
 *   Expect, followed by exactly its Content-Length of body bytes; a
 *   refusal's stand-in is the last thing passed on;
 * - the requests passed on are as many as the gate counted, and a refusal
 *   is found under the stand-in's count and no other;
 * - body memory reserved is given back whole, once each request's share is
 *   taken and the gate freed;
 * - reqhead_find_end finds the same end whether the bytes come at once or
 *   a byte at a time.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gateway/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    uint64_t budget, reserved;
};

static void fz_admit(void *owner, const struct reqhead *h, const char *head,
                     struct gate_verdict *v)
{
    (void)owner;
    v->body_limit = 4096;
    if (h->target.len > 1 && head[h->target.off + 1] == 'x') {
        v->refuse = 1;
        fault_set(&v->r.fault, FAULT_INVALID, "path", "refused");
    }
}

static int fz_reserve(void *owner, uint64_t bytes)
{
    struct fz *f = owner;

    if (bytes > f->budget - f->reserved)
        return 0;
    f->reserved += bytes;
    return 1;
}

static void fz_release(void *owner, uint64_t bytes)
{
    struct fz *f = owner;

    if (bytes > f->reserved)
        abort();
    f->reserved -= bytes;
}

static void fz_phase(void *owner, enum gate_phase p)
{
    (void)owner;
    (void)p;
}

static void fz_continue(void *owner, uint64_t index)
{
    (void)owner;
    (void)index;
}

static const struct gate_hooks fz_hooks = {fz_admit, fz_reserve, fz_release,
                                           fz_phase, fz_continue};
static const struct gate_limits fz_limits = {1024};

/* Walk what evhttp would see: whole heads that read again, each followed
 * by its body (the last body may be cut short: the input ended). Returns
 * the number of requests, and the offset of the last one's head in
 * *last. */
static uint64_t fz_check_output(const char *out, size_t len, size_t *last)
{
    struct reqhead_scan s;
    struct reqhead_error e;
    struct reqhead h;
    uint64_t n = 0;
    size_t at = 0, end;

    *last = 0;
    while (at < len) {
        memset(&s, 0, sizeof s);
        end = reqhead_find_end(&s, out + at, len - at);
        if (end == 0 || reqhead_parse(&h, &e, out + at, end) != 0 ||
            h.skip != 0 || h.count[REQHEAD_TRANSFER_ENCODING] != 0 ||
            h.count[REQHEAD_EXPECT] != 0)
            abort();
        *last = at;
        at += end;
        n++;
        if (h.content_length > 0) {
            if ((uint64_t)h.content_length > len - at)
                break;
            at += (size_t)h.content_length;
        }
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct evbuffer *src, *dst;
    struct gate_refusal r;
    struct reqhead_scan s1, s2;
    struct gate *g;
    struct fz f;
    size_t at = 0, step, i, e1, e2 = 0, len;
    static const char stand_in[] =
        "GET " GATE_REFUSED_TARGET " HTTP/1.1\r\nHost: localhost\r\n"
        "Connection: close\r\n\r\n";
    uint64_t n, k;
    size_t last;
    char *out;
    int found = 0;

    if (size < 2)
        return 0;
    step = (size_t)data[0] % 64 + 1;
    memset(&f, 0, sizeof f);
    f.budget = (uint64_t)data[1] * 64;
    data += 2;
    size -= 2;
    /* The end of a head, at once and a byte at a time. */
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    e1 = reqhead_find_end(&s1, (const char *)data, size);
    for (i = 1; i <= size && e2 == 0; i++)
        e2 = reqhead_find_end(&s2, (const char *)data, i);
    if (e1 != e2)
        abort();
    src = evbuffer_new();
    dst = evbuffer_new();
    g = gate_new(&fz_hooks, &fz_limits, &f);
    if (src == NULL || dst == NULL || g == NULL)
        abort();
    while (at < size) {
        size_t n_in = size - at < step ? size - at : step;
        evbuffer_add(src, data + at, n_in);
        at += n_in;
        gate_filter(src, dst, -1, BEV_NORMAL, g);
        /* Room frees now and then, as requests finish. */
        if (gate_waiting(g) && (at & 3) == 0)
            f.budget += 4096;
    }
    len = evbuffer_get_length(dst);
    out = malloc(len + 1);
    if (out == NULL)
        abort();
    evbuffer_remove(dst, out, len);
    n = fz_check_output(out, len, &last);
    /* A refusal is the last request passed on, and it is the stand-in,
     * whole, with nothing after it. */
    for (k = 0; k < n + 1; k++) {
        if (gate_take_refusal(g, k, &r)) {
            if (found || k + 1 != n || len - last != sizeof stand_in - 1 ||
                memcmp(out + last, stand_in, sizeof stand_in - 1) != 0)
                abort();
            found = 1;
        }
        f.reserved -= gate_take_reservation(g, k);
    }
    gate_free(g);
    if (f.reserved != 0)
        abort();
    free(out);
    evbuffer_free(src);
    evbuffer_free(dst);
    return 0;
}
