#include "storage/objstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/log.h"
#include "storage/fsutil.h"

#define OBJSTORE_PATH_MAX 4200

struct objstore {
    char *root;
    char tmp[4096];
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

/* Make all 256 fan-out folders up front, so that a write never pays for a
 * mkdir (an inode and a journal commit of its own); on an existing store
 * this costs 256 failing mkdirs. */
static int objstore_make_fanouts(struct objstore *s, struct fault *f)
{
    char path[OBJSTORE_PATH_MAX];
    unsigned fan;
    int made = 0;

    for (fan = 0; fan < 256; fan++) {
        if (objstore_fanout_path(s, path, sizeof path, fan) < 0)
            return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
        if (mkdir(path, 0700) == 0)
            made = 1;
        else if (errno != EEXIST)
            return fault_set(f, FAULT_IO, "data_dir", "cannot create %s: %s",
                             path, strerror(errno));
    }
    /* Their names are durable before any object goes in them. */
    if (made && fsutil_fsync_parent(path, f) < 0)
        return -1;
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
    if (fsutil_mkdir(root, 0700, f) < 0 || fsutil_mkdir(s->tmp, 0700, f) < 0 ||
        objstore_make_fanouts(s, f) < 0) {
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

/* The fan-out folder (0 to 255) of a valid id: its first two hex digits. */
static unsigned objstore_fan_of(const char *id)
{
    return (unsigned)(objstore_hexval(id[0]) << 4 | objstore_hexval(id[1]));
}

/* Hash data and find where it goes: id, its final path and a template for
 * its temporary file. Returns 1 when check is set and the object already
 * exists (content-addressed: same name, same bytes), 0 when it is to be
 * written, -1 with f set. */
static int objstore_prepare(struct objstore *s, char id[OBJSTORE_ID_SIZE],
                            char path[OBJSTORE_PATH_MAX],
                            char tmp[OBJSTORE_PATH_MAX], const uint8_t *data,
                            size_t len, int check, struct fault *f)
{
    struct stat st;

    if (objstore_sha256_hex(id, data, len, f) < 0)
        return -1;
    if (objstore_path(s, path, OBJSTORE_PATH_MAX, id) < 0 ||
        snprintf(tmp, OBJSTORE_PATH_MAX, "%s/%s.XXXXXX", s->tmp, id) >=
            OBJSTORE_PATH_MAX)
        return fault_set(f, FAULT_INVALID, "data_dir", "path too long");
    if (check && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
        (size_t)st.st_size == len)
        return 1;
    return 0;
}

/* Create the temporary file named by the template tmp (rewritten in
 * place) and write data into it. Returns its descriptor; on failure -1
 * with tmp = "" (nothing left on disk) and f set. */
static int objstore_write_tmp(struct objstore *s, char tmp[OBJSTORE_PATH_MAX],
                              const uint8_t *data, size_t len, struct fault *f)
{
    int fd = mkostemp(tmp, O_CLOEXEC);

    if (fd < 0) {
        tmp[0] = '\0';
        log_error("mkostemp in %s: %s", s->tmp, strerror(errno));
        return fault_set(f, FAULT_IO, NULL, "cannot create an object file: "
                                            "%s", strerror(errno));
    }
    if (fsutil_write_all(fd, data, len, f) < 0) {
        close(fd);
        unlink(tmp);
        tmp[0] = '\0';
        return -1;
    }
    return fd;
}

static int objstore_name(const char *tmp, const char *path, struct fault *f)
{
    if (rename(tmp, path) < 0) {
        log_error("rename %s -> %s: %s", tmp, path, strerror(errno));
        return fault_set(f, FAULT_IO, NULL, "cannot name an object file: %s",
                         strerror(errno));
    }
    return 0;
}

int objstore_put(struct objstore *s, char id_out[OBJSTORE_ID_SIZE],
                 const uint8_t *data, size_t len, struct fault *f)
{
    char id[OBJSTORE_ID_SIZE];
    char tmp[OBJSTORE_PATH_MAX], path[OBJSTORE_PATH_MAX];
    int fd = -1;
    int rc;
    int rv = -1;

    id_out[0] = '\0';
    tmp[0] = '\0';
    rc = objstore_prepare(s, id, path, tmp, data, len, 1, f);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        memcpy(id_out, id, OBJSTORE_ID_SIZE);
        return 0;
    }
    fd = objstore_write_tmp(s, tmp, data, len, f);
    if (fd < 0 || fsutil_fsync(fd, f) < 0)
        goto done;
    if (close(fd) < 0) {
        fd = -1;
        fault_set(f, FAULT_IO, NULL, "closing an object file failed: %s",
                  strerror(errno));
        goto done;
    }
    fd = -1;
    if (objstore_name(tmp, path, f) < 0)
        goto done;
    tmp[0] = '\0';
    if (fsutil_fsync_parent(path, f) < 0)
        goto done;
    memcpy(id_out, id, OBJSTORE_ID_SIZE);
    rv = 0;
done:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    return rv;
}

/* ---- batches -------------------------------------------------------- */

struct objstore_staged {
    char tmp[OBJSTORE_PATH_MAX];
    char id[OBJSTORE_ID_SIZE];
};

struct objstore_batch {
    struct objstore *s;
    pthread_mutex_t mu;
    struct objstore_staged *staged; /* guarded by mu */
    size_t n, cap;
};

int objstore_batch_new(struct objstore_batch **out, struct objstore *s,
                       struct fault *f)
{
    struct objstore_batch *b;

    *out = NULL;
    b = calloc(1, sizeof *b);
    if (b == NULL)
        return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b);
        return fault_set(f, FAULT_INTERNAL, NULL, "mutex");
    }
    b->s = s;
    *out = b;
    return 0;
}

