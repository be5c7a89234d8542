/* Unit tests for lib/secp.c: one context, made once, from any thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <string.h>

#include <cmocka.h>

#include "lib/secp.h"

#define THREADS 8

static void *grab(void *arg)
{
    const secp256k1_context **out = arg;
    *out = secp_context();
    return NULL;
}

static void test_one_context(void **state)
{
    pthread_t t[THREADS];
    const secp256k1_context *got[THREADS];
    const secp256k1_context *ctx;
    secp256k1_pubkey pub;
    uint8_t key[32] = {0};

    (void)state;
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, grab, &got[i]), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    ctx = secp_context();
    assert_non_null(ctx);
    for (int i = 0; i < THREADS; i++)
        assert_ptr_equal(got[i], ctx);
    /* It signs (a randomized context still works). */
    key[31] = 7;
    assert_int_equal(secp256k1_ec_pubkey_create(ctx, &pub, key), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
