/* Unit tests for gateway/reqhead.c: the strict reader of request heads.
 * Tables of heads that must be read, and of heads that must be refused
 * with a given status and field, each also fed to reqhead_find_end one
 * byte at a time and split at every offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/reqhead.h"

#define S(text) text, sizeof(text) - 1

struct good_case {
    const char *name;
    const char *head;
    size_t len;
    const char *method, *target;
    int minor;
    int64_t content_length;
    int chunked, expect_continue;
    size_t skip;
};

static const struct good_case good[] = {
    {"plain GET", S("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"), "GET",
     "/healthz", 1, -1, 0, 0, 0},
    {"LF line ends", S("GET / HTTP/1.1\nHost: a\n\n"), "GET", "/", 1, -1, 0, 0,
     0},
    {"empty lines before", S("\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n"),
     "GET", "/x", 1, -1, 0, 0, 4},
    {"HTTP/1.0 without Host", S("GET /a?b=c HTTP/1.0\r\n\r\n"), "GET",
     "/a?b=c", 0, -1, 0, 0, 0},
    {"Content-Length", S("PUT /p HTTP/1.1\r\nHost: a:80\r\nContent-Length: "
                         "12\r\n\r\n"), "PUT", "/p", 1, 12, 0, 0, 0},
    {"Content-Length twice, equal",
     S("PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\ncontent-length:"
       "7\r\n\r\n"), "PUT", "/p", 1, 7, 0, 0, 0},
    {"Content-Length 0", S("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: "
                           "0\r\n\r\n"), "POST", "/p", 1, 0, 0, 0, 0},
    {"chunked", S("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                  "Chunked\r\n\r\n"), "POST", "/p", 1, -1, 1, 0, 0},
    {"Expect", S("PUT /p HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
                 "Content-Length: 5\r\n\r\n"), "PUT", "/p", 1, 5, 0, 1, 0},
    {"Expect in HTTP/1.0 is ignored",
     S("PUT /p HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"),
     "PUT", "/p", 0, 5, 0, 0, 0},
    {"white space around values", S("GET / HTTP/1.1\r\nHost: \t a \t\r\nX-Y:"
                                    "\r\n\r\n"), "GET", "/", 1, -1, 0, 0, 0},
    {"obs-text in a value", S("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3"
                              "\xa9\r\n\r\n"), "GET", "/", 1, -1, 0, 0, 0},
    {"empty Host", S("GET / HTTP/1.1\r\nHost:\r\n\r\n"), "GET", "/", 1, -1, 0,
     0, 0},
    {"IPv6 Host", S("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), "GET", "/",
     1, -1, 0, 0, 0},
    {"token method", S("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n"), "M-SEARCH",
     "*", 1, -1, 0, 0, 0},
};

struct bad_case {
    const char *name;
    const char *head;
    size_t len;
    int status;
    const char *field;
};

static const struct bad_case bad[] = {
    {"two different Content-Length",
     S("PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: "
       "6\r\n\r\n"), 400, "Content-Length"},
    {"Content-Length list", S("PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: "
                              "5, 5\r\n\r\n"), 400, "Content-Length"},
    {"Content-Length sign", S("PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: "
                              "+5\r\n\r\n"), 400, "Content-Length"},
    {"Content-Length huge", S("PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length: "
                              "99999999999999999999\r\n\r\n"), 400,
     "Content-Length"},
    {"Content-Length empty", S("PUT /p HTTP/1.1\r\nHost: a\r\nContent-Length:"
                               "\r\n\r\n"), 400, "Content-Length"},
    {"obsolete line folding", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n "
                                "c\r\n\r\n"), 400, "headers"},
    {"folding right after the request line",
     S("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400, "headers"},
    {"tab folding", S("GET / HTTP/1.1\r\nHost: a\r\n\tX-A: b\r\n\r\n"), 400,
     "headers"},
    {"space before the colon", S("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400,
     "Host"},
    {"tab before the colon", S("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), 400,
     "Host"},
    {"no colon", S("GET / HTTP/1.1\r\nHost a\r\n\r\n"), 400, "Host"},
    {"empty field name", S("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"), 400,
     "headers"},
    {"NUL in a value", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n"),
     400, "X-A"},
    {"control character in a value", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: "
                                       "b\x01\r\n\r\n"), 400, "X-A"},
    {"DEL in a value", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x7f\r\n\r\n"),
     400, "X-A"},
    {"bare CR in a value", S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n"),
     400, "headers"},
    {"bare CR in the request line", S("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"),
     400, "request-line"},
    {"missing Host", S("GET / HTTP/1.1\r\nX-A: b\r\n\r\n"), 400, "Host"},
    {"two Host lines", S("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400,
     "Host"},
    {"Host with a path", S("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400,
     "Host"},
    {"Host with a space", S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400,
     "Host"},
    {"Transfer-Encoding gzip", S("POST /p HTTP/1.1\r\nHost: a\r\n"
                                 "Transfer-Encoding: gzip\r\n\r\n"), 400,
     "Transfer-Encoding"},
    {"Transfer-Encoding gzip, chunked",
     S("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
       "\r\n"), 400, "Transfer-Encoding"},
    {"Transfer-Encoding chunked twice",
     S("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"), 400, "Transfer-Encoding"},
    {"Transfer-Encoding and Content-Length",
     S("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
       "Transfer-Encoding: chunked\r\n\r\n"), 400, "Transfer-Encoding"},
    {"Transfer-Encoding in HTTP/1.0",
     S("POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400,
     "Transfer-Encoding"},
    {"Transfer-Encoding identity",
     S("POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n"),
     400, "Transfer-Encoding"},
    {"Expect something else", S("PUT /p HTTP/1.1\r\nHost: a\r\nExpect: "
                                "200-ok\r\n\r\n"), 417, "Expect"},
    {"Expect twice", S("PUT /p HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                       "Expect: 100-continue\r\n\r\n"), 400, "Expect"},
    {"HTTP/2.0", S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505, "request-line"},
    {"HTTP/1.2", S("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505, "request-line"},
    {"HTTP/1", S("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400, "request-line"},
    {"lower-case version", S("GET / http/1.1\r\nHost: a\r\n\r\n"), 400,
     "request-line"},
    {"two spaces", S("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
     "request-line"},
    {"no target", S("GET HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "request-line"},
    {"space in the target", S("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
     "request-line"},
    {"non-ASCII target", S("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"),
     400, "request-line"},
    {"tab in the target", S("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
     "request-line"},
    {"method not a token", S("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
     "request-line"},
    {"trailing space", S("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400,
     "request-line"},
};

/* Find the end of the whole head fed in pieces of at most step bytes, and
 * compare with the length. */
