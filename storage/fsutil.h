/*
 * fsutil: the few file-system steps that durability rests on, each with
 * its error mapped to a fault: full writes and reads across short counts
 * and EINTR, fsync of a file and of the folder that names it, and the
 * creation of folders.
 */
#ifndef SLUICE_STORAGE_FSUTIL_H
#define SLUICE_STORAGE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

/* Write all len bytes of buf to fd. Returns 0, or -1 with f set
 * (FAULT_IO; "the disk is full" for ENOSPC). */
int fsutil_write_all(int fd, const void *buf, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Read exactly len bytes from fd into buf. Returns 0; on failure -1 with f
 * set (FAULT_IO, or FAULT_CORRUPT for a file that ends early). */
int fsutil_read_all(int fd, void *buf, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* fsync fd. Returns 0, or -1 with f set (FAULT_IO). */
int fsutil_fsync(int fd, struct fault *f) __attribute__((warn_unused_result));

/* fsync the folder that holds path, so that a create or rename in it
 * survives a power cut. Returns 0, or -1 with f set (FAULT_IO). */
int fsutil_fsync_parent(const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Create folder path with mode unless it exists as a folder. Returns 0, or
 * -1 with f set (FAULT_IO). */
int fsutil_mkdir(const char *path, unsigned mode, struct fault *f)
    __attribute__((warn_unused_result));

/* Join dir and name into out (cap bytes) with one '/'. Returns 0, or -1
 * (out set to "") when it does not fit. */
int fsutil_join(char *out, size_t cap, const char *dir, const char *name)
    __attribute__((warn_unused_result));

#endif
