/*
 * sluice buy DATASET --worker ADDR --amount ETH: pay the market contract
 * for a worker's access to a data-set (DESIGN.md 1, step 2), from the
 * CLI's own key, then follow the payment until the gateway credits it.
 *
 * The owner comes from the gateway's record of the data-set, so that a
 * typo cannot pay someone else (the gateway would not credit a payment
 * whose owner does not match anyway: the buyer would have paid for
 * nothing). The contract comes from --contract or from the gateway, and
 * the node must be on the chain the gateway follows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/cli.h"
#include "client/ether.h"
#include "client/market.h"
#include "lib/hex.h"

#define BUY_WAIT_S 30        /* ?wait= of each long poll */
#define BUY_UNKNOWN_MAX_S 300 /* how long the gateway may not know the tx */
#define BUY_FAILURES_MAX 5

static void cli_buy_sleep(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Read the owner of data-set id from the gateway (GET /v1/datasets/<id>;
 * only a published data-set has one). */
static int cli_buy_owner(struct api *a, struct ethaddr *owner, const char *id,
                         struct fault *f)
{
    struct api_call call;
    const char *text, *state;
    char path[128];
    json_t *doc = NULL;
    int status, rv = -1;

    memset(&call, 0, sizeof call);
    snprintf(path, sizeof path, "/v1/datasets/%s", id);
    call.method = "GET";
    call.path = path;
    if (api_request(a, &doc, &status, &call, f) < 0)
        goto done;
    text = json_string_value(json_object_get(doc, "owner"));
    state = json_string_value(json_object_get(doc, "state"));
    if (state != NULL && strcmp(state, "published") != 0) {
        fault_set(f, FAULT_CONFLICT, "ID",
                  "data-set %s is %s, not published: it cannot be bought "
                  "yet", id, state);
        goto done;
    }
    if (text == NULL) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the gateway's record of %s names no owner", id);
        goto done;
    }
    if (ethaddr_parse(owner, text, strlen(text), "owner", f) < 0)
        goto done;
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

/* One payment entry: print its progress when it changed; return 1 when
 * credited, 0 while on its way, -1 with f set when it will never be. */
static int cli_buy_payment(const json_t *p, size_t i, size_t n, char *last,
                           size_t last_cap, struct fault *f)
{
    const char *state = json_string_value(json_object_get(p, "state"));
    const char *reason = json_string_value(json_object_get(p, "reason"));
    const char *units = json_string_value(json_object_get(p, "units"));
    const json_t *conf = json_object_get(p, "confirmations");
    const json_t *req = json_object_get(p, "required");
    char line[160], who[32];

    if (state == NULL)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a payment in the gateway's answer has no state");
    who[0] = '\0';
    if (n > 1)
        snprintf(who, sizeof who, "payment %zu: ", i);
    if (strcmp(state, "credited") == 0) {
        printf("%scredited %s units\n", who, units != NULL ? units : "?");
        return 1;
    }
    if (strcmp(state, "unmatched") == 0 || strcmp(state, "reversed") == 0)
        return fault_set(f, FAULT_CONFLICT, NULL,
                         "%sthe gateway says the payment is %s (%s): it "
                         "will not be credited",
                         who, state, reason != NULL ? reason : "no reason "
                                                               "given");
    if (strcmp(state, "confirming") == 0 && json_is_integer(conf) &&
        json_is_integer(req))
        snprintf(line, sizeof line, "%sconfirming %lld/%lld", who,
                 (long long)json_integer_value(conf),
                 (long long)json_integer_value(req));
    else if (strcmp(state, "confirming") == 0 && json_is_integer(conf))
        snprintf(line, sizeof line,
                 "%sconfirming %lld (until the block is final)", who,
                 (long long)json_integer_value(conf));
    else
        snprintf(line, sizeof line, "%s%.20s", who, state);
    if (strcmp(line, last) != 0) {
        fprintf(stderr, "%s\n", line);
        snprintf(last, last_cap, "%s", line);
    }
    return 0;
}

/* Follow GET /v1/payments/<hash> until every payment of the transaction
 * is credited, or one will never be. */
static int cli_buy_follow(struct api *a, const char *hash, struct fault *f)
{
    struct api_call call;
    char path[128], last[8][160];
    json_t *doc = NULL, *list;
    int64_t start = (int64_t)time(NULL), asked;
    size_t i, n;
    int status, r, done_all, fails = 0, rv = -1, said_unknown = 0;

    memset(last, 0, sizeof last);
    snprintf(path, sizeof path, "/v1/payments/%s?wait=%d", hash, BUY_WAIT_S);
    for (;;) {
        memset(&call, 0, sizeof call);
        call.method = "GET";
        call.path = path;
        asked = (int64_t)time(NULL);
        json_decref(doc);
        doc = NULL;
        if (api_request(a, &doc, &status, &call, f) < 0) {
            if (status == 404) {
                /* Not known yet: the gateway's follower and its node may
                 * be a block or more behind ours. */
                if ((int64_t)time(NULL) - start >= BUY_UNKNOWN_MAX_S) {
                    fault_set(f, FAULT_NOT_FOUND, NULL,
                              "the gateway still does not know %s after "
                              "%d s: does it follow this contract and "
                              "chain? The payment is on chain; look it "
                              "up later with GET /v1/payments/%s",
                              hash, BUY_UNKNOWN_MAX_S, hash);
                    goto done;
                }
                if (!said_unknown)
                    fprintf(stderr, "waiting for the gateway to see the "
                                    "payment\n");
                said_unknown = 1;
            } else if ((status == 0 || status >= 500) &&
                       ++fails <= BUY_FAILURES_MAX) {
                fprintf(stderr, "sluice: %s; asking again\n", f->detail);
            } else {
                goto done;
            }
            fault_clear(f);
            /* A gateway that answers at once (no long poll) is not asked
             * more than once a second. */
            if ((int64_t)time(NULL) - asked < 1)
                cli_buy_sleep(1000);
            continue;
        }
        fails = 0;
        list = json_object_get(doc, "payments");
        n = json_array_size(list);
        if (!json_is_array(list) || n == 0) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the gateway's answer about %s lists no payment",
                      hash);
            goto done;
        }
        done_all = 1;
        for (i = 0; i < n; i++) {
            r = cli_buy_payment(json_array_get(list, i), i, n,
                                last[i < 8 ? i : 7], sizeof last[0], f);
            if (r < 0)
                goto done;
            if (r == 0)
                done_all = 0;
        }
        if (done_all)
            break;
        if ((int64_t)time(NULL) - asked < 1)
            cli_buy_sleep(1000);
    }
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

