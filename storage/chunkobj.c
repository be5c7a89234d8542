#include "storage/chunkobj.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/adler32.h"
#include "lib/aead.h"
#include "lib/bytes.h"
#include "lib/prefault.h"
#include "lib/random.h"
#include "lib/secret.h"

static const uint8_t chunkobj_magic[4] = {'S', 'L', 'C', '1'};

#define CHUNKOBJ_AAD_LEN (CHUNKOBJ_HEADER_LEN + 32)

int chunkobj_parse_header(struct chunkobj_header *out, const uint8_t *obj,
                          size_t len, struct fault *f)
{
    memset(out, 0, sizeof *out);
    if (len < CHUNKOBJ_OVERHEAD)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the object is %zu bytes, shorter than the %d of an "
                         "empty chunk", len, CHUNKOBJ_OVERHEAD);
    if (memcmp(obj, chunkobj_magic, sizeof chunkobj_magic) != 0)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the object does not start with SLC1");
    if (obj[4] != CHUNKOBJ_VERSION)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the object has version %u; this reader knows 1",
                         obj[4]);
    if ((obj[5] & ~CHUNKOBJ_FLAG_ZLIB) != 0)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the object sets unknown flag bits (0x%02x)",
                         obj[5]);
    if (obj[6] != 0 || obj[7] != 0)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the object's reserved bytes are not zero");
    out->flags = obj[5];
    out->index = bytes_get_be64(obj + 8);
    out->plain_len = bytes_get_be64(obj + 16);
    memcpy(out->nonce, obj + 24, sizeof out->nonce);
    if (out->plain_len > CHUNKOBJ_MAX_PLAIN) {
        memset(out, 0, sizeof *out);
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the object claims a plaintext over 1 GiB");
    }
    if ((out->flags & CHUNKOBJ_FLAG_ZLIB) == 0 &&
        out->plain_len != len - CHUNKOBJ_OVERHEAD) {
        memset(out, 0, sizeof *out);
        return fault_set(f, FAULT_CORRUPT, "object",
                         "an uncompressed object's length does not match "
                         "its recorded plaintext length");
    }
    return 0;
}

/* The payload is a zlib stream (RFC 1950): a 2-byte header, the deflate
 * data, the Adler-32 of the plaintext (big-endian). zlib would compute that
 * checksum one byte at a time, a twentieth of a level-1 deflate; so the
 * sealer asks zlib for raw deflate and writes the header and the trailer
 * itself, with lib/adler32's SIMD sum. The bytes are exactly those of
 * zlib's deflateInit(level) (test_chunkobj compares every level). */
#define CHUNKOBJ_ZLIB_HEADER_LEN 2
#define CHUNKOBJ_ZLIB_TRAILER_LEN 4
#define CHUNKOBJ_ZLIB_WRAP_LEN \
    (CHUNKOBJ_ZLIB_HEADER_LEN + CHUNKOBJ_ZLIB_TRAILER_LEN)

/* The zlib header deflate writes for windowBits 15, the default strategy
 * and no dictionary (RFC 1950 2.2, zlib's deflate.c): CMF 0x78, then FLG
 * with FLEVEL from the level and FCHECK making the pair a multiple of 31. */
static void chunkobj_zlib_header(uint8_t out[2], int level)
{
    unsigned header = (8u + ((15u - 8u) << 4)) << 8;
    unsigned flevel = level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3;

    header |= flevel << 6;
    header += 31 - header % 31;
    out[0] = (uint8_t)(header >> 8);
    out[1] = (uint8_t)header;
}

struct chunkobj_sealer {
    z_stream zs; /* raw deflate (windowBits -15) */
    int level;
    uint8_t *buf; /* header + payload + tag of the last object */
    size_t cap;
};

int chunkobj_sealer_new(struct chunkobj_sealer **out, int level,
                        struct fault *f)
{
    struct chunkobj_sealer *s;

