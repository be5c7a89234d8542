#include "storage/parts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/log.h"
#include "storage/db.h"
#include "storage/fsutil.h"
#include "storage/pending.h"

#define PARTS_PATH_MAX 4400

/* <dir>/uploads/<id hex> into out; makes the folders when make is set. */
static int parts_folder(struct store *st, char *out, size_t cap,
                        const uint8_t id[CATALOG_ID_LEN], int make,
                        struct fault *f)
{
    char up[PARTS_PATH_MAX];
    char hex[2 * CATALOG_ID_LEN + 1];

    if (hex_encode(hex, sizeof hex, id, CATALOG_ID_LEN) < 0 ||
        fsutil_join(up, sizeof up, st->dir, "uploads") < 0 ||
        fsutil_join(out, cap, up, hex) < 0)
        return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
    if (make && (fsutil_mkdir(up, 0700, f) < 0 || fsutil_mkdir(out, 0700, f) < 0))
        return -1;
    return 0;
}

static int parts_file(struct store *st, char *out, size_t cap,
                      const uint8_t id[CATALOG_ID_LEN],
                      const uint8_t sha256[32], int make, struct fault *f)
{
    char folder[PARTS_PATH_MAX];
    char hex[65];

    if (parts_folder(st, folder, sizeof folder, id, make, f) < 0)
        return -1;
    if (hex_encode(hex, sizeof hex, sha256, 32) < 0 ||
        fsutil_join(out, cap, folder, hex) < 0)
        return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
    return 0;
}

int parts_pending_add(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      const uint8_t sha256[32], struct fault *f)
{
    return pending_add(st->pending, id, sha256, f);
}

void parts_pending_remove(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                          const uint8_t sha256[32])
{
    pending_remove(st->pending, id, sha256);
}

static int parts_pending_has(struct store *st,
                             const uint8_t id[CATALOG_ID_LEN],
                             const uint8_t *sha256)
{
    return pending_has(st->pending, id, sha256);
}

int parts_dataset_busy(struct store *st, const uint8_t id[CATALOG_ID_LEN])
{
    return parts_pending_has(st, id, NULL);
}

/* Set *named to whether a part row of data-set id that is not published
 * names sha256. */
static int parts_file_named(struct store *st, int *named,
                            const uint8_t id[CATALOG_ID_LEN],
                            const uint8_t sha256[32], struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    *named = 0;
    if (db_prepare(st->db, &stmt,
                   "SELECT 1 FROM dataset_parts p JOIN datasets d ON "
                   "d.id = p.dataset_id WHERE p.dataset_id = ?1 AND "
                   "p.sha256 = ?2 AND d.state != 'published' LIMIT 1",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(stmt, 2, sha256, 32, SQLITE_STATIC);
    rc = db_step(st->db, stmt, "find a part's file", f);
    db_release(stmt);
    if (rc < 0)
        return -1;
    *named = rc == 1;
    return 0;
}

/* Remove the file at path; a file already gone is no error. */
static int parts_unlink(const char *path, struct fault *f)
{
    if (unlink(path) == 0 || errno == ENOENT)
        return 0;
    log_warn("cannot remove %s: %s", path, strerror(errno));
    return fault_set(f, FAULT_IO, NULL, "cannot remove a part file: %s",
                     strerror(errno));
}

int parts_drop_file(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                    const uint8_t sha256[32], struct fault *f)
{
    char path[PARTS_PATH_MAX], folder[PARTS_PATH_MAX];
    int named;

    if (parts_pending_has(st, id, sha256))
        return 0;
    if (parts_file_named(st, &named, id, sha256, f) < 0)
        return -1;
    if (named)
        return 0;
    if (parts_file(st, path, sizeof path, id, sha256, 0, f) < 0 ||
        parts_unlink(path, f) < 0)
        return -1;
    /* The last part gone: the folder too (a write would make it again). */
    if (!parts_pending_has(st, id, NULL) &&
        parts_folder(st, folder, sizeof folder, id, 0, f) == 0)
        (void)rmdir(folder); /* ENOTEMPTY: other parts still there */
    return 0;
}

int parts_write_file_iov(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                         const uint8_t sha256[32], const struct iovec *iov,
                         int iovcnt, struct fault *f)
{
    char path[PARTS_PATH_MAX], tmp[PARTS_PATH_MAX + 16];
    int fd = -1;
    int rv = -1;
    int i;

    tmp[0] = '\0';
    if (parts_file(st, path, sizeof path, id, sha256, 1, f) < 0)
        goto done;
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        tmp[0] = '\0';
        log_error("mkostemp %s: %s", path, strerror(errno));
        fault_set(f, FAULT_IO, NULL, "cannot store the part: %s",
                  strerror(errno));
        goto done;
    }
    for (i = 0; i < iovcnt; i++)
        if (fsutil_write_all(fd, iov[i].iov_base, iov[i].iov_len, f) < 0)
            goto done;
    if (fsutil_fsync(fd, f) < 0)
        goto done;
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0) {
        fault_set(f, FAULT_IO, NULL, "cannot store the part: %s",
                  strerror(errno));
        goto done;
    }
    tmp[0] = '\0';
    if (fsutil_fsync_parent(path, f) < 0)
        goto done;
    rv = 0;
done:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    return rv;
}

