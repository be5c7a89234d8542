/* Unit tests for lib/keywrap.c (DESIGN.md 3.5): vectors computed
 * independently (Python's `cryptography`: ECDH through (e*w)*G, HKDF,
 * AES-GCM), round trips, every refusal of seal and open, and the strict
 * JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/aead.h"
#include "lib/base64.h"
#include "lib/ethkey.h"
#include "lib/hex.h"
#include "lib/keywrap.h"

#define WORKER "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
#define EPHEMERAL "d24b8036293183d48f5b360f88e9114efa1c4b58077453e87dbfaafff78e7ea0"
#define EPK "031e7075893a790f79ed9e27eb9b52d8dafaac96df74616313cc31af50f32cd63e"
#define SHARED "cfb7283451474b3bfaa95d1cdb6df607ab4bea7d84cc079be747eef907cceb7d"
#define WK "7d8f91030f09eb7086267ba21f24e995b861e35511e9412814e8fa51d0e6476d"
#define PLAINTEXT                                                            \
    "0000000000000000a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9b" \
    "abbbcbdbebf0000000000000003111111111111111111111111111111111111111111" \
    "11111111111111111111110000010000000007d93beca6efd0421b314c081066064ac" \
    "0e371b306f715cc0935b2879e249ba9df"
#define CIPHERTEXT                                                           \
    "V3c9QojUaDN3SidHeOAsv/bwaRtg2Ekzh257nJy7PgDKlC4G91SmeoNv93pl2BcJb78rso" \
    "r/VSXpY6f3WcTNdHgOaUGPyH58o3sPl6G3P37Le/fkGk5dCtOzG/9AgeX4pWRm5M1muS0" \
    "A363fXfEbfDFQr0KPDqrmdCCI6WBV+toH+c/Ds295Og=="
#define CIPHERTEXT_EMPTY "YlPb/ifIBnSIbJptfB74bA=="

struct fixture {
    uint8_t worker_secret[32];
    secp256k1_pubkey worker;
    uint8_t ephemeral[32];
    uint8_t dataset_id[32];
    uint8_t query_id[16];
    uint8_t nonce[12];
    struct keywrap_entry entries[3];
};

static void unhex(uint8_t *out, size_t n, const char *hex)
{
    assert_int_equal(strlen(hex), 2 * n);
    assert_int_equal(hex_decode(out, n, hex, 2 * n, "v", NULL), 0);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct ethkey k;

    if (fx == NULL)
        return -1;
    unhex(fx->worker_secret, 32, WORKER);
    unhex(fx->ephemeral, 32, EPHEMERAL);
    if (ethkey_from_secret(&k, fx->worker_secret, NULL) != 0)
        return -1;
    fx->worker = k.pub;
    ethkey_wipe(&k);
    for (int i = 0; i < 32; i++)
        fx->dataset_id[i] = (uint8_t)(0x20 + i);
    for (int i = 0; i < 16; i++)
        fx->query_id[i] = (uint8_t)(0x40 + i);
    for (int i = 0; i < 12; i++)
        fx->nonce[i] = (uint8_t)(0x50 + i);
    fx->entries[0].index = 0;
    for (int i = 0; i < 32; i++)
        fx->entries[0].ck[i] = (uint8_t)(0xa0 + i);
    fx->entries[1].index = 3;
    memset(fx->entries[1].ck, 0x11, 32);
    fx->entries[2].index = ((uint64_t)1 << 40) + 7;
    unhex(fx->entries[2].ck, 32,
          "d93beca6efd0421b314c081066064ac0e371b306f715cc0935b2879e249ba9df");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static int is_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

static void test_vector(void **state)
{
    struct fixture *fx = *state;
    struct keywrap w;
    struct keywrap_trace t;
    uint8_t want[200];
    char b64[300];
    struct keywrap_entry *got = NULL;
    size_t n = 0;
    struct fault f;

    fault_clear(&f);
    assert_int_equal(keywrap_seal(&w, &t, &fx->worker, fx->dataset_id,
                                  fx->query_id, fx->entries, 3, fx->ephemeral,
                                  fx->nonce, &f), 0);
    unhex(want, 33, EPK);
    assert_memory_equal(w.epk, want, 33);
    assert_memory_equal(w.nonce, fx->nonce, 12);
    unhex(want, 32, SHARED);
    assert_memory_equal(t.shared_secret, want, 32);
    unhex(want, 32, WK);
    assert_memory_equal(t.wk, want, 32);
    assert_int_equal(t.plaintext_len, 120);
    unhex(want, 120, PLAINTEXT);
    assert_memory_equal(t.plaintext, want, 120);
    assert_int_equal(w.ciphertext_len, 136);
    assert_int_equal(base64_encode(b64, sizeof b64, w.ciphertext,
                                   w.ciphertext_len), 0);
    assert_string_equal(b64, CIPHERTEXT);

    assert_int_equal(keywrap_open(&got, &n, &w, fx->worker_secret,
                                  fx->dataset_id, fx->query_id, &f), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(got, fx->entries, sizeof fx->entries);
    keywrap_entries_free(got, n);
    keywrap_trace_clear(&t);
    assert_true(is_zero(&t, sizeof t));
    keywrap_clear(&w);
    assert_true(is_zero(&w, sizeof w));
}

static void test_empty_list(void **state)
{
    struct fixture *fx = *state;
    struct keywrap w;
    struct keywrap_trace t;
    char b64[64];
    struct keywrap_entry *got = (struct keywrap_entry *)&b64;
    size_t n = 7;

    /* The wrap is still made: just the tag. */
    assert_int_equal(keywrap_seal(&w, &t, &fx->worker, fx->dataset_id,
                                  fx->query_id, NULL, 0, fx->ephemeral,
                                  fx->nonce, NULL), 0);
    assert_int_equal(w.ciphertext_len, 16);
    assert_null(t.plaintext);
    assert_int_equal(t.plaintext_len, 0);
    assert_int_equal(base64_encode(b64, sizeof b64, w.ciphertext,
                                   w.ciphertext_len), 0);
    assert_string_equal(b64, CIPHERTEXT_EMPTY);
    assert_int_equal(keywrap_open(&got, &n, &w, fx->worker_secret,
                                  fx->dataset_id, fx->query_id, NULL), 0);
    assert_null(got);
    assert_int_equal(n, 0);
    keywrap_entries_free(got, n);
    /* Still bound to its query. */
    fx->query_id[0] ^= 1;
    assert_int_equal(keywrap_open(&got, &n, &w, fx->worker_secret,
                                  fx->dataset_id, fx->query_id, NULL), -1);
    fx->query_id[0] ^= 1;
    keywrap_trace_clear(&t);
    keywrap_clear(&w);
}

