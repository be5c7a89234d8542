/* Unit tests for storage/chunkobj.c: the SLC1 object format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "lib/aead.h"
#include "lib/bytes.h"
#include "lib/secret.h"
#include "storage/chunkobj.h"
#include "tests/support/testutil.h"

static const uint8_t ck[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                               15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                               27, 28, 29, 30, 31, 32};
static const uint8_t dsid[32] = {0xd5, 0xd5, 0xd5, 0x01};
static const uint8_t nonce[12] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

static const char csv_chunk[] =
    "2024-01-01T00:00:00Z,sensor-1,21.5\n2024-01-01T00:00:01Z,sensor-1,21.5\n"
    "2024-01-01T00:00:02Z,sensor-1,21.5\n2024-01-01T00:00:03Z,sensor-1,21.6\n"
    "2024-01-01T00:00:04Z,sensor-1,21.5\n2024-01-01T00:00:05Z,sensor-1,21.5\n";

static void seal(uint8_t **obj, size_t *len, const uint8_t *plain,
                 size_t plain_len, uint64_t index)
{
    struct fault f;

    assert_int_equal(chunkobj_seal(obj, len, ck, dsid, index, plain, plain_len,
                                   1, nonce, &f),
                     0);
}

static void test_round_trip_compressed(void **state)
{
    uint8_t *obj, *back;
    size_t len, back_len;
    struct chunkobj_header h;
    struct fault f;

    (void)state;
    seal(&obj, &len, (const uint8_t *)csv_chunk, sizeof csv_chunk - 1, 7);
    assert_int_equal(chunkobj_parse_header(&h, obj, len, &f), 0);
    assert_int_equal(h.flags, CHUNKOBJ_FLAG_ZLIB);
    assert_int_equal(h.index, 7);
    assert_int_equal(h.plain_len, sizeof csv_chunk - 1);
    assert_memory_equal(h.nonce, nonce, 12);
    assert_true(len < CHUNKOBJ_OVERHEAD + sizeof csv_chunk - 1);
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 7, obj, len, &f),
                     0);
    assert_int_equal(back_len, sizeof csv_chunk - 1);
    assert_memory_equal(back, csv_chunk, back_len);
    free(back);
    free(obj);
}

static void test_round_trip_raw_and_sizes(void **state)
{
    static const size_t sizes[] = {0, 1, 2, 15, 16, 17, 1000, 65536, 1 << 20};
    uint64_t rng = 42;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *plain = malloc(sizes[i] + 1), *obj, *back;
        size_t len, back_len;
        struct chunkobj_header h;
        struct fault f;

        testutil_fill(plain, sizes[i], &rng); /* incompressible */
        seal(&obj, &len, plain, sizes[i], i);
        assert_int_equal(chunkobj_parse_header(&h, obj, len, &f), 0);
        assert_int_equal(h.flags, 0); /* raw: compression did not help */
        assert_int_equal(len, CHUNKOBJ_OVERHEAD + sizes[i]);
        assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, i, obj,
                                       len, &f),
                         0);
        assert_int_equal(back_len, sizes[i]);
        assert_memory_equal(back, plain, sizes[i]);
        free(back);
        free(obj);
        free(plain);
    }
}

/* Every single-bit flip anywhere in the object is refused, never garbage. */
static void test_every_bit_flip_refused(void **state)
{
    uint8_t *obj, *back;
    size_t len, back_len, bit;
    struct fault f;

    (void)state;
    seal(&obj, &len, (const uint8_t *)csv_chunk, sizeof csv_chunk - 1, 3);
    for (bit = 0; bit < len * 8; bit++) {
        obj[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        back = (uint8_t *)1;
        back_len = 99;
        assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 3, obj,
                                       len, &f),
                         -1);
        assert_null(back);
        assert_int_equal(back_len, 0);
        assert_int_equal(f.kind, FAULT_CORRUPT);
        obj[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    free(obj);
}

static void test_truncation_and_extension_refused(void **state)
{
    uint8_t *obj, *back, *longer;
    size_t len, back_len, n;
    struct fault f;

    (void)state;
    seal(&obj, &len, (const uint8_t *)csv_chunk, sizeof csv_chunk - 1, 0);
    for (n = 0; n < len; n++) {
        assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, n,
                                       &f),
                         -1);
        assert_int_equal(f.kind, FAULT_CORRUPT);
    }
    longer = malloc(len + 1);
    memcpy(longer, obj, len);
    longer[len] = 0;
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, longer,
                                   len + 1, &f),
                     -1);
    free(longer);
    free(obj);
}

