/*
 * h_accounts: what a worker holds and an owner earned (DESIGN.md 3.11),
 * for the account itself only (principal.h), and the audit log's signed
 * head (3.10), for anyone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/chain.h"
#include "gateway/principal.h"
#include "gateway/routes.h"
#include "lib/ethsig.h"
#include "lib/hex.h"
#include "pricing/audit.h"
#include "pricing/ledger.h"

static json_t *ha_units(uint64_t v)
{
    char text[24];

    snprintf(text, sizeof text, "%" PRIu64, v);
    return json_string(text);
}

static json_t *ha_id(const uint8_t id[32])
{
    char text[67];

    if (hex_encode_0x(text, sizeof text, id, 32) < 0)
        return NULL;
    return json_string(text);
}

/* Append doc to the array arg, or fail on a NULL (out of memory). */
static int ha_append(json_t *arr, json_t *doc, struct fault *f)
{
    if (doc == NULL || json_array_append_new(arr, doc) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    return 0;
}

static int ha_balance(void *arg, const struct ledger_account *a,
                      struct fault *f)
{
    return ha_append(
        arg,
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "dataset_id",
                  ha_id(a->dataset_id), "units", ha_units(a->units),
                  "owed_units", ha_units(a->owed_units), "pass_expires",
                  a->has_pass ? json_integer((json_int_t)a->pass_expires)
                              : json_null(),
                  "credited_total", ha_units(a->credited_total),
                  "spent_total", ha_units(a->spent_total)),
        f);
}

struct ha_payments {
    struct gw_chain *chain;
    json_t *list;
};

static int ha_payment(void *arg, const struct ledger_payment *p,
                      struct fault *f)
{
    struct ha_payments *x = arg;

    return ha_append(x->list, gw_chain_payment_json(x->chain, p), f);
}

static int ha_usage(void *arg, const struct ledger_usage *u, struct fault *f)
{
    return ha_append(arg,
                     json_pack("{s:s, s:o, s:I, s:I, s:o}", "day", u->day,
                               "dataset_id", ha_id(u->dataset_id), "queries",
                               (json_int_t)u->queries, "chunks",
                               (json_int_t)u->chunks, "cost",
                               ha_units(u->cost)),
                     f);
}

/* The chain the ledger records payments of: 0 when it has followed none. */
static int ha_chain_id(struct gw_ctx *c, uint64_t *chain_id)
{
    struct ledger_chain cs;
    int rc = ledger_chain_read(c->gw->ledger, &cs, &c->fault);

    *chain_id = rc == 1 ? cs.chain_id : 0;
    return rc < 0 ? -1 : 0;
}

