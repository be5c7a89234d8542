#include "storage/ingest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "storage/chunkobj.h"
#include "storage/dskey.h"
#include "storage/mapfile.h"

/* Chunks per transaction: few enough that a writer waits little, many
 * enough that fsync of the WAL is not the bottleneck. */
#define INGEST_BATCH 16
/* A mapped input is shown to the splitter this much at a time, so that
 * chunks go to the workers as they are cut. */
#define INGEST_STEP ((size_t)256 * 1024)

enum ingest_job_state { JOB_EMPTY, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct ingest_job {
    enum ingest_job_state state;
    struct splitter_chunk *chunk; /* data freed by the worker once sealed */
    size_t plain_len;
    char object_id[OBJSTORE_ID_SIZE];
    size_t stored_len;
    int failed;
    struct fault fault;
};

/* A chunk recorded in order whose row waits until its object's name is
 * durable. */
struct ingest_row {
    struct catalog_chunk cc;
    struct splitter_colstat *cols; /* taken over from the chunk */
    size_t ncols;
};

/* A batch of such rows. */
struct ingest_rows {
    struct ingest_row v[INGEST_BATCH];
    size_t n;
    uint64_t consumed; /* input bytes consumed when the batch closed */
};

struct ingest {
    struct store *st;
    struct catalog_dataset d;
    uint8_t dk[DSKEY_LEN];

    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* a job was queued, or stop */
    pthread_cond_t done_cv; /* a job finished */
    pthread_t *threads;
    unsigned nthreads;      /* 0: inline */
    int stop;
    struct ingest_job *ring;
    size_t depth;
    uint64_t head;          /* oldest job not yet recorded */
    uint64_t pick;          /* next job a worker takes */
    uint64_t tail;          /* next free slot */
    struct chunkobj_sealer *sealer; /* inline mode's */

    /* Recording, on the calling thread only. A batch of rows fills (cur)
     * while the objects of the one before (prev) are made durable by the
     * flusher thread; prev's rows are committed once they are, so that
     * the calling thread never waits for the disk in between. */
    int in_tx;
    struct ingest_rows cur, prev;
    struct objstore_batch *objects; /* staged by the workers */
    struct catalog_chunk_writer *rows;
    EVP_MD_CTX *root;
    struct ingest_result res;
    uint64_t consumed;
    const struct ingest_options *opt;
    int sweep; /* an object could not be removed: sweep at next start */
    struct splitter *sp; /* recording thread only */
    struct mapfile *map; /* the input when it is mapped, else NULL */
    const uint8_t *map_data;

    /* The flusher: objstore_flush on request, off the calling thread. */
    pthread_t flusher;
    int flusher_on;
    pthread_mutex_t fmu;
    pthread_cond_t fcv;
    int fl_req, fl_busy, fl_stop, fl_failed;
    struct fault fl_fault;
};

int ingest_read_fd(void *arg, uint8_t *buf, size_t cap, size_t *got,
                   struct fault *f)
{
    int fd = *(int *)arg;
    ssize_t n;

    for (;;) {
        n = read(fd, buf, cap);
        if (n >= 0)
            break;
        if (errno != EINTR) {
            *got = 0;
            return fault_set(f, FAULT_IO, "file", "reading the input failed: "
                                                  "%s", strerror(errno));
        }
    }
    *got = (size_t)n;
    return 0;
}

/* Seal one chunk and write its object. Runs on a worker thread (or the
 * caller's when inline) with that thread's own sealer; touches only the
 * job and read-only state. */
static void ingest_process(struct ingest *in, struct chunkobj_sealer *sealer,
                           struct ingest_job *job)
{
    struct splitter_chunk *c = job->chunk;
    const uint8_t *obj;
    size_t obj_len = 0;
    uint8_t ck[32];

