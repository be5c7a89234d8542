#include "gateway/reqhead.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 5.6.2: tchar. */
static const unsigned char reqhead_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
    ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
    ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static const char *const reqhead_names[REQHEAD_NFIELDS] = {
    [REQHEAD_HOST] = "Host",
    [REQHEAD_CONTENT_LENGTH] = "Content-Length",
    [REQHEAD_TRANSFER_ENCODING] = "Transfer-Encoding",
    [REQHEAD_EXPECT] = "Expect",
    [REQHEAD_CONTENT_ENCODING] = "Content-Encoding",
    [REQHEAD_TIMESTAMP] = "X-Sluice-Timestamp",
    [REQHEAD_NONCE] = "X-Sluice-Nonce",
    [REQHEAD_SIGNATURE] = "X-Sluice-Signature",
    [REQHEAD_ADDRESS] = "X-Sluice-Address",
};

/* The largest Content-Length taken: far above any route's limit, far below
 * an overflow anywhere it is added to. */
#define REQHEAD_MAX_LENGTH ((int64_t)1 << 62)

const char *reqhead_field_name(enum reqhead_field k)
{
    return k < REQHEAD_NFIELDS ? reqhead_names[k] : "?";
}

size_t reqhead_find_end(struct reqhead_scan *s, const char *buf, size_t len)
{
    const char *lf;
    size_t p = s->next, n;

    while (p < len) {
        lf = memchr(buf + p, '\n', len - p);
        if (lf == NULL)
            return 0;
        n = (size_t)(lf - (buf + p)); /* the line without its LF */
        if (n == 0 || (n == 1 && buf[p] == '\r')) {
            if (s->seen)
                return (size_t)(lf - buf) + 1;
        } else {
            s->seen = 1;
        }
        p = (size_t)(lf - buf) + 1;
        s->next = p;
    }
    return 0;
}

static int reqhead_fail(struct reqhead *h, struct reqhead_error *e,
                        int status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int reqhead_fail(struct reqhead *h, struct reqhead_error *e,
                        int status, const char *field, const char *fmt, ...)
{
    va_list ap;

    memset(h, 0, sizeof *h);
    h->content_length = -1;
    e->status = status;
    snprintf(e->field, sizeof e->field, "%s", field);
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
    return -1;
}

/* The line starting at p: its length without the line end in *n, and the
 * offset after its line end. A CR anywhere but right before the LF is a
 * bare CR. Returns 0, or -1 for a bare CR (the end is then not set). */
static int reqhead_line(const char *buf, size_t len, size_t p, size_t *n,
                        size_t *next)
{
    const char *lf = memchr(buf + p, '\n', len - p);
    size_t end = lf ? (size_t)(lf - buf) : len;
    const char *cr;

    *n = end - p;
    *next = lf ? end + 1 : len;
    if (*n > 0 && buf[end - 1] == '\r')
        (*n)--;
    cr = memchr(buf + p, '\r', *n);
    return cr == NULL ? 0 : -1;
}

static int reqhead_request_line(struct reqhead *h, struct reqhead_error *e,
                                const char *buf, size_t p, size_t n)
{
    const unsigned char *s = (const unsigned char *)buf + p;
    size_t i = 0, start;

    h->line.off = p;
    h->line.len = n;
    while (i < n && reqhead_tchar[s[i]])
        i++;
    if (i == 0 || i == n || s[i] != ' ')
        return reqhead_fail(h, e, 400, "request-line",
                            "the request line must be a method, a target "
                            "and a version, one space apart");
    h->method.off = p;
    h->method.len = i;
    start = ++i;
    while (i < n && s[i] > 0x20 && s[i] < 0x7f)
        i++;
    if (i == start || i == n || s[i] != ' ')
        return reqhead_fail(h, e, 400, "request-line",
                            "the request target must be one run of visible "
                            "ASCII characters, followed by one space and "
                            "the version");
    h->target.off = p + start;
    h->target.len = i - start;
    i++;
    if (n - i != 8 || memcmp(s + i, "HTTP/", 5) != 0 || s[i + 5] < '0' ||
        s[i + 5] > '9' || s[i + 6] != '.' || s[i + 7] < '0' || s[i + 7] > '9')
        return reqhead_fail(h, e, 400, "request-line",
                            "the request line must end in HTTP/1.1 or "
                            "HTTP/1.0");
    if (s[i + 5] != '1' || s[i + 7] > '1')
        return reqhead_fail(h, e, 505, "request-line",
                            "only HTTP/1.1 and HTTP/1.0 are served");
    h->minor = s[i + 7] - '0';
    return 0;
}

/* Is the trimmed value v (n bytes) a host with an optional port (RFC
 * 3986 host: reg-name, IPv4 or a bracketed IP literal)? Empty is allowed
 * (RFC 9112 3.2, a target without an authority). */
static int reqhead_host_ok(const unsigned char *v, size_t n)
{
    static const char ok[] = "-._~!$&'()*+,;=:%[]";
    size_t i;

    for (i = 0; i < n; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
              (v[i] >= '0' && v[i] <= '9') || strchr(ok, v[i]) != NULL))
            return 0;
    return 1;
}

