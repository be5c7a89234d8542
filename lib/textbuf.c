#include "lib/textbuf.h"

#include <stdlib.h>
#include <string.h>

void textbuf_put(struct textbuf *b, const char *text, size_t n)
{
    size_t cap;
    char *p;

    if (b->failed)
        return;
    if (n > (size_t)-1 / 2 - b->len - 1) {
        b->failed = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, text, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void textbuf_puts(struct textbuf *b, const char *text)
{
    textbuf_put(b, text, strlen(text));
}

void textbuf_free(struct textbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
