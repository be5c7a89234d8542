/*
 * catalog: the records of data-sets and their chunks in SQLite.
 *
 * A data-set row carries its state, its sealed key, how it is chunked and,
 * once published, its shape (rows, columns, chunk count, sizes, content
 * root, preview). Chunk rows carry the object id, the row range and the
 * sizes; the chunk index carries each column's min and max per chunk.
 * Functions here run single statements and leave transactions to the
 * caller, so that a caller can make several of them one atomic step.
 */
#ifndef SLUICE_STORAGE_CATALOG_H
#define SLUICE_STORAGE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"
#include "storage/dskey.h"
#include "storage/objstore.h"
#include "storage/splitter.h"

struct store;

enum catalog_state {
    CATALOG_DRAFT,
    CATALOG_UPLOADING,
    CATALOG_PUBLISHING,
    CATALOG_PUBLISHED,
    CATALOG_FAILED
};

#define CATALOG_ID_LEN 32
#define CATALOG_OWNER_SIZE 43
#define CATALOG_NAME_SIZE 256
#define CATALOG_REASON_SIZE 256

struct catalog_dataset {
    uint8_t id[CATALOG_ID_LEN];
    char owner[CATALOG_OWNER_SIZE];     /* EIP-55 text, "" for none */
    char name[CATALOG_NAME_SIZE];
    enum splitter_format format;
    enum catalog_state state;
    char reason[CATALOG_REASON_SIZE];   /* why it failed, else "" */
    uint8_t dk_sealed[DSKEY_SEALED_LEN];
    uint64_t chunk_bytes;
    uint64_t chunk_rows;                /* 0: chunked by bytes */
    int zlib_level;
    uint64_t preview_rows;
    /* Set once published (zero before). */
    uint64_t rows;
    uint64_t chunk_count;
    uint64_t plain_bytes;
    uint64_t stored_bytes;
    uint8_t content_root[32];
    uint64_t progress_done;
    uint64_t progress_total;
    int64_t created_at;
    int64_t published_at;               /* 0 before */
};

struct catalog_chunk {
    uint64_t index;
    char object_id[OBJSTORE_ID_SIZE];
    int has_rows;                       /* 0 for blobs: first_row, rows null */
    uint64_t first_row;
    uint64_t rows;
    uint64_t plain_bytes;
    uint64_t stored_bytes;
};

/* What publishing records about the whole data-set. */
struct catalog_summary {
    const uint8_t *prefix;              /* bytes before the first row */
    size_t prefix_len;
    uint64_t rows;
    uint64_t chunk_count;
    uint64_t plain_bytes;
    uint64_t stored_bytes;
    uint8_t content_root[32];
    const char *preview_json;           /* JSON array text */
    size_t ncols;
    const char *const *col_names;       /* ncols names */
    const enum splitter_coltype *col_types;
};

/* What an owner says about a data-set (all strings owned, UTF-8). */
struct catalog_meta {
    char *description;
    char *license;
    char *price;        /* canonical plan JSON text, NULL when none */
    double price_key;   /* wei of the cheapest step of the plan, to sort */
    int listed;
    size_t ntags;
    char **tags;
};

/* Free what m owns and zero it. m may be NULL. */
void catalog_meta_clear(struct catalog_meta *m);

/* Read data-set id's meta into *out. Returns 0, or -1 with *out zeroed
 * and f set. */
int catalog_get_meta(struct store *st, struct catalog_meta *out,
                     const uint8_t id[CATALOG_ID_LEN], struct fault *f)
    __attribute__((warn_unused_result));

/* Replace data-set id's description, license, tags and listed flag with
 * m's (the price is left alone). Returns 0, or -1 with f set. */
int catalog_put_meta(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                     const struct catalog_meta *m, struct fault *f)
    __attribute__((warn_unused_result));

/* Set data-set id's price (canonical plan text, or NULL) and its sort key,
 * noting the time of the change and adding it to the price history
 * (catalog_each_price). Returns 0, or -1 with f set
 * (FAULT_NOT_FOUND). */
int catalog_set_price(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      const char *price, double price_key, struct fault *f)
    __attribute__((warn_unused_result));

/* Set data-set id's listed flag. Returns 0, or -1 with f set. */
int catalog_set_listed(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                       int listed, struct fault *f)
    __attribute__((warn_unused_result));

/* Read data-set id's preview JSON text into *out (malloc'd; "[]" when
 * none). Returns 0, or -1 with *out = NULL and f set. */
int catalog_get_preview(struct store *st, char **out,
                        const uint8_t id[CATALOG_ID_LEN], struct fault *f)
    __attribute__((warn_unused_result));

struct catalog_column {
    char *name;
    int is_number;
};

/* Read data-set id's columns in order into *out (malloc'd; free with
 * catalog_columns_free) and *n. Returns 0, or -1 with f set. */
int catalog_get_columns(struct store *st, struct catalog_column **out, size_t *n,
                        const uint8_t id[CATALOG_ID_LEN], struct fault *f)
    __attribute__((warn_unused_result));

