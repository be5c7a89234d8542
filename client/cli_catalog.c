/* sluice ls and sluice show: the catalogue, read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/cli.h"
#include "client/priceopt.h"
#include "client/progress.h"
#include "storage/jsonrow.h"

#define CLI_CATALOG_NAME_COLS 28
#define CLI_CATALOG_PREVIEW_COLS 160

/* Print text with control bytes shown as '?' (names come from strangers:
 * no terminal escapes), at most max bytes, never cutting a UTF-8
 * character; pad with spaces to width display columns when width > 0. */
static void cli_catalog_put(FILE *out, const char *text, size_t max,
                            size_t width)
{
    size_t i = 0, cols = 0;

    if (text == NULL)
        text = "";
    while (text[i] != '\0' && i < max) {
        unsigned char ch = (unsigned char)text[i];
        size_t len = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
        if (i + len > max)
            break;
        if (ch < 0x20 || ch == 0x7f) {
            fputc('?', out);
        } else {
            size_t k;
            for (k = 0; k < len && text[i + k] != '\0'; k++)
                fputc(text[i + k], out);
        }
        i += len;
        cols++;
    }
    if (text[i] != '\0') {
        fputs("...", out);
        cols += 3;
    }
    for (; cols < width; cols++)
        fputc(' ', out);
}

/* Print text[0..n) as cli_catalog_put does, at most max bytes. */
static void cli_catalog_put_n(FILE *out, const char *text, size_t n,
                              size_t max)
{
    char buf[CLI_CATALOG_PREVIEW_COLS + 8];
    size_t k = n < sizeof buf - 1 ? n : sizeof buf - 1;

    /* buf is longer than max: a cut text still ends in "...". A NUL
     * inside would end it early; JSON text holds none. */
    memcpy(buf, text, k);
    buf[k] = '\0';
    cli_catalog_put(out, buf, max, 0);
}

static uint64_t cli_catalog_num(const json_t *doc, const char *key)
{
    const json_t *v = json_object_get(doc, key);

    return json_is_integer(v) && json_integer_value(v) > 0
               ? (uint64_t)json_integer_value(v)
               : 0;
}

static int cli_catalog_add_param(char *q, size_t cap, const char *name,
                                 const char *value, struct fault *f)
{
    size_t n = strlen(q);

    if (value == NULL)
        return 0;
    if (n + strlen(name) + 3 >= cap)
        return fault_set(f, FAULT_INVALID, name, "--%s is too long", name);
    snprintf(q + n, cap - n, "%c%s=", strchr(q, '?') ? '&' : '?', name);
    if (http_query_escape(q, cap, value) < 0) {
        q[n] = '\0';
        return fault_set(f, FAULT_INVALID, name, "--%s is too long", name);
    }
    return 0;
}

static void cli_catalog_row(const json_t *item)
{
    char size[24], price[160];
    const char *fmt = json_string_value(json_object_get(item, "format"));

    progress_bytes(size, sizeof size, cli_catalog_num(item, "plain_bytes"));
    priceopt_describe(price, sizeof price, json_object_get(item, "price"));
    cli_catalog_put(stdout, json_string_value(json_object_get(item, "id")), 66,
                    66);
    fputs("  ", stdout);
    cli_catalog_put(stdout, json_string_value(json_object_get(item, "name")),
                    CLI_CATALOG_NAME_COLS, CLI_CATALOG_NAME_COLS + 3);
    printf("  %-5s  %10llu  %10s  ", fmt ? fmt : "?",
           (unsigned long long)cli_catalog_num(item, "rows"), size);
    cli_catalog_put(stdout, price, sizeof price, 0);
    fputc('\n', stdout);
}

struct cli_ls_opts {
    const char *q, *tag, *sort;
    struct cli_uint limit;
    int all;
};

static int cli_catalog_ls_check(void *opts, struct fault *f)
{
    struct cli_ls_opts *o = opts;

    if (o->sort != NULL && strcmp(o->sort, "newest") != 0 &&
        strcmp(o->sort, "name") != 0 && strcmp(o->sort, "price") != 0 &&
        strcmp(o->sort, "size") != 0)
        return fault_set(f, FAULT_INVALID, "--sort",
                         "--sort must be newest, name, price or size");
    return 0;
}

