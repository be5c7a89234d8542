#include "tests/support/httpserve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTPSERVE_CONNS_MAX 256
#define HTTPSERVE_BODY_MAX ((size_t)8 << 20)

struct httpserve_conn {
    struct httpserve *s;
    int fd;
    pthread_t tid;
    int used;
    int done;  /* its thread has ended: join it and reuse the slot */
};

struct httpserve {
    int lfd;
    uint16_t port;
    pthread_t accept_tid;
    httpserve_fn fn;
    void *arg;
    pthread_mutex_t mu;      /* the handler runs under it */
    pthread_mutex_t conns_mu;
    struct httpserve_conn conns[HTTPSERVE_CONNS_MAX];
    unsigned open, max_open;
    int stopping;
};

static int httpserve_send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    ssize_t w;

    while (n > 0) {
        w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static const char *httpserve_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* Serve one connection until it closes. */
static void *httpserve_conn_main(void *arg)
{
    struct httpserve_conn *c = arg;
    struct httpserve *s = c->s;
    struct httpserve_req *req = calloc(1, sizeof *req);
    char *buf = malloc(65536), head[2048], *end, *p;
    uint8_t *body = NULL;
    size_t len = 0, cl, have, hlen;
    ssize_t n;

    if (req == NULL || buf == NULL)
        goto out;
    for (;;) {
        struct httpserve_resp resp;

        end = NULL;
        while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
            if (len >= 65535)
                goto out;
            n = recv(c->fd, buf + len, 65535 - len, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                goto out;
            len += (size_t)n;
        }
        hlen = (size_t)(end - buf) + 4;
        *end = '\0';
        memset(req, 0, sizeof *req);
        if (sscanf(buf, "%15s %4095s", req->method, req->target) != 2)
            goto out;
        p = strstr(buf, "\r\n");
        snprintf(req->head, sizeof req->head, "%s", p ? p + 2 : "");
        cl = 0;
        for (p = req->head; p != NULL && *p != '\0';) {
            if (strncasecmp(p, "Content-Length:", 15) == 0)
                cl = strtoul(p + 15, NULL, 10);
            p = strstr(p, "\r\n");
            if (p != NULL)
                p += 2;
        }
        if (cl > HTTPSERVE_BODY_MAX)
            goto out;
        body = malloc(cl + 1);
        if (body == NULL)
            goto out;
        have = len - hlen < cl ? len - hlen : cl;
        memcpy(body, buf + hlen, have);
        memmove(buf, buf + hlen + have, len - hlen - have);
        len -= hlen + have;
        while (have < cl) {
            n = recv(c->fd, body + have, cl - have, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                goto out;
            have += (size_t)n;
        }
        req->body = body;
        req->body_len = cl;
        memset(&resp, 0, sizeof resp);
        resp.status = 200;
        pthread_mutex_lock(&s->mu);
        s->fn(s->arg, req, &resp);
        pthread_mutex_unlock(&s->mu);
        free(body);
        body = NULL;
        snprintf(head, sizeof head,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: "
                 "%zu\r\n%s%s\r\n",
                 resp.status, httpserve_reason(resp.status),
                 resp.content_type ? resp.content_type : "application/json",
                 resp.body_len, resp.headers,
                 resp.close ? "Connection: close\r\n" : "");
        if (httpserve_send_all(c->fd, head, strlen(head)) < 0 ||
            (strcmp(req->method, "HEAD") != 0 &&
             httpserve_send_all(c->fd, resp.body, resp.body_len) < 0)) {
            free(resp.body);
            goto out;
        }
        free(resp.body);
        if (resp.close)
            goto out;
    }
out:
    free(body);
    free(buf);
    free(req);
    shutdown(c->fd, SHUT_RDWR);
    pthread_mutex_lock(&s->conns_mu);
    s->open--;
    c->done = 1;
    pthread_mutex_unlock(&s->conns_mu);
    return NULL;
}

static void *httpserve_accept_main(void *arg)
{
    struct httpserve *s = arg;
    struct httpserve_conn *c;
    size_t i;
    int fd;

    for (;;) {
        fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        pthread_mutex_lock(&s->conns_mu);
        if (s->stopping) {
            pthread_mutex_unlock(&s->conns_mu);
            close(fd);
            return NULL;
        }
        for (i = 0; i < HTTPSERVE_CONNS_MAX; i++) {
            if (s->conns[i].used && s->conns[i].done) {
                pthread_join(s->conns[i].tid, NULL);
                close(s->conns[i].fd);
                s->conns[i].used = 0;
            }
            if (!s->conns[i].used)
                break;
        }
        if (i == HTTPSERVE_CONNS_MAX) {
            pthread_mutex_unlock(&s->conns_mu);
            close(fd);
            continue;
        }
        c = &s->conns[i];
        c->used = 1;
        c->done = 0;
        c->s = s;
        c->fd = fd;
        s->open++;
        if (s->open > s->max_open)
            s->max_open = s->open;
        if (pthread_create(&c->tid, NULL, httpserve_conn_main, c) != 0) {
            c->used = 0;
            s->open--;
            close(fd);
        }
        pthread_mutex_unlock(&s->conns_mu);
    }
}

struct httpserve *httpserve_start(httpserve_fn fn, void *arg)
{
    struct httpserve *s = calloc(1, sizeof *s);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int one = 1;

    if (s == NULL)
        abort();
    s->fn = fn;
    s->arg = arg;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->conns_mu, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(s->lfd, 64) < 0 ||
        getsockname(s->lfd, (struct sockaddr *)&a, &alen) < 0) {
        fprintf(stderr, "httpserve: cannot listen: %s\n", strerror(errno));
        abort();
    }
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->accept_tid, NULL, httpserve_accept_main, s) != 0)
        abort();
    return s;
}

uint16_t httpserve_port(const struct httpserve *s)
{
    return s->port;
}

unsigned httpserve_max_open(const struct httpserve *s)
{
    return s->max_open;
}

void httpserve_stop(struct httpserve *s)
{
    size_t i;

    if (s == NULL)
        return;
    pthread_mutex_lock(&s->conns_mu);
    s->stopping = 1;
    pthread_mutex_unlock(&s->conns_mu);
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->accept_tid, NULL);
    close(s->lfd);
    for (i = 0; i < HTTPSERVE_CONNS_MAX; i++)
        if (s->conns[i].used)
            shutdown(s->conns[i].fd, SHUT_RDWR);
    for (i = 0; i < HTTPSERVE_CONNS_MAX; i++)
        if (s->conns[i].used) {
            pthread_join(s->conns[i].tid, NULL);
            close(s->conns[i].fd);
        }
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->conns_mu);
    free(s);
}

const char *httpserve_header(const struct httpserve_req *req,
                             const char *name, char *out, size_t cap)
{
    const char *p = req->head, *eol;
    size_t n = strlen(name), vlen;

    while (p != NULL && *p != '\0') {
        eol = strstr(p, "\r\n");
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            vlen = eol != NULL ? (size_t)(eol - v) : strlen(v);
            if (vlen >= cap)
                vlen = cap - 1;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return out;
        }
        p = eol != NULL ? eol + 2 : NULL;
    }
    return NULL;
}

void httpserve_text(struct httpserve_resp *resp, int status,
                    const char *content_type, const char *text)
{
    size_t n = strlen(text);

    resp->status = status;
    resp->content_type = content_type;
    free(resp->body);
    resp->body = malloc(n + 1);
    if (resp->body == NULL)
        abort();
    memcpy(resp->body, text, n + 1);
    resp->body_len = n;
}
