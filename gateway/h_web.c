/* GET / and GET /<file>: the buyer's page, from the start-up allow-list,
 * with the headers webroot.h explains. */
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <string.h>

#include "gateway/reply.h"
#include "gateway/routes.h"
#include "gateway/webroot.h"

int h_web(struct gw_ctx *c)
{
    /* "/{file}" names it; a literal route ("/", "/favicon.ico") is its
     * own path. */
    const char *name = c->match.nparams ? c->match.params[0] : c->path + 1;
    struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
    const char *inm = evhttp_find_header(
        evhttp_request_get_input_headers(c->req), "If-None-Match");
    const struct webroot_file *wf = webroot_find(c->gw->web, name);
    struct evbuffer *body;

    if (wf == NULL)
        return fault_set(&c->fault, FAULT_NOT_FOUND, "path",
                         "no such resource: %s", c->path);
    evhttp_add_header(out, "Content-Type", wf->type);
    evhttp_add_header(out, "ETag", wf->etag);
    evhttp_add_header(out, "Cache-Control", WEBROOT_CACHE_CONTROL);
    evhttp_add_header(out, "Content-Security-Policy", WEBROOT_CSP);
    evhttp_add_header(out, "Referrer-Policy", WEBROOT_REFERRER_POLICY);
    evhttp_add_header(out, "X-Frame-Options", "DENY");
    if (webroot_etag_match(inm, wf->etag)) {
        reply_send(c->req, 304, NULL, NULL);
        c->status = 304;
        return 0;
    }
    body = evbuffer_new();
    if (body == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    /* The file lives as long as the server: no copy. */
    evbuffer_add_reference(body, wf->data, wf->len, NULL, NULL);
    c->bytes_out = reply_send(c->req, 200, NULL, body);
    evbuffer_free(body);
    c->status = 200;
    return 0;
}
