#include "gateway/settings.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/ethaddr.h"
#include "lib/log.h"
#include "lib/secret.h"

#define KIB ((uint64_t)1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define SEC ((uint64_t)1000)
#define MINUTE (SEC * 60)
#define HOUR (MINUTE * 60)
#define PATH_LEN 4095

/* Where a value came from, for the start of an error's detail. */
enum settings_origin { ORIGIN_DIRECT, ORIGIN_FILE, ORIGIN_ENV, ORIGIN_FLAG };

/* A parsed value before it is stored. */
struct settings_value {
    uint64_t u;
    bool b;
    char *s; /* malloc'd for SETTINGS_STRING */
    struct settings_addr a;
};

/* The offset of field in struct settings, refused at compile time unless
 * the field has type T: the table cannot write through the wrong type. */
#define FIELD(f, T)                                                        \
    (offsetof(struct settings, f) +                                        \
     0 * sizeof(char[_Generic(((struct settings *)0)->f, T: 1, default: -1)]))

#define STRING(f) .type = SETTINGS_STRING, .offset = FIELD(f, char *)
#define BOOL(f) .type = SETTINGS_BOOL, .offset = FIELD(f, bool)
#define UINT(f) .type = SETTINGS_UINT, .offset = FIELD(f, uint64_t)
#define SIZE(f) .type = SETTINGS_SIZE, .offset = FIELD(f, uint64_t)
#define DURATION(f) .type = SETTINGS_DURATION, .offset = FIELD(f, uint64_t)
#define ADDR(f) .type = SETTINGS_ADDR, .offset = FIELD(f, struct settings_addr)
#define CHOICE(f) .type = SETTINGS_CHOICE, .offset = FIELD(f, unsigned)

static int settings_check_rpc_url(const char *value, struct fault *f);
static int settings_check_contract(const char *value, struct fault *f);

static const char g_server[] = "Server";
static const char g_limits[] = "Limits";
static const char g_time[] = "Timeouts";
static const char g_ingest[] = "Ingest";
static const char g_drafts[] = "Drafts";
static const char g_logs[] = "Logs";
static const char g_chain[] = "Chain";

/* The one list of everything an operator can set. Order is the order of
 * --help and docs/CONFIG.md. */
