/*
 * cli: the sluice command line as data (tmux's cmd_entry habit).
 *
 * Each command is one `struct cli_command`, defined beside its function
 * (cli_key.c, cli_dataset.c, ...) and listed once in cli.c's table: its
 * words, a summary, its positional arguments, its options, and flags that
 * say whether it needs the key and the gateway's API. One parser
 * (cli_parse) reads argv into the command's own options struct, the
 * global options into the context, and checks what the table says (value
 * types and bounds, required options, the number of arguments, data-set
 * ids); one dispatcher (cli_main) then runs the command's check, loads the
 * key and opens the API, runs the command and closes them. `sluice
 * --help`, `sluice help CMD` and `sluice CMD --help` are printed from the
 * table.
 *
 * Adding a command: write its options struct, its run function (and a
 * check function if it has input to check that needs neither key nor
 * gateway), its `const struct cli_command`, declare it below and list it
 * in cli.c's table.
 *
 * Every failure travels up as a fault and is printed once, by cli_main:
 * "sluice CMD: detail", exit status 2 for FAULT_INVALID (bad input, ours
 * or the gateway's verdict), 1 for any other failure, 0 on success.
 *
 * Global options, before or after the command words:
 *   --gateway URL   the gateway (default $SLUICE_GATEWAY, else
 *                   http://127.0.0.1:8080)
 *   --key FILE      the key file (default $SLUICE_KEY, else
 *                   ~/.config/sluice/key)
 *   -h, --help      the usage of the command, or of sluice
 */
#ifndef SLUICE_CLIENT_CLI_H
#define SLUICE_CLIENT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "contracts-abi/abi.h"
#include "contracts-abi/ethclient.h"
#include "client/api.h"
#include "client/keyfile.h"
#include "lib/ethkey.h"
#include "lib/fault.h"
#include "lib/u256.h"
#include "lib/units.h"

#define CLI_GATEWAY_ENV "SLUICE_GATEWAY"
#define CLI_GATEWAY_DEFAULT "http://127.0.0.1:8080"
#define CLI_RPC_URL_ENV "SLUICE_RPC_URL"
#define CLI_RPC_URL_DEFAULT "http://127.0.0.1:8545"

#define CLI_OPTIONS_MAX 48 /* global and command options together */
#define CLI_LIST_MAX 16    /* values of one list option */

/* What an option's value becomes; the slot is the member of the
 * command's options struct that the option names. */
enum cli_opt_type {
    CLI_OPT_FLAG = 1, /* no value; int slot set to 1 */
    CLI_OPT_STRING,   /* const char * slot: the last value given */
    CLI_OPT_UINT,     /* struct cli_uint: decimal, within [min, max] */
    CLI_OPT_SIZE,     /* struct cli_uint: bytes with an optional K, M or G
                         suffix (units_parse_size), within [min, max] */
    CLI_OPT_LIST,     /* struct cli_list: every value, at most max of them */
    CLI_OPT_CUSTOM,   /* the option's take function decides */
    CLI_OPT_HELP      /* -h, --help: print the usage instead of running */
};

/* The slot of a CLI_OPT_UINT or CLI_OPT_SIZE option. */
struct cli_uint {
    int set; /* a value is there: given, or the option's default */
    uint64_t v;
};

/* The slot of a CLI_OPT_LIST option. */
struct cli_list {
    const char *v[CLI_LIST_MAX];
    size_t n;
};

struct cli_option;

/* Take value (NULL for an option without one) into slot for option o.
 * Returns 0, or -1 with f set (FAULT_INVALID naming "--NAME"). */
typedef int (*cli_take_fn)(void *slot, const struct cli_option *o,
                           const char *value, struct fault *f);

/* One option: a row of a command's table (a NULL name ends it). */
struct cli_option {
    const char *name;   /* long name without "--": "part-size" */
    char short_name;    /* 'h'; 0 for none */
    enum cli_opt_type type;
    const char *value;  /* what --help calls the value ("BYTES"); NULL for
                           an option without one */
    const char *help;   /* one line for --help */
    size_t slot;        /* offsetof the member in the options struct */
    uint64_t min, max;  /* bounds of CLI_OPT_UINT and CLI_OPT_SIZE; max is
                           the most values of a CLI_OPT_LIST */
    const char *def;    /* the default, as text, taken before argv (and
                           shown by --help); NULL for none */
    int group;          /* options of one nonzero group are alternatives,
                           shown as [A | B]; each take or the command's
                           check says what may go together */
    const char *missing; /* not NULL: the option (or one of its group) is
                            required, and this is the detail when none was
                            given */
    cli_take_fn take;   /* CLI_OPT_CUSTOM */
    int arg;            /* for take, e.g. which of a group o is */
};

enum cli_arg_type {
    CLI_ARG_TEXT = 1, /* any text */
    CLI_ARG_ID        /* a data-set id: "0x" and 64 hex digits */
};

