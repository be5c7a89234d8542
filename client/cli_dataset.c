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
#define CLI_PRICE_GROUP 1
#define CLI_CHUNK_GROUP 2

/* The slot the three price options share: only one may be given. */
struct cli_price {
    enum priceopt_kind kind;
    const char *text; /* NULL: no price option */
};

static int cli_dataset_take_price(void *slot, const struct cli_option *o,
                                  const char *value, struct fault *f)
{
    struct cli_price *p = slot;
    enum priceopt_kind kind = (enum priceopt_kind)o->arg;

    if (p->text != NULL)
        return fault_set(f, FAULT_INVALID, priceopt_option(kind),
                         "give one price option: %s and %s were both given",
                         priceopt_option(p->kind), priceopt_option(kind));
    p->kind = kind;
    p->text = value;
    return 0;
}

/* The price options of a command whose options struct S has a struct
 * cli_price M; missing is NULL when a plan is optional. */
#define CLI_PRICE_OPTIONS(S, M, missing_text)                               \
    {.name = "price-json", .type = CLI_OPT_CUSTOM, .value = "JSON",         \
     .help = "the plan as JSON, e.g. '{\"kind\":\"metered\","               \
             "\"per_query\":\"1\"}'",                                       \
     .slot = offsetof(S, M), .group = CLI_PRICE_GROUP,                      \
     .take = cli_dataset_take_price, .arg = PRICEOPT_JSON},                 \
    {.name = "price-metered", .type = CLI_OPT_CUSTOM,                       \
     .value = "per_query=N,per_chunk=N,per_row=N,per_mib=N",                \
     .help = "a metered plan in ledger units (also min_purchase=N, "        \
             "unit_wei=N)",                                                 \
     .slot = offsetof(S, M), .group = CLI_PRICE_GROUP,                      \
     .missing = missing_text, .take = cli_dataset_take_price,               \
     .arg = PRICEOPT_METERED},                                              \
    {.name = "price-pass", .type = CLI_OPT_CUSTOM,                          \
     .value = "price=N,duration=30d",                                       \
     .help = "a pass: unlimited queries for a time (s, m, h, d or w) per "  \
             "price paid (also unit_wei=N)",                                \
     .slot = offsetof(S, M), .group = CLI_PRICE_GROUP,                      \
     .take = cli_dataset_take_price, .arg = PRICEOPT_PASS}

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

/* ---- dataset create --------------------------------------------------- */

struct cli_create_opts {
    const char *name, *format, *description, *license;
    struct cli_list tags;
    struct cli_uint chunk_size, chunk_rows, preview_rows;
    struct cli_price price;
};

static int cli_dataset_create_check(void *opts, struct fault *f)
{
    struct cli_create_opts *o = opts;
    json_t *plan = NULL;

    if (o->name[0] == '\0')
        return fault_set(f, FAULT_INVALID, "--name", "--name is required");
    if (strcmp(o->format, "csv") != 0 && strcmp(o->format, "jsonl") != 0 &&
        strcmp(o->format, "blob") != 0)
        return fault_set(f, FAULT_INVALID, "--format",
                         "--format must be csv, jsonl or blob, not '%.40s'",
                         o->format);
    if (o->chunk_size.set && o->chunk_rows.set)
        return fault_set(f, FAULT_INVALID, "--chunk-rows",
                         "give --chunk-size or --chunk-rows, not both");
    if (o->chunk_rows.set && strcmp(o->format, "blob") == 0)
        return fault_set(f, FAULT_INVALID, "--chunk-rows",
                         "a blob data-set has no rows to chunk by; use "
                         "--chunk-size");
    /* Checked here, built again by the run. */
    if (o->price.text != NULL &&
        priceopt_parse(&plan, o->price.kind, o->price.text, f) < 0)
        return -1;
    json_decref(plan);
    return 0;
}