static void test_wrong_key_dataset_index_refused(void **state)
{
    uint8_t *obj, *back;
    size_t len, back_len;
    uint8_t other[32];
    struct fault f;

    (void)state;
    seal(&obj, &len, (const uint8_t *)csv_chunk, sizeof csv_chunk - 1, 5);
    memcpy(other, ck, 32);
    other[31] ^= 1;
    assert_int_equal(chunkobj_open(&back, &back_len, other, dsid, 5, obj, len,
                                   &f),
                     -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    memcpy(other, dsid, 32);
    other[0] ^= 1;
    assert_int_equal(chunkobj_open(&back, &back_len, ck, other, 5, obj, len,
                                   &f),
                     -1);
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 6, obj, len,
                                   &f),
                     -1);
    assert_non_null(strstr(f.detail, "chunk 5"));
    free(obj);
}

/* Build an object by hand whose header says what we want and whose tag is
 * valid, to reach the checks after decryption. */
static uint8_t *forge(size_t *len, uint8_t flags, uint64_t index,
                      uint64_t plain_len, const uint8_t *payload, size_t n)
{
    uint8_t *obj = malloc(CHUNKOBJ_OVERHEAD + n);
    uint8_t aad[CHUNKOBJ_HEADER_LEN + 32];
    struct fault f;

    memcpy(obj, "SLC1", 4);
    obj[4] = 1;
    obj[5] = flags;
    obj[6] = obj[7] = 0;
    bytes_put_be64(obj + 8, index);
    bytes_put_be64(obj + 16, plain_len);
    memcpy(obj + 24, nonce, 12);
    memcpy(aad, obj, CHUNKOBJ_HEADER_LEN);
    memcpy(aad + CHUNKOBJ_HEADER_LEN, dsid, 32);
    assert_int_equal(aead_seal(obj + CHUNKOBJ_HEADER_LEN, ck, nonce, aad,
                               sizeof aad, payload, n, &f),
                     0);
    *len = CHUNKOBJ_OVERHEAD + n;
    return obj;
}

static void test_header_checks(void **state)
{
    struct {
        uint8_t flags;
        const char *why;
    } cases[] = {
        {0x02, "unknown flag"},
        {0x80, "unknown flag"},
        {0x03, "unknown flag"},
    };
    uint8_t *obj, *back;
    size_t len, back_len, i;
    struct fault f;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        obj = forge(&len, cases[i].flags, 0, 3, (const uint8_t *)"abc", 3);
        assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj,
                                       len, &f),
                         -1);
        assert_non_null(strstr(f.detail, cases[i].why));
        free(obj);
    }
    obj = forge(&len, 0, 0, 3, (const uint8_t *)"abc", 3);
    obj[6] = 1;
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len, &f),
                     -1);
    assert_non_null(strstr(f.detail, "reserved"));
    obj[6] = 0;
    obj[4] = 2;
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len, &f),
                     -1);
    assert_non_null(strstr(f.detail, "version"));
    free(obj);
    /* A raw object whose recorded length differs from its payload. */
    obj = forge(&len, 0, 0, 4, (const uint8_t *)"abc", 3);
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len, &f),
                     -1);
    free(obj);
}

static void test_inflate_checks(void **state)
{
    uint8_t *payload, *obj, *back, *padded;
    size_t payload_len, len, back_len;
    uint8_t flags;
    struct fault f;
    const size_t n = sizeof csv_chunk - 1;

    (void)state;
    assert_int_equal(chunkobj_compress(&payload, &payload_len, &flags,
                                       (const uint8_t *)csv_chunk, n, 6, &f),
                     0);
    assert_int_equal(flags, CHUNKOBJ_FLAG_ZLIB);
    /* Exact length opens. */
    obj = forge(&len, 1, 0, n, payload, payload_len);
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len, &f),
                     0);
    assert_memory_equal(back, csv_chunk, n);
    free(back);
    free(obj);
    /* Recorded length too short: inflating would overrun the cap. */
    obj = forge(&len, 1, 0, n - 1, payload, payload_len);
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len, &f),
                     -1);
    assert_non_null(strstr(f.detail, "more bytes"));
    free(obj);
    /* Recorded length too long. */
    obj = forge(&len, 1, 0, n + 1, payload, payload_len);
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len, &f),
                     -1);
    assert_non_null(strstr(f.detail, "fewer bytes"));
    free(obj);
    /* Trailing bytes after the stream. */
    padded = malloc(payload_len + 1);
    memcpy(padded, payload, payload_len);
    padded[payload_len] = 'x';
    obj = forge(&len, 1, 0, n, padded, payload_len + 1);
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len, &f),
                     -1);
    assert_non_null(strstr(f.detail, "after its zlib"));
    free(obj);
    free(padded);
    /* Not zlib at all. */
    obj = forge(&len, 1, 0, 3, (const uint8_t *)"abc", 3);
    assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    free(obj);
    free(payload);
}

