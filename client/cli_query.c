/*
 * sluice query and sluice quote: a worker's paid queries (DESIGN.md 3.6)
 * through the worker library (worker.h).
 *
 * query signs the query; on 402 prints the quote and the payment and,
 * with --pay, buys the worker's own access with `sluice buy`'s code,
 * waits for the credit and asks again with a fresh nonce; then downloads
 * the chunks with a progress bar and writes exactly the rows asked for to
 * -o FILE (written beside it and renamed at the end, so that a failed run
 * leaves no partial file) or stdout: the CSV header first, JSON Lines as
 * they are, blob bytes in order. The receipt (with the whole answer) is
 * kept under the key file's folder before any download starts, so that
 * --resume can finish a cut-off download without a new, newly charged,
 * query. A resume of rows written to -o FILE continues FILE.part after
 * the last chunk it holds for sure (its mark, <query_id>.mark in the
 * cache folder: outfile.h), so that nothing else need be kept; rows sent
 * to stdout are sent again, and verified objects wait for that in the
 * cache folder: in one file for the query, <query_id>.pack, removed with
 * the rows out. With --keep-cache the objects stay, one file each, and
 * later queries of the same chunks read them instead of fetching.
 *
 * quote asks the price of the same selectors without charging anything,
 * signed when there is a key (then with the balance and a ready payment).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/ether.h"
#include "client/outfile.h"
#include "client/priceopt.h"
#include "client/progress.h"
#include "client/receipts.h"
#include "client/wfetch.h"
#include "client/worker.h"
#include "lib/hex.h"
#include "lib/jsonv.h"

#define CLI_SEL_GROUP 1
#define CLI_QUERY_WAITS_MAX 20   /* 402s with Retry-After waited out */
#define CLI_QUERY_WAIT_MAX_S 60  /* the longest of those waits */
#define CLI_ROWS_END ((uint64_t)1 << 53) /* "A:" reads to the end */

enum cli_sel_kind { CLI_SEL_NONE = 0, CLI_SEL_ROWS, CLI_SEL_WHERE,
                    CLI_SEL_CHUNKS, CLI_SEL_ALL, CLI_SEL_RESUME };

/* The selector options' shared slot, and what cli_sel_build makes of it. */
struct cli_sel {
    enum cli_sel_kind kind;
    const char *rows, *chunks, *resume;
    const char *where[WORKER_WHERE_MAX];
    size_t nwhere;
    struct worker_select ws;
    struct worker_cond conds[WORKER_WHERE_MAX];
    char cond_buf[WORKER_WHERE_MAX][WORKER_COND_TEXT_MAX + 2];
    uint64_t chunk_list[WORKER_CHUNKS_MAX];
};

static const char *cli_sel_option(enum cli_sel_kind k)
{
    switch (k) {
    case CLI_SEL_ROWS: return "--rows";
    case CLI_SEL_WHERE: return "--where";
    case CLI_SEL_CHUNKS: return "--chunks";
    case CLI_SEL_ALL: return "--all";
    case CLI_SEL_RESUME: return "--resume";
    case CLI_SEL_NONE: break;
    }
    return "?";
}

static int cli_sel_take(void *slot, const struct cli_option *o,
                        const char *value, struct fault *f)
{
    struct cli_sel *s = slot;
    enum cli_sel_kind k = (enum cli_sel_kind)o->arg;

    if (s->kind != CLI_SEL_NONE && s->kind != k)
        return fault_set(f, FAULT_INVALID, cli_sel_option(k),
                         "give one selector: %s and %s were both given",
                         cli_sel_option(s->kind), cli_sel_option(k));
    if (s->kind == k && k != CLI_SEL_WHERE)
        return fault_set(f, FAULT_INVALID, cli_sel_option(k),
                         "%s was given twice", cli_sel_option(k));
    s->kind = k;
    switch (k) {
    case CLI_SEL_ROWS:
        s->rows = value;
        break;
    case CLI_SEL_CHUNKS:
        s->chunks = value;
        break;
    case CLI_SEL_RESUME:
        s->resume = value;
        break;
    case CLI_SEL_WHERE:
        if (s->nwhere == WORKER_WHERE_MAX)
            return fault_set(f, FAULT_INVALID, "--where",
                             "at most %d --where conditions",
                             WORKER_WHERE_MAX);
        s->where[s->nwhere++] = value;
        break;
    case CLI_SEL_ALL:
    case CLI_SEL_NONE:
        break;
    }
    return 0;
}

/* Parse decimal digits text[0..n) (1 to 16 of them) into *out. */
static int cli_sel_number(uint64_t *out, const char *text, size_t n)
{
    size_t i;

    *out = 0;
    if (n == 0 || n > 16)
        return -1;
    for (i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        *out = *out * 10 + (uint64_t)(text[i] - '0');
    }
    return 0;
}

/* "A:B", "A:" (to the end) or ":B" (from the first row). */
static int cli_sel_rows(struct cli_sel *s, struct fault *f)
{
    const char *colon = strchr(s->rows, ':');
    size_t an;

    if (colon == NULL)
        goto bad;
    an = (size_t)(colon - s->rows);
    s->ws.from = 0;
    s->ws.to = CLI_ROWS_END;
    if ((an > 0 && cli_sel_number(&s->ws.from, s->rows, an) < 0) ||
        (colon[1] != '\0' &&
         cli_sel_number(&s->ws.to, colon + 1, strlen(colon + 1)) < 0) ||
        s->ws.from > CLI_ROWS_END || s->ws.to > CLI_ROWS_END)
        goto bad;
    if (s->ws.from > s->ws.to)
        return fault_set(f, FAULT_INVALID, "--rows",
                         "--rows %s: the start is past the end", s->rows);
    return 0;
bad:
    return fault_set(f, FAULT_INVALID, "--rows",
                     "--rows takes FROM:TO, row numbers from 0, the end "
                     "not included (e.g. 0:1000, or 5000: to the end), not "
                     "'%.40s'", s->rows);
}

