/*
 * PUT /v1/datasets/{id}/parts/{n}: part n of a resumable upload, raw
 *     bytes, replaceable until publish; 200 {"n", "bytes", "sha256"}.
 * GET /v1/datasets/{id}/parts: {"parts": [...]}, owner only; once publish
 *     is accepted, the parts it took.
 */
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "gateway/datasets_view.h"
#include "gateway/routes.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "pricing/ledger.h"
#include "storage/drafts.h"
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

/* Refuse a part of `bytes` bytes as part n of d when the owner's drafts
 * would then hold more bytes of parts than max_upload_bytes_per_owner
 * (the part it replaces does not count). 413 naming the setting. */
static int h_part_quota(struct gw_ctx *c, const struct catalog_dataset *d,
                        uint64_t n, uint64_t bytes)
{
    uint64_t limit = c->gw->opt->max_upload_bytes_per_owner;
    struct drafts_usage u;

    if (limit == 0) /* no limit (options made by hand) */
        return 0;
    if (drafts_usage(c->gw->store, &u, d->owner, d->id, n, &c->fault) < 0)
        return -1;
    if (u.bytes <= limit && bytes <= limit - u.bytes)
        return 0;
    return fault_set(&c->fault, FAULT_TOO_LARGE, "max_upload_bytes_per_owner",
                     "the data-sets of %s that are not published hold %llu "
                     "bytes of parts besides this one; %llu more would pass "
                     "the limit of %llu bytes (max_upload_bytes_per_owner): "
                     "publish one, or wait for abandoned drafts to expire",
                     d->owner, (unsigned long long)u.bytes,
                     (unsigned long long)bytes, (unsigned long long)limit);
}

struct h_part_state {
    struct catalog_dataset d;
    struct parts_entry e;
};

