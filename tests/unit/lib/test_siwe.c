/* Unit tests for lib/siwe.c: EIP-4361 messages read strictly (a table of
 * messages, each broken in one way, and the field each refusal names),
 * RFC 3339 times against Python's datetime, the relying party's checks in
 * their order, and a signature made by Foundry's `cast wallet sign`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ethkey.h"
#include "lib/ethsig.h"
#include "lib/hex.h"
#include "lib/siwe.h"

#define ADDR "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define HEAD "localhost:8080 wants you to sign in with your Ethereum account:\n"
#define NONCE "Abcdefgh12345678Abcdefgh12345678"
#define TAIL                                                                 \
    "URI: http://localhost:8080/\nVersion: 1\nChain ID: 31337\n"            \
    "Nonce: " NONCE "\nIssued At: 2025-11-26T00:00:00Z"
#define EXP "\nExpiration Time: 2025-11-27T00:00:00.5Z"

/* Signed with Anvil's first key by
 * `cast wallet sign --private-key 0xac09...ff80 "$(cat vector)"`. */
#define VECTOR HEAD ADDR "\n\nSign in to sluice.\n\n" TAIL EXP
#define VECTOR_SIG                                                           \
    "0xcbd1008e5587f5914f80305de753429e9fe1a1cf0911ae0fb18acc79cf0c952c661c" \
    "c546c320e4e5f7759d9519f6bbd7ac42da92412b228159080a4fd98516031b"

static void test_parse_vector(void **state)
{
    struct siwe_message m;
    struct fault f;
    char addr[ETHADDR_TEXT_SIZE];

    (void)state;
    assert_int_equal(siwe_parse(&m, VECTOR, strlen(VECTOR), &f), 0);
    assert_string_equal(m.scheme, "");
    assert_string_equal(m.domain, "localhost:8080");
    ethaddr_to_text(addr, &m.address);
    assert_string_equal(addr, ADDR);
    assert_string_equal(m.uri_scheme, "http");
    assert_int_equal(m.uri_has_authority, 1);
    assert_string_equal(m.uri_authority, "localhost:8080");
    assert_string_equal(m.version, "1");
    assert_true(m.chain_id == 31337);
    assert_string_equal(m.nonce, NONCE);
    assert_true(m.issued_at_ms == 1764115200000LL);
    assert_int_equal(m.has_expiration_time, 1);
    assert_true(m.expiration_time_ms == 1764201600500LL);
    assert_true(siwe_expires(&m) == 1764201600LL);
    assert_int_equal(m.has_not_before, 0);
    assert_int_equal(siwe_verify(&m, VECTOR, strlen(VECTOR), VECTOR_SIG,
                                 strlen(VECTOR_SIG), &f),
                     0);
}

/* Messages that parse: every optional part, in its place. */
static void test_parse_ok(void **state)
{
    static const char *const ok[] = {
        /* no statement: address, blank line, blank line, URI */
        HEAD ADDR "\n\n\n" TAIL,
        HEAD ADDR "\n\nA statement: with reserved chars !$&'()*+,;=/?#[]@ "
                  "and unreserved -._~\n\n" TAIL EXP,
        "https://example.com wants you to sign in with your Ethereum "
        "account:\n" ADDR "\n\n\n" TAIL,
        "[::1]:443 wants you to sign in with your Ethereum account:\n"
        ADDR "\n\n\n" TAIL,
        "user:pw@example.com wants you to sign in with your Ethereum "
        "account:\n" ADDR "\n\n\n" TAIL,
        HEAD "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\n\n\n" TAIL,
        HEAD ADDR "\n\n\n" TAIL EXP "\nNot Before: 2025-11-26T00:00:00+02:00"
                  "\nRequest ID: abc%20-@:\nResources:\n- https://a.b/c?d#e"
                  "\n- urn:x:y",
        HEAD ADDR "\n\n\n" TAIL "\nRequest ID: ",
        HEAD ADDR "\n\n\n" TAIL "\nResources:",
        HEAD ADDR "\n\n\nURI: http://localhost:8080/a%2Fb?c=d#frag\n"
                  "Version: 1\nChain ID: 1\nNonce: abcdefgh\n"
                  "Issued At: 2025-11-26t00:00:00.123456789z",
        HEAD ADDR "\n\n\nURI: urn:sluice\nVersion: 1\nChain ID: 0\n"
                  "Nonce: abcdefgh\nIssued At: 2025-11-26T00:00:00Z",
    };
    struct siwe_message m;
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (siwe_parse(&m, ok[i], strlen(ok[i]), &f) != 0)
            fail_msg("case %zu: %s: %s", i, f.field, f.detail);
    assert_int_equal(siwe_parse(&m, ok[2], strlen(ok[2]), &f), 0);
    assert_string_equal(m.scheme, "https");
    assert_string_equal(m.domain, "example.com");
    assert_int_equal(siwe_parse(&m, ok[10], strlen(ok[10]), &f), 0);
    assert_int_equal(m.uri_has_authority, 0);
}