int parts_write_file(struct store *st, uint8_t sha256[32],
                     const uint8_t id[CATALOG_ID_LEN], const uint8_t *data,
                     size_t len, struct fault *f)
{
    struct iovec iov = {(void *)(uintptr_t)data, len};
    unsigned int dlen = 0;

    if (EVP_Digest(data, len, sha256, &dlen, EVP_sha256(), NULL) != 1)
        return fault_set(f, FAULT_INTERNAL, NULL, "SHA-256 failed");
    return parts_write_file_iov(st, id, sha256, &iov, 1, f);
}

int parts_record(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                 const struct parts_entry *e, struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rv = -1;
    int rc;

    if (db_prepare(st->db, &stmt,
                   "INSERT INTO dataset_parts (dataset_id, n, bytes, sha256, "
                   "received_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                   "ON CONFLICT (dataset_id, n) DO UPDATE SET bytes = ?3, "
                   "sha256 = ?4, received_at = ?5",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)e->n);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)e->bytes);
    sqlite3_bind_blob(stmt, 4, e->sha256, 32, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, e->received_at);
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        db_fail(st->db, rc, "record part", f);
        goto done;
    }
    rv = 0;
done:
    db_release(stmt);
    return rv;
}

int parts_get(struct store *st, struct parts_entry *out, int *found,
              const uint8_t id[CATALOG_ID_LEN], uint64_t n, struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    *found = 0;
    if (db_prepare(st->db, &stmt,
                   "SELECT bytes, sha256, received_at FROM dataset_parts "
                   "WHERE dataset_id = ?1 AND n = ?2",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)n);
    rc = db_step(st->db, stmt, "read a part", f);
    if (rc == 1) {
        out->n = n;
        out->bytes = (uint64_t)sqlite3_column_int64(stmt, 0);
        if (sqlite3_column_bytes(stmt, 1) == 32)
            memcpy(out->sha256, sqlite3_column_blob(stmt, 1), 32);
        out->received_at = sqlite3_column_int64(stmt, 2);
        *found = 1;
    }
    db_release(stmt);
    return rc < 0 ? -1 : 0;
}

int parts_record_published(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                           const struct parts_entry *e, size_t n,
                           struct fault *f)
{
    sqlite3_stmt *del = NULL, *ins = NULL;
    size_t i;
    int rv = -1;
    int rc;

