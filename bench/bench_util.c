#include "bench/bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/aead.h"
#include "lib/secret.h"
#include "storage/chunkobj.h"

/* ---- flags ---------------------------------------------------------- */

static void bench_flags_usage(const struct bench_flag *table, size_t n,
                              const char *prog, const char *about)
{
    size_t i;

    printf("%s\n\nusage: %s [flags]\n\n", about, prog);
    for (i = 0; i < n; i++) {
        const struct bench_flag *fl = &table[i];
        char arg[64];

        if (fl->type == BENCH_FLAG_UINT)
            snprintf(arg, sizeof arg, "--%s N", fl->name);
        else
            snprintf(arg, sizeof arg, "--%s S", fl->name);
        printf("  %-16s %s", arg, fl->help);
        if (fl->type == BENCH_FLAG_UINT)
            printf(" (%llu..%llu, default %llu)",
                   (unsigned long long)fl->min, (unsigned long long)fl->max,
                   (unsigned long long)*(uint64_t *)fl->value);
        else if (*(const char **)fl->value != NULL)
            printf(" (default %s)", *(const char **)fl->value);
        printf("\n");
    }
    printf("  %-16s this text\n", "--help");
}

static int bench_flag_set(const struct bench_flag *fl, const char *text,
                          struct fault *f)
{
    unsigned long long v;
    char *end = NULL;

    if (fl->type == BENCH_FLAG_STR) {
        if (text[0] == '\0')
            return fault_set(f, FAULT_INVALID, fl->name,
                             "--%s needs a non-empty value", fl->name);
        *(const char **)fl->value = text;
        return 0;
    }
    errno = 0;
    v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || errno != 0 || end == text ||
        *end != '\0' || v < fl->min || v > fl->max)
        return fault_set(f, FAULT_INVALID, fl->name,
                         "--%s takes a whole number from %llu to %llu, not "
                         "\"%s\"", fl->name, (unsigned long long)fl->min,
                         (unsigned long long)fl->max, text);
    *(uint64_t *)fl->value = (uint64_t)v;
    return 0;
}

int bench_flags_parse(const struct bench_flag *table, size_t n, int argc,
                      char **argv, const char *about, struct fault *f)
{
    const char *prog = argc > 0 ? argv[0] : "bench";
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq, *value;
        size_t namelen, k;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            bench_flags_usage(table, n, prog, about);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0)
            return fault_set(f, FAULT_INVALID, NULL,
                             "unexpected argument \"%s\" (see --help)", a);
        a += 2;
        eq = strchr(a, '=');
        namelen = eq ? (size_t)(eq - a) : strlen(a);
        for (k = 0; k < n; k++)
            if (strlen(table[k].name) == namelen &&
                strncmp(table[k].name, a, namelen) == 0)
                break;
        if (k == n)
            return fault_set(f, FAULT_INVALID, NULL,
                             "unknown flag --%.*s (see --help)",
                             (int)namelen, a);
        if (eq != NULL)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return fault_set(f, FAULT_INVALID, table[k].name,
                             "--%s needs a value", table[k].name);
        if (bench_flag_set(&table[k], value, f) < 0)
            return -1;
    }
    return 0;
}

/* ---- time ----------------------------------------------------------- */

