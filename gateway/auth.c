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
    return auth_header(c, REQSIG_HEADER_SIGNATURE) != NULL;
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

int auth_verify(struct gw_ctx *c)
{
    const char *value[AUTH_NNAMES], *twice = NULL;
    const char *ts, *nonce, *sig, *addr, *enc;
    struct ethaddr claimed;
    char *message = NULL;
    size_t message_len = 0;
    int64_t when;
    int rv = -1;

    if (auth_collect(c, value, &twice) < 0)
        return fault_set(&c->fault, FAULT_UNAUTHORIZED, twice,
                         "%s is given more than once", twice);
    ts = value[0];
    nonce = value[1];
    sig = value[2];
    addr = value[3];
    enc = value[4];
    if (enc != NULL && evutil_ascii_strcasecmp(enc, "identity") != 0)
        return fault_set(&c->fault, FAULT_INVALID, "Content-Encoding",
                         "signed requests must not use a Content-Encoding "
                         "(got %s)", enc);
    if (ts == NULL)
        return fault_set(&c->fault, FAULT_UNAUTHORIZED,
                         REQSIG_HEADER_TIMESTAMP, "%s is missing",
                         REQSIG_HEADER_TIMESTAMP);
    if (nonce == NULL)
        return fault_set(&c->fault, FAULT_UNAUTHORIZED, REQSIG_HEADER_NONCE,
                         "%s is missing", REQSIG_HEADER_NONCE);
    if (sig == NULL)
        return fault_set(&c->fault, FAULT_UNAUTHORIZED,
                         REQSIG_HEADER_SIGNATURE, "%s is missing",
                         REQSIG_HEADER_SIGNATURE);
    if (reqsig_check_timestamp(&when, ts, strlen(ts), (int64_t)time(NULL),
                               &c->fault) < 0 ||
        reqsig_check_nonce(nonce, strlen(nonce), &c->fault) < 0)
        return -1;
    if (reqsig_message_hashed(&message, &message_len, c->method, c->target,
                              strlen(c->target), c->body_sha256, ts, nonce,
                              &c->fault) < 0) {
        /* A request we could not even describe cannot carry a valid
         * signature. */
        c->fault.kind = FAULT_UNAUTHORIZED;
        goto done;
    }
    if (reqsig_verify(&c->signer_pub, &c->signer, sig, strlen(sig), message,
                      message_len, &c->fault) < 0)
        goto done;
    if (addr != NULL) {
        if (ethaddr_parse(&claimed, addr, strlen(addr),
                          REQSIG_HEADER_ADDRESS, &c->fault) < 0) {
            c->fault.kind = FAULT_UNAUTHORIZED;
            goto done;
        }
        if (!ethaddr_equal(&claimed, &c->signer)) {
            fault_set(&c->fault, FAULT_UNAUTHORIZED, REQSIG_HEADER_ADDRESS,
                      "%s does not match the signer", REQSIG_HEADER_ADDRESS);
            goto done;
        }
    }
    ethaddr_to_text(c->signer_text, &c->signer);
    snprintf(c->nonce, sizeof c->nonce, "%s", nonce);
    c->is_signed = 1;
    rv = 0;
done:
    free(message);
    return rv;
}
