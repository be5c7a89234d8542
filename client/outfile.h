/*
 * outfile: where `sluice query -o FILE` writes its rows. The bytes go to
 * FILE.part through stdio; on success the file is made durable and
 * renamed to FILE, so that FILE is either absent, the last complete
 * answer, or this one whole; on failure FILE.part is removed.
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
 * Writing to standard output ("-" or no -o) is the same calls with no
 * file, no thread and no rename.
 */
#ifndef SLUICE_CLIENT_OUTFILE_H
#define SLUICE_CLIENT_OUTFILE_H

#include <stddef.h>

#include "lib/fault.h"

#define OUTFILE_SYNC_BYTES ((size_t)16 << 20)

struct outfile;

/* Open FILE.part for path, or standard output when path is NULL or "-".
 * Returns 0 with *out set; on failure -1 with *out = NULL and f set
 * (FAULT_INVALID naming "-o" for a path too long, FAULT_IO when it cannot
 * be created). */
int outfile_open(struct outfile **out, const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Append p[0..n). Returns 0, or -1 with f set (FAULT_IO naming "-o"). */
int outfile_write(struct outfile *o, const void *p, size_t n,
                  struct fault *f) __attribute__((warn_unused_result));

/* Flush, make durable and rename into place (standard output: flush).
 * Returns 0; on failure -1 with f set, FILE.part removed and FILE as it
 * was. Either way o is freed. */
int outfile_commit(struct outfile *o, struct fault *f)
    __attribute__((warn_unused_result));

/* Give up: close and remove FILE.part. o may be NULL; o is freed. */
void outfile_abort(struct outfile *o);

/* The name rows are written to, for messages: the path, or "stdout". */
const char *outfile_name(const struct outfile *o);

#endif
