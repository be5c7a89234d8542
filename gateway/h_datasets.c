/*
 * The owner's routes and the catalogue (DESIGN.md 3.9):
 *   POST   /v1/datasets              create a draft (the signer owns it)
 *   GET    /v1/datasets              the catalogue: search, tag, sort, pages
 *   GET    /v1/datasets/{id}         one data-set (drafts: owner only)
 *   DELETE /v1/datasets/{id}         unlist
 *   PUT    /v1/datasets/{id}/price   set the plan (published too)
 *   POST   /v1/datasets/{id}/publish ingest the parts on a worker
 */
#include <event2/buffer.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/datasets_view.h"
#include "gateway/publisher.h"
#include "gateway/routes.h"
#include "lib/ethaddr.h"
#include "lib/hex.h"
#include "lib/jsonv.h"
#include "pricing/plan.h"
#include "storage/drafts.h"
#include "storage/parts.h"

#define H_NAME_MAX 200
#define H_DESCRIPTION_MAX 4000
#define H_LICENSE_MAX 200
#define H_TAGS_MAX 16
#define H_TAG_MAX 32

/* The plan's cheapest step in wei, to sort the catalogue by price. */
static double h_price_key(const struct plan *p)
{
    double unit = strtod(p->unit_wei, NULL);

    if (p->kind == PLAN_PASS)
        return (double)p->price * unit;
    return (double)(p->per_query + p->per_chunk) * unit;
}

static int h_store_price(struct gw_ctx *c, const uint8_t id[CATALOG_ID_LEN],
                         const json_t *j, const char *path)
{
    struct plan p;
    char *text = NULL;
    int rv;

    if (plan_from_json(&p, j, path, &c->fault) < 0 ||
        plan_to_text(&text, &p, &c->fault) < 0)
        return -1;
    rv = catalog_set_price(c->gw->store, id, text, h_price_key(&p),
                           &c->fault);
    free(text);
    return rv;
}

static int h_chunking(struct gw_ctx *c, struct store_dataset_spec *spec,
                      const json_t *body)
{
    static const char *const keys[] = {"bytes", "rows", NULL};
    const json_t *ch = json_object_get(body, "chunking");
    int has_bytes, has_rows;

    spec->chunk_bytes = c->gw->opt->chunk_bytes;
    if (ch == NULL)
        return 0;
    if (jsonv_check_keys(ch, keys, "chunking", &c->fault) < 0 ||
        jsonv_get_uint(&spec->chunk_bytes, &has_bytes, ch, "bytes", 0, 4096,
                       (uint64_t)512 << 20, "chunking", &c->fault) < 0 ||
        jsonv_get_uint(&spec->chunk_rows, &has_rows, ch, "rows", 0, 1,
                       10000000, "chunking", &c->fault) < 0)
        return -1;
    if (has_bytes == has_rows)
        return fault_set(&c->fault, FAULT_INVALID, "chunking",
                         "chunking takes exactly one of bytes or rows");
    if (has_rows && spec->format == SPLITTER_BLOB)
        return fault_set(&c->fault, FAULT_INVALID, "chunking.rows",
                         "a blob data-set has no rows to chunk by");
    if (has_rows)
        spec->chunk_bytes = c->gw->opt->chunk_bytes;
    return 0;
}

/* Check a label (a name, a tag) shown to others: no control, invisible
 * or reordering character (jsonv_check_text), then trim the white space
 * around it into out (cap bytes); an empty result is refused. Returns 0,
 * or -1 with c->fault naming field. */
static int h_label(struct gw_ctx *c, char *out, size_t cap, const char *raw,
                   const char *field)
{
    size_t off, n, len = strlen(raw);

    if (jsonv_check_text(raw, len, JSONV_TEXT_LABEL, field, &c->fault) < 0)
        return -1;
    jsonv_trim_space(&off, &n, raw, len);
    if (n == 0)
        return fault_set(&c->fault, FAULT_INVALID, field,
                         "%s may not be empty or only white space", field);
    if (n >= cap)
        return fault_set(&c->fault, FAULT_INVALID, field, "%s is too long",
                         field);
    memcpy(out, raw + off, n);
    out[n] = '\0';
    return 0;
}

