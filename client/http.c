#include "client/http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/prefault.h"

#define HTTP_CHUNK_LINE_MAX 1024
#define HTTP_SEND_SLICE (64 * 1024)

/* ---- URLs ------------------------------------------------------------ */

int http_url_parse(struct http_url *out, const char *url, const char *field,
                   struct fault *f)
{
    const char *p, *host_end, *port_text = NULL, *path;
    size_t host_len, port_len = 0, plen;
    unsigned long port = 80;
    int bracketed = 0;
    char *end;

    memset(out, 0, sizeof *out);
    if (url == NULL || url[0] == '\0')
        return fault_set(f, FAULT_INVALID, field, "the gateway URL is empty");
    if (strncasecmp(url, "https://", 8) == 0)
        return fault_set(f, FAULT_INVALID, field,
                         "https:// gateways are not supported yet: this "
                         "sluice speaks plain HTTP only; give an http:// "
                         "URL (e.g. through an SSH tunnel or a local TLS "
                         "proxy)");
    if (strncasecmp(url, "http://", 7) != 0)
        return fault_set(f, FAULT_INVALID, field,
                         "the gateway URL '%.80s' must start with http://",
                         url);
    p = url + 7;
    if (strpbrk(p, "@?# \t\r\n") != NULL)
        return fault_set(f, FAULT_INVALID, field,
                         "the gateway URL '%.80s' may hold only a host, a "
                         "port and a path", url);
    if (p[0] == '[') {
        host_end = strchr(p, ']');
        if (host_end == NULL)
            return fault_set(f, FAULT_INVALID, field,
                             "the gateway URL '%.80s' has an unclosed '['",
                             url);
        p++;
        bracketed = 1;
        host_len = (size_t)(host_end - p);
        host_end++;
    } else {
        host_end = p + strcspn(p, ":/");
        host_len = (size_t)(host_end - p);
    }
    if (host_len == 0 || host_len >= sizeof out->host)
        return fault_set(f, FAULT_INVALID, field,
                         "the gateway URL '%.80s' has no host or too long a "
                         "one", url);
    if (host_end[0] == ':') {
        port_text = host_end + 1;
        port_len = strcspn(port_text, "/");
        path = port_text + port_len;
        if (port_len == 0 || port_len > 5 || port_text[0] < '0' ||
            port_text[0] > '9')
            goto bad_port;
        port = strtoul(port_text, &end, 10);
        if (end != path || port == 0 || port > 65535)
            goto bad_port;
    } else if (host_end[0] == '/' || host_end[0] == '\0') {
        path = host_end;
    } else {
        return fault_set(f, FAULT_INVALID, field,
                         "the gateway URL '%.80s' is malformed after the "
                         "host", url);
    }
    plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    if (plen >= sizeof out->prefix)
        return fault_set(f, FAULT_INVALID, field,
                         "the gateway URL's path is too long");
    memcpy(out->host, p, host_len);
    out->host[host_len] = '\0';
    snprintf(out->port, sizeof out->port, "%lu", port);
    memcpy(out->prefix, path, plen);
    out->prefix[plen] = '\0';
    if (port == 80)
        snprintf(out->authority, sizeof out->authority, "%s%s%s",
                 bracketed ? "[" : "", out->host, bracketed ? "]" : "");
    else
        snprintf(out->authority, sizeof out->authority, "%s%s%s:%lu",
                 bracketed ? "[" : "", out->host, bracketed ? "]" : "", port);
    return 0;
bad_port:
    memset(out, 0, sizeof *out);
    return fault_set(f, FAULT_INVALID, field,
                     "the gateway URL '%.80s' has a bad port (1 to 65535)",
                     url);
}

int http_query_escape(char *out, size_t cap, const char *text)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t n = strlen(out), i;
    size_t start = n;

    for (i = 0; text[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)text[i];
        int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
                    ch == '_' || ch == '~';
        if (n + (plain ? 1 : 3) >= cap) {
            out[start] = '\0';
            return -1;
        }
        if (plain) {
            out[n++] = (char)ch;
        } else {
            out[n++] = '%';
            out[n++] = digits[ch >> 4];
            out[n++] = digits[ch & 15];
        }
    }
    out[n] = '\0';
    return 0;
}

