#include "client/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/log.h"

#define CLI_WIDTH 79       /* columns of --help */
#define CLI_HELP_COL 22    /* where an option's help starts */
#define CLI_NBSP '\x01'    /* a space --help does not break a line at */
#define CLI_VAL_BASE 1000  /* getopt_long's val of option i is this + i */
#define CLI_LINE_MAX 1024

/* The table, in the order --help lists it. */
const struct cli_command *const cli_commands[] = {
    &cli_cmd_key_new,
    &cli_cmd_key_show,
    &cli_cmd_key_address,
    &cli_cmd_dataset_create,
    &cli_cmd_upload,
    &cli_cmd_publish,
    &cli_cmd_ls,
    &cli_cmd_show,
    &cli_cmd_price,
    &cli_cmd_delete,
    &cli_cmd_buy,
    &cli_cmd_withdraw,
    &cli_cmd_quote,
    &cli_cmd_query,
    &cli_cmd_receipts,
    &cli_cmd_dev_fund,
};

const size_t cli_command_count = sizeof cli_commands / sizeof cli_commands[0];

/* --key must name something: an empty value would silently mean the
 * default key. */
static int cli_take_key(void *slot, const struct cli_option *o,
                        const char *value, struct fault *f)
{
    (void)o;
    if (value[0] == '\0')
        return fault_set(f, FAULT_INVALID, "--key",
                         "--key needs a file name");
    *(const char **)slot = value;
    return 0;
}

const struct cli_option cli_global_options[] = {
    {.name = "gateway", .type = CLI_OPT_STRING, .value = "URL",
     .help = "the gateway, http:// only for now (default $" CLI_GATEWAY_ENV
             ", else " CLI_GATEWAY_DEFAULT ")",
     .slot = offsetof(struct cli_ctx, gateway)},
    {.name = "key", .type = CLI_OPT_CUSTOM, .value = "FILE",
     .help = "the key file (default $" KEYFILE_ENV
             ", else ~/.config/sluice/key)",
     .slot = offsetof(struct cli_ctx, key_path), .take = cli_take_key},
    {.name = "help", .short_name = 'h', .type = CLI_OPT_HELP,
     .help = "show the usage of the command (or of sluice) and exit"},
    {.name = NULL},
};

/* ---- finding commands --------------------------------------------------- */

const struct cli_command *cli_find(int argc, char **argv, int *words)
{
    char two[64];
    size_t i;

    *words = 0;
    if (argc < 1)
        return NULL;
    if (argc >= 2 &&
        snprintf(two, sizeof two, "%s %s", argv[0], argv[1]) <
            (int)sizeof two) {
        for (i = 0; i < cli_command_count; i++)
            if (strcmp(cli_commands[i]->name, two) == 0) {
                *words = 2;
                return cli_commands[i];
            }
    }
    for (i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i]->name, argv[0]) == 0) {
            *words = 1;
            return cli_commands[i];
        }
    return NULL;
}

int cli_is_group(const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; i < cli_command_count; i++)
        if (strncmp(cli_commands[i]->name, name, n) == 0 &&
            cli_commands[i]->name[n] == ' ')
            return 1;
    return 0;
}

/* ---- help ------------------------------------------------------------- */

/* Append text to line[0..cap) (always NUL-terminated), cut to fit. */
static void cli_cat(char *line, size_t cap, const char *text)
{
    size_t n = strlen(line);

    if (n + 1 < cap)
        snprintf(line + n, cap - n, "%s", text);
}

/* Print text from column col (the cursor is there already), breaking
 * lines at spaces before CLI_WIDTH and starting each new one at column
 * indent; CLI_NBSP prints as a space that is never broken at. Ends the
 * line. */
static void cli_wrap(FILE *out, const char *text, size_t col, size_t indent)
{
    const char *p = text, *end;
    size_t len, start = col, i;

    while (*p != '\0') {
        while (*p == ' ')
            p++;
        end = p + strcspn(p, " ");
        len = (size_t)(end - p);
        if (len == 0)
            break;
        if (col > start && col + 1 + len > CLI_WIDTH) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = start = indent;
        } else if (col > start) {
            fputc(' ', out);
            col++;
        }
        for (i = 0; i < len; i++)
            fputc(p[i] == CLI_NBSP ? ' ' : p[i], out);
        col += len;
        p = end;
    }
    fputc('\n', out);
}

/* "--name VALUE", the space unbreakable, into out[0..cap); in a listing
 * an option with a short name is "-h, --help". */
