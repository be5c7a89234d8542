/*
 * ratelimit: requests per second per client address, as token buckets
 * (rate r, burst b). The table is bounded: when it is full, the entry
 * idle longest is reused, so a flood of addresses costs memory once.
 */
#ifndef SLUICE_GATEWAY_RATELIMIT_H
#define SLUICE_GATEWAY_RATELIMIT_H

#include "lib/fault.h"

struct ratelimit;

/* Make a limiter of rate requests per second with bursts of burst (rate 0
 * turns it off). Returns 0 with *out set, or -1 with f set. */
int ratelimit_new(struct ratelimit **out, unsigned rate, unsigned burst,
                  struct fault *f) __attribute__((warn_unused_result));

/* Free r. r may be NULL. */
void ratelimit_free(struct ratelimit *r);

/* Take one token for address at time now (seconds, monotonic). Returns 0
 * when allowed; otherwise the whole seconds to wait (>= 1). */
int ratelimit_take(struct ratelimit *r, const char *address, double now);

#endif
