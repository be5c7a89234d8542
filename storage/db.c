#include "storage/db.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "storage/catgen.h"

/* A connection's statement cache: what db_prepare hands out and db_release
 * takes back. Its slots are guarded by the connection's own mutex (the
 * connection is opened SQLITE_OPEN_FULLMUTEX), since a handle may pass
 * between threads; the list of caches by a lock of its own. */
#define DB_CACHE_SLOTS 128

struct db_cached {
    uint32_t hash;              /* of the SQL text */
    int busy;                   /* handed out, not yet released */
    sqlite3_stmt *stmt;
};

struct db_cache {
    sqlite3 *db;
    struct db_cache *next;
    size_t n;
    struct db_cached slot[DB_CACHE_SLOTS];
};

static pthread_mutex_t db_caches_lock = PTHREAD_MUTEX_INITIALIZER;
static struct db_cache *db_caches;

static struct db_cache *db_cache_of(sqlite3 *db)
{
    struct db_cache *c;

    pthread_mutex_lock(&db_caches_lock);
    for (c = db_caches; c != NULL && c->db != db; c = c->next)
        ;
    pthread_mutex_unlock(&db_caches_lock);
    return c;
}

/* Remove db's cache from the list and return it (NULL when none). */
static struct db_cache *db_cache_take(sqlite3 *db)
{
    struct db_cache **p, *c;

    pthread_mutex_lock(&db_caches_lock);
    for (p = &db_caches; (c = *p) != NULL && c->db != db; p = &c->next)
        ;
    if (c != NULL)
        *p = c->next;
    pthread_mutex_unlock(&db_caches_lock);
    return c;
}

/* FNV-1a: cheap, and the SQL texts are short. */
static uint32_t db_hash(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s != '\0'; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

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
    struct db_cache *c = db_cache_of(db);
    sqlite3_mutex *mx = sqlite3_db_mutex(db);
    uint32_t h = db_hash(sql);
    struct db_cached *e;
    size_t i;
    int rc;

    *stmt = NULL;
    if (c != NULL) {
        sqlite3_mutex_enter(mx);
        for (i = 0; i < c->n; i++) {
            e = &c->slot[i];
            if (e->hash == h && !e->busy &&
                strcmp(sqlite3_sql(e->stmt), sql) == 0) {
                e->busy = 1;
                *stmt = e->stmt;
                sqlite3_mutex_leave(mx);
                return 0;
            }
        }
        sqlite3_mutex_leave(mx);
    }
    rc = sqlite3_prepare_v3(db, sql, -1,
                            c != NULL ? SQLITE_PREPARE_PERSISTENT : 0, stmt,
                            NULL);
    if (rc != SQLITE_OK) {
        *stmt = NULL;
        log_error("prepare failed for: %s", sql);
        return db_fail(db, rc, __func__, f);
    }
    /* A text of several statements compiles only the first: not kept. */
    if (c != NULL && strcmp(sqlite3_sql(*stmt), sql) == 0) {
        sqlite3_mutex_enter(mx);
        if (c->n < DB_CACHE_SLOTS) {
            e = &c->slot[c->n++];
            e->hash = h;
            e->busy = 1;
            e->stmt = *stmt;
        }
        sqlite3_mutex_leave(mx);
    }
    return 0;
}

void db_release(sqlite3_stmt *stmt)
{
    sqlite3 *db;
    struct db_cache *c;
    sqlite3_mutex *mx;
    size_t i;

    if (stmt == NULL)
        return;
    db = sqlite3_db_handle(stmt);
    c = db_cache_of(db);
    if (c != NULL) {
        mx = sqlite3_db_mutex(db);
        sqlite3_mutex_enter(mx);
        for (i = 0; i < c->n; i++) {
            if (c->slot[i].stmt == stmt) {
                /* Reset ends the statement's read of the database. */
                (void)sqlite3_reset(stmt);
                (void)sqlite3_clear_bindings(stmt);
                c->slot[i].busy = 0;
                sqlite3_mutex_leave(mx);
                return;
            }
        }
        sqlite3_mutex_leave(mx);
    }
    sqlite3_finalize(stmt);
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
    db_release(stmt);
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
    struct db_cache *cache = NULL;
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
    cache = calloc(1, sizeof *cache);
    if (cache == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    cache->db = db;
    pthread_mutex_lock(&db_caches_lock);
    cache->next = db_caches;
    db_caches = cache;
    pthread_mutex_unlock(&db_caches_lock);
    if (catgen_watch(db, f) < 0)
        goto fail;
    for (i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++)
        if (db_exec(db, pragmas[i], f) < 0)
            goto fail;
    *out = db;
    return 0;
fail:
    db_close(db);
    return -1;
}

void db_close(sqlite3 *db)
{
    struct db_cache *c;
    size_t i;

    if (db == NULL)
        return;
    c = db_cache_take(db);
    for (i = 0; c != NULL && i < c->n; i++) {
        if (c->slot[i].busy)
            log_error("close: a statement was not released: %s",
                      sqlite3_sql(c->slot[i].stmt));
        sqlite3_finalize(c->slot[i].stmt);
    }
    free(c);
    catgen_unwatch(db);
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
