/*
 * httpserve: a small HTTP/1.1 server on 127.0.0.1, port 0, for unit tests
 * of clients that talk to a gateway and to object servers at once (the
 * worker library): every request, on any number of kept-alive
 * connections, goes to one handler function the test writes, which plays
 * the server's part. Requests are handled one at a time (the handler needs
 * no locking), each connection on a thread of its own, so that a client's
 * parallel downloads really are parallel on the wire.
 */
#ifndef SLUICE_TESTS_HTTPSERVE_H
#define SLUICE_TESTS_HTTPSERVE_H

#include <stddef.h>
#include <stdint.h>

struct httpserve_req {
    char method[16];
    char target[4096];
    char head[16384];   /* the header lines, as received */
    const uint8_t *body;
    size_t body_len;
};

/* What the handler answers; the server frees body (malloc'd) after
 * sending it. */
struct httpserve_resp {
    int status;                 /* 200 unless set */
    const char *content_type;   /* NULL: application/json */
    uint8_t *body;
    size_t body_len;
    char headers[1024];         /* extra lines, each ending in \r\n */
    int close;                  /* close the connection after it */
};

typedef void (*httpserve_fn)(void *arg, const struct httpserve_req *req,
                             struct httpserve_resp *resp);

struct httpserve;

/* Start a server that answers every request with fn(arg, ...). Aborts the
 * test run if it cannot listen. */
struct httpserve *httpserve_start(httpserve_fn fn, void *arg);

/* Return the port it listens on. */
uint16_t httpserve_port(const struct httpserve *s);

/* Return the most connections that were open at the same time. */
unsigned httpserve_max_open(const struct httpserve *s);

/* Stop it: close every connection, wait for its threads, free it. */
void httpserve_stop(struct httpserve *s);

/* Return the value of header name in req (any case), copied into
 * out[0..cap), or NULL when absent. */
const char *httpserve_header(const struct httpserve_req *req,
                             const char *name, char *out, size_t cap);

/* Set resp's body to a copy of text (and its length). */
void httpserve_text(struct httpserve_resp *resp, int status,
                    const char *content_type, const char *text);

#endif
