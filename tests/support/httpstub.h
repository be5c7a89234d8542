/*
 * httpstub: a scripted HTTP server on 127.0.0.1, port 0, in a thread, for
 * unit tests of the client side. Each step answers one request with raw
 * bytes (anything, malformed on purpose too) and may then close the
 * connection; the requests it read are kept for the test to check.
 */
#ifndef SLUICE_TESTS_HTTPSTUB_H
#define SLUICE_TESTS_HTTPSTUB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define HTTPSTUB_STEPS_MAX 16

struct httpstub_step {
    const char *response; /* raw bytes to send (NUL-terminated) */
    int close_after;      /* close the connection after sending */
    int no_read_body;     /* answer after the head, leaving the body */
};

struct httpstub_req {
    char method[16];
    char target[2048];
    char head[8192];      /* the request's header lines, as received */
    uint8_t *body;        /* malloc'd */
    size_t body_len;
    unsigned conn;        /* which accepted connection (1, 2, ...) */
};

struct httpstub {
    int lfd;
    uint16_t port;
    pthread_t thread;
    const struct httpstub_step *steps;
    size_t nsteps;
    struct httpstub_req reqs[HTTPSTUB_STEPS_MAX];
    size_t nreqs;
    unsigned accepts;
};

/* Start a stub that answers steps[0..n) in order, one per request. Aborts
 * the test run if it cannot listen. */
void httpstub_start(struct httpstub *s, const struct httpstub_step *steps,
                    size_t n);

/* Wait for the stub's thread: it ends after the last step (once the
 * client has closed), or after 5 s without a connection. The requests
 * stay in s->reqs for the test to check. */
void httpstub_wait(struct httpstub *s);

/* Free what s holds (after httpstub_wait). */
void httpstub_free(struct httpstub *s);

/* Return the value of header name in req (any case), copied into
 * out[0..cap), or NULL when absent. */
const char *httpstub_header(const struct httpstub_req *req, const char *name,
                            char *out, size_t cap);

#endif
