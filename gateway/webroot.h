/*
 * webroot: the buyer's page, served from an allow-list made at start-up.
 *
 * Every regular file directly in the web folder (no sub-folders, no dot
 * files, only known types) is read into memory once, with its type, its
 * ETag and, for HTML, the page's Content-Security-Policy. A request names
 * one of those files or nothing is served: no path is ever joined to the
 * folder at request time, so there is no path to walk.
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

struct webroot_file {
    char name[128];     /* "index.html" */
    const char *type;   /* "text/html; charset=utf-8" */
    int is_html;
    char etag[70];      /* quoted SHA-256 prefix */
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

#endif
