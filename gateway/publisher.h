/*
 * publisher: publishing runs on worker threads, never on the event loop.
 *
 * A publish request puts the data-set in state "publishing" and hands its
 * id here; a worker, with its own database handle (store_clone), reads the
 * parts that publish recorded when it was accepted (parts_record_published;
 * never the parts rows as they stand later) in order, each checked against
 * its recorded size and SHA-256, and ingests them (storage/ingest.h), which
 * records progress and ends in "published" or "failed". On shutdown the
 * running ingests are cut off at their next read and end "failed"
 * ("interrupted"); their parts are kept so that the owner can publish
 * again.
 */
#ifndef SLUICE_GATEWAY_PUBLISHER_H
#define SLUICE_GATEWAY_PUBLISHER_H

#include <stdint.h>

#include "lib/fault.h"
#include "storage/store.h"

struct publisher;

/* Start threads workers (>= 1) over st; each ingest uses ingest_threads
 * compression threads (0: one per CPU). Returns 0 with *out set, or -1
 * with *out = NULL and f set. */
int publisher_start(struct publisher **out, struct store *st,
                    unsigned threads, unsigned ingest_threads,
                    struct fault *f) __attribute__((warn_unused_result));

/* Queue data-set id, which the caller has set to "publishing". Returns 0,
 * or -1 with f set (FAULT_UNAVAILABLE while stopping). */
int publisher_submit(struct publisher *p, const uint8_t id[CATALOG_ID_LEN],
                     struct fault *f) __attribute__((warn_unused_result));

/* Stop taking work and cut running ingests off. p may be NULL. */
void publisher_stop(struct publisher *p);

/* Stop, join the workers and free p. p may be NULL. */
void publisher_free(struct publisher *p);

#endif
