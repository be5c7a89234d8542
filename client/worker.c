#include "client/worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/api.h"
#include "client/wfetch.h"
#include "client/wreceipt.h"
#include "client/wrows.h"
#include "lib/hex.h"
#include "lib/jsonv.h"
#include "lib/keywrap.h"
#include "lib/secret.h"
#include "lib/textbuf.h"
#include "storage/chunkobj.h"
#include "storage/objstore.h"

#define WORKER_PATH_MAX 256

/* The data-set's view, as a query needs it. */
struct worker_view {
    json_t *doc;             /* GET /v1/datasets/<id> */
    char dataset[67];        /* lowercase "0x" + 64 */
    enum wrows_format fmt;
    const char *format;
    const json_t *columns;   /* in doc: [{name, type}] */
    uint64_t rows;
    uint64_t chunk_count;
};

struct worker {
    struct api api;
    const struct ethkey *key;
    struct worker_options opt;
    char *cache_dir;
    struct http_url url;
    int have_gateway;
    struct ethaddr gateway;
    struct worker_view view;  /* the last one read; doc NULL for none */
};

/* What the query keeps of each chunk it was given. */
struct worker_chunk {
    uint64_t index;
    uint64_t first_row;
    uint64_t rows;
    uint64_t plain_bytes;
};

struct worker_query {
    struct worker *w;
    json_t *answer;
    json_t *view;            /* a reference to the view's document */
    struct worker_release rel;
    enum wrows_format fmt;
    enum worker_sel_kind kind;
    uint64_t from, to;
    struct wrows_cond *conds;
    size_t nconds;
    char *cond_text;         /* the conditions' strings */
    struct wrows_filter filter;
    struct worker_chunk *chunks;
    size_t n;
    struct wfetch *fetch;
    /* The chunk being read: chunks[cur]. */
    size_t cur;
    const uint8_t *plain; /* lent by wfetch_take */
    size_t plain_len;
    size_t pos;
    uint64_t row_k;          /* rows of it seen so far */
    uint64_t skipped_bytes;  /* stored bytes of the chunks skipped */
    size_t skip;             /* chunks skipped: wfetch's item 0 is
                                chunks[skip] */
    int have_plain;
    int blob_given;
    int failed;
    struct fault fault;      /* when failed */
    struct worker_stats stats;
};

/* ---- small helpers ------------------------------------------------------ */

static int worker_put_json_string(struct textbuf *b, const char *text,
                                  size_t n)
{
    json_t *s = json_stringn(text, n);
    char *enc;

    if (s == NULL)
        return -1;
    enc = json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(s);
    if (enc == NULL) {
        b->failed = 1;
        return 0;
    }
    textbuf_puts(b, enc);
    free(enc);
    return 0;
}

static const char *worker_op_text(enum worker_op op)
{
    switch (op) {
    case WORKER_EQ: return "=";
    case WORKER_NE: return "!=";
    case WORKER_LT: return "<";
    case WORKER_LE: return "<=";
    case WORKER_GT: return ">";
    case WORKER_GE: return ">=";
    }
    return NULL;
}

static enum wrows_op worker_wrows_op(enum worker_op op)
{
    switch (op) {
    case WORKER_EQ: return WROWS_EQ;
    case WORKER_NE: return WROWS_NE;
    case WORKER_LT: return WROWS_LT;
    case WORKER_LE: return WROWS_LE;
    case WORKER_GT: return WROWS_GT;
    case WORKER_GE: return WROWS_GE;
    }
    return WROWS_EQ;
}

/* Read a JSON integer >= 0 (not above 2^53, as 3.2 writes counts). */
static int worker_count(uint64_t *out, const json_t *v)
{
    *out = 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > ((json_int_t)1 << 53))
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* ---- selectors ---------------------------------------------------------- */

/* Copy the double-quoted text at *p (past its opening quote) into out,
 * undoing "" into ", and move *p past the closing quote. Returns the
 * length, or -1 when the quote is never closed. */
static long worker_unquote(char *out, const char **p)
{
    const char *s = *p;
    long n = 0;

    for (;;) {
        if (*s == '\0')
            return -1;
        if (*s == '"') {
            if (s[1] == '"') {
                out[n++] = '"';
                s += 2;
                continue;
            }
            *p = s + 1;
            out[n] = '\0';
            return n;
        }
        out[n++] = *s++;
    }
}

int worker_cond_parse(struct worker_cond *out, char *buf, size_t cap,
                      const char *text, const char *field, struct fault *f)
{
    const char *p = text;
    char *name = buf, *value;
    size_t tlen = strlen(text), nlen, vlen;
    long q;

    memset(out, 0, sizeof *out);
    if (tlen + 2 > cap || tlen > WORKER_COND_TEXT_MAX)
        return fault_set(f, FAULT_INVALID, field,
                         "%s '%.40s...' is too long", field, text);
    if (*p == '"') {
        p++;
        q = worker_unquote(name, &p);
        if (q < 0)
            return fault_set(f, FAULT_INVALID, field,
                             "%s '%.80s': the quoted column is not closed",
                             field, text);
        nlen = (size_t)q;
    } else {
        nlen = strcspn(p, "=!<>");
        memcpy(name, p, nlen);
        name[nlen] = '\0';
        p += nlen;
    }
    if (nlen == 0)
        return fault_set(f, FAULT_INVALID, field,
                         "%s '%.80s' names no column before its operator",
                         field, text);
    if (strncmp(p, ">=", 2) == 0) {
        out->op = WORKER_GE;
        p += 2;
    } else if (strncmp(p, "<=", 2) == 0) {
        out->op = WORKER_LE;
        p += 2;
    } else if (strncmp(p, "!=", 2) == 0) {
        out->op = WORKER_NE;
        p += 2;
    } else if (*p == '=') {
        out->op = WORKER_EQ;
        p++;
    } else if (*p == '<') {
        out->op = WORKER_LT;
        p++;
    } else if (*p == '>') {
        out->op = WORKER_GT;
        p++;
    } else {
        memset(out, 0, sizeof *out);
        return fault_set(f, FAULT_INVALID, field,
                         "%s '%.80s' has no operator (=, !=, <, <=, >, >=) "
                         "after its column", field, text);
    }
    value = name + nlen + 1;
    vlen = strlen(p);
    if (*p == '"') {
        p++;
        q = worker_unquote(value, &p);
        if (q < 0 || *p != '\0') {
            memset(out, 0, sizeof *out);
            return fault_set(f, FAULT_INVALID, field,
                             "%s '%.80s': a quoted value must be all of the "
                             "value, its quotes doubled inside",
                             field, text);
        }
        out->number = 0;
    } else {
        memcpy(value, p, vlen + 1);
        out->number = wrows_is_number(value, vlen);
    }
    out->column = name;
    out->value = value;
    return 0;
}

int worker_body(char **out, size_t *len, const struct worker_select *sel,
                struct fault *f)
{
    struct textbuf b = TEXTBUF_INIT;
    char num[48], field[48];
    const char *op;
    size_t i;