/* "1,5,7" or ranges "3-6"; "" is no chunk at all. */
static int cli_sel_chunks(struct cli_sel *s, struct fault *f)
{
    const char *p = s->chunks, *end, *dash;
    uint64_t a, b, k;
    size_t n = 0;

    while (*p != '\0') {
        end = p + strcspn(p, ",");
        dash = memchr(p, '-', (size_t)(end - p));
        if (dash == NULL) {
            if (cli_sel_number(&a, p, (size_t)(end - p)) < 0)
                goto bad;
            b = a;
        } else if (cli_sel_number(&a, p, (size_t)(dash - p)) < 0 ||
                   cli_sel_number(&b, dash + 1,
                                  (size_t)(end - dash - 1)) < 0 ||
                   a > b) {
            goto bad;
        }
        for (k = a; k <= b; k++) {
            if (n == WORKER_CHUNKS_MAX)
                return fault_set(f, FAULT_INVALID, "--chunks",
                                 "--chunks names more than %d chunks",
                                 WORKER_CHUNKS_MAX);
            s->chunk_list[n++] = k;
        }
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && *p == '\0')
            goto bad;
    }
    s->ws.chunks = s->chunk_list;
    s->ws.nchunks = n;
    return 0;
bad:
    return fault_set(f, FAULT_INVALID, "--chunks",
                     "--chunks takes chunk numbers from 0 and ranges, "
                     "separated by commas (e.g. 1,5 or 0-9), not '%.40s'",
                     s->chunks);
}

/* Turn the selector options into s->ws (max_cost: NULL or checked). */
static int cli_sel_build(struct cli_sel *s, const char *max_cost,
                         struct fault *f)
{
    size_t i;

    memset(&s->ws, 0, sizeof s->ws);
    if (max_cost != NULL &&
        jsonv_check_decimal(max_cost, "--max-cost", f) < 0)
        return fault_set(f, FAULT_INVALID, "--max-cost",
                         "--max-cost takes a whole number of ledger units, "
                         "not '%.40s'", max_cost);
    s->ws.max_cost = max_cost;
    switch (s->kind) {
    case CLI_SEL_ROWS:
        s->ws.kind = WORKER_ROWS;
        return cli_sel_rows(s, f);
    case CLI_SEL_WHERE:
        s->ws.kind = WORKER_WHERE;
        for (i = 0; i < s->nwhere; i++)
            if (worker_cond_parse(&s->conds[i], s->cond_buf[i],
                                  sizeof s->cond_buf[i], s->where[i],
                                  "--where", f) < 0)
                return -1;
        s->ws.conds = s->conds;
        s->ws.nconds = s->nwhere;
        return 0;
    case CLI_SEL_CHUNKS:
        s->ws.kind = WORKER_CHUNKS;
        return cli_sel_chunks(s, f);
    case CLI_SEL_ALL:
        s->ws.kind = WORKER_ALL;
        return 0;
    case CLI_SEL_RESUME:
        return 0; /* from the receipt, in the run */
    case CLI_SEL_NONE:
        break;
    }
    return fault_set(f, FAULT_INVALID, "--rows",
                     "give a selector: --rows, --where, --chunks or --all");
}

/* The selector as the receipt keeps it, in the options' own words. */
static json_t *cli_sel_record(const struct cli_sel *s)
{
    json_t *list;
    size_t i;

    switch (s->kind) {
    case CLI_SEL_ROWS:
        return json_pack("{s:s}", "rows", s->rows);
    case CLI_SEL_CHUNKS:
        return json_pack("{s:s}", "chunks", s->chunks);
    case CLI_SEL_WHERE:
        list = json_array();
        for (i = 0; i < s->nwhere; i++)
            json_array_append_new(list, json_string(s->where[i]));
        return json_pack("{s:o}", "where", list);
    case CLI_SEL_ALL:
    case CLI_SEL_RESUME:
    case CLI_SEL_NONE:
        break;
    }
    return json_pack("{s:b}", "all", 1);
}

/* Take the selector back from a receipt's record into s. */
static int cli_sel_from_record(struct cli_sel *s, const json_t *sel,
                               struct fault *f)
{
    const json_t *where = json_object_get(sel, "where"), *v;
    size_t i;

    s->kind = CLI_SEL_NONE;
    s->nwhere = 0;
    if (json_is_string(json_object_get(sel, "rows"))) {
        s->kind = CLI_SEL_ROWS;
        s->rows = json_string_value(json_object_get(sel, "rows"));
    } else if (json_is_string(json_object_get(sel, "chunks"))) {
        s->kind = CLI_SEL_CHUNKS;
        s->chunks = json_string_value(json_object_get(sel, "chunks"));
    } else if (json_is_array(where) && json_array_size(where) > 0 &&
               json_array_size(where) <= WORKER_WHERE_MAX) {
        s->kind = CLI_SEL_WHERE;
        json_array_foreach(where, i, v) {
            if (!json_is_string(v))
                goto bad;
            s->where[s->nwhere++] = json_string_value(v);
        }
    } else if (json_is_true(json_object_get(sel, "all"))) {
        s->kind = CLI_SEL_ALL;
    } else {
        goto bad;
    }
    return 0;
bad:
    return fault_set(f, FAULT_CORRUPT, "--resume",
                     "the kept receipt does not say what was selected");
}

/* ---- printing quotes ---------------------------------------------------- */

/* units x the plan's unit_wei, in ETH, into out ("?" when unknown). */
static void cli_query_units_eth(char *out, size_t cap, const char *units,
                                const json_t *price)
{
    const char *uw = json_string_value(json_object_get(price, "unit_wei"));
    struct u256 u, w, prod;
    uint64_t m;
    uint8_t be[32];

    snprintf(out, cap, "?");
    if (units == NULL || uw == NULL ||
        u256_parse_decimal(&u, units, strlen(units), NULL, NULL) < 0 ||
        u256_parse_decimal(&w, uw, strlen(uw), NULL, NULL) < 0 ||
        u256_to_u64(&m, &w) < 0 || u256_mul_u64(&prod, &u, m) < 0)
        return;
    u256_to_be32(be, &prod);
    if (ether_eth_text(out, cap, be) < 0)
        snprintf(out, cap, "?");
}

