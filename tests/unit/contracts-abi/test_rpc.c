/*
 * Unit tests for contracts-abi/rpc.c: the client against a real anvil that
 * each test starts itself, against an in-process evhttp server of ours
 * that misbehaves on purpose (one fresh event_base per case, 127.0.0.1
 * port 0), and over HTTPS with a throwaway CA made by the openssl CLI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contracts-abi/ethjson.h"
#include "contracts-abi/rpc.h"
#include "lib/log.h"
#include "tests/support/anvil.h"
#include "tests/support/testutil.h"

#define COUNT(a) (sizeof(a) / sizeof *(a))
#define WAIT_MS 20000
#define SEEN_MAX 8

/* --- what a done callback saw --- */

struct seen {
    int calls;
    size_t n;
    struct rpcwire_reply replies[SEEN_MAX];
    json_t *results[SEEN_MAX]; /* deep copies: the replies are borrowed */
    struct rpc_client **free_me; /* free this client from the callback */
};

static void seen_done(void *arg, const struct rpcwire_reply *r, size_t n)
{
    struct seen *s = arg;
    size_t i;

    s->calls++;
    s->n = n;
    for (i = 0; i < n && i < SEEN_MAX; i++) {
        s->replies[i] = r[i];
        s->replies[i].result = NULL;
        json_decref(s->results[i]);
        s->results[i] = r[i].result ? json_deep_copy(r[i].result) : NULL;
        if (r[i].status == RPCWIRE_OK && r[i].result == NULL)
            fail_msg("an OK reply without a result");
        if ((r[i].status == RPCWIRE_OK) != (r[i].fault.kind == FAULT_NONE))
            fail_msg("status %s with fault kind %s",
                     rpcwire_status_name(r[i].status),
                     fault_kind_name(r[i].fault.kind));
    }
    if (s->free_me != NULL) {
        rpc_client_free(*s->free_me);
        *s->free_me = NULL;
    }
}

static void seen_clear(struct seen *s)
{
    size_t i;

    for (i = 0; i < SEEN_MAX; i++)
        json_decref(s->results[i]);
    memset(s, 0, sizeof *s);
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(int *)arg = 1;
}

