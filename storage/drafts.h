/*
 * drafts: the data-sets still being made (states draft, uploading,
 * publishing and failed), which anyone with a key can create: what
 * bounds the disk and the rows they take.
 *
 * A draft's last activity is the latest of its creation, its last part
 * received and its last change of state or price. One left alone (draft,
 * uploading or failed) for longer than a time-to-live is abandoned:
 * drafts_expire deletes it, rows and files. One being published is never
 * touched. And an owner (the address that signed its creation) may hold
 * only so many data-sets that are not published, and so many bytes of
 * parts in them: drafts_usage says how many it holds.
 */
#ifndef SLUICE_STORAGE_DRAFTS_H
#define SLUICE_STORAGE_DRAFTS_H

#include <stdint.h>

#include "lib/fault.h"
#include "storage/catalog.h"
#include "storage/store.h"

/* The most data-sets one call of drafts_expire deletes: a call on the
 * event loop stays short; the next call goes on. */
#define DRAFTS_EXPIRE_BATCH 64

/*
 * Delete the data-sets in state draft, uploading or failed whose last
 * activity is before now - ttl_s: their rows (with their parts, tags,
 * recorded parts and any chunk rows), the objects of those chunks that no
 * other data-set names, and their folder under uploads/. A data-set with
 * a part write in flight (parts_pending_add) is left for a later call. At
 * most DRAFTS_EXPIRE_BATCH are deleted per call, oldest first; *more is
 * set when more may be due (call again). Each deletion is its own
 * transaction, so call it outside any on st's handle: when one is open
 * (a write in progress on this handle) it does nothing and returns 0.
 * For the event loop's periodic timer and the start of the gateway.
 * Returns 0 with *expired (may be NULL) the number deleted, or -1 with f
 * set (what was deleted stays deleted).
 */
int drafts_expire(struct store *st, unsigned long *expired, int *more,
                  int64_t now, uint64_t ttl_s, struct fault *f)
    __attribute__((warn_unused_result));

/* What an owner holds that is not published. */
struct drafts_usage {
    uint64_t drafts;          /* data-sets in any state but published */
    uint64_t bytes;           /* bytes of their parts' rows */
    int64_t oldest_activity;  /* the earliest last activity of those that
                                 can expire (draft, uploading, failed); 0
                                 when none can */
};

/* Count what owner (EIP-55 text) holds into *out. The part n of data-set
 * id (may be NULL) is left out of the bytes: the part a write would
 * replace. Returns 0, or -1 with *out zeroed and f set. */
int drafts_usage(struct store *st, struct drafts_usage *out,
                 const char *owner, const uint8_t *id, uint64_t n,
                 struct fault *f) __attribute__((warn_unused_result));

#endif
