/*
 * sluice dataset create | price | delete: the owner's writes of a
 * data-set's record (POST /v1/datasets, PUT .../price, DELETE), each
 * signed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/priceopt.h"

#define CLI_TAGS_MAX 16

enum {
    OPT_NAME = CLI_OPT_FIRST_LOCAL,
    OPT_FORMAT,
    OPT_DESCRIPTION,
    OPT_TAG,
    OPT_LICENSE,
    OPT_CHUNK_SIZE,
    OPT_CHUNK_ROWS,
    OPT_PREVIEW_ROWS,
    OPT_PRICE_JSON,
    OPT_PRICE_METERED,
    OPT_PRICE_PASS
};

#define CLI_PRICE_OPTIONS                                                   \
    {"price-json", required_argument, NULL, OPT_PRICE_JSON},                \
    {"price-metered", required_argument, NULL, OPT_PRICE_METERED},          \
    {"price-pass", required_argument, NULL, OPT_PRICE_PASS}

struct cli_price {
    enum priceopt_kind kind;
    const char *text; /* NULL: no price option */
};

/* Take a price option; only one may be given. Returns 1 if c was one, 0
 * if not, -1 with f set. */
static int cli_dataset_price_option(struct cli_price *p, int c,
                                    struct fault *f)
{
    enum priceopt_kind kind;

    switch (c) {
    case OPT_PRICE_JSON: kind = PRICEOPT_JSON; break;
    case OPT_PRICE_METERED: kind = PRICEOPT_METERED; break;
    case OPT_PRICE_PASS: kind = PRICEOPT_PASS; break;
    default: return 0;
    }
    if (p->text != NULL)
        return fault_set(f, FAULT_INVALID, priceopt_option(kind),
                         "give one price option: %s and %s were both given",
                         priceopt_option(p->kind), priceopt_option(kind));
    p->kind = kind;
    p->text = optarg;
    return 1;
}

/* Send a signed call whose answer is a data-set; return it in *doc. */
static int cli_dataset_send(struct api *a, json_t **doc, const char *method,
                            const char *path, const json_t *body,
                            struct fault *f)
{
    struct api_call call;
    char *text = NULL;
    int status, rv;

    memset(&call, 0, sizeof call);
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (text == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        call.body = (const uint8_t *)text;
        call.body_len = strlen(text);
        call.content_type = "application/json";
    }
    call.method = method;
    call.path = path;
    call.sign = 1;
    rv = api_request(a, doc, &status, &call, f);
    free(text);
    return rv;
}

int cli_dataset_create(struct cli_ctx *ctx, int argc, char **argv,
                       struct fault *f)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        CLI_PRICE_OPTIONS,
        {"name", required_argument, NULL, OPT_NAME},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"description", required_argument, NULL, OPT_DESCRIPTION},
        {"tag", required_argument, NULL, OPT_TAG},
        {"license", required_argument, NULL, OPT_LICENSE},
        {"chunk-size", required_argument, NULL, OPT_CHUNK_SIZE},
        {"chunk-rows", required_argument, NULL, OPT_CHUNK_ROWS},
        {"preview-rows", required_argument, NULL, OPT_PREVIEW_ROWS},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *format = NULL, *desc = NULL, *license = NULL;
    const char *tags[CLI_TAGS_MAX];
    const char *chunk_size = NULL, *chunk_rows = NULL, *preview = NULL;
    struct cli_price price = {PRICEOPT_JSON, NULL};
    struct ethkey key;
    struct api a;
    json_t *body = NULL, *plan = NULL, *doc = NULL, *tag_list;
    uint64_t v;
    size_t ntags = 0, i;
    int c, r, have = 0, api_open = 0, rv = -1;

    memset(&key, 0, sizeof key);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_NAME: name = optarg; break;
        case OPT_FORMAT: format = optarg; break;
        case OPT_DESCRIPTION: desc = optarg; break;
        case OPT_LICENSE: license = optarg; break;
        case OPT_CHUNK_SIZE: chunk_size = optarg; break;
        case OPT_CHUNK_ROWS: chunk_rows = optarg; break;
        case OPT_PREVIEW_ROWS: preview = optarg; break;
        case OPT_TAG:
            if (ntags == CLI_TAGS_MAX) {
                fault_set(f, FAULT_INVALID, "--tag",
                          "at most %d tags", CLI_TAGS_MAX);
                goto done;
            }
            tags[ntags++] = optarg;
            break;
        default:
            r = cli_dataset_price_option(&price, c, f);
            if (r < 0)
                goto done;
            if (r == 1)
                break;
            r = cli_common_option(ctx, c, argv, f);
            if (r == 2)
                rv = 0;
            if (r != 1)
                goto done;
        }
    }
    if (cli_positional(argc, argv, 0, "", f) < 0)
        goto done;
    if (name == NULL || name[0] == '\0') {
        fault_set(f, FAULT_INVALID, "--name", "--name is required");
        goto done;
    }
    if (format == NULL) {
        fault_set(f, FAULT_INVALID, "--format",
                  "--format is required (csv, jsonl or blob)");
        goto done;
    }
    if (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0 &&
        strcmp(format, "blob") != 0) {
        fault_set(f, FAULT_INVALID, "--format",
                  "--format must be csv, jsonl or blob, not '%.40s'", format);
        goto done;
    }
    if (chunk_size != NULL && chunk_rows != NULL) {
        fault_set(f, FAULT_INVALID, "--chunk-rows",
                  "give --chunk-size or --chunk-rows, not both");
        goto done;
    }
    if (chunk_rows != NULL && strcmp(format, "blob") == 0) {
        fault_set(f, FAULT_INVALID, "--chunk-rows",
                  "a blob data-set has no rows to chunk by; use "
                  "--chunk-size");
        goto done;
    }
    body = json_pack("{s:s, s:s}", "name", name, "format", format);
    if (body == NULL)
        goto oom;
    if ((desc != NULL &&
         json_object_set_new(body, "description", json_string(desc)) < 0) ||
        (license != NULL &&
         json_object_set_new(body, "license", json_string(license)) < 0))
        goto oom;
    if (ntags > 0) {
        tag_list = json_array();
        if (tag_list == NULL || json_object_set_new(body, "tags", tag_list) < 0)
            goto oom;
        for (i = 0; i < ntags; i++)
            if (json_array_append_new(tag_list, json_string(tags[i])) < 0)
                goto oom;
    }
    if (chunk_size != NULL) {
        if (units_parse_size(&v, chunk_size, 4096, (uint64_t)512 << 20,
                           "--chunk-size", f) < 0)
            goto done;
        if (json_object_set_new(body, "chunking",
                                json_pack("{s:I}", "bytes", (json_int_t)v)) < 0)
            goto oom;
    }
    if (chunk_rows != NULL) {
        if (cli_parse_uint(&v, chunk_rows, 1, 10000000, "--chunk-rows", f) < 0)
            goto done;
        if (json_object_set_new(body, "chunking",
                                json_pack("{s:I}", "rows", (json_int_t)v)) < 0)
            goto oom;
    }
    if (preview != NULL) {
        if (cli_parse_uint(&v, preview, 0, 100, "--preview-rows", f) < 0)
            goto done;
        if (json_object_set_new(body, "preview_rows",
                                json_integer((json_int_t)v)) < 0)
            goto oom;
    }
    if (price.text != NULL) {
        if (priceopt_parse(&plan, price.kind, price.text, f) < 0)
            goto done;
        if (json_object_set(body, "price", plan) < 0)
            goto oom;
    }
    if (cli_load_key(ctx, &key, &have, 1, f) < 0 ||
        cli_api(ctx, &a, &key, f) < 0)
        goto done;
    api_open = 1;
    if (cli_dataset_send(&a, &doc, "POST", "/v1/datasets", body, f) < 0)
        goto done;
    if (json_string_value(json_object_get(doc, "id")) == NULL) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the gateway's answer holds no data-set id");
        goto done;
    }
    printf("%s\n", json_string_value(json_object_get(doc, "id")));
    if (price.text == NULL)
        fprintf(stderr, "sluice: created a draft with no price; set one "
                        "with `sluice price ID ...` before publishing\n");
    rv = 0;
    goto done;