static int cli_dataset_create(struct cli_ctx *ctx, void *opts,
                              struct fault *f)
{
    struct cli_create_opts *o = opts;
    json_t *body = NULL, *plan = NULL, *doc = NULL, *tag_list;
    size_t i;
    int rv = -1;

    body = json_pack("{s:s, s:s}", "name", o->name, "format", o->format);
    if (body == NULL)
        goto oom;
    if ((o->description != NULL &&
         json_object_set_new(body, "description",
                             json_string(o->description)) < 0) ||
        (o->license != NULL &&
         json_object_set_new(body, "license", json_string(o->license)) < 0))
        goto oom;
    if (o->tags.n > 0) {
        tag_list = json_array();
        if (tag_list == NULL || json_object_set_new(body, "tags", tag_list) < 0)
            goto oom;
        for (i = 0; i < o->tags.n; i++)
            if (json_array_append_new(tag_list, json_string(o->tags.v[i])) < 0)
                goto oom;
    }
    if (o->chunk_size.set &&
        json_object_set_new(body, "chunking",
                            json_pack("{s:I}", "bytes",
                                      (json_int_t)o->chunk_size.v)) < 0)
        goto oom;
    if (o->chunk_rows.set &&
        json_object_set_new(body, "chunking",
                            json_pack("{s:I}", "rows",
                                      (json_int_t)o->chunk_rows.v)) < 0)
        goto oom;
    if (o->preview_rows.set &&
        json_object_set_new(body, "preview_rows",
                            json_integer((json_int_t)o->preview_rows.v)) < 0)
        goto oom;
    if (o->price.text != NULL) {
        if (priceopt_parse(&plan, o->price.kind, o->price.text, f) < 0)
            goto done;
        if (json_object_set(body, "price", plan) < 0)
            goto oom;
    }
    if (cli_dataset_send(&ctx->api, &doc, "POST", "/v1/datasets", body, f) <
        0)
        goto done;
    if (json_string_value(json_object_get(doc, "id")) == NULL) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the gateway's answer holds no data-set id");
        goto done;
    }
    printf("%s\n", json_string_value(json_object_get(doc, "id")));
    if (o->price.text == NULL)
        fprintf(stderr, "sluice: created a draft with no price; set one "
                        "with `sluice price ID ...` before publishing\n");
    rv = 0;
    goto done;
oom:
    fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
done:
    json_decref(body);
    json_decref(plan);
    json_decref(doc);
    return rv;
}

const struct cli_command cli_cmd_dataset_create = {
    .name = "dataset create",
    .summary = "create a draft data-set owned by the key; prints its id",
    .options = (const struct cli_option[]){
        {.name = "name", .type = CLI_OPT_STRING, .value = "NAME",
         .help = "the data-set's name",
         .slot = offsetof(struct cli_create_opts, name),
         .missing = "--name is required"},
        {.name = "format", .type = CLI_OPT_STRING, .value = "csv|jsonl|blob",
         .help = "how the content is split into rows: CSV with a header, "
                 "JSON Lines, or an opaque blob",
         .slot = offsetof(struct cli_create_opts, format),
         .missing = "--format is required (csv, jsonl or blob)"},
        {.name = "description", .type = CLI_OPT_STRING, .value = "TEXT",
         .help = "what the data is",
         .slot = offsetof(struct cli_create_opts, description)},
        {.name = "tag", .type = CLI_OPT_LIST, .value = "T",
         .help = "a tag for the catalogue's search (up to 16)",
         .slot = offsetof(struct cli_create_opts, tags),
         .max = CLI_TAGS_MAX},
        {.name = "license", .type = CLI_OPT_STRING, .value = "TEXT",
         .help = "the terms of use",
         .slot = offsetof(struct cli_create_opts, license)},
        {.name = "chunk-size", .type = CLI_OPT_SIZE, .value = "BYTES",
         .help = "the plaintext size of a chunk, 4K to 512M (the gateway's "
                 "default: 1M)",
         .slot = offsetof(struct cli_create_opts, chunk_size),
         .min = 4096, .max = (uint64_t)512 << 20, .group = CLI_CHUNK_GROUP},
        {.name = "chunk-rows", .type = CLI_OPT_UINT, .value = "N",
         .help = "rows per chunk instead, 1 to 10000000 (not for a blob)",
         .slot = offsetof(struct cli_create_opts, chunk_rows),
         .min = 1, .max = 10000000, .group = CLI_CHUNK_GROUP},
        {.name = "preview-rows", .type = CLI_OPT_UINT, .value = "N",
         .help = "rows shown free in the catalogue, 0 to 100",
         .slot = offsetof(struct cli_create_opts, preview_rows),
         .min = 0, .max = 100},
        CLI_PRICE_OPTIONS(struct cli_create_opts, price, NULL),
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_create_opts),
    .flags = CLI_KEY | CLI_API,
    .check = cli_dataset_create_check,
    .run = cli_dataset_create,
};

