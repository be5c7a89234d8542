#include "contracts-abi/ethjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/jsonv.h"

/* The path of element i of the array at path: "result.logs[3]". */
static void ethjson_path_index(char *out, size_t cap, const char *path,
                               size_t i)
{
    char idx[24];
    size_t used;

    jsonv_path_join(out, cap, path, "");
    used = strlen(out);
    snprintf(idx, sizeof idx, "[%zu]", i);
    if (used + strlen(idx) < cap)
        memcpy(out + used, idx, strlen(idx) + 1);
}

static const char *ethjson_type_name(const json_t *v)
{
    if (v == NULL)
        return "missing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a JSON number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "an unknown value";
}

/* v as a string starting with "0x", or NULL with f set. */
static const char *ethjson_hex_text(const json_t *v, const char *what,
                                    const char *field, size_t *len,
                                    struct fault *f)
{
    const char *s;

    *len = 0;
    if (!json_is_string(v)) {
        fault_set(f, FAULT_CORRUPT, field, "%s is %s, not a hex %s", field,
                  ethjson_type_name(v), what);
        return NULL;
    }
    s = json_string_value(v);
    *len = json_string_length(v);
    if (*len < 2 || s[0] != '0' || s[1] != 'x') {
        fault_set(f, FAULT_CORRUPT, field,
                  "%s does not start with \"0x\" as a hex %s must", field,
                  what);
        return NULL;
    }
    return s;
}

static int ethjson_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ethjson_quantity(uint64_t *out, const json_t *v, const char *field,
                     struct fault *f)
{
    const char *s;
    uint64_t x = 0;
    size_t len, i;
    int d;

    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "ethjson_quantity: no out");
    *out = 0;
    if (field == NULL)
        field = "result";
    s = ethjson_hex_text(v, "quantity", field, &len, f);
    if (s == NULL)
        return -1;
    if (len == 2)
        return fault_set(f, FAULT_CORRUPT, field,
                         "%s is \"0x\" with no digits; zero is \"0x0\"", field);
    if (s[2] == '0' && len > 3)
        return fault_set(f, FAULT_CORRUPT, field,
                         "%s has a leading zero, which a quantity may not",
                         field);
    if (len - 2 > 16)
        return fault_set(f, FAULT_CORRUPT, field,
                         "%s is above 2^64 - 1", field);
    for (i = 2; i < len; i++) {
        d = ethjson_hexval(s[i]);
        if (d < 0)
            return fault_set(f, FAULT_CORRUPT, field,
                             "%s: the character at offset %zu is not a hex "
                             "digit", field, i);
        x = x << 4 | (uint64_t)d;
    }
    *out = x;
    return 0;
}

int ethjson_data_fixed(uint8_t *out, size_t len, const json_t *v,
                       const char *field, struct fault *f)
{
    struct fault sub;
    const char *s;
    size_t n;

    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "ethjson_data_fixed: no out");
    memset(out, 0, len);
    if (field == NULL)
        field = "result";
    s = ethjson_hex_text(v, "byte string", field, &n, f);
    if (s == NULL)
        return -1;
    fault_clear(&sub);
    if (hex_decode_0x(out, len, s, n, field, &sub) != 0)
        return fault_set(f, FAULT_CORRUPT, field, "%s: %s", field,
                         sub.detail);
    return 0;
}

int ethjson_data_var(uint8_t *out, size_t cap, size_t *len, const json_t *v,
                     const char *field, struct fault *f)
{
    struct fault sub;
    const char *s;
    size_t n;

    if (out == NULL || len == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "ethjson_data_var: bad arguments");
    *len = 0;
    memset(out, 0, cap);
    if (field == NULL)
        field = "result";
    s = ethjson_hex_text(v, "byte string", field, &n, f);
    if (s == NULL)
        return -1;
    fault_clear(&sub);
    if (hex_decode_0x_var(out, cap, len, s, n, field, &sub) != 0)
        return fault_set(f, FAULT_CORRUPT, field, "%s %s", field, sub.detail);
    return 0;
}

/* Member key of the object v at path, or NULL with f set when v is not an
 * object (the member itself may be absent: the readers say so). */
static const json_t *ethjson_member(const json_t *v, const char *key,
                                    const char *path, char *field,
                                    size_t cap)
{
    jsonv_path_join(field, cap, path, key);
    return json_object_get(v, key);
}

static int ethjson_need_object(const json_t *v, const char *path,
                               const char *what, int null_is_not_found,
                               struct fault *f)
{
    if (json_is_object(v))
        return 0;
    if (null_is_not_found && json_is_null(v))
        return fault_set(f, FAULT_NOT_FOUND, path,
                         "%s is null: the node does not know the %s", path,
                         what);
    return fault_set(f, FAULT_CORRUPT, path, "%s is %s, not a %s object",
                     path, ethjson_type_name(v), what);
}

