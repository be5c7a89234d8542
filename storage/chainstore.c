#include "storage/chainstore.h"

#include <string.h>

#include "storage/db.h"

int chainstore_read(sqlite3 *db, struct chainstore_state *out,
                    struct fault *f)
{
    sqlite3_stmt *st = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    if (db_prepare(db, &st,
                   "SELECT chain_id, contract, tip, last_credited_block, "
                   "finality_violations FROM chain_state WHERE id = 1",
                   f) < 0)
        return -1;
    rc = db_step(db, st, "read the chain checkpoint", f);
    if (rc == 1) {
        if (sqlite3_column_bytes(st, 1) != 20) {
            db_release(st);
            return fault_set(f, FAULT_CORRUPT, NULL,
                             "the chain checkpoint is bad");
        }
        out->chain_id = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(out->contract, sqlite3_column_blob(st, 1), 20);
        out->tip = sqlite3_column_int64(st, 2);
        out->last_credited_block = sqlite3_column_int64(st, 3);
        out->finality_violations = (uint64_t)sqlite3_column_int64(st, 4);
    }
    db_release(st);
    return rc;
}

int chainstore_open(sqlite3 *db, struct chainstore_state *out,
                    uint64_t chain_id, const uint8_t contract[20],
                    uint64_t start, struct fault *f)
{
    sqlite3_stmt *st = NULL;
    int rc;

    rc = chainstore_read(db, out, f);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        if (out->chain_id != chain_id) {
            fault_set(f, FAULT_CONFLICT, "chain_id",
                      "this data dir follows chain %llu, not %llu",
                      (unsigned long long)out->chain_id,
                      (unsigned long long)chain_id);
            memset(out, 0, sizeof *out);
            return -1;
        }
        if (memcmp(out->contract, contract, 20) != 0) {
            memset(out, 0, sizeof *out);
            return fault_set(f, FAULT_CONFLICT, "contract",
                             "this data dir follows another market "
                             "contract");
        }
        return 0;
    }
    if (chain_id == 0 || chain_id > (uint64_t)INT64_MAX ||
        start > (uint64_t)INT64_MAX)
        return fault_set(f, FAULT_INVALID, "chain_id", "bad chain id");
    if (db_prepare(db, &st,
                   "INSERT INTO chain_state (id, chain_id, contract, tip) "
                   "VALUES (1, ?1, ?2, ?3)",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
    sqlite3_bind_blob(st, 2, contract, 20, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)start - 1);
    rc = db_step(db, st, "record the chain", f);
    db_release(st);
    if (rc < 0)
        return -1;
    return chainstore_read(db, out, f) == 1 ? 0 : -1;
}

int chainstore_blocks(sqlite3 *db, int64_t after,
                      struct chainstore_block *out, size_t cap, size_t *n,
                      struct fault *f)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *n = 0;
    if (db_prepare(db, &st,
                   "SELECT number, hash, parent_hash FROM chain_blocks WHERE "
                   "number > ?1 ORDER BY number LIMIT ?2",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cap);
    while ((rc = db_step(db, st, "read block hashes", f)) == 1) {
        if (sqlite3_column_bytes(st, 1) != 32 ||
            sqlite3_column_bytes(st, 2) != 32) {
            rc = fault_set(f, FAULT_CORRUPT, NULL, "a stored block is bad");
            break;
        }
        out[*n].number = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(out[*n].hash, sqlite3_column_blob(st, 1), 32);
        memcpy(out[*n].parent_hash, sqlite3_column_blob(st, 2), 32);
        (*n)++;
    }
    db_release(st);
    if (rc < 0) {
        *n = 0;
        return -1;
    }
    return 0;
}

int chainstore_put_blocks(sqlite3 *db, const struct chainstore_block *b,
                          size_t n, struct fault *f)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    int rv = -1;

    if (n == 0)
        return 0;
    if (db_prepare(db, &st,
                   "INSERT OR REPLACE INTO chain_blocks (number, hash, "
                   "parent_hash) VALUES (?1, ?2, ?3)",
                   f) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)b[i].number);
        sqlite3_bind_blob(st, 2, b[i].hash, 32, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, b[i].parent_hash, 32, SQLITE_STATIC);
        if (db_step(db, st, "store a block hash", f) < 0)
            goto done;
    }
    rv = 0;
done:
    db_release(st);
    return rv;
}

int chainstore_trim(sqlite3 *db, int64_t above, int64_t keep_from,
                    struct fault *f)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (db_prepare(db, &st,
                   "DELETE FROM chain_blocks WHERE number > ?1 OR "
                   "number < ?2",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, above);
    sqlite3_bind_int64(st, 2, keep_from);
    rc = db_step(db, st, "trim block hashes", f);
    db_release(st);
    return rc < 0 ? -1 : 0;
}

int chainstore_advance(sqlite3 *db, int64_t tip, int64_t last_credited,
                       uint64_t violations, struct fault *f)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (db_prepare(db, &st,
                   "UPDATE chain_state SET tip = ?1, last_credited_block = "
                   "max(-1, ?2), finality_violations = finality_violations "
                   "+ ?3 WHERE id = 1",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, tip);
    sqlite3_bind_int64(st, 2, last_credited);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)violations);
    rc = db_step(db, st, "advance the chain checkpoint", f);
    db_release(st);
    return rc < 0 ? -1 : 0;
}
