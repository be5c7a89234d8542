/* Unit tests for storage/dskey.c: data-set key sealing, chunk keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/hex.h"
#include "storage/dskey.h"

static void fill(uint8_t *p, size_t n, uint8_t start, uint8_t step)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(start + i * step);
}

/* Vectors computed independently with Python's hmac (RFC 5869 HKDF):
 * DK = 00 01 .. 1f, dataset_id = aa * 32. */
static void test_chunk_key_vectors(void **state)
{
    static const struct {
        uint64_t index;
        const char *ck;
    } cases[] = {
        {0, "998bc5691dd8f81e63998023bbac2b6b30f7306460d0b5493ac1887ad36b671a"},
        {5, "301656cebcf1bf13fba0fc862e05bd83243afbe1231b9a4bf6128d7933fcb0e8"},
        {UINT64_MAX,
         "35647a749fdd48e7ddd9901bfc6112e8ec2ce343d9f54552c270b9658423db2f"},
    };
    uint8_t dk[32], ds[32], ck[32], want[32];
    struct fault f;
    size_t i;

    (void)state;
    fill(dk, 32, 0, 1);
    memset(ds, 0xaa, 32);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(hex_decode(want, 32, cases[i].ck, 64, "ck", &f), 0);
        assert_int_equal(dskey_chunk_key(ck, dk, ds, cases[i].index, &f), 0);
        assert_memory_equal(ck, want, 32);
    }
}

static void test_chunk_keys_differ(void **state)
{
    uint8_t dk[32], ds[32], a[32], b[32];
    struct fault f;

    (void)state;
    fill(dk, 32, 3, 7);
    memset(ds, 1, 32);
    assert_int_equal(dskey_chunk_key(a, dk, ds, 1, &f), 0);
    assert_int_equal(dskey_chunk_key(b, dk, ds, 2, &f), 0);
    assert_memory_not_equal(a, b, 32);
    ds[0] ^= 1; /* another data-set with the same DK: other keys */
    assert_int_equal(dskey_chunk_key(b, dk, ds, 1, &f), 0);
    assert_memory_not_equal(a, b, 32);
}

static void test_seal_round_trip_and_misuse(void **state)
{
    uint8_t mk[32], ds[32], dk[32], back[32], sealed[DSKEY_SEALED_LEN],
        sealed2[DSKEY_SEALED_LEN], other[32];
    struct fault f;
    size_t i;

    (void)state;
    fill(mk, 32, 11, 3);
    fill(ds, 32, 200, 1);
    fill(dk, 32, 50, 5);
    assert_int_equal(dskey_seal(sealed, mk, ds, dk, &f), 0);
    assert_int_equal(dskey_unseal(back, mk, ds, sealed, sizeof sealed, &f), 0);
    assert_memory_equal(back, dk, 32);
    /* A fresh nonce every time. */
    assert_int_equal(dskey_seal(sealed2, mk, ds, dk, &f), 0);
    assert_memory_not_equal(sealed, sealed2, 12);

    memcpy(other, mk, 32);
    other[0] ^= 0x80;
    memset(back, 0x55, 32);
    assert_int_equal(dskey_unseal(back, other, ds, sealed, sizeof sealed, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_CORRUPT);
    for (i = 0; i < 32; i++)
        assert_int_equal(back[i], 0); /* cleared on failure */

    memcpy(other, ds, 32);
    other[31] ^= 1; /* moved to another data-set */
    assert_int_equal(dskey_unseal(back, mk, other, sealed, sizeof sealed, &f),
                     -1);
    for (i = 0; i < sizeof sealed; i++) {
        sealed[i] ^= 4;
        assert_int_equal(dskey_unseal(back, mk, ds, sealed, sizeof sealed, &f),
                         -1);
        sealed[i] ^= 4;
    }
    assert_int_equal(dskey_unseal(back, mk, ds, sealed, sizeof sealed - 1, &f),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_key_vectors),
        cmocka_unit_test(test_chunk_keys_differ),
        cmocka_unit_test(test_seal_round_trip_and_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
