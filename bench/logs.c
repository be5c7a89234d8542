/*
 * bench/logs: how fast the gateway decodes Purchased logs, beside ethers
 * v6's Interface.parseLog on the same logs in the same run.
 *
 * The input is a JSON file of real logs from anvil, made (and cached under
 * $TMPDIR) by bench/gen_logs.py unless --file names one: every log is a
 * distinct real log, none copied. Both sides parse the file first, outside
 * the clock; then each run decodes every log from its JSON strings:
 *   ours struct   hex to bytes (4 topics, 96 bytes of data) and
 *                 abi_decode_purchased into a struct abi_purchased, as the
 *                 chain follower will;
 *   ours text     the same, then the values in ethers' representation:
 *                 EIP-55 address text (a Keccak-256 each), 0x-hex bytes32
 *                 text, the amount as a 256-bit integer (ethers: BigInt);
 *   ethers        node bench/logs_ethers.js: Interface.parseLog on
 *                 {topics, data} and its args copied out.
 * Untimed, both sides then hash one line per log (lowercase hex, decimal
 * amount) and the digests must agree: the benchmark times decoding that is
 * right. The "limit" of the RESULT line is ethers' figure and the "ours"
 * is "ours text" (the same representation); each figure is the median of
 * --runs runs.
 */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench/bench_util.h"
#include "contracts-abi/abi.h"
#include "lib/hex.h"
#include "lib/log.h"

#define MAX_RUNS 99
#define LOGS_LINE_MAX 1024
#define BYTES32_TEXT (2 * ABI_WORD_LEN + 3)

/* One log as the JSON file holds it: strings borrowed from the document. */
struct log_text {
    const char *topic[ABI_PURCHASED_TOPICS];
    size_t topic_len[ABI_PURCHASED_TOPICS];
    size_t n_topics;
    const char *data;
    size_t data_len;
};

/* A decoded log in ethers' representation. */
struct log_values {
    char dataset_id[BYTES32_TEXT];
    char worker[ETHADDR_TEXT_SIZE], payer[ETHADDR_TEXT_SIZE],
        owner[ETHADDR_TEXT_SIZE];
    struct u256 amount;
    char ref[BYTES32_TEXT];
};

/* Borrow the topics and data of the first n logs of doc. */
static int logs_load(struct log_text *out, size_t n, const json_t *doc,
                     struct fault *f)
{
    const json_t *logs = json_object_get(doc, "logs");

    if (!json_is_array(logs) || json_array_size(logs) < n)
        return fault_set(f, FAULT_INVALID, "logs", "the file holds fewer "
                         "than %zu logs", n);
    for (size_t i = 0; i < n; i++) {
        const json_t *l = json_array_get(logs, i);
        const json_t *t = json_object_get(l, "topics");
        const json_t *d = json_object_get(l, "data");

        if (!json_is_array(t) || json_array_size(t) > ABI_PURCHASED_TOPICS ||
            !json_is_string(d))
            return fault_set(f, FAULT_INVALID, "logs", "log %zu has no data "
                             "or more than %d topics", i,
                             ABI_PURCHASED_TOPICS);
        out[i].n_topics = json_array_size(t);
        for (size_t k = 0; k < out[i].n_topics; k++) {
            const json_t *s = json_array_get(t, k);

            if (!json_is_string(s))
                return fault_set(f, FAULT_INVALID, "logs",
                                 "log %zu: a topic is not a string", i);
            out[i].topic[k] = json_string_value(s);
            out[i].topic_len[k] = json_string_length(s);
        }
        out[i].data = json_string_value(d);
        out[i].data_len = json_string_length(d);
    }
    return 0;
}

/* Decode one log from its text: what the chain follower does per log. */
static int decode_one(struct abi_purchased *p, const struct abi_market *m,
                      const struct log_text *l, struct fault *f)
{
    uint8_t topics[ABI_PURCHASED_TOPICS][ABI_WORD_LEN];
    uint8_t data[ABI_PURCHASED_DATA_LEN];
    size_t data_len = 0;

    for (size_t k = 0; k < l->n_topics; k++)
        if (hex_decode_0x(topics[k], ABI_WORD_LEN, l->topic[k],
                          l->topic_len[k], "topics", f) != 0)
            return -1;
    if (hex_decode_0x_var(data, sizeof data, &data_len, l->data, l->data_len,
                          "data", f) != 0)
        return -1;
    return abi_decode_purchased(p, m, (const uint8_t(*)[ABI_WORD_LEN])topics,
                                l->n_topics, data, data_len, f);
}