static const struct settings_entry settings_table[] = {
    /* Server. */
    {.name = "config", .flag = "--config", .group = g_server, STRING(config),
     .flags = SETTINGS_FLAG_ONLY, .metavar = "FILE", .def = "", .max = PATH_LEN,
     .help = "Read settings from this file of `key = value` lines, below the "
             "environment and the flags. Only a flag: a config file cannot "
             "name another."},
    {.name = "data_dir", .flag = "--data-dir", .group = g_server,
     STRING(data_dir), .metavar = "DIR", .def = "./var", .min = 1,
     .max = PATH_LEN,
     .help = "Folder of the database, the master key and the chunk objects, "
             "created on first start. The default suits a checkout; give an "
             "absolute path in production."},
    {.name = "listen", .flag = "--listen", .group = g_server, ADDR(listen),
     .metavar = "ADDR", .def = "127.0.0.1:8080",
     .help = "Address and port to serve HTTP on. Loopback by default, so that "
             "exposing the gateway is a decision; port 0 lets the system pick "
             "a free port, which the gateway logs."},
    {.name = "web_dir", .flag = "--web-dir", .group = g_server,
     STRING(web_dir), .metavar = "DIR", .def = "web", .max = PATH_LEN,
     .help = "Folder of the buyer's web page, served at /. Empty: serve the "
             "API only."},
    {.name = "tls_cert", .flag = "--tls-cert", .group = g_server,
     STRING(tls_cert), .metavar = "FILE", .def = "", .max = PATH_LEN,
     .help = "PEM certificate chain for HTTPS. Give it with tls_key, or leave "
             "both empty to serve plain HTTP (behind a TLS proxy, or on "
             "loopback)."},
    {.name = "tls_key", .flag = "--tls-key", .group = g_server,
     STRING(tls_key), .metavar = "FILE", .def = "", .max = PATH_LEN,
     .help = "PEM private key of tls_cert."},
    {.name = "tls_key_password", .env = "SLUICE_TLS_KEY_PASSWORD",
     .group = g_server, STRING(tls_key_password), .flags = SETTINGS_SECRET,
     .metavar = "TEXT", .def = "", .max = 1023,
     .help = "Password of an encrypted tls_key. Not a flag, since any local "
             "user can read a command line: set it in the environment or in "
             "a config file only the gateway can read."},
    {.name = "verify_threads", .flag = "--verify-threads", .group = g_server,
     UINT(verify_threads), .metavar = "N", .def = "0", .max = 64,
     .help = "Threads that check request signatures (a secp256k1 recovery "
             "each, several times the cost of a cached GET), so that signed "
             "requests use every core while the event loop goes on; 0: one "
             "per online CPU."},

    /* Limits. */
    {.name = "max_connections", .flag = "--max-connections", .group = g_limits,
     UINT(max_connections), .metavar = "N", .def = "1024", .min = 1,
     .max = 1000000,
     .help = "Connections served at once; further ones wait in the kernel's "
             "queue. Each holds a file descriptor, so `ulimit -n` must exceed "
             "this by about 64 for the database and the objects."},
    {.name = "max_connections_per_address",
     .flag = "--max-connections-per-address", .group = g_limits,
     UINT(max_connections_per_address), .metavar = "N", .def = "256",
     .min = 1, .max = 1000000,
     .help = "Connections one client address may hold at once; one more is "
             "answered 429 and closed before it is read, so that one client "
             "cannot take every slot from the others. 256 leaves room for a "
             "worker downloading many chunks at once, or a NAT in front of "
             "a few."},
    {.name = "max_header_bytes", .flag = "--max-header-bytes",
     .group = g_limits, SIZE(max_header_bytes), .metavar = "SIZE",
     .def = "16K", .min = KIB, .max = MIB,
     .help = "Largest request line plus header fields, counted as received "
             "(line ends included); more is 400. 16 KiB holds a signed "
             "request several times over and stops header floods early."},
    {.name = "max_json_body", .flag = "--max-json-body", .group = g_limits,
     SIZE(max_json_body), .metavar = "SIZE", .def = "1M", .min = KIB,
     .max = 64 * MIB,
     .help = "Largest JSON request body (data-set, price plan, query). 1 MiB "
             "holds any of them; a larger body gets 413 before it is parsed."},
    {.name = "max_part_bytes", .flag = "--max-part-bytes", .group = g_limits,
     SIZE(max_part_bytes), .metavar = "SIZE", .def = "64M", .min = KIB,
     .max = GIB,
     .help = "Largest upload part; a data-set of any size is uploaded as "
             "parts. 64 MiB keeps the retry of a lost part cheap."},
    {.name = "max_body_memory", .flag = "--max-body-memory",
     .group = g_limits, SIZE(max_body_memory), .metavar = "SIZE",
     .def = "256M", .min = MIB, .max = 64 * GIB,
     .help = "Memory for request bodies being received, across all "
             "connections: a body reserves its declared length before a "
             "byte of it is read; one that does not fit waits, unread, and "
             "after read_timeout is answered 503. Taken as max_part_bytes "
             "when below it. 256 MiB lets four largest parts arrive at "
             "once."},
    {.name = "rate_limit", .flag = "--rate-limit", .group = g_limits,
     UINT(rate_limit), .metavar = "N", .def = "100", .max = 1000000,
     .help = "Requests per second allowed from one client address, refilled "
             "steadily; 0 turns limiting off. 100 leaves room for a worker "
             "fetching many chunks in parallel."},
    {.name = "rate_burst", .flag = "--rate-burst", .group = g_limits,
     UINT(rate_burst), .metavar = "N", .def = "200", .min = 1,
     .max = 1000000,
     .help = "Requests one client address may send at once before the rate "
             "applies and it gets 429; at least rate_limit while limiting is "
             "on."},
    {.name = "max_sessions", .flag = "--max-sessions", .group = g_limits,
     UINT(max_sessions), .metavar = "N", .def = "100000", .min = 1,
     .max = 10000000,
     .help = "Browser sessions (Sign-In with Ethereum) held at once, in "
             "memory, some 80 bytes each; one more sign-in ends the oldest "
             "session. Sessions do not survive a restart."},
    {.name = "max_session_nonces", .flag = "--max-session-nonces",
     .group = g_limits, UINT(max_session_nonces), .metavar = "N",
     .def = "10000", .min = 1, .max = 10000000,
     .help = "Sign-in nonces outstanding at once (each lives 5 minutes); "
             "one more ends the oldest, whose sign-in then fails and is "
             "retried. Anyone may ask for nonces: this bounds their memory."},

    /* Timeouts. */
    {.name = "read_timeout", .flag = "--read-timeout", .group = g_time,
     DURATION(read_timeout_ms), .metavar = "TIME", .def = "10s",
     .min = 100, .max = 10 * MINUTE,
     .help = "Longest silence while a request is read or a response written "
             "before the connection is closed; stops clients that trickle "
             "bytes to hold connections."},
    {.name = "header_timeout", .flag = "--header-timeout", .group = g_time,
     DURATION(header_timeout_ms), .metavar = "TIME", .def = "10s",
     .min = SEC, .max = 10 * MINUTE,
     .help = "Longest time from a connection's accept, or from the first "
             "byte of a later request, until its request line and header "
             "fields are whole (request_deadline when that is shorter); "
             "stops clients that trickle headers to hold connections."},
    {.name = "request_deadline", .flag = "--request-deadline", .group = g_time,
     DURATION(request_deadline_ms), .metavar = "TIME", .def = "60s",
     .min = SEC, .max = HOUR,
     .help = "Longest time for one request other than an upload, from its "
             "first byte to the last byte of its response."},
    {.name = "upload_deadline", .flag = "--upload-deadline", .group = g_time,
     DURATION(upload_deadline_ms), .metavar = "TIME", .def = "10m",
     .min = SEC, .max = 24 * HOUR,
     .help = "Longest time for one upload part. 10 minutes lets a 64 MiB part "
             "through a 1 Mbit/s link (9 minutes); at least request_deadline."},
    {.name = "idle_timeout", .flag = "--idle-timeout", .group = g_time,
     DURATION(idle_timeout_ms), .metavar = "TIME", .def = "30s", .min = SEC,
     .max = HOUR,
     .help = "How long a kept-alive connection may wait for its next "
             "request before it is closed."},
    {.name = "shutdown_grace", .flag = "--shutdown-grace", .group = g_time,
     DURATION(shutdown_grace_ms), .metavar = "TIME", .def = "10s",
     .max = 10 * MINUTE,
     .help = "On SIGTERM or SIGINT, how long requests under way may finish "
             "before their connections are closed; 0: close at once."},

    /* Ingest. */
    {.name = "publish_threads", .flag = "--publish-threads", .group = g_ingest,
     UINT(publish_threads), .metavar = "N", .def = "2", .min = 1, .max = 64,
     .help = "Data-sets ingested at the same time after publish; more wait "
             "their turn. Each ingest already uses several cores, so 2 lets a "
             "small data-set pass a large one without starving the server."},
    {.name = "ingest_threads", .flag = "--ingest-threads", .group = g_ingest,
     UINT(ingest_threads), .metavar = "N", .def = "0", .max = 64,
     .help = "Compression and encryption threads of one ingest; 0: one per "
             "online CPU."},
    {.name = "chunk_bytes", .flag = "--chunk-bytes", .group = g_ingest,
     SIZE(chunk_bytes), .metavar = "SIZE", .def = "1M", .min = KIB,
     .max = 512 * MIB,
     .help = "Plaintext bytes per chunk for data-sets that do not choose. "
             "1 MiB keeps what a narrow query pays for beyond its rows small "
             "and the number of keys modest."},
    {.name = "zlib_level", .flag = "--zlib-level", .group = g_ingest,
     UINT(zlib_level), .metavar = "N", .def = "1", .max = 9,
     .help = "zlib level of new chunks: 1 compresses most tables nearly as "
             "well as 6 at several times the speed; 0 stores."},
    {.name = "preview_rows", .flag = "--preview-rows", .group = g_ingest,
     UINT(preview_rows), .metavar = "N", .def = "10", .max = 1000,
     .help = "Rows a published data-set shows for free unless it chooses; 0: "
             "none."},

    /* Drafts. */
    {.name = "draft_ttl", .flag = "--draft-ttl", .group = g_drafts,
     DURATION(draft_ttl_ms), .metavar = "TIME", .def = "168h", .min = SEC,
     .max = 8760 * HOUR,
     .help = "A data-set that is not published (draft, uploading or failed) "
             "and saw no activity (creation, a part, a publish, a price) for "
             "this long is deleted with its parts, checked at start and "
             "periodically. A week lets an owner resume an upload after a "
             "long weekend; anyone can create drafts, so they must not last "
             "for ever."},
    {.name = "max_drafts_per_owner", .flag = "--max-drafts-per-owner",
     .group = g_drafts, UINT(max_drafts_per_owner), .metavar = "N",
     .def = "100", .min = 1, .max = 1000000,
     .help = "Data-sets one address may hold that are not published; one "
             "more is 429 with Retry-After (when its oldest abandoned draft "
             "would expire). 100 is far more than an owner uploads at once, "
             "and bounds the rows one key can make."},
    {.name = "max_upload_bytes_per_owner",
     .flag = "--max-upload-bytes-per-owner", .group = g_drafts,
     SIZE(max_upload_bytes_per_owner), .metavar = "SIZE", .def = "64G",
     .min = KIB, .max = 65536 * GIB,
     .help = "Bytes of parts one address may hold in data-sets that are not "
             "published; a part that would pass it is 413 naming this "
             "setting. Bounds the disk one key can fill; publishing or "
             "expiry frees it."},

    /* Logs. */
    {.name = "log_level", .flag = "--log-level", .env = "SLUICE_LOG_LEVEL",
     .group = g_logs, CHOICE(log_level), .metavar = "LEVEL", .def = "info",
     .choices = "debug|info|warn|error",
     .help = "Lowest level of the log lines written to standard error."},
    {.name = "access_log", .flag = "--access-log", .group = g_logs,
     BOOL(access_log), .def = "true",
     .help = "Log one line per request: method, path, status, bytes and time; "
             "never bodies, keys or signatures."},

    /* Chain. */
    {.name = "rpc_url", .flag = "--rpc-url", .env = "SLUICE_RPC_URL",
     .group = g_chain, STRING(rpc_url), .flags = SETTINGS_SECRET,
     .metavar = "URL", .def = "", .max = 2048,
     .check = settings_check_rpc_url,
     .help = "Ethereum JSON-RPC endpoint, http:// or https://. Empty: no "
             "chain, and paid routes answer 503. Treated as a secret, since "
             "hosted endpoints carry an API key in the URL."},
    {.name = "contract", .flag = "--contract", .group = g_chain,
     STRING(contract), .metavar = "ADDRESS", .def = "", .max = 42,
     .check = settings_check_contract,
     .help = "Address of the market contract whose Purchased events credit "
             "balances; required with rpc_url."},
    {.name = "confirmations", .flag = "--confirmations", .group = g_chain,
     UINT(confirmations), .metavar = "N", .def = "3", .min = 1, .max = 10000,
     .help = "Confirmations a payment needs before it is credited. 3 suits "
             "local and test chains, where reorgs are shallow and waiting is "
             "costly; on mainnet use 12 or more, or finalized."},
    {.name = "poll_ms", .flag = "--poll-ms", .group = g_chain,
     DURATION(poll_ms), .metavar = "TIME", .def = "1000", .min = 10,
     .max = MINUTE,
     .help = "How often the follower asks the node for new blocks; a bare "
             "number is milliseconds. 1 s follows 12 s blocks closely without "
             "loading the node."},
    {.name = "finalized", .flag = "--finalized", .group = g_chain,
     BOOL(finalized), .def = "false",
     .help = "Credit a payment only once the node reports its block "
             "finalized, instead of counting confirmations: slower (about 13 "
             "minutes on mainnet) but safe from any reorg."},
    {.name = "chain_id", .flag = "--chain-id", .group = g_chain,
     UINT(chain_id), .metavar = "N", .def = "0",
     .max = ((uint64_t)1 << 53) - 1,
     .help = "Chain the gateway must be on; 0: the node's. Either way the "
             "first chain id is recorded in data_dir and a later start "
             "against another chain is refused."},
    {.name = "rpc_ca_file", .flag = "--rpc-ca-file", .group = g_chain,
     STRING(rpc_ca_file), .metavar = "FILE", .def = "", .max = PATH_LEN,
     .help = "PEM file of certificate authorities trusted for an https:// "
             "rpc_url, besides the system's: for a node behind a private "
             "CA."},
    {.name = "max_log_range", .flag = "--max-log-range", .group = g_chain,
     UINT(max_log_range), .metavar = "N", .def = "2000", .min = 1,
     .max = 1000000,
     .help = "Most blocks asked in one eth_getLogs. The follower halves it "
             "when the node refuses a range (hosted nodes cap it) and grows "
             "it back as answers come."},
};

