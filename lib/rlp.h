/*
 * rlp: Ethereum's Recursive Length Prefix encoding (yellow paper,
 * appendix B), written into a caller's bounded buffer.
 *
 * An item is a byte string or a list of items. A string of one byte below
 * 0x80 is itself; a string of up to 55 bytes is 0x80 + length, then the
 * bytes; a longer one is 0xb7 + the length of its big-endian length, the
 * length, then the bytes. Lists are the same with 0xc0 and 0xf7 over the
 * concatenated encodings of their items. Integers are their big-endian
 * bytes without leading zeros, so 0 is the empty string (0x80).
 *
 * The writer is a builder with a sticky failure, so that a caller can
 * write a whole structure and check once at rlp_finish: once an item does
 * not fit, or lists nest deeper than RLP_DEPTH_MAX, or rlp_list_end comes
 * without its rlp_list_begin, every later call does nothing.
 */
#ifndef SLUICE_LIB_RLP_H
#define SLUICE_LIB_RLP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define RLP_DEPTH_MAX 16

enum rlp_state {
    RLP_OK = 0,
    RLP_FULL,    /* an item did not fit in the buffer */
    RLP_NESTING  /* too deep, or a list end without its begin */
};

struct rlp {
    uint8_t *out;
    size_t cap;
    size_t len;                 /* bytes written so far */
    size_t open[RLP_DEPTH_MAX]; /* where each open list's payload starts */
    size_t depth;
    enum rlp_state state;
};

/* Start writing into out[0..cap). */
void rlp_init(struct rlp *r, uint8_t *out, size_t cap);

/* Append the byte string p[0..n) (p may be NULL when n is 0). */
void rlp_bytes(struct rlp *r, const uint8_t *p, size_t n);

/* Append v as an integer: its big-endian bytes without leading zeros. */
void rlp_uint(struct rlp *r, uint64_t v);

/* Append the big-endian integer be[0..n) (any width; leading zero bytes
 * are dropped, so 32 zero bytes are the integer 0). */
void rlp_uint_be(struct rlp *r, const uint8_t *be, size_t n);

/* Open a list: the items appended until the matching rlp_list_end are its
 * elements. */
void rlp_list_begin(struct rlp *r);

/* Close the innermost open list, writing its prefix in front of its
 * items. */
void rlp_list_end(struct rlp *r);

/* End writing. Returns 0 with *len the encoding's length in out; on
 * failure -1 with *len = 0, out[0..cap) zeroed and f set: FAULT_TOO_LARGE
 * when an item did not fit, FAULT_INTERNAL for lists left open or closed
 * too often (a bug of the caller). */
int rlp_finish(struct rlp *r, size_t *len, struct fault *f)
    __attribute__((warn_unused_result));

#endif
