#include "storage/catgen.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* SQLite's own default for the checkpoint that its WAL hook runs. */
#define CATGEN_CHECKPOINT_PAGES 1000

static _Atomic uint64_t catgen_generation = 1;

/* Per connection: a change to a watched table is not yet committed. Only
 * touched from SQLite's hooks, which run under the connection's mutex. */
struct catgen_watch {
    int touched;
};

uint64_t catgen_current(void)
{
    return atomic_load(&catgen_generation);
}

static void catgen_advance(void)
{
    atomic_fetch_add(&catgen_generation, 1);
}

/* The tables that datasets_view renders from. */
static int catgen_watched(const char *table)
{
    return strcmp(table, "datasets") == 0 ||
           strcmp(table, "dataset_columns") == 0 ||
           strcmp(table, "dataset_tags") == 0;
}

static void catgen_on_update(void *arg, int op, const char *dbname,
                             const char *table, sqlite3_int64 rowid)
{
    struct catgen_watch *w = arg;

    (void)op;
    (void)dbname;
    (void)rowid;
    if (!catgen_watched(table))
        return;
    w->touched = 1;
    catgen_advance();
}

static void catgen_on_rollback(void *arg)
{
    struct catgen_watch *w = arg;

    if (w->touched) {
        w->touched = 0;
        catgen_advance();
    }
}

/* Called after each commit, its write lock released. */
static int catgen_on_wal(void *arg, sqlite3 *db, const char *dbname,
                         int pages)
{
    struct catgen_watch *w = arg;

    if (w->touched) {
        w->touched = 0;
        catgen_advance();
    }
    if (pages >= CATGEN_CHECKPOINT_PAGES)
        (void)sqlite3_wal_checkpoint(db, dbname);
    return SQLITE_OK;
}

int catgen_watch(sqlite3 *db, struct fault *f)
{
    struct catgen_watch *w = calloc(1, sizeof *w);

    if (w == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    (void)sqlite3_update_hook(db, catgen_on_update, w);
    (void)sqlite3_rollback_hook(db, catgen_on_rollback, w);
    (void)sqlite3_wal_hook(db, catgen_on_wal, w);
    return 0;
}

void catgen_unwatch(sqlite3 *db)
{
    struct catgen_watch *w;

    if (db == NULL)
        return;
    w = sqlite3_update_hook(db, NULL, NULL);
    (void)sqlite3_rollback_hook(db, NULL, NULL);
    (void)sqlite3_wal_hook(db, NULL, NULL);
    if (w != NULL && w->touched)
        catgen_advance();
    free(w);
}
