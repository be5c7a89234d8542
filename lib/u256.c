#include "lib/u256.h"

#include <string.h>

/* 10^19, the largest power of ten below 2^64: decimal text is read 19
 * digits at a time. */
#define U256_TEN19 10000000000000000000ull
/* 10^9, the largest power of ten below 2^32: decimal text is written 9
 * digits at a time, dividing 32-bit halves so that no 128-bit type is
 * needed. */
#define U256_TEN9 1000000000u

static void u256_zero(struct u256 *out)
{
    memset(out, 0, sizeof *out);
}

void u256_from_u64(struct u256 *out, uint64_t v)
{
    u256_zero(out);
    out->limb[0] = v;
}

int u256_to_u64(uint64_t *out, const struct u256 *a)
{
    if ((a->limb[1] | a->limb[2] | a->limb[3]) != 0) {
        *out = 0;
        return -1;
    }
    *out = a->limb[0];
    return 0;
}

void u256_from_be32(struct u256 *out, const uint8_t in[U256_BYTES])
{
    for (int l = 0; l < 4; l++) {
        const uint8_t *p = in + 8 * (3 - l);
        uint64_t v = 0;

        for (int i = 0; i < 8; i++)
            v = (v << 8) | p[i];
        out->limb[l] = v;
    }
}

void u256_to_be32(uint8_t out[U256_BYTES], const struct u256 *a)
{
    for (int l = 0; l < 4; l++) {
        uint8_t *p = out + 8 * (3 - l);
        uint64_t v = a->limb[l];

        for (int i = 7; i >= 0; i--) {
            p[i] = (uint8_t)v;
            v >>= 8;
        }
    }
}

int u256_cmp(const struct u256 *a, const struct u256 *b)
{
    for (int l = 3; l >= 0; l--) {
        if (a->limb[l] != b->limb[l])
            return a->limb[l] < b->limb[l] ? -1 : 1;
    }
    return 0;
}

int u256_is_zero(const struct u256 *a)
{
    return (a->limb[0] | a->limb[1] | a->limb[2] | a->limb[3]) == 0;
}

unsigned u256_bits(const struct u256 *a)
{
    for (int l = 3; l >= 0; l--) {
        if (a->limb[l] != 0)
            return 64u * (unsigned)l + 64u -
                   (unsigned)__builtin_clzll(a->limb[l]);
    }
    return 0;
}

int u256_add(struct u256 *out, const struct u256 *a, const struct u256 *b)
{
    struct u256 r;
    uint64_t carry = 0;

    for (int l = 0; l < 4; l++) {
        uint64_t s = a->limb[l] + carry;
        uint64_t c = s < carry;

        r.limb[l] = s + b->limb[l];
        carry = c | (r.limb[l] < s);
    }
    if (carry) {
        u256_zero(out);
        return -1;
    }
    *out = r;
    return 0;
}

int u256_sub(struct u256 *out, const struct u256 *a, const struct u256 *b)
{
    struct u256 r;
    uint64_t borrow = 0;

    for (int l = 0; l < 4; l++) {
        uint64_t d = a->limb[l] - b->limb[l];
        uint64_t bo = a->limb[l] < b->limb[l];

        r.limb[l] = d - borrow;
        borrow = bo | (d < borrow);
    }
    if (borrow) {
        u256_zero(out);
        return -1;
    }
    *out = r;
    return 0;
}

/* The 128-bit product of x and y as *hi:*lo, from 32-bit halves (C11 has
 * no 128-bit type). */
