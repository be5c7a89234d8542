/* Unit tests for client/http.c: URLs, response parsing over a socketpair
 * (every framing, every bound, malformed answers), and whole requests
 * against a scripted server on port 0 (Content-Length, keep-alive reuse,
 * a kept-alive connection the server had closed, a refused connect). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/http.h"
#include "tests/support/httpstub.h"

/* ---- URLs ------------------------------------------------------------ */

static void test_url_ok(void **state)
{
    static const struct {
        const char *url, *host, *port, *authority, *prefix;
    } cases[] = {
        {"http://127.0.0.1:8080", "127.0.0.1", "8080", "127.0.0.1:8080", ""},
        {"http://127.0.0.1:8080/", "127.0.0.1", "8080", "127.0.0.1:8080", ""},
        {"http://example.org", "example.org", "80", "example.org", ""},
        {"HTTP://example.org:80/", "example.org", "80", "example.org", ""},
        {"http://gw.example:9/sluice/", "gw.example", "9", "gw.example:9",
         "/sluice"},
        {"http://[::1]:8080/a/b//", "::1", "8080", "[::1]:8080", "/a/b"},
        {"http://[::1]", "::1", "80", "[::1]", ""},
    };
    struct http_url u;
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_clear(&f);
        assert_int_equal(http_url_parse(&u, cases[i].url, "--gateway", &f), 0);
        assert_string_equal(u.host, cases[i].host);
        assert_string_equal(u.port, cases[i].port);
        assert_string_equal(u.authority, cases[i].authority);
        assert_string_equal(u.prefix, cases[i].prefix);
    }
}

static void test_url_bad(void **state)
{
    static const struct {
        const char *url, *words;
    } cases[] = {
        {"https://gw.example", "not supported yet"},
        {"HTTPS://gw.example", "not supported yet"},
        {"ftp://gw.example", "must start with http://"},
        {"gw.example:8080", "must start with http://"},
        {"", "empty"},
        {"http://", "no host"},
        {"http://:8080", "no host"},
        {"http://host:", "bad port"},
        {"http://host:0", "bad port"},
        {"http://host:65536", "bad port"},
        {"http://host:80x", "bad port"},
        {"http://host:-1", "bad port"},
        {"http://user@host", "only a host"},
        {"http://host/?q=1", "only a host"},
        {"http://host/#x", "only a host"},
        {"http://[::1", "unclosed"},
        {"http://[::1]x", "malformed"},
        {"http://ho st", "only a host"},
    };
    struct http_url u;
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_clear(&f);
        memset(&u, 'x', sizeof u);
        assert_int_equal(http_url_parse(&u, cases[i].url, "--gateway", &f),
                         -1);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "--gateway");
        if (strstr(f.detail, cases[i].words) == NULL)
            fail_msg("%s: '%s' lacks '%s'", cases[i].url, f.detail,
                     cases[i].words);
        assert_string_equal(u.host, ""); /* cleared on failure */
    }
}

static void test_query_escape(void **state)
{
    char out[32] = "/x?q=";

    (void)state;
    assert_int_equal(http_query_escape(out, sizeof out, "a b&c=d/é~"), 0);
    assert_string_equal(out, "/x?q=a%20b%26c%3Dd%2F%C3%A9~");
    /* Does not fit: unchanged. */
    strcpy(out, "/x?q=");
    assert_int_equal(http_query_escape(out, 10, "abcdef"), -1);
    assert_string_equal(out, "/x?q=");
}

/* ---- responses over a socketpair ------------------------------------ */

/* Feed raw to one end (then close it when eof), read a response from the
 * other with the given bounds. */
static int parse_raw(struct http_response *r, const char *raw, size_t len,
                     int eof, int no_body, size_t max_head, size_t max_body,
                     struct fault *f)
{
    struct http_conn conn;
    int sv[2], rv;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[1], raw, len), (ssize_t)len);
    if (eof)
        close(sv[1]);
    http_conn_init(&conn, sv[0], 200);
    rv = http_read_response(r, &conn, no_body, max_head, max_body, f);
    close(sv[0]);
    if (!eof)
        close(sv[1]);
    return rv;
}

struct ok_case {
    const char *name;
    const char *raw;
    int eof, no_body;
    int status;
    const char *body;
    int keep_alive;
};