double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_print_load(const char *when)
{
    double l1, l5, l15;
    FILE *fp = fopen("/proc/loadavg", "r");

    if (fp == NULL)
        return;
    if (fscanf(fp, "%lf %lf %lf", &l1, &l5, &l15) == 3)
        printf("load average %.2f %.2f %.2f (%s)\n", l1, l5, l15, when);
    fclose(fp);
    fflush(stdout);
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_mbps(uint64_t bytes, double secs)
{
    return secs > 0 ? (double)bytes / BENCH_MB / secs : 0;
}

void bench_result(const char *name, double ours, double limit,
                  const char *unit)
{
    printf("RESULT %s ours=%.3f %s limit=%.3f %s ratio=%.3f\n", name, ours,
           unit, limit, unit, limit > 0 ? ours / limit : 0.0);
    fflush(stdout);
}

/* ---- signals -------------------------------------------------------- */

static volatile sig_atomic_t bench_stop;

static void bench_on_signal(int sig)
{
    (void)sig;
    bench_stop = 1;
}

void bench_signals_install(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bench_on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocked read or wait4 returns EINTR and we look. */
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    /* A reader of our output that went away must not kill us before the
     * temporary folder is removed. */
    signal(SIGPIPE, SIG_IGN);
}

int bench_interrupted(void)
{
    return bench_stop != 0;
}

/* ---- the sensor CSV ------------------------------------------------- */

/* A small deterministic generator (xorshift64*): the same seed gives the
 * same file on every machine, so figures compare from run to run. */
struct bench_rng {
    uint64_t s;
};

static uint64_t bench_rng_next(struct bench_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

/* A number in [lo, hi]. */
static int64_t bench_rng_range(struct bench_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(bench_rng_next(r) % (uint64_t)(hi - lo + 1));
}

#define BENCH_SENSORS 5000

struct bench_sensor {
    int64_t temp;     /* centi-degrees */
    int64_t pressure; /* tenths of hPa */
    int64_t humidity; /* tenths of a percent */
    int64_t volt;     /* millivolts, the battery's level */
};

static int64_t bench_clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Write v / 10^decimals with exactly decimals digits after the point. */
static size_t bench_fixed(char *out, int64_t v, int decimals)
{
    char tmp[32];
    size_t n = 0, len = 0;
    int neg = v < 0;
    uint64_t u = neg ? (uint64_t)(-v) : (uint64_t)v;
    int d = 0;

    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
        if (++d == decimals)
            tmp[n++] = '.';
    } while (u != 0 || d <= decimals);
    if (neg)
        out[len++] = '-';
    while (n > 0)
        out[len++] = tmp[--n];
    return len;
}

/* Format one row into out (room for 128 bytes); return its length. */
static size_t bench_csv_row(char *out, struct bench_rng *r,
                            struct bench_sensor *sensors, const char *ts)
{
    unsigned idx = (unsigned)bench_rng_range(r, 0, BENCH_SENSORS - 1);
    struct bench_sensor *s = &sensors[idx];
    int64_t roll = bench_rng_range(r, 0, 999);
    const char *status;
    size_t n;

    s->temp = bench_clamp(s->temp + bench_rng_range(r, -15, 15), -1500, 4500);
    s->pressure = bench_clamp(s->pressure + bench_rng_range(r, -3, 3), 9600,
                              10500);
    s->humidity = bench_clamp(s->humidity + bench_rng_range(r, -9, 9), 50,
                              990);
    if (bench_rng_range(r, 0, 63) == 0 && s->volt > 3000)
        s->volt--;
    status = roll < 985 ? "ok" : roll < 996 ? "warn" : "fault";

    memcpy(out, ts, 20);
    n = 20;
    /* out holds a whole row (the caller's row[] is larger than any). */
    n += (size_t)snprintf(out + n, 24, ",sensor-%04u,", idx + 1);
    n += bench_fixed(out + n, s->temp + bench_rng_range(r, -40, 40), 2);
    out[n++] = ',';
    n += bench_fixed(out + n, s->pressure, 1);
    out[n++] = ',';
    n += bench_fixed(out + n, s->humidity, 1);
    out[n++] = ',';
    n += bench_fixed(out + n, s->volt + bench_rng_range(r, -40, 40), 3);
    out[n++] = ',';
    memcpy(out + n, status, strlen(status));
    n += strlen(status);
    out[n++] = '\n';
    return n;
}

static int bench_write_all(int fd, const char *buf, size_t len,
                           struct fault *f)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR && !bench_interrupted())
                continue;
            return fault_set(f, FAULT_IO, NULL, "writing the CSV failed: %s",
                             strerror(errno));
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int bench_csv_generate(const char *path, uint64_t max_bytes,
                       uint64_t *written, struct fault *f)
{
    static const char header[] =
        "ts,sensor,temp,pressure,humidity,voltage,status\n";
    enum { BUF = 1 << 20 };
    struct bench_rng rng = {0x9E3779B97F4A7C15ULL};
    struct bench_sensor sensors[BENCH_SENSORS];
    char row[128], ts[24];
    char *buf = NULL;
    size_t used = 0, n, i;
    time_t t = 1704067200; /* 2024-01-01T00:00:00Z */
    time_t ts_of = (time_t)-1;
    uint64_t total = 0;
    struct tm tm;
    int fd = -1;
    int rv = -1;

    *written = 0;
    for (i = 0; i < BENCH_SENSORS; i++) {
        sensors[i].temp = bench_rng_range(&rng, -500, 3800);
        sensors[i].pressure = bench_rng_range(&rng, 9850, 10300);
        sensors[i].humidity = bench_rng_range(&rng, 150, 950);
        sensors[i].volt = bench_rng_range(&rng, 2950, 3650);
    }
    buf = malloc(BUF);
    if (buf == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fault_set(f, FAULT_IO, NULL, "cannot create %s: %s", path,
                  strerror(errno));
        goto done;
    }
    if (max_bytes < sizeof header - 1) {
        fault_set(f, FAULT_INVALID, "mib", "the file is too small for a "
                                           "header");
        goto done;
    }
    memcpy(buf, header, sizeof header - 1);
    used = sizeof header - 1;
    total = used;
    for (;;) {
        /* About two readings a second across the fleet. */
        if (bench_rng_range(&rng, 0, 1) == 0)
            t++;
        if (t != ts_of) {
            gmtime_r(&t, &tm);
            strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
            ts_of = t;
        }
        n = bench_csv_row(row, &rng, sensors, ts);
        if (total + n > max_bytes)
            break;
        if (used + n > BUF) {
            if (bench_interrupted()) {
                fault_set(f, FAULT_IO, NULL, "interrupted");
                goto done;
            }
            if (bench_write_all(fd, buf, used, f) < 0)
                goto done;
            used = 0;
        }
        memcpy(buf + used, row, n);
        used += n;
        total += n;
    }
    if (bench_write_all(fd, buf, used, f) < 0)
        goto done;
    if (close(fd) < 0) {
        fd = -1;
        fault_set(f, FAULT_IO, NULL, "closing %s failed: %s", path,
                  strerror(errno));
        goto done;
    }
    fd = -1;
    *written = total;
    rv = 0;
done:
    if (fd >= 0)
        close(fd);
    if (rv != 0)
        unlink(path);
    free(buf);
    return rv;
}

