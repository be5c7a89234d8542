/*
 * objstore: content-addressed, immutable objects on local disk.
 *
 * An object is named by the lowercase hex SHA-256 of its bytes and lives
 * at <root>/<first two hex digits>/<id>; objstore_open makes the 256 fan-out
 * folders (and fsyncs the root), so that their names are durable before any
 * object goes in them and no write pays for a mkdir. A write goes to <root>/tmp, is fsynced, renamed into place
 * and its folder fsynced: a crash leaves either the whole object under its
 * final name or a temporary file that objstore_sweep_tmp removes, never a
 * half-written object under a final name. An object that already exists
 * is kept (same name, same bytes).
 *
 * A bulk writer stages objects in a batch and flushes the batch before it
 * commits the rows that name them. Safe to call from several threads.
 */
#ifndef SLUICE_STORAGE_OBJSTORE_H
#define SLUICE_STORAGE_OBJSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define OBJSTORE_ID_LEN 64       /* hex digits */
#define OBJSTORE_ID_SIZE 65      /* with the NUL */

struct objstore;

/* Open the store rooted at root, creating its folders (those that a crash
 * or an operator removed too). Returns 0 with *out
 * set; on failure -1 with *out = NULL and f set (FAULT_IO). */
int objstore_open(struct objstore **out, const char *root, struct fault *f)
    __attribute__((warn_unused_result));

/* Free s. s may be NULL. */
void objstore_close(struct objstore *s);

/* Return 1 if id is 64 lowercase hex digits, else 0. */
int objstore_id_valid(const char *id);

/* Write data durably, name it by its SHA-256 and put its id in id_out.
 * Returns 0; on failure -1 with id_out = "" and f set (FAULT_IO). */
int objstore_put(struct objstore *s, char id_out[OBJSTORE_ID_SIZE],
                 const uint8_t *data, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* A batch of objects written together, for bulk writers: the objects are
 * staged one by one (from several threads at once if need be) and made
 * durable under their names together by objstore_flush, which costs one
 * or two journal commits for the batch instead of one per object. */
struct objstore_batch;

/* Start a batch on s (which must outlive it). Returns 0 with *out set; on
 * failure -1 with *out = NULL and f set. */
int objstore_batch_new(struct objstore_batch **out, struct objstore *s,
                       struct fault *f) __attribute__((warn_unused_result));

/* Remove the temporary files of every object still staged in b, and free
 * b. b may be NULL. */
void objstore_batch_free(struct objstore_batch *b);

/* Write data to a temporary file of b and start its writeback, and put its
 * id in id_out; the object has no name yet (and may not survive a crash)
 * until the next objstore_flush. An object that already exists is not
 * looked for: it is staged again, and the flush renames the same bytes
 * over it. Thread-safe. Returns 0; on failure -1 with id_out = "",
 * nothing staged and f set (FAULT_IO). */
int objstore_stage(struct objstore_batch *b, char id_out[OBJSTORE_ID_SIZE],
                   const uint8_t *data, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Make every object staged in b before this call durable under its name:
 * fsync their bytes, rename them into place, fsync their folders. Returns
 * 0; on failure -1 with f set (FAULT_IO) and nothing staged any more:
 * objects not yet named are removed, those already named are left for the
 * caller, which never recorded them, to remove. */
int objstore_flush(struct objstore_batch *b, struct fault *f)
    __attribute__((warn_unused_result));

/* Read object id, refusing one larger than max_len, and check that its
 * bytes hash to id. Returns 0 with *out (malloc'd, caller frees) and *len
 * set; on failure -1 with *out = NULL, *len = 0 and f set: FAULT_NOT_FOUND
 * when it does not exist, FAULT_CORRUPT when its hash differs or it is too
 * large, FAULT_IO when it cannot be read, FAULT_INVALID for a bad id. */
int objstore_get(struct objstore *s, uint8_t **out, size_t *len,
                 const char *id, size_t max_len, struct fault *f)
    __attribute__((warn_unused_result));

/* Put the path of object id in out (cap bytes). Returns 0, or -1 (out set
 * to "") for a bad id or a path that does not fit. */
int objstore_path(const struct objstore *s, char *out, size_t cap,
                  const char *id) __attribute__((warn_unused_result));

/* Remove object id if it exists. Returns 0, or -1 with f set. */
int objstore_remove(struct objstore *s, const char *id, struct fault *f)
    __attribute__((warn_unused_result));

/* Remove every temporary file a crashed writer left. Only safe while no
 * writer runs (at start, under the data dir lock). Returns the number
 * removed, or -1 with f set. */
long objstore_sweep_tmp(struct objstore *s, struct fault *f);

/* Call fn(arg, id) for every object in the store, in no particular order.
 * fn returns 0 to go on, or -1 to stop (then this returns -1, with f as fn
 * left it). Returns 0, or -1 with f set. */
int objstore_each(struct objstore *s, int (*fn)(void *arg, const char *id,
                                                struct fault *f),
                  void *arg, struct fault *f) __attribute__((warn_unused_result));

#endif
