#include "lib/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <pthread.h>
#include <string.h>

#include "lib/log.h"
#include "lib/secret.h"

static pthread_once_t hkdf_once = PTHREAD_ONCE_INIT;
static EVP_KDF *hkdf_kdf;

/* Fetch the KDF once; each call then only makes a small EVP_KDF_CTX. */
static void hkdf_fetch(void)
{
    hkdf_kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (hkdf_kdf == NULL)
        log_error("EVP_KDF_fetch(HKDF) failed");
}

int hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm,
                size_t ikmlen, const uint8_t *salt, size_t saltlen,
                const uint8_t *info, size_t infolen, struct fault *f)
{
    /* OpenSSL wants a non-NULL pointer even for an empty key. */
    static const uint8_t empty[1];
    EVP_KDF_CTX *ctx = NULL;
    OSSL_PARAM params[5];
    size_t np = 0;
    int rv = -1;

    if (outlen == 0 || outlen > HKDF_SHA256_MAX_OUT) {
        fault_set(f, FAULT_INTERNAL, NULL,
                  "HKDF-SHA256 cannot give %zu bytes", outlen);
        goto done;
    }
    if (pthread_once(&hkdf_once, hkdf_fetch) != 0 || hkdf_kdf == NULL ||
        (ctx = EVP_KDF_CTX_new(hkdf_kdf)) == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "key derivation is not available");
        goto done;
    }
    params[np++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                                    (char *)"SHA256", 0);
    params[np++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_KEY, (void *)(ikmlen > 0 ? ikm : empty), ikmlen);
    /* An absent salt is RFC 5869's HashLen zeros, the same HMAC key as an
     * empty one; an absent info is the empty string. */
    if (saltlen > 0)
        params[np++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
    if (infolen > 0)
        params[np++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_INFO, (void *)info, infolen);
    params[np] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx, out, outlen, params) != 1) {
        log_error("EVP_KDF_derive(HKDF-SHA256) failed (ikm %zu, salt %zu, "
                  "info %zu bytes)", ikmlen, saltlen, infolen);
        fault_set(f, FAULT_INTERNAL, NULL, "key derivation failed");
        goto done;
    }
    rv = 0;
done:
    EVP_KDF_CTX_free(ctx);
    if (rv != 0 && outlen > 0)
        secret_wipe(out, outlen);
    return rv;
}
