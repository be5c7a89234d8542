#include "bench/bench_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench_http.h"
#include "bench/bench_util.h"

/* ---- the pool ------------------------------------------------------- */

void bench_pool_free(struct bench_pool *p)
{
    free(p->buf);
    free(p->off);
    free(p->len);
    memset(p, 0, sizeof *p);
}

int bench_pool_add(struct bench_pool *p, const char *text, size_t len,
                   struct fault *f)
{
    if (p->used + len > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : (size_t)1 << 20;
        char *b;
        while (cap < p->used + len)
            cap *= 2;
        b = realloc(p->buf, cap);
        if (b == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        p->buf = b;
        p->cap = cap;
    }
    if (p->n == p->cap_n) {
        size_t cap_n = p->cap_n ? p->cap_n * 2 : 1024;
        size_t *o = realloc(p->off, cap_n * sizeof *o);
        size_t *l;
        if (o == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        p->off = o;
        l = realloc(p->len, cap_n * sizeof *l);
        if (l == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        p->len = l;
        p->cap_n = cap_n;
    }
    memcpy(p->buf + p->used, text, len);
    p->off[p->n] = p->used;
    p->len[p->n] = len;
    p->used += len;
    p->n++;
    return 0;
}

/* ---- the load generator --------------------------------------------- */

struct bench_conn {
    int fd;
    size_t req;            /* pool index being sent */
    size_t sent;
    char head[8192];       /* the answer's head, up to its blank line */
    size_t hlen;
    long long need;        /* bytes of the answer still to read; -1: head */
    int status;
    int closing;           /* the answer said Connection: close */
    double t0;
};


static int bench_load_connect(uint16_t port, struct fault *f)
{
    struct sockaddr_in sa;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return fault_set(f, FAULT_IO, NULL, "socket: %s", strerror(errno));
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return fault_set(f, FAULT_IO, NULL, "connect: %s", strerror(e));
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        close(fd);
        return fault_set(f, FAULT_IO, NULL, "fcntl: %s", strerror(errno));
    }
    return fd;
}

/* Close c and connect it again, watched by ep as number idx. */
static int bench_load_reopen(int ep, struct bench_conn *c, uint32_t idx,
                             uint16_t port, struct fault *f)
{
    struct epoll_event ev;

    close(c->fd);
    c->closing = 0;
    c->fd = bench_load_connect(port, f);
    if (c->fd < 0)
        return -1;
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u32 = idx;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        int e = errno;
        close(c->fd);
        c->fd = -1;
        return fault_set(f, FAULT_IO, NULL, "epoll_ctl: %s", strerror(e));
    }
    return 0;
}

/* Give c its next request. Returns 1 when there is one, 0 when the pool
 * is used up. */
static int bench_load_next(struct bench_load *l, struct bench_conn *c)
{
    if (l->reuse) {
        c->req = 0;
    } else {
        if (l->next >= l->pool->n)
            return 0;
        c->req = l->next++;
    }
    c->sent = 0;
    c->hlen = 0;
    c->need = -1;
    c->status = 0;
    c->t0 = bench_now();
    return 1;
}

static int bench_load_send(const struct bench_load *l,
                           struct bench_conn *c)
{
    const char *p = l->pool->buf + l->pool->off[c->req];
    size_t len = l->pool->len[c->req];

