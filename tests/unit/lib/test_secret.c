/* Unit tests for lib/secret.c: wiping and constant-time comparison.
 *
 * secret_free's wipe happens just before free(), where no later read of
 * the block is allowed. This binary is linked with -Wl,--wrap=free (see
 * tests/module.mk), so every free() of ours goes through __wrap_free
 * below, which looks at the block while it is still ours and then frees
 * it for real. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/secret.h"

void __real_free(void *p);
void __wrap_free(void *p);

/* What __wrap_free saw of the block it was told to watch. */
static struct {
    const void *watch;  /* the block to look at, or NULL */
    size_t len;         /* its size */
    int freed;          /* free() was called on it */
    size_t nonzero;     /* bytes that were not zero when it was */
} free_seen;

void __wrap_free(void *p)
{
    const volatile uint8_t *b = p;
    size_t i;

    if (p != NULL && p == free_seen.watch) {
        free_seen.freed++;
        for (i = 0; i < free_seen.len; i++)
            if (b[i] != 0)
                free_seen.nonzero++;
        free_seen.watch = NULL;
    }
    __real_free(p);
}

/* Count the bytes of p[0..len) that are not zero, reading through a
 * volatile pointer so that the reads are really made. */
static size_t count_nonzero(const void *p, size_t len)
{
    const volatile uint8_t *b = p;
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        if (b[i] != 0)
            n++;
    return n;
}

static void test_wipe(void **state)
{
    uint8_t buf[64];
    volatile uint8_t *v = buf;
    uint8_t *heap;

    (void)state;
    memset(buf, 0x5a, sizeof buf);
    secret_wipe(buf + 8, 48);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(v[i], (i < 8 || i >= 56) ? 0x5a : 0);
    secret_wipe(NULL, 0);
    secret_wipe(buf, 0);
    assert_int_equal(v[0], 0x5a);
    /* Every byte of a heap block, of every value, whatever its size. */
    for (size_t len = 1; len <= 4096; len = len * 3 + 1) {
        heap = malloc(len);
        assert_non_null(heap);
        for (size_t i = 0; i < len; i++)
            heap[i] = (uint8_t)(i * 131 + 1) | 1;
        assert_int_equal(count_nonzero(heap, len), len);
        secret_wipe(heap, len);
        assert_int_equal(count_nonzero(heap, len), 0);
        free(heap);
    }
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

/* secret_free wipes the whole block before it frees it, and frees it
 * exactly once. */
static void test_free_wipes(void **state)
{
    uint8_t *p = malloc(100);

    (void)state;
    assert_non_null(p);
    memset(p, 0x77, 100);
    memset(&free_seen, 0, sizeof free_seen);
    free_seen.watch = p;
    free_seen.len = 100;
    secret_free(p, 100);
    assert_int_equal(free_seen.freed, 1);
    assert_int_equal(free_seen.nonzero, 0);

    /* The watch itself works: a block freed without a wipe is seen as
     * such (otherwise the check above proves nothing). Called by name:
     * the compiler may drop a malloc/memset/free it can see through. */
    p = malloc(100);
    assert_non_null(p);
    memset(p, 0x77, 100);
    memset(&free_seen, 0, sizeof free_seen);
    free_seen.watch = p;
    free_seen.len = 100;
    __wrap_free(p);
    assert_int_equal(free_seen.freed, 1);
    assert_int_equal(free_seen.nonzero, 100);

    memset(&free_seen, 0, sizeof free_seen);
    secret_free(NULL, 0);
    secret_free(NULL, 100);
    assert_int_equal(free_seen.freed, 0);
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