#define SETTINGS_COUNT (sizeof settings_table / sizeof settings_table[0])

/* The log levels are the indexes of log_level's choices. */
_Static_assert(LOG_DEBUG == 0 && LOG_INFO == 1 && LOG_WARN == 2 &&
                   LOG_ERROR == 3,
               "log_level choices follow enum log_level");

const struct settings_entry *settings_entries(size_t *count)
{
    *count = SETTINGS_COUNT;
    return settings_table;
}

const struct settings_entry *settings_find(const char *name)
{
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; i < SETTINGS_COUNT; i++)
        if (strcmp(settings_table[i].name, name) == 0)
            return &settings_table[i];
    return NULL;
}

/* ---- Formatting of values and bounds ---- */

/* A size for people: "64 MiB", "1500 bytes". */
static void settings_fmt_size(char *out, size_t cap, uint64_t v)
{
    if (v >= GIB && v % GIB == 0)
        snprintf(out, cap, "%llu GiB", (unsigned long long)(v / GIB));
    else if (v >= MIB && v % MIB == 0)
        snprintf(out, cap, "%llu MiB", (unsigned long long)(v / MIB));
    else if (v >= KIB && v % KIB == 0)
        snprintf(out, cap, "%llu KiB", (unsigned long long)(v / KIB));
    else
        snprintf(out, cap, "%llu bytes", (unsigned long long)v);
}

/* A duration for people: "100 ms", "10 s", "10 min", "24 h". */
static void settings_fmt_duration(char *out, size_t cap, uint64_t ms)
{
    if (ms >= HOUR && ms % HOUR == 0)
        snprintf(out, cap, "%llu h", (unsigned long long)(ms / HOUR));
    else if (ms >= MINUTE && ms % MINUTE == 0)
        snprintf(out, cap, "%llu min", (unsigned long long)(ms / MINUTE));
    else if (ms >= SEC && ms % SEC == 0)
        snprintf(out, cap, "%llu s", (unsigned long long)(ms / SEC));
    else
        snprintf(out, cap, "%llu ms", (unsigned long long)ms);
}

/* A number of e's type for people. */
static void settings_fmt_number(char *out, size_t cap,
                                const struct settings_entry *e, uint64_t v)
{
    if (e->type == SETTINGS_SIZE)
        settings_fmt_size(out, cap, v);
    else if (e->type == SETTINGS_DURATION)
        settings_fmt_duration(out, cap, v);
    else
        snprintf(out, cap, "%llu", (unsigned long long)v);
}

/* The allowed values of e as a phrase, or "" when any value of the type
 * is allowed: "1 KiB to 1 GiB", "one of debug, info, warn, error". */
static void settings_fmt_range(char *out, size_t cap,
                               const struct settings_entry *e)
{
    char lo[32], hi[32];
    size_t n = 0;
    const char *c;

    out[0] = '\0';
    switch (e->type) {
    case SETTINGS_UINT:
    case SETTINGS_SIZE:
    case SETTINGS_DURATION:
        settings_fmt_number(lo, sizeof lo, e, e->min);
        settings_fmt_number(hi, sizeof hi, e, e->max);
        snprintf(out, cap, "%s to %s", lo, hi);
        return;
    case SETTINGS_STRING:
        if (e->min > 0)
            snprintf(out, cap, "not empty");
        return;
    case SETTINGS_CHOICE:
        n = (size_t)snprintf(out, cap, "one of ");
        for (c = e->choices; *c && n + 3 < cap; c++) {
            if (*c == '|') {
                out[n++] = ',';
                out[n++] = ' ';
            } else {
                out[n++] = *c;
            }
        }
        out[n] = '\0';
        return;
    case SETTINGS_BOOL:
    case SETTINGS_ADDR:
        return;
    }
}

/* What the value that was refused looked like, for the end of a detail:
 * ", got 2G". Nothing of a secret is shown. */
static void settings_fmt_got(char *out, size_t cap,
                             const struct settings_entry *e, const char *text)
{
    size_t i, n;

    if (e->flags & SETTINGS_SECRET) {
        out[0] = '\0';
        return;
    }
    if (text[0] == '\0') {
        snprintf(out, cap, ", got an empty value");
        return;
    }
    n = (size_t)snprintf(out, cap, ", got ");
    for (i = 0; text[i] && n + 4 < cap && i < 48; i++)
        out[n++] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
    if (text[i] != '\0') {
        out[n++] = '.';
        out[n++] = '.';
        out[n++] = '.';
    }
    out[n] = '\0';
}

/* ---- Parsing ---- */

/* Copy the string src into out (cap > 0), cut to fit. */
static void settings_copy(char *out, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);

    memcpy(out, src, n);
    out[n] = '\0';
}

/* Parse leading decimal digits of text into *v; *end is set past them.
 * Returns 0, -1 when there are none, -2 on overflow. */
static int settings_digits(const char *text, uint64_t *v, const char **end)
{
    uint64_t x = 0;
    const char *p = text;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return -2;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    *v = x;
    *end = p;
    return 0;
}

/* Multiply for a suffix; a result past UINT64_MAX becomes UINT64_MAX,
 * which no bound allows. */
static uint64_t settings_scale(uint64_t v, uint64_t mult)
{
    return v > UINT64_MAX / mult ? UINT64_MAX : v * mult;
}