static void cli_option_text(char *out, size_t cap, const struct cli_option *o,
                            int listing)
{
    if (listing && o->short_name != 0)
        snprintf(out, cap, "-%c,%c--%s", o->short_name, CLI_NBSP, o->name);
    else
        snprintf(out, cap, "--%s", o->name);
    if (o->value != NULL) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%c%s", CLI_NBSP, o->value);
    }
}

/* The arguments and options of cmd as its usage line shows them: "ID
 * FILE --name NAME [--tag T]... [--chunk-size BYTES | --chunk-rows N]";
 * alternatives of a group that is required go in parentheses. */
static void cli_usage_text(char *line, size_t cap,
                           const struct cli_command *cmd)
{
    const struct cli_option *o, *g;
    const struct cli_arg *a;
    char one[256];
    int required;

    line[0] = '\0';
    for (a = cmd->args; a != NULL && a->name != NULL; a++) {
        cli_cat(line, cap, line[0] ? " " : "");
        cli_cat(line, cap, a->optional ? "[" : "");
        cli_cat(line, cap, a->name);
        cli_cat(line, cap, a->optional ? "]" : "");
    }
    for (o = cmd->options; o != NULL && o->name != NULL; o++) {
        if (o->group != 0 && o != cmd->options && o[-1].group == o->group)
            continue; /* shown with the first of its group */
        required = o->missing != NULL;
        for (g = o; o->group != 0 && g->name != NULL && g->group == o->group;
             g++)
            if (g->missing != NULL)
                required = 1;
        cli_cat(line, cap, line[0] ? " " : "");
        if (o->group != 0 && o[1].name != NULL && o[1].group == o->group)
            cli_cat(line, cap, required ? "(" : "[");
        else if (!required)
            cli_cat(line, cap, "[");
        for (g = o; g->name != NULL; g++) {
            if (g != o && (o->group == 0 || g->group != o->group))
                break;
            if (g != o)
                cli_cat(line, cap, " | ");
            cli_option_text(one, sizeof one, g, 0);
            cli_cat(line, cap, one);
        }
        if (o->group != 0 && o[1].name != NULL && o[1].group == o->group)
            cli_cat(line, cap, required ? ")" : "]");
        else if (!required)
            cli_cat(line, cap, "]");
        if (o->type == CLI_OPT_LIST)
            cli_cat(line, cap, "...");
    }
}

/* One row of an options or arguments listing: name at column 2, help at
 * CLI_HELP_COL (or on the next line when the name is longer). */
static void cli_print_row(FILE *out, const char *name, const char *help,
                          const char *def)
{
    char text[CLI_LINE_MAX];
    size_t len = strlen(name), i;

    fputs("  ", out);
    for (i = 0; i < len; i++)
        fputc(name[i] == CLI_NBSP ? ' ' : name[i], out);
    if (2 + len + 2 > CLI_HELP_COL)
        fprintf(out, "\n%*s", CLI_HELP_COL, "");
    else
        fprintf(out, "%*s", (int)(CLI_HELP_COL - 2 - len), "");
    snprintf(text, sizeof text, "%s", help != NULL ? help : "");
    if (def != NULL) {
        cli_cat(text, sizeof text, " (default ");
        cli_cat(text, sizeof text, def);
        cli_cat(text, sizeof text, ")");
    }
    cli_wrap(out, text, CLI_HELP_COL, CLI_HELP_COL);
}

static void cli_print_options(FILE *out, const char *title,
                              const struct cli_option *rows)
{
    const struct cli_option *o;
    char name[256];

    fprintf(out, "%s\n", title);
    for (o = rows; o != NULL && o->name != NULL; o++) {
        cli_option_text(name, sizeof name, o, 1);
        cli_print_row(out, name, o->help, o->def);
    }
}

void cli_print_usage(FILE *out, const struct cli_command *cmd)
{
    char line[CLI_LINE_MAX], head[128];
    const struct cli_arg *a;

    cli_usage_text(line, sizeof line, cmd);
    snprintf(head, sizeof head, "usage: sluice %s", cmd->name);
    fputs(head, out);
    if (line[0] != '\0') {
        fputc(' ', out);
        cli_wrap(out, line, strlen(head) + 1, strlen(head) + 1);
    } else {
        fputc('\n', out);
    }
    fputs("  ", out);
    cli_wrap(out, cmd->summary, 2, 2);
    if (cmd->args != NULL && cmd->args[0].name != NULL) {
        fputs("\narguments:\n", out);
        for (a = cmd->args; a->name != NULL; a++)
            cli_print_row(out, a->name, a->help, NULL);
    }
    if (cmd->options != NULL && cmd->options[0].name != NULL) {
        fputc('\n', out);
        cli_print_options(out, "options:", cmd->options);
    }
    fputc('\n', out);
    cli_print_options(out, "global options (before or after the command):",
                      cli_global_options);
}

