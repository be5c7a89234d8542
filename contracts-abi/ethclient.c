#include "contracts-abi/ethclient.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contracts-abi/rpc.h"
#include "lib/hex.h"

#define ETHCLIENT_HOST_MAX 300

struct ethclient {
    struct event_base *base;
    struct rpc_client *rpc; /* NULL once the loop failed under it */
    char host[ETHCLIENT_HOST_MAX];
};

/* What the done callback of the one call in flight keeps of its reply:
 * the reply is borrowed for the callback's duration only. */
struct ethclient_wait {
    int done;
    struct rpcwire_reply reply; /* result NULL: see result */
    json_t *result;             /* a reference of our own */
};

int ethclient_open(struct ethclient **out, const char *url,
                   const char *url_name, struct fault *f)
{
    struct ethclient *c = NULL;
    struct rpc_options o;
    const char *endpoint, *p;
    int rv = -1;

    if (out != NULL)
        *out = NULL;
    if (out == NULL || url == NULL || url_name == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "ethclient_open: bad arguments");
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    c->base = event_base_new();
    if (c->base == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot make an event base");
        goto done;
    }
    rpc_options_default(&o);
    o.url_name = url_name;
    o.timeout_ms = ETHCLIENT_TIMEOUT_MS;
    o.max_body = ETHCLIENT_BODY_MAX;
    o.max_in_flight = 1;
    o.max_conns = 1;
    if (rpc_client_new(&c->rpc, c->base, url, &o, f) < 0)
        goto done;
    /* "scheme://host:port" without its scheme, as people write it. */
    endpoint = rpc_client_endpoint(c->rpc);
    p = strstr(endpoint, "://");
    snprintf(c->host, sizeof c->host, "%s", p != NULL ? p + 3 : endpoint);
    *out = c;
    c = NULL;
    rv = 0;
done:
    ethclient_close(c);
    return rv;
}

void ethclient_close(struct ethclient *c)
{
    if (c == NULL)
        return;
    rpc_client_free(c->rpc);
    if (c->base != NULL)
        event_base_free(c->base);
    free(c);
}

const char *ethclient_host(const struct ethclient *c)
{
    return c->host;
}

static void ethclient_done(void *arg, const struct rpcwire_reply *replies,
                           size_t n)
{
    struct ethclient_wait *w = arg;

    (void)n;
    w->done = 1;
    w->reply = replies[0];
    w->reply.result = NULL;
    w->result = replies[0].result != NULL ? json_incref(replies[0].result)
                                          : NULL;
}

/* Run the loop until w is done. SIGPIPE is blocked meanwhile (libevent
 * writes without MSG_NOSIGNAL), and one that came is taken back before
 * the mask is restored, so that it is never delivered. */