/* Check and trim the tags into bufs; tags[i] then points at bufs[i]. A
 * tag that trims to an earlier one is a repeat. */
static int h_tags(struct gw_ctx *c, const char **tags,
                  char (*bufs)[H_TAG_MAX + 1], size_t ntags)
{
    char field[32];
    size_t i, j;

    for (i = 0; i < ntags; i++) {
        snprintf(field, sizeof field, "tags[%zu]", i);
        if (h_label(c, bufs[i], H_TAG_MAX + 1, tags[i], field) < 0)
            return -1;
        for (j = 0; j < i; j++)
            if (strcmp(bufs[j], bufs[i]) == 0)
                return fault_set(&c->fault, FAULT_INVALID, field,
                                 "%s repeats tags[%zu] once white space is "
                                 "trimmed", field, j);
        tags[i] = bufs[i];
    }
    return 0;
}

/* Refuse a new data-set when its signer already holds
 * max_drafts_per_owner that are not published: 429, with Retry-After
 * when its oldest abandoned one would expire. */
static int h_draft_quota(struct gw_ctx *c)
{
    const struct gateway_options *o = c->gw->opt;
    struct drafts_usage u;
    int64_t wait = 60, now = (int64_t)time(NULL);
    char retry[24];

    if (o->max_drafts_per_owner == 0) /* no limit (options made by hand) */
        return 0;
    if (drafts_usage(c->gw->store, &u, c->signer_text, NULL, 0,
                     &c->fault) < 0)
        return -1;
    if (u.drafts < o->max_drafts_per_owner)
        return 0;
    if (u.oldest_activity > 0 && o->draft_ttl_s > 0) {
        wait = u.oldest_activity + (int64_t)o->draft_ttl_s - now + 1;
        if (wait < 1)
            wait = 1;
        if (wait > (int64_t)o->draft_ttl_s + 1)
            wait = (int64_t)o->draft_ttl_s + 1;
    }
    snprintf(retry, sizeof retry, "%lld", (long long)wait);
    if (c->req != NULL)
        evhttp_add_header(evhttp_request_get_output_headers(c->req),
                          "Retry-After", retry);
    return fault_set(&c->fault, FAULT_RATE_LIMITED, "max_drafts_per_owner",
                     "%s holds %llu data-sets that are not published, the "
                     "most one address may (max_drafts_per_owner): publish "
                     "one, or retry once an abandoned one expires (in %lld "
                     "s)",
                     c->signer_text, (unsigned long long)u.drafts,
                     (long long)wait);
}

