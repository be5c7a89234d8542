#include "bench/bench_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/reqsig.h"
#include "pricing/plan.h"
#include "storage/ingest.h"
#include "storage/store.h"

int bench_pathf(char *out, size_t cap, struct fault *f, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return fault_set(f, FAULT_INVALID, "dir", "a path is longer than "
                                                  "%zu bytes", cap - 1);
    }
    return 0;
}

/* ---- processes ------------------------------------------------------ */

#define BENCH_PROCS_MAX 16

/* Every child we started and have not reaped yet. */
static pid_t bench_procs[BENCH_PROCS_MAX];

static int bench_proc_register(pid_t pid)
{
    size_t i;

    for (i = 0; i < BENCH_PROCS_MAX; i++) {
        if (bench_procs[i] == 0) {
            bench_procs[i] = pid;
            return 0;
        }
    }
    return -1;
}

static void bench_proc_unregister(pid_t pid)
{
    size_t i;

    for (i = 0; i < BENCH_PROCS_MAX; i++)
        if (bench_procs[i] == pid)
            bench_procs[i] = 0;
}

static int bench_proc_room(void)
{
    size_t i;

    for (i = 0; i < BENCH_PROCS_MAX; i++)
        if (bench_procs[i] == 0)
            return 1;
    return 0;
}

static void bench_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

int bench_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : (int)n;
}

void bench_warn_busy(void)
{
    double l1 = 0;
    FILE *fp = fopen("/proc/loadavg", "r");

    if (fp == NULL)
        return;
    if (fscanf(fp, "%lf", &l1) == 1 && l1 >= 1.0)
        printf("warning: the machine is busy (load %.2f): other processes "
               "share the CPUs the server and the load are pinned to\n", l1);
    fclose(fp);
    fflush(stdout);
}

int bench_cpu_pin(int cpu, struct fault *f)
{
    cpu_set_t set;
    int i, n = bench_cpu_count();

    CPU_ZERO(&set);
    if (cpu == BENCH_CPU_ANY) {
        for (i = 0; i < n && i < CPU_SETSIZE; i++)
            CPU_SET(i, &set);
    } else {
        if (cpu < 0 || cpu >= n || cpu >= CPU_SETSIZE)
            return fault_set(f, FAULT_INVALID, "cpu", "there is no CPU %d "
                             "(%d online)", cpu, n);
        CPU_SET(cpu, &set);
    }
    if (sched_setaffinity(0, sizeof set, &set) < 0)
        return fault_set(f, FAULT_IO, "cpu", "sched_setaffinity: %s",
                         strerror(errno));
    return 0;
}

/* In a new child: die with the parent, run on cpu. */
static void bench_child_setup(pid_t parent, int cpu)
{
    struct fault f;

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1); /* the parent died before prctl */
    if (bench_cpu_pin(cpu, &f) < 0) {
        fprintf(stderr, "bench: %s\n", f.detail);
        _exit(1);
    }
}

static int bench_redirect(int target, const char *path)
{
    int fd = open(path ? path : "/dev/null",
                  target == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND,
                  0600);

    if (fd < 0)
        return -1;
    if (fd != target) {
        if (dup2(fd, target) < 0)
            return -1;
        close(fd);
    }
    return 0;
}

int bench_proc_spawn(pid_t *pid, const char *const *argv, int cpu,
                     const char *out_path, const char *err_path,
                     struct fault *f)
{
    pid_t parent = getpid(), p;

