#include "client/market.h"

#include <string.h>

#include "lib/keccak.h"

void market_selector(uint8_t out[4], const char *sig)
{
    uint8_t h[KECCAK256_LEN];

    keccak256(h, (const uint8_t *)sig, strlen(sig));
    memcpy(out, h, 4);
}

/* An address as an ABI word: 12 zero bytes, then its 20. */
static void market_address_word(uint8_t word[32], const struct ethaddr *a)
{
    memset(word, 0, 12);
    memcpy(word + 12, a->bytes, ETHADDR_LEN);
}

void market_purchase_calldata(uint8_t out[MARKET_PURCHASE_LEN],
                              const uint8_t dataset_id[32],
                              const struct ethaddr *owner,
                              const struct ethaddr *worker,
                              const uint8_t ref[32])
{
    market_selector(out, MARKET_PURCHASE_SIG);
    memcpy(out + 4, dataset_id, 32);
    market_address_word(out + 36, owner);
    market_address_word(out + 68, worker);
    memcpy(out + 100, ref, 32);
}

void market_withdraw_calldata(uint8_t out[MARKET_WITHDRAW_LEN])
{
    market_selector(out, MARKET_WITHDRAW_SIG);
}

void market_owed_calldata(uint8_t out[MARKET_OWED_LEN],
                          const struct ethaddr *account)
{
    market_selector(out, MARKET_OWED_SIG);
    market_address_word(out + 4, account);
}
