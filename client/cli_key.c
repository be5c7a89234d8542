/* sluice key new | show | address: the key file of an owner or worker. */
#include <stdio.h>
#include <string.h>

#include "client/cli.h"

static int cli_key_new(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    char path[KEYFILE_PATH_MAX], addr[ETHADDR_TEXT_SIZE];
    struct ethkey key;
    int rv = -1;

    (void)opts;
    memset(&key, 0, sizeof key);
    if (cli_key_path(ctx, path, sizeof path, f) < 0 ||
        keyfile_create(&key, path, f) < 0)
        goto done;
    ethaddr_to_text(addr, &key.addr);
    fprintf(stderr, "sluice: wrote a new key to %s (keep it secret; it "
                    "cannot be recovered)\n", path);
    printf("%s\n", addr);
    rv = 0;
done:
    ethkey_wipe(&key);
    return rv;
}

/* key show and key address: the key loaded by cli_main (CLI_KEY). */
static int cli_key_show(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    char path[KEYFILE_PATH_MAX], addr[ETHADDR_TEXT_SIZE];

    (void)opts;
    if (cli_key_path(ctx, path, sizeof path, f) < 0)
        return -1;
    ethaddr_to_text(addr, &ctx->key.addr);
    if (ctx->cmd == &cli_cmd_key_show)
        printf("address  %s\nkey file %s\n", addr, path);
    else
        printf("%s\n", addr);
    return 0;
}

const struct cli_command cli_cmd_key_new = {
    .name = "key new",
    .summary = "make a new secp256k1 key file (mode 0600; never overwrites "
               "one) and print its address",
    .run = cli_key_new,
};

const struct cli_command cli_cmd_key_show = {
    .name = "key show",
    .summary = "print the key's address and file",
    .flags = CLI_KEY,
    .run = cli_key_show,
};

const struct cli_command cli_cmd_key_address = {
    .name = "key address",
    .summary = "print the key's address (EIP-55)",
    .flags = CLI_KEY,
    .run = cli_key_show,
};