    *out = NULL;
    if (level < 0 || level > 9)
        return fault_set(f, FAULT_INVALID, "zlib_level",
                         "the compression level must be 0 to 9");
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (deflateInit2(&s->zs, level, Z_DEFLATED, -15, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        free(s);
        return fault_set(f, FAULT_INTERNAL, NULL, "zlib could not start");
    }
    s->level = level;
    *out = s;
    return 0;
}

void chunkobj_sealer_free(struct chunkobj_sealer *s)
{
    if (s == NULL)
        return;
    deflateEnd(&s->zs);
    secret_free(s->buf, s->cap);
    free(s);
}

/* Write the zlib stream of plain into dst (cap bytes) with s's stream.
 * Returns the stream's length, or 0 when it does not fit in cap (the
 * caller then stores the chunk raw); -1 with f set when zlib fails. */
static long chunkobj_deflate(struct chunkobj_sealer *s, uint8_t *dst,
                             size_t cap, const uint8_t *plain,
                             size_t plain_len, struct fault *f)
{
    size_t body;
    int rc;

    if (cap <= CHUNKOBJ_ZLIB_WRAP_LEN)
        return 0;
    if (deflateReset(&s->zs) != Z_OK)
        return fault_set(f, FAULT_INTERNAL, NULL, "zlib could not restart");
    s->zs.next_in = (Bytef *)(uintptr_t)plain;
    s->zs.avail_in = (uInt)plain_len;
    s->zs.next_out = dst + CHUNKOBJ_ZLIB_HEADER_LEN;
    s->zs.avail_out = (uInt)(cap - CHUNKOBJ_ZLIB_WRAP_LEN);
    rc = deflate(&s->zs, Z_FINISH);
    if (rc == Z_OK || rc == Z_BUF_ERROR)
        return 0; /* did not fit: not worth compressing */
    if (rc != Z_STREAM_END)
        return fault_set(f, FAULT_INTERNAL, NULL, "zlib failed to compress");
    body = (size_t)s->zs.total_out;
    chunkobj_zlib_header(dst, s->level);
    bytes_put_be32(dst + CHUNKOBJ_ZLIB_HEADER_LEN + body,
                   adler32_update(ADLER32_INIT, plain, plain_len));
    return (long)(body + CHUNKOBJ_ZLIB_WRAP_LEN);
}

int chunkobj_compress(uint8_t **payload, size_t *payload_len, uint8_t *flags,
                      const uint8_t *plain, size_t plain_len, int level,
                      struct fault *f)
{
    struct chunkobj_sealer *s = NULL;
    uint8_t *buf;
    long n = 0;

