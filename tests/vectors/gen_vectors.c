/*
 * gen_vectors: print the test vectors of protocol v1 (DESIGN.md 3.8) as
 * JSON on stdout; `make vectors` writes them to docs/vectors/v1.json.
 *
 * Every input is fixed (private keys, data-set keys and ids, nonces,
 * ephemeral secrets, timestamps), so two runs print the same bytes, and
 * tests/integration/test_vectors.sh fails when the code drifts from the
 * committed file. An independent client proves itself against that file,
 * so nothing is printed that this program has not checked first: each
 * object is opened again, each key wrap unwrapped, each signature's signer
 * recovered, each derived key recomputed by a second path, and a few
 * values compared with published constants. Any disagreement is a message
 * on stderr and exit status 1, with nothing on stdout.
 */
#include <inttypes.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts-abi/abi.h"
#include "lib/aead.h"
#include "lib/bytes.h"
#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/ethsig.h"
#include "lib/fault.h"
#include "lib/hex.h"
#include "lib/hkdf.h"
#include "lib/keccak.h"
#include "lib/keywrap.h"
#include "lib/reqsig.h"
#include "lib/secret.h"
#include "lib/u256.h"
#include "pricing/audit.h"
#include "storage/chunkobj.h"
#include "storage/dskey.h"
#include "storage/store.h"

#define VEC_FILE_VERSION 1
#define VEC_CHUNK_LABEL "sluice/chunk/v1"

/* ---- fixed inputs ------------------------------------------------------ */

/* Data-set ids and keys (DESIGN.md 3.2, 3.3). A is a CSV data-set, B a
 * blob data-set. */
#define VEC_DS_A "d878c64baade6508c8e36459395733e3abb0f887ad1dd303c58bba888badab70"
#define VEC_DK_A "9e5b031dd96eb7f3cadf448223e3c6f6212bfaf27a4f3ecf191fccd4f1f26711"
#define VEC_DS_B "03703ba0855838af3ec53c84cbd111f2759a04b2cd50b4b03cf6bf5b357d1db5"
#define VEC_DK_B "57693622c36ff3d8a2b22fe941bf906323f59c7857b57ed729594e012dfee08d"

/* anvil's first two development accounts: the owner and the worker. */
#define VEC_KEY_OWNER "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define VEC_KEY_WORKER "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"

/* keccak256 inputs; the longer ones are filled with bytes i & 0xff. */
struct vec_keccak {
    const char *text;   /* ASCII input, or NULL for a patterned one */
    size_t pattern_len; /* length of the patterned input */
    const char *digest; /* published digest to agree with, or NULL */
};