    *out = NULL;
    *len = 0;
    textbuf_puts(&b, "{");
    switch (sel->kind) {
    case WORKER_ROWS:
        if (sel->from > sel->to) {
            free(b.p);
            return fault_set(f, FAULT_INVALID, "rows",
                             "the range's start %llu is past its end %llu",
                             (unsigned long long)sel->from,
                             (unsigned long long)sel->to);
        }
        snprintf(num, sizeof num, "%llu", (unsigned long long)sel->from);
        textbuf_puts(&b, "\"rows\":{\"from\":");
        textbuf_puts(&b, num);
        snprintf(num, sizeof num, "%llu", (unsigned long long)sel->to);
        textbuf_puts(&b, ",\"to\":");
        textbuf_puts(&b, num);
        textbuf_puts(&b, "}");
        break;
    case WORKER_WHERE:
        if (sel->nconds < 1 || sel->nconds > WORKER_WHERE_MAX) {
            free(b.p);
            return fault_set(f, FAULT_INVALID, "where",
                             "a where holds 1 to %d conditions, not %zu",
                             WORKER_WHERE_MAX, sel->nconds);
        }
        textbuf_puts(&b, "\"where\":[");
        for (i = 0; i < sel->nconds; i++) {
            const struct worker_cond *c = &sel->conds[i];
            op = worker_op_text(c->op);
            snprintf(field, sizeof field, "where[%zu]", i);
            if (op == NULL || c->column == NULL || c->value == NULL) {
                free(b.p);
                return fault_set(f, FAULT_INVALID, field,
                                 "condition %zu lacks its column, operator "
                                 "or value", i);
            }
            textbuf_puts(&b, i > 0 ? ",[" : "[");
            if (worker_put_json_string(&b, c->column, strlen(c->column)) <
                0) {
                free(b.p);
                return fault_set(f, FAULT_INVALID, field,
                                 "the column of condition %zu is not UTF-8",
                                 i);
            }
            textbuf_puts(&b, ",\"");
            textbuf_puts(&b, op);
            textbuf_puts(&b, "\",");
            if (c->number) {
                if (!wrows_is_number(c->value, strlen(c->value))) {
                    free(b.p);
                    return fault_set(f, FAULT_INVALID, field,
                                     "'%.60s' is not a JSON number",
                                     c->value);
                }
                textbuf_puts(&b, c->value);
            } else if (worker_put_json_string(&b, c->value,
                                              strlen(c->value)) < 0) {
                free(b.p);
                return fault_set(f, FAULT_INVALID, field,
                                 "the value of condition %zu is not UTF-8",
                                 i);
            }
            textbuf_puts(&b, "]");
        }
        textbuf_puts(&b, "]");
        break;
    case WORKER_CHUNKS:
        if (sel->nchunks > WORKER_CHUNKS_MAX) {
            free(b.p);
            return fault_set(f, FAULT_INVALID, "chunks",
                             "at most %d chunk indexes, not %zu",
                             WORKER_CHUNKS_MAX, sel->nchunks);
        }
        textbuf_puts(&b, "\"chunks\":[");
        for (i = 0; i < sel->nchunks; i++) {
            snprintf(num, sizeof num, "%s%llu", i > 0 ? "," : "",
                     (unsigned long long)sel->chunks[i]);
            textbuf_puts(&b, num);
        }
        textbuf_puts(&b, "]");
        break;
    case WORKER_ALL:
        textbuf_puts(&b, "\"all\":true");
        break;
    default:
        free(b.p);
        return fault_set(f, FAULT_INVALID, "selector",
                         "give one selector: rows, where, chunks or all");
    }
    if (sel->max_cost != NULL) {
        if (!wreceipt_is_amount(sel->max_cost)) {
            free(b.p);
            return fault_set(f, FAULT_INVALID, "max_cost",
                             "max_cost '%.40s' is not a whole number of "
                             "units", sel->max_cost);
        }
        textbuf_puts(&b, ",\"max_cost\":\"");
        textbuf_puts(&b, sel->max_cost);
        textbuf_puts(&b, "\"");
    }
    textbuf_puts(&b, "}");
    if (b.failed) {
        free(b.p);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    *out = b.p;
    *len = b.len;
    return 0;
}

/* Check that text is a data-set id ("0x" + 64 hex digits) and decode it
 * into id. */
static int worker_dataset_id(uint8_t id[32], const char *text,
                             struct fault *f)
{
    if (text == NULL || strlen(text) != 66 ||
        hex_decode_0x(id, 32, text, 66, "dataset", NULL) < 0) {
        memset(id, 0, 32);
        return fault_set(f, FAULT_INVALID, "dataset",
                         "'%.80s' is not a data-set id (0x and 64 hex "
                         "digits)", text != NULL ? text : "");
    }
    return 0;
}

/* ---- the handle ---------------------------------------------------------- */

int worker_open(struct worker **out, const char *url,
                const struct ethkey *key, const struct worker_options *opt,
                struct fault *f)
{
    struct worker *w;

