/*
 * Unit tests for client/cli.c: the table of commands is well formed (every
 * slot inside its options struct, names unique, help for everything); the
 * usage and help printed from it name every command, argument and option;
 * and the parser, on a command of the test's own that has one option of
 * every type, takes values, defaults, lists, groups, required options and
 * arguments as cli.h says, and refuses the rest with the messages users
 * see. tests/integration/test_cli_usage.sh runs the binary itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/cli.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))
#define ID64 "0xabababababababababababababababababababababababababababababababab"

/* ---- the table -------------------------------------------------------- */

static size_t slot_size(enum cli_opt_type t)
{
    switch (t) {
    case CLI_OPT_FLAG: return sizeof(int);
    case CLI_OPT_STRING: return sizeof(const char *);
    case CLI_OPT_UINT:
    case CLI_OPT_SIZE: return sizeof(struct cli_uint);
    case CLI_OPT_LIST: return sizeof(struct cli_list);
    case CLI_OPT_CUSTOM: return 1;
    case CLI_OPT_HELP: return 0;
    }
    return 0;
}

static void check_option(const struct cli_command *c,
                         const struct cli_option *o, size_t opts_size)
{
    const struct cli_option *g;

    if (o->help == NULL || o->help[0] == '\0')
        fail_msg("%s --%s has no help", c ? c->name : "", o->name);
    if (o->type == CLI_OPT_HELP)
        return;
    if (o->slot + slot_size(o->type) > opts_size)
        fail_msg("%s --%s: slot %zu outside the options struct (%zu)",
                 c ? c->name : "", o->name, o->slot, opts_size);
    /* A custom option may be a flag too (--all of a selector group). */
    if ((o->type == CLI_OPT_FLAG && o->value != NULL) ||
        (o->type != CLI_OPT_FLAG && o->type != CLI_OPT_CUSTOM &&
         o->value == NULL))
        fail_msg("%s --%s: a flag has no value name, others have one",
                 c ? c->name : "", o->name);
    if (o->type == CLI_OPT_CUSTOM && o->take == NULL)
        fail_msg("%s --%s: custom without take", c ? c->name : "", o->name);
    if (o->type == CLI_OPT_LIST && (o->max == 0 || o->max > CLI_LIST_MAX))
        fail_msg("%s --%s: list of %llu", c ? c->name : "", o->name,
                 (unsigned long long)o->max);
    if ((o->type == CLI_OPT_UINT || o->type == CLI_OPT_SIZE) && o->max < o->min)
        fail_msg("%s --%s: bounds", c ? c->name : "", o->name);
    if (o->missing != NULL && strstr(o->missing, "--") == NULL)
        fail_msg("%s --%s: the missing text names no option", c->name,
                 o->name);
    /* The members of a group are next to each other. */
    if (c != NULL && o->group != 0 && o != c->options &&
        o[-1].group != o->group)
        for (g = c->options; g < o; g++)
            if (g->group == o->group)
                fail_msg("%s: group %d is split", c->name, o->group);
}