    while (c->sent < len) {
        ssize_t w = send(c->fd, p + c->sent, len - c->sent, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (w < 0)
            return -1;
        c->sent += (size_t)w;
    }
    return 0;
}

/* Parse the head at c->head[0..c->hlen): status and Content-Length. */
static int bench_load_parse_head(struct bench_conn *c)
{
    const char *p;
    long long clen = -1;

    c->head[c->hlen] = '\0';
    if (sscanf(c->head, "HTTP/1.%*c %d", &c->status) != 1)
        return -1;
    for (p = strstr(c->head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, "Content-Length:", 15) == 0) {
            clen = strtoll(p + 17, NULL, 10);
            break;
        }
    }
    if (clen < 0)
        return -1;
    c->need = clen;
    for (p = strstr(c->head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, "Connection: close\r\n", 19) == 0)
            c->closing = 1;
    return 0;
}

/* Read what c has. Returns 1 when its answer is complete, 0 when more is
 * to come, -1 on a closed or broken connection. */
static int bench_load_read(struct bench_load *l, struct bench_conn *c,
                           char *buf, size_t cap)
{
    for (;;) {
        ssize_t r = recv(c->fd, buf, cap, 0);
        size_t i = 0;

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (r <= 0)
            return -1;
        l->bytes += (uint64_t)r;
        if (c->need < 0) {
            char *end;
            size_t before = c->hlen, take = (size_t)r;
            if (take > sizeof c->head - 1 - c->hlen)
                take = sizeof c->head - 1 - c->hlen;
            memcpy(c->head + c->hlen, buf, take);
            c->hlen += take;
            c->head[c->hlen] = '\0';
            end = strstr(c->head, "\r\n\r\n");
            if (end == NULL) {
                if (c->hlen == sizeof c->head - 1)
                    return -1;
                continue;
            }
            /* The body starts in this read right after the head's end:
             * what this read held past it (even beyond what fitted in
             * the head buffer) is body. */
            c->hlen = (size_t)(end + 4 - c->head);
            i = c->hlen - before;
            if (bench_load_parse_head(c) < 0)
                return -1;
            if (c->status != l->expect && l->last_status == 0) {
                size_t b = (size_t)r - i;
                if (b > sizeof l->last_body - 1)
                    b = sizeof l->last_body - 1;
                memcpy(l->last_body, buf + i, b);
                l->last_body[b] = '\0';
                l->last_status = c->status;
            }
        }
        c->need -= (long long)((size_t)r - i);
        if (c->need < 0)
            return -1; /* more than the answer: we never pipeline */
        if (c->need == 0)
            return 1;
    }
}

static void bench_load_latency(struct bench_load *l, double secs)
{
    size_t b = (size_t)(secs * 1e5);

    l->lat[b < BENCH_LAT_BUCKETS ? b : BENCH_LAT_BUCKETS]++;
}

double bench_load_percentile(const struct bench_load *l, double pct)
{
    uint64_t want = (uint64_t)((double)l->done * pct / 100.0), seen = 0;
    size_t b;

    for (b = 0; b <= BENCH_LAT_BUCKETS; b++) {
        seen += l->lat[b];
        if (seen > want)
            return (double)b / 100.0; /* ms */
    }
    return (double)BENCH_LAT_BUCKETS / 100.0;
}

/* Drive conns connections with the requests of l->pool for secs seconds
 * (or until the pool is used up). */
int bench_load_run(struct bench_load *l, uint16_t port, unsigned nconns,
                    double secs, struct fault *f)
{
    struct epoll_event evs[256];
    struct bench_conn *conns = NULL;
    char *buf = NULL;
    double end;
    unsigned i, active = 0;
    int ep = -1;
    int rv = -1;

    conns = calloc(nconns, sizeof *conns);
    buf = malloc(1 << 16);
    if (conns == NULL || buf == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    for (i = 0; i < nconns; i++)
        conns[i].fd = -1;
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        fault_set(f, FAULT_IO, NULL, "epoll: %s", strerror(errno));
        goto done;
    }
    for (i = 0; i < nconns; i++) {
        struct epoll_event ev;
        conns[i].fd = bench_load_connect(port, f);
        if (conns[i].fd < 0)
            goto done;
        ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
        ev.data.u32 = i;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) < 0) {
            fault_set(f, FAULT_IO, NULL, "epoll_ctl: %s", strerror(errno));
            goto done;
        }
    }
    l->started = bench_now();
    end = l->started + secs;
    for (i = 0; i < nconns; i++) {
        if (!bench_load_next(l, &conns[i]))
            break;
        if (bench_load_send(l, &conns[i]) < 0) {
            fault_set(f, FAULT_IO, NULL, "send: %s", strerror(errno));
            goto done;
        }
        active++;
    }
    while (active > 0) {
        double now = bench_now();
        int n, k, wait_ms;

        if (now >= end || bench_interrupted())
            break;
        wait_ms = (int)((end - now) * 1000) + 1;
        n = epoll_wait(ep, evs, 256, wait_ms > 100 ? 100 : wait_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fault_set(f, FAULT_IO, NULL, "epoll_wait: %s", strerror(errno));
            goto done;
        }
        for (k = 0; k < n; k++) {
            struct bench_conn *c = &conns[evs[k].data.u32];
            int r;

            if (c->fd < 0)
                continue;
            if (bench_load_send(l, c) < 0) {
                r = -1;
            } else if (c->sent < l->pool->len[c->req]) {
                continue;
            } else {
                r = bench_load_read(l, c, buf, 1 << 16);
            }
            if (r < 0) {
                /* The server closed or broke it: count, reconnect, and
                 * send the next request. */
                l->errors++;
                if (bench_load_reopen(ep, c, (uint32_t)(c - conns), port,
                                      f) < 0)
                    goto done;
                r = 1;
                c->status = -1;
            } else if (r == 1) {
                double t = bench_now();
                if (t > end)
                    break;
                l->done++;
                if (c->status != l->expect)
                    l->unexpected++;
                bench_load_latency(l, t - c->t0);
                l->ended = t;
                if (c->closing) {
                    /* Said so: not an error, but a new connection. */
                    l->closed++;
                    if (bench_load_reopen(ep, c, (uint32_t)(c - conns), port,
                                          f) < 0)
                        goto done;
                }
            }
            if (r == 1) {
                if (!bench_load_next(l, c)) {
                    active--;
                    l->exhausted = 1;
                    continue;
                }
                if (bench_load_send(l, c) < 0) {
                    fault_set(f, FAULT_IO, NULL, "send: %s",
                              strerror(errno));
                    goto done;
                }
            }
        }
    }
    if (bench_interrupted()) {
        fault_set(f, FAULT_IO, NULL, "interrupted");
        goto done;
    }
    if (!l->exhausted || l->ended <= l->started)
        l->ended = bench_now() < end ? bench_now() : end;
    rv = 0;
