/*
 * bench_util: what every benchmark in bench/ shares.
 *
 * Flags come from a table; time comes from CLOCK_MONOTONIC; a figure is
 * the median of several runs; input is a deterministic sensor-like CSV
 * written into a fresh temporary folder that is removed on every way out
 * (including Ctrl-C); heavy work may run in a forked child so that its
 * peak RSS can be read back with wait4. Each benchmark ends with exactly
 * one line `RESULT <name> ours=<x> <unit> limit=<y> <unit> ratio=<x/y>`
 * (DESIGN.md 6). Nothing here asserts on a timing.
 */
#ifndef SLUICE_BENCH_BENCH_UTIL_H
#define SLUICE_BENCH_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

/* The bytes in one MiB (sizes) and in one MB (rates). */
#define BENCH_MIB ((uint64_t)1 << 20)
#define BENCH_MB 1e6
/* The longest path a benchmark builds. */
#define BENCH_PATH_MAX 4096

enum bench_flag_type {
    BENCH_FLAG_UINT, /* value points to a uint64_t */
    BENCH_FLAG_STR   /* value points to a const char * */
};

/* One command-line flag: --name VALUE or --name=VALUE. */
struct bench_flag {
    const char *name;        /* without the dashes */
    enum bench_flag_type type;
    void *value;             /* holds the default on entry */
    uint64_t min, max;       /* bounds of a BENCH_FLAG_UINT */
    const char *help;
};

/* Parse argv against the n flags of table, storing each value given.
 * Returns 0 when the program should go on, 1 when --help was asked for
 * (the usage, built from the table with about as its first line, is then
 * on stdout), or -1 with f naming the bad flag (the values are then
 * unspecified). */
int bench_flags_parse(const struct bench_flag *table, size_t n, int argc,
                      char **argv, const char *about, struct fault *f)
    __attribute__((warn_unused_result));

/* Return the CLOCK_MONOTONIC time in seconds. */
double bench_now(void);

/* Return the CPU time this process has used so far, all threads, in
 * seconds (CLOCK_PROCESS_CPUTIME_ID): beside the wall time it shows whether
 * a run had its cores to itself. */
double bench_cpu_now(void);

/* Print "load average <1 min> <5 min> <15 min> (<when>)" from
 * /proc/loadavg, or nothing where there is none. */
void bench_print_load(const char *when);

/* Return the median of the n (>= 1) values at v (v is sorted in place;
 * the mean of the two middle values when n is even). */
double bench_median(double *v, size_t n);

/* Write a deterministic sensor-like CSV of at most max_bytes (whole rows,
 * header `ts,sensor,temp,pressure,humidity,voltage,status`) to path,
 * creating or truncating it. The same max_bytes always gives the same
 * bytes; values drift like real sensors, so that zlib level 1 shrinks it
 * about threefold. Returns 0 with *written set; on failure -1 with
 * *written = 0, f set and the file removed (FAULT_IO "interrupted" when
 * bench_interrupted() became true while writing). */
int bench_csv_generate(const char *path, uint64_t max_bytes,
                       uint64_t *written, struct fault *f)
    __attribute__((warn_unused_result));

/* Read the whole file path once and throw the bytes away, so that later
 * timed reads find it in the page cache. Returns 0 with *size set; on
 * failure -1 with *size = 0 and f set. */
int bench_file_warm(const char *path, uint64_t *size, struct fault *f)
    __attribute__((warn_unused_result));

/* Create a fresh folder "sluice-bench-XXXXXX" under parent (NULL: $TMPDIR,
 * else /tmp) and put its path in out (cap bytes). Returns 0; on failure -1
 * with out = "" and f set. */
int bench_tmpdir_make(char *out, size_t cap, const char *parent,
                      struct fault *f) __attribute__((warn_unused_result));

/* Remove path and everything below it, without following symlinks. path
 * may be "" or missing (nothing happens). Returns 0, or -1 when something
 * could not be removed (a warning is then on stderr). */
int bench_tree_remove(const char *path);

/* Make SIGINT, SIGTERM and SIGHUP set a flag instead of killing us, so that
 * a benchmark stops at its next check and removes its temporary folder;
 * ignore SIGPIPE for the same reason. */
void bench_signals_install(void);

/* Return 1 once one of those signals has arrived, else 0. */
int bench_interrupted(void);

/* A piece of work to run in a child process: fill out (outlen bytes, zeroed
 * on entry) and return 0, or -1 (out may then carry a message). */
typedef int (*bench_child_fn)(void *arg, void *out, size_t outlen);

/* Run fn(arg, out, outlen) in a forked child, copy its out back into out
 * and put the child's peak resident set (ru_maxrss, KiB) in *maxrss_kib.
 * The child has default signal dispositions. Returns 0 when the child
 * returned 0 and its out arrived whole; otherwise -1 with f set (out then
 * holds what arrived, zeros past it). An interruption kills the child. */
int bench_child_run(bench_child_fn fn, void *arg, void *out, size_t outlen,
                    long *maxrss_kib, struct fault *f)
    __attribute__((warn_unused_result));

/* Compare the files a and b byte for byte. Returns 0 when they are equal
 * (*size their length); 1 when they differ, with *size the offset of the
 * first byte that does (the shorter one's length when one is a prefix of
 * the other) and f saying so; -1 with f set when one cannot be read. */
int bench_file_compare(const char *a, const char *b, uint64_t *size,
                       struct fault *f) __attribute__((warn_unused_result));

/* ---- the AES-GCM + inflate limit (bench/read, bench/story) ----------- */

/* A stored chunk object (DESIGN.md 3.4), in memory, with its chunk key. */
struct bench_object {
    uint8_t *data;     /* the whole object: header, ciphertext, tag */
    size_t len;
    uint64_t index;
    uint8_t ck[32];
};

/* Open every step-th object of v[0..n), from v[first] on (AES-256-GCM
 * under its chunk key, AAD its 36-byte header and dataset_id), and inflate
 * it when it is compressed (one z_stream, reset per object), into payload
 * and plain: buffers at least as large as the largest object and the
 * largest plaintext. Nothing else: no reading, no hashing, no allocation
 * per object. This is the limit of reading a data-set back. Returns 0 with
 * *bytes the plaintext bytes made; on failure -1 with f set (an object
 * that does not open or inflate to its length, or FAULT_IO "interrupted"
 * when bench_interrupted() became true). */
int bench_objects_open(const struct bench_object *v, size_t n, size_t first,
                       size_t step, const uint8_t dataset_id[32],
                       uint8_t *payload, uint8_t *plain, uint64_t *bytes,
                       struct fault *f) __attribute__((warn_unused_result));

/* Wipe the keys of v[0..n), free each object's data and v itself. v may be
 * NULL. */
void bench_objects_free(struct bench_object *v, size_t n);

/* Return 10^6-byte units per second for bytes moved in secs (0 if secs is
 * not positive). */
double bench_mbps(uint64_t bytes, double secs);

/* Print the closing line: `RESULT name ours=%.3f unit limit=%.3f unit
 * ratio=%.3f` (ratio 0 when limit is 0), and flush stdout. */
void bench_result(const char *name, double ours, double limit,
                  const char *unit);

#endif
