/*
 * parts: the parts of a resumable upload (DESIGN.md 3.9), before publish.
 *
 * Part n of a data-set is a file under <data dir>/uploads/<id hex>/ named
 * by the SHA-256 of its bytes, and a row (n, bytes, sha256). A part is
 * written and fsynced under its content name first; the row that points
 * at it is changed in the caller's transaction; so replacing a part, or a
 * crash while doing it, never leaves a row pointing at a half-written or
 * different file.
 *
 * Files no row names are removed: the one a replaced part named as soon
 * as the new row is committed (parts_drop_file; two part numbers with the
 * same bytes share one file, which stays while either names it), a
 * part's own file when its row could not be recorded, and at the
 * gateway's start whatever a crash left (parts_recover): temporary files
 * of writes cut off, replaced files, folders of data-sets that are gone
 * or published. A file being written on another thread is "pending"
 * (parts_pending_add) until its row is recorded or refused, and no
 * clean-up removes it meanwhile.
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

/* Mark the file sha256 of data-set id as being written: until
 * parts_pending_remove, parts_drop_file, parts_sweep and
 * parts_dataset_busy leave it (and its folder) alone. Calls nest (two
 * writes of the same bytes). Safe from any thread. Returns 0, or -1 with
 * f set (out of memory). */
int parts_pending_add(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      const uint8_t sha256[32], struct fault *f)
    __attribute__((warn_unused_result));

/* Undo one parts_pending_add of the same file. */
void parts_pending_remove(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                          const uint8_t sha256[32]);

/* Return 1 if a write for data-set id is pending, else 0. */
int parts_dataset_busy(struct store *st, const uint8_t id[CATALOG_ID_LEN]);

/* Remove data-set id's part file named sha256 unless a part row of the
 * data-set names it while the data-set is not published, or a write of it
 * is pending; then remove the data-set's folder if that left it empty and
 * no write for it is pending. Call it outside any transaction that wrote
 * part rows (their rows count as written). Returns 0 (also when the file
 * was kept or was not there), or -1 with f set. */
int parts_drop_file(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                    const uint8_t sha256[32], struct fault *f)
    __attribute__((warn_unused_result));

/* What parts_recover removed. */
struct parts_recovery {
    unsigned long files;    /* part files no row named, temporary ones too */
    unsigned long folders;  /* folders of data-sets gone or published */
};

/* At start, before any part is written: remove from uploads/ every file
 * that no part row of a data-set that is not published names (the
 * temporary files of writes a crash cut off, files of replaced parts),
 * the folders of data-sets that are published or gone, and anything else
 * that is not a data-set's folder. Fills *rec (may be NULL). Returns 0,
 * or -1 with f set (what was removed stays removed). */
int parts_recover(struct store *st, struct parts_recovery *rec,
                  struct fault *f) __attribute__((warn_unused_result));

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

/* Read part n of data-set id into *out; *found says whether it exists
 * (*out is zeroed when not). Returns 0, or -1 with *found = 0 and f set. */
int parts_get(struct store *st, struct parts_entry *out, int *found,
              const uint8_t id[CATALOG_ID_LEN], uint64_t n, struct fault *f)
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
 * when drop_all, and the folder), leaving pending ones. Returns 0, or -1
 * with f set. */
int parts_sweep(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                int drop_all, struct fault *f)
    __attribute__((warn_unused_result));

/* Checking what was published against the parts it was made of: the
 * bytes of the data-set (as `sluiced export` writes them) are fed in
 * order, split at the recorded part sizes, and each piece must hash to
 * its part's recorded SHA-256. */
struct parts_stream;

/* Start a check of a stream against the n parts in e (ascending n; e is
 * copied). Returns 0 with *out set, or -1 with *out = NULL and f set (out
 * of memory). */
int parts_stream_open(struct parts_stream **out, const struct parts_entry *e,
                      size_t n, struct fault *f)
    __attribute__((warn_unused_result));

/* Feed the next len bytes of the stream. */
void parts_stream_feed(struct parts_stream *s, const uint8_t *buf,
                       size_t len);

/* End the stream. Returns 0 when it was exactly the parts, each hashing
 * to its SHA-256; else 1 with *bad the number of the first part that
 * differs and why[0..cap) a phrase saying how ("its bytes do not hash to
 * the recorded SHA-256", "the content ends inside it", "the content goes
 * on past the last part"). */
int parts_stream_end(struct parts_stream *s, uint64_t *bad, char *why,
                     size_t cap);

/* Free s. s may be NULL. */
void parts_stream_free(struct parts_stream *s);

/* What a check of part files found (parts_check_files, parts_check_strays). */
enum parts_finding {
    PARTS_FILE_MISSING, /* a part's file is absent (when it must be there) */
    PARTS_FILE_DAMAGED, /* a part's file holds other bytes than recorded */
    PARTS_FILE_STRAY    /* a file or folder under uploads/ that no part
                           names: harmless, left by a crash or a replace */
};

/* Told each finding: the part's number (0 for a stray), the name under
 * uploads/ ("<id hex>/<file>", or "<name>" at the top), and why (a
 * phrase, "" when there is nothing to add). */
typedef void (*parts_finding_fn)(void *arg, enum parts_finding what,
                                 uint64_t n, const char *name,
                                 const char *why);

/* Check data-set id's folder under uploads/ against the n parts in e:
 * a part's file, when present, must hold exactly its recorded bytes (size
 * and SHA-256); when need_all, it must be present. Files of the folder
 * that no part of e names are strays. Tell each finding to fn. Returns 0
 * whatever was found (a missing folder is no finding unless need_all),
 * or -1 with f set when a file cannot be read for a reason other than
 * its absence. */
int parts_check_files(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                      const struct parts_entry *e, size_t n, int need_all,
                      parts_finding_fn fn, void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Tell fn of each entry of uploads/ that is not the folder of a data-set
 * in the database (PARTS_FILE_STRAY). Returns 0, or -1 with f set. */
int parts_check_strays(struct store *st, parts_finding_fn fn, void *arg,
                       struct fault *f) __attribute__((warn_unused_result));

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
