/*
 * rpcwire: JSON-RPC 2.0 messages as bytes, without sockets: the body of a
 * call (one request or a batch) and the strict reading of the answer.
 *
 * rpc.c sends what rpcwire_request_body makes and hands the answer's body
 * to rpcwire_parse; the fuzz target calls rpcwire_parse directly. Nothing
 * in an answer is taken on trust: the body must be one JSON text (no
 * duplicate keys, no NUL), each response an object with "jsonrpc": "2.0",
 * an integer "id" equal to one we sent and not seen before in the same
 * answer, and exactly one of "result" and "error"; an error object has an
 * integer "code" and a string "message", and its "data" is kept when it
 * is a string (a revert's data: a custom error's selector and arguments).
 * Members we do not read are ignored (nodes add their own).
 *
 * Outcomes are per request: a batch answer may give results to some
 * requests, error objects to others, and leave some out. A failure that
 * spoils the whole answer (not JSON, not a response) is given to every
 * request of the call.
 *
 * Faults: FAULT_CORRUPT for an answer that fails a check (the field names
 * the member: "response.id", "response[2].jsonrpc"; "body" for the text
 * itself); FAULT_UNAVAILABLE for an error object (the node would not
 * answer: code and message are kept in the reply); FAULT_INTERNAL for
 * misuse. Details hold only printable ASCII: node text is cleaned first.
 */
#ifndef SLUICE_CONTRACTS_ABI_RPCWIRE_H
#define SLUICE_CONTRACTS_ABI_RPCWIRE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/fault.h"

/* The most requests in one batch. */
#define RPCWIRE_BATCH_MAX 100

/* The longest method name, and the most bytes of a node's error message
 * and of its error data that are kept (cleaned, NUL included). */
#define RPCWIRE_METHOD_MAX 64
#define RPCWIRE_MESSAGE_MAX 160
#define RPCWIRE_DATA_MAX 140 /* a selector and two ABI words as hex */

/* What became of one request. The kinds of outcome are finer than a fault
 * kind, for tests and metrics; rpc.c adds the transport ones. */
enum rpcwire_status {
    RPCWIRE_OK = 0,        /* a result (which may be JSON null) */
    RPCWIRE_CANCELLED,     /* the client was freed first */
    RPCWIRE_CONNECT,       /* no connection could be made: refused,
                              unreachable, a name that does not resolve,
                              no connection within the deadline */
    RPCWIRE_TRANSPORT,     /* reset or closed mid-answer, or the request
                              could not be sent */
    RPCWIRE_TLS,           /* the TLS handshake or certificate failed */
    RPCWIRE_TIMEOUT,       /* no whole answer in time */
    RPCWIRE_HTTP_STATUS,   /* an HTTP status other than 200 */
    RPCWIRE_TOO_LARGE,     /* the body is over the client's bound */
    RPCWIRE_BAD_JSON,      /* the body is not one JSON text */
    RPCWIRE_BAD_RESPONSE,  /* JSON, but not a JSON-RPC 2.0 response */
    RPCWIRE_BAD_ID,        /* an id we did not send, or sent once and got
                              twice */
    RPCWIRE_MISSING,       /* a batch answer without this request's entry */
    RPCWIRE_ERROR_OBJECT,  /* the node answered with an error object */
    RPCWIRE_NO_RESULT      /* neither result nor error */
};

/* One request of a call: a method and its params (a JSON array or object,
 * or NULL for []). */
struct rpcwire_request {
    const char *method;
    json_t *params; /* borrowed */
};

/* The outcome of one request. result is borrowed from the document that
 * rpcwire_parse returned (valid while it lives); NULL unless status is
 * RPCWIRE_OK. error_code, error_message and error_data are set only for
 * RPCWIRE_ERROR_OBJECT (else 0, "" and ""; error_data is "" too when the
 * error has no string data). fault is FAULT_NONE exactly when
 * status is RPCWIRE_OK. http_status is the answer's HTTP status, 0 when
 * there was none. */
struct rpcwire_reply {
    enum rpcwire_status status;
    json_t *result;
    int64_t error_code;
    char error_message[RPCWIRE_MESSAGE_MAX];
    char error_data[RPCWIRE_DATA_MAX];
    int http_status;
    struct fault fault;
};

/* Make the body of a call: requests[0..n) with ids[0..n), as one request
 * object when batch is 0 (then n must be 1), else as an array. Returns 0
 * with *out the text (malloc'd, NUL-terminated; free with free) and *len
 * its length; on failure -1 with *out = NULL, *len = 0 and f set:
 * FAULT_INVALID naming "method" (empty, too long, or not printable ASCII)
 * or "params" (not an array, object or NULL); FAULT_INTERNAL for misuse
 * (n = 0, n > RPCWIRE_BATCH_MAX, n != 1 without batch, NULL arguments) or
 * when memory runs out. */
int rpcwire_request_body(char **out, size_t *len,
                         const struct rpcwire_request *requests,
                         const uint64_t *ids, size_t n, int batch,
                         struct fault *f) __attribute__((warn_unused_result));

/* Read body[0..len) as the answer to the call of n requests with ids
 * ids[0..n) (distinct), sent as a batch when batch is 1. Fills
 * replies[0..n) (their http_status is left 0 for the caller).
 * Returns 0 when the answer is a well-formed response or array of them,
 * with *doc the parsed document (the caller json_decref's it; replies'
 * results borrow from it) and each reply RPCWIRE_OK, RPCWIRE_ERROR_OBJECT,
 * RPCWIRE_NO_RESULT or RPCWIRE_MISSING. On failure -1 with *doc = NULL
 * and every reply holding the same status (RPCWIRE_BAD_JSON,
 * RPCWIRE_BAD_RESPONSE, RPCWIRE_BAD_ID) and fault (FAULT_CORRUPT), or
 * FAULT_INTERNAL for misuse (NULL arguments, n = 0 or above
 * RPCWIRE_BATCH_MAX, n != 1 without batch). A single error object with a
 * null id in answer to a batch (a node that could not read the batch at
 * all) is given to every request. */
int rpcwire_parse(json_t **doc, struct rpcwire_reply *replies,
                  const uint64_t *ids, size_t n, int batch,
                  const uint8_t *body, size_t len)
    __attribute__((warn_unused_result));

/* Set reply to status with a fault of kind (from rpcwire_fault_kind),
 * field and a formatted detail; result NULL, http_status kept; error
 * code, message and data cleared unless status is
 * RPCWIRE_ERROR_OBJECT. */
void rpcwire_reply_fail(struct rpcwire_reply *reply,
                        enum rpcwire_status status, const char *field,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Return the fault kind of status: FAULT_NONE for RPCWIRE_OK;
 * FAULT_UNAVAILABLE for what keeps an answer from us (cancelled,
 * connect, transport, TLS, timeout, HTTP status) and for an error object;
 * FAULT_TOO_LARGE for a body over the bound; FAULT_CORRUPT for an answer
 * that fails a check. */
enum fault_kind rpcwire_fault_kind(enum rpcwire_status status);

/* Return a stable lowercase name for status ("ok", "timeout", ...), for
 * logs and metrics. Never NULL. */
const char *rpcwire_status_name(enum rpcwire_status status);

/* Copy text into out[0..cap) keeping printable ASCII and turning every
 * other byte into '?', cut to fit; out is always NUL-terminated when
 * cap > 0. For node text that goes into details and logs. */
void rpcwire_clean_text(char *out, size_t cap, const char *text,
                        size_t len);

#endif
