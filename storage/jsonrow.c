#include "storage/jsonrow.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define JSONROW_PAD 16

/* One parse: the input, where we are, and where decoded strings go. */
struct jsonrow_parser {
    const uint8_t *s;
    size_t n;
    size_t i;
    uint8_t *out; /* next free byte of the scratch buffer */
    uint64_t row;
    struct fault *f;
};

void jsonrow_init(struct jsonrow *jr)
{
    memset(jr, 0, sizeof *jr);
}

void jsonrow_release(struct jsonrow *jr)
{
    if (jr == NULL)
        return;
    free(jr->members);
    free(jr->scratch);
    memset(jr, 0, sizeof *jr);
}

size_t jsonrow_utf8_seq(const uint8_t *s, size_t len)
{
    uint8_t c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        if (len >= 2 && (s[1] & 0xc0) == 0x80)
            return 2;
        return 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        uint8_t lo = 0x80, hi = 0xbf;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
        if (len >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80)
            return 3;
        return 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        uint8_t lo = 0x80, hi = 0xbf;
        if (c == 0xf0)
            lo = 0x90; /* no overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
        if (len >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
            (s[3] & 0xc0) == 0x80)
            return 4;
        return 0;
    }
    return 0;
}

int jsonrow_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t k;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        k = jsonrow_utf8_seq(s + i, len - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

static int jsonrow_fail(struct jsonrow_parser *p, const char *what)
{
    return fault_set(p->f, FAULT_INVALID, NULL,
                     "row %llu: invalid JSON at offset %zu: %s",
                     (unsigned long long)p->row, p->i, what);
}

static inline void jsonrow_ws(struct jsonrow_parser *p)
{
    if (p->i < p->n && p->s[p->i] > ' ')
        return; /* the common case: no whitespace */
    while (p->i < p->n) {
        uint8_t c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            break;
        p->i++;
    }
}

static int jsonrow_hex4(const uint8_t *s, unsigned *out)
{
    unsigned v = 0;
    int k;

    for (k = 0; k < 4; k++) {
        uint8_t c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static uint8_t *jsonrow_put_utf8(uint8_t *w, unsigned cp)
{
    if (cp < 0x80) {
        *w++ = (uint8_t)cp;
    } else if (cp < 0x800) {
        *w++ = (uint8_t)(0xc0 | (cp >> 6));
        *w++ = (uint8_t)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *w++ = (uint8_t)(0xe0 | (cp >> 12));
        *w++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        *w++ = (uint8_t)(0x80 | (cp & 0x3f));
    } else {
        *w++ = (uint8_t)(0xf0 | (cp >> 18));
        *w++ = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        *w++ = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        *w++ = (uint8_t)(0x80 | (cp & 0x3f));
    }
    return w;
}

/* Scan the string whose opening quote is at p->i and leave p->i after its
 * closing quote. With out != NULL, set *out / *out_len to its decoded
 * UTF-8: the row's own bytes when it holds no escape, otherwise bytes
 * written to the scratch buffer (never longer than the escaped text). */
static int jsonrow_string(struct jsonrow_parser *p, const uint8_t **out,
                          size_t *out_len)
{
    const uint8_t *s = p->s;
    size_t n = p->n, i = p->i + 1, seg = i, start = i;
    uint8_t *w = NULL;

    for (;;) {
        uint8_t c;
#if defined(__SSE2__)
        /* Skip plain ASCII sixteen bytes at a time (never past n). */
        while (i + 16 <= n) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            __m128i special = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                             _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                /* signed: bytes >= 0x80 are negative, so below 0x20 too */
                _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
            unsigned m = (unsigned)_mm_movemask_epi8(special);
            if (m != 0) {
                i += (size_t)__builtin_ctz(m);
                break;
            }
            i += 16;
        }
#endif
        while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' &&
               s[i] != '\\')
            i++;
        if (i >= n) {
            p->i = i;
            return jsonrow_fail(p, "unterminated string");
        }
        c = s[i];
        if (c == '"')
            break;
        if (c < 0x20) {
            p->i = i;
            return jsonrow_fail(p, "control character in a string");
        }
        if (c >= 0x80) {
            size_t k = jsonrow_utf8_seq(s + i, n - i);
            if (k == 0) {
                p->i = i;
                return jsonrow_fail(p, "invalid UTF-8 in a string");
            }
            i += k;
            continue;
        }
        /* A backslash escape. */
        if (out != NULL) {
            if (w == NULL)
                w = p->out;
            memcpy(w, s + seg, i - seg);
            w += i - seg;
        }
        if (i + 1 >= n) {
            p->i = i;
            return jsonrow_fail(p, "unterminated string");
        }
        c = s[i + 1];
        if (c == 'u') {
            unsigned cp, lo;
            if (i + 6 > n || jsonrow_hex4(s + i + 2, &cp) < 0) {
                p->i = i;
                return jsonrow_fail(p, "bad \\u escape");
            }
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                p->i = i;
                return jsonrow_fail(p, "lone low surrogate");
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u' ||
                    jsonrow_hex4(s + i + 8, &lo) < 0 || lo < 0xdc00 ||
                    lo > 0xdfff) {
                    p->i = i;
                    return jsonrow_fail(p, "lone high surrogate");
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 12;
            } else {
                i += 6;
            }
            if (w != NULL)
                w = jsonrow_put_utf8(w, cp);
        } else {
            uint8_t d;
            switch (c) {
            case '"': d = '"'; break;
            case '\\': d = '\\'; break;
            case '/': d = '/'; break;
            case 'b': d = '\b'; break;
            case 'f': d = '\f'; break;
            case 'n': d = '\n'; break;
            case 'r': d = '\r'; break;
            case 't': d = '\t'; break;
            default:
                p->i = i;
                return jsonrow_fail(p, "bad escape");
            }
            if (w != NULL)
                *w++ = d;
            i += 2;
        }
        seg = i;
    }
    if (out != NULL) {
        if (w == NULL) {
            *out = s + start;
            *out_len = i - start;
        } else {
            memcpy(w, s + seg, i - seg);
            w += i - seg;
            *out = p->out;
            *out_len = (size_t)(w - p->out);
            p->out = w;
        }
    }
    p->i = i + 1;
    return 0;
}

