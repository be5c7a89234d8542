/*
 * Fuzz the decoding of Purchased logs (contracts-abi/abi.c) and the
 * decimal text of amounts (lib/u256.c).
 *
 * The input is read three ways:
 * - as a log: the first byte's low 3 bits give the number of topics (0-7),
 *   its bit 3 puts the real Purchased topic in topic0 (so that the fuzzer
 *   gets past the first check at once), then the topics, 32 bytes each,
 *   then the data. A log that decodes must encode back to the same topics
 *   and data word for word, with an amount below 2^128; a refusal must
 *   be FAULT_INVALID with a field and the output zeroed.
 * - as decimal text: u256_parse_decimal accepts exactly the canonical
 *   text, so an accepted input must print back byte for byte;
 * - as ABI JSON, when it starts with '[': abi_market_load must accept or
 *   refuse with FAULT_INVALID, never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contracts-abi/abi.h"
#include "lib/u256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TOPICS 7

static void fuzz_log(const struct abi_market *m, const uint8_t *data,
                     size_t size)
{
    uint8_t topics[MAX_TOPICS][ABI_WORD_LEN];
    const uint8_t *body;
    struct abi_purchased p;
    struct fault f;
    size_t n, body_len;

    if (size < 1)
        return;
    n = data[0] & 7;
    if (size - 1 < n * ABI_WORD_LEN)
        return;
    memcpy(topics, data + 1, n * ABI_WORD_LEN);
    if ((data[0] & 8) && n > 0)
        memcpy(topics[0], m->purchased_topic, ABI_WORD_LEN);
    body = data + 1 + n * ABI_WORD_LEN;
    body_len = size - 1 - n * ABI_WORD_LEN;
    fault_clear(&f);
    if (abi_decode_purchased(&p, m, (const uint8_t(*)[ABI_WORD_LEN])topics,
                             n, body, body_len, &f) == 0) {
        uint8_t word[ABI_WORD_LEN] = {0};

        if (n != 4 || body_len != ABI_PURCHASED_DATA_LEN ||
            u256_bits(&p.amount) > ABI_AMOUNT_MAX_BITS ||
            memcmp(p.dataset_id, topics[1], 32) != 0 ||
            memcmp(p.worker.bytes, topics[2] + 12, 20) != 0 ||
            memcmp(topics[2], word, 12) != 0 ||
            memcmp(p.payer.bytes, topics[3] + 12, 20) != 0 ||
            memcmp(topics[3], word, 12) != 0 ||
            memcmp(p.owner.bytes, body + 12, 20) != 0 ||
            memcmp(body, word, 12) != 0 ||
            memcmp(p.ref, body + 64, 32) != 0)
            abort();
        u256_to_be32(word, &p.amount);
        if (memcmp(word, body + 32, 32) != 0)
            abort();
    } else {
        static const struct abi_purchased zero;

        if (f.kind != FAULT_INVALID || f.field[0] == '\0' ||
            memcmp(&p, &zero, sizeof p) != 0)
            abort();
    }
}

static void fuzz_decimal(const uint8_t *data, size_t size)
{
    char text[U256_DECIMAL_SIZE];
    struct u256 v;
    struct fault f;

    fault_clear(&f);
    if (u256_parse_decimal(&v, (const char *)data, size, "amount", &f) ==
        0) {
        size_t n = u256_to_decimal(text, &v);

        if (n != size || memcmp(text, data, size) != 0)
            abort();
    } else if (f.kind != FAULT_INVALID || !u256_is_zero(&v)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct abi_market market;
    static int loaded;
    struct abi_market m;
    struct fault f;

    if (size > 4096)
        return 0;
    if (!loaded) {
        size_t len = 0;
        const char *json = abi_market_json(&len);

        fault_clear(&f);
        if (abi_market_load(&market, json, len, &f) != 0)
            abort();
        loaded = 1;
    }
    fuzz_log(&market, data, size);
    fuzz_decimal(data, size);
    if (size > 0 && data[0] == '[') {
        fault_clear(&f);
        if (abi_market_load(&m, (const char *)data, size, &f) != 0 &&
            f.kind != FAULT_INVALID)
            abort();
    }
    return 0;
}