static uint64_t cli_query_int(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_integer(v) && json_integer_value(v) > 0
               ? (uint64_t)json_integer_value(v)
               : 0;
}

/* A string for printing: control bytes would be terminal escapes from a
 * stranger; NULL and odd ones show as "?". */
static const char *cli_query_safe(const char *s)
{
    size_t i;

    /* Calldata is the longest text shown: 2 + 2 * 132 characters. */
    if (s == NULL || strlen(s) > 300)
        return "?";
    for (i = 0; s[i] != '\0'; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return "?";
    return s;
}

static const char *cli_query_str(const json_t *o, const char *key)
{
    return cli_query_safe(json_string_value(json_object_get(o, key)));
}

/* Print a quote (and the balance and payment when given) on out. */
static void cli_query_print_quote(FILE *out, const json_t *quote,
                                  const char *balance, const json_t *payment)
{
    const json_t *price = json_object_get(quote, "price");
    const json_t *args = json_object_get(payment, "args");
    const char *cost = cli_query_str(quote, "cost");
    char eth[ETHER_WEI_TEXT_SIZE], size[24], plan[200];
    struct u256 v;
    uint8_t be[32];
    size_t i;

    cli_query_units_eth(eth, sizeof eth, cost, price);
    progress_bytes(size, sizeof size, cli_query_int(quote, "plain_bytes"));
    priceopt_describe(plan, sizeof plan, price);
    fprintf(out, "cost       %s units (%s ETH)\n", cost, eth);
    fprintf(out, "covers     %llu chunks, %llu rows, %s\n",
            (unsigned long long)cli_query_int(quote, "chunk_count"),
            (unsigned long long)cli_query_int(quote, "rows"), size);
    fprintf(out, "price      %s\n", plan);
    if (balance != NULL)
        fprintf(out, "balance    %s units\n", balance);
    if (payment == NULL)
        return;
    if (strcmp(cli_query_str(payment, "value_wei"), "0") == 0) {
        fprintf(out, "payment    none needed now (the balance, or payments "
                     "still confirming, cover it)\n");
        return;
    }
    snprintf(eth, sizeof eth, "?");
    if (u256_parse_decimal(&v, cli_query_str(payment, "value_wei"),
                           strlen(cli_query_str(payment, "value_wei")), NULL,
                           NULL) == 0) {
        u256_to_be32(be, &v);
        if (ether_eth_text(eth, sizeof eth, be) < 0)
            snprintf(eth, sizeof eth, "?");
    }
    fprintf(out, "payment    %s ETH (%s wei) to %s on chain %llu\n", eth,
            cli_query_str(payment, "value_wei"),
            cli_query_str(payment, "contract"),
            (unsigned long long)cli_query_int(payment, "chain_id"));
    fprintf(out, "           %s(", cli_query_str(payment, "function"));
    for (i = 0; i < json_array_size(args) && i < 8; i++)
        fprintf(out, "%s%s", i ? ", " : "",
                cli_query_safe(json_string_value(json_array_get(args, i))));
    fprintf(out, ")\n");
    fprintf(out, "data       %s\n", cli_query_str(payment, "data"));
}

/* ---- query -------------------------------------------------------------- */

struct cli_query_opts {
    const char *dataset;
    struct cli_sel sel;
    const char *out, *max_cost, *pay, *cache;
    struct cli_uint parallel;
    int no_cache, keep_cache, force;
    struct cli_chain_opts chain;
    uint8_t pay_wei[32]; /* filled by the check */
};

static int cli_query_check(void *opts, struct fault *f)
{
    struct cli_query_opts *o = opts;

    if (o->pay != NULL && ether_parse(o->pay_wei, o->pay, "--pay", f) < 0)
        return -1;
    if (o->no_cache && o->cache != NULL)
        return fault_set(f, FAULT_INVALID, "--no-cache",
                         "give --cache or --no-cache, not both");
    if (o->sel.kind == CLI_SEL_RESUME && o->max_cost != NULL)
        return fault_set(f, FAULT_INVALID, "--max-cost",
                         "--resume asks nothing new: --max-cost has no "
                         "place there");
    return cli_sel_build(&o->sel, o->max_cost, f);
}

/* Make path and the folders above it (mode 0700). */
static int cli_query_mkdirs(const char *path, struct fault *f)
{
    char buf[KEYFILE_PATH_MAX];
    size_t i, n = strlen(path);

    if (n >= sizeof buf)
        return fault_set(f, FAULT_INVALID, "--cache", "the cache folder's "
                                                      "path is too long");
    memcpy(buf, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
            return fault_set(f, FAULT_IO, "--cache",
                             "cannot make the folder %s: %s", buf,
                             strerror(errno));
        buf[i] = path[i];
    }
    return 0;
}

/* The cache folder in force: --cache, else $XDG_CACHE_HOME/sluice/objects,
 * else ~/.cache/sluice/objects; "" with --no-cache. */
static int cli_query_cache_dir(const struct cli_query_opts *o, char *out,
                               size_t cap, struct fault *f)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;

    out[0] = '\0';
    if (o->no_cache)
        return 0;
    if (o->cache != NULL)
        n = snprintf(out, cap, "%s", o->cache);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, cap, "%s/sluice/objects", xdg);
    else if (home != NULL && home[0] == '/')
        n = snprintf(out, cap, "%s/.cache/sluice/objects", home);
    else
        return 0; /* nowhere to keep it: no cache */
    if (n < 0 || (size_t)n >= cap) {
        out[0] = '\0';
        return fault_set(f, FAULT_INVALID, "--cache",
                         "the cache folder's path is too long");
    }
    return cli_query_mkdirs(out, f);
}

struct cli_query_prog {
    struct progress p;
    int on;
    int bar; /* draw a bar: stderr is a terminal the rows do not go to */
};