void cli_print_help(FILE *out)
{
    char line[CLI_LINE_MAX], head[128];
    size_t i;

    fputs("usage: sluice [--gateway URL] [--key FILE] COMMAND [ARGS]\n\n"
          "commands:\n",
          out);
    for (i = 0; i < cli_command_count; i++) {
        cli_usage_text(line, sizeof line, cli_commands[i]);
        snprintf(head, sizeof head, "  sluice %s", cli_commands[i]->name);
        fputs(head, out);
        if (line[0] != '\0') {
            fputc(' ', out);
            cli_wrap(out, line, strlen(head) + 1, 8);
        } else {
            fputc('\n', out);
        }
        fputs("      ", out);
        cli_wrap(out, cli_commands[i]->summary, 6, 6);
    }
    fputc('\n', out);
    cli_print_options(out, "global options (before or after the command):",
                      cli_global_options);
    fputs("\n`sluice COMMAND --help` (or `sluice help COMMAND`) shows a "
          "command's options.\n"
          "Amounts are ledger units (1 unit = 1 gwei unless unit_wei says "
          "otherwise).\n"
          "Exit status: 0 done, 1 failed, 2 invalid input (ours or the "
          "gateway's verdict).\n",
          out);
}

/* ---- parsing ---------------------------------------------------------- */

/* An option the parser knows: its row and the struct its slot is in. */
struct cli_known {
    const struct cli_option *o;
    char *base;
    int given;
};

/* Add the rows of one table, whose slots are in base. */
static int cli_collect(struct cli_known *known, size_t *n,
                       const struct cli_option *rows, void *base,
                       struct fault *f)
{
    const struct cli_option *o;

    for (o = rows; o != NULL && o->name != NULL; o++) {
        if (*n == CLI_OPTIONS_MAX)
            return fault_set(f, FAULT_INTERNAL, NULL,
                             "more than %d options", CLI_OPTIONS_MAX);
        known[*n].o = o;
        known[*n].base = base;
        known[*n].given = 0;
        (*n)++;
    }
    return 0;
}

/* Take value (NULL for an option without one) as k's type says. */
static int cli_take(const struct cli_known *k, const char *value,
                    struct fault *f)
{
    const struct cli_option *o = k->o;
    void *slot = k->base + o->slot;
    struct cli_uint *u = slot;
    struct cli_list *l = slot;
    char opt[80];
    size_t max;

    snprintf(opt, sizeof opt, "--%s", o->name);
    switch (o->type) {
    case CLI_OPT_FLAG:
        *(int *)slot = 1;
        return 0;
    case CLI_OPT_STRING:
        *(const char **)slot = value;
        return 0;
    case CLI_OPT_UINT:
        if (cli_parse_uint(&u->v, value, o->min, o->max, opt, f) < 0)
            return -1;
        u->set = 1;
        return 0;
    case CLI_OPT_SIZE:
        if (units_parse_size(&u->v, value, o->min, o->max, opt, f) < 0)
            return -1;
        u->set = 1;
        return 0;
    case CLI_OPT_LIST:
        max = o->max < CLI_LIST_MAX ? (size_t)o->max : CLI_LIST_MAX;
        if (l->n >= max)
            return fault_set(f, FAULT_INVALID, opt, "at most %zu %ss", max,
                             o->name);
        l->v[l->n++] = value;
        return 0;
    case CLI_OPT_CUSTOM:
        if (o->take == NULL)
            break;
        return o->take(slot, o, value, f);
    case CLI_OPT_HELP:
        return 0;
    }
    return fault_set(f, FAULT_INTERNAL, NULL, "option %s has no type", opt);
}

/* "ID", "ID and FILE", "A, B and C". */
static void cli_arg_names(char *out, size_t cap, const struct cli_arg *args,
                          size_t n)
{
    size_t i;

    out[0] = '\0';
    for (i = 0; i < n; i++) {
        if (i > 0)
            cli_cat(out, cap, i + 1 == n ? " and " : ", ");
        cli_cat(out, cap, args[i].name);
    }
}

