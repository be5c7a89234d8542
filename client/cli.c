#include "client/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"

#define CLI_PRICE_USAGE                                                     \
    "--price-json JSON | --price-metered per_query=N,per_chunk=N,"         \
    "per_row=N,per_mib=N | --price-pass price=N,duration=30d"

#define CLI_CHAIN_USAGE "--rpc-url URL] [--contract ADDR] [--chain-id N"

static const struct cli_entry cli_table[] = {
    {"key new", "[--key FILE]",
     "make a new secp256k1 key file (mode 0600; never overwrites one) and "
     "print its address",
     cli_key_new},
    {"key show", "[--key FILE]", "print the key's address and file",
     cli_key_show},
    {"key address", "[--key FILE]", "print the key's address (EIP-55)",
     cli_key_show},
    {"dataset create",
     "--name NAME --format csv|jsonl|blob [--description TEXT] [--tag T]... "
     "[--license TEXT] [--chunk-size BYTES | --chunk-rows N] "
     "[--preview-rows N] [" CLI_PRICE_USAGE "]",
     "create a draft data-set owned by the key; prints its id",
     cli_dataset_create},
    {"upload", "ID FILE [--part-size BYTES] [--retries N] "
               "[--limit-rate BYTES]",
     "upload FILE as the data-set's content in parts (default 16M); rerun "
     "to resume: parts already there are skipped; --limit-rate caps the "
     "bytes per second",
     cli_upload_run},
    {"publish", "ID [--no-wait]",
     "publish the uploaded parts and wait until the data-set is published "
     "(or failed)",
     cli_publish_run},
    {"ls", "[--q TEXT] [--tag T] [--sort newest|name|price|size] "
           "[--limit N] [--all]",
     "list the catalogue (--all follows every page)", cli_catalog_ls},
    {"show", "ID", "show one data-set (signed when a key is there, so that "
                   "owners see their drafts)",
     cli_catalog_show},
    {"price", "ID " CLI_PRICE_USAGE,
     "set the data-set's price plan (also after publishing)",
     cli_dataset_price},
    {"delete", "ID", "unlist the data-set (buyers who paid keep access)",
     cli_dataset_delete},
    {"buy", "DATASET --worker ADDR --amount ETH [--ref 0x<32 bytes>] "
            "[" CLI_CHAIN_USAGE "] [--no-wait]",
     "pay the market contract from the key for the worker's access to the "
     "data-set (ETH with up to 18 decimals), wait until it is mined and "
     "until the gateway credits it (--no-wait: only until mined)",
     cli_buy_run},
    {"withdraw", "[" CLI_CHAIN_USAGE "]",
     "withdraw everything the market contract owes the key (an owner's "
     "earnings) and wait until it is mined",
     cli_withdraw_run},
};

#define CLI_COUNT (sizeof cli_table / sizeof cli_table[0])

const struct cli_entry *cli_find(int argc, char **argv, int *words)
{
    char two[64];
    size_t i;

    *words = 0;
    if (argc < 1)
        return NULL;
    if (argc >= 2 &&
        snprintf(two, sizeof two, "%s %s", argv[0], argv[1]) <
            (int)sizeof two) {
        for (i = 0; i < CLI_COUNT; i++)
            if (strcmp(cli_table[i].name, two) == 0) {
                *words = 2;
                return &cli_table[i];
            }
    }
    for (i = 0; i < CLI_COUNT; i++)
        if (strcmp(cli_table[i].name, argv[0]) == 0) {
            *words = 1;
            return &cli_table[i];
        }
    return NULL;
}

int cli_is_group(const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < CLI_COUNT; i++)
        if (strncmp(cli_table[i].name, name, n) == 0 &&
            cli_table[i].name[n] == ' ')
            return 1;
    return 0;
}

void cli_print_usage(void *out, const struct cli_entry *e)
{
    fprintf(out, "usage: sluice %s %s\n  %s\n", e->name, e->usage,
            e->summary);
}

