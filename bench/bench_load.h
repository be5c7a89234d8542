/*
 * bench_load: the load generator of the benchmarks that send requests
 * which cannot be replayed (signed, with a fresh nonce each), so that wrk
 * and its Lua cannot make them fast enough.
 *
 * Requests are made before the clock starts and kept back to back in a
 * pool; a run drives keep-alive connections, one request in flight on
 * each (no pipelining), in one thread with epoll, and only copies bytes:
 * it reads each answer's status and Content-Length, counts the answers
 * that are not the status expected, keeps a latency histogram, and ends at
 * its time or when the pool is used up. Also here: the gateway's /metrics
 * counters and a probe of what one fsync costs on the disk.
 *
 * All traffic goes to 127.0.0.1. Nothing here asserts on a timing.
 */
#ifndef SLUICE_BENCH_BENCH_LOAD_H
#define SLUICE_BENCH_BENCH_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

/* Requests, back to back in one buffer: request i is
 * buf[off[i]..off[i] + len[i]). */
struct bench_pool {
    char *buf;
    size_t used, cap;
    size_t *off, *len;
    size_t n, cap_n;
};

/* Free what p holds and zero it. */
void bench_pool_free(struct bench_pool *p);

/* Append text[0..len) to p as its next request. Returns 0, or -1 with f
 * set (out of memory; p keeps what it had). */
int bench_pool_add(struct bench_pool *p, const char *text, size_t len,
                   struct fault *f) __attribute__((warn_unused_result));

/* 10 us each: up to 2 s; slower answers land in the last one. */
#define BENCH_LAT_BUCKETS 200000

/* One run of the load generator. The caller sets pool, reuse and expect
 * and zeroes the rest (it is large: allocate it). */
struct bench_load {
    const struct bench_pool *pool;
    int reuse;              /* send pool entry 0 again and again */
    int expect;             /* the status every answer must have */
    size_t next;            /* the next pool entry */
    uint64_t done;          /* answers read within the time */
    uint64_t bytes;         /* bytes read, heads included */
    uint64_t unexpected;    /* answers whose status was not expect */
    uint64_t errors;        /* connections closed or broken (reopened) */
    uint64_t closed;        /* answers that said Connection: close: their
                               connections reopened, not errors */
    int last_status;        /* the first unexpected status, and the */
    char last_body[256];    /* start of its answer's body */
    uint64_t lat[BENCH_LAT_BUCKETS + 1];
    double started, ended;  /* bench_now() at the first send, the end */
    int exhausted;          /* the pool was used up before the time */
};

/* Open nconns connections to 127.0.0.1:port and drive them with l's
 * requests for secs seconds or until the pool is used up (the rate is
 * l->done over l->ended - l->started). A connection the server closes is
 * counted in l->errors and opened again; one closed after an answer that
 * said "Connection: close" is opened again and counted in l->closed.
 * Returns 0; on failure (a socket
 * call failed, or an interruption: bench_interrupted) -1 with f set. */
int bench_load_run(struct bench_load *l, uint16_t port, unsigned nconns,
                   double secs, struct fault *f)
    __attribute__((warn_unused_result));

/* Return the pct-th percentile (0 to 100) of l's latencies in ms. */
double bench_load_percentile(const struct bench_load *l, double pct);

/* Read the counter or gauge name (a line "name value", no labels) from
 * the gateway's GET /metrics on 127.0.0.1:port. Returns 0 with *value set,
 * or -1 with *value = 0 and f set (no answer, or no such line). */
int bench_metric(double *value, uint16_t port, const char *name,
                 struct fault *f) __attribute__((warn_unused_result));

/* Return the median time in microseconds of a 4 KiB write plus fdatasync
 * appended to a file in dir (what one SQLite WAL commit waits for at
 * least), or -1 when it cannot be measured. */
double bench_fsync_probe(const char *dir);

#endif
