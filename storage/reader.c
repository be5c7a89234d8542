#include "storage/reader.h"

#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"
#include "storage/chunkobj.h"

int reader_chunk_with_key(struct store *st, uint8_t **plain, size_t *len,
                          const struct catalog_dataset *d,
                          const struct catalog_chunk *c, const uint8_t ck[32],
                          struct fault *f)
{
    uint8_t *obj = NULL;
    size_t obj_len = 0;
    int rv = -1;

    *plain = NULL;
    *len = 0;
    if (objstore_get(st->objects, &obj, &obj_len, c->object_id,
                     (size_t)c->stored_bytes, f) < 0)
        goto done;
    if (obj_len != c->stored_bytes) {
        fault_set(f, FAULT_CORRUPT, "object_id",
                  "object %s has %zu bytes, the catalogue says %llu",
                  c->object_id, obj_len, (unsigned long long)c->stored_bytes);
        goto done;
    }
    if (chunkobj_open(plain, len, ck, d->id, c->index, obj, obj_len, f) < 0)
        goto done;
    if (*len != c->plain_bytes) {
        fault_set(f, FAULT_CORRUPT, "object_id",
                  "object %s holds %zu plaintext bytes, the catalogue "
                  "says %llu", c->object_id, *len,
                  (unsigned long long)c->plain_bytes);
        secret_free(*plain, *len);
        *plain = NULL;
        *len = 0;
        goto done;
    }
    rv = 0;
done:
    free(obj);
    return rv;
}

int reader_chunk(struct store *st, uint8_t **plain, size_t *len,
                 const uint8_t id[CATALOG_ID_LEN], uint64_t index,
                 struct fault *f)
{
    struct catalog_dataset d;
    struct catalog_chunk c;
    uint8_t ck[32];
    int rv = -1;

    *plain = NULL;
    *len = 0;
    memset(ck, 0, sizeof ck);
    if (catalog_get_dataset(st, &d, id, f) < 0)
        goto done;
    if (d.state != CATALOG_PUBLISHED) {
        fault_set(f, FAULT_NOT_FOUND, "id", "the data-set is not published");
        goto done;
    }
    if (catalog_get_chunk(st, &c, id, index, f) < 0 ||
        store_chunk_key(st, ck, &d, index, f) < 0)
        goto done;
    rv = reader_chunk_with_key(st, plain, len, &d, &c, ck, f);
done:
    secret_wipe(ck, sizeof ck);
    return rv;
}

struct reader_export_ctx {
    struct store *st;
    const struct catalog_dataset *d;
    uint8_t dk[DSKEY_LEN];
    reader_write_fn write;
    void *arg;
    uint64_t next;
};

static int reader_export_chunk(void *arg, const struct catalog_chunk *c,
                               struct fault *f)
{
    struct reader_export_ctx *x = arg;
    uint8_t ck[32];
    uint8_t *plain = NULL;
    size_t len = 0;
    int rv = -1;

    if (c->index != x->next) {
        fault_set(f, FAULT_CORRUPT, "chunks",
                  "chunk %llu is missing from the catalogue",
                  (unsigned long long)x->next);
        goto done;
    }
    if (dskey_chunk_key(ck, x->dk, x->d->id, c->index, f) < 0 ||
        reader_chunk_with_key(x->st, &plain, &len, x->d, c, ck, f) < 0 ||
        x->write(x->arg, plain, len, f) < 0)
        goto done;
    x->next++;
    rv = 0;
done:
    secret_wipe(ck, sizeof ck);
    secret_free(plain, len);
    return rv;
}

int reader_export(struct store *st, const uint8_t id[CATALOG_ID_LEN],
                  reader_write_fn write, void *arg, struct fault *f)
{
    struct catalog_dataset d;
    struct reader_export_ctx x;
    uint8_t *prefix = NULL;
    size_t prefix_len = 0;
    int rv = -1;

    memset(&x, 0, sizeof x);
    if (catalog_get_dataset(st, &d, id, f) < 0)
        goto done;
    if (d.state != CATALOG_PUBLISHED) {
        fault_set(f, FAULT_NOT_FOUND, "id", "the data-set is not published");
        goto done;
    }
    x.st = st;
    x.d = &d;
    x.write = write;
    x.arg = arg;
    if (store_dataset_key(st, x.dk, &d, f) < 0 ||
        catalog_get_prefix(st, &prefix, &prefix_len, id, f) < 0)
        goto done;
    if (prefix_len > 0 && write(arg, prefix, prefix_len, f) < 0)
        goto done;
    if (catalog_each_chunk(st, id, reader_export_chunk, &x, f) < 0)
        goto done;
    if (x.next != d.chunk_count) {
        fault_set(f, FAULT_CORRUPT, "chunks",
                  "the catalogue lists %llu chunks, the data-set %llu",
                  (unsigned long long)x.next,
                  (unsigned long long)d.chunk_count);
        goto done;
    }
    rv = 0;
done:
    secret_wipe(x.dk, sizeof x.dk);
    free(prefix);
    return rv;
}