struct cli_buy_opts {
    const char *dataset, *worker_text, *amount_text, *ref_text;
    struct cli_chain_opts chain;
    int no_wait;
    /* Filled by the check. */
    uint8_t id[32], wei[32], ref[32];
    struct ethaddr worker;
};

static int cli_buy_check(void *opts, struct fault *f)
{
    struct cli_buy_opts *o = opts;

    if (hex_decode_0x(o->id, sizeof o->id, o->dataset, strlen(o->dataset),
                      "ID", f) < 0 ||
        ethaddr_parse(&o->worker, o->worker_text, strlen(o->worker_text),
                      "--worker", f) < 0)
        return -1;
    if (ethaddr_is_zero(&o->worker))
        return fault_set(f, FAULT_INVALID, "--worker",
                         "--worker cannot be the zero address");
    if (ether_parse(o->wei, o->amount_text, "--amount", f) < 0)
        return -1;
    if (o->ref_text != NULL &&
        hex_decode_0x(o->ref, sizeof o->ref, o->ref_text,
                      strlen(o->ref_text), "--ref", f) < 0)
        return -1;
    return 0;
}

static int cli_buy_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_buy_opts *o = opts;
    uint8_t data[ABI_PURCHASE_CALLDATA_LEN], hash[32];
    char eth[ETHER_WEI_TEXT_SIZE], wei_text[ETHER_WEI_TEXT_SIZE];
    char owner_text[ETHADDR_TEXT_SIZE], worker_out[ETHADDR_TEXT_SIZE];
    char contract_text[ETHADDR_TEXT_SIZE], hash_text[67];
    struct ethjson_receipt rc;
    struct ethaddr owner;
    struct cli_chain chain;
    struct abi_market abi;
    int rv = -1;

    memset(&chain, 0, sizeof chain);
    memset(&rc, 0, sizeof rc);
    if (cli_buy_owner(&ctx->api, &owner, o->dataset, f) < 0 ||
        cli_chain_open(&chain, &o->chain, &ctx->api, f) < 0 ||
        cli_market_abi(&abi, f) < 0)
        goto done;
    abi_encode_purchase(data, &abi, o->id, &owner, &o->worker, o->ref);
    ethaddr_to_text(owner_text, &owner);
    ethaddr_to_text(worker_out, &o->worker);
    ethaddr_to_text(contract_text, &chain.contract);
    if (ether_eth_text(eth, sizeof eth, o->wei) < 0 ||
        ether_wei_text(wei_text, sizeof wei_text, o->wei) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot write the amount");
        goto done;
    }
    /* Said once the node took the transaction, so that a refusal is the
     * one line on stderr. */
    if (cli_chain_send(&chain, hash, &ctx->key, o->wei, data, sizeof data,
                       f) < 0)
        goto done;
    fprintf(stderr,
            "paying %s ETH (%s wei) to %s on chain %llu for worker %s's "
            "access to %s of owner %s\n",
            eth, wei_text, contract_text, (unsigned long long)chain.chain_id,
            worker_out, o->dataset, owner_text);
    if (cli_chain_wait_mined(&chain, &rc, hash, f) < 0)
        goto done;
    printf("mined in block %llu\n", (unsigned long long)rc.block_number);
    fflush(stdout);
    if (!o->no_wait) {
        if (hex_encode_0x(hash_text, sizeof hash_text, hash, 32) < 0 ||
            cli_buy_follow(&ctx->api, hash_text, f) < 0)
            goto done;
    }
    rv = 0;