int h_dataset_create(struct gw_ctx *c)
{
    static const char *const keys[] = {"name", "format", "description",
                                       "tags", "license", "chunking",
                                       "preview_rows", "price", NULL};
    const char *tags[H_TAGS_MAX];
    char tagbuf[H_TAGS_MAX][H_TAG_MAX + 1], namebuf[H_NAME_MAX + 1];
    struct store_dataset_spec spec;
    struct catalog_meta meta;
    struct catalog_dataset d;
    const char *name, *format, *desc, *license;
    uint8_t id[CATALOG_ID_LEN];
    char location[128], id_hex[2 * CATALOG_ID_LEN + 3];
    json_t *body = NULL;
    size_t ntags = 0;
    int present, rv = -1;

    memset(&spec, 0, sizeof spec);
    memset(&meta, 0, sizeof meta);
    if (jsonv_parse_object(&body, c->body, c->body_len, &c->fault) < 0 ||
        jsonv_check_keys(body, keys, "", &c->fault) < 0 ||
        jsonv_get_string(&name, body, "name", 1, H_NAME_MAX, "", &c->fault) < 0 ||
        jsonv_get_string(&format, body, "format", 1, 8, "", &c->fault) < 0 ||
        jsonv_get_string(&desc, body, "description", 0, H_DESCRIPTION_MAX, "",
                         &c->fault) < 0 ||
        jsonv_get_string(&license, body, "license", 0, H_LICENSE_MAX, "",
                         &c->fault) < 0 ||
        jsonv_get_string_array(tags, H_TAGS_MAX, &ntags, body, "tags", 0,
                               H_TAG_MAX, "", &c->fault) < 0 ||
        jsonv_get_uint(&spec.preview_rows, &present, body, "preview_rows", 0,
                       0, 100, "", &c->fault) < 0)
        goto done;
    if (h_label(c, namebuf, sizeof namebuf, name, "name") < 0 ||
        h_tags(c, tags, tagbuf, ntags) < 0 ||
        (desc != NULL && jsonv_check_text(desc, strlen(desc), JSONV_TEXT_PROSE,
                                          "description", &c->fault) < 0) ||
        (license != NULL &&
         jsonv_check_text(license, strlen(license), JSONV_TEXT_PROSE,
                          "license", &c->fault) < 0))
        goto done;
    name = namebuf;
    if (catalog_format_parse(&spec.format, format, "format", &c->fault) < 0)
        goto done;
    if (!present)
        spec.preview_rows = c->gw->opt->preview_rows;
    if (h_chunking(c, &spec, body) < 0)
        goto done;
    spec.name = name;
    spec.owner = c->signer_text;
    spec.zlib_level = c->gw->opt->zlib_level;
    if (gw_begin(c) < 0 || h_draft_quota(c) < 0 ||
        store_create_dataset(c->gw->store, id, &spec, CATALOG_DRAFT,
                             &c->fault) < 0)
        goto done;
    meta.description = (char *)(uintptr_t)(desc ? desc : "");
    meta.license = (char *)(uintptr_t)(license ? license : "");
    meta.tags = (char **)(uintptr_t)tags;
    meta.ntags = ntags;
    meta.listed = 1;
    if (catalog_put_meta(c->gw->store, id, &meta, &c->fault) < 0)
        goto done;
    if (json_object_get(body, "price") != NULL &&
        h_store_price(c, id, json_object_get(body, "price"), "price") < 0)
        goto done;
    if (catalog_get_dataset(c->gw->store, &d, id, &c->fault) < 0 ||
        hex_encode_0x(id_hex, sizeof id_hex, id, sizeof id) < 0)
        goto done;
    snprintf(location, sizeof location, "/v1/datasets/%s", id_hex);
    rv = datasets_view_reply(c, 201, &d, location);
done:
    json_decref(body);
    return rv;
}

int h_dataset_get(struct gw_ctx *c)
{
    return datasets_view_serve(c, c->match.params[0]);
}

int h_dataset_delete(struct gw_ctx *c)
{
    struct catalog_dataset d;

    if (datasets_view_load(c, &d, c->match.params[0], 1) < 0 ||
        gw_begin(c) < 0 ||
        catalog_set_listed(c->gw->store, d.id, 0, &c->fault) < 0)
        return -1;
    return gw_reply_empty(c, 204);
}

int h_dataset_price(struct gw_ctx *c)
{
    struct catalog_dataset d;
    json_t *body = NULL;
    int rv = -1;

    if (datasets_view_load(c, &d, c->match.params[0], 1) < 0 ||
        jsonv_parse_object(&body, c->body, c->body_len, &c->fault) < 0 ||
        gw_begin(c) < 0 || h_store_price(c, d.id, body, "") < 0)
        goto done;
    rv = datasets_view_reply(c, 200, &d, NULL);
done:
    json_decref(body);
    return rv;
}

/* Once "publishing" is committed, a worker (another connection) may see
 * it: hand it the data-set. */
static void h_publish_submit(struct gw_ctx *c)
{
    uint8_t id[CATALOG_ID_LEN];
    struct fault f, f2;
    const char *text = c->match.params[0];

    if (hex_decode_0x(id, sizeof id, text, strlen(text), "id", &f) < 0)
        return;
    if (publisher_submit(c->gw->publisher, id, &f) < 0 &&
        catalog_set_state(c->gw->store, id, CATALOG_FAILED, f.detail,
                          &f2) < 0)
        fault_clear(&f2);
}

