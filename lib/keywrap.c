#include "lib/keywrap.h"

#include <secp256k1_ecdh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aead.h"
#include "lib/base64.h"
#include "lib/ethkey.h"
#include "lib/hex.h"
#include "lib/hkdf.h"
#include "lib/random.h"
#include "lib/secp.h"
#include "lib/secret.h"

#define KEYWRAP_LABEL_LEN (sizeof KEYWRAP_LABEL - 1)
#define KEYWRAP_AAD_LEN (KEYWRAP_LABEL_LEN + 32 + 16)

static void keywrap_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t keywrap_get_be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void keywrap_aad(uint8_t aad[KEYWRAP_AAD_LEN],
                        const uint8_t dataset_id[32],
                        const uint8_t query_id[16])
{
    memcpy(aad, KEYWRAP_LABEL, KEYWRAP_LABEL_LEN);
    memcpy(aad + KEYWRAP_LABEL_LEN, dataset_id, 32);
    memcpy(aad + KEYWRAP_LABEL_LEN + 32, query_id, 16);
}

/* S = SHA-256(compressed secret * point) (libsecp256k1's default ECDH
 * hash), then WK = HKDF-SHA256(S, salt = epk, info = label). Both sides of
 * the wrap meet here. */
static int keywrap_derive(uint8_t shared[32], uint8_t wk[32],
                          const secp256k1_pubkey *point,
                          const uint8_t secret[32],
                          const uint8_t epk[KEYWRAP_EPK_LEN], struct fault *f)
{
    const secp256k1_context *ctx = secp_context();

    if (ctx == NULL) {
        memset(shared, 0, 32);
        memset(wk, 0, 32);
        return fault_set(f, FAULT_INTERNAL, NULL, "no secp256k1 context");
    }
    if (!secp256k1_ecdh(ctx, shared, point, secret, NULL, NULL)) {
        /* The secret was checked by the caller: the point is at fault,
         * and points come from parsing, so this is a bug. */
        secret_wipe(shared, 32);
        memset(wk, 0, 32);
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "cannot compute an ECDH shared secret");
    }
    if (hkdf_sha256(wk, 32, shared, 32, epk, KEYWRAP_EPK_LEN,
                    (const uint8_t *)KEYWRAP_LABEL, KEYWRAP_LABEL_LEN,
                    f) != 0) {
        secret_wipe(shared, 32);
        return -1;
    }
    return 0;
}

int keywrap_seal(struct keywrap *out, struct keywrap_trace *trace,
                 const secp256k1_pubkey *worker, const uint8_t dataset_id[32],
                 const uint8_t query_id[16],
                 const struct keywrap_entry *entries, size_t n,
                 const uint8_t *ephemeral_secret, const uint8_t *nonce,
                 struct fault *f)
{
    struct ethkey eph;
    uint8_t shared[32];
    uint8_t wk[32];
    uint8_t aad[KEYWRAP_AAD_LEN];
    uint8_t *pt = NULL;
    size_t ptlen = 0;
    int rv = -1;

    memset(out, 0, sizeof *out);
    if (trace != NULL)
        memset(trace, 0, sizeof *trace);
    memset(&eph, 0, sizeof eph);
    memset(shared, 0, sizeof shared);
    memset(wk, 0, sizeof wk);
    for (size_t i = 1; i < n; i++) {
        if (entries[i].index <= entries[i - 1].index) {
            fault_set(f, FAULT_INVALID, NULL,
                      "chunk keys to wrap must be strictly ascending by "
                      "index (entry %zu is not)", i);
            goto done;
        }
    }
    if (n > (SIZE_MAX - AEAD_TAG_LEN) / KEYWRAP_ENTRY_LEN) {
        fault_set(f, FAULT_INTERNAL, NULL, "too many chunk keys to wrap");
        goto done;
    }
    ptlen = n * KEYWRAP_ENTRY_LEN;
    /* secp256k1_ecdh does not refuse an unset (zeroed) point: it computes
     * garbage. Serializing it is the check that does refuse it. */
    if (ethkey_pubkey_serialize(out->epk, worker) != 0) {
        fault_set(f, FAULT_INTERNAL, NULL,
                  "the worker's public key is not a valid point");
        goto done;
    }

    if (ephemeral_secret != NULL) {
        if (ethkey_from_secret(&eph, ephemeral_secret, f) != 0)
            goto done;
    } else if (ethkey_generate(&eph, f) != 0) {
        goto done;
    }
    if (ethkey_pubkey_serialize(out->epk, &eph.pub) != 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot serialize a public key");
        goto done;
    }
    if (nonce != NULL)
        memcpy(out->nonce, nonce, KEYWRAP_NONCE_LEN);
    else if (random_bytes(out->nonce, KEYWRAP_NONCE_LEN, f) != 0)
        goto done;
    if (keywrap_derive(shared, wk, worker, eph.secret, out->epk, f) != 0)
        goto done;

