/*
 * worker: the sluice worker library. A compute worker links it to run
 * paid queries on a data-set and read back exactly the rows it asked for
 * (DESIGN.md 1, step 5; 3.4 to 3.6, 3.10).
 *
 *     struct worker *w;
 *     struct worker_query *q;
 *     struct worker_refusal no;
 *     struct worker_row row;
 *     struct worker_select sel = {.kind = WORKER_ROWS, .from = 0, .to = 100};
 *
 *     worker_open(&w, "http://127.0.0.1:8080", &key, NULL, &f);
 *     switch (worker_query(w, &q, &no, dataset_id, &sel, &f)) {
 *     case WORKER_RELEASED:
 *         while (worker_next(q, &row, &f) == 1)
 *             fwrite(row.data, 1, row.len, stdout);
 *         worker_query_free(q);
 *         break;
 *     case WORKER_PAYMENT_REQUIRED:  pay no.payment (a transaction), then
 *     case WORKER_OVER_MAX_COST:     ask again; see no.quote
 *         worker_refusal_clear(&no);
 *         break;
 *     default: ... f.detail says why ...
 *     }
 *     worker_close(w);
 *
 * client/example_worker.c is a whole program.
 *
 * What worker_query does, in order:
 *   1. reads GET /v1/chain once per handle, for the gateway's address
 *      (or takes the one pinned in the options), and the data-set's view
 *      (GET /v1/datasets/<id>), for its format, columns and counts; checks
 *      the selector against them (a blob takes only chunks and all; a
 *      where names known columns, with a number for a number column and
 *      text for a text one; chunk indexes exist);
 *   2. signs POST /v1/datasets/<id>/queries (DESIGN.md 3.1) with the
 *      selector's JSON body and a fresh nonce;
 *   3. on 402 (payment required) and 409 max-cost, hands the gateway's
 *      problem document (quote, balance, payment) back to the caller;
 *   4. on 200, checks the answer before it reads a byte of data: the
 *      receipt's text is exactly the audit entry of 3.10 for this answer
 *      (gateway, data-set, worker, query, chunks, cost, balance_after),
 *      its hash is the SHA-256 of the text and its EIP-191 signer is the
 *      gateway's address; the chunks are ascending, each well formed, and
 *      they are the ones the selector needs (all: every chunk; chunks:
 *      exactly those asked; rows: a run of chunks that covers the range);
 *      the keys, unwrapped with the worker's own key (3.5), are one per
 *      listed chunk. Anything else is refused with a FAULT_CORRUPT that
 *      says what.
 * Then worker_next downloads the chunk objects several at once (wfetch.h:
 * from the url of each, a path on the gateway or an absolute http:// URL,
 * or from the cache folder), checks each against its object id, decrypts
 * and inflates it, and yields exactly the rows the selector asked for:
 *   rows   the rows numbered from `from` up to (not including) `to`;
 *   where  the rows that satisfy every condition (wrows.h: numbers by exact
 *          value, text bytewise; empty fields, null, booleans, objects and
 *          arrays match nothing);
 *   chunks, all  every row of those chunks.
 * A CSV row is its raw record bytes (its line end and the blank lines
 * after it included), a JSON Lines row its line; the CSV header record is
 * not a row (worker_header builds it from the data-set's columns). A blob
 * is yielded one chunk at a time, its bytes in order.
 *
 * Memory: a query holds its answer (a few hundred bytes per chunk) and at
 * most `window` decrypted chunks plus the objects in flight, whatever the
 * size of the data-set. Secrets (chunk keys, plaintext) are wiped when
 * released.
 *
 * Resume: with a cache folder, every object that was downloaded and
 * verified stays there under its object id, and a later run (of the same
 * query answer, or of another query that touches the same chunks) reads
 * it from there instead of fetching it again; a file there that does not
 * hash to its name is fetched afresh. worker_query_load takes a saved
 * answer (worker_query_answer), so that a download cut off can be resumed
 * without a new (and newly charged) query; a caller that kept the rows it
 * had (sluice query's FILE.part) starts after the chunks it holds with
 * worker_query_load_from, and those are not fetched at all.
 *
 * Threads: a struct worker and each of its queries are used by one thread
 * at a time; the downloads run on threads of their own.
 *
 * Faults (lib/fault.h): FAULT_INVALID for a bad selector or option (ours,
 * or the gateway's verdict: 400); the gateway's other refusals map to the
 * kind of their status (api.h); FAULT_UNAVAILABLE when the gateway or an
 * object's server cannot be reached; FAULT_CORRUPT when an answer, a
 * receipt, a key wrap or an object fails a check; FAULT_IO for the cache
 * folder; FAULT_INTERNAL when memory runs out.
 */