/* Free n columns. */
void catalog_columns_free(struct catalog_column *c, size_t n);

enum catalog_sort { CATALOG_SORT_NEWEST, CATALOG_SORT_NAME,
                    CATALOG_SORT_PRICE, CATALOG_SORT_SIZE };

struct catalog_query {
    const char *q;        /* substring of name or description; NULL: any */
    const char *tag;      /* NULL: any */
    const char *owner;    /* EIP-55 address of the owner; NULL: any */
    enum catalog_sort sort;
    size_t limit;         /* 1..100 */
    /* Keyset cursor: resume after this (key, id); has_after 0 = first page */
    int has_after;
    double after_num;     /* newest: published_at; price: price_key; size */
    const char *after_text; /* name */
    uint8_t after_id[CATALOG_ID_LEN];
};

/* List the ids of published, listed data-sets matching q in its order, at
 * most q->limit + 1 of them (one more than a page, so the caller knows
 * whether a next page exists), into *ids (malloc'd) and *n. Returns 0, or
 * -1 with f set. */
int catalog_list(struct store *st, uint8_t (**ids)[CATALOG_ID_LEN], size_t *n,
                 const struct catalog_query *q, struct fault *f)
    __attribute__((warn_unused_result));

/* Return the text of state ("draft", ...). Never NULL. */
const char *catalog_state_name(enum catalog_state state);

/* Return the text of format ("csv", "jsonl", "blob"). Never NULL. */
const char *catalog_format_name(enum splitter_format format);