/* The value of a Content-Length line: 1 to 18 digits. */
static int reqhead_length(const unsigned char *v, size_t n, int64_t *out)
{
    int64_t x = 0;
    size_t i;

    if (n == 0 || n > 18)
        return -1;
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    if (x > REQHEAD_MAX_LENGTH)
        return -1;
    *out = x;
    return 0;
}

static int reqhead_known(const unsigned char *name, size_t n)
{
    int k;

    for (k = 0; k < REQHEAD_NFIELDS; k++)
        if (strlen(reqhead_names[k]) == n &&
            strncasecmp((const char *)name, reqhead_names[k], n) == 0)
            return k;
    return -1;
}

/* One field line of n bytes at p (line end not included; next is the
 * offset after it). */
static int reqhead_field(struct reqhead *h, struct reqhead_error *e,
                         const char *buf, size_t p, size_t n, size_t next)
{
    const unsigned char *s = (const unsigned char *)buf + p;
    char name[FAULT_FIELD_MAX];
    size_t i = 0, vs, ve, name_len;
    int k;
    int64_t cl;

    if (s[0] == ' ' || s[0] == '\t')
        return reqhead_fail(h, e, 400, "headers",
                            "a field line starts with white space "
                            "(obsolete line folding is not accepted)");
    while (i < n && reqhead_tchar[s[i]])
        i++;
    name_len = i;
    snprintf(name, sizeof name, "%.*s", (int)i, (const char *)s);
    if (i == n || (s[i] != ':' && s[i] != ' ' && s[i] != '\t'))
        return reqhead_fail(h, e, 400, i ? name : "headers",
                            "a field line must be a name (a token), a colon "
                            "and a value");
    if (i == 0)
        return reqhead_fail(h, e, 400, "headers",
                            "a field line has an empty name");
    if (s[i] != ':')
        return reqhead_fail(h, e, 400, name,
                            "no white space is allowed between the field "
                            "name %s and its colon", name);
    vs = i + 1;
    while (vs < n && (s[vs] == ' ' || s[vs] == '\t'))
        vs++;
    ve = n;
    while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
        ve--;
    for (i = vs; i < ve; i++)
        if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
            return reqhead_fail(h, e, 400, name,
                                "the value of %s holds a control character "
                                "(0x%02x)", name, s[i]);
    h->nfields++;
    k = reqhead_known(s, name_len);
    if (k < 0)
        return 0;
    if (h->count[k]++ == 0) {
        h->value[k].off = p + vs;
        h->value[k].len = ve - vs;
        h->field_line[k].off = p;
        h->field_line[k].len = next - p;
    }
    if (k == REQHEAD_CONTENT_LENGTH) {
        if (reqhead_length(s + vs, ve - vs, &cl) < 0)
            return reqhead_fail(h, e, 400, name,
                                "Content-Length must be a number of bytes "
                                "(decimal digits)");
        if (h->count[k] > 1 && cl != h->content_length)
            return reqhead_fail(h, e, 400, name,
                                "Content-Length is given twice with "
                                "different values");
        h->content_length = cl;
    }
    return 0;
}

