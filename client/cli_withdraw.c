/*
 * sluice withdraw: send the key's account everything the market contract
 * owes it (an owner's earnings, or the fee recipient's fees): the
 * contract pays out by pull, never inside a purchase (DESIGN.md 3.7).
 */
#include <stdio.h>
#include <string.h>

#include "client/cli.h"
#include "client/ether.h"
#include "client/market.h"

struct cli_withdraw_opts {
    struct cli_chain_opts chain;
};

static int cli_withdraw_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_withdraw_opts *o = opts;
    uint8_t call[MARKET_OWED_LEN], data[ABI_WITHDRAW_CALLDATA_LEN], owed[32];
    uint8_t zero[32], hash[32];
    char eth[ETHER_WEI_TEXT_SIZE], wei_text[ETHER_WEI_TEXT_SIZE];
    char who[ETHADDR_TEXT_SIZE];
    struct ethjson_receipt rc;
    struct ethclient_msg m;
    struct cli_chain chain;
    struct abi_market abi;
    size_t len = 0;
    int rv = -1;

    memset(&chain, 0, sizeof chain);
    memset(&rc, 0, sizeof rc);
    memset(zero, 0, sizeof zero);
    if (cli_chain_open(&chain, &o->chain, &ctx->api, f) < 0)
        goto done;
    /* Ask first, so that the amount is known and a withdrawal of nothing
     * (which the contract refuses) costs no gas. */
    market_owed_calldata(call, &ctx->key.addr);
    m = (struct ethclient_msg){NULL, &chain.contract, NULL, call,
                               sizeof call};
    if (ethclient_call_view(chain.rpc, owed, sizeof owed, &len, &m, f) < 0)
        goto done;
    if (len != sizeof owed) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "owed(address) returned %zu bytes, not 32: is --contract "
                  "the sluice market?", len);
        goto done;
    }
    ethaddr_to_text(who, &ctx->key.addr);
    if (ether_is_zero(owed)) {
        fault_set(f, FAULT_CONFLICT, NULL,
                  "the market owes %s nothing: there is nothing to "
                  "withdraw", who);
        goto done;
    }
    if (ether_eth_text(eth, sizeof eth, owed) < 0 ||
        ether_wei_text(wei_text, sizeof wei_text, owed) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot write the amount");
        goto done;
    }
    printf("withdrawing %s ETH (%s wei) to %s\n", eth, wei_text, who);
    fflush(stdout);
    if (cli_market_abi(&abi, f) < 0)
        goto done;
    abi_encode_withdraw(data, &abi);
    if (cli_chain_send(&chain, hash, &ctx->key, zero, data, sizeof data,
                       f) < 0 ||
        cli_chain_wait_mined(&chain, &rc, hash, f) < 0)
        goto done;
    printf("mined in block %llu\n", (unsigned long long)rc.block_number);
    rv = 0;
done:
    ethjson_receipt_clear(&rc);
    cli_chain_close(&chain);
    return rv;
}

const struct cli_command cli_cmd_withdraw = {
    .name = "withdraw",
    .summary = "withdraw everything the market contract owes the key (an "
               "owner's earnings) and wait until it is mined",
    .options = (const struct cli_option[]){
        CLI_CHAIN_OPTIONS(struct cli_withdraw_opts, chain),
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_withdraw_opts),
    .flags = CLI_KEY | CLI_API,
    .run = cli_withdraw_run,
};