static size_t find_end_stepwise(const char *buf, size_t len, size_t step)
{
    struct reqhead_scan s;
    size_t have = 0, end = 0;

    memset(&s, 0, sizeof s);
    while (have < len && end == 0) {
        have = have + step < len ? have + step : len;
        end = reqhead_find_end(&s, buf, have);
    }
    return end;
}

static void test_good(void **state)
{
    size_t i, step;

    (void)state;
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        const struct good_case *g = &good[i];
        struct reqhead h;
        struct reqhead_error e;

        for (step = 1; step <= g->len; step++)
            if (find_end_stepwise(g->head, g->len, step) != g->len)
                fail_msg("%s: end not found at step %zu", g->name, step);
        if (reqhead_parse(&h, &e, g->head, g->len) != 0)
            fail_msg("%s: refused: %d %s %s", g->name, e.status, e.field,
                     e.detail);
        assert_int_equal(h.len, g->len);
        assert_int_equal(h.skip, g->skip);
        assert_int_equal(h.method.len, strlen(g->method));
        assert_memory_equal(g->head + h.method.off, g->method, h.method.len);
        assert_int_equal(h.target.len, strlen(g->target));
        assert_memory_equal(g->head + h.target.off, g->target, h.target.len);
        assert_int_equal(h.minor, g->minor);
        if (h.content_length != g->content_length)
            fail_msg("%s: content length %lld", g->name,
                     (long long)h.content_length);
        assert_int_equal(h.chunked, g->chunked);
        assert_int_equal(h.expect_continue, g->expect_continue);
    }
}

static void test_bad(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const struct bad_case *b = &bad[i];
        struct reqhead h;
        struct reqhead_error e;
        size_t end = find_end_stepwise(b->head, b->len, 1);

        /* The end is found the same way for good and bad heads. */
        if (end != b->len)
            fail_msg("%s: end at %zu of %zu", b->name, end, b->len);
        if (reqhead_parse(&h, &e, b->head, b->len) == 0)
            fail_msg("%s: accepted", b->name);
        if (e.status != b->status || strcmp(e.field, b->field) != 0)
            fail_msg("%s: got %d %s (%s), want %d %s", b->name, e.status,
                     e.field, e.detail, b->status, b->field);
        assert_true(strlen(e.detail) > 0);
        /* Nothing of a refused head is left for a caller to use. */
        assert_int_equal(h.len, 0);
        assert_int_equal(h.method.len, 0);
        assert_int_equal(h.content_length, -1);
    }
}

/* The known fields are found whatever their case, their line and count
 * are kept, and a field line includes its line end. */
static void test_fields(void **state)
{
    static const char head[] =
        "POST /v1/x HTTP/1.1\r\nx-sluice-timestamp: 1700000000\r\n"
        "HOST: h\r\nX-Sluice-Nonce:abcdefghijklmnop \r\nexpect: "
        "100-continue\r\nContent-Length: 3\r\nX-Other: 1\r\n\r\n";
    struct reqhead h;
    struct reqhead_error e;

    (void)state;
    assert_int_equal(reqhead_parse(&h, &e, head, sizeof head - 1), 0);
    assert_int_equal(h.nfields, 6);
    assert_int_equal(h.count[REQHEAD_TIMESTAMP], 1);
    assert_memory_equal(head + h.value[REQHEAD_TIMESTAMP].off, "1700000000",
                        10);
    assert_int_equal(h.value[REQHEAD_NONCE].len, 16);
    assert_int_equal(h.count[REQHEAD_SIGNATURE], 0);
    assert_int_equal(h.field_line[REQHEAD_EXPECT].len,
                     strlen("expect: 100-continue\r\n"));
    assert_memory_equal(head + h.field_line[REQHEAD_EXPECT].off, "expect: ",
                        8);
    assert_string_equal(reqhead_field_name(REQHEAD_CONTENT_LENGTH),
                        "Content-Length");
}

/* A head's end is not confused by CR LF pairs split across reads, by
 * empty lines before the request line, or by a body that follows. */
static void test_find_end(void **state)
{
    static const char stream[] =
        "\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\nbody\r\n\r\nmore";
    struct reqhead_scan s;
    size_t want = strlen("\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), cut;

    (void)state;
    for (cut = 0; cut <= sizeof stream - 1; cut++) {
        size_t end;

        memset(&s, 0, sizeof s);
        end = reqhead_find_end(&s, stream, cut);
        if (end == 0)
            end = reqhead_find_end(&s, stream, sizeof stream - 1);
        assert_int_equal(end, want);
    }
    memset(&s, 0, sizeof s);
    assert_int_equal(reqhead_find_end(&s, "\r\n\r\n\n", 5), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_find_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
