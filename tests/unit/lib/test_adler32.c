/* Unit tests for lib/adler32.c: RFC 1950's checksum, against published
 * values and against zlib's adler32() on every length around the block
 * and run boundaries, at every alignment, from every kind of start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "lib/adler32.h"

static uint32_t zlib_adler(uint32_t start, const uint8_t *p, size_t n)
{
    return (uint32_t)adler32(start, p, (uInt)n);
}

static void test_published(void **state)
{
    (void)state;
    assert_int_equal(adler32_update(ADLER32_INIT, NULL, 0), 1);
    /* The example of the Wikipedia article and of many implementations. */
    assert_int_equal(adler32_update(ADLER32_INIT,
                                    (const uint8_t *)"Wikipedia", 9),
                     0x11E60398);
    assert_int_equal(adler32_update(ADLER32_INIT, (const uint8_t *)"abc", 3),
                     0x024d0127);
}

/* Lengths around 32-byte blocks and the 5536-byte run, from offsets 0..15,
 * over bytes that are all 0xff (the largest sums: the overflow bound) and
 * over pseudo-random bytes. */
static void test_against_zlib(void **state)
{
    enum { CAP = 3 * 5552 + 200 };
    uint8_t *ones = malloc(CAP + 16), *mixed = malloc(CAP + 16);
    static const size_t lens[] = {0,    1,    15,   31,   32,   33,   63,
                                  64,   65,   100,  1000, 5535, 5536, 5537,
                                  5551, 5552, 5553, 5568, 11072, 11104,
                                  16656, CAP};
    uint32_t x = 12345;

    (void)state;
    assert_non_null(ones);
    assert_non_null(mixed);
    memset(ones, 0xff, CAP + 16);
    for (size_t i = 0; i < CAP + 16; i++) {
        x = x * 1103515245u + 12345u;
        mixed[i] = (uint8_t)(x >> 16);
    }
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++)
        for (size_t off = 0; off < 16; off++) {
            const uint8_t *bufs[2] = {ones + off, mixed + off};
            for (int b = 0; b < 2; b++) {
                assert_int_equal(adler32_update(ADLER32_INIT, bufs[b], lens[l]),
                                 zlib_adler(1, bufs[b], lens[l]));
                /* A start with both halves at their largest, 65520. */
                assert_int_equal(adler32_update(0xfff0fff0u, bufs[b], lens[l]),
                                 zlib_adler(0xfff0fff0u, bufs[b], lens[l]));
            }
        }
    free(ones);
    free(mixed);
}

/* Extending a checksum piece by piece gives the checksum of the whole. */
static void test_pieces(void **state)
{
    enum { N = 100000 };
    uint8_t *buf = malloc(N);
    uint32_t whole, running = ADLER32_INIT;
    size_t at = 0, step = 1;

    (void)state;
    assert_non_null(buf);
    for (size_t i = 0; i < N; i++)
        buf[i] = (uint8_t)(i * 31 + (i >> 8));
    whole = adler32_update(ADLER32_INIT, buf, N);
    assert_int_equal(whole, zlib_adler(1, buf, N));
    while (at < N) {
        size_t n = step < N - at ? step : N - at;
        running = adler32_update(running, buf + at, n);
        at += n;
        step = step * 3 + 1;
    }
    assert_int_equal(running, whole);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published),
        cmocka_unit_test(test_against_zlib),
        cmocka_unit_test(test_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