/* ---- reading --------------------------------------------------------- */

void http_conn_init(struct http_conn *conn, int fd, int timeout_ms)
{
    conn->fd = fd;
    conn->timeout_ms = timeout_ms;
    conn->pos = 0;
    conn->len = 0;
    conn->got = 0;
    conn->closed = 0;
}

static int64_t http_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events, at most timeout_ms. Returns 0, or -1
 * with f set (timeout or poll failure). */
static int http_wait(int fd, short events, int timeout_ms, const char *what,
                     struct fault *f)
{
    struct pollfd p;
    int64_t deadline = http_now_ms() + timeout_ms;
    int left, n;

    for (;;) {
        left = (int)(deadline - http_now_ms());
        if (left < 0)
            left = 0;
        p.fd = fd;
        p.events = events;
        p.revents = 0;
        n = poll(&p, 1, left);
        if (n > 0)
            return 0;
        if (n == 0)
            return fault_set(f, FAULT_UNAVAILABLE, NULL,
                             "the gateway did not answer in time (%s, %d s)",
                             what, timeout_ms / 1000);
        if (errno != EINTR)
            return fault_set(f, FAULT_UNAVAILABLE, NULL, "poll: %s",
                             strerror(errno));
    }
}

/* Receive at most cap bytes from the socket into dst, waiting up to the
 * timeout for some. Returns the count (> 0), 0 when the peer closed, or -1
 * with f set. */
static ssize_t http_recv(struct http_conn *conn, uint8_t *dst, size_t cap,
                         struct fault *f)
{
    ssize_t n;

    for (;;) {
        n = recv(conn->fd, dst, cap, MSG_DONTWAIT);
        if (n > 0) {
            conn->got += (uint64_t)n;
            return n;
        }
        if (n == 0) {
            conn->closed = 1;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (http_wait(conn->fd, POLLIN, conn->timeout_ms,
                          "reading the response", f) < 0)
                return -1;
            continue;
        }
        if (errno == ECONNRESET)
            conn->closed = 1;
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "the connection to the gateway failed: %s",
                         strerror(errno));
    }
}

/* Make sure conn has unread bytes. Returns 1, or 0 at the end of the
 * stream, or -1 with f set. */
static int http_fill(struct http_conn *conn, struct fault *f)
{
    ssize_t n;

    if (conn->pos < conn->len)
        return 1;
    conn->pos = 0;
    conn->len = 0;
    n = http_recv(conn, conn->buf, sizeof conn->buf, f);
    if (n <= 0)
        return (int)n;
    conn->len = (size_t)n;
    return 1;
}

/* Read one line (up to '\n', CR before it dropped) into out[0..cap),
 * charging its bytes to *budget. Returns 0, or -1 with f set (the end of
 * the stream, a line over cap or over the budget). */
static int http_read_line(struct http_conn *conn, char *out, size_t cap,
                          size_t *budget, const char *what, struct fault *f)
{
    size_t n = 0;
    int r;

    for (;;) {
        r = http_fill(conn, f);
        if (r < 0)
            return -1;
        if (r == 0)
            return fault_set(f, FAULT_UNAVAILABLE, NULL,
                             "the gateway closed the connection in the "
                             "middle of the %s", what);
        while (conn->pos < conn->len) {
            char ch = (char)conn->buf[conn->pos++];
            if (*budget == 0)
                return fault_set(f, FAULT_TOO_LARGE, NULL,
                                 "the gateway's %s is too large", what);
            (*budget)--;
            if (ch == '\n') {
                if (n > 0 && out[n - 1] == '\r')
                    n--;
                out[n] = '\0';
                return 0;
            }
            if (n + 1 >= cap)
                return fault_set(f, FAULT_TOO_LARGE, NULL,
                                 "a line of the gateway's %s is too long",
                                 what);
            out[n++] = ch;
        }
    }
}

