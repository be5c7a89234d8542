/*
 * bench/catalogue: how many catalogue answers (GET /v1/datasets/<id>) the
 * gateway gives per second, beside a bare libevent evhttp server that
 * answers every request with the same bytes.
 *
 *   ours   build/sluiced serving a data dir with one published data-set (a
 *          small CSV ingested directly through storage), pinned to CPU 0.
 *          Every request reads the data-set, its meta, columns and preview
 *          from SQLite and renders the JSON view.
 *   limit  a child of this benchmark running a bare evhttp server (default
 *          settings, one event loop, no routing, no database) that answers
 *          200 with our answer's body and the same three headers, also
 *          pinned to CPU 0.
 *
 * Both are loaded by `wrk -t1 -c64 -d10s` pinned to CPU 1, so that on the
 * 2-core machine the server and the load generator each have a core. Each
 * figure is the median of --runs runs; the runs alternate (limit, ours,
 * ours, limit, ...) so that drift hits both alike.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_http.h"
#include "bench/bench_util.h"
#include "lib/log.h"

#define MAX_RUNS 99
#define CPU_SERVER 0
#define CPU_LOAD 1

struct opts {
    uint64_t mib, runs, level, secs, conns;
    const char *dir, *sluiced;
};

/* ---- the limit: a bare evhttp server -------------------------------- */

struct ref_server {
    int fd;             /* listening socket, made by the parent */
    const char *body;
    size_t len;
};

static void ref_on_request(struct evhttp_request *req, void *arg)
{
    const struct ref_server *r = arg;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    struct evbuffer *b = evbuffer_new();

    /* The headers sluiced adds to every JSON answer, so that both answers
     * are the same bytes but for the Date. */
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Cache-Control", "no-store");
    if (b != NULL)
        evbuffer_add(b, r->body, r->len);
    evhttp_send_reply(req, 200, "OK", b);
    if (b != NULL)
        evbuffer_free(b);
}

/* Runs in the forked child until SIGTERM. */
static int ref_main(void *arg)
{
    struct ref_server *r = arg;
    struct event_base *base = event_base_new();
    struct evhttp *http = base ? evhttp_new(base) : NULL;

    if (http == NULL || evhttp_accept_socket_with_handle(http, r->fd) == NULL) {
        fprintf(stderr, "bench/catalogue: the reference server cannot "
                        "start\n");
        return -1;
    }
    evhttp_set_gencb(http, ref_on_request, r);
    event_base_dispatch(base);
    return 0;
}

/* ---- runs ----------------------------------------------------------- */

enum { K_LIMIT, K_OURS, K_COUNT };

struct series {
    const char *label;
    uint16_t port;
    pid_t pid;
    double rps[MAX_RUNS];
    double per_cpu[MAX_RUNS]; /* answers per CPU second of the server */
};

static int run_one(struct series *s, size_t run, const struct opts *o,
                   const char *tmp, const char *path, struct fault *f)
{
    struct bench_wrk w;
    double c0, c1;

    c0 = bench_proc_cpu(s->pid);
    if (bench_wrk_run(&w, tmp, "catalogue", s->port, path, NULL,
                      (unsigned)o->conns, (unsigned)o->secs, CPU_LOAD, f) < 0)
        return -1;
    c1 = bench_proc_cpu(s->pid);
    if (!bench_wrk_clean(&w))
        return fault_set(f, FAULT_IO, NULL, "%s: wrk saw errors: connect "
                         "%llu read %llu write %llu status %llu timeout %llu",
                         s->label, (unsigned long long)w.err_connect,
                         (unsigned long long)w.err_read,
                         (unsigned long long)w.err_write,
                         (unsigned long long)w.err_status,
                         (unsigned long long)w.err_timeout);
    s->rps[run] = (double)w.requests / w.secs;
    s->per_cpu[run] = c0 >= 0 && c1 > c0 ? (double)w.requests / (c1 - c0)
                                          : 0;
    printf("  run %zu %-22s %9.0f req/s  %6.0f B/answer  p50 %6.2f ms  "
           "p99 %6.2f ms  server cpu %3.0f%% (%.0f req/cpu-s)  wrk cpu "
           "%3.0f%%\n",
           run + 1, s->label, s->rps[run],
           (double)w.bytes / (double)w.requests, w.p50_ms, w.p99_ms,
           c0 >= 0 && c1 >= 0 ? 100 * (c1 - c0) / w.secs : -1.0,
           s->per_cpu[run], 100 * w.cpu_s / w.secs);
    fflush(stdout);
    return 0;
}

