/*
 * verify: request signatures checked on threads of their own (see
 * verify.h).
 */
#include "gateway/verify.h"

#include <stdlib.h>
#include <unistd.h>

#include "gateway/auth.h"
#include "gateway/offload.h"
#include "gateway/request.h"

/* How many threads check signatures: opt's, or one per online CPU. */
unsigned verify_threads(const struct gateway_options *opt)
{
    long n;

    if (opt->verify_threads > 0)
        return opt->verify_threads;
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* The signature check of c, on a verifier thread: touches c->check only
 * (request_on_close may meanwhile clear c->req, on the loop's thread). */
static void verify_work(void *arg)
{
    struct gw_ctx *c = arg;

    auth_check_run(c->check);
}

static void verify_free(struct gw_ctx *c)
{
    if (c->check != NULL) {
        auth_check_clear(c->check);
        free(c->check);
        c->check = NULL;
    }
    if (c->verify_ev != NULL) {
        event_free(c->verify_ev);
        c->verify_ev = NULL;
    }
}

/* Back on the loop's thread once c's signature is checked: go on with the
 * request, unless its client hung up meanwhile (then nothing was done and
 * nothing is sent). */
static void verify_on_verified(evutil_socket_t fd, short what, void *arg)
{
    struct gw_ctx *c = arg;
    struct evhttp_connection *conn;
    int rv;

    (void)fd;
    (void)what;
    if (c->req == NULL) {
        verify_free(c);
        request_finish(c);
        return;
    }
    conn = evhttp_request_get_connection(c->req);
    if (conn != NULL)
        evhttp_connection_set_closecb(conn, NULL, NULL);
    rv = auth_end(c, c->check);
    verify_free(c);
    if (rv < 0) {
        request_fail(c);
        request_finish(c);
        return;
    }
    c->verify_then(c);
}

/* Hand c's signature check to the verifier threads. Returns 0 (the loop
 * goes on; verify_on_verified continues c), or -1 with c->fault set. */
int verify_start(struct gw_ctx *c, void (*then)(struct gw_ctx *c))
{
    struct evhttp_connection *conn = evhttp_request_get_connection(c->req);

    c->verify_then = then;
    c->check = malloc(sizeof *c->check);
    if (c->check == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    if (auth_begin(c, c->check) < 0) {
        free(c->check);
        c->check = NULL;
        return -1;
    }
    c->verify_ev = event_new(c->gw->base, -1, 0, verify_on_verified, c);
    if (c->verify_ev == NULL) {
        verify_free(c);
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    }
    if (offload_submit(c->gw->verifiers, verify_work, c, c->verify_ev,
                       &c->fault) < 0) {
        verify_free(c);
        return -1;
    }
    if (conn != NULL)
        evhttp_connection_set_closecb(conn, request_on_close, c);
    return 0;
}
