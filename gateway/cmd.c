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

int cmd_parse_size(uint64_t *out, const char *text, uint64_t min, uint64_t max,
                   const char *option, struct fault *f)
{
    unsigned long long v;
    uint64_t mult = 1;
    char *end;

    *out = 0;
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return fault_set(f, FAULT_INVALID, option,
                         "%s takes a number, e.g. 1048576 or 1M", option);
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0)
        return fault_set(f, FAULT_INVALID, option, "%s is too large", option);
    if (end[0] != '\0') {
        switch (end[0]) {
        case 'K': case 'k': mult = 1024; break;
        case 'M': case 'm': mult = 1024 * 1024; break;
        case 'G': case 'g': mult = 1024 * 1024 * 1024; break;
        default:
            return fault_set(f, FAULT_INVALID, option,
                             "%s: unknown suffix '%s' (use K, M or G)",
                             option, end);
        }
        if (end[1] != '\0' && strcmp(end + 1, "iB") != 0 &&
            strcmp(end + 1, "B") != 0)
            return fault_set(f, FAULT_INVALID, option,
                             "%s: unknown suffix '%s' (use K, M or G)",
                             option, end);
    }
    if (v > max / mult || v * mult < min || v * mult > max)
        return fault_set(f, FAULT_INVALID, option,
                         "%s must be between %llu and %llu", option,
                         (unsigned long long)min, (unsigned long long)max);
    *out = v * mult;
    return 0;
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