/* On an offload thread: write and fsync the part under its content name. */
static void h_part_write(struct gw_ctx *c)
{
    struct h_part_state *ps = c->work_state;
    struct evbuffer_iovec *v = NULL;
    struct iovec *iov = NULL;
    int n, i;

    n = evbuffer_peek(c->owned_body, -1, NULL, NULL, 0);
    if (n > 0) {
        v = calloc((size_t)n, sizeof *v);
        iov = calloc((size_t)n, sizeof *iov);
        if (v == NULL || iov == NULL ||
            evbuffer_peek(c->owned_body, -1, NULL, v, n) != n) {
            fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
        for (i = 0; i < n; i++) {
            iov[i].iov_base = v[i].iov_base;
            iov[i].iov_len = v[i].iov_len;
        }
    }
    /* A failure is left in c->fault for h_part_finish to answer. */
    if (parts_write_file_iov(c->gw->store, ps->d.id, c->body_sha256, iov,
                             n > 0 ? n : 0, &c->fault) < 0)
        goto done;
done:
    free(v);
    free(iov);
}

/* Back on the loop: record the part with the nonce, and answer.
 *
 * The state is read again inside the transaction that records the part.
 * Publish runs on this loop and this database handle (in a group commit),
 * so it either ran before this transaction, and the part is refused (409),
 * or runs after it, and its list of parts holds this one: a part is never
 * acknowledged once publish has been accepted. That holds even when the
 * write failed meanwhile (the publisher may have cleared the folder). */
static int h_part_finish(struct gw_ctx *c)
{
    struct h_part_state *ps = c->work_state;
    struct store *st = c->gw->store;
    struct catalog_dataset now;
    struct parts_entry old;
    struct fault wrote = c->fault, why;
    int had_old = 0, rv = -1;

    fault_clear(&c->fault);
    if (gw_begin(c) < 0)
        goto done;
    if (catalog_get_dataset(st, &now, ps->d.id, &c->fault) < 0) {
        if (c->fault.kind == FAULT_NOT_FOUND)
            fault_set(&c->fault, FAULT_NOT_FOUND, "id", "no such data-set");
        goto done;
    }
    if (now.state == CATALOG_PUBLISHED || now.state == CATALOG_PUBLISHING) {
        fault_set(&c->fault, FAULT_CONFLICT, "state",
                  "the data-set is %s: its content can no longer change",
                  catalog_state_name(now.state));
        goto done;
    }
    if (wrote.kind != FAULT_NONE) {
        c->fault = wrote;
        goto done;
    }
    /* Checked again here: parts written at the same time count now. */
    if (h_part_quota(c, &now, ps->e.n, ps->e.bytes) < 0)
        goto done;
    if (parts_get(st, &old, &had_old, ps->d.id, ps->e.n, &c->fault) < 0 ||
        parts_record(st, ps->d.id, &ps->e, &c->fault) < 0 ||
        (now.state == CATALOG_DRAFT &&
         catalog_set_state(st, ps->d.id, CATALOG_UPLOADING, NULL,
                           &c->fault) < 0))
        goto done;
    rv = gw_reply_json(c, 200, h_part_json(&ps->e), NULL);
done:
    /* Settle the files once the rows are settled: on success the file the
     * replaced row named goes (unless another part shares it); on
     * failure, this part's own file (unless a row already named it). The
     * transaction of a failure is rolled back first, so that its row does
     * not count; the problem's nonce row gets one of its own. */
    if (rv < 0 && c->in_tx) {
        ledger_rollback(c->gw->ledger);
        c->in_tx = 0;
    }
    parts_pending_remove(st, ps->d.id, ps->e.sha256);
    fault_clear(&why);
    if (rv == 0 ? had_old && memcmp(old.sha256, ps->e.sha256, 32) != 0 &&
                      parts_drop_file(st, ps->d.id, old.sha256, &why) < 0
                : parts_drop_file(st, ps->d.id, ps->e.sha256, &why) < 0)
        log_warn("part %llu: a file no row names was left: %s",
                 (unsigned long long)ps->e.n, why.detail);
    free(ps);
    c->work_state = NULL;
    return rv;
}

int h_part_put(struct gw_ctx *c)
{
    struct h_part_state *ps = calloc(1, sizeof *ps);
    int rv;

    if (ps == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    if (datasets_view_load(c, &ps->d, c->match.params[0], 1) < 0 ||
        h_part_number(c, &ps->e.n) < 0)
        goto fail;
    if (ps->d.state == CATALOG_PUBLISHED || ps->d.state == CATALOG_PUBLISHING) {
        fault_set(&c->fault, FAULT_CONFLICT, "state",
                  "the data-set is %s: its content can no longer change",
                  catalog_state_name(ps->d.state));
        goto fail;
    }
    /* The bytes were hashed as they arrived (the signature covers them):
     * that hash names the file. The state is checked again when the part
     * is recorded (h_part_finish). */
    if (h_part_quota(c, &ps->d, ps->e.n, c->body_len) < 0)
        goto fail;
    memcpy(ps->e.sha256, c->body_sha256, 32);
    ps->e.bytes = c->body_len;
    ps->e.received_at = (int64_t)time(NULL);
    /* No clean-up removes the file while it is written and recorded. */
    if (parts_pending_add(c->gw->store, ps->d.id, ps->e.sha256,
                          &c->fault) < 0)
        goto fail;
    c->work_state = ps;
    rv = gw_offload(c, h_part_write, h_part_finish);
    if (rv == GW_PENDING)
        return rv;
    c->work_state = NULL;
    parts_pending_remove(c->gw->store, ps->d.id, ps->e.sha256);
fail:
    free(ps);
    return -1;
}

int h_part_list(struct gw_ctx *c)
{
    struct catalog_dataset d;
    struct parts_entry *e = NULL;
    size_t n = 0, i;
    json_t *list;

    if (datasets_view_load(c, &d, c->match.params[0], 1) < 0)
        return -1;
    /* Once publish is accepted, the parts are the ones it took. */
    if (d.state == CATALOG_PUBLISHING || d.state == CATALOG_PUBLISHED
            ? parts_list_published(c->gw->store, &e, &n, d.id, &c->fault) < 0
            : parts_list(c->gw->store, &e, &n, d.id, &c->fault) < 0)
        return -1;
    list = json_array();
    for (i = 0; list != NULL && i < n; i++)
        json_array_append_new(list, h_part_json(&e[i]));
    free(e);
    if (list == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    return gw_reply_json(c, 200, json_pack("{s:o}", "parts", list), NULL);
}