/* Run base until *count reaches want; fail after ms. */
static void run_until(struct event_base *base, const int *count, int want,
                      int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    struct event *w;
    int expired = 0;

    w = evtimer_new(base, watchdog_cb, &expired);
    assert_non_null(w);
    evtimer_add(w, &tv);
    while (*count < want && !expired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(w);
    if (*count < want)
        fail_msg("timed out after %d ms waiting for %d callbacks (have %d)",
                 ms, want, *count);
}

/* Run base for ms, whatever happens. */
static void run_for(struct event_base *base, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    struct event *w;
    int expired = 0;

    w = evtimer_new(base, watchdog_cb, &expired);
    evtimer_add(w, &tv);
    while (!expired)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(w);
}

static struct rpc_client *client_new(struct event_base *base, const char *url,
                                     const struct rpc_options *o)
{
    struct rpc_client *c = NULL;
    struct fault f;

    fault_clear(&f);
    if (rpc_client_new(&c, base, url, o, &f) != 0)
        fail_msg("rpc_client_new(%s): %s", url, f.detail);
    return c;
}

static void call_ok(struct rpc_client *c, const char *method, json_t *params,
                    struct seen *s)
{
    struct fault f;

    fault_clear(&f);
    if (rpc_call(c, method, params, seen_done, s, &f) != 0)
        fail_msg("rpc_call(%s): %s", method, f.detail);
}

static void check_reply(const struct rpcwire_reply *r,
                        enum rpcwire_status want, const char *what)
{
    if (r->status != want)
        fail_msg("%s: status %s, want %s (%s: %s)", what,
                 rpcwire_status_name(r->status), rpcwire_status_name(want),
                 fault_kind_name(r->fault.kind), r->fault.detail);
    assert_int_equal(r->fault.kind, rpcwire_fault_kind(want));
    if (want != RPCWIRE_OK && r->fault.detail[0] == '\0')
        fail_msg("%s: empty detail", what);
}

static void test_anvil_chain_id_and_block_number(void **state)
{
    struct anvil *a = *state;
    struct event_base *base = event_base_new();
    struct rpc_client *c = client_new(base, a->url, NULL);
    struct seen s1 = {0}, s2 = {0};
    struct rpc_stats st;
    struct fault f;
    uint64_t v;

    call_ok(c, "eth_chainId", NULL, &s1);
    call_ok(c, "eth_blockNumber", NULL, &s2);
    run_until(base, &s2.calls, 1, WAIT_MS);
    run_until(base, &s1.calls, 1, WAIT_MS);
    check_reply(&s1.replies[0], RPCWIRE_OK, "eth_chainId");
    assert_int_equal(s1.replies[0].http_status, 200);
    assert_int_equal(ethjson_quantity(&v, s1.results[0], "result", &f), 0);
    assert_int_equal(v, 31337);
    check_reply(&s2.replies[0], RPCWIRE_OK, "eth_blockNumber");
    assert_int_equal(ethjson_quantity(&v, s2.results[0], "result", &f), 0);
    assert_int_equal(v, 0);
    rpc_client_stats(c, &st);
    assert_int_equal(st.calls, 2);
    assert_int_equal(st.results, 2);
    assert_int_equal(st.in_flight, 0);
    assert_true(st.bytes_sent > 0 && st.bytes_received > 0);
    run_for(base, 50);
    assert_int_equal(s1.calls, 1);
    assert_int_equal(s2.calls, 1);
    rpc_client_free(c);
    event_base_free(base);
    seen_clear(&s1);
    seen_clear(&s2);
}

static void test_anvil_batch(void **state)
{
    struct anvil *a = *state;
    struct event_base *base = event_base_new();
    struct rpc_client *c = client_new(base, a->url, NULL);
    json_t *p_block = json_pack("[sb]", "0x0", 0);
    json_t *p_bal = json_pack("[ss]", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                              "latest");
    struct rpcwire_request reqs[] = {
        {"eth_chainId", NULL},
        {"eth_getBlockByNumber", p_block},
        {"sluice_noSuchMethod", NULL},
        {"eth_getBalance", p_bal},
        {"net_version", NULL},
    };
    struct ethjson_block blk;
    struct seen s = {0};
    struct fault f;
    uint64_t v;

    fault_clear(&f);
    assert_int_equal(rpc_batch(c, reqs, COUNT(reqs), seen_done, &s, &f), 0);
    run_until(base, &s.calls, 1, WAIT_MS);
    assert_int_equal(s.n, COUNT(reqs));
    check_reply(&s.replies[0], RPCWIRE_OK, "batch chainId");
    assert_int_equal(ethjson_quantity(&v, s.results[0], "result[0]", &f), 0);
    assert_int_equal(v, 31337);
    check_reply(&s.replies[1], RPCWIRE_OK, "batch block");
    assert_int_equal(ethjson_block(&blk, s.results[1], "result", &f), 0);
    assert_int_equal(blk.number, 0);
    check_reply(&s.replies[2], RPCWIRE_ERROR_OBJECT, "batch unknown method");
    assert_int_equal(s.replies[2].error_code, -32601);
    check_reply(&s.replies[3], RPCWIRE_OK, "batch balance");
    assert_true(json_is_string(s.results[3]));
    check_reply(&s.replies[4], RPCWIRE_OK, "batch net_version");
    assert_string_equal(json_string_value(s.results[4]), "31337");
    rpc_client_free(c);
    event_base_free(base);
    json_decref(p_block);
    json_decref(p_bal);
    seen_clear(&s);
}

static void test_anvil_blocks(void **state)
{
    struct anvil *a = *state;
    struct event_base *base = event_base_new();
    struct rpc_client *c = client_new(base, a->url, NULL);
    json_t *p_latest = json_pack("[sb]", "latest", 0);
    json_t *p_far = json_pack("[sb]", "0x100", 0);
    json_t *p_hash;
    struct ethjson_block b1, b2;
    struct seen s1 = {0}, s2 = {0}, s3 = {0};
    struct fault f;
    static const uint8_t zero[32];

    call_ok(c, "eth_getBlockByNumber", p_latest, &s1);
    call_ok(c, "eth_getBlockByNumber", p_far, &s2);
    run_until(base, &s1.calls, 1, WAIT_MS);
    run_until(base, &s2.calls, 1, WAIT_MS);
    check_reply(&s1.replies[0], RPCWIRE_OK, "latest");
    fault_clear(&f);
    if (ethjson_block(&b1, s1.results[0], "result", &f) != 0)
        fail_msg("block: %s", f.detail);
    assert_int_equal(b1.number, 0);
    assert_memory_equal(b1.parent_hash, zero, 32);
    assert_memory_not_equal(b1.hash, zero, 32);
    /* A block the node does not have is null: not found, not corrupt. */
    check_reply(&s2.replies[0], RPCWIRE_OK, "far block");
    assert_true(json_is_null(s2.results[0]));
    assert_int_equal(ethjson_block(&b2, s2.results[0], "result", &f), -1);
    assert_int_equal(f.kind, FAULT_NOT_FOUND);
    /* The same block by its hash. */
    p_hash = json_pack("[Ob]", json_object_get(s1.results[0], "hash"), 0);
    call_ok(c, "eth_getBlockByHash", p_hash, &s3);
    run_until(base, &s3.calls, 1, WAIT_MS);
    check_reply(&s3.replies[0], RPCWIRE_OK, "by hash");
    assert_int_equal(ethjson_block(&b2, s3.results[0], "result", &f), 0);
    assert_memory_equal(&b1, &b2, sizeof b1);
    rpc_client_free(c);
    event_base_free(base);
    json_decref(p_latest);
    json_decref(p_far);
    json_decref(p_hash);
    seen_clear(&s1);
    seen_clear(&s2);
    seen_clear(&s3);
}

/* A real transaction (anvil's accounts are unlocked and it mines at once):
 * its receipt through ethjson, and the empty logs of the block. */
static void test_anvil_receipt(void **state)
{
    struct anvil *a = *state;
    struct event_base *base = event_base_new();
    struct rpc_client *c = client_new(base, a->url, NULL);
    json_t *p_tx = json_pack(
        "[{ssssss}]", "from", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
        "to", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "value", "0x1000");
    json_t *p_rc, *p_logs;
    struct ethjson_receipt rc;
    struct ethjson_log *logs = NULL;
    struct seen s1 = {0}, s2 = {0}, s3 = {0};
    uint8_t hash[32];
    size_t nlogs = 9;
    struct fault f;
    int i;

    call_ok(c, "eth_sendTransaction", p_tx, &s1);
    run_until(base, &s1.calls, 1, WAIT_MS);
    check_reply(&s1.replies[0], RPCWIRE_OK, "send");
    fault_clear(&f);
    assert_int_equal(ethjson_data_fixed(hash, 32, s1.results[0], "result", &f),
                     0);
    p_rc = json_pack("[O]", s1.results[0]);
    /* anvil mines just after it answers: null until then, as a real node
     * says of a transaction still pending. */
    for (i = 0; i < 100; i++) {
        seen_clear(&s2);
        call_ok(c, "eth_getTransactionReceipt", p_rc, &s2);
        run_until(base, &s2.calls, 1, WAIT_MS);
        check_reply(&s2.replies[0], RPCWIRE_OK, "receipt");
        if (!json_is_null(s2.results[0]))
            break;
        assert_int_equal(ethjson_receipt(&rc, s2.results[0], "result", &f),
                         -1);
        assert_int_equal(f.kind, FAULT_NOT_FOUND);
        run_for(base, 20);
    }
    if (ethjson_receipt(&rc, s2.results[0], "result", &f) != 0)
        fail_msg("receipt: %s (%s)", f.detail, f.field);
    assert_int_equal(rc.status, 1);
    assert_int_equal(rc.block_number, 1);
    assert_memory_equal(rc.tx_hash, hash, 32);
    assert_int_equal(rc.log_count, 0);
    ethjson_receipt_clear(&rc);
    p_logs = json_pack("[{ssss}]", "fromBlock", "0x0", "toBlock", "latest");
    call_ok(c, "eth_getLogs", p_logs, &s3);
    run_until(base, &s3.calls, 1, WAIT_MS);
    check_reply(&s3.replies[0], RPCWIRE_OK, "logs");
    assert_int_equal(ethjson_logs(&logs, &nlogs, s3.results[0], "result", &f),
                     0);
    assert_int_equal(nlogs, 0);
    assert_null(logs);
    rpc_client_free(c);
    event_base_free(base);
    json_decref(p_tx);
    json_decref(p_rc);
    json_decref(p_logs);
    seen_clear(&s1);
    seen_clear(&s2);
    seen_clear(&s3);
}

static void test_anvil_unknown_method(void **state)
{
    struct anvil *a = *state;
    struct event_base *base = event_base_new();
    struct rpc_client *c = client_new(base, a->url, NULL);
    struct seen s = {0};
    struct rpc_stats st;

    call_ok(c, "sluice_noSuchMethod", NULL, &s);
    run_until(base, &s.calls, 1, WAIT_MS);
    check_reply(&s.replies[0], RPCWIRE_ERROR_OBJECT, "unknown method");
    assert_int_equal(s.replies[0].error_code, -32601);
    assert_true(s.replies[0].error_message[0] != '\0');
    assert_non_null(strstr(s.replies[0].fault.detail, "-32601"));
    rpc_client_stats(c, &st);
    assert_int_equal(st.error_objects, 1);
    rpc_client_free(c);
    event_base_free(base);
    seen_clear(&s);
}

/* Each call made from the previous one's callback. */
struct chain {
    struct rpc_client *c;
    int left, done, ok;
};

static void chain_done(void *arg, const struct rpcwire_reply *r, size_t n)
{
    struct chain *ch = arg;
    struct fault f;

    assert_int_equal(n, 1);
    ch->done++;
    if (r[0].status == RPCWIRE_OK)
        ch->ok++;
    if (--ch->left > 0 &&
        rpc_call(ch->c, "eth_blockNumber", NULL, chain_done, ch, &f) != 0)
        fail_msg("chained call: %s", f.detail);
}

static void test_anvil_keepalive(void **state)
{
    struct anvil *a = *state;
    struct event_base *base = event_base_new();
    struct chain ch = {0};
    struct rpc_stats st;
    struct fault f;

    ch.c = client_new(base, a->url, NULL);
    ch.left = 100;
    assert_int_equal(rpc_call(ch.c, "eth_blockNumber", NULL, chain_done, &ch,
                              &f), 0);
    run_until(base, &ch.done, 100, WAIT_MS);
    assert_int_equal(ch.ok, 100);
    rpc_client_stats(ch.c, &st);
    assert_int_equal(st.calls, 100);
    assert_int_equal(st.connects, 1);
    rpc_client_free(ch.c);
    event_base_free(base);
}

/* Calls still held when the client is freed are told so, once each. */
static void test_anvil_free_cancels(void **state)
{
    struct anvil *a = *state;
    struct event_base *base = event_base_new();
    struct rpc_client *c = client_new(base, a->url, NULL);
    struct seen s[5];
    struct fault f;
    size_t i;

    memset(s, 0, sizeof s);
    for (i = 0; i < COUNT(s); i++)
        call_ok(c, "eth_chainId", NULL, &s[i]);
    rpc_client_free(c);
    for (i = 0; i < COUNT(s); i++) {
        assert_int_equal(s[i].calls, 1);
        check_reply(&s[i].replies[0], RPCWIRE_CANCELLED, "cancelled");
    }
    run_for(base, 100);
    for (i = 0; i < COUNT(s); i++) {
        assert_int_equal(s[i].calls, 1);
        seen_clear(&s[i]);
    }
    (void)f;
    event_base_free(base);
}

/* --- our own misbehaving server --- */

enum fake_mode {
    FAKE_OK,
    FAKE_CLOSE,
    FAKE_NULL_RESULT,
    FAKE_MALFORMED,
    FAKE_TRUNCATED,
    FAKE_OVERSIZED,
    FAKE_500,
    FAKE_502,
    FAKE_EMPTY,
    FAKE_HUGE_NUMBER,
    FAKE_WRONG_ID,
    FAKE_MISSING_ID,
    FAKE_STRING_ID,
    FAKE_NOT_RPC,
    FAKE_SCALAR,
    FAKE_BOTH,
    FAKE_NO_RESULT,
    FAKE_ERROR,
    FAKE_BAD_ERROR,
    FAKE_SLOW,
    FAKE_TRICKLE,
    FAKE_BATCH_MISSING,
    FAKE_BATCH_DUP,
    FAKE_BATCH_ONE_ERROR,
    FAKE_BATCH_WHOLE_ERROR,
    FAKE_BATCH_AS_OBJECT
};

struct fake {
    struct event_base *base;
    struct evhttp *http;
    SSL_CTX *ssl;
    uint16_t port;
    enum fake_mode mode;
    unsigned requests;
    struct evhttp_request *held; /* an answer in progress or withheld */
    struct event *timer;
};

static void fake_send(struct evhttp_request *req, int code, const char *text)
{
    struct evbuffer *b = evbuffer_new();

    evbuffer_add(b, text, strlen(text));
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json");
    evhttp_send_reply(req, code, code == 200 ? "OK" : "Failed", b);
    evbuffer_free(b);
}

static void fake_conn_closed(struct evhttp_connection *evcon, void *arg)
{
    struct fake *fk = arg;

    (void)evcon;
    /* libevent leaves an answer it was sending to its owner when the peer
     * goes away (the request no longer has a connection); ending it is
     * what frees it. */
    if (fk->held != NULL && evhttp_request_get_connection(fk->held) == NULL)
        evhttp_send_reply_end(fk->held);
    fk->held = NULL;
    event_del(fk->timer);
}

static void fake_hold(struct fake *fk, struct evhttp_request *req)
{
    fk->held = req;
    evhttp_connection_set_closecb(evhttp_request_get_connection(req),
                                  fake_conn_closed, fk);
}

static void fake_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct fake *fk = arg;
    struct timeval tv = {0, 100000};
    struct bufferevent *bev;
    struct evbuffer *b;

    (void)fd;
    (void)what;
    if (fk->held == NULL)
        return;
    if (fk->mode == FAKE_TRUNCATED) {
        /* The promised body never comes: the peer goes away. */
        bev = evhttp_connection_get_bufferevent(
            evhttp_request_get_connection(fk->held));
        shutdown(bufferevent_getfd(bev), SHUT_RDWR);
        return;
    }
    b = evbuffer_new(); /* FAKE_TRICKLE: one byte of blank at a time */
    evbuffer_add(b, " ", 1);
    evhttp_send_reply_chunk(fk->held, b);
    evbuffer_free(b);
    evtimer_add(fk->timer, &tv);
}