/* Append up to want bytes of the stream to body (growing it, bounded by
 * max): exactly want when exact, else until the end of the stream.
 * Returns 0, or -1 with f set. */
static int http_read_body(struct http_conn *conn, uint8_t **body,
                          size_t *len, size_t *cap, uint64_t want, int exact,
                          size_t max, struct fault *f)
{
    uint64_t left = want;
    size_t take, need;
    uint8_t *nb;
    ssize_t n;
    int r;

    if (exact && want > max - *len)
        return fault_set(f, FAULT_TOO_LARGE, NULL,
                         "the gateway's response body is larger than %zu "
                         "bytes", max);
    /* A known length is room made once, not doubled into; with an
     * eighth to spare, so that a buffer kept for the next response
     * (http_client_keep_body) is not made again for one a little larger. */
    if (exact && *len + (size_t)want + 1 > *cap) {
        need = *len + (size_t)want + 1;
        if (need <= SIZE_MAX - need / 8)
            need += need / 8;
        nb = realloc(*body, need);
        if (nb == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        *body = nb;
        *cap = need;
        prefault(nb, need);
    }
    while (left > 0) {
        /* Nothing buffered and a large part to come: straight from the
         * socket into the body, without the copy through conn's buffer. */
        if (exact && conn->pos == conn->len && left >= sizeof conn->buf) {
            n = http_recv(conn, *body + *len, (size_t)left, f);
            if (n < 0)
                return -1;
            if (n == 0)
                return fault_set(f, FAULT_UNAVAILABLE, NULL,
                                 "the gateway closed the connection before "
                                 "the end of the response body");
            *len += (size_t)n;
            left -= (uint64_t)n;
            continue;
        }
        r = http_fill(conn, f);
        if (r < 0)
            return -1;
        if (r == 0) {
            if (exact)
                return fault_set(f, FAULT_UNAVAILABLE, NULL,
                                 "the gateway closed the connection before "
                                 "the end of the response body");
            return 0;
        }
        take = conn->len - conn->pos;
        if ((uint64_t)take > left)
            take = (size_t)left;
        if (take > max - *len)
            return fault_set(f, FAULT_TOO_LARGE, NULL,
                             "the gateway's response body is larger than "
                             "%zu bytes", max);
        need = *len + take + 1;
        if (need > *cap) {
            size_t ncap = *cap ? *cap : 4096;
            while (ncap < need)
                ncap *= 2;
            nb = realloc(*body, ncap);
            if (nb == NULL)
                return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            *body = nb;
            *cap = ncap;
        }
        memcpy(*body + *len, conn->buf + conn->pos, take);
        conn->pos += take;
        *len += take;
        left -= take;
    }
    return 0;
}

static int http_is_tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Does the comma-separated header value list hold token (any case)? */
static int http_list_has(const char *value, const char *token)
{
    size_t tl = strlen(token);
    const char *p = value;

    while (*p != '\0') {
        size_t n;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        n = strcspn(p, ",");
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == tl && strncasecmp(p, token, tl) == 0)
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

/* Parse a Content-Length value: digits only. Returns 0, or -1. */
static int http_parse_length(uint64_t *out, const char *v)
{
    uint64_t n = 0;

    if (v[0] == '\0')
        return -1;
    for (; *v != '\0'; v++) {
        if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (uint64_t)(*v - '0');
    }
    *out = n;
    return 0;
}

/* Read the status line and headers into out->head and parse them. */
static int http_read_head(struct http_response *out, struct http_conn *conn,
                          size_t max_head, struct fault *f)
{
    size_t budget = max_head, used = 0, n;
    char *line, *colon, *v, *e;
    int first = 1;

    out->head = malloc(max_head + 1);
    if (out->head == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    for (;;) {
        line = out->head + used;
        if (http_read_line(conn, line, max_head + 1 - used, &budget,
                           "response header", f) < 0)
            return -1;
        n = strlen(line);
        used += n + 1;
        if (first) {
            /* HTTP/1.x SSS reason */
            if (strncmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' ||
                line[7] > '9' || line[8] != ' ' || line[9] < '1' ||
                line[9] > '5' || line[10] < '0' || line[10] > '9' ||
                line[11] < '0' || line[11] > '9' ||
                (line[12] != ' ' && line[12] != '\0'))
                return fault_set(f, FAULT_CORRUPT, NULL,
                                 "the gateway's answer is not HTTP/1.x "
                                 "(status line '%.40s')", line);
            out->minor = line[7] - '0';
            out->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
                          (line[11] - '0');
            out->reason = line[12] == ' ' ? line + 13 : line + 12;
            first = 0;
            continue;
        }
        if (n == 0)
            return 0;
        if (line[0] == ' ' || line[0] == '\t')
            return fault_set(f, FAULT_CORRUPT, NULL,
                             "the gateway folded a header line");
        colon = strchr(line, ':');
        if (colon == NULL || colon == line)
            return fault_set(f, FAULT_CORRUPT, NULL,
                             "the gateway sent a malformed header line");
        for (e = line; e < colon; e++)
            if (!http_is_tchar(*e))
                return fault_set(f, FAULT_CORRUPT, NULL,
                                 "the gateway sent a malformed header name");
        if (out->nheaders >= HTTP_MAX_HEADERS)
            return fault_set(f, FAULT_TOO_LARGE, NULL,
                             "the gateway sent more than %d headers",
                             HTTP_MAX_HEADERS);
        *colon = '\0';
        v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        e = v + strlen(v);
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        out->names[out->nheaders] = line;
        out->values[out->nheaders] = v;
        out->nheaders++;
    }
}

/* Take the CRLF (or bare LF) that ends a chunk's data. */
static int http_read_eol(struct http_conn *conn, struct fault *f)
{
    int i, r;

    for (i = 0; i < 2; i++) {
        r = http_fill(conn, f);
        if (r < 0)
            return -1;
        if (r == 0)
            return fault_set(f, FAULT_UNAVAILABLE, NULL,
                             "the gateway closed the connection in the "
                             "middle of the chunked body");
        if (conn->buf[conn->pos] == '\n') {
            conn->pos++;
            return 0;
        }
        if (i > 0 || conn->buf[conn->pos] != '\r')
            break;
        conn->pos++;
    }
    return fault_set(f, FAULT_CORRUPT, NULL,
                     "a chunk of the gateway's answer does not end where its "
                     "size says");
}

/* Read a chunked body (RFC 9112 7.1), trailers skipped. */
static int http_read_chunked(struct http_response *out, struct http_conn *conn,
                             size_t *cap, size_t max_head, size_t max_body,
                             struct fault *f)
{
    char line[HTTP_CHUNK_LINE_MAX];
    size_t budget;
    uint64_t size;
    int digits;
    char *p;

    for (;;) {
        budget = sizeof line;
        if (http_read_line(conn, line, sizeof line, &budget, "chunked body",
                           f) < 0)
            return -1;
        size = 0;
        digits = 0;
        for (p = line; *p != '\0' && *p != ';' && *p != ' ' && *p != '\t';
             p++) {
            int d;
            if (*p >= '0' && *p <= '9')
                d = *p - '0';
            else if (*p >= 'a' && *p <= 'f')
                d = *p - 'a' + 10;
            else if (*p >= 'A' && *p <= 'F')
                d = *p - 'A' + 10;
            else
                return fault_set(f, FAULT_CORRUPT, NULL,
                                 "the gateway sent a bad chunk size");
            if (++digits > 15)
                return fault_set(f, FAULT_TOO_LARGE, NULL,
                                 "the gateway sent too large a chunk");
            size = size * 16 + (uint64_t)d;
        }
        if (digits == 0)
            return fault_set(f, FAULT_CORRUPT, NULL,
                             "the gateway sent a bad chunk size");
        if (size == 0)
            break;
        if (http_read_body(conn, &out->body, &out->body_len, cap, size, 1,
                           max_body, f) < 0)
            return -1;
        if (http_read_eol(conn, f) < 0)
            return -1;
    }
    /* Trailer fields, up to the empty line, within the header bound. */
    budget = max_head;
    do {
        if (http_read_line(conn, line, sizeof line, &budget, "trailer", f) < 0)
            return -1;
    } while (line[0] != '\0');
    return 0;
}

/* http_read_response, reading the body into *spare (of *spare_cap bytes;
 * taken over, *spare set to NULL) when it is not NULL. */
static int http_read_response_into(struct http_response *out,
                                   struct http_conn *conn, int no_body,
                                   size_t max_head, size_t max_body,
                                   uint8_t **spare, size_t *spare_cap,
                                   struct fault *f)
{
    const char *te, *conn_hdr;
    uint64_t length = 0;
    size_t cap = 0, i;
    int have_length = 0, rv = -1;

    memset(out, 0, sizeof *out);
    for (;;) {
        if (http_read_head(out, conn, max_head, f) < 0)
            goto done;
        if (out->status >= 200)
            break;
        if (out->status == 101) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the gateway switched protocols unasked");
            goto done;
        }
        /* An interim answer (100 Continue): the real one follows. */
        free(out->head);
        memset(out, 0, sizeof *out);
    }
    for (i = 0; i < out->nheaders; i++) {
        uint64_t v;
        if (strcasecmp(out->names[i], "Content-Length") != 0)
            continue;
        if (http_parse_length(&v, out->values[i]) < 0 ||
            (have_length && v != length)) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the gateway sent a bad Content-Length");
            goto done;
        }
        length = v;
        have_length = 1;
    }
    te = http_response_header(out, "Transfer-Encoding");
    conn_hdr = http_response_header(out, "Connection");
    out->keep_alive = out->minor >= 1;
    if (conn_hdr != NULL && http_list_has(conn_hdr, "close"))
        out->keep_alive = 0;
    if (conn_hdr != NULL && out->minor == 0 &&
        http_list_has(conn_hdr, "keep-alive"))
        out->keep_alive = 1;
    if (spare != NULL && *spare != NULL && *spare_cap > 0) {
        out->body = *spare;
        cap = *spare_cap;
        *spare = NULL;
        *spare_cap = 0;
    } else {
        out->body = malloc(1);
        if (out->body == NULL) {
            fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
        cap = 1;
    }
    if (no_body || out->status == 204 || out->status == 304) {
        /* No body, whatever the headers say. */
    } else if (te != NULL) {
        /* We ask for no coding, so chunked alone is all we take. */
        if (strcasecmp(te, "chunked") != 0) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the gateway used a transfer coding we did not ask "
                      "for (%.40s)", te);
            goto done;
        }
        /* A Content-Length beside it is ignored; the connection is not
         * trusted for another request. */
        if (have_length)
            out->keep_alive = 0;
        if (http_read_chunked(out, conn, &cap, max_head, max_body, f) < 0)
            goto done;
    } else if (have_length) {
        if (http_read_body(conn, &out->body, &out->body_len, &cap, length, 1,
                           max_body, f) < 0)
            goto done;
    } else {
        out->keep_alive = 0;
        if (http_read_body(conn, &out->body, &out->body_len, &cap, UINT64_MAX,
                           0, max_body, f) < 0)
            goto done;
    }
    out->body[out->body_len] = '\0';
    out->body_cap = cap;
    rv = 0;
done:
    if (rv < 0)
        http_response_clear(out);
    return rv;
}

