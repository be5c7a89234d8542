#include "storage/schema.h"

#include <stdio.h>

#include "lib/log.h"
#include "storage/db.h"

/*
 * The migrations, oldest first. Never edit one that has shipped: add the
 * next. Text here holds no input, so sqlite3_exec over the whole script is
 * safe; everything that carries data elsewhere is prepared and bound.
 */
static const char *const schema_migrations[] = {
    /* 1: data-sets, their columns, chunks and per-chunk index. */
    "CREATE TABLE datasets ("
    "  id BLOB PRIMARY KEY CHECK (length(id) = 32),"
    "  owner TEXT,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  format TEXT NOT NULL CHECK (format IN ('csv', 'jsonl', 'blob')),"
    "  state TEXT NOT NULL CHECK (state IN ('draft', 'uploading',"
    "    'publishing', 'published', 'failed')),"
    "  reason TEXT,"
    "  dk_sealed BLOB NOT NULL,"
    "  chunk_bytes INTEGER NOT NULL CHECK (chunk_bytes > 0),"
    "  chunk_rows INTEGER NOT NULL DEFAULT 0 CHECK (chunk_rows >= 0),"
    "  zlib_level INTEGER NOT NULL CHECK (zlib_level BETWEEN 0 AND 9),"
    "  preview_rows INTEGER NOT NULL DEFAULT 10 CHECK (preview_rows >= 0),"
    "  prefix BLOB,"
    "  rows INTEGER,"
    "  chunk_count INTEGER,"
    "  plain_bytes INTEGER,"
    "  stored_bytes INTEGER,"
    "  content_root BLOB CHECK (content_root IS NULL"
    "    OR length(content_root) = 32),"
    "  preview TEXT,"
    "  progress_done INTEGER NOT NULL DEFAULT 0,"
    "  progress_total INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  published_at INTEGER"
    ");"
    "CREATE TABLE dataset_columns ("
    "  dataset_id BLOB NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL CHECK (position >= 0),"
    "  name TEXT NOT NULL,"
    "  type TEXT NOT NULL CHECK (type IN ('number', 'text')),"
    "  PRIMARY KEY (dataset_id, position)"
    ");"
    "CREATE TABLE chunks ("
    "  dataset_id BLOB NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL CHECK (idx >= 0),"
    "  object_id TEXT NOT NULL CHECK (length(object_id) = 64),"
    "  first_row INTEGER,"
    "  rows INTEGER,"
    "  plain_bytes INTEGER NOT NULL CHECK (plain_bytes >= 0),"
    "  stored_bytes INTEGER NOT NULL CHECK (stored_bytes >= 52),"
    "  PRIMARY KEY (dataset_id, idx)"
    ");"
    "CREATE INDEX chunks_object ON chunks(object_id);"
    "CREATE TABLE chunk_index ("
    "  dataset_id BLOB NOT NULL,"
    "  idx INTEGER NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  num_min TEXT, num_max TEXT,"
    "  text_min BLOB, text_max BLOB,"
    "  PRIMARY KEY (dataset_id, idx, position),"
    "  FOREIGN KEY (dataset_id, idx) REFERENCES chunks(dataset_id, idx)"
    "    ON DELETE CASCADE"
    ");"
    "CREATE TABLE store_meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ");",

    /* 2: what owners say about a data-set, uploaded parts, and the
     * signed-request nonces with the answer each got (DESIGN.md 3.1). */
    "ALTER TABLE datasets ADD COLUMN description TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE datasets ADD COLUMN license TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE datasets ADD COLUMN price TEXT;"
    "ALTER TABLE datasets ADD COLUMN price_key REAL;"
    "ALTER TABLE datasets ADD COLUMN listed INTEGER NOT NULL DEFAULT 1"
    "  CHECK (listed IN (0, 1));"
    "CREATE INDEX datasets_created ON datasets(created_at, id);"
    "CREATE TABLE dataset_tags ("
    "  dataset_id BLOB NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
    "  tag TEXT NOT NULL,"
    "  PRIMARY KEY (dataset_id, tag)"
    ");"
    "CREATE INDEX dataset_tags_tag ON dataset_tags(tag);"
    "CREATE TABLE dataset_parts ("
    "  dataset_id BLOB NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
    "  n INTEGER NOT NULL CHECK (n >= 1),"
    "  bytes INTEGER NOT NULL CHECK (bytes >= 0),"
    "  sha256 BLOB NOT NULL CHECK (length(sha256) = 32),"
    "  received_at INTEGER NOT NULL,"
    "  PRIMARY KEY (dataset_id, n)"
    ");",
    /* (request_nonces, once here, belongs to the ledger now:
     * pricing/ledger_sqlite.c's migration 1 creates it if missing.) */

    /* 3: the chain the gateway follows and the ledger (DESIGN.md 4):
     * moved to the ledger, which owns its tables
     * (pricing/ledger_sqlite.c's migration 1, the same tables, created
     * only if missing, so data dirs made before keep theirs). */
    "",

    /* 4: the parts a publish took, recorded in the transaction that set
     * "publishing" (the list it ingests, and what GET .../parts shows
     * from then on; fsck checks published content against it). Data-sets
     * published before this migration get their parts rows as they stand
     * (a part written while the old code published would show in fsck as
     * a mismatch, which it is). */
    "CREATE TABLE dataset_published_parts ("
    "  dataset_id BLOB NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
    "  n INTEGER NOT NULL CHECK (n >= 1),"
    "  bytes INTEGER NOT NULL CHECK (bytes >= 0),"
    "  sha256 BLOB NOT NULL CHECK (length(sha256) = 32),"
    "  PRIMARY KEY (dataset_id, n)"
    ");"
    "INSERT INTO dataset_published_parts (dataset_id, n, bytes, sha256)"
    "  SELECT p.dataset_id, p.n, p.bytes, p.sha256 FROM dataset_parts p"
    "  JOIN datasets d ON d.id = p.dataset_id"
    "  WHERE d.state IN ('publishing', 'published');",

    /* 5: when a data-set's state last changed (with its creation and its
     * parts' times, the last activity of a draft: storage/drafts.h), and
     * an index to count an owner's drafts. */
    "ALTER TABLE datasets ADD COLUMN touched_at INTEGER;"
    "CREATE INDEX datasets_owner_state"
    "  ON datasets(owner, state);",

    /* 6: what a query planner needs and a buyer may ask: chunks by their
     * first row (a range of rows finds its first chunk in the index, not
     * by a scan), and every price a data-set has had, with its time (a
     * change applies to later queries only; DESIGN.md 4). The prices set
     * before this migration are recorded at the data-set's last activity,
     * the best time known for them. */
    "CREATE INDEX chunks_first_row ON chunks(dataset_id, first_row);"
    "CREATE TABLE price_history ("
    "  dataset_id BLOB NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
    "  seq INTEGER NOT NULL CHECK (seq >= 1),"
    "  at INTEGER NOT NULL,"
    "  price TEXT,"
    "  PRIMARY KEY (dataset_id, seq)"
    ");"
    "INSERT INTO price_history (dataset_id, seq, at, price)"
    "  SELECT id, 1, COALESCE(touched_at, created_at), price FROM datasets"
    "  WHERE price IS NOT NULL;",

    /* 7: the catalogue's pages in each sort order, from an index over the
     * listed data-sets only: a page reads its 21 rows, not every data-set
     * (10,000 of them took 20 to 40 ms to scan and sort). Each index holds
     * the name and the description too, so that a text search in any
     * order reads the index alone (a scan of 10,000 in 4 to 9 ms instead
     * of 35 to 100). */
    "CREATE INDEX datasets_list_newest"
    "  ON datasets(published_at DESC, id, name, description)"
    "  WHERE state = 'published' AND listed = 1;"
    "CREATE INDEX datasets_list_name ON datasets(name, id, description)"
    "  WHERE state = 'published' AND listed = 1;"
    "CREATE INDEX datasets_list_price"
    "  ON datasets(coalesce(price_key, 0), id, name, description)"
    "  WHERE state = 'published' AND listed = 1;"
    "CREATE INDEX datasets_list_size"
    "  ON datasets(plain_bytes DESC, id, name, description)"
    "  WHERE state = 'published' AND listed = 1;",
};

