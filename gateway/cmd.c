#include "gateway/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cmd_entry cmd_table[] = {
    {"serve", "[--data-dir DIR] [--listen ADDR:PORT] [--config FILE] ...",
     "run the gateway (the default); sluiced serve --help lists every "
     "setting",
     cmd_serve},
    {"ingest",
     "--data-dir DIR --format csv|jsonl|blob [--chunk-size BYTES | "
     "--chunk-rows N] [--level 0-9] [--name NAME] [--preview-rows N] "
     "[--threads N] FILE",
     "store FILE as a new published data-set; prints its id last",
     cmd_ingest},
    {"export", "--data-dir DIR ID [-o FILE]",
     "write data-set ID's original bytes to FILE (or standard output)",
     cmd_export},
    {"fsck", "--data-dir DIR",
     "re-hash and decrypt every object; exit 1 naming each damaged one",
     cmd_fsck},
    {"audit", "verify|export [--data-dir DIR] [-o FILE]",
     "verify: recompute every audit entry's hash and link, exit 1 naming "
     "the first broken one; export: write the entries as JSON Lines to "
     "FILE (or standard output)",
     cmd_audit},
};

const struct cmd_entry *cmd_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof cmd_table / sizeof cmd_table[0]; i++)
        if (strcmp(cmd_table[i].name, name) == 0)
            return &cmd_table[i];
    return NULL;
}

void cmd_print_help(void *stream)
{
    FILE *out = stream;
    size_t i;

    fprintf(out, "usage: sluiced COMMAND [ARGS]\n\ncommands:\n");
    for (i = 0; i < sizeof cmd_table / sizeof cmd_table[0]; i++)
        fprintf(out, "  sluiced %s %s\n      %s\n", cmd_table[i].name,
                cmd_table[i].usage, cmd_table[i].summary);
}

int cmd_bad_option(int c, char **argv, struct fault *f)
{
    const char *opt = optind > 0 ? argv[optind - 1] : "?";

    if (c == ':')
        return fault_set(f, FAULT_INVALID, opt, "option %s needs a value",
                         opt);
    if (optopt != 0)
        return fault_set(f, FAULT_INVALID, NULL, "unknown option -%c",
                         optopt);
    return fault_set(f, FAULT_INVALID, opt, "unknown option %s", opt);
}

int cmd_positional(int argc, char **argv, int want, const char *what,
                   struct fault *f)
{
    int have = argc - optind;

    if (have < want)
        return fault_set(f, FAULT_INVALID, what, "%s is required", what);
    if (have > want)
        return fault_set(f, FAULT_INVALID, argv[optind + want],
                         "unexpected argument '%s'", argv[optind + want]);
    return 0;
}

int cmd_required(const char *value, const char *option, struct fault *f)
{
    if (value == NULL)
        return fault_set(f, FAULT_INVALID, option, "%s is required", option);
    return 0;
}
