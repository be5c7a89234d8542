#include "gateway/problem.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/reply.h"
#include "lib/log.h"

#define PROBLEM_URN "urn:sluice:problem:"

struct problem_kind problem_for(enum fault_kind kind)
{
    struct problem_kind p = {500, PROBLEM_URN "internal", "Internal error", 0};

    /* No default: every kind must be mapped here. */
    switch (kind) {
    case FAULT_NONE:
    case FAULT_INTERNAL:
        break;
    case FAULT_INVALID:
        p = (struct problem_kind){400, PROBLEM_URN "invalid",
                                  "Invalid request", 1};
        break;
    case FAULT_UNAUTHORIZED:
        p = (struct problem_kind){401, PROBLEM_URN "unauthorized",
                                  "Request signature not accepted", 1};
        break;
    case FAULT_PAYMENT:
        p = (struct problem_kind){402, PROBLEM_URN "payment-required",
                                  "Payment required", 1};
        break;
    case FAULT_FORBIDDEN:
        p = (struct problem_kind){403, PROBLEM_URN "forbidden",
                                  "Not allowed for this signer", 1};
        break;
    case FAULT_NOT_FOUND:
        p = (struct problem_kind){404, PROBLEM_URN "not-found", "Not found",
                                  1};
        break;
    case FAULT_CONFLICT:
        p = (struct problem_kind){409, PROBLEM_URN "conflict",
                                  "Conflict with the current state", 1};
        break;
    case FAULT_NONCE_REUSED:
        p = (struct problem_kind){409, PROBLEM_URN "nonce-reused",
                                  "Nonce already used for another request",
                                  1};
        break;
    case FAULT_IN_FLIGHT:
        p = (struct problem_kind){409, PROBLEM_URN "in-flight",
                                  "The same request is still running", 1};
        break;
    case FAULT_MAX_COST:
        p = (struct problem_kind){409, PROBLEM_URN "max-cost",
                                  "The query costs more than max_cost", 1};
        break;
    case FAULT_TOO_LARGE:
        p = (struct problem_kind){413, PROBLEM_URN "too-large",
                                  "Request too large", 1};
        break;
    case FAULT_RATE_LIMITED:
        p = (struct problem_kind){429, PROBLEM_URN "rate-limited",
                                  "Too many requests", 1};
        break;
    case FAULT_UNAVAILABLE:
        p = (struct problem_kind){503, PROBLEM_URN "unavailable",
                                  "Service unavailable; retry later", 1};
        break;
    case FAULT_CORRUPT:
        p = (struct problem_kind){500, PROBLEM_URN "stored-data-damaged",
                                  "Stored data failed a check", 0};
        break;
    case FAULT_IO:
        p = (struct problem_kind){500, PROBLEM_URN "storage-error",
                                  "Storage error", 0};
        break;
    }
    return p;
}

static char *problem_text_with(int status, const char *type,
                               const char *title, const char *detail,
                               const char *field, const json_t *extra)
{
    const char *key;
    json_t *doc, *v;
    char *text = NULL;

    doc = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", title,
                    "status", status, "detail", detail ? detail : title);
    if (doc != NULL && field != NULL && field[0] != '\0')
        json_object_set_new(doc, "field", json_string(field));
    if (doc != NULL && extra != NULL)
        json_object_foreach((json_t *)extra, key, v)
            if (json_object_get(doc, key) == NULL)
                json_object_set(doc, key, v);
    if (doc != NULL)
        text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(doc);
    return text;
}

static char *problem_text(int status, const char *type, const char *title,
                          const char *detail, const char *field)
{
    return problem_text_with(status, type, title, detail, field, NULL);
}

char *problem_render_with(const struct fault *f, const json_t *extra,
                          int *status)
{
    struct problem_kind p = problem_for(f->kind);

    *status = p.status;
    if (!p.public_detail) {
        log_error("%s: %s", p.title, f->detail);
        return problem_text(p.status, p.type, p.title, p.title, NULL);
    }
    return problem_text_with(p.status, p.type, p.title,
                             f->detail[0] ? f->detail : p.title, f->field,
                             extra);
}

char *problem_render(const struct fault *f, int *status)
{
    return problem_render_with(f, NULL, status);
}

static int problem_write(struct evhttp_request *req, int status,
                         const char *text, const char *title,
                         int retry_after)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    struct evbuffer *body = evbuffer_new();
    char retry[24];

    evhttp_remove_header(headers, "Content-Type");
    evhttp_add_header(headers, "Content-Type", "application/problem+json");
    evhttp_remove_header(headers, "Cache-Control");
    evhttp_add_header(headers, "Cache-Control", "no-store");
    if (retry_after > 0) {
        snprintf(retry, sizeof retry, "%d", retry_after);
        evhttp_add_header(headers, "Retry-After", retry);
    }
    if (body != NULL) {
        if (text != NULL)
            evbuffer_add(body, text, strlen(text));
        else
            evbuffer_add_printf(body, "{\"status\":%d}", status);
    }
    reply_send(req, status, title, body);
    if (body != NULL)
        evbuffer_free(body);
    return status;
}

int problem_send(struct evhttp_request *req, const struct fault *f,
                 int retry_after)
{
    struct problem_kind p = problem_for(f->kind);
    int status;
    char *text = problem_render(f, &status);

    problem_write(req, status, text, p.title, retry_after);
    free(text);
    return status;
}

int problem_send_as(struct evhttp_request *req, int status,
                    const struct fault *f, int retry_after)
{
    struct problem_kind p = problem_for(f->kind);
    const char *type = "invalid", *title = "Invalid request";
    char urn[96];
    char *text;

    if (status == 0 || status == p.status)
        return problem_send(req, f, retry_after);
    if (status == 405 || status == 501) {
        type = "method-not-allowed";
        title = status == 405 ? "Method not allowed" : "Method not implemented";
    }
    snprintf(urn, sizeof urn, PROBLEM_URN "%s", type);
    text = problem_text(status, urn, title, f->detail[0] ? f->detail : title,
                        f->field);
    problem_write(req, status, text, title, retry_after);
    free(text);
    return status;
}

int problem_send_status(struct evhttp_request *req, int status,
                        const char *type_name, const char *title,
                        const char *detail)
{
    char type[96];
    char *text;

    snprintf(type, sizeof type, PROBLEM_URN "%s", type_name);
    text = problem_text(status, type, title, detail, NULL);
    problem_write(req, status, text, title, 0);
    free(text);
    return status;
}
