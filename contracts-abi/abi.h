/*
 * abi: the market contract's ABI (DESIGN.md 3.7), read from its ABI JSON
 * rather than from hand-copied constants.
 *
 * abi_market_load checks that the JSON holds exactly the fixed surface the
 * gateway relies on:
 *
 *     function purchase(bytes32 datasetId, address owner, address worker,
 *                       bytes32 ref) payable
 *     function withdraw() nonpayable
 *     event Purchased(bytes32 indexed datasetId, address indexed worker,
 *                     address indexed payer, address owner,
 *                     uint256 amount, bytes32 ref)
 *
 * (names, types, indexed flags and order), then hashes the canonical
 * signatures built from the JSON with Keccak-256: the 4-byte selectors and
 * the event's topic0. A contract rebuilt with a different surface is
 * refused at start instead of being misread at the first payment.
 *
 * A Purchased log is decoded strictly: a log that an honest Market cannot
 * emit (another event, other topics, padding bits set, data of another
 * length) is refused, not read leniently. Amounts of 2^128 wei or more are
 * refused too: no payment that large exists (it is ~3.4e20 ether), and the
 * ledger stores amounts in that range.
 */
#ifndef SLUICE_CONTRACTS_ABI_ABI_H
#define SLUICE_CONTRACTS_ABI_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ethaddr.h"
#include "lib/fault.h"
#include "lib/u256.h"

#define ABI_WORD_LEN 32
#define ABI_SELECTOR_LEN 4
/* selector + datasetId, owner, worker, ref: one word each */
#define ABI_PURCHASE_CALLDATA_LEN (ABI_SELECTOR_LEN + 4 * ABI_WORD_LEN)
#define ABI_WITHDRAW_CALLDATA_LEN ABI_SELECTOR_LEN
/* topic0 and the three indexed arguments */
#define ABI_PURCHASED_TOPICS 4
/* owner, amount, ref */
#define ABI_PURCHASED_DATA_LEN (3 * ABI_WORD_LEN)
/* Amounts are below 2^ABI_AMOUNT_MAX_BITS wei. */
#define ABI_AMOUNT_MAX_BITS 128
/* The longest ABI JSON abi_market_load reads. */
#define ABI_JSON_MAX (1u << 20)

/* What the gateway takes from the ABI. */
struct abi_market {
    uint8_t purchase_selector[ABI_SELECTOR_LEN];
    uint8_t withdraw_selector[ABI_SELECTOR_LEN];
    uint8_t purchased_topic[ABI_WORD_LEN];
};

/* One Purchased log, decoded. */
struct abi_purchased {
    uint8_t dataset_id[ABI_WORD_LEN];
    struct ethaddr worker; /* topic 2: who the units are for */
    struct ethaddr payer;  /* topic 3: msg.sender */
    struct ethaddr owner;  /* data word 0: who is paid */
    struct u256 amount;    /* data word 1: gross msg.value, < 2^128 */
    uint8_t ref[ABI_WORD_LEN];
};

/* Return contracts-abi/Market.abi.json as it was when the library was
 * built (NUL-terminated; *len, which may not be NULL, is set to its length
 * without the NUL). The text is static: never freed. Defined in a source
 * that the build generates from the JSON (contracts-abi/module.mk). */
const char *abi_market_json(size_t *len);

/* Read the ABI JSON json[0..len) and check its surface (above). Returns 0
 * with *out holding the selectors and the topic; on failure -1 with *out
 * zeroed and f set: FAULT_INVALID with field "abi" when the text is not a
 * JSON array of objects (a syntax error, a duplicate key, longer than
 * ABI_JSON_MAX), when an entry is missing or given twice (an overload), or
 * when an entry differs from the fixed surface (another name, type,
 * indexed flag, mutability, number or order of arguments, outputs, an
 * anonymous event); the detail names the entry and what differs.
 * FAULT_INTERNAL for misuse (json NULL) or when memory runs out. */
int abi_market_load(struct abi_market *out, const char *json, size_t len,
                    struct fault *f) __attribute__((warn_unused_result));

/* Write the calldata of purchase(datasetId, owner, worker, ref) to out:
 * the selector, then the four arguments as 32-byte words (addresses
 * left-padded with zeros). */
void abi_encode_purchase(uint8_t out[ABI_PURCHASE_CALLDATA_LEN],
                         const struct abi_market *m,
                         const uint8_t dataset_id[ABI_WORD_LEN],
                         const struct ethaddr *owner,
                         const struct ethaddr *worker,
                         const uint8_t ref[ABI_WORD_LEN]);

/* Write the calldata of withdraw() to out: its selector. */
void abi_encode_withdraw(uint8_t out[ABI_WITHDRAW_CALLDATA_LEN],
                         const struct abi_market *m);

/* Decode a Purchased log from its topics (n_topics words) and data
 * (data_len bytes; data may be NULL when data_len is 0). Returns 0 with
 * *out set; on failure -1 with *out zeroed and f FAULT_INVALID naming the
 * part at fault: "topics" (not exactly 4), "topics[0]" (not the Purchased
 * topic: another event), "topics[2]" or "topics[3]" (an address word
 * with a non-zero byte in its 12 bytes of padding), "data" (not exactly 96
 * bytes), "data.owner" (padding) or "data.amount" (2^128 or more).
 * FAULT_INTERNAL for misuse (m, topics or out NULL). */
int abi_decode_purchased(struct abi_purchased *out, const struct abi_market *m,
                         const uint8_t (*topics)[ABI_WORD_LEN],
                         size_t n_topics, const uint8_t *data,
                         size_t data_len, struct fault *f)
    __attribute__((warn_unused_result));

#endif
