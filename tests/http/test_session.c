/* In-process HTTP tests of Sign-In with Ethereum (DESIGN.md 3.11,
 * gateway/h_session.c, gateway/principal.c): a real gateway following a
 * real anvil (so that GET /v1/chain has a chain id), EIP-4361 messages
 * built here and signed with real secp256k1 keys (personal_sign, as a
 * wallet does). Every refusal is checked for its status and the field it
 * names, and for using up its nonce; the cookie is checked on the account
 * routes (own 200, another 403, none 401, signature headers first) and
 * against every route that changes state; sessions and nonces expire and
 * stay within their bounds; under TLS the cookie is Secure. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "gateway/chain.h"
#include "gateway/gateway.h"
#include "gateway/session.h"
#include "lib/ethaddr.h"
#include "lib/ethsig.h"
#include "lib/hex.h"
#include "tests/support/anvil.h"
#include "tests/support/gwtest.h"
#include "tests/support/testutil.h"

#define CHAIN_ID "31337"
#define CONTRACT "0x5FbDB2315678afecb367f032d93F642f64180aa3"

/* The anvil of the whole run, and the settings of the next gateway. */
static struct anvil *node;
static const char *next_rpc_url;
static size_t next_max_sessions, next_max_nonces;
static const char *next_cert, *next_key;

static void adjust(struct gateway_options *o)
{
    o->rpc_url = next_rpc_url;
    o->contract = next_rpc_url[0] ? CONTRACT : "";
    if (next_max_sessions)
        o->max_sessions = next_max_sessions;
    if (next_max_nonces)
        o->max_session_nonces = next_max_nonces;
    o->tls_cert = next_cert;
    o->tls_key = next_key;
}

struct fx {
    struct gwtest t;
    int tls;
    char host[64];    /* "127.0.0.1:<port>", as the requests send it */
    struct ethkey a, b;
    char a_text[ETHADDR_TEXT_SIZE], b_text[ETHADDR_TEXT_SIZE];
};

static void start(struct fx *x)
{
    memset(x, 0, sizeof *x);
    gwtest_start(&x->t, adjust);
    x->tls = next_cert != NULL;
    snprintf(x->host, sizeof x->host, "127.0.0.1:%u", (unsigned)x->t.port);
    gwtest_key(&x->a, 0x31);
    gwtest_key(&x->b, 0x32);
    ethaddr_to_text(x->a_text, &x->a.addr);
    ethaddr_to_text(x->b_text, &x->b.addr);
}

static void stop(struct fx *x)
{
    gwtest_stop(&x->t);
    ethkey_wipe(&x->a);
    ethkey_wipe(&x->b);
    next_rpc_url = node != NULL ? node->url : "";
    next_max_sessions = next_max_nonces = 0;
    next_cert = next_key = NULL;
}

static int group_setup(void **state)
{
    (void)state;
    node = anvil_start();
    if (node == NULL)
        return -1;
    next_rpc_url = node->url;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    anvil_stop(node);
    node = NULL;
    return 0;
}

/* ---- HTTP, plain or TLS ---------------------------------------------- */

/* Read one answer from ssl into *r, as gwtest_raw does from a socket. */
static void tls_read(SSL *ssl, int head_request, struct gwtest_resp *r)
{
    char *buf = NULL, *end, *cl;
    size_t have = 0, cap = 0, head_len = 0, want = 0;
    int n;

    for (;;) {
        if (have + 4097 > cap) {
            cap = (have + 4097) * 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            head_len = (size_t)(end - buf) + 4;
            cl = strcasestr(buf, "\r\nContent-Length:");
            want = head_request || cl == NULL || cl > end
                       ? 0
                       : strtoull(cl + 17, NULL, 10);
            if (have - head_len >= want)
                break;
        }
        n = SSL_read(ssl, buf + have, (int)(cap - have - 1));
        if (n <= 0)
            fail_msg("tls: the connection ended before a whole answer");
        have += (size_t)n;
    }
    r->head = strndup(buf, head_len);
    if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
        fail_msg("tls: no status line");
    r->body = malloc(want + 1);
    memcpy(r->body, buf + head_len, want);
    r->body[want] = '\0';
    r->body_len = want;
    free(buf);
}

