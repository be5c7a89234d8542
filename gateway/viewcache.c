#include "gateway/viewcache.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

struct viewcache_entry {
    uint8_t id[CATALOG_ID_LEN];
    uint64_t gen;
    char *text;
    size_t len;
    struct viewcache_entry *hnext;          /* hash chain */
    struct viewcache_entry *prev, *next;    /* recency: head is newest */
};

struct viewcache {
    struct viewcache_entry **buckets;
    size_t nbuckets;                        /* a power of two */
    struct viewcache_entry *head, *tail;
    size_t entries, bytes;
    size_t max_entries, max_bytes;
    uint64_t hits, misses, evictions;
};

int viewcache_new(struct viewcache **out, size_t max_entries,
                  size_t max_bytes, struct fault *f)
{
    struct viewcache *vc;
    size_t n = 16;

    *out = NULL;
    if (max_entries == 0 || max_bytes == 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "empty view cache");
    while (n < 2 * max_entries && n < ((size_t)1 << 24))
        n *= 2;
    vc = calloc(1, sizeof *vc);
    if (vc == NULL || (vc->buckets = calloc(n, sizeof *vc->buckets)) == NULL) {
        free(vc);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    vc->nbuckets = n;
    vc->max_entries = max_entries;
    vc->max_bytes = max_bytes;
    *out = vc;
    return 0;
}

/* Ids are 32 random bytes chosen by the gateway: any 8 of them hash. */
static size_t viewcache_bucket(const struct viewcache *vc,
                               const uint8_t id[CATALOG_ID_LEN])
{
    uint64_t h;

    memcpy(&h, id, sizeof h);
    return (size_t)(h & (vc->nbuckets - 1));
}

static struct viewcache_entry **viewcache_slot(struct viewcache *vc,
                                               const uint8_t id[CATALOG_ID_LEN])
{
    struct viewcache_entry **p = &vc->buckets[viewcache_bucket(vc, id)];

    while (*p != NULL && memcmp((*p)->id, id, CATALOG_ID_LEN) != 0)
        p = &(*p)->hnext;
    return p;
}

static void viewcache_unlink(struct viewcache *vc, struct viewcache_entry *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        vc->head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        vc->tail = e->prev;
    e->prev = e->next = NULL;
}

static void viewcache_push_front(struct viewcache *vc,
                                 struct viewcache_entry *e)
{
    e->prev = NULL;
    e->next = vc->head;
    if (vc->head != NULL)
        vc->head->prev = e;
    vc->head = e;
    if (vc->tail == NULL)
        vc->tail = e;
}

/* Remove the entry *slot points at (its hash-chain link). */
static void viewcache_drop(struct viewcache *vc, struct viewcache_entry **slot)
{
    struct viewcache_entry *e = *slot;

    *slot = e->hnext;
    viewcache_unlink(vc, e);
    vc->entries--;
    vc->bytes -= e->len;
    free(e->text);
    free(e);
}

void viewcache_free(struct viewcache *vc)
{
    struct viewcache_entry *e, *next;

    if (vc == NULL)
        return;
    for (e = vc->head; e != NULL; e = next) {
        next = e->next;
        free(e->text);
        free(e);
    }
    free(vc->buckets);
    free(vc);
}

const char *viewcache_get(struct viewcache *vc, size_t *len,
                          const uint8_t id[CATALOG_ID_LEN], uint64_t gen)
{
    struct viewcache_entry **slot = viewcache_slot(vc, id);
    struct viewcache_entry *e = *slot;

    *len = 0;
    if (e == NULL || e->gen != gen) {
        if (e != NULL)
            viewcache_drop(vc, slot);
        vc->misses++;
        return NULL;
    }
    if (vc->head != e) {
        viewcache_unlink(vc, e);
        viewcache_push_front(vc, e);
    }
    vc->hits++;
    *len = e->len;
    return e->text;
}

void viewcache_put(struct viewcache *vc, const uint8_t id[CATALOG_ID_LEN],
                   uint64_t gen, const char *text, size_t len)
{
    struct viewcache_entry **slot;
    struct viewcache_entry *e;

    if (len > vc->max_bytes)
        return;
    slot = viewcache_slot(vc, id);
    if (*slot != NULL)
        viewcache_drop(vc, slot);
    while (vc->tail != NULL && (vc->entries + 1 > vc->max_entries ||
                                vc->bytes + len > vc->max_bytes)) {
        viewcache_drop(vc, viewcache_slot(vc, vc->tail->id));
        vc->evictions++;
    }
    e = calloc(1, sizeof *e);
    if (e == NULL || (e->text = malloc(len + 1)) == NULL) {
        free(e);
        return;
    }
    memcpy(e->id, id, CATALOG_ID_LEN);
    memcpy(e->text, text, len);
    e->text[len] = '\0';
    e->len = len;
    e->gen = gen;
    slot = viewcache_slot(vc, id);
    *slot = e;
    viewcache_push_front(vc, e);
    vc->entries++;
    vc->bytes += len;
}

void viewcache_metrics(const struct viewcache *vc, struct evbuffer *out)
{
    if (vc == NULL)
        return;
    evbuffer_add_printf(
        out,
        "# HELP sluice_view_cache_lookups_total Lookups of rendered "
        "data-set views, by result.\n"
        "# TYPE sluice_view_cache_lookups_total counter\n"
        "sluice_view_cache_lookups_total{result=\"hit\"} %llu\n"
        "sluice_view_cache_lookups_total{result=\"miss\"} %llu\n"
        "# HELP sluice_view_cache_evictions_total Views evicted to stay "
        "within the bounds.\n"
        "# TYPE sluice_view_cache_evictions_total counter\n"
        "sluice_view_cache_evictions_total %llu\n"
        "# HELP sluice_view_cache_entries Views held.\n"
        "# TYPE sluice_view_cache_entries gauge\n"
        "sluice_view_cache_entries %zu\n"
        "# HELP sluice_view_cache_bytes Bytes of view text held.\n"
        "# TYPE sluice_view_cache_bytes gauge\n"
        "sluice_view_cache_bytes %zu\n",
        (unsigned long long)vc->hits, (unsigned long long)vc->misses,
        (unsigned long long)vc->evictions, vc->entries, vc->bytes);
}
