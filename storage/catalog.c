#include "storage/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/db.h"

static const char *const catalog_state_names[] = {
    [CATALOG_DRAFT] = "draft",
    [CATALOG_UPLOADING] = "uploading",
    [CATALOG_PUBLISHING] = "publishing",
    [CATALOG_PUBLISHED] = "published",
    [CATALOG_FAILED] = "failed",
};

static const char *const catalog_format_names[] = {
    [SPLITTER_CSV] = "csv",
    [SPLITTER_JSONL] = "jsonl",
    [SPLITTER_BLOB] = "blob",
};

#define CATALOG_NSTATES (sizeof catalog_state_names / sizeof catalog_state_names[0])
#define CATALOG_NFORMATS (sizeof catalog_format_names / sizeof catalog_format_names[0])

const char *catalog_state_name(enum catalog_state state)
{
    if ((size_t)state >= CATALOG_NSTATES)
        return "failed";
    return catalog_state_names[state];
}

const char *catalog_format_name(enum splitter_format format)
{
    if ((size_t)format >= CATALOG_NFORMATS)
        return "blob";
    return catalog_format_names[format];
}

int catalog_format_parse(enum splitter_format *out, const char *text,
                         const char *field, struct fault *f)
{
    size_t i;

    for (i = 0; i < CATALOG_NFORMATS; i++) {
        if (strcmp(text, catalog_format_names[i]) == 0) {
            *out = (enum splitter_format)i;
            return 0;
        }
    }
    *out = SPLITTER_CSV;
    return fault_set(f, FAULT_INVALID, field,
                     "%s must be one of csv, jsonl, blob", field);
}

static int catalog_state_parse(enum catalog_state *out, const char *text)
{
    size_t i;

    for (i = 0; i < CATALOG_NSTATES; i++) {
        if (text != NULL && strcmp(text, catalog_state_names[i]) == 0) {
            *out = (enum catalog_state)i;
            return 0;
        }
    }
    *out = CATALOG_FAILED;
    return -1;
}

/* Step a statement that returns no rows. */
static int catalog_step_done(sqlite3 *db, sqlite3_stmt *stmt,
                             const char *what, struct fault *f)
{
    int rc = sqlite3_step(stmt);

    if (rc != SQLITE_DONE)
        return db_fail(db, rc, what, f);
    return 0;
}

/* Step a statement that reads the row of one data-set. Returns 0 on the
 * row; -1 with f set: FAULT_NOT_FOUND (field "id") when there is none,
 * else what SQLite gives. */
static int catalog_step_row(sqlite3 *db, sqlite3_stmt *stmt, const char *what,
                            struct fault *f)
{
    int rc = db_step(db, stmt, what, f);

    if (rc == 0)
        return fault_set(f, FAULT_NOT_FOUND, "id", "no such data-set");
    return rc < 0 ? -1 : 0;
}

/* Step a statement that changes the row of one data-set. Returns 0 when it
 * changed one; -1 with f set: FAULT_NOT_FOUND (field "id") when there was
 * none, else what SQLite gives. */
static int catalog_step_changed(sqlite3 *db, sqlite3_stmt *stmt,
                                const char *what, struct fault *f)
{
    if (catalog_step_done(db, stmt, what, f) < 0)
        return -1;
    if (sqlite3_changes(db) == 0)
        return fault_set(f, FAULT_NOT_FOUND, "id", "no such data-set");
    return 0;
}

static void catalog_copy_text(char *out, size_t cap, sqlite3_stmt *stmt,
                              int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);

    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static uint64_t catalog_u64(sqlite3_stmt *stmt, int col)
{
    sqlite3_int64 v = sqlite3_column_int64(stmt, col);

    return v < 0 ? 0 : (uint64_t)v;
}

