#include "lib/rlp.h"

#include <string.h>

void rlp_init(struct rlp *r, uint8_t *out, size_t cap)
{
    memset(r, 0, sizeof *r);
    r->out = out;
    r->cap = cap;
}

/* The number of bytes of n big-endian without leading zeros (0 for 0). */
static size_t rlp_be_len(uint64_t n)
{
    size_t k = 0;

    while (n > 0) {
        k++;
        n >>= 8;
    }
    return k;
}

/* Write the prefix of an item of n payload bytes (base 0x80 for strings,
 * 0xc0 for lists) into hdr; return its length (1 to 9). */
static size_t rlp_header(uint8_t hdr[9], uint8_t base, uint64_t n)
{
    size_t k, i;

    if (n < 56) {
        hdr[0] = (uint8_t)(base + n);
        return 1;
    }
    k = rlp_be_len(n);
    hdr[0] = (uint8_t)(base + 55 + k);
    for (i = 0; i < k; i++)
        hdr[k - i] = (uint8_t)(n >> (8 * i));
    return 1 + k;
}

/* Append p[0..n) raw, or fail the builder when it does not fit. */
static void rlp_put(struct rlp *r, const uint8_t *p, size_t n)
{
    if (r->state != RLP_OK)
        return;
    if (n > r->cap - r->len) {
        r->state = RLP_FULL;
        return;
    }
    if (n > 0)
        memcpy(r->out + r->len, p, n);
    r->len += n;
}

void rlp_bytes(struct rlp *r, const uint8_t *p, size_t n)
{
    uint8_t hdr[9];

    if (n == 1 && p[0] < 0x80) {
        rlp_put(r, p, 1);
        return;
    }
    rlp_put(r, hdr, rlp_header(hdr, 0x80, n));
    rlp_put(r, p, n);
}

void rlp_uint(struct rlp *r, uint64_t v)
{
    uint8_t be[8];
    size_t k = rlp_be_len(v), i;

    for (i = 0; i < k; i++)
        be[k - 1 - i] = (uint8_t)(v >> (8 * i));
    rlp_bytes(r, be, k);
}

void rlp_uint_be(struct rlp *r, const uint8_t *be, size_t n)
{
    while (n > 0 && be[0] == 0) {
        be++;
        n--;
    }
    rlp_bytes(r, n > 0 ? be : NULL, n);
}

void rlp_list_begin(struct rlp *r)
{
    if (r->state != RLP_OK)
        return;
    if (r->depth == RLP_DEPTH_MAX) {
        r->state = RLP_NESTING;
        return;
    }
    r->open[r->depth++] = r->len;
}

void rlp_list_end(struct rlp *r)
{
    uint8_t hdr[9];
    size_t start, n, h;

    if (r->state != RLP_OK)
        return;
    if (r->depth == 0) {
        r->state = RLP_NESTING;
        return;
    }
    start = r->open[--r->depth];
    n = r->len - start;
    h = rlp_header(hdr, 0xc0, n);
    if (h > r->cap - r->len) {
        r->state = RLP_FULL;
        return;
    }
    /* The items were written where the list starts; move them up past
     * the prefix, now that their length is known. */
    memmove(r->out + start + h, r->out + start, n);
    memcpy(r->out + start, hdr, h);
    r->len += h;
}

int rlp_finish(struct rlp *r, size_t *len, struct fault *f)
{
    enum rlp_state state = r->state;

    *len = 0;
    if (state == RLP_OK && r->depth == 0) {
        *len = r->len;
        return 0;
    }
    if (r->cap > 0)
        memset(r->out, 0, r->cap);
    r->len = 0;
    switch (state) {
    case RLP_FULL:
        return fault_set(f, FAULT_TOO_LARGE, NULL,
                         "the RLP encoding does not fit in %zu bytes",
                         r->cap);
    case RLP_NESTING:
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "RLP lists nested deeper than %d or closed without "
                         "being opened", RLP_DEPTH_MAX);
    case RLP_OK:
        break;
    }
    return fault_set(f, FAULT_INTERNAL, NULL,
                     "%zu RLP list(s) left open", r->depth);
}
