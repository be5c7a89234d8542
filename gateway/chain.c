#include "gateway/chain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "contracts-abi/abi.h"
#include "contracts-abi/ethjson.h"
#include "contracts-abi/follower.h"
#include "contracts-abi/rpc.h"
#include "lib/ethaddr.h"
#include "lib/hex.h"
#include "lib/keccak.h"
#include "lib/log.h"
#include "lib/u256.h"
#include "pricing/ledger.h"

/* Payments shown for one transaction: more Purchased logs than this in one
 * transaction are not shown (they are still credited). */
#define CHAIN_TX_PAYMENTS_MAX 64
/* Long-polls held at once; more are answered at once. */
#define CHAIN_WAITS_MAX 1024
/* How long start waits for the node's chain id. */
#define CHAIN_START_WAIT_MS 5000

struct chain_watch;

/* Payment events one step may log line by line. */
#define CHAIN_EVENTS_MAX 256

struct gw_chain {
    struct event_base *base;
    struct ledger *ledger;
    int stopping;          /* gw_chain_stop was called */
    struct gw_chain_options opt;
    struct rpc_client *rpc;
    struct follower *fl;
    struct abi_market abi;
    struct ethaddr contract;
    uint64_t chain_id;     /* recorded; 0 until the node told it */
    struct chain_watch *waits;
    size_t nwaits;
    /* What the step being applied did to payments, logged once it has
     * committed (ledger_set_listener); the rest are only counted. */
    struct ledger_event events[CHAIN_EVENTS_MAX];
    size_t nevents;
    uint64_t events_unlogged;
};

/* One watch of a transaction's payments while it looks or waits. */
struct chain_watch {
    struct gw_chain *ch;
    void (*ready)(void *arg); /* NULL once told (or taken) */
    void *arg;
    uint8_t tx[32];
    int wait_s;
    int first_done;        /* the first lookup finished */
    int rpc_out;           /* a receipt call is out */
    int again;             /* the chain moved while it was out */
    int listed;            /* in ch->waits */
    int unreachable;       /* the node did not answer the last lookup */
    int told;              /* ready was called */
    int taken;             /* chain_watch_take was called: no one waits */
    char *snapshot;        /* the first answer's text; NULL: not found */
    json_t *answer;        /* the answer to send; NULL: 404 */
    struct event *timer;
    struct chain_watch *next, *prev;
};

/* ---- the sink: the follower's steps into the ledger ---------------------- */

/* A decoded amount as the ledger's text (the decoder keeps it below 2^128,
 * which has 39 digits). */
static void chain_amount(char out[LEDGER_AMOUNT_SIZE], const struct u256 *a)
{
    char text[U256_DECIMAL_SIZE];
    size_t n = u256_to_decimal(text, a);

    if (n >= LEDGER_AMOUNT_SIZE)
        n = 0; /* cannot happen: the decoder refused it */
    memcpy(out, text, n);
    out[n] = '\0';
}

static int chain_sink_chain_id(void *arg, uint64_t chain_id, struct fault *f)
{
    struct gw_chain *ch = arg;
    struct ledger_chain cs;
    char want[24];

    if (ch->opt.chain_id != 0 && chain_id != ch->opt.chain_id) {
        snprintf(want, sizeof want, "%" PRIu64, ch->opt.chain_id);
        return fault_set(f, FAULT_CONFLICT, "chain_id",
                         "the node is on chain %" PRIu64 ", not %s (--chain-id)",
                         chain_id, want);
    }
    if (ledger_chain_open(ch->ledger, &cs, chain_id, ch->contract.bytes,
                        0, f) < 0)
        return -1;
    ch->chain_id = chain_id;
    return 0;
}