    *pid = 0;
    if (!bench_proc_room())
        return fault_set(f, FAULT_INTERNAL, NULL, "too many children");
    fflush(NULL);
    p = fork();
    if (p < 0)
        return fault_set(f, FAULT_IO, NULL, "fork: %s", strerror(errno));
    if (p == 0) {
        bench_child_setup(parent, cpu);
        if (bench_redirect(0, NULL) < 0 || bench_redirect(1, out_path) < 0 ||
            bench_redirect(2, err_path) < 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "bench: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    bench_proc_register(p);
    *pid = p;
    return 0;
}

int bench_proc_fork(pid_t *pid, int (*fn)(void *arg), void *arg, int cpu,
                    struct fault *f)
{
    pid_t parent = getpid(), p;

    *pid = 0;
    if (!bench_proc_room())
        return fault_set(f, FAULT_INTERNAL, NULL, "too many children");
    fflush(NULL);
    p = fork();
    if (p < 0)
        return fault_set(f, FAULT_IO, NULL, "fork: %s", strerror(errno));
    if (p == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        bench_child_setup(parent, cpu);
        _exit(fn(arg) == 0 ? 0 : 1);
    }
    bench_proc_register(p);
    *pid = p;
    return 0;
}

static double bench_ru_cpu(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
           (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

/* Sleep until pid may have ended, at most ms: on its pidfd, which wakes
 * the moment it ends (a look every 5 ms alone added up to 5 ms to the
 * wall time of each child a benchmark timed), else for 5 ms. pidfd is
 * -1 or open. */
static void bench_proc_nap(int pidfd, double ms)
{
    struct pollfd pf = {.fd = pidfd, .events = POLLIN};

    if (pidfd >= 0 && ms >= 0) {
        (void)poll(&pf, 1, ms > 1000 ? 1000 : (int)ms + 1);
        return;
    }
    bench_sleep_ms(5);
}

int bench_proc_wait_ru(pid_t pid, double timeout_s, int *status,
                       struct rusage *ru, struct fault *f)
{
    double end = bench_now() + timeout_s;
    struct rusage u;
    int st = 0, pidfd = -1;
    pid_t w;

    if (status != NULL)
        *status = 0;
    if (ru != NULL)
        memset(ru, 0, sizeof *ru);
#ifdef SYS_pidfd_open
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    for (;;) {
        w = wait4(pid, &st, WNOHANG, &u);
        if (w == pid) {
            if (pidfd >= 0)
                close(pidfd);
            bench_proc_unregister(pid);
            if (status != NULL)
                *status = st;
            if (ru != NULL)
                *ru = u;
            return 0;
        }
        if (w < 0 && errno != EINTR) {
            if (pidfd >= 0)
                close(pidfd);
            return fault_set(f, FAULT_INTERNAL, NULL, "wait4 %d: %s",
                             (int)pid, strerror(errno));
        }
        if (bench_interrupted() || bench_now() >= end) {
            if (pidfd >= 0)
                close(pidfd);
            return 1;
        }
        bench_proc_nap(pidfd, (end - bench_now()) * 1000.0);
    }
}

int bench_proc_wait(pid_t pid, double timeout_s, int *status, double *cpu_s,
                    struct fault *f)
{
    struct rusage ru;
    int rc = bench_proc_wait_ru(pid, timeout_s, status, &ru, f);

    if (cpu_s != NULL)
        *cpu_s = rc == 0 ? bench_ru_cpu(&ru) : 0;
    return rc;
}

int bench_proc_stop(pid_t pid, double grace_s)
{
    double end;
    int st = 0;
    pid_t w;

    if (pid <= 0)
        return -1;
    if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
        return -1;
    end = bench_now() + grace_s;
    for (;;) {
        w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            bench_proc_unregister(pid);
            return -1;
        }
        if (bench_now() >= end) {
            fprintf(stderr, "bench: pid %d still running after %.0f s; "
                            "killing it\n", (int)pid, grace_s);
            kill(pid, SIGKILL);
            while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
                ;
            break;
        }
        bench_sleep_ms(5);
    }
    bench_proc_unregister(pid);
    return st;
}

void bench_proc_stop_all(void)
{
    size_t i;

    for (i = 0; i < BENCH_PROCS_MAX; i++)
        if (bench_procs[i] != 0)
            bench_proc_stop(bench_procs[i], 5);
}

double bench_proc_cpu(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long ut = 0, st = 0;
    const char *p;
    size_t n;
    FILE *fp;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fp = fopen(path, "r");
    if (fp == NULL)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: start after the
     * last ')'. */
    p = strrchr(buf, ')');
    if (p == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
               &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long bench_proc_status_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    size_t fl = strlen(field);
    long v = -1;
    FILE *fp;

    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    fp = fopen(path, "r");
    if (fp == NULL)
        return -1;
    while (fgets(line, sizeof line, fp) != NULL) {
        if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
            v = strtol(line + fl + 1, NULL, 10);
            break;
        }
    }
    fclose(fp);
    return v;
}

/* ---- ports ---------------------------------------------------------- */

static void bench_loopback(struct sockaddr_in *sa, uint16_t port)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static int bench_bind_any(int *fd_out, uint16_t *port, int listening,
                          struct fault *f)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int one = 1;
    int fd;

    *fd_out = -1;
    *port = 0;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
                             (listening ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return fault_set(f, FAULT_IO, NULL, "socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bench_loopback(&sa, 0);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        (listening && listen(fd, 1024) < 0) ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        int e = errno;
        close(fd);
        return fault_set(f, FAULT_IO, NULL, "cannot bind 127.0.0.1: %s",
                         strerror(e));
    }
    *fd_out = fd;
    *port = ntohs(sa.sin_port);
    return 0;
}

int bench_port_free(uint16_t *port, struct fault *f)
{
    int fd;

    if (bench_bind_any(&fd, port, 0, f) < 0)
        return -1;
    close(fd);
    return 0;
}

int bench_port_listen(int *fd, uint16_t *port, struct fault *f)
{
    return bench_bind_any(fd, port, 1, f);
}

/* Return 1 if child pid has exited (it is reaped; its status in *st), 0
 * if it still runs. */
static int bench_child_gone(pid_t pid, int *st)
{
    struct fault f;

    if (pid <= 0)
        return 0;
    return bench_proc_wait(pid, 0, st, NULL, &f) == 0;
}

int bench_port_wait(uint16_t port, pid_t pid, double timeout_s,
                    struct fault *f)
{
    double end = bench_now() + timeout_s;
    struct sockaddr_in sa;
    int st = 0;

    bench_loopback(&sa, port);
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return fault_set(f, FAULT_IO, NULL, "socket: %s",
                             strerror(errno));
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            close(fd);
            return 0;
        }
        close(fd);
        if (bench_child_gone(pid, &st))
            return fault_set(f, FAULT_INTERNAL, NULL, "the server exited "
                             "(status 0x%x) before it listened on port %u",
                             (unsigned)st, (unsigned)port);
        if (bench_interrupted())
            return fault_set(f, FAULT_IO, NULL, "interrupted");
        if (bench_now() >= end)
            return fault_set(f, FAULT_IO, NULL, "nothing listens on "
                             "127.0.0.1:%u after %.0f s", (unsigned)port,
                             timeout_s);
        bench_sleep_ms(10);
    }
}

/* ---- a published data-set ------------------------------------------- */

static int bench_dataset_chunk(void *arg, const struct catalog_chunk *c,
                               struct fault *f)
{
    struct bench_dataset *d = arg;
    char (*ids)[65];
    uint64_t *sizes;