static int settings_parse_number(const struct settings_entry *e,
                                 const char *text, uint64_t *out, char *why,
                                 size_t cap)
{
    const char *end = text;
    uint64_t v = 0, mult = 1;
    const char *shape = "a whole number such as 10";
    char lo[48], hi[48];
    int rc;

    if (e->type == SETTINGS_SIZE)
        shape = "a size in bytes such as 65536, 64K or 64M";
    else if (e->type == SETTINGS_DURATION)
        shape = "a duration such as 500ms, 10s or 5m";
    rc = settings_digits(text, &v, &end);
    if (rc == -1) {
        snprintf(why, cap, "must be %s", shape);
        return -1;
    }
    if (rc == -2) {
        v = UINT64_MAX;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    if (e->type == SETTINGS_SIZE && *end != '\0') {
        switch (*end) {
        case 'K': case 'k': mult = KIB; end++; break;
        case 'M': case 'm': mult = MIB; end++; break;
        case 'G': case 'g': mult = GIB; end++; break;
        default: break;
        }
        /* "64M", "64MB", "64MiB"; a bare "B" means bytes. */
        if (mult > 1 && (end[0] == 'i' || end[0] == 'I') &&
            (end[1] == 'B' || end[1] == 'b'))
            end += 2;
        else if (end[0] == 'B' || end[0] == 'b')
            end++;
    } else if (e->type == SETTINGS_DURATION && *end != '\0') {
        if (strcmp(end, "ms") == 0)
            mult = 1;
        else if (strcmp(end, "s") == 0)
            mult = SEC;
        else if (strcmp(end, "m") == 0)
            mult = MINUTE;
        else if (strcmp(end, "h") == 0)
            mult = HOUR;
        else
            mult = 0;
        if (mult != 0)
            end += strlen(end);
        else
            mult = 1;
    }
    if (*end != '\0') {
        snprintf(why, cap, "must be %s", shape);
        return -1;
    }
    v = settings_scale(v, mult);
    if (v < e->min || v > e->max) {
        settings_fmt_number(lo, sizeof lo, e, e->min);
        settings_fmt_number(hi, sizeof hi, e, e->max);
        snprintf(why, cap, "must be between %s and %s", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int settings_parse_bool(const char *text, bool *out, char *why,
                               size_t cap)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    size_t i;

    for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    snprintf(why, cap, "must be true or false (or yes/no, on/off, 1/0)");
    return -1;
}

/* The port after an address: 1 to 5 digits, no leading zero, <= 65535. */
static int settings_parse_port(const char *p, uint16_t *out)
{
    uint64_t v;
    const char *end;

    if (settings_digits(p, &v, &end) != 0 || *end != '\0' || end - p > 5 ||
        (p[0] == '0' && p[1] != '\0') || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int settings_parse_addr(const char *text, struct settings_addr *out,
                               char *why, size_t cap)
{
    char host[SETTINGS_HOST_MAX];
    const char *colon, *close, *port;
    size_t hlen;
    unsigned char bin[16];
    const char *p;

    memset(out, 0, sizeof *out);
    if (text[0] == '[') {
        close = strchr(text, ']');
        if (close == NULL) {
            snprintf(why, cap, "must be A.B.C.D:PORT or [IPv6]:PORT: no ']'");
            return -1;
        }
        hlen = (size_t)(close - text - 1);
        if (close[1] != ':') {
            snprintf(why, cap, "needs a port: [IPv6]:PORT");
            return -1;
        }
        port = close + 2;
        if (hlen == 0 || hlen >= sizeof host) {
            snprintf(why, cap, "must be A.B.C.D:PORT or [IPv6]:PORT");
            return -1;
        }
        memcpy(host, text + 1, hlen);
        host[hlen] = '\0';
        out->family = AF_INET6;
    } else {
        colon = strchr(text, ':');
        if (colon == NULL) {
            snprintf(why, cap, "needs a port: A.B.C.D:PORT");
            return -1;
        }
        if (strchr(colon + 1, ':') != NULL) {
            snprintf(why, cap,
                     "an IPv6 address goes in brackets: [::1]:8080");
            return -1;
        }
        hlen = (size_t)(colon - text);
        port = colon + 1;
        if (hlen == 0 || hlen >= sizeof host) {
            snprintf(why, cap, "must be A.B.C.D:PORT or [IPv6]:PORT");
            return -1;
        }
        memcpy(host, text, hlen);
        host[hlen] = '\0';
        out->family = AF_INET;
    }
    if (inet_pton(out->family, host, bin) != 1) {
        for (p = host; *p; p++)
            if ((*p >= 'g' && *p <= 'z') || (*p >= 'G' && *p <= 'Z'))
                break;
        if (*p != '\0' && out->family == AF_INET)
            snprintf(why, cap, "must be an IP address, not a host name");
        else
            snprintf(why, cap, "must be A.B.C.D:PORT or [IPv6]:PORT");
        memset(out, 0, sizeof *out);
        return -1;
    }
    if (settings_parse_port(port, &out->port) < 0) {
        snprintf(why, cap, "port must be a number from 0 to 65535");
        memset(out, 0, sizeof *out);
        return -1;
    }
    /* Keep the address in its canonical text ("::1", not "0::01"). */
    if (inet_ntop(out->family, bin, out->host, sizeof out->host) == NULL) {
        snprintf(why, cap, "must be A.B.C.D:PORT or [IPv6]:PORT");
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

static int settings_parse_choice(const struct settings_entry *e,
                                 const char *text, uint64_t *out, char *why,
                                 size_t cap)
{
    const char *c = e->choices;
    size_t len = strlen(text), wl;
    uint64_t i = 0;
    char range[96];

    while (*c) {
        wl = strcspn(c, "|");
        if (wl == len && strncmp(c, text, len) == 0) {
            *out = i;
            return 0;
        }
        c += wl;
        if (*c == '|')
            c++;
        i++;
    }
    settings_fmt_range(range, sizeof range, e);
    snprintf(why, cap, "must be %s", range);
    return -1;
}

static int settings_parse_string(const struct settings_entry *e,
                                 const char *text, char **out, char *why,
                                 size_t cap)
{
    size_t len = strlen(text), i;
    struct fault cf;

    if (len < e->min) {
        snprintf(why, cap, "must not be empty");
        return -1;
    }
    if (len > e->max) {
        snprintf(why, cap, "must be at most %llu bytes long",
                 (unsigned long long)e->max);
        return -1;
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
            snprintf(why, cap, "must not hold control characters");
            return -1;
        }
    }
    if (e->check != NULL && len > 0 && e->check(text, &cf) < 0) {
        settings_copy(why, cap, cf.detail);
        return -1;
    }
    *out = strdup(text);
    if (*out == NULL) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    return 0;
}

/* Parse text as a value of e. Returns 0 with *v set (v->s malloc'd for a
 * string); on failure -1 with why holding what is wrong, without the key
 * but with what was given (unless e is secret). */
static int settings_parse(const struct settings_entry *e, const char *text,
                          struct settings_value *v, char *why, size_t cap)
{
    char reason[160], got[80];
    int rc = -1;

    memset(v, 0, sizeof *v);
    reason[0] = '\0';
    switch (e->type) {
    case SETTINGS_STRING:
        rc = settings_parse_string(e, text, &v->s, reason, sizeof reason);
        break;
    case SETTINGS_BOOL:
        rc = settings_parse_bool(text, &v->b, reason, sizeof reason);
        break;
    case SETTINGS_UINT:
    case SETTINGS_SIZE:
    case SETTINGS_DURATION:
        rc = settings_parse_number(e, text, &v->u, reason, sizeof reason);
        break;
    case SETTINGS_ADDR:
        rc = settings_parse_addr(text, &v->a, reason, sizeof reason);
        break;
    case SETTINGS_CHOICE:
        rc = settings_parse_choice(e, text, &v->u, reason, sizeof reason);
        break;
    }
    if (rc < 0) {
        settings_fmt_got(got, sizeof got, e, text);
        snprintf(why, cap, "%s%s", reason, got);
        secret_wipe(reason, sizeof reason);
    }
    return rc;
}

static void settings_free_string(const struct settings_entry *e, char **p)
{
    if (*p != NULL) {
        if (e->flags & SETTINGS_SECRET)
            secret_free(*p, strlen(*p));
        else
            free(*p);
    }
    *p = NULL;
}

/* Move v into s's field for e. */
static void settings_store(struct settings *s, const struct settings_entry *e,
                           struct settings_value *v)
{
    char *field = (char *)s + e->offset;

    switch (e->type) {
    case SETTINGS_STRING:
        settings_free_string(e, (char **)(void *)field);
        *(char **)(void *)field = v->s;
        v->s = NULL;
        break;
    case SETTINGS_BOOL:
        *(bool *)(void *)field = v->b;
        break;
    case SETTINGS_UINT:
    case SETTINGS_SIZE:
    case SETTINGS_DURATION:
        *(uint64_t *)(void *)field = v->u;
        break;
    case SETTINGS_ADDR:
        *(struct settings_addr *)(void *)field = v->a;
        break;
    case SETTINGS_CHOICE:
        *(unsigned *)(void *)field = (unsigned)v->u;
        break;
    }
}

/* Parse text for e and store it; on failure f says where it came from:
 * "name: ...", "FILE:LINE: name: ..." or "name (from VAR): ...". */
static int settings_apply(struct settings *s, const struct settings_entry *e,
                          const char *text, enum settings_origin origin,
                          const char *file, unsigned long line,
                          struct fault *f)
{
    struct settings_value v;
    char why[FAULT_DETAIL_MAX];

    if (settings_parse(e, text, &v, why, sizeof why) < 0) {
        switch (origin) {
        case ORIGIN_FILE:
            fault_set(f, FAULT_INVALID, e->name, "%s:%lu: %s: %s", file, line,
                      e->name, why);
            break;
        case ORIGIN_ENV:
            fault_set(f, FAULT_INVALID, e->name, "%s (from %s): %s", e->name,
                      e->env, why);
            break;
        case ORIGIN_FLAG:
        case ORIGIN_DIRECT:
            fault_set(f, FAULT_INVALID, e->name, "%s: %s", e->name, why);
            break;
        }
        secret_wipe(why, sizeof why);
        return -1;
    }
    settings_store(s, e, &v);
    return 0;
}

static int settings_check_rpc_url(const char *value, struct fault *f)
{
    if (strncmp(value, "http://", 7) != 0 &&
        strncmp(value, "https://", 8) != 0)
        return fault_set(f, FAULT_INVALID, NULL,
                         "must start with http:// or https://");
    if (strchr(value, ' ') != NULL)
        return fault_set(f, FAULT_INVALID, NULL, "must not hold spaces");
    return 0;
}

static int settings_check_contract(const char *value, struct fault *f)
{
    struct ethaddr a;

    if (ethaddr_parse(&a, value, strlen(value), "contract", f) < 0)
        return fault_set(f, FAULT_INVALID, NULL,
                         "must be 0x and 40 hex digits, in one case or with "
                         "a correct EIP-55 checksum");
    if (ethaddr_is_zero(&a))
        return fault_set(f, FAULT_INVALID, NULL,
                         "must not be the zero address");
    return 0;
}

/* ---- Public: defaults, set, check, free ---- */

int settings_defaults(struct settings *out, struct fault *f)
{
    size_t i;

    memset(out, 0, sizeof *out);
    for (i = 0; i < SETTINGS_COUNT; i++) {
        if (settings_apply(out, &settings_table[i], settings_table[i].def,
                           ORIGIN_DIRECT, NULL, 0, f) < 0) {
            /* Only out of memory gets here: the test checks every default. */
            settings_free(out);
            return -1;
        }
    }
    return 0;
}

int settings_set(struct settings *s, const char *name, const char *value,
                 struct fault *f)
{
    const struct settings_entry *e = settings_find(name);

    if (e == NULL)
        return fault_set(f, FAULT_INVALID, name, "%s: unknown setting",
                         name ? name : "(null)");
    if (value == NULL)
        return fault_set(f, FAULT_INVALID, name, "%s: needs a value", name);
    return settings_apply(s, e, value, ORIGIN_DIRECT, NULL, 0, f);
}

int settings_check(const struct settings *s, struct fault *f)
{
    char a[48], b[48];

    if (s->tls_cert[0] != '\0' && s->tls_key[0] == '\0')
        return fault_set(f, FAULT_INVALID, "tls_key",
                         "tls_key: required when tls_cert is set");
    if (s->tls_key[0] != '\0' && s->tls_cert[0] == '\0')
        return fault_set(f, FAULT_INVALID, "tls_cert",
                         "tls_cert: required when tls_key is set");
    if (s->tls_key_password[0] != '\0' && s->tls_key[0] == '\0')
        return fault_set(f, FAULT_INVALID, "tls_key_password",
                         "tls_key_password: set, but there is no tls_key");
    if (s->rate_limit > 0 && s->rate_burst < s->rate_limit)
        return fault_set(f, FAULT_INVALID, "rate_burst",
                         "rate_burst: must be at least rate_limit (%llu) "
                         "while rate limiting is on, got %llu",
                         (unsigned long long)s->rate_limit,
                         (unsigned long long)s->rate_burst);
    if (s->read_timeout_ms > s->request_deadline_ms) {
        settings_fmt_duration(a, sizeof a, s->request_deadline_ms);
        settings_fmt_duration(b, sizeof b, s->read_timeout_ms);
        return fault_set(f, FAULT_INVALID, "read_timeout",
                         "read_timeout: must not exceed request_deadline "
                         "(%s), got %s", a, b);
    }
    if (s->upload_deadline_ms < s->request_deadline_ms) {
        settings_fmt_duration(a, sizeof a, s->request_deadline_ms);
        settings_fmt_duration(b, sizeof b, s->upload_deadline_ms);
        return fault_set(f, FAULT_INVALID, "upload_deadline",
                         "upload_deadline: must be at least request_deadline "
                         "(%s), got %s", a, b);
    }
    if (s->rpc_url[0] != '\0' && s->contract[0] == '\0')
        return fault_set(f, FAULT_INVALID, "contract",
                         "contract: required when rpc_url is set");
    return 0;
}

void settings_free(struct settings *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < SETTINGS_COUNT; i++)
        if (settings_table[i].type == SETTINGS_STRING)
            settings_free_string(&settings_table[i],
                                 (char **)(void *)((char *)s +
                                                   settings_table[i].offset));
    secret_wipe(s, sizeof *s);
}

/* ---- Suggestions ---- */

/* The optimal string alignment distance between a[0..la) and b[0..lb)
 * (edits and swaps of neighbours), or 99 for names too long to matter. */
static unsigned settings_distance(const char *a, size_t la, const char *b,
                                  size_t lb)
{
    unsigned char d[65][65];
    size_t i, j;
    unsigned best, c;

    if (la > 64 || lb > 64)
        return 99;
    for (i = 0; i <= la; i++)
        d[i][0] = (unsigned char)i;
    for (j = 0; j <= lb; j++)
        d[0][j] = (unsigned char)j;
    for (i = 1; i <= la; i++) {
        for (j = 1; j <= lb; j++) {
            c = a[i - 1] == b[j - 1] ? 0 : 1;
            best = d[i - 1][j - 1] + c;
            if (d[i - 1][j] + 1u < best)
                best = d[i - 1][j] + 1u;
            if (d[i][j - 1] + 1u < best)
                best = d[i][j - 1] + 1u;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1u < best)
                best = d[i - 2][j - 2] + 1u;
            d[i][j] = (unsigned char)best;
        }
    }
    return d[la][lb];
}

/* Normalize '-' to '_' in name[0..len) into buf (cap > len). */
static void settings_underscore(char *buf, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        buf[i] = name[i] == '-' ? '_' : name[i];
    buf[len] = '\0';
}

/* The key closest to name[0..len) within two edits (after '-' -> '_'), or
 * NULL; for_flags only keys with a flag, else only config-file keys. On a
 * match for a yes/no setting named "no-..." *negated is set to 1. */
static const struct settings_entry *settings_suggest(const char *name,
                                                     size_t len, int for_flags,
                                                     int *negated)
{
    char buf[80];
    const struct settings_entry *best = NULL;
    unsigned bd = 3, d;
    size_t i;
    int neg;

    *negated = 0;
    if (len >= sizeof buf)
        return NULL;
    settings_underscore(buf, name, len);
    for (i = 0; i < SETTINGS_COUNT; i++) {
        const struct settings_entry *e = &settings_table[i];

        if (for_flags ? e->flag == NULL : (e->flags & SETTINGS_FLAG_ONLY) != 0)
            continue;
        for (neg = 0; neg <= (for_flags && e->type == SETTINGS_BOOL); neg++) {
            if (neg) {
                if (len < 3 || strncmp(buf, "no_", 3) != 0)
                    continue;
                d = settings_distance(buf + 3, len - 3, e->name,
                                      strlen(e->name));
            } else {
                d = settings_distance(buf, len, e->name, strlen(e->name));
            }
            if (d < bd) {
                bd = d;
                best = e;
                *negated = neg;
            }
        }
    }
    return best;
}

/* ---- Flags ---- */

struct settings_hit {
    const struct settings_entry *e;
    const char *value;
};

/* The entry whose flag is "--" + name[0..len), or NULL. */
static const struct settings_entry *settings_find_flag(const char *name,
                                                       size_t len)
{
    size_t i;

    for (i = 0; i < SETTINGS_COUNT; i++) {
        const char *fl = settings_table[i].flag;

        if (fl != NULL && strncmp(fl + 2, name, len) == 0 &&
            fl[2 + len] == '\0')
            return &settings_table[i];
    }
    return NULL;
}

/* The entry named name[0..len) after '-' -> '_', flag or not, or NULL. */
static const struct settings_entry *settings_find_loose(const char *name,
                                                        size_t len)
{
    char buf[80];

    if (len >= sizeof buf)
        return NULL;
    settings_underscore(buf, name, len);
    return settings_find(buf);
}

static int settings_unknown_flag(const char *arg, size_t len, struct fault *f)
{
    char shown[FAULT_FIELD_MAX];
    const struct settings_entry *e;
    int neg;

    snprintf(shown, sizeof shown, "%.*s", (int)(len + 2), arg);
    e = settings_find_loose(arg + 2, len);
    if (e != NULL && e->flag == NULL)
        return fault_set(f, FAULT_INVALID, e->name,
                         "%s: not taken as a flag, since other users can read "
                         "a command line; set %s or put it in the config "
                         "file", e->name, e->env ? e->env : "it");
    e = settings_suggest(arg + 2, len, 1, &neg);
    if (e != NULL)
        return fault_set(f, FAULT_INVALID, shown,
                         "unknown option %s; did you mean --%s%s?", shown,
                         neg ? "no-" : "", e->flag + 2);
    return fault_set(f, FAULT_INVALID, shown,
                     "unknown option %s; see sluiced serve --help", shown);
}

/* Read argv into hits (in order) and *config (the last --config).
 * Returns 0, 1 for --help, or -1 with f set. */
static int settings_scan_flags(struct settings_hit *hits, size_t *nhits,
                               const char **config, int argc, char **argv,
                               struct fault *f)
{
    int i;

    *nhits = 0;
    *config = NULL;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *eq, *value;
        const struct settings_entry *e;
        size_t len;
        int negated = 0;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strcmp(a, "--") == 0) {
            if (i + 1 < argc)
                return fault_set(f, FAULT_INVALID, NULL,
                                 "unexpected argument '%.64s'", argv[i + 1]);
            break;
        }
        if (a[0] != '-')
            return fault_set(f, FAULT_INVALID, NULL,
                             "unexpected argument '%.64s'", a);
        if (a[1] != '-' || a[2] == '\0' || a[2] == '=')
            return fault_set(f, FAULT_INVALID, NULL,
                             "unknown option %.64s; options are long, e.g. "
                             "--listen 127.0.0.1:8080", a);
        eq = strchr(a + 2, '=');
        len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        e = settings_find_flag(a + 2, len);
        if (e == NULL && len > 3 && strncmp(a + 2, "no-", 3) == 0) {
            e = settings_find_flag(a + 5, len - 3);
            if (e != NULL && e->type != SETTINGS_BOOL)
                return fault_set(f, FAULT_INVALID, e->name,
                                 "%s: --no-%s is only for yes/no settings",
                                 e->name, e->flag + 2);
            negated = e != NULL;
        }
        if (e == NULL)
            return settings_unknown_flag(a, len, f);
        if (e->type == SETTINGS_BOOL) {
            if (negated && eq != NULL)
                return fault_set(f, FAULT_INVALID, e->name,
                                 "%s: --no-%s takes no value", e->name,
                                 e->flag + 2);
            value = negated ? "false" : eq ? eq + 1 : "true";
        } else if (eq != NULL) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return fault_set(f, FAULT_INVALID, e->name,
                                 "%s: %s needs a value", e->name, e->flag);
            value = argv[++i];
            if (strncmp(value, "--", 2) == 0 && value[2] != '\0')
                return fault_set(f, FAULT_INVALID, e->name,
                                 "%s: %s needs a value, not the option "
                                 "%.64s (write %s=VALUE for a value that "
                                 "starts with --)",
                                 e->name, e->flag, value, e->flag);
        }
        if (strcmp(e->name, "config") == 0)
            *config = value;
        hits[*nhits].e = e;
        hits[*nhits].value = value;
        (*nhits)++;
    }
    return 0;
}

/* ---- The config file ---- */

static int settings_is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || (c >= 'A' && c <= 'Z');
}