/* One positional argument (a NULL name ends the list), in order. All are
 * required but those marked optional, which come last (usage shows them
 * as [NAME]). The slot is a const char * of the options struct (NULL for
 * an optional one not given). */
struct cli_arg {
    const char *name; /* "ID", "FILE" */
    enum cli_arg_type type;
    const char *help;
    size_t slot;
    int optional;
};

/* Command flags: what cli_main does for the command before its run. */
#define CLI_KEY 0x1         /* load the key; none there is a failure */
#define CLI_KEY_IF_THERE 0x2 /* load the key when there is one (only the
                                default key may be absent) */
#define CLI_API 0x4         /* open the gateway's API, with the key when
                               one was loaded */

struct cli_ctx;

struct cli_command {
    const char *name;    /* one or two words: "upload", "key new" */
    const char *summary; /* one line (or a few) for --help */
    const struct cli_arg *args;       /* positional; NULL for none */
    const struct cli_option *options; /* the command's own; NULL for none */
    size_t opts_size;    /* sizeof its options struct (0 for none) */
    unsigned flags;      /* CLI_KEY, CLI_KEY_IF_THERE, CLI_API */
    /* Check what needs neither key nor gateway, once every option and
     * argument is parsed; may fill derived members of opts (no
     * allocation). NULL for none. Returns 0, or -1 with f set. */
    int (*check)(void *opts, struct fault *f);
    /* Run: print the result on stdout and progress on stderr. Returns 0,
     * or -1 with f set and nothing printed about the failure. */
    int (*run)(struct cli_ctx *ctx, void *opts, struct fault *f);
};

/* What every command gets: the global settings, and the key and API when
 * its flags asked for them. */
struct cli_ctx {
    const char *gateway;  /* the URL in force */
    const char *key_path; /* --key, or NULL for the default */
    const struct cli_command *cmd;
    struct ethkey key;    /* when have_key */
    int have_key;
    struct api api;       /* when api_open */
    int api_open;
};

/* The table, in the order --help lists it. */
extern const struct cli_command *const cli_commands[];
extern const size_t cli_command_count;

/* The global options (--gateway, --key, --help), with slots in struct
 * cli_ctx. */
extern const struct cli_option cli_global_options[];

/* Return the command whose name is argv[0] (one word) or argv[0] argv[1]
 * (two words), or NULL; *words is set to how many words it took. */
const struct cli_command *cli_find(int argc, char **argv, int *words);

/* Return 1 if name is the first word of some two-word command ("key",
 * "dataset"), else 0. */
int cli_is_group(const char *name);

/* Print every command's usage and summary, then the global options. */
void cli_print_help(FILE *out);

/* Print cmd's usage, summary, arguments and options. */
void cli_print_usage(FILE *out, const struct cli_command *cmd);

/* Parse argv[1..argc) against the global options (into ctx) and, when cmd
 * is not NULL, cmd's options and arguments (into opts, cmd->opts_size
 * bytes that the caller zeroed), in that order:
 *   - options with a default get it first;
 *   - every option, in the order given (GNU getopt_long: long options as
 *     --name VALUE or --name=VALUE and by unambiguous prefix, options
 *     after arguments, "--" ends them), each value taken as its type
 *     says; --help stops there;
 *   - the arguments: their number, then data-set ids;
 *   - required options.
 * With cmd NULL only global options are read, up to the first argument
 * that is not one (the command's first word), whose index is put in
 * *next (argc when there is none).
 * Returns 0 when parsed, 1 when --help was given (nothing after it is
 * read or checked); on failure -1 with f FAULT_INVALID: an unknown option
 * ("unknown option --x; see sluice CMD --help"), a missing value ("option
 * --x needs a value"), a bad value (naming the option), a missing or
 * extra argument ("ID and FILE are required", "unexpected argument
 * 'x'"), a malformed id (naming "ID"), or a missing required option (its
 * missing text). Calls getopt_long: not reentrant. */
int cli_parse(struct cli_ctx *ctx, const struct cli_command *cmd, void *opts,
              int argc, char **argv, int *next, struct fault *f)
    __attribute__((warn_unused_result));

/* Run sluice with argv[0..argc) as main gets it: global options, the
 * command words, the command's arguments. Prints the result, the help or
 * the one line of a failure; returns the exit status (0, 1 or 2). */
int cli_main(int argc, char **argv);

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

/* --- the chain commands (buy, withdraw): cli_chain.c --- */

/* What a chain command was given: each NULL when not. */
struct cli_chain_opts {
    const char *rpc_url;
    const char *contract;
    const char *chain_id;
};

/* The options of a chain command, for an options struct S whose member M
 * is a struct cli_chain_opts. */
