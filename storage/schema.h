/*
 * schema: the SQLite schema as a list of numbered migrations.
 *
 * Migration k takes a database at PRAGMA user_version = k-1 to k. Each is
 * applied in one transaction together with its user_version bump, so a
 * crash leaves the database at k-1 or k, never between. A database whose
 * version is newer than this program knows is refused, not touched.
 */
#ifndef SLUICE_STORAGE_SCHEMA_H
#define SLUICE_STORAGE_SCHEMA_H


#include "lib/fault.h"

struct sqlite3;

/* Bring db to the newest schema. Returns 0; on failure -1 with f set and
 * the database left at the last version that committed. */
int schema_migrate(struct sqlite3 *db, struct fault *f)
    __attribute__((warn_unused_result));

/* Return the newest schema version this program knows. */
int schema_latest_version(void);

#endif