/* Split line (len bytes, no newline) into its key and value in place.
 * Returns 1 with *key and *value set (NUL-terminated inside line), 0 for
 * a blank or comment line, -1 with why set. */
static int settings_split_line(char *line, size_t len, char **key,
                               char **value, char *why, size_t cap)
{
    char *p = line, *end = line + len, *k, *v, *w;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end || *p == '#')
        return 0;
    k = p;
    while (p < end && settings_is_key_char(*p))
        p++;
    if (p == k) {
        snprintf(why, cap, "expected `key = value`");
        return -1;
    }
    *key = k;
    w = p;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end || *p != '=') {
        *w = '\0';
        snprintf(why, cap, "expected `=` after the key");
        return -1;
    }
    *w = '\0';
    p++;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p < end && *p == '"') {
        /* Quoted: \" and \\ are the escapes; decode in place. */
        v = w = ++p;
        for (;;) {
            if (p == end) {
                snprintf(why, cap, "no closing quote");
                return -1;
            }
            if (*p == '"')
                break;
            if (*p == '\\') {
                if (p + 1 == end || (p[1] != '"' && p[1] != '\\')) {
                    snprintf(why, cap,
                             "unknown escape in quotes (only \\\" and \\\\)");
                    return -1;
                }
                p++;
            }
            *w++ = *p++;
        }
        p++;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end && *p != '#') {
            *w = '\0';
            snprintf(why, cap, "text after the closing quote");
            return -1;
        }
        *w = '\0';
    } else {
        /* Bare: up to a '#' that follows a space, or the end; trailing
         * spaces are not part of it. */
        v = p;
        while (p < end && !(*p == '#' && (p == v || p[-1] == ' ' ||
                                          p[-1] == '\t'))) {
            if (*p == '"') {
                snprintf(why, cap,
                         "a value with a quote must be quoted whole");
                return -1;
            }
            p++;
        }
        while (p > v && (p[-1] == ' ' || p[-1] == '\t'))
            p--;
        *p = '\0';
    }
    *value = v;
    return 1;
}