int h_dataset_publish(struct gw_ctx *c)
{
    static const char *const keys[] = {NULL};
    struct parts_entry *parts = NULL;
    struct catalog_meta meta;
    struct catalog_dataset d;
    json_t *body = NULL;
    uint64_t total = 0;
    size_t n = 0, i;
    int rv = -1;

    memset(&meta, 0, sizeof meta);
    if (datasets_view_load(c, &d, c->match.params[0], 1) < 0)
        goto done;
    if (c->body_len > 0 &&
        (jsonv_parse_object(&body, c->body, c->body_len, &c->fault) < 0 ||
         jsonv_check_keys(body, keys, "", &c->fault) < 0))
        goto done;
    if (d.state == CATALOG_PUBLISHED || d.state == CATALOG_PUBLISHING) {
        fault_set(&c->fault, FAULT_CONFLICT, "state",
                  "the data-set is already %s", catalog_state_name(d.state));
        goto done;
    }
    if (catalog_get_meta(c->gw->store, &meta, d.id, &c->fault) < 0)
        goto done;
    if (meta.price == NULL) {
        fault_set(&c->fault, FAULT_CONFLICT, "price",
                  "set a price plan before publishing");
        goto done;
    }
    if (parts_list(c->gw->store, &parts, &n, d.id, &c->fault) < 0)
        goto done;
    if (n == 0) {
        fault_set(&c->fault, FAULT_CONFLICT, "parts",
                  "upload at least part 1 before publishing");
        goto done;
    }
    for (i = 0; i < n; i++) {
        if (parts[i].n != i + 1) {
            fault_set(&c->fault, FAULT_CONFLICT, "parts",
                      "part %zu is missing: parts must be 1 to %llu with no "
                      "gap", i + 1, (unsigned long long)parts[n - 1].n);
            goto done;
        }
        total += parts[i].bytes;
    }
    /* The list is recorded with the state: the publisher ingests exactly
     * these parts, and a part write finishing later sees "publishing" in
     * its own transaction and is refused (h_parts.c). */
    if (gw_begin(c) < 0 ||
        catalog_set_state(c->gw->store, d.id, CATALOG_PUBLISHING, NULL,
                          &c->fault) < 0 ||
        parts_record_published(c->gw->store, d.id, parts, n, &c->fault) < 0 ||
        catalog_set_progress(c->gw->store, d.id, 0, total, &c->fault) < 0)
        goto done;
    d.state = CATALOG_PUBLISHING;
    d.progress_done = 0;
    d.progress_total = total;
    d.reason[0] = '\0';
    if (datasets_view_reply(c, 202, &d, NULL) < 0)
        goto done;
    gw_after_commit(c, h_publish_submit);
    rv = 0;
done:
    free(parts);
    catalog_meta_clear(&meta);
    json_decref(body);
    return rv;
}

/* The cursor is opaque to clients: hex of "<sort>\n<key>\n<id hex>". */
static int h_cursor_encode(char *out, size_t cap, int sort, const char *key,
                           const uint8_t id[CATALOG_ID_LEN])
{
    char plain[512], idh[2 * CATALOG_ID_LEN + 1];
    int n;

    if (hex_encode(idh, sizeof idh, id, CATALOG_ID_LEN) < 0)
        return -1;
    n = snprintf(plain, sizeof plain, "%d\n%s\n%s", sort, key, idh);
    if (n < 0 || (size_t)n >= sizeof plain)
        return -1;
    return hex_encode(out, cap, (const uint8_t *)plain, (size_t)n);
}

/* Is key the text h_dataset_list writes for sort (keys of other shapes
 * would page from nowhere: an empty page)? */
