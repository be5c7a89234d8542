/*
 * sluice receipts [DATASET]: the receipts the worker's queries kept
 * (receipts.h), each checked again as it is listed: its text has the
 * shape of a release entry (DESIGN.md 3.10), its hash is the text's, and
 * its signature is the gateway key's that the query checked. The figures
 * shown are read from the signed text itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client/cli.h"
#include "client/receipts.h"
#include "client/wreceipt.h"

#define CLI_RECEIPTS_VALUE_MAX 96

struct cli_receipts_row {
    uint64_t time, index;
    char query[40], dataset[70], cost[CLI_RECEIPTS_VALUE_MAX];
    char balance[CLI_RECEIPTS_VALUE_MAX], check[80];
    size_t chunks;
};

struct cli_receipts_list {
    const char *dataset; /* the filter, or NULL */
    struct cli_receipts_row *rows;
    size_t n, cap, ok;
};

/* Copy the value of line "name: value" of text into out[0..cap). */
static void cli_receipts_line(char *out, size_t cap, const char *text,
                              const char *name)
{
    char key[40];
    const char *p, *e;
    size_t n;

    out[0] = '\0';
    snprintf(key, sizeof key, "\n%s: ", name);
    p = strstr(text, key);
    if (p == NULL)
        return;
    p += strlen(key);
    e = strchr(p, '\n');
    n = e != NULL ? (size_t)(e - p) : strlen(p);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static int cli_receipts_one(void *arg, const char *name, const json_t *rec,
                            struct fault *f)
{
    struct cli_receipts_list *l = arg;
    const json_t *r = json_object_get(rec, "receipt");
    const char *text = json_string_value(json_object_get(r, "text"));
    const char *gw = json_string_value(json_object_get(rec, "gateway"));
    struct cli_receipts_row *row;
    struct wreceipt_fields fl;
    struct ethaddr signer, want;
    struct fault vf;
    char chunks[CLI_RECEIPTS_VALUE_MAX];
    size_t i;

    if (l->n == l->cap) {
        struct cli_receipts_row *p =
            realloc(l->rows, (l->cap ? l->cap * 2 : 32) * sizeof *p);
        if (p == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        l->rows = p;
        l->cap = l->cap ? l->cap * 2 : 32;
    }
    row = &l->rows[l->n];
    memset(row, 0, sizeof *row);
    snprintf(row->query, sizeof row->query, "%.34s", name);
    if (rec == NULL || text == NULL) {
        snprintf(row->check, sizeof row->check, "BAD: does not parse");
        if (l->dataset == NULL)
            l->n++;
        return 0;
    }
    cli_receipts_line(row->dataset, sizeof row->dataset, text, "dataset");
    if (l->dataset != NULL && strcasecmp(row->dataset, l->dataset) != 0)
        return 0;
    if (wreceipt_verify(&fl, &signer, r, &vf) < 0) {
        snprintf(row->check, sizeof row->check, "BAD: %.70s", vf.detail);
    } else if (gw == NULL ||
               ethaddr_parse(&want, gw, strlen(gw), NULL, NULL) < 0 ||
               !ethaddr_equal(&want, &signer)) {
        snprintf(row->check, sizeof row->check,
                 "BAD: not signed by the gateway's key");
    } else {
        snprintf(row->check, sizeof row->check, "ok");
        l->ok++;
    }
    row->time = fl.time;
    row->index = fl.index;
    cli_receipts_line(row->query, sizeof row->query, text, "query");
    cli_receipts_line(row->cost, sizeof row->cost, text, "cost");
    cli_receipts_line(row->balance, sizeof row->balance, text,
                      "balance_after");
    cli_receipts_line(chunks, sizeof chunks, text, "chunks");
    /* The chunks line can be long: count its commas in the text. */
    {
        const char *p = strstr(text, "\nchunks: ");
        row->chunks = 0;
        if (p != NULL && p[9] != '\n' && p[9] != '\0') {
            row->chunks = 1;
            for (i = 9; p[i] != '\0' && p[i] != '\n'; i++)
                row->chunks += p[i] == ',';
        }
    }
    l->n++;
    return 0;
}

static int cli_receipts_cmp(const void *a, const void *b)
{
    const struct cli_receipts_row *x = a, *y = b;

    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->index != y->index)
        return x->index < y->index ? -1 : 1;
    return strcmp(x->query, y->query);
}

struct cli_receipts_opts {
    const char *dataset;
};

static int cli_receipts_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_receipts_opts *o = opts;
    struct cli_receipts_list l;
    char key_path[KEYFILE_PATH_MAX], dir[RECEIPTS_PATH_MAX], when[32];
    time_t t;
    struct tm tm;
    size_t i;
    int rv = -1;

    memset(&l, 0, sizeof l);
    l.dataset = o->dataset;
    if (cli_key_path(ctx, key_path, sizeof key_path, f) < 0 ||
        receipts_dir(dir, sizeof dir, key_path, f) < 0 ||
        receipts_each(dir, cli_receipts_one, &l, f) < 0)
        goto done;
    if (l.n == 0) {
        fprintf(stderr, "sluice: no receipts%s%s kept in %s\n",
                o->dataset ? " of " : "", o->dataset ? o->dataset : "", dir);
        rv = 0;
        goto done;
    }
    qsort(l.rows, l.n, sizeof *l.rows, cli_receipts_cmp);
    printf("%-19s  %6s  %-34s  %-66s  %6s  %10s  %10s  %s\n", "TIME (UTC)",
           "ENTRY", "QUERY", "DATASET", "CHUNKS", "COST", "BALANCE",
           "CHECK");
    for (i = 0; i < l.n; i++) {
        const struct cli_receipts_row *r = &l.rows[i];
        t = (time_t)r->time;
        if (r->time == 0 || gmtime_r(&t, &tm) == NULL)
            snprintf(when, sizeof when, "?");
        else
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        printf("%-19s  %6llu  %-34s  %-66s  %6zu  %10s  %10s  %s\n", when,
               (unsigned long long)r->index, r->query,
               r->dataset[0] ? r->dataset : "?", r->chunks,
               r->cost[0] ? r->cost : "?", r->balance[0] ? r->balance : "?",
               r->check);
    }
    fprintf(stderr, "%zu receipts, %zu checked ok, in %s\n", l.n, l.ok, dir);
    rv = 0;
done:
    free(l.rows);
    return rv;
}

const struct cli_command cli_cmd_receipts = {
    .name = "receipts",
    .summary = "list the receipts kept by sluice query (beside the key "
               "file), oldest first, each checked again: its hash and the "
               "gateway key's signature",
    .args = (const struct cli_arg[]){
        {.name = "DATASET", .type = CLI_ARG_ID,
         .help = "only the receipts of this data-set",
         .slot = offsetof(struct cli_receipts_opts, dataset),
         .optional = 1},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_receipts_opts),
    .run = cli_receipts_run,
};
