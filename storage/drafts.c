#include "storage/drafts.h"

#include <string.h>

#include "lib/hex.h"
#include "lib/log.h"
#include "storage/db.h"
#include "storage/parts.h"

/* A data-set's last activity, for the row d of datasets. */
#define DRAFTS_ACTIVITY                                                     \
    "MAX(d.created_at, COALESCE(d.touched_at, 0), COALESCE((SELECT "        \
    "MAX(p.received_at) FROM dataset_parts p WHERE p.dataset_id = d.id), "  \
    "0))"

/* The states in which a data-set may expire. */
#define DRAFTS_EXPIRABLE "d.state IN ('draft', 'uploading', 'failed')"

/* Up to cap ids of expired data-sets, oldest activity first, into ids. */
static int drafts_due(struct store *st, uint8_t (*ids)[CATALOG_ID_LEN],
                      size_t cap, size_t *n, int64_t before, struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rc, rv = -1;

    *n = 0;
    if (db_prepare(st->db, &stmt,
                   "SELECT d.id FROM datasets d WHERE " DRAFTS_EXPIRABLE
                   " AND " DRAFTS_ACTIVITY " < ?1 ORDER BY " DRAFTS_ACTIVITY
                   ", d.id LIMIT ?2",
                   f) < 0)
        return -1;
    sqlite3_bind_int64(stmt, 1, before);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)cap);
    while ((rc = db_step(st->db, stmt, "list expired drafts", f)) == 1) {
        if (sqlite3_column_bytes(stmt, 0) != CATALOG_ID_LEN)
            continue;
        memcpy(ids[*n], sqlite3_column_blob(stmt, 0), CATALOG_ID_LEN);
        (*n)++;
    }
    if (rc == 0)
        rv = 0;
    db_release(stmt);
    return rv;
}

/* Is data-set id still expired (checked again inside the transaction)? */
static int drafts_still_due(struct store *st, int *due,
                            const uint8_t id[CATALOG_ID_LEN], int64_t before,
                            struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    *due = 0;
    if (db_prepare(st->db, &stmt,
                   "SELECT 1 FROM datasets d WHERE d.id = ?1 AND "
                   DRAFTS_EXPIRABLE " AND " DRAFTS_ACTIVITY " < ?2",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, before);
    rc = db_step(st->db, stmt, "check an expired draft", f);
    db_release(stmt);
    if (rc < 0)
        return -1;
    *due = rc == 1;
    return 0;
}

/* Delete one expired data-set: rows in one transaction, then its files. */
static int drafts_delete(struct store *st, int *deleted,
                         const uint8_t id[CATALOG_ID_LEN], int64_t before,
                         struct fault *f)
{
    char hex[2 * CATALOG_ID_LEN + 3];
    int due;

    *deleted = 0;
    if (db_begin(st->db, f) < 0)
        return -1;
    if (drafts_still_due(st, &due, id, before, f) < 0)
        goto fail;
    if (!due) {
        db_rollback(st->db);
        return 0;
    }
    /* Chunks only when a failed ingest left some (it removes its own). */
    if (store_drop_chunks(st, id, f) < 0 ||
        catalog_delete_dataset(st, id, f) < 0 || db_commit(st->db, f) < 0)
        goto fail;
    *deleted = 1;
    if (hex_encode_0x(hex, sizeof hex, id, CATALOG_ID_LEN) < 0)
        hex[0] = '\0';
    log_info("expired the abandoned draft %s", hex);
    /* Rows first: a crash now leaves a folder that the next start
     * removes (parts_recover). */
    return parts_sweep(st, id, 1, f);
fail:
    db_rollback(st->db);
    return -1;
}

int drafts_expire(struct store *st, unsigned long *expired, int *more,
                  int64_t now, uint64_t ttl_s, struct fault *f)
{
    uint8_t ids[DRAFTS_EXPIRE_BATCH][CATALOG_ID_LEN];
    int64_t before;
    size_t n = 0, i;
    int deleted;

    if (expired != NULL)
        *expired = 0;
    if (more != NULL)
        *more = 0;
    /* A write in progress on this handle: not now. */
    if (!sqlite3_get_autocommit(st->db))
        return 0;
    if (ttl_s > (uint64_t)INT64_MAX || (int64_t)ttl_s > now)
        return 0; /* nothing can be that old */
    before = now - (int64_t)ttl_s;
    if (drafts_due(st, ids, DRAFTS_EXPIRE_BATCH, &n, before, f) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        if (parts_dataset_busy(st, ids[i]))
            continue; /* a part is being written: a later round */
        if (drafts_delete(st, &deleted, ids[i], before, f) < 0)
            return -1;
        if (deleted && expired != NULL)
            (*expired)++;
    }
    if (more != NULL)
        *more = n == DRAFTS_EXPIRE_BATCH;
    return 0;
}

int drafts_usage(struct store *st, struct drafts_usage *out,
                 const char *owner, const uint8_t *id, uint64_t n,
                 struct fault *f)
{
    sqlite3_stmt *count = NULL, *bytes = NULL;
    int rc, rv = -1;

    memset(out, 0, sizeof *out);
    if (db_prepare(st->db, &count,
                   "SELECT COUNT(*), MIN(CASE WHEN " DRAFTS_EXPIRABLE
                   " THEN " DRAFTS_ACTIVITY " END) FROM datasets d "
                   "WHERE d.owner = ?1 AND d.state != 'published'",
                   f) < 0 ||
        db_prepare(st->db, &bytes,
                   "SELECT COALESCE(SUM(p.bytes), 0) FROM datasets d "
                   "JOIN dataset_parts p ON p.dataset_id = d.id "
                   "WHERE d.owner = ?1 AND d.state != 'published' AND "
                   "NOT (p.dataset_id IS ?2 AND p.n = ?3)",
                   f) < 0)
        goto done;
    sqlite3_bind_text(count, 1, owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(bytes, 1, owner, -1, SQLITE_STATIC);
    if (id != NULL)
        sqlite3_bind_blob(bytes, 2, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(bytes, 3, (sqlite3_int64)n);
    rc = db_step(st->db, count, "count an owner's drafts", f);
    if (rc != 1) {
        if (rc == 0)
            fault_set(f, FAULT_INTERNAL, NULL, "no count");
        goto done;
    }
    out->drafts = (uint64_t)sqlite3_column_int64(count, 0);
    out->oldest_activity = sqlite3_column_int64(count, 1);
    rc = db_step(st->db, bytes, "sum an owner's parts", f);
    if (rc != 1) {
        if (rc == 0)
            fault_set(f, FAULT_INTERNAL, NULL, "no sum");
        goto done;
    }
    out->bytes = (uint64_t)sqlite3_column_int64(bytes, 0);
    rv = 0;
done:
    if (rv < 0)
        memset(out, 0, sizeof *out);
    db_release(count);
    db_release(bytes);
    return rv;
}
