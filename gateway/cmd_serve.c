/* sluiced serve: run the gateway (also what plain `sluiced [flags]` does). */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/cmd.h"
#include "gateway/server.h"
#include "gateway/settings.h"
#include "lib/log.h"
#include "storage/drafts.h"
#include "storage/parts.h"

/* Before the first request: remove what a crash left under uploads/
 * (parts_recover). A failure is logged; the gateway serves anyway. */
static void serve_recover(struct gateway *gw)
{
    struct parts_recovery rec;
    struct fault f;

    if (parts_recover(gw->store, &rec, &f) < 0)
        log_warn("could not clean uploads/: %s", f.detail);
    else if (rec.files > 0 || rec.folders > 0)
        log_warn("removed %lu part file(s) and %lu folder(s) under uploads/ "
                 "that no part names (left by a crash, a replaced part or a "
                 "published data-set)",
                 rec.files, rec.folders);
}

/* Delete abandoned drafts (storage/drafts.h): every due one when all is
 * set (at start), else one bounded batch (on the loop's timer). */
static void serve_expire_drafts(struct gateway *gw, int all)
{
    unsigned long n = 0, total = 0;
    struct fault f;
    int more = 0;

    do {
        if (drafts_expire(gw->store, &n, &more, (int64_t)time(NULL),
                          gw->opt->draft_ttl_s, &f) < 0) {
            log_warn("draft expiry failed: %s", f.detail);
            return;
        }
        total += n;
    } while (all && more && n > 0);
    if (total > 0)
        log_info("deleted %lu abandoned draft(s)", total);
}

static void serve_on_drafts_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    serve_expire_drafts(arg, 0);
}

/* The timer of draft expiry on the gateway's loop: a quarter of the
 * time-to-live, between 1 s and 1 h. Returns the event (NULL if it
 * cannot be made: expiry then runs at start only). */
static struct event *serve_drafts_timer(struct gateway *gw)
{
    uint64_t ms = gw->opt->draft_ttl_s * 1000 / 4;
    struct timeval tv;
    struct event *ev;

    if (ms < 1000)
        ms = 1000;
    if (ms > 3600 * 1000)
        ms = 3600 * 1000;
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    ev = event_new(gw->base, -1, EV_PERSIST, serve_on_drafts_timer, gw);
    if (ev == NULL || event_add(ev, &tv) < 0) {
        log_warn("cannot start the timer of draft expiry");
        if (ev != NULL)
            event_free(ev);
        return NULL;
    }
    return ev;
}

static int serve_seconds(uint64_t ms)
{
    uint64_t s = (ms + 999) / 1000;

    return s > 86400 ? 86400 : (int)s;
}

int cmd_serve(int argc, char **argv, struct fault *f)
{
    struct gateway_options opt;
    struct settings s;
    struct gateway *gw = NULL;
    struct event *drafts_timer = NULL;
    int rc, rv = -1;

    rc = settings_load(&s, argc, argv, f);
    if (rc == 1) {
        settings_print_help(stdout);
        return 0;
    }
    if (rc < 0)
        return -1;
    log_set_level((enum log_level)s.log_level);
    memset(&opt, 0, sizeof opt);
    opt.listen_host = s.listen.host;
    opt.listen_port = s.listen.port;
    opt.data_dir = s.data_dir;
    opt.web_dir = s.web_dir[0] ? s.web_dir : NULL;
    opt.tls_cert = s.tls_cert[0] ? s.tls_cert : NULL;
    opt.tls_key = s.tls_key[0] ? s.tls_key : NULL;
    opt.tls_key_password = s.tls_key_password;
    opt.max_header_bytes = (size_t)s.max_header_bytes;
    opt.max_json_body = (size_t)s.max_json_body;
    opt.max_part_bytes = (size_t)s.max_part_bytes;
    /* At least one body of every route must fit. */
    opt.max_body_memory = s.max_body_memory;
    if (opt.max_body_memory < s.max_part_bytes)
        opt.max_body_memory = s.max_part_bytes;
    if (opt.max_body_memory < s.max_json_body)
        opt.max_body_memory = s.max_json_body;
    opt.max_connections = (unsigned)s.max_connections;
    opt.max_connections_per_address =
        (unsigned)s.max_connections_per_address;
    opt.read_timeout_s = serve_seconds(s.read_timeout_ms);
    opt.header_timeout_s = serve_seconds(
        s.header_timeout_ms < s.request_deadline_ms ? s.header_timeout_ms
                                                    : s.request_deadline_ms);
    opt.idle_timeout_s = serve_seconds(s.idle_timeout_ms);
    opt.request_deadline_s = serve_seconds(s.request_deadline_ms);
    opt.upload_deadline_s = serve_seconds(s.upload_deadline_ms);
    opt.shutdown_grace_s = serve_seconds(s.shutdown_grace_ms);
    opt.rate_limit = (unsigned)s.rate_limit;
    opt.rate_burst = (unsigned)s.rate_burst;
    opt.max_sessions = (size_t)s.max_sessions;
    opt.max_session_nonces = (size_t)s.max_session_nonces;
    opt.publish_threads = (unsigned)s.publish_threads;
    opt.ingest_threads = (unsigned)s.ingest_threads;
    opt.verify_threads = (unsigned)s.verify_threads;
    opt.chunk_bytes = s.chunk_bytes;
    opt.zlib_level = (int)s.zlib_level;
    opt.preview_rows = s.preview_rows;
    opt.access_log = s.access_log;
    opt.rpc_url = s.rpc_url;
    opt.rpc_ca_file = s.rpc_ca_file[0] ? s.rpc_ca_file : NULL;
    opt.contract = s.contract;
    opt.confirmations = s.confirmations;
    opt.poll_ms = s.poll_ms;
    opt.finalized = s.finalized;
    opt.chain_id = s.chain_id;
    opt.max_log_range = s.max_log_range;
    opt.draft_ttl_s = (s.draft_ttl_ms + 999) / 1000;
    opt.max_drafts_per_owner = s.max_drafts_per_owner;
    opt.max_upload_bytes_per_owner = s.max_upload_bytes_per_owner;
    if (gateway_start(&gw, &opt, f) < 0)
        goto done;
    serve_recover(gw);
    serve_expire_drafts(gw, 1);
    drafts_timer = serve_drafts_timer(gw);
    /* Tests and scripts wait for this line, then read the port from it. */
    printf("sluiced: listening on %s://%s%s%s:%u\n",
           opt.tls_cert ? "https" : "http",
           strchr(opt.listen_host, ':') ? "[" : "", opt.listen_host,
           strchr(opt.listen_host, ':') ? "]" : "", (unsigned)gw->port);
    fflush(stdout);
    log_info("listening on %s:%u, data dir %s", opt.listen_host,
             (unsigned)gw->port, opt.data_dir);
    if (gateway_run(gw) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "the event loop failed");
        goto done;
    }
    log_info("stopped");
    rv = 0;
done:
    if (drafts_timer != NULL)
        event_free(drafts_timer);
    gateway_free(gw);
    settings_free(&s);
    return rv;
}