/* The arguments argv[0..argc) into cmd's slots, checked. */
static int cli_take_args(const struct cli_command *cmd, void *opts, int argc,
                         char **argv, struct fault *f)
{
    char what[256];
    size_t want = 0, need = 0, i;

    while (cmd->args != NULL && cmd->args[want].name != NULL) {
        if (!cmd->args[want].optional)
            need = want + 1;
        want++;
    }
    if ((size_t)argc < need) {
        cli_arg_names(what, sizeof what, cmd->args, need);
        return fault_set(f, FAULT_INVALID, NULL, "%s %s required", what,
                         need > 1 ? "are" : "is");
    }
    if ((size_t)argc > want)
        return fault_set(f, FAULT_INVALID, NULL, "unexpected argument '%s'",
                         argv[want]);
    for (i = 0; i < want && i < (size_t)argc; i++) {
        if (cmd->args[i].type == CLI_ARG_ID && cli_check_id(argv[i], f) < 0)
            return -1;
        *(const char **)((char *)opts + cmd->args[i].slot) = argv[i];
    }
    return 0;
}

/* A required option (or group) not given. */
static int cli_check_required(const struct cli_known *known, size_t n,
                              struct fault *f)
{
    char opt[80];
    size_t i, k;
    int given;

    for (i = 0; i < n; i++) {
        if (known[i].o->missing == NULL)
            continue;
        given = known[i].given;
        for (k = 0; k < n && known[i].o->group != 0; k++)
            if (known[k].o->group == known[i].o->group &&
                known[k].base == known[i].base && known[k].given)
                given = 1;
        if (!given) {
            snprintf(opt, sizeof opt, "--%s", known[i].o->name);
            return fault_set(f, FAULT_INVALID, opt, "%s",
                             known[i].o->missing);
        }
    }
    return 0;
}