static int cli_catalog_ls(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_ls_opts *o = opts;
    char *cursor = NULL;
    char path[4096], limit[24];
    struct api_call call;
    json_t *doc = NULL, *items, *item;
    uint64_t shown = 0;
    size_t i;
    int status, rv = -1;

    snprintf(limit, sizeof limit, "%llu", (unsigned long long)o->limit.v);
    for (;;) {
        snprintf(path, sizeof path, "/v1/datasets");
        if (cli_catalog_add_param(path, sizeof path, "q", o->q, f) < 0 ||
            cli_catalog_add_param(path, sizeof path, "tag", o->tag, f) < 0 ||
            cli_catalog_add_param(path, sizeof path, "sort", o->sort, f) < 0 ||
            cli_catalog_add_param(path, sizeof path, "limit",
                                  o->limit.set ? limit : NULL, f) < 0 ||
            cli_catalog_add_param(path, sizeof path, "cursor", cursor, f) < 0)
            goto done;
        memset(&call, 0, sizeof call);
        call.method = "GET";
        call.path = path;
        json_decref(doc);
        doc = NULL;
        if (api_request(&ctx->api, &doc, &status, &call, f) < 0)
            goto done;
        items = json_object_get(doc, "items");
        if (!json_is_array(items)) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the gateway's list has no \"items\" array");
            goto done;
        }
        if (shown == 0 && json_array_size(items) > 0)
            printf("%-66s  %-31s  %-5s  %10s  %10s  %s\n", "ID", "NAME",
                   "FORMAT", "ROWS", "SIZE", "PRICE");
        json_array_foreach(items, i, item) {
            cli_catalog_row(item);
            shown++;
        }
        free(cursor);
        cursor = NULL;
        if (json_is_string(json_object_get(doc, "next_cursor"))) {
            cursor = strdup(json_string_value(
                json_object_get(doc, "next_cursor")));
            if (cursor == NULL) {
                fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
                goto done;
            }
        }
        if (cursor == NULL)
            break;
        if (!o->all) {
            fprintf(stderr, "sluice: more data-sets follow; --all lists "
                            "them all\n");
            break;
        }
    }
    if (shown == 0)
        fprintf(stderr, "sluice: no data-sets match\n");
    rv = 0;
done:
    free(cursor);
    json_decref(doc);
    return rv;
}

const struct cli_command cli_cmd_ls = {
    .name = "ls",
    .summary = "list the catalogue (--all follows every page)",
    .options = (const struct cli_option[]){
        {.name = "q", .type = CLI_OPT_STRING, .value = "TEXT",
         .help = "only data-sets whose name or description holds TEXT (any "
                 "case)",
         .slot = offsetof(struct cli_ls_opts, q)},
        {.name = "tag", .type = CLI_OPT_STRING, .value = "T",
         .help = "only data-sets tagged T",
         .slot = offsetof(struct cli_ls_opts, tag)},
        {.name = "sort", .type = CLI_OPT_STRING,
         .value = "newest|name|price|size",
         .help = "the order: newest first (the default), by name, cheapest "
                 "first, largest first",
         .slot = offsetof(struct cli_ls_opts, sort)},
        {.name = "limit", .type = CLI_OPT_UINT, .value = "N",
         .help = "data-sets per page, 1 to 100 (the gateway's default: 20)",
         .slot = offsetof(struct cli_ls_opts, limit), .min = 1, .max = 100},
        {.name = "all", .type = CLI_OPT_FLAG,
         .help = "follow every page, not only the first",
         .slot = offsetof(struct cli_ls_opts, all)},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_ls_opts),
    .flags = CLI_API,
    .check = cli_catalog_ls_check,
    .run = cli_catalog_ls,
};

static void cli_catalog_field(const char *label, const char *value)
{
    printf("%-13s ", label);
    cli_catalog_put(stdout, value, 4000, 0);
    fputc('\n', stdout);
}

static void cli_catalog_time(const char *label, uint64_t t)
{
    char text[40];
    time_t tt = (time_t)t;
    struct tm tm;

    if (t == 0 || gmtime_r(&tt, &tm) == NULL)
        return;
    strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
    cli_catalog_field(label, text);
}

/* The end of the JSON value that starts at p (valid JSON up to e): past
 * its closing bracket, brace or quote, or its last character. */
