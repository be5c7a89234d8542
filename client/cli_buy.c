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
#include "lib/u256.h"

#define BUY_WAIT_S 30        /* ?wait= of each long poll */
#define BUY_UNKNOWN_MAX_S 300 /* how long the gateway may not know the tx */
#define BUY_FAILURES_MAX 5

static void cli_buy_sleep(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Read the plan's numbers from a data-set's price (JSON as the gateway
 * shows it: amounts are decimal strings). */
static int cli_buy_read_plan(struct cli_buy_plan *p, const json_t *price,
                             const char *id, struct fault *f)
{
    const char *kind = json_string_value(json_object_get(price, "kind"));
    const char *unit = json_string_value(json_object_get(price, "unit_wei"));
    const char *min = json_string_value(json_object_get(price,
                                                        "min_purchase"));
    const char *pass = json_string_value(json_object_get(price, "price"));

    memset(p, 0, sizeof *p);
    if (kind == NULL || unit == NULL ||
        (strcmp(kind, "metered") != 0 && strcmp(kind, "pass") != 0))
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the gateway's record of %s has no price plan it "
                         "could credit a payment by", id);
    p->pass = strcmp(kind, "pass") == 0;
    if (u256_parse_decimal(&p->unit_wei, unit, strlen(unit), NULL, NULL) <
            0 ||
        u256_is_zero(&p->unit_wei) ||
        (min != NULL &&
         u256_parse_decimal(&p->min_units, min, strlen(min), NULL, NULL) <
             0) ||
        (pass != NULL &&
         u256_parse_decimal(&p->pass_units, pass, strlen(pass), NULL,
                            NULL) < 0))
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the gateway's price plan of %s is malformed", id);
    return 0;
}

int cli_buy_record(struct api *a, struct ethaddr *owner,
                   struct cli_buy_plan *plan, const char *id,
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
    if (ethaddr_parse(owner, text, strlen(text), "owner", f) < 0 ||
        cli_buy_read_plan(plan, json_object_get(doc, "price"), id, f) < 0)
        goto done;
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

/* Write units (a u256) of wei each as ETH into out. */
static void cli_buy_units_eth(char *out, size_t cap, const struct u256 *units,
                              const struct u256 *unit_wei)
{
    struct u256 wei;
    uint8_t be[32];
    uint64_t m;

    /* units * unit_wei, both below 2^128 in practice; say "?" otherwise */
    if (u256_bits(unit_wei) > 64 ||
        u256_to_u64(&m, unit_wei) < 0 || u256_mul_u64(&wei, units, m) < 0) {
        snprintf(out, cap, "?");
        return;
    }
    u256_to_be32(be, &wei);
    if (ether_eth_text(out, cap, be) < 0)
        snprintf(out, cap, "?");
}

int cli_buy_check_amount(char *note, size_t cap,
                         const struct cli_buy_plan *plan,
                         const uint8_t wei[32], const char *field,
                         int force, struct fault *f)
{
    struct u256 amount, units, one = {{1, 0, 0, 0}};
    char eth[ETHER_WEI_TEXT_SIZE], unit_eth[ETHER_WEI_TEXT_SIZE];
    char need_eth[ETHER_WEI_TEXT_SIZE], ut[U256_DECIMAL_SIZE];
    char need[U256_DECIMAL_SIZE], uw[U256_DECIMAL_SIZE];
    const struct u256 *floor_units = NULL;
    const char *why = NULL;

    u256_from_be32(&amount, wei);
    if (cap > 0)
        note[0] = '\0';
    if (u256_divmod(&units, NULL, &amount, &plan->unit_wei) < 0)
        return fault_set(f, FAULT_CORRUPT, NULL, "the plan's unit_wei is 0");
    if (ether_eth_text(eth, sizeof eth, wei) < 0)
        snprintf(eth, sizeof eth, "?");
    cli_buy_units_eth(unit_eth, sizeof unit_eth, &one, &plan->unit_wei);
    u256_to_decimal(ut, &units);
    u256_to_decimal(uw, &plan->unit_wei);
    snprintf(note, cap, "it will credit %s ledger units (1 unit = %s wei = "
                        "%s ETH)",
             ut, uw, unit_eth);
    if (u256_is_zero(&units)) {
        why = "below one ledger unit of this data-set";
        floor_units = &one;
    } else if (!plan->pass && u256_cmp(&units, &plan->min_units) < 0) {
        why = "below the plan's min_purchase";
        floor_units = &plan->min_units;
    } else if (plan->pass && u256_cmp(&units, &plan->pass_units) < 0) {
        why = "below the price of one pass (it would add no pass time)";
        floor_units = &plan->pass_units;
    }
    if (why == NULL)
        return 0;
    u256_to_decimal(need, floor_units);
    cli_buy_units_eth(need_eth, sizeof need_eth, floor_units,
                      &plan->unit_wei);
    if (force) {
        fprintf(stderr, "sluice: %s %s ETH is %s: it would credit %s units; "
                        "paying it anyway (--force)\n",
                field, eth, why, ut);
        return 0;
    }
    if (cap > 0)
        note[0] = '\0';
    return fault_set(f, FAULT_INVALID, field,
                     "%s %s ETH is %s: it would credit %s units; pay at least "
                     "%s ETH (%s units), or give --force",
                     field, eth, why, ut, need_eth, need);
}

/* One payment entry: print its progress when it changed; return 1 when
 * credited, 0 while on its way, -1 with f set when it will never be. */
static int cli_buy_payment(const json_t *p, size_t i, size_t n, char *last,
                           size_t last_cap, FILE *out, struct fault *f)
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
        fprintf(out, "%scredited %s units\n", who,
                units != NULL ? units : "?");
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
int cli_buy_follow(struct api *a, const char *hash, FILE *out,
                   struct fault *f)
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
                                last[i < 8 ? i : 7], sizeof last[0], out, f);
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

