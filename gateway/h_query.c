/*
 * h_query: metered queries and quotes (DESIGN.md 3.5, 3.6, 3.10).
 *
 * A query runs in the group commit (batch.h), inside its own savepoint:
 * plan and price (pricing/quote.h), then the ledger's release (the debit
 * and the audit entry, pricing/ledger.h), then the keys wrapped to the
 * signer and the receipt signed; the answer is recorded with the nonce in
 * the same unit of work, so a retry gets the same answer, keys and
 * receipt, and is never charged twice. What cannot be paid is a 402 that
 * holds the quote and a payment ready to send; it leaves nothing behind
 * but its nonce record. A quote is the same planning and pricing, and
 * changes nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contracts-abi/abi.h"
#include "gateway/batch.h"
#include "gateway/chain.h"
#include "gateway/datasets_view.h"
#include "gateway/routes.h"
#include "lib/base64.h"
#include "lib/ethsig.h"
#include "lib/hex.h"
#include "lib/keywrap.h"
#include "lib/random.h"
#include "lib/secret.h"
#include "lib/u256.h"
#include "pricing/ledger.h"
#include "pricing/quote.h"
#include "storage/dskey.h"

#define HQ_PURCHASE_FUNCTION "purchase(bytes32,address,address,bytes32)"

/* One query or quote while it is answered. */
struct hq {
    struct query q;
    struct catalog_dataset d;
    struct ethaddr owner;
    struct plan plan;
    struct quote qt;
};

static void hq_clear(struct hq *h)
{
    query_clear(&h->q);
    quote_clear(&h->qt);
}

static json_t *hq_units(uint64_t v)
{
    char text[24];

    snprintf(text, sizeof text, "%" PRIu64, v);
    return json_string(text);
}

/* Read the body, the data-set and its plan, and price the query. */
static int hq_prepare(struct gw_ctx *c, struct hq *h)
{
    struct catalog_terms m;
    int found, rv = -1;

    memset(&m, 0, sizeof m);
    if (query_parse(&h->q, c->body, c->body_len, &c->fault) < 0 ||
        datasets_view_load(c, &h->d, c->match.params[0], 0) < 0)
        return -1;
    /* Only its owner gets this far with a data-set not yet published. */
    if (h->d.state != CATALOG_PUBLISHED)
        return fault_set(&c->fault, FAULT_CONFLICT, "state",
                         "the data-set is %s, not yet published",
                         catalog_state_name(h->d.state));
    if (ethaddr_parse(&h->owner, h->d.owner, strlen(h->d.owner), "owner",
                      &c->fault) < 0 ||
        catalog_get_terms(c->gw->store, &m, &found, h->d.id, &c->fault) < 0)
        goto done;
    if (m.price == NULL) {
        fault_set(&c->fault, FAULT_CONFLICT, "price",
                  "the data-set has no price plan");
        goto done;
    }
    if (plan_from_text(&h->plan, m.price, strlen(m.price), &c->fault) < 0 ||
        quote_make(&h->qt, c->gw->store, &h->d, &h->plan, &h->q,
                   &c->fault) < 0)
        goto done;
    rv = 0;
done:
    catalog_terms_clear(&m);
    return rv;
}

/* units * unit_wei as decimal text into out. */
static int hq_wei(char out[U256_DECIMAL_SIZE], uint64_t units,
                  const char *unit_wei, struct fault *f)
{
    struct u256 unit, wei;

    if (u256_parse_decimal(&unit, unit_wei, strlen(unit_wei), "price.unit_wei",
                           f) < 0)
        return -1;
    if (u256_mul_u64(&wei, &unit, units) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "the amount passes 2^256");
    u256_to_decimal(out, &wei);
    return 0;
}

/* What paying for h needs, for worker a: the units short after what is
 * already confirming (DESIGN.md 3.6: shortfall = cost - balance - pending;
 * a pass plan needs one price; units owed after a reversal are repaid
 * first, so they are short too), and the units to buy. */
