/*
 * bench_chain: a real chain for the benchmarks of paid queries.
 *
 * - anvil (node_modules/.bin/anvil, from `npm ci`) on a free loopback
 *   port, registered and stopped by pid like every child of bench_http.h;
 *   its output goes to a file in the temporary folder.
 * - A blocking JSON-RPC client of it (contracts-abi/ethclient.h, the one
 *   `sluice buy` uses) with what a benchmark needs: deploy the market
 *   contract (contracts-abi/Market.bin), send a transaction from one of
 *   anvil's unlocked accounts, wait for its receipt, mine blocks.
 * - Waiting until the gateway says a payment is credited
 *   (GET /v1/payments/<tx>).
 *
 * All traffic goes to 127.0.0.1. Nothing here asserts on a timing.
 */
#ifndef SLUICE_BENCH_BENCH_CHAIN_H
#define SLUICE_BENCH_BENCH_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench/bench_http.h"
#include "bench/bench_util.h"
#include "contracts-abi/abi.h"
#include "contracts-abi/ethclient.h"
#include "lib/ethaddr.h"
#include "lib/fault.h"

/* anvil's first two accounts (its default mnemonic): unlocked, each
 * holding 10 000 ETH. The first deploys, the second pays. */
#define BENCH_ANVIL_DEPLOYER "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define BENCH_ANVIL_PAYER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
/* Where the market's fees go: anvil's last default account. */
#define BENCH_ANVIL_FEE_TO "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"

/* Find rel (e.g. "contracts-abi/Market.bin") in the checkout: beside the
 * folder of the benchmark (argv0/../rel), else ./rel. Returns 0 with out
 * set, or -1 with out = "" and f set when neither is readable. */
int bench_repo_file(char *out, size_t cap, const char *argv0, const char *rel,
                    struct fault *f) __attribute__((warn_unused_result));

struct bench_anvil {
    pid_t pid;
    uint16_t port;
    char url[64];                  /* "http://127.0.0.1:<port>" */
    char log_path[BENCH_PATH_MAX]; /* its output */
};

/* Start anvil (path when given, else $SLUICE_ANVIL, else
 * node_modules/.bin/anvil of the checkout, found as bench_repo_file does)
 * on a free port of 127.0.0.1, pinned to cpu, with the NULL-terminated
 * extra flags (may be NULL), its output in tmp/anvil.log; waits (up to
 * 60 s) until it accepts connections. Returns 0 with *a set; on failure
 * -1 with *a zeroed and f set (the child stopped). */
int bench_anvil_start(struct bench_anvil *a, const char *path,
                      const char *argv0, const char *tmp, int cpu,
                      const char *const *extra, struct fault *f)
    __attribute__((warn_unused_result));

/* Stop a (SIGTERM, 5 s grace) and zero its pid. a->pid 0 is a no-op. */
void bench_anvil_stop(struct bench_anvil *a);

struct bench_chain {
    struct ethclient *eth;
    struct abi_market abi;
    struct ethaddr market;
    char market_text[ETHADDR_TEXT_SIZE];
};

/* Open a client of the node at url and deploy the market contract from
 * the hex of bin_path (Market.bin), with no fee, from
 * BENCH_ANVIL_DEPLOYER. Returns 0 with *c set (bench_chain_close frees
 * it); on failure -1 with *c zeroed and f set. */
int bench_chain_open(struct bench_chain *c, const char *url,
                     const char *bin_path, struct fault *f)
    __attribute__((warn_unused_result));

/* Close c's client and zero c. c may be zeroed already. */
void bench_chain_close(struct bench_chain *c);

/* Send a transaction from the unlocked account from to the address text
 * to, with calldata data_hex ("0x..." ) and value_wei (decimal text), and
 * wait (up to 60 s) for its receipt: it must have succeeded. Returns 0
 * with tx (32 bytes) and *block (its block) set; on failure -1 with f
 * set. */
int bench_chain_send(struct bench_chain *c, uint8_t tx[32], uint64_t *block,
                     const char *from, const char *to, const char *data_hex,
                     const char *value_wei, struct fault *f)
    __attribute__((warn_unused_result));

/* Buy units of dataset_id (owned by owner) for worker: purchase() with a
 * zero ref and value_wei (decimal text), sent from BENCH_ANVIL_PAYER and
 * mined. Returns as bench_chain_send. */
int bench_chain_purchase(struct bench_chain *c, uint8_t tx[32],
                         uint64_t *block, const uint8_t dataset_id[32],
                         const struct ethaddr *owner,
                         const struct ethaddr *worker, const char *value_wei,
                         struct fault *f) __attribute__((warn_unused_result));

/* Mine n blocks now (anvil_mine). Returns 0, or -1 with f set. */
int bench_chain_mine(struct bench_chain *c, unsigned n, struct fault *f)
    __attribute__((warn_unused_result));

/* The node's latest block number. Returns 0 with *out set, or -1 with f
 * set. */
int bench_chain_block(struct bench_chain *c, uint64_t *out, struct fault *f)
    __attribute__((warn_unused_result));

/* Ask the gateway on 127.0.0.1:port for the payments of tx
 * (GET /v1/payments/<tx>) until the first is "credited", mining one block
 * every mine_ms (0: never) meanwhile, for up to timeout_s seconds.
 * Returns 0, or -1 with f set (its last state in the detail). */
int bench_chain_wait_credited(struct bench_chain *c, uint16_t port,
                              const uint8_t tx[32], unsigned mine_ms,
                              double timeout_s, struct fault *f)
    __attribute__((warn_unused_result));

/* A gateway following a chain: anvil, the market on it, and sluiced. */
struct bench_paid {
    struct bench_anvil node;
    struct bench_chain chain;
    struct bench_sluiced gw;
};

/* Start anvil (anvil: as bench_anvil_start's path; unpinned), deploy the
 * market (contracts-abi/Market.bin of the checkout of argv0), then the
 * gateway sluiced_exe on data_dir pinned to cpu, following the chain with
 * --confirmations and --poll-ms, plus the NULL-terminated extra flags
 * (at most 16; may be NULL). Returns 0 with *p set (bench_paid_stop ends
 * it); on failure -1 with f set and what had started stopped. */
int bench_paid_start(struct bench_paid *p, const char *sluiced_exe,
                     const char *anvil, const char *argv0,
                     const char *data_dir, const char *tmp, int cpu,
                     uint64_t confirmations, uint64_t poll_ms,
                     const char *const *extra, struct fault *f)
    __attribute__((warn_unused_result));

/* Stop p's gateway, client and anvil; p may be zeroed or stopped already.
 * Returns as bench_sluiced_stop (0 when sluiced exited 0 by itself). */
int bench_paid_stop(struct bench_paid *p);

#endif