static const uint8_t *cli_catalog_skip(const uint8_t *p, const uint8_t *e)
{
    int depth = 0;

    while (p < e) {
        if (*p == '"') {
            for (p++; p < e && *p != '"'; p++)
                if (*p == '\\')
                    p++;
            p++;
        } else if (*p == '{' || *p == '[') {
            depth++;
            p++;
        } else if (*p == '}' || *p == ']') {
            depth--;
            p++;
        } else if (depth == 0 &&
                   (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' ||
                    *p == '\r')) {
            return p;
        } else {
            p++;
        }
        if (depth == 0 && (p[-1] == '}' || p[-1] == ']' || p[-1] == '"'))
            return p;
    }
    return p;
}

/* Print the preview rows of the view body[0..len) as their own text, so
 * that numbers from the data show as written (0.639, not
 * 0.63900000000000001; 1e400 at all): the rows are cut out of the body,
 * never decoded and encoded again. Returns 0, or -1 (nothing printed)
 * when the body's preview cannot be found as an array. */
static int cli_catalog_preview_raw(const uint8_t *body, size_t len)
{
    const struct jsonrow_member *m = NULL;
    const uint8_t *p, *e, *end;
    struct jsonrow jr;
    struct fault f;
    size_t i;
    int rv = -1;

    jsonrow_init(&jr);
    if (jsonrow_parse(&jr, body, len, 0, &f) < 0)
        goto done;
    for (i = 0; i < jr.count; i++)
        if (jr.members[i].key_len == 7 &&
            memcmp(jr.members[i].key, "preview", 7) == 0)
            m = &jr.members[i];
    if (m == NULL || m->kind != JSONROW_ARRAY || m->value_len < 2)
        goto done;
    p = m->value + 1;
    e = m->value + m->value_len - 1; /* the closing bracket */
    for (;;) {
        while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' ||
                         *p == '\r' || *p == ','))
            p++;
        if (p >= e)
            break;
        end = cli_catalog_skip(p, e);
        fputs("  ", stdout);
        cli_catalog_put_n(stdout, (const char *)p, (size_t)(end - p),
                          CLI_CATALOG_PREVIEW_COLS);
        fputc('\n', stdout);
        p = end;
    }
    rv = 0;
done:
    jsonrow_release(&jr);
    return rv;
}