int bench_file_warm(const char *path, uint64_t *size, struct fault *f)
{
    enum { BUF = 1 << 20 };
    char *buf;
    uint64_t total = 0;
    int fd;
    int rv = -1;

    *size = 0;
    buf = malloc(BUF);
    if (buf == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        free(buf);
        return fault_set(f, FAULT_IO, NULL, "cannot open %s: %s", path,
                         strerror(errno));
    }
    for (;;) {
        ssize_t r = read(fd, buf, BUF);
        if (r < 0 && errno == EINTR && !bench_interrupted())
            continue;
        if (r < 0) {
            fault_set(f, FAULT_IO, NULL, "reading %s failed: %s", path,
                      bench_interrupted() ? "interrupted" : strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        total += (uint64_t)r;
    }
    *size = total;
    rv = 0;
done:
    close(fd);
    free(buf);
    return rv;
}

/* ---- temporary folders ---------------------------------------------- */

int bench_tmpdir_make(char *out, size_t cap, const char *parent,
                      struct fault *f)
{
    const char *base = parent;
    int n;

    if (base == NULL || base[0] == '\0')
        base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    n = snprintf(out, cap, "%s/sluice-bench-XXXXXX", base);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return fault_set(f, FAULT_INVALID, "dir", "the folder path is too "
                                                  "long");
    }
    if (mkdtemp(out) == NULL) {
        int e = errno;
        out[0] = '\0';
        return fault_set(f, FAULT_IO, "dir", "cannot create a folder in %s: "
                                             "%s", base, strerror(e));
    }
    return 0;
}

static int bench_remove_one(const char *path, const struct stat *sb,
                            int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    if (remove(path) < 0 && errno != ENOENT)
        fprintf(stderr, "bench: cannot remove %s: %s\n", path,
                strerror(errno));
    return 0;
}

int bench_tree_remove(const char *path)
{
    struct stat st;

    if (path == NULL || path[0] == '\0' || lstat(path, &st) < 0)
        return 0;
    nftw(path, bench_remove_one, 16, FTW_DEPTH | FTW_PHYS);
    if (lstat(path, &st) == 0) {
        fprintf(stderr, "bench: %s is still there; remove it by hand\n",
                path);
        return -1;
    }
    return 0;
}

/* ---- child processes ------------------------------------------------ */

int bench_child_run(bench_child_fn fn, void *arg, void *out, size_t outlen,
                    long *maxrss_kib, struct fault *f)
{
    struct rusage ru;
    size_t got = 0;
    int fds[2];
    int status = 0;
    pid_t pid, w;
    int killed = 0;

    *maxrss_kib = 0;
    memset(out, 0, outlen);
    if (pipe2(fds, O_CLOEXEC) < 0)
        return fault_set(f, FAULT_IO, NULL, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return fault_set(f, FAULT_IO, NULL, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        const char *p = out;
        size_t left = outlen;
        int rc;

        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        close(fds[0]);
        rc = fn(arg, out, outlen);
        while (left > 0) {
            ssize_t wr = write(fds[1], p, left);
            if (wr < 0 && errno == EINTR)
                continue;
            if (wr <= 0)
                _exit(3);
            p += wr;
            left -= (size_t)wr;
        }
        fflush(NULL);
        _exit(rc == 0 ? 0 : 1);
    }
    close(fds[1]);
    while (got < outlen) {
        ssize_t r = read(fds[0], (char *)out + got, outlen - got);
        if (r < 0 && errno == EINTR) {
            if (bench_interrupted() && !killed) {
                kill(pid, SIGTERM);
                killed = 1;
            }
            continue;
        }
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fds[0]);
    for (;;) {
        w = wait4(pid, &status, 0, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return fault_set(f, FAULT_INTERNAL, NULL, "wait4: %s",
                             strerror(errno));
        if (bench_interrupted() && !killed) {
            kill(pid, SIGTERM);
            killed = 1;
        }
    }
    *maxrss_kib = ru.ru_maxrss;
    if (bench_interrupted())
        return fault_set(f, FAULT_IO, NULL, "interrupted");
    if (WIFSIGNALED(status))
        return fault_set(f, FAULT_INTERNAL, NULL, "the child died of signal "
                                                  "%d", WTERMSIG(status));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != outlen)
        return fault_set(f, FAULT_INTERNAL, NULL, "the child failed (exit "
                                                  "%d)", WEXITSTATUS(status));
    return 0;
}

/* ---- comparing files ------------------------------------------------ */

/* Read up to cap bytes of fd into buf (short only at the end). */
static int bench_read_full(int fd, uint8_t *buf, size_t cap, size_t *got,
                           const char *path, struct fault *f)
{
    *got = 0;
    while (*got < cap) {
        ssize_t r = read(fd, buf + *got, cap - *got);
        if (r < 0 && errno == EINTR && !bench_interrupted())
            continue;
        if (r < 0)
            return fault_set(f, FAULT_IO, NULL, "reading %s failed: %s", path,
                             bench_interrupted() ? "interrupted"
                                                 : strerror(errno));
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return 0;
}

int bench_file_compare(const char *a, const char *b, uint64_t *size,
                       struct fault *f)
{
    enum { BUF = 1 << 20 };
    uint8_t *ba = malloc(BUF), *bb = malloc(BUF);
    uint64_t off = 0;
    size_t na, nb, i;
    int fa = -1, fb = -1;
    int rv = -1;

    *size = 0;
    if (ba == NULL || bb == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    fa = open(a, O_RDONLY | O_CLOEXEC);
    fb = open(b, O_RDONLY | O_CLOEXEC);
    if (fa < 0 || fb < 0) {
        fault_set(f, FAULT_IO, NULL, "cannot open %s: %s", fa < 0 ? a : b,
                  strerror(errno));
        goto done;
    }
    for (;;) {
        if (bench_read_full(fa, ba, BUF, &na, a, f) < 0 ||
            bench_read_full(fb, bb, BUF, &nb, b, f) < 0)
            goto done;
        if (na != nb || memcmp(ba, bb, na) != 0) {
            for (i = 0; i < na && i < nb && ba[i] == bb[i]; i++)
                ;
            *size = off + i;
            fault_set(f, FAULT_CORRUPT, NULL, "%s and %s differ at byte "
                      "%llu (%s ends first)", a, b,
                      (unsigned long long)*size,
                      i == na && na < nb ? a : i == nb && nb < na ? b
                                                                : "neither");
            rv = 1;
            goto done;
        }
        off += na;
        if (na < BUF)
            break;
    }
    *size = off;
    rv = 0;
done:
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    free(ba);
    free(bb);
    return rv;
}

/* ---- the AES-GCM + inflate limit ------------------------------------ */

int bench_objects_open(const struct bench_object *v, size_t n, size_t first,
                       size_t step, const uint8_t dataset_id[32],
                       uint8_t *payload, uint8_t *plain, uint64_t *bytes,
                       struct fault *f)
{
    uint8_t aad[CHUNKOBJ_HEADER_LEN + 32];
    struct chunkobj_header h;
    z_stream zs;
    size_t i;
    int rv = -1;

    *bytes = 0;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        return fault_set(f, FAULT_INTERNAL, NULL, "inflateInit failed");
    for (i = first; i < n; i += step) {
        const struct bench_object *o = &v[i];
        size_t clen;

        if (bench_interrupted()) {
            fault_set(f, FAULT_IO, NULL, "interrupted");
            goto done;
        }
        if (chunkobj_parse_header(&h, o->data, o->len, f) < 0)
            goto done;
        clen = o->len - CHUNKOBJ_OVERHEAD;
        memcpy(aad, o->data, CHUNKOBJ_HEADER_LEN);
        memcpy(aad + CHUNKOBJ_HEADER_LEN, dataset_id, 32);
        if (aead_open(payload, o->ck, h.nonce, aad, sizeof aad,
                      o->data + CHUNKOBJ_HEADER_LEN, clen + AEAD_TAG_LEN,
                      f) < 0)
            goto done;
        if ((h.flags & CHUNKOBJ_FLAG_ZLIB) == 0) {
            memcpy(plain, payload, clen);
            *bytes += clen;
            continue;
        }
        if (inflateReset(&zs) != Z_OK) {
            fault_set(f, FAULT_INTERNAL, NULL, "inflateReset failed");
            goto done;
        }
        zs.next_in = payload;
        zs.avail_in = (uInt)clen;
        zs.next_out = plain;
        zs.avail_out = (uInt)h.plain_len;
        if (inflate(&zs, Z_FINISH) != Z_STREAM_END ||
            zs.total_out != h.plain_len) {
            fault_set(f, FAULT_CORRUPT, NULL, "chunk %llu does not inflate",
                      (unsigned long long)o->index);
            goto done;
        }
        *bytes += h.plain_len;
    }
    rv = 0;
done:
    inflateEnd(&zs);
    return rv;
}

void bench_objects_free(struct bench_object *v, size_t n)
{
    size_t i;

    for (i = 0; v != NULL && i < n; i++) {
        secret_wipe(v[i].ck, sizeof v[i].ck);
        free(v[i].data);
    }
    free(v);
}
