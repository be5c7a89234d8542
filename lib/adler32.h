/*
 * adler32: the Adler-32 checksum of RFC 1950, the trailer of a zlib
 * stream, computed with SSE2 where the compiler targets it (every x86-64)
 * and by zlib's own adler32() elsewhere.
 *
 * Why we have our own: zlib 1.2.13 (Debian 12) sums one byte at a time,
 * about 2.3 GB/s here, which is a twentieth of a level-1 deflate of CSV
 * on one core. storage/chunkobj.c deflates raw and writes the zlib header
 * and this trailer itself; the stream is byte for byte the one zlib would
 * write (tests/unit/storage/test_chunkobj.c checks every level).
 */
#ifndef SLUICE_LIB_ADLER32_H
#define SLUICE_LIB_ADLER32_H

#include <stddef.h>
#include <stdint.h>

/* The Adler-32 of an empty input: where a running checksum starts. */
#define ADLER32_INIT 1u

/* Return the checksum adler (of the bytes so far; ADLER32_INIT at the
 * start) extended over p[0..n). p may be NULL when n is 0. Any n, any
 * alignment; the result equals zlib's adler32(adler, p, n) for every
 * adler that zlib could have returned. */
uint32_t adler32_update(uint32_t adler, const uint8_t *p, size_t n);

#endif