    if (db_prepare(st->db, &del,
                   "DELETE FROM dataset_published_parts WHERE dataset_id = ?1",
                   f) < 0 ||
        db_prepare(st->db, &ins,
                   "INSERT INTO dataset_published_parts (dataset_id, n, "
                   "bytes, sha256) VALUES (?1, ?2, ?3, ?4)",
                   f) < 0)
        goto done;
    sqlite3_bind_blob(del, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    rc = sqlite3_step(del);
    if (rc != SQLITE_DONE) {
        db_fail(st->db, rc, "clear published parts", f);
        goto done;
    }
    for (i = 0; i < n; i++) {
        sqlite3_reset(ins);
        sqlite3_bind_blob(ins, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64)e[i].n);
        sqlite3_bind_int64(ins, 3, (sqlite3_int64)e[i].bytes);
        sqlite3_bind_blob(ins, 4, e[i].sha256, 32, SQLITE_STATIC);
        rc = sqlite3_step(ins);
        if (rc != SQLITE_DONE) {
            db_fail(st->db, rc, "record published part", f);
            goto done;
        }
    }
    rv = 0;
done:
    db_release(del);
    db_release(ins);
    return rv;
}

/* The rows of one of the two part lists, by the statement sql (n, bytes,
 * sha256, received_at for data-set ?1, ascending n). */
static int parts_list_sql(struct store *st, struct parts_entry **out,
                          size_t *n, const uint8_t id[CATALOG_ID_LEN],
                          const char *sql, struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    struct parts_entry *v = NULL, *p;
    size_t cap = 0, len = 0;
    int rv = -1;
    int rc;

    *out = NULL;
    *n = 0;
    if (db_prepare(st->db, &stmt, sql, f) < 0)
        goto done;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? 2 * cap : 16;
            p = realloc(v, cap * sizeof *v);
            if (p == NULL) {
                fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
                goto done;
            }
            v = p;
        }
        memset(&v[len], 0, sizeof v[len]);
        v[len].n = (uint64_t)sqlite3_column_int64(stmt, 0);
        v[len].bytes = (uint64_t)sqlite3_column_int64(stmt, 1);
        if (sqlite3_column_bytes(stmt, 2) == 32)
            memcpy(v[len].sha256, sqlite3_column_blob(stmt, 2), 32);
        v[len].received_at = sqlite3_column_int64(stmt, 3);
        len++;
    }
    if (rc != SQLITE_DONE) {
        db_fail(st->db, rc, "list parts", f);
        goto done;
    }
    *out = v;
    *n = len;
    v = NULL;
    rv = 0;
done:
    free(v);
    db_release(stmt);
    return rv;
}

int parts_list(struct store *st, struct parts_entry **out, size_t *n,
               const uint8_t id[CATALOG_ID_LEN], struct fault *f)
{
    return parts_list_sql(st, out, n, id,
                          "SELECT n, bytes, sha256, received_at FROM "
                          "dataset_parts WHERE dataset_id = ?1 ORDER BY n",
                          f);
}

int parts_list_published(struct store *st, struct parts_entry **out,
                         size_t *n, const uint8_t id[CATALOG_ID_LEN],
                         struct fault *f)
{
    return parts_list_sql(st, out, n, id,
                          "SELECT n, bytes, sha256, 0 FROM "
                          "dataset_published_parts WHERE dataset_id = ?1 "
                          "ORDER BY n",
                          f);
}

int parts_sweep(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                int drop_all, struct fault *f)
{
    char folder[PARTS_PATH_MAX], path[PARTS_PATH_MAX + 300];
    struct parts_entry *e = NULL;
    size_t n = 0, i;
    DIR *d;
    struct dirent *de;
    uint8_t sha[32];
    struct fault ignore;
    int keep, named;

    if (parts_folder(st, folder, sizeof folder, id, 0, f) < 0)
        return -1;
    if (!drop_all && parts_list(st, &e, &n, id, f) < 0)
        return -1;
    d = opendir(folder);
    if (d == NULL) {
        free(e);
        return 0; /* nothing uploaded */
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        keep = 0;
        named = strlen(de->d_name) == 64 &&
                hex_decode(sha, sizeof sha, de->d_name, 64, "part",
                           &ignore) == 0;
        if (named && parts_pending_has(st, id, sha))
            keep = 1;
        for (i = 0; named && !keep && i < n; i++)
            if (memcmp(e[i].sha256, sha, 32) == 0)
                keep = 1;
        if (!keep && fsutil_join(path, sizeof path, folder, de->d_name) == 0)
            unlink(path);
    }
    closedir(d);
    if (drop_all && !parts_pending_has(st, id, NULL))
        rmdir(folder);
    free(e);
    return 0;
}