static void ethclient_run(struct ethclient *c, struct ethclient_wait *w)
{
    sigset_t pipe_set, old, pending;
    struct timespec zero = {0, 0};
    int was_pending;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    while (!w->done) {
        if (event_base_loop(c->base, EVLOOP_ONCE) < 0) {
            /* Cannot happen short of a broken loop. Freeing the client
             * tells the call (as cancelled) here and now, so that no
             * callback is left pointing at w. */
            rpc_client_free(c->rpc);
            c->rpc = NULL;
            break;
        }
    }
    sigemptyset(&pending);
    if (!was_pending && sigpending(&pending) == 0 &&
        sigismember(&pending, SIGPIPE) == 1)
        (void)sigtimedwait(&pipe_set, NULL, &zero);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Turn a reply that is not RPCWIRE_OK into f, in the words of the top of
 * ethclient.h. */
static int ethclient_fail(const struct ethclient *c, const char *method,
                          const struct rpcwire_reply *r, struct fault *f)
{
    /* No default: every outcome says what it means to the user. */
    switch (r->status) {
    case RPCWIRE_OK:
        break;
    case RPCWIRE_CONNECT:
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "cannot connect to the Ethereum node at %s",
                         c->host);
    case RPCWIRE_TRANSPORT:
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "the connection to the Ethereum node at %s failed "
                         "during %s: %s", c->host, method, r->fault.detail);
    case RPCWIRE_TLS:
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "TLS with the Ethereum node at %s failed: %s",
                         c->host, r->fault.detail);
    case RPCWIRE_TIMEOUT:
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "the Ethereum node at %s did not answer %s within "
                         "%d s", c->host, method, ETHCLIENT_TIMEOUT_MS / 1000);
    case RPCWIRE_HTTP_STATUS:
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "the Ethereum node at %s answered HTTP %d to %s",
                         c->host, r->http_status, method);
    case RPCWIRE_TOO_LARGE:
        return fault_set(f, FAULT_TOO_LARGE, NULL,
                         "the Ethereum node at %s sent an answer to %s over "
                         "%zu bytes", c->host, method, ETHCLIENT_BODY_MAX);
    case RPCWIRE_ERROR_OBJECT:
        /* Revert data (a custom error's selector and arguments) helps
         * tell why; any other data is the node's own business. */
        return fault_set(f, FAULT_CONFLICT, NULL,
                         "the Ethereum node refused %s: %s (code %lld)%s%s",
                         method, r->error_message, (long long)r->error_code,
                         strncmp(r->error_data, "0x", 2) == 0 ? "; data "
                                                              : "",
                         strncmp(r->error_data, "0x", 2) == 0
                             ? r->error_data
                             : "");
    case RPCWIRE_BAD_JSON:
    case RPCWIRE_BAD_RESPONSE:
    case RPCWIRE_BAD_ID:
    case RPCWIRE_MISSING:
    case RPCWIRE_NO_RESULT:
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the Ethereum node's answer to %s is not one: %s",
                         method, r->fault.detail);
    case RPCWIRE_CANCELLED:
        break;
    }
    return fault_set(f, FAULT_INTERNAL, NULL,
                     "the call of %s to the Ethereum node at %s was "
                     "cancelled", method, c->host);
}

int ethclient_call(struct ethclient *c, json_t **result, const char *method,
                   json_t *params, struct fault *f)
{
    struct ethclient_wait w;

    if (result != NULL)
        *result = NULL;
    if (c == NULL || result == NULL || method == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "ethclient_call: bad arguments");
    if (c->rpc == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "the client of the Ethereum node at %s is broken",
                         c->host);
    memset(&w, 0, sizeof w);
    if (rpc_call(c->rpc, method, params, ethclient_done, &w, f) < 0)
        return -1;
    ethclient_run(c, &w);
    if (!w.done)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "the event loop failed during %s", method);
    if (w.reply.status != RPCWIRE_OK) {
        json_decref(w.result);
        return ethclient_fail(c, method, &w.reply, f);
    }
    *result = w.result;
    return 0;
}

/* ethjson's fault about the result of method, said as the node's. */
static int ethclient_bad_answer(const char *method, struct fault *f)
{
    char detail[FAULT_DETAIL_MAX];

    if (f == NULL)
        return -1;
    if (f->kind != FAULT_CORRUPT && f->kind != FAULT_NOT_FOUND)
        return -1; /* misuse or memory: as it was */
    snprintf(detail, sizeof detail, "%s", f->detail);
    return fault_set(f, FAULT_CORRUPT, method,
                     "the Ethereum node's answer to %s is wrong: %s", method,
                     detail);
}

/* Call method(params) (params freed here, NULL meaning memory ran out)
 * and read its result as a quantity. */
static int ethclient_quantity_call(struct ethclient *c, uint64_t *out,
                                   const char *method, json_t *params,
                                   struct fault *f)
{
    json_t *res = NULL;
    int rv = -1;

