/* Unit tests for lib/reqsig.c: the canonical text of DESIGN.md 3.1, its
 * signature reproduced from Foundry's `cast wallet sign`, and every refusal
 * of the timestamp, nonce and signature headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/hex.h"
#include "lib/reqsig.h"

#define TARGET1                                                               \
    "/v1/datasets/0x1111111111111111111111111111111111111111111111111111111" \
    "111111111/queries?x=1&y=%20"

/* Requests, their signed text (built independently, with Python's hashlib
 * for line 4), and `cast wallet sign --private-key <key> "<message>"`. */
static const struct {
    const char *key;
    const char *method;
    const char *target;
    const char *body;
    const char *timestamp;
    const char *nonce;
    const char *message;
    const char *signature;
    const char *address;
} vectors[] = {
    {"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
     "POST", TARGET1, "{\"all\":true}", "1700000000", "n0nce_0123456789-ABC",
     "sluice-request-v1\nPOST\n" TARGET1 "\n"
     "d0fdc09655bf2c2ad3b2fc0fe144f5ffacc9daf3b396e54832b963ad4b547ffb\n"
     "1700000000\nn0nce_0123456789-ABC",
     "0xc9e2866a3cba6659bf23d342d3467be78fa5ec9bff9317d1010303fe4ce2e8ed54c9"
     "7f678b3e8506e540e397630e57247c9cd5d48aab8a3d962900178c87e5d51c",
     "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"},
    {"0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
     "GET", "/v1/datasets?", "", "1700000123", "abcdefghijklmnop",
     "sluice-request-v1\nGET\n/v1/datasets?\n"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
     "1700000123\nabcdefghijklmnop",
     "0xe982acd991e69d5df9bc159ebd654ff3e1e725c0470e852c8a73c617b8ab08bb0b3b"
     "e9f25328f2b8421beb43a0ee12a76ab3aa7a3ddb37b6e5128ff75dac97c51b",
     "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},
};

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        char *msg = NULL;
        size_t len = 0;
        uint8_t secret[32];
        struct ethkey k;
        char sig[ETHSIG_TEXT_SIZE];
        struct ethaddr a;
        secp256k1_pubkey pub;
        char addr[ETHADDR_TEXT_SIZE];
        struct fault f;
        const char *body = vectors[i].body;

        fault_clear(&f);
        assert_int_equal(reqsig_message(&msg, &len, vectors[i].method,
                                        vectors[i].target,
                                        strlen(vectors[i].target),
                                        body[0] ? (const uint8_t *)body : NULL,
                                        strlen(body), vectors[i].timestamp,
                                        vectors[i].nonce, &f), 0);
        assert_string_equal(msg, vectors[i].message);
        assert_int_equal(len, strlen(vectors[i].message));

        assert_int_equal(hex_decode_0x(secret, 32, vectors[i].key, 66, "k",
                                       NULL), 0);
        assert_int_equal(ethkey_from_secret(&k, secret, NULL), 0);
        assert_int_equal(reqsig_sign(sig, &k, msg, len, &f), 0);
        assert_string_equal(sig, vectors[i].signature);

        assert_int_equal(reqsig_verify(&pub, &a, sig, strlen(sig), msg, len,
                                       &f), 0);
        ethaddr_to_text(addr, &a);
        assert_string_equal(addr, vectors[i].address);
        assert_true(ethaddr_equal(&a, &k.addr));
        ethkey_wipe(&k);
        free(msg);
    }
}

