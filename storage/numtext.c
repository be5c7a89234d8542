#include "storage/numtext.h"

#include <string.h>

/* 128-bit arithmetic holds every exponent sum we form below: exponents of
 * up to 30 digits (< 10^30) plus a digit-position adjustment (< 2^64). */
__extension__ typedef __int128 numtext_i128;

#define NUMTEXT_SMALL_DIGITS 30
#define NUMTEXT_FAST_DIGITS 19

static const uint64_t numtext_pow10[NUMTEXT_FAST_DIGITS + 1] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    10000000000000000000ull,
};

static int numtext_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Hot: the splitter calls this for every CSV field that starts like a
 * number, so it scans once and touches each output field once. */
int numtext_parse(struct numtext_parts *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, int_off, int_len, frac_off = 0, frac_len = 0;
    size_t exp_off = 0, exp_len = 0;
    uint64_t hi = 0, lo = 0;
    unsigned char neg = 0, exp_neg = 0;

    if (s == NULL || len == 0)
        goto bad;
    if (u[0] == '-') {
        neg = 1;
        i = 1;
        if (len == 1)
            goto bad;
    }
    int_off = i;
    if (u[i] == '0') {
        i++;
    } else if (u[i] >= '1' && u[i] <= '9') {
        /* hi wraps past 19 digits; it is only kept when fast */
        do {
            hi = hi * 10 + (uint64_t)(u[i] - '0');
            i++;
        } while (i < len && numtext_digit(u[i]));
    } else {
        goto bad;
    }
    int_len = i - int_off;
    if (i < len && u[i] == '.') {
        i++;
        frac_off = i;
        while (i < len && numtext_digit(u[i])) {
            lo = lo * 10 + (uint64_t)(u[i] - '0');
            i++;
        }
        frac_len = i - frac_off;
        if (frac_len == 0)
            goto bad;
    }
    if (i < len && (u[i] == 'e' || u[i] == 'E')) {
        i++;
        if (i < len && (u[i] == '+' || u[i] == '-')) {
            exp_neg = u[i] == '-';
            i++;
        }
        exp_off = i;
        while (i < len && numtext_digit(u[i]))
            i++;
        exp_len = i - exp_off;
        if (exp_len == 0)
            goto bad;
    }
    if (i != len)
        goto bad;
    out->int_off = int_off;
    out->int_len = int_len;
    out->frac_off = frac_off;
    out->frac_len = frac_len;
    out->exp_off = exp_off;
    out->exp_len = exp_len;
    out->neg = neg;
    out->exp_neg = exp_neg;
    if (exp_off == 0 && int_len <= NUMTEXT_FAST_DIGITS &&
        frac_len <= NUMTEXT_FAST_DIGITS) {
        out->fast = 1;
        out->hi = hi;
        out->lo = lo * numtext_pow10[NUMTEXT_FAST_DIGITS - frac_len];
    } else {
        out->fast = 0;
        out->hi = 0;
        out->lo = 0;
    }
    return 1;
bad:
    memset(out, 0, sizeof *out);
    return 0;
}

#if defined(__SSE2__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#include <emmintrin.h>

/* Eight ASCII digits (the first in the lowest byte) to their value, with
 * three multiplications instead of a loop. */
