/*
 * bench_http: what the HTTP benchmarks of sluiced share.
 *
 * - Child processes (sluiced, wrk, nginx, a reference server forked from
 *   the benchmark itself) are registered by pid when started and stopped
 *   by pid on every way out: bench_proc_stop_all from main's single exit,
 *   and PR_SET_PDEATHSIG (SIGTERM) should the benchmark itself be killed.
 * - Each may be pinned to one CPU (sched_setaffinity), so that the load
 *   generator and the server each have a core of a 2-core machine.
 * - A published data-set is made directly in a data dir (storage), before
 *   the gateway that will serve it is started.
 * - wrk runs bounded in time with a Lua done() that prints exact counts.
 * - One blocking HTTP/1.1 request at a time for setup and control, and the
 *   signature headers of DESIGN.md 3.1.
 *
 * All traffic goes to 127.0.0.1. Nothing here asserts on a timing.
 */
#ifndef SLUICE_BENCH_BENCH_HTTP_H
#define SLUICE_BENCH_BENCH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "bench/bench_util.h"
#include "lib/ethkey.h"
#include "lib/fault.h"
#include "storage/splitter.h"

/* No pinning: the child may run on any CPU. */
#define BENCH_CPU_ANY (-1)

/* Format a path into out (cap bytes). Returns 0, or -1 with out = "" and
 * f set when it does not fit. */
int bench_pathf(char *out, size_t cap, struct fault *f, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), warn_unused_result));

/* ---- processes ------------------------------------------------------ */

/* Pin the calling thread (and the threads and children it makes from now
 * on) to CPU cpu; BENCH_CPU_ANY undoes any pinning. Returns 0, or -1 with
 * f set (no such CPU). */
int bench_cpu_pin(int cpu, struct fault *f) __attribute__((warn_unused_result));

/* Return the number of online CPUs (at least 1). */
int bench_cpu_count(void);

/* Print a warning when the 1-minute load average says that other work
 * shares the CPUs: the figures are then low and noisy, though the ratios
 * and the per-CPU-second figures suffer less. */
void bench_warn_busy(void);

/* Start argv[0] (looked up in PATH) with argv (NULL-terminated) in a child
 * pinned to cpu, with its standard output and error appended to out_path
 * and err_path (NULL: /dev/null), signals as exec gives them (SIGPIPE
 * stays ignored: see bench/README.md) and SIGTERM sent to it if we die.
 * The child is registered for bench_proc_stop_all. Returns 0 with *pid
 * set; on failure -1 with *pid = 0 and f set (a program that cannot be
 * executed shows as an early exit with status 127). */
int bench_proc_spawn(pid_t *pid, const char *const *argv, int cpu,
                     const char *out_path, const char *err_path,
                     struct fault *f) __attribute__((warn_unused_result));

/* Run fn(arg) in a forked child pinned to cpu, with SIGINT, SIGTERM and
 * SIGHUP at their defaults (SIGPIPE stays ignored, as for
 * bench_proc_spawn) and SIGTERM sent to it if we die; the child exits
 * with 0 when fn returns 0, else 1. Registered like bench_proc_spawn.
 * Returns 0 with *pid set, or -1 with *pid = 0 and f set. */
int bench_proc_fork(pid_t *pid, int (*fn)(void *arg), void *arg, int cpu,
                    struct fault *f) __attribute__((warn_unused_result));

/* Wait up to timeout_s seconds for child pid to exit, polling, and reap
 * it (it is then unregistered). Returns 0 with *status (wait status) and
 * *cpu_s (its user + system CPU seconds; either may be NULL) set; 1 when
 * it is still running at the timeout or an interruption arrived
 * (bench_interrupted); -1 with f set when pid is not our child. */
int bench_proc_wait(pid_t pid, double timeout_s, int *status, double *cpu_s,
                    struct fault *f) __attribute__((warn_unused_result));

/* As bench_proc_wait, with the child's resource usage (wait4's: ru_maxrss
 * is its peak resident set in KiB) in *ru (may be NULL; zeroed unless it
 * returns 0) instead of its CPU seconds. */
int bench_proc_wait_ru(pid_t pid, double timeout_s, int *status,
                       struct rusage *ru, struct fault *f)
    __attribute__((warn_unused_result));

/* Stop child pid: SIGTERM, up to grace_s seconds, then SIGKILL; reap and
 * unregister it. Returns its wait status, or -1 when it was not ours. pid
 * 0 is a no-op (returns -1). */