static void cli_catalog_print(const json_t *d, const uint8_t *raw,
                              size_t raw_len)
{
    const char *state = json_string_value(json_object_get(d, "state"));
    const json_t *tags = json_object_get(d, "tags"), *v, *cols, *prev;
    const json_t *chunking = json_object_get(d, "chunking");
    char text[512], a[24], b[24];
    size_t i, n;

    cli_catalog_field("id", json_string_value(json_object_get(d, "id")));
    cli_catalog_field("name", json_string_value(json_object_get(d, "name")));
    cli_catalog_field("state", state);
    cli_catalog_field("format",
                      json_string_value(json_object_get(d, "format")));
    cli_catalog_field("owner", json_string_value(json_object_get(d, "owner")));
    cli_catalog_field("listed",
                      json_is_true(json_object_get(d, "listed")) ? "yes"
                                                                  : "no");
    v = json_object_get(d, "description");
    if (json_string_value(v) && json_string_value(v)[0])
        cli_catalog_field("description", json_string_value(v));
    text[0] = '\0';
    json_array_foreach(tags, i, v) {
        n = strlen(text);
        snprintf(text + n, sizeof text - n, "%s%s", i ? ", " : "",
                 json_string_value(v) ? json_string_value(v) : "?");
    }
    if (text[0])
        cli_catalog_field("tags", text);
    v = json_object_get(d, "license");
    if (json_string_value(v) && json_string_value(v)[0])
        cli_catalog_field("license", json_string_value(v));
    priceopt_describe(text, sizeof text, json_object_get(d, "price"));
    cli_catalog_field("price", text);
    if (json_is_integer(json_object_get(chunking, "rows"))) {
        snprintf(text, sizeof text, "%lld rows per chunk",
                 (long long)json_integer_value(json_object_get(chunking,
                                                               "rows")));
        cli_catalog_field("chunking", text);
    } else if (json_is_integer(json_object_get(chunking, "bytes"))) {
        progress_bytes(a, sizeof a, cli_catalog_num(chunking, "bytes"));
        snprintf(text, sizeof text, "%s per chunk", a);
        cli_catalog_field("chunking", text);
    }
    cli_catalog_time("created", cli_catalog_num(d, "created_at"));
    if (state != NULL && strcmp(state, "publishing") == 0) {
        progress_format(text, sizeof text,
                        cli_catalog_num(json_object_get(d, "progress"),
                                        "done"),
                        cli_catalog_num(json_object_get(d, "progress"),
                                        "total"),
                        -1.0);
        cli_catalog_field("progress", text);
    }
    if (state != NULL && strcmp(state, "failed") == 0)
        cli_catalog_field("reason",
                          json_string_value(json_object_get(d, "reason")));
    if (state == NULL || strcmp(state, "published") != 0)
        return;
    cli_catalog_time("published", cli_catalog_num(d, "published_at"));
    snprintf(text, sizeof text, "%llu",
             (unsigned long long)cli_catalog_num(d, "rows"));
    cli_catalog_field("rows", text);
    snprintf(text, sizeof text, "%llu",
             (unsigned long long)cli_catalog_num(d, "chunk_count"));
    cli_catalog_field("chunks", text);
    progress_bytes(a, sizeof a, cli_catalog_num(d, "plain_bytes"));
    progress_bytes(b, sizeof b, cli_catalog_num(d, "stored_bytes"));
    snprintf(text, sizeof text, "%s (%llu bytes; %s stored)", a,
             (unsigned long long)cli_catalog_num(d, "plain_bytes"), b);
    cli_catalog_field("size", text);
    cli_catalog_field("content root",
                      json_string_value(json_object_get(d, "content_root")));
    cols = json_object_get(d, "columns");
    text[0] = '\0';
    json_array_foreach(cols, i, v) {
        n = strlen(text);
        snprintf(text + n, sizeof text - n, "%s%s (%s)", i ? ", " : "",
                 json_string_value(json_object_get(v, "name"))
                     ? json_string_value(json_object_get(v, "name"))
                     : "?",
                 json_string_value(json_object_get(v, "type"))
                     ? json_string_value(json_object_get(v, "type"))
                     : "?");
    }
    if (text[0])
        cli_catalog_field("columns", text);
    prev = json_object_get(d, "preview");
    if (json_is_null(prev) && raw != NULL) {
        /* Numbers jansson cannot hold: the rows' own text only. */
        printf("preview:\n");
        if (cli_catalog_preview_raw(raw, raw_len) < 0)
            printf("  (not shown: it does not parse)\n");
    } else if (json_array_size(prev) > 0) {
        printf("preview (%zu rows):\n", json_array_size(prev));
        if (raw == NULL || cli_catalog_preview_raw(raw, raw_len) < 0)
            json_array_foreach(prev, i, v) {
                char *row = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                fputs("  ", stdout);
                cli_catalog_put(stdout, row, CLI_CATALOG_PREVIEW_COLS, 0);
                fputc('\n', stdout);
                free(row);
            }
    }
}

struct cli_show_opts {
    const char *id;
};

static int cli_catalog_show(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_show_opts *o = opts;
    struct http_response r;
    struct api_call call;
    char path[128];
    json_t *doc = NULL;
    int rv = -1;

    snprintf(path, sizeof path, "/v1/datasets/%s", o->id);
    memset(&call, 0, sizeof call);
    call.method = "GET";
    call.path = path;
    /* Signed when there is a key, so that the owner sees a draft. */
    call.sign = ctx->have_key;
    /* The body is kept: the preview is printed from its own text. */
    if (api_exchange(&ctx->api, &r, &call, f) < 0)
        return -1;
    if (r.status < 200 || r.status > 299) {
        api_problem_fault(&r, f);
        goto done;
    }
    if (api_json_parse(&doc, r.body, r.body_len, "preview", f) < 0)
        goto done;
    cli_catalog_print(doc, r.body, r.body_len);
    rv = 0;
done:
    json_decref(doc);
    http_response_clear(&r);
    return rv;
}

const struct cli_command cli_cmd_show = {
    .name = "show",
    .summary = "show one data-set (signed when a key is there, so that "
               "owners see their drafts)",
    .args = (const struct cli_arg[]){
        {.name = "ID", .type = CLI_ARG_ID, .help = "the data-set's id",
         .slot = offsetof(struct cli_show_opts, id)},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_show_opts),
    .flags = CLI_KEY_IF_THERE | CLI_API,
    .run = cli_catalog_show,
};