static int chain_sink_load(void *arg, int64_t *tip,
                           struct follower_block *blocks, size_t cap,
                           size_t *n, struct fault *f)
{
    struct gw_chain *ch = arg;
    struct ledger_chain cs;
    struct ledger_block *b;
    size_t i;
    int rc;

    *n = 0;
    rc = ledger_chain_read(ch->ledger, &cs, f);
    if (rc < 0)
        return -1;
    *tip = rc == 1 ? cs.tip : -1;
    b = calloc(cap, sizeof *b);
    if (b == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    /* The newest cap blocks at or below the tip. */
    if (ledger_chain_blocks(ch->ledger,
                            *tip - (int64_t)cap < -1 ? -1
                                                     : *tip - (int64_t)cap,
                            b, cap, n, f) < 0) {
        free(b);
        return -1;
    }
    for (i = 0; i < *n; i++) {
        blocks[i].number = b[i].number;
        memcpy(blocks[i].hash, b[i].hash, 32);
        memcpy(blocks[i].parent_hash, b[i].parent_hash, 32);
    }
    free(b);
    return 0;
}

static void chain_on_event(void *arg, const struct ledger_event *e)
{
    struct gw_chain *ch = arg;

    if (ch->nevents < CHAIN_EVENTS_MAX)
        ch->events[ch->nevents++] = *e;
    else
        ch->events_unlogged++;
}

/* One structured line per payment event of a committed step, for the
 * operator: what was seen, credited, left unmatched or reversed. */
static void chain_log_events(struct gw_chain *ch)
{
    char tx[67], ds[67], worker[ETHADDR_TEXT_SIZE];
    size_t i;

    for (i = 0; i < ch->nevents; i++) {
        const struct ledger_event *e = &ch->events[i];
        const char *what = e->state == LEDGER_CONFIRMING ? "seen"
                           : e->state == LEDGER_CREDITED ? "credited"
                           : e->state == LEDGER_UNMATCHED ? "unmatched"
                                                          : "reversed";

        if (hex_encode_0x(tx, sizeof tx, e->tx_hash, 32) < 0 ||
            hex_encode_0x(ds, sizeof ds, e->dataset_id, 32) < 0)
            continue;
        ethaddr_to_text(worker, &e->worker);
        if (e->state == LEDGER_CREDITED || e->state == LEDGER_REVERSED)
            log_info("payment %s chain_id=%" PRIu64 " tx=%s ordinal=%" PRIu32
                     " dataset=%s worker=%s amount_wei=%s units=%" PRIu64,
                     what, e->chain_id, tx, e->ordinal, ds, worker,
                     e->amount_wei, e->units);
        else if (e->state == LEDGER_UNMATCHED)
            log_warn("payment unmatched chain_id=%" PRIu64 " tx=%s ordinal=%"
                     PRIu32 " dataset=%s worker=%s amount_wei=%s reason=%s",
                     e->chain_id, tx, e->ordinal, ds, worker, e->amount_wei,
                     ledger_reason_name(e->reason));
        else
            log_info("payment seen chain_id=%" PRIu64 " tx=%s ordinal=%" PRIu32
                     " dataset=%s worker=%s amount_wei=%s",
                     e->chain_id, tx, e->ordinal, ds, worker, e->amount_wei);
    }
    if (ch->events_unlogged > 0)
        log_info("payment events: %" PRIu64 " more in this step, not logged "
                 "one by one", ch->events_unlogged);
}

/* The follower's step, as the ledger's (pricing/ledger.h), applied in one
 * unit of work: the rules of a step are the ledger's (ledger_apply_step,
 * unit-tested there); here the follower's types become the ledger's. */
static int chain_sink_apply(void *arg, const struct follower_step *s,
                            uint64_t *reversed, struct fault *f)
{
    struct gw_chain *ch = arg;
    struct ledger *l = ch->ledger;
    struct ledger_block *cb = NULL;
    struct ledger_payment *lp = NULL;
    struct ledger_step ls;
    size_t i;
    int rv = -1;

    *reversed = 0;
    if ((s->npayments > 0 &&
         (lp = calloc(s->npayments, sizeof *lp)) == NULL) ||
        (s->nblocks > 0 && (cb = calloc(s->nblocks, sizeof *cb)) == NULL)) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    for (i = 0; i < s->npayments; i++) {
        const struct follower_payment *p = &s->payments[i];
        lp[i].chain_id = ch->chain_id;
        memcpy(lp[i].tx_hash, p->tx_hash, 32);
        lp[i].ordinal = p->ordinal;
        lp[i].log_index = p->log_index;
        lp[i].block_number = p->block_number;
        memcpy(lp[i].block_hash, p->block_hash, 32);
        memcpy(lp[i].dataset_id, p->p.dataset_id, 32);
        lp[i].worker = p->p.worker;
        lp[i].payer = p->p.payer;
        lp[i].owner = p->p.owner;
        chain_amount(lp[i].amount_wei, &p->p.amount);
        memcpy(lp[i].ref, p->p.ref, 32);
    }
    for (i = 0; i < s->nblocks; i++) {
        cb[i].number = s->blocks[i].number;
        memcpy(cb[i].hash, s->blocks[i].hash, 32);
        memcpy(cb[i].parent_hash, s->blocks[i].parent_hash, 32);
    }
    memset(&ls, 0, sizeof ls);
    ls.chain_id = ch->chain_id;
    ls.has_rollback = s->rollback;
    ls.rollback_to = s->rollback_to;
    ls.payments = lp;
    ls.npayments = s->npayments;
    ls.blocks = cb;
    ls.nblocks = s->nblocks;
    ls.tip = s->tip;
    ls.keep_from = s->keep_from;
    ls.credit = s->has_credit;
    ls.credit_upto = s->credit_upto;
    if (ledger_begin(l, f) < 0)
        goto done;
    ch->nevents = 0;
    ch->events_unlogged = 0;
    ledger_set_listener(l, chain_on_event, ch);
    if (ledger_apply_step(l, &ls, (int64_t)time(NULL), reversed, f) < 0 ||
        ledger_commit(l, f) < 0) {
        ledger_set_listener(l, NULL, NULL);
        ledger_rollback(l);
        *reversed = 0;
        goto done;
    }
    ledger_set_listener(l, NULL, NULL);
    chain_log_events(ch);
    rv = 0;
done:
    free(lp);
    free(cb);
    return rv;
}

static void chain_recheck_all(struct gw_chain *ch);

static void chain_sink_changed(void *arg)
{
    chain_recheck_all(arg);
}

/* ---- rendering ------------------------------------------------------------ */

static json_t *chain_hex(const uint8_t *b, size_t n)
{
    char text[2 * 64 + 3];

    if (n > 64 || hex_encode_0x(text, sizeof text, b, n) < 0)
        return NULL;
    return json_string(text);
}

static json_t *chain_addr(const struct ethaddr *a)
{
    char text[ETHADDR_TEXT_SIZE];

    ethaddr_to_text(text, a);
    return json_string(text);
}

/* The head confirmations count against: the processed tip for payments
 * the follower has seen, the node's head for those it has not. */
static uint64_t chain_confirmations(uint64_t head, uint64_t block)
{
    return head >= block ? head - block + 1 : 0;
}

static json_t *chain_payment_json(const struct gw_chain *ch,
                                  const struct ledger_payment *p,
                                  uint64_t head)
{
    char units[24];

    snprintf(units, sizeof units, "%" PRIu64, p->units);
    return json_pack(
        "{s:I, s:I, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o}",
        "ordinal", (json_int_t)p->ordinal, "log_index",
        (json_int_t)p->log_index, "state",
        ledger_state_name(p->state), "confirmations",
        (json_int_t)(p->state == LEDGER_REVERSED
                         ? 0
                         : chain_confirmations(head, p->block_number)),
        "required",
        ch->opt.finalized ? json_null()
                          : json_integer((json_int_t)ch->opt.confirmations),
        "dataset_id", chain_hex(p->dataset_id, 32), "worker",
        chain_addr(&p->worker), "payer", chain_addr(&p->payer), "ref",
        chain_hex(p->ref, 32), "amount_wei", p->amount_wei, "units",
        p->has_units ? json_string(units) : json_null(), "reason",
        p->reason != LEDGER_REASON_NONE
            ? json_string(ledger_reason_name(p->reason))
            : json_null());
}

json_t *gw_chain_payment_json(const struct gw_chain *ch,
                              const struct ledger_payment *p)
{
    struct follower_status st;
    json_t *doc;

    if (ch == NULL)
        return NULL;
    follower_status(ch->fl, &st);
    doc = chain_payment_json(ch, p, st.tip < 0 ? 0 : (uint64_t)st.tip);
    if (doc != NULL &&
        json_object_set_new(doc, "tx_hash", chain_hex(p->tx_hash, 32)) < 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static json_t *chain_tx_doc(const uint8_t tx[32], json_t *payments)
{
    return json_pack("{s:o, s:o}", "tx_hash", chain_hex(tx, 32), "payments",
                     payments);
}

/* The payments the follower recorded for tx: a document, or NULL with
 * *found 0 when it has none. Returns 0, or -1 with f set. */
static int chain_lookup_db(struct gw_chain *ch, const uint8_t tx[32],
                           json_t **doc, struct fault *f)
{
    struct ledger_payment *v;
    struct follower_status st;
    json_t *arr;
    size_t n = 0, i;

    *doc = NULL;
    if (ch->chain_id == 0)
        return 0;
    v = calloc(CHAIN_TX_PAYMENTS_MAX, sizeof *v);
    if (v == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (ledger_payments_of_tx(ch->ledger, ch->chain_id, tx, v,
                              CHAIN_TX_PAYMENTS_MAX, &n, f) < 0) {
        free(v);
        return -1;
    }
    if (n > 0) {
        follower_status(ch->fl, &st);
        arr = json_array();
        for (i = 0; arr != NULL && i < n; i++)
            if (json_array_append_new(
                    arr, chain_payment_json(ch, &v[i],
                                            st.tip < 0 ? 0
                                                       : (uint64_t)st.tip)) <
                0) {
                json_decref(arr);
                arr = NULL;
            }
        *doc = arr != NULL ? chain_tx_doc(tx, arr) : NULL;
        if (*doc == NULL) {
            free(v);
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        }
    }
    free(v);
    return 0;
}

/* The Purchased logs of our contract in a receipt the follower has not
 * reached: state "seen". NULL when there are none. */
static json_t *chain_receipt_doc(struct gw_chain *ch,
                                 const struct ethjson_receipt *r,
                                 const uint8_t tx[32])
{
    struct follower_status st;
    struct abi_purchased ap;
    struct ledger_payment lp;
    struct fault f;
    json_t *arr = json_array();
    size_t i;

    if (arr == NULL || r->status != 1) {
        json_decref(arr);
        return NULL;
    }
    follower_status(ch->fl, &st);
    for (i = 0; i < r->log_count; i++) {
        const struct ethjson_log *lg = &r->logs[i];
        if (memcmp(lg->address, ch->contract.bytes, 20) != 0 ||
            lg->topic_count == 0 ||
            memcmp(lg->topics[0], ch->abi.purchased_topic, 32) != 0 ||
            abi_decode_purchased(&ap, &ch->abi,
                                 (const uint8_t(*)[32])lg->topics,
                                 lg->topic_count, lg->data, lg->data_len,
                                 &f) < 0)
            continue;
        memset(&lp, 0, sizeof lp);
        lp.log_index = lg->log_index;
        lp.block_number = lg->block_number;
        memcpy(lp.dataset_id, ap.dataset_id, 32);
        lp.worker = ap.worker;
        lp.payer = ap.payer;
        lp.owner = ap.owner;
        chain_amount(lp.amount_wei, &ap.amount);
        memcpy(lp.ref, ap.ref, 32);
        lp.state = LEDGER_SEEN;
        if (json_array_append_new(
                arr, chain_payment_json(ch, &lp, st.has_head ? st.head : 0)) <
            0)
            break;
    }
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return NULL;
    }
    return chain_tx_doc(tx, arr);
}

/* ---- GET /v1/payments/<tx> --------------------------------------------- */

static void chain_wait_unlist(struct chain_watch *w)
{
    struct gw_chain *ch = w->ch;

    if (!w->listed)
        return;
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        ch->waits = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    w->listed = 0;
    ch->nwaits--;
}

static void chain_wait_free(struct chain_watch *w)
{
    chain_wait_unlist(w);
    if (w->timer != NULL)
        event_free(w->timer);
    json_decref(w->answer);
    free(w->snapshot);
    free(w);
}

/* The watch has its answer: tell its owner (once). */
static void chain_wait_answer(struct chain_watch *w)
{
    void (*ready)(void *) = w->ready;

    if (ready == NULL)
        return;
    w->ready = NULL;
    w->told = 1;
    chain_wait_unlist(w);
    if (w->timer != NULL)
        evtimer_del(w->timer);
    ready(w->arg);
}

json_t *chain_watch_take(struct chain_watch *w, int *unreachable)
{
    json_t *doc = w->answer;

    *unreachable = w->unreachable;
    w->answer = NULL;
    w->ready = NULL;
    w->taken = 1;
    chain_wait_unlist(w);
    if (!w->rpc_out)
        chain_wait_free(w); /* else the receipt's callback frees it */
    return doc;
}

/* A lookup finished with doc (NULL: nothing found). */
static void chain_wait_result(struct chain_watch *w, json_t *doc)
{
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)
                             : NULL;

    if (w->ready == NULL) { /* told or taken: the answer is settled */
        json_decref(doc);
        free(text);
        return;
    }
    json_decref(w->answer);
    w->answer = doc;
    if (!w->first_done) {
        w->first_done = 1;
        w->snapshot = text;
        if (w->wait_s == 0 || w->ch->stopping)
            chain_wait_answer(w);
        return;
    }
    /* A change (or the first sight of an unknown transaction) ends the
     * wait; the same answer keeps it. */
    if ((text == NULL) != (w->snapshot == NULL) ||
        (text != NULL && strcmp(text, w->snapshot) != 0))
        chain_wait_answer(w);
    free(text);
}

static void chain_wait_lookup(struct chain_watch *w);

static void chain_on_receipt(void *arg, const struct rpcwire_reply *r,
                             size_t n)
{
    struct chain_watch *w = arg;
    struct ethjson_receipt rc;
    struct fault f;
    json_t *doc = NULL;

    (void)n;
    w->rpc_out = 0;
    if (w->taken) {
        chain_wait_free(w);
        return;
    }
    /* A node that does not answer is not a node that does not know. */
    w->unreachable = r[0].status != RPCWIRE_OK;
    if (r[0].status == RPCWIRE_OK && !json_is_null(r[0].result)) {
        if (ethjson_receipt(&rc, r[0].result, "result", &f) == 0) {
            doc = chain_receipt_doc(w->ch, &rc, w->tx);
            ethjson_receipt_clear(&rc);
        } else {
            log_warn("payments: the node's receipt is bad: %s", f.detail);
        }
    }
    chain_wait_result(w, doc);
    if (w->ready != NULL && w->again) {
        w->again = 0;
        chain_wait_lookup(w);
    }
}

static void chain_wait_lookup(struct chain_watch *w)
{
    struct gw_chain *ch = w->ch;
    json_t *doc = NULL, *params;
    char tx[67];
    struct fault f;

    if (w->rpc_out) {
        w->again = 1;
        return;
    }
    w->unreachable = 0;
    if (chain_lookup_db(ch, w->tx, &doc, &f) < 0) {
        log_warn("payments: %s", f.detail);
        doc = NULL;
    }
    if (doc != NULL || ch->stopping) {
        chain_wait_result(w, doc);
        return;
    }
    /* Not processed yet: does the node know the transaction? */
    if (hex_encode_0x(tx, sizeof tx, w->tx, 32) < 0 ||
        (params = json_pack("[s]", tx)) == NULL) {
        chain_wait_result(w, NULL);
        return;
    }
    if (rpc_call(ch->rpc, "eth_getTransactionReceipt", params,
                 chain_on_receipt, w, &f) < 0) {
        json_decref(params);
        w->unreachable = 1;
        chain_wait_result(w, NULL);
        return;
    }
    json_decref(params);
    w->rpc_out = 1;
}

static void chain_on_wait_timer(evutil_socket_t fd, short what, void *arg)
{
    struct chain_watch *w = arg;

    (void)fd;
    (void)what;
    chain_wait_answer(w);
}

static void chain_recheck_all(struct gw_chain *ch)
{
    struct chain_watch *w, *next;

    for (w = ch->waits; w != NULL; w = next) {
        next = w->next;
        if (w->first_done)
            chain_wait_lookup(w);
    }
}

void gw_chain_stop(struct gw_chain *ch)
{
    struct chain_watch *w, *next;

    if (ch == NULL)
        return;
    ch->stopping = 1;
    for (w = ch->waits; w != NULL; w = next) {
        next = w->next;
        chain_wait_answer(w);
    }
}

int chain_watch_new(struct chain_watch **out, struct gw_chain *ch,
                    const uint8_t tx[32], int wait_s, void (*ready)(void *),
                    void *arg, struct fault *f)
{
    struct chain_watch *w;

    *out = NULL;
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    w->ch = ch;
    memcpy(w->tx, tx, 32);
    w->wait_s = wait_s < 0 ? 0 : wait_s > CHAIN_WAIT_MAX_S ? CHAIN_WAIT_MAX_S
                                                           : wait_s;
    if (w->wait_s > 0 && ch->nwaits >= CHAIN_WAITS_MAX)
        w->wait_s = 0; /* too many waiting: answer now */
    w->ready = ready;
    w->arg = arg;
    w->timer = evtimer_new(ch->base, chain_on_wait_timer, w);
    if (w->timer == NULL) {
        free(w);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    *out = w;
    return 0;
}

void chain_watch_go(struct chain_watch *w)
{
    struct gw_chain *ch = w->ch;
    struct timeval tv;

    if (w->wait_s > 0) {
        w->next = ch->waits;
        if (ch->waits != NULL)
            ch->waits->prev = w;
        ch->waits = w;
        w->listed = 1;
        ch->nwaits++;
        tv.tv_sec = w->wait_s;
        tv.tv_usec = 0;
        evtimer_add(w->timer, &tv);
    }
    chain_wait_lookup(w);
}

/* ---- GET /v1/chain ------------------------------------------------------- */

int gw_chain_payable(const struct gw_chain *ch, uint64_t *chain_id,
                     struct ethaddr *contract, struct abi_market *abi,
                     uint64_t *poll_ms)
{
    struct follower_status st;

    *chain_id = 0;
    memset(contract, 0, sizeof *contract);
    memset(abi, 0, sizeof *abi);
    *poll_ms = 0;
    if (ch == NULL || ch->chain_id == 0)
        return 0;
    follower_status(ch->fl, &st);
    if (st.state == FOLLOWER_DEGRADED)
        return 0;
    *chain_id = ch->chain_id;
    *contract = ch->contract;
    *abi = ch->abi;
    *poll_ms = ch->opt.poll_ms;
    return 1;
}

uint64_t gw_chain_id(const struct gw_chain *ch)
{
    return ch != NULL ? ch->chain_id : 0;
}

int gw_chain_doc(struct gw_chain *ch, struct ledger *l,
                 const struct ethaddr *gateway, json_t **out,
                 struct fault *f)
{
    struct follower_status st;
    struct ledger_chain cs;
    const char *state;
    int64_t lag;
    int rc;

    *out = NULL;
    if (ch == NULL) {
        *out = json_pack("{s:n, s:n, s:o, s:n, s:n, s:n, s:s}", "chain_id",
                         "contract", "gateway", chain_addr(gateway), "head",
                         "last_credited_block", "lag", "state", "disabled");
        return *out != NULL
                   ? 0
                   : fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    follower_status(ch->fl, &st);
    rc = ledger_chain_read(l, &cs, f);
    if (rc < 0)
        return -1;
    state = follower_state_name(st.state);
    if (rc == 1 && cs.finality_violations > 0)
        state = "finality_violated";
    lag = st.has_head ? (int64_t)st.head - st.tip : 0;
    if (lag < 0)
        lag = 0;
    *out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:s}", "chain_id",
                     ch->chain_id ? json_integer((json_int_t)ch->chain_id)
                                  : json_null(),
                     "contract", chain_addr(&ch->contract), "gateway",
                     chain_addr(gateway), "head",
                     st.has_head ? json_integer((json_int_t)st.head)
                                 : json_null(),
                     "last_credited_block",
                     rc == 1 && cs.last_credited_block >= 0
                         ? json_integer((json_int_t)cs.last_credited_block)
                         : json_null(),
                     "lag", (json_int_t)lag, "state", state);
    return *out != NULL ? 0
                        : fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
}

/* ---- the contract's owed(address) ----------------------------------------- */

struct chain_owed {
    void (*done)(void *arg, const char *wei);
    void *arg;
};

static void chain_on_owed(void *arg, const struct rpcwire_reply *r, size_t n)
{
    struct chain_owed *o = arg;
    char wei[U256_DECIMAL_SIZE];
    uint8_t word[32];
    struct u256 v;
    struct fault f;
    const char *text;
    int ok = 0;

    (void)n;
    if (r[0].status == RPCWIRE_OK && json_is_string(r[0].result)) {
        text = json_string_value(r[0].result);
        if (hex_decode_0x(word, sizeof word, text, strlen(text), "result",
                          &f) == 0) {
            u256_from_be32(&v, word);
            u256_to_decimal(wei, &v);
            ok = 1;
        }
    }
    if (!ok)
        log_warn("earnings: the node did not answer owed(address)");
    o->done(o->arg, ok ? wei : NULL);
    free(o);
}

int gw_chain_owed(struct gw_chain *ch, const struct ethaddr *who,
                  void (*done)(void *arg, const char *wei), void *arg,
                  struct fault *f)
{
    static const char sig[] = "owed(address)";
    uint8_t data[4 + 32], hash[32];
    char data_hex[2 * sizeof data + 3], to[ETHADDR_TEXT_SIZE];
    struct chain_owed *o;
    json_t *params;

    if (ch == NULL || ch->stopping)
        return fault_set(f, FAULT_UNAVAILABLE, NULL, "no chain is followed");
    /* The selector is the first four bytes of the signature's hash; the
     * address is one word, left-padded. */
    keccak256(hash, (const uint8_t *)sig, sizeof sig - 1);
    memcpy(data, hash, 4);
    memset(data + 4, 0, 12);
    memcpy(data + 16, who->bytes, 20);
    ethaddr_to_text(to, &ch->contract);
    if (hex_encode_0x(data_hex, sizeof data_hex, data, sizeof data) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "hex");
    o = calloc(1, sizeof *o);
    params = json_pack("[{s:s, s:s}, s]", "to", to, "data", data_hex,
                       "latest");
    if (o == NULL || params == NULL) {
        free(o);
        json_decref(params);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    o->done = done;
    o->arg = arg;
    if (rpc_call(ch->rpc, "eth_call", params, chain_on_owed, o, f) < 0) {
        free(o);
        json_decref(params);
        return -1;
    }
    json_decref(params);
    return 0;
}

/* ---- start and stop ------------------------------------------------------- */

struct chain_probe {
    int done;
    struct rpcwire_reply reply;
    uint64_t chain_id;
};

static void chain_on_probe(void *arg, const struct rpcwire_reply *r, size_t n)
{
    struct chain_probe *p = arg;
    struct fault f;

    (void)n;
    p->done = 1;
    p->reply = r[0];
    p->reply.result = NULL;
    if (r[0].status == RPCWIRE_OK &&
        ethjson_quantity(&p->chain_id, r[0].result, "result", &f) < 0) {
        p->reply.status = RPCWIRE_BAD_RESPONSE;
        p->reply.fault = f;
    }
}

/* Ask the node its chain id before serving, running the loop for it. */
static int chain_probe(struct gw_chain *ch, struct fault *f)
{
    struct chain_probe p;
    struct timespec t0, t;
    struct fault f2;

    memset(&p, 0, sizeof p);
    if (rpc_call(ch->rpc, "eth_chainId", NULL, chain_on_probe, &p, f) < 0)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!p.done) {
        event_base_loop(ch->base, EVLOOP_ONCE);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (!p.done && (t.tv_sec - t0.tv_sec) * 1000 +
                               (t.tv_nsec - t0.tv_nsec) / 1000000 >
                           CHAIN_START_WAIT_MS * 2)
            break; /* the call's own deadline should have fired */
    }
    if (!p.done || p.reply.status != RPCWIRE_OK) {
        log_warn("chain: the node at %s does not answer eth_chainId (%s); "
                 "serving without it and trying again",
                 rpc_client_endpoint(ch->rpc),
                 p.done ? p.reply.fault.detail : "no answer");
        return 0;
    }
    fault_clear(&f2);
    if (chain_sink_chain_id(ch, p.chain_id, f) < 0)
        return -1;
    log_info("chain: following chain %" PRIu64 " at %s", p.chain_id,
             rpc_client_endpoint(ch->rpc));
    return 0;
}

int gw_chain_start(struct gw_chain **out, struct event_base *base,
                   struct ledger *ledger, const struct gw_chain_options *opt,
                   struct fault *f)
{
    struct gw_chain *ch;
    struct rpc_options ro;
    struct follower_config fc;
    struct follower_sink sink;
    const char *abi_json;
    size_t abi_len;

    *out = NULL;
    if (opt->rpc_url == NULL || opt->rpc_url[0] == '\0')
        return 0;
    ch = calloc(1, sizeof *ch);
    if (ch == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    ch->base = base;
    ch->ledger = ledger;
    ch->opt = *opt;
    if (opt->contract == NULL || opt->contract[0] == '\0') {
        fault_set(f, FAULT_INVALID, "contract",
                  "rpc_url needs the market contract's address (contract)");
        goto fail;
    }
    if (ethaddr_parse(&ch->contract, opt->contract, strlen(opt->contract),
                      "contract", f) < 0)
        goto fail;
    abi_json = abi_market_json(&abi_len);
    if (abi_market_load(&ch->abi, abi_json, abi_len, f) < 0)
        goto fail;
    rpc_options_default(&ro);
    ro.ca_file = opt->rpc_ca_file;
    if (rpc_client_new(&ch->rpc, base, opt->rpc_url, &ro, f) < 0)
        goto fail;
    memset(&fc, 0, sizeof fc);
    memcpy(fc.contract, ch->contract.bytes, 20);
    fc.confirmations = (uint32_t)opt->confirmations;
    fc.finalized = opt->finalized;
    fc.poll_ms = (uint32_t)opt->poll_ms;
    fc.max_range = opt->max_log_range ? (uint32_t)opt->max_log_range : 2000;
    memset(&sink, 0, sizeof sink);
    sink.arg = ch;
    sink.chain_id = chain_sink_chain_id;
    sink.load = chain_sink_load;
    sink.apply = chain_sink_apply;
    sink.changed = chain_sink_changed;
    if (follower_new(&ch->fl, base, ch->rpc, &ch->abi, &fc, &sink, f) < 0)
        goto fail;
    if (chain_probe(ch, f) < 0)
        goto fail;
    follower_start(ch->fl);
    *out = ch;
    return 0;
fail:
    gw_chain_free(ch);
    return -1;
}

void gw_chain_free(struct gw_chain *ch)
{
    if (ch == NULL)
        return;
    /* The client first: it tells the follower's call it was cancelled. */
    rpc_client_free(ch->rpc);
    follower_free(ch->fl);
    while (ch->waits != NULL) {
        struct chain_watch *w = ch->waits;
        chain_wait_unlist(w);
        w->ready = NULL;
        w->taken = 1;
        if (!w->rpc_out)
            chain_wait_free(w);
    }
    free(ch);
}

void gw_chain_metrics(const struct gw_chain *ch, struct evbuffer *out)
{
    struct follower_status st;
    struct ledger_chain cs;
    struct rpc_stats rs;
    struct fault f;
    int rc;

    if (ch == NULL)
        return;
    follower_status(ch->fl, &st);
    rpc_client_stats(ch->rpc, &rs);
    rc = ledger_chain_read(ch->ledger, &cs, &f);
    evbuffer_add_printf(
        out,
        "# HELP sluice_chain_head The node's head block, last seen.\n"
        "# TYPE sluice_chain_head gauge\n"
        "sluice_chain_head %" PRIu64 "\n"
        "# HELP sluice_chain_tip The last block whose logs are processed.\n"
        "# TYPE sluice_chain_tip gauge\n"
        "sluice_chain_tip %" PRId64 "\n"
        "# HELP sluice_chain_lag_blocks Blocks between the head and the "
        "tip.\n"
        "# TYPE sluice_chain_lag_blocks gauge\n"
        "sluice_chain_lag_blocks %" PRId64 "\n"
        "# HELP sluice_chain_last_credited_block The last block whose "
        "payments are credited.\n"
        "# TYPE sluice_chain_last_credited_block gauge\n"
        "sluice_chain_last_credited_block %" PRId64 "\n"
        "# HELP sluice_chain_state 1 for the follower's state.\n"
        "# TYPE sluice_chain_state gauge\n"
        "sluice_chain_state{state=\"%s\"} 1\n"
        "# HELP sluice_chain_finality_violations Reorgs that removed "
        "credited payments.\n"
        "# TYPE sluice_chain_finality_violations counter\n"
        "sluice_chain_finality_violations %" PRIu64 "\n"
        "# HELP sluice_chain_reorgs Reorgs the follower rolled back.\n"
        "# TYPE sluice_chain_reorgs counter\n"
        "sluice_chain_reorgs %" PRIu64 "\n"
        "# HELP sluice_chain_payments Purchased logs processed.\n"
        "# TYPE sluice_chain_payments counter\n"
        "sluice_chain_payments %" PRIu64 "\n"
        "# HELP sluice_chain_bad_logs Logs refused by the checks.\n"
        "# TYPE sluice_chain_bad_logs counter\n"
        "sluice_chain_bad_logs %" PRIu64 "\n"
        "# HELP sluice_chain_round_failures Follower rounds that failed.\n"
        "# TYPE sluice_chain_round_failures counter\n"
        "sluice_chain_round_failures %" PRIu64 "\n"
        "# HELP sluice_rpc_requests JSON-RPC requests sent to the node.\n"
        "# TYPE sluice_rpc_requests counter\n"
        "sluice_rpc_requests %" PRIu64 "\n"
        "# HELP sluice_rpc_calls JSON-RPC calls (a batch is one).\n"
        "# TYPE sluice_rpc_calls counter\n"
        "sluice_rpc_calls %" PRIu64 "\n"
        "# HELP sluice_rpc_failures Requests without a result.\n"
        "# TYPE sluice_rpc_failures counter\n"
        "sluice_rpc_failures %" PRIu64 "\n",
        st.has_head ? st.head : 0, st.tip,
        st.has_head && (int64_t)st.head > st.tip ? (int64_t)st.head - st.tip
                                                 : (int64_t)0,
        rc == 1 ? cs.last_credited_block : (int64_t)-1,
        rc == 1 && cs.finality_violations > 0 ? "finality_violated"
                                              : follower_state_name(st.state),
        rc == 1 ? cs.finality_violations : 0, st.reorgs, st.payments,
        st.bad_logs, st.failures, rs.requests, rs.calls,
        rs.failures + rs.error_objects);
}