int catalog_insert_dataset(struct store *st, const struct catalog_dataset *d,
                           struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;

    if (db_prepare(db, &stmt,
                   "INSERT INTO datasets (id, owner, name, format, state, "
                   "dk_sealed, chunk_bytes, chunk_rows, zlib_level, "
                   "preview_rows, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, d->id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (d->owner[0] != '\0')
        sqlite3_bind_text(stmt, 2, d->owner, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, catalog_format_name(d->format), -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, catalog_state_name(d->state), -1,
                      SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 6, d->dk_sealed, DSKEY_SEALED_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 7, (sqlite3_int64)d->chunk_bytes);
    sqlite3_bind_int64(stmt, 8, (sqlite3_int64)d->chunk_rows);
    sqlite3_bind_int(stmt, 9, d->zlib_level);
    sqlite3_bind_int64(stmt, 10, (sqlite3_int64)d->preview_rows);
    sqlite3_bind_int64(stmt, 11, d->created_at);
    rv = catalog_step_done(db, stmt, "insert dataset", f);
done:
    db_release(stmt);
    return rv;
}

int catalog_get_terms(struct store *st, struct catalog_terms *out, int *found,
                      const uint8_t id[CATALOG_ID_LEN], struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    const char *price;
    int rc, rv = -1;

    memset(out, 0, sizeof *out);
    *found = 0;
    if (db_prepare(db, &stmt,
                   "SELECT state = 'published' AND price IS NOT NULL, owner, "
                   "price FROM datasets WHERE id = ?1",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    rc = db_step(db, stmt, "read a data-set's terms", f);
    if (rc < 0)
        goto done;
    if (rc == 1) {
        out->published = sqlite3_column_int(stmt, 0);
        catalog_copy_text(out->owner, sizeof out->owner, stmt, 1);
        price = (const char *)sqlite3_column_text(stmt, 2);
        if (price != NULL && (out->price = strdup(price)) == NULL) {
            fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
        *found = 1;
    }
    rv = 0;
done:
    db_release(stmt);
    if (rv < 0)
        catalog_terms_clear(out);
    return rv;
}

void catalog_terms_clear(struct catalog_terms *t)
{
    if (t == NULL)
        return;
    free(t->price);
    memset(t, 0, sizeof *t);
}

int catalog_get_dataset(struct store *st, struct catalog_dataset *out,
                        const uint8_t id[CATALOG_ID_LEN], struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    const void *blob;
    int rv = -1;

    memset(out, 0, sizeof *out);
    if (db_prepare(db, &stmt,
                   "SELECT owner, name, format, state, reason, dk_sealed, "
                   "chunk_bytes, chunk_rows, zlib_level, preview_rows, rows, "
                   "chunk_count, plain_bytes, stored_bytes, content_root, "
                   "progress_done, progress_total, created_at, published_at "
                   "FROM datasets WHERE id = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (catalog_step_row(db, stmt, "get dataset", f) < 0)
        goto done;
    memcpy(out->id, id, CATALOG_ID_LEN);
    catalog_copy_text(out->owner, sizeof out->owner, stmt, 0);
    catalog_copy_text(out->name, sizeof out->name, stmt, 1);
    if (catalog_format_parse(&out->format,
                             (const char *)sqlite3_column_text(stmt, 2),
                             "format", f) < 0 ||
        catalog_state_parse(&out->state,
                            (const char *)sqlite3_column_text(stmt, 3)) < 0 ||
        sqlite3_column_bytes(stmt, 5) != DSKEY_SEALED_LEN) {
        fault_set(f, FAULT_CORRUPT, NULL, "a data-set record is damaged");
        goto done;
    }
    catalog_copy_text(out->reason, sizeof out->reason, stmt, 4);
    memcpy(out->dk_sealed, sqlite3_column_blob(stmt, 5), DSKEY_SEALED_LEN);
    out->chunk_bytes = catalog_u64(stmt, 6);
    out->chunk_rows = catalog_u64(stmt, 7);
    out->zlib_level = sqlite3_column_int(stmt, 8);
    out->preview_rows = catalog_u64(stmt, 9);
    out->rows = catalog_u64(stmt, 10);
    out->chunk_count = catalog_u64(stmt, 11);
    out->plain_bytes = catalog_u64(stmt, 12);
    out->stored_bytes = catalog_u64(stmt, 13);
    blob = sqlite3_column_blob(stmt, 14);
    if (blob != NULL && sqlite3_column_bytes(stmt, 14) == 32)
        memcpy(out->content_root, blob, 32);
    out->progress_done = catalog_u64(stmt, 15);
    out->progress_total = catalog_u64(stmt, 16);
    out->created_at = sqlite3_column_int64(stmt, 17);
    out->published_at = sqlite3_column_int64(stmt, 18);
    rv = 0;
done:
    db_release(stmt);
    if (rv < 0)
        memset(out, 0, sizeof *out);
    return rv;
}

int catalog_get_prefix(struct store *st, uint8_t **out, size_t *len,
                       const uint8_t id[CATALOG_ID_LEN], struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int n;

    *out = NULL;
    *len = 0;
    if (db_prepare(db, &stmt, "SELECT prefix FROM datasets WHERE id = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (catalog_step_row(db, stmt, "get prefix", f) < 0)
        goto done;
    n = sqlite3_column_bytes(stmt, 0);
    *out = malloc(n > 0 ? (size_t)n : 1);
    if (*out == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (n > 0)
        memcpy(*out, sqlite3_column_blob(stmt, 0), (size_t)n);
    *len = (size_t)n;
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_set_state(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      enum catalog_state state, const char *reason,
                      struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;

    if (db_prepare(db, &stmt,
                   "UPDATE datasets SET state = ?2, reason = ?3, touched_at = "
                   "CAST(strftime('%s', 'now') AS INTEGER) WHERE id = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, catalog_state_name(state), -1, SQLITE_STATIC);
    if (reason != NULL)
        sqlite3_bind_text(stmt, 3, reason, -1, SQLITE_STATIC);
    if (catalog_step_changed(db, stmt, "set state", f) < 0)
        goto done;
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_delete_dataset(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                           struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;

    if (db_prepare(db, &stmt, "DELETE FROM datasets WHERE id = ?1", f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (catalog_step_changed(db, stmt, "delete dataset", f) < 0)
        goto done;
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_set_progress(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                         uint64_t done_bytes, uint64_t total, struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;

    if (db_prepare(db, &stmt,
                   "UPDATE datasets SET progress_done = ?2, "
                   "progress_total = ?3 WHERE id = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)done_bytes);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)total);
    rv = catalog_step_done(db, stmt, "set progress", f);
done:
    db_release(stmt);
    return rv;
}

static void catalog_bind_bound(sqlite3_stmt *stmt, int col,
                               const uint8_t *bytes, size_t len, int as_text)
{
    if (bytes == NULL)
        sqlite3_bind_null(stmt, col);
    else if (as_text)
        sqlite3_bind_text(stmt, col, (const char *)bytes, (int)len,
                          SQLITE_STATIC);
    else
        sqlite3_bind_blob(stmt, col, bytes, (int)len, SQLITE_STATIC);
}

struct catalog_chunk_writer {
    sqlite3 *db;
    sqlite3_stmt *chunk, *index;
};

int catalog_chunk_writer_new(struct catalog_chunk_writer **out, struct store *st,
                             struct fault *f)
{
    sqlite3 *db = db_of(st);
    struct catalog_chunk_writer *w;

    *out = NULL;
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    w->db = db;
    if (db_prepare(db, &w->chunk,
                   "INSERT INTO chunks (dataset_id, idx, object_id, "
                   "first_row, rows, plain_bytes, stored_bytes) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                   f) < 0 ||
        db_prepare(db, &w->index,
                   "INSERT INTO chunk_index (dataset_id, idx, position, "
                   "num_min, num_max, text_min, text_max) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                   f) < 0) {
        catalog_chunk_writer_free(w);
        return -1;
    }
    *out = w;
    return 0;
}

void catalog_chunk_writer_free(struct catalog_chunk_writer *w)
{
    if (w == NULL)
        return;
    db_release(w->chunk);
    db_release(w->index);
    free(w);
}

int catalog_chunk_writer_put(struct catalog_chunk_writer *w,
                             const uint8_t id[CATALOG_ID_LEN],
                             const struct catalog_chunk *c,
                             const struct splitter_colstat *cols, size_t ncols,
                             struct fault *f)
{
    sqlite3_stmt *chunk = w->chunk, *index = w->index;
    int rv = -1;
    size_t i;

    sqlite3_bind_blob(chunk, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(chunk, 2, (sqlite3_int64)c->index);
    sqlite3_bind_text(chunk, 3, c->object_id, -1, SQLITE_STATIC);
    if (c->has_rows) {
        sqlite3_bind_int64(chunk, 4, (sqlite3_int64)c->first_row);
        sqlite3_bind_int64(chunk, 5, (sqlite3_int64)c->rows);
    }
    sqlite3_bind_int64(chunk, 6, (sqlite3_int64)c->plain_bytes);
    sqlite3_bind_int64(chunk, 7, (sqlite3_int64)c->stored_bytes);
    if (catalog_step_done(w->db, chunk, "insert chunk", f) < 0)
        goto done;
    for (i = 0; i < ncols; i++) {
        const struct splitter_colstat *s = &cols[i];
        if (s->num.min == NULL && s->num.max == NULL && s->text.min == NULL &&
            s->text.max == NULL)
            continue; /* nothing indexed: the planner keeps the chunk */
        sqlite3_reset(index);
        sqlite3_clear_bindings(index);
        sqlite3_bind_blob(index, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(index, 2, (sqlite3_int64)c->index);
        sqlite3_bind_int64(index, 3, (sqlite3_int64)i);
        catalog_bind_bound(index, 4, s->num.min, s->num.min_len, 1);
        catalog_bind_bound(index, 5, s->num.max, s->num.max_len, 1);
        catalog_bind_bound(index, 6, s->text.min, s->text.min_len, 0);
        catalog_bind_bound(index, 7, s->text.max, s->text.max_len, 0);
        if (catalog_step_done(w->db, index, "insert chunk index", f) < 0)
            goto done;
    }
    rv = 0;
done:
    /* Ready for the next chunk, holding no bound pointer and no open
     * read of the database (a commit or rollback may come next). */
    sqlite3_reset(chunk);
    sqlite3_clear_bindings(chunk);
    sqlite3_reset(index);
    sqlite3_clear_bindings(index);
    return rv;
}

int catalog_put_chunk(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      const struct catalog_chunk *c,
                      const struct splitter_colstat *cols, size_t ncols,
                      struct fault *f)
{
    struct catalog_chunk_writer *w = NULL;
    int rv;

    if (catalog_chunk_writer_new(&w, st, f) < 0)
        return -1;
    rv = catalog_chunk_writer_put(w, id, c, cols, ncols, f);
    catalog_chunk_writer_free(w);
    return rv;
}

int catalog_finish(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                   const struct catalog_summary *s, int64_t now,
                   struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *del = NULL, *col = NULL, *upd = NULL;
    int rv = -1;
    size_t i;

    if (db_prepare(db, &del,
                   "DELETE FROM dataset_columns WHERE dataset_id = ?1",
                   f) < 0 ||
        db_prepare(db, &col,
                   "INSERT INTO dataset_columns (dataset_id, position, name, "
                   "type) VALUES (?1, ?2, ?3, ?4)",
                   f) < 0 ||
        db_prepare(db, &upd,
                   "UPDATE datasets SET state = 'published', reason = NULL, "
                   "prefix = ?2, rows = ?3, chunk_count = ?4, "
                   "plain_bytes = ?5, stored_bytes = ?6, content_root = ?7, "
                   "preview = ?8, published_at = ?9, "
                   "progress_done = progress_total WHERE id = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(del, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (catalog_step_done(db, del, "clear columns", f) < 0)
        goto done;
    for (i = 0; i < s->ncols; i++) {
        sqlite3_reset(col);
        sqlite3_bind_blob(col, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(col, 2, (sqlite3_int64)i);
        sqlite3_bind_text(col, 3, s->col_names[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(col, 4,
                          s->col_types[i] == SPLITTER_COL_NUMBER ? "number"
                                                                 : "text",
                          -1, SQLITE_STATIC);
        if (catalog_step_done(db, col, "insert column", f) < 0)
            goto done;
    }
    sqlite3_bind_blob(upd, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(upd, 2, s->prefix_len > 0 ? s->prefix : (const void *)"",
                      (int)s->prefix_len, SQLITE_STATIC);
    sqlite3_bind_int64(upd, 3, (sqlite3_int64)s->rows);
    sqlite3_bind_int64(upd, 4, (sqlite3_int64)s->chunk_count);
    sqlite3_bind_int64(upd, 5, (sqlite3_int64)s->plain_bytes);
    sqlite3_bind_int64(upd, 6, (sqlite3_int64)s->stored_bytes);
    sqlite3_bind_blob(upd, 7, s->content_root, 32, SQLITE_STATIC);
    sqlite3_bind_text(upd, 8, s->preview_json ? s->preview_json : "[]", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(upd, 9, now);
    if (catalog_step_changed(db, upd, "publish dataset", f) < 0)
        goto done;
    rv = 0;
done:
    db_release(del);
    db_release(col);
    db_release(upd);
    return rv;
}

int catalog_clear_chunks(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                         struct fault *f)
{
    sqlite3 *db = db_of(st);
    static const char *const sql[] = {
        "DELETE FROM chunk_index WHERE dataset_id = ?1",
        "DELETE FROM chunks WHERE dataset_id = ?1",
        "DELETE FROM dataset_columns WHERE dataset_id = ?1",
    };
    sqlite3_stmt *stmt = NULL;
    size_t i;

    for (i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        if (db_prepare(db, &stmt, sql[i], f) < 0)
            return -1;
        sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
        if (catalog_step_done(db, stmt, "clear chunks", f) < 0) {
            db_release(stmt);
            return -1;
        }
        db_release(stmt);
        stmt = NULL;
    }
    return 0;
}

static void catalog_read_chunk(struct catalog_chunk *out, sqlite3_stmt *stmt)
{
    memset(out, 0, sizeof *out);
    out->index = catalog_u64(stmt, 0);
    catalog_copy_text(out->object_id, sizeof out->object_id, stmt, 1);
    out->has_rows = sqlite3_column_type(stmt, 2) != SQLITE_NULL;
    out->first_row = catalog_u64(stmt, 2);
    out->rows = catalog_u64(stmt, 3);
    out->plain_bytes = catalog_u64(stmt, 4);
    out->stored_bytes = catalog_u64(stmt, 5);
}

int catalog_get_chunk(struct store *st, struct catalog_chunk *out,
                      const uint8_t id[CATALOG_ID_LEN], uint64_t index,
                      struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    memset(out, 0, sizeof *out);
    if (db_prepare(db, &stmt,
                   "SELECT idx, object_id, first_row, rows, plain_bytes, "
                   "stored_bytes FROM chunks WHERE dataset_id = ?1 AND "
                   "idx = ?2",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)index);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        fault_set(f, FAULT_NOT_FOUND, "index", "no such chunk");
        goto done;
    }
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "get chunk", f);
        goto done;
    }
    catalog_read_chunk(out, stmt);
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

/* Call fn for each chunk that sql (with ?1 the data-set, ?2 and ?3 from
 * and to) picks and that holds a row at or past from (all when from is
 * 0), in its order. */
static int catalog_walk_chunks(struct store *st, const char *sql,
                               const uint8_t id[CATALOG_ID_LEN], uint64_t from,
                               uint64_t to,
                               int (*fn)(void *arg,
                                         const struct catalog_chunk *c,
                                         struct fault *f),
                               void *arg, struct fault *f)
{
    sqlite3 *db = db_of(st);
    struct catalog_chunk c;
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    if (db_prepare(db, &stmt, sql, f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(stmt) >= 3) {
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)from);
        sqlite3_bind_int64(stmt, 3, (sqlite3_int64)to);
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        catalog_read_chunk(&c, stmt);
        if (from > 0 && c.first_row + c.rows <= from)
            continue; /* ends before the range */
        if (fn(arg, &c, f) < 0)
            goto done;
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "list chunks", f);
        goto done;
    }
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_each_chunk(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                       int (*fn)(void *arg, const struct catalog_chunk *c,
                                 struct fault *f),
                       void *arg, struct fault *f)
{
    return catalog_walk_chunks(st,
                               "SELECT idx, object_id, first_row, rows, "
                               "plain_bytes, stored_bytes FROM chunks WHERE "
                               "dataset_id = ?1 ORDER BY idx",
                               id, 0, 0, fn, arg, f);
}

int catalog_each_chunk_in_rows(struct store *st,
                               const uint8_t id[CATALOG_ID_LEN],
                               uint64_t from, uint64_t to,
                               int (*fn)(void *arg,
                                         const struct catalog_chunk *c,
                                         struct fault *f),
                               void *arg, struct fault *f)
{
    if (from >= to || from > (uint64_t)INT64_MAX)
        return 0;
    if (to > (uint64_t)INT64_MAX)
        to = (uint64_t)INT64_MAX;
    /* First rows rise with the index: the first chunk touched is the last
     * one that starts at or before from, found in chunks_first_row; the
     * rest follow it while they start before to. */
    return catalog_walk_chunks(st,
                               "SELECT idx, object_id, first_row, rows, "
                               "plain_bytes, stored_bytes FROM chunks WHERE "
                               "dataset_id = ?1 AND idx >= COALESCE((SELECT "
                               "idx FROM chunks WHERE dataset_id = ?1 AND "
                               "first_row <= ?2 ORDER BY first_row DESC "
                               "LIMIT 1), 0) AND first_row < ?3 ORDER BY idx",
                               id, from, to, fn, arg, f);
}

int catalog_each_bound(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                       size_t position,
                       int (*fn)(void *arg, uint64_t index,
                                 const struct catalog_bound *b,
                                 struct fault *f),
                       void *arg, struct fault *f)
{
    sqlite3 *db = db_of(st);
    struct catalog_bound b;
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    if (db_prepare(db, &stmt,
                   "SELECT idx, num_min, num_max, text_min, text_max "
                   "FROM chunk_index WHERE dataset_id = ?1 AND position = ?2 "
                   "ORDER BY idx",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)position);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        b.num_min = sqlite3_column_blob(stmt, 1);
        b.num_min_len = (size_t)sqlite3_column_bytes(stmt, 1);
        b.num_max = sqlite3_column_blob(stmt, 2);
        b.num_max_len = (size_t)sqlite3_column_bytes(stmt, 2);
        b.text_min = sqlite3_column_blob(stmt, 3);
        b.text_min_len = (size_t)sqlite3_column_bytes(stmt, 3);
        b.text_max = sqlite3_column_blob(stmt, 4);
        b.text_max_len = (size_t)sqlite3_column_bytes(stmt, 4);
        if (fn(arg, catalog_u64(stmt, 0), &b, f) < 0)
            goto done;
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "list chunk bounds", f);
        goto done;
    }
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_each_dataset(struct store *st, enum catalog_state state,
                         int (*fn)(void *arg, const uint8_t id[CATALOG_ID_LEN],
                                   struct fault *f),
                         void *arg, struct fault *f)
{
    sqlite3 *db = db_of(st);
    uint8_t id[CATALOG_ID_LEN];
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    if (db_prepare(db, &stmt,
                   "SELECT id FROM datasets WHERE state = ?1 "
                   "ORDER BY created_at, id",
                   f) < 0)
        goto done;
    sqlite3_bind_text(stmt, 1, catalog_state_name(state), -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(stmt, 0) != CATALOG_ID_LEN)
            continue;
        memcpy(id, sqlite3_column_blob(stmt, 0), CATALOG_ID_LEN);
        if (fn(arg, id, f) < 0)
            goto done;
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "list datasets", f);
        goto done;
    }
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_object_used(struct store *st, int *used, const char *object_id,
                        struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    *used = 0;
    if (db_prepare(db, &stmt,
                   "SELECT 1 FROM chunks WHERE object_id = ?1 LIMIT 1", f) < 0)
        goto done;
    sqlite3_bind_text(stmt, 1, object_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail(db, rc, "find object", f);
        goto done;
    }
    *used = rc == SQLITE_ROW;
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_meta_get(struct store *st, char *out, size_t cap, int *found,
                     const char *key, struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    *found = 0;
    if (cap > 0)
        out[0] = '\0';
    if (db_prepare(db, &stmt, "SELECT value FROM store_meta WHERE key = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        catalog_copy_text(out, cap, stmt, 0);
        *found = 1;
    } else if (rc != SQLITE_DONE) {
        db_fail(db, rc, "get meta", f);
        goto done;
    }
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_meta_set(struct store *st, const char *key, const char *value,
                     struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;

    if (db_prepare(db, &stmt,
                   value ? "INSERT INTO store_meta (key, value) VALUES (?1, ?2)"
                           " ON CONFLICT (key) DO UPDATE SET value = ?2"
                         : "DELETE FROM store_meta WHERE key = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    if (value)
        sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
    rv = catalog_step_done(db, stmt, "set meta", f);
done:
    db_release(stmt);
    return rv;
}

void catalog_meta_clear(struct catalog_meta *m)
{
    size_t i;

    if (m == NULL)
        return;
    free(m->description);
    free(m->license);
    free(m->price);
    for (i = 0; i < m->ntags; i++)
        free(m->tags[i]);
    free(m->tags);
    memset(m, 0, sizeof *m);
}

static int catalog_strdup_col(char **out, sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);

    *out = NULL;
    if (t == NULL)
        return 0;
    *out = strdup((const char *)t);
    return *out ? 0 : -1;
}

int catalog_get_meta(struct store *st, struct catalog_meta *out,
                     const uint8_t id[CATALOG_ID_LEN], struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL, *tags = NULL;
    int rv = -1;
    int rc;

    memset(out, 0, sizeof *out);
    if (db_prepare(db, &stmt,
                   "SELECT description, license, price, price_key, listed "
                   "FROM datasets WHERE id = ?1",
                   f) < 0 ||
        db_prepare(db, &tags,
                   "SELECT tag FROM dataset_tags WHERE dataset_id = ?1 "
                   "ORDER BY tag",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (catalog_step_row(db, stmt, "get meta", f) < 0)
        goto done;
    if (catalog_strdup_col(&out->description, stmt, 0) < 0 ||
        catalog_strdup_col(&out->license, stmt, 1) < 0 ||
        catalog_strdup_col(&out->price, stmt, 2) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    out->price_key = sqlite3_column_double(stmt, 3);
    out->listed = sqlite3_column_int(stmt, 4);
    sqlite3_bind_blob(tags, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    while ((rc = sqlite3_step(tags)) == SQLITE_ROW) {
        char **p = realloc(out->tags, (out->ntags + 1) * sizeof *p);
        if (p == NULL) {
            fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
        out->tags = p;
        if (catalog_strdup_col(&out->tags[out->ntags], tags, 0) < 0 ||
            out->tags[out->ntags] == NULL) {
            fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
        out->ntags++;
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "get tags", f);
        goto done;
    }
    rv = 0;
done:
    db_release(stmt);
    db_release(tags);
    if (rv < 0)
        catalog_meta_clear(out);
    return rv;
}

int catalog_put_meta(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                     const struct catalog_meta *m, struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *upd = NULL, *del = NULL, *ins = NULL;
    int rv = -1;
    size_t i;

    if (db_prepare(db, &upd,
                   "UPDATE datasets SET description = ?2, license = ?3, "
                   "listed = ?4 WHERE id = ?1",
                   f) < 0 ||
        db_prepare(db, &del, "DELETE FROM dataset_tags WHERE dataset_id = ?1",
                   f) < 0 ||
        db_prepare(db, &ins,
                   "INSERT INTO dataset_tags (dataset_id, tag) VALUES (?1, ?2)",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(upd, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(upd, 2, m->description ? m->description : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(upd, 3, m->license ? m->license : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(upd, 4, m->listed ? 1 : 0);
    if (catalog_step_changed(db, upd, "put meta", f) < 0)
        goto done;
    sqlite3_bind_blob(del, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (catalog_step_done(db, del, "clear tags", f) < 0)
        goto done;
    for (i = 0; i < m->ntags; i++) {
        sqlite3_reset(ins);
        sqlite3_bind_blob(ins, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, m->tags[i], -1, SQLITE_STATIC);
        if (catalog_step_done(db, ins, "insert tag", f) < 0)
            goto done;
    }
    rv = 0;
done:
    db_release(upd);
    db_release(del);
    db_release(ins);
    return rv;
}

int catalog_set_price(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      const char *price, double price_key, struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;

    if (db_prepare(db, &stmt,
                   "UPDATE datasets SET price = ?2, price_key = ?3, "
                   "touched_at = CAST(strftime('%s', 'now') AS INTEGER) "
                   "WHERE id = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (price != NULL) {
        sqlite3_bind_text(stmt, 2, price, -1, SQLITE_STATIC);
        sqlite3_bind_double(stmt, 3, price_key);
    }
    if (catalog_step_changed(db, stmt, "set price", f) < 0)
        goto done;
    db_release(stmt);
    stmt = NULL;
    /* The history, in the same unit of work as the change. */
    if (db_prepare(db, &stmt,
                   "INSERT INTO price_history (dataset_id, seq, at, price) "
                   "SELECT ?1, COALESCE(MAX(seq), 0) + 1, "
                   "CAST(strftime('%s', 'now') AS INTEGER), ?2 "
                   "FROM price_history WHERE dataset_id = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (price != NULL)
        sqlite3_bind_text(stmt, 2, price, -1, SQLITE_STATIC);
    if (catalog_step_done(db, stmt, "record the price", f) < 0)
        goto done;
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_each_price(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                       size_t last,
                       int (*fn)(void *arg, int64_t at, const char *price,
                                 struct fault *f),
                       void *arg, struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    if (db_prepare(db, &stmt,
                   "SELECT at, price FROM (SELECT seq, at, price FROM "
                   "price_history WHERE dataset_id = ?1 ORDER BY seq DESC "
                   "LIMIT ?2) ORDER BY seq",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, last > INT64_MAX ? INT64_MAX
                                                 : (sqlite3_int64)last);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (fn(arg, sqlite3_column_int64(stmt, 0),
               (const char *)sqlite3_column_text(stmt, 1), f) < 0)
            goto done;
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "list prices", f);
        goto done;
    }
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int catalog_set_listed(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                       int listed, struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;

    if (db_prepare(db, &stmt, "UPDATE datasets SET listed = ?2 WHERE id = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, listed ? 1 : 0);
    rv = catalog_step_done(db, stmt, "set listed", f);
done:
    db_release(stmt);
    return rv;
}

int catalog_get_preview(struct store *st, char **out,
                        const uint8_t id[CATALOG_ID_LEN], struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;

    *out = NULL;
    if (db_prepare(db, &stmt, "SELECT preview FROM datasets WHERE id = ?1",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    if (catalog_step_row(db, stmt, "get preview", f) < 0)
        goto done;
    *out = strdup(sqlite3_column_text(stmt, 0)
                      ? (const char *)sqlite3_column_text(stmt, 0)
                      : "[]");
    if (*out == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

void catalog_columns_free(struct catalog_column *c, size_t n)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < n; i++)
        free(c[i].name);
    free(c);
}

int catalog_get_columns(struct store *st, struct catalog_column **out, size_t *n,
                        const uint8_t id[CATALOG_ID_LEN], struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    struct catalog_column *v = NULL, *p;
    size_t len = 0;
    int rv = -1;
    int rc;

    *out = NULL;
    *n = 0;
    if (db_prepare(db, &stmt,
                   "SELECT name, type FROM dataset_columns WHERE "
                   "dataset_id = ?1 ORDER BY position",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        p = realloc(v, (len + 1) * sizeof *v);
        if (p == NULL)
            goto oom;
        v = p;
        v[len].is_number =
            strcmp((const char *)sqlite3_column_text(stmt, 1), "number") == 0;
        if (catalog_strdup_col(&v[len].name, stmt, 0) < 0 ||
            v[len].name == NULL)
            goto oom;
        len++;
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "get columns", f);
        goto done;
    }
    *out = v;
    *n = len;
    v = NULL;
    rv = 0;
    goto done;
oom:
    fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
done:
    catalog_columns_free(v, len);
    db_release(stmt);
    return rv;
}

/* "%text%" for LIKE, with %, _ and the escape itself escaped: LIKE folds
 * ASCII case as lower() does, without making a lowered copy of every name
 * and description it reads. malloc'd; NULL when out of memory. */
static char *catalog_like_pattern(const char *text)
{
    size_t len = strlen(text), i, o = 0;
    char *p = malloc(2 * len + 3);

    if (p == NULL)
        return NULL;
    p[o++] = '%';
    for (i = 0; i < len; i++) {
        if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
            p[o++] = '\\';
        p[o++] = text[i];
    }
    p[o++] = '%';
    p[o] = '\0';
    return p;
}

int catalog_list(struct store *st, uint8_t (**ids)[CATALOG_ID_LEN], size_t *n,
                 const struct catalog_query *q, struct fault *f)
{
    sqlite3 *db = db_of(st);
    /* One statement per sort order; each is a keyset scan that resumes
     * after (key, id), so pages stay stable while data-sets are added. */
    static const char *const sql[] = {
        [CATALOG_SORT_NEWEST] =
            "SELECT id FROM datasets d WHERE state = 'published' AND listed = 1"
            " AND (?1 IS NULL OR name LIKE ?9 ESCAPE '\\'"
            "      OR description LIKE ?9 ESCAPE '\\')"
            " AND (?2 IS NULL OR d.id IN (SELECT dataset_id FROM dataset_tags"
            "      WHERE tag = ?2))"
            " AND (?8 IS NULL OR d.id IN (SELECT id FROM datasets"
            "      WHERE owner = ?8 AND state = 'published'))"
            " AND (?3 = 0 OR published_at < ?4 OR (published_at = ?4 AND id > ?6))"
            " ORDER BY published_at DESC, id LIMIT ?7",
        [CATALOG_SORT_NAME] =
            "SELECT id FROM datasets d WHERE state = 'published' AND listed = 1"
            " AND (?1 IS NULL OR name LIKE ?9 ESCAPE '\\'"
            "      OR description LIKE ?9 ESCAPE '\\')"
            " AND (?2 IS NULL OR d.id IN (SELECT dataset_id FROM dataset_tags"
            "      WHERE tag = ?2))"
            " AND (?8 IS NULL OR d.id IN (SELECT id FROM datasets"
            "      WHERE owner = ?8 AND state = 'published'))"
            " AND (?3 = 0 OR name > ?5 OR (name = ?5 AND id > ?6))"
            " ORDER BY name, id LIMIT ?7",
        [CATALOG_SORT_PRICE] =
            "SELECT id FROM datasets d WHERE state = 'published' AND listed = 1"
            " AND (?1 IS NULL OR name LIKE ?9 ESCAPE '\\'"
            "      OR description LIKE ?9 ESCAPE '\\')"
            " AND (?2 IS NULL OR d.id IN (SELECT dataset_id FROM dataset_tags"
            "      WHERE tag = ?2))"
            " AND (?8 IS NULL OR d.id IN (SELECT id FROM datasets"
            "      WHERE owner = ?8 AND state = 'published'))"
            " AND (?3 = 0 OR coalesce(price_key, 0) > ?4 OR"
            "      (coalesce(price_key, 0) = ?4 AND id > ?6))"
            " ORDER BY coalesce(price_key, 0), id LIMIT ?7",
        [CATALOG_SORT_SIZE] =
            "SELECT id FROM datasets d WHERE state = 'published' AND listed = 1"
            " AND (?1 IS NULL OR name LIKE ?9 ESCAPE '\\'"
            "      OR description LIKE ?9 ESCAPE '\\')"
            " AND (?2 IS NULL OR d.id IN (SELECT dataset_id FROM dataset_tags"
            "      WHERE tag = ?2))"
            " AND (?8 IS NULL OR d.id IN (SELECT id FROM datasets"
            "      WHERE owner = ?8 AND state = 'published'))"
            " AND (?3 = 0 OR plain_bytes < ?4 OR (plain_bytes = ?4 AND id > ?6))"
            " ORDER BY plain_bytes DESC, id LIMIT ?7",
    };
    sqlite3_stmt *stmt = NULL;
    uint8_t (*v)[CATALOG_ID_LEN] = NULL;
    char *pattern = NULL;
    size_t len = 0;
    int rv = -1;
    int rc;

    *ids = NULL;
    *n = 0;
    if ((size_t)q->sort >= sizeof sql / sizeof sql[0] || q->limit == 0 ||
        q->limit > 100)
        return fault_set(f, FAULT_INVALID, "limit", "bad listing query");
    v = calloc(q->limit + 1, sizeof *v);
    if (v == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (db_prepare(db, &stmt, sql[q->sort], f) < 0)
        goto done;
    if (q->q != NULL) {
        sqlite3_bind_text(stmt, 1, q->q, -1, SQLITE_STATIC);
        pattern = catalog_like_pattern(q->q);
        if (pattern == NULL) {
            fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
        sqlite3_bind_text(stmt, 9, pattern, -1, SQLITE_TRANSIENT);
    }
    if (q->tag != NULL)
        sqlite3_bind_text(stmt, 2, q->tag, -1, SQLITE_STATIC);
    if (q->owner != NULL)
        sqlite3_bind_text(stmt, 8, q->owner, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 3, q->has_after ? 1 : 0);
    sqlite3_bind_double(stmt, 4, q->after_num);
    sqlite3_bind_text(stmt, 5, q->after_text ? q->after_text : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 6, q->after_id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 7, (sqlite3_int64)q->limit + 1);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (len > q->limit || sqlite3_column_bytes(stmt, 0) != CATALOG_ID_LEN)
            continue;
        memcpy(v[len++], sqlite3_column_blob(stmt, 0), CATALOG_ID_LEN);
    }
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "list datasets", f);
        goto done;
    }
    *ids = v;
    *n = len;
    v = NULL;
    rv = 0;
done:
    free(v);
    free(pattern);
    db_release(stmt);
    return rv;
}

int catalog_object_published(struct store *st, int *published,
                             const char *object_id, struct fault *f)
{
    sqlite3 *db = db_of(st);
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    *published = 0;
    if (db_prepare(db, &stmt,
                   "SELECT 1 FROM chunks c JOIN datasets d ON "
                   "d.id = c.dataset_id WHERE c.object_id = ?1 AND "
                   "d.state = 'published' LIMIT 1",
                   f) < 0)
        goto done;
    sqlite3_bind_text(stmt, 1, object_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail(db, rc, "find object", f);
        goto done;
    }
    *published = rc == SQLITE_ROW;
    rv = 0;
done:
    db_release(stmt);
    return rv;
}