oom:
    fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
done:
    if (api_open)
        api_close(&a);
    json_decref(body);
    json_decref(plan);
    json_decref(doc);
    ethkey_wipe(&key);
    return rv;
}

int cli_dataset_price(struct cli_ctx *ctx, int argc, char **argv,
                      struct fault *f)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        CLI_PRICE_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    struct cli_price price = {PRICEOPT_JSON, NULL};
    char path[128], text[256];
    struct ethkey key;
    struct api a;
    json_t *plan = NULL, *doc = NULL;
    int c, r, have = 0, api_open = 0, rv = -1;

    memset(&key, 0, sizeof key);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        r = cli_dataset_price_option(&price, c, f);
        if (r < 0)
            goto done;
        if (r == 1)
            continue;
        r = cli_common_option(ctx, c, argv, f);
        if (r == 2)
            rv = 0;
        if (r != 1)
            goto done;
    }
    if (cli_positional(argc, argv, 1, "ID", f) < 0 ||
        cli_check_id(argv[optind], f) < 0)
        goto done;
    if (price.text == NULL) {
        fault_set(f, FAULT_INVALID, "--price-metered",
                  "give the plan: --price-json, --price-metered or "
                  "--price-pass");
        goto done;
    }
    if (priceopt_parse(&plan, price.kind, price.text, f) < 0)
        goto done;
    snprintf(path, sizeof path, "/v1/datasets/%s/price", argv[optind]);
    if (cli_load_key(ctx, &key, &have, 1, f) < 0 ||
        cli_api(ctx, &a, &key, f) < 0)
        goto done;
    api_open = 1;
    if (cli_dataset_send(&a, &doc, "PUT", path, plan, f) < 0)
        goto done;
    priceopt_describe(text, sizeof text, json_object_get(doc, "price"));
    printf("price %s\n", text);
    rv = 0;
done:
    if (api_open)
        api_close(&a);
    json_decref(plan);
    json_decref(doc);
    ethkey_wipe(&key);
    return rv;
}

int cli_dataset_delete(struct cli_ctx *ctx, int argc, char **argv,
                       struct fault *f)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char path[128];
    struct ethkey key;
    struct api a;
    json_t *doc = NULL;
    int c, r, have = 0, api_open = 0, rv = -1;

    memset(&key, 0, sizeof key);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        r = cli_common_option(ctx, c, argv, f);
        if (r == 2)
            rv = 0;
        if (r != 1)
            goto done;
    }
    if (cli_positional(argc, argv, 1, "ID", f) < 0 ||
        cli_check_id(argv[optind], f) < 0)
        goto done;
    snprintf(path, sizeof path, "/v1/datasets/%s", argv[optind]);
    if (cli_load_key(ctx, &key, &have, 1, f) < 0 ||
        cli_api(ctx, &a, &key, f) < 0)
        goto done;
    api_open = 1;
    if (cli_dataset_send(&a, &doc, "DELETE", path, NULL, f) < 0)
        goto done;
    printf("unlisted %s (buyers who paid keep their access)\n", argv[optind]);
    rv = 0;
done:
    if (api_open)
        api_close(&a);
    json_decref(doc);
    ethkey_wipe(&key);
    return rv;
}