static int run_struct(struct abi_purchased *out, const struct abi_market *m,
                      const struct log_text *logs, size_t n, struct fault *f)
{
    for (size_t i = 0; i < n; i++)
        if (decode_one(&out[i], m, &logs[i], f) != 0)
            return -1;
    return 0;
}

static int run_text(struct log_values *out, const struct abi_market *m,
                    const struct log_text *logs, size_t n, struct fault *f)
{
    for (size_t i = 0; i < n; i++) {
        struct abi_purchased p;
        struct log_values *v = &out[i];

        if (decode_one(&p, m, &logs[i], f) != 0)
            return -1;
        if (hex_encode_0x(v->dataset_id, sizeof v->dataset_id, p.dataset_id,
                          ABI_WORD_LEN) != 0 ||
            hex_encode_0x(v->ref, sizeof v->ref, p.ref, ABI_WORD_LEN) != 0)
            return fault_set(f, FAULT_INTERNAL, NULL, "hex_encode_0x");
        ethaddr_to_text(v->worker, &p.worker);
        ethaddr_to_text(v->payer, &p.payer);
        ethaddr_to_text(v->owner, &p.owner);
        v->amount = p.amount;
    }
    return 0;
}

static void lower(char *s)
{
    for (; *s != '\0'; s++)
        if (*s >= 'A' && *s <= 'F')
            *s = (char)(*s - 'A' + 'a');
}

/* SHA-256 over "dataset_id|worker|payer|owner|amount|ref\n" per log, as
 * bench/logs_ethers.js writes it, in lowercase hex. */
static int values_digest(char out[2 * SHA256_DIGEST_LENGTH + 1],
                         const struct log_values *v, size_t n,
                         struct fault *f)
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rv = -1;

    out[0] = '\0';
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        fault_set(f, FAULT_INTERNAL, NULL, "EVP_DigestInit_ex failed");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char line[LOGS_LINE_MAX], amount[U256_DECIMAL_SIZE];
        struct log_values c = v[i];
        int k;

        lower(c.worker);
        lower(c.payer);
        lower(c.owner);
        u256_to_decimal(amount, &c.amount);
        k = snprintf(line, sizeof line, "%s|%s|%s|%s|%s|%s\n", c.dataset_id,
                     c.worker, c.payer, c.owner, amount, c.ref);
        if (EVP_DigestUpdate(ctx, line, (size_t)k) != 1) {
            fault_set(f, FAULT_INTERNAL, NULL, "EVP_DigestUpdate failed");
            goto done;
        }
    }
    if (EVP_DigestFinal_ex(ctx, d, NULL) != 1 ||
        hex_encode(out, 2 * SHA256_DIGEST_LENGTH + 1, d, sizeof d) != 0) {
        fault_set(f, FAULT_INTERNAL, NULL, "EVP_DigestFinal_ex failed");
        goto done;
    }
    rv = 0;
done:
    EVP_MD_CTX_free(ctx);
    return rv;
}

/* Run a shell command and keep the last line of its stdout in last (cap
 * bytes), echoing every line indented when echo is set. */
static int run_command(char *last, size_t cap, const char *cmd, int echo,
                       struct fault *f)
{
    char line[LOGS_LINE_MAX];
    FILE *p = popen(cmd, "r");
    int status;