static void cli_query_progress(void *arg, uint64_t done, uint64_t total)
{
    struct cli_query_prog *qp = arg;

    if (!qp->on) {
        progress_init(&qp->p, stderr, qp->bar, "download", total);
        qp->on = 1;
    }
    progress_update(&qp->p, done, done, 0);
}

/* Pay for the worker's own access as the 402's payment asks, with the
 * amount of --pay, and wait for the credit. */
static int cli_query_pay(struct cli_ctx *ctx, struct cli_query_opts *o,
                         const struct worker_refusal *no, struct fault *f)
{
    const json_t *p = no->payment, *args = json_object_get(p, "args");
    const char *value = json_string_value(json_object_get(p, "value_wei"));
    const char *ds = json_string_value(json_array_get(args, 0));
    const char *own = json_string_value(json_array_get(args, 1));
    const char *wk = json_string_value(json_array_get(args, 2));
    const char *rf = json_string_value(json_array_get(args, 3));
    const char *ct = json_string_value(json_object_get(p, "contract"));
    struct ethaddr owner, worker, contract, rec_owner;
    struct cli_buy_plan plan;
    struct u256 need, have;
    char need_eth[ETHER_WEI_TEXT_SIZE], note[CLI_BUY_NOTE_MAX];
    uint8_t ref[32], be[32];

    if (value == NULL || ds == NULL || own == NULL || wk == NULL ||
        rf == NULL || ct == NULL || json_array_size(args) != 4 ||
        strcasecmp(ds, o->dataset) != 0 ||
        ethaddr_parse(&owner, own, strlen(own), NULL, NULL) < 0 ||
        ethaddr_parse(&worker, wk, strlen(wk), NULL, NULL) < 0 ||
        ethaddr_parse(&contract, ct, strlen(ct), NULL, NULL) < 0 ||
        strlen(rf) != 66 ||
        hex_decode_0x(ref, sizeof ref, rf, 66, NULL, NULL) < 0 ||
        u256_parse_decimal(&need, value, strlen(value), NULL, NULL) < 0)
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the gateway's payment is not a purchase of this "
                         "data-set: nothing was sent");
    if (!ethaddr_equal(&worker, &ctx->key.addr))
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the gateway's payment is for another worker: "
                         "nothing was sent");
    /* The owner the payment names must be the data-set's: a payment to
     * anyone else would never be credited. */
    if (cli_buy_record(&ctx->api, &rec_owner, &plan, o->dataset, f) < 0)
        return -1;
    if (!ethaddr_equal(&owner, &rec_owner))
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the gateway's payment names an owner who is not "
                         "the data-set's: nothing was sent");
    u256_from_be32(&have, o->pay_wei);
    if (u256_cmp(&have, &need) < 0) {
        u256_to_be32(be, &need);
        if (ether_eth_text(need_eth, sizeof need_eth, be) < 0)
            snprintf(need_eth, sizeof need_eth, "?");
        return fault_set(f, FAULT_INVALID, "--pay",
                         "--pay %s ETH is less than the %s ETH this query "
                         "needs: nothing was sent",
                         o->pay, need_eth);
    }
    if (cli_buy_check_amount(note, sizeof note, &plan, o->pay_wei, "--pay",
                             o->force, f) < 0)
        return -1;
    return cli_buy_pay(ctx, &o->chain, o->dataset, &owner, &worker, ref,
                       o->pay_wei, &contract, note, 1, stderr, f);
}