/* A short, printable copy of a key for messages and the fault field. */
static void settings_fmt_key(char *out, size_t cap, const char *key)
{
    size_t i;

    for (i = 0; key[i] && i + 1 < cap && i < 48; i++)
        out[i] = (key[i] > 0x20 && key[i] < 0x7f) ? key[i] : '?';
    out[i] = '\0';
}

/* Handle one line of the file. seen[i] is the line that set entry i. */
static int settings_file_line(struct settings *s, char *line, size_t len,
                              const char *path, unsigned long lineno,
                              unsigned long *seen, struct fault *f)
{
    char why[160], key[56];
    char *k = NULL, *v = NULL;
    const struct settings_entry *e;
    size_t idx;
    int rc, neg;

    if (memchr(line, '\0', len) != NULL)
        return fault_set(f, FAULT_INVALID, "config",
                         "%s:%lu: the line holds a NUL byte", path, lineno);
    line[len] = '\0';
    rc = settings_split_line(line, len, &k, &v, why, sizeof why);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        if (k != NULL) {
            settings_fmt_key(key, sizeof key, k);
            return fault_set(f, FAULT_INVALID, key, "%s:%lu: %s: %s", path,
                             lineno, key, why);
        }
        return fault_set(f, FAULT_INVALID, "config", "%s:%lu: %s", path,
                         lineno, why);
    }
    settings_fmt_key(key, sizeof key, k);
    e = settings_find(k);
    if (e == NULL) {
        e = settings_suggest(k, strlen(k), 0, &neg);
        if (e != NULL)
            return fault_set(f, FAULT_INVALID, key,
                             "%s:%lu: %s: unknown setting; did you mean %s?",
                             path, lineno, key, e->name);
        return fault_set(f, FAULT_INVALID, key,
                         "%s:%lu: %s: unknown setting; see sluiced serve "
                         "--help",
                         path, lineno, key);
    }
    if (e->flags & SETTINGS_FLAG_ONLY)
        return fault_set(f, FAULT_INVALID, e->name,
                         "%s:%lu: %s: only taken as the flag %s", path, lineno,
                         e->name, e->flag);
    idx = (size_t)(e - settings_table);
    if (seen[idx] != 0)
        return fault_set(f, FAULT_INVALID, e->name,
                         "%s:%lu: %s: given twice (first on line %lu)", path,
                         lineno, e->name, seen[idx]);
    seen[idx] = lineno;
    return settings_apply(s, e, v, ORIGIN_FILE, path, lineno, f);
}

