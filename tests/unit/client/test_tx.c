/* Unit tests for client/tx.c: the raw bytes of signed EIP-1559
 * transactions are exactly those that Foundry's `cast mktx` (1.7.1) makes
 * for the same key and fields (both sign with RFC 6979 nonces), their
 * hashes are `cast keccak <raw>`, and the signature recovers to the key's
 * address. Then misuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/tx.h"
#include "lib/ethsig.h"
#include "lib/hex.h"
#include "lib/keccak.h"

/* K in the commands below. */
static const char key_hex[] =
    "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

static const char purchase_data[] =
    "0x2fde4f2e1111111111111111111111111111111111111111111111111111111111"
    "11111100000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79"
    "c80000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc00"
    "000000000000000000000000000000000000000000000000000000000000ab";

struct tx_case {
    const char *command; /* what made want (K = key_hex) */
    uint64_t chain_id, nonce, tip, max_fee, gas;
    const char *to;
    const char *value;   /* 0x + 64 hex digits */
    const char *data;    /* 0x... */
    const char *want;    /* the raw transaction */
    const char *hash;    /* cast keccak of want, or NULL */
};

static const struct tx_case cases[] = {
    {"cast mktx --private-key $K --chain 1 --nonce 0 --gas-limit 21000 "
     "--gas-price 2000000000 --priority-gas-price 1000000000 --value 0 "
     "0x3535353535353535353535353535353535353535",
     1, 0, 1000000000, 2000000000, 21000,
     "0x3535353535353535353535353535353535353535",
     "0x0000000000000000000000000000000000000000000000000000000000000000",
     "0x",
     "0x02f86a0180843b9aca0084773594008252089435353535353535353535353535353"
     "535353535358080c080a04846a4ccb1b60dfa1f8f5c3131dbc6324efc45da35fd1601"
     "60753e784813871ea02cf485e841d5c81fdb4a62ded86506a9a80e7609be3fad3a4bc"
     "7a50bb2ffd59b",
     "0x7a1bef30381f0bab07d7d32c6fa7b40fad4a16129a3f1c00fd460d5938dd540a"},
    /* yParity 1. */
    {"cast mktx --private-key $K --chain 1 --nonce 4 --gas-limit 21000 "
     "--gas-price 2000000000 --priority-gas-price 1000000000 --value 0 "
     "0x3535353535353535353535353535353535353535",
     1, 4, 1000000000, 2000000000, 21000,
     "0x3535353535353535353535353535353535353535",
     "0x0000000000000000000000000000000000000000000000000000000000000000",
     "0x",
     "0x02f86a0104843b9aca0084773594008252089435353535353535353535353535353"
     "535353535358080c001a04a26496b7c7b56365bc743a033e6f18983665833935486fa"
     "ab8926e0a6ea824aa01efa3c37de420fa4a03c9a61e6bfe879ee908e7c7669f656e51"
     "4eeda4a94f144",
     NULL},
    /* The largest value, purchase calldata (132 bytes: a long string). */
    {"cast mktx --private-key $K --chain 31337 --nonce 7 --gas-limit 120000 "
     "--gas-price 3000000000 --priority-gas-price 1000000000 --value "
     "115792089237316195423570985008687907853269984665640564039457584007913"
     "129639935 0x5FbDB2315678afecb367f032d93F642f64180aa3 "
     "'purchase(bytes32,address,address,bytes32)' 0x11..11 (32 bytes) "
     "0x70997970C51812dc3A010C7d01b50e0d17dc79C8 "
     "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC 0x00..ab (32 bytes)",
     31337, 7, 1000000000, 3000000000, 120000,
     "0x5FbDB2315678afecb367f032d93F642f64180aa3",
     "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     purchase_data,
     "0x02f90112827a6907843b9aca0084b2d05e008301d4c0945fbdb2315678afecb367f"
     "032d93f642f64180aa3a0ffffffffffffffffffffffffffffffffffffffffffffffff"
     "ffffffffffffffffb8842fde4f2e11111111111111111111111111111111111111111"
     "1111111111111111111111100000000000000000000000070997970c51812dc3a010c"
     "7d01b50e0d17dc79c80000000000000000000000003c44cdddb6a900fa2b585dd299e"
     "03d12fa4293bc00000000000000000000000000000000000000000000000000000000"
     "000000abc080a0155ce145c61cb37d243a7d499f28fda124080844b72ea2ab07fbf55"
     "e3228d857a0117b0f36fcb5b49aa443394bc512be034164bd31c26dc4d1b1054f1af4"
     "dcec46",
     NULL},
    /* 1.5 ETH, a nonce above 2^32, a zero tip, withdraw() calldata. */
    {"cast mktx --private-key $K --chain 11155111 --nonce 4294967301 "
     "--gas-limit 50000 --gas-price 100000000000 --priority-gas-price 0 "
     "--value 1500000000000000000 0x5FbDB2315678afecb367f032d93F642f64180aa3 "
     "'withdraw()'",
     11155111, 4294967301ull, 0, 100000000000ull, 50000,
     "0x5FbDB2315678afecb367f032d93F642f64180aa3",
     "0x00000000000000000000000000000000000000000000000014d1120d7b160000",
     "0x3ccfd60b",
     "0x02f87b83aa36a78501000000058085174876e80082c350945fbdb2315678afecb36"
     "7f032d93f642f64180aa38814d1120d7b160000843ccfd60bc080a0c165e64a49f6aa"
     "4b5d8c6cf5212cf9ee8964d8327c0fe75c0366b56a434842bea00840dab784927b308"
     "b26ef4c8cc889a9739a1716aef536d0498bd3647dbde32c",
     "0x9affe9e55b1a0381afa059c27b4943101016bdb08b09608a09a299cbfb598477"},
};

