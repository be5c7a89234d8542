#include "gateway/admit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/auth.h"
#include "gateway/gateway.h"
#include "gateway/routes.h"

/* The methods evhttp dispatches (server.c allows these). */
static const char *const admit_methods[] = {"GET",    "HEAD",    "POST",
                                            "PUT",    "DELETE",  "OPTIONS",
                                            "PATCH"};
/* Methods evhttp knows but does not dispatch, answered 405 here. */
static const char *const admit_known[] = {"TRACE", "CONNECT"};

static int admit_in(const char *m, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(m, list[i]) == 0)
            return 1;
    return 0;
}

static void admit_refuse(struct gate_verdict *v, int status,
                         enum fault_kind kind, const char *field,
                         const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void admit_refuse(struct gate_verdict *v, int status,
                         enum fault_kind kind, const char *field,
                         const char *fmt, ...)
{
    va_list ap;
    char detail[FAULT_DETAIL_MAX];

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    v->refuse = 1;
    v->r.status = status;
    fault_set(&v->r.fault, kind, field, "%s", detail);
}

/* The signature headers of h, for auth_check_headers. */
static void admit_auth_headers(struct auth_headers *a, const struct reqhead *h,
                               const char *head)
{
    static const enum reqhead_field k[] = {
        REQHEAD_TIMESTAMP, REQHEAD_NONCE, REQHEAD_SIGNATURE, REQHEAD_ADDRESS,
        REQHEAD_CONTENT_ENCODING};
    const char **text[] = {&a->ts, &a->nonce, &a->sig, &a->addr, &a->enc};
    size_t *len[] = {&a->ts_len, &a->nonce_len, &a->sig_len, &a->addr_len,
                     &a->enc_len};
    size_t i;

    memset(a, 0, sizeof *a);
    for (i = 0; i < sizeof k / sizeof k[0]; i++) {
        if (h->count[k[i]] == 0)
            continue;
        if (h->count[k[i]] > 1 && a->twice == NULL)
            a->twice = reqhead_field_name(k[i]);
        *text[i] = head + h->value[k[i]].off;
        *len[i] = h->value[k[i]].len;
    }
}

void admit_head(void *arg, const struct reqhead *h, const char *head,
                struct gate_verdict *v)
{
    struct gateway *gw = arg;
    struct router_match m;
    struct auth_headers a;
    char method[16], path[ROUTER_MAX_PATH];
    const char *target = head + h->target.off, *q;
    size_t plen;
    uint64_t limit = 0;
    int has_body = h->chunked || h->content_length > 0;
    enum router_result rr;

    if (h->method.len >= sizeof method) {
        admit_refuse(v, 501, FAULT_INVALID, "method",
                     "this method is not implemented");
        return;
    }
    snprintf(method, sizeof method, "%.*s", (int)h->method.len,
             head + h->method.off);
    if (!admit_in(method, admit_methods,
                  sizeof admit_methods / sizeof admit_methods[0]) &&
        !admit_in(method, admit_known,
                  sizeof admit_known / sizeof admit_known[0])) {
        admit_refuse(v, 501, FAULT_INVALID, "method",
                     "the method %s is not implemented", method);
        return;
    }
    if (target[0] != '/') {
        admit_refuse(v, 400, FAULT_INVALID, "request-line",
                     "the request target must be a path starting with /");
        return;
    }
    q = memchr(target, '?', h->target.len);
    plen = q != NULL ? (size_t)(q - target) : h->target.len;
    if (plen >= sizeof path) {
        /* The dispatcher answers it 404, as any unknown path. */
        if (has_body)
            admit_refuse(v, 404, FAULT_NOT_FOUND, "path", "no such resource");
        return;
    }
    memcpy(path, target, plen);
    path[plen] = '\0';
    rr = router_match(&m, routes_table, routes_count, method, path);
    if (rr == ROUTER_NO_METHOD &&
        (has_body || admit_in(method, admit_known, 2))) {
        admit_refuse(v, 405, FAULT_INVALID, "method",
                     "this resource does not take %s", method);
        snprintf(v->r.allow, sizeof v->r.allow, "%s", m.allow);
        return;
    }
    if (rr != ROUTER_FOUND) {
        if (has_body || admit_in(method, admit_known, 2))
            admit_refuse(v, 404, FAULT_NOT_FOUND, "path",
                         "no such resource: %s", path);
        return;
    }
    switch (m.entry->body) {
    case ROUTER_BODY_NONE: limit = 0; break;
    case ROUTER_BODY_JSON: limit = gw->opt->max_json_body; break;
    case ROUTER_BODY_RAW: limit = gw->opt->max_part_bytes; break;
    }
    v->body_limit = limit;
    v->upload = m.entry->body == ROUTER_BODY_RAW;
    v->r.route = m.entry->name;
    if (!has_body)
        return;
    if (limit == 0) {
        admit_refuse(v, 0, FAULT_INVALID, "body", "this route takes no body");
        return;
    }
    if (h->content_length > 0 && (uint64_t)h->content_length > limit) {
        admit_refuse(v, 0, FAULT_TOO_LARGE, "body",
                     "the body is %" PRId64 " bytes; this route takes at most "
                     "%" PRIu64, h->content_length, limit);
        return;
    }
    if (m.entry->auth == ROUTER_SIGNED ||
        (m.entry->auth == ROUTER_OPTIONAL &&
         (h->count[REQHEAD_SIGNATURE] || h->count[REQHEAD_TIMESTAMP] ||
          h->count[REQHEAD_NONCE]))) {
        admit_auth_headers(&a, h, head);
        if (auth_check_headers(&a, (int64_t)time(NULL), &v->r.fault) < 0) {
            v->refuse = 1;
            return;
        }
    }
}
