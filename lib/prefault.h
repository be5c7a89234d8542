/*
 * prefault: fault in the pages of a fresh buffer in one call.
 *
 * A buffer that is kept and used again and again (a worker's chunk
 * buffers) takes a page fault on each of its pages the first time it is
 * written. On this virtual machine a fault costs some 10 us, most of it
 * the exception's way in and out; MADV_POPULATE_WRITE (Linux 5.14) makes
 * the same pages in one system call. Elsewhere it does nothing, and the
 * pages fault in as they always did.
 */
#ifndef SLUICE_LIB_PREFAULT_H
#define SLUICE_LIB_PREFAULT_H

#include <stddef.h>

/* Make the whole pages inside p[0..n) present and writable, when the
 * kernel can; a hint: nothing fails. */
void prefault(void *p, size_t n);

#endif
