/*
 * sluice dev fund ADDR [--amount ETH]: give an address ETH from the first
 * dev account of a local development chain (anvil), so that a new key
 * can pay for gas and buy. It refuses any node that is not such a chain:
 * chain id 31337, or a node that answers anvil's own methods.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/ether.h"
#include "lib/hex.h"

#define CLI_DEV_CHAIN_ID 31337

struct cli_dev_opts {
    const char *address, *amount, *rpc_url;
    uint8_t wei[32];
    struct ethaddr to;
};

static int cli_dev_check(void *opts, struct fault *f)
{
    struct cli_dev_opts *o = opts;

    if (ethaddr_parse(&o->to, o->address, strlen(o->address), "ADDR", f) < 0)
        return -1;
    if (ethaddr_is_zero(&o->to))
        return fault_set(f, FAULT_INVALID, "ADDR",
                         "ADDR cannot be the zero address");
    return ether_parse(o->wei, o->amount, "--amount", f);
}

/* Is the node a local dev chain? Says why not in f. */
static int cli_dev_is_local(struct ethclient *rpc, uint64_t chain_id,
                            struct fault *f)
{
    json_t *r = NULL;
    struct fault af;

    if (chain_id == CLI_DEV_CHAIN_ID)
        return 0;
    if (ethclient_call(rpc, &r, "anvil_nodeInfo", NULL, &af) == 0) {
        json_decref(r);
        return 0;
    }
    return fault_set(f, FAULT_INVALID, "--rpc-url",
                     "the Ethereum node at %s (--rpc-url) is on chain %llu "
                     "and does not answer anvil_ methods: dev fund gives "
                     "dev-account ETH on a local dev chain only (anvil, "
                     "chain %d), never on a real one",
                     ethclient_host(rpc), (unsigned long long)chain_id,
                     CLI_DEV_CHAIN_ID);
}

/* "0x" + the quantity's hex digits, no leading zeros ("0x0" for 0). */
static void cli_dev_quantity(char out[70], const uint8_t v[32])
{
    char hex[65];
    size_t i = 0;

    if (hex_encode(hex, sizeof hex, v, 32) < 0) {
        snprintf(out, 70, "0x0");
        return;
    }
    while (i < 63 && hex[i] == '0')
        i++;
    snprintf(out, 70, "0x%s", hex + i);
}

static int cli_dev_fund_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_dev_opts *o = opts;
    const char *url = o->rpc_url, *env, *from, *hash_text;
    char to[ETHADDR_TEXT_SIZE], value[70], eth[ETHER_WEI_TEXT_SIZE];
    char from_text[ETHADDR_TEXT_SIZE];
    struct ethaddr from_addr;
    struct ethjson_receipt rc;
    struct cli_chain chain;
    json_t *accounts = NULL, *params = NULL, *res = NULL;
    uint8_t hash[32];
    int rv = -1;

    (void)ctx;
    memset(&chain, 0, sizeof chain);
    memset(&rc, 0, sizeof rc);
    if (url == NULL) {
        env = getenv(CLI_RPC_URL_ENV);
        url = env != NULL && env[0] != '\0' ? env : CLI_RPC_URL_DEFAULT;
    }
    if (ethclient_open(&chain.rpc, url, "--rpc-url", f) < 0 ||
        ethclient_chain_id(chain.rpc, &chain.chain_id, f) < 0 ||
        cli_dev_is_local(chain.rpc, chain.chain_id, f) < 0 ||
        ethclient_call(chain.rpc, &accounts, "eth_accounts", NULL, f) < 0)
        goto done;
    from = json_string_value(json_array_get(accounts, 0));
    if (from == NULL) {
        fault_set(f, FAULT_CONFLICT, "--rpc-url",
                  "the node at %s has no unlocked dev account to fund from",
                  ethclient_host(chain.rpc));
        goto done;
    }
    ethaddr_to_text(to, &o->to);
    cli_dev_quantity(value, o->wei);
    params = json_pack("[{s:s, s:s, s:s}]", "from", from, "to", to, "value",
                       value);
    if (params == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (ethclient_call(chain.rpc, &res, "eth_sendTransaction", params, f) <
        0)
        goto done;
    hash_text = json_string_value(res);
    if (hash_text == NULL || strlen(hash_text) != 66 ||
        hex_decode_0x(hash, sizeof hash, hash_text, 66, NULL, NULL) < 0) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the node answered eth_sendTransaction without a hash");
        goto done;
    }
    printf("%s\n", hash_text);
    fflush(stdout);
    if (cli_chain_wait_mined(&chain, &rc, hash, f) < 0)
        goto done;
    if (ether_eth_text(eth, sizeof eth, o->wei) < 0)
        snprintf(eth, sizeof eth, "?");
    if (ethaddr_parse(&from_addr, from, strlen(from), NULL, NULL) == 0)
        ethaddr_to_text(from_text, &from_addr);
    else
        snprintf(from_text, sizeof from_text, "?");
    printf("funded %s with %s ETH from %s (dev account 0) in block %llu\n",
           to, eth, from_text, (unsigned long long)rc.block_number);
    rv = 0;
done:
    ethjson_receipt_clear(&rc);
    json_decref(accounts);
    json_decref(params);
    json_decref(res);
    cli_chain_close(&chain);
    return rv;
}

const struct cli_command cli_cmd_dev_fund = {
    .name = "dev fund",
    .summary = "give ADDR ETH from the first dev account of a local dev "
               "chain (anvil: chain 31337, or a node that answers anvil_ "
               "methods; any other chain is refused), so that a new key "
               "can pay gas and buy",
    .args = (const struct cli_arg[]){
        {.name = "ADDR", .type = CLI_ARG_TEXT,
         .help = "the address to fund (e.g. sluice key address)",
         .slot = offsetof(struct cli_dev_opts, address)},
        {.name = NULL},
    },
    .options = (const struct cli_option[]){
        {.name = "amount", .type = CLI_OPT_STRING, .value = "ETH",
         .help = "how much", .slot = offsetof(struct cli_dev_opts, amount),
         .def = "1"},
        {.name = "rpc-url", .type = CLI_OPT_STRING, .value = "URL",
         .help = "the dev chain's node (default $" CLI_RPC_URL_ENV
                 ", else " CLI_RPC_URL_DEFAULT ")",
         .slot = offsetof(struct cli_dev_opts, rpc_url)},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_dev_opts),
    .check = cli_dev_check,
    .run = cli_dev_fund_run,
};