done:
    ethjson_receipt_clear(&rc);
    cli_chain_close(&chain);
    return rv;
}

const struct cli_command cli_cmd_buy = {
    .name = "buy",
    .summary = "pay the market contract from the key for the worker's "
               "access to the data-set (ETH with up to 18 decimals), wait "
               "until it is mined and until the gateway credits it "
               "(--no-wait: only until mined)",
    .args = (const struct cli_arg[]){
        {.name = "DATASET", .type = CLI_ARG_ID,
         .help = "the published data-set's id",
         .slot = offsetof(struct cli_buy_opts, dataset)},
        {.name = NULL},
    },
    .options = (const struct cli_option[]){
        {.name = "worker", .type = CLI_OPT_STRING, .value = "ADDR",
         .help = "the address that will send the queries",
         .slot = offsetof(struct cli_buy_opts, worker_text),
         .missing = "--worker is required: the address that will send the "
                    "queries"},
        {.name = "amount", .type = CLI_OPT_STRING, .value = "ETH",
         .help = "what to pay, in ETH (e.g. 0.05; exact, up to 18 decimals)",
         .slot = offsetof(struct cli_buy_opts, amount_text),
         .missing = "--amount is required (in ETH, e.g. 0.05)"},
        {.name = "ref", .type = CLI_OPT_STRING, .value = "0x<32 bytes>",
         .help = "a reference of yours, kept in the Purchased log (default: "
                 "zero)",
         .slot = offsetof(struct cli_buy_opts, ref_text)},
        CLI_CHAIN_OPTIONS(struct cli_buy_opts, chain),
        {.name = "no-wait", .type = CLI_OPT_FLAG,
         .help = "stop once the transaction is mined, without waiting for "
                 "the gateway's credit",
         .slot = offsetof(struct cli_buy_opts, no_wait)},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_buy_opts),
    .flags = CLI_KEY | CLI_API,
    .check = cli_buy_check,
    .run = cli_buy_run,
};
