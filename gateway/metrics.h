/*
 * metrics: counters for GET /metrics, in the Prometheus text format:
 * requests by route and status, a latency histogram by route, bytes in
 * and out. Updated on the event loop's thread only.
 */
#ifndef SLUICE_GATEWAY_METRICS_H
#define SLUICE_GATEWAY_METRICS_H

#include <stddef.h>

#include "lib/fault.h"

struct metrics;
struct evbuffer;

/* Create the counters. Returns 0 with *out set, or -1 with f set. */
int metrics_new(struct metrics **out, struct fault *f)
    __attribute__((warn_unused_result));

/* Free m. m may be NULL. */
void metrics_free(struct metrics *m);

/* Count one answered request of route (a static string) with status. */
void metrics_request(struct metrics *m, const char *route, int status,
                     size_t bytes_in, size_t bytes_out, double ms);

/* Count one group commit of n signed requests (server.c). */
void metrics_write_batch(struct metrics *m, size_t n);

/* Append the counters to out in the Prometheus text format. */
void metrics_render(const struct metrics *m, struct evbuffer *out);

#endif
