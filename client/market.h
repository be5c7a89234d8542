/*
 * market: the calldata of the market contract's calls that the CLI makes
 * (contracts-abi/Market.sol, DESIGN.md 3.7): purchase, withdraw and the
 * owed view. Each is the 4-byte selector (the first bytes of keccak256 of
 * the function's signature text) and its arguments as 32-byte ABI words;
 * all of them are static types, so there is no offset or tail.
 *
 * This is the CLI's own small encoder until contracts-abi's general ABI
 * code is there to link.
 */
#ifndef SLUICE_CLIENT_MARKET_H
#define SLUICE_CLIENT_MARKET_H

#include <stdint.h>

#include "lib/ethaddr.h"

#define MARKET_PURCHASE_SIG "purchase(bytes32,address,address,bytes32)"
#define MARKET_WITHDRAW_SIG "withdraw()"
#define MARKET_OWED_SIG "owed(address)"

#define MARKET_PURCHASE_LEN (4 + 4 * 32)
#define MARKET_WITHDRAW_LEN 4
#define MARKET_OWED_LEN (4 + 32)

/* Write the selector of the function whose signature text is sig (e.g.
 * "withdraw()") to out. */
void market_selector(uint8_t out[4], const char *sig);

/* Write the calldata of purchase(datasetId, owner, worker, ref). */
void market_purchase_calldata(uint8_t out[MARKET_PURCHASE_LEN],
                              const uint8_t dataset_id[32],
                              const struct ethaddr *owner,
                              const struct ethaddr *worker,
                              const uint8_t ref[32]);

/* Write the calldata of withdraw(). */
void market_withdraw_calldata(uint8_t out[MARKET_WITHDRAW_LEN]);

/* Write the calldata of owed(account). */
void market_owed_calldata(uint8_t out[MARKET_OWED_LEN],
                          const struct ethaddr *account);

#endif
