#include "pricing/audit.h"

#include <inttypes.h>
#include <stddef.h>
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

/* The lines of an entry after the first, in order: what each holds and
 * where it goes in struct audit_entry. One table for the parser, so that
 * the order lives in one place beside audit_entry_text's format. */
enum audit_kind {
    AUDIT_INDEX,  /* 1 .. 2^63 - 1 */
    AUDIT_TIME,   /* 0 .. 2^63 - 1, into an int64_t */
    AUDIT_HEX32,  /* 0x + 64 hex digits */
    AUDIT_HEX16,  /* 0x + 32 hex digits */
    AUDIT_ADDR,   /* an address */
    AUDIT_CHUNKS, /* ascending decimals joined by ",", or nothing */
    AUDIT_UNITS   /* 0 .. 2^63 - 1 */
};

static const struct audit_field {
    const char *name;
    enum audit_kind kind;
    size_t offset;
} audit_fields[] = {
    {"index", AUDIT_INDEX, offsetof(struct audit_entry, index)},
    {"prev", AUDIT_HEX32, offsetof(struct audit_entry, prev)},
    {"time", AUDIT_TIME, offsetof(struct audit_entry, time)},
    {"gateway", AUDIT_ADDR, offsetof(struct audit_entry, gateway)},
    {"dataset", AUDIT_HEX32, offsetof(struct audit_entry, dataset_id)},
    {"worker", AUDIT_ADDR, offsetof(struct audit_entry, worker)},
    {"query", AUDIT_HEX16, offsetof(struct audit_entry, query_id)},
    {"chunks", AUDIT_CHUNKS, 0},
    {"cost", AUDIT_UNITS, offsetof(struct audit_entry, cost)},
    {"balance_after", AUDIT_UNITS,
     offsetof(struct audit_entry, balance_after)},
    {"credited_total", AUDIT_UNITS,
     offsetof(struct audit_entry, credited_total)},
    {"spent_total", AUDIT_UNITS, offsetof(struct audit_entry, spent_total)},
};

#define AUDIT_NFIELDS (sizeof audit_fields / sizeof audit_fields[0])

/* Decimal digits without a leading zero (but "0"), at most max. */
static int audit_u64(uint64_t *out, const char *v, size_t n, uint64_t max)
{
    uint64_t x = 0, d;
    size_t i;

    *out = 0;
    if (n == 0 || (n > 1 && v[0] == '0'))
        return -1;
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        d = (uint64_t)(v[i] - '0');
        if (x > (max - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

/* Parse the chunks line's value v[0..n) into a new array *out of *count
 * indexes (NULL and 0 when the line is empty). Returns 0, -1 when the
 * value is bad, -2 when out of memory. */
static int audit_chunks(uint64_t **out, size_t *count, const char *v,
                        size_t n)
{
    const char *p = v, *end = v + n, *comma;
    uint64_t *c;
    size_t k = 1, i;

    *out = NULL;
    *count = 0;
    if (n == 0)
        return 0;
    for (i = 0; i < n; i++)
        k += v[i] == ',';
    c = calloc(k, sizeof *c);
    if (c == NULL)
        return -2;
    for (i = 0; i < k; i++) {
        comma = memchr(p, ',', (size_t)(end - p));
        if (comma == NULL)
            comma = end;
        if (audit_u64(&c[i], p, (size_t)(comma - p), UINT64_MAX) < 0 ||
            (i > 0 && c[i] <= c[i - 1])) {
            free(c);
            return -1;
        }
        p = comma + 1;
    }
    *out = c;
    *count = k;
    return 0;
}

/* Read value v[0..n) of a line of kind k into dst. Returns 0 or -1. */
static int audit_value(void *dst, enum audit_kind k, const char *v, size_t n)
{
    struct fault ignored;
    uint64_t x;

    switch (k) {
    case AUDIT_INDEX:
        if (audit_u64(&x, v, n, (uint64_t)INT64_MAX) < 0 || x == 0)
            return -1;
        memcpy(dst, &x, sizeof x);
        return 0;
    case AUDIT_UNITS:
        if (audit_u64(&x, v, n, (uint64_t)INT64_MAX) < 0)
            return -1;
        memcpy(dst, &x, sizeof x);
        return 0;
    case AUDIT_TIME: {
        int64_t t;

        if (audit_u64(&x, v, n, (uint64_t)INT64_MAX) < 0)
            return -1;
        t = (int64_t)x;
        memcpy(dst, &t, sizeof t);
        return 0;
    }
    case AUDIT_HEX32:
        return hex_decode_0x(dst, 32, v, n, "audit", &ignored);
    case AUDIT_HEX16:
        return hex_decode_0x(dst, 16, v, n, "audit", &ignored);
    case AUDIT_ADDR:
        return ethaddr_parse(dst, v, n, "audit", &ignored);
    case AUDIT_CHUNKS:
        return -1; /* audit_chunks' */
    }
    return -1;
}

int audit_entry_parse(struct audit_entry *out, uint64_t **chunks,
                      const char *text, size_t len, struct fault *f)
{
    const char *p = text, *end = text + len, *nl, *v;
    char *again = NULL;
    size_t again_len, nlen, i, at, line;
    uint8_t hash[32];
    struct fault why;
    int rc;

    memset(out, 0, sizeof *out);
    *chunks = NULL;
    if (len < sizeof AUDIT_FIRST_LINE ||
        memcmp(text, AUDIT_FIRST_LINE "\n", sizeof AUDIT_FIRST_LINE) != 0)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "it does not start with " AUDIT_FIRST_LINE);
    p += sizeof AUDIT_FIRST_LINE;
    for (i = 0; i < AUDIT_NFIELDS; i++) {
        const struct audit_field *fd = &audit_fields[i];

        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL && i + 1 < AUDIT_NFIELDS) {
            fault_set(f, FAULT_CORRUPT, NULL, "it ends before its %s line",
                      audit_fields[i + 1].name);
            goto fail;
        }
        if (nl != NULL && i + 1 == AUDIT_NFIELDS) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "it goes on after its %s line", fd->name);
            goto fail;
        }
        if (nl == NULL)
            nl = end;
        nlen = strlen(fd->name);
        if ((size_t)(nl - p) < nlen + 2 || memcmp(p, fd->name, nlen) != 0 ||
            p[nlen] != ':' || p[nlen + 1] != ' ') {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "line %zu is not its %s line", i + 2, fd->name);
            goto fail;
        }
        v = p + nlen + 2;
        if (fd->kind == AUDIT_CHUNKS) {
            rc = audit_chunks(chunks, &out->nchunks, v, (size_t)(nl - v));
            out->chunks = *chunks;
            if (rc == -2) {
                fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
                goto fail;
            }
        } else {
            rc = audit_value((char *)out + fd->offset, fd->kind, v,
                             (size_t)(nl - v));
        }
        if (rc < 0) {
            fault_set(f, FAULT_CORRUPT, NULL, "its %s line is bad", fd->name);
            goto fail;
        }
        p = nl + 1;
    }
    /* Each value read back: now the text must be the one these values
     * make, or two texts (an uppercase digit, a lowercase address) would
     * say one entry with two hashes. */
    fault_clear(&why);
    if (audit_entry_text(&again, &again_len, hash, out, &why) < 0) {
        fault_set(f, why.kind == FAULT_INTERNAL ? FAULT_INTERNAL
                                                : FAULT_CORRUPT,
                  NULL, "%s", why.detail);
        goto fail;
    }
    if (again_len != len || memcmp(again, text, len) != 0) {
        for (at = 0; at < len && at < again_len && again[at] == text[at];
             at++)
            ;
        for (line = 0, i = 0; i < at; i++)
            line += text[i] == '\n';
        fault_set(f, FAULT_CORRUPT, NULL,
                  "its %s line is not written as an entry writes it",
                  line == 0 ? "first"
                  : line <= AUDIT_NFIELDS ? audit_fields[line - 1].name
                                          : "last");
        goto fail;
    }
    free(again);
    return 0;