int cli_buy_pay(struct cli_ctx *ctx, const struct cli_chain_opts *chain_opts,
                const char *dataset, const struct ethaddr *owner,
                const struct ethaddr *worker, const uint8_t ref[32],
                const uint8_t wei[32], const struct ethaddr *contract,
                const char *note, int wait, FILE *out, struct fault *f)
{
    uint8_t data[ABI_PURCHASE_CALLDATA_LEN], hash[32], id[32];
    char eth[ETHER_WEI_TEXT_SIZE], wei_text[ETHER_WEI_TEXT_SIZE];
    char owner_text[ETHADDR_TEXT_SIZE], worker_out[ETHADDR_TEXT_SIZE];
    char contract_text[ETHADDR_TEXT_SIZE], hash_text[67];
    struct ethjson_receipt rc;
    struct cli_chain chain;
    struct abi_market abi;
    int rv = -1;

    memset(&chain, 0, sizeof chain);
    memset(&rc, 0, sizeof rc);
    if (hex_decode_0x(id, sizeof id, dataset, strlen(dataset), "ID", f) < 0 ||
        cli_chain_open(&chain, chain_opts, &ctx->api, f) < 0 ||
        cli_market_abi(&abi, f) < 0)
        goto done;
    chain.out = out;
    ethaddr_to_text(contract_text, &chain.contract);
    if (contract != NULL && !ethaddr_equal(contract, &chain.contract)) {
        ethaddr_to_text(owner_text, contract);
        fault_set(f, FAULT_CONFLICT, NULL,
                  "the payment asks for contract %s but the gateway follows "
                  "%s: nothing was sent", owner_text, contract_text);
        goto done;
    }
    abi_encode_purchase(data, &abi, id, owner, worker, ref);
    ethaddr_to_text(owner_text, owner);
    ethaddr_to_text(worker_out, worker);
    if (ether_eth_text(eth, sizeof eth, wei) < 0 ||
        ether_wei_text(wei_text, sizeof wei_text, wei) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot write the amount");
        goto done;
    }
    /* Said once the node took the transaction, so that a refusal is the
     * one line on stderr. */
    if (cli_chain_send(&chain, hash, &ctx->key, wei, data, sizeof data, f) <
        0)
        goto done;
    fprintf(stderr,
            "paying %s ETH (%s wei) to %s on chain %llu for worker %s's "
            "access to %s of owner %s%s%s\n",
            eth, wei_text, contract_text, (unsigned long long)chain.chain_id,
            worker_out, dataset, owner_text, note != NULL ? "; " : "",
            note != NULL ? note : "");
    if (cli_chain_wait_mined(&chain, &rc, hash, f) < 0)
        goto done;
    fprintf(out, "mined in block %llu\n",
            (unsigned long long)rc.block_number);
    fflush(out);
    if (wait) {
        if (hex_encode_0x(hash_text, sizeof hash_text, hash, 32) < 0 ||
            cli_buy_follow(&ctx->api, hash_text, out, f) < 0)
            goto done;
    }
    rv = 0;
done:
    ethjson_receipt_clear(&rc);
    cli_chain_close(&chain);
    return rv;
}

struct cli_buy_opts {
    const char *dataset, *worker_text, *amount_text, *ref_text;
    struct cli_chain_opts chain;
    int no_wait, force;
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
    struct cli_buy_plan plan;
    struct ethaddr owner;
    char note[CLI_BUY_NOTE_MAX];

    /* The owner and the plan come from the gateway: the amount is checked
     * against the plan before anything is signed. */
    if (cli_buy_record(&ctx->api, &owner, &plan, o->dataset, f) < 0 ||
        cli_buy_check_amount(note, sizeof note, &plan, o->wei, "--amount",
                             o->force, f) < 0)
        return -1;
    return cli_buy_pay(ctx, &o->chain, o->dataset, &owner, &o->worker,
                       o->ref, o->wei, NULL, note, !o->no_wait, stdout, f);
}

const struct cli_command cli_cmd_buy = {
    .name = "buy",
    .summary = "pay the market contract from the key for the worker's "
               "access to the data-set (ETH with up to 18 decimals), wait "
               "until it is mined and until the gateway credits it "
               "(--no-wait: only until mined); says first what the amount "
               "will credit and refuses less than one unit or the plan's "
               "minimum unless --force",
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
        {.name = "force", .type = CLI_OPT_FLAG,
         .help = "pay even an amount that credits less than one ledger "
                 "unit, the plan's min_purchase or one pass",
         .slot = offsetof(struct cli_buy_opts, force)},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_buy_opts),
    .flags = CLI_KEY | CLI_API,
    .check = cli_buy_check,
    .run = cli_buy_run,
};