/* The answer to one request object with id, per mode. */
static json_t *fake_answer(enum fake_mode mode, json_int_t id, size_t index)
{
    if (mode == FAKE_BATCH_ONE_ERROR && index == 1)
        return json_pack("{sssIs{sisssi}}", "jsonrpc", "2.0", "id", id,
                         "error", "code", 3, "message", "execution reverted",
                         "data", 7); /* data that is not a string: not kept */
    if (mode == FAKE_NULL_RESULT)
        return json_pack("{sssIsn}", "jsonrpc", "2.0", "id", id, "result");
    return json_pack("{sssIss}", "jsonrpc", "2.0", "id", id, "result", "0x2a");
}

static void fake_cb(struct evhttp_request *req, void *arg)
{
    struct fake *fk = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in), i;
    json_t *body, *out, *el;
    json_int_t id = 0;
    char text[256], *dump;
    struct timeval tv = {0, 50000};

    fk->requests++;
    body = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, NULL);
    assert_non_null(body);
    el = json_is_array(body) ? json_array_get(body, 0) : body;
    id = json_integer_value(json_object_get(el, "id"));
    switch (fk->mode) {
    case FAKE_OK:
    case FAKE_CLOSE:
    case FAKE_NULL_RESULT:
    case FAKE_BATCH_MISSING:
    case FAKE_BATCH_DUP:
    case FAKE_BATCH_ONE_ERROR:
        if (!json_is_array(body)) {
            out = fake_answer(fk->mode, id, 0);
        } else {
            /* Answers in reverse order: the client matches by id. */
            out = json_array();
            for (i = json_array_size(body); i-- > 0;) {
                el = json_array_get(body, i);
                if ((fk->mode == FAKE_BATCH_MISSING ||
                     fk->mode == FAKE_BATCH_DUP) && i == 2)
                    continue;
                json_array_append_new(
                    out, fake_answer(fk->mode,
                                     json_integer_value(json_object_get(el, "id")),
                                     i));
            }
            if (fk->mode == FAKE_BATCH_DUP)
                json_array_append_new(out, fake_answer(FAKE_OK, id, 0));
        }
        dump = json_dumps(out, JSON_COMPACT);
        if (fk->mode == FAKE_CLOSE)
            evhttp_add_header(evhttp_request_get_output_headers(req),
                              "Connection", "close");
        fake_send(req, 200, dump);
        free(dump);
        json_decref(out);
        break;
    case FAKE_MALFORMED:
        fake_send(req, 200, "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": [}");
        break;
    case FAKE_TRUNCATED:
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "Content-Length", "500");
        evhttp_send_reply_start(req, 200, "OK");
        snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":%lld,",
                 (long long)id);
        {
            struct evbuffer *b = evbuffer_new();
            evbuffer_add(b, text, strlen(text));
            evhttp_send_reply_chunk(req, b);
            evbuffer_free(b);
        }
        fake_hold(fk, req);
        evtimer_add(fk->timer, &tv);
        break;
    case FAKE_OVERSIZED: {
        size_t big = 100 * 1024;
        char *s = malloc(big + 128);
        int k = snprintf(s, 128, "{\"jsonrpc\":\"2.0\",\"id\":%lld,"
                                 "\"result\":\"0x", (long long)id);
        memset(s + k, 'a', big);
        memcpy(s + k + big, "\"}", 3);
        fake_send(req, 200, s);
        free(s);
        break;
    }
    case FAKE_500:
        fake_send(req, 500, "internal error");
        break;
    case FAKE_502:
        fake_send(req, 502, "<html>bad gateway</html>");
        break;
    case FAKE_EMPTY:
        fake_send(req, 200, "");
        break;
    case FAKE_HUGE_NUMBER:
        snprintf(text, sizeof text,
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":"
                 "123456789012345678901234567890123456789}", (long long)id);
        fake_send(req, 200, text);
        break;
    case FAKE_WRONG_ID:
        snprintf(text, sizeof text,
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":\"0x1\"}",
                 (long long)id + 1000);
        fake_send(req, 200, text);
        break;
    case FAKE_MISSING_ID:
        fake_send(req, 200, "{\"jsonrpc\":\"2.0\",\"result\":\"0x1\"}");
        break;
    case FAKE_STRING_ID:
        snprintf(text, sizeof text,
                 "{\"jsonrpc\":\"2.0\",\"id\":\"%lld\",\"result\":\"0x1\"}",
                 (long long)id);
        fake_send(req, 200, text);
        break;
    case FAKE_NOT_RPC:
        snprintf(text, sizeof text, "{\"id\":%lld,\"result\":\"0x1\"}",
                 (long long)id);
        fake_send(req, 200, text);
        break;
    case FAKE_SCALAR:
        fake_send(req, 200, "\"0x1\"");
        break;
    case FAKE_BOTH:
        snprintf(text, sizeof text,
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":\"0x1\","
                 "\"error\":{\"code\":1,\"message\":\"x\"}}", (long long)id);
        fake_send(req, 200, text);
        break;
    case FAKE_NO_RESULT:
        snprintf(text, sizeof text, "{\"jsonrpc\":\"2.0\",\"id\":%lld}",
                 (long long)id);
        fake_send(req, 200, text);
        break;
    case FAKE_ERROR:
        snprintf(text, sizeof text,
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":-32000,"
                 "\"message\":\"header not found\\n\\u00e9\","
                 "\"data\":\"0x7c946ed7\\u0001\"}}",
                 (long long)id);
        fake_send(req, 200, text);
        break;
    case FAKE_BAD_ERROR:
        snprintf(text, sizeof text,
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":\"x\"}}",
                 (long long)id);
        fake_send(req, 200, text);
        break;
    case FAKE_SLOW:
        fake_hold(fk, req); /* never answered */
        break;
    case FAKE_TRICKLE:
        evhttp_add_header(evhttp_request_get_output_headers(req),
                          "Content-Length", "1000");
        evhttp_send_reply_start(req, 200, "OK");
        fake_hold(fk, req);
        evtimer_add(fk->timer, &tv);
        break;
    case FAKE_BATCH_WHOLE_ERROR:
        fake_send(req, 200,
                  "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
                  "\"message\":\"batch too large\"}}");
        break;
    case FAKE_BATCH_AS_OBJECT:
        snprintf(text, sizeof text,
                 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"result\":\"0x1\"}",
                 (long long)id);
        fake_send(req, 200, text);
        break;
    }
    json_decref(body);
}