int cli_parse(struct cli_ctx *ctx, const struct cli_command *cmd, void *opts,
              int argc, char **argv, int *next, struct fault *f)
{
    struct cli_known known[CLI_OPTIONS_MAX];
    struct option longopts[CLI_OPTIONS_MAX + 1];
    char optstring[2 * CLI_OPTIONS_MAX + 3], see[80];
    const char *bad;
    size_t n = 0, i, len;
    int c;

    if (next != NULL)
        *next = argc;
    if (cli_collect(known, &n, cli_global_options, ctx, f) < 0 ||
        (cmd != NULL && cli_collect(known, &n, cmd->options, opts, f) < 0))
        return -1;
    /* "+": before the command, stop at its first word; ":": report a
     * missing value apart from an unknown option. */
    len = 0;
    if (cmd == NULL)
        optstring[len++] = '+';
    optstring[len++] = ':';
    for (i = 0; i < n; i++) {
        const struct cli_option *o = known[i].o;

        longopts[i].name = o->name;
        longopts[i].has_arg = o->value != NULL ? required_argument
                                               : no_argument;
        longopts[i].flag = NULL;
        longopts[i].val = CLI_VAL_BASE + (int)i;
        if (o->short_name != 0) {
            optstring[len++] = o->short_name;
            if (o->value != NULL)
                optstring[len++] = ':';
        }
        if (o->def != NULL && cli_take(&known[i], o->def, f) < 0)
            return -1;
    }
    optstring[len] = '\0';
    memset(&longopts[n], 0, sizeof longopts[n]);
    if (cmd != NULL)
        snprintf(see, sizeof see, "sluice %s --help", cmd->name);
    else
        snprintf(see, sizeof see, "sluice --help");

    optind = 0; /* glibc: start afresh (argv and optstring change) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        if (c == ':')
            return fault_set(f, FAULT_INVALID, bad,
                             "option %s needs a value", bad);
        if (c >= CLI_VAL_BASE && (size_t)(c - CLI_VAL_BASE) < n) {
            i = (size_t)(c - CLI_VAL_BASE);
        } else {
            for (i = 0; i < n; i++)
                if (c != '?' && known[i].o->short_name == c)
                    break;
        }
        if (i == n) {
            if (optopt != 0 && optopt < 256)
                return fault_set(f, FAULT_INVALID, NULL,
                                 "unknown option -%c; see %s", optopt, see);
            return fault_set(f, FAULT_INVALID, NULL,
                             "unknown option %s; see %s", bad, see);
        }
        if (known[i].o->type == CLI_OPT_HELP)
            return 1;
        if (cli_take(&known[i], optarg, f) < 0)
            return -1;
        known[i].given = 1;
    }
    if (cmd == NULL) {
        if (next != NULL)
            *next = optind;
        return 0;
    }
    if (cli_take_args(cmd, opts, argc - optind, argv + optind, f) < 0 ||
        cli_check_required(known, n, f) < 0)
        return -1;
    return 0;
}

/* ---- values ----------------------------------------------------------- */

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

/* ---- the key and the API ---------------------------------------------- */

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

/* Load the key in force into ctx. With required 0 a missing default key
 * file is no failure (ctx->have_key stays 0). */
static int cli_load_key(struct cli_ctx *ctx, int required, struct fault *f)
{
    char path[KEYFILE_PATH_MAX];
    const char *env;

    ctx->have_key = 0;
    if (cli_key_path(ctx, path, sizeof path, f) < 0)
        return -1;
    if (keyfile_load(&ctx->key, path, f) < 0) {
        /* Only the default key may be absent: one named by --key or
         * $SLUICE_KEY was meant to be there. */
        env = getenv(KEYFILE_ENV);
        if (!required && f->kind == FAULT_NOT_FOUND &&
            ctx->key_path == NULL && (env == NULL || env[0] == '\0')) {
            fault_clear(f);
            return 0;
        }
        return -1;
    }
    ctx->have_key = 1;
    return 0;
}

/* Parse argv for cmd, check, load the key and open the API as its flags
 * say, run it, and close what was opened. Returns 0 done, 1 when --help
 * was printed, -1 with f set. */
static int cli_run(struct cli_ctx *ctx, const struct cli_command *cmd,
                   int argc, char **argv, struct fault *f)
{
    void *opts;
    int r, rv = -1;

    opts = calloc(1, cmd->opts_size > 0 ? cmd->opts_size : 1);
    if (opts == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    ctx->cmd = cmd;
    r = cli_parse(ctx, cmd, opts, argc, argv, NULL, f);
    if (r == 1) {
        cli_print_usage(stdout, cmd);
        rv = 1;
        goto done;
    }
    if (r < 0 || (cmd->check != NULL && cmd->check(opts, f) < 0))
        goto done;
    if ((cmd->flags & (CLI_KEY | CLI_KEY_IF_THERE)) &&
        cli_load_key(ctx, (cmd->flags & CLI_KEY) != 0, f) < 0)
        goto done;
    if (cmd->flags & CLI_API) {
        if (api_init(&ctx->api, ctx->gateway,
                     ctx->have_key ? &ctx->key : NULL, f) < 0)
            goto done;
        ctx->api_open = 1;
    }
    rv = cmd->run(ctx, opts, f);
done:
    if (ctx->api_open)
        api_close(&ctx->api);
    ctx->api_open = 0;
    ethkey_wipe(&ctx->key);
    ctx->have_key = 0;
    free(opts);
    return rv;
}

/* Print the fault of a command (name NULL before one was found) once, and
 * return the exit status it stands for. */
static int cli_fail(const char *name, const struct fault *f)
{
    char who[80];

    snprintf(who, sizeof who, "sluice%s%s", name != NULL ? " " : "",
             name != NULL ? name : "");
    /* Name the field unless the sentence already does. */
    if (f->field[0] != '\0' && strstr(f->detail, f->field) == NULL)
        fprintf(stderr, "%s: %s: %s\n", who, f->field, f->detail);
    else
        fprintf(stderr, "%s: %s\n", who, f->detail[0] ? f->detail : "failed");
    return f->kind == FAULT_INVALID ? 2 : 1;
}

int cli_main(int argc, char **argv)
{
    const struct cli_command *cmd;
    struct cli_ctx ctx;
    struct fault f;
    const char *env;
    int i = argc, words, r;

    /* What goes wrong reaches the user once, as the fault printed here;
     * the library's warnings (a node that did not answer) would say it
     * twice. */
    log_set_level(LOG_ERROR);
    memset(&ctx, 0, sizeof ctx);
    fault_clear(&f);
    env = getenv(CLI_GATEWAY_ENV);
    ctx.gateway = env != NULL && env[0] != '\0' ? env : CLI_GATEWAY_DEFAULT;
    r = cli_parse(&ctx, NULL, NULL, argc, argv, &i, &f);
    if (r < 0)
        return cli_fail(NULL, &f);
    if (r == 1) {
        cli_print_help(stdout);
        return 0;
    }
    if (i >= argc) {
        cli_print_help(stderr);
        return 2;
    }
    if (strcmp(argv[i], "help") == 0) {
        cmd = i + 1 < argc ? cli_find(argc - i - 1, argv + i + 1, &words)
                           : NULL;
        if (cmd != NULL)
            cli_print_usage(stdout, cmd);
        else
            cli_print_help(stdout);
        return 0;
    }
    cmd = cli_find(argc - i, argv + i, &words);
    if (cmd == NULL) {
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
    i += words - 1; /* argv[i] is the command's last word */
    r = cli_run(&ctx, cmd, argc - i, argv + i, &f);
    if (r < 0)
        return cli_fail(cmd->name, &f);
    return 0;
}
