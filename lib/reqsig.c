#include "lib/reqsig.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"

/* RFC 9110 tchar: the characters of a method token. */
static int reqsig_is_tchar(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Return 1 if text[0..len) is decimal digits with no leading zero ("0"
 * alone is well formed), else 0. */
static int reqsig_is_decimal(const char *text, size_t len)
{
    if (len == 0 || (len > 1 && text[0] == '0'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return 0;
    return 1;
}

static int reqsig_nonce_ok(const char *text, size_t len)
{
    if (len < REQSIG_NONCE_MIN || len > REQSIG_NONCE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int reqsig_message(char **out, size_t *outlen, const char *method,
                   const char *target, size_t target_len, const uint8_t *body,
                   size_t body_len, const char *timestamp, const char *nonce,
                   struct fault *f)
{
    uint8_t digest[SHA256_DIGEST_LENGTH];

    SHA256(body_len > 0 ? body : (const uint8_t *)"", body_len, digest);
    return reqsig_message_hashed(out, outlen, method, target, target_len,
                                 digest, timestamp, nonce, f);
}

int reqsig_message_hashed(char **out, size_t *outlen, const char *method,
                          const char *target, size_t target_len,
                          const uint8_t body_sha256[32],
                          const char *timestamp, const char *nonce,
                          struct fault *f)
{
    const uint8_t *digest = body_sha256;
    char digest_hex[2 * SHA256_DIGEST_LENGTH + 1];
    size_t method_len = strlen(method);
    size_t ts_len = strlen(timestamp);
    size_t nonce_len = strlen(nonce);
    size_t first_len = sizeof REQSIG_FIRST_LINE - 1;
    size_t total;
    char *msg = NULL;
    char *p;
    int rv = -1;

    *out = NULL;
    *outlen = 0;
    if (method_len == 0) {
        fault_set(f, FAULT_INVALID, "method", "the method is empty");
        goto done;
    }
    for (size_t i = 0; i < method_len; i++) {
        if (!reqsig_is_tchar((unsigned char)method[i])) {
            fault_set(f, FAULT_INVALID, "method",
                      "the method is not an HTTP token");
            goto done;
        }
    }
    /* Line 3 is the origin-form target as sent. A line break (or any
     * control byte) in it would let one text stand for two requests. */
    if (target_len == 0 || target[0] != '/') {
        fault_set(f, FAULT_INVALID, "target",
                  "the request target must start with '/'");
        goto done;
    }
    for (size_t i = 0; i < target_len; i++) {
        unsigned char c = (unsigned char)target[i];
        if (c <= 0x20 || c == 0x7f) {
            fault_set(f, FAULT_INVALID, "target",
                      "the request target holds a space or control byte "
                      "at offset %zu", i);
            goto done;
        }
    }
    if (!reqsig_is_decimal(timestamp, ts_len) || ts_len > 19) {
        fault_set(f, FAULT_INVALID, REQSIG_HEADER_TIMESTAMP,
                  "must be unix seconds in decimal, without sign or leading "
                  "zero");
        goto done;
    }
    if (!reqsig_nonce_ok(nonce, nonce_len)) {
        fault_set(f, FAULT_INVALID, REQSIG_HEADER_NONCE,
                  "must be %d to %d characters of A-Z, a-z, 0-9, '_' and "
                  "'-'", REQSIG_NONCE_MIN, REQSIG_NONCE_MAX);
        goto done;
    }
    if (hex_encode(digest_hex, sizeof digest_hex, digest,
                   SHA256_DIGEST_LENGTH) !=
        0) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot write the body hash");
        goto done;
    }
    /* Every part is bounded except the target, which is at most a request
     * line: no overflow below unless target_len is absurd. */
    if (target_len > SIZE_MAX / 2) {
        fault_set(f, FAULT_INVALID, "target", "the request target is too "
                  "long");
        goto done;
    }
    total = first_len + 1 + method_len + 1 + target_len + 1 +
            2 * SHA256_DIGEST_LENGTH + 1 + ts_len + 1 + nonce_len;
    msg = malloc(total + 1);
    if (msg == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    p = msg;
    memcpy(p, REQSIG_FIRST_LINE, first_len);
    p += first_len;
    *p++ = '\n';
    memcpy(p, method, method_len);
    p += method_len;
    *p++ = '\n';
    memcpy(p, target, target_len);
    p += target_len;
    *p++ = '\n';
    memcpy(p, digest_hex, 2 * SHA256_DIGEST_LENGTH);
    p += 2 * SHA256_DIGEST_LENGTH;
    *p++ = '\n';
    memcpy(p, timestamp, ts_len);
    p += ts_len;
    *p++ = '\n';
    memcpy(p, nonce, nonce_len);
    p += nonce_len;
    *p = '\0';
    *out = msg;
    *outlen = total;
    msg = NULL;
    rv = 0;
done:
    free(msg);
    return rv;
}

int reqsig_check_timestamp(int64_t *ts, const char *text, size_t len,
                           int64_t now, struct fault *f)
{
    int64_t v = 0;
    int rv = -1;

    *ts = 0;
    if (!reqsig_is_decimal(text, len)) {
        fault_set(f, FAULT_UNAUTHORIZED, REQSIG_HEADER_TIMESTAMP,
                  "must be unix seconds in decimal, without sign or leading "
                  "zero");
        goto done;
    }
    for (size_t i = 0; i < len; i++) {
        int d = text[i] - '0';
        if (v > (INT64_MAX - d) / 10) {
            fault_set(f, FAULT_UNAUTHORIZED, REQSIG_HEADER_TIMESTAMP,
                      "is more than %d seconds from the gateway's clock",
                      REQSIG_WINDOW_S);
            goto done;
        }
        v = v * 10 + d;
    }
    /* |now - v| > window, written as "larger > smaller + window" so that
     * nothing wraps: when the sum would, the larger cannot exceed it. */
    if (now >= v ? (v <= INT64_MAX - REQSIG_WINDOW_S &&
                    now > v + REQSIG_WINDOW_S)
                 : (now <= INT64_MAX - REQSIG_WINDOW_S &&
                    v > now + REQSIG_WINDOW_S)) {
        fault_set(f, FAULT_UNAUTHORIZED, REQSIG_HEADER_TIMESTAMP,
                  "is more than %d seconds from the gateway's clock",
                  REQSIG_WINDOW_S);
        goto done;
    }
    *ts = v;
    rv = 0;
done:
    return rv;
}

int reqsig_check_nonce(const char *text, size_t len, struct fault *f)
{
    if (!reqsig_nonce_ok(text, len))
        return fault_set(f, FAULT_UNAUTHORIZED, REQSIG_HEADER_NONCE,
                         "must be %d to %d characters of A-Z, a-z, 0-9, '_' "
                         "and '-'", REQSIG_NONCE_MIN, REQSIG_NONCE_MAX);
    return 0;
}

int reqsig_sign(char sig_text[ETHSIG_TEXT_SIZE], const struct ethkey *key,
                const char *message, size_t len, struct fault *f)
{
    uint8_t sig[ETHSIG_LEN];

    sig_text[0] = '\0';
    if (ethsig_sign_personal(sig, key, (const uint8_t *)message, len, f) != 0)
        return -1;
    ethsig_to_text(sig_text, sig);
    return 0;
}

int reqsig_verify(secp256k1_pubkey *pub, struct ethaddr *addr,
                  const char *sig_text, size_t sig_len, const char *message,
                  size_t len, struct fault *f)
{
    uint8_t sig[ETHSIG_LEN];
    struct fault parse;

    fault_clear(&parse);
    if (ethsig_parse(sig, sig_text, sig_len, REQSIG_HEADER_SIGNATURE,
                     &parse) != 0) {
        /* A malformed header is an authentication failure (401), not a
         * bad body (400). */
        if (pub != NULL)
            memset(pub, 0, sizeof *pub);
        if (addr != NULL)
            memset(addr, 0, sizeof *addr);
        return fault_set(f, FAULT_UNAUTHORIZED, REQSIG_HEADER_SIGNATURE,
                         "%s", parse.detail);
    }
    return ethsig_recover_personal(pub, addr, sig, (const uint8_t *)message,
                                   len, f);
}
