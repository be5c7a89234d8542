/*
 * ledger_backend: what a ledger backend implements (ledger.h is what
 * callers use). A backend's handle starts with a `struct ledger` whose ops
 * point at its table of functions, as libevent's backends fill a
 * `struct eventop`; ledger.c's public functions forward to them. Each
 * function has the contract of the public function of the same name.
 * Included by ledger.c and the backends only.
 */
#ifndef SLUICE_PRICING_LEDGER_BACKEND_H
#define SLUICE_PRICING_LEDGER_BACKEND_H

#include "pricing/ledger.h"

struct ledger_ops {
    const char *name; /* "sqlite", "postgres" */
    void (*close)(struct ledger *l);
    int (*begin)(struct ledger *l, struct fault *f);
    int (*commit)(struct ledger *l, struct fault *f);
    void (*rollback)(struct ledger *l);
    int (*savepoint)(struct ledger *l, struct fault *f);
    int (*savepoint_release)(struct ledger *l, struct fault *f);
    int (*savepoint_undo)(struct ledger *l, struct fault *f);
    int (*in_unit)(struct ledger *l);
    int (*ping)(struct ledger *l, struct fault *f);
    int (*nonce_lookup)(struct ledger *l, struct ledger_nonce *out,
                        int *found, const char *address, const char *nonce,
                        struct fault *f);
    int (*nonce_insert)(struct ledger *l, const struct ledger_nonce *r,
                        struct fault *f);
    long (*nonce_expire)(struct ledger *l, int64_t cutoff, struct fault *f);
    int (*observe)(struct ledger *l, const struct ledger_payment *p,
                   size_t n, int64_t now, struct fault *f);
    int (*credit_upto)(struct ledger *l, uint64_t chain_id,
                       uint64_t max_block, int64_t now, uint64_t *credited,
                       struct fault *f);
    int (*drop_after)(struct ledger *l, uint64_t chain_id, int64_t block,
                      int64_t now, uint64_t *reversed, struct fault *f);
    int (*payments_of_tx)(struct ledger *l, uint64_t chain_id,
                          const uint8_t tx[32], struct ledger_payment *out,
                          size_t cap, size_t *n, struct fault *f);
    int (*balance)(struct ledger *l, const struct ethaddr *worker,
                   const uint8_t dataset_id[32], uint64_t *units,
                   uint64_t *owed_units, struct fault *f);
    int (*chain_open)(struct ledger *l, struct ledger_chain *out,
                      uint64_t chain_id, const uint8_t contract[20],
                      uint64_t start, struct fault *f);
    int (*chain_read)(struct ledger *l, struct ledger_chain *out,
                      struct fault *f);
    int (*chain_blocks)(struct ledger *l, int64_t after,
                        struct ledger_block *out, size_t cap, size_t *n,
                        struct fault *f);
    int (*chain_put_blocks)(struct ledger *l, const struct ledger_block *b,
                            size_t n, struct fault *f);
    int (*chain_trim)(struct ledger *l, int64_t above, int64_t keep_from,
                      struct fault *f);
    int (*chain_advance)(struct ledger *l, int64_t tip,
                         int64_t last_credited, uint64_t violations,
                         struct fault *f);
    int (*account)(struct ledger *l, const struct ethaddr *worker,
                   const uint8_t dataset_id[32], struct ledger_account *out,
                   struct fault *f);
    int (*each_account)(struct ledger *l, const struct ethaddr *worker,
                        int (*fn)(void *arg, const struct ledger_account *a,
                                  struct fault *f),
                        void *arg, struct fault *f);
    int (*pending_units)(struct ledger *l, const struct ethaddr *worker,
                         const uint8_t dataset_id[32], const char *unit_wei,
                         uint64_t *units, struct fault *f);
    int (*release)(struct ledger *l, struct ledger_release *r,
                   struct fault *f);
    int (*audit_head)(struct ledger *l, uint64_t *index, uint8_t hash[32],
                      int64_t *time, struct fault *f);
    int (*audit_each)(struct ledger *l, uint64_t from,
                      int (*fn)(void *arg, uint64_t index, const char *text,
                                size_t len, const uint8_t hash[32],
                                struct fault *f),
                      void *arg, struct fault *f);
    int (*each_usage)(struct ledger *l, const struct ethaddr *worker,
                      int (*fn)(void *arg, const struct ledger_usage *u,
                                struct fault *f),
                      void *arg, struct fault *f);
    int (*each_earning)(struct ledger *l, uint64_t chain_id,
                        const struct ethaddr *owner,
                        int (*fn)(void *arg, const struct ledger_earning *e,
                                  struct fault *f),
                        void *arg, struct fault *f);
    int (*each_payment_of)(struct ledger *l, uint64_t chain_id,
                           const struct ethaddr *address,
                           int (*fn)(void *arg,
                                     const struct ledger_payment *p,
                                     struct fault *f),
                           void *arg, struct fault *f);
};

struct ledger {
    const struct ledger_ops *ops;
    /* ledger_set_listener's; a backend tells it through ledger_notify. */
    void (*listener)(void *arg, const struct ledger_event *e);
    void *listener_arg;
};

/* Tell the listener, if any, about e. */
void ledger_notify(struct ledger *l, const struct ledger_event *e);

/* Decimal text (0|[1-9][0-9]*) below 2^128 into *out. Returns 0, or -1. */
int ledger_amount_parse(unsigned __int128 *out, const char *text);

/* v as decimal text. */
void ledger_amount_format(char out[LEDGER_AMOUNT_SIZE], unsigned __int128 v);

#endif