#define SCHEMA_COUNT ((int)(sizeof schema_migrations / sizeof schema_migrations[0]))

int schema_latest_version(void)
{
    return SCHEMA_COUNT;
}

static int schema_read_version(sqlite3 *db, int *version, struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    *version = 0;
    if (db_prepare(db, &stmt, "PRAGMA user_version", f) < 0)
        goto done;
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "read user_version", f);
        goto done;
    }
    *version = sqlite3_column_int(stmt, 0);
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int schema_migrate(sqlite3 *db, struct fault *f)
{
    char bump[64];
    int version;
    int rc;

    if (db_begin(db, f) < 0)
        return -1;
    if (schema_read_version(db, &version, f) < 0)
        goto fail;
    if (version > SCHEMA_COUNT) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the database has schema version %d but this sluiced "
                  "knows only up to %d; run a newer sluiced",
                  version, SCHEMA_COUNT);
        goto fail;
    }
    while (version < SCHEMA_COUNT) {
        rc = sqlite3_exec(db, schema_migrations[version], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            db_fail(db, rc, "migration", f);
            goto fail;
        }
        version++;
        /* PRAGMA takes no bound parameters; the text is our own integer. */
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", version);
        if (db_exec(db, bump, f) < 0)
            goto fail;
        log_info("database migrated to schema version %d", version);
    }
    return db_commit(db, f);
fail:
    db_rollback(db);
    return -1;
}
