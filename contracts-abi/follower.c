#include "contracts-abi/follower.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "contracts-abi/ethjson.h"
#include "lib/hex.h"
#include "lib/keccak.h"
#include "lib/log.h"
#include "lib/random.h"

/* Back-off after a failed round: poll_ms doubled per failure up to this,
 * with +-50 % jitter so that gateways behind one node do not beat in
 * step. */
#define FOLLOWER_BACKOFF_MAX_MS 30000
/* Blocks asked per walk-back batch. */
#define FOLLOWER_WALK 16
/* Answers of eth_getLogs asked for a range before an empty one is
 * believed over a header's logsBloom (see follower_doubt). */
#define FOLLOWER_DOUBT_ASKS 6

enum follower_phase {
    PHASE_IDLE = 0,
    PHASE_CHAIN_ID,  /* eth_chainId */
    PHASE_HEAD,      /* latest, our tip, finalized */
    PHASE_RANGE,     /* logs and headers of the next range */
    PHASE_WALK,      /* headers below a reorg */
    PHASE_STOPPED    /* refused the chain */
};

struct follower {
    struct event_base *base;
    struct rpc_client *rpc;
    struct abi_market abi;
    struct follower_config cfg;
    struct follower_sink sink;
    struct event *timer;
    enum follower_phase phase;
    int loaded;         /* the checkpoint is in memory */
    int chain_ok;       /* eth_chainId accepted */
    int in_call;        /* a call is out: its callback still comes */
    int freeing;
    uint64_t window;    /* blocks kept: confirmations + margin */
    uint32_t range;     /* blocks per eth_getLogs now */
    uint32_t range_cap; /* below the smallest span the node refused */
    unsigned failures;  /* rounds failed in a row */
    /* logsBloom bits of our contract's address and of Purchased. */
    uint16_t bloom_bits[2][3];
    /* A range whose headers' blooms say "maybe" where the logs say
     * nothing: asked doubt times so far. */
    uint64_t doubt_from, doubt_to;
    unsigned doubt;
    /* Kept blocks, ascending and contiguous up to tip where known. */
    struct follower_block *kept;
    size_t nkept, kept_cap;
    /* The round in progress. */
    uint64_t head;
    int has_finalized;
    uint64_t finalized;
    uint64_t from, to;         /* PHASE_RANGE */
    uint64_t walk_lo, walk_hi; /* PHASE_WALK: asked [lo, hi] */
    /* Scratch of a step. */
    struct follower_block *blocks;
    struct follower_payment *payments;
    struct follower_status st;
    /* The requests of the call in flight (their params are ours). */
    struct rpcwire_request req[RPCWIRE_BATCH_MAX];
    uint64_t asked[RPCWIRE_BATCH_MAX]; /* the block number of each
                                          eth_getBlockByNumber by number */
    size_t nreq;
};

static void follower_round(struct follower *fl);

const char *follower_state_name(enum follower_state s)
{
    switch (s) {
    case FOLLOWER_SYNCING:
        return "syncing";
    case FOLLOWER_OK:
        return "ok";
    case FOLLOWER_DEGRADED:
        return "degraded";
    case FOLLOWER_FINALITY_VIOLATED:
        return "finality_violated";
    }
    return "degraded";
}

/* ---- kept blocks ------------------------------------------------------ */

