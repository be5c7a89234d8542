/*
 * nonces: the memory of signed requests (DESIGN.md 3.1).
 *
 * Each (address, nonce) that a verified signed request used is kept with
 * what was asked (method, target, body hash) and the answer it got, so
 * that a retry gets the same answer and no second effect, and a different
 * request under the same nonce is refused. A row is written in the same
 * transaction as the request's effect: a crash leaves both or neither.
 * Only answers below 500 are kept (a 5xx may be retried for real).
 */
#ifndef SLUICE_STORAGE_NONCES_H
#define SLUICE_STORAGE_NONCES_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define NONCES_ADDRESS_SIZE 43
#define NONCES_NONCE_SIZE 65

struct nonce_record {
    char address[NONCES_ADDRESS_SIZE]; /* EIP-55 */
    char nonce[NONCES_NONCE_SIZE];
    int64_t created_at;
    char method[8];
    char *target;       /* owned */
    uint8_t body_sha256[32];
    int status;
    char content_type[64];
    char *location;     /* owned; NULL when none */
    uint8_t *response;  /* owned */
    size_t response_len;
};

/* Free what r owns and zero it. r may be NULL. */
void nonces_record_clear(struct nonce_record *r);

/* Look up (address, nonce). Returns 0 with *found set and, when found, *out
 * filled (free with nonces_record_clear); -1 with f set on a database
 * error (*found = 0, *out zeroed). */
int nonces_lookup(sqlite3 *db, struct nonce_record *out, int *found,
                  const char *address, const char *nonce, struct fault *f)
    __attribute__((warn_unused_result));

/* Insert r. Returns 0, or -1 with f set (FAULT_CONFLICT when the pair is
 * already there). */
int nonces_insert(sqlite3 *db, const struct nonce_record *r, struct fault *f)
    __attribute__((warn_unused_result));

/* Delete the records created before cutoff (unix seconds). Returns the
 * number deleted, or -1 with f set. */
long nonces_expire(sqlite3 *db, int64_t cutoff, struct fault *f);

#endif
