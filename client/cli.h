/*
 * cli: the sluice command line as a table (tmux's cmd_table habit): each
 * entry is a command of one or two words, its usage, a summary and the
 * function that runs it. main() parses the global options, finds the
 * entry and runs it; every failure comes back as a fault and is printed
 * once, by main.
 *
 * Global options, before or after the command words:
 *   --gateway URL   the gateway (default $SLUICE_GATEWAY, else
 *                   http://127.0.0.1:8080)
 *   --key FILE      the key file (default $SLUICE_KEY, else
 *                   ~/.config/sluice/key)
 */
#ifndef SLUICE_CLIENT_CLI_H
#define SLUICE_CLIENT_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "contracts-abi/abi.h"
#include "contracts-abi/ethclient.h"
#include "client/api.h"
#include "client/keyfile.h"
#include "lib/ethkey.h"
#include "lib/fault.h"
#include "lib/units.h"

#define CLI_GATEWAY_ENV "SLUICE_GATEWAY"
#define CLI_GATEWAY_DEFAULT "http://127.0.0.1:8080"
#define CLI_RPC_URL_ENV "SLUICE_RPC_URL"
#define CLI_RPC_URL_DEFAULT "http://127.0.0.1:8545"

/* getopt_long codes of the global options; CLI_GLOBAL_OPTIONS goes into
 * every command's option table. */
enum {
    CLI_OPT_GATEWAY = 1000,
    CLI_OPT_KEY,
    CLI_OPT_HELP,
    CLI_OPT_RPC_URL,  /* the chain options (CLI_CHAIN_OPTIONS) */
    CLI_OPT_CONTRACT,
    CLI_OPT_CHAIN_ID,
    CLI_OPT_FIRST_LOCAL /* commands number their own options from here */
};

#define CLI_GLOBAL_OPTIONS                                                  \
    {"gateway", required_argument, NULL, CLI_OPT_GATEWAY},                  \
    {"key", required_argument, NULL, CLI_OPT_KEY},                          \
    {"help", no_argument, NULL, CLI_OPT_HELP}

/* The options of the commands that send transactions (buy, withdraw). */
#define CLI_CHAIN_OPTIONS                                                   \
    {"rpc-url", required_argument, NULL, CLI_OPT_RPC_URL},                  \
    {"contract", required_argument, NULL, CLI_OPT_CONTRACT},                \
    {"chain-id", required_argument, NULL, CLI_OPT_CHAIN_ID}

struct cli_entry;

/* What every command gets: the global settings. */
struct cli_ctx {
    const char *gateway;  /* the URL in force */
    const char *key_path; /* --key, or NULL for the default */
    const struct cli_entry *entry;
};

struct cli_entry {
    const char *name;    /* "key new", "upload" */
    const char *usage;   /* the arguments after the name */
    const char *summary; /* one line for --help */
    /* Run with argv[0] = the last word of the name. Return 0 on success,
     * or -1 with f set. */
    int (*run)(struct cli_ctx *ctx, int argc, char **argv, struct fault *f);
};

/* Return the entry whose name is argv[0] (one word) or argv[0] argv[1]
 * (two words), or NULL; *words is set to how many words it took. */
const struct cli_entry *cli_find(int argc, char **argv, int *words);

/* Return 1 if name is the first word of some two-word command ("key",
 * "dataset"), else 0. */
int cli_is_group(const char *name);

/* Print every command's usage and summary to out (a FILE *). */
void cli_print_help(void *out);

/* Print one command's usage to out (a FILE *). */
void cli_print_usage(void *out, const struct cli_entry *e);

/* Handle what getopt_long returned when it is not one of the command's
 * own options: the global options update ctx (returns 1), --help prints
 * the usage and returns 2 (the command should return 0 at once), and
 * anything else ('?', ':') becomes a fault naming the option (returns
 * -1). optstring must start with ':'. */
int cli_common_option(struct cli_ctx *ctx, int c, char **argv,
                      struct fault *f) __attribute__((warn_unused_result));

/* Check the positional arguments argv[optind..argc): exactly want of
 * them, named what (e.g. "ID FILE"). Returns 0, or -1 with f set. */
int cli_positional(int argc, char **argv, int want, const char *what,
                   struct fault *f) __attribute__((warn_unused_result));

/* Parse text as a decimal integer between min and max. Returns 0 with
 * *out set; on failure -1 with *out = 0 and f naming option. */
int cli_parse_uint(uint64_t *out, const char *text, uint64_t min,
                   uint64_t max, const char *option, struct fault *f)
    __attribute__((warn_unused_result));

/* Check that text is a data-set id ("0x" and 64 hex digits). Returns 0,
 * or -1 with f FAULT_INVALID naming "ID". */
int cli_check_id(const char *text, struct fault *f)
    __attribute__((warn_unused_result));

/* Write the key file path in force into out[0..cap): --key, else the
 * default (keyfile_default_path). Returns 0, or -1 with f set. */
int cli_key_path(const struct cli_ctx *ctx, char *out, size_t cap,
                 struct fault *f) __attribute__((warn_unused_result));

/* Load the key in force into *key. With required 0 a missing key file is
 * no failure: returns 0 with *have = 0 and *key zeroed. Otherwise returns
 * 0 with *have = 1, or -1 with *key wiped, *have = 0 and f set. The
 * caller wipes *key with ethkey_wipe. */