static void test_table(void **state)
{
    size_t i, k;
    const struct cli_command *c;
    const struct cli_option *o, *p, *g;
    const struct cli_arg *a;
    int words;
    char *argv[2], first[32];

    (void)state;
    assert_true(cli_command_count >= 12);
    for (o = cli_global_options; o->name != NULL; o++)
        check_option(NULL, o, sizeof(struct cli_ctx));
    for (i = 0; i < cli_command_count; i++) {
        c = cli_commands[i];
        assert_non_null(c->name);
        assert_non_null(c->run);
        if (c->summary == NULL || c->summary[0] == '\0')
            fail_msg("%s has no summary", c->name);
        for (k = 0; k < i; k++)
            if (strcmp(cli_commands[k]->name, c->name) == 0)
                fail_msg("%s is in the table twice", c->name);
        /* cli_find finds it by its words, and only it. */
        snprintf(first, sizeof first, "%s", c->name);
        argv[0] = first;
        argv[1] = strchr(first, ' ');
        if (argv[1] != NULL)
            *argv[1]++ = '\0';
        assert_ptr_equal(cli_find(argv[1] ? 2 : 1, argv, &words), c);
        assert_int_equal(words, argv[1] ? 2 : 1);
        if (argv[1] != NULL)
            assert_true(cli_is_group(argv[0]));
        if ((c->flags & CLI_KEY) && (c->flags & CLI_KEY_IF_THERE))
            fail_msg("%s: CLI_KEY and CLI_KEY_IF_THERE", c->name);
        for (a = c->args; a != NULL && a->name != NULL; a++) {
            assert_true(a->type == CLI_ARG_TEXT || a->type == CLI_ARG_ID);
            if (a->slot + sizeof(const char *) > c->opts_size)
                fail_msg("%s %s: slot outside the options struct", c->name,
                         a->name);
            if (a->help == NULL)
                fail_msg("%s %s has no help", c->name, a->name);
        }
        for (o = c->options; o != NULL && o->name != NULL; o++) {
            check_option(c, o, c->opts_size);
            /* Unique among the command's and the global options. */
            for (p = c->options; p < o; p++)
                if (strcmp(p->name, o->name) == 0 ||
                    (o->short_name && p->short_name == o->short_name))
                    fail_msg("%s: --%s twice", c->name, o->name);
            for (g = cli_global_options; g->name != NULL; g++)
                if (strcmp(g->name, o->name) == 0 ||
                    (o->short_name && g->short_name == o->short_name))
                    fail_msg("%s: --%s is a global option", c->name,
                             o->name);
        }
    }
    snprintf(first, sizeof first, "frob");
    argv[0] = first;
    assert_null(cli_find(1, argv, &words));
    assert_int_equal(words, 0);
    assert_false(cli_is_group("upload"));
    assert_false(cli_is_group("ke"));
}

/* ---- help ------------------------------------------------------------- */

/* What fn printed for cmd (or the whole help when cmd is NULL), malloc'd,
 * with the unbreakable spaces already printed as spaces. */
static char *printed(const struct cli_command *cmd)
{
    /* Static: open_memstream writes them at fclose. */
    static char *text;
    static size_t len;
    FILE *out;
    char *got;

    text = NULL;
    len = 0;
    out = open_memstream(&text, &len);
    assert_non_null(out);
    if (cmd != NULL)
        cli_print_usage(out, cmd);
    else
        cli_print_help(out);
    fclose(out);
    got = text;
    text = NULL;
    return got;
}

/* No line of text is longer than 79 columns, except one of an options
 * listing that holds only an option and its (long) value. */
static void check_width(const char *text, const char *what)
{
    const char *p = text, *nl;
    size_t len;

    while (*p != '\0') {
        nl = strchr(p, '\n');
        len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (len > 79) {
            /* Only an option whose value is long may overflow, alone on
             * its line of the listing. */
            size_t lead = 0;

            while (lead < len && p[lead] == ' ')
                lead++;
            if (strncmp(p + lead, "--", 2) != 0 ||
                memchr(p + lead, ' ', len - lead) !=
                    memrchr(p + lead, ' ', len - lead))
                fail_msg("%s: a line of %zu columns: %.*s", what, len,
                         (int)len, p);
        }
        if (strchr(p, '\x01') != NULL && strchr(p, '\x01') < p + len)
            fail_msg("%s: an unbreakable space was printed as is", what);
        p += len + (nl != NULL);
    }
}

/* Where the summary starts: the first line indented by exactly two
 * spaces (the usage line's own continuations are indented further). */
static const char *summary_of(const char *text)
{
    const char *p = text;

    while ((p = strstr(p, "\n  ")) != NULL && p[3] == ' ')
        p++;
    assert_non_null(p);
    return p;
}

