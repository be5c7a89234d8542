/*
 * Fuzz the SLC1 object reader (storage/chunkobj.c).
 *
 * Two ways in. Mode 0 hands the bytes to the reader as an object, which
 * exercises the header checks and the tag check. A tag cannot be guessed,
 * so mode 1 builds an object with a valid tag around fuzzer-chosen header
 * fields and payload, which reaches what runs after decryption: the flag
 * and length checks and the capped inflate. Either way the reader must
 * refuse cleanly or return exactly the recorded length.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aead.h"
#include "lib/bytes.h"
#include "lib/secret.h"
#include "storage/chunkobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_ck[32] = {7};
static const uint8_t fuzz_dsid[32] = {9};

static void fuzz_open(const uint8_t *obj, size_t len, uint64_t index)
{
    struct chunkobj_header h;
    struct fault f;
    uint8_t *plain = NULL;
    size_t plain_len = 0;

    if (chunkobj_parse_header(&h, obj, len, &f) == 0 && h.index != index)
        index = h.index;
    if (chunkobj_open(&plain, &plain_len, fuzz_ck, fuzz_dsid, index, obj, len,
                      &f) == 0) {
        if (chunkobj_parse_header(&h, obj, len, &f) != 0 ||
            plain_len != h.plain_len)
            abort();
        secret_free(plain, plain_len);
    } else if (plain != NULL || plain_len != 0 || f.kind == FAULT_NONE) {
        abort(); /* failure must clear the outputs and say why */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t aad[CHUNKOBJ_HEADER_LEN + 32];
    uint8_t *obj;
    size_t n;
    struct fault f;

    if (size < 1)
        return 0;
    if ((data[0] & 1) == 0) {
        fuzz_open(data + 1, size - 1, 0);
        return 0;
    }
    /* Mode 1: data = mode, flags, reserved, plain_len (2 bytes), payload. */
    if (size < 5)
        return 0;
    n = size - 5;
    obj = malloc(CHUNKOBJ_OVERHEAD + n);
    if (obj == NULL)
        return 0;
    memcpy(obj, "SLC1", 4);
    obj[4] = 1;
    obj[5] = data[1];
    obj[6] = 0;
    obj[7] = data[2] & 0x01; /* mostly zero, sometimes not */
    bytes_put_be64(obj + 8, 0);
    bytes_put_be64(obj + 16, (uint64_t)data[3] << 8 | data[4]);
    memset(obj + 24, 0x42, 12);
    memcpy(aad, obj, CHUNKOBJ_HEADER_LEN);
    memcpy(aad + CHUNKOBJ_HEADER_LEN, fuzz_dsid, 32);
    if (aead_seal(obj + CHUNKOBJ_HEADER_LEN, fuzz_ck, obj + 24, aad,
                  sizeof aad, data + 5, n, &f) == 0)
        fuzz_open(obj, CHUNKOBJ_OVERHEAD + n, 0);
    free(obj);
    return 0;
}
