/*
 * ledger: the interface's public functions (forwarded to the backend's
 * ops, ledger_backend.h), and what every backend shares: the names of
 * states and reasons, amounts as text, the credit and reversal rules, and
 * one follower step applied whole.
 */
#include "pricing/ledger_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Amounts: a payment is below 2^128 wei (the ABI decoder refuses more), a
 * unit is at most 10^30 wei (< 2^100) and a carry is below a unit, so
 * unsigned 128-bit arithmetic holds every intermediate here as long as
 * amount and carry are divided separately (their sum could carry).
 */
typedef unsigned __int128 ledger_u128;

static const char *const ledger_states[] = {"seen", "confirming", "credited",
                                            "unmatched", "reversed"};
static const char *const ledger_reasons[] = {NULL, "unknown_dataset",
                                             "owner_mismatch", "reorged",
                                             "overflow"};

const char *ledger_state_name(enum ledger_state s)
{
    return (unsigned)s < 5 ? ledger_states[s] : NULL;
}

const char *ledger_reason_name(enum ledger_reason r)
{
    return (unsigned)r < 5 ? ledger_reasons[r] : NULL;
}

int ledger_state_parse(enum ledger_state *out, const char *name)
{
    unsigned i;

    for (i = 1; i < 5; i++)
        if (name != NULL && strcmp(name, ledger_states[i]) == 0) {
            *out = (enum ledger_state)i;
            return 0;
        }
    return -1;
}

enum ledger_reason ledger_reason_parse(const char *name)
{
    unsigned i;

    for (i = 1; i < 5; i++)
        if (name != NULL && strcmp(name, ledger_reasons[i]) == 0)
            return (enum ledger_reason)i;
    return LEDGER_REASON_NONE;
}

