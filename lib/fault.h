/*
 * fault: how a failure travels up through sluice.
 *
 * Every fallible function below the gateway takes a `struct fault *` as its
 * last argument. On failure it fills in the kind (what the caller should do
 * about it), the field at fault when the failure is about one input, and a
 * detail sentence. The detail is written for the person who sent the input:
 * internals (SQL text, OpenSSL strings, file paths) go to the log instead.
 * The gateway maps a kind to an HTTP status in exactly one switch; the CLI
 * prints the detail once, from main.
 */
#ifndef SLUICE_LIB_FAULT_H
#define SLUICE_LIB_FAULT_H

#include <stddef.h>

enum fault_kind {
    FAULT_NONE = 0,
    FAULT_INVALID,      /* bad input: syntax, types, ranges, unknown fields */
    FAULT_UNAUTHORIZED, /* a request signature check failed */
    FAULT_PAYMENT,      /* not enough balance */
    FAULT_FORBIDDEN,    /* a valid signer without the right */
    FAULT_NOT_FOUND,    /* unknown resource */
    FAULT_CONFLICT,     /* the state does not allow it */
    FAULT_NONCE_REUSED, /* a signed request's nonce named another request */
    FAULT_IN_FLIGHT,    /* the same signed request is still being answered */
    FAULT_MAX_COST,     /* a query would cost more than its max_cost */
    FAULT_TOO_LARGE,    /* a body, row or file over its bound */
    FAULT_RATE_LIMITED, /* too many requests from one client; slow down */
    FAULT_UNAVAILABLE,  /* a dependency (the chain) is down; retry later */
    FAULT_CORRUPT,      /* stored data failed a hash, tag or format check */
    FAULT_IO,           /* the disk or the OS failed us */
    FAULT_INTERNAL      /* a bug or an impossible state */
};

#define FAULT_FIELD_MAX 64
#define FAULT_DETAIL_MAX 256

struct fault {
    enum fault_kind kind;
    char field[FAULT_FIELD_MAX];   /* "" when no single field is at fault */
    char detail[FAULT_DETAIL_MAX]; /* one sentence, no trailing newline */
};

/* Clear f to FAULT_NONE with empty field and detail. f may be NULL. */
void fault_clear(struct fault *f);

/* Record a failure in f (which may be NULL, then nothing is recorded).
 * field may be NULL. The detail is formatted with printf rules and cut to
 * FAULT_DETAIL_MAX - 1 bytes. Always returns -1, so that callers can write
 * `return fault_set(f, ...)`. */
int fault_set(struct fault *f, enum fault_kind kind, const char *field,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Return a stable lowercase name for kind ("invalid", "not_found", ...),
 * used in logs and problem type URNs. Never NULL. */
const char *fault_kind_name(enum fault_kind kind);

#endif
