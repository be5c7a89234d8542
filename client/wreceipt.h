/*
 * wreceipt: the worker's check of a key release's receipt (DESIGN.md
 * 3.10).
 *
 * The receipt is the gateway's audit entry for the release, thirteen
 * lines "name: value" under "sluice-release-v1", its SHA-256 and the
 * gateway key's EIP-191 signature. Of its lines, the worker knows eight
 * from its own query and the answer (gateway, dataset, worker, query,
 * chunks, cost, balance_after, and that balance_after = credited_total -
 * spent_total); the others (index, prev, time, credited_total,
 * spent_total) must have their exact shape. The check rebuilds the whole
 * text from those values and compares it byte for byte, so that no line
 * can say one thing to the worker and another to an auditor.
 */
#ifndef SLUICE_CLIENT_WRECEIPT_H
#define SLUICE_CLIENT_WRECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/ethaddr.h"
#include "lib/fault.h"

#define WRECEIPT_FIRST_LINE "sluice-release-v1"
#define WRECEIPT_AMOUNT_MAX 80 /* room for a decimal amount and its NUL */

/* What the worker expects the receipt to say. */
struct wreceipt_expect {
    struct ethaddr gateway;       /* GET /v1/chain's gateway */
    uint8_t dataset_id[32];
    struct ethaddr worker;        /* the query's signer */
    uint8_t query_id[16];
    const uint64_t *chunks;       /* the answer's chunk indexes, ascending */
    size_t nchunks;
    const char *cost;             /* the answer's, decimal units */
    const char *balance_after;
};

/* The lines of a receipt that the worker learns from it. */
struct wreceipt_fields {
    uint64_t index;
    uint8_t prev[32];
    uint64_t time;
    char credited_total[WRECEIPT_AMOUNT_MAX];
    char spent_total[WRECEIPT_AMOUNT_MAX];
    uint8_t hash[32];
};

/* Check the answer's receipt object r ({"text", "hash", "signature"})
 * against e: the text has the shape of 3.10 and equals, byte for byte,
 * the entry rebuilt from e and its own index, prev, time, credited_total
 * and spent_total; balance_after = credited_total - spent_total; hash is
 * 0x + the SHA-256 of the text; signature is 0x + 65 bytes whose EIP-191
 * signer is e->gateway. Returns 0 with *out filled; on failure -1 with
 * *out zeroed and f FAULT_CORRUPT saying which check failed (naming the
 * first line that differs), or FAULT_INTERNAL when memory runs out. */
int wreceipt_check(struct wreceipt_fields *out, const json_t *r,
                   const struct wreceipt_expect *e, struct fault *f)
    __attribute__((warn_unused_result));

/* Check a receipt r ({"text", "hash", "signature"}) on its own, as a
 * kept receipt is checked later: the text has the shape of 3.10, hash is
 * the SHA-256 of the text, and signature is a valid EIP-191 signature of
 * it. Returns 0 with *out (index, prev, time, credited_total,
 * spent_total, hash) and *signer set; on failure -1 with both zeroed and
 * f FAULT_CORRUPT saying which check failed. */
int wreceipt_verify(struct wreceipt_fields *out, struct ethaddr *signer,
                    const json_t *r, struct fault *f)
    __attribute__((warn_unused_result));

/* Build the text of a receipt from e and the lines in fl (what a gateway
 * writes; tests sign it). Returns 0 with *out malloc'd (NUL-terminated,
 * *len bytes; the caller frees it); on failure -1 with *out = NULL, *len
 * = 0 and f set (FAULT_INTERNAL). */
int wreceipt_text(char **out, size_t *len, const struct wreceipt_expect *e,
                  const struct wreceipt_fields *fl, struct fault *f)
    __attribute__((warn_unused_result));

/* Return 1 if text is a decimal amount of DESIGN.md 3.2 (0|[1-9][0-9]*,
 * at most WRECEIPT_AMOUNT_MAX - 1 digits), else 0. */
int wreceipt_is_amount(const char *text);

#endif
