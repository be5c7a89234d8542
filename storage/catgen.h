/*
 * catgen: the catalogue generation, a number that tells a cache of
 * rendered data-set views whether what it holds may still be shown.
 *
 * Every connection opened by db_open is watched: a change to the tables a
 * data-set's view is made of (datasets, dataset_columns, dataset_tags)
 * advances the generation when the statement runs, and again once its
 * transaction commits or rolls back, whichever thread and connection made
 * it. So no writer has to remember to invalidate anything: the database
 * does it. A reader takes the generation before it reads anything and
 * files what it rendered under that number; the entry is valid while the
 * generation has not moved. The advance after the commit closes the gap
 * where a reader took the number, then read rows that a commit landing
 * just after it replaced.
 *
 * The data dir is locked by one process (store.h), so one counter per
 * process sees every write. It is global, not per data-set: any change
 * invalidates every view (rare next to reads; an ingest's progress is such
 * a change).
 */
#ifndef SLUICE_STORAGE_CATGEN_H
#define SLUICE_STORAGE_CATGEN_H

#include <stdint.h>

#include "lib/fault.h"

struct sqlite3;

/* Return the current catalogue generation (never 0; safe from any
 * thread). */
uint64_t catgen_current(void);

/* Watch db: install the hooks that advance the generation (SQLite's
 * update, rollback and WAL hooks; the WAL hook also checkpoints at 1000
 * pages as SQLite's own does, which it replaces). Returns 0, or -1 with f
 * set (out of memory); db is then unchanged. */
int catgen_watch(struct sqlite3 *db, struct fault *f)
    __attribute__((warn_unused_result));

/* Remove db's hooks and free their state (before closing db). db may be
 * NULL or unwatched. */
void catgen_unwatch(struct sqlite3 *db);

#endif
