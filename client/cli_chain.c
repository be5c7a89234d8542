/*
 * What `sluice buy` and `sluice withdraw` share: finding the node and the
 * contract (and checking that they are on the chain the gateway follows),
 * sending a transaction signed with the CLI's own key, and waiting for it
 * to be mined.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/cli.h"
#include "client/tx.h"
#include "lib/hex.h"

#define CLI_CHAIN_POLL_MS 500
#define CLI_CHAIN_FAILURES_MAX 5

static void cli_chain_sleep(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Ask the gateway which chain and contract it follows (DESIGN.md 3.9,
 * GET /v1/chain). */
static int cli_chain_from_gateway(struct api *a, uint64_t *chain_id,
                                  struct ethaddr *contract, struct fault *f)
{
    struct api_call call;
    const char *state, *text;
    json_t *doc = NULL, *id;
    int status, rv = -1;

    memset(&call, 0, sizeof call);
    call.method = "GET";
    call.path = "/v1/chain";
    if (api_request(a, &doc, &status, &call, f) < 0) {
        if (status == 404)
            fault_set(f, FAULT_NOT_FOUND, "--contract",
                      "the gateway does not say which contract it follows "
                      "(GET /v1/chain answered 404); give --contract");
        goto done;
    }
    state = json_string_value(json_object_get(doc, "state"));
    text = json_string_value(json_object_get(doc, "contract"));
    id = json_object_get(doc, "chain_id");
    if (state != NULL && strcmp(state, "disabled") == 0) {
        fault_set(f, FAULT_CONFLICT, "--contract",
                  "the gateway follows no chain (state disabled): it would "
                  "never credit a payment");
        goto done;
    }
    if (text == NULL || !json_is_integer(id) || json_integer_value(id) < 1) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the gateway's GET /v1/chain holds no contract or "
                  "chain_id");
        goto done;
    }
    if (ethaddr_parse(contract, text, strlen(text), "contract", f) < 0)
        goto done;
    *chain_id = (uint64_t)json_integer_value(id);
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

int cli_market_abi(struct abi_market *out, struct fault *f)
{
    size_t len = 0;
    const char *json = abi_market_json(&len);

    return abi_market_load(out, json, len, f);
}

int cli_chain_open(struct cli_chain *c, const struct cli_chain_opts *o,
                   struct api *a, struct fault *f)
{
    const char *url = o->rpc_url, *env;
    uint64_t want = 0, gw_chain = 0;
    struct ethaddr gw_contract;
    size_t code = 0;
    char text[ETHADDR_TEXT_SIZE];
    int from_gateway = 0;

    memset(c, 0, sizeof *c);
    if (url == NULL) {
        env = getenv(CLI_RPC_URL_ENV);
        url = env != NULL && env[0] != '\0' ? env : CLI_RPC_URL_DEFAULT;
    }
    if (o->chain_id != NULL &&
        cli_parse_uint(&want, o->chain_id, 1, UINT64_MAX, "--chain-id", f) <
            0)
        return -1;
    if (o->contract != NULL) {
        if (ethaddr_parse(&c->contract, o->contract, strlen(o->contract),
                          "--contract", f) < 0)
            return -1;
    } else {
        if (cli_chain_from_gateway(a, &gw_chain, &gw_contract, f) < 0)
            return -1;
        c->contract = gw_contract;
        from_gateway = 1;
    }
    if (ethaddr_is_zero(&c->contract))
        return fault_set(f, FAULT_INVALID, "--contract",
                         "the contract cannot be the zero address");
    if (ethclient_open(&c->rpc, url, "--rpc-url", f) < 0)
        return -1;
    if (ethclient_chain_id(c->rpc, &c->chain_id, f) < 0)
        goto fail;
    if (o->chain_id != NULL && want != c->chain_id) {
        fault_set(f, FAULT_INVALID, "--chain-id",
                  "the Ethereum node at %s is on chain %llu, not %llu "
                  "(--chain-id)", ethclient_host(c->rpc),
                  (unsigned long long)c->chain_id, (unsigned long long)want);
        goto fail;
    }
    if (from_gateway && gw_chain != c->chain_id) {
        fault_set(f, FAULT_INVALID, "--rpc-url",
                  "the Ethereum node at %s is on chain %llu but the "
                  "gateway follows chain %llu", ethclient_host(c->rpc),
                  (unsigned long long)c->chain_id,
                  (unsigned long long)gw_chain);
        goto fail;
    }
    /* Value sent to an address without code would simply stay there:
     * refuse before anything is signed. */
    if (ethclient_code_size(c->rpc, &code, &c->contract, f) < 0)
        goto fail;
    if (code == 0) {
        ethaddr_to_text(text, &c->contract);
        fault_set(f, FAULT_INVALID, "--contract",
                  "%s holds no contract on chain %llu", text,
                  (unsigned long long)c->chain_id);
        goto fail;
    }
    return 0;
fail:
    cli_chain_close(c);
    return -1;
}