/* Messages that do not parse, and the field each names. */
static void test_parse_refused(void **state)
{
    static const struct {
        const char *text;
        const char *field;
    } bad[] = {
        {"", "message"},
        {HEAD ADDR "\n\n\n" TAIL "\n", "message"},
        {"localhost:8080 wants you to sign in with your Ethereum "
         "account:\r\n" ADDR "\n\n\n" TAIL, "message"},
        {HEAD ADDR "\n\n\n" TAIL "\nExpiration Time: 2025-11-27T00:00:00Z\t",
         "message"},
        {HEAD ADDR "\n\nstatement \xc3\xa9\n\n" TAIL, "message"},
        {"localhost wants you to sign in with your ethereum account:\n" ADDR
         "\n\n\n" TAIL, "message"},
        {" wants you to sign in with your Ethereum account:\n" ADDR "\n\n\n"
         TAIL, "domain"},
        {"local host wants you to sign in with your Ethereum account:\n" ADDR
         "\n\n\n" TAIL, "domain"},
        {"localhost: wants you to sign in with your Ethereum account:\n" ADDR
         "\n\n\n" TAIL, "domain"},
        {"localhost:123456 wants you to sign in with your Ethereum "
         "account:\n" ADDR "\n\n\n" TAIL, "domain"},
        {"a/b wants you to sign in with your Ethereum account:\n" ADDR
         "\n\n\n" TAIL, "domain"},
        {"[::1 wants you to sign in with your Ethereum account:\n" ADDR
         "\n\n\n" TAIL, "domain"},
        {"1http://localhost wants you to sign in with your Ethereum "
         "account:\n" ADDR "\n\n\n" TAIL, "scheme"},
        {"localhost wants you to sign in with your Ethereum account:",
         "address"},
        {HEAD "\n\n\n" TAIL, "address"},
        {HEAD "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267\n\n\n" TAIL,
         "address"},
        {HEAD "0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266\n\n\n" TAIL,
         "address"},
        {HEAD "f39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n\n\n" TAIL,
         "address"},
        {HEAD ADDR "\nstatement\n\n" TAIL, "message"},
        {HEAD ADDR "\n\nstatement\n" TAIL, "message"},
        {HEAD ADDR "\n\nstate\"ment\n\n" TAIL, "statement"},
        {HEAD ADDR "\n\n\n\n" TAIL, "uri"},
        {HEAD ADDR "\n\n\nVersion: 1", "uri"},
        {HEAD ADDR "\n\nstatement", "message"},
        {HEAD ADDR "\n\n\nURI: http://local host/\nVersion: 1", "uri"},
        {HEAD ADDR "\n\n\nURI: http://localhost/%zz\nVersion: 1", "uri"},
        {HEAD ADDR "\n\n\nURI: /relative\nVersion: 1", "uri"},
        {HEAD ADDR "\n\n\nURI: http://localhost/#a#b\nVersion: 1", "uri"},
        {HEAD ADDR "\n\n\nURI:  http://localhost/\nVersion: 1", "uri"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: one", "version"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: ", "version"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nChain ID: 1", "version"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: 1\nChain ID: 01",
         "chain_id"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: 1\nChain ID: "
                   "18446744073709551616", "chain_id"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: 1\nChain ID: -1",
         "chain_id"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: 1\nChain ID: 1\n"
                   "Nonce: short", "nonce"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: 1\nChain ID: 1\n"
                   "Nonce: abcdefgh_", "nonce"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: 1\nChain ID: 1\n"
                   "Nonce: abcdefgh", "issued_at"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: 1\nChain ID: 1\n"
                   "Nonce: abcdefgh\nIssued At: 2025-11-26 00:00:00Z",
         "issued_at"},
        {HEAD ADDR "\n\n\nURI: http://localhost/\nVersion: 1\nChain ID: 1\n"
                   "Nonce: abcdefgh\nIssued At: 2025-02-29T00:00:00Z",
         "issued_at"},
        {HEAD ADDR "\n\n\n" TAIL "\nExpiration Time: 2025-11-27T24:00:00Z",
         "expiration_time"},
        {HEAD ADDR "\n\n\n" TAIL "\nExpiration Time: 2025-11-27T00:00:00",
         "expiration_time"},
        {HEAD ADDR "\n\n\n" TAIL "\nExpiration Time: 2025-11-27T00:00:00.Z",
         "expiration_time"},
        {HEAD ADDR "\n\n\n" TAIL "\nNot Before: 2025-11-27T00:00:00+24:00",
         "not_before"},
        {HEAD ADDR "\n\n\n" TAIL "\nNot Before: 2025-11-27T00:00:00Z" EXP,
         "expiration_time"},
        {HEAD ADDR "\n\n\n" TAIL EXP EXP, "expiration_time"},
        {HEAD ADDR "\n\n\n" TAIL "\nRequest ID: a b", "request_id"},
        {HEAD ADDR "\n\n\n" TAIL "\nResources: x", "resources"},
        {HEAD ADDR "\n\n\n" TAIL "\nResources:\n-https://a", "resources"},
        {HEAD ADDR "\n\n\n" TAIL "\nResources:\n- not a uri", "resources"},
        {HEAD ADDR "\n\n\n" TAIL "\nFoo: bar", "message"},
        {HEAD ADDR "\n\n\n" TAIL "\n", "message"},
    };
    struct siwe_message m;
    struct fault f;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fault_clear(&f);
        if (siwe_parse(&m, bad[i].text, strlen(bad[i].text), &f) == 0)
            fail_msg("case %zu parsed: %s", i, bad[i].text);
        if (f.kind != FAULT_INVALID || strcmp(f.field, bad[i].field) != 0)
            fail_msg("case %zu: field %s, want %s (%s)", i, f.field,
                     bad[i].field, f.detail);
        /* Outputs are cleared on failure. */
        assert_string_equal(m.domain, "");
        assert_true(m.chain_id == 0);
    }
}

