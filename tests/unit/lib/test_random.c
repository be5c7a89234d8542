/* Unit tests for lib/random.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/random.h"

static void test_fills(void **state)
{
    uint8_t a[64], b[64];
    struct fault f;
    int counts[256] = {0};
    size_t len = 1 << 20;
    uint8_t *big = malloc(len);

    (void)state;
    fault_clear(&f);
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    assert_int_equal(random_bytes(a, sizeof a, &f), 0);
    assert_int_equal(random_bytes(b, sizeof b, &f), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(random_bytes(NULL, 0, &f), 0);
    assert_int_equal(f.kind, FAULT_NONE);
    /* A megabyte: every byte value shows up, none wildly often. */
    assert_non_null(big);
    assert_int_equal(random_bytes(big, len, NULL), 0);
    for (size_t i = 0; i < len; i++)
        counts[big[i]]++;
    for (int v = 0; v < 256; v++)
        assert_true(counts[v] > 3500 && counts[v] < 4700);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