static void test_usage_of_every_command(void **state)
{
    const struct cli_command *c;
    const struct cli_option *o;
    const struct cli_arg *a;
    char head[64], want[256], *text, *all;
    size_t i;

    (void)state;
    all = printed(NULL);
    assert_true(strncmp(all, "usage: sluice ", 14) == 0);
    check_width(all, "sluice --help");
    for (o = cli_global_options; o->name != NULL; o++) {
        snprintf(want, sizeof want, "--%s", o->name);
        assert_non_null(strstr(all, want));
    }
    assert_non_null(strstr(all, "-h, --help"));
    for (i = 0; i < cli_command_count; i++) {
        c = cli_commands[i];
        snprintf(want, sizeof want, "\n  sluice %s", c->name);
        if (strstr(all, want) == NULL)
            fail_msg("sluice --help does not list %s", c->name);
        text = printed(c);
        snprintf(head, sizeof head, "usage: sluice %s", c->name);
        if (strncmp(text, head, strlen(head)) != 0 ||
            (text[strlen(head)] != ' ' && text[strlen(head)] != '\n'))
            fail_msg("%s: usage starts %.40s", c->name, text);
        check_width(text, c->name);
        for (a = c->args; a != NULL && a->name != NULL; a++) {
            snprintf(want, sizeof want, "\n  %s ", a->name);
            if (strstr(text, want) == NULL)
                fail_msg("%s --help does not list %s", c->name, a->name);
        }
        for (o = c->options; o != NULL && o->name != NULL; o++) {
            if (o->short_name != 0)
                snprintf(want, sizeof want, "\n  -%c, --%s%s%s",
                         o->short_name, o->name, o->value ? " " : "",
                         o->value ? o->value : "");
            else
                snprintf(want, sizeof want, "\n  --%s%s%s", o->name,
                         o->value ? " " : "", o->value ? o->value : "");
            if (strstr(text, want) == NULL)
                fail_msg("%s --help does not list %s", c->name, want + 3);
            /* ...and its usage line names it too, before the summary. */
            snprintf(want, sizeof want, "--%s", o->name);
            if (strstr(text, want) == NULL ||
                strstr(text, want) > summary_of(text))
                fail_msg("%s's usage line lacks --%s", c->name, o->name);
            if (o->def != NULL) {
                snprintf(want, sizeof want, "(default %s)", o->def);
                assert_non_null(strstr(text, want));
            }
        }
        assert_non_null(strstr(text, "--gateway URL"));
        free(text);
    }
    free(all);
}

/* The usage line of a command with a required group, an optional group,
 * a list, a required option and arguments. */
static void test_usage_line_shapes(void **state)
{
    char *text;

    (void)state;
    text = printed(&cli_cmd_price);
    assert_non_null(strstr(text, "usage: sluice price ID (--price-json JSON |"));
    assert_non_null(strstr(text, "--price-pass price=N,duration=30d)\n"));
    free(text);
    text = printed(&cli_cmd_dataset_create);
    assert_non_null(strstr(text, "--name NAME --format csv|jsonl|blob"));
    assert_non_null(strstr(text, "[--tag T]..."));
    assert_non_null(strstr(text, "[--chunk-size BYTES"));
    assert_non_null(strstr(text, "| --chunk-rows N]"));
    free(text);
    text = printed(&cli_cmd_buy);
    assert_non_null(strstr(text, "usage: sluice buy DATASET --worker ADDR "
                                 "--amount ETH [--ref 0x<32 bytes>]"));
    free(text);
}

/* ---- the parser, on a command of our own ------------------------------ */

struct t_opts {
    const char *a, *b;
    int flag;
    const char *str;
    struct cli_uint num, size, dflt;
    struct cli_list list;
    const char *custom;
    int custom_calls;
    const char *alt1, *alt2;
    const char *req;
};

static int t_take(void *slot, const struct cli_option *o, const char *value,
                  struct fault *f)
{
    struct t_opts *t = (struct t_opts *)((char *)slot -
                                         offsetof(struct t_opts, custom));

    t->custom_calls++;
    if (strcmp(value, "no") == 0)
        return fault_set(f, FAULT_INVALID, "--custom", "--custom said no");
    assert_int_equal(o->arg, 7);
    t->custom = value;
    return 0;
}

