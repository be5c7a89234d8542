/*
 * audit: the texts of the audit log and of its signed head (DESIGN.md
 * 3.10), made and checked here, byte for byte, whatever stores them.
 *
 * Entry n (from 1) is UTF-8 text, lines joined by "\n", no trailing
 * newline, each "name: value":
 *
 *   sluice-release-v1
 *   index: <n>
 *   prev: 0x<hash of entry n-1; 32 zero bytes for n = 1>
 *   time: <unix seconds>
 *   gateway: <EIP-55>
 *   dataset: 0x<dataset_id>
 *   worker: <EIP-55>
 *   query: 0x<query_id>
 *   chunks: <ascending decimal indexes joined by ",", empty when none>
 *   cost: <units>
 *   balance_after: <units>
 *   credited_total: <units>
 *   spent_total: <units>
 *
 * Its hash is SHA-256 of the text; a receipt is the gateway's EIP-191
 * signature over it. The head is the four lines "sluice-audit-head-v1",
 * the index, 0x + the hash, and the time, joined by "\n".
 */
#ifndef SLUICE_PRICING_AUDIT_H
#define SLUICE_PRICING_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ethaddr.h"
#include "lib/fault.h"

#define AUDIT_FIRST_LINE "sluice-release-v1"
#define AUDIT_HEAD_FIRST_LINE "sluice-audit-head-v1"

/* Room for a head's text: the first line, two 20-digit numbers, a hash. */
#define AUDIT_HEAD_TEXT_MAX 160

/* What one entry says. */
struct audit_entry {
    uint64_t index;          /* from 1 */
    uint8_t prev[32];        /* the previous entry's hash; zeros for 1 */
    int64_t time;
    struct ethaddr gateway;
    uint8_t dataset_id[32];
    struct ethaddr worker;
    uint8_t query_id[16];
    const uint64_t *chunks;  /* ascending; may be NULL when nchunks is 0 */
    size_t nchunks;
    uint64_t cost;
    uint64_t balance_after;
    uint64_t credited_total;
    uint64_t spent_total;
};

/* Write entry e's text into *out (malloc'd, NUL-terminated, the caller
 * frees) and its length into *len, and its SHA-256 into hash. Returns 0;
 * on failure -1 with *out = NULL, *len = 0 and f set (FAULT_INTERNAL: out
 * of memory; FAULT_INVALID for an index of 0 or chunks not ascending). */
int audit_entry_text(char **out, size_t *len, uint8_t hash[32],
                     const struct audit_entry *e, struct fault *f)
    __attribute__((warn_unused_result));

/* Write the text of the head (index, hash, time) into out (cap bytes,
 * NUL-terminated). Returns its length, or 0 when cap is too small. */
size_t audit_head_text(char *out, size_t cap, uint64_t index,
                       const uint8_t hash[32], int64_t time);

/* Read the index, prev and time lines of an entry's text[0..len) (the
 * rest is not checked here). Returns 0 with them set; -1 with them zeroed
 * and f set (FAULT_CORRUPT naming what is wrong) when the text is not an
 * entry's. */
int audit_entry_links(uint64_t *index, uint8_t prev[32], int64_t *time,
                      const char *text, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Parse text[0..len) as an entry into *out. Only the text audit_entry_text
 * writes is an entry: the thirteen lines in their order, EIP-55
 * addresses, lowercase hex, decimals without a leading zero, index, time
 * and amounts at most 2^63 - 1, chunks strictly ascending; so the text
 * made again from *out is text, byte for byte, and its hash is the same.
 * Returns 0 with *out set and its chunks in *chunks (malloc'd, the caller
 * frees it; NULL when there are none; out->chunks is *chunks); on failure
 * -1 with *out zeroed, *chunks = NULL and f set (FAULT_CORRUPT, the detail
 * naming the line that is wrong; FAULT_INTERNAL when out of memory). */
int audit_entry_parse(struct audit_entry *out, uint64_t **chunks,
                      const char *text, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* The state of a check over a log, entry by entry (audit_check_next). */
struct audit_check {
    uint64_t count;       /* entries checked */
    uint8_t last[32];     /* the hash of the last one */
    int64_t last_time;    /* the time line of the last one */
    uint64_t broken;      /* the entry the failing call named; 0 while none */
};

/* Start a check from the first entry. */
void audit_check_start(struct audit_check *c);

/* Check the next entry, stored as text[0..len) with stored_hash under
 * stored_index, in this order: its hash is SHA-256 of its text; its text
 * is an entry (audit_entry_parse); it is the next entry (no index
 * skipped); its text says the index it is stored under; its prev is the
 * last one's hash (32 zero bytes for the first); its amounts add up
 * (balance_after = credited_total - spent_total, cost <= spent_total, as
 * every release leaves them). Returns 0 (c moves on); -1 with f set
 * (FAULT_CORRUPT, the detail "entry N: what breaks") and c->broken = N,
 * the entry named: the one that fails, or for a gap the first one
 * missing; the rest of c is then as before the call. */
int audit_check_next(struct audit_check *c, uint64_t stored_index,
                     const char *text, size_t len,
                     const uint8_t stored_hash[32], struct fault *f)
    __attribute__((warn_unused_result));

#endif
