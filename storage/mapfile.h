/*
 * mapfile: a regular file mapped read-only, so that ingest splits, seals
 * and hashes its bytes where the page cache holds them, with no copy.
 *
 * The mapping is followed by at least one readable page of zeros, so that
 * a scanner that reads a few bytes past the end of the data (the
 * splitter's 16-byte loads) stays inside it, whatever the file's size.
 * Pages behind the reader are let go (mapfile_release), so that resident
 * memory stays bounded by what is still in use, not by the file's size.
 *
 * A file that shrinks while it is mapped makes the next access to the lost
 * pages raise SIGBUS: map only files that no one truncates (the caller
 * decides; cmd_ingest turns the signal into a clear message).
 */
#ifndef SLUICE_STORAGE_MAPFILE_H
#define SLUICE_STORAGE_MAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

struct mapfile;

/* Map the regular file open at fd, all of it as fstat sees it now (at
 * least 1 byte). Returns 0 with *out set; on failure -1 with *out = NULL
 * and f set: FAULT_INVALID (field "file") when fd is not a regular file
 * or is empty, FAULT_IO when it cannot be mapped. fd may be closed after. */
int mapfile_open(struct mapfile **out, int fd, struct fault *f)
    __attribute__((warn_unused_result));

/* The mapped bytes: returns their address and sets *len (both valid until
 * mapfile_close). */
const uint8_t *mapfile_data(const struct mapfile *m, size_t *len);

/* Ask for the pages of [off, off + n) to be mapped now, in one call rather
 * than one fault each. A hint: failures are ignored. */
void mapfile_prefetch(struct mapfile *m, size_t off, size_t n);

/* Let go of the pages wholly before offset upto: nothing will read them
 * again (a later read would still see the file's bytes). */
void mapfile_release(struct mapfile *m, size_t upto);

/* Unmap m. m may be NULL. */
void mapfile_close(struct mapfile *m);

#endif
