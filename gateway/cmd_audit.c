/* sluiced audit: the hash-chained audit log of a data dir (DESIGN.md
 * 3.10), checked (verify) and written out as JSON Lines (export).
 *
 * Both open the data dir as fsck and export do (store_open_existing): they
 * take its lock, so they run while the gateway is stopped and refuse
 * (FAULT_CONFLICT) while it runs, and they read the log in one unit of
 * work, a snapshot, never writing to it.
 *
 * What a check of the log alone can see: any byte of a text or of a
 * stored hash changed, a text that is not an entry's as the gateway writes
 * it, an entry missing before the last, entries reordered or renumbered,
 * an entry that no longer links to the one before, amounts that do not add
 * up, and a head time (what GET /v1/audit/head signs) that is not the last
 * entry's. What it cannot: the last entries deleted, or the log rewritten
 * from some entry on with every hash and link made again (nothing in the
 * store is signed). The anchors for those are outside the store: the
 * receipts workers hold and the signed heads anyone may keep, each naming
 * an index and a hash that the log must still hold.
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/cmd.h"
#include "gateway/settings.h"
#include "lib/hex.h"
#include "pricing/audit.h"
#include "pricing/ledger.h"
#include "pricing/ledger_sqlite.h"
#include "storage/fsutil.h"
#include "storage/store.h"

/* JSON integers stay exact up to 2^53 - 1 in every reader (DESIGN.md
 * 3.2). */
#define AUDIT_JSON_INT_MAX (((uint64_t)1 << 53) - 1)

/* One pass over the log: the check, and for export where lines go. */
struct audit_walk {
    struct audit_check check;
    int broken;        /* the check found the log broken: why says where */
    struct fault why;
    int fd;            /* export: the output; -1 for verify */
};

static int audit_put(json_t *obj, const char *key, json_t *v,
                     struct fault *f)
{
    if (v == NULL || json_object_set_new(obj, key, v) != 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    return 0;
}

static int audit_put_hex(json_t *obj, const char *key, const uint8_t *b,
                         size_t n, struct fault *f)
{
    char s[67];

    if (hex_encode_0x(s, sizeof s, b, n) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "hex");
    return audit_put(obj, key, json_string(s), f);
}

static int audit_put_units(json_t *obj, const char *key, uint64_t v,
                           struct fault *f)
{
    char s[24];

    snprintf(s, sizeof s, "%" PRIu64, v);
    return audit_put(obj, key, json_string(s), f);
}

static json_t *audit_int(uint64_t v)
{
    return v > AUDIT_JSON_INT_MAX ? NULL : json_integer((json_int_t)v);
}

/* Write entry index's JSON line to fd: its index, hash and text, then
 * what the text says, amounts as decimal strings. */
static int audit_export_line(int fd, uint64_t index, const char *text,
                             size_t len, const uint8_t hash[32],
                             struct fault *f)
{
    char addr[ETHADDR_TEXT_SIZE];
    struct audit_entry e;
    uint64_t *chunks = NULL;
    json_t *obj = json_object(), *list = json_array();
    char *line = NULL;
    size_t i;
    int rv = -1;