    /* One buffer: the plaintext is laid out in it and sealed in place. */
    out->ciphertext_len = ptlen + AEAD_TAG_LEN;
    out->ciphertext = malloc(out->ciphertext_len);
    if (out->ciphertext == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    pt = out->ciphertext;
    for (size_t i = 0; i < n; i++) {
        keywrap_put_be64(pt + i * KEYWRAP_ENTRY_LEN, entries[i].index);
        memcpy(pt + i * KEYWRAP_ENTRY_LEN + 8, entries[i].ck, 32);
    }
    if (trace != NULL) {
        memcpy(trace->shared_secret, shared, 32);
        memcpy(trace->wk, wk, 32);
        if (ptlen > 0) {
            trace->plaintext = malloc(ptlen);
            if (trace->plaintext == NULL) {
                fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
                goto done;
            }
            memcpy(trace->plaintext, pt, ptlen);
            trace->plaintext_len = ptlen;
        }
    }
    keywrap_aad(aad, dataset_id, query_id);
    if (aead_seal(out->ciphertext, wk, out->nonce, aad, sizeof aad, pt, ptlen,
                  f) != 0)
        goto done;
    rv = 0;
done:
    ethkey_wipe(&eph);
    secret_wipe(shared, sizeof shared);
    secret_wipe(wk, sizeof wk);
    if (rv != 0) {
        if (out->ciphertext != NULL)
            secret_wipe(out->ciphertext, out->ciphertext_len);
        keywrap_clear(out);
        keywrap_trace_clear(trace);
    }
    return rv;
}

int keywrap_open(struct keywrap_entry **entries, size_t *n,
                 const struct keywrap *w, const uint8_t worker_secret[32],
                 const uint8_t dataset_id[32], const uint8_t query_id[16],
                 struct fault *f)
{
    const secp256k1_context *ctx = secp_context();
    secp256k1_pubkey epk;
    uint8_t shared[32];
    uint8_t wk[32];
    uint8_t aad[KEYWRAP_AAD_LEN];
    uint8_t *pt = NULL;
    size_t ptlen = 0;
    size_t count = 0;
    struct keywrap_entry *list = NULL;
    int rv = -1;

    *entries = NULL;
    *n = 0;
    memset(shared, 0, sizeof shared);
    memset(wk, 0, sizeof wk);
    if (ctx == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "no secp256k1 context");
        goto done;
    }
    if (!secp256k1_ec_seckey_verify(ctx, worker_secret)) {
        fault_set(f, FAULT_INVALID, NULL,
                  "a private key must be non-zero and below the curve "
                  "order");
        goto done;
    }
    if (!secp256k1_ec_pubkey_parse(ctx, &epk, w->epk, KEYWRAP_EPK_LEN)) {
        fault_set(f, FAULT_CORRUPT, "keys.epk",
                  "the key wrap's ephemeral key is not a point on "
                  "secp256k1");
        goto done;
    }
    if (w->ciphertext == NULL || w->ciphertext_len < AEAD_TAG_LEN ||
        (w->ciphertext_len - AEAD_TAG_LEN) % KEYWRAP_ENTRY_LEN != 0) {
        fault_set(f, FAULT_CORRUPT, "keys.ciphertext",
                  "the key wrap's ciphertext has a length that no list of "
                  "keys gives");
        goto done;
    }
    ptlen = w->ciphertext_len - AEAD_TAG_LEN;
    if (keywrap_derive(shared, wk, &epk, worker_secret, w->epk, f) != 0)
        goto done;
    /* malloc(0) may return NULL: keep one byte for an empty list. */
    pt = malloc(ptlen > 0 ? ptlen : 1);
    if (pt == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    keywrap_aad(aad, dataset_id, query_id);
    if (aead_open(pt, wk, w->nonce, aad, sizeof aad, w->ciphertext,
                  w->ciphertext_len, f) != 0) {
        if (f != NULL && f->kind == FAULT_CORRUPT)
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the key wrap does not open with this key for this "
                      "data-set and query");
        goto done;
    }
    count = ptlen / KEYWRAP_ENTRY_LEN;
    if (count > 0) {
        list = calloc(count, sizeof *list);
        if (list == NULL) {
            fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < count; i++) {
        list[i].index = keywrap_get_be64(pt + i * KEYWRAP_ENTRY_LEN);
        memcpy(list[i].ck, pt + i * KEYWRAP_ENTRY_LEN + 8, 32);
        if (i > 0 && list[i].index <= list[i - 1].index) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the key wrap's entries are not in ascending order");
            goto done;
        }
    }
    *entries = list;
    *n = count;
    list = NULL;
    rv = 0;
done:
    keywrap_entries_free(list, count);
    secret_free(pt, ptlen > 0 ? ptlen : 1);
    secret_wipe(shared, sizeof shared);
    secret_wipe(wk, sizeof wk);
    return rv;
}

void keywrap_entries_free(struct keywrap_entry *entries, size_t n)
{
    secret_free(entries, n * sizeof *entries);
}

void keywrap_clear(struct keywrap *w)
{
    if (w == NULL)
        return;
    free(w->ciphertext);
    memset(w, 0, sizeof *w);
}

