#include "tests/support/httpstub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Read the head (up to the blank line) and then Content-Length bytes. */
static int httpstub_read_req(int fd, struct httpstub_req *r, int body)
{
    char buf[16384];
    size_t len = 0, cl = 0, have;
    char *end = NULL, *p;
    ssize_t n;

    while (end == NULL) {
        if (len + 1 >= sizeof buf)
            return -1;
        n = recv(fd, buf + len, 1, 0); /* byte by byte: leave the body */
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    *end = '\0';
    if (sscanf(buf, "%15s %2047s", r->method, r->target) != 2)
        return -1;
    p = strstr(buf, "\r\n");
    snprintf(r->head, sizeof r->head, "%s", p ? p + 2 : "");
    for (p = r->head; p != NULL && *p != '\0';) {
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            cl = strtoul(p + 15, NULL, 10);
        p = strstr(p, "\r\n");
        if (p != NULL)
            p += 2;
    }
    r->body = malloc(cl + 1);
    if (r->body == NULL)
        return -1;
    r->body_len = 0;
    if (!body)
        return 0;
    for (have = 0; have < cl; have += (size_t)n) {
        n = recv(fd, r->body + have, cl - have, 0);
        if (n <= 0)
            return -1;
    }
    r->body_len = cl;
    return 0;
}

static void *httpstub_main(void *arg)
{
    struct httpstub *s = arg;
    struct pollfd p;
    size_t step = 0;
    int fd = -1;

    while (step < s->nsteps) {
        const struct httpstub_step *st = &s->steps[step];
        struct httpstub_req *r = &s->reqs[s->nreqs];
        size_t off, len;
        if (fd < 0) {
            p.fd = s->lfd;
            p.events = POLLIN;
            if (poll(&p, 1, 5000) <= 0)
                break;
            fd = accept(s->lfd, NULL, NULL);
            if (fd < 0)
                break;
            s->accepts++;
        }
        memset(r, 0, sizeof *r);
        if (httpstub_read_req(fd, r, !st->no_read_body) < 0) {
            free(r->body);
            r->body = NULL;
            close(fd);
            fd = -1;
            continue; /* the client gave up on this connection */
        }
        r->conn = s->accepts;
        s->nreqs++;
        len = strlen(st->response);
        for (off = 0; off < len;) {
            ssize_t n = send(fd, st->response + off, len - off, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        if (st->close_after) {
            if (st->no_read_body) {
                /* Let the answer reach the client before the unread body
                 * turns the close into a reset. */
                shutdown(fd, SHUT_WR);
                usleep(200000);
            }
            close(fd);
            fd = -1;
        }
        step++;
    }
    if (fd >= 0) {
        /* Wait for the client to close, so it never sees a reset. */
        char b[256];
        p.fd = fd;
        p.events = POLLIN;
        while (poll(&p, 1, 2000) > 0 && recv(fd, b, sizeof b, 0) > 0)
            ;
        close(fd);
    }
    return NULL;
}

void httpstub_start(struct httpstub *s, const struct httpstub_step *steps,
                    size_t n)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int one = 1;

    memset(s, 0, sizeof *s);
    if (n > HTTPSTUB_STEPS_MAX)
        abort();
    s->steps = steps;
    s->nsteps = n;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->lfd < 0)
        abort();
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(s->lfd, 8) < 0 ||
        getsockname(s->lfd, (struct sockaddr *)&a, &al) < 0)
        abort();
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->thread, NULL, httpstub_main, s) != 0)
        abort();
}

void httpstub_wait(struct httpstub *s)
{
    pthread_join(s->thread, NULL);
}

void httpstub_free(struct httpstub *s)
{
    size_t i;

    close(s->lfd);
    for (i = 0; i < s->nreqs; i++)
        free(s->reqs[i].body);
    s->nreqs = 0;
}

const char *httpstub_header(const struct httpstub_req *req, const char *name,
                            char *out, size_t cap)
{
    const char *p = req->head;
    size_t nl = strlen(name);

    while (p != NULL && *p != '\0') {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1, *e;
            while (*v == ' ')
                v++;
            e = strstr(v, "\r\n");
            snprintf(out, cap, "%.*s", (int)(e ? (size_t)(e - v) : strlen(v)),
                     v);
            return out;
        }
        p = strstr(p, "\r\n");
        if (p != NULL)
            p += 2;
    }
    return NULL;
}