/* Report line lineno as too long, naming its key when it starts with one. */
static void settings_too_long(char *line, size_t len, const char *path,
                              unsigned long lineno, struct fault *f)
{
    char key[56];
    size_t i = 0;

    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    line[len] = '\0';
    len = i;
    while (settings_is_key_char(line[len]))
        len++;
    line[len] = '\0';
    settings_fmt_key(key, sizeof key, line + i);
    if (key[0] != '\0')
        fault_set(f, FAULT_INVALID, key,
                  "%s:%lu: %s: the line is longer than %d bytes", path, lineno,
                  key, SETTINGS_LINE_MAX);
    else
        fault_set(f, FAULT_INVALID, "config",
                  "%s:%lu: the line is longer than %d bytes", path, lineno,
                  SETTINGS_LINE_MAX);
}

/* Read the config file at path into s. Every buffer that held a line
 * (which may be a secret) is wiped before return. */
static int settings_load_file(struct settings *s, const char *path,
                              struct fault *f)
{
    char line[SETTINGS_LINE_MAX + 2];
    char iobuf[4096];
    unsigned long seen[SETTINGS_COUNT];
    unsigned long lineno = 0;
    size_t len = 0;
    FILE *fp;
    int c, rv = -1, bom = 1;

    memset(seen, 0, sizeof seen);
    fp = fopen(path, "r");
    if (fp == NULL)
        return fault_set(f, FAULT_INVALID, "config",
                         "config: cannot open %s: %s", path, strerror(errno));
    /* Our own buffer, so that the file's bytes can be wiped after. */
    setvbuf(fp, iobuf, _IOFBF, sizeof iobuf);
    for (;;) {
        c = getc(fp);
        if (c == EOF || c == '\n') {
            if (c == EOF && ferror(fp)) {
                fault_set(f, FAULT_IO, "config", "config: cannot read %s: %s",
                          path, strerror(errno));
                goto done;
            }
            if (c == EOF && len == 0)
                break;
            lineno++;
            if (len > 0 && line[len - 1] == '\r')
                len--;
            if (len > SETTINGS_LINE_MAX) {
                settings_too_long(line, len, path, lineno, f);
                goto done;
            }
            if (settings_file_line(s, line, len, path, lineno, seen, f) < 0)
                goto done;
            len = 0;
            if (c == EOF)
                break;
            continue;
        }
        if (bom && len == 0 && lineno == 0 && c == 0xEF) {
            /* A UTF-8 byte order mark before the first line. */
            if (getc(fp) == 0xBB && getc(fp) == 0xBF) {
                bom = 0;
                continue;
            }
            fault_set(f, FAULT_INVALID, "config",
                      "%s:1: the file is not UTF-8 text", path);
            goto done;
        }
        bom = 0;
        /* Keep one byte past the limit, for a CR before the newline; a
         * second one means the line is too long. */
        if (len == SETTINGS_LINE_MAX + 1) {
            settings_too_long(line, len, path, lineno + 1, f);
            goto done;
        }
        line[len++] = (char)c;
    }
    rv = 0;
done:
    fclose(fp);
    secret_wipe(line, sizeof line);
    secret_wipe(iobuf, sizeof iobuf);
    return rv;
}

/* ---- Loading ---- */

int settings_load(struct settings *out, int argc, char **argv,
                  struct fault *f)
{
    struct settings_hit *hits = NULL;
    const char *config = NULL, *env;
    size_t nhits = 0, i;
    int rv = -1, rc;

    memset(out, 0, sizeof *out);
    hits = calloc(argc > 0 ? (size_t)argc : 1, sizeof *hits);
    if (hits == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    rc = settings_scan_flags(hits, &nhits, &config, argc, argv, f);
    if (rc != 0) {
        rv = rc;
        goto done;
    }
    if (settings_defaults(out, f) < 0)
        goto done;
    if (config != NULL && config[0] != '\0' &&
        settings_load_file(out, config, f) < 0)
        goto done;
    for (i = 0; i < SETTINGS_COUNT; i++) {
        const struct settings_entry *e = &settings_table[i];

        if (e->env == NULL)
            continue;
        env = getenv(e->env);
        /* An empty variable counts as unset. */
        if (env != NULL && env[0] != '\0' &&
            settings_apply(out, e, env, ORIGIN_ENV, NULL, 0, f) < 0)
            goto done;
    }
    for (i = 0; i < nhits; i++)
        if (settings_apply(out, hits[i].e, hits[i].value, ORIGIN_FLAG, NULL, 0,
                           f) < 0)
            goto done;
    if (settings_check(out, f) < 0)
        goto done;
    rv = 0;
done:
    free(hits);
    if (rv != 0)
        settings_free(out);
    return rv;
}

/* ---- Output: --help, docs/CONFIG.md, a config file ---- */

/* Write text wrapped at width columns, each line indented by indent. */
static void settings_wrap(FILE *out, const char *text, int indent, int width)
{
    const char *p = text;
    int col = 0;
    size_t wl;

    while (*p) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        wl = strcspn(p, " ");
        if (col > 0 && col + 1 + (int)wl > width) {
            fputc('\n', out);
            col = 0;
        }
        if (col == 0) {
            fprintf(out, "%*s", indent, "");
            col = indent;
        } else {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, wl, out);
        col += (int)wl;
        p += wl;
    }
    if (col > 0)
        fputc('\n', out);
}

static const char *settings_type_name(enum settings_type t)
{
    switch (t) {
    case SETTINGS_STRING: return "text";
    case SETTINGS_BOOL: return "yes/no";
    case SETTINGS_UINT: return "number";
    case SETTINGS_SIZE: return "size";
    case SETTINGS_DURATION: return "duration";
    case SETTINGS_ADDR: return "address";
    case SETTINGS_CHOICE: return "choice";
    }
    return "text";
}

static const char settings_intro[] =
    "A setting is taken from, lowest first: its default, the config file "
    "(`--config FILE`), its environment variable where it has one (an empty "
    "variable counts as unset), and its flag; the later wins. A flag given "
    "twice: the last wins.";
static const char settings_syntax[] =
    "The config file holds `key = value` lines. `#` starts a comment at the "
    "start of a line or after a space; blank lines are skipped. A value may "
    "be written in double quotes, inside which `\\\"` and `\\\\` are the "
    "only escapes. An unknown key, a key given twice, a bad value or a line "
    "longer than 4096 bytes stops the gateway with the file, the line and "
    "the key.";
static const char settings_units[] =
    "Sizes are bytes, with an optional K, M or G (KiB, MiB, GiB): 65536, "
    "64K, 64M. Durations take ms, s, m or h, and a bare number is "
    "milliseconds: 500ms, 10s, 5m. Addresses are A.B.C.D:PORT or "
    "[IPv6]:PORT, port 0 to 65535. Yes/no settings take true/false, yes/no, "
    "on/off or 1/0, and as flags --NAME and --no-NAME.";