int h_account(struct gw_ctx *c)
{
    struct ha_payments pay = {c->gw->chain, NULL};
    struct ethaddr who;
    char text[ETHADDR_TEXT_SIZE];
    json_t *balances = json_array(), *usage = json_array();
    uint64_t chain_id;
    int rv = -1;

    pay.list = json_array();
    if (balances == NULL || usage == NULL || pay.list == NULL) {
        fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (principal_require(c, c->match.params[0], &who) < 0 ||
        ha_chain_id(c, &chain_id) < 0 ||
        ledger_each_account(c->gw->ledger, &who, ha_balance, balances,
                            &c->fault) < 0 ||
        (chain_id != 0 && pay.chain != NULL &&
         ledger_each_payment_of(c->gw->ledger, chain_id, &who, ha_payment,
                                &pay, &c->fault) < 0) ||
        ledger_each_usage(c->gw->ledger, &who, ha_usage, usage, &c->fault) <
            0)
        goto done;
    ethaddr_to_text(text, &who);
    rv = gw_reply_json(c, 200,
                       json_pack("{s:s, s:o, s:o, s:o}", "address", text,
                                 "balances", balances, "payments", pay.list,
                                 "usage", usage),
                       NULL);
    return rv;
done:
    json_decref(balances);
    json_decref(usage);
    json_decref(pay.list);
    return rv;
}

static int ha_earning(void *arg, const struct ledger_earning *e,
                      struct fault *f)
{
    return ha_append(
        arg,
        json_pack("{s:s, s:o, s:I, s:s, s:o, s:I, s:o}", "day", e->day,
                  "dataset_id", ha_id(e->dataset_id), "payments",
                  (json_int_t)e->payments, "amount_wei", e->amount_wei,
                  "units", ha_units(e->units), "queries",
                  (json_int_t)e->queries, "units_spent",
                  ha_units(e->units_spent)),
        f);
}

/* An earnings answer waiting for the contract's owed(address). */
struct ha_earnings {
    struct gw_ctx *c;
    json_t *doc;
    char owed[80];  /* decimal wei; "" when the node did not say */
};

static void ha_owed_done(void *arg, const char *wei)
{
    struct ha_earnings *x = arg;

    snprintf(x->owed, sizeof x->owed, "%s", wei != NULL ? wei : "");
    gw_resume(x->c);
}

static int ha_earnings_finish(struct gw_ctx *c)
{
    struct ha_earnings *x = c->work_state;
    json_t *doc = x->doc;

    c->work_state = NULL;
    json_object_set_new(doc, "owed_wei",
                        x->owed[0] ? json_string(x->owed) : json_null());
    free(x);
    return gw_reply_json(c, 200, doc, NULL);
}

int h_earnings(struct gw_ctx *c)
{
    struct ha_earnings *x = NULL;
    struct ethaddr who;
    char text[ETHADDR_TEXT_SIZE];
    json_t *days = json_array(), *doc = NULL;
    uint64_t chain_id;
    struct fault f;

    if (days == NULL) {
        fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    if (principal_require(c, c->match.params[0], &who) < 0 ||
        ha_chain_id(c, &chain_id) < 0 ||
        ledger_each_earning(c->gw->ledger, chain_id, &who, ha_earning, days,
                            &c->fault) < 0)
        goto fail;
    ethaddr_to_text(text, &who);
    doc = json_pack("{s:s, s:o}", "address", text, "days", days);
    days = NULL;
    if (doc == NULL) {
        fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    /* owed_wei is the contract's: ask the node, and answer when it has
     * (null when there is no chain or it does not answer). */
    x = calloc(1, sizeof *x);
    if (x == NULL) {
        fault_set(&c->fault, FAULT_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    x->c = c;
    x->doc = doc;
    if (gw_chain_owed(c->gw->chain, &who, ha_owed_done, x, &f) < 0) {
        free(x);
        if (json_object_set_new(doc, "owed_wei", json_null()) < 0) {
            json_decref(doc);
            return fault_set(&c->fault, FAULT_INTERNAL, NULL,
                             "out of memory");
        }
        return gw_reply_json(c, 200, doc, NULL);
    }
    c->work_state = x;
    return gw_defer(c, ha_earnings_finish);
fail:
    json_decref(days);
    json_decref(doc);
    return -1;
}

int h_audit_head(struct gw_ctx *c)
{
    char text[AUDIT_HEAD_TEXT_MAX], hash_text[67], sig_text[ETHSIG_TEXT_SIZE];
    uint8_t hash[32], sig[ETHSIG_LEN];
    uint64_t index;
    int64_t time;
    size_t len;

    if (ledger_audit_head(c->gw->ledger, &index, hash, &time, &c->fault) < 0)
        return -1;
    len = audit_head_text(text, sizeof text, index, hash, time);
    if (len == 0 || hex_encode_0x(hash_text, sizeof hash_text, hash, 32) < 0)
        return fault_set(&c->fault, FAULT_INTERNAL, NULL, "audit head");
    if (ethsig_sign_personal(sig, &c->gw->key, (const uint8_t *)text, len,
                             &c->fault) < 0)
        return -1;
    ethsig_to_text(sig_text, sig);
    return gw_reply_json(c, 200,
                         json_pack("{s:I, s:s, s:I, s:s}", "index",
                                   (json_int_t)index, "hash", hash_text,
                                   "time", (json_int_t)time, "signature",
                                   sig_text),
                         NULL);
}