void keywrap_trace_clear(struct keywrap_trace *t)
{
    if (t == NULL)
        return;
    secret_free(t->plaintext, t->plaintext_len);
    secret_wipe(t, sizeof *t);
}

int keywrap_to_json(json_t **out, const struct keywrap *w, struct fault *f)
{
    char epk[2 * KEYWRAP_EPK_LEN + 3];
    char nonce[2 * KEYWRAP_NONCE_LEN + 3];
    char *ct = NULL;
    size_t ctcap;
    json_t *j = NULL;
    int rv = -1;

    *out = NULL;
    if (w->ciphertext_len > 0 && w->ciphertext == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "a key wrap has no ciphertext");
        goto done;
    }
    ctcap = base64_encoded_len(w->ciphertext_len) + 1;
    ct = malloc(ctcap);
    if (ct == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (hex_encode_0x(epk, sizeof epk, w->epk, KEYWRAP_EPK_LEN) != 0 ||
        hex_encode_0x(nonce, sizeof nonce, w->nonce, KEYWRAP_NONCE_LEN) !=
            0 ||
        base64_encode(ct, ctcap, w->ciphertext, w->ciphertext_len) != 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot encode a key wrap");
        goto done;
    }
    j = json_pack("{s:s, s:s, s:s, s:s}", "alg", KEYWRAP_ALG, "epk", epk,
                  "nonce", nonce, "ciphertext", ct);
    if (j == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    *out = j;
    rv = 0;
done:
    free(ct);
    return rv;
}

/* Return the string member key of j as *s and *len, or fail naming it. */
static int keywrap_json_string(const char **s, size_t *len, const json_t *j,
                               const char *key, const char *field,
                               struct fault *f)
{
    const json_t *v = json_object_get(j, key);

    *s = NULL;
    *len = 0;
    if (v == NULL)
        return fault_set(f, FAULT_INVALID, field, "is required");
    if (!json_is_string(v))
        return fault_set(f, FAULT_INVALID, field, "must be a string");
    *s = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

int keywrap_from_json(struct keywrap *out, const json_t *j, struct fault *f)
{
    const char *key;
    const json_t *value;
    const char *s;
    size_t len;
    size_t cap;
    size_t ctlen = 0;
    secp256k1_pubkey point;
    int rv = -1;

    memset(out, 0, sizeof *out);
    if (!json_is_object(j)) {
        fault_set(f, FAULT_INVALID, "keys", "must be an object");
        goto done;
    }
    /* json_object_foreach takes a non-const object but does not change
     * it. */
    json_object_foreach((json_t *)j, key, value) {
        (void)value;
        if (strcmp(key, "alg") != 0 && strcmp(key, "epk") != 0 &&
            strcmp(key, "nonce") != 0 && strcmp(key, "ciphertext") != 0) {
            char field[FAULT_FIELD_MAX];
            snprintf(field, sizeof field, "keys.%s", key);
            fault_set(f, FAULT_INVALID, field, "is not a known member");
            goto done;
        }
    }
    if (keywrap_json_string(&s, &len, j, "alg", "keys.alg", f) != 0)
        goto done;
    if (len != sizeof KEYWRAP_ALG - 1 || memcmp(s, KEYWRAP_ALG, len) != 0) {
        fault_set(f, FAULT_INVALID, "keys.alg", "must be \"%s\"",
                  KEYWRAP_ALG);
        goto done;
    }
    if (keywrap_json_string(&s, &len, j, "epk", "keys.epk", f) != 0 ||
        hex_decode_0x(out->epk, KEYWRAP_EPK_LEN, s, len, "keys.epk", f) != 0)
        goto done;
    if ((out->epk[0] != 0x02 && out->epk[0] != 0x03) ||
        ethkey_pubkey_parse(&point, out->epk, KEYWRAP_EPK_LEN, NULL) != 0) {
        fault_set(f, FAULT_INVALID, "keys.epk",
                  "is not a compressed point on secp256k1");
        goto done;
    }
    if (keywrap_json_string(&s, &len, j, "nonce", "keys.nonce", f) != 0 ||
        hex_decode_0x(out->nonce, KEYWRAP_NONCE_LEN, s, len, "keys.nonce",
                      f) != 0)
        goto done;
    if (keywrap_json_string(&s, &len, j, "ciphertext", "keys.ciphertext",
                            f) != 0)
        goto done;
    cap = base64_decoded_max(len);
    out->ciphertext = malloc(cap > 0 ? cap : 1);
    if (out->ciphertext == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (base64_decode(out->ciphertext, cap, &ctlen, s, len,
                      "keys.ciphertext", f) != 0)
        goto done;
    if (ctlen < AEAD_TAG_LEN ||
        (ctlen - AEAD_TAG_LEN) % KEYWRAP_ENTRY_LEN != 0) {
        fault_set(f, FAULT_INVALID, "keys.ciphertext",
                  "must be %d bytes of tag after 40 bytes per key, not %zu "
                  "bytes", AEAD_TAG_LEN, ctlen);
        goto done;
    }
    out->ciphertext_len = ctlen;
    rv = 0;
done:
    if (rv != 0)
        keywrap_clear(out);
    return rv;
}