struct parts_stream {
    struct parts_entry *e;
    size_t n, cur;
    uint64_t got;       /* bytes of part cur fed so far */
    int bad;            /* a part already differed */
    uint64_t bad_n;
    const char *why;
    EVP_MD_CTX *md;
};

/* Close part cur (all its bytes fed): compare, move to the next. */
static void parts_stream_close_part(struct parts_stream *s)
{
    uint8_t digest[32];

    EVP_DigestFinal_ex(s->md, digest, NULL);
    if (!s->bad && memcmp(digest, s->e[s->cur].sha256, 32) != 0) {
        s->bad = 1;
        s->bad_n = s->e[s->cur].n;
        s->why = "its bytes do not hash to the recorded SHA-256";
    }
    s->cur++;
    s->got = 0;
    EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
}

/* Close the empty parts at cur: they are complete before any byte. */
static void parts_stream_skip_empty(struct parts_stream *s)
{
    while (s->cur < s->n && s->got == 0 && s->e[s->cur].bytes == 0)
        parts_stream_close_part(s);
}

int parts_stream_open(struct parts_stream **out, const struct parts_entry *e,
                      size_t n, struct fault *f)
{
    struct parts_stream *s = calloc(1, sizeof *s);

    *out = NULL;
    if (s == NULL || (n > 0 && (s->e = malloc(n * sizeof *e)) == NULL) ||
        (s->md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1) {
        parts_stream_free(s);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    if (n > 0)
        memcpy(s->e, e, n * sizeof *e);
    s->n = n;
    parts_stream_skip_empty(s);
    *out = s;
    return 0;
}

void parts_stream_feed(struct parts_stream *s, const uint8_t *buf, size_t len)
{
    uint64_t room;
    size_t take;

    while (len > 0) {
        if (s->cur >= s->n) {
            if (!s->bad) {
                s->bad = 1;
                s->bad_n = s->n;
                s->why = "the content goes on past the last part";
            }
            return;
        }
        room = s->e[s->cur].bytes - s->got;
        take = room < len ? (size_t)room : len;
        EVP_DigestUpdate(s->md, buf, take);
        s->got += take;
        buf += take;
        len -= take;
        if (s->got == s->e[s->cur].bytes) {
            parts_stream_close_part(s);
            parts_stream_skip_empty(s);
        }
    }
}

int parts_stream_end(struct parts_stream *s, uint64_t *bad, char *why,
                     size_t cap)
{
    *bad = 0;
    if (cap > 0)
        why[0] = '\0';
    if (!s->bad && s->cur < s->n) {
        s->bad = 1;
        s->bad_n = s->e[s->cur].n;
        s->why = "the content ends inside it";
    }
    if (!s->bad)
        return 0;
    *bad = s->bad_n;
    if (cap > 0)
        snprintf(why, cap, "%s", s->why);
    return 1;
}

void parts_stream_free(struct parts_stream *s)
{
    if (s == NULL)
        return;
    EVP_MD_CTX_free(s->md);
    free(s->e);
    free(s);
}

/* Hash the file at path into *size and sha256. Returns 1 when it exists,
 * 0 when it does not, -1 with f set when it cannot be read. */
static int parts_hash_file(const char *path, uint64_t *size,
                           uint8_t sha256[32], struct fault *f)
{
    uint8_t buf[65536];
    EVP_MD_CTX *md = NULL;
    ssize_t k;
    int fd, rv = -1;

    *size = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return fault_set(f, FAULT_IO, NULL, "cannot read a part file: %s",
                         strerror(errno));
    }
    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    for (;;) {
        k = read(fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            fault_set(f, FAULT_IO, NULL, "cannot read a part file: %s",
                      strerror(errno));
            goto done;
        }
        if (k == 0)
            break;
        EVP_DigestUpdate(md, buf, (size_t)k);
        *size += (uint64_t)k;
    }
    EVP_DigestFinal_ex(md, sha256, NULL);
    rv = 1;
done:
    EVP_MD_CTX_free(md);
    close(fd);
    return rv;
}

int parts_check_files(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      const struct parts_entry *e, size_t n, int need_all,
                      parts_finding_fn fn, void *arg, struct fault *f)
{
    char folder[PARTS_PATH_MAX], path[PARTS_PATH_MAX + 300];
    char idh[2 * CATALOG_ID_LEN + 1], name[2 * CATALOG_ID_LEN + 300];
    char why[96];
    uint8_t sha[32];
    uint64_t size;
    struct fault ignore;
    struct dirent *de;
    DIR *d;
    size_t i;
    int rc, named;

    if (parts_folder(st, folder, sizeof folder, id, 0, f) < 0 ||
        hex_encode(idh, sizeof idh, id, CATALOG_ID_LEN) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        if (parts_file(st, path, sizeof path, id, e[i].sha256, 0, f) < 0)
            return -1;
        snprintf(name, sizeof name, "%s/%s", idh, strrchr(path, '/') + 1);
        rc = parts_hash_file(path, &size, sha, f);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (need_all)
                fn(arg, PARTS_FILE_MISSING, e[i].n, name, "");
            continue;
        }
        if (size != e[i].bytes || memcmp(sha, e[i].sha256, 32) != 0) {
            snprintf(why, sizeof why,
                     "it holds %llu bytes (%llu recorded) that do not hash "
                     "to the recorded SHA-256",
                     (unsigned long long)size,
                     (unsigned long long)e[i].bytes);
            fn(arg, PARTS_FILE_DAMAGED, e[i].n, name, why);
        }
    }
    d = opendir(folder);
    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        named = 0;
        if (strlen(de->d_name) == 64 &&
            hex_decode(sha, sizeof sha, de->d_name, 64, "part", &ignore) == 0)
            for (i = 0; i < n && !named; i++)
                named = memcmp(e[i].sha256, sha, 32) == 0;
        if (!named) {
            snprintf(name, sizeof name, "%s/%s", idh, de->d_name);
            fn(arg, PARTS_FILE_STRAY, 0, name, "");
        }
    }
    closedir(d);
    return 0;
}

