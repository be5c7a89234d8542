/*
 * reqsig: request signatures of protocol v1 (DESIGN.md 3.1), free of HTTP
 * types so that the gateway, the CLI and tests share one implementation.
 *
 * A signed request carries X-Sluice-Timestamp, X-Sluice-Nonce and
 * X-Sluice-Signature. The signed text is six lines joined by "\n":
 * "sluice-request-v1", the method, the request target as sent, the
 * lowercase hex SHA-256 of the body, the timestamp and the nonce, signed as
 * an EIP-191 personal message. The gateway checks the timestamp and nonce
 * first (reqsig_check_*), builds the message, then recovers the signer with
 * reqsig_verify; every failure of those three is FAULT_UNAUTHORIZED naming
 * the header at fault (a 401). reqsig_message itself, also used by clients
 * to build what they sign, reports FAULT_INVALID.
 */
#ifndef SLUICE_LIB_REQSIG_H
#define SLUICE_LIB_REQSIG_H

#include <secp256k1.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/ethsig.h"
#include "lib/fault.h"

#define REQSIG_HEADER_TIMESTAMP "X-Sluice-Timestamp"
#define REQSIG_HEADER_NONCE "X-Sluice-Nonce"
#define REQSIG_HEADER_SIGNATURE "X-Sluice-Signature"
#define REQSIG_HEADER_ADDRESS "X-Sluice-Address"
#define REQSIG_FIRST_LINE "sluice-request-v1"
#define REQSIG_WINDOW_S 300 /* |now - ts| may be at most this */
#define REQSIG_NONCE_MIN 16
#define REQSIG_NONCE_MAX 64

/* Build the canonical signed text of a request: the six lines above joined
 * by "\n", no trailing newline. method is a non-empty HTTP token (e.g.
 * "POST"); target[0..target_len) is the origin-form request target exactly
 * as sent (starts with '/', no space or control byte); body may be NULL
 * when body_len is 0; timestamp and nonce are the header values as sent and
 * must pass the syntax of reqsig_check_timestamp and reqsig_check_nonce.
 * Returns 0 with *out a malloc'd NUL-terminated string of *outlen bytes
 * (the caller frees it); on failure -1 with *out = NULL, *outlen = 0 and f
 * set (FAULT_INVALID naming "method", "target", REQSIG_HEADER_TIMESTAMP or
 * REQSIG_HEADER_NONCE; FAULT_INTERNAL when out of memory). */
int reqsig_message(char **out, size_t *outlen, const char *method,
                   const char *target, size_t target_len, const uint8_t *body,
                   size_t body_len, const char *timestamp, const char *nonce,
                   struct fault *f) __attribute__((warn_unused_result));

/* As reqsig_message, with the SHA-256 of the body given instead of the
 * body (for bodies that are hashed as they stream in). */
int reqsig_message_hashed(char **out, size_t *outlen, const char *method,
                          const char *target, size_t target_len,
                          const uint8_t body_sha256[32],
                          const char *timestamp, const char *nonce,
                          struct fault *f) __attribute__((warn_unused_result));

/* Check the timestamp text[0..len) against the clock now (unix seconds):
 * ASCII decimal, no sign, no leading zero, and |now - ts| <= 300. Returns 0
 * with *ts set; on failure -1 with *ts = 0 and f FAULT_UNAUTHORIZED naming
 * REQSIG_HEADER_TIMESTAMP. */
int reqsig_check_timestamp(int64_t *ts, const char *text, size_t len,
                           int64_t now, struct fault *f)
    __attribute__((warn_unused_result));

/* Check that the nonce text[0..len) is 16 to 64 characters of
 * [A-Za-z0-9_-]. Returns 0; on failure -1 with f FAULT_UNAUTHORIZED naming
 * REQSIG_HEADER_NONCE. */
int reqsig_check_nonce(const char *text, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Sign message[0..len) (from reqsig_message) with key as an EIP-191
 * personal message and write the X-Sluice-Signature value ("0x" + 130
 * lowercase hex digits, NUL-terminated) to sig_text. Returns 0; on failure
 * -1 with sig_text = "" and f set (as ethsig_sign_hash). */
int reqsig_sign(char sig_text[ETHSIG_TEXT_SIZE], const struct ethkey *key,
                const char *message, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Recover the signer of message[0..len) from the X-Sluice-Signature value
 * sig_text[0..sig_len). Returns 0 with *pub and *addr set (either may be
 * NULL when not wanted); on failure -1 with them zeroed and f
 * FAULT_UNAUTHORIZED naming REQSIG_HEADER_SIGNATURE (malformed, high-s, bad
 * v, zero or out-of-range r or s, or unrecoverable; FAULT_INTERNAL without
 * a secp256k1 context). */
int reqsig_verify(secp256k1_pubkey *pub, struct ethaddr *addr,
                  const char *sig_text, size_t sig_len, const char *message,
                  size_t len, struct fault *f)
    __attribute__((warn_unused_result));

#endif
