#include "contracts-abi/rpcwire.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rpcwire_clean_text(char *out, size_t cap, const char *text, size_t len)
{
    size_t i, o = 0;

    if (out == NULL || cap == 0)
        return;
    for (i = 0; text != NULL && i < len && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)text[i];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[o] = '\0';
}

enum fault_kind rpcwire_fault_kind(enum rpcwire_status status)
{
    /* No default: a new status must say what a caller should do. */
    switch (status) {
    case RPCWIRE_OK: return FAULT_NONE;
    case RPCWIRE_CANCELLED:
    case RPCWIRE_CONNECT:
    case RPCWIRE_TRANSPORT:
    case RPCWIRE_TLS:
    case RPCWIRE_TIMEOUT:
    case RPCWIRE_HTTP_STATUS:
    case RPCWIRE_ERROR_OBJECT: return FAULT_UNAVAILABLE;
    case RPCWIRE_TOO_LARGE: return FAULT_TOO_LARGE;
    case RPCWIRE_BAD_JSON:
    case RPCWIRE_BAD_RESPONSE:
    case RPCWIRE_BAD_ID:
    case RPCWIRE_MISSING:
    case RPCWIRE_NO_RESULT: return FAULT_CORRUPT;
    }
    return FAULT_INTERNAL;
}

const char *rpcwire_status_name(enum rpcwire_status status)
{
    switch (status) {
    case RPCWIRE_OK: return "ok";
    case RPCWIRE_CANCELLED: return "cancelled";
    case RPCWIRE_CONNECT: return "connect";
    case RPCWIRE_TRANSPORT: return "transport";
    case RPCWIRE_TLS: return "tls";
    case RPCWIRE_TIMEOUT: return "timeout";
    case RPCWIRE_HTTP_STATUS: return "http_status";
    case RPCWIRE_TOO_LARGE: return "too_large";
    case RPCWIRE_BAD_JSON: return "bad_json";
    case RPCWIRE_BAD_RESPONSE: return "bad_response";
    case RPCWIRE_BAD_ID: return "bad_id";
    case RPCWIRE_MISSING: return "missing";
    case RPCWIRE_ERROR_OBJECT: return "error_object";
    case RPCWIRE_NO_RESULT: return "no_result";
    }
    return "unknown";
}

