/*
 * reply: the one way an answer leaves sluiced, whoever wrote it.
 *
 * Every answer carries the headers that every answer must (nosniff), and
 * an answer to HEAD carries the headers GET would have, Content-Length
 * included, and no body (RFC 9110 9.3.2): evhttp 2.1 would otherwise send
 * a HEAD answer's body, without a length, and the next answer on a
 * kept-alive connection would start with those stray bytes.
 */
#ifndef SLUICE_GATEWAY_REPLY_H
#define SLUICE_GATEWAY_REPLY_H

#include <event2/buffer.h>
#include <event2/http.h>

/* Send status (reason NULL: the standard phrase) with body on req. body
 * may be NULL (no body); it is drained either way, and the caller frees
 * it. A HEAD request gets the headers and the length of body, not its
 * bytes. Returns the number of body bytes sent. */
size_t reply_send(struct evhttp_request *req, int status, const char *reason,
                  struct evbuffer *body);

#endif
