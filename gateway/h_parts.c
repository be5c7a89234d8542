/*
 * PUT /v1/datasets/{id}/parts/{n}: part n of a resumable upload, raw
 *     bytes, replaceable until publish; 200 {"n", "bytes", "sha256"}.
 * GET /v1/datasets/{id}/parts: {"parts": [...]}, owner only.
 */
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/datasets_view.h"
#include "gateway/routes.h"
#include "lib/hex.h"
#include "storage/parts.h"

#define H_PARTS_MAX 100000

static int h_part_number(struct gw_ctx *c, uint64_t *n)
{
    const char *t = c->match.params[1];
    char *end;
    unsigned long long v;

    if (t[0] < '1' || t[0] > '9' || strlen(t) > 6)
        return fault_set(&c->fault, FAULT_INVALID, "n",
                         "the part number must be an integer from 1 to %d",
                         H_PARTS_MAX);
    v = strtoull(t, &end, 10);
    if (*end != '\0' || v > H_PARTS_MAX)
        return fault_set(&c->fault, FAULT_INVALID, "n",
                         "the part number must be an integer from 1 to %d",
                         H_PARTS_MAX);
    *n = v;
    return 0;
}

static json_t *h_part_json(const struct parts_entry *e)
{
    char sha[67];

    if (hex_encode_0x(sha, sizeof sha, e->sha256, 32) < 0)
        return NULL;
    return json_pack("{s:I, s:I, s:s}", "n", (json_int_t)e->n, "bytes",
                     (json_int_t)e->bytes, "sha256", sha);
}

int h_part_put(struct gw_ctx *c)
{
    struct catalog_dataset d;
    struct parts_entry e;
    const uint8_t *data;

    memset(&e, 0, sizeof e);
    if (datasets_view_load(c, &d, c->match.params[0], 1) < 0 ||
        h_part_number(c, &e.n) < 0)
        return -1;
    if (d.state == CATALOG_PUBLISHED || d.state == CATALOG_PUBLISHING)
        return fault_set(&c->fault, FAULT_CONFLICT, "state",
                         "the data-set is %s: its content can no longer "
                         "change", catalog_state_name(d.state));
    /* The file is written (and fsynced) under its content name first; the
     * row that points at it commits with the nonce below. */
    data = c->body_len ? evbuffer_pullup(c->body_buf, -1) : NULL;
    if (c->body_len > 0 && data == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    if (parts_write_file(c->gw->store, e.sha256, d.id,
                         data ? data : (const uint8_t *)"", c->body_len,
                         &c->fault) < 0)
        return -1;
    e.bytes = c->body_len;
    e.received_at = (int64_t)time(NULL);
    if (gw_begin(c) < 0 ||
        parts_record(c->gw->store, d.id, &e, &c->fault) < 0 ||
        (d.state == CATALOG_DRAFT &&
         catalog_set_state(c->gw->store->db, d.id, CATALOG_UPLOADING, NULL,
                           &c->fault) < 0))
        return -1;
    return gw_reply_json(c, 200, h_part_json(&e), NULL);
}

int h_part_list(struct gw_ctx *c)
{
    struct catalog_dataset d;
    struct parts_entry *e = NULL;
    size_t n = 0, i;
    json_t *list;

    if (datasets_view_load(c, &d, c->match.params[0], 1) < 0 ||
        parts_list(c->gw->store, &e, &n, d.id, &c->fault) < 0)
        return -1;
    list = json_array();
    for (i = 0; list != NULL && i < n; i++)
        json_array_append_new(list, h_part_json(&e[i]));
    free(e);
    if (list == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    return gw_reply_json(c, 200, json_pack("{s:o}", "parts", list), NULL);
}
