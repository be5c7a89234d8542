/*
 * gateway: the running sluiced server: one event loop (libevent evhttp)
 * that owns the HTTP side and the main database handle, a pool of publish
 * workers with their own handles (publisher.h), and the context that each
 * request's handler gets (struct gw_ctx).
 *
 * A handler either replies itself (gw_reply_*) and returns 0, or returns
 * -1 with c->fault set and the dispatcher replies with a problem. For a
 * signed request that changes state, the reply is recorded with its nonce
 * in the transaction the handler opened with gw_begin, so that the effect
 * and the remembered answer commit together (DESIGN.md 3.1).
 *
 * Group commit: the signed requests that change state and are ready in
 * one turn of the event loop run one after the other in one transaction,
 * each inside a SAVEPOINT of its own (a failure rolls back that request
 * alone), and share one COMMIT, so one fsync; their answers are held and
 * sent once it is durable. A handler sees no difference, except that what
 * must wait for the commit (handing work to another thread that will read
 * the change) goes through gw_after_commit.
 */
#ifndef SLUICE_GATEWAY_GATEWAY_H
#define SLUICE_GATEWAY_GATEWAY_H

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <secp256k1.h>
#include <stdint.h>
#include <time.h>

#include "gateway/router.h"
#include "lib/ethaddr.h"
#include "lib/fault.h"
#include "storage/store.h"

struct publisher;
struct metrics;
struct webroot;
struct ratelimit;
struct conns;
struct offload;
struct auth_check;
struct inflight;
struct gw_chain;
struct viewcache;
struct ledger;

/* What the server runs with (filled from the settings by cmd_serve). */
struct gateway_options {
    const char *listen_host;   /* "127.0.0.1" */
    uint16_t listen_port;      /* 0: any free port (tests) */
    const char *data_dir;
    const char *web_dir;       /* NULL: no page */
    const char *tls_cert;      /* both or neither */
    const char *tls_key;
    const char *tls_key_password;
    size_t max_header_bytes;
    size_t max_json_body;
    size_t max_part_bytes;
    uint64_t max_body_memory;  /* bodies in flight, all connections */
    unsigned max_connections;
    unsigned max_connections_per_address;
    int read_timeout_s;        /* between bytes */
    int header_timeout_s;      /* a whole head */
    int idle_timeout_s;        /* between requests */
    int request_deadline_s;    /* whole request, JSON routes */
    int upload_deadline_s;     /* whole request, part uploads */
    int shutdown_grace_s;
    unsigned rate_limit;       /* requests per second per address; 0 off */
    unsigned rate_burst;
    unsigned publish_threads;
    unsigned ingest_threads;
    unsigned verify_threads;   /* signature checks off the loop; 0: on it */
    uint64_t chunk_bytes;      /* default for new data-sets */
    int zlib_level;
    uint64_t preview_rows;
    int access_log;
    /* The chain (gateway/chain.h); rpc_url "" follows none. */
    const char *rpc_url;
    const char *rpc_ca_file;
    const char *contract;
    uint64_t confirmations;
    uint64_t poll_ms;
    int finalized;
    uint64_t chain_id;
    uint64_t max_log_range;
    /* Drafts (storage/drafts.h). */
    uint64_t draft_ttl_s;
    uint64_t max_drafts_per_owner;
    uint64_t max_upload_bytes_per_owner;
};

struct gateway {
    const struct gateway_options *opt;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    uint16_t port;              /* the port bound, after start */
    struct store *store;        /* the event loop's handle */
    struct ledger *ledger;      /* on store's connection (ledger.h) */
    struct publisher *publisher;
    struct metrics *metrics;
    struct inflight *inflight;  /* signed requests still running */
    struct ratelimit *ratelimit;
    struct conns *conns;
    struct offload *offload;
    struct offload *verifiers;  /* signature checks; NULL: on the loop */
    struct webroot *web;
    struct viewcache *views;    /* rendered data-set views (viewcache.h) */
    struct gw_chain *chain;     /* NULL: no chain */
    struct ethaddr identity;    /* the gateway's account (identity.h) */
    void *tls_ctx;              /* SSL_CTX *, when TLS is on */
    struct event *sig_term, *sig_int, *tick;
    struct event *shutdown_timer, *drain_timer;
    int stopping;
    unsigned active_requests;
    unsigned connections;
    int64_t started_at;
    /* Signed requests waiting for the next group commit (server.c). */
    struct gw_ctx *batch_head, *batch_tail;
    size_t batch_len;
    struct event *batch_ev;
    int batch_broken;           /* a SAVEPOINT step failed: roll back all */
    struct evp_md_st *sha256;   /* EVP_MD *, fetched once (request bodies) */
};

