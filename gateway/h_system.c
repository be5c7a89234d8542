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
#include "lib/hex.h"
#include "lib/log.h"
#include "pricing/ledger.h"
#include "storage/catalog.h"

int h_healthz(struct gw_ctx *c)
{
    /* Healthy means the database answers, not only that we are up. */
    if (ledger_ping(c->gw->ledger, &c->fault) < 0)
        return -1;
    return gw_reply_json(c, 200,
                         json_pack("{s:s, s:I}", "status", "ok", "uptime_s",
                                   (json_int_t)(time(NULL) -
                                                c->gw->started_at)),
                         NULL);
}

struct h_ingest_ctx {
    struct gw_ctx *c;
    struct evbuffer *out;
};

static int h_metrics_ingest_one(void *arg, const uint8_t id[CATALOG_ID_LEN],
                                struct fault *f)
{
    struct h_ingest_ctx *x = arg;
    struct catalog_dataset d;
    char hex[2 * CATALOG_ID_LEN + 1];

    if (catalog_get_dataset(x->c->gw->store, &d, id, f) < 0 ||
        hex_encode(hex, sizeof hex, id, CATALOG_ID_LEN) < 0)
        return 0; /* gone meanwhile: skip it */
    evbuffer_add_printf(
        x->out,
        "sluice_ingest_bytes{dataset=\"0x%s\",kind=\"done\"} %llu\n"
        "sluice_ingest_bytes{dataset=\"0x%s\",kind=\"total\"} %llu\n",
        hex, (unsigned long long)d.progress_done, hex,
        (unsigned long long)d.progress_total);
    return 0;
}

static void h_metrics_ingest(struct gw_ctx *c, struct evbuffer *out)
{
    struct h_ingest_ctx x = {c, out};
    struct fault f;

    evbuffer_add_printf(out,
                        "# HELP sluice_ingest_bytes Bytes ingested so far "
                        "and in all, of data-sets being published.\n"
                        "# TYPE sluice_ingest_bytes gauge\n");
    if (catalog_each_dataset(c->gw->store, CATALOG_PUBLISHING,
                             h_metrics_ingest_one, &x, &f) < 0)
        log_warn("metrics: cannot list the data-sets being published: %s",
                 f.detail);
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
    gw_chain_metrics(c->gw->chain, out);
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
