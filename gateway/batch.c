/*
 * batch: the group commit of signed requests that change state (see
 * batch.h).
 */
#include "gateway/batch.h"

#include <event2/http.h>

#include "gateway/metrics.h"
#include "gateway/request.h"
#include "pricing/ledger.h"

/* Queue c for the next group commit. The batch runs once the requests
 * that were ready in this turn of the loop have been read: its event is
 * made active now, behind theirs. */
void batch_add(struct gw_ctx *c)
{
    struct gateway *gw = c->gw;
    struct evhttp_connection *conn =
        c->req != NULL ? evhttp_request_get_connection(c->req) : NULL;

    if (conn != NULL)
        evhttp_connection_set_closecb(conn, request_on_close, c);
    c->batch_next = NULL;
    if (gw->batch_tail != NULL)
        gw->batch_tail->batch_next = c;
    else
        gw->batch_head = c;
    gw->batch_tail = c;
    if (gw->batch_len++ == 0)
        event_active(gw->batch_ev, 0, 0);
}

int gw_batch(struct gw_ctx *c, int (*then)(struct gw_ctx *c))
{
    c->batch_handler = then;
    batch_add(c);
    return GW_PENDING;
}

/* Run one queued request inside the batch's transaction. */
static void batch_one(struct gw_ctx *c)
{
    struct ledger *l = c->gw->ledger;
    struct fault f;
    int rc;

    /* A backend may end a unit of work by itself on some errors (SQLite on
     * a full disk, an I/O error): then a savepoint would open a unit of
     * its own and its release commit it. The batch is lost; run nothing
     * more. */
    if (!ledger_in_unit(l))
        c->gw->batch_broken = 1;
    if (c->gw->batch_broken || ledger_savepoint(l, &f) < 0) {
        /* Answered with the batch's failure in batch_run. */
        c->gw->batch_broken = 1;
        c->batched = 1;
        return;
    }
    c->batched = 1;
    c->in_tx = 1;
    rc = c->batch_handler != NULL ? c->batch_handler(c)
                                  : c->match.entry->handler(c);
    if (rc == GW_PENDING) {
        /* Not a batched route after all: it finishes on its own. */
        c->batched = 0;
        c->in_tx = 0;
    } else if (rc != 0 || !c->held) {
        if (rc == 0)
            fault_set(&c->fault, FAULT_INTERNAL, NULL,
                      "the handler did not answer");
        request_fail(c);
    }
    if (ledger_savepoint_release(l, &f) < 0)
        c->gw->batch_broken = 1;
    c->in_tx = 0;
}

/* The group commit: every request queued since the last one, in order,
 * each in its SAVEPOINT, then one COMMIT; the answers go out once it is
 * durable (a failed COMMIT loses every effect and nonce row of the batch:
 * each is then answered 5xx, which a retry may follow). */
void batch_run(evutil_socket_t fd, short what, void *arg)
{
    struct gateway *gw = arg;
    struct gw_ctx *list = gw->batch_head, *c, *next;
    struct evhttp_connection *conn;
    struct fault f;
    size_t n = gw->batch_len;
    int committed = 0;

    (void)fd;
    (void)what;
    gw->batch_head = gw->batch_tail = NULL;
    gw->batch_len = 0;
    gw->batch_broken = 0;
    if (ledger_begin(gw->ledger, &f) == 0) {
        for (c = list; c != NULL; c = c->batch_next)
            batch_one(c);
        if (gw->batch_broken) {
            ledger_rollback(gw->ledger);
            fault_set(&f, FAULT_INTERNAL, NULL, "savepoint");
        } else {
            committed = ledger_commit(gw->ledger, &f) == 0;
        }
        metrics_write_batch(gw->metrics, n);
    }
    for (c = list; c != NULL; c = next) {
        next = c->batch_next;
        if (c->done_ev != NULL && !c->batched)
            continue; /* went GW_PENDING: request_on_done finishes it */
        if (c->req != NULL) {
            conn = evhttp_request_get_connection(c->req);
            if (conn != NULL)
                evhttp_connection_set_closecb(conn, NULL, NULL);
        }
        if (!committed) {
            /* Nothing of it was kept (f says why): remember nothing. */
            c->record_nonce = 0;
            c->retry_after = 0;
            c->fault = f;
            request_held_clear(c);
            c->batched = 0;
            c->in_tx = 0;
            request_fail(c);
        } else {
            if (c->after_commit != NULL)
                c->after_commit(c);
            c->batched = 0;
            request_send(c, c->held_status, c->held_ctype, c->held_location,
                        c->held_body, c->held_len);
        }
        request_held_clear(c);
        request_finish(c);
    }
}
