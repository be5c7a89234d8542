/*
 * session: nonces and browser sessions in two bounded tables (session.h).
 *
 * A table is a ring of slots in the order they were filled, plus buckets
 * of chains over the same slots for lookups by key. The key is a SHA-256
 * (of a token, or of a nonce), so its first bytes already spread the
 * buckets evenly, and no one can aim at a bucket.
 */
#include "gateway/session.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/random.h"
#include "lib/secret.h"

struct session_slot {
    uint8_t key[32];    /* SHA-256 of the token or nonce */
    struct ethaddr who; /* sessions only */
    int64_t expires;    /* live while now < expires */
    int32_t next;       /* the next slot of the bucket, or -1 */
    uint8_t used;
};

struct session_table {
    struct session_slot *slots;
    int32_t *buckets; /* first slot of each chain, or -1 */
    size_t cap;       /* slots */
    size_t mask;      /* buckets - 1 */
    size_t tail;      /* the slot the next entry takes */
    size_t used;
};

struct session_store {
    struct session_table sessions;
    struct session_table nonces;
};

/* ---- tables ----------------------------------------------------------- */

static int session_table_init(struct session_table *t, size_t cap)
{
    size_t nb = 1, i;

    while (nb < 2 * cap)
        nb <<= 1;
    memset(t, 0, sizeof *t);
    t->slots = calloc(cap, sizeof *t->slots);
    t->buckets = malloc(nb * sizeof *t->buckets);
    if (t->slots == NULL || t->buckets == NULL)
        return -1;
    for (i = 0; i < nb; i++)
        t->buckets[i] = -1;
    t->cap = cap;
    t->mask = nb - 1;
    return 0;
}

static void session_table_free(struct session_table *t)
{
    if (t->slots != NULL)
        secret_free(t->slots, t->cap * sizeof *t->slots);
    free(t->buckets);
    memset(t, 0, sizeof *t);
}

static size_t session_bucket(const struct session_table *t,
                             const uint8_t key[32])
{
    uint64_t h;

    memcpy(&h, key, sizeof h);
    return (size_t)h & t->mask;
}

/* Take slot i out of its chain and mark it free. */
static void session_unlink(struct session_table *t, int32_t i)
{
    struct session_slot *s = &t->slots[i];
    int32_t *p = &t->buckets[session_bucket(t, s->key)];

    while (*p != -1 && *p != i)
        p = &t->slots[*p].next;
    if (*p == i)
        *p = s->next;
    secret_wipe(s, sizeof *s);
    s->next = -1;
    t->used--;
}

/* The slot holding key, or -1. */
static int32_t session_lookup(const struct session_table *t,
                              const uint8_t key[32])
{
    int32_t i = t->buckets[session_bucket(t, key)];

    for (; i != -1; i = t->slots[i].next)
        if (secret_equal(t->slots[i].key, key, 32))
            return i;
    return -1;
}

/* Put key in the next slot of the ring, ending the entry made cap
 * entries ago if it still lives. */
static void session_insert(struct session_table *t, const uint8_t key[32],
                           const struct ethaddr *who, int64_t expires)
{
    int32_t i = (int32_t)t->tail;
    struct session_slot *s = &t->slots[i];
    size_t b;

    if (s->used)
        session_unlink(t, i);
    memcpy(s->key, key, 32);
    if (who != NULL)
        s->who = *who;
    s->expires = expires;
    s->used = 1;
    b = session_bucket(t, key);
    s->next = t->buckets[b];
    t->buckets[b] = i;
    t->used++;
    t->tail = (t->tail + 1) % t->cap;
}

static void session_table_expire(struct session_table *t, int64_t now)
{
    size_t i;

    for (i = 0; i < t->cap && t->used > 0; i++)
        if (t->slots[i].used && t->slots[i].expires <= now)
            session_unlink(t, (int32_t)i);
}

/* ---- keys ------------------------------------------------------------- */