    *out = NULL;
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (opt != NULL)
        w->opt = *opt;
    w->opt.cache_dir = NULL;
    w->opt.gateway_address = NULL;
    if (w->opt.parallel == 0)
        w->opt.parallel = WORKER_PARALLEL_DEFAULT;
    if (w->opt.parallel > WFETCH_PARALLEL_MAX) {
        free(w);
        return fault_set(f, FAULT_INVALID, "parallel",
                         "parallel must be 1 to %d", WFETCH_PARALLEL_MAX);
    }
    if (w->opt.window == 0)
        w->opt.window = w->opt.parallel + 2;
    if (w->opt.window < w->opt.parallel)
        w->opt.window = w->opt.parallel;
    if (api_init(&w->api, url, key, f) < 0 ||
        http_url_parse(&w->url, url, "gateway", f) < 0) {
        free(w);
        return -1;
    }
    if (w->opt.timeout_ms > 0)
        w->api.http.conn.timeout_ms = w->opt.timeout_ms;
    w->key = key;
    if (opt != NULL && opt->gateway_address != NULL) {
        if (ethaddr_parse(&w->gateway, opt->gateway_address,
                          strlen(opt->gateway_address), "gateway_address",
                          f) < 0) {
            free(w);
            return -1;
        }
        w->have_gateway = 1;
    }
    if (opt != NULL && opt->cache_dir != NULL) {
        w->cache_dir = strdup(opt->cache_dir);
        if (w->cache_dir == NULL) {
            free(w);
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        }
    }
    *out = w;
    return 0;
}

void worker_close(struct worker *w)
{
    if (w == NULL)
        return;
    api_close(&w->api);
    json_decref(w->view.doc);
    free(w->cache_dir);
    free(w);
}

/* Learn the gateway's address from GET /v1/chain (once). */
static int worker_gateway(struct worker *w, struct fault *f)
{
    struct api_call call;
    json_t *doc = NULL;
    const char *text;
    int status, rv = -1;

    if (w->have_gateway)
        return 0;
    memset(&call, 0, sizeof call);
    call.method = "GET";
    call.path = "/v1/chain";
    if (api_request(&w->api, &doc, &status, &call, f) < 0)
        return -1;
    text = json_string_value(json_object_get(doc, "gateway"));
    if (text == NULL) {
        fault_set(f, FAULT_CORRUPT, "gateway",
                  "the gateway's GET /v1/chain names no \"gateway\" key: "
                  "its receipts could not be checked");
        goto done;
    }
    if (ethaddr_parse(&w->gateway, text, strlen(text), "gateway", f) < 0) {
        fault_set(f, FAULT_CORRUPT, "gateway",
                  "the gateway's GET /v1/chain gives a malformed \"gateway\" "
                  "address");
        goto done;
    }
    w->have_gateway = 1;
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

/* Read data-set id's view into w->view (kept for the next query on it:
 * a published data-set does not change). */
static int worker_view(struct worker *w, const char *dataset, struct fault *f)
{
    struct worker_view *v = &w->view;
    struct http_response r;
    struct api_call call;
    char path[WORKER_PATH_MAX], lower[67];
    const char *state, *format;
    json_t *doc = NULL;
    size_t i;
    int status;

    for (i = 0; i < 66 && dataset[i] != '\0'; i++)
        lower[i] = (char)((dataset[i] >= 'A' && dataset[i] <= 'F')
                              ? dataset[i] - 'A' + 'a'
                              : dataset[i]);
    lower[i] = '\0';
    lower[1] = 'x';
    if (v->doc != NULL && strcmp(v->dataset, lower) == 0)
        return 0;
    json_decref(v->doc);
    memset(v, 0, sizeof *v);
    memset(&call, 0, sizeof call);
    snprintf(path, sizeof path, "/v1/datasets/%s", lower);
    call.method = "GET";
    call.path = path;
    /* Read past preview rows whose numbers jansson cannot hold. */
    if (api_exchange(&w->api, &r, &call, f) < 0)
        return -1;
    if (r.status != 200) {
        api_problem_fault(&r, f);
        http_response_clear(&r);
        return -1;
    }
    status = api_json_parse(&doc, r.body, r.body_len, "preview", f);
    http_response_clear(&r);
    if (status < 0)
        return -1;
    state = json_string_value(json_object_get(doc, "state"));
    format = json_string_value(json_object_get(doc, "format"));
    if (state == NULL || strcmp(state, "published") != 0) {
        json_decref(doc);
        return fault_set(f, FAULT_CONFLICT, "dataset",
                         "data-set %s is %s, not published: it cannot be "
                         "queried", lower, state != NULL ? state : "?");
    }
    v->columns = json_object_get(doc, "columns");
    if (format == NULL ||
        (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0 &&
         strcmp(format, "blob") != 0) ||
        !json_is_array(v->columns) ||
        worker_count(&v->rows, json_object_get(doc, "rows")) < 0 ||
        worker_count(&v->chunk_count, json_object_get(doc, "chunk_count")) <
            0) {
        json_decref(doc);
        memset(v, 0, sizeof *v);
        return fault_set(f, FAULT_CORRUPT, "dataset",
                         "the gateway's view of %s lacks its format, "
                         "columns, rows or chunk_count", lower);
    }
    for (i = 0; i < json_array_size(v->columns); i++) {
        const json_t *c = json_array_get(v->columns, i);
        if (json_string_value(json_object_get(c, "name")) == NULL ||
            json_string_value(json_object_get(c, "type")) == NULL) {
            json_decref(doc);
            memset(v, 0, sizeof *v);
            return fault_set(f, FAULT_CORRUPT, "dataset",
                             "the gateway's view of %s has a column without "
                             "a name or type", lower);
        }
    }
    v->fmt = strcmp(format, "csv") == 0     ? WROWS_CSV
             : strcmp(format, "jsonl") == 0 ? WROWS_JSONL
                                            : WROWS_BLOB;
    v->format = format;
    v->doc = doc;
    snprintf(v->dataset, sizeof v->dataset, "%s", lower);
    return 0;
}

/* Find column name among the view's columns: its position, or -1. */
static long worker_column(const json_t *columns, const char *name)
{
    size_t i;

    for (i = 0; i < json_array_size(columns); i++)
        if (strcmp(json_string_value(json_object_get(
                       json_array_get(columns, i), "name")),
                   name) == 0)
            return (long)i;
    return -1;
}

/* Check sel against the data-set's view before anything is asked. */
static int worker_check_select(const struct worker_view *v,
                               const struct worker_select *sel,
                               struct fault *f)
{
    char field[48];
    const char *type;
    size_t i;
    long col;

    if (v->fmt == WROWS_BLOB &&
        (sel->kind == WORKER_ROWS || sel->kind == WORKER_WHERE))
        return fault_set(f, FAULT_INVALID, "selector",
                         "a blob data-set has no rows: ask for chunks or "
                         "all");
    if (sel->kind == WORKER_WHERE) {
        for (i = 0; i < sel->nconds; i++) {
            const struct worker_cond *c = &sel->conds[i];
            snprintf(field, sizeof field, "where[%zu]", i);
            col = c->column != NULL ? worker_column(v->columns, c->column)
                                    : -1;
            if (col < 0)
                return fault_set(f, FAULT_INVALID, field,
                                 "the data-set has no column '%.60s'",
                                 c->column != NULL ? c->column : "");
            type = json_string_value(json_object_get(
                json_array_get(v->columns, (size_t)col), "type"));
            if (strcmp(type, "number") == 0 && !c->number)
                return fault_set(f, FAULT_INVALID, field,
                                 "column '%.60s' holds numbers: compare it "
                                 "with a number, not the text '%.40s'",
                                 c->column, c->value);
            if (strcmp(type, "number") != 0 && c->number)
                return fault_set(f, FAULT_INVALID, field,
                                 "column '%.60s' holds text: compare it "
                                 "with text (quote the value: %s=\"%.40s\")",
                                 c->column, c->column, c->value);
        }
    }
    if (sel->kind == WORKER_CHUNKS)
        for (i = 0; i < sel->nchunks; i++)
            if (sel->chunks[i] >= v->chunk_count) {
                snprintf(field, sizeof field, "chunks[%zu]", i);
                return fault_set(f, FAULT_INVALID, field,
                                 "chunk %llu does not exist: the data-set "
                                 "has %llu chunks",
                                 (unsigned long long)sel->chunks[i],
                                 (unsigned long long)v->chunk_count);
            }
    return 0;
}

/* Send sel's body to path, signed or not, and return the response. */
static int worker_send(struct worker *w, struct http_response *r,
                       const char *path, const struct worker_select *sel,
                       int sign, struct fault *f)
{
    struct api_call call;
    char *body = NULL;
    size_t len = 0;
    int rv;

    memset(r, 0, sizeof *r);
    if (worker_body(&body, &len, sel, f) < 0)
        return -1;
    memset(&call, 0, sizeof call);
    call.method = "POST";
    call.path = path;
    call.body = (const uint8_t *)body;
    call.body_len = len;
    call.content_type = "application/json";
    call.sign = sign;
    rv = api_exchange(&w->api, r, &call, f);
    free(body);
    return rv;
}

/* Parse the body of r as a JSON object. */
static json_t *worker_parse(const struct http_response *r, struct fault *f)
{
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)r->body, r->body_len,
                             JSON_REJECT_DUPLICATES, &jerr);

