/*
 * problem: the one place that maps a fault kind to what a client sees:
 * an HTTP status, a problem type URN and a public title (RFC 9457,
 * application/problem+json). The switch has no default, so a new fault
 * kind without a mapping does not compile. Details of internal faults
 * (FAULT_IO, FAULT_INTERNAL, FAULT_CORRUPT) are logged, not sent: the
 * client gets the title only.
 */
#ifndef SLUICE_GATEWAY_PROBLEM_H
#define SLUICE_GATEWAY_PROBLEM_H

#include <event2/http.h>
#include <jansson.h>

#include "lib/fault.h"

struct problem_kind {
    int status;
    const char *type;  /* "urn:sluice:problem:<name>" */
    const char *title; /* public, fixed per kind */
    int public_detail; /* 0: the detail stays in the log */
};

/* Return the mapping of kind. Never fails. */
struct problem_kind problem_for(enum fault_kind kind);

/* Render f as the application/problem+json text a client gets (internal
 * details replaced by the title) and put its status in *status. Returns
 * the text (malloc'd, caller frees), or NULL on allocation failure. */
char *problem_render(const struct fault *f, int *status);

/* As problem_render, with the members of extra (a JSON object, or NULL)
 * added to the problem (a 402's quote, balance and payment: DESIGN.md
 * 3.6); they never replace type, title, status, detail or field. */
char *problem_render_with(const struct fault *f, const json_t *extra,
                          int *status);

/* Send f to the client of req as application/problem+json with type,
 * title, status, detail and (when f names one) field. retry_after > 0 adds
 * a Retry-After header. Returns the status sent. */
int problem_send(struct evhttp_request *req, const struct fault *f,
                 int retry_after);

/* As problem_send, with status instead of the kind's when status is not
 * 0 (405, 417, 501, 505: statuses of the transport that no kind has). */
int problem_send_as(struct evhttp_request *req, int status,
                    const struct fault *f, int retry_after);

/* Send a problem of the given status that no fault kind covers (405, 413
 * from the transport, 404 of an unknown route), with title and detail. */
int problem_send_status(struct evhttp_request *req, int status,
                        const char *type_name, const char *title,
                        const char *detail);

#endif