static const char about[] =
    "bench/catalogue: GET /v1/datasets/<id> from sluiced beside a bare "
    "evhttp server giving the same bytes, both under wrk";

int main(int argc, char **argv)
{
    struct opts o = {1, 3, 1, 10, 64, NULL, NULL};
    const struct bench_flag flags[] = {
        {"mib", BENCH_FLAG_UINT, &o.mib, 1, 1024,
         "size of the data-set's CSV in MiB"},
        {"runs", BENCH_FLAG_UINT, &o.runs, 1, MAX_RUNS,
         "runs; figures are their medians"},
        {"level", BENCH_FLAG_UINT, &o.level, 0, 9, "zlib level"},
        {"secs", BENCH_FLAG_UINT, &o.secs, 1, 600, "seconds of each wrk run"},
        {"conns", BENCH_FLAG_UINT, &o.conns, 1, 1000, "wrk connections"},
        {"dir", BENCH_FLAG_STR, &o.dir, 0, 0,
         "folder for the temporary files (default $TMPDIR or /tmp)"},
        {"sluiced", BENCH_FLAG_STR, &o.sluiced, 0, 0,
         "the gateway (default build/sluiced of this checkout)"},
    };
    char tmp[BENCH_PATH_MAX] = "", file[BENCH_PATH_MAX];
    char data_dir[BENCH_PATH_MAX], exe[BENCH_PATH_MAX], path[128];
    struct bench_sluiced gw;
    struct bench_dataset ds;
    struct bench_http_reply ans, ref;
    struct ref_server rs;
    struct series s[K_COUNT];
    struct ethkey owner;
    char owner_text[ETHADDR_TEXT_SIZE];
    double med[K_COUNT];
    uint64_t written = 0, size = 0;
    struct fault f;
    size_t r;
    int k, rc;
    int rv = 1;

    fault_clear(&f);
    memset(&gw, 0, sizeof gw);
    memset(&ds, 0, sizeof ds);
    memset(&ans, 0, sizeof ans);
    memset(&ref, 0, sizeof ref);
    memset(&owner, 0, sizeof owner);
    memset(s, 0, sizeof s);
    rs.fd = -1;
    rc = bench_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv,
                           about, &f);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "bench/catalogue: %s\n", f.detail);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(LOG_WARN);
    bench_signals_install();
    s[K_LIMIT].label = "limit bare evhttp";
    s[K_OURS].label = "ours sluiced";
    if (bench_cpu_count() < 2) {
        fault_set(&f, FAULT_INVALID, NULL, "this benchmark pins the server "
                                           "and wrk to CPUs 0 and 1; this "
                                           "machine has one");
        goto done;
    }
    if (bench_sluiced_find(exe, sizeof exe, o.sluiced, argv[0], &f) < 0 ||
        bench_tmpdir_make(tmp, sizeof tmp, o.dir, &f) < 0)
        goto done;
    printf("bench/catalogue: %llu MiB CSV data-set, wrk -t1 -c%llu -d%llus, "
           "%llu runs, in %s\n", (unsigned long long)o.mib,
           (unsigned long long)o.conns, (unsigned long long)o.secs,
           (unsigned long long)o.runs, tmp);
    printf("CPUs: both servers pinned to CPU %d, wrk (-t1) to CPU %d\n",
           CPU_SERVER, CPU_LOAD);
    bench_print_load("start");
    bench_warn_busy();
    snprintf(file, sizeof file, "%s/sensors.csv", tmp);
    snprintf(data_dir, sizeof data_dir, "%s/data", tmp);
    if (ethkey_generate(&owner, &f) < 0)
        goto done;
    ethaddr_to_text(owner_text, &owner.addr);
    if (bench_csv_generate(file, o.mib * BENCH_MIB, &written, &f) < 0 ||
        bench_file_warm(file, &size, &f) < 0 ||
        bench_dataset_publish(&ds, data_dir, file, SPLITTER_CSV, 0,
                              (int)o.level, owner_text,
                              "{\"kind\":\"metered\",\"unit_wei\":"
                              "\"1000000000\",\"per_query\":\"100\","
                              "\"per_chunk\":\"2\"}",
                              &f) < 0)
        goto done;
    snprintf(path, sizeof path, "/v1/datasets/%s", ds.id_text);

    if (bench_sluiced_start(&gw, exe, data_dir, tmp, CPU_SERVER, NULL, &f) <
            0 ||
        bench_http_do(&ans, gw.port, "GET", path, NULL, NULL, 0, -1, 0, 10,
                      &f) < 0)
        goto done;
    if (ans.status != 200) {
        fault_set(&f, FAULT_INTERNAL, NULL, "GET %s: %d %s", path,
                  ans.status, ans.body);
        goto done;
    }
    s[K_OURS].port = gw.port;
    s[K_OURS].pid = gw.pid;

    rs.body = ans.body;
    rs.len = ans.body_len;
    if (bench_port_listen(&rs.fd, &s[K_LIMIT].port, &f) < 0 ||
        bench_proc_fork(&s[K_LIMIT].pid, ref_main, &rs, CPU_SERVER, &f) < 0)
        goto done;
    close(rs.fd);
    rs.fd = -1;
    if (bench_port_wait(s[K_LIMIT].port, s[K_LIMIT].pid, 10, &f) < 0 ||
        bench_http_do(&ref, s[K_LIMIT].port, "GET", path, NULL, NULL, 0, -1,
                      0, 10, &f) < 0)
        goto done;
    if (ref.status != 200 || ref.body_len != ans.body_len) {
        fault_set(&f, FAULT_INTERNAL, NULL, "the reference server answered "
                  "%d with %zu bytes", ref.status, ref.body_len);
        goto done;
    }
    printf("data-set %s: %llu rows, %zu chunks; the answer is %zu bytes of "
           "JSON\n", ds.id_text, (unsigned long long)ds.rows, ds.nobjects,
           ans.body_len);
    fflush(stdout);

    for (r = 0; r < o.runs; r++) {
        for (k = 0; k < K_COUNT; k++) {
            int kind = (r % 2 == 0) ? k : K_COUNT - 1 - k;
            if (run_one(&s[kind], r, &o, tmp, path, &f) < 0)
                goto done;
        }
    }
    for (k = 0; k < K_COUNT; k++) {
        med[k] = bench_median(s[k].rps, o.runs);
        printf("%-22s %9.0f req/s (median)  %.0f per CPU second of the "
               "server\n", s[k].label, med[k],
               bench_median(s[k].per_cpu, o.runs));
    }
    bench_print_load("end");
    printf("goal: ours >= 0.7 of the limit\n");
    if (bench_proc_stop(s[K_LIMIT].pid, 5) < 0)
        fprintf(stderr, "bench/catalogue: the reference server was gone\n");
    s[K_LIMIT].pid = 0;
    if (bench_sluiced_stop(&gw) < 0) {
        fault_set(&f, FAULT_INTERNAL, NULL, "sluiced did not stop cleanly");
        goto done;
    }
    bench_result("catalogue", med[K_OURS], med[K_LIMIT], "req/s");
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "bench/catalogue: %s\n",
                bench_interrupted() ? "interrupted" : f.detail);
    if (rs.fd >= 0)
        close(rs.fd);
    bench_sluiced_stop(&gw);
    bench_proc_stop_all();
    bench_http_reply_clear(&ans);
    bench_http_reply_clear(&ref);
    bench_dataset_clear(&ds);
    ethkey_wipe(&owner);
    bench_tree_remove(tmp);
    return rv;
}
