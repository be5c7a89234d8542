#include "gateway/datasets_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/viewcache.h"
#include "lib/hex.h"
#include "pricing/ledger.h"
#include "pricing/plan.h"
#include "storage/catgen.h"

int datasets_view_is_owner(const struct gw_ctx *c,
                           const struct catalog_dataset *d)
{
    return c->is_signed && d->owner[0] != '\0' &&
           strcmp(c->signer_text, d->owner) == 0;
}

int datasets_view_load(struct gw_ctx *c, struct catalog_dataset *d,
                       const char *id_text, int owner_only)
{
    uint8_t id[CATALOG_ID_LEN];
    int owner;

    if (hex_decode_0x(id, sizeof id, id_text, strlen(id_text), "id",
                      &c->fault) < 0)
        return -1;
    if (catalog_get_dataset(c->gw->store, d, id, &c->fault) < 0) {
        if (c->fault.kind == FAULT_NOT_FOUND)
            fault_set(&c->fault, FAULT_NOT_FOUND, "id", "no such data-set");
        return -1;
    }
    owner = datasets_view_is_owner(c, d);
    if (!owner && d->state != CATALOG_PUBLISHED)
        return fault_set(&c->fault, FAULT_NOT_FOUND, "id", "no such data-set");
    if (owner_only && !owner)
        return fault_set(&c->fault, FAULT_FORBIDDEN, "id",
                         "only the data-set's owner may do this");
    return 0;
}

json_t *datasets_view_chunk(const struct catalog_chunk *ch)
{
    char url[128];

    snprintf(url, sizeof url, "/v1/objects/%s", ch->object_id);
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:I, s:I}", "index",
                     (json_int_t)ch->index, "object_id", ch->object_id, "url",
                     url, "first_row",
                     ch->has_rows ? json_integer((json_int_t)ch->first_row)
                                  : json_null(),
                     "rows",
                     ch->has_rows ? json_integer((json_int_t)ch->rows)
                                  : json_null(),
                     "plain_bytes", (json_int_t)ch->plain_bytes,
                     "stored_bytes", (json_int_t)ch->stored_bytes);
}

static json_t *datasets_view_price(const struct catalog_meta *m)
{
    struct plan p;
    struct fault f;

    if (m->price == NULL ||
        plan_from_text(&p, m->price, strlen(m->price), &f) < 0)
        return json_null();
    return plan_to_json(&p);
}

static int datasets_view_price_step(void *arg, int64_t at, const char *price,
                                    struct fault *f)
{
    struct plan p;
    json_t *plan = json_null();

    if (price != NULL) {
        if (plan_from_text(&p, price, strlen(price), f) < 0)
            return -1;
        plan = plan_to_json(&p);
    }
    if (plan == NULL ||
        json_array_append_new(arg, json_pack("{s:I, s:o}", "at",
                                             (json_int_t)at, "price", plan)) <
            0)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    return 0;
}

/* The last prices the data-set has had, oldest first: a change applies
 * to later queries only, and a buyer can see when it came. */
static json_t *datasets_view_price_history(struct gw_ctx *c,
                                           const struct catalog_dataset *d)
{
    json_t *a = json_array();

    if (a == NULL)
        return NULL;
    if (catalog_each_price(c->gw->store, d->id, DATASETS_VIEW_PRICES,
                           datasets_view_price_step, a, &c->fault) < 0) {
        json_decref(a);
        return NULL;
    }
    return a;
}

json_t *datasets_view_columns(struct gw_ctx *c,
                              const struct catalog_dataset *d)
{
    struct catalog_column *cols = NULL;
    size_t n = 0, i;
    json_t *a = json_array();

    if (a == NULL ||
        catalog_get_columns(c->gw->store, &cols, &n, d->id, &c->fault) < 0) {
        json_decref(a);
        return NULL;
    }
    for (i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "name", cols[i].name,
                                           "type",
                                           cols[i].is_number ? "number"
                                                             : "text"));
    catalog_columns_free(cols, n);
    return a;
}