#ifndef SLUICE_CLIENT_WORKER_H
#define SLUICE_CLIENT_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/fault.h"

#define WORKER_PARALLEL_DEFAULT 4
#define WORKER_WHERE_MAX 32        /* conditions of one where (3.6) */
#define WORKER_CHUNKS_MAX 100000   /* entries of one chunks list (3.6) */
#define WORKER_COND_TEXT_MAX 4096  /* bytes of one "col>=v" */

struct worker;
struct worker_query;

/* Told of the downloads' progress, in the thread that calls worker_next
 * (or, during worker_query_chunks, in the download threads, one call at a
 * time): done of total stored bytes verified so far. */
typedef void (*worker_progress_fn)(void *arg, uint64_t done, uint64_t total);

struct worker_options {
    const char *cache_dir;    /* objects kept by object id; NULL: none */
    int cache_pack;           /* 1: a query's objects go into one file of
                                 cache_dir, <query_id>.pack (wfetch.h),
                                 read again by a resume of that query and
                                 by no other: for a cache that is dropped
                                 once the rows are out */
    int cache_read_only;      /* 1 (without cache_pack): objects are read
                                 from their files in cache_dir, and none
                                 is written there: for a caller that
                                 continues its own output after a cut
                                 (worker_query_load_from) */
    unsigned parallel;        /* downloads at once, 1 to 32; 0: 4 */
    unsigned window;          /* decrypted chunks held ahead; 0: parallel
                                 + 2; never below parallel */
    const char *gateway_address; /* the receipts' signer, pinned (EIP-55
                                    or lowercase); NULL: GET /v1/chain's
                                    gateway */
    worker_progress_fn progress; /* NULL: none */
    void *progress_arg;
    int timeout_ms;           /* per wait on a socket; 0: 60 s */
};

/* ---- selectors ---------------------------------------------------------- */

enum worker_sel_kind { WORKER_ROWS = 1, WORKER_WHERE, WORKER_CHUNKS,
                       WORKER_ALL };

enum worker_op { WORKER_EQ = 1, WORKER_NE, WORKER_LT, WORKER_LE, WORKER_GT,
                 WORKER_GE };

/* One condition of a where: column op value. value is a JSON number's
 * exact text when number is set ("1e3", "-0.5"), else text (UTF-8). */
struct worker_cond {
    const char *column;
    enum worker_op op;
    const char *value;
    int number;
};

/* A query's selector (exactly one kind) and its optional cost limit. */
struct worker_select {
    enum worker_sel_kind kind;
    uint64_t from, to;                 /* WORKER_ROWS: [from, to) */
    const struct worker_cond *conds;   /* WORKER_WHERE: 1 to 32 */
    size_t nconds;
    const uint64_t *chunks;            /* WORKER_CHUNKS: 0 to 100000 */
    size_t nchunks;
    const char *max_cost;              /* decimal units, or NULL */
};

/* Parse text as one condition "col>=v" (ops =, !=, <, <=, >, >=). The
 * column is the text before the operator, or a double-quoted name ("a>b"
 * with "" for a quote); the value is a number when it matches the JSON
 * number grammar, else text; a double-quoted value is always text
 * (name="007"). The strings go into buf[0..cap), which must outlive out.
 * Returns 0 with *out set; on failure -1 with *out zeroed and f
 * FAULT_INVALID naming field (e.g. "--where") and saying what is wrong. */
int worker_cond_parse(struct worker_cond *out, char *buf, size_t cap,
                      const char *text, const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Build the JSON body of sel (DESIGN.md 3.6): {"rows": {"from", "to"}},
 * {"where": [[column, op, value], ...]} (numbers as their exact text),
 * {"chunks": [...]} or {"all": true}, and "max_cost" when set. Returns 0
 * with *out malloc'd (NUL-terminated, *len bytes; the caller frees it); on
 * failure -1 with *out = NULL, *len = 0 and f FAULT_INVALID naming the
 * selector's part at fault (from > to, a count out of bounds, a column or
 * text value that is not UTF-8, a number that is not one, a max_cost that
 * is not a decimal amount), or FAULT_INTERNAL. */
int worker_body(char **out, size_t *len, const struct worker_select *sel,
                struct fault *f) __attribute__((warn_unused_result));

/* ---- the handle ---------------------------------------------------------- */

/* Make a worker of the gateway at url (http://host:port[/prefix]) that
 * signs with key (borrowed: it must outlive w; NULL: only unsigned quotes
 * can be asked), with opt (NULL: the defaults; copied). Opens nothing yet.
 * Returns 0 with *out set (the caller worker_close's it); on failure -1
 * with *out = NULL and f set (FAULT_INVALID naming "gateway" or the
 * option at fault). */
