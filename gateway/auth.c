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

/* A header given twice is ambiguous: refuse rather than pick one. */
static int auth_single(struct gw_ctx *c, const char *name)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(c->req);
    struct evkeyval *kv;
    int n = 0;

    for (kv = h->tqh_first; kv != NULL; kv = kv->next.tqe_next)
        if (evutil_ascii_strcasecmp(kv->key, name) == 0)
            n++;
    return n <= 1;
}

int auth_verify(struct gw_ctx *c)
{
    static const char *const names[] = {
        REQSIG_HEADER_TIMESTAMP, REQSIG_HEADER_NONCE, REQSIG_HEADER_SIGNATURE,
        REQSIG_HEADER_ADDRESS, "Content-Encoding",
    };
    const char *ts, *nonce, *sig, *addr, *enc;
    struct ethaddr claimed;
    char *message = NULL;
    size_t message_len = 0;
    int64_t when;
    size_t i;
    int rv = -1;

    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!auth_single(c, names[i]))
            return fault_set(&c->fault, FAULT_UNAUTHORIZED, names[i],
                             "%s is given more than once", names[i]);
    enc = auth_header(c, "Content-Encoding");
    if (enc != NULL && evutil_ascii_strcasecmp(enc, "identity") != 0)
        return fault_set(&c->fault, FAULT_INVALID, "Content-Encoding",
                         "signed requests must not use a Content-Encoding "
                         "(got %s)", enc);
    ts = auth_header(c, REQSIG_HEADER_TIMESTAMP);
    nonce = auth_header(c, REQSIG_HEADER_NONCE);
    sig = auth_header(c, REQSIG_HEADER_SIGNATURE);
    addr = auth_header(c, REQSIG_HEADER_ADDRESS);
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