int cli_load_key(const struct cli_ctx *ctx, struct ethkey *key, int *have,
                 int required, struct fault *f)
    __attribute__((warn_unused_result));

/* Make *a a client of the gateway in force signing with key (may be
 * NULL). Returns 0, or -1 with f set. */
int cli_api(const struct cli_ctx *ctx, struct api *a, const struct ethkey *key,
            struct fault *f) __attribute__((warn_unused_result));

/* What a chain command was given: each NULL when not. */
struct cli_chain_opts {
    const char *rpc_url;
    const char *contract;
    const char *chain_id;
};

/* The node and contract a chain command sends to, once checked. */
struct cli_chain {
    struct ethclient *rpc;   /* NULL when closed */
    uint64_t chain_id;       /* the node's, equal to what was expected */
    struct ethaddr contract; /* holds code on that chain */
};

/* Take a chain option (c is what getopt_long returned) into *o. Returns
 * 1 if c was one, else 0. */
int cli_chain_option(struct cli_chain_opts *o, int c);

/* Open the chain for a command: the node at --rpc-url (else
 * $SLUICE_RPC_URL, else CLI_RPC_URL_DEFAULT); the contract from
 * --contract, else from the gateway's GET /v1/chain through a; the chain
 * id from the node, which must equal --chain-id when given and the
 * gateway's chain_id when the gateway was asked. The contract must hold
 * code. Returns 0 with *c filled (the caller cli_chain_close's it); on
 * failure -1 with *c closed and f set (FAULT_INVALID naming the option
 * for a bad one or for a mismatch, the node's or the gateway's fault
 * otherwise). */
int cli_chain_open(struct cli_chain *c, const struct cli_chain_opts *o,
                   struct api *a, struct fault *f)
    __attribute__((warn_unused_result));

/* The market's ABI as the library was built with (contracts-abi/abi.h):
 * the selectors and topic checked against its JSON. Returns 0, or -1 with
 * *out zeroed and f set (FAULT_INVALID: the embedded ABI is not the fixed
 * surface, which the build would have to get wrong). */
int cli_market_abi(struct abi_market *out, struct fault *f)
    __attribute__((warn_unused_result));

/* Close c's connection to the node. c may be zeroed. */
void cli_chain_close(struct cli_chain *c);

/* Build, sign with key and send a transaction to c->contract carrying
 * value (32 bytes big-endian wei) and data[0..len): the nonce is the
 * key's pending count, the gas limit the node's estimate plus a fifth,
 * the fees the node's tip and twice the next base fee plus the tip.
 * Prints the hash on stdout as soon as the node took it. Returns 0 with
 * hash set; on failure -1 with hash zeroed and f set (a call that would
 * revert, or too little ETH, is the node's FAULT_CONFLICT). */
int cli_chain_send(struct cli_chain *c, uint8_t hash[32],
                   const struct ethkey *key, const uint8_t value[32],
                   const uint8_t *data, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Wait (saying so on stderr) until the transaction hash is mined, at most
 * CLI_MINE_TIMEOUT_S seconds. Returns 0 with *out its receipt when it
 * succeeded (the caller ethjson_receipt_clear's it); on failure -1 with
 * *out zeroed and f set: FAULT_CONFLICT when it reverted (status 0),
 * FAULT_UNAVAILABLE when it was not mined in time or the node stayed
 * unreachable. */
int cli_chain_wait_mined(struct cli_chain *c, struct ethjson_receipt *out,
                         const uint8_t hash[32], struct fault *f)
    __attribute__((warn_unused_result));

#define CLI_MINE_TIMEOUT_S 600

/* The commands of the table (cli_key.c, cli_dataset.c, cli_upload.c,
 * cli_publish.c, cli_catalog.c, cli_buy.c, cli_withdraw.c). Each parses
 * argv (argv[0] = the last word of its name) with getopt_long, prints its
 * result on stdout and its progress on stderr, and returns 0; or -1 with
 * f set and nothing printed about the failure (main prints f once).
 * --help prints the usage and returns 0. */
int cli_key_new(struct cli_ctx *ctx, int argc, char **argv, struct fault *f);
int cli_key_show(struct cli_ctx *ctx, int argc, char **argv, struct fault *f);
int cli_dataset_create(struct cli_ctx *ctx, int argc, char **argv,
                       struct fault *f);
int cli_dataset_price(struct cli_ctx *ctx, int argc, char **argv,
                      struct fault *f);
int cli_dataset_delete(struct cli_ctx *ctx, int argc, char **argv,
                       struct fault *f);
int cli_upload_run(struct cli_ctx *ctx, int argc, char **argv,
                   struct fault *f);
int cli_publish_run(struct cli_ctx *ctx, int argc, char **argv,
                    struct fault *f);
int cli_catalog_ls(struct cli_ctx *ctx, int argc, char **argv,
                   struct fault *f);
int cli_catalog_show(struct cli_ctx *ctx, int argc, char **argv,
                     struct fault *f);
int cli_buy_run(struct cli_ctx *ctx, int argc, char **argv, struct fault *f);
int cli_withdraw_run(struct cli_ctx *ctx, int argc, char **argv,
                     struct fault *f);

#endif
