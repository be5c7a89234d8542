/*
 * bench/objects: how fast the gateway serves chunk objects
 * (GET /v1/objects/<id>), beside nginx serving the same files by path.
 *
 *   ours   build/sluiced over a data dir holding one published blob
 *          data-set of --mib MiB of incompressible bytes in 1 MiB chunks,
 *          so that there are --mib objects of about 1 MiB; each request
 *          checks that the object belongs to a published data-set (one
 *          SQLite query), opens it and hands it to libevent, which sends it
 *          with sendfile (EVBUFFER_FLAG_DRAINS_TO_FD).
 *   limit  Debian's nginx, started here with a generated minimal config
 *          (sendfile on, access_log off, daemon off, one process:
 *          master_process off, like sluiced's one event loop; keep-alive
 *          without a request cap) whose root is the same objects folder,
 *          serving the same files as /<2 hex>/<id>.
 *
 * Both are loaded by `wrk -t1 -c64 -d10s` with a Lua script that rotates
 * over the object URLs, pinned to CPU 1; the server is pinned to CPU 0.
 * The objects are read once before anything is timed, so both serve from
 * the page cache. MB/s is 10^6 bytes read by wrk per second (answers'
 * heads included: about 300 bytes per MiB).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench_http.h"
#include "bench/bench_util.h"
#include "lib/log.h"

#define MAX_RUNS 99
#define CPU_SERVER 0
#define CPU_LOAD 1

struct opts {
    uint64_t mib, runs, level, secs, conns;
    const char *dir, *sluiced, *nginx;
};

enum { K_LIMIT, K_OURS, K_COUNT };

struct series {
    const char *label;
    uint16_t port;
    pid_t pid;
    char *lua;
    double mbps[MAX_RUNS];
    double rps[MAX_RUNS];
    double per_cpu[MAX_RUNS]; /* MB per CPU second of the server */
};

/* A Lua request() that sends GET prefix<id> for each object in turn. */
static char *lua_rotation(const struct bench_dataset *ds, int by_path)
{
    size_t cap = ds->nobjects * 120 + 512, n = 0, i;
    char *s = malloc(cap);

    if (s == NULL)
        return NULL;
    n += (size_t)snprintf(s + n, cap - n, "local paths = {\n");
    for (i = 0; i < ds->nobjects; i++) {
        if (by_path)
            n += (size_t)snprintf(s + n, cap - n, "  \"/%.2s/%s\",\n",
                                  ds->objects[i], ds->objects[i]);
        else
            n += (size_t)snprintf(s + n, cap - n,
                                  "  \"/v1/objects/%s\",\n", ds->objects[i]);
    }
    snprintf(s + n, cap - n,
             "}\n"
             "local i = 0\n"
             "request = function()\n"
             "  i = i %% #paths + 1\n"
             "  return wrk.format(\"GET\", paths[i])\n"
             "end\n");
    return s;
}

static int nginx_config(const char *conf, const char *prefix,
                        const char *root, uint16_t port, struct fault *f)
{
    FILE *fp = fopen(conf, "w");

    if (fp == NULL)
        return fault_set(f, FAULT_IO, NULL, "cannot create %s: %s", conf,
                         strerror(errno));
    fprintf(fp,
            "# Written by bench/objects for one run; removed with it.\n"
            "daemon off;\n"
            "master_process off;\n"
            "worker_processes 1;\n"
            "pid %s/nginx.pid;\n"
            "error_log %s/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "  sendfile on;\n"
            "  access_log off;\n"
            "  keepalive_requests 1000000000;\n"
            "  keepalive_timeout 75s;\n"
            "  default_type application/octet-stream;\n"
            "  client_body_temp_path %s/body;\n"
            "  proxy_temp_path %s/proxy;\n"
            "  fastcgi_temp_path %s/fastcgi;\n"
            "  uwsgi_temp_path %s/uwsgi;\n"
            "  scgi_temp_path %s/scgi;\n"
            "  server {\n"
            "    listen 127.0.0.1:%u;\n"
            "    root %s;\n"
            "    location / { }\n"
            "  }\n"
            "}\n",
            prefix, prefix, prefix, prefix, prefix, prefix, prefix,
            (unsigned)port, root);
    if (fclose(fp) != 0)
        return fault_set(f, FAULT_IO, NULL, "cannot write %s", conf);
    return 0;
}