static void test_random_round_trip(void **state)
{
    struct fixture *fx = *state;
    struct keywrap a, b;
    struct keywrap_entry many[100];
    struct keywrap_entry *got = NULL;
    size_t n = 0;

    for (size_t i = 0; i < 100; i++) {
        many[i].index = i * i + (i > 50 ? UINT64_MAX / 2 : 0);
        memset(many[i].ck, (int)i, 32);
    }
    many[99].index = UINT64_MAX;
    assert_int_equal(keywrap_seal(&a, NULL, &fx->worker, fx->dataset_id,
                                  fx->query_id, many, 100, NULL, NULL, NULL),
                     0);
    assert_int_equal(keywrap_seal(&b, NULL, &fx->worker, fx->dataset_id,
                                  fx->query_id, many, 100, NULL, NULL, NULL),
                     0);
    /* Fresh ephemeral key and nonce each time. */
    assert_memory_not_equal(a.epk, b.epk, 33);
    assert_memory_not_equal(a.nonce, b.nonce, 12);
    assert_int_equal(keywrap_open(&got, &n, &a, fx->worker_secret,
                                  fx->dataset_id, fx->query_id, NULL), 0);
    assert_int_equal(n, 100);
    assert_memory_equal(got, many, sizeof many);
    keywrap_entries_free(got, n);
    assert_int_equal(keywrap_open(&got, &n, &b, fx->worker_secret,
                                  fx->dataset_id, fx->query_id, NULL), 0);
    assert_int_equal(n, 100);
    keywrap_entries_free(got, n);
    keywrap_clear(&a);
    keywrap_clear(&b);
    keywrap_clear(NULL);
    keywrap_trace_clear(NULL);
    keywrap_entries_free(NULL, 0);
}

