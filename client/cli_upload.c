/* sluice upload ID FILE: the content of a draft, in resumable parts. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/progress.h"
#include "client/upload.h"

struct cli_upload_opts {
    const char *id, *file;
    struct cli_uint part_size, retries, limit_rate;
};

static int cli_upload_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_upload_opts *o = opts;
    struct upload_opts uo;
    struct upload_stats st;
    char sent[24], total[24];

    memset(&uo, 0, sizeof uo);
    uo.part_size = o->part_size.v;
    uo.retries = (unsigned)o->retries.v;
    uo.backoff_ms = 500;
    uo.limit_rate = o->limit_rate.v; /* 0 when not given: no limit */
    uo.progress = stderr;
    uo.tty = isatty(fileno(stderr));
    if (upload_file(&ctx->api, &st, o->id, o->file, &uo, f) < 0)
        return -1;
    progress_bytes(sent, sizeof sent, st.bytes_sent);
    progress_bytes(total, sizeof total, st.bytes);
    printf("uploaded %s: %llu part%s (%llu sent, %llu already there), "
           "%s of %s sent\n",
           o->id, (unsigned long long)st.parts, st.parts == 1 ? "" : "s",
           (unsigned long long)st.sent, (unsigned long long)st.skipped, sent,
           total);
    return 0;
}

const struct cli_command cli_cmd_upload = {
    .name = "upload",
    .summary = "upload FILE as the data-set's content in parts (default "
               "16M); rerun to resume: parts already there are skipped; "
               "--limit-rate caps the bytes per second",
    .args = (const struct cli_arg[]){
        {.name = "ID", .type = CLI_ARG_ID,
         .help = "the draft data-set's id",
         .slot = offsetof(struct cli_upload_opts, id)},
        {.name = "FILE", .type = CLI_ARG_TEXT,
         .help = "the file to upload (the same file, to resume)",
         .slot = offsetof(struct cli_upload_opts, file)},
        {.name = NULL},
    },
    .options = (const struct cli_option[]){
        {.name = "part-size", .type = CLI_OPT_SIZE, .value = "BYTES",
         .help = "the size of each part, 1K to 1G",
         .slot = offsetof(struct cli_upload_opts, part_size),
         .min = 1024, .max = (uint64_t)1 << 30, .def = "16M"},
        {.name = "retries", .type = CLI_OPT_UINT, .value = "N",
         .help = "tries again of a part that failed (the connection, a "
                 "5xx), 0 to 20, pausing longer each time",
         .slot = offsetof(struct cli_upload_opts, retries),
         .min = 0, .max = 20, .def = "4"},
        {.name = "limit-rate", .type = CLI_OPT_SIZE, .value = "BYTES",
         .help = "at most this many bytes per second, 1K to 1T (default: "
                 "no limit)",
         .slot = offsetof(struct cli_upload_opts, limit_rate),
         .min = 1024, .max = (uint64_t)1 << 40},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_upload_opts),
    .flags = CLI_KEY | CLI_API,
    .run = cli_upload_run,
};