/* Changing any part of the request changes whom the signature recovers. */
static void test_binding(void **state)
{
    static const char *const variants[][4] = {
        /* method, target, body, nonce */
        {"PUT", TARGET1, "{\"all\":true}", "n0nce_0123456789-ABC"},
        {"POST", TARGET1 "&", "{\"all\":true}", "n0nce_0123456789-ABC"},
        {"POST", "/v1/datasets/0x1111111111111111111111111111111111111111111"
                 "111111111111111111111/queries?x=1&y= ",
         NULL, NULL}, /* refused below: space */
        {"POST", TARGET1, "{\"all\":false}", "n0nce_0123456789-ABC"},
        {"POST", TARGET1, "{\"all\":true}", "n0nce_0123456789-ABc"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof variants / sizeof *variants; i++) {
        char *msg = NULL;
        size_t len = 0;
        struct ethaddr a;
        char addr[ETHADDR_TEXT_SIZE];
        int rv;

        if (variants[i][2] == NULL)
            continue;
        rv = reqsig_message(&msg, &len, variants[i][0], variants[i][1],
                            strlen(variants[i][1]),
                            (const uint8_t *)variants[i][2],
                            strlen(variants[i][2]), "1700000000",
                            variants[i][3], NULL);
        assert_int_equal(rv, 0);
        if (reqsig_verify(NULL, &a, vectors[0].signature,
                          strlen(vectors[0].signature), msg, len, NULL) == 0) {
            ethaddr_to_text(addr, &a);
            assert_string_not_equal(addr, vectors[0].address);
        }
        free(msg);
    }
}

static const struct {
    const char *method;
    const char *target;
    size_t target_len; /* 0: strlen */
    const char *timestamp;
    const char *nonce;
    const char *field;
} bad_messages[] = {
    {"", "/x", 0, "1", "abcdefghijklmnop", "method"},
    {"GE T", "/x", 0, "1", "abcdefghijklmnop", "method"},
    {"GET\n", "/x", 0, "1", "abcdefghijklmnop", "method"},
    {"GET", "", 0, "1", "abcdefghijklmnop", "target"},
    {"GET", "x", 0, "1", "abcdefghijklmnop", "target"},
    {"GET", "http://h/x", 0, "1", "abcdefghijklmnop", "target"},
    {"GET", "/x\ny", 0, "1", "abcdefghijklmnop", "target"},
    {"GET", "/x\ry", 0, "1", "abcdefghijklmnop", "target"},
    {"GET", "/x y", 0, "1", "abcdefghijklmnop", "target"},
    {"GET", "/x\0y", 4, "1", "abcdefghijklmnop", "target"},
    {"GET", "/x\x7f", 0, "1", "abcdefghijklmnop", "target"},
    {"GET", "/x", 0, "", "abcdefghijklmnop", "X-Sluice-Timestamp"},
    {"GET", "/x", 0, "01", "abcdefghijklmnop", "X-Sluice-Timestamp"},
    {"GET", "/x", 0, "+1", "abcdefghijklmnop", "X-Sluice-Timestamp"},
    {"GET", "/x", 0, "1\n", "abcdefghijklmnop", "X-Sluice-Timestamp"},
    {"GET", "/x", 0, "12345678901234567890", "abcdefghijklmnop",
     "X-Sluice-Timestamp"},
    {"GET", "/x", 0, "1", "abcdefghijklmno", "X-Sluice-Nonce"},
    {"GET", "/x", 0, "1", "abcdefghijklmnop\n", "X-Sluice-Nonce"},
    {"GET", "/x", 0, "1", "abcdefghijklmno=", "X-Sluice-Nonce"},
};

static void test_message_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_messages / sizeof *bad_messages; i++) {
        char *msg = (char *)"junk";
        size_t len = 7;
        struct fault f;
        size_t tlen = bad_messages[i].target_len
                          ? bad_messages[i].target_len
                          : strlen(bad_messages[i].target);

        fault_clear(&f);
        if (reqsig_message(&msg, &len, bad_messages[i].method,
                           bad_messages[i].target, tlen, NULL, 0,
                           bad_messages[i].timestamp, bad_messages[i].nonce,
                           &f) != -1)
            fail_msg("case %zu was accepted", i);
        assert_null(msg);
        assert_int_equal(len, 0);
        assert_int_equal(f.kind, FAULT_INVALID);
        if (strcmp(f.field, bad_messages[i].field) != 0)
            fail_msg("case %zu: field %s, want %s", i, f.field,
                     bad_messages[i].field);
    }
}

