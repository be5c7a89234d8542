/* Unit tests for client/api.c against a scripted server: what a signed
 * request carries verifies as DESIGN.md 3.1 says (target with the URL's
 * prefix, body hash, timestamp, nonce, address), a 409 with Retry-After is
 * retried with the same nonce, and error answers become faults with the
 * gateway's detail and field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/api.h"
#include "lib/reqsig.h"
#include "tests/support/httpstub.h"

static const uint8_t secret[32] = {
    0x4c, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d, 0x62, 0x31, 0x47,
    0x1b, 0x5d, 0xbb, 0x62, 0x04, 0xfe, 0x51, 0x29, 0x61, 0x70, 0x82,
    0x79, 0x2a, 0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x18,
};

static void api_for(struct api *a, uint16_t port, const char *prefix,
                    const struct ethkey *key)
{
    char url[128];
    struct fault f;

    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port,
             prefix);
    assert_int_equal(api_init(a, url, key, &f), 0);
    a->http.conn.timeout_ms = 5000;
}

/* Check that req is signed by key as 3.1 says; return its nonce. */
static void check_signed(const struct httpstub_req *req,
                         const struct ethkey *key, char nonce[80])
{
    char ts[32], sig[160], addr[64], want[ETHADDR_TEXT_SIZE];
    struct ethaddr signer;
    struct fault f;
    char *msg = NULL;
    size_t len = 0, i;
    int64_t when;

    assert_non_null(httpstub_header(req, REQSIG_HEADER_TIMESTAMP, ts,
                                    sizeof ts));
    assert_non_null(httpstub_header(req, REQSIG_HEADER_NONCE, nonce, 80));
    assert_non_null(httpstub_header(req, REQSIG_HEADER_SIGNATURE, sig,
                                    sizeof sig));
    assert_non_null(httpstub_header(req, REQSIG_HEADER_ADDRESS, addr,
                                    sizeof addr));
    assert_int_equal(reqsig_check_timestamp(&when, ts, strlen(ts),
                                            (int64_t)time(NULL), &f),
                     0);
    assert_int_equal(strlen(nonce), API_NONCE_LEN);
    for (i = 0; nonce[i] != '\0'; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                               "qrstuvwxyz0123456789",
                               nonce[i]));
    assert_int_equal(reqsig_message(&msg, &len, req->method, req->target,
                                    strlen(req->target), req->body,
                                    req->body_len, ts, nonce, &f),
                     0);
    assert_int_equal(reqsig_verify(NULL, &signer, sig, strlen(sig), msg, len,
                                   &f),
                     0);
    free(msg);
    assert_true(ethaddr_equal(&signer, &key->addr));
    ethaddr_to_text(want, &key->addr);
    assert_string_equal(addr, want);
}

static void test_signed_request(void **state)
{
    static const struct httpstub_step steps[] = {
        {"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
         "Content-Length: 14\r\n\r\n{\"id\":\"0x01\"}\n",
         0, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0, 0},
    };
    static const char body[] = "{\"name\":\"n\",\"format\":\"csv\"}";
    struct httpstub s;
    struct ethkey key;
    struct api a;
    struct api_call call;
    struct fault f;
    json_t *doc;
    char n1[80], n2[80], n3[80], ct[64];
    int status;

    (void)state;
    assert_int_equal(ethkey_from_secret(&key, secret, &f), 0);
    httpstub_start(&s, steps, 3);
    api_for(&a, s.port, "/pre", &key);
    memset(&call, 0, sizeof call);
    call.method = "POST";
    call.path = "/v1/datasets";
    call.body = (const uint8_t *)body;
    call.body_len = strlen(body);
    call.content_type = "application/json";
    call.sign = 1;
    assert_int_equal(api_request(&a, &doc, &status, &call, &f), 0);
    assert_int_equal(status, 201);
    assert_string_equal(json_string_value(json_object_get(doc, "id")), "0x01");
    json_decref(doc);
    /* A GET with a query, signed: the query is part of what is signed. */
    memset(&call, 0, sizeof call);
    call.method = "GET";
    call.path = "/v1/datasets/0x01/parts?x=a%20b&";
    call.sign = 1;
    assert_int_equal(api_request(&a, &doc, &status, &call, &f), 0);
    json_decref(doc);
    /* The same call again: a fresh nonce. */
    memset(call.nonce, 0, sizeof call.nonce);
    assert_int_equal(api_request(&a, &doc, &status, &call, &f), 0);
    json_decref(doc);
    api_close(&a);
    httpstub_wait(&s);
    assert_int_equal(s.nreqs, 3);
    assert_string_equal(s.reqs[0].target, "/pre/v1/datasets");
    assert_non_null(httpstub_header(&s.reqs[0], "Content-Type", ct,
                                    sizeof ct));
    assert_string_equal(ct, "application/json");
    check_signed(&s.reqs[0], &key, n1);
    assert_string_equal(s.reqs[1].target,
                        "/pre/v1/datasets/0x01/parts?x=a%20b&");
    check_signed(&s.reqs[1], &key, n2);
    check_signed(&s.reqs[2], &key, n3);
    assert_string_not_equal(n1, n2);
    assert_string_not_equal(n2, n3);
    httpstub_free(&s);
    ethkey_wipe(&key);
}

