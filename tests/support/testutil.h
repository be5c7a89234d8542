/*
 * testutil: what several unit tests need: a fresh temporary folder per
 * case, removed with everything in it afterwards, and small file helpers.
 */
#ifndef SLUICE_TESTS_TESTUTIL_H
#define SLUICE_TESTS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Create a fresh folder under $TMPDIR (or /tmp) and return its path
 * (malloc'd). Aborts the test run if it cannot. */
char *testutil_mkdtemp(void);

/* Remove path and everything below it; free path. path may be NULL. */
void testutil_rmtree(char *path);

/* Write len bytes to path (created with mode 0600, truncated). Returns 0
 * or -1. */
int testutil_write_file(const char *path, const void *data, size_t len);

/* Read all of path into *out (malloc'd) and *len. Returns 0 or -1. */
int testutil_read_file(const char *path, uint8_t **out, size_t *len);

/* Fill buf with len deterministic pseudo-random bytes from *state (an
 * xorshift generator; not for secrets). */
void testutil_fill(uint8_t *buf, size_t len, uint64_t *state);

/* Count regular files below path. */
long testutil_count_files(const char *path);

#endif
