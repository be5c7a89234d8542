/*
 * ingest: turn an owner's bytes into a published data-set.
 *
 * The bytes are read straight into the buffer of the chunk being built
 * (splitter_room), no more than a slice at a time, and split into chunks
 * of whole rows (splitter.h); each chunk is compressed, encrypted under its own key
 * and written as an object (chunkobj.h, objstore.h) by a pool of worker
 * threads, while this thread keeps reading; chunk records are committed in
 * index order, in small transactions, each once the objects it names are
 * durable: a helper thread makes one batch's objects durable (fsync,
 * rename) while the next batch is sealed, so that no thread that works
 * waits for the disk. The data-set turns "published" in
 * the same transaction as its last chunks, so a crash at any point leaves
 * a data-set that is still "publishing" (store_open then fails it and
 * removes its objects), never one that looks published with chunks
 * missing.
 *
 * Memory stays bounded by (2 x threads + 2) chunks and one row, whatever
 * the size of the input.
 */
#ifndef SLUICE_STORAGE_INGEST_H
#define SLUICE_STORAGE_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"
#include "storage/store.h"

/* Where the bytes come from: read up to cap bytes into buf, set *got (0 at
 * the end). Return 0, or -1 with f set. */
typedef int (*ingest_read_fn)(void *arg, uint8_t *buf, size_t cap,
                              size_t *got, struct fault *f);

/* Told of progress after each committed batch: bytes consumed of total
 * (total is 0 when unknown). */
typedef void (*ingest_progress_fn)(void *arg, uint64_t done, uint64_t total);

struct ingest_options {
    unsigned threads;             /* workers; 0: one per online CPU; 1: all
                                     work in the calling thread (but the
                                     fsyncs, which wait for the disk) */
    uint64_t total_bytes;         /* for progress; 0 when unknown */
    ingest_progress_fn progress;  /* may be NULL */
    void *progress_arg;
};

/* What an ingest produced. */
struct ingest_result {
    uint64_t rows;
    uint64_t chunk_count;
    uint64_t plain_bytes;
    uint64_t stored_bytes;
    uint64_t input_bytes;
    uint8_t content_root[32];
};

/* Ingest everything read from `read` into data-set id, which must be in
 * state "publishing" (its format and chunking are taken from its record),
 * and publish it. Returns 0 with *res filled (res may be NULL); on failure
 * -1 with *res zeroed and f set, and the data-set left "failed" with f's
 * detail as its reason and none of its chunks or objects left behind. */
int ingest_run(struct store *st, struct ingest_result *res,
               const uint8_t id[CATALOG_ID_LEN], ingest_read_fn read,
               void *read_arg, const struct ingest_options *opt,
               struct fault *f) __attribute__((warn_unused_result));

/* As ingest_run, over everything read from fd (left open for the caller).
 * A regular file read from its start is mapped (mapfile.h) and split in
 * place, with no copy: its bytes must not shrink meanwhile (the access to
 * lost pages raises SIGBUS). Anything else (a pipe, a terminal, an empty
 * file) is read with ingest_read_fd. Returns as ingest_run does. */
int ingest_run_fd(struct store *st, struct ingest_result *res,
                  const uint8_t id[CATALOG_ID_LEN], int fd,
                  const struct ingest_options *opt, struct fault *f)
    __attribute__((warn_unused_result));

/* An ingest_read_fn over a file descriptor; arg points to the int fd. */
int ingest_read_fd(void *arg, uint8_t *buf, size_t cap, size_t *got,
                   struct fault *f);

#endif
