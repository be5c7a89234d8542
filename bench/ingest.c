/*
 * bench/ingest: how fast a real ingest turns a CSV into a published
 * data-set, beside the limit of the same bytes through zlib and AES-GCM
 * alone.
 *
 *   limit  the file in 1 MiB pieces, each deflated at --level (one stream
 *          per piece) and sealed with AES-256-GCM (lib/aead.h): one thread,
 *          no parsing, no hashing, no disk (the read of each piece is not
 *          timed).
 *   ours   store_open on a fresh data dir, store_create_dataset
 *          (publishing), ingest_run_fd (the file mapped, as sluiced ingest
 *          does) and store_close,
 *          all timed, in a forked child so that its peak RSS is its own:
 *          once with threads = 1 (one core) and once with --threads
 *          (0: one worker per online CPU).
 *
 * The limit and the threads=1 run are pinned to one CPU (pin_here).
 * Each figure is the median of --runs runs; the runs interleave limit, one
 * core and all cores so that drift hits all three alike. Rates are 10^6
 * input bytes per second.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "bench/bench_util.h"
#include "lib/aead.h"
#include "lib/log.h"
#include "storage/ingest.h"
#include "storage/store.h"

#define PIECE ((size_t)1 << 20)
#define MAX_RUNS 99
/* The AAD of a chunk object: its header and the data-set id. */
#define LIMIT_AAD_LEN 68

struct opts {
    uint64_t mib, threads, level, runs;
    const char *dir;
};

/* What one measured run reports back from its child. */
struct outcome {
    double secs;        /* wall time of the timed part */
    double cpu_secs;    /* CPU time of the timed part, all threads */
    uint64_t input_bytes;
    uint64_t plain_bytes;
    uint64_t stored_bytes;
    uint64_t chunks;
    uint64_t rows;
    uint64_t progress_calls;
    uint64_t progress_done;
    long start_rss_kib; /* at the child's start: what fork handed it */
    char err[FAULT_DETAIL_MAX + 32];
};

struct job {
    const char *file;
    const char *data_dir; /* ours only */
    unsigned threads;
    int level;
};

/* One core means one core: the limit and the threads=1 run are pinned to
 * the CPU they start on, with every thread they start (ingest's flusher
 * too, whose fsyncs then share that core). A failure leaves the child
 * unpinned; the CPU/wall % shows it. */
static void pin_here(void)
{
    cpu_set_t set;
    int cpu = sched_getcpu();

    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof set, &set);
}

/* ---- limit ---------------------------------------------------------- */

static int limit_child(void *arg, void *out, size_t outlen)
{
    const struct job *j = arg;
    struct outcome *o = out;
    uint8_t key[AEAD_KEY_LEN], nonce[AEAD_NONCE_LEN], aad[LIMIT_AAD_LEN];
    uint8_t *in = NULL, *sealed = NULL;
    size_t cap;
    uint64_t piece = 0;
    struct fault f;
    z_stream zs;
    int zinit = 0;
    int fd = -1;
    int rv = -1;

    (void)outlen;
    fault_clear(&f);
    pin_here();
    memset(key, 0x42, sizeof key);
    memset(nonce, 0, sizeof nonce);
    memset(aad, 0x17, sizeof aad);
    memset(&zs, 0, sizeof zs);
    cap = deflateBound(&zs, PIECE) + AEAD_TAG_LEN;
    in = malloc(PIECE);
    sealed = malloc(cap);
    if (in == NULL || sealed == NULL) {
        snprintf(o->err, sizeof o->err, "out of memory");
        goto done;
    }
    if (deflateInit(&zs, j->level) != Z_OK) {
        snprintf(o->err, sizeof o->err, "deflateInit failed");
        goto done;
    }
    zinit = 1;
    fd = open(j->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(o->err, sizeof o->err, "cannot open %s: %s", j->file,
                 strerror(errno));
        goto done;
    }
    for (;;) {
        size_t got = 0, clen;
        double t0, c0;

        /* Fill a whole piece (not timed: the limit does no I/O). */
        while (got < PIECE) {
            ssize_t r = read(fd, in + got, PIECE - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                snprintf(o->err, sizeof o->err, "read: %s", strerror(errno));
                goto done;
            }
            if (r == 0)
                break;
            got += (size_t)r;
        }
        if (got == 0)
            break;
        t0 = bench_now();
        c0 = bench_cpu_now();
        if (deflateReset(&zs) != Z_OK) {
            snprintf(o->err, sizeof o->err, "deflateReset failed");
            goto done;
        }
        zs.next_in = in;
        zs.avail_in = (uInt)got;
        zs.next_out = sealed;
        zs.avail_out = (uInt)(cap - AEAD_TAG_LEN);
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
            snprintf(o->err, sizeof o->err, "deflate did not finish");
            goto done;
        }
        clen = (size_t)zs.total_out;
        memcpy(nonce, &piece, sizeof piece);
        if (aead_seal(sealed, key, nonce, aad, sizeof aad, sealed, clen, &f) <
            0) {
            snprintf(o->err, sizeof o->err, "%s", f.detail);
            goto done;
        }
        o->secs += bench_now() - t0;
        o->cpu_secs += bench_cpu_now() - c0;
        o->input_bytes += got;
        o->plain_bytes += got;
        o->stored_bytes += clen + AEAD_TAG_LEN;
        o->chunks++;
        piece++;
    }
    rv = 0;
