#include "gateway/publisher.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/log.h"
#include "storage/ingest.h"
#include "storage/parts.h"

struct publisher_job {
    uint8_t id[CATALOG_ID_LEN];
    struct publisher_job *next;
};

struct publisher {
    struct store *st;
    unsigned ingest_threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct publisher_job *head, *tail;
    atomic_int stopping;
    pthread_t *threads;
    unsigned nthreads;
};

struct publisher_read {
    struct publisher *p;
    struct parts_reader *r;
};

/* The parts reader, cut off when the gateway stops. */
static int publisher_read(void *arg, uint8_t *buf, size_t cap, size_t *got,
                          struct fault *f)
{
    struct publisher_read *pr = arg;

    if (atomic_load(&pr->p->stopping)) {
        *got = 0;
        return fault_set(f, FAULT_UNAVAILABLE, NULL, "interrupted");
    }
    return parts_reader_read(pr->r, buf, cap, got, f);
}

static void publisher_run_one(struct publisher *p, struct store *st,
                              const uint8_t id[CATALOG_ID_LEN])
{
    struct publisher_read pr = {p, NULL};
    struct parts_entry *parts = NULL;
    struct ingest_options opt;
    struct ingest_result res;
    struct fault f;
    char hex[2 * CATALOG_ID_LEN + 3];
    size_t n = 0, i;
    uint64_t total = 0;

    fault_clear(&f);
    if (hex_encode_0x(hex, sizeof hex, id, CATALOG_ID_LEN) < 0)
        hex[0] = '\0';
    /* Exactly the parts publish took when it was accepted. */
    if (parts_list_published(st, &parts, &n, id, &f) < 0 ||
        parts_reader_open(&pr.r, st, id, parts, n, &f) < 0) {
        /* ingest_run was never reached: fail the data-set here. */
        if (catalog_set_state(st, id, CATALOG_FAILED, f.detail, &f) < 0)
            log_error("publish %s: %s", hex, f.detail);
        goto done;
    }
    for (i = 0; i < n; i++)
        total += parts[i].bytes;
    memset(&opt, 0, sizeof opt);
    opt.threads = p->ingest_threads;
    opt.total_bytes = total;
    log_info("publish %s: ingesting %zu part(s), %llu bytes", hex, n,
             (unsigned long long)total);
    if (ingest_run(st, &res, id, publisher_read, &pr, &opt, &f) < 0) {
        log_warn("publish %s failed: %s", hex, f.detail);
        goto done;
    }
    log_info("publish %s: %llu rows in %llu chunks", hex,
             (unsigned long long)res.rows,
             (unsigned long long)res.chunk_count);
    /* The parts have served their purpose. */
    if (parts_sweep(st, id, 1, &f) < 0)
        log_warn("publish %s: could not remove its parts: %s", hex,
                 f.detail);
done:
    parts_reader_close(pr.r);
    free(parts);
}

static void *publisher_worker(void *arg)
{
    struct publisher *p = arg;
    struct publisher_job *job;
    struct store *st = NULL;
    struct fault f;

    if (store_clone(&st, p->st, &f) < 0)
        log_error("publish worker cannot open the database: %s", f.detail);
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!atomic_load(&p->stopping) && p->head == NULL)
            pthread_cond_wait(&p->cv, &p->mu);
        if (atomic_load(&p->stopping)) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        job = p->head;
        p->head = job->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        if (st != NULL)
            publisher_run_one(p, st, job->id);
        free(job);
    }
    store_close(st);
    return NULL;
}

int publisher_start(struct publisher **out, struct store *st,
                    unsigned threads, unsigned ingest_threads,
                    struct fault *f)
{
    struct publisher *p;
    unsigned i;

    *out = NULL;
    if (threads == 0)
        threads = 1;
    p = calloc(1, sizeof *p);
    if (p == NULL || (p->threads = calloc(threads, sizeof *p->threads)) ==
                         NULL) {
        free(p);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    p->st = st;
    p->ingest_threads = ingest_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, publisher_worker, p) != 0)
            break;
        p->nthreads++;
    }
    if (p->nthreads == 0) {
        publisher_free(p);
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "cannot start publish workers");
    }
    *out = p;
    return 0;
}

int publisher_submit(struct publisher *p, const uint8_t id[CATALOG_ID_LEN],
                     struct fault *f)
{
    struct publisher_job *job;

    if (atomic_load(&p->stopping))
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "the gateway is shutting down");
    job = calloc(1, sizeof *job);
    if (job == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    memcpy(job->id, id, CATALOG_ID_LEN);
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void publisher_stop(struct publisher *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stopping, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void publisher_free(struct publisher *p)
{
    struct publisher_job *job, *next;
    struct fault f;
    unsigned i;

    if (p == NULL)
        return;
    publisher_stop(p);
    for (i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    /* Queued, never started: they were set to publishing; fail them so
     * that the owner can publish again. */
    for (job = p->head; job != NULL; job = next) {
        next = job->next;
        if (catalog_set_state(p->st, job->id, CATALOG_FAILED,
                              "interrupted", &f) < 0)
            log_warn("could not mark a queued publish failed: %s", f.detail);
        free(job);
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
}
