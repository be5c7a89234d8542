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

void market_owed_calldata(uint8_t out[MARKET_OWED_LEN],
                          const struct ethaddr *account)
{
    market_selector(out, MARKET_OWED_SIG);
    market_address_word(out + 4, account);
}