/* zlib's own stream for plain at level (deflateInit: windowBits 15). */
static size_t zlib_stream(uint8_t *out, size_t cap, const uint8_t *plain,
                          size_t n, int level)
{
    z_stream zs;

    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit(&zs, level), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)plain;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    n = (size_t)zs.total_out;
    deflateEnd(&zs);
    return n;
}

/* The sealer writes the zlib header and the Adler-32 trailer itself
 * around raw deflate: the payload must be byte for byte zlib's stream, at
 * every level, for inputs that compress well, barely, or not at all
 * (stored raw, flag clear). */
static void test_same_bytes_as_zlib(void **state)
{
    enum { N = 300000 };
    uint8_t *in = malloc(N), *want = malloc(N + 1024);
    size_t sizes[] = {0, 1, 2, 7, 64, 1000, 65536, N};
    uint32_t x = 7;

    (void)state;
    assert_non_null(in);
    assert_non_null(want);
    for (size_t i = 0; i < N; i++) {
        /* CSV text for the first 2/3, noise after it. */
        x = x * 1103515245u + 12345u;
        in[i] = i < 2 * N / 3 ? (uint8_t)csv_chunk[i % (sizeof csv_chunk - 1)]
                              : (uint8_t)(x >> 16);
    }
    for (int level = 0; level <= 9; level++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            for (size_t from = 0; from < N; from += 2 * N / 3 - 3000) {
                size_t n = sizes[k] < N - from ? sizes[k] : N - from;
                size_t zn = zlib_stream(want, N + 1024, in + from, n, level);
                uint8_t *payload, flags;
                size_t len;
                struct fault f;

                assert_int_equal(chunkobj_compress(&payload, &len, &flags,
                                                   in + from, n, level, &f),
                                 0);
                if (zn < n) {
                    assert_int_equal(flags, CHUNKOBJ_FLAG_ZLIB);
                    assert_int_equal(len, zn);
                    assert_memory_equal(payload, want, zn);
                } else {
                    assert_int_equal(flags, 0);
                    assert_int_equal(len, n);
                    if (n > 0)
                        assert_memory_equal(payload, in + from, n);
                }
                free(payload);
            }
    free(in);
    free(want);
}

/* zlib's own verdict on payload as a zlib stream of exactly plain_len
 * bytes (inflateInit: the wrapper checked by zlib): 1 with out filled
 * when it accepts, 0 when not. The opener must agree with it. */
static int zlib_accepts(uint8_t *out, const uint8_t *payload, size_t n,
                        size_t plain_len)
{
    z_stream zs;
    int rc, ok;

    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit(&zs), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)payload;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)plain_len;
    rc = inflate(&zs, Z_FINISH);
    ok = rc == Z_STREAM_END && zs.avail_out == 0 && zs.avail_in == 0;
    inflateEnd(&zs);
    return ok;
}

/* The opener checks the zlib header and trailer itself: every change to
 * them is refused exactly when zlib's own inflate refuses it. */
