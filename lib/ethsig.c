#include "lib/ethsig.h"

#include <secp256k1_recovery.h>
#include <stdio.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/keccak.h"
#include "lib/secp.h"
#include "lib/secret.h"

#define ETHSIG_PREFIX "\x19" "Ethereum Signed Message:\n"

/* The order n of secp256k1 and n/2 (rounded down), big-endian. */
static const uint8_t ethsig_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
    0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};
static const uint8_t ethsig_half_n[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
    0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};

/* Public values, so a plain comparison: big-endian a < b, a <= b. */
static int ethsig_be_cmp(const uint8_t a[32], const uint8_t b[32])
{
    return memcmp(a, b, 32);
}

static int ethsig_is_zero(const uint8_t a[32])
{
    uint8_t acc = 0;

    for (size_t i = 0; i < 32; i++)
        acc |= a[i];
    return acc == 0;
}

void ethsig_personal_hash(uint8_t out[32], const uint8_t *msg, size_t len)
{
    struct keccak256_ctx ctx;
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%zu", len);

    keccak256_init(&ctx);
    keccak256_update(&ctx, (const uint8_t *)ETHSIG_PREFIX,
                     sizeof ETHSIG_PREFIX - 1);
    keccak256_update(&ctx, (const uint8_t *)digits, (size_t)n);
    keccak256_update(&ctx, msg, len);
    keccak256_final(&ctx, out);
}

int ethsig_sign_hash(uint8_t sig[ETHSIG_LEN], const struct ethkey *key,
                     const uint8_t hash[32], struct fault *f)
{
    const secp256k1_context *ctx = secp_context();
    secp256k1_ecdsa_recoverable_signature rsig;
    int recid = -1;
    int rv = -1;

    if (ctx == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "no secp256k1 context");
        goto done;
    }
    /* NULL nonce function: RFC 6979, deterministic; the result is low-s. */
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rsig, hash, key->secret,
                                          NULL, NULL)) {
        fault_set(f, FAULT_INVALID, NULL, "the private key cannot sign");
        goto done;
    }
    if (!secp256k1_ecdsa_recoverable_signature_serialize_compact(
            ctx, sig, &recid, &rsig) ||
        recid < 0 || recid > 3) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot serialize a signature");
        goto done;
    }
    /* Recovery ids 2 and 3 (r >= n - p) never happen in practice, and
     * Ethereum's v cannot carry them. */
    if (recid > 1) {
        fault_set(f, FAULT_INTERNAL, NULL,
                  "a signature has a recovery id Ethereum cannot encode");
        goto done;
    }
    sig[64] = (uint8_t)(27 + recid);
    rv = 0;
done:
    secret_wipe(&rsig, sizeof rsig);
    if (rv != 0)
        memset(sig, 0, ETHSIG_LEN);
    return rv;
}

int ethsig_sign_personal(uint8_t sig[ETHSIG_LEN], const struct ethkey *key,
                         const uint8_t *msg, size_t len, struct fault *f)
{
    uint8_t hash[32];

    ethsig_personal_hash(hash, msg, len);
    return ethsig_sign_hash(sig, key, hash, f);
}

int ethsig_recover_hash(secp256k1_pubkey *pub, struct ethaddr *addr,
                        const uint8_t sig[ETHSIG_LEN], const uint8_t hash[32],
                        struct fault *f)
{
    const secp256k1_context *ctx = secp_context();
    secp256k1_ecdsa_recoverable_signature rsig;
    secp256k1_pubkey key;
    struct ethaddr a;
    const uint8_t *r = sig;
    const uint8_t *s = sig + 32;
    int recid;
    int rv = -1;

    memset(&key, 0, sizeof key);
    memset(&a, 0, sizeof a);
    switch (sig[64]) {
    case 0: case 27: recid = 0; break;
    case 1: case 28: recid = 1; break;
    default:
        fault_set(f, FAULT_UNAUTHORIZED, ETHSIG_FIELD,
                  "the signature's v is %u; it must be 27 or 28 (or 0 or 1)",
                  sig[64]);
        goto done;
    }
    if (ethsig_is_zero(r) || ethsig_be_cmp(r, ethsig_n) >= 0) {
        fault_set(f, FAULT_UNAUTHORIZED, ETHSIG_FIELD,
                  "the signature's r is zero or not below the curve order");
        goto done;
    }
    if (ethsig_is_zero(s) || ethsig_be_cmp(s, ethsig_n) >= 0) {
        fault_set(f, FAULT_UNAUTHORIZED, ETHSIG_FIELD,
                  "the signature's s is zero or not below the curve order");
        goto done;
    }
    if (ethsig_be_cmp(s, ethsig_half_n) > 0) {
        fault_set(f, FAULT_UNAUTHORIZED, ETHSIG_FIELD,
                  "the signature has a high s; sign with low s (s <= n/2)");
        goto done;
    }
    if (ctx == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "no secp256k1 context");
        goto done;
    }
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rsig, sig,
                                                             recid) ||
        !secp256k1_ecdsa_recover(ctx, &key, &rsig, hash)) {
        fault_set(f, FAULT_UNAUTHORIZED, ETHSIG_FIELD,
                  "no public key recovers from the signature");
        goto done;
    }
    if (ethaddr_from_pubkey(&a, &key, f) != 0)
        goto done;
    rv = 0;
done:
    if (rv != 0) {
        memset(&key, 0, sizeof key);
        memset(&a, 0, sizeof a);
    }
    if (pub != NULL)
        *pub = key;
    if (addr != NULL)
        *addr = a;
    return rv;
}

int ethsig_recover_personal(secp256k1_pubkey *pub, struct ethaddr *addr,
                            const uint8_t sig[ETHSIG_LEN], const uint8_t *msg,
                            size_t len, struct fault *f)
{
    uint8_t hash[32];

    ethsig_personal_hash(hash, msg, len);
    return ethsig_recover_hash(pub, addr, sig, hash, f);
}

int ethsig_parse(uint8_t sig[ETHSIG_LEN], const char *in, size_t inlen,
                 const char *field, struct fault *f)
{
    return hex_decode_0x(sig, ETHSIG_LEN, in, inlen, field, f);
}

void ethsig_to_text(char out[ETHSIG_TEXT_SIZE], const uint8_t sig[ETHSIG_LEN])
{
    /* Cannot fail: the buffer is exactly the right size. */
    if (hex_encode_0x(out, ETHSIG_TEXT_SIZE, sig, ETHSIG_LEN) != 0)
        out[0] = '\0';
}
