#include "storage/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/random.h"
#include "lib/secret.h"
#include "storage/chunkobj.h"
#include "storage/db.h"
#include "storage/fsutil.h"
#include "storage/pending.h"
#include "storage/schema.h"

#define STORE_PATH_MAX 4096
/* Set while a crash may have left objects that no chunk names. */
#define STORE_META_SWEEP "sweep_needed"

static int store_lock(struct store *s, struct fault *f)
{
    char path[STORE_PATH_MAX];

    if (fsutil_join(path, sizeof path, s->dir, "sluiced.lock") < 0)
        return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->lock_fd < 0)
        return fault_set(f, FAULT_IO, "data_dir", "cannot open %s: %s", path,
                         strerror(errno));
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            return fault_set(f, FAULT_CONFLICT, "data_dir",
                             "the data dir %s is in use by another sluiced "
                             "process", s->dir);
        return fault_set(f, FAULT_IO, "data_dir", "cannot lock %s: %s", path,
                         strerror(errno));
    }
    return 0;
}

/* Delete a batch of data-set id's chunk rows and their objects. Sets
 * *more when rows remain. */
static int store_drop_batch(struct store *s, const uint8_t id[CATALOG_ID_LEN],
                            int *more, struct fault *f)
{
    enum { BATCH = 256 };
    char ids[BATCH][OBJSTORE_ID_SIZE];
    sqlite3_stmt *sel = NULL, *shared = NULL, *del = NULL;
    int n = 0, i, rc, rv = -1;
    int64_t last = -1;

    *more = 0;
    if (db_prepare(s->db, &sel,
                   "SELECT idx, object_id FROM chunks WHERE dataset_id = ?1 "
                   "ORDER BY idx LIMIT ?2",
                   f) < 0 ||
        db_prepare(s->db, &shared,
                   "SELECT 1 FROM chunks WHERE object_id = ?1 AND "
                   "dataset_id != ?2 LIMIT 1",
                   f) < 0 ||
        db_prepare(s->db, &del,
                   "DELETE FROM chunks WHERE dataset_id = ?1 AND idx <= ?2",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(sel, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int(sel, 2, BATCH);
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const unsigned char *oid = sqlite3_column_text(sel, 1);
        last = sqlite3_column_int64(sel, 0);
        snprintf(ids[n], OBJSTORE_ID_SIZE, "%s", oid ? (const char *)oid : "");
        n++;
    }
    if (rc != SQLITE_DONE) {
        db_fail(s->db, rc, "list chunks to drop", f);
        goto done;
    }
    for (i = 0; i < n; i++) {
        if (!objstore_id_valid(ids[i]))
            continue;
        sqlite3_reset(shared);
        sqlite3_bind_text(shared, 1, ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_blob(shared, 2, id, CATALOG_ID_LEN, SQLITE_STATIC);
        rc = sqlite3_step(shared);
        if (rc == SQLITE_ROW)
            continue;
        if (rc != SQLITE_DONE) {
            db_fail(s->db, rc, "find shared object", f);
            goto done;
        }
        if (objstore_remove(s->objects, ids[i], f) < 0)
            goto done;
    }
    if (n > 0) {
        /* Files first, rows second: a crash between leaves rows whose
         * files are gone, which the next pass deletes without harm. */
        sqlite3_bind_blob(del, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(del, 2, last);
        rc = sqlite3_step(del);
        if (rc != SQLITE_DONE) {
            db_fail(s->db, rc, "drop chunks", f);
            goto done;
        }
    }
    *more = n == BATCH;
    rv = 0;
done:
    db_release(sel);
    db_release(shared);
    db_release(del);
    return rv;
}

int store_drop_chunks(struct store *s, const uint8_t id[CATALOG_ID_LEN],
                      struct fault *f)
{
    int more = 1;

    while (more)
        if (store_drop_batch(s, id, &more, f) < 0)
            return -1;
    return catalog_clear_chunks(s, id, f);
}

static int store_fail_interrupted(struct store *s,
                                  const uint8_t id[CATALOG_ID_LEN],
                                  struct fault *f)
{

    if (store_drop_chunks(s, id, f) < 0)
        return -1;
    return catalog_set_state(s, id, CATALOG_FAILED, "interrupted", f);
}

struct store_sweep {
    struct store *s;
    unsigned long removed;
};

static int store_sweep_one(void *arg, const char *id, struct fault *f)
{
    struct store_sweep *sw = arg;
    int used;

    if (catalog_object_used(sw->s, &used, id, f) < 0)
        return -1;
    if (used)
        return 0;
    if (objstore_remove(sw->s->objects, id, f) < 0)
        return -1;
    sw->removed++;
    return 0;
}

struct store_ids {
    uint8_t (*ids)[CATALOG_ID_LEN];
    size_t n, cap;
};

static int store_collect_id(void *arg, const uint8_t id[CATALOG_ID_LEN],
                            struct fault *f)
{
    struct store_ids *l = arg;

    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        void *p = realloc(l->ids, cap * sizeof *l->ids);
        if (p == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        l->ids = p;
        l->cap = cap;
    }
    memcpy(l->ids[l->n++], id, CATALOG_ID_LEN);
    return 0;
}

/* Repair what a crash left; see the comment at the top of store.h. */
static int store_recover(struct store *s, struct store_recovery *rec,
                         struct fault *f)
{
    struct store_sweep sw = {s, 0};
    struct store_ids interrupted = {NULL, 0, 0};
    char flag[8];
    int sweep;
    int rv = -1;
    size_t i;

    memset(rec, 0, sizeof *rec);
    /* Collect first: the repair changes the rows a live SELECT would walk. */
    if (catalog_each_dataset(s, CATALOG_PUBLISHING, store_collect_id,
                             &interrupted, f) < 0)
        goto done;
    rec->interrupted = interrupted.n;
    if (interrupted.n > 0) {
        /* Mark first, so that a crash during the repair repeats it. */
        if (catalog_meta_set(s, STORE_META_SWEEP, "1", f) < 0)
            goto done;
        for (i = 0; i < interrupted.n; i++)
            if (store_fail_interrupted(s, interrupted.ids[i], f) < 0)
                goto done;
    }
    rec->tmp_removed = objstore_sweep_tmp(s->objects, f);
    if (rec->tmp_removed < 0)
        goto done;
    if (catalog_meta_get(s, flag, sizeof flag, &sweep, STORE_META_SWEEP,
                         f) < 0)
        goto done;
    if (sweep || rec->tmp_removed > 0) {
        if (objstore_each(s->objects, store_sweep_one, &sw, f) < 0)
            goto done;
        rec->orphans = sw.removed;
        if (catalog_meta_set(s, STORE_META_SWEEP, NULL, f) < 0)
            goto done;
    }
    if (rec->interrupted || rec->tmp_removed || rec->orphans)
        log_warn("recovered the data dir: %lu interrupted ingest(s) marked "
                 "failed, %ld temporary file(s) and %lu orphan object(s) "
                 "removed",
                 rec->interrupted, rec->tmp_removed, rec->orphans);
    rv = 0;
done:
    free(interrupted.ids);
    return rv;
}

static int store_exists(const char *dir, const char *name)
{
    char path[STORE_PATH_MAX];
    struct stat st;

    return fsutil_join(path, sizeof path, dir, name) == 0 &&
           stat(path, &st) == 0;
}

static int store_open_mode(struct store **out, struct store_recovery *rec,
                           const char *dir, int existing, struct fault *f)
{
    struct store_recovery scratch;
    char path[STORE_PATH_MAX];
    struct store *s;

    *out = NULL;
    if (rec == NULL)
        rec = &scratch;
    memset(rec, 0, sizeof *rec);
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    s->lock_fd = -1;
    s->dir = strdup(dir);
    if (s->dir == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (existing && !store_exists(dir, "sluice.db")) {
        fault_set(f, FAULT_NOT_FOUND, "data_dir",
                  "%s is not a sluice data dir (no sluice.db in it)", dir);
        goto fail;
    }
    if (fsutil_mkdir(dir, 0700, f) < 0 || store_lock(s, f) < 0)
        goto fail;
    if (store_exists(dir, "sluice.db") && !store_exists(dir, "master.key")) {
        fault_set(f, FAULT_INVALID, "master_key",
                  "the master key file %s/master.key is missing but the data "
                  "dir holds data-sets sealed under it; restore it from a "
                  "backup (a new key would make them unreadable)", dir);
        goto fail;
    }
    if (fsutil_join(path, sizeof path, dir, "master.key") < 0 ||
        masterkey_load_or_create(s->mk, path, f) < 0)
        goto fail;
    if (fsutil_join(path, sizeof path, dir, "sluice.db") < 0 ||
        db_open(&s->db, path, f) < 0 || schema_migrate(s->db, f) < 0)
        goto fail;
    if (fsutil_join(path, sizeof path, dir, "objects") < 0 ||
        objstore_open(&s->objects, path, f) < 0 ||
        pending_new(&s->pending, f) < 0)
        goto fail;
    if (store_recover(s, rec, f) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

int store_open(struct store **out, struct store_recovery *rec, const char *dir,
               struct fault *f)
{
    return store_open_mode(out, rec, dir, 0, f);
}

int store_open_existing(struct store **out, struct store_recovery *rec,
                        const char *dir, struct fault *f)
{
    return store_open_mode(out, rec, dir, 1, f);
}

int store_clone(struct store **out, const struct store *s, struct fault *f)
{
    char path[STORE_PATH_MAX];
    struct store *c;

    *out = NULL;
    c = calloc(1, sizeof *c);
    if (c == NULL || (c->dir = strdup(s->dir)) == NULL) {
        free(c);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    c->lock_fd = -1;
    c->parent = s;
    c->objects = s->objects;
    c->pending = s->pending;
    memcpy(c->mk, s->mk, sizeof c->mk);
    if (fsutil_join(path, sizeof path, s->dir, "sluice.db") < 0 ||
        db_open(&c->db, path, f) < 0) {
        store_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    if (s->parent == NULL) {
        objstore_close(s->objects);
        pending_free(s->pending);
    }
    db_close(s->db);
    secret_wipe(s->mk, sizeof s->mk);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    free(s->dir);
    free(s);
}

int store_create_dataset(struct store *s, uint8_t id[CATALOG_ID_LEN],
                         const struct store_dataset_spec *spec,
                         enum catalog_state state, struct fault *f)
{
    struct catalog_dataset d;
    uint8_t dk[DSKEY_LEN];
    int rv = -1;

    memset(&d, 0, sizeof d);
    memset(id, 0, CATALOG_ID_LEN);
    d.format = spec->format;
    d.state = state;
    d.chunk_bytes = spec->chunk_bytes ? spec->chunk_bytes
                                      : STORE_DEFAULT_CHUNK_BYTES;
    d.chunk_rows = spec->chunk_rows;
    d.zlib_level = spec->zlib_level < 0 ? STORE_DEFAULT_ZLIB_LEVEL
                                        : spec->zlib_level;
    d.preview_rows = spec->preview_rows;
    d.created_at = (int64_t)time(NULL);
    if (d.chunk_bytes > CHUNKOBJ_MAX_PLAIN / 2) {
        fault_set(f, FAULT_INVALID, "chunk_bytes",
                  "chunk_bytes must be between 1 and %llu",
                  (unsigned long long)(CHUNKOBJ_MAX_PLAIN / 2));
        goto done;
    }
    if (d.chunk_rows > 0 && d.format == SPLITTER_BLOB) {
        fault_set(f, FAULT_INVALID, "chunk_rows",
                  "a blob data-set has no rows to chunk by");
        goto done;
    }
    if (d.zlib_level > 9) {
        fault_set(f, FAULT_INVALID, "zlib_level",
                  "zlib_level must be between 0 and 9");
        goto done;
    }
    if (spec->name != NULL &&
        snprintf(d.name, sizeof d.name, "%s", spec->name) >=
            (int)sizeof d.name) {
        fault_set(f, FAULT_INVALID, "name", "name is longer than %zu bytes",
                  sizeof d.name - 1);
        goto done;
    }
    if (spec->owner != NULL)
        snprintf(d.owner, sizeof d.owner, "%s", spec->owner);
    if (random_bytes(d.id, sizeof d.id, f) < 0 ||
        random_bytes(dk, sizeof dk, f) < 0 ||
        dskey_seal(d.dk_sealed, s->mk, d.id, dk, f) < 0)
        goto done;
    if (catalog_insert_dataset(s, &d, f) < 0)
        goto done;
    memcpy(id, d.id, CATALOG_ID_LEN);
    rv = 0;
done:
    secret_wipe(dk, sizeof dk);
    return rv;
}

int store_dataset_key(struct store *s, uint8_t dk[DSKEY_LEN],
                      const struct catalog_dataset *d, struct fault *f)
{
    return dskey_unseal(dk, s->mk, d->id, d->dk_sealed, sizeof d->dk_sealed,
                        f);
}

int store_chunk_key(struct store *s, uint8_t ck[32],
                    const struct catalog_dataset *d, uint64_t index,
                    struct fault *f)
{
    uint8_t dk[DSKEY_LEN];
    int rv;

    memset(ck, 0, 32);
    rv = store_dataset_key(s, dk, d, f);
    if (rv == 0)
        rv = dskey_chunk_key(ck, dk, d->id, index, f);
    secret_wipe(dk, sizeof dk);
    return rv;
}

int store_request_sweep(struct store *s, struct fault *f)
{
    return catalog_meta_set(s, STORE_META_SWEEP, "1", f);
}

int store_begin(struct store *s, struct fault *f)
{
    return db_begin(s->db, f);
}

int store_commit(struct store *s, struct fault *f)
{
    return db_commit(s->db, f);
}

void store_rollback(struct store *s)
{
    db_rollback(s->db);
}

sqlite3 *db_of(const struct store *s)
{
    return s->db;
}
