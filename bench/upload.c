/*
 * bench/upload: a data-set's whole way in through the gateway, uploaded
 * in parts and published, with the gateway's peak memory; beside the
 * ingest of the same bytes straight into storage.
 *
 *   ours   build/sluiced on a fresh data dir (not pinned: publishing uses
 *          every core). The draft and its price are made first (not
 *          timed); then, on the clock, the CSV goes up as signed
 *          PUT /v1/datasets/<id>/parts/<n> of --part-mib MiB each, one
 *          after the other on fresh connections (the client sends each
 *          part with sendfile from the page cache, and signs it just
 *          before: the SHA-256 of every part is computed before the clock
 *          starts), then POST .../publish, then a signed GET every 20 ms
 *          until the state is "published". MB/s is CSV bytes over that
 *          whole time. The gateway's peak RSS is VmHWM from
 *          /proc/<pid>/status: after the last part, and at the end.
 *   limit  the same CSV ingested directly (store_open, store_create_dataset,
 *          ingest_run with one worker per CPU, store_close: what
 *          bench/ingest calls "ours threads=0"), in a forked child; the
 *          same chunk size (1 MiB), zlib level and preview.
 *
 * The gateway does more than the limit by design: the parts cross a
 * socket and are written and fsynced once as parts before the ingest
 * reads them back. Each figure is the median of --runs runs, the limit
 * and ours alternating.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_http.h"
#include "bench/bench_util.h"
#include "lib/log.h"
#include "storage/ingest.h"
#include "storage/store.h"

#define MAX_RUNS 99
#define MAX_PARTS 4096
#define POLL_MS 20
#define PUBLISH_TIMEOUT_S 3600.0
#define RSS_GOAL_MIB 128

static const char plan_json[] =
    "{\"kind\":\"metered\",\"unit_wei\":\"1000000000\",\"per_query\":\"3\","
    "\"per_chunk\":\"2\"}";

struct opts {
    uint64_t mib, part_mib, runs, level, threads;
    const char *dir, *sluiced;
};

/* ---- the limit ------------------------------------------------------ */

struct limit_job {
    const char *file;
    const char *data_dir;
    unsigned threads;
    int level;
};

struct limit_out {
    double secs;
    uint64_t input_bytes;
    uint64_t chunks;
    char err[FAULT_DETAIL_MAX + 32];
};

static int limit_child(void *arg, void *out, size_t outlen)
{
    const struct limit_job *j = arg;
    struct limit_out *o = out;
    struct store *st = NULL;
    struct store_dataset_spec spec;
    struct ingest_options opt;
    struct ingest_result res;
    struct fault f;
    uint8_t id[CATALOG_ID_LEN];
    off_t size;
    double t0;
    int fd = -1;
    int rv = -1;

    (void)outlen;
    fault_clear(&f);
    fd = open(j->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < 0 ||
        lseek(fd, 0, SEEK_SET) < 0) {
        snprintf(o->err, sizeof o->err, "cannot open %s: %s", j->file,
                 strerror(errno));
        goto done;
    }
    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_CSV;
    spec.name = "bench upload";
    spec.zlib_level = j->level;
    spec.preview_rows = 10;
    memset(&opt, 0, sizeof opt);
    opt.threads = j->threads;
    opt.total_bytes = (uint64_t)size;
    t0 = bench_now();
    if (store_open(&st, NULL, j->data_dir, &f) < 0 ||
        store_create_dataset(st, id, &spec, CATALOG_PUBLISHING, &f) < 0 ||
        ingest_run(st, &res, id, ingest_read_fd, &fd, &opt, &f) < 0) {
        snprintf(o->err, sizeof o->err, "%s (%s)", f.detail,
                 fault_kind_name(f.kind));
        goto done;
    }
    store_close(st);
    st = NULL;
    o->secs = bench_now() - t0;
    o->input_bytes = res.input_bytes;
    o->chunks = res.chunk_count;
    rv = 0;
done:
    store_close(st);
    if (fd >= 0)
        close(fd);
    return rv;
}

