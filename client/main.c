/* sluice: the command-line client of a sluice gateway. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "lib/fault.h"
#include "lib/log.h"

/* Take --gateway URL / --gateway=URL / --key FILE / --key=FILE at argv[*i]
 * (before the command). Returns 1 if taken, 0 if argv[*i] is none of them,
 * -1 with f set when its value is missing. */
static int main_global(struct cli_ctx *ctx, int argc, char **argv, int *i,
                       struct fault *f)
{
    static const char *const names[] = {"--gateway", "--key"};
    const char **slots[] = {&ctx->gateway, &ctx->key_path};
    size_t k, n;

    for (k = 0; k < 2; k++) {
        n = strlen(names[k]);
        if (strncmp(argv[*i], names[k], n) != 0)
            continue;
        if (argv[*i][n] == '=') {
            *slots[k] = argv[*i] + n + 1;
            return 1;
        }
        if (argv[*i][n] != '\0')
            continue;
        if (*i + 1 >= argc)
            return fault_set(f, FAULT_INVALID, names[k],
                             "option %s needs a value", names[k]);
        *slots[k] = argv[++*i];
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const struct cli_entry *e;
    struct cli_ctx ctx;
    struct fault f;
    const char *env;
    int i = 1, words, r, rv;

    /* What goes wrong reaches the user once, as a fault printed below;
     * the library's warnings (a node that did not answer) would say it
     * twice. */
    log_set_level(LOG_ERROR);
    memset(&ctx, 0, sizeof ctx);
    fault_clear(&f);
    env = getenv(CLI_GATEWAY_ENV);
    ctx.gateway = env != NULL && env[0] != '\0' ? env : CLI_GATEWAY_DEFAULT;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_print_help(stdout);
            return 0;
        }
        r = main_global(&ctx, argc, argv, &i, &f);
        if (r < 0) {
            fprintf(stderr, "sluice: %s\n", f.detail);
            return 2;
        }
        if (r == 0) {
            fprintf(stderr, "sluice: unknown option %s; see sluice --help\n",
                    argv[i]);
            return 2;
        }
        i++;
    }
    if (i >= argc) {
        cli_print_help(stderr);
        return 2;
    }
    if (strcmp(argv[i], "help") == 0) {
        e = i + 1 < argc ? cli_find(argc - i - 1, argv + i + 1, &words) : NULL;
        if (e != NULL)
            cli_print_usage(stdout, e);
        else
            cli_print_help(stdout);
        return 0;
    }
    e = cli_find(argc - i, argv + i, &words);
    if (e == NULL) {
        if (cli_is_group(argv[i]))
            fprintf(stderr,
                    "sluice: '%s' needs a subcommand%s%s%s; see sluice "
                    "--help\n",
                    argv[i], i + 1 < argc ? " (not '" : "",
                    i + 1 < argc ? argv[i + 1] : "",
                    i + 1 < argc ? "')" : "");
        else
            fprintf(stderr, "sluice: unknown command '%s'; see sluice "
                            "--help\n", argv[i]);
        return 2;
    }
    ctx.entry = e;
    i += words - 1; /* argv[i] is the command's last word */
    rv = e->run(&ctx, argc - i, argv + i, &f);
    if (rv < 0) {
        /* Name the field unless the sentence already does. */
        if (f.field[0] != '\0' && strstr(f.detail, f.field) == NULL)
            fprintf(stderr, "sluice %s: %s: %s\n", e->name, f.field,
                    f.detail);
        else
            fprintf(stderr, "sluice %s: %s\n", e->name,
                    f.detail[0] ? f.detail : "failed");
        return f.kind == FAULT_INVALID ? 2 : 1;
    }
    return 0;
}
