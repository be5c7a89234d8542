/*
 * rpc: an asynchronous Ethereum JSON-RPC client on libevent's HTTP client,
 * for the chain follower inside sluiced: nothing here blocks the loop.
 *
 * A client is bound to one event_base and one endpoint URL, http:// or
 * https://. HTTPS goes through libevent_openssl with the peer's
 * certificate checked against the system CAs (and an extra CA file when
 * given) and its name or address checked against the URL's host. Host
 * names are resolved with evdns, never with a blocking getaddrinfo.
 *
 * A call is one request or a batch (RPCWIRE_BATCH_MAX at most). Calls wait
 * in the client's own queue and go out over a small pool of kept-alive
 * connections, one request at a time on each (no pipelining). Each call
 * has a deadline that covers its time in the queue, the connect, the
 * handshake and the whole answer; a peer that trickles bytes cannot hold
 * a call past it. The answer's body is bounded; so is the number of calls
 * the client holds.
 *
 * The done callback runs exactly once per accepted call, from the event
 * loop and never from inside rpc_call or rpc_batch; it may make new calls
 * and may free the client. The replies (rpcwire.h) and the results in them
 * are borrowed for the callback's duration only. A connection that failed
 * or was closed by the peer is replaced by a fresh one for the next call.
 *
 * The URL may hold an API key in its path: only scheme, host and port are
 * ever logged or shown in faults.
 */
#ifndef SLUICE_CONTRACTS_ABI_RPC_H
#define SLUICE_CONTRACTS_ABI_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "contracts-abi/rpcwire.h"
#include "lib/fault.h"

#define RPC_URL_MAX 2048
#define RPC_CONNS_MAX 16

struct rpc_client;

/* The knobs of a client; rpc_options_default gives the defaults noted. */
struct rpc_options {
    const char *ca_file;    /* an extra PEM CA file for https, or NULL */
    const char *url_name;   /* what faults about the URL call it, and
                               their field: "rpc_url", or a command-line
                               tool's "--rpc-url" */
    uint32_t timeout_ms;    /* per call, from rpc_call on; 10000 */
    size_t max_body;        /* largest answer body; 16 MiB */
    uint32_t max_in_flight; /* calls queued or sent; 256 */
    uint32_t max_conns;     /* connections to the endpoint, 1 to
                               RPC_CONNS_MAX; 2 */
};

/* What a client has done, for /metrics. Read on the loop's thread. */
struct rpc_stats {
    uint64_t calls;          /* calls accepted */
    uint64_t requests;       /* JSON-RPC requests in them */
    uint64_t results;        /* requests answered with a result */
    uint64_t error_objects;  /* requests answered with an error object */
    uint64_t failures;       /* requests with any other outcome */
    uint64_t timeouts;       /* calls whose deadline passed */
    uint64_t connects;       /* connections opened */
    uint64_t bytes_sent;     /* request bodies */
    uint64_t bytes_received; /* answer bodies */
    uint32_t in_flight;      /* calls held now */
};

/* Told the outcome of a call: replies[0..n) in the order of the call's
 * requests (n is 1 for rpc_call). Borrowed for the callback's duration. */
typedef void (*rpc_done_fn)(void *arg, const struct rpcwire_reply *replies,
                            size_t n);

/* Fill o with the defaults. */
void rpc_options_default(struct rpc_options *o);

/* Make a client on base for the endpoint url (http:// or https://, a host,
 * an optional port, an optional path and query; no user info, no
 * fragment). opt may be NULL for the defaults. Nothing is connected yet.
 * Returns 0 with *out set (free with rpc_client_free, before base); on
 * failure -1 with *out = NULL and f set: FAULT_INVALID naming the URL
 * (opt->url_name, "rpc_url" by default: not such a URL, longer than
 * RPC_URL_MAX) or "ca_file" (cannot be read
 * as PEM certificates), or an option out of range (field "rpc_options");
 * FAULT_INTERNAL for misuse or when memory or the TLS context cannot be
 * had. */
int rpc_client_new(struct rpc_client **out, struct event_base *base,
                   const char *url, const struct rpc_options *opt,
                   struct fault *f) __attribute__((warn_unused_result));

/* Free c: every call it still holds is told RPCWIRE_CANCELLED (exactly
 * once, from within this function), then its connections are closed.
 * c may be NULL. Calls made from those callbacks are refused. */
void rpc_client_free(struct rpc_client *c);

/* Send method with params (a JSON array or object, borrowed; NULL for
 * []). Returns 0 and done(arg, ...) will be called exactly once later; on
 * failure -1, done is never called, and f is set: FAULT_INVALID for a bad
 * method or params (rpcwire_request_body); FAULT_UNAVAILABLE when
 * max_in_flight calls are already held or the client is being freed;
 * FAULT_INTERNAL for misuse or when memory runs out. */
int rpc_call(struct rpc_client *c, const char *method, json_t *params,
             rpc_done_fn done, void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Send requests[0..n) as one batch (1 <= n <= RPCWIRE_BATCH_MAX; params
 * borrowed). Returns and fails as rpc_call; done gets n replies. */
int rpc_batch(struct rpc_client *c, const struct rpcwire_request *requests,
              size_t n, rpc_done_fn done, void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* Copy c's counters into out. */
void rpc_client_stats(const struct rpc_client *c, struct rpc_stats *out);

/* Return the endpoint as it may be shown: "scheme://host:port", never the
 * path. Valid while c lives. */
const char *rpc_client_endpoint(const struct rpc_client *c);

#endif