static int hq_shortfall(struct gw_ctx *c, const struct hq *h,
                        const struct ledger_account *a, uint64_t *buy,
                        int *covered)
{
    uint64_t pending, need, have, least;

    if (ledger_pending_units(c->gw->ledger, &c->signer, h->d.id,
                             h->plan.unit_wei, &pending, &c->fault) < 0)
        return -1;
    need = h->plan.kind == PLAN_PASS ? h->plan.price : h->qt.cost;
    least = h->plan.kind == PLAN_PASS ? 0 : h->plan.min_purchase;
    if (__builtin_add_overflow(need, a->owed_units, &need))
        need = UINT64_MAX;
    if (__builtin_add_overflow(a->units, pending, &have))
        have = UINT64_MAX;
    *covered = have >= need;
    /* Units turn into pass time only at a credit: with none confirming, a
     * balance that holds a price already (after the price was lowered)
     * still needs a payment, of one unit at least, to run a pass. */
    if (h->plan.kind == PLAN_PASS && pending == 0)
        *covered = 0;
    *buy = *covered ? 0 : need > have ? need - have : 1;
    if (!*covered && *buy < least)
        *buy = least;
    return 0;
}

/* Add "balance" and "payment" (DESIGN.md 3.6) for the signer to doc.
 * Without a chain that can take a payment now, payment is null when
 * need_chain is 0, and the answer is 503 (FAULT_UNAVAILABLE) when it is 1.
 * *retry_after is set when payments still confirming cover the cost. */
static int hq_payment(struct gw_ctx *c, const struct hq *h,
                      const struct ledger_account *a, const uint8_t ref[32],
                      int need_chain, json_t *doc, int *retry_after)
{
    uint8_t data[ABI_PURCHASE_CALLDATA_LEN];
    char data_hex[2 * ABI_PURCHASE_CALLDATA_LEN + 3], id[67], ref_hex[67];
    char owner[ETHADDR_TEXT_SIZE], contract_text[ETHADDR_TEXT_SIZE];
    char wei[U256_DECIMAL_SIZE];
    struct abi_market abi;
    struct ethaddr contract;
    uint64_t chain_id, poll_ms, buy;
    int covered;
    json_t *pay;

    *retry_after = 0;
    if (json_object_set_new(doc, "balance", hq_units(a->units)) < 0)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    if (!gw_chain_payable(c->gw->chain, &chain_id, &contract, &abi,
                          &poll_ms)) {
        if (need_chain)
            return fault_set(&c->fault, FAULT_UNAVAILABLE, NULL,
                             "the balance does not cover this query, and "
                             "the gateway cannot see the chain to take a "
                             "payment now; retry later");
        return json_object_set_new(doc, "payment", json_null()) < 0
                   ? fault_set(&c->fault, FAULT_INTERNAL, NULL,
                               "out of memory")
                   : 0;
    }
    if (hq_shortfall(c, h, a, &buy, &covered) < 0 ||
        hq_wei(wei, buy, h->plan.unit_wei, &c->fault) < 0)
        return -1;
    if (covered)
        *retry_after = poll_ms >= 1000 ? (int)((poll_ms + 999) / 1000) : 1;
    abi_encode_purchase(data, &abi, h->d.id, &h->owner, &c->signer, ref);
    if (hex_encode_0x(data_hex, sizeof data_hex, data, sizeof data) < 0 ||
        hex_encode_0x(id, sizeof id, h->d.id, 32) < 0 ||
        hex_encode_0x(ref_hex, sizeof ref_hex, ref, 32) < 0)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "hex");
    ethaddr_to_text(owner, &h->owner);
    ethaddr_to_text(contract_text, &contract);
    pay = json_pack("{s:I, s:s, s:s, s:[s, s, s, s], s:s, s:s}", "chain_id",
                    (json_int_t)chain_id, "contract", contract_text,
                    "function", HQ_PURCHASE_FUNCTION, "args", id, owner,
                    c->signer_text, ref_hex, "data", data_hex, "value_wei",
                    wei);
    if (pay == NULL || json_object_set_new(doc, "payment", pay) < 0)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    return 0;
}

/* The 402 of a query the account does not cover: the quote, the balance
 * and a payment with a fresh ref, remembered with the nonce. */
