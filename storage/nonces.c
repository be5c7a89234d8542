#include "storage/nonces.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/db.h"

void nonces_record_clear(struct nonce_record *r)
{
    if (r == NULL)
        return;
    free(r->target);
    free(r->location);
    free(r->response);
    memset(r, 0, sizeof *r);
}

static char *nonces_dup_column(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);

    return t ? strdup((const char *)t) : NULL;
}

int nonces_lookup(sqlite3 *db, struct nonce_record *out, int *found,
                  const char *address, const char *nonce, struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    const void *blob;
    int rv = -1;
    int rc, n;

    memset(out, 0, sizeof *out);
    *found = 0;
    if (db_prepare(db, &stmt,
                   "SELECT created_at, method, target, body_sha256, status, "
                   "content_type, location, response FROM request_nonces "
                   "WHERE address = ?1 AND nonce = ?2",
                   f) < 0)
        goto done;
    sqlite3_bind_text(stmt, 1, address, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, nonce, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        rv = 0;
        goto done;
    }
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "nonce lookup", f);
        goto done;
    }
    snprintf(out->address, sizeof out->address, "%s", address);
    snprintf(out->nonce, sizeof out->nonce, "%s", nonce);
    out->created_at = sqlite3_column_int64(stmt, 0);
    snprintf(out->method, sizeof out->method, "%s",
             (const char *)sqlite3_column_text(stmt, 1));
    out->target = nonces_dup_column(stmt, 2);
    blob = sqlite3_column_blob(stmt, 3);
    if (blob != NULL && sqlite3_column_bytes(stmt, 3) == 32)
        memcpy(out->body_sha256, blob, 32);
    out->status = sqlite3_column_int(stmt, 4);
    snprintf(out->content_type, sizeof out->content_type, "%s",
             (const char *)sqlite3_column_text(stmt, 5));
    out->location = nonces_dup_column(stmt, 6);
    n = sqlite3_column_bytes(stmt, 7);
    out->response = malloc(n > 0 ? (size_t)n : 1);
    if (out->target == NULL || out->response == NULL) {
        nonces_record_clear(out);
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (n > 0)
        memcpy(out->response, sqlite3_column_blob(stmt, 7), (size_t)n);
    out->response_len = (size_t)n;
    *found = 1;
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int nonces_insert(sqlite3 *db, const struct nonce_record *r, struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    if (db_prepare(db, &stmt,
                   "INSERT INTO request_nonces (address, nonce, created_at, "
                   "method, target, body_sha256, status, content_type, "
                   "location, response) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                   f) < 0)
        goto done;
    sqlite3_bind_text(stmt, 1, r->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, r->nonce, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, r->created_at);
    sqlite3_bind_text(stmt, 4, r->method, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, r->target ? r->target : "", -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 6, r->body_sha256, 32, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 7, r->status);
    sqlite3_bind_text(stmt, 8, r->content_type, -1, SQLITE_STATIC);
    if (r->location != NULL)
        sqlite3_bind_text(stmt, 9, r->location, -1, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 10, r->response ? (const void *)r->response : "",
                      (int)r->response_len, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "nonce insert", f);
        goto done;
    }
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

long nonces_expire(sqlite3 *db, int64_t cutoff, struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    long rv = -1;
    int rc;

    if (db_prepare(db, &stmt,
                   "DELETE FROM request_nonces WHERE created_at < ?1", f) < 0)
        goto done;
    sqlite3_bind_int64(stmt, 1, cutoff);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        db_fail(db, rc, "nonce expire", f);
        goto done;
    }
    rv = sqlite3_changes(db);
done:
    db_release(stmt);
    return rv;
}
