#include "storage/db.h"

#include "lib/log.h"
#include "storage/schema.h"

int db_fail(sqlite3 *db, int rc, const char *what, struct fault *f)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

    log_error("%s: sqlite error %d: %s", what, rc, msg);
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return fault_set(f, FAULT_IO, NULL, "the disk is full");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return fault_set(f, FAULT_IO, NULL, "the database could not be "
                                            "read or written");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return fault_set(f, FAULT_CONFLICT, NULL,
                         "the database is busy; try again");
    case SQLITE_CONSTRAINT:
        return fault_set(f, FAULT_CONFLICT, NULL,
                         "the change conflicts with stored data");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return fault_set(f, FAULT_CORRUPT, NULL, "the database is damaged");
    default:
        return fault_set(f, FAULT_INTERNAL, NULL, "database error");
    }
}

int db_prepare(sqlite3 *db, sqlite3_stmt **stmt, const char *sql,
               struct fault *f)
{
    int rc = sqlite3_prepare_v2(db, sql, -1, stmt, NULL);

    if (rc != SQLITE_OK) {
        *stmt = NULL;
        log_error("prepare failed for: %s", sql);
        return db_fail(db, rc, __func__, f);
    }
    return 0;
}

int db_exec(sqlite3 *db, const char *sql, struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    if (db_prepare(db, &stmt, sql, f) < 0)
        goto done;
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        db_fail(db, rc, sql, f);
        goto done;
    }
    rv = 0;
done:
    sqlite3_finalize(stmt);
    return rv;
}

int db_begin(sqlite3 *db, struct fault *f)
{
    return db_exec(db, "BEGIN IMMEDIATE", f);
}

int db_commit(sqlite3 *db, struct fault *f)
{
    if (db_exec(db, "COMMIT", f) < 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

void db_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int db_open(sqlite3 **out, const char *path, struct fault *f)
{
    /* Pragmas are fixed text with no input in them, so exec is fine. */
    static const char *const pragmas[] = {
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA secure_delete=ON",
    };
    sqlite3 *db = NULL;
    int rc;
    size_t i;

    *out = NULL;
    rc = sqlite3_open_v2(path, &db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_FULLMUTEX,
                         NULL);
    if (rc != SQLITE_OK) {
        db_fail(db, rc, "open", f);
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    for (i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++)
        if (db_exec(db, pragmas[i], f) < 0)
            goto fail;
    if (schema_migrate(db, f) < 0)
        goto fail;
    *out = db;
    return 0;
fail:
    sqlite3_close(db);
    return -1;
}

void db_close(sqlite3 *db)
{
    if (db == NULL)
        return;
    if (sqlite3_close(db) != SQLITE_OK)
        log_error("close: %s (a statement was left unfinalized)",
                  sqlite3_errmsg(db));
}

int db_step(sqlite3 *db, sqlite3_stmt *st, const char *what, struct fault *f)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return db_fail(db, rc, what, f);
}
