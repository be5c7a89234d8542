/*
 * bench/read: how fast a published data-set comes back as plaintext,
 * beside the limit of AES-256-GCM open and zlib inflate alone.
 *
 * A CSV is ingested once (not timed). Then, each run:
 *   export  reader_export of the whole data-set into a sink that discards
 *           (every object read from disk, hashed, opened, inflated);
 *   chunks  reader_chunk over every chunk index, as a rental fetches them
 *           (each call also reads the data-set record and derives the
 *           chunk key);
 *   limit   the same stored objects, already in memory with their chunk
 *           keys: AES-256-GCM open (lib/aead.h) and inflate into reused
 *           buffers; nothing else.
 * A first, untimed export compares every byte with the source file, so the
 * benchmark measures work that is right. Rates are 10^6 plaintext bytes
 * per second; each figure is the median of --runs runs, interleaved.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "storage/ingest.h"
#include "storage/reader.h"
#include "storage/store.h"

#define MAX_RUNS 99

/* ---- the one ingest ------------------------------------------------- */

static int read_input(void *arg, uint8_t *buf, size_t cap, size_t *got,
                      struct fault *f)
{
    if (bench_interrupted()) {
        *got = 0;
        return fault_set(f, FAULT_IO, NULL, "interrupted");
    }
    return ingest_read_fd(arg, buf, cap, got, f);
}

/* ---- sinks ---------------------------------------------------------- */

/* Compares what reader_export writes with the source file. */
struct check_sink {
    int fd;
    uint8_t *buf;
    size_t cap;
    uint64_t bytes;
};

static int check_write(void *arg, const uint8_t *data, size_t len,
                       struct fault *f)
{
    struct check_sink *c = arg;

    while (len > 0) {
        size_t want = len < c->cap ? len : c->cap;
        size_t got = 0;

        while (got < want) {
            ssize_t r = read(c->fd, c->buf + got, want - got);
            if (r < 0 && errno == EINTR && !bench_interrupted())
                continue;
            if (r <= 0)
                return fault_set(f, FAULT_CORRUPT, NULL,
                                 "the export is longer than the source "
                                 "(%llu bytes in)",
                                 (unsigned long long)c->bytes);
            got += (size_t)r;
        }
        if (memcmp(c->buf, data, want) != 0)
            return fault_set(f, FAULT_CORRUPT, NULL,
                             "the export differs from the source near byte "
                             "%llu", (unsigned long long)c->bytes);
        c->bytes += want;
        data += want;
        len -= want;
    }
    return 0;
}

static int discard_write(void *arg, const uint8_t *data, size_t len,
                         struct fault *f)
{
    uint64_t *bytes = arg;

    (void)data;
    if (bench_interrupted())
        return fault_set(f, FAULT_IO, NULL, "interrupted");
    *bytes += len;
    return 0;
}

/* ---- the limit's objects -------------------------------------------- */

struct objects {
    struct store *st;
    const struct catalog_dataset *d;
    struct bench_object *v;
    size_t n, cap;
    size_t max_plain, max_payload;
};

static int load_object(void *arg, const struct catalog_chunk *c,
                       struct fault *f)
{
    struct objects *os = arg;
    struct bench_object *o;

    if (os->n == os->cap) {
        size_t cap = os->cap ? 2 * os->cap : 256;
        struct bench_object *v = realloc(os->v, cap * sizeof *v);
        if (v == NULL)
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        os->v = v;
        os->cap = cap;
    }
    o = &os->v[os->n];
    memset(o, 0, sizeof *o);
    o->index = c->index;
    if (objstore_get(os->st->objects, &o->data, &o->len, c->object_id,
                     (size_t)c->stored_bytes, f) < 0)
        return -1;
    os->n++;
    if (store_chunk_key(os->st, o->ck, os->d, c->index, f) < 0)
        return -1;
    if (c->plain_bytes > os->max_plain)
        os->max_plain = (size_t)c->plain_bytes;
    if (o->len > os->max_payload)
        os->max_payload = o->len;
    return 0;
}

