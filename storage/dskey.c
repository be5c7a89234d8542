#include "storage/dskey.h"

#include <string.h>

#include "lib/aead.h"
#include "lib/bytes.h"
#include "lib/hkdf.h"
#include "lib/random.h"
#include "lib/secret.h"

static const char dskey_seal_label[] = "sluice/dk/v1";
static const char dskey_chunk_label[] = "sluice/chunk/v1";

#define DSKEY_SEAL_LABEL_LEN (sizeof dskey_seal_label - 1)
#define DSKEY_CHUNK_LABEL_LEN (sizeof dskey_chunk_label - 1)

static void dskey_seal_aad(uint8_t aad[DSKEY_SEAL_LABEL_LEN + DSKEY_ID_LEN],
                           const uint8_t dataset_id[DSKEY_ID_LEN])
{
    memcpy(aad, dskey_seal_label, DSKEY_SEAL_LABEL_LEN);
    memcpy(aad + DSKEY_SEAL_LABEL_LEN, dataset_id, DSKEY_ID_LEN);
}

int dskey_seal(uint8_t out[DSKEY_SEALED_LEN], const uint8_t mk[32],
               const uint8_t dataset_id[DSKEY_ID_LEN],
               const uint8_t dk[DSKEY_LEN], struct fault *f)
{
    uint8_t aad[DSKEY_SEAL_LABEL_LEN + DSKEY_ID_LEN];

    dskey_seal_aad(aad, dataset_id);
    if (random_bytes(out, AEAD_NONCE_LEN, f) < 0 ||
        aead_seal(out + AEAD_NONCE_LEN, mk, out, aad, sizeof aad, dk,
                  DSKEY_LEN, f) < 0) {
        memset(out, 0, DSKEY_SEALED_LEN);
        return -1;
    }
    return 0;
}

int dskey_unseal(uint8_t dk[DSKEY_LEN], const uint8_t mk[32],
                 const uint8_t dataset_id[DSKEY_ID_LEN], const uint8_t *sealed,
                 size_t len, struct fault *f)
{
    uint8_t aad[DSKEY_SEAL_LABEL_LEN + DSKEY_ID_LEN];

    memset(dk, 0, DSKEY_LEN);
    if (len != DSKEY_SEALED_LEN)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a sealed data-set key has the wrong length");
    dskey_seal_aad(aad, dataset_id);
    if (aead_open(dk, mk, sealed, aad, sizeof aad, sealed + AEAD_NONCE_LEN,
                  len - AEAD_NONCE_LEN, f) < 0) {
        secret_wipe(dk, DSKEY_LEN);
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a data-set key does not open under this master "
                         "key (wrong master key, or damaged)");
    }
    return 0;
}

int dskey_chunk_key(uint8_t ck[32], const uint8_t dk[DSKEY_LEN],
                    const uint8_t dataset_id[DSKEY_ID_LEN], uint64_t index,
                    struct fault *f)
{
    uint8_t info[DSKEY_CHUNK_LABEL_LEN + 8];

    memcpy(info, dskey_chunk_label, DSKEY_CHUNK_LABEL_LEN);
    bytes_put_be64(info + DSKEY_CHUNK_LABEL_LEN, index);
    if (hkdf_sha256(ck, 32, dk, DSKEY_LEN, dataset_id, DSKEY_ID_LEN, info,
                    sizeof info, f) < 0) {
        secret_wipe(ck, 32);
        return -1;
    }
    return 0;
}