static void tls_raw(struct fx *x, const char *raw, size_t len,
                    int head_request, struct gwtest_resp *r)
{
    struct sockaddr_in sa;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl;
    int s = socket(AF_INET, SOCK_STREAM, 0);

    memset(r, 0, sizeof *r);
    assert_non_null(ctx);
    assert_true(s >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(x->t.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
        fail_msg("tls: connect");
    /* A self-signed certificate made for this case: not verified. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    ssl = SSL_new(ctx);
    assert_non_null(ssl);
    SSL_set_fd(ssl, s);
    if (SSL_connect(ssl) != 1)
        fail_msg("tls: handshake failed");
    if (SSL_write(ssl, raw, (int)len) != (int)len)
        fail_msg("tls: write");
    tls_read(ssl, head_request, r);
    SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(s);
}

/* Send method target with Host host (NULL: x->host), extra header lines
 * and body (may be NULL), over TLS when the gateway serves it. */
static void req(struct fx *x, const char *method, const char *target,
                const char *host, const char *extra, const char *body,
                struct gwtest_resp *r)
{
    size_t blen = body ? strlen(body) : 0;
    size_t cap = strlen(target) + (extra ? strlen(extra) : 0) + blen + 512;
    char *raw = malloc(cap);
    int n;

    assert_non_null(raw);
    n = snprintf(raw, cap,
                 "%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %zu\r\n\r\n",
                 method, target, host ? host : x->host, extra ? extra : "",
                 blen);
    memcpy(raw + n, body ? body : "", blen);
    if (x->tls)
        tls_raw(x, raw, (size_t)n + blen, strcmp(method, "HEAD") == 0, r);
    else
        gwtest_raw(&x->t, raw, (size_t)n + blen, strcmp(method, "HEAD") == 0,
                   r);
    free(raw);
}

static json_t *body_json(const struct gwtest_resp *r)
{
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);

    if (j == NULL)
        fail_msg("not JSON (%d): %s", r->status, r->body);
    return j;
}

static void want(const struct gwtest_resp *r, int status, const char *field,
                 const char *what)
{
    json_t *j;
    const char *got;

    if (r->status != status)
        fail_msg("%s: status %d, want %d: %s", what, r->status, status,
                 r->body);
    if (field == NULL)
        return;
    j = body_json(r);
    got = json_string_value(json_object_get(j, "field"));
    if (got == NULL || strcmp(got, field) != 0)
        fail_msg("%s: field %s, want %s: %s", what, got ? got : "(none)",
                 field, r->body);
    json_decref(j);
}

/* ---- sign-in messages ------------------------------------------------ */

static void rfc3339(char *out, size_t cap, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The terms of a message; NULL leaves an optional one out. */
struct msg {
    const char *prefix;   /* "https://" before the domain, or NULL */
    const char *domain;
    const char *address;
    const char *statement;
    const char *uri;
    const char *version;
    const char *chain_id;
    const char *nonce;
    char issued_at[40];
    char expiration[40];  /* "" leaves it out */
    char not_before[40];  /* "" leaves it out */
    const char *tail;     /* appended as is, or NULL */
};

/* A message that signs k in to x now, valid for an hour. */
static void msg_init(struct msg *m, struct fx *x, const struct ethkey *k,
                     const char *nonce, char *addr_buf, char *uri_buf)
{
    int64_t now = (int64_t)time(NULL);

    memset(m, 0, sizeof *m);
    ethaddr_to_text(addr_buf, &k->addr);
    snprintf(uri_buf, 128, "%s://%s/", x->tls ? "https" : "http", x->host);
    m->domain = x->host;
    m->address = addr_buf;
    m->statement = "Sign in to sluice.";
    m->uri = uri_buf;
    m->version = "1";
    m->chain_id = CHAIN_ID;
    m->nonce = nonce;
    rfc3339(m->issued_at, sizeof m->issued_at, now);
    rfc3339(m->expiration, sizeof m->expiration, now + 3600);
}

static char *msg_text(const struct msg *m)
{
    char *s = malloc(8192);
    int n;

    assert_non_null(s);
    n = snprintf(s, 8192,
                 "%s%s wants you to sign in with your Ethereum account:\n%s\n\n"
                 "%s%s\nURI: %s\nVersion: %s\nChain ID: %s\nNonce: %s\n"
                 "Issued At: %s",
                 m->prefix ? m->prefix : "", m->domain, m->address,
                 m->statement ? m->statement : "", m->statement ? "\n" : "",
                 m->uri, m->version, m->chain_id, m->nonce, m->issued_at);
    if (m->expiration[0])
        n += snprintf(s + n, 8192 - (size_t)n, "\nExpiration Time: %s",
                      m->expiration);
    if (m->not_before[0])
        n += snprintf(s + n, 8192 - (size_t)n, "\nNot Before: %s",
                      m->not_before);
    if (m->tail)
        snprintf(s + n, 8192 - (size_t)n, "%s", m->tail);
    return s;
}

static void sign(char sig[ETHSIG_TEXT_SIZE], const struct ethkey *k,
                 const char *text)
{
    uint8_t raw[ETHSIG_LEN];
    struct fault f;

    if (ethsig_sign_personal(raw, k, (const uint8_t *)text, strlen(text),
                             &f) < 0)
        fail_msg("sign: %s", f.detail);
    ethsig_to_text(sig, raw);
}

/* The body {"message", "signature"} (malloc'd). */
static char *body_of(const char *text, const char *sig)
{
    json_t *j = json_pack("{s:s, s:s}", "message", text, "signature", sig);
    char *s = json_dumps(j, JSON_COMPACT);

    json_decref(j);
    assert_non_null(s);
    return s;
}

static void post_session(struct fx *x, const char *host, const char *extra,
                         const char *body, struct gwtest_resp *r)
{
    char hdrs[512];

    snprintf(hdrs, sizeof hdrs, "Content-Type: application/json\r\n%s",
             extra ? extra : "");
    req(x, "POST", "/v1/session", host, hdrs, body, r);
}

/* Sign m with k and post it. */
static void sign_in_msg(struct fx *x, const struct ethkey *k,
                        const struct msg *m, struct gwtest_resp *r)
{
    char sig[ETHSIG_TEXT_SIZE];
    char *text = msg_text(m), *body;

    sign(sig, k, text);
    body = body_of(text, sig);
    post_session(x, NULL, NULL, body, r);
    free(text);
    free(body);
}

static void get_nonce(struct fx *x, char out[SESSION_NONCE_LEN + 1])
{
    struct gwtest_resp r;
    json_t *j;
    const char *n;
    size_t i;

    req(x, "GET", "/v1/session/nonce", NULL, NULL, NULL, &r);
    want(&r, 200, NULL, "nonce");
    j = body_json(&r);
    n = json_string_value(json_object_get(j, "nonce"));
    assert_non_null(n);
    assert_int_equal(strlen(n), SESSION_NONCE_LEN);
    for (i = 0; i < SESSION_NONCE_LEN; i++)
        assert_true((n[i] >= 'A' && n[i] <= 'Z') ||
                    (n[i] >= 'a' && n[i] <= 'z') ||
                    (n[i] >= '0' && n[i] <= '9'));
    memcpy(out, n, SESSION_NONCE_LEN + 1);
    json_decref(j);
    gwtest_resp_clear(&r);
}

/* Sign k in with a fresh nonce and a message valid for ttl seconds; the
 * cookie header line ("Cookie: sluice_session=...\r\n") into cookie. */
static void sign_in(struct fx *x, const struct ethkey *k, int64_t ttl,
                    char *cookie, size_t cap)
{
    char nonce[SESSION_NONCE_LEN + 1], addr[ETHADDR_TEXT_SIZE], uri[128];
    char set[512];
    struct gwtest_resp r;
    struct msg m;
    const char *v, *e;

    get_nonce(x, nonce);
    msg_init(&m, x, k, nonce, addr, uri);
    rfc3339(m.expiration, sizeof m.expiration, (int64_t)time(NULL) + ttl);
    sign_in_msg(x, k, &m, &r);
    want(&r, 200, NULL, "sign in");
    assert_non_null(gwtest_header(&r, "Set-Cookie", set, sizeof set));
    v = strstr(set, SESSION_COOKIE "=");
    assert_non_null(v);
    e = strchr(v, ';');
    assert_non_null(e);
    snprintf(cookie, cap, "Cookie: %.*s\r\n", (int)(e - v), v);
    gwtest_resp_clear(&r);
}

/* ---- cases ------------------------------------------------------------ */

/* The whole story: a nonce, a sign-in, the session seen, the account read
 * with the cookie, and the end of the session. */
static void test_flow(void **state)
{
    struct fx x;
    char nonce[SESSION_NONCE_LEN + 1], addr[ETHADDR_TEXT_SIZE], uri[128];
    char set[512], cookie[256], target[128], hdr[64];
    struct gwtest_resp r;
    struct msg m;
    json_t *j;
    int64_t now, exp;
    long max_age;
    const char *ma;

    (void)state;
    start(&x);
    get_nonce(&x, nonce);
    req(&x, "GET", "/v1/session/nonce", NULL, NULL, NULL, &r);
    assert_non_null(gwtest_header(&r, "Cache-Control", hdr, sizeof hdr));
    assert_string_equal(hdr, "no-store");
    gwtest_resp_clear(&r);

    msg_init(&m, &x, &x.a, nonce, addr, uri);
    now = (int64_t)time(NULL);
    exp = now + 3600;
    rfc3339(m.expiration, sizeof m.expiration, exp);
    sign_in_msg(&x, &x.a, &m, &r);
    want(&r, 200, NULL, "sign in");
    j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "address")),
                        x.a_text);
    assert_true(json_is_integer(json_object_get(j, "expires")));
    assert_true(json_integer_value(json_object_get(j, "expires")) == exp);
    json_decref(j);
    assert_non_null(gwtest_header(&r, "Set-Cookie", set, sizeof set));
    assert_memory_equal(set, SESSION_COOKIE "=0x", strlen(SESSION_COOKIE) + 3);
    assert_non_null(strstr(set, "; Path=/"));
    assert_non_null(strstr(set, "; HttpOnly"));
    assert_non_null(strstr(set, "; SameSite=Strict"));
    assert_null(strstr(set, "Secure")); /* plain HTTP */
    ma = strstr(set, "; Max-Age=");
    assert_non_null(ma);
    max_age = strtol(ma + 10, NULL, 10);
    assert_true(max_age <= 3600 && max_age >= 3600 - 5);
    assert_non_null(gwtest_header(&r, "Cache-Control", hdr, sizeof hdr));
    assert_string_equal(hdr, "no-store");
    snprintf(cookie, sizeof cookie, "Cookie: %.*s\r\n",
             (int)(strchr(set, ';') - set), set);
    gwtest_resp_clear(&r);

    /* The session, with the cookie and among other cookies. */
    req(&x, "GET", "/v1/session", NULL, cookie, NULL, &r);
    want(&r, 200, NULL, "session");
    j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "address")),
                        x.a_text);
    assert_true(json_integer_value(json_object_get(j, "expires")) == exp);
    json_decref(j);
    gwtest_resp_clear(&r);
    {
        char many[400];
        snprintf(many, sizeof many,
                 "Cookie: theme=dark; %s=0x00; %.*s ; other=1\r\n",
                 SESSION_COOKIE, (int)(strlen(cookie) - 10), cookie + 8);
        req(&x, "GET", "/v1/session", NULL, many, NULL, &r);
        want(&r, 200, NULL, "session among other cookies");
        gwtest_resp_clear(&r);
    }
    req(&x, "GET", "/v1/session", NULL, NULL, NULL, &r);
    want(&r, 401, SESSION_COOKIE, "no cookie");
    assert_null(gwtest_header(&r, "Set-Cookie", set, sizeof set));
    gwtest_resp_clear(&r);
    req(&x, "GET", "/v1/session", NULL,
        "Cookie: " SESSION_COOKIE "=0x0000000000000000000000000000000000000"
        "000000000000000000000000000\r\n",
        NULL, &r);
    want(&r, 401, SESSION_COOKIE, "a cookie that opens nothing");
    assert_non_null(gwtest_header(&r, "Set-Cookie", set, sizeof set));
    assert_non_null(strstr(set, "Max-Age=0"));
    gwtest_resp_clear(&r);

    /* The nonce was used: the same message again is refused. */
    sign_in_msg(&x, &x.a, &m, &r);
    want(&r, 401, "nonce", "the nonce again");
    gwtest_resp_clear(&r);

    /* The account routes: own 200, another 403, none 401. */
    snprintf(target, sizeof target, "/v1/accounts/%s", x.a_text);
    req(&x, "GET", target, NULL, cookie, NULL, &r);
    want(&r, 200, NULL, "own account with the cookie");
    gwtest_resp_clear(&r);
    req(&x, "HEAD", target, NULL, cookie, NULL, &r);
    want(&r, 200, NULL, "HEAD own account with the cookie");
    gwtest_resp_clear(&r);
    req(&x, "GET", target, NULL, NULL, NULL, &r);
    want(&r, 401, NULL, "own account without a cookie");
    gwtest_resp_clear(&r);
    snprintf(target, sizeof target, "/v1/accounts/%s", x.b_text);
    req(&x, "GET", target, NULL, cookie, NULL, &r);
    want(&r, 403, "address", "another account with the cookie");
    gwtest_resp_clear(&r);
    snprintf(target, sizeof target, "/v1/owners/%s/earnings", x.a_text);
    req(&x, "GET", target, NULL, cookie, NULL, &r);
    want(&r, 200, NULL, "own earnings with the cookie");
    gwtest_resp_clear(&r);
    req(&x, "GET", target, NULL, NULL, NULL, &r);
    want(&r, 401, NULL, "own earnings without a cookie");
    gwtest_resp_clear(&r);
    snprintf(target, sizeof target, "/v1/owners/%s/earnings", x.b_text);
    req(&x, "GET", target, NULL, cookie, NULL, &r);
    want(&r, 403, "address", "another's earnings with the cookie");
    gwtest_resp_clear(&r);

    /* Signature headers decide, and the cookie is then ignored. */
    {
        struct gwtest_sig s = {.extra = cookie};
        snprintf(target, sizeof target, "/v1/accounts/%s", x.a_text);
        gwtest_signed(&x.t, &x.b, "GET", target, NULL, &s, &r);
        want(&r, 403, "address", "A's cookie, B's signature, A's account");
        gwtest_resp_clear(&r);
        s = (struct gwtest_sig){.extra = cookie};
        snprintf(target, sizeof target, "/v1/accounts/%s", x.b_text);
        gwtest_signed(&x.t, &x.b, "GET", target, NULL, &s, &r);
        want(&r, 200, NULL, "A's cookie, B's signature, B's account");
        gwtest_resp_clear(&r);
        s = (struct gwtest_sig){.extra = cookie, .high_s = 1};
        snprintf(target, sizeof target, "/v1/accounts/%s", x.a_text);
        gwtest_signed(&x.t, &x.a, "GET", target, NULL, &s, &r);
        want(&r, 401, "X-Sluice-Signature",
             "A's cookie, a bad signature of A, A's account");
        gwtest_resp_clear(&r);
    }

    /* Sign out: 204, the cookie removed, the session gone; again: 204. */
    req(&x, "DELETE", "/v1/session", NULL, cookie, NULL, &r);
    want(&r, 204, NULL, "sign out");
    assert_non_null(gwtest_header(&r, "Set-Cookie", set, sizeof set));
    assert_non_null(strstr(set, SESSION_COOKIE "=;"));
    assert_non_null(strstr(set, "Max-Age=0"));
    gwtest_resp_clear(&r);
    req(&x, "GET", "/v1/session", NULL, cookie, NULL, &r);
    want(&r, 401, SESSION_COOKIE, "after sign out");
    gwtest_resp_clear(&r);
    snprintf(target, sizeof target, "/v1/accounts/%s", x.a_text);
    req(&x, "GET", target, NULL, cookie, NULL, &r);
    want(&r, 401, NULL, "account after sign out");
    gwtest_resp_clear(&r);
    req(&x, "DELETE", "/v1/session", NULL, cookie, NULL, &r);
    want(&r, 204, NULL, "sign out twice");
    gwtest_resp_clear(&r);
    stop(&x);
}