static const struct cli_option t_options[] = {
    {.name = "flag", .short_name = 'f', .type = CLI_OPT_FLAG, .help = "f",
     .slot = offsetof(struct t_opts, flag)},
    {.name = "str", .short_name = 's', .type = CLI_OPT_STRING,
     .value = "S", .help = "s", .slot = offsetof(struct t_opts, str)},
    {.name = "num", .type = CLI_OPT_UINT, .value = "N", .help = "n",
     .slot = offsetof(struct t_opts, num), .min = 2, .max = 9},
    {.name = "size", .type = CLI_OPT_SIZE, .value = "B", .help = "b",
     .slot = offsetof(struct t_opts, size), .min = 1024, .max = 1 << 20},
    {.name = "dflt", .type = CLI_OPT_UINT, .value = "N", .help = "d",
     .slot = offsetof(struct t_opts, dflt), .min = 0, .max = 100,
     .def = "42"},
    {.name = "item", .type = CLI_OPT_LIST, .value = "I", .help = "i",
     .slot = offsetof(struct t_opts, list), .max = 3},
    {.name = "custom", .type = CLI_OPT_CUSTOM, .value = "C", .help = "c",
     .slot = offsetof(struct t_opts, custom), .take = t_take, .arg = 7},
    {.name = "alt-one", .type = CLI_OPT_STRING, .value = "X", .help = "x",
     .slot = offsetof(struct t_opts, alt1), .group = 1},
    {.name = "alt-two", .type = CLI_OPT_STRING, .value = "Y", .help = "y",
     .slot = offsetof(struct t_opts, alt2), .group = 1,
     .missing = "give --alt-one or --alt-two"},
    {.name = "req", .type = CLI_OPT_STRING, .value = "R", .help = "r",
     .slot = offsetof(struct t_opts, req), .missing = "--req is required"},
    {.name = NULL},
};

static const struct cli_arg t_args[] = {
    {.name = "ID", .type = CLI_ARG_ID, .help = "an id",
     .slot = offsetof(struct t_opts, a)},
    {.name = "FILE", .type = CLI_ARG_TEXT, .help = "a file",
     .slot = offsetof(struct t_opts, b)},
    {.name = NULL},
};

static int t_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    (void)ctx;
    (void)opts;
    (void)f;
    return 0;
}

static const struct cli_command t_cmd = {
    .name = "test",
    .summary = "a command of the test's own",
    .args = t_args,
    .options = t_options,
    .opts_size = sizeof(struct t_opts),
    .run = t_run,
};

/* Split line at spaces into argv (NULL-terminated; "_" stands for an
 * empty word), in buf; return argc. The words live until the next call. */
static int split(char **argv, const char *line)
{
    static char buf[2048];
    char *p;
    int argc = 0;

    snprintf(buf, sizeof buf, "%s", line);
    for (p = strtok(buf, " "); p != NULL && argc < 63; p = strtok(NULL, " "))
        argv[argc++] = strcmp(p, "_") == 0 ? p + 1 : p;
    argv[argc] = NULL;
    return argc;
}

/* Parse the words of line as argv of t_cmd, argv[0] being "test". */
static int parse_line(struct cli_ctx *ctx, struct t_opts *o, const char *line,
                      struct fault *f)
{
    char words[2048], *argv[64];
    int argc;

    memset(ctx, 0, sizeof *ctx);
    memset(o, 0, sizeof *o);
    fault_clear(f);
    snprintf(words, sizeof words, "test %s", line);
    argc = split(argv, words);
    return cli_parse(ctx, &t_cmd, o, argc, argv, NULL, f);
}

