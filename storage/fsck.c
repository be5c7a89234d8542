#include "storage/fsck.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/secret.h"
#include "storage/parts.h"
#include "storage/reader.h"

struct fsck_ctx {
    struct store *st;
    struct fsck_report *rep;
    fsck_line_fn line;
    void *arg;
    struct catalog_dataset d;
    char id_hex[2 * CATALOG_ID_LEN + 3];
    uint8_t dk[DSKEY_LEN];
    EVP_MD_CTX *root;
    struct parts_stream *parts; /* the data-set's content vs its parts */
    int chunk_failed;           /* a chunk of this data-set did not read */
};

static void fsck_say(struct fsck_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fsck_say(struct fsck_ctx *x, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (x->line)
        x->line(x->arg, buf);
}

static int fsck_chunk(void *arg, const struct catalog_chunk *c,
                      struct fault *f)
{
    struct fsck_ctx *x = arg;
    struct fault why;
    uint8_t ck[32], digest[32];
    uint8_t *plain = NULL;
    size_t len = 0;

    (void)f;
    fault_clear(&why);
    x->rep->chunks++;
    if (hex_decode(digest, sizeof digest, c->object_id, strlen(c->object_id),
                   "object_id", &why) == 0)
        EVP_DigestUpdate(x->root, digest, sizeof digest);
    if (dskey_chunk_key(ck, x->dk, x->d.id, c->index, &why) < 0 ||
        reader_chunk_with_key(x->st, &plain, &len, &x->d, c, ck, &why) < 0) {
        if (why.kind == FAULT_NOT_FOUND) {
            x->rep->missing++;
            fsck_say(x, "missing %s dataset %s chunk %llu", c->object_id,
                     x->id_hex, (unsigned long long)c->index);
        } else {
            x->rep->damaged++;
            fsck_say(x, "damaged %s dataset %s chunk %llu: %s", c->object_id,
                     x->id_hex, (unsigned long long)c->index, why.detail);
        }
        x->chunk_failed = 1;
    } else if (x->parts != NULL) {
        parts_stream_feed(x->parts, plain, len);
    }
    secret_wipe(ck, sizeof ck);
    secret_free(plain, len);
    return 0; /* go on: report every problem, not the first */
}

/* A finding about part files, as a line. */
static void fsck_part_file(void *arg, enum parts_finding what, uint64_t n,
                           const char *name, const char *why)
{
    struct fsck_ctx *x = arg;

    switch (what) {
    case PARTS_FILE_MISSING:
        x->rep->parts++;
        fsck_say(x, "missing part-file %s dataset %s part %llu", name,
                 x->id_hex, (unsigned long long)n);
        break;
    case PARTS_FILE_DAMAGED:
        x->rep->parts++;
        fsck_say(x, "damaged part-file %s dataset %s part %llu: %s", name,
                 x->id_hex, (unsigned long long)n, why);
        break;
    case PARTS_FILE_STRAY:
        x->rep->part_orphans++;
        fsck_say(x, "orphan part-file %s", name);
        break;
    }
}

/* Start checking data-set id's content against the parts its publish
 * recorded (none recorded: nothing to check, as for a data-set that
 * `sluiced ingest` made from a file), beginning with its prefix. */
static int fsck_parts_begin(struct fsck_ctx *x, struct parts_entry **parts,
                            size_t *n, const uint8_t id[CATALOG_ID_LEN],
                            struct fault *f)
{
    uint8_t *prefix = NULL;
    size_t prefix_len = 0;

    if (parts_list_published(x->st, parts, n, id, f) < 0)
        return -1;
    if (*n == 0)
        return 0;
    if (parts_stream_open(&x->parts, *parts, *n, f) < 0 ||
        catalog_get_prefix(x->st, &prefix, &prefix_len, id, f) < 0)
        return -1;
    parts_stream_feed(x->parts, prefix, prefix_len);
    secret_free(prefix, prefix_len);
    return 0;
}

/* End that check: say which part the content does not match. */
static void fsck_parts_end(struct fsck_ctx *x)
{
    char why[96];
    uint64_t bad;

    if (x->parts == NULL)
        return;
    /* A chunk that did not read is reported already; the content cannot
     * be compared without it. */
    if (!x->chunk_failed && parts_stream_end(x->parts, &bad, why,
                                             sizeof why) != 0) {
        x->rep->parts++;
        fsck_say(x, "damaged parts dataset %s part %llu: the published "
                    "content does not match the part recorded: %s",
                 x->id_hex, (unsigned long long)bad, why);
    }
    parts_stream_free(x->parts);
    x->parts = NULL;
}

static int fsck_dataset(void *arg, const uint8_t id[CATALOG_ID_LEN],
                        struct fault *f)
{
    struct fsck_ctx *x = arg;
    struct parts_entry *parts = NULL;
    struct fault why;
    uint8_t root[32];
    uint64_t before = x->rep->chunks;
    size_t nparts = 0;
    int rv = -1;

    fault_clear(&why);
    x->chunk_failed = 0;
    if (catalog_get_dataset(x->st, &x->d, id, f) < 0)
        return -1;
    if (hex_encode_0x(x->id_hex, sizeof x->id_hex, id, CATALOG_ID_LEN) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "hex");
    x->rep->datasets++;
    if (store_dataset_key(x->st, x->dk, &x->d, &why) < 0) {
        x->rep->damaged++;
        fsck_say(x, "damaged key dataset %s: %s", x->id_hex, why.detail);
        return 0;
    }
    if (EVP_DigestInit_ex(x->root, EVP_sha256(), NULL) != 1) {
        fault_set(f, FAULT_INTERNAL, NULL, "sha256");
        goto done;
    }
    if (fsck_parts_begin(x, &parts, &nparts, id, f) < 0 ||
        catalog_each_chunk(x->st, id, fsck_chunk, x, f) < 0)
        goto done;
    secret_wipe(x->dk, sizeof x->dk);
    if (EVP_DigestFinal_ex(x->root, root, NULL) != 1) {
        fault_set(f, FAULT_INTERNAL, NULL, "sha256");
        goto done;
    }
    if (x->rep->chunks - before != x->d.chunk_count ||
        !secret_equal(root, x->d.content_root, sizeof root)) {
        x->rep->roots++;
        x->chunk_failed = 1;
        fsck_say(x, "damaged catalogue dataset %s: its chunk list does not "
                    "match its content root",
                 x->id_hex);
    }
    fsck_parts_end(x);
    /* Part files left on disk must be the parts recorded. */
    if (parts_check_files(x->st, id, parts, nparts, 0, fsck_part_file, x,
                          f) < 0)
        goto done;
    rv = 0;
done:
    parts_stream_free(x->parts);
    x->parts = NULL;
    free(parts);
    return rv;
}

/* A data-set being made: every part its rows name must be on disk as
 * uploaded (its publish would fail otherwise). */
static int fsck_draft(void *arg, const uint8_t id[CATALOG_ID_LEN],
                      struct fault *f)
{
    struct fsck_ctx *x = arg;
    struct parts_entry *parts = NULL;
    size_t n = 0;
    int rv;

    if (hex_encode_0x(x->id_hex, sizeof x->id_hex, id, CATALOG_ID_LEN) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "hex");
    if (parts_list(x->st, &parts, &n, id, f) < 0)
        return -1;
    rv = parts_check_files(x->st, id, parts, n, 1, fsck_part_file, x, f);
    free(parts);
    return rv;
}

static int fsck_orphan(void *arg, const char *id, struct fault *f)
{
    struct fsck_ctx *x = arg;
    int used;

    if (catalog_object_used(x->st, &used, id, f) < 0)
        return -1;
    if (!used) {
        x->rep->orphans++;
        fsck_say(x, "orphan %s", id);
    }
    return 0;
}

int fsck_run(struct store *st, struct fsck_report *rep, fsck_line_fn line,
             void *arg, struct fault *f)
{
    struct fsck_ctx x;
    int rv = -1;

    memset(rep, 0, sizeof *rep);
    memset(&x, 0, sizeof x);
    x.st = st;
    x.rep = rep;
    x.line = line;
    x.arg = arg;
    x.root = EVP_MD_CTX_new();
    if (x.root == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (catalog_each_dataset(st, CATALOG_PUBLISHED, fsck_dataset, &x,
                             f) < 0 ||
        catalog_each_dataset(st, CATALOG_DRAFT, fsck_draft, &x, f) < 0 ||
        catalog_each_dataset(st, CATALOG_UPLOADING, fsck_draft, &x,
                             f) < 0 ||
        catalog_each_dataset(st, CATALOG_PUBLISHING, fsck_draft, &x,
                             f) < 0 ||
        catalog_each_dataset(st, CATALOG_FAILED, fsck_draft, &x, f) < 0 ||
        parts_check_strays(st, fsck_part_file, &x, f) < 0 ||
        objstore_each(st->objects, fsck_orphan, &x, f) < 0)
        goto done;
    rv = 0;
done:
    secret_wipe(x.dk, sizeof x.dk);
    EVP_MD_CTX_free(x.root);
    return rv;
}

int fsck_damaged(const struct fsck_report *rep)
{
    return rep->damaged > 0 || rep->missing > 0 || rep->roots > 0 ||
           rep->parts > 0;
}
