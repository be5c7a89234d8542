/*
 * siwe: EIP-4361 messages, read against the ABNF line by line (siwe.h).
 *
 * The grammar leans on RFC 3986 for the domain and the URIs; only the
 * character level of those is checked (which characters, where, and that
 * every '%' starts an escape), plus the authority's shape: that is what
 * decides whether two readers could read one message two ways. Nothing is
 * decoded: a domain and a URI's authority are compared as written.
 */
#include "lib/siwe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/ethsig.h"

#define SIWE_HEADER " wants you to sign in with your Ethereum account:"

/* ---- characters (RFC 3986 2, RFC 5234 B.1) ---------------------------- */

static int siwe_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int siwe_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int siwe_hexdig(char c)
{
    return siwe_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static int siwe_unreserved(char c)
{
    return siwe_alpha(c) || siwe_digit(c) || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static int siwe_sub_delim(char c)
{
    return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

static int siwe_gen_delim(char c)
{
    return c != '\0' && strchr(":/?#[]@", c) != NULL;
}

/* Length of a pct-encoded triple at s[0..n) ("%" HEXDIG HEXDIG), or 0. */
static size_t siwe_pct(const char *s, size_t n)
{
    return n >= 3 && s[0] == '%' && siwe_hexdig(s[1]) && siwe_hexdig(s[2])
               ? 3
               : 0;
}

/* Is s[0..n) made of unreserved, pct-encoded, sub-delims and the
 * characters of extra (may be "")? */
static int siwe_run_ok(const char *s, size_t n, const char *extra)
{
    size_t i = 0, k;

    while (i < n) {
        if (siwe_unreserved(s[i]) || siwe_sub_delim(s[i]) ||
            (s[i] != '\0' && strchr(extra, s[i]) != NULL)) {
            i++;
            continue;
        }
        k = siwe_pct(s + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), at most
 * SIWE_SCHEME_MAX characters. */
static int siwe_scheme_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > SIWE_SCHEME_MAX || !siwe_alpha(s[0]))
        return 0;
    for (i = 1; i < n; i++)
        if (!siwe_alpha(s[i]) && !siwe_digit(s[i]) && s[i] != '+' &&
            s[i] != '-' && s[i] != '.')
            return 0;
    return 1;
}

/* The inside of an IP-literal: an IPv6 address (hex digits, ':' and the
 * '.' of an embedded IPv4) or "v" 1*HEXDIG "." 1*( unreserved /
 * sub-delims / ":" ). */
static int siwe_ip_literal_ok(const char *s, size_t n)
{
    size_t i, dot;

    if (n == 0)
        return 0;
    if (s[0] == 'v' || s[0] == 'V') {
        for (dot = 1; dot < n && siwe_hexdig(s[dot]); dot++)
            ;
        if (dot == 1 || dot >= n - 1 || s[dot] != '.')
            return 0;
        for (i = dot + 1; i < n; i++)
            if (!siwe_unreserved(s[i]) && !siwe_sub_delim(s[i]) && s[i] != ':')
                return 0;
        return 1;
    }
    for (i = 0; i < n; i++)
        if (!siwe_hexdig(s[i]) && s[i] != ':' && s[i] != '.')
            return 0;
    return 1;
}

/* authority = [ userinfo "@" ] host [ ":" port ], with a port of 1 to 5
 * digits when its ':' is there (EIP-4361's later revision refuses an
 * empty one) and, unless empty_host, a host that is not empty. */
static int siwe_authority_ok(const char *s, size_t n, int empty_host)
{
    const char *at = memchr(s, '@', n), *host, *colon = NULL, *end = s + n;
    size_t i;

    if (at != NULL) {
        if (!siwe_run_ok(s, (size_t)(at - s), ":") ||
            memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL)
            return 0;
        host = at + 1;
    } else {
        host = s;
    }
    if (host < end && *host == '[') {
        const char *close = memchr(host, ']', (size_t)(end - host));
        if (close == NULL ||
            !siwe_ip_literal_ok(host + 1, (size_t)(close - host - 1)))
            return 0;
        if (close + 1 < end) {
            if (close[1] != ':')
                return 0;
            colon = close + 1;
        }
    } else {
        colon = memchr(host, ':', (size_t)(end - host));
        if (!siwe_run_ok(host, (size_t)((colon ? colon : end) - host), ""))
            return 0;
        if ((colon ? colon : end) == host && !empty_host)
            return 0;
    }
    if (colon == NULL)
        return 1;
    if (end - colon - 1 < 1 || end - colon - 1 > 5)
        return 0;
    for (i = 1; colon + i < end; i++)
        if (!siwe_digit(colon[i]))
            return 0;
    return 1;
}

/* Check s[0..n) as an RFC 3986 URI at the character level; on success put
 * its scheme's span and, when it has one, its authority's. */
static int siwe_uri_ok(const char *s, size_t n, size_t *scheme_len,
                       int *has_auth, size_t *auth_off, size_t *auth_len)
{
    const char *colon = memchr(s, ':', n);
    size_t i, rest;
    int fragment = 0;

    *scheme_len = 0;
    *has_auth = 0;
    *auth_off = *auth_len = 0;
    if (colon == NULL || !siwe_scheme_ok(s, (size_t)(colon - s)))
        return 0;
    *scheme_len = (size_t)(colon - s);
    rest = *scheme_len + 1;
    if (n - rest >= 2 && s[rest] == '/' && s[rest + 1] == '/') {
        size_t a = rest + 2, e = a;
        while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#')
            e++;
        if (!siwe_authority_ok(s + a, e - a, 1))
            return 0;
        *has_auth = 1;
        *auth_off = a;
        *auth_len = e - a;
        rest = e;
    }
    /* path, query, fragment: pchar, "/" and "?", one "#" */
    for (i = rest; i < n;) {
        size_t k;
        if (siwe_unreserved(s[i]) || siwe_sub_delim(s[i]) || s[i] == ':' ||
            s[i] == '@' || s[i] == '/' || s[i] == '?') {
            i++;
            continue;
        }
        if (s[i] == '#' && !fragment) {
            fragment = 1;
            i++;
            continue;
        }
        k = siwe_pct(s + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* ---- times (RFC 3339 5.6) --------------------------------------------- */

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t siwe_days(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Read n digits at s as a number into *v. */
static int siwe_digits(const char *s, size_t n, unsigned *v)
{
    size_t i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (!siwe_digit(s[i]))
            return 0;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return 1;
}

int siwe_parse_time(int64_t *out_ms, const char *s, size_t len,
                    const char *field, struct fault *f)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30,
                                       31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, sec, oh = 0, om = 0, ms = 0, dim;
    size_t i = 19, k;
    int64_t off = 0, t;

    *out_ms = 0;
    if (len < 20 || !siwe_digits(s, 4, &y) || s[4] != '-' ||
        !siwe_digits(s + 5, 2, &mo) || s[7] != '-' ||
        !siwe_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        !siwe_digits(s + 11, 2, &h) || s[13] != ':' ||
        !siwe_digits(s + 14, 2, &mi) || s[16] != ':' ||
        !siwe_digits(s + 17, 2, &sec))
        goto bad;
    if (s[i] == '.') {
        for (k = i + 1; k < len && siwe_digit(s[k]); k++)
            if (k - i <= 3)
                ms = ms * 10 + (unsigned)(s[k] - '0');
        if (k == i + 1)
            goto bad;
        for (size_t pad = k - i - 1; pad < 3; pad++)
            ms *= 10;
        i = k;
    }
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        off = 0;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') &&
               siwe_digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
               siwe_digits(s + i + 4, 2, &om) && oh <= 23 && om <= 59) {
        off = (int64_t)(oh * 60 + om) * 60;
        if (s[i] == '-')
            off = -off;
    } else {
        goto bad;
    }
    if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 60)
        goto bad;
    dim = mdays[mo - 1];
    if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
        dim = 29;
    if (d < 1 || d > dim)
        goto bad;
    t = siwe_days((int64_t)y, mo, d) * 86400 + (int64_t)h * 3600 +
        (int64_t)mi * 60 + (int64_t)sec - off;
    *out_ms = t * 1000 + (int64_t)ms;
    return 0;
bad:
    return fault_set(f, FAULT_INVALID, field,
                     "%s is not an RFC 3339 date-time "
                     "(YYYY-MM-DDTHH:MM:SS[.fraction] and Z or +HH:MM)",
                     field);
}

/* ---- the message ------------------------------------------------------ */

/* The line of text[0..len) that starts at *pos: its span in *line and
 * *n; *pos moves past its LF. Returns 0 when there is no line left. */
static int siwe_line(const char *text, size_t len, size_t *pos,
                     const char **line, size_t *n)
{
    const char *lf;

    if (*pos > len)
        return 0;
    *line = text + *pos;
    lf = memchr(*line, '\n', len - *pos);
    *n = lf ? (size_t)(lf - *line) : len - *pos;
    *pos += *n + 1; /* past the end (len + 1) for the last line */
    return 1;
}

/* Does line[0..n) start with label? Then value is what follows. */
static int siwe_label(const char *line, size_t n, const char *label,
                      const char **value, size_t *vlen)
{
    size_t l = strlen(label);

    if (n < l || memcmp(line, label, l) != 0)
        return 0;
    *value = line + l;
    *vlen = n - l;
    return 1;
}

/* Copy s[0..n) into out (cap bytes, n < cap checked by the caller). */
static void siwe_copy(char *out, const char *s, size_t n)
{
    memcpy(out, s, n);
    out[n] = '\0';
}

static int siwe_nonce_ok(const char *s, size_t n)
{
    size_t i;

    if (n < 8 || n > SIWE_NONCE_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if (!siwe_alpha(s[i]) && !siwe_digit(s[i]))
            return 0;
    return 1;
}

/* The first line: [ scheme "://" ] domain " wants you to sign in ...". */
static int siwe_first_line(struct siwe_message *m, const char *line, size_t n,
                           struct fault *f)
{
    size_t hl = strlen(SIWE_HEADER), dn;
    const char *d = line, *sep;

    if (n < hl || memcmp(line + n - hl, SIWE_HEADER, hl) != 0)
        return fault_set(f, FAULT_INVALID, "message",
                         "the first line must end with \"%s\"",
                         &SIWE_HEADER[1]);
    dn = n - hl;
    sep = dn >= 3 ? memmem(line, dn, "://", 3) : NULL;
    if (sep != NULL) {
        size_t sn = (size_t)(sep - line);
        if (!siwe_scheme_ok(line, sn))
            return fault_set(f, FAULT_INVALID, "scheme",
                             "the scheme before the domain is not an RFC "
                             "3986 scheme of at most %d characters",
                             SIWE_SCHEME_MAX);
        siwe_copy(m->scheme, line, sn);
        d = sep + 3;
        dn -= sn + 3;
    }
    if (dn > SIWE_AUTHORITY_MAX || !siwe_authority_ok(d, dn, 0))
        return fault_set(f, FAULT_INVALID, "domain",
                         "the domain is not an RFC 3986 authority "
                         "(host[:port]) of at most %d characters",
                         SIWE_AUTHORITY_MAX);
    siwe_copy(m->domain, d, dn);
    return 0;
}

static int siwe_uri(struct siwe_message *m, const char *v, size_t n,
                    struct fault *f)
{
    size_t sl, ao, al;
    int ha;

    if (!siwe_uri_ok(v, n, &sl, &ha, &ao, &al))
        return fault_set(f, FAULT_INVALID, "uri",
                         "URI is not an RFC 3986 URI");
    if (al > SIWE_AUTHORITY_MAX)
        return fault_set(f, FAULT_INVALID, "uri",
                         "the authority of URI is longer than %d characters",
                         SIWE_AUTHORITY_MAX);
    siwe_copy(m->uri_scheme, v, sl);
    m->uri_has_authority = ha;
    siwe_copy(m->uri_authority, v + ao, al);
    return 0;
}

static int siwe_chain_id(struct siwe_message *m, const char *v, size_t n,
                         struct fault *f)
{
    uint64_t x = 0;
    size_t i;

    if (n == 0 || (v[0] == '0' && n > 1))
        goto bad;
    for (i = 0; i < n; i++) {
        if (!siwe_digit(v[i]) ||
            x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
            goto bad;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    m->chain_id = x;
    return 0;
bad:
    return fault_set(f, FAULT_INVALID, "chain_id",
                     "Chain ID must be a decimal number without a leading "
                     "zero, below 2^64");
}

/* The required lines after the statement, in their order. */
enum siwe_req { SIWE_URI, SIWE_VERSION, SIWE_CHAIN, SIWE_NONCE, SIWE_ISSUED };

static const struct {
    const char *label;
    const char *field;
} siwe_required[] = {
    [SIWE_URI] = {"URI: ", "uri"},
    [SIWE_VERSION] = {"Version: ", "version"},
    [SIWE_CHAIN] = {"Chain ID: ", "chain_id"},
    [SIWE_NONCE] = {"Nonce: ", "nonce"},
    [SIWE_ISSUED] = {"Issued At: ", "issued_at"},
};

static int siwe_required_line(struct siwe_message *m, enum siwe_req k,
                              const char *v, size_t n, struct fault *f)
{
    size_t i;

    switch (k) {
    case SIWE_URI:
        return siwe_uri(m, v, n, f);
    case SIWE_VERSION:
        if (n == 0 || n > SIWE_VERSION_MAX)
            return fault_set(f, FAULT_INVALID, "version",
                             "Version must be a number");
        for (i = 0; i < n; i++)
            if (!siwe_digit(v[i]))
                return fault_set(f, FAULT_INVALID, "version",
                                 "Version must be a number");
        siwe_copy(m->version, v, n);
        return 0;
    case SIWE_CHAIN:
        return siwe_chain_id(m, v, n, f);
    case SIWE_NONCE:
        if (!siwe_nonce_ok(v, n))
            return fault_set(f, FAULT_INVALID, "nonce",
                             "Nonce must be 8 to %d letters and digits",
                             SIWE_NONCE_MAX);
        siwe_copy(m->nonce, v, n);
        return 0;
    case SIWE_ISSUED:
        return siwe_parse_time(&m->issued_at_ms, v, n, "issued_at", f);
    }
    return fault_set(f, FAULT_INTERNAL, NULL, "unknown line kind");
}

/* The optional lines after Issued At, each at most once, in this order. */
enum siwe_opt { SIWE_EXP, SIWE_NBF, SIWE_REQ_ID, SIWE_RESOURCES, SIWE_NOPT };

static const struct {
    const char *label;
    const char *field;
    const char *name;
} siwe_optional[SIWE_NOPT] = {
    [SIWE_EXP] = {"Expiration Time: ", "expiration_time", "Expiration Time"},
    [SIWE_NBF] = {"Not Before: ", "not_before", "Not Before"},
    [SIWE_REQ_ID] = {"Request ID: ", "request_id", "Request ID"},
    [SIWE_RESOURCES] = {"Resources:", "resources", "Resources"},
};

static int siwe_optional_line(struct siwe_message *m, enum siwe_opt k,
                              const char *v, size_t n, struct fault *f)
{
    switch (k) {
    case SIWE_EXP:
        m->has_expiration_time = 1;
        return siwe_parse_time(&m->expiration_time_ms, v, n,
                               "expiration_time", f);
    case SIWE_NBF:
        m->has_not_before = 1;
        return siwe_parse_time(&m->not_before_ms, v, n, "not_before", f);
    case SIWE_REQ_ID:
        /* request-id = *pchar */
        if (!siwe_run_ok(v, n, ":@"))
            return fault_set(f, FAULT_INVALID, "request_id",
                             "Request ID may hold only RFC 3986 pchar "
                             "characters");
        return 0;
    case SIWE_RESOURCES:
        if (n != 0)
            return fault_set(f, FAULT_INVALID, "resources",
                             "\"Resources:\" must end its line");
        return 0;
    case SIWE_NOPT:
        break;
    }
    return fault_set(f, FAULT_INTERNAL, NULL, "unknown line kind");
}

/* Read the lines from Issued At's successor to the end. */
static int siwe_tail(struct siwe_message *m, const char *text, size_t len,
                     size_t pos, struct fault *f)
{
    const char *line, *v;
    size_t n, vn, sl, ao, al;
    int next = 0, k, ha; /* the first optional line still allowed */

    while (siwe_line(text, len, &pos, &line, &n)) {
        if (next > SIWE_RESOURCES) {
            /* resource = "- " URI */
            if (!siwe_label(line, n, "- ", &v, &vn) ||
                !siwe_uri_ok(v, vn, &sl, &ha, &ao, &al))
                return fault_set(f, FAULT_INVALID, "resources",
                                 "each line after \"Resources:\" must be "
                                 "\"- \" and a URI");
            continue;
        }
        for (k = 0; k < SIWE_NOPT; k++)
            if (siwe_label(line, n, siwe_optional[k].label, &v, &vn))
                break;
        if (k == SIWE_NOPT)
            return fault_set(f, FAULT_INVALID, "message",
                             "after Issued At only Expiration Time, Not "
                             "Before, Request ID and Resources may follow, "
                             "in that order, each on its own line");
        if (k < next)
            return fault_set(f, FAULT_INVALID, siwe_optional[k].field,
                             "%s is given twice or out of order",
                             siwe_optional[k].name);
        if (siwe_optional_line(m, (enum siwe_opt)k, v, vn, f) < 0)
            return -1;
        next = k + 1;
    }
    return 0;
}

int siwe_parse(struct siwe_message *out, const char *text, size_t len,
               struct fault *f)
{
    const char *line, *v;
    size_t pos = 0, n, vn, i;
    int k;

    memset(out, 0, sizeof *out);
    if (text == NULL || len == 0)
        return fault_set(f, FAULT_INVALID, "message", "the message is empty");
    if (len > SIWE_MAX_LEN)
        return fault_set(f, FAULT_INVALID, "message",
                         "the message is longer than %d bytes", SIWE_MAX_LEN);
    for (i = 0; i < len; i++)
        if (text[i] == '\r' || (unsigned char)text[i] > 0x7e ||
            ((unsigned char)text[i] < 0x20 && text[i] != '\n')) {
            if (text[i] == '\r')
                fault_set(f, FAULT_INVALID, "message",
                          "lines end with LF alone, never CR LF");
            else
                fault_set(f, FAULT_INVALID, "message",
                          "the message holds a control or non-ASCII byte "
                          "at offset %zu", i);
            goto fail;
        }
    if (text[len - 1] == '\n') {
        fault_set(f, FAULT_INVALID, "message",
                  "the message must not end with a line break");
        goto fail;
    }
    if (!siwe_line(text, len, &pos, &line, &n) ||
        siwe_first_line(out, line, n, f) < 0)
        goto fail;
    if (!siwe_line(text, len, &pos, &line, &n)) {
        fault_set(f, FAULT_INVALID, "address",
                  "the address must follow the first line");
        goto fail;
    }
    if (ethaddr_parse(&out->address, line, n, "address", f) < 0)
        goto fail;
    if (!siwe_line(text, len, &pos, &line, &n) || n != 0) {
        fault_set(f, FAULT_INVALID, "message",
                  "an empty line must follow the address");
        goto fail;
    }
    /* [ statement LF ] LF */
    if (!siwe_line(text, len, &pos, &line, &n)) {
        fault_set(f, FAULT_INVALID, "uri", "the message ends before URI");
        goto fail;
    }
    if (n != 0) {
        for (i = 0; i < n; i++)
            if (!siwe_unreserved(line[i]) && !siwe_sub_delim(line[i]) &&
                !siwe_gen_delim(line[i]) && line[i] != ' ') {
                fault_set(f, FAULT_INVALID, "statement",
                          "the statement may hold only letters, digits, "
                          "spaces and RFC 3986 reserved or unreserved "
                          "characters (offset %zu)", i);
                goto fail;
            }
        if (!siwe_line(text, len, &pos, &line, &n) || n != 0) {
            fault_set(f, FAULT_INVALID, "message",
                      "an empty line must follow the statement");
            goto fail;
        }
    }
    for (k = SIWE_URI; k <= SIWE_ISSUED; k++) {
        if (!siwe_line(text, len, &pos, &line, &n) ||
            !siwe_label(line, n, siwe_required[k].label, &v, &vn)) {
            fault_set(f, FAULT_INVALID, siwe_required[k].field,
                      "a line \"%s...\" is expected here",
                      siwe_required[k].label);
            goto fail;
        }
        if (siwe_required_line(out, (enum siwe_req)k, v, vn, f) < 0)
            goto fail;
    }
    if (siwe_tail(out, text, len, pos, f) < 0)
        goto fail;
    return 0;
fail:
    memset(out, 0, sizeof *out);
    return -1;
}

int siwe_find_nonce(char out[SIWE_NONCE_MAX + 1], const char *text,
                    size_t len)
{
    struct siwe_message m;
    struct fault f;
    const char *line, *v;
    size_t pos = 0, n, vn;

    out[0] = '\0';
    if (text == NULL || len > SIWE_MAX_LEN)
        return 0;
    /* A message that parses names its nonce in its Nonce field: a
     * statement is free text and may itself begin "Nonce: " (fuzz_siwe
     * found one), so the first such line is only a guess for a message
     * that does not parse. */
    if (siwe_parse(&m, text, len, &f) == 0) {
        siwe_copy(out, m.nonce, strlen(m.nonce));
        return 1;
    }
    while (siwe_line(text, len, &pos, &line, &n)) {
        if (!siwe_label(line, n, "Nonce: ", &v, &vn))
            continue;
        if (vn > 0 && v[vn - 1] == '\r') /* a message sent with CR LF */
            vn--;
        if (!siwe_nonce_ok(v, vn))
            return 0;
        siwe_copy(out, v, vn);
        return 1;
    }
    return 0;
}

/* ---- checks ----------------------------------------------------------- */

/* ASCII case-insensitive equality (the locale plays no part). */
static int siwe_ascii_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return 0;
        if (x == '\0')
            return 1;
    }
}

/* Whole seconds of ms, rounded down (towards minus infinity). */
static int64_t siwe_floor_s(int64_t ms)
{
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

int64_t siwe_expires(const struct siwe_message *m)
{
    return m->has_expiration_time ? siwe_floor_s(m->expiration_time_ms) : 0;
}

int siwe_check(const struct siwe_message *m, const struct siwe_expect *e,
               struct fault *f)
{
    int64_t now_s = siwe_floor_s(e->now_ms);

    if (e->authority == NULL || !siwe_ascii_eq(m->domain, e->authority))
        return fault_set(f, FAULT_UNAUTHORIZED, "domain",
                         "the message is for %s, not for this host",
                         m->domain);
    if (m->scheme[0] != '\0' && !siwe_ascii_eq(m->scheme, e->scheme))
        return fault_set(f, FAULT_UNAUTHORIZED, "scheme",
                         "the message is for %s://, and this gateway serves "
                         "%s://", m->scheme, e->scheme);
    if (!m->uri_has_authority || !siwe_ascii_eq(m->uri_scheme, e->scheme) ||
        e->authority == NULL ||
        !siwe_ascii_eq(m->uri_authority, e->authority))
        return fault_set(f, FAULT_UNAUTHORIZED, "uri",
                         "URI must start with %s://%s", e->scheme,
                         e->authority ? e->authority : m->domain);
    if (strcmp(m->version, "1") != 0)
        return fault_set(f, FAULT_UNAUTHORIZED, "version",
                         "Version must be 1");
    if (e->chain_id == 0)
        return fault_set(f, FAULT_UNAUTHORIZED, "chain_id",
                         "this gateway follows no chain yet, so no one can "
                         "sign in");
    if (m->chain_id != e->chain_id)
        return fault_set(f, FAULT_UNAUTHORIZED, "chain_id",
                         "Chain ID must be %" PRIu64, e->chain_id);
    if (!m->has_expiration_time)
        return fault_set(f, FAULT_UNAUTHORIZED, "expiration_time",
                         "the message must carry an Expiration Time");
    if (siwe_expires(m) <= now_s)
        return fault_set(f, FAULT_UNAUTHORIZED, "expiration_time",
                         "the message has expired");
    if (m->expiration_time_ms > e->now_ms + (int64_t)SIWE_MAX_LIFETIME_S * 1000)
        return fault_set(f, FAULT_UNAUTHORIZED, "expiration_time",
                         "Expiration Time may be at most %d hours ahead",
                         SIWE_MAX_LIFETIME_S / 3600);
    if (m->issued_at_ms > e->now_ms + (int64_t)SIWE_ISSUED_AT_SKEW_S * 1000)
        return fault_set(f, FAULT_UNAUTHORIZED, "issued_at",
                         "Issued At is more than %d s ahead of the "
                         "gateway's clock", SIWE_ISSUED_AT_SKEW_S);
    if (m->has_not_before && m->not_before_ms > e->now_ms)
        return fault_set(f, FAULT_UNAUTHORIZED, "not_before",
                         "the message is not valid yet (Not Before)");
    return 0;
}

int siwe_verify(const struct siwe_message *m, const char *text, size_t len,
                const char *sig, size_t sig_len, struct fault *f)
{
    uint8_t raw[ETHSIG_LEN];
    struct ethaddr signer;
    char want[ETHADDR_TEXT_SIZE], got[ETHADDR_TEXT_SIZE];

    if (ethsig_parse(raw, sig, sig_len, "signature", f) < 0)
        return fault_set(f, FAULT_UNAUTHORIZED, "signature",
                         "the signature must be 0x and 130 hex digits");
    if (ethsig_recover_personal(NULL, &signer, raw, (const uint8_t *)text,
                                len, f) < 0) {
        if (f != NULL && f->kind == FAULT_UNAUTHORIZED)
            snprintf(f->field, sizeof f->field, "signature");
        return -1;
    }
    if (!ethaddr_equal(&signer, &m->address)) {
        ethaddr_to_text(want, &m->address);
        ethaddr_to_text(got, &signer);
        return fault_set(f, FAULT_UNAUTHORIZED, "address",
                         "the message names %s but %s signed it", want, got);
    }
    return 0;
}