/* ---- ours ----------------------------------------------------------- */

struct upload {
    const char *exe;
    const char *tmp;
    const char *file;
    int fd;                       /* the CSV */
    uint64_t size;
    uint64_t part_bytes;
    size_t nparts;
    uint8_t (*sha)[32];           /* of each part */
    const struct ethkey *key;
    uint64_t seq;                 /* nonces */
    int level;
    unsigned threads;
};

struct upload_out {
    double upload_s, publish_s, total_s;
    long start_kib, upload_hwm_kib, hwm_kib;
    uint64_t chunks;
};

/* Send one signed request and check its status. */
static int signed_do(struct upload *u, struct bench_http_reply *r,
                     uint16_t port, const char *method, const char *target,
                     const uint8_t sha[32], const char *body,
                     size_t body_len, int body_fd, uint64_t body_off,
                     int want, const char *extra, struct fault *f)
{
    char sig[BENCH_SIGN_HEADERS_MAX], nonce[40], headers[512];

    snprintf(nonce, sizeof nonce, "bench-upload-%012llu",
             (unsigned long long)++u->seq);
    if (bench_sign_headers(sig, u->key, method, target, sha,
                           (int64_t)time(NULL), nonce, f) < 0)
        return -1;
    snprintf(headers, sizeof headers, "%s%s", sig, extra ? extra : "");
    if (bench_http_do(r, port, method, target, headers, body, body_len,
                      body_fd, body_off, 300, f) < 0)
        return -1;
    if (r->status != want) {
        fault_set(f, FAULT_INTERNAL, NULL, "%s %s: %d (want %d): %.300s",
                  method, target, r->status, want, r->body);
        bench_http_reply_clear(r);
        return -1;
    }
    return 0;
}

/* Read the string member key of the JSON object body into out. */
static int json_member(char *out, size_t cap, const char *body,
                       const char *key, struct fault *f)
{
    json_error_t jerr;
    json_t *j = json_loads(body, 0, &jerr);
    const char *v = j ? json_string_value(json_object_get(j, key)) : NULL;
    int rv = 0;

    if (v == NULL)
        rv = fault_set(f, FAULT_INTERNAL, NULL, "no \"%s\" in %.200s", key,
                       body);
    else
        snprintf(out, cap, "%s", v);
    json_decref(j);
    return rv;
}