    *payload = NULL;
    *payload_len = 0;
    *flags = 0;
    if (plain_len > CHUNKOBJ_MAX_PLAIN)
        return fault_set(f, FAULT_TOO_LARGE, "chunk",
                         "a chunk may hold at most 1 GiB");
    if (chunkobj_sealer_new(&s, level, f) < 0)
        return -1;
    buf = malloc(plain_len > 0 ? plain_len : 1);
    if (buf == NULL) {
        chunkobj_sealer_free(s);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    /* Only a stream strictly shorter than the input is worth a flag. */
    if (plain_len > 1)
        n = chunkobj_deflate(s, buf, plain_len - 1, plain, plain_len, f);
    chunkobj_sealer_free(s);
    if (n < 0) {
        secret_free(buf, plain_len);
        return -1;
    }
    if (n > 0) {
        *flags = CHUNKOBJ_FLAG_ZLIB;
        *payload_len = (size_t)n;
    } else {
        if (plain_len > 0)
            memcpy(buf, plain, plain_len);
        *payload_len = plain_len;
    }
    *payload = buf;
    return 0;
}

static void chunkobj_aad(uint8_t aad[CHUNKOBJ_AAD_LEN], const uint8_t *header,
                         const uint8_t dataset_id[32])
{
    memcpy(aad, header, CHUNKOBJ_HEADER_LEN);
    memcpy(aad + CHUNKOBJ_HEADER_LEN, dataset_id, 32);
}

int chunkobj_sealer_seal(struct chunkobj_sealer *s, const uint8_t **out,
                         size_t *out_len, const uint8_t ck[32],
                         const uint8_t dataset_id[32], uint64_t index,
                         const uint8_t *plain, size_t plain_len,
                         const uint8_t *nonce, struct fault *f)
{
    uint8_t aad[CHUNKOBJ_AAD_LEN];
    uint8_t *obj, *payload;
    long n = 0;

    *out = NULL;
    *out_len = 0;
    if (plain_len > CHUNKOBJ_MAX_PLAIN)
        return fault_set(f, FAULT_TOO_LARGE, "chunk",
                         "a chunk may hold at most 1 GiB");
    if (s->cap < CHUNKOBJ_OVERHEAD + plain_len) {
        /* Headroom: row-aligned chunks differ by a few bytes, and each
         * growth would wipe the old buffer and fault in a fresh one. */
        size_t cap = CHUNKOBJ_OVERHEAD + plain_len + plain_len / 8;
        uint8_t *p = malloc(cap);
        if (p == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        secret_free(s->buf, s->cap);
        s->buf = p;
        s->cap = cap;
    }
    obj = s->buf;
    payload = obj + CHUNKOBJ_HEADER_LEN;
    /* Compress straight into place; keep it only if strictly smaller. */
    if (plain_len > 1)
        n = chunkobj_deflate(s, payload, plain_len - 1, plain, plain_len, f);
    if (n < 0)
        return -1;
    memcpy(obj, chunkobj_magic, sizeof chunkobj_magic);
    obj[4] = CHUNKOBJ_VERSION;
    obj[5] = n > 0 ? CHUNKOBJ_FLAG_ZLIB : 0;
    obj[6] = obj[7] = 0;
    bytes_put_be64(obj + 8, index);
    bytes_put_be64(obj + 16, plain_len);
    if (nonce != NULL)
        memcpy(obj + 24, nonce, AEAD_NONCE_LEN);
    else if (random_bytes(obj + 24, AEAD_NONCE_LEN, f) < 0)
        return -1;
    if (n == 0) {
        n = (long)plain_len;
        if (n > 0)
            memcpy(payload, plain, plain_len);
    }
    chunkobj_aad(aad, obj, dataset_id);
    if (aead_seal(payload, ck, obj + 24, aad, sizeof aad, payload, (size_t)n,
                  f) < 0)
        return -1;
    *out = obj;
    *out_len = CHUNKOBJ_OVERHEAD + (size_t)n;
    return 0;
}

int chunkobj_seal(uint8_t **out, size_t *out_len, const uint8_t ck[32],
                  const uint8_t dataset_id[32], uint64_t index,
                  const uint8_t *plain, size_t plain_len, int level,
                  const uint8_t *nonce, struct fault *f)
{
    struct chunkobj_sealer *s = NULL;
    const uint8_t *obj;
    int rv = -1;

    *out = NULL;
    *out_len = 0;
    if (chunkobj_sealer_new(&s, level, f) < 0)
        return -1;
    if (chunkobj_sealer_seal(s, &obj, out_len, ck, dataset_id, index, plain,
                             plain_len, nonce, f) == 0) {
        /* Hand the sealer's buffer over to the caller. */
        *out = s->buf;
        s->buf = NULL;
        s->cap = 0;
        rv = 0;
    }
    chunkobj_sealer_free(s);
    return rv;
}

/* ---- opening -------------------------------------------------------- */

/* The reader mirrors the sealer: zlib would check the trailer with its
 * byte-wise Adler-32 (4 % of a worker's whole query in bench/story), so
 * the opener checks the RFC 1950 header itself, inflates raw and sums the
 * output with lib/adler32. What it accepts and refuses is what zlib's own
 * inflate would: a preset dictionary or a window over 32 KiB is a damaged
 * stream, as is a wrong check value. */
struct chunkobj_opener {
    z_stream zs;      /* raw inflate (windowBits -15) */
    uint8_t *payload; /* the decrypted payload of the last object */
    size_t cap;
    int spare;        /* grow buffers with room to spare (kept ones) */
};

int chunkobj_opener_new(struct chunkobj_opener **out, struct fault *f)
{
    struct chunkobj_opener *o;

    *out = NULL;
    o = calloc(1, sizeof *o);
    if (o == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (inflateInit2(&o->zs, -15) != Z_OK) {
        free(o);
        return fault_set(f, FAULT_INTERNAL, NULL, "zlib could not start");
    }
    o->spare = 1;
    *out = o;
    return 0;
}

void chunkobj_opener_free(struct chunkobj_opener *o)
{
    if (o == NULL)
        return;
    inflateEnd(&o->zs);
    secret_free(o->payload, o->cap);
    free(o);
}

/* Make *buf (of *cap bytes) hold at least need bytes (at least 1), wiping
 * the old one when it must be replaced. Its contents are not kept. A
 * buffer kept from chunk to chunk is replaced with an eighth to spare:
 * chunks differ in size by a few rows, and each new buffer is fresh pages
 * to fault in (7 000 faults in a 256 MiB query before, at some 10 us each
 * on this virtual machine). */
static int chunkobj_reserve(uint8_t **buf, size_t *cap, size_t need,
                            int spare, struct fault *f)
{
    size_t want;

    if (need == 0)
        need = 1;
    if (*buf != NULL && *cap >= need)
        return 0;
    want = spare && need <= SIZE_MAX - need / 8 ? need + need / 8 : need;
    secret_free(*buf, *cap);
    *cap = 0;
    *buf = malloc(want);
    if (*buf == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    *cap = want;
    if (spare)
        prefault(*buf, want);
    return 0;
}

/* Inflate the zlib stream src[0..src_len) into exactly dst[0..dst_len). */
static int chunkobj_inflate(struct chunkobj_opener *o, uint8_t *dst,
                            size_t dst_len, const uint8_t *src,
                            size_t src_len, struct fault *f)
{
    unsigned cmf, flg;
    size_t rest;
    int rc;

    if (src_len < CHUNKOBJ_ZLIB_HEADER_LEN)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the chunk's zlib stream is damaged");
    cmf = src[0];
    flg = src[1];
    /* Deflate, a window of at most 32 KiB, the check, no dictionary. */
    if ((cmf & 0x0f) != 8 || (cmf >> 4) > 7 || (cmf * 256 + flg) % 31 != 0 ||
        (flg & 0x20) != 0)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the chunk's zlib stream is damaged");
    if (inflateReset(&o->zs) != Z_OK)
        return fault_set(f, FAULT_INTERNAL, NULL, "zlib could not restart");
    o->zs.next_in = (Bytef *)(uintptr_t)(src + CHUNKOBJ_ZLIB_HEADER_LEN);
    o->zs.avail_in = (uInt)(src_len - CHUNKOBJ_ZLIB_HEADER_LEN);
    o->zs.next_out = dst;
    o->zs.avail_out = (uInt)dst_len;
    rc = inflate(&o->zs, Z_FINISH);
    if (rc != Z_STREAM_END) {
        if (o->zs.avail_out == 0 && (rc == Z_OK || rc == Z_BUF_ERROR))
            return fault_set(f, FAULT_CORRUPT, "object",
                             "the chunk inflates to more bytes than "
                             "recorded");
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the chunk's zlib stream is damaged");
    }
    rest = o->zs.avail_in;
    if (rest < CHUNKOBJ_ZLIB_TRAILER_LEN ||
        bytes_get_be32(o->zs.next_in) !=
            adler32_update(ADLER32_INIT, dst, dst_len - o->zs.avail_out))
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the chunk's zlib stream is damaged");
    if (o->zs.avail_out != 0)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the chunk inflates to fewer bytes than recorded");
    if (rest > CHUNKOBJ_ZLIB_TRAILER_LEN)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the chunk has bytes after its zlib stream");
    return 0;
}

int chunkobj_opener_open(struct chunkobj_opener *o, uint8_t **dst,
                         size_t *dst_cap, size_t *out_len,
                         const uint8_t ck[32], const uint8_t dataset_id[32],
                         uint64_t expected_index, const uint8_t *obj,
                         size_t len, struct fault *f)
{
    struct chunkobj_header h;
    uint8_t aad[CHUNKOBJ_AAD_LEN];
    uint8_t *into;
    size_t payload_len;

    *out_len = 0;
    if (chunkobj_parse_header(&h, obj, len, f) < 0)
        return -1;
    if (h.index != expected_index)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the object holds chunk %llu, not chunk %llu",
                         (unsigned long long)h.index,
                         (unsigned long long)expected_index);
    payload_len = len - CHUNKOBJ_OVERHEAD;
    /* A raw chunk decrypts straight into the caller's buffer (parse_header
     * checked that its length is the recorded one); a compressed one into
     * ours, to be inflated from there. */
    if ((h.flags & CHUNKOBJ_FLAG_ZLIB) == 0) {
        if (chunkobj_reserve(dst, dst_cap, payload_len, o->spare, f) < 0)
            return -1;
        into = *dst;
    } else {
        if (chunkobj_reserve(&o->payload, &o->cap, payload_len, o->spare,
                             f) < 0)
            return -1;
        into = o->payload;
    }
    chunkobj_aad(aad, obj, dataset_id);
    if (aead_open(into, ck, h.nonce, aad, sizeof aad,
                  obj + CHUNKOBJ_HEADER_LEN, payload_len + CHUNKOBJ_TAG_LEN,
                  f) < 0)
        return fault_set(f, FAULT_CORRUPT, "object",
                         "the object does not decrypt: damaged, or not this "
                         "data-set's chunk %llu",
                         (unsigned long long)expected_index);
    if ((h.flags & CHUNKOBJ_FLAG_ZLIB) == 0) {
        *out_len = payload_len;
        return 0;
    }
    /* The header is authentic now (it is in the AAD), so its length may
     * size the buffer. */
    if (chunkobj_reserve(dst, dst_cap, (size_t)h.plain_len, o->spare, f) <
            0 ||
        chunkobj_inflate(o, *dst, (size_t)h.plain_len, o->payload,
                         payload_len, f) < 0)
        return -1;
    *out_len = (size_t)h.plain_len;
    return 0;
}

int chunkobj_open(uint8_t **out, size_t *out_len, const uint8_t ck[32],
                  const uint8_t dataset_id[32], uint64_t expected_index,
                  const uint8_t *obj, size_t len, struct fault *f)
{
    struct chunkobj_opener *o;
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rv;

    *out = NULL;
    *out_len = 0;
    if (chunkobj_opener_new(&o, f) < 0)
        return -1;
    o->spare = 0; /* one object: exact sizes, as chunkobj_open promises */
    rv = chunkobj_opener_open(o, &buf, &cap, out_len, ck, dataset_id,
                              expected_index, obj, len, f);
    chunkobj_opener_free(o);
    if (rv == 0 && buf == NULL)
        rv = chunkobj_reserve(&buf, &cap, 0, 0, f);
    if (rv < 0) {
        secret_free(buf, cap);
        *out_len = 0;
        return -1;
    }
    *out = buf;
    return 0;
}
