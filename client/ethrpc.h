/*
 * ethrpc: the CLI's small blocking JSON-RPC client of an Ethereum node,
 * over client/http (http:// only, one call at a time, keep-alive).
 *
 * It is strict about what it reads, since a node's answer decides what
 * the CLI signs and pays: a quantity is "0x" and 1 to 16 hex digits
 * without leading zeros ("0x0" for zero); data is "0x" and exactly the
 * expected number of bytes; the answer carries "jsonrpc": "2.0" and the
 * id that was sent. Failures:
 *   FAULT_INVALID      a bad --rpc-url;
 *   FAULT_UNAVAILABLE  the node cannot be reached, times out, or answers
 *                      with an HTTP error status;
 *   FAULT_CONFLICT     the node answered with a JSON-RPC error (its
 *                      message, cleaned, is in the detail: a revert, too
 *                      little ETH for value and gas, a nonce too low);
 *   FAULT_CORRUPT      an answer that breaks the rules above.
 * Details name "the Ethereum node at <host:port>", never "the gateway".
 */
#ifndef SLUICE_CLIENT_ETHRPC_H
#define SLUICE_CLIENT_ETHRPC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "client/http.h"
#include "lib/ethaddr.h"
#include "lib/fault.h"

#define ETHRPC_BODY_MAX ((size_t)4 << 20)
#define ETHRPC_CALL_MAX 4096 /* bytes an eth_call may return to us */

struct ethrpc {
    struct http_client http;
    uint64_t next_id;
};

/* A message call, as eth_call and eth_estimateGas take it. value (32
 * bytes big-endian, wei) may be NULL for none; from may be NULL. */
struct ethrpc_msg {
    const struct ethaddr *from;
    const struct ethaddr *to;
    const uint8_t *value;
    const uint8_t *data;
    size_t data_len;
};

/* What the CLI reads of a transaction receipt. */
struct ethrpc_receipt {
    int status;                /* 1 success, 0 reverted */
    uint64_t block_number;
    uint8_t block_hash[32];
    uint64_t gas_used;
    uint64_t effective_gas_price;
    size_t logs;               /* how many logs it holds */
};

/* Make r a client of the node at url (http:// only; field names the
 * option in faults, e.g. "--rpc-url"). Opens nothing. Returns 0; on
 * failure -1 with *r zeroed and f FAULT_INVALID naming field. */
int ethrpc_init(struct ethrpc *r, const char *url, const char *field,
                struct fault *f) __attribute__((warn_unused_result));

/* Close r's connection. */
void ethrpc_close(struct ethrpc *r);

/* Call method with params (a JSON array, [] for none; the reference is
 * stolen, even on failure; NULL, as a failed json_pack gives, is
 * FAULT_INTERNAL). Returns 0 with *result a new reference to the
 * answer's result (JSON null included); on failure -1 with *result = NULL
 * and f set as the top of this file says. */
int ethrpc_call(struct ethrpc *r, json_t **result, const char *method,
                json_t *params, struct fault *f)
    __attribute__((warn_unused_result));

/* eth_chainId. Returns 0 with *out set; on failure -1 with *out = 0 and
 * f set. */
int ethrpc_chain_id(struct ethrpc *r, uint64_t *out, struct fault *f)
    __attribute__((warn_unused_result));

/* eth_blockNumber. Returns as ethrpc_chain_id. */
int ethrpc_block_number(struct ethrpc *r, uint64_t *out, struct fault *f)
    __attribute__((warn_unused_result));

/* eth_getTransactionCount(a, "pending"): the nonce of a's next
 * transaction. Returns as ethrpc_chain_id. */
int ethrpc_nonce(struct ethrpc *r, uint64_t *out, const struct ethaddr *a,
                 struct fault *f) __attribute__((warn_unused_result));

/* eth_getCode(a, "latest"): how many bytes of code a holds (0 for an
 * account without code). Returns as ethrpc_chain_id. */
int ethrpc_code_size(struct ethrpc *r, size_t *out, const struct ethaddr *a,
                     struct fault *f) __attribute__((warn_unused_result));

/* eth_estimateGas(m). Returns as ethrpc_chain_id (a call that would revert
 * is FAULT_CONFLICT with the node's words). */
int ethrpc_estimate_gas(struct ethrpc *r, uint64_t *out,
                        const struct ethrpc_msg *m, struct fault *f)
    __attribute__((warn_unused_result));

/* eth_call(m, "latest"). Returns 0 with out[0..*len) the returned bytes;
 * on failure -1 with *len = 0, out[0..cap) zeroed and f set (FAULT_CORRUPT
 * when more than cap bytes come back). */
int ethrpc_call_view(struct ethrpc *r, uint8_t *out, size_t cap, size_t *len,
                     const struct ethrpc_msg *m, struct fault *f)
    __attribute__((warn_unused_result));

/* Suggest EIP-1559 fees: *base_fee the next block's base fee (the last
 * baseFeePerGas of eth_feeHistory(1, "latest", [])) and *tip the node's
 * eth_maxPriorityFeePerGas. Returns 0; on failure -1 with both 0 and f
 * set. */
int ethrpc_fees(struct ethrpc *r, uint64_t *base_fee, uint64_t *tip,
                struct fault *f) __attribute__((warn_unused_result));

/* eth_sendRawTransaction(raw[0..len)); the node's answer must be hash,
 * the hash we computed. Returns 0; on failure -1 with f set. */
int ethrpc_send_raw(struct ethrpc *r, const uint8_t *raw, size_t len,
                    const uint8_t hash[32], struct fault *f)
    __attribute__((warn_unused_result));

/* eth_getTransactionReceipt(hash). Returns 0 with *found = 1 and *out
 * filled, or *found = 0 and *out zeroed while the transaction is not
 * mined; on failure -1 with *found = 0, *out zeroed and f set. */
int ethrpc_receipt(struct ethrpc *r, struct ethrpc_receipt *out, int *found,
                   const uint8_t hash[32], struct fault *f)
    __attribute__((warn_unused_result));

/* Read v as a quantity ("0x0", or "0x" and 1 to 16 hex digits, the first
 * not 0). Returns 0 with *out set; on failure -1 with *out = 0 and f
 * FAULT_CORRUPT naming what (e.g. "eth_chainId"). */
int ethrpc_parse_quantity(uint64_t *out, const json_t *v, const char *what,
                          struct fault *f) __attribute__((warn_unused_result));

/* Read v as "0x" and exactly 2 * len hex digits. Returns 0 with out set;
 * on failure -1 with out zeroed and f FAULT_CORRUPT naming what. */
int ethrpc_parse_data(uint8_t *out, size_t len, const json_t *v,
                      const char *what, struct fault *f)
    __attribute__((warn_unused_result));

#endif
