/* sluice upload ID FILE: the content of a draft, in resumable parts. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/progress.h"
#include "client/upload.h"

enum { OPT_PART_SIZE = CLI_OPT_FIRST_LOCAL, OPT_RETRIES, OPT_LIMIT_RATE };

int cli_upload_run(struct cli_ctx *ctx, int argc, char **argv,
                   struct fault *f)
{
    static const struct option opts[] = {
        CLI_GLOBAL_OPTIONS,
        {"part-size", required_argument, NULL, OPT_PART_SIZE},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"limit-rate", required_argument, NULL, OPT_LIMIT_RATE},
        {NULL, 0, NULL, 0},
    };
    struct upload_opts o;
    struct upload_stats st;
    struct ethkey key;
    struct api a;
    char sent[24], total[24];
    uint64_t v;
    int c, r, have = 0, api_open = 0, rv = -1;

    memset(&key, 0, sizeof key);
    memset(&o, 0, sizeof o);
    o.part_size = UPLOAD_PART_DEFAULT;
    o.retries = 4;
    o.backoff_ms = 500;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_PART_SIZE:
            if (units_parse_size(&o.part_size, optarg, 1024, (uint64_t)1 << 30,
                               "--part-size", f) < 0)
                goto done;
            break;
        case OPT_LIMIT_RATE:
            if (units_parse_size(&o.limit_rate, optarg, 1024,
                               (uint64_t)1 << 40, "--limit-rate", f) < 0)
                goto done;
            break;
        case OPT_RETRIES:
            if (cli_parse_uint(&v, optarg, 0, 20, "--retries", f) < 0)
                goto done;
            o.retries = (unsigned)v;
            break;
        default:
            r = cli_common_option(ctx, c, argv, f);
            if (r == 2)
                rv = 0;
            if (r != 1)
                goto done;
        }
    }
    if (cli_positional(argc, argv, 2, "ID and FILE", f) < 0 ||
        cli_check_id(argv[optind], f) < 0)
        goto done;
    if (cli_load_key(ctx, &key, &have, 1, f) < 0 ||
        cli_api(ctx, &a, &key, f) < 0)
        goto done;
    api_open = 1;
    o.progress = stderr;
    o.tty = isatty(fileno(stderr));
    if (upload_file(&a, &st, argv[optind], argv[optind + 1], &o, f) < 0)
        goto done;
    progress_bytes(sent, sizeof sent, st.bytes_sent);
    progress_bytes(total, sizeof total, st.bytes);
    printf("uploaded %s: %llu part%s (%llu sent, %llu already there), "
           "%s of %s sent\n",
           argv[optind], (unsigned long long)st.parts, st.parts == 1 ? "" : "s",
           (unsigned long long)st.sent, (unsigned long long)st.skipped, sent,
           total);
    rv = 0;
done:
    if (api_open)
        api_close(&a);
    ethkey_wipe(&key);
    return rv;
}