static int hq_payment_required(struct gw_ctx *c, const struct hq *h)
{
    struct ledger_account a;
    uint8_t ref[32];
    json_t *extra;
    int retry = 0;

    if (ledger_account(c->gw->ledger, &c->signer, h->d.id, &a, &c->fault) < 0 ||
        random_bytes(ref, sizeof ref, &c->fault) < 0)
        return -1;
    extra = json_object();
    if (extra == NULL ||
        json_object_set_new(extra, "quote", quote_to_json(&h->qt)) < 0) {
        json_decref(extra);
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    }
    if (hq_payment(c, h, &a, ref, 1, extra, &retry) < 0) {
        json_decref(extra);
        return -1;
    }
    json_decref(c->problem_extra);
    c->problem_extra = extra;
    c->retry_after = retry;
    if (a.owed_units > 0)
        return fault_set(&c->fault, FAULT_PAYMENT, NULL,
                         "%" PRIu64 " units are owed after a reorg took a "
                         "payment back; a payment repays them first",
                         a.owed_units);
    if (h->plan.kind == PLAN_PASS)
        return fault_set(&c->fault, FAULT_PAYMENT, NULL,
                         retry ? "the pass has run out; a payment still "
                                 "confirming will renew it: retry"
                               : "this data-set is sold as a pass, and none "
                                 "is running for this worker");
    return fault_set(&c->fault, FAULT_PAYMENT, NULL,
                     retry ? "the query costs %" PRIu64 " units and the "
                             "balance holds %" PRIu64 "; payments still "
                             "confirming cover it: retry"
                           : "the query costs %" PRIu64 " units and the "
                             "balance holds %" PRIu64,
                     h->qt.cost, a.units);
}

/* A query between its two halves: prepared on the loop, its keys wrapped
 * on a CPU thread, then released in the group commit. */
struct hq_job {
    struct hq h;
    uint8_t query_id[16];
    int wrap;                    /* the account looked able to pay */
    const uint8_t *mk;           /* the store's master key (never moves) */
    secp256k1_pubkey signer_pub;
    json_t *cols;                /* the columns, read on the loop */
    /* Once wrapped: the middle of the answer, "columns":...,"chunks":...,
     * "keys":..., serialized off the loop (only the receipt and the
     * amounts are left for the group commit). */
    char *middle;
};

static void hq_job_free(void *state)
{
    struct hq_job *j = state;

    hq_clear(&j->h);
    json_decref(j->cols);
    free(j->middle);
    free(j);
}

/* The chunk keys of the release, wrapped to the signer (DESIGN.md 3.5):
 * pure computation on the job (any thread). Returns the JSON of the wrap,
 * or NULL with f set. */
static json_t *hq_keys(const struct hq_job *j, struct fault *f)
{
    const struct hq *h = &j->h;
    struct keywrap_entry *e = NULL;
    struct keywrap w;
    uint8_t dk[DSKEY_LEN];
    json_t *out = NULL;
    size_t i, n = h->qt.touched.n;

    memset(&w, 0, sizeof w);
    if (dskey_unseal(dk, j->mk, h->d.id, h->d.dk_sealed,
                     sizeof h->d.dk_sealed, f) < 0)
        return NULL;
    if (n > 0 && (e = calloc(n, sizeof *e)) == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        e[i].index = h->qt.touched.chunks[i].index;
        if (dskey_chunk_key(e[i].ck, dk, h->d.id, e[i].index, f) < 0)
            goto done;
    }
    if (keywrap_seal(&w, NULL, &j->signer_pub, h->d.id, j->query_id, e, n,
                     NULL, NULL, f) < 0)
        goto done;
    if (keywrap_to_json(&out, &w, f) < 0)
        out = NULL;
done:
    secret_wipe(dk, sizeof dk);
    if (e != NULL) {
        secret_wipe(e, n * sizeof *e);
        free(e);
    }
    keywrap_clear(&w);
    return out;
}

/* The receipt of a release: its entry's text, hash, and the gateway's
 * signature over the text (DESIGN.md 3.10). */
static json_t *hq_receipt(struct gw_ctx *c, const struct ledger_release *r)
{
    uint8_t sig[ETHSIG_LEN];
    char hash[67], sig_text[ETHSIG_TEXT_SIZE];

    if (ethsig_sign_personal(sig, &c->gw->key, (const uint8_t *)r->text,
                             r->text_len, &c->fault) < 0)
        return NULL;
    if (hex_encode_0x(hash, sizeof hash, r->hash, 32) < 0) {
        fault_set(&c->fault, FAULT_INTERNAL, NULL, "hex");
        return NULL;
    }
    ethsig_to_text(sig_text, sig);
    return json_pack("{s:s%, s:s, s:s}", "text", r->text, r->text_len, "hash",
                     hash, "signature", sig_text);
}

