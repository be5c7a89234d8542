/*
 * request: what a handler does with its request (gw_*), and the end of
 * every request, for the server's dispatcher, the group commit and the
 * signature threads (request_*).
 *
 * A handler either replies itself (gw_reply_*) and returns 0, or returns
 * -1 with c->fault set and the dispatcher replies with a problem. For a
 * signed request that changes state, the reply is recorded with its nonce
 * in the unit of work the handler opened with gw_begin, so that the effect
 * and the remembered answer commit together (DESIGN.md 3.1). In a group
 * commit (batch.h) the answer is held until the batch is durable; a
 * handler sees no difference, except that what must wait for the commit
 * goes through gw_after_commit.
 */
#ifndef SLUICE_GATEWAY_REQUEST_H
#define SLUICE_GATEWAY_REQUEST_H

#include <event2/http.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/gateway.h"

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

/* As gw_offload, on the threads that verify signatures (one per core):
 * for computation that touches no store (key wrapping). Without such
 * threads, work and finish run at once, on the loop. Returns what finish
 * returns then, else GW_PENDING, or -1 with c->fault set. */
int gw_offload_cpu(struct gw_ctx *c, void (*work)(struct gw_ctx *c),
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


/* ---- for the server's own files ---- */

/* Send status with len bytes of body of type ctype (NULL: none) and a
 * Location when location is not NULL, as every answer goes out (held
 * instead while c is in a group commit). Records nothing. */
void request_send(struct gw_ctx *c, int status, const char *ctype,
                  const char *location, const uint8_t *body, size_t len);

/* Answer with the problem for c->fault (undoing what c did in its unit of
 * work or savepoint), remembering it for a recorded request when it is
 * not a 5xx. */
void request_fail(struct gw_ctx *c);

/* The end of every request, answered or not: give back its body memory,
 * count it, log it, forget it, free c. */
void request_finish(struct gw_ctx *c);

/* Forget an answer held for a group commit. */
void request_held_clear(struct gw_ctx *c);

/* The evhttp close callback of a connection whose request is held: the
 * request (arg) loses its evhttp request, which evhttp frees next. */
void request_on_close(struct evhttp_connection *conn, void *arg);

/* The client address of req into out (cap bytes; "-" when unknown). */
void request_peer(struct evhttp_request *req, char *out, size_t cap);

/* Signed requests still being answered, by "address|nonce". */
struct inflight;

/* Make an empty set. Returns 0 with *out set, or -1 (out of memory). */
int request_inflight_new(struct inflight **out);

/* Free in. in may be NULL. */
void request_inflight_free(struct inflight *in);

/* Add key; returns 0, or -1 when it is there already (the same request
 * is still being answered) or memory is out. request_finish removes
 * c->inflight_key. */
int request_inflight_add(struct inflight *in, const char *key);

#endif