static void u256_mul64(uint64_t *hi, uint64_t *lo, uint64_t x, uint64_t y)
{
    uint64_t x0 = x & 0xffffffffu, x1 = x >> 32;
    uint64_t y0 = y & 0xffffffffu, y1 = y >> 32;
    uint64_t p00 = x0 * y0, p01 = x0 * y1, p10 = x1 * y0, p11 = x1 * y1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);

    *lo = (mid << 32) | (p00 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

int u256_mul_u64(struct u256 *out, const struct u256 *a, uint64_t m)
{
    struct u256 r;
    uint64_t carry = 0;

    for (int l = 0; l < 4; l++) {
        uint64_t hi, lo;

        u256_mul64(&hi, &lo, a->limb[l], m);
        lo += carry;
        hi += lo < carry;
        r.limb[l] = lo;
        carry = hi;
    }
    if (carry != 0) {
        u256_zero(out);
        return -1;
    }
    *out = r;
    return 0;
}

/* Shift a left by one bit, in place; the bit shifted out is lost. */
static void u256_shl1(struct u256 *a)
{
    for (int l = 3; l > 0; l--)
        a->limb[l] = (a->limb[l] << 1) | (a->limb[l - 1] >> 63);
    a->limb[0] <<= 1;
}

int u256_divmod(struct u256 *quot, struct u256 *rem, const struct u256 *a,
                const struct u256 *b)
{
    struct u256 q, r;
    uint64_t a64, b64;

    if (u256_is_zero(b)) {
        if (quot != NULL)
            u256_zero(quot);
        if (rem != NULL)
            u256_zero(rem);
        return -1;
    }
    if (u256_to_u64(&a64, a) == 0 && u256_to_u64(&b64, b) == 0) {
        /* The common case of the ledger: both fit in 64 bits. */
        u256_from_u64(&q, a64 / b64);
        u256_from_u64(&r, a64 % b64);
    } else {
        /* Schoolbook binary long division from the top bit of a: at most
         * 256 shift-and-subtract steps, exact for any b. r stays below b,
         * so shifting it left never loses a bit while b < 2^255; when b's
         * top bit is set, r < b and r * 2 + 1 may reach 2^256, which the
         * carry check below catches. */
        unsigned n = u256_bits(a);

        u256_zero(&q);
        u256_zero(&r);
        for (unsigned i = n; i-- > 0;) {
            uint64_t top = r.limb[3] >> 63;

            u256_shl1(&r);
            r.limb[0] |= (a->limb[i / 64] >> (i % 64)) & 1;
            u256_shl1(&q);
            if (top || u256_cmp(&r, b) >= 0) {
                /* With the lost top bit r is r + 2^256 > b, and the
                 * wrapped difference is the true one. */
                struct u256 d;
                uint64_t borrow = 0;

                for (int l = 0; l < 4; l++) {
                    uint64_t x = r.limb[l] - b->limb[l];
                    uint64_t bo = r.limb[l] < b->limb[l];

                    d.limb[l] = x - borrow;
                    borrow = bo | (x < borrow);
                }
                r = d;
                q.limb[0] |= 1;
            }
        }
    }
    if (quot != NULL)
        *quot = q;
    if (rem != NULL)
        *rem = r;
    return 0;
}

/* Divide a by d (0 < d < 2^32) in place, 32 bits at a time; return the
 * remainder. */
static uint32_t u256_div_small(struct u256 *a, uint32_t d)
{
    uint64_t rem = 0;

    for (int l = 3; l >= 0; l--) {
        uint64_t hi = (rem << 32) | (a->limb[l] >> 32);
        uint64_t qh = hi / d, lo;

        rem = hi % d;
        lo = (rem << 32) | (a->limb[l] & 0xffffffffu);
        rem = lo % d;
        a->limb[l] = (qh << 32) | (lo / d);
    }
    return (uint32_t)rem;
}

size_t u256_to_decimal(char out[U256_DECIMAL_SIZE], const struct u256 *a)
{
    char buf[U256_DECIMAL_SIZE + 9];
    size_t pos = sizeof buf, n;
    struct u256 v = *a;

    /* Nine digits per step, from the right, then strip leading zeros. */
    do {
        uint32_t part = u256_div_small(&v, U256_TEN9);

        for (int i = 0; i < 9; i++) {
            buf[--pos] = (char)('0' + part % 10);
            part /= 10;
        }
    } while (!u256_is_zero(&v));
    while (pos < sizeof buf - 1 && buf[pos] == '0')
        pos++;
    n = sizeof buf - pos;
    memcpy(out, buf + pos, n);
    out[n] = '\0';
    return n;
}

int u256_parse_decimal(struct u256 *out, const char *text, size_t len,
                       const char *field, struct fault *f)
{
    const char *name = field != NULL ? field : "the amount";
    struct u256 v, add;
    size_t i = 0;
    int rv = -1;

    u256_zero(&v);
    if (len == 0) {
        fault_set(f, FAULT_INVALID, field,
                  "%s may not be empty: an amount is a decimal string such "
                  "as \"0\" or \"1000\"", name);
        goto done;
    }
    for (size_t k = 0; k < len; k++) {
        if (text[k] < '0' || text[k] > '9') {
            fault_set(f, FAULT_INVALID, field,
                      "%s must hold only the digits 0-9 (no sign, point, "
                      "exponent or space)", name);
            goto done;
        }
    }
    if (text[0] == '0' && len > 1) {
        fault_set(f, FAULT_INVALID, field,
                  "%s may not have a leading zero", name);
        goto done;
    }
    if (len > U256_DECIMAL_MAX_DIGITS)
        goto too_large;
    /* The first piece takes len % 19 digits (19 when that is 0), so that
     * every later piece is exactly 19 digits: v * 10^19 + piece. */
    while (i < len) {
        size_t take = (i == 0 && len % 19 != 0) ? len % 19 : 19;
        uint64_t piece = 0, scale = 1;

        for (size_t k = 0; k < take; k++) {
            piece = piece * 10 + (uint64_t)(text[i + k] - '0');
            scale *= 10;
        }
        u256_from_u64(&add, piece);
        /* scale is 10^take; 10^19 itself fits in 64 bits. */
        if (u256_mul_u64(&v, &v, take == 19 ? U256_TEN19 : scale) != 0 ||
            u256_add(&v, &v, &add) != 0)
            goto too_large;
        i += take;
    }
    *out = v;
    rv = 0;
    goto done;
too_large:
    fault_set(f, FAULT_INVALID, field,
              "%s is too large: an amount is at most 2^256 - 1", name);
done:
    if (rv != 0)
        u256_zero(out);
    return rv;
}
