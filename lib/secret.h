/*
 * secret: the two operations every secret byte string needs.
 *
 * Keys, decrypted buffers and private keys are wiped with secret_wipe on
 * every path out of the function that holds them (the compiler may not
 * elide it), and MACs, tags and key material are compared with
 * secret_equal, whose time does not depend on where the inputs differ.
 */
#ifndef SLUICE_LIB_SECRET_H
#define SLUICE_LIB_SECRET_H

#include <stddef.h>

/* Overwrite len bytes at p with zeros in a way the compiler keeps.
 * p may be NULL when len is 0. */
void secret_wipe(void *p, size_t len);

/* Return 1 if the len bytes at a and b are equal, 0 otherwise, in time that
 * depends only on len. */
int secret_equal(const void *a, const void *b, size_t len);

/* Free p after wiping len bytes of it. p may be NULL. */
void secret_free(void *p, size_t len);

#endif