done:
    if (zinit)
        deflateEnd(&zs);
    if (fd >= 0)
        close(fd);
    free(in);
    free(sealed);
    return rv;
}

/* ---- ours ----------------------------------------------------------- */

static void ours_progress(void *arg, uint64_t done, uint64_t total)
{
    struct outcome *o = arg;

    (void)total;
    o->progress_calls++;
    o->progress_done = done;
}

static int ours_child(void *arg, void *out, size_t outlen)
{
    const struct job *j = arg;
    struct outcome *o = out;
    struct store *st = NULL;
    struct store_dataset_spec spec;
    struct ingest_options opt;
    struct ingest_result res;
    struct rusage ru;
    struct fault f;
    uint8_t id[CATALOG_ID_LEN];
    off_t size;
    double t0, c0;
    int fd = -1;
    int rv = -1;

    (void)outlen;
    fault_clear(&f);
    if (j->threads == 1)
        pin_here();
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        o->start_rss_kib = ru.ru_maxrss;
    fd = open(j->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < 0 ||
        lseek(fd, 0, SEEK_SET) < 0) {
        snprintf(o->err, sizeof o->err, "cannot open %s: %s", j->file,
                 strerror(errno));
        goto done;
    }
    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_CSV;
    spec.name = "bench";
    spec.zlib_level = j->level;
    spec.preview_rows = 10;
    memset(&opt, 0, sizeof opt);
    opt.threads = j->threads;
    opt.total_bytes = (uint64_t)size;
    opt.progress = ours_progress;
    opt.progress_arg = o;

    /* The store exists before the clock starts, as it does on a running
     * gateway: the clock covers one data-set's ingest, from its record to
     * its publication. */
    if (store_open(&st, NULL, j->data_dir, &f) < 0) {
        snprintf(o->err, sizeof o->err, "%s (%s)", f.detail,
                 fault_kind_name(f.kind));
        goto done;
    }
    t0 = bench_now();
    c0 = bench_cpu_now();
    if (store_create_dataset(st, id, &spec, CATALOG_PUBLISHING, &f) < 0 ||
        ingest_run_fd(st, &res, id, fd, &opt, &f) < 0) {
        snprintf(o->err, sizeof o->err, "%s (%s)", f.detail,
                 fault_kind_name(f.kind));
        goto done;
    }
    store_close(st);
    st = NULL;
    o->secs = bench_now() - t0;
    o->cpu_secs = bench_cpu_now() - c0;
    o->input_bytes = res.input_bytes;
    o->plain_bytes = res.plain_bytes;
    o->stored_bytes = res.stored_bytes;
    o->chunks = res.chunk_count;
    o->rows = res.rows;
    if (res.input_bytes != (uint64_t)size) {
        snprintf(o->err, sizeof o->err, "the ingest consumed %llu bytes of "
                 "%lld", (unsigned long long)res.input_bytes,
                 (long long)size);
        goto done;
    }
    rv = 0;
done:
    store_close(st);
    if (fd >= 0)
        close(fd);
    return rv;
}

/* ---- the runs ------------------------------------------------------- */

enum { K_LIMIT, K_ONE, K_ALL, K_COUNT };

struct series {
    const char *label;
    double mbps[MAX_RUNS];
    long rss_kib[MAX_RUNS];
    struct outcome last;
};