/* A cookie authorises no change of state: every signed route refuses a
 * request that carries only a live cookie. */
static void test_cookie_changes_nothing(void **state)
{
    static const struct {
        const char *method;
        const char *target;
        const char *body;
    } writes[] = {
        {"POST", "/v1/datasets", "{\"name\":\"x\",\"format\":\"csv\"}"},
        {"PUT", "/v1/datasets/0x1111111111111111111111111111111111111111111"
                "111111111111111111111/price",
         "{\"kind\":\"pass\",\"unit_wei\":\"1\",\"price\":\"1\","
         "\"duration_s\":60}"},
        {"POST", "/v1/datasets/0x11111111111111111111111111111111111111111"
                 "11111111111111111111111/publish", "{}"},
        {"PUT", "/v1/datasets/0x111111111111111111111111111111111111111111"
                "1111111111111111111111/parts/1", "a,b\n1,2\n"},
        {"DELETE", "/v1/datasets/0x1111111111111111111111111111111111111111"
                   "111111111111111111111111", NULL},
        {"POST", "/v1/datasets/0x11111111111111111111111111111111111111111"
                 "11111111111111111111111/queries", "{\"all\":true}"},
        {"GET", "/v1/datasets/0x1111111111111111111111111111111111111111111"
                "111111111111111111111/parts", NULL},
    };
    struct fx x;
    char cookie[256];
    struct gwtest_resp r;
    size_t i;

    (void)state;
    start(&x);
    sign_in(&x, &x.a, 3600, cookie, sizeof cookie);
    for (i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        char what[160];
        snprintf(what, sizeof what, "%s %.60s with only a cookie",
                 writes[i].method, writes[i].target);
        req(&x, writes[i].method, writes[i].target, NULL, cookie,
            writes[i].body, &r);
        want(&r, 401, NULL, what);
        gwtest_resp_clear(&r);
    }
    stop(&x);
}

