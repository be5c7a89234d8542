#include "client/ethrpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"

#define ETHRPC_MSG_MAX 160 /* bytes of a node's error message we show */

/* client/http speaks of "the gateway", its usual peer; here the peer is
 * the Ethereum node, and a message that named the gateway would send the
 * user looking in the wrong place. */
static void ethrpc_reword(struct fault *f)
{
    static const char *const from[] = {"https:// gateways", "the gateway"};
    static const char *const to[] = {"https:// Ethereum nodes",
                                     "the Ethereum node"};
    char out[FAULT_DETAIL_MAX];
    const char *p;
    size_t n = 0, k, tl;

    if (f == NULL)
        return;
    for (p = f->detail; *p != '\0' && n + 1 < sizeof out;) {
        for (k = 0; k < 2; k++)
            if (strncmp(p, from[k], strlen(from[k])) == 0)
                break;
        if (k == 2) {
            out[n++] = *p++;
            continue;
        }
        tl = strlen(to[k]);
        if (n + tl >= sizeof out)
            break;
        memcpy(out + n, to[k], tl);
        n += tl;
        p += strlen(from[k]);
    }
    out[n] = '\0';
    memcpy(f->detail, out, n + 1);
}

int ethrpc_init(struct ethrpc *r, const char *url, const char *field,
                struct fault *f)
{
    struct http_url u;

    memset(r, 0, sizeof *r);
    if (http_url_parse(&u, url, field, f) < 0) {
        ethrpc_reword(f);
        return -1;
    }
    http_client_init(&r->http, &u);
    r->http.max_body = ETHRPC_BODY_MAX;
    r->next_id = 1;
    return 0;
}

void ethrpc_close(struct ethrpc *r)
{
    http_client_close(&r->http);
}

/* Copy the node's text into out[0..cap) with control bytes as spaces. */
static void ethrpc_clean(char *out, size_t cap, const char *text)
{
    size_t i, n = 0;

    for (i = 0; text[i] != '\0' && n + 1 < cap; i++) {
        unsigned char ch = (unsigned char)text[i];
        out[n++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    out[n] = '\0';
}

/* Turn a JSON-RPC error object into f. */
static int ethrpc_error(const char *method, const json_t *err,
                        struct fault *f)
{
    char msg[ETHRPC_MSG_MAX], data[96];
    const char *m = json_string_value(json_object_get(err, "message"));
    const json_t *d = json_object_get(err, "data");
    json_int_t code = json_integer_value(json_object_get(err, "code"));

    ethrpc_clean(msg, sizeof msg, m != NULL ? m : "(no message)");
    data[0] = '\0';
    /* Revert data (a custom error's selector and arguments) helps tell
     * why; anything else in data is the node's own business. */
    if (json_is_string(d) && strncmp(json_string_value(d), "0x", 2) == 0)
        ethrpc_clean(data, sizeof data, json_string_value(d));
    return fault_set(f, FAULT_CONFLICT, NULL,
                     "the Ethereum node refused %s: %s (code %lld)%s%s",
                     method, msg, (long long)code,
                     data[0] ? "; data " : "", data);
}

int ethrpc_call(struct ethrpc *r, json_t **result, const char *method,
                json_t *params, struct fault *f)
{
    static const struct http_header hdrs[] = {
        {"Content-Type", "application/json"},
    };
    struct http_response resp;
    json_t *req = NULL, *doc = NULL, *res, *err;
    json_error_t jerr;
    const char *target;
    uint64_t id = r->next_id++;
    char *body = NULL;
    int rv = -1;

    *result = NULL;
    memset(&resp, 0, sizeof resp);
    if (params == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id",
                    (json_int_t)id, "method", method, "params", params);
    params = NULL; /* json_pack's "o" took it, even on failure */
    if (req == NULL ||
        (body = json_dumps(req, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    target = r->http.url.prefix[0] != '\0' ? r->http.url.prefix : "/";
    if (http_client_request(&r->http, &resp, "POST", target, hdrs, 1,
                            (const uint8_t *)body, strlen(body), NULL, NULL,
                            f) < 0) {
        ethrpc_reword(f);
        goto done;
    }
    if (resp.status != 200) {
        fault_set(f, FAULT_UNAVAILABLE, NULL,
                  "the Ethereum node at %s answered HTTP %d to %s",
                  r->http.url.authority, resp.status, method);
        goto done;
    }
    doc = json_loadb((const char *)resp.body, resp.body_len,
                     JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL || !json_is_object(doc)) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the Ethereum node's answer to %s is not a JSON object",
                  method);
        goto done;
    }
    if (!json_is_string(json_object_get(doc, "jsonrpc")) ||
        strcmp(json_string_value(json_object_get(doc, "jsonrpc")), "2.0") !=
            0 ||
        !json_is_integer(json_object_get(doc, "id")) ||
        (uint64_t)json_integer_value(json_object_get(doc, "id")) != id) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the Ethereum node's answer to %s is not JSON-RPC 2.0 "
                  "with the id we sent", method);
        goto done;
    }
    res = json_object_get(doc, "result");
    err = json_object_get(doc, "error");
    if (err != NULL && res == NULL && json_is_object(err)) {
        ethrpc_error(method, err, f);
        goto done;
    }
    if (err != NULL || res == NULL) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the Ethereum node's answer to %s holds %s", method,
                  res == NULL ? "neither result nor error" : "both result "
                                                             "and error");
        goto done;
    }
    *result = json_incref(res);
    rv = 0;