static void test_response_ok(void **state)
{
    static const struct ok_case cases[] = {
        {"content-length",
         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
         "Content-Length: 11\r\n\r\n{\"a\":\"bcd\"}",
         0, 0, 200, "{\"a\":\"bcd\"}", 1},
        {"chunked with extensions and trailers",
         "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n",
         0, 0, 201, "hello, world!!!", 1},
        {"chunked, upper-case hex",
         "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n"
         "1F\r\n0123456789abcdef0123456789abcde\r\n0\r\n\r\n",
         0, 0, 200, "0123456789abcdef0123456789abcde", 1},
        {"close-delimited", "HTTP/1.1 200 OK\r\n\r\nuntil the end", 1, 0,
         200, "until the end", 0},
        {"HTTP/1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
         0, 0, 200, "ok", 0},
        {"HTTP/1.0 keep-alive",
         "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2"
         "\r\n\r\nok",
         0, 0, 200, "ok", 1},
        {"Connection: close",
         "HTTP/1.1 404 Not Found\r\nConnection: foo, close\r\n"
         "Content-Length: 3\r\n\r\nnot",
         0, 0, 404, "not", 0},
        {"100 Continue first",
         "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
         "Content-Length: 1\r\n\r\nx",
         0, 0, 200, "x", 1},
        {"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", 0, 0, 204, "",
         1},
        {"HEAD: no body whatever the length",
         "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 0, 1, 200, "", 1},
        {"bare LF lines", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0, 0,
         200, "ok", 1},
        {"no reason phrase", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0,
         0, 200, "", 1},
        {"same Content-Length twice",
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"
         "ok",
         0, 0, 200, "ok", 1},
        {"chunked beats Content-Length, no reuse",
         "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
         "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
         0, 0, 200, "ok", 0},
        {"empty chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                          "\r\n\r\n0\r\n\r\n",
         0, 0, 200, "", 1},
    };
    struct http_response r;
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_clear(&f);
        if (parse_raw(&r, cases[i].raw, strlen(cases[i].raw), cases[i].eof,
                      cases[i].no_body, 4096, 4096, &f) != 0)
            fail_msg("%s: %s", cases[i].name, f.detail);
        assert_int_equal(r.status, cases[i].status);
        assert_int_equal(r.body_len, strlen(cases[i].body));
        assert_string_equal((const char *)r.body, cases[i].body);
        if (r.keep_alive != cases[i].keep_alive)
            fail_msg("%s: keep_alive %d", cases[i].name, r.keep_alive);
        http_response_clear(&r);
    }
}

static void test_response_headers(void **state)
{
    static const char raw[] =
        "HTTP/1.1 409 Conflict\r\nRetry-After:  1  \r\n"
        "content-type:application/problem+json\r\nContent-Length: 2\r\n"
        "\r\n{}";
    struct http_response r;
    struct fault f;

    (void)state;
    assert_int_equal(parse_raw(&r, raw, strlen(raw), 0, 0, 4096, 4096, &f),
                     0);
    assert_int_equal(r.status, 409);
    assert_string_equal(r.reason, "Conflict");
    assert_int_equal(r.nheaders, 3);
    assert_string_equal(http_response_header(&r, "retry-after"), "1");
    assert_string_equal(http_response_header(&r, "Content-Type"),
                        "application/problem+json");
    assert_null(http_response_header(&r, "Location"));
    http_response_clear(&r);
    http_response_clear(&r); /* twice is harmless */
    http_response_clear(NULL);
}

struct bad_case {
    const char *name;
    const char *raw;
    int eof;
    size_t max_head, max_body;
    enum fault_kind kind;
};

