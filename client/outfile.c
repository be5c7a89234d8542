#include "client/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "client/keyfile.h"

struct outfile {
    FILE *fp;
    char path[KEYFILE_PATH_MAX];
    char part[KEYFILE_PATH_MAX + 8]; /* "" for standard output */
    char mark_path[KEYFILE_PATH_MAX + 8]; /* "" for none */
    char abs_part[2 * KEYFILE_PATH_MAX + 16]; /* part, from the root */
    size_t buffered;                 /* outfile_write'n, not yet counted */
    size_t unsynced;                 /* counted since the last request */
    uint64_t written;                /* bytes of the file so far */
    struct outfile_mark mark;        /* the last one; chunks 0: none */
    /* The syncer: asked (wanted > done) to make the file durable so far,
     * and then to record want_mark (whose bytes were flushed by then). */
    pthread_t tid;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned long wanted, done;
    struct outfile_mark want_mark;
    int stop;
    int drop_mark;  /* on stop: remove the mark file (the commit) */
    int sync_errno; /* the first failure of fdatasync, or 0 */
};

/* Record m in the mark file: written aside and renamed over it, so that a
 * reader finds the old mark or the new one. Not synced: a mark lost with
 * the machine only means starting over. Returns 0 or -1. */
static int outfile_put_mark(const struct outfile *o,
                            const struct outfile_mark *m)
{
    char tmp[sizeof o->mark_path + 8];
    json_t *doc;
    int rv = -1;

    if (snprintf(tmp, sizeof tmp, "%s.tmp", o->mark_path) >= (int)sizeof tmp)
        return -1;
    doc = json_pack("{s:s, s:I, s:I, s:I, s:I}", "part", o->abs_part,
                    "bytes", (json_int_t)m->bytes, "chunks",
                    (json_int_t)m->chunks, "rows", (json_int_t)m->rows,
                    "row_bytes", (json_int_t)m->row_bytes);
    if (doc != NULL && json_dump_file(doc, tmp, JSON_COMPACT) == 0 &&
        rename(tmp, o->mark_path) == 0)
        rv = 0;
    else
        unlink(tmp);
    json_decref(doc);
    return rv;
}

/* Read the mark file into *m when it holds a mark for this FILE.part
 * that the file still holds. Returns 1, or 0 (then *m is zeroed). */
static int outfile_get_mark(const struct outfile *o, struct outfile_mark *m)
{
    json_t *doc = json_load_file(o->mark_path, 0, NULL);
    json_int_t v[4];
    const char *part = NULL;
    struct stat st;
    int ok;

    memset(m, 0, sizeof *m);
    ok = doc != NULL &&
         json_unpack(doc, "{s:s, s:I, s:I, s:I, s:I}", "part", &part,
                     "bytes", &v[0], "chunks", &v[1], "rows", &v[2],
                     "row_bytes", &v[3]) == 0 &&
         strcmp(part, o->abs_part) == 0 && v[0] > 0 && v[1] > 0 &&
         v[2] >= 0 && v[3] >= 0 && stat(o->part, &st) == 0 &&
         S_ISREG(st.st_mode) && (uint64_t)st.st_size >= (uint64_t)v[0];
    if (ok) {
        m->bytes = (uint64_t)v[0];
        m->chunks = (uint64_t)v[1];
        m->rows = (uint64_t)v[2];
        m->row_bytes = (uint64_t)v[3];
    }
    json_decref(doc);
    return ok;
}

