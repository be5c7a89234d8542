/* sluiced ingest: bulk-load a file as a published data-set, without HTTP. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway/cmd.h"
#include "lib/hex.h"
#include "storage/ingest.h"
#include "storage/store.h"

struct ingest_progress {
    int tty;
    struct timespec start;
    double last_print;
    int last_decile;
};

static double ingest_elapsed(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) +
           (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* On a terminal a bar that redraws in place; elsewhere one line per tenth,
 * so that logs stay readable. */
static void ingest_show_progress(void *arg, uint64_t done, uint64_t total)
{
    struct ingest_progress *p = arg;
    double t = ingest_elapsed(&p->start);
    double mib = (double)done / (1024.0 * 1024.0);
    double rate = t > 0 ? mib / t : 0;
    int pct = total ? (int)(100.0 * (double)done / (double)total) : -1;
    char bar[32];
    int i, fill;

    if (p->tty) {
        if (t - p->last_print < 0.1 && done != total)
            return;
        p->last_print = t;
        fill = pct < 0 ? 0 : pct * 20 / 100;
        for (i = 0; i < 20; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[20] = '\0';
        if (pct >= 0)
            fprintf(stderr, "\ringest [%s] %3d%% %8.1f MiB %7.1f MiB/s ETA "
                            "%4.0fs",
                    bar, pct, mib, rate,
                    rate > 0 ? ((double)(total - done) / 1048576.0) / rate
                             : 0.0);
        else
            fprintf(stderr, "\ringest %8.1f MiB %7.1f MiB/s", mib, rate);
        return;
    }
    if (pct >= 0 && pct / 10 > p->last_decile) {
        p->last_decile = pct / 10;
        fprintf(stderr, "ingest: %d%% (%.1f MiB, %.1f MiB/s)\n", pct, mib,
                rate);
    }
}

/* A regular input file is mapped (ingest_run_fd): if someone truncates it
 * meanwhile, the next read of a lost page raises SIGBUS, in whichever
 * thread reads it. Say so plainly and stop, rather than die of a signal.
 * The data-set is left "publishing", exactly as after a kill -9, and the
 * next store_open fails it and removes its objects. Only async-signal-safe
 * calls here. */
static void ingest_sigbus(int sig)
{
    static const char msg[] =
        "sluiced ingest: the input file shrank while it was being read; "
        "nothing was published (the next start cleans up)\n";
    static atomic_flag said = ATOMIC_FLAG_INIT;
    ssize_t w;

    (void)sig;
    /* Several threads may fault at once: one speaks, all stop. */
    if (atomic_flag_test_and_set(&said))
        for (;;)
            pause();
    w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(1);
}

int cmd_ingest(int argc, char **argv, struct fault *f)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'F'},
        {"chunk-size", required_argument, NULL, 's'},
        {"chunk-rows", required_argument, NULL, 'r'},
        {"level", required_argument, NULL, 'l'},
        {"name", required_argument, NULL, 'n'},
        {"preview-rows", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    struct store_dataset_spec spec;
    struct ingest_options io;
    struct ingest_result res;
    struct ingest_progress prog;
    struct store *st = NULL;
    const char *dir = NULL, *format = NULL, *path;
    uint8_t id[CATALOG_ID_LEN];
    char id_hex[2 * CATALOG_ID_LEN + 3];
    uint64_t v;
    struct stat sb;
    struct sigaction sa;
    int fd = -1, c, rv = -1;
    double t;

    memset(&spec, 0, sizeof spec);
    memset(&io, 0, sizeof io);
    memset(&prog, 0, sizeof prog);
    spec.zlib_level = -1;
    spec.preview_rows = 10;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'F': format = optarg; break;
        case 'n': spec.name = optarg; break;
        case 's':
            if (units_parse_size(&spec.chunk_bytes, optarg, 1,
                               (uint64_t)512 << 20, "--chunk-size", f) < 0)
                goto done;
            break;
        case 'r':
            if (units_parse_size(&spec.chunk_rows, optarg, 1, (uint64_t)1 << 40,
                               "--chunk-rows", f) < 0)
                goto done;
            break;
        case 'l':
            if (units_parse_size(&v, optarg, 0, 9, "--level", f) < 0)
                goto done;
            spec.zlib_level = (int)v;
            break;
        case 'p':
            if (units_parse_size(&spec.preview_rows, optarg, 0, 1000,
                               "--preview-rows", f) < 0)
                goto done;
            break;
        case 't':
            if (units_parse_size(&v, optarg, 1, 64, "--threads", f) < 0)
                goto done;
            io.threads = (unsigned)v;
            break;
        default:
            cmd_bad_option(c, argv, f);
            goto done;
        }
    }
    if (cmd_required(dir, "--data-dir", f) < 0 ||
        cmd_required(format, "--format", f) < 0 ||
        cmd_positional(argc, argv, 1, "FILE", f) < 0)
        goto done;
    if (spec.chunk_bytes && spec.chunk_rows) {
        fault_set(f, FAULT_INVALID, "--chunk-rows",
                  "give --chunk-size or --chunk-rows, not both");
        goto done;
    }
    if (catalog_format_parse(&spec.format, format, "--format", f) < 0)
        goto done;
    path = argv[optind];
    fd = strcmp(path, "-") == 0 ? STDIN_FILENO
                                : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fault_set(f, FAULT_IO, "FILE", "cannot open %s: %m", path);
        goto done;
    }
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
        io.total_bytes = (uint64_t)sb.st_size;
    if (store_open(&st, NULL, dir, f) < 0 ||
        store_create_dataset(st, id, &spec, CATALOG_PUBLISHING, f) < 0)
        goto done;
    prog.tty = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    io.progress = ingest_show_progress;
    io.progress_arg = &prog;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ingest_sigbus;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, NULL) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "cannot handle SIGBUS: %m");
        goto done;
    }
    if (ingest_run_fd(st, &res, id, fd, &io, f) < 0)
        goto done;
    t = ingest_elapsed(&prog.start);
    if (prog.tty)
        fputc('\n', stderr);
    fprintf(stderr,
            "ingest: %llu rows, %llu chunks, %.1f MiB in, %.1f MiB stored "
            "(ratio %.2f), %.1f MiB/s\n",
            (unsigned long long)res.rows, (unsigned long long)res.chunk_count,
            (double)res.input_bytes / 1048576.0,
            (double)res.stored_bytes / 1048576.0,
            res.stored_bytes ? (double)res.plain_bytes / (double)res.stored_bytes
                             : 0.0,
            t > 0 ? (double)res.input_bytes / 1048576.0 / t : 0.0);
    if (hex_encode_0x(id_hex, sizeof id_hex, id, sizeof id) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "hex");
        goto done;
    }
    printf("%s\n", id_hex);
    if (fflush(stdout) != 0) {
        fault_set(f, FAULT_IO, NULL, "writing the id failed");
        goto done;
    }
    rv = 0;
done:
    if (fd > STDIN_FILENO)
        close(fd);
    store_close(st);
    return rv;
}
