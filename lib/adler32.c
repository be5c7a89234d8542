#include "lib/adler32.h"


#if defined(__SSE2__)
#include <emmintrin.h>
#else
#include <zlib.h>
#endif

#if defined(__SSE2__)

/* The modulus, and the longest run of bytes whose sums cannot overflow 32
 * bits when both halves start below it (zlib's NMAX): 255 n (n + 1) / 2 +
 * (n + 1) (BASE - 1) <= 2^32 - 1. Rounded down to whole 32-byte blocks. */
#define ADLER32_BASE 65521u
#define ADLER32_BLOCK 32
#define ADLER32_NMAX_BLOCKS (5552 / ADLER32_BLOCK)

/* The four 32-bit lanes of v, summed. */
static uint64_t adler32_hsum(__m128i v)
{
    uint32_t lane[4];

    _mm_storeu_si128((__m128i *)(void *)lane, v);
    return (uint64_t)lane[0] + lane[1] + lane[2] + lane[3];
}

/* Over a block of 32 bytes x[0..32) that starts with sums (s1, s2):
 *     s1' = s1 + sum x[j]
 *     s2' = s2 + 32 s1 + sum (32 - j) x[j]
 * so over k blocks, s2 gains 32 k s1 at the start, 32 times the s1 of the
 * earlier blocks of the run for each block (ps, summed lane by lane), and
 * each block's weighted sum (the weights 32..1 by pmaddwd, on the bytes
 * widened to 16 bits). Lanes are reduced and taken mod BASE once per run
 * of at most ADLER32_NMAX_BLOCKS blocks, when the true sums still fit. */
uint32_t adler32_update(uint32_t adler, const uint8_t *p, size_t n)
{
    const __m128i zero = _mm_setzero_si128();
    const __m128i w0 = _mm_setr_epi16(32, 31, 30, 29, 28, 27, 26, 25);
    const __m128i w1 = _mm_setr_epi16(24, 23, 22, 21, 20, 19, 18, 17);
    const __m128i w2 = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
    const __m128i w3 = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
    uint64_t s1 = adler & 0xffff, s2 = adler >> 16;

    while (n >= ADLER32_BLOCK) {
        size_t blocks = n / ADLER32_BLOCK, k;
        __m128i vs1 = zero, vps = zero, vs2 = zero;

        if (blocks > ADLER32_NMAX_BLOCKS)
            blocks = ADLER32_NMAX_BLOCKS;
        for (k = 0; k < blocks; k++) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i b =
                _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
            vps = _mm_add_epi32(vps, vs1);
            vs1 = _mm_add_epi32(vs1, _mm_sad_epu8(a, zero));
            vs1 = _mm_add_epi32(vs1, _mm_sad_epu8(b, zero));
            vs2 = _mm_add_epi32(
                vs2, _mm_madd_epi16(_mm_unpacklo_epi8(a, zero), w0));
            vs2 = _mm_add_epi32(
                vs2, _mm_madd_epi16(_mm_unpackhi_epi8(a, zero), w1));
            vs2 = _mm_add_epi32(
                vs2, _mm_madd_epi16(_mm_unpacklo_epi8(b, zero), w2));
            vs2 = _mm_add_epi32(
                vs2, _mm_madd_epi16(_mm_unpackhi_epi8(b, zero), w3));
            p += ADLER32_BLOCK;
        }
        n -= blocks * ADLER32_BLOCK;
        s2 += ADLER32_BLOCK * (blocks * s1 + adler32_hsum(vps)) +
              adler32_hsum(vs2);
        s1 += adler32_hsum(vs1);
        s1 %= ADLER32_BASE;
        s2 %= ADLER32_BASE;
    }
    /* Fewer than 32 bytes: s1 and s2 stay far below 2^32. */
    while (n > 0) {
        s1 += *p++;
        s2 += s1;
        n--;
    }
    s1 %= ADLER32_BASE;
    s2 %= ADLER32_BASE;
    return (uint32_t)(s2 << 16 | s1);
}

#else

uint32_t adler32_update(uint32_t adler, const uint8_t *p, size_t n)
{
    /* zlib takes a uInt length: feed it in pieces that fit. */
    while (n > 0) {
        uInt piece = n > 0x40000000u ? 0x40000000u : (uInt)n;
        adler = (uint32_t)adler32(adler, p, piece);
        p += piece;
        n -= piece;
    }
    return adler;
}

#endif
