/*
 * sim_ledger: a seeded simulation of the ledger, in TigerBeetle's auditor
 * habit (src/state_machine/auditor.zig): the real SQLite ledger
 * (pricing/ledger_sqlite.c) on a real store and catalogue in a fresh data
 * dir, driven by random steps of what the chain follower and the gateway
 * do, while a model in plain C structs says what the ledger must hold.
 *
 * The steps: blocks mined with payments in them (some for a draft, an
 * unknown data-set or the wrong owner, some huge) and handed over as the
 * follower does (ledger_apply_step, credit once deep enough); reorgs that
 * drop blocks, so that credits are reversed (owed units when spent) and
 * transactions come back elsewhere or never; queries as the gateway runs
 * them (the nonce looked up first, a recorded answer replayed; else the
 * cost from plan_cost under the plan read from the catalogue, then
 * ledger_release and the nonce's answer in one unit of work, several
 * requests in one unit each in a savepoint: group commit); price changes
 * (metered and pass plans, same unit); a simulated clock that runs passes
 * out; restarts (close and reopen), units of work rolled back or cut by a
 * crash midway, a release whose handler fails after it, and an audit log
 * that refuses writes (a TEMP trigger).
 *
 * After every step: no balance below zero or past 2^63 - 1, units -
 * owed_units = credited_total - spent_total for every pair, the debits of
 * a pair (what its releases cost and what became pass time, summed by the
 * simulation as it goes) are its spent_total and never exceed its credits
 * (credited_total + owed_units, and credited_total alone when nothing was
 * ever taken back), every release has one queries row and one audit entry
 * and there are no others, the audit chain verifies and each entry is the
 * text the model expects, a retry is never charged twice, and every
 * account agrees with the model. Every --full steps (20 times a run by
 * default) and at the end, before and after a last restart: the whole log
 * again, every queries row, accounts, usage, earnings, payments, pending
 * units and recorded answers, against the model.
 *
 * The model applies the rules every backend shares (ledger_credit_split,
 * ledger_reverse_split, ledger_pass_extend in pricing/ledger.c, tested on
 * their own by test_ledger_rules) to its own structs: what it checks is
 * the backend's bookkeeping around them. It reads the interface only,
 * but for one thing: the SQLite backend's queries rows, which the
 * interface shows only summed (usage, earnings).
 *
 *   sim_ledger [--seed N] [--steps N] [--full N] [--keep] [--verbose]
 *
 * The seed defaults to the time; the run prints it, and a violation prints
 * it with the step and what broke, and exits 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "lib/hex.h"
#include "lib/log.h"
#include "pricing/audit.h"
#include "pricing/ledger.h"
#include "pricing/ledger_sqlite.h"
#include "pricing/plan.h"
#include "storage/catalog.h"
#include "storage/db.h"
#include "storage/store.h"
#include "tests/support/testutil.h"

typedef unsigned __int128 sim_u128;

#define SIM_CHAIN 31337
#define SIM_WORKERS 4
#define SIM_WHALE 3        /* the worker whose payments may be huge */
#define SIM_OWNERS 2
#define SIM_PAYERS 2
#define SIM_DATASETS 6     /* 0..4 published, 5 a draft */
#define SIM_DRAFT 5
#define SIM_UNKNOWN (-1)   /* a data-set id that nobody published */
#define SIM_DAY0 1767225600 /* 2026-01-01T00:00:00Z */
#define SIM_MAX_CHUNKS 8
#define SIM_BATCH 5

/* Addresses: the gateway, owners, workers, payers, one index space. */
enum {
    SIM_GATEWAY = 0,
    SIM_OWNER0 = 1,
    SIM_WORKER0 = SIM_OWNER0 + SIM_OWNERS,
    SIM_PAYER0 = SIM_WORKER0 + SIM_WORKERS,
    SIM_ADDRS = SIM_PAYER0 + SIM_PAYERS
};

struct sim_ds {
    uint8_t id[32];
    int published;
    int owner;            /* address index */
    struct plan plan;     /* now; its unit never changes */
};

/* What the ledger holds of one (worker, data-set), by the model, and what
 * the simulation summed by itself. */
struct sim_pair {
    int exists;           /* the ledger keeps a row for it */
    uint64_t units, owed, credited, spent;
    char carry[LEDGER_AMOUNT_SIZE];
    int has_pass;
    int64_t pass_expires;
    uint64_t released;    /* what its releases cost */
    uint64_t passed;      /* units that became pass time */
    uint64_t reversals;   /* credits taken back */
};

/* One Purchased log, and the ledger's copy of it by the model. */
struct sim_pay {
    int tx;
    uint32_t ordinal;
    int worker, payer, owner; /* address indexes */
    int ds;                   /* SIM_UNKNOWN: an id nobody published */
    char amount[LEDGER_AMOUNT_SIZE];
    /* The ledger's copy (state LEDGER_SEEN: it holds none). */
    enum ledger_state state;
    enum ledger_reason reason;
    uint64_t block, log_index;
    uint64_t units;
    char unit[LEDGER_AMOUNT_SIZE];
    int64_t credited_at;
};

struct sim_tx {
    uint8_t hash[32];
    int first, n;         /* its logs: pay[first .. first + n) */
    int64_t block;        /* -1: waiting to be mined; -2: gone for good */
    uint64_t log0;        /* log index of its first log in the block */
};

struct sim_rel {
    int worker, ds;
    uint8_t query_id[16];
    uint64_t cost, nchunks;
    int64_t now;
    uint8_t hash[32];
    char *text;           /* until the per-step check has seen its entry */
};

struct sim_req {
    int worker, ds;
    char nonce[32];
    char target[96];
    uint8_t body[32];
    uint64_t chunks[SIM_MAX_CHUNKS];
    size_t nchunks;
    uint64_t rows, bytes;
    int answered;
    int status;
    char *answer;
    size_t answer_len;
};

/* What a unit of work or a savepoint can undo, for the model. */
struct sim_snap {
    struct sim_pair pairs[SIM_WORKERS][SIM_DATASETS];
    size_t nrel;
    uint64_t rel_cost;
    uint8_t last_hash[32];
    int64_t last_time;
};

struct sim {
    uint64_t seed, rng;
    uint64_t step, steps, full_every;
    int keep, verbose;
    char *dir;
    struct store *st;
    struct ledger *l;
    int64_t now;
    int aim;              /* 1 + a pair the next new query asks on; 0 */
    struct ethaddr addr[SIM_ADDRS];
    char addr_text[SIM_ADDRS][ETHADDR_TEXT_SIZE];
    uint8_t unknown_id[32];
    struct sim_ds ds[SIM_DATASETS];
    struct sim_pair pairs[SIM_WORKERS][SIM_DATASETS];
    /* The chain. */
    int64_t tip;
    uint64_t *fork;       /* fork id of each block, for its hash */
    size_t fork_cap;
    uint64_t next_fork;
    uint64_t required;    /* confirmations */
    struct sim_tx *tx;
    size_t ntx, tx_cap;
    struct sim_pay *pay;
    size_t npay, pay_cap;
    /* The model's payments held in a block, and the confirming ones
     * (conf[conf_head .. nconf)): indexes into pay. */
    int *live, *conf;
    size_t nlive, live_cap, conf_head, nconf, conf_cap;
    /* The chain's transactions waiting, and those in its blocks by block
     * and log index: indexes into tx. */
    int *pool, *chain;
    size_t npool, pool_cap, nchain, chain_cap;
    /* The follower. */
    int64_t ftip;         /* the last block the ledger has seen */
    int64_t rollback;     /* a rollback it has yet to hand over, or -2 */
    /* The audit log, by the model. */
    struct sim_rel *rel;
    size_t nrel, rel_cap;
    uint64_t rel_cost;    /* what they cost, together */
    int64_t rows_seen;    /* the last queries row checked, by rowid */
    size_t rows_nrel;     /* and the releases and costs then */
    uint64_t rows_cost;
    uint8_t last_hash[32];
    int64_t last_time;
    struct audit_check chk; /* over the entries checked so far */
    /* Requests. */
    struct sim_req *req;
    size_t nreq, req_cap;
    /* Counts, for the summary. */
    uint64_t n_credited, n_reversed, n_overflow, n_replayed, n_refused,
        n_refused_owed, n_refused_pass, n_pass, n_lost, n_restarts,
        n_crashes, n_rollbacks, n_audit_fail, n_price, n_reorgs,
        n_handler_fail, n_full;
};

static void sim_fail(struct sim *s, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

static void sim_fail(struct sim *s, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "sim_ledger: FAIL seed %" PRIu64 " step %" PRIu64 ": ",
            s->seed, s->step);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr,
            "\nsim_ledger: rerun with: sim_ledger --seed %" PRIu64
            " --steps %" PRIu64 " --full %" PRIu64 " --verbose\n",
            s->seed, s->step + 1, s->full_every);
    if (s->keep)
        fprintf(stderr, "sim_ledger: the data dir is kept: %s\n", s->dir);
    else
        testutil_rmtree(s->dir);
    exit(1);
}

#define SIM_CHECK(s, cond, ...)                                              \
    do {                                                                     \
        if (!(cond))                                                         \
            sim_fail((s), __VA_ARGS__);                                      \
    } while (0)

/* ---- small things ---- */

