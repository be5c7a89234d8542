/*
 * ethclient: a blocking client of an Ethereum node for command-line tools
 * (`sluice buy` and `sluice withdraw` send transactions with it), built on
 * the gateway's own JSON-RPC reader: rpc.c carries each call (http:// or
 * https://, deadlines, bounded answers) on an event_base private to the
 * client, rpcwire.c reads the answer strictly, and ethjson.c reads the
 * values in it. One call at a time; each function returns when its call
 * has its answer or has failed.
 *
 * The typed calls below are what sending a transaction needs: the chain
 * id, an account's next nonce, whether an address holds code, a gas
 * estimate, the fees, a read-only call, the raw transaction itself and its
 * receipt. ethclient_call makes any other call.
 *
 * SIGPIPE: a write to a connection the node closed raises no signal while
 * a call runs (it is blocked for the call's duration, and one that came
 * is taken back), so a program need not ignore SIGPIPE to use this.
 *
 * Faults; every detail names "the Ethereum node at <host:port>" (never
 * the URL's path, which may hold an API key) or the method:
 *   FAULT_INVALID      a bad URL (the field is the name given to
 *                      ethclient_open, e.g. "--rpc-url");
 *   FAULT_UNAVAILABLE  the node cannot be reached, breaks the connection
 *                      off, does not answer within ETHCLIENT_TIMEOUT_MS, or
 *                      answers with an HTTP status other than 200;
 *   FAULT_CONFLICT     the node answered with a JSON-RPC error object: a
 *                      call that would revert, too little ETH for value and
 *                      gas, a nonce too low (its message, cleaned, and its
 *                      revert data are in the detail);
 *   FAULT_CORRUPT      an answer that fails a check (rpcwire.h, ethjson.h);
 *   FAULT_TOO_LARGE    an answer over ETHCLIENT_BODY_MAX bytes;
 *   FAULT_INTERNAL     misuse, or memory ran out.
 */
#ifndef SLUICE_CONTRACTS_ABI_ETHCLIENT_H
#define SLUICE_CONTRACTS_ABI_ETHCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "contracts-abi/ethjson.h"
#include "lib/ethaddr.h"
#include "lib/fault.h"

#define ETHCLIENT_TIMEOUT_MS 60000         /* per call */
#define ETHCLIENT_BODY_MAX ((size_t)4 << 20) /* bytes of one answer */

struct ethclient;

/* A message call, as eth_call and eth_estimateGas take it. from and value
 * (32 bytes big-endian, wei) may be NULL for none. */
struct ethclient_msg {
    const struct ethaddr *from;
    const struct ethaddr *to;
    const uint8_t *value;
    const uint8_t *data;
    size_t data_len;
};

/* Make a client of the node at url (http:// or https://, as rpc.h
 * says); url_name is what faults call the URL and name as their field
 * (e.g. "--rpc-url"). Nothing is connected yet. Returns 0 with *out set
 * (the caller ethclient_close's it); on failure -1 with *out = NULL and f
 * set (FAULT_INVALID naming url_name for a bad URL, FAULT_INTERNAL when
 * memory runs out). */
int ethclient_open(struct ethclient **out, const char *url,
                   const char *url_name, struct fault *f)
    __attribute__((warn_unused_result));

/* Close c's connection and free it. c may be NULL. */
void ethclient_close(struct ethclient *c);

/* Return the node's host and port as faults show them
 * ("127.0.0.1:8545"). Valid while c lives. */
const char *ethclient_host(const struct ethclient *c);

/* Call method with params (a JSON array, borrowed; NULL for []) and wait
 * for the answer. Returns 0 with *result a new reference to the answer's
 * result (JSON null included; the caller json_decref's it); on failure -1
 * with *result = NULL and f set as the top of this file says. */
int ethclient_call(struct ethclient *c, json_t **result, const char *method,
                   json_t *params, struct fault *f)
    __attribute__((warn_unused_result));

/* eth_chainId. Returns 0 with *out set; on failure -1 with *out = 0 and
 * f set. */
int ethclient_chain_id(struct ethclient *c, uint64_t *out, struct fault *f)
    __attribute__((warn_unused_result));

/* eth_getTransactionCount(a, "pending"): the nonce of a's next
 * transaction. Returns as ethclient_chain_id. */
int ethclient_nonce(struct ethclient *c, uint64_t *out,
                    const struct ethaddr *a, struct fault *f)
    __attribute__((warn_unused_result));

/* eth_getCode(a, "latest"): how many bytes of code a holds (0 for an
 * account without code). Returns as ethclient_chain_id. */
int ethclient_code_size(struct ethclient *c, size_t *out,
                        const struct ethaddr *a, struct fault *f)
    __attribute__((warn_unused_result));

/* eth_estimateGas(m). Returns as ethclient_chain_id (a call that would
 * revert, or too little ETH, is FAULT_CONFLICT with the node's words). */
int ethclient_estimate_gas(struct ethclient *c, uint64_t *out,
                           const struct ethclient_msg *m, struct fault *f)
    __attribute__((warn_unused_result));

/* eth_call(m, "latest"). Returns 0 with out[0..*len) the bytes returned;
 * on failure -1 with *len = 0, out[0..cap) zeroed and f set
 * (FAULT_CORRUPT when more than cap bytes come back). */
int ethclient_call_view(struct ethclient *c, uint8_t *out, size_t cap,
                        size_t *len, const struct ethclient_msg *m,
                        struct fault *f) __attribute__((warn_unused_result));

/* Suggest EIP-1559 fees: *base_fee the next block's base fee (the last
 * baseFeePerGas of eth_feeHistory(1, "latest", [])) and *tip the node's
 * eth_maxPriorityFeePerGas. Returns 0; on failure -1 with both 0 and f
 * set. */
int ethclient_fees(struct ethclient *c, uint64_t *base_fee, uint64_t *tip,
                   struct fault *f) __attribute__((warn_unused_result));

/* eth_sendRawTransaction(raw[0..len)); the node's answer must be hash, the
 * hash of the raw bytes (keccak256), computed by the caller. Returns 0; on
 * failure -1 with f set (FAULT_CORRUPT when the node names another
 * hash). */
int ethclient_send_raw(struct ethclient *c, const uint8_t *raw, size_t len,
                       const uint8_t hash[32], struct fault *f)
    __attribute__((warn_unused_result));

/* eth_getTransactionReceipt(hash), read by ethjson_receipt. Returns 0 with
 * *found = 1 and *out filled (the caller ethjson_receipt_clear's it), or
 * *found = 0 and *out zeroed while the transaction is not mined; on
 * failure -1 with *found = 0, *out zeroed and f set (FAULT_CORRUPT also
 * when the receipt is another transaction's). */
int ethclient_receipt(struct ethclient *c, struct ethjson_receipt *out,
                      int *found, const uint8_t hash[32], struct fault *f)
    __attribute__((warn_unused_result));

#endif
