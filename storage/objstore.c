#include "storage/objstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/log.h"
#include "storage/fsutil.h"

struct objstore {
    char *root;
    char tmp[4096];
    /* Fan-out folders written into by objstore_put_deferred and not yet
     * fsynced: bit i of the 256 is folder i. */
    _Atomic uint64_t dirty[4];
    /* Fan-out folders known to exist (and whose names are durable). */
    _Atomic uint64_t present[4];
};

static int objstore_is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int objstore_id_valid(const char *id)
{
    size_t i;

    for (i = 0; i < OBJSTORE_ID_LEN; i++)
        if (!objstore_is_hex(id[i]))
            return 0;
    return id[OBJSTORE_ID_LEN] == '\0';
}

static int objstore_fanout_path(const struct objstore *s, char *out,
                                size_t cap, unsigned i)
{
    int n = snprintf(out, cap, "%s/%02x", s->root, i);

    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Make sure fan-out folder fan exists, and that its name is durable (the
 * root is fsynced after a mkdir) before any object goes in it. Folders
 * are made on first use and remembered, so that a put costs no mkdir. */
static int objstore_fanout_ready(struct objstore *s, unsigned fan,
                                 struct fault *f)
{
    uint64_t bit = (uint64_t)1 << (fan % 64);
    char path[4200];
    struct stat st;

    if (atomic_load(&s->present[fan / 64]) & bit)
        return 0;
    if (objstore_fanout_path(s, path, sizeof path, fan) < 0)
        return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (fsutil_mkdir(path, 0700, f) < 0 ||
            fsutil_fsync_parent(path, f) < 0)
            return -1;
    }
    atomic_fetch_or(&s->present[fan / 64], bit);
    return 0;
}