    if (doc == NULL || !json_is_object(doc)) {
        json_decref(doc);
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the gateway's answer (HTTP %d) is not a JSON object",
                  r->status);
        return NULL;
    }
    return doc;
}

int worker_quote(struct worker *w, json_t **quote, const char *dataset,
                 const struct worker_select *sel, int sign, struct fault *f)
{
    struct http_response r;
    char path[WORKER_PATH_MAX];
    uint8_t id[32];
    int rv = -1;

    *quote = NULL;
    if (worker_dataset_id(id, dataset, f) < 0)
        return -1;
    if (sign && w->key == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "a signed quote needs a "
                                                  "key");
    snprintf(path, sizeof path, "/v1/datasets/%s/quote", dataset);
    if (worker_send(w, &r, path, sel, sign, f) < 0)
        return -1;
    if (r.status != 200) {
        api_problem_fault(&r, f);
        goto done;
    }
    *quote = worker_parse(&r, f);
    if (*quote == NULL)
        goto done;
    rv = 0;
done:
    http_response_clear(&r);
    return rv;
}

/* ---- queries ------------------------------------------------------------ */

void worker_refusal_clear(struct worker_refusal *r)
{
    json_decref(r->doc);
    memset(r, 0, sizeof *r);
}

/* Fill no from a 402 or a max-cost 409. */
static int worker_refusal(struct worker_refusal *no,
                          const struct http_response *r, struct fault *f)
{
    const char *retry = http_response_header(r, "Retry-After");
    json_t *doc = worker_parse(r, f);
    long secs;

    memset(no, 0, sizeof *no);
    if (doc == NULL)
        return -1;
    no->status = r->status;
    no->doc = doc;
    no->quote = json_object_get(doc, "quote");
    no->payment = json_object_get(doc, "payment");
    no->balance = json_string_value(json_object_get(doc, "balance"));
    if (!json_is_object(no->quote) ||
        (r->status == 402 && !json_is_object(no->payment))) {
        worker_refusal_clear(no);
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the gateway's %d answer lacks its quote%s",
                         r->status, r->status == 402 ? " or payment" : "");
    }
    if (!json_is_object(no->payment))
        no->payment = NULL;
    if (retry != NULL) {
        secs = strtol(retry, NULL, 10);
        no->retry_after = secs < 0 ? 0 : secs > 3600 ? 3600 : (unsigned)secs;
    }
    return 0;
}

/* Is r a 409 whose problem type is max-cost? */
static int worker_is_max_cost(const struct http_response *r)
{
    json_t *doc;
    const char *type;
    int yes = 0;
    size_t n;

    if (r->status != 409)
        return 0;
    doc = json_loadb((const char *)r->body, r->body_len, 0, NULL);
    type = json_string_value(json_object_get(doc, "type"));
    n = type != NULL ? strlen(type) : 0;
    yes = n >= 9 && strcmp(type + n - 9, ":max-cost") == 0;
    json_decref(doc);
    return yes;
}

/* Copy sel's conditions into q as wrows conditions over view v. */
static int worker_query_conds(struct worker_query *q,
                              const struct worker_view *v,
                              const struct worker_select *sel,
                              struct fault *f)
{
    size_t i, total = 0, off = 0, nl, vl;
    long col;

    q->kind = sel->kind;
    q->from = sel->from;
    q->to = sel->to;
    if (sel->kind != WORKER_WHERE)
        return 0;
    for (i = 0; i < sel->nconds; i++)
        total += strlen(sel->conds[i].column) + strlen(sel->conds[i].value) +
                 2;
    q->conds = calloc(sel->nconds, sizeof *q->conds);
    q->cond_text = malloc(total + 1);
    if (q->conds == NULL || q->cond_text == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    q->nconds = sel->nconds;
    for (i = 0; i < sel->nconds; i++) {
        const struct worker_cond *c = &sel->conds[i];
        struct wrows_cond *d = &q->conds[i];
        nl = strlen(c->column);
        vl = strlen(c->value);
        col = worker_column(v->columns, c->column);
        d->col = col >= 0 ? (size_t)col : 0;
        d->name = q->cond_text + off;
        memcpy(q->cond_text + off, c->column, nl + 1);
        d->name_len = nl;
        off += nl + 1;
        d->value = q->cond_text + off;
        memcpy(q->cond_text + off, c->value, vl + 1);
        d->value_len = vl;
        off += vl + 1;
        d->op = worker_wrows_op(c->op);
        d->number = c->number;
    }
    return wrows_filter_init(&q->filter, v->fmt, q->conds, q->nconds, f);
}

static int worker_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Check that the chunks the answer lists are those sel needs. */
static int worker_check_cover(const struct worker_query *q,
                              const struct worker_view *v,
                              const struct worker_select *sel,
                              struct fault *f)
{
    uint64_t *want = NULL, end;
    size_t i, n = 0;
    int rv = -1;

    switch (sel->kind) {
    case WORKER_ALL:
        if (q->n != v->chunk_count)
            return fault_set(f, FAULT_CORRUPT, "chunks",
                             "the answer lists %zu chunks, not the "
                             "data-set's %llu", q->n,
                             (unsigned long long)v->chunk_count);
        for (i = 0; i < q->n; i++)
            if (q->chunks[i].index != i)
                return fault_set(f, FAULT_CORRUPT, "chunks",
                                 "the answer lacks chunk %zu", i);
        return 0;
    case WORKER_CHUNKS:
        if (sel->nchunks > 0) {
            want = malloc(sel->nchunks * sizeof *want);
            if (want == NULL)
                return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            memcpy(want, sel->chunks, sel->nchunks * sizeof *want);
            qsort(want, sel->nchunks, sizeof *want, worker_cmp_u64);
            for (i = 0; i < sel->nchunks; i++)
                if (n == 0 || want[n - 1] != want[i])
                    want[n++] = want[i];
        }
        if (n != q->n)
            goto mismatch;
        for (i = 0; i < n; i++)
            if (want[i] != q->chunks[i].index)
                goto mismatch;
        rv = 0;
        goto done;
    mismatch:
        fault_set(f, FAULT_CORRUPT, "chunks",
                  "the answer lists %zu chunks, not the %zu asked for", q->n,
                  n);
        goto done;
    case WORKER_ROWS:
        end = sel->to < v->rows ? sel->to : v->rows;
        if (sel->from >= end) {
            if (q->n != 0)
                return fault_set(f, FAULT_CORRUPT, "chunks",
                                 "the answer lists chunks for an empty "
                                 "range");
            return 0;
        }
        if (q->n == 0 || q->chunks[0].first_row > sel->from ||
            q->chunks[q->n - 1].first_row + q->chunks[q->n - 1].rows < end)
            return fault_set(f, FAULT_CORRUPT, "chunks",
                             "the answer's chunks do not cover rows %llu to "
                             "%llu",
                             (unsigned long long)sel->from,
                             (unsigned long long)end);
        for (i = 1; i < q->n; i++)
            if (q->chunks[i].first_row !=
                q->chunks[i - 1].first_row + q->chunks[i - 1].rows)
                return fault_set(f, FAULT_CORRUPT, "chunks",
                                 "the answer skips rows between chunks "
                                 "%llu and %llu",
                                 (unsigned long long)q->chunks[i - 1].index,
                                 (unsigned long long)q->chunks[i].index);
        return 0;
    case WORKER_WHERE:
        return 0;
    }
done:
    free(want);
    return rv;
}

/* Read the answer's chunks into q->chunks and items (urls copied). */
static int worker_read_chunks(struct worker_query *q, const json_t *list,
                              struct wfetch_item *items, struct fault *f)
{
    const json_t *c;
    const char *oid, *url;
    char field[48];
    uint64_t idx, fr = 0, rows = 0, plain, stored;
    size_t i;