static struct bufferevent *fake_bevcb(struct event_base *base, void *arg)
{
    struct fake *fk = arg;

    return bufferevent_openssl_socket_new(base, -1, SSL_new(fk->ssl),
                                          BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

static void fake_start(struct fake *fk, struct event_base *base,
                       SSL_CTX *ssl)
{
    struct evhttp_bound_socket *bs;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;

    memset(fk, 0, sizeof *fk);
    fk->base = base;
    fk->ssl = ssl;
    fk->http = evhttp_new(base);
    assert_non_null(fk->http);
    if (ssl != NULL)
        evhttp_set_bevcb(fk->http, fake_bevcb, fk);
    evhttp_set_gencb(fk->http, fake_cb, fk);
    bs = evhttp_bind_socket_with_handle(fk->http, "127.0.0.1", 0);
    assert_non_null(bs);
    assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs),
                                 (struct sockaddr *)&sin, &sl), 0);
    fk->port = ntohs(sin.sin_port);
    fk->timer = evtimer_new(base, fake_timer_cb, fk);
}

static void fake_stop(struct fake *fk)
{
    evhttp_free(fk->http);
    event_free(fk->timer);
}

static void fake_url(const struct fake *fk, const char *scheme, char *out,
                     size_t cap)
{
    snprintf(out, cap, "%s://127.0.0.1:%u/rpc/key", scheme,
             (unsigned)fk->port);
}