int http_read_response(struct http_response *out, struct http_conn *conn,
                       int no_body, size_t max_head, size_t max_body,
                       struct fault *f)
{
    return http_read_response_into(out, conn, no_body, max_head, max_body,
                                   NULL, NULL, f);
}

const char *http_response_header(const struct http_response *r,
                                 const char *name)
{
    size_t i;

    for (i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    return NULL;
}

void http_response_clear(struct http_response *r)
{
    if (r == NULL)
        return;
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* ---- connecting and sending ----------------------------------------- */

void http_client_init(struct http_client *c, const struct http_url *url)
{
    memset(c, 0, sizeof *c);
    c->url = *url;
    c->connect_timeout_ms = 10000;
    c->max_head = HTTP_HEAD_MAX_DEFAULT;
    c->max_body = HTTP_BODY_MAX_DEFAULT;
    http_conn_init(&c->conn, -1, 60000);
}

void http_client_close(struct http_client *c)
{
    if (c->conn.fd >= 0)
        close(c->conn.fd);
    c->conn.fd = -1;
    c->conn.pos = c->conn.len = 0;
    c->requests_on_conn = 0;
}

void http_client_keep_body(struct http_client *c, struct http_response *r)
{
    if (r->body != NULL && r->body_cap > c->spare_cap) {
        free(c->spare);
        c->spare = r->body;
        c->spare_cap = r->body_cap;
        r->body = NULL;
    }
    http_response_clear(r);
}

void http_client_free(struct http_client *c)
{
    http_client_close(c);
    free(c->spare);
    c->spare = NULL;
    c->spare_cap = 0;
}

static int http_connect_one(const struct addrinfo *ai, int timeout_ms,
                            int *err)
{
    int fd, soerr = 0, one = 1;
    socklen_t sl = sizeof soerr;
    struct pollfd p;
    int n;

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                ai->ai_protocol);
    if (fd < 0) {
        *err = errno;
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            *err = errno;
            close(fd);
            return -1;
        }
        p.fd = fd;
        p.events = POLLOUT;
        p.revents = 0;
        do {
            n = poll(&p, 1, timeout_ms);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            *err = n == 0 ? ETIMEDOUT : errno;
            close(fd);
            return -1;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 ||
            soerr != 0) {
            *err = soerr ? soerr : errno;
            close(fd);
            return -1;
        }
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int http_connect(struct http_client *c, struct fault *f)
{
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, err = 0, g;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    /* An address given as digits needs no lookup. With AI_ADDRCONFIG,
     * glibc asks the kernel for the host's addresses over netlink on
     * every call, under a lock that the download threads, connecting at
     * once, would queue on. */
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    g = getaddrinfo(c->url.host, c->url.port, &hints, &res);
    if (g == EAI_NONAME) {
        hints.ai_flags = AI_ADDRCONFIG;
        g = getaddrinfo(c->url.host, c->url.port, &hints, &res);
    }
    if (g != 0)
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "cannot find the gateway host '%s': %s",
                         c->url.host, gai_strerror(g));
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
        fd = http_connect_one(ai, c->connect_timeout_ms, &err);
    freeaddrinfo(res);
    if (fd < 0)
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "cannot connect to the gateway at %s: %s",
                         c->url.authority, strerror(err));
    http_conn_init(&c->conn, fd, c->conn.timeout_ms);
    c->requests_on_conn = 0;
    c->connects++;
    return 0;
}