static void test_time(void **state)
{
    /* Expected values from Python's datetime.fromisoformat. */
    static const struct {
        const char *text;
        int64_t ms;
    } ok[] = {
        {"2025-11-26T00:00:00Z", 1764115200000LL},
        {"2025-11-27T00:00:00.5Z", 1764201600500LL},
        {"2024-02-29T23:59:59.999+01:30", 1709245799999LL},
        {"1970-01-01T00:00:00-00:00", 0},
        {"2000-03-01T12:34:56.123456789Z", 951914096123LL},
        {"1969-12-31T23:59:59Z", -1000},
        {"9999-12-31T23:59:59Z", 253402300799000LL},
        {"2021-09-30T16:25:24Z", 1633019124000LL},
    };
    static const char *const bad[] = {
        "", "2025-11-26", "2025-11-26T00:00:00", "2025-13-01T00:00:00Z",
        "2025-00-01T00:00:00Z", "2025-04-31T00:00:00Z", "2100-02-29T00:00:00Z",
        "2025-11-26T00:60:00Z", "2025-11-26T00:00:61Z", "2025-11-26T00:00:00+0100",
        "2025-11-26T00:00:00Z ", "+2025-11-26T00:00:00Z", "2025-11-26T0:00:00Z",
    };
    struct fault f;
    int64_t ms;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (siwe_parse_time(&ms, ok[i].text, strlen(ok[i].text), "t", &f) != 0)
            fail_msg("%s: %s", ok[i].text, f.detail);
        if (ms != ok[i].ms)
            fail_msg("%s: %lld, want %lld", ok[i].text, (long long)ms,
                     (long long)ok[i].ms);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fault_clear(&f);
        assert_int_equal(
            siwe_parse_time(&ms, bad[i], strlen(bad[i]), "t", &f), -1);
        assert_int_equal(f.kind, FAULT_INVALID);
        assert_string_equal(f.field, "t");
        assert_true(ms == 0);
    }
}