    fault_clear(&job->fault);
    job->plain_len = c->len;
    if (sealer == NULL) {
        fault_set(&job->fault, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    /* Named and made durable by the flusher before its row is committed
     * (ingest_rotate), or by the last commit. */
    if (dskey_chunk_key(ck, in->dk, in->d.id, c->index, &job->fault) < 0 ||
        chunkobj_sealer_seal(sealer, &obj, &obj_len, ck, in->d.id, c->index,
                             c->data, c->len, NULL, &job->fault) < 0 ||
        objstore_stage(in->objects, job->object_id, obj, obj_len,
                       &job->fault) < 0)
        goto done;
    job->stored_len = obj_len;
done:
    job->failed = job->fault.kind != FAULT_NONE;
    secret_wipe(ck, sizeof ck);
}

static void *ingest_worker(void *arg)
{
    struct ingest *in = arg;
    struct chunkobj_sealer *sealer = NULL;
    struct ingest_job *job;
    struct fault f;

    /* A failure here shows as each job's fault (sealer NULL). */
    if (chunkobj_sealer_new(&sealer, in->d.zlib_level, &f) < 0)
        log_error("ingest worker: %s", f.detail);
    pthread_mutex_lock(&in->mu);
    for (;;) {
        while (!in->stop && in->pick == in->tail)
            pthread_cond_wait(&in->work_cv, &in->mu);
        if (in->stop)
            break;
        job = &in->ring[in->pick++ % in->depth];
        job->state = JOB_RUNNING;
        pthread_mutex_unlock(&in->mu);
        ingest_process(in, sealer, job);
        pthread_mutex_lock(&in->mu);
        job->state = JOB_DONE;
        pthread_cond_broadcast(&in->done_cv);
    }
    pthread_mutex_unlock(&in->mu);
    chunkobj_sealer_free(sealer);
    return NULL;
}

static void *ingest_flusher(void *arg)
{
    struct ingest *in = arg;
    struct fault ff;
    int rc;

    pthread_mutex_lock(&in->fmu);
    for (;;) {
        while (!in->fl_req && !in->fl_stop)
            pthread_cond_wait(&in->fcv, &in->fmu);
        if (!in->fl_req)
            break;
        in->fl_req = 0;
        pthread_mutex_unlock(&in->fmu);
        fault_clear(&ff);
        rc = objstore_flush(in->objects, &ff);
        pthread_mutex_lock(&in->fmu);
        if (rc < 0 && !in->fl_failed) {
            in->fl_failed = 1;
            in->fl_fault = ff;
        }
        in->fl_busy = 0;
        pthread_cond_broadcast(&in->fcv);
    }
    pthread_mutex_unlock(&in->fmu);
    return NULL;
}

/* Have the flusher make every object staged so far durable. */
static void ingest_flush_start(struct ingest *in)
{
    pthread_mutex_lock(&in->fmu);
    in->fl_req = 1;
    in->fl_busy = 1;
    pthread_cond_signal(&in->fcv);
    pthread_mutex_unlock(&in->fmu);
}

/* Wait until the flusher is idle. Returns 0, or -1 with f set when a
 * flush failed. */
static int ingest_flush_wait(struct ingest *in, struct fault *f)
{
    int rv = 0;

    pthread_mutex_lock(&in->fmu);
    while (in->fl_busy)
        pthread_cond_wait(&in->fcv, &in->fmu);
    if (in->fl_failed) {
        *f = in->fl_fault;
        rv = -1;
    }
    pthread_mutex_unlock(&in->fmu);
    return rv;
}

static void ingest_stop_flusher(struct ingest *in)
{
    if (!in->flusher_on)
        return;
    pthread_mutex_lock(&in->fmu);
    while (in->fl_busy)
        pthread_cond_wait(&in->fcv, &in->fmu);
    in->fl_stop = 1;
    pthread_cond_broadcast(&in->fcv);
    pthread_mutex_unlock(&in->fmu);
    pthread_join(in->flusher, NULL);
    in->flusher_on = 0;
}

static void ingest_cols_free(struct splitter_colstat *cols, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(cols[i].num.min);
        free(cols[i].num.max);
        free(cols[i].text.min);
        free(cols[i].text.max);
    }
    free(cols);
}

static void ingest_rows_clear(struct ingest_rows *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        ingest_cols_free(r->v[i].cols, r->v[i].ncols);
    r->n = 0;
}

static int ingest_rows_put(struct ingest *in, const struct ingest_rows *r,
                           struct fault *f)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        if (catalog_chunk_writer_put(in->rows, in->d.id, &r->v[i].cc,
                                     r->v[i].cols, r->v[i].ncols, f) < 0)
            return -1;
    return 0;
}

/* Commit the open transaction, with the progress at consumed. */
static int ingest_commit(struct ingest *in, uint64_t consumed,
                         struct fault *f)
{
    if (catalog_set_progress(in->st, in->d.id, consumed,
                             in->opt->total_bytes, f) < 0 ||
        store_commit(in->st, f) < 0) {
        /* The rolled-back rows named objects that nothing names now. */
        store_rollback(in->st);
        in->in_tx = 0;
        return -1;
    }
    in->in_tx = 0;
    if (in->opt->progress)
        in->opt->progress(in->opt->progress_arg, consumed,
                          in->opt->total_bytes);
    return 0;
}

/* cur is full: commit prev's rows once its objects are durable (the
 * objects' names before the rows that name them), then hand cur's objects
 * to the flusher and start a new batch. */
static int ingest_rotate(struct ingest *in, struct fault *f)
{
    if (ingest_flush_wait(in, f) < 0)
        return -1;
    if (in->prev.n > 0) {
        if (store_begin(in->st, f) < 0)
            return -1;
        in->in_tx = 1;
        if (ingest_rows_put(in, &in->prev, f) < 0) {
            store_rollback(in->st);
            in->in_tx = 0;
            return -1;
        }
        if (ingest_commit(in, in->prev.consumed, f) < 0)
            return -1;
        ingest_rows_clear(&in->prev);
    }
    in->prev = in->cur;
    in->prev.consumed = in->consumed;
    in->cur.n = 0;
    ingest_flush_start(in);
    return 0;
}

/* Wait for the oldest job, then record its chunk. */
static int ingest_record_oldest(struct ingest *in, struct fault *f)
{
    struct ingest_job *job = &in->ring[in->head % in->depth];
    struct splitter_chunk *c;
    struct catalog_chunk cc;
    uint8_t digest[32];
    int rv = -1;

    if (in->nthreads > 0) {
        pthread_mutex_lock(&in->mu);
        while (job->state != JOB_DONE)
            pthread_cond_wait(&in->done_cv, &in->mu);
        pthread_mutex_unlock(&in->mu);
    }
    c = job->chunk;
    if (job->failed) {
        *f = job->fault;
        goto done;
    }
    memset(&cc, 0, sizeof cc);
    cc.index = c->index;
    memcpy(cc.object_id, job->object_id, sizeof cc.object_id);
    cc.has_rows = in->d.format != SPLITTER_BLOB;
    cc.first_row = c->first_row;
    cc.rows = c->rows;
    cc.plain_bytes = job->plain_len;
    cc.stored_bytes = job->stored_len;
    /* The row waits for its object's name; the chunk's index goes with
     * it (the chunk itself is recycled now). */
    in->cur.v[in->cur.n].cc = cc;
    in->cur.v[in->cur.n].cols = c->cols;
    in->cur.v[in->cur.n].ncols = c->ncols;
    in->cur.n++;
    c->cols = NULL;
    c->ncols = 0;
    if (hex_decode(digest, sizeof digest, job->object_id, OBJSTORE_ID_LEN,
                   "object_id", f) < 0 ||
        EVP_DigestUpdate(in->root, digest, sizeof digest) != 1) {
        fault_set(f, FAULT_INTERNAL, NULL, "content root hashing failed");
        goto done;
    }
    in->res.chunk_count++;
    in->res.rows += c->rows;
    in->res.plain_bytes += job->plain_len;
    in->res.stored_bytes += job->stored_len;
    if (in->cur.n == INGEST_BATCH && ingest_rotate(in, f) < 0)
        goto done;
    rv = 0;
done:
    /* Chunks are recorded in input order: no chunk needs the mapped
     * pages before this one's end any more. */
    if (in->map != NULL && c != NULL && c->data != NULL)
        mapfile_release(in->map, (size_t)(c->data + c->len - in->map_data));
    /* Its buffer builds a later chunk: no allocation, no fresh pages. */
    splitter_recycle(in->sp, c);
    job->chunk = NULL;
    job->state = JOB_EMPTY;
    in->head++;
    return rv;
}

static int ingest_submit(struct ingest *in, struct splitter_chunk *c,
                         struct fault *f)
{
    struct ingest_job *job;