    if (obj == NULL || list == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    /* audit_check_next parsed it already; this cannot fail but for
     * memory. */
    if (audit_entry_parse(&e, &chunks, text, len, f) < 0)
        goto done;
    for (i = 0; i < e.nchunks; i++)
        if (json_array_append_new(list, audit_int(e.chunks[i])) != 0) {
            fault_set(f, FAULT_CORRUPT, NULL,
                      "entry %" PRIu64 ": chunk %" PRIu64 " is past what a "
                      "JSON integer holds", index, e.chunks[i]);
            goto done;
        }
    if (index > AUDIT_JSON_INT_MAX || (uint64_t)e.time > AUDIT_JSON_INT_MAX) {
        fault_set(f, FAULT_CORRUPT, NULL,
                  "entry %" PRIu64 ": its index or time is past what a JSON "
                  "integer holds", index);
        goto done;
    }
    if (audit_put(obj, "index", audit_int(index), f) < 0 ||
        audit_put_hex(obj, "hash", hash, 32, f) < 0 ||
        audit_put(obj, "text", json_stringn(text, len), f) < 0 ||
        audit_put_hex(obj, "prev", e.prev, 32, f) < 0 ||
        audit_put(obj, "time", audit_int((uint64_t)e.time), f) < 0)
        goto done;
    ethaddr_to_text(addr, &e.gateway);
    if (audit_put(obj, "gateway", json_string(addr), f) < 0 ||
        audit_put_hex(obj, "dataset", e.dataset_id, 32, f) < 0)
        goto done;
    ethaddr_to_text(addr, &e.worker);
    if (audit_put(obj, "worker", json_string(addr), f) < 0 ||
        audit_put_hex(obj, "query", e.query_id, 16, f) < 0)
        goto done;
    if (audit_put(obj, "chunks", list, f) < 0) {
        list = NULL; /* json_object_set_new took it, even on failure */
        goto done;
    }
    list = NULL;
    if (audit_put_units(obj, "cost", e.cost, f) < 0 ||
        audit_put_units(obj, "balance_after", e.balance_after, f) < 0 ||
        audit_put_units(obj, "credited_total", e.credited_total, f) < 0 ||
        audit_put_units(obj, "spent_total", e.spent_total, f) < 0)
        goto done;
    line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (line == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (fsutil_write_all(fd, line, strlen(line), f) < 0 ||
        fsutil_write_all(fd, "\n", 1, f) < 0)
        goto done;
    rv = 0;
done:
    free(line);
    free(chunks);
    json_decref(list);
    json_decref(obj);
    return rv;
}

static int audit_walk_entry(void *arg, uint64_t index, const char *text,
                            size_t len, const uint8_t hash[32],
                            struct fault *f)
{
    struct audit_walk *w = arg;

    fault_clear(&w->why);
    if (audit_check_next(&w->check, index, text, len, hash, &w->why) < 0) {
        w->broken = w->why.kind == FAULT_CORRUPT;
        return fault_set(f, w->why.kind, NULL, "%s", w->why.detail);
    }
    if (w->fd >= 0)
        return audit_export_line(w->fd, index, text, len, hash, f);
    return 0;
}

/* Walk dir's log from its first entry, checking each (and writing it to
 * w->fd when that is not -1), then hold its head up to the last entry.
 * Returns 0 when the walk ran to the end or stopped at a broken entry
 * (w->broken, w->why); -1 with f set when it could not run. */
static int audit_walk_dir(struct audit_walk *w, const char *dir,
                          struct fault *f)
{
    struct store *st = NULL;
    struct ledger *l = NULL;
    uint64_t head_index;
    uint8_t head_hash[32];
    int64_t head_time;
    int in_unit = 0, rv = -1;

    audit_check_start(&w->check);
    w->broken = 0;
    fault_clear(&w->why);
    if (store_open_existing(&st, NULL, dir, f) < 0 ||
        ledger_sqlite_open(&l, st, f) < 0 || ledger_begin(l, f) < 0)
        goto done;
    in_unit = 1;
    if (ledger_audit_each(l, 0, audit_walk_entry, w, f) < 0) {
        rv = w->broken ? 0 : -1;
        goto done;
    }
    if (ledger_audit_head(l, &head_index, head_hash, &head_time, f) < 0)
        goto done;
    /* The head is what GET /v1/audit/head signs; its time is stored
     * beside the text, so a change to it alone escapes the hashes. */
    if (head_index != w->check.count ||
        memcmp(head_hash, w->check.last, 32) != 0) {
        w->broken = 1;
        w->check.broken = head_index;
        fault_set(&w->why, FAULT_CORRUPT, NULL,
                  "entry %" PRIu64 ": the head is not the last entry checked "
                  "(entry %" PRIu64 ")", head_index, w->check.count);
    } else if (head_index > 0 && head_time != w->check.last_time) {
        w->broken = 1;
        w->check.broken = head_index;
        fault_set(&w->why, FAULT_CORRUPT, NULL,
                  "entry %" PRIu64 ": the time stored for the head (%" PRId64
                  ") is not its text's (%" PRId64 ")", head_index, head_time,
                  w->check.last_time);
    }
    rv = 0;
done:
    if (in_unit)
        ledger_rollback(l);
    ledger_close(l);
    store_close(st);
    return rv;
}

/* Read --data-dir (default: serve's) and, when out is not NULL, -o FILE,
 * with no positional argument. Returns 0, or -1 with f set. */
static int audit_options(int argc, char **argv, const char **dir,
                         const char **out, struct fault *f)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const struct settings_entry *def = settings_find("data_dir");
    int c;

    *dir = def != NULL ? def->def : NULL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        if (c == 'd') {
            *dir = optarg;
        } else if (c == 'o' && out != NULL) {
            *out = optarg;
        } else if (c == 'o') {
            return fault_set(f, FAULT_INVALID, "-o",
                             "-o is for audit export, not audit %s", argv[0]);
        } else {
            return cmd_bad_option(c, argv, f);
        }
    }
    if (cmd_required(*dir, "--data-dir", f) < 0)
        return -1;
    return cmd_positional(argc, argv, 0, "", f);
}

static int audit_verify(int argc, char **argv, struct fault *f)
{
    struct audit_walk w;
    const char *dir;
    char hash[67];

    memset(&w, 0, sizeof w);
    w.fd = -1;
    if (audit_options(argc, argv, &dir, NULL, f) < 0 ||
        audit_walk_dir(&w, dir, f) < 0)
        return -1;
    if (w.broken) {
        printf("audit log broken: %s\n", w.why.detail);
        fflush(stdout);
        return 1;
    }
    if (hex_encode_0x(hash, sizeof hash, w.check.last, 32) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "hex");
    printf("audit log ok: %" PRIu64 " entries, head %" PRIu64 " %s\n",
           w.check.count, w.check.count, hash);
    fflush(stdout);
    return 0;
}

static int audit_export(int argc, char **argv, struct fault *f)
{
    struct audit_walk w;
    const char *dir, *out = NULL;
    char part[4200];
    int rv = -1;

    memset(&w, 0, sizeof w);
    w.fd = STDOUT_FILENO;
    part[0] = '\0';
    if (audit_options(argc, argv, &dir, &out, f) < 0)
        goto done;
    if (out != NULL) {
        /* Write beside the target and rename at the end, so that a failed
         * export never leaves a file that looks complete. Who queried
         * what is the operator's to share: keep it private. */
        if (snprintf(part, sizeof part, "%s.part", out) >= (int)sizeof part) {
            part[0] = '\0';
            fault_set(f, FAULT_INVALID, "-o", "the output path is too long");
            goto done;
        }
        w.fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (w.fd < 0) {
            part[0] = '\0';
            fault_set(f, FAULT_IO, "-o", "cannot create %s: %m", out);
            goto done;
        }
    }
    if (audit_walk_dir(&w, dir, f) < 0)
        goto done;
    if (w.broken) {
        /* What was written before the break stays on standard output;
         * a file is not made at all. */
        fault_set(f, FAULT_CORRUPT, NULL,
                  "audit log broken: %s (see sluiced audit verify)",
                  w.why.detail);
        goto done;
    }
    if (out != NULL) {
        if (fsutil_fsync(w.fd, f) < 0)
            goto done;
        if (rename(part, out) < 0) {
            fault_set(f, FAULT_IO, "-o", "cannot create %s: %m", out);
            goto done;
        }
        part[0] = '\0';
        if (fsutil_fsync_parent(out, f) < 0)
            goto done;
    }
    fprintf(stderr, "audit export: %" PRIu64 " entries\n", w.check.count);
    rv = 0;
done:
    if (w.fd > STDERR_FILENO)
        close(w.fd);
    if (part[0] != '\0')
        unlink(part);
    return rv;
}

/* The subcommands of `sluiced audit`, as the top level's are a table. */
static const struct audit_sub {
    const char *name;
    int (*run)(int argc, char **argv, struct fault *f);
} audit_subs[] = {
    {"verify", audit_verify},
    {"export", audit_export},
};

int cmd_audit(int argc, char **argv, struct fault *f)
{
    size_t i;

    if (argc < 2)
        return fault_set(f, FAULT_INVALID, "", "say audit verify or audit "
                         "export");
    for (i = 0; i < sizeof audit_subs / sizeof audit_subs[0]; i++)
        if (strcmp(argv[1], audit_subs[i].name) == 0)
            return audit_subs[i].run(argc - 1, argv + 1, f);
    return fault_set(f, FAULT_INVALID, "", "unknown audit command '%s' (say "
                     "verify or export)", argv[1]);
}
