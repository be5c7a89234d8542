/*
 * reqhead: a strict reader of one HTTP/1.1 request head (RFC 9112 sections
 * 2 to 7): the request line and the header section, up to the empty line
 * that ends it, exactly as the bytes arrived.
 *
 * evhttp (libevent 2.1) is lenient where leniency lets one request be read
 * two ways: it folds obsolete continuation lines, cuts a value at a NUL,
 * takes "Host :" and the first of two different Content-Lengths, and counts
 * its header limit without the line ends. Behind a proxy that reads the
 * same bytes differently, that is request smuggling. So every head passes
 * through here first (gateway/gate.c), and evhttp only ever sees heads that
 * both readers understand the same way.
 *
 * What is refused, and how (status 400 unless said):
 *   - a head over the byte limit, counted as received: request line, every
 *     field line and every line end (CR LF or LF), and the final empty line;
 *   - a request line that is not `token SP target SP HTTP/1.0|1.1`, a target
 *     with a control, space or non-ASCII byte; HTTP/2 and others: 505;
 *   - a bare CR anywhere, obsolete line folding, a field name that is not a
 *     token (so "Host :" too), a control character (NUL included) in a value;
 *   - a missing Host in HTTP/1.1, two Host lines, or a Host value that is
 *     not a host[:port];
 *   - Content-Length that is not digits, or several lines of different
 *     values (equal ones are one value, as RFC 9110 8.6 allows), or over
 *     2^62;
 *   - Transfer-Encoding other than one line of exactly "chunked", or with
 *     Content-Length, or in HTTP/1.0;
 *   - an Expect other than "100-continue": 417; two Expect lines: 400.
 * Empty lines before the request line are skipped (RFC 9112 2.2) and
 * counted towards the limit.
 */
#ifndef SLUICE_GATEWAY_REQHEAD_H
#define SLUICE_GATEWAY_REQHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

/* The fields the gateway reads before a body is accepted. */
enum reqhead_field {
    REQHEAD_HOST,
    REQHEAD_CONTENT_LENGTH,
    REQHEAD_TRANSFER_ENCODING,
    REQHEAD_EXPECT,
    REQHEAD_CONTENT_ENCODING,
    REQHEAD_TIMESTAMP, /* X-Sluice-Timestamp */
    REQHEAD_NONCE,     /* X-Sluice-Nonce */
    REQHEAD_SIGNATURE, /* X-Sluice-Signature */
    REQHEAD_ADDRESS,   /* X-Sluice-Address */
    REQHEAD_NFIELDS
};

/* A piece of the head: offset from its first byte, and length. */
struct reqhead_span {
    size_t off;
    size_t len;
};

struct reqhead {
    size_t skip;               /* empty lines before the request line */
    size_t len;                /* bytes up to and with the final empty line */
    struct reqhead_span line;  /* the request line, without its line end */
    struct reqhead_span method;
    struct reqhead_span target;
    int minor;                 /* HTTP/1.<minor> */
    /* Of each known field: the value of its first line (trimmed), the
     * whole first line with its line end, and the number of lines. */
    struct reqhead_span value[REQHEAD_NFIELDS];
    struct reqhead_span field_line[REQHEAD_NFIELDS];
    unsigned count[REQHEAD_NFIELDS];
    unsigned nfields;          /* field lines in all */
    int64_t content_length;    /* -1 when there is none */
    int chunked;               /* Transfer-Encoding: chunked */
    int expect_continue;       /* Expect: 100-continue, HTTP/1.1 */
};

/* What went wrong with a head, for the answer that refuses it. */
struct reqhead_error {
    int status;                     /* 400, 417 or 505 */
    char field[FAULT_FIELD_MAX];    /* "Host", "request-line", "headers" */
    char detail[FAULT_DETAIL_MAX];
};

/* Where reqhead_find_end stopped, so that a head that trickles in is
 * scanned once. Zero it before the first call for a head. */
struct reqhead_scan {
    size_t next; /* the start of the first line not yet seen whole */
    int seen;    /* a line other than an empty one was seen */
};

/* Find the end of the head that starts at buf, looking at the len bytes
 * there from where *s says the last call stopped. Returns the head's
 * length with its final empty line, or 0 when its end has not arrived yet
 * (then *s is moved on). */
size_t reqhead_find_end(struct reqhead_scan *s, const char *buf, size_t len);

/* Read the whole head of len bytes at buf (len as reqhead_find_end gave,
 * at most max) into *h. Returns 0 with *h set; -1 with *h cleared and *e
 * saying why. The spans in *h point into buf. */
int reqhead_parse(struct reqhead *h, struct reqhead_error *e,
                  const char *buf, size_t len)
    __attribute__((warn_unused_result));

/* Return the name of field k as it is written ("Content-Length"). */
const char *reqhead_field_name(enum reqhead_field k);

#endif
