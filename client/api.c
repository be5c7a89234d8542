#include "client/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/ethsig.h"
#include "lib/random.h"
#include "lib/reqsig.h"
#include "storage/jsonrow.h"

#define API_TARGET_MAX 4096

int api_init(struct api *a, const char *url, const struct ethkey *key,
             struct fault *f)
{
    struct http_url u;

    memset(a, 0, sizeof *a);
    if (http_url_parse(&u, url, "--gateway", f) < 0)
        return -1;
    http_client_init(&a->http, &u);
    a->key = key;
    if (key != NULL)
        ethaddr_to_text(a->address, &key->addr);
    return 0;
}

void api_close(struct api *a)
{
    http_client_close(&a->http);
}

int api_new_nonce(char nonce[API_NONCE_LEN + 1], struct fault *f)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint8_t pool[64];
    size_t n = 0, i;

    nonce[0] = '\0';
    /* Rejection sampling: 248 = 4 * 62, so bytes below it map evenly. */
    while (n < API_NONCE_LEN) {
        if (random_bytes(pool, sizeof pool, f) < 0) {
            nonce[0] = '\0';
            return -1;
        }
        for (i = 0; i < sizeof pool && n < API_NONCE_LEN; i++)
            if (pool[i] < 248)
                nonce[n++] = alphabet[pool[i] % 62];
    }
    nonce[n] = '\0';
    return 0;
}

enum fault_kind api_status_kind(int status)
{
    switch (status) {
    case 400: return FAULT_INVALID;
    case 401: return FAULT_UNAUTHORIZED;
    case 402: return FAULT_PAYMENT;
    case 403: return FAULT_FORBIDDEN;
    case 404: return FAULT_NOT_FOUND;
    case 409: return FAULT_CONFLICT;
    case 413: return FAULT_TOO_LARGE;
    case 429: return FAULT_RATE_LIMITED;
    case 503: return FAULT_UNAVAILABLE;
    default: break;
    }
    if (status >= 500)
        return FAULT_UNAVAILABLE;
    return FAULT_INVALID;
}