static void test_response_bad(void **state)
{
    static const struct bad_case cases[] = {
        {"empty stream", "", 1, 4096, 4096, FAULT_UNAVAILABLE},
        {"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", 1, 4096, 4096, FAULT_CORRUPT},
        {"HTTP/2", "HTTP/2 200 OK\r\n\r\n", 1, 4096, 4096, FAULT_CORRUPT},
        {"short status", "HTTP/1.1 20\r\n\r\n", 1, 4096, 4096, FAULT_CORRUPT},
        {"status 600", "HTTP/1.1 600 X\r\n\r\n", 1, 4096, 4096, FAULT_CORRUPT},
        {"status letters", "HTTP/1.1 2x0 X\r\n\r\n", 1, 4096, 4096,
         FAULT_CORRUPT},
        {"101", "HTTP/1.1 101 Switching\r\n\r\n", 1, 4096, 4096,
         FAULT_CORRUPT},
        {"header without colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", 1,
         4096, 4096, FAULT_CORRUPT},
        {"empty header name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n", 1, 4096,
         4096, FAULT_CORRUPT},
        {"space in header name", "HTTP/1.1 200 OK\r\nA B: x\r\n\r\n", 1,
         4096, 4096, FAULT_CORRUPT},
        {"folded header", "HTTP/1.1 200 OK\r\nA: x\r\n y\r\n\r\n", 1, 4096,
         4096, FAULT_CORRUPT},
        {"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                        "Content-Length: 3\r\n\r\nabc",
         1, 4096, 4096, FAULT_CORRUPT},
        {"length with letters",
         "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nab", 1, 4096, 4096,
         FAULT_CORRUPT},
        {"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
         1, 4096, 4096, FAULT_CORRUPT},
        {"huge length",
         "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
         1, 4096, 4096, FAULT_CORRUPT},
        {"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
         1, 4096, 4096, FAULT_CORRUPT},
        {"gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, "
                          "chunked\r\n\r\n0\r\n\r\n",
         1, 4096, 4096, FAULT_CORRUPT},
        {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                           "\r\n\r\nzz\r\n",
         1, 4096, 4096, FAULT_CORRUPT},
        {"empty chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                             "\r\n\r\n\r\n",
         1, 4096, 4096, FAULT_CORRUPT},
        {"chunk longer than said",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n"
         "0\r\n\r\n",
         1, 4096, 4096, FAULT_CORRUPT},
        {"chunk size overflow",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         "10000000000000000\r\n",
         1, 4096, 4096, FAULT_TOO_LARGE},
        {"chunk-size line too long",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "\r\nx\r\n0\r\n\r\n",
         1, 4096, 4096, FAULT_TOO_LARGE},
        {"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
                           "abcde",
         1, 4096, 4096, FAULT_UNAVAILABLE},
        {"chunked cut short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
                              "\r\n\r\n5\r\nab",
         1, 4096, 4096, FAULT_UNAVAILABLE},
        {"head cut short", "HTTP/1.1 200 OK\r\nContent-Le", 1, 4096, 4096,
         FAULT_UNAVAILABLE},
        {"head over its bound",
         "HTTP/1.1 200 OK\r\nX-Big: 0123456789012345678901234567890123456789"
         "\r\n\r\n",
         1, 40, 4096, FAULT_TOO_LARGE},
        {"body over its bound (length)",
         "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789a", 1, 4096,
         10, FAULT_TOO_LARGE},
        {"body over its bound (chunked)",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345"
         "\r\n6\r\n012345\r\n0\r\n\r\n",
         1, 4096, 10, FAULT_TOO_LARGE},
        {"body over its bound (close)",
         "HTTP/1.1 200 OK\r\n\r\n0123456789a", 1, 4096, 10, FAULT_TOO_LARGE},
        {"trailers over the bound",
         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
         "X: 01234567890123456789012345678901234567890123456789\r\n"
         "Y: 01234567890123456789012345678901234567890123456789\r\n\r\n",
         1, 64, 4096, FAULT_TOO_LARGE},
        {"no answer in time", "HTTP/1.1 200 OK\r\n", 0, 4096, 4096,
         FAULT_UNAVAILABLE},
    };
    struct http_response r;
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fault_clear(&f);
        memset(&r, 0x5a, sizeof r);
        if (parse_raw(&r, cases[i].raw, strlen(cases[i].raw), cases[i].eof,
                      0, cases[i].max_head, cases[i].max_body, &f) != -1)
            fail_msg("%s: parsed (status %d)", cases[i].name, r.status);
        if (f.kind != cases[i].kind)
            fail_msg("%s: kind %d, want %d (%s)", cases[i].name, f.kind,
                     cases[i].kind, f.detail);
        assert_true(f.detail[0] != '\0');
        /* Cleared on failure. */
        assert_null(r.head);
        assert_null(r.body);
        assert_int_equal(r.status, 0);
    }
}