static void test_zlib_wrapper_as_zlib(void **state)
{
    enum { N = 4000 };
    uint8_t plain[N], *payload, *obj, *back, *mut, want[N];
    size_t payload_len, len, back_len, i, cut;
    uint8_t flags;
    struct fault f;
    unsigned b, cmf, flg, tried = 0;

    (void)state;
    for (i = 0; i < N; i++)
        plain[i] = (uint8_t)("0123456789,\n"[i * 7 % 12]);
    assert_int_equal(chunkobj_compress(&payload, &payload_len, &flags, plain,
                                       N, 6, &f),
                     0);
    assert_int_equal(flags, CHUNKOBJ_FLAG_ZLIB);
    mut = malloc(payload_len);
    /* Every bit of the 2-byte header and the 4-byte trailer, flipped. */
    for (i = 0; i < payload_len; i++) {
        if (i >= 2 && i < payload_len - 4)
            continue;
        for (b = 0; b < 8; b++) {
            memcpy(mut, payload, payload_len);
            mut[i] ^= (uint8_t)(1u << b);
            obj = forge(&len, 1, 0, N, mut, payload_len);
            int ours = chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len,
                                     &f) == 0;
            assert_int_equal(ours, zlib_accepts(want, mut, payload_len, N));
            if (ours) {
                assert_memory_equal(back, want, N);
                free(back);
            } else {
                assert_int_equal(f.kind, FAULT_CORRUPT);
            }
            free(obj);
            tried++;
        }
    }
    /* Headers zlib might take: each CMF/FLG pair with a good FCHECK, with
     * and without a dictionary, every window size and method. */
    for (cmf = 0; cmf < 256; cmf++) {
        for (flg = 0; flg < 256; flg++) {
            if ((cmf * 256 + flg) % 31 != 0 || (flg & 0xc0) != 0)
                continue;
            memcpy(mut, payload, payload_len);
            mut[0] = (uint8_t)cmf;
            mut[1] = (uint8_t)flg;
            obj = forge(&len, 1, 0, N, mut, payload_len);
            int ours = chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len,
                                     &f) == 0;
            assert_int_equal(ours, zlib_accepts(want, mut, payload_len, N));
            if (ours)
                free(back);
            free(obj);
            tried++;
        }
    }
    /* The trailer cut short, or the whole stream cut anywhere. */
    for (cut = 1; cut <= payload_len; cut += cut < 8 ? 1 : 37) {
        obj = forge(&len, 1, 0, N, payload, payload_len - cut);
        assert_int_equal(chunkobj_open(&back, &back_len, ck, dsid, 0, obj, len,
                                       &f),
                         -1);
        assert_int_equal(zlib_accepts(want, payload, payload_len - cut, N), 0);
        free(obj);
    }
    assert_true(tried > 48);
    free(mut);
    free(payload);
}

/* One opener and one buffer across objects of many sizes, raw and
 * compressed, growing and shrinking: each opens to its own bytes. */
static void test_opener_reuse(void **state)
{
    static const size_t sizes[] = {0,     1,  100, 70000, 5, 300000,
                                   1,     0,  65536, 2, 1000000, 17};
    struct chunkobj_opener *o = NULL;
    uint8_t *buf = NULL, *plain, *obj;
    size_t cap = 0, len, got, i, k, last_cap = 0;
    uint64_t x = 88172645463325252ull;
    struct fault f;

    (void)state;
    assert_int_equal(chunkobj_opener_new(&o, &f), 0);
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        plain = malloc(sizes[k] + 1);
        for (i = 0; i < sizes[k]; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Odd objects random (stored raw), even ones text. */
            plain[i] = k % 2 ? (uint8_t)x : (uint8_t)("ab,1\n"[x % 5]);
        }
        seal(&obj, &len, plain, sizes[k], k);
        assert_int_equal(chunkobj_opener_open(o, &buf, &cap, &got, ck, dsid, k,
                                              obj, len, &f),
                         0);
        assert_int_equal(got, sizes[k]);
        if (got > 0)
            assert_memory_equal(buf, plain, got);
        assert_true(cap >= got && cap >= last_cap);
        last_cap = cap;
        /* A failure keeps the buffer usable. */
        obj[len - 1] ^= 1;
        assert_int_equal(chunkobj_opener_open(o, &buf, &cap, &got, ck, dsid, k,
                                              obj, len, &f),
                         -1);
        assert_int_equal(got, 0);
        assert_int_equal(f.kind, FAULT_CORRUPT);
        assert_true(cap >= last_cap);
        free(obj);
        free(plain);
    }
    secret_free(buf, cap);
    chunkobj_opener_free(o);
    chunkobj_opener_free(NULL);
}

static void test_bad_level(void **state)
{
    uint8_t *obj = (uint8_t *)1;
    size_t len = 5;
    struct fault f;

    (void)state;
    assert_int_equal(chunkobj_seal(&obj, &len, ck, dsid, 0,
                                   (const uint8_t *)"a", 1, 10, nonce, &f),
                     -1);
    assert_null(obj);
    assert_int_equal(len, 0);
    assert_int_equal(f.kind, FAULT_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_compressed),
        cmocka_unit_test(test_round_trip_raw_and_sizes),
        cmocka_unit_test(test_every_bit_flip_refused),
        cmocka_unit_test(test_truncation_and_extension_refused),
        cmocka_unit_test(test_wrong_key_dataset_index_refused),
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_inflate_checks),
        cmocka_unit_test(test_same_bytes_as_zlib),
        cmocka_unit_test(test_zlib_wrapper_as_zlib),
        cmocka_unit_test(test_opener_reuse),
        cmocka_unit_test(test_bad_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