static const struct follower_block *follower_kept(const struct follower *fl,
                                                  uint64_t number)
{
    size_t lo = 0, hi = fl->nkept;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fl->kept[mid].number == number)
            return &fl->kept[mid];
        if (fl->kept[mid].number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Forget the kept blocks above number. */
static void follower_kept_drop_above(struct follower *fl, int64_t number)
{
    while (fl->nkept > 0 &&
           (int64_t)fl->kept[fl->nkept - 1].number > number)
        fl->nkept--;
}

/* Add blocks (ascending, all above the kept ones), then forget those
 * below keep_from. */
static int follower_kept_add(struct follower *fl,
                             const struct follower_block *b, size_t n,
                             int64_t keep_from)
{
    size_t i, drop = 0;

    if (fl->nkept + n > fl->kept_cap) {
        size_t cap = (fl->nkept + n) * 2;
        struct follower_block *p = realloc(fl->kept, cap * sizeof *p);
        if (p == NULL)
            return -1;
        fl->kept = p;
        fl->kept_cap = cap;
    }
    for (i = 0; i < n; i++)
        fl->kept[fl->nkept++] = b[i];
    while (drop < fl->nkept && (int64_t)fl->kept[drop].number < keep_from)
        drop++;
    if (drop > 0) {
        memmove(fl->kept, fl->kept + drop,
                (fl->nkept - drop) * sizeof *fl->kept);
        fl->nkept -= drop;
    }
    return 0;
}

/* ---- requests --------------------------------------------------------- */

static void follower_clear_requests(struct follower *fl)
{
    size_t i;

    for (i = 0; i < fl->nreq; i++)
        json_decref(fl->req[i].params);
    fl->nreq = 0;
}

static int follower_add(struct follower *fl, const char *method,
                        json_t *params)
{
    if (params == NULL || fl->nreq == RPCWIRE_BATCH_MAX) {
        json_decref(params);
        return -1;
    }
    fl->req[fl->nreq].method = method;
    fl->req[fl->nreq].params = params;
    fl->nreq++;
    return 0;
}

static json_t *follower_quantity(uint64_t n)
{
    char text[24];

    snprintf(text, sizeof text, "0x%" PRIx64, n);
    return json_string(text);
}

static int follower_add_block(struct follower *fl, uint64_t number)
{
    if (fl->nreq < RPCWIRE_BATCH_MAX)
        fl->asked[fl->nreq] = number;
    return follower_add(fl, "eth_getBlockByNumber",
                        json_pack("[o, b]", follower_quantity(number), 0));
}

static int follower_add_tag(struct follower *fl, const char *tag)
{
    return follower_add(fl, "eth_getBlockByNumber", json_pack("[s, b]", tag, 0));
}

/* ---- state and scheduling --------------------------------------------- */

static void follower_set_state(struct follower *fl, enum follower_state s)
{
    /* A finality violation stays shown until the operator restarts after
     * looking at it: the audit trail must not scroll it away. */
    if (fl->st.state == FOLLOWER_FINALITY_VIOLATED)
        return;
    if (fl->st.state != s) {
        fl->st.state = s;
        if (fl->sink.changed)
            fl->sink.changed(fl->sink.arg);
    }
}

static void follower_schedule(struct follower *fl, uint32_t ms)
{
    struct timeval tv;

    tv.tv_sec = ms / 1000;
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    evtimer_add(fl->timer, &tv);
}

static uint32_t follower_jitter(uint32_t ms)
{
    uint8_t r[2] = {0, 0};
    struct fault f;
    uint32_t spread;

    if (random_bytes(r, sizeof r, &f) < 0)
        return ms;
    spread = (uint32_t)(((uint64_t)ms * ((uint32_t)r[0] << 8 | r[1])) >> 16);
    return ms / 2 + spread; /* ms * [0.5, 1.5) */
}

/* The round failed: say why, show degraded, and back off. */
static void follower_fail(struct follower *fl, const struct fault *why)
{
    uint64_t ms = fl->cfg.poll_ms;
    unsigned i;

    fl->phase = PHASE_IDLE;
    fl->failures++;
    fl->st.failures++;
    snprintf(fl->st.last_error, sizeof fl->st.last_error, "%s", why->detail);
    if (fl->failures == 1 || fl->failures % 30 == 0)
        log_warn("chain follower: %s (attempt %u; retrying with back-off)",
                 why->detail, fl->failures);
    for (i = 1; i < fl->failures && ms < FOLLOWER_BACKOFF_MAX_MS; i++)
        ms *= 2;
    if (ms > FOLLOWER_BACKOFF_MAX_MS)
        ms = FOLLOWER_BACKOFF_MAX_MS;
    follower_set_state(fl, FOLLOWER_DEGRADED);
    follower_schedule(fl, follower_jitter((uint32_t)ms));
}

static void follower_failf(struct follower *fl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void follower_failf(struct follower *fl, const char *fmt, ...)
{
    struct fault f;
    va_list ap;

    fault_clear(&f);
    f.kind = FAULT_UNAVAILABLE;
    va_start(ap, fmt);
    vsnprintf(f.detail, sizeof f.detail, fmt, ap);
    va_end(ap);
    follower_fail(fl, &f);
}

/* The round went through: the next one after poll_ms, or at once when
 * there is more to catch up. */
static void follower_done(struct follower *fl, int more)
{
    fl->phase = PHASE_IDLE;
    fl->failures = 0;
    fl->st.last_error[0] = '\0';
    follower_set_state(fl, more ? FOLLOWER_SYNCING : FOLLOWER_OK);
    follower_schedule(fl, more ? 0 : fl->cfg.poll_ms);
}

static void follower_on_reply(void *arg, const struct rpcwire_reply *r,
                              size_t n);

static void follower_send(struct follower *fl, enum follower_phase phase)
{
    struct fault f;

    fl->phase = phase;
    fl->st.rounds += phase == PHASE_HEAD;
    if (rpc_batch(fl->rpc, fl->req, fl->nreq, follower_on_reply, fl, &f) <
        0) {
        follower_clear_requests(fl);
        follower_fail(fl, &f);
        return;
    }
    fl->in_call = 1;
}

/* ---- reading answers ---------------------------------------------------- */

/* The three bits of item in a logsBloom (the Yellow Paper's M3:2048). */
static void follower_bloom_bits(uint16_t bits[3], const uint8_t *item,
                                size_t len)
{
    uint8_t h[KECCAK256_LEN];
    int i;

    keccak256(h, item, len);
    for (i = 0; i < 3; i++)
        bits[i] = (uint16_t)(((unsigned)h[2 * i] << 8 | h[2 * i + 1]) &
                             2047);
}

static int follower_bloom_has(const uint8_t bloom[ETHJSON_BLOOM_LEN],
                              const uint16_t bits[3])
{
    int i;

    for (i = 0; i < 3; i++)
        if (!(bloom[ETHJSON_BLOOM_LEN - 1 - bits[i] / 8] &
              (1u << (bits[i] % 8))))
            return 0;
    return 1;
}

/* A header, or 0 when the node has no such block (result null). *maybe
 * (may be NULL) says whether its logsBloom may hold a Purchased log of
 * our contract (0 when the node gave no bloom). */
static int follower_header_bloom(struct follower_block *out,
                                 const struct follower *fl, int *maybe,
                                 const struct rpcwire_reply *r,
                                 const char *what, struct fault *f)
{
    struct ethjson_block b;

    memset(out, 0, sizeof *out);
    if (maybe != NULL)
        *maybe = 0;
    if (r->status != RPCWIRE_OK) {
        *f = r->fault;
        return -1;
    }
    if (json_is_null(r->result))
        return 0;
    if (ethjson_block(&b, r->result, what, f) < 0)
        return -1;
    out->number = b.number;
    memcpy(out->hash, b.hash, 32);
    memcpy(out->parent_hash, b.parent_hash, 32);
    if (maybe != NULL && fl != NULL && b.has_bloom)
        *maybe = follower_bloom_has(b.logs_bloom, fl->bloom_bits[0]) &&
                 follower_bloom_has(b.logs_bloom, fl->bloom_bits[1]);
    return 1;
}

static int follower_header(struct follower_block *out,
                           const struct rpcwire_reply *r, const char *what,
                           struct fault *f)
{
    return follower_header_bloom(out, NULL, NULL, r, what, f);
}

/* ---- the rounds --------------------------------------------------------- */

static int follower_credit_upto(const struct follower *fl, uint64_t tip,
                                uint64_t *upto)
{
    if (fl->cfg.finalized) {
        if (!fl->has_finalized)
            return 0;
        *upto = fl->finalized < tip ? fl->finalized : tip;
        return 1;
    }
    /* confirmations = tip - block + 1 >= N  <=>  block <= tip + 1 - N */
    if (tip + 1 < fl->cfg.confirmations)
        return 0;
    *upto = tip + 1 - fl->cfg.confirmations;
    return 1;
}

static int follower_apply(struct follower *fl, struct follower_step *step)
{
    uint64_t reversed = 0;
    struct fault f;

    if (fl->sink.apply(fl->sink.arg, step, &reversed, &f) < 0) {
        follower_fail(fl, &f);
        return -1;
    }
    fl->st.steps++;
    if (step->rollback) {
        fl->st.reorgs++;
        follower_kept_drop_above(fl, step->rollback_to);
    }
    if (follower_kept_add(fl, step->blocks, step->nblocks, step->keep_from) <
        0) {
        /* Memory: reload the checkpoint from the sink next round. */
        fl->loaded = 0;
    }
    fl->st.tip = step->tip;
    if (step->has_credit)
        fl->st.last_credit_upto = (int64_t)step->credit_upto;
    fl->st.payments += step->npayments;
    if (reversed > 0) {
        fl->st.reversed += reversed;
        log_error("chain follower: FINALITY VIOLATION: a reorg below %" PRId64
                  " removed %" PRIu64 " credited payment(s); their credit "
                  "is reversed (spent credit is now owed)",
                  step->rollback_to, reversed);
        fl->st.state = FOLLOWER_DEGRADED; /* so that the next set shows */
        follower_set_state(fl, FOLLOWER_FINALITY_VIOLATED);
    }
    if (fl->sink.changed)
        fl->sink.changed(fl->sink.arg);
    return 0;
}

/* The chain under our tip changed: walk back from below `from` (the
 * newest block that may still be ours) to find the common ancestor. */
static void follower_walk(struct follower *fl, uint64_t from)
{
    uint64_t lo, hi, n;

    if (fl->nkept == 0) {
        /* Nothing to compare with: start over below the window. */
        struct follower_step step;
        memset(&step, 0, sizeof step);
        step.rollback = 1;
        step.rollback_to = fl->st.tip - (int64_t)fl->window;
        if (step.rollback_to < -1)
            step.rollback_to = -1;
        step.tip = step.rollback_to;
        step.keep_from = step.tip;
        if (follower_apply(fl, &step) == 0)
            follower_done(fl, 1);
        return;
    }
    hi = from;
    if (hi > fl->kept[fl->nkept - 1].number)
        hi = fl->kept[fl->nkept - 1].number;
    lo = hi + 1 > FOLLOWER_WALK ? hi + 1 - FOLLOWER_WALK : 0;
    if (lo < fl->kept[0].number)
        lo = fl->kept[0].number;
    follower_clear_requests(fl);
    for (n = hi + 1; n-- > lo;)
        if (follower_add_block(fl, n) < 0) {
            follower_failf(fl, "out of memory");
            return;
        }
    fl->walk_lo = lo;
    fl->walk_hi = hi;
    follower_send(fl, PHASE_WALK);
}

static void follower_on_walk(struct follower *fl, const struct rpcwire_reply *r,
                             size_t n)
{
    struct follower_block b;
    struct follower_step step;
    const struct follower_block *k;
    uint64_t num;
    size_t i;
    struct fault f;

    /* Replies are from walk_hi down to walk_lo. */
    for (i = 0; i < n; i++) {
        num = fl->walk_hi - i;
        int rc = follower_header(&b, &r[i], "result", &f);
        if (rc < 0) {
            follower_fail(fl, &f);
            return;
        }
        k = follower_kept(fl, num);
        if (rc == 0 && num <= fl->head) {
            /* Missing, yet at or below the head the node gave this round:
             * a lagging backend or a reorg half done. Walking on would
             * roll back over blocks that may well be on the chain. */
            follower_failf(fl, "the node has no block %" PRIu64 " yet its "
                               "head is %" PRIu64 ": asking again",
                           num, fl->head);
            return;
        }
        if (rc == 1 && b.number != num) {
            follower_failf(fl, "the node gave block %" PRIu64 " for %" PRIu64,
                           b.number, num);
            return;
        }
        if (rc == 1 && k != NULL && memcmp(k->hash, b.hash, 32) == 0) {
            /* The common ancestor. */
            memset(&step, 0, sizeof step);
            step.rollback = 1;
            step.rollback_to = (int64_t)num;
            step.tip = (int64_t)num;
            step.keep_from = (int64_t)num - (int64_t)fl->window;
            log_warn("chain follower: reorg: the chain changed above block "
                     "%" PRIu64 " (our tip was %" PRId64 ")",
                     num, fl->st.tip);
            if (follower_apply(fl, &step) == 0)
                follower_done(fl, 1);
            return;
        }
    }
    if (fl->walk_lo > fl->kept[0].number) {
        follower_walk(fl, fl->walk_lo - 1);
        return;
    }
    /* Deeper than every block we keep: roll back below all of them. */
    memset(&step, 0, sizeof step);
    step.rollback = 1;
    step.rollback_to = (int64_t)fl->kept[0].number - 1;
    step.tip = step.rollback_to;
    step.keep_from = step.tip;
    log_error("chain follower: reorg deeper than the %" PRIu64 " blocks kept "
              "(below %" PRIu64 ")",
              fl->window, fl->kept[0].number);
    if (follower_apply(fl, &step) == 0)
        follower_done(fl, 1);
}

/* The next range: logs of [from, to] and the headers we need. */
static void follower_ask_range(struct follower *fl)
{
    uint64_t from = (uint64_t)(fl->st.tip + 1), to, n, shallow;
    char addr[43];
    char topic[67];

    to = from + fl->range - 1;
    if (to > fl->head)
        to = fl->head;
    /* Headers: every block within the window of the head (to detect a
     * reorg later), and the range's first and last (parent link, and the
     * proof that the node has reached the range). */
    shallow = fl->head + 1 > fl->window ? fl->head + 1 - fl->window : 0;
    if (shallow < from)
        shallow = from;
    if (shallow <= to && to - shallow + 1 > FOLLOWER_STEP_BLOCKS - 2)
        to = shallow + FOLLOWER_STEP_BLOCKS - 3;
    if (hex_encode_0x(addr, sizeof addr, fl->cfg.contract, 20) < 0 ||
        hex_encode_0x(topic, sizeof topic, fl->abi.purchased_topic, 32) < 0) {
        follower_failf(fl, "internal: hex");
        return;
    }
    follower_clear_requests(fl);
    if (follower_add(fl, "eth_getLogs",
                     json_pack("[{s:o, s:o, s:s, s:[s]}]", "fromBlock",
                               follower_quantity(from), "toBlock",
                               follower_quantity(to), "address", addr,
                               "topics", topic)) < 0 ||
        follower_add_block(fl, from) < 0) {
        follower_failf(fl, "out of memory");
        return;
    }
    for (n = shallow > from ? shallow : from + 1; n <= to; n++)
        if (follower_add_block(fl, n) < 0) {
            follower_failf(fl, "out of memory");
            return;
        }
    if (to > from && shallow > to && follower_add_block(fl, to) < 0) {
        follower_failf(fl, "out of memory");
        return;
    }
    fl->from = from;
    fl->to = to;
    follower_send(fl, PHASE_RANGE);
}

static int follower_cmp_payment(const void *a, const void *b)
{
    const struct follower_payment *x = a, *y = b;

    if (x->block_number != y->block_number)
        return x->block_number < y->block_number ? -1 : 1;
    if (x->log_index != y->log_index)
        return x->log_index < y->log_index ? -1 : 1;
    return 0;
}

/* Check and decode the logs of [from, to]. Returns the number of
 * payments, or -1 with f set (the range is asked again later). */
static long follower_read_logs(struct follower *fl, const json_t *logs,
                               const struct follower_block *hdr, size_t nhdr,
                               struct fault *f)
{
    struct ethjson_log *v = NULL, *lg;
    struct follower_payment *p;
    size_t count = 0, i, j, n = 0;
    long rv = -1;

    if (ethjson_logs(&v, &count, logs, "result", f) < 0)
        return -1;
    if (count > FOLLOWER_STEP_PAYMENTS) {
        /* Too many for one step: ask for a smaller range. */
        fault_set(f, FAULT_TOO_LARGE, "result", "%zu logs in one range",
                  count);
        goto done;
    }
    for (i = 0; i < count; i++) {
        lg = &v[i];
        /* Never trust the filter: check what it was asked to filter. */
        if (lg->removed) {
            fault_set(f, FAULT_CORRUPT, "result",
                      "eth_getLogs gave a removed log (result[%zu])", i);
            goto done;
        }
        if (memcmp(lg->address, fl->cfg.contract, 20) != 0 ||
            lg->topic_count == 0 ||
            memcmp(lg->topics[0], fl->abi.purchased_topic, 32) != 0) {
            fl->st.bad_logs++;
            continue; /* another contract or event: not a payment */
        }
        if (lg->block_number < fl->from || lg->block_number > fl->to) {
            fault_set(f, FAULT_CORRUPT, "result",
                      "a log of block %" PRIu64 " outside %" PRIu64
                      "..%" PRIu64,
                      lg->block_number, fl->from, fl->to);
            goto done;
        }
        for (j = 0; j < nhdr; j++)
            if (hdr[j].number == lg->block_number &&
                memcmp(hdr[j].hash, lg->block_hash, 32) != 0) {
                fault_set(f, FAULT_CONFLICT, "result",
                          "a log's block hash differs from block %" PRIu64
                          "'s: the chain is moving",
                          lg->block_number);
                goto done;
            }
        p = &fl->payments[n];
        memset(p, 0, sizeof *p);
        if (abi_decode_purchased(&p->p, &fl->abi,
                                 (const uint8_t(*)[32])lg->topics,
                                 lg->topic_count, lg->data, lg->data_len,
                                 f) < 0) {
            /* Our contract cannot emit this: log it, never credit it. */
            log_error("chain follower: refused a Purchased log of tx "
                      "0x%02x%02x%02x%02x... in block %" PRIu64 ": %s",
                      lg->tx_hash[0], lg->tx_hash[1], lg->tx_hash[2],
                      lg->tx_hash[3], lg->block_number, f->detail);
            fault_clear(f);
            fl->st.bad_logs++;
            continue;
        }
        memcpy(p->tx_hash, lg->tx_hash, 32);
        p->log_index = lg->log_index;
        p->block_number = lg->block_number;
        memcpy(p->block_hash, lg->block_hash, 32);
        n++;
    }
    qsort(fl->payments, n, sizeof *fl->payments, follower_cmp_payment);
    /* Ordinal: the place of a log among its transaction's payments (a
     * transaction lies in one block, so the range holds all of them). */
    for (i = 0; i < n; i++) {
        uint32_t ord = 0;
        for (j = 0; j < i; j++)
            if (memcmp(fl->payments[j].tx_hash, fl->payments[i].tx_hash,
                       32) == 0)
                ord++;
        fl->payments[i].ordinal = ord;
    }
    rv = (long)n;
done:
    ethjson_logs_free(v, count);
    return rv;
}

/* An empty eth_getLogs answer is what a node behind a load balancer
 * gives for a range one of its backends has not indexed yet, and nothing
 * else in the answer shows it. The headers we ask along (every block in
 * the window of the head) carry logsBloom: when one says a block may hold
 * a Purchased log of ours and the logs hold none of that block, ask the
 * range again, up to FOLLOWER_DOUBT_ASKS times at the poll interval,
 * before believing the logs (a bloom can be a false positive, and on a
 * busy chain often is). Deeper blocks of a catch-up range have no header
 * here and are not checked. Found by tests/integration/
 * test_chain_property.py behind rpc_fault_proxy.py, where an empty answer
 * lost payments for good. Returns 1 when the round ends here (asked
 * again later), 0 to go on. */
static int follower_doubt(struct follower *fl, const int *maybe, size_t nhdr,
                          size_t np)
{
    size_t i, j;
    int found;

    for (i = 0; i < nhdr; i++) {
        if (!maybe[i])
            continue;
        for (j = 0, found = 0; j < np && !found; j++)
            found = fl->payments[j].block_number == fl->blocks[i].number;
        if (found)
            continue;
        if (fl->doubt_from != fl->from || fl->doubt_to != fl->to) {
            fl->doubt_from = fl->from;
            fl->doubt_to = fl->to;
            fl->doubt = 0;
        }
        if (++fl->doubt >= FOLLOWER_DOUBT_ASKS) {
            log_info("chain follower: block %" PRIu64 "'s logsBloom may "
                     "hold a Purchased log of ours, yet %u answers of "
                     "eth_getLogs held none: taking the bloom's word as a "
                     "false positive",
                     fl->blocks[i].number, fl->doubt);
            break;
        }
        if (fl->doubt == 1)
            log_info("chain follower: eth_getLogs gave no Purchased log "
                     "in block %" PRIu64 " though its logsBloom may hold "
                     "one: asking %" PRIu64 "..%" PRIu64 " again",
                     fl->blocks[i].number, fl->from, fl->to);
        fl->phase = PHASE_IDLE;
        follower_schedule(fl, fl->cfg.poll_ms);
        return 1;
    }
    fl->doubt = 0;
    return 0;
}

static void follower_on_range(struct follower *fl,
                              const struct rpcwire_reply *r, size_t n)
{
    struct follower_step step;
    const struct follower_block *tipb;
    struct fault f;
    size_t i, nhdr = 0, keep = 0;
    uint64_t shallow, upto;
    int maybe[FOLLOWER_STEP_BLOCKS];
    long np;

    if (r[0].status == RPCWIRE_ERROR_OBJECT && fl->range > 1) {
        /* Most often "range too large" or "too many results": halve, and
         * never grow back to what was refused (a node's cap does not
         * move), so that no round is spent on a range it will refuse. */
        if (fl->to - fl->from + 1 <= fl->range_cap)
            fl->range_cap = (uint32_t)(fl->to - fl->from);
        fl->range /= 2;
        log_info("chain follower: the node refused %" PRIu64 "..%" PRIu64
                 " (%s); asking %u blocks at a time",
                 fl->from, fl->to, r[0].error_message, fl->range);
        fl->phase = PHASE_IDLE;
        follower_schedule(fl, 0);
        return;
    }
    if (r[0].status != RPCWIRE_OK) {
        follower_fail(fl, &r[0].fault);
        return;
    }
    /* Headers: each must exist (else the node has not reached the range
     * and an empty log list would mean nothing) and link to the one
     * before it. */
    for (i = 1; i < n && nhdr < FOLLOWER_STEP_BLOCKS; i++) {
        int rc = follower_header_bloom(&fl->blocks[nhdr], fl, &maybe[nhdr],
                                       &r[i], "result", &f);
        if (rc < 0) {
            follower_fail(fl, &f);
            return;
        }
        if (rc == 0) {
            follower_failf(fl, "the node does not have block %" PRIu64
                               " yet (head %" PRIu64 "): asking again",
                           fl->asked[i], fl->head);
            return;
        }
        if (fl->blocks[nhdr].number != fl->asked[i]) {
            follower_failf(fl, "the node gave block %" PRIu64 " for %" PRIu64,
                           fl->blocks[nhdr].number, fl->asked[i]);
            return;
        }
        if (nhdr > 0 && fl->blocks[nhdr].number ==
                            fl->blocks[nhdr - 1].number + 1 &&
            memcmp(fl->blocks[nhdr].parent_hash, fl->blocks[nhdr - 1].hash,
                   32) != 0) {
            follower_failf(fl, "blocks %" PRIu64 " and %" PRIu64
                               " do not link: the chain is moving",
                           fl->blocks[nhdr - 1].number,
                           fl->blocks[nhdr].number);
            return;
        }
        nhdr++;
    }
    if (nhdr == 0 || fl->blocks[0].number != fl->from) {
        follower_failf(fl, "the node answered another block than %" PRIu64,
                       fl->from);
        return;
    }
    /* The first block must sit on our tip. */
    tipb = fl->st.tip >= 0 ? follower_kept(fl, (uint64_t)fl->st.tip) : NULL;
    if (tipb != NULL && memcmp(fl->blocks[0].parent_hash, tipb->hash, 32)) {
        follower_walk(fl, (uint64_t)fl->st.tip);
        return;
    }
    np = follower_read_logs(fl, r[0].result, fl->blocks, nhdr, &f);
    if (np < 0) {
        if (f.kind == FAULT_TOO_LARGE && fl->range > 1) {
            fl->range /= 2;
            fl->phase = PHASE_IDLE;
            follower_schedule(fl, 0);
            return;
        }
        follower_fail(fl, &f);
        return;
    }
    if (follower_doubt(fl, maybe, nhdr, (size_t)np))
        return;
    /* Keep the headers within the window of the head, and always the
     * range's last (so that the next range can check its parent). */
    shallow = fl->head + 1 > fl->window ? fl->head + 1 - fl->window : 0;
    for (i = 0; i < nhdr; i++)
        if (fl->blocks[i].number >= shallow || fl->blocks[i].number == fl->to)
            fl->blocks[keep++] = fl->blocks[i];
    if (keep == 0 || fl->blocks[keep - 1].number != fl->to) {
        follower_failf(fl, "internal: the range's last header is missing");
        return;
    }
    memset(&step, 0, sizeof step);
    step.blocks = fl->blocks;
    step.nblocks = keep;
    step.payments = fl->payments;
    step.npayments = (size_t)np;
    step.tip = (int64_t)fl->to;
    step.keep_from = (int64_t)shallow - (int64_t)FOLLOWER_MARGIN;
    if (follower_credit_upto(fl, fl->to, &upto)) {
        step.has_credit = 1;
        step.credit_upto = upto;
    }
    if (follower_apply(fl, &step) < 0)
        return;
    /* It went through: try a longer range next time. */
    if (fl->range < fl->range_cap)
        fl->range = fl->range * 2 > fl->range_cap ? fl->range_cap
                                                  : fl->range * 2;
    follower_done(fl, fl->to < fl->head);
}

static void follower_on_head(struct follower *fl, const struct rpcwire_reply *r,
                             size_t n)
{
    struct follower_block latest, at_tip, fin;
    const struct follower_block *k;
    struct follower_step step;
    struct fault f;
    size_t next = 1;
    uint64_t upto;
    int rc;

    rc = follower_header(&latest, &r[0], "result", &f);
    if (rc <= 0) {
        if (rc == 0)
            follower_failf(fl, "the node has no latest block");
        else
            follower_fail(fl, &f);
        return;
    }
    if (fl->st.has_head && latest.number < fl->st.head)
        log_info("chain follower: the node's head went back from %" PRIu64
                 " to %" PRIu64, fl->st.head, latest.number);
    fl->head = latest.number;
    fl->st.head = latest.number;
    fl->st.has_head = 1;
    k = fl->st.tip >= 0 ? follower_kept(fl, (uint64_t)fl->st.tip) : NULL;
    if (k != NULL) {
        if (next >= n) {
            follower_failf(fl, "internal: reply count");
            return;
        }
        rc = follower_header(&at_tip, &r[next++], "result", &f);
        if (rc < 0) {
            follower_fail(fl, &f);
            return;
        }
        if (rc == 0 || memcmp(at_tip.hash, k->hash, 32) != 0) {
            /* Our tip is gone (a rollback) or another block (a reorg).
             * Walk from the tip, not from a head below it: a stale head
             * (a lagging backend behind a load balancer) would roll back
             * over blocks still on the chain and reverse their credits.
             * Blocks the node no longer has are simply no match. Found by
             * tests/integration/test_chain_property.py behind the fault
             * proxy's stale heads. */
            follower_walk(fl, (uint64_t)fl->st.tip);
            return;
        }
    }
    if (fl->cfg.finalized && next < n) {
        rc = follower_header(&fin, &r[next++], "result", &f);
        if (rc < 0) {
            follower_fail(fl, &f);
            return;
        }
        fl->has_finalized = rc == 1;
        fl->finalized = fin.number;
    }
    if ((int64_t)fl->head < fl->st.tip) {
        /* Our tip is still the node's block, yet its head is below it: a
         * node behind a load balancer that lags. Wait for it. */
        follower_failf(fl, "the node's head %" PRIu64 " is below our tip %"
                           PRId64 " while it still has that block",
                       fl->head, fl->st.tip);
        return;
    }
    if ((int64_t)fl->head == fl->st.tip) {
        /* Nothing new; in finalized mode the finalized block may still
         * have moved. */
        if (follower_credit_upto(fl, fl->head, &upto) &&
            (int64_t)upto > fl->st.last_credit_upto) {
            memset(&step, 0, sizeof step);
            step.tip = fl->st.tip;
            step.has_credit = 1;
            step.credit_upto = upto;
            step.keep_from = (int64_t)(fl->head + 1 > fl->window
                                           ? fl->head + 1 - fl->window
                                           : 0) -
                             (int64_t)FOLLOWER_MARGIN;
            if (follower_apply(fl, &step) < 0)
                return;
        }
        follower_done(fl, 0);
        return;
    }
    follower_ask_range(fl);
}

static void follower_on_reply(void *arg, const struct rpcwire_reply *r,
                              size_t n)
{
    struct follower *fl = arg;
    enum follower_phase phase = fl->phase;
    struct fault f;
    uint64_t id;

    fl->in_call = 0;
    if (fl->freeing || r[0].status == RPCWIRE_CANCELLED) {
        follower_clear_requests(fl);
        return;
    }
    switch (phase) {
    case PHASE_CHAIN_ID:
        if (r[0].status != RPCWIRE_OK) {
            follower_clear_requests(fl);
            follower_fail(fl, &r[0].fault);
            return;
        }
        if (ethjson_quantity(&id, r[0].result, "result", &f) < 0) {
            follower_clear_requests(fl);
            follower_fail(fl, &f);
            return;
        }
        follower_clear_requests(fl);
        fl->st.chain_id = id;
        if (fl->sink.chain_id(fl->sink.arg, id, &f) < 0) {
            log_error("chain follower: %s; not following this chain",
                      f.detail);
            snprintf(fl->st.last_error, sizeof fl->st.last_error, "%s",
                     f.detail);
            fl->phase = PHASE_STOPPED;
            follower_set_state(fl, FOLLOWER_DEGRADED);
            return;
        }
        fl->chain_ok = 1;
        fl->phase = PHASE_IDLE;
        follower_round(fl);
        return;
    case PHASE_HEAD:
        follower_on_head(fl, r, n);
        break;
    case PHASE_RANGE:
        follower_on_range(fl, r, n);
        break;
    case PHASE_WALK:
        follower_on_walk(fl, r, n);
        break;
    case PHASE_IDLE:
    case PHASE_STOPPED:
        break;
    }
    /* The requests of this reply are done with (a new call made from the
     * handlers above owns its own set: they clear and refill first). */
    if (!fl->in_call)
        follower_clear_requests(fl);
}

/* Load the checkpoint into memory. */
static int follower_load(struct follower *fl, struct fault *f)
{
    size_t n = 0, cap = (size_t)fl->window + FOLLOWER_MARGIN + 8;
    int64_t tip = -1;

    if (fl->kept_cap < cap) {
        struct follower_block *p = realloc(fl->kept, cap * sizeof *p);
        if (p == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        fl->kept = p;
        fl->kept_cap = cap;
    }
    if (fl->sink.load(fl->sink.arg, &tip, fl->kept, cap, &n, f) < 0)
        return -1;
    fl->nkept = n;
    fl->st.tip = tip;
    follower_kept_drop_above(fl, tip);
    fl->loaded = 1;
    return 0;
}

static void follower_round(struct follower *fl)
{
    struct fault f;

    if (fl->phase == PHASE_STOPPED || fl->in_call)
        return;
    follower_clear_requests(fl);
    if (!fl->chain_ok) {
        if (follower_add(fl, "eth_chainId", json_array()) < 0) {
            follower_failf(fl, "out of memory");
            return;
        }
        follower_send(fl, PHASE_CHAIN_ID);
        return;
    }
    if (!fl->loaded && follower_load(fl, &f) < 0) {
        follower_fail(fl, &f);
        return;
    }
    if (follower_add_tag(fl, "latest") < 0 ||
        (fl->st.tip >= 0 && follower_kept(fl, (uint64_t)fl->st.tip) &&
         follower_add_block(fl, (uint64_t)fl->st.tip) < 0) ||
        (fl->cfg.finalized && follower_add_tag(fl, "finalized") < 0)) {
        follower_failf(fl, "out of memory");
        return;
    }
    follower_send(fl, PHASE_HEAD);
}

static void follower_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    follower_round(arg);
}

int follower_new(struct follower **out, struct event_base *base,
                 struct rpc_client *rpc, const struct abi_market *abi,
                 const struct follower_config *cfg,
                 const struct follower_sink *sink, struct fault *f)
{
    struct follower *fl;

    *out = NULL;
    if (cfg->confirmations < 1 || cfg->confirmations > 100000 ||
        cfg->poll_ms < 1 || cfg->max_range < 1)
        return fault_set(f, FAULT_INVALID, "confirmations",
                         "the follower's settings are out of range");
    fl = calloc(1, sizeof *fl);
    if (fl == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    fl->base = base;
    fl->rpc = rpc;
    fl->abi = *abi;
    fl->cfg = *cfg;
    fl->sink = *sink;
    fl->window = (uint64_t)cfg->confirmations + FOLLOWER_MARGIN;
    follower_bloom_bits(fl->bloom_bits[0], cfg->contract, 20);
    follower_bloom_bits(fl->bloom_bits[1], abi->purchased_topic, 32);
    fl->range = cfg->max_range;
    fl->range_cap = cfg->max_range;
    fl->st.state = FOLLOWER_SYNCING;
    fl->st.tip = -1;
    fl->st.last_credit_upto = -1;
    fl->blocks = calloc(FOLLOWER_STEP_BLOCKS, sizeof *fl->blocks);
    fl->payments = calloc(FOLLOWER_STEP_PAYMENTS, sizeof *fl->payments);
    fl->timer = evtimer_new(base, follower_on_timer, fl);
    if (fl->blocks == NULL || fl->payments == NULL || fl->timer == NULL) {
        follower_free(fl);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    *out = fl;
    return 0;
}

void follower_start(struct follower *fl)
{
    follower_schedule(fl, 0);
}

void follower_free(struct follower *fl)
{
    if (fl == NULL)
        return;
    fl->freeing = 1;
    if (fl->timer != NULL)
        event_free(fl->timer);
    follower_clear_requests(fl);
    free(fl->kept);
    free(fl->blocks);
    free(fl->payments);
    free(fl);
}

void follower_status(const struct follower *fl, struct follower_status *out)
{
    *out = fl->st;
}