done:
    http_response_clear(&resp);
    json_decref(params);
    json_decref(req);
    json_decref(doc);
    free(body);
    return rv;
}

static int ethrpc_is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
           (ch >= 'A' && ch <= 'F');
}

int ethrpc_parse_quantity(uint64_t *out, const json_t *v, const char *what,
                          struct fault *f)
{
    const char *s = json_string_value(v);
    size_t n, i;
    uint64_t x = 0;

    *out = 0;
    if (s == NULL || strncmp(s, "0x", 2) != 0)
        goto bad;
    n = strlen(s + 2);
    if (n == 0 || n > 16 || (n > 1 && s[2] == '0'))
        goto bad;
    for (i = 0; i < n; i++) {
        char ch = s[2 + i];
        if (!ethrpc_is_hex(ch))
            goto bad;
        x = (x << 4) | (uint64_t)(ch <= '9'   ? ch - '0'
                                  : ch >= 'a' ? ch - 'a' + 10
                                              : ch - 'A' + 10);
    }
    *out = x;
    return 0;
bad:
    return fault_set(f, FAULT_CORRUPT, what,
                     "the Ethereum node's %s is not a 64-bit quantity "
                     "(0x and 1 to 16 hex digits without leading zeros)",
                     what);
}

int ethrpc_parse_data(uint8_t *out, size_t len, const json_t *v,
                      const char *what, struct fault *f)
{
    const char *s = json_string_value(v);

    if (s == NULL || hex_decode_0x(out, len, s, strlen(s), what, NULL) < 0) {
        memset(out, 0, len);
        return fault_set(f, FAULT_CORRUPT, what,
                         "the Ethereum node's %s is not 0x and %zu hex "
                         "digits", what, 2 * len);
    }
    return 0;
}

/* Call method(params) and read its result as a quantity. */
static int ethrpc_quantity_call(struct ethrpc *r, uint64_t *out,
                                const char *method, json_t *params,
                                struct fault *f)
{
    json_t *res = NULL;
    int rv;

    *out = 0;
    if (ethrpc_call(r, &res, method, params, f) < 0)
        return -1;
    rv = ethrpc_parse_quantity(out, res, method, f);
    json_decref(res);
    return rv;
}

static json_t *ethrpc_hex(const uint8_t *p, size_t n)
{
    char *text = malloc(2 * n + 3);
    json_t *v = NULL;

    if (text != NULL && hex_encode_0x(text, 2 * n + 3, p, n) == 0)
        v = json_string(text);
    free(text);
    return v;
}

static json_t *ethrpc_address(const struct ethaddr *a)
{
    return ethrpc_hex(a->bytes, ETHADDR_LEN);
}