static void objects_free(struct objects *os)
{
    bench_objects_free(os->v, os->n);
    memset(os, 0, sizeof *os);
}

/* ---- the runs ------------------------------------------------------- */

enum { K_LIMIT, K_EXPORT, K_CHUNKS, K_COUNT };

static const char *const labels[K_COUNT] = {
    "limit AES-GCM+inflate", "ours reader_export", "ours reader_chunk",
};

static int chunks_run(struct store *st, const uint8_t id[32], uint64_t n,
                      uint64_t *bytes, struct fault *f)
{
    uint64_t i;

    *bytes = 0;
    for (i = 0; i < n; i++) {
        uint8_t *plain = NULL;
        size_t len = 0;

        if (bench_interrupted())
            return fault_set(f, FAULT_IO, NULL, "interrupted");
        if (reader_chunk(st, &plain, &len, id, i, f) < 0)
            return -1;
        *bytes += len;
        secret_free(plain, len);
    }
    return 0;
}

static const char about[] =
    "bench/read: decrypting and inflating a whole data-set back, beside "
    "AES-256-GCM open + inflate alone";

int main(int argc, char **argv)
{
    uint64_t mib = 256, runs = 3, level = 1;
    const char *dir = NULL;
    const struct bench_flag flags[] = {
        {"mib", BENCH_FLAG_UINT, &mib, 1, 65536, "size of the CSV in MiB"},
        {"runs", BENCH_FLAG_UINT, &runs, 1, MAX_RUNS,
         "runs; figures are their medians"},
        {"level", BENCH_FLAG_UINT, &level, 0, 9, "zlib level of the ingest"},
        {"dir", BENCH_FLAG_STR, &dir, 0, 0,
         "folder for the temporary files (default $TMPDIR or /tmp)"},
    };
    char tmp[BENCH_PATH_MAX] = "", file[BENCH_PATH_MAX],
         data_dir[BENCH_PATH_MAX];
    double mbps[K_COUNT][MAX_RUNS], med[K_COUNT];
    struct store *st = NULL;
    struct store_dataset_spec spec;
    struct ingest_options opt;
    struct ingest_result res;
    struct catalog_dataset d;
    struct objects os;
    struct check_sink chk;
    uint8_t id[CATALOG_ID_LEN];
    uint8_t *payload = NULL, *plain = NULL;
    uint64_t written = 0, size = 0;
    struct fault f;
    double t0;
    size_t r;
    int k, rc, fd = -1;
    int rv = 1;

    fault_clear(&f);
    memset(&os, 0, sizeof os);
    memset(&chk, 0, sizeof chk);
    chk.fd = -1;
    rc = bench_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv,
                           about, &f);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "bench/read: %s\n", f.detail);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(LOG_WARN);
    bench_signals_install();

    if (bench_tmpdir_make(tmp, sizeof tmp, dir, &f) < 0)
        goto done;
    snprintf(file, sizeof file, "%s/sensors.csv", tmp);
    snprintf(data_dir, sizeof data_dir, "%s/data", tmp);
    printf("bench/read: %llu MiB CSV, zlib level %llu, %llu runs, in %s\n",
           (unsigned long long)mib, (unsigned long long)level,
           (unsigned long long)runs, tmp);
    fflush(stdout);
    bench_print_load("start");
    if (bench_csv_generate(file, mib * BENCH_MIB, &written, &f) < 0 ||
        bench_file_warm(file, &size, &f) < 0)
        goto done;

    /* The one ingest (not timed in the figures). */
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fault_set(&f, FAULT_IO, NULL, "cannot open %s: %s", file,
                  strerror(errno));
        goto done;
    }
    memset(&spec, 0, sizeof spec);
    spec.format = SPLITTER_CSV;
    spec.name = "bench";
    spec.zlib_level = (int)level;
    spec.preview_rows = 10;
    memset(&opt, 0, sizeof opt);
    opt.total_bytes = size;
    t0 = bench_now();
    if (store_open(&st, NULL, data_dir, &f) < 0 ||
        store_create_dataset(st, id, &spec, CATALOG_PUBLISHING, &f) < 0 ||
        ingest_run(st, &res, id, read_input, &fd, &opt, &f) < 0)
        goto done;
    printf("ingested %llu bytes into %llu chunks (%.2fx) in %.2f s\n",
           (unsigned long long)res.input_bytes,
           (unsigned long long)res.chunk_count,
           res.stored_bytes ? (double)res.plain_bytes /
                                  (double)res.stored_bytes
                            : 0.0,
           bench_now() - t0);
    if (catalog_get_dataset(st, &d, id, &f) < 0)
        goto done;

    /* Check the export byte for byte (and warm the page cache). */
    if (lseek(fd, 0, SEEK_SET) < 0) {
        fault_set(&f, FAULT_IO, NULL, "lseek: %s", strerror(errno));
        goto done;
    }
    chk.fd = fd;
    chk.cap = 1 << 20;
    chk.buf = malloc(chk.cap);
    if (chk.buf == NULL) {
        fault_set(&f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (reader_export(st, id, check_write, &chk, &f) < 0)
        goto done;
    if (chk.bytes != size) {
        fault_set(&f, FAULT_CORRUPT, NULL, "the export has %llu bytes, the "
                  "source %llu", (unsigned long long)chk.bytes,
                  (unsigned long long)size);
        goto done;
    }
    printf("export checked: %llu bytes equal the source\n",
           (unsigned long long)chk.bytes);

    /* The limit's input: every stored object, in memory. */
    os.st = st;
    os.d = &d;
    if (catalog_each_chunk(st, id, load_object, &os, &f) < 0)
        goto done;
    payload = malloc(os.max_payload + 1);
    plain = malloc(os.max_plain + 1);
    if (payload == NULL || plain == NULL) {
        fault_set(&f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }

    for (r = 0; r < runs; r++) {
        for (k = 0; k < K_COUNT; k++) {
            uint64_t bytes = 0;
            double secs, cpu, c0;

            t0 = bench_now();
            c0 = bench_cpu_now();
            if (k == K_LIMIT)
                rc = bench_objects_open(os.v, os.n, 0, 1, id, payload, plain,
                                        &bytes, &f);
            else if (k == K_EXPORT)
                rc = reader_export(st, id, discard_write, &bytes, &f);
            else
                rc = chunks_run(st, id, d.chunk_count, &bytes, &f);
            secs = bench_now() - t0;
            cpu = bench_cpu_now() - c0;
            if (rc < 0)
                goto done;
            mbps[k][r] = bench_mbps(bytes, secs);
            printf("  run %zu %-22s %9.1f MB/s  %6.2f s  cpu %6.2f s "
                   "(%3.0f%%)\n", r + 1, labels[k], mbps[k][r], secs, cpu,
                   secs > 0 ? 100 * cpu / secs : 0.0);
            fflush(stdout);
        }
    }
    bench_print_load("end");
    for (k = 0; k < K_COUNT; k++) {
        med[k] = bench_median(mbps[k], runs);
        printf("%-22s %9.1f MB/s (median)\n", labels[k], med[k]);
    }
    printf("reader_chunk: ours=%.3f MB/s limit=%.3f MB/s ratio=%.3f\n",
           med[K_CHUNKS], med[K_LIMIT],
           med[K_LIMIT] > 0 ? med[K_CHUNKS] / med[K_LIMIT] : 0.0);
    bench_result("read", med[K_EXPORT], med[K_LIMIT], "MB/s");
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "bench/read: %s\n",
                bench_interrupted() ? "interrupted" : f.detail);
    if (payload != NULL)
        secret_free(payload, os.max_payload + 1);
    if (plain != NULL)
        secret_free(plain, os.max_plain + 1);
    objects_free(&os);
    free(chk.buf);
    if (fd >= 0)
        close(fd);
    store_close(st);
    bench_tree_remove(tmp);
    return rv;
}