    ids = realloc(d->objects, (d->nobjects + 1) * sizeof *ids);
    if (ids == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    d->objects = ids;
    sizes = realloc(d->object_bytes, (d->nobjects + 1) * sizeof *sizes);
    if (sizes == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    d->object_bytes = sizes;
    snprintf(d->objects[d->nobjects], 65, "%s", c->object_id);
    d->object_bytes[d->nobjects] = c->stored_bytes;
    d->nobjects++;
    return 0;
}

static int bench_dataset_price(struct store *st, const uint8_t id[32],
                               const char *price_json, struct fault *f)
{
    json_error_t jerr;
    json_t *j = json_loads(price_json, 0, &jerr);
    struct plan p;
    char *text = NULL;
    int rv = -1;

    if (j == NULL)
        return fault_set(f, FAULT_INVALID, "price", "bad plan JSON: %s",
                         jerr.text);
    if (plan_from_json(&p, j, "", f) < 0 || plan_to_text(&text, &p, f) < 0 ||
        catalog_set_price(st, id, text, 0.0, f) < 0)
        goto done;
    rv = 0;
done:
    free(text);
    json_decref(j);
    return rv;
}

int bench_dataset_publish(struct bench_dataset *out, const char *data_dir,
                          const char *file, enum splitter_format format,
                          uint64_t chunk_bytes, int level, const char *owner,
                          const char *price_json, struct fault *f)
{
    static const char *const tags[] = {"bench", "sensors"};
    struct store_dataset_spec spec;
    struct ingest_options opt;
    struct ingest_result res;
    struct catalog_meta meta;
    struct store *st = NULL;
    off_t size;
    int fd = -1;
    int rv = -1;

    memset(out, 0, sizeof *out);
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < 0 ||
        lseek(fd, 0, SEEK_SET) < 0) {
        fault_set(f, FAULT_IO, NULL, "cannot open %s: %s", file,
                  strerror(errno));
        goto done;
    }
    memset(&spec, 0, sizeof spec);
    spec.format = format;
    spec.name = "bench data-set";
    spec.owner = owner;
    spec.chunk_bytes = chunk_bytes;
    spec.zlib_level = level;
    spec.preview_rows = 10;
    memset(&meta, 0, sizeof meta);
    meta.description = (char *)(uintptr_t)"Sensor readings made up by "
                                          "bench/bench_util.c";
    meta.license = (char *)(uintptr_t)"CC0-1.0";
    meta.tags = (char **)(uintptr_t)tags;
    meta.ntags = sizeof tags / sizeof tags[0];
    meta.listed = 1;
    memset(&opt, 0, sizeof opt);
    opt.threads = 0;
    opt.total_bytes = (uint64_t)size;
    if (store_open(&st, NULL, data_dir, f) < 0 ||
        store_create_dataset(st, out->id, &spec, CATALOG_PUBLISHING, f) < 0 ||
        catalog_put_meta(st, out->id, &meta, f) < 0 ||
        (price_json != NULL &&
         bench_dataset_price(st, out->id, price_json, f) < 0) ||
        ingest_run(st, &res, out->id, ingest_read_fd, &fd, &opt, f) < 0 ||
        catalog_each_chunk(st, out->id, bench_dataset_chunk, out, f) < 0)
        goto done;
    if (hex_encode_0x(out->id_text, sizeof out->id_text, out->id,
                      sizeof out->id) < 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "hex");
        goto done;
    }
    out->rows = res.rows;
    rv = 0;
done:
    store_close(st);
    if (fd >= 0)
        close(fd);
    if (rv != 0)
        bench_dataset_clear(out);
    return rv;
}

void bench_dataset_clear(struct bench_dataset *d)
{
    if (d == NULL)
        return;
    free(d->objects);
    free(d->object_bytes);
    memset(d, 0, sizeof *d);
}

int bench_blob_generate(const char *path, uint64_t bytes, struct fault *f)
{
    enum { BUF = 1 << 20 };
    uint64_t s = 0x2545F4914F6CDD1DULL, left = bytes;
    uint64_t *buf;
    int fd;
    int rv = -1;

    buf = malloc(BUF);
    if (buf == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(buf);
        return fault_set(f, FAULT_IO, NULL, "cannot create %s: %s", path,
                         strerror(errno));
    }
    while (left > 0) {
        size_t n = left < BUF ? (size_t)left : BUF, i, off = 0;

        /* xorshift64*: incompressible to zlib. */
        for (i = 0; i < BUF / 8; i++) {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            buf[i] = s * 0x2545F4914F6CDD1DULL;
        }
        while (off < n) {
            ssize_t w = write(fd, (char *)buf + off, n - off);
            if (w < 0 && errno == EINTR && !bench_interrupted())
                continue;
            if (w < 0) {
                fault_set(f, FAULT_IO, NULL, "writing %s failed: %s", path,
                          strerror(errno));
                goto done;
            }
            off += (size_t)w;
        }
        left -= n;
    }
    if (close(fd) < 0) {
        fd = -1;
        fault_set(f, FAULT_IO, NULL, "closing %s failed: %s", path,
                  strerror(errno));
        goto done;
    }
    fd = -1;
    rv = 0;
done:
    if (fd >= 0)
        close(fd);
    if (rv != 0)
        unlink(path);
    free(buf);
    return rv;
}

/* ---- sluiced -------------------------------------------------------- */

/* Copy the last bytes of the log at path to stderr. */
static void bench_log_tail(const char *what, const char *path)
{
    char buf[2048];
    ssize_t n;
    off_t size;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return;
    size = lseek(fd, 0, SEEK_END);
    if (size > (off_t)sizeof buf - 1)
        lseek(fd, size - (off_t)sizeof buf + 1, SEEK_SET);
    else
        lseek(fd, 0, SEEK_SET);
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    fprintf(stderr, "---- end of %s (%s) ----\n%s%s----\n", what, path, buf,
            buf[n - 1] == '\n' ? "" : "\n");
}

/* Look for "sluiced: listening on http://127.0.0.1:PORT" in the file at
 * path. Returns the port, or 0 while it is not there. */
static uint16_t bench_sluiced_port(const char *path)
{
    static const char tag[] = "sluiced: listening on http://127.0.0.1:";
    char line[512];
    unsigned long p = 0;
    FILE *fp = fopen(path, "r");

    if (fp == NULL)
        return 0;
    while (fgets(line, sizeof line, fp) != NULL) {
        if (strncmp(line, tag, sizeof tag - 1) == 0 &&
            strchr(line, '\n') != NULL) {
            p = strtoul(line + sizeof tag - 1, NULL, 10);
            break;
        }
    }
    fclose(fp);
    return p > 0 && p < 65536 ? (uint16_t)p : 0;
}

int bench_sluiced_start(struct bench_sluiced *s, const char *exe,
                        const char *data_dir, const char *tmp, int cpu,
                        const char *const *extra, struct fault *f)
{
    static unsigned started;
    const char *argv[64];
    size_t n = 0, i;
    double end;
    int st = 0;

    memset(s, 0, sizeof s[0]);
    started++;
    snprintf(s->out_path, sizeof s->out_path, "%s/sluiced-%u.out", tmp,
             started);
    snprintf(s->err_path, sizeof s->err_path, "%s/sluiced-%u.log", tmp,
             started);
    unlink(s->out_path);
    unlink(s->err_path);
    argv[n++] = exe;
    argv[n++] = "--data-dir";
    argv[n++] = data_dir;
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--web-dir";
    argv[n++] = "";
    argv[n++] = "--rate-limit";
    argv[n++] = "0";
    argv[n++] = "--no-access-log";
    argv[n++] = "--log-level";
    argv[n++] = "warn";
    for (i = 0; extra != NULL && extra[i] != NULL && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    if (bench_proc_spawn(&s->pid, argv, cpu, s->out_path, s->err_path, f) < 0)
        return -1;
    end = bench_now() + 60;
    for (;;) {
        s->port = bench_sluiced_port(s->out_path);
        if (s->port != 0)
            return 0;
        if (bench_child_gone(s->pid, &st)) {
            s->pid = 0;
            bench_log_tail("the sluiced log", s->err_path);
            return fault_set(f, FAULT_INTERNAL, NULL, "sluiced exited "
                             "(status 0x%x) before it listened",
                             (unsigned)st);
        }
        if (bench_interrupted() || bench_now() >= end) {
            bench_proc_stop(s->pid, 5);
            s->pid = 0;
            if (bench_interrupted())
                return fault_set(f, FAULT_IO, NULL, "interrupted");
            bench_log_tail("the sluiced log", s->err_path);
            return fault_set(f, FAULT_IO, NULL, "sluiced did not say it "
                             "listens within 60 s");
        }
        bench_sleep_ms(10);
    }
}

int bench_sluiced_stop(struct bench_sluiced *s)
{
    int st;

    if (s->pid == 0)
        return 0;
    st = bench_proc_stop(s->pid, 15);
    s->pid = 0;
    if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (st >= 0 && WIFSIGNALED(st))
        fprintf(stderr, "bench: sluiced died of signal %d\n", WTERMSIG(st));
    else
        fprintf(stderr, "bench: sluiced ended with status 0x%x\n",
                (unsigned)st);
    bench_log_tail("the sluiced log", s->err_path);
    return -1;
}

int bench_exe_find(char *out, size_t cap, const char *path, const char *env,
                   const char *argv0, const char *rel, const char *flag,
                   struct fault *f)
{
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

    if (path == NULL && getenv(env) != NULL && getenv(env)[0] != '\0')
        path = getenv(env);
    if (path != NULL) {
        snprintf(out, cap, "%s", path);
    } else {
        if (slash != NULL)
            snprintf(out, cap, "%.*s/../%s", (int)(slash - argv0), argv0,
                     rel);
        if (slash == NULL || access(out, X_OK) != 0)
            snprintf(out, cap, "%s", rel);
    }
    if (access(out, X_OK) != 0)
        return fault_set(f, FAULT_INVALID, flag, "%s is not an executable "
                         "(make all, or give --%s)", out, flag);
    return 0;
}

int bench_sluiced_find(char *out, size_t cap, const char *path,
                       const char *argv0, struct fault *f)
{
    return bench_exe_find(out, cap, path, "SLUICED", argv0, "build/sluiced",
                          "sluiced", f);
}

/* ---- wrk ------------------------------------------------------------ */

/* wrk's summary, exactly: the standard report rounds to 3 digits. */
static const char bench_wrk_done[] =
    "done = function(summary, latency, requests)\n"
    "  local e = summary.errors\n"
    "  io.write(string.format(\"WRK-DONE %.0f %.0f %.0f %.0f %.0f %.0f "
    "%.0f %.0f %.0f %.0f\\n\",\n"
    "    summary.requests, summary.bytes, summary.duration, e.connect,\n"
    "    e.read, e.write, e.status, e.timeout,\n"
    "    latency:percentile(50), latency:percentile(99)))\n"
    "end\n";

static int bench_write_text(const char *path, const char *a, const char *b,
                            struct fault *f)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL)
        return fault_set(f, FAULT_IO, NULL, "cannot create %s: %s", path,
                         strerror(errno));
    if ((a != NULL && fputs(a, fp) < 0) || (b != NULL && fputs(b, fp) < 0)) {
        fclose(fp);
        return fault_set(f, FAULT_IO, NULL, "cannot write %s", path);
    }
    if (fclose(fp) != 0)
        return fault_set(f, FAULT_IO, NULL, "cannot write %s", path);
    return 0;
}