/* The call object of m, or NULL when memory runs out. */
static json_t *ethrpc_msg_json(const struct ethrpc_msg *m)
{
    json_t *o = json_object();
    const uint8_t *v = m->value;
    char q[80];
    size_t i = 0;

    if (o == NULL)
        return NULL;
    if (json_object_set_new(o, "to", ethrpc_address(m->to)) < 0 ||
        json_object_set_new(o, "data", ethrpc_hex(m->data, m->data_len)) < 0 ||
        (m->from != NULL &&
         json_object_set_new(o, "from", ethrpc_address(m->from)) < 0))
        goto oom;
    if (v != NULL) {
        /* A quantity: hex without leading zeros. */
        while (i < 31 && v[i] == 0)
            i++;
        if (hex_encode(q + 2, sizeof q - 2, v + i, 32 - i) < 0)
            goto oom;
        q[0] = '0';
        q[1] = 'x';
        if (q[2] == '0' && q[3] != '\0')
            memmove(q + 2, q + 3, strlen(q + 3) + 1);
        if (json_object_set_new(o, "value", json_string(q)) < 0)
            goto oom;
    }
    return o;
oom:
    json_decref(o);
    return NULL;
}

int ethrpc_chain_id(struct ethrpc *r, uint64_t *out, struct fault *f)
{
    return ethrpc_quantity_call(r, out, "eth_chainId", json_array(), f);
}

int ethrpc_block_number(struct ethrpc *r, uint64_t *out, struct fault *f)
{
    return ethrpc_quantity_call(r, out, "eth_blockNumber", json_array(),
                                f);
}

int ethrpc_nonce(struct ethrpc *r, uint64_t *out, const struct ethaddr *a,
                 struct fault *f)
{
    return ethrpc_quantity_call(r, out, "eth_getTransactionCount",
                                json_pack("[o, s]", ethrpc_address(a),
                                          "pending"),
                                f);
}

int ethrpc_code_size(struct ethrpc *r, size_t *out, const struct ethaddr *a,
                     struct fault *f)
{
    json_t *res = NULL;
    const char *s;
    size_t n;
    int rv = -1;

    *out = 0;
    if (ethrpc_call(r, &res, "eth_getCode",
                    json_pack("[o, s]", ethrpc_address(a), "latest"), f) < 0)
        return -1;
    s = json_string_value(res);
    n = s != NULL ? strlen(s) : 0;
    if (s == NULL || n < 2 || strncmp(s, "0x", 2) != 0 || n % 2 != 0 ||
        strspn(s + 2, "0123456789abcdefABCDEF") != n - 2) {
        fault_set(f, FAULT_CORRUPT, "eth_getCode",
                  "the Ethereum node's eth_getCode is not 0x and hex "
                  "bytes");
        goto done;
    }
    *out = (n - 2) / 2;
    rv = 0;
done:
    json_decref(res);
    return rv;
}

int ethrpc_estimate_gas(struct ethrpc *r, uint64_t *out,
                        const struct ethrpc_msg *m, struct fault *f)
{
    return ethrpc_quantity_call(r, out, "eth_estimateGas",
                                json_pack("[o]", ethrpc_msg_json(m)), f);
}

int ethrpc_call_view(struct ethrpc *r, uint8_t *out, size_t cap, size_t *len,
                     const struct ethrpc_msg *m, struct fault *f)
{
    json_t *res = NULL;
    const char *s;

    *len = 0;
    memset(out, 0, cap);
    if (ethrpc_call(r, &res, "eth_call",
                    json_pack("[o, s]", ethrpc_msg_json(m), "latest"),
                    f) < 0)
        return -1;
    s = json_string_value(res);
    if (s == NULL ||
        hex_decode_0x_var(out, cap, len, s, strlen(s), "eth_call", NULL) <
            0) {
        json_decref(res);
        return fault_set(f, FAULT_CORRUPT, "eth_call",
                         "the Ethereum node's eth_call answer is not 0x and "
                         "at most %zu hex bytes", cap);
    }
    json_decref(res);
    return 0;
}

int ethrpc_fees(struct ethrpc *r, uint64_t *base_fee, uint64_t *tip,
                struct fault *f)
{
    json_t *res = NULL, *bases;
    int rv = -1;