static int session_sha256(uint8_t out[32], const void *in, size_t len)
{
    unsigned int n = 0;

    return EVP_Digest(in, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32
               ? 0
               : -1;
}

/* The key of the cookie value token[0..len): SHA-256 of its 32 bytes. */
static int session_token_key(uint8_t key[32], const char *token, size_t len)
{
    uint8_t raw[32];
    int rv = -1;

    if (len != SESSION_TOKEN_TEXT_SIZE - 1 ||
        hex_decode_0x(raw, sizeof raw, token, len, "token", NULL) < 0)
        goto done;
    rv = session_sha256(key, raw, sizeof raw);
done:
    secret_wipe(raw, sizeof raw);
    return rv;
}

/* ---- the store -------------------------------------------------------- */

int session_store_new(struct session_store **out, size_t max_sessions,
                      size_t max_nonces, struct fault *f)
{
    struct session_store *s;

    *out = NULL;
    if (max_sessions == 0 || max_nonces == 0 ||
        max_sessions > INT32_MAX / 4 || max_nonces > INT32_MAX / 4)
        return fault_set(f, FAULT_INVALID, NULL,
                         "the session bounds must be from 1 to %d",
                         INT32_MAX / 4);
    s = calloc(1, sizeof *s);
    if (s == NULL ||
        session_table_init(&s->sessions, max_sessions) < 0 ||
        session_table_init(&s->nonces, max_nonces) < 0) {
        session_store_free(s);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    *out = s;
    return 0;
}

void session_store_free(struct session_store *s)
{
    if (s == NULL)
        return;
    session_table_free(&s->sessions);
    session_table_free(&s->nonces);
    free(s);
}

int session_nonce_new(struct session_store *s,
                      char out[SESSION_NONCE_LEN + 1], int64_t now,
                      struct fault *f)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t pool[64], key[32];
    size_t n = 0, k = sizeof pool;

    out[0] = '\0';
    /* Rejection sampling: bytes of 248 and above would favour the first
     * eight characters. */
    while (n < SESSION_NONCE_LEN) {
        if (k == sizeof pool) {
            if (random_bytes(pool, sizeof pool, f) < 0) {
                secret_wipe(out, SESSION_NONCE_LEN + 1);
                return -1;
            }
            k = 0;
        }
        if (pool[k] < 248)
            out[n++] = alphabet[pool[k] % 62];
        k++;
    }
    out[n] = '\0';
    secret_wipe(pool, sizeof pool);
    if (session_sha256(key, out, SESSION_NONCE_LEN) < 0) {
        out[0] = '\0';
        return fault_set(f, FAULT_INTERNAL, NULL, "sha256");
    }
    session_insert(&s->nonces, key, NULL, now + SESSION_NONCE_TTL_S);
    return 0;
}

int session_nonce_take(struct session_store *s, const char *nonce, size_t len,
                       int64_t now)
{
    uint8_t key[32];
    int32_t i;
    int live;

    if (len != SESSION_NONCE_LEN || session_sha256(key, nonce, len) < 0)
        return 0;
    i = session_lookup(&s->nonces, key);
    if (i < 0)
        return 0;
    live = now < s->nonces.slots[i].expires;
    session_unlink(&s->nonces, i);
    return live;
}

int session_open(struct session_store *s,
                 char token[SESSION_TOKEN_TEXT_SIZE], const struct ethaddr *who,
                 int64_t expires, int64_t now, struct fault *f)
{
    uint8_t raw[32], key[32];
    int rv = -1;

    token[0] = '\0';
    if (expires <= now) {
        fault_set(f, FAULT_INTERNAL, NULL, "a session that ends at once");
        goto done;
    }
    if (random_bytes(raw, sizeof raw, f) < 0)
        goto done;
    if (session_sha256(key, raw, sizeof raw) < 0 ||
        hex_encode_0x(token, SESSION_TOKEN_TEXT_SIZE, raw, sizeof raw) < 0) {
        secret_wipe(token, SESSION_TOKEN_TEXT_SIZE);
        token[0] = '\0';
        fault_set(f, FAULT_INTERNAL, NULL, "cannot make a session token");
        goto done;
    }
    session_insert(&s->sessions, key, who, expires);
    rv = 0;
done:
    secret_wipe(raw, sizeof raw);
    return rv;
}

int session_find(struct session_store *s, struct ethaddr *who,
                 int64_t *expires, const char *token, size_t len,
                 int64_t now)
{
    uint8_t key[32];
    int32_t i;

    memset(who, 0, sizeof *who);
    *expires = 0;
    if (session_token_key(key, token, len) < 0)
        return 0;
    i = session_lookup(&s->sessions, key);
    if (i < 0)
        return 0;
    if (s->sessions.slots[i].expires <= now) {
        session_unlink(&s->sessions, i);
        return 0;
    }
    *who = s->sessions.slots[i].who;
    *expires = s->sessions.slots[i].expires;
    return 1;
}

int session_close(struct session_store *s, const char *token, size_t len,
                  int64_t now)
{
    uint8_t key[32];
    int32_t i;
    int live;

    if (session_token_key(key, token, len) < 0)
        return 0;
    i = session_lookup(&s->sessions, key);
    if (i < 0)
        return 0;
    live = now < s->sessions.slots[i].expires;
    session_unlink(&s->sessions, i);
    return live;
}

void session_expire(struct session_store *s, int64_t now)
{
    session_table_expire(&s->sessions, now);
    session_table_expire(&s->nonces, now);
}

void session_counts(const struct session_store *s, size_t *sessions,
                    size_t *nonces)
{
    *sessions = s->sessions.used;
    *nonces = s->nonces.used;
}