/* A valid message at time now, for the checks. */
static void good(struct siwe_message *m, int64_t now_ms)
{
    struct fault f;

    assert_int_equal(siwe_parse(m, VECTOR, strlen(VECTOR), &f), 0);
    m->issued_at_ms = now_ms - 1000;
    m->expiration_time_ms = now_ms + 3600 * 1000;
}

static void test_check(void **state)
{
    const int64_t now = 1764115200000LL;
    const struct siwe_expect e = {"http", "localhost:8080", 31337, now};
    struct siwe_message m;
    struct siwe_expect x;
    struct fault f;

    (void)state;
    good(&m, now);
    assert_int_equal(siwe_check(&m, &e, &f), 0);
    /* Host compared without regard to ASCII case, port included. */
    x = e;
    x.authority = "LocalHost:8080";
    assert_int_equal(siwe_check(&m, &x, &f), 0);

#define REFUSED(what, field_)                                                \
    do {                                                                     \
        fault_clear(&f);                                                     \
        if (siwe_check(&m, &x, &f) == 0)                                     \
            fail_msg("%s passed", what);                                     \
        assert_int_equal(f.kind, FAULT_UNAUTHORIZED);                        \
        if (strcmp(f.field, field_) != 0)                                    \
            fail_msg("%s: field %s, want %s", what, f.field, field_);        \
    } while (0)

    x = e;
    x.authority = "localhost:8081";
    REFUSED("another port", "domain");
    x.authority = "localhost";
    REFUSED("no port", "domain");
    x.authority = NULL;
    REFUSED("no Host", "domain");
    x = e;
    snprintf(m.scheme, sizeof m.scheme, "https");
    REFUSED("https in the first line, gateway http", "scheme");
    snprintf(m.scheme, sizeof m.scheme, "HTTP");
    assert_int_equal(siwe_check(&m, &x, &f), 0);
    good(&m, now);
    x.scheme = "https";
    REFUSED("URI http, gateway https", "uri");
    x = e;
    snprintf(m.uri_authority, sizeof m.uri_authority, "localhost:8081");
    REFUSED("URI of another authority", "uri");
    good(&m, now);
    m.uri_has_authority = 0;
    REFUSED("URI without authority", "uri");
    good(&m, now);
    snprintf(m.version, sizeof m.version, "2");
    REFUSED("version 2", "version");
    snprintf(m.version, sizeof m.version, "01");
    REFUSED("version 01", "version");
    good(&m, now);
    x.chain_id = 1;
    REFUSED("another chain", "chain_id");
    x.chain_id = 0;
    REFUSED("no chain", "chain_id");
    x = e;
    m.has_expiration_time = 0;
    REFUSED("no expiration", "expiration_time");
    good(&m, now);
    m.expiration_time_ms = now;
    REFUSED("expires now", "expiration_time");
    m.expiration_time_ms = now + 999;
    REFUSED("expires within this second", "expiration_time");
    m.expiration_time_ms = now + 1000;
    assert_int_equal(siwe_check(&m, &x, &f), 0);
    m.expiration_time_ms = now + 86400 * 1000LL;
    assert_int_equal(siwe_check(&m, &x, &f), 0);
    m.expiration_time_ms = now + 86400 * 1000LL + 1;
    REFUSED("24 h and a millisecond", "expiration_time");
    good(&m, now);
    m.issued_at_ms = now + 300 * 1000;
    assert_int_equal(siwe_check(&m, &x, &f), 0);
    m.issued_at_ms = now + 300 * 1000 + 1;
    REFUSED("issued in the future", "issued_at");
    good(&m, now);
    m.has_not_before = 1;
    m.not_before_ms = now;
    assert_int_equal(siwe_check(&m, &x, &f), 0);
    m.not_before_ms = now + 1;
    REFUSED("not yet", "not_before");
#undef REFUSED
}