static void test_too_many_headers(void **state)
{
    char raw[8192];
    size_t n, i;
    struct http_response r;
    struct fault f;

    (void)state;
    n = (size_t)snprintf(raw, sizeof raw, "HTTP/1.1 200 OK\r\n");
    for (i = 0; i <= HTTP_MAX_HEADERS; i++)
        n += (size_t)snprintf(raw + n, sizeof raw - n, "X-%zu: v\r\n", i);
    n += (size_t)snprintf(raw + n, sizeof raw - n, "\r\n");
    assert_int_equal(parse_raw(&r, raw, n, 1, 0, sizeof raw, 100, &f), -1);
    assert_int_equal(f.kind, FAULT_TOO_LARGE);
}

/* Two answers back to back on one connection: the second is read from
 * what the first read left in the buffer. */
static void test_pipelined(void **state)
{
    static const char raw[] =
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n"
        "0\r\n\r\n"
        "HTTP/1.1 204 No Content\r\n\r\n";
    struct http_response r;
    struct http_conn conn;
    struct fault f;
    int sv[2];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[1], raw, strlen(raw)), (ssize_t)strlen(raw));
    http_conn_init(&conn, sv[0], 200);
    assert_int_equal(http_read_response(&r, &conn, 0, 4096, 4096, &f), 0);
    assert_string_equal((char *)r.body, "one");
    http_response_clear(&r);
    assert_int_equal(http_read_response(&r, &conn, 0, 4096, 4096, &f), 0);
    assert_string_equal((char *)r.body, "two");
    http_response_clear(&r);
    assert_int_equal(http_read_response(&r, &conn, 0, 4096, 4096, &f), 0);
    assert_int_equal(r.status, 204);
    http_response_clear(&r);
    assert_int_equal(conn.got, strlen(raw));
    close(sv[0]);
    close(sv[1]);
}

/* A body larger than the socket buffer, written by a thread. */
struct writer {
    int fd;
    const uint8_t *data;
    size_t len;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    size_t off = 0;

