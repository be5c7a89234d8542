/*
 * viewcache: the rendered JSON of published data-sets' views, by id, so
 * that GET /v1/datasets/<id> is a lookup and a copy rather than six
 * queries and a JSON rendering.
 *
 * Each entry carries the catalogue generation (storage/catgen.h) that was
 * current before the rows it was rendered from were read; it is shown only
 * while the generation has not moved, so any change to any data-set's
 * records, on any thread, retires every entry at once. Bounded in entries
 * and in bytes, least recently used out first. Used on the event loop's
 * thread only.
 */
#ifndef SLUICE_GATEWAY_VIEWCACHE_H
#define SLUICE_GATEWAY_VIEWCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"
#include "storage/catalog.h"

struct viewcache;
struct evbuffer;

/* Make a cache of at most max_entries views and max_bytes of text (both >=
 * 1). Returns 0 with *out set, or -1 with *out = NULL and f set. */
int viewcache_new(struct viewcache **out, size_t max_entries,
                  size_t max_bytes, struct fault *f)
    __attribute__((warn_unused_result));

/* Free vc. vc may be NULL. */
void viewcache_free(struct viewcache *vc);

/* Look up data-set id's view rendered at generation gen. Returns its text
 * (owned by the cache, valid until the next call on vc) with *len set, and
 * counts a hit; or NULL with *len = 0, and counts a miss (an entry of
 * another generation is dropped). */
const char *viewcache_get(struct viewcache *vc, size_t *len,
                          const uint8_t id[CATALOG_ID_LEN], uint64_t gen);

/* Keep a copy of text (len bytes), data-set id's view rendered from rows
 * read after generation gen was current, replacing any older entry and
 * evicting the least recently used beyond the bounds. A text larger than
 * the byte bound, or one that cannot be copied, is not kept. */
void viewcache_put(struct viewcache *vc, const uint8_t id[CATALOG_ID_LEN],
                   uint64_t gen, const char *text, size_t len);

/* Append the cache's counters to out in the Prometheus text format. */
void viewcache_metrics(const struct viewcache *vc, struct evbuffer *out);

#endif
