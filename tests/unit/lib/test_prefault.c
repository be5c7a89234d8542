/* Unit tests for lib/prefault.c: fresh pages made present in one call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/prefault.h"

static long minor_faults(void)
{
    struct rusage ru;

    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_minflt;
}

/* Any pointer and size: nothing breaks, nothing written changes. */
static void test_any_input(void **state)
{
    static const size_t sizes[] = {0, 1, 4095, 4096, 16383, 65537,
                                   (1u << 20) + 3};
    uint8_t *p;
    size_t i, k, off;

    (void)state;
    prefault(NULL, 0);
    prefault(NULL, 1u << 20);
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (off = 0; off < 3; off++) {
            p = malloc(sizes[i] + off + 1);
            assert_non_null(p);
            for (k = 0; k < sizes[i] + off + 1; k++)
                p[k] = (uint8_t)(k * 7 + i);
            prefault(p + off, sizes[i]);
            for (k = 0; k < sizes[i] + off + 1; k++)
                if (p[k] != (uint8_t)(k * 7 + i))
                    fail_msg("byte %zu of case %zu changed", k, i);
            free(p);
        }
    }
}

/* Page faults taken while writing one byte in each page of p[0..n). */
static long touch_faults(uint8_t *p, size_t n, long page)
{
    volatile uint8_t *v = p;
    long before = minor_faults();
    size_t k;

    for (k = 0; k < n; k += (size_t)page)
        v[k] = 0x5a;
    return minor_faults() - before;
}

/* Where the kernel can populate, writing a prefaulted buffer takes far
 * fewer page faults than writing a fresh one of the same size (compared,
 * not counted: under ASan the shadow's pages fault for both). */
static void test_pages_present(void **state)
{
    const size_t n = (size_t)8 << 20;
    long page = sysconf(_SC_PAGESIZE), fresh, done;
    uint8_t *a, *b;

    (void)state;
    a = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    b = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    assert_true(a != MAP_FAILED && b != MAP_FAILED);
#if defined(MADV_POPULATE_WRITE)
    if (madvise(b, (size_t)page, MADV_POPULATE_WRITE) != 0) {
        munmap(a, n);
        munmap(b, n);
        skip(); /* an older kernel: nothing to measure */
    }
#endif
    fresh = touch_faults(a, n, page);
    prefault(b, n);
    done = touch_faults(b, n, page);
#if defined(MADV_POPULATE_WRITE)
    /* 2 048 pages each. */
    assert_true(done + 1024 < fresh);
#else
    (void)done;
    (void)fresh;
#endif
    munmap(a, n);
    munmap(b, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_any_input),
        cmocka_unit_test(test_pages_present),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