fail:
    free(again);
    free(*chunks);
    *chunks = NULL;
    memset(out, 0, sizeof *out);
    return -1;
}

void audit_check_start(struct audit_check *c)
{
    memset(c, 0, sizeof *c);
}

int audit_check_next(struct audit_check *c, uint64_t stored_index,
                     const char *text, size_t len,
                     const uint8_t stored_hash[32], struct fault *f)
{
    static const uint8_t zeros[32];
    uint8_t hash[32];
    struct audit_entry e;
    uint64_t *chunks = NULL;
    struct fault why;
    uint64_t want = c->count + 1;
    int rv = -1;

    c->broken = 0;
    memset(&e, 0, sizeof e);
    /* Where it sits first: a gap is the first thing wrong, whatever the
     * entry after it holds. */
    if (stored_index > want) {
        c->broken = want;
        if (c->count == 0)
            fault_set(f, FAULT_CORRUPT, NULL,
                      "entry %" PRIu64 ": missing (the log starts at entry "
                      "%" PRIu64 ")", want, stored_index);
        else
            fault_set(f, FAULT_CORRUPT, NULL,
                      "entry %" PRIu64 ": missing (the log goes from entry "
                      "%" PRIu64 " to entry %" PRIu64 ")",
                      want, c->count, stored_index);
        goto done;
    }
    c->broken = stored_index;
    if (stored_index < want) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "entry %" PRIu64 ": out of order (it comes after entry "
                  "%" PRIu64 ")", stored_index, c->count);
        goto done;
    }
    SHA256((const unsigned char *)text, len, hash);
    if (memcmp(hash, stored_hash, 32) != 0) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "entry %" PRIu64 ": its hash is not the SHA-256 of its text",
                  stored_index);
        goto done;
    }
    fault_clear(&why);
    if (audit_entry_parse(&e, &chunks, text, len, &why) < 0) {
        fault_set(f, why.kind, NULL, "entry %" PRIu64 ": %s", stored_index,
                  why.detail);
        goto done;
    }
    if (e.index != stored_index) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "entry %" PRIu64 ": its text says it is entry %" PRIu64,
                  stored_index, e.index);
        goto done;
    }
    if (memcmp(e.prev, c->count == 0 ? zeros : c->last, 32) != 0) {
        if (c->count == 0)
            fault_set(f, FAULT_CORRUPT, NULL,
                      "entry %" PRIu64 ": its prev is not 32 zero bytes, "
                      "as the first entry's is", stored_index);
        else
            fault_set(f, FAULT_CORRUPT, NULL,
                      "entry %" PRIu64 ": its prev is not the hash of entry "
                      "%" PRIu64, stored_index, c->count);
        goto done;
    }
    if (e.spent_total > e.credited_total ||
        e.balance_after != e.credited_total - e.spent_total ||
        e.cost > e.spent_total) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "entry %" PRIu64 ": its amounts do not add up "
                  "(balance_after must be credited_total - spent_total, and "
                  "spent_total hold the cost)", stored_index);
        goto done;
    }
    memcpy(c->last, hash, 32);
    c->last_time = e.time;
    c->count = want;
    c->broken = 0;
    rv = 0;
done:
    free(chunks);
    return rv;
}