void settings_print_help(FILE *out)
{
    const char *group = NULL;
    char range[96], line[256];
    size_t i;
    int n;

    fprintf(out, "usage: sluiced serve [--config FILE] [--NAME VALUE | "
                 "--NAME=VALUE]...\n\n");
    settings_wrap(out, "Serve the HTTP API and the buyer's page.", 0, 78);
    fputc('\n', out);
    settings_wrap(out, settings_intro, 0, 78);
    fputc('\n', out);
    settings_wrap(out, settings_syntax, 0, 78);
    fputc('\n', out);
    settings_wrap(out, settings_units, 0, 78);
    for (i = 0; i < SETTINGS_COUNT; i++) {
        const struct settings_entry *e = &settings_table[i];

        if (group == NULL || strcmp(group, e->group) != 0) {
            group = e->group;
            fprintf(out, "\n%s:\n", group);
        }
        if (e->flag == NULL)
            fprintf(out, "  (no flag: config file or %s)\n",
                    e->env ? e->env : "config file");
        else if (e->type == SETTINGS_BOOL)
            fprintf(out, "  --[no-]%s\n", e->flag + 2);
        else
            fprintf(out, "  %s %s\n", e->flag,
                    e->metavar ? e->metavar : "VALUE");
        settings_wrap(out, e->help, 6, 78);
        settings_fmt_range(range, sizeof range, e);
        n = snprintf(line, sizeof line, "key: %s", e->name);
        if (e->flags & SETTINGS_FLAG_ONLY)
            n = snprintf(line, sizeof line, "flag only");
        if (n >= 0 && (size_t)n < sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, "; default: %s",
                          e->def[0] ? e->def : "empty");
        if (range[0] && n >= 0 && (size_t)n < sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, "; %s", range);
        if (e->env && n >= 0 && (size_t)n < sizeof line)
            snprintf(line + n, sizeof line - (size_t)n, "; env: %s", e->env);
        settings_wrap(out, line, 6, 78);
    }
}

/* Write text for a Markdown table cell or line: '|' escaped. */
static void settings_md_text(FILE *out, const char *text)
{
    for (; *text; text++) {
        if (*text == '|')
            fputs("\\|", out);
        else
            fputc(*text, out);
    }
}

void settings_print_markdown(FILE *out)
{
    const char *group = NULL;
    char range[96];
    size_t i;

    fputs("# sluiced settings\n\n"
          "<!-- Generated from the table in gateway/settings.c by "
          "settings_print_markdown; do not edit. "
          "tests/unit/gateway/test_settings fails when this file and the "
          "table differ; run it with SLUICE_UPDATE_DOCS=1 to rewrite this "
          "file. -->\n\n",
          out);
    fputs("`sluiced serve` runs the gateway. Each setting below is a line "
          "`key = value` of the config file and, unless marked otherwise, a "
          "flag `--key-name VALUE` (or `--key-name=VALUE`). "
          "`sluiced serve --help` prints the same list.\n\n",
          out);
    fprintf(out, "%s\n\n%s\n\n%s\n\n", settings_intro, settings_syntax,
            settings_units);
    fputs("```\n"
          "# sluiced.conf\n"
          "listen = 0.0.0.0:8080\n"
          "data_dir = /var/lib/sluice\n"
          "max_part_bytes = 32M\n"
          "request_deadline = 2m\n"
          "rpc_url = \"http://127.0.0.1:8545\"\n"
          "contract = 0x5FbDB2315678afecb367f032d93F642f64180aa3\n"
          "```\n",
          out);
    fputs("\n| setting | flag | environment | default |\n"
          "|---|---|---|---|\n",
          out);
    for (i = 0; i < SETTINGS_COUNT; i++) {
        const struct settings_entry *e = &settings_table[i];

        fprintf(out, "| [`%s`](#%s) | ", e->name, e->name);
        if (e->flag)
            fprintf(out, "`%s`", e->flag);
        fputs(" | ", out);
        if (e->env)
            fprintf(out, "`%s`", e->env);
        fputs(" | ", out);
        if (e->def[0])
            fprintf(out, "`%s`", e->def);
        else
            fputs("empty", out);
        fputs(" |\n", out);
    }
    for (i = 0; i < SETTINGS_COUNT; i++) {
        const struct settings_entry *e = &settings_table[i];

        if (group == NULL || strcmp(group, e->group) != 0) {
            group = e->group;
            fprintf(out, "\n## %s\n", group);
        }
        fprintf(out, "\n### `%s`\n\n", e->name);
        if (e->flag == NULL)
            fputs("no flag", out);
        else if (e->type == SETTINGS_BOOL)
            fprintf(out, "`%s`, `--no-%s`", e->flag, e->flag + 2);
        else
            fprintf(out, "`%s %s`", e->flag, e->metavar ? e->metavar : "VALUE");
        if (e->flags & SETTINGS_FLAG_ONLY)
            fputs(" (flag only)", out);
        if (e->env)
            fprintf(out, " · environment `%s`", e->env);
        fprintf(out, " · %s · default ", settings_type_name(e->type));
        if (e->def[0])
            fprintf(out, "`%s`", e->def);
        else
            fputs("empty", out);
        settings_fmt_range(range, sizeof range, e);
        if (range[0]) {
            fputs(" · ", out);
            settings_md_text(out, range);
        }
        if (e->flags & SETTINGS_SECRET)
            fputs(" · secret: wiped from memory on exit, never logged", out);
        fputs("\n\n", out);
        settings_md_text(out, e->help);
        fputc('\n', out);
    }
}

/* A number in the syntax the parser reads: "64M", "10s", "1000". */
static void settings_fmt_input(char *out, size_t cap,
                               const struct settings_entry *e, uint64_t v)
{
    if (e->type == SETTINGS_SIZE && v > 0 && v % GIB == 0)
        snprintf(out, cap, "%lluG", (unsigned long long)(v / GIB));
    else if (e->type == SETTINGS_SIZE && v > 0 && v % MIB == 0)
        snprintf(out, cap, "%lluM", (unsigned long long)(v / MIB));
    else if (e->type == SETTINGS_SIZE && v > 0 && v % KIB == 0)
        snprintf(out, cap, "%lluK", (unsigned long long)(v / KIB));
    else if (e->type == SETTINGS_DURATION && v > 0 && v % HOUR == 0)
        snprintf(out, cap, "%lluh", (unsigned long long)(v / HOUR));
    else if (e->type == SETTINGS_DURATION && v > 0 && v % MINUTE == 0)
        snprintf(out, cap, "%llum", (unsigned long long)(v / MINUTE));
    else if (e->type == SETTINGS_DURATION && v > 0 && v % SEC == 0)
        snprintf(out, cap, "%llus", (unsigned long long)(v / SEC));
    else if (e->type == SETTINGS_DURATION)
        snprintf(out, cap, "%llums", (unsigned long long)v);
    else
        snprintf(out, cap, "%llu", (unsigned long long)v);
}

void settings_print_config(FILE *out, const struct settings *s)
{
    const char *field, *p, *c;
    char buf[64];
    size_t i, wl;
    unsigned k;

    fputs("# sluiced settings\n", out);
    for (i = 0; i < SETTINGS_COUNT; i++) {
        const struct settings_entry *e = &settings_table[i];

        if (e->flags & SETTINGS_FLAG_ONLY)
            continue;
        field = (const char *)s + e->offset;
        if (e->flags & SETTINGS_SECRET) {
            p = *(char *const *)(const void *)field;
            fprintf(out, "# %s: %s\n", e->name,
                    p && p[0] ? "set, not shown" : "not set");
            continue;
        }
        fprintf(out, "%s = ", e->name);
        switch (e->type) {
        case SETTINGS_STRING:
            fputc('"', out);
            for (p = *(char *const *)(const void *)field; p && *p; p++) {
                if (*p == '"' || *p == '\\')
                    fputc('\\', out);
                fputc(*p, out);
            }
            fputc('"', out);
            break;
        case SETTINGS_BOOL:
            fputs(*(const bool *)(const void *)field ? "true" : "false", out);
            break;
        case SETTINGS_UINT:
        case SETTINGS_SIZE:
        case SETTINGS_DURATION:
            settings_fmt_input(buf, sizeof buf, e,
                               *(const uint64_t *)(const void *)field);
            fputs(buf, out);
            break;
        case SETTINGS_ADDR: {
            const struct settings_addr *a =
                (const struct settings_addr *)(const void *)field;

            if (a->family == AF_INET6)
                fprintf(out, "[%s]:%u", a->host, (unsigned)a->port);
            else
                fprintf(out, "%s:%u", a->host, (unsigned)a->port);
            break;
        }
        case SETTINGS_CHOICE:
            k = *(const unsigned *)(const void *)field;
            for (c = e->choices; *c; k--) {
                wl = strcspn(c, "|");
                if (k == 0) {
                    fwrite(c, 1, wl, out);
                    break;
                }
                c += wl;
                if (*c == '|')
                    c++;
            }
            break;
        }
        fputc('\n', out);
    }
}
