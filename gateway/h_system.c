/* GET /healthz and GET /metrics. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <time.h>

#include "gateway/chain.h"
#include "gateway/conns.h"
#include "gateway/metrics.h"
#include "gateway/reply.h"
#include "gateway/routes.h"
#include "gateway/viewcache.h"
#include "storage/db.h"

int h_healthz(struct gw_ctx *c)
{
    /* Healthy means the database answers, not only that we are up. */
    if (db_exec(c->gw->store->db, "SELECT 1", &c->fault) < 0)
        return -1;
    return gw_reply_json(c, 200,
                         json_pack("{s:s, s:I}", "status", "ok", "uptime_s",
                                   (json_int_t)(time(NULL) -
                                                c->gw->started_at)),
                         NULL);
}

static void h_metrics_ingest(struct gw_ctx *c, struct evbuffer *out)
{
    sqlite3_stmt *stmt = NULL;
    struct fault f;

    evbuffer_add_printf(out,
                        "# HELP sluice_ingest_bytes Bytes ingested so far "
                        "and in all, of data-sets being published.\n"
                        "# TYPE sluice_ingest_bytes gauge\n");
    if (db_prepare(c->gw->store->db, &stmt,
                   "SELECT hex(id), progress_done, progress_total FROM "
                   "datasets WHERE state = 'publishing'",
                   &f) < 0)
        return;
    while (sqlite3_step(stmt) == SQLITE_ROW)
        evbuffer_add_printf(
            out,
            "sluice_ingest_bytes{dataset=\"0x%s\",kind=\"done\"} %lld\n"
            "sluice_ingest_bytes{dataset=\"0x%s\",kind=\"total\"} %lld\n",
            (const char *)sqlite3_column_text(stmt, 0),
            (long long)sqlite3_column_int64(stmt, 1),
            (const char *)sqlite3_column_text(stmt, 0),
            (long long)sqlite3_column_int64(stmt, 2));
    db_release(stmt);
}

int h_metrics(struct gw_ctx *c)
{
    struct evbuffer *out = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);

    if (out == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    metrics_render(c->gw->metrics, out);
    h_metrics_ingest(c, out);
    viewcache_metrics(c->gw->views, out);
    gw_chain_metrics(c->gw->chain, c->gw, out);
    conns_metrics(c->gw->conns, out);
    evbuffer_add_printf(out,
                        "# HELP sluice_http_requests_in_flight Requests "
                        "being answered.\n"
                        "# TYPE sluice_http_requests_in_flight gauge\n"
                        "sluice_http_requests_in_flight %u\n",
                        c->gw->active_requests);
    evhttp_add_header(h, "Content-Type", "text/plain; version=0.0.4");
    evhttp_add_header(h, "Cache-Control", "no-store");
    c->bytes_out = reply_send(c->req, 200, NULL, out);
    evbuffer_free(out);
    c->status = 200;
    return 0;
}
