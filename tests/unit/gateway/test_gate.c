/* Unit tests for gateway/gate.c: what the gate passes on to evhttp, fed
 * as one read, split in two at every offset, and one byte at a time; its
 * refusals, body memory, 100-continue and de-chunking. The hooks are a
 * small fake connection; admission refuses paths that start with /deny
 * and gives /upload a limit of 64 bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "gateway/gate.h"

struct fake {
    uint64_t budget;      /* bytes that may be reserved */
    uint64_t reserved;
    unsigned continues;   /* 100 Continue writes asked for */
    uint64_t continue_index;
    enum gate_phase phase;
    unsigned admits;
};

static void fake_admit(void *owner, const struct reqhead *h, const char *head,
                       struct gate_verdict *v)
{
    struct fake *f = owner;

    f->admits++;
    v->body_limit = 1 << 20;
    if (h->target.len >= 5 && memcmp(head + h->target.off, "/deny", 5) == 0) {
        v->refuse = 1;
        v->r.status = 0;
        fault_set(&v->r.fault, FAULT_UNAUTHORIZED, "X-Sluice-Signature",
                  "refused by the test");
    }
    if (h->target.len >= 7 &&
        memcmp(head + h->target.off, "/upload", 7) == 0) {
        v->body_limit = 64;
        v->upload = 1;
    }
}

static int fake_reserve(void *owner, uint64_t bytes)
{
    struct fake *f = owner;

    if (bytes > f->budget - f->reserved)
        return 0;
    f->reserved += bytes;
    return 1;
}

static void fake_release(void *owner, uint64_t bytes)
{
    struct fake *f = owner;

    assert_true(bytes <= f->reserved);
    f->reserved -= bytes;
}

static void fake_phase(void *owner, enum gate_phase p)
{
    ((struct fake *)owner)->phase = p;
}

static void fake_continue(void *owner, uint64_t index)
{
    struct fake *f = owner;

    f->continues++;
    f->continue_index = index;
}

static const struct gate_hooks hooks = {fake_admit, fake_reserve,
                                        fake_release, fake_phase,
                                        fake_continue};
static const struct gate_limits limits = {512};

/* Run stream through a fresh gate in pieces: cuts[] are the offsets where
 * a read ends (ascending, the last = len). Returns what evhttp would see
 * (malloc'd, NUL-terminated) and the gate in *out. */
static char *run_cuts(struct gate **out, struct fake *f, const char *stream,
                      size_t len, const size_t *cuts, size_t ncuts)
{
    struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
    struct gate *g = gate_new(&hooks, &limits, f);
    size_t at = 0, i, n;
    char *text;

    assert_non_null(g);
    assert_true(ncuts > 0 && cuts[ncuts - 1] == len);
    for (i = 0; i < ncuts; i++) {
        evbuffer_add(src, stream + at, cuts[i] - at);
        at = cuts[i];
        gate_filter(src, dst, -1, BEV_NORMAL, g);
    }
    n = evbuffer_get_length(dst);
    text = malloc(n + 1);
    evbuffer_remove(dst, text, n);
    text[n] = '\0';
    evbuffer_free(src);
    evbuffer_free(dst);
    *out = g;
    return text;
}

/* Check that stream yields want whole, split in two at every offset, and
 * a byte at a time. */
