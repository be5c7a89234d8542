#include "tests/support/gwtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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
#include <event2/event.h>

#include "lib/hex.h"
#include "lib/random.h"
#include "lib/reqsig.h"
#include "tests/support/testutil.h"

static void *gwtest_loop(void *arg)
{
    struct gwtest *t = arg;

    if (gateway_run(t->gw) < 0)
        fprintf(stderr, "gwtest: the event loop failed\n");
    return NULL;
}

void gwtest_start(struct gwtest *t, void (*adjust)(struct gateway_options *))
{
    static char data_dir[4096];
    struct gateway_options *o = &t->opt;
    struct fault f;

    memset(t, 0, sizeof *t);
    t->dir = testutil_mkdtemp();
    snprintf(data_dir, sizeof data_dir, "%s/data", t->dir);
    o->listen_host = "127.0.0.1";
    o->listen_port = 0;
    o->data_dir = strdup(data_dir);
    o->max_header_bytes = 16384;
    o->max_json_body = 1 << 20;
    o->max_part_bytes = 8 << 20;
    o->max_body_memory = 32 << 20;
    o->max_connections = 256;
    o->max_connections_per_address = 256;
    o->read_timeout_s = 10;
    o->header_timeout_s = 10;
    o->idle_timeout_s = 30;
    o->request_deadline_s = 60;
    o->upload_deadline_s = 600;
    o->shutdown_grace_s = 5;
    o->publish_threads = 1;
    o->ingest_threads = 1;
    o->verify_threads = 1;
    o->chunk_bytes = 1 << 20;
    o->zlib_level = 1;
    o->preview_rows = 10;
    o->rpc_url = "";
    o->contract = "";
    o->confirmations = 1;
    o->poll_ms = 1000;
    o->max_log_range = 2000;
    o->max_sessions = 100000;
    o->max_session_nonces = 10000;
    if (adjust != NULL)
        adjust(o);
    if (gateway_start(&t->gw, o, &f) < 0)
        fail_msg("gwtest: gateway_start: %s", f.detail);
    t->port = t->gw->port;
    if (pthread_create(&t->loop, NULL, gwtest_loop, t) != 0)
        fail_msg("gwtest: pthread_create");
}

/* A function run on the loop's thread, and the wait for it. */
struct gwtest_call {
    void (*fn)(struct gateway *gw, void *arg);
    void *arg;
    struct gateway *gw;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

static void gwtest_on_call(evutil_socket_t fd, short what, void *arg)
{
    struct gwtest_call *call = arg;

    (void)fd;
    (void)what;
    call->fn(call->gw, call->arg);
    pthread_mutex_lock(&call->mu);
    call->done = 1;
    pthread_cond_signal(&call->cv);
    pthread_mutex_unlock(&call->mu);
}

void gwtest_on_loop(struct gwtest *t, void (*fn)(struct gateway *gw, void *arg),
                    void *arg)
{
    struct gwtest_call call = {fn, arg, t->gw, PTHREAD_MUTEX_INITIALIZER,
                               PTHREAD_COND_INITIALIZER, 0};
    struct timeval now = {0, 0};

    if (event_base_once(t->gw->base, -1, EV_TIMEOUT, gwtest_on_call, &call,
                        &now) < 0)
        fail_msg("gwtest: event_base_once");
    pthread_mutex_lock(&call.mu);
    while (!call.done)
        pthread_cond_wait(&call.cv, &call.mu);
    pthread_mutex_unlock(&call.mu);
    pthread_mutex_destroy(&call.mu);
    pthread_cond_destroy(&call.cv);
}

static void gwtest_on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    gateway_stop(arg);
}

void gwtest_stop(struct gwtest *t)
{
    struct timeval now = {0, 0};

    if (t->gw == NULL)
        return;
    /* gateway_stop runs on the loop's thread (libevent is thread-safe
     * here: gateway_start turned its pthreads support on). */
    if (event_base_once(t->gw->base, -1, EV_TIMEOUT, gwtest_on_stop, t->gw,
                        &now) < 0)
        fail_msg("gwtest: event_base_once");
    pthread_join(t->loop, NULL);
    gateway_free(t->gw);
    t->gw = NULL;
    free((char *)t->opt.data_dir);
    testutil_rmtree(t->dir);
    t->dir = NULL;
}

static int gwtest_connect(const struct gwtest *t)
{
    struct sockaddr_in sa;
    struct timeval tv = {10, 0};
    int s = socket(AF_INET, SOCK_STREAM, 0);

    if (s < 0)
        fail_msg("gwtest: socket");
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(t->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
        fail_msg("gwtest: connect to port %u", (unsigned)t->port);
    return s;
}

void gwtest_raw(struct gwtest *t, const char *raw, size_t len,
                int head_request, struct gwtest_resp *r)
{
    char *buf = NULL, *end, *cl;
    size_t have = 0, cap = 0, head_len, want = 0;
    ssize_t n;
    int s = gwtest_connect(t);

    memset(r, 0, sizeof *r);
    if (len > 0 && send(s, raw, len, MSG_NOSIGNAL) != (ssize_t)len)
        fail_msg("gwtest: send");
    for (;;) {
        if (have + 4096 + 1 > cap) {
            cap = (have + 4096 + 1) * 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                fail_msg("gwtest: out of memory");
        }
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            head_len = (size_t)(end - buf) + 4;
            r->head = strndup(buf, head_len);
            cl = strcasestr(r->head, "\r\nContent-Length:");
            want = head_request || cl == NULL
                       ? 0 : strtoull(cl + 17, NULL, 10);
            if (have - head_len >= want)
                break;
            free(r->head);
            r->head = NULL;
        }
        n = recv(s, buf + have, cap - have - 1, 0);
        if (n <= 0)
            fail_msg("gwtest: the connection ended before a whole answer "
                     "(%zu bytes: %.*s)", have, (int)(have < 200 ? have : 200),
                     buf ? buf : "");
        have += (size_t)n;
    }
    close(s);
    if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
        fail_msg("gwtest: no status line in %s", r->head);
    r->body = malloc(want + 1);
    memcpy(r->body, buf + head_len, want);
    r->body[want] = '\0';
    r->body_len = want;
    free(buf);
}