int bench_proc_stop(pid_t pid, double grace_s);

/* Stop every registered child (as bench_proc_stop, 5 s grace each). */
void bench_proc_stop_all(void);

/* Return the CPU seconds (user + system, all threads) that process pid
 * has used so far, from /proc/<pid>/stat, or -1 when unreadable. */
double bench_proc_cpu(pid_t pid);

/* Return field ("VmHWM", "VmRSS", ...) of /proc/<pid>/status in KiB, or -1
 * when unreadable. */
long bench_proc_status_kib(pid_t pid, const char *field);

/* ---- ports ---------------------------------------------------------- */

/* Find a TCP port on 127.0.0.1 that is free right now (bind port 0, read
 * it back, close). Returns 0 with *port set, or -1 with f set. */
int bench_port_free(uint16_t *port, struct fault *f)
    __attribute__((warn_unused_result));

/* Make a listening, non-blocking TCP socket on 127.0.0.1 port 0 (backlog
 * 1024). Returns 0 with *fd and *port set, or -1 with f set. */
int bench_port_listen(int *fd, uint16_t *port, struct fault *f)
    __attribute__((warn_unused_result));

/* Wait up to timeout_s seconds until 127.0.0.1:port accepts a connection,
 * failing early when child pid (0: none) exits. Returns 0, or -1 with f
 * set. */
int bench_port_wait(uint16_t port, pid_t pid, double timeout_s,
                    struct fault *f) __attribute__((warn_unused_result));

/* ---- a published data-set ------------------------------------------- */

struct bench_dataset {
    uint8_t id[32];
    char id_text[67];               /* "0x" + 64 hex digits */
    uint64_t rows;
    size_t nobjects;
    char (*objects)[65];            /* object ids in chunk order */
    uint64_t *object_bytes;         /* their stored sizes */
};

/* Open (creating) the data dir data_dir, create a listed data-set owned by
 * owner (EIP-55 text or NULL) with the given format, chunk size and zlib
 * level, ingest file into it (all cores), give it the price plan
 * price_json (NULL: none), publish it and close the dir again. Returns 0
 * with *out filled (bench_dataset_clear frees it); on failure -1 with *out
 * zeroed and f set. */
int bench_dataset_publish(struct bench_dataset *out, const char *data_dir,
                          const char *file, enum splitter_format format,
                          uint64_t chunk_bytes, int level, const char *owner,
                          const char *price_json, struct fault *f)
    __attribute__((warn_unused_result));

/* Free what d holds and zero it. d may be NULL. */
void bench_dataset_clear(struct bench_dataset *d);

/* Write a file of exactly bytes pseudo-random (incompressible) bytes to
 * path: the same size gives the same bytes. Returns 0, or -1 with f set
 * and the file removed. */
int bench_blob_generate(const char *path, uint64_t bytes, struct fault *f)
    __attribute__((warn_unused_result));

/* ---- sluiced -------------------------------------------------------- */

struct bench_sluiced {
    pid_t pid;
    uint16_t port;
    char out_path[BENCH_PATH_MAX];  /* its stdout */
    char err_path[BENCH_PATH_MAX];  /* its stderr (the log) */
};

/* Start exe (build/sluiced) serving data_dir on 127.0.0.1 port 0, pinned
 * to cpu, with no web root, no rate limit, no access log and log level
 * warn, plus the NULL-terminated extra flags (may be NULL); its output
 * goes to files under tmp. Waits (up to 60 s) for its "listening on" line
 * and reads the port from it. Returns 0 with *s set; on failure -1 with f
 * set (the child stopped; the end of its log on stderr). */
int bench_sluiced_start(struct bench_sluiced *s, const char *exe,
                        const char *data_dir, const char *tmp, int cpu,
                        const char *const *extra, struct fault *f)
    __attribute__((warn_unused_result));

/* Stop s (SIGTERM, 15 s grace, then SIGKILL). Returns 0 when it exited by
 * itself with status 0, else -1 (a note and the end of its log are then on
 * stderr). s->pid 0 is a no-op returning 0. */
int bench_sluiced_stop(struct bench_sluiced *s);

/* Find the gateway: path when given, else $SLUICED when set, else
 * build/sluiced beside the folder of the benchmark
 * (argv0/../build/sluiced), else ./build/sluiced. Writes it to out.
 * Returns 0, or -1 with f set when it is not executable. */
