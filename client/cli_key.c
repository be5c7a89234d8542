/* sluice key new | show | address: the key file of an owner or worker. */
#include <stdio.h>
#include <string.h>

#include "client/cli.h"

/* Parse options that only the global ones may be. */
static int cli_key_options(struct cli_ctx *ctx, int argc, char **argv,
                           struct fault *f)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int c, r;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        r = cli_common_option(ctx, c, argv, f);
        if (r < 0 || r == 2)
            return r;
    }
    return cli_positional(argc, argv, 0, "", f);
}

int cli_key_new(struct cli_ctx *ctx, int argc, char **argv, struct fault *f)
{
    char path[KEYFILE_PATH_MAX], addr[ETHADDR_TEXT_SIZE];
    struct ethkey key;
    int r, rv = -1;

    memset(&key, 0, sizeof key);
    r = cli_key_options(ctx, argc, argv, f);
    if (r != 0)
        return r == 2 ? 0 : -1;
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

int cli_key_show(struct cli_ctx *ctx, int argc, char **argv, struct fault *f)
{
    char path[KEYFILE_PATH_MAX], addr[ETHADDR_TEXT_SIZE];
    struct ethkey key;
    int have = 0, r, rv = -1;

    memset(&key, 0, sizeof key);
    r = cli_key_options(ctx, argc, argv, f);
    if (r != 0)
        return r == 2 ? 0 : -1;
    if (cli_key_path(ctx, path, sizeof path, f) < 0 ||
        cli_load_key(ctx, &key, &have, 1, f) < 0)
        goto done;
    ethaddr_to_text(addr, &key.addr);
    if (strcmp(ctx->entry->name, "key show") == 0)
        printf("address  %s\nkey file %s\n", addr, path);
    else
        printf("%s\n", addr);
    rv = 0;
done:
    ethkey_wipe(&key);
    return rv;
}