/* Scan a number at p->i; set *parts and leave p->i after it. */
static int jsonrow_number(struct jsonrow_parser *p, struct numtext_parts *parts)
{
    size_t i = p->i;

    while (i < p->n) {
        uint8_t c = p->s[i];
        if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
              c == 'e' || c == 'E'))
            break;
        i++;
    }
    if (!numtext_parse(parts, (const char *)p->s + p->i, i - p->i))
        return jsonrow_fail(p, "invalid number");
    p->i = i;
    return 0;
}

static int jsonrow_literal(struct jsonrow_parser *p, const char *word,
                           size_t len)
{
    if (p->n - p->i < len || memcmp(p->s + p->i, word, len) != 0)
        return jsonrow_fail(p, "expected a value");
    p->i += len;
    return 0;
}

/* A scalar (anything but a container) at p->i; kind set. Strings are
 * decoded when out != NULL. */
static int jsonrow_scalar(struct jsonrow_parser *p, enum jsonrow_kind *kind,
                          const uint8_t **out, size_t *out_len,
                          struct numtext_parts *num)
{
    struct numtext_parts scratch;

    if (p->i >= p->n)
        return jsonrow_fail(p, "expected a value");
    switch (p->s[p->i]) {
    case '"':
        *kind = JSONROW_STRING;
        return jsonrow_string(p, out, out_len);
    case 't':
        *kind = JSONROW_TRUE;
        return jsonrow_literal(p, "true", 4);
    case 'f':
        *kind = JSONROW_FALSE;
        return jsonrow_literal(p, "false", 5);
    case 'n':
        *kind = JSONROW_NULL;
        return jsonrow_literal(p, "null", 4);
    default:
        break;
    }
    if (p->s[p->i] == '-' || (p->s[p->i] >= '0' && p->s[p->i] <= '9')) {
        *kind = JSONROW_NUMBER;
        return jsonrow_number(p, num != NULL ? num : &scratch);
    }
    return jsonrow_fail(p, "expected a value");
}

enum jsonrow_state { JS_OPENED, JS_KEY, JS_VALUE, JS_AFTER };

/* Validate the container that opens at p->i (at depth `depth` + 1) and
 * leave p->i after its end. Iterative, with its own stack, so that input
 * cannot exhaust ours. */
static int jsonrow_skip(struct jsonrow_parser *p, int depth)
{
    uint8_t stack[JSONROW_MAX_DEPTH + 1]; /* '{' or '[' per open level */
    int top = 0;
    enum jsonrow_state st = JS_VALUE;
    enum jsonrow_kind kind;

    for (;;) {
        uint8_t c;
        jsonrow_ws(p);
        if (p->i >= p->n)
            return jsonrow_fail(p, "unexpected end of the row");
        c = p->s[p->i];
        switch (st) {
        case JS_OPENED:
            if ((c == '}' && stack[top - 1] == '{') ||
                (c == ']' && stack[top - 1] == '[')) {
                p->i++;
                if (--top == 0)
                    return 0;
                st = JS_AFTER;
                break;
            }
            st = stack[top - 1] == '{' ? JS_KEY : JS_VALUE;
            break;
        case JS_KEY:
            if (c != '"')
                return jsonrow_fail(p, "expected a key");
            if (jsonrow_string(p, NULL, NULL) < 0)
                return -1;
            jsonrow_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return jsonrow_fail(p, "expected ':'");
            p->i++;
            st = JS_VALUE;
            break;
        case JS_VALUE:
            if (c == '{' || c == '[') {
                if (depth + top + 1 > JSONROW_MAX_DEPTH)
                    return jsonrow_fail(p, "nested too deep");
                stack[top++] = c;
                p->i++;
                st = JS_OPENED;
                break;
            }
            if (jsonrow_scalar(p, &kind, NULL, NULL, NULL) < 0)
                return -1;
            st = JS_AFTER;
            break;
        case JS_AFTER:
            if (c == ',') {
                p->i++;
                st = stack[top - 1] == '{' ? JS_KEY : JS_VALUE;
            } else if ((c == '}' && stack[top - 1] == '{') ||
                       (c == ']' && stack[top - 1] == '[')) {
                p->i++;
                if (--top == 0)
                    return 0;
            } else {
                return jsonrow_fail(p, "expected ',' or the end of a "
                                       "container");
            }
            break;
        }
    }
}

