/* Unit tests for lib/secret.c: wiping and constant-time comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/secret.h"

static void test_wipe(void **state)
{
    uint8_t buf[64];

    (void)state;
    memset(buf, 0x5a, sizeof buf);
    secret_wipe(buf + 8, 48);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], (i < 8 || i >= 56) ? 0x5a : 0);
    secret_wipe(NULL, 0);
    secret_wipe(buf, 0);
    assert_int_equal(buf[0], 0x5a);
}

static void test_equal(void **state)
{
    uint8_t a[33], b[33];

    (void)state;
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (uint8_t)(i * 29);
    assert_int_equal(secret_equal(a, b, sizeof a), 1);
    /* A difference at each position, in each bit, is seen. */
    for (size_t i = 0; i < sizeof a; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(secret_equal(a, b, sizeof a), 0);
            /* ...but not outside the compared length. */
            assert_int_equal(secret_equal(a, b, i), 1);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* The result is exactly 0 or 1, usable as a boolean anywhere. */
    b[0] ^= 0xff;
    assert_int_equal(secret_equal(a, b, sizeof a), 0);
    assert_int_equal(secret_equal(a, a, sizeof a), 1);
    assert_int_equal(secret_equal(NULL, NULL, 0), 1);
    assert_int_equal(secret_equal(a, b, 0), 1);
}

static void test_free_wipes(void **state)
{
    uint8_t *p = malloc(100);

    (void)state;
    assert_non_null(p);
    memset(p, 0x77, 100);
    secret_free(p, 100);
    secret_free(NULL, 0);
    secret_free(NULL, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_free_wipes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