static int h_cursor_key_ok(int sort, const char *key)
{
    char again[64];
    char *end;
    double d;
    long long ll;
    unsigned long long ull;

    switch ((enum catalog_sort)sort) {
    case CATALOG_SORT_NAME:
        return 1; /* any name (a line break included) */
    case CATALOG_SORT_PRICE:
        d = strtod(key, &end);
        if (end == key || *end != '\0' || !isfinite(d))
            return 0;
        snprintf(again, sizeof again, "%.17g", d);
        return strcmp(again, key) == 0;
    case CATALOG_SORT_SIZE:
        if (key[0] < '0' || key[0] > '9')
            return 0;
        ull = strtoull(key, &end, 10);
        if (*end != '\0')
            return 0;
        snprintf(again, sizeof again, "%llu", ull);
        return strcmp(again, key) == 0;
    case CATALOG_SORT_NEWEST:
        if (key[0] != '-' && (key[0] < '0' || key[0] > '9'))
            return 0;
        ll = strtoll(key, &end, 10);
        if (*end != '\0')
            return 0;
        snprintf(again, sizeof again, "%lld", ll);
        return strcmp(again, key) == 0;
    }
    return 0;
}

/* Read a cursor: exactly what h_cursor_encode wrote for this sort, or 400
 * naming "cursor" (never an empty page for a cursor this server did not
 * give out). */
static int h_cursor_decode(struct gw_ctx *c, struct catalog_query *q,
                           char *keybuf, size_t keycap, const char *text)
{
    uint8_t plain[512];
    char again[1100], sort_text[16];
    size_t len = 0, tl = strlen(text);
    char *nl1, *nl2;
    int sort = (int)q->sort;

    snprintf(sort_text, sizeof sort_text, "%d\n", sort);
    if (tl % 2 != 0 || tl / 2 >= sizeof plain ||
        hex_decode(plain, tl / 2, text, tl, "cursor", &c->fault) < 0)
        return fault_set(&c->fault, FAULT_INVALID, "cursor",
                         "cursor is not one this server gave out");
    len = tl / 2;
    plain[len] = '\0';
    /* The key may hold line breaks (a name can): it runs from the first
     * line break to the last, before the id. */
    nl1 = strchr((char *)plain, '\n');
    nl2 = strrchr((char *)plain, '\n');
    if (memchr(plain, '\0', len) != NULL || nl1 == NULL || nl2 == nl1 ||
        strncmp((char *)plain, sort_text, strlen(sort_text)) != 0 ||
        strlen(nl2 + 1) != 2 * CATALOG_ID_LEN ||
        (size_t)(nl2 - nl1 - 1) >= keycap ||
        hex_decode(q->after_id, CATALOG_ID_LEN, nl2 + 1, 2 * CATALOG_ID_LEN,
                   "cursor", &c->fault) < 0)
        return fault_set(&c->fault, FAULT_INVALID, "cursor",
                         "cursor is not one this server gave out (or belongs "
                         "to another sort)");
    memcpy(keybuf, nl1 + 1, (size_t)(nl2 - nl1 - 1));
    keybuf[nl2 - nl1 - 1] = '\0';
    /* Only the very text this server writes: its own hex, its own
     * numbers. */
    if (!h_cursor_key_ok(sort, keybuf) ||
        h_cursor_encode(again, sizeof again, sort, keybuf, q->after_id) < 0 ||
        strcmp(again, text) != 0)
        return fault_set(&c->fault, FAULT_INVALID, "cursor",
                         "cursor is not one this server gave out");
    q->has_after = 1;
    q->after_text = keybuf;
    q->after_num = strtod(keybuf, NULL);
    return 0;
}

