#include "client/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/keyfile.h"

struct outfile {
    FILE *fp;
    char path[KEYFILE_PATH_MAX];
    char part[KEYFILE_PATH_MAX + 8]; /* "" for standard output */
    size_t unsynced;                 /* written since the last request */
    /* The syncer: asked (wanted > done) to make the file durable so far. */
    pthread_t tid;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned long wanted, done;
    int stop;
    int sync_errno; /* the first failure of fdatasync, or 0 */
};

static void *outfile_syncer(void *arg)
{
    struct outfile *o = arg;
    unsigned long want;
    int fd = fileno(o->fp), err;

    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (!o->stop && o->done == o->wanted)
            pthread_cond_wait(&o->cv, &o->mu);
        if (o->stop)
            break;
        want = o->wanted;
        pthread_mutex_unlock(&o->mu);
        /* Write out what is there, then have the device keep it. */
        (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        err = fdatasync(fd) < 0 ? errno : 0;
        pthread_mutex_lock(&o->mu);
        if (err != 0 && o->sync_errno == 0)
            o->sync_errno = err;
        o->done = want;
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

int outfile_open(struct outfile **out, const char *path, struct fault *f)
{
    struct outfile *o;

    *out = NULL;
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
            (int)sizeof o->part) {
        free(o);
        return fault_set(f, FAULT_INVALID, "-o", "the output path is too "
                                                 "long");
    }
    o->fp = fopen(o->part, "wb");
    if (o->fp == NULL) {
        fault_set(f, FAULT_IO, "-o", "cannot write %s: %s", o->part,
                  strerror(errno));
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

int outfile_write(struct outfile *o, const void *p, size_t n,
                  struct fault *f)
{
    if (n > 0 && fwrite(p, 1, n, o->fp) != n)
        return outfile_failed(o, errno, f);
    o->unsynced += n;
    if (o->started && o->unsynced >= OUTFILE_SYNC_BYTES) {
        if (fflush(o->fp) != 0)
            return outfile_failed(o, errno, f);
        o->unsynced = 0;
        pthread_mutex_lock(&o->mu);
        o->wanted++;
        pthread_cond_signal(&o->cv);
        pthread_mutex_unlock(&o->mu);
    }
    return 0;
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
    if (outfile_stop_syncer(o) != 0 && err == 0)
        err = o->sync_errno;
    if (err == 0 && fsync(fileno(o->fp)) < 0)
        err = errno;
    if (fclose(o->fp) != 0 && err == 0)
        err = errno;
    o->fp = NULL;
    if (err != 0) {
        outfile_failed(o, err, f);
        unlink(o->part);
        outfile_free(o);
        return -1;
    }
    if (rename(o->part, o->path) < 0) {
        fault_set(f, FAULT_IO, "-o", "cannot rename %s to %s: %s", o->part,
                  o->path, strerror(errno));
        unlink(o->part);
        outfile_free(o);
        return -1;
    }
    outfile_free(o);
    return 0;
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
    }
    outfile_free(o);
}