done:
    for (i = 0; conns != NULL && i < nconns; i++)
        if (conns[i].fd >= 0)
            close(conns[i].fd);
    if (ep >= 0)
        close(ep);
    free(conns);
    free(buf);
    return rv;
}

/* ---- the gateway's counters ----------------------------------------- */

int bench_metric(double *value, uint16_t port, const char *name,
                 struct fault *f)
{
    struct bench_http_reply r;
    size_t nl = strlen(name);
    const char *p;
    int rv = -1;

    *value = 0;
    if (bench_http_do(&r, port, "GET", "/metrics", NULL, NULL, 0, -1, 0, 10,
                      f) < 0)
        return -1;
    for (p = r.body; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, name, nl) == 0 && p[nl] == ' ') {
            *value = strtod(p + nl + 1, NULL);
            rv = 0;
            break;
        }
    }
    if (rv < 0)
        fault_set(f, FAULT_INTERNAL, NULL, "/metrics has no %s (status %d)",
                  name, r.status);
    bench_http_reply_clear(&r);
    return rv;
}

/* ---- the disk ------------------------------------------------------- */

double bench_fsync_probe(const char *dir)
{
    enum { N = 101 };
    char path[BENCH_PATH_MAX], block[4096];
    double v[N];
    struct fault f;
    int fd, i;

    if (bench_pathf(path, sizeof path, &f, "%s/fsync-probe", dir) < 0)
        return -1;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    memset(block, 'f', sizeof block);
    for (i = 0; i < N; i++) {
        double t0 = bench_now();
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block ||
            fdatasync(fd) < 0) {
            close(fd);
            unlink(path);
            return -1;
        }
        v[i] = (bench_now() - t0) * 1e6;
    }
    close(fd);
    unlink(path);
    return bench_median(v, N);
}
