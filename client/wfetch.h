/*
 * wfetch: the worker library's downloads (worker.h): the chunk objects of
 * one answered query, several at once, each checked against its object
 * id, decrypted and inflated, and handed over in index order; or, to a
 * caller that puts each at its own place (a file written at offsets),
 * handed to a sink from the download threads as each opens (wfetch_sink),
 * with no wait for the one before.
 *
 * A pool of threads, each with its own connection, takes the next object
 * to fetch, at most `window` objects ahead of the one the caller is
 * reading, so that memory holds a few chunks whatever the query's size.
 * Every buffer (each slot's plaintext, each thread's object and inflate
 * state) is kept from chunk to chunk: a query faults in its memory once.
 * An object comes from the cache folder when one is given and it holds a
 * file of that name whose bytes hash to it (a file that does not is
 * removed); otherwise from its url: a path on the gateway, or an absolute
 * http:// URL on another server. Every object is checked before use: its
 * size is the manifest's stored_bytes, its SHA-256 its object id, and then
 * the chunk object reader (storage/chunkobj.h) checks its header and
 * index, decrypts it under its chunk key and inflates it to exactly its
 * plain_bytes. A verified download is written to the cache, so that a
 * later run need not fetch it again: either to a file of its own
 * (atomically: a temporary file renamed), which any later query finds by
 * object id, or, with a pack_name, at its place in one file for the
 * whole query (objects one after another in the query's order; a place
 * never written reads as zeros and fails its hash), which a resume of the
 * same query reads (or, cache_read_only, nowhere: for a caller that can
 * continue its own output after a cut instead). The pack is the cheap one: one file made per query,
 * not one per object (on this machine's ext4, making 256 files took 15 %
 * of a 256 MiB query's CPU).
 * A fetch that fails for a reason worth retrying (the connection, a 5xx)
 * is tried again after a pause that doubles; anything else (404, a wrong
 * hash or size, a damaged object) ends the downloads with that fault.
 */
#ifndef SLUICE_CLIENT_WFETCH_H
#define SLUICE_CLIENT_WFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "client/http.h"
#include "lib/fault.h"

#define WFETCH_PARALLEL_MAX 32
#define WFETCH_RETRIES 4
#define WFETCH_BACKOFF_MS 250

/* One object to fetch. The chunk key is secret: wfetch wipes its copy. */
struct wfetch_item {
    uint64_t index;
    char object_id[65];    /* 64 lowercase hex digits */
    uint8_t digest[32];    /* the same, as bytes */
    char *url;             /* malloc'd; wfetch_start takes it over */
    uint64_t stored_bytes;
    uint64_t plain_bytes;
    uint8_t ck[32];
};

struct wfetch_config {
    struct http_url gateway; /* where paths are fetched from */
    const char *cache_dir;   /* NULL: no cache */
    const char *pack_name;   /* NULL: each object its own file in the
                                cache; else the objects fetched go into
                                this one file of it (wfetch_pack_path) */
    int cache_read_only;     /* without a pack_name: objects are read
                                from their files in the cache, and none
                                is written there */
    unsigned parallel;       /* threads, 1 to WFETCH_PARALLEL_MAX */
    unsigned window;         /* objects held ahead, >= parallel */
    uint8_t dataset_id[32];
    int timeout_ms;          /* per wait on a socket; 0: the default */
};

/* What the downloads did so far. */
struct wfetch_stats {
    uint64_t objects;        /* fetched or read from the cache, verified */
    uint64_t from_cache;     /* of them, read from the cache */
    uint64_t bytes;          /* their stored bytes */
    uint64_t fetched_bytes;  /* stored bytes that came over the network */
    uint64_t retries;
};

struct wfetch;

/* Start fetching items[0..n) (in that order) with cfg. wfetch takes the
 * array over (its urls and keys too) whether it succeeds or not: the
 * caller must not use or free it afterwards. Returns 0 with *out set (the
 * caller wfetch_stop's it); on failure -1 with *out = NULL, the items
 * wiped and freed, and f set (FAULT_INTERNAL, or FAULT_IO when the cache
 * folder cannot be made). */
int wfetch_start(struct wfetch **out, struct wfetch_item *items, size_t n,
                 const struct wfetch_config *cfg, struct fault *f)
    __attribute__((warn_unused_result));

/* Give back the plaintext the last call lent, wait for the next object,
 * in order, and lend its plaintext. Returns 1 with *plain and *len set:
 * the bytes stay valid, and the caller must not write or free them, until
 * the next wfetch_take or wfetch_stop (the buffer is reused for a later
 * object and wiped when the downloads stop); 0 when every object was
 * taken; on failure -1 with *plain = NULL, *len = 0 and f the fault of
 * that object (the downloads stop). */
int wfetch_take(struct wfetch *w, const uint8_t **plain, size_t *len,
                struct fault *f) __attribute__((warn_unused_result));

/* Told of item k's plaintext p[0..n), checked, in the thread that opened
 * it. Returns 0, or -1 with f set (the downloads stop with that fault). */
typedef int (*wfetch_sink_fn)(void *arg, size_t k, const uint8_t *p,
                              size_t n, struct fault *f);

/* Give back the plaintext the last take lent, and hand every item not yet
 * taken to sink, each as soon as it is opened, in any order (items opened
 * before are handed over from this thread first; the others from the
 * download threads, several at once: sink must be safe to call so). At
 * most window items are opened ahead of the earliest not yet handed over.
 * Returns 0 when every item was handed over (wfetch_take then returns 0);
 * on failure -1 with f the fault of an object that failed or of a sink
 * call (the downloads stop; items may have been handed over in any
 * order before). Either way no call of sink is running any more. */
int wfetch_sink(struct wfetch *w, wfetch_sink_fn sink, void *arg,
                struct fault *f) __attribute__((warn_unused_result));

/* Copy what the downloads did so far into *out. */
void wfetch_stats(struct wfetch *w, struct wfetch_stats *out);

/* Stop the downloads, wait for the threads, wipe the keys and every
 * plaintext buffer (the one lent too), and free w. w may be NULL. */
void wfetch_stop(struct wfetch *w);

/* Write the path of the pack called name in the cache folder dir into
 * out[0..cap). Returns 0, or -1 when it does not fit or name is not a
 * plain file name. */
int wfetch_pack_path(char *out, size_t cap, const char *dir,
                     const char *name) __attribute__((warn_unused_result));

/* Write the path of object_id's file in the cache folder dir into
 * out[0..cap). Returns 0, or -1 when it does not fit. */
int wfetch_cache_path(char *out, size_t cap, const char *dir,
                      const char *object_id)
    __attribute__((warn_unused_result));

#endif