int bench_sluiced_find(char *out, size_t cap, const char *path,
                       const char *argv0, struct fault *f)
    __attribute__((warn_unused_result));

/* Find a program of the checkout as bench_sluiced_find finds sluiced: path
 * when given, else $<env> when set, else argv0/../<rel>, else ./<rel>
 * (rel e.g. "build/sluice"); flag names the benchmark's flag for it in
 * the message. Returns 0 with out set, or -1 with f set when it is not
 * executable. */
int bench_exe_find(char *out, size_t cap, const char *path, const char *env,
                   const char *argv0, const char *rel, const char *flag,
                   struct fault *f) __attribute__((warn_unused_result));

/* ---- wrk ------------------------------------------------------------ */

struct bench_wrk {
    uint64_t requests;         /* responses read */
    uint64_t bytes;            /* bytes read, headers included */
    double secs;               /* wrk's measured duration */
    uint64_t err_connect, err_read, err_write, err_status, err_timeout;
    double p50_ms, p99_ms;     /* latency percentiles */
    double cpu_s;              /* CPU seconds wrk used */
};

/* Run `wrk -t1 -c conns -d secs --timeout 10s` against
 * http://127.0.0.1:port<path>, pinned to cpu, with a Lua script written to
 * tmp/<tag>.lua holding lua (may be NULL: a fixed request; else e.g. a
 * request() function) and a done() that prints exact counts. wrk stops by
 * itself; it is killed if it has not after secs + 30 s. Returns 0 with *out
 * set; on failure -1 with f set. */
int bench_wrk_run(struct bench_wrk *out, const char *tmp, const char *tag,
                  uint16_t port, const char *path, const char *lua,
                  unsigned conns, unsigned secs, int cpu, struct fault *f)
    __attribute__((warn_unused_result));

/* Return 1 when a wrk run had no errors of any kind, else 0. */
int bench_wrk_clean(const struct bench_wrk *w);

/* ---- one request ---------------------------------------------------- */

struct bench_http_reply {
    int status;
    char *head;                /* status line and headers, NUL-terminated */
    char *body;                /* NUL-terminated after body_len bytes */
    size_t body_len;
};

/* Send one HTTP/1.1 request to 127.0.0.1:port on a new connection
 * (Connection: close) and read the answer (Content-Length or to EOF).
 * headers holds extra header lines, each ending in "\r\n" (may be NULL).
 * The body is body[0..body_len) or, when body_fd >= 0, body_len bytes of
 * body_fd from offset body_off (sent with sendfile). Gives up after
 * timeout_s seconds of silence. Returns 0 with *r set (bench_http_reply_clear
 * frees it); on failure -1 with *r zeroed and f set. */
int bench_http_do(struct bench_http_reply *r, uint16_t port,
                  const char *method, const char *target, const char *headers,
                  const void *body, size_t body_len, int body_fd,
                  uint64_t body_off, double timeout_s, struct fault *f)
    __attribute__((warn_unused_result));

/* Free what r holds and zero it. r may be NULL. */
void bench_http_reply_clear(struct bench_http_reply *r);

/* The room bench_sign_headers needs. */
#define BENCH_SIGN_HEADERS_MAX 320

/* Write the X-Sluice-Timestamp, -Nonce and -Signature header lines (each
 * ending in "\r\n") of a request signed by key (DESIGN.md 3.1) to out:
 * method, target as sent, the SHA-256 of its body, the timestamp ts and
 * nonce (16 to 64 of [A-Za-z0-9_-]). Returns 0, or -1 with out = "" and f
 * set. */
int bench_sign_headers(char out[BENCH_SIGN_HEADERS_MAX],
                       const struct ethkey *key, const char *method,
                       const char *target, const uint8_t body_sha256[32],
                       int64_t ts, const char *nonce, struct fault *f)
    __attribute__((warn_unused_result));

/* Put the SHA-256 of data[0..len) in out. Returns 0, or -1 with f set. */
int bench_sha256(uint8_t out[32], const void *data, size_t len,
                 struct fault *f) __attribute__((warn_unused_result));

/* Put the SHA-256 of len bytes of fd from offset off in out, reading
 * through buf (cap bytes). Returns 0, or -1 with f set. */
int bench_sha256_fd(uint8_t out[32], int fd, uint64_t off, uint64_t len,
                    uint8_t *buf, size_t cap, struct fault *f)
    __attribute__((warn_unused_result));

#endif
