/*
 * ethjson: strict readers of the values an Ethereum node answers with,
 * used on every answer before any of it is believed.
 *
 * - QUANTITY: "0x" and lowercase or uppercase hex digits with no leading
 *   zero ("0x0" is zero); "0x", "0x00", "0x01", "1", "0X1" are refused.
 *   Block numbers, timestamps and indices must fit in 64 bits.
 * - DATA: "0x" and an even number of hex digits; hashes (32 bytes) and
 *   addresses (20 bytes) have an exact length, log data a bound.
 *
 * Each reader takes the value and its path ("result", "result.logs[3]")
 * and on failure names the member at fault ("result.logs[3].topics[1]")
 * in f->field and in the detail. A value that is not what it should be is
 * FAULT_CORRUPT (the node's answer failed a check); a block or receipt
 * given as JSON null (the node does not know it) is FAULT_NOT_FOUND;
 * misuse is FAULT_INTERNAL. Members a reader does not use are ignored.
 */
#ifndef SLUICE_CONTRACTS_ABI_ETHJSON_H
#define SLUICE_CONTRACTS_ABI_ETHJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/fault.h"

#define ETHJSON_HASH_LEN 32
#define ETHJSON_ADDRESS_LEN 20
#define ETHJSON_TOPICS_MAX 4
#define ETHJSON_LOG_DATA_MAX (256 * 1024) /* bytes of one log's data */
#define ETHJSON_LOGS_MAX 10000            /* logs in one answer */
#define ETHJSON_BLOOM_LEN 256             /* bytes of a logsBloom */

/* A block header: what the follower keeps of each block. */
struct ethjson_block {
    uint64_t number;
    uint8_t hash[ETHJSON_HASH_LEN];
    uint8_t parent_hash[ETHJSON_HASH_LEN];
    uint64_t timestamp;
    int has_bloom;                          /* logsBloom was given */
    uint8_t logs_bloom[ETHJSON_BLOOM_LEN];
};

/* A mined log. data is malloc'd (NULL when data_len is 0); free with
 * ethjson_log_clear. */
struct ethjson_log {
    uint8_t address[ETHJSON_ADDRESS_LEN];
    uint8_t topics[ETHJSON_TOPICS_MAX][ETHJSON_HASH_LEN];
    size_t topic_count;
    uint8_t *data;
    size_t data_len;
    uint64_t block_number;
    uint8_t block_hash[ETHJSON_HASH_LEN];
    uint8_t tx_hash[ETHJSON_HASH_LEN];
    uint64_t tx_index;
    uint64_t log_index;
    int removed;
};

/* A receipt (post-Byzantium: with a status). logs is malloc'd; free with
 * ethjson_receipt_clear. */
struct ethjson_receipt {
    int status; /* 1 success, 0 reverted */
    uint8_t tx_hash[ETHJSON_HASH_LEN];
    uint64_t block_number;
    uint8_t block_hash[ETHJSON_HASH_LEN];
    struct ethjson_log *logs;
    size_t log_count;
};

/* Read v as a QUANTITY of at most 64 bits. Returns 0 with *out set; on
 * failure -1 with *out = 0 and f naming field (FAULT_CORRUPT: not a
 * string, no "0x", no digits, a leading zero, a non-hex digit, above
 * 2^64 - 1). */
int ethjson_quantity(uint64_t *out, const json_t *v, const char *field,
                     struct fault *f) __attribute__((warn_unused_result));

/* Read v as DATA of exactly len bytes into out. Returns 0; on failure -1
 * with out zeroed and f naming field (FAULT_CORRUPT: not a string, no
 * "0x", odd or wrong length, a non-hex digit). */
int ethjson_data_fixed(uint8_t *out, size_t len, const json_t *v,
                       const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Read v as DATA of at most cap bytes into out. Returns 0 with *len set;
 * on failure -1 with *len = 0, out zeroed and f naming field
 * (FAULT_CORRUPT: as ethjson_data_fixed, or longer than cap). */
int ethjson_data_var(uint8_t *out, size_t cap, size_t *len, const json_t *v,
                     const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Read v (at path) as a block from eth_getBlockByNumber or
 * eth_getBlockByHash with full transactions off: number, hash,
 * parentHash, timestamp, and logsBloom when present (has_bloom; absent or
 * null leaves it 0, anything else must be 256 bytes). Returns 0 with *out set; on failure -1 with *out
 * zeroed and f set (FAULT_NOT_FOUND when v is null; FAULT_CORRUPT naming
 * the member: "result.parentHash"). */
int ethjson_block(struct ethjson_block *out, const json_t *v,
                  const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Read v (at path) as a mined log: address, topics (0 to 4), data (at
 * most ETHJSON_LOG_DATA_MAX bytes), blockNumber, blockHash,
 * transactionHash, transactionIndex, logIndex, removed (absent is
 * false). Returns 0 with *out set (free with ethjson_log_clear); on
 * failure -1 with *out zeroed and nothing to free, f set (FAULT_CORRUPT
 * naming the member: "result[2].topics[1]"; FAULT_INTERNAL when memory
 * runs out). */
int ethjson_log(struct ethjson_log *out, const json_t *v, const char *path,
                struct fault *f) __attribute__((warn_unused_result));

/* Free what log holds and zero it. log may be NULL. */
void ethjson_log_clear(struct ethjson_log *log);

/* Read v (at path) as an array of at most ETHJSON_LOGS_MAX logs (the
 * answer to eth_getLogs). Returns 0 with *out (malloc'd, NULL when empty)
 * and *count set (free with ethjson_logs_free); on failure -1 with
 * *out = NULL, *count = 0 and f set as ethjson_log's ("result[7].data"),
 * or naming path when v is not an array or too long. */
int ethjson_logs(struct ethjson_log **out, size_t *count, const json_t *v,
                 const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Free logs[0..count) and the array. logs may be NULL. */
void ethjson_logs_free(struct ethjson_log *logs, size_t count);

/* Read v (at path) as a receipt from eth_getTransactionReceipt: status
 * ("0x0" or "0x1"), transactionHash, blockNumber, blockHash, logs. Every
 * log must name the receipt's transaction, block number and block hash,
 * and not be removed. Returns 0 with *out set (free with
 * ethjson_receipt_clear); on failure -1 with *out zeroed and f set
 * (FAULT_NOT_FOUND when v is null; FAULT_CORRUPT naming the member:
 * "result.logs[3].topics[1]"; FAULT_INTERNAL when memory runs out). */
int ethjson_receipt(struct ethjson_receipt *out, const json_t *v,
                    const char *path, struct fault *f)
    __attribute__((warn_unused_result));

/* Free what r holds and zero it. r may be NULL. */
void ethjson_receipt_clear(struct ethjson_receipt *r);

#endif