/* One refusal of POST /v1/session: what to change, and what comes back. */
struct refusal {
    const char *what;
    void (*edit)(struct msg *m, struct fx *x, char *buf);
    const char *host;     /* the request's Host (NULL: the usual) */
    const char *extra;    /* more header lines */
    int sig;              /* 0 real, 1 other key, 2 high-s, 3 garbage, 4 v-27 */
    int status;
    const char *field;
};

static void e_none(struct msg *m, struct fx *x, char *b)
{
    (void)m, (void)x, (void)b;
}
static void e_other_host(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->domain = "evil.example";
}
static void e_no_port(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->domain = "127.0.0.1";
}
static void e_forwarded(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->domain = "evil.example";
    m->uri = "http://evil.example/";
}
static void e_upper_domain(struct msg *m, struct fx *x, char *b)
{
    static char uri[128];

    snprintf(b, 128, "LOCALHOST:%u", (unsigned)x->t.port);
    snprintf(uri, sizeof uri, "http://LocalHost:%u/", (unsigned)x->t.port);
    m->domain = b;
    m->uri = uri;
}
static void e_scheme_https(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->prefix = "https://";
}
static void e_scheme_http(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->prefix = "http://";
}
static void e_uri_https(struct msg *m, struct fx *x, char *b)
{
    snprintf(b, 128, "https://%s/", x->host);
    m->uri = b;
}
static void e_uri_host(struct msg *m, struct fx *x, char *b)
{
    (void)x;
    snprintf(b, 128, "http://127.0.0.2:%u/", (unsigned)x->t.port);
    m->uri = b;
}
static void e_uri_path(struct msg *m, struct fx *x, char *b)
{
    snprintf(b, 128, "http://%s/account/me?tab=usage#top", x->host);
    m->uri = b;
}
static void e_uri_urn(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->uri = "urn:sluice:signin";
}
static void e_version(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->version = "2";
}
static void e_chain(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->chain_id = "1";
}
static void e_no_exp(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->expiration[0] = '\0';
}
static void e_expired(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    rfc3339(m->expiration, sizeof m->expiration, (int64_t)time(NULL) - 1);
}
static void e_exp_far(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    rfc3339(m->expiration, sizeof m->expiration,
            (int64_t)time(NULL) + 86400 + 60);
}
static void e_exp_day(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    rfc3339(m->expiration, sizeof m->expiration,
            (int64_t)time(NULL) + 86400 - 60);
}
static void e_exp_fraction(struct msg *m, struct fx *x, char *b)
{
    char t[40];

    (void)x, (void)b;
    rfc3339(t, sizeof t, (int64_t)time(NULL) + 600);
    snprintf(m->expiration, sizeof m->expiration, "%.19s.123456+00:00", t);
    rfc3339(t, sizeof t, (int64_t)time(NULL) - 5);
    snprintf(m->issued_at, sizeof m->issued_at, "%.19s.5Z", t);
}
static void e_issued_future(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    rfc3339(m->issued_at, sizeof m->issued_at, (int64_t)time(NULL) + 600);
}
static void e_issued_skew(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    rfc3339(m->issued_at, sizeof m->issued_at, (int64_t)time(NULL) + 120);
}
static void e_nbf_future(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    rfc3339(m->not_before, sizeof m->not_before, (int64_t)time(NULL) + 600);
}
static void e_nbf_past(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    rfc3339(m->not_before, sizeof m->not_before, (int64_t)time(NULL) - 10);
}
static void e_lower_address(struct msg *m, struct fx *x, char *b)
{
    size_t i;

    (void)x;
    for (i = 0; m->address[i] != '\0'; i++)
        b[i] = (char)(m->address[i] >= 'A' && m->address[i] <= 'F'
                          ? m->address[i] + 32
                          : m->address[i]);
    b[i] = '\0';
    m->address = b;
}
static void e_no_statement(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->statement = NULL;
}
static void e_resources(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->tail = "\nRequest ID: 42\nResources:\n- https://example.com/terms";
}
static void e_unknown_nonce(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->nonce = "Zz0123456789Zz0123456789Zz012345";
}
static void e_trailing_lf(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    m->tail = "\n";
}
static void e_bad_time(struct msg *m, struct fx *x, char *b)
{
    (void)x, (void)b;
    snprintf(m->expiration, sizeof m->expiration, "tomorrow");
}
static void e_bad_address(struct msg *m, struct fx *x, char *b)
{
    (void)x;
    size_t i;

    /* One letter's case flipped: still mixed case, the checksum broken. */
    snprintf(b, 128, "%s", m->address);
    for (i = 2; b[i] != '\0'; i++)
        if ((b[i] >= 'a' && b[i] <= 'f') || (b[i] >= 'A' && b[i] <= 'F')) {
            b[i] ^= 0x20;
            break;
        }
    m->address = b;
}