void cli_print_help(void *out)
{
    size_t i;

    fprintf(out,
            "usage: sluice [--gateway URL] [--key FILE] COMMAND [ARGS]\n\n"
            "commands:\n");
    for (i = 0; i < CLI_COUNT; i++)
        fprintf(out, "  sluice %s %s\n      %s\n", cli_table[i].name,
                cli_table[i].usage, cli_table[i].summary);
    fprintf(out,
            "\nglobal options (before or after the command):\n"
            "  --gateway URL  the gateway, http:// only for now (default "
            "$%s, else %s)\n"
            "  --key FILE     the key file (default $%s, else "
            "~/.config/sluice/key)\n"
            "\nbuy and withdraw: --rpc-url URL is the Ethereum node "
            "(default $%s, else %s);\n"
            "  --contract and the chain id come from the gateway's "
            "GET /v1/chain unless given.\n"
            "\nAmounts are ledger units (1 unit = 1 gwei unless unit_wei "
            "says otherwise).\n"
            "Exit status: 0 done, 1 failed, 2 invalid input (ours or the "
            "gateway's verdict).\n",
            CLI_GATEWAY_ENV, CLI_GATEWAY_DEFAULT, KEYFILE_ENV,
            CLI_RPC_URL_ENV, CLI_RPC_URL_DEFAULT);
}

int cli_common_option(struct cli_ctx *ctx, int c, char **argv,
                      struct fault *f)
{
    const char *opt = optind > 0 ? argv[optind - 1] : "?";

    switch (c) {
    case CLI_OPT_GATEWAY:
        ctx->gateway = optarg;
        return 1;
    case CLI_OPT_KEY:
        if (optarg[0] == '\0')
            return fault_set(f, FAULT_INVALID, "--key",
                             "--key needs a file name");
        ctx->key_path = optarg;
        return 1;
    case CLI_OPT_HELP:
        cli_print_usage(stdout, ctx->entry);
        return 2;
    case ':':
        return fault_set(f, FAULT_INVALID, opt, "option %s needs a value",
                         opt);
    default:
        break;
    }
    if (optopt != 0 && optopt < 256)
        return fault_set(f, FAULT_INVALID, NULL,
                         "unknown option -%c; see sluice %s --help", optopt,
                         ctx->entry->name);
    return fault_set(f, FAULT_INVALID, NULL,
                     "unknown option %s; see sluice %s --help", opt,
                     ctx->entry->name);
}

int cli_positional(int argc, char **argv, int want, const char *what,
                   struct fault *f)
{
    int have = argc - optind;

    if (have < want)
        return fault_set(f, FAULT_INVALID, NULL, "%s %s required", what,
                         want > 1 ? "are" : "is");
    if (have > want)
        return fault_set(f, FAULT_INVALID, NULL, "unexpected argument '%s'",
                         argv[optind + want]);
    return 0;
}

int cli_parse_uint(uint64_t *out, const char *text, uint64_t min,
                   uint64_t max, const char *option, struct fault *f)
{
    unsigned long long v;
    char *end;

    *out = 0;
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return fault_set(f, FAULT_INVALID, option,
                         "%s takes a whole number", option);
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || end[0] != '\0' || v < min || v > max)
        return fault_set(f, FAULT_INVALID, option,
                         "%s must be a whole number from %llu to %llu",
                         option, (unsigned long long)min,
                         (unsigned long long)max);
    *out = v;
    return 0;
}

int cli_check_id(const char *text, struct fault *f)
{
    uint8_t id[32];

    if (hex_decode_0x(id, sizeof id, text, strlen(text), "ID", f) < 0)
        return fault_set(f, FAULT_INVALID, "ID",
                         "'%.80s' is not a data-set id (0x and 64 hex "
                         "digits)", text);
    return 0;
}

int cli_key_path(const struct cli_ctx *ctx, char *out, size_t cap,
                 struct fault *f)
{
    if (ctx->key_path != NULL) {
        if (snprintf(out, cap, "%s", ctx->key_path) >= (int)cap) {
            out[0] = '\0';
            return fault_set(f, FAULT_INVALID, "--key",
                             "the key file path is too long");
        }
        return 0;
    }
    return keyfile_default_path(out, cap, f);
}

int cli_load_key(const struct cli_ctx *ctx, struct ethkey *key, int *have,
                 int required, struct fault *f)
{
    char path[KEYFILE_PATH_MAX];

    *have = 0;
    memset(key, 0, sizeof *key);
    if (cli_key_path(ctx, path, sizeof path, f) < 0)
        return -1;
    if (keyfile_load(key, path, f) < 0) {
        /* Only the default key may be absent: one named by --key or
         * $SLUICE_KEY was meant to be there. */
        const char *env = getenv(KEYFILE_ENV);
        if (!required && f->kind == FAULT_NOT_FOUND &&
            ctx->key_path == NULL && (env == NULL || env[0] == '\0')) {
            fault_clear(f);
            return 0;
        }
        return -1;
    }
    *have = 1;
    return 0;
}

int cli_api(const struct cli_ctx *ctx, struct api *a, const struct ethkey *key,
            struct fault *f)
{
    return api_init(a, ctx->gateway, key, f);
}