static int ethjson_get_quantity(uint64_t *out, const json_t *obj,
                                const char *key, const char *path,
                                struct fault *f)
{
    char field[FAULT_FIELD_MAX];

    return ethjson_quantity(out, ethjson_member(obj, key, path, field,
                                                sizeof field),
                            field, f);
}

static int ethjson_get_hash(uint8_t *out, size_t len, const json_t *obj,
                            const char *key, const char *path,
                            struct fault *f)
{
    char field[FAULT_FIELD_MAX];

    return ethjson_data_fixed(out, len, ethjson_member(obj, key, path, field,
                                                       sizeof field),
                              field, f);
}

int ethjson_block(struct ethjson_block *out, const json_t *v,
                  const char *path, struct fault *f)
{
    const json_t *bloom;

    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "ethjson_block: no out");
    memset(out, 0, sizeof *out);
    if (path == NULL)
        path = "result";
    if (ethjson_need_object(v, path, "block", 1, f) != 0 ||
        ethjson_get_quantity(&out->number, v, "number", path, f) != 0 ||
        ethjson_get_hash(out->hash, sizeof out->hash, v, "hash", path, f) !=
            0 ||
        ethjson_get_hash(out->parent_hash, sizeof out->parent_hash, v,
                         "parentHash", path, f) != 0 ||
        ethjson_get_quantity(&out->timestamp, v, "timestamp", path, f) != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    /* The bloom lets the follower doubt an empty eth_getLogs answer. */
    bloom = json_object_get(v, "logsBloom");
    if (bloom != NULL && !json_is_null(bloom)) {
        if (ethjson_get_hash(out->logs_bloom, sizeof out->logs_bloom, v,
                             "logsBloom", path, f) != 0) {
            memset(out, 0, sizeof *out);
            return -1;
        }
        out->has_bloom = 1;
    }
    return 0;
}

void ethjson_log_clear(struct ethjson_log *log)
{
    if (log == NULL)
        return;
    free(log->data);
    memset(log, 0, sizeof *log);
}

static int ethjson_log_topics(struct ethjson_log *out, const json_t *v,
                              const char *path, struct fault *f)
{
    char field[FAULT_FIELD_MAX], el[FAULT_FIELD_MAX];
    const json_t *topics, *t;
    size_t i;

    topics = ethjson_member(v, "topics", path, field, sizeof field);
    if (!json_is_array(topics))
        return fault_set(f, FAULT_CORRUPT, field, "%s is %s, not an array",
                         field, ethjson_type_name(topics));
    if (json_array_size(topics) > ETHJSON_TOPICS_MAX)
        return fault_set(f, FAULT_CORRUPT, field,
                         "%s has %zu topics; a log has at most %d", field,
                         json_array_size(topics), ETHJSON_TOPICS_MAX);
    json_array_foreach(topics, i, t) {
        ethjson_path_index(el, sizeof el, field, i);
        if (ethjson_data_fixed(out->topics[i], ETHJSON_HASH_LEN, t, el, f) !=
            0)
            return -1;
    }
    out->topic_count = json_array_size(topics);
    return 0;
}

static int ethjson_log_data(struct ethjson_log *out, const json_t *v,
                            const char *path, struct fault *f)
{
    char field[FAULT_FIELD_MAX];
    const json_t *d;
    const char *s;
    size_t n, cap;
    uint8_t none;

    d = ethjson_member(v, "data", path, field, sizeof field);
    s = ethjson_hex_text(d, "byte string", field, &n, f);
    if (s == NULL)
        return -1;
    cap = (n - 2) / 2;
    if (cap > ETHJSON_LOG_DATA_MAX)
        return fault_set(f, FAULT_CORRUPT, field,
                         "%s is over %d bytes", field, ETHJSON_LOG_DATA_MAX);
    if (cap == 0)
        return ethjson_data_var(&none, 0, &out->data_len, d, field, f);
    out->data = malloc(cap);
    if (out->data == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    return ethjson_data_var(out->data, cap, &out->data_len, d, field, f);
}

int ethjson_log(struct ethjson_log *out, const json_t *v, const char *path,
                struct fault *f)
{
    char field[FAULT_FIELD_MAX];
    const json_t *removed;

    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "ethjson_log: no out");
    memset(out, 0, sizeof *out);
    if (path == NULL)
        path = "result";
    if (ethjson_need_object(v, path, "log", 0, f) != 0 ||
        ethjson_get_hash(out->address, sizeof out->address, v, "address",
                         path, f) != 0 ||
        ethjson_log_topics(out, v, path, f) != 0 ||
        ethjson_log_data(out, v, path, f) != 0 ||
        ethjson_get_quantity(&out->block_number, v, "blockNumber", path,
                             f) != 0 ||
        ethjson_get_hash(out->block_hash, sizeof out->block_hash, v,
                         "blockHash", path, f) != 0 ||
        ethjson_get_hash(out->tx_hash, sizeof out->tx_hash, v,
                         "transactionHash", path, f) != 0 ||
        ethjson_get_quantity(&out->tx_index, v, "transactionIndex", path,
                             f) != 0 ||
        ethjson_get_quantity(&out->log_index, v, "logIndex", path, f) != 0)
        goto fail;
    removed = ethjson_member(v, "removed", path, field, sizeof field);
    if (removed != NULL && !json_is_boolean(removed)) {
        fault_set(f, FAULT_CORRUPT, field, "%s is %s, not true or false",
                  field, ethjson_type_name(removed));
        goto fail;
    }
    out->removed = json_is_true(removed);
    return 0;
fail:
    ethjson_log_clear(out);
    return -1;
}

