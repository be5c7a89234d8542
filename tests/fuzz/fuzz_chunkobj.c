/*
 * Fuzz the SLC1 object reader (storage/chunkobj.c).
 *
 * Two ways in. Mode 0 hands the bytes to the reader as an object, which
 * exercises the header checks and the tag check. A tag cannot be guessed,
 * so mode 1 builds an object with a valid tag around fuzzer-chosen header
 * fields and payload, which reaches what runs after decryption: the flag
 * and length checks and the capped inflate, where the reader must agree
 * with zlib's own inflate (it checks the zlib header and trailer itself).
 * Either way the reader must refuse cleanly or return exactly the
 * recorded length, and an opener reused across inputs must give what a
 * fresh chunkobj_open gives.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/aead.h"
#include "lib/bytes.h"
#include "lib/secret.h"
#include "storage/chunkobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fuzz_ck[32] = {7};
static const uint8_t fuzz_dsid[32] = {9};

/* One opener and one buffer kept across inputs, as a worker keeps them
 * across chunks: it must give what chunkobj_open gives. */
static struct chunkobj_opener *fuzz_opener;
static uint8_t *fuzz_buf;
static size_t fuzz_cap;

/* Open obj both ways; returns 1 when it opens (then plain_len bytes of
 * fuzz_buf hold it), 0 when it is refused. */
static int fuzz_open(const uint8_t *obj, size_t len, uint64_t index)
{
    struct chunkobj_header h;
    struct fault f, g;
    uint8_t *plain = NULL;
    size_t plain_len = 0, got = 7;
    int ok, again;

    if (chunkobj_parse_header(&h, obj, len, &f) == 0 && h.index != index)
        index = h.index;
    ok = chunkobj_open(&plain, &plain_len, fuzz_ck, fuzz_dsid, index, obj,
                       len, &f) == 0;
    if (ok) {
        if (chunkobj_parse_header(&h, obj, len, &f) != 0 ||
            plain_len != h.plain_len)
            abort();
    } else if (plain != NULL || plain_len != 0 || f.kind == FAULT_NONE) {
        abort(); /* failure must clear the outputs and say why */
    }
    if (fuzz_opener == NULL && chunkobj_opener_new(&fuzz_opener, &g) < 0)
        abort();
    again = chunkobj_opener_open(fuzz_opener, &fuzz_buf, &fuzz_cap, &got,
                                 fuzz_ck, fuzz_dsid, index, obj, len,
                                 &g) == 0;
    if (again != ok || (ok && (got != plain_len || fuzz_cap < got ||
                               memcmp(fuzz_buf, plain, got) != 0)) ||
        (!ok && (got != 0 || g.kind != f.kind)))
        abort();
    secret_free(plain, plain_len);
    return ok;
}

/* zlib's own inflate (which checks the header and trailer itself) on the
 * payload: 1 when it is a stream of exactly want bytes and nothing after
 * it, with those bytes in out. */
static int fuzz_zlib_accepts(uint8_t *out, size_t want,
                             const uint8_t *payload, size_t n)
{
    z_stream zs;
    int rc, ok;

    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        abort();
    zs.next_in = (Bytef *)(uintptr_t)payload;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)want;
    rc = inflate(&zs, Z_FINISH);
    ok = rc == Z_STREAM_END && zs.avail_out == 0 && zs.avail_in == 0;
    inflateEnd(&zs);
    return ok;
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
    {
        int ours = fuzz_open(obj, CHUNKOBJ_OVERHEAD + n, 0);
        size_t want = (size_t)data[3] << 8 | data[4];
        uint8_t *ref;

        /* A compressed chunk opens exactly when zlib takes its stream. */
        if (obj[5] == CHUNKOBJ_FLAG_ZLIB && obj[7] == 0) {
            ref = malloc(want + 1);
            if (ref == NULL)
                abort();
            if (fuzz_zlib_accepts(ref, want, data + 5, n) != ours ||
                (ours && memcmp(ref, fuzz_buf, want) != 0))
                abort();
            free(ref);
        }
    }
    free(obj);
    return 0;
}