static void expect_seal_fails(struct fixture *fx,
                              const struct keywrap_entry *entries, size_t n,
                              const secp256k1_pubkey *worker,
                              const uint8_t *ephemeral, enum fault_kind kind)
{
    struct keywrap w;
    struct keywrap_trace t;
    struct fault f;

    memset(&w, 0xaa, sizeof w);
    memset(&t, 0xaa, sizeof t);
    fault_clear(&f);
    assert_int_equal(keywrap_seal(&w, &t, worker, fx->dataset_id,
                                  fx->query_id, entries, n, ephemeral,
                                  fx->nonce, &f), -1);
    assert_int_equal(f.kind, kind);
    assert_true(is_zero(&w, sizeof w));
    assert_true(is_zero(&t, sizeof t));
}

static void test_seal_refusals(void **state)
{
    struct fixture *fx = *state;
    struct keywrap_entry e[3];
    uint8_t bad[32];
    secp256k1_pubkey zero_pub;

    /* Not strictly ascending: equal, descending, last out of place. */
    memcpy(e, fx->entries, sizeof e);
    e[1].index = e[0].index;
    expect_seal_fails(fx, e, 3, &fx->worker, NULL, FAULT_INVALID);
    memcpy(e, fx->entries, sizeof e);
    e[0].index = 5;
    expect_seal_fails(fx, e, 3, &fx->worker, NULL, FAULT_INVALID);
    memcpy(e, fx->entries, sizeof e);
    e[2].index = 2;
    expect_seal_fails(fx, e, 3, &fx->worker, NULL, FAULT_INVALID);
    /* One entry, and two in order, are fine (checked in the round trip);
     * the first two alone are too. */
    {
        struct keywrap w;
        assert_int_equal(keywrap_seal(&w, NULL, &fx->worker, fx->dataset_id,
                                      fx->query_id, fx->entries, 2, NULL,
                                      NULL, NULL), 0);
        keywrap_clear(&w);
    }
    /* An ephemeral secret that is not a key: 0, n. */
    memset(bad, 0, sizeof bad);
    expect_seal_fails(fx, fx->entries, 3, &fx->worker, bad, FAULT_INVALID);
    unhex(bad, 32,
          "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    expect_seal_fails(fx, fx->entries, 3, &fx->worker, bad, FAULT_INVALID);
    /* A zeroed worker key is a bug of the caller: refused, not a crash. */
    memset(&zero_pub, 0, sizeof zero_pub);
    expect_seal_fails(fx, fx->entries, 3, &zero_pub, NULL, FAULT_INTERNAL);
}

static void expect_open_fails(struct fixture *fx, const struct keywrap *w,
                              const uint8_t *secret, enum fault_kind kind)
{
    struct keywrap_entry *got = (struct keywrap_entry *)fx;
    size_t n = 99;
    struct fault f;

    fault_clear(&f);
    assert_int_equal(keywrap_open(&got, &n, w, secret, fx->dataset_id,
                                  fx->query_id, &f), -1);
    assert_int_equal(f.kind, kind);
    assert_null(got);
    assert_int_equal(n, 0);
}

static void test_open_refusals(void **state)
{
    struct fixture *fx = *state;
    struct keywrap w;
    struct keywrap_trace t;
    struct ethkey other;
    uint8_t bad[32];
    uint8_t tag;

    assert_int_equal(keywrap_seal(&w, &t, &fx->worker, fx->dataset_id,
                                  fx->query_id, fx->entries, 3, NULL, NULL,
                                  NULL), 0);

    /* Another worker's key. */
    assert_int_equal(ethkey_generate(&other, NULL), 0);
    expect_open_fails(fx, &w, other.secret, FAULT_CORRUPT);
    ethkey_wipe(&other);
    /* Not a key at all. */
    memset(bad, 0, sizeof bad);
    expect_open_fails(fx, &w, bad, FAULT_INVALID);
    /* Another data-set, another query. */
    fx->dataset_id[31] ^= 1;
    expect_open_fails(fx, &w, fx->worker_secret, FAULT_CORRUPT);
    fx->dataset_id[31] ^= 1;
    fx->query_id[0] ^= 0x80;
    expect_open_fails(fx, &w, fx->worker_secret, FAULT_CORRUPT);
    fx->query_id[0] ^= 0x80;
    /* Every byte of the ciphertext and tag. */
    for (size_t i = 0; i < w.ciphertext_len; i++) {
        w.ciphertext[i] ^= 0x01;
        expect_open_fails(fx, &w, fx->worker_secret, FAULT_CORRUPT);
        w.ciphertext[i] ^= 0x01;
    }
    /* The nonce. */
    w.nonce[11] ^= 1;
    expect_open_fails(fx, &w, fx->worker_secret, FAULT_CORRUPT);
    w.nonce[11] ^= 1;
    /* The other point with the same x, and a point that is not one. */
    tag = w.epk[0];
    w.epk[0] ^= 0x01; /* 02 <-> 03: -E */
    expect_open_fails(fx, &w, fx->worker_secret, FAULT_CORRUPT);
    w.epk[0] = 0x05;
    expect_open_fails(fx, &w, fx->worker_secret, FAULT_CORRUPT);
    w.epk[0] = tag;
    keywrap_trace_clear(&t);
    /* All restored: it opens. */
    {
        struct keywrap_entry *got = NULL;
        size_t n = 0;
        assert_int_equal(keywrap_open(&got, &n, &w, fx->worker_secret,
                                      fx->dataset_id, fx->query_id, NULL), 0);
        assert_int_equal(n, 3);
        keywrap_entries_free(got, n);
    }
    /* Lengths that no list gives. */
    {
        struct keywrap cut = w;
        cut.ciphertext_len = 15;
        expect_open_fails(fx, &cut, fx->worker_secret, FAULT_CORRUPT);
        cut.ciphertext_len = 17;
        expect_open_fails(fx, &cut, fx->worker_secret, FAULT_CORRUPT);
        cut.ciphertext_len = 96; /* 2 entries of 40 + 16 */
        expect_open_fails(fx, &cut, fx->worker_secret, FAULT_CORRUPT);
        cut.ciphertext = NULL;
        cut.ciphertext_len = 0;
        expect_open_fails(fx, &cut, fx->worker_secret, FAULT_CORRUPT);
    }
    keywrap_clear(&w);
}

/* A wrap whose plaintext is out of order (which seal never makes) is
 * refused by open, though it authenticates. */
static void test_open_refuses_disorder(void **state)
{
    struct fixture *fx = *state;
    struct keywrap w;
    struct keywrap_trace t;
    uint8_t aad[sizeof KEYWRAP_LABEL - 1 + 48];
    uint8_t pt[80];

    assert_int_equal(keywrap_seal(&w, &t, &fx->worker, fx->dataset_id,
                                  fx->query_id, fx->entries, 2,
                                  fx->ephemeral, fx->nonce, NULL), 0);
    /* Swap the two entries and seal again under the same WK. */
    memcpy(pt, t.plaintext + 40, 40);
    memcpy(pt + 40, t.plaintext, 40);
    memcpy(aad, KEYWRAP_LABEL, sizeof KEYWRAP_LABEL - 1);
    memcpy(aad + sizeof KEYWRAP_LABEL - 1, fx->dataset_id, 32);
    memcpy(aad + sizeof KEYWRAP_LABEL - 1 + 32, fx->query_id, 16);
    assert_int_equal(aead_seal(w.ciphertext, t.wk, w.nonce, aad, sizeof aad,
                               pt, sizeof pt, NULL), 0);
    expect_open_fails(fx, &w, fx->worker_secret, FAULT_CORRUPT);
    /* Equal indices too. */
    memcpy(pt + 40, pt, 40);
    assert_int_equal(aead_seal(w.ciphertext, t.wk, w.nonce, aad, sizeof aad,
                               pt, sizeof pt, NULL), 0);
    expect_open_fails(fx, &w, fx->worker_secret, FAULT_CORRUPT);
    keywrap_trace_clear(&t);
    keywrap_clear(&w);
}

static void test_json_round_trip(void **state)
{
    struct fixture *fx = *state;
    struct keywrap w, back;
    json_t *j = NULL;
    char *text;
    struct keywrap_entry *got = NULL;
    size_t n = 0;
    struct fault f;

    assert_int_equal(keywrap_seal(&w, NULL, &fx->worker, fx->dataset_id,
                                  fx->query_id, fx->entries, 3, fx->ephemeral,
                                  fx->nonce, NULL), 0);
    fault_clear(&f);
    assert_int_equal(keywrap_to_json(&j, &w, &f), 0);
    text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(text,
                        "{\"alg\":\"secp256k1-ecdh-hkdf-sha256-aes256gcm\","
                        "\"ciphertext\":\"" CIPHERTEXT "\","
                        "\"epk\":\"0x" EPK "\","
                        "\"nonce\":\"0x505152535455565758595a5b\"}");
    free(text);
    assert_int_equal(keywrap_from_json(&back, j, &f), 0);
    assert_memory_equal(back.epk, w.epk, 33);
    assert_memory_equal(back.nonce, w.nonce, 12);
    assert_int_equal(back.ciphertext_len, w.ciphertext_len);
    assert_memory_equal(back.ciphertext, w.ciphertext, w.ciphertext_len);
    assert_int_equal(keywrap_open(&got, &n, &back, fx->worker_secret,
                                  fx->dataset_id, fx->query_id, NULL), 0);
    assert_int_equal(n, 3);
    keywrap_entries_free(got, n);
    json_decref(j);
    keywrap_clear(&back);
    keywrap_clear(&w);

    /* The empty wrap too. */
    assert_int_equal(keywrap_seal(&w, NULL, &fx->worker, fx->dataset_id,
                                  fx->query_id, NULL, 0, fx->ephemeral,
                                  fx->nonce, NULL), 0);
    assert_int_equal(keywrap_to_json(&j, &w, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(j, "ciphertext")),
                        CIPHERTEXT_EMPTY);
    assert_int_equal(keywrap_from_json(&back, j, NULL), 0);
    assert_int_equal(back.ciphertext_len, 16);
    json_decref(j);
    keywrap_clear(&back);
    keywrap_clear(&w);
}

#define ALG "\"alg\":\"secp256k1-ecdh-hkdf-sha256-aes256gcm\""
#define GOOD_EPK "\"epk\":\"0x" EPK "\""
#define GOOD_NONCE "\"nonce\":\"0x505152535455565758595a5b\""
#define GOOD_CT "\"ciphertext\":\"" CIPHERTEXT_EMPTY "\""

static const struct {
    const char *json;
    const char *field;
} bad_json[] = {
    {"[]", "keys"},
    {"\"x\"", "keys"},
    {"{" GOOD_EPK "," GOOD_NONCE "," GOOD_CT "}", "keys.alg"},
    {"{" ALG "," GOOD_NONCE "," GOOD_CT "}", "keys.epk"},
    {"{" ALG "," GOOD_EPK "," GOOD_CT "}", "keys.nonce"},
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE "}", "keys.ciphertext"},
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE "," GOOD_CT ",\"extra\":1}",
     "keys.extra"},
    {"{\"alg\":\"secp256k1-ecdh-hkdf-sha256-aes128gcm\"," GOOD_EPK
     "," GOOD_NONCE "," GOOD_CT "}", "keys.alg"},
    {"{\"alg\":1," GOOD_EPK "," GOOD_NONCE "," GOOD_CT "}", "keys.alg"},
    {"{" ALG ",\"epk\":\"" EPK "\"," GOOD_NONCE "," GOOD_CT "}", "keys.epk"},
    {"{" ALG ",\"epk\":\"0x" EPK "00\"," GOOD_NONCE "," GOOD_CT "}",
     "keys.epk"},
    {"{" ALG ",\"epk\":null," GOOD_NONCE "," GOOD_CT "}", "keys.epk"},
    /* Right length, not a compressed point: tag 04, tag 02 with x = 0. */
    {"{" ALG ",\"epk\":\"0x041e7075893a790f79ed9e27eb9b52d8dafaac96df74616313"
     "cc31af50f32cd63e\"," GOOD_NONCE "," GOOD_CT "}", "keys.epk"},
    {"{" ALG ",\"epk\":\"0x020000000000000000000000000000000000000000000000"
     "0000000000000000\"," GOOD_NONCE "," GOOD_CT "}", "keys.epk"},
    {"{" ALG "," GOOD_EPK ",\"nonce\":\"0x505152535455565758595a\"," GOOD_CT
     "}", "keys.nonce"},
    {"{" ALG "," GOOD_EPK ",\"nonce\":\"0x505152535455565758595a5b5c\","
     GOOD_CT "}", "keys.nonce"},
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE ",\"ciphertext\":\"YlPb/ifIBnSIbJp"
     "tfB74bA\"}", "keys.ciphertext"},             /* no padding */
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE ",\"ciphertext\":\"YlPb_ifIBnSIbJp"
     "tfB74bA==\"}", "keys.ciphertext"},           /* URL-safe */
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE ",\"ciphertext\":\"YlPb/ifIBnSIbJp"
     "tfB74bB==\"}", "keys.ciphertext"},           /* non-canonical */
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE ",\"ciphertext\":\"YlPb/ifIBnSIbJp"
     "tfB74b\"}", "keys.ciphertext"},
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE ",\"ciphertext\":\"\"}",
     "keys.ciphertext"},                            /* 0 bytes: no tag */
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE ",\"ciphertext\":\"YlPb/ifIBnSIbJp"
     "tfB74bA==\\n\"}", "keys.ciphertext"},
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE ",\"ciphertext\":\"YlPb/ifIBnSIbJp"
     "tfB74bAAAA==\"}", "keys.ciphertext"},        /* 17 bytes */
    {"{" ALG "," GOOD_EPK "," GOOD_NONCE ",\"ciphertext\":[]}",
     "keys.ciphertext"},
};

static void test_json_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_json / sizeof *bad_json; i++) {
        json_error_t err;
        json_t *j = json_loads(bad_json[i].json, JSON_DECODE_ANY, &err);
        struct keywrap w;
        struct fault f;

        if (j == NULL)
            fail_msg("case %zu does not parse: %s", i, err.text);
        memset(&w, 0xaa, sizeof w);
        fault_clear(&f);
        if (keywrap_from_json(&w, j, &f) != -1)
            fail_msg("case %zu was accepted", i);
        assert_int_equal(f.kind, FAULT_INVALID);
        if (strcmp(f.field, bad_json[i].field) != 0)
            fail_msg("case %zu: field %s, want %s (%s)", i, f.field,
                     bad_json[i].field, f.detail);
        assert_true(is_zero(&w, sizeof w));
        json_decref(j);
    }
    /* The good parts, put together, parse. */
    {
        json_t *j = json_loads("{" ALG "," GOOD_EPK "," GOOD_NONCE ","
                               GOOD_CT "}", 0, NULL);
        struct keywrap w;
        assert_non_null(j);
        assert_int_equal(keywrap_from_json(&w, j, NULL), 0);
        keywrap_clear(&w);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vector, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seal_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_disorder, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_json_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_json_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