    *out = 0;
    if (params == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (ethclient_call(c, &res, method, params, f) < 0)
        goto done;
    if (ethjson_quantity(out, res, method, f) < 0) {
        ethclient_bad_answer(method, f);
        goto done;
    }
    rv = 0;
done:
    json_decref(params);
    json_decref(res);
    return rv;
}

/* p[0..n) as a JSON string "0x...", or NULL when memory runs out. */
static json_t *ethclient_hex(const uint8_t *p, size_t n)
{
    char *text = malloc(2 * n + 3);
    json_t *v = NULL;

    if (text != NULL && hex_encode_0x(text, 2 * n + 3, p, n) == 0)
        v = json_string(text);
    free(text);
    return v;
}

static json_t *ethclient_address(const struct ethaddr *a)
{
    return ethclient_hex(a->bytes, ETHADDR_LEN);
}

/* The 32-byte big-endian v as a quantity: "0x" and hex without leading
 * zeros ("0x0" for zero). */
static json_t *ethclient_quantity_json(const uint8_t v[32])
{
    char q[68];
    size_t i = 0;

    while (i < 31 && v[i] == 0)
        i++;
    if (hex_encode(q + 2, sizeof q - 2, v + i, 32 - i) < 0)
        return NULL;
    q[0] = '0';
    q[1] = 'x';
    if (q[2] == '0' && q[3] != '\0')
        memmove(q + 2, q + 3, strlen(q + 3) + 1);
    return json_string(q);
}

/* The call object of m, or NULL when memory runs out. */
static json_t *ethclient_msg_json(const struct ethclient_msg *m)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    if (json_object_set_new(o, "to", ethclient_address(m->to)) < 0 ||
        json_object_set_new(o, "data", ethclient_hex(m->data, m->data_len)) <
            0 ||
        (m->from != NULL &&
         json_object_set_new(o, "from", ethclient_address(m->from)) < 0) ||
        (m->value != NULL &&
         json_object_set_new(o, "value", ethclient_quantity_json(m->value)) <
             0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int ethclient_chain_id(struct ethclient *c, uint64_t *out, struct fault *f)
{
    return ethclient_quantity_call(c, out, "eth_chainId", json_array(), f);
}

int ethclient_nonce(struct ethclient *c, uint64_t *out,
                    const struct ethaddr *a, struct fault *f)
{
    return ethclient_quantity_call(c, out, "eth_getTransactionCount",
                                   json_pack("[o, s]", ethclient_address(a),
                                             "pending"),
                                   f);
}

int ethclient_code_size(struct ethclient *c, size_t *out,
                        const struct ethaddr *a, struct fault *f)
{
    json_t *params, *res = NULL;
    const char *s;
    size_t n;
    int rv = -1;

    *out = 0;
    params = json_pack("[o, s]", ethclient_address(a), "latest");
    if (params == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (ethclient_call(c, &res, "eth_getCode", params, f) < 0)
        goto done;
    /* Only the size is wanted: the code itself may be 24 KiB or more. */
    s = json_string_value(res);
    n = s != NULL ? json_string_length(res) : 0;
    if (s == NULL || n < 2 || strncmp(s, "0x", 2) != 0 || n % 2 != 0 ||
        strspn(s + 2, "0123456789abcdefABCDEF") != n - 2) {
        fault_set(f, FAULT_CORRUPT, "eth_getCode",
                  "the Ethereum node's answer to eth_getCode is not 0x and "
                  "hex bytes");
        goto done;
    }
    *out = (n - 2) / 2;
    rv = 0;
done:
    json_decref(params);
    json_decref(res);
    return rv;
}

int ethclient_estimate_gas(struct ethclient *c, uint64_t *out,
                           const struct ethclient_msg *m, struct fault *f)
{
    return ethclient_quantity_call(c, out, "eth_estimateGas",
                                   json_pack("[o]", ethclient_msg_json(m)),
                                   f);
}

int ethclient_call_view(struct ethclient *c, uint8_t *out, size_t cap,
                        size_t *len, const struct ethclient_msg *m,
                        struct fault *f)
{
    json_t *params, *res = NULL;
    int rv = -1;

    *len = 0;
    memset(out, 0, cap);
    params = json_pack("[o, s]", ethclient_msg_json(m), "latest");
    if (params == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (ethclient_call(c, &res, "eth_call", params, f) < 0)
        goto done;
    if (ethjson_data_var(out, cap, len, res, "eth_call", f) < 0) {
        ethclient_bad_answer("eth_call", f);
        goto done;
    }
    rv = 0;
done:
    json_decref(params);
    json_decref(res);
    return rv;
}

int ethclient_fees(struct ethclient *c, uint64_t *base_fee, uint64_t *tip,
                   struct fault *f)
{
    json_t *params, *res = NULL, *bases;
    int rv = -1;

    *base_fee = 0;
    *tip = 0;
    params = json_pack("[s, s, []]", "0x1", "latest");
    if (params == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (ethclient_call(c, &res, "eth_feeHistory", params, f) < 0)
        goto done;
    /* baseFeePerGas has one entry per block asked for and one more: the
     * base fee of the block after the newest, the one we will pay. */
    bases = json_object_get(res, "baseFeePerGas");
    if (!json_is_array(bases) || json_array_size(bases) < 1) {
        fault_set(f, FAULT_CORRUPT, "eth_feeHistory",
                  "the Ethereum node's answer to eth_feeHistory holds no "
                  "baseFeePerGas");
        goto done;
    }
    if (ethjson_quantity(base_fee,
                         json_array_get(bases, json_array_size(bases) - 1),
                         "baseFeePerGas", f) < 0) {
        ethclient_bad_answer("eth_feeHistory", f);
        goto done;
    }
    if (ethclient_quantity_call(c, tip, "eth_maxPriorityFeePerGas",
                                json_array(), f) < 0)
        goto done;
    rv = 0;
done:
    if (rv < 0) {
        *base_fee = 0;
        *tip = 0;
    }
    json_decref(params);
    json_decref(res);
    return rv;
}

int ethclient_send_raw(struct ethclient *c, const uint8_t *raw, size_t len,
                       const uint8_t hash[32], struct fault *f)
{
    json_t *params, *res = NULL;
    uint8_t got[32];
    int rv = -1;

    params = json_pack("[o]", ethclient_hex(raw, len));
    if (params == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (ethclient_call(c, &res, "eth_sendRawTransaction", params, f) < 0)
        goto done;
    if (ethjson_data_fixed(got, sizeof got, res, "eth_sendRawTransaction",
                           f) < 0) {
        ethclient_bad_answer("eth_sendRawTransaction", f);
        goto done;
    }
    if (memcmp(got, hash, 32) != 0) {
        fault_set(f, FAULT_CORRUPT, "eth_sendRawTransaction",
                  "the Ethereum node names the transaction by another hash "
                  "than its own bytes'");
        goto done;
    }
    rv = 0;
done:
    json_decref(params);
    json_decref(res);
    return rv;
}

int ethclient_receipt(struct ethclient *c, struct ethjson_receipt *out,
                      int *found, const uint8_t hash[32], struct fault *f)
{
    json_t *params, *res = NULL;
    int rv = -1;

    memset(out, 0, sizeof *out);
    *found = 0;
    params = json_pack("[o]", ethclient_hex(hash, 32));
    if (params == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (ethclient_call(c, &res, "eth_getTransactionReceipt", params, f) < 0)
        goto done;
    if (json_is_null(res)) { /* not mined yet */
        rv = 0;
        goto done;
    }
    if (ethjson_receipt(out, res, "receipt", f) < 0) {
        ethclient_bad_answer("eth_getTransactionReceipt", f);
        goto done;
    }
    if (memcmp(out->tx_hash, hash, 32) != 0) {
        ethjson_receipt_clear(out);
        fault_set(f, FAULT_CORRUPT, "eth_getTransactionReceipt",
                  "the Ethereum node sent the receipt of another "
                  "transaction");
        goto done;
    }
    *found = 1;
    rv = 0;
done:
    json_decref(params);
    json_decref(res);
    return rv;
}