/* Set *exists to whether data-set id is in the database. */
static int parts_dataset_exists(struct store *st, int *exists,
                                const uint8_t id[CATALOG_ID_LEN],
                                struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rc, rv = -1;

    *exists = 0;
    if (db_prepare(st->db, &stmt, "SELECT 1 FROM datasets WHERE id = ?1",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    rc = db_step(st->db, stmt, "find data-set", f);
    if (rc >= 0) {
        *exists = rc == 1;
        rv = 0;
    }
    db_release(stmt);
    return rv;
}

/* Is name the folder of a data-set in the database? Sets *id to it. */
static int parts_folder_dataset(struct store *st, int *known,
                                uint8_t id[CATALOG_ID_LEN], const char *name,
                                struct fault *f)
{
    struct fault ignore;
    size_t i;

    *known = 0;
    if (strlen(name) != 2 * CATALOG_ID_LEN)
        return 0;
    for (i = 0; i < 2 * CATALOG_ID_LEN; i++)
        if (!((name[i] >= '0' && name[i] <= '9') ||
              (name[i] >= 'a' && name[i] <= 'f')))
            return 0;
    if (hex_decode(id, CATALOG_ID_LEN, name, 2 * CATALOG_ID_LEN, "id",
                   &ignore) < 0)
        return 0;
    return parts_dataset_exists(st, known, id, f);
}

int parts_check_strays(struct store *st, parts_finding_fn fn, void *arg,
                       struct fault *f)
{
    char up[PARTS_PATH_MAX], path[PARTS_PATH_MAX + 300];
    uint8_t id[CATALOG_ID_LEN];
    struct dirent *de;
    struct stat sb;
    DIR *d;
    int known, rv = -1;

    if (fsutil_join(up, sizeof up, st->dir, "uploads") < 0)
        return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
    d = opendir(up);
    if (d == NULL)
        return 0; /* nothing was ever uploaded */
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (parts_folder_dataset(st, &known, id, de->d_name, f) < 0)
            goto done;
        if (known && fsutil_join(path, sizeof path, up, de->d_name) == 0 &&
            lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            continue;
        fn(arg, PARTS_FILE_STRAY, 0, de->d_name, "");
    }
    rv = 0;
done:
    closedir(d);
    return rv;
}

/* Data-set id's state: *exists, and *published. */
static int parts_dataset_state(struct store *st, int *exists, int *published,
                               const uint8_t id[CATALOG_ID_LEN],
                               struct fault *f)
{
    sqlite3_stmt *stmt = NULL;
    int rc;

    *exists = *published = 0;
    if (db_prepare(st->db, &stmt,
                   "SELECT state = 'published' FROM datasets WHERE id = ?1",
                   f) < 0)
        return -1;
    sqlite3_bind_blob(stmt, 1, id, CATALOG_ID_LEN, SQLITE_STATIC);
    rc = db_step(st->db, stmt, "read a data-set's state", f);
    if (rc == 1) {
        *exists = 1;
        *published = sqlite3_column_int(stmt, 0) != 0;
    }
    db_release(stmt);
    return rc < 0 ? -1 : 0;
}

/* Remove the entry path of uploads/: a file, or a folder and the files
 * in it (a folder holds no folders). Counts what went into rec. */
static void parts_remove_entry(const char *path, struct parts_recovery *rec)
{
    char sub[PARTS_PATH_MAX + 300];
    struct dirent *de;
    struct stat sb;
    DIR *d;

    if (lstat(path, &sb) < 0)
        return;
    if (!S_ISDIR(sb.st_mode)) {
        if (unlink(path) == 0)
            rec->files++;
        return;
    }
    d = opendir(path);
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (fsutil_join(sub, sizeof sub, path, de->d_name) == 0 &&
                unlink(sub) == 0)
                rec->files++;
        }
        closedir(d);
    }
    if (rmdir(path) == 0)
        rec->folders++;
    else
        log_warn("cannot remove %s: %s", path, strerror(errno));
}

