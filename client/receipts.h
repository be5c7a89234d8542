/*
 * receipts: the receipts a worker keeps (DESIGN.md 3.10), one JSON file
 * per query, named by its query id, in a folder beside the key file
 * (~/.config/sluice/receipts/ for the default key). Each file holds what
 * the worker asked (data-set, selector), the receipt the gateway signed,
 * and the whole answer (its keys are wrapped to the worker's key, so only
 * that key can use them): enough to audit a release later against the
 * gateway's log, and to resume a download without a new query.
 *
 * A file is written atomically (a temporary file, synced, renamed; the
 * folder synced), mode 0600 in a folder of mode 0700, so that a crash
 * never leaves half a receipt under a query's name.
 */
#ifndef SLUICE_CLIENT_RECEIPTS_H
#define SLUICE_CLIENT_RECEIPTS_H

#include <stddef.h>

#include <jansson.h>

#include "lib/fault.h"

#define RECEIPTS_DIR_NAME "receipts"
#define RECEIPTS_PATH_MAX 4200
#define RECEIPTS_MAX 100000 /* files a listing reads at most */

/* Write the receipts folder that goes with the key file key_path (its
 * folder + "/receipts") into out[0..cap). Returns 0; on failure -1 with
 * out = "" and f FAULT_INVALID (a path that does not fit). */
int receipts_dir(char *out, size_t cap, const char *key_path,
                 struct fault *f) __attribute__((warn_unused_result));

/* Write record as <dir>/<query_id>.json, atomically, making dir (mode
 * 0700) when missing. query_id is "0x" + 32 hex digits. Returns 0 with
 * the file's path in path[0..cap); on failure -1 with path = "" and f set
 * (FAULT_INVALID for a bad query id, FAULT_IO when it cannot be written;
 * nothing is left under the final name). */
int receipts_save(char *path, size_t cap, const char *dir,
                  const char *query_id, const json_t *record,
                  struct fault *f) __attribute__((warn_unused_result));

/* Read <dir>/<query_id>.json. Returns 0 with *out a new reference (the
 * caller json_decref's it); on failure -1 with *out = NULL and f set
 * (FAULT_NOT_FOUND when there is no such receipt, FAULT_CORRUPT when it
 * is not a JSON object, FAULT_INVALID for a bad query id). */
int receipts_load(json_t **out, const char *dir, const char *query_id,
                  struct fault *f) __attribute__((warn_unused_result));

/* Read every receipt file of dir (at most RECEIPTS_MAX, by name order)
 * and call fn with its name and record (borrowed for the call); files
 * that do not parse are passed with record NULL. A missing dir holds no
 * receipts. Returns 0, or -1 with f set (FAULT_IO when dir cannot be
 * read, or what fn set when it returned -1). */
int receipts_each(const char *dir,
                  int (*fn)(void *arg, const char *name,
                            const json_t *record, struct fault *f),
                  void *arg, struct fault *f)
    __attribute__((warn_unused_result));

#endif