static void local_options(struct rpc_options *o)
{
    rpc_options_default(o);
    o->timeout_ms = 400;
    o->max_body = 64 * 1024;
}

/* After any failure the same client must answer the next call. */
static void check_still_works(struct event_base *base, struct rpc_client *c,
                              struct fake *fk)
{
    struct seen s = {0};

    fk->mode = FAKE_OK;
    call_ok(c, "eth_blockNumber", NULL, &s);
    run_until(base, &s.calls, 1, WAIT_MS);
    check_reply(&s.replies[0], RPCWIRE_OK, "the call after");
    assert_string_equal(json_string_value(s.results[0]), "0x2a");
    seen_clear(&s);
}

struct single_case {
    const char *name;
    enum fake_mode mode;
    enum rpcwire_status want;
    int http_status;
};

static const struct single_case single_cases[] = {
    {"ok", FAKE_OK, RPCWIRE_OK, 200},
    {"null result", FAKE_NULL_RESULT, RPCWIRE_OK, 200},
    {"malformed JSON", FAKE_MALFORMED, RPCWIRE_BAD_JSON, 200},
    {"truncated body", FAKE_TRUNCATED, RPCWIRE_TRANSPORT, 0},
    {"oversized body", FAKE_OVERSIZED, RPCWIRE_TOO_LARGE, 0},
    {"HTTP 500", FAKE_500, RPCWIRE_HTTP_STATUS, 500},
    {"HTTP 502", FAKE_502, RPCWIRE_HTTP_STATUS, 502},
    {"empty 200", FAKE_EMPTY, RPCWIRE_BAD_JSON, 200},
    {"huge number", FAKE_HUGE_NUMBER, RPCWIRE_BAD_JSON, 200},
    {"wrong id", FAKE_WRONG_ID, RPCWIRE_BAD_ID, 200},
    {"missing id", FAKE_MISSING_ID, RPCWIRE_BAD_ID, 200},
    {"string id", FAKE_STRING_ID, RPCWIRE_BAD_ID, 200},
    {"no jsonrpc member", FAKE_NOT_RPC, RPCWIRE_BAD_RESPONSE, 200},
    {"a scalar", FAKE_SCALAR, RPCWIRE_BAD_RESPONSE, 200},
    {"result and error", FAKE_BOTH, RPCWIRE_BAD_RESPONSE, 200},
    {"neither result nor error", FAKE_NO_RESULT, RPCWIRE_NO_RESULT, 200},
    {"error object", FAKE_ERROR, RPCWIRE_ERROR_OBJECT, 200},
    {"malformed error object", FAKE_BAD_ERROR, RPCWIRE_BAD_RESPONSE, 200},
    {"slow answer", FAKE_SLOW, RPCWIRE_TIMEOUT, 0},
    {"trickled answer", FAKE_TRICKLE, RPCWIRE_TIMEOUT, 0},
};

static void test_local_single_cases(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(single_cases); i++) {
        const struct single_case *tc = &single_cases[i];
        struct event_base *base = event_base_new();
        struct rpc_options o;
        struct rpc_client *c;
        struct fake fk;
        struct seen s = {0};
        struct rpc_stats st;
        struct timespec t0, t1;
        char url[128];
        long ms;

        fake_start(&fk, base, NULL);
        fk.mode = tc->mode;
        fake_url(&fk, "http", url, sizeof url);
        local_options(&o);
        c = client_new(base, url, &o);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        call_ok(c, "eth_blockNumber", NULL, &s);
        run_until(base, &s.calls, 1, WAIT_MS);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        check_reply(&s.replies[0], tc->want, tc->name);
        assert_int_equal(s.replies[0].http_status, tc->http_status);
        assert_true(strlen(s.replies[0].fault.detail) < FAULT_DETAIL_MAX);
        ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (tc->want == RPCWIRE_TIMEOUT) {
            /* The deadline holds even against a peer that trickles. */
            if (ms < 350 || ms > 2000)
                fail_msg("%s: timed out after %ld ms, deadline 400", tc->name,
                         ms);
            rpc_client_stats(c, &st);
            assert_int_equal(st.timeouts, 1);
        }
        if (tc->mode == FAKE_ERROR) {
            assert_int_equal(s.replies[0].error_code, -32000);
            /* Node text is cleaned: no control or non-ASCII bytes. */
            assert_string_equal(s.replies[0].error_message,
                                "header not found???");
            /* So is its data, kept for the revert reasons it carries. */
            assert_string_equal(s.replies[0].error_data, "0x7c946ed7?");
        } else {
            assert_string_equal(s.replies[0].error_data, "");
        }
        check_still_works(base, c, &fk);
        run_for(base, 20);
        assert_int_equal(s.calls, 1);
        seen_clear(&s);
        rpc_client_free(c);
        fake_stop(&fk);
        event_base_free(base);
    }
}

struct batch_case {
    const char *name;
    enum fake_mode mode;
    enum rpcwire_status want[3];
};

