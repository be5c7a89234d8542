/*
 * market: the calldata of the market contract's owed(address) view, which
 * `sluice withdraw` reads first: the 4-byte selector (the first bytes of
 * keccak256 of the signature text) and the address as a 32-byte ABI word.
 * purchase and withdraw, the fixed surface of DESIGN.md 3.7, come from
 * contracts-abi/abi.h, which checks them against the ABI JSON.
 */
#ifndef SLUICE_CLIENT_MARKET_H
#define SLUICE_CLIENT_MARKET_H

#include <stdint.h>

#include "lib/ethaddr.h"

#define MARKET_OWED_SIG "owed(address)"
#define MARKET_OWED_LEN (4 + 32)

/* Write the selector of the function whose signature text is sig (e.g.
 * "withdraw()") to out. */
void market_selector(uint8_t out[4], const char *sig);

/* Write the calldata of owed(account). */
void market_owed_calldata(uint8_t out[MARKET_OWED_LEN],
                          const struct ethaddr *account);

#endif