void objstore_batch_free(struct objstore_batch *b)
{
    size_t i;

    if (b == NULL)
        return;
    for (i = 0; i < b->n; i++)
        unlink(b->staged[i].tmp);
    free(b->staged);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

int objstore_stage(struct objstore_batch *b, char id_out[OBJSTORE_ID_SIZE],
                   const uint8_t *data, size_t len, struct fault *f)
{
    struct objstore_staged e;
    char path[OBJSTORE_PATH_MAX];
    int fd, rc;

    id_out[0] = '\0';
    /* No look for an existing copy: a bulk writer's objects are sealed
     * under fresh random nonces and never exist yet, and the look costs a
     * path walk and a failed lookup per object. Should one exist, the
     * flush renames the same bytes over it. */
    rc = objstore_prepare(b->s, e.id, path, e.tmp, data, len, 0, f);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        memcpy(id_out, e.id, OBJSTORE_ID_SIZE);
        return 0;
    }
    fd = objstore_write_tmp(b->s, e.tmp, data, len, f);
    if (fd < 0)
        return -1;
    /* Start the writeback now, without waiting for it: the disk works
     * while the caller seals the next chunk, and by objstore_flush the
     * blocks are allocated, so the first fsync's journal commit carries
     * the whole batch and the other fsyncs find little left to do. */
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (close(fd) < 0) {
        fault_set(f, FAULT_IO, NULL, "closing an object file failed: %s",
                  strerror(errno));
        unlink(e.tmp);
        return -1;
    }
    pthread_mutex_lock(&b->mu);
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        struct objstore_staged *p = realloc(b->staged, cap * sizeof *p);
        if (p == NULL) {
            pthread_mutex_unlock(&b->mu);
            unlink(e.tmp);
            return fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        }
        b->staged = p;
        b->cap = cap;
    }
    b->staged[b->n++] = e;
    pthread_mutex_unlock(&b->mu);
    memcpy(id_out, e.id, OBJSTORE_ID_SIZE);
    return 0;
}

static int objstore_fsync_path(const char *path, int flags, const char *what,
                               struct fault *f)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | flags);

    if (fd < 0 || fsync(fd) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fault_set(f, FAULT_IO, NULL, "fsync of %s failed: %s", what,
                         strerror(e));
    }
    close(fd);
    return 0;
}

int objstore_flush(struct objstore_batch *b, struct fault *f)
{
    struct objstore_staged *v;
    char path[OBJSTORE_PATH_MAX];
    uint64_t dirty[4] = {0, 0, 0, 0};
    size_t n, i, named = 0;
    unsigned fan;
    int rv = -1;

    /* Take what is staged now; stages made meanwhile go to the next flush. */
    pthread_mutex_lock(&b->mu);
    v = b->staged;
    n = b->n;
    b->staged = NULL;
    b->n = b->cap = 0;
    pthread_mutex_unlock(&b->mu);

    /* 1. The bytes, before any name: never a short object under a name. */
    for (i = 0; i < n; i++)
        if (objstore_fsync_path(v[i].tmp, 0, "an object file", f) < 0)
            goto done;
    /* 2. The names. */
    for (named = 0; named < n; named++) {
        if (objstore_path(b->s, path, sizeof path, v[named].id) < 0 ||
            objstore_name(v[named].tmp, path, f) < 0)
            goto done;
        fan = objstore_fan_of(v[named].id);
        dirty[fan / 64] |= (uint64_t)1 << (fan % 64);
    }
    /* 3. The folders that hold the names. */
    for (fan = 0; fan < 256; fan++) {
        if ((dirty[fan / 64] >> (fan % 64) & 1) == 0)
            continue;
        if (objstore_fanout_path(b->s, path, sizeof path, fan) < 0 ||
            objstore_fsync_path(path, O_DIRECTORY, "an object folder", f) < 0)
            goto done;
    }
    rv = 0;
done:
    /* On failure nothing stays staged: what was not named is removed
     * (and what was named is the caller's to remove, as it never
     * recorded it). */
    for (i = named; i < n; i++)
        unlink(v[i].tmp);
    free(v);
    return rv;
}

int objstore_get(struct objstore *s, uint8_t **out, size_t *len,
                 const char *id, size_t max_len, struct fault *f)
{
    char path[OBJSTORE_PATH_MAX];
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
    char path[OBJSTORE_PATH_MAX];

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
    char sub[OBJSTORE_PATH_MAX];
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