static const struct batch_case batch_cases[] = {
    {"ok, any order", FAKE_OK, {RPCWIRE_OK, RPCWIRE_OK, RPCWIRE_OK}},
    {"an entry missing", FAKE_BATCH_MISSING,
     {RPCWIRE_OK, RPCWIRE_OK, RPCWIRE_MISSING}},
    {"a duplicate id", FAKE_BATCH_DUP,
     {RPCWIRE_BAD_ID, RPCWIRE_BAD_ID, RPCWIRE_BAD_ID}},
    {"one error object", FAKE_BATCH_ONE_ERROR,
     {RPCWIRE_OK, RPCWIRE_ERROR_OBJECT, RPCWIRE_OK}},
    {"one error for the whole batch", FAKE_BATCH_WHOLE_ERROR,
     {RPCWIRE_ERROR_OBJECT, RPCWIRE_ERROR_OBJECT, RPCWIRE_ERROR_OBJECT}},
    {"answered with one object", FAKE_BATCH_AS_OBJECT,
     {RPCWIRE_BAD_RESPONSE, RPCWIRE_BAD_RESPONSE, RPCWIRE_BAD_RESPONSE}},
    {"malformed JSON", FAKE_MALFORMED,
     {RPCWIRE_BAD_JSON, RPCWIRE_BAD_JSON, RPCWIRE_BAD_JSON}},
    {"HTTP 502", FAKE_502,
     {RPCWIRE_HTTP_STATUS, RPCWIRE_HTTP_STATUS, RPCWIRE_HTTP_STATUS}},
};

static void test_local_batch_cases(void **state)
{
    struct rpcwire_request reqs[3] = {
        {"eth_chainId", NULL}, {"eth_blockNumber", NULL}, {"net_version", NULL}};
    size_t i, k;

    (void)state;
    for (i = 0; i < COUNT(batch_cases); i++) {
        const struct batch_case *tc = &batch_cases[i];
        struct event_base *base = event_base_new();
        struct rpc_options o;
        struct rpc_client *c;
        struct fake fk;
        struct seen s = {0};
        struct fault f;
        char url[128], what[128];

        fake_start(&fk, base, NULL);
        fk.mode = tc->mode;
        fake_url(&fk, "http", url, sizeof url);
        local_options(&o);
        c = client_new(base, url, &o);
        assert_int_equal(rpc_batch(c, reqs, 3, seen_done, &s, &f), 0);
        run_until(base, &s.calls, 1, WAIT_MS);
        assert_int_equal(s.n, 3);
        for (k = 0; k < 3; k++) {
            snprintf(what, sizeof what, "%s [%zu]", tc->name, k);
            check_reply(&s.replies[k], tc->want[k], what);
            if (tc->want[k] == RPCWIRE_OK)
                assert_string_equal(json_string_value(s.results[k]), "0x2a");
        }
        if (tc->mode == FAKE_BATCH_ONE_ERROR) {
            assert_int_equal(s.replies[1].error_code, 3);
            assert_string_equal(s.replies[1].error_message,
                                "execution reverted");
            assert_string_equal(s.replies[1].error_data, "");
        }
        check_still_works(base, c, &fk);
        seen_clear(&s);
        rpc_client_free(c);
        fake_stop(&fk);
        event_base_free(base);
    }
}

static void test_local_refused(void **state)
{
    struct event_base *base = event_base_new();
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    struct rpc_options o;
    struct rpc_client *c;
    struct seen s1 = {0}, s2 = {0};
    char url[64];
    int fd;

    (void)state;
    /* A port that was free a moment ago and has no listener now. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    close(fd);
    snprintf(url, sizeof url, "http://127.0.0.1:%u", ntohs(sin.sin_port));
    local_options(&o);
    c = client_new(base, url, &o);
    call_ok(c, "eth_chainId", NULL, &s1);
    run_until(base, &s1.calls, 1, WAIT_MS);
    check_reply(&s1.replies[0], RPCWIRE_CONNECT, "refused");
    assert_non_null(strstr(s1.replies[0].fault.detail,
                           "cannot connect to http://127.0.0.1:"));
    call_ok(c, "eth_chainId", NULL, &s2);
    run_until(base, &s2.calls, 1, WAIT_MS);
    check_reply(&s2.replies[0], RPCWIRE_CONNECT, "refused again");
    rpc_client_free(c);
    event_base_free(base);
    seen_clear(&s1);
    seen_clear(&s2);
}

static void test_local_connection_close_and_pool(void **state)
{
    struct event_base *base = event_base_new();
    struct rpc_options o;
    struct rpc_client *c;
    struct rpc_stats st;
    struct fake fk;
    struct seen s[10];
    char url[128];
    size_t i;

    (void)state;
    fake_start(&fk, base, NULL);
    fake_url(&fk, "http", url, sizeof url);
    local_options(&o);
    c = client_new(base, url, &o);
    /* A server that closes after each answer: a new connection each time,
     * no call lost. */
    fk.mode = FAKE_CLOSE;
    for (i = 0; i < 3; i++) {
        memset(&s[0], 0, sizeof s[0]);
        call_ok(c, "eth_chainId", NULL, &s[0]);
        run_until(base, &s[0].calls, 1, WAIT_MS);
        check_reply(&s[0].replies[0], RPCWIRE_OK, "after close");
        seen_clear(&s[0]);
    }
    rpc_client_stats(c, &st);
    assert_int_equal(st.connects, 3);
    /* Ten at once over a pool of two. */
    fk.mode = FAKE_OK;
    memset(s, 0, sizeof s);
    for (i = 0; i < COUNT(s); i++)
        call_ok(c, "eth_chainId", NULL, &s[i]);
    for (i = 0; i < COUNT(s); i++) {
        run_until(base, &s[i].calls, 1, WAIT_MS);
        check_reply(&s[i].replies[0], RPCWIRE_OK, "pooled");
        seen_clear(&s[i]);
    }
    rpc_client_stats(c, &st);
    assert_true(st.connects <= 5);
    assert_int_equal(st.in_flight, 0);
    rpc_client_free(c);
    fake_stop(&fk);
    event_base_free(base);
}

static void test_local_in_flight_bound(void **state)
{
    struct event_base *base = event_base_new();
    struct rpc_options o;
    struct rpc_client *c;
    struct fake fk;
    struct seen s1 = {0}, s2 = {0}, s3 = {0};
    struct fault f;
    char url[128];

    (void)state;
    fake_start(&fk, base, NULL);
    fake_url(&fk, "http", url, sizeof url);
    local_options(&o);
    o.max_in_flight = 2;
    c = client_new(base, url, &o);
    call_ok(c, "eth_chainId", NULL, &s1);
    call_ok(c, "eth_chainId", NULL, &s2);
    fault_clear(&f);
    assert_int_equal(rpc_call(c, "eth_chainId", NULL, seen_done, &s3, &f), -1);
    assert_int_equal(f.kind, FAULT_UNAVAILABLE);
    run_until(base, &s1.calls, 1, WAIT_MS);
    run_until(base, &s2.calls, 1, WAIT_MS);
    call_ok(c, "eth_chainId", NULL, &s3);
    run_until(base, &s3.calls, 1, WAIT_MS);
    check_reply(&s3.replies[0], RPCWIRE_OK, "after the bound");
    rpc_client_free(c);
    fake_stop(&fk);
    event_base_free(base);
    seen_clear(&s1);
    seen_clear(&s2);
    seen_clear(&s3);
}