static void test_parse_values(void **state)
{
    struct cli_ctx ctx;
    struct t_opts o;
    struct fault f;

    (void)state;
    assert_int_equal(parse_line(&ctx, &o,
                                ID64 " file --flag --str=a --num 9 --size 2K "
                                "--item x --item y --custom c --alt-one z "
                                "--req r --gateway http://h:1 --key k",
                                &f), 0);
    assert_string_equal(o.a, ID64);
    assert_string_equal(o.b, "file");
    assert_int_equal(o.flag, 1);
    assert_string_equal(o.str, "a");
    assert_true(o.num.set && o.num.v == 9);
    assert_true(o.size.set && o.size.v == 2048);
    assert_true(o.dflt.set && o.dflt.v == 42); /* the default */
    assert_int_equal(o.list.n, 2);
    assert_string_equal(o.list.v[1], "y");
    assert_string_equal(o.custom, "c");
    assert_int_equal(o.custom_calls, 1);
    assert_string_equal(o.alt1, "z");
    assert_null(o.alt2);
    assert_string_equal(ctx.gateway, "http://h:1");
    assert_string_equal(ctx.key_path, "k");

    /* Short options, options between the arguments, a default given, an
     * unambiguous prefix, the last of a repeated string. */
    assert_int_equal(parse_line(&ctx, &o,
                                "-f " ID64 " -s a --alt-two q file --dfl 0 "
                                "--str b --re r",
                                &f), 0);
    assert_int_equal(o.flag, 1);
    assert_string_equal(o.str, "b");
    assert_string_equal(o.b, "file");
    assert_true(o.dflt.set && o.dflt.v == 0);
    assert_false(o.num.set);
    assert_string_equal(o.req, "r");
    /* "--" ends the options: what follows is an argument. */
    assert_int_equal(parse_line(&ctx, &o, "--req r --alt-one x -- " ID64
                                " --flag", &f), 0);
    assert_string_equal(o.b, "--flag");
    assert_int_equal(o.flag, 0);
}

static void test_parse_help(void **state)
{
    struct cli_ctx ctx;
    struct t_opts o;
    struct fault f;

    (void)state;
    /* --help (or -h) wins over what is missing or wrong after it. */
    assert_int_equal(parse_line(&ctx, &o, "--help", &f), 1);
    assert_int_equal(parse_line(&ctx, &o, "-h --frob", &f), 1);
    assert_int_equal(parse_line(&ctx, &o, "0x12 --he", &f), 1);
    /* ...but not over what comes before it. */
    assert_int_equal(parse_line(&ctx, &o, "--num 1 --help", &f), -1);
    assert_string_equal(f.field, "--num");
}

struct bad_case {
    const char *line;
    const char *field;  /* "" for none */
    const char *detail;
};

static const struct bad_case bad_cases[] = {
    /* unknown options, missing values */
    {"--frob", "", "unknown option --frob; see sluice test --help"},
    {"-Z", "", "unknown option -Z; see sluice test --help"},
    {"--al x", "", "unknown option --al; see sluice test --help"}, /* ambiguous */
    {"--flag=1", "", "unknown option --flag=1; see sluice test --help"},
    {"--str", "--str", "option --str needs a value"},
    {"-s", "-s", "option -s needs a value"},
    {ID64 " f --req r --alt-one x --key", "--key",
     "option --key needs a value"},
    /* values */
    {"--num 1", "--num", "--num must be a whole number from 2 to 9"},
    {"--num 10", "--num", "--num must be a whole number from 2 to 9"},
    {"--num x", "--num", "--num takes a whole number"},
    {"--num _", "--num", "--num takes a whole number"},
    {"--size 1", "--size", "--size must be between 1024 and 1048576"},
    {"--item a --item b --item c --item d", "--item", "at most 3 items"},
    {"--custom no", "--custom", "--custom said no"},
    {"--key _", "--key", "--key needs a file name"},
    /* arguments */
    {"", "", "ID and FILE are required"},
    {ID64, "", "ID and FILE are required"},
    {ID64 " f g", "", "unexpected argument 'g'"},
    {"0x12 f", "ID", "'0x12' is not a data-set id (0x and 64 hex digits)"},
    {"_ f", "ID", "'' is not a data-set id (0x and 64 hex digits)"},
    /* required options, after the arguments */
    {ID64 " f --alt-one x", "--req", "--req is required"},
    {ID64 " f --req r", "--alt-two", "give --alt-one or --alt-two"},
};