/* ---- price ------------------------------------------------------------ */

struct cli_price_opts {
    const char *id;
    struct cli_price price;
};

static int cli_dataset_price_check(void *opts, struct fault *f)
{
    struct cli_price_opts *o = opts;
    json_t *plan = NULL;

    if (priceopt_parse(&plan, o->price.kind, o->price.text, f) < 0)
        return -1;
    json_decref(plan);
    return 0;
}

static int cli_dataset_price(struct cli_ctx *ctx, void *opts,
                             struct fault *f)
{
    struct cli_price_opts *o = opts;
    char path[128], text[256];
    json_t *plan = NULL, *doc = NULL;
    int rv = -1;

    if (priceopt_parse(&plan, o->price.kind, o->price.text, f) < 0)
        goto done;
    snprintf(path, sizeof path, "/v1/datasets/%s/price", o->id);
    if (cli_dataset_send(&ctx->api, &doc, "PUT", path, plan, f) < 0)
        goto done;
    priceopt_describe(text, sizeof text, json_object_get(doc, "price"));
    printf("price %s\n", text);
    rv = 0;
done:
    json_decref(plan);
    json_decref(doc);
    return rv;
}

const struct cli_command cli_cmd_price = {
    .name = "price",
    .summary = "set the data-set's price plan (also after publishing)",
    .args = (const struct cli_arg[]){
        {.name = "ID", .type = CLI_ARG_ID, .help = "the data-set's id",
         .slot = offsetof(struct cli_price_opts, id)},
        {.name = NULL},
    },
    .options = (const struct cli_option[]){
        CLI_PRICE_OPTIONS(struct cli_price_opts, price,
                          "give the plan: --price-json, --price-metered or "
                          "--price-pass"),
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_price_opts),
    .flags = CLI_KEY | CLI_API,
    .check = cli_dataset_price_check,
    .run = cli_dataset_price,
};

/* ---- delete ----------------------------------------------------------- */

struct cli_delete_opts {
    const char *id;
};

static int cli_dataset_delete(struct cli_ctx *ctx, void *opts,
                              struct fault *f)
{
    struct cli_delete_opts *o = opts;
    char path[128];
    json_t *doc = NULL;
    int rv = -1;

    snprintf(path, sizeof path, "/v1/datasets/%s", o->id);
    if (cli_dataset_send(&ctx->api, &doc, "DELETE", path, NULL, f) < 0)
        goto done;
    printf("unlisted %s (buyers who paid keep their access)\n", o->id);
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

const struct cli_command cli_cmd_delete = {
    .name = "delete",
    .summary = "unlist the data-set (buyers who paid keep access)",
    .args = (const struct cli_arg[]){
        {.name = "ID", .type = CLI_ARG_ID, .help = "the data-set's id",
         .slot = offsetof(struct cli_delete_opts, id)},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_delete_opts),
    .flags = CLI_KEY | CLI_API,
    .run = cli_dataset_delete,
};