    *base_fee = 0;
    *tip = 0;
    if (ethrpc_call(r, &res, "eth_feeHistory",
                    json_pack("[s, s, []]", "0x1", "latest"), f) < 0)
        return -1;
    /* baseFeePerGas has one entry per block asked for and one more: the
     * base fee of the block after the newest, the one we will pay. */
    bases = json_object_get(res, "baseFeePerGas");
    if (!json_is_array(bases) || json_array_size(bases) < 1) {
        fault_set(f, FAULT_CORRUPT, "eth_feeHistory",
                  "the Ethereum node's eth_feeHistory holds no "
                  "baseFeePerGas");
        goto done;
    }
    if (ethrpc_parse_quantity(base_fee,
                              json_array_get(bases, json_array_size(bases) - 1),
                              "eth_feeHistory baseFeePerGas", f) < 0 ||
        ethrpc_quantity_call(r, tip, "eth_maxPriorityFeePerGas",
                             json_array(), f) < 0)
        goto done;
    rv = 0;
done:
    if (rv < 0) {
        *base_fee = 0;
        *tip = 0;
    }
    json_decref(res);
    return rv;
}

int ethrpc_send_raw(struct ethrpc *r, const uint8_t *raw, size_t len,
                    const uint8_t hash[32], struct fault *f)
{
    json_t *res = NULL;
    uint8_t got[32];
    int rv = -1;

    if (ethrpc_call(r, &res, "eth_sendRawTransaction",
                    json_pack("[o]", ethrpc_hex(raw, len)), f) < 0)
        return -1;
    if (ethrpc_parse_data(got, sizeof got, res, "eth_sendRawTransaction",
                          f) < 0)
        goto done;
    if (memcmp(got, hash, 32) != 0) {
        fault_set(f, FAULT_CORRUPT, "eth_sendRawTransaction",
                  "the Ethereum node names the transaction by another hash "
                  "than its own bytes'");
        goto done;
    }
    rv = 0;
done:
    json_decref(res);
    return rv;
}

int ethrpc_receipt(struct ethrpc *r, struct ethrpc_receipt *out, int *found,
                   const uint8_t hash[32], struct fault *f)
{
    json_t *res = NULL, *price, *logs;
    uint8_t got[32];
    uint64_t status;
    int rv = -1;

    memset(out, 0, sizeof *out);
    *found = 0;
    if (ethrpc_call(r, &res, "eth_getTransactionReceipt",
                    json_pack("[o]", ethrpc_hex(hash, 32)), f) < 0)
        return -1;
    if (json_is_null(res)) {
        rv = 0;
        goto done;
    }
    if (!json_is_object(res)) {
        fault_set(f, FAULT_CORRUPT, "eth_getTransactionReceipt",
                  "the Ethereum node's receipt is not an object");
        goto done;
    }
    if (ethrpc_parse_data(got, sizeof got,
                          json_object_get(res, "transactionHash"),
                          "receipt transactionHash", f) < 0)
        goto done;
    if (memcmp(got, hash, 32) != 0) {
        fault_set(f, FAULT_CORRUPT, "receipt transactionHash",
                  "the Ethereum node sent the receipt of another "
                  "transaction");
        goto done;
    }
    if (ethrpc_parse_quantity(&status, json_object_get(res, "status"),
                              "receipt status", f) < 0 ||
        ethrpc_parse_quantity(&out->block_number,
                              json_object_get(res, "blockNumber"),
                              "receipt blockNumber", f) < 0 ||
        ethrpc_parse_data(out->block_hash, 32,
                          json_object_get(res, "blockHash"),
                          "receipt blockHash", f) < 0 ||
        ethrpc_parse_quantity(&out->gas_used, json_object_get(res, "gasUsed"),
                              "receipt gasUsed", f) < 0)
        goto done;
    if (status > 1) {
        fault_set(f, FAULT_CORRUPT, "receipt status",
                  "the Ethereum node's receipt status is neither 0 nor 1");
        goto done;
    }
    out->status = (int)status;
    /* Nodes from before London leave it out; it is only shown. */
    price = json_object_get(res, "effectiveGasPrice");
    if (price != NULL &&
        ethrpc_parse_quantity(&out->effective_gas_price, price,
                              "receipt effectiveGasPrice", f) < 0)
        goto done;
    logs = json_object_get(res, "logs");
    if (!json_is_array(logs)) {
        fault_set(f, FAULT_CORRUPT, "receipt logs",
                  "the Ethereum node's receipt has no list of logs");
        goto done;
    }
    out->logs = json_array_size(logs);
    *found = 1;
    rv = 0;
done:
    if (rv < 0) {
        memset(out, 0, sizeof *out);
        *found = 0;
    }
    json_decref(res);
    return rv;
}