/* Send all of buf. Returns 0, or -1 with *err the errno (f set). */
static int http_send_all(struct http_conn *conn, const uint8_t *buf,
                         size_t len, int *err, struct fault *f)
{
    ssize_t n;

    *err = 0;
    while (len > 0) {
        n = send(conn->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (http_wait(conn->fd, POLLOUT, conn->timeout_ms,
                          "sending the request", f) < 0) {
                *err = ETIMEDOUT;
                return -1;
            }
            continue;
        }
        *err = n < 0 ? errno : EPIPE;
        return fault_set(f, FAULT_UNAVAILABLE, NULL,
                         "the connection to the gateway failed while "
                         "sending: %s", strerror(*err));
    }
    return 0;
}

/* Build the request head in *out (malloc'd). */
static int http_build_head(char **out, size_t *outlen,
                           const struct http_client *c, const char *method,
                           const char *target, const struct http_header *hdrs,
                           size_t nhdrs, size_t len, struct fault *f)
{
    size_t cap = 512 + strlen(target) + strlen(c->url.authority), n, i;
    int with_length = len > 0 || strcmp(method, "POST") == 0 ||
                      strcmp(method, "PUT") == 0 ||
                      strcmp(method, "PATCH") == 0;
    char *buf;
    int w;

    for (i = 0; i < nhdrs; i++)
        cap += strlen(hdrs[i].name) + strlen(hdrs[i].value) + 4;
    buf = malloc(cap);
    if (buf == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    w = snprintf(buf, cap,
                 "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sluice/1\r\n"
                 "Accept: application/json, application/problem+json\r\n",
                 method, target, c->url.authority);
    n = (size_t)w;
    for (i = 0; i < nhdrs; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s: %s\r\n", hdrs[i].name,
                              hdrs[i].value);
    if (with_length)
        n += (size_t)snprintf(buf + n, cap - n, "Content-Length: %zu\r\n",
                              len);
    n += (size_t)snprintf(buf + n, cap - n, "\r\n");
    *out = buf;
    *outlen = n;
    return 0;
}

int http_client_request(struct http_client *c, struct http_response *resp,
                        const char *method, const char *target,
                        const struct http_header *hdrs, size_t nhdrs,
                        const uint8_t *body, size_t len,
                        http_progress_fn progress, void *arg, struct fault *f)
{
    char *head = NULL;
    size_t head_len = 0, off, i;
    int attempt, reused, err = 0, rv = -1;
    struct fault sendf;

    memset(resp, 0, sizeof *resp);
    if (target == NULL || target[0] != '/' || method == NULL ||
        strpbrk(target, " \r\n") != NULL || (body == NULL && len > 0)) {
        fault_set(f, FAULT_INTERNAL, NULL, "http: bad request arguments");
        goto done;
    }
    for (i = 0; i < nhdrs; i++)
        if (strpbrk(hdrs[i].name, ": \r\n") != NULL ||
            strpbrk(hdrs[i].value, "\r\n") != NULL) {
            fault_set(f, FAULT_INTERNAL, NULL, "http: bad header");
            goto done;
        }
    if (http_build_head(&head, &head_len, c, method, target, hdrs, nhdrs, len,
                        f) < 0)
        goto done;
    for (attempt = 0; attempt < 2; attempt++) {
        reused = c->conn.fd >= 0 && c->requests_on_conn > 0;
        if (c->conn.fd < 0 && http_connect(c, f) < 0)
            goto done;
        c->conn.got = 0;
        c->conn.closed = 0;
        c->conn.pos = c->conn.len = 0;
        fault_clear(&sendf);
        if (http_send_all(&c->conn, (const uint8_t *)head, head_len, &err,
                          &sendf) == 0) {
            for (off = 0; off < len;) {
                size_t n = len - off > HTTP_SEND_SLICE ? HTTP_SEND_SLICE
                                                       : len - off;
                if (http_send_all(&c->conn, body + off, n, &err, &sendf) < 0)
                    break;
                off += n;
                if (progress != NULL)
                    progress(arg, off);
            }
        }
        if (sendf.kind != FAULT_NONE && err == ETIMEDOUT) {
            *f = sendf; /* it stopped reading: no answer is coming */
            goto done;
        }
        /* Even when sending failed, the gateway may have answered (a 413
         * before the body was read): try to read that answer. */
        if (http_read_response_into(resp, &c->conn,
                                    strcmp(method, "HEAD") == 0, c->max_head,
                                    c->max_body, &c->spare, &c->spare_cap,
                                    f) == 0) {
            c->requests_on_conn++;
            if (!resp->keep_alive || sendf.kind != FAULT_NONE)
                http_client_close(c);
            rv = 0;
            goto done;
        }
        http_client_close(c);
        if (sendf.kind != FAULT_NONE && c->conn.got == 0)
            *f = sendf;
        /* A kept-alive connection the server had closed before it read
         * this request: once more, on a new one. */
        if (!reused || c->conn.got != 0 ||
            !(c->conn.closed || err == EPIPE || err == ECONNRESET))
            goto done;
        fault_clear(f);
    }
done:
    free(head);
    if (rv < 0)
        http_client_close(c);
    return rv;
}
