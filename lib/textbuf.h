/*
 * textbuf: a growing text, always NUL-terminated, for building documents
 * piece by piece without checking every step: an allocation that fails
 * makes the buffer failed for good, and the builder checks once at the
 * end.
 */
#ifndef SLUICE_LIB_TEXTBUF_H
#define SLUICE_LIB_TEXTBUF_H

#include <stddef.h>

struct textbuf {
    char *p;      /* the text (NUL-terminated), or NULL while empty */
    size_t len;   /* its length, without the NUL */
    size_t cap;   /* bytes allocated at p */
    int failed;   /* an allocation failed: p holds what came before it */
};

#define TEXTBUF_INIT {NULL, 0, 0, 0}

/* Append n bytes of text. On failure b->failed is set and b->p keeps what
 * it held; once failed, nothing more is appended. */
void textbuf_put(struct textbuf *b, const char *text, size_t n);

/* Append the NUL-terminated text. As textbuf_put. */
void textbuf_puts(struct textbuf *b, const char *text);

/* Free b's text and empty it (not failed any more). */
void textbuf_free(struct textbuf *b);

#endif