static const struct refusal refusals[] = {
    {"valid", e_none, NULL, NULL, 0, 200, NULL},
    {"another domain", e_other_host, NULL, NULL, 0, 401, "domain"},
    {"domain without the port", e_no_port, NULL, NULL, 0, 401, "domain"},
    {"a forwarded host is not ours", e_forwarded, NULL,
     "X-Forwarded-Host: evil.example\r\nForwarded: host=evil.example\r\n", 0,
     401, "domain"},
    {"Host in another case", e_upper_domain, "localhost:PORT", NULL, 0, 200,
     NULL},
    {"https:// before the domain", e_scheme_https, NULL, NULL, 0, 401,
     "scheme"},
    {"http:// before the domain", e_scheme_http, NULL, NULL, 0, 200, NULL},
    {"URI https", e_uri_https, NULL, NULL, 0, 401, "uri"},
    {"URI of another host", e_uri_host, NULL, NULL, 0, 401, "uri"},
    {"URI with a path", e_uri_path, NULL, NULL, 0, 200, NULL},
    {"URI without authority", e_uri_urn, NULL, NULL, 0, 401, "uri"},
    {"version 2", e_version, NULL, NULL, 0, 401, "version"},
    {"another chain", e_chain, NULL, NULL, 0, 401, "chain_id"},
    {"no expiration", e_no_exp, NULL, NULL, 0, 401, "expiration_time"},
    {"expired", e_expired, NULL, NULL, 0, 401, "expiration_time"},
    {"expires beyond 24 h", e_exp_far, NULL, NULL, 0, 401, "expiration_time"},
    {"expires within 24 h", e_exp_day, NULL, NULL, 0, 200, NULL},
    {"fractional seconds", e_exp_fraction, NULL, NULL, 0, 200, NULL},
    {"issued in the future", e_issued_future, NULL, NULL, 0, 401,
     "issued_at"},
    {"issued 2 minutes ahead", e_issued_skew, NULL, NULL, 0, 200, NULL},
    {"not before in the future", e_nbf_future, NULL, NULL, 0, 401,
     "not_before"},
    {"not before in the past", e_nbf_past, NULL, NULL, 0, 200, NULL},
    {"address in lower case", e_lower_address, NULL, NULL, 0, 200, NULL},
    {"no statement", e_no_statement, NULL, NULL, 0, 200, NULL},
    {"request id and resources", e_resources, NULL, NULL, 0, 200, NULL},
    {"signed by another key", e_none, NULL, NULL, 1, 401, "address"},
    {"high-s signature", e_none, NULL, NULL, 2, 401, "signature"},
    {"malformed signature", e_none, NULL, NULL, 3, 401, "signature"},
    {"v 0/1", e_none, NULL, NULL, 4, 200, NULL},
    {"unknown nonce", e_unknown_nonce, NULL, NULL, 0, 401, "nonce"},
    {"trailing line break", e_trailing_lf, NULL, NULL, 0, 400, "message"},
    {"bad expiration time", e_bad_time, NULL, NULL, 0, 400,
     "expiration_time"},
    {"bad checksum", e_bad_address, NULL, NULL, 0, 400, "address"},
};

