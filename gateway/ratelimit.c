#include "gateway/ratelimit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATELIMIT_SLOTS 8192
#define RATELIMIT_PROBE 16

struct ratelimit_slot {
    char address[48]; /* "" when free */
    double tokens;
    double last;
};

struct ratelimit {
    double rate, burst;
    struct ratelimit_slot slots[RATELIMIT_SLOTS];
};

int ratelimit_new(struct ratelimit **out, unsigned rate, unsigned burst,
                  struct fault *f)
{
    struct ratelimit *r = calloc(1, sizeof *r);

    *out = NULL;
    if (r == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    r->rate = rate;
    r->burst = burst > rate ? burst : rate;
    *out = r;
    return 0;
}

void ratelimit_free(struct ratelimit *r)
{
    free(r);
}

/* FNV-1a: cheap, and the table is probed, not trusted. */
static size_t ratelimit_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s)
        h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
    return (size_t)(h % RATELIMIT_SLOTS);
}

int ratelimit_take(struct ratelimit *r, const char *address, double now)
{
    struct ratelimit_slot *s = NULL, *oldest = NULL;
    size_t h, i;
    double wait;

    if (r == NULL || r->rate <= 0)
        return 0;
    h = ratelimit_hash(address);
    for (i = 0; i < RATELIMIT_PROBE; i++) {
        struct ratelimit_slot *t = &r->slots[(h + i) % RATELIMIT_SLOTS];
        if (strcmp(t->address, address) == 0) {
            s = t;
            break;
        }
        if (oldest == NULL || t->address[0] == '\0' || t->last < oldest->last)
            if (oldest == NULL || oldest->address[0] != '\0')
                oldest = t;
    }
    if (s == NULL) {
        s = oldest;
        snprintf(s->address, sizeof s->address, "%s", address);
        s->tokens = r->burst;
        s->last = now;
    }
    s->tokens += (now - s->last) * r->rate;
    if (s->tokens > r->burst)
        s->tokens = r->burst;
    s->last = now;
    if (s->tokens >= 1) {
        s->tokens -= 1;
        return 0;
    }
    wait = (1 - s->tokens) / r->rate;
    return wait < 1 ? 1 : (int)(wait + 0.999);
}
