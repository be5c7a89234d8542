/*
 * upload: send a file as the parts of a draft data-set (DESIGN.md 3.9,
 * PUT /v1/datasets/<id>/parts/<n>), resumably.
 *
 * A data-set that is published or being published is refused at once.
 * The file is cut into parts of part_size bytes (the last one shorter; an
 * empty file is one empty part). First the parts the gateway already holds
 * are listed (GET .../parts, signed); a part whose size and SHA-256 match
 * the file's is skipped, so that a rerun after an interruption sends only
 * what is missing. Parts the gateway holds beyond the file's last (left by
 * an earlier upload with a smaller part size or a longer file) are
 * replaced by empty parts, since publishing joins every part. A part that
 * fails for a reason worth retrying (the connection, a 5xx) is sent again
 * with the same nonce after a pause that doubles each time; every answer
 * is checked against the part's size and hash. Only one part is held in
 * memory at a time.
 */
#ifndef SLUICE_CLIENT_UPLOAD_H
#define SLUICE_CLIENT_UPLOAD_H

#include <stdint.h>
#include <stdio.h>

#include "client/api.h"
#include "lib/fault.h"

#define UPLOAD_PARTS_MAX 100000 /* the gateway's highest part number */
#define UPLOAD_PART_DEFAULT ((uint64_t)16 << 20)

struct upload_opts {
    uint64_t part_size;   /* bytes, >= 1 */
    unsigned retries;     /* extra tries of a failed part */
    unsigned backoff_ms;  /* the first pause; doubles each time */
    uint64_t limit_rate;  /* bytes per second at most; 0: no limit */
    FILE *progress;       /* where progress goes; NULL: nowhere */
    int tty;              /* draw a bar on progress rather than lines */
};

struct upload_stats {
    uint64_t parts;       /* parts of the file */
    uint64_t sent;        /* parts sent by this run */
    uint64_t skipped;     /* parts already there */
    uint64_t blanked;     /* parts beyond the file emptied */
    uint64_t retried;     /* tries that failed and were retried */
    uint64_t bytes;       /* the file's size */
    uint64_t bytes_sent;  /* bytes of parts sent by this run */
};

/* Upload the file at path as data-set id (text, "0x" + 64 hex digits)
 * through a (which must hold the owner's key). Returns 0 with *st filled;
 * on failure -1 with f set (the file cannot be read, too many parts for
 * part_size, the gateway refused or failed past the retries, or its
 * answer disagrees with the part sent) and *st saying how far it got. */
int upload_file(struct api *a, struct upload_stats *st, const char *id,
                const char *path, const struct upload_opts *o,
                struct fault *f) __attribute__((warn_unused_result));

#endif