static void load_key(struct ethkey *key)
{
    uint8_t secret[32];
    struct fault f;

    assert_int_equal(hex_decode_0x(secret, 32, key_hex, strlen(key_hex), "k",
                                   &f), 0);
    assert_int_equal(ethkey_from_secret(key, secret, &f), 0);
}

static void fill(struct tx *t, uint8_t *data, size_t cap,
                 const struct tx_case *c)
{
    struct fault f;

    memset(t, 0, sizeof *t);
    t->chain_id = c->chain_id;
    t->nonce = c->nonce;
    t->max_priority_fee = c->tip;
    t->max_fee = c->max_fee;
    t->gas_limit = c->gas;
    assert_int_equal(ethaddr_parse(&t->to, c->to, strlen(c->to), "to", &f),
                     0);
    assert_int_equal(hex_decode_0x(t->value, 32, c->value, strlen(c->value),
                                   "value", &f), 0);
    assert_int_equal(hex_decode_0x_var(data, cap, &t->data_len, c->data,
                                       strlen(c->data), "data", &f), 0);
    t->data = data;
}

static void test_cast_vectors(void **state)
{
    struct tx_signed s;
    struct ethkey key;
    struct ethaddr signer;
    struct fault f;
    struct tx t;
    uint8_t data[256], hash[32], sig[ETHSIG_LEN];
    char hex[2 * TX_RAW_MAX + 3];
    size_t i;

    (void)state;
    load_key(&key);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fill(&t, data, sizeof data, &cases[i]);
        fault_clear(&f);
        assert_int_equal(tx_sign(&s, &t, &key, &f), 0);
        assert_int_equal(hex_encode_0x(hex, sizeof hex, s.raw, s.raw_len), 0);
        assert_string_equal(hex, cases[i].want);
        keccak256(hash, s.raw, s.raw_len);
        assert_memory_equal(hash, s.hash, 32);
        if (cases[i].hash != NULL) {
            assert_int_equal(hex_encode_0x(hex, sizeof hex, s.hash, 32), 0);
            assert_string_equal(hex, cases[i].hash);
        }
        /* r, s and yParity are the signature of the signing hash. */
        assert_int_equal(tx_signing_hash(hash, &t, &f), 0);
        memcpy(sig, s.r, 32);
        memcpy(sig + 32, s.s, 32);
        sig[64] = s.y_parity;
        assert_int_equal(ethsig_recover_hash(NULL, &signer, sig, hash, &f),
                         0);
        assert_true(ethaddr_equal(&signer, &key.addr));
    }
    ethkey_wipe(&key);
}

/* Every field is signed: changing any changes the signing hash. */
static void test_fields_signed(void **state)
{
    uint8_t data[256], base[32], h[32];
    struct fault f;
    struct tx t, u;
    int k;

    (void)state;
    fill(&t, data, sizeof data, &cases[2]);
    assert_int_equal(tx_signing_hash(base, &t, &f), 0);
    for (k = 0; k < 8; k++) {
        u = t;
        switch (k) {
        case 0: u.chain_id++; break;
        case 1: u.nonce++; break;
        case 2: u.max_priority_fee++; break;
        case 3: u.max_fee++; break;
        case 4: u.gas_limit++; break;
        case 5: u.to.bytes[19] ^= 1; break;
        case 6: u.value[31] ^= 1; break;
        default: u.data_len--; break;
        }
        assert_int_equal(tx_signing_hash(h, &u, &f), 0);
        assert_memory_not_equal(h, base, 32);
    }
}

static void test_misuse(void **state)
{
    static uint8_t big[TX_DATA_MAX + 1];
    uint8_t data[256], h[32], zero[32];
    struct tx_signed s;
    struct ethkey key;
    struct fault f;
    struct tx t;

    (void)state;
    memset(zero, 0, sizeof zero);
    load_key(&key);
    fill(&t, data, sizeof data, &cases[0]);
    t.max_priority_fee = t.max_fee + 1;
    memset(h, 0xee, sizeof h);
    assert_int_equal(tx_signing_hash(h, &t, &f), -1);
    assert_int_equal(f.kind, FAULT_INVALID);
    assert_memory_equal(h, zero, 32);
    assert_int_equal(tx_sign(&s, &t, &key, &f), -1);
    assert_int_equal(s.raw_len, 0);
    assert_memory_equal(s.hash, zero, 32);

    fill(&t, data, sizeof data, &cases[0]);
    t.data = big;
    t.data_len = sizeof big;
    assert_int_equal(tx_sign(&s, &t, &key, &f), -1);
    assert_string_equal(f.field, "data");
    /* The most data there is room for signs. */
    t.data_len = TX_DATA_MAX;
    memset(big, 0xff, sizeof big);
    assert_int_equal(tx_sign(&s, &t, &key, &f), 0);
    assert_true(s.raw_len > TX_DATA_MAX && s.raw_len <= TX_RAW_MAX);
    ethkey_wipe(&key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cast_vectors),
        cmocka_unit_test(test_fields_signed),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
