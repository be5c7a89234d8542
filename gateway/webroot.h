/*
 * webroot: the buyer's page, served from an allow-list made at start-up.
 *
 * Every regular file directly in the web folder (no sub-folders, no dot
 * files, only known types) is read into memory once, with its type and its
 * ETag. A request names one of those files or nothing is served: no path
 * is ever joined to the folder at request time, so there is no path to
 * walk.
 *
 * What every answer of the page carries (h_web.c), and why:
 *   - WEBROOT_CSP, on HTML, scripts, styles and images alike: scripts and
 *     styles from the page's own origin only, no inline script or style,
 *     no eval, no plugin, no framing (frame-ancestors 'none'), forms and
 *     fetches to the gateway only. Data-set names and descriptions are
 *     written by strangers; if one ever reached the page as markup, the
 *     browser would still run nothing of it.
 *   - Referrer-Policy: no-referrer. The page talks to its own origin only
 *     (which needs no Referer) and its URLs hold what a buyer searches and
 *     looks at; nothing of that is for the sites its links lead to.
 *   - X-Content-Type-Options: nosniff (every answer of the gateway) and
 *     X-Frame-Options: DENY (for browsers without frame-ancestors).
 *   - A strong ETag, the SHA-256 of the bytes, and Cache-Control:
 *     no-cache: the file names carry no version, so a browser must ask
 *     again each time (If-None-Match) and gets a 304 without a body until
 *     the file changes; a new page is never mixed with an old script.
 */
#ifndef SLUICE_GATEWAY_WEBROOT_H
#define SLUICE_GATEWAY_WEBROOT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define WEBROOT_CSP                                                          \
    "default-src 'self'; script-src 'self'; style-src 'self'; "              \
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "          \
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

#define WEBROOT_REFERRER_POLICY "no-referrer"
#define WEBROOT_CACHE_CONTROL "no-cache"

struct webroot_file {
    char name[128];     /* "index.html" */
    const char *type;   /* "text/html; charset=utf-8" */
    int is_html;
    char etag[70];      /* "\"" + lowercase hex SHA-256 of data + "\"" */
    uint8_t *data;
    size_t len;
};

struct webroot;

/* Load the allow-list from dir (at most 256 files of at most 4 MiB).
 * Returns 0 with *out set (an empty list when dir has none); on failure -1
 * with *out = NULL and f set (FAULT_IO). */
int webroot_load(struct webroot **out, const char *dir, struct fault *f)
    __attribute__((warn_unused_result));

/* Free w. w may be NULL. */
void webroot_free(struct webroot *w);

/* Return the file for name ("" means index.html), or NULL. */
const struct webroot_file *webroot_find(const struct webroot *w,
                                        const char *name);

/* Return 1 if the If-None-Match value inm (RFC 9110 13.1.2: "*" or a list
 * of entity tags) matches etag (a strong tag, quoted) under the weak
 * comparison that If-None-Match uses (W/"x" matches "x"), else 0. inm may
 * be NULL (no header: 0). */
int webroot_etag_match(const char *inm, const char *etag);

#endif
