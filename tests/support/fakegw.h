/*
 * fakegw: a stand-in for the gateway's query side (DESIGN.md 3.5, 3.6,
 * 3.10), for unit tests of the worker library and of `sluice query` until
 * the real endpoint is there. It is made of the real parts: data-sets are
 * ingested into a real temporary store by storage's ingest, chunk keys
 * come from storage/dskey.h, they are wrapped with lib/keywrap to the
 * public key recovered from each query's own request signature, and each
 * answer carries a receipt whose text is written here from DESIGN.md 3.10
 * (not from the client's code) and signed with a test gateway key. It
 * serves GET /v1/chain, GET /v1/datasets/<id>, POST .../queries, POST
 * .../quote and GET /v1/objects/<id> over tests/support/httpserve, plus a
 * second server for objects named by absolute URLs; and it can tamper
 * with every part of an answer.
 */
#ifndef SLUICE_TESTS_FAKEGW_H
#define SLUICE_TESTS_FAKEGW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/ethkey.h"
#include "storage/ingest.h"
#include "storage/store.h"
#include "tests/support/httpserve.h"

#define FAKEGW_DATASETS_MAX 8

struct fakegw_ds {
    uint8_t id[32];
    char id_text[67];
    enum splitter_format fmt;
    uint64_t rows;
    struct catalog_chunk *chunks;
    size_t n;
    struct catalog_column *cols;
    size_t ncols;
    uint8_t dk[32];
};

enum fakegw_tamper {
    FAKEGW_HONEST = 0,
    FAKEGW_OBJECT_BYTE,     /* a byte of chunk `tamper_chunk`'s object */
    FAKEGW_OBJECT_SWAP,     /* its entry names the next chunk's object */
    FAKEGW_OBJECT_SHORT,    /* its object is served a byte short */
    FAKEGW_RECEIPT_COST,    /* the receipt's cost line says one more */
    FAKEGW_RECEIPT_CHUNKS,  /* the receipt's chunks line drops the last */
    FAKEGW_RECEIPT_WORKER,  /* the receipt names another worker */
    FAKEGW_RECEIPT_HASH,    /* the hash is of another text */
    FAKEGW_RECEIPT_SIGNER,  /* signed by another key */
    FAKEGW_RECEIPT_TOTALS,  /* credited - spent != balance_after */
    FAKEGW_WRAP_OTHER_KEY,  /* keys wrapped to another worker */
    FAKEGW_WRAP_OTHER_QUERY,/* keys wrapped for another query id */
    FAKEGW_WRAP_SHORT,      /* one key fewer than chunks */
    FAKEGW_WRAP_BYTE,       /* a byte of the wrap's ciphertext */
    FAKEGW_CHUNKS_SHORT,    /* one chunk fewer than the selector needs */
    FAKEGW_CHUNKS_ORDER     /* two chunks listed out of order */
};

struct fakegw {
    char *dir;
    struct store *st;
    struct fakegw_ds ds[FAKEGW_DATASETS_MAX];
    size_t nds;
    struct ethkey gw_key;     /* signs receipts */
    struct ethkey other_key;  /* for tampering */
    struct httpserve *srv;    /* the gateway */
    struct httpserve *other;  /* another object server */
    char url[64];             /* "http://127.0.0.1:<port>" */
    /* the receipts' chain */
    uint64_t receipt_index;
    uint8_t prev[32];
    uint64_t credited, spent;
    /* knobs */
    enum fakegw_tamper tamper;
    uint64_t tamper_chunk;    /* which chunk (its position in the answer) */
    long abs_url_chunk;       /* this one's url is on `other`; -1: none */
    unsigned pay;             /* answer 402 to this many queries */
    unsigned retry_after;     /* Retry-After of those 402s; 0: none */
    uint64_t per_chunk;       /* the cost: 1 + per_chunk x chunks */
    int no_gateway_in_chain;  /* GET /v1/chain without "gateway" */
    const char *preview_raw;  /* spliced into views as "preview" */
    /* what happened */
    unsigned object_gets, other_gets, queries, quotes, views, chains;
    unsigned unsigned_quotes;
    char last_worker[43];
    json_t *last_answer;      /* a copy of the last 200 to a query */
};

/* Start g: a store in a new temporary folder, the servers, the keys. */
void fakegw_start(struct fakegw *g);

/* Ingest bytes from read (ingest.h) as a new published data-set of fmt
 * cut into chunk_bytes chunks (or chunk_rows rows when > 0); returns its
 * slot in g->ds. Fails the test on error. */
size_t fakegw_ingest_fn(struct fakegw *g, enum splitter_format fmt,
                        uint64_t chunk_bytes, uint64_t chunk_rows,
                        ingest_read_fn read, void *arg);

/* As fakegw_ingest_fn, from data[0..len). */
size_t fakegw_ingest(struct fakegw *g, enum splitter_format fmt,
                     uint64_t chunk_bytes, uint64_t chunk_rows,
                     const void *data, size_t len);

/* Stop the servers, remove the folder, free everything. */
void fakegw_stop(struct fakegw *g);

#endif
