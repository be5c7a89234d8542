/*
 * pending: the files being written that no clean-up may remove: a part
 * file written on an offload thread is registered here (by data-set id and
 * the SHA-256 that names it) until its row is recorded or refused, so
 * that replacing another part, expiring a draft or sweeping a folder on
 * another thread leaves it alone. One registry per store (store.h), shared
 * by its clones; safe from any thread.
 */
#ifndef SLUICE_STORAGE_PENDING_H
#define SLUICE_STORAGE_PENDING_H

#include <stdint.h>

#include "lib/fault.h"

#define PENDING_ID_LEN 32

struct pending;

/* Make an empty registry. Returns 0 with *out set, or -1 with *out = NULL
 * and f set. */
int pending_new(struct pending **out, struct fault *f)
    __attribute__((warn_unused_result));

/* Free p. p may be NULL. */
void pending_free(struct pending *p);

/* Mark (id, sha256) as being written; calls nest (two writes of the same
 * bytes). Returns 0, or -1 with f set (out of memory, or no registry). */
int pending_add(struct pending *p, const uint8_t id[PENDING_ID_LEN],
                const uint8_t sha256[32], struct fault *f)
    __attribute__((warn_unused_result));

/* Undo one pending_add of (id, sha256). p may be NULL. */
void pending_remove(struct pending *p, const uint8_t id[PENDING_ID_LEN],
                    const uint8_t sha256[32]);

/* Return 1 if (id, sha256) is being written (any file of id when sha256 is
 * NULL), else 0. p may be NULL (nothing is). */
int pending_has(struct pending *p, const uint8_t id[PENDING_ID_LEN],
                const uint8_t *sha256);

#endif
