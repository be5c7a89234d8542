/*
 * settings: everything an operator can set about sluiced, as one table.
 *
 * Each setting is a row of settings_table[] in settings.c (tmux's
 * options-table.c, tor's option_vars_[]): its config-file key, its flag,
 * the environment variable that may carry it (secrets only, and a few
 * that tooling already used), its type, its default, its bounds, where
 * it lands in struct settings, and one help sentence. --help, the config
 * file parser, docs/CONFIG.md and the error messages all come from that
 * table, so they cannot drift apart.
 *
 * A value is looked for in four places; a later one wins:
 *   the default < the config file (--config FILE) < the environment < flags.
 *
 * The config file holds `key = value` lines; `#` starts a comment (at the
 * start of a line, or after a space in an unquoted value); blank lines
 * are skipped; a value may be written in double quotes, inside which \"
 * and \\ are the only escapes. Unknown keys, a key given twice, a bad
 * value and a line longer than SETTINGS_LINE_MAX bytes are errors naming
 * the file, the line and the key.
 */
#ifndef SLUICE_GATEWAY_SETTINGS_H
#define SLUICE_GATEWAY_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/fault.h"

/* The longest config-file line, without its newline. */
#define SETTINGS_LINE_MAX 4096

/* Room for an IPv4 or IPv6 address as text, with its NUL (INET6_ADDRSTRLEN). */
#define SETTINGS_HOST_MAX 46

enum settings_type {
    SETTINGS_STRING,   /* text; bounds are its length in bytes */
    SETTINGS_BOOL,     /* true/false, yes/no, on/off, 1/0 */
    SETTINGS_UINT,     /* decimal digits */
    SETTINGS_SIZE,     /* bytes: digits with an optional K, M or G (KiB...) */
    SETTINGS_DURATION, /* milliseconds: digits with ms, s, m or h (bare: ms) */
    SETTINGS_ADDR,     /* A.B.C.D:PORT or [IPv6]:PORT, port 0..65535 */
    SETTINGS_CHOICE    /* one word of the entry's choices list */
};

/* Entry flags. */
#define SETTINGS_SECRET 0x1u    /* wiped on free; never echoed or printed */
#define SETTINGS_FLAG_ONLY 0x2u /* not accepted in the config file */

/* A parsed listening address. */
struct settings_addr {
    int family;                   /* AF_INET or AF_INET6 */
    char host[SETTINGS_HOST_MAX]; /* "127.0.0.1" or "::1": no brackets */
    uint16_t port;                /* 0: the OS picks a free port */
};

/* The values sluiced runs with. Strings are malloc'd, NUL-terminated and
 * never NULL once loaded ("" means unset); numbers are uint64_t whatever
 * their type (sizes in bytes, durations in milliseconds). */
struct settings {
    /* Files and listening. */
    char *config;                /* the config file read, "" for none */
    char *data_dir;
    char *web_dir;
    struct settings_addr listen;
    char *tls_cert;
    char *tls_key;
    char *tls_key_password;      /* secret */
    /* Limits. */
    uint64_t max_connections;
    uint64_t max_connections_per_address;
    uint64_t max_header_bytes;
    uint64_t max_json_body;
    uint64_t max_part_bytes;
    uint64_t max_body_memory;
    uint64_t rate_limit;         /* requests per second per address; 0: off */
    uint64_t rate_burst;
    uint64_t max_sessions;       /* browser sessions held (session.h) */
    uint64_t max_session_nonces; /* sign-in nonces outstanding */
    /* Timeouts, in milliseconds. */
    uint64_t read_timeout_ms;
    uint64_t header_timeout_ms;
    uint64_t request_deadline_ms;
    uint64_t upload_deadline_ms;
    uint64_t idle_timeout_ms;
    uint64_t shutdown_grace_ms;
    /* Ingest. */
    uint64_t publish_threads;
    uint64_t ingest_threads;     /* 0: one per online CPU */
    uint64_t verify_threads;     /* 0: one per online CPU */
    uint64_t chunk_bytes;
    uint64_t zlib_level;
    uint64_t preview_rows;
    /* Logs. */
    unsigned log_level;          /* an enum log_level: LOG_DEBUG..LOG_ERROR */
    bool access_log;
    /* Chain (DESIGN.md 5). */
    char *rpc_url;               /* "": no chain; secret (may hold a key) */
    char *contract;              /* "0x" + 40 hex digits, or "" */
    uint64_t confirmations;
    uint64_t poll_ms;
    bool finalized;
    uint64_t chain_id;           /* 0: take the node's */
    char *rpc_ca_file;           /* "": the system's CAs only */
    uint64_t max_log_range;      /* blocks per eth_getLogs */
    /* Drafts (storage/drafts.h). */
    uint64_t draft_ttl_ms;       /* an abandoned draft is deleted after */
    uint64_t max_drafts_per_owner;
    uint64_t max_upload_bytes_per_owner;
};