int ledger_amount_parse(ledger_u128 *out, const char *t)
{
    ledger_u128 v = 0, lim = ~(ledger_u128)0 / 10;
    size_t i, n = t != NULL ? strlen(t) : 0;

    *out = 0;
    if (n == 0 || (n > 1 && t[0] == '0'))
        return -1;
    for (i = 0; i < n; i++) {
        unsigned d = (unsigned)(t[i] - '0');
        if (d > 9 || v > lim || (v == lim && d > 5))
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

void ledger_amount_format(char out[LEDGER_AMOUNT_SIZE], ledger_u128 v)
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

int ledger_credit_split(uint64_t *add, char carry_after[LEDGER_AMOUNT_SIZE],
                        const char *amount_text, const char *carry_text,
                        const char *unit_text, uint64_t units,
                        struct fault *f)
{
    ledger_u128 amount, rem, unit, q, r, room;

    *add = 0;
    snprintf(carry_after, LEDGER_AMOUNT_SIZE, "%s", "0");
    if (ledger_amount_parse(&amount, amount_text) < 0 ||
        ledger_amount_parse(&rem, carry_text) < 0 ||
        ledger_amount_parse(&unit, unit_text) < 0 || unit == 0 || rem >= unit)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a credit's amount, carry or unit is bad");
    /* Divided apart: amount + carry could carry past 2^128. */
    q = amount / unit + rem / unit;
    r = amount % unit + rem % unit;
    q += r / unit;
    r %= unit;
    /* A balance holds at most LEDGER_UNITS_MAX units (DESIGN.md 4). */
    room = units < LEDGER_UNITS_MAX ? LEDGER_UNITS_MAX - units : 0;
    if (q > room) {
        snprintf(carry_after, LEDGER_AMOUNT_SIZE, "%s", carry_text);
        return 1;
    }
    *add = (uint64_t)q;
    ledger_amount_format(carry_after, r);
    return 0;
}

int ledger_reverse_split(uint64_t *units_after, uint64_t *owed_after,
                         char carry_after[LEDGER_AMOUNT_SIZE],
                         const char *amount_text, const char *unit_text,
                         uint64_t added, uint64_t units, uint64_t owed,
                         const char *carry_text, struct fault *f)
{
    ledger_u128 amount, unit, rem, part;
    uint64_t take = added;

    *units_after = units;
    *owed_after = owed;
    snprintf(carry_after, LEDGER_AMOUNT_SIZE, "%s", carry_text);
    if (ledger_amount_parse(&amount, amount_text) < 0 ||
        ledger_amount_parse(&unit, unit_text) < 0 || unit == 0 ||
        ledger_amount_parse(&rem, carry_text) < 0)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a credited payment's amount, unit or carry is bad");
    /* The credit turned (carry c, amount) into `added` units and a new
     * carry: amount = added * unit + (new c - c). Undo the carry's share,
     * borrowing or carrying a unit as needed. */
    part = (ledger_u128)added * unit;
    if (amount >= part) {
        ledger_u128 d = amount - part; /* < unit: taken from the carry */
        if (rem >= d) {
            rem -= d;
        } else {
            rem = rem + unit - d;
            take++;
        }
    } else {
        ledger_u128 d = part - amount; /* < unit: given back to it */
        rem += d;
        if (rem >= unit) {
            rem -= unit;
            take--;
        }
    }
    if (units >= take) {
        *units_after = units - take;
    } else {
        *owed_after = owed + (take - units);
        *units_after = 0;
    }
    ledger_amount_format(carry_after, rem);
    return 0;
}

int ledger_pass_extend(uint64_t *used, int64_t *expires_after,
                       uint64_t units, uint64_t price, uint64_t duration_s,
                       int64_t expires, int64_t now, struct fault *f)
{
    uint64_t n;
    int64_t from = expires > now ? expires : now;

    *used = 0;
    *expires_after = expires;
    if (price == 0 || duration_s == 0)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a pass plan without a price or a duration");
    n = units / price;
    if (n == 0)
        return 0;
    /* n * duration_s and from + that must stay below INT64_MAX. */
    if (n > (uint64_t)INT64_MAX / duration_s ||
        n * duration_s > (uint64_t)(INT64_MAX - from))
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "a pass would run past the end of time");
    *used = n * price;
    *expires_after = from + (int64_t)(n * duration_s);
    return 0;
}

/* ---- forwarded to the backend ---- */

int ledger_begin(struct ledger *l, struct fault *f)
{
    return l->ops->begin(l, f);
}

int ledger_commit(struct ledger *l, struct fault *f)
{
    return l->ops->commit(l, f);
}

void ledger_rollback(struct ledger *l)
{
    l->ops->rollback(l);
}

int ledger_savepoint(struct ledger *l, struct fault *f)
{
    return l->ops->savepoint(l, f);
}

int ledger_savepoint_release(struct ledger *l, struct fault *f)
{
    return l->ops->savepoint_release(l, f);
}

int ledger_savepoint_undo(struct ledger *l, struct fault *f)
{
    return l->ops->savepoint_undo(l, f);
}

int ledger_in_unit(struct ledger *l)
{
    return l->ops->in_unit(l);
}

int ledger_ping(struct ledger *l, struct fault *f)
{
    return l->ops->ping(l, f);
}

void ledger_close(struct ledger *l)
{
    if (l != NULL)
        l->ops->close(l);
}

void ledger_nonce_clear(struct ledger_nonce *r)
{
    if (r == NULL)
        return;
    free(r->target);
    free(r->location);
    free(r->response);
    memset(r, 0, sizeof *r);
}

int ledger_nonce_lookup(struct ledger *l, struct ledger_nonce *out,
                        int *found, const char *address, const char *nonce,
                        struct fault *f)
{
    return l->ops->nonce_lookup(l, out, found, address, nonce, f);
}

int ledger_nonce_insert(struct ledger *l, const struct ledger_nonce *r,
                        struct fault *f)
{
    return l->ops->nonce_insert(l, r, f);
}

long ledger_nonce_expire(struct ledger *l, int64_t cutoff, struct fault *f)
{
    return l->ops->nonce_expire(l, cutoff, f);
}

int ledger_observe(struct ledger *l, const struct ledger_payment *p,
                   size_t n, int64_t now, struct fault *f)
{
    return n == 0 ? 0 : l->ops->observe(l, p, n, now, f);
}

int ledger_credit_upto(struct ledger *l, uint64_t chain_id,
                       uint64_t max_block, int64_t now, uint64_t *credited,
                       struct fault *f)
{
    return l->ops->credit_upto(l, chain_id, max_block, now, credited, f);
}

int ledger_drop_after(struct ledger *l, uint64_t chain_id, int64_t block,
                      int64_t now, uint64_t *reversed, struct fault *f)
{
    return l->ops->drop_after(l, chain_id, block, now, reversed, f);
}

int ledger_payments_of_tx(struct ledger *l, uint64_t chain_id,
                          const uint8_t tx[32], struct ledger_payment *out,
                          size_t cap, size_t *n, struct fault *f)
{
    return l->ops->payments_of_tx(l, chain_id, tx, out, cap, n, f);
}

int ledger_balance(struct ledger *l, const struct ethaddr *worker,
                   const uint8_t dataset_id[32], uint64_t *units,
                   uint64_t *owed_units, struct fault *f)
{
    return l->ops->balance(l, worker, dataset_id, units, owed_units, f);
}

int ledger_chain_open(struct ledger *l, struct ledger_chain *out,
                      uint64_t chain_id, const uint8_t contract[20],
                      uint64_t start, struct fault *f)
{
    return l->ops->chain_open(l, out, chain_id, contract, start, f);
}

int ledger_chain_read(struct ledger *l, struct ledger_chain *out,
                      struct fault *f)
{
    return l->ops->chain_read(l, out, f);
}

int ledger_chain_blocks(struct ledger *l, int64_t after,
                        struct ledger_block *out, size_t cap, size_t *n,
                        struct fault *f)
{
    return l->ops->chain_blocks(l, after, out, cap, n, f);
}

int ledger_chain_put_blocks(struct ledger *l, const struct ledger_block *b,
                            size_t n, struct fault *f)
{
    return n == 0 ? 0 : l->ops->chain_put_blocks(l, b, n, f);
}

int ledger_chain_trim(struct ledger *l, int64_t above, int64_t keep_from,
                      struct fault *f)
{
    return l->ops->chain_trim(l, above, keep_from, f);
}

int ledger_chain_advance(struct ledger *l, int64_t tip,
                         int64_t last_credited, uint64_t violations,
                         struct fault *f)
{
    return l->ops->chain_advance(l, tip, last_credited, violations, f);
}

int ledger_account(struct ledger *l, const struct ethaddr *worker,
                   const uint8_t dataset_id[32], struct ledger_account *out,
                   struct fault *f)
{
    return l->ops->account(l, worker, dataset_id, out, f);
}

int ledger_each_account(struct ledger *l, const struct ethaddr *worker,
                        int (*fn)(void *arg, const struct ledger_account *a,
                                  struct fault *f),
                        void *arg, struct fault *f)
{
    return l->ops->each_account(l, worker, fn, arg, f);
}

int ledger_pending_units(struct ledger *l, const struct ethaddr *worker,
                         const uint8_t dataset_id[32], const char *unit_wei,
                         uint64_t *units, struct fault *f)
{
    return l->ops->pending_units(l, worker, dataset_id, unit_wei, units, f);
}

int ledger_release(struct ledger *l, struct ledger_release *r,
                   struct fault *f)
{
    return l->ops->release(l, r, f);
}

int ledger_audit_head(struct ledger *l, uint64_t *index, uint8_t hash[32],
                      int64_t *time, struct fault *f)
{
    return l->ops->audit_head(l, index, hash, time, f);
}

int ledger_audit_each(struct ledger *l, uint64_t from,
                      int (*fn)(void *arg, uint64_t index, const char *text,
                                size_t len, const uint8_t hash[32],
                                struct fault *f),
                      void *arg, struct fault *f)
{
    return l->ops->audit_each(l, from, fn, arg, f);
}

int ledger_each_usage(struct ledger *l, const struct ethaddr *worker,
                      int (*fn)(void *arg, const struct ledger_usage *u,
                                struct fault *f),
                      void *arg, struct fault *f)
{
    return l->ops->each_usage(l, worker, fn, arg, f);
}

int ledger_each_earning(struct ledger *l, uint64_t chain_id,
                        const struct ethaddr *owner,
                        int (*fn)(void *arg, const struct ledger_earning *e,
                                  struct fault *f),
                        void *arg, struct fault *f)
{
    return l->ops->each_earning(l, chain_id, owner, fn, arg, f);
}

int ledger_each_payment_of(struct ledger *l, uint64_t chain_id,
                           const struct ethaddr *address,
                           int (*fn)(void *arg, const struct ledger_payment *p,
                                     struct fault *f),
                           void *arg, struct fault *f)
{
    return l->ops->each_payment_of(l, chain_id, address, fn, arg, f);
}

/* ---- one follower step ---- */

int ledger_apply_step(struct ledger *l, const struct ledger_step *s,
                      int64_t now, uint64_t *reversed, struct fault *f)
{
    struct ledger_chain cs;
    int64_t credited_to;
    int rc;

    *reversed = 0;
    rc = ledger_chain_read(l, &cs, f);
    if (rc != 1)
        return rc < 0 ? -1
                      : fault_set(f, FAULT_INTERNAL, NULL,
                                  "no chain checkpoint");
    credited_to = cs.last_credited_block;
    if (s->has_rollback) {
        if (ledger_chain_trim(l, s->rollback_to, INT64_MIN, f) < 0 ||
            ledger_drop_after(l, s->chain_id, s->rollback_to, now, reversed,
                              f) < 0)
            goto fail;
        if (credited_to > s->rollback_to)
            credited_to = s->rollback_to;
    }
    if (ledger_observe(l, s->payments, s->npayments, now, f) < 0 ||
        ledger_chain_put_blocks(l, s->blocks, s->nblocks, f) < 0 ||
        ledger_chain_trim(l, s->tip, s->keep_from, f) < 0)
        goto fail;
    if (s->credit) {
        if (ledger_credit_upto(l, s->chain_id, s->credit_upto, now, NULL,
                               f) < 0)
            goto fail;
        /* Never below what is already credited: after a rollback that
         * shortened the chain without removing a credited block (anvil's
         * rollback, a node that went back), credit_upto counts from the
         * lower head, yet the payments up to credited_to stay credited.
         * Found by tests/integration/test_chain_property.py; its unit
         * test is test_ledger's test_step_credited_never_back. */
        if (s->credit_upto > (uint64_t)INT64_MAX)
            credited_to = INT64_MAX;
        else if ((int64_t)s->credit_upto > credited_to)
            credited_to = (int64_t)s->credit_upto;
    }
    if (ledger_chain_advance(l, s->tip, credited_to, *reversed > 0 ? 1 : 0,
                             f) < 0)
        goto fail;
    return 0;
fail:
    *reversed = 0;
    return -1;
}

void ledger_set_listener(struct ledger *l,
                         void (*fn)(void *arg, const struct ledger_event *e),
                         void *arg)
{
    l->listener = fn;
    l->listener_arg = arg;
}

void ledger_notify(struct ledger *l, const struct ledger_event *e)
{
    if (l->listener != NULL)
        l->listener(l->listener_arg, e);
}
