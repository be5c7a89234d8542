/*
 * auth: request signatures (DESIGN.md 3.1) at the door.
 *
 * A check takes the three X-Sluice headers of a request against its
 * method, exact request-target and body hash, recovers the signer, and
 * checks the optional X-Sluice-Address. Every failure is FAULT_UNAUTHORIZED
 * naming the header at fault, except a Content-Encoding other than
 * identity (FAULT_INVALID: the body hash would be ambiguous).
 */
#ifndef SLUICE_GATEWAY_AUTH_H
#define SLUICE_GATEWAY_AUTH_H

#include "gateway/gateway.h"

/* Return 1 if the request carries any of X-Sluice-Timestamp, -Nonce or
 * -Signature (it is then a signed request, checked whole), else 0. */
int auth_present(struct gw_ctx *c);

/* The headers a signature depends on, as text and length (text NULL when
 * the header is absent), and the name of one given more than once. */
struct auth_headers {
    const char *ts, *nonce, *sig, *addr, *enc;
    size_t ts_len, nonce_len, sig_len, addr_len, enc_len;
    const char *twice; /* NULL, or the header given twice */
};

/* Check what of a signature can be checked without the body, at unix time
 * now: no header twice, no Content-Encoding other than identity, the
 * three headers present, the timestamp in its window, the nonce's and the
 * signature's syntax. The gate runs this before a body is read (gate.h),
 * auth_begin again once it is. Returns 0, or -1 with f set: FAULT_INVALID
 * for a Content-Encoding, else FAULT_UNAUTHORIZED naming the header. */
int auth_check_headers(const struct auth_headers *h, int64_t now,
                       struct fault *f) __attribute__((warn_unused_result));

/* A signature check in three steps, so that the secp256k1 recovery (some
 * 37 us of CPU, three times a cached GET) can run on another core while
 * the event loop goes on:
 *   auth_begin      on the loop: the headers, the timestamp and nonce
 *                   checks, the message; fills *a;
 *   auth_check_run  anywhere: the recovery, reading and writing *a only;
 *   auth_end        on the loop, with c->req still alive: the outcome and
 *                   the X-Sluice-Address check, into c. */
struct auth_check {
    char *message; /* the signed text (malloc'd) */
    size_t message_len;
    char *sig;         /* a copy of X-Sluice-Signature (malloc'd) */
    const char *addr;  /* X-Sluice-Address in c->req's headers, or NULL */
    const char *nonce; /* X-Sluice-Nonce in c->req's headers */
    /* auth_check_run's outcome */
    int rv;
    secp256k1_pubkey pub;
    struct ethaddr signer;
    struct fault fault;
};

/* Start checking c's signature into *a (zeroed here first). Returns 0;
 * -1 with c->fault set and nothing held in *a when the headers already
 * fail (missing, malformed, stale, another Content-Encoding). */
int auth_begin(struct gw_ctx *c, struct auth_check *a)
    __attribute__((warn_unused_result));

/* Recover the signer of a->message from a->sig into a->pub and a->signer
 * (a->rv 0), or set a->rv -1 and a->fault. Touches nothing but *a and
 * libsecp256k1's shared, read-only context: safe on any thread. */
void auth_check_run(struct auth_check *a);

/* Finish: on a->rv 0 and a matching X-Sluice-Address, return 0 with
 * c->is_signed, c->signer, c->signer_text, c->signer_pub and c->nonce
 * set; otherwise -1 with c->fault set. Frees what *a holds either way. */
int auth_end(struct gw_ctx *c, struct auth_check *a)
    __attribute__((warn_unused_result));

/* Free what *a holds (a check that will not be ended). */
void auth_check_clear(struct auth_check *a);

#endif