static long max_long(const long *v, size_t n)
{
    long m = 0;
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

static int run_one(struct series *s, size_t run, int kind, struct job *j,
                   const char *tmp, struct fault *f)
{
    char data_dir[BENCH_PATH_MAX];
    struct outcome o;
    long rss = 0;
    int rc;

    /* Each run has its own data dir, and all are removed at the end, not
     * between runs: ext4 without a journal skips inodes freed in the last
     * half minute or so when it allocates one, scanning past each, so a
     * run right after a removal of the last run's few hundred files pays
     * for it in every object it creates. A gateway that ingests does not
     * follow a mass removal. */
    snprintf(data_dir, sizeof data_dir, "%s/data-%zu-%d", tmp, run, kind);
    j->data_dir = data_dir;
    rc = bench_child_run(kind == K_LIMIT ? limit_child : ours_child, j, &o,
                         sizeof o, &rss, f);
    if (rc < 0) {
        if (o.err[0] != '\0')
            fault_set(f, FAULT_INTERNAL, NULL, "%s: %s", s->label, o.err);
        return -1;
    }
    s->mbps[run] = bench_mbps(o.input_bytes, o.secs);
    s->rss_kib[run] = rss;
    s->last = o;
    printf("  run %zu %-22s %9.1f MB/s  %6.2f s  cpu %6.2f s (%3.0f%%)  "
           "peak RSS %6.1f MiB\n", run + 1, s->label, s->mbps[run], o.secs,
           o.cpu_secs, o.secs > 0 ? 100 * o.cpu_secs / o.secs : 0.0,
           (double)rss / 1024);
    fflush(stdout);
    return 0;
}

static const char about[] =
    "bench/ingest: a real CSV ingest (one core, all cores) beside zlib + "
    "AES-256-GCM alone";

int main(int argc, char **argv)
{
    struct opts o = {256, 0, 1, 3, NULL};
    const struct bench_flag flags[] = {
        {"mib", BENCH_FLAG_UINT, &o.mib, 1, 65536, "size of the CSV in MiB"},
        {"threads", BENCH_FLAG_UINT, &o.threads, 0, 256,
         "workers of the all-cores run (0: one per online CPU)"},
        {"level", BENCH_FLAG_UINT, &o.level, 0, 9, "zlib level"},
        {"runs", BENCH_FLAG_UINT, &o.runs, 1, MAX_RUNS,
         "runs; figures are their medians"},
        {"dir", BENCH_FLAG_STR, &o.dir, 0, 0,
         "folder for the temporary files (default $TMPDIR or /tmp)"},
    };
    struct series s[K_COUNT];
    char tmp[BENCH_PATH_MAX] = "", file[BENCH_PATH_MAX];
    char label_all[64];
    double med[K_COUNT];
    uint64_t written = 0, size = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct job j;
    struct fault f;
    size_t r;
    int k, rc;
    int rv = 1;

    fault_clear(&f);
    rc = bench_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv,
                           about, &f);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "bench/ingest: %s\n", f.detail);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(LOG_WARN);
    bench_signals_install();
    memset(s, 0, sizeof s);
    s[K_LIMIT].label = "limit zlib+AES-GCM";
    s[K_ONE].label = "ours threads=1";
    if (o.threads == 0)
        snprintf(label_all, sizeof label_all, "ours threads=0 (%ld)", ncpu);
    else
        snprintf(label_all, sizeof label_all, "ours threads=%llu",
                 (unsigned long long)o.threads);
    s[K_ALL].label = label_all;

    if (bench_tmpdir_make(tmp, sizeof tmp, o.dir, &f) < 0)
        goto done;
    snprintf(file, sizeof file, "%s/sensors.csv", tmp);
    printf("bench/ingest: %llu MiB CSV, zlib level %llu, %llu runs, %ld "
           "online CPUs, in %s\n", (unsigned long long)o.mib,
           (unsigned long long)o.level, (unsigned long long)o.runs, ncpu, tmp);
    fflush(stdout);
    bench_print_load("start");
    if (bench_csv_generate(file, o.mib * BENCH_MIB, &written, &f) < 0 ||
        bench_file_warm(file, &size, &f) < 0)
        goto done;

    memset(&j, 0, sizeof j);
    j.file = file;
    j.level = (int)o.level;
    for (r = 0; r < o.runs; r++) {
        for (k = 0; k < K_COUNT; k++) {
            j.threads = k == K_ONE ? 1 : (unsigned)o.threads;
            if (run_one(&s[k], r, k, &j, tmp, &f) < 0)
                goto done;
        }
    }

    for (k = 0; k < K_COUNT; k++) {
        const struct outcome *l = &s[k].last;
        med[k] = bench_median(s[k].mbps, o.runs);
        printf("%-22s %9.1f MB/s (median)  ratio %.2fx  %llu chunks",
               s[k].label, med[k],
               l->stored_bytes ? (double)l->plain_bytes /
                                     (double)l->stored_bytes
                               : 0.0,
               (unsigned long long)l->chunks);
        if (k != K_LIMIT)
            printf("  %llu rows  peak RSS %.1f MiB (at fork %.1f)  "
                   "progress x%llu",
                   (unsigned long long)l->rows,
                   (double)max_long(s[k].rss_kib, o.runs) / 1024,
                   (double)l->start_rss_kib / 1024,
                   (unsigned long long)l->progress_calls);
        printf("\n");
    }
    bench_print_load("end");
    printf("input %llu bytes (%.1f MB)\n", (unsigned long long)size,
           (double)size / BENCH_MB);
    printf("single core: ours=%.3f MB/s limit=%.3f MB/s ratio=%.3f "
           "(goal >= 0.8)\n", med[K_ONE], med[K_LIMIT],
           med[K_LIMIT] > 0 ? med[K_ONE] / med[K_LIMIT] : 0.0);
    bench_result("ingest", med[K_ALL], med[K_LIMIT], "MB/s");
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "bench/ingest: %s\n",
                bench_interrupted() ? "interrupted" : f.detail);
    bench_tree_remove(tmp);
    return rv;
}