static int ours_run(struct upload *u, struct upload_out *o,
                    const char *data_dir, struct fault *f)
{
    static const uint8_t empty_sha[32] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
        0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
        0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    char create[256], target[256], id[80], state[32], level[8], thr[8];
    char maxpart[32], reason[256];
    const char *extra[16];
    struct bench_sluiced gw;
    struct bench_http_reply r;
    uint8_t sha[32];
    double t0, t1, t2, deadline;
    size_t i, ne = 0;
    int rv = -1;

    memset(&gw, 0, sizeof gw);
    memset(&r, 0, sizeof r);
    memset(o, 0, sizeof *o);
    snprintf(level, sizeof level, "%d", u->level);
    snprintf(thr, sizeof thr, "%u", u->threads);
    snprintf(maxpart, sizeof maxpart, "%llu",
             (unsigned long long)(u->part_bytes > ((uint64_t)64 << 20)
                                      ? u->part_bytes
                                      : (uint64_t)64 << 20));
    extra[ne++] = "--zlib-level";
    extra[ne++] = level;
    extra[ne++] = "--ingest-threads";
    extra[ne++] = thr;
    extra[ne++] = "--max-part-bytes";
    extra[ne++] = maxpart;
    extra[ne] = NULL;
    if (bench_sluiced_start(&gw, u->exe, data_dir, u->tmp, BENCH_CPU_ANY,
                            extra, f) < 0)
        return -1;
    o->start_kib = bench_proc_status_kib(gw.pid, "VmHWM");

    /* The draft, with a price so that it may be published. */
    snprintf(create, sizeof create, "{\"name\":\"bench upload\",\"format\":"
             "\"csv\",\"price\":%s}", plan_json);
    if (bench_sha256(sha, create, strlen(create), f) < 0 ||
        signed_do(u, &r, gw.port, "POST", "/v1/datasets", sha, create,
                  strlen(create), -1, 0, 201,
                  "Content-Type: application/json\r\n", f) < 0 ||
        json_member(id, sizeof id, r.body, "id", f) < 0)
        goto done;
    bench_http_reply_clear(&r);

    t0 = bench_now();
    for (i = 0; i < u->nparts; i++) {
        uint64_t off = (uint64_t)i * u->part_bytes;
        uint64_t len = u->size - off < u->part_bytes ? u->size - off
                                                      : u->part_bytes;
        snprintf(target, sizeof target, "/v1/datasets/%s/parts/%zu", id,
                 i + 1);
        if (signed_do(u, &r, gw.port, "PUT", target, u->sha[i], NULL,
                      (size_t)len, u->fd, off, 200,
                      "Content-Type: application/octet-stream\r\n", f) < 0)
            goto done;
        bench_http_reply_clear(&r);
    }
    t1 = bench_now();
    o->upload_hwm_kib = bench_proc_status_kib(gw.pid, "VmHWM");
    snprintf(target, sizeof target, "/v1/datasets/%s/publish", id);
    if (signed_do(u, &r, gw.port, "POST", target, empty_sha, NULL, 0, -1, 0,
                  202, NULL, f) < 0)
        goto done;
    bench_http_reply_clear(&r);
    snprintf(target, sizeof target, "/v1/datasets/%s", id);
    deadline = bench_now() + PUBLISH_TIMEOUT_S;
    for (;;) {
        struct timespec ts = {0, POLL_MS * 1000000L};

        if (signed_do(u, &r, gw.port, "GET", target, empty_sha, NULL, 0, -1,
                      0, 200, NULL, f) < 0 ||
            json_member(state, sizeof state, r.body, "state", f) < 0)
            goto done;
        if (strcmp(state, "published") == 0)
            break;
        if (strcmp(state, "publishing") != 0) {
            if (json_member(reason, sizeof reason, r.body, "reason", f) < 0)
                snprintf(reason, sizeof reason, "?");
            fault_set(f, FAULT_INTERNAL, NULL, "publishing ended \"%s\": %s",
                      state, reason);
            goto done;
        }
        bench_http_reply_clear(&r);
        if (bench_interrupted() || bench_now() > deadline) {
            fault_set(f, FAULT_IO, NULL, bench_interrupted()
                                             ? "interrupted"
                                             : "publishing took too long");
            goto done;
        }
        nanosleep(&ts, NULL);
    }
    t2 = bench_now();
    o->hwm_kib = bench_proc_status_kib(gw.pid, "VmHWM");
    o->upload_s = t1 - t0;
    o->publish_s = t2 - t1;
    o->total_s = t2 - t0;
    if (bench_sluiced_stop(&gw) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "sluiced did not stop cleanly");
        goto done;
    }
    rv = 0;
done:
    bench_http_reply_clear(&r);
    bench_sluiced_stop(&gw);
    return rv;
}

/* ---- runs ----------------------------------------------------------- */

static const char about[] =
    "bench/upload: upload in signed parts + publish through sluiced, with "
    "its peak RSS, beside the direct ingest of the same CSV";