/* Remove the files of data-set id's folder that no row names. */
static int parts_recover_folder(struct store *st, const char *folder,
                                const uint8_t id[CATALOG_ID_LEN],
                                struct parts_recovery *rec, struct fault *f)
{
    char path[PARTS_PATH_MAX + 300];
    struct parts_entry *e = NULL;
    struct fault ignore;
    struct dirent *de;
    uint8_t sha[32];
    size_t n = 0, i;
    DIR *d;
    int keep;

    if (parts_list(st, &e, &n, id, f) < 0)
        return -1;
    d = opendir(folder);
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            keep = 0;
            if (strlen(de->d_name) == 64 &&
                hex_decode(sha, sizeof sha, de->d_name, 64, "part",
                           &ignore) == 0)
                for (i = 0; i < n && !keep; i++)
                    keep = memcmp(e[i].sha256, sha, 32) == 0;
            if (!keep && fsutil_join(path, sizeof path, folder, de->d_name) == 0)
                parts_remove_entry(path, rec);
        }
        closedir(d);
    }
    if (n == 0 && rmdir(folder) == 0)
        rec->folders++;
    free(e);
    return 0;
}

int parts_recover(struct store *st, struct parts_recovery *rec,
                  struct fault *f)
{
    char up[PARTS_PATH_MAX], path[PARTS_PATH_MAX + 300];
    struct parts_recovery scratch;
    uint8_t id[CATALOG_ID_LEN];
    struct dirent *de;
    struct stat sb;
    DIR *d;
    int known, exists, published, rv = -1;

