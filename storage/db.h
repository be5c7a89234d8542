/*
 * db: the SQLite database of a data dir.
 *
 * Opened in WAL mode with synchronous=FULL (a committed credit or debit
 * must survive a power cut, which NORMAL does not promise in WAL mode),
 * foreign keys on and a busy timeout. The store brings it to the newest
 * schema (schema.h) after opening it. Every statement is prepared with
 * bound parameters.
 */
#ifndef SLUICE_STORAGE_DB_H
#define SLUICE_STORAGE_DB_H

#include <sqlite3.h>

#include "lib/fault.h"

struct store;

/* Return the connection of store s (storage's database files and the
 * ledger's SQLite backend only). */
sqlite3 *db_of(const struct store *s);

/* Open (creating if needed) the database at path. Returns 0 with *out
 * set; on failure -1 with *out = NULL and f set (FAULT_IO, or
 * FAULT_CORRUPT when the file is not a database). */
int db_open(sqlite3 **out, const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Close db, finalizing the statements its cache holds (every statement
 * handed out by db_prepare must have been given back with db_release).
 * db may be NULL. */
void db_close(sqlite3 *db);

/* Prepare sql (one statement) on db into *stmt. The statement comes from
 * db's cache when one of the same text is there and not in use, else it is
 * compiled (SQLITE_PREPARE_PERSISTENT) and kept for the next call: the
 * same few statements run on every request, and compiling them cost more
 * than running them. Give it back with db_release, never
 * sqlite3_finalize. Returns 0; on failure -1 with *stmt = NULL, the SQLite
 * message logged and f set to FAULT_INTERNAL. */
int db_prepare(sqlite3 *db, sqlite3_stmt **stmt, const char *sql,
               struct fault *f) __attribute__((warn_unused_result));

/* Give back a statement from db_prepare: reset it, clear its bindings and
 * keep it in its connection's cache (or finalize it when it was not
 * cached). stmt may be NULL. */
void db_release(sqlite3_stmt *stmt);

/* Run one statement that takes no parameters and returns no rows (BEGIN,
 * COMMIT, ...). Returns 0, or -1 with f set (FAULT_IO on a full disk or an
 * I/O error, FAULT_CONFLICT when the database stays busy, else
 * FAULT_INTERNAL). */
int db_exec(sqlite3 *db, const char *sql, struct fault *f)
    __attribute__((warn_unused_result));

/* Begin a write transaction now (BEGIN IMMEDIATE), so that a conflict shows
 * here rather than at the first write. Returns 0 or -1 with f set. */
int db_begin(sqlite3 *db, struct fault *f) __attribute__((warn_unused_result));

/* Commit. Returns 0 or -1 with f set (the transaction is rolled back). */
int db_commit(sqlite3 *db, struct fault *f) __attribute__((warn_unused_result));

/* Roll back the open transaction, if any. Never fails visibly. */
void db_rollback(sqlite3 *db);

/* Map a failed step's result code rc to f: FAULT_IO for SQLITE_FULL and
 * SQLITE_IOERR, FAULT_CONFLICT for SQLITE_BUSY/LOCKED and constraint
 * violations, FAULT_CORRUPT for SQLITE_CORRUPT/NOTADB, else
 * FAULT_INTERNAL. Logs the SQLite message with what. Returns -1. */
int db_fail(sqlite3 *db, int rc, const char *what, struct fault *f);

/* Step st once. Returns 1 for a row, 0 when it is done, -1 with f set as
 * db_fail does (what names the step in the log). */
int db_step(sqlite3 *db, sqlite3_stmt *st, const char *what,
            struct fault *f) __attribute__((warn_unused_result));

#endif