/* Freed with calls on the wire and in the queue: each told once, at once;
 * and a callback may free the client itself. */
static void test_local_free(void **state)
{
    struct event_base *base = event_base_new();
    struct rpc_options o;
    struct rpc_client *c;
    struct fake fk;
    struct seen s[4], a = {0}, b = {0};
    struct fault f;
    char url[128];
    size_t i;

    (void)state;
    fake_start(&fk, base, NULL);
    fake_url(&fk, "http", url, sizeof url);
    local_options(&o);
    o.timeout_ms = 5000;
    c = client_new(base, url, &o);
    fk.mode = FAKE_SLOW;
    memset(s, 0, sizeof s);
    for (i = 0; i < COUNT(s); i++)
        call_ok(c, "eth_chainId", NULL, &s[i]);
    run_for(base, 100);
    assert_true(fk.requests >= 1);
    for (i = 0; i < COUNT(s); i++)
        assert_int_equal(s[i].calls, 0);
    rpc_client_free(c);
    for (i = 0; i < COUNT(s); i++) {
        assert_int_equal(s[i].calls, 1);
        check_reply(&s[i].replies[0], RPCWIRE_CANCELLED, "freed");
    }
    run_for(base, 100);
    for (i = 0; i < COUNT(s); i++) {
        assert_int_equal(s[i].calls, 1);
        seen_clear(&s[i]);
    }

    fk.mode = FAKE_OK;
    c = client_new(base, url, &o);
    a.free_me = &c;
    call_ok(c, "eth_chainId", NULL, &a);
    call_ok(c, "eth_chainId", NULL, &b);
    run_until(base, &a.calls, 1, WAIT_MS);
    assert_null(c);
    check_reply(&a.replies[0], RPCWIRE_OK, "freeing callback");
    /* b was queued or on the wire when a's callback freed the client. */
    assert_int_equal(b.calls, 1);
    assert_true(b.replies[0].status == RPCWIRE_CANCELLED ||
                b.replies[0].status == RPCWIRE_OK);
    run_for(base, 50);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    seen_clear(&a);
    seen_clear(&b);
    (void)f;
    fake_stop(&fk);
    event_base_free(base);
}