/* Copy text into out[0..cap) with control bytes as '?', cut to fit. */
static void api_clean(char *out, size_t cap, const char *text, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len && n + 1 < cap; i++) {
        unsigned char ch = (unsigned char)text[i];
        out[n++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

int api_problem_fault(const struct http_response *r, struct fault *f)
{
    const char *detail = NULL, *field = NULL, *title = NULL, *ctype;
    char d[FAULT_DETAIL_MAX], fl[FAULT_FIELD_MAX], ti[64];
    enum fault_kind kind = api_status_kind(r->status);
    json_t *doc = NULL;

    doc = json_loadb((const char *)r->body, r->body_len, 0, NULL);
    if (doc != NULL && json_is_object(doc)) {
        detail = json_string_value(json_object_get(doc, "detail"));
        field = json_string_value(json_object_get(doc, "field"));
        title = json_string_value(json_object_get(doc, "title"));
    }
    api_clean(ti, sizeof ti, title ? title : r->reason,
              strlen(title ? title : r->reason));
    ctype = http_response_header(r, "Content-Type");
    d[0] = '\0';
    if (detail != NULL)
        api_clean(d, sizeof d, detail, strlen(detail));
    else if (ctype != NULL && strncasecmp(ctype, "text/plain", 10) == 0)
        /* A proxy's words, perhaps; an HTML page would only be noise. */
        api_clean(d, sizeof d, (const char *)r->body,
                  r->body_len > 160 ? 160 : r->body_len);
    fl[0] = '\0';
    if (field != NULL)
        api_clean(fl, sizeof fl, field, strlen(field));
    if (fl[0] != '\0')
        fault_set(f, kind, NULL, "the gateway answered %d %s: %s (field: %s)",
                  r->status, ti, d[0] ? d : ti, fl);
    else
        fault_set(f, kind, NULL, "the gateway answered %d %s%s%s", r->status,
                  ti, d[0] ? ": " : "", d);
    json_decref(doc);
    return -1;
}

/* Sign call for target into the header values. */
static int api_sign(struct api *a, const struct api_call *call,
                    const char *target, char ts[24],
                    char sig[ETHSIG_TEXT_SIZE], struct fault *f)
{
    char *msg = NULL;
    size_t len = 0;
    int rv;

    snprintf(ts, 24, "%lld", (long long)time(NULL));
    if (reqsig_message(&msg, &len, call->method, target, strlen(target),
                       call->body, call->body_len, ts, call->nonce, f) < 0)
        return -1;
    rv = reqsig_sign(sig, a->key, msg, len, f);
    free(msg);
    return rv;
}

int api_exchange(struct api *a, struct http_response *r,
                 struct api_call *call, struct fault *f)
{
    struct http_header hdrs[6];
    char target[API_TARGET_MAX], ts[24], sig[ETHSIG_TEXT_SIZE];
    const char *retry;
    size_t nh;
    int tries;

    memset(r, 0, sizeof *r);
    if (snprintf(target, sizeof target, "%s%s", a->http.url.prefix,
                 call->path) >= (int)sizeof target)
        return fault_set(f, FAULT_INVALID, NULL, "the request path is too "
                                                 "long");
    if (call->sign && a->key == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "a signed request needs a key");
    if (call->sign && call->nonce[0] == '\0' &&
        api_new_nonce(call->nonce, f) < 0)
        return -1;
    for (tries = 0;; tries++) {
        nh = 0;
        if (call->content_type != NULL)
            hdrs[nh++] = (struct http_header){"Content-Type",
                                              call->content_type};
        if (call->sign) {
            if (api_sign(a, call, target, ts, sig, f) < 0)
                return -1;
            hdrs[nh++] = (struct http_header){REQSIG_HEADER_TIMESTAMP, ts};
            hdrs[nh++] = (struct http_header){REQSIG_HEADER_NONCE,
                                              call->nonce};
            hdrs[nh++] = (struct http_header){REQSIG_HEADER_SIGNATURE, sig};
            hdrs[nh++] = (struct http_header){REQSIG_HEADER_ADDRESS,
                                              a->address};
        }
        if (http_client_request(&a->http, r, call->method, target, hdrs, nh,
                                call->body, call->body_len, call->progress,
                                call->progress_arg, f) < 0)
            return -1;
        retry = http_response_header(r, "Retry-After");
        if (retry != NULL && tries < API_RETRY_MAX &&
            ((r->status == 409 && call->sign) || r->status == 429)) {
            /* 409: the same request is still being answered: wait, then
             * ask again with the same nonce to get its answer. 429: too
             * many requests; the gateway refused before looking at the
             * nonce, so the same one is still unused. */
            long secs = strtol(retry, NULL, 10);
            if (secs < 1)
                secs = 1;
            if (secs > 30)
                secs = 30;
            http_response_clear(r);
            sleep((unsigned)secs);
            continue;
        }
        return 0;
    }
}

int api_json_parse(json_t **out, const uint8_t *body, size_t len,
                   const char *omit, struct fault *f)
{
    const struct jsonrow_member *m;
    json_error_t jerr, jerr2;
    struct jsonrow jr;
    struct fault jf;
    uint8_t *copy = NULL;
    size_t i, off, n;

    *out = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*out != NULL && json_is_object(*out))
        return 0;
    json_decref(*out);
    *out = NULL;
    jsonrow_init(&jr);
    if (omit != NULL && jsonrow_parse(&jr, body, len, 0, &jf) == 0) {
        for (i = 0; i < jr.count; i++) {
            m = &jr.members[i];
            if (m->key_len != strlen(omit) ||
                memcmp(m->key, omit, m->key_len) != 0 ||
                m->value < body || m->value + m->value_len > body + len)
                continue;
            off = (size_t)(m->value - body);
            n = m->value_len;
            copy = malloc(len - n + 5);
            if (copy == NULL)
                break;
            memcpy(copy, body, off);
            memcpy(copy + off, "null", 4);
            memcpy(copy + off + 4, body + off + n, len - off - n);
            *out = json_loadb((const char *)copy, len - n + 4,
                              JSON_REJECT_DUPLICATES, &jerr2);
            free(copy);
            break;
        }
    }
    jsonrow_release(&jr);
    if (*out != NULL && json_is_object(*out))
        return 0;
    json_decref(*out);
    *out = NULL;
    return fault_set(f, FAULT_CORRUPT, NULL,
                     "the gateway's answer is not JSON (%s)", jerr.text);
}

int api_request(struct api *a, json_t **doc, int *status,
                struct api_call *call, struct fault *f)
{
    struct http_response r;
    json_error_t jerr;
    int rv = -1;

    *doc = NULL;
    *status = 0;
    if (api_exchange(a, &r, call, f) < 0)
        return -1;
    *status = r.status;
    if (r.status < 200 || r.status > 299) {
        api_problem_fault(&r, f);
        goto done;
    }
    if (r.body_len > 0) {
        *doc = json_loadb((const char *)r.body, r.body_len,
                          JSON_REJECT_DUPLICATES, &jerr);
        if (*doc == NULL) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the gateway's answer is not JSON (%s)", jerr.text);
            goto done;
        }
    }
    rv = 0;
done:
    http_response_clear(&r);
    return rv;
}
