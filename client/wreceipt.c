#include "client/wreceipt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "lib/ethsig.h"
#include "lib/hex.h"
#include "lib/secret.h"
#include "lib/textbuf.h"
#include "lib/u256.h"

#define WRECEIPT_LINES 13

/* The names of lines 1..12, in order. */
static const char *const wreceipt_names[WRECEIPT_LINES] = {
    NULL,    "index",         "prev",           "time",
    "gateway", "dataset",     "worker",         "query",
    "chunks",  "cost",        "balance_after",  "credited_total",
    "spent_total",
};

int wreceipt_is_amount(const char *text)
{
    struct u256 v;
    size_t n = text != NULL ? strlen(text) : 0;

    return n > 0 && n < WRECEIPT_AMOUNT_MAX &&
           u256_parse_decimal(&v, text, n, NULL, NULL) == 0;
}

static void wreceipt_line(struct textbuf *b, const char *name,
                          const char *value)
{
    textbuf_put(b, "\n", 1);
    textbuf_put(b, name, strlen(name));
    textbuf_put(b, ": ", 2);
    textbuf_put(b, value, strlen(value));
}

int wreceipt_text(char **out, size_t *len, const struct wreceipt_expect *e,
                  const struct wreceipt_fields *fl, struct fault *f)
{
    struct textbuf b = TEXTBUF_INIT;
    char num[32], hex[80], addr[ETHADDR_TEXT_SIZE];
    size_t i;

    *out = NULL;
    *len = 0;
    textbuf_put(&b, WRECEIPT_FIRST_LINE, strlen(WRECEIPT_FIRST_LINE));
    snprintf(num, sizeof num, "%llu", (unsigned long long)fl->index);
    wreceipt_line(&b, "index", num);
    if (hex_encode_0x(hex, sizeof hex, fl->prev, 32) < 0)
        b.failed = 1;
    wreceipt_line(&b, "prev", hex);
    snprintf(num, sizeof num, "%llu", (unsigned long long)fl->time);
    wreceipt_line(&b, "time", num);
    ethaddr_to_text(addr, &e->gateway);
    wreceipt_line(&b, "gateway", addr);
    if (hex_encode_0x(hex, sizeof hex, e->dataset_id, 32) < 0)
        b.failed = 1;
    wreceipt_line(&b, "dataset", hex);
    ethaddr_to_text(addr, &e->worker);
    wreceipt_line(&b, "worker", addr);
    if (hex_encode_0x(hex, sizeof hex, e->query_id, 16) < 0)
        b.failed = 1;
    wreceipt_line(&b, "query", hex);
    wreceipt_line(&b, "chunks", "");
    for (i = 0; i < e->nchunks; i++) {
        snprintf(num, sizeof num, "%s%llu", i > 0 ? "," : "",
                 (unsigned long long)e->chunks[i]);
        textbuf_put(&b, num, strlen(num));
    }
    wreceipt_line(&b, "cost", e->cost);
    wreceipt_line(&b, "balance_after", e->balance_after);
    wreceipt_line(&b, "credited_total", fl->credited_total);
    wreceipt_line(&b, "spent_total", fl->spent_total);
    if (b.failed) {
        free(b.p);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    *out = b.p;
    *len = b.len;
    return 0;
}

/* Parse text[0..n) as a decimal count: no sign, no leading zero, below
 * 2^63. */
static int wreceipt_count(uint64_t *out, const char *text, size_t n)
{
    uint64_t v = 0;
    size_t i;

    *out = 0;
    if (n == 0 || n > 19 || (text[0] == '0' && n > 1))
        return -1;
    for (i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(text[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *out = v;
    return 0;
}

/* Copy the value of line k (text[0..n), "name: value") into out[0..cap)
 * as a string, after checking its name. */
static int wreceipt_value(char *out, size_t cap, const char *line, size_t n,
                          int k, struct fault *f)
{
    const char *name = wreceipt_names[k];
    size_t nl = strlen(name);

    out[0] = '\0';
    if (n < nl + 2 || memcmp(line, name, nl) != 0 || line[nl] != ':' ||
        line[nl + 1] != ' ')
        return fault_set(f, FAULT_CORRUPT, "receipt.text",
                         "the receipt's line %d is not \"%s: ...\"", k + 1,
                         name);
    if (n - nl - 2 >= cap)
        return fault_set(f, FAULT_CORRUPT, "receipt.text",
                         "the receipt's %s line is too long", name);
    memcpy(out, line + nl + 2, n - nl - 2);
    out[n - nl - 2] = '\0';
    if (memchr(out, '\0', n - nl - 2) != NULL)
        return fault_set(f, FAULT_CORRUPT, "receipt.text",
                         "the receipt's %s line holds a NUL", name);
    return 0;
}

/* Read index, prev, time, credited_total and spent_total from text. */
static int wreceipt_parse(struct wreceipt_fields *fl, const char *text,
                          size_t len, struct fault *f)
{
    const char *p = text, *end = text + len, *nl;
    char v[WRECEIPT_AMOUNT_MAX + 8];
    size_t n;
    int k = 0, bad;

    for (;;) {
        nl = memchr(p, '\n', (size_t)(end - p));
        n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (k >= WRECEIPT_LINES)
            goto shape;
        if (k == 0) {
            if (n != strlen(WRECEIPT_FIRST_LINE) ||
                memcmp(p, WRECEIPT_FIRST_LINE, n) != 0)
                return fault_set(f, FAULT_CORRUPT, "receipt.text",
                                 "the receipt does not start with \"%s\"",
                                 WRECEIPT_FIRST_LINE);
        } else if (k == 1 || k == 2 || k == 3 || k == 11 || k == 12) {
            if (wreceipt_value(v, sizeof v, p, n, k, f) < 0)
                return -1;
            bad = 0;
            if (k == 1)
                bad = wreceipt_count(&fl->index, v, strlen(v)) < 0 ||
                      fl->index == 0;
            else if (k == 3)
                bad = wreceipt_count(&fl->time, v, strlen(v)) < 0;
            else if (k == 2)
                bad = strlen(v) != 66 ||
                      hex_decode_0x(fl->prev, 32, v, 66, NULL, NULL) < 0;
            else
                bad = !wreceipt_is_amount(v);
            if (bad)
                return fault_set(f, FAULT_CORRUPT, "receipt.text",
                                 "the receipt's %s line is malformed",
                                 wreceipt_names[k]);
            n = strlen(v); /* an amount: below WRECEIPT_AMOUNT_MAX */
            if (k == 11 && n < sizeof fl->credited_total)
                memcpy(fl->credited_total, v, n + 1);
            if (k == 12 && n < sizeof fl->spent_total)
                memcpy(fl->spent_total, v, n + 1);
        }
        k++;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    if (k == WRECEIPT_LINES)
        return 0;
shape:
    return fault_set(f, FAULT_CORRUPT, "receipt.text",
                     "the receipt's text is not the %d lines of a release "
                     "entry", WRECEIPT_LINES);
}

/* Name the first line where a and b differ. */
static int wreceipt_mismatch(const char *got, size_t glen, const char *want,
                             size_t wlen, struct fault *f)
{
    size_t i = 0, ls = 0, ge, we;

    while (i < glen && i < wlen && got[i] == want[i]) {
        if (got[i] == '\n')
            ls = i + 1;
        i++;
    }
    ge = ls;
    while (ge < glen && got[ge] != '\n')
        ge++;
    we = ls;
    while (we < wlen && want[we] != '\n')
        we++;
    return fault_set(f, FAULT_CORRUPT, "receipt.text",
                     "the receipt does not match the answer: it says "
                     "'%.*s' where the answer gives '%.*s'",
                     (int)(ge - ls > 90 ? 90 : ge - ls), got + ls,
                     (int)(we - ls > 90 ? 90 : we - ls), want + ls);
}

int wreceipt_verify(struct wreceipt_fields *out, struct ethaddr *signer,
                    const json_t *r, struct fault *f)
{
    const char *text, *hash, *sig;
    uint8_t want_hash[32], sigb[ETHSIG_LEN];
    struct wreceipt_fields fl;
    size_t tlen;

    memset(out, 0, sizeof *out);
    memset(signer, 0, sizeof *signer);
    memset(&fl, 0, sizeof fl);
    text = json_string_value(json_object_get(r, "text"));
    hash = json_string_value(json_object_get(r, "hash"));
    sig = json_string_value(json_object_get(r, "signature"));
    if (!json_is_object(r) || text == NULL || hash == NULL || sig == NULL)
        return fault_set(f, FAULT_CORRUPT, "receipt",
                         "the receipt lacks its text, hash or signature");
    tlen = json_string_length(json_object_get(r, "text"));
    if (wreceipt_parse(&fl, text, tlen, f) < 0)
        return -1;
    SHA256((const unsigned char *)text, tlen, want_hash);
    if (strlen(hash) != 66 ||
        hex_decode_0x(fl.hash, 32, hash, 66, NULL, NULL) < 0 ||
        !secret_equal(fl.hash, want_hash, 32))
        return fault_set(f, FAULT_CORRUPT, "receipt.hash",
                         "the receipt's hash is not the SHA-256 of its text");
    if (strlen(sig) != 2 + 2 * ETHSIG_LEN ||
        hex_decode_0x(sigb, sizeof sigb, sig, strlen(sig), NULL, NULL) < 0 ||
        ethsig_recover_personal(NULL, signer, sigb, (const uint8_t *)text,
                                tlen, NULL) < 0) {
        memset(signer, 0, sizeof *signer);
        return fault_set(f, FAULT_CORRUPT, "receipt.signature",
                         "the receipt's signature is malformed or recovers "
                         "no key");
    }
    *out = fl;
    return 0;
}

int wreceipt_check(struct wreceipt_fields *out, const json_t *r,
                   const struct wreceipt_expect *e, struct fault *f)
{
    const char *text;
    struct wreceipt_fields fl;
    struct u256 cr, sp, ba, diff;
    struct ethaddr signer;
    char *rebuilt = NULL, who[ETHADDR_TEXT_SIZE];
    size_t tlen, rlen = 0;
    int rv = -1;

    memset(out, 0, sizeof *out);
    memset(&fl, 0, sizeof fl);
    text = json_string_value(json_object_get(r, "text"));
    if (!json_is_object(r) || text == NULL ||
        json_string_value(json_object_get(r, "hash")) == NULL ||
        json_string_value(json_object_get(r, "signature")) == NULL) {
        fault_set(f, FAULT_CORRUPT, "receipt",
                  "the answer's receipt lacks its text, hash or signature");
        goto done;
    }
    tlen = json_string_length(json_object_get(r, "text"));
    if (wreceipt_parse(&fl, text, tlen, f) < 0 ||
        wreceipt_text(&rebuilt, &rlen, e, &fl, f) < 0)
        goto done;
    if (rlen != tlen || memcmp(rebuilt, text, tlen) != 0) {
        wreceipt_mismatch(text, tlen, rebuilt, rlen, f);
        goto done;
    }
    if (u256_parse_decimal(&cr, fl.credited_total,
                           strlen(fl.credited_total), NULL, NULL) < 0 ||
        u256_parse_decimal(&sp, fl.spent_total, strlen(fl.spent_total), NULL,
                           NULL) < 0 ||
        u256_parse_decimal(&ba, e->balance_after, strlen(e->balance_after),
                           NULL, NULL) < 0 ||
        u256_sub(&diff, &cr, &sp) < 0 || u256_cmp(&diff, &ba) != 0) {
        fault_set(f, FAULT_CORRUPT, "receipt.text",
                  "the receipt's balance_after %s is not credited_total %s "
                  "- spent_total %s", e->balance_after, fl.credited_total,
                  fl.spent_total);
        goto done;
    }
    if (wreceipt_verify(&fl, &signer, r, f) < 0)
        goto done;
    if (!ethaddr_equal(&signer, &e->gateway)) {
        ethaddr_to_text(who, &signer);
        fault_set(f, FAULT_CORRUPT, "receipt.signature",
                  "the receipt is signed by %s, not by the gateway's key",
                  who);
        goto done;
    }
    *out = fl;
    rv = 0;
done:
    free(rebuilt);
    return rv;
}
