#include "storage/fsck.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/secret.h"
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
    }
    secret_wipe(ck, sizeof ck);
    secret_free(plain, len);
    return 0; /* go on: report every problem, not the first */
}

static int fsck_dataset(void *arg, const uint8_t id[CATALOG_ID_LEN],
                        struct fault *f)
{
    struct fsck_ctx *x = arg;
    struct fault why;
    uint8_t root[32];
    uint64_t before = x->rep->chunks;

    fault_clear(&why);
    if (catalog_get_dataset(x->st->db, &x->d, id, f) < 0)
        return -1;
    if (hex_encode_0x(x->id_hex, sizeof x->id_hex, id, CATALOG_ID_LEN) < 0)
        return fault_set(f, FAULT_INTERNAL, NULL, "hex");
    x->rep->datasets++;
    if (store_dataset_key(x->st, x->dk, &x->d, &why) < 0) {
        x->rep->damaged++;
        fsck_say(x, "damaged key dataset %s: %s", x->id_hex, why.detail);
        return 0;
    }
    if (EVP_DigestInit_ex(x->root, EVP_sha256(), NULL) != 1)
        return fault_set(f, FAULT_INTERNAL, NULL, "sha256");
    if (catalog_each_chunk(x->st->db, id, fsck_chunk, x, f) < 0)
        return -1;
    secret_wipe(x->dk, sizeof x->dk);
    if (EVP_DigestFinal_ex(x->root, root, NULL) != 1)
        return fault_set(f, FAULT_INTERNAL, NULL, "sha256");
    if (x->rep->chunks - before != x->d.chunk_count ||
        !secret_equal(root, x->d.content_root, sizeof root)) {
        x->rep->roots++;
        fsck_say(x, "damaged catalogue dataset %s: its chunk list does not "
                    "match its content root",
                 x->id_hex);
    }
    return 0;
}

static int fsck_orphan(void *arg, const char *id, struct fault *f)
{
    struct fsck_ctx *x = arg;
    int used;

    if (catalog_object_used(x->st->db, &used, id, f) < 0)
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
    if (catalog_each_dataset(st->db, CATALOG_PUBLISHED, fsck_dataset, &x,
                             f) < 0 ||
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
    return rep->damaged > 0 || rep->missing > 0 || rep->roots > 0;
}
