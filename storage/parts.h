/*
 * parts: the parts of a resumable upload (DESIGN.md 3.9), before publish.
 *
 * Part n of a data-set is a file under <data dir>/uploads/<id hex>/ named
 * by the SHA-256 of its bytes, and a row (n, bytes, sha256). A part is
 * written and fsynced under its content name first; the row that points
 * at it is changed in the caller's transaction; so replacing a part, or a
 * crash while doing it, never leaves a row pointing at a half-written or
 * different file. Files no row names are removed by parts_sweep.
 */
#ifndef SLUICE_STORAGE_PARTS_H
#define SLUICE_STORAGE_PARTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "lib/fault.h"
#include "storage/ingest.h"
#include "storage/store.h"

struct parts_entry {
    uint64_t n;
    uint64_t bytes;
    uint8_t sha256[32];
    int64_t received_at;
};

/* Write the len bytes of part data for data-set id durably under their
 * content name and put their SHA-256 in sha256. The row is not touched:
 * call parts_record next. Returns 0, or -1 with f set (FAULT_IO). */
int parts_write_file(struct store *st, uint8_t sha256[32],
                     const uint8_t id[CATALOG_ID_LEN], const uint8_t *data,
                     size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* As parts_write_file, for bytes in iovcnt pieces whose SHA-256 the
 * caller has computed already (sha256, trusted: it names the file). */
int parts_write_file_iov(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                         const uint8_t sha256[32], const struct iovec *iov,
                         int iovcnt, struct fault *f)
    __attribute__((warn_unused_result));

/* Record part e of data-set id, replacing an earlier part n. Returns 0, or
 * -1 with f set. */
int parts_record(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                 const struct parts_entry *e, struct fault *f)
    __attribute__((warn_unused_result));

/* List data-set id's parts in ascending n into *out (malloc'd, caller
 * frees) and *n. Returns 0, or -1 with *out = NULL, *n = 0 and f set. */
int parts_list(struct store *st, struct parts_entry **out, size_t *n,
               const uint8_t id[CATALOG_ID_LEN], struct fault *f)
    __attribute__((warn_unused_result));

/* Record the n parts in e as the list that publishing data-set id takes,
 * replacing a list an earlier (failed) publish recorded. Call it in the
 * transaction that sets the data-set "publishing": the publisher ingests
 * exactly this list (parts_list_published) whatever happens to the parts
 * rows later, and GET .../parts shows it from then on. Returns 0, or -1
 * with f set. */
int parts_record_published(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                           const struct parts_entry *e, size_t n,
                           struct fault *f) __attribute__((warn_unused_result));

/* List the parts recorded by data-set id's last publish, ascending n, into
 * *out (malloc'd, caller frees; received_at is 0) and *n (0 when none was
 * recorded). Returns 0, or -1 with *out = NULL, *n = 0 and f set. */
int parts_list_published(struct store *st, struct parts_entry **out,
                         size_t *n, const uint8_t id[CATALOG_ID_LEN],
                         struct fault *f) __attribute__((warn_unused_result));

/* Remove the part files of data-set id that no row names (all of them
 * when drop_all). Returns 0, or -1 with f set. */
int parts_sweep(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                int drop_all, struct fault *f)
    __attribute__((warn_unused_result));

/* A reader over parts 1..n in order, for ingest_run: each part's bytes
 * are checked against its recorded size and SHA-256 as they are read. */
struct parts_reader;

/* Open a reader over the n parts in e (which must be 1..n with no gap;
 * e is copied). Returns 0 with *out set, or -1 with *out = NULL and f
 * set (FAULT_CONFLICT naming "parts" for a gap). */
int parts_reader_open(struct parts_reader **out, struct store *st,
                      const uint8_t id[CATALOG_ID_LEN],
                      const struct parts_entry *e, size_t n, struct fault *f)
    __attribute__((warn_unused_result));

/* The ingest_read_fn of a parts reader (arg is the struct parts_reader). */
int parts_reader_read(void *arg, uint8_t *buf, size_t cap, size_t *got,
                      struct fault *f);

/* Close r. r may be NULL. */
void parts_reader_close(struct parts_reader *r);

#endif