/* splitmix64: every choice of the run comes from the seed. */
static uint64_t sim_rand(struct sim *s)
{
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t sim_below(struct sim *s, uint64_t n)
{
    return n == 0 ? 0 : sim_rand(s) % n;
}

/* True with probability per_mille / 1000. */
static int sim_chance(struct sim *s, unsigned per_mille)
{
    return sim_below(s, 1000) < per_mille;
}

static void *sim_grow(void *p, size_t *cap, size_t n, size_t size)
{
    size_t c = *cap;

    if (n < c)
        return p;
    c = c == 0 ? 64 : c * 2;
    p = realloc(p, c * size);
    if (p == NULL) {
        perror("sim_ledger");
        exit(2);
    }
    memset((char *)p + *cap * size, 0, (c - *cap) * size);
    *cap = c;
    return p;
}

static void sim_u128_text(char out[LEDGER_AMOUNT_SIZE], sim_u128 v)
{
    char tmp[LEDGER_AMOUNT_SIZE];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + (unsigned)(v % 10));
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

static sim_u128 sim_u128_parse(const char *t)
{
    sim_u128 v = 0;

    for (; *t != '\0'; t++)
        v = v * 10 + (unsigned)(*t - '0');
    return v;
}

static void sim_day(char out[11], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static int sim_ds_cmp(const struct sim *s, int a, int b)
{
    return memcmp(s->ds[a].id, s->ds[b].id, 32);
}

static const char *sim_hex(const uint8_t *b, size_t n)
{
    static char out[2][80];
    static int k;

    k ^= 1;
    if (hex_encode_0x(out[k], sizeof out[k], b, n) < 0)
        snprintf(out[k], sizeof out[k], "?");
    return out[k];
}

/* ---- the store and the ledger ---- */

static void sim_open(struct sim *s)
{
    struct fault f;

    if (store_open(&s->st, NULL, s->dir, &f) < 0)
        sim_fail(s, "store_open: %s", f.detail);
    if (ledger_sqlite_open(&s->l, s->st, &f) < 0)
        sim_fail(s, "ledger_sqlite_open: %s", f.detail);
}

/* Close and open again: what a restart sees. A unit of work left open is
 * lost, as when the process dies. */
static void sim_reopen(struct sim *s)
{
    ledger_close(s->l);
    s->l = NULL;
    store_close(s->st);
    s->st = NULL;
    sim_open(s);
}

/* A folder for the data dir: tmpfs when there is one (the run commits
 * thousands of times, each synchronous), else $TMPDIR. */
static char *sim_mkdtemp(void)
{
    const char *base = getenv("SLUICE_SIM_DIR");
    char *path;

    if (base == NULL || base[0] == '\0')
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
    if (base == NULL)
        return testutil_mkdtemp();
    if (asprintf(&path, "%s/sluice-sim.XXXXXX", base) < 0 ||
        mkdtemp(path) == NULL) {
        perror("sim_ledger: mkdtemp");
        exit(2);
    }
    return path;
}

/* A random plan of unit `unit`: a pass, or metered. */
static void sim_random_plan(struct sim *s, struct plan *p, const char *unit,
                            int pass)
{
    struct fault f;

    memset(p, 0, sizeof *p);
    snprintf(p->unit_wei, sizeof p->unit_wei, "%s", unit);
    p->unit_wei_u64 = (uint64_t)sim_u128_parse(unit);
    if (pass) {
        p->kind = PLAN_PASS;
        p->price = 1 + sim_below(s, 12);
        p->duration_s = 60 + sim_below(s, 3 * 3600);
    } else {
        p->kind = PLAN_METERED;
        p->per_query = sim_below(s, 4);
        p->per_chunk = sim_below(s, 4);
        p->per_row = sim_chance(s, 150) ? 1 : 0;
        p->per_mib = sim_below(s, 3);
        p->min_purchase = sim_below(s, 5);
        if (p->per_query + p->per_chunk + p->per_row + p->per_mib == 0)
            p->per_query = 1;
    }
    if (plan_check(p, &f) < 0)
        sim_fail(s, "a plan of the simulation is bad: %s", f.detail);
}

/* Set data-set d's price to its model plan through the catalogue, as an
 * owner's price change does. */
static void sim_set_price(struct sim *s, int d)
{
    char *text = NULL;
    struct fault f;

    if (plan_to_text(&text, &s->ds[d].plan, &f) < 0 ||
        catalog_set_price(s->st, s->ds[d].id, text, 1.0, &f) < 0)
        sim_fail(s, "set a price: %s", f.detail);
    free(text);
}

static void sim_setup(struct sim *s)
{
    static const char *const units[SIM_DATASETS] = {
        "1000", "1", "1000000000", "7", "333", "1000"};
    struct store_dataset_spec spec;
    struct ledger_chain cs;
    uint8_t contract[20];
    struct fault f;
    int i;

    for (i = 0; i < SIM_ADDRS; i++) {
        memset(s->addr[i].bytes, 0x10 + 0x11 * i, ETHADDR_LEN);
        s->addr[i].bytes[19] = (uint8_t)i;
        ethaddr_to_text(s->addr_text[i], &s->addr[i]);
    }
    memset(s->unknown_id, 0x77, sizeof s->unknown_id);
    s->dir = sim_mkdtemp();
    sim_open(s);
    for (i = 0; i < SIM_DATASETS; i++) {
        struct sim_ds *d = &s->ds[i];
        memset(&spec, 0, sizeof spec);
        spec.format = SPLITTER_CSV;
        spec.name = "sim";
        d->owner = SIM_OWNER0 + i % SIM_OWNERS;
        spec.owner = s->addr_text[d->owner];
        spec.zlib_level = -1;
        d->published = i != SIM_DRAFT;
        if (store_create_dataset(s->st, d->id, &spec,
                                 d->published ? CATALOG_PUBLISHED
                                              : CATALOG_DRAFT,
                                 &f) < 0)
            sim_fail(s, "create a data-set: %s", f.detail);
        /* Two pass plans among the published ones, to begin with. */
        sim_random_plan(s, &d->plan, units[i], i == 1 || i == 4);
        sim_set_price(s, i);
    }
    memset(contract, 0xcc, sizeof contract);
    if (ledger_chain_open(s->l, &cs, SIM_CHAIN, contract, 0, &f) < 0)
        sim_fail(s, "ledger_chain_open: %s", f.detail);
    s->tip = -1;
    s->ftip = -1;
    s->rollback = -2;
    s->required = 1 + sim_below(s, 4);
    s->now = SIM_DAY0 + (int64_t)sim_below(s, 86400);
    for (i = 0; i < SIM_WORKERS * SIM_DATASETS; i++)
        snprintf(s->pairs[i / SIM_DATASETS][i % SIM_DATASETS].carry,
                 LEDGER_AMOUNT_SIZE, "0");
    audit_check_start(&s->chk);
}

/* ---- the model: the ledger's rules, applied to plain structs ---- */

static struct sim_pair *sim_pair_of(struct sim *s, int worker_addr, int ds)
{
    return &s->pairs[worker_addr - SIM_WORKER0][ds];
}

static void sim_snap_take(const struct sim *s, struct sim_snap *p)
{
    memcpy(p->pairs, s->pairs, sizeof p->pairs);
    p->nrel = s->nrel;
    p->rel_cost = s->rel_cost;
    memcpy(p->last_hash, s->last_hash, 32);
    p->last_time = s->last_time;
}

static void sim_snap_restore(struct sim *s, const struct sim_snap *p)
{
    size_t i;

    memcpy(s->pairs, p->pairs, sizeof p->pairs);
    for (i = p->nrel; i < s->nrel; i++) {
        free(s->rel[i].text);
        s->rel[i].text = NULL;
    }
    s->nrel = p->nrel;
    s->rel_cost = p->rel_cost;
    memcpy(s->last_hash, p->last_hash, 32);
    s->last_time = p->last_time;
}

static void sim_model_observe(struct sim *s, struct sim_pay *p,
                              uint64_t block, uint64_t log_index)
{
    if (p->state != LEDGER_SEEN) {
        p->block = block;
        p->log_index = log_index;
        if (p->state == LEDGER_REVERSED) {
            p->state = LEDGER_CONFIRMING;
            p->reason = LEDGER_REASON_NONE;
        }
        return;
    }
    p->block = block;
    p->log_index = log_index;
    p->units = 0;
    p->unit[0] = '\0';
    if (p->ds == SIM_UNKNOWN || !s->ds[p->ds].published) {
        p->state = LEDGER_UNMATCHED;
        p->reason = LEDGER_UNKNOWN_DATASET;
    } else if (p->owner != s->ds[p->ds].owner) {
        p->state = LEDGER_UNMATCHED;
        p->reason = LEDGER_OWNER_MISMATCH;
    } else {
        p->state = LEDGER_CONFIRMING;
        p->reason = LEDGER_REASON_NONE;
    }
}

static void sim_model_credit(struct sim *s, struct sim_pay *p, int64_t now)
{
    struct sim_pair *pr = sim_pair_of(s, p->worker, p->ds), b = *pr;
    const struct plan *plan = &s->ds[p->ds].plan;
    char carry[LEDGER_AMOUNT_SIZE];
    uint64_t add, give, used;
    int64_t expires;
    struct fault f;
    int rc;

    rc = ledger_credit_split(&add, carry, p->amount, b.carry, plan->unit_wei,
                             b.units, &f);
    if (rc < 0)
        sim_fail(s, "the model's credit split: %s", f.detail);
    if (rc == 1 || add > LEDGER_UNITS_MAX - b.credited)
        goto overflow;
    snprintf(b.carry, sizeof b.carry, "%s", carry);
    give = add < b.owed ? add : b.owed;
    b.owed -= give;
    b.units += add - give;
    b.credited += add;
    if (plan->kind == PLAN_PASS) {
        if (ledger_pass_extend(&used, &expires, b.units, plan->price,
                               plan->duration_s,
                               b.has_pass ? b.pass_expires : 0, now,
                               NULL) < 0)
            goto overflow;
        if (used > 0) {
            b.units -= used;
            b.spent += used;
            b.passed += used;
            b.has_pass = 1;
            b.pass_expires = expires;
        }
    }
    b.exists = 1;
    *pr = b;
    p->state = LEDGER_CREDITED;
    p->units = add;
    snprintf(p->unit, sizeof p->unit, "%s", plan->unit_wei);
    p->credited_at = now;
    s->n_credited++;
    return;
overflow:
    p->state = LEDGER_UNMATCHED;
    p->reason = LEDGER_OVERFLOW;
    s->n_overflow++;
}

static void sim_model_reverse(struct sim *s, struct sim_pay *p)
{
    struct sim_pair *b = sim_pair_of(s, p->worker, p->ds);
    char carry[LEDGER_AMOUNT_SIZE];
    uint64_t units, owed, take;
    struct fault f;

    if (ledger_reverse_split(&units, &owed, carry, p->amount, p->unit,
                             p->units, b->units, b->owed, b->carry, &f) < 0)
        sim_fail(s, "the model's reversal: %s", f.detail);
    take = (b->units - units) + (owed - b->owed);
    b->units = units;
    b->owed = owed;
    b->credited = take < b->credited ? b->credited - take : 0;
    snprintf(b->carry, sizeof b->carry, "%s", carry);
    b->reversals++;
    b->exists = 1;
    p->state = LEDGER_REVERSED;
    p->reason = LEDGER_REORGED;
    p->units = 0;
    s->n_reversed++;
}

/*
 * The ledger's payments that sit in a block (confirming, unmatched,
 * credited), by the model, are a stack by block and log index: a step
 * pushes the logs of blocks past everything held (the follower hands each
 * block over once, and a rollback first pops all above its point, newest
 * first, which is the order the ledger reverses credits in). The
 * confirming ones are a queue inside it: credit takes from its front,
 * rollback from its back. The simulation checks the order it relies on.
 */
static int sim_after(const struct sim_pay *a, const struct sim_pay *b)
{
    return a->block > b->block ||
           (a->block == b->block && a->log_index > b->log_index);
}

static void sim_live_push(struct sim *s, int k)
{
    struct sim_pay *p = &s->pay[k];

    SIM_CHECK(s, s->nlive == 0 || sim_after(p, &s->pay[s->live[s->nlive - 1]]),
              "the model: a payment observed below one held");
    s->live = sim_grow(s->live, &s->live_cap, s->nlive, sizeof *s->live);
    s->live[s->nlive++] = k;
    if (p->state == LEDGER_CONFIRMING) {
        s->conf = sim_grow(s->conf, &s->conf_cap, s->nconf, sizeof *s->conf);
        s->conf[s->nconf++] = k;
    }
}

/* What ledger_apply_step does, on the model: pays[i] is the payment of
 * st->payments[i]. */
static void sim_model_step(struct sim *s, const struct ledger_step *st,
                           struct sim_pay *const *pays, int64_t now)
{
    struct sim_pay *p;
    size_t i;

    if (st->has_rollback) {
        /* Forget what was confirming or unmatched above the point,
         * reverse what was credited there, newest first. */
        while (s->nlive > 0 &&
               (int64_t)(p = &s->pay[s->live[s->nlive - 1]])->block >
                   st->rollback_to) {
            s->nlive--;
            if (p->state == LEDGER_CREDITED) {
                sim_model_reverse(s, p);
                continue;
            }
            if (p->state == LEDGER_CONFIRMING) {
                SIM_CHECK(s,
                          s->nconf > s->conf_head &&
                              s->conf[s->nconf - 1] == s->live[s->nlive],
                          "the model: the confirming queue lost its order");
                s->nconf--;
            }
            p->state = LEDGER_SEEN;
        }
    }
    for (i = 0; i < st->npayments; i++) {
        p = pays[i];
        SIM_CHECK(s, p->state == LEDGER_SEEN || p->state == LEDGER_REVERSED,
                  "the model: a payment held in a block is seen again");
        sim_model_observe(s, p, st->payments[i].block_number,
                          st->payments[i].log_index);
        sim_live_push(s, (int)(p - s->pay));
    }
    if (st->credit) {
        while (s->conf_head < s->nconf &&
               (p = &s->pay[s->conf[s->conf_head]])->block <=
                   st->credit_upto) {
            s->conf_head++;
            sim_model_credit(s, p, now);
        }
        if (s->conf_head == s->nconf)
            s->conf_head = s->nconf = 0;
    }
}

/* Would the ledger release this query? */
static int sim_model_covers(const struct sim_pair *b, int pass, uint64_t cost,
                            int64_t now)
{
    if (b->owed > 0)
        return 0;
    if (pass)
        return b->has_pass && now < b->pass_expires;
    return b->units >= cost;
}

/* ---- the chain ---- */

static void sim_block_hash(const struct sim *s, int64_t n, uint8_t out[32])
{
    uint64_t fk = n >= 0 ? s->fork[n] : 0;
    int i;

    memset(out, 0, 32);
    for (i = 0; i < 8; i++) {
        out[i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(fk >> (56 - 8 * i));
    }
    out[31] = 0xb1;
}

/* A new transaction waiting to be mined: one or two Purchased logs. */
static void sim_new_tx(struct sim *s)
{
    struct sim_tx *t;
    int k, n = sim_chance(s, 150) ? 2 : 1;

    s->tx = sim_grow(s->tx, &s->tx_cap, s->ntx, sizeof *s->tx);
    t = &s->tx[s->ntx];
    memset(t, 0, sizeof *t);
    t->hash[0] = 0x7a;
    for (k = 0; k < 8; k++)
        t->hash[1 + k] = (uint8_t)(s->ntx >> (8 * k));
    for (k = 9; k < 32; k++)
        t->hash[k] = (uint8_t)sim_rand(s);
    t->first = (int)s->npay;
    t->n = n;
    t->block = -1;
    for (k = 0; k < n; k++) {
        struct sim_pay *p;
        const struct plan *plan;
        sim_u128 units, amount;
        uint64_t r = sim_below(s, 1000);

        s->pay = sim_grow(s->pay, &s->pay_cap, s->npay, sizeof *s->pay);
        p = &s->pay[s->npay++];
        memset(p, 0, sizeof *p);
        p->tx = (int)s->ntx;
        p->ordinal = (uint32_t)k;
        p->worker = SIM_WORKER0 + (int)sim_below(s, SIM_WORKERS);
        p->payer = sim_chance(s, 800) ? p->worker
                                      : SIM_PAYER0 +
                                            (int)sim_below(s, SIM_PAYERS);
        p->ds = r < 15 ? SIM_UNKNOWN
                : r < 30 ? SIM_DRAFT
                         : (int)sim_below(s, SIM_DRAFT);
        p->owner = p->ds == SIM_UNKNOWN ? SIM_OWNER0 : s->ds[p->ds].owner;
        if (sim_chance(s, 15))
            p->owner = p->owner == SIM_OWNER0 ? SIM_OWNER0 + 1 : SIM_OWNER0;
        plan = &s->ds[p->ds == SIM_UNKNOWN ? 0 : p->ds].plan;
        /* Mostly a few dozen units and a part of one (a carry); now and
         * then less than a unit; the whale's, rarely, near 2^63 units. */
        units = sim_chance(s, 100) ? 0 : 1 + sim_below(s, 60);
        if (p->worker == SIM_WHALE && sim_chance(s, 40))
            units = ((sim_u128)1 << 61) + sim_below(s, (uint64_t)1 << 62);
        amount = units * sim_u128_parse(plan->unit_wei) +
                 sim_below(s, plan->unit_wei_u64);
        sim_u128_text(p->amount, amount);
        p->state = LEDGER_SEEN;
    }
    s->pool = sim_grow(s->pool, &s->pool_cap, s->npool, sizeof *s->pool);
    s->pool[s->npool++] = (int)s->ntx;
    s->ntx++;
}

/* Mine block tip + 1 with some of the waiting transactions. */
static void sim_mine_block(struct sim *s)
{
    uint64_t log = 0;
    size_t i, kept = 0;
    int64_t n = s->tip + 1;

    s->fork = sim_grow(s->fork, &s->fork_cap, (size_t)n, sizeof *s->fork);
    s->fork[n] = ++s->next_fork;
    s->tip = n;
    for (i = 0; i < s->npool; i++) {
        struct sim_tx *t = &s->tx[s->pool[i]];
        if (!sim_chance(s, 600)) {
            s->pool[kept++] = s->pool[i];
            continue;
        }
        t->block = n;
        t->log0 = log;
        log += (uint64_t)t->n + sim_below(s, 2); /* other contracts' logs */
        s->chain = sim_grow(s->chain, &s->chain_cap, s->nchain,
                            sizeof *s->chain);
        s->chain[s->nchain++] = s->pool[i];
    }
    s->npool = kept;
}

/* Blocks after x leave the chain: their transactions wait again, or are
 * gone for good. */
static void sim_reorg(struct sim *s, int64_t x)
{
    while (s->nchain > 0 && s->tx[s->chain[s->nchain - 1]].block > x) {
        struct sim_tx *t = &s->tx[s->chain[--s->nchain]];
        if (sim_chance(s, 700)) {
            t->block = -1;
            s->pool = sim_grow(s->pool, &s->pool_cap, s->npool,
                               sizeof *s->pool);
            s->pool[s->npool++] = s->chain[s->nchain];
        } else {
            t->block = -2;
        }
    }
    s->tip = x;
    if (x < s->ftip && (s->rollback == -2 || x < s->rollback))
        s->rollback = x;
    s->n_reorgs++;
}

/* Hand what the follower learnt since its last step to the ledger, in
 * one unit of work; or, now and then, crash or roll back midway (the
 * follower then does it again next time). */
static void sim_follow(struct sim *s)
{
    struct ledger_step st;
    struct ledger_payment *lp = NULL;
    struct sim_pay **pays = NULL;
    struct ledger_block *blocks = NULL;
    int64_t from, b;
    uint64_t reversed = 0, before;
    size_t i, n = 0, nb = 0, k, c;
    struct fault f;
    int cut = (int)sim_below(s, 1000);

    memset(&st, 0, sizeof st);
    st.chain_id = SIM_CHAIN;
    if (s->rollback != -2) {
        st.has_rollback = 1;
        st.rollback_to = s->rollback;
        from = s->rollback + 1;
    } else {
        from = s->ftip + 1;
    }
    /* The logs of blocks from .. tip, in order: the chain's last
     * transactions, each one's logs by ordinal. */
    for (c = s->nchain; c > 0 && s->tx[s->chain[c - 1]].block >= from; c--)
        n += (size_t)s->tx[s->chain[c - 1]].n;
    pays = calloc(n + 1, sizeof *pays);
    lp = calloc(n + 1, sizeof *lp);
    blocks = calloc((size_t)(s->tip - from + 2 > 0 ? s->tip - from + 2 : 1),
                    sizeof *blocks);
    if (pays == NULL || lp == NULL || blocks == NULL)
        exit(2);
    for (n = 0; c < s->nchain; c++) {
        struct sim_tx *t = &s->tx[s->chain[c]];
        for (k = 0; k < (size_t)t->n; k++) {
            pays[n] = &s->pay[t->first + (int)k];
            lp[n].block_number = (uint64_t)t->block;
            lp[n].log_index = t->log0 + k;
            n++;
        }
    }
    for (i = 0; i < n; i++) {
        struct sim_pay *p = pays[i];
        struct sim_tx *t = &s->tx[p->tx];
        lp[i].chain_id = SIM_CHAIN;
        memcpy(lp[i].tx_hash, t->hash, 32);
        lp[i].ordinal = p->ordinal;
        sim_block_hash(s, t->block, lp[i].block_hash);
        memcpy(lp[i].dataset_id,
               p->ds == SIM_UNKNOWN ? s->unknown_id : s->ds[p->ds].id, 32);
        lp[i].worker = s->addr[p->worker];
        lp[i].payer = s->addr[p->payer];
        lp[i].owner = s->addr[p->owner];
        snprintf(lp[i].amount_wei, sizeof lp[i].amount_wei, "%s", p->amount);
        memset(lp[i].ref, (int)(i & 0xff), 32);
    }
    for (b = from; b <= s->tip; b++) {
        blocks[nb].number = (uint64_t)b;
        sim_block_hash(s, b, blocks[nb].hash);
        sim_block_hash(s, b - 1, blocks[nb].parent_hash);
        nb++;
    }
    st.payments = lp;
    st.npayments = n;
    st.blocks = blocks;
    st.nblocks = nb;
    st.tip = s->tip;
    st.keep_from = s->tip - 32;
    st.credit = s->tip + 1 >= (int64_t)s->required;
    st.credit_upto = st.credit ? (uint64_t)(s->tip + 1 - (int64_t)s->required)
                               : 0;
    if (ledger_begin(s->l, &f) < 0)
        sim_fail(s, "begin a follower step: %s", f.detail);
    if (ledger_apply_step(s->l, &st, s->now, &reversed, &f) < 0)
        sim_fail(s, "ledger_apply_step: %s", f.detail);
    if (cut < 10) {
        /* The process dies before the commit: nothing of it is kept. */
        sim_reopen(s);
        s->n_crashes++;
        s->n_restarts++;
    } else if (cut < 25) {
        ledger_rollback(s->l);
        s->n_rollbacks++;
    } else {
        if (ledger_commit(s->l, &f) < 0)
            sim_fail(s, "commit a follower step: %s", f.detail);
        before = s->n_reversed;
        sim_model_step(s, &st, pays, s->now);
        SIM_CHECK(s, reversed == s->n_reversed - before,
                  "the step reversed %" PRIu64 " credits, the model %" PRIu64,
                  reversed, s->n_reversed - before);
        s->ftip = s->tip;
        s->rollback = -2;
    }
    free(pays);
    free(lp);
    free(blocks);
}

/* ---- queries, as the gateway runs them ---- */

/* A new request; returns its index in s->req (which it may move). */
static size_t sim_new_req(struct sim *s)
{
    struct sim_req *r;
    uint64_t c = 0;
    size_t i;

    s->req = sim_grow(s->req, &s->req_cap, s->nreq, sizeof *s->req);
    r = &s->req[s->nreq];
    memset(r, 0, sizeof *r);
    r->worker = SIM_WORKER0 + (int)sim_below(s, SIM_WORKERS);
    r->ds = (int)sim_below(s, SIM_DRAFT);
    if (s->aim > 0 && s->aim - 1 < SIM_WORKERS * SIM_DATASETS &&
        (s->aim - 1) % SIM_DATASETS != SIM_DRAFT) {
        r->worker = SIM_WORKER0 + (s->aim - 1) / SIM_DATASETS;
        r->ds = (s->aim - 1) % SIM_DATASETS;
    }
    s->aim = 0;
    snprintf(r->nonce, sizeof r->nonce, "sim-%016" PRIx64 "-%zu",
             sim_rand(s), s->nreq);
    snprintf(r->target, sizeof r->target, "/v1/datasets/%s/queries",
             sim_hex(s->ds[r->ds].id, 32));
    for (i = 0; i < sizeof r->body; i++)
        r->body[i] = (uint8_t)sim_rand(s);
    /* Ascending chunks, none now and then (an empty query). */
    r->nchunks = sim_chance(s, 100) ? 0 : 1 + sim_below(s, SIM_MAX_CHUNKS);
    for (i = 0; i < r->nchunks; i++) {
        c += 1 + sim_below(s, 5);
        r->chunks[i] = c;
        r->rows += 1 + sim_below(s, 8);
    }
    r->bytes = r->nchunks * (1 + sim_below(s, (uint64_t)3 << 20));
    return s->nreq++;
}

/* What the gateway reads before pricing a query: the plan in the
 * catalogue. It must be the model's. */
static void sim_read_plan(struct sim *s, int d, struct plan *out)
{
    const struct plan *m = &s->ds[d].plan;
    struct catalog_terms t;
    json_t *j = NULL;
    struct fault f;
    int found = 0;

    if (catalog_get_terms(s->st, &t, &found, s->ds[d].id, &f) < 0)
        sim_fail(s, "catalog_get_terms: %s", f.detail);
    SIM_CHECK(s, found && t.published && t.price != NULL,
              "data-set %d has no terms", d);
    j = json_loads(t.price, 0, NULL);
    if (j == NULL || plan_from_json(out, j, "price", &f) < 0)
        sim_fail(s, "the stored plan of data-set %d does not read", d);
    json_decref(j);
    catalog_terms_clear(&t);
    SIM_CHECK(s,
              out->kind == m->kind &&
                  strcmp(out->unit_wei, m->unit_wei) == 0 &&
                  out->per_query == m->per_query &&
                  out->per_chunk == m->per_chunk &&
                  out->per_row == m->per_row && out->per_mib == m->per_mib &&
                  out->price == m->price && out->duration_s == m->duration_s,
              "the catalogue's plan of data-set %d is not the model's", d);
}

static void sim_record(struct sim *s, const struct sim_req *r, int status,
                       const char *answer)
{
    struct ledger_nonce n;
    struct fault f;

    memset(&n, 0, sizeof n);
    snprintf(n.address, sizeof n.address, "%s", s->addr_text[r->worker]);
    snprintf(n.nonce, sizeof n.nonce, "%s", r->nonce);
    n.created_at = s->now;
    snprintf(n.method, sizeof n.method, "POST");
    n.target = (char *)(uintptr_t)r->target;
    memcpy(n.body_sha256, r->body, 32);
    n.status = status;
    snprintf(n.content_type, sizeof n.content_type, "%s",
             status == 200 ? "application/json" : "application/problem+json");
    n.response = (uint8_t *)(uintptr_t)answer;
    n.response_len = strlen(answer);
    if (ledger_nonce_insert(s->l, &n, &f) < 0)
        sim_fail(s, "record the nonce of a query: %s", f.detail);
}

/* The nonce gate: a request answered before gets its answer again, and
 * nothing else happens. Returns 1 when it was replayed. */
static int sim_gate(struct sim *s, struct sim_req *r)
{
    struct ledger_nonce n;
    struct fault f;
    int found = 0;
    uint64_t index;
    uint8_t hash[32];
    int64_t t;

    if (ledger_nonce_lookup(s->l, &n, &found, s->addr_text[r->worker],
                            r->nonce, &f) < 0)
        sim_fail(s, "ledger_nonce_lookup: %s", f.detail);
    if (!found) {
        SIM_CHECK(s, !r->answered,
                  "the recorded answer of request %s is gone", r->nonce);
        return 0;
    }
    SIM_CHECK(s, r->answered,
              "request %s has a recorded answer, yet none was given",
              r->nonce);
    SIM_CHECK(s,
              n.status == r->status && n.response_len == r->answer_len &&
                  memcmp(n.response, r->answer, r->answer_len) == 0 &&
                  strcmp(n.target, r->target) == 0 &&
                  memcmp(n.body_sha256, r->body, 32) == 0,
              "a retry of %s does not get the answer it got", r->nonce);
    ledger_nonce_clear(&n);
    /* Nothing moves: not the log (accounts are checked after the step). */
    if (ledger_audit_head(s->l, &index, hash, &t, &f) < 0)
        sim_fail(s, "ledger_audit_head: %s", f.detail);
    SIM_CHECK(s, index == s->nrel, "a retry moved the audit log");
    s->n_replayed++;
    return 1;
}

enum sim_unit_end {
    SIM_COMMIT,      /* as it should */
    SIM_ROLLBACK,    /* a failed commit: every effect and answer lost */
    SIM_CRASH,       /* the process dies before the commit */
    SIM_AUDIT_FAILS  /* committed, but every audit write is refused */
};

/* The release of request r inside the open unit, in its savepoint, as a
 * batched query route does it. *answer is set to the recorded answer
 * (malloc'd) and *status to its status, or *answer NULL when nothing is
 * recorded (a 5xx). */
static void sim_query(struct sim *s, struct sim_req *r, int audit_fails,
                      char **answer, int *status)
{
    struct sim_pair *b = sim_pair_of(s, r->worker, r->ds);
    struct sim_snap snap;
    struct ledger_release rel;
    struct plan_usage u;
    struct plan plan;
    struct audit_entry e;
    struct sim_rel *m;
    char *want = NULL, buf[512];
    uint8_t want_hash[32];
    size_t want_len, k;
    uint64_t cost = 0;
    struct fault f;
    int covers, rc;

    *answer = NULL;
    *status = 0;
    sim_snap_take(s, &snap);
    if (ledger_savepoint(s->l, &f) < 0)
        sim_fail(s, "ledger_savepoint: %s", f.detail);
    sim_read_plan(s, r->ds, &plan);
    u.chunks = r->nchunks;
    u.rows = r->rows;
    u.plain_bytes = r->bytes;
    if (plan_cost(&cost, &plan, &u, &f) < 0)
        sim_fail(s, "plan_cost: %s", f.detail);
    memset(&rel, 0, sizeof rel);
    memcpy(rel.dataset_id, s->ds[r->ds].id, 32);
    rel.worker = s->addr[r->worker];
    rel.owner = s->addr[s->ds[r->ds].owner];
    rel.gateway = s->addr[SIM_GATEWAY];
    for (k = 0; k < 16; k++)
        rel.query_id[k] = (uint8_t)sim_rand(s);
    rel.chunks = r->chunks;
    rel.nchunks = r->nchunks;
    rel.rows = r->rows;
    rel.plain_bytes = r->bytes;
    rel.pass = plan.kind == PLAN_PASS;
    rel.cost = rel.pass ? 0 : cost;
    rel.now = s->now;
    covers = sim_model_covers(b, rel.pass, rel.cost, s->now);
    fault_clear(&f);
    rc = ledger_release(s->l, &rel, &f);
    if (covers && audit_fails) {
        SIM_CHECK(s, rc < 0 && f.kind != FAULT_PAYMENT,
                  "a release went through with the audit log refusing "
                  "writes (rc %d, %s)", rc, fault_kind_name(f.kind));
        SIM_CHECK(s, rel.text == NULL && rel.index == 0,
                  "a failed release left its outputs set");
        s->n_audit_fail++;
        goto undo; /* a 5xx: not recorded */
    }
    if (!covers) {
        SIM_CHECK(s, rc < 0 && f.kind == FAULT_PAYMENT,
                  "worker %d on data-set %d (units %" PRIu64 ", owed %"
                  PRIu64 ", pass %d until %" PRId64 ", now %" PRId64
                  "): a release of cost %" PRIu64 "%s was %s, not refused "
                  "for payment",
                  r->worker - SIM_WORKER0, r->ds, b->units, b->owed,
                  b->has_pass, b->pass_expires, s->now, rel.cost,
                  rel.pass ? " under a pass" : "",
                  rc == 0 ? "released" : fault_kind_name(f.kind));
        SIM_CHECK(s, rel.text == NULL && rel.index == 0,
                  "a refused release left its outputs set");
        s->n_refused++;
        s->n_refused_owed += b->owed > 0;
        s->n_refused_pass += b->owed == 0 && rel.pass;
        if (ledger_savepoint_undo(s->l, &f) < 0)
            sim_fail(s, "ledger_savepoint_undo: %s", f.detail);
        snprintf(buf, sizeof buf, "402 cost=%" PRIu64 " pass=%d", rel.cost,
                 rel.pass);
        sim_record(s, r, 402, buf);
        *status = 402;
        goto record;
    }
    SIM_CHECK(s, rc == 0,
              "worker %d on data-set %d (units %" PRIu64 "): a release of "
              "cost %" PRIu64 "%s the model covers failed: %s",
              r->worker - SIM_WORKER0, r->ds, b->units, rel.cost,
              rel.pass ? " under a pass" : "", f.detail);
    s->n_pass += rel.pass;
    /* What the model says it must be, to the byte. */
    b->units -= rel.cost;
    b->spent += rel.cost;
    b->released += rel.cost;
    b->exists = 1;
    memset(&e, 0, sizeof e);
    e.index = s->nrel + 1;
    memcpy(e.prev, s->last_hash, 32);
    e.time = s->now;
    e.gateway = rel.gateway;
    memcpy(e.dataset_id, rel.dataset_id, 32);
    e.worker = rel.worker;
    memcpy(e.query_id, rel.query_id, 16);
    e.chunks = r->chunks;
    e.nchunks = r->nchunks;
    e.cost = rel.cost;
    e.balance_after = b->units;
    e.credited_total = b->credited;
    e.spent_total = b->spent;
    if (audit_entry_text(&want, &want_len, want_hash, &e, &f) < 0)
        sim_fail(s, "audit_entry_text: %s", f.detail);
    SIM_CHECK(s,
              rel.index == e.index && rel.balance_after == b->units &&
                  rel.credited_total == b->credited &&
                  rel.spent_total == b->spent && rel.text != NULL &&
                  rel.text_len == want_len &&
                  memcmp(rel.text, want, want_len) == 0 &&
                  memcmp(rel.hash, want_hash, 32) == 0,
              "release %" PRIu64 " is not what the model says:\n%s\n--- "
              "the model:\n%s",
              e.index, rel.text != NULL ? rel.text : "(none)", want);
    SIM_CHECK(s, rel.balance_after == rel.credited_total - rel.spent_total,
              "release %" PRIu64 ": balance_after is not credited - spent",
              e.index);
    free(rel.text);
    s->rel = sim_grow(s->rel, &s->rel_cap, s->nrel, sizeof *s->rel);
    m = &s->rel[s->nrel++];
    memset(m, 0, sizeof *m);
    m->worker = r->worker;
    m->ds = r->ds;
    memcpy(m->query_id, rel.query_id, 16);
    m->cost = rel.cost;
    s->rel_cost += rel.cost;
    m->nchunks = r->nchunks;
    m->now = s->now;
    memcpy(m->hash, want_hash, 32);
    m->text = want;
    memcpy(s->last_hash, want_hash, 32);
    s->last_time = s->now;
    if (sim_chance(s, 20)) {
        /* The handler fails after the release (it could not write its
         * answer): request_fail undoes its savepoint; a 5xx. */
        s->n_handler_fail++;
        goto undo;
    }
    snprintf(buf, sizeof buf,
             "200 query=%s cost=%" PRIu64 " balance_after=%" PRIu64
             " credited_total=%" PRIu64 " spent_total=%" PRIu64
             " index=%" PRIu64 " receipt=%s",
             sim_hex(rel.query_id, 16), rel.cost, rel.balance_after,
             rel.credited_total, rel.spent_total, rel.index,
             sim_hex(rel.hash, 32));
    sim_record(s, r, 200, buf);
    *status = 200;
record:
    *answer = strdup(buf);
    if (ledger_savepoint_release(s->l, &f) < 0)
        sim_fail(s, "ledger_savepoint_release: %s", f.detail);
    return;
undo:
    if (ledger_savepoint_undo(s->l, &f) < 0 ||
        ledger_savepoint_release(s->l, &f) < 0)
        sim_fail(s, "undo a request's savepoint: %s", f.detail);
    sim_snap_restore(s, &snap);
}

static void sim_audit_refuse(struct sim *s, int on)
{
    struct fault f;

    if (db_exec(s->st->db,
                on ? "CREATE TEMP TRIGGER sim_audit_refuses BEFORE INSERT "
                     "ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log "
                     "refuses writes'); END"
                   : "DROP TRIGGER IF EXISTS temp.sim_audit_refuses",
                &f) < 0)
        sim_fail(s, "the audit trigger: %s", f.detail);
}

/* One group commit of up to n requests: the nonce gate first (answered
 * ones are replayed), then one unit with a savepoint each, ended as end
 * says. */
static void sim_batch(struct sim *s, struct sim_req **reqs, size_t n,
                      enum sim_unit_end end)
{
    struct sim_snap snap;
    struct sim_req *run[SIM_BATCH];
    char *answers[SIM_BATCH];
    int status[SIM_BATCH];
    size_t i, k, nrun = 0;
    struct fault f;

    for (i = 0; i < n; i++) {
        for (k = 0; k < nrun; k++)
            if (run[k] == reqs[i])
                break;
        if (k < nrun || sim_gate(s, reqs[i]))
            continue; /* in flight already, or replayed */
        run[nrun++] = reqs[i];
    }
    if (nrun == 0)
        return;
    sim_snap_take(s, &snap);
    if (end == SIM_AUDIT_FAILS)
        sim_audit_refuse(s, 1);
    if (ledger_begin(s->l, &f) < 0)
        sim_fail(s, "ledger_begin: %s", f.detail);
    for (i = 0; i < nrun; i++)
        sim_query(s, run[i], end == SIM_AUDIT_FAILS, &answers[i],
                  &status[i]);
    SIM_CHECK(s, ledger_in_unit(s->l), "the unit of work ended by itself");
    switch (end) {
    case SIM_COMMIT:
    case SIM_AUDIT_FAILS:
        if (ledger_commit(s->l, &f) < 0)
            sim_fail(s, "ledger_commit: %s", f.detail);
        for (i = 0; i < nrun; i++) {
            if (answers[i] == NULL)
                continue;
            run[i]->answered = 1;
            run[i]->status = status[i];
            run[i]->answer = answers[i];
            run[i]->answer_len = strlen(answers[i]);
            answers[i] = NULL;
        }
        break;
    case SIM_ROLLBACK:
        ledger_rollback(s->l);
        sim_snap_restore(s, &snap);
        s->n_rollbacks++;
        break;
    case SIM_CRASH:
        sim_reopen(s);
        sim_snap_restore(s, &snap);
        s->n_crashes++;
        s->n_restarts++;
        break;
    }
    for (i = 0; i < nrun; i++) {
        if (answers[i] != NULL)
            s->n_lost++;
        free(answers[i]);
    }
    if (end == SIM_AUDIT_FAILS)
        sim_audit_refuse(s, 0);
}

/* ---- the checks ---- */

/* The one place the simulation reads the SQLite backend's tables rather
 * than the interface: its queries rows, one per release. Column col of
 * the one row of sql, with ?1 bound to arg. */
static int64_t sim_sql_int(struct sim *s, const char *sql, int64_t arg,
                           int col)
{
    sqlite3_stmt *st = NULL;
    struct fault f;
    int64_t v;

    if (db_prepare(s->st->db, &st, sql, &f) < 0)
        sim_fail(s, "%s: %s", sql, f.detail);
    sqlite3_bind_int64(st, 1, arg);
    if (db_step(s->st->db, st, "sim", &f) != 1)
        sim_fail(s, "%s: %s", sql, f.detail);
    v = sqlite3_column_int64(st, col);
    db_release(st);
    return v;
}

static void sim_check_pair(struct sim *s, int w, int d,
                           const struct ledger_account *a)
{
    const struct sim_pair *m = &s->pairs[w][d];

    SIM_CHECK(s, memcmp(a->dataset_id, s->ds[d].id, 32) == 0,
              "an account names another data-set");
    /* The rules, whatever the model says. */
    SIM_CHECK(s,
              a->units <= LEDGER_UNITS_MAX &&
                  a->owed_units <= LEDGER_UNITS_MAX &&
                  a->credited_total <= LEDGER_UNITS_MAX &&
                  a->spent_total <= LEDGER_UNITS_MAX,
              "worker %d, data-set %d: an amount below zero or past 2^63 - 1",
              w, d);
    SIM_CHECK(s,
              a->units + a->spent_total == a->credited_total + a->owed_units,
              "worker %d, data-set %d: units %" PRIu64 " - owed %" PRIu64
              " != credited %" PRIu64 " - spent %" PRIu64,
              w, d, a->units, a->owed_units, a->credited_total,
              a->spent_total);
    SIM_CHECK(s, a->spent_total == m->released + m->passed,
              "worker %d, data-set %d: spent_total %" PRIu64 " but its "
              "releases cost %" PRIu64 " and %" PRIu64 " became pass time",
              w, d, a->spent_total, m->released, m->passed);
    SIM_CHECK(s, a->spent_total <= a->credited_total + a->owed_units,
              "worker %d, data-set %d: debits past credits", w, d);
    SIM_CHECK(s,
              m->reversals > 0 ||
                  (a->owed_units == 0 && a->spent_total <= a->credited_total),
              "worker %d, data-set %d: owes units or spent past its credits "
              "without a reversal", w, d);
    /* The model. */
    SIM_CHECK(s,
              a->units == m->units && a->owed_units == m->owed &&
                  a->credited_total == m->credited &&
                  a->spent_total == m->spent && a->has_pass == m->has_pass &&
                  a->pass_expires == (m->has_pass ? m->pass_expires : 0),
              "worker %d, data-set %d: the ledger has units %" PRIu64
              " owed %" PRIu64 " credited %" PRIu64 " spent %" PRIu64
              " pass %d/%" PRId64 "; the model %" PRIu64 " %" PRIu64
              " %" PRIu64 " %" PRIu64 " %d/%" PRId64,
              w, d, a->units, a->owed_units, a->credited_total,
              a->spent_total, a->has_pass, a->pass_expires, m->units,
              m->owed, m->credited, m->spent, m->has_pass, m->pass_expires);
}

struct sim_walk {
    struct sim *s;
    struct audit_check *chk;
    uint64_t next;   /* the index expected */
    int with_text;   /* compare with the model's text (not yet seen) */
};

static int sim_walk_entry(void *arg, uint64_t index, const char *text,
                          size_t len, const uint8_t hash[32], struct fault *f)
{
    struct sim_walk *w = arg;
    struct sim *s = w->s;
    struct sim_rel *m;

    SIM_CHECK(s, index == w->next && index >= 1 && index <= s->nrel,
              "audit entry %" PRIu64 " where %" PRIu64 " was due (%zu "
              "releases)", index, w->next, s->nrel);
    if (audit_check_next(w->chk, index, text, len, hash, f) < 0)
        sim_fail(s, "the audit chain breaks: %s", f->detail);
    m = &s->rel[index - 1];
    SIM_CHECK(s, memcmp(hash, m->hash, 32) == 0,
              "audit entry %" PRIu64 " is not the release's", index);
    if (w->with_text) {
        SIM_CHECK(s,
                  m->text != NULL && strlen(m->text) == len &&
                      memcmp(m->text, text, len) == 0,
                  "audit entry %" PRIu64 " is not the text of its release",
                  index);
        free(m->text);
        m->text = NULL;
    }
    w->next++;
    return 0;
}

/* After every step. */
static void sim_check_step(struct sim *s)
{
    struct ledger_account a;
    struct sim_walk walk;
    uint8_t hash[32];
    uint64_t index;
    int64_t t;
    struct fault f;
    int w, d;

    for (w = 0; w < SIM_WORKERS; w++)
        for (d = 0; d < SIM_DATASETS; d++) {
            if (ledger_account(s->l, &s->addr[SIM_WORKER0 + w], s->ds[d].id,
                               &a, &f) < 0)
                sim_fail(s, "ledger_account: %s", f.detail);
            sim_check_pair(s, w, d, &a);
        }
    if (ledger_audit_head(s->l, &index, hash, &t, &f) < 0)
        sim_fail(s, "ledger_audit_head: %s", f.detail);
    SIM_CHECK(s,
              index == s->nrel && memcmp(hash, s->last_hash, 32) == 0 &&
                  t == s->last_time,
              "the audit head is %" PRIu64 " %s, the model's %zu %s", index,
              sim_hex(hash, 32), s->nrel, sim_hex(s->last_hash, 32));
    /* The entries since the last step: they link on, and each is the
     * text its release was given. */
    memset(&walk, 0, sizeof walk);
    walk.s = s;
    walk.chk = &s->chk;
    walk.next = s->chk.count + 1;
    walk.with_text = 1;
    if (ledger_audit_each(s->l, s->chk.count + 1, sim_walk_entry, &walk,
                          &f) < 0)
        sim_fail(s, "ledger_audit_each: %s", f.detail);
    SIM_CHECK(s, s->chk.count == s->nrel,
              "the audit log holds %" PRIu64 " entries, %zu releases were "
              "made", s->chk.count, s->nrel);
    /* One queries row per release, no other: the rows since the last
     * check are the releases since then (the full check reads them
     * all). */
    {
        static const char *const sql =
            "SELECT count(*), coalesce(sum(cost), 0), coalesce(max(rowid), "
            "?1) FROM queries WHERE rowid > ?1";
        int64_t n = sim_sql_int(s, sql, s->rows_seen, 0);
        int64_t cost = sim_sql_int(s, sql, s->rows_seen, 1);
        SIM_CHECK(s,
                  n == (int64_t)(s->nrel - s->rows_nrel) &&
                      cost == (int64_t)(s->rel_cost - s->rows_cost),
                  "%" PRId64 " queries rows costing %" PRId64 " were added, "
                  "%zu releases costing %" PRIu64,
                  n, cost, s->nrel - s->rows_nrel,
                  s->rel_cost - s->rows_cost);
        s->rows_seen = sim_sql_int(s, sql, s->rows_seen, 2);
        s->rows_nrel = s->nrel;
        s->rows_cost = s->rel_cost;
    }
}

/* Accounts, through each_account. */
struct sim_accounts {
    struct sim *s;
    int w;
    int seen[SIM_DATASETS];
    uint8_t last[32];
    int n;
};

static int sim_each_account(void *arg, const struct ledger_account *a,
                            struct fault *f)
{
    struct sim_accounts *x = arg;
    struct sim *s = x->s;
    int d;

    (void)f;
    for (d = 0; d < SIM_DATASETS; d++)
        if (memcmp(a->dataset_id, s->ds[d].id, 32) == 0)
            break;
    SIM_CHECK(s, d < SIM_DATASETS, "an account for an unknown data-set");
    SIM_CHECK(s, x->n == 0 || memcmp(x->last, a->dataset_id, 32) < 0,
              "accounts are not by data-set id");
    SIM_CHECK(s, s->pairs[x->w][d].exists && !x->seen[d],
              "worker %d has an account on data-set %d it should not", x->w,
              d);
    memcpy(x->last, a->dataset_id, 32);
    x->seen[d] = 1;
    x->n++;
    sim_check_pair(s, x->w, d, a);
    return 0;
}

struct sim_usage_row {
    char day[11];
    int ds;
    uint64_t a, b, c, d, e;       /* counts and sums */
    sim_u128 wei;
};

/* qsort has no argument for the data-set ids: they are read here. */
static struct sim *sim_row_sim;

static int sim_row_cmp(const void *x, const void *y)
{
    const struct sim_usage_row *a = x, *b = y;
    int c = strcmp(a->day, b->day);

    return c != 0 ? c : sim_ds_cmp(sim_row_sim, a->ds, b->ds);
}

/* A new row of rows (the caller fills it in). */
static struct sim_usage_row *sim_row(struct sim_usage_row **rows, size_t *n,
                                     size_t *cap, const char *day, int ds)
{
    struct sim_usage_row *r;

    *rows = sim_grow(*rows, cap, *n, sizeof **rows);
    r = &(*rows)[(*n)++];
    memset(r, 0, sizeof *r);
    snprintf(r->day, sizeof r->day, "%s", day);
    r->ds = ds;
    return r;
}

/* Sort rows by day and data-set id and add up those of one key. */
static void sim_rows_merge(struct sim *s, struct sim_usage_row *rows,
                           size_t *n)
{
    size_t i, k = 0;

    sim_row_sim = s;
    qsort(rows, *n, sizeof *rows, sim_row_cmp);
    for (i = 0; i < *n; i++) {
        if (k > 0 && sim_row_cmp(&rows[k - 1], &rows[i]) == 0) {
            rows[k - 1].a += rows[i].a;
            rows[k - 1].b += rows[i].b;
            rows[k - 1].c += rows[i].c;
            rows[k - 1].d += rows[i].d;
            rows[k - 1].wei += rows[i].wei;
        } else {
            rows[k++] = rows[i];
        }
    }
    *n = k;
}

struct sim_list {
    struct sim *s;
    struct sim_usage_row *rows;
    size_t n, at;
    const char *what;
};

static int sim_ds_index(struct sim *s, const uint8_t id[32])
{
    int d;

    for (d = 0; d < SIM_DATASETS; d++)
        if (memcmp(id, s->ds[d].id, 32) == 0)
            return d;
    return SIM_UNKNOWN;
}

static int sim_each_usage(void *arg, const struct ledger_usage *u,
                          struct fault *f)
{
    struct sim_list *x = arg;
    struct sim_usage_row *m;

    (void)f;
    SIM_CHECK(x->s, x->at < x->n, "%s: a usage row too many (%s)", x->what,
              u->day);
    m = &x->rows[x->at++];
    SIM_CHECK(x->s,
              strcmp(u->day, m->day) == 0 &&
                  sim_ds_index(x->s, u->dataset_id) == m->ds &&
                  u->queries == m->a && u->chunks == m->b && u->cost == m->c,
              "%s: usage %s data-set %d: %" PRIu64 " queries %" PRIu64
              " chunks %" PRIu64 " cost; the model %s %d: %" PRIu64
              " %" PRIu64 " %" PRIu64,
              x->what, u->day, sim_ds_index(x->s, u->dataset_id), u->queries,
              u->chunks, u->cost, m->day, m->ds, m->a, m->b, m->c);
    return 0;
}

static int sim_each_earning(void *arg, const struct ledger_earning *e,
                            struct fault *f)
{
    struct sim_list *x = arg;
    struct sim_usage_row *m;
    char wei[LEDGER_AMOUNT_SIZE];

    (void)f;
    SIM_CHECK(x->s, x->at < x->n, "%s: an earnings row too many (%s)",
              x->what, e->day);
    m = &x->rows[x->at++];
    sim_u128_text(wei, m->wei);
    SIM_CHECK(x->s,
              strcmp(e->day, m->day) == 0 &&
                  sim_ds_index(x->s, e->dataset_id) == m->ds &&
                  e->payments == m->a && strcmp(e->amount_wei, wei) == 0 &&
                  e->units == m->b && e->queries == m->c &&
                  e->units_spent == m->d,
              "%s: earnings %s data-set %d: %" PRIu64 " payments %s wei %"
              PRIu64 " units %" PRIu64 " queries %" PRIu64 " spent; the "
              "model %s %d: %" PRIu64 " %s %" PRIu64 " %" PRIu64 " %" PRIu64,
              x->what, e->day, sim_ds_index(x->s, e->dataset_id),
              e->payments, e->amount_wei, e->units, e->queries,
              e->units_spent, m->day, m->ds, m->a, wei, m->b, m->c, m->d);
    return 0;
}

struct sim_payments {
    struct sim *s;
    int addr;
    size_t n;
    uint64_t last_block, last_log;
};

static int sim_each_payment(void *arg, const struct ledger_payment *p,
                            struct fault *f)
{
    struct sim_payments *x = arg;
    struct sim *s = x->s;
    struct sim_pay *m = NULL;
    size_t i, k;

    (void)f;
    SIM_CHECK(s,
              x->n == 0 || p->block_number > x->last_block ||
                  (p->block_number == x->last_block &&
                   p->log_index >= x->last_log),
              "payments of %d are not oldest first", x->addr);
    x->last_block = p->block_number;
    x->last_log = p->log_index;
    x->n++;
    /* The simulation writes a transaction's index into its hash. */
    for (i = 0, k = 0; i < 8; i++)
        k |= (size_t)p->tx_hash[1 + i] << (8 * i);
    if (k < s->ntx && p->ordinal < (uint32_t)s->tx[k].n &&
        memcmp(s->tx[k].hash, p->tx_hash, 32) == 0)
        m = &s->pay[s->tx[k].first + (int)p->ordinal];
    SIM_CHECK(s, m != NULL && m->state != LEDGER_SEEN,
              "the ledger holds a payment the model does not");
    SIM_CHECK(s,
              (ethaddr_equal(&p->worker, &s->addr[x->addr]) ||
               ethaddr_equal(&p->payer, &s->addr[x->addr])) &&
                  ethaddr_equal(&p->worker, &s->addr[m->worker]) &&
                  ethaddr_equal(&p->payer, &s->addr[m->payer]) &&
                  p->chain_id == SIM_CHAIN &&
                  strcmp(p->amount_wei, m->amount) == 0,
              "a payment of %d is not as made", x->addr);
    SIM_CHECK(s,
              p->state == m->state && p->reason == m->reason &&
                  p->block_number == m->block &&
                  p->log_index == m->log_index &&
                  p->has_units == (m->state == LEDGER_CREDITED) &&
                  p->units == m->units,
              "payment %s/%u: the ledger has %s (%s) block %" PRIu64
              " units %" PRIu64 "; the model %s (%s) block %" PRIu64
              " units %" PRIu64,
              sim_hex(p->tx_hash, 8), p->ordinal, ledger_state_name(p->state),
              ledger_reason_name(p->reason) ? ledger_reason_name(p->reason)
                                            : "-",
              p->block_number, p->units, ledger_state_name(m->state),
              ledger_reason_name(m->reason) ? ledger_reason_name(m->reason)
                                            : "-",
              m->block, m->units);
    return 0;
}

/* Every so often, after restarts and at the end: the whole of it. */
static void sim_check_full(struct sim *s)
{
    struct audit_check chk;
    struct sim_walk walk;
    struct sim_accounts acc;
    struct sim_list list;
    struct sim_payments pays;
    struct sim_usage_row *rows = NULL;
    size_t nrows = 0, cap = 0, i, held[SIM_ADDRS];
    sqlite3_stmt *st = NULL;
    char day[11];
    struct fault f;
    int w, d, o, a, rc;

    s->n_full++;
    sim_check_step(s);
    /* The whole log, from the first entry. */
    audit_check_start(&chk);
    memset(&walk, 0, sizeof walk);
    walk.s = s;
    walk.chk = &chk;
    walk.next = 1;
    if (ledger_audit_each(s->l, 1, sim_walk_entry, &walk, &f) < 0)
        sim_fail(s, "ledger_audit_each: %s", f.detail);
    SIM_CHECK(s,
              chk.count == s->nrel && memcmp(chk.last, s->last_hash, 32) == 0,
              "the whole audit log does not check out");
    /* Each queries row is one release's, in the order of the log. */
    if (db_prepare(s->st->db, &st,
                   "SELECT query_id, audit_index, cost, chunk_count FROM "
                   "queries ORDER BY audit_index",
                   &f) < 0)
        sim_fail(s, "read queries: %s", f.detail);
    for (i = 0; (rc = db_step(s->st->db, st, "sim", &f)) == 1; i++) {
        const struct sim_rel *m = i < s->nrel ? &s->rel[i] : NULL;
        SIM_CHECK(s,
                  m != NULL && sqlite3_column_bytes(st, 0) == 16 &&
                      memcmp(sqlite3_column_blob(st, 0), m->query_id, 16) ==
                          0 &&
                      sqlite3_column_int64(st, 1) == (int64_t)i + 1 &&
                      (uint64_t)sqlite3_column_int64(st, 2) == m->cost &&
                      (uint64_t)sqlite3_column_int64(st, 3) == m->nchunks,
                  "queries row %zu is not release %zu", i, i + 1);
    }
    db_release(st);
    SIM_CHECK(s, rc == 0 && i == s->nrel, "the queries rows are not the "
              "releases");
    for (w = 0; w < SIM_WORKERS; w++) {
        const struct ethaddr *wa = &s->addr[SIM_WORKER0 + w];
        /* Accounts. */
        memset(&acc, 0, sizeof acc);
        acc.s = s;
        acc.w = w;
        if (ledger_each_account(s->l, wa, sim_each_account, &acc, &f) < 0)
            sim_fail(s, "ledger_each_account: %s", f.detail);
        for (d = 0; d < SIM_DATASETS; d++)
            SIM_CHECK(s, acc.seen[d] == s->pairs[w][d].exists,
                      "worker %d's account on data-set %d is missing", w, d);
        /* Usage by day and data-set. */
        nrows = 0;
        for (i = 0; i < s->nrel; i++) {
            struct sim_usage_row *r;
            if (s->rel[i].worker != SIM_WORKER0 + w)
                continue;
            sim_day(day, s->rel[i].now);
            r = sim_row(&rows, &nrows, &cap, day, s->rel[i].ds);
            r->a++;
            r->b += s->rel[i].nchunks;
            r->c += s->rel[i].cost;
        }
        sim_rows_merge(s, rows, &nrows);
        memset(&list, 0, sizeof list);
        list.s = s;
        list.rows = rows;
        list.n = nrows;
        list.what = "usage";
        if (ledger_each_usage(s->l, wa, sim_each_usage, &list, &f) < 0)
            sim_fail(s, "ledger_each_usage: %s", f.detail);
        SIM_CHECK(s, list.at == nrows, "usage: rows missing");
        /* Pending units, under each data-set's unit now. */
        for (d = 0; d < SIM_DATASETS; d++) {
            sim_u128 want = 0, unit = sim_u128_parse(s->ds[d].plan.unit_wei);
            uint64_t got = 0;
            for (i = s->conf_head; i < s->nconf; i++) {
                const struct sim_pay *p = &s->pay[s->conf[i]];
                if (p->worker == SIM_WORKER0 + w && p->ds == d)
                    want += sim_u128_parse(p->amount) / unit;
            }
            if (want > LEDGER_UNITS_MAX)
                want = LEDGER_UNITS_MAX;
            if (ledger_pending_units(s->l, wa, s->ds[d].id,
                                     s->ds[d].plan.unit_wei, &got, &f) < 0)
                sim_fail(s, "ledger_pending_units: %s", f.detail);
            SIM_CHECK(s, got == (uint64_t)want,
                      "worker %d, data-set %d: pending %" PRIu64
                      ", the model %" PRIu64, w, d, got, (uint64_t)want);
        }
    }
    /* Earnings by owner, day and data-set. */
    for (o = 0; o < SIM_OWNERS; o++) {
        nrows = 0;
        for (i = 0; i < s->npay; i++) {
            struct sim_pay *p = &s->pay[i];
            struct sim_usage_row *r;
            if (p->state != LEDGER_CREDITED || p->owner != SIM_OWNER0 + o)
                continue;
            sim_day(day, p->credited_at);
            r = sim_row(&rows, &nrows, &cap, day, p->ds);
            r->a++;
            r->wei += sim_u128_parse(p->amount);
            r->b += p->units;
        }
        for (i = 0; i < s->nrel; i++) {
            struct sim_usage_row *r;
            if (s->ds[s->rel[i].ds].owner != SIM_OWNER0 + o)
                continue;
            sim_day(day, s->rel[i].now);
            r = sim_row(&rows, &nrows, &cap, day, s->rel[i].ds);
            r->c++;
            r->d += s->rel[i].cost;
        }
        sim_rows_merge(s, rows, &nrows);
        memset(&list, 0, sizeof list);
        list.s = s;
        list.rows = rows;
        list.n = nrows;
        list.what = "earnings";
        if (ledger_each_earning(s->l, SIM_CHAIN, &s->addr[SIM_OWNER0 + o],
                                sim_each_earning, &list, &f) < 0)
            sim_fail(s, "ledger_each_earning: %s", f.detail);
        SIM_CHECK(s, list.at == nrows, "earnings: rows missing");
    }
    free(rows);
    /* Payments of each worker and payer. */
    memset(held, 0, sizeof held);
    for (i = 0; i < s->npay; i++)
        if (s->pay[i].state != LEDGER_SEEN) {
            held[s->pay[i].worker]++;
            if (s->pay[i].payer != s->pay[i].worker)
                held[s->pay[i].payer]++;
        }
    for (a = SIM_WORKER0; a < SIM_ADDRS; a++) {
        memset(&pays, 0, sizeof pays);
        pays.s = s;
        pays.addr = a;
        if (ledger_each_payment_of(s->l, SIM_CHAIN, &s->addr[a],
                                   sim_each_payment, &pays, &f) < 0)
            sim_fail(s, "ledger_each_payment_of: %s", f.detail);
        SIM_CHECK(s, pays.n == held[a],
                  "address %d: %zu payments, the model %zu", a, pays.n,
                  held[a]);
    }
    /* Recorded answers: a sample of them replays (picked apart from the
     * steps' choices, so that how often this runs changes no step). */
    for (i = 0; i < 64 && s->nreq > 0; i++) {
        struct sim_req *r =
            &s->req[(s->step * 64 + i) * 0x9e3779b97f4a7c15ULL % s->nreq];
        struct ledger_nonce nr;
        int found = 0;
        if (ledger_nonce_lookup(s->l, &nr, &found, s->addr_text[r->worker],
                                r->nonce, &f) < 0)
            sim_fail(s, "ledger_nonce_lookup: %s", f.detail);
        SIM_CHECK(s, found == r->answered,
                  "request %s: recorded %d, answered %d", r->nonce, found,
                  r->answered);
        SIM_CHECK(s,
                  !found || (nr.response_len == r->answer_len &&
                             memcmp(nr.response, r->answer,
                                    r->answer_len) == 0),
                  "request %s: the recorded answer changed", r->nonce);
        ledger_nonce_clear(&nr);
    }
}

/* The checks of a step, all in one read (a unit of work rolled back, so
 * that the reads see one state and take the store's locks once). */
static void sim_check(struct sim *s, int full)
{
    struct fault f;

    if (ledger_begin(s->l, &f) < 0)
        sim_fail(s, "begin the checks: %s", f.detail);
    if (full)
        sim_check_full(s);
    else
        sim_check_step(s);
    ledger_rollback(s->l);
}

/* ---- the steps ---- */

static void sim_step(struct sim *s)
{
    struct sim_req *reqs[SIM_BATCH];
    size_t pick[SIM_BATCH];
    uint64_t r = sim_below(s, 1000);
    size_t n, i;

    /* The clock: a few minutes most steps, now and then hours, and now
     * and then to the very second a pass ends, or the one before. */
    s->now += (int64_t)(sim_chance(s, 30) ? sim_below(s, 2 * 86400)
                                           : sim_below(s, 600));
    if (sim_chance(s, 80)) {
        int running[SIM_WORKERS * SIM_DATASETS], nr = 0, w, d;
        for (w = 0; w < SIM_WORKERS; w++)
            for (d = 0; d < SIM_DATASETS; d++)
                if (s->pairs[w][d].has_pass &&
                    s->pairs[w][d].pass_expires - 1 > s->now &&
                    s->pairs[w][d].pass_expires - s->now < 30 * 86400)
                    running[nr++] = w * SIM_DATASETS + d;
        if (nr > 0) {
            int k = running[sim_below(s, (uint64_t)nr)];
            s->now = s->pairs[k / SIM_DATASETS][k % SIM_DATASETS]
                         .pass_expires -
                     (int64_t)sim_below(s, 2);
            s->aim = k + 1; /* the next new query asks there */
        }
    }
    if (r < 250) {
        /* Payments made, blocks mined, the follower steps (or not yet). */
        n = sim_below(s, 4);
        for (i = 0; i < n; i++)
            sim_new_tx(s);
        n = 1 + sim_below(s, 3);
        for (i = 0; i < n; i++)
            sim_mine_block(s);
        if (sim_chance(s, 850))
            sim_follow(s);
    } else if (r < 300) {
        /* A reorg: 1 to 6 blocks replaced by 1 to 8 others. */
        int64_t x = s->tip - 1 - (int64_t)sim_below(s, 6);
        if (x < -1)
            x = -1;
        sim_reorg(s, x);
        n = 1 + sim_below(s, 8);
        for (i = 0; i < n; i++)
            sim_mine_block(s);
        sim_follow(s);
    } else if (r < 800) {
        /* A group commit of new queries and retries. */
        n = 1 + sim_below(s, SIM_BATCH);
        for (i = 0; i < n; i++)
            pick[i] = s->nreq > 0 && sim_chance(s, 200)
                          ? sim_below(s, s->nreq)
                          : sim_new_req(s);
        /* Pointers only once every new request is made (they move). */
        for (i = 0; i < n; i++)
            reqs[i] = &s->req[pick[i]];
        r = sim_below(s, 1000);
        sim_batch(s, reqs, n,
                  r < 20   ? SIM_ROLLBACK
                  : r < 30 ? SIM_CRASH
                  : r < 50 ? SIM_AUDIT_FAILS
                           : SIM_COMMIT);
    } else if (r < 900) {
        /* Retries of requests made before: answered or lost. */
        n = 1 + sim_below(s, 3);
        for (i = 0; i < n && s->nreq > 0; i++)
            reqs[i] = &s->req[sim_below(s, s->nreq)];
        sim_batch(s, reqs, i, SIM_COMMIT);
    } else if (r < 930) {
        /* A price change: the same unit; the kind now and then. */
        int d = (int)sim_below(s, SIM_DATASETS);
        struct sim_ds *ds = &s->ds[d];
        char unit[PLAN_UNIT_WEI_MAX_DIGITS + 1];
        snprintf(unit, sizeof unit, "%s", ds->plan.unit_wei);
        sim_random_plan(s, &ds->plan, unit,
                        sim_chance(s, 300) ? ds->plan.kind != PLAN_PASS
                                           : ds->plan.kind == PLAN_PASS);
        sim_set_price(s, d);
        s->n_price++;
    } else if (r < 940) {
        sim_reopen(s);
        s->n_restarts++;
    } else {
        /* The follower catches up; time passes. */
        sim_follow(s);
    }
}

static void sim_free(struct sim *s)
{
    size_t i;

    ledger_close(s->l);
    store_close(s->st);
    for (i = 0; i < s->nrel; i++)
        free(s->rel[i].text);
    for (i = 0; i < s->nreq; i++)
        free(s->req[i].answer);
    free(s->rel);
    free(s->req);
    free(s->tx);
    free(s->pay);
    free(s->fork);
    free(s->live);
    free(s->conf);
    free(s->pool);
    free(s->chain);
    if (s->keep)
        printf("sim_ledger: the data dir is kept: %s\n", s->dir);
    else
        testutil_rmtree(s->dir);
}

static int sim_number(const char *t, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = strtoull(t, &end, 0);
    return errno != 0 || end == t || *end != '\0' ? -1 : 0;
}

static void sim_usage_exit(void)
{
    fprintf(stderr, "usage: sim_ledger [--seed N] [--steps N] [--full N] "
                    "[--keep] [--verbose]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct sim *s = calloc(1, sizeof *s);
    struct timespec t0, t1;
    int i;

    if (s == NULL)
        return 2;
    s->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    s->steps = 10000;
    s->full_every = 0;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (sim_number(argv[++i], &s->seed) < 0)
                sim_usage_exit();
        } else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
            if (sim_number(argv[++i], &s->steps) < 0)
                sim_usage_exit();
        } else if (strcmp(argv[i], "--full") == 0 && i + 1 < argc) {
            if (sim_number(argv[++i], &s->full_every) < 0 ||
                s->full_every == 0)
                sim_usage_exit();
        } else if (strcmp(argv[i], "--keep") == 0) {
            s->keep = 1;
        } else if (strcmp(argv[i], "--verbose") == 0) {
            s->verbose = 1;
        } else {
            sim_usage_exit();
        }
    }
    /* The full check reads everything: 20 of them in a run, one in 500
     * steps at most, in 5000 at least. */
    if (s->full_every == 0)
        s->full_every = s->steps / 20 < 500    ? 500
                        : s->steps / 20 > 5000 ? 5000
                                               : s->steps / 20;
    log_set_level(s->verbose ? LOG_INFO : LOG_SILENT);
    s->rng = s->seed;
    printf("sim_ledger: seed %" PRIu64 ", %" PRIu64 " steps\n", s->seed,
           s->steps);
    fflush(stdout);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sim_setup(s);
    for (s->step = 0; s->step < s->steps; s->step++) {
        sim_step(s);
        sim_check(s, (s->step + 1) % s->full_every == 0);
    }
    /* The follower catches up with the chain, and everything once more,
     * after a restart too. */
    sim_follow(s);
    sim_check(s, 1);
    sim_reopen(s);
    sim_check(s, 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("sim_ledger: seed %" PRIu64 ": %" PRIu64 " steps in %.1f s, "
           "ok: %zu releases (%" PRIu64 " under a pass; %" PRIu64
           " refused for payment, %" PRIu64 " of them owing, %" PRIu64
           " without a running pass; %" PRIu64
           " retries replayed, %" PRIu64 " answers lost), %zu payments (%"
           PRIu64 " credits, %" PRIu64 " reversed, %" PRIu64
           " overflows), %" PRIu64 " reorgs, %" PRIu64 " price changes, %"
           PRIu64 " restarts (%" PRIu64 " crashes midway), %" PRIu64
           " rollbacks, %" PRIu64 " refused audit writes, %" PRIu64
           " failed handlers, %" PRIu64 " full checks\n",
           s->seed, s->steps,
           (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           s->nrel, s->n_pass, s->n_refused, s->n_refused_owed,
           s->n_refused_pass, s->n_replayed, s->n_lost, s->npay,
           s->n_credited, s->n_reversed, s->n_overflow, s->n_reorgs,
           s->n_price, s->n_restarts, s->n_crashes, s->n_rollbacks,
           s->n_audit_fail, s->n_handler_fail, s->n_full);
    sim_free(s);
    free(s);
    return 0;
}
