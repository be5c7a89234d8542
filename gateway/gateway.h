/*
 * gateway: the types of the running sluiced server: what it runs with
 * (struct gateway_options), its state (struct gateway: one event loop that
 * owns the HTTP side and the main database handle and ledger, a pool of
 * publish workers with their own handles), and the context each request's
 * handler gets (struct gw_ctx). Types only: the server's functions are in
 * server.h, what a handler does with its request in request.h, the group
 * commit in batch.h, the signature threads in verify.h.
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
#include "lib/ethkey.h"
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
struct session_store;

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
    size_t max_sessions;       /* browser sessions (session.h); 0: default */
    size_t max_session_nonces; /* sign-in nonces outstanding; 0: default */
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
    struct session_store *sessions; /* sign-in nonces and browser sessions */
    struct gw_chain *chain;     /* NULL: no chain */
    struct ethaddr identity;    /* the gateway's account (identity.h) */
    struct ethkey key;          /* its key: signs receipts; wiped at free */
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
    int retry_after;            /* a Retry-After for the answer; 0: none */
    json_t *problem_extra;      /* members a problem answer adds (a 402's
                                   quote and payment); owned */
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
    void *work_state;             /* the handler's, freed by finish or,
                                     when work_free is set, by it at the
                                     end of the request */
    void (*work_free)(void *state);
    uint8_t work_tx[32];          /* a transaction hash the handler holds */
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
    int (*batch_handler)(struct gw_ctx *c); /* gw_batch's; NULL: the route's */
    /* A signature being checked on gw->verifiers (server.c). */
    struct auth_check *check;
    struct event *verify_ev;
    void (*verify_then)(struct gw_ctx *c); /* once it is checked */
};

#endif