static void test_local_misuse(void **state)
{
    static const char *const bad_urls[] = {
        "ftp://127.0.0.1/", "http://", "not a url", "http://u:p@127.0.0.1/",
        "http://127.0.0.1:0/", "http://127.0.0.1/#frag", "127.0.0.1:8545",
    };
    struct event_base *base = event_base_new();
    struct rpc_client *c = NULL;
    struct rpc_options o;
    struct seen s = {0};
    struct fault f;
    char *longurl;
    json_t *str = json_string("x");
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(bad_urls); i++) {
        fault_clear(&f);
        c = (struct rpc_client *)&c;
        if (rpc_client_new(&c, base, bad_urls[i], NULL, &f) == 0)
            fail_msg("accepted %s", bad_urls[i]);
        assert_null(c);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "rpc_url");
        assert_non_null(strstr(f.detail, "rpc_url"));
    }
    /* A command-line tool has the URL named as its users know it. */
    rpc_options_default(&o);
    o.url_name = "--rpc-url";
    assert_int_equal(rpc_client_new(&c, base, "ftp://127.0.0.1/", &o, &f),
                     -1);
    assert_string_equal(f.field, "--rpc-url");
    assert_non_null(strstr(f.detail, "--rpc-url must start with http://"));
    assert_int_equal(rpc_client_new(&c, base, "http://127.0.0.1:99999/", &o,
                                     &f), -1);
    assert_string_equal(f.field, "--rpc-url");
    assert_non_null(strstr(f.detail, "--rpc-url"));
    longurl = malloc(RPC_URL_MAX + 32);
    memcpy(longurl, "http://127.0.0.1/", 17);
    memset(longurl + 17, 'a', RPC_URL_MAX);
    longurl[RPC_URL_MAX + 17] = '\0';
    assert_int_equal(rpc_client_new(&c, base, longurl, NULL, &f), -1);
    assert_string_equal(f.field, "rpc_url");
    free(longurl);
    rpc_options_default(&o);
    o.max_conns = RPC_CONNS_MAX + 1;
    assert_int_equal(rpc_client_new(&c, base, "http://127.0.0.1:1/", &o, &f),
                     -1);
    assert_string_equal(f.field, "rpc_options");
    rpc_options_default(&o);
    o.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(rpc_client_new(&c, base, "https://127.0.0.1:1/", &o, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "ca_file");
    assert_null(strstr(f.detail, "/nonexistent")); /* paths go to the log */

    c = client_new(base, "http://127.0.0.1:1/secret/key", NULL);
    assert_string_equal(rpc_client_endpoint(c), "http://127.0.0.1:1");
    assert_int_equal(rpc_call(c, "", NULL, seen_done, &s, &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_string_equal(f.field, "method");
    assert_int_equal(rpc_call(c, "a b", NULL, seen_done, &s, &f), -1);
    assert_int_equal(rpc_call(c, "eth_x", str, seen_done, &s, &f), -1);
    assert_string_equal(f.field, "params");
    assert_int_equal(rpc_call(c, "eth_x", NULL, NULL, &s, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
    assert_int_equal(rpc_batch(c, NULL, 0, seen_done, &s, &f), -1);
    run_for(base, 20);
    assert_int_equal(s.calls, 0);
    rpc_client_free(c);
    rpc_client_free(NULL);
    json_decref(str);
    event_base_free(base);
}

/* --- HTTPS with a CA of our own --- */

struct tls_env {
    char *dir;
    char ca[512], good_cert[512], good_key[512], other_cert[512],
        other_key[512];
};

/* Run cmd with the shell. Paths go into it between single quotes, so
 * callers first refuse a path that holds one (tls_setup). */
static int sh(const char *cmd)
{
    int rc = system(cmd);

    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

static int tls_setup(void **state)
{
    struct tls_env *t = calloc(1, sizeof *t);
    char cmd[4096];
    static const char ext_ip[] =
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n";
    static const char ext_other[] =
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:other.example\n";
    char p[512];

    if (t == NULL)
        return -1;
    t->dir = testutil_mkdtemp();
    if (strchr(t->dir, '\'') != NULL || strlen(t->dir) > 400) {
        fprintf(stderr, "TMPDIR holds a single quote or is too long for "
                        "the certificate commands: %s\n", t->dir);
        testutil_rmtree(t->dir);
        free(t);
        return -1;
    }
    snprintf(t->ca, sizeof t->ca, "%s/ca.pem", t->dir);
    snprintf(t->good_cert, sizeof t->good_cert, "%s/good.pem", t->dir);
    snprintf(t->good_key, sizeof t->good_key, "%s/good.key", t->dir);
    snprintf(t->other_cert, sizeof t->other_cert, "%s/other.pem", t->dir);
    snprintf(t->other_key, sizeof t->other_key, "%s/other.key", t->dir);
    snprintf(p, sizeof p, "%s/ip.ext", t->dir);
    if (testutil_write_file(p, ext_ip, strlen(ext_ip)) != 0)
        return -1;
    snprintf(p, sizeof p, "%s/other.ext", t->dir);
    if (testutil_write_file(p, ext_other, strlen(ext_other)) != 0)
        return -1;
    snprintf(cmd, sizeof cmd,
             "cd '%s' && "
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -keyout ca.key -out ca.pem -days 2 "
             "-subj /CN=sluice-test-ca 2>/dev/null && "
             "for n in good other; do "
             "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -keyout $n.key -out $n.csr -subj /CN=sluice-test "
             "2>/dev/null && "
             "openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key "
             "-set_serial 7 -days 2 -out $n.pem "
             "-extfile $( [ $n = good ] && echo ip.ext || echo other.ext ) "
             "2>/dev/null || exit 1; done",
             t->dir);
    if (sh(cmd) != 0) {
        testutil_rmtree(t->dir);
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int tls_teardown(void **state)
{
    struct tls_env *t = *state;

    testutil_rmtree(t->dir);
    free(t);
    return 0;
}

static SSL_CTX *tls_server_ctx(const char *cert, const char *key)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM),
                     1);
    return ctx;
}

static void tls_one(const struct tls_env *t, const char *cert,
                    const char *key, const char *ca, enum rpcwire_status want,
                    const char *detail_has, int calls)
{
    struct event_base *base = event_base_new();
    SSL_CTX *sctx = tls_server_ctx(cert, key);
    struct rpc_options o;
    struct rpc_client *c;
    struct rpc_stats st;
    struct fake fk;
    char url[128];
    int i;

    (void)t;
    fake_start(&fk, base, sctx);
    fake_url(&fk, "https", url, sizeof url);
    local_options(&o);
    o.timeout_ms = 5000;
    o.ca_file = ca;
    c = client_new(base, url, &o);
    for (i = 0; i < calls; i++) {
        struct seen s = {0};

        call_ok(c, "eth_chainId", NULL, &s);
        run_until(base, &s.calls, 1, WAIT_MS);
        check_reply(&s.replies[0], want, "https");
        if (detail_has != NULL &&
            strstr(s.replies[0].fault.detail, detail_has) == NULL)
            fail_msg("detail \"%s\" lacks \"%s\"", s.replies[0].fault.detail,
                     detail_has);
        if (want == RPCWIRE_OK)
            assert_string_equal(json_string_value(s.results[0]), "0x2a");
        seen_clear(&s);
    }
    rpc_client_stats(c, &st);
    if (want == RPCWIRE_OK) {
        assert_int_equal(st.connects, 1); /* kept alive over TLS too */
    } else {
        assert_int_equal(fk.requests, 0); /* nothing went past the handshake */
    }
    rpc_client_free(c);
    fake_stop(&fk);
    event_base_free(base);
    SSL_CTX_free(sctx);
}

static void test_tls_verified_with_ca(void **state)
{
    struct tls_env *t = *state;

    tls_one(t, t->good_cert, t->good_key, t->ca, RPCWIRE_OK, NULL, 5);
}

static void test_tls_refused_without_ca(void **state)
{
    struct tls_env *t = *state;

    tls_one(t, t->good_cert, t->good_key, NULL, RPCWIRE_TLS, "certificate",
            2);
}

static void test_tls_refused_wrong_name(void **state)
{
    struct tls_env *t = *state;

    tls_one(t, t->other_cert, t->other_key, t->ca, RPCWIRE_TLS, "mismatch",
            2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_anvil_chain_id_and_block_number,
                                        anvil_setup, anvil_teardown),
        cmocka_unit_test_setup_teardown(test_anvil_batch, anvil_setup,
                                        anvil_teardown),
        cmocka_unit_test_setup_teardown(test_anvil_blocks, anvil_setup,
                                        anvil_teardown),
        cmocka_unit_test_setup_teardown(test_anvil_receipt, anvil_setup,
                                        anvil_teardown),
        cmocka_unit_test_setup_teardown(test_anvil_unknown_method,
                                        anvil_setup, anvil_teardown),
        cmocka_unit_test_setup_teardown(test_anvil_keepalive, anvil_setup,
                                        anvil_teardown),
        cmocka_unit_test_setup_teardown(test_anvil_free_cancels, anvil_setup,
                                        anvil_teardown),
        cmocka_unit_test(test_local_single_cases),
        cmocka_unit_test(test_local_batch_cases),
        cmocka_unit_test(test_local_refused),
        cmocka_unit_test(test_local_connection_close_and_pool),
        cmocka_unit_test(test_local_in_flight_bound),
        cmocka_unit_test(test_local_free),
        cmocka_unit_test(test_local_misuse),
        cmocka_unit_test_setup_teardown(test_tls_verified_with_ca, tls_setup,
                                        tls_teardown),
        cmocka_unit_test_setup_teardown(test_tls_refused_without_ca,
                                        tls_setup, tls_teardown),
        cmocka_unit_test_setup_teardown(test_tls_refused_wrong_name,
                                        tls_setup, tls_teardown),
    };

    signal(SIGPIPE, SIG_IGN);
    log_set_level(getenv("SLUICE_TEST_LOG") ? LOG_DEBUG : LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
