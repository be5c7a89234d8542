/*
 * objstore: content-addressed, immutable objects on local disk.
 *
 * An object is named by the lowercase hex SHA-256 of its bytes and lives
 * at <root>/<first two hex digits>/<id>; a fan-out folder is made on first
 * use and the root fsynced then, so that its name is durable before any
 * object goes in it. A write goes to <root>/tmp, is fsynced, renamed into place
 * and its folder fsynced: a crash leaves either the whole object under its
 * final name or a temporary file that objstore_sweep_tmp removes, never a
 * half-written object under a final name. An object that already exists
 * is kept (same name, same bytes).
 *
 * A bulk writer may defer the folder fsyncs (objstore_put_deferred) and
 * make them once per batch (objstore_sync_dirs) before it commits the rows
 * that name the objects. Safe to call from several threads at once.
 */
#ifndef SLUICE_STORAGE_OBJSTORE_H
#define SLUICE_STORAGE_OBJSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define OBJSTORE_ID_LEN 64       /* hex digits */
#define OBJSTORE_ID_SIZE 65      /* with the NUL */

struct objstore;

/* Open the store rooted at root, creating its folders. Returns 0 with *out
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

/* As objstore_put, but leave the fsync of the object's folder to the next
 * objstore_sync_dirs: until then the name may not survive a power cut
 * (the bytes do). Same contract otherwise. */
int objstore_put_deferred(struct objstore *s, char id_out[OBJSTORE_ID_SIZE],
                          const uint8_t *data, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* fsync every folder that objstore_put_deferred wrote into since the last
 * call, so that every object written before this call keeps its name
 * across a power cut. Returns 0, or -1 with f set (FAULT_IO; the folders
 * not yet synced stay marked). */
int objstore_sync_dirs(struct objstore *s, struct fault *f)
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
