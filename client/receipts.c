#include "client/receipts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Is text a query id: "0x" + 32 lowercase hex digits? */
static int receipts_id_ok(const char *text)
{
    size_t i;

    if (text == NULL || strlen(text) != 34 || text[0] != '0' ||
        text[1] != 'x')
        return 0;
    for (i = 2; i < 34; i++)
        if (!((text[i] >= '0' && text[i] <= '9') ||
              (text[i] >= 'a' && text[i] <= 'f')))
            return 0;
    return 1;
}

int receipts_dir(char *out, size_t cap, const char *key_path,
                 struct fault *f)
{
    const char *slash = strrchr(key_path, '/');
    int n;

    if (slash == NULL)
        n = snprintf(out, cap, "%s", RECEIPTS_DIR_NAME);
    else
        n = snprintf(out, cap, "%.*s/%s", (int)(slash - key_path), key_path,
                     RECEIPTS_DIR_NAME);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            out[0] = '\0';
        return fault_set(f, FAULT_INVALID, "--key",
                         "the key file's path is too long");
    }
    return 0;
}

static int receipts_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rv;

    if (fd < 0)
        return -1;
    rv = fsync(fd);
    close(fd);
    return rv;
}

int receipts_save(char *path, size_t cap, const char *dir,
                  const char *query_id, const json_t *record,
                  struct fault *f)
{
    char tmp[RECEIPTS_PATH_MAX + 32];
    char *text = NULL;
    size_t len, off = 0;
    ssize_t w;
    int fd = -1, rv = -1, n;

    if (cap > 0)
        path[0] = '\0';
    if (!receipts_id_ok(query_id))
        return fault_set(f, FAULT_INVALID, "query_id",
                         "'%.40s' is not a query id", query_id);
    n = snprintf(path, cap, "%s/%s.json", dir, query_id);
    if (n < 0 || (size_t)n >= cap ||
        snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, query_id,
                 (long)getpid()) >= (int)sizeof tmp) {
        if (cap > 0)
            path[0] = '\0';
        return fault_set(f, FAULT_INVALID, NULL,
                         "the receipts folder's path is too long");
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        fault_set(f, FAULT_IO, NULL, "cannot make the receipts folder %s: %s",
                  dir, strerror(errno));
        goto done;
    }
    text = json_dumps(record, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    len = strlen(text);
    text[len++] = '\n'; /* json_dumps leaves room: its NUL */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
              0600);
    if (fd < 0)
        goto io;
    while (off < len) {
        w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto io;
        off += (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        fd = -1;
        goto io;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto io;
    receipts_fsync_dir(dir);
    rv = 0;
    goto done;
io:
    fault_set(f, FAULT_IO, NULL, "cannot write the receipt %s: %s", path,
              strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
done:
    if (rv < 0 && cap > 0)
        path[0] = '\0';
    free(text);
    return rv;
}

int receipts_load(json_t **out, const char *dir, const char *query_id,
                  struct fault *f)
{
    char path[RECEIPTS_PATH_MAX];
    json_error_t err;

    *out = NULL;
    if (!receipts_id_ok(query_id))
        return fault_set(f, FAULT_INVALID, "query_id",
                         "'%.40s' is not a query id (0x and 32 lowercase "
                         "hex digits)", query_id);
    if (snprintf(path, sizeof path, "%s/%s.json", dir, query_id) >=
        (int)sizeof path)
        return fault_set(f, FAULT_INVALID, NULL,
                         "the receipts folder's path is too long");
    if (access(path, F_OK) < 0)
        return fault_set(f, FAULT_NOT_FOUND, "query_id",
                         "no receipt of query %s in %s", query_id, dir);
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (*out == NULL || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return fault_set(f, FAULT_CORRUPT, NULL,
                         "the receipt %s does not parse: %s", path,
                         err.text);
    }
    return 0;
}

static int receipts_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int receipts_each(const char *dir,
                  int (*fn)(void *arg, const char *name,
                            const json_t *record, struct fault *f),
                  void *arg, struct fault *f)
{
    char path[RECEIPTS_PATH_MAX], **names = NULL;
    struct dirent *e;
    size_t n = 0, cap = 0, i, len;
    json_t *rec;
    DIR *d = opendir(dir);
    int rv = -1;

    if (d == NULL) {
        if (errno == ENOENT)
            return 0;
        return fault_set(f, FAULT_IO, NULL, "cannot read %s: %s", dir,
                         strerror(errno));
    }
    while ((e = readdir(d)) != NULL && n < RECEIPTS_MAX) {
        len = strlen(e->d_name);
        if (len != 39 || strcmp(e->d_name + 34, ".json") != 0 ||
            e->d_name[0] != '0')
            continue;
        if (n == cap) {
            char **p = realloc(names, (cap ? cap * 2 : 64) * sizeof *p);
            if (p == NULL)
                goto oom;
            names = p;
            cap = cap ? cap * 2 : 64;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL)
            goto oom;
        n++;
    }
    qsort(names, n, sizeof *names, receipts_cmp);
    for (i = 0; i < n; i++) {
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >=
            (int)sizeof path)
            continue;
        rec = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
        if (rec != NULL && !json_is_object(rec)) {
            json_decref(rec);
            rec = NULL;
        }
        if (fn(arg, names[i], rec, f) < 0) {
            json_decref(rec);
            goto done;
        }
        json_decref(rec);
    }
    rv = 0;
    goto done;
oom:
    fault_set(f, FAULT_INTERNAL, NULL, "out of memory");
done:
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rv;
}
