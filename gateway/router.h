/*
 * router: routes are data (tmux's cmd_table habit): a static table of
 * method, path pattern, whether a signature is required, the body limit
 * and the handler. router_match finds the entry for a request, or says
 * why there is none (404, or 405 with the methods that would match).
 *
 * A pattern is a path whose segments are literal or "{name}", which
 * matches one non-empty segment (no '/'); the segment is handed to the
 * handler as it was sent (ids are checked by the handler, which names the
 * field). HEAD matches the GET entries.
 */
#ifndef SLUICE_GATEWAY_ROUTER_H
#define SLUICE_GATEWAY_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_PATH 1024

enum router_auth {
    ROUTER_PUBLIC,   /* no signature looked at */
    ROUTER_OPTIONAL, /* verified when present (an owner reading a draft) */
    ROUTER_SIGNED    /* required (DESIGN.md 3.1) */
};

struct gw_ctx;

/* What body a route takes; the byte limit of each kind is a setting
 * (max_json_body, max_part_bytes). */
enum router_body {
    ROUTER_BODY_NONE, /* a body is refused */
    ROUTER_BODY_JSON, /* up to max_json_body */
    ROUTER_BODY_RAW   /* up to max_part_bytes: an upload part */
};

/* Flags of a route. */
enum router_flag {
    /* A signed POST that changes nothing (a quote): its signature and
     * timestamp are checked, its nonce is neither looked up nor
     * recorded, and it runs outside the group commit. */
    ROUTER_READ_ONLY = 1,
    /* A signed write whose handler runs first outside the group commit
     * (to do work off the loop: gw_offload_cpu) and then joins it with
     * gw_batch. */
    ROUTER_PREPARE = 2
};

struct router_entry {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern; /* "/v1/datasets/{id}" */
    enum router_auth auth;
    enum router_body body;
    const char *name;    /* stable label for metrics and logs */
    int (*handler)(struct gw_ctx *c);
    unsigned flags;      /* enum router_flag bits; 0 for most */
};

enum router_result { ROUTER_FOUND, ROUTER_NO_PATH, ROUTER_NO_METHOD };

struct router_match {
    const struct router_entry *entry;
    size_t nparams;
    char params[ROUTER_MAX_PARAMS][ROUTER_MAX_PATH / 4];
    char allow[64]; /* for 405: "GET, HEAD, PUT" */
};

/* Match method and path (no query string) against the n entries of
 * table. Returns ROUTER_FOUND with m->entry and m->params set;
 * ROUTER_NO_METHOD with m->allow listing the methods of the entries whose
 * pattern matches; ROUTER_NO_PATH otherwise (also for a path that is too
 * long or has too many parameters). */
enum router_result router_match(struct router_match *m,
                                 const struct router_entry *table, size_t n,
                                 const char *method, const char *path);

#endif
