#include "lib/ethkey.h"

#include <string.h>

#include "lib/random.h"
#include "lib/secp.h"
#include "lib/secret.h"

/* How many random draws ethkey_generate makes before giving up. A draw is
 * invalid with probability about 2^-128, so a second failure means the
 * generator is broken, not unlucky. */
#define ETHKEY_GENERATE_TRIES 4

int ethkey_from_secret(struct ethkey *out, const uint8_t secret[32],
                       struct fault *f)
{
    const secp256k1_context *ctx = secp_context();
    uint8_t copy[ETHKEY_SECRET_LEN];
    int rv = -1;

    /* Copy first: secret may be out->secret, which is cleared next. */
    memcpy(copy, secret, sizeof copy);
    memset(out, 0, sizeof *out);
    if (ctx == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "no secp256k1 context");
        goto done;
    }
    if (!secp256k1_ec_seckey_verify(ctx, copy)) {
        fault_set(f, FAULT_INVALID, NULL,
                  "a private key must be non-zero and below the curve "
                  "order");
        goto done;
    }
    memcpy(out->secret, copy, ETHKEY_SECRET_LEN);
    if (!secp256k1_ec_pubkey_create(ctx, &out->pub, out->secret)) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot compute a public key");
        goto done;
    }
    if (ethaddr_from_pubkey(&out->addr, &out->pub, f) != 0)
        goto done;
    rv = 0;
done:
    secret_wipe(copy, sizeof copy);
    if (rv != 0)
        ethkey_wipe(out);
    return rv;
}

int ethkey_generate(struct ethkey *out, struct fault *f)
{
    uint8_t secret[ETHKEY_SECRET_LEN];
    struct fault inner;
    int rv = -1;

    memset(out, 0, sizeof *out);
    for (int i = 0; i < ETHKEY_GENERATE_TRIES; i++) {
        fault_clear(&inner);
        if (random_bytes(secret, sizeof secret, f) != 0)
            goto done;
        if (ethkey_from_secret(out, secret, &inner) == 0) {
            rv = 0;
            goto done;
        }
        if (inner.kind != FAULT_INVALID) {
            if (f != NULL)
                *f = inner;
            goto done;
        }
    }
    fault_set(f, FAULT_INTERNAL, NULL,
              "the random number generator gave no valid private key");
done:
    secret_wipe(secret, sizeof secret);
    if (rv != 0)
        ethkey_wipe(out);
    return rv;
}

void ethkey_wipe(struct ethkey *k)
{
    if (k != NULL)
        secret_wipe(k, sizeof *k);
}

int ethkey_pubkey_serialize(uint8_t out[33], const secp256k1_pubkey *pub)
{
    const secp256k1_context *ctx = secp_context();
    size_t len = ETHKEY_PUBKEY_LEN;

    if (ctx == NULL ||
        !secp256k1_ec_pubkey_serialize(ctx, out, &len, pub,
                                       SECP256K1_EC_COMPRESSED) ||
        len != ETHKEY_PUBKEY_LEN) {
        memset(out, 0, ETHKEY_PUBKEY_LEN);
        return -1;
    }
    return 0;
}

int ethkey_pubkey_parse(secp256k1_pubkey *out, const uint8_t *in,
                        size_t inlen, struct fault *f)
{
    const secp256k1_context *ctx = secp_context();
    int rv = -1;

    if (ctx == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "no secp256k1 context");
        goto done;
    }
    if ((inlen != 33 && inlen != 65) ||
        !secp256k1_ec_pubkey_parse(ctx, out, in, inlen)) {
        fault_set(f, FAULT_INVALID, NULL,
                  "a public key must be 33 or 65 bytes encoding a point on "
                  "secp256k1");
        goto done;
    }
    rv = 0;
done:
    if (rv != 0)
        memset(out, 0, sizeof *out);
    return rv;
}
