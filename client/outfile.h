/*
 * outfile: where `sluice query -o` writes its rows. The bytes go to
 * FILE.part through stdio; on success the file is made durable and
 * renamed to FILE, so that FILE is either absent, the last complete
 * answer, or this one whole; on failure FILE.part is removed, or, when
 * the output can be continued, kept for that (below).
 *
 * Durable without a long wait at the end: the device under a file may
 * hold written data in its own cache until a flush, and here a flush
 * costs in proportion to what it holds (0.65 ms a MiB: fdatasync of 256
 * MiB already written back took 0.17 s, of 1 GiB 0.67 s). So every
 * OUTFILE_SYNC_BYTES a thread of the outfile asks the kernel to write out
 * and fdatasync what is there, while the rows keep coming; the fsync at
 * the end then waits for the last few MiB only. The thread takes no CPU
 * worth counting: it waits on the device.
 *
 * Continued, not started over: the caller marks the points it could start
 * again from (outfile_mark: the end of a chunk, with its counters). Given
 * a mark file, the outfile records there the last mark whose bytes are
 * durable: the syncer after each fdatasync (so that even a kill leaves a
 * point no older than one sync step), and outfile_suspend when the caller
 * stops on a failure. A later open with the same mark file and path cuts
 * FILE.part back to that mark and appends from there. The mark file is a
 * small JSON object: {"part": absolute path of FILE.part, "bytes",
 * "chunks", "rows", "row_bytes"}; one that cannot be read, names another
 * file, or points past the end of FILE.part is not followed.
 *
 * Writing to standard output ("-" or no -o) is the same calls with no
 * file, no thread, no marks and no rename.
 */
#ifndef SLUICE_CLIENT_OUTFILE_H
#define SLUICE_CLIENT_OUTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define OUTFILE_SYNC_BYTES ((size_t)8 << 20)

struct outfile;

/* A point the output can be continued from: the bytes of the file up to
 * there, and the caller's counters at that point. */
struct outfile_mark {
    uint64_t bytes;     /* of FILE.part */
    uint64_t chunks;    /* the caller's: chunks written whole */
    uint64_t rows;      /* rows written */
    uint64_t row_bytes; /* their bytes */
};

/* Open FILE.part for path, or standard output when path is NULL or "-".
 * mark_path (NULL: none; ignored for standard output) is the mark file;
 * when it holds a mark for this FILE.part with bytes > 0 and chunks > 0
 * that the file still holds, FILE.part is cut back to it and continued
 * and *at is that mark; otherwise FILE.part starts empty and *at is
 * zeroed. Returns 0 with *out set; on failure -1 with *out = NULL, *at
 * zeroed and f set (FAULT_INVALID naming "-o" for a path too long,
 * FAULT_IO when it cannot be created or cut back). */
int outfile_open(struct outfile **out, const char *path,
                 const char *mark_path, struct outfile_mark *at,
                 struct fault *f) __attribute__((warn_unused_result));

/* Append p[0..n). Returns 0, or -1 with f set (FAULT_IO naming "-o"). */
int outfile_write(struct outfile *o, const void *p, size_t n,
                  struct fault *f) __attribute__((warn_unused_result));

/* Send what outfile_write buffered to the file, before writes at places
 * (outfile_pwrite). Returns 0, or -1 with f set. */
int outfile_flush(struct outfile *o, struct fault *f)
    __attribute__((warn_unused_result));

/* Write p[0..n) at byte off of FILE.part (not standard output), after
 * what outfile_write wrote has been flushed (outfile_flush) and never
 * mixed with it after: safe from several threads at once, each writing
 * its own place. Returns 0, or -1 with f set (FAULT_IO naming "-o"). */
int outfile_pwrite(struct outfile *o, uint64_t off, const void *p,
                   size_t n, struct fault *f)
    __attribute__((warn_unused_result));

/* As outfile_mark, with m->bytes given: the file holds every byte before
 * it, written (for writes at places, the caller knows). Safe from several
 * threads at once. */
void outfile_mark_at(struct outfile *o, const struct outfile_mark *m);

/* Mark the output written so far as a point to continue from, with the
 * caller's counters in *m (m->bytes is ignored: it is what was written).
 * Cheap: nothing is written until a sync or outfile_suspend. */
void outfile_mark(struct outfile *o, const struct outfile_mark *m);

/* Flush, and have the syncer make what was written durable now, without
 * waiting: for a caller with other work to do before outfile_commit,
 * whose fsync then waits for less. Returns 0, or -1 with f set. */
int outfile_sync_now(struct outfile *o, struct fault *f)
    __attribute__((warn_unused_result));

/* Flush, make durable and rename into place (standard output: flush), and
 * remove the mark file. Returns 0; on failure -1 with f set, FILE.part
 * and the mark file removed and FILE as it was. Either way o is freed. */
int outfile_commit(struct outfile *o, struct fault *f)
    __attribute__((warn_unused_result));

/* Stop, keeping FILE.part to be continued up to the last mark: flush,
 * make durable and record the mark. Returns 1 when it was kept; 0 when
 * there is nothing to continue (no mark file, no mark yet, or the flush
 * failed), and then it did what outfile_abort does. o may be NULL (0);
 * o is freed. */
int outfile_suspend(struct outfile *o);

/* Give up: close and remove FILE.part and the mark file. o may be NULL;
 * o is freed. */
void outfile_abort(struct outfile *o);

/* The bytes of the file written through outfile_write so far (with those
 * of a file continued). */
uint64_t outfile_size(const struct outfile *o);

/* The name rows are written to, for messages: the path, or "stdout". */
const char *outfile_name(const struct outfile *o);

#endif