static void test_message_shape(void **state)
{
    char *msg = NULL;
    size_t len = 0;
    /* Target kept byte for byte: percent escapes, a bare '?', UTF-8. */
    static const char target[] = "/a%2Fb/../c?%41=%zz&&?#x\xc3\xa9";

    (void)state;
    assert_int_equal(reqsig_message(&msg, &len, "DELETE", target,
                                    sizeof target - 1, NULL, 0, "0",
                                    "----------------", NULL), 0);
    assert_string_equal(msg,
                        "sluice-request-v1\nDELETE\n/a%2Fb/../c?%41=%zz&&?#x"
                        "\xc3\xa9\n"
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4"
                        "95991b7852b855\n0\n----------------");
    assert_int_equal(len, strlen(msg));
    assert_int_not_equal(msg[len - 1], '\n');
    free(msg);
    /* Only target_len bytes are used. */
    assert_int_equal(reqsig_message(&msg, &len, "GET", "/abc", 2, NULL, 0,
                                    "1", "0123456789abcdef", NULL), 0);
    assert_non_null(strstr(msg, "\n/a\n"));
    free(msg);
}

static const struct {
    const char *text;
    int64_t now;
    int ok;
    int64_t ts;
} timestamps[] = {
    {"1700000000", 1700000000, 1, 1700000000},
    {"1700000300", 1700000000, 1, 1700000300},   /* +300 */
    {"1699999700", 1700000000, 1, 1699999700},   /* -300 */
    {"1700000301", 1700000000, 0, 0},            /* +301 */
    {"1699999699", 1700000000, 0, 0},            /* -301 */
    {"0", 0, 1, 0},
    {"0", 301, 0, 0},
    {"300", 0, 1, 300},
    {"9223372036854775807", INT64_MAX, 1, INT64_MAX},
    {"9223372036854775807", 1700000000, 0, 0},
    {"9223372036854775808", INT64_MAX, 0, 0},     /* overflow */
    {"99999999999999999999999", 1700000000, 0, 0},
    {"5", -296, 0, 0},
    {"5", -295, 1, 5},
    {"0", INT64_MIN, 0, 0},
    {"01700000000", 1700000000, 0, 0},           /* leading zero */
    {"00", 0, 0, 0},
    {"+1700000000", 1700000000, 0, 0},
    {"-1700000000", 1700000000, 0, 0},
    {" 1700000000", 1700000000, 0, 0},
    {"1700000000 ", 1700000000, 0, 0},
    {"1700000000.0", 1700000000, 0, 0},
    {"1.7e9", 1700000000, 0, 0},
    {"0x6553f100", 1700000000, 0, 0},
    {"", 1700000000, 0, 0},
};

static void test_timestamps(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof timestamps / sizeof *timestamps; i++) {
        int64_t ts = 12345;
        struct fault f;
        int rv;

        fault_clear(&f);
        rv = reqsig_check_timestamp(&ts, timestamps[i].text,
                                    strlen(timestamps[i].text),
                                    timestamps[i].now, &f);
        if (rv != (timestamps[i].ok ? 0 : -1))
            fail_msg("case %zu (%s at %lld): rv %d", i, timestamps[i].text,
                     (long long)timestamps[i].now, rv);
        assert_int_equal(ts, timestamps[i].ts);
        if (!timestamps[i].ok) {
            assert_int_equal(f.kind, FAULT_UNAUTHORIZED);
            assert_string_equal(f.field, "X-Sluice-Timestamp");
        }
    }
}