/* One row of the table. */
struct settings_entry {
    const char *name;    /* config-file key, snake_case */
    const char *flag;    /* "--name", or NULL: not on the command line */
    const char *env;     /* environment variable, or NULL */
    const char *group;   /* heading in --help and docs/CONFIG.md */
    enum settings_type type;
    unsigned flags;      /* SETTINGS_SECRET, SETTINGS_FLAG_ONLY */
    const char *metavar; /* the value's name in --help ("PATH"), or NULL */
    const char *def;     /* the default, written as a user would write it */
    uint64_t min, max;   /* inclusive: the value, or a string's length */
    const char *choices; /* SETTINGS_CHOICE: "debug|info|warn|error" */
    size_t offset;       /* offsetof(struct settings, field) */
    /* Extra check of a string value, or NULL. Returns 0, or -1 with f
     * set (its detail without the key, which the caller adds). */
    int (*check)(const char *value, struct fault *f);
    const char *help;    /* one or two sentences: what, and why the default */
};

/* Return the table and put its length in *count. Never NULL. */
const struct settings_entry *settings_entries(size_t *count);

/* Return the entry whose key is name, or NULL. */
const struct settings_entry *settings_find(const char *name);

/* Fill out with every default. Returns 0; on failure (out of memory) -1
 * with *out zeroed and f set. Free with settings_free. */
int settings_defaults(struct settings *out, struct fault *f)
    __attribute__((warn_unused_result));

/* Parse value by the rules of the setting named name and store it in s,
 * freeing (and for secrets wiping) the string it replaces. Checks the
 * type and the bounds of that one setting, not the rules between
 * settings (settings_check). Returns 0; on failure -1 with s unchanged
 * and f FAULT_INVALID, field = name, detail "name: what is wrong". */
int settings_set(struct settings *s, const char *name, const char *value,
                 struct fault *f) __attribute__((warn_unused_result));

/* Check the rules between settings: tls_cert and tls_key both or
 * neither, tls_key_password only with tls_key, rate_burst >= rate_limit
 * when limiting, read_timeout <= request_deadline <= upload_deadline,
 * contract required with rpc_url. Returns 0, or -1 with f FAULT_INVALID
 * naming the setting to change. */
int settings_check(const struct settings *s, struct fault *f)
    __attribute__((warn_unused_result));

/* Load the settings of `sluiced serve`: argv[1..argc) holds long flags
 * (`--name value`, `--name=value`, and for yes/no settings `--name` and
 * `--no-name`); argv[0], the command name, is skipped. Reads defaults,
 * then the config file of --config if given, then the environment, then
 * the flags; then settings_check. A flag given twice: the last wins.
 * Returns 0 with *out filled (free it with settings_free); 1 when argv
 * holds --help or -h, with *out zeroed and nothing read; on failure -1
 * with *out zeroed and f set: FAULT_INVALID with field = the key (or the
 * unknown flag or key) and a detail that names it, a file error with the
 * file and line ("sluiced.conf:3: listen: ..."), an unknown name with
 * "did you mean --listen?" when one is within two edits; FAULT_IO when
 * the config file cannot be read to its end. */
int settings_load(struct settings *out, int argc, char **argv,
                  struct fault *f) __attribute__((warn_unused_result));

/* Free every string of s (wiping secrets first) and zero s. s may be
 * NULL or already freed. */
void settings_free(struct settings *s);

/* Write the usage of `sluiced serve` to out: every flag with its value's
 * name, its default, its bounds, its variable and its help, by group. */
void settings_print_help(FILE *out);

/* Write docs/CONFIG.md to out: the precedence, the file syntax and one
 * table per group. tests/unit/gateway/test_settings checks that the
 * committed file equals this output. */
void settings_print_markdown(FILE *out);

/* Write s as a config file that settings_load reads back to the same
 * values; secrets are left out (a comment says they are set). */
void settings_print_config(FILE *out, const struct settings *s);

#endif