static json_t *hq_chunks(const struct hq *h)
{
    json_t *a = json_array(), *e;
    size_t i;

    for (i = 0; a != NULL && i < h->qt.touched.n; i++) {
        e = datasets_view_chunk(&h->qt.touched.chunks[i]);
        if (e == NULL || json_array_append_new(a, e) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* The middle of the answer (see struct hq_job): the keys wrapped, the
 * chunks and the columns as JSON text. Pure computation on the job (any
 * thread). Returns the text (free it), or NULL with f set. */
static char *hq_middle(const struct hq_job *j, struct fault *f)
{
    json_t *keys, *chunks, *doc;
    char *text, *middle = NULL;
    size_t len;

    if ((keys = hq_keys(j, f)) == NULL)
        return NULL;
    chunks = hq_chunks(&j->h);
    doc = json_pack("{s:O, s:o, s:o}", "columns", j->cols, "chunks", chunks,
                    "keys", keys);
    text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII)
                       : NULL;
    json_decref(doc);
    /* The object without its braces: {"columns":...} -> "columns":... */
    if (text != NULL && (len = strlen(text)) >= 2)
        middle = strndup(text + 1, len - 2);
    free(text);
    if (middle == NULL)
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    return middle;
}

/* In the group commit: take the cost from the signer's account, append
 * the audit entry, and answer with the keys and the signed receipt. The
 * answer is put together as text: its middle was serialized off the loop
 * (hq_middle), and only what the release decides is added here. */
static int hq_release(struct gw_ctx *c)
{
    struct hq_job *j = c->work_state;
    struct hq *h = &j->h;
    struct ledger_release r;
    uint64_t *idx = NULL;
    json_t *receipt = NULL;
    char qid[35], *rtext = NULL, *out = NULL;
    size_t i;
    int n, rv = -1;

    memset(&r, 0, sizeof r);
    if (h->qt.touched.n > 0) {
        idx = malloc(h->qt.touched.n * sizeof *idx);
        if (idx == NULL)
            return fault_set(&c->fault, FAULT_INTERNAL, NULL,
                             "out of memory");
        for (i = 0; i < h->qt.touched.n; i++)
            idx[i] = h->qt.touched.chunks[i].index;
    }
    memcpy(r.dataset_id, h->d.id, 32);
    memcpy(r.query_id, j->query_id, sizeof r.query_id);
    r.worker = c->signer;
    r.owner = h->owner;
    r.gateway = c->gw->identity;
    r.chunks = idx;
    r.nchunks = h->qt.touched.n;
    r.rows = h->qt.touched.usage.rows;
    r.plain_bytes = h->qt.touched.usage.plain_bytes;
    r.cost = h->qt.cost;
    r.pass = h->plan.kind == PLAN_PASS;
    r.now = (int64_t)time(NULL);
    if (ledger_release(c->gw->ledger, &r, &c->fault) < 0) {
        if (c->fault.kind == FAULT_PAYMENT)
            hq_payment_required(c, h);
        goto done;
    }
    /* Paid, yet nothing wrapped: the account did not look able to pay
     * when the query was prepared, and was credited since. Wrap now. */
    if (j->middle == NULL && (j->middle = hq_middle(j, &c->fault)) == NULL)
        goto done;
    if (hex_encode_0x(qid, sizeof qid, r.query_id, sizeof r.query_id) < 0)
        goto oom;
    receipt = hq_receipt(c, &r);
    if (receipt == NULL)
        goto done;
    rtext = json_dumps(receipt, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (rtext == NULL)
        goto oom;
    /* The fields and their order as the answer always had them. */
    n = asprintf(&out, "{\"query_id\":\"%s\",\"cost\":\"%" PRIu64
                 "\",\"balance_after\":\"%" PRIu64 "\",%s,\"receipt\":%s}",
                 qid, r.cost, r.balance_after, j->middle, rtext);
    if (n < 0) {
        out = NULL;
        goto oom;
    }
    rv = gw_reply_bytes(c, 200, "application/json", NULL,
                        (const uint8_t *)out, (size_t)n);
    goto done;
oom:
    fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
done:
    json_decref(receipt);
    free(rtext);
    free(out);
    free(r.text);
    free(idx);
    return rv;
}

/* On a CPU thread: wrap the keys, and serialize the answer's middle. */
static void hq_wrap(struct gw_ctx *c)
{
    struct hq_job *j = c->work_state;

    j->middle = hq_middle(j, &c->fault);
}

/* Back on the loop: into the group commit, unless the wrap failed. */
static int hq_wrapped(struct gw_ctx *c)
{
    struct hq_job *j = c->work_state;

    if (j->middle == NULL)
        return -1;
    return gw_batch(c, hq_release);
}

/* Whether the account looks able to pay for the query now (the release
 * decides, in its unit of work; this only spares the wrap of a query
 * bound for a 402). */
static int hq_looks_paid(struct gw_ctx *c, const struct hq *h)
{
    struct ledger_account a;
    struct fault f;

    if (ledger_account(c->gw->ledger, &c->signer, h->d.id, &a, &f) < 0)
        return 1; /* let the release say */
    if (a.owed_units > 0)
        return 0;
    if (h->plan.kind == PLAN_PASS)
        return a.has_pass && (int64_t)time(NULL) < a.pass_expires;
    return a.units >= h->qt.cost;
}

/* A ROUTER_PREPARE route: read, plan and price on the loop; wrap the keys
 * on a CPU thread (the costliest step, an ECDH, off the loop); then debit
 * and answer in the group commit (hq_release). */
int h_query(struct gw_ctx *c)
{
    struct hq_job *j = calloc(1, sizeof *j);
    json_t *extra;

    if (j == NULL)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
    c->work_state = j;
    c->work_free = hq_job_free;
    if (hq_prepare(c, &j->h) < 0)
        return -1;
    /* max_cost is checked before the balance: nothing is charged. */
    if (j->h.q.has_max_cost && j->h.qt.cost > j->h.q.max_cost) {
        extra = json_pack("{s:o}", "quote", quote_to_json(&j->h.qt));
        if (extra == NULL)
            return fault_set(&c->fault, FAULT_INTERNAL, NULL,
                             "out of memory");
        json_decref(c->problem_extra);
        c->problem_extra = extra;
        return fault_set(&c->fault, FAULT_MAX_COST, "max_cost",
                         "the query costs %" PRIu64 " units, above max_cost "
                         "(%" PRIu64 ")",
                         j->h.qt.cost, j->h.q.max_cost);
    }
    if (random_bytes(j->query_id, sizeof j->query_id, &c->fault) < 0)
        return -1;
    j->mk = c->gw->store->mk;
    j->signer_pub = c->signer_pub;
    /* Read here, on the loop: the CPU thread touches no database. */
    if ((j->cols = datasets_view_columns(c, &j->h.d)) == NULL)
        return -1;
    if (!hq_looks_paid(c, &j->h))
        return gw_batch(c, hq_release); /* bound for a 402: no wrap */
    return gw_offload_cpu(c, hq_wrap, hq_wrapped);
}

int h_quote(struct gw_ctx *c)
{
    static const uint8_t no_ref[32];
    struct ledger_account a;
    struct hq h;
    json_t *doc = NULL;
    int rv = -1, retry = 0;

    memset(&h, 0, sizeof h);
    if (hq_prepare(c, &h) < 0)
        goto done;
    doc = quote_to_json(&h.qt);
    if (doc == NULL) {
        fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    /* Signed: what the signer holds, and what paying would take. A quote
     * records nothing, so its payment carries no ref. */
    if (c->is_signed &&
        (ledger_account(c->gw->ledger, &c->signer, h.d.id, &a,
                        &c->fault) < 0 ||
         hq_payment(c, &h, &a, no_ref, 0, doc, &retry) < 0))
        goto done;
    rv = gw_reply_json(c, 200, doc, NULL);
    doc = NULL;
done:
    json_decref(doc);
    hq_clear(&h);
    return rv;
}
