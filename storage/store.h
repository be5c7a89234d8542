/*
 * store: one data dir, opened whole.
 *
 *     <dir>/sluiced.lock   held (flock) while a process uses the dir
 *     <dir>/master.key     the master key (masterkey.h)
 *     <dir>/sluice.db      SQLite (db.h, schema.h)
 *     <dir>/objects/       chunk objects (objstore.h)
 *
 * Opening takes the lock, so two processes never write one dir, and then
 * repairs what a crash left: an ingest that was cut off (a data-set still
 * "publishing") becomes "failed" with reason "interrupted", its chunk rows
 * and objects are removed, temporary object files are swept, and objects
 * that no chunk names are deleted. Nothing that looked published before
 * the crash changes.
 */
#ifndef SLUICE_STORAGE_STORE_H
#define SLUICE_STORAGE_STORE_H

#include <stdint.h>

#include "lib/fault.h"
#include "storage/catalog.h"
#include "storage/masterkey.h"
#include "storage/objstore.h"
#include "storage/splitter.h"

struct sqlite3;

struct pending;

struct store {
    char *dir;
    int lock_fd;
    uint8_t mk[MASTERKEY_LEN];
    struct sqlite3 *db;         /* storage and the ledger backend only */
    struct objstore *objects;
    const struct store *parent; /* set on a clone (store_clone) */
    struct pending *pending; /* part files being written (pending.h);
                                      a clone shares its parent's */
};

/* What store_open repaired. */
struct store_recovery {
    unsigned long interrupted;  /* data-sets marked failed */
    long tmp_removed;           /* temporary object files removed */
    unsigned long orphans;      /* objects that no chunk named, removed */
};

/* What a new data-set is. */
struct store_dataset_spec {
    enum splitter_format format;
    const char *name;           /* may be NULL: "" */
    const char *owner;          /* EIP-55 text or NULL */
    uint64_t chunk_bytes;       /* 0: the default, 1 MiB */
    uint64_t chunk_rows;        /* 0: by bytes */
    int zlib_level;             /* 0..9; -1: the default, 1 */
    uint64_t preview_rows;
};

#define STORE_DEFAULT_CHUNK_BYTES ((uint64_t)1 << 20)
#define STORE_DEFAULT_ZLIB_LEVEL 1

/* Open (creating if needed) the data dir dir, lock it and repair it.
 * Returns 0 with *out set and, when rec is not NULL, *rec filled; on
 * failure -1 with *out = NULL and f set (FAULT_CONFLICT when another
 * process holds the dir, FAULT_INVALID for a bad master key file or for a
 * missing one beside an existing database: a new key would make every
 * stored data-set unreadable, so that needs the operator; FAULT_IO or
 * FAULT_CORRUPT otherwise). */
int store_open(struct store **out, struct store_recovery *rec, const char *dir,
               struct fault *f) __attribute__((warn_unused_result));

/* As store_open, but refuse (FAULT_NOT_FOUND, field "data_dir") a dir
 * that does not exist or holds no database yet: for commands that read an
 * existing store, where a mistyped path must not make an empty one. */
int store_open_existing(struct store **out, struct store_recovery *rec,
                        const char *dir, struct fault *f)
    __attribute__((warn_unused_result));

/* Open a second handle on the open store s for another thread: its own
 * database connection, the same master key, object store and lock (no
 * repair is run). Close it with store_close before s. Returns 0 with *out
 * set, or -1 with *out = NULL and f set. */
int store_clone(struct store **out, const struct store *s, struct fault *f)
    __attribute__((warn_unused_result));

/* Begin a transaction on s's connection (for storage's own multi-step
 * writes: an ingest's rows). Returns 0, or -1 with f set. */
int store_begin(struct store *s, struct fault *f)
    __attribute__((warn_unused_result));

/* Commit it durably. Returns 0; -1 with f set, and then nothing of it was
 * kept. */
int store_commit(struct store *s, struct fault *f)
    __attribute__((warn_unused_result));

/* Roll it back. */
void store_rollback(struct store *s);

/* Close s, wiping the master key and releasing the lock. s may be NULL. */
void store_close(struct store *s);

/* Create a data-set with a new random id and key, in state, and put its id
 * in id. Returns 0; on failure -1 with id zeroed and f set (FAULT_INVALID
 * naming the spec field out of range). */
int store_create_dataset(struct store *s, uint8_t id[CATALOG_ID_LEN],
                         const struct store_dataset_spec *spec,
                         enum catalog_state state, struct fault *f)
    __attribute__((warn_unused_result));

/* Derive chunk index's key of data-set d into ck. Returns 0; on failure -1
 * with ck zeroed and f set (FAULT_CORRUPT when the sealed key does not
 * open). */
int store_chunk_key(struct store *s, uint8_t ck[32],
                    const struct catalog_dataset *d, uint64_t index,
                    struct fault *f) __attribute__((warn_unused_result));

/* Open data-set d's key into dk. Returns 0; on failure -1 with dk zeroed
 * and f set. */
int store_dataset_key(struct store *s, uint8_t dk[DSKEY_LEN],
                      const struct catalog_dataset *d, struct fault *f)
    __attribute__((warn_unused_result));

/* Remove data-set id's chunk rows and the objects they name (unless
 * another data-set names the same object), in bounded batches. Returns 0,
 * or -1 with f set. */
int store_drop_chunks(struct store *s, const uint8_t id[CATALOG_ID_LEN],
                      struct fault *f) __attribute__((warn_unused_result));

/* Ask the next store_open to sweep objects that no chunk names (after a
 * failed clean-up left some). Returns 0, or -1 with f set. */
int store_request_sweep(struct store *s, struct fault *f)
    __attribute__((warn_unused_result));

#endif
