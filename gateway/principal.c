/*
 * principal: the one check of who may read an account (principal.h).
 */
#include "gateway/principal.h"

#include <string.h>

int principal_require(struct gw_ctx *c, const char *address_text,
                      struct ethaddr *out)
{
    memset(out, 0, sizeof *out);
    if (ethaddr_parse(out, address_text, strlen(address_text), "address",
                      &c->fault) < 0)
        return -1;
    /* The route verified a signature when its headers were present
     * (ROUTER_OPTIONAL); the session cookie joins here with the web page. */
    if (!c->is_signed) {
        memset(out, 0, sizeof *out);
        return fault_set(&c->fault, FAULT_UNAUTHORIZED, "X-Sluice-Signature",
                         "sign the request as %s to read its account",
                         address_text);
    }
    if (!ethaddr_equal(out, &c->signer)) {
        memset(out, 0, sizeof *out);
        return fault_set(&c->fault, FAULT_FORBIDDEN, "address",
                         "the request is signed by %s, not by the account "
                         "asked for",
                         c->signer_text);
    }
    return 0;
}
