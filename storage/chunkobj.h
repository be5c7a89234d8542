/*
 * chunkobj: the SLC1 chunk object (DESIGN.md 3.4).
 *
 *     offset size  field
 *     0      4     magic "SLC1"
 *     4      1     version = 1
 *     5      1     flags: bit 0 = payload is a zlib stream (RFC 1950)
 *     6      2     reserved, zero
 *     8      8     chunk index, big-endian
 *     16     8     plaintext length before compression, big-endian
 *     24     12    AES-GCM nonce
 *     36     n     ciphertext of the (compressed) payload
 *     36+n   16    AES-GCM tag
 *
 * AES-256-GCM under the chunk key, AAD = the 36 header bytes || dataset_id.
 * Objects arrive from disks and other servers, so every reader check is
 * strict: unknown flag bits, reserved bytes, a wrong index, a wrong length
 * after inflating, trailing bytes after the zlib stream, are all refused.
 */
#ifndef SLUICE_STORAGE_CHUNKOBJ_H
#define SLUICE_STORAGE_CHUNKOBJ_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define CHUNKOBJ_HEADER_LEN 36
#define CHUNKOBJ_TAG_LEN 16
#define CHUNKOBJ_OVERHEAD (CHUNKOBJ_HEADER_LEN + CHUNKOBJ_TAG_LEN)
#define CHUNKOBJ_FLAG_ZLIB 0x01
#define CHUNKOBJ_VERSION 1
/* The largest plaintext a chunk may hold: bounds what a reader allocates
 * from a length it read from an object. */
#define CHUNKOBJ_MAX_PLAIN ((uint64_t)1 << 30)

struct chunkobj_header {
    uint8_t flags;
    uint64_t index;
    uint64_t plain_len;
    uint8_t nonce[12];
};

/* Parse and check the header of the object obj (len bytes, the whole
 * object). Returns 0 with *out filled; on failure -1 with *out zeroed and
 * f set to FAULT_CORRUPT saying what is wrong (too short, magic, version,
 * flag bits, reserved bytes, a plaintext length over CHUNKOBJ_MAX_PLAIN). */
int chunkobj_parse_header(struct chunkobj_header *out, const uint8_t *obj,
                          size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Compress plain with zlib at level (0..9) into a new buffer *payload,
 * unless that does not make it smaller: then *payload is a copy and *flags
 * is 0. Returns 0 with *payload (malloc'd, caller frees; wipe it, it is
 * plaintext), *payload_len and *flags set; on failure -1 with *payload =
 * NULL, *payload_len = 0 and f set. */
int chunkobj_compress(uint8_t **payload, size_t *payload_len, uint8_t *flags,
                      const uint8_t *plain, size_t plain_len, int level,
                      struct fault *f) __attribute__((warn_unused_result));

/* Build the object for chunk index of dataset_id: compress plain at level,
 * encrypt under ck with nonce (12 bytes; NULL draws a random one). Returns 0
 * with *out (malloc'd, caller frees) and *out_len set; on failure -1 with
 * *out = NULL, *out_len = 0 and f set. */
int chunkobj_seal(uint8_t **out, size_t *out_len, const uint8_t ck[32],
                  const uint8_t dataset_id[32], uint64_t index,
                  const uint8_t *plain, size_t plain_len, int level,
                  const uint8_t *nonce, struct fault *f)
    __attribute__((warn_unused_result));

/* A sealer keeps the compression state and the output buffer of one
 * thread from chunk to chunk, so that bulk ingest does no large allocation
 * (and takes no fresh page faults) per chunk. Not shared between threads. */
struct chunkobj_sealer;

/* Create a sealer that compresses at level (0..9). Returns 0 with *out
 * set; on failure -1 with *out = NULL and f set. */
int chunkobj_sealer_new(struct chunkobj_sealer **out, int level,
                        struct fault *f) __attribute__((warn_unused_result));

/* Free s, wiping its buffer. s may be NULL. */
void chunkobj_sealer_free(struct chunkobj_sealer *s);

/* As chunkobj_seal, into s's own buffer: on success *out points at the
 * object inside s, valid until the next call on s or its free. On failure
 * -1 with *out = NULL, *out_len = 0 and f set. */
int chunkobj_sealer_seal(struct chunkobj_sealer *s, const uint8_t **out,
                         size_t *out_len, const uint8_t ck[32],
                         const uint8_t dataset_id[32], uint64_t index,
                         const uint8_t *plain, size_t plain_len,
                         const uint8_t *nonce, struct fault *f)
    __attribute__((warn_unused_result));

/* An opener keeps one thread's inflate state and decryption buffer from
 * object to object, and opens into a buffer the caller keeps, so that a
 * worker reading many chunks does no large allocation (and takes no fresh
 * page faults) per chunk. Not shared between threads. */
struct chunkobj_opener;

/* Create an opener. Returns 0 with *out set; on failure -1 with *out =
 * NULL and f set. */
int chunkobj_opener_new(struct chunkobj_opener **out, struct fault *f)
    __attribute__((warn_unused_result));

/* Free o, wiping its buffer. o may be NULL. */
void chunkobj_opener_free(struct chunkobj_opener *o);

/* As chunkobj_open, into the caller's buffer *dst of *dst_cap bytes (NULL
 * and 0 at first). When the chunk needs more room, *dst is replaced by a
 * larger buffer (the old one wiped and freed) and *dst_cap updated; the
 * caller wipes and frees the last one: secret_free(*dst, *dst_cap).
 * Returns 0 with the plaintext in (*dst)[0..*out_len); on failure -1 with
 * *out_len = 0 and f set as chunkobj_open says, *dst and *dst_cap still
 * naming a valid buffer (or NULL and 0) whose bytes are unspecified. */
int chunkobj_opener_open(struct chunkobj_opener *o, uint8_t **dst,
                         size_t *dst_cap, size_t *out_len,
                         const uint8_t ck[32], const uint8_t dataset_id[32],
                         uint64_t expected_index, const uint8_t *obj,
                         size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Open the object obj (len bytes) that must be chunk expected_index of
 * dataset_id: check the header, decrypt under ck, inflate to exactly the
 * recorded length. Returns 0 with *out (malloc'd; caller wipes and frees;
 * never NULL, even for 0 bytes) and *out_len set; on failure -1 with *out
 * = NULL, *out_len = 0 and f set (FAULT_CORRUPT for any mismatch, a bad
 * tag or a wrong key, a bad zlib stream or a length that differs). */
int chunkobj_open(uint8_t **out, size_t *out_len, const uint8_t ck[32],
                  const uint8_t dataset_id[32], uint64_t expected_index,
                  const uint8_t *obj, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

#endif