    while (off < w->len) {
        ssize_t n = write(w->fd, w->data + off, w->len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(w->fd);
    return NULL;
}

static void test_large_body(void **state)
{
    const size_t body = 3u << 20;
    char head[128];
    size_t hl = (size_t)snprintf(head, sizeof head,
                                 "HTTP/1.1 200 OK\r\nContent-Length: %zu"
                                 "\r\n\r\n", body);
    uint8_t *raw = malloc(hl + body);
    struct http_response r;
    struct http_conn conn;
    struct writer w;
    struct fault f;
    pthread_t t;
    size_t i;
    int sv[2];

    (void)state;
    assert_non_null(raw);
    memcpy(raw, head, hl);
    for (i = 0; i < body; i++)
        raw[hl + i] = (uint8_t)(i * 7);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    w.fd = sv[1];
    w.data = raw;
    w.len = hl + body;
    assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
    http_conn_init(&conn, sv[0], 5000);
    assert_int_equal(http_read_response(&r, &conn, 0, 4096, body, &f), 0);
    assert_int_equal(r.body_len, body);
    assert_memory_equal(r.body, raw + hl, body);
    http_response_clear(&r);
    pthread_join(t, NULL);
    close(sv[0]);
    free(raw);
}

/* ---- whole requests against a scripted server ------------------------ */

static void client_for(struct http_client *c, uint16_t port,
                       const char *prefix)
{
    char url[128];
    struct http_url u;
    struct fault f;

    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port,
             prefix);
    assert_int_equal(http_url_parse(&u, url, "--gateway", &f), 0);
    http_client_init(c, &u);
    c->conn.timeout_ms = 3000;
}

static uint64_t progress_seen;

static void on_progress(void *arg, uint64_t sent)
{
    (void)arg;
    assert_true(sent > progress_seen);
    progress_seen = sent;
}

static void test_request_keep_alive(void **state)
{
    static const struct httpstub_step steps[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst", 0, 0},
        {"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
         "6\r\nsecond\r\n0\r\n\r\n",
         0, 0},
        {"HTTP/1.1 204 No Content\r\n\r\n", 0, 0},
    };
    static const struct http_header hdrs[] = {{"X-Test", "yes"}};
    struct httpstub s;
    struct http_client c;
    struct http_response r;
    struct fault f;
    uint8_t *big;
    size_t i, big_len = 300000;
    char v[64];

    (void)state;
    big = malloc(big_len);
    assert_non_null(big);
    for (i = 0; i < big_len; i++)
        big[i] = (uint8_t)(i % 251);
    httpstub_start(&s, steps, 3);
    client_for(&c, s.port, "");
    assert_int_equal(http_client_request(&c, &r, "GET", "/v1/datasets?q=a",
                                         hdrs, 1, NULL, 0, NULL, NULL, &f),
                     0);
    assert_int_equal(r.status, 200);
    assert_string_equal((char *)r.body, "first");
    http_response_clear(&r);
    progress_seen = 0;
    assert_int_equal(http_client_request(&c, &r, "PUT", "/v1/x/parts/1", NULL,
                                         0, big, big_len, on_progress, NULL,
                                         &f),
                     0);
    assert_int_equal(progress_seen, big_len);
    assert_int_equal(r.status, 201);
    assert_string_equal((char *)r.body, "second");
    http_response_clear(&r);
    /* POST with no body still says Content-Length: 0. */
    assert_int_equal(http_client_request(&c, &r, "POST", "/p", NULL, 0, NULL,
                                         0, NULL, NULL, &f),
                     0);
    assert_int_equal(r.status, 204);
    http_response_clear(&r);
    assert_int_equal(c.connects, 1); /* one connection for all three */
    http_client_close(&c);
    httpstub_wait(&s);
    assert_int_equal(s.nreqs, 3);
    assert_int_equal(s.accepts, 1);
    assert_string_equal(s.reqs[0].method, "GET");
    assert_string_equal(s.reqs[0].target, "/v1/datasets?q=a");
    assert_non_null(httpstub_header(&s.reqs[0], "X-Test", v, sizeof v));
    assert_string_equal(v, "yes");
    snprintf(v, sizeof v, "127.0.0.1:%u", (unsigned)s.port);
    {
        char host[64];
        assert_non_null(httpstub_header(&s.reqs[0], "Host", host,
                                        sizeof host));
        assert_string_equal(host, v);
    }
    assert_null(httpstub_header(&s.reqs[0], "Content-Length", v, sizeof v));
    assert_string_equal(s.reqs[1].method, "PUT");
    assert_non_null(httpstub_header(&s.reqs[1], "Content-Length", v,
                                    sizeof v));
    assert_string_equal(v, "300000");
    assert_int_equal(s.reqs[1].body_len, big_len);
    assert_memory_equal(s.reqs[1].body, big, big_len);
    assert_non_null(httpstub_header(&s.reqs[2], "Content-Length", v,
                                    sizeof v));
    assert_string_equal(v, "0");
    httpstub_free(&s);
    free(big);
}

/* A response of n body bytes (byte i is (i * 13 + salt) % 251), framed by
 * Content-Length or chunked in pieces of 7000; malloc'd text. */
static char *body_response(size_t n, unsigned salt, int chunked)
{
    size_t cap = n * 2 + 4096, at = 0, i, off;
    char *out = malloc(cap);

    assert_non_null(out);
    if (!chunked) {
        at += (size_t)snprintf(out + at, cap - at,
                               "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                               "\r\n", n);
        for (i = 0; i < n; i++)
            out[at++] = (char)('!' + (i * 13 + salt) % 90);
    } else {
        at += (size_t)snprintf(out + at, cap - at,
                               "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                               "chunked\r\n\r\n");
        for (off = 0; off < n; off += 7000) {
            size_t k = n - off < 7000 ? n - off : 7000;
            at += (size_t)snprintf(out + at, cap - at, "%zx\r\n", k);
            for (i = off; i < off + k; i++)
                out[at++] = (char)('!' + (i * 13 + salt) % 90);
            at += (size_t)snprintf(out + at, cap - at, "\r\n");
        }
        at += (size_t)snprintf(out + at, cap - at, "0\r\n\r\n");
    }
    assert_true(at < cap);
    out[at] = '\0';
    return out;
}

/* Bodies read into the buffer a client keeps (http_client_keep_body):
 * larger and smaller than it, straight from the socket and through the
 * connection's buffer, framed by length and chunked; each is exact, and
 * a buffer large enough is used again. */
static void test_keep_body(void **state)
{
    static const struct {
        size_t n;
        int chunked;
    } cases[] = {{40000, 0}, {100, 0}, {70000, 0}, {20000, 1},
                 {0, 0},     {65536, 0}, {16384, 0}, {16385, 0}};
    enum { N = sizeof cases / sizeof cases[0] };
    struct httpstub_step steps[N];
    char *texts[N];
    struct httpstub s;
    struct http_client c;
    struct http_response r;
    struct fault f;
    size_t k, i, last_cap = 0;
    uint8_t *kept = NULL;

    (void)state;
    for (k = 0; k < N; k++) {
        texts[k] = body_response(cases[k].n, (unsigned)k, cases[k].chunked);
        steps[k].response = texts[k];
        steps[k].close_after = 0;
        steps[k].no_read_body = 0;
    }
    httpstub_start(&s, steps, N);
    client_for(&c, s.port, "");
    for (k = 0; k < N; k++) {
        assert_int_equal(http_client_request(&c, &r, "GET", "/o", NULL, 0,
                                             NULL, 0, NULL, NULL, &f),
                         0);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, cases[k].n);
        assert_true(r.body_cap > r.body_len);
        assert_int_equal(r.body[r.body_len], 0);
        for (i = 0; i < cases[k].n; i++)
            if (r.body[i] != (uint8_t)('!' + (i * 13 + k) % 90))
                fail_msg("case %zu: byte %zu differs", k, i);
        /* A kept buffer that was large enough is the one read into. */
        if (kept != NULL && cases[k].n + 1 <= last_cap && !cases[k].chunked)
            assert_ptr_equal(r.body, kept);
        http_client_keep_body(&c, &r);
        assert_null(r.body);
        assert_true(c.spare_cap >= last_cap);
        last_cap = c.spare_cap;
        kept = c.spare;
    }
    assert_int_equal(c.connects, 1);
    http_client_free(&c);
    assert_null(c.spare);
    assert_int_equal(c.spare_cap, 0);
    httpstub_wait(&s);
    assert_int_equal(s.nreqs, N);
    httpstub_free(&s);
    for (k = 0; k < N; k++)
        free(texts[k]);
}

/* The server closed a kept-alive connection after its answer (as an idle
 * timeout does): the next request goes out again on a new connection. */
static void test_request_stale_connection(void **state)
{
    static const struct httpstub_step steps[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", 1, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb", 0, 0},
    };
    struct httpstub s;
    struct http_client c;
    struct http_response r;
    struct fault f;

    (void)state;
    httpstub_start(&s, steps, 2);
    client_for(&c, s.port, "/prefix");
    assert_int_equal(http_client_request(&c, &r, "GET", "/a", NULL, 0, NULL, 0,
                                         NULL, NULL, &f),
                     0);
    assert_string_equal((char *)r.body, "a");
    assert_int_equal(r.keep_alive, 1);
    http_response_clear(&r);
    usleep(50000); /* let the close arrive */
    assert_int_equal(http_client_request(&c, &r, "PUT", "/b", NULL, 0,
                                         (const uint8_t *)"xyz", 3, NULL,
                                         NULL, &f),
                     0);
    assert_string_equal((char *)r.body, "b");
    http_response_clear(&r);
    assert_int_equal(c.connects, 2);
    http_client_close(&c);
    httpstub_wait(&s);
    assert_int_equal(s.nreqs, 2);
    assert_int_equal(s.reqs[1].conn, 2);
    assert_int_equal(s.reqs[1].body_len, 3);
    httpstub_free(&s);
}

/* A server that answers (413) before reading the body and closes. */
static void test_request_early_answer(void **state)
{
    static const struct httpstub_step steps[] = {
        {"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n"
         "Content-Length: 3\r\n\r\nbig",
         1, 1},
    };
    struct httpstub s;
    struct http_client c;
    struct http_response r;
    struct fault f;
    uint8_t *big = calloc(1, 8u << 20);
    int rv;

    (void)state;
    assert_non_null(big);
    httpstub_start(&s, steps, 1);
    client_for(&c, s.port, "");
    fault_clear(&f);
    rv = http_client_request(&c, &r, "PUT", "/big", NULL, 0, big, 8u << 20,
                             NULL, NULL, &f);
    /* Either the answer arrived, or the reset beat it: never a hang, never
     * a crash, and a clear failure otherwise. */
    if (rv == 0) {
        assert_int_equal(r.status, 413);
        http_response_clear(&r);
    } else {
        assert_int_equal(f.kind, FAULT_UNAVAILABLE);
    }
    assert_int_equal(c.conn.fd, -1);
    httpstub_wait(&s);
    httpstub_free(&s);
    free(big);
}

/* A loopback port that was just free: listen, note it, close. */
static uint16_t free_port(void)
{
    struct httpstub s;
    uint16_t port;

    httpstub_start(&s, NULL, 0);
    httpstub_wait(&s);
    port = s.port;
    httpstub_free(&s);
    return port;
}

/* A request through c, where nothing listens, fails to connect. */
static void assert_refused(struct http_client *c)
{
    struct http_response r;
    struct fault f;

    fault_clear(&f);
    assert_int_equal(http_client_request(c, &r, "GET", "/", NULL, 0, NULL, 0,
                                         NULL, NULL, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_UNAVAILABLE);
    assert_non_null(strstr(f.detail, "cannot connect"));
    assert_null(r.body);
}

static void test_request_refused(void **state)
{
    struct http_client c;

    (void)state;
    client_for(&c, free_port(), "");
    assert_refused(&c);
}

/* A host given as digits is used as is (no lookup); a name is looked up.
 * Both reach the same server, and each opens one connection. */
static void test_request_host_forms(void **state)
{
    static const struct httpstub_step steps[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, 0},
    };
    static const char *const hosts[] = {"127.0.0.1", "localhost"};
    struct httpstub s;
    struct http_client c;
    struct http_response r;
    struct http_url u;
    struct fault f;
    char url[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        httpstub_start(&s, steps, 1);
        snprintf(url, sizeof url, "http://%s:%u", hosts[i],
                 (unsigned)s.port);
        assert_int_equal(http_url_parse(&u, url, "--gateway", &f), 0);
        http_client_init(&c, &u);
        c.conn.timeout_ms = 3000;
        fault_clear(&f);
        assert_int_equal(http_client_request(&c, &r, "GET", "/", NULL, 0,
                                             NULL, 0, NULL, NULL, &f),
                         0);
        assert_int_equal(r.status, 200);
        assert_int_equal(c.connects, 1);
        http_response_clear(&r);
        http_client_free(&c);
        httpstub_wait(&s);
        httpstub_free(&s);
    }
    /* An IPv6 address in digits where nothing listens: refused at the
     * connection, never "cannot find" (it needed no lookup). Nothing of
     * ours listens on IPv6. */
    snprintf(url, sizeof url, "http://[::1]:%u", (unsigned)free_port());
    assert_int_equal(http_url_parse(&u, url, "--gateway", &f), 0);
    http_client_init(&c, &u);
    assert_refused(&c);
    http_client_free(&c);
}

static void test_request_misuse(void **state)
{
    static const struct http_header bad[] = {{"X-A", "line\r\nX-B: evil"}};
    struct http_client c;
    struct http_response r;
    struct fault f;

    (void)state;
    client_for(&c, 9, "");
    assert_int_equal(http_client_request(&c, &r, "GET", "no-slash", NULL, 0,
                                         NULL, 0, NULL, NULL, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    assert_int_equal(http_client_request(&c, &r, "GET", "/a b", NULL, 0, NULL,
                                         0, NULL, NULL, &f),
                     -1);
    assert_int_equal(http_client_request(&c, &r, "GET", "/", bad, 1, NULL, 0,
                                         NULL, NULL, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    assert_int_equal(c.connects, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_ok),
        cmocka_unit_test(test_url_bad),
        cmocka_unit_test(test_query_escape),
        cmocka_unit_test(test_response_ok),
        cmocka_unit_test(test_response_headers),
        cmocka_unit_test(test_response_bad),
        cmocka_unit_test(test_too_many_headers),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_large_body),
        cmocka_unit_test(test_request_keep_alive),
        cmocka_unit_test(test_keep_body),
        cmocka_unit_test(test_request_stale_connection),
        cmocka_unit_test(test_request_early_answer),
        cmocka_unit_test(test_request_refused),
        cmocka_unit_test(test_request_host_forms),
        cmocka_unit_test(test_request_misuse),
    };

    /* Sockets and threads: a bug must fail the run, never hang it. */
    alarm(120);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