/* 409 + Retry-After: the same nonce again, after the pause. */
static void test_retry_same_nonce(void **state)
{
    static const struct httpstub_step steps[] = {
        {"HTTP/1.1 409 Conflict\r\nRetry-After: 1\r\n"
         "Content-Type: application/problem+json\r\nContent-Length: 2\r\n"
         "\r\n{}",
         0, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"n\":1}   ", 0, 0},
    };
    struct httpstub s;
    struct ethkey key;
    struct api a;
    struct api_call call;
    struct fault f;
    json_t *doc;
    char n1[80], n2[80];
    int status;

    (void)state;
    assert_int_equal(ethkey_from_secret(&key, secret, &f), 0);
    httpstub_start(&s, steps, 2);
    api_for(&a, s.port, "", &key);
    memset(&call, 0, sizeof call);
    call.method = "PUT";
    call.path = "/v1/datasets/0x01/parts/1";
    call.body = (const uint8_t *)"abc";
    call.body_len = 3;
    call.sign = 1;
    assert_int_equal(api_request(&a, &doc, &status, &call, &f), 0);
    assert_int_equal(status, 200);
    assert_int_equal(json_integer_value(json_object_get(doc, "n")), 1);
    json_decref(doc);
    api_close(&a);
    httpstub_wait(&s);
    assert_int_equal(s.nreqs, 2);
    check_signed(&s.reqs[0], &key, n1);
    check_signed(&s.reqs[1], &key, n2);
    assert_string_equal(n1, n2);
    assert_string_equal(call.nonce, n1); /* handed back for later retries */
    httpstub_free(&s);
    ethkey_wipe(&key);
}

