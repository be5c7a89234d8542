#include "gateway/offload.h"

#include <pthread.h>
#include <stdlib.h>

struct offload_job {
    void (*work)(void *arg);
    void *arg;
    struct event *done_ev;
    struct offload_job *next;
};

struct offload {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct offload_job *head, *tail;
    int stopping;
    pthread_t *threads;
    unsigned n;
};

static void *offload_worker(void *arg)
{
    struct offload *o = arg;
    struct offload_job *job;

    for (;;) {
        pthread_mutex_lock(&o->mu);
        while (o->head == NULL && !o->stopping)
            pthread_cond_wait(&o->cv, &o->mu);
        job = o->head;
        if (job == NULL) { /* stopping, and nothing left */
            pthread_mutex_unlock(&o->mu);
            break;
        }
        o->head = job->next;
        if (o->head == NULL)
            o->tail = NULL;
        pthread_mutex_unlock(&o->mu);
        job->work(job->arg);
        event_active(job->done_ev, EV_TIMEOUT, 1);
        free(job);
    }
    return NULL;
}

int offload_start(struct offload **out, unsigned threads, struct fault *f)
{
    struct offload *o;
    unsigned i;

    *out = NULL;
    o = calloc(1, sizeof *o);
    if (o == NULL ||
        (o->threads = calloc(threads ? threads : 1, sizeof *o->threads)) ==
            NULL) {
        free(o);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    for (i = 0; i < (threads ? threads : 1); i++) {
        if (pthread_create(&o->threads[i], NULL, offload_worker, o) != 0)
            break;
        o->n++;
    }
    if (o->n == 0) {
        offload_free(o);
        return fault_set(f, FAULT_INTERNAL, NULL, "cannot start threads");
    }
    *out = o;
    return 0;
}

int offload_submit(struct offload *o, void (*work)(void *arg), void *arg,
                   struct event *done_ev, struct fault *f)
{
    struct offload_job *job = calloc(1, sizeof *job);

    if (job == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    job->work = work;
    job->arg = arg;
    job->done_ev = done_ev;
    pthread_mutex_lock(&o->mu);
    if (o->tail)
        o->tail->next = job;
    else
        o->head = job;
    o->tail = job;
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&o->mu);
    return 0;
}

void offload_free(struct offload *o)
{
    unsigned i;

    if (o == NULL)
        return;
    pthread_mutex_lock(&o->mu);
    o->stopping = 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    for (i = 0; i < o->n; i++)
        pthread_join(o->threads[i], NULL);
    pthread_cond_destroy(&o->cv);
    pthread_mutex_destroy(&o->mu);
    free(o->threads);
    free(o);
}