/* One request while its handler runs. */
struct gw_ctx {
    struct gateway *gw;
    struct evhttp_request *req;
    const char *method;         /* "GET", "HEAD", ... */
    const char *target;         /* request-target as sent */
    char path[ROUTER_MAX_PATH]; /* target without the query */
    const char *query;          /* after '?', or NULL */
    struct router_match match;
    uint8_t *body;              /* a JSON route's body, pulled up; NULL
                                   when empty or for a raw route */
    size_t body_len;
    struct evbuffer *body_buf;  /* the body where evhttp keeps it */
    uint8_t body_sha256[32];
    int is_signed;
    struct ethaddr signer;
    char signer_text[ETHADDR_TEXT_SIZE];
    secp256k1_pubkey signer_pub;
    char nonce[65];
    int record_nonce;           /* the answer is to be remembered */
    int in_tx;                  /* gw_begin was called */
    int status;                 /* sent */
    uint64_t reserved;          /* body memory held (conns.h) */
    int refused;                /* the gate refused it (gate.h) */
    const char *refused_route;  /* its route's name, or NULL */
    char method_text[16];       /* method, when not evhttp's */
    size_t bytes_out;
    struct timespec start;
    struct fault fault;
    /* A handler that returned GW_PENDING (gw_offload). */
    char inflight_key[ETHADDR_TEXT_SIZE + 66];
    struct evbuffer *owned_body;  /* the body, moved out of the request */
    struct event *done_ev;
    void (*work)(struct gw_ctx *c);
    int (*finish)(struct gw_ctx *c);
    void *work_state;             /* the handler's, freed by finish */
    /* Group commit (server.c): the request runs in a batch's transaction,
     * and its answer is held until the batch commits. */
    int batched;
    struct gw_ctx *batch_next;
    int held;                     /* an answer is held */
    int held_status;
    const char *held_ctype;       /* static text, or NULL */
    char *held_location;          /* malloc'd, or NULL */
    uint8_t *held_body;           /* malloc'd, or NULL */
    size_t held_len;
    void (*after_commit)(struct gw_ctx *c);
    /* A signature being checked on gw->verifiers (server.c). */
    struct auth_check *check;
    struct event *verify_ev;
};

/* What a handler returns when it has handed its work to gw_offload. */
#define GW_PENDING 1

/* Run work(c) on the offload threads (it may only touch c->owned_body,
 * c->body_sha256, c->work_state and c->fault), then finish(c) back on the
 * loop's thread, which replies as a handler does (0, or -1 with c->fault
 * set). The request's body is moved to c->owned_body first. If the client
 * hangs up meanwhile, finish still runs (the effect and the nonce are
 * recorded) and nothing is sent. Returns GW_PENDING, or -1 with c->fault
 * set. */
int gw_offload(struct gw_ctx *c, void (*work)(struct gw_ctx *c),
               int (*finish)(struct gw_ctx *c))
    __attribute__((warn_unused_result));

/* Hold c open (the handler returns GW_PENDING) until gw_resume(c); then
 * finish(c) runs on the loop's thread and replies as a handler does. If
 * the client hangs up meanwhile, finish still runs and nothing is sent.
 * For answers that wait on something other than a thread (long-polls, a
 * call to the chain's node). Returns GW_PENDING, or -1 with c->fault set. */
int gw_defer(struct gw_ctx *c, int (*finish)(struct gw_ctx *c))
    __attribute__((warn_unused_result));

/* Run the finish of a request held by gw_defer, from the loop. */
void gw_resume(struct gw_ctx *c);

/* Start the server: open the data dir, bind, start the publish workers.
 * Returns 0 with *out set; on failure -1 with *out = NULL and f set. */
int gateway_start(struct gateway **out, const struct gateway_options *opt,
                  struct fault *f) __attribute__((warn_unused_result));

/* Run the event loop until a SIGTERM/SIGINT (or gateway_stop) has drained
 * in-flight requests or the grace period ended. Returns 0, or -1. */
int gateway_run(struct gateway *gw);

/* Begin a graceful stop: refuse new connections, let in-flight requests
 * finish within the grace period. Safe from the loop's thread. */
void gateway_stop(struct gateway *gw);

/* Free gw (after gateway_run returned): workers joined, database closed. */
void gateway_free(struct gateway *gw);

/* Open the write transaction of a handler's effect. Returns 0, or -1 with
 * c->fault set. */
int gw_begin(struct gw_ctx *c) __attribute__((warn_unused_result));

/* Run fn(c) on the loop's thread once the request's effect is committed:
 * at once when it already is (c is not in a group commit), else after the
 * batch's COMMIT, before the answer is sent; never when that COMMIT fails.
 * For work that another thread does on what the request wrote. */
void gw_after_commit(struct gw_ctx *c, void (*fn)(struct gw_ctx *c));

/* Reply status with the JSON document doc (stolen: decref'd here) and,
 * when location is not NULL, a Location header. For a recorded signed
 * request the nonce row is written and the open transaction committed
 * before anything is sent; if that fails, nothing is sent and -1 is
 * returned with c->fault set (the dispatcher then replies 5xx). */
int gw_reply_json(struct gw_ctx *c, int status, json_t *doc,
                  const char *location) __attribute__((warn_unused_result));

/* Reply status with len bytes of body of type ctype (NULL: none), and a
 * Location when location is not NULL. Same recording rule. */
int gw_reply_bytes(struct gw_ctx *c, int status, const char *ctype,
                   const char *location, const uint8_t *body, size_t len)
    __attribute__((warn_unused_result));

/* Reply status with no body (204, 304). Same recording rule. */
int gw_reply_empty(struct gw_ctx *c, int status)
    __attribute__((warn_unused_result));

/* Look up query parameter name of the request into out (cap bytes,
 * decoded). Returns 1 when present, 0 when absent, -1 with c->fault set
 * when it is malformed or too long. */
int gw_query_param(struct gw_ctx *c, char *out, size_t cap, const char *name);

#endif