/* The rules between fields, once all are read. */
static int reqhead_framing(struct reqhead *h, struct reqhead_error *e,
                           const char *buf)
{
    const struct reqhead_span *te = &h->value[REQHEAD_TRANSFER_ENCODING];
    const struct reqhead_span *ex = &h->value[REQHEAD_EXPECT];
    const struct reqhead_span *host = &h->value[REQHEAD_HOST];

    if (h->count[REQHEAD_HOST] > 1)
        return reqhead_fail(h, e, 400, "Host", "Host is given more than once");
    if (h->count[REQHEAD_HOST] == 0 && h->minor == 1)
        return reqhead_fail(h, e, 400, "Host",
                            "an HTTP/1.1 request must carry Host");
    if (h->count[REQHEAD_HOST] == 1 &&
        !reqhead_host_ok((const unsigned char *)buf + host->off, host->len))
        return reqhead_fail(h, e, 400, "Host",
                            "Host must be a host name or address, with an "
                            "optional port");
    if (h->count[REQHEAD_TRANSFER_ENCODING] > 0) {
        if (h->count[REQHEAD_TRANSFER_ENCODING] > 1 || te->len != 7 ||
            strncasecmp(buf + te->off, "chunked", 7) != 0)
            return reqhead_fail(h, e, 400, "Transfer-Encoding",
                                "the only Transfer-Encoding taken is one "
                                "\"chunked\"");
        if (h->count[REQHEAD_CONTENT_LENGTH] > 0)
            return reqhead_fail(h, e, 400, "Transfer-Encoding",
                                "Transfer-Encoding and Content-Length must "
                                "not both be given");
        if (h->minor == 0)
            return reqhead_fail(h, e, 400, "Transfer-Encoding",
                                "an HTTP/1.0 request cannot be chunked");
        h->chunked = 1;
    }
    if (h->count[REQHEAD_EXPECT] > 1)
        return reqhead_fail(h, e, 400, "Expect",
                            "Expect is given more than once");
    if (h->count[REQHEAD_EXPECT] == 1) {
        if (ex->len != 12 || strncasecmp(buf + ex->off, "100-continue", 12) != 0)
            return reqhead_fail(h, e, 417, "Expect",
                                "the only expectation met is 100-continue");
        /* RFC 9110 10.1.1: ignored from an HTTP/1.0 client. */
        h->expect_continue = h->minor == 1;
    }
    return 0;
}

int reqhead_parse(struct reqhead *h, struct reqhead_error *e,
                  const char *buf, size_t len)
{
    size_t p = 0, n, next;

    memset(h, 0, sizeof *h);
    memset(e, 0, sizeof *e);
    h->content_length = -1;
    /* Empty lines before the request line (RFC 9112 2.2). */
    while (p < len && (buf[p] == '\n' ||
                       (buf[p] == '\r' && p + 1 < len && buf[p + 1] == '\n')))
        p += buf[p] == '\r' ? 2 : 1;
    h->skip = p;
    if (p >= len || reqhead_line(buf, len, p, &n, &next) < 0)
        return reqhead_fail(h, e, 400, "request-line",
                            "the request line holds a bare CR");
    if (reqhead_request_line(h, e, buf, p, n) < 0)
        return -1;
    for (p = next; p < len; p = next) {
        if (reqhead_line(buf, len, p, &n, &next) < 0)
            return reqhead_fail(h, e, 400, "headers",
                                "a field line holds a bare CR");
        if (n == 0)
            break;
        if (reqhead_field(h, e, buf, p, n, next) < 0)
            return -1;
    }
    if (p >= len || next != len)
        return reqhead_fail(h, e, 400, "headers",
                            "the header section does not end with an empty "
                            "line");
    if (reqhead_framing(h, e, buf) < 0)
        return -1;
    h->len = len;
    return 0;
}