static void check_stream(const char *stream, size_t len, const char *want,
                         size_t want_len, uint64_t passed_heads)
{
    size_t cuts[2], *one = malloc(len * sizeof *one), i;
    struct gate *g;
    struct fake f;
    char *got;

    for (i = 0; i <= len; i++) {
        memset(&f, 0, sizeof f);
        f.budget = 1 << 30;
        cuts[0] = i;
        cuts[1] = len;
        got = run_cuts(&g, &f, stream, len, cuts, 2);
        if (strlen(got) != want_len || memcmp(got, want, want_len) != 0)
            fail_msg("split at %zu: got\n%s\nwant\n%.*s", i, got,
                     (int)want_len, want);
        /* Each passed request holds its reservation until taken (the
         * dispatcher then gives it back itself). */
        for (uint64_t k = 0; k < passed_heads; k++)
            f.reserved -= gate_take_reservation(g, k);
        assert_int_equal(f.reserved, 0);
        assert_int_equal(gate_unfinished(g), 0);
        free(got);
        gate_free(g);
    }
    for (i = 0; i < len; i++)
        one[i] = i + 1;
    memset(&f, 0, sizeof f);
    f.budget = 1 << 30;
    got = run_cuts(&g, &f, stream, len, one, len);
    assert_int_equal(strlen(got), want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
    gate_free(g);
    free(one);
}

#define STR(s) s, sizeof(s) - 1

static void test_pipeline(void **state)
{
    static const char in[] =
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        "\r\n" /* an empty line before a request line is dropped */
        "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
        "HEAD /c HTTP/1.1\nHost: x\n\n";
    static const char want[] =
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"
        "HEAD /c HTTP/1.1\nHost: x\n\n";

    (void)state;
    check_stream(STR(in), STR(want), 4);
}

/* Expect is answered by the gate (when no body byte came with the head)
 * and taken out of what evhttp sees. */
static void test_expect(void **state)
{
    static const char head[] =
        "PUT /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        "Content-Length: 3\r\n\r\n";
    static const char want[] =
        "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    size_t cuts[2] = {sizeof head - 1, sizeof head - 1 + 3};
    char stream[sizeof head + 3];
    struct gate *g;
    struct fake f;
    char *got;

    (void)state;
    memcpy(stream, head, sizeof head - 1);
    memcpy(stream + sizeof head - 1, "abc", 3);
    memset(&f, 0, sizeof f);
    f.budget = 100;
    got = run_cuts(&g, &f, stream, sizeof stream - 1, cuts, 2);
    assert_string_equal(got, want);
    assert_int_equal(f.continues, 1);
    assert_int_equal(f.continue_index, 0);
    assert_int_equal(gate_take_reservation(g, 0), 3);
    free(got);
    gate_free(g);
    /* The body already came with the head: no 100 Continue. */
    memset(&f, 0, sizeof f);
    f.budget = 100;
    cuts[0] = sizeof stream - 1;
    got = run_cuts(&g, &f, stream, sizeof stream - 1, cuts, 1);
    assert_string_equal(got, want);
    assert_int_equal(f.continues, 0);
    free(got);
    gate_free(g);
}

static const char refused_head[] =
    "GET " GATE_REFUSED_TARGET " HTTP/1.1\r\nHost: localhost\r\n"
    "Connection: close\r\n\r\n";

/* A refusal replaces the request, in its turn, and nothing after it is
 * passed on, body or later requests. */
static void test_refusal(void **state)
{
    static const char in[] =
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        "PUT /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n\r\n"
        "body bytes that must never reach evhttp"
        "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    char want[256];
    struct gate_refusal r;
    size_t cuts[1] = {sizeof in - 1};
    struct gate *g;
    struct fake f;
    char *got;

    (void)state;
    snprintf(want, sizeof want, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n%s",
             refused_head);
    memset(&f, 0, sizeof f);
    f.budget = 1 << 30;
    got = run_cuts(&g, &f, in, sizeof in - 1, cuts, 1);
    assert_string_equal(got, want);
    assert_int_equal(gate_take_refusal(g, 0, &r), 0);
    assert_int_equal(gate_take_refusal(g, 1, &r), 1);
    assert_int_equal(r.fault.kind, FAULT_UNAUTHORIZED);
    assert_string_equal(r.method, "PUT");
    assert_string_equal(r.path, "/deny");
    assert_int_equal(gate_unfinished(g), 1); /* a body may still come */
    assert_int_equal(f.reserved, 0);
    free(got);
    gate_free(g);
}

struct bad_stream {
    const char *name;
    const char *in;
    int status;          /* of the refusal, 0: the kind's */
    enum fault_kind kind;
    const char *field;
};

static void test_refusals(void **state)
{
    static const struct bad_stream cases[] = {
        {"framing", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, FAULT_INVALID,
         "Host"},
        {"expectation", "PUT /upload HTTP/1.1\r\nHost: x\r\nExpect: nope\r\n"
         "\r\n", 417, FAULT_CONFLICT, "Expect"},
        {"chunk size not hex", "POST /b HTTP/1.1\r\nHost: x\r\n"
         "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 0, FAULT_INVALID, "body"},
        {"chunk size overflow", "POST /b HTTP/1.1\r\nHost: x\r\n"
         "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 0,
         FAULT_INVALID, "body"},
        {"chunk over the route's limit", "POST /upload HTTP/1.1\r\nHost: x\r\n"
         "Transfer-Encoding: chunked\r\n\r\n41\r\n", 0, FAULT_TOO_LARGE,
         "body"},
        {"chunks over the route's limit", "POST /upload HTTP/1.1\r\nHost: x\r\n"
         "Transfer-Encoding: chunked\r\n\r\n20\r\n"
         "01234567890123456789012345678901\r\n21\r\n", 0, FAULT_TOO_LARGE,
         "body"},
        {"chunk data without its line end", "POST /b HTTP/1.1\r\nHost: x\r\n"
         "Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 0, FAULT_INVALID,
         "body"},
        {"bare CR in a chunk line", "POST /b HTTP/1.1\r\nHost: x\r\n"
         "Transfer-Encoding: chunked\r\n\r\n1\r;x\r\n", 0, FAULT_INVALID,
         "body"},
    };
    size_t i, cut;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = strlen(cases[i].in);

        for (cut = 1; cut <= len; cut++) {
            size_t cuts[2] = {cut, len};
            struct gate_refusal r;
            struct gate *g;
            struct fake f;
            char *got;

            memset(&f, 0, sizeof f);
            f.budget = 1 << 30;
            got = run_cuts(&g, &f, cases[i].in, len, cuts, cut == len ? 1 : 2);
            if (strcmp(got, refused_head) != 0)
                fail_msg("%s (cut %zu): passed\n%s", cases[i].name, cut, got);
            assert_int_equal(gate_take_refusal(g, 0, &r), 1);
            if (r.status != cases[i].status || r.fault.kind != cases[i].kind ||
                strcmp(r.fault.field, cases[i].field) != 0)
                fail_msg("%s: refused %d/%d %s (%s)", cases[i].name, r.status,
                         r.fault.kind, r.fault.field, r.fault.detail);
            assert_int_equal(f.reserved, 0);
            free(got);
            gate_free(g);
        }
    }
}

/* A head over the limit is refused once the limit is passed, whether or
 * not its end ever comes; one exactly at the limit passes. */
static void test_head_limit(void **state)
{
    char big[1024];
    size_t n, cuts[1];
    struct gate_refusal r;
    struct gate *g;
    struct fake f;
    char *got;

    (void)state;
    /* Exactly max_head bytes: the request line, Host, one long field
     * that fills up to the final empty line. */
    n = (size_t)snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: x\r\nX: ");
    memset(big + n, 'a', limits.max_head - 4 - n);
    n = limits.max_head - 4;
    memcpy(big + n, "\r\n\r\n", 4);
    n += 4;
    memset(&f, 0, sizeof f);
    f.budget = 100;
    cuts[0] = n;
    got = run_cuts(&g, &f, big, n, cuts, 1);
    if (strcmp(got, refused_head) == 0) {
        assert_int_equal(gate_take_refusal(g, 0, &r), 1);
        fail_msg("a head of exactly max_head bytes was refused: %s",
                 r.fault.detail);
    }
    free(got);
    gate_free(g);
    /* One byte over, with no end in sight. */
    memset(big, 'a', sizeof big);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    memset(&f, 0, sizeof f);
    cuts[0] = limits.max_head + 1;
    got = run_cuts(&g, &f, big, cuts[0], cuts, 1);
    assert_string_equal(got, refused_head);
    assert_int_equal(gate_take_refusal(g, 0, &r), 1);
    assert_string_equal(r.fault.field, "headers");
    free(got);
    gate_free(g);
}

/* Without room in the budget the head waits, unseen by evhttp; it goes on
 * once room frees, or is refused when the wait ends. */
static void test_budget(void **state)
{
    static const char in[] =
        "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd";
    struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
    struct gate_refusal r;
    struct gate *g;
    struct fake f;

    (void)state;
    memset(&f, 0, sizeof f);
    f.budget = 3;
    g = gate_new(&hooks, &limits, &f);
    evbuffer_add(src, in, sizeof in - 1);
    assert_int_equal(gate_filter(src, dst, -1, BEV_NORMAL, g), BEV_NEED_MORE);
    assert_int_equal(evbuffer_get_length(dst), 0);
    assert_int_equal(gate_waiting(g), 1);
    assert_int_equal(f.phase, GATE_PHASE_WAIT);
    assert_int_equal(gate_unfinished(g), 1);
    f.budget = 4;
    assert_int_equal(gate_filter(src, dst, -1, BEV_NORMAL, g), BEV_OK);
    assert_int_equal(evbuffer_get_length(dst), sizeof in - 1);
    assert_int_equal(gate_waiting(g), 0);
    assert_int_equal(gate_take_reservation(g, 0), 4);
    assert_int_equal(gate_take_reservation(g, 0), 0);
    f.reserved = 0;
    gate_free(g);
    /* The wait ends in a refusal. */
    evbuffer_drain(dst, evbuffer_get_length(dst));
    memset(&f, 0, sizeof f);
    f.budget = 3;
    g = gate_new(&hooks, &limits, &f);
    evbuffer_add(src, in, sizeof in - 1);
    gate_filter(src, dst, -1, BEV_NORMAL, g);
    memset(&r, 0, sizeof r);
    fault_set(&r.fault, FAULT_UNAVAILABLE, NULL, "busy");
    r.retry_after = 1;
    gate_refuse_wait(g, &r);
    assert_int_equal(gate_filter(src, dst, -1, BEV_NORMAL, g), BEV_OK);
    assert_int_equal(evbuffer_get_length(dst), sizeof refused_head - 1);
    assert_int_equal(evbuffer_get_length(src), 0);
    assert_int_equal(gate_take_refusal(g, 0, &r), 1);
    assert_int_equal(r.retry_after, 1);
    assert_int_equal(f.reserved, 0);
    gate_free(g);
    evbuffer_free(src);
    evbuffer_free(dst);
}

/* A connection over a limit is refused before it sends anything, and a
 * gate freed with reservations still held gives them back. */
static void test_refuse_now_and_free(void **state)
{
    struct evbuffer *src = evbuffer_new(), *dst = evbuffer_new();
    struct gate_refusal r;
    struct gate *g;
    struct fake f;
    int i;

    (void)state;
    memset(&f, 0, sizeof f);
    g = gate_new(&hooks, &limits, &f);
    memset(&r, 0, sizeof r);
    fault_set(&r.fault, FAULT_RATE_LIMITED, NULL, "too many");
    gate_refuse_now(g, &r);
    assert_int_equal(gate_filter(src, dst, -1, BEV_NORMAL, g), BEV_OK);
    assert_int_equal(evbuffer_get_length(dst), sizeof refused_head - 1);
    assert_int_equal(gate_take_refusal(g, 0, &r), 1);
    gate_free(g);
    evbuffer_drain(dst, evbuffer_get_length(dst));
    /* Reservations of requests never dispatched, and a deep pipeline. */
    memset(&f, 0, sizeof f);
    f.budget = 1 << 20;
    g = gate_new(&hooks, &limits, &f);
    for (i = 0; i < GATE_MAX_RESERVED + 2; i++)
        evbuffer_add_printf(src, "PUT /upload HTTP/1.1\r\nHost: x\r\n"
                                 "Content-Length: 2\r\n\r\nab");
    gate_filter(src, dst, -1, BEV_NORMAL, g);
    /* The pipeline stops at GATE_MAX_RESERVED requests holding memory. */
    assert_int_equal(gate_waiting(g), 1);
    assert_int_equal(f.reserved, 2 * GATE_MAX_RESERVED);
    assert_int_equal(gate_take_reservation(g, 0), 2);
    f.reserved -= 2;
    gate_filter(src, dst, -1, BEV_NORMAL, g);
    assert_int_equal(f.reserved, 2 * GATE_MAX_RESERVED);
    gate_free(g);
    assert_int_equal(f.reserved, 0);
    evbuffer_free(src);
    evbuffer_free(dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_refusal),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_head_limit),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_refuse_now_and_free),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