    for (i = 0; i < q->n; i++) {
        c = json_array_get(list, i);
        snprintf(field, sizeof field, "chunks[%zu]", i);
        oid = json_string_value(json_object_get(c, "object_id"));
        url = json_string_value(json_object_get(c, "url"));
        if (!json_is_object(c) ||
            worker_count(&idx, json_object_get(c, "index")) < 0 ||
            oid == NULL || !objstore_id_valid(oid) || url == NULL ||
            url[0] == '\0' || strlen(url) > 2048 ||
            worker_count(&plain, json_object_get(c, "plain_bytes")) < 0 ||
            worker_count(&stored, json_object_get(c, "stored_bytes")) < 0)
            return fault_set(f, FAULT_CORRUPT, field,
                             "the answer's %s is malformed (index, "
                             "object_id, url, plain_bytes, stored_bytes)",
                             field);
        if (plain > CHUNKOBJ_MAX_PLAIN || stored < CHUNKOBJ_OVERHEAD ||
            stored > plain + CHUNKOBJ_OVERHEAD)
            return fault_set(f, FAULT_CORRUPT, field,
                             "the answer's %s has impossible sizes (%llu "
                             "plain, %llu stored)", field,
                             (unsigned long long)plain,
                             (unsigned long long)stored);
        if (q->fmt == WROWS_BLOB) {
            if (!json_is_null(json_object_get(c, "first_row")) ||
                !json_is_null(json_object_get(c, "rows")))
                return fault_set(f, FAULT_CORRUPT, field,
                                 "a blob's chunk has rows in the answer");
        } else if (worker_count(&fr, json_object_get(c, "first_row")) < 0 ||
                   worker_count(&rows, json_object_get(c, "rows")) < 0 ||
                   rows == 0) {
            return fault_set(f, FAULT_CORRUPT, field,
                             "the answer's %s lacks first_row or rows",
                             field);
        }
        if (i > 0 && (idx <= q->chunks[i - 1].index ||
                      (q->fmt != WROWS_BLOB &&
                       fr < q->chunks[i - 1].first_row +
                                q->chunks[i - 1].rows)))
            return fault_set(f, FAULT_CORRUPT, field,
                             "the answer's chunks are not in ascending "
                             "order");
        q->chunks[i].index = idx;
        q->chunks[i].first_row = fr;
        q->chunks[i].rows = rows;
        q->chunks[i].plain_bytes = plain;
        items[i].index = idx;
        memcpy(items[i].object_id, oid, 65);
        if (hex_decode(items[i].digest, 32, oid, 64, NULL, NULL) < 0)
            return fault_set(f, FAULT_CORRUPT, field, "bad object_id");
        items[i].url = strdup(url);
        if (items[i].url == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        items[i].stored_bytes = stored;
        items[i].plain_bytes = plain;
        q->rel.rows += rows;
        q->rel.plain_bytes += plain;
        q->rel.stored_bytes += stored;
    }
    return 0;
}

/* Unwrap the answer's keys into items (one per chunk, the same indexes). */
static int worker_unwrap(struct worker_query *q, const json_t *keys,
                         const uint8_t dataset_id[32],
                         const uint8_t query_id[16],
                         struct wfetch_item *items, struct fault *f)
{
    struct keywrap_entry *e = NULL;
    struct keywrap wrap;
    size_t n = 0, i;
    int rv = -1;