static int bench_wrk_parse(struct bench_wrk *w, const char *path,
                           struct fault *f)
{
    double v[10];
    char line[1024];
    int found = 0;
    FILE *fp = fopen(path, "r");

    if (fp == NULL)
        return fault_set(f, FAULT_IO, NULL, "cannot read %s", path);
    while (fgets(line, sizeof line, fp) != NULL) {
        if (sscanf(line, "WRK-DONE %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf",
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
                   &v[8], &v[9]) == 10) {
            found = 1;
            break;
        }
    }
    fclose(fp);
    if (!found)
        return fault_set(f, FAULT_INTERNAL, NULL, "wrk printed no summary "
                         "(see %s)", path);
    w->requests = (uint64_t)v[0];
    w->bytes = (uint64_t)v[1];
    w->secs = v[2] / 1e6;
    w->err_connect = (uint64_t)v[3];
    w->err_read = (uint64_t)v[4];
    w->err_write = (uint64_t)v[5];
    w->err_status = (uint64_t)v[6];
    w->err_timeout = (uint64_t)v[7];
    w->p50_ms = v[8] / 1e3;
    w->p99_ms = v[9] / 1e3;
    return 0;
}

int bench_wrk_run(struct bench_wrk *out, const char *tmp, const char *tag,
                  uint16_t port, const char *path, const char *lua,
                  unsigned conns, unsigned secs, int cpu, struct fault *f)
{
    char script[BENCH_PATH_MAX], outp[BENCH_PATH_MAX], url[512];
    char c_arg[32], d_arg[32];
    const char *argv[16];
    double cpu_s = 0;
    pid_t pid = 0;
    int st = 0, rc;

    memset(out, 0, sizeof *out);
    snprintf(script, sizeof script, "%s/%s.lua", tmp, tag);
    snprintf(outp, sizeof outp, "%s/%s.out", tmp, tag);
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
    snprintf(c_arg, sizeof c_arg, "-c%u", conns);
    snprintf(d_arg, sizeof d_arg, "-d%us", secs);
    unlink(outp);
    if (bench_write_text(script, lua, bench_wrk_done, f) < 0)
        return -1;
    argv[0] = "wrk";
    argv[1] = "-t1";
    argv[2] = c_arg;
    argv[3] = d_arg;
    argv[4] = "--timeout";
    argv[5] = "10s";
    argv[6] = "-s";
    argv[7] = script;
    argv[8] = url;
    argv[9] = NULL;
    if (bench_proc_spawn(&pid, argv, cpu, outp, outp, f) < 0)
        return -1;
    rc = bench_proc_wait(pid, secs + 30.0, &st, &cpu_s, f);
    if (rc != 0) {
        bench_proc_stop(pid, 2);
        if (rc < 0)
            return -1;
        return fault_set(f, FAULT_IO, NULL, bench_interrupted()
                                                ? "interrupted"
                                                : "wrk did not stop by "
                                                  "itself");
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        bench_log_tail("the wrk output", outp);
        return fault_set(f, FAULT_INTERNAL, NULL, "wrk failed (status "
                         "0x%x)", (unsigned)st);
    }
    if (bench_wrk_parse(out, outp, f) < 0)
        return -1;
    out->cpu_s = cpu_s;
    return 0;
}

