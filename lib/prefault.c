#include "lib/prefault.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

void prefault(void *p, size_t n)
{
#if defined(MADV_POPULATE_WRITE)
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t a, b;

    if (p == NULL || page <= 0 || n < (size_t)page * 4)
        return;
    a = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    b = ((uintptr_t)p + n) & ~((uintptr_t)page - 1);
    if (b > a)
        (void)madvise((void *)a, b - a, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}