static void test_nonces(void **state)
{
    static const struct {
        const char *text;
        int ok;
    } cases[] = {
        {"abcdefghijklmnop", 1},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
         1}, /* 64 */
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-x",
         0}, /* 65 */
        {"abcdefghijklmno", 0}, /* 15 */
        {"", 0},
        {"abcdefghijklmno+", 0},
        {"abcdefghijklmno/", 0},
        {"abcdefghijklmno=", 0},
        {"abcdefghijklmno.", 0},
        {"abcdefghijklmno ", 0},
        {"abcdefgh\xc3\xa9jklmno", 0},
        {"________________", 1},
        {"----------------", 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct fault f;
        fault_clear(&f);
        if (reqsig_check_nonce(cases[i].text, strlen(cases[i].text), &f) !=
            (cases[i].ok ? 0 : -1))
            fail_msg("case %zu (%s)", i, cases[i].text);
        if (!cases[i].ok) {
            assert_int_equal(f.kind, FAULT_UNAUTHORIZED);
            assert_string_equal(f.field, "X-Sluice-Nonce");
        }
    }
    /* A NUL inside the length is not a nonce character. */
    assert_int_equal(reqsig_check_nonce("abcdefgh\0jklmnop", 17, NULL), -1);
}

static void test_verify_refusals(void **state)
{
    const char *msg = vectors[0].message;
    size_t len = strlen(msg);
    char sig[ETHSIG_TEXT_SIZE];
    static const char *const bad[] = {
        "",
        "0x",
        "c9e2866a3cba6659bf23d342d3467be78fa5ec9bff9317d1010303fe4ce2e8ed54c9"
        "7f678b3e8506e540e397630e57247c9cd5d48aab8a3d962900178c87e5d51c",
        "0xc9e2866a3cba6659bf23d342d3467be78fa5ec9bff9317d1010303fe4ce2e8ed54"
        "c97f678b3e8506e540e397630e57247c9cd5d48aab8a3d962900178c87e5d5",
        "0xc9e2866a3cba6659bf23d342d3467be78fa5ec9bff9317d1010303fe4ce2e8ed54"
        "c97f678b3e8506e540e397630e57247c9cd5d48aab8a3d962900178c87e5d51c1c",
        "0xc9e2866a3cba6659bf23d342d3467be78fa5ec9bff9317d1010303fe4ce2e8ed54"
        "c97f678b3e8506e540e397630e57247c9cd5d48aab8a3d962900178c87e5d51d",
        /* high s: s' = n - s */
        "0xc9e2866a3cba6659bf23d342d3467be78fa5ec9bff9317d1010303fe4ce2e8edab"
        "36809874c17af91abf1c689cf1a8da3e120712249d15fe29a95e7543ae5b6c1b",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        secp256k1_pubkey pub;
        struct ethaddr a;
        struct fault f;
        fault_clear(&f);
        memset(&a, 0xaa, sizeof a);
        if (reqsig_verify(&pub, &a, bad[i], strlen(bad[i]), msg, len, &f) !=
            -1)
            fail_msg("case %zu accepted", i);
        assert_int_equal(f.kind, FAULT_UNAUTHORIZED);
        assert_string_equal(f.field, "X-Sluice-Signature");
        assert_true(ethaddr_is_zero(&a));
    }
    /* Uppercase hex digits are the same signature. */
    strcpy(sig, vectors[0].signature);
    for (size_t i = 2; sig[i]; i++)
        if (sig[i] >= 'a' && sig[i] <= 'f')
            sig[i] = (char)(sig[i] - 32);
    {
        struct ethaddr a;
        char addr[ETHADDR_TEXT_SIZE];
        assert_int_equal(reqsig_verify(NULL, &a, sig, strlen(sig), msg, len,
                                       NULL), 0);
        ethaddr_to_text(addr, &a);
        assert_string_equal(addr, vectors[0].address);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_message_refusals),
        cmocka_unit_test(test_message_shape),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_nonces),
        cmocka_unit_test(test_verify_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
