/*
 * fuzz_rpc_response: any bytes as the body of a node's answer, through
 * rpcwire_parse and then, for every result, through ethjson's readers.
 *
 * Input: one byte that shapes the call (bit 7: sent as a batch; bits 0-1:
 * requests - 1 for a batch, ids 1 to 4), then the body.
 *
 * Checked on every input:
 * - rpcwire_parse either fails with no document and every reply holding
 *   the same status, the fault kind of that status and the same non-empty
 *   detail, or succeeds with each reply OK (a result, no fault), an error
 *   object (printable ASCII message), no result or missing;
 * - every detail, field and error message is valid UTF-8 within bounds;
 * - each ethjson reader either fills its output, or fails with
 *   FAULT_CORRUPT or FAULT_NOT_FOUND, a field that starts with "result"
 *   and is named in the detail, and an output that is all zero.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contracts-abi/ethjson.h"
#include "contracts-abi/rpcwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
    json_t *j;

    if (strnlen(s, cap) >= cap)
        abort();
    j = json_string(s);
    if (j == NULL)
        abort();
    json_decref(j);
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t i;

    for (i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

static void check_refusal(const struct fault *f)
{
    if (f->kind != FAULT_CORRUPT && f->kind != FAULT_NOT_FOUND)
        abort();
    check_text(f->field, sizeof f->field);
    check_text(f->detail, sizeof f->detail);
    if (strncmp(f->field, "result", 6) != 0 ||
        strstr(f->detail, f->field) == NULL)
        abort();
}

static void check_readers(const json_t *v)
{
    struct ethjson_block b;
    struct ethjson_log lg, *logs;
    struct ethjson_receipt r;
    struct fault f;
    uint64_t q;
    size_t n, i;

    fault_clear(&f);
    if (ethjson_quantity(&q, v, "result", &f) != 0) {
        check_refusal(&f);
        if (q != 0)
            abort();
    }
    if (ethjson_block(&b, v, "result", &f) != 0) {
        check_refusal(&f);
        if (!all_zero(&b, sizeof b))
            abort();
    }
    if (ethjson_log(&lg, v, "result", &f) != 0) {
        check_refusal(&f);
        if (!all_zero(&lg, sizeof lg))
            abort();
    } else {
        if (lg.topic_count > ETHJSON_TOPICS_MAX ||
            lg.data_len > ETHJSON_LOG_DATA_MAX ||
            (lg.data_len > 0) != (lg.data != NULL))
            abort();
        ethjson_log_clear(&lg);
    }
    if (ethjson_logs(&logs, &n, v, "result", &f) != 0) {
        check_refusal(&f);
        if (logs != NULL || n != 0)
            abort();
    } else {
        if ((n > 0) != (logs != NULL) || n != json_array_size(v))
            abort();
        ethjson_logs_free(logs, n);
    }
    if (ethjson_receipt(&r, v, "result", &f) != 0) {
        check_refusal(&f);
        if (!all_zero(&r, sizeof r))
            abort();
    } else {
        if (r.status != 0 && r.status != 1)
            abort();
        for (i = 0; i < r.log_count; i++)
            if (r.logs[i].block_number != r.block_number ||
                r.logs[i].removed)
                abort();
        ethjson_receipt_clear(&r);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t ids[4] = {1, 2, 3, 4};
    struct rpcwire_reply replies[4];
    json_t *doc = (json_t *)&doc;
    size_t n, i, k;
    int batch;

    if (size < 1)
        return 0;
    batch = (data[0] & 0x80) != 0;
    n = batch ? (size_t)(data[0] & 3) + 1 : 1;
    memset(replies, 0xa5, sizeof replies);
    if (rpcwire_parse(&doc, replies, ids, n, batch, data + 1, size - 1) != 0) {
        if (doc != NULL)
            abort();
        for (i = 0; i < n; i++) {
            const struct rpcwire_reply *r = &replies[i];
            if (r->status != replies[0].status || r->result != NULL ||
                r->fault.kind != rpcwire_fault_kind(r->status) ||
                r->fault.kind == FAULT_NONE || r->fault.detail[0] == '\0' ||
                strcmp(r->fault.detail, replies[0].fault.detail) != 0)
                abort();
            check_text(r->fault.field, sizeof r->fault.field);
            check_text(r->fault.detail, sizeof r->fault.detail);
        }
        return 0;
    }
    if (doc == NULL)
        abort();
    for (i = 0; i < n; i++) {
        const struct rpcwire_reply *r = &replies[i];

        check_text(r->fault.field, sizeof r->fault.field);
        check_text(r->fault.detail, sizeof r->fault.detail);
        check_text(r->error_message, sizeof r->error_message);
        check_text(r->error_data, sizeof r->error_data);
        switch (r->status) {
        case RPCWIRE_OK:
            if (r->result == NULL || r->fault.kind != FAULT_NONE ||
                r->error_message[0] != '\0' || r->error_data[0] != '\0')
                abort();
            check_readers(r->result);
            break;
        case RPCWIRE_ERROR_OBJECT:
            if (r->result != NULL || r->fault.kind != FAULT_UNAVAILABLE)
                abort();
            for (k = 0; r->error_message[k] != '\0'; k++)
                if (r->error_message[k] < 0x20 || r->error_message[k] > 0x7e)
                    abort();
            for (k = 0; r->error_data[k] != '\0'; k++)
                if (r->error_data[k] < 0x20 || r->error_data[k] > 0x7e)
                    abort();
            break;
        case RPCWIRE_NO_RESULT:
        case RPCWIRE_MISSING:
            if (r->result != NULL || r->fault.kind != FAULT_CORRUPT ||
                r->fault.detail[0] == '\0')
                abort();
            break;
        case RPCWIRE_CANCELLED:
        case RPCWIRE_CONNECT:
        case RPCWIRE_TRANSPORT:
        case RPCWIRE_TLS:
        case RPCWIRE_TIMEOUT:
        case RPCWIRE_HTTP_STATUS:
        case RPCWIRE_TOO_LARGE:
        case RPCWIRE_BAD_JSON:
        case RPCWIRE_BAD_RESPONSE:
        case RPCWIRE_BAD_ID:
            abort(); /* never from a parse that succeeded */
        }
    }
    json_decref(doc);
    return 0;
}
