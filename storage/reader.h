/*
 * reader: the read path. Given a data-set and a chunk, fetch the object,
 * check that its bytes hash to its name, that its header and index are
 * the chunk's, decrypt it, inflate it to exactly the recorded length, and
 * hand back the chunk's rows. Any mismatch, truncation, flipped bit or
 * wrong key is a FAULT_CORRUPT with a sentence that says which, never
 * garbage rows.
 */
#ifndef SLUICE_STORAGE_READER_H
#define SLUICE_STORAGE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"
#include "storage/store.h"

/* Read chunk c of data-set d, decrypting with chunk key ck. Returns 0 with
 * *plain (malloc'd; the caller wipes and frees) and *len set; on failure
 * -1 with *plain = NULL, *len = 0 and f set (FAULT_NOT_FOUND for a missing
 * object, FAULT_CORRUPT for any damage). */
int reader_chunk_with_key(struct store *st, uint8_t **plain, size_t *len,
                          const struct catalog_dataset *d,
                          const struct catalog_chunk *c, const uint8_t ck[32],
                          struct fault *f) __attribute__((warn_unused_result));

/* Read chunk index of published data-set id, deriving its key. Same
 * contract as reader_chunk_with_key; FAULT_NOT_FOUND also for an unknown
 * or unpublished data-set or chunk. */
int reader_chunk(struct store *st, uint8_t **plain, size_t *len,
                 const uint8_t id[CATALOG_ID_LEN], uint64_t index,
                 struct fault *f) __attribute__((warn_unused_result));

/* Where exported bytes go: write len bytes; return 0, or -1 with f set. */
typedef int (*reader_write_fn)(void *arg, const uint8_t *buf, size_t len,
                               struct fault *f);

/* Write the original bytes of published data-set id to `write`: its prefix
 * then every chunk in order, each verified as reader_chunk does. Returns
 * 0, or -1 with f set (what was written before the failure stays
 * written). */
int reader_export(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                  reader_write_fn write, void *arg, struct fault *f)
    __attribute__((warn_unused_result));

#endif