    memset(&wrap, 0, sizeof wrap);
    if (keywrap_from_json(&wrap, keys, f) < 0) {
        f->kind = FAULT_CORRUPT;
        goto done;
    }
    if (keywrap_open(&e, &n, &wrap, q->w->key->secret, dataset_id, query_id,
                     f) < 0) {
        fault_set(f, FAULT_CORRUPT, "keys",
                  "the chunk keys do not open with this worker's key (they "
                  "were wrapped for another key, another query or damaged)");
        goto done;
    }
    if (n != q->n) {
        fault_set(f, FAULT_CORRUPT, "keys",
                  "the answer wraps %zu keys for %zu chunks", n, q->n);
        goto done;
    }
    for (i = 0; i < n; i++) {
        if (e[i].index != items[i].index) {
            fault_set(f, FAULT_CORRUPT, "keys",
                      "the wrapped key %zu is for chunk %llu, not %llu", i,
                      (unsigned long long)e[i].index,
                      (unsigned long long)items[i].index);
            goto done;
        }
        memcpy(items[i].ck, e[i].ck, 32);
    }
    rv = 0;
done:
    keywrap_entries_free(e, n);
    keywrap_clear(&wrap);
    return rv;
}

/* Take up answer (a 200 to sel on the data-set of w->view) into a new
 * query, checking it all; start its downloads. */
static int worker_accept(struct worker *w, struct worker_query **out,
                         const struct worker_select *sel, json_t *answer,
                         uint64_t skip, struct fault *f)
{
    struct worker_view *v = &w->view;
    struct wfetch_item *items = NULL;
    struct wfetch_config cfg;
    struct wreceipt_expect ex;
    struct wreceipt_fields fl;
    struct worker_query *q;
    const json_t *list;
    const char *qid;
    uint64_t *idx = NULL;
    size_t i;

    *out = NULL;
    q = calloc(1, sizeof *q);
    if (q == NULL) {
        json_decref(answer);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    q->w = w;
    q->answer = answer;
    q->view = json_incref(v->doc);
    q->fmt = v->fmt;
    q->rel.format = v->format;
    q->rel.answer = answer;
    memset(&ex, 0, sizeof ex);
    if (worker_query_conds(q, v, sel, f) < 0)
        goto fail;
    qid = json_string_value(json_object_get(answer, "query_id"));
    q->rel.cost = json_string_value(json_object_get(answer, "cost"));
    q->rel.balance_after =
        json_string_value(json_object_get(answer, "balance_after"));
    list = json_object_get(answer, "chunks");
    if (qid == NULL || strlen(qid) != 34 ||
        hex_decode_0x(ex.query_id, 16, qid, 34, NULL, NULL) < 0 ||
        !wreceipt_is_amount(q->rel.cost) ||
        !wreceipt_is_amount(q->rel.balance_after) || !json_is_array(list) ||
        !json_is_array(json_object_get(answer, "columns")) ||
        json_array_size(list) > WORKER_CHUNKS_MAX * 100) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "the gateway's answer lacks a well-formed query_id, cost, "
                  "balance_after, columns or chunks");
        goto fail;
    }
    if (hex_encode_0x(q->rel.query_id, sizeof q->rel.query_id, ex.query_id,
                      16) < 0)
        goto oom;
    q->n = json_array_size(list);
    q->rel.nchunks = q->n;
    q->chunks = calloc(q->n > 0 ? q->n : 1, sizeof *q->chunks);
    items = calloc(q->n > 0 ? q->n : 1, sizeof *items);
    idx = calloc(q->n > 0 ? q->n : 1, sizeof *idx);
    if (q->chunks == NULL || items == NULL || idx == NULL)
        goto oom;
    if (worker_read_chunks(q, list, items, f) < 0 ||
        worker_check_cover(q, v, sel, f) < 0)
        goto fail;
    if (hex_decode_0x(ex.dataset_id, 32, v->dataset, 66, NULL, NULL) < 0)
        goto oom;
    for (i = 0; i < q->n; i++)
        idx[i] = q->chunks[i].index;
    ex.gateway = w->gateway;
    ex.worker = w->key->addr;
    ex.chunks = idx;
    ex.nchunks = q->n;
    ex.cost = q->rel.cost;
    ex.balance_after = q->rel.balance_after;
    q->rel.receipt = json_object_get(answer, "receipt");
    if (wreceipt_check(&fl, q->rel.receipt, &ex, f) < 0)
        goto fail;
    q->rel.receipt_index = fl.index;
    ethaddr_to_text(q->rel.gateway, &w->gateway);
    if (worker_unwrap(q, json_object_get(answer, "keys"), ex.dataset_id,
                      ex.query_id, items, f) < 0)
        goto fail;
    if (skip > q->n) {
        fault_set(f, FAULT_INVALID, "skip",
                  "the answer has %zu chunks, not %llu to skip", q->n,
                  (unsigned long long)skip);
        goto fail;
    }
    /* The chunks read before are not fetched again: drop their items. */
    for (i = 0; i < skip; i++) {
        q->skipped_bytes += items[i].stored_bytes;
        free(items[i].url);
        secret_wipe(items[i].ck, 32);
    }
    memmove(items, items + skip, (q->n - skip) * sizeof *items);
    memset(items + (q->n - skip), 0, (size_t)skip * sizeof *items);
    q->cur = (size_t)skip;
    q->skip = (size_t)skip;
    memset(&cfg, 0, sizeof cfg);
    cfg.gateway = w->url;
    cfg.cache_dir = w->cache_dir;
    /* A pack's places follow the items from the first chunk on. */
    cfg.pack_name = w->opt.cache_pack && skip == 0 ? q->rel.query_id : NULL;
    cfg.cache_read_only = w->opt.cache_read_only;
    cfg.parallel = w->opt.parallel;
    cfg.window = w->opt.window;
    cfg.timeout_ms = w->opt.timeout_ms;
    memcpy(cfg.dataset_id, ex.dataset_id, 32);
    /* wfetch takes items over, whatever happens. */
    i = q->n;
    q->n = 0;
    if (wfetch_start(&q->fetch, items, i - (size_t)skip, &cfg, f) < 0) {
        items = NULL;
        goto fail;
    }
    items = NULL;
    q->n = i;
    free(idx);
    *out = q;
    return 0;
oom:
    fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
fail:
    if (items != NULL) {
        for (i = 0; i < q->n; i++) {
            free(items[i].url);
            secret_wipe(items[i].ck, 32);
        }
        free(items);
    }
    free(idx);
    worker_query_free(q);
    return -1;
}

int worker_query(struct worker *w, struct worker_query **q,
                 struct worker_refusal *no, const char *dataset,
                 const struct worker_select *sel, struct fault *f)
{
    struct http_response r;
    char path[WORKER_PATH_MAX];
    uint8_t id[32];
    json_t *doc;
    int rv = -1;

    *q = NULL;
    memset(no, 0, sizeof *no);
    memset(&r, 0, sizeof r);
    if (w->key == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "a query needs a key");
    if (worker_dataset_id(id, dataset, f) < 0 || worker_gateway(w, f) < 0 ||
        worker_view(w, dataset, f) < 0 ||
        worker_check_select(&w->view, sel, f) < 0)
        return -1;
    snprintf(path, sizeof path, "/v1/datasets/%s/queries", w->view.dataset);
    if (worker_send(w, &r, path, sel, 1, f) < 0)
        return -1;
    if (r.status == 200) {
        doc = worker_parse(&r, f);
        if (doc != NULL && worker_accept(w, q, sel, doc, 0, f) == 0)
            rv = WORKER_RELEASED;
    } else if (r.status == 402) {
        if (worker_refusal(no, &r, f) == 0)
            rv = WORKER_PAYMENT_REQUIRED;
    } else if (worker_is_max_cost(&r)) {
        if (worker_refusal(no, &r, f) == 0)
            rv = WORKER_OVER_MAX_COST;
    } else {
        api_problem_fault(&r, f);
    }
    http_response_clear(&r);
    return rv;
}

int worker_query_load(struct worker *w, struct worker_query **q,
                      const char *dataset, const struct worker_select *sel,
                      const json_t *answer, struct fault *f)
{
    return worker_query_load_from(w, q, dataset, sel, answer, 0, f);
}

int worker_query_load_from(struct worker *w, struct worker_query **q,
                           const char *dataset,
                           const struct worker_select *sel,
                           const json_t *answer, uint64_t skip,
                           struct fault *f)
{
    uint8_t id[32];

