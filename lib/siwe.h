/*
 * siwe: Sign-In with Ethereum messages (EIP-4361), read strictly, and the
 * checks a relying party makes of one (DESIGN.md 3.11).
 *
 * A message is the ABNF of EIP-4361 (with the optional "scheme://" before
 * the domain of its later revision), byte for byte: LF line ends only, no
 * trailing line end, ASCII only, each line in its place. Reading it and
 * checking it are two steps, so that a message that does not parse (400,
 * the term at fault named) is told apart from one that parses but is not
 * for this gateway, now (401, the term at fault named).
 *
 * The field names of the faults are the message's terms in snake case:
 * "scheme", "domain", "address", "statement", "uri", "version",
 * "chain_id", "nonce", "issued_at", "expiration_time", "not_before",
 * "request_id", "resources", and "message" for the shape of the whole
 * (a line out of place, a CR, a trailing line end).
 */
#ifndef SLUICE_LIB_SIWE_H
#define SLUICE_LIB_SIWE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ethaddr.h"
#include "lib/fault.h"

/* Bounds of what we read (EIP-4361 leaves maximum lengths to the relying
 * party): a message, an authority (a domain, a URI's), a scheme, a nonce,
 * a version. */
#define SIWE_MAX_LEN 8192
#define SIWE_AUTHORITY_MAX 255
#define SIWE_SCHEME_MAX 32
#define SIWE_NONCE_MAX 64
#define SIWE_VERSION_MAX 8

/* How far ahead Expiration Time may be, and how far ahead of our clock
 * Issued At may be (a wallet's clock runs a little fast). */
#define SIWE_MAX_LIFETIME_S 86400
#define SIWE_ISSUED_AT_SKEW_S 300

struct siwe_message {
    char scheme[SIWE_SCHEME_MAX + 1];  /* before the domain; "" when none */
    char domain[SIWE_AUTHORITY_MAX + 1];
    struct ethaddr address;
    char uri_scheme[SIWE_SCHEME_MAX + 1];
    int uri_has_authority;             /* the URI has "//" authority */
    char uri_authority[SIWE_AUTHORITY_MAX + 1];
    char version[SIWE_VERSION_MAX + 1]; /* digits, as written */
    uint64_t chain_id;
    char nonce[SIWE_NONCE_MAX + 1];
    int64_t issued_at_ms;              /* unix milliseconds */
    int has_expiration_time;
    int64_t expiration_time_ms;
    int has_not_before;
    int64_t not_before_ms;
};

/* Read text[0..len) as an EIP-4361 message. Statement, request id and
 * resources are checked for syntax and not kept. Returns 0 with *out set;
 * on failure -1 with *out zeroed and f FAULT_INVALID naming the term at
 * fault (see above). An address in mixed case must carry a valid EIP-55
 * checksum; a chain id has no leading zero and fits 64 bits; a version is
 * 1 to SIWE_VERSION_MAX digits (whether it is 1 is siwe_check's). */
int siwe_parse(struct siwe_message *out, const char *text, size_t len,
               struct fault *f) __attribute__((warn_unused_result));

/* Find the nonce of text[0..len), a message that may not parse: the
 * nonce siwe_parse reads when it parses (its Nonce field, never a
 * statement that begins "Nonce: "), else the value of its first line
 * "Nonce: <8 to SIWE_NONCE_MAX letters and digits>" (that line may end in
 * CR). Returns 1 with out set, or 0 with out "" when there is none. */
int siwe_find_nonce(char out[SIWE_NONCE_MAX + 1], const char *text,
                    size_t len);

/* Read an RFC 3339 date-time (fractional seconds allowed, "T" and "Z" in
 * either case) as unix milliseconds (digits past the third of a fraction
 * dropped). Returns 0 with *out_ms set; on failure -1 with *out_ms 0 and f
 * FAULT_INVALID naming field. */
int siwe_parse_time(int64_t *out_ms, const char *s, size_t len,
                    const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* What a message must say to sign in here. */
struct siwe_expect {
    const char *scheme;    /* the gateway's: "http", or "https" under TLS */
    const char *authority; /* the request's Host; NULL when it has none */
    uint64_t chain_id;     /* the chain followed; 0: none (none passes) */
    int64_t now_ms;        /* unix milliseconds */
};

/* Check m against e, in this order: domain (the Host, ASCII case-
 * insensitive, port included), scheme (when the message has one), uri
 * (scheme and authority; path, query and fragment ignored), version (1),
 * chain_id, expiration_time (present, and now < exp <= now + 24 h, taken
 * in whole seconds of exp), issued_at (<= now + 300 s), not_before (when
 * present, <= now). Returns 0; on failure -1 with f FAULT_UNAUTHORIZED
 * naming the first that fails. The nonce and the signature are not
 * checked here. */
int siwe_check(const struct siwe_message *m, const struct siwe_expect *e,
               struct fault *f) __attribute__((warn_unused_result));

/* Return when a session signed in with m ends: its Expiration Time in
 * whole unix seconds (rounded down), or 0 when it has none. */
int64_t siwe_expires(const struct siwe_message *m);

/* Check that sig[0..sig_len) ("0x" + 130 hex digits, 3.1's rules: low-s,
 * v 0, 1, 27 or 28) is an EIP-191 personal signature of text[0..len) by
 * m's address. Returns 0; on failure -1 with f FAULT_UNAUTHORIZED naming
 * "signature" (malformed, or no key recovers) or "address" (another key
 * signed), FAULT_INTERNAL without a secp256k1 context. */
int siwe_verify(const struct siwe_message *m, const char *text, size_t len,
                const char *sig, size_t sig_len, struct fault *f)
    __attribute__((warn_unused_result));

#endif
