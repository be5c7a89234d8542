/*
 * gwtest: the gateway in the test's own process, for the in-process HTTP
 * tests of tests/http/ (libevent's regress_http habit): each case starts
 * a fresh gateway (its own event_base, data dir and port 0, read back
 * after bind) whose loop runs on a thread of its own, talks to it over a
 * plain blocking socket on 127.0.0.1, and stops it before the next case.
 * Every helper aborts the test (cmocka fail) when the harness itself
 * fails, so a case reads as the requests it makes and the checks on
 * their answers.
 */
#ifndef SLUICE_TESTS_GWTEST_H
#define SLUICE_TESTS_GWTEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/server.h"
#include "lib/ethkey.h"

struct gwtest {
    char *dir;                     /* the data dir's parent, removed at stop */
    struct gateway_options opt;
    struct gateway *gw;
    pthread_t loop;
    uint16_t port;
};

/* An answer: status, the raw header block (NUL-terminated) and the body
 * (NUL-terminated too, for string checks). */
struct gwtest_resp {
    int status;
    char *head;
    char *body;
    size_t body_len;
};

/* Start a gateway with the defaults of sluiced (no chain, no page, rate
 * limit off), after adjust(opt) when adjust is not NULL. */
void gwtest_start(struct gwtest *t, void (*adjust)(struct gateway_options *));

/* Stop and free it, and remove its folder. */
void gwtest_stop(struct gwtest *t);

/* Send len raw bytes on a fresh connection and read one answer into *r
 * (free with gwtest_resp_clear). head_request: the answer has no body. */
void gwtest_raw(struct gwtest *t, const char *raw, size_t len,
                int head_request, struct gwtest_resp *r);

/* Send method target with body (may be NULL) and extra header lines
 * ("Name: value\r\n"..., may be NULL), unsigned. */
void gwtest_send(struct gwtest *t, const char *method, const char *target,
                 const char *body, const char *extra, struct gwtest_resp *r);

/* What a signed request carries; every part can be set to tamper. */
struct gwtest_sig {
    const char *timestamp;  /* NULL: now */
    const char *nonce;      /* NULL: a fresh random one */
    const char *signature;  /* NULL: the real one */
    const char *omit;       /* a header to leave out, or NULL */
    const char *extra;      /* more header lines, or NULL */
    int high_s;             /* send the high-s twin of the signature */
    const char *sign_body;  /* sign this body instead of the one sent */
    char used_nonce[130];   /* out: the nonce sent */
};

/* Send method target with body (NULL: none), signed by k as DESIGN.md 3.1
 * says, tampered with as s says (s may be NULL). */
void gwtest_signed(struct gwtest *t, const struct ethkey *k,
                   const char *method, const char *target, const char *body,
                   struct gwtest_sig *s, struct gwtest_resp *r);

/* The value of header name in r (case-insensitive), copied into out;
 * returns out, or NULL when absent. */
const char *gwtest_header(const struct gwtest_resp *r, const char *name,
                          char *out, size_t cap);

/* Free what r holds. */
void gwtest_resp_clear(struct gwtest_resp *r);

/* A deterministic key from one byte (secret = that byte repeated). */
void gwtest_key(struct ethkey *k, uint8_t seed);

/* Run fn(gw, arg) on the gateway's loop thread (which owns its database
 * handles and ledger) and wait until it has returned: how a test reaches
 * the ledger directly, to credit a payment as the chain follower would. */
void gwtest_on_loop(struct gwtest *t, void (*fn)(struct gateway *gw, void *arg),
                    void *arg);
#endif