void gwtest_send(struct gwtest *t, const char *method, const char *target,
                 const char *body, const char *extra, struct gwtest_resp *r)
{
    size_t blen = body ? strlen(body) : 0;
    size_t cap = strlen(target) + (extra ? strlen(extra) : 0) + blen + 256;
    char *req = malloc(cap);
    int n;

    n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
                 "Content-Length: %zu\r\n\r\n", method, target,
                 extra ? extra : "", blen);
    memcpy(req + n, body ? body : "", blen);
    gwtest_raw(t, req, (size_t)n + blen, strcmp(method, "HEAD") == 0, r);
    free(req);
}

/* n - s for the secp256k1 order n, big-endian 32 bytes. */
static void gwtest_negate_s(uint8_t s[32])
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

void gwtest_signed(struct gwtest *t, const struct ethkey *k,
                   const char *method, const char *target, const char *body,
                   struct gwtest_sig *s, struct gwtest_resp *r)
{
    struct gwtest_sig none;
    char ts[24], nonce[130], sig[ETHSIG_TEXT_SIZE + 8], hdrs[2048];
    uint8_t raw[32], sb[65];
    char *msg = NULL;
    size_t mlen = 0, n = 0;
    struct fault f;

    if (s == NULL) {
        memset(&none, 0, sizeof none);
        s = &none;
    }
    snprintf(ts, sizeof ts, "%s",
             s->timestamp ? s->timestamp : "");
    if (s->timestamp == NULL)
        snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    if (s->nonce != NULL) {
        snprintf(nonce, sizeof nonce, "%s", s->nonce);
    } else {
        if (random_bytes(raw, 16, &f) < 0 ||
            hex_encode(nonce, sizeof nonce, raw, 16) < 0)
            fail_msg("gwtest: nonce");
    }
    snprintf(s->used_nonce, sizeof s->used_nonce, "%s", nonce);
    if (s->signature != NULL) {
        snprintf(sig, sizeof sig, "%s", s->signature);
    } else {
        const char *sb_text = s->sign_body ? s->sign_body : body;

        if (reqsig_message(&msg, &mlen, method, target, strlen(target),
                           (const uint8_t *)(sb_text ? sb_text : ""),
                           sb_text ? strlen(sb_text) : 0, ts, nonce, &f) < 0) {
            /* A timestamp or nonce no message can hold: any well-formed
             * signature will do, the gateway refuses before using it. */
            memset(sig, '1', 132);
            sig[0] = '0';
            sig[1] = 'x';
            sig[132] = '\0';
        } else if (reqsig_sign(sig, k, msg, mlen, &f) < 0) {
            fail_msg("gwtest: sign: %s", f.detail);
        }
        free(msg);
        if (s->high_s) {
            if (hex_decode_0x(sb, sizeof sb, sig, strlen(sig), "sig", &f) < 0)
                fail_msg("gwtest: %s", f.detail);
            gwtest_negate_s(sb + 32);
            sb[64] = sb[64] == 27 ? 28 : 27;
            ethsig_to_text(sig, sb);
        }
    }
    hdrs[0] = '\0';
#define GWTEST_ADD(name, value)                                              \
    do {                                                                     \
        if (s->omit == NULL || strcasecmp(s->omit, name) != 0)               \
            n += (size_t)snprintf(hdrs + n, sizeof hdrs - n, "%s: %s\r\n",   \
                                  name, value);                              \
    } while (0)
    GWTEST_ADD(REQSIG_HEADER_TIMESTAMP, ts);
    GWTEST_ADD(REQSIG_HEADER_NONCE, nonce);
    GWTEST_ADD(REQSIG_HEADER_SIGNATURE, sig);
#undef GWTEST_ADD
    if (s->extra != NULL)
        snprintf(hdrs + n, sizeof hdrs - n, "%s", s->extra);
    gwtest_send(t, method, target, body, hdrs, r);
}

const char *gwtest_header(const struct gwtest_resp *r, const char *name,
                          char *out, size_t cap)
{
    char pat[128];
    const char *p, *e;

    snprintf(pat, sizeof pat, "\r\n%s:", name);
    p = strcasestr(r->head, pat);
    if (p == NULL)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    e = strstr(p, "\r\n");
    snprintf(out, cap, "%.*s", (int)(e - p), p);
    return out;
}

void gwtest_resp_clear(struct gwtest_resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

void gwtest_key(struct ethkey *k, uint8_t seed)
{
    uint8_t secret[32];
    struct fault f;

    memset(secret, seed, sizeof secret);
    if (ethkey_from_secret(k, secret, &f) < 0)
        fail_msg("gwtest: key: %s", f.detail);
}
