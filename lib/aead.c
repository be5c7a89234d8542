#include "lib/aead.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "lib/log.h"
#include "lib/secret.h"

/* EVP takes int lengths: feed it at most this much at a time. Far below
 * INT_MAX, so that a unit test of a few hundred MiB crosses pieces; the
 * cost of one more EVP call per 64 MiB is nothing. */
#define AEAD_PIECE ((size_t)1 << 26)

static pthread_once_t aead_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *aead_cipher;

/* Fetch the cipher once: an explicit fetch spares each call the implicit
 * lookup that EVP_aes_256_gcm() costs under OpenSSL 3. */
static void aead_fetch(void)
{
    aead_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (aead_cipher == NULL)
        log_error("EVP_CIPHER_fetch(AES-256-GCM) failed");
}

static const EVP_CIPHER *aead_get_cipher(void)
{
    if (pthread_once(&aead_once, aead_fetch) != 0)
        return NULL;
    return aead_cipher;
}

/* Feed len bytes of in through ctx in int-sized pieces (out NULL: AAD). */
static int aead_update(EVP_CIPHER_CTX *ctx, int enc, uint8_t *out,
                       const uint8_t *in, size_t len)
{
    size_t done = 0;

    while (done < len) {
        size_t piece = len - done;
        int outl = 0;
        int ok;

        if (piece > AEAD_PIECE)
            piece = AEAD_PIECE;
        if (enc)
            ok = EVP_EncryptUpdate(ctx, out ? out + done : NULL, &outl,
                                   in + done, (int)piece);
        else
            ok = EVP_DecryptUpdate(ctx, out ? out + done : NULL, &outl,
                                   in + done, (int)piece);
        /* GCM is a stream mode: every byte in comes straight out. */
        if (ok != 1 || (out != NULL && (size_t)outl != piece))
            return -1;
        done += piece;
    }
    return 0;
}

int aead_seal(uint8_t *out, const uint8_t key[AEAD_KEY_LEN],
              const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *aad,
              size_t aadlen, const uint8_t *pt, size_t ptlen, struct fault *f)
{
    const EVP_CIPHER *cipher = aead_get_cipher();
    EVP_CIPHER_CTX *ctx = NULL;
    int outl = 0;
    int rv = -1;

    if (ptlen > SIZE_MAX - AEAD_TAG_LEN) {
        fault_set(f, FAULT_INTERNAL, NULL, "a plaintext is too long");
        return -1;
    }
    if (cipher == NULL || (ctx = EVP_CIPHER_CTX_new()) == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "encryption is not available");
        goto done;
    }
    if (EVP_EncryptInit_ex2(ctx, cipher, key, nonce, NULL) != 1 ||
        aead_update(ctx, 1, NULL, aad, aadlen) != 0 ||
        aead_update(ctx, 1, out, pt, ptlen) != 0 ||
        EVP_EncryptFinal_ex(ctx, out + ptlen, &outl) != 1 || outl != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN,
                            out + ptlen) != 1) {
        log_error("AES-256-GCM encryption failed");
        fault_set(f, FAULT_INTERNAL, NULL, "encryption failed");
        goto done;
    }
    rv = 0;
done:
    EVP_CIPHER_CTX_free(ctx);
    if (rv != 0)
        secret_wipe(out, ptlen + AEAD_TAG_LEN);
    return rv;
}

int aead_open(uint8_t *out, const uint8_t key[AEAD_KEY_LEN],
              const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *aad,
              size_t aadlen, const uint8_t *in, size_t inlen, struct fault *f)
{
    const EVP_CIPHER *cipher = aead_get_cipher();
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t tag[AEAD_TAG_LEN];
    uint8_t fin[AEAD_TAG_LEN];
    size_t ctlen = 0;
    int outl = 0;
    int rv = -1;

    if (inlen < AEAD_TAG_LEN) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "an encrypted message is shorter than its tag");
        return -1;
    }
    ctlen = inlen - AEAD_TAG_LEN;
    /* Copy the tag first: in place, out overwrites in as it decrypts (the
     * tag itself lies past what is written, but be plain about it). */
    memcpy(tag, in + ctlen, AEAD_TAG_LEN);
    if (cipher == NULL || (ctx = EVP_CIPHER_CTX_new()) == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "decryption is not available");
        goto done;
    }
    if (EVP_DecryptInit_ex2(ctx, cipher, key, nonce, NULL) != 1 ||
        aead_update(ctx, 0, NULL, aad, aadlen) != 0 ||
        aead_update(ctx, 0, out, in, ctlen) != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, tag) !=
            1) {
        log_error("AES-256-GCM decryption failed");
        fault_set(f, FAULT_INTERNAL, NULL, "decryption failed");
        goto done;
    }
    /* GCM's final step writes nothing; a scratch block spares us out +
     * ctlen when out is NULL for an empty message. */
    if (EVP_DecryptFinal_ex(ctx, fin, &outl) != 1 || outl != 0) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "an encrypted message failed its authentication check");
        goto done;
    }
    rv = 0;
done:
    EVP_CIPHER_CTX_free(ctx);
    if (rv != 0)
        secret_wipe(out, ctlen);
    return rv;
}
