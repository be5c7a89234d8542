/*
 * GET /v1/datasets/{id}/chunks: the public manifest of a data-set.
 * GET /v1/objects/{object_id}: an encrypted chunk object, straight from its
 * file to the socket (sendfile), with ETag, immutable caching, single byte
 * ranges and 304 on If-None-Match.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/datasets_view.h"
#include "gateway/problem.h"
#include "gateway/reply.h"
#include "gateway/routes.h"
#include "lib/log.h"

struct h_chunks_ctx {
    json_t *list;
};

static int h_chunks_one(void *arg, const struct catalog_chunk *ch,
                        struct fault *f)
{
    struct h_chunks_ctx *x = arg;
    json_t *e = datasets_view_chunk(ch);

    if (e == NULL || json_array_append_new(x->list, e) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    return 0;
}

int h_chunks(struct gw_ctx *c)
{
    struct catalog_dataset d;
    struct h_chunks_ctx x;

    if (datasets_view_load(c, &d, c->match.params[0], 0) < 0)
        return -1;
    if (d.state != CATALOG_PUBLISHED)
        return fault_set(&c->fault, FAULT_NOT_FOUND, "id",
                         "the data-set is not published");
    x.list = json_array();
    if (x.list == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    if (catalog_each_chunk(c->gw->store, d.id, h_chunks_one, &x,
                           &c->fault) < 0) {
        json_decref(x.list);
        return -1;
    }
    return gw_reply_json(c, 200, json_pack("{s:o}", "chunks", x.list), NULL);
}

/* Parse a single "bytes=" range against size. Returns 1 with *start and *len
 * set, 0 when the header should be ignored (absent, several ranges, not
 * bytes), -1 when it is unsatisfiable. */
static int h_object_range(const char *h, uint64_t size, uint64_t *start,
                          uint64_t *len)
{
    unsigned long long a, b;
    char *end;

    if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') != NULL)
        return 0;
    h += 6;
    if (*h == '-') { /* the last n bytes */
        if (h[1] < '0' || h[1] > '9')
            return 0;
        b = strtoull(h + 1, &end, 10);
        if (*end != '\0')
            return 0;
        if (b == 0 || size == 0)
            return -1;
        if (b > size)
            b = size;
        *start = size - b;
        *len = b;
        return 1;
    }
    if (*h < '0' || *h > '9')
        return 0;
    a = strtoull(h, &end, 10);
    if (*end != '-')
        return 0;
    if (end[1] == '\0') {
        b = size ? size - 1 : 0;
    } else {
        if (end[1] < '0' || end[1] > '9')
            return 0;
        b = strtoull(end + 1, &end, 10);
        if (*end != '\0')
            return 0;
        if (b < a)
            return 0; /* invalid: ignore, as RFC 9110 allows */
        if (b >= size)
            b = size - 1;
    }
    if (a >= size)
        return -1;
    *start = a;
    *len = b - a + 1;
    return 1;
}

/* If-None-Match holds our entity tag (or "*")? */
static int h_object_etag_matches(const char *inm, const char *etag)
{
    if (inm == NULL)
        return 0;
    return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
}

int h_object(struct gw_ctx *c)
{
    const char *id = c->match.params[0];
    struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
    struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
    struct evhttp_connection *conn;
    struct bufferevent *bev;
    struct evbuffer *body = NULL;
    char path[4300], etag[80], buf[128];
    uint64_t start = 0, len;
    struct stat st;
    int published, ranged, status = 200;
    int fd = -1;

    if (!objstore_id_valid(id))
        return fault_set(&c->fault, FAULT_INVALID, "object_id",
                         "object_id must be 64 lowercase hex digits");
    if (catalog_object_published(c->gw->store, &published, id,
                                 &c->fault) < 0)
        return -1;
    if (!published || objstore_path(c->gw->store->objects, path, sizeof path,
                                    id) < 0)
        return fault_set(&c->fault, FAULT_NOT_FOUND, "object_id",
                         "no such object");
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        log_error("object %s listed but not readable: %s", id,
                  strerror(errno));
        return fault_set(&c->fault, FAULT_CORRUPT, "object_id",
                         "object %s is missing from disk", id);
    }
    snprintf(etag, sizeof etag, "\"%.64s\"", id);
    evhttp_add_header(out, "ETag", etag);
    evhttp_add_header(out, "Cache-Control", "public, max-age=31536000, immutable");
    evhttp_add_header(out, "Accept-Ranges", "bytes");
    if (h_object_etag_matches(evhttp_find_header(in, "If-None-Match"), etag)) {
        close(fd);
        reply_send(c->req, 304, NULL, NULL);
        c->status = 304;
        return 0;
    }
    len = (uint64_t)st.st_size;
    ranged = h_object_range(evhttp_find_header(in, "Range"), len, &start, &len);
    /* If-Range with another tag: send the whole object. */
    if (ranged != 0 && evhttp_find_header(in, "If-Range") != NULL &&
        strcmp(evhttp_find_header(in, "If-Range"), etag) != 0) {
        ranged = 0;
        start = 0;
        len = (uint64_t)st.st_size;
    }
    if (ranged < 0) {
        close(fd);
        snprintf(buf, sizeof buf, "bytes */%lld", (long long)st.st_size);
        evhttp_add_header(out, "Content-Range", buf);
        c->status = problem_send_status(c->req, 416, "range-not-satisfiable",
                                        "Range not satisfiable",
                                        "the range starts past the end of "
                                        "the object");
        return 0;
    }
    if (ranged > 0) {
        status = 206;
        snprintf(buf, sizeof buf, "bytes %" PRIu64 "-%" PRIu64 "/%lld", start,
                 start + len - 1, (long long)st.st_size);
        evhttp_add_header(out, "Content-Range", buf);
    }
    evhttp_add_header(out, "Content-Type", "application/octet-stream");
    body = evbuffer_new();
    if (body == NULL) {
        close(fd);
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    }
    if (strcmp(c->method, "HEAD") == 0) {
        snprintf(buf, sizeof buf, "%" PRIu64, len);
        evhttp_add_header(out, "Content-Length", buf);
        close(fd);
    } else if (len == 0) {
        close(fd);
    } else {
        /* In plain HTTP both buffers drain to the socket: libevent then
         * keeps the file segment a sendfile chain (a body without the
         * flag is mapped and copied, at well under half nginx's rate).
         * TLS must read the bytes to encrypt them: no flag there. */
        conn = evhttp_request_get_connection(c->req);
        bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
        if (c->gw->tls_ctx == NULL && bev != NULL) {
            /* evhttp's bufferevent is the gate's filter (conns.h): the
             * bytes pass its output on to the socket's, untouched. */
            evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD);
            evbuffer_set_flags(bufferevent_get_output(bev),
                               EVBUFFER_FLAG_DRAINS_TO_FD);
            if (bufferevent_get_underlying(bev) != NULL)
                evbuffer_set_flags(
                    bufferevent_get_output(bufferevent_get_underlying(bev)),
                    EVBUFFER_FLAG_DRAINS_TO_FD);
        }
        if (evbuffer_add_file(body, fd, (ev_off_t)start, (ev_off_t)len) < 0) {
            close(fd);
            evbuffer_free(body);
            return fault_set(&c->fault, FAULT_IO, "object_id",
                             "object %s could not be read", id);
        }
        c->bytes_out = len;
    }
    reply_send(c->req, status, NULL, body);
    evbuffer_free(body);
    c->status = status;
    return 0;
}