static uint32_t numtext_eight(uint64_t x)
{
    x -= 0x3030303030303030ull;
    x = (x * 10) + (x >> 8);
    x = (((x & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
         (((x >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >>
        32;
    return (uint32_t)x;
}

/* Short numbers are classified with one 16-byte compare and converted
 * without digit loops, whose data-dependent exits cost more than the
 * arithmetic; anything else goes to numtext_parse. */
int numtext_parse_padded(struct numtext_parts *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    __m128i x;
    unsigned dm, nd;
    size_t i, int_len, p, frac_off = 0, frac_len = 0;
    uint64_t w, mask;

    if (len == 0 || len > 16)
        return numtext_parse(out, s, len);
    x = _mm_loadu_si128((const __m128i *)(const void *)s);
    dm = (unsigned)_mm_movemask_epi8(
        _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                      _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1))));
    dm &= (1u << len) - 1;
    nd = ~dm; /* bits len..31 are set: every count below stops */
    i = u[0] == '-';
    int_len = (size_t)__builtin_ctz(nd >> i);
    if (int_len == 0 || int_len > 8 || (u[i] == '0' && int_len > 1))
        return numtext_parse(out, s, len);
    p = i + int_len;
    if (p < len && u[p] == '.') {
        frac_off = p + 1;
        frac_len = (size_t)__builtin_ctz(nd >> frac_off);
        if (frac_len == 0 || frac_len > 8)
            return numtext_parse(out, s, len);
        p = frac_off + frac_len;
    }
    if (p != len)
        return numtext_parse(out, s, len); /* an exponent, or not a number */
    out->int_off = i;
    out->int_len = int_len;
    out->frac_off = frac_off;
    out->frac_len = frac_len;
    out->exp_off = 0;
    out->exp_len = 0;
    out->neg = (unsigned char)i;
    out->exp_neg = 0;
    out->fast = 1;
    /* Integer digits right-aligned in 8 bytes, '0' in front. */
    memcpy(&w, s + i, 8);
    w <<= 8 * (8 - int_len);
    w |= 0x3030303030303030ull >> (8 * int_len - 1) >> 1;
    out->hi = numtext_eight(w);
    /* Fraction digits left-aligned in 8 bytes, '0' after them. */
    if (frac_len > 0) {
        memcpy(&w, s + frac_off, 8);
        mask = ~0ull >> (64 - 8 * frac_len);
        w = (w & mask) | (0x3030303030303030ull & ~mask);
        out->lo = (uint64_t)numtext_eight(w) * 100000000000ull; /* 10^11 */
    } else {
        out->lo = 0;
    }
    return 1;
}
#else
int numtext_parse_padded(struct numtext_parts *out, const char *s, size_t len)
{
    return numtext_parse(out, s, len);
}
#endif

int numtext_is_number(const char *s, size_t len)
{
    struct numtext_parts p;

    return numtext_parse(&p, s, len);
}

/* The mantissa digits (integer then fraction) as one sequence, index k. */
static unsigned char numtext_mdigit(const char *s,
                                    const struct numtext_parts *p, size_t k)
{
    if (k < p->int_len)
        return (unsigned char)s[p->int_off + k];
    return (unsigned char)s[p->frac_off + (k - p->int_len)];
}

/* A number normalised to sign * 0.D * 10^(X + adj), D = the mantissa
 * digits [k0, k1) with no leading or trailing zero, X the written
 * exponent (digits [xoff, xoff + xlen) without leading zeros). */
struct numtext_norm {
    int sign;
    size_t k0, k1;
    numtext_i128 adj;
    int xsign;
    size_t xoff, xlen;
};

static void numtext_normalise(struct numtext_norm *n, const char *s,
                              const struct numtext_parts *p)
{
    size_t total = p->int_len + p->frac_len;
    size_t k;

    memset(n, 0, sizeof *n);
    for (k = 0; k < total && numtext_mdigit(s, p, k) == '0'; k++)
        ;
    if (k == total)
        return; /* zero: sign 0, whatever the '-' or exponent */
    n->k0 = k;
    for (k = total; numtext_mdigit(s, p, k - 1) == '0'; k--)
        ;
    n->k1 = k;
    n->sign = p->neg ? -1 : 1;
    n->adj = (numtext_i128)p->int_len - (numtext_i128)n->k0;
    n->xoff = p->exp_off;
    n->xlen = p->exp_len;
    while (n->xlen > 0 && s[n->xoff] == '0') {
        n->xoff++;
        n->xlen--;
    }
    n->xsign = n->xlen == 0 ? 0 : (p->exp_neg ? -1 : 1);
}

static numtext_i128 numtext_small(const char *s, size_t off, size_t len)
{
    numtext_i128 v = 0;
    size_t i;

    for (i = 0; i < len; i++)
        v = v * 10 + (s[off + i] - '0');
    return v;
}

static int numtext_sgn(numtext_i128 v)
{
    return v < 0 ? -1 : v > 0;
}

/* Sign of (Xa + adj_a) - (Xb + adj_b), exactly, for exponents of any
 * length: when one exponent has more than 30 digits, the difference of
 * the written exponents is computed digit by digit, and once it is at
 * least 10^30 no adjustment (< 2^64) can change its sign. */
static int numtext_exp_cmp(const char *a, const struct numtext_norm *na,
                           const char *b, const struct numtext_norm *nb)
{
    const char *big, *small;
    size_t blen, slen, i;
    int mag, dsign, borrow = 0, large = 0;
    numtext_i128 val = 0, scale = 1;

    if (na->xlen <= NUMTEXT_SMALL_DIGITS && nb->xlen <= NUMTEXT_SMALL_DIGITS) {
        numtext_i128 ea = numtext_small(a, na->xoff, na->xlen) * na->xsign;
        numtext_i128 eb = numtext_small(b, nb->xoff, nb->xlen) * nb->xsign;
        return numtext_sgn((ea + na->adj) - (eb + nb->adj));
    }
    if (na->xsign != nb->xsign)
        return na->xsign > nb->xsign ? 1 : -1;
    /* Same sign, both non-zero: compare magnitudes. */
    if (na->xlen != nb->xlen)
        mag = na->xlen > nb->xlen ? 1 : -1;
    else {
        int c = memcmp(a + na->xoff, b + nb->xoff, na->xlen);
        mag = c < 0 ? -1 : c > 0;
    }
    if (mag == 0)
        return numtext_sgn(na->adj - nb->adj);
    if (mag > 0) {
        big = a + na->xoff;
        blen = na->xlen;
        small = b + nb->xoff;
        slen = nb->xlen;
    } else {
        big = b + nb->xoff;
        blen = nb->xlen;
        small = a + na->xoff;
        slen = na->xlen;
    }
    for (i = 0; i < blen; i++) {
        int d = big[blen - 1 - i] - '0' - borrow;
        if (i < slen)
            d -= small[slen - 1 - i] - '0';
        borrow = d < 0;
        if (d < 0)
            d += 10;
        if (i < NUMTEXT_SMALL_DIGITS) {
            val += scale * d;
            scale *= 10;
        } else if (d != 0) {
            large = 1;
        }
    }
    /* Xa - Xb = dsign * val (or a value at least 10^30 when large). */
    dsign = mag * na->xsign;
    if (large)
        return dsign;
    return numtext_sgn(dsign * val + (na->adj - nb->adj));
}

static int numtext_fast_cmp(const struct numtext_parts *pa,
                            const struct numtext_parts *pb)
{
    int za = (pa->hi | pa->lo) == 0, zb = (pb->hi | pb->lo) == 0;
    int sa = za ? 0 : (pa->neg ? -1 : 1);
    int sb = zb ? 0 : (pb->neg ? -1 : 1);
    int m;

    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    if (pa->hi != pb->hi)
        m = pa->hi < pb->hi ? -1 : 1;
    else if (pa->lo != pb->lo)
        m = pa->lo < pb->lo ? -1 : 1;
    else
        return 0;
    return sa > 0 ? m : -m;
}

int numtext_compare_parts(const char *a, const struct numtext_parts *pa,
                          const char *b, const struct numtext_parts *pb)
{
    struct numtext_norm na, nb;
    size_t la, lb, n, i;
    int m;

    if (pa->fast && pb->fast)
        return numtext_fast_cmp(pa, pb);
    numtext_normalise(&na, a, pa);
    numtext_normalise(&nb, b, pb);
    if (na.sign != nb.sign)
        return na.sign < nb.sign ? -1 : 1;
    if (na.sign == 0)
        return 0;
    /* Both 0.D * 10^E with D's first digit non-zero: E decides first. */
    m = numtext_exp_cmp(a, &na, b, &nb);
    if (m == 0) {
        la = na.k1 - na.k0;
        lb = nb.k1 - nb.k0;
        n = la > lb ? la : lb;
        for (i = 0; i < n && m == 0; i++) {
            unsigned char da = i < la ? numtext_mdigit(a, pa, na.k0 + i) : '0';
            unsigned char db = i < lb ? numtext_mdigit(b, pb, nb.k0 + i) : '0';
            if (da != db)
                m = da < db ? -1 : 1;
        }
    }
    return na.sign > 0 ? m : -m;
}

int numtext_compare(const char *a, size_t alen, const char *b, size_t blen)
{
    struct numtext_parts pa, pb;
    int oka = numtext_parse(&pa, a, alen);
    int okb = numtext_parse(&pb, b, blen);
    size_t n;
    int c;

    if (oka && okb)
        return numtext_compare_parts(a, &pa, b, &pb);
    /* Not both numbers: unspecified, but a total order, and memory-safe. */
    if (oka != okb)
        return oka ? -1 : 1;
    n = alen < blen ? alen : blen;
    c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

/* The shape of a short plain decimal of at most 8 bytes, as loaded into a
 * word: its bytes past the text are zero, so the top run of non-digits is
 * what follows the text; below it, a '-' first and one '.' are the only
 * non-digits a short plain decimal may have. */
void numtext_shape_init(struct numtext_shape *sh, unsigned shape)
{
    unsigned len, neg, dot = 8, i, il, fl;

    memset(sh, 0, sizeof *sh);
    sh->state = NUMTEXT_SHAPE_NONE;
    shape &= 0xff;
    for (len = 8; len > 0 && ((shape >> (len - 1)) & 1); len--)
        ;
    if (len == 0)
        return;
    neg = shape & 1;
    for (i = neg; i < len; i++) {
        if ((shape >> i) & 1) {
            if (dot != 8)
                return; /* two non-digits after the sign */
            dot = i;
        }
    }
    il = (dot == 8 ? len : dot) - neg; /* byte len - 1 is a digit */
    if (il == 0)
        return;
    fl = dot == 8 ? 0 : len - dot - 1;
    for (i = 0; i < 8; i++) {
        if ((shape >> i) & 1) {
            uint64_t v = i >= len ? 0 : (i == 0 && neg) ? '-' : '.';
            sh->ndmask |= (uint64_t)0xff << (8 * i);
            sh->ndval |= v << (8 * i);
        }
    }
    if (il > 1) {
        sh->lzmask = (uint64_t)0xff << (8 * neg);
        sh->lzval = (uint64_t)'0' << (8 * neg);
    } else {
        sh->lzmask = 0;
        sh->lzval = 1; /* never equal to w & 0 */
    }
    /* With b = bswap(w) (the text's first byte on top), the integer digits
     * end neg + il bytes from the top, the fraction starts dot + 1 bytes
     * from it; the '0' fill of the fraction cancels with zero's key. */
    sh->s1 = (uint8_t)(8 * (8 - neg - il));
    sh->m1 = il == 8 ? ~0ull : ((uint64_t)1 << (8 * il)) - 1;
    if (fl > 0) {
        sh->s2 = (uint8_t)(8 * (dot + 1));
        sh->m2 = ~0ull;
        sh->padz = (0x3030303030303030ull >> (8 * fl)) -
                   0x3030303030303030ull;
    } else {
        sh->s2 = 0;
        sh->m2 = 0;
        sh->padz = 0;
    }
    sh->negmask = neg ? ~0ull : 0;
    sh->len = (uint8_t)len;
    sh->state = NUMTEXT_SHAPE_OK;
}
