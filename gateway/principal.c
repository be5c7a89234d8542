/*
 * principal: the one check of who may read an account (principal.h).
 */
#include "gateway/principal.h"

#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/secret.h"

/* The next cookie-pair of a Cookie header value (RFC 6265 5.4:
 * "name=value" joined by "; "), from *p on: its name and value spans,
 * spaces around each trimmed. Returns 0 at the end. */
static int principal_cookie_next(const char **p, const char **name,
                                 size_t *name_len, const char **value,
                                 size_t *value_len)
{
    const char *s = *p, *end, *eq;

    while (*s == ';' || *s == ' ' || *s == '\t')
        s++;
    if (*s == '\0')
        return 0;
    end = strchr(s, ';');
    if (end == NULL)
        end = s + strlen(s);
    *p = end;
    eq = memchr(s, '=', (size_t)(end - s));
    if (eq == NULL) { /* a pair without '=': no name we look for */
        *name = s;
        *name_len = 0;
        *value = end;
        *value_len = 0;
        return 1;
    }
    *name = s;
    *name_len = (size_t)(eq - s);
    while (*name_len > 0 && (s[*name_len - 1] == ' ' || s[*name_len - 1] == '\t'))
        (*name_len)--;
    *value = eq + 1;
    while (*value < end && (**value == ' ' || **value == '\t'))
        (*value)++;
    *value_len = (size_t)(end - *value);
    while (*value_len > 0 &&
           ((*value)[*value_len - 1] == ' ' || (*value)[*value_len - 1] == '\t'))
        (*value_len)--;
    return 1;
}

int principal_session(struct gw_ctx *c, struct ethaddr *who, int64_t *expires,
                      char token[SESSION_TOKEN_TEXT_SIZE], int *sent)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(c->req);
    const size_t cn = strlen(SESSION_COOKIE);
    struct evkeyval *kv;
    const char *p, *name, *value;
    size_t nl, vl;
    int64_t now = (int64_t)time(NULL);

    memset(who, 0, sizeof *who);
    *expires = 0;
    token[0] = '\0';
    *sent = 0;
    if (h == NULL || c->gw->sessions == NULL)
        return 0;
    TAILQ_FOREACH(kv, h, next) {
        if (strcasecmp(kv->key, "Cookie") != 0)
            continue;
        p = kv->value;
        while (principal_cookie_next(&p, &name, &nl, &value, &vl)) {
            if (nl != cn || memcmp(name, SESSION_COOKIE, cn) != 0)
                continue;
            *sent = 1;
            if (session_find(c->gw->sessions, who, expires, value, vl, now)) {
                /* session_find accepts exactly SESSION_TOKEN_TEXT_SIZE - 1
                 * characters. */
                memcpy(token, value, vl);
                token[vl] = '\0';
                return 1;
            }
        }
    }
    return 0;
}

int principal_require(struct gw_ctx *c, const char *address_text,
                      struct ethaddr *out)
{
    char token[SESSION_TOKEN_TEXT_SIZE], text[ETHADDR_TEXT_SIZE];
    struct ethaddr who;
    int64_t expires;
    int sent, live;

    memset(out, 0, sizeof *out);
    if (ethaddr_parse(out, address_text, strlen(address_text), "address",
                      &c->fault) < 0)
        return -1;
    /* The route verified a signature when its headers were present
     * (ROUTER_OPTIONAL): it decides, and a cookie is not looked at. */
    if (c->is_signed) {
        if (ethaddr_equal(out, &c->signer))
            return 0;
        memset(out, 0, sizeof *out);
        return fault_set(&c->fault, FAULT_FORBIDDEN, "address",
                         "the request is signed by %s, not by the account "
                         "asked for",
                         c->signer_text);
    }
    live = (strcmp(c->method, "GET") == 0 || strcmp(c->method, "HEAD") == 0) &&
           principal_session(c, &who, &expires, token, &sent);
    secret_wipe(token, sizeof token);
    if (!live) {
        memset(out, 0, sizeof *out);
        return fault_set(&c->fault, FAULT_UNAUTHORIZED, "X-Sluice-Signature",
                         "sign the request as %s, or sign in as it (POST "
                         "/v1/session), to read its account",
                         address_text);
    }
    if (!ethaddr_equal(out, &who)) {
        memset(out, 0, sizeof *out);
        ethaddr_to_text(text, &who);
        return fault_set(&c->fault, FAULT_FORBIDDEN, "address",
                         "this browser is signed in as %s, not as the "
                         "account asked for", text);
    }
    return 0;
}