    if (rec == NULL)
        rec = &scratch;
    memset(rec, 0, sizeof *rec);
    if (fsutil_join(up, sizeof up, st->dir, "uploads") < 0)
        return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
    d = opendir(up);
    if (d == NULL)
        return 0; /* nothing was ever uploaded */
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fsutil_join(path, sizeof path, up, de->d_name) < 0)
            continue;
        if (parts_folder_dataset(st, &known, id, de->d_name, f) < 0 ||
            (known &&
             parts_dataset_state(st, &exists, &published, id, f) < 0))
            goto done;
        if (!known || !exists || published || lstat(path, &sb) < 0 ||
            !S_ISDIR(sb.st_mode)) {
            /* Not a folder of a data-set that is still being made. */
            parts_remove_entry(path, rec);
            continue;
        }
        if (parts_recover_folder(st, path, id, rec, f) < 0)
            goto done;
    }
    rv = 0;
done:
    closedir(d);
    return rv;
}

struct parts_reader {
    struct store *st;
    uint8_t id[CATALOG_ID_LEN];
    struct parts_entry *e;
    size_t n, cur;
    int fd;
    uint64_t got;       /* bytes of the current part read so far */
    EVP_MD_CTX *md;
};

int parts_reader_open(struct parts_reader **out, struct store *st,
                      const uint8_t id[CATALOG_ID_LEN],
                      const struct parts_entry *e, size_t n, struct fault *f)
{
    struct parts_reader *r;
    size_t i;

    *out = NULL;
    for (i = 0; i < n; i++)
        if (e[i].n != i + 1)
            return fault_set(f, FAULT_CONFLICT, "parts",
                             "part %zu is missing: parts must be 1 to %zu "
                             "with no gap", i + 1, n);
    r = calloc(1, sizeof *r);
    if (r == NULL || (n > 0 && (r->e = malloc(n * sizeof *e)) == NULL) ||
        (r->md = EVP_MD_CTX_new()) == NULL) {
        parts_reader_close(r);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    if (n > 0)
        memcpy(r->e, e, n * sizeof *e);
    r->st = st;
    memcpy(r->id, id, CATALOG_ID_LEN);
    r->n = n;
    r->fd = -1;
    *out = r;
    return 0;
}

void parts_reader_close(struct parts_reader *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    EVP_MD_CTX_free(r->md);
    free(r->e);
    free(r);
}

int parts_reader_read(void *arg, uint8_t *buf, size_t cap, size_t *got,
                      struct fault *f)
{
    struct parts_reader *r = arg;
    char path[PARTS_PATH_MAX];
    uint8_t digest[32];
    ssize_t k;

    *got = 0;
    while (r->cur < r->n) {
        const struct parts_entry *e = &r->e[r->cur];
        if (r->fd < 0) {
            if (parts_file(r->st, path, sizeof path, r->id, e->sha256, 0,
                           f) < 0)
                return -1;
            r->fd = open(path, O_RDONLY | O_CLOEXEC);
            if (r->fd < 0)
                return fault_set(f, FAULT_CORRUPT, "parts",
                                 "part %llu is missing from disk",
                                 (unsigned long long)e->n);
            r->got = 0;
            EVP_DigestInit_ex(r->md, EVP_sha256(), NULL);
        }
        k = read(r->fd, buf, cap);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return fault_set(f, FAULT_IO, "parts", "reading part %llu "
                                                   "failed: %s",
                             (unsigned long long)e->n, strerror(errno));
        }
        if (k > 0) {
            r->got += (uint64_t)k;
            EVP_DigestUpdate(r->md, buf, (size_t)k);
            if (r->got > e->bytes)
                return fault_set(f, FAULT_CORRUPT, "parts",
                                 "part %llu is longer on disk than recorded",
                                 (unsigned long long)e->n);
            *got = (size_t)k;
            return 0;
        }
        /* End of this part: it must be exactly what was uploaded. */
        EVP_DigestFinal_ex(r->md, digest, NULL);
        if (r->got != e->bytes || memcmp(digest, e->sha256, 32) != 0)
            return fault_set(f, FAULT_CORRUPT, "parts",
                             "part %llu on disk differs from what was "
                             "uploaded", (unsigned long long)e->n);
        close(r->fd);
        r->fd = -1;
        r->cur++;
    }
    return 0;
}
