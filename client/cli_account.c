/*
 * sluice account [--earnings] [--json]: what the key's address holds
 * (GET /v1/accounts/<address>: balances per data-set, payments, usage per
 * day) or, with --earnings, what it earned as an owner (GET
 * /v1/owners/<address>/earnings), signed by the key (DESIGN.md 3.11).
 * Amounts are printed as the gateway wrote them: decimal text, never
 * through a double.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"

struct cli_account_opts {
    int earnings;
    int json;
};

static const char *cli_account_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "-";
}

static void cli_account_print(const json_t *doc)
{
    const json_t *v;
    size_t i;

    printf("address %s\n", cli_account_str(doc, "address"));
    printf("balances (units):\n");
    json_array_foreach(json_object_get(doc, "balances"), i, v) {
        const json_t *pe = json_object_get(v, "pass_expires");

        printf("  %s  units %s  owed %s  credited %s  spent %s",
               cli_account_str(v, "dataset_id"), cli_account_str(v, "units"),
               cli_account_str(v, "owed_units"),
               cli_account_str(v, "credited_total"),
               cli_account_str(v, "spent_total"));
        if (json_is_integer(pe))
            printf("  pass until %lld", (long long)json_integer_value(pe));
        printf("\n");
    }
    printf("payments:\n");
    json_array_foreach(json_object_get(doc, "payments"), i, v)
        printf("  %s #%lld  %s  %s wei  units %s%s%s\n",
               cli_account_str(v, "tx_hash"),
               (long long)json_integer_value(json_object_get(v, "ordinal")),
               cli_account_str(v, "state"), cli_account_str(v, "amount_wei"),
               cli_account_str(v, "units"),
               json_is_string(json_object_get(v, "reason")) ? "  " : "",
               json_is_string(json_object_get(v, "reason"))
                   ? cli_account_str(v, "reason")
                   : "");
    printf("usage:\n");
    json_array_foreach(json_object_get(doc, "usage"), i, v)
        printf("  %s  %s  %lld queries, %lld chunks, %s units\n",
               cli_account_str(v, "day"), cli_account_str(v, "dataset_id"),
               (long long)json_integer_value(json_object_get(v, "queries")),
               (long long)json_integer_value(json_object_get(v, "chunks")),
               cli_account_str(v, "cost"));
}

static void cli_account_print_earnings(const json_t *doc)
{
    const json_t *v;
    size_t i;

    printf("address %s\n", cli_account_str(doc, "address"));
    printf("owed by the contract: %s wei\n",
           json_is_string(json_object_get(doc, "owed_wei"))
               ? cli_account_str(doc, "owed_wei")
               : "(unknown: the gateway cannot reach its chain)");
    json_array_foreach(json_object_get(doc, "days"), i, v)
        printf("  %s  %s  %lld payments, %s wei, %s units; %lld queries, %s "
               "units spent\n",
               cli_account_str(v, "day"), cli_account_str(v, "dataset_id"),
               (long long)json_integer_value(json_object_get(v, "payments")),
               cli_account_str(v, "amount_wei"), cli_account_str(v, "units"),
               (long long)json_integer_value(json_object_get(v, "queries")),
               cli_account_str(v, "units_spent"));
}

static int cli_account_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    const struct cli_account_opts *o = opts;
    struct api_call call;
    json_t *doc = NULL;
    char path[160];
    char *text;
    int status;

    snprintf(path, sizeof path,
             o->earnings ? "/v1/owners/%s/earnings" : "/v1/accounts/%s",
             ctx->api.address);
    memset(&call, 0, sizeof call);
    call.method = "GET";
    call.path = path;
    call.sign = 1;
    if (api_request(&ctx->api, &doc, &status, &call, f) < 0)
        return -1;
    if (o->json) {
        text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text == NULL) {
            json_decref(doc);
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        }
        printf("%s\n", text);
        free(text);
    } else if (o->earnings) {
        cli_account_print_earnings(doc);
    } else {
        cli_account_print(doc);
    }
    json_decref(doc);
    return 0;
}

const struct cli_command cli_cmd_account = {
    .name = "account",
    .summary = "show what the key's address holds: balances per data-set, "
               "payments and usage per day (--earnings: what it earned as an "
               "owner, and what the contract owes it)",
    .options = (const struct cli_option[]){
        {.name = "earnings", .type = CLI_OPT_FLAG,
         .help = "the owner's earnings per day instead",
         .slot = offsetof(struct cli_account_opts, earnings)},
        {.name = "json", .type = CLI_OPT_FLAG,
         .help = "print the gateway's answer as JSON",
         .slot = offsetof(struct cli_account_opts, json)},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_account_opts),
    .flags = CLI_KEY | CLI_API,
    .run = cli_account_run,
};
