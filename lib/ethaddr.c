#include "lib/ethaddr.h"

#include <string.h>

#include "lib/hex.h"
#include "lib/keccak.h"
#include "lib/secp.h"

int ethaddr_from_pubkey(struct ethaddr *out, const secp256k1_pubkey *pub,
                        struct fault *f)
{
    const secp256k1_context *ctx = secp_context();
    uint8_t point[65];
    uint8_t digest[KECCAK256_LEN];
    size_t len = sizeof point;
    int rv = -1;

    if (ctx == NULL ||
        !secp256k1_ec_pubkey_serialize(ctx, point, &len, pub,
                                       SECP256K1_EC_UNCOMPRESSED) ||
        len != sizeof point) {
        fault_set(f, FAULT_INTERNAL, NULL,
                  "cannot serialize a public key (no secp256k1 context)");
        goto done;
    }
    /* Skip the 0x04 tag: the address hashes X || Y only. */
    keccak256(digest, point + 1, 64);
    memcpy(out->bytes, digest + KECCAK256_LEN - ETHADDR_LEN, ETHADDR_LEN);
    rv = 0;
done:
    if (rv != 0)
        memset(out, 0, sizeof *out);
    return rv;
}

/* Write the 40 checksum-cased digits of a (no prefix, no NUL) to out, from
 * its lowercase digits lower: EIP-55 uppercases the letter at position i
 * when nibble i of keccak256(lowercase hex) is 8 or more. */
static void ethaddr_checksum_case(char out[40], const char lower[40])
{
    uint8_t digest[KECCAK256_LEN];

    keccak256(digest, (const uint8_t *)lower, 40);
    for (size_t i = 0; i < 40; i++) {
        unsigned nibble = (i % 2 == 0) ? digest[i / 2] >> 4
                                       : digest[i / 2] & 0x0f;
        char c = lower[i];
        out[i] = (c >= 'a' && nibble >= 8) ? (char)(c - 'a' + 'A') : c;
    }
}

void ethaddr_to_text(char out[ETHADDR_TEXT_SIZE], const struct ethaddr *a)
{
    char lower[2 * ETHADDR_LEN + 1];

    /* Cannot fail: the buffer is exactly the right size. */
    if (hex_encode(lower, sizeof lower, a->bytes, ETHADDR_LEN) != 0) {
        out[0] = '\0';
        return;
    }
    out[0] = '0';
    out[1] = 'x';
    ethaddr_checksum_case(out + 2, lower);
    out[ETHADDR_TEXT_SIZE - 1] = '\0';
}

int ethaddr_parse(struct ethaddr *out, const char *in, size_t inlen,
                  const char *field, struct fault *f)
{
    char lower[2 * ETHADDR_LEN];
    char cased[2 * ETHADDR_LEN];
    int has_upper = 0;
    int has_lower = 0;
    int rv = -1;

    if (hex_decode_0x(out->bytes, ETHADDR_LEN, in, inlen, field, f) != 0)
        goto done;
    for (size_t i = 0; i < 2 * ETHADDR_LEN; i++) {
        char c = in[2 + i];
        if (c >= 'A' && c <= 'F') {
            has_upper = 1;
            lower[i] = (char)(c - 'A' + 'a');
        } else {
            has_lower |= (c >= 'a' && c <= 'f');
            lower[i] = c;
        }
    }
    if (has_upper && has_lower) {
        ethaddr_checksum_case(cased, lower);
        if (memcmp(cased, in + 2, sizeof cased) != 0) {
            fault_set(f, FAULT_INVALID, field,
                      "is not a valid address: mixed case with a wrong "
                      "EIP-55 checksum");
            goto done;
        }
    }
    rv = 0;
done:
    if (rv != 0)
        memset(out, 0, sizeof *out);
    return rv;
}

int ethaddr_equal(const struct ethaddr *a, const struct ethaddr *b)
{
    return memcmp(a->bytes, b->bytes, ETHADDR_LEN) == 0;
}

int ethaddr_is_zero(const struct ethaddr *a)
{
    uint8_t acc = 0;

    for (size_t i = 0; i < ETHADDR_LEN; i++)
        acc |= a->bytes[i];
    return acc == 0;
}