/* Start nginx on a free port; a port taken meanwhile is retried. */
static int nginx_start(struct series *s, const char *nginx, const char *tmp,
                       const char *root, struct fault *f)
{
    char prefix[BENCH_PATH_MAX], conf[BENCH_PATH_MAX], log[BENCH_PATH_MAX];
    const char *argv[10];
    int attempt;

    if (bench_pathf(prefix, sizeof prefix, f, "%s/nginx", tmp) < 0 ||
        bench_pathf(conf, sizeof conf, f, "%s/nginx.conf", prefix) < 0 ||
        bench_pathf(log, sizeof log, f, "%s/stderr.log", prefix) < 0)
        return -1;
    if (mkdir(prefix, 0700) < 0 && errno != EEXIST)
        return fault_set(f, FAULT_IO, NULL, "mkdir %s: %s", prefix,
                         strerror(errno));
    argv[0] = nginx;
    argv[1] = "-p";
    argv[2] = prefix;
    argv[3] = "-c";
    argv[4] = conf;
    argv[5] = "-e";
    argv[6] = "stderr";
    argv[7] = NULL;
    for (attempt = 0; attempt < 3; attempt++) {
        fault_clear(f);
        if (bench_port_free(&s->port, f) < 0 ||
            nginx_config(conf, prefix, root, s->port, f) < 0 ||
            bench_proc_spawn(&s->pid, argv, CPU_SERVER, log, log, f) < 0)
            return -1;
        if (bench_port_wait(s->port, s->pid, 10, f) == 0)
            return 0;
        bench_proc_stop(s->pid, 2);
        s->pid = 0;
        if (bench_interrupted())
            return -1;
    }
    fprintf(stderr, "bench/objects: see %s\n", log);
    return -1;
}

static int run_one(struct series *s, size_t run, const struct opts *o,
                   const char *tmp, struct fault *f)
{
    struct bench_wrk w;
    double c0, c1;

    c0 = bench_proc_cpu(s->pid);
    if (bench_wrk_run(&w, tmp, run % 2 ? "objects-b" : "objects-a", s->port,
                      "/", s->lua, (unsigned)o->conns, (unsigned)o->secs,
                      CPU_LOAD, f) < 0)
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
    s->mbps[run] = bench_mbps(w.bytes, w.secs);
    s->rps[run] = (double)w.requests / w.secs;
    s->per_cpu[run] = c0 >= 0 && c1 > c0 ? (double)w.bytes / BENCH_MB /
                                               (c1 - c0)
                                         : 0;
    printf("  run %zu %-16s %8.1f MB/s  %6.0f req/s  p50 %6.2f ms  p99 "
           "%6.2f ms  server cpu %3.0f%% (%.0f MB/cpu-s)  wrk cpu %3.0f%%\n",
           run + 1, s->label, s->mbps[run], s->rps[run], w.p50_ms, w.p99_ms,
           c0 >= 0 && c1 >= 0 ? 100 * (c1 - c0) / w.secs : -1.0,
           s->per_cpu[run], 100 * w.cpu_s / w.secs);
    fflush(stdout);
    return 0;
}

/* Check that both servers give the same bytes for the first object. */
static int check_same(const struct series *s, const struct bench_dataset *ds,
                      struct fault *f)
{
    struct bench_http_reply a, b;
    char path[160];
    int rv = -1;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    snprintf(path, sizeof path, "/v1/objects/%s", ds->objects[0]);
    if (bench_http_do(&a, s[K_OURS].port, "GET", path, NULL, NULL, 0, -1, 0,
                      10, f) < 0)
        goto done;
    snprintf(path, sizeof path, "/%.2s/%s", ds->objects[0], ds->objects[0]);
    if (bench_http_do(&b, s[K_LIMIT].port, "GET", path, NULL, NULL, 0, -1, 0,
                      10, f) < 0)
        goto done;
    if (a.status != 200 || b.status != 200 || a.body_len != b.body_len ||
        a.body_len != ds->object_bytes[0] ||
        memcmp(a.body, b.body, a.body_len) != 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "object %s: sluiced answered %d "
                  "with %zu bytes, nginx %d with %zu bytes (want %llu, the "
                  "same)", ds->objects[0], a.status, a.body_len, b.status,
                  b.body_len, (unsigned long long)ds->object_bytes[0]);
        goto done;
    }
    rv = 0;
done:
    bench_http_reply_clear(&a);
    bench_http_reply_clear(&b);
    return rv;
}

static const char about[] =
    "bench/objects: GET /v1/objects/<id> from sluiced beside nginx serving "
    "the same files, both under wrk";

