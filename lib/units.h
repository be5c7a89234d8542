/*
 * units: byte counts as people write them on command lines ("4194304",
 * "4M", "64MiB"): decimal digits with an optional binary suffix K, M or G
 * (optionally followed by "B" or "iB").
 */
#ifndef SLUICE_LIB_UNITS_H
#define SLUICE_LIB_UNITS_H

#include <stdint.h>

#include "lib/fault.h"

/* Parse text as a byte count between min and max. Returns 0 with *out
 * set; on failure -1 with *out = 0 and f (FAULT_INVALID) naming option:
 * not a number, an unknown suffix, too large, or out of range. */
int units_parse_size(uint64_t *out, const char *text, uint64_t min,
                     uint64_t max, const char *option, struct fault *f)
    __attribute__((warn_unused_result));

#endif