int bench_wrk_clean(const struct bench_wrk *w)
{
    return w->err_connect == 0 && w->err_read == 0 && w->err_write == 0 &&
           w->err_status == 0 && w->err_timeout == 0 && w->requests > 0;
}

/* ---- one request ---------------------------------------------------- */

static int bench_send_all(int fd, const void *buf, size_t len,
                          struct fault *f)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR && !bench_interrupted())
            continue;
        if (w < 0)
            return fault_set(f, FAULT_IO, NULL, "send: %s",
                             bench_interrupted() ? "interrupted"
                                                 : strerror(errno));
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int bench_send_file(int sock, int fd, uint64_t off, uint64_t len,
                           struct fault *f)
{
    off_t o = (off_t)off;

    while (len > 0) {
        size_t want = len > ((size_t)1 << 30) ? (size_t)1 << 30 : (size_t)len;
        ssize_t w = sendfile(sock, fd, &o, want);
        if (w < 0 && errno == EINTR && !bench_interrupted())
            continue;
        if (w <= 0)
            return fault_set(f, FAULT_IO, NULL, "sendfile: %s",
                             w == 0 ? "the file is too short"
                             : bench_interrupted() ? "interrupted"
                                                   : strerror(errno));
        len -= (uint64_t)w;
    }
    return 0;
}