#define CLI_CHAIN_OPTIONS(S, M)                                             \
    {.name = "rpc-url", .type = CLI_OPT_STRING, .value = "URL",             \
     .help = "the Ethereum node (default $" CLI_RPC_URL_ENV ", else "       \
             CLI_RPC_URL_DEFAULT ")",                                       \
     .slot = offsetof(S, M.rpc_url)},                                       \
    {.name = "contract", .type = CLI_OPT_STRING, .value = "ADDR",           \
     .help = "the market contract (default: the one the gateway follows, "  \
             "from its GET /v1/chain)",                                     \
     .slot = offsetof(S, M.contract)},                                      \
    {.name = "chain-id", .type = CLI_OPT_STRING, .value = "N",              \
     .help = "the chain the node must be on (default: the gateway's)",      \
     .slot = offsetof(S, M.chain_id)}

/* The node and contract a chain command sends to, once checked. */
struct cli_chain {
    FILE *out;               /* where a sent transaction's hash is printed:
                                NULL for stdout */
    struct ethclient *rpc;   /* NULL when closed */
    uint64_t chain_id;       /* the node's, equal to what was expected */
    struct ethaddr contract; /* holds code on that chain */
};

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
 * Prints the hash on c->out (stdout when NULL) as soon as the node took
 * it. Returns 0 with
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

/* --- buying (cli_buy.c), for sluice buy and sluice query --pay --- */

/* What a data-set's plan says about crediting a payment (DESIGN.md 4). */
struct cli_buy_plan {
    struct u256 unit_wei;   /* wei per ledger unit, > 0 */
    struct u256 min_units;  /* metered: min_purchase (0 when none) */
    struct u256 pass_units; /* pass: the price of one pass */
    int pass;               /* a pass plan */
};

/* Read data-set id's owner and plan from the gateway (GET
 * /v1/datasets/<id>). Returns 0 with *owner and *plan set; on failure -1
 * with f set (FAULT_CONFLICT for a data-set not published, FAULT_CORRUPT
 * for a record without owner or plan, the gateway's fault otherwise). */
int cli_buy_record(struct api *a, struct ethaddr *owner,
                   struct cli_buy_plan *plan, const char *id,
                   struct fault *f) __attribute__((warn_unused_result));

#define CLI_BUY_NOTE_MAX 256

/* Work out what wei will credit under plan (floor(wei / unit_wei) units)
 * and refuse, before anything is signed, an amount that credits less
 * than one unit, the metered plan's min_purchase or one pass, unless
 * force (then say so on stderr and go on). Returns 0 with note[0..cap)
 * "it will credit N ledger units (1 unit = W wei = E ETH)", for the line
 * that tells of the payment; on failure -1 with note = "" and f
 * FAULT_INVALID naming field, saying what it would credit and the least
 * that is enough. */
int cli_buy_check_amount(char *note, size_t cap,
                         const struct cli_buy_plan *plan,
                         const uint8_t wei[32], const char *field,
                         int force, struct fault *f)
    __attribute__((warn_unused_result));

/* Pay wei from ctx's key to the market contract for worker's access to
 * dataset ("0x" + 64 hex) of owner, with ref: open the chain as
 * cli_chain_open does (refusing, before anything is signed, a contract
 * other than contract when that is not NULL), send purchase() and say so
 * on stderr (with note, from cli_buy_check_amount, when not NULL), wait
 * until it is mined (printing the hash and the block on out) and, with
 * wait, until the gateway credits it. Returns 0; on failure -1 with f
 * set. */
int cli_buy_pay(struct cli_ctx *ctx, const struct cli_chain_opts *chain_opts,
                const char *dataset, const struct ethaddr *owner,
                const struct ethaddr *worker, const uint8_t ref[32],
                const uint8_t wei[32], const struct ethaddr *contract,
                const char *note, int wait, FILE *out, struct fault *f)
    __attribute__((warn_unused_result));

/* Follow GET /v1/payments/<hash> (long polls), showing each payment's
 * progress on stderr, until every payment of the transaction is credited
 * (printing "credited N units" on out), or one never will be. Returns 0,
 * or -1 with f set. */
int cli_buy_follow(struct api *a, const char *hash, FILE *out,
                   struct fault *f) __attribute__((warn_unused_result));

/* --- the commands (cli_key.c, cli_dataset.c, cli_upload.c,
 * cli_publish.c, cli_catalog.c, cli_buy.c, cli_withdraw.c, cli_query.c,
 * cli_receipts.c, cli_dev.c) --- */
extern const struct cli_command cli_cmd_key_new;
extern const struct cli_command cli_cmd_key_show;
extern const struct cli_command cli_cmd_key_address;
extern const struct cli_command cli_cmd_dataset_create;
extern const struct cli_command cli_cmd_upload;
extern const struct cli_command cli_cmd_publish;
extern const struct cli_command cli_cmd_ls;
extern const struct cli_command cli_cmd_show;
extern const struct cli_command cli_cmd_price;
extern const struct cli_command cli_cmd_delete;
extern const struct cli_command cli_cmd_buy;
extern const struct cli_command cli_cmd_withdraw;
extern const struct cli_command cli_cmd_query;
extern const struct cli_command cli_cmd_quote;
extern const struct cli_command cli_cmd_receipts;
extern const struct cli_command cli_cmd_dev_fund;

#endif
