/* In-process HTTP tests of request signatures at the door
 * (gateway/auth.c, and the gate's check of the headers before a body is
 * read): a table of signed requests, each tampered with in one way, and
 * the status and field each must get; replays of the same request and
 * reuse of a nonce for another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/ethaddr.h"
#include "tests/support/gwtest.h"

#define BODY "{\"name\":\"auth\",\"format\":\"csv\"}"

static int setup(void **state)
{
    static struct gwtest t;

    gwtest_start(&t, NULL);
    *state = &t;
    return 0;
}

static int teardown(void **state)
{
    gwtest_stop(*state);
    return 0;
}

static void want_field(const struct gwtest_resp *r, int status,
                       const char *field, const char *what)
{
    json_t *doc;
    const char *got;

    if (r->status != status)
        fail_msg("%s: %d %s, want %d", what, r->status, r->body, status);
    if (field == NULL)
        return;
    doc = json_loads(r->body, 0, NULL);
    got = doc ? json_string_value(json_object_get(doc, "field")) : NULL;
    if (got == NULL || strcmp(got, field) != 0)
        fail_msg("%s: field %s, want %s (%s)", what, got ? got : "(none)",
                 field, r->body);
    json_decref(doc);
}

static void test_tampering(void **state)
{
    struct gwtest *t = *state;
    struct ethkey k;
    char now[24], stale[24], future[24], edge[24], addr[64], lower[64];
    char extra[256];
    struct gwtest_resp r;
    size_t i;

    gwtest_key(&k, 7);
    snprintf(now, sizeof now, "%lld", (long long)time(NULL));
    snprintf(stale, sizeof stale, "%lld", (long long)time(NULL) - 330);
    snprintf(future, sizeof future, "%lld", (long long)time(NULL) + 330);
    snprintf(edge, sizeof edge, "%lld", (long long)time(NULL) - 290);
    ethaddr_to_text(addr, &k.addr);
    for (i = 0; addr[i] != '\0'; i++)
        lower[i] = (char)(addr[i] >= 'A' && addr[i] <= 'F' ? addr[i] + 32
                                                           : addr[i]);
    lower[i] = '\0';
    {
        struct {
            const char *what;
            struct gwtest_sig s;
            int status;
            const char *field;
        } cases[] = {
            {"valid", {0}, 201, NULL},
            {"timestamp 290 s old", {.timestamp = edge}, 201, NULL},
            {"no timestamp", {.omit = "X-Sluice-Timestamp"}, 401,
             "X-Sluice-Timestamp"},
            {"no nonce", {.omit = "X-Sluice-Nonce"}, 401, "X-Sluice-Nonce"},
            {"no signature", {.omit = "X-Sluice-Signature"}, 401,
             "X-Sluice-Signature"},
            {"stale", {.timestamp = stale}, 401, "X-Sluice-Timestamp"},
            {"future", {.timestamp = future}, 401, "X-Sluice-Timestamp"},
            {"leading zero", {.timestamp = "01700000000"}, 401,
             "X-Sluice-Timestamp"},
            {"signed number", {.timestamp = "+1700000000"}, 401,
             "X-Sluice-Timestamp"},
            {"short nonce", {.nonce = "abcdefghijklmno"}, 401,
             "X-Sluice-Nonce"},
            {"long nonce",
             {.nonce = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
             401, "X-Sluice-Nonce"},
            {"nonce with a dot", {.nonce = "abcdefghijklmnop."}, 401,
             "X-Sluice-Nonce"},
            {"signature without 0x", {.signature = "1234"}, 401,
             "X-Sluice-Signature"},
            {"signature too short", {.signature = "0x1234"}, 401,
             "X-Sluice-Signature"},
            {"signature not hex",
             {.signature = "0xzz11111111111111111111111111111111111111111111"
                           "11111111111111111111111111111111111111111111111"
                           "1111111111111111111111111111111111111111"},
             401, "X-Sluice-Signature"},
            {"high-s", {.high_s = 1}, 401, "X-Sluice-Signature"},
            {"signature over another body, address given",
             {.sign_body = "{}", .extra = NULL}, 201, NULL},
            {"gzip", {.extra = "Content-Encoding: gzip\r\n"}, 400,
             "Content-Encoding"},
            {"identity", {.extra = "Content-Encoding: identity\r\n"}, 201,
             NULL},
            {"nonce twice", {.extra = "X-Sluice-Nonce: abcdefghijklmnopqrs\r\n"},
             401, "X-Sluice-Nonce"},
        };

        for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            gwtest_signed(t, &k, "POST", "/v1/datasets", BODY, &cases[i].s,
                          &r);
            want_field(&r, cases[i].status, cases[i].field, cases[i].what);
            gwtest_resp_clear(&r);
        }
    }
    /* X-Sluice-Address: the signer's, in checksum or lower case, passes;
     * with a signature over another body the signer differs: refused. */
    snprintf(extra, sizeof extra, "X-Sluice-Address: %s\r\n", addr);
    {
        struct gwtest_sig s = {.extra = extra};
        gwtest_signed(t, &k, "POST", "/v1/datasets", BODY, &s, &r);
        want_field(&r, 201, NULL, "address given");
        gwtest_resp_clear(&r);
        s = (struct gwtest_sig){.extra = extra, .sign_body = "{}"};
        gwtest_signed(t, &k, "POST", "/v1/datasets", BODY, &s, &r);
        want_field(&r, 401, "X-Sluice-Address", "address of another signer");
        gwtest_resp_clear(&r);
    }
    snprintf(extra, sizeof extra, "X-Sluice-Address: %s\r\n", lower);
    {
        struct gwtest_sig s = {.extra = extra};
        gwtest_signed(t, &k, "POST", "/v1/datasets", BODY, &s, &r);
        want_field(&r, 201, NULL, "address in lower case");
        gwtest_resp_clear(&r);
    }
    /* A bad checksum (one letter's case flipped). */
    for (i = 2; addr[i] != '\0'; i++) {
        if ((addr[i] >= 'a' && addr[i] <= 'f') ||
            (addr[i] >= 'A' && addr[i] <= 'F')) {
            addr[i] ^= 0x20;
            break;
        }
    }
    snprintf(extra, sizeof extra, "X-Sluice-Address: %s\r\n", addr);
    {
        struct gwtest_sig s = {.extra = extra};
        gwtest_signed(t, &k, "POST", "/v1/datasets", BODY, &s, &r);
        want_field(&r, 401, "X-Sluice-Address", "address, bad checksum");
        gwtest_resp_clear(&r);
    }
    (void)now;
    ethkey_wipe(&k);
}

/* The same request again gets the first answer, byte for byte; another
 * request under the same nonce is 409. */
static void test_replay(void **state)
{
    struct gwtest *t = *state;
    struct gwtest_sig s = {0};
    struct gwtest_resp a, b;
    struct ethkey k;
    char nonce[130];

    gwtest_key(&k, 9);
    gwtest_signed(t, &k, "POST", "/v1/datasets", BODY, &s, &a);
    want_field(&a, 201, NULL, "first");
    snprintf(nonce, sizeof nonce, "%s", s.used_nonce);
    s = (struct gwtest_sig){.nonce = nonce};
    gwtest_signed(t, &k, "POST", "/v1/datasets", BODY, &s, &b);
    want_field(&b, 201, NULL, "replay");
    assert_int_equal(a.body_len, b.body_len);
    assert_memory_equal(a.body, b.body, a.body_len);
    gwtest_resp_clear(&b);
    gwtest_signed(t, &k, "POST", "/v1/datasets",
                  "{\"name\":\"other\",\"format\":\"csv\"}", &s, &b);
    want_field(&b, 409, "X-Sluice-Nonce", "nonce reused");
    gwtest_resp_clear(&a);
    gwtest_resp_clear(&b);
    ethkey_wipe(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tampering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
