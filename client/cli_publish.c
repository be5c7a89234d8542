/* sluice publish ID: ask the gateway to publish the uploaded parts, then
 * follow the data-set's state until it is published or failed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/progress.h"

#define PUBLISH_POLL_MS 400
#define PUBLISH_FAILURES_MAX 5
#define PUBLISH_LINE_MS 5000

static void cli_publish_sleep(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static uint64_t cli_publish_num(const json_t *doc, const char *a,
                                const char *b)
{
    const json_t *v = json_object_get(doc, a);

    if (b != NULL)
        v = json_object_get(v, b);
    return json_is_integer(v) && json_integer_value(v) > 0
               ? (uint64_t)json_integer_value(v)
               : 0;
}

/* Follow the data-set until it leaves "publishing". */
static int cli_publish_wait(struct api *a, const char *id, json_t **last,
                            struct fault *f)
{
    struct progress bar;
    struct api_call call;
    char path[128], line[128];
    const char *state;
    json_t *doc = NULL;
    int status, fails = 0, tty = isatty(fileno(stderr)), rv = -1;
    int64_t last_line = 0;
    uint64_t done, total, last_done = UINT64_MAX;

    snprintf(path, sizeof path, "/v1/datasets/%s", id);
    progress_init(&bar, stderr, tty, "publish",
                  cli_publish_num(*last, "progress", "total"));
    for (;;) {
        state = json_string_value(json_object_get(*last, "state"));
        if (state == NULL) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "the gateway's answer holds no state");
            goto done;
        }
        done = cli_publish_num(*last, "progress", "done");
        total = cli_publish_num(*last, "progress", "total");
        bar.total = total;
        if (strcmp(state, "published") == 0) {
            progress_update(&bar, total, total, 1);
            rv = 0;
            goto done;
        }
        if (strcmp(state, "failed") == 0) {
            const char *why = json_string_value(json_object_get(*last,
                                                                "reason"));
            fault_set(f, FAULT_CONFLICT, NULL,
                      "publishing %s failed: %s", id,
                      why && why[0] ? why : "(the gateway gave no reason)");
            goto done;
        }
        if (strcmp(state, "publishing") != 0) {
            fault_set(f, FAULT_CONFLICT, NULL,
                      "the data-set is %s, not publishing", state);
            goto done;
        }
        if (tty) {
            progress_update(&bar, done, done, 0);
        } else if (done != last_done &&
                   progress_now_ms() - last_line >= PUBLISH_LINE_MS) {
            progress_format(line, sizeof line, done, total, -1.0);
            fprintf(stderr, "publishing: %s\n", line);
            last_line = progress_now_ms();
            last_done = done;
        }
        cli_publish_sleep(PUBLISH_POLL_MS);
        memset(&call, 0, sizeof call);
        call.method = "GET";
        call.path = path;
        call.sign = 1;
        if (api_request(a, &doc, &status, &call, f) < 0) {
            if (status != 0 && status < 500)
                goto done;
            if (++fails > PUBLISH_FAILURES_MAX)
                goto done;
            progress_note(&bar, "publish: %s; asking again", f->detail);
            fault_clear(f);
            continue;
        }
        fails = 0;
        json_decref(*last);
        *last = doc;
        doc = NULL;
    }
done:
    progress_finish(&bar);
    json_decref(doc);
    return rv;
}

struct cli_publish_opts {
    const char *id;
    int no_wait;
};

static int cli_publish_run(struct cli_ctx *ctx, void *opts, struct fault *f)
{
    struct cli_publish_opts *o = opts;
    struct api_call call;
    char path[128], size[24];
    const char *root;
    json_t *doc = NULL;
    int status, rv = -1;

    snprintf(path, sizeof path, "/v1/datasets/%s/publish", o->id);
    memset(&call, 0, sizeof call);
    call.method = "POST";
    call.path = path;
    call.sign = 1;
    if (api_request(&ctx->api, &doc, &status, &call, f) < 0)
        goto done;
    if (o->no_wait) {
        printf("publishing %s; follow it with `sluice show %s`\n", o->id,
               o->id);
        rv = 0;
        goto done;
    }
    if (cli_publish_wait(&ctx->api, o->id, &doc, f) < 0)
        goto done;
    root = json_string_value(json_object_get(doc, "content_root"));
    progress_bytes(size, sizeof size,
                   cli_publish_num(doc, "plain_bytes", NULL));
    printf("published %s: %llu rows, %llu chunks, %s, content root %s\n",
           o->id, (unsigned long long)cli_publish_num(doc, "rows", NULL),
           (unsigned long long)cli_publish_num(doc, "chunk_count", NULL),
           size, root ? root : "?");
    rv = 0;
done:
    json_decref(doc);
    return rv;
}

const struct cli_command cli_cmd_publish = {
    .name = "publish",
    .summary = "publish the uploaded parts and wait until the data-set is "
               "published (or failed)",
    .args = (const struct cli_arg[]){
        {.name = "ID", .type = CLI_ARG_ID, .help = "the draft data-set's id",
         .slot = offsetof(struct cli_publish_opts, id)},
        {.name = NULL},
    },
    .options = (const struct cli_option[]){
        {.name = "no-wait", .type = CLI_OPT_FLAG,
         .help = "return once the gateway has started publishing",
         .slot = offsetof(struct cli_publish_opts, no_wait)},
        {.name = NULL},
    },
    .opts_size = sizeof(struct cli_publish_opts),
    .flags = CLI_KEY | CLI_API,
    .run = cli_publish_run,
};