void cli_chain_close(struct cli_chain *c)
{
    ethclient_close(c->rpc);
    c->rpc = NULL;
}

int cli_chain_send(struct cli_chain *c, uint8_t hash[32],
                   const struct ethkey *key, const uint8_t value[32],
                   const uint8_t *data, size_t len, struct fault *f)
{
    struct ethclient_msg m;
    struct tx_signed s;
    struct tx t;
    uint64_t gas, base, tip;
    char text[67];
    int rv = -1;

    memset(hash, 0, 32);
    memset(&t, 0, sizeof t);
    m = (struct ethclient_msg){&key->addr, &c->contract, value, data, len};
    if (ethclient_nonce(c->rpc, &t.nonce, &key->addr, f) < 0 ||
        ethclient_estimate_gas(c->rpc, &gas, &m, f) < 0 ||
        ethclient_fees(c->rpc, &base, &tip, f) < 0)
        goto done;
    /* A fifth more gas than estimated covers state that changes between
     * the estimate and the block; unused gas is not paid for. Twice the
     * next base fee survives six full blocks of base-fee rises. */
    if (gas > UINT64_MAX / 2 || base > (UINT64_MAX - tip) / 2) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the Ethereum node suggests an impossible gas or fee");
        goto done;
    }
    t.chain_id = c->chain_id;
    t.gas_limit = gas + gas / 5;
    t.max_priority_fee = tip;
    t.max_fee = 2 * base + tip;
    t.to = c->contract;
    memcpy(t.value, value, 32);
    t.data = data;
    t.data_len = len;
    if (tx_sign(&s, &t, key, f) < 0 ||
        ethclient_send_raw(c->rpc, s.raw, s.raw_len, s.hash, f) < 0)
        goto done;
    memcpy(hash, s.hash, 32);
    if (hex_encode_0x(text, sizeof text, hash, 32) == 0)
        fprintf(c->out != NULL ? c->out : stdout, "%s\n", text);
    fflush(c->out != NULL ? c->out : stdout);
    rv = 0;
done:
    return rv;
}

int cli_chain_wait_mined(struct cli_chain *c, struct ethjson_receipt *out,
                         const uint8_t hash[32], struct fault *f)
{
    int64_t start = (int64_t)time(NULL), said = 0;
    char text[67];
    int found = 0, fails = 0;

    memset(out, 0, sizeof *out);
    if (hex_encode_0x(text, sizeof text, hash, 32) < 0)
        text[0] = '\0';
    for (;;) {
        if (ethclient_receipt(c->rpc, out, &found, hash, f) < 0) {
            if (f->kind != FAULT_UNAVAILABLE ||
                ++fails > CLI_CHAIN_FAILURES_MAX)
                return -1;
            fprintf(stderr, "sluice: %s; asking again\n", f->detail);
            fault_clear(f);
        } else if (found) {
            break;
        } else {
            fails = 0;
        }
        if ((int64_t)time(NULL) - start >= CLI_MINE_TIMEOUT_S)
            return fault_set(f, FAULT_UNAVAILABLE, NULL,
                             "%s was not mined within %d s; it may still "
                             "be: look it up later", text,
                             CLI_MINE_TIMEOUT_S);
        if ((int64_t)time(NULL) - said >= 10) {
            fprintf(stderr, "waiting for %s to be mined\n", text);
            said = (int64_t)time(NULL);
        }
        cli_chain_sleep(CLI_CHAIN_POLL_MS);
    }
    if (out->status != 1) {
        fault_set(f, FAULT_CONFLICT, NULL,
                  "%s reverted in block %llu: nothing was paid (only the "
                  "gas)", text, (unsigned long long)out->block_number);
        ethjson_receipt_clear(out);
        return -1;
    }
    return 0;
}
