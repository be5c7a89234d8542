/*
 * http: the small blocking HTTP/1.1 client of the sluice CLI.
 *
 * One connection at a time to the gateway named by an http:// URL: connect
 * with a timeout, send a request with a Content-Length body, read the
 * response whose body is framed by Content-Length, by chunked transfer
 * coding or by the connection's close. Everything the peer controls is
 * bounded: the header block, the number of headers, each chunk-size line,
 * the body. A connection whose last response allows it is kept open and
 * reused for the next request (uploads send many parts); when a reused
 * connection turns out to be closed before any byte of the answer arrived,
 * the request is sent once more on a fresh one (safe for sluice: a signed
 * request repeated with the same nonce gets the first answer back).
 *
 * https:// is not supported yet: http_url_parse says so.
 *
 * Failures: FAULT_INVALID for a bad URL; FAULT_INTERNAL for a misuse (a
 * target or header that would break the request line); FAULT_UNAVAILABLE
 * when the gateway cannot be reached, resets the connection or times out;
 * FAULT_CORRUPT for a response that is not HTTP/1.x; FAULT_TOO_LARGE for
 * a header block or body over its bound.
 */
#ifndef SLUICE_CLIENT_HTTP_H
#define SLUICE_CLIENT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define HTTP_HOST_MAX 256
#define HTTP_PREFIX_MAX 256
#define HTTP_MAX_HEADERS 100
#define HTTP_HEAD_MAX_DEFAULT (64 * 1024)
#define HTTP_BODY_MAX_DEFAULT ((size_t)64 << 20)
#define HTTP_CONN_BUF 16384

/* A parsed http:// URL. */
struct http_url {
    char host[HTTP_HOST_MAX];        /* a name or address, no brackets */
    char port[8];                    /* decimal, "80" when not given */
    char authority[HTTP_HOST_MAX + 10]; /* the Host header's value */
    char prefix[HTTP_PREFIX_MAX];    /* path before /v1/..., no trailing '/';
                                        "" for none */
};

/* One connection and its read buffer. fd is -1 when closed. */
struct http_conn {
    int fd;
    int timeout_ms; /* for each wait on the socket */
    uint8_t buf[HTTP_CONN_BUF];
    size_t pos, len;
    uint64_t got; /* bytes received since the request was sent */
    int closed;   /* the peer closed or reset the connection */
};

/* One response. Strings point into head (malloc'd); body is malloc'd
 * (body_cap bytes) and NUL-terminated (body[body_len] == 0) even when
 * empty. */
struct http_response {
    int status;
    int minor;         /* HTTP/1.minor */
    const char *reason;
    size_t nheaders;
    const char *names[HTTP_MAX_HEADERS];
    const char *values[HTTP_MAX_HEADERS];
    char *head;
    uint8_t *body;
    size_t body_len;
    size_t body_cap;
    int keep_alive;    /* the connection may carry another request */
};

/* A request header to send. */
struct http_header {
    const char *name;
    const char *value;
};

/* Called while a request body is being sent with the number of body bytes
 * written so far. */
typedef void (*http_progress_fn)(void *arg, uint64_t sent);

struct http_client {
    struct http_url url;
    int connect_timeout_ms;
    size_t max_head;
    size_t max_body;
    struct http_conn conn;
    unsigned requests_on_conn; /* answered on the open connection */
    unsigned connects;         /* connections opened (for tests) */
    uint8_t *spare;            /* a body buffer kept for the next response
                                  (http_client_keep_body), or NULL */
    size_t spare_cap;
};

/* Parse url: "http://" host [":" port] [path prefix], the host a name, an
 * IPv4 address or an [IPv6] address; no user info, query or fragment. A
 * trailing '/' of the prefix is dropped. Returns 0 with *out filled; on
 * failure -1 with *out zeroed and f FAULT_INVALID naming field (which may
 * be NULL), including a clear word for https:// (not supported yet). */
int http_url_parse(struct http_url *out, const char *url, const char *field,
                   struct fault *f) __attribute__((warn_unused_result));

/* Make c an idle client of url with the default bounds (connect timeout
 * 10 s, io timeout 60 s, head HTTP_HEAD_MAX_DEFAULT, body
 * HTTP_BODY_MAX_DEFAULT). Opens nothing. */
void http_client_init(struct http_client *c, const struct http_url *url);

/* Close c's connection if one is open. c stays usable. */
void http_client_close(struct http_client *c);

/* Close c's connection and free the body buffer it keeps. c stays usable
 * (as after http_client_init). */
void http_client_free(struct http_client *c);

/* Clear r (an answer c gave), keeping its body's buffer in c when it is
 * larger than the one c keeps, for the next response to read into: a
 * client fetching many large bodies then allocates (and faults in) none
 * after the first. The buffer is not wiped: use it for bodies that are
 * not secret (chunk objects are ciphertext). Free it with
 * http_client_free. */
void http_client_keep_body(struct http_client *c, struct http_response *r);

/* Send method target (target is sent as is: it must start with '/') with
 * the extra headers hdrs[0..nhdrs) and body[0..len) (a Content-Length is
 * sent whenever len > 0 or the method is POST, PUT or PATCH), then read
 * the response into *resp. progress, when not NULL, is told how much of
 * the body went out. Reuses the open connection when it may, and opens one
 * otherwise. Returns 0 with *resp filled (any status; the caller
 * http_response_clear's it); on failure -1 with *resp cleared, the
 * connection closed and f set (see the top of this file). */
int http_client_request(struct http_client *c, struct http_response *resp,
                        const char *method, const char *target,
                        const struct http_header *hdrs, size_t nhdrs,
                        const uint8_t *body, size_t len,
                        http_progress_fn progress, void *arg,
                        struct fault *f) __attribute__((warn_unused_result));

/* Make conn a reader of the connected socket fd (which it now owns) with
 * timeout_ms per wait. */
void http_conn_init(struct http_conn *conn, int fd, int timeout_ms);

/* Read one response from conn: the status line, at most max_head bytes of
 * header block (and HTTP_MAX_HEADERS headers), then the body as framed,
 * at most max_body bytes; 1xx interim responses are skipped. no_body is 1
 * for the answer to a HEAD request. Returns 0 with *out filled (the caller
 * http_response_clear's it); on failure -1 with *out cleared and f set.
 * conn->got counts the bytes taken from the socket. */
int http_read_response(struct http_response *out, struct http_conn *conn,
                       int no_body, size_t max_head, size_t max_body,
                       struct fault *f) __attribute__((warn_unused_result));

/* Return the value of the first header called name (any case) in r, or
 * NULL. */
const char *http_response_header(const struct http_response *r,
                                 const char *name);

/* Free what r holds and zero it. r may be NULL. */
void http_response_clear(struct http_response *r);

/* Append text to out[0..cap) (holding a NUL-terminated string) with every
 * byte but [A-Za-z0-9-._~] percent-encoded, as a query value. Returns 0, or
 * -1 (out unchanged) when it does not fit. */
int http_query_escape(char *out, size_t cap, const char *text)
    __attribute__((warn_unused_result));

#endif