    *q = NULL;
    if (w->key == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "a query needs a key");
    if (!json_is_object(answer))
        return fault_set(f, FAULT_INVALID, "answer",
                         "the saved answer is not a JSON object");
    if (worker_dataset_id(id, dataset, f) < 0 || worker_gateway(w, f) < 0 ||
        worker_view(w, dataset, f) < 0 ||
        worker_check_select(&w->view, sel, f) < 0)
        return -1;
    return worker_accept(w, q, sel, json_deep_copy(answer), skip, f);
}

const struct worker_release *worker_query_release(const struct worker_query *q)
{
    return &q->rel;
}

int worker_header(const struct worker_query *q, char **out, size_t *len,
                  const char *eol, struct fault *f)
{
    struct textbuf b = TEXTBUF_INIT;
    const json_t *cols = json_object_get(q->view, "columns");
    const char *name;
    size_t i;

    *out = NULL;
    *len = 0;
    textbuf_puts(&b, "");
    if (q->fmt == WROWS_CSV) {
        for (i = 0; i < json_array_size(cols); i++) {
            name = json_string_value(
                json_object_get(json_array_get(cols, i), "name"));
            if (i > 0)
                textbuf_puts(&b, ",");
            if (strpbrk(name, ",\"\r\n") != NULL) {
                const char *p;
                textbuf_puts(&b, "\"");
                for (p = name; *p != '\0'; p++)
                    textbuf_put(&b, *p == '"' ? "\"\"" : p,
                               *p == '"' ? 2 : 1);
                textbuf_puts(&b, "\"");
            } else {
                textbuf_puts(&b, name);
            }
        }
        textbuf_puts(&b, eol);
    }
    if (b.failed) {
        free(b.p);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    *out = b.p;
    *len = b.len;
    return 0;
}

/* Let go of the chunk being read (wfetch lent it: the next take gives it
 * back, and wfetch_stop wipes it). */
static void worker_release_plain(struct worker_query *q)
{
    q->plain = NULL;
    q->plain_len = 0;
    q->have_plain = 0;
    q->pos = 0;
    q->row_k = 0;
    q->blob_given = 0;
}

static int worker_fail(struct worker_query *q, struct fault *f)
{
    q->failed = 1;
    q->fault = *f;
    worker_release_plain(q);
    return -1;
}

/* Is row number k (of the chunk being read, whose record is
 * content[0..len)) one the query asked for? 1, 0, or -1 with f set. */
static int worker_keep(struct worker_query *q, uint64_t number,
                       const uint8_t *content, size_t len, struct fault *f)
{
    switch (q->kind) {
    case WORKER_ROWS:
        return number >= q->from && number < q->to;
    case WORKER_WHERE:
        return wrows_match(&q->filter, content, len, f);
    case WORKER_CHUNKS:
    case WORKER_ALL:
        return 1;
    }
    return 0;
}

/* Yield the next run of at most max rows that lie one after another in
 * the chunk being read, all of them asked for (max 1: one row). */
static int worker_step(struct worker_query *q, struct worker_row *row,
                       uint64_t max, uint64_t *count, struct fault *f)
{
    const struct worker_chunk *c;
    struct wrows_row wr;
    struct wfetch_stats st;
    uint64_t got = 0, nrows;
    size_t eol;
    int r, keep;

    memset(row, 0, sizeof *row);
    *count = 0;
    if (q->failed) {
        *f = q->fault;
        return -1;
    }
    for (;;) {
        if (!q->have_plain) {
            r = wfetch_take(q->fetch, &q->plain, &q->plain_len, f);
            if (r == 0)
                return 0;
            if (r < 0)
                return worker_fail(q, f);
            q->have_plain = 1;
            q->stats.chunks++;
            if (q->w->opt.progress != NULL) {
                wfetch_stats(q->fetch, &st);
                q->w->opt.progress(q->w->opt.progress_arg,
                                   q->skipped_bytes + st.bytes,
                                   q->rel.stored_bytes);
            }
        }
        c = &q->chunks[q->cur];
        if (q->fmt == WROWS_BLOB) {
            if (!q->blob_given && q->plain_len > 0) {
                q->blob_given = 1;
                row->data = q->plain;
                row->len = q->plain_len;
                row->chunk = c->index;
                row->eol = "";
                q->stats.bytes_out += q->plain_len;
                *count = 1;
                return 1;
            }
            worker_release_plain(q);
            q->cur++;
            continue;
        }
        /* Every row of a chunk asked for, and the chunk simple: all of
         * it is one run, its rows counted at once. */
        if (max == UINT64_MAX && got == 0 && q->pos == 0 &&
            q->row_k == 0 &&
            (q->kind == WORKER_ALL || q->kind == WORKER_CHUNKS) &&
            wrows_count_simple(q->fmt, q->plain, q->plain_len, &nrows,
                               &eol) == 1 &&
            nrows == c->rows) {
            row->data = q->plain;
            row->len = q->plain_len;
            row->number = c->first_row;
            row->chunk = c->index;
            row->eol = eol == 2 ? "\r\n" : eol == 1 ? "\n" : "";
            q->pos = q->plain_len;
            q->row_k = nrows;
            q->stats.rows += nrows;
            q->stats.rows_out += nrows;
            q->stats.bytes_out += q->plain_len;
            *count = nrows;
            return 1;
        }
        r = wrows_next(&wr, q->fmt, q->plain, q->plain_len, q->pos, f);
        if (r < 0) {
            char d[FAULT_DETAIL_MAX];
            snprintf(d, sizeof d, "%s", f->detail);
            fault_set(f, FAULT_CORRUPT, NULL, "chunk %llu, row %llu: %s",
                      (unsigned long long)c->index,
                      (unsigned long long)(c->first_row + q->row_k), d);
            return worker_fail(q, f);
        }
        if (r == 0) {
            if (got > 0)
                return 1; /* the run ends with the chunk */
            if (q->row_k != c->rows) {
                fault_set(f, FAULT_CORRUPT, NULL,
                          "chunk %llu holds %llu rows, not the %llu the "
                          "answer says",
                          (unsigned long long)c->index,
                          (unsigned long long)q->row_k,
                          (unsigned long long)c->rows);
                return worker_fail(q, f);
            }
            worker_release_plain(q);
            q->cur++;
            continue;
        }
        keep = worker_keep(q, c->first_row + q->row_k, q->plain + wr.off,
                           wr.content, f);
        if (keep < 0) {
            char d[FAULT_DETAIL_MAX];
            snprintf(d, sizeof d, "%s", f->detail);
            fault_set(f, FAULT_CORRUPT, NULL, "chunk %llu, row %llu: %s",
                      (unsigned long long)c->index,
                      (unsigned long long)(c->first_row + q->row_k), d);
            return worker_fail(q, f);
        }
        if (!keep) {
            q->pos = wr.off + wr.len;
            q->row_k++;
            q->stats.rows++;
            if (got > 0)
                return 1; /* the run ends before a row left out */
            continue;
        }
        if (got == 0) {
            row->data = q->plain + wr.off;
            row->number = c->first_row + q->row_k;
            row->chunk = c->index;
            row->eol = wr.eol == 2 ? "\r\n" : wr.eol == 1 ? "\n" : "";
        }
        row->len = (size_t)(q->plain + wr.off + wr.len - row->data);
        q->pos = wr.off + wr.len;
        q->row_k++;
        q->stats.rows++;
        q->stats.rows_out++;
        q->stats.bytes_out += wr.len;
        got++;
        *count = got;
        if (got >= max)
            return 1;
    }
}

/* ---- whole chunks, handed over as they open ------------------------------ */

struct worker_sink {
    struct worker_query *q;
    size_t first;            /* the answer's position of wfetch's item 0 */
    size_t from;             /* the first position handed over */
    uint64_t *off;           /* of position from + i, from that chunk on */
    worker_chunk_fn fn;
    void *arg;
    pthread_mutex_t mu;      /* guards stats */
    struct worker_stats stats;
};

/* Count the rows of a whole chunk, and check that they lie end to end
 * from its first byte to its last (as ingest cuts them: wrows_next skips
 * blank lines only at the start of a damaged chunk). Returns 0 with *rows
 * and *eol (the first row's line end) set, or -1 with f set. */
static int worker_whole_rows(enum wrows_format fmt, const uint8_t *p,
                             size_t len, uint64_t *rows, const char **eol,
                             struct fault *f)
{
    struct wrows_row wr;
    size_t pos = 0, e;
    int r;

    *rows = 0;
    *eol = "";
    if (fmt == WROWS_BLOB)
        return 0;
    if (wrows_count_simple(fmt, p, len, rows, &e) == 1) {
        *eol = e == 2 ? "\r\n" : e == 1 ? "\n" : "";
        return 0;
    }
    while (pos < len && (r = wrows_next(&wr, fmt, p, len, pos, f)) != 0) {
        if (r < 0)
            return -1;
        if (wr.off != pos)
            return fault_set(f, FAULT_CORRUPT, NULL,
                             "bytes %zu to %zu lie outside its rows", pos,
                             wr.off);
        if (*rows == 0)
            *eol = wr.eol == 2 ? "\r\n" : wr.eol == 1 ? "\n" : "";
        (*rows)++;
        pos = wr.off + wr.len;
    }
    if (pos != len)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "bytes %zu to %zu lie outside its rows", pos, len);
    return 0;
}

/* wfetch's sink: check item k's chunk and hand it to the caller. */
static int worker_sink_one(void *arg, size_t k, const uint8_t *p, size_t n,
                           struct fault *f)
{
    struct worker_sink *sk = arg;
    struct worker_query *q = sk->q;
    size_t pos = sk->first + k;
    const struct worker_chunk *c = &q->chunks[pos];
    struct worker_chunk_out out;
    uint64_t rows;
    const char *eol;

