#include "gateway/reply.h"

#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stdio.h>

size_t reply_send(struct evhttp_request *req, int status, const char *reason,
                  struct evbuffer *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    size_t len = body != NULL ? evbuffer_get_length(body) : 0;
    char text[24];

    if (evhttp_find_header(h, "X-Content-Type-Options") == NULL)
        evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
        evhttp_send_reply(req, status, reason, body);
        return len;
    }
    /* 204 and 304 have no Content-Length to state (RFC 9110 8.6), and
     * a handler may have set one already (a ranged object). */
    if (status != 204 && status != 304 &&
        evhttp_find_header(h, "Content-Length") == NULL) {
        snprintf(text, sizeof text, "%zu", len);
        evhttp_add_header(h, "Content-Length", text);
    }
    if (body != NULL)
        evbuffer_drain(body, len);
    evhttp_send_reply(req, status, reason, NULL);
    return 0;
}