static void test_errors(void **state)
{
    static const struct httpstub_step steps[] = {
        {"HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json"
         "\r\nContent-Length: 113\r\n\r\n"
         "{\"type\":\"urn:sluice:problem:not-found\",\"title\":\"Not found\","
         "\"status\":404,\"detail\":\"no such data-set\",\"field\":\"id\"}",
         0, 0},
        {"HTTP/1.1 409 Conflict\r\nContent-Length: 72\r\n\r\n"
         "{\"title\":\"Conflict\",\"status\":409,\"detail\":\"set a price\\u001b"
         "[31m first\"}",
         0, 0},
        {"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n"
         "Content-Length: 11\r\n\r\nproxy error",
         0, 0},
        {"HTTP/1.1 413 Too Large\r\nContent-Type: text/html\r\n"
         "Content-Length: 13\r\n\r\n<html></html>",
         0, 0},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 0},
        {"HTTP/1.1 204 No Content\r\n\r\n", 0, 0},
    };
    static const struct {
        int status;
        enum fault_kind kind;
        const char *detail;
    } want[] = {
        {404, FAULT_NOT_FOUND,
         "the gateway answered 404 Not found: no such data-set (field: id)"},
        {409, FAULT_CONFLICT,
         "the gateway answered 409 Conflict: set a price [31m first"},
        {502, FAULT_UNAVAILABLE,
         "the gateway answered 502 Bad Gateway: proxy error"},
        {413, FAULT_TOO_LARGE, "the gateway answered 413 Too Large"},
        {200, FAULT_CORRUPT, NULL},
    };
    struct httpstub s;
    struct api a;
    struct api_call call;
    struct fault f;
    json_t *doc;
    size_t i;
    int status;

    (void)state;
    httpstub_start(&s, steps, 6);
    api_for(&a, s.port, "", NULL);
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        memset(&call, 0, sizeof call);
        call.method = "GET";
        call.path = "/v1/x";
        fault_clear(&f);
        doc = (json_t *)&f;
        assert_int_equal(api_request(&a, &doc, &status, &call, &f), -1);
        assert_null(doc);
        assert_int_equal(status, want[i].status);
        assert_int_equal(f.kind, want[i].kind);
        if (want[i].detail != NULL)
            assert_string_equal(f.detail, want[i].detail);
    }
    /* 204: success with no document. */
    assert_int_equal(api_request(&a, &doc, &status, &call, &f), 0);
    assert_int_equal(status, 204);
    assert_null(doc);
    api_close(&a);
    httpstub_wait(&s);
    /* Unsigned: no signature headers. */
    {
        char v[64];
        assert_null(httpstub_header(&s.reqs[0], REQSIG_HEADER_SIGNATURE, v,
                                    sizeof v));
        assert_null(httpstub_header(&s.reqs[0], REQSIG_HEADER_NONCE, v,
                                    sizeof v));
    }
    httpstub_free(&s);
    /* Signing without a key is a bug of the caller. */
    api_for(&a, 9, "", NULL);
    memset(&call, 0, sizeof call);
    call.method = "POST";
    call.path = "/v1/x";
    call.sign = 1;
    assert_int_equal(api_request(&a, &doc, &status, &call, &f), -1);
    assert_int_equal(f.kind, FAULT_INTERNAL);
}

static void test_nonce(void **state)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char n[API_NONCE_LEN + 1], prev[API_NONCE_LEN + 1] = "";
    unsigned seen[62] = {0};
    struct fault f;
    size_t i, k;

    (void)state;
    for (i = 0; i < 200; i++) {
        assert_int_equal(api_new_nonce(n, &f), 0);
        assert_int_equal(strlen(n), API_NONCE_LEN);
        assert_int_equal(reqsig_check_nonce(n, strlen(n), &f), 0);
        for (k = 0; k < API_NONCE_LEN; k++) {
            const char *p = strchr(alphabet, n[k]);
            assert_non_null(p);
            seen[p - alphabet]++;
        }
        assert_string_not_equal(n, prev);
        memcpy(prev, n, sizeof n);
    }
    /* 6400 draws over 62 characters: every one turns up. */
    for (k = 0; k < 62; k++)
        assert_true(seen[k] > 0);
}

static void test_status_kind(void **state)
{
    (void)state;
    assert_int_equal(api_status_kind(400), FAULT_INVALID);
    assert_int_equal(api_status_kind(401), FAULT_UNAUTHORIZED);
    assert_int_equal(api_status_kind(402), FAULT_PAYMENT);
    assert_int_equal(api_status_kind(403), FAULT_FORBIDDEN);
    assert_int_equal(api_status_kind(404), FAULT_NOT_FOUND);
    assert_int_equal(api_status_kind(409), FAULT_CONFLICT);
    assert_int_equal(api_status_kind(413), FAULT_TOO_LARGE);
    assert_int_equal(api_status_kind(429), FAULT_RATE_LIMITED);
    assert_int_equal(api_status_kind(500), FAULT_UNAVAILABLE);
    assert_int_equal(api_status_kind(503), FAULT_UNAVAILABLE);
    assert_int_equal(api_status_kind(418), FAULT_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_request),
        cmocka_unit_test(test_retry_same_nonce),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nonce),
        cmocka_unit_test(test_status_kind),
    };

    /* Sockets and threads: a bug must fail the run, never hang it. */
    alarm(120);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
