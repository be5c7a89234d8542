#include "contracts-abi/abi.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "lib/keccak.h"

/* ---- the fixed surface (DESIGN.md 3.7) ------------------------------- */

struct abi_param {
    const char *name;
    const char *type;
    int indexed; /* events only */
};

struct abi_item {
    const char *kind;       /* "function" or "event" */
    const char *name;
    const char *mutability; /* functions only */
    const struct abi_param *inputs;
    size_t n_inputs;
};

static const struct abi_param abi_purchase_inputs[] = {
    {"datasetId", "bytes32", 0},
    {"owner", "address", 0},
    {"worker", "address", 0},
    {"ref", "bytes32", 0},
};

static const struct abi_param abi_purchased_inputs[] = {
    {"datasetId", "bytes32", 1},
    {"worker", "address", 1},
    {"payer", "address", 1},
    {"owner", "address", 0},
    {"amount", "uint256", 0},
    {"ref", "bytes32", 0},
};

enum { ABI_ITEM_PURCHASE, ABI_ITEM_WITHDRAW, ABI_ITEM_PURCHASED, ABI_ITEMS };

static const struct abi_item abi_items[ABI_ITEMS] = {
    [ABI_ITEM_PURCHASE] = {"function", "purchase", "payable",
                           abi_purchase_inputs, 4},
    [ABI_ITEM_WITHDRAW] = {"function", "withdraw", "nonpayable", NULL, 0},
    [ABI_ITEM_PURCHASED] = {"event", "Purchased", NULL, abi_purchased_inputs,
                            6},
};

/* The longest canonical signature we build: the surface's are < 80. */
#define ABI_SIGNATURE_MAX 256

/* ---- reading the JSON -------------------------------------------------- */