/* Sleep secs seconds. */
static void cli_query_sleep(unsigned secs)
{
    struct timespec ts = {(time_t)secs, 0};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Ask until the keys are released: wait out 402s that payments on their
 * way cover, pay once with --pay. */
static int cli_query_ask(struct cli_ctx *ctx, struct cli_query_opts *o,
                         struct worker *w, struct worker_query **q,
                         struct fault *f)
{
    struct worker_refusal no;
    unsigned waits = 0, secs;
    int paid = 0, r;

    for (;;) {
        r = worker_query(w, q, &no, o->dataset, &o->sel.ws, f);
        if (r == WORKER_RELEASED)
            return 0;
        if (r < 0)
            return -1;
        if (r == WORKER_OVER_MAX_COST) {
            cli_query_print_quote(stdout, no.quote, NULL, NULL);
            fault_set(f, FAULT_CONFLICT, "--max-cost",
                      "the query costs %s units, above --max-cost %s: "
                      "nothing was charged",
                      cli_query_str(no.quote, "cost"), o->max_cost);
            worker_refusal_clear(&no);
            return -1;
        }
        /* 402 */
        if (no.retry_after > 0 && waits < CLI_QUERY_WAITS_MAX) {
            secs = no.retry_after > CLI_QUERY_WAIT_MAX_S ? CLI_QUERY_WAIT_MAX_S
                                                         : no.retry_after;
            fprintf(stderr, "payments on their way cover this query; "
                            "asking again in %u s\n", secs);
            worker_refusal_clear(&no);
            cli_query_sleep(secs);
            waits++;
            continue;
        }
        cli_query_print_quote(o->pay != NULL && !paid ? stderr : stdout,
                              no.quote, no.balance, no.payment);
        if (o->pay == NULL || paid) {
            fault_set(f, FAULT_PAYMENT, NULL,
                      "%s: the balance (%s units) does not cover the cost "
                      "(%s units); pay with --pay ETH, or sluice buy %s "
                      "--worker %s --amount ETH",
                      paid ? "still unpaid after paying" : "payment required",
                      no.balance != NULL ? no.balance : "?",
                      cli_query_str(no.quote, "cost"), o->dataset,
                      ctx->api.address);
            worker_refusal_clear(&no);
            return -1;
        }
        r = cli_query_pay(ctx, o, &no, f);
        worker_refusal_clear(&no);
        if (r < 0)
            return -1;
        paid = 1;
    }
}

/* Keep the receipt and the answer under the key file's folder. */
static int cli_query_keep(struct cli_ctx *ctx, const struct cli_query_opts *o,
                          const struct worker_query *q, char *path,
                          size_t cap, struct fault *f)
{
    const struct worker_release *rel = worker_query_release(q);
    char key_path[KEYFILE_PATH_MAX], dir[RECEIPTS_PATH_MAX], lower[67];
    json_t *rec, *chunks = json_array(), *c;
    size_t i;
    int rv;

    if (cli_key_path(ctx, key_path, sizeof key_path, f) < 0 ||
        receipts_dir(dir, sizeof dir, key_path, f) < 0) {
        json_decref(chunks);
        return -1;
    }
    json_array_foreach(json_object_get(rel->answer, "chunks"), i, c)
        json_array_append(chunks, json_object_get(c, "index"));
    for (i = 0; i < 66 && o->dataset[i] != '\0'; i++)
        lower[i] = (char)(o->dataset[i] >= 'A' && o->dataset[i] <= 'F'
                              ? o->dataset[i] - 'A' + 'a'
                              : o->dataset[i]);
    lower[i] = '\0';
    lower[1] = 'x';
    rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:s, s:s, s:I, "
                    "s:o, s:O, s:O}",
                    "query_id", rel->query_id, "dataset", lower, "worker",
                    ctx->api.address, "gateway", rel->gateway, "gateway_url",
                    ctx->gateway, "saved_at", (json_int_t)time(NULL),
                    "select", cli_sel_record(&o->sel), "cost", rel->cost,
                    "balance_after", rel->balance_after, "receipt_index",
                    (json_int_t)rel->receipt_index, "chunks", chunks,
                    "receipt", rel->receipt, "answer", rel->answer);
    if (rec == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    rv = receipts_save(path, cap, dir, rel->query_id, rec, f);
    json_decref(rec);
    return rv;
}

/* Write into out[0..cap) the path of the mark file (outfile.h) of query
 * qid's output in the cache folder, or "" when there is no cache folder
 * or the rows go to stdout. */
static int cli_query_mark_path(char *out, size_t cap, const char *cache,
                               const struct cli_query_opts *o,
                               const char *qid, struct fault *f)
{
    out[0] = '\0';
    if (cache[0] == '\0' || o->out == NULL || strcmp(o->out, "-") == 0)
        return 0;
    if (snprintf(out, cap, "%s/%s.mark", cache, qid) >= (int)cap) {
        out[0] = '\0';
        return fault_set(f, FAULT_INVALID, "--cache",
                         "the cache folder's path is too long");
    }
    return 0;
}

/* Load the kept answer of --resume QUERY_ID, and what it selected, and
 * open the output: continued after the chunks a cut-off run wrote (*at),
 * when its mark in the cache folder says so. */
static int cli_query_resume(struct cli_ctx *ctx, struct cli_query_opts *o,
                            struct worker *w, struct worker_query **q,
                            const char *cache, struct outfile **out,
                            struct outfile_mark *at, struct fault *f)
{
    char key_path[KEYFILE_PATH_MAX], dir[RECEIPTS_PATH_MAX];
    char mark[KEYFILE_PATH_MAX + 48];
    const char *ds;
    json_t *rec = NULL, *answer;
    int rv = -1;

    if (cli_key_path(ctx, key_path, sizeof key_path, f) < 0 ||
        receipts_dir(dir, sizeof dir, key_path, f) < 0 ||
        receipts_load(&rec, dir, o->sel.resume, f) < 0)
        goto done;
    ds = json_string_value(json_object_get(rec, "dataset"));
    if (ds == NULL || strcasecmp(ds, o->dataset) != 0) {
        fault_set(f, FAULT_INVALID, "--resume",
                  "query %s was on data-set %s, not %s", o->sel.resume,
                  ds != NULL ? ds : "?", o->dataset);
        goto done;
    }
    answer = json_object_get(rec, "answer");
    if (cli_sel_from_record(&o->sel, json_object_get(rec, "select"), f) <
            0 ||
        cli_sel_build(&o->sel, NULL, f) < 0 ||
        cli_query_mark_path(mark, sizeof mark, cache, o, o->sel.resume, f) <
            0 ||
        outfile_open(out, o->out, mark[0] != '\0' ? mark : NULL, at, f) < 0)
        goto done;
    /* A mark past the answer's chunks is not ours to follow. */
    if (at->chunks > json_array_size(json_object_get(answer, "chunks"))) {
        fault_set(f, FAULT_CORRUPT, "--resume",
                  "%s says %llu chunks were written, but the answer has "
                  "%zu; remove it to start over",
                  mark, (unsigned long long)at->chunks,
                  json_array_size(json_object_get(answer, "chunks")));
        goto done;
    }
    o->sel.resume = NULL;
    if (worker_query_load_from(w, q, o->dataset, &o->sel.ws, answer,
                               at->chunks, f) < 0)
        goto done;
    if (at->chunks > 0)
        fprintf(stderr, "resuming query %s from its kept answer (nothing "
                        "is charged again), after the %llu chunks already "
                        "in %s.part\n",
                worker_query_release(*q)->query_id,
                (unsigned long long)at->chunks, o->out);
    else
        fprintf(stderr, "resuming query %s from its kept answer (nothing "
                        "is charged again)\n",
                worker_query_release(*q)->query_id);
    rv = 0;
done:
    json_decref(rec);
    return rv;
}

/* Remove what the cache folder holds for the answer once its rows are
 * out: its pack, and the objects it read from there one file each. */
static void cli_query_uncache(const char *dir, const struct worker_query *q,
                              int objects)
{
    const json_t *c;
    char path[KEYFILE_PATH_MAX + 80];
    const char *id;
    size_t i;

    if (objects)
        json_array_foreach(json_object_get(worker_query_release(q)->answer,
                                           "chunks"),
                           i, c) {
            id = json_string_value(json_object_get(c, "object_id"));
            if (id != NULL && strlen(id) == 64 && strchr(id, '/') == NULL &&
                wfetch_cache_path(path, sizeof path, dir, id) == 0)
                unlink(path);
        }
    if (wfetch_pack_path(path, sizeof path, dir,
                         worker_query_release(q)->query_id) == 0)
        unlink(path);
}

/* Whole chunks written at their places by the download threads
 * (worker_query_chunks), and the mark kept at the first place not yet
 * written: every chunk before it is in the file. */
struct cli_query_places {
    struct outfile *out;
    uint64_t base;        /* where position `from` goes */
    uint64_t from;        /* the first position handed over */
    size_t n;             /* positions from there on */
    pthread_mutex_t mu;
    uint8_t *done;        /* of position from + i */
    uint64_t *rows, *len;
    size_t next;          /* done[0..next) are all set */
    struct outfile_mark m; /* the counters at position from + next */
};

static int cli_query_place(void *arg, const struct worker_chunk_out *c,
                           struct fault *f)
{
    struct cli_query_places *pl = arg;
    size_t i = (size_t)(c->pos - pl->from);
    int moved = 0;

    if (c->pos < pl->from || i >= pl->n)
        return fault_set(f, FAULT_INTERNAL, NULL,
                         "chunk position %llu out of place",
                         (unsigned long long)c->pos);
    if (outfile_pwrite(pl->out, pl->base + c->off, c->data, c->len, f) < 0)
        return -1;
    pthread_mutex_lock(&pl->mu);
    pl->done[i] = 1;
    pl->rows[i] = c->rows;
    pl->len[i] = c->len;
    while (pl->next < pl->n && pl->done[pl->next]) {
        pl->m.bytes += pl->len[pl->next];
        pl->m.rows += pl->rows[pl->next];
        pl->m.row_bytes += pl->len[pl->next];
        pl->next++;
        pl->m.chunks = pl->from + pl->next;
        moved = 1;
    }
    if (moved)
        outfile_mark_at(pl->out, &pl->m);
    pthread_mutex_unlock(&pl->mu);
    return 0;
}

/* Write the rest of a query of whole chunks at their places, from
 * position from on, after what the file holds (*m: the counters so far,
 * updated). */
static int cli_query_places(struct worker_query *q, struct outfile *out,
                            uint64_t from, struct outfile_mark *m,
                            struct fault *f)
{
    struct cli_query_places pl;
    size_t total = worker_query_release(q)->nchunks;
    int rv = -1;

    memset(&pl, 0, sizeof pl);
    pl.out = out;
    pl.from = from;
    pl.n = from < total ? total - (size_t)from : 0;
    pl.base = outfile_size(out);
    pl.m = *m;
    pl.m.bytes = pl.base;
    pl.m.chunks = from;
    pl.done = calloc(pl.n + 1, 1);
    pl.rows = calloc(pl.n + 1, sizeof *pl.rows);
    pl.len = calloc(pl.n + 1, sizeof *pl.len);
    if (pl.done == NULL || pl.rows == NULL || pl.len == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (outfile_flush(out, f) < 0)
        goto done;
    /* The chunks written so far are a point to continue from. */
    if (from > 0)
        outfile_mark_at(out, &pl.m);
    pthread_mutex_init(&pl.mu, NULL);
    rv = worker_query_chunks(q, cli_query_place, &pl, f);
    pthread_mutex_destroy(&pl.mu);
    *m = pl.m;
done:
    free(pl.done);
    free(pl.rows);
    free(pl.len);
    return rv;
}

static int cli_query_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_query_opts *o = opts;
    struct worker_options wo;
    struct worker_query *q = NULL;
    struct worker *w = NULL;
    struct cli_query_prog prog;
    struct worker_stats st;
    struct worker_row run;
    struct outfile_mark at, m;
    char cache[KEYFILE_PATH_MAX], receipt[RECEIPTS_PATH_MAX];
    char mark[KEYFILE_PATH_MAX + 48];
    char a[24], b[24], qid[40] = "";
    char msg[KEYFILE_PATH_MAX + RECEIPTS_PATH_MAX + 512];
    char *header = NULL;
    size_t hlen = 0;
    uint64_t rows, done, last, from;
    struct outfile *out = NULL;
    int r, n, header_done, whole, rv = -1;
    int to_file = o->out != NULL && strcmp(o->out, "-") != 0;
    int resume = o->sel.kind == CLI_SEL_RESUME; /* the load changes it */

    memset(&prog, 0, sizeof prog);
    memset(&at, 0, sizeof at);
    prog.bar = isatty(2) && (to_file || !isatty(1));
    if (cli_query_cache_dir(o, cache, sizeof cache, f) < 0)
        return -1;
    memset(&wo, 0, sizeof wo);
    wo.cache_dir = cache[0] != '\0' ? cache : NULL;
    /* Kept, the objects serve any later query: one file each. Else they
     * serve only a resume of this one: rows written to a file are
     * continued from where they were cut (outfile.h), so the objects
     * need not be kept at all; rows sent to stdout cannot be, and the
     * objects wait in one file, the query's pack. */
    wo.cache_pack = !o->keep_cache && !to_file;
    wo.cache_read_only = !o->keep_cache && to_file;
    wo.parallel = o->parallel.set ? (unsigned)o->parallel.v : 0;
    wo.progress = cli_query_progress;
    wo.progress_arg = &prog;
    if (worker_open(&w, ctx->gateway, &ctx->key, &wo, f) < 0)
        return -1;
    if (resume) {
        if (cli_query_resume(ctx, o, w, &q, cache, &out, &at, f) < 0)
            goto done;
    } else if (cli_query_ask(ctx, o, w, &q, f) < 0 ||
               cli_query_keep(ctx, o, q, receipt, sizeof receipt, f) < 0 ||
               cli_query_mark_path(mark, sizeof mark, cache, o,
                                   worker_query_release(q)->query_id,
                                   f) < 0 ||
               outfile_open(&out, o->out, mark[0] != '\0' ? mark : NULL,
                            &at, f) < 0) {
        goto done;
    }
    snprintf(qid, sizeof qid, "%s", worker_query_release(q)->query_id);
    /* Continued after a cut: the header and at.chunks chunks are in. */
    header_done = at.chunks > 0;
    last = at.chunks;
    m = at;
    /* Whole chunks to a file: once the header is out (its line end is
     * the first row's), the download threads write them at their places
     * themselves, as the floor of bench/story does. */
    whole = to_file && (o->sel.ws.kind == WORKER_ALL ||
                        o->sel.ws.kind == WORKER_CHUNKS);
    from = at.chunks;
    for (;;) {
        if (whole && header_done) {
            r = cli_query_places(q, out, from, &m, f);
            break;
        }
        if ((r = worker_next_run(q, &run, &rows, f)) != 1)
            break;
        /* A run that starts a chunk: all before it is a point to
         * continue from. */
        done = worker_query_chunks_done(q);
        if (done != last) {
            m.chunks = last = done;
            outfile_mark(out, &m);
        }
        /* The header record, with the line end the first row has. */
        if (!header_done) {
            if (worker_header(q, &header, &hlen,
                              run.eol[0] != '\0' ? run.eol : "\n", f) < 0)
                goto done;
            if (outfile_write(out, header, hlen, f) < 0)
                goto done;
            header_done = 1;
        }
        if (outfile_write(out, run.data, run.len, f) < 0)
            goto done;
        m.rows += rows;
        m.row_bytes += run.len;
        from = done + 1; /* a run of whole chunks is its whole chunk */
    }
    if (r < 0) {
        /* Chunks ended since the last run: a later point still. */
        done = worker_query_chunks_done(q);
        if (!whole && done != last && header_done) {
            m.chunks = done;
            outfile_mark(out, &m);
        }
        goto done;
    }
    if (!header_done) {
        if (worker_header(q, &header, &hlen, "\n", f) < 0)
            goto done;
        if (outfile_write(out, header, hlen, f) < 0)
            goto done;
    }
    if (outfile_sync_now(out, f) < 0)
        goto done;
    /* What to say once the file is in place, put together now: the query
     * goes first (its downloads stopped, its buffers wiped and freed)
     * while the syncer makes the rows durable, so that the commit's fsync
     * waits for less. */
    worker_query_stats(q, &st);
    progress_bytes(a, sizeof a, worker_query_release(q)->plain_bytes);
    progress_bytes(b, sizeof b, m.row_bytes);
    n = snprintf(msg, sizeof msg,
                 "decrypted %llu chunks (%llu rows, %s); wrote %llu rows "
                 "(%s) to %s\n",
                 (unsigned long long)worker_query_release(q)->nchunks,
                 (unsigned long long)worker_query_release(q)->rows, a,
                 (unsigned long long)m.rows, b, to_file ? o->out : "stdout");
    if (!resume && n >= 0 && (size_t)n < sizeof msg)
        n += snprintf(msg + n, sizeof msg - (size_t)n,
                      "query %s cost %s units (balance %s); receipt #%llu "
                      "kept in %s\n",
                      worker_query_release(q)->query_id,
                      worker_query_release(q)->cost,
                      worker_query_release(q)->balance_after,
                      (unsigned long long)worker_query_release(q)
                          ->receipt_index,
                      receipt);
    if (st.objects_cached > 0 && n >= 0 && (size_t)n < sizeof msg)
        snprintf(msg + n, sizeof msg - (size_t)n,
                 "%llu objects came from the cache\n",
                 (unsigned long long)st.objects_cached);
    if (cache[0] != '\0' && !o->keep_cache)
        cli_query_uncache(cache, q, st.objects_cached > 0);
    worker_query_free(q);
    q = NULL;
    r = outfile_commit(out, f);
    out = NULL;
    if (r < 0)
        goto done;
    if (prog.on)
        progress_finish(&prog.p);
    fputs(msg, stderr);
    rv = 0;
done:
    if (prog.on && rv < 0)
        progress_finish(&prog.p);
    if (rv < 0 && qid[0] == '\0' && q != NULL)
        snprintf(qid, sizeof qid, "%s", worker_query_release(q)->query_id);
    if (rv < 0 && qid[0] != '\0') {
        /* Paid for and kept: say how to finish without paying again, in
         * the one line of the failure when it fits; the rows written so
         * far wait for it. */
        char d[FAULT_DETAIL_MAX + 80];

        (void)outfile_suspend(out);
        out = NULL;
        n = snprintf(d, sizeof d, "%s (the answer is kept: finish with "
                                  "--resume %s)",
                     f->detail, qid);
        if (n > 0 && (size_t)n < sizeof f->detail)
            memcpy(f->detail, d, (size_t)n + 1);
        else
            fprintf(stderr, "sluice query: the answer is kept; finish with: "
                            "sluice query %s --resume %s\n",
                    o->dataset, qid);
    }
    outfile_abort(out);
    free(header);
    worker_query_free(q);
    worker_close(w);
    return rv;
}

/* The selector options of a command whose options struct S has a struct
 * cli_sel M; with_resume adds --resume to the group. */
#define CLI_SEL_OPTIONS(S, M)                                               \
    {.name = "rows", .type = CLI_OPT_CUSTOM, .value = "A:B",                \
     .help = "rows A to B-1, numbered from 0 (A: to the end)",              \
     .slot = offsetof(S, M), .group = CLI_SEL_GROUP,                        \
     .missing = "give a selector: --rows A:B, --where 'col>=v', --chunks "  \
                "1,5 or --all",                                             \
     .take = cli_sel_take, .arg = CLI_SEL_ROWS},                            \
    {.name = "where", .type = CLI_OPT_CUSTOM, .value = "COND",              \
     .help = "rows where col=v, col!=v, col<v, col<=v, col>v or col>=v "    \
             "(repeat to AND; v is a number when it reads as one, "         \
             "\"quoted\" for text)",                                        \
     .slot = offsetof(S, M), .group = CLI_SEL_GROUP,                        \
     .take = cli_sel_take, .arg = CLI_SEL_WHERE},                           \
    {.name = "chunks", .type = CLI_OPT_CUSTOM, .value = "LIST",             \
     .help = "every row of these chunks, e.g. 1,5 or 0-9",                  \
     .slot = offsetof(S, M), .group = CLI_SEL_GROUP,                        \
     .take = cli_sel_take, .arg = CLI_SEL_CHUNKS},                          \
    {.name = "all", .type = CLI_OPT_CUSTOM,                                 \
     .help = "every row of the data-set",                                   \
     .slot = offsetof(S, M), .group = CLI_SEL_GROUP,                        \
     .take = cli_sel_take, .arg = CLI_SEL_ALL}

const struct cli_command cli_cmd_query = {
    .name = "query",
    .summary = "run a signed, paid query: on 402 print the quote and the "
               "payment (--pay: buy it from the key, wait for the credit "
               "and ask again), then download the chunks, check them and "
               "the receipt, decrypt, and write exactly the rows asked for "
               "(CSV with its header); the receipt is kept beside the key",
    .args = (const struct cli_arg[]){
        {.name = "DATASET", .type = CLI_ARG_ID,
         .help = "the published data-set's id",
         .slot = offsetof(struct cli_query_opts, dataset)},
        {.name = NULL},
    },
    .options = (const struct cli_option[]){
        CLI_SEL_OPTIONS(struct cli_query_opts, sel),
        {.name = "resume", .type = CLI_OPT_CUSTOM, .value = "QUERY_ID",
         .help = "finish a download cut off, from its kept answer (no new "
                 "query, no new charge)",
         .slot = offsetof(struct cli_query_opts, sel),
         .group = CLI_SEL_GROUP, .take = cli_sel_take,
         .arg = CLI_SEL_RESUME},
        {.name = "out", .short_name = 'o', .type = CLI_OPT_STRING,
         .value = "FILE",
         .help = "write the rows to FILE (default stdout)",
         .slot = offsetof(struct cli_query_opts, out)},
        {.name = "max-cost", .type = CLI_OPT_STRING, .value = "N",
         .help = "refuse to pay more than N ledger units (the gateway "
                 "answers 409 and charges nothing)",
         .slot = offsetof(struct cli_query_opts, max_cost)},
        {.name = "pay", .type = CLI_OPT_STRING, .value = "ETH",
         .help = "on 402, pay this much (at least what it asks) from the "
                 "key for its own access, wait for the credit, ask again",
         .slot = offsetof(struct cli_query_opts, pay)},
        {.name = "force", .type = CLI_OPT_FLAG,
         .help = "with --pay: pay even less than the plan's minimum",
         .slot = offsetof(struct cli_query_opts, force)},
        {.name = "cache", .type = CLI_OPT_STRING, .value = "DIR",
         .help = "what a cut-off query needs to resume: where -o FILE's "
                 "rows stop, or for stdout the verified objects (default "
                 "~/.cache/sluice/objects)",
         .slot = offsetof(struct cli_query_opts, cache)},
        {.name = "no-cache", .type = CLI_OPT_FLAG,
         .help = "keep nothing on disk (a cut-off download starts over)",
         .slot = offsetof(struct cli_query_opts, no_cache)},
        {.name = "keep-cache", .type = CLI_OPT_FLAG,
         .help = "leave the objects in the cache after success, one "
                 "file each, for later queries to read",
         .slot = offsetof(struct cli_query_opts, keep_cache)},
        {.name = "parallel", .type = CLI_OPT_UINT, .value = "N",
         .help = "downloads at once, 1 to 32",
         .slot = offsetof(struct cli_query_opts, parallel), .min = 1,
         .max = WFETCH_PARALLEL_MAX, .def = "4"},
        CLI_CHAIN_OPTIONS(struct cli_query_opts, chain),
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_query_opts),
    .flags = CLI_KEY | CLI_API,
    .check = cli_query_check,
    .run = cli_query_run,
};

/* ---- quote -------------------------------------------------------------- */

struct cli_quote_opts {
    const char *dataset;
    struct cli_sel sel;
    const char *max_cost;
    int json;
};

static int cli_quote_check(void *opts, struct fault *f)
{
    struct cli_quote_opts *o = opts;

    return cli_sel_build(&o->sel, o->max_cost, f);
}

static int cli_quote_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_quote_opts *o = opts;
    struct worker *w = NULL;
    json_t *quote = NULL;
    char *text;
    int rv = -1;

    if (worker_open(&w, ctx->gateway, ctx->have_key ? &ctx->key : NULL,
                    NULL, f) < 0 ||
        worker_quote(w, &quote, o->dataset, &o->sel.ws, ctx->have_key, f) <
            0)
        goto done;
    if (o->json) {
        text = json_dumps(quote, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text == NULL) {
            fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
            goto done;
        }
        printf("%s\n", text);
        free(text);
    } else {
        cli_query_print_quote(
            stdout, quote, json_string_value(json_object_get(quote, "balance")),
            json_is_object(json_object_get(quote, "payment"))
                ? json_object_get(quote, "payment")
                : NULL);
    }
    rv = 0;
done:
    json_decref(quote);
    worker_close(w);
    return rv;
}

const struct cli_command cli_cmd_quote = {
    .name = "quote",
    .summary = "the price of a query, charging nothing: signed when there "
               "is a key (then with the key's balance and the payment that "
               "would cover it), unsigned otherwise",
    .args = (const struct cli_arg[]){
        {.name = "DATASET", .type = CLI_ARG_ID,
         .help = "the published data-set's id",
         .slot = offsetof(struct cli_quote_opts, dataset)},
        {.name = NULL},
    },
    .options = (const struct cli_option[]){
        CLI_SEL_OPTIONS(struct cli_quote_opts, sel),
        {.name = "max-cost", .type = CLI_OPT_STRING, .value = "N",
         .help = "the cost limit the query would carry",
         .slot = offsetof(struct cli_quote_opts, max_cost)},
        {.name = "json", .type = CLI_OPT_FLAG,
         .help = "print the gateway's answer as JSON",
         .slot = offsetof(struct cli_quote_opts, json)},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_quote_opts),
    .flags = CLI_KEY_IF_THERE | CLI_API,
    .check = cli_quote_check,
    .run = cli_quote_run,
};
