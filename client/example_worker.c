/*
 * example_worker: the worker library (client/worker.h) in one short
 * program. It opens the gateway with the worker's key file, runs one
 * query on a data-set and prints the rows it gets back on stdout (the CSV
 * header first), then a line of figures on stderr.
 *
 *   example_worker GATEWAY KEYFILE DATASET all
 *   example_worker GATEWAY KEYFILE DATASET rows FROM TO
 *   example_worker GATEWAY KEYFILE DATASET where 'temp>=20.5' ...
 *
 * Without enough balance the gateway answers 402: the program prints the
 * quote and the payment that would cover it (a wallet or `sluice buy`
 * sends it) and exits 3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/keyfile.h"
#include "client/worker.h"

int main(int argc, char **argv)
{
    struct worker_cond conds[WORKER_WHERE_MAX];
    static char text[WORKER_WHERE_MAX][WORKER_COND_TEXT_MAX + 2];
    struct worker_select sel = {.kind = WORKER_ALL};
    struct worker_refusal no;
    struct worker_query *q = NULL;
    struct worker_stats st;
    struct worker_row row;
    struct worker *w = NULL;
    struct ethkey key;
    struct fault f;
    char *header = NULL, *doc;
    size_t hlen = 0;
    int i, r, rv = 1;

    memset(&key, 0, sizeof key);
    fault_clear(&f);
    if (argc < 5 || (strcmp(argv[4], "rows") == 0 && argc != 7)) {
        fprintf(stderr, "usage: example_worker GATEWAY KEYFILE DATASET "
                        "(all | rows FROM TO | where COND...)\n");
        return 2;
    }
    if (strcmp(argv[4], "rows") == 0) {
        sel.kind = WORKER_ROWS;
        sel.from = strtoull(argv[5], NULL, 10);
        sel.to = strtoull(argv[6], NULL, 10);
    } else if (strcmp(argv[4], "where") == 0) {
        sel.kind = WORKER_WHERE;
        for (i = 5; i < argc && i - 5 < WORKER_WHERE_MAX; i++)
            if (worker_cond_parse(&conds[i - 5], text[i - 5],
                                  sizeof text[i - 5], argv[i], "where",
                                  &f) < 0)
                goto done;
        sel.conds = conds;
        sel.nconds = (size_t)(i - 5);
    }
    if (keyfile_load(&key, argv[2], &f) < 0 ||
        worker_open(&w, argv[1], &key, NULL, &f) < 0)
        goto done;
    r = worker_query(w, &q, &no, argv[3], &sel, &f);
    if (r == WORKER_PAYMENT_REQUIRED || r == WORKER_OVER_MAX_COST) {
        doc = json_dumps(no.doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", doc != NULL ? doc : "?");
        free(doc);
        worker_refusal_clear(&no);
        rv = 3;
        goto done;
    }
    if (r < 0)
        goto done;
    while ((r = worker_next(q, &row, &f)) == 1) {
        /* The header when the first row shows the file's line ends. */
        if (header == NULL &&
            worker_header(q, &header, &hlen, row.eol[0] ? row.eol : "\n",
                          &f) < 0)
            goto done;
        if (hlen > 0 && header != NULL) {
            fwrite(header, 1, hlen, stdout);
            hlen = 0;
        }
        fwrite(row.data, 1, row.len, stdout);
    }
    if (r < 0)
        goto done;
    worker_query_stats(q, &st);
    fprintf(stderr,
            "query %s: cost %s, %llu chunks decrypted, %llu rows of "
            "%llu kept, %llu objects from the cache\n",
            worker_query_release(q)->query_id, worker_query_release(q)->cost,
            (unsigned long long)st.chunks, (unsigned long long)st.rows_out,
            (unsigned long long)st.rows,
            (unsigned long long)st.objects_cached);
    rv = 0;
done:
    if (rv == 1)
        fprintf(stderr, "example_worker: %s\n", f.detail);
    free(header);
    worker_query_free(q);
    worker_close(w);
    ethkey_wipe(&key);
    return rv;
}