static int jsonrow_grow(struct jsonrow *jr, struct fault *f)
{
    size_t cap = jr->members_cap ? jr->members_cap * 2 : 16;
    struct jsonrow_member *m;

    if (cap > SIZE_MAX / sizeof *m)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    m = realloc(jr->members, cap * sizeof *m);
    if (m == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    jr->members = m;
    jr->members_cap = cap;
    return 0;
}

int jsonrow_parse(struct jsonrow *jr, const uint8_t *text, size_t len,
                  uint64_t row, struct fault *f)
{
    struct jsonrow_parser p;
    int rv = -1;

    jr->count = 0;
    jr->obj_off = 0;
    jr->obj_len = 0;
    if (len > SIZE_MAX - JSONROW_PAD)
        return fault_set(f, FAULT_TOO_LARGE, NULL, "row %llu: too long",
                         (unsigned long long)row);
    if (jr->scratch_cap < len + JSONROW_PAD) {
        uint8_t *b = malloc(len + JSONROW_PAD);
        if (b == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        free(jr->scratch);
        jr->scratch = b;
        jr->scratch_cap = len + JSONROW_PAD;
    }
    p.s = text;
    p.n = len;
    p.i = 0;
    p.out = jr->scratch;
    p.row = row;
    p.f = f;

    jsonrow_ws(&p);
    if (p.i >= p.n || p.s[p.i] != '{') {
        fault_set(f, FAULT_INVALID, NULL,
                  "row %llu: not a JSON object", (unsigned long long)row);
        goto done;
    }
    jr->obj_off = p.i;
    p.i++;
    jsonrow_ws(&p);
    if (p.i < p.n && p.s[p.i] == '}') {
        p.i++;
    } else {
        for (;;) {
            struct jsonrow_member *m;
            if (jr->count == jr->members_cap && jsonrow_grow(jr, f) < 0)
                goto done;
            m = &jr->members[jr->count];
            memset(m, 0, sizeof *m);
            if (p.i >= p.n || p.s[p.i] != '"') {
                jsonrow_fail(&p, "expected a key");
                goto done;
            }
            if (jsonrow_string(&p, &m->key, &m->key_len) < 0)
                goto done;
            jsonrow_ws(&p);
            if (p.i >= p.n || p.s[p.i] != ':') {
                jsonrow_fail(&p, "expected ':'");
                goto done;
            }
            p.i++;
            jsonrow_ws(&p);
            if (p.i < p.n && (p.s[p.i] == '{' || p.s[p.i] == '[')) {
                size_t start = p.i;
                m->kind = p.s[p.i] == '{' ? JSONROW_OBJECT : JSONROW_ARRAY;
                if (jsonrow_skip(&p, 1) < 0)
                    goto done;
                m->value = text + start;
                m->value_len = p.i - start;
            } else {
                size_t start = p.i;
                if (jsonrow_scalar(&p, &m->kind, &m->value, &m->value_len,
                                   &m->num) < 0)
                    goto done;
                if (m->kind != JSONROW_STRING) {
                    m->value = text + start;
                    m->value_len = p.i - start;
                }
            }
            jr->count++;
            jsonrow_ws(&p);
            if (p.i < p.n && p.s[p.i] == ',') {
                p.i++;
                jsonrow_ws(&p);
                continue;
            }
            if (p.i < p.n && p.s[p.i] == '}') {
                p.i++;
                break;
            }
            jsonrow_fail(&p, "expected ',' or '}'");
            goto done;
        }
    }
    jr->obj_len = p.i - jr->obj_off;
    jsonrow_ws(&p);
    if (p.i != p.n) {
        jsonrow_fail(&p, "text after the object");
        goto done;
    }
    rv = 0;
done:
    if (rv < 0) {
        jr->count = 0;
        jr->obj_off = 0;
        jr->obj_len = 0;
    }
    return rv;
}