char *datasets_view_render(struct gw_ctx *c, const struct catalog_dataset *d,
                           int with_preview)
{
    struct catalog_meta m;
    char id[2 * CATALOG_ID_LEN + 3], root[67], up[160];
    json_t *doc = NULL, *tags, *chunking, *cols, *hist;
    char *text = NULL, *preview = NULL, *out = NULL;
    size_t i, tlen, plen;

    if (catalog_get_meta(c->gw->store, &m, d->id, &c->fault) < 0)
        return NULL;
    if (hex_encode_0x(id, sizeof id, d->id, CATALOG_ID_LEN) < 0 ||
        hex_encode_0x(root, sizeof root, d->content_root, 32) < 0)
        goto oom;
    tags = json_array();
    for (i = 0; tags != NULL && i < m.ntags; i++)
        json_array_append_new(tags, json_string(m.tags[i]));
    chunking = d->chunk_rows
                   ? json_pack("{s:I}", "rows", (json_int_t)d->chunk_rows)
                   : json_pack("{s:I}", "bytes", (json_int_t)d->chunk_bytes);
    doc = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:{s:I, s:I},"
                    " s:o, s:b, s:o, s:I, s:I}",
                    "id", id, "name", d->name, "description",
                    m.description ? m.description : "", "format",
                    catalog_format_name(d->format), "tags",
                    tags ? tags : json_array(), "license",
                    m.license ? m.license : "", "owner",
                    d->owner[0] ? json_string(d->owner) : json_null(),
                    "state", catalog_state_name(d->state), "progress",
                    "done", (json_int_t)d->progress_done, "total",
                    (json_int_t)d->progress_total, "price",
                    datasets_view_price(&m), "listed", m.listed, "chunking",
                    chunking ? chunking : json_null(), "preview_rows",
                    (json_int_t)d->preview_rows, "created_at",
                    (json_int_t)d->created_at);
    if (doc == NULL)
        goto oom;
    hist = datasets_view_price_history(c, d);
    if (hist == NULL)
        goto fail;
    json_object_set_new(doc, "price_history", hist);
    snprintf(up, sizeof up, "/v1/datasets/%s/parts/{n}", id);
    json_object_set_new(doc, "upload_url", json_string(up));
    if (d->state == CATALOG_FAILED)
        json_object_set_new(doc, "reason", json_string(d->reason));
    if (d->state == CATALOG_PUBLISHED) {
        cols = datasets_view_columns(c, d);
        if (cols == NULL)
            goto fail;
        json_object_set_new(doc, "columns", cols);
        json_object_set_new(doc, "rows", json_integer((json_int_t)d->rows));
        json_object_set_new(doc, "chunk_count",
                            json_integer((json_int_t)d->chunk_count));
        json_object_set_new(doc, "plain_bytes",
                            json_integer((json_int_t)d->plain_bytes));
        json_object_set_new(doc, "stored_bytes",
                            json_integer((json_int_t)d->stored_bytes));
        json_object_set_new(doc, "content_root", json_string(root));
        json_object_set_new(doc, "published_at",
                            json_integer((json_int_t)d->published_at));
    }
    text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    if (text == NULL)
        goto oom;
    if (!with_preview || d->state != CATALOG_PUBLISHED) {
        out = text;
        text = NULL;
        goto done;
    }
    /* The preview is stored as JSON text whose numbers must keep their
     * exact digits: splice it in rather than parse it. */
    if (catalog_get_preview(c->gw->store, &preview, d->id, &c->fault) < 0)
        goto fail;
    tlen = strlen(text);
    plen = strlen(preview);
    out = malloc(tlen + plen + 16);
    if (out == NULL)
        goto oom;
    memcpy(out, text, tlen - 1); /* without the closing brace */
    memcpy(out + tlen - 1, ",\"preview\":", 11);
    memcpy(out + tlen + 10, preview, plen);
    memcpy(out + tlen + 10 + plen, "}", 2);
    goto done;
oom:
    fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
fail:
    free(out);
    out = NULL;
done:
    free(text);
    free(preview);
    json_decref(doc);
    catalog_meta_clear(&m);
    return out;
}

int datasets_view_reply(struct gw_ctx *c, int status,
                        const struct catalog_dataset *d, const char *location)
{
    char *text = datasets_view_render(c, d, 1);
    int rv;

    if (text == NULL)
        return -1;
    rv = gw_reply_bytes(c, status, "application/json", location,
                        (const uint8_t *)text, strlen(text));
    free(text);
    return rv;
}

int datasets_view_serve(struct gw_ctx *c, const char *id_text)
{
    uint8_t id[CATALOG_ID_LEN];
    struct catalog_dataset d;
    struct fault ignored;
    const char *cached;
    char *text;
    size_t len;
    /* Taken before anything is read: a change that commits after this
     * moves it, so what is rendered below is never filed as newer than
     * it is. */
    uint64_t gen = catgen_current();
    int rv;

    if (hex_decode_0x(id, sizeof id, id_text, strlen(id_text), "id",
                      &ignored) == 0) {
        cached = viewcache_get(c->gw->views, &len, id, gen);
        if (cached != NULL)
            return gw_reply_bytes(c, 200, "application/json", NULL,
                                  (const uint8_t *)cached, len);
    }
    if (datasets_view_load(c, &d, id_text, 0) < 0)
        return -1;
    text = datasets_view_render(c, &d, 1);
    if (text == NULL)
        return -1;
    len = strlen(text);
    /* Only what every reader may see, and never rows of a transaction
     * that may yet roll back. */
    if (d.state == CATALOG_PUBLISHED && !c->in_tx &&
        !ledger_in_unit(c->gw->ledger))
        viewcache_put(c->gw->views, d.id, gen, text, len);
    rv = gw_reply_bytes(c, 200, "application/json", NULL,
                        (const uint8_t *)text, len);
    free(text);
    return rv;
}
