/*
 * Sign-In with Ethereum (DESIGN.md 3.11, EIP-4361):
 *   GET    /v1/session/nonce  a nonce for the next sign-in message;
 *   POST   /v1/session        {"message", "signature"}: open a session and
 *                             set its cookie;
 *   GET    /v1/session        the session of the cookie, or 401;
 *   DELETE /v1/session        end it (204).
 * The message is read by lib/siwe.h; nonces and sessions are kept by
 * session.h; a session's cookie is honoured by principal.h.
 */
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway/chain.h"
#include "gateway/principal.h"
#include "gateway/routes.h"
#include "gateway/session.h"
#include "lib/jsonv.h"
#include "lib/secret.h"
#include "lib/siwe.h"

/* The longest signature text we read: "0x" + 130 digits, with room for a
 * client's mistake to be named rather than cut. */
#define HS_SIGNATURE_MAX 256

/* Add the Set-Cookie of the session token until expires (token NULL: one
 * that removes the cookie). Secure when the gateway serves TLS, so that
 * the browser never sends the cookie in the clear. */
static void hs_set_cookie(struct gw_ctx *c, const char *token,
                          int64_t max_age)
{
    char line[256];

    snprintf(line, sizeof line,
             "%s=%s; Path=/; Max-Age=%" PRId64 "; HttpOnly; SameSite=Strict%s",
             SESSION_COOKIE, token ? token : "", token ? max_age : 0,
             c->gw->tls_ctx != NULL ? "; Secure" : "");
    evhttp_add_header(evhttp_request_get_output_headers(c->req), "Set-Cookie",
                      line);
    secret_wipe(line, sizeof line);
}

/* The answer of POST and GET: {"address", "expires"}. */
static int hs_reply(struct gw_ctx *c, const struct ethaddr *who,
                    int64_t expires)
{
    char text[ETHADDR_TEXT_SIZE];

    ethaddr_to_text(text, who);
    return gw_reply_json(c, 200,
                         json_pack("{s:s, s:I}", "address", text, "expires",
                                   (json_int_t)expires),
                         NULL);
}

static int64_t hs_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int h_session_nonce(struct gw_ctx *c)
{
    char nonce[SESSION_NONCE_LEN + 1];

    if (session_nonce_new(c->gw->sessions, nonce, (int64_t)time(NULL),
                          &c->fault) < 0)
        return -1;
    return gw_reply_json(c, 200, json_pack("{s:s}", "nonce", nonce), NULL);
}

/* A sign-in is JSON, and only JSON: a form of another site can post
 * text/plain or a form encoding without asking, never application/json
 * (a cross-site fetch of that type needs a CORS preflight, which this
 * gateway never grants). So another site cannot sign a browser in to the
 * other site's own account behind the user's back. */
static int hs_content_type(struct gw_ctx *c)
{
    const char *t = evhttp_find_header(
        evhttp_request_get_input_headers(c->req), "Content-Type");
    size_t n;

    if (t != NULL) {
        n = strcspn(t, "; \t");
        if (n == strlen("application/json") &&
            strncasecmp(t, "application/json", n) == 0)
            return 0;
    }
    return fault_set(&c->fault, FAULT_INVALID, "Content-Type",
                     "a sign-in is sent as application/json");
}

/* Read the body: {"message": text, "signature": "0x..."}. */
static int hs_body(struct gw_ctx *c, json_t **doc, const char **message,
                   const char **signature)
{
    static const char *const keys[] = {"message", "signature", NULL};

    *message = *signature = NULL;
    if (jsonv_parse_object(doc, c->body, c->body_len, &c->fault) < 0 ||
        jsonv_check_keys(*doc, keys, "", &c->fault) < 0 ||
        jsonv_get_string(message, *doc, "message", 1, SIWE_MAX_LEN, "",
                         &c->fault) < 0 ||
        jsonv_get_string(signature, *doc, "signature", 1, HS_SIGNATURE_MAX, "",
                         &c->fault) < 0)
        return -1;
    return 0;
}

int h_session_create(struct gw_ctx *c)
{
    struct siwe_message m;
    struct siwe_expect e;
    char nonce[SIWE_NONCE_MAX + 1], token[SESSION_TOKEN_TEXT_SIZE];
    const char *message, *signature;
    json_t *doc = NULL;
    int64_t now, expires;
    int rv = -1;

    token[0] = '\0';
    if (hs_content_type(c) < 0 || hs_body(c, &doc, &message, &signature) < 0)
        goto done;
    now = hs_now_ms();
    /* The nonce a message names is used up by this attempt, whatever
     * comes of it, even when the rest does not parse: one nonce, one try. */
    if (siwe_parse(&m, message, strlen(message), &c->fault) < 0) {
        if (siwe_find_nonce(nonce, message, strlen(message)))
            (void)session_nonce_take(c->gw->sessions, nonce, strlen(nonce),
                                     now / 1000);
        goto done;
    }
    if (!session_nonce_take(c->gw->sessions, m.nonce, strlen(m.nonce),
                            now / 1000)) {
        fault_set(&c->fault, FAULT_UNAUTHORIZED, "nonce",
                  "the nonce is not one this gateway handed out, or it was "
                  "used or expired (5 minutes): ask GET /v1/session/nonce "
                  "for another");
        goto done;
    }
    /* Who we are, as the browser reached us: the Host it sent (forwarded
     * headers are not ours to trust), over TLS or not. */
    e.scheme = c->gw->tls_ctx != NULL ? "https" : "http";
    e.authority = evhttp_find_header(evhttp_request_get_input_headers(c->req),
                                     "Host");
    e.chain_id = gw_chain_id(c->gw->chain);
    e.now_ms = now;
    if (siwe_check(&m, &e, &c->fault) < 0 ||
        siwe_verify(&m, message, strlen(message), signature,
                    strlen(signature), &c->fault) < 0)
        goto done;
    expires = siwe_expires(&m);
    if (session_open(c->gw->sessions, token, &m.address, expires, now / 1000,
                     &c->fault) < 0)
        goto done;
    hs_set_cookie(c, token, expires - now / 1000);
    rv = hs_reply(c, &m.address, expires);
done:
    secret_wipe(token, sizeof token);
    json_decref(doc);
    return rv;
}

int h_session_get(struct gw_ctx *c)
{
    char token[SESSION_TOKEN_TEXT_SIZE];
    struct ethaddr who;
    int64_t expires;
    int sent, live;

    live = principal_session(c, &who, &expires, token, &sent);
    secret_wipe(token, sizeof token);
    if (live)
        return hs_reply(c, &who, expires);
    /* A cookie that opens nothing is one the browser may forget. */
    if (sent)
        hs_set_cookie(c, NULL, 0);
    return fault_set(&c->fault, FAULT_UNAUTHORIZED, SESSION_COOKIE,
                     "not signed in: no live session cookie");
}

/* Signing out twice, or after the session expired, is not an error: the
 * answer is the same 204 and a cookie that removes the browser's. */
int h_session_delete(struct gw_ctx *c)
{
    char token[SESSION_TOKEN_TEXT_SIZE];
    struct ethaddr who;
    int64_t expires;
    int sent;

    if (principal_session(c, &who, &expires, token, &sent))
        (void)session_close(c->gw->sessions, token, strlen(token),
                            (int64_t)time(NULL));
    secret_wipe(token, sizeof token);
    hs_set_cookie(c, NULL, 0);
    return gw_reply_empty(c, 204);
}