    if (worker_whole_rows(q->fmt, p, n, &rows, &eol, f) < 0) {
        char d[FAULT_DETAIL_MAX];
        snprintf(d, sizeof d, "%s", f->detail);
        return fault_set(f, FAULT_CORRUPT, NULL, "chunk %llu: %s",
                         (unsigned long long)c->index, d);
    }
    if (q->fmt != WROWS_BLOB && rows != c->rows)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "chunk %llu holds %llu rows, not the %llu the "
                         "answer says",
                         (unsigned long long)c->index,
                         (unsigned long long)rows,
                         (unsigned long long)c->rows);
    memset(&out, 0, sizeof out);
    out.pos = pos;
    out.index = c->index;
    out.off = sk->off[pos - sk->from];
    out.data = p;
    out.len = n;
    out.rows = rows;
    out.eol = eol;
    if (sk->fn(sk->arg, &out, f) < 0)
        return -1;
    pthread_mutex_lock(&sk->mu);
    sk->stats.chunks++;
    sk->stats.rows += rows;
    sk->stats.rows_out += rows;
    sk->stats.bytes_out += n;
    /* One call at a time, under the lock, as worker_progress_fn says. */
    if (q->w->opt.progress != NULL) {
        struct wfetch_stats st;

        wfetch_stats(q->fetch, &st);
        q->w->opt.progress(q->w->opt.progress_arg,
                           q->skipped_bytes + st.bytes, q->rel.stored_bytes);
    }
    pthread_mutex_unlock(&sk->mu);
    return 0;
}

int worker_query_chunks(struct worker_query *q, worker_chunk_fn fn,
                        void *arg, struct fault *f)
{
    struct worker_sink sk;
    size_t i;
    int rv;

    if (q->failed) {
        *f = q->fault;
        return -1;
    }
    if (q->kind != WORKER_ALL && q->kind != WORKER_CHUNKS)
        return fault_set(f, FAULT_INVALID, "select",
                         "only a query of whole chunks (all, chunks) can "
                         "hand them over whole");
    /* The chunk being read must be done with: nothing of it is left. */
    if (q->have_plain) {
        if (q->fmt == WROWS_BLOB ? !q->blob_given && q->plain_len > 0
                                 : q->pos != q->plain_len)
            return fault_set(f, FAULT_INVALID, "select",
                             "a chunk is read in part: read on with "
                             "worker_next");
        worker_release_plain(q);
        q->cur++;
    }
    memset(&sk, 0, sizeof sk);
    sk.q = q;
    sk.first = q->skip;
    sk.from = q->cur;
    sk.fn = fn;
    sk.arg = arg;
    sk.off = calloc(q->n - q->cur + 1, sizeof *sk.off);
    if (sk.off == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    for (i = q->cur; i < q->n; i++)
        sk.off[i - q->cur + 1] = sk.off[i - q->cur] + q->chunks[i].plain_bytes;
    pthread_mutex_init(&sk.mu, NULL);
    rv = wfetch_sink(q->fetch, worker_sink_one, &sk, f);
    pthread_mutex_destroy(&sk.mu);
    free(sk.off);
    q->stats.chunks += sk.stats.chunks;
    q->stats.rows += sk.stats.rows;
    q->stats.rows_out += sk.stats.rows_out;
    q->stats.bytes_out += sk.stats.bytes_out;
    if (rv < 0)
        return worker_fail(q, f);
    q->cur = q->n;
    return 0;
}

int worker_next(struct worker_query *q, struct worker_row *row,
                struct fault *f)
{
    uint64_t n;

    return worker_step(q, row, 1, &n, f);
}

int worker_next_run(struct worker_query *q, struct worker_row *run,
                    uint64_t *rows, struct fault *f)
{
    return worker_step(q, run, UINT64_MAX, rows, f);
}

uint64_t worker_query_chunks_done(const struct worker_query *q)
{
    /* Rows are yielded from chunks[cur] only: those before it are done. */
    return q->cur;
}

void worker_query_stats(struct worker_query *q, struct worker_stats *out)
{
    struct wfetch_stats st;

    *out = q->stats;
    if (q->fetch != NULL) {
        wfetch_stats(q->fetch, &st);
        out->objects_cached = st.from_cache;
        out->fetched_bytes = st.fetched_bytes;
        out->retries = st.retries;
    }
}

void worker_query_free(struct worker_query *q)
{
    if (q == NULL)
        return;
    wfetch_stop(q->fetch);
    worker_release_plain(q);
    wrows_filter_free(&q->filter);
    free(q->conds);
    free(q->cond_text);
    free(q->chunks);
    json_decref(q->answer);
    json_decref(q->view);
    free(q);
}