static void test_parse_refusals(void **state)
{
    struct cli_ctx ctx;
    struct t_opts o;
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];

        if (parse_line(&ctx, &o, c->line, &f) != -1)
            fail_msg("accepted \"%s\"", c->line);
        if (f.kind != FAULT_INVALID || strcmp(f.field, c->field) != 0 ||
            strcmp(f.detail, c->detail) != 0)
            fail_msg("\"%s\": got %s [%s] \"%s\", want [%s] \"%s\"",
                     c->line, fault_kind_name(f.kind), f.field, f.detail,
                     c->field, c->detail);
    }
}

/* Before the command: global options only, up to its first word. */
static void test_parse_before_command(void **state)
{
    char *argv[64];
    struct cli_ctx ctx;
    struct fault f;
    int argc, next = -1;

    (void)state;
    memset(&ctx, 0, sizeof ctx);
    argc = split(argv, "sluice --gateway http://g:1 --key=k ls --frob");
    assert_int_equal(cli_parse(&ctx, NULL, NULL, argc, argv, &next, &f), 0);
    assert_int_equal(next, 4);
    assert_string_equal(argv[next], "ls");
    assert_string_equal(ctx.gateway, "http://g:1");
    assert_string_equal(ctx.key_path, "k");
    argc = split(argv, "sluice -h ls");
    assert_int_equal(cli_parse(&ctx, NULL, NULL, argc, argv, &next, &f), 1);
    argc = split(argv, "sluice --limit 5 ls");
    assert_int_equal(cli_parse(&ctx, NULL, NULL, argc, argv, &next, &f), -1);
    assert_string_equal(f.detail,
                        "unknown option --limit; see sluice --help");
    argc = split(argv, "sluice --gateway");
    assert_int_equal(cli_parse(&ctx, NULL, NULL, argc, argv, &next, &f), -1);
    assert_string_equal(f.detail, "option --gateway needs a value");
    argc = split(argv, "sluice");
    assert_int_equal(cli_parse(&ctx, NULL, NULL, argc, argv, &next, &f), 0);
    assert_int_equal(next, 1);
}

/* The real commands' own checks: what the table does not say. */
static void test_real_commands(void **state)
{
    char *argv[64];
    struct cli_ctx ctx;
    struct fault f;
    void *opts;
    int argc;

    (void)state;
    memset(&ctx, 0, sizeof ctx);
    opts = calloc(1, cli_cmd_ls.opts_size);
    argc = split(argv, "ls --sort cheap");
    assert_int_equal(cli_parse(&ctx, &cli_cmd_ls, opts, argc, argv, NULL, &f),
                     0);
    assert_int_equal(cli_cmd_ls.check(opts, &f), -1);
    assert_string_equal(f.detail,
                        "--sort must be newest, name, price or size");
    free(opts);
    opts = calloc(1, cli_cmd_upload.opts_size);
    argc = split(argv, "upload " ID64 " f");
    assert_int_equal(cli_parse(&ctx, &cli_cmd_upload, opts, argc, argv, NULL,
                               &f), 0);
    free(opts);
    opts = calloc(1, cli_cmd_dataset_create.opts_size);
    argc = split(argv, "create --name n --format blob --chunk-rows 5");
    assert_int_equal(cli_parse(&ctx, &cli_cmd_dataset_create, opts, argc,
                               argv, NULL, &f), 0);
    assert_int_equal(cli_cmd_dataset_create.check(opts, &f), -1);
    assert_string_equal(f.field, "--chunk-rows");
    free(opts);
    opts = calloc(1, cli_cmd_buy.opts_size);
    argc = split(argv, "buy " ID64 " --worker "
                       "0x0000000000000000000000000000000000000000 "
                       "--amount 1");
    assert_int_equal(cli_parse(&ctx, &cli_cmd_buy, opts, argc, argv, NULL,
                               &f), 0);
    assert_int_equal(cli_cmd_buy.check(opts, &f), -1);
    assert_string_equal(f.detail, "--worker cannot be the zero address");
    free(opts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_usage_of_every_command),
        cmocka_unit_test(test_usage_line_shapes),
        cmocka_unit_test(test_parse_values),
        cmocka_unit_test(test_parse_help),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_parse_before_command),
        cmocka_unit_test(test_real_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