static void test_verify(void **state)
{
    struct siwe_message m;
    struct ethkey k;
    struct fault f;
    uint8_t secret[32], sig[ETHSIG_LEN];
    char text[ETHSIG_TEXT_SIZE];

    (void)state;
    assert_int_equal(siwe_parse(&m, VECTOR, strlen(VECTOR), &f), 0);
    /* The signature of another message. */
    fault_clear(&f);
    assert_int_equal(siwe_verify(&m, VECTOR, strlen(VECTOR) - 1, VECTOR_SIG,
                                 strlen(VECTOR_SIG), &f),
                     -1);
    assert_int_equal(f.kind, FAULT_UNAUTHORIZED);
    assert_string_equal(f.field, "address");
    fault_clear(&f);
    assert_int_equal(siwe_verify(&m, VECTOR, strlen(VECTOR), "0x1234", 6, &f),
                     -1);
    assert_int_equal(f.kind, FAULT_UNAUTHORIZED);
    assert_string_equal(f.field, "signature");
    /* Another key's signature over the very message. */
    memset(secret, 0x42, sizeof secret);
    assert_int_equal(ethkey_from_secret(&k, secret, NULL), 0);
    assert_int_equal(ethsig_sign_personal(sig, &k, (const uint8_t *)VECTOR,
                                          strlen(VECTOR), NULL),
                     0);
    ethsig_to_text(text, sig);
    fault_clear(&f);
    assert_int_equal(
        siwe_verify(&m, VECTOR, strlen(VECTOR), text, strlen(text), &f), -1);
    assert_string_equal(f.field, "address");
    /* v out of range. */
    text[131] = '5';
    fault_clear(&f);
    assert_int_equal(
        siwe_verify(&m, VECTOR, strlen(VECTOR), text, strlen(text), &f), -1);
    assert_int_equal(f.kind, FAULT_UNAUTHORIZED);
    assert_string_equal(f.field, "signature");
    ethkey_wipe(&k);
}

static void test_find_nonce(void **state)
{
    char n[SIWE_NONCE_MAX + 1];

    (void)state;
    assert_int_equal(siwe_find_nonce(n, VECTOR, strlen(VECTOR)), 1);
    assert_string_equal(n, NONCE);
    assert_int_equal(siwe_find_nonce(n, "x\r\nNonce: " NONCE "\r\ny",
                                     strlen("x\r\nNonce: " NONCE "\r\ny")),
                     1);
    assert_string_equal(n, NONCE);
    assert_int_equal(siwe_find_nonce(n, "x\nNonce: " NONCE "_", 42), 0);
    assert_string_equal(n, "");
    assert_int_equal(siwe_find_nonce(n, "garbage\nNonce: " NONCE,
                                     strlen("garbage\nNonce: " NONCE)),
                     1);
    assert_int_equal(siwe_find_nonce(n, "Nonce: short", 12), 0);
    /* A statement that begins "Nonce: " is not the nonce of a message
     * that parses (fuzz_siwe's find), valid or not as a nonce. */
    {
        static const char *const statements[] = {
            "Nonce: abA sluice.", "Nonce: Zyxwvuts98765432",
            "Nonce: " NONCE "x"};
        char msg[1024];
        size_t i;

        for (i = 0; i < sizeof statements / sizeof statements[0]; i++) {
            snprintf(msg, sizeof msg, "%s%s\n\n%s\n\n%s%s", HEAD, ADDR,
                     statements[i], TAIL, EXP);
            assert_int_equal(siwe_find_nonce(n, msg, strlen(msg)), 1);
            assert_string_equal(n, NONCE);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_vector), cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_refused), cmocka_unit_test(test_time),
        cmocka_unit_test(test_check),        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_find_nonce),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