static void rpcwire_reply_vfail(struct rpcwire_reply *reply,
                                enum rpcwire_status status, const char *field,
                                const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void rpcwire_reply_vfail(struct rpcwire_reply *reply,
                                enum rpcwire_status status, const char *field,
                                const char *fmt, va_list ap)
{
    enum fault_kind kind = rpcwire_fault_kind(status);

    reply->status = status;
    reply->result = NULL;
    if (status != RPCWIRE_ERROR_OBJECT) {
        reply->error_code = 0;
        reply->error_message[0] = '\0';
        reply->error_data[0] = '\0';
    }
    fault_clear(&reply->fault);
    reply->fault.kind = kind == FAULT_NONE ? FAULT_INTERNAL : kind;
    snprintf(reply->fault.field, sizeof reply->fault.field, "%s",
             field ? field : "");
    vsnprintf(reply->fault.detail, sizeof reply->fault.detail, fmt, ap);
}

void rpcwire_reply_fail(struct rpcwire_reply *reply,
                        enum rpcwire_status status, const char *field,
                        const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    rpcwire_reply_vfail(reply, status, field, fmt, ap);
    va_end(ap);
}

/* Give every reply of the call the same failure: the answer as a whole
 * cannot be trusted, so no part of it is used. */
static int rpcwire_fail_all(struct rpcwire_reply *replies, size_t n,
                            enum rpcwire_status status, const char *field,
                            const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int rpcwire_fail_all(struct rpcwire_reply *replies, size_t n,
                            enum rpcwire_status status, const char *field,
                            const char *fmt, ...)
{
    char detail[FAULT_DETAIL_MAX];
    va_list ap;
    size_t i;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    for (i = 0; i < n; i++)
        rpcwire_reply_fail(&replies[i], status, field, "%s", detail);
    return -1;
}

static int rpcwire_method_ok(const char *m)
{
    size_t i, len;

    if (m == NULL)
        return 0;
    len = strlen(m);
    if (len == 0 || len > RPCWIRE_METHOD_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char)m[i] <= 0x20 || (unsigned char)m[i] >= 0x7f)
            return 0;
    return 1;
}

static json_t *rpcwire_request_object(const struct rpcwire_request *r,
                                      uint64_t id)
{
    json_t *o = json_object(), *params;

    if (o == NULL)
        return NULL;
    params = r->params != NULL ? json_incref(r->params) : json_array();
    if (json_object_set_new(o, "jsonrpc", json_string("2.0")) != 0 ||
        json_object_set_new(o, "id", json_integer((json_int_t)id)) != 0 ||
        json_object_set_new(o, "method", json_string(r->method)) != 0 ||
        json_object_set_new(o, "params", params) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int rpcwire_request_body(char **out, size_t *len,
                         const struct rpcwire_request *requests,
                         const uint64_t *ids, size_t n, int batch,
                         struct fault *f)
{
    json_t *doc = NULL, *one;
    char *text = NULL;
    size_t i;
    int rv = -1;

    if (out != NULL)
        *out = NULL;
    if (len != NULL)
        *len = 0;
    if (out == NULL || len == NULL || requests == NULL || ids == NULL ||
        n == 0 || n > RPCWIRE_BATCH_MAX || (!batch && n != 1))
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "rpcwire_request_body: bad arguments");
    for (i = 0; i < n; i++) {
        if (!rpcwire_method_ok(requests[i].method))
            return fault_set(f, FAULT_INVALID, "method",
                             "method of request %zu is empty, longer than "
                             "%d bytes or not printable ASCII",
                             i, RPCWIRE_METHOD_MAX);
        if (requests[i].params != NULL && !json_is_array(requests[i].params) &&
            !json_is_object(requests[i].params))
            return fault_set(f, FAULT_INVALID, "params",
                             "params of request %zu (%s) are neither an "
                             "array nor an object",
                             i, requests[i].method);
        if (ids[i] > (uint64_t)INT64_MAX)
            return fault_set(f, FAULT_INTERNAL, NULL,
                             "rpcwire_request_body: id above 2^63 - 1");
    }
    if (!batch) {
        doc = rpcwire_request_object(&requests[0], ids[0]);
    } else {
        doc = json_array();
        for (i = 0; doc != NULL && i < n; i++) {
            one = rpcwire_request_object(&requests[i], ids[i]);
            if (one == NULL || json_array_append_new(doc, one) != 0) {
                json_decref(doc);
                doc = NULL;
            }
        }
    }
    if (doc == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory building a call");
        goto done;
    }
    text = json_dumps(doc, JSON_COMPACT);
    if (text == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory building a call");
        goto done;
    }
    *out = text;
    *len = strlen(text);
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

/* One response object, read. */
struct rpcwire_one {
    int id_null;
    uint64_t id;
    enum rpcwire_status status; /* OK, ERROR_OBJECT or NO_RESULT */
    json_t *result;
    int64_t code;
    char message[RPCWIRE_MESSAGE_MAX];
    char data[RPCWIRE_DATA_MAX];
};

/* Read v (at path) as a JSON-RPC 2.0 response object. Returns 0 with one
 * set; on failure -1 with reply (the one that will be copied to all)
 * failed as RPCWIRE_BAD_RESPONSE naming the member. */
static int rpcwire_read_one(struct rpcwire_one *one, json_t *v,
                            const char *path, struct rpcwire_reply *reply)
{
    char field[FAULT_FIELD_MAX];
    json_t *ver, *id, *res, *err, *code, *msg, *data;

    memset(one, 0, sizeof *one);
    if (!json_is_object(v)) {
        rpcwire_reply_fail(reply, RPCWIRE_BAD_RESPONSE, path,
                           "%s is not a JSON object", path);
        return -1;
    }
    ver = json_object_get(v, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0) {
        snprintf(field, sizeof field, "%s.jsonrpc", path);
        rpcwire_reply_fail(reply, RPCWIRE_BAD_RESPONSE, field,
                           "%s is %s, not \"2.0\"", field,
                           ver == NULL ? "missing" : "wrong");
        return -1;
    }
    id = json_object_get(v, "id");
    snprintf(field, sizeof field, "%s.id", path);
    if (json_is_null(id)) {
        one->id_null = 1;
    } else if (json_is_integer(id) && json_integer_value(id) >= 0) {
        one->id = (uint64_t)json_integer_value(id);
    } else {
        rpcwire_reply_fail(reply, RPCWIRE_BAD_ID, field, "%s is %s, not one of our integer ids",
                           field, id == NULL ? "missing" : "of another type");
        return -1;
    }
    res = json_object_get(v, "result");
    err = json_object_get(v, "error");
    if (res != NULL && err != NULL) {
        rpcwire_reply_fail(reply, RPCWIRE_BAD_RESPONSE, path,
                           "%s holds both result and error", path);
        return -1;
    }
    if (res != NULL) {
        one->status = RPCWIRE_OK;
        one->result = res;
        return 0;
    }
    if (err == NULL) {
        one->status = RPCWIRE_NO_RESULT;
        return 0;
    }
    snprintf(field, sizeof field, "%s.error", path);
    code = json_object_get(err, "code");
    msg = json_object_get(err, "message");
    if (!json_is_object(err) || !json_is_integer(code) ||
        !json_is_string(msg)) {
        rpcwire_reply_fail(reply, RPCWIRE_BAD_RESPONSE, field,
                           "%s is not an object with an integer code and a "
                           "string message", field);
        return -1;
    }
    one->status = RPCWIRE_ERROR_OBJECT;
    one->code = (int64_t)json_integer_value(code);
    rpcwire_clean_text(one->message, sizeof one->message,
                       json_string_value(msg), json_string_length(msg));
    data = json_object_get(err, "data");
    if (json_is_string(data))
        rpcwire_clean_text(one->data, sizeof one->data,
                           json_string_value(data), json_string_length(data));
    return 0;
}

/* Turn what rpcwire_read_one found into request i's reply. */
static void rpcwire_give(struct rpcwire_reply *reply,
                         const struct rpcwire_one *one, const char *path)
{
    char field[FAULT_FIELD_MAX];

    switch (one->status) {
    case RPCWIRE_OK:
        reply->status = RPCWIRE_OK;
        reply->result = one->result;
        reply->error_code = 0;
        reply->error_message[0] = '\0';
        reply->error_data[0] = '\0';
        fault_clear(&reply->fault);
        return;
    case RPCWIRE_ERROR_OBJECT:
        snprintf(field, sizeof field, "%s.error", path);
        reply->error_code = one->code;
        snprintf(reply->error_message, sizeof reply->error_message, "%s",
                 one->message);
        snprintf(reply->error_data, sizeof reply->error_data, "%s",
                 one->data);
        rpcwire_reply_fail(reply, RPCWIRE_ERROR_OBJECT, field,
                           "the node answered with error %" PRId64 ": %s",
                           one->code, one->message);
        return;
    case RPCWIRE_NO_RESULT:
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
    case RPCWIRE_MISSING:
        break;
    }
    snprintf(field, sizeof field, "%s.result", path);
    rpcwire_reply_fail(reply, RPCWIRE_NO_RESULT, field,
                       "%s is missing and there is no error either", field);
}

int rpcwire_parse(json_t **doc, struct rpcwire_reply *replies,
                  const uint64_t *ids, size_t n, int batch,
                  const uint8_t *body, size_t len)
{
    char path[FAULT_FIELD_MAX], near[64];
    unsigned char filled[RPCWIRE_BATCH_MAX];
    struct rpcwire_one one;
    json_error_t jerr;
    json_t *j = NULL, *el;
    size_t i, k;

    if (doc != NULL)
        *doc = NULL;
    if (doc == NULL || replies == NULL || ids == NULL || n == 0 ||
        n > RPCWIRE_BATCH_MAX || (!batch && n != 1) ||
        (body == NULL && len > 0)) {
        if (replies != NULL && n > 0 && n <= RPCWIRE_BATCH_MAX)
            for (i = 0; i < n; i++) {
                rpcwire_reply_fail(&replies[i], RPCWIRE_BAD_RESPONSE, NULL,
                                   "rpcwire_parse: bad arguments");
                replies[i].fault.kind = FAULT_INTERNAL;
            }
        return -1;
    }
    for (i = 0; i < n; i++) {
        memset(&replies[i], 0, sizeof replies[i]);
        replies[i].status = RPCWIRE_MISSING;
    }
    if (len == 0)
        return rpcwire_fail_all(replies, n, RPCWIRE_BAD_JSON, "body",
                                "the node's answer is empty");
    if (memchr(body, '\0', len) != NULL)
        return rpcwire_fail_all(replies, n, RPCWIRE_BAD_JSON, "body",
                                "the node's answer holds a NUL byte");
    j = json_loadb((const char *)body, len,
                   JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (j == NULL) {
        rpcwire_clean_text(near, sizeof near, jerr.text, strlen(jerr.text));
        return rpcwire_fail_all(replies, n, RPCWIRE_BAD_JSON, "body",
                                "the node's answer is not JSON (line %d, "
                                "column %d: %s)",
                                jerr.line, jerr.column, near);
    }
    if (!batch) {
        if (rpcwire_read_one(&one, j, "response", &replies[0]) != 0)
            goto fail_copy;
        if (one.id_null || one.id != ids[0]) {
            rpcwire_fail_all(replies, 1, RPCWIRE_BAD_ID, "response.id",
                             "response.id is not %" PRIu64 ", the id we sent",
                             ids[0]);
            goto fail;
        }
        rpcwire_give(&replies[0], &one, "response");
        *doc = j;
        return 0;
    }
    if (json_is_object(j)) {
        /* A node that could not read the batch at all answers with one
         * error object whose id is null; that error is every request's. */
        if (rpcwire_read_one(&one, j, "response", &replies[0]) != 0)
            goto fail_copy;
        if (!one.id_null || one.status != RPCWIRE_ERROR_OBJECT) {
            rpcwire_fail_all(replies, n, RPCWIRE_BAD_RESPONSE, "response",
                             "a batch of %zu was answered with one object "
                             "that is not an error for the whole batch", n);
            goto fail;
        }
        for (i = 0; i < n; i++)
            rpcwire_give(&replies[i], &one, "response");
        *doc = j;
        return 0;
    }
    if (!json_is_array(j) || json_array_size(j) == 0 ||
        json_array_size(j) > n) {
        rpcwire_fail_all(replies, n, RPCWIRE_BAD_RESPONSE, "response",
                         "the answer to a batch of %zu is not an array of 1 "
                         "to %zu responses",
                         n, n);
        goto fail;
    }
    memset(filled, 0, sizeof filled);
    json_array_foreach(j, k, el) {
        snprintf(path, sizeof path, "response[%zu]", k);
        if (rpcwire_read_one(&one, el, path, &replies[0]) != 0)
            goto fail_copy;
        for (i = 0; i < n; i++)
            if (!one.id_null && ids[i] == one.id)
                break;
        if (i == n || filled[i]) {
            rpcwire_fail_all(replies, n, RPCWIRE_BAD_ID, path,
                             "%s.id is %s", path,
                             i == n ? "not one of the ids we sent"
                                    : "a repeat of an earlier entry's");
            goto fail;
        }
        filled[i] = 1;
        rpcwire_give(&replies[i], &one, path);
    }
    for (i = 0; i < n; i++)
        if (!filled[i])
            rpcwire_reply_fail(&replies[i], RPCWIRE_MISSING, "response",
                               "the batch answer has no entry for request "
                               "id %" PRIu64, ids[i]);
    *doc = j;
    return 0;

fail_copy:
    /* rpcwire_read_one failed replies[0]: the whole answer goes with it. */
    rpcwire_fail_all(replies + 1, n - 1, replies[0].status,
                     replies[0].fault.field, "%s", replies[0].fault.detail);
fail:
    json_decref(j);
    return -1;
}