static const char *abi_string(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Check one argument of item against want; append its type to sig. */
static int abi_check_param(const struct abi_item *item, size_t i,
                           const json_t *p, const struct abi_param *want,
                           char *sig, size_t *sig_len, struct fault *f)
{
    const char *name = abi_string(p, "name");
    const char *type = abi_string(p, "type");
    const json_t *indexed = json_object_get(p, "indexed");
    int is_event = strcmp(item->kind, "event") == 0;
    size_t tlen;

    if (!json_is_object(p) || name == NULL || type == NULL)
        return fault_set(f, FAULT_INVALID, "abi",
                         "%s %s: argument %zu is not an object with a name "
                         "and a type", item->kind, item->name, i + 1);
    if (strcmp(type, want->type) != 0 ||
        json_object_get(p, "components") != NULL)
        return fault_set(f, FAULT_INVALID, "abi",
                         "%s %s: argument %zu (%s) has type \"%.32s\", "
                         "expected \"%s\"", item->kind, item->name, i + 1,
                         want->name, type, want->type);
    if (strcmp(name, want->name) != 0)
        return fault_set(f, FAULT_INVALID, "abi",
                         "%s %s: argument %zu is named \"%.32s\", expected "
                         "\"%s\"", item->kind, item->name, i + 1, name,
                         want->name);
    if (is_event && (!json_is_boolean(indexed) ||
                     json_is_true(indexed) != (want->indexed != 0)))
        return fault_set(f, FAULT_INVALID, "abi",
                         "event %s: argument %zu (%s) must %sbe indexed",
                         item->name, i + 1, want->name,
                         want->indexed ? "" : "not ");
    if (!is_event && indexed != NULL)
        return fault_set(f, FAULT_INVALID, "abi",
                         "function %s: argument %zu (%s) carries an "
                         "\"indexed\" flag", item->name, i + 1, want->name);
    tlen = strlen(type);
    if (*sig_len + tlen + 2 > ABI_SIGNATURE_MAX)
        return fault_set(f, FAULT_INTERNAL, "abi", "signature too long");
    if (i > 0)
        sig[(*sig_len)++] = ',';
    memcpy(sig + *sig_len, type, tlen);
    *sig_len += tlen;
    return 0;
}

/* Check entry e of the JSON against item and hash its canonical signature
 * "name(type,...)" into digest. */
static int abi_check_item(uint8_t digest[KECCAK256_LEN],
                          const struct abi_item *item, const json_t *e,
                          struct fault *f)
{
    const json_t *inputs = json_object_get(e, "inputs");
    const json_t *outputs = json_object_get(e, "outputs");
    char sig[ABI_SIGNATURE_MAX];
    size_t sig_len, nlen = strlen(item->name);

    if (!json_is_array(inputs) || json_array_size(inputs) != item->n_inputs)
        return fault_set(f, FAULT_INVALID, "abi",
                         "%s %s must have exactly %zu arguments, has %zu",
                         item->kind, item->name, item->n_inputs,
                         json_is_array(inputs) ? json_array_size(inputs)
                                               : (size_t)0);
    if (strcmp(item->kind, "function") == 0) {
        const char *mut = abi_string(e, "stateMutability");

        if (mut == NULL || strcmp(mut, item->mutability) != 0)
            return fault_set(f, FAULT_INVALID, "abi",
                             "function %s must be %s, is \"%.32s\"",
                             item->name, item->mutability,
                             mut != NULL ? mut : "(none)");
        if (!json_is_array(outputs) || json_array_size(outputs) != 0)
            return fault_set(f, FAULT_INVALID, "abi",
                             "function %s must return nothing", item->name);
    } else {
        const json_t *anon = json_object_get(e, "anonymous");

        if (!json_is_false(anon))
            return fault_set(f, FAULT_INVALID, "abi",
                             "event %s must not be anonymous (its topic0 "
                             "identifies it)", item->name);
    }
    memcpy(sig, item->name, nlen);
    sig[nlen] = '(';
    sig_len = nlen + 1;
    for (size_t i = 0; i < item->n_inputs; i++) {
        if (abi_check_param(item, i, json_array_get(inputs, i),
                            &item->inputs[i], sig, &sig_len, f) != 0)
            return -1;
    }
    sig[sig_len++] = ')';
    keccak256(digest, (const uint8_t *)sig, sig_len);
    return 0;
}

int abi_market_load(struct abi_market *out, const char *json, size_t len,
                    struct fault *f)
{
    const json_t *found[ABI_ITEMS] = {NULL};
    uint8_t digest[ABI_ITEMS][KECCAK256_LEN];
    json_error_t err;
    json_t *root = NULL;
    int rv = -1;

    memset(out, 0, sizeof *out);
    if (json == NULL) {
        fault_set(f, FAULT_INTERNAL, "abi", "abi_market_load: no text");
        goto done;
    }
    if (len > ABI_JSON_MAX) {
        fault_set(f, FAULT_INVALID, "abi",
                  "the ABI JSON is %zu bytes long, more than the %u read",
                  len, ABI_JSON_MAX);
        goto done;
    }
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        fault_set(f, FAULT_INVALID, "abi",
                  "the ABI is not JSON (line %d, column %d: %.120s)",
                  err.line, err.column, err.text);
        goto done;
    }
    if (!json_is_array(root)) {
        fault_set(f, FAULT_INVALID, "abi", "the ABI must be a JSON array");
        goto done;
    }
    for (size_t i = 0; i < json_array_size(root); i++) {
        const json_t *e = json_array_get(root, i);
        const char *kind = abi_string(e, "type"), *name = abi_string(e, "name");

        if (!json_is_object(e) || kind == NULL) {
            fault_set(f, FAULT_INVALID, "abi",
                      "entry %zu of the ABI is not an object with a type", i);
            goto done;
        }
        if (name == NULL)
            continue; /* the constructor, fallback, receive */
        for (size_t k = 0; k < ABI_ITEMS; k++) {
            if (strcmp(kind, abi_items[k].kind) != 0 ||
                strcmp(name, abi_items[k].name) != 0)
                continue;
            if (found[k] != NULL) {
                fault_set(f, FAULT_INVALID, "abi",
                          "the ABI has more than one %s %s (an overload)",
                          abi_items[k].kind, abi_items[k].name);
                goto done;
            }
            found[k] = e;
        }
    }
    for (size_t k = 0; k < ABI_ITEMS; k++) {
        if (found[k] == NULL) {
            fault_set(f, FAULT_INVALID, "abi", "the ABI has no %s %s",
                      abi_items[k].kind, abi_items[k].name);
            goto done;
        }
        if (abi_check_item(digest[k], &abi_items[k], found[k], f) != 0)
            goto done;
    }
    memcpy(out->purchase_selector, digest[ABI_ITEM_PURCHASE],
           ABI_SELECTOR_LEN);
    memcpy(out->withdraw_selector, digest[ABI_ITEM_WITHDRAW],
           ABI_SELECTOR_LEN);
    memcpy(out->purchased_topic, digest[ABI_ITEM_PURCHASED], ABI_WORD_LEN);
    rv = 0;
done:
    if (rv != 0)
        memset(out, 0, sizeof *out);
    json_decref(root);
    return rv;
}

/* ---- encoding ---------------------------------------------------------- */

