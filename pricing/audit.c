#include "pricing/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "lib/hex.h"

int audit_entry_text(char **out, size_t *len, uint8_t hash[32],
                     const struct audit_entry *e, struct fault *f)
{
    char prev[67], ds[67], query[35], gw[ETHADDR_TEXT_SIZE],
        worker[ETHADDR_TEXT_SIZE];
    size_t cap, n, i;
    char *text;
    int w;

    *out = NULL;
    *len = 0;
    memset(hash, 0, 32);
    if (e->index == 0)
        return fault_set(f, FAULT_INVALID, "index",
                         "audit entries are numbered from 1");
    for (i = 1; i < e->nchunks; i++)
        if (e->chunks[i] <= e->chunks[i - 1])
            return fault_set(f, FAULT_INVALID, "chunks",
                             "an entry's chunks must be ascending");
    if (hex_encode_0x(prev, sizeof prev, e->prev, 32) < 0 ||
        hex_encode_0x(ds, sizeof ds, e->dataset_id, 32) < 0 ||
        hex_encode_0x(query, sizeof query, e->query_id, 16) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "hex");
    ethaddr_to_text(gw, &e->gateway);
    ethaddr_to_text(worker, &e->worker);
    /* 21 digits and a comma per chunk index, 512 for the rest. */
    cap = 512 + e->nchunks * 22;
    text = malloc(cap);
    if (text == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    w = snprintf(text, cap,
                 AUDIT_FIRST_LINE "\nindex: %" PRIu64 "\nprev: %s\ntime: "
                 "%" PRId64 "\ngateway: %s\ndataset: %s\nworker: %s\nquery: "
                 "%s\nchunks: ",
                 e->index, prev, e->time, gw, ds, worker, query);
    n = (size_t)w;
    for (i = 0; i < e->nchunks; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s%" PRIu64,
                              i > 0 ? "," : "", e->chunks[i]);
    n += (size_t)snprintf(text + n, cap - n,
                          "\ncost: %" PRIu64 "\nbalance_after: %" PRIu64
                          "\ncredited_total: %" PRIu64 "\nspent_total: "
                          "%" PRIu64,
                          e->cost, e->balance_after, e->credited_total,
                          e->spent_total);
    SHA256((const unsigned char *)text, n, hash);
    *out = text;
    *len = n;
    return 0;
}

size_t audit_head_text(char *out, size_t cap, uint64_t index,
                       const uint8_t hash[32], int64_t time)
{
    char h[67];
    int n;

    if (hex_encode_0x(h, sizeof h, hash, 32) < 0)
        return 0;
    n = snprintf(out, cap, AUDIT_HEAD_FIRST_LINE "\n%" PRIu64 "\n%s\n%" PRId64,
                 index, h, time);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* The value of line `name` (the k-th line, from 0) of text, or NULL. */
static const char *audit_line(const char *text, size_t len, unsigned k,
                              const char *name, size_t *vlen)
{
    const char *p = text, *end = text + len, *nl;
    size_t nlen = strlen(name);
    unsigned i;

    for (i = 0; i < k; i++) {
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return NULL;
        p = nl + 1;
    }
    nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL)
        nl = end;
    if ((size_t)(nl - p) < nlen + 2 || memcmp(p, name, nlen) != 0 ||
        p[nlen] != ':' || p[nlen + 1] != ' ')
        return NULL;
    *vlen = (size_t)(nl - p) - nlen - 2;
    return p + nlen + 2;
}

/* Decimal digits [0-9]+ without a leading zero (but "0"), at most 19. */
static int audit_decimal(uint64_t *out, const char *v, size_t n)
{
    uint64_t x = 0;
    size_t i;

    if (n == 0 || n > 19 || (n > 1 && v[0] == '0'))
        return -1;
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return 0;
}

int audit_entry_links(uint64_t *index, uint8_t prev[32], int64_t *time,
                      const char *text, size_t len, struct fault *f)
{
    const char *v;
    size_t n;
    uint64_t t;
    struct fault ignored;

    *index = 0;
    memset(prev, 0, 32);
    *time = 0;
    if (len < sizeof AUDIT_FIRST_LINE ||
        memcmp(text, AUDIT_FIRST_LINE "\n", sizeof AUDIT_FIRST_LINE) != 0)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "it does not start with " AUDIT_FIRST_LINE);
    v = audit_line(text, len, 1, "index", &n);
    if (v == NULL || audit_decimal(index, v, n) < 0 || *index == 0)
        return fault_set(f, FAULT_CORRUPT, NULL, "its index line is bad");
    v = audit_line(text, len, 2, "prev", &n);
    if (v == NULL ||
        hex_decode_0x(prev, 32, v, n, "prev", &ignored) < 0) {
        *index = 0;
        return fault_set(f, FAULT_CORRUPT, NULL, "its prev line is bad");
    }
    v = audit_line(text, len, 3, "time", &n);
    if (v == NULL || audit_decimal(&t, v, n) < 0 || t > INT64_MAX) {
        *index = 0;
        memset(prev, 0, 32);
        return fault_set(f, FAULT_CORRUPT, NULL, "its time line is bad");
    }
    *time = (int64_t)t;
    return 0;
}

void audit_check_start(struct audit_check *c)
{
    memset(c, 0, sizeof *c);
}

int audit_check_next(struct audit_check *c, uint64_t stored_index,
                     const char *text, size_t len,
                     const uint8_t stored_hash[32], struct fault *f)
{
    uint8_t hash[32], prev[32];
    uint64_t index;
    int64_t time;
    struct fault why;
    uint64_t want = c->count + 1;

    SHA256((const unsigned char *)text, len, hash);
    if (memcmp(hash, stored_hash, 32) != 0)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "entry %" PRIu64 ": its hash is not the hash of its "
                         "text", stored_index);
    fault_clear(&why);
    if (audit_entry_links(&index, prev, &time, text, len, &why) < 0)
        return fault_set(f, FAULT_CORRUPT, NULL, "entry %" PRIu64 ": %s",
                         stored_index, why.detail);
    if (stored_index != want || index != want)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "entry %" PRIu64 " is where entry %" PRIu64
                         " should be (an entry is missing or out of order)",
                         index, want);
    if (memcmp(prev, c->last, 32) != 0)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "entry %" PRIu64 ": its prev is not the hash of "
                         "entry %" PRIu64, index, c->count);
    memcpy(c->last, hash, 32);
    c->count = want;
    return 0;
}
