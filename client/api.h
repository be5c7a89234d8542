/*
 * api: requests to the gateway's HTTP API as the CLI sends them: signed
 * per DESIGN.md 3.1 when asked, answers read as JSON, and error answers
 * (application/problem+json) turned into a fault whose detail is the
 * gateway's own detail and field.
 *
 * A signed request carries X-Sluice-Timestamp, X-Sluice-Nonce (32 random
 * characters of [A-Za-z0-9], fresh per request unless the caller hands one
 * back for a retry), X-Sluice-Signature and X-Sluice-Address; what is
 * signed is exactly the target sent (the URL's path prefix, the path and
 * the query). A 409 with Retry-After (the same request still being
 * answered) is retried after the pause with the same nonce, so that the
 * gateway replays the first answer; the timestamp is signed afresh.
 */
#ifndef SLUICE_CLIENT_API_H
#define SLUICE_CLIENT_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "client/http.h"
#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/fault.h"

#define API_NONCE_LEN 32
#define API_RETRY_MAX 10 /* waits on Retry-After (409, 429) per call */

struct api {
    struct http_client http;
    const struct ethkey *key; /* borrowed; NULL: nothing can be signed */
    char address[ETHADDR_TEXT_SIZE];
};

/* One request. path starts with '/' and may hold a query; the URL's
 * prefix is put before it. nonce is in/out: "" asks for a fresh one, which
 * is written back so that a retry of the same request can reuse it. */
struct api_call {
    const char *method;
    const char *path;
    const uint8_t *body;
    size_t body_len;
    const char *content_type; /* NULL: none sent */
    int sign;
    http_progress_fn progress;
    void *progress_arg;
    char nonce[API_NONCE_LEN + 1];
};

/* Make a an API client of the gateway at url (http:// only), signing with
 * key when it is not NULL (borrowed: it must outlive a). Opens nothing.
 * Returns 0; on failure -1 with f set (FAULT_INVALID naming "--gateway"
 * for a bad URL). */
int api_init(struct api *a, const char *url, const struct ethkey *key,
             struct fault *f) __attribute__((warn_unused_result));

/* Close a's connection. */
void api_close(struct api *a);

/* Send call and read the answer. Returns 0 for a 2xx answer with *status
 * set and *doc the parsed JSON body (a new reference the caller
 * json_decref's, or NULL when the body is empty); on failure -1 with
 * *doc = NULL, *status the HTTP status when an answer came (else 0) and f
 * set: for an error answer, the kind that matches the status and a detail
 * "the gateway answered S Title: detail (field: F)"; otherwise the fault
 * of the transport (http.h) or of signing. */
int api_request(struct api *a, json_t **doc, int *status,
                struct api_call *call, struct fault *f)
    __attribute__((warn_unused_result));

/* Fill nonce with API_NONCE_LEN random characters of [A-Za-z0-9] and a
 * NUL. Returns 0; on failure -1 with nonce = "" and f set
 * (FAULT_INTERNAL). */
int api_new_nonce(char nonce[API_NONCE_LEN + 1], struct fault *f)
    __attribute__((warn_unused_result));

/* Send call as api_request does (signing it, waiting out a 409 or 429
 * with Retry-After) and hand back the answer whatever its status, for
 * callers that read the body of some error answers themselves (a 402's
 * quote, a page's exact text). Returns 0 with *r filled (any status; the
 * caller http_response_clear's it); on failure -1 with *r cleared and f
 * set (the transport's fault, or signing's). */
int api_exchange(struct api *a, struct http_response *r,
                 struct api_call *call, struct fault *f)
    __attribute__((warn_unused_result));

/* Turn the error answer r into f as api_request does: the kind that
 * matches the status and a detail "the gateway answered S Title: detail
 * (field: F)". Always returns -1. */
int api_problem_fault(const struct http_response *r, struct fault *f);

/* Parse body[0..len) as a JSON object (no duplicate keys). When jansson
 * cannot hold a number in it (1e400, integers past 64 bits: data-sets'
 * preview rows may hold them), parse it again with the top-level member
 * omit (e.g. "preview") read as null, its own text left to the caller.
 * Returns 0 with *out a new reference (the caller json_decref's it); on
 * failure -1 with *out = NULL and f FAULT_CORRUPT ("the gateway's answer
 * is not JSON"). */
int api_json_parse(json_t **out, const uint8_t *body, size_t len,
                   const char *omit, struct fault *f)
    __attribute__((warn_unused_result));

/* Return the fault kind that an HTTP error status stands for. */
enum fault_kind api_status_kind(int status);

#endif