int main(int argc, char **argv)
{
    struct opts o = {64, 3, 1, 10, 64, NULL, NULL, "nginx"};
    const struct bench_flag flags[] = {
        {"mib", BENCH_FLAG_UINT, &o.mib, 1, 4096,
         "MiB of blob data: one object per MiB"},
        {"runs", BENCH_FLAG_UINT, &o.runs, 1, MAX_RUNS,
         "runs; figures are their medians"},
        {"level", BENCH_FLAG_UINT, &o.level, 0, 9,
         "zlib level (the data does not compress either way)"},
        {"secs", BENCH_FLAG_UINT, &o.secs, 1, 600, "seconds of each wrk run"},
        {"conns", BENCH_FLAG_UINT, &o.conns, 1, 1000, "wrk connections"},
        {"dir", BENCH_FLAG_STR, &o.dir, 0, 0,
         "folder for the temporary files (default $TMPDIR or /tmp)"},
        {"sluiced", BENCH_FLAG_STR, &o.sluiced, 0, 0,
         "the gateway (default build/sluiced of this checkout)"},
        {"nginx", BENCH_FLAG_STR, &o.nginx, 0, 0, "nginx to run"},
    };
    char tmp[BENCH_PATH_MAX] = "", file[BENCH_PATH_MAX];
    char data_dir[BENCH_PATH_MAX], exe[BENCH_PATH_MAX];
    char root[BENCH_PATH_MAX], obj[BENCH_PATH_MAX];
    struct bench_sluiced gw;
    struct bench_dataset ds;
    struct series s[K_COUNT];
    double med[K_COUNT], rmed[K_COUNT];
    uint64_t total = 0, sz;
    struct fault f;
    size_t r, i;
    int k, rc;
    int rv = 1;

    fault_clear(&f);
    memset(&gw, 0, sizeof gw);
    memset(&ds, 0, sizeof ds);
    memset(s, 0, sizeof s);
    rc = bench_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv,
                           about, &f);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "bench/objects: %s\n", f.detail);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(LOG_WARN);
    bench_signals_install();
    s[K_LIMIT].label = "limit nginx";
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
    printf("bench/objects: %llu objects of 1 MiB, wrk -t1 -c%llu -d%llus, "
           "%llu runs, in %s\n", (unsigned long long)o.mib,
           (unsigned long long)o.conns, (unsigned long long)o.secs,
           (unsigned long long)o.runs, tmp);
    printf("CPUs: both servers pinned to CPU %d, wrk (-t1) to CPU %d\n",
           CPU_SERVER, CPU_LOAD);
    bench_print_load("start");
    bench_warn_busy();
    if (bench_pathf(file, sizeof file, &f, "%s/blob.bin", tmp) < 0 ||
        bench_pathf(data_dir, sizeof data_dir, &f, "%s/data", tmp) < 0 ||
        bench_pathf(root, sizeof root, &f, "%s/objects", data_dir) < 0)
        goto done;
    if (bench_blob_generate(file, o.mib * BENCH_MIB, &f) < 0 ||
        bench_dataset_publish(&ds, data_dir, file, SPLITTER_BLOB, BENCH_MIB,
                              (int)o.level, NULL, NULL, &f) < 0)
        goto done;
    unlink(file);
    if (ds.nobjects == 0) {
        fault_set(&f, FAULT_INTERNAL, NULL, "the data-set has no objects");
        goto done;
    }
    for (i = 0; i < ds.nobjects; i++) {
        if (bench_pathf(obj, sizeof obj, &f, "%s/%.2s/%s", root,
                        ds.objects[i], ds.objects[i]) < 0 ||
            bench_file_warm(obj, &sz, &f) < 0)
            goto done;
        total += sz;
    }
    printf("%zu objects, %.1f MB in all (%.0f bytes each on average)\n",
           ds.nobjects, (double)total / BENCH_MB,
           (double)total / (double)ds.nobjects);
    fflush(stdout);
    s[K_OURS].lua = lua_rotation(&ds, 0);
    s[K_LIMIT].lua = lua_rotation(&ds, 1);
    if (s[K_OURS].lua == NULL || s[K_LIMIT].lua == NULL) {
        fault_set(&f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (bench_sluiced_start(&gw, exe, data_dir, tmp, CPU_SERVER, NULL, &f) <
            0 ||
        nginx_start(&s[K_LIMIT], o.nginx, tmp, root, &f) < 0)
        goto done;
    s[K_OURS].port = gw.port;
    s[K_OURS].pid = gw.pid;
    if (check_same(s, &ds, &f) < 0)
        goto done;

    for (r = 0; r < o.runs; r++) {
        for (k = 0; k < K_COUNT; k++) {
            int kind = (r % 2 == 0) ? k : K_COUNT - 1 - k;
            if (run_one(&s[kind], r, &o, tmp, &f) < 0)
                goto done;
        }
    }
    for (k = 0; k < K_COUNT; k++) {
        med[k] = bench_median(s[k].mbps, o.runs);
        rmed[k] = bench_median(s[k].rps, o.runs);
        printf("%-16s %8.1f MB/s (median)  %6.0f req/s  %.0f MB per CPU "
               "second of the server\n", s[k].label, med[k], rmed[k],
               bench_median(s[k].per_cpu, o.runs));
    }
    bench_print_load("end");
    printf("goal: ours >= 0.9 of the limit\n");
    if (bench_proc_stop(s[K_LIMIT].pid, 5) < 0)
        fprintf(stderr, "bench/objects: nginx was gone\n");
    s[K_LIMIT].pid = 0;
    if (bench_sluiced_stop(&gw) < 0) {
        fault_set(&f, FAULT_INTERNAL, NULL, "sluiced did not stop cleanly");
        goto done;
    }
    bench_result("objects", med[K_OURS], med[K_LIMIT], "MB/s");
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "bench/objects: %s\n",
                bench_interrupted() ? "interrupted" : f.detail);
    bench_sluiced_stop(&gw);
    bench_proc_stop_all();
    for (k = 0; k < K_COUNT; k++)
        free(s[k].lua);
    bench_dataset_clear(&ds);
    bench_tree_remove(tmp);
    return rv;
}
