#include "bench/bench_chain.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_http.h"
#include "lib/hex.h"
#include "lib/u256.h"

int bench_repo_file(char *out, size_t cap, const char *argv0, const char *rel,
                    struct fault *f)
{
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

    if (slash != NULL &&
        bench_pathf(out, cap, f, "%.*s/../%s", (int)(slash - argv0), argv0,
                    rel) == 0 &&
        access(out, R_OK) == 0)
        return 0;
    if (bench_pathf(out, cap, f, "%s", rel) == 0 && access(out, R_OK) == 0)
        return 0;
    out[0] = '\0';
    return fault_set(f, FAULT_INVALID, NULL, "cannot find %s in this "
                     "checkout (npm ci installs node_modules)", rel);
}

static void bench_chain_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* ---- anvil ---------------------------------------------------------- */

int bench_anvil_start(struct bench_anvil *a, const char *path,
                      const char *argv0, const char *tmp, int cpu,
                      const char *const *extra, struct fault *f)
{
    char exe[BENCH_PATH_MAX], port_text[16];
    const char *argv[32];
    size_t n = 0, i;

    memset(a, 0, sizeof *a);
    if (path == NULL && getenv("SLUICE_ANVIL") != NULL &&
        getenv("SLUICE_ANVIL")[0] != '\0')
        path = getenv("SLUICE_ANVIL");
    if (path != NULL) {
        if (bench_pathf(exe, sizeof exe, f, "%s", path) < 0)
            return -1;
    } else if (bench_repo_file(exe, sizeof exe, argv0,
                               "node_modules/.bin/anvil", f) < 0) {
        return -1;
    }
    if (bench_port_free(&a->port, f) < 0 ||
        bench_pathf(a->log_path, sizeof a->log_path, f, "%s/anvil.log",
                    tmp) < 0)
        return -1;
    snprintf(port_text, sizeof port_text, "%u", (unsigned)a->port);
    snprintf(a->url, sizeof a->url, "http://127.0.0.1:%u",
             (unsigned)a->port);
    argv[n++] = exe;
    argv[n++] = "--host";
    argv[n++] = "127.0.0.1";
    argv[n++] = "--port";
    argv[n++] = port_text;
    for (i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    if (bench_proc_spawn(&a->pid, argv, cpu, a->log_path, a->log_path, f) <
        0)
        return -1;
    if (bench_port_wait(a->port, a->pid, 60, f) < 0) {
        bench_proc_stop(a->pid, 5);
        memset(a, 0, sizeof *a);
        return -1;
    }
    return 0;
}

void bench_anvil_stop(struct bench_anvil *a)
{
    if (a->pid != 0)
        bench_proc_stop(a->pid, 5);
    a->pid = 0;
}

/* ---- the contract and transactions ---------------------------------- */

/* Call method with params (stolen) and return its result as a new
 * reference, or NULL with f set. */
static json_t *bench_chain_call(struct bench_chain *c, const char *method,
                                json_t *params, struct fault *f)
{
    json_t *res = NULL;

    if (params == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    if (ethclient_call(c->eth, &res, method, params, f) < 0)
        res = NULL;
    json_decref(params);
    return res;
}

/* The decimal text value as a JSON-RPC QUANTITY ("0x" + hex, no leading
 * zero) into out. */
static int bench_chain_quantity(char out[67], const char *value,
                                struct fault *f)
{
    static const char digits[] = "0123456789abcdef";
    uint8_t be[32];
    struct u256 v;
    size_t i, n = 2;
    int started = 0;

    if (u256_parse_decimal(&v, value, strlen(value), "value_wei", f) < 0)
        return -1;
    u256_to_be32(be, &v);
    memcpy(out, "0x", 2);
    for (i = 0; i < 64; i++) {
        unsigned d = (be[i / 2] >> (i % 2 ? 0 : 4)) & 0xf;
        if (d != 0 || started || i == 63) {
            out[n++] = digits[d];
            started = 1;
        }
    }
    out[n] = '\0';
    return 0;
}

int bench_chain_send(struct bench_chain *c, uint8_t tx[32], uint64_t *block,
                     const char *from, const char *to, const char *data_hex,
                     const char *value_wei, struct fault *f)
{
    struct ethjson_receipt r;
    char value[67];
    json_t *obj, *res;
    double end;
    int found = 0;

    memset(tx, 0, 32);
    *block = 0;
    if (bench_chain_quantity(value, value_wei, f) < 0)
        return -1;
    obj = json_pack("{s:s, s:s, s:s, s:s}", "from", from, "data", data_hex,
                    "value", value, "gas", "0x989680");
    if (obj != NULL && to != NULL &&
        json_object_set_new(obj, "to", json_string(to)) < 0) {
        json_decref(obj);
        obj = NULL;
    }
    res = bench_chain_call(c, "eth_sendTransaction",
                           obj ? json_pack("[o]", obj) : NULL, f);
    if (res == NULL)
        return -1;
    if (!json_is_string(res) ||
        hex_decode_0x(tx, 32, json_string_value(res),
                      strlen(json_string_value(res)), "tx", f) < 0) {
        json_decref(res);
        return fault_set(f, FAULT_CORRUPT, NULL, "eth_sendTransaction did "
                         "not answer a hash");
    }
    json_decref(res);
    end = bench_now() + 60;
    while (!found) {
        if (ethclient_receipt(c->eth, &r, &found, tx, f) < 0)
            return -1;
        if (!found) {
            if (bench_interrupted() || bench_now() > end)
                return fault_set(f, FAULT_IO, NULL, "the transaction was "
                                 "not mined within 60 s");
            bench_chain_sleep_ms(5);
        }
    }
    *block = r.block_number;
    found = r.status;
    ethjson_receipt_clear(&r);
    if (found != 1)
        return fault_set(f, FAULT_CONFLICT, NULL, "the transaction "
                         "reverted");
    return 0;
}

/* Deploy Market.bin with constructor(uint16 feeBps = 0, address
 * feeRecipient = BENCH_ANVIL_FEE_TO): its code, then two words. */
static int bench_chain_deploy(struct bench_chain *c, const char *bin_path,
                              struct fault *f)
{
    struct ethaddr fee_to;
    uint8_t tx[32];
    char *code = NULL, *p;
    json_t *res = NULL;
    uint64_t block;
    size_t len;
    long size;
    FILE *fp;
    int rv = -1;

    fp = fopen(bin_path, "r");
    if (fp == NULL)
        return fault_set(f, FAULT_IO, NULL, "cannot open %s", bin_path);
    fseek(fp, 0, SEEK_END);
    size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    code = size > 0 ? malloc((size_t)size + 2 + 128 + 1) : NULL;
    if (code == NULL) {
        fclose(fp);
        return fault_set(f, FAULT_INTERNAL, NULL, "cannot read %s",
                         bin_path);
    }
    memcpy(code, "0x", 2);
    len = fread(code + 2, 1, (size_t)size, fp);
    fclose(fp);
    code[2 + len] = '\0';
    while (len > 0 && (code[1 + len] == '\n' || code[1 + len] == ' '))
        code[1 + len--] = '\0';
    if (len > 2 && code[2] == '0' && code[3] == 'x') {
        memmove(code + 2, code + 4, len - 1);
        len -= 2;
    }
    if (ethaddr_parse(&fee_to, BENCH_ANVIL_FEE_TO,
                      strlen(BENCH_ANVIL_FEE_TO), "fee_to", f) < 0)
        goto done;
    /* feeBps = 0: 64 zeros; then the address left-padded to 32 bytes. */
    p = code + 2 + len;
    memset(p, '0', 64 + 24);
    if (hex_encode(p + 64 + 24, 41, fee_to.bytes, ETHADDR_LEN) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "hex");
        goto done;
    }
    if (bench_chain_send(c, tx, &block, BENCH_ANVIL_DEPLOYER, NULL, code,
                         "0", f) < 0)
        goto done;
    {
        char txt[67];
        json_t *addr;
        if (hex_encode_0x(txt, sizeof txt, tx, 32) < 0)
            goto done;
        res = bench_chain_call(c, "eth_getTransactionReceipt",
                               json_pack("[s]", txt), f);
        addr = res ? json_object_get(res, "contractAddress") : NULL;
        if (!json_is_string(addr) ||
            ethaddr_parse(&c->market, json_string_value(addr),
                          strlen(json_string_value(addr)), "contract",
                          f) < 0) {
            fault_set(f, FAULT_CORRUPT, NULL, "deploying the market "
                      "contract made no contract");
            goto done;
        }
    }
    ethaddr_to_text(c->market_text, &c->market);
    rv = 0;
done:
    json_decref(res);
    free(code);
    return rv;
}

int bench_chain_open(struct bench_chain *c, const char *url,
                     const char *bin_path, struct fault *f)
{
    const char *json;
    size_t len;

    memset(c, 0, sizeof *c);
    json = abi_market_json(&len);
    if (abi_market_load(&c->abi, json, len, f) < 0 ||
        ethclient_open(&c->eth, url, "rpc_url", f) < 0 ||
        bench_chain_deploy(c, bin_path, f) < 0) {
        bench_chain_close(c);
        return -1;
    }
    return 0;
}

void bench_chain_close(struct bench_chain *c)
{
    ethclient_close(c->eth);
    memset(c, 0, sizeof *c);
}

int bench_chain_purchase(struct bench_chain *c, uint8_t tx[32],
                         uint64_t *block, const uint8_t dataset_id[32],
                         const struct ethaddr *owner,
                         const struct ethaddr *worker, const char *value_wei,
                         struct fault *f)
{
    static const uint8_t no_ref[32];
    uint8_t data[ABI_PURCHASE_CALLDATA_LEN];
    char data_hex[2 * ABI_PURCHASE_CALLDATA_LEN + 3];

    abi_encode_purchase(data, &c->abi, dataset_id, owner, worker, no_ref);
    if (hex_encode_0x(data_hex, sizeof data_hex, data, sizeof data) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "hex");
    return bench_chain_send(c, tx, block, BENCH_ANVIL_PAYER, c->market_text,
                            data_hex, value_wei, f);
}

int bench_chain_mine(struct bench_chain *c, unsigned n, struct fault *f)
{
    char count[24];
    json_t *res;

    snprintf(count, sizeof count, "0x%x", n);
    res = bench_chain_call(c, "anvil_mine", json_pack("[s]", count), f);
    if (res == NULL)
        return -1;
    json_decref(res);
    return 0;
}

int bench_chain_block(struct bench_chain *c, uint64_t *out, struct fault *f)
{
    json_t *res = bench_chain_call(c, "eth_blockNumber", json_array(), f);
    int rv;

    *out = 0;
    if (res == NULL)
        return -1;
    rv = ethjson_quantity(out, res, "eth_blockNumber", f);
    json_decref(res);
    return rv;
}

int bench_chain_wait_credited(struct bench_chain *c, uint16_t port,
                              const uint8_t tx[32], unsigned mine_ms,
                              double timeout_s, struct fault *f)
{
    char target[96], state[32] = "none";
    double end = bench_now() + timeout_s, next_mine = bench_now();
    struct bench_http_reply r;

    snprintf(target, sizeof target, "/v1/payments/");
    if (hex_encode_0x(target + strlen(target), sizeof target - strlen(target),
                      tx, 32) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "hex");
    for (;;) {
        json_t *doc = NULL, *st;

        if (mine_ms > 0 && bench_now() >= next_mine) {
            if (bench_chain_mine(c, 1, f) < 0)
                return -1;
            next_mine = bench_now() + mine_ms / 1000.0;
        }
        if (bench_http_do(&r, port, "GET", target, NULL, NULL, 0, -1, 0, 10,
                          f) < 0)
            return -1;
        if (r.status == 200)
            doc = json_loadb(r.body, r.body_len, 0, NULL);
        st = json_object_get(json_array_get(json_object_get(doc, "payments"),
                                            0),
                             "state");
        if (json_is_string(st))
            snprintf(state, sizeof state, "%s", json_string_value(st));
        json_decref(doc);
        bench_http_reply_clear(&r);
        if (strcmp(state, "credited") == 0)
            return 0;
        if (bench_interrupted())
            return fault_set(f, FAULT_IO, NULL, "interrupted");
        if (bench_now() > end)
            return fault_set(f, FAULT_IO, NULL, "the payment %s is %s, not "
                             "credited, after %.0f s", target + 13, state,
                             timeout_s);
        bench_chain_sleep_ms(20);
    }
}

/* ---- a gateway following the chain ---------------------------------- */

int bench_paid_start(struct bench_paid *p, const char *sluiced_exe,
                     const char *anvil, const char *argv0,
                     const char *data_dir, const char *tmp, int cpu,
                     uint64_t confirmations, uint64_t poll_ms,
                     const char *const *extra, struct fault *f)
{
    char bin[BENCH_PATH_MAX], confs[24], poll[24];
    const char *flags[8 + 16 + 1] = {"--rpc-url", NULL, "--contract", NULL,
                                     "--confirmations", confs, "--poll-ms",
                                     poll, NULL};
    size_t n = 8;

    memset(p, 0, sizeof *p);
    snprintf(confs, sizeof confs, "%llu", (unsigned long long)confirmations);
    snprintf(poll, sizeof poll, "%llu", (unsigned long long)poll_ms);
    while (extra != NULL && extra[n - 8] != NULL) {
        if (n == 8 + 16)
            return fault_set(f, FAULT_INTERNAL, NULL, "bench_paid_start: "
                             "more than 16 extra flags");
        flags[n] = extra[n - 8];
        n++;
    }
    flags[n] = NULL;
    if (bench_repo_file(bin, sizeof bin, argv0, "contracts-abi/Market.bin",
                        f) < 0 ||
        bench_anvil_start(&p->node, anvil, argv0, tmp, BENCH_CPU_ANY, NULL,
                          f) < 0 ||
        bench_chain_open(&p->chain, p->node.url, bin, f) < 0)
        goto fail;
    flags[1] = p->node.url;
    flags[3] = p->chain.market_text;
    if (bench_sluiced_start(&p->gw, sluiced_exe, data_dir, tmp, cpu, flags,
                            f) < 0)
        goto fail;
    return 0;
fail:
    bench_paid_stop(p);
    return -1;
}

int bench_paid_stop(struct bench_paid *p)
{
    int rv = bench_sluiced_stop(&p->gw);

    bench_chain_close(&p->chain);
    bench_anvil_stop(&p->node);
    return rv;
}