int h_dataset_list(struct gw_ctx *c)
{
    static const char *const sorts[] = {"newest", "name", "price", "size"};
    struct catalog_query q;
    struct catalog_dataset d;
    struct catalog_meta m;
    uint8_t (*ids)[CATALOG_ID_LEN] = NULL;
    char qtext[256], tag[64], sort[16], limit[16], cursor[1100], key[300];
    char owner[64];
    struct ethaddr owner_addr;
    char next[1100];
    struct evbuffer *out = NULL;
    size_t n = 0, i, shown;
    unsigned long lim = 20;
    char *endp;
    int rv = -1, s, has_cursor;

    memset(&q, 0, sizeof q);
    memset(&m, 0, sizeof m);
    if (gw_query_param(c, qtext, sizeof qtext, "q") < 0 ||
        gw_query_param(c, tag, sizeof tag, "tag") < 0 ||
        gw_query_param(c, sort, sizeof sort, "sort") < 0 ||
        gw_query_param(c, limit, sizeof limit, "limit") < 0 ||
        gw_query_param(c, owner, sizeof owner, "owner") < 0 ||
        (has_cursor = gw_query_param(c, cursor, sizeof cursor, "cursor")) < 0)
        return -1;
    /* Given but empty (or %00): not a cursor this server gave out. The
     * first page is asked for without one. */
    if (has_cursor && cursor[0] == '\0')
        return fault_set(&c->fault, FAULT_INVALID, "cursor",
                         "cursor may not be empty: leave it out to get the "
                         "first page");
    q.q = qtext[0] ? qtext : NULL;
    q.tag = tag[0] ? tag : NULL;
    /* Owners are stored as EIP-55 text: any case is taken, the stored form
     * is compared. */
    if (owner[0] != '\0') {
        if (ethaddr_parse(&owner_addr, owner, strlen(owner), "owner",
                          &c->fault) < 0)
            return -1;
        ethaddr_to_text(owner, &owner_addr);
        q.owner = owner;
    }
    q.sort = CATALOG_SORT_NEWEST;
    if (sort[0] != '\0') {
        for (s = 0; s < 4 && strcmp(sort, sorts[s]) != 0; s++)
            ;
        if (s == 4)
            return fault_set(&c->fault, FAULT_INVALID, "sort",
                             "sort must be one of newest, name, price, size");
        q.sort = (enum catalog_sort)s;
    }
    if (limit[0] != '\0') {
        lim = strtoul(limit, &endp, 10);
        if (limit[0] < '1' || limit[0] > '9' || *endp != '\0' || lim > 100)
            return fault_set(&c->fault, FAULT_INVALID, "limit",
                             "limit must be an integer from 1 to 100");
    }
    q.limit = lim;
    if (cursor[0] != '\0' &&
        h_cursor_decode(c, &q, key, sizeof key, cursor) < 0)
        return -1;
    if (catalog_list(c->gw->store, &ids, &n, &q, &c->fault) < 0)
        return -1;
    out = evbuffer_new();
    if (out == NULL) {
        fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    shown = n > q.limit ? q.limit : n;
    evbuffer_add_printf(out, "{\"items\":[");
    for (i = 0; i < shown; i++) {
        char *text;
        if (catalog_get_dataset(c->gw->store, &d, ids[i], &c->fault) < 0)
            goto done;
        text = datasets_view_render(c, &d, 0);
        if (text == NULL)
            goto done;
        evbuffer_add_printf(out, "%s%s", i ? "," : "", text);
        free(text);
    }
    if (n > q.limit) {
        /* Resume after the last shown item. */
        if (q.sort == CATALOG_SORT_NAME) {
            snprintf(key, sizeof key, "%s", d.name);
        } else if (q.sort == CATALOG_SORT_PRICE) {
            if (catalog_get_meta(c->gw->store, &m, d.id, &c->fault) < 0)
                goto done;
            snprintf(key, sizeof key, "%.17g", m.price ? m.price_key : 0.0);
        } else if (q.sort == CATALOG_SORT_SIZE) {
            snprintf(key, sizeof key, "%llu",
                     (unsigned long long)d.plain_bytes);
        } else {
            snprintf(key, sizeof key, "%lld", (long long)d.published_at);
        }
        if (h_cursor_encode(next, sizeof next, (int)q.sort, key, d.id) < 0) {
            fault_set(&c->fault, FAULT_INTERNAL, NULL, "cursor");
            goto done;
        }
        evbuffer_add_printf(out, "],\"next_cursor\":\"%s\"}", next);
    } else {
        evbuffer_add_printf(out, "],\"next_cursor\":null}");
    }
    rv = gw_reply_bytes(c, 200, "application/json", NULL,
                        evbuffer_pullup(out, -1), evbuffer_get_length(out));
done:
    if (out != NULL)
        evbuffer_free(out);
    catalog_meta_clear(&m);
    free(ids);
    return rv;
}