static void abi_put_address(uint8_t word[ABI_WORD_LEN],
                            const struct ethaddr *a)
{
    memset(word, 0, ABI_WORD_LEN - ETHADDR_LEN);
    memcpy(word + ABI_WORD_LEN - ETHADDR_LEN, a->bytes, ETHADDR_LEN);
}

void abi_encode_purchase(uint8_t out[ABI_PURCHASE_CALLDATA_LEN],
                         const struct abi_market *m,
                         const uint8_t dataset_id[ABI_WORD_LEN],
                         const struct ethaddr *owner,
                         const struct ethaddr *worker,
                         const uint8_t ref[ABI_WORD_LEN])
{
    uint8_t *w = out + ABI_SELECTOR_LEN;

    memcpy(out, m->purchase_selector, ABI_SELECTOR_LEN);
    memcpy(w, dataset_id, ABI_WORD_LEN);
    abi_put_address(w + ABI_WORD_LEN, owner);
    abi_put_address(w + 2 * ABI_WORD_LEN, worker);
    memcpy(w + 3 * ABI_WORD_LEN, ref, ABI_WORD_LEN);
}

void abi_encode_withdraw(uint8_t out[ABI_WITHDRAW_CALLDATA_LEN],
                         const struct abi_market *m)
{
    memcpy(out, m->withdraw_selector, ABI_SELECTOR_LEN);
}

/* ---- decoding ---------------------------------------------------------- */

/* Read an address word: 12 zero bytes, then the address. A non-zero pad
 * means the word is not an address as Solidity writes it. */
static int abi_get_address(struct ethaddr *out,
                           const uint8_t word[ABI_WORD_LEN],
                           const char *field, const char *what,
                           struct fault *f)
{
    uint8_t pad = 0;

    for (size_t i = 0; i < ABI_WORD_LEN - ETHADDR_LEN; i++)
        pad |= word[i];
    if (pad != 0)
        return fault_set(f, FAULT_INVALID, field,
                         "the %s word has non-zero bytes in its 12 bytes of "
                         "padding: not an address", what);
    memcpy(out->bytes, word + ABI_WORD_LEN - ETHADDR_LEN, ETHADDR_LEN);
    return 0;
}

int abi_decode_purchased(struct abi_purchased *out, const struct abi_market *m,
                         const uint8_t (*topics)[ABI_WORD_LEN],
                         size_t n_topics, const uint8_t *data,
                         size_t data_len, struct fault *f)
{
    int rv = -1;

    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "abi_decode_purchased: no output");
    if (m == NULL || topics == NULL || (data == NULL && data_len > 0)) {
        fault_set(f, FAULT_INTERNAL, NULL,
                  "abi_decode_purchased: no ABI, topics or data");
        goto done;
    }
    if (n_topics != ABI_PURCHASED_TOPICS) {
        fault_set(f, FAULT_INVALID, "topics",
                  "a Purchased log has exactly %d topics, this one %zu",
                  ABI_PURCHASED_TOPICS, n_topics);
        goto done;
    }
    /* topic0 is public: memcmp is fine. */
    if (memcmp(topics[0], m->purchased_topic, ABI_WORD_LEN) != 0) {
        fault_set(f, FAULT_INVALID, "topics[0]",
                  "topic0 is not the Purchased event's: another event");
        goto done;
    }
    if (data_len != ABI_PURCHASED_DATA_LEN) {
        fault_set(f, FAULT_INVALID, "data",
                  "a Purchased log has exactly %d bytes of data, this one "
                  "%zu", ABI_PURCHASED_DATA_LEN, data_len);
        goto done;
    }
    memcpy(out->dataset_id, topics[1], ABI_WORD_LEN);
    if (abi_get_address(&out->worker, topics[2], "topics[2]", "worker", f) !=
            0 ||
        abi_get_address(&out->payer, topics[3], "topics[3]", "payer", f) !=
            0 ||
        abi_get_address(&out->owner, data, "data.owner", "owner", f) != 0)
        goto done;
    u256_from_be32(&out->amount, data + ABI_WORD_LEN);
    if (u256_bits(&out->amount) > ABI_AMOUNT_MAX_BITS) {
        fault_set(f, FAULT_INVALID, "data.amount",
                  "the amount is 2^128 wei or more, beyond what the ledger "
                  "stores (no real payment is that large)");
        goto done;
    }
    memcpy(out->ref, data + 2 * ABI_WORD_LEN, ABI_WORD_LEN);
    rv = 0;
done:
    if (rv != 0)
        memset(out, 0, sizeof *out);
    return rv;
}