void ethjson_logs_free(struct ethjson_log *logs, size_t count)
{
    size_t i;

    if (logs == NULL)
        return;
    for (i = 0; i < count; i++)
        ethjson_log_clear(&logs[i]);
    free(logs);
}

int ethjson_logs(struct ethjson_log **out, size_t *count, const json_t *v,
                 const char *path, struct fault *f)
{
    char el[FAULT_FIELD_MAX];
    struct ethjson_log *logs = NULL;
    const json_t *one;
    size_t i, n;

    if (out == NULL || count == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "ethjson_logs: bad arguments");
    *out = NULL;
    *count = 0;
    if (path == NULL)
        path = "result";
    if (!json_is_array(v))
        return fault_set(f, FAULT_CORRUPT, path, "%s is %s, not an array",
                         path, ethjson_type_name(v));
    n = json_array_size(v);
    if (n > ETHJSON_LOGS_MAX)
        return fault_set(f, FAULT_CORRUPT, path,
                         "%s holds %zu logs, more than %d", path, n,
                         ETHJSON_LOGS_MAX);
    if (n == 0)
        return 0;
    logs = calloc(n, sizeof *logs);
    if (logs == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    json_array_foreach(v, i, one) {
        ethjson_path_index(el, sizeof el, path, i);
        if (ethjson_log(&logs[i], one, el, f) != 0) {
            ethjson_logs_free(logs, i);
            return -1;
        }
    }
    *out = logs;
    *count = n;
    return 0;
}

void ethjson_receipt_clear(struct ethjson_receipt *r)
{
    if (r == NULL)
        return;
    ethjson_logs_free(r->logs, r->log_count);
    memset(r, 0, sizeof *r);
}

int ethjson_receipt(struct ethjson_receipt *out, const json_t *v,
                    const char *path, struct fault *f)
{
    char field[FAULT_FIELD_MAX], el[FAULT_FIELD_MAX];
    const struct ethjson_log *lg;
    uint64_t status;
    size_t i;

    if (out == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "ethjson_receipt: no out");
    memset(out, 0, sizeof *out);
    if (path == NULL)
        path = "result";
    if (ethjson_need_object(v, path, "receipt", 1, f) != 0 ||
        ethjson_get_quantity(&status, v, "status", path, f) != 0)
        goto fail;
    if (status > 1) {
        jsonv_path_join(field, sizeof field, path, "status");
        fault_set(f, FAULT_CORRUPT, field, "%s is neither 0x0 nor 0x1", field);
        goto fail;
    }
    out->status = (int)status;
    if (ethjson_get_hash(out->tx_hash, sizeof out->tx_hash, v,
                         "transactionHash", path, f) != 0 ||
        ethjson_get_quantity(&out->block_number, v, "blockNumber", path,
                             f) != 0 ||
        ethjson_get_hash(out->block_hash, sizeof out->block_hash, v,
                         "blockHash", path, f) != 0)
        goto fail;
    jsonv_path_join(field, sizeof field, path, "logs");
    if (ethjson_logs(&out->logs, &out->log_count, json_object_get(v, "logs"),
                     field, f) != 0)
        goto fail;
    /* A receipt's logs belong to it: one that names another transaction
     * or block, or is marked removed, means the answer is not coherent. */
    for (i = 0; i < out->log_count; i++) {
        lg = &out->logs[i];
        ethjson_path_index(el, sizeof el, field, i);
        if (memcmp(lg->tx_hash, out->tx_hash, ETHJSON_HASH_LEN) != 0 ||
            memcmp(lg->block_hash, out->block_hash, ETHJSON_HASH_LEN) != 0 ||
            lg->block_number != out->block_number || lg->removed) {
            fault_set(f, FAULT_CORRUPT, el,
                      "%s does not belong to the receipt's transaction and "
                      "block, or is removed", el);
            goto fail;
        }
    }
    return 0;
fail:
    ethjson_receipt_clear(out);
    return -1;
}