static void *outfile_syncer(void *arg)
{
    struct outfile *o = arg;
    struct outfile_mark m, put;
    unsigned long want;
    int fd = fileno(o->fp), err;

    memset(&put, 0, sizeof put);
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (!o->stop && o->done == o->wanted)
            pthread_cond_wait(&o->cv, &o->mu);
        if (o->stop) {
            /* The commit's fsync runs meanwhile; the mark can go
             * first (a cut now would only start over). */
            if (o->drop_mark && o->mark_path[0] != '\0')
                unlink(o->mark_path);
            break;
        }
        want = o->wanted;
        m = o->want_mark;
        pthread_mutex_unlock(&o->mu);
        /* Write out what is there, then have the device keep it. */
        (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        err = fdatasync(fd) < 0 ? errno : 0;
        /* The mark's bytes were flushed before the request: now they
         * are durable, and a kill from here on can continue after it. */
        if (err == 0 && o->mark_path[0] != '\0' && m.chunks > put.chunks &&
            outfile_put_mark(o, &m) == 0)
            put = m;
        pthread_mutex_lock(&o->mu);
        if (err != 0 && o->sync_errno == 0)
            o->sync_errno = err;
        o->done = want;
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

/* Fill o->abs_part: FILE.part's path from the root, as the mark names it
 * (a later run may start in another folder). Returns 0 or -1. */
static int outfile_abs_part(struct outfile *o)
{
    char cwd[KEYFILE_PATH_MAX];

    if (o->part[0] == '/')
        return snprintf(o->abs_part, sizeof o->abs_part, "%s", o->part) <
                       (int)sizeof o->abs_part
                   ? 0
                   : -1;
    if (getcwd(cwd, sizeof cwd) == NULL)
        return -1;
    return snprintf(o->abs_part, sizeof o->abs_part, "%s/%s", cwd,
                    o->part) < (int)sizeof o->abs_part
               ? 0
               : -1;
}

/* Open FILE.part: continued from the mark file's mark when there is one
 * for it (*at set), else empty (*at zeroed). */
static int outfile_open_part(struct outfile *o, struct outfile_mark *at,
                             struct fault *f)
{
    if (o->mark_path[0] != '\0' && outfile_get_mark(o, at)) {
        o->fp = fopen(o->part, "r+b");
        if (o->fp != NULL &&
            (ftruncate(fileno(o->fp), (off_t)at->bytes) < 0 ||
             fseeko(o->fp, 0, SEEK_END) < 0)) {
            fault_set(f, FAULT_IO, "-o", "cannot cut %s back to %llu bytes: "
                                         "%s",
                      o->part, (unsigned long long)at->bytes,
                      strerror(errno));
            fclose(o->fp);
            o->fp = NULL;
            memset(at, 0, sizeof *at);
            return -1;
        }
        if (o->fp != NULL) {
            o->written = at->bytes;
            o->mark = *at;
            return 0;
        }
    }
    memset(at, 0, sizeof *at);
    o->fp = fopen(o->part, "wb");
    if (o->fp == NULL)
        return fault_set(f, FAULT_IO, "-o", "cannot write %s: %s", o->part,
                         strerror(errno));
    return 0;
}

int outfile_open(struct outfile **out, const char *path,
                 const char *mark_path, struct outfile_mark *at,
                 struct fault *f)
{
    struct outfile *o;

    *out = NULL;
    memset(at, 0, sizeof *at);
    o = calloc(1, sizeof *o);
    if (o == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (path == NULL || strcmp(path, "-") == 0) {
        o->fp = stdout;
        *out = o;
        return 0;
    }
    if (snprintf(o->path, sizeof o->path, "%s", path) >=
            (int)sizeof o->path ||
        snprintf(o->part, sizeof o->part, "%s.part", path) >=
            (int)sizeof o->part ||
        (mark_path != NULL &&
         (snprintf(o->mark_path, sizeof o->mark_path, "%s", mark_path) >=
              (int)sizeof o->mark_path ||
          outfile_abs_part(o) < 0))) {
        free(o);
        return fault_set(f, FAULT_INVALID, "-o", "the output path is too "
                                                 "long");
    }
    if (outfile_open_part(o, at, f) < 0) {
        free(o);
        return -1;
    }
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    /* Without the thread the file is still made durable, at the end. */
    o->started = pthread_create(&o->tid, NULL, outfile_syncer, o) == 0;
    *out = o;
    return 0;
}

uint64_t outfile_size(const struct outfile *o)
{
    return o->written;
}

const char *outfile_name(const struct outfile *o)
{
    return o->part[0] != '\0' ? o->path : "stdout";
}

static int outfile_failed(struct outfile *o, int err, struct fault *f)
{
    return fault_set(f, FAULT_IO, "-o", "cannot write the rows to %s: %s",
                     o->part[0] != '\0' ? o->part : "stdout",
                     strerror(err));
}

/* Count n bytes written; ask the syncer to run every sync step. */
static void outfile_count(struct outfile *o, size_t n)
{
    pthread_mutex_lock(&o->mu);
    o->unsynced += n;
    if (o->unsynced >= OUTFILE_SYNC_BYTES) {
        o->unsynced = 0;
        o->wanted++;
        o->want_mark = o->mark;
        pthread_cond_signal(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
}

int outfile_write(struct outfile *o, const void *p, size_t n,
                  struct fault *f)
{
    if (n > 0 && fwrite(p, 1, n, o->fp) != n)
        return outfile_failed(o, errno, f);
    o->written += n;
    o->buffered += n;
    /* What stdio holds goes to the kernel before the syncer counts it. */
    if (o->started && o->buffered >= OUTFILE_SYNC_BYTES) {
        if (fflush(o->fp) != 0)
            return outfile_failed(o, errno, f);
        outfile_count(o, o->buffered);
        o->buffered = 0;
    }
    return 0;
}

int outfile_flush(struct outfile *o, struct fault *f)
{
    if (fflush(o->fp) != 0)
        return outfile_failed(o, errno, f);
    return 0;
}

int outfile_pwrite(struct outfile *o, uint64_t off, const void *p,
                   size_t n, struct fault *f)
{
    const uint8_t *b = p;
    size_t done = 0;
    ssize_t r;

    if (o->part[0] == '\0')
        return fault_set(f, FAULT_INTERNAL, "-o",
                         "standard output has no places to write at");
    while (done < n) {
        r = pwrite(fileno(o->fp), b + done, n - done,
                   (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return outfile_failed(o, r < 0 ? errno : EIO, f);
        done += (size_t)r;
    }
    if (o->started)
        outfile_count(o, n);
    return 0;
}

int outfile_sync_now(struct outfile *o, struct fault *f)
{
    if (fflush(o->fp) != 0)
        return outfile_failed(o, errno, f);
    if (!o->started)
        return 0;
    outfile_count(o, o->buffered);
    o->buffered = 0;
    pthread_mutex_lock(&o->mu);
    o->unsynced = 0;
    o->wanted++;
    o->want_mark = o->mark;
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

void outfile_mark(struct outfile *o, const struct outfile_mark *m)
{
    struct outfile_mark at = *m;

    at.bytes = o->written;
    outfile_mark_at(o, &at);
}

void outfile_mark_at(struct outfile *o, const struct outfile_mark *m)
{
    if (o->part[0] == '\0')
        return;
    pthread_mutex_lock(&o->mu);
    o->mark = *m;
    pthread_mutex_unlock(&o->mu);
}

/* Stop the syncer; returns the first error it met, or 0. */
static int outfile_stop_syncer(struct outfile *o)
{
    int err;

    if (!o->started)
        return 0;
    pthread_mutex_lock(&o->mu);
    o->stop = 1;
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->tid, NULL);
    o->started = 0;
    err = o->sync_errno;
    return err;
}

static void outfile_free(struct outfile *o)
{
    if (o->part[0] != '\0') {
        pthread_cond_destroy(&o->cv);
        pthread_mutex_destroy(&o->mu);
    }
    free(o);
}

int outfile_commit(struct outfile *o, struct fault *f)
{
    int err;

    if (o->part[0] == '\0') {
        err = fflush(o->fp) != 0 ? errno : 0;
        if (err != 0)
            outfile_failed(o, err, f);
        outfile_free(o);
        return err != 0 ? -1 : 0;
    }
    err = fflush(o->fp) != 0 ? errno : 0;
    /* The syncer stops (removing the mark file) while the fsync runs. */
    if (o->started) {
        pthread_mutex_lock(&o->mu);
        o->stop = 1;
        o->drop_mark = 1;
        pthread_cond_signal(&o->cv);
        pthread_mutex_unlock(&o->mu);
    } else if (o->mark_path[0] != '\0') {
        unlink(o->mark_path);
    }
    if (err == 0 && fsync(fileno(o->fp)) < 0)
        err = errno;
    if (outfile_stop_syncer(o) != 0 && err == 0)
        err = o->sync_errno;
    if (fclose(o->fp) != 0 && err == 0)
        err = errno;
    o->fp = NULL;
    if (err != 0) {
        outfile_failed(o, err, f);
        goto fail;
    }
    if (rename(o->part, o->path) < 0) {
        fault_set(f, FAULT_IO, "-o", "cannot rename %s to %s: %s", o->part,
                  o->path, strerror(errno));
        goto fail;
    }
    outfile_free(o);
    return 0;
fail:
    outfile_abort(o);
    return -1;
}

int outfile_suspend(struct outfile *o)
{
    int err;

    if (o == NULL)
        return 0;
    if (o->part[0] == '\0' || o->mark_path[0] == '\0' ||
        o->mark.chunks == 0) {
        outfile_abort(o);
        return 0;
    }
    err = fflush(o->fp) != 0 ? errno : 0;
    if (outfile_stop_syncer(o) != 0 && err == 0)
        err = o->sync_errno;
    if (err == 0 && fdatasync(fileno(o->fp)) < 0)
        err = errno;
    if (err != 0 || outfile_put_mark(o, &o->mark) < 0) {
        outfile_abort(o);
        return 0;
    }
    fclose(o->fp);
    outfile_free(o);
    return 1;
}

void outfile_abort(struct outfile *o)
{
    if (o == NULL)
        return;
    if (o->part[0] != '\0') {
        (void)outfile_stop_syncer(o);
        if (o->fp != NULL)
            fclose(o->fp);
        unlink(o->part);
        if (o->mark_path[0] != '\0')
            unlink(o->mark_path);
    }
    outfile_free(o);
}