static const struct vec_keccak vec_keccak_cases[] = {
    {"", 0, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
    {"abc", 0,
     "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"},
    {"The quick brown fox jumps over the lazy dog", 0,
     "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"},
    {NULL, 135, NULL}, /* one byte short of the rate: a lone 0x81 pad */
    {NULL, 136, NULL}, /* exactly one block: the pad takes a block */
    {NULL, 200, NULL}, /* more than one block */
};

struct vec_account {
    const char *secret;  /* 64 hex digits */
    const char *address; /* published EIP-55 address, or NULL */
};

static const struct vec_account vec_accounts[] = {
    {VEC_KEY_OWNER, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"},
    {VEC_KEY_WORKER, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},
    {"0000000000000000000000000000000000000000000000000000000000000001",
     "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"},
    /* n - 1, the largest valid private key */
    {"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
     NULL},
};

static const char vec_query_body[] =
    "{\"rows\": {\"from\": 0, \"to\": 100}, \"max_cost\": \"5000\"}";
static const char vec_part_body[] =
    "date,station,temp_c,note\r\n"
    "2024-03-01,st-01,12.5,\"caf\xc3\xa9, terrace\"\r\n"
    "2024-03-01,st-02,-3.25,\"said \"\"hi\"\"\"\r\n";

struct vec_request {
    const char *secret;
    const char *method;
    const char *target;
    const char *body; /* NULL: no body */
    size_t body_len;
    const char *timestamp;
    const char *nonce;
};

static const struct vec_request vec_requests[] = {
    {VEC_KEY_OWNER, "GET",
     "/v1/datasets?q=weather%20stations&tag=climate&limit=20", NULL, 0,
     "1700000000", "Vec1-get-k3Jd8sLq0ZpX"},
    {VEC_KEY_WORKER, "POST", "/v1/datasets/0x" VEC_DS_A "/queries",
     vec_query_body, sizeof vec_query_body - 1, "1700000123",
     "vec2_post-Zq81LmN3pR7tKc0w"},
    {VEC_KEY_OWNER, "PUT", "/v1/datasets/0x" VEC_DS_A "/parts/1",
     vec_part_body, sizeof vec_part_body - 1, "1700000456",
     "vec3-put-part-0001-abcdefghijklmnop"},
    /* a bare '?' is part of the target as sent; an empty POST body */
    {VEC_KEY_OWNER, "POST", "/v1/datasets/0x" VEC_DS_A "/publish?", NULL, 0,
     "1700000789", "Vec4-publish-bare-question-mark"},
};

struct vec_chunk_key {
    const char *dk;
    const char *dataset_id;
    uint64_t index;
};

static const struct vec_chunk_key vec_chunk_keys[] = {
    {VEC_DK_A, VEC_DS_A, 0},
    {VEC_DK_A, VEC_DS_A, 1},
    {VEC_DK_A, VEC_DS_A, 2},
    {VEC_DK_B, VEC_DS_B, 3},
    {VEC_DK_B, VEC_DS_B, 4294967297u}, /* past 32 bits */
    {VEC_DK_A, VEC_DS_A, UINT64_MAX},
};

enum vec_plain { VEC_PLAIN_CSV, VEC_PLAIN_NOISE };

struct vec_object {
    const char *dk;
    const char *dataset_id;
    uint64_t index;
    enum vec_plain plain;
    const char *nonce;
    int compressed; /* the flag bit 0 this plaintext must get */
};

static const struct vec_object vec_objects[] = {
    {VEC_DK_A, VEC_DS_A, 0, VEC_PLAIN_CSV, "247cad9a6e7f3183dae282ea", 1},
    {VEC_DK_B, VEC_DS_B, 3, VEC_PLAIN_NOISE, "084f037833b73750165aaba4", 0},
};

#define VEC_MAX_WRAP_CHUNKS 4

struct vec_wrap {
    const char *worker_secret;
    const char *ephemeral_secret;
    const char *dk; /* the chunk keys are derived from it */
    const char *dataset_id;
    const char *query_id;
    const char *nonce;
    size_t n;
    uint64_t index[VEC_MAX_WRAP_CHUNKS];
};

static const struct vec_wrap vec_wraps[] = {
    {VEC_KEY_WORKER,
     "6142910f979da6f6b5e8485c341404cd86bde79c43ea288765bc5245bfc0f9c0",
     VEC_DK_A, VEC_DS_A, "642a8214278d3b6c59d2275c2fa94945",
     "14ad5930eee52200bb974330", 3, {0, 1, 2}},
    {VEC_KEY_WORKER,
     "6a1f4cf2bf4f95889e3b3c2f57e6c459cf31d33c754c129f1194e27fd8f4d1cb",
     VEC_DK_A, VEC_DS_A, "c8a1d0929ce73e5b8b47c5e7605c4215",
     "4bdea3569cf9234b3ec72711", 0, {0}},
};

/* Receipts (DESIGN.md 3.10): the audit entries of the two queries whose
 * keys vec_wraps wraps, the second linked to the first, signed by a
 * gateway key (anvil's third development key). Amounts as a metered plan
 * of 1 unit a query and 2 a chunk leaves them after a credit of 1000. */
#define VEC_KEY_GATEWAY "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
#define VEC_RECEIPT_CREDITED 1000

struct vec_receipt {
    const struct vec_wrap *query; /* data-set, worker, query id, chunks */
    int64_t time;
    uint64_t cost;
};

static const struct vec_receipt vec_receipts[] = {
    {&vec_wraps[0], 1700001000, 1 + 2 * 3},
    {&vec_wraps[1], 1700001060, 1}, /* the empty answer */
};

/* The market's surface as DESIGN.md 3.7 writes it: the selectors and the
 * topic that abi_market_load computes from the ABI JSON must be keccak256
 * of these. */
#define VEC_PURCHASE_SIG "purchase(bytes32,address,address,bytes32)"
#define VEC_WITHDRAW_SIG "withdraw()"
#define VEC_PURCHASED_SIG \
    "Purchased(bytes32,address,address,address,uint256,bytes32)"

struct vec_purchase {
    const char *dataset_id;
    const char *owner;  /* EIP-55 */
    const char *worker; /* EIP-55 */
    const char *ref;
};

static const struct vec_purchase vec_purchases[] = {
    {VEC_DS_A, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
     "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
     "1111111111111111111111111111111111111111111111111111111111111111"},
    {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
     "0x0000000000000000000000000000000000000001",
     "0000000000000000000000000000000000000000000000000000000000000000"},
};

struct vec_log {
    const char *dataset_id;
    const char *worker, *payer, *owner; /* EIP-55 */
    const char *amount;                 /* decimal wei */
    const char *ref;
};

static const struct vec_log vec_logs[] = {
    {VEC_DS_A, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
     "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
     "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "1000000000000000000",
     "1111111111111111111111111111111111111111111111111111111111111111"},
    /* 2^128 - 1, the largest amount the decoder accepts; the payer is not
     * the worker */
    {VEC_DS_B, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
     "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
     "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
     "340282366920938463463374607431768211455",
     "00000000000000000000000000000000000000000000000000000000000000ff"},
};

#define VEC_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ----------------------------------------------------------- */

/* Decode one of the fixed hex constants above (no prefix) into out. */
static int vec_unhex(uint8_t *out, size_t n, const char *hex,
                     struct fault *f)
{
    return hex_decode(out, n, hex, strlen(hex), "fixed input", f);
}

static int vec_put(json_t *obj, const char *key, json_t *value,
                   struct fault *f)
{
    if (value == NULL || json_object_set_new(obj, key, value) != 0)
        return fault_set(f, FAULT_INTERNAL, key, "cannot build the JSON");
    return 0;
}

/* Set key of obj to "0x" + lowercase hex of b[0..n) ("0x" when empty). */
static int vec_put_hex(json_t *obj, const char *key, const uint8_t *b,
                       size_t n, struct fault *f)
{
    size_t cap = 2 * n + 3;
    char *s = malloc(cap);
    int rv = -1;

    if (s == NULL || hex_encode_0x(s, cap, b, n) != 0) {
        fault_set(f, FAULT_INTERNAL, key, "cannot write hex");
        goto done;
    }
    rv = vec_put(obj, key, json_string(s), f);
done:
    free(s);
    return rv;
}

/* Set key of obj to the decimal string of v. */
static int vec_put_u64(json_t *obj, const char *key, uint64_t v,
                       struct fault *f)
{
    char s[24];

    snprintf(s, sizeof s, "%" PRIu64, v);
    return vec_put(obj, key, json_string(s), f);
}

static int vec_put_str(json_t *obj, const char *key, const char *s,
                       struct fault *f)
{
    return vec_put(obj, key, json_string(s), f);
}

static int vec_append(json_t *list, json_t *entry, struct fault *f)
{
    if (json_array_append_new(list, entry) != 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "cannot build the JSON");
    return 0;
}

/* Fail naming what with "disagrees" unless a[0..n) equals b[0..n). The
 * values are test vectors, public by definition: memcmp is fine. */
static int vec_same(const void *a, const void *b, size_t n, const char *what,
                    struct fault *f)
{
    if (n > 0 && memcmp(a, b, n) != 0)
        return fault_set(f, FAULT_INTERNAL, what, "the two computations "
                         "disagree");
    return 0;
}

static int vec_check(int ok, const char *what, const char *why,
                     struct fault *f)
{
    if (!ok)
        return fault_set(f, FAULT_INTERNAL, what, "%s", why);
    return 0;
}

/* The CSV chunk: repetitive rows, as real sensor data is, so that zlib
 * shrinks it. Writes at most cap bytes; returns the length. */
static size_t vec_csv_plaintext(uint8_t *buf, size_t cap)
{
    size_t n = 0;

    for (unsigned i = 0; i < 24 && n < cap; i++) {
        int k = snprintf((char *)buf + n, cap - n,
                         "2024-03-%02u,station-%02u,%u.%u,ok\n", i / 4 + 1,
                         i % 4, 10 + i % 7, i % 10);
        if (k < 0 || (size_t)k >= cap - n)
            break;
        n += (size_t)k;
    }
    return n;
}

/* The blob chunk: 96 bytes that zlib cannot shrink, SHA-256 in counter
 * mode over a fixed label. */
static size_t vec_noise_plaintext(uint8_t *buf, size_t cap)
{
    static const char label[] = "sluice/vectors/noise";
    uint8_t in[sizeof label - 1 + 1];
    size_t n = 0;

    memcpy(in, label, sizeof label - 1);
    for (uint8_t i = 0; i < 3 && n + SHA256_DIGEST_LENGTH <= cap; i++) {
        in[sizeof in - 1] = i;
        SHA256(in, sizeof in, buf + n);
        n += SHA256_DIGEST_LENGTH;
    }
    return n;
}

/* Second path to CK_i: HKDF directly, with the info built here. */
static int vec_chunk_key_direct(uint8_t ck[32], const uint8_t dk[32],
                                const uint8_t ds[32], uint64_t index,
                                struct fault *f)
{
    uint8_t info[sizeof VEC_CHUNK_LABEL - 1 + 8];

    memcpy(info, VEC_CHUNK_LABEL, sizeof VEC_CHUNK_LABEL - 1);
    bytes_put_be64(info + sizeof VEC_CHUNK_LABEL - 1, index);
    return hkdf_sha256(ck, 32, dk, 32, ds, 32, info, sizeof info, f);
}

/* CK_i by the library (dskey_chunk_key), checked against the direct
 * path. */
static int vec_chunk_key(uint8_t ck[32], const uint8_t dk[32],
                         const uint8_t ds[32], uint64_t index,
                         struct fault *f)
{
    uint8_t again[32];
    int rv = -1;

    if (dskey_chunk_key(ck, dk, ds, index, f) != 0 ||
        vec_chunk_key_direct(again, dk, ds, index, f) != 0 ||
        vec_same(ck, again, 32, "chunk_keys.ck", f) != 0)
        goto done;
    rv = 0;
done:
    secret_wipe(again, sizeof again);
    return rv;
}

/* ---- sections ---------------------------------------------------------- */

static int vec_keccak_section(json_t *root, struct fault *f)
{
    json_t *list = json_array();
    uint8_t input[256];
    int rv = -1;

    if (vec_put(root, "keccak256", list, f) != 0)
        return -1;
    for (size_t c = 0; c < VEC_COUNT(vec_keccak_cases); c++) {
        const struct vec_keccak *k = &vec_keccak_cases[c];
        uint8_t digest[KECCAK256_LEN], again[KECCAK256_LEN];
        uint8_t published[KECCAK256_LEN];
        struct keccak256_ctx ctx;
        size_t len;
        json_t *e = json_object();

        if (vec_append(list, e, f) != 0)
            goto done;
        if (k->text != NULL) {
            len = strlen(k->text);
            memcpy(input, k->text, len);
        } else {
            len = k->pattern_len;
            for (size_t i = 0; i < len; i++)
                input[i] = (uint8_t)i;
        }
        keccak256(digest, input, len);
        /* Second path: absorb in uneven pieces. */
        keccak256_init(&ctx);
        for (size_t i = 0; i < len; i += 7)
            keccak256_update(&ctx, input + i, len - i < 7 ? len - i : 7);
        keccak256_final(&ctx, again);
        if (vec_same(digest, again, sizeof digest, "keccak256.digest", f) !=
            0)
            goto done;
        if (k->digest != NULL &&
            (vec_unhex(published, sizeof published, k->digest, f) != 0 ||
             vec_check(memcmp(digest, published, sizeof digest) == 0,
                       "keccak256.digest",
                       "differs from the published digest", f) != 0))
            goto done;
        if (vec_put_hex(e, "input_hex", input, len, f) != 0 ||
            vec_put_hex(e, "digest", digest, sizeof digest, f) != 0)
            goto done;
    }
    rv = 0;
done:
    return rv;
}

static int vec_accounts_section(json_t *root, struct fault *f)
{
    json_t *list = json_array();
    struct ethkey key;
    int rv = -1;

    memset(&key, 0, sizeof key);
    if (vec_put(root, "accounts", list, f) != 0)
        return -1;
    for (size_t c = 0; c < VEC_COUNT(vec_accounts); c++) {
        const struct vec_account *a = &vec_accounts[c];
        uint8_t secret[32];
        char text[ETHADDR_TEXT_SIZE];
        struct ethaddr parsed;
        json_t *e = json_object();

        if (vec_append(list, e, f) != 0 ||
            vec_unhex(secret, sizeof secret, a->secret, f) != 0 ||
            ethkey_from_secret(&key, secret, f) != 0)
            goto done;
        ethaddr_to_text(text, &key.addr);
        if (a->address != NULL &&
            vec_check(strcmp(text, a->address) == 0, "accounts.address",
                      "differs from the published address", f) != 0)
            goto done;
        if (ethaddr_parse(&parsed, text, strlen(text), "accounts.address",
                          f) != 0 ||
            vec_check(ethaddr_equal(&parsed, &key.addr), "accounts.address",
                      "does not parse back to itself", f) != 0)
            goto done;
        if (vec_put_hex(e, "private_key", secret, sizeof secret, f) != 0 ||
            vec_put_str(e, "address", text, f) != 0)
            goto done;
        ethkey_wipe(&key);
    }
    rv = 0;
done:
    ethkey_wipe(&key);
    return rv;
}

/* The message of DESIGN.md 3.1 written out a second way, to check
 * reqsig_message against. */
static int vec_message_direct(char **out, const struct vec_request *r,
                              struct fault *f)
{
    uint8_t digest[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];

    *out = NULL;
    SHA256((const uint8_t *)(r->body != NULL ? r->body : ""), r->body_len,
           digest);
    if (hex_encode(hex, sizeof hex, digest, sizeof digest) != 0 ||
        asprintf(out, "sluice-request-v1\n%s\n%s\n%s\n%s\n%s", r->method,
                 r->target, hex, r->timestamp, r->nonce) < 0) {
        *out = NULL;
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

static int vec_requests_section(json_t *root, struct fault *f)
{
    json_t *list = json_array();
    struct ethkey key;
    char *msg = NULL, *direct = NULL;
    int rv = -1;

    memset(&key, 0, sizeof key);
    if (vec_put(root, "request_signatures", list, f) != 0)
        return -1;
    for (size_t c = 0; c < VEC_COUNT(vec_requests); c++) {
        const struct vec_request *r = &vec_requests[c];
        uint8_t secret[32];
        uint8_t sig[ETHSIG_LEN];
        char sig_text[ETHSIG_TEXT_SIZE], again[ETHSIG_TEXT_SIZE];
        char addr_text[ETHADDR_TEXT_SIZE];
        struct ethaddr signer;
        size_t msg_len;
        int64_t ts;
        json_t *e = json_object();

        if (vec_append(list, e, f) != 0 ||
            vec_unhex(secret, sizeof secret, r->secret, f) != 0 ||
            ethkey_from_secret(&key, secret, f) != 0)
            goto done;
        if (reqsig_message(&msg, &msg_len, r->method, r->target,
                           strlen(r->target), (const uint8_t *)r->body,
                           r->body_len, r->timestamp, r->nonce, f) != 0 ||
            vec_message_direct(&direct, r, f) != 0 ||
            vec_check(strlen(direct) == msg_len &&
                          memcmp(direct, msg, msg_len) == 0,
                      "request_signatures.message",
                      "reqsig_message differs from the text of 3.1", f) != 0)
            goto done;
        /* The header checks a gateway runs first must pass too (at the
         * vector's own time). */
        if (reqsig_check_nonce(r->nonce, strlen(r->nonce), f) != 0 ||
            reqsig_check_timestamp(&ts, r->timestamp, strlen(r->timestamp),
                                   (int64_t)strtoll(r->timestamp, NULL, 10),
                                   f) != 0)
            goto done;
        if (reqsig_sign(sig_text, &key, msg, msg_len, f) != 0 ||
            reqsig_sign(again, &key, msg, msg_len, f) != 0 ||
            vec_check(strcmp(sig_text, again) == 0,
                      "request_signatures.signature",
                      "signing twice gave two signatures (not RFC 6979)",
                      f) != 0)
            goto done;
        if (ethsig_parse(sig, sig_text, strlen(sig_text), "signature", f) !=
                0 ||
            vec_check(sig[64] == 27 || sig[64] == 28,
                      "request_signatures.signature",
                      "v is not 27 + recovery id", f) != 0)
            goto done;
        /* Recovery refuses a high s, so success also proves low-s. */
        if (reqsig_verify(NULL, &signer, sig_text, strlen(sig_text), msg,
                          msg_len, f) != 0 ||
            vec_check(ethaddr_equal(&signer, &key.addr),
                      "request_signatures.address",
                      "the recovered signer is not the key's address",
                      f) != 0)
            goto done;
        ethaddr_to_text(addr_text, &signer);
        if (vec_put_hex(e, "private_key", secret, sizeof secret, f) != 0 ||
            vec_put_str(e, "method", r->method, f) != 0 ||
            vec_put_str(e, "target", r->target, f) != 0 ||
            vec_put_hex(e, "body_hex", (const uint8_t *)r->body, r->body_len,
                        f) != 0 ||
            vec_put_str(e, "timestamp", r->timestamp, f) != 0 ||
            vec_put_str(e, "nonce", r->nonce, f) != 0 ||
            vec_put(e, "message", json_stringn(msg, msg_len), f) != 0 ||
            vec_put_str(e, "signature", sig_text, f) != 0 ||
            vec_put_str(e, "address", addr_text, f) != 0)
            goto done;
        free(msg);
        free(direct);
        msg = direct = NULL;
        ethkey_wipe(&key);
    }
    rv = 0;
done:
    free(msg);
    free(direct);
    ethkey_wipe(&key);
    return rv;
}

static int vec_chunk_keys_section(json_t *root, struct fault *f)
{
    json_t *list = json_array();

    if (vec_put(root, "chunk_keys", list, f) != 0)
        return -1;
    for (size_t c = 0; c < VEC_COUNT(vec_chunk_keys); c++) {
        const struct vec_chunk_key *k = &vec_chunk_keys[c];
        uint8_t dk[32], ds[32], ck[32];
        json_t *e = json_object();

        if (vec_append(list, e, f) != 0 ||
            vec_unhex(dk, sizeof dk, k->dk, f) != 0 ||
            vec_unhex(ds, sizeof ds, k->dataset_id, f) != 0 ||
            vec_chunk_key(ck, dk, ds, k->index, f) != 0)
            return -1;
        if (vec_put_hex(e, "dk", dk, sizeof dk, f) != 0 ||
            vec_put_hex(e, "dataset_id", ds, sizeof ds, f) != 0 ||
            vec_put_u64(e, "index", k->index, f) != 0 ||
            vec_put_hex(e, "ck", ck, sizeof ck, f) != 0)
            return -1;
    }
    return 0;
}

/* Check obj (len bytes) every way we can: its header, its ciphertext
 * against payload, and chunkobj_open against plain; and that it refuses
 * to open as another chunk or for another data-set. */
static int vec_check_object(const struct vec_object *o, const uint8_t ck[32],
                            const uint8_t ds[32], const uint8_t nonce[12],
                            const uint8_t *plain, size_t plain_len,
                            const uint8_t *payload, size_t payload_len,
                            const uint8_t *obj, size_t len, struct fault *f)
{
    struct chunkobj_header h;
    uint8_t aad[CHUNKOBJ_HEADER_LEN + 32];
    uint8_t other[32];
    uint8_t *body = NULL, *back = NULL;
    size_t back_len;
    struct fault ignored;
    int rv = -1;

    if (chunkobj_parse_header(&h, obj, len, f) != 0 ||
        vec_check(h.index == o->index && h.plain_len == plain_len &&
                      memcmp(h.nonce, nonce, 12) == 0 &&
                      h.flags == (o->compressed ? CHUNKOBJ_FLAG_ZLIB : 0),
                  "objects.object_hex", "the header is not what was sealed",
                  f) != 0 ||
        vec_check(len == CHUNKOBJ_OVERHEAD + payload_len, "objects.object_hex",
                  "the length is not header + payload + tag", f) != 0)
        goto done;
    /* Decrypt by hand: the ciphertext must be exactly the payload. */
    body = malloc(payload_len > 0 ? payload_len : 1);
    if (body == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    memcpy(aad, obj, CHUNKOBJ_HEADER_LEN);
    memcpy(aad + CHUNKOBJ_HEADER_LEN, ds, 32);
    if (aead_open(body, ck, nonce, aad, sizeof aad, obj + CHUNKOBJ_HEADER_LEN,
                  payload_len + AEAD_TAG_LEN, f) != 0 ||
        vec_same(body, payload, payload_len, "objects.payload_hex", f) != 0)
        goto done;
    if (chunkobj_open(&back, &back_len, ck, ds, o->index, obj, len, f) != 0 ||
        vec_check(back_len == plain_len, "objects.plaintext_hex",
                  "chunkobj_open gave another length", f) != 0 ||
        vec_same(back, plain, plain_len, "objects.plaintext_hex", f) != 0)
        goto done;
    free(back);
    back = NULL;
    if (chunkobj_open(&back, &back_len, ck, ds, o->index + 1, obj, len,
                      &ignored) == 0) {
        fault_set(f, FAULT_INTERNAL, "objects.index",
                  "the object opens as another chunk");
        goto done;
    }
    memcpy(other, ds, 32);
    other[31] ^= 1;
    if (chunkobj_open(&back, &back_len, ck, other, o->index, obj, len,
                      &ignored) == 0) {
        fault_set(f, FAULT_INTERNAL, "objects.dataset_id",
                  "the object opens for another data-set");
        goto done;
    }
    rv = 0;
done:
    free(body);
    free(back);
    return rv;
}

static int vec_objects_section(json_t *root, struct fault *f)
{
    json_t *list = json_array();
    uint8_t plain[4096];
    uint8_t *payload = NULL, *obj = NULL;
    int rv = -1;

    if (vec_put(root, "objects", list, f) != 0)
        return -1;
    for (size_t c = 0; c < VEC_COUNT(vec_objects); c++) {
        const struct vec_object *o = &vec_objects[c];
        uint8_t dk[32], ds[32], ck[32], nonce[12];
        uint8_t id[SHA256_DIGEST_LENGTH];
        char id_hex[2 * SHA256_DIGEST_LENGTH + 1];
        size_t plain_len, payload_len, len;
        uint8_t flags;
        json_t *e = json_object();

        if (vec_append(list, e, f) != 0 ||
            vec_unhex(dk, sizeof dk, o->dk, f) != 0 ||
            vec_unhex(ds, sizeof ds, o->dataset_id, f) != 0 ||
            vec_unhex(nonce, sizeof nonce, o->nonce, f) != 0 ||
            vec_chunk_key(ck, dk, ds, o->index, f) != 0)
            goto done;
        plain_len = o->plain == VEC_PLAIN_CSV
                        ? vec_csv_plaintext(plain, sizeof plain)
                        : vec_noise_plaintext(plain, sizeof plain);
        if (chunkobj_compress(&payload, &payload_len, &flags, plain,
                              plain_len, STORE_DEFAULT_ZLIB_LEVEL, f) != 0 ||
            vec_check(flags == (o->compressed ? CHUNKOBJ_FLAG_ZLIB : 0),
                      "objects.payload_hex",
                      o->compressed ? "the chunk did not compress"
                                    : "the chunk compressed",
                      f) != 0)
            goto done;
        if (chunkobj_seal(&obj, &len, ck, ds, o->index, plain, plain_len,
                          STORE_DEFAULT_ZLIB_LEVEL, nonce, f) != 0 ||
            vec_check_object(o, ck, ds, nonce, plain, plain_len, payload,
                             payload_len, obj, len, f) != 0)
            goto done;
        SHA256(obj, len, id);
        if (hex_encode(id_hex, sizeof id_hex, id, sizeof id) != 0) {
            fault_set(f, FAULT_INTERNAL, NULL, "cannot write hex");
            goto done;
        }
        if (vec_put_hex(e, "dk", dk, sizeof dk, f) != 0 ||
            vec_put_hex(e, "ck", ck, sizeof ck, f) != 0 ||
            vec_put_hex(e, "dataset_id", ds, sizeof ds, f) != 0 ||
            vec_put_u64(e, "index", o->index, f) != 0 ||
            vec_put_hex(e, "plaintext_hex", plain, plain_len, f) != 0 ||
            vec_put_hex(e, "nonce", nonce, sizeof nonce, f) != 0 ||
            vec_put_hex(e, "payload_hex", payload, payload_len, f) != 0 ||
            vec_put_hex(e, "object_hex", obj, len, f) != 0 ||
            vec_put_str(e, "object_id", id_hex, f) != 0)
            goto done;
        free(payload);
        free(obj);
        payload = obj = NULL;
    }
    rv = 0;
done:
    free(payload);
    free(obj);
    return rv;
}

/* Check the wrap w made for v with trace t every way we can: the epk is
 * e*G, WK follows from S by HKDF, the plaintext is the entries laid out,
 * the ciphertext opens under WK by hand, the JSON form parses back to the
 * same bytes, and keywrap_open gives the entries back, for this query
 * only. */
static int vec_check_wrap(const struct keywrap *w,
                          const struct keywrap_trace *t,
                          const json_t *wrap_json, const uint8_t eph[32],
                          const uint8_t worker[32], const uint8_t ds[32],
                          const uint8_t qid[16],
                          const struct keywrap_entry *entries, size_t n,
                          struct fault *f)
{
    static const char label[] = KEYWRAP_LABEL;
    struct ethkey e;
    struct keywrap parsed;
    struct keywrap_entry *back = NULL;
    size_t back_n = 0;
    uint8_t epk[KEYWRAP_EPK_LEN], wk[32];
    uint8_t layout[VEC_MAX_WRAP_CHUNKS * KEYWRAP_ENTRY_LEN];
    uint8_t opened[VEC_MAX_WRAP_CHUNKS * KEYWRAP_ENTRY_LEN + 1];
    uint8_t aad[sizeof label - 1 + 32 + 16];
    uint8_t other[16];
    struct fault ignored;
    int rv = -1;

    memset(&e, 0, sizeof e);
    memset(&parsed, 0, sizeof parsed);
    if (ethkey_from_secret(&e, eph, f) != 0 ||
        ethkey_pubkey_serialize(epk, &e.pub) != 0 ||
        vec_same(epk, w->epk, sizeof epk, "key_wraps.wrap.epk", f) != 0)
        goto done;
    if (hkdf_sha256(wk, sizeof wk, t->shared_secret, 32, w->epk,
                    KEYWRAP_EPK_LEN, (const uint8_t *)label, sizeof label - 1,
                    f) != 0 ||
        vec_same(wk, t->wk, sizeof wk, "key_wraps.wk", f) != 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        bytes_put_be64(layout + i * KEYWRAP_ENTRY_LEN, entries[i].index);
        memcpy(layout + i * KEYWRAP_ENTRY_LEN + 8, entries[i].ck, 32);
    }
    if (vec_check(t->plaintext_len == n * KEYWRAP_ENTRY_LEN &&
                      w->ciphertext_len == t->plaintext_len + AEAD_TAG_LEN,
                  "key_wraps.plaintext_hex", "has the wrong length", f) != 0 ||
        vec_same(layout, t->plaintext, t->plaintext_len,
                 "key_wraps.plaintext_hex", f) != 0)
        goto done;
    memcpy(aad, label, sizeof label - 1);
    memcpy(aad + sizeof label - 1, ds, 32);
    memcpy(aad + sizeof label - 1 + 32, qid, 16);
    if (aead_open(opened, wk, w->nonce, aad, sizeof aad, w->ciphertext,
                  w->ciphertext_len, f) != 0 ||
        vec_same(opened, layout, t->plaintext_len, "key_wraps.wrap", f) != 0)
        goto done;
    if (keywrap_from_json(&parsed, wrap_json, f) != 0 ||
        vec_check(parsed.ciphertext_len == w->ciphertext_len,
                  "key_wraps.wrap", "the JSON form does not parse back", f) !=
            0 ||
        vec_same(parsed.epk, w->epk, sizeof parsed.epk, "key_wraps.wrap.epk",
                 f) != 0 ||
        vec_same(parsed.nonce, w->nonce, sizeof parsed.nonce,
                 "key_wraps.wrap.nonce", f) != 0 ||
        vec_same(parsed.ciphertext, w->ciphertext, w->ciphertext_len,
                 "key_wraps.wrap.ciphertext", f) != 0)
        goto done;
    if (keywrap_open(&back, &back_n, &parsed, worker, ds, qid, f) != 0 ||
        vec_check(back_n == n, "key_wraps.chunks",
                  "keywrap_open gave another number of keys", f) != 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (vec_check(back[i].index == entries[i].index &&
                          memcmp(back[i].ck, entries[i].ck, 32) == 0,
                      "key_wraps.chunks", "keywrap_open gave another key",
                      f) != 0)
            goto done;
    keywrap_entries_free(back, back_n);
    back = NULL;
    memcpy(other, qid, sizeof other);
    other[15] ^= 1;
    if (keywrap_open(&back, &back_n, &parsed, worker, ds, other, &ignored) ==
        0) {
        fault_set(f, FAULT_INTERNAL, "key_wraps.query_id",
                  "the wrap opens for another query");
        goto done;
    }
    rv = 0;
done:
    keywrap_entries_free(back, back_n);
    keywrap_clear(&parsed);
    ethkey_wipe(&e);
    secret_wipe(wk, sizeof wk);
    secret_wipe(layout, sizeof layout);
    secret_wipe(opened, sizeof opened);
    return rv;
}

static int vec_wrap_entry(json_t *list, const struct vec_wrap *v,
                          struct fault *f)
{
    struct keywrap_entry entries[VEC_MAX_WRAP_CHUNKS];
    uint8_t worker[32], eph[32], dk[32], ds[32], qid[16], nonce[12];
    struct ethkey wkey;
    struct keywrap w;
    struct keywrap_trace t;
    json_t *e = json_object();
    json_t *chunks = json_array();
    json_t *wrap_json = NULL;
    int rv = -1;

    memset(&wkey, 0, sizeof wkey);
    memset(&w, 0, sizeof w);
    memset(&t, 0, sizeof t);
    memset(entries, 0, sizeof entries);
    if (e == NULL || chunks == NULL || vec_append(list, e, f) != 0) {
        json_decref(chunks);
        fault_set(f, FAULT_INTERNAL, NULL, "cannot build the JSON");
        goto done;
    }
    if (vec_unhex(worker, sizeof worker, v->worker_secret, f) != 0 ||
        vec_unhex(eph, sizeof eph, v->ephemeral_secret, f) != 0 ||
        vec_unhex(dk, sizeof dk, v->dk, f) != 0 ||
        vec_unhex(ds, sizeof ds, v->dataset_id, f) != 0 ||
        vec_unhex(qid, sizeof qid, v->query_id, f) != 0 ||
        vec_unhex(nonce, sizeof nonce, v->nonce, f) != 0 ||
        ethkey_from_secret(&wkey, worker, f) != 0)
        goto done;
    for (size_t i = 0; i < v->n; i++) {
        json_t *c = json_object();

        entries[i].index = v->index[i];
        if (vec_chunk_key(entries[i].ck, dk, ds, v->index[i], f) != 0 ||
            vec_append(chunks, c, f) != 0 ||
            vec_put_u64(c, "index", entries[i].index, f) != 0 ||
            vec_put_hex(c, "ck", entries[i].ck, 32, f) != 0)
            goto done;
    }
    if (keywrap_seal(&w, &t, &wkey.pub, ds, qid, entries, v->n, eph, nonce,
                     f) != 0 ||
        keywrap_to_json(&wrap_json, &w, f) != 0 ||
        vec_check_wrap(&w, &t, wrap_json, eph, worker, ds, qid, entries, v->n,
                       f) != 0)
        goto done;
    if (vec_put_hex(e, "worker_private_key", worker, sizeof worker, f) != 0 ||
        vec_put_hex(e, "ephemeral_secret", eph, sizeof eph, f) != 0 ||
        vec_put_hex(e, "dataset_id", ds, sizeof ds, f) != 0 ||
        vec_put_hex(e, "query_id", qid, sizeof qid, f) != 0)
        goto done;
    if (vec_put(e, "chunks", chunks, f) != 0) {
        chunks = NULL; /* json_object_set_new took it, even on failure */
        goto done;
    }
    chunks = NULL;
    if (vec_put_hex(e, "shared_secret", t.shared_secret, 32, f) != 0 ||
        vec_put_hex(e, "wk", t.wk, 32, f) != 0 ||
        vec_put_hex(e, "plaintext_hex", t.plaintext, t.plaintext_len, f) !=
            0)
        goto done;
    if (vec_put(e, "wrap", wrap_json, f) != 0) {
        wrap_json = NULL;
        goto done;
    }
    wrap_json = NULL;
    rv = 0;
done:
    json_decref(chunks);
    json_decref(wrap_json);
    keywrap_clear(&w);
    keywrap_trace_clear(&t);
    ethkey_wipe(&wkey);
    secret_wipe(entries, sizeof entries);
    return rv;
}

static int vec_wraps_section(json_t *root, struct fault *f)
{
    json_t *list = json_array();

    if (vec_put(root, "key_wraps", list, f) != 0)
        return -1;
    for (size_t c = 0; c < VEC_COUNT(vec_wraps); c++)
        if (vec_wrap_entry(list, &vec_wraps[c], f) != 0)
            return -1;
    return 0;
}

/* ---- receipts (DESIGN.md 3.10) ----------------------------------------- */

/* The text of 3.10 written out a second way, to check audit_entry_text
 * against. */
static int vec_receipt_direct(char **out, const struct audit_entry *e,
                              struct fault *f)
{
    char prev[67], ds[67], q[35], gw[ETHADDR_TEXT_SIZE], wk[ETHADDR_TEXT_SIZE];
    char chunks[VEC_MAX_WRAP_CHUNKS * 22 + 1];
    size_t n = 0;

    *out = NULL;
    chunks[0] = '\0';
    for (size_t i = 0; i < e->nchunks; i++)
        n += (size_t)snprintf(chunks + n, sizeof chunks - n, "%s%" PRIu64,
                              i ? "," : "", e->chunks[i]);
    if (hex_encode_0x(prev, sizeof prev, e->prev, 32) != 0 ||
        hex_encode_0x(ds, sizeof ds, e->dataset_id, 32) != 0 ||
        hex_encode_0x(q, sizeof q, e->query_id, 16) != 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "cannot write hex");
    ethaddr_to_text(gw, &e->gateway);
    ethaddr_to_text(wk, &e->worker);
    if (asprintf(out,
                 "sluice-release-v1\nindex: %" PRIu64 "\nprev: %s\ntime: "
                 "%" PRId64 "\ngateway: %s\ndataset: %s\nworker: %s\n"
                 "query: %s\nchunks: %s\ncost: %" PRIu64 "\nbalance_after: "
                 "%" PRIu64 "\ncredited_total: %" PRIu64 "\nspent_total: "
                 "%" PRIu64,
                 e->index, prev, e->time, gw, ds, wk, q, chunks, e->cost,
                 e->balance_after, e->credited_total, e->spent_total) < 0) {
        *out = NULL;
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

/* One receipt: entry index of the log, after the entry whose hash is
 * prev and the spending so far (*spent, moved on). Checked before it is
 * printed: the text both ways, parsed back, the chain check, the hash,
 * the signature twice (RFC 6979) and its signer. */
static int vec_receipt_entry(json_t *list, struct audit_check *chain,
                             const struct vec_receipt *v, uint64_t index,
                             uint64_t *spent, struct fault *f)
{
    struct ethkey gw, worker;
    struct audit_entry e, back;
    uint8_t secret[32], hash[32], again[32], sig[ETHSIG_LEN],
        sig2[ETHSIG_LEN];
    uint64_t *back_chunks = NULL;
    struct ethaddr signer;
    char *text = NULL, *direct = NULL;
    size_t len;
    json_t *obj = json_object();
    int rv = -1;

    memset(&gw, 0, sizeof gw);
    memset(&worker, 0, sizeof worker);
    memset(&e, 0, sizeof e);
    if (vec_append(list, obj, f) != 0 ||
        vec_unhex(secret, sizeof secret, VEC_KEY_GATEWAY, f) != 0 ||
        ethkey_from_secret(&gw, secret, f) != 0 ||
        vec_unhex(secret, sizeof secret, v->query->worker_secret, f) != 0 ||
        ethkey_from_secret(&worker, secret, f) != 0 ||
        vec_unhex(e.dataset_id, 32, v->query->dataset_id, f) != 0 ||
        vec_unhex(e.query_id, 16, v->query->query_id, f) != 0)
        goto done;
    *spent += v->cost;
    e.index = index;
    memcpy(e.prev, chain->last, 32);
    e.time = v->time;
    e.gateway = gw.addr;
    e.worker = worker.addr;
    e.chunks = v->query->index;
    e.nchunks = v->query->n;
    e.cost = v->cost;
    e.credited_total = VEC_RECEIPT_CREDITED;
    e.spent_total = *spent;
    e.balance_after = VEC_RECEIPT_CREDITED - *spent;
    if (audit_entry_text(&text, &len, hash, &e, f) != 0 ||
        vec_receipt_direct(&direct, &e, f) != 0 ||
        vec_check(strlen(direct) == len && memcmp(direct, text, len) == 0,
                  "receipts.text", "audit_entry_text differs from the text "
                  "of 3.10", f) != 0)
        goto done;
    SHA256((const uint8_t *)text, len, again);
    if (vec_same(hash, again, 32, "receipts.hash", f) != 0 ||
        audit_entry_parse(&back, &back_chunks, text, len, f) != 0 ||
        vec_check(back.index == e.index && back.nchunks == e.nchunks &&
                      back.spent_total == e.spent_total,
                  "receipts.text", "does not parse back to its entry", f) !=
            0 ||
        audit_check_next(chain, index, text, len, hash, f) != 0)
        goto done;
    if (ethsig_sign_personal(sig, &gw, (const uint8_t *)text, len, f) != 0 ||
        ethsig_sign_personal(sig2, &gw, (const uint8_t *)text, len, f) != 0 ||
        vec_check(memcmp(sig, sig2, sizeof sig) == 0, "receipts.signature",
                  "signing twice gave two signatures (not RFC 6979)", f) !=
            0 ||
        vec_check(sig[64] == 27 || sig[64] == 28, "receipts.signature",
                  "v is not 27 + recovery id", f) != 0)
        goto done;
    /* Recovery refuses a high s, so success also proves low-s. */
    if (ethsig_recover_personal(NULL, &signer, sig, (const uint8_t *)text,
                                len, f) != 0 ||
        vec_check(ethaddr_equal(&signer, &gw.addr), "receipts.signature",
                  "the recovered signer is not the gateway's address", f) != 0)
        goto done;
    if (vec_put_hex(obj, "gateway_private_key", gw.secret, 32, f) != 0 ||
        vec_put(obj, "text", json_stringn(text, len), f) != 0 ||
        vec_put_hex(obj, "hash", hash, 32, f) != 0 ||
        vec_put_hex(obj, "signature", sig, sizeof sig, f) != 0)
        goto done;
    rv = 0;
done:
    free(text);
    free(direct);
    free(back_chunks);
    ethkey_wipe(&gw);
    ethkey_wipe(&worker);
    secret_wipe(secret, sizeof secret);
    return rv;
}

static int vec_receipts_section(json_t *root, struct fault *f)
{
    json_t *list = json_array();
    struct audit_check chain;
    uint64_t spent = 0;

    if (vec_put(root, "receipts", list, f) != 0)
        return -1;
    audit_check_start(&chain);
    for (size_t c = 0; c < VEC_COUNT(vec_receipts); c++)
        if (vec_receipt_entry(list, &chain, &vec_receipts[c], c + 1, &spent,
                              f) != 0)
            return -1;
    return 0;
}

/* ---- abi (DESIGN.md 3.7) ----------------------------------------------- */

static int vec_addr(struct ethaddr *out, const char *text, struct fault *f)
{
    return ethaddr_parse(out, text, strlen(text), "fixed input", f);
}

static int vec_put_addr(json_t *obj, const char *key, const struct ethaddr *a,
                        struct fault *f)
{
    char text[ETHADDR_TEXT_SIZE];

    ethaddr_to_text(text, a);
    return vec_put_str(obj, key, text, f);
}

/* The market's ABI from the embedded JSON, its selectors and topic checked
 * against keccak256 of the signatures written out above. */
static int vec_market(struct abi_market *m, struct fault *f)
{
    uint8_t d[KECCAK256_LEN];
    size_t len = 0;
    const char *json = abi_market_json(&len);

    if (abi_market_load(m, json, len, f) != 0)
        return -1;
    keccak256(d, (const uint8_t *)VEC_PURCHASE_SIG,
              sizeof VEC_PURCHASE_SIG - 1);
    if (vec_same(m->purchase_selector, d, ABI_SELECTOR_LEN, "abi.selector",
                 f) != 0)
        return -1;
    keccak256(d, (const uint8_t *)VEC_WITHDRAW_SIG,
              sizeof VEC_WITHDRAW_SIG - 1);
    if (vec_same(m->withdraw_selector, d, ABI_SELECTOR_LEN, "abi.selector",
                 f) != 0)
        return -1;
    keccak256(d, (const uint8_t *)VEC_PURCHASED_SIG,
              sizeof VEC_PURCHASED_SIG - 1);
    return vec_same(m->purchased_topic, d, ABI_WORD_LEN, "abi.topics", f);
}

static int vec_purchase_entry(json_t *list, const struct abi_market *m,
                              const struct vec_purchase *v, struct fault *f)
{
    uint8_t ds[32], ref[32], data[ABI_PURCHASE_CALLDATA_LEN];
    struct ethaddr owner, worker;
    json_t *e = json_object();

    if (vec_append(list, e, f) != 0 ||
        vec_unhex(ds, sizeof ds, v->dataset_id, f) != 0 ||
        vec_unhex(ref, sizeof ref, v->ref, f) != 0 ||
        vec_addr(&owner, v->owner, f) != 0 ||
        vec_addr(&worker, v->worker, f) != 0)
        return -1;
    abi_encode_purchase(data, m, ds, &owner, &worker, ref);
    /* Second path: the words at their offsets. */
    if (vec_same(data, m->purchase_selector, 4, "abi.calldata", f) != 0 ||
        vec_same(data + 4, ds, 32, "abi.calldata", f) != 0 ||
        vec_check(data[4 + 32 + 11] == 0 && data[4 + 64 + 11] == 0,
                  "abi.calldata", "an address is not zero-padded", f) != 0 ||
        vec_same(data + 4 + 44, owner.bytes, 20, "abi.calldata", f) != 0 ||
        vec_same(data + 4 + 76, worker.bytes, 20, "abi.calldata", f) != 0 ||
        vec_same(data + 4 + 96, ref, 32, "abi.calldata", f) != 0)
        return -1;
    if (vec_put_str(e, "kind", "purchase", f) != 0 ||
        vec_put_str(e, "function", VEC_PURCHASE_SIG, f) != 0 ||
        vec_put_hex(e, "selector", m->purchase_selector, ABI_SELECTOR_LEN,
                    f) != 0 ||
        vec_put_hex(e, "dataset_id", ds, 32, f) != 0 ||
        vec_put_addr(e, "owner", &owner, f) != 0 ||
        vec_put_addr(e, "worker", &worker, f) != 0 ||
        vec_put_hex(e, "ref", ref, 32, f) != 0 ||
        vec_put_hex(e, "calldata", data, sizeof data, f) != 0)
        return -1;
    return 0;
}

static int vec_withdraw_entry(json_t *list, const struct abi_market *m,
                              struct fault *f)
{
    uint8_t data[ABI_WITHDRAW_CALLDATA_LEN];
    json_t *e = json_object();

    abi_encode_withdraw(data, m);
    if (vec_append(list, e, f) != 0 ||
        vec_put_str(e, "kind", "withdraw", f) != 0 ||
        vec_put_str(e, "function", VEC_WITHDRAW_SIG, f) != 0 ||
        vec_put_hex(e, "selector", m->withdraw_selector, ABI_SELECTOR_LEN,
                    f) != 0 ||
        vec_put_hex(e, "calldata", data, sizeof data, f) != 0)
        return -1;
    return 0;
}

/* A Purchased log written here from the fixed values (the topics and the
 * data words), then decoded by abi_decode_purchased, which must give the
 * values back. */
static int vec_log_entry(json_t *list, const struct abi_market *m,
                         const struct vec_log *v, struct fault *f)
{
    uint8_t topics[ABI_PURCHASED_TOPICS][ABI_WORD_LEN];
    uint8_t data[ABI_PURCHASED_DATA_LEN];
    struct ethaddr worker, payer, owner;
    struct abi_purchased p;
    struct u256 amount;
    char text[U256_DECIMAL_SIZE];
    json_t *e = json_object(), *tl = json_array();
    int rv = -1;

    memset(topics, 0, sizeof topics);
    memset(data, 0, sizeof data);
    if (vec_append(list, e, f) != 0 ||
        vec_unhex(topics[1], 32, v->dataset_id, f) != 0 ||
        vec_addr(&worker, v->worker, f) != 0 ||
        vec_addr(&payer, v->payer, f) != 0 ||
        vec_addr(&owner, v->owner, f) != 0 ||
        u256_parse_decimal(&amount, v->amount, strlen(v->amount),
                           "fixed input", f) != 0 ||
        vec_unhex(data + 64, 32, v->ref, f) != 0)
        goto done;
    memcpy(topics[0], m->purchased_topic, 32);
    memcpy(topics[2] + 12, worker.bytes, 20);
    memcpy(topics[3] + 12, payer.bytes, 20);
    memcpy(data + 12, owner.bytes, 20);
    u256_to_be32(data + 32, &amount);
    if (abi_decode_purchased(&p, m, (const uint8_t(*)[ABI_WORD_LEN])topics,
                             ABI_PURCHASED_TOPICS, data, sizeof data,
                             f) != 0 ||
        vec_same(p.dataset_id, topics[1], 32, "abi.dataset_id", f) != 0 ||
        vec_check(ethaddr_equal(&p.worker, &worker) &&
                      ethaddr_equal(&p.payer, &payer) &&
                      ethaddr_equal(&p.owner, &owner),
                  "abi.log", "an address does not decode back", f) != 0 ||
        vec_check(u256_cmp(&p.amount, &amount) == 0, "abi.amount",
                  "does not decode back", f) != 0 ||
        vec_same(p.ref, data + 64, 32, "abi.ref", f) != 0)
        goto done;
    u256_to_decimal(text, &p.amount);
    if (vec_put_str(e, "kind", "purchased_log", f) != 0 ||
        vec_put_str(e, "event", VEC_PURCHASED_SIG, f) != 0)
        goto done;
    if (vec_put(e, "topics", tl, f) != 0) {
        tl = NULL;
        goto done;
    }
    for (size_t i = 0; i < ABI_PURCHASED_TOPICS; i++) {
        char hex[2 * ABI_WORD_LEN + 3];

        if (hex_encode_0x(hex, sizeof hex, topics[i], ABI_WORD_LEN) != 0 ||
            vec_append(tl, json_string(hex), f) != 0) {
            tl = NULL;
            goto done;
        }
    }
    tl = NULL;
    if (vec_put_hex(e, "data", data, sizeof data, f) != 0 ||
        vec_put_hex(e, "dataset_id", p.dataset_id, 32, f) != 0 ||
        vec_put_addr(e, "worker", &p.worker, f) != 0 ||
        vec_put_addr(e, "payer", &p.payer, f) != 0 ||
        vec_put_addr(e, "owner", &p.owner, f) != 0 ||
        vec_put_str(e, "amount", text, f) != 0 ||
        vec_put_hex(e, "ref", p.ref, 32, f) != 0)
        goto done;
    rv = 0;
done:
    json_decref(tl);
    return rv;
}

static int vec_abi_section(json_t *root, struct fault *f)
{
    json_t *list = json_array();
    struct abi_market m;

    if (vec_put(root, "abi", list, f) != 0 || vec_market(&m, f) != 0)
        return -1;
    for (size_t c = 0; c < VEC_COUNT(vec_purchases); c++)
        if (vec_purchase_entry(list, &m, &vec_purchases[c], f) != 0)
            return -1;
    if (vec_withdraw_entry(list, &m, f) != 0)
        return -1;
    for (size_t c = 0; c < VEC_COUNT(vec_logs); c++)
        if (vec_log_entry(list, &m, &vec_logs[c], f) != 0)
            return -1;
    return 0;
}

int main(void)
{
    struct fault f;
    json_t *root = json_object();
    char *text = NULL;
    int rv = 1;

    fault_clear(&f);
    if (root == NULL ||
        vec_put(root, "version", json_integer(VEC_FILE_VERSION), &f) != 0 ||
        vec_keccak_section(root, &f) != 0 ||
        vec_accounts_section(root, &f) != 0 ||
        vec_requests_section(root, &f) != 0 ||
        vec_chunk_keys_section(root, &f) != 0 ||
        vec_objects_section(root, &f) != 0 ||
        vec_wraps_section(root, &f) != 0 ||
        vec_receipts_section(root, &f) != 0 ||
        vec_abi_section(root, &f) != 0)
        goto done;
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        fault_set(&f, FAULT_INTERNAL, NULL, "cannot write the JSON");
        goto done;
    }
    if (fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0) {
        fault_set(&f, FAULT_IO, NULL, "cannot write to stdout");
        goto done;
    }
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "gen_vectors: %s%s%s\n", f.field,
                f.field[0] != '\0' ? ": " : "",
                f.detail[0] != '\0' ? f.detail : "failed");
    free(text);
    json_decref(root);
    return rv;
}
