#include "gateway/auth.h"

#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/reqsig.h"

static const char *auth_header(struct gw_ctx *c, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(c->req), name);
}

int auth_present(struct gw_ctx *c)
{
    /* Any one of the three makes the request signed: some but not all of
     * them is a 401, never a silent read as anyone (DESIGN.md 3.6). */
    return auth_header(c, REQSIG_HEADER_SIGNATURE) != NULL ||
           auth_header(c, REQSIG_HEADER_TIMESTAMP) != NULL ||
           auth_header(c, REQSIG_HEADER_NONCE) != NULL;
}

/* The headers a signature depends on, in the order auth_collect gives
 * their values. */
static const char *const auth_names[] = {
    REQSIG_HEADER_TIMESTAMP, REQSIG_HEADER_NONCE, REQSIG_HEADER_SIGNATURE,
    REQSIG_HEADER_ADDRESS, "Content-Encoding",
};
#define AUTH_NNAMES (sizeof auth_names / sizeof auth_names[0])

/* Find the headers of auth_names in one pass over the request's headers
 * (the length is compared before the text: most headers are not ours).
 * Returns -1 with *twice naming a header given more than once (ambiguous:
 * refused rather than picking one), else 0 with value[i] set or NULL. */
static int auth_collect(struct gw_ctx *c, const char *value[AUTH_NNAMES],
                        const char **twice)
{
    static size_t lens[AUTH_NNAMES];
    struct evkeyvalq *h = evhttp_request_get_input_headers(c->req);
    struct evkeyval *kv;
    size_t i, len;

    if (lens[0] == 0)
        for (i = 0; i < AUTH_NNAMES; i++)
            lens[i] = strlen(auth_names[i]);
    for (i = 0; i < AUTH_NNAMES; i++)
        value[i] = NULL;
    for (kv = h->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
        len = strlen(kv->key);
        for (i = 0; i < AUTH_NNAMES; i++) {
            if (len != lens[i] ||
                evutil_ascii_strcasecmp(kv->key, auth_names[i]) != 0)
                continue;
            if (value[i] != NULL) {
                *twice = auth_names[i];
                return -1;
            }
            value[i] = kv->value;
        }
    }
    return 0;
}

int auth_check_headers(const struct auth_headers *h, int64_t now,
                       struct fault *f)
{
    uint8_t sig[ETHSIG_LEN];
    struct fault parse;
    int64_t when;

    if (h->twice != NULL)
        return fault_set(f, FAULT_UNAUTHORIZED, h->twice,
                         "%s is given more than once", h->twice);
    if (h->enc != NULL &&
        (h->enc_len != 8 || evutil_ascii_strncasecmp(h->enc, "identity",
                                                     8) != 0))
        return fault_set(f, FAULT_INVALID, "Content-Encoding",
                         "signed requests must not use a Content-Encoding "
                         "(got %.*s)", (int)(h->enc_len > 64 ? 64
                                                             : h->enc_len),
                         h->enc);
    if (h->ts == NULL)
        return fault_set(f, FAULT_UNAUTHORIZED, REQSIG_HEADER_TIMESTAMP,
                         "%s is missing", REQSIG_HEADER_TIMESTAMP);
    if (h->nonce == NULL)
        return fault_set(f, FAULT_UNAUTHORIZED, REQSIG_HEADER_NONCE,
                         "%s is missing", REQSIG_HEADER_NONCE);
    if (h->sig == NULL)
        return fault_set(f, FAULT_UNAUTHORIZED, REQSIG_HEADER_SIGNATURE,
                         "%s is missing", REQSIG_HEADER_SIGNATURE);
    if (reqsig_check_timestamp(&when, h->ts, h->ts_len, now, f) < 0 ||
        reqsig_check_nonce(h->nonce, h->nonce_len, f) < 0)
        return -1;
    /* A malformed signature is an authentication failure (401), as
     * reqsig_verify would report it. */
    fault_clear(&parse);
    if (ethsig_parse(sig, h->sig, h->sig_len, REQSIG_HEADER_SIGNATURE,
                     &parse) < 0)
        return fault_set(f, FAULT_UNAUTHORIZED, REQSIG_HEADER_SIGNATURE, "%s",
                         parse.detail);
    return 0;
}

int auth_begin(struct gw_ctx *c, struct auth_check *a)
{
    const char *value[AUTH_NNAMES], *twice = NULL;
    struct auth_headers h;

    memset(a, 0, sizeof *a);
    memset(&h, 0, sizeof h);
    if (auth_collect(c, value, &twice) < 0)
        h.twice = twice;
    h.ts = value[0];
    h.nonce = value[1];
    h.sig = value[2];
    h.addr = value[3];
    h.enc = value[4];
    h.ts_len = h.ts ? strlen(h.ts) : 0;
    h.nonce_len = h.nonce ? strlen(h.nonce) : 0;
    h.sig_len = h.sig ? strlen(h.sig) : 0;
    h.addr_len = h.addr ? strlen(h.addr) : 0;
    h.enc_len = h.enc ? strlen(h.enc) : 0;
    if (auth_check_headers(&h, (int64_t)time(NULL), &c->fault) < 0)
        return -1;
    if (reqsig_message_hashed(&a->message, &a->message_len, c->method,
                              c->target, strlen(c->target), c->body_sha256,
                              h.ts, h.nonce, &c->fault) < 0) {
        /* A request we could not even describe cannot carry a valid
         * signature. */
        c->fault.kind = FAULT_UNAUTHORIZED;
        return -1;
    }
    a->sig = strdup(h.sig);
    if (a->sig == NULL) {
        auth_check_clear(a);
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    }
    a->addr = h.addr;
    a->nonce = h.nonce;
    return 0;
}

void auth_check_run(struct auth_check *a)
{
    fault_clear(&a->fault);
    a->rv = reqsig_verify(&a->pub, &a->signer, a->sig, strlen(a->sig),
                          a->message, a->message_len, &a->fault);
}

void auth_check_clear(struct auth_check *a)
{
    free(a->message);
    free(a->sig);
    a->message = NULL;
    a->sig = NULL;
}

int auth_end(struct gw_ctx *c, struct auth_check *a)
{
    struct ethaddr claimed;
    int rv = -1;

    if (a->rv < 0) {
        c->fault = a->fault;
        goto done;
    }
    if (a->addr != NULL) {
        if (ethaddr_parse(&claimed, a->addr, strlen(a->addr),
                          REQSIG_HEADER_ADDRESS, &c->fault) < 0) {
            c->fault.kind = FAULT_UNAUTHORIZED;
            goto done;
        }
        if (!ethaddr_equal(&claimed, &a->signer)) {
            fault_set(&c->fault, FAULT_UNAUTHORIZED, REQSIG_HEADER_ADDRESS,
                      "%s does not match the signer", REQSIG_HEADER_ADDRESS);
            goto done;
        }
    }
    c->signer_pub = a->pub;
    c->signer = a->signer;
    ethaddr_to_text(c->signer_text, &c->signer);
    snprintf(c->nonce, sizeof c->nonce, "%s", a->nonce);
    c->is_signed = 1;
    rv = 0;
done:
    auth_check_clear(a);
    return rv;
}
