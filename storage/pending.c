#include "storage/pending.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pending_entry {
    uint8_t id[PENDING_ID_LEN];
    uint8_t sha256[32];
    unsigned count;
};

struct pending {
    pthread_mutex_t mu;
    struct pending_entry *v;
    size_t n, cap;
};

int pending_new(struct pending **out, struct fault *f)
{
    struct pending *p = calloc(1, sizeof *p);

    *out = NULL;
    if (p == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    *out = p;
    return 0;
}

void pending_free(struct pending *p)
{
    if (p == NULL)
        return;
    pthread_mutex_destroy(&p->mu);
    free(p->v);
    free(p);
}

/* The entry of (id, sha256) in p, or NULL; any entry of id when sha256 is
 * NULL. p->mu held. */
static struct pending_entry *pending_find(struct pending *p,
                                          const uint8_t id[PENDING_ID_LEN],
                                          const uint8_t *sha256)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        if (memcmp(p->v[i].id, id, PENDING_ID_LEN) == 0 &&
            (sha256 == NULL || memcmp(p->v[i].sha256, sha256, 32) == 0))
            return &p->v[i];
    return NULL;
}

int pending_add(struct pending *p, const uint8_t id[PENDING_ID_LEN],
                const uint8_t sha256[32], struct fault *f)
{
    struct pending_entry *e, *grown;
    int rv = 0;

    if (p == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "no pending registry");
    pthread_mutex_lock(&p->mu);
    e = pending_find(p, id, sha256);
    if (e == NULL && p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        grown = realloc(p->v, cap * sizeof *grown);
        if (grown == NULL) {
            rv = fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
        p->v = grown;
        p->cap = cap;
    }
    if (e == NULL) {
        e = &p->v[p->n++];
        memcpy(e->id, id, PENDING_ID_LEN);
        memcpy(e->sha256, sha256, 32);
        e->count = 0;
    }
    e->count++;
done:
    pthread_mutex_unlock(&p->mu);
    return rv;
}

void pending_remove(struct pending *p, const uint8_t id[PENDING_ID_LEN],
                    const uint8_t sha256[32])
{
    struct pending_entry *e;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    e = pending_find(p, id, sha256);
    if (e != NULL && --e->count == 0)
        *e = p->v[--p->n];
    pthread_mutex_unlock(&p->mu);
}

int pending_has(struct pending *p, const uint8_t id[PENDING_ID_LEN],
                const uint8_t *sha256)
{
    int has;

    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->mu);
    has = pending_find(p, id, sha256) != NULL;
    pthread_mutex_unlock(&p->mu);
    return has;
}