    last[0] = '\0';
    if (p == NULL)
        return fault_set(f, FAULT_IO, NULL, "cannot run: %s", cmd);
    while (fgets(line, sizeof line, p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (echo)
            printf("%s\n", line);
        snprintf(last, cap, "%s", line);
    }
    fflush(stdout);
    status = pclose(p);
    if (status != 0)
        return fault_set(f, FAULT_IO, NULL, "failed (status %d): %s", status,
                         cmd);
    return 0;
}

/* A path we pass to the shell between single quotes. */
static int quotable(const char *s, struct fault *f)
{
    if (strchr(s, '\'') != NULL || strlen(s) > BENCH_PATH_MAX - 64)
        return fault_set(f, FAULT_INVALID, "file", "the path may not hold a "
                         "single quote");
    return 0;
}

enum { K_STRUCT, K_TEXT, K_COUNT };

static const char *const labels[K_COUNT] = {"ours struct", "ours text"};

static const char about[] =
    "bench/logs: decoding real Purchased logs (hex + ABI) beside ethers v6 "
    "Interface.parseLog";

int main(int argc, char **argv)
{
    uint64_t n = 100000, runs = 5, ethers_runs = 3, mib = 0, level = 0;
    const char *file = NULL, *node = "node", *dir = NULL;
    const struct bench_flag flags[] = {
        {"logs", BENCH_FLAG_UINT, &n, 1, 10000000, "logs to decode"},
        {"runs", BENCH_FLAG_UINT, &runs, 1, MAX_RUNS,
         "runs of ours; figures are medians"},
        {"ethers-runs", BENCH_FLAG_UINT, &ethers_runs, 1, MAX_RUNS,
         "runs of ethers (about 25 s each for 100000 logs)"},
        {"file", BENCH_FLAG_STR, &file, 0, 0,
         "JSON file of logs (default: made by bench/gen_logs.py, cached in "
         "$TMPDIR)"},
        {"node", BENCH_FLAG_STR, &node, 0, 0, "the node executable"},
        {"dir", BENCH_FLAG_STR, &dir, 0, 0,
         "folder of the cached logs file (default $TMPDIR or /tmp)"},
        /* bench/run.sh passes BENCH_ARGS to every benchmark, and they all
         * take these two; logs have no size or zlib level. */
        {"mib", BENCH_FLAG_UINT, &mib, 0, 65536, "ignored here (run.sh)"},
        {"level", BENCH_FLAG_UINT, &level, 0, 9, "ignored here (run.sh)"},
    };
    char path[BENCH_PATH_MAX], cmd[2 * BENCH_PATH_MAX], last[LOGS_LINE_MAX];
    char ours_digest[2 * SHA256_DIGEST_LENGTH + 1];
    char ethers_digest[2 * SHA256_DIGEST_LENGTH + 1] = "";
    char ethers_version[32] = "";
    double rate[K_COUNT][MAX_RUNS], med[K_COUNT], ethers = 0;
    struct abi_purchased *out_struct = NULL;
    struct log_values *out_text = NULL;
    struct log_text *logs = NULL;
    struct abi_market m;
    json_error_t err;
    json_t *doc = NULL;
    struct fault f;
    size_t abi_len = 0;
    const char *abi_json;
    double t0;
    int rc, rv = 1;

    fault_clear(&f);
    rc = bench_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv,
                           about, &f);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "bench/logs: %s\n", f.detail);
        return rc < 0 ? 2 : 0;
    }
    log_set_level(LOG_WARN);
    bench_signals_install();
    abi_json = abi_market_json(&abi_len);
    if (abi_market_load(&m, abi_json, abi_len, &f) != 0)
        goto done;

    /* The input: real logs from anvil. */
    if (file == NULL) {
        t0 = bench_now();
        if (dir != NULL) {
            if (quotable(dir, &f) != 0)
                goto done;
            snprintf(cmd, sizeof cmd, "python3 bench/gen_logs.py --count %llu "
                     "--out '%s/sluice-bench-logs-%llu.json'",
                     (unsigned long long)n, dir, (unsigned long long)n);
        } else {
            snprintf(cmd, sizeof cmd, "python3 bench/gen_logs.py --count "
                     "%llu", (unsigned long long)n);
        }
        if (run_command(last, sizeof last, cmd, 0, &f) != 0)
            goto done;
        snprintf(path, sizeof path, "%s", last);
        printf("logs file %s (bench/gen_logs.py, %.1f s; cached)\n", path,
               bench_now() - t0);
    } else {
        snprintf(path, sizeof path, "%s", file);
    }
    if (quotable(path, &f) != 0)
        goto done;
    printf("bench/logs: %llu real Purchased logs from %s, %llu runs ours, "
           "%llu runs ethers\n", (unsigned long long)n, path,
           (unsigned long long)runs, (unsigned long long)ethers_runs);
    fflush(stdout);
    bench_print_load("start");

    /* Parse the file (not timed). */
    t0 = bench_now();
    doc = json_load_file(path, 0, &err);
    if (doc == NULL) {
        fault_set(&f, FAULT_INVALID, "file", "%s: %s", path, err.text);
        goto done;
    }
    logs = calloc((size_t)n, sizeof *logs);
    out_struct = calloc((size_t)n, sizeof *out_struct);
    out_text = calloc((size_t)n, sizeof *out_text);
    if (logs == NULL || out_struct == NULL || out_text == NULL) {
        fault_set(&f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (logs_load(logs, (size_t)n, doc, &f) != 0)
        goto done;
    printf("parsed the JSON in %.2f s (not timed)\n", bench_now() - t0);

    for (size_t r = 0; r < runs; r++) {
        for (int k = 0; k < K_COUNT; k++) {
            double secs;

            if (bench_interrupted()) {
                fault_set(&f, FAULT_IO, NULL, "interrupted");
                goto done;
            }
            t0 = bench_now();
            rc = k == K_STRUCT
                     ? run_struct(out_struct, &m, logs, (size_t)n, &f)
                     : run_text(out_text, &m, logs, (size_t)n, &f);
            secs = bench_now() - t0;
            if (rc != 0)
                goto done;
            rate[k][r] = secs > 0 ? (double)n / secs : 0;
            printf("  run %zu %-12s %12.0f logs/s  %7.4f s\n", r + 1,
                   labels[k], rate[k][r], secs);
            fflush(stdout);
        }
    }
    if (values_digest(ours_digest, out_text, (size_t)n, &f) != 0)
        goto done;

    /* ethers, in the same run. */
    snprintf(cmd, sizeof cmd, "'%s' bench/logs_ethers.js '%s' %llu %llu",
             node, path, (unsigned long long)n,
             (unsigned long long)ethers_runs);
    if (quotable(node, &f) != 0 || quotable(path, &f) != 0 ||
        run_command(last, sizeof last, cmd, 1, &f) != 0)
        goto done;
    if (sscanf(last, "ETHERS version=%31s median=%lf digest=%64s",
               ethers_version, &ethers, ethers_digest) != 3) {
        fault_set(&f, FAULT_IO, NULL, "bench/logs_ethers.js printed no "
                  "ETHERS line");
        goto done;
    }
    if (strcmp(ours_digest, ethers_digest) != 0) {
        fault_set(&f, FAULT_CORRUPT, NULL, "ours and ethers decode the logs "
                  "differently (digest %.16s... against %.16s...)",
                  ours_digest, ethers_digest);
        goto done;
    }
    printf("decoded values agree with ethers (SHA-256 over every log's "
           "values %.16s...)\n", ours_digest);
    bench_print_load("end");
    for (int k = 0; k < K_COUNT; k++) {
        med[k] = bench_median(rate[k], (size_t)runs);
        printf("%-28s %12.0f logs/s (median)\n", labels[k], med[k]);
    }
    printf("%-28s %12.0f logs/s (median)\n", "ethers Interface.parseLog",
           ethers);
    printf("ethers %s is the limit here (the reference decoder, not a "
           "hardware bound); ours is \"ours text\", the values in ethers' "
           "representation; goal >= 50x\n", ethers_version);
    printf("ours struct: ours=%.3f logs/s limit=%.3f logs/s ratio=%.3f\n",
           med[K_STRUCT], ethers, ethers > 0 ? med[K_STRUCT] / ethers : 0.0);
    bench_result("logs", med[K_TEXT], ethers, "logs/s");
    rv = 0;
done:
    if (rv != 0)
        fprintf(stderr, "bench/logs: %s%s%s\n", f.field,
                f.field[0] != '\0' ? ": " : "",
                bench_interrupted() ? "interrupted" : f.detail);
    free(logs);
    free(out_struct);
    free(out_text);
    json_decref(doc);
    return rv;
}