    if (in->tail - in->head == in->depth &&
        ingest_record_oldest(in, f) < 0) {
        splitter_chunk_free(c);
        return -1;
    }
    job = &in->ring[in->tail % in->depth];
    memset(job, 0, sizeof *job);
    job->chunk = c;
    if (in->nthreads == 0) {
        in->tail++;
        ingest_process(in, in->sealer, job);
        job->state = JOB_DONE;
        return ingest_record_oldest(in, f);
    }
    pthread_mutex_lock(&in->mu);
    job->state = JOB_QUEUED;
    in->tail++;
    pthread_cond_signal(&in->work_cv);
    pthread_mutex_unlock(&in->mu);
    return 0;
}

static int ingest_take_chunks(struct ingest *in, struct splitter *sp,
                              struct fault *f)
{
    struct splitter_chunk *c;

    while ((c = splitter_next(sp)) != NULL)
        if (ingest_submit(in, c, f) < 0)
            return -1;
    return 0;
}

static int ingest_start_workers(struct ingest *in, unsigned threads,
                                struct fault *f)
{
    long cpus;
    unsigned i;

    if (threads == 0) {
        cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (unsigned)cpus : 1;
    }
    in->depth = threads == 1 ? 1 : 2 * (size_t)threads;
    in->ring = calloc(in->depth, sizeof *in->ring);
    if (in->ring == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (threads == 1)
        return chunkobj_sealer_new(&in->sealer, in->d.zlib_level, f);
    in->threads = calloc(threads, sizeof *in->threads);
    if (in->threads == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    for (i = 0; i < threads; i++) {
        if (pthread_create(&in->threads[i], NULL, ingest_worker, in) != 0) {
            log_error("pthread_create: %s", strerror(errno));
            fault_set(f, FAULT_INTERNAL, NULL, "cannot start ingest threads");
            break;
        }
        in->nthreads++;
    }
    return in->nthreads == threads ? 0 : -1;
}

static void ingest_stop_workers(struct ingest *in)
{
    unsigned i;

    if (in->nthreads == 0)
        return;
    pthread_mutex_lock(&in->mu);
    /* Let queued jobs run to the end, so that every object written is
     * known to us and can be removed on failure. */
    while (in->pick != in->tail) {
        pthread_cond_broadcast(&in->work_cv);
        pthread_cond_wait(&in->done_cv, &in->mu);
    }
    in->stop = 1;
    pthread_cond_broadcast(&in->work_cv);
    pthread_mutex_unlock(&in->mu);
    for (i = 0; i < in->nthreads; i++)
        pthread_join(in->threads[i], NULL);
    in->nthreads = 0;
}

static void ingest_remove_object(struct ingest *in, const char *id)
{
    struct fault f;

    if (objstore_remove(in->st->objects, id, &f) < 0) {
        log_warn("could not remove object %s (%s); the next start sweeps it",
                 id, f.detail);
        in->sweep = 1;
    }
}

/* After a failure: remove the objects that no committed row names, drop
 * the committed rows and their objects, and mark the data-set failed. */
static void ingest_abandon(struct ingest *in, const struct fault *why)
{
    struct fault f2;
    size_t i;
    int used;

    fault_clear(&f2);
    ingest_stop_workers(in);
    ingest_stop_flusher(in);
    if (in->in_tx) {
        store_rollback(in->st);
        in->in_tx = 0;
    }
    /* Objects whose rows were never committed. */
    for (i = 0; i < in->prev.n + in->cur.n; i++) {
        const char *oid = i < in->prev.n
                              ? in->prev.v[i].cc.object_id
                              : in->cur.v[i - in->prev.n].cc.object_id;
        if (catalog_object_used(in->st, &used, oid, &f2) == 0 && !used)
            ingest_remove_object(in, oid);
    }
    for (; in->head < in->tail; in->head++) {
        struct ingest_job *job = &in->ring[in->head % in->depth];
        if (job->object_id[0] != '\0' &&
            catalog_object_used(in->st, &used, job->object_id, &f2) ==
                0 && !used)
            ingest_remove_object(in, job->object_id);
        splitter_chunk_free(job->chunk);
        job->chunk = NULL;
    }
    if (store_begin(in->st, &f2) < 0 ||
        store_drop_chunks(in->st, in->d.id, &f2) < 0 ||
        catalog_set_state(in->st, in->d.id, CATALOG_FAILED, why->detail,
                          &f2) < 0 ||
        (in->sweep && store_request_sweep(in->st, &f2) < 0) ||
        store_commit(in->st, &f2) < 0) {
        store_rollback(in->st);
        log_error("could not clean up after a failed ingest (%s); the next "
                  "start repairs it", f2.detail);
    }
}

/* ingest_run, with the input either read through `read` or, when map is
 * not NULL, split where it is mapped. */
static int ingest_main(struct store *st, struct ingest_result *res,
                       const uint8_t id[CATALOG_ID_LEN], ingest_read_fn read,
                       void *read_arg, struct mapfile *map,
                       const struct ingest_options *opt, struct fault *f)
{
    static const struct ingest_options no_options;
    struct ingest in;
    struct splitter_config cfg;
    struct splitter *sp = NULL;
    struct catalog_summary sum;
    const char **names = NULL;
    enum splitter_coltype *types = NULL;
    char *preview = NULL;
    uint8_t *room;
    size_t cap, got, i, ncols;
    int sync_ok = 0;
    int rv = -1;

    if (res != NULL)
        memset(res, 0, sizeof *res);
    memset(&in, 0, sizeof in);
    in.st = st;
    in.opt = opt ? opt : &no_options;
    in.map = map;
    if (pthread_mutex_init(&in.mu, NULL) != 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "mutex");
    if (pthread_mutex_init(&in.fmu, NULL) != 0) {
        pthread_mutex_destroy(&in.mu);
        return fault_set(f, FAULT_INTERNAL, NULL, "mutex");
    }
    pthread_cond_init(&in.work_cv, NULL);
    pthread_cond_init(&in.done_cv, NULL);
    pthread_cond_init(&in.fcv, NULL);
    sync_ok = 1;

    if (catalog_get_dataset(st, &in.d, id, f) < 0)
        goto done;
    if (in.d.state != CATALOG_PUBLISHING) {
        fault_set(f, FAULT_CONFLICT, "state",
                  "the data-set is %s, not publishing",
                  catalog_state_name(in.d.state));
        goto done;
    }
    if (store_dataset_key(st, in.dk, &in.d, f) < 0)
        goto fail;
    splitter_config_default(&cfg, in.d.format);
    cfg.chunk_bytes = (size_t)in.d.chunk_bytes;
    cfg.chunk_rows = in.d.chunk_rows;
    cfg.preview_rows = (size_t)in.d.preview_rows;
    if (splitter_new(&sp, &cfg, f) < 0)
        goto fail;
    in.sp = sp;
    in.root = EVP_MD_CTX_new();
    if (in.root == NULL ||
        EVP_DigestInit_ex(in.root, EVP_sha256(), NULL) != 1) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (objstore_batch_new(&in.objects, st->objects, f) < 0 ||
        catalog_chunk_writer_new(&in.rows, st, f) < 0)
        goto fail;
    if (pthread_create(&in.flusher, NULL, ingest_flusher, &in) != 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot start the flusher");
        goto fail;
    }
    in.flusher_on = 1;
    if (ingest_start_workers(&in, in.opt->threads, f) < 0)
        goto fail;

    if (map != NULL) {
        /* Chunks are slices of the mapping: no copy at all. */
        size_t total, step;
        in.map_data = mapfile_data(map, &total);
        if (splitter_borrow(sp, in.map_data, total, f) < 0)
            goto fail;
        while (in.consumed < total) {
            step = total - in.consumed < INGEST_STEP ? total - in.consumed
                                                     : INGEST_STEP;
            mapfile_prefetch(map, in.consumed, step);
            if (splitter_advance(sp, step, f) < 0)
                goto fail;
            in.consumed += step;
            if (ingest_take_chunks(&in, sp, f) < 0)
                goto fail;
        }
    }
    /* Otherwise the input is read straight into the buffer of the chunk
     * being built: the kernel's copy out of the page cache (or the
     * socket) is the only one it takes. */
    while (map == NULL) {
        if (splitter_room(sp, &room, &cap, f) < 0 ||
            read(read_arg, room, cap, &got, f) < 0)
            goto fail;
        if (got == 0)
            break;
        in.consumed += got;
        if (splitter_commit(sp, got, f) < 0 ||
            ingest_take_chunks(&in, sp, f) < 0)
            goto fail;
    }
    if (splitter_finish(sp, f) < 0 || ingest_take_chunks(&in, sp, f) < 0)
        goto fail;
    while (in.head < in.tail)
        if (ingest_record_oldest(&in, f) < 0)
            goto fail;

    /* The last batch and the publication commit together. */
    ncols = splitter_column_count(sp);
    names = calloc(ncols + 1, sizeof *names);
    types = calloc(ncols + 1, sizeof *types);
    preview = splitter_preview_json(sp);
    if (names == NULL || types == NULL || preview == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    for (i = 0; i < ncols; i++) {
        names[i] = splitter_column_name(sp, i);
        types[i] = splitter_column_type(sp, i);
    }
    memset(&sum, 0, sizeof sum);
    sum.prefix = splitter_prefix(sp, &sum.prefix_len);
    sum.rows = splitter_total_rows(sp);
    sum.chunk_count = in.res.chunk_count;
    sum.plain_bytes = in.res.plain_bytes;
    sum.stored_bytes = in.res.stored_bytes;
    sum.preview_json = preview;
    sum.ncols = ncols;
    sum.col_names = names;
    sum.col_types = types;
    if (EVP_DigestFinal_ex(in.root, sum.content_root, NULL) != 1) {
        fault_set(f, FAULT_INTERNAL, NULL, "content root hashing failed");
        goto fail;
    }
    /* The rows still waiting, the objects of the last batch made durable
     * here, and the publication: one transaction. */
    if (ingest_flush_wait(&in, f) < 0 || store_begin(st, f) < 0)
        goto fail;
    in.in_tx = 1;
    if (ingest_rows_put(&in, &in.prev, f) < 0 ||
        ingest_rows_put(&in, &in.cur, f) < 0 ||
        catalog_finish(st, in.d.id, &sum, (int64_t)time(NULL), f) < 0 ||
        objstore_flush(in.objects, f) < 0 ||
        ingest_commit(&in, in.consumed, f) < 0)
        goto fail;
    in.res.input_bytes = in.consumed;
    in.res.rows = sum.rows;
    memcpy(in.res.content_root, sum.content_root, 32);
    if (res != NULL)
        *res = in.res;
    rv = 0;
    goto done;
fail:
    ingest_abandon(&in, f);
done:
    ingest_stop_workers(&in);
    ingest_stop_flusher(&in);
    ingest_rows_clear(&in.prev);
    ingest_rows_clear(&in.cur);
    objstore_batch_free(in.objects);
    catalog_chunk_writer_free(in.rows);
    splitter_free(sp);
    free(names);
    free(types);
    free(preview);
    free(in.ring);
    free(in.threads);
    chunkobj_sealer_free(in.sealer);
    EVP_MD_CTX_free(in.root);
    secret_wipe(in.dk, sizeof in.dk);
    if (sync_ok) {
        pthread_cond_destroy(&in.work_cv);
        pthread_cond_destroy(&in.done_cv);
        pthread_cond_destroy(&in.fcv);
        pthread_mutex_destroy(&in.mu);
        pthread_mutex_destroy(&in.fmu);
    }
    return rv;
}

int ingest_run(struct store *st, struct ingest_result *res,
               const uint8_t id[CATALOG_ID_LEN], ingest_read_fn read,
               void *read_arg, const struct ingest_options *opt,
               struct fault *f)
{
    return ingest_main(st, res, id, read, read_arg, NULL, opt, f);
}

int ingest_run_fd(struct store *st, struct ingest_result *res,
                  const uint8_t id[CATALOG_ID_LEN], int fd,
                  const struct ingest_options *opt, struct fault *f)
{
    struct mapfile *map = NULL;
    struct fault mf;
    struct stat sb;
    int rv;

    /* Mapped when it is a regular file with something in it; a pipe, a
     * terminal or an empty file is read. */
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
        lseek(fd, 0, SEEK_CUR) == 0 && mapfile_open(&map, fd, &mf) < 0)
        map = NULL; /* cannot map it (say, a file system without mmap):
                       read it then */
    rv = ingest_main(st, res, id, ingest_read_fd, &fd, map, opt, f);
    mapfile_close(map);
    return rv;
}