/* Parse format text into *out. Returns 0, or -1 with f naming field. */
int catalog_format_parse(enum splitter_format *out, const char *text,
                         const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Insert the new data-set d (id, owner, name, format, state, dk_sealed,
 * chunking, level, preview_rows, created_at are read). Returns 0, or -1
 * with f set (FAULT_CONFLICT when the id exists). */
int catalog_insert_dataset(struct store *st, const struct catalog_dataset *d,
                           struct fault *f) __attribute__((warn_unused_result));

/* Read data-set id into *out. Returns 0; on failure -1 with *out zeroed
 * and f set (FAULT_NOT_FOUND when there is none). */
int catalog_get_dataset(struct store *st, struct catalog_dataset *out,
                        const uint8_t id[CATALOG_ID_LEN], struct fault *f)
    __attribute__((warn_unused_result));

/* What the ledger may read of a data-set (pricing/ledger.h): whether it is
 * published with a price plan, its owner, and the plan. */
struct catalog_terms {
    int published;           /* published and priced */
    char owner[43];          /* EIP-55 text, "" when none */
    char *price;             /* the plan's JSON (malloc'd), or NULL */
};

/* Read data-set id's terms into *out (free with catalog_terms_clear).
 * Returns 0 with *found set (0 and *out zeroed for an unknown id); -1 with
 * *found = 0, *out zeroed and f set. */
int catalog_get_terms(struct store *st, struct catalog_terms *out, int *found,
                      const uint8_t id[CATALOG_ID_LEN], struct fault *f)
    __attribute__((warn_unused_result));

/* Free what t holds and zero it. t may be NULL. */
void catalog_terms_clear(struct catalog_terms *t);

/* Read data-set id's prefix bytes into *out (malloc'd, caller frees; never
 * NULL on success) and *len. Returns 0, or -1 with *out = NULL and f set. */
int catalog_get_prefix(struct store *st, uint8_t **out, size_t *len,
                       const uint8_t id[CATALOG_ID_LEN], struct fault *f)
    __attribute__((warn_unused_result));

/* Delete data-set id's row and, through their foreign keys, its columns,
 * chunk rows and index, tags, parts and recorded parts (not its objects
 * or part files: the caller removes those). Returns 0, or -1 with f set
 * (FAULT_NOT_FOUND for an unknown id). */
int catalog_delete_dataset(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                           struct fault *f) __attribute__((warn_unused_result));

/* Set data-set id's state, and its reason (NULL clears it), noting the
 * time of the change (a draft's activity, storage/drafts.h). Returns 0, or
 * -1 with f set (FAULT_NOT_FOUND for an unknown id). */
int catalog_set_state(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      enum catalog_state state, const char *reason,
                      struct fault *f) __attribute__((warn_unused_result));

/* Record ingest progress in bytes. Returns 0, or -1 with f set. */
int catalog_set_progress(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                         uint64_t done, uint64_t total, struct fault *f)
    __attribute__((warn_unused_result));

/* Insert chunk c of data-set id and its index (ncols column stats, column
 * position = array position). Returns 0, or -1 with f set. */
int catalog_put_chunk(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      const struct catalog_chunk *c,
                      const struct splitter_colstat *cols, size_t ncols,
                      struct fault *f) __attribute__((warn_unused_result));

/* A writer of the chunk records of one ingest: its statements are compiled
 * once, not for every chunk. */
struct catalog_chunk_writer;

/* Create a chunk writer on db (which must outlive it). Returns 0 with *out
 * set; on failure -1 with *out = NULL and f set. */
int catalog_chunk_writer_new(struct catalog_chunk_writer **out, struct store *st,
                             struct fault *f)
    __attribute__((warn_unused_result));

/* As catalog_put_chunk, through w. Returns 0, or -1 with f set (rows of c
 * already inserted stay in the caller's transaction, for it to roll
 * back). */
int catalog_chunk_writer_put(struct catalog_chunk_writer *w,
                             const uint8_t id[CATALOG_ID_LEN],
                             const struct catalog_chunk *c,
                             const struct splitter_colstat *cols, size_t ncols,
                             struct fault *f)
    __attribute__((warn_unused_result));

/* Free w. w may be NULL. */
void catalog_chunk_writer_free(struct catalog_chunk_writer *w);

/* Record s on data-set id, replace its columns, and mark it published at
 * now. Returns 0, or -1 with f set. */
int catalog_finish(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                   const struct catalog_summary *s, int64_t now,
                   struct fault *f) __attribute__((warn_unused_result));

/* Delete every chunk, index row and column of data-set id (before a new
 * ingest of it, or after a failed one). Returns 0, or -1 with f set. */
int catalog_clear_chunks(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                         struct fault *f) __attribute__((warn_unused_result));

/* Read chunk index of data-set id into *out. Returns 0; on failure -1 with
 * *out zeroed and f set (FAULT_NOT_FOUND). */
int catalog_get_chunk(struct store *st, struct catalog_chunk *out,
                      const uint8_t id[CATALOG_ID_LEN], uint64_t index,
                      struct fault *f) __attribute__((warn_unused_result));

/* Call fn for each chunk of data-set id in ascending index. fn returns 0
 * to go on or -1 to stop (this then returns -1 with f as fn left it).
 * Returns 0, or -1 with f set. */
int catalog_each_chunk(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                       int (*fn)(void *arg, const struct catalog_chunk *c,
                                 struct fault *f),
                       void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Call fn for each chunk of data-set id that holds a row in [from, to)
 * (rows data-sets only), in ascending index, found through the chunks'
 * first rows. Nothing when from >= to. Same contract as
 * catalog_each_chunk. */
int catalog_each_chunk_in_rows(struct store *st,
                               const uint8_t id[CATALOG_ID_LEN],
                               uint64_t from, uint64_t to,
                               int (*fn)(void *arg,
                                         const struct catalog_chunk *c,
                                         struct fault *f),
                               void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* The bounds a chunk's index holds for one column (storage/colorder.h):
 * the number bounds and the text bounds, each NULL (length 0) when the
 * chunk has none. Borrowed for the length of one callback. */
struct catalog_bound {
    const uint8_t *num_min, *num_max, *text_min, *text_max;
    size_t num_min_len, num_max_len, text_min_len, text_max_len;
};

/* Call fn for each chunk of data-set id that has index bounds for the
 * column at position, in ascending index (a chunk without any is not
 * visited: it proves nothing). Same contract as catalog_each_chunk. */
int catalog_each_bound(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                       size_t position,
                       int (*fn)(void *arg, uint64_t index,
                                 const struct catalog_bound *b,
                                 struct fault *f),
                       void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Call fn for each of the last `last` prices data-set id has had, oldest
 * first: when it was set (unix seconds) and its canonical plan text (NULL
 * when the price was cleared). Same contract as catalog_each_chunk. */
int catalog_each_price(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                       size_t last,
                       int (*fn)(void *arg, int64_t at, const char *price,
                                 struct fault *f),
                       void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Call fn with the id of each data-set in state, oldest first. Same
 * contract as catalog_each_chunk. */
int catalog_each_dataset(struct store *st, enum catalog_state state,
                         int (*fn)(void *arg, const uint8_t id[CATALOG_ID_LEN],
                                   struct fault *f),
                         void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Set *used to 1 if any chunk names object_id, else 0. Returns 0, or -1
 * with f set. */
int catalog_object_used(struct store *st, int *used, const char *object_id,
                        struct fault *f) __attribute__((warn_unused_result));

/* Set *published to 1 if a chunk of a published data-set names object_id
 * (objects of drafts and cut-off ingests are not served), else 0. Returns
 * 0, or -1 with f set. */
int catalog_object_published(struct store *st, int *published,
                             const char *object_id, struct fault *f)
    __attribute__((warn_unused_result));

/* Read store-wide setting key into out (cap bytes); *found says whether it
 * exists. Returns 0, or -1 with f set. */
int catalog_meta_get(struct store *st, char *out, size_t cap, int *found,
                     const char *key, struct fault *f)
    __attribute__((warn_unused_result));

/* Set store-wide setting key to value (NULL deletes it). Returns 0, or -1
 * with f set. */
int catalog_meta_set(struct store *st, const char *key, const char *value,
                     struct fault *f) __attribute__((warn_unused_result));

#endif