int worker_open(struct worker **out, const char *url,
                const struct ethkey *key, const struct worker_options *opt,
                struct fault *f) __attribute__((warn_unused_result));

/* Close w's connections and free it. Its queries must be freed first. w
 * may be NULL. */
void worker_close(struct worker *w);

/* Ask POST /v1/datasets/<dataset>/quote with sel's body (dataset: "0x" +
 * 64 hex digits), signed when sign is set (then the answer adds the
 * signer's balance and a ready payment). Nothing is charged. Returns 0
 * with *quote the gateway's answer (a new reference: cost, chunk_count,
 * rows, plain_bytes, chunks, price, and balance and payment when signed;
 * the caller json_decref's it); on failure -1 with *quote = NULL and f
 * set. */
int worker_quote(struct worker *w, json_t **quote, const char *dataset,
                 const struct worker_select *sel, int sign, struct fault *f)
    __attribute__((warn_unused_result));

/* ---- queries ------------------------------------------------------------ */

enum worker_outcome {
    WORKER_RELEASED = 0,         /* 200: the keys are here; read the rows */
    WORKER_PAYMENT_REQUIRED = 1, /* 402: pay, then ask again */
    WORKER_OVER_MAX_COST = 2     /* 409 max-cost: nothing was charged */
};

/* What a 402 or a max-cost 409 carries. */
struct worker_refusal {
    int status;            /* 402 or 409 */
    json_t *doc;           /* the problem document (owned) */
    const json_t *quote;   /* in doc: cost, chunk_count, rows, plain_bytes,
                              chunks, price */
    const json_t *payment; /* in doc (402): chain_id, contract, function,
                              args, data, value_wei; NULL in a 409 */
    const char *balance;   /* in doc (402): decimal units; NULL if none */
    unsigned retry_after;  /* seconds; > 0 when payments already on their
                              way cover the cost: ask again then */
};

/* Free what r holds and zero it. r may be zeroed. */
void worker_refusal_clear(struct worker_refusal *r);

/* Run sel on dataset (see the top of this file). Returns
 *   WORKER_RELEASED with *q set (the caller worker_query_free's it) and
 *   *no zeroed;
 *   WORKER_PAYMENT_REQUIRED or WORKER_OVER_MAX_COST with *no filled (the
 *   caller worker_refusal_clear's it) and *q = NULL;
 * on failure -1 with *q = NULL, *no zeroed and f set. A retry must call
 * again: each call signs with a fresh nonce. */
int worker_query(struct worker *w, struct worker_query **q,
                 struct worker_refusal *no, const char *dataset,
                 const struct worker_select *sel, struct fault *f)
    __attribute__((warn_unused_result));

/* Take up an answer saved earlier (worker_query_answer) to the query sel
 * on dataset, checking it all again as worker_query does, and read its
 * rows afresh (with the cache, only missing objects are fetched). Returns
 * 0 with *q set; on failure -1 with *q = NULL and f set. */
int worker_query_load(struct worker *w, struct worker_query **q,
                      const char *dataset, const struct worker_select *sel,
                      const json_t *answer, struct fault *f)
    __attribute__((warn_unused_result));

/* As worker_query_load, but start after the answer's first skip chunks
 * (those a cut-off run already read: worker_query_chunks_done), which are
 * not fetched. skip 0 is worker_query_load; past the answer's chunk count,
 * -1 with f FAULT_INVALID naming "skip". */
int worker_query_load_from(struct worker *w, struct worker_query **q,
                           const char *dataset,
                           const struct worker_select *sel,
                           const json_t *answer, uint64_t skip,
                           struct fault *f)
    __attribute__((warn_unused_result));

/* What a released query is. Strings and json are owned by the query. */
struct worker_release {
    char query_id[35];        /* "0x" + 32 hex digits */
    const char *cost;         /* decimal units */
    const char *balance_after;
    const char *format;       /* "csv", "jsonl" or "blob" */
    size_t nchunks;           /* chunks released */
    uint64_t rows;            /* rows in them (0 for a blob) */
    uint64_t plain_bytes;     /* their plaintext bytes */
    uint64_t stored_bytes;    /* their objects' bytes */
    uint64_t receipt_index;   /* the audit entry's index */
    char gateway[ETHADDR_TEXT_SIZE]; /* the receipt's signer */
    const json_t *receipt;    /* {"text", "hash", "signature"} */
    const json_t *answer;     /* the whole answer, as worker_query_load
                                 takes it back */
};

/* Return what q is (valid while q lives). */
const struct worker_release *worker_query_release(const struct worker_query *q);