void bench_http_reply_clear(struct bench_http_reply *r)
{
    if (r == NULL)
        return;
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

int bench_http_do(struct bench_http_reply *r, uint16_t port,
                  const char *method, const char *target, const char *headers,
                  const void *body, size_t body_len, int body_fd,
                  uint64_t body_off, double timeout_s, struct fault *f)
{
    struct sockaddr_in sa;
    struct timeval tv;
    char *head = NULL, *buf = NULL, *end;
    size_t used = 0, cap = 1 << 16, hlen;
    int one = 1, n;
    int fd = -1;
    int rv = -1;

    memset(r, 0, sizeof *r);
    hlen = strlen(method) + strlen(target) + (headers ? strlen(headers) : 0) +
           200;
    head = malloc(hlen);
    buf = malloc(cap + 1);
    if (head == NULL || buf == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    n = snprintf(head, hlen, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                 "Connection: close\r\n", method, target, (unsigned)port);
    if (body_len > 0 || strcmp(method, "PUT") == 0 ||
        strcmp(method, "POST") == 0)
        n += snprintf(head + n, hlen - (size_t)n, "Content-Length: %zu\r\n",
                      body_len);
    snprintf(head + n, hlen - (size_t)n, "%s\r\n", headers ? headers : "");
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fault_set(f, FAULT_IO, NULL, "socket: %s", strerror(errno));
        goto done;
    }
    tv.tv_sec = (time_t)timeout_s;
    tv.tv_usec = (suseconds_t)((timeout_s - (double)tv.tv_sec) * 1e6);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bench_loopback(&sa, port);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fault_set(f, FAULT_IO, NULL, "connect to 127.0.0.1:%u: %s",
                  (unsigned)port, strerror(errno));
        goto done;
    }
    if (bench_send_all(fd, head, strlen(head), f) < 0)
        goto done;
    if (body_len > 0 &&
        (body_fd >= 0 ? bench_send_file(fd, body_fd, body_off, body_len, f)
                      : bench_send_all(fd, body, body_len, f)) < 0)
        goto done;
    for (;;) {
        ssize_t got;

        if (used == cap) {
            char *nb;
            if (cap >= ((size_t)256 << 20)) {
                fault_set(f, FAULT_TOO_LARGE, NULL, "the answer is too "
                                                    "large");
                goto done;
            }
            nb = realloc(buf, cap * 2 + 1);
            if (nb == NULL) {
                fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        got = recv(fd, buf + used, cap - used, 0);
        if (got < 0 && errno == EINTR && !bench_interrupted())
            continue;
        if (got < 0) {
            fault_set(f, FAULT_IO, NULL, "%s %s: no answer: %s", method,
                      target,
                      bench_interrupted() ? "interrupted" : strerror(errno));
            goto done;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    buf[used] = '\0';
    end = strstr(buf, "\r\n\r\n");
    if (end == NULL || sscanf(buf, "HTTP/1.%*c %d", &r->status) != 1) {
        fault_set(f, FAULT_IO, NULL, "%s %s: a malformed answer", method,
                  target);
        goto done;
    }
    r->head = strndup(buf, (size_t)(end - buf));
    r->body_len = used - (size_t)(end + 4 - buf);
    r->body = malloc(r->body_len + 1);
    if (r->head == NULL || r->body == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    memcpy(r->body, end + 4, r->body_len);
    r->body[r->body_len] = '\0';
    rv = 0;
done:
    if (fd >= 0)
        close(fd);
    free(head);
    free(buf);
    if (rv != 0)
        bench_http_reply_clear(r);
    return rv;
}

int bench_sign_headers(char out[BENCH_SIGN_HEADERS_MAX],
                       const struct ethkey *key, const char *method,
                       const char *target, const uint8_t body_sha256[32],
                       int64_t ts, const char *nonce, struct fault *f)
{
    char tstext[24], sig[ETHSIG_TEXT_SIZE];
    char *msg = NULL;
    size_t len = 0;
    int n;

    out[0] = '\0';
    snprintf(tstext, sizeof tstext, "%lld", (long long)ts);
    if (reqsig_message_hashed(&msg, &len, method, target, strlen(target),
                              body_sha256, tstext, nonce, f) < 0)
        return -1;
    if (reqsig_sign(sig, key, msg, len, f) < 0) {
        free(msg);
        return -1;
    }
    free(msg);
    n = snprintf(out, BENCH_SIGN_HEADERS_MAX,
                 REQSIG_HEADER_TIMESTAMP ": %s\r\n" REQSIG_HEADER_NONCE
                 ": %s\r\n" REQSIG_HEADER_SIGNATURE ": %s\r\n",
                 tstext, nonce, sig);
    if (n < 0 || n >= BENCH_SIGN_HEADERS_MAX) {
        out[0] = '\0';
        return fault_set(f, FAULT_INVALID, "nonce", "the nonce is too long");
    }
    return 0;
}

int bench_sha256(uint8_t out[32], const void *data, size_t len,
                 struct fault *f)
{
    unsigned int dlen = 0;

    if (EVP_Digest(data, len, out, &dlen, EVP_sha256(), NULL) != 1) {
        memset(out, 0, 32);
        return fault_set(f, FAULT_INTERNAL, NULL, "SHA-256 failed");
    }
    return 0;
}

int bench_sha256_fd(uint8_t out[32], int fd, uint64_t off, uint64_t len,
                    uint8_t *buf, size_t cap, struct fault *f)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rv = -1;

    memset(out, 0, 32);
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        fault_set(f, FAULT_INTERNAL, NULL, "SHA-256 failed");
        goto done;
    }
    while (len > 0) {
        size_t want = len < cap ? (size_t)len : cap;
        ssize_t r = pread(fd, buf, want, (off_t)off);
        if (r < 0 && errno == EINTR && !bench_interrupted())
            continue;
        if (r <= 0) {
            fault_set(f, FAULT_IO, NULL, "read: %s",
                      r == 0 ? "the file is too short" : strerror(errno));
            goto done;
        }
        EVP_DigestUpdate(md, buf, (size_t)r);
        off += (uint64_t)r;
        len -= (uint64_t)r;
    }
    if (EVP_DigestFinal_ex(md, out, NULL) != 1) {
        fault_set(f, FAULT_INTERNAL, NULL, "SHA-256 failed");
        goto done;
    }
    rv = 0;
done:
    EVP_MD_CTX_free(md);
    return rv;
}
