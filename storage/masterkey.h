/*
 * masterkey: the gateway's master key MK (DESIGN.md 3.3), 32 raw bytes in
 * a file that only the gateway's user may read.
 *
 * It seals every data-set key, so a key file that group or others can
 * read is refused rather than used: the operator fixes the mode, and we
 * never silently run with a leaked key.
 */
#ifndef SLUICE_STORAGE_MASTERKEY_H
#define SLUICE_STORAGE_MASTERKEY_H

#include <stdint.h>

#include "lib/fault.h"

#define MASTERKEY_LEN 32

/* Load the master key from path, creating it (mode 0600, random, fsynced
 * with its folder) when the file does not exist. Returns 0 with mk filled;
 * on failure -1 with mk zeroed and f set: FAULT_INVALID when the file is
 * not a regular file, is not owned by this user, has any group or other
 * permission bit, or is not exactly 32 bytes; FAULT_IO when it cannot be
 * read or written. */
int masterkey_load_or_create(uint8_t mk[MASTERKEY_LEN], const char *path,
                             struct fault *f)
    __attribute__((warn_unused_result));

#endif