/* Build the CSV header record of q's data-set from its columns (a name
 * holding a comma, a quote, a CR or a LF is quoted, quotes doubled), ended
 * by eol ("\n" or "\r\n"). Returns 0 with *out malloc'd (*len bytes,
 * NUL-terminated; the caller frees it), "" for JSON Lines and blobs; on
 * failure -1 with *out = NULL, *len = 0 and f set (FAULT_INTERNAL). */
int worker_header(const struct worker_query *q, char **out, size_t *len,
                  const char *eol, struct fault *f)
    __attribute__((warn_unused_result));

/* One row that worker_next yields; data is valid until the next call on
 * the query (and wiped then). */
struct worker_row {
    const uint8_t *data;
    size_t len;
    uint64_t number;   /* the row's number (0 for a blob's piece) */
    uint64_t chunk;    /* the chunk it is in */
    const char *eol;   /* its line end: "\r\n", "\n", or "" (the last row
                          of a data-set may have none; and a blob) */
};

/* Yield q's next row. Returns 1 with *row set; 0 when every row was
 * yielded (the downloads are done); on failure -1 with *row zeroed and f
 * set (the query cannot go on: free it). */
int worker_next(struct worker_query *q, struct worker_row *row,
                struct fault *f) __attribute__((warn_unused_result));

/* As worker_next, but yield a run: as many rows as follow one another in
 * a chunk, all asked for, as one span of bytes (run: the span's bytes, and
 * the first row's number and line end), and their count in *rows. The fastest way to copy rows out. Returns as worker_next (*rows
 * is 0 unless it returns 1). */
int worker_next_run(struct worker_query *q, struct worker_row *run,
                    uint64_t *rows, struct fault *f)
    __attribute__((warn_unused_result));

/* A whole chunk of a query of whole chunks (all, chunks), checked: its
 * rows counted against the answer and laid end to end. */
struct worker_chunk_out {
    uint64_t pos;          /* its position in the answer */
    uint64_t index;        /* the chunk's index */
    uint64_t off;          /* where it goes when the chunks handed over are
                              written one after another in the answer's
                              order: the plaintext bytes of those before
                              it */
    const uint8_t *data;   /* its plaintext, valid during the call */
    size_t len;
    uint64_t rows;         /* its rows (0 for a blob) */
    const char *eol;       /* its first row's line end */
};

/* Told of one chunk; may be called from several threads at once. Returns
 * 0, or -1 with f set (the downloads stop with that fault). */
typedef int (*worker_chunk_fn)(void *arg, const struct worker_chunk_out *c,
                               struct fault *f);

/* For a query of whole chunks (all, chunks): hand every chunk not yet
 * read to fn, each as soon as it is opened and checked, in any order and
 * from the download threads: the fastest way to write them to their
 * places (a file written at offsets by several threads at once), with
 * no hand-over to one reader in order. The chunk being read by
 * worker_next must have been read to its end first. Memory stays bounded
 * as for worker_next. Returns 0 when every chunk was handed over (then
 * worker_next returns 0, and worker_query_chunks_done counts them all); on
 * failure -1 with f set (FAULT_INVALID naming "select" for a query of
 * rows or where, or a chunk read in part; else the fault of a chunk or of
 * fn, and the query cannot go on; chunks may have been handed over in any
 * order before). */
int worker_query_chunks(struct worker_query *q, worker_chunk_fn fn,
                        void *arg, struct fault *f)
    __attribute__((warn_unused_result));

/* How many of the answer's chunks (counted from its first, skipped ones
 * too) q has read to their end: every row asked for in them was yielded.
 * The rows yielded so far come from these chunks and the one after them;
 * when the count is greater than it was at the last row yielded (or at
 * the start), they all come from the counted chunks: a point that a
 * later worker_query_load_from can start from. It may be called after a
 * failure too. */
uint64_t worker_query_chunks_done(const struct worker_query *q);

/* What reading q did so far. */
struct worker_stats {
    uint64_t chunks;       /* decrypted */
    uint64_t rows;         /* rows in the chunks decrypted */
    uint64_t rows_out;     /* rows yielded */
    uint64_t bytes_out;    /* their bytes */
    uint64_t objects_cached; /* objects read from the cache, not fetched */
    uint64_t fetched_bytes;  /* object bytes that came over the network */
    uint64_t retries;        /* fetches tried again */
};

/* Copy what reading q did so far into *out. */
void worker_query_stats(struct worker_query *q, struct worker_stats *out);

/* Stop q's downloads, wipe its keys and plaintext, and free it. q may be
 * NULL. */
void worker_query_free(struct worker_query *q);

#endif