int objstore_open(struct objstore **out, const char *root, struct fault *f)
{
    struct objstore *s;

    *out = NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->root = strdup(root)) == NULL) {
        free(s);
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    }
    if (fsutil_join(s->tmp, sizeof s->tmp, root, "tmp") < 0) {
        objstore_close(s);
        return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
    }
    if (fsutil_mkdir(root, 0700, f) < 0 || fsutil_mkdir(s->tmp, 0700, f) < 0) {
        objstore_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void objstore_close(struct objstore *s)
{
    if (s == NULL)
        return;
    free(s->root);
    free(s);
}

int objstore_path(const struct objstore *s, char *out, size_t cap,
                  const char *id)
{
    int n;

    if (!objstore_id_valid(id)) {
        if (cap > 0)
            out[0] = '\0';
        return -1;
    }
    n = snprintf(out, cap, "%s/%.2s/%s", s->root, id, id);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

static int objstore_sha256_hex(char id[OBJSTORE_ID_SIZE], const uint8_t *data,
                               size_t len, struct fault *f)
{
    uint8_t digest[32];
    unsigned int dlen = 0;

    if (EVP_Digest(data, len, digest, &dlen, EVP_sha256(), NULL) != 1 ||
        hex_encode(id, OBJSTORE_ID_SIZE, digest, sizeof digest) < 0) {
        id[0] = '\0';
        return fault_set(f, FAULT_INTERNAL, NULL, "SHA-256 failed");
    }
    return 0;
}

static int objstore_hexval(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

static int objstore_write(struct objstore *s, char id_out[OBJSTORE_ID_SIZE],
                          const uint8_t *data, size_t len, int defer,
                          struct fault *f)
{
    char id[OBJSTORE_ID_SIZE];
    char tmp[4200], path[4200];
    unsigned fan;
    struct stat st;
    int fd = -1;
    int rv = -1;

    id_out[0] = '\0';
    tmp[0] = '\0';
    if (objstore_sha256_hex(id, data, len, f) < 0)
        return -1;
    if (objstore_path(s, path, sizeof path, id) < 0 ||
        snprintf(tmp, sizeof tmp, "%s/%s.XXXXXX", s->tmp, id) >=
            (int)sizeof tmp)
        return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        (size_t)st.st_size == len) {
        memcpy(id_out, id, OBJSTORE_ID_SIZE);
        return 0; /* content-addressed: the same name holds the same bytes */
    }
    fan = (unsigned)(objstore_hexval(id[0]) << 4 | objstore_hexval(id[1]));
    if (objstore_fanout_ready(s, fan, f) < 0)
        return -1;
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        tmp[0] = '\0';
        log_error("mkostemp in %s: %s", s->tmp, strerror(errno));
        fault_set(f, FAULT_IO, NULL, "cannot create an object file: %s",
                  strerror(errno));
        goto done;
    }
    if (fsutil_write_all(fd, data, len, f) < 0 || fsutil_fsync(fd, f) < 0)
        goto done;
    if (close(fd) < 0) {
        fd = -1;
        fault_set(f, FAULT_IO, NULL, "closing an object file failed: %s",
                  strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        log_error("rename %s -> %s: %s", tmp, path, strerror(errno));
        fault_set(f, FAULT_IO, NULL, "cannot name an object file: %s",
                  strerror(errno));
        goto done;
    }
    tmp[0] = '\0';
    if (defer) {
        /* After the rename: a sync that clears this bit comes after it. */
        atomic_fetch_or(&s->dirty[fan / 64], (uint64_t)1 << (fan % 64));
    } else if (fsutil_fsync_parent(path, f) < 0) {
        goto done;
    }
    memcpy(id_out, id, OBJSTORE_ID_SIZE);
    rv = 0;
done:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    return rv;
}

int objstore_put(struct objstore *s, char id_out[OBJSTORE_ID_SIZE],
                 const uint8_t *data, size_t len, struct fault *f)
{
    return objstore_write(s, id_out, data, len, 0, f);
}

int objstore_put_deferred(struct objstore *s, char id_out[OBJSTORE_ID_SIZE],
                          const uint8_t *data, size_t len, struct fault *f)
{
    return objstore_write(s, id_out, data, len, 1, f);
}

int objstore_sync_dirs(struct objstore *s, struct fault *f)
{
    char path[4200];
    uint64_t bits;
    unsigned w, b;
    int fd;

    for (w = 0; w < 4; w++) {
        bits = atomic_exchange(&s->dirty[w], 0);
        for (b = 0; bits != 0; b++, bits >>= 1) {
            if ((bits & 1) == 0)
                continue;
            if (objstore_fanout_path(s, path, sizeof path, w * 64 + b) < 0)
                goto fail;
            fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0 || fsync(fd) < 0) {
                if (fd >= 0)
                    close(fd);
                fault_set(f, FAULT_IO, NULL, "fsync of an object folder "
                                             "failed: %s", strerror(errno));
                goto fail;
            }
            close(fd);
        }
        continue;
    fail:
        /* Put back what is not done yet, this folder included. */
        atomic_fetch_or(&s->dirty[w], bits << b);
        return -1;
    }
    return 0;
}

int objstore_get(struct objstore *s, uint8_t **out, size_t *len,
                 const char *id, size_t max_len, struct fault *f)
{
    char path[4200];
    char got[OBJSTORE_ID_SIZE];
    struct stat st;
    uint8_t *buf = NULL;
    int fd = -1;
    int rv = -1;

    *out = NULL;
    *len = 0;
    if (objstore_path(s, path, sizeof path, id) < 0)
        return fault_set(f, FAULT_INVALID, "object_id",
                         "an object id is 64 lowercase hex digits");
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return fault_set(f, FAULT_NOT_FOUND, "object_id",
                             "object %s is missing", id);
        return fault_set(f, FAULT_IO, "object_id", "object %s cannot be "
                                                   "opened: %s", id,
                         strerror(errno));
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        fault_set(f, FAULT_IO, "object_id", "object %s is not a file", id);
        goto done;
    }
    if ((uint64_t)st.st_size > max_len) {
        fault_set(f, FAULT_CORRUPT, "object_id",
                  "object %s is %llu bytes, more than the %zu expected", id,
                  (unsigned long long)st.st_size, max_len);
        goto done;
    }
    buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    if (buf == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    if (fsutil_read_all(fd, buf, (size_t)st.st_size, f) < 0)
        goto done;
    if (objstore_sha256_hex(got, buf, (size_t)st.st_size, f) < 0)
        goto done;
    if (strcmp(got, id) != 0) {
        fault_set(f, FAULT_CORRUPT, "object_id",
                  "object %s is damaged: its bytes hash to %s", id, got);
        goto done;
    }
    *out = buf;
    *len = (size_t)st.st_size;
    buf = NULL;
    rv = 0;
done:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rv;
}

int objstore_remove(struct objstore *s, const char *id, struct fault *f)
{
    char path[4200];

    if (objstore_path(s, path, sizeof path, id) < 0)
        return fault_set(f, FAULT_INVALID, "object_id", "bad object id");
    if (unlink(path) < 0 && errno != ENOENT)
        return fault_set(f, FAULT_IO, "object_id", "cannot remove object "
                                                   "%s: %s", id,
                         strerror(errno));
    return 0;
}

long objstore_sweep_tmp(struct objstore *s, struct fault *f)
{
    DIR *d;
    struct dirent *e;
    char path[4600];
    long removed = 0;

    d = opendir(s->tmp);
    if (d == NULL)
        return fault_set(f, FAULT_IO, NULL, "cannot list the object "
                                            "store's tmp folder: %s",
                         strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (fsutil_join(path, sizeof path, s->tmp, e->d_name) == 0 &&
            unlink(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int objstore_each(struct objstore *s, int (*fn)(void *arg, const char *id,
                                                struct fault *f),
                  void *arg, struct fault *f)
{
    char sub[4200];
    DIR *top = NULL, *d = NULL;
    struct dirent *e, *o;
    int rv = -1;

    top = opendir(s->root);
    if (top == NULL)
        return fault_set(f, FAULT_IO, NULL, "cannot list the object store: "
                                            "%s", strerror(errno));
    while ((e = readdir(top)) != NULL) {
        /* Only the 256 fan-out folders: two hex digits. */
        if (strlen(e->d_name) != 2 || !objstore_is_hex(e->d_name[0]) ||
            !objstore_is_hex(e->d_name[1]))
            continue;
        if (fsutil_join(sub, sizeof sub, s->root, e->d_name) < 0)
            continue;
        d = opendir(sub);
        if (d == NULL)
            continue;
        while ((o = readdir(d)) != NULL) {
            if (!objstore_id_valid(o->d_name) ||
                strncmp(o->d_name, e->d_name, 2) != 0)
                continue;
            if (fn(arg, o->d_name, f) < 0)
                goto done;
        }
        closedir(d);
        d = NULL;
    }
    rv = 0;
done:
    if (d != NULL)
        closedir(d);
    closedir(top);
    return rv;
}