/* n - s, big-endian, for the secp256k1 order n. */
static void negate_s(uint8_t s[32])
{
    static const uint8_t order[32] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
        0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
    int i, borrow = 0, d;

    for (i = 31; i >= 0; i--) {
        d = order[i] - s[i] - borrow;
        borrow = d < 0;
        s[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

/* Each refusal names its field, and its nonce is used up: the very
 * message, correct this time, is refused for the nonce. */
static void test_refusals(void **state)
{
    struct fx x;
    char nonce[SESSION_NONCE_LEN + 1], addr[ETHADDR_TEXT_SIZE], uri[128];
    char buf[128], sig[ETHSIG_TEXT_SIZE], host[64];
    uint8_t raw[ETHSIG_LEN];
    struct gwtest_resp r;
    struct msg m;
    char *text, *body;
    size_t i;

    (void)state;
    start(&x);
    for (i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const struct refusal *c = &refusals[i];

        get_nonce(&x, nonce);
        msg_init(&m, &x, &x.a, nonce, addr, uri);
        c->edit(&m, &x, buf);
        text = msg_text(&m);
        sign(sig, c->sig == 1 ? &x.b : &x.a, text);
        if (c->sig == 2 || c->sig == 4) {
            assert_int_equal(hex_decode_0x(raw, sizeof raw, sig, strlen(sig),
                                           "sig", NULL),
                             0);
            if (c->sig == 2) {
                negate_s(raw + 32);
                raw[64] = raw[64] == 27 ? 28 : 27;
            } else {
                raw[64] = (uint8_t)(raw[64] - 27);
            }
            ethsig_to_text(sig, raw);
        } else if (c->sig == 3) {
            snprintf(sig, sizeof sig, "0x1234");
        }
        body = body_of(text, sig);
        if (c->host != NULL)
            snprintf(host, sizeof host, "localhost:%u", (unsigned)x.t.port);
        post_session(&x, c->host ? host : NULL, c->extra, body, &r);
        want(&r, c->status, c->field, c->what);
        if (c->status != 200)
            assert_null(gwtest_header(&r, "Set-Cookie", buf, sizeof buf));
        gwtest_resp_clear(&r);
        free(body);
        free(text);
        /* The nonce is gone, whatever came of the attempt (one that named
         * another nonce leaves this one unused). */
        msg_init(&m, &x, &x.a, nonce, addr, uri);
        sign_in_msg(&x, &x.a, &m, &r);
        if (c->edit == e_unknown_nonce)
            want(&r, 200, NULL, c->what);
        else
            want(&r, 401, "nonce", c->what);
        gwtest_resp_clear(&r);
    }
    stop(&x);
}

/* What is not a sign-in at all: not JSON, members missing or unknown,
 * another Content-Type, a message in CR LF. */
static void test_bodies(void **state)
{
    struct fx x;
    char nonce[SESSION_NONCE_LEN + 1], addr[ETHADDR_TEXT_SIZE], uri[128];
    char sig[ETHSIG_TEXT_SIZE], *text, *body, *p;
    struct gwtest_resp r;
    struct msg m;
    size_t n, k;

    (void)state;
    start(&x);
    get_nonce(&x, nonce);
    msg_init(&m, &x, &x.a, nonce, addr, uri);
    text = msg_text(&m);
    sign(sig, &x.a, text);
    body = body_of(text, sig);
    req(&x, "POST", "/v1/session", NULL, "Content-Type: text/plain\r\n", body,
        &r);
    want(&r, 400, "Content-Type", "text/plain");
    gwtest_resp_clear(&r);
    req(&x, "POST", "/v1/session", NULL, NULL, body, &r);
    want(&r, 400, "Content-Type", "no Content-Type");
    gwtest_resp_clear(&r);
    req(&x, "POST", "/v1/session", NULL,
        "Content-Type: application/x-www-form-urlencoded\r\n", body, &r);
    want(&r, 400, "Content-Type", "a form");
    gwtest_resp_clear(&r);
    post_session(&x, NULL, NULL, "{\"message\":\"x\"}", &r);
    want(&r, 400, "signature", "no signature");
    gwtest_resp_clear(&r);
    post_session(&x, NULL, NULL, "{\"signature\":\"0x\"}", &r);
    want(&r, 400, "message", "no message");
    gwtest_resp_clear(&r);
    post_session(&x, NULL, NULL,
                 "{\"message\":\"x\",\"signature\":\"0x\",\"extra\":1}", &r);
    want(&r, 400, "extra", "an unknown member");
    gwtest_resp_clear(&r);
    post_session(&x, NULL, NULL, "[1]", &r);
    want(&r, 400, "body", "not an object");
    gwtest_resp_clear(&r);
    /* The valid body, with a charset: the nonce is still unused. */
    req(&x, "POST", "/v1/session", NULL,
        "Content-Type: Application/JSON; charset=utf-8\r\n", body, &r);
    want(&r, 200, NULL, "application/json with a charset");
    gwtest_resp_clear(&r);
    free(body);
    free(text);

    /* CR LF line ends: 400, and the nonce it names is used up. */
    get_nonce(&x, nonce);
    msg_init(&m, &x, &x.a, nonce, addr, uri);
    text = msg_text(&m);
    n = strlen(text);
    p = malloc(2 * n + 1);
    for (k = 0, n = 0; text[k] != '\0'; k++) {
        if (text[k] == '\n')
            p[n++] = '\r';
        p[n++] = text[k];
    }
    p[n] = '\0';
    sign(sig, &x.a, p);
    body = body_of(p, sig);
    post_session(&x, NULL, NULL, body, &r);
    want(&r, 400, "message", "CR LF");
    gwtest_resp_clear(&r);
    free(body);
    free(p);
    sign(sig, &x.a, text);
    body = body_of(text, sig);
    post_session(&x, NULL, NULL, body, &r);
    want(&r, 401, "nonce", "after a message that did not parse");
    gwtest_resp_clear(&r);
    free(body);
    free(text);
    stop(&x);
}

struct aged {
    char nonce[SESSION_NONCE_LEN + 1];
    int64_t when;
};

static void issue_at(struct gateway *gw, void *arg)
{
    struct aged *a = arg;
    struct fault f;

    if (session_nonce_new(gw->sessions, a->nonce, a->when, &f) < 0)
        a->nonce[0] = '\0';
}

/* A nonce lives five minutes; at most max_session_nonces are out. */
static void test_nonce_life(void **state)
{
    struct fx x;
    struct aged old = {{0}, 0};
    char n1[SESSION_NONCE_LEN + 1], n2[SESSION_NONCE_LEN + 1];
    char n3[SESSION_NONCE_LEN + 1], addr[ETHADDR_TEXT_SIZE], uri[128];
    struct gwtest_resp r;
    struct msg m;

    (void)state;
    next_max_nonces = 2;
    start(&x);
    old.when = (int64_t)time(NULL) - SESSION_NONCE_TTL_S - 1;
    gwtest_on_loop(&x.t, issue_at, &old);
    assert_int_equal(strlen(old.nonce), SESSION_NONCE_LEN);
    msg_init(&m, &x, &x.a, old.nonce, addr, uri);
    sign_in_msg(&x, &x.a, &m, &r);
    want(&r, 401, "nonce", "a nonce of 5 minutes and a second ago");
    gwtest_resp_clear(&r);
    old.when = (int64_t)time(NULL) - SESSION_NONCE_TTL_S + 30;
    gwtest_on_loop(&x.t, issue_at, &old);
    msg_init(&m, &x, &x.a, old.nonce, addr, uri);
    sign_in_msg(&x, &x.a, &m, &r);
    want(&r, 200, NULL, "a nonce of 4.5 minutes ago");
    gwtest_resp_clear(&r);
    /* Three nonces, room for two: the first is gone. */
    get_nonce(&x, n1);
    get_nonce(&x, n2);
    get_nonce(&x, n3);
    msg_init(&m, &x, &x.a, n1, addr, uri);
    sign_in_msg(&x, &x.a, &m, &r);
    want(&r, 401, "nonce", "the oldest of three, with room for two");
    gwtest_resp_clear(&r);
    msg_init(&m, &x, &x.a, n3, addr, uri);
    sign_in_msg(&x, &x.a, &m, &r);
    want(&r, 200, NULL, "the newest");
    gwtest_resp_clear(&r);
    msg_init(&m, &x, &x.b, n2, addr, uri);
    sign_in_msg(&x, &x.b, &m, &r);
    want(&r, 200, NULL, "the middle one");
    gwtest_resp_clear(&r);
    stop(&x);
}

/* A session ends at its Expiration Time; at most max_sessions live. */
static void test_session_life(void **state)
{
    struct fx x;
    char c1[256], c2[256], c3[256], target[128];
    struct gwtest_resp r;

    (void)state;
    next_max_sessions = 2;
    start(&x);
    sign_in(&x, &x.a, 2, c1, sizeof c1);
    req(&x, "GET", "/v1/session", NULL, c1, NULL, &r);
    want(&r, 200, NULL, "a session of 2 s");
    gwtest_resp_clear(&r);
    sign_in(&x, &x.a, 3600, c2, sizeof c2);
    sign_in(&x, &x.b, 3600, c3, sizeof c3);
    /* Room for two: the third ended the first. */
    req(&x, "GET", "/v1/session", NULL, c1, NULL, &r);
    want(&r, 401, SESSION_COOKIE, "the oldest of three");
    gwtest_resp_clear(&r);
    req(&x, "GET", "/v1/session", NULL, c2, NULL, &r);
    want(&r, 200, NULL, "the second");
    gwtest_resp_clear(&r);
    /* Expiry. */
    sign_in(&x, &x.a, 2, c1, sizeof c1);
    snprintf(target, sizeof target, "/v1/accounts/%s", x.a_text);
    req(&x, "GET", target, NULL, c1, NULL, &r);
    want(&r, 200, NULL, "before expiry");
    gwtest_resp_clear(&r);
    sleep(3);
    req(&x, "GET", "/v1/session", NULL, c1, NULL, &r);
    want(&r, 401, SESSION_COOKIE, "after expiry");
    gwtest_resp_clear(&r);
    req(&x, "GET", target, NULL, c1, NULL, &r);
    want(&r, 401, NULL, "account after expiry");
    gwtest_resp_clear(&r);
    req(&x, "GET", "/v1/session", NULL, c3, NULL, &r);
    want(&r, 200, NULL, "another session lives on");
    gwtest_resp_clear(&r);
    stop(&x);
}

/* A gateway that follows no chain has no chain id: no one signs in. */
static void test_no_chain(void **state)
{
    struct fx x;
    char nonce[SESSION_NONCE_LEN + 1], addr[ETHADDR_TEXT_SIZE], uri[128];
    struct gwtest_resp r;
    struct msg m;

    (void)state;
    next_rpc_url = "";
    start(&x);
    get_nonce(&x, nonce);
    msg_init(&m, &x, &x.a, nonce, addr, uri);
    sign_in_msg(&x, &x.a, &m, &r);
    want(&r, 401, "chain_id", "no chain");
    gwtest_resp_clear(&r);
    stop(&x);
}

/* Under TLS the URI is https and the cookie Secure. */
static void test_tls(void **state)
{
    struct fx x;
    char dir[512], cert[600], key[600], cmd[1400], cookie[256], set[512];
    char nonce[SESSION_NONCE_LEN + 1], addr[ETHADDR_TEXT_SIZE], uri[128];
    struct gwtest_resp r;
    struct msg m;
    char *tmp;

    (void)state;
    tmp = testutil_mkdtemp();
    snprintf(dir, sizeof dir, "%s", tmp);
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt "
             "ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s -days 1 "
             "-subj /CN=localhost >/dev/null 2>&1",
             key, cert);
    if (system(cmd) != 0) {
        testutil_rmtree(tmp);
        skip();
    }
    next_cert = cert;
    next_key = key;
    start(&x);
    get_nonce(&x, nonce);
    msg_init(&m, &x, &x.a, nonce, addr, uri);
    assert_memory_equal(uri, "https://", 8);
    sign_in_msg(&x, &x.a, &m, &r);
    want(&r, 200, NULL, "sign in over TLS");
    assert_non_null(gwtest_header(&r, "Set-Cookie", set, sizeof set));
    assert_non_null(strstr(set, "; Secure"));
    snprintf(cookie, sizeof cookie, "Cookie: %.*s\r\n",
             (int)(strchr(set, ';') - set), set);
    gwtest_resp_clear(&r);
    req(&x, "GET", "/v1/session", NULL, cookie, NULL, &r);
    want(&r, 200, NULL, "session over TLS");
    gwtest_resp_clear(&r);
    req(&x, "DELETE", "/v1/session", NULL, cookie, NULL, &r);
    want(&r, 204, NULL, "sign out over TLS");
    assert_non_null(gwtest_header(&r, "Set-Cookie", set, sizeof set));
    assert_non_null(strstr(set, "; Secure"));
    gwtest_resp_clear(&r);
    /* An http URI on an https gateway. */
    get_nonce(&x, nonce);
    msg_init(&m, &x, &x.a, nonce, addr, uri);
    snprintf(uri, sizeof uri, "http://%s/", x.host);
    sign_in_msg(&x, &x.a, &m, &r);
    want(&r, 401, "uri", "http URI under TLS");
    gwtest_resp_clear(&r);
    stop(&x);
    testutil_rmtree(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow),
        cmocka_unit_test(test_cookie_changes_nothing),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_nonce_life),
        cmocka_unit_test(test_session_life),
        cmocka_unit_test(test_no_chain),
        cmocka_unit_test(test_tls),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