int main(int argc, char **argv)
{
    struct opts o = {1024, 64, 3, 1, 0, NULL, NULL};
    const struct bench_flag flags[] = {
        {"mib", BENCH_FLAG_UINT, &o.mib, 1, 65536, "size of the CSV in MiB"},
        {"part-mib", BENCH_FLAG_UINT, &o.part_mib, 1, 1024,
         "MiB per uploaded part"},
        {"runs", BENCH_FLAG_UINT, &o.runs, 1, MAX_RUNS,
         "runs; figures are their medians"},
        {"level", BENCH_FLAG_UINT, &o.level, 0, 9, "zlib level"},
        {"threads", BENCH_FLAG_UINT, &o.threads, 0, 64,
         "ingest workers, both sides (0: one per online CPU)"},
        {"dir", BENCH_FLAG_STR, &o.dir, 0, 0,
         "folder for the temporary files (default $TMPDIR or /tmp)"},
        {"sluiced", BENCH_FLAG_STR, &o.sluiced, 0, 0,
         "the gateway (default build/sluiced of this checkout)"},
    };
    char tmp[BENCH_PATH_MAX] = "", file[BENCH_PATH_MAX];
    char data_dir[BENCH_PATH_MAX], exe[BENCH_PATH_MAX];
    double ours[MAX_RUNS], limit[MAX_RUNS], up[MAX_RUNS], pub[MAX_RUNS];
    long hwm = 0, up_hwm = 0, start_kib = 0, limit_rss = 0;
    struct upload u;
    struct ethkey owner;
    uint64_t written = 0;
    uint8_t *buf = NULL;
    struct fault f;
    size_t r, i;
    int rc;
    int rv = 1;

    fault_clear(&f);
    memset(&u, 0, sizeof u);
    memset(&owner, 0, sizeof owner);
    u.fd = -1;
    rc = bench_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv,
                           about, &f);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "bench/upload: %s\n", f.detail);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(LOG_WARN);
    bench_signals_install();
    if (bench_sluiced_find(exe, sizeof exe, o.sluiced, argv[0], &f) < 0 ||
        bench_tmpdir_make(tmp, sizeof tmp, o.dir, &f) < 0)
        goto done;
    printf("bench/upload: %llu MiB CSV in %llu MiB parts, zlib level %llu, "
           "%llu runs, in %s\n", (unsigned long long)o.mib,
           (unsigned long long)o.part_mib, (unsigned long long)o.level,
           (unsigned long long)o.runs, tmp);
    printf("CPUs: nothing pinned: the upload client is this process (one "
           "thread, sendfile), the gateway and the limit use every core "
           "(%d) to publish\n", bench_cpu_count());
    bench_print_load("start");
    bench_warn_busy();
    if (bench_pathf(file, sizeof file, &f, "%s/sensors.csv", tmp) < 0 ||
        bench_pathf(data_dir, sizeof data_dir, &f, "%s/data", tmp) < 0 ||
        ethkey_generate(&owner, &f) < 0 ||
        bench_csv_generate(file, o.mib * BENCH_MIB, &written, &f) < 0 ||
        bench_file_warm(file, &u.size, &f) < 0)
        goto done;
    u.exe = exe;
    u.tmp = tmp;
    u.file = file;
    u.key = &owner;
    u.level = (int)o.level;
    u.threads = (unsigned)o.threads;
    u.part_bytes = o.part_mib * BENCH_MIB;
    u.nparts = (size_t)((u.size + u.part_bytes - 1) / u.part_bytes);
    if (u.nparts == 0)
        u.nparts = 1;
    if (u.nparts > MAX_PARTS) {
        fault_set(&f, FAULT_INVALID, "part-mib", "%zu parts is too many",
                  u.nparts);
        goto done;
    }
    u.fd = open(file, O_RDONLY | O_CLOEXEC);
    u.sha = calloc(u.nparts, sizeof *u.sha);
    buf = malloc(BENCH_MIB);
    if (u.fd < 0 || u.sha == NULL || buf == NULL) {
        fault_set(&f, FAULT_IO, NULL, "cannot read %s", file);
        goto done;
    }
    /* The client's hashing is not the gateway's work: done before the
     * clock (signing each part on the clock costs 50 us). */
    for (i = 0; i < u.nparts; i++) {
        uint64_t off = (uint64_t)i * u.part_bytes;
        uint64_t len = u.size - off < u.part_bytes ? u.size - off
                                                    : u.part_bytes;
        if (bench_sha256_fd(u.sha[i], u.fd, off, len, buf, BENCH_MIB, &f) <
            0)
            goto done;
    }
    printf("input %llu bytes (%.1f MB) in %zu parts\n",
           (unsigned long long)u.size, (double)u.size / BENCH_MB, u.nparts);
    fflush(stdout);

    for (r = 0; r < o.runs; r++) {
        struct limit_job j = {file, data_dir, (unsigned)o.threads,
                              (int)o.level};
        struct limit_out lo;
        struct upload_out uo;
        long rss = 0;
        int step;

        for (step = 0; step < 2; step++) {
            int do_limit = (r % 2 == 0) == (step == 0);
            if (do_limit) {
                rc = bench_child_run(limit_child, &j, &lo, sizeof lo, &rss,
                                     &f);
                bench_tree_remove(data_dir);
                if (rc < 0) {
                    if (lo.err[0] != '\0')
                        fault_set(&f, FAULT_INTERNAL, NULL, "limit: %s",
                                  lo.err);
                    goto done;
                }
                limit[r] = bench_mbps(lo.input_bytes, lo.secs);
                if (rss > limit_rss)
                    limit_rss = rss;
                printf("  run %zu limit ingest          %7.1f MB/s  %6.2f s  "
                       "peak RSS %6.1f MiB  %llu chunks\n",
                       r + 1, limit[r], lo.secs, (double)rss / 1024,
                       (unsigned long long)lo.chunks);
            } else {
                rc = ours_run(&u, &uo, data_dir, &f);
                bench_tree_remove(data_dir);
                if (rc < 0)
                    goto done;
                ours[r] = bench_mbps(u.size, uo.total_s);
                up[r] = bench_mbps(u.size, uo.upload_s);
                pub[r] = uo.publish_s;
                if (uo.hwm_kib > hwm)
                    hwm = uo.hwm_kib;
                if (uo.upload_hwm_kib > up_hwm)
                    up_hwm = uo.upload_hwm_kib;
                start_kib = uo.start_kib;
                printf("  run %zu ours upload+publish   %7.1f MB/s  %6.2f s  "
                       "(parts %.2f s = %.1f MB/s, publish %.2f s)  peak "
                       "RSS %6.1f MiB (after the parts %.1f)\n",
                       r + 1, ours[r], uo.total_s, uo.upload_s, up[r],
                       uo.publish_s, (double)uo.hwm_kib / 1024,
                       (double)uo.upload_hwm_kib / 1024);
            }
            fflush(stdout);
        }
    }
    printf("limit ingest          %7.1f MB/s (median)  peak RSS %.1f MiB\n",
           bench_median(limit, o.runs), (double)limit_rss / 1024);
    printf("ours upload+publish   %7.1f MB/s (median)  parts alone %.1f "
           "MB/s, publish %.2f s (medians)\n", bench_median(ours, o.runs),
           bench_median(up, o.runs), bench_median(pub, o.runs));
    bench_print_load("end");
    printf("peak RSS of sluiced: %.1f MiB (%.1f after the parts; %.1f at "
           "start); goal under %d MiB: %s\n", (double)hwm / 1024,
           (double)up_hwm / 1024, (double)start_kib / 1024, RSS_GOAL_MIB,
           hwm < (long)RSS_GOAL_MIB * 1024 ? "met" : "missed");
    bench_result("upload", bench_median(ours, o.runs),
                 bench_median(limit, o.runs), "MB/s");
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "bench/upload: %s\n",
                bench_interrupted() ? "interrupted" : f.detail);
    bench_proc_stop_all();
    if (u.fd >= 0)
        close(u.fd);
    free(u.sha);
    free(buf);
    ethkey_wipe(&owner);
    bench_tree_remove(tmp);
    return rv;
}
